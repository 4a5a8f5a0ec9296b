/* SPDX-License-Identifier: MIT */
/* phone.c — the emulator's request handler: challenge, verify, answer, decide what to fetch. */
#include "phone-int.h"
#include "../digest/digest.h"
#include "../sip/sipmsg.h"
#include "../xmlsvc/xmlsvc.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness/digest/cryptort.h"

struct phone {
	const struct fw_profile *profile;
	char *user, *password, *realm;
	unsigned ttl_s;
	struct phone_quirks q;
	struct phone_mac mac;
	struct phone_rng rng;
	struct xmlsvc_report *rep; /* reused: one body at a time */
	char static_nonce[PHONE_NONCE_LEN + 1];
	struct lru *nonces;   /* nonce -> highest nc seen + 1 (in the pointer) */
	struct lru *retx;     /* transaction key -> struct retx */
	bool hung;
	phone_event_fn on_event;
	void *event_ctx;
	pthread_mutex_t ev_lock;
};

/* A cached response, for retransmissions (RFC 3261 §17.2.1, §17.2.2). */
struct retx {
	int status;
	size_t len;
	uint8_t bytes[];
};

/* ---- names ---- */

static const char *const quirk_names[PHONE_Q_COUNT] = {
	[PHONE_Q_NO_AUTH] = "no-auth",
	[PHONE_Q_STATIC_NONCE] = "static-nonce",
	[PHONE_Q_NO_QOP] = "no-qop",
	[PHONE_Q_ACCEPT_ANY_PASSWORD] = "accept-any-password",
	[PHONE_Q_ACCEPT_REPLAY] = "accept-replay",
	[PHONE_Q_IGNORE_STALE] = "ignore-stale",
	[PHONE_Q_WRONG_REALM_ACCEPTED] = "wrong-realm-accepted",
	[PHONE_Q_NO_FETCH] = "no-fetch",
	[PHONE_Q_FETCH_TWICE] = "fetch-twice",
	[PHONE_Q_DROP] = "drop",
	[PHONE_Q_DELAY] = "delay",
	[PHONE_Q_BAD_VIA] = "bad-via",
	[PHONE_Q_HANG_ON] = "hang-on",
	[PHONE_Q_BAD_CHALLENGE] = "bad-challenge",
	[PHONE_Q_BAD_ALGORITHM] = "bad-algorithm",
	[PHONE_Q_REJECT_ALL] = "reject-all",
	[PHONE_Q_WRONG_URL] = "wrong-url",
	[PHONE_Q_NO_RETX_CACHE] = "no-retx-cache",
};

const char *phone_quirk_name(enum phone_quirk q)
{
	return (unsigned)q < PHONE_Q_COUNT ? quirk_names[q] : "?";
}

static const char *const auth_names[PHONE_AUTH_COUNT] = {
	[PHONE_AUTH_NONE] = "none",
	[PHONE_AUTH_CHALLENGED] = "no credentials",
	[PHONE_AUTH_OK] = "accepted",
	[PHONE_AUTH_SKIPPED] = "not checked",
	[PHONE_AUTH_WRONG_PASSWORD] = "wrong password",
	[PHONE_AUTH_WRONG_USER] = "wrong user",
	[PHONE_AUTH_WRONG_REALM] = "wrong realm",
	[PHONE_AUTH_URI_MISMATCH] = "uri mismatch",
	[PHONE_AUTH_REPLAYED_NC] = "replayed nc",
	[PHONE_AUTH_FOREIGN_NONCE] = "foreign nonce",
	[PHONE_AUTH_STALE_NONCE] = "stale nonce",
	[PHONE_AUTH_ALGORITHM] = "algorithm not offered",
	[PHONE_AUTH_QOP] = "qop not offered",
	[PHONE_AUTH_MALFORMED] = "malformed credentials",
};

const char *phone_auth_name(enum phone_auth a)
{
	return (unsigned)a < PHONE_AUTH_COUNT ? auth_names[a] : "?";
}

/* Parse "NAME" or "NAME:ARG" for quirks taking a number or a string. */
int phone_quirk_parse(const char *spec, struct phone_quirks *q)
{
	const char *colon = strchr(spec, ':');
	size_t nlen = colon ? (size_t)(colon - spec) : strlen(spec);
	for (unsigned k = 0; k < PHONE_Q_COUNT; k++) {
		if (strlen(quirk_names[k]) != nlen || strncmp(spec, quirk_names[k], nlen) != 0)
			continue;
		bool wants_arg = k == PHONE_Q_DROP || k == PHONE_Q_DELAY || k == PHONE_Q_HANG_ON;
		if (wants_arg != (colon != NULL))
			return -EINVAL;
		if (k == PHONE_Q_HANG_ON) {
			size_t alen = strlen(colon + 1);
			if (!alen || alen >= sizeof q->hang_on)
				return -EINVAL;
			memcpy(q->hang_on, colon + 1, alen + 1);
		} else if (wants_arg) {
			char *end;
			errno = 0;
			unsigned long v = strtoul(colon + 1, &end, 10);
			unsigned long max = k == PHONE_Q_DROP ? 100 : 60000;
			if (errno || end == colon + 1 || *end || colon[1] == '-' || v > max)
				return -EINVAL;
			if (k == PHONE_Q_DROP)
				q->drop_percent = (unsigned)v;
			else
				q->delay_ms = (unsigned)v;
		}
		q->mask |= 1u << k;
		return 0;
	}
	return -EINVAL;
}

