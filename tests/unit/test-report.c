/* SPDX-License-Identifier: MIT */
/* test-report.c — the xscert-report/1 document, its validation, merge and the rendered formats. */
#include <criterion/criterion.h>

#include "harness/rules/record.h"
#include "harness/rules/rules.h"
#include "report/report-int.h"
#include "report/report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---- */

static json_t *load_sample(const char *name)
{
	const char *src = getenv("XSCERT_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/report/%s", src ? src : ".", name);
	json_error_t err;
	json_t *j = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	cr_assert_not_null(j, "%s:%d:%d: %s", path, err.line, err.column, err.text);
	return j;
}

static char *render(const json_t *j, enum report_format f, size_t *len)
{
	struct xs_buf b = { 0 };
	cr_assert_eq(report_render(j, f, &b), 0, "render %s", report_format_name(f));
	return xs_buf_steal(&b, len);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static struct sip_msg *msg(const char *raw, size_t len, enum xs_dir dir, int64_t ts)
{
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)raw, len), 0, "parse %.30s", raw);
	m->dir = dir;
	m->ts_us = ts;
	m->tp = XS_TP_UDP;
	struct xs_endpoint ctl = { "127.0.0.1", 5070 }, ph = { "127.0.0.1", 5060 };
	m->src = dir == XS_DIR_TO_PHONE ? ctl : ph;
	m->dst = dir == XS_DIR_TO_PHONE ? ph : ctl;
	return m;
}

#define HDRS                                                                                  \
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1\r\nFrom: <sip:a@127.0.0.1>;tag=f1\r\n" \
	"To: <sip:159@127.0.0.1>\r\nCall-ID: c1@h\r\n"

static const char notify1[] = "NOTIFY sip:159@127.0.0.1:5060 SIP/2.0\r\n" HDRS
			      "CSeq: 1 NOTIFY\r\nEvent: XML-Service\r\nContent-Length: 30\r\n\r\n"
			      "http://x/<script>alert(1)</sc\xff";
static const char chal[] = "SIP/2.0 401 Unauthorized\r\n" HDRS "CSeq: 1 NOTIFY\r\n"
			   "WWW-Authenticate: Digest realm=\"spa\", nonce=\"abc\", qop=\"auth\"\r\n"
			   "Content-Length: 0\r\n\r\n";
static const char notify2[] = "NOTIFY sip:159@127.0.0.1:5060 SIP/2.0\r\n" HDRS
			      "CSeq: 2 NOTIFY\r\nEvent: XML-Service\r\n"
			      "Authorization: Digest username=\"159\", realm=\"spa\", nonce=\"abc\", "
			      "uri=\"sip:159@127.0.0.1:5060\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
			      "Content-Length: 8\r\n\r\nhttp://x";
static const char ok[] = "SIP/2.0 200 OK\r\n" HDRS "CSeq: 2 NOTIFY\r\nContent-Length: 0\r\n\r\n";

