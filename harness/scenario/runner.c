/* SPDX-License-Identifier: MIT */
/* runner.c — the runner's state machine: one exchange per step, digest client, fetch window, rules. */
#include "runner.h"
#include "observer.h"
#include "sipc.h"

#include "harness/capture/pcapw.h"
#include "harness/digest/digest.h"
#include "harness/firmware/firmware.h"
#include "harness/rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUN_NONCES      16u          /* nonces whose nc we count (LRU by slot) */
#define FETCH_GRACE_US  300000       /* after the first fetch, wait this long for a second */
#define RUN_AGENT       "xscert/" XSCERT_VERSION

struct nonce_nc {
	char nonce[DIGEST_MAX_PARAM];
	uint32_t nc;
};

struct run {
	const struct sc_run_config *cfg;
	struct sc_run_status *st;
	struct sc_conn conn[2];
	bool open[2];
	struct sc_observer *obs;
	struct pcapw *pcap;
	struct rules_ctx *rules;
	struct xs_result *res;
	const struct fw_profile *profile;
	const char *device_id;
	char token[17];
	char host_uri[80];   /* "127.0.0.1:5060" / "[::1]:5060" */
	char target_uri[160]; /* "sip:159@127.0.0.1:5060" */
	int64_t t1_us, cap_us;
	struct nonce_nc ncs[RUN_NONCES];
	unsigned nc_slot;
};

/* Everything about the step being run. */
struct step_run {
	struct run *run;
	struct sc_conn *c;
	const struct scenario *sc;
	const struct sc_step *step;
	struct xs_exchange *ex;
	char call_id[48], from_tag[20];
	uint32_t cseq;
	struct xs_buf body;
	const char *content_type;
	char event[128];
	char auth_name[24];        /* "Authorization" / "Proxy-Authorization" */
	struct xs_buf auth;        /* the last Authorization value sent */
	struct xs_buf last_req;    /* bytes of the last request sent */
};

static void sleep_us(int64_t us)
{
	if (us <= 0)
		return;
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) < 0)
		;
}

static void capture_write(struct run *r, enum xs_transport tp, const struct xs_endpoint *src,
			  const struct xs_endpoint *dst, int64_t ts, const void *p, size_t len)
{
	if (!r->pcap)
		return;
	if (tp == XS_TP_TCP)
		pcapw_tcp(r->pcap, src, dst, ts, p, len);
	else
		pcapw_udp(r->pcap, src, dst, ts, p, len);
}

/* The observer's thread: write the fetch (request and the page served) to the capture. */
static void observer_hook(void *ctx, const struct xs_http_req *req)
{
	struct run *r = ctx;
	if (!r->pcap)
		return;
	struct xs_buf b = { 0 };
	const char *url = req->url ? req->url : "";
	const char *host = strstr(url, "://");
	host = host ? host + 3 : url;
	size_t hl = strcspn(host, "/");
	xs_buf_printf(&b, "%s %s HTTP/1.1\r\nHost: %.*s\r\n", req->method ? req->method : "GET",
		      req->target ? req->target : "/", (int)hl, host);
	if (req->user_agent)
		xs_buf_printf(&b, "User-Agent: %s\r\n", req->user_agent);
	xs_buf_puts(&b, "\r\n");
	if (!b.oom)
		pcapw_tcp(r->pcap, &req->src, &req->dst, req->ts_us, b.p, b.len);
	xs_buf_reset(&b);
	struct xs_buf page = { 0 };
	sc_observer_page(req->target, &page);
	xs_buf_printf(&b, "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %zu\r\n\r\n",
		      page.len);
	xs_buf_append(&b, page.p, page.len);
	if (!b.oom)
		pcapw_tcp(r->pcap, &req->dst, &req->src, req->ts_us + 1, b.p, b.len);
	xs_buf_reset(&b);
	xs_buf_reset(&page);
}

static int conn_for(struct run *r, enum xs_transport tp, struct sc_conn **out)
{
	if (!r->open[tp]) {
		uint16_t port = r->cfg->port ? r->cfg->port : 5060;
		if (tp == XS_TP_TCP && r->cfg->tcp_port)
			port = r->cfg->tcp_port;
		int e = sc_conn_open(&r->conn[tp], tp, r->cfg->host, port, (int)(r->cap_us / 1000));
		if (e < 0)
			return e;
		r->open[tp] = true;
	}
	*out = &r->conn[tp];
	return 0;
}

/* Record bytes sent at ts: a parsed copy in the exchange. Returns the index or <0. */
static int record_sent(struct step_run *s, const struct xs_buf *req, int64_t ts)
{
	struct sip_msg *m = NULL;
	int e = sip_msg_parse(&m, req->p, req->len);
	if (e < 0)
		return e;
	m->dir = XS_DIR_TO_PHONE;
	m->tp = s->c->tp;
	m->src = s->c->local;
	m->dst = s->c->remote;
	m->ts_us = ts;
	e = xs_exchange_add_msg(s->ex, m);
	if (e < 0)
		sip_msg_free(m);
	return e;
}

/*
 * Send and record. The capture gets the request, timed, before it leaves: the
 * phone's answer and its HTTP fetch (written by the observer's thread) can come
 * back before this thread would get round to it, and a capture must never show
 * them ahead of the request they follow.
 */
static int send_req(struct step_run *s, const struct xs_buf *req)
{
	int64_t ts = sc_now_wall_us();
	capture_write(s->run, s->c->tp, &s->c->local, &s->c->remote, ts, req->p, req->len);
	int e = sc_conn_send(s->c, req->p, req->len);
	if (e < 0)
		return e;
	return record_sent(s, req, ts);
}

