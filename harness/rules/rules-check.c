/* SPDX-License-Identifier: MIT */
/* rules-check.c — one function per rule of the catalogue, each judging one exchange. */
#include "rules-int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Add the finding (evidence as collected, NULL or empty: none) and release the evidence buffer. */
static int verdict(struct rules_eval *e, const struct rule_info *ri, enum xs_verdict v,
		   struct xs_buf *ev, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int verdict(struct rules_eval *e, const struct rule_info *ri, enum xs_verdict v,
		   struct xs_buf *ev, const char *fmt, ...)
{
	if (e->ex->terse) {
		if (ev)
			xs_buf_reset(ev);
		return xs_exchange_add_bare_finding(e->ex, ri->id, v, ri->subject);
	}
	struct xs_buf d = { 0 };
	va_list ap;
	va_start(ap, fmt);
	int r = xs_buf_vprintf(&d, fmt, ap);
	va_end(ap);
	const char *evs = ev && ev->len && !ev->oom ? xs_buf_cstr(ev) : NULL;
	if (r == 0)
		r = xs_exchange_add_finding(e->ex, ri->id, v, ri->subject, evs, "%s", xs_buf_cstr(&d));
	xs_buf_reset(&d);
	if (ev)
		xs_buf_reset(ev);
	return r;
}

#define SKIP(...) return verdict(e, ri, XS_SKIP, NULL, __VA_ARGS__)

static bool is_event(const struct sip_msg *m, const char *const *names)
{
	for (; *names; names++)
		if (xs_span_caseeq_str(m->event, *names))
			return true;
	return false;
}

static const char *const ev_xml_service[] = { "xml-service", NULL };
/* Events the phones challenge the same way (reference/cisco-xml-service.md). */
static const char *const ev_resync[] = { "resync", "reboot_now", "restart_now", "reboot",
					 "report", "restart", NULL };

static const char *status_text(const struct sip_msg *m, char *buf, size_t size)
{
	sip_msg_summary(m, buf, size);
	return buf;
}

static bool wrong_intent(enum xs_auth_intent i)
{
	return i == XS_AUTH_WRONG_PASSWORD || i == XS_AUTH_WRONG_USER ||
	       i == XS_AUTH_WRONG_REALM || i == XS_AUTH_WRONG_URI;
}

/*
 * Did xscert itself send intent i on purpose (XS_AUTH_UNKNOWN: any wrong
 * credentials)? Only a live run (a scenario) means its errors; in a capture
 * an inferred wrong intent is the sender's fault and the sender rules judge it.
 */
static bool deliberate(const struct rules_eval *e, enum xs_auth_intent i)
{
	if (!e->ex->scenario)
		return false;
	return i == XS_AUTH_UNKNOWN ? wrong_intent(e->ex->intent) : e->ex->intent == i;
}

/* HTTP requests in the fetch window, their evidence appended to ev. */
static size_t fetches(const struct rules_eval *e, struct xs_buf *ev)
{
	size_t n = 0;
	for (size_t i = 0; i < e->ex->n_http; i++)
		if (rules_http_in_window(e, i)) {
			n++;
			if (ev)
				rules_ev_http(ev, e, i);
		}
	return n;
}

/* ---- the challenge ---- */

RULE_FN(rule_chal_01)
{
	if (!e->notify)
		SKIP("no NOTIFY in the exchange");
	if (rules_has_auth(e->notify))
		SKIP("the first NOTIFY already carried credentials");
	if (!is_event(e->notify, ev_xml_service)) {
		if (!is_event(e->notify, ev_resync))
			SKIP("not an XML-Service NOTIFY");
		if (!e->profile || !e->profile->challenge_resync.value)
			SKIP("the profile does not say this event is challenged");
	}
	const struct sip_msg *r = rules_final_for(e->ex, e->notify);
	if (!r)
		SKIP("no final answer to the NOTIFY");
	struct xs_buf ev = { 0 };
	char st[96];
	rules_ev_msg(&ev, e, e->notify);
	rules_ev_msg(&ev, e, r);
	if (rules_is_2xx(r))
		return verdict(e, ri, XS_FAIL, &ev, "a NOTIFY without credentials was answered %s",
			       status_text(r, st, sizeof st));
	if (r->status == 401)
		return verdict(e, ri, XS_PASS, &ev, "answered 401 Unauthorized");
	return verdict(e, ri, XS_WARN, &ev, "answered %s instead of 401",
		       status_text(r, st, sizeof st));
}

static int challenge_unreadable(struct rules_eval *e, const struct rule_info *ri)
{
	if (!e->challenge)
		SKIP("no 401/407 challenge");
	SKIP("the challenge is unreadable (see XS-CHAL-02)");
}

RULE_FN(rule_chal_02)
{
	if (!e->challenge)
		SKIP("no 401/407 challenge");
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->challenge);
	if (e->ch_err == -ENOENT)
		return verdict(e, ri, XS_FAIL, &ev, "the %d carries no Digest challenge",
			       e->challenge->status);
	if (e->ch_err == -EBADMSG) {
		char why[160];
		digest_error_format(&e->ch_perr, why, sizeof why);
		if (e->ch_perr.code == DIGEST_PERR_ALGORITHM) {
			xs_buf_reset(&ev);
			SKIP("unknown algorithm: judged by XS-CHAL-04");
		}
		return verdict(e, ri, XS_FAIL, &ev, "malformed Digest challenge: %s", why);
	}
	const struct digest_challenge *c = &e->ch[e->ch_pick];
	if (!c->nonce[0])
		return verdict(e, ri, XS_FAIL, &ev, "the challenge has an empty nonce");
	if (!c->realm[0])
		return verdict(e, ri, XS_WARN, &ev, "the challenge has an empty realm");
	return verdict(e, ri, XS_PASS, &ev, "Digest challenge with realm \"%s\" and a %zu-character nonce",
		       c->realm, strlen(c->nonce));
}

