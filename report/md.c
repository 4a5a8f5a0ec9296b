/* SPDX-License-Identifier: MIT */
/* md.c — a Markdown summary fit for a pull-request comment, and the terminal summary. */
#include "report-int.h"

#include <stdio.h>
#include <string.h>

static void md(struct xs_buf *o, const char *s)
{
	report_esc_md(o, s, 300);
}

/* Inline code; backticks inside become ' so the span cannot be closed early. */
static void code(struct xs_buf *o, const char *s)
{
	struct xs_buf t = { 0 };
	report_esc_term(&t, s ? s : "", 200);
	xs_buf_puts(o, "`");
	for (size_t i = 0; i < t.len; i++)
		xs_buf_append(o, t.p[i] == '`' ? "'" : (const char *)&t.p[i], 1);
	xs_buf_puts(o, "`");
	xs_buf_reset(&t);
}

/* Where the result came from, one line; esc escapes each name for the output. */
static void source_line(struct xs_buf *o, const json_t *r, void (*esc)(struct xs_buf *, const char *))
{
	const json_t *src = rj_obj(r, "source");
	const char *kind = rj_s(src, "kind");
	bool merged = !strcmp(kind, "merged");
	const json_t *list = merged ? rj_arr(src, "parts") : rj_arr(src, "files");
	size_t i, k = 0;
	json_t *f;
	if (!strcmp(kind, "live")) {
		xs_buf_puts(o, "live run against ");
		esc(o, rj_str(src, "target") ? rj_str(src, "target") : "?");
	} else {
		if (merged)
			xs_buf_printf(o, "%zu results merged:", json_array_size(list));
		else
			xs_buf_puts(o, "capture");
		json_array_foreach(list, i, f) {
			const char *name = !merged ? json_string_value(f)
				: rj_str(f, "target") ? rj_str(f, "target")
						      : json_string_value(json_array_get(rj_arr(f, "files"), 0));
			if (!name)
				continue;
			if (k++ == 5) {
				xs_buf_printf(o, " and %zu more", json_array_size(list) - 5);
				break;
			}
			xs_buf_puts(o, k > 1 ? ", " : " ");
			esc(o, name);
		}
	}
	if (json_is_true(json_object_get(src, "emulated")))
		xs_buf_puts(o, " (the built-in emulator)");
}

static size_t nfind(const json_t *counts, int v)
{
	return (size_t)rj_int(counts, report_verdicts[v]);
}

static void md_rule_examples(struct xs_buf *o, const json_t *r, const char *rule)
{
	size_t i, k, shown = 0, more = 0;
	json_t *ex, *f;
	json_array_foreach(rj_arr(r, "exchanges"), i, ex)
		json_array_foreach(rj_arr(ex, "findings"), k, f) {
			int v = report_verdict_index(rj_str(f, "verdict"));
			if ((v != XS_FAIL && v != XS_ERROR) || strcmp(rj_s(f, "rule"), rule))
				continue;
			if (shown++ >= REPORT_MD_MAX_EXAMPLES) {
				more++;
				continue;
			}
			xs_buf_puts(o, "- ");
			code(o, rj_s(ex, "id"));
			if (rj_str(ex, "scenario")) {
				xs_buf_puts(o, " ");
				md(o, rj_str(ex, "scenario"));
			}
			xs_buf_puts(o, ": ");
			md(o, rj_s(f, "detail"));
			if (rj_str(f, "evidence")) {
				const json_t *ev[3];
				size_t n = report_evidence(ex, rj_str(f, "evidence"), ev, 3);
				xs_buf_puts(o, " (evidence ");
				code(o, rj_str(f, "evidence"));
				for (size_t e = 0; e < n; e++) {
					xs_buf_puts(o, e ? ", " : ": ");
					code(o, rj_str(ev[e], "summary") ? rj_str(ev[e], "summary")
									 : rj_s(ev[e], "url"));
				}
				xs_buf_puts(o, ")");
			}
			xs_buf_puts(o, "\n");
		}
	if (more)
		xs_buf_printf(o, "- … and %zu more\n", more);
}