/* A live result: one device, one exchange of four messages, one HTTP GET, three findings. */
static struct xs_result *sample_result(void)
{
	struct xs_result *r = NULL;
	cr_assert_eq(xs_result_new(&r, XS_SOURCE_LIVE), 0);
	r->target = strdup("udp:127.0.0.1:5060");
	r->emulated = true;
	struct xs_device d = { "d1", "127.0.0.1:5060", "Cisco/SPA504G-7.6.2c", "SPA504G", "7.6.2c",
			       "spa50x-7.4.4+" };
	cr_assert_eq(xs_result_add_device(r, &d), 0);
	struct xs_exchange *ex = NULL;
	cr_assert_eq(xs_exchange_new(&ex, "e1"), 0);
	ex->scenario = strdup("url-push");
	ex->title = strdup("push a URL");
	ex->device_id = r->devices[0].id;
	ex->intent = XS_AUTH_CORRECT;
	int64_t t0 = 1763796600000000LL;
	xs_exchange_add_msg(ex, msg(notify1, sizeof notify1 - 1, XS_DIR_TO_PHONE, t0));
	xs_exchange_add_msg(ex, msg(chal, sizeof chal - 1, XS_DIR_FROM_PHONE, t0 + 1500));
	xs_exchange_add_msg(ex, msg(notify2, sizeof notify2 - 1, XS_DIR_TO_PHONE, t0 + 2750));
	xs_exchange_add_msg(ex, msg(ok, sizeof ok - 1, XS_DIR_FROM_PHONE, t0 + 4000));
	ex->i_notify = 0, ex->i_challenge = 1, ex->i_retry = 2, ex->i_final = 3;
	struct xs_http_req h = { .src = { "127.0.0.1", 40000 }, .dst = { "127.0.0.1", 8080 },
				 .ts_us = t0 + 30000, .method = "GET", .target = "/x",
				 .url = "http://127.0.0.1:8080/x", .user_agent = "SPA" };
	cr_assert_eq(xs_exchange_add_http(ex, &h), 0);
	xs_exchange_add_finding(ex, "XS-CHAL-01", XS_PASS, XS_SUBJECT_PHONE, "msg:1", "answered %d", 401);
	xs_exchange_add_finding(ex, "XS-BODY-02", XS_FAIL, XS_SUBJECT_SENDER, "msg:0",
				"body ends with <%s>", "script");
	xs_exchange_add_finding(ex, "XS-DIG-01", XS_SKIP, XS_SUBJECT_SENDER, NULL, "no password");
	cr_assert_eq(xs_result_add_exchange(r, ex), 0);
	return r;
}

/* ---- the document ---- */

