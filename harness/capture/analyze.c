/* SPDX-License-Identifier: MIT */
/* analyze.c — the exchange builder: NOTIFY, challenge, retry, answer and fetch from decoded units, judged as they complete. */
#include "capture-int.h"
#include "pipe.h"
#include "harness/digest/digest.h"
#include "harness/firmware/firmware.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PEND_BUCKETS 4096u  /* power of two */
#define DEV_BUCKETS 256u    /* power of two, over CAP_MAX_DEVICES */
#define CHECK_EVERY_US 1000000LL

/* Events whose NOTIFY a phone challenges (reference/cisco-xml-service.md). */
static const char *const watched_events[] = {
	"xml-service", "resync", "reboot_now", "restart_now", "check-sync", "report",
	"reboot", "restart",
};

struct device {
	struct device *hnext;   /* hash chain by address */
	struct xs_endpoint ep;  /* the phone's SIP address */
	int idx;                /* in the result, -1 until added */
	struct rules_ctx *rc;
	char *server;           /* Server / User-Agent seen */
};

/* An exchange still being built. */
struct pend {
	struct pend *hnext;          /* hash chain by Call-ID */
	struct pend *anext;          /* hash chain by the phone's host (loopback: one) */
	uint32_t ahash;
	uint64_t seq;                /* creation order */
	int64_t due;                 /* judged once the capture's time is past this */
	size_t slot;                 /* in the analyzer's slots */
	uint32_t hash;
	struct xs_exchange *ex;
	char *call_id, *from_tag; /* these four: part of the pend's allocation */
	char *branch_notify;
	char *event;                 /* the NOTIFY's Event (64 bytes at most), for the title */
	uint32_t cseq_notify, cseq_retry;
	bool has_retry;
	struct xs_endpoint phone;
	struct device *dev;
	int64_t last_ts, final_ts;
	int64_t fetch_ts;            /* first linked HTTP request, 0: none yet */
	bool final_2xx;
	uint64_t dropped_msgs;
	uint64_t first_frame;
};

/* Verdict counts of folded exchanges, per rule. */
struct fold {
	const char *rule;
	enum xs_subject subject;
	uint64_t n[XS_VERDICT_COUNT];
	char first[XS_VERDICT_COUNT][24]; /* first exchange with that verdict */
};

/*
 * The open exchanges in creation order, oldest first, with their due times:
 * the expiry walk reads these 16 bytes a slot instead of each pend, most of
 * which are not due and long out of the cache. p NULL: judged.
 */
struct open_slot {
	int64_t due;
	struct pend *p;
};

/* The capture's time as the analyzer is told it, and when it next checks what expired. */
struct tick_clock {
	int64_t now, next_check;
};

struct cap_analyzer {
	struct xs_result *res;
	struct cap_analyzer_opts o;
	struct cap_analyzer_stats st;
	struct cap_decoder *dec;     /* of the file being read */
	const char *file;
	struct pend *b[PEND_BUCKETS];
	struct pend *ab[PEND_BUCKETS]; /* by the phone's host */
	struct open_slot *slots;     /* [slots_head, n_slots): the open ones and the judged since; */
	size_t slots_head, n_slots, cap_slots; /* slots[slots_head] is open when n_open */
	size_t n_open;
	struct device **devs;        /* owned, stable addresses */
	size_t n_devs;
	struct device *db[DEV_BUCKETS]; /* by address and port */
	struct device *other;        /* shared past CAP_MAX_DEVICES */
	struct tick_clock clock;
	uint64_t next_id;
	size_t kept_full, kept_failed;
	struct fold *folds;
	size_t n_folds;
	struct cap_stats dstats;     /* decode statistics over every file */
	uint64_t n_notes;            /* raised, including those not kept */
	uint64_t judge_oom;          /* exchanges whose judging ran out of memory */
	char judge_oom_first[24];
	uint64_t judge_oom_frame;
};

/* ---- small helpers -------------------------------------------------- */

