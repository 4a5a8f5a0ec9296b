/* SPDX-License-Identifier: MIT */
/* html.c — one self-contained HTML page: verdict, devices, rules, and a ladder per exchange. */
#include "report-int.h"
#include "report-assets.h"

#include "harness/digest/cryptort.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Scale: every exchange is a folded <details> row; its ladder (inline SVG),
 * findings and raw messages are built by the inline script from the JSON
 * embedded in the row, only when the row is opened. 10,000 exchanges are
 * 10,000 small rows, not 10,000 diagrams.
 *
 * Safety: the raw SIP is attacker-controlled. Text written here goes through
 * report_esc_html; JSON for the script goes into <script type="application/json">
 * with < > & escaped as \u003c..., and the script puts it in the page through
 * textContent only. A Content-Security-Policy allows no fetch at all and only
 * the one script whose SHA-256 it names.
 */

#define HTML_MAX_NOTES 1000u
#define HTML_LABEL_MAX 44u
#define HTML_URL_TAIL 26u
#define HTML_MAX_FILES 200u
/* over this many exchanges, only failing and warning ones (and the first ones shown) keep raw bytes */
#define HTML_RAW_ALL_MAX 1000u

static void e(struct xs_buf *o, const char *s)
{
	if (s)
		report_esc_html(o, s, strlen(s));
}

/* JSON for a <script type="application/json"> element: no '<', '>' or '&' left raw. */
static int put_json(struct xs_buf *o, const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT); /* UTF-8 as is: the page is UTF-8 */
	if (!s)
		return -ENOMEM;
	for (const char *p = s; *p; p++) {
		if (*p == '<')
			xs_buf_puts(o, "\\u003c");
		else if (*p == '>')
			xs_buf_puts(o, "\\u003e");
		else if (*p == '&')
			xs_buf_puts(o, "\\u0026");
		else
			xs_buf_append(o, p, 1);
	}
	free(s);
	return 0;
}

static const char *const verdict_word[REPORT_N_VERDICTS] = { "pass", "fail", "warn", "skip",
							      "error" };

static void badge(struct xs_buf *o, int v)
{
	xs_buf_printf(o, "<span class=\"b b-%s\">%s</span>", v < 0 ? "none" : verdict_word[v],
		      v < 0 ? "none" : verdict_word[v]);
}

/* One line on where the result came from; src is a "source" object. */
static void source_text(struct xs_buf *o, const json_t *src)
{
	const char *kind = rj_s(src, "kind");
	size_t i;
	json_t *f;
	if (!strcmp(kind, "live")) {
		xs_buf_puts(o, "live run against <code>");
		e(o, rj_str(src, "target") ? rj_str(src, "target") : "?");
		xs_buf_puts(o, "</code>");
		if (json_is_true(json_object_get(src, "emulated")))
			xs_buf_puts(o, " (xscert's built-in emulated phone)");
		return;
	}
	if (!strcmp(kind, "merged")) {
		const json_t *parts = rj_arr(src, "parts");
		size_t k = 0;
		xs_buf_printf(o, "%zu results merged:", json_array_size(parts));
		json_array_foreach(parts, i, f) {
			const char *one = rj_str(f, "target") ? rj_str(f, "target")
							      : json_string_value(json_array_get(
									rj_arr(f, "files"), 0));
			if (!one)
				continue;
			if (k++ == 10) {
				xs_buf_printf(o, " \xe2\x80\xa6");
				break;
			}
			xs_buf_puts(o, k > 1 ? ", <code>" : " <code>");
			e(o, one);
			xs_buf_puts(o, "</code>");
		}
		if (json_is_true(json_object_get(src, "emulated")))
			xs_buf_puts(o, " (all xscert's built-in emulated phones)");
		return;
	}
	size_t nf = json_array_size(rj_arr(src, "files"));
	if (nf > 3)
		xs_buf_printf(o, "<details class=\"files\"><summary>%zu capture files</summary>", nf);
	else
		xs_buf_puts(o, "capture");
	json_array_foreach(rj_arr(src, "files"), i, f) {
		if (i == HTML_MAX_FILES) {
			xs_buf_printf(o, " and %zu more (in the JSON result)", nf - HTML_MAX_FILES);
			break;
		}
		xs_buf_puts(o, i ? ", <code>" : " <code>");
		e(o, json_string_value(f));
		xs_buf_puts(o, "</code>");
	}
	if (nf > 3)
		xs_buf_puts(o, "</details>");
}

