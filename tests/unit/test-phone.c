/* SPDX-License-Identifier: MIT */
/* test-phone.c — the emulator's handler: challenge, verification, rejections, retransmissions, quirks. */
#include "harness/digest/digest.h"
#include "harness/phone/phone.h"
#include "harness/sip/sipmsg.h"
#include "harness/sip/transport.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define USER "159"
#define PASS "s3cret-Pa55"
#define REALM "xscert"
#define T0 1700000000000000ll /* now, in microseconds */
#define RURI "sip:159@127.0.0.1:5060"
#define URL_BODY "http://127.0.0.1:8080/service.xml"

static const uint8_t secret_a[PHONE_SECRET_LEN] = { 1, 2, 3 };
static const uint8_t secret_b[PHONE_SECRET_LEN] = { 9, 9, 9 };

/* Events captured for assertions. */
static struct xs_buf events;
static void on_event(void *ctx, const char *line)
{
	(void)ctx;
	xs_buf_puts(&events, line);
	xs_buf_puts(&events, "\n");
}

/* How many captured event lines contain needle, and also `and` when not NULL. */
static size_t count_events2(const char *needle, const char *and)
{
	size_t n = 0;
	const char *p = xs_buf_cstr(&events);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (memmem(p, len, needle, strlen(needle)) && (!and || memmem(p, len, and, strlen(and))))
			n++;
		p += len + (nl != NULL);
	}
	return n;
}

static size_t count_events(const char *needle)
{
	return count_events2(needle, NULL);
}

static struct phone *make_phone(const char *profile, const uint8_t *secret, const char *const *quirks)
{
	struct phone_config cfg = {
		.profile = fw_profile_find(profile),
		.user = USER, .password = PASS, .realm = REALM,
		.nonce_ttl_s = 30, .nonce_secret = secret, .rng_seed = 42,
		.on_event = on_event,
	};
	cr_assert_not_null(cfg.profile, "profile %s", profile);
	for (size_t i = 0; quirks && quirks[i]; i++)
		cr_assert_eq(phone_quirk_parse(quirks[i], &cfg.quirks), 0, "quirk %s", quirks[i]);
	struct phone *ph = NULL;
	cr_assert_eq(phone_new(&ph, &cfg), 0);
	return ph;
}

struct req {
	const char *method, *ruri, *event, *body, *auth, *branch, *call_id;
	unsigned cseq;
};

static char *build(const struct req *r)
{
	struct xs_buf b = { 0 };
	const char *body = r->body ? r->body : "";
	const char *method = r->method ? r->method : "NOTIFY";
	xs_buf_printf(&b,
		      "%s %s SIP/2.0\r\n"
		      "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=%s;rport\r\n"
		      "From: <sip:ctl@127.0.0.1>;tag=from1\r\n"
		      "To: <sip:159@127.0.0.1>\r\n"
		      "Call-ID: %s\r\n"
		      "CSeq: %u %s\r\n"
		      "Max-Forwards: 70\r\n",
		      method, r->ruri ? r->ruri : RURI, r->branch ? r->branch : "z9hG4bK-1",
		      r->call_id ? r->call_id : "call-1@test", r->cseq ? r->cseq : 1, method);
	if (r->event)
		xs_buf_printf(&b, "Event: %s\r\n", r->event);
	if (r->auth)
		xs_buf_printf(&b, "Authorization: %s\r\n", r->auth);
	xs_buf_printf(&b, "Content-Type: text/plain\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	size_t len;
	return xs_buf_steal(&b, &len);
}

static void handle_at(struct phone *ph, const struct req *r, int64_t now, struct phone_out *out)
{
	char *msg = build(r);
	struct phone_req_info info = { .tp = XS_TP_UDP, .now_us = now };
	snprintf(info.src.addr, sizeof info.src.addr, "127.0.0.1");
	info.src.port = 5070;
	cr_assert_eq(phone_handle(ph, (const uint8_t *)msg, strlen(msg), &info, out), 0);
	free(msg);
}

static struct sip_msg *parse_resp(const struct phone_out *out)
{
	struct sip_msg *m = NULL;
	cr_assert_gt(out->resp.len, 0);
	cr_assert_eq(sip_msg_parse(&m, out->resp.p, out->resp.len), 0);
	return m;
}

static struct digest_challenge get_challenge(const struct phone_out *out)
{
	struct sip_msg *m = parse_resp(out);
	struct xs_span v;
	cr_assert_eq(m->status, 401);
	cr_assert_eq(sip_msg_header(m, "WWW-Authenticate", 0, false, &v), 0);
	struct digest_challenge ch[2];
	size_t n = 0;
	struct digest_error de;
	cr_assert_eq(digest_challenge_parse(v.p, v.len, ch, 2, &n, &de), 1);
	sip_msg_free(m);
	return ch[0];
}

struct cred_opts {
	const char *user, *pass, *realm, *uri;
	uint32_t nc;
	enum digest_alg alg;
};

/* An Authorization value answering ch, with fields overridden to test rejections. */
static char *answer(const struct digest_challenge *ch0, const struct cred_opts *o, const char *body)
{
	struct digest_challenge ch = *ch0;
	if (o->realm)
		snprintf(ch.realm, sizeof ch.realm, "%s", o->realm);
	if (o->alg != DIGEST_MD5) {
		ch.algorithm = o->alg;
		ch.has_algorithm = true;
	}
	struct digest_credentials cr;
	cr_assert_eq(digest_answer(&ch, o->user ? o->user : USER, o->pass ? o->pass : PASS, "NOTIFY",
				   o->uri ? o->uri : RURI, xs_span_str(body), "0a4f113b",
				   o->nc ? o->nc : 1, &cr), 0);
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&cr, &b), 0);
	size_t len;
	return xs_buf_steal(&b, &len);
}

/* One whole exchange: NOTIFY, 401, NOTIFY with credentials; out holds the last answer. */
static struct digest_challenge exchange(struct phone *ph, const struct cred_opts *o, const char *body,
					int64_t retry_at, struct phone_out *out)
{
	struct req r = { .event = "XML-Service", .body = body, .branch = "z9hG4bK-a", .cseq = 1 };
	handle_at(ph, &r, T0, out);
	cr_assert_eq(out->status, 401);
	struct digest_challenge ch = get_challenge(out);
	phone_out_reset(out);
	char *auth = answer(&ch, o, body);
	r.auth = auth;
	r.branch = "z9hG4bK-b";
	r.cseq = 2;
	handle_at(ph, &r, retry_at, out);
	free(auth);
	return ch;
}