Test(report, from_result_fields)
{
	struct xs_result *r = sample_result();
	json_t *j = report_from_result(r, "2026-01-02T03:04:05Z");
	cr_assert_not_null(j);
	char err[200];
	cr_assert_eq(report_validate(j, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(rj_s(j, "schema"), REPORT_SCHEMA);
	cr_assert_str_eq(rj_s(j, "generated"), "2026-01-02T03:04:05Z");
	cr_assert_str_eq(rj_s(rj_obj(j, "source"), "kind"), "live");
	cr_assert(json_is_true(json_object_get(rj_obj(j, "source"), "emulated")));
	const json_t *dev = json_array_get(rj_arr(j, "devices"), 0);
	cr_assert_str_eq(rj_s(dev, "model"), "SPA504G");
	const json_t *ex = json_array_get(rj_arr(j, "exchanges"), 0);
	cr_assert_str_eq(rj_s(ex, "device"), "d1");
	cr_assert_str_eq(rj_s(ex, "intent"), "correct");
	const json_t *m0 = json_array_get(rj_arr(ex, "messages"), 0);
	const json_t *m1 = json_array_get(rj_arr(ex, "messages"), 1);
	cr_assert_str_eq(rj_s(m0, "role"), "notify");
	cr_assert_str_eq(rj_s(m1, "role"), "challenge");
	cr_assert_str_eq(rj_s(m0, "ts"), "1763796600.000000");
	cr_assert_str_eq(rj_s(m1, "ts"), "1763796600.001500");
	cr_assert_str_eq(rj_s(m0, "dir"), "to-phone");
	cr_assert_str_eq(rj_s(m0, "src"), "127.0.0.1:5070");
	/* the 0xff byte makes the first NOTIFY base64; the others stay text */
	cr_assert_null(json_object_get(m0, "raw"));
	struct xs_buf raw = { 0 };
	cr_assert_eq(report_msg_raw(m0, &raw), 0);
	cr_assert_eq(raw.len, sizeof notify1 - 1);
	cr_assert(memcmp(raw.p, notify1, raw.len) == 0, "raw_b64 round-trips byte for byte");
	xs_buf_reset(&raw);
	cr_assert_str_eq(rj_s(m1, "raw"), chal);
	const json_t *s = rj_obj(j, "summary");
	cr_assert_str_eq(rj_s(s, "verdict"), "fail");
	cr_assert_eq(rj_int(rj_obj(s, "findings"), "pass"), 1);
	cr_assert_eq(rj_int(rj_obj(s, "findings"), "fail"), 1);
	cr_assert_eq(rj_int(rj_obj(s, "findings"), "skip"), 1);
	cr_assert_eq(rj_int(json_object_get(rj_obj(s, "rules"), "XS-BODY-02"), "fail"), 1);
	/* the rules used, with the catalogue's statement */
	cr_assert_eq(json_array_size(rj_arr(j, "rules")), 3);
	const json_t *rule = report_rule(j, "XS-CHAL-01");
	cr_assert_not_null(rule);
	cr_assert_str_eq(rj_s(rule, "statement"), rules_find("XS-CHAL-01")->statement);
	json_decref(j);
	xs_result_free(r);
}

Test(report, same_input_same_bytes)
{
	struct xs_result *r = sample_result();
	json_t *a = report_from_result(r, "2026-01-02T03:04:05Z");
	json_t *b = report_from_result(r, "2026-01-02T03:04:05Z");
	for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
		size_t la, lb;
		char *x = render(a, (enum report_format)f, &la);
		char *y = render(b, (enum report_format)f, &lb);
		cr_assert_eq(la, lb, "%s: same length", report_format_name((enum report_format)f));
		cr_assert(memcmp(x, y, la) == 0, "%s: same bytes", report_format_name((enum report_format)f));
		free(x);
		free(y);
	}
	json_decref(a);
	json_decref(b);
	xs_result_free(r);
}

Test(report, lean_result_gives_the_same_summary)
{
	struct xs_result *r = sample_result();
	/* more exchanges: of no device, of the device again, every verdict, a rule not in the catalogue */
	static const enum xs_verdict vs[] = { XS_PASS, XS_FAIL, XS_WARN, XS_SKIP, XS_ERROR };
	for (int e = 0; e < 3; e++) {
		struct xs_exchange *ex = NULL;
		char id[8];
		snprintf(id, sizeof id, "e%d", e + 2);
		cr_assert_eq(xs_exchange_new(&ex, id), 0);
		ex->device_id = e == 1 ? NULL : r->devices[0].id;
		for (int k = 0; k < 7; k++)
			xs_exchange_add_finding(ex, k == 6 ? "XS-NOT-IN-CATALOGUE" : k % 2 ? "XS-SIP-01" : "XS-FW-01",
						vs[(e + k) % 5], XS_SUBJECT_PHONE, NULL, "%d", k);
		cr_assert_eq(xs_result_add_exchange(r, ex), 0);
	}
	json_t *full = report_from_result(r, "2026-01-02T03:04:05Z");
	json_t *lean = report_from_result_lean(r, "2026-01-02T03:04:05Z");
	cr_assert_not_null(lean);
	/* no exchanges; the summary (counted from the records) and the rest as in the full report */
	cr_assert_eq(json_array_size(rj_arr(lean, "exchanges")), 0);
	cr_assert_gt(json_array_size(rj_arr(full, "exchanges")), 1);
	const char *same[] = { "summary", "source", "devices", "rules", "notes", "schema", "tool" };
	for (size_t i = 0; i < XS_ARRAY_SIZE(same); i++)
		cr_assert(json_equal(json_object_get(full, same[i]), json_object_get(lean, same[i])),
			  "%s", same[i]);
	struct xs_buf a = { 0 }, b = { 0 };
	cr_assert_eq(report_summary_text(full, &a), 0);
	cr_assert_eq(report_summary_text(lean, &b), 0);
	cr_assert_eq(a.len, b.len);
	cr_assert(a.len && !memcmp(a.p, b.p, a.len));
	xs_buf_reset(&a);
	xs_buf_reset(&b);
	json_decref(full);
	json_decref(lean);
	xs_result_free(r);
}

Test(report, json_render_round_trips)
{
	json_t *j = load_sample("fail.json");
	size_t len;
	char *s = render(j, REPORT_JSON, &len);
	json_t *back = json_loads(s, 0, NULL);
	cr_assert(json_equal(j, back), "json render is the document itself");
	free(s);
	json_decref(back);
	json_decref(j);
}

/* ---- hostile input ---- */

Test(report, hostile_html_is_escaped)
{
	json_t *j = load_sample("hostile.json");
	cr_assert_eq(report_validate(j, NULL, 0), 0);
	size_t len;
	char *h = render(j, REPORT_HTML, &len);
	/* the only scripts: one JSON island per exchange, the rules island, the code */
	cr_assert_eq(count(h, "<script"), 3, "no injected script element");
	cr_assert_eq(count(h, "</script"), 3);
	cr_assert_eq(count(h, "<img"), 0);
	cr_assert_eq(count(h, "<b>bold"), 0);
	cr_assert_eq(count(h, "\x1b"), 0, "no terminal escape reaches the page");
	cr_assert_eq(count(h, "<!--"), 0);
	cr_assert_gt(count(h, "&lt;script&gt;alert(3)"), 0, "hostile text shown, escaped");
	cr_assert_eq(count(h, "https://"), 0, "nothing fetched from anywhere");
	cr_assert_eq(count(h, "http-equiv=\"Content-Security-Policy\""), 1);
	free(h);
	json_decref(j);
}

Test(report, hostile_junit_and_md_are_escaped)
{
	json_t *j = load_sample("hostile.json");
	size_t len;
	char *x = render(j, REPORT_JUNIT, &len);
	cr_assert_eq(count(x, "<script"), 0);
	cr_assert_eq(count(x, "\x1b"), 0, "no control character in XML");
	cr_assert_eq(count(x, "\x07"), 0);
	cr_assert_eq(count(x, "<failure"), 1);
	free(x);
	char *m = render(j, REPORT_MD, &len);
	cr_assert_eq(count(m, "<script"), 0);
	cr_assert_eq(count(m, "[link]("), 0, "no live link");
	cr_assert_gt(count(m, "alert(10)"), 0, "the hostile detail is shown");
	cr_assert_eq(count(m, "\x1b"), 0);
	free(m);
	struct xs_buf t = { 0 };
	cr_assert_eq(report_summary_text(j, &t), 0);
	cr_assert_eq(count(xs_buf_cstr(&t), "\x1b"), 0, "no ANSI escape on the terminal");
	xs_buf_reset(&t);
	json_decref(j);
}

Test(report, no_password_anywhere)
{
	json_t *j = load_sample("hostile.json");
	cr_assert_not_null(json_object_get(rj_obj(j, "source"), "password"), "the sample has one");
	for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
		size_t len;
		char *s = render(j, (enum report_format)f, &len);
		cr_assert_eq(count(s, "hunter2"), 0, "%s", report_format_name((enum report_format)f));
		cr_assert_eq(count(s, "\"password\""), 0);
		cr_assert_eq(count(s, "0123456789abcdef0123456789abcdef\""), 0, "no HA1");
		free(s);
	}
	json_t *parts[1] = { j };
	json_t *m = report_merge(parts, 1);
	char *s = json_dumps(m, 0);
	cr_assert_eq(count(s, "hunter2"), 0);
	cr_assert_eq(count(s, "ha1"), 0);
	free(s);
	json_decref(m);
	json_decref(j);
}