static void verdict_box(struct xs_buf *o, const json_t *r)
{
	const json_t *sum = rj_obj(r, "summary"), *fc = rj_obj(sum, "findings");
	size_t c[REPORT_N_VERDICTS], total = 0;
	for (int v = 0; v < REPORT_N_VERDICTS; v++)
		total += c[v] = (size_t)rj_int(fc, report_verdicts[v]);
	bool fail = !strcmp(rj_s(sum, "verdict"), "fail");
	const char *cls = fail ? "fail" : total ? "pass" : "none";
	xs_buf_printf(o, "<section class=\"verdict %s\" id=\"verdict\" data-verdict=\"%s\">"
			 "<div class=\"big\">%s</div><div><div class=\"what\">",
		      cls, fail ? "fail" : "pass", fail ? "FAIL" : total ? "PASS" : "NO CHECKS");
	if (fail)
		xs_buf_printf(o, "%zu of %zu checks failed", c[XS_FAIL] + c[XS_ERROR], total);
	else if (total && c[XS_SKIP])
		xs_buf_printf(o, "All %zu checks that could run passed (%zu could not run here)",
			      c[XS_PASS] + c[XS_WARN], c[XS_SKIP]);
	else if (total)
		xs_buf_printf(o, "All %zu checks passed", c[XS_PASS] + c[XS_WARN]);
	else
		xs_buf_puts(o, "No rule was evaluated: there is nothing to certify");
	size_t ndev = json_array_size(rj_arr(r, "devices"));
	xs_buf_printf(o, " in %lld exchange%s on %zu device%s.</div><div class=\"src\">Generated ",
		      (long long)rj_int(sum, "exchanges"), rj_int(sum, "exchanges") == 1 ? "" : "s",
		      ndev, ndev == 1 ? "" : "s");
	e(o, rj_str(r, "generated"));
	xs_buf_puts(o, " by xscert ");
	e(o, rj_str(rj_obj(r, "tool"), "version"));
	xs_buf_puts(o, ". Source: ");
	source_text(o, rj_obj(r, "source"));
	xs_buf_puts(o, "</div><div class=\"counts\">");
	static const char *const what[REPORT_N_VERDICTS] = { "passed", "failed", "warnings",
							      "skipped", "errors" };
	for (int v = 0; v < REPORT_N_VERDICTS; v++) {
		xs_buf_puts(o, "<span class=\"chip\">");
		badge(o, v);
		xs_buf_printf(o, " %zu %s</span>", c[v], what[v]);
	}
	xs_buf_puts(o, "</div></div></section>\n");
}

static const char intro[] =
	"<p class=\"lead\">xscert checks how a SIP phone handles a pushed <b>XML-Service NOTIFY</b>. "
	"Each <b>exchange</b> is one push attempt: the controller sends a NOTIFY, the phone must "
	"challenge it (401 with a digest nonce), the controller retries with an Authorization "
	"header, the phone answers and then fetches the pushed URL over HTTP. Every <b>rule</b> "
	"below is checked on each exchange; its verdict there is a <b>finding</b>.</p>\n"
	"<div class=\"legend\"><span class=\"b b-pass\">pass</span> the rule holds "
	"&nbsp; <span class=\"b b-fail\">fail</span> the rule is broken "
	"&nbsp; <span class=\"b b-warn\">warn</span> allowed but doubtful "
	"&nbsp; <span class=\"b b-skip\">skip</span> not checkable here (data missing, e.g. no "
	"password for a capture) &nbsp; <span class=\"b b-error\">error</span> the check itself "
	"could not run</div>\n";

