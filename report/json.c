/* SPDX-License-Identifier: MIT */
/* json.c — the xscert-report/1 document: validation, summary, scrubbing, lookups. */
#include "report-int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- lookups over a result ---- */

static const json_t *find_by_id(const json_t *arr, const char *id)
{
	size_t i;
	json_t *v;
	if (!id)
		return NULL;
	json_array_foreach(arr, i, v) {
		const char *s = rj_str(v, "id");
		if (s && !strcmp(s, id))
			return v;
	}
	return NULL;
}

const json_t *report_rule(const json_t *result, const char *id)
{
	return find_by_id(rj_arr(result, "rules"), id);
}

const json_t *report_device(const json_t *result, const char *id)
{
	return find_by_id(rj_arr(result, "devices"), id);
}

void report_device_label(const json_t *dev, struct xs_buf *out)
{
	const char *model = rj_str(dev, "model"), *fw = rj_str(dev, "firmware");
	if (model && fw)
		xs_buf_printf(out, "%s %s", model, fw);
	else if (model || fw)
		xs_buf_puts(out, model ? model : fw);
	else if (rj_str(dev, "address"))
		xs_buf_puts(out, rj_str(dev, "address"));
	else
		xs_buf_puts(out, dev ? rj_s(dev, "id") : "unknown device");
}

void report_exchange_counts(const json_t *ex, size_t counts[REPORT_N_VERDICTS])
{
	size_t i;
	json_t *f;
	memset(counts, 0, REPORT_N_VERDICTS * sizeof counts[0]);
	json_array_foreach(rj_arr(ex, "findings"), i, f) {
		int v = report_verdict_index(rj_str(f, "verdict"));
		if (v >= 0)
			counts[v]++;
	}
}

int report_exchange_verdict(const json_t *ex)
{
	size_t i;
	json_t *f;
	int w = -1;
	json_array_foreach(rj_arr(ex, "findings"), i, f)
		w = report_verdict_worse(w, report_verdict_index(rj_str(f, "verdict")));
	return w;
}

int64_t report_exchange_span_us(const json_t *ex, int64_t *first_us)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN, t;
	const char *lists[] = { "messages", "http" };
	for (size_t k = 0; k < 2; k++) {
		size_t i;
		json_t *m;
		json_array_foreach(rj_arr(ex, lists[k]), i, m) {
			if (report_ts_parse(json_object_get(m, "ts"), &t) < 0)
				continue;
			lo = XS_MIN(lo, t);
			hi = XS_MAX(hi, t);
		}
	}
	if (first_us)
		*first_us = lo == INT64_MAX ? 0 : lo;
	return lo == INT64_MAX ? 0 : hi - lo;
}

/* ---- summary ---- */

static json_t *counts_obj(const size_t c[REPORT_N_VERDICTS])
{
	json_t *o = json_object();
	for (int v = 0; o && v < REPORT_N_VERDICTS; v++)
		if (json_object_set_new(o, report_verdicts[v], json_integer((json_int_t)c[v])) < 0)
			return json_decref(o), NULL;
	return o;
}

static const char *overall(const size_t c[REPORT_N_VERDICTS])
{
	return c[XS_FAIL] || c[XS_ERROR] ? "fail" : "pass";
}

/* Add a finding's verdict v to counts object o (created under key in parent if absent). */
static int bump(json_t *parent, const char *key, int v)
{
	json_t *o = json_object_get(parent, key);
	if (!o) {
		size_t zero[REPORT_N_VERDICTS] = { 0 };
		o = counts_obj(zero);
		if (!o || json_object_set_new(parent, key, o) < 0)
			return -ENOMEM;
	}
	json_t *n = json_object_get(o, report_verdicts[v]);
	return json_integer_set(n, json_integer_value(n) + 1);
}

/* result["exchanges"] told to report_summary_over */
static const char *json_ex_device(const void *ctx, size_t i)
{
	return rj_s(json_array_get(ctx, i), "device");
}

static size_t json_ex_n_findings(const void *ctx, size_t i)
{
	return json_array_size(rj_arr(json_array_get(ctx, i), "findings"));
}

static void json_ex_finding(const void *ctx, size_t i, size_t k, const char **rule, int *verdict)
{
	const json_t *f = json_array_get(rj_arr(json_array_get(ctx, i), "findings"), k);
	*rule = rj_str(f, "rule");
	*verdict = report_verdict_index(rj_str(f, "verdict"));
}