RULE_FN(rule_chal_03)
{
	if (e->ch_err)
		return challenge_unreadable(e, ri);
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->challenge);
	bool any_qop = false;
	for (size_t i = 0; i < e->n_ch; i++) {
		if (e->ch[i].qop_mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH))
			return verdict(e, ri, XS_PASS, &ev, "qop offers auth");
		any_qop |= e->ch[i].has_qop;
	}
	if (!any_qop)
		return verdict(e, ri, XS_FAIL, &ev,
			       "no qop offered (RFC 2069 mode: no cnonce, no nc, no replay protection)");
	return verdict(e, ri, XS_FAIL, &ev, "qop is offered but does not include auth");
}

RULE_FN(rule_chal_04)
{
	if (!e->challenge)
		SKIP("no 401/407 challenge");
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->challenge);
	if (e->ch_err == -EBADMSG && e->ch_perr.code == DIGEST_PERR_ALGORITHM)
		return verdict(e, ri, XS_FAIL, &ev, "the challenge names an algorithm no RFC defines");
	if (e->ch_err) {
		xs_buf_reset(&ev);
		return challenge_unreadable(e, ri);
	}
	const struct digest_challenge *c = &e->ch[e->ch_pick];
	if (e->ch_unknown_alg)
		return verdict(e, ri, XS_WARN, &ev,
			       "algorithm %s, but another challenge names an algorithm no RFC "
			       "defines (passed over, RFC 7616 §3.7)", digest_alg_name(c->algorithm));
	return verdict(e, ri, XS_PASS, &ev, "algorithm %s%s", digest_alg_name(c->algorithm),
		       c->has_algorithm ? "" : " (absent: MD5)");
}

/* Two nonces that read as numbers a small step apart (a counter or a clock). */
static bool sequential(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (!la || la > 16 || lb > 16 || la != lb)
		return false;
	char *ea, *eb;
	unsigned long long x = strtoull(a, &ea, 16), y = strtoull(b, &eb, 16);
	if (*ea || *eb || a[0] == '-' || b[0] == '-' || a[0] == '+' || b[0] == '+')
		return false;
	unsigned long long d = x > y ? x - y : y - x;
	return d > 0 && d <= 65536;
}

static size_t distinct_chars(const char *s)
{
	bool seen[256] = { false };
	size_t n = 0;
	for (; *s; s++)
		if (!seen[(uint8_t)*s]) {
			seen[(uint8_t)*s] = true;
			n++;
		}
	return n;
}

RULE_FN(rule_chal_05)
{
	if (e->ch_err)
		return challenge_unreadable(e, ri);
	const char *nonce = e->ch[e->ch_pick].nonce;
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->challenge);
	const struct rules_nonce *n = rules_nonce_find(e->c, nonce);
	const char *key = n && n->challenge_key ? rules_challenge_key_in(e, e->challenge) : NULL;
	bool reused = key && strcmp(n->challenge_key, key);
	bool used_before = n && !n->challenge_key && n->nc_seen;
	if (reused)
		return verdict(e, ri, XS_FAIL, &ev, "nonce \"%s\" was already issued in an earlier challenge", nonce);
	if (used_before)
		return verdict(e, ri, XS_FAIL, &ev, "nonce \"%s\" was already used before this challenge", nonce);
	const char *prev = e->c->prev_challenge_nonce.p;
	if (prev && sequential(prev, nonce))
		return verdict(e, ri, XS_FAIL, &ev, "nonce \"%s\" follows the previous one \"%s\" (a counter or clock)",
			       nonce, prev);
	if (strlen(nonce) < 16 || distinct_chars(nonce) < 6)
		return verdict(e, ri, XS_WARN, &ev, "nonce \"%s\" is short or of low variety", nonce);
	return verdict(e, ri, XS_PASS, &ev, "fresh nonce of %zu characters", strlen(nonce));
}

/* ---- the phone's answer to the authenticated retry ---- */

/* Shared preconditions of AUTH-01..04: a retry and its final answer. */
static int need_retry(struct rules_eval *e, const struct rule_info *ri, struct xs_buf *ev)
{
	if (!e->retry)
		SKIP("no authenticated retry");
	if (!e->final)
		SKIP("no final answer to the authenticated retry");
	rules_ev_msg(ev, e, e->retry);
	rules_ev_msg(ev, e, e->final);
	return 1;
}

