/* SPDX-License-Identifier: MIT */
/* junit.c — JUnit XML for CI servers: a testsuite per device and scenario, a testcase per finding. */
#include "report-int.h"

#include <stdio.h>
#include <string.h>

/*
 * The output validates against both the Ant/windyroad JUnit.xsd (strict:
 * properties, system-out and system-err required; timestamp without zone)
 * and the Jenkins xUnit plugin's junit-10.xsd (tests/data/).
 */

static void xa(struct xs_buf *o, const char *s)
{
	if (s)
		report_esc_xml(o, s, strlen(s));
}

/* Suite key: device id, a unit separator, scenario (or "capture"). */
static void suite_key(const json_t *ex, struct xs_buf *k)
{
	xs_buf_printf(k, "%s\x1f%s", rj_s(ex, "device"),
		      rj_str(ex, "scenario") ? rj_str(ex, "scenario") : "");
}

static void property(struct xs_buf *o, const char *name, const char *value)
{
	if (!value)
		return;
	xs_buf_printf(o, "      <property name=\"%s\" value=\"", name);
	xa(o, value);
	xs_buf_puts(o, "\"/>\n");
}

/* The text of a failure, error or skip: what a CI user needs without the HTML. */
static void finding_text(struct xs_buf *o, const json_t *r, const json_t *ex, const json_t *f)
{
	const json_t *rule = report_rule(r, rj_str(f, "rule"));
	struct xs_buf t = { 0 };
	xs_buf_printf(&t, "Rule %s (%s): %s\n", rj_s(f, "rule"), rj_s(f, "subject"),
		      rj_str(rule, "statement") ? rj_str(rule, "statement") : "(not in catalogue)");
	if (rj_str(rule, "reference"))
		xs_buf_printf(&t, "Reference: %s\n", rj_str(rule, "reference"));
	xs_buf_printf(&t, "Verdict: %s\nDetail: %s\nExchange: %s", rj_s(f, "verdict"),
		      rj_s(f, "detail"), rj_s(ex, "id"));
	if (rj_str(ex, "title"))
		xs_buf_printf(&t, " (%s)", rj_str(ex, "title"));
	xs_buf_puts(&t, "\n");
	if (rj_str(f, "evidence")) {
		const json_t *ev[8];
		size_t n = report_evidence(ex, rj_str(f, "evidence"), ev, XS_ARRAY_SIZE(ev));
		xs_buf_printf(&t, "Evidence: %s\n", rj_str(f, "evidence"));
		for (size_t i = 0; i < n; i++) {
			struct xs_buf raw = { 0 };
			if (rj_str(ev[i], "url")) {
				xs_buf_printf(&t, "--- HTTP %s %s\n", rj_s(ev[i], "method"),
					      rj_s(ev[i], "url"));
				continue;
			}
			xs_buf_printf(&t, "--- message %lld, %s, %s -> %s: %s\n",
				      (long long)rj_int(ev[i], "index"), rj_s(ev[i], "dir"),
				      rj_s(ev[i], "src"), rj_s(ev[i], "dst"), rj_s(ev[i], "summary"));
			if (report_msg_raw(ev[i], &raw) == 0 && raw.len) {
				size_t n_raw = XS_MIN(raw.len, REPORT_MAX_RAW_JUNIT);
				xs_buf_append(&t, raw.p, n_raw);
				if (n_raw < raw.len)
					xs_buf_printf(&t, "\n[... %zu more bytes]", raw.len - n_raw);
				xs_buf_puts(&t, "\n");
			}
			xs_buf_reset(&raw);
		}
	}
	if (t.len)
		report_esc_xml_text(o, (const char *)t.p, t.len);
	xs_buf_reset(&t);
}

static void testcase(struct xs_buf *o, const json_t *r, const json_t *ex, const json_t *f)
{
	static const char *const tags[REPORT_N_VERDICTS] = { NULL, "failure", NULL, "skipped",
							      "error" };
	int v = report_verdict_index(rj_str(f, "verdict"));
	xs_buf_puts(o, "    <testcase name=\"");
	xa(o, rj_s(f, "rule"));
	xs_buf_puts(o, " ");
	xa(o, rj_s(ex, "id"));
	xs_buf_puts(o, "\" classname=\"");
	xa(o, *rj_s(f, "rule") ? rj_s(f, "rule") : "unknown");
	xs_buf_puts(o, "\" time=\"0\"");
	const char *tag = v >= 0 ? tags[v] : NULL;
	if (!tag) {
		xs_buf_puts(o, "/>\n");
		return;
	}
	xs_buf_printf(o, ">\n      <%s type=\"%s\" message=\"", tag, rj_s(f, "verdict"));
	const char *d = rj_s(f, "detail");
	report_esc_xml(o, d, XS_MIN(strlen(d), REPORT_MAX_FIELD));
	xs_buf_puts(o, "\">");
	finding_text(o, r, ex, f);
	xs_buf_printf(o, "</%s>\n    </testcase>\n", tag);
}

/* "2026-11-22T07:30:00" from "generated" (the XSD allows no zone); epoch when malformed. */
static void timestamp(const json_t *r, char out[20])
{
	const char *g = rj_s(r, "generated");
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	for (size_t i = 0; i < 19; i++)
		if (pat[i] == 'd' ? !(g[i] >= '0' && g[i] <= '9') : g[i] != pat[i]) {
			memcpy(out, "1970-01-01T00:00:00", 20);
			return;
		}
	memcpy(out, g, 19);
	out[19] = 0;
}