void phone_out_reset(struct phone_out *out)
{
	xs_buf_reset(&out->resp);
	for (size_t i = 0; i < out->n_fetch; i++)
		free(out->fetch[i].url);
	memset(out, 0, sizeof *out);
}

/* ---- events ---- */

/* Wire bytes as a JSON-safe string: printable ASCII kept, others as \xNN. */
static json_t *jspan(struct xs_span s)
{
	struct xs_buf b = { 0 };
	for (size_t i = 0; i < s.len; i++) {
		uint8_t c = s.p[i];
		if (c >= 0x20 && c < 0x7f && c != '\\')
			xs_buf_append(&b, &c, 1);
		else
			xs_buf_printf(&b, "\\x%02x", c);
	}
	const char *str = xs_buf_cstr(&b);
	json_t *j = json_string(str ? str : "");
	xs_buf_reset(&b);
	return j;
}

void phone_emit(struct phone *ph, const char *event, void *objp)
{
	json_t *obj = objp;
	if (!ph->on_event) {
		json_decref(obj);
		return;
	}
	if (!obj)
		obj = json_object();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char when[80];
	snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000);
	json_t *line = json_pack("{s:s, s:s}", "ts", when, "event", event);
	if (line && obj)
		json_object_update(line, obj);
	char *text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (text) {
		pthread_mutex_lock(&ph->ev_lock);
		ph->on_event(ph->event_ctx, text);
		pthread_mutex_unlock(&ph->ev_lock);
	}
	free(text);
	json_decref(line);
	json_decref(obj);
}

/* The fields every event about a message carries. */
static json_t *msg_fields(const struct phone *ph, const struct sip_msg *m,
			  const struct phone_req_info *info)
{
	if (!ph->on_event)
		return NULL; /* nobody listens: build nothing */
	char src[64];
	xs_endpoint_format(&info->src, src, sizeof src);
	json_t *o = json_pack("{s:s, s:s}", "transport", xs_transport_name(info->tp), "src", src);
	if (o && m) {
		json_object_set_new(o, "call_id", jspan(m->call_id));
		json_object_set_new(o, "cseq", json_integer(m->cseq));
		json_object_set_new(o, "method", json_string(m->method));
	}
	return o;
}

static void emit_quirk(struct phone *ph, enum phone_quirk k, const struct sip_msg *m,
		       const struct phone_req_info *info)
{
	json_t *o = msg_fields(ph, m, info);
	json_object_set_new(o, "quirk", json_string(phone_quirk_name(k)));
	phone_emit(ph, "quirk applied", o);
}

const char *phone_server_agent(const struct phone *ph)
{
	return ph->profile->server;
}

/* ---- construction ---- */

int phone_new(struct phone **ret, const struct phone_config *cfg)
{
	if (!cfg || !cfg->profile || !cfg->user || !cfg->password || !cfg->realm)
		return -EINVAL;
	struct phone *ph = calloc(1, sizeof *ph);
	if (!ph)
		return -ENOMEM;
	pthread_mutex_init(&ph->ev_lock, NULL);
	ph->profile = cfg->profile;
	ph->ttl_s = cfg->nonce_ttl_s ? cfg->nonce_ttl_s : PHONE_NONCE_TTL_S;
	ph->q = cfg->quirks;
	ph->rng.s = cfg->rng_seed;
	ph->on_event = cfg->on_event;
	ph->event_ctx = cfg->event_ctx;
	ph->user = strdup(cfg->user);
	ph->password = strdup(cfg->password);
	ph->realm = strdup(cfg->realm);
	int r = -ENOMEM;
	ph->rep = malloc(sizeof *ph->rep);
	if (!ph->user || !ph->password || !ph->realm || !ph->rep ||
	    lru_new(&ph->nonces, PHONE_NONCE_TABLE, 0, NULL) < 0 ||
	    lru_new(&ph->retx, PHONE_RETX_ENTRIES, PHONE_RETX_BYTES, free) < 0)
		goto fail;
	uint8_t secret[PHONE_SECRET_LEN];
	if (cfg->nonce_secret)
		memcpy(secret, cfg->nonce_secret, PHONE_SECRET_LEN);
	else if ((r = phone_rng_bytes(&ph->rng, secret, sizeof secret)) < 0)
		goto fail;
	r = phone_mac_init(&ph->mac, secret);
	cryptort()->cleanse(secret, sizeof secret);
	if (r < 0 || (r = nonce_make(&ph->mac, &ph->rng, 0, ph->static_nonce)) < 0)
		goto fail;
	*ret = ph;
	return 0;
fail:
	phone_free(ph);
	return r;
}