static void devices_table(struct xs_buf *o, const json_t *r)
{
	const json_t *bd = rj_obj(rj_obj(r, "summary"), "by_device");
	size_t i;
	json_t *d;
	xs_buf_puts(o, "<h2 id=\"devices-h\">Devices</h2>\n");
	if (!json_array_size(rj_arr(r, "devices"))) {
		xs_buf_puts(o, "<p class=\"none\">No device was identified.</p>\n");
		return;
	}
	xs_buf_puts(o, "<table id=\"devices\"><tr><th>Verdict</th><th>Device</th><th>Address</th>"
		       "<th>Model</th><th>Firmware</th><th>Profile</th><th>Server / User-Agent</th>"
		       "<th class=\"n\">Exchanges</th></tr>\n");
	json_array_foreach(rj_arr(r, "devices"), i, d) {
		const json_t *s = json_object_get(bd, rj_s(d, "id"));
		const char *cells[] = { "id", "address", "model", "firmware", "profile", "server" };
		xs_buf_puts(o, "<tr><td>");
		badge(o, report_verdict_index(rj_str(s, "verdict")));
		xs_buf_puts(o, "</td>");
		for (size_t k = 0; k < XS_ARRAY_SIZE(cells); k++) {
			const char *v = rj_str(d, cells[k]);
			xs_buf_puts(o, v ? "<td>" : "<td class=\"none\">");
			e(o, v ? v : "unknown");
			xs_buf_puts(o, "</td>");
		}
		xs_buf_printf(o, "<td class=\"n\">%lld</td></tr>\n", (long long)rj_int(s, "exchanges"));
	}
	xs_buf_puts(o, "</table>\n");
}

static void rules_table(struct xs_buf *o, const json_t *r)
{
	const json_t *rc = rj_obj(rj_obj(r, "summary"), "rules");
	size_t i;
	json_t *rule;
	xs_buf_puts(o, "<h2 id=\"rules-h\">Rules</h2>\n");
	if (!json_array_size(rj_arr(r, "rules"))) {
		xs_buf_puts(o, "<p class=\"none\">No rule was evaluated.</p>\n");
		return;
	}
	xs_buf_puts(o, "<p class=\"hint\">How often each rule held across all exchanges. Click a "
		       "rule to list the exchanges where it failed (or was checked).</p>\n"
		       "<table id=\"rules\"><tr><th>Rule</th><th>Subject</th><th>Statement</th>"
		       "<th>Reference</th>");
	for (int v = 0; v < REPORT_N_VERDICTS; v++)
		xs_buf_printf(o, "<th class=\"n\">%s</th>", verdict_word[v]);
	xs_buf_puts(o, "</tr>\n");
	json_array_foreach(rj_arr(r, "rules"), i, rule) {
		const char *id = rj_s(rule, "id");
		const json_t *c = json_object_get(rc, id);
		bool bad = rj_int(c, "fail") || rj_int(c, "error");
		xs_buf_printf(o, "<tr%s><td><a class=\"rule\" href=\"#exchanges-h\" data-q=\"",
			      bad ? " class=\"hasfail\"" : "");
		e(o, id);
		xs_buf_puts(o, bad ? "=fail\">" : "=\">");
		e(o, id);
		xs_buf_puts(o, "</a></td><td>");
		e(o, rj_s(rule, "subject"));
		xs_buf_puts(o, "</td><td>");
		e(o, rj_str(rule, "statement") ? rj_str(rule, "statement") : "(not in the rule catalogue)");
		xs_buf_puts(o, "</td><td class=\"ref\">");
		e(o, rj_s(rule, "reference"));
		xs_buf_puts(o, "</td>");
		for (int v = 0; v < REPORT_N_VERDICTS; v++) {
			json_int_t n = rj_int(c, report_verdicts[v]);
			xs_buf_printf(o, "<td class=\"n%s\">%lld</td>", n ? "" : " z", (long long)n);
		}
		xs_buf_puts(o, "</tr>\n");
	}
	xs_buf_puts(o, "</table>\n");
}

/* ---- one exchange ---- */

struct row {
	const json_t *j;
	bool http;
	size_t pos;
	int64_t ts;
};

static int row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->http != y->http)
		return x->http ? 1 : -1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Short arrow label: method (and whether it carries credentials), status, or HTTP request. */