/* A note in the result, while under CAP_MAX_NOTES; the rest are counted. */
static void note(struct cap_analyzer *a, uint64_t frame, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void note(struct cap_analyzer *a, uint64_t frame, const char *fmt, ...)
{
	if (a->n_notes++ >= CAP_MAX_NOTES)
		return;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	xs_result_add_note(a->res, a->file, frame, "%s", msg);
}

static uint32_t hash_span(struct xs_span s)
{
	return xs_hash32(s.p, s.len);
}

static bool span_eq_cstr(struct xs_span s, const char *c)
{
	return c ? xs_span_eq_str(s, c) : s.len == 0;
}

static bool lower_eq(const uint8_t *p, size_t n, const char *s)
{
	return xs_span_caseeq_str(xs_span(p, n), s);
}

/*
 * What the analyzer needs from every SIP message before deciding to parse it
 * fully: the first bytes of the start line, Call-ID, CSeq method, Event and
 * whether a Digest Authorization rides along. Header names per RFC 3261 §7.3.3
 * compact forms (i: Call-ID, o: Event). A response's scan ends once its
 * Call-ID and CSeq are found (the first of each).
 */
struct quick {
	bool request;
	bool notify;        /* request method or CSeq method is NOTIFY */
	bool watched;       /* Event is one of watched_events */
	bool digest_auth;
	struct xs_span method;   /* of a request */
	struct xs_span call_id;
};

/* The header names the quick scan reads, full and compact (RFC 3261 §7.3.3, i: Call-ID, o: Event). */
enum quick_name { QN_CALL_ID = 1, QN_CSEQ, QN_EVENT, QN_AUTH };
enum { QE_I, QE_O, QE_CSEQ, QE_EVENT, QE_CALL_ID, QE_AUTH, QE_PROXY_AUTH };
static const struct {
	struct xs_span name;
	enum quick_name no;
} quick_names[] = {
#define QE(e, s, no) [e] = { { (const uint8_t *)s, sizeof s - 1 }, no }
	QE(QE_I, "i", QN_CALL_ID),	     QE(QE_O, "o", QN_EVENT),
	QE(QE_CSEQ, "cseq", QN_CSEQ),	     QE(QE_EVENT, "event", QN_EVENT),
	QE(QE_CALL_ID, "call-id", QN_CALL_ID), QE(QE_AUTH, "authorization", QN_AUTH),
	QE(QE_PROXY_AUTH, "proxy-authorization", QN_AUTH),
#undef QE
};

/* The entry of quick_names a name nlen long can be, -1: none. */
static int quick_by_len(const uint8_t *name, size_t nlen)
{
	switch (nlen) {
	case 1: return (name[0] | 0x20) == 'o' ? QE_O : QE_I;
	case 4: return QE_CSEQ;
	case 5: return QE_EVENT;
	case 7: return QE_CALL_ID;
	case 13: return QE_AUTH;
	case 19: return QE_PROXY_AUTH;
	default: return -1;
	}
}

static void quick_scan(const uint8_t *p, size_t len, struct quick *q)
{
	memset(q, 0, sizeof *q);
	struct xs_cur c = xs_cur_init(p, len);
	struct xs_span line;
	if (xs_cur_line(&c, &line) < 0)
		return;
	q->request = !(line.len >= 8 && !memcmp(line.p, "SIP/2.0 ", 8));
	if (q->request) {
		q->notify = line.len > 7 && !memcmp(line.p, "NOTIFY ", 7);
		const uint8_t *sp = xs_find_byte(line.p, ' ', line.len);
		q->method = xs_span(line.p, sp ? (size_t)(sp - line.p) : 0);
	}
	bool have_cseq = false;
	while (xs_cur_line(&c, &line) == 0 && line.len) {
		const uint8_t *colon = xs_find_byte(line.p, ':', line.len);
		if (!colon)
			continue;
		size_t nlen = (size_t)(colon - line.p);
		while (nlen && (line.p[nlen - 1] == ' ' || line.p[nlen - 1] == '\t'))
			nlen--;
		/* only these names matter: most lines are told by their length alone,
		 * the rest by the one name of that length (two compact letters) */
		int k = quick_by_len(line.p, nlen);
		if (k < 0 || !xs_span_caseeq(xs_span(line.p, nlen), quick_names[k].name))
			continue;
		enum quick_name name = quick_names[k].no;
		struct xs_span v = xs_span_trim(xs_span(colon + 1, line.len - nlen - 1 -
							(size_t)(colon - line.p - nlen)));
		if (name == QN_CALL_ID) {
			q->call_id = v;
			if (!q->request && have_cseq)
				return; /* a response needs nothing more */
		} else if (name == QN_CSEQ) {
			if (!q->request) {
				const uint8_t *sp = xs_find_byte(v.p, ' ', v.len);
				if (sp) {
					struct xs_span m = xs_span_trim(
						xs_span(sp, v.len - (size_t)(sp - v.p)));
					q->notify = xs_span_eq_str(m, "NOTIFY");
				}
				if (q->call_id.p)
					return;
				have_cseq = true;
			}
		} else if (name == QN_EVENT) {
			size_t n = 0;
			while (n < v.len && v.p[n] != ';' && v.p[n] != ' ' && v.p[n] != '\t')
				n++;
			for (size_t i = 0; i < XS_ARRAY_SIZE(watched_events); i++)
				if (lower_eq(v.p, n, watched_events[i]))
					q->watched = true;
		} else {
			if (v.len >= 6 && lower_eq(v.p, 6, "digest"))
				q->digest_auth = true;
		}
	}
}

/* ---- devices -------------------------------------------------------- */

static struct device *device_add(struct cap_analyzer *a, const struct xs_endpoint *ep)
{
	struct device **nd = realloc(a->devs, (a->n_devs + 1) * sizeof *nd);
	if (!nd)
		return NULL;
	a->devs = nd;
	struct device *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->ep = *ep;
	d->idx = -1;
	if (rules_ctx_new(&d->rc, a->o.creds, a->o.n_creds) < 0) {
		free(d);
		return NULL;
	}
	a->devs[a->n_devs++] = d;
	return d;
}

/* The device at ep; past CAP_MAX_DEVICES every new address shares one "other" device. */
static uint32_t endpoint_hash(const struct xs_endpoint *ep)
{
	return (hash_span(xs_span_str(ep->addr)) ^ ep->port) * 16777619u;
}

static struct device *device_for(struct cap_analyzer *a, const struct xs_endpoint *ep)
{
	struct device **b = &a->db[endpoint_hash(ep) & (DEV_BUCKETS - 1)];
	for (struct device *d = *b; d; d = d->hnext)
		if (d->ep.port == ep->port && !strcmp(d->ep.addr, ep->addr))
			return d;
	if (a->n_devs < CAP_MAX_DEVICES) {
		struct device *d = device_add(a, ep);
		if (d) {
			d->hnext = *b;
			*b = d;
		}
		return d;
	}
	if (!a->other) {
		struct xs_endpoint any = { .addr = "(other devices)" };
		a->other = device_add(a, &any);
	}
	return a->other;
}

static void device_saw(struct device *d, struct xs_span server)
{
	server = xs_span_trim(server);
	if (!d || d->server || !server.len)
		return;
	d->server = xs_span_dup(server);
}

/* Add the device to the result (once), with what Server / User-Agent said. */
static const char *device_id(struct cap_analyzer *a, struct device *d)
{
	if (!d)
		return NULL;
	if (d->idx < 0) {
		char addr[64];
		if (d == a->other)
			snprintf(addr, sizeof addr, "%s", d->ep.addr);
		else
			xs_endpoint_format(&d->ep, addr, sizeof addr);
		struct xs_device xd = { .address = addr, .server = d->server };
		struct fw_ident id;
		if (d->server &&
		    fw_ident_parse((const uint8_t *)d->server, strlen(d->server), &id) == 0) {
			xd.model = id.model;
			xd.firmware = id.version;
			const struct fw_profile *prof = fw_profile_for(&id);
			if (prof)
				xd.profile = (char *)prof->name;
		}
		int r = xs_result_add_device(a->res, &xd);
		if (r < 0)
			return NULL;
		d->idx = r;
	}
	return a->res->devices[d->idx].id;
}

/* ---- credentials and intent ----------------------------------------- */

/*
 * What the sender meant by its retry. From the wire alone: a digest-uri
 * other than the Request-URI is WRONG_URI; a realm the challenge did not
 * offer, WRONG_REALM; a retry the phone answered with a
 * stale=true challenge is STALE (a capture cannot know the nonce lifetime,
 * so a phone that ignores staleness is not seen here). From the known
 * passwords: a digest that verifies is CORRECT, one that does not is
 * WRONG_PASSWORD; anything else UNKNOWN. A user (or user and realm) no
 * credential line names is UNKNOWN, never WRONG_USER or WRONG_REALM: the
 * file lists the passwords we know, not every account the phone has, so the
 * rules skip a phone that accepts it rather than fail it. A first NOTIFY
 * that already carries credentials is a REPLAY; one that got a challenge and
 * no retry, NONE.
 */
static bool has_authorization(const struct sip_msg *m);

/* The Digest challenges of a 401/407 (both header names, every line); their count. */
static size_t challenges_of(const struct sip_msg *m, struct digest_challenge *ch, size_t max)
{
	size_t n = 0;
	struct xs_span v;
	if (m->status != 401 && m->status != 407)
		return 0;
	static const enum sip_hdr_id names[] = { SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE };
	for (size_t h = 0; h < XS_ARRAY_SIZE(names); h++)
		for (unsigned i = 0; n < max && sip_msg_header_id(m, names[h], i, false, &v) == 0; i++) {
			struct digest_error de;
			size_t got = n;
			if (digest_challenge_parse(v.p, v.len, ch, max, &got, &de) >= 0)
				n = got;
		}
	return n;
}

/* The final answer challenges again with stale=true (RFC 7616 §3.3). */
static bool final_is_stale(const struct xs_exchange *ex)
{
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t n = ex->i_final < 0 ? 0 : challenges_of(ex->msgs[ex->i_final], ch, XS_ARRAY_SIZE(ch));
	for (size_t k = 0; k < n; k++)
		if (ch[k].stale)
			return true;
	return false;
}

/* The retry names a realm none of the exchange's challenges offered. */
static bool realm_not_offered(const struct xs_exchange *ex, const char *realm)
{
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t n = ex->i_challenge < 0 ? 0
				       : challenges_of(ex->msgs[ex->i_challenge], ch, XS_ARRAY_SIZE(ch));
	for (size_t k = 0; k < n; k++)
		if (!strcmp(ch[k].realm, realm))
			return false;
	return n > 0;
}

static enum xs_auth_intent infer_intent(const struct cap_analyzer *a, const struct xs_exchange *ex)
{
	if (ex->i_retry < 0) {
		/* credentials before any challenge of this exchange: a nonce reused from an
		 * earlier one (a replay, or a stale nonce) */
		if (ex->i_notify >= 0 && has_authorization(ex->msgs[ex->i_notify]))
			return XS_AUTH_REPLAY;
		return ex->i_challenge >= 0 ? XS_AUTH_NONE : XS_AUTH_UNKNOWN;
	}
	const struct sip_msg *m = ex->msgs[ex->i_retry];
	struct xs_span v;
	if (sip_msg_header_id(m, SIP_HDR_AUTHORIZATION, 0, false, &v) < 0 &&
	    sip_msg_header_id(m, SIP_HDR_PROXY_AUTHORIZATION, 0, false, &v) < 0)
		return XS_AUTH_UNKNOWN;
	struct digest_credentials cr; /* 1.9 KB: a malloc would take glibc's large-chunk path */
	struct digest_error de;
	enum xs_auth_intent intent = XS_AUTH_UNKNOWN;
	if (digest_credentials_parse(v.p, v.len, &cr, &de) < 0)
		goto out;
	if (!xs_span_eq_str(m->ruri, cr.uri)) {
		intent = XS_AUTH_WRONG_URI;
		goto out;
	}
	if (realm_not_offered(ex, cr.realm)) {
		intent = XS_AUTH_WRONG_REALM;
		goto out;
	}
	if (final_is_stale(ex)) {
		intent = XS_AUTH_STALE;
		goto out;
	}
	if (!a->o.n_creds)
		goto out;
	for (size_t i = 0; i < a->o.n_creds; i++) {
		const struct rules_credential *k = &a->o.creds[i];
		if (strcmp(k->username, cr.username))
			continue;
		if (k->realm[0] && strcmp(k->realm, cr.realm))
			continue;
		struct digest_expect exp = {
			.username = k->username,
			.password = k->password,
			.qop_mask = cr.qop == DIGEST_QOP_NONE ? 0 : DIGEST_QOP_MASK(cr.qop),
		};
		enum digest_check res;
		if (digest_verify(&cr, m->method, sip_msg_body(m), &exp, &res) < 0)
			continue;
		if (res == DIGEST_VALID) {
			intent = XS_AUTH_CORRECT;
			goto out;
		}
		if (res == DIGEST_BAD_RESPONSE)
			intent = XS_AUTH_WRONG_PASSWORD;
	}
out:
	explicit_bzero(&cr, sizeof cr);
	return intent;
}

/* ---- folding -------------------------------------------------------- */

static struct fold *fold_for(struct cap_analyzer *a, const char *rule, enum xs_subject s,
			     size_t hint)
{
	/* rule ids are the catalogue's own strings: by address first, by text if not;
	 * the findings of every exchange come in the catalogue's order, so the
	 * fold of the i-th finding is the i-th fold (hint) but when a rule was not run */
	if (hint < a->n_folds && a->folds[hint].rule == rule)
		return &a->folds[hint];
	for (size_t i = 0; i < a->n_folds; i++)
		if (a->folds[i].rule == rule)
			return &a->folds[i];
	for (size_t i = 0; i < a->n_folds; i++)
		if (!strcmp(a->folds[i].rule, rule))
			return &a->folds[i];
	struct fold *nf = realloc(a->folds, (a->n_folds + 1) * sizeof *nf);
	if (!nf)
		return NULL;
	a->folds = nf;
	struct fold *f = &a->folds[a->n_folds++];
	memset(f, 0, sizeof *f);
	f->rule = rule;
	f->subject = s;
	return f;
}

static void fold_exchange(struct cap_analyzer *a, const struct xs_exchange *ex)
{
	a->st.folded++;
	for (size_t i = 0; i < ex->n_findings; i++) {
		const struct xs_finding *fi = &ex->findings[i];
		struct fold *f = fold_for(a, fi->rule, fi->subject, i);
		if (!f || (unsigned)fi->verdict >= XS_VERDICT_COUNT)
			continue;
		if (!f->n[fi->verdict]++)
			snprintf(f->first[fi->verdict], sizeof f->first[0], "%s", ex->id);
	}
}

static int fold_finish(struct cap_analyzer *a)
{
	if (!a->st.folded)
		return 0;
	struct xs_exchange *ex;
	int r = xs_exchange_new(&ex, "e-folded");
	if (r < 0)
		return r;
	struct xs_buf t = { 0 };
	xs_buf_printf(&t, "%llu further exchanges, judged and summarised (not kept whole)",
		      (unsigned long long)a->st.folded);
	ex->title = xs_buf_steal(&t, NULL);
	for (size_t i = 0; i < a->n_folds; i++) {
		const struct fold *f = &a->folds[i];
		for (int v = 0; v < XS_VERDICT_COUNT; v++)
			if (f->n[v])
				xs_exchange_add_finding(ex, f->rule, (enum xs_verdict)v, f->subject,
							NULL, "%llu folded exchanges: %s (first: %s)",
							(unsigned long long)f->n[v],
							xs_verdict_name((enum xs_verdict)v), f->first[v]);
	}
	if ((r = xs_result_add_exchange(a->res, ex)) < 0)
		xs_exchange_free(ex);
	return r;
}

/* ---- hosts ---------------------------------------------------------- */

static bool is_loopback(const char *a)
{
	return !strncmp(a, "127.", 4) || !strcmp(a, "::1") || !strncmp(a, "::ffff:127.", 11);
}

/* The phone's fetch comes from its address; on loopback the family may differ. */
static bool same_host(const char *a, const char *b)
{
	return !strcmp(a, b) || (is_loopback(a) && is_loopback(b));
}

/* Hosts same_host() joins hash alike: every loopback address to one value. */
static uint32_t host_hash(const char *addr)
{
	return is_loopback(addr) ? 0 : hash_span(xs_span_str(addr));
}

/* ---- pending exchanges ---------------------------------------------- */

static void pend_unlink(struct cap_analyzer *a, struct pend *p)
{
	struct pend **pp = &a->b[p->hash & (PEND_BUCKETS - 1)];
	while (*pp && *pp != p)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = p->hnext;
	pp = &a->ab[p->ahash & (PEND_BUCKETS - 1)];
	while (*pp && *pp != p)
		pp = &(*pp)->anext;
	if (*pp)
		*pp = p->anext;
	a->n_open--;
	a->slots[p->slot].p = NULL;
	while (a->slots_head < a->n_slots && !a->slots[a->slots_head].p)
		a->slots_head++;
}

/* Room for one more slot: the judged ones dropped (the others renumbered, in
 * order), the array doubled while still over half full. */
static int slots_room(struct cap_analyzer *a)
{
	if (a->n_slots < a->cap_slots)
		return 0;
	size_t w = 0;
	for (size_t i = a->slots_head; i < a->n_slots; i++)
		if (a->slots[i].p) {
			a->slots[w] = a->slots[i];
			a->slots[w].p->slot = w;
			w++;
		}
	a->slots_head = 0;
	a->n_slots = w;
	if (w < a->cap_slots / 2)
		return 0;
	size_t cap = a->cap_slots ? 2 * a->cap_slots : 256;
	struct open_slot *ns = realloc(a->slots, cap * sizeof *ns);
	if (!ns)
		return a->n_slots < a->cap_slots ? 0 : -ENOMEM;
	a->slots = ns;
	a->cap_slots = cap;
	return 0;
}

static void pend_free(struct pend *p)
{
	xs_exchange_free(p->ex);
	free(p); /* with its strings */
}

static bool has_bad_verdict(const struct xs_exchange *ex)
{
	for (size_t i = 0; i < ex->n_findings; i++)
		if (ex->findings[i].verdict == XS_FAIL || ex->findings[i].verdict == XS_WARN ||
		    ex->findings[i].verdict == XS_ERROR)
			return true;
	return false;
}

/* The title of an exchange kept whole (folded ones need none). */
static void set_title(struct xs_exchange *ex, const struct pend *p)
{
	char dst[64];
	xs_endpoint_format(&p->phone, dst, sizeof dst);
	struct xs_buf t = { 0 };
	xs_buf_printf(&t, "NOTIFY Event: %s to %s", p->event, dst);
	ex->title = xs_buf_steal(&t, NULL);
}

/* Judge p: kept in the result or folded (its findings freed). */
static void judge_now(struct cap_analyzer *a, struct pend *p)
{
	struct xs_exchange *ex = p->ex;
	ex->fetch_window_us = a->o.fetch_window_us;
	ex->intent = infer_intent(a, ex);
	/* A replay is one request that is both the push and its authenticated
	 * retry, as the runner records it, so XS-AUTH-03 judges it the same way. */
	if (ex->intent == XS_AUTH_REPLAY && ex->i_retry < 0)
		ex->i_retry = ex->i_notify;
	/* both quotas of whole exchanges spent: this one is only counted */
	ex->terse = a->kept_full >= CAP_KEEP_FULL && a->kept_failed >= CAP_KEEP_FAILED;
	if (p->dev && rules_evaluate(p->dev->rc, ex, NULL) < 0 && !a->judge_oom++) {
		snprintf(a->judge_oom_first, sizeof a->judge_oom_first, "%s", ex->id);
		a->judge_oom_frame = p->first_frame;
	}
	a->st.exchanges++;
	bool keep = false;
	if (a->kept_full < CAP_KEEP_FULL) {
		a->kept_full++;
		keep = true;
	} else if (a->kept_failed < CAP_KEEP_FAILED && has_bad_verdict(ex)) {
		a->kept_failed++;
		keep = true;
	}
	if (keep)
		set_title(ex, p);
	if (keep && xs_result_add_exchange(a->res, ex) == 0) {
		p->ex = NULL;
	} else {
		fold_exchange(a, ex);
		xs_exchange_drop_findings(ex);
	}
}

/* The exchange is complete (or will get nothing more): judged and released. */
static void judge(struct cap_analyzer *a, struct pend *p)
{
	pend_unlink(a, p);
	struct xs_exchange *ex = p->ex;
	ex->device_id = device_id(a, p->dev);
	if (p->dropped_msgs)
		note(a, p->first_frame,
				   "exchange %s: %llu further messages (retransmissions) not kept",
				   ex->id, (unsigned long long)p->dropped_msgs);
	judge_now(a, p);
	pend_free(p);
}

static struct pend *pend_find(struct cap_analyzer *a, struct xs_span call_id,
			      struct xs_span from_tag)
{
	uint32_t h = hash_span(call_id);
	for (struct pend *p = a->b[h & (PEND_BUCKETS - 1)]; p; p = p->hnext)
		if (p->hash == h && xs_span_eq_str(call_id, p->call_id) &&
		    span_eq_cstr(from_tag, p->from_tag))
			return p;
	return NULL;
}

/* Copy span v and a NUL to *at, moving *at past them; returns the copy. */
static char *put_span(char **at, struct xs_span v)
{
	char *d = *at;
	if (v.len)
		memcpy(d, v.p, v.len);
	d[v.len] = '\0';
	*at += v.len + 1;
	return d;
}

/* "e<n>" into out (24 bytes), as "e%llu" prints it; returns out. */
static char *exchange_id(char *out, uint64_t n)
{
	out[0] = 'e';
	out[1 + xs_dec(out + 1, n)] = '\0';
	return out;
}

static struct pend *pend_new(struct cap_analyzer *a, const struct sip_msg *m)
{
	if (a->n_open >= CAP_MAX_PENDING) { /* judge the oldest as it is */
		struct pend *old = a->slots[a->slots_head].p; /* created first */
		note(a, old->first_frame,
				   "more than %u exchanges open at once: %s judged early",
				   CAP_MAX_PENDING, old->ex->id);
		judge(a, old);
	}
	/* the dialog's strings live at the end of the same allocation */
	if (slots_room(a) < 0)
		return NULL;
	struct xs_span ev = xs_span(m->event.p, XS_MIN(m->event.len, 64u));
	size_t lc = m->call_id.len + 1, lf = m->from_tag.len ? m->from_tag.len + 1 : 0,
	       lb = m->via_branch.len + 1;
	struct pend *p = calloc(1, sizeof *p + lc + lf + lb + ev.len + 1);
	if (!p)
		return NULL;
	char *str = (char *)(p + 1);
	p->call_id = put_span(&str, m->call_id);
	p->from_tag = lf ? put_span(&str, m->from_tag) : NULL;
	p->branch_notify = put_span(&str, m->via_branch);
	p->event = put_span(&str, ev);
	char id[24];
	if (xs_exchange_new(&p->ex, exchange_id(id, ++a->next_id)) < 0) {
		pend_free(p);
		return NULL;
	}
	p->hash = hash_span(m->call_id);
	p->cseq_notify = m->cseq;
	p->phone = m->dst;
	p->dev = device_for(a, &m->dst);
	p->first_frame = m->frame;
	p->hnext = a->b[p->hash & (PEND_BUCKETS - 1)];
	a->b[p->hash & (PEND_BUCKETS - 1)] = p;
	p->ahash = host_hash(p->phone.addr);
	p->anext = a->ab[p->ahash & (PEND_BUCKETS - 1)];
	a->ab[p->ahash & (PEND_BUCKETS - 1)] = p;
	p->seq = a->next_id;
	a->n_open++;
	p->slot = a->n_slots++;
	a->slots[p->slot] = (struct open_slot){ p->due, p };
	return p;
}

/*
 * When p is complete, from its times (kept in p, so that the expiry walk reads
 * nothing else): idle too long without a final answer; after the fetch, a
 * short linger (only a retransmission or a second fetch can come); else the
 * fetch window after the final answer.
 */
static void pend_due(struct cap_analyzer *a, struct pend *p)
{
	if (p->ex->i_final < 0)
		p->due = p->last_ts + CAP_EXCHANGE_IDLE_US;
	else if (p->fetch_ts)
		p->due = XS_MIN(p->fetch_ts + CAP_FETCH_LINGER_US, p->final_ts + a->o.fetch_window_us);
	else
		p->due = p->final_ts + a->o.fetch_window_us;
	a->slots[p->slot].due = p->due;
}

/* Hand m to p's exchange; returns its index, or -1 when it was not kept (m freed). */
static int pend_add(struct cap_analyzer *a, struct pend *p, struct sip_msg *m)
{
	p->last_ts = m->ts_us;
	pend_due(a, p);
	if (p->ex->n_msgs >= CAP_EX_MAX_MSGS) {
		p->dropped_msgs++;
		sip_msg_free(m);
		return -1;
	}
	int i = xs_exchange_add_msg(p->ex, m);
	if (i < 0)
		sip_msg_free(m);
	return i;
}

static bool has_authorization(const struct sip_msg *m)
{
	struct xs_span v;
	return sip_msg_header_id(m, SIP_HDR_AUTHORIZATION, 0, false, &v) == 0 ||
	       sip_msg_header_id(m, SIP_HDR_PROXY_AUTHORIZATION, 0, false, &v) == 0;
}

static void place_request(struct cap_analyzer *a, struct sip_msg *m, bool watched)
{
	struct pend *p = pend_find(a, m->call_id, m->from_tag);
	if (p) {
		struct xs_exchange *ex = p->ex;
		bool same_branch = xs_span_eq_str(m->via_branch, p->branch_notify);
		if (m->cseq == p->cseq_notify && same_branch) {
			pend_add(a, p, m); /* retransmission of the first NOTIFY */
			return;
		}
		if (p->has_retry && m->cseq == p->cseq_retry) {
			pend_add(a, p, m); /* retransmission of the retry */
			return;
		}
		/* RFC 3261 §22.2: the retry after a challenge (rules check CSeq + 1) */
		if (!p->has_retry && ex->i_challenge >= 0 && ex->i_final < 0 &&
		    m->cseq >= p->cseq_notify && has_authorization(m)) {
			m->dir = XS_DIR_TO_PHONE;
			int i = pend_add(a, p, m);
			if (i >= 0) {
				ex->i_retry = i;
				p->has_retry = true;
				p->cseq_retry = m->cseq;
			}
			return;
		}
		judge(a, p); /* a new push on the same dialog */
	}
	if (!watched) {
		sip_msg_free(m);
		return;
	}
	p = pend_new(a, m);
	if (!p) {
		sip_msg_free(m);
		return;
	}
	int i = pend_add(a, p, m);
	if (i >= 0)
		p->ex->i_notify = i;
	p->last_ts = m->ts_us;
	pend_due(a, p);
}

static void place_response(struct cap_analyzer *a, struct sip_msg *m)
{
	struct pend *p = pend_find(a, m->call_id, m->from_tag);
	if (!p) {
		sip_msg_free(m);
		return;
	}
	struct xs_exchange *ex = p->ex;
	struct xs_span server;
	if (sip_msg_header_id(m, SIP_HDR_SERVER, 0, false, &server) == 0 ||
	    sip_msg_header_id(m, SIP_HDR_USER_AGENT, 0, false, &server) == 0)
		device_saw(p->dev, server);
	bool to_first = m->cseq == p->cseq_notify && !(p->has_retry && p->cseq_retry == m->cseq);
	bool to_retry = p->has_retry && m->cseq == p->cseq_retry;
	if (!to_first && !to_retry) {
		sip_msg_free(m);
		return;
	}
	int status = m->status;
	int64_t ts = m->ts_us;
	int i = pend_add(a, p, m);
	if (i < 0 || status < 200)
		return;
	if (to_first && !p->has_retry && (status == 401 || status == 407)) {
		if (ex->i_challenge < 0)
			ex->i_challenge = i;
		return;
	}
	if (ex->i_final >= 0)
		return; /* a retransmitted final answer */
	if (to_first && p->has_retry)
		return;
	if (to_first && ex->i_challenge >= 0)
		return; /* another answer to the challenged NOTIFY */
	ex->i_final = i;
	p->final_ts = ts;
	p->final_2xx = status / 100 == 2;
	pend_due(a, p);
}

/* ---- HTTP ----------------------------------------------------------- */

static void http_unit(struct cap_analyzer *a, const struct cap_unit *u)
{
	/*
	 * Link to the most recent push from that address inside the window: one
	 * accepted (2xx), or one whose authenticated request is seen and whose
	 * answer is not yet. A capture can hold the fetch before the 200 it follows
	 * (two capture points, a writer on two threads), as the live runner counts
	 * a fetch from its request on.
	 */
	struct pend *best = NULL;
	int64_t best_from = 0;
	for (struct pend *p = a->ab[host_hash(u->src.addr) & (PEND_BUCKETS - 1)]; p; p = p->anext) {
		const struct xs_exchange *ex = p->ex;
		int64_t from = p->final_2xx ? p->final_ts
			     : ex->i_final < 0 && ex->i_retry >= 0 ? ex->msgs[ex->i_retry]->ts_us
								  : -1;
		/* the latest push; of two as late, the one begun first */
		if (from >= 0 && same_host(p->phone.addr, u->src.addr) && u->ts_us >= from &&
		    u->ts_us - from <= a->o.fetch_window_us &&
		    (!best || from > best_from || (from == best_from && p->seq < best->seq))) {
			best = p;
			best_from = from;
		}
	}
	if (!best || best->ex->n_http >= CAP_EX_MAX_HTTP)
		return;
	struct xs_cur c = xs_cur_init(u->p, u->len);
	struct xs_span line, method, target, host = XS_SPAN_NULL, ua = XS_SPAN_NULL;
	if (xs_cur_line(&c, &line) < 0)
		return;
	struct xs_cur lc = xs_cur_init(line.p, line.len);
	if (xs_cur_until(&lc, ' ', &method) < 0 || xs_cur_until(&lc, ' ', &target) < 0)
		return;
	while (xs_cur_line(&c, &line) == 0 && line.len) {
		const uint8_t *colon = xs_find_byte(line.p, ':', line.len);
		if (!colon)
			continue;
		size_t nlen = (size_t)(colon - line.p);
		struct xs_span v = xs_span_trim(xs_span(colon + 1, line.len - nlen - 1));
		if (lower_eq(line.p, nlen, "host"))
			host = v;
		else if (lower_eq(line.p, nlen, "user-agent"))
			ua = v;
	}
	/* the four strings side by side, on the stack when they fit (add_http copies them) */
	host = xs_span_upto_nul(host); /* as "%.*s" put it */
	bool absolute = !(target.len && target.p[0] == '/');
	size_t need = method.len + 1 + target.len + 1 + (absolute ? 0 : 7 + host.len) + target.len + 1 +
		      ua.len + 1;
	char stack[2048];
	char *buf = need <= sizeof stack ? stack : malloc(need);
	if (!buf)
		return;
	char *w = buf;
	struct xs_http_req req = { .src = u->src, .dst = u->dst, .ts_us = u->ts_us, .frame = u->frame };
	req.method = put_span(&w, method);
	req.target = put_span(&w, target);
	req.url = w;
	if (!absolute) {
		memcpy(w, "http://", 7);
		w += 7;
		if (host.len)
			memcpy(w, host.p, host.len);
		w += host.len;
	}
	(void)put_span(&w, target);
	req.user_agent = ua.len ? put_span(&w, ua) : NULL;
	if (xs_exchange_add_http(best->ex, &req) == 0 && !best->fetch_ts) {
		best->fetch_ts = u->ts_us;
		pend_due(a, best);
	}
	device_saw(best->dev, ua);
	if (buf != stack)
		free(buf);
}

/* ---- decoder callbacks ---------------------------------------------- */

static void count_login(struct cap_analyzer *a, struct xs_span method)
{
	a->st.digest_logins++;
	for (size_t i = 0; method.len && i < CAP_STATS_METHODS; i++) {
		char *name = a->st.logins_by_method[i].method;
		if (!name[0]) {
			if (method.len >= sizeof a->st.logins_by_method[i].method)
				return;
			memcpy(name, method.p, method.len);
			name[method.len] = '\0';
		}
		if (xs_span_eq_str(method, name)) {
			a->st.logins_by_method[i].n++;
			return;
		}
	}
}

/* What the reading thread made of a SIP unit while the analyzer was behind (in
 * the pipe's memory): its quick scan and libosip2's verdict. */
struct prepared {
	struct quick q;
	int8_t osip;            /* libosip2 accepts the bytes: 1, refuses: 0, not asked: -1 */
};

static void sip_unit(struct cap_analyzer *a, const struct cap_unit *u)
{
	const struct prepared *pr = u->prep;
	struct quick q;
	if (pr)
		q = pr->q;
	else
		quick_scan(u->p, u->len, &q);
	if (q.request && q.digest_auth)
		count_login(a, q.method);
	if (!q.notify)
		return;
	if (!q.watched) {
		/* only a message of an open exchange is of interest */
		bool open = false;
		uint32_t h = hash_span(q.call_id);
		for (struct pend *p = a->b[h & (PEND_BUCKETS - 1)]; p && !open; p = p->hnext)
			open = p->hash == h && xs_span_eq_str(q.call_id, p->call_id);
		if (!open)
			return;
	}
	struct sip_msg *m;
	int r = sip_msg_parse(&m, u->p, u->len);
	if (r < 0) {
		a->st.unparsed++;
		note(a, u->frame, "SIP message not read: %s",
				   xs_strerror(r));
		return;
	}
	if (pr && pr->osip >= 0)
		sip_msg_osip_known(m, pr->osip);
	m->tp = u->tp;
	m->src = u->src;
	m->dst = u->dst;
	m->ts_us = u->ts_us;
	m->frame = u->frame;
	m->dir = m->is_request ? XS_DIR_TO_PHONE : XS_DIR_FROM_PHONE;
	if (m->is_request)
		place_request(a, m, q.watched);
	else
		place_response(a, m);
}

static void on_unit(void *ctx, const struct cap_unit *u)
{
	struct cap_analyzer *a = ctx;
	if (u->kind == CAP_SIP)
		sip_unit(a, u);
	else
		http_unit(a, u);
}

static void on_note(void *ctx, uint64_t frame, const char *what)
{
	struct cap_analyzer *a = ctx;
	note(a, frame, "%s", what);
}

/*
 * Exchanges judged together, their memory fetched into the cache first: they
 * were built up to seconds of capture before, and what judging reads (the
 * pend, the exchange, its messages) is long out of the cache. Each level is
 * asked for across the batch before the next is read, so the waits overlap.
 */
#define JUDGE_BATCH 16u

/* Two lines from p: a hint, no access. */
static void prefetch2(const void *p)
{
	__builtin_prefetch(p);
	__builtin_prefetch((const void *)((uintptr_t)p + XS_CACHE_LINE));
}

static void warm(struct pend *const *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		prefetch2(p[i]);
	for (size_t i = 0; i < n; i++)
		prefetch2(p[i]->ex);
	for (size_t i = 0; i < n; i++)
		__builtin_prefetch(p[i]->ex->msgs);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < p[i]->ex->n_msgs; k++)
			sip_msg_prefetch(p[i]->ex->msgs[k]);
}

