#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# make-samples.py — write the sample xscert-report/1 results the report tests read:
#   pass.json (live run on the emulator, every check passes), fail.json (a capture with
#   failing rules), hostile.json (attacker-controlled bytes: markup, script, ANSI escapes,
#   invalid UTF-8, a stray "password" member), or with --big N OUT a result of N exchanges.
# Usage: make-samples.py DIR            (regenerates the three samples in DIR)
#        make-samples.py --big N OUT.json
import base64, json, sys

RULES = [
    ("XS-CHAL-01", "phone", "an XML-Service NOTIFY without credentials is answered 401, never 2xx", "RFC 3261 §22.2; Cisco KB: SIP NOTIFY XML-Service"),
    ("XS-CHAL-02", "phone", "the 401 has a well-formed Digest challenge with realm and nonce", "RFC 7616 §3.3"),
    ("XS-CHAL-03", "phone", "qop is offered and includes auth", "RFC 7616 §3.3"),
    ("XS-AUTH-01", "phone", "correct credentials are accepted", "RFC 3261 §22.2"),
    ("XS-DIG-01", "sender", "the digest response is right for the known password", "RFC 7616 §3.4.1"),
    ("XS-DIG-04", "sender", "the retry keeps Call-ID and From tag and increments CSeq", "RFC 3261 §8.1.3.5"),
    ("XS-BODY-01", "sender", "Content-Length equals the body's length", "RFC 3261 §20.14"),
    ("XS-BODY-02", "sender", "a URL body does not end with CR or LF", "Cisco KB: SIP NOTIFY XML-Service"),
    ("XS-FETCH-01", "phone", "after accepting a URL, the phone fetches it within the window", "Cisco KB: SIP NOTIFY XML-Service"),
    ("XS-FETCH-02", "phone", "the fetched URL is exactly the pushed one", "Cisco KB: SIP NOTIFY XML-Service"),
]
VERDICTS = ["pass", "fail", "warn", "skip", "error"]
T0 = 1763796600_000000  # 2025-11-22T07:30:00Z in microseconds