static void teardown(void)
{
	cr_assert_null(memmem(events.p ? (const char *)events.p : "", events.len, PASS, strlen(PASS)),
		       "the password appeared in an event");
	xs_buf_reset(&events);
}

TestSuite(phone, .fini = teardown);

Test(phone, challenges_without_credentials)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out out = { 0 };
	struct req r = { .event = "XML-Service", .body = URL_BODY };
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_CHALLENGED);
	cr_assert_eq(out.n_fetch, 0);
	struct digest_challenge ch = get_challenge(&out);
	cr_assert_str_eq(ch.realm, REALM);
	cr_assert_eq(ch.qop_mask, DIGEST_QOP_MASK(DIGEST_QOP_AUTH));
	cr_assert_eq(ch.algorithm, DIGEST_MD5);
	cr_assert_not(ch.stale);
	cr_assert_eq(strlen(ch.nonce), 54);

	struct sip_msg *m = parse_resp(&out);
	struct xs_span v;
	cr_assert_eq(sip_msg_header(m, "Via", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport"));
	cr_assert(xs_span_eq_str(m->call_id, "call-1@test"));
	cr_assert(xs_span_eq_str(m->from_tag, "from1"));
	cr_assert_eq(m->to_tag.len, 16);
	cr_assert_eq(m->cseq, 1);
	cr_assert_str_eq(m->cseq_method, "NOTIFY");
	cr_assert_eq(sip_msg_header(m, "Server", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "Cisco/SPA504G-7.6.2c"));
	sip_msg_free(m);
	cr_assert_not_null(strstr((const char *)events.p, "\"event\":\"challenge sent\""));
	phone_out_reset(&out);
	phone_free(ph);
}

Test(phone, nonces_differ_per_challenge)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out a = { 0 }, b = { 0 };
	struct req r = { .event = "XML-Service", .branch = "z9hG4bK-x" };
	handle_at(ph, &r, T0, &a);
	r.branch = "z9hG4bK-y";
	handle_at(ph, &r, T0, &b);
	struct digest_challenge ca = get_challenge(&a), cb = get_challenge(&b);
	cr_assert_str_neq(ca.nonce, cb.nonce);
	phone_out_reset(&a);
	phone_out_reset(&b);
	phone_free(ph);
}

Test(phone, accepts_right_credentials_and_fetches)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out out = { 0 };
	struct cred_opts o = { 0 };
	exchange(ph, &o, URL_BODY, T0 + 1000000, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(out.auth, PHONE_AUTH_OK);
	cr_assert_eq(out.n_fetch, 1);
	cr_assert_str_eq(out.fetch[0].url, URL_BODY);
	cr_assert_not_null(strstr((const char *)events.p, "\"event\":\"auth accepted\""));
	phone_out_reset(&out);
	phone_free(ph);
}

struct reject_case {
	const char *name;
	struct cred_opts o;
	int64_t delay_us;
	enum phone_auth want;
};

Test(phone, rejects_each_wrong_credential)
{
	static const struct reject_case cases[] = {
		{ "wrong password", { .pass = "nope" }, 0, PHONE_AUTH_WRONG_PASSWORD },
		{ "wrong user", { .user = "160" }, 0, PHONE_AUTH_WRONG_USER },
		{ "wrong realm", { .realm = "other" }, 0, PHONE_AUTH_WRONG_REALM },
		{ "uri of another phone", { .uri = "sip:160@127.0.0.1:5060" }, 0, PHONE_AUTH_URI_MISMATCH },
		{ "algorithm not offered", { .alg = DIGEST_SHA256 }, 0, PHONE_AUTH_ALGORITHM },
		{ "stale nonce", { 0 }, 31000000, PHONE_AUTH_STALE_NONCE },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
		struct phone_out out = { 0 };
		exchange(ph, &cases[i].o, URL_BODY, T0 + cases[i].delay_us, &out);
		cr_expect_eq(out.auth, cases[i].want, "%s: got %s", cases[i].name,
			     phone_auth_name(out.auth));
		cr_expect_eq(out.status, 401, "%s", cases[i].name);
		cr_expect_eq(out.n_fetch, 0, "%s", cases[i].name);
		struct digest_challenge ch = get_challenge(&out);
		cr_expect_eq(ch.stale, cases[i].want == PHONE_AUTH_STALE_NONCE, "%s stale", cases[i].name);
		char want[64];
		snprintf(want, sizeof want, "\"reason\":\"%s\"", phone_auth_name(cases[i].want));
		cr_expect_not_null(strstr((const char *)events.p, want), "%s: no event %s", cases[i].name, want);
		phone_out_reset(&out);
		phone_free(ph);
	}
}

Test(phone, rejects_nonce_from_another_run)
{
	struct phone *other = make_phone("spa504g-7.6.2", secret_b, NULL);
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out out = { 0 };
	struct req r = { .event = "XML-Service", .body = URL_BODY };
	handle_at(other, &r, T0, &out);
	struct digest_challenge ch = get_challenge(&out);
	phone_out_reset(&out);
	struct cred_opts o = { 0 };
	char *auth = answer(&ch, &o, URL_BODY);
	r.auth = auth;
	r.branch = "z9hG4bK-2";
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_FOREIGN_NONCE);
	cr_assert_eq(out.status, 401);
	/* a made-up nonce of the right shape is foreign too */
	phone_out_reset(&out);
	memset(ch.nonce, 'A', 54);
	free(auth);
	auth = answer(&ch, &o, URL_BODY);
	r.auth = auth;
	r.branch = "z9hG4bK-3";
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_FOREIGN_NONCE);
	free(auth);
	phone_out_reset(&out);
	phone_free(ph);
	phone_free(other);
}

/* The same nonce and nc in a new transaction: a replay. nc+1 is fine. */
static void replay_case(const char *const *quirks, enum phone_auth want_second)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, quirks);
	struct phone_out out = { 0 };
	struct cred_opts o = { 0 };
	struct digest_challenge ch = exchange(ph, &o, URL_BODY, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_OK);
	phone_out_reset(&out);
	char *auth = answer(&ch, &o, URL_BODY);
	struct req r = { .event = "XML-Service", .body = URL_BODY, .auth = auth, .branch = "z9hG4bK-c", .cseq = 3 };
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, want_second, "got %s", phone_auth_name(out.auth));
	free(auth);
	phone_out_reset(&out);
	o.nc = 2;
	auth = answer(&ch, &o, URL_BODY);
	r.auth = auth;
	r.branch = "z9hG4bK-d";
	r.cseq = 4;
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_OK);
	free(auth);
	phone_out_reset(&out);
	phone_free(ph);
}