/* Reopen the step's TCP connection (the phone closed it). */
static int reconnect(struct step_run *s)
{
	struct run *r = s->run;
	enum xs_transport tp = s->c->tp;
	sc_conn_close(&r->conn[tp]);
	r->open[tp] = false;
	return conn_for(r, tp, &s->c);
}

/* The answer to our request? Matched by Call-ID and CSeq, not Via (bad-via must not hang us). */
static bool answers(const struct sip_msg *m, const char *call_id, uint32_t cseq, const char *method)
{
	return !m->is_request && xs_span_eq_str(m->call_id, call_id) && m->cseq == cseq &&
	       !strcmp(m->cseq_method, method);
}

/*
 * One non-INVITE client transaction over s->c: sends req (already built),
 * retransmits on Timer E, gives up on Timer F. Returns the index of the final
 * answer in the exchange, -ETIMEDOUT, or another -errno.
 */
static int transact_cap(struct step_run *s, const struct xs_buf *req, uint32_t cseq,
			const char *method, int64_t cap_us)
{
	struct run *r = s->run;
	int first = send_req(s, req);
	if (first < 0)
		return first;
	struct sc_nict t;
	bool reconnected = false;
	sc_nict_start(&t, s->c->tp == XS_TP_TCP, r->t1_us, cap_us ? cap_us : r->cap_us,
		      sc_now_mono_us());
	for (;;) {
		struct sip_msg *m = NULL;
		struct xs_buf junk = { 0 };
		int e = sc_conn_recv(s->c, sc_nict_deadline(&t), &m, &junk);
		if (e == 0) {
			capture_write(r, s->c->tp, &m->src, &m->dst, m->ts_us, m->raw, m->raw_len);
			bool mine = answers(m, s->call_id, cseq, method);
			int status = m->status;
			if (!xs_span_eq_str(m->call_id, s->call_id)) {
				sip_msg_free(m); /* a late answer of an earlier exchange */
				continue;
			}
			int idx = xs_exchange_add_msg(s->ex, m);
			if (idx < 0) {
				sip_msg_free(m);
				return idx;
			}
			if (!mine)
				continue;
			sc_nict_response(&t, status);
			if (status >= 200)
				return idx;
			continue;
		}
		if (e == -EBADMSG) {
			/* a malformed answer is a finding, never a crash */
			int64_t ts = sc_now_wall_us();
			capture_write(r, s->c->tp, &s->c->remote, &s->c->local, ts, junk.p, junk.len);
			xs_exchange_add_finding(s->ex, "XS-SIP-01", XS_FAIL, XS_SUBJECT_PHONE, NULL,
						"an answer of %zu bytes is not a SIP message",
						junk.len);
			xs_buf_reset(&junk);
			continue;
		}
		xs_buf_reset(&junk);
		if (e == -ECONNRESET && s->c->tp == XS_TP_TCP && !reconnected) {
			/* the phone closed the stream: reconnect once and send again */
			reconnected = true;
			e = reconnect(s);
			if (e == 0)
				e = send_req(s, req);
			if (e < 0)
				return e;
			continue;
		}
		if (e != -ETIMEDOUT)
			return e;
		switch (sc_nict_tick(&t, sc_now_mono_us())) {
		case SC_NICT_RETRANSMIT:
			e = send_req(s, req);
			if (e < 0)
				return e;
			break;
		case SC_NICT_TIMEOUT:
			return -ETIMEDOUT;
		case SC_NICT_WAIT:
			break;
		}
	}
}

static int transact(struct step_run *s, const struct xs_buf *req, uint32_t cseq,
		    const char *method)
{
	return transact_cap(s, req, cseq, method, 0);
}

static void new_branch(char *out, size_t size)
{
	char rnd[24];
	sc_random_hex(rnd, sizeof rnd, 16);
	snprintf(out, size, "z9hG4bK%s", rnd);
}

/* Build a request of this step with the current CSeq and (optional) credentials. */
static int build(struct step_run *s, const char *method, const char *auth, struct xs_buf *out)
{
	struct run *r = s->run;
	char branch[40], via_host[64], from_uri[96], contact[112];
	new_branch(branch, sizeof branch);
	bool v6 = strchr(s->c->local.addr, ':') != NULL;
	snprintf(via_host, sizeof via_host, v6 ? "[%s]" : "%s", s->c->local.addr);
	snprintf(from_uri, sizeof from_uri, "sip:xscert@%s:%u", via_host,
		 (unsigned)s->c->local.port);
	snprintf(contact, sizeof contact, "%s%s", from_uri,
		 s->c->tp == XS_TP_TCP ? ";transport=tcp" : "");
	bool notify = !strcmp(method, "NOTIFY");
	struct sc_request q = {
		.method = method,
		.ruri = r->target_uri,
		.tp = s->c->tp,
		.via_host = via_host,
		.via_port = s->c->local.port,
		.branch = branch,
		.from_uri = from_uri,
		.from_tag = s->from_tag,
		.to_uri = r->target_uri,
		.call_id = s->call_id,
		.cseq = s->cseq,
		.contact = contact,
		.event = notify ? s->event : NULL,
		.content_type = notify && s->body.len ? s->content_type : NULL,
		.auth_name = s->auth_name,
		.auth_value = auth,
		.user_agent = RUN_AGENT,
		.body = notify ? xs_span(s->body.p, s->body.len) : XS_SPAN_NULL,
		.content_length = notify ? s->step->content_length : -1,
	};
	out->len = 0;
	return sc_request_build(&q, out);
}

