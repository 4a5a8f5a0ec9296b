/* SPDX-License-Identifier: MIT */
/* test-digest.c — digest math (RFC vectors), header codec (errors table, round trips), verification. */
#include <criterion/criterion.h>

#include "harness/digest/digest.h"
#include "harness/digest/digest-int.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static const char *hash_str(enum digest_alg a, const char *s)
{
	static char out[DIGEST_MAX_HEX + 1];
	struct xs_span p = xs_span_str(s);
	cr_assert_eq(digest_hash_join(a, &p, 1, false, out), 0);
	return out;
}

/* RFC 2617 §3.5 */
#define RFC2617_IN(alg, q)                                                                      \
	.algorithm = (alg), .username = "Mufasa", .realm = "testrealm@host.com",                 \
	.password = "Circle Of Life", .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",             \
	.cnonce = "0a4f113b", .nc = "00000001", .qop = (q), .method = "GET",                     \
	.uri = "/dir/index.html"
static const struct digest_input rfc2617 = { RFC2617_IN(DIGEST_MD5, DIGEST_QOP_AUTH) };

/* RFC 7616 §3.9.1 */
#define RFC7616_IN(alg)                                                                         \
	.algorithm = (alg), .username = "Mufasa", .realm = "http-auth@example.org",              \
	.password = "Circle of Life", .nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",   \
	.cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", .nc = "00000001",              \
	.qop = DIGEST_QOP_AUTH, .method = "GET", .uri = "/dir/index.html"

/* RFC 7616 §3.9.2 with SHA-512/256 as FIPS 180-4 defines it (erratum 4897). */
#define RFC7616_SHA512_IN                                                                       \
	.algorithm = DIGEST_SHA512_256, .username = "J\xc3\xa4s\xc3\xb8n Doe",                   \
	.realm = "api@example.org", .password = "Secret, or not?",                               \
	.nonce = "5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK",                                 \
	.cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v", .nc = "00000001",              \
	.qop = DIGEST_QOP_AUTH, .method = "GET", .uri = "/doe.json"
static const struct digest_input rfc7616_sha512 = { RFC7616_SHA512_IN };

/*
 * Every vector of ../shared/reference/digest-vectors.md, and our own for the
 * other forms (recomputed apart with Python's hashlib). ha2 is H(method ":" uri).
 */
static const struct vector {
	const char *name;
	struct digest_input in;
	const char *ha1, *ha2, *response;
} vectors[] = {
	{ "RFC 2617 3.5", { RFC2617_IN(DIGEST_MD5, DIGEST_QOP_AUTH) },
	  "939e7578ed9e3c518a452acee763bce9", "39aff3a2bab6126f332b942af96d3366",
	  "6629fae49393a05397450978507c4ef1" },
	{ "RFC 7616 3.9.1 MD5", { RFC7616_IN(DIGEST_MD5) }, NULL, NULL,
	  "8ca523f5e9506fed4657c9700eebdbec" },
	{ "RFC 7616 3.9.1 SHA-256", { RFC7616_IN(DIGEST_SHA256) },
	  "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
	  "9a3fdae9a622fe8de177c24fa9c070f2b181ec85e15dcbdc32e10c82ad450b04",
	  "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1" },
	{ "RFC 7616 3.9.2 SHA-512-256 (FIPS 180-4)", { RFC7616_SHA512_IN },
	  "2d3d9f12c9f3d30011259dc5fecee005ae24de40e3e1f61806d03e65f1e6024f",
	  "1734b070bafdeb53ae52f93659427bb4bc545e2ef4d5e74ba247dad4861b4634",
	  "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5" },
	/* RFC 2617 3.2.2.2 text / RFC 7616 3.4.2: H(hex(H(A1)) ":" nonce ":" cnonce). */
	{ "MD5-sess, hex inner HA1", { RFC2617_IN(DIGEST_MD5_SESS, DIGEST_QOP_AUTH) },
	  "5edb191b66dce1584c16cb7e7346fcee", NULL, "8e3825c57e897f5a0dec6c2d4e5059d0" },
	/* RFC 2069 / RFC 3261 22.4: H(HA1 ":" nonce ":" HA2). */
	{ "MD5 without qop", { RFC2617_IN(DIGEST_MD5, DIGEST_QOP_NONE) }, NULL, NULL,
	  "670fd8c2df070c60b045671b8b24ff02" },
};

Test(digest, vectors)
{
	for (size_t i = 0; i < XS_ARRAY_SIZE(vectors); i++) {
		const struct vector *v = &vectors[i];
		char out[DIGEST_MAX_HEX + 1], a2[128];
		if (v->ha1) {
			cr_assert_eq(digest_ha1(&v->in, out), 0, "%s", v->name);
			cr_expect_str_eq(out, v->ha1, "%s: HA1", v->name);
		}
		if (v->ha2) {
			snprintf(a2, sizeof a2, "%s:%s", v->in.method, v->in.uri);
			cr_expect_str_eq(hash_str(v->in.algorithm, a2), v->ha2, "%s: HA2", v->name);
		}
		cr_assert_eq(digest_response(&v->in, out), 0, "%s", v->name);
		cr_expect_str_eq(out, v->response, "%s: response", v->name);
	}
}

Test(digest, sha512_256_is_fips_180_4)
{
	cr_assert_str_eq(hash_str(DIGEST_SHA512_256, "abc"),
			 "53048e2681941ef99b2e29b76b4c7dabe4c2d0c634fc6d46e0e2f13107e7af23");
	cr_assert_str_eq(hash_str(DIGEST_MD5, ""), "d41d8cd98f00b204e9800998ecf8427e");
}