Test(phone, rejects_replayed_nc)
{
	replay_case(NULL, PHONE_AUTH_REPLAYED_NC);
}

Test(phone, quirk_accept_replay)
{
	static const char *const q[] = { "accept-replay", NULL };
	replay_case(q, PHONE_AUTH_OK);
	cr_assert_not_null(strstr((const char *)events.p, "\"quirk\":\"accept-replay\""));
}

Test(phone, retransmission_same_answer_acted_on_once)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out out = { 0 }, again = { 0 };
	struct cred_opts o = { 0 };
	struct digest_challenge ch = exchange(ph, &o, URL_BODY, T0, &out);
	cr_assert_eq(out.n_fetch, 1);
	char *auth = answer(&ch, &o, URL_BODY);
	struct req r = { .event = "XML-Service", .body = URL_BODY, .auth = auth, .branch = "z9hG4bK-b", .cseq = 2 };
	handle_at(ph, &r, T0 + 500000, &again);
	cr_assert(again.retransmission);
	cr_assert_eq(again.n_fetch, 0);
	cr_assert_eq(again.status, 200);
	cr_assert_eq(again.resp.len, out.resp.len);
	cr_assert_eq(memcmp(again.resp.p, out.resp.p, out.resp.len), 0);
	/* the first 401 is answered again too, with the same nonce */
	phone_out_reset(&again);
	struct req first = { .event = "XML-Service", .body = URL_BODY, .branch = "z9hG4bK-a", .cseq = 1 };
	handle_at(ph, &first, T0 + 500000, &again);
	cr_assert(again.retransmission);
	cr_assert_str_eq(get_challenge(&again).nonce, ch.nonce);
	free(auth);
	phone_out_reset(&out);
	phone_out_reset(&again);
	phone_free(ph);
}

struct status_case {
	struct req r;
	int want;
};

Test(phone, methods_and_events)
{
	static const struct status_case cases[] = {
		{ { .method = "OPTIONS" }, 200 },
		{ { .event = "presence" }, 489 },
		{ { .event = NULL }, 489 },
		{ { .event = "resync" }, 401 },       /* spa504g-7.6.2 challenges resync */
		{ { .method = "INVITE" }, 405 },
		{ { .method = "SUBSCRIBE" }, 405 },
		{ { .method = "FROBNICATE" }, 501 },
	};
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct phone_out out = { 0 };
		struct req r = cases[i].r;
		char branch[32];
		snprintf(branch, sizeof branch, "z9hG4bK-m%zu", i);
		r.branch = branch;
		handle_at(ph, &r, T0, &out);
		cr_expect_eq(out.status, cases[i].want, "case %zu: %d", i, out.status);
		phone_out_reset(&out);
	}
	phone_free(ph);
}

Test(phone, broken_messages_dropped_or_400)
{
	static const char *const dropped[] = {
		"", "garbage", "NOTIFY sip:a SIP/2.0\r\n",            /* no blank line */
		"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\n\r\n",
		"NOTIFY sip:159@h SIP/2.0\r\nCall-ID: x\r\nCSeq: 1 NOTIFY\r\n\r\n", /* no Via */
	};
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_req_info info = { .tp = XS_TP_UDP, .now_us = T0 };
	for (size_t i = 0; i < XS_ARRAY_SIZE(dropped); i++) {
		struct phone_out out = { 0 };
		cr_assert_eq(phone_handle(ph, (const uint8_t *)dropped[i], strlen(dropped[i]), &info, &out), 0);
		cr_expect(out.dropped, "case %zu", i);
		cr_expect_eq(out.resp.len, 0, "case %zu", i);
		phone_out_reset(&out);
	}
	/* the Cisco KB sample: CSeq method INVITE on a NOTIFY, no sip: scheme in From */
	const char *kb = "NOTIFY sip:159@192.168.1.10 5060 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.168.1.2:5060;branch=z9hG4bK-kb\r\n"
			 "From: <159@192.168.1.2>;tag=1\r\nTo: <sip:159@192.168.1.10>\r\n"
			 "Call-ID: kb@1\r\nCSeq: 1 INVITE\r\nEvent: XML-Service\r\nContent-Length: 0\r\n\r\n";
	struct phone_out out = { 0 };
	cr_assert_eq(phone_handle(ph, (const uint8_t *)kb, strlen(kb), &info, &out), 0);
	cr_expect(out.dropped || out.status == 400, "KB sample: status %d", out.status);
	phone_out_reset(&out);
	phone_free(ph);
}

struct body_case {
	const char *profile, *body;
	size_t want_fetch;
	const char *want_url;
};

Test(phone, body_per_profile)
{
	static const struct body_case cases[] = {
		{ "spa504g-7.6.2", URL_BODY, 1, URL_BODY },
		{ "spa504g-7.6.2", URL_BODY "\r\n", 0, NULL }, /* trailing_newline_fails: no fetch (assumed) */
		{ "mpp-8851-11.3.7", URL_BODY "\n", 0, NULL },
		{ "spa504g-7.6.2", "<CiscoIPPhoneExecute><ExecuteItem URL=\"" URL_BODY "\"/></CiscoIPPhoneExecute>", 0, NULL },
		{ "spa504g-7.4.3", "<CiscoIPPhoneExecute><ExecuteItem Priority=\"0\" URL=\"" URL_BODY "\"/></CiscoIPPhoneExecute>", 1, URL_BODY },
		{ "mpp-8851-11.3.7", "<CiscoIPPhoneExecute><ExecuteItem URL=\"http://a/1\"/><ExecuteItem URL=\"http://a/2\"/></CiscoIPPhoneExecute>", 2, "http://a/1" },
		{ "mpp-8851-11.3.7", "<CiscoIPPhoneExecute><ExecuteItem URL=\"http://a/1\"/><ExecuteItem URL=\"http://a/2\"/>"
				     "<ExecuteItem URL=\"http://a/3\"/><ExecuteItem URL=\"http://a/4\"/></CiscoIPPhoneExecute>", 0, NULL },
		{ "mpp-8851-11.3.7", "<CiscoIPPhoneExecute><ExecuteItem Priority=\"7\" URL=\"http://a/1\"/></CiscoIPPhoneExecute>", 0, NULL },
		{ "mpp-8851-11.3.7", "<CiscoIPPhoneText><Text>hi</Text></CiscoIPPhoneText>", 0, NULL },
		{ "spa504g-7.6.2", "", 0, NULL },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct phone *ph = make_phone(cases[i].profile, secret_a, NULL);
		struct phone_out out = { 0 };
		struct cred_opts o = { 0 };
		exchange(ph, &o, cases[i].body, T0, &out);
		cr_expect_eq(out.status, 200, "case %zu", i);
		cr_expect_eq(out.n_fetch, cases[i].want_fetch, "case %zu: %zu fetches", i, out.n_fetch);
		if (cases[i].want_url && out.n_fetch)
			cr_expect_str_eq(out.fetch[0].url, cases[i].want_url, "case %zu", i);
		phone_out_reset(&out);
		phone_free(ph);
	}
}