static void judge_batch(struct cap_analyzer *a, struct pend *const *p, size_t n)
{
	warm(p, n);
	for (size_t i = 0; i < n; i++)
		judge(a, p[i]);
}

/* Judge what can get nothing more: past the fetch window, or silent too long. In
 * creation order; judging adds no slot, moves none and changes no other's due. */
static void expire(struct cap_analyzer *a, bool all)
{
	struct pend *batch[JUDGE_BATCH];
	size_t n = 0;
	for (size_t i = a->slots_head; i < a->n_slots; i++) {
		struct open_slot sl = a->slots[i];
		if (!sl.p || !(all || a->clock.now > sl.due)) /* pend_due */
			continue;
		batch[n++] = sl.p;
		if (n == JUDGE_BATCH) {
			judge_batch(a, batch, n);
			n = 0;
		}
	}
	if (n)
		judge_batch(a, batch, n);
}

/* The time advanced to ts_us: true when it is time to look for what expired.
 * A function of the times told alone, so the reading thread can keep a copy. */
static bool clock_advance(struct tick_clock *c, int64_t ts_us)
{
	if (ts_us > c->now)
		c->now = ts_us;
	if (c->now < c->next_check)
		return false;
	c->next_check = c->now + CHECK_EVERY_US;
	return true;
}