Test(digest, rfc7616_sha512_256_userhash)
{
	char out[DIGEST_MAX_HEX + 1];
	const struct digest_input *in = &rfc7616_sha512;
	cr_assert_eq(digest_userhash(in->algorithm, in->username, in->realm, out), 0);
	cr_assert_str_eq(out, "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
	/* What the RFC prints is truncated SHA-512: make sure that is not what we compute. */
	cr_assert_str_neq(out, "488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec");
}

/* Binary-HA1 reading of MD5-sess (RFC 2617 sample code, erratum 1649), computed apart. */
static void md5_sess_binary(const struct digest_input *in, char out[33])
{
	unsigned char inner[16], md[16];
	unsigned n;
	char a1[256];
	int len = snprintf(a1, sizeof a1, "%s:%s:%s", in->username, in->realm, in->password);
	EVP_Digest(a1, (size_t)len, inner, &n, EVP_md5(), NULL);
	unsigned char buf[256];
	memcpy(buf, inner, 16);
	len = snprintf((char *)buf + 16, sizeof buf - 16, ":%s:%s", in->nonce, in->cnonce);
	EVP_Digest(buf, 16 + (size_t)len, md, &n, EVP_md5(), NULL);
	xs_hex(out, md, 16);
}

Test(digest, md5_sess_follows_hex_reading)
{
	struct digest_input in = rfc2617;
	char ha1[DIGEST_MAX_HEX + 1], bin[33], resp[DIGEST_MAX_HEX + 1];
	in.algorithm = DIGEST_MD5_SESS;
	cr_assert_eq(digest_ha1(&in, ha1), 0);
	/* RFC 2617 §3.2.2.2 text and RFC 7616 §3.4.2: H(hex(H(A1)) ":" nonce ":" cnonce). */
	cr_assert_str_eq(ha1, "5edb191b66dce1584c16cb7e7346fcee");
	cr_assert_eq(digest_response(&in, resp), 0);
	cr_assert_str_neq(resp, "68c13aa36c0e5ab2e1e1e684dacc873b", "binary reading's response");
	/* The other reading gives another value, which we do not produce. */
	md5_sess_binary(&in, bin);
	cr_assert_str_eq(bin, "71f45625a6e5fcdd072ce44e8e101a01");
	cr_assert_str_neq(ha1, bin);
	/* -sess over a stored HA1 equals -sess over the password. */
	in.password = NULL;
	in.ha1_hex = "939E7578ED9E3C518A452ACEE763BCE9";
	char ha1b[DIGEST_MAX_HEX + 1];
	cr_assert_eq(digest_ha1(&in, ha1b), 0);
	cr_assert_str_eq(ha1b, ha1);
}

Test(digest, no_qop_and_auth_int_body_bytes)
{
	struct digest_input in = rfc2617;
	char out[DIGEST_MAX_HEX + 1];
	in.qop = DIGEST_QOP_NONE;
	in.nc = in.cnonce = NULL;
	cr_assert_eq(digest_response(&in, out), 0, "no qop needs neither nc nor cnonce");
	cr_assert_str_eq(out, "670fd8c2df070c60b045671b8b24ff02", "RFC 2069 / RFC 3261 form");

	in = rfc2617;
	in.qop = DIGEST_QOP_AUTH_INT;
	in.body = xs_span_str("http://10.0.0.1/x");
	cr_assert_eq(digest_response(&in, out), 0);
	cr_assert_str_eq(out, "2d3c6ee37767731b1fcfc0807474bcb9");
	in.body = XS_SPAN_NULL;
	cr_assert_eq(digest_response(&in, out), 0);
	cr_assert_str_eq(out, "5e6610ecf9ba3017a4870ad48e3ad30b", "empty body is H(\"\")");
	in.body = xs_span_str("http://10.0.0.1/x\n");
	cr_assert_eq(digest_response(&in, out), 0);
	cr_assert_str_neq(out, "2d3c6ee37767731b1fcfc0807474bcb9", "exact body bytes");
}

Test(digest, missing_inputs_are_einval)
{
	char out[DIGEST_MAX_HEX + 1];
	struct digest_input in = rfc2617;
	in.cnonce = NULL;
	cr_assert_eq(digest_response(&in, out), -EINVAL);
	in = rfc2617;
	in.nc = NULL;
	cr_assert_eq(digest_response(&in, out), -EINVAL);
	in = rfc2617;
	in.password = NULL;
	cr_assert_eq(digest_response(&in, out), -EINVAL);
	in.ha1_hex = "939e7578ed9e3c518a452acee763bce"; /* 31 digits */
	cr_assert_eq(digest_response(&in, out), -EINVAL);
	in.ha1_hex = "939e7578ed9e3c518a452acee763bcez";
	cr_assert_eq(digest_response(&in, out), -EINVAL);
	in.ha1_hex = "939e7578ed9e3c518a452acee763bce9";
	cr_assert_eq(digest_response(&in, out), 0);
	cr_assert_str_eq(out, "6629fae49393a05397450978507c4ef1");
	in = rfc2617;
	in.algorithm = DIGEST_ALG_COUNT;
	cr_assert_eq(digest_response(&in, out), -EINVAL);
}

Test(digest, long_inputs_stream)
{
	/* Past the one-update buffer the hash streams the pieces: same answer. */
	static char user[3000];
	memset(user, 'u', sizeof user - 1);
	struct digest_input in = rfc2617;
	in.username = user;
	char a[DIGEST_MAX_HEX + 1], b[DIGEST_MAX_HEX + 1];
	cr_assert_eq(digest_ha1(&in, a), 0);
	unsigned char md[16];
	unsigned n;
	static char a1[3100];
	int len = snprintf(a1, sizeof a1, "%s:%s:%s", user, in.realm, in.password);
	EVP_Digest(a1, (size_t)len, md, &n, EVP_md5(), NULL);
	xs_hex(b, md, 16);
	cr_assert_str_eq(a, b);
}

Test(digest, names)
{
	enum digest_alg a;
	for (unsigned i = 0; i < DIGEST_ALG_COUNT; i++) {
		cr_assert_eq(digest_alg_from_name(xs_span_str(digest_alg_name(i)), &a), 0);
		cr_assert_eq(a, i);
	}
	cr_assert_eq(digest_alg_from_name(xs_span_str("sha-512-256-SESS"), &a), 0);
	cr_assert_eq(a, DIGEST_SHA512_256_SESS);
	cr_assert_eq(digest_alg_from_name(xs_span_str("SHA-512"), &a), -EINVAL);
	cr_assert_eq(digest_alg_hexlen(DIGEST_MD5_SESS), 32);
	cr_assert_eq(digest_alg_hexlen(DIGEST_SHA512_256), 64);
	cr_assert(digest_alg_is_sess(DIGEST_SHA256_SESS));
	cr_assert(!digest_alg_is_sess(DIGEST_SHA256));
	cr_assert_str_eq(digest_qop_name(DIGEST_QOP_AUTH_INT), "auth-int");
	cr_assert_str_eq(digest_check_name(DIGEST_BAD_REALM), "wrong realm");
	cr_assert_str_eq(digest_perr_name(DIGEST_PERR_NC), "nc is not 8 hex digits");
}

/* Header codec */

/* digest_verify that must not fail as a call; its verdict. */
static enum digest_check check(const struct digest_credentials *c, const char *method,
			       const struct digest_expect *ex)
{
	enum digest_check r = DIGEST_VALID;
	cr_assert_eq(digest_verify(c, method, XS_SPAN_NULL, ex, &r), 0);
	return r;
}

static int parse_cred(const char *s, struct digest_credentials *c, struct digest_error *e)
{
	return digest_credentials_parse((const uint8_t *)s, strlen(s), c, e);
}

static int parse_chal(const char *s, struct digest_challenge *c, size_t max, size_t *n,
		      struct digest_error *e)
{
	return digest_challenge_parse((const uint8_t *)s, strlen(s), c, max, n, e);
}

static const char rfc2617_auth[] =
	"Digest username=\"Mufasa\",\r\n realm=\"testrealm@host.com\",\r\n"
	" nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",\r\n uri=\"/dir/index.html\",\r\n"
	" qop=auth,\r\n nc=00000001,\r\n cnonce=\"0a4f113b\",\r\n"
	" response=\"6629fae49393a05397450978507c4ef1\",\r\n"
	" opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"";

Test(digest, parse_rfc2617_credentials)
{
	struct digest_credentials c;
	struct digest_error e;
	cr_assert_eq(parse_cred(rfc2617_auth, &c, &e), 0, "%s", digest_perr_name(e.code));
	cr_assert_str_eq(c.username, "Mufasa");
	cr_assert_str_eq(c.realm, "testrealm@host.com");
	cr_assert_str_eq(c.uri, "/dir/index.html");
	cr_assert_eq(c.qop, DIGEST_QOP_AUTH);
	cr_assert_str_eq(c.nc, "00000001");
	cr_assert_eq(c.nc_value, 1);
	cr_assert_str_eq(c.cnonce, "0a4f113b");
	cr_assert(c.has_opaque);
	cr_assert(!c.has_algorithm);
	cr_assert_eq(c.algorithm, DIGEST_MD5);

	struct digest_expect ex = { .username = "Mufasa", .realm = "testrealm@host.com",
				    .uri = "/dir/index.html",
				    .nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093",
				    .password = "Circle Of Life",
				    .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	enum digest_check res = DIGEST_BAD_RESPONSE;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID);
	ex.password = "Circle of Life";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_RESPONSE);
	cr_assert_eq(check(&c, "POST", &ex), DIGEST_BAD_RESPONSE);
	ex.password = NULL;
	ex.ha1_hex = "939e7578ed9e3c518a452acee763bce9";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID);
	ex.ha1_hex = NULL;
	cr_assert_eq(digest_verify(&c, "GET", XS_SPAN_NULL, &ex, &res), -EINVAL);
}