int report_render_md(const json_t *r, struct xs_buf *o)
{
	const json_t *sum = rj_obj(r, "summary"), *fc = rj_obj(sum, "findings");
	const json_t *rc = rj_obj(sum, "rules"), *bd = rj_obj(sum, "by_device");
	bool fail = !strcmp(rj_s(sum, "verdict"), "fail");
	size_t total = 0, i;
	json_t *d, *rule;
	for (int v = 0; v < REPORT_N_VERDICTS; v++)
		total += nfind(fc, v);
	xs_buf_printf(o, "## xscert: %s — ", fail ? "❌ FAIL" : total ? "✅ PASS" : "⚪ NO CHECKS");
	if (!total)
		xs_buf_puts(o, "no rule was evaluated");
	else if (fail)
		xs_buf_printf(o, "%zu of %zu checks failed", nfind(fc, XS_FAIL) + nfind(fc, XS_ERROR),
			      total);
	else
		xs_buf_printf(o, "%zu checks passed", nfind(fc, XS_PASS));
	xs_buf_printf(o, "\n\n%lld exchanges on %zu device%s; source: ",
		      (long long)rj_int(sum, "exchanges"), json_array_size(rj_arr(r, "devices")),
		      json_array_size(rj_arr(r, "devices")) == 1 ? "" : "s");
	source_line(o, r, md);
	xs_buf_puts(o, ".\n\n| pass | fail | warn | skip | error |\n|---:|---:|---:|---:|---:|\n");
	xs_buf_printf(o, "| %zu | %zu | %zu | %zu | %zu |\n\n", nfind(fc, 0), nfind(fc, 1),
		      nfind(fc, 2), nfind(fc, 3), nfind(fc, 4));
	xs_buf_puts(o, "| device | address | model | firmware | profile | verdict |\n"
		       "|---|---|---|---|---|---|\n");
	json_array_foreach(rj_arr(r, "devices"), i, d) {
		if (i == 50) {
			xs_buf_printf(o, "| … %zu more devices | | | | | |\n",
				      json_array_size(rj_arr(r, "devices")) - 50);
			break;
		}
		const char *cells[] = { "id", "address", "model", "firmware", "profile" };
		for (size_t c = 0; c < XS_ARRAY_SIZE(cells); c++) {
			xs_buf_puts(o, "| ");
			md(o, rj_str(d, cells[c]) ? rj_str(d, cells[c]) : "?");
			xs_buf_puts(o, " ");
		}
		const char *dv = rj_str(json_object_get(bd, rj_s(d, "id")), "verdict");
		xs_buf_printf(o, "| %s |\n", dv && !strcmp(dv, "fail") ? "❌ fail" : "✅ pass");
	}
	if (fail) {
		xs_buf_puts(o, "\n### Failing rules\n");
		json_array_foreach(rj_arr(r, "rules"), i, rule) {
			const char *id = rj_s(rule, "id");
			const json_t *c = json_object_get(rc, id);
			size_t nf = nfind(c, XS_FAIL) + nfind(c, XS_ERROR);
			if (!nf)
				continue;
			if (o->len > REPORT_MD_MAX_BYTES) {
				xs_buf_puts(o, "\n… (cut: the full list is in the HTML report)\n");
				break;
			}
			xs_buf_puts(o, "\n**");
			md(o, id);
			xs_buf_printf(o, "** (%s, %zu failed): ", rj_s(rule, "subject"), nf);
			md(o, rj_str(rule, "statement") ? rj_str(rule, "statement")
							 : "(not in the rule catalogue)");
			if (rj_str(rule, "reference")) {
				xs_buf_puts(o, " — ");
				md(o, rj_str(rule, "reference"));
			}
			xs_buf_puts(o, "\n\n");
			md_rule_examples(o, r, id);
		}
	}
	size_t nn = json_array_size(rj_arr(r, "notes"));
	if (nn) {
		json_t *n;
		xs_buf_printf(o, "\n### Notes: %zu about the input (skipped, cut short)\n\n", nn);
		json_array_foreach(rj_arr(r, "notes"), i, n) {
			if (i == 10) {
				xs_buf_printf(o, "- … %zu more in the HTML and JSON reports\n", nn - 10);
				break;
			}
			xs_buf_puts(o, "- ");
			md(o, rj_s(n, "file"));
			xs_buf_printf(o, ", frame %lld: ", (long long)rj_int(n, "frame"));
			md(o, rj_s(n, "what"));
			xs_buf_puts(o, "\n");
		}
	}
	xs_buf_printf(o, "\n<sub>xscert %s, schema %s</sub>\n",
		      rj_str(rj_obj(r, "tool"), "version") ? rj_str(rj_obj(r, "tool"), "version")
							   : "?",
		      REPORT_SCHEMA);
	return o->oom ? -ENOMEM : 0;
}