RULE_FN(rule_auth_01)
{
	if (e->intent == XS_AUTH_UNKNOWN)
		SKIP("intent unknown and no known password to tell");
	if (e->intent != XS_AUTH_CORRECT)
		SKIP("the retry was not meant to be correct (intent %s)", xs_auth_intent_name(e->intent));
	if (e->cr_err == 0 && e->cred && e->cr_check != DIGEST_VALID)
		SKIP("the retry's credentials are not right for the known password (%s; see XS-DIG-01)",
		     digest_check_name(e->cr_check));
	struct xs_buf ev = { 0 };
	int r = need_retry(e, ri, &ev);
	if (r <= 0)
		return r;
	char st[96];
	if (rules_is_2xx(e->final))
		return verdict(e, ri, XS_PASS, &ev, "correct credentials accepted (%d)", e->final->status);
	return verdict(e, ri, XS_FAIL, &ev, "correct credentials answered %s",
		       status_text(e->final, st, sizeof st));
}

/* The retry should have been rejected: 2xx fails, any other final answer passes. */
static int expect_rejected(struct rules_eval *e, const struct rule_info *ri, const char *what)
{
	struct xs_buf ev = { 0 };
	int r = need_retry(e, ri, &ev);
	if (r <= 0)
		return r;
	if (rules_is_2xx(e->final))
		return verdict(e, ri, XS_FAIL, &ev, "%s was accepted (%d)", what, e->final->status);
	return verdict(e, ri, XS_PASS, &ev, "%s was rejected with %d", what, e->final->status);
}

RULE_FN(rule_auth_02)
{
	if (!wrong_intent(e->intent))
		SKIP("no wrong credentials sent (intent %s)", xs_auth_intent_name(e->intent));
	char what[64] = "";
	if (!e->ex->terse) /* only the detail says it */
		snprintf(what, sizeof what, "a retry with a %s", xs_auth_intent_name(e->intent) + 6);
	return expect_rejected(e, ri, what);
}

RULE_FN(rule_auth_03)
{
	bool replay = e->intent == XS_AUTH_REPLAY;
	if (!replay && e->retry && e->cr_err == 0 && e->cr.nc[0]) {
		const struct rules_nonce *n = rules_nonce_find(e->c, e->cr.nonce);
		replay = n && n->accepted && e->cr.nc_value <= n->accepted_nc;
	}
	if (!replay)
		SKIP("no replayed Authorization");
	char what[64] = "";
	if (!e->ex->terse) /* only the detail says it */
		snprintf(what, sizeof what, "a replayed Authorization (nonce and nc %s reused)",
			 e->cr_err == 0 && e->cr.nc[0] ? e->cr.nc : "-");
	return expect_rejected(e, ri, what);
}

/* Does response m carry a Digest challenge with stale=true? */
static bool has_stale(const struct sip_msg *m)
{
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t n = 0;
	struct xs_span v;
	for (unsigned i = 0; sip_msg_header_id(m, SIP_HDR_WWW_AUTHENTICATE, i, false, &v) == 0; i++)
		if (digest_challenge_parse(v.p, v.len, ch, DIGEST_MAX_CHALLENGES, &n, NULL) < 0)
			break;
	for (size_t i = 0; i < n; i++)
		if (ch[i].stale)
			return true;
	return false;
}

RULE_FN(rule_auth_04)
{
	if (e->intent != XS_AUTH_STALE)
		SKIP("no expired nonce sent");
	struct xs_buf ev = { 0 };
	int r = need_retry(e, ri, &ev);
	if (r <= 0)
		return r;
	char st[96];
	if (rules_is_2xx(e->final))
		return verdict(e, ri, XS_FAIL, &ev, "an expired nonce was accepted (%d)", e->final->status);
	if (e->final->status != 401)
		return verdict(e, ri, XS_FAIL, &ev, "an expired nonce was answered %s, not 401",
			       status_text(e->final, st, sizeof st));
	if (!has_stale(e->final))
		return verdict(e, ri, XS_FAIL, &ev, "401 without stale=true for an expired nonce");
	return verdict(e, ri, XS_PASS, &ev, "401 with stale=true");
}

/* ---- the sender's digest ---- */

/* The request carrying the credentials. */
static const struct sip_msg *cred_msg(const struct rules_eval *e)
{
	return e->retry ? e->retry : e->notify;
}

RULE_FN(rule_dig_01)
{
	if (e->cr_err == -ENOENT)
		SKIP("no Authorization in the exchange");
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, cred_msg(e));
	if (e->cr_err) {
		char why[160];
		digest_error_format(&e->cr_perr, why, sizeof why);
		return verdict(e, ri, XS_FAIL, &ev, "malformed Authorization: %s", why);
	}
	if (deliberate(e, XS_AUTH_UNKNOWN)) {
		xs_buf_reset(&ev);
		SKIP("credentials deliberately wrong (intent %s)", xs_auth_intent_name(e->ex->intent));
	}
	if (!e->cred) {
		xs_buf_reset(&ev);
		SKIP("no password known for user \"%s\" in realm \"%s\"", e->cr.username, e->cr.realm);
	}
	if (e->cr_check == DIGEST_VALID)
		return verdict(e, ri, XS_PASS, &ev, "response right for the known password (%s%s%s)",
			       digest_alg_name(e->cr.algorithm), e->cr.qop ? ", qop " : "",
			       digest_qop_name(e->cr.qop));
	return verdict(e, ri, XS_FAIL, &ev, "digest check failed for the known password: %s",
		       digest_check_name(e->cr_check));
}