struct phone *phone_free(struct phone *ph)
{
	const struct cryptort *cr = cryptort();
	if (!ph)
		return NULL;
	if (ph->password) {
		cr->cleanse(ph->password, strlen(ph->password));
		free(ph->password);
	}
	phone_mac_free(&ph->mac);
	cr->cleanse(&ph->rng, sizeof ph->rng);
	free(ph->user);
	free(ph->realm);
	free(ph->rep);
	lru_free(ph->nonces);
	lru_free(ph->retx);
	pthread_mutex_destroy(&ph->ev_lock);
	free(ph);
	return NULL;
}

/* ---- responses ---- */

static const struct {
	int code;
	const char *reason;
} reasons[] = {
	{ 200, "OK" },
	{ 400, "Bad Request" },
	{ 401, "Unauthorized" },
	{ 405, "Method Not Allowed" },
	{ 489, "Bad Event" },
	{ 501, "Not Implemented" },
};

static const char *reason_phrase(int code)
{
	for (size_t i = 0; i < XS_ARRAY_SIZE(reasons); i++)
		if (reasons[i].code == code)
			return reasons[i].reason;
	return "Unknown";
}

/* Header fields mirrored into responses (RFC 3261 §8.2.6.2), long and compact names. */
static const struct {
	const char *name, *compact;
	bool all;  /* every instance (Via), or the first only */
} mirrored[] = {
	{ "Via", "v", true },
	{ "From", "f", false },
	{ "To", "t", false },
	{ "Call-ID", "i", false },
	{ "CSeq", NULL, false },
};

static int mirrored_index(struct xs_span name)
{
	for (size_t i = 0; i < XS_ARRAY_SIZE(mirrored); i++)
		if (xs_span_caseeq_str(name, mirrored[i].name) ||
		    (mirrored[i].compact && xs_span_caseeq_str(name, mirrored[i].compact)))
			return (int)i;
	return -1;
}

/* Append a header value, any stray CR/LF made a space so nothing is injected. */
static void put_value(struct xs_buf *b, struct xs_span v)
{
	size_t start = 0;
	for (size_t i = 0; i <= v.len; i++) {
		if (i == v.len || v.p[i] == '\r' || v.p[i] == '\n') {
			xs_buf_append(b, v.p + start, i - start);
			if (i < v.len)
				xs_buf_append(b, " ", 1);
			start = i + 1;
		}
	}
}

/* The To tag: the same for every message of a Call-ID and From tag. */
static void to_tag(struct phone *ph, const struct sip_msg *m, char out[17])
{
	struct xs_buf k = { 0 };
	xs_buf_puts(&k, "to-tag|");
	xs_buf_append(&k, m->call_id.p, m->call_id.len);
	xs_buf_puts(&k, "|");
	xs_buf_append(&k, m->from_tag.p, m->from_tag.len);
	uint8_t mac[8] = { 0 };
	if (!k.oom)
		phone_mac(&ph->mac, k.p, k.len, mac, sizeof mac);
	xs_buf_reset(&k);
	xs_hex(out, mac, sizeof mac);
}

