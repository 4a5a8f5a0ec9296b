/* SPDX-License-Identifier: MIT */
/* test-rules.c — records, roles, and every rule shown to pass, fail and skip on literal SIP exchanges. */
#include <criterion/criterion.h>

#include "harness/digest/digest.h"
#include "harness/rules/rules-int.h"
#include "harness/rules/rules.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_URL "http://127.0.0.1:8080/xs/abc.xml"
#define DEFAULT_NONCE "a1b2c3d4e5f60718293a4b5c6d7e8f90"
#define RURI "sip:159@127.0.0.1:5060"
#define EXEC_OK                                                                         \
	"<CiscoIPPhoneExecute><ExecuteItem Priority=\"0\" URL=\"http://127.0.0.1:8080/e.xml\"/>" \
	"</CiscoIPPhoneExecute>"
#define EXEC_4                                                                          \
	"<CiscoIPPhoneExecute><ExecuteItem URL=\"a\"/><ExecuteItem URL=\"b\"/>"             \
	"<ExecuteItem URL=\"c\"/><ExecuteItem URL=\"d\"/></CiscoIPPhoneExecute>"

static const struct rules_credential creds[] = { { "159", "xscert", "secret" } };

/* One exchange described by what differs from a good push (zero: the good value). */
struct spec {
	const char *body;        /* NULL: DEFAULT_URL */
	const char *cl;          /* NULL: exact; "none": omitted; else the literal value */
	const char *event;       /* NULL: XML-Service */
	bool tcp;
	bool first_auth;         /* the first NOTIFY carries credentials: no challenge */
	int first_status;        /* answer to the first NOTIFY; 0: 401 */
	const char *chal;        /* WWW-Authenticate value; NULL: good; "none": absent */
	const char *nonce;       /* NULL: DEFAULT_NONCE */
	bool no_retry;
	const char *user, *realm, *password, *uri; /* what the retry's digest uses */
	bool no_qop;             /* the retry answers without qop */
	uint32_t nc;             /* 0: 1 */
	const char *raw_auth;    /* the Authorization value verbatim */
	const char *callid;      /* NULL: call-1@127.0.0.1 */
	const char *retry_callid, *retry_ftag;
	unsigned retry_cseq;     /* 0: first CSeq + 1 */
	bool retry_same_branch;
	bool explicit_roles;     /* set roles 0..3 instead of letting the rules find them */
	int final_status;        /* 0: 200 */
	const char *final_hdr;   /* an extra header line in the final answer */
	bool no_final;
	bool unanswered;         /* only the first NOTIFY, no answer at all */
	const char *server;      /* NULL: Cisco/SPA504G-7.6.2c; "": none */
	bool no_to_tag;
	const char *resp_branch; /* Via branch in responses; NULL: mirrored */
	const char *resp_via_params; /* after the branch in responses' Via; NULL: ";received=127.0.0.1" */
	const char *resp_callid; /* Call-ID in the final answer; NULL: mirrored */
	const char *fetch[3];    /* URLs the phone fetched */
	int64_t fetch_delay_us;  /* after the final answer (timed exchanges) */
	int64_t window_us;       /* 0: default */
	bool timed;
	int retransmit;          /* status answering a retransmitted retry; 0: none */
	enum xs_auth_intent intent;
	const char *profile;
	bool capture;            /* judged as a capture (no scenario): nothing is deliberate */
};

static struct sip_msg *parse(struct xs_buf *b, enum xs_dir dir, bool tcp, int64_t ts)
{
	struct sip_msg *m = NULL;
	int r = sip_msg_parse(&m, b->p, b->len);
	cr_assert_eq(r, 0, "test message does not parse (%d):\n%s", r, xs_buf_cstr(b));
	m->dir = dir;
	m->tp = tcp ? XS_TP_TCP : XS_TP_UDP;
	m->ts_us = ts;
	xs_buf_reset(b);
	return m;
}

static struct sip_msg *notify(const struct spec *s, unsigned cseq, const char *callid,
			      const char *ftag, const char *branch, const char *auth, int64_t ts)
{
	struct xs_buf b = { 0 };
	const char *body = s->body ? s->body : DEFAULT_URL;
	xs_buf_printf(&b,
		      "NOTIFY " RURI " SIP/2.0\r\n"
		      "Via: SIP/2.0/%s 127.0.0.1:5070;branch=z9hG4bK-%s\r\n"
		      "From: <sip:pbx@127.0.0.1>;tag=%s\r\n"
		      "To: <sip:159@127.0.0.1>\r\n"
		      "Call-ID: %s\r\n"
		      "CSeq: %u NOTIFY\r\n"
		      "Event: %s\r\n"
		      "Content-Type: text/plain\r\n",
		      s->tcp ? "TCP" : "UDP", branch, ftag, callid, cseq,
		      s->event ? s->event : "XML-Service");
	if (auth)
		xs_buf_printf(&b, "Authorization: %s\r\n", auth);
	if (!s->cl)
		xs_buf_printf(&b, "Content-Length: %zu\r\n", strlen(body));
	else if (strcmp(s->cl, "none"))
		xs_buf_printf(&b, "Content-Length: %s\r\n", s->cl);
	xs_buf_printf(&b, "\r\n%s", body);
	return parse(&b, XS_DIR_TO_PHONE, s->tcp, ts);
}

static struct sip_msg *response(const struct spec *s, int status, const struct sip_msg *q,
				const char *extra, const char *callid, int64_t ts)
{
	struct xs_buf b = { 0 };
	const char *server = s->server ? s->server : "Cisco/SPA504G-7.6.2c";
	xs_buf_printf(&b,
		      "SIP/2.0 %d %s\r\n"
		      "Via: SIP/2.0/%s 127.0.0.1:5070;branch=%s%.*s%s\r\n"
		      "From: <sip:pbx@127.0.0.1>;tag=%.*s\r\n"
		      "To: <sip:159@127.0.0.1>%s\r\n"
		      "Call-ID: %.*s\r\n"
		      "CSeq: %u NOTIFY\r\n",
		      status, status == 200 ? "OK" : status == 401 ? "Unauthorized" : "Nope",
		      s->tcp ? "TCP" : "UDP", s->resp_branch ? s->resp_branch : "",
		      s->resp_branch ? 0 : (int)q->via_branch.len, (const char *)q->via_branch.p,
		      s->resp_via_params ? s->resp_via_params : ";received=127.0.0.1",
		      (int)q->from_tag.len, (const char *)q->from_tag.p,
		      s->no_to_tag ? "" : ";tag=phone1",
		      callid ? (int)strlen(callid) : (int)q->call_id.len,
		      callid ? callid : (const char *)q->call_id.p, q->cseq);
	if (server[0])
		xs_buf_printf(&b, "Server: %s\r\n", server);
	if (extra)
		xs_buf_printf(&b, "%s\r\n", extra);
	xs_buf_puts(&b, "Content-Length: 0\r\n\r\n");
	return parse(&b, XS_DIR_FROM_PHONE, s->tcp, ts);
}

