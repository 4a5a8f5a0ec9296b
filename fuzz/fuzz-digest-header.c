/* SPDX-License-Identifier: MIT */
/* fuzz-digest-header.c — Digest challenge and credentials: parse, format, parse again, same struct. */
/*
 * Input: one header value, tried both as a WWW-Authenticate value (one or more
 * challenges) and as an Authorization value. Whatever parses must format, and
 * the formatted text must parse back to the same fields (RFC 7616 §3.3, §3.4):
 * a codec that cannot reproduce its own output would make the judge and the
 * emulator disagree with each other.
 */
#include "fuzz.h"
#include "harness/digest/digest.h"

#include <string.h>

#define FUZZ_DIGEST_MAX_INPUT 8192

static bool str_eq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void check_error(int rc, const struct digest_error *err, size_t size)
{
	char text[160];

	FUZZ_ASSERT(rc == -EBADMSG);
	FUZZ_ASSERT(err->code != DIGEST_PERR_NONE && err->offset <= size);
	FUZZ_ASSERT(memchr(err->param, '\0', sizeof err->param));
	digest_error_format(err, text, sizeof text);
	FUZZ_ASSERT(memchr(text, '\0', sizeof text));
	FUZZ_ASSERT(digest_perr_name(err->code) != NULL);
}

static bool challenge_eq(const struct digest_challenge *a, const struct digest_challenge *b)
{
	return str_eq(a->realm, b->realm) && str_eq(a->nonce, b->nonce) &&
	       a->has_opaque == b->has_opaque && str_eq(a->opaque, b->opaque) &&
	       str_eq(a->domain, b->domain) && a->has_algorithm == b->has_algorithm &&
	       a->algorithm == b->algorithm && a->qop_mask == b->qop_mask &&
	       a->stale == b->stale && a->userhash == b->userhash &&
	       a->charset_utf8 == b->charset_utf8;
}

static bool credentials_eq(const struct digest_credentials *a, const struct digest_credentials *b)
{
	return str_eq(a->username, b->username) && a->username_ext == b->username_ext &&
	       str_eq(a->realm, b->realm) && str_eq(a->nonce, b->nonce) && str_eq(a->uri, b->uri) &&
	       str_eq(a->response, b->response) && a->has_algorithm == b->has_algorithm &&
	       a->algorithm == b->algorithm && a->qop == b->qop && str_eq(a->nc, b->nc) &&
	       a->nc_value == b->nc_value && str_eq(a->cnonce, b->cnonce) &&
	       a->has_opaque == b->has_opaque && str_eq(a->opaque, b->opaque) &&
	       a->userhash == b->userhash;
}

static void challenges(const uint8_t *data, size_t size)
{
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	struct digest_error err;
	size_t n = 0;
	int rc;

	memset(&err, 0, sizeof err);
	rc = digest_challenge_parse(data, size, ch, XS_ARRAY_SIZE(ch), &n, &err);
	if (rc < 0) {
		check_error(rc, &err, size);
		return;
	}
	FUZZ_ASSERT((size_t)rc <= n && n <= XS_ARRAY_SIZE(ch));
	rc = digest_challenge_pick(ch, n);
	FUZZ_ASSERT(rc == -ENOENT || (rc >= 0 && (size_t)rc < n));
	for (size_t i = 0; i < n; i++) {
		struct digest_challenge back;
		struct xs_buf text = { 0 };
		size_t m = 0;

		rc = digest_challenge_format(&ch[i], &text);
		FUZZ_ASSERT(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
		if (rc == 0) {
			memset(&err, 0, sizeof err);
			rc = digest_challenge_parse(text.p, text.len, &back, 1, &m, &err);
			FUZZ_ASSERT(rc == 1 && m == 1);
			FUZZ_ASSERT(challenge_eq(&ch[i], &back));
		}
		xs_buf_reset(&text);
	}
}

static void credentials(const uint8_t *data, size_t size)
{
	struct digest_credentials cr, back;
	struct digest_error err;
	struct xs_buf text = { 0 };
	int rc;

	memset(&err, 0, sizeof err);
	rc = digest_credentials_parse(data, size, &cr, &err);
	if (rc < 0) {
		check_error(rc, &err, size);
		return;
	}
	FUZZ_ASSERT(rc == 0);
	rc = digest_credentials_format(&cr, &text);
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM || rc == -EINVAL);
	if (rc == 0) {
		memset(&err, 0, sizeof err);
		rc = digest_credentials_parse(text.p, text.len, &back, &err);
		FUZZ_ASSERT(rc == 0);
		FUZZ_ASSERT(credentials_eq(&cr, &back));
	}
	xs_buf_reset(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_quiet();
	if (size > FUZZ_DIGEST_MAX_INPUT)
		return 0;
	challenges(data, size);
	credentials(data, size);
	return 0;
}
