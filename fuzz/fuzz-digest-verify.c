/* SPDX-License-Identifier: MIT */
/* fuzz-digest-verify.c — digest_verify on parsed credentials, with a right-answer oracle. */
/*
 * Input: 3 control bytes, then "METHOD \n AUTHORIZATION-VALUE \n BODY".
 *   byte 0: bit 0 replace the response by the right one (computed with
 *           digest_response) and require DIGEST_VALID, then a one-digit change
 *           and require DIGEST_BAD_RESPONSE; bit 1 give HA1 instead of the
 *           password; bits 2-5 leave username/realm/uri/nonce unchecked (NULL).
 *   byte 1: allowed algorithms (bit per enum digest_alg, 0 = any).
 *   byte 2: offered qops (DIGEST_QOP_MASK bits).
 * Without bit 0 the expected values are fixed (the RFC 2617 §3.5 example), so
 * mutations explore every rejection path.
 */
#include "fuzz.h"
#include "harness/digest/digest.h"

#include <string.h>

#define FUZZ_VERIFY_MAX_INPUT 8192

_Static_assert(DIGEST_MD5_SESS == 1 && DIGEST_SHA256_SESS == 3 && DIGEST_SHA512_256_SESS == 5,
	       "each -sess algorithm is its base algorithm | 1");

static const char pw[] = "Circle Of Life";

static void verify(const struct digest_credentials *cr, const char *method, struct xs_span body,
		   const struct digest_expect *exp, enum digest_check want)
{
	enum digest_check got = DIGEST_VALID;
	int rc = digest_verify(cr, method, body, exp, &got);

	FUZZ_ASSERT(rc == 0 || rc == -EINVAL);
	if (rc == 0)
		FUZZ_ASSERT(digest_check_name(got) != NULL);
	if (rc == 0 && want != (enum digest_check)-1)
		FUZZ_ASSERT(got == want);
}

/* Make the response right, then check the verifier agrees (and notices a change). */
static void oracle(struct digest_credentials *cr, const char *method, struct xs_span body,
		   struct digest_expect *exp)
{
	struct digest_input in = {
		.algorithm = cr->algorithm, .username = cr->username, .realm = cr->realm,
		.password = pw, .nonce = cr->nonce, .cnonce = cr->cnonce, .nc = cr->nc,
		.qop = cr->qop, .method = method, .uri = cr->uri, .body = body,
	};
	char ha1[DIGEST_MAX_HEX + 1];

	if (cr->userhash || cr->username_ext || digest_response(&in, cr->response) < 0)
		return;
	if (exp->ha1_hex) {
		/* ha1_hex is H(user:realm:password), the stored secret, -sess or not */
		struct digest_input base = in;
		base.algorithm = (enum digest_alg)(cr->algorithm & ~1u);
		if (digest_ha1(&base, ha1) < 0)
			return;
		exp->ha1_hex = ha1;
		exp->password = NULL;
	}
	exp->username = exp->username ? cr->username : NULL;
	exp->realm = exp->realm ? cr->realm : NULL;
	exp->uri = exp->uri ? cr->uri : NULL;
	exp->nonce = exp->nonce ? cr->nonce : NULL;
	exp->alg_mask |= exp->alg_mask ? 1u << cr->algorithm : 0;
	exp->qop_mask |= cr->qop == DIGEST_QOP_NONE ? 0 : DIGEST_QOP_MASK(cr->qop);
	if (cr->qop == DIGEST_QOP_NONE)
		exp->qop_mask = 0;
	verify(cr, method, body, exp, DIGEST_VALID);
	cr->response[0] = cr->response[0] == '0' ? '1' : '0';
	verify(cr, method, body, exp, DIGEST_BAD_RESPONSE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct digest_credentials cr;
	struct digest_error err;
	struct xs_span meth, rest, auth, body;
	char method[32];
	uint8_t flags;

	fuzz_quiet();
	if (size < 3 || size > FUZZ_VERIFY_MAX_INPUT)
		return 0;
	flags = data[0];
	fuzz_split(data + 3, size - 3, '\n', &meth, &rest);
	fuzz_split(rest.p, rest.len, '\n', &auth, &body);
	if (meth.len >= sizeof method || memchr(meth.p, '\0', meth.len))
		return 0;
	memcpy(method, meth.p, meth.len);
	method[meth.len] = '\0';
	memset(&err, 0, sizeof err);
	if (digest_credentials_parse(auth.p, auth.len, &cr, &err) < 0)
		return 0;

	struct digest_expect exp = {
		.username = flags & 0x04 ? NULL : "Mufasa",
		.realm = flags & 0x08 ? NULL : "testrealm@host.com",
		.uri = flags & 0x10 ? NULL : "/dir/index.html",
		.nonce = flags & 0x20 ? NULL : "dcd98b7102dd2f0e8b11d0f600bfb0c093",
		.password = pw,
		.ha1_hex = flags & 0x02 ? "939e7578ed9e3c518a452acee763bce9" : NULL,
		.alg_mask = data[1] & ((1u << DIGEST_ALG_COUNT) - 1),
		.qop_mask = data[2] & 0x7u,
	};
	if (exp.ha1_hex)
		exp.password = NULL;
	verify(&cr, method, body, &exp, (enum digest_check)-1);
	if (flags & 0x01)
		oracle(&cr, method, body, &exp);
	return 0;
}
