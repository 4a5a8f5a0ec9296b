/* SPDX-License-Identifier: MIT */
/* record.c — constructors, destructors and names of the shared records (DESIGN.md §5). */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[XS_VERDICT_COUNT] = {
	[XS_PASS] = "pass", [XS_FAIL] = "fail", [XS_WARN] = "warn",
	[XS_SKIP] = "skip", [XS_ERROR] = "error",
};
static const char *const subject_names[] = {
	[XS_SUBJECT_PHONE] = "phone",
	[XS_SUBJECT_SENDER] = "sender",
};
static const char *const intent_names[] = {
	[XS_AUTH_UNKNOWN] = "unknown",
	[XS_AUTH_NONE] = "none",
	[XS_AUTH_CORRECT] = "correct",
	[XS_AUTH_WRONG_PASSWORD] = "wrong-password",
	[XS_AUTH_WRONG_USER] = "wrong-user",
	[XS_AUTH_WRONG_REALM] = "wrong-realm",
	[XS_AUTH_WRONG_URI] = "wrong-uri",
	[XS_AUTH_REPLAY] = "replay",
	[XS_AUTH_STALE] = "stale",
};

const char *xs_verdict_name(enum xs_verdict v)
{
	return (unsigned)v < XS_ARRAY_SIZE(verdict_names) ? verdict_names[v] : "unknown";
}

const char *xs_subject_name(enum xs_subject s)
{
	return (unsigned)s < XS_ARRAY_SIZE(subject_names) ? subject_names[s] : "unknown";
}

const char *xs_auth_intent_name(enum xs_auth_intent i)
{
	return (unsigned)i < XS_ARRAY_SIZE(intent_names) ? intent_names[i] : "unknown";
}

int xs_verdict_from_name(const char *name, enum xs_verdict *v)
{
	for (size_t i = 0; name && i < XS_ARRAY_SIZE(verdict_names); i++)
		if (!strcmp(name, verdict_names[i])) {
			*v = (enum xs_verdict)i;
			return 0;
		}
	return -EINVAL;
}

int xs_auth_intent_from_name(const char *name, enum xs_auth_intent *i)
{
	for (size_t k = 0; name && k < XS_ARRAY_SIZE(intent_names); k++)
		if (!strcmp(name, intent_names[k])) {
			*i = (enum xs_auth_intent)k;
			return 0;
		}
	return -EINVAL;
}

/* strdup that maps NULL to NULL and reports failure through *oom. */
static char *dup_or_null(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *d = strdup(s);
	if (!d)
		*oom = true;
	return d;
}

/* A fresh string formatted from fmt; NULL on ENOMEM. */
static char *vformat(const char *fmt, va_list ap)
{
	struct xs_buf b = { 0 };
	if (xs_buf_vprintf(&b, fmt, ap) < 0) {
		xs_buf_reset(&b);
		return NULL;
	}
	return xs_buf_steal(&b, NULL);
}

/*
 * Room for element n of an array only ever grown here from empty: capacity
 * `first` (a power of two), then doubling, implied by n (a reallocation at
 * n = 0, first, 2 * first ... instead of at every element). -ENOMEM.
 */