/* The Authorization value the spec's retry carries. */
static char *authorization(const struct spec *s, unsigned nc)
{
	if (s->raw_auth)
		return strdup(s->raw_auth);
	struct digest_challenge ch = { .algorithm = DIGEST_MD5 };
	snprintf(ch.realm, sizeof ch.realm, "%s", s->realm ? s->realm : "xscert");
	snprintf(ch.nonce, sizeof ch.nonce, "%s", s->nonce ? s->nonce : DEFAULT_NONCE);
	if (!s->no_qop) {
		ch.has_qop = true;
		ch.qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH);
	}
	struct digest_credentials cr;
	const char *body = s->body ? s->body : DEFAULT_URL;
	int r = digest_answer(&ch, s->user ? s->user : "159", s->password ? s->password : "secret",
			      "NOTIFY", s->uri ? s->uri : RURI, xs_span_str(body), "0a4f113b", nc,
			      &cr);
	cr_assert_eq(r, 0);
	if (s->nc == UINT32_MAX) { /* nc 00000000 */
		snprintf(cr.nc, sizeof cr.nc, "00000000");
		cr.nc_value = 0;
	}
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&cr, &b), 0);
	return xs_buf_steal(&b, NULL);
}

static void add_msg(struct xs_exchange *ex, struct sip_msg *m)
{
	cr_assert_geq(xs_exchange_add_msg(ex, m), 0);
}

static struct xs_exchange *build(const struct spec *s, const char *id)
{
	struct xs_exchange *ex = NULL;
	cr_assert_eq(xs_exchange_new(&ex, id), 0);
	int64_t t = s->timed ? 1000000000 : 0, step = s->timed ? 1000 : 0;
	const char *callid = s->callid ? s->callid : "call-1@127.0.0.1";
	char chal[512];
	snprintf(chal, sizeof chal,
		 "WWW-Authenticate: Digest realm=\"xscert\", nonce=\"%s\", qop=\"auth\", algorithm=MD5",
		 s->nonce ? s->nonce : DEFAULT_NONCE);
	if (s->chal)
		snprintf(chal, sizeof chal, "WWW-Authenticate: %s", s->chal);
	char *auth1 = s->first_auth ? authorization(s, s->nc ? s->nc : 1) : NULL;
	struct sip_msg *n1 = notify(s, 1, callid, "ft1", "b1", auth1, t);
	free(auth1);
	add_msg(ex, n1);
	int st1 = s->first_status ? s->first_status : (s->first_auth ? 200 : 401);
	if (s->first_auth && s->final_status)
		st1 = s->final_status;
	bool chal_hdr = st1 == 401 && !(s->chal && !strcmp(s->chal, "none"));
	struct sip_msg *final = NULL;
	if (s->unanswered)
		goto done;
	add_msg(ex, response(s, st1, n1, chal_hdr ? chal : NULL, NULL, t += step));
	if (st1 == 401 && !s->no_retry) {
		char *auth = authorization(s, s->nc && s->nc != UINT32_MAX ? s->nc : 1);
		unsigned cseq = s->retry_cseq ? s->retry_cseq : 2;
		struct sip_msg *n2 = notify(s, cseq, s->retry_callid ? s->retry_callid : callid,
					    s->retry_ftag ? s->retry_ftag : "ft1",
					    s->retry_same_branch ? "b1" : "b2", auth, t += step);
		struct sip_msg *again = s->retransmit ? notify(s, cseq, s->retry_callid ? s->retry_callid : callid,
							       s->retry_ftag ? s->retry_ftag : "ft1",
							       s->retry_same_branch ? "b1" : "b2", auth,
							       t + step / 2)
						      : NULL;
		free(auth);
		add_msg(ex, n2);
		if (!s->no_final) {
			final = response(s, s->final_status ? s->final_status : 200, n2, s->final_hdr,
					 s->resp_callid, t += step);
			add_msg(ex, final);
		}
		if (again) {
			add_msg(ex, again);
			add_msg(ex, response(s, s->retransmit, again, s->final_hdr, s->resp_callid,
					     t += step));
		}
	}
	for (size_t i = 0; i < 3 && s->fetch[i]; i++) {
		struct xs_http_req h = {
			.ts_us = s->timed ? t + s->fetch_delay_us : 0,
			.method = "GET",
			.target = "/xs/abc.xml",
			.url = (char *)s->fetch[i],
			.user_agent = "Cisco/SPA504G-7.6.2c",
		};
		cr_assert_eq(xs_exchange_add_http(ex, &h), 0);
	}
done:
	if (s->explicit_roles) {
		ex->i_notify = 0;
		ex->i_challenge = 1;
		ex->i_retry = 2;
		ex->i_final = 3;
	}
	ex->intent = s->intent;
	ex->expected_profile = s->profile;
	if (!s->capture)
		cr_assert_not_null(ex->scenario = strdup("unit"));
	if (s->window_us)
		ex->fetch_window_us = s->window_us;
	return ex;
}

static const struct xs_finding *finding(const struct xs_exchange *ex, const char *rule)
{
	const struct xs_finding *f = NULL;
	for (size_t i = 0; i < ex->n_findings; i++)
		if (!strcmp(ex->findings[i].rule, rule)) {
			cr_assert_null(f, "%s: two findings", rule);
			f = &ex->findings[i];
		}
	return f;
}

/* A case: an exchange (after an optional earlier one judged by the same context). */
struct rcase {
	const char *rule;
	enum xs_verdict want;
	const char *what;
	struct spec s;
	const struct spec *before;
	bool no_creds;
};

static const struct spec first_nonce_1000 = { .nonce = "0000000000001000", .callid = "c0" };
static const struct spec first_default = { .callid = "c0" };
static const struct spec first_default_same_call = { .intent = XS_AUTH_CORRECT };