json_t *report_summary_compute(const json_t *result)
{
	const json_t *exs = rj_arr(result, "exchanges");
	struct report_exchanges xs = { .n = json_array_size(exs), .ctx = exs,
				       .device = json_ex_device,
				       .n_findings = json_ex_n_findings,
				       .finding = json_ex_finding };
	return report_summary_over(result, &xs);
}

json_t *report_summary_over(const json_t *result, const struct report_exchanges *xs)
{
	size_t tot[REPORT_N_VERDICTS] = { 0 }, i, k;
	json_t *f, *d;
	json_t *s = json_object(), *rules = json_object(), *bydev = json_object();
	if (!s || !rules || !bydev)
		goto oom;
	json_array_foreach(rj_arr(result, "rules"), i, f) {
		size_t zero[REPORT_N_VERDICTS] = { 0 };
		const char *id = rj_str(f, "id");
		if (id && json_object_set_new(rules, id, counts_obj(zero)) < 0)
			goto oom;
	}
	json_array_foreach(rj_arr(result, "devices"), i, d) {
		const char *id = rj_str(d, "id");
		if (!id)
			continue;
		json_t *o = json_pack("{s:s, s:I}", "verdict", "pass", "exchanges", (json_int_t)0);
		size_t zero[REPORT_N_VERDICTS] = { 0 };
		if (!o || json_object_set_new(o, "findings", counts_obj(zero)) < 0 ||
		    json_object_set_new(bydev, id, o) < 0)
			goto oom;
	}
	for (i = 0; i < xs->n; i++) {
		json_t *dev = json_object_get(bydev, xs->device(xs->ctx, i));
		if (dev)
			json_integer_set(json_object_get(dev, "exchanges"),
					 rj_int(dev, "exchanges") + 1);
		for (k = 0; k < xs->n_findings(xs->ctx, i); k++) {
			const char *rule;
			int v;
			xs->finding(xs->ctx, i, k, &rule, &v);
			if (v < 0)
				continue;
			tot[v]++;
			if ((rule && bump(rules, rule, v) < 0) ||
			    (dev && bump(dev, "findings", v) < 0))
				goto oom;
		}
	}
	const char *key;
	json_object_foreach(bydev, key, d) {
		size_t c[REPORT_N_VERDICTS];
		json_t *fc = json_object_get(d, "findings");
		for (int v = 0; v < REPORT_N_VERDICTS; v++)
			c[v] = (size_t)rj_int(fc, report_verdicts[v]);
		if (json_object_set_new(d, "verdict", json_string(overall(c))) < 0)
			goto oom;
	}
	if (json_object_set_new(s, "verdict", json_string(overall(tot))) < 0 ||
	    json_object_set_new(s, "exchanges", json_integer((json_int_t)xs->n)) < 0 ||
	    json_object_set_new(s, "devices",
				json_integer((json_int_t)json_array_size(
					rj_arr(result, "devices")))) < 0 ||
	    json_object_set_new(s, "findings", counts_obj(tot)) < 0 ||
	    json_object_set_new(s, "rules", rules) < 0)
		goto oom_s;
	rules = NULL;
	if (json_object_set_new(s, "by_device", bydev) < 0)
		goto oom_s;
	return s;
oom:
	json_decref(rules);
oom_s:
	json_decref(bydev);
	json_decref(s);
	return NULL;
}

/* ---- scrubbing ---- */

static bool secret_key(const char *k)
{
	static const char *const names[] = { "password", "passwd", "ha1", "secret" };
	for (size_t i = 0; i < XS_ARRAY_SIZE(names); i++)
		if (strcasestr(k, names[i]))
			return true;
	return false;
}

void report_scrub_secrets(json_t *j)
{
	if (json_is_object(j)) {
		const char *k;
		json_t *v;
		void *next;
		json_object_foreach_safe(j, next, k, v) {
			if (secret_key(k))
				json_object_del(j, k);
			else
				report_scrub_secrets(v);
		}
	} else if (json_is_array(j)) {
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			report_scrub_secrets(v);
	}
}

/* ---- validation ---- */

struct vctx {
	char *err;
	size_t errlen;
};

static int bad(struct vctx *c, const char *path, const char *what)
{
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s: %s", path, what);
	return -EBADMSG;
}