static uint32_t next_nc(struct run *r, const char *nonce)
{
	for (unsigned i = 0; i < RUN_NONCES; i++)
		if (r->ncs[i].nc && !strcmp(r->ncs[i].nonce, nonce))
			return ++r->ncs[i].nc;
	struct nonce_nc *n = &r->ncs[r->nc_slot++ % RUN_NONCES];
	snprintf(n->nonce, sizeof n->nonce, "%s", nonce);
	n->nc = 1;
	return 1;
}

/*
 * The Authorization value answering the challenge in message idx, built the
 * way the step's auth kind says (right, or deliberately wrong in one part).
 */
static int answer_challenge(struct step_run *s, int idx, enum sc_auth kind)
{
	struct run *r = s->run;
	const struct sip_msg *m = s->ex->msgs[idx];
	bool proxy = m->status == 407;
	const char *hname = proxy ? "Proxy-Authenticate" : "WWW-Authenticate";
	snprintf(s->auth_name, sizeof s->auth_name, "%s",
		 proxy ? "Proxy-Authorization" : "Authorization");
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t n = 0;
	struct xs_span v;
	for (unsigned i = 0; sip_msg_header(m, hname, i, false, &v) == 0; i++) {
		struct digest_error de;
		if (digest_challenge_parse(v.p, v.len, ch, DIGEST_MAX_CHALLENGES, &n, &de) < 0)
			continue; /* a malformed challenge: the rules say so */
	}
	int pick = digest_challenge_pick(ch, n);
	if (pick < 0)
		return -EPROTO;
	struct digest_challenge c = ch[pick];
	const char *user = r->cfg->user;
	const char *uri = r->target_uri;
	char wrong_uri[160];
	struct xs_buf pw = { 0 };
	xs_buf_puts(&pw, r->cfg->password ? r->cfg->password : "");
	switch (kind) {
	case SC_AUTH_WRONG_PASSWORD:
		xs_buf_puts(&pw, "-not-the-password");
		break;
	case SC_AUTH_WRONG_USER:
		user = "xscert-wrong-user";
		break;
	case SC_AUTH_WRONG_REALM:
		snprintf(c.realm, sizeof c.realm, "xscert-wrong-realm");
		break;
	case SC_AUTH_WRONG_URI:
		snprintf(wrong_uri, sizeof wrong_uri, "sip:xscert-other-phone@%s", r->host_uri);
		uri = wrong_uri;
		break;
	default:
		break;
	}
	const char *pass = xs_buf_cstr(&pw);
	char cnonce[20];
	sc_random_hex(cnonce, sizeof cnonce, 16);
	struct digest_credentials cr;
	int e = pass ? digest_answer(&c, user, pass, "NOTIFY", uri,
				     xs_span(s->body.p, s->body.len), cnonce,
				     next_nc(r, c.nonce), &cr)
		     : -ENOMEM;
	if (pw.p)
		explicit_bzero(pw.p, pw.cap);
	xs_buf_reset(&pw);
	if (e < 0)
		return e;
	s->auth.len = 0;
	e = digest_credentials_format(&cr, &s->auth);
	explicit_bzero(&cr, sizeof cr);
	if (e == 0 && !xs_buf_cstr(&s->auth))
		e = -ENOMEM;
	return e;
}

static enum xs_auth_intent intent_of(enum sc_auth a)
{
	static const enum xs_auth_intent map[SC_AUTH_COUNT] = {
		[SC_AUTH_NONE] = XS_AUTH_NONE,
		[SC_AUTH_DIGEST] = XS_AUTH_CORRECT,
		[SC_AUTH_WRONG_PASSWORD] = XS_AUTH_WRONG_PASSWORD,
		[SC_AUTH_WRONG_USER] = XS_AUTH_WRONG_USER,
		[SC_AUTH_WRONG_REALM] = XS_AUTH_WRONG_REALM,
		[SC_AUTH_WRONG_URI] = XS_AUTH_WRONG_URI,
		[SC_AUTH_REPLAY] = XS_AUTH_REPLAY,
		[SC_AUTH_STALE] = XS_AUTH_STALE,
	};
	return (unsigned)a < SC_AUTH_COUNT ? map[a] : XS_AUTH_UNKNOWN;
}

static int status_at(const struct xs_exchange *ex, int idx)
{
	return idx >= 0 ? ex->msgs[idx]->status : 0;
}