/* Status line, mirrored fields, then `extra` (whole header lines), Server, Content-Length. */
static void build_response(struct phone *ph, const struct sip_msg *m, int code, const char *extra,
			   const struct phone_req_info *info, struct phone_out *out)
{
	struct xs_buf *b = &out->resp;
	bool seen[XS_ARRAY_SIZE(mirrored)] = { false };
	static const uint8_t reserve[768];
	if (xs_buf_append(b, reserve, sizeof reserve) == 0) /* one allocation for most answers */
		b->len = 0;
	xs_buf_printf(b, "SIP/2.0 %d %s\r\n", code, reason_phrase(code));
	size_t n = sip_msg_header_count(m);
	for (size_t i = 0; i < n; i++) {
		struct xs_span name, value;
		if (sip_msg_header_at(m, i, &name, &value) < 0)
			break;
		int k = mirrored_index(name);
		if (k < 0 || (seen[k] && !mirrored[k].all))
			continue;
		if (k == 0 && phone_quirk_on(&ph->q, PHONE_Q_BAD_VIA)) {
			if (!seen[k]) {
				xs_buf_puts(b, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-xscert-bad-via\r\n");
				emit_quirk(ph, PHONE_Q_BAD_VIA, m, info);
			}
			seen[k] = true;
			continue;
		}
		seen[k] = true;
		xs_buf_printf(b, "%s: ", mirrored[k].name);
		put_value(b, value);
		if (k == 2 && m->to_tag.len == 0) {
			char tag[17];
			to_tag(ph, m, tag);
			xs_buf_printf(b, ";tag=%s", tag);
		}
		xs_buf_puts(b, "\r\n");
	}
	if (extra)
		xs_buf_puts(b, extra);
	xs_buf_printf(b, "Server: %s\r\nContent-Length: 0\r\n\r\n", ph->profile->server);
	out->status = code;
}

/* ---- authentication ---- */

static bool use_static_nonce(const struct phone *ph)
{
	return phone_quirk_on(&ph->q, PHONE_Q_STATIC_NONCE);
}

/* A 401 with a fresh challenge (RFC 3261 §22.4, RFC 7616 §3.3). */
static void challenge(struct phone *ph, const struct sip_msg *m, bool stale,
		      const struct phone_req_info *info, struct phone_out *out)
{
	struct digest_challenge ch = { .has_algorithm = true, .algorithm = DIGEST_MD5, .stale = stale };
	snprintf(ch.realm, sizeof ch.realm, "%s", ph->realm);
	int64_t now_s = info->now_us / 1000000;
	if (use_static_nonce(ph)) {
		memcpy(ch.nonce, ph->static_nonce, sizeof ph->static_nonce);
		emit_quirk(ph, PHONE_Q_STATIC_NONCE, m, info);
	} else if (nonce_make(&ph->mac, &ph->rng, now_s, ch.nonce) < 0) {
		out->dropped = true;
		return;
	}
	if (phone_quirk_on(&ph->q, PHONE_Q_NO_QOP))
		emit_quirk(ph, PHONE_Q_NO_QOP, m, info);
	else {
		ch.has_qop = true;
		ch.qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH);
	}
	/* remember it for nc tracking; an evicted nonce later reads as stale */
	if (!use_static_nonce(ph) || !lru_get(ph->nonces, ch.nonce, strlen(ch.nonce), NULL))
		lru_put(ph->nonces, ch.nonce, strlen(ch.nonce), (void *)(uintptr_t)1, 0, now_s);
	struct xs_buf hdr = { 0 };
	xs_buf_puts(&hdr, "WWW-Authenticate: ");
	if (phone_quirk_on(&ph->q, PHONE_Q_BAD_CHALLENGE)) {
		emit_quirk(ph, PHONE_Q_BAD_CHALLENGE, m, info);
		xs_buf_printf(&hdr, "Digest realm=\"%s\"%s", ch.realm, ch.has_qop ? ", qop=\"auth\"" : "");
	} else if (phone_quirk_on(&ph->q, PHONE_Q_BAD_ALGORITHM)) {
		emit_quirk(ph, PHONE_Q_BAD_ALGORITHM, m, info);
		xs_buf_printf(&hdr, "Digest realm=\"%s\", nonce=\"%s\", algorithm=XS-HASH-1%s", ch.realm,
			      ch.nonce, ch.has_qop ? ", qop=\"auth\"" : "");
	} else {
		digest_challenge_format(&ch, &hdr);
	}
	xs_buf_puts(&hdr, "\r\n");
	const char *h = xs_buf_cstr(&hdr);
	if (h) {
		build_response(ph, m, 401, h, info, out);
		json_t *o = msg_fields(ph, m, info);
		json_object_set_new(o, "nonce", json_string(ch.nonce));
		json_object_set_new(o, "realm", json_string(ch.realm));
		json_object_set_new(o, "stale", json_boolean(stale));
		json_object_set_new(o, "qop", json_string(ch.has_qop ? "auth" : ""));
		phone_emit(ph, "challenge sent", o);
	}
	xs_buf_reset(&hdr);
}

static enum phone_auth from_check(enum digest_check c)
{
	switch (c) {
	case DIGEST_VALID:
		return PHONE_AUTH_OK;
	case DIGEST_BAD_USERNAME:
		return PHONE_AUTH_WRONG_USER;
	case DIGEST_BAD_REALM:
		return PHONE_AUTH_WRONG_REALM;
	case DIGEST_BAD_URI:
		return PHONE_AUTH_URI_MISMATCH;
	case DIGEST_BAD_NONCE:
		return PHONE_AUTH_FOREIGN_NONCE;
	case DIGEST_BAD_ALGORITHM:
		return PHONE_AUTH_ALGORITHM;
	case DIGEST_BAD_QOP:
		return PHONE_AUTH_QOP;
	case DIGEST_BAD_RESPONSE:
		return PHONE_AUTH_WRONG_PASSWORD;
	}
	return PHONE_AUTH_MALFORMED;
}

