/* SPDX-License-Identifier: MIT */
/* from-result.c — the records of a run or an analysis as an xscert-report/1 document. */
#include "report-int.h"
#include "harness/rules/rules.h"

#include <stdio.h>
#include <string.h>

/* A string member or JSON null; the one place NULL C strings become null. */
static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* Like json_string, but never NULL for bytes that are not UTF-8 (lossy: U+FFFD). */
static json_t *text(const char *s)
{
	if (!s)
		return json_null();
	json_t *j = json_string(s);
	if (j)
		return j;
	struct xs_buf b = { 0 };
	report_esc_term(&b, s, SIZE_MAX); /* only reached for invalid UTF-8 */
	j = json_string(xs_buf_cstr(&b) ? (const char *)b.p : "");
	xs_buf_reset(&b);
	return j;
}

static json_t *endpoint(const struct xs_endpoint *e)
{
	char s[64];
	if (!e->addr[0])
		return json_null();
	xs_endpoint_format(e, s, sizeof s);
	return json_string(s);
}

static json_t *ts(int64_t us)
{
	char s[32];
	report_ts_format(us, s, sizeof s);
	return json_string(s);
}

static const char *role_of(const struct xs_exchange *ex, size_t i)
{
	int k = (int)i;
	return k == ex->i_notify ? "notify" : k == ex->i_challenge ? "challenge"
	     : k == ex->i_retry  ? "retry"
	     : k == ex->i_final  ? "final"
				 : "other";
}

static json_t *message(const struct xs_exchange *ex, size_t i)
{
	const struct sip_msg *m = ex->msgs[i];
	char sum[256];
	sip_msg_summary(m, sum, sizeof sum);
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:I, s:o}", "index",
			      (json_int_t)i, "role", role_of(ex, i), "dir", xs_dir_name(m->dir),
			      "transport", xs_transport_name(m->tp), "src", endpoint(&m->src),
			      "dst", endpoint(&m->dst), "ts", ts(m->ts_us), "frame",
			      (json_int_t)m->frame, "summary", text(sum));
	if (o && report_msg_set_raw(o, m->raw, m->raw_len) < 0)
		o = (json_decref(o), NULL);
	return o;
}

static json_t *http(const struct xs_http_req *h)
{
	return json_pack("{s:o, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "ts", ts(h->ts_us), "frame",
			 (json_int_t)h->frame, "src", endpoint(&h->src), "dst", endpoint(&h->dst),
			 "method", text(h->method), "target", text(h->target), "url",
			 text(h->url), "user_agent", text(h->user_agent));
}

static json_t *finding(const struct xs_finding *f)
{
	return json_pack("{s:s, s:s, s:s, s:o, s:o}", "rule", f->rule ? f->rule : "",
			 "verdict", xs_verdict_name(f->verdict), "subject",
			 xs_subject_name(f->subject), "detail", text(f->detail), "evidence",
			 text(f->evidence));
}

/* Append each element built by fn to a new array; NULL on ENOMEM. */
#define BUILD_ARRAY(arr, n, expr)                                         \
	do {                                                              \
		arr = json_array();                                       \
		for (size_t i_ = 0; arr && i_ < (n); i_++) {              \
			size_t i = i_;                                    \
			if (json_array_append_new(arr, (expr)) < 0)       \
				arr = (json_decref(arr), NULL);           \
		}                                                         \
	} while (0)

static json_t *exchange(const struct xs_exchange *ex)
{
	json_t *msgs, *reqs, *finds;
	BUILD_ARRAY(msgs, ex->n_msgs, message(ex, i));
	BUILD_ARRAY(reqs, ex->n_http, http(&ex->http[i]));
	BUILD_ARRAY(finds, ex->n_findings, finding(&ex->findings[i]));
	return json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:I, s:o, s:o, s:o}", "id",
			 text(ex->id ? ex->id : ""), "device", str_or_null(ex->device_id),
			 "scenario", text(ex->scenario), "title", text(ex->title), "intent",
			 xs_auth_intent_name(ex->intent), "expected_profile",
			 str_or_null(ex->expected_profile), "fetch_window_us",
			 (json_int_t)ex->fetch_window_us, "messages", msgs, "http", reqs,
			 "findings", finds);
}

static json_t *device(const struct xs_device *d)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "id", text(d->id ? d->id : ""),
			 "address", text(d->address), "server", text(d->server), "model",
			 text(d->model), "firmware", text(d->firmware), "profile",
			 text(d->profile));
}