static int64_t clock_tick(void *ctx, int64_t ts_us)
{
	struct tick_clock *c = ctx;
	clock_advance(c, ts_us);
	return c->next_check;
}

/* Told only from clock.next_check on: the frames between cannot expire anything. */
static int64_t on_tick(void *ctx, int64_t ts_us)
{
	struct cap_analyzer *a = ctx;
	if (clock_advance(&a->clock, ts_us) && a->n_open)
		expire(a, false);
	return a->clock.next_check;
}

/*
 * On the reading thread, while the analyzer is behind: a SIP unit's quick
 * scan, then for a response of a NOTIFY libosip2's verdict (XS-SIP-01's
 * question, the costliest step of judging); the analyzer uses them instead of
 * making them. Each is what the analyzer would make of the same bytes. (The
 * parse is the analyzer's: made here too, and copied over, it cost more than
 * it saved.)
 */
static void prepare_unit(struct cap_pipe *pipe, struct cap_unit *u)
{
	if (u->kind != CAP_SIP)
		return;
	struct prepared *pr = cap_pipe_room(pipe, sizeof *pr);
	if (!pr)
		return;
	*pr = (struct prepared){ .osip = -1 };
	quick_scan(u->p, u->len, &pr->q);
	u->prep = pr;
	if (pr->q.notify && !pr->q.request)
		pr->osip = sip_osip_accepts_bytes(u->p, u->len);
}