/* A header parsed again is remembered (the analyzer's intent, then the rules): the
 * same answers, and a different header of the same length, or a bad one in
 * between, gets its own. */
Test(digest, credentials_parsed_again_give_the_same)
{
	char other[sizeof rfc2617_auth];
	memcpy(other, rfc2617_auth, sizeof other);
	char *u = strstr(other, "Mufasa");
	cr_assert_not_null(u);
	memcpy(u, "Simba!", 6);
	struct digest_credentials a, b;
	struct digest_error e;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(parse_cred(rfc2617_auth, &a, &e), 0);
		cr_assert_eq(parse_cred(rfc2617_auth, &b, &e), 0);
		cr_assert_eq(e.code, DIGEST_PERR_NONE);
		cr_assert_eq(memcmp(&a, &b, sizeof a), 0);
		cr_assert_str_eq(b.username, "Mufasa");
		cr_assert_eq(parse_cred(other, &b, &e), 0);
		cr_assert_str_eq(b.username, "Simba!", "same length, not the same header");
		cr_assert_eq(parse_cred("Digest username=", &b, &e), -EBADMSG);
		cr_assert_neq(e.code, DIGEST_PERR_NONE);
	}
}

Test(digest, challenges_parsed_again_give_the_same)
{
	static const char two[] = "Digest realm=\"a\", nonce=\"n1\", qop=\"auth\", "
				  "Digest realm=\"a\", nonce=\"n2\", algorithm=SHA-256";
	char other[sizeof two];
	memcpy(other, two, sizeof other);
	other[14] = 'b'; /* same length, another realm */
	struct digest_challenge a[4], b[4];
	struct digest_error e;
	for (int i = 0; i < 2; i++) {
		size_t na = 0, nb = 1;
		cr_assert_eq(parse_chal(two, a, 4, &na, &e), 2);
		memset(b, 0, sizeof b);
		cr_assert_eq(parse_chal(two, b, 4, &nb, &e), 2, "appended after what is there");
		cr_assert_eq(na, 2);
		cr_assert_eq(nb, 3);
		cr_assert_eq(e.code, DIGEST_PERR_NONE);
		cr_assert_eq(memcmp(&a[0], &b[1], 2 * sizeof a[0]), 0);
		/* no room for both: the error a first parse gives */
		nb = 3;
		cr_assert_eq(parse_chal(two, b, 4, &nb, &e), -EBADMSG);
		cr_assert_eq(e.code, DIGEST_PERR_TOOMANY);
		nb = 0;
		cr_assert_eq(parse_chal(other, b, 4, &nb, &e), 2);
		cr_assert_str_eq(b[0].realm, "b", "same length, not the same header");
		/* one passed over is said again on every parse */
		nb = 0;
		cr_assert_eq(parse_chal("Digest realm=r, nonce=x, algorithm=MD7, Digest realm=r, nonce=y",
					b, 4, &nb, &e), 1);
		cr_assert_eq(e.code, DIGEST_PERR_ALGORITHM);
	}
}