static bool ends_assumed(const char *s)
{
	size_t n = s ? strlen(s) : 0, k = strlen("(assumed)");
	return n >= k && !strcmp(s + n - k, "(assumed)");
}

/* What the emulator does with a refused Execute body or a URL + CR/LF is no vendor's
 * word: the profile table marks it assumed, and so does the emulator's event. */
Test(phone, undocumented_refusals_marked_assumed)
{
	size_t n;
	const struct fw_profile *p = fw_profiles(&n);
	for (size_t i = 0; i < n; i++) {
		if (p[i].inline_xml.value)
			cr_expect(ends_assumed(p[i].execute_refused), "%s: %s", p[i].name,
				  p[i].execute_refused ? p[i].execute_refused : "(null)");
		if (!p[i].trailing_newline_ok.value)
			cr_expect(ends_assumed(p[i].trailing_newline_fails), "%s: %s", p[i].name,
				  p[i].trailing_newline_fails ? p[i].trailing_newline_fails : "(null)");
	}
	static const struct {
		const char *profile, *body;
	} cases[] = {
		{ "mpp-8851-11.3.7", "<CiscoIPPhoneExecute><ExecuteItem Priority=\"3\" URL=\"http://a/1\"/></CiscoIPPhoneExecute>" },
		{ "spa504g-7.6.2", URL_BODY "\r\n" },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct phone *ph = make_phone(cases[i].profile, secret_a, NULL);
		struct phone_out out = { 0 };
		struct cred_opts o = { 0 };
		exchange(ph, &o, cases[i].body, T0, &out);
		cr_expect_eq(out.status, 200, "case %zu", i);
		cr_expect_eq(out.n_fetch, 0, "case %zu", i);
		phone_out_reset(&out);
		phone_free(ph);
	}
	cr_expect_eq(count_events2("\"event\":\"body classified\"",
				   "\"action\":\"not executed: invalid CiscoIPPhoneExecute (assumed)\""), 1);
	cr_expect_eq(count_events2("\"event\":\"body classified\"",
				   "\"action\":\"not fetched: URL followed by CR/LF (assumed)\""), 1);
}

struct quirk_case {
	const char *quirk;
	struct cred_opts o;
	int64_t delay_us;
	enum phone_auth want_auth;
	int want_status;
	size_t want_fetch;
};

/* Each quirk makes the phone fail a rule: the exchange ends as the quirk says. */
Test(phone, quirks_change_the_outcome)
{
	static const struct quirk_case cases[] = {
		{ "accept-any-password", { .pass = "nope" }, 0, PHONE_AUTH_OK, 200, 1 },
		{ "ignore-stale", { 0 }, 120000000, PHONE_AUTH_OK, 200, 1 },
		{ "wrong-realm-accepted", { .realm = "other" }, 0, PHONE_AUTH_OK, 200, 1 },
		{ "no-fetch", { 0 }, 0, PHONE_AUTH_OK, 200, 0 },
		{ "fetch-twice", { 0 }, 0, PHONE_AUTH_OK, 200, 2 },
		{ "no-qop", { 0 }, 0, PHONE_AUTH_OK, 200, 1 },
		{ "static-nonce", { 0 }, 0, PHONE_AUTH_OK, 200, 1 },
		{ "delay:50", { 0 }, 0, PHONE_AUTH_OK, 200, 1 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		static const char *q[2];
		q[0] = cases[i].quirk;
		struct phone *ph = make_phone("spa504g-7.6.2", secret_a, q);
		struct phone_out out = { 0 };
		exchange(ph, &cases[i].o, URL_BODY, T0 + cases[i].delay_us, &out);
		cr_expect_eq(out.auth, cases[i].want_auth, "%s: %s", cases[i].quirk, phone_auth_name(out.auth));
		cr_expect_eq(out.status, cases[i].want_status, "%s", cases[i].quirk);
		cr_expect_eq(out.n_fetch, cases[i].want_fetch, "%s", cases[i].quirk);
		phone_out_reset(&out);
		phone_free(ph);
	}
}

Test(phone, quirk_no_auth_and_no_qop_challenge)
{
	static const char *const noauth[] = { "no-auth", NULL };
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, noauth);
	struct phone_out out = { 0 };
	struct req r = { .event = "XML-Service", .body = URL_BODY };
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(out.auth, PHONE_AUTH_SKIPPED);
	cr_assert_eq(out.n_fetch, 1);
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const noqop[] = { "no-qop", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, noqop);
	handle_at(ph, &r, T0, &out);
	struct digest_challenge ch = get_challenge(&out);
	cr_assert_eq(ch.qop_mask, 0);
	cr_assert_not(ch.has_qop);
	phone_out_reset(&out);
	phone_free(ph);
}

Test(phone, quirk_static_nonce_repeats)
{
	static const char *const q[] = { "static-nonce", NULL };
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, q);
	struct phone_out a = { 0 }, b = { 0 };
	struct req r = { .event = "XML-Service", .branch = "z9hG4bK-x" };
	handle_at(ph, &r, T0, &a);
	r.branch = "z9hG4bK-y";
	handle_at(ph, &r, T0 + 5000000, &b);
	cr_assert_str_eq(get_challenge(&a).nonce, get_challenge(&b).nonce);
	phone_out_reset(&a);
	phone_out_reset(&b);
	phone_free(ph);
}

Test(phone, quirk_drop_delay_bad_via)
{
	static const char *const drop[] = { "drop:100", NULL };
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, drop);
	struct phone_out out = { 0 };
	struct req r = { .method = "OPTIONS" };
	handle_at(ph, &r, T0, &out);
	cr_assert(out.dropped);
	cr_assert_eq(out.resp.len, 0);
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const delay[] = { "delay:250", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, delay);
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(out.delay_ms, 250);
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const badvia[] = { "bad-via", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, badvia);
	handle_at(ph, &r, T0, &out);
	struct sip_msg *m = parse_resp(&out);
	cr_assert(!xs_span_eq_str(m->via_branch, "z9hG4bK-1"));
	sip_msg_free(m);
	phone_out_reset(&out);
	phone_free(ph);
}

