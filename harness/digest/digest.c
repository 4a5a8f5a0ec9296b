/* SPDX-License-Identifier: MIT */
/* digest.c — HTTP Digest math (RFC 2617, RFC 7616, RFC 8760), answering and verification. */
#include "digest.h"
#include "digest-int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/digest/cryptort.h"

/* Value-to-name table (tcpdump `struct tok` style), indexed by enum digest_alg. */
static const struct {
	const char *name;
	const char *ossl;  /* OpenSSL fetch name of the hash */
	size_t hexlen;
} algs[DIGEST_ALG_COUNT] = {
	[DIGEST_MD5] = { "MD5", "MD5", 32 },
	[DIGEST_MD5_SESS] = { "MD5-sess", "MD5", 32 },
	[DIGEST_SHA256] = { "SHA-256", "SHA2-256", 64 },
	[DIGEST_SHA256_SESS] = { "SHA-256-sess", "SHA2-256", 64 },
	[DIGEST_SHA512_256] = { "SHA-512-256", "SHA2-512/256", 64 },
	[DIGEST_SHA512_256_SESS] = { "SHA-512-256-sess", "SHA2-512/256", 64 },
};

const char *digest_alg_name(enum digest_alg a)
{
	return (unsigned)a < DIGEST_ALG_COUNT ? algs[a].name : "?";
}

int digest_alg_from_name(struct xs_span name, enum digest_alg *a)
{
	for (unsigned i = 0; i < DIGEST_ALG_COUNT; i++)
		if (xs_span_caseeq_str(name, algs[i].name)) {
			*a = (enum digest_alg)i;
			return 0;
		}
	return -EINVAL;
}

size_t digest_alg_hexlen(enum digest_alg a)
{
	return (unsigned)a < DIGEST_ALG_COUNT ? algs[a].hexlen : 0;
}

bool digest_alg_is_sess(enum digest_alg a)
{
	return (unsigned)a < DIGEST_ALG_COUNT && (a & 1u);
}

const char *digest_qop_name(enum digest_qop q)
{
	static const char *const names[] = { "", "auth", "auth-int" };
	return (unsigned)q < XS_ARRAY_SIZE(names) ? names[q] : "?";
}

/*
 * Hashing. The three hash families are fetched once per process (OpenSSL 3
 * otherwise does an implicit fetch on every init), and each thread keeps, per
 * family, a context initialised once and a working context it is copied into
 * for each hash: that skips the init path (engine lookup, provider newctx,
 * init) and allocates no EVP_MD_CTX per call. What remains is OpenSSL 3.0's
 * duplication of the provider state (one small malloc/free per hash: 3.0 frees
 * it on every init too, and has no reset that keeps it). The cache is
 * invisible to callers: the functions stay pure.
 */
#define HASH_FAMILIES 3
#define HASH_JOIN_MAX 1024 /* joined inputs up to this size are hashed in one update */

static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_fetched[HASH_FAMILIES];
static pthread_key_t tls_key;
static bool tls_key_ok;

struct hash_tls {
	EVP_MD_CTX *ctx[HASH_FAMILIES];
	EVP_MD_CTX *fresh[HASH_FAMILIES]; /* initialised once; copied into ctx per hash */
};
static _Thread_local struct hash_tls *tls;

static void tls_free(void *p)
{
	const struct cryptort *cr = cryptort();
	struct hash_tls *t = p;
	for (unsigned i = 0; i < HASH_FAMILIES; i++) {
		cr->md_ctx_free(t->ctx[i]);
		cr->md_ctx_free(t->fresh[i]);
	}
	free(t);
	tls = NULL;
}

static void md_init(void)
{
	for (unsigned f = 0; f < HASH_FAMILIES; f++)
		md_fetched[f] = cryptort()->md_fetch(NULL, algs[2 * f].ossl, NULL);
	tls_key_ok = pthread_key_create(&tls_key, tls_free) == 0;
}

static const EVP_MD *family_md(unsigned f)
{
	if (md_fetched[f])
		return md_fetched[f];
	/* A provider without the fetch name: fall back to the implicit fetch. */
	const struct cryptort *cr = cryptort();
	return f == 0 ? cr->md5() : f == 1 ? cr->sha256() : cr->sha512_256();
}