def ts(us):
    return "%d.%06d" % (us // 1000000, us % 1000000)


def sip(start, hdrs, body=b""):
    h = "".join("%s: %s\r\n" % kv for kv in hdrs)
    return (start + "\r\n" + h).encode() + b"Content-Length: %d\r\n\r\n" % len(body) + body


def put_raw(m, raw):
    try:
        s = raw.decode("utf-8")
        if "\0" in s:
            raise UnicodeError
        m["raw"] = s
    except UnicodeError:
        m["raw_b64"] = base64.b64encode(raw).decode()
    return m


def exchange(n, t, phone="127.0.0.1:5060", ctl="127.0.0.1:5070", url=None, body=None,
             server="Cisco/SPA504G-7.6.2c", fail=(), scenario="url-push", frames=False,
             extra_hdr=None, device="d1"):
    url = url or "http://127.0.0.1:8080/xs/%06d.xml" % n
    body = body if body is not None else url.encode()
    cid = "c%d@127.0.0.1" % n
    base = [("Via", "SIP/2.0/UDP %s;branch=z9hG4bK-%d" % (ctl, n)),
            ("From", "<sip:xscert@%s>;tag=f%d" % (ctl, n)), ("To", "<sip:159@%s>" % phone),
            ("Call-ID", cid)]
    notify1 = sip("NOTIFY sip:159@%s SIP/2.0" % phone, base + [("CSeq", "1 NOTIFY"), ("Event", "XML-Service"), ("Content-Type", "text/plain")] + (extra_hdr or []), body)
    chal = sip("SIP/2.0 401 Unauthorized", base + [("CSeq", "1 NOTIFY"), ("Server", server),
               ("WWW-Authenticate", 'Digest realm="spa", nonce="n%08x", qop="auth", algorithm=MD5' % (n * 2654435761 % 2**32))])
    auth = ('Digest username="159", realm="spa", nonce="n%08x", uri="sip:159@%s", response="%032x", '
            'qop=auth, nc=00000001, cnonce="cn%d", algorithm=MD5' % (n * 2654435761 % 2**32, phone, n * 7919, n))
    notify2 = sip("NOTIFY sip:159@%s SIP/2.0" % phone, base + [("CSeq", "2 NOTIFY"), ("Event", "XML-Service"), ("Content-Type", "text/plain"), ("Authorization", auth)], body)
    ok = sip("SIP/2.0 200 OK", base + [("CSeq", "2 NOTIFY"), ("Server", server)])
    msgs = []
    spec = [("notify", "to-phone", notify1, "NOTIFY sip:159@%s" % phone, 0),
            ("challenge", "from-phone", chal, "401 Unauthorized", 1800),
            ("retry", "to-phone", notify2, "NOTIFY sip:159@%s" % phone, 2900),
            ("final", "from-phone", ok, "200 OK", 4650)]
    for i, (role, d, raw, summ, dt) in enumerate(spec):
        src, dst = (ctl, phone) if d == "to-phone" else (phone, ctl)
        msgs.append(put_raw({"index": i, "role": role, "dir": d, "transport": "udp", "src": src,
                             "dst": dst, "ts": ts(t + dt), "frame": (n * 10 + i + 1) if frames else 0,
                             "summary": summ}, raw))
    http = []
    if "XS-FETCH-01" not in fail:
        http.append({"ts": ts(t + 31200), "frame": (n * 10 + 5) if frames else 0, "src": phone.rsplit(":", 1)[0] + ":40112",
                     "dst": "127.0.0.1:8080", "method": "GET", "target": url.split("8080", 1)[-1],
                     "url": url, "user_agent": server})
    finds = []
    for rid, subj, _, _ in RULES:
        v = "fail" if rid in fail else "pass"
        if rid == "XS-DIG-01" and frames:
            v = "skip"
        detail = {"pass": "holds", "skip": "no password given for this capture (--credentials)"}.get(v)
        ev = None
        if rid == "XS-BODY-02" and v == "fail":
            detail, ev = "the URL body ends with CR LF (2 bytes after the URL)", "frame:%d" % (n * 10 + 1) if frames else "msg:0"
        elif rid == "XS-FETCH-01" and v == "fail":
            detail, ev = "no HTTP GET within 30000 ms after the 200 OK", "msg:3"
        elif rid == "XS-CHAL-01" and v == "fail":
            detail, ev = "the first NOTIFY was answered 200 OK without a challenge", "msg:1"
        elif v == "fail":
            detail, ev = "broken", "msg:2"
        elif rid in ("XS-CHAL-01", "XS-CHAL-02", "XS-CHAL-03"):
            ev = "msg:1"
        finds.append({"rule": rid, "verdict": v, "subject": subj, "detail": detail, "evidence": ev})
    return {"id": "e%d" % n, "device": device, "scenario": scenario,
            "title": "push a URL and expect one fetch", "intent": "correct",
            "expected_profile": "spa50x-7.4.4+", "fetch_window_us": 30000000,
            "messages": msgs, "http": http, "findings": finds}


def summary(doc):
    def zero():
        return {v: 0 for v in VERDICTS}
    tot, rules = zero(), {r["id"]: zero() for r in doc["rules"]}
    bydev = {d["id"]: {"verdict": "pass", "exchanges": 0, "findings": zero()} for d in doc["devices"]}
    for ex in doc["exchanges"]:
        dv = bydev.get(ex["device"])
        if dv:
            dv["exchanges"] += 1
        for f in ex["findings"]:
            tot[f["verdict"]] += 1
            rules.setdefault(f["rule"], zero())[f["verdict"]] += 1
            if dv:
                dv["findings"][f["verdict"]] += 1
    for dv in bydev.values():
        dv["verdict"] = "fail" if dv["findings"]["fail"] or dv["findings"]["error"] else "pass"
    return {"verdict": "fail" if tot["fail"] or tot["error"] else "pass",
            "exchanges": len(doc["exchanges"]), "devices": len(doc["devices"]),
            "findings": tot, "rules": rules, "by_device": bydev}


def doc(source, devices, exchanges, notes=()):
    d = {"schema": "xscert-report/1", "tool": {"name": "xscert", "version": "0.1.0"},
         "generated": "2025-11-22T07:30:00Z", "source": source, "devices": devices,
         "rules": [{"id": i, "subject": s, "statement": st, "reference": ref} for i, s, st, ref in RULES],
         "exchanges": exchanges, "notes": list(notes)}
    d["summary"] = summary(d)
    return d


DEV = {"id": "d1", "address": "127.0.0.1:5060", "server": "Cisco/SPA504G-7.6.2c", "model": "SPA504G",
       "firmware": "7.6.2c", "profile": "spa50x-7.4.4+"}


def sample_pass():
    exs = [exchange(i + 1, T0 + i * 500000) for i in range(3)]
    return doc({"kind": "live", "target": "udp:127.0.0.1:5060", "emulated": True, "files": []}, [DEV], exs)


def sample_fail():
    dev = dict(DEV, address="10.0.0.5:5060")
    exs = [exchange(1, T0, phone="10.0.0.5:5060", ctl="10.0.0.1:5060", frames=True, scenario=None),
           exchange(2, T0 + 2000000, phone="10.0.0.5:5060", ctl="10.0.0.1:5060", frames=True, scenario=None,
                    body=b"http://10.0.0.1/xs/menu.xml\r\n", url="http://10.0.0.1/xs/menu.xml",
                    fail=("XS-BODY-02", "XS-FETCH-01")),
           exchange(3, T0 + 4000000, phone="10.0.0.5:5060", ctl="10.0.0.1:5060", frames=True, scenario=None,
                    fail=("XS-CHAL-01",))]
    for ex in exs:
        ex["intent"], ex["expected_profile"], ex["fetch_window_us"] = "unknown", None, 30000000
    return doc({"kind": "capture", "target": None, "emulated": False, "files": ["field-site-a.pcapng"]}, [dev], exs,
               [{"file": "field-site-a.pcapng", "frame": 77, "what": "SIP over TCP segment missing: message at frame 77 skipped"}])


def sample_hostile():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'
    dev = {"id": "d1", "address": "127.0.0.1:5060", "server": "Evil\x1b[31mRED\x1b[0m " + evil,
           "model": "SPA504G</td><script>alert(3)</script><img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">", "firmware": "7.6.2c", "profile": "spa50x-7.4.4+"}
    ex = exchange(1, T0, server=dev["server"], fail=("XS-BODY-02",), scenario="</script><script>alert(4)</script>",
                  body=b"http://127.0.0.1/x?<script>alert(5)</script>\r\n\xff\xfe\x00bad",
                  extra_hdr=[("X-Evil", "<svg onload=\"document.body.setAttribute('data-pwned','2')\"></svg></script><!--<script>alert(6)</script>-->]]> \u2028 | `code` *bold* [link](javascript:alert(7))")])
    ex["title"] = "<b>bold</b> & ]]> \x07bell"
    ex["findings"][0]["detail"] = "detail with <script>alert(8)</script> and ]]> and \x1b[2J"
    ex["findings"][7]["detail"] = "ends with CR LF <img src=x onerror=alert(9)> [link](javascript:alert(10)) | `x` \x1b[2J"
    d = doc({"kind": "live", "target": "udp:127.0.0.1:5060", "emulated": True, "files": [],
             "password": "hunter2-must-never-appear"}, [dev], [ex])
    d["tool"]["ha1"] = "0123456789abcdef0123456789abcdef"
    return d


def big(n):
    devs = [dict(DEV, id="d%d" % (k + 1), address="127.0.0.%d:5060" % (k + 1)) for k in range(4)]
    exs = []
    for i in range(n):
        fail = ("XS-BODY-02",) if i % 97 == 5 else ()
        exs.append(exchange(i + 1, T0 + i * 100000, phone=devs[i % 4]["address"], fail=fail, device=devs[i % 4]["id"]))
    return doc({"kind": "live", "target": "udp:127.0.0.1:5060", "emulated": True, "files": []}, devs, exs)


def write(path, d, indent=1):
    with open(path, "w") as f:
        json.dump(d, f, indent=indent, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--big":
        write(sys.argv[3], big(int(sys.argv[2])), indent=None)
    elif len(sys.argv) == 2:
        write(sys.argv[1] + "/pass.json", sample_pass())
        write(sys.argv[1] + "/fail.json", sample_fail())
        write(sys.argv[1] + "/hostile.json", sample_hostile())
    else:
        sys.exit("usage: make-samples.py DIR | --big N OUT.json")
