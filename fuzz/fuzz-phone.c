/* SPDX-License-Identifier: MIT */
/* fuzz-phone.c — the emulator's request handler fed a scripted sequence of datagrams, past the 401. */
/*
 * Input (a TLV script, like curl-fuzzer's):
 *   byte 0   profile (index into fw_profiles, modulo their number)
 *   byte 1   quirks: one bit each for static-nonce, no-qop, accept-replay,
 *            ignore-stale, no-auth, fetch-twice, bad-via, wrong-realm-accepted
 *   then records, each: type (1 byte), length (2 bytes, big-endian), value
 *     type % 6 == 0  UDP     value is one datagram, handled as is
 *                1  TCP     value is one framed message over TCP
 *                2  AUTH    value is a request; an Authorization header computed
 *                           from the last challenge the handler sent (method and
 *                           URI from the request line, body for auth-int) goes in
 *                           after the request line, so the body is reached
 *                3  CLOCK   advance the clock by the value's first 2 bytes, seconds
 *                           (nonces go stale after PHONE_NONCE_TTL_S)
 *                4  REPEAT  the previous message again (retransmission, replay)
 *                5  REAUTH  like AUTH but reusing the previous nc (a replayed nc)
 * The handler runs with a fixed nonce secret and a fixed random stream, so a
 * script replays identically. Every response it produces must parse as a SIP
 * response with the status it reported.
 * FUZZ_PHONE_TRACE=1 in the environment prints one line per message handled
 * (status and auth outcome) to stderr: for checking seeds, never while fuzzing.
 */
#include "fuzz.h"
#include "harness/digest/digest.h"
#include "harness/firmware/firmware.h"
#include "harness/phone/phone.h"
#include "harness/sip/sipmsg.h"

#include <stdio.h>
#include <string.h>

#define FUZZ_PHONE_MAX_INPUT   (64u * 1024u)
#define FUZZ_PHONE_MAX_RECORDS 64u

enum { REC_UDP, REC_TCP, REC_AUTH, REC_CLOCK, REC_REPEAT, REC_REAUTH, REC_COUNT };

static const char user[] = "159", password[] = "fuzz-secret", realm[] = "xscert-fuzz";
static const uint8_t secret[PHONE_SECRET_LEN] = "xscert fixed fuzz nonce secret!";
static const enum phone_quirk quirk_bits[8] = {
	PHONE_Q_STATIC_NONCE, PHONE_Q_NO_QOP, PHONE_Q_ACCEPT_REPLAY, PHONE_Q_IGNORE_STALE,
	PHONE_Q_NO_AUTH, PHONE_Q_FETCH_TWICE, PHONE_Q_BAD_VIA, PHONE_Q_WRONG_REALM_ACCEPTED,
};

static int trace = -1; /* FUZZ_PHONE_TRACE, read once */

struct script {
	struct phone *ph;
	struct phone_req_info info;
	struct digest_challenge ch;   /* the last challenge answered by the handler */
	bool have_ch;
	uint32_t nc;
	struct xs_buf last;           /* the previous message sent */
};

/* Remember the challenge of a 401/407 (the first Digest one the codec reads). */
static void keep_challenge(struct script *s, const struct sip_msg *m)
{
	const char *name = m->status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	struct digest_error err;
	struct xs_span v;
	size_t n = 0;
	int pick;

	for (unsigned i = 0; i < DIGEST_MAX_CHALLENGES && sip_msg_header(m, name, i, false, &v) == 0; i++)
		digest_challenge_parse(v.p, v.len, ch, XS_ARRAY_SIZE(ch), &n, &err);
	pick = digest_challenge_pick(ch, n);
	if (pick >= 0) {
		s->ch = ch[pick];
		s->have_ch = true;
	}
}

static void deliver(struct script *s, const uint8_t *buf, size_t len, enum xs_transport tp)
{
	struct phone_out out;
	struct sip_msg *m = NULL;
	int rc;

	memset(&out, 0, sizeof out);
	s->info.tp = tp;
	rc = phone_handle(s->ph, buf, len, &s->info, &out);
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM);
	FUZZ_ASSERT(out.n_fetch <= PHONE_MAX_FETCH);
	FUZZ_ASSERT(out.auth < PHONE_AUTH_COUNT);
	if (out.resp.len) {
		rc = sip_msg_parse(&m, out.resp.p, out.resp.len);
		FUZZ_ASSERT(rc == 0 || rc == -ENOMEM);
		if (m) {
			FUZZ_ASSERT(!m->is_request && m->status == out.status);
			if (m->status == 401 || m->status == 407)
				keep_challenge(s, m);
			sip_msg_free(m);
		}
	}
	for (size_t i = 0; i < out.n_fetch; i++)
		FUZZ_ASSERT(out.fetch[i].url != NULL);
	if (trace)
		fprintf(stderr, "fuzz-phone: %zu bytes -> status %d, auth %s, %zu fetch(es)%s\n", len,
			out.status, phone_auth_name(out.auth), out.n_fetch,
			out.dropped ? ", dropped" : "");
	phone_out_reset(&out);
	if (buf != s->last.p) {
		xs_buf_reset(&s->last);
		xs_buf_append(&s->last, buf, len);
	}
}