Test(phone, quirk_hang_on_substring)
{
	static const char *const q[] = { "hang-on:BOOM", NULL };
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, q);
	struct phone_out out = { 0 };
	struct cred_opts o = { 0 };
	exchange(ph, &o, "http://127.0.0.1/BOOM", T0, &out);
	cr_assert(out.dropped);
	cr_assert_eq(out.resp.len, 0);
	phone_out_reset(&out);
	struct req r = { .method = "OPTIONS", .branch = "z9hG4bK-after" };
	handle_at(ph, &r, T0, &out);
	cr_assert(out.dropped, "a hung phone answers nothing");
	phone_out_reset(&out);
	phone_free(ph);
}

struct quirk_spec {
	const char *spec;
	int want;
};

Test(phone, quirk_parse)
{
	static const struct quirk_spec cases[] = {
		{ "no-auth", 0 }, { "static-nonce", 0 }, { "no-qop", 0 }, { "accept-any-password", 0 },
		{ "accept-replay", 0 }, { "ignore-stale", 0 }, { "wrong-realm-accepted", 0 },
		{ "no-fetch", 0 }, { "fetch-twice", 0 }, { "drop:0", 0 }, { "drop:100", 0 },
		{ "delay:10", 0 }, { "bad-via", 0 }, { "hang-on:x", 0 }, { "bad-challenge", 0 },
		{ "bad-algorithm", 0 }, { "reject-all", 0 }, { "wrong-url", 0 }, { "no-retx-cache", 0 },
		{ "drop", -EINVAL }, { "drop:101", -EINVAL }, { "drop:-1", -EINVAL }, { "drop:1x", -EINVAL },
		{ "delay:", -EINVAL }, { "delay:60001", -EINVAL }, { "no-auth:1", -EINVAL },
		{ "hang-on:", -EINVAL }, { "bogus", -EINVAL }, { "", -EINVAL },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct phone_quirks q = { 0 };
		cr_expect_eq(phone_quirk_parse(cases[i].spec, &q), cases[i].want, "%s", cases[i].spec);
	}
}

struct frame_case {
	const char *in;
	int want;
	size_t skip, len;
};

Test(phone, transport_framing)
{
	static const struct frame_case cases[] = {
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabcXYZ", 1, 0, 47 },
		{ "\r\n\r\nOPTIONS sip:a SIP/2.0\r\nl: 0\r\n\r\n", 1, 4, 31 },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 10\r\n\r\nabc", 0, 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 1", 0, 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n", -EBADMSG, 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", -EBADMSG, 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n", -E2BIG, 0, 0 },
		{ "OPTIONS sip:a SIP/2.0\r\n\r\n", 1, 0, 25 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		size_t skip = 99, len = 99;
		int r = sip_frame((const uint8_t *)cases[i].in, strlen(cases[i].in), &skip, &len);
		cr_expect_eq(r, cases[i].want, "case %zu: %d", i, r);
		if (r == 1) {
			cr_expect_eq(skip, cases[i].skip, "case %zu skip", i);
			cr_expect_eq(len, cases[i].len, "case %zu len %zu", i, len);
		}
	}
}

struct frame_why_case {
	const char *in;
	int want;
	enum sip_frame_err code;
	const char *text;
};

/* Each way a stream cannot be framed has its own reason, with its numbers. */
Test(phone, transport_framing_reasons)
{
	static const struct frame_why_case cases[] = {
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\nabc", 1, SIP_FRAME_OK, "framed" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 3\r\n\r\na", 0, SIP_FRAME_OK, "framed" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 0000000000003\r\n\r\nabc", 1, SIP_FRAME_OK, "framed" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n", -E2BIG,
		  SIP_FRAME_LENGTH_OVER_CAP, "Content-Length over the cap (99999999 > 65535)" },
		{ "\r\nOPTIONS sip:a SIP/2.0\r\nl: 65536\r\n\r\n", -E2BIG,
		  SIP_FRAME_LENGTH_OVER_CAP, "Content-Length over the cap (65536 > 65535)" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 000123456789012345678901234567890\r\n\r\n", -E2BIG,
		  SIP_FRAME_LENGTH_OVER_CAP, "Content-Length over the cap (a 30-digit number > 65535)" },
		{ "OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", -EBADMSG,
		  SIP_FRAME_LENGTH_CONFLICT, "two different Content-Lengths (1 and 2)" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab", 1,
		  SIP_FRAME_OK, "framed" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: x\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"x\")" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: -1\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"-1\")" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length:\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"\")" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 1 2\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"1 2\")" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 12abcdefghijklmnopqrstuvwxyz\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"12abcdefghijklmn...\")" },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: \x01\"\xff\r\n\r\n", -EBADMSG,
		  SIP_FRAME_LENGTH_NOT_NUMBER, "Content-Length is not a number (\"???\")" },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		size_t skip, len;
		struct sip_frame_error e;
		memset(&e, 0x5a, sizeof e);
		int r = sip_frame_why((const uint8_t *)cases[i].in, strlen(cases[i].in), &skip, &len, &e);
		cr_expect_eq(r, cases[i].want, "case %zu: %d", i, r);
		cr_expect_eq(e.code, cases[i].code, "case %zu: code %d", i, e.code);
		char text[128];
		cr_assert_eq(sip_frame_error_format(&e, text, sizeof text), 0);
		cr_expect_str_eq(text, cases[i].text, "case %zu", i);
		/* the plain form agrees */
		cr_expect_eq(sip_frame((const uint8_t *)cases[i].in, strlen(cases[i].in), &skip, &len),
			     cases[i].want, "case %zu: sip_frame", i);
	}

	/* a header block over the cap without a blank line: whole lines, or one endless line */
	for (int whole = 0; whole < 2; whole++) {
		size_t n = SIP_MAX_MSG + 1;
		char *big = malloc(n);
		cr_assert_not_null(big);
		memset(big, 'a', n);
		memcpy(big, "OPTIONS sip:a SIP/2.0\r\nX: ", 26);
		for (size_t k = 100; whole && k + 1 < n; k += 100)
			memcpy(big + k - 1, "\r\n", 2);
		size_t skip, len;
		struct sip_frame_error e;
		cr_expect_eq(sip_frame_why((const uint8_t *)big, n, &skip, &len, &e), -E2BIG);
		cr_expect_eq(e.code, SIP_FRAME_HEADER_OVER_CAP);
		cr_expect_gt(e.value, SIP_MAX_MSG);
		char text[128], want[128];
		sip_frame_error_format(&e, text, sizeof text);
		snprintf(want, sizeof want, "header block over the cap without a blank line (%llu > %u bytes)",
			 (unsigned long long)e.value, SIP_MAX_MSG);
		cr_expect_str_eq(text, want);
		/* one byte less may still become a message */
		cr_expect_eq(sip_frame_why((const uint8_t *)big, n - 1, &skip, &len, &e), 0);
		cr_expect_eq(e.code, SIP_FRAME_OK);
		free(big);
	}

	/* a body within its cap that, with the header block, is over the message cap */
	const char *hdr = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 65535\r\n\r\n";
	size_t skip, len;
	struct sip_frame_error e;
	cr_expect_eq(sip_frame_why((const uint8_t *)hdr, strlen(hdr), &skip, &len, &e), -E2BIG);
	cr_expect_eq(e.code, SIP_FRAME_MESSAGE_OVER_CAP);
	char text[128], want[128];
	sip_frame_error_format(&e, text, sizeof text);
	snprintf(want, sizeof want, "message over the cap (header block and Content-Length: %zu > 65535 bytes)",
		 strlen(hdr) + 65535);
	cr_expect_str_eq(text, want);

	/* the result never overflows what it is given; misuse is -EINVAL */
	e = (struct sip_frame_error){ .code = SIP_FRAME_LENGTH_OVER_CAP, .value = 99999999, .limit = 65535 };
	char tiny[8];
	cr_expect_eq(sip_frame_error_format(&e, tiny, sizeof tiny), 0);
	cr_expect_str_eq(tiny, "Content");
	cr_expect_eq(sip_frame_error_format(NULL, tiny, sizeof tiny), -EINVAL);
	cr_expect_eq(sip_frame_error_format(&e, tiny, 0), -EINVAL);
	cr_expect_str_eq(sip_frame_err_name(SIP_FRAME_ERR_COUNT), "?");
	cr_expect_eq(sip_frame_why((const uint8_t *)hdr, strlen(hdr), &skip, &len, NULL), -E2BIG);
}