static const struct rcase cases[] = {
	/* XS-CHAL-01 */
	{ .rule = "XS-CHAL-01", .want = XS_PASS, .what = "401 to a NOTIFY without credentials", .s = { 0 } },
	{ .rule = "XS-CHAL-01", .want = XS_FAIL, .what = "200 without a challenge", .s = { .first_status = 200, .no_retry = true } },
	{ .rule = "XS-CHAL-01", .want = XS_WARN, .what = "403 instead of 401", .s = { .first_status = 403 } },
	{ .rule = "XS-CHAL-01", .want = XS_SKIP, .what = "first NOTIFY already authenticated", .s = { .first_auth = true } },
	{ .rule = "XS-CHAL-01", .want = XS_SKIP, .what = "not XML-Service", .s = { .event = "message-summary" } },
	{ .rule = "XS-CHAL-01", .want = XS_FAIL, .what = "resync challenged per profile", .s = { .event = "resync", .first_status = 200,
								     .profile = "spa504g-7.6.2" } },
	/* XS-CHAL-02 */
	{ .rule = "XS-CHAL-02", .want = XS_PASS, .what = "good challenge", .s = { 0 } },
	{ .rule = "XS-CHAL-02", .want = XS_FAIL, .what = "401 without WWW-Authenticate", .s = { .chal = "none" } },
	{ .rule = "XS-CHAL-02", .want = XS_FAIL, .what = "no nonce", .s = { .chal = "Digest realm=\"xscert\", qop=\"auth\"" } },
	{ .rule = "XS-CHAL-02", .want = XS_FAIL, .what = "duplicate realm", .s =
	  { .chal = "Digest realm=\"a\", realm=\"b\", nonce=\"n\", qop=\"auth\"" } },
	{ .rule = "XS-CHAL-02", .want = XS_FAIL, .what = "empty nonce", .s = { .chal = "Digest realm=\"x\", nonce=\"\", qop=\"auth\"" } },
	{ .rule = "XS-CHAL-02", .want = XS_SKIP, .what = "no challenge", .s = { .first_status = 200, .no_retry = true } },
	/* XS-CHAL-03 */
	{ .rule = "XS-CHAL-03", .want = XS_PASS, .what = "qop auth", .s = { 0 } },
	{ .rule = "XS-CHAL-03", .want = XS_FAIL, .what = "no qop", .s = { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\"",
					     .no_qop = true } },
	{ .rule = "XS-CHAL-03", .want = XS_FAIL, .what = "auth-int only", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", qop=\"auth-int\"" } },
	{ .rule = "XS-CHAL-03", .want = XS_SKIP, .what = "no challenge", .s = { .first_status = 200, .no_retry = true } },
	/* XS-CHAL-04 */
	{ .rule = "XS-CHAL-04", .want = XS_PASS, .what = "MD5", .s = { 0 } },
	{ .rule = "XS-CHAL-04", .want = XS_PASS, .what = "SHA-256", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", qop=\"auth\", algorithm=SHA-256",
	    .no_retry = true } },
	{ .rule = "XS-CHAL-04", .want = XS_FAIL, .what = "unknown algorithm", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", qop=\"auth\", algorithm=SHA-1",
	    .no_retry = true } },
	{ .rule = "XS-CHAL-04", .want = XS_WARN, .what = "an unknown algorithm beside MD5", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"x" DEFAULT_NONCE "\", algorithm=FOO, "
		    "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", qop=\"auth\"" } },
	{ .rule = "XS-CHAL-02", .want = XS_SKIP, .what = "unknown algorithm is XS-CHAL-04's", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", algorithm=FOO", .no_retry = true } },
	{ .rule = "XS-CHAL-04", .want = XS_SKIP, .what = "no challenge", .s = { .first_status = 200, .no_retry = true } },
	/* XS-CHAL-05 */
	{ .rule = "XS-CHAL-05", .want = XS_PASS, .what = "fresh random nonce",
	  .s = { .callid = "c1", .nonce = "77e1c0ffee5a1ad0b4d9f3a2c61e8b05" }, .before = &first_default },
	{ .rule = "XS-CHAL-05", .want = XS_FAIL, .what = "same nonce as the earlier challenge", .s = { .callid = "c1" }, .before = &first_default },
	{ .rule = "XS-CHAL-05", .want = XS_FAIL, .what = "sequential nonces", .s = { .nonce = "0000000000001001", .callid = "c1" },
	  &first_nonce_1000 },
	{ .rule = "XS-CHAL-05", .want = XS_WARN, .what = "short nonce", .s = { .nonce = "abc123" } },
	{ .rule = "XS-CHAL-05", .want = XS_SKIP, .what = "no challenge", .s = { .first_status = 200, .no_retry = true } },
	/* XS-AUTH-01 */
	{ .rule = "XS-AUTH-01", .want = XS_PASS, .what = "correct accepted", .s = { .intent = XS_AUTH_CORRECT } },
	{ .rule = "XS-AUTH-01", .want = XS_PASS, .what = "intent inferred from the known password", .s = { 0 } },
	{ .rule = "XS-AUTH-01", .want = XS_FAIL, .what = "correct rejected", .s = { .intent = XS_AUTH_CORRECT, .final_status = 403 } },
	{ .rule = "XS-AUTH-01", .want = XS_SKIP, .what = "intent unknown, no password", .s = { 0 }, .no_creds = true },
	{ .rule = "XS-AUTH-01", .want = XS_SKIP, .what = "intent wrong password", .s = { .intent = XS_AUTH_WRONG_PASSWORD,
							     .password = "nope", .final_status = 401 } },
	{ .rule = "XS-AUTH-01", .want = XS_SKIP, .what = "no answer to the retry", .s = { .intent = XS_AUTH_CORRECT, .no_final = true } },
	/* XS-AUTH-02 */
	{ .rule = "XS-AUTH-02", .want = XS_PASS, .what = "wrong password rejected", .s = { .intent = XS_AUTH_WRONG_PASSWORD,
							       .password = "nope", .final_status = 401 } },
	{ .rule = "XS-AUTH-02", .want = XS_FAIL, .what = "wrong password accepted", .s = { .intent = XS_AUTH_WRONG_PASSWORD,
							       .password = "nope" } },
	{ .rule = "XS-AUTH-02", .want = XS_FAIL, .what = "inferred wrong password accepted", .s = { .password = "nope" } },
	{ .rule = "XS-AUTH-02", .want = XS_FAIL, .what = "wrong realm accepted", .s = { .intent = XS_AUTH_WRONG_REALM, .realm = "other" } },
	{ .rule = "XS-AUTH-02", .want = XS_PASS, .what = "wrong user rejected", .s = { .intent = XS_AUTH_WRONG_USER, .user = "160",
							   .final_status = 403 } },
	{ .rule = "XS-AUTH-02", .want = XS_FAIL, .what = "wrong uri accepted", .s = { .intent = XS_AUTH_WRONG_URI, .uri = "sip:x@y" } },
	{ .rule = "XS-AUTH-02", .want = XS_SKIP, .what = "correct credentials", .s = { .intent = XS_AUTH_CORRECT } },
	/* XS-AUTH-03 */
	{ .rule = "XS-AUTH-03", .want = XS_PASS, .what = "replay rejected", .s = { .intent = XS_AUTH_REPLAY, .final_status = 401 } },
	{ .rule = "XS-AUTH-03", .want = XS_FAIL, .what = "replay accepted", .s = { .intent = XS_AUTH_REPLAY } },
	{ .rule = "XS-AUTH-03", .want = XS_FAIL, .what = "replay detected across exchanges", .s = { .callid = "c1" }, .before = &first_default },
	{ .rule = "XS-AUTH-03", .want = XS_SKIP, .what = "no replay", .s = { .intent = XS_AUTH_CORRECT } },
	/* XS-AUTH-04 */
	{ .rule = "XS-AUTH-04", .want = XS_PASS, .what = "stale answered 401 stale=true", .s =
	  { .intent = XS_AUTH_STALE, .final_status = 401,
	    .final_hdr = "WWW-Authenticate: Digest realm=\"xscert\", nonce=\"fresh0123456789abcdef\", "
			 "qop=\"auth\", stale=true" } },
	{ .rule = "XS-AUTH-04", .want = XS_FAIL, .what = "stale answered 401 without stale", .s =
	  { .intent = XS_AUTH_STALE, .final_status = 401,
	    .final_hdr = "WWW-Authenticate: Digest realm=\"xscert\", nonce=\"fresh0123456789abcdef\", qop=\"auth\"" } },
	{ .rule = "XS-AUTH-04", .want = XS_FAIL, .what = "stale accepted", .s = { .intent = XS_AUTH_STALE } },
	{ .rule = "XS-AUTH-04", .want = XS_FAIL, .what = "stale answered 403", .s = { .intent = XS_AUTH_STALE, .final_status = 403 } },
	{ .rule = "XS-AUTH-04", .want = XS_SKIP, .what = "no stale nonce", .s = { .intent = XS_AUTH_CORRECT } },
	/* XS-DIG-01 */
	{ .rule = "XS-DIG-01", .want = XS_PASS, .what = "right response", .s = { 0 } },
	{ .rule = "XS-DIG-01", .want = XS_FAIL, .what = "wrong response", .s = { .password = "nope", .final_status = 401 } },
	{ .rule = "XS-DIG-01", .want = XS_FAIL, .what = "malformed Authorization", .s = { .raw_auth = "Digest username=\"159\"" } },
	{ .rule = "XS-DIG-01", .want = XS_SKIP, .what = "no password known", .s = { 0 }, .no_creds = true },
	{ .rule = "XS-DIG-01", .want = XS_SKIP, .what = "no retry", .s = { .no_retry = true } },
	{ .rule = "XS-DIG-01", .want = XS_SKIP, .what = "deliberately wrong", .s = { .intent = XS_AUTH_WRONG_PASSWORD, .password = "x" } },
	{ .rule = "XS-DIG-01", .want = XS_FAIL, .what = "wrong in a capture (intent inferred)",
	  .s = { .intent = XS_AUTH_WRONG_PASSWORD, .password = "x", .capture = true } },
	/* XS-DIG-02 */
	{ .rule = "XS-DIG-02", .want = XS_PASS, .what = "uri = Request-URI", .s = { 0 } },
	{ .rule = "XS-DIG-02", .want = XS_FAIL, .what = "uri differs", .s = { .uri = "sip:159@127.0.0.1" } },
	{ .rule = "XS-DIG-02", .want = XS_SKIP, .what = "deliberately wrong uri", .s = { .intent = XS_AUTH_WRONG_URI, .uri = "sip:a@b" } },
	{ .rule = "XS-DIG-02", .want = XS_FAIL, .what = "wrong uri in a capture",
	  .s = { .intent = XS_AUTH_WRONG_URI, .uri = "sip:a@b", .capture = true } },
	{ .rule = "XS-DIG-02", .want = XS_SKIP, .what = "no retry", .s = { .no_retry = true } },
	/* XS-DIG-03 */
	{ .rule = "XS-DIG-03", .want = XS_PASS, .what = "nc 1 with cnonce", .s = { 0 } },
	{ .rule = "XS-DIG-03", .want = XS_FAIL, .what = "nc 0", .s = { .nc = UINT32_MAX } },
	{ .rule = "XS-DIG-03", .want = XS_FAIL, .what = "nc not 8 hex", .s =
	  { .raw_auth = "Digest username=\"159\", realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\", "
			"uri=\"" RURI "\", response=\"00112233445566778899aabbccddeeff\", qop=auth, "
			"nc=1, cnonce=\"x\"" } },
	{ .rule = "XS-DIG-03", .want = XS_FAIL, .what = "no qop though offered", .s = { .no_qop = true } },
	{ .rule = "XS-DIG-03", .want = XS_FAIL, .what = "nc did not grow", .s = { .callid = "c1" }, .before = &first_default },
	{ .rule = "XS-DIG-03", .want = XS_PASS, .what = "nc grew", .s = { .callid = "c1", .nc = 2 }, .before = &first_default },
	{ .rule = "XS-DIG-03", .want = XS_SKIP, .what = "no qop anywhere", .s =
	  { .chal = "Digest realm=\"xscert\", nonce=\"" DEFAULT_NONCE "\"", .no_qop = true } },
	{ .rule = "XS-DIG-03", .want = XS_SKIP, .what = "no retry", .s = { .no_retry = true } },
	/* XS-DIG-04 */
	{ .rule = "XS-DIG-04", .want = XS_PASS, .what = "same Call-ID, From tag; CSeq+1", .s = { 0 } },
	{ .rule = "XS-DIG-04", .want = XS_FAIL, .what = "From tag changed", .s = { .retry_ftag = "ft2" } },
	{ .rule = "XS-DIG-04", .want = XS_FAIL, .what = "Call-ID changed", .s = { .retry_callid = "other", .explicit_roles = true } },
	{ .rule = "XS-DIG-04", .want = XS_FAIL, .what = "CSeq not incremented", .s = { .retry_cseq = 1, .explicit_roles = true } },
	{ .rule = "XS-DIG-04", .want = XS_FAIL, .what = "Via branch reused", .s = { .retry_same_branch = true } },
	{ .rule = "XS-DIG-04", .want = XS_SKIP, .what = "no retry", .s = { .no_retry = true } },
	/* XS-BODY-01 */
	{ .rule = "XS-BODY-01", .want = XS_PASS, .what = "exact Content-Length", .s = { 0 } },
	{ .rule = "XS-BODY-01", .want = XS_FAIL, .what = "Content-Length too small", .s = { .cl = "5" } },
	{ .rule = "XS-BODY-01", .want = XS_FAIL, .what = "Content-Length too large", .s = { .cl = "500" } },
	{ .rule = "XS-BODY-01", .want = XS_WARN, .what = "absent over UDP", .s = { .cl = "none" } },
	{ .rule = "XS-BODY-01", .want = XS_FAIL, .what = "absent over TCP", .s = { .cl = "none", .tcp = true } },
	/* XS-BODY-02 */
	{ .rule = "XS-BODY-02", .want = XS_PASS, .what = "URL is the last byte", .s = { 0 } },
	{ .rule = "XS-BODY-02", .want = XS_FAIL, .what = "trailing LF", .s = { .body = DEFAULT_URL "\n" } },
	{ .rule = "XS-BODY-02", .want = XS_FAIL, .what = "trailing CRLF", .s = { .body = DEFAULT_URL "\r\n" } },
	{ .rule = "XS-BODY-02", .want = XS_SKIP, .what = "XML body", .s = { .body = EXEC_OK } },
	/* XS-BODY-03 */
	{ .rule = "XS-BODY-03", .want = XS_PASS, .what = "one absolute URL", .s = { 0 } },
	{ .rule = "XS-BODY-03", .want = XS_FAIL, .what = "two URLs", .s = { .body = "http://a/x http://b/y" } },
	{ .rule = "XS-BODY-03", .want = XS_FAIL, .what = "ftp", .s = { .body = "ftp://127.0.0.1/x" } },
	{ .rule = "XS-BODY-03", .want = XS_FAIL, .what = "neither URL nor XML", .s = { .body = "hello" } },
	{ .rule = "XS-BODY-03", .want = XS_FAIL, .what = "empty body", .s = { .body = "" } },
	{ .rule = "XS-BODY-03", .want = XS_PASS, .what = "trailing newline is XS-BODY-02's", .s = { .body = DEFAULT_URL "\n" } },
	{ .rule = "XS-BODY-03", .want = XS_SKIP, .what = "XML body", .s = { .body = EXEC_OK } },
	/* XS-BODY-04 */
	{ .rule = "XS-BODY-04", .want = XS_PASS, .what = "URL body", .s = { .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-BODY-04", .want = XS_FAIL, .what = "XML to 7.4.4+", .s = { .body = EXEC_OK, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-BODY-04", .want = XS_FAIL, .what = "XML to an identified 7.4.4+", .s = { .body = EXEC_OK } },
	{ .rule = "XS-BODY-04", .want = XS_PASS, .what = "XML to MPP", .s = { .body = EXEC_OK, .profile = "mpp-8851-11.3.7",
						 .server = "Cisco-CP-8851-3PCC/11.3.7" } },
	{ .rule = "XS-BODY-04", .want = XS_SKIP, .what = "XML, firmware unknown", .s = { .body = EXEC_OK, .server = "" } },
	/* XS-BODY-05 */
	{ .rule = "XS-BODY-05", .want = XS_PASS, .what = "valid Execute", .s = { .body = EXEC_OK } },
	{ .rule = "XS-BODY-05", .want = XS_FAIL, .what = "4 items", .s = { .body = EXEC_4 } },
	{ .rule = "XS-BODY-05", .want = XS_FAIL, .what = "Priority 5", .s =
	  { .body = "<CiscoIPPhoneExecute><ExecuteItem Priority=\"5\" URL=\"http://h/\"/></CiscoIPPhoneExecute>" } },
	{ .rule = "XS-BODY-05", .want = XS_FAIL, .what = "other XML", .s = { .body = "<CiscoIPPhoneText><Text>x</Text></CiscoIPPhoneText>" } },
	{ .rule = "XS-BODY-05", .want = XS_SKIP, .what = "URL body", .s = { 0 } },
	/* XS-FETCH-01 */
	{ .rule = "XS-FETCH-01", .want = XS_PASS, .what = "fetched", .s = { .fetch = { DEFAULT_URL } } },
	{ .rule = "XS-FETCH-01", .want = XS_FAIL, .what = "not fetched", .s = { 0 } },
	{ .rule = "XS-FETCH-01", .want = XS_PASS, .what = "fetched inside the window", .s =
	  { .fetch = { DEFAULT_URL }, .timed = true, .fetch_delay_us = 2000000 } },
	{ .rule = "XS-FETCH-01", .want = XS_FAIL, .what = "fetched after the window", .s =
	  { .fetch = { DEFAULT_URL }, .timed = true, .fetch_delay_us = 6000000, .window_us = 5000000 } },
	{ .rule = "XS-FETCH-01", .want = XS_SKIP, .what = "push rejected", .s = { .final_status = 403, .fetch = { DEFAULT_URL } } },
	{ .rule = "XS-FETCH-01", .want = XS_SKIP, .what = "trailing newline on 7.4.4+", .s = { .body = DEFAULT_URL "\n" } },
	{ .rule = "XS-FETCH-01", .want = XS_SKIP, .what = "XML body", .s = { .body = EXEC_OK } },
	/* XS-FETCH-02 */
	{ .rule = "XS-FETCH-02", .want = XS_PASS, .what = "same URL", .s = { .fetch = { DEFAULT_URL } } },
	{ .rule = "XS-FETCH-02", .want = XS_PASS, .what = "same URL, host case", .s = { .fetch = { "http://127.0.0.1:8080/xs/abc.xml" } } },
	{ .rule = "XS-FETCH-02", .want = XS_FAIL, .what = "other URL", .s = { .fetch = { "http://127.0.0.1:8080/xs/abc.xml%0A" } } },
	{ .rule = "XS-FETCH-02", .want = XS_FAIL, .what = "one of two differs", .s = { .fetch = { DEFAULT_URL, "http://127.0.0.1/evil" } } },
	{ .rule = "XS-FETCH-02", .want = XS_SKIP, .what = "no fetch", .s = { 0 } },
	/* XS-FW-01 */
	{ .rule = "XS-FW-01", .want = XS_PASS, .what = "matches the expected profile", .s = { .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-01", .want = XS_PASS, .what = "identified, nothing expected", .s = { 0 } },
	{ .rule = "XS-FW-01", .want = XS_FAIL, .what = "other profile", .s = { .profile = "mpp-8851-11.3.7" } },
	{ .rule = "XS-FW-01", .want = XS_FAIL, .what = "old firmware", .s = { .profile = "spa504g-7.6.2", .server = "Cisco/SPA504G-7.4.3" } },
	{ .rule = "XS-FW-01", .want = XS_FAIL, .what = "not identified", .s = { .profile = "spa504g-7.6.2", .server = "" } },
	{ .rule = "XS-FW-01", .want = XS_ERROR, .what = "unknown profile", .s = { .profile = "nokia-3310" } },
	{ .rule = "XS-FW-01", .want = XS_SKIP, .what = "no ident, nothing expected", .s = { .server = "" } },
	/* XS-FW-02 */
	{ .rule = "XS-FW-02", .want = XS_PASS, .what = "URL accepted and fetched", .s = { .fetch = { DEFAULT_URL }, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_FAIL, .what = "URL rejected by 7.4.4+", .s = { .final_status = 488, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_FAIL, .what = "trailing newline fetched on 7.4.4+", .s =
	  { .body = DEFAULT_URL "\r\n", .fetch = { DEFAULT_URL }, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_PASS, .what = "trailing newline not fetched on 7.4.4+", .s =
	  { .body = DEFAULT_URL "\r\n", .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_WARN, .what = "trailing newline fetched on MPP (assumed)", .s =
	  { .body = DEFAULT_URL "\n", .fetch = { DEFAULT_URL }, .profile = "mpp-8851-11.3.7",
	    .server = "Cisco-CP-8851-3PCC/11.3.7" } },
	{ .rule = "XS-FW-02", .want = XS_FAIL, .what = "inline XML acted on by 7.4.4+", .s =
	  { .body = EXEC_OK, .fetch = { "http://127.0.0.1:8080/e.xml" }, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_PASS, .what = "inline XML ignored by 7.4.4+", .s = { .body = EXEC_OK, .profile = "spa504g-7.6.2" } },
	{ .rule = "XS-FW-02", .want = XS_PASS, .what = "inline XML accepted by 7.4.3", .s =
	  { .body = EXEC_OK, .profile = "spa504g-7.4.3", .server = "Cisco/SPA504G-7.4.3" } },
	{ .rule = "XS-FW-02", .want = XS_FAIL, .what = "inline XML rejected by 7.4.3", .s =
	  { .body = EXEC_OK, .final_status = 415, .profile = "spa504g-7.4.3", .server = "Cisco/SPA504G-7.4.3" } },
	{ .rule = "XS-FW-02", .want = XS_SKIP, .what = "no profile", .s = { .server = "" } },
	/* XS-SIP-01 */
	{ .rule = "XS-SIP-01", .want = XS_PASS, .what = "mirrored", .s = { 0 } },
	{ .rule = "XS-SIP-01", .want = XS_PASS, .what = "Via as sent, byte for byte", .s = { .resp_via_params = "" } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "a Via more in the answer", .s =
	  { .resp_via_params = "", .final_hdr = "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-extra" } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "a Via more, top one with received", .s =
	  { .final_hdr = "Via: SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-extra" } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "no To tag", .s = { .no_to_tag = true } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "branch not mirrored", .s = { .resp_branch = "z9hG4bK-other" } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "Call-ID not mirrored", .s = { .resp_callid = "zzz" } },
	{ .rule = "XS-SIP-01", .want = XS_FAIL, .what = "libosip2 refuses it", .s = { .final_hdr = "Contact: <<<" } },
	{ .rule = "XS-SIP-01", .want = XS_SKIP, .what = "no response", .s = { .unanswered = true } },
	{ .rule = "XS-CHAL-01", .want = XS_SKIP, .what = "no answer", .s = { .unanswered = true } },
	/* XS-SIP-02 */
	{ .rule = "XS-SIP-02", .want = XS_PASS, .what = "retransmission answered the same", .s =
	  { .retransmit = 200, .fetch = { DEFAULT_URL } } },
	{ .rule = "XS-SIP-02", .want = XS_FAIL, .what = "retransmission answered differently", .s = { .retransmit = 500 } },
	{ .rule = "XS-SIP-02", .want = XS_FAIL, .what = "acted on twice", .s = { .retransmit = 200, .fetch = { DEFAULT_URL, DEFAULT_URL } } },
	{ .rule = "XS-SIP-02", .want = XS_FAIL, .what = "retransmission in a later exchange answered differently", .s =
	  { .final_status = 481, .intent = XS_AUTH_CORRECT }, .before = &first_default_same_call },
	{ .rule = "XS-SIP-02", .want = XS_SKIP, .what = "no retransmission", .s = { 0 } },
};

static void run_case(const struct rcase *c, size_t i)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, c->no_creds ? NULL : creds, c->no_creds ? 0 : 1), 0);
	if (c->before) {
		struct xs_exchange *b = build(c->before, "e0");
		cr_assert_geq(rules_evaluate(ctx, b, NULL), 0);
		xs_exchange_free(b);
	}
	struct xs_exchange *ex = build(&c->s, "e1");
	size_t n_cat;
	rules_catalogue(&n_cat);
	int n = rules_evaluate(ctx, ex, NULL);
	cr_assert_eq(n, (int)n_cat, "case %zu: one finding per rule", i);
	const struct xs_finding *f = finding(ex, c->rule);
	cr_assert_not_null(f, "case %zu: no finding for %s", i, c->rule);
	cr_assert_eq(f->verdict, c->want, "case %zu %s (%s): got %s: %s [%s]", i, c->rule, c->what,
		     xs_verdict_name(f->verdict), f->detail, f->evidence ? f->evidence : "");
	cr_assert_eq(f->subject, rules_find(c->rule)->subject);
	cr_assert(f->detail && f->detail[0]);
	if (f->verdict == XS_PASS || f->verdict == XS_FAIL)
		cr_assert(f->evidence == NULL || !strncmp(f->evidence, "msg:", 4) ||
			  !strncmp(f->evidence, "http:", 5), "case %zu: evidence %s", i, f->evidence);
	cr_assert_null(strstr(f->detail, "secret"), "case %zu: the password leaked", i);
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

Test(rules, every_case)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		run_case(&cases[i], i);
}

Test(rules, every_rule_can_pass_fail_and_skip)
{
	size_t n;
	const struct rule_info *cat = rules_catalogue(&n);
	for (size_t r = 0; r < n; r++) {
		bool seen[XS_VERDICT_COUNT] = { false };
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
			if (!strcmp(cases[i].rule, cat[r].id))
				seen[cases[i].want] = true;
		cr_assert(seen[XS_PASS], "%s has no passing case", cat[r].id);
		cr_assert(seen[XS_FAIL], "%s has no failing case", cat[r].id);
		/* XS-BODY-01 skips only without a NOTIFY: see no_notify_skips */
		if (strcmp(cat[r].id, "XS-BODY-01"))
			cr_assert(seen[XS_SKIP] || seen[XS_ERROR], "%s has no skip case", cat[r].id);
	}
}

Test(rules, catalogue_table)
{
	size_t n;
	const struct rule_info *cat = rules_catalogue(&n);
	cr_assert_eq(n, 24);
	for (size_t i = 0; i < n; i++) {
		cr_assert_eq(rules_find(cat[i].id), &cat[i]);
		cr_assert(strlen(cat[i].statement) > 10 && strlen(cat[i].reference) > 3);
		cr_assert(cat[i].judged && strlen(cat[i].judged) > 20, "%s", cat[i].id);
		for (size_t k = 0; k < i; k++)
			cr_assert_str_neq(cat[i].id, cat[k].id);
	}
	cr_assert_null(rules_find("XS-NOPE-01"));
	cr_assert_null(rules_find(NULL));
	cr_assert_eq(rules_find("XS-BODY-04")->subject, XS_SUBJECT_SENDER);
	cr_assert_eq(rules_find("XS-FETCH-01")->subject, XS_SUBJECT_PHONE);
}

Test(rules, no_notify_skips)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	struct xs_exchange *ex = NULL;
	cr_assert_eq(xs_exchange_new(&ex, "e1"), 0);
	const char *opt = "OPTIONS sip:159@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n"
			  "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\n";
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)opt, strlen(opt)), 0);
	add_msg(ex, m);
	size_t n;
	rules_catalogue(&n);
	cr_assert_eq(rules_evaluate(ctx, ex, NULL), (int)n);
	for (size_t i = 0; i < ex->n_findings; i++)
		cr_assert(ex->findings[i].verdict == XS_SKIP, "%s: %s", ex->findings[i].rule,
			  ex->findings[i].detail);
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

Test(rules, only_limits_the_rules)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	struct spec s = { 0 };
	struct xs_exchange *ex = build(&s, "e1");
	const char *const only[] = { "XS-DIG-01", "XS-BODY-02", NULL };
	cr_assert_eq(rules_evaluate(ctx, ex, only), 2);
	cr_assert_str_eq(ex->findings[0].rule, "XS-DIG-01");
	cr_assert_eq(ex->findings[0].verdict, XS_PASS);
	cr_assert_str_eq(ex->findings[1].rule, "XS-BODY-02");
	cr_assert_eq(rules_evaluate(NULL, ex, NULL), -EINVAL);
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

Test(rules, roles_assigned)
{
	struct spec s = { .retransmit = 200 };
	struct xs_exchange *ex = build(&s, "e1");
	rules_assign_roles(ex);
	cr_assert_eq(ex->i_notify, 0);
	cr_assert_eq(ex->i_challenge, 1);
	cr_assert_eq(ex->i_retry, 2);
	cr_assert_eq(ex->i_final, 3);
	xs_exchange_free(ex);

	struct spec direct = { .first_status = 200, .no_retry = true };
	ex = build(&direct, "e2");
	rules_assign_roles(ex);
	cr_assert_eq(ex->i_notify, 0);
	cr_assert_eq(ex->i_challenge, -1);
	cr_assert_eq(ex->i_retry, -1);
	cr_assert_eq(ex->i_final, 1);
	xs_exchange_free(ex);

	struct spec unanswered = { .no_retry = true };
	ex = build(&unanswered, "e3");
	ex->i_challenge = 1; /* set by a builder: kept */
	rules_assign_roles(ex);
	cr_assert_eq(ex->i_final, 1, "without a retry the final answer is the 401");
	xs_exchange_free(ex);
	rules_assign_roles(NULL);
}

Test(rules, evidence_names_frames)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	struct spec s = { 0 };
	struct xs_exchange *ex = build(&s, "e1");
	for (size_t i = 0; i < ex->n_msgs; i++)
		ex->msgs[i]->frame = 10 + i;
	const char *const only[] = { "XS-DIG-04", NULL };
	cr_assert_eq(rules_evaluate(ctx, ex, only), 1);
	cr_assert_str_eq(ex->findings[0].evidence, "frame:10,frame:12");
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

static void nth_nonce(int i, char *nonce, size_t size)
{
	snprintf(nonce, size, "%08x%08xdeadbeefcafe", (unsigned)i * 2654435761u, (unsigned)i * 40503u + 7);
}

Test(rules, context_is_bounded)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	const char *const only[] = { "XS-CHAL-05", NULL };
	const int n = 1500;
	char first_key[128] = "", key[128] = "";
	for (int i = 0; i < n; i++) {
		char nonce[40], callid[32];
		nth_nonce(i, nonce, sizeof nonce);
		snprintf(callid, sizeof callid, "c%d", i);
		struct spec s = { .nonce = nonce, .callid = callid };
		struct xs_exchange *ex = build(&s, "e");
		cr_assert_eq(rules_evaluate(ctx, ex, only), 1);
		cr_assert_eq(ex->findings[0].verdict, XS_PASS, "%d: %s", i, ex->findings[0].detail);
		struct xs_buf k = { 0 };
		cr_assert_eq(rules_request_key(ex->msgs[0], &k), 0);
		snprintf(i ? key : first_key, sizeof key, "%s", (const char *)k.p);
		xs_buf_reset(&k);
		xs_exchange_free(ex);
		if (i == 9) /* the rings grow as they fill */
			cr_assert_eq(ctx->n_nonce_slots, RULES_RING_FIRST);
	}
	/* full, they hold the newest entries and forget the oldest first */
	cr_assert_eq(ctx->n_nonce_slots, RULES_MAX_NONCES);
	cr_assert_eq(ctx->n_req_slots, RULES_MAX_REQUESTS);
	for (int i = 0; i < n; i++) {
		char nonce[40];
		nth_nonce(i, nonce, sizeof nonce);
		cr_assert_eq(rules_nonce_find(ctx, nonce) != NULL, i >= n - (int)RULES_MAX_NONCES, "nonce %d", i);
	}
	cr_assert_not_null(rules_request_find(ctx, key), "the last request remembered");
	cr_assert_null(rules_request_find(ctx, first_key), "the first forgotten");
	rules_ctx_free(ctx);
	cr_assert_null(rules_ctx_free(NULL));
	cr_assert_eq(rules_ctx_new(NULL, NULL, 0), -EINVAL);
	cr_assert_eq(rules_ctx_new(&ctx, NULL, 2), -EINVAL);
}