/* A JSON path or message for a validation error; a long one is cut, which only shortens the message. */
static void pathf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void pathf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static int need(struct vctx *c, const json_t *o, const char *path, const char *key,
		json_type type, bool nullable)
{
	char p[512];
	json_t *v = json_object_get(o, key);
	pathf(p, sizeof p, "%s%s%s", path, *path ? "." : "", key);
	if (!v)
		return bad(c, p, "missing");
	if (nullable && json_is_null(v))
		return 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
		return bad(c, p, type == JSON_STRING   ? "expected a string"
				 : type == JSON_ARRAY  ? "expected an array"
				 : type == JSON_OBJECT ? "expected an object"
				 : type == JSON_INTEGER ? "expected an integer"
							: "expected true or false");
	return 0;
}

static int one_of(struct vctx *c, const json_t *o, const char *path, const char *key,
		  const char *const *names, size_t n, const char *list)
{
	const char *s = rj_str(o, key);
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, names[i]))
			return 0;
	char p[512], w[512];
	pathf(p, sizeof p, "%s.%s", path, key);
	pathf(w, sizeof w, "expected one of %s", list);
	return bad(c, p, w);
}

static const char *const kinds[] = { "live", "capture", "merged" };
static const char *const dirs[] = { "to-phone", "from-phone" };
static const char *const roles[] = { "notify", "challenge", "retry", "final", "other" };
static const char *const subjects[] = { "phone", "sender" };

static int v_message(struct vctx *c, const json_t *m, const char *path)
{
	int64_t t;
	char p[512];
	int r;
	if (!json_is_object(m))
		return bad(c, path, "expected an object");
	if ((r = need(c, m, path, "index", JSON_INTEGER, false)) < 0 ||
	    (r = one_of(c, m, path, "dir", dirs, 2, "to-phone|from-phone")) < 0 ||
	    (r = one_of(c, m, path, "role", roles, 5, "notify|challenge|retry|final|other")) < 0)
		return r;
	pathf(p, sizeof p, "%s.ts", path);
	if (report_ts_parse(json_object_get(m, "ts"), &t) < 0)
		return bad(c, p, "expected epoch seconds as \"1700000000.123456\"");
	const json_t *b64 = json_object_get(m, "raw_b64");
	if (json_object_get(m, "raw") && !json_is_string(json_object_get(m, "raw")))
		return pathf(p, sizeof p, "%s.raw", path), bad(c, p, "expected a string");
	if (b64) {
		struct xs_buf tmp = { 0 };
		r = json_is_string(b64) ? report_b64_decode(&tmp, json_string_value(b64),
							    json_string_length(b64))
					: -EBADMSG;
		xs_buf_reset(&tmp);
		if (r == -EBADMSG)
			return pathf(p, sizeof p, "%s.raw_b64", path),
			       bad(c, p, "expected base64 (RFC 4648)");
		if (r < 0)
			return r;
	}
	return 0;
}

static int v_exchange(struct vctx *c, const json_t *result, const json_t *ex, const char *path)
{
	char p[200];
	size_t i;
	json_t *v;
	int r;
	if (!json_is_object(ex))
		return bad(c, path, "expected an object");
	if ((r = need(c, ex, path, "id", JSON_STRING, false)) < 0 ||
	    (r = need(c, ex, path, "device", JSON_STRING, true)) < 0 ||
	    (r = need(c, ex, path, "messages", JSON_ARRAY, false)) < 0 ||
	    (r = need(c, ex, path, "findings", JSON_ARRAY, false)) < 0)
		return r;
	const char *dev = rj_str(ex, "device");
	if (dev && !report_device(result, dev))
		return pathf(p, sizeof p, "%s.device", path), bad(c, p, "names no device");
	json_array_foreach(rj_arr(ex, "messages"), i, v) {
		pathf(p, sizeof p, "%s.messages[%zu]", path, i);
		if ((r = v_message(c, v, p)) < 0)
			return r;
	}
	json_array_foreach(rj_arr(ex, "http"), i, v) {
		int64_t t;
		pathf(p, sizeof p, "%s.http[%zu]", path, i);
		if (!json_is_object(v))
			return bad(c, p, "expected an object");
		if (report_ts_parse(json_object_get(v, "ts"), &t) < 0)
			return bad(c, p, "ts: expected epoch seconds as \"1700000000.123456\"");
	}
	json_array_foreach(rj_arr(ex, "findings"), i, v) {
		pathf(p, sizeof p, "%s.findings[%zu]", path, i);
		if (!json_is_object(v))
			return bad(c, p, "expected an object");
		if ((r = need(c, v, p, "rule", JSON_STRING, false)) < 0 ||
		    (r = one_of(c, v, p, "verdict", report_verdicts, REPORT_N_VERDICTS,
				"pass|fail|warn|skip|error")) < 0 ||
		    (r = one_of(c, v, p, "subject", subjects, 2, "phone|sender")) < 0)
			return r;
	}
	return 0;
}