static json_t *label(const struct row *w)
{
	struct xs_buf b = { 0 };
	if (w->http) {
		/* the end of a pushed URL is what tells pushes apart: keep the tail */
		const char *t = rj_str(w->j, "target") ? rj_s(w->j, "target") : rj_s(w->j, "url");
		size_t n = strlen(t);
		xs_buf_printf(&b, "%s ", rj_str(w->j, "method") ? rj_s(w->j, "method") : "GET");
		if (n > HTML_URL_TAIL) {
			t += n - HTML_URL_TAIL;
			while ((*t & 0xc0) == 0x80)
				t++;
			xs_buf_puts(&b, "\xe2\x80\xa6");
		}
		xs_buf_puts(&b, t);
	} else {
		const char *s = rj_s(w->j, "summary");
		bool response = s[0] >= '0' && s[0] <= '9';
		xs_buf_append(&b, s, response ? strlen(s) : strcspn(s, " "));
		if (!strcmp(rj_s(w->j, "role"), "retry"))
			xs_buf_puts(&b, " + Authorization");
	}
	struct xs_buf c = { 0 };
	report_esc_term(&c, xs_buf_cstr(&b) ? (const char *)b.p : "", HTML_LABEL_MAX);
	json_t *j = json_string(xs_buf_cstr(&c) ? (const char *)c.p : "");
	xs_buf_reset(&b);
	xs_buf_reset(&c);
	return j;
}

static json_t *row_meta(const struct row *w)
{
	struct xs_buf b = { 0 };
	const json_t *m = w->j;
	if (w->http)
		xs_buf_printf(&b, "HTTP request %zu \xc2\xb7 %s \xe2\x86\x92 %s \xc2\xb7 %s \xc2\xb7 "
				  "User-Agent: %s",
			      w->pos, rj_s(m, "src"), rj_s(m, "dst"), rj_s(m, "url"),
			      rj_str(m, "user_agent") ? rj_s(m, "user_agent") : "none");
	else
		xs_buf_printf(&b, "message %lld (%s) \xc2\xb7 %s \xc2\xb7 %s \xc2\xb7 %s \xe2\x86\x92 %s",
			      (long long)rj_int(m, "index"), rj_s(m, "role"), rj_s(m, "dir"),
			      rj_s(m, "transport"), rj_s(m, "src"), rj_s(m, "dst"));
	if (rj_int(m, "frame"))
		xs_buf_printf(&b, " \xc2\xb7 frame %lld", (long long)rj_int(m, "frame"));
	/* a wall-clock time a reader can place, UTC to the microsecond */
	int64_t us;
	struct tm tm;
	char when[40];
	time_t sec;
	if (report_ts_parse(json_object_get(m, "ts"), &us) == 0 && us >= 0 &&
	    (sec = (time_t)(us / 1000000), gmtime_r(&sec, &tm)) &&
	    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm))
		xs_buf_printf(&b, " \xc2\xb7 %s.%06lld UTC", when, (long long)(us % 1000000));
	else
		xs_buf_printf(&b, " \xc2\xb7 t=%s", rj_s(m, "ts"));
	json_t *j = json_string(xs_buf_cstr(&b) ? (const char *)b.p : "");
	xs_buf_reset(&b);
	return j;
}

static json_t *rel_time(int64_t d)
{
	char s[48];
	if (d < 10000000)
		snprintf(s, sizeof s, "+%lld.%01lld ms", (long long)(d / 1000),
			 (long long)(d % 1000 / 100));
	else
		snprintf(s, sizeof s, "+%lld.%02lld s", (long long)(d / 1000000),
			 (long long)(d % 1000000 / 10000));
	return json_string(s);
}

static bool is_bad(const json_t *ex, const json_t *item)
{
	size_t i;
	json_t *f;
	json_array_foreach(rj_arr(ex, "findings"), i, f) {
		int v = report_verdict_index(rj_str(f, "verdict"));
		const json_t *ev[16];
		if (v != XS_FAIL && v != XS_ERROR)
			continue;
		size_t n = report_evidence(ex, rj_str(f, "evidence"), ev, XS_ARRAY_SIZE(ev));
		for (size_t k = 0; k < n; k++)
			if (ev[k] == item)
				return true;
	}
	return false;
}