/* ---- records ---- */

Test(record, names)
{
	cr_assert_str_eq(xs_verdict_name(XS_PASS), "pass");
	cr_assert_str_eq(xs_verdict_name(XS_ERROR), "error");
	cr_assert_str_eq(xs_verdict_name(XS_VERDICT_COUNT), "unknown");
	cr_assert_str_eq(xs_subject_name(XS_SUBJECT_SENDER), "sender");
	cr_assert_str_eq(xs_auth_intent_name(XS_AUTH_WRONG_PASSWORD), "wrong-password");
	cr_assert_str_eq(xs_auth_intent_name((enum xs_auth_intent)99), "unknown");
	for (int v = 0; v < XS_VERDICT_COUNT; v++) {
		enum xs_verdict back;
		cr_assert_eq(xs_verdict_from_name(xs_verdict_name((enum xs_verdict)v), &back), 0);
		cr_assert_eq((int)back, v);
	}
	for (int i = XS_AUTH_UNKNOWN; i <= XS_AUTH_STALE; i++) {
		enum xs_auth_intent back;
		cr_assert_eq(xs_auth_intent_from_name(xs_auth_intent_name((enum xs_auth_intent)i), &back), 0);
		cr_assert_eq((int)back, i);
	}
	enum xs_verdict v;
	cr_assert_eq(xs_verdict_from_name("PASS", &v), -EINVAL);
	cr_assert_eq(xs_verdict_from_name(NULL, &v), -EINVAL);
}