RULE_FN(rule_dig_02)
{
	if (e->cr_err == -ENOENT)
		SKIP("no Authorization in the exchange");
	if (e->cr_err)
		SKIP("the Authorization is unreadable (see XS-DIG-01)");
	if (deliberate(e, XS_AUTH_WRONG_URI))
		SKIP("digest-uri deliberately wrong (intent wrong-uri)");
	const struct sip_msg *m = cred_msg(e);
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, m);
	if (xs_span_eq_str(m->ruri, e->cr.uri))
		return verdict(e, ri, XS_PASS, &ev, "digest-uri equals the Request-URI");
	return verdict(e, ri, XS_FAIL, &ev, "digest-uri \"%s\" differs from the Request-URI \"%.*s\"",
		       e->cr.uri, (int)m->ruri.len, (const char *)m->ruri.p);
}

RULE_FN(rule_dig_03)
{
	if (e->cr_err == -ENOENT)
		SKIP("no Authorization in the exchange");
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, cred_msg(e));
	if (e->cr_err) {
		enum digest_perr pc = e->cr_perr.code;
		bool about_nc = pc == DIGEST_PERR_NC ||
				(pc == DIGEST_PERR_QOP && (!strcmp(e->cr_perr.param, "nc") ||
							   !strcmp(e->cr_perr.param, "cnonce"))) ||
				(pc == DIGEST_PERR_MISSING && !strcmp(e->cr_perr.param, "cnonce"));
		if (!about_nc) {
			xs_buf_reset(&ev);
			SKIP("the Authorization is unreadable (see XS-DIG-01)");
		}
		char why[160];
		digest_error_format(&e->cr_perr, why, sizeof why);
		return verdict(e, ri, XS_FAIL, &ev, "%s", why);
	}
	if (e->cr.qop == DIGEST_QOP_NONE) {
		if (e->ch_err == 0 && e->ch[e->ch_pick].has_qop && e->ch[e->ch_pick].qop_mask) {
			rules_ev_msg(&ev, e, e->challenge);
			return verdict(e, ri, XS_FAIL, &ev, "the challenge offered qop but the retry has none");
		}
		xs_buf_reset(&ev);
		SKIP("no qop: nc and cnonce are not used");
	}
	if (e->cr.nc_value == 0)
		return verdict(e, ri, XS_FAIL, &ev, "nc is 00000000 (counting starts at 1)");
	if (!e->cr.cnonce[0])
		return verdict(e, ri, XS_FAIL, &ev, "empty cnonce");
	if (deliberate(e, XS_AUTH_REPLAY))
		return verdict(e, ri, XS_PASS, &ev, "nc and cnonce well-formed (nc reused deliberately: replay)");
	const struct rules_nonce *n = rules_nonce_find(e->c, e->cr.nonce);
	if (n && n->nc_seen && e->cr.nc_value <= n->last_nc)
		return verdict(e, ri, XS_FAIL, &ev, "nc %s did not grow (%08x already used with this nonce)",
			       e->cr.nc, n->last_nc);
	return verdict(e, ri, XS_PASS, &ev, "nc %s and a %zu-character cnonce", e->cr.nc,
		       strlen(e->cr.cnonce));
}

RULE_FN(rule_dig_04)
{
	if (!e->notify || !e->retry)
		SKIP("no authenticated retry");
	if (e->notify == e->retry)
		SKIP("the first NOTIFY carried the credentials: no retry to compare");
	const struct sip_msg *a = e->notify, *b = e->retry;
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, a);
	rules_ev_msg(&ev, e, b);
	if (!xs_span_eq(a->call_id, b->call_id))
		return verdict(e, ri, XS_FAIL, &ev, "the retry changed the Call-ID");
	if (!xs_span_eq(a->from_tag, b->from_tag))
		return verdict(e, ri, XS_FAIL, &ev, "the retry changed the From tag");
	if (b->cseq <= a->cseq)
		return verdict(e, ri, XS_FAIL, &ev, "CSeq did not increase (%u then %u)", a->cseq, b->cseq);
	if (a->via_branch.len && xs_span_eq(a->via_branch, b->via_branch))
		return verdict(e, ri, XS_FAIL, &ev,
			       "the retry reuses the Via branch (a new request needs a new transaction)");
	return verdict(e, ri, XS_PASS, &ev, "same Call-ID and From tag, CSeq %u then %u", a->cseq, b->cseq);
}

/* ---- the body ---- */