static json_t *rows_json(const json_t *ex, json_t *lanes, bool with_raw)
{
	const json_t *msgs = rj_arr(ex, "messages"), *http = rj_arr(ex, "http");
	size_t n = json_array_size(msgs) + json_array_size(http), k = 0, i;
	struct row *w = calloc(n ? n : 1, sizeof *w);
	json_t *arr = json_array(), *v;
	if (!w || !arr)
		goto oom;
	json_array_foreach(msgs, i, v) {
		w[k] = (struct row){ v, false, i, 0 };
		report_ts_parse(json_object_get(v, "ts"), &w[k++].ts);
	}
	json_array_foreach(http, i, v) {
		w[k] = (struct row){ v, true, i, 0 };
		report_ts_parse(json_object_get(v, "ts"), &w[k++].ts);
	}
	qsort(w, n, sizeof *w, row_cmp);
	for (i = 0; i < n; i++) {
		bool to_phone = !strcmp(rj_s(w[i].j, "dir"), "to-phone");
		int from = w[i].http ? 1 : to_phone ? 0 : 1, to = w[i].http ? 2 : to_phone ? 1 : 0;
		json_t *o = json_pack("{s:i, s:i, s:o, s:o, s:o, s:b}", "from", from, "to", to,
				      "label", label(&w[i]), "t", rel_time(w[i].ts - w[0].ts),
				      "meta", row_meta(&w[i]), "bad", is_bad(ex, w[i].j));
		if (!o || json_array_append_new(arr, o) < 0)
			goto oom;
		if (w[i].http) {
			json_object_set_new(o, "h", json_integer((json_int_t)w[i].pos));
		} else {
			json_object_set_new(o, "n", json_integer(rj_int(w[i].j, "index")));
			if (rj_int(w[i].j, "frame"))
				json_object_set_new(o, "fr", json_integer(rj_int(w[i].j, "frame")));
			json_t *raw = json_object_get(w[i].j, "raw");
			json_t *b64 = json_object_get(w[i].j, "raw_b64");
			if (!with_raw)
				json_object_set_new(o, "noraw", json_true());
			else if (json_is_string(raw))
				json_object_set(o, "raw", raw);
			else if (json_is_string(b64))
				json_object_set(o, "b64", b64);
		}
		/* lane addresses: who sent to whom, as first seen */
		json_t *lf = json_array_get(lanes, (size_t)from), *lt = json_array_get(lanes, (size_t)to);
		if (json_is_null(json_array_get(lf, 1)) && rj_str(w[i].j, "src"))
			json_array_set_new(lf, 1, json_string(rj_str(w[i].j, "src")));
		if (json_is_null(json_array_get(lt, 1)) && rj_str(w[i].j, "dst"))
			json_array_set_new(lt, 1, json_string(rj_str(w[i].j, "dst")));
	}
	free(w);
	return arr;
oom:
	free(w);
	json_decref(arr);
	return NULL;
}

static int finding_cmp(const void *a, const void *b)
{
	static const int rank[REPORT_N_VERDICTS] = { 3, 1, 2, 4, 0 };
	const json_t *const *x = a, *const *y = b;
	int vx = report_verdict_index(rj_str(*x, "verdict")),
	    vy = report_verdict_index(rj_str(*y, "verdict"));
	int rx = vx < 0 ? 5 : rank[vx], ry = vy < 0 ? 5 : rank[vy];
	return rx - ry;
}

static json_t *findings_json(const json_t *ex)
{
	const json_t *fs = rj_arr(ex, "findings");
	size_t n = json_array_size(fs), i;
	const json_t **v = calloc(n ? n : 1, sizeof *v);
	json_t *arr = json_array();
	if (!v || !arr)
		goto oom;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(fs, i); /* array elements are distinct objects in order */
	/* insertion sort: stable, so equal verdicts keep the result's order (same bytes
	 * whatever the allocator did; qsort is not stable) */
	for (i = 1; i < n; i++)
		for (size_t k = i; k > 0 && finding_cmp(&v[k - 1], &v[k]) > 0; k--) {
			const json_t *t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
	for (i = 0; i < n; i++)
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s?}", "r",
							 rj_s(v[i], "rule"), "v",
							 rj_s(v[i], "verdict"), "d",
							 rj_s(v[i], "detail"), "e",
							 rj_str(v[i], "evidence"))) < 0)
			goto oom;
	free(v);
	return arr;
oom:
	free(v);
	json_decref(arr);
	return NULL;
}