/* First path where want and got differ (both from the summary), into c. */
static int v_diff(struct vctx *c, const json_t *want, const json_t *got, const char *path)
{
	if (json_is_object(want) && json_is_object(got)) {
		const char *k;
		json_t *w;
		char p[200];
		json_object_foreach((json_t *)want, k, w) {
			pathf(p, sizeof p, "%s.%s", path, k);
			if (v_diff(c, w, json_object_get(got, k), p) < 0)
				return -EBADMSG;
		}
		json_object_foreach((json_t *)got, k, w)
			if (!json_object_get(want, k))
				return pathf(p, sizeof p, "%s.%s", path, k),
				       bad(c, p, "not in the exchanges");
		return 0;
	}
	if (json_equal((json_t *)want, (json_t *)got))
		return 0;
	char w[160];
	if (json_is_integer(want))
		pathf(w, sizeof w, "does not match the exchanges (they give %lld)",
			 (long long)json_integer_value(want));
	else if (json_is_string(want))
		pathf(w, sizeof w, "does not match the exchanges (they give \"%s\")",
			 json_string_value(want));
	else
		pathf(w, sizeof w, "does not match the exchanges");
	return bad(c, path, w);
}

int report_validate(const json_t *j, char *err, size_t errlen)
{
	struct vctx c = { err, errlen };
	char p[512];
	size_t i;
	json_t *v;
	int r;
	if (err && errlen)
		err[0] = 0;
	if (!json_is_object(j))
		return bad(&c, "(top)", "expected an object");
	const char *schema = rj_str(j, "schema");
	if (!schema)
		return bad(&c, "schema", "missing: not an xscert result");
	if (strcmp(schema, REPORT_SCHEMA))
		return bad(&c, "schema", "unsupported (this xscert reads \"" REPORT_SCHEMA "\")");
	if ((r = need(&c, j, "", "tool", JSON_OBJECT, false)) < 0 ||
	    (r = need(&c, j, "", "source", JSON_OBJECT, false)) < 0 ||
	    (r = need(&c, j, "", "devices", JSON_ARRAY, false)) < 0 ||
	    (r = need(&c, j, "", "rules", JSON_ARRAY, false)) < 0 ||
	    (r = need(&c, j, "", "exchanges", JSON_ARRAY, false)) < 0 ||
	    (r = need(&c, j, "", "notes", JSON_ARRAY, false)) < 0 ||
	    (r = need(&c, j, "", "summary", JSON_OBJECT, false)) < 0)
		return r;
	const json_t *src = rj_obj(j, "source");
	if ((r = one_of(&c, src, "source", "kind", kinds, 3, "live|capture|merged")) < 0 ||
	    (r = need(&c, src, "source", "files", JSON_ARRAY, false)) < 0)
		return r;
	json_array_foreach(rj_arr(j, "devices"), i, v) {
		pathf(p, sizeof p, "devices[%zu]", i);
		if (!json_is_object(v))
			return bad(&c, p, "expected an object");
		if ((r = need(&c, v, p, "id", JSON_STRING, false)) < 0)
			return r;
		if (report_device(j, rj_str(v, "id")) != v)
			return bad(&c, p, "id: used twice");
	}
	json_array_foreach(rj_arr(j, "rules"), i, v) {
		pathf(p, sizeof p, "rules[%zu]", i);
		if (!json_is_object(v))
			return bad(&c, p, "expected an object");
		if ((r = need(&c, v, p, "id", JSON_STRING, false)) < 0)
			return r;
	}
	json_array_foreach(rj_arr(j, "exchanges"), i, v) {
		pathf(p, sizeof p, "exchanges[%zu]", i);
		if ((r = v_exchange(&c, j, v, p)) < 0)
			return r;
	}
	json_array_foreach(rj_arr(j, "notes"), i, v) {
		pathf(p, sizeof p, "notes[%zu]", i);
		if (!json_is_object(v))
			return bad(&c, p, "expected an object");
		if ((r = need(&c, v, p, "what", JSON_STRING, false)) < 0)
			return r;
	}
	json_t *want = report_summary_compute(j);
	if (!want)
		return -ENOMEM;
	r = v_diff(&c, want, rj_obj(j, "summary"), "summary");
	json_decref(want);
	return r;
}