RULE_FN(rule_body_01)
{
	struct xs_buf ev = { 0 };
	size_t n = 0, missing = 0;
	const struct sip_msg *bad = NULL, *tcp_missing = NULL;
	for (size_t i = 0; i < e->ex->n_msgs; i++) {
		const struct sip_msg *m = e->ex->msgs[i];
		if (!m->is_request || strcmp(m->method, "NOTIFY"))
			continue;
		n++;
		if (m->content_length < 0) {
			missing++;
			if (m->tp == XS_TP_TCP && !tcp_missing)
				tcp_missing = m;
		} else if ((size_t)m->content_length != m->body_len && !bad) {
			bad = m;
		}
	}
	if (!n)
		SKIP("no NOTIFY in the exchange");
	if (bad) {
		rules_ev_msg(&ev, e, bad);
		return verdict(e, ri, XS_FAIL, &ev, "Content-Length %ld but the body is %zu bytes",
			       bad->content_length, bad->body_len);
	}
	if (tcp_missing) {
		rules_ev_msg(&ev, e, tcp_missing);
		return verdict(e, ri, XS_FAIL, &ev, "no Content-Length over TCP");
	}
	if (missing)
		return verdict(e, ri, XS_WARN, NULL, "%zu NOTIFY without Content-Length (UDP)", missing);
	return verdict(e, ri, XS_PASS, NULL, "Content-Length matches the body in %zu NOTIFY", n);
}

/* Common preconditions of the body rules: a push whose body was examined. */
static int need_body(struct rules_eval *e, const struct rule_info *ri)
{
	if (e->body_err == -ENOENT)
		SKIP("no NOTIFY in the exchange");
	if (e->body_err < 0)
		return verdict(e, ri, XS_ERROR, NULL, "body not examined: %s", xs_strerror(e->body_err));
	return 1;
}

static bool is_xml_kind(enum xmlsvc_kind k)
{
	return k == XMLSVC_EXECUTE || k == XMLSVC_OTHER_XML;
}

/* Names of the problems in mask, "; "-joined, into out. */
static const char *problem_list(unsigned mask, char *out, size_t size)
{
	size_t pos = 0;
	out[0] = '\0';
	for (int p = 1; p < XMLSVC_PROBLEM_COUNT; p++)
		if (mask & (1u << p)) {
			int w = snprintf(out + pos, size - pos, "%s%s", pos ? "; " : "",
					 xmlsvc_problem_name((enum xmlsvc_problem)p));
			if (w < 0 || (size_t)w >= size - pos)
				break;
			pos += (size_t)w;
		}
	return out;
}

#define URL_SHAPE_PROBLEMS                                                                   \
	((1u << XMLSVC_P_WHITESPACE) | (1u << XMLSVC_P_NOT_HTTP) | (1u << XMLSVC_P_BAD_URL) | \
	 (1u << XMLSVC_P_BAD_CHAR) | (1u << XMLSVC_P_URL_TOO_LONG))

RULE_FN(rule_body_02)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (e->body.kind != XMLSVC_URL)
		SKIP("not a URL body (%s)", xmlsvc_kind_name(e->body.kind));
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->push);
	if (xmlsvc_has(&e->body, XMLSVC_P_TRAILING_NEWLINE))
		return verdict(e, ri, XS_FAIL, &ev, "the URL is followed by %zu CR/LF byte(s)",
			       e->body.trailing_crlf);
	return verdict(e, ri, XS_PASS, &ev, "the URL is the last byte of the body");
}

RULE_FN(rule_body_03)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (is_xml_kind(e->body.kind))
		SKIP("inline XML body (see XS-BODY-05)");
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->push);
	if (e->body.kind != XMLSVC_URL)
		return verdict(e, ri, XS_FAIL, &ev, "the body is %s: neither a URL nor XML",
			       xmlsvc_kind_name(e->body.kind));
	unsigned bad = e->body.problems & URL_SHAPE_PROBLEMS;
	char list[256];
	if (bad)
		return verdict(e, ri, XS_FAIL, &ev, "%s", problem_list(bad, list, sizeof list));
	return verdict(e, ri, XS_PASS, &ev, "one absolute URL: %s", e->body.url);
}

RULE_FN(rule_body_04)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->push);
	if (!is_xml_kind(e->body.kind))
		return verdict(e, ri, XS_PASS, &ev, "no inline XML (%s body)", xmlsvc_kind_name(e->body.kind));
	if (!e->profile) {
		xs_buf_reset(&ev);
		SKIP("inline XML, but the firmware is unknown (no expected or identified profile)");
	}
	const struct fw_profile *p = e->profile;
	if (p->url_body.value && !p->inline_xml.value)
		return verdict(e, ri, XS_FAIL, &ev, "inline XML sent to %s, which accepts only URL bodies",
			       p->name);
	return verdict(e, ri, XS_PASS, &ev, "inline XML is accepted by %s%s", p->name,
		       p->inline_xml.assumed ? " (assumed)" : "");
}

#define EXECUTE_PROBLEMS                                                                    \
	((1u << XMLSVC_P_XML_MALFORMED) | (1u << XMLSVC_P_XML_DTD) |                        \
	 (1u << XMLSVC_P_NOT_EXECUTE) | (1u << XMLSVC_P_NO_ITEMS) |                         \
	 (1u << XMLSVC_P_TOO_MANY_ITEMS) | (1u << XMLSVC_P_BAD_PRIORITY) |                  \
	 (1u << XMLSVC_P_NO_URL) | (1u << XMLSVC_P_UNKNOWN_ELEMENT))