/* The request with an Authorization for the last challenge inserted after its first line. */
static void deliver_auth(struct script *s, struct xs_span req, bool replay_nc)
{
	struct digest_credentials cr;
	struct xs_buf val = { 0 }, msg = { 0 };
	char method[32], uri[DIGEST_MAX_URI];
	const uint8_t *eol = req.len ? memchr(req.p, '\n', req.len) : NULL;
	const uint8_t *sp1, *sp2, *body;
	size_t head;

	if (!s->have_ch || !eol)
		goto plain;
	head = (size_t)(eol - req.p) + 1;
	sp1 = memchr(req.p, ' ', head);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', head - (size_t)(sp1 + 1 - req.p)) : NULL;
	if (!sp2 || (size_t)(sp1 - req.p) >= sizeof method || (size_t)(sp2 - sp1 - 1) >= sizeof uri)
		goto plain;
	memcpy(method, req.p, (size_t)(sp1 - req.p));
	method[sp1 - req.p] = '\0';
	memcpy(uri, sp1 + 1, (size_t)(sp2 - sp1 - 1));
	uri[sp2 - sp1 - 1] = '\0';
	body = memmem(req.p, req.len, "\r\n\r\n", 4);
	body = body ? body + 4 : req.p + req.len;
	if (!replay_nc || s->nc == 0)
		s->nc++;
	if (digest_answer(&s->ch, user, password, method, uri,
			  xs_span(body, req.len - (size_t)(body - req.p)), "0a4f113b", s->nc, &cr) < 0 ||
	    digest_credentials_format(&cr, &val) < 0)
		goto plain;
	xs_buf_append(&msg, req.p, head);
	xs_buf_puts(&msg, "Authorization: ");
	xs_buf_append(&msg, val.p, val.len);
	xs_buf_puts(&msg, "\r\n");
	xs_buf_append(&msg, req.p + head, req.len - head);
	if (!msg.oom)
		deliver(s, msg.p, msg.len, XS_TP_UDP);
	xs_buf_reset(&val);
	xs_buf_reset(&msg);
	return;
plain:
	xs_buf_reset(&val);
	deliver(s, req.p, req.len, XS_TP_UDP);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script s = { 0 };
	struct phone_config cfg = { 0 };
	const struct fw_profile *profiles;
	size_t n_profiles, off = 2;

	fuzz_quiet();
	if (trace < 0)
		trace = getenv("FUZZ_PHONE_TRACE") != NULL;
	if (size < 2 || size > FUZZ_PHONE_MAX_INPUT)
		return 0;
	profiles = fw_profiles(&n_profiles);
	if (!profiles || !n_profiles)
		return 0;
	cfg.profile = &profiles[data[0] % n_profiles];
	cfg.user = user;
	cfg.password = password;
	cfg.realm = realm;
	cfg.nonce_secret = secret;
	cfg.rng_seed = 0x5eed;
	for (unsigned b = 0; b < 8; b++)
		if (data[1] & (1u << b))
			cfg.quirks.mask |= 1u << quirk_bits[b];
	if (phone_new(&s.ph, &cfg) < 0)
		return 0;
	s.info.now_us = 1767225600000000LL; /* 2026-01-01, fixed: no clock read */
	snprintf(s.info.src.addr, sizeof s.info.src.addr, "127.0.0.1");
	s.info.src.port = 5062;

	for (unsigned rec = 0; rec < FUZZ_PHONE_MAX_RECORDS && size - off >= 3; rec++) {
		unsigned type = data[off] % REC_COUNT;
		size_t len = XS_MIN((size_t)((data[off + 1] << 8) | data[off + 2]), size - off - 3);
		struct xs_span v = xs_span(data + off + 3, len);
		off += 3 + len;
		switch (type) {
		case REC_UDP:
		case REC_TCP:
			deliver(&s, v.p, v.len, type == REC_TCP ? XS_TP_TCP : XS_TP_UDP);
			break;
		case REC_AUTH:
		case REC_REAUTH:
			deliver_auth(&s, v, type == REC_REAUTH);
			break;
		case REC_CLOCK:
			s.info.now_us += (int64_t)(v.len >= 2 ? (v.p[0] << 8) | v.p[1] : 1) * 1000000;
			break;
		case REC_REPEAT:
			if (s.last.len)
				deliver(&s, s.last.p, s.last.len, XS_TP_UDP);
			break;
		}
	}
	xs_buf_reset(&s.last);
	phone_free(s.ph);
	return 0;
}