Test(record, result_owns_everything)
{
	struct xs_result *r = NULL;
	cr_assert_eq(xs_result_new(&r, XS_SOURCE_CAPTURE), 0);
	struct xs_device d = { .address = "127.0.0.1:5060", .server = "Cisco/SPA504G-7.6.2c" };
	cr_assert_eq(xs_result_add_device(r, &d), 0);
	cr_assert_eq(xs_result_add_device(r, &(struct xs_device){ .id = "phone" }), 1);
	cr_assert_str_eq(r->devices[0].id, "d1");
	cr_assert_str_eq(r->devices[1].id, "phone");
	cr_assert_null(r->devices[1].model);
	cr_assert_eq(xs_result_add_file(r, "a.pcap"), 0);
	cr_assert_eq(xs_result_add_note(r, "a.pcap", 7, "frame %d skipped: %s", 7, "not SIP"), 0);
	cr_assert_str_eq(r->notes[0].what, "frame 7 skipped: not SIP");
	cr_assert_eq(r->notes[0].frame, 7);

	struct xs_exchange *ex = NULL;
	cr_assert_eq(xs_exchange_new(&ex, NULL), 0);
	cr_assert_str_eq(ex->id, "e1");
	cr_assert_eq(ex->i_notify, -1);
	cr_assert_eq(ex->fetch_window_us, XS_FETCH_WINDOW_DEFAULT_US);
	cr_assert_eq(xs_exchange_add_finding(ex, "XS-BODY-01", XS_FAIL, XS_SUBJECT_SENDER, "msg:0",
					     "Content-Length %d but the body is %d bytes", 5, 9), 0);
	cr_assert_eq(xs_exchange_add_finding(ex, "XS-FW-01", XS_PASS, XS_SUBJECT_PHONE, NULL, "ok"), 0);
	cr_assert_eq(xs_exchange_add_finding(ex, "XS-FW-01", XS_VERDICT_COUNT, XS_SUBJECT_PHONE, NULL,
					     "x"), -EINVAL);
	cr_assert_str_eq(ex->findings[0].detail, "Content-Length 5 but the body is 9 bytes");
	cr_assert_str_eq(ex->findings[0].evidence, "msg:0");
	cr_assert_null(ex->findings[1].evidence);
	struct xs_http_req h = { .method = "GET", .url = "http://h/x", .ts_us = 5 };
	cr_assert_eq(xs_exchange_add_http(ex, &h), 0);
	cr_assert(ex->http[0].url != h.url, "copied");
	cr_assert_null(ex->http[0].user_agent);
	const char *s = "SIP/2.0 200 OK\r\nCSeq: 1 NOTIFY\r\n\r\n";
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)s, strlen(s)), 0);
	cr_assert_eq(xs_exchange_add_msg(ex, m), 0);
	cr_assert_eq(xs_exchange_add_msg(ex, NULL), -EINVAL);
	cr_assert_eq(xs_result_add_exchange(r, ex), 0);

	size_t counts[XS_VERDICT_COUNT];
	xs_result_count(r, counts);
	cr_assert_eq(counts[XS_FAIL], 1);
	cr_assert_eq(counts[XS_PASS], 1);
	cr_assert_eq(counts[XS_SKIP], 0);
	cr_assert_null(xs_result_free(r));
	cr_assert_null(xs_result_free(NULL));
	cr_assert_null(xs_exchange_free(NULL));
	cr_assert_eq(xs_result_new(NULL, XS_SOURCE_LIVE), -EINVAL);
}