/* ---- merge ---- */

Test(report, merge_counts_and_devices)
{
	json_t *p = load_sample("pass.json"), *f = load_sample("fail.json");
	json_t *parts[3] = { p, f, p };
	json_t *m = report_merge(parts, 3);
	cr_assert_not_null(m);
	char err[200];
	cr_assert_eq(report_validate(m, err, sizeof err), 0, "%s", err);
	const json_t *s = rj_obj(m, "summary"), *ps = rj_obj(p, "summary"),
		     *fs = rj_obj(f, "summary");
	for (int v = 0; v < REPORT_N_VERDICTS; v++) {
		const char *k = report_verdicts[v];
		cr_assert_eq(rj_int(rj_obj(s, "findings"), k),
			     2 * rj_int(rj_obj(ps, "findings"), k) + rj_int(rj_obj(fs, "findings"), k),
			     "%s", k);
	}
	cr_assert_eq(rj_int(s, "exchanges"), 2 * rj_int(ps, "exchanges") + rj_int(fs, "exchanges"));
	cr_assert_str_eq(rj_s(s, "verdict"), "fail");
	cr_assert_eq(json_array_size(rj_arr(m, "devices")), 2, "the same phone twice is one device");
	cr_assert_str_eq(rj_s(rj_obj(m, "source"), "kind"), "merged");
	cr_assert_eq(json_array_size(rj_arr(rj_obj(m, "source"), "parts")), 3);
	const json_t *last = json_array_get(rj_arr(m, "exchanges"), json_array_size(rj_arr(m, "exchanges")) - 1);
	cr_assert_str_eq(rj_s(last, "id"), "3:e3", "ids stay unique");
	cr_assert_str_eq(rj_s(last, "device"), "d1");
	json_decref(m);
	json_decref(p);
	json_decref(f);
}