/* Send the step's request; authenticate as the step says. Fills the exchange roles. */
static int run_sip(struct step_run *s, const char *method)
{
	struct xs_exchange *ex = s->ex;
	const struct sc_step *st = s->step;
	struct xs_buf req = { 0 };
	int e = build(s, method, NULL, &req);
	if (e < 0)
		goto out;
	ex->i_notify = (int)ex->n_msgs;
	e = transact(s, &req, s->cseq, method);
	if (e < 0)
		goto out;
	ex->i_final = e;
	int st1 = status_at(ex, e);
	bool challenged = st1 == 401 || st1 == 407;
	if (!challenged || st->auth == SC_AUTH_NONE || strcmp(method, "NOTIFY"))
		goto out;
	ex->i_challenge = e;
	enum sc_auth kind = st->auth == SC_AUTH_REPLAY || st->auth == SC_AUTH_STALE
				    ? SC_AUTH_DIGEST
				    : st->auth;
	e = answer_challenge(s, ex->i_challenge, kind);
	if (e < 0) {
		if (e == -EPROTO) /* nothing we can answer: the challenge rules judge why */
			e = 0;
		goto out;
	}
	if (st->auth == SC_AUTH_STALE) {
		double w = st->wait_s > 0 ? st->wait_s : s->run->cfg->nonce_wait_s;
		sleep_us((int64_t)((w > 0 ? w : 65) * 1e6));
	}
	s->cseq++; /* RFC 3261 §22.2: same Call-ID and From tag, CSeq + 1 */
	e = build(s, method, xs_buf_cstr(&s->auth), &req);
	if (e < 0)
		goto out;
	ex->i_retry = (int)ex->n_msgs;
	e = transact(s, &req, s->cseq, method);
	if (e < 0)
		goto out;
	ex->i_final = e;
	e = 0;
out:
	if (e >= 0 || e == -ETIMEDOUT) {
		/* keep the bytes of the last request for a deliberate retransmission */
		s->last_req.len = 0;
		xs_buf_append(&s->last_req, req.p, req.len);
	}
	xs_buf_reset(&req);
	return e < 0 ? e : 0;
}

/* Send the last request again, same branch (RFC 3261 §17.2.2: the phone must answer the same). */
static void retransmit_last(struct step_run *s, const char *method)
{
	if (!s->last_req.len)
		return;
	struct xs_buf copy = { 0 };
	xs_buf_append(&copy, s->last_req.p, s->last_req.len);
	/* a phone answers a retransmission at once (RFC 3261 §17.2.2): wait 8*T1 at most */
	int e = transact_cap(s, &copy, s->cseq, method, 8 * s->run->t1_us);
	(void)e; /* no answer to a retransmission is judged by XS-SIP-02 */
	xs_buf_reset(&copy);
}

/* How many URLs of the observer the body pushes (ExecuteItems count one each). */
static size_t pushed_urls(const struct step_run *s)
{
	const char *base = sc_observer_base_url(s->run->obs);
	size_t bl = strlen(base), n = 0;
	const uint8_t *p = s->body.p, *end = s->body.p + s->body.len;
	while (p && bl && (size_t)(end - p) >= bl) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), base, bl);
		if (!hit)
			break;
		n++;
		p = hit + bl;
	}
	return n;
}

/*
 * Is request q this step's? A request for a URL of this run (it carries the
 * run's token) that the body did not push is a late fetch of an earlier step;
 * anything else (a mangled URL, a stranger's path) is kept for the rules.
 */
static bool fetch_belongs(const struct step_run *s, const struct xs_http_req *q)
{
	const char *t = q->target ? q->target : "";
	if (!strstr(t, s->run->token))
		return true;
	/* each observer URL the body pushes, by its path: the request is for it, or for
	 * it with something appended (a phone that mangles the URL: XS-FETCH-02), but
	 * not for a sibling step's ("/1" is no prefix of "/10"'s request) */
	const char *base = sc_observer_base_url(s->run->obs);
	size_t bl = strlen(base), tl = strlen(t);
	const uint8_t *p = s->body.p, *end = s->body.p + s->body.len;
	while (p && bl && (size_t)(end - p) > bl) {
		const uint8_t *hit = memmem(p, (size_t)(end - p), base, bl);
		if (!hit)
			break;
		const uint8_t *path = hit + bl, *e = path;
		while (e < end && !strchr("\"'<> \t\r\n", *e))
			e++;
		size_t pl = (size_t)(e - path);
		if (pl && pl <= tl && !memcmp(path, t, pl) &&
		    (pl == tl || !strchr("0123456789/", t[pl])))
			return true;
		p = e;
	}
	return false;
}

static size_t wait_fetches(struct run *r, size_t h0, size_t want, int64_t deadline)
{
	size_t n = h0;
	do
		n = sc_observer_wait(r->obs, n, deadline);
	while (n - h0 < want && sc_now_mono_us() < deadline);
	if (n > h0) /* a duplicate fetch (acted on twice) comes soon after */
		n = sc_observer_wait(r->obs, n, sc_now_mono_us() + FETCH_GRACE_US);
	return n;
}

static void collect_fetches(struct step_run *s, size_t h0, bool accepted)
{
	struct run *r = s->run;
	const struct sc_step *st = s->step;
	int64_t window = (int64_t)(st->fetch_within_s * 1e6);
	bool has_url = st->body_kind != SC_BODY_NONE;
	int64_t wait = 0;
	if (has_url && (accepted || st->fetch == SC_FETCH_FORBIDDEN))
		wait = window;
	int64_t deadline = sc_now_mono_us() + wait;
	size_t want = XS_MAX(pushed_urls(s), (size_t)1), n;
	bool early = st->fetch == SC_FETCH_EXPECTED ||
		     (st->fetch == SC_FETCH_ANY && accepted && st->body_kind == SC_BODY_URL);
	if (early) {
		n = wait_fetches(r, h0, want, deadline);
	} else {
		sleep_us(wait);
		n = sc_observer_count(r->obs);
	}
	for (size_t i = h0; i < n; i++) {
		struct xs_http_req q;
		if (sc_observer_get(r->obs, i, &q) == 0) {
			if (fetch_belongs(s, &q))
				xs_exchange_add_http(s->ex, &q);
			sc_http_req_clear(&q);
		}
	}
	s->ex->fetch_window_us = window;
}