Test(digest, verify_names_the_failing_check)
{
	struct digest_credentials c;
	cr_assert_eq(parse_cred(rfc2617_auth, &c, NULL), 0);
	const struct digest_expect good = {
		.username = "Mufasa", .realm = "testrealm@host.com", .uri = "/dir/index.html",
		.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093", .password = "Circle Of Life",
		.alg_mask = 1u << DIGEST_MD5, .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH),
	};
	struct digest_expect ex;

	ex = good;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID);
	ex = good, ex.username = "mufasa";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_USERNAME);
	ex = good, ex.realm = "other";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_REALM);
	ex = good, ex.uri = "/dir/other.html";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_URI);
	ex = good, ex.nonce = "00";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_NONCE);
	ex = good, ex.alg_mask = 1u << DIGEST_SHA256;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_ALGORITHM);
	ex = good, ex.qop_mask = 0;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_QOP);
	ex = good, ex.qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT);
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_QOP);
	ex = good, ex.password = "x";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_RESPONSE);
	/* Order: a wrong realm is reported before a wrong password. */
	ex = good, ex.realm = "other", ex.password = "x";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_REALM);
	/* A response of another case is the same hex. */
	c.response[0] = 'X';
	ex = good;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_RESPONSE);
}

Test(digest, parse_rfc7616_sha512_userhash)
{
	static const char h[] =
		"Digest username=\"793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b\","
		" realm=\"api@example.org\", uri=\"/doe.json\", algorithm=SHA-512-256,"
		" nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", nc=00000001,"
		" cnonce=\"NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v\", qop=auth,"
		" response=\"3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5\","
		" opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", userhash=true";
	struct digest_credentials c;
	struct digest_error e;
	cr_assert_eq(parse_cred(h, &c, &e), 0, "%s %s", digest_perr_name(e.code), e.param);
	cr_assert(c.userhash);
	cr_assert_eq(c.algorithm, DIGEST_SHA512_256);
	struct digest_expect ex = { .username = "J\xc3\xa4s\xc3\xb8n Doe", .realm = "api@example.org",
				    .password = "Secret, or not?",
				    .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	enum digest_check r;
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID);
	ex.username = "Jason Doe";
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_BAD_USERNAME);
	ex.username = NULL;
	cr_assert_eq(digest_verify(&c, "GET", XS_SPAN_NULL, &ex, &r), -EINVAL);
}

Test(digest, username_star_rfc5987)
{
	struct digest_credentials c;
	struct digest_error e;
	const char *h = "Digest username*=UTF-8''J%C3%A4s%C3%B8n%20Doe, realm=\"api@example.org\","
			" uri=\"/doe.json\", nonce=\"n\", response=\"00000000000000000000000000000000\"";
	cr_assert_eq(parse_cred(h, &c, &e), 0, "%s", digest_perr_name(e.code));
	cr_assert(c.username_ext);
	cr_assert_str_eq(c.username, "J\xc3\xa4s\xc3\xb8n Doe");
	h = "Digest username*=iso-8859-1'de'J%E4son, realm=r, uri=\"/\", nonce=n,"
	    " response=\"00000000000000000000000000000000\"";
	cr_assert_eq(parse_cred(h, &c, &e), 0);
	cr_assert_str_eq(c.username, "J\xc3\xa4son");

	/* Formatting takes it back to the same value. */
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&c, &b), 0);
	cr_assert(strstr(xs_buf_cstr(&b), "username*=UTF-8''J%C3%A4son"), "%s", xs_buf_cstr(&b));
	struct digest_credentials c2;
	cr_assert_eq(digest_credentials_parse(b.p, b.len, &c2, &e), 0);
	cr_assert_str_eq(c2.username, c.username);
	xs_buf_reset(&b);
}

/* A malformed header, the error it must get and the parameter named. */
struct perr_case {
	const char *hdr;
	enum digest_perr code;
	const char *param;
};

static void expect_error(size_t i, const char *h, int r, const struct digest_error *e,
			 const struct perr_case *want)
{
	cr_expect_eq(r, -EBADMSG, "[%zu] %s: accepted", i, h);
	cr_expect_eq(e->code, want->code, "[%zu] %s: got %s", i, h, digest_perr_name(e->code));
	cr_expect_str_eq(e->param, want->param, "[%zu] %s: param '%s'", i, h, e->param);
}