/* A context of family f ready for updates, owned by this thread's cache; NULL on ENOMEM. */
static EVP_MD_CTX *fresh_ctx(unsigned f)
{
	const struct cryptort *cr = cryptort();
	if (!tls) {
		if (!tls_key_ok)
			return NULL;
		tls = calloc(1, sizeof *tls);
		if (!tls)
			return NULL;
		if (pthread_setspecific(tls_key, tls) != 0) {
			free(tls);
			tls = NULL;
			return NULL;
		}
	}
	if (!tls->fresh[f]) {
		EVP_MD_CTX *c = cr->md_ctx_new();
		if (!c || !cr->digest_init_ex2(c, family_md(f), NULL)) {
			cr->md_ctx_free(c);
			return NULL;
		}
		tls->fresh[f] = c;
	}
	if (!tls->ctx[f])
		tls->ctx[f] = cr->md_ctx_new();
	if (!tls->ctx[f] || !cr->md_ctx_copy_ex(tls->ctx[f], tls->fresh[f]))
		return NULL;
	return tls->ctx[f];
}

/*
 * out = hex(H(parts[0] ":" parts[1] ":" ...)); secret tells whether the joined
 * copy holds a password and must be wiped. 0, -ENOMEM or -EIO.
 */
int digest_hash_join(enum digest_alg a, const struct xs_span *parts, size_t n, bool secret,
		     char out[DIGEST_MAX_HEX + 1])
{
	const struct cryptort *cr = cryptort();
	unsigned f = (unsigned)a >> 1;
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	uint8_t joined[HASH_JOIN_MAX];
	size_t total = n ? n - 1 : 0;

	if ((unsigned)a >= DIGEST_ALG_COUNT)
		return -EINVAL;
	pthread_once(&md_once, md_init);
	EVP_MD_CTX *ctx = fresh_ctx(f);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++)
		total += parts[i].len;

	int ok = 1;
	if (total <= sizeof joined) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (i)
				joined[k++] = ':';
			if (parts[i].len)
				memcpy(joined + k, parts[i].p, parts[i].len);
			k += parts[i].len;
		}
		ok = cr->digest_update(ctx, joined, k);
		if (secret)
			explicit_bzero(joined, k);
	} else {
		for (size_t i = 0; ok && i < n; i++)
			ok = (i == 0 || cr->digest_update(ctx, ":", 1)) &&
			     cr->digest_update(ctx, parts[i].p, parts[i].len);
	}
	ok = ok && cr->digest_final_ex(ctx, md, &mdlen);
	if (!ok || mdlen * 2 != algs[a].hexlen)
		return -EIO;
	xs_hex(out, md, mdlen);
	return 0;
}

static struct xs_span sp(const char *s)
{
	return xs_span_str(s);
}

static bool is_lhex(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[len] == '\0';
}

static bool needs_cnonce(const struct digest_input *in)
{
	return in->qop != DIGEST_QOP_NONE || digest_alg_is_sess(in->algorithm);
}