/* Verdict of rule id after evaluating ex with a fresh context. */
static enum xs_verdict verdict_of(struct xs_exchange *ex, const char *id)
{
	const struct xs_finding *f = finding(ex, id);
	cr_assert_not_null(f, "%s", id);
	return f->verdict;
}

Test(rules, replay_exchange_shape)
{
	/* the runner's replay: one NOTIFY carrying the accepted Authorization again */
	static const struct {
		int status;
		enum xs_verdict auth03;
	} cases[] = { { 401, XS_PASS }, { 403, XS_PASS }, { 200, XS_FAIL } };
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct rules_ctx *ctx = NULL;
		cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
		struct spec s = { .first_auth = true, .final_status = cases[i].status,
				  .intent = XS_AUTH_REPLAY };
		struct xs_exchange *ex = build(&s, "e1-replay");
		ex->i_notify = ex->i_retry = 0;
		ex->i_final = 1;
		cr_assert_geq(rules_evaluate(ctx, ex, NULL), 0);
		cr_assert_eq(verdict_of(ex, "XS-AUTH-03"), cases[i].auth03, "%d", cases[i].status);
		cr_assert_eq(verdict_of(ex, "XS-DIG-04"), XS_SKIP);
		cr_assert_eq(verdict_of(ex, "XS-CHAL-01"), XS_SKIP);
		cr_assert_eq(verdict_of(ex, "XS-DIG-01"), XS_PASS);
		cr_assert_eq(verdict_of(ex, "XS-DIG-03"), XS_PASS);
		xs_exchange_free(ex);
		rules_ctx_free(ctx);
	}
}

