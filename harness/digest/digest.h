/* SPDX-License-Identifier: MIT */
/* digest.h — HTTP Digest (RFC 2617, RFC 7616, RFC 8760): math, header codec, verification. */
#ifndef XS_DIGEST_H
#define XS_DIGEST_H

#include "../common/xs.h"

/*
 * Pure functions: no I/O, no globals, no allocation in the math and the codec
 * (structs carry fixed-size fields; an over-long parameter is an error).
 * Hashes come from OpenSSL's libcrypto. (The one exception, invisible to
 * callers: each thread caches its OpenSSL hash contexts on first use, freed
 * at thread exit, to keep verification lean. Thread-safe.)
 * Algorithms, the MD5-sess reading followed and the errors: docs/digest.md.
 */

#define DIGEST_MAX_PARAM 256   /* longest realm, nonce, cnonce, opaque, username */
#define DIGEST_MAX_URI   512
#define DIGEST_MAX_HEX   64    /* SHA-256 / SHA-512-256: 32 bytes = 64 hex */
#define DIGEST_MAX_CHALLENGES 8

enum digest_alg {
	DIGEST_MD5 = 0,
	DIGEST_MD5_SESS,
	DIGEST_SHA256,
	DIGEST_SHA256_SESS,
	DIGEST_SHA512_256,
	DIGEST_SHA512_256_SESS,
	DIGEST_ALG_COUNT
};
/* "MD5", "MD5-sess", "SHA-256", ... (RFC 7616 §6.1 names). */
const char *digest_alg_name(enum digest_alg a);
/* Case-insensitive name to enum; -EINVAL when unknown. */
int digest_alg_from_name(struct xs_span name, enum digest_alg *a);
size_t digest_alg_hexlen(enum digest_alg a); /* 32 or 64 */
bool digest_alg_is_sess(enum digest_alg a);

enum digest_qop { DIGEST_QOP_NONE = 0, DIGEST_QOP_AUTH, DIGEST_QOP_AUTH_INT };
#define DIGEST_QOP_MASK(q) (1u << (q))
const char *digest_qop_name(enum digest_qop q); /* "", "auth", "auth-int" */

/* Distinct parse errors, so callers (and rules) can name what was wrong. */
enum digest_perr {
	DIGEST_PERR_NONE = 0,
	DIGEST_PERR_EMPTY,      /* nothing but white space */
	DIGEST_PERR_SCHEME,     /* scheme is not Digest */
	DIGEST_PERR_SYNTAX,     /* not name=value, stray characters */
	DIGEST_PERR_QUOTE,      /* unterminated quoted-string or bad escape */
	DIGEST_PERR_DUPLICATE,  /* a parameter given twice */
	DIGEST_PERR_MISSING,    /* a required parameter is absent */
	DIGEST_PERR_NC,         /* nc is not exactly 8 hex digits */
	DIGEST_PERR_ALGORITHM,  /* algorithm unknown */
	DIGEST_PERR_QOP,        /* qop unknown, or qop without nc/cnonce */
	DIGEST_PERR_RESPONSE,   /* response not hex of the algorithm's length */
	DIGEST_PERR_TOOLONG,    /* a value over DIGEST_MAX_PARAM / DIGEST_MAX_URI */
	DIGEST_PERR_TOOMANY,    /* more than DIGEST_MAX_CHALLENGES challenges */
};
struct digest_error {
	enum digest_perr code;
	char param[32];   /* the parameter concerned, "" when none */
	size_t offset;    /* byte offset in the input where it was noticed */
};
const char *digest_perr_name(enum digest_perr e); /* "duplicate parameter", ... */
/* "duplicate parameter 'nonce' at byte 42" into out. */
void digest_error_format(const struct digest_error *e, char *out, size_t size);

/* A WWW-Authenticate / Proxy-Authenticate Digest challenge (RFC 7616 §3.3). */
struct digest_challenge {
	char realm[DIGEST_MAX_PARAM];
	char nonce[DIGEST_MAX_PARAM];
	char opaque[DIGEST_MAX_PARAM];   /* "" when absent */
	char domain[DIGEST_MAX_URI];     /* "" when absent */
	bool has_opaque;
	bool has_algorithm;
	enum digest_alg algorithm;       /* MD5 when absent */
	unsigned qop_mask;               /* DIGEST_QOP_MASK(AUTH)|...; 0: no qop offered */
	bool has_qop;                    /* qop parameter present (even if only unknown tokens) */
	bool stale;
	bool userhash;
	bool charset_utf8;
};

/* The Authorization / Proxy-Authorization credentials (RFC 7616 §3.4). */
struct digest_credentials {
	char username[DIGEST_MAX_PARAM]; /* or the hash, when userhash */
	bool username_ext;               /* came as username* (RFC 7616 §3.4.4) */
	char realm[DIGEST_MAX_PARAM];
	char nonce[DIGEST_MAX_PARAM];
	char uri[DIGEST_MAX_URI];
	char response[DIGEST_MAX_HEX + 1];
	bool has_algorithm;
	enum digest_alg algorithm;
	enum digest_qop qop;             /* NONE when absent */
	char nc[9];                      /* "" when absent */
	uint32_t nc_value;
	char cnonce[DIGEST_MAX_PARAM];
	bool has_opaque;
	char opaque[DIGEST_MAX_PARAM];
	bool userhash;
};