/* The malformed-header table: every error with its code and the parameter named. */
Test(digest, credentials_errors_table)
{
	static const char R[] = "response=\"6629fae49393a05397450978507c4ef1\"";
	static const struct perr_case t[] = {
		{ "", DIGEST_PERR_EMPTY, "" },
		{ " \t\r\n ", DIGEST_PERR_EMPTY, "" },
		{ "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", DIGEST_PERR_SCHEME, "Basic" },
		{ "Digest", DIGEST_PERR_MISSING, "username" },
		{ "Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ==", DIGEST_PERR_SYNTAX, "Digest" },
		{ "Digest username=\"a\" realm=\"r\"", DIGEST_PERR_SYNTAX, "username" },
		{ "Digest username", DIGEST_PERR_SYNTAX, "Digest" },
		{ "Digest username=, realm=r", DIGEST_PERR_SYNTAX, "username" },
		{ "Digest =x", DIGEST_PERR_SYNTAX, "" },
		{ "Digest username=\"a, realm=r", DIGEST_PERR_QUOTE, "username" },
		{ "Digest username=\"a\\", DIGEST_PERR_QUOTE, "username" },
		{ "Digest username=\"a\x01\", realm=r", DIGEST_PERR_QUOTE, "username" },
		{ "Digest username=a, uri=/dir/index.html", DIGEST_PERR_QUOTE, "uri" },
		{ "Digest username=a, username=b", DIGEST_PERR_DUPLICATE, "username" },
		{ "Digest username=a, NONCE=b, nonce=c", DIGEST_PERR_DUPLICATE, "nonce" },
		{ "Digest username=a, username*=UTF-8''b", DIGEST_PERR_DUPLICATE, "username*" },
		{ "Digest username=a, foo=1, foo=2", DIGEST_PERR_DUPLICATE, "foo" },
		{ "Digest username=a, nonce=n, uri=\"/\", response=\"x\"", DIGEST_PERR_MISSING,
		  "realm" },
		{ "Digest username=a, realm=r, uri=\"/\", response=\"x\"", DIGEST_PERR_MISSING,
		  "nonce" },
		{ "Digest username=a, realm=r, nonce=n, response=\"x\"", DIGEST_PERR_MISSING, "uri" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\"", DIGEST_PERR_MISSING, "response" },
		{ "Digest username=a, nc=0000001", DIGEST_PERR_NC, "nc" },
		{ "Digest username=a, nc=000000001", DIGEST_PERR_NC, "nc" },
		{ "Digest username=a, nc=0000000g", DIGEST_PERR_NC, "nc" },
		{ "Digest username=a, nc=\"0000001\"", DIGEST_PERR_NC, "nc" },
		{ "Digest username=a, algorithm=SHA-512", DIGEST_PERR_ALGORITHM, "algorithm" },
		{ "Digest username=a, algorithm=AKAv1-MD5", DIGEST_PERR_ALGORITHM, "algorithm" },
		{ "Digest username=a, qop=auth-conf", DIGEST_PERR_QOP, "qop" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\", qop=auth, cnonce=c, %s",
		  DIGEST_PERR_QOP, "nc" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\", qop=auth, nc=00000001, %s",
		  DIGEST_PERR_QOP, "cnonce" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\", algorithm=MD5-sess, %s",
		  DIGEST_PERR_MISSING, "cnonce" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\", response=\"6629\"",
		  DIGEST_PERR_RESPONSE, "response" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\", algorithm=SHA-256, %s",
		  DIGEST_PERR_RESPONSE, "response" },
		{ "Digest username=a, realm=r, nonce=n, uri=\"/\","
		  " response=\"6629fae49393a05397450978507c4efg\"",
		  DIGEST_PERR_RESPONSE, "response" },
		{ "Digest username*=UTF-8'J%C3, realm=r", DIGEST_PERR_SYNTAX, "username*" },
		{ "Digest username*=UTF-8''J%C, realm=r", DIGEST_PERR_SYNTAX, "username*" },
		{ "Digest username*=KOI8-R''x, realm=r", DIGEST_PERR_SYNTAX, "username*" },
		{ "Digest username*=UTF-8''a%00b, realm=r", DIGEST_PERR_SYNTAX, "username*" },
		{ "Digest username*=UTF-8''a, realm=r, nonce=n, uri=\"/\", userhash=true, %s",
		  DIGEST_PERR_SYNTAX, "username*" },
		{ "Digest username=a, realm=r, Digest username=b", DIGEST_PERR_SYNTAX, "Digest" },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(t); i++) {
		char h[512];
		const char *mark = strstr(t[i].hdr, "%s");
		if (mark)
			snprintf(h, sizeof h, "%.*s%s%s", (int)(mark - t[i].hdr), t[i].hdr, R, mark + 2);
		else
			snprintf(h, sizeof h, "%s", t[i].hdr);
		struct digest_credentials c;
		struct digest_error e;
		expect_error(i, h, parse_cred(h, &c, &e), &e, &t[i]);
	}
}

Test(digest, too_long_and_too_many)
{
	char h[2048];
	struct digest_credentials c;
	struct digest_error e;
	int n = snprintf(h, sizeof h, "Digest username=\"");
	memset(h + n, 'a', DIGEST_MAX_PARAM);
	snprintf(h + n + DIGEST_MAX_PARAM, sizeof h - (size_t)n - DIGEST_MAX_PARAM, "\"");
	cr_assert_eq(parse_cred(h, &c, &e), -EBADMSG);
	cr_assert_eq(e.code, DIGEST_PERR_TOOLONG);
	cr_assert_str_eq(e.param, "username");

	struct xs_buf b = { 0 };
	xs_buf_puts(&b, "Digest realm=r");
	for (int i = 0; i < 40; i++)
		xs_buf_printf(&b, ", x%d=1", i);
	cr_assert_eq(digest_credentials_parse(b.p, b.len, &c, &e), -EBADMSG);
	cr_assert_eq(e.code, DIGEST_PERR_TOOLONG);
	xs_buf_reset(&b);

	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	size_t k = 0;
	for (int i = 0; i <= DIGEST_MAX_CHALLENGES; i++)
		xs_buf_printf(&b, "%sDigest realm=r, nonce=n%d", i ? ", " : "", i);
	cr_assert_eq(digest_challenge_parse(b.p, b.len, ch, DIGEST_MAX_CHALLENGES, &k, &e), -EBADMSG);
	cr_assert_eq(e.code, DIGEST_PERR_TOOMANY);
	cr_assert_eq(k, DIGEST_MAX_CHALLENGES);
	xs_buf_reset(&b);

	char msg[128];
	e = (struct digest_error){ DIGEST_PERR_DUPLICATE, "nonce", 42 };
	digest_error_format(&e, msg, sizeof msg);
	cr_assert_str_eq(msg, "duplicate parameter 'nonce' at byte 42");
}