Test(rules, options_probe_has_no_body_to_judge)
{
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	struct xs_exchange *ex = NULL;
	cr_assert_eq(xs_exchange_new(&ex, "probe"), 0);
	const char *q = "OPTIONS sip:159@127.0.0.1:5060 SIP/2.0\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o1\r\n"
			"From: <sip:pbx@127.0.0.1>;tag=f\r\nTo: <sip:159@127.0.0.1>\r\n"
			"Call-ID: o1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
	const char *r = "SIP/2.0 200 OK\r\n"
			"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o1;rport=5070\r\n"
			"From: <sip:pbx@127.0.0.1>;tag=f\r\nTo: <sip:159@127.0.0.1>;tag=p\r\n"
			"Call-ID: o1\r\nCSeq: 1 OPTIONS\r\nServer: Cisco-CP-8851-3PCC/11.3.7\r\n"
			"Content-Length: 0\r\n\r\n";
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)q, strlen(q)), 0);
	add_msg(ex, m);
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)r, strlen(r)), 0);
	m->dir = XS_DIR_FROM_PHONE;
	add_msg(ex, m);
	ex->i_notify = 0;
	ex->i_final = 1;
	ex->expected_profile = "mpp-8851-11.3.7";
	cr_assert_geq(rules_evaluate(ctx, ex, NULL), 0);
	cr_assert_eq(verdict_of(ex, "XS-SIP-01"), XS_PASS);
	cr_assert_eq(verdict_of(ex, "XS-FW-01"), XS_PASS);
	static const char *const skipped[] = { "XS-CHAL-01", "XS-BODY-01", "XS-BODY-02", "XS-BODY-03",
					       "XS-BODY-05", "XS-FETCH-01", "XS-DIG-01", "XS-SIP-02" };
	for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
		cr_assert_eq(verdict_of(ex, skipped[i]), XS_SKIP, "%s", skipped[i]);
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