/* ---- formats ---- */

static const char *const format_names[REPORT_FORMAT_COUNT] = { "json", "junit", "html", "md" };

const char *report_format_name(enum report_format f)
{
	return (unsigned)f < REPORT_FORMAT_COUNT ? format_names[f] : NULL;
}

int report_formats_parse(const char *csv, unsigned *mask)
{
	unsigned m = 0;
	const char *s = csv;
	if (!csv)
		return -EINVAL;
	while (*s) {
		size_t n = strcspn(s, ",");
		bool found = false;
		while (n && *s == ' ')
			s++, n--;
		size_t e = n;
		while (e && s[e - 1] == ' ')
			e--;
		if (e == 3 && !strncmp(s, "all", 3)) {
			m |= (1u << REPORT_FORMAT_COUNT) - 1;
			found = true;
		}
		for (unsigned f = 0; f < REPORT_FORMAT_COUNT; f++)
			if (strlen(format_names[f]) == e && !strncmp(s, format_names[f], e)) {
				m |= 1u << f;
				found = true;
			}
		if (!found)
			return -EINVAL;
		s += n;
		if (*s == ',')
			s++;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

int report_render(const json_t *result, enum report_format f, struct xs_buf *out)
{
	int r;
	switch (f) {
	case REPORT_JSON: {
		json_t *copy = json_deep_copy(result);
		if (!copy)
			return -ENOMEM;
		report_scrub_secrets(copy);
		char *s = json_dumps(copy, JSON_INDENT(1) | JSON_ENSURE_ASCII);
		json_decref(copy);
		if (!s)
			return -ENOMEM;
		r = xs_buf_puts(out, s) < 0 || xs_buf_puts(out, "\n") < 0 ? -ENOMEM : 0;
		free(s);
		return r;
	}
	case REPORT_JUNIT:
		r = report_render_junit(result, out);
		break;
	case REPORT_HTML:
		r = report_render_html(result, out);
		break;
	case REPORT_MD:
		r = report_render_md(result, out);
		break;
	default:
		return -EINVAL;
	}
	return r == 0 && out->oom ? -ENOMEM : r;
}

int report_make_dirs(const char *dir)
{
	char p[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof p)
		return -EINVAL;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != 0)
			continue;
		char c = p[i];
		p[i] = 0;
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			return -errno;
		p[i] = c;
	}
	return 0;
}

/* Write len bytes to path through path.tmp and rename, so a reader never sees half a file. */
static int write_atomic(const char *path, const void *p, size_t len)
{
	char tmp[4200];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return -ENAMETOOLONG;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	const uint8_t *b = p;
	while (len) {
		ssize_t w = write(fd, b, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			int e = -errno;
			close(fd);
			unlink(tmp);
			return e;
		}
		b += w;
		len -= (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		int e = -errno;
		unlink(tmp);
		return e;
	}
	return 0;
}

int report_write_dir(const json_t *result, const char *dir, unsigned mask, char *err,
		     size_t errlen)
{
	static const char *const files[REPORT_FORMAT_COUNT] = { "result.json", "junit.xml",
								"report.html", "report.md" };
	char path[4096];
	int r = report_make_dirs(dir);
	if (r < 0) {
		snprintf(err, errlen, "%s", dir);
		return r;
	}
	for (unsigned f = 0; f < REPORT_FORMAT_COUNT; f++) {
		if (!(mask & 1u << f))
			continue;
		struct xs_buf b = { 0 };
		snprintf(path, sizeof path, "%s/%s", dir, files[f]);
		r = report_render(result, (enum report_format)f, &b);
		if (r == 0)
			r = write_atomic(path, b.p ? (const void *)b.p : "", b.len);
		xs_buf_reset(&b);
		if (r < 0) {
			snprintf(err, errlen, "%s", path);
			return r;
		}
	}
	return 0;
}