static bool expectation_met(const struct sc_step *st, const struct xs_exchange *ex, int *got)
{
	*got = ex->i_final >= 0 ? ex->msgs[ex->i_final]->status : 0;
	switch (st->expect) {
	case SC_EXPECT_STATUS:
		return *got == st->expect_value;
	case SC_EXPECT_CLASS:
		return *got / 100 == st->expect_value;
	case SC_EXPECT_NOTHING:
		return *got == 0;
	default:
		return true;
	}
}

/* The scenario's own expectations, beside the rules: a finding of XS-SCN-01. */
static void judge_expectations(struct step_run *s)
{
	const struct sc_step *st = s->step;
	struct xs_exchange *ex = s->ex;
	int got;
	if (st->expect != SC_EXPECT_ANY) {
		bool ok = expectation_met(st, ex, &got);
		char want[16];
		if (st->expect == SC_EXPECT_CLASS)
			snprintf(want, sizeof want, "%dxx", st->expect_value);
		else if (st->expect == SC_EXPECT_NOTHING)
			snprintf(want, sizeof want, "no answer");
		else
			snprintf(want, sizeof want, "%d", st->expect_value);
		char ev[24] = "";
		if (ex->i_final >= 0)
			snprintf(ev, sizeof ev, "msg:%d", ex->i_final);
		if (got)
			xs_exchange_add_finding(ex, "XS-SCN-01", ok ? XS_PASS : XS_FAIL,
						XS_SUBJECT_PHONE, ev[0] ? ev : NULL,
						"expected %s, the phone answered %d", want, got);
		else
			xs_exchange_add_finding(ex, "XS-SCN-01", ok ? XS_PASS : XS_FAIL,
						XS_SUBJECT_PHONE, NULL,
						"expected %s, the phone did not answer", want);
	}
	if (st->fetch == SC_FETCH_EXPECTED && !ex->n_http)
		xs_exchange_add_finding(ex, "XS-SCN-01", XS_FAIL, XS_SUBJECT_PHONE, NULL,
					"expected a fetch within %.1f s, none came",
					st->fetch_within_s);
	else if (st->fetch == SC_FETCH_FORBIDDEN && ex->n_http)
		xs_exchange_add_finding(ex, "XS-SCN-01", XS_FAIL, XS_SUBJECT_PHONE, "http:0",
					"expected no fetch, the phone fetched %s",
					ex->http[0].url ? ex->http[0].url : "?");
}

static const char *default_ctype(enum sc_body_kind k)
{
	switch (k) {
	case SC_BODY_URL:
		return "text/plain";
	case SC_BODY_XML:
		return "application/xml";
	default:
		return "application/octet-stream";
	}
}

static int prepare_body(struct step_run *s, const struct sc_vars *v)
{
	const struct sc_step *st = s->step;
	if (st->body_kind != SC_BODY_NONE) {
		int e = scenario_expand(st->body, st->body_len, v, &s->body);
		if (e < 0)
			return e;
		if (st->newline == SC_NL_LF)
			xs_buf_puts(&s->body, "\n");
		else if (st->newline == SC_NL_CRLF)
			xs_buf_puts(&s->body, "\r\n");
	}
	struct xs_buf ev = { 0 };
	if (st->event) {
		int e = scenario_expand(st->event, strlen(st->event), v, &ev);
		if (e < 0) {
			xs_buf_reset(&ev);
			return e;
		}
		snprintf(s->event, sizeof s->event, "%.*s", (int)XS_MIN(ev.len, sizeof s->event - 1),
			 ev.p ? (const char *)ev.p : "");
	}
	xs_buf_reset(&ev);
	s->content_type = st->content_type ? st->content_type : default_ctype(st->body_kind);
	return s->body.oom ? -ENOMEM : 0;
}

static const char *stem(const char *path, char *out, size_t size)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t l = strcspn(b, ".");
	snprintf(out, size, "%.*s", (int)XS_MIN(l, size - 1), b);
	return out;
}

static void step_title(const struct sc_step *st, char *out, size_t size)
{
	if (st->title) {
		snprintf(out, size, "%s", st->title);
		return;
	}
	if (st->kind == SC_STEP_OPTIONS) {
		snprintf(out, size, "OPTIONS (liveness)");
		return;
	}
	static const char *const bodies[] = { "no body", "URL body", "XML body", "raw body" };
	snprintf(out, size, "NOTIFY %s, %s, auth %s", st->event ? st->event : "", bodies[st->body_kind],
		 sc_auth_name(st->auth));
}

/* A fresh exchange for the step, with what the runner knows of it. */
static int new_exchange(struct step_run *s, const char *id, const char *title,
			enum xs_auth_intent intent)
{
	struct run *r = s->run;
	int e = xs_exchange_new(&s->ex, id);
	if (e < 0)
		return e;
	s->ex->scenario = strdup(s->sc->name);
	s->ex->title = strdup(title);
	s->ex->device_id = r->device_id;
	s->ex->intent = intent;
	s->ex->expected_profile = r->profile ? r->profile->name : NULL;
	s->ex->fetch_window_us = (int64_t)(s->step->fetch_within_s * 1e6);
	return s->ex->scenario && s->ex->title ? 0 : -ENOMEM;
}

/*
 * Judge the exchange (the step's rules, and its expectations when judge_expect)
 * and hand it to the result.
 */