/* Every table the phone keeps is bounded: a nonce pushed out of the nc table reads as
 * stale (a fresh challenge follows), never as valid for a replay. */
Test(phone, nonce_table_bounded)
{
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, NULL);
	struct phone_out out = { 0 };
	struct req r = { .event = "XML-Service", .body = URL_BODY, .branch = "z9hG4bK-first" };
	handle_at(ph, &r, T0, &out);
	struct digest_challenge first = get_challenge(&out);
	phone_out_reset(&out);
	for (unsigned i = 0; i < PHONE_NONCE_TABLE + 10; i++) {
		char branch[32], cid[32];
		snprintf(branch, sizeof branch, "z9hG4bK-n%u", i);
		snprintf(cid, sizeof cid, "c%u", i);
		struct req q = { .event = "XML-Service", .branch = branch, .call_id = cid };
		handle_at(ph, &q, T0, &out);
		phone_out_reset(&out);
	}
	struct cred_opts o = { 0 };
	char *auth = answer(&first, &o, URL_BODY);
	r.auth = auth;
	r.branch = "z9hG4bK-late";
	r.cseq = 2;
	handle_at(ph, &r, T0, &out);
	cr_assert_eq(out.auth, PHONE_AUTH_STALE_NONCE, "got %s", phone_auth_name(out.auth));
	cr_assert(get_challenge(&out).stale);
	free(auth);
	phone_out_reset(&out);
	phone_free(ph);
}

/* ---- the transport, over loopback ---- */

#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

struct got {
	unsigned n;
	size_t last_len;
	enum xs_transport tp;
	struct sip_tp_peer peer;
};

static void on_msg(void *ctx, const struct sip_tp_peer *from, const uint8_t *buf, size_t len)
{
	struct got *g = ctx;
	(void)buf;
	g->n++;
	g->last_len = len;
	g->tp = from->tp;
	g->peer = *from;
}

static int tcp_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static void pump(struct sip_tp *tp, struct got *g, int rounds)
{
	for (int i = 0; i < rounds; i++)
		sip_tp_poll(tp, 20, on_msg, g);
}

#define OPT "OPTIONS sip:159@127.0.0.1 SIP/2.0\r\nContent-Length: 4\r\n\r\nbody"

Test(phone, transport_tcp_framing_and_caps)
{
	struct sip_tp *tp = NULL;
	struct sip_tp_config cfg = { .addr = "127.0.0.1", .udp = true, .tcp = true, .max_conns = 8 };
	cr_assert_eq(sip_tp_new(&tp, &cfg), 0);
	struct xs_endpoint ep, ep2;
	cr_assert_eq(sip_tp_local(tp, XS_TP_TCP, &ep), 0);
	cr_assert_eq(sip_tp_local(tp, XS_TP_UDP, &ep2), 0);
	cr_assert_eq(ep.port, ep2.port);
	struct got g = { 0 };

	/* one message in three pieces, then two in one write */
	int fd = tcp_connect(ep.port);
	const char *m = OPT;
	cr_assert_eq(write(fd, m, 10), 10);
	pump(tp, &g, 3);
	cr_assert_eq(g.n, 0);
	cr_assert_eq(write(fd, m + 10, 30), 30);
	pump(tp, &g, 3);
	cr_assert_eq(write(fd, m + 40, strlen(m) - 40), (ssize_t)(strlen(m) - 40));
	pump(tp, &g, 3);
	cr_assert_eq(g.n, 1);
	cr_assert_eq(g.last_len, strlen(m));
	cr_assert_eq(g.tp, XS_TP_TCP);
	char two[512];
	snprintf(two, sizeof two, "\r\n\r\n%s%s", m, m);
	cr_assert_eq(write(fd, two, strlen(two)), (ssize_t)strlen(two));
	pump(tp, &g, 3);
	cr_assert_eq(g.n, 3);
	/* an answer goes back on the connection */
	cr_assert_eq(sip_tp_send(tp, &g.peer, (const uint8_t *)"SIP/2.0 200 OK\r\n\r\n", 18), 0);
	char buf[64];
	cr_assert_eq(read(fd, buf, sizeof buf), 18);

	/* a declared body over the cap closes the connection */
	const char *huge = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 9999999\r\n\r\n";
	cr_assert_eq(write(fd, huge, strlen(huge)), (ssize_t)strlen(huge));
	pump(tp, &g, 3);
	cr_assert_eq(read(fd, buf, sizeof buf), 0, "connection closed");
	close(fd);
	pump(tp, &g, 2);
	cr_assert_eq(sip_tp_conn_count(tp), 0);

	/* more connections than the cap: the oldest idle one goes, new ones are served */
	int fds[12];
	for (int i = 0; i < 12; i++) {
		fds[i] = tcp_connect(ep.port);
		cr_assert_eq(write(fds[i], "NOTIFY", 6), 6);
		pump(tp, &g, 2);
	}
	cr_assert_leq(sip_tp_conn_count(tp), 8);
	unsigned before = g.n;
	cr_assert_eq(write(fds[11], m + 6, strlen(m) - 6), (ssize_t)(strlen(m) - 6));
	cr_assert_eq(write(fds[11], "", 0), 0);
	int late = tcp_connect(ep.port);
	cr_assert_eq(write(late, m, strlen(m)), (ssize_t)strlen(m));
	pump(tp, &g, 5);
	cr_assert_geq(g.n, before + 1);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
	close(late);
	sip_tp_free(tp);
}