static json_t *meta_json(const json_t *r, const json_t *ex, const json_t *dev)
{
	json_t *m = json_array();
	struct xs_buf b = { 0 };
	report_device_label(dev, &b);
	if (dev)
		xs_buf_printf(&b, " (%s)", rj_s(dev, "id"));
	json_array_append_new(m, json_pack("[s, s]", "Device", xs_buf_cstr(&b) ? (char *)b.p : ""));
	xs_buf_reset(&b);
	if (rj_str(ex, "scenario"))
		json_array_append_new(m, json_pack("[s, s]", "Scenario", rj_str(ex, "scenario")));
	static const struct {
		const char *intent, *words;
	} intents[] = {
		{ "none", "none (no authenticated retry)" }, { "correct", "the right password" },
		{ "wrong-password", "a wrong password" }, { "wrong-user", "a wrong user" },
		{ "wrong-realm", "a wrong realm" },       { "wrong-uri", "a wrong digest-uri" },
		{ "replay", "a replayed Authorization" }, { "stale", "an expired nonce" },
	};
	/* a live run sends wrong credentials on purpose; in a capture the analyzer
	 * only infers what the sender did, and the sender may be at fault */
	bool live = !strcmp(rj_s(rj_obj(r, "source"), "kind"), "live");
	for (size_t i = 0; i < XS_ARRAY_SIZE(intents); i++)
		if (!strcmp(rj_s(ex, "intent"), intents[i].intent)) {
			bool plain = i < 2;
			xs_buf_printf(&b, "%s%s", intents[i].words,
				      plain ? "" : live ? " (on purpose)"
							: " (inferred from the capture and the credentials)");
			json_array_append_new(m, json_pack("[s, s]", "Credentials sent",
							   xs_buf_cstr(&b)));
			xs_buf_reset(&b);
		}
	if (rj_str(ex, "expected_profile"))
		json_array_append_new(m, json_pack("[s, s]", "Expected profile",
						   rj_str(ex, "expected_profile")));
	if (rj_int(ex, "fetch_window_us") > 0) {
		char s[32];
		snprintf(s, sizeof s, "%lld ms", (long long)(rj_int(ex, "fetch_window_us") / 1000));
		json_array_append_new(m, json_pack("[s, s]", "Fetch window", s));
	}
	if (json_is_integer(json_object_get(ex, "part"))) {
		const json_t *src = json_array_get(rj_arr(rj_obj(r, "source"), "parts"),
						   (size_t)rj_int(ex, "part"));
		const char *what = rj_str(src, "target") ? rj_str(src, "target")
							 : json_string_value(json_array_get(
								   rj_arr(src, "files"), 0));
		if (what)
			json_array_append_new(m, json_pack("[s, s]", "From", what));
	}
	return m;
}

static int exchange_data(struct xs_buf *o, const json_t *r, const json_t *ex, const json_t *dev,
			 bool with_raw)
{
	json_t *lanes = json_pack("[[s, n], [s, s?], [s, n]]", "Controller (sender)",
				  "Phone under test", rj_str(dev, "address"), "HTTP server");
	json_t *rows = lanes ? rows_json(ex, lanes, with_raw) : NULL;
	json_t *d = json_pack("{s:o, s:o, s:o, s:o}", "lanes", lanes, "rows", rows, "f",
			      findings_json(ex), "meta", meta_json(r, ex, dev));
	if (!d)
		return -ENOMEM;
	xs_buf_puts(o, "<script type=\"application/json\" class=\"xd\">");
	int rc = put_json(o, d);
	xs_buf_puts(o, "</script>");
	json_decref(d);
	return rc;
}