/* ---- validation ---- */

struct vcase {
	const char *path; /* JSON pointer-ish: which member to replace */
	const char *value; /* JSON text, or NULL to delete */
	const char *want;  /* substring of the error */
};

static json_t *resolve(json_t *j, const char *path, const char **last)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	char *save, *tok = strtok_r(buf, "/", &save), *next;
	static char key[64];
	while ((next = strtok_r(NULL, "/", &save))) {
		j = json_is_array(j) ? json_array_get(j, (size_t)atoi(tok)) : json_object_get(j, tok);
		tok = next;
	}
	snprintf(key, sizeof key, "%s", tok);
	*last = key;
	return j;
}

Test(report, validate_names_the_path)
{
	static const struct vcase cases[] = {
		{ "schema", "\"xscert-report/2\"", "schema: unsupported" },
		{ "schema", NULL, "schema: missing" },
		{ "exchanges", "{}", "exchanges: expected an array" },
		{ "exchanges/0/findings/1/verdict", "\"maybe\"",
		  "exchanges[0].findings[1].verdict: expected one of pass|fail|warn|skip|error" },
		{ "exchanges/0/messages/2/ts", "\"yesterday\"", "exchanges[0].messages[2].ts" },
		{ "exchanges/0/messages/0/raw_b64", "\"!!!!\"", "exchanges[0].messages[0].raw_b64" },
		{ "exchanges/0/messages/1/dir", "\"sideways\"", "exchanges[0].messages[1].dir" },
		{ "exchanges/0/device", "\"d9\"", "exchanges[0].device: names no device" },
		{ "summary/findings/fail", "0", "summary.findings.fail: does not match" },
		{ "summary/verdict", "\"pass\"", "summary.verdict: does not match" },
		{ "devices/0/id", "7", "devices[0].id: expected a string" },
		{ "source/kind", "\"radio\"", "source.kind: expected one of live|capture|merged" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *j = load_sample("hostile.json");
		const char *key;
		json_t *parent = resolve(j, cases[i].path, &key);
		cr_assert_not_null(parent, "%s", cases[i].path);
		if (cases[i].value)
			json_object_set_new(parent, key, json_loads(cases[i].value, JSON_DECODE_ANY, NULL));
		else
			json_object_del(parent, key);
		char err[256];
		cr_assert_eq(report_validate(j, err, sizeof err), -EBADMSG, "%s", cases[i].path);
		cr_assert(strstr(err, cases[i].want), "%s: got \"%s\"", cases[i].path, err);
		json_decref(j);
	}
	json_t *arr = json_array();
	cr_assert_eq(report_validate(arr, NULL, 0), -EBADMSG);
	json_decref(arr);
}

Test(report, formats_parse)
{
	static const struct {
		const char *csv;
		int rc;
		unsigned mask;
	} t[] = {
		{ "json", 0, 1u << REPORT_JSON },
		{ "html,md", 0, 1u << REPORT_HTML | 1u << REPORT_MD },
		{ " junit , json ", 0, 1u << REPORT_JUNIT | 1u << REPORT_JSON },
		{ "all", 0, 15u },
		{ "pdf", -EINVAL, 0 },
		{ "", -EINVAL, 0 },
		{ "json,", 0, 1u << REPORT_JSON },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		unsigned m = 0;
		cr_assert_eq(report_formats_parse(t[i].csv, &m), t[i].rc, "\"%s\"", t[i].csv);
		if (!t[i].rc)
			cr_assert_eq(m, t[i].mask, "\"%s\"", t[i].csv);
	}
	cr_assert_str_eq(report_format_name(REPORT_JUNIT), "junit");
}

Test(report, timestamps_base64_utf8)
{
	static const struct {
		const char *ts;
		int rc;
		int64_t us;
	} t[] = {
		{ "\"1700000000.123456\"", 0, 1700000000123456LL },
		{ "\"1700000000.5\"", 0, 1700000000500000LL },
		{ "\"1700000000\"", 0, 1700000000000000LL },
		{ "1700000000", 0, 1700000000000000LL },
		{ "\"1700000000.1234567\"", -EBADMSG, 0 },
		{ "\"-1\"", -EBADMSG, 0 },
		{ "\"12x\"", -EBADMSG, 0 },
		{ "null", -EBADMSG, 0 },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		json_t *v = json_loads(t[i].ts, JSON_DECODE_ANY, NULL);
		int64_t us = 0;
		cr_assert_eq(report_ts_parse(v, &us), t[i].rc, "%s", t[i].ts);
		if (!t[i].rc)
			cr_assert_eq(us, t[i].us, "%s", t[i].ts);
		json_decref(v);
	}
	char s[32];
	report_ts_format(1700000000000001LL, s, sizeof s);
	cr_assert_str_eq(s, "1700000000.000001");

	for (size_t n = 0; n < 7; n++) {
		struct xs_buf e = { 0 }, d = { 0 };
		const uint8_t in[] = { 0xff, 0x00, 'a', 0x80, 'z', 0x01 };
		cr_assert_eq(report_b64_encode(&e, in, n < 6 ? n : 6), 0);
		cr_assert_eq(report_b64_decode(&d, (const char *)e.p, e.len), 0);
		cr_assert_eq(d.len, n < 6 ? n : 6);
		cr_assert(!d.len || memcmp(d.p, in, d.len) == 0);
		xs_buf_reset(&e);
		xs_buf_reset(&d);
	}
	struct xs_buf d = { 0 };
	cr_assert_eq(report_b64_decode(&d, "YQ=a", 4), -EBADMSG);
	cr_assert_eq(report_b64_decode(&d, "YQ", 2), -EBADMSG);
	xs_buf_reset(&d);

	cr_assert(report_utf8_ok((const uint8_t *)"caf\xc3\xa9", 5));
	cr_assert(!report_utf8_ok((const uint8_t *)"\xc0\xaf", 2), "overlong");
	cr_assert(!report_utf8_ok((const uint8_t *)"\xed\xa0\x80", 3), "surrogate");
	cr_assert(!report_utf8_ok((const uint8_t *)"a\0b", 3), "NUL goes base64");
	cr_assert(!report_utf8_ok((const uint8_t *)"\xe2\x82", 2), "truncated");
}

Test(report, junit_counts)
{
	json_t *j = load_sample("fail.json");
	size_t len;
	char *x = render(j, REPORT_JUNIT, &len);
	const json_t *fc = rj_obj(rj_obj(j, "summary"), "findings");
	json_int_t total = 0;
	for (int v = 0; v < REPORT_N_VERDICTS; v++)
		total += rj_int(fc, report_verdicts[v]);
	cr_assert_eq((json_int_t)count(x, "<testcase "), total);
	cr_assert_eq((json_int_t)count(x, "<failure "), rj_int(fc, "fail"));
	cr_assert_eq((json_int_t)count(x, "<skipped "), rj_int(fc, "skip"));
	cr_assert_eq(count(x, "<testsuite "), 1, "one device, one scenario (the capture)");
	cr_assert(strstr(x, "a URL body does not end with CR or LF"), "failures carry the statement");
	free(x);
	json_decref(j);
}

Test(report, markdown_is_capped)
{
	json_t *j = load_sample("fail.json");
	json_t *exs = rj_arr(j, "exchanges");
	json_t *one = json_array_get(exs, 1); /* the failing one */
	for (int i = 0; i < 3000; i++)
		json_array_append_new(exs, json_deep_copy(one));
	json_t *sum = report_summary_compute(j);
	json_object_set_new(j, "summary", sum);
	cr_assert_eq(report_validate(j, NULL, 0), 0);
	size_t len;
	char *m = render(j, REPORT_MD, &len);
	cr_assert_lt(len, 65536u, "fits a GitHub comment");
	cr_assert(strstr(m, "and 2996 more"), "says how many it left out");
	free(m);
	json_decref(j);
}

Test(report, write_dir_writes_every_format)
{
	json_t *j = load_sample("pass.json");
	char dir[] = "/tmp/test-report-XXXXXX";
	cr_assert_not_null(mkdtemp(dir));
	char sub[600], err[600];
	snprintf(sub, sizeof sub, "%s/a/b", dir);
	cr_assert_eq(report_write_dir(j, sub, 15u, err, sizeof err), 0, "%s", err);
	static const char *const files[] = { "result.json", "junit.xml", "report.html", "report.md" };
	for (size_t i = 0; i < 4; i++) {
		char p[700];
		snprintf(p, sizeof p, "%s/%s", sub, files[i]);
		cr_assert_eq(access(p, R_OK), 0, "%s", p);
		unlink(p);
	}
	rmdir(sub);
	snprintf(sub, sizeof sub, "%s/a", dir);
	rmdir(sub);
	rmdir(dir);
	cr_assert_lt(report_write_dir(j, "/proc/no/such/dir", 1u, err, sizeof err), 0);
	json_decref(j);
}

Test(report, escapers)
{
	static const struct {
		int (*fn)(struct xs_buf *, const char *, size_t);
		const char *in, *want;
	} t[] = {
		{ report_esc_html, "<a href='x'>&\"</a>", "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;" },
		{ report_esc_html, "a\r\nb\x01\x7f\xff", "a\r\nb\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ report_esc_html, "caf\xc3\xa9 \xe2\x80\xa8", "caf\xc3\xa9 \xe2\x80\xa8" },
		{ report_esc_xml, "a\"b\tc\nd\re<>&", "a&quot;b&#9;c&#10;d&#13;e&lt;&gt;&amp;" },
		{ report_esc_xml, "x\x1b[0m\xef\xbf\xbey", "x\xef\xbf\xbd[0m\xef\xbf\xbdy" },
		{ report_esc_xml_text, "a\"b\tc\nd\re]]>", "a\"b\tc\nd&#13;e]]&gt;" },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct xs_buf b = { 0 };
		cr_assert_eq(t[i].fn(&b, t[i].in, strlen(t[i].in)), 0);
		cr_assert_str_eq(xs_buf_cstr(&b), t[i].want, "case %zu", i);
		xs_buf_reset(&b);
	}
	static const struct {
		int (*fn)(struct xs_buf *, const char *, size_t);
		const char *in, *want;
		size_t cap;
	} c[] = {
		{ report_esc_md, "[x](javascript:y) *a* `b` | <i>", "\\[x\\](javascript:y) \\*a\\* \\`b\\` \\| &lt;i&gt;", 100 },
		{ report_esc_md, "line\nbreak", "line break", 100 },
		{ report_esc_md, "abcdef", "abc\xe2\x80\xa6", 3 },
		{ report_esc_term, "ok\x1b[2Jno\x9b", "ok?[2Jno?", 100 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct xs_buf b = { 0 };
		cr_assert_eq(c[i].fn(&b, c[i].in, c[i].cap), 0);
		cr_assert_str_eq(xs_buf_cstr(&b), c[i].want, "capped case %zu", i);
		xs_buf_reset(&b);
	}
}

/* Renderers never crash, even on a document that report_validate() would refuse. */
Test(report, renderers_survive_wrong_types)
{
	static const char *const paths[] = {
		"summary", "summary/findings", "summary/rules", "summary/by_device", "devices",
		"devices/0", "devices/0/model", "rules", "rules/0", "rules/0/statement",
		"exchanges/0", "exchanges/0/messages", "exchanges/0/messages/0",
		"exchanges/0/messages/0/raw", "exchanges/0/messages/0/raw_b64",
		"exchanges/0/messages/0/ts", "exchanges/0/http/0", "exchanges/0/http/0/url",
		"exchanges/0/findings/7", "exchanges/0/findings/7/evidence",
		"exchanges/0/findings/7/verdict", "exchanges/0/device", "source", "source/files",
		"generated", "tool", "notes",
	};
	static const char *const values[] = { "null", "7", "\"x\"", "[1,{}]", "{}", "-1" };
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
			json_t *j = load_sample("hostile.json");
			const char *key;
			json_t *parent = resolve(j, paths[i], &key);
			if (json_is_array(parent))
				json_array_set_new(parent, (size_t)atoi(key),
						   json_loads(values[v], JSON_DECODE_ANY, NULL));
			else
				json_object_set_new(parent, key,
						    json_loads(values[v], JSON_DECODE_ANY, NULL));
			for (int f = 0; f < REPORT_FORMAT_COUNT; f++) {
				struct xs_buf b = { 0 };
				int rc = report_render(j, (enum report_format)f, &b);
				cr_assert(rc == 0 || rc == -EBADMSG, "%s=%s", paths[i], values[v]);
				xs_buf_reset(&b);
			}
			struct xs_buf t = { 0 };
			report_summary_text(j, &t);
			xs_buf_reset(&t);
			json_t *parts[2] = { j, j };
			json_decref(report_merge(parts, 2));
			json_decref(report_summary_compute(j));
			json_decref(j);
		}
}

Test(report, empty_result_renders)
{
	struct xs_result *r = NULL;
	cr_assert_eq(xs_result_new(&r, XS_SOURCE_CAPTURE), 0);
	json_t *j = report_from_result(r, NULL);
	cr_assert_not_null(j);
	char err[200];
	cr_assert_eq(report_validate(j, err, sizeof err), 0, "%s", err);
	cr_assert_str_eq(rj_s(rj_obj(j, "summary"), "verdict"), "pass");
	cr_assert_eq(strlen(rj_s(j, "generated")), 20, "now, ISO 8601 UTC");
	size_t len;
	char *h = render(j, REPORT_HTML, &len);
	cr_assert(strstr(h, "NO CHECKS"), "an empty result does not claim a pass");
	free(h);
	for (int f = 0; f < REPORT_FORMAT_COUNT; f++)
		free(render(j, (enum report_format)f, &len));
	json_decref(j);
	xs_result_free(r);
}