Test(digest, challenges_several_and_across_headers)
{
	struct digest_challenge c[DIGEST_MAX_CHALLENGES];
	struct digest_error e;
	size_t n = 0;
	const char *h1 = "Basic realm=\"x\", Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\","
			 " algorithm=SHA-256, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","
			 " opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\","
			 " Negotiate YIIabc==, Digest realm=\"http-auth@example.org\", qop=\"auth\","
			 " algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","
			 " opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
	cr_assert_eq(parse_chal(h1, c, DIGEST_MAX_CHALLENGES, &n, &e), 2, "%s '%s' @%zu",
		     digest_perr_name(e.code), e.param, e.offset);
	const char *h2 = "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256-sess, qop=auth-int,"
			 " stale=TRUE, userhash=true, charset=UTF-8, domain=\"sip:a sip:b\", foo=bar";
	cr_assert_eq(parse_chal(h2, c, DIGEST_MAX_CHALLENGES, &n, &e), 1);
	cr_assert_eq(parse_chal("Basic realm=x", c, DIGEST_MAX_CHALLENGES, &n, &e), 0);
	cr_assert_eq(n, 3);
	cr_assert_eq(c[0].algorithm, DIGEST_SHA256);
	cr_assert_eq(c[0].qop_mask, DIGEST_QOP_MASK(DIGEST_QOP_AUTH) | DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT));
	cr_assert_str_eq(c[0].opaque, "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS");
	cr_assert_eq(c[1].algorithm, DIGEST_MD5);
	cr_assert_eq(c[2].algorithm, DIGEST_SHA512_256_SESS);
	cr_assert(c[2].stale && c[2].userhash && c[2].charset_utf8);
	cr_assert_str_eq(c[2].domain, "sip:a sip:b");
	cr_assert_eq(c[2].qop_mask, DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT));
	cr_assert_eq(digest_challenge_pick(c, n), 2, "SHA-512-256 is the strongest");
	cr_assert_eq(digest_challenge_pick(c, 2), 0);
	cr_assert_eq(digest_challenge_pick(c, 0), -ENOENT);

	/* Same algorithm: the one with a qop wins; unusable qop is skipped. */
	n = 0;
	cr_assert_eq(parse_chal("Digest realm=r, nonce=a, Digest realm=r, nonce=b, qop=\"auth\","
				" Digest realm=r, nonce=c, qop=\"auth-conf\", algorithm=SHA-256",
				c, DIGEST_MAX_CHALLENGES, &n, &e), 3);
	cr_assert(c[2].has_qop && !c[2].qop_mask);
	cr_assert_eq(digest_challenge_pick(c, n), 1);
	cr_assert_eq(digest_challenge_pick(c + 2, 1), -ENOENT);
}

Test(digest, challenge_errors_table)
{
	static const struct perr_case t[] = {
		{ "", DIGEST_PERR_EMPTY, "" },
		{ "Digest nonce=n", DIGEST_PERR_MISSING, "realm" },
		{ "Digest realm=r", DIGEST_PERR_MISSING, "nonce" },
		{ "Digest realm=r, nonce=n, realm=s", DIGEST_PERR_DUPLICATE, "realm" },
		{ "Digest realm=r, nonce=n, algorithm=SHA-1", DIGEST_PERR_ALGORITHM, "algorithm" },
		{ "Digest realm=\"r, nonce=n", DIGEST_PERR_QUOTE, "realm" },
		{ "Digest realm=r nonce=n", DIGEST_PERR_SYNTAX, "realm" },
		{ "Digest realm=r, nonce=n, qop=\"auth;int\"", DIGEST_PERR_QOP, "qop" },
		{ "Basic realm=x, Digest realm=r", DIGEST_PERR_MISSING, "nonce" },
		{ "Digest realm=r, nonce=n, Digest realm=r", DIGEST_PERR_MISSING, "nonce" },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(t); i++) {
		struct digest_challenge c[4];
		struct digest_error e;
		size_t n = 0;
		expect_error(i, t[i].hdr, parse_chal(t[i].hdr, c, 4, &n, &e), &e, &t[i]);
	}
}

/* RFC 7616 §3.7: a challenge naming an unknown algorithm is passed over, not fatal. */
Test(digest, unknown_algorithm_challenge_is_passed_over)
{
	struct digest_challenge c[4];
	struct digest_error e;
	size_t n = 0;
	cr_assert_eq(parse_chal("Digest realm=r, nonce=a, algorithm=FOO, qop=auth, "
				"Digest realm=r, nonce=b, algorithm=MD5, qop=auth",
				c, 4, &n, &e), 1);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(c[0].nonce, "b");
	cr_assert_eq(e.code, DIGEST_PERR_ALGORITHM, "the passed-over challenge is still named");
	cr_assert_eq(digest_challenge_pick(c, n), 0);
	/* the same across two header lines, and an unusable header alone still fails */
	n = 0;
	cr_assert_eq(parse_chal("Digest realm=r, nonce=a, algorithm=AKAv1-MD5", c, 4, &n, &e),
		     -EBADMSG);
	cr_assert_eq(e.code, DIGEST_PERR_ALGORITHM);
	cr_assert_eq(parse_chal("Digest realm=r, nonce=b", c, 4, &n, &e), 1);
	cr_assert_eq(n, 1);
	/* a syntax error is still fatal for its header, wherever it stands */
	n = 0;
	cr_assert_eq(parse_chal("Digest realm=r, nonce=a, algorithm=FOO, Digest realm=\"r",
				c, 4, &n, &e), -EBADMSG);
	cr_assert_eq(e.code, DIGEST_PERR_QUOTE);
}

Test(digest, challenge_round_trip)
{
	struct digest_challenge c = { 0 }, d[2];
	strcpy(c.realm, "a \"quoted\" realm\\x");
	strcpy(c.nonce, "n/+=");
	strcpy(c.opaque, "op");
	strcpy(c.domain, "sip:x");
	c.has_opaque = c.has_algorithm = c.has_qop = c.stale = c.userhash = c.charset_utf8 = true;
	c.algorithm = DIGEST_SHA256_SESS;
	c.qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) | DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT);
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_challenge_format(&c, &b), 0);
	size_t n = 0;
	struct digest_error e;
	cr_assert_eq(digest_challenge_parse(b.p, b.len, d, 2, &n, &e), 1, "%s", xs_buf_cstr(&b));
	cr_assert_eq(memcmp(&c, &d[0], sizeof c), 0, "%s", xs_buf_cstr(&b));
	xs_buf_reset(&b);
	strcpy(c.realm, "bad\nrealm");
	cr_assert_eq(digest_challenge_format(&c, &b), -EINVAL);
	xs_buf_reset(&b);
}