Test(phone, transport_idle_timeout_and_port_in_use)
{
	struct sip_tp *tp = NULL, *tp2 = NULL;
	struct sip_tp_config cfg = { .addr = "127.0.0.1", .udp = true, .tcp = true, .idle_ms = 100 };
	cr_assert_eq(sip_tp_new(&tp, &cfg), 0);
	struct xs_endpoint ep;
	cr_assert_eq(sip_tp_local(tp, XS_TP_TCP, &ep), 0);
	struct got g = { 0 };
	int fd = tcp_connect(ep.port);
	cr_assert_eq(write(fd, "NOT", 3), 3);
	pump(tp, &g, 2);
	cr_assert_eq(sip_tp_conn_count(tp), 1);
	usleep(400000);
	pump(tp, &g, 2);
	cr_assert_eq(sip_tp_conn_count(tp), 0, "idle connection closed");
	close(fd);

	struct sip_tp_config again = { .addr = "127.0.0.1", .port = ep.port, .udp = true, .tcp = true };
	cr_assert_eq(sip_tp_new(&tp2, &again), -EADDRINUSE);
	struct sip_tp_config bad = { .addr = "not-an-address", .udp = true };
	cr_assert_eq(sip_tp_new(&tp2, &bad), -EINVAL);
	sip_tp_free(tp);
}

/* What the transport said before it closed a connection. */
struct drops {
	unsigned n;
	struct sip_frame_error last;
	size_t buffered;
	enum xs_transport tp;
};

static void on_drop(void *ctx, const struct sip_tp_peer *from, const struct sip_frame_error *why,
		    size_t buffered)
{
	struct drops *d = ctx;
	d->n++;
	d->last = *why;
	d->buffered = buffered;
	d->tp = from->tp;
}

/* Write all of buf (the transport reads while we write), pumping between pieces. */
static void write_pumped(int fd, struct sip_tp *tp, struct got *g, const char *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(fd, buf + off, XS_MIN(len - off, (size_t)16384), MSG_NOSIGNAL);
		if (n <= 0)
			break; /* closed under us: what was sent is enough */
		off += (size_t)n;
		pump(tp, g, 1);
	}
	pump(tp, g, 3);
}