/* ---- public --------------------------------------------------------- */

int cap_analyzer_new(struct cap_analyzer **ret, struct xs_result *res,
		     const struct cap_analyzer_opts *o)
{
	if (!ret || !res)
		return -EINVAL;
	struct cap_analyzer *a = calloc(1, sizeof *a);
	if (!a)
		return -ENOMEM;
	a->res = res;
	if (o)
		a->o = *o;
	if (a->o.fetch_window_us <= 0)
		a->o.fetch_window_us = CAP_FETCH_WINDOW_DEFAULT_US;
	*ret = a;
	return 0;
}

struct cap_analyzer *cap_analyzer_free(struct cap_analyzer *a)
{
	if (!a)
		return NULL;
	while (a->n_open) {
		struct pend *p = a->slots[a->slots_head].p;
		pend_unlink(a, p);
		pend_free(p);
	}
	for (size_t i = 0; i < a->n_devs; i++) {
		rules_ctx_free(a->devs[i]->rc);
		free(a->devs[i]->server);
		free(a->devs[i]);
	}
	free(a->devs);
	free(a->folds);
	free(a->slots);
	cap_decoder_free(a->dec);
	free(a);
	return NULL;
}

static void add_stats(struct cap_stats *to, const struct cap_stats *s)
{
	to->frames += s->frames;
	to->bytes += s->bytes;
	to->sip_msgs += s->sip_msgs;
	to->http_reqs += s->http_reqs;
	to->ip_reassembled += s->ip_reassembled;
	to->tcp_retrans += s->tcp_retrans;
	to->skipped += s->skipped;
}