static int exchange_row(struct xs_buf *o, const json_t *r, const json_t *ex, bool with_raw)
{
	const json_t *dev = report_device(r, rj_str(ex, "device"));
	size_t c[REPORT_N_VERDICTS], i;
	json_t *f;
	int v = report_exchange_verdict(ex);
	report_exchange_counts(ex, c);
	xs_buf_printf(o, "<details class=\"ex v-%s\" data-v=\"%s\" data-rules=\"",
		      v < 0 ? "none" : verdict_word[v], v < 0 ? "none" : verdict_word[v]);
	json_array_foreach(rj_arr(ex, "findings"), i, f) {
		xs_buf_puts(o, i ? " " : "");
		e(o, rj_s(f, "rule"));
		xs_buf_puts(o, "=");
		e(o, rj_s(f, "verdict"));
	}
	xs_buf_puts(o, "\"><summary>");
	badge(o, v);
	xs_buf_puts(o, "<span class=\"id\">");
	e(o, rj_s(ex, "id"));
	xs_buf_puts(o, "</span><span class=\"t\">");
	const char *scen = rj_str(ex, "scenario"), *title = rj_str(ex, "title");
	e(o, scen);
	xs_buf_puts(o, scen && title ? " \xe2\x80\x94 " : "");
	e(o, title);
	if (!scen && !title)
		xs_buf_puts(o, "push attempt");
	xs_buf_puts(o, "</span>");
	size_t shown = 0;
	json_array_foreach(rj_arr(ex, "findings"), i, f) {
		int fv = report_verdict_index(rj_str(f, "verdict"));
		if (fv != XS_FAIL && fv != XS_ERROR)
			continue;
		if (shown == 3) {
			xs_buf_puts(o, " \xe2\x80\xa6");
			break;
		}
		xs_buf_puts(o, shown++ ? " " : "<span class=\"fr\">");
		e(o, rj_s(f, "rule"));
	}
	if (shown)
		xs_buf_puts(o, "</span>");
	xs_buf_puts(o, "<span class=\"dev\">");
	struct xs_buf l = { 0 };
	report_device_label(dev, &l);
	e(o, xs_buf_cstr(&l));
	xs_buf_reset(&l);
	xs_buf_printf(o, "</span><span class=\"cnt\">%zu pass \xc2\xb7 %zu fail", c[XS_PASS],
		      c[XS_FAIL] + c[XS_ERROR]);
	if (c[XS_WARN])
		xs_buf_printf(o, " \xc2\xb7 %zu warn", c[XS_WARN]);
	if (c[XS_SKIP])
		xs_buf_printf(o, " \xc2\xb7 %zu skip", c[XS_SKIP]);
	xs_buf_puts(o, "</span></summary><div class=\"exb\"></div>");
	int rc = exchange_data(o, r, ex, dev, with_raw || (v != XS_PASS && v != XS_SKIP));
	xs_buf_puts(o, "</details>\n");
	return rc;
}

struct order {
	int rank;
	size_t i;
};

static int order_cmp(const void *a, const void *b)
{
	const struct order *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank - y->rank;
	return x->i < y->i ? -1 : x->i > y->i;
}

static int exchanges(struct xs_buf *o, const json_t *r)
{
	static const int rank[REPORT_N_VERDICTS] = { 3, 1, 2, 4, 0 };
	const json_t *exs = rj_arr(r, "exchanges");
	size_t n = json_array_size(exs);
	xs_buf_printf(o, "<h2 id=\"exchanges-h\">Exchanges (%zu)</h2>\n", n);
	if (!n) {
		xs_buf_puts(o, "<p class=\"none\">No exchange was recorded.</p>\n");
		return 0;
	}
	xs_buf_puts(o, "<p class=\"hint\">Failing exchanges first. Open one to see its ladder "
		       "diagram, its findings and the messages as they were sent.</p>\n"
		       "<noscript><p><b>The ladder diagrams need JavaScript.</b> The same data is "
		       "in result.json, junit.xml and report.md.</p></noscript>\n"
		       "<div class=\"bar\"><button data-mode=\"all\" class=\"on\">All</button>"
		       "<button data-mode=\"fail\">Failing</button><button data-mode=\"warn\">"
		       "Warnings</button><button data-mode=\"pass\">Passing</button>"
		       "<input id=\"q\" type=\"search\" placeholder=\"Filter, e.g. XS-BODY-02=fail or e12\"><span class=\"shown\" id=\"shown\"></span>"
		       "</div>\n<div id=\"exchanges\">\n");
	struct order *ord = calloc(n, sizeof *ord);
	if (!ord)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int v = report_exchange_verdict(json_array_get(exs, i));
		ord[i] = (struct order){ v < 0 ? 5 : rank[v], i };
	}
	qsort(ord, n, sizeof *ord, order_cmp);
	int rc = 0;
	/* a page of 10,000 exchanges stays light: passing ones past the first keep no raw bytes */
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = exchange_row(o, r, json_array_get(exs, ord[i].i), i < HTML_RAW_ALL_MAX);
	free(ord);
	xs_buf_puts(o, "</div>\n");
	return rc;
}