/* Nonce freshness and nc replay (RFC 7616 §3.4: nc grows for a nonce). */
static enum phone_auth check_nonce(struct phone *ph, const struct digest_credentials *cr,
				   const struct sip_msg *m, const struct phone_req_info *info,
				   bool *replay_ok)
{
	int64_t now_s = info->now_us / 1000000;
	bool is_static = use_static_nonce(ph) && strcmp(cr->nonce, ph->static_nonce) == 0;
	size_t nlen = strlen(cr->nonce);
	*replay_ok = false;
	if (!is_static) {
		enum nonce_state st = nonce_check(&ph->mac, cr->nonce, now_s, ph->ttl_s);
		if (st == NONCE_FOREIGN)
			return PHONE_AUTH_FOREIGN_NONCE;
		if (st == NONCE_STALE) {
			if (!phone_quirk_on(&ph->q, PHONE_Q_IGNORE_STALE))
				return PHONE_AUTH_STALE_NONCE;
			emit_quirk(ph, PHONE_Q_IGNORE_STALE, m, info);
		}
	}
	void *v = lru_get(ph->nonces, cr->nonce, nlen, NULL);
	if (!v && !is_static && !phone_quirk_on(&ph->q, PHONE_Q_IGNORE_STALE))
		return PHONE_AUTH_STALE_NONCE; /* ours but forgotten: ask for a fresh one */
	uint64_t last = v ? (uint64_t)(uintptr_t)v - 1 : 0;
	uint64_t nc = cr->qop == DIGEST_QOP_NONE ? 1 : cr->nc_value;
	if (nc <= last) {
		if (!phone_quirk_on(&ph->q, PHONE_Q_ACCEPT_REPLAY))
			return PHONE_AUTH_REPLAYED_NC;
		*replay_ok = true;
	}
	lru_put(ph->nonces, cr->nonce, nlen, (void *)(uintptr_t)(XS_MAX(nc, last) + 1), 0, now_s);
	return PHONE_AUTH_OK;
}

/* Verify the Authorization header fully; the reason why not, or OK. */
static enum phone_auth verify(struct phone *ph, const struct sip_msg *m, struct xs_span auth,
			      const struct phone_req_info *info, bool *stale, char *perr, size_t perr_size)
{
	struct digest_credentials cr;
	struct digest_error de;
	*stale = false;
	if (digest_credentials_parse(auth.p, auth.len, &cr, &de) < 0) {
		digest_error_format(&de, perr, perr_size);
		return PHONE_AUTH_MALFORMED;
	}
	char *ruri = xs_span_dup(m->ruri);
	if (!ruri)
		return PHONE_AUTH_MALFORMED;
	bool realm_quirk = phone_quirk_on(&ph->q, PHONE_Q_WRONG_REALM_ACCEPTED) &&
			   strcmp(cr.realm, ph->realm) != 0;
	struct digest_expect exp = {
		.username = ph->user,
		.realm = realm_quirk ? NULL : ph->realm,
		.uri = ruri,
		.password = ph->password,
		.alg_mask = 1u << DIGEST_MD5,
		.qop_mask = phone_quirk_on(&ph->q, PHONE_Q_NO_QOP) ? 0
								  : DIGEST_QOP_MASK(DIGEST_QOP_AUTH),
	};
	enum digest_check c;
	int r = digest_verify(&cr, m->method, sip_msg_body(m), &exp, &c);
	free(ruri);
	if (r < 0)
		return PHONE_AUTH_MALFORMED;
	enum phone_auth a = from_check(c);
	if (a == PHONE_AUTH_WRONG_USER || a == PHONE_AUTH_WRONG_REALM || a == PHONE_AUTH_URI_MISMATCH)
		return a;
	if (realm_quirk)
		emit_quirk(ph, PHONE_Q_WRONG_REALM_ACCEPTED, m, info);
	/* the nonce must be ours before anything else about it matters */
	if (!(use_static_nonce(ph) && strcmp(cr.nonce, ph->static_nonce) == 0) &&
	    nonce_check(&ph->mac, cr.nonce, info->now_us / 1000000, ph->ttl_s) == NONCE_FOREIGN)
		return PHONE_AUTH_FOREIGN_NONCE;
	if (a == PHONE_AUTH_WRONG_PASSWORD && phone_quirk_on(&ph->q, PHONE_Q_ACCEPT_ANY_PASSWORD)) {
		emit_quirk(ph, PHONE_Q_ACCEPT_ANY_PASSWORD, m, info);
		a = PHONE_AUTH_OK;
	}
	if (a == PHONE_AUTH_OK && phone_quirk_on(&ph->q, PHONE_Q_REJECT_ALL)) {
		emit_quirk(ph, PHONE_Q_REJECT_ALL, m, info);
		a = PHONE_AUTH_WRONG_PASSWORD;
	}
	if (a != PHONE_AUTH_OK)
		return a;
	bool replay_ok;
	a = check_nonce(ph, &cr, m, info, &replay_ok);
	if (replay_ok)
		emit_quirk(ph, PHONE_Q_ACCEPT_REPLAY, m, info);
	*stale = a == PHONE_AUTH_STALE_NONCE;
	return a;
}

/* ---- after 200 OK: what the profile does with the body ---- */