/* Framing errors close the connection and say why; a clean close or UDP says nothing. */
Test(phone, transport_reports_framing_errors)
{
	struct drops d = { 0 };
	struct sip_tp *tp = NULL;
	struct sip_tp_config cfg = { .addr = "127.0.0.1", .udp = true, .tcp = true,
				     .on_drop = on_drop, .drop_ctx = &d };
	cr_assert_eq(sip_tp_new(&tp, &cfg), 0);
	struct xs_endpoint ep;
	cr_assert_eq(sip_tp_local(tp, XS_TP_TCP, &ep), 0);
	struct got g = { 0 };
	static const struct {
		const char *in;
		enum sip_frame_err code;
	} cases[] = {
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: 9999999\r\n\r\n", SIP_FRAME_LENGTH_OVER_CAP },
		{ "OPTIONS sip:a SIP/2.0\r\nl: 1\r\nContent-Length: 2\r\n\r\nab", SIP_FRAME_LENGTH_CONFLICT },
		{ "OPTIONS sip:a SIP/2.0\r\nContent-Length: ten\r\n\r\n", SIP_FRAME_LENGTH_NOT_NUMBER },
		{ OPT "OPTIONS sip:a SIP/2.0\r\nContent-Length: 1x\r\n\r\n", SIP_FRAME_LENGTH_NOT_NUMBER },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		unsigned before = d.n;
		int fd = tcp_connect(ep.port);
		write_pumped(fd, tp, &g, cases[i].in, strlen(cases[i].in));
		char buf[64];
		cr_assert_eq(read(fd, buf, sizeof buf), 0, "case %zu: connection closed", i);
		cr_assert_eq(d.n, before + 1, "case %zu: reported once", i);
		cr_assert_eq(d.last.code, cases[i].code, "case %zu: code %d", i, d.last.code);
		cr_assert_eq(d.tp, XS_TP_TCP);
		close(fd);
	}
	/* the whole message before the bad one was delivered; only the rest was discarded */
	cr_assert_eq(g.n, 1);
	cr_assert_eq(d.buffered, strlen("OPTIONS sip:a SIP/2.0\r\nContent-Length: 1x\r\n\r\n"));

	/* a header block over the cap, sent without a blank line */
	size_t n = SIP_MAX_MSG + 100;
	char *big = malloc(n);
	cr_assert_not_null(big);
	memset(big, 'a', n);
	memcpy(big, "OPTIONS sip:a SIP/2.0\r\nX: ", 26);
	int fd = tcp_connect(ep.port);
	write_pumped(fd, tp, &g, big, n);
	free(big);
	cr_assert_eq(d.last.code, SIP_FRAME_HEADER_OVER_CAP, "code %d", d.last.code);
	cr_assert_gt(d.last.value, SIP_MAX_MSG);
	close(fd);

	/* not errors: a clean close mid-message, a bad datagram (UDP is not stream-framed) */
	unsigned before = d.n;
	fd = tcp_connect(ep.port);
	write_pumped(fd, tp, &g, "OPTIONS sip:a SIP/2.0\r\n", 23);
	close(fd);
	pump(tp, &g, 3);
	int u = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(ep.port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	const char *bad = cases[0].in;
	cr_assert_eq(sendto(u, bad, strlen(bad), 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)strlen(bad));
	pump(tp, &g, 3);
	close(u);
	cr_assert_eq(d.n, before);
	cr_assert_eq(sip_tp_conn_count(tp), 0);
	sip_tp_free(tp);
}

#include <pthread.h>

struct served {
	struct phone_server *srv;
	volatile sig_atomic_t stop;
};

static void *serve(void *arg)
{
	struct served *s = arg;
	phone_server_run(s->srv, &s->stop);
	return NULL;
}

/* The server turns the transport's reason into a "message dropped" event. */
Test(phone, server_reports_tcp_framing_errors)
{
	struct phone_server_config cfg = {
		.phone = { .profile = fw_profile_find("spa504g-7.6.2"), .user = USER, .password = PASS,
			   .realm = REALM, .nonce_secret = secret_a, .rng_seed = 42, .on_event = on_event },
		.tp = { .addr = "127.0.0.1", .tcp = true },
		.fetch_timeout_ms = 200,
	};
	struct served s = { 0 };
	cr_assert_eq(phone_server_new(&s.srv, &cfg), 0);
	struct xs_endpoint ep;
	cr_assert_eq(phone_server_local(s.srv, XS_TP_TCP, &ep), 0);
	pthread_t th;
	cr_assert_eq(pthread_create(&th, NULL, serve, &s), 0);
	int fd = tcp_connect(ep.port);
	const char *huge = "OPTIONS sip:a SIP/2.0\r\nContent-Length: 99999999\r\n\r\n";
	cr_assert_eq(write(fd, huge, strlen(huge)), (ssize_t)strlen(huge));
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	char buf[64];
	cr_assert_eq(read(fd, buf, sizeof buf), 0, "connection closed");
	close(fd);
	s.stop = 1;
	pthread_join(th, NULL);
	phone_server_free(s.srv);
	cr_assert_eq(count_events2("\"event\":\"message dropped\"",
				   "\"reason\":\"Content-Length over the cap (99999999 > 65535)\""), 1,
		     "%s", xs_buf_cstr(&events));
	cr_assert_eq(count_events2("\"transport\":\"tcp\"", "\"connection\":\"closed\""), 1);
	cr_assert_eq(count_events2("\"src\":\"127.0.0.1:", "\"bytes\":51"), 1);
}

#include "harness/phone/phone-int.h"
#include <openssl/evp.h>
#include <openssl/hmac.h>

/* The pre-keyed MAC is HMAC-SHA256 (RFC 2104), checked against OpenSSL's one-shot HMAC. */
Test(phone, mac_is_hmac_sha256)
{
	uint8_t key[PHONE_SECRET_LEN];
	for (size_t i = 0; i < sizeof key; i++)
		key[i] = (uint8_t)(i * 7 + 1);
	static const char *const msgs[] = { "", "abc", "a longer message that spans more than one block of sixty-four bytes......" };
	struct phone_mac m;
	cr_assert_eq(phone_mac_init(&m, key), 0);
	for (size_t i = 0; i < XS_ARRAY_SIZE(msgs); i++) {
		uint8_t want[32], got[32];
		unsigned n = 0;
		HMAC(EVP_sha256(), key, sizeof key, (const uint8_t *)msgs[i], strlen(msgs[i]), want, &n);
		phone_mac(&m, msgs[i], strlen(msgs[i]), got, sizeof got);
		cr_expect_eq(memcmp(want, got, 32), 0, "message %zu", i);
	}
	phone_mac_free(&m);
}

/* The quirks beyond the list, one per phone rule that had none. */
Test(phone, quirks_for_every_phone_rule)
{
	struct phone_out out = { 0 };
	struct req r = { .event = "XML-Service", .body = URL_BODY };
	struct xs_span v;

	static const char *const badch[] = { "bad-challenge", NULL };
	struct phone *ph = make_phone("spa504g-7.6.2", secret_a, badch);
	handle_at(ph, &r, T0, &out);
	struct sip_msg *m = parse_resp(&out);
	cr_assert_eq(sip_msg_header(m, "WWW-Authenticate", 0, false, &v), 0);
	cr_assert_null(memmem(v.p, v.len, "nonce", 5), "XS-CHAL-02: no nonce");
	sip_msg_free(m);
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const badalg[] = { "bad-algorithm", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, badalg);
	handle_at(ph, &r, T0, &out);
	m = parse_resp(&out);
	cr_assert_eq(sip_msg_header(m, "WWW-Authenticate", 0, false, &v), 0);
	cr_assert_not_null(memmem(v.p, v.len, "algorithm=XS-HASH-1", 19), "XS-CHAL-04");
	sip_msg_free(m);
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const rej[] = { "reject-all", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, rej);
	struct cred_opts o = { 0 };
	exchange(ph, &o, URL_BODY, T0, &out);
	cr_assert_eq(out.status, 401, "XS-AUTH-01");
	phone_out_reset(&out);
	phone_free(ph);

	static const char *const wrong[] = { "wrong-url", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, wrong);
	exchange(ph, &o, URL_BODY, T0, &out);
	cr_assert_eq(out.n_fetch, 1);
	cr_assert_str_eq(out.fetch[0].url, URL_BODY "xscert-wrong", "XS-FETCH-02");
	phone_out_reset(&out);
	phone_free(ph);

	/* XS-SIP-02: the retransmitted authenticated NOTIFY is handled again: its nc replays */
	static const char *const noretx[] = { "no-retx-cache", NULL };
	ph = make_phone("spa504g-7.6.2", secret_a, noretx);
	struct digest_challenge ch = exchange(ph, &o, URL_BODY, T0, &out);
	cr_assert_eq(out.status, 200);
	cr_assert_eq(count_events("\"quirk\":\"no-retx-cache\""), 0, "no copy yet: no effect");
	phone_out_reset(&out);
	char *auth = answer(&ch, &o, URL_BODY);
	struct req again = { .event = "XML-Service", .body = URL_BODY, .auth = auth, .branch = "z9hG4bK-b", .cseq = 2 };
	handle_at(ph, &again, T0, &out);
	cr_assert_not(out.retransmission);
	cr_assert_eq(out.status, 401);
	/* it took effect on the copy of CSeq 2 the cache would have answered, and says so */
	cr_assert_eq(count_events("\"quirk\":\"no-retx-cache\""), 1);
	cr_assert_eq(count_events2("\"event\":\"quirk applied\"", "\"quirk\":\"no-retx-cache\""), 1);
	cr_assert_eq(count_events2("\"cseq\":2", "\"quirk\":\"no-retx-cache\""), 1);
	free(auth);
	phone_out_reset(&out);
	phone_free(ph);
}