/* RFC 7616 §3.4.2: A1, and for -sess the second hash over the hex inner HA1. */
int digest_ha1(const struct digest_input *in, char out[DIGEST_MAX_HEX + 1])
{
	char inner[DIGEST_MAX_HEX + 1];
	enum digest_alg a = in->algorithm;
	int r;

	if ((unsigned)a >= DIGEST_ALG_COUNT)
		return -EINVAL;
	if (in->ha1_hex) {
		size_t hl = algs[a].hexlen;
		if (strlen(in->ha1_hex) != hl)
			return -EINVAL;
		for (size_t i = 0; i < hl; i++) {
			char c = in->ha1_hex[i];
			inner[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
		}
		inner[hl] = '\0';
		if (!is_lhex(inner, hl))
			return -EINVAL;
	} else {
		if (!in->username || !in->realm || !in->password)
			return -EINVAL;
		struct xs_span p[] = { sp(in->username), sp(in->realm), sp(in->password) };
		r = digest_hash_join(a, p, 3, true, inner);
		if (r < 0)
			return r;
	}
	if (digest_alg_is_sess(a)) {
		/* RFC 2617 §3.2.2.2 text and RFC 7616 §3.4.2: the inner HA1 in hex,
		 * not the binary digest of RFC 2617's sample code (erratum 1649). */
		if (!in->nonce || !in->cnonce) {
			explicit_bzero(inner, sizeof inner);
			return -EINVAL;
		}
		struct xs_span p[] = { sp(inner), sp(in->nonce), sp(in->cnonce) };
		r = digest_hash_join(a, p, 3, true, out);
	} else {
		memcpy(out, inner, algs[a].hexlen + 1);
		r = 0;
	}
	explicit_bzero(inner, sizeof inner);
	return r;
}

/* RFC 7616 §3.4.3: A2 = method ":" uri [":" H(body)] for auth-int. */
static int digest_ha2(const struct digest_input *in, char out[DIGEST_MAX_HEX + 1])
{
	char hbody[DIGEST_MAX_HEX + 1];
	if (in->qop == DIGEST_QOP_AUTH_INT) {
		int r = digest_hash_join(in->algorithm, &in->body, 1, false, hbody);
		if (r < 0)
			return r;
		struct xs_span p[] = { sp(in->method), sp(in->uri), sp(hbody) };
		return digest_hash_join(in->algorithm, p, 3, false, out);
	}
	struct xs_span p[] = { sp(in->method), sp(in->uri) };
	return digest_hash_join(in->algorithm, p, 2, false, out);
}

/* RFC 7616 §3.4.1; without qop the RFC 2069 / RFC 3261 §22.4 form. */
int digest_response(const struct digest_input *in, char out[DIGEST_MAX_HEX + 1])
{
	char ha1[DIGEST_MAX_HEX + 1], ha2[DIGEST_MAX_HEX + 1];
	int r;

	if (!in || !in->nonce || !in->method || !in->uri || (unsigned)in->qop > DIGEST_QOP_AUTH_INT)
		return -EINVAL;
	if (needs_cnonce(in) && !in->cnonce)
		return -EINVAL;
	if (in->qop != DIGEST_QOP_NONE && !in->nc)
		return -EINVAL;
	if (in->qop == DIGEST_QOP_AUTH_INT && in->body.len && !in->body.p)
		return -EINVAL;
	r = digest_ha1(in, ha1);
	if (r < 0)
		return r;
	r = digest_ha2(in, ha2);
	if (r == 0) {
		if (in->qop == DIGEST_QOP_NONE) {
			struct xs_span p[] = { sp(ha1), sp(in->nonce), sp(ha2) };
			r = digest_hash_join(in->algorithm, p, 3, true, out);
		} else {
			struct xs_span p[] = { sp(ha1), sp(in->nonce), sp(in->nc), sp(in->cnonce),
					       sp(digest_qop_name(in->qop)), sp(ha2) };
			r = digest_hash_join(in->algorithm, p, 6, true, out);
		}
	}
	explicit_bzero(ha1, sizeof ha1);
	return r;
}

/* RFC 7616 §3.4.4 */
int digest_userhash(enum digest_alg a, const char *username, const char *realm,
		    char out[DIGEST_MAX_HEX + 1])
{
	if (!username || !realm)
		return -EINVAL;
	struct xs_span p[] = { sp(username), sp(realm) };
	return digest_hash_join(a, p, 2, false, out);
}

static int copy_field(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return -E2BIG;
	memcpy(dst, src, n + 1);
	return 0;
}

static bool has_non_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

int digest_answer(const struct digest_challenge *ch, const char *username,
		  const char *password, const char *method, const char *uri,
		  struct xs_span body, const char *cnonce, uint32_t nc_value,
		  struct digest_credentials *out)
{
	struct digest_credentials cr;
	int r;

	if (!ch || !username || !password || !method || !uri || !out)
		return -EINVAL;
	memset(&cr, 0, sizeof cr);
	cr.algorithm = ch->has_algorithm ? ch->algorithm : DIGEST_MD5;
	cr.has_algorithm = ch->has_algorithm;
	if (ch->qop_mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH))
		cr.qop = DIGEST_QOP_AUTH;
	else if (ch->qop_mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT))
		cr.qop = DIGEST_QOP_AUTH_INT;
	else if (ch->has_qop)
		return -EINVAL; /* only qop values we do not know: nothing to answer with */
	else
		cr.qop = DIGEST_QOP_NONE;
	if ((cr.qop != DIGEST_QOP_NONE || digest_alg_is_sess(cr.algorithm)) && !cnonce)
		return -EINVAL;
	if (cr.qop != DIGEST_QOP_NONE) {
		snprintf(cr.nc, sizeof cr.nc, "%08x", (unsigned)nc_value);
		cr.nc_value = nc_value;
	}
	if ((r = copy_field(cr.realm, sizeof cr.realm, ch->realm)) < 0 ||
	    (r = copy_field(cr.nonce, sizeof cr.nonce, ch->nonce)) < 0 ||
	    (r = copy_field(cr.uri, sizeof cr.uri, uri)) < 0)
		return r;
	if ((cr.qop != DIGEST_QOP_NONE || digest_alg_is_sess(cr.algorithm)) &&
	    (r = copy_field(cr.cnonce, sizeof cr.cnonce, cnonce)) < 0)
		return r;
	if (ch->has_opaque) {
		cr.has_opaque = true;
		if ((r = copy_field(cr.opaque, sizeof cr.opaque, ch->opaque)) < 0)
			return r;
	}
	if (ch->userhash) {
		cr.userhash = true;
		r = digest_userhash(cr.algorithm, username, ch->realm, cr.username);
	} else {
		/* RFC 7616 §3.4.4: a non-ASCII name goes as username* (RFC 8187). */
		cr.username_ext = has_non_ascii(username);
		r = copy_field(cr.username, sizeof cr.username, username);
	}
	if (r < 0)
		return r;

	struct digest_input in = {
		.algorithm = cr.algorithm, .username = username, .realm = ch->realm,
		.password = password, .nonce = ch->nonce, .cnonce = cr.cnonce[0] ? cr.cnonce : NULL,
		.nc = cr.nc, .qop = cr.qop, .method = method, .uri = uri, .body = body,
	};
	r = digest_response(&in, cr.response);
	if (r < 0)
		return r;
	*out = cr;
	return 0;
}