static void add_fetch(struct phone_out *out, const uint8_t *url, size_t len)
{
	if (out->n_fetch >= PHONE_MAX_FETCH)
		return;
	char *s = malloc(len + 1);
	if (!s)
		return;
	memcpy(s, url, len);
	s[len] = '\0';
	out->fetch[out->n_fetch++] = (struct phone_fetch){ s, len };
}

static bool body_contains(struct xs_span body, const char *needle)
{
	size_t n = strlen(needle);
	if (!n || body.len < n)
		return false;
	return memmem(body.p, body.len, needle, n) != NULL;
}

/* The profile's action for a classified body (DESIGN.md §1, §7). */
static const char *body_action(const struct fw_profile *pf, const struct xmlsvc_report *rep,
			       struct xs_span body, struct phone_out *out)
{
	bool execute_bad = rep->kind == XMLSVC_EXECUTE && rep->problems != 0;
	if (rep->kind == XMLSVC_URL) {
		if (!pf->url_body.value)
			return "ignored: URL body on inline-only firmware";
		size_t len = body.len;
		const char *action = "fetch";
		if (rep->trailing_crlf && pf->trailing_newline_ok.value) {
			len -= XS_MIN(len, rep->trailing_crlf);
			action = "fetch (trailing newline tolerated)";
		} else if (rep->trailing_crlf) {
			/* the profile's trailing_newline_fails: no fetch at all (assumed) */
			return "not fetched: URL followed by CR/LF (assumed)";
		}
		if (len > PHONE_MAX_URL)
			return "rejected: URL too long";
		add_fetch(out, body.p, len);
		return action;
	}
	if (rep->kind != XMLSVC_EXECUTE && rep->kind != XMLSVC_OTHER_XML)
		return "ignored";
	if (!pf->inline_xml.value)
		return "ignored: inline XML on URL-only firmware (assumed)";
	if (execute_bad) /* the profile's execute_refused: the 200 OK is sent already (assumed) */
		return "not executed: invalid CiscoIPPhoneExecute (assumed)";
	if (rep->kind == XMLSVC_OTHER_XML)
		return "displayed";
	for (size_t i = 0; i < rep->n_items && i < XMLSVC_KEEP_ITEMS; i++)
		add_fetch(out, (const uint8_t *)rep->items[i].url, strlen(rep->items[i].url));
	return "execute";
}

static void act_on_body(struct phone *ph, const struct sip_msg *m, const struct phone_req_info *info,
			struct phone_out *out)
{
	struct xs_span body = sip_msg_body(m);
	struct xmlsvc_report *rep = ph->rep;
	if (xmlsvc_check(body.p, body.len, rep) < 0)
		return;
	size_t first = out->n_fetch;
	const char *action = "event acted on"; /* resync, reboot_now, restart_now: nothing to fetch */
	if (xs_span_caseeq_str(m->event, "XML-Service"))
		action = body_action(ph->profile, rep, body, out);
	json_t *o = msg_fields(ph, m, info);
	json_object_set_new(o, "kind", json_string(xmlsvc_kind_name(rep->kind)));
	json_object_set_new(o, "bytes", json_integer((json_int_t)body.len));
	if (rep->problems)
		json_object_set_new(o, "problem", json_string(xmlsvc_problem_name(rep->first)));
	if (rep->kind == XMLSVC_URL)
		json_object_set_new(o, "trailing_newline", json_boolean(rep->trailing_crlf > 0));
	if (rep->kind == XMLSVC_EXECUTE)
		json_object_set_new(o, "items", json_integer((json_int_t)rep->n_items));
	json_object_set_new(o, "action", json_string(action));
	phone_emit(ph, "body classified", o);

	if (out->n_fetch > first && phone_quirk_on(&ph->q, PHONE_Q_WRONG_URL)) {
		emit_quirk(ph, PHONE_Q_WRONG_URL, m, info);
		for (size_t i = first; i < out->n_fetch; i++) {
			struct phone_fetch *f = &out->fetch[i];
			char *u = malloc(f->len + sizeof "xscert-wrong");
			if (!u)
				continue;
			memcpy(u, f->url, f->len);
			memcpy(u + f->len, "xscert-wrong", sizeof "xscert-wrong");
			free(f->url);
			f->url = u;
			f->len += sizeof "xscert-wrong" - 1;
		}
	}
	if (out->n_fetch > first && phone_quirk_on(&ph->q, PHONE_Q_NO_FETCH)) {
		emit_quirk(ph, PHONE_Q_NO_FETCH, m, info);
		for (size_t i = first; i < out->n_fetch; i++)
			free(out->fetch[i].url);
		out->n_fetch = first;
	} else if (out->n_fetch > first && phone_quirk_on(&ph->q, PHONE_Q_FETCH_TWICE)) {
		emit_quirk(ph, PHONE_Q_FETCH_TWICE, m, info);
		size_t last = out->n_fetch;
		for (size_t i = first; i < last; i++)
			add_fetch(out, (const uint8_t *)out->fetch[i].url, out->fetch[i].len);
	}
}