RULE_FN(rule_body_05)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (!is_xml_kind(e->body.kind))
		SKIP("not an XML body (%s)", xmlsvc_kind_name(e->body.kind));
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->push);
	unsigned bad = e->body.problems & EXECUTE_PROBLEMS;
	char list[256];
	if (bad)
		return verdict(e, ri, XS_FAIL, &ev, "%s", problem_list(bad, list, sizeof list));
	return verdict(e, ri, XS_PASS, &ev, "valid CiscoIPPhoneExecute with %zu ExecuteItem(s)",
		       e->body.n_items);
}

/* ---- the fetch ---- */

/* Is a fetch of the pushed URL expected? 1 yes; otherwise a skip was added (0) or error. */
static int fetch_expected(struct rules_eval *e, const struct rule_info *ri)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (e->body.kind != XMLSVC_URL)
		SKIP("not a URL body (%s)", xmlsvc_kind_name(e->body.kind));
	if (!e->final)
		SKIP("no final answer to the push");
	if (!rules_is_2xx(e->final))
		SKIP("the push was not accepted (%d)", e->final->status);
	if (e->body.problems & URL_SHAPE_PROBLEMS)
		SKIP("the URL body is invalid (see XS-BODY-03)");
	if (e->profile && !e->profile->url_body.value)
		SKIP("%s does not take URL bodies (see XS-FW-02)", e->profile->name);
	if (xmlsvc_has(&e->body, XMLSVC_P_TRAILING_NEWLINE)) {
		if (!e->profile)
			SKIP("trailing CR/LF and the firmware is unknown: no fetch is expected or excluded");
		if (!e->profile->trailing_newline_ok.value)
			SKIP("no fetch expected: trailing CR/LF on %s (see XS-FW-02)", e->profile->name);
	}
	return 1;
}

RULE_FN(rule_fetch_01)
{
	int r = fetch_expected(e, ri);
	if (r <= 0)
		return r;
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->final);
	size_t n = fetches(e, &ev);
	if (!n)
		return verdict(e, ri, XS_FAIL, &ev, "no HTTP request within %lld ms of the %d",
			       (long long)(e->ex->fetch_window_us / 1000), e->final->status);
	return verdict(e, ri, XS_PASS, &ev, "fetched within the window (%zu request%s)", n,
		       n == 1 ? "" : "s");
}

RULE_FN(rule_fetch_02)
{
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (e->body.kind != XMLSVC_URL)
		SKIP("not a URL body (%s)", xmlsvc_kind_name(e->body.kind));
	if (!fetches(e, NULL))
		SKIP("no fetch to compare");
	struct xs_buf ev = { 0 };
	for (size_t i = 0; i < e->ex->n_http; i++) {
		const struct xs_http_req *h = &e->ex->http[i];
		if (!rules_http_in_window(e, i))
			continue;
		const char *got = h->url ? h->url : (h->target ? h->target : "");
		if (!xmlsvc_url_equal(got, e->body.url)) {
			rules_ev_msg(&ev, e, e->push);
			rules_ev_http(&ev, e, i);
			return verdict(e, ri, XS_FAIL, &ev, "fetched \"%s\", pushed \"%s\"", got, e->body.url);
		}
		rules_ev_http(&ev, e, i);
	}
	return verdict(e, ri, XS_PASS, &ev, "fetched exactly the pushed URL");
}

/* ---- firmware ---- */

RULE_FN(rule_fw_01)
{
	struct xs_buf ev = { 0 };
	if (e->expected_unknown)
		return verdict(e, ri, XS_ERROR, NULL, "no profile named \"%s\"", e->ex->expected_profile);
	if (!e->has_ident) {
		if (e->expected)
			return verdict(e, ri, XS_FAIL, NULL,
				       "no Server or User-Agent identifies the phone (expected %s)",
				       e->expected->name);
		SKIP("the phone did not identify itself and no profile is expected");
	}
	rules_ev_msg(&ev, e, e->ident_msg);
	const struct fw_profile *p = fw_profile_for(&e->ident);
	char id[96] = "";
	if (!e->ex->terse) /* only the detail says it */
		fw_ident_format(&e->ident, id, sizeof id);
	if (!e->expected)
		return verdict(e, ri, XS_PASS, &ev, "identified as %s, profile %s", id, p ? p->name : "none");
	if (p != e->expected)
		return verdict(e, ri, XS_FAIL, &ev, "identifies as %s (profile %s), expected %s", id,
			       p ? p->name : "none", e->expected->name);
	return verdict(e, ri, XS_PASS, &ev, "identified as %s, matching %s", id, e->expected->name);
}

/* A mismatch with the matrix: fail when documented, warn when the entry is assumed. */
static int mismatch(struct rules_eval *e, const struct rule_info *ri, struct fw_behaviour b,
		    struct xs_buf *ev, const char *what)
{
	return verdict(e, ri, b.assumed ? XS_WARN : XS_FAIL, ev, "%s, unlike %s%s", what,
		       e->profile->name, b.assumed ? " (assumed behaviour)" : "");
}