Test(rules, fetch_stamped_before_the_retry_counts)
{
	/* live runs stamp a sent request after sending: the phone's fetch may look earlier */
	struct rules_ctx *ctx = NULL;
	cr_assert_eq(rules_ctx_new(&ctx, creds, 1), 0);
	struct spec s = { .timed = true, .fetch = { DEFAULT_URL }, .fetch_delay_us = -1500 };
	struct xs_exchange *ex = build(&s, "e1");
	const char *const only[] = { "XS-FETCH-01", NULL };
	cr_assert_eq(rules_evaluate(ctx, ex, only), 1);
	cr_assert_eq(ex->findings[0].verdict, XS_PASS, "%s", ex->findings[0].detail);
	xs_exchange_free(ex);

	struct spec old = { .timed = true, .fetch = { DEFAULT_URL }, .fetch_delay_us = -10000000 };
	ex = build(&old, "e2");
	cr_assert_eq(rules_evaluate(ctx, ex, only), 1);
	cr_assert_eq(ex->findings[0].verdict, XS_FAIL, "a fetch long before the push is not this one's");
	xs_exchange_free(ex);
	rules_ctx_free(ctx);
}

Test(rules, request_key_reads_as_the_printf_it_replaced)
{
	/* "Call-ID CSeq method branch", a Call-ID with a NUL cut there as %.*s cut it */
	const char *callids[] = { "k1@host", "", "nul\0tail" };
	const size_t lens[] = { 7, 0, 8 };
	for (size_t i = 0; i < 3; i++) {
		struct xs_buf b = { 0 };
		xs_buf_puts(&b, "NOTIFY sip:159@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
				"Call-ID: ");
		xs_buf_append(&b, callids[i], lens[i]);
		xs_buf_puts(&b, "\r\nCSeq: 4294967295 NOTIFY\r\n\r\n");
		struct sip_msg *m = parse(&b, XS_DIR_TO_PHONE, false, 0);
		char want[128];
		snprintf(want, sizeof want, "%.*s %u %s %.*s", (int)m->call_id.len,
			 (const char *)m->call_id.p, m->cseq, m->method, (int)m->via_branch.len,
			 (const char *)m->via_branch.p);
		struct xs_buf k = { 0 };
		cr_assert_eq(rules_request_key(m, &k), 0);
		cr_assert_str_eq((const char *)k.p, want, "case %zu", i);
		xs_buf_reset(&k);
		sip_msg_free(m);
	}
}