/* digest_answer, format, parse, verify: every algorithm and qop. */
Test(digest, answer_round_trip_all_algorithms)
{
	static const enum digest_qop qops[] = { DIGEST_QOP_NONE, DIGEST_QOP_AUTH, DIGEST_QOP_AUTH_INT };
	struct xs_span body = xs_span_str("http://127.0.0.1:8080/x");
	for (unsigned a = 0; a < DIGEST_ALG_COUNT; a++)
		for (size_t q = 0; q < XS_ARRAY_SIZE(qops); q++)
			for (int uh = 0; uh < 2; uh++) {
				struct digest_challenge ch = { .has_algorithm = true, .algorithm = a,
							       .userhash = uh };
				strcpy(ch.realm, "xs");
				strcpy(ch.nonce, "abc");
				if (qops[q]) {
					ch.has_qop = true;
					ch.qop_mask = DIGEST_QOP_MASK(qops[q]);
				}
				struct digest_credentials cr, back;
				cr_assert_eq(digest_answer(&ch, "line1", "s3cret", "NOTIFY",
							   "sip:line1@127.0.0.1", body, "cn",
							   0x1a, &cr), 0);
				cr_assert_eq(cr.qop, qops[q]);
				struct xs_buf b = { 0 };
				cr_assert_eq(digest_credentials_format(&cr, &b), 0);
				struct digest_error e;
				cr_assert_eq(digest_credentials_parse(b.p, b.len, &back, &e), 0,
					     "%s: %s '%s'", xs_buf_cstr(&b),
					     digest_perr_name(e.code), e.param);
				cr_assert_eq(memcmp(&cr, &back, sizeof cr), 0, "%s", xs_buf_cstr(&b));
				struct digest_expect ex = {
					.username = "line1", .realm = "xs",
					.uri = "sip:line1@127.0.0.1", .nonce = "abc",
					.password = "s3cret", .alg_mask = 1u << a,
					.qop_mask = ch.qop_mask,
				};
				enum digest_check r;
				cr_assert_eq(digest_verify(&back, "NOTIFY", body, &ex, &r), 0);
				cr_assert_eq(r, DIGEST_VALID, "%s", xs_buf_cstr(&b));
				struct xs_span other = xs_span_str("http://127.0.0.1:8080/x\r\n");
				cr_assert_eq(digest_verify(&back, "NOTIFY", other, &ex, &r), 0);
				cr_assert_eq(r, qops[q] == DIGEST_QOP_AUTH_INT ? DIGEST_BAD_RESPONSE
									      : DIGEST_VALID);
				xs_buf_reset(&b);
			}
}

Test(digest, answer_rfc7616_md5)
{
	struct digest_challenge ch[2];
	size_t n = 0;
	const char *h = "Digest realm=\"http-auth@example.org\", qop=\"auth, auth-int\","
			" algorithm=MD5, nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\","
			" opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"";
	cr_assert_eq(parse_chal(h, ch, 2, &n, NULL), 1);
	struct digest_credentials cr;
	cr_assert_eq(digest_answer(&ch[0], "Mufasa", "Circle of Life", "GET", "/dir/index.html",
				   XS_SPAN_NULL, "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", 1,
				   &cr), 0);
	cr_assert_str_eq(cr.response, "8ca523f5e9506fed4657c9700eebdbec");
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&cr, &b), 0);
	cr_assert_str_eq(xs_buf_cstr(&b),
			 "Digest username=\"Mufasa\", realm=\"http-auth@example.org\","
			 " uri=\"/dir/index.html\", algorithm=MD5,"
			 " nonce=\"7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v\", nc=00000001,"
			 " cnonce=\"f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ\", qop=auth,"
			 " response=\"8ca523f5e9506fed4657c9700eebdbec\","
			 " opaque=\"FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS\"");
	xs_buf_reset(&b);
	/* qop offered but only unknown values: nothing to answer with. */
	ch[0].qop_mask = 0;
	cr_assert_eq(digest_answer(&ch[0], "M", "p", "GET", "/", XS_SPAN_NULL, "c", 1, &cr), -EINVAL);
	ch[0].has_qop = false;
	cr_assert_eq(digest_answer(&ch[0], "M", "p", "GET", "/", XS_SPAN_NULL, NULL, 1, &cr), 0);
	cr_assert_eq(cr.qop, DIGEST_QOP_NONE);
	cr_assert_str_eq(cr.nc, "");
}

/* No input crashes the parsers: every prefix and every single-byte change. */
Test(digest, parsers_survive_mutations)
{
	char h[sizeof rfc2617_auth];
	struct digest_credentials c;
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	struct digest_error e;
	for (size_t len = 0; len < sizeof rfc2617_auth; len++) {
		size_t n = 0;
		(void)digest_credentials_parse((const uint8_t *)rfc2617_auth, len, &c, &e);
		(void)digest_challenge_parse((const uint8_t *)rfc2617_auth, len, ch,
					     DIGEST_MAX_CHALLENGES, &n, &e);
	}
	static const uint8_t bytes[] = { 0, '"', '\\', ',', '=', ' ', '\'', '%', 0xff };
	for (size_t i = 0; i < sizeof rfc2617_auth - 1; i++)
		for (size_t k = 0; k < sizeof bytes; k++) {
			size_t n = 0;
			memcpy(h, rfc2617_auth, sizeof h);
			h[i] = (char)bytes[k];
			(void)digest_credentials_parse((const uint8_t *)h, sizeof h - 1, &c, &e);
			(void)digest_challenge_parse((const uint8_t *)h, sizeof h - 1, ch,
						     DIGEST_MAX_CHALLENGES, &n, &e);
		}
}