/* ---- dispatch ---- */

static bool challenged_event(const struct phone *ph, struct xs_span ev)
{
	if (xs_span_caseeq_str(ev, "XML-Service"))
		return true;
	static const char *const resync[] = { "resync", "reboot_now", "restart_now" };
	if (!ph->profile->challenge_resync.value)
		return false;
	for (size_t i = 0; i < XS_ARRAY_SIZE(resync); i++)
		if (xs_span_caseeq_str(ev, resync[i]))
			return true;
	return false;
}

static void notify(struct phone *ph, const struct sip_msg *m, const struct phone_req_info *info,
		   struct phone_out *out)
{
	if (!challenged_event(ph, m->event)) {
		build_response(ph, m, 489,
			       ph->profile->challenge_resync.value
				       ? "Allow-Events: XML-Service, resync, reboot_now, restart_now\r\n"
				       : "Allow-Events: XML-Service\r\n",
			       info, out);
		return;
	}
	struct xs_span auth;
	bool stale = false;
	char perr[128] = "";
	if (phone_quirk_on(&ph->q, PHONE_Q_NO_AUTH)) {
		emit_quirk(ph, PHONE_Q_NO_AUTH, m, info);
		out->auth = PHONE_AUTH_SKIPPED;
	} else if (sip_msg_header_id(m, SIP_HDR_AUTHORIZATION, 0, false, &auth) < 0) {
		out->auth = PHONE_AUTH_CHALLENGED;
		challenge(ph, m, false, info, out);
		return;
	} else {
		out->auth = verify(ph, m, auth, info, &stale, perr, sizeof perr);
		json_t *o = msg_fields(ph, m, info);
		if (out->auth != PHONE_AUTH_OK)
			json_object_set_new(o, "reason", json_string(phone_auth_name(out->auth)));
		if (perr[0])
			json_object_set_new(o, "detail", json_string(perr));
		phone_emit(ph, out->auth == PHONE_AUTH_OK ? "auth accepted" : "auth rejected", o);
		if (out->auth != PHONE_AUTH_OK) {
			challenge(ph, m, stale, info, out);
			return;
		}
	}
	if (ph->q.hang_on[0] && body_contains(sip_msg_body(m), ph->q.hang_on)) {
		emit_quirk(ph, PHONE_Q_HANG_ON, m, info);
		ph->hung = true;
		out->dropped = true;
		return;
	}
	build_response(ph, m, 200, NULL, info, out);
	act_on_body(ph, m, info, out);
}

/* Methods a phone knows but does not take here: 405; anything else 501. */
static const char *const known_methods[] = {
	"INVITE", "BYE", "CANCEL", "REGISTER", "SUBSCRIBE", "REFER",
	"MESSAGE", "INFO", "PRACK", "UPDATE", "PUBLISH",
};

static bool has_header(const struct sip_msg *m, const char *name)
{
	struct xs_span v;
	return sip_msg_header(m, name, 0, false, &v) == 0;
}

static void respond(struct phone *ph, const struct sip_msg *m, const struct phone_req_info *info,
		    struct phone_out *out)
{
	if (!m->call_id.len || !m->cseq_method[0] || !has_header(m, "From") ||
	    !has_header(m, "To") || strcmp(m->cseq_method, m->method) != 0) {
		build_response(ph, m, 400, NULL, info, out); /* RFC 3261 §8.2: missing or wrong fields */
		return;
	}
	if (!strcmp(m->method, "NOTIFY")) {
		notify(ph, m, info, out);
		return;
	}
	if (!strcmp(m->method, "OPTIONS")) {
		build_response(ph, m, 200, "Allow: NOTIFY, OPTIONS\r\nAccept: application/xml, text/plain\r\n",
			       info, out);
		return;
	}
	for (size_t i = 0; i < XS_ARRAY_SIZE(known_methods); i++)
		if (!strcmp(m->method, known_methods[i])) {
			build_response(ph, m, 405, "Allow: NOTIFY, OPTIONS\r\n", info, out);
			return;
		}
	build_response(ph, m, 501, NULL, info, out);
}

/* RFC 3261 §17.2.3: the branch (with the magic cookie), sent-by, method; older peers by fields. */
static void transaction_key(const struct sip_msg *m, const struct phone_req_info *info,
			    struct xs_buf *k)
{
	char src[64];
	xs_endpoint_format(&info->src, src, sizeof src);
	xs_buf_printf(k, "%s|%s|%s|%u|", xs_transport_name(info->tp), src, m->method, m->cseq);
	if (m->via_branch.len > 7 && !memcmp(m->via_branch.p, "z9hG4bK", 7)) {
		xs_buf_append(k, m->via_branch.p, m->via_branch.len);
		return;
	}
	xs_buf_append(k, m->call_id.p, m->call_id.len);
	xs_buf_puts(k, "|");
	xs_buf_append(k, m->from_tag.p, m->from_tag.len);
	xs_buf_puts(k, "|");
	xs_buf_append(k, m->ruri.p, m->ruri.len);
}