static json_t *note(const struct xs_note *n)
{
	return json_pack("{s:o, s:I, s:o}", "file", text(n->file), "frame", (json_int_t)n->frame,
			 "what", text(n->what));
}

static json_t *rule_entry(const char *id, enum xs_subject subj)
{
	const struct rule_info *ri = rules_find(id);
	if (ri)
		return json_pack("{s:s, s:s, s:o, s:o}", "id", ri->id, "subject",
				 xs_subject_name(ri->subject), "statement",
				 str_or_null(ri->statement), "reference",
				 str_or_null(ri->reference));
	return json_pack("{s:o, s:s, s:n, s:n}", "id", text(id), "subject",
			 xs_subject_name(subj), "statement", "reference");
}

/* The catalogue entries the findings use: catalogue order, unknown ids after, as met. */
static json_t *rules_used(const struct xs_result *r)
{
	size_t ncat = 0;
	const struct rule_info *cat = rules_catalogue(&ncat);
	json_t *arr = json_array(), *seen = json_object();
	if (!arr || !seen)
		goto oom;
	for (size_t e = 0; e < r->n_exchanges; e++)
		for (size_t k = 0; k < r->exchanges[e]->n_findings; k++) {
			const struct xs_finding *f = &r->exchanges[e]->findings[k];
			if (f->rule && json_object_set_new(seen, f->rule, json_integer(f->subject)))
				goto oom;
		}
	for (size_t c = 0; cat && c < ncat; c++)
		if (json_object_get(seen, cat[c].id)) {
			if (json_array_append_new(arr, rule_entry(cat[c].id, cat[c].subject)) < 0)
				goto oom;
			json_object_del(seen, cat[c].id);
		}
	const char *id;
	json_t *v;
	json_object_foreach(seen, id, v)
		if (json_array_append_new(arr, rule_entry(id, (enum xs_subject)
							      json_integer_value(v))) < 0)
			goto oom;
	json_decref(seen);
	return arr;
oom:
	json_decref(seen);
	json_decref(arr);
	return NULL;
}

/* The records' exchanges told to report_summary_over as their JSON would tell them. */
static const char *rec_device(const void *ctx, size_t i)
{
	const char *d = ((const struct xs_result *)ctx)->exchanges[i]->device_id;
	return d ? d : "";
}

static size_t rec_n_findings(const void *ctx, size_t i)
{
	return ((const struct xs_result *)ctx)->exchanges[i]->n_findings;
}

static void rec_finding(const void *ctx, size_t i, size_t k, const char **rule, int *verdict)
{
	const struct xs_finding *f = &((const struct xs_result *)ctx)->exchanges[i]->findings[k];
	*rule = f->rule ? f->rule : "";
	*verdict = report_verdict_index(xs_verdict_name(f->verdict));
}

static json_t *from_result(const struct xs_result *r, const char *generated, bool lean)
{
	char now[32];
	json_t *files, *devs, *exs, *notes, *rules;
	if (!generated) {
		report_now_iso(now, sizeof now);
		generated = now;
	}
	BUILD_ARRAY(files, r->n_files, text(r->files[i]));
	BUILD_ARRAY(devs, r->n_devices, device(&r->devices[i]));
	BUILD_ARRAY(exs, lean ? 0 : r->n_exchanges, exchange(r->exchanges[i]));
	BUILD_ARRAY(notes, r->n_notes, note(&r->notes[i]));
	rules = rules_used(r);
	json_t *source = json_pack("{s:s, s:o, s:b, s:o}", "kind",
				   r->source_kind == XS_SOURCE_CAPTURE ? "capture" : "live",
				   "target", text(r->target), "emulated", r->emulated, "files",
				   files);
	json_t *j = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:o, s:o, s:o, s:o}", "schema",
			      REPORT_SCHEMA, "tool", "name", "xscert", "version", XSCERT_VERSION,
			      "generated", generated, "source", source, "devices", devs, "rules",
			      rules, "exchanges", exs, "notes", notes);
	if (!j)
		return NULL;
	struct report_exchanges recs = { .n = r->n_exchanges, .ctx = r, .device = rec_device,
					 .n_findings = rec_n_findings, .finding = rec_finding };
	json_t *sum = lean ? report_summary_over(j, &recs) : report_summary_compute(j);
	if (!sum || json_object_set_new(j, "summary", sum) < 0)
		return json_decref(j), NULL;
	return j;
}

json_t *report_from_result(const struct xs_result *r, const char *generated)
{
	return from_result(r, generated, false);
}

json_t *report_from_result_lean(const struct xs_result *r, const char *generated)
{
	return from_result(r, generated, true);
}