/* Decode one input (f, or path when f is NULL) into the analyzer. */
static int analyze_one(struct cap_analyzer *a, FILE *f, const char *path, char *err,
		       size_t errlen)
{
	struct cap_sink sink = { .ctx = a, .unit = on_unit, .note = on_note, .tick = on_tick };
	a->file = path;
	a->clock = (struct tick_clock){ 0 };
	/* with a second thread, the analyzer runs there and this one decodes */
	struct tick_clock copy = a->clock;
	struct cap_pipe *pipe = NULL;
	if (a->o.decode_thread &&
	    cap_pipe_start(&pipe, &(struct cap_pipe_opts){ .to = &sink, .clock = clock_tick,
							   .clock_ctx = &copy,
							   .prepare = prepare_unit }) < 0)
		pipe = NULL; /* no thread: all here */
	int r = cap_decoder_new(&a->dec, pipe ? cap_pipe_sink(pipe) : &sink);
	if (r < 0) {
		cap_pipe_finish(pipe);
		if (f)
			fclose(f);
		return r;
	}
	r = f ? cap_read_stream(a->dec, f, err, errlen) : cap_read_file(a->dec, path, err, errlen);
	cap_decoder_finish(a->dec);
	cap_pipe_finish(pipe);
	add_stats(&a->dstats, cap_decoder_stats(a->dec));
	a->dec = cap_decoder_free(a->dec);
	expire(a, true);
	if (r >= 0)
		xs_result_add_file(a->res, path);
	a->file = NULL;
	return r < 0 ? r : 0;
}