static int finish_exchange(struct step_run *s, bool judge_expect)
{
	struct run *r = s->run;
	const struct sc_step *st = s->step;
	const char *only[SC_MAX_LIST + 1] = { 0 };
	for (size_t i = 0; i < st->n_rules && i < SC_MAX_LIST; i++)
		only[i] = st->rules[i];
	int e = rules_evaluate(r->rules, s->ex, st->n_rules ? only : NULL);
	if (e < 0)
		return e;
	if (judge_expect)
		judge_expectations(s);
	int fin = status_at(s->ex, s->ex->i_final);
	r->st->exchanges++;
	if (s->ex->i_retry >= 0 && fin / 100 == 2)
		r->st->auth_ok++;
	if (r->cfg->progress)
		r->cfg->progress(r->cfg->progress_ctx, s->sc, s->ex);
	e = xs_result_add_exchange(r->res, s->ex);
	if (e < 0)
		return e;
	s->ex = NULL;
	return 0;
}

/*
 * The replay: the Authorization the phone just accepted, sent again (same
 * nonce, same nc) on a new transaction of the same dialog-less request
 * (CSeq + 1, new branch). Its own exchange, so the accepted one is judged
 * (and remembered by the rules) first.
 */
static int run_replay(struct step_run *s, const char *id, const char *title)
{
	char rid[224], rtitle[240];
	snprintf(rid, sizeof rid, "%s-replay", id);
	snprintf(rtitle, sizeof rtitle, "%s (the replay)", title);
	int e = new_exchange(s, rid, rtitle, XS_AUTH_REPLAY);
	if (e < 0)
		return e;
	struct xs_buf req = { 0 };
	s->cseq++;
	e = build(s, "NOTIFY", xs_buf_cstr(&s->auth), &req);
	if (e == 0) {
		s->ex->i_notify = s->ex->i_retry = (int)s->ex->n_msgs;
		e = transact(s, &req, s->cseq, "NOTIFY");
		if (e >= 0)
			s->ex->i_final = e;
	}
	xs_buf_reset(&req);
	if (e < 0 && e != -ETIMEDOUT)
		return e;
	return 0;
}

/* The phone stopped taking this transport (a TCP connection refused or reset). */
static bool unreachable_error(int e)
{
	return e == -ECONNREFUSED || e == -ECONNRESET || e == -ECONNABORTED || e == -EPIPE ||
	       e == -EHOSTUNREACH || e == -ENETUNREACH;
}

/*
 * A step the phone could not be reached for, once it had answered the probe:
 * not the end of the run (a phone without TCP is still certified over UDP),
 * an error finding of the scenario, kept with whatever the step exchanged.
 * Returns SC_STEP_ABANDONED, or -errno.
 */
#define SC_STEP_ABANDONED 1
static int step_unreachable(struct step_run *s, const char *id, const char *title,
			    enum xs_transport tp, int err)
{
	int e = s->ex ? 0 : new_exchange(s, id, title, XS_AUTH_NONE);
	if (e == 0)
		e = xs_exchange_add_finding(s->ex, "XS-SCN-01", XS_ERROR, XS_SUBJECT_PHONE, NULL,
					    "the phone could not be reached over %s for this "
					    "step: %s; the scenario's later steps were not run",
					    xs_transport_name(tp), xs_strerror(err));
	if (e >= 0) {
		s->run->st->exchanges++;
		if (s->run->cfg->progress)
			s->run->cfg->progress(s->run->cfg->progress_ctx, s->sc, s->ex);
		e = xs_result_add_exchange(s->run->res, s->ex);
	}
	if (e < 0)
		return e;
	s->ex = NULL;
	return SC_STEP_ABANDONED;
}

/*
 * Run one step that talks to the phone; its exchange(s) are judged and handed
 * to the result. 0, SC_STEP_ABANDONED (the phone could not be reached for it:
 * recorded), or -errno.
 */
static int run_step(struct run *r, const struct scenario *sc, size_t si, unsigned rep)
{
	const struct sc_step *st = &sc->steps[si];
	struct step_run s = { .run = r, .sc = sc, .step = st, .cseq = 1 };
	char id[200], sstem[64], stepno[24], title[200];
	stem(sc->file, sstem, sizeof sstem);
	snprintf(stepno, sizeof stepno, "%zu", si + 1);
	if (rep)
		snprintf(id, sizeof id, "%s/%zu#%u", sstem, si + 1, rep + 1);
	else
		snprintf(id, sizeof id, "%s/%zu", sstem, si + 1);
	enum xs_transport tp = sc->transport >= 0 ? (enum xs_transport)sc->transport : r->cfg->tp;
	step_title(st, title, sizeof title);
	int e = conn_for(r, tp, &s.c);
	if (e < 0)
		goto fail;
	bool replay = st->auth == SC_AUTH_REPLAY;
	e = new_exchange(&s, id, title, replay ? XS_AUTH_CORRECT : intent_of(st->auth));
	if (e < 0)
		goto fail;
	sc_random_hex(s.call_id, sizeof s.call_id, 24);
	memcpy(s.call_id + 24, "@xscert", 8);
	sc_random_hex(s.from_tag, sizeof s.from_tag, 12);
	snprintf(s.auth_name, sizeof s.auth_name, "Authorization");
	struct sc_vars v = {
		.http = sc_observer_base_url(r->obs),
		.token = r->token,
		.target = r->target_uri,
		.user = r->cfg->user,
		.host = r->host_uri,
		.scenario = sstem,
		.step = stepno,
	};
	e = prepare_body(&s, &v);
	if (e < 0)
		goto fail;
	const char *method = st->kind == SC_STEP_OPTIONS ? "OPTIONS" : "NOTIFY";
	size_t h0 = sc_observer_count(r->obs);
	e = run_sip(&s, method);
	if (e < 0 && e != -ETIMEDOUT)
		goto fail;
	if (e == -ETIMEDOUT && s.ex->i_final == s.ex->i_challenge)
		s.ex->i_final = -1; /* the retry got no answer */
	int fin = status_at(s.ex, s.ex->i_final);
	if (st->retransmit)
		retransmit_last(&s, method);
	if (st->kind == SC_STEP_NOTIFY)
		collect_fetches(&s, h0, fin / 100 == 2);
	bool do_replay = replay && s.ex->i_retry >= 0 && fin / 100 == 2;
	e = finish_exchange(&s, !do_replay);
	if (e == 0 && do_replay) {
		h0 = sc_observer_count(r->obs);
		e = run_replay(&s, id, title);
		if (e == 0) {
			collect_fetches(&s, h0, status_at(s.ex, s.ex->i_final) / 100 == 2);
			e = finish_exchange(&s, true);
		}
	}
fail:
	if (unreachable_error(e))
		e = step_unreachable(&s, id, title, tp, e);
	xs_exchange_free(s.ex);
	xs_buf_reset(&s.body);
	if (s.auth.p)
		explicit_bzero(s.auth.p, s.auth.cap);
	xs_buf_reset(&s.auth);
	xs_buf_reset(&s.last_req);
	return e;
}

