/* SPDX-License-Identifier: MIT */
/* xscert report: builds an exchange's ladder and findings when it is opened; filters the list.
   Everything from the result goes in through textContent or setAttribute: never as markup. */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var LX = [100, 300, 500], W = 600, ROW = 40;
  var RULES = JSON.parse(document.getElementById('xs-rules').textContent);
  var RANK = { error: 0, fail: 1, warn: 2, pass: 3, skip: 4 };

  function h(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function s(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs) e.setAttribute(k, String(attrs[k]));
    if (text !== undefined) e.textContent = String(text);
    return e;
  }
  function svgBox(height, cls) {
    return s('svg', { width: W, height: height, viewBox: '0 0 ' + W + ' ' + height,
      'class': 'ladder ' + cls, role: 'img' });
  }
  function lanes(v, y0, y1) {
    for (var i = 0; i < 3; i++)
      v.appendChild(s('line', { x1: LX[i], x2: LX[i], y1: y0, y2: y1, 'class': 'lane' }));
  }
  function header(names) {
    var v = svgBox(58, 'head');
    lanes(v, 46, 58);
    for (var i = 0; i < 3; i++) {
      v.appendChild(s('rect', { x: LX[i] - 92, y: 4, width: 184, height: 42, rx: 6, 'class': 'lanebox' }));
      v.appendChild(s('text', { x: LX[i], y: 21, 'class': 'lanename' }, names[i][0]));
      v.appendChild(s('text', { x: LX[i], y: 38, 'class': 'laneaddr' }, names[i][1] || 'no request seen'));
    }
    return v;
  }
  function arrow(r) {
    var v = svgBox(ROW, 'row' + (r.bad ? ' bad' : '') + (r.h !== undefined ? ' http' : ''));
    lanes(v, 0, ROW);
    var x1 = LX[r.from], x2 = LX[r.to], y = ROW - 9, d = x2 > x1 ? 1 : -1;
    var g = s('g', {});
    g.appendChild(s('line', { x1: x1, x2: x2 - d * 9, y1: y, y2: y, 'class': 'arrow' }));
    g.appendChild(s('polygon', { points: x2 + ',' + y + ' ' + (x2 - d * 10) + ',' + (y - 5) + ' ' +
      (x2 - d * 10) + ',' + (y + 5), 'class': 'head' }));
    g.appendChild(s('text', { x: (x1 + x2) / 2, y: y - 7, 'class': 'label' }, r.label));
    v.appendChild(g);
    v.appendChild(s('text', { x: 2, y: y + 4, 'class': 'time' }, r.t));
    var t = s('title', {}, r.label + ' (click to show the message)');
    v.insertBefore(t, v.firstChild);
    return v;
  }
  function rawView(r) {
    var box = h('div', 'raw');
    box.appendChild(h('div', 'meta', r.meta));
    var pre = h('pre'), text = r.raw, buf = '';
    if (text === undefined && r.b64 !== undefined) {
      var b = atob(r.b64);
      text = '';
      for (var i = 0; i < b.length; i++) {
        var c = b.charCodeAt(i);
        text += (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) ? b[i] : '\u0000' + String.fromCharCode(c);
      }
      box.appendChild(h('div', 'meta', 'Not valid UTF-8: bytes outside ASCII are shown as \\xNN.'));
    }
    if (r.noraw) box.appendChild(h('div', 'meta', 'This large report keeps the bytes of failing exchanges and of the first 1000 only; all of them are in result.json.'));
    if (text === undefined) text = '';
    function flush() { if (buf) { pre.appendChild(document.createTextNode(buf)); buf = ''; } }
    for (var k = 0; k < text.length; k++) {
      var ch = text[k];
      if (ch === '\r' && text[k + 1] === '\n') { flush(); pre.appendChild(h('span', 'eol', '\\r\\n')); buf = '\n'; k++; }
      else if (ch === '\n') { flush(); pre.appendChild(h('span', 'eol', '\\n')); buf = '\n'; }
      else if (ch === '\r') { flush(); pre.appendChild(h('span', 'ctl', '\\r')); }
      else if (ch === '\u0000') {
        flush(); var code = text.charCodeAt(++k);
        pre.appendChild(h('span', 'ctl', '\\x' + (code < 16 ? '0' : '') + code.toString(16)));
      } else if (ch < ' ' && ch !== '\t') {
        flush(); pre.appendChild(h('span', 'ctl', '\\x' + (ch.charCodeAt(0) < 16 ? '0' : '') + ch.charCodeAt(0).toString(16)));
      } else buf += ch;
    }
    flush();
    if (!text.length) pre.appendChild(h('span', 'none', 'no bytes recorded'));
    box.appendChild(pre);
    return box;
  }
  function findRow(rows, tok) {
    var m = /^(msg|frame|http):(\d+)$/.exec(tok);
    if (!m) return -1;
    var n = +m[2];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i];
      if ((m[1] === 'msg' && r.n === n) || (m[1] === 'frame' && n && r.fr === n) ||
          (m[1] === 'http' && r.h === n)) return i;
    }
    return -1;
  }
  function evidence(d, rowEls, f) {
    var ev = h('td', 'ev');
    (f.e || '').split(/[ ,]+/).forEach(function (tok) {
      if (!tok) return;
      var i = findRow(d.rows, tok);
      if (i < 0) { ev.appendChild(h('span', 'mono', tok + ' ')); return; }
      var b = h('button', null, tok);
      b.title = 'Show ' + d.rows[i].label;
      b.addEventListener('click', function () {
        var el = rowEls[i]; el.open = true; el.classList.add('flash');
        el.scrollIntoView({ block: 'center' });
        setTimeout(function () { el.classList.remove('flash'); }, 1500);
      });
      ev.appendChild(b);
    });
    return ev;
  }
  /* a line of rule ids (pass or skip) with what each checks and why on hover */
  function chips(box, list, v, hint) {
    if (!list.length) return;
    var p = h('div', 'passed');
    p.appendChild(h('span', 'b b-' + v, v));
    list.forEach(function (f) {
      var info = RULES[f.r] || [''];
      var c = h('span', 'pr', f.r);
      c.title = info[0] + (f.d ? ' \u2014 ' + f.d : '');
      p.appendChild(c);
    });
    if (hint) p.appendChild(h('div', 'hint', hint));
    box.appendChild(p);
  }
  /* problems (fail, error, warn) in a table with their rule; passes and skips as lines of ids */
  function findings(d, rowEls) {
    var box = h('div', 'findbox');
    var by = { pass: [], skip: [], prob: [] };
    d.f.forEach(function (f) { (by[f.v] || by.prob).push(f); });
    box.appendChild(h('h3', null, 'Findings: ' + by.prob.length + ' problem' +
      (by.prob.length === 1 ? '' : 's') + ', ' + by.pass.length + ' passed, ' + by.skip.length + ' skipped'));
    if (!d.f.length) { box.appendChild(h('p', 'none', 'No rule was evaluated on this exchange.')); return box; }
    if (by.prob.length) {
      var t = h('table', 'find'), hr = h('tr');
      ['Verdict', 'Rule', 'What it checks', 'What happened', 'Evidence'].forEach(function (x) { hr.appendChild(h('th', null, x)); });
      t.appendChild(hr);
      by.prob.forEach(function (f) {
        var tr = h('tr'), info = RULES[f.r] || ['(rule not in the catalogue)', '', ''];
        var vc = h('td'); vc.appendChild(h('span', 'b b-' + (RANK[f.v] !== undefined ? f.v : 'none'), f.v));
        tr.appendChild(vc);
        var rc = h('td', 'rid'); rc.appendChild(h('b', null, f.r)); if (info[2]) rc.appendChild(h('div', 'ref', 'checks the ' + info[2]));
        tr.appendChild(rc);
        var st = h('td', null, info[0]);
        if (info[1]) st.appendChild(h('div', 'ref', info[1]));
        tr.appendChild(st);
        tr.appendChild(h('td', null, f.d));
        tr.appendChild(evidence(d, rowEls, f));
        t.appendChild(tr);
      });
      box.appendChild(t);
    }
    chips(box, by.pass, 'pass', '');
    chips(box, by.skip, 'skip', '');
    if (by.pass.length || by.skip.length)
      box.appendChild(h('div', 'hint', 'Hover a rule for what it checks and why it was skipped.'));
    return box;
  }
  function build(ex) {
    var data = ex.querySelector('script.xd');
    var body = ex.querySelector('.exb');
    if (!data || !body || body.firstChild) return;
    var d = JSON.parse(data.textContent);
    var meta = h('div', 'exmeta');
    d.meta.forEach(function (kv, i) {
      if (i) meta.appendChild(document.createTextNode(' \u00b7 '));
      meta.appendChild(document.createTextNode(kv[0] + ': '));
      meta.appendChild(h('b', null, kv[1]));
    });
    body.appendChild(meta);
    var cols = h('div', 'cols'), lad = h('div', 'ladderbox');
    lad.appendChild(h('h3', null, 'Ladder: click an arrow to see the message as sent'));
    lad.appendChild(header(d.lanes));
    var rowEls = [];
    d.rows.forEach(function (r) {
      var det = h('details', 'msg'), sum = h('summary');
      sum.appendChild(arrow(r));
      det.appendChild(sum);
      det.addEventListener('toggle', function () {
        if (det.open && det.childNodes.length === 1) det.appendChild(rawView(r));
      });
      lad.appendChild(det);
      rowEls.push(det);
    });
    if (!d.rows.length) lad.appendChild(h('p', 'none', 'No messages were recorded.'));
    var tail = svgBox(12, 'tail');
    lanes(tail, 0, 12);
    lad.appendChild(tail);
    cols.appendChild(lad);
    cols.appendChild(findings(d, rowEls));
    body.appendChild(cols);
  }

  var list = document.getElementById('exchanges');
  if (!list) return;
  list.addEventListener('toggle', function (e) {
    var t = e.target;
    if (t.classList && t.classList.contains('ex') && t.open) build(t);
  }, true);

  /* filtering: mode buttons and a search over the row text and its rule=verdict pairs */
  var items = list.querySelectorAll('details.ex'), mode = 'all';
  var q = document.getElementById('q'), shown = document.getElementById('shown');
  function apply() {
    var needle = (q.value || '').trim().toLowerCase(), n = 0;
    for (var i = 0; i < items.length; i++) {
      var it = items[i], v = it.getAttribute('data-v');
      var ok = mode === 'all' || (mode === 'fail' ? (v === 'fail' || v === 'error') : v === mode);
      if (ok && needle) {
        var hay = (it.getAttribute('data-rules') + ' ' + it.firstElementChild.textContent).toLowerCase();
        ok = needle.split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
      }
      it.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = 'Showing ' + n + ' of ' + items.length + ' exchanges';
  }
  var timer = null;
  q.addEventListener('input', function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
  Array.prototype.forEach.call(document.querySelectorAll('.bar button[data-mode]'), function (b) {
    b.addEventListener('click', function () {
      mode = b.getAttribute('data-mode');
      Array.prototype.forEach.call(document.querySelectorAll('.bar button[data-mode]'), function (o) {
        o.classList.toggle('on', o === b);
      });
      apply();
    });
  });
  Array.prototype.forEach.call(document.querySelectorAll('a.rule[data-q]'), function (a) {
    a.addEventListener('click', function (e) {
      e.preventDefault();
      q.value = a.getAttribute('data-q');
      apply();
      document.getElementById('exchanges-h').scrollIntoView();
    });
  });
  apply();
  /* open the first exchange (failing ones sort first) so its ladder is on screen */
  if (items.length) { items[0].open = true; build(items[0]); }
})();