int cap_analyze_stream(struct cap_analyzer *a, FILE *f, const char *path, char *err,
		       size_t errlen)
{
	return analyze_one(a, f, path, err, errlen);
}

int cap_analyze_file(struct cap_analyzer *a, const char *path, char *err, size_t errlen)
{
	return analyze_one(a, NULL, path, err, errlen);
}

/* "e12" -> 12; anything else (the folded summary) sorts last. */
static unsigned long long ex_number(const struct xs_exchange *ex)
{
	if (!ex->id || ex->id[0] != 'e' || ex->id[1] < '0' || ex->id[1] > '9')
		return ULLONG_MAX;
	return strtoull(ex->id + 1, NULL, 10);
}

static int ex_cmp(const void *x, const void *y)
{
	unsigned long long a = ex_number(*(struct xs_exchange *const *)x);
	unsigned long long b = ex_number(*(struct xs_exchange *const *)y);
	return a < b ? -1 : a > b;
}

int cap_analyzer_finish(struct cap_analyzer *a)
{
	expire(a, true);
	if (a->judge_oom)
		note(a, a->judge_oom_frame, "%llu exchange%s (the first: %s): out of memory while judging",
		     (unsigned long long)a->judge_oom, a->judge_oom == 1 ? "" : "s", a->judge_oom_first);
	/* judged as they completed; reported in the order they began */
	if (a->res->n_exchanges > 1)
		qsort(a->res->exchanges, a->res->n_exchanges, sizeof *a->res->exchanges, ex_cmp);
	if (a->n_notes > CAP_MAX_NOTES)
		xs_result_add_note(a->res, NULL, 0, "%llu further notes not kept (the first %u are)",
				   (unsigned long long)(a->n_notes - CAP_MAX_NOTES), CAP_MAX_NOTES);
	return fold_finish(a);
}

const struct cap_stats *cap_analyzer_decode_stats(const struct cap_analyzer *a)
{
	return &a->dstats;
}

const struct cap_analyzer_stats *cap_analyzer_stats(const struct cap_analyzer *a)
{
	return &a->st;
}