/* OPTIONS as a liveness probe; reads Server/User-Agent. -EHOSTDOWN when nothing answers. */
static int probe(struct run *r, struct xs_device *dev, char *server, size_t ssize)
{
	struct sc_conn *c;
	int e = conn_for(r, r->cfg->tp, &c);
	if (e < 0)
		return e;
	struct step_run s = { .run = r, .c = c, .cseq = 1 };
	struct sc_step none = { .kind = SC_STEP_OPTIONS, .content_length = -1 };
	s.step = &none;
	e = xs_exchange_new(&s.ex, "probe");
	if (e < 0)
		return e;
	sc_random_hex(s.call_id, sizeof s.call_id, 24);
	sc_random_hex(s.from_tag, sizeof s.from_tag, 12);
	struct xs_buf req = { 0 };
	e = build(&s, "OPTIONS", NULL, &req);
	if (e == 0)
		e = transact(&s, &req, 1, "OPTIONS");
	xs_buf_reset(&req);
	if (e >= 0) {
		const struct sip_msg *m = s.ex->msgs[e];
		struct xs_span v;
		if (sip_msg_header_id(m, SIP_HDR_SERVER, 0, false, &v) == 0 ||
		    sip_msg_header_id(m, SIP_HDR_USER_AGENT, 0, false, &v) == 0) {
			v = xs_span_trim(v);
			snprintf(server, ssize, "%.*s", (int)XS_MIN(v.len, ssize - 1),
				 (const char *)v.p);
			dev->server = server;
		}
		e = 0;
	} else if (e == -ETIMEDOUT) {
		e = -EHOSTDOWN;
	}
	xs_exchange_free(s.ex);
	return e;
}

static int identify(struct run *r, struct xs_device *dev, char *model, char *fw)
{
	struct fw_ident id;
	bool known = dev->server &&
		     fw_ident_parse((const uint8_t *)dev->server, strlen(dev->server), &id) == 0;
	if (known) {
		snprintf(model, 32, "%s", id.model);
		snprintf(fw, 32, "%s", id.version);
		dev->model = model;
		dev->firmware = fw;
	}
	if (r->cfg->profile) {
		r->profile = fw_profile_find(r->cfg->profile);
		if (!r->profile) {
			snprintf(r->st->what, sizeof r->st->what, "unknown profile '%s'",
				 r->cfg->profile);
			return -EINVAL;
		}
	} else if (known) {
		r->profile = fw_profile_for(&id);
	}
	if (r->profile)
		dev->profile = (char *)r->profile->name;
	return 0;
}

static void target_text(const struct run *r, char *out, size_t size)
{
	snprintf(out, size, "%s:%s", xs_transport_name(r->cfg->tp), r->host_uri);
}

static int setup(struct run *r)
{
	const struct sc_run_config *cfg = r->cfg;
	uint16_t port = cfg->port ? cfg->port : 5060;
	bool v6 = strchr(cfg->host, ':') != NULL;
	snprintf(r->host_uri, sizeof r->host_uri, v6 ? "[%s]:%u" : "%s:%u", cfg->host,
		 (unsigned)port);
	snprintf(r->target_uri, sizeof r->target_uri, "sip:%s@%s", cfg->user ? cfg->user : "",
		 r->host_uri);
	r->t1_us = cfg->t1_us > 0 ? cfg->t1_us : SC_T1_US_DEFAULT;
	/* --timeout caps Timer F (64*T1, RFC 3261 §17.1.2.2), never extends it: what
	 * the messages say is the wait that really happens */
	r->cap_us = 64 * r->t1_us;
	if (cfg->timeout_s > 0 && (int64_t)(cfg->timeout_s * 1e6) < r->cap_us)
		r->cap_us = (int64_t)(cfg->timeout_s * 1e6);
	sc_random_hex(r->token, sizeof r->token, 16);
	char tgt[128];
	target_text(r, tgt, sizeof tgt);
	struct sc_conn *c;
	int e = conn_for(r, cfg->tp, &c);
	if (e < 0) {
		snprintf(r->st->what, sizeof r->st->what, "cannot reach %s: %s", tgt,
			 xs_strerror(e));
		return e;
	}
	if (cfg->capture_path) {
		e = pcapw_open(&r->pcap, cfg->capture_path);
		if (e < 0) {
			snprintf(r->st->what, sizeof r->st->what, "%s: %s", cfg->capture_path,
				 xs_strerror(e));
			return e;
		}
	}
	char listen[96];
	if (cfg->http_listen)
		snprintf(listen, sizeof listen, "%s", cfg->http_listen);
	else
		snprintf(listen, sizeof listen, strchr(c->local.addr, ':') ? "[%s]:0" : "%s:0",
			 c->local.addr);
	e = sc_observer_start(&r->obs, listen, cfg->http_url, observer_hook, r);
	if (e < 0) {
		snprintf(r->st->what, sizeof r->st->what, "HTTP observer on %s: %s", listen,
			 xs_strerror(e));
		return e;
	}
	struct rules_credential cred = { .username = cfg->user, .realm = "",
					 .password = cfg->password };
	e = rules_ctx_new(&r->rules, &cred, cfg->password ? 1 : 0);
	if (e == 0)
		e = xs_result_new(&r->res, XS_SOURCE_LIVE);
	if (e == 0) {
		r->res->target = strdup(tgt);
		r->res->emulated = cfg->emulated;
		if (!r->res->target)
			e = -ENOMEM;
	}
	return e;
}