static void notes(struct xs_buf *o, const json_t *r)
{
	const json_t *ns = rj_arr(r, "notes");
	size_t i;
	json_t *n;
	if (!json_array_size(ns))
		return;
	xs_buf_printf(o, "<h2 id=\"notes-h\">Notes (%zu)</h2>\n<p class=\"hint\">Input that was "
			 "skipped or could not be judged.</p>\n<table id=\"notes\"><tr><th>File"
			 "</th><th class=\"n\">Frame</th><th>What</th></tr>\n",
		      json_array_size(ns));
	json_array_foreach(ns, i, n) {
		if (i == HTML_MAX_NOTES) {
			xs_buf_printf(o, "<tr><td colspan=\"3\" class=\"none\">%zu more notes are in "
					 "the JSON result.</td></tr>\n",
				      json_array_size(ns) - HTML_MAX_NOTES);
			break;
		}
		xs_buf_puts(o, "<tr><td>");
		e(o, rj_s(n, "file"));
		xs_buf_printf(o, "</td><td class=\"n\">%lld</td><td>", (long long)rj_int(n, "frame"));
		e(o, rj_s(n, "what"));
		xs_buf_puts(o, "</td></tr>\n");
	}
	xs_buf_puts(o, "</table>\n");
}

/* The statement, reference and subject of each rule, for the script. */
static int rules_json(struct xs_buf *o, const json_t *r)
{
	json_t *m = json_object(), *rule;
	size_t i;
	if (!m)
		return -ENOMEM;
	json_array_foreach(rj_arr(r, "rules"), i, rule)
		json_object_set_new(m, rj_s(rule, "id"),
				    json_pack("[s, s, s]", rj_str(rule, "statement")
							     ? rj_s(rule, "statement")
							     : "(not in the rule catalogue)",
					      rj_s(rule, "reference"), rj_s(rule, "subject")));
	xs_buf_puts(o, "<script type=\"application/json\" id=\"xs-rules\">");
	int rc = put_json(o, m);
	xs_buf_puts(o, "</script>\n");
	json_decref(m);
	return rc;
}

/* 'sha256-BASE64' of the inline script, for the Content-Security-Policy. */
static int script_hash(char *out, size_t size)
{
	const struct cryptort *cr = cryptort();
	unsigned char md[32];
	unsigned int mdlen = 0;
	struct xs_buf b = { 0 };
	if (!cr->digest(html_js, strlen(html_js), md, &mdlen, cr->sha256(), NULL))
		return -ENOMEM;
	int r = report_b64_encode(&b, md, mdlen);
	if (r == 0)
		snprintf(out, size, "'sha256-%s'", xs_buf_cstr(&b) ? (char *)b.p : "");
	xs_buf_reset(&b);
	return r;
}

int report_render_html(const json_t *r, struct xs_buf *o)
{
	char hash[80];
	int rc = script_hash(hash, sizeof hash);
	if (rc < 0)
		return rc;
	const char *verdict = rj_s(rj_obj(r, "summary"), "verdict");
	xs_buf_printf(o,
		      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		      "style-src 'unsafe-inline'; img-src data:; script-src %s\">\n"
		      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		      "<meta name=\"generator\" content=\"xscert\">\n"
		      "<title>xscert report: %s</title>\n<style>\n%s</style></head>\n<body><main>\n"
		      "<h1>xscert certification report \xe2\x80\x94 SIP NOTIFY Event: XML-Service"
		      "</h1>\n",
		      hash, !strcmp(verdict, "fail") ? "FAIL" : "PASS", html_css);
	verdict_box(o, r);
	xs_buf_puts(o, intro);
	devices_table(o, r);
	rules_table(o, r);
	if ((rc = exchanges(o, r)) < 0)
		return rc;
	notes(o, r);
	xs_buf_puts(o, "<footer>Schema ");
	e(o, rj_s(r, "schema"));
	xs_buf_puts(o, ". Messages are shown byte for byte as sent or captured (a grey \\r\\n marks "
		       "each CR LF, \\xNN a byte that is not text). Digest responses appear as sent; passwords are never "
		       "recorded.</footer>\n</main>\n");
	if ((rc = rules_json(o, r)) < 0)
		return rc;
	xs_buf_printf(o, "<script>%s</script>\n</body></html>\n", html_js);
	return o->oom ? -ENOMEM : 0;
}