static int grow_from(void **arr, size_t n, size_t sz, size_t first)
{
	if (n && (n < first || (n & (n - 1))))
		return 0; /* fits: the capacity is the power of two above n */
	size_t cap = n ? 2 * n : first;
	if (cap >= SIZE_MAX / sz)
		return -ENOMEM;
	void *p = realloc(*arr, cap * sz);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static int grow(void **arr, size_t n, size_t sz)
{
	return grow_from(arr, n, sz, 4);
}

/* An exchange's findings: one per rule of the catalogue, about; its messages: a handful. */
#define FINDINGS_FIRST 32u
#define MSGS_FIRST 8u

int xs_result_new(struct xs_result **ret, enum xs_source_kind kind)
{
	if (!ret)
		return -EINVAL;
	struct xs_result *r = calloc(1, sizeof *r);
	if (!r)
		return -ENOMEM;
	r->source_kind = kind;
	*ret = r;
	return 0;
}

static void device_clear(struct xs_device *d)
{
	free(d->id);
	free(d->address);
	free(d->server);
	free(d->model);
	free(d->firmware);
	free(d->profile);
}

static void http_clear(struct xs_http_req *h)
{
	free(h->method);
	free(h->target);
	free(h->url);
	free(h->user_agent);
}

struct xs_result *xs_result_free(struct xs_result *r)
{
	if (!r)
		return NULL;
	free(r->target);
	for (size_t i = 0; i < r->n_files; i++)
		free(r->files[i]);
	free(r->files);
	for (size_t i = 0; i < r->n_devices; i++)
		device_clear(&r->devices[i]);
	free(r->devices);
	for (size_t i = 0; i < r->n_exchanges; i++)
		xs_exchange_free(r->exchanges[i]);
	free(r->exchanges);
	for (size_t i = 0; i < r->n_notes; i++) {
		free(r->notes[i].file);
		free(r->notes[i].what);
	}
	free(r->notes);
	free(r);
	return NULL;
}

int xs_result_add_device(struct xs_result *r, const struct xs_device *d)
{
	if (!r || !d || r->n_devices >= INT32_MAX)
		return -EINVAL;
	if (grow((void **)&r->devices, r->n_devices, sizeof *r->devices) < 0)
		return -ENOMEM;
	bool oom = false;
	struct xs_device c = {
		.address = dup_or_null(d->address, &oom),
		.server = dup_or_null(d->server, &oom),
		.model = dup_or_null(d->model, &oom),
		.firmware = dup_or_null(d->firmware, &oom),
		.profile = dup_or_null(d->profile, &oom),
	};
	if (d->id) {
		c.id = dup_or_null(d->id, &oom);
	} else {
		char id[32];
		snprintf(id, sizeof id, "d%zu", r->n_devices + 1);
		c.id = dup_or_null(id, &oom);
	}
	if (oom) {
		device_clear(&c);
		return -ENOMEM;
	}
	r->devices[r->n_devices] = c;
	return (int)r->n_devices++;
}

int xs_result_add_exchange(struct xs_result *r, struct xs_exchange *ex)
{
	if (!r || !ex)
		return -EINVAL;
	if (grow((void **)&r->exchanges, r->n_exchanges, sizeof *r->exchanges) < 0)
		return -ENOMEM;
	r->exchanges[r->n_exchanges++] = ex;
	return 0;
}

int xs_result_add_file(struct xs_result *r, const char *path)
{
	if (!r || !path)
		return -EINVAL;
	if (grow((void **)&r->files, r->n_files, sizeof *r->files) < 0)
		return -ENOMEM;
	char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	r->files[r->n_files++] = p;
	return 0;
}

int xs_result_add_note(struct xs_result *r, const char *file, uint64_t frame,
		       const char *fmt, ...)
{
	if (!r || !fmt)
		return -EINVAL;
	if (grow((void **)&r->notes, r->n_notes, sizeof *r->notes) < 0)
		return -ENOMEM;
	va_list ap;
	va_start(ap, fmt);
	struct xs_note n = { .frame = frame, .what = vformat(fmt, ap) };
	va_end(ap);
	bool oom = !n.what;
	n.file = dup_or_null(file, &oom);
	if (oom) {
		free(n.file);
		free(n.what);
		return -ENOMEM;
	}
	r->notes[r->n_notes++] = n;
	return 0;
}

int xs_exchange_new(struct xs_exchange **ret, const char *id)
{
	if (!ret)
		return -EINVAL;
	/* the id lives at the end of the same allocation */
	const char *name = id ? id : "e1";
	size_t n = strlen(name) + 1;
	struct xs_exchange *ex = calloc(1, sizeof *ex + n);
	if (!ex)
		return -ENOMEM;
	ex->id = memcpy(ex + 1, name, n);
	ex->i_notify = ex->i_challenge = ex->i_retry = ex->i_final = -1;
	ex->fetch_window_us = XS_FETCH_WINDOW_DEFAULT_US;
	*ret = ex;
	return 0;
}

int xs_result_add_verdict(struct xs_result *r, const char *id, const char *title,
			  const char *device_id, const char *rule, enum xs_verdict v,
			  const char *fmt, ...)
{
	if (!r || !title || !rule || !fmt || (unsigned)v >= XS_VERDICT_COUNT)
		return -EINVAL;
	struct xs_exchange *ex;
	int e = xs_exchange_new(&ex, id);
	if (e < 0)
		return e;
	bool oom = false;
	ex->title = dup_or_null(title, &oom);
	ex->device_id = device_id;
	va_list ap;
	va_start(ap, fmt);
	char *detail = vformat(fmt, ap);
	va_end(ap);
	e = oom || !detail ? -ENOMEM
			   : xs_exchange_add_finding(ex, rule, v, XS_SUBJECT_PHONE, NULL, "%s", detail);
	free(detail);
	if (e == 0)
		e = xs_result_add_exchange(r, ex);
	if (e < 0)
		xs_exchange_free(ex);
	return e < 0 ? e : 0;
}

struct xs_exchange *xs_exchange_free(struct xs_exchange *ex)
{
	if (!ex)
		return NULL;
	/* ex->id is part of ex */
	free(ex->scenario);
	free(ex->title);
	for (size_t i = 0; i < ex->n_msgs; i++)
		sip_msg_free(ex->msgs[i]);
	free(ex->msgs);
	for (size_t i = 0; i < ex->n_http; i++)
		http_clear(&ex->http[i]);
	free(ex->http);
	xs_exchange_drop_findings(ex);
	free(ex);
	return NULL;
}

void xs_exchange_drop_findings(struct xs_exchange *ex)
{
	for (size_t i = 0; i < ex->n_findings; i++) {
		if (ex->findings[i].detail) /* a terse exchange's have none: no call per finding */
			free(ex->findings[i].detail);
		if (ex->findings[i].evidence)
			free(ex->findings[i].evidence);
	}
	free(ex->findings);
	ex->findings = NULL;
	ex->n_findings = 0;
}

int xs_exchange_add_msg(struct xs_exchange *ex, struct sip_msg *m)
{
	if (!ex || !m || ex->n_msgs >= INT32_MAX)
		return -EINVAL;
	if (grow_from((void **)&ex->msgs, ex->n_msgs, sizeof *ex->msgs, MSGS_FIRST) < 0)
		return -ENOMEM;
	ex->msgs[ex->n_msgs] = m;
	return (int)ex->n_msgs++;
}

int xs_exchange_add_http(struct xs_exchange *ex, const struct xs_http_req *req)
{
	if (!ex || !req)
		return -EINVAL;
	if (grow((void **)&ex->http, ex->n_http, sizeof *ex->http) < 0)
		return -ENOMEM;
	bool oom = false;
	struct xs_http_req c = *req;
	c.method = dup_or_null(req->method, &oom);
	c.target = dup_or_null(req->target, &oom);
	c.url = dup_or_null(req->url, &oom);
	c.user_agent = dup_or_null(req->user_agent, &oom);
	if (oom) {
		http_clear(&c);
		return -ENOMEM;
	}
	ex->http[ex->n_http++] = c;
	return 0;
}

int xs_exchange_add_finding(struct xs_exchange *ex, const char *rule,
			    enum xs_verdict v, enum xs_subject s,
			    const char *evidence, const char *fmt, ...)
{
	if (!ex || !rule || !fmt || (unsigned)v >= XS_VERDICT_COUNT)
		return -EINVAL;
	if (grow_from((void **)&ex->findings, ex->n_findings, sizeof *ex->findings, FINDINGS_FIRST) < 0)
		return -ENOMEM;
	va_list ap;
	va_start(ap, fmt);
	struct xs_finding f = { .rule = rule, .verdict = v, .subject = s, .detail = vformat(fmt, ap) };
	va_end(ap);
	bool oom = !f.detail;
	f.evidence = dup_or_null(evidence, &oom);
	if (oom) {
		free(f.evidence);
		free(f.detail);
		return -ENOMEM;
	}
	ex->findings[ex->n_findings++] = f;
	return 0;
}

int xs_exchange_add_bare_finding(struct xs_exchange *ex, const char *rule, enum xs_verdict v,
				 enum xs_subject s)
{
	if (!ex || !rule || (unsigned)v >= XS_VERDICT_COUNT)
		return -EINVAL;
	if (grow_from((void **)&ex->findings, ex->n_findings, sizeof *ex->findings, FINDINGS_FIRST) < 0)
		return -ENOMEM;
	ex->findings[ex->n_findings++] = (struct xs_finding){ .rule = rule, .verdict = v, .subject = s };
	return 0;
}

void xs_result_count(const struct xs_result *r, size_t counts[XS_VERDICT_COUNT])
{
	for (size_t v = 0; v < XS_VERDICT_COUNT; v++)
		counts[v] = 0;
	if (!r)
		return;
	for (size_t i = 0; i < r->n_exchanges; i++) {
		const struct xs_exchange *ex = r->exchanges[i];
		for (size_t k = 0; k < ex->n_findings; k++)
			if ((unsigned)ex->findings[k].verdict < XS_VERDICT_COUNT)
				counts[ex->findings[k].verdict]++;
	}
}