static void teardown(struct run *r)
{
	r->obs = sc_observer_stop(r->obs);
	for (int i = 0; i < 2; i++)
		if (r->open[i])
			sc_conn_close(&r->conn[i]);
	r->pcap = pcapw_close(r->pcap);
	r->rules = rules_ctx_free(r->rules);
	r->res = xs_result_free(r->res);
}

static int run_list(struct run *r, struct scenario *const *list, size_t n)
{
	unsigned reps = r->cfg->repeat ? r->cfg->repeat : 1;
	for (unsigned rep = 0; rep < reps; rep++)
		for (size_t i = 0; i < n; i++) {
			const struct scenario *sc = list[i];
			if (!scenario_applies(sc, r->profile ? r->profile->name : NULL))
				continue;
			for (size_t k = 0; k < sc->n_steps; k++) {
				int e;
				if (sc->steps[k].kind == SC_STEP_WAIT) {
					sleep_us((int64_t)(sc->steps[k].wait_s * 1e6));
					continue;
				}
				e = run_step(r, sc, k, rep);
				if (e == SC_STEP_ABANDONED)
					break;
				if (e < 0) {
					char tgt[128];
					target_text(r, tgt, sizeof tgt);
					snprintf(r->st->what, sizeof r->st->what,
						 "%s: step %zu (line %u) against %s: %s", sc->file,
						 k + 1, sc->steps[k].line, tgt, xs_strerror(e));
					return e;
				}
			}
		}
	return 0;
}

/*
 * No profile for the phone (no --profile, and its Server/User-Agent names none
 * we know): XS-FW-01 fails on an exchange of its own, which says what was not
 * run for that reason, so an unknown firmware is never certified by omission.
 */
static int unidentified(struct run *r, const struct xs_device *dev,
			struct scenario *const *list, size_t n)
{
	size_t skipped = 0;
	for (size_t i = 0; i < n; i++)
		skipped += !scenario_applies(list[i], NULL);
	char who[300];
	if (dev->server)
		snprintf(who, sizeof who, "Server/User-Agent \"%s\" names no model and firmware of "
					  "a profile", dev->server);
	else
		snprintf(who, sizeof who, "the answer to OPTIONS has no Server or User-Agent");
	int e = xs_result_add_verdict(r->res, "00-identify/1",
				      "the phone names its model and firmware", r->device_id,
				      "XS-FW-01", XS_FAIL,
				      "%s; %zu scenarios for specific profiles were not run "
				      "(--profile NAME picks one)", who, skipped);
	if (e == 0)
		r->st->exchanges++;
	return e;
}

int sc_run(const struct sc_run_config *config, struct scenario *const *list, size_t n,
	   struct xs_result **out, struct sc_run_status *st)
{
	memset(st, 0, sizeof *st);
	struct run r = { .cfg = config, .st = st };
	int e = setup(&r);
	char server[256] = "", model[32] = "", fw[32] = "", addr[96];
	struct xs_device dev = { .id = "d1", .address = addr };
	snprintf(addr, sizeof addr, "%s", r.host_uri);
	if (e == 0) {
		e = probe(&r, &dev, server, sizeof server);
		if (e < 0) {
			char tgt[128];
			target_text(&r, tgt, sizeof tgt);
			if (e == -EHOSTDOWN)
				snprintf(st->what, sizeof st->what,
					 "%s did not answer OPTIONS within %.1f s", tgt,
					 (double)r.cap_us / 1e6);
			else
				snprintf(st->what, sizeof st->what, "%s did not answer OPTIONS: %s",
					 tgt, xs_strerror(e));
		}
	}
	if (e == 0)
		e = identify(&r, &dev, model, fw);
	if (e == 0) {
		e = xs_result_add_device(r.res, &dev);
		if (e >= 0) {
			r.device_id = r.res->devices[e].id;
			e = 0;
		}
	}
	if (e == 0 && !r.profile)
		e = unidentified(&r, &dev, list, n);
	int64_t t0 = sc_now_mono_us();
	if (e == 0)
		e = run_list(&r, list, n);
	st->seconds = (double)(sc_now_mono_us() - t0) / 1e6;
	if (e == 0) {
		*out = r.res;
		r.res = NULL;
	}
	teardown(&r);
	return e;
}