/* Answer a retransmission from the cache; false: handle the message as new. */
static bool replay_cached(struct phone *ph, struct xs_buf *key, const struct sip_msg *m,
			  const struct phone_req_info *info, struct phone_out *out)
{
	int64_t stamp;
	struct retx *rx = lru_get(ph->retx, key->p, key->len, &stamp);
	if (!rx || info->now_us / 1000 - stamp > PHONE_RETX_TTL_MS)
		return false;
	if (phone_quirk_on(&ph->q, PHONE_Q_NO_RETX_CACHE)) {
		/* it takes effect here, on a copy the cache would have answered */
		emit_quirk(ph, PHONE_Q_NO_RETX_CACHE, m, info);
		return false;
	}
	xs_buf_append(&out->resp, rx->bytes, rx->len);
	out->status = rx->status;
	out->retransmission = true;
	json_t *o = msg_fields(ph, m, info);
	json_object_set_new(o, "status", json_integer(rx->status));
	phone_emit(ph, "retransmission answered", o);
	return true;
}

static void cache_response(struct phone *ph, struct xs_buf *key, const struct phone_out *out,
			   int64_t now_ms)
{
	struct retx *rx = malloc(sizeof *rx + out->resp.len);
	if (!rx)
		return;
	rx->status = out->status;
	rx->len = out->resp.len;
	memcpy(rx->bytes, out->resp.p, out->resp.len);
	lru_put(ph->retx, key->p, key->len, rx, sizeof *rx + rx->len, now_ms);
}

static void emit_dropped(struct phone *ph, const struct sip_msg *m, const struct phone_req_info *info,
			 const char *why, size_t len)
{
	json_t *o = msg_fields(ph, m, info);
	json_object_set_new(o, "reason", json_string(why));
	json_object_set_new(o, "bytes", json_integer((json_int_t)len));
	phone_emit(ph, "message dropped", o);
}

int phone_handle(struct phone *ph, const uint8_t *buf, size_t len,
		 const struct phone_req_info *info, struct phone_out *out)
{
	if (ph->hung) {
		out->dropped = true;
		return 0;
	}
	/* Loss is a datagram thing: TCP delivers or breaks the connection, so a
	 * stream message is never "lost" (RFC 3261 §17.1.2.2: no Timer E on TCP). */
	if (phone_quirk_on(&ph->q, PHONE_Q_DROP) && info->tp == XS_TP_UDP) {
		uint32_t x = 0;
		phone_rng_bytes(&ph->rng, &x, sizeof x);
		if (x % 100 < ph->q.drop_percent) {
			emit_quirk(ph, PHONE_Q_DROP, NULL, info);
			out->dropped = true;
			return 0;
		}
	}
	struct sip_msg *m = NULL;
	int r = sip_msg_parse(&m, buf, len);
	if (r == -ENOMEM)
		return r;
	if (r < 0 || !m->is_request) {
		emit_dropped(ph, NULL, info, r < 0 ? xs_strerror(r) : "a response, not a request", len);
		out->dropped = true;
		sip_msg_free(m);
		return 0;
	}
	json_t *o = msg_fields(ph, m, info);
	json_object_set_new(o, "ruri", jspan(m->ruri));
	json_object_set_new(o, "event_header", jspan(m->event));
	json_object_set_new(o, "bytes", json_integer((json_int_t)len));
	phone_emit(ph, "request received", o);

	struct xs_span via;
	if (!strcmp(m->method, "ACK") || sip_msg_header_id(m, SIP_HDR_VIA, 0, false, &via) < 0) {
		if (strcmp(m->method, "ACK") != 0)
			emit_dropped(ph, m, info, "no Via: nowhere to answer", len);
		out->dropped = true;
		sip_msg_free(m);
		return 0;
	}
	struct xs_buf key = { 0 };
	transaction_key(m, info, &key);
	r = 0;
	if (key.oom)
		r = -ENOMEM;
	else if (!replay_cached(ph, &key, m, info, out)) {
		respond(ph, m, info, out);
		if (out->resp.oom)
			r = -ENOMEM;
		else if (out->resp.len)
			cache_response(ph, &key, out, info->now_us / 1000);
	}
	xs_buf_reset(&key);
	if (r == 0 && out->resp.len && phone_quirk_on(&ph->q, PHONE_Q_DELAY)) {
		out->delay_ms = ph->q.delay_ms;
		emit_quirk(ph, PHONE_Q_DELAY, m, info);
	}
	if (r == 0 && out->resp.len) {
		json_t *ro = msg_fields(ph, m, info);
		json_object_set_new(ro, "status", json_integer(out->status));
		phone_emit(ph, "response sent", ro);
	}
	sip_msg_free(m);
	return r;
}