static void suite(struct xs_buf *o, const json_t *r, const json_t *idx, size_t id,
		  const char *ts)
{
	const json_t *exs = rj_arr(r, "exchanges");
	const json_t *ex0 = json_array_get(exs, (size_t)json_integer_value(json_array_get(idx, 0)));
	const json_t *dev = report_device(r, rj_str(ex0, "device"));
	size_t c[REPORT_N_VERDICTS] = { 0 }, i;
	int64_t span = 0;
	json_t *k;
	json_array_foreach(idx, i, k) {
		const json_t *ex = json_array_get(exs, (size_t)json_integer_value(k));
		size_t ec[REPORT_N_VERDICTS];
		report_exchange_counts(ex, ec);
		for (int v = 0; v < REPORT_N_VERDICTS; v++)
			c[v] += ec[v];
		span += report_exchange_span_us(ex, NULL);
	}
	struct xs_buf name = { 0 };
	const char *scen = rj_str(ex0, "scenario");
	xs_buf_puts(&name, scen ? scen : "capture");
	xs_buf_puts(&name, " on ");
	report_device_label(dev, &name);
	if (dev)
		xs_buf_printf(&name, " (%s)", rj_s(dev, "id"));
	size_t total = c[0] + c[1] + c[2] + c[3] + c[4];
	xs_buf_puts(o, "  <testsuite name=\"");
	xa(o, xs_buf_cstr(&name));
	xs_buf_puts(o, "\" package=\"xscert.");
	xa(o, dev ? rj_s(dev, "id") : "unknown");
	xs_buf_printf(o, "\" id=\"%zu\" timestamp=\"%s\" hostname=\"", id, ts);
	xa(o, rj_str(dev, "address") && *rj_str(dev, "address") ? rj_str(dev, "address")
								  : "localhost");
	xs_buf_printf(o,
		      "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" "
		      "time=\"%lld.%06lld\">\n    <properties>\n",
		      total, c[XS_FAIL], c[XS_ERROR], c[XS_SKIP], (long long)(span / 1000000),
		      (long long)(span % 1000000));
	xs_buf_reset(&name);
	property(o, "xscert.schema", rj_str(r, "schema"));
	property(o, "source.kind", rj_str(rj_obj(r, "source"), "kind"));
	property(o, "source.target", rj_str(rj_obj(r, "source"), "target"));
	property(o, "scenario", scen);
	static const char *const fields[] = { "id", "address", "server", "model", "firmware",
					      "profile" };
	for (size_t f = 0; f < XS_ARRAY_SIZE(fields); f++) {
		char pn[32];
		snprintf(pn, sizeof pn, "device.%s", fields[f]);
		property(o, pn, rj_str(dev, fields[f]));
	}
	xs_buf_puts(o, "    </properties>\n");
	struct xs_buf warn = { 0 };
	json_array_foreach(idx, i, k) {
		const json_t *ex = json_array_get(exs, (size_t)json_integer_value(k));
		size_t j;
		json_t *f;
		json_array_foreach(rj_arr(ex, "findings"), j, f) {
			testcase(o, r, ex, f);
			if (report_verdict_index(rj_str(f, "verdict")) == XS_WARN)
				xs_buf_printf(&warn, "warning: %s %s: %s\n", rj_s(f, "rule"),
					      rj_s(ex, "id"), rj_s(f, "detail"));
		}
	}
	xs_buf_puts(o, "    <system-out>");
	if (warn.len)
		report_esc_xml_text(o, (const char *)warn.p, warn.len);
	xs_buf_puts(o, "</system-out>\n    <system-err>");
	/* what the input had that was skipped, and why: once, in the first suite */
	size_t ni;
	json_t *n;
	struct xs_buf nt = { 0 };
	if (id == 0)
		json_array_foreach(rj_arr(r, "notes"), ni, n)
			xs_buf_printf(&nt, "note: %s: frame %lld: %s\n", rj_s(n, "file"),
				      (long long)rj_int(n, "frame"), rj_s(n, "what"));
	if (nt.len)
		report_esc_xml_text(o, (const char *)nt.p, nt.len);
	xs_buf_reset(&nt);
	xs_buf_puts(o, "</system-err>\n  </testsuite>\n");
	xs_buf_reset(&warn);
}

int report_render_junit(const json_t *r, struct xs_buf *o)
{
	char ts[20];
	size_t i;
	json_t *ex, *idx;
	const char *key;
	json_t *suites = json_object(); /* key -> [exchange index...], in first-seen order */
	if (!suites)
		return -ENOMEM;
	json_array_foreach(rj_arr(r, "exchanges"), i, ex) {
		struct xs_buf k = { 0 };
		suite_key(ex, &k);
		const char *ks = xs_buf_cstr(&k);
		json_t *a = ks ? json_object_get(suites, ks) : NULL;
		if (ks && !a && json_object_set_new(suites, ks, (a = json_array())) < 0)
			a = NULL;
		int bad = !a || json_array_append_new(a, json_integer((json_int_t)i)) < 0;
		xs_buf_reset(&k);
		if (bad) {
			json_decref(suites);
			return -ENOMEM;
		}
	}
	timestamp(r, ts);
	/* no totals on <testsuites>: the Ant schema allows no attributes there; CI sums the suites */
	xs_buf_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
	i = 0;
	json_object_foreach(suites, key, idx)
		suite(o, r, idx, i++, ts);
	xs_buf_puts(o, "</testsuites>\n");
	json_decref(suites);
	return o->oom ? -ENOMEM : 0;
}