const char *digest_check_name(enum digest_check c)
{
	static const char *const names[] = {
		[DIGEST_VALID] = "valid",
		[DIGEST_BAD_USERNAME] = "wrong username",
		[DIGEST_BAD_REALM] = "wrong realm",
		[DIGEST_BAD_URI] = "wrong digest-uri",
		[DIGEST_BAD_NONCE] = "wrong nonce",
		[DIGEST_BAD_ALGORITHM] = "algorithm not allowed",
		[DIGEST_BAD_QOP] = "qop not offered",
		[DIGEST_BAD_RESPONSE] = "wrong response",
	};
	return (unsigned)c < XS_ARRAY_SIZE(names) ? names[c] : "?";
}

static bool str_ne(const char *want, const char *got)
{
	return want && strcmp(want, got) != 0;
}

static enum digest_check check_username(const struct digest_credentials *cr,
					const struct digest_expect *exp, int *err)
{
	char uh[DIGEST_MAX_HEX + 1];
	if (!exp->username)
		return DIGEST_VALID;
	if (!cr->userhash)
		return strcmp(exp->username, cr->username) ? DIGEST_BAD_USERNAME : DIGEST_VALID;
	/* RFC 7616 §3.4.4: the server recomputes H(username ":" realm). */
	*err = digest_userhash(cr->algorithm, exp->username, cr->realm, uh);
	if (*err < 0)
		return DIGEST_VALID;
	return strcasecmp(uh, cr->username) ? DIGEST_BAD_USERNAME : DIGEST_VALID;
}

static enum digest_check check_fields(const struct digest_credentials *cr,
				      const struct digest_expect *exp, int *err)
{
	enum digest_check c = check_username(cr, exp, err);
	if (c != DIGEST_VALID || *err < 0)
		return c;
	if (str_ne(exp->realm, cr->realm))
		return DIGEST_BAD_REALM;
	if (str_ne(exp->uri, cr->uri))
		return DIGEST_BAD_URI;
	if (str_ne(exp->nonce, cr->nonce))
		return DIGEST_BAD_NONCE;
	if (exp->alg_mask && !(exp->alg_mask & (1u << cr->algorithm)))
		return DIGEST_BAD_ALGORITHM;
	if (exp->qop_mask ? (cr->qop == DIGEST_QOP_NONE ||
			     !(exp->qop_mask & DIGEST_QOP_MASK(cr->qop)))
			  : cr->qop != DIGEST_QOP_NONE)
		return DIGEST_BAD_QOP;
	return DIGEST_VALID;
}

int digest_verify(const struct digest_credentials *cr, const char *method,
		  struct xs_span body, const struct digest_expect *exp,
		  enum digest_check *result)
{
	char want[DIGEST_MAX_HEX + 1];
	int err = 0;

	if (!cr || !method || !exp || !result || (!exp->password && !exp->ha1_hex) ||
	    (unsigned)cr->algorithm >= DIGEST_ALG_COUNT)
		return -EINVAL;
	if (cr->userhash && !exp->username)
		return -EINVAL; /* the real name is needed to hash A1 */
	enum digest_check c = check_fields(cr, exp, &err);
	if (err < 0)
		return err;
	if (c != DIGEST_VALID) {
		*result = c;
		return 0;
	}
	struct digest_input in = {
		.algorithm = cr->algorithm,
		.username = cr->userhash ? exp->username : cr->username,
		.realm = cr->realm,
		.password = exp->ha1_hex ? NULL : exp->password,
		.ha1_hex = exp->ha1_hex,
		.nonce = cr->nonce,
		.cnonce = cr->cnonce,
		.nc = cr->nc,
		.qop = cr->qop,
		.method = method,
		.uri = cr->uri,
		.body = body,
	};
	err = digest_response(&in, want);
	if (err < 0)
		return err;
	size_t hl = algs[cr->algorithm].hexlen;
	bool ok = strlen(cr->response) == hl && xs_ct_equal(want, cr->response, hl);
	explicit_bzero(want, sizeof want);
	*result = ok ? DIGEST_VALID : DIGEST_BAD_RESPONSE;
	return 0;
}