static void term(struct xs_buf *o, const char *s)
{
	report_esc_term(o, s ? s : "-", 80);
}

int report_summary_text(const json_t *r, struct xs_buf *o)
{
	const json_t *sum = rj_obj(r, "summary"), *fc = rj_obj(sum, "findings");
	const json_t *rc = rj_obj(sum, "rules"), *bd = rj_obj(sum, "by_device");
	size_t i;
	json_t *d, *rule;
	xs_buf_printf(o, "verdict: %s  (%zu pass, %zu fail, %zu warn, %zu skip, %zu error; "
			 "%lld exchanges)\nsource:  ",
		      !strcmp(rj_s(sum, "verdict"), "fail") ? "FAIL"
		      : nfind(fc, 0) + nfind(fc, 2) + nfind(fc, 3) ? "PASS"
								  : "NO CHECKS",
		      nfind(fc, 0),
		      nfind(fc, 1), nfind(fc, 2), nfind(fc, 3), nfind(fc, 4),
		      (long long)rj_int(sum, "exchanges"));
	source_line(o, r, term);
	size_t nn = json_array_size(rj_arr(r, "notes"));
	const json_t *n0 = json_array_get(rj_arr(r, "notes"), 0);
	if (nn) {
		xs_buf_printf(o, "\nnotes:   %zu (what the input had that was skipped or cut short; the first: ", nn);
		term(o, rj_s(n0, "file"));
		xs_buf_printf(o, " frame %lld: ", (long long)rj_int(n0, "frame"));
		term(o, rj_s(n0, "what"));
		xs_buf_puts(o, ")");
	}
	xs_buf_puts(o, "\n\ndevices:\n");
	json_array_foreach(rj_arr(r, "devices"), i, d) {
		struct xs_buf l = { 0 };
		report_device_label(d, &l);
		xs_buf_puts(o, "  ");
		term(o, rj_str(d, "id"));
		xs_buf_puts(o, "  ");
		term(o, rj_str(d, "address"));
		xs_buf_puts(o, "  ");
		term(o, xs_buf_cstr(&l));
		xs_buf_puts(o, "  profile ");
		term(o, rj_str(d, "profile"));
		xs_buf_printf(o, "  %s\n",
			      !strcmp(rj_s(json_object_get(bd, rj_s(d, "id")), "verdict"), "fail")
				      ? "FAIL"
				      : "pass");
		xs_buf_reset(&l);
	}
	xs_buf_printf(o, "\n%-12s %6s %6s %6s %6s %6s  %s\n", "rule", "pass", "fail", "warn",
		      "skip", "error", "statement");
	json_array_foreach(rj_arr(r, "rules"), i, rule) {
		const json_t *c = json_object_get(rc, rj_s(rule, "id"));
		struct xs_buf id = { 0 };
		report_esc_term(&id, rj_s(rule, "id"), 40);
		xs_buf_printf(o, "%-12s %6zu %6zu %6zu %6zu %6zu  ", xs_buf_cstr(&id) ? (char *)id.p : "",
			      nfind(c, 0), nfind(c, 1), nfind(c, 2), nfind(c, 3), nfind(c, 4));
		xs_buf_reset(&id);
		term(o, rj_str(rule, "statement"));
		xs_buf_puts(o, "\n");
	}
	return o->oom ? -ENOMEM : 0;
}