RULE_FN(rule_fw_02)
{
	if (!e->profile)
		SKIP("no expected or identified profile");
	int r = need_body(e, ri);
	if (r <= 0)
		return r;
	if (!e->final)
		SKIP("no final answer to the push");
	/* The matrix says what a phone does with a push it accepts; a push it was
	 * right to refuse (no or wrong credentials) says nothing about firmware. */
	if (e->final->status == 401 || e->final->status == 407)
		SKIP("the push was not authenticated (the final answer is a challenge)");
	if (e->ex->intent >= XS_AUTH_WRONG_PASSWORD)
		SKIP("the retry was meant to be refused (%s)", xs_auth_intent_name(e->ex->intent));
	const struct fw_profile *p = e->profile;
	struct xs_buf ev = { 0 };
	rules_ev_msg(&ev, e, e->push);
	rules_ev_msg(&ev, e, e->final);
	size_t fetched = fetches(e, &ev);
	bool ok2xx = rules_is_2xx(e->final);
	const struct xmlsvc_report *b = &e->body;

	if (b->kind == XMLSVC_URL) {
		if (b->problems & URL_SHAPE_PROBLEMS) {
			xs_buf_reset(&ev);
			SKIP("the URL body is invalid (see XS-BODY-03)");
		}
		if (xmlsvc_has(b, XMLSVC_P_TRAILING_NEWLINE)) {
			struct fw_behaviour t = p->trailing_newline_ok;
			if (!t.value && fetched)
				return mismatch(e, ri, t, &ev, "fetched a URL followed by CR/LF");
			if (t.value && !fetched)
				return mismatch(e, ri, t, &ev, "no fetch of a URL followed by CR/LF");
			return verdict(e, ri, XS_PASS, &ev, "%s after a URL with trailing CR/LF, as %s",
				       fetched ? "fetched" : "no fetch", p->name);
		}
		struct fw_behaviour u = p->url_body;
		if (u.value && !ok2xx)
			return mismatch(e, ri, u, &ev, "rejected a valid URL body");
		if (!u.value && fetched)
			return mismatch(e, ri, u, &ev, "fetched a URL body");
		return verdict(e, ri, XS_PASS, &ev, "URL body handled as %s says", p->name);
	}
	if (is_xml_kind(b->kind)) {
		struct fw_behaviour x = p->inline_xml;
		if (!x.value) {
			if (fetched)
				return mismatch(e, ri, x, &ev, "acted on inline XML (fetched)");
			return verdict(e, ri, XS_PASS, &ev, "did not act on inline XML, as %s", p->name);
		}
		if (b->problems & EXECUTE_PROBLEMS) {
			xs_buf_reset(&ev);
			SKIP("the XML body is invalid (see XS-BODY-05)");
		}
		if (!ok2xx)
			return mismatch(e, ri, x, &ev, "rejected a valid CiscoIPPhoneExecute body");
		return verdict(e, ri, XS_PASS, &ev, "accepted CiscoIPPhoneExecute, as %s", p->name);
	}
	xs_buf_reset(&ev);
	SKIP("neither a URL nor an XML body");
}

/* ---- SIP ---- */

/* The protocol and sent-by of a Via value, without its parameters. */
static struct xs_span via_sent_by(struct xs_span v)
{
	size_t i = 0;
	while (i < v.len && v.p[i] != ';')
		i++;
	return xs_span_trim(xs_span(v.p, i));
}

/* Vias compared from one pass over each message; past these, one lookup each. */
#define RULES_MAX_VIAS 16

/* The same Via lines, byte for byte: their items are the same too (the common case, so
 * the items need not be split). */
static bool vias_identical(const struct sip_msg *r, const struct sip_msg *q)
{
	for (unsigned i = 0;; i++) {
		struct xs_span a, b;
		int x = sip_msg_header_id(r, SIP_HDR_VIA, i, false, &a), y = sip_msg_header_id(q, SIP_HDR_VIA, i, false, &b);
		if (x < 0 || y < 0)
			return x < 0 && y < 0;
		if (!xs_span_eq(a, b))
			return false;
	}
}

/* Why r's Vias do not mirror q's (the top one by its sent-by: it may gain received/rport,
 * RFC 3261 §18.2.1, RFC 3581); NULL when they do. */
static const char *via_problem(const struct sip_msg *r, const struct sip_msg *q)
{
	if (vias_identical(r, q))
		return NULL;
	struct xs_span va[RULES_MAX_VIAS], vb[RULES_MAX_VIAS];
	size_t na = sip_msg_header_items(r, "Via", va, RULES_MAX_VIAS);
	size_t nb = sip_msg_header_items(q, "Via", vb, RULES_MAX_VIAS);
	for (size_t i = 0; i < XS_MIN(na, nb); i++) {
		struct xs_span a, b;
		if (i < RULES_MAX_VIAS) {
			a = va[i];
			b = vb[i];
		} else if (sip_msg_header_id(r, SIP_HDR_VIA, (unsigned)i, true, &a) < 0 ||
			   sip_msg_header_id(q, SIP_HDR_VIA, (unsigned)i, true, &b) < 0) {
			break;
		}
		if (i == 0 ? !xs_span_eq(via_sent_by(a), via_sent_by(b)) : !xs_span_eq(a, b))
			return "Via not mirrored";
	}
	return na != nb ? "Via count not mirrored" : NULL;
}