/* Lenient where RFC 7235 says recipients must be: both value forms, case, folding, empty items. */
Test(digest, credentials_accepted_variants)
{
	static const char *const ok[] = {
		"digest USERNAME=\"Mufasa\", Realm=\"testrealm@host.com\", nonce=dcd98b7102dd2f0e8b11d0f600bfb0c093,"
		" uri=\"/dir/index.html\", qop=\"auth\", nc=\"00000001\", cnonce=0a4f113b,"
		" response=\"6629FAE49393A05397450978507C4EF1\", algorithm=\"md5\"",
		",  Digest  username = \"Mufasa\" ,, realm=\"testrealm@host.com\",\r\n\t"
		"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", uri=\"/dir/index.html\", qop=auth,"
		" nc=00000001, cnonce=\"0a4f113b\", response=\"6629fae49393a05397450978507c4ef1\","
		" unknown=\"x\\\"y\" , ",
		"Digest username=\"Mu\\fasa\", realm=\"testrealm@host.com\", nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
		" uri=\"/dir/index.html\", qop=auth, nc=00000001, cnonce=\"0a4f113b\","
		" response=\"6629fae49393a05397450978507c4ef1\"",
		/* compact, as some phones send it */
		"Digest username=\"Mufasa\",realm=\"testrealm@host.com\",nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\","
		"uri=\"/dir/index.html\",response=\"6629fae49393a05397450978507c4ef1\",cnonce=\"0a4f113b\","
		"nc=00000001,qop=auth,algorithm=MD5",
	};
	const struct digest_expect ex = { .username = "Mufasa", .realm = "testrealm@host.com",
					  .uri = "/dir/index.html", .password = "Circle Of Life",
					  .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	for (size_t i = 0; i < XS_ARRAY_SIZE(ok); i++) {
		struct digest_credentials c;
		struct digest_error e;
		cr_assert_eq(parse_cred(ok[i], &c, &e), 0, "[%zu] %s '%s' at %zu", i,
			     digest_perr_name(e.code), e.param, e.offset);
		cr_assert_str_eq(c.username, "Mufasa", "[%zu] quoted-pair unescaped", i);
		cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID, "[%zu]", i);
	}
}

/* nc without qop breaks RFC 2617 §3.2.2 but is seen in the field: kept, not in the hash. */
Test(digest, nc_without_qop_is_kept)
{
	const char *h = "Digest username=\"Mufasa\",realm=\"testrealm@host.com\","
			"nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\",uri=\"/dir/index.html\","
			"nc=\"00000001\",response=\"670fd8c2df070c60b045671b8b24ff02\"";
	struct digest_credentials c, back;
	struct digest_error e;
	cr_assert_eq(parse_cred(h, &c, &e), 0, "%s '%s'", digest_perr_name(e.code), e.param);
	cr_assert_eq(c.qop, DIGEST_QOP_NONE);
	cr_assert_str_eq(c.nc, "00000001");
	const struct digest_expect ex = { .password = "Circle Of Life" };
	cr_assert_eq(check(&c, "GET", &ex), DIGEST_VALID);
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&c, &b), 0);
	cr_assert_eq(digest_credentials_parse(b.p, b.len, &back, &e), 0);
	cr_assert_eq(memcmp(&c, &back, sizeof c), 0, "%s", xs_buf_cstr(&b));
	xs_buf_reset(&b);
}

Test(digest, answer_non_ascii_user_goes_as_username_star)
{
	struct digest_challenge ch = { .realm = "api@example.org", .nonce = "n", .has_qop = true,
				       .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	struct digest_credentials cr, back;
	const char *user = "J\xc3\xa4s\xc3\xb8n \"Doe\"";
	cr_assert_eq(digest_answer(&ch, user, "pw", "GET", "/", XS_SPAN_NULL, "c", 1, &cr), 0);
	cr_assert(cr.username_ext);
	struct xs_buf b = { 0 };
	cr_assert_eq(digest_credentials_format(&cr, &b), 0);
	cr_assert(strstr(xs_buf_cstr(&b), "username*=UTF-8''J%C3%A4s%C3%B8n%20%22Doe%22"), "%s",
		  xs_buf_cstr(&b));
	cr_assert_eq(digest_credentials_parse(b.p, b.len, &back, NULL), 0);
	cr_assert_str_eq(back.username, user);
	struct digest_expect ex = { .username = user, .password = "pw",
				    .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	cr_assert_eq(check(&back, "GET", &ex), DIGEST_VALID);
	xs_buf_reset(&b);
}

Test(digest, misuse_is_einval)
{
	struct digest_credentials c;
	size_t n = 0;
	cr_assert_eq(digest_credentials_parse(NULL, 3, &c, NULL), -EINVAL);
	cr_assert_eq(digest_credentials_parse((const uint8_t *)"Digest", 6, NULL, NULL), -EINVAL);
	cr_assert_eq(digest_challenge_parse((const uint8_t *)"Digest", 6, NULL, 1, &n, NULL), -EINVAL);
	cr_assert_eq(digest_challenge_parse((const uint8_t *)"Digest", 6, NULL, 0, NULL, NULL), -EINVAL);
	enum digest_check r;
	struct digest_expect ex = { 0 };
	cr_assert_eq(parse_cred(rfc2617_auth, &c, NULL), 0);
	cr_assert_eq(digest_verify(&c, "GET", XS_SPAN_NULL, &ex, &r), -EINVAL, "no password");
}

/* The per-thread hash contexts: several threads at once, each freed at thread exit. */
static void *verify_many(void *arg)
{
	const struct digest_credentials *c = arg;
	const struct digest_expect ex = { .password = "Circle Of Life",
					  .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	for (int i = 0; i < 2000; i++) {
		enum digest_check r;
		if (digest_verify(c, "GET", XS_SPAN_NULL, &ex, &r) < 0 || r != DIGEST_VALID)
			return (void *)1;
	}
	return NULL;
}

Test(digest, threads)
{
	struct digest_credentials c;
	cr_assert_eq(parse_cred(rfc2617_auth, &c, NULL), 0);
	pthread_t t[4];
	for (size_t i = 0; i < XS_ARRAY_SIZE(t); i++)
		cr_assert_eq(pthread_create(&t[i], NULL, verify_many, &c), 0);
	for (size_t i = 0; i < XS_ARRAY_SIZE(t); i++) {
		void *ret;
		cr_assert_eq(pthread_join(t[i], &ret), 0);
		cr_assert_null(ret);
	}
}