/*
 * Parse one header value holding one or more challenges ("Digest a=b, ...,
 * Digest ..."; other schemes are skipped). Appends to out[*n] up to max.
 * Returns the number parsed (>= 0) or -EBADMSG with *err filled.
 * A challenge naming an algorithm we do not know is passed over (RFC 7616
 * §3.7: the client uses one it supports): *err then names the first such
 * (code DIGEST_PERR_ALGORITHM) even on success, and only a header holding
 * nothing else fails. Call once per header line to collect challenges
 * across headers.
 */
int digest_challenge_parse(const uint8_t *buf, size_t len, struct digest_challenge *out,
			   size_t max, size_t *n, struct digest_error *err);
/*
 * The index of the challenge to answer: the strongest algorithm we support,
 * preferring qop=auth(-int) (RFC 7616 §3.7). -ENOENT when none is usable.
 */
int digest_challenge_pick(const struct digest_challenge *c, size_t n);

/*
 * Parse one Authorization value ("Digest username=..."). 0 or -EBADMSG + *err.
 * The last value parsed well on each thread is remembered with its parse: the
 * same bytes again (an exchange judged reads its retry's header twice) are
 * not parsed again.
 */
int digest_credentials_parse(const uint8_t *buf, size_t len, struct digest_credentials *out,
			     struct digest_error *err);

/* Format a header value (no header name, no CRLF). 0, -ENOMEM or -EINVAL. */
int digest_challenge_format(const struct digest_challenge *c, struct xs_buf *out);
int digest_credentials_format(const struct digest_credentials *c, struct xs_buf *out);

/* The inputs of the computation (RFC 7616 §3.4.1-§3.4.3). Strings borrowed. */
struct digest_input {
	enum digest_alg algorithm;
	const char *username;  /* the real user name (not the userhash) */
	const char *realm;
	const char *password;  /* or NULL when ha1_hex is given */
	const char *ha1_hex;   /* precomputed H(user:realm:password), lower-case hex */
	const char *nonce;
	const char *cnonce;    /* required with qop and for -sess */
	const char *nc;        /* 8 hex digits, required with qop */
	enum digest_qop qop;
	const char *method;
	const char *uri;
	struct xs_span body;   /* exact body bytes, for auth-int */
};
/*
 * The response in lower-case hex into out (DIGEST_MAX_HEX + 1 bytes).
 * MD5-sess (and every -sess): HA1 = H(H(user:realm:pass) ":" nonce ":" cnonce)
 * with the inner hash in hex, as RFC 2617's text and RFC 7616 §3.4.2 say.
 * Returns 0, or -EINVAL when a required input is missing.
 */
int digest_response(const struct digest_input *in, char out[DIGEST_MAX_HEX + 1]);
/* H(A1) alone, for storing HA1 instead of passwords. */
int digest_ha1(const struct digest_input *in, char out[DIGEST_MAX_HEX + 1]);
/* RFC 7616 §3.4.4: H(username ":" realm). */
int digest_userhash(enum digest_alg a, const char *username, const char *realm,
		    char out[DIGEST_MAX_HEX + 1]);

/*
 * Build credentials answering challenge ch (RFC 7616 §3.4): picks qop auth
 * (auth-int when only that is offered), nc from nc_value, cnonce as given,
 * userhash when asked. body is used for auth-int.
 */
int digest_answer(const struct digest_challenge *ch, const char *username,
		  const char *password, const char *method, const char *uri,
		  struct xs_span body, const char *cnonce, uint32_t nc_value,
		  struct digest_credentials *out);

/* What a verifier expects. Strings borrowed; NULL skips that comparison. */
struct digest_expect {
	const char *username;
	const char *realm;
	const char *uri;          /* the Request-URI the credentials must name */
	const char *nonce;        /* the nonce issued (NULL: caller checks it itself) */
	const char *password;     /* or ha1_hex */
	const char *ha1_hex;
	unsigned alg_mask;        /* allowed algorithms, 1u << alg; 0: any */
	unsigned qop_mask;        /* offered qops; 0: qop must be absent */
};
enum digest_check {
	DIGEST_VALID = 0,
	DIGEST_BAD_USERNAME,
	DIGEST_BAD_REALM,
	DIGEST_BAD_URI,
	DIGEST_BAD_NONCE,
	DIGEST_BAD_ALGORITHM,
	DIGEST_BAD_QOP,
	DIGEST_BAD_RESPONSE,
};
const char *digest_check_name(enum digest_check c); /* "wrong realm", ... */
/*
 * Check credentials against what was expected, in a fixed order (username,
 * realm, uri, nonce, algorithm, qop, response); the response is compared in
 * constant time. Returns 0 with *result set, or -EINVAL on misuse.
 */
int digest_verify(const struct digest_credentials *cr, const char *method,
		  struct xs_span body, const struct digest_expect *exp,
		  enum digest_check *result);

#endif