/* Why response r does not mirror request q; NULL when it does. */
static const char *mirror_problem(const struct sip_msg *r, const struct sip_msg *q)
{
	if (!xs_span_eq(r->from_tag, q->from_tag))
		return "From tag not mirrored";
	if (!xs_span_eq(r->via_branch, q->via_branch))
		return "top Via branch not mirrored";
	const char *why = via_problem(r, q);
	if (why)
		return why;
	if (r->status > 100 && !r->to_tag.len)
		return "no To tag (RFC 3261 §8.2.6.2)";
	return NULL;
}

RULE_FN(rule_sip_01)
{
	struct xs_buf ev = { 0 };
	size_t n = 0;
	for (size_t i = 0; i < e->ex->n_msgs; i++) {
		const struct sip_msg *r = e->ex->msgs[i];
		if (r->is_request)
			continue;
		n++;
		const struct sip_msg *q = NULL;
		for (size_t k = 0; k < i; k++)
			if (rules_answers(r, e->ex->msgs[k]))
				q = e->ex->msgs[k];
		const char *why = !sip_msg_osip_accepts(r) ? "libosip2 refuses it"
			: !q		   ? "answers no request of the exchange (Call-ID/CSeq not mirrored)"
					   : mirror_problem(r, q);
		if (why) {
			rules_ev_msg(&ev, e, r);
			char st[96];
			return verdict(e, ri, XS_FAIL, &ev, "%s: %s", status_text(r, st, sizeof st), why);
		}
		rules_ev_msg(&ev, e, r);
	}
	if (!n)
		SKIP("no response in the exchange");
	return verdict(e, ri, XS_PASS, &ev, "%zu response%s well-formed and mirroring Via, Call-ID, CSeq",
		       n, n == 1 ? "" : "s");
}

static bool same_request(const struct sip_msg *a, const struct sip_msg *b)
{
	return a->is_request && b->is_request && !strcmp(a->method, b->method) &&
	       a->cseq == b->cseq && xs_span_eq(a->call_id, b->call_id) &&
	       xs_span_eq(a->via_branch, b->via_branch);
}

/* Final responses answering q: all the same status and To tag? First two that differ in *x, *y. */
static bool answers_agree(const struct xs_exchange *ex, const struct sip_msg *q,
			  const struct sip_msg **x, const struct sip_msg **y)
{
	const struct sip_msg *first = NULL;
	for (size_t i = 0; i < ex->n_msgs; i++) {
		const struct sip_msg *r = ex->msgs[i];
		if (r->status < 200 || !rules_answers(r, q))
			continue;
		if (!first) {
			first = r;
		} else if (r->status != first->status || !xs_span_eq(r->to_tag, first->to_tag)) {
			*x = first;
			*y = r;
			return false;
		}
	}
	return true;
}

RULE_FN(rule_sip_02)
{
	struct xs_buf ev = { 0 };
	size_t retrans = 0;
	const struct xs_exchange *ex = e->ex;
	for (size_t i = 0; i < ex->n_msgs; i++) {
		const struct sip_msg *q = ex->msgs[i];
		if (!q->is_request || strcmp(q->method, "NOTIFY"))
			continue;
		bool again = false;
		for (size_t k = 0; k < i && !again; k++)
			again = same_request(ex->msgs[k], q);
		if (again) {
			retrans++;
			rules_ev_msg(&ev, e, q);
			const struct sip_msg *x, *y;
			if (!answers_agree(ex, q, &x, &y)) {
				rules_ev_msg(&ev, e, x);
				rules_ev_msg(&ev, e, y);
				return verdict(e, ri, XS_FAIL, &ev, "a retransmission was answered %d, then %d",
					       x->status, y->status);
			}
			continue;
		}
		/* a request already answered in an earlier exchange */
		const struct rules_request *old = rules_request_of(e, q);
		if (e->scratch.oom) {
			xs_buf_reset(&ev);
			return -ENOMEM;
		}
		if (!old || (ex->id && old->exchange && !strcmp(old->exchange, ex->id)))
			continue;
		retrans++;
		rules_ev_msg(&ev, e, q);
		const struct sip_msg *fin = rules_final_for(ex, q);
		if (fin && old->status && fin->status != old->status) {
			rules_ev_msg(&ev, e, fin);
			return verdict(e, ri, XS_FAIL, &ev,
				       "a retransmission was answered %d in exchange %s, then %d",
				       old->status, old->exchange, fin->status);
		}
	}
	if (!retrans)
		SKIP("no retransmitted NOTIFY");
	size_t n = 0;
	if (e->body_err == 0 && e->body.kind == XMLSVC_URL)
		for (size_t i = 0; i < ex->n_http; i++)
			if (rules_http_in_window(e, i) && ex->http[i].url &&
			    xmlsvc_url_equal(ex->http[i].url, e->body.url))
				n++;
	if (n > 1)
		return verdict(e, ri, XS_FAIL, &ev, "the pushed URL was fetched %zu times", n);
	return verdict(e, ri, XS_PASS, &ev, "%zu retransmission%s answered the same, acted on once",
		       retrans, retrans == 1 ? "" : "s");
}
