/* SPDX-License-Identifier: MIT */
/* codec.c — Digest header codec: parse and format challenges and credentials (RFC 7235, RFC 7616). */
#include "digest.h"
#include "digest-int.h"
#include "../common/cursor.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define PARAMS_MAX 32 /* auth-params kept per challenge; more is an error for Digest */

/* One auth-param as found on the wire: name and raw value (quotes not removed). */
struct param {
	struct xs_span name;
	struct xs_span value;  /* between the quotes when quoted, escapes still in */
	bool quoted;
	size_t off;            /* offset of the name */
};

/* One challenge or credentials: the scheme and its parameters. */
struct item {
	struct xs_span scheme;
	size_t off;
	struct param p[PARAMS_MAX];
	size_t n;
	bool overflow;  /* more than PARAMS_MAX parameters */
	bool token68;   /* scheme followed by a token68, not parameters */
};

struct scan {
	const uint8_t *b;
	size_t len;
	size_t pos;
	struct digest_error *err;
};

const char *digest_perr_name(enum digest_perr e)
{
	static const char *const names[] = {
		[DIGEST_PERR_NONE] = "no error",
		[DIGEST_PERR_EMPTY] = "empty header",
		[DIGEST_PERR_SCHEME] = "scheme is not Digest",
		[DIGEST_PERR_SYNTAX] = "syntax error",
		[DIGEST_PERR_QUOTE] = "bad quoting",
		[DIGEST_PERR_DUPLICATE] = "duplicate parameter",
		[DIGEST_PERR_MISSING] = "missing parameter",
		[DIGEST_PERR_NC] = "nc is not 8 hex digits",
		[DIGEST_PERR_ALGORITHM] = "unknown algorithm",
		[DIGEST_PERR_QOP] = "bad qop",
		[DIGEST_PERR_RESPONSE] = "response is not hex of the algorithm's length",
		[DIGEST_PERR_TOOLONG] = "value too long",
		[DIGEST_PERR_TOOMANY] = "too many challenges",
	};
	return (unsigned)e < XS_ARRAY_SIZE(names) ? names[e] : "unknown error";
}

void digest_error_format(const struct digest_error *e, char *out, size_t size)
{
	if (!size)
		return;
	if (e->param[0])
		snprintf(out, size, "%s '%s' at byte %zu", digest_perr_name(e->code), e->param,
			 e->offset);
	else
		snprintf(out, size, "%s at byte %zu", digest_perr_name(e->code), e->offset);
}

static int fail(struct digest_error *err, enum digest_perr code, struct xs_span param, size_t off)
{
	if (err) {
		err->code = code;
		size_t n = XS_MIN(param.len, sizeof err->param - 1);
		if (n)
			memcpy(err->param, param.p, n);
		err->param[n] = '\0';
		err->offset = off;
	}
	return -EBADMSG;
}

static int fail_str(struct digest_error *err, enum digest_perr code, const char *param, size_t off)
{
	return fail(err, code, xs_span_str(param), off);
}

/* Character classes as bitmaps, one bit per byte value (a strchr per character before). */
static bool in_set(const uint32_t set[8], uint8_t c)
{
	return set[c >> 5] >> (c & 31) & 1;
}

/* RFC 7230 §3.2.6 tchar: ALPHA / DIGIT / "!#$%&'*+-.^_`|~" */
static bool is_tchar(uint8_t c)
{
	static const uint32_t set[8] = { 0, 0x03ff6cfau, 0xc7fffffeu, 0x57ffffffu };
	return in_set(set, c);
}

/* RFC 7235 §2.1 token68: ALPHA / DIGIT / "-._~+/" */
static bool is_t68char(uint8_t c)
{
	static const uint32_t set[8] = { 0, 0x03ffe800u, 0x87fffffeu, 0x47fffffeu };
	return in_set(set, c);
}

/* White space, including the CRLF of a folded header line (RFC 3261 LWS). */
static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static void skip_ws(struct scan *s)
{
	while (s->pos < s->len && is_ws(s->b[s->pos]))
		s->pos++;
}

static int peek(const struct scan *s)
{
	return s->pos < s->len ? s->b[s->pos] : -1;
}

static struct xs_span take_token(struct scan *s)
{
	size_t start = s->pos;
	while (s->pos < s->len && is_tchar(s->b[s->pos]))
		s->pos++;
	return xs_span(s->b + start, s->pos - start);
}

/*
 * From i, past the bytes of b[0, len) that are surely qdtext: not '"', '\\',
 * a control or DEL, 16 at a time where SSE2 is (a quoted nonce, response or
 * URI is tens of bytes). Stops at or before the first byte that is not; the
 * caller's exact loop goes on from there (it takes an HTAB, say).
 */
static size_t skip_qdtext(const uint8_t *b, size_t i, size_t len)
{
#ifdef __SSE2__
	const __m128i quote = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
		      del = _mm_set1_epi8(0x7f), sp = _mm_set1_epi8(0x20);
	for (; len - i >= 16; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
		/* x < 0x20 (unsigned): max(x, 0x20) != x */
		__m128i ctl = _mm_xor_si128(_mm_cmpeq_epi8(_mm_max_epu8(x, sp), x),
					    _mm_set1_epi8(-1));
		__m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bs)),
					    _mm_or_si128(_mm_cmpeq_epi8(x, del), ctl));
		unsigned bits = (unsigned)_mm_movemask_epi8(stop);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#else
	(void)b;
	(void)len;
#endif
	return i;
}

/* RFC 7230 §3.2.6 quoted-string; s->pos on the opening quote. */
static int take_quoted(struct scan *s, struct xs_span name, struct xs_span *out)
{
	/* qdtext without its exceptions: not '"', '\\', a control (but HTAB) or DEL */
	static const uint32_t plain[8] = { 0x00000200u, 0xfffffffbu, 0xefffffffu, 0x7fffffffu,
					   0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu };
	size_t start = ++s->pos;
	while (s->pos < s->len) {
		s->pos = skip_qdtext(s->b, s->pos, s->len);
		while (s->pos < s->len && in_set(plain, s->b[s->pos]))
			s->pos++;
		if (s->pos >= s->len)
			break;
		uint8_t c = s->b[s->pos];
		if (c == '"') {
			*out = xs_span(s->b + start, s->pos - start);
			s->pos++;
			return 0;
		}
		if (c == '\\') {
			if (s->pos + 1 >= s->len)
				break;
			c = s->b[s->pos + 1];
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return fail(s->err, DIGEST_PERR_QUOTE, name, s->pos);
			s->pos += 2;
			continue;
		}
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return fail(s->err, DIGEST_PERR_QUOTE, name, s->pos);
		s->pos++;
	}
	return fail(s->err, DIGEST_PERR_QUOTE, name, start - 1);
}

/*
 * After the scheme: is what follows a token68 (RFC 7235 §2.1) rather than an
 * auth-param? It is when the run of token68 characters and '='s is followed
 * by a comma or the end.
 */
static bool at_token68(const struct scan *s)
{
	size_t p = s->pos;
	while (p < s->len && is_t68char(s->b[p]))
		p++;
	if (p == s->pos)
		return false;
	while (p < s->len && s->b[p] == '=')
		p++;
	while (p < s->len && is_ws(s->b[p]))
		p++;
	return p == s->len || s->b[p] == ',';
}

/* Does an auth-param (token BWS "=") start at s->pos? Otherwise a new scheme does. */
static bool at_param(const struct scan *s)
{
	size_t p = s->pos;
	while (p < s->len && is_tchar(s->b[p]))
		p++;
	if (p == s->pos)
		return false;
	while (p < s->len && is_ws(s->b[p]))
		p++;
	return p < s->len && s->b[p] == '=';
}

/* "name=" followed by a comma or the end: a parameter with no value. */
static bool at_empty_param(const struct scan *s)
{
	size_t p = s->pos;
	while (p < s->len && is_tchar(s->b[p]))
		p++;
	if (p == s->pos || p >= s->len || s->b[p] != '=')
		return false;
	for (p++; p < s->len && is_ws(s->b[p]); p++)
		;
	return p == s->len || s->b[p] == ',';
}

static int take_param(struct scan *s, struct item *it)
{
	struct param pm = { .off = s->pos };
	pm.name = take_token(s);
	if (!pm.name.len)
		return fail_str(s->err, DIGEST_PERR_SYNTAX, "", s->pos);
	skip_ws(s);
	if (peek(s) != '=')
		return fail(s->err, DIGEST_PERR_SYNTAX, pm.name, s->pos);
	s->pos++;
	skip_ws(s);
	if (peek(s) == '"') {
		pm.quoted = true;
		int r = take_quoted(s, pm.name, &pm.value);
		if (r < 0)
			return r;
	} else {
		pm.value = take_token(s);
		if (!pm.value.len && (peek(s) < 0 || peek(s) == ','))
			return fail(s->err, DIGEST_PERR_SYNTAX, pm.name, s->pos);
		/* A value with characters a token cannot hold needed quotes. */
		if (peek(s) >= 0 && peek(s) != ',' && !is_ws((uint8_t)peek(s)))
			return fail(s->err, DIGEST_PERR_QUOTE, pm.name, s->pos);
	}
	skip_ws(s);
	if (peek(s) >= 0 && peek(s) != ',')
		return fail(s->err, DIGEST_PERR_SYNTAX, pm.name, s->pos);
	if (it->n < PARAMS_MAX)
		it->p[it->n++] = pm;
	else
		it->overflow = true;
	return 0;
}

/*
 * The next challenge (or credentials) of a header value: 1 when one was read,
 * 0 at the end, -EBADMSG. Empty list elements are allowed (RFC 7230 §7).
 */
static int next_item(struct scan *s, struct item *it)
{
	/* p[] is read up to n only: not zeroed (1.5 KB) */
	it->scheme = XS_SPAN_NULL;
	it->off = it->n = 0;
	it->overflow = it->token68 = false;
	while (s->pos < s->len && (is_ws(s->b[s->pos]) || s->b[s->pos] == ','))
		s->pos++;
	if (s->pos >= s->len)
		return 0;
	it->off = s->pos;
	it->scheme = take_token(s);
	if (!it->scheme.len)
		return fail_str(s->err, DIGEST_PERR_SYNTAX, "", s->pos);
	size_t after = s->pos;
	skip_ws(s);
	if (peek(s) < 0)
		return 1;
	if (peek(s) == ',' || s->pos == after) {
		/* "Scheme," ends an empty challenge; "name=" with no scheme is an error. */
		if (peek(s) != ',')
			return fail(s->err, DIGEST_PERR_SYNTAX, it->scheme, it->off);
	} else if (at_token68(s) && !(xs_span_caseeq_str(it->scheme, "Digest") && at_empty_param(s))) {
		/* (Digest has no token68 form: "Digest name=," is an empty parameter.) */
		it->token68 = true;
		while (s->pos < s->len && s->b[s->pos] != ',')
			s->pos++;
		return 1;
	} else {
		int r = take_param(s, it);
		if (r < 0)
			return r;
	}
	/* s->pos is at a comma or the end: more params, or the next scheme. */
	for (;;) {
		while (s->pos < s->len && (is_ws(s->b[s->pos]) || s->b[s->pos] == ','))
			s->pos++;
		if (s->pos >= s->len || !at_param(s))
			return 1;
		int r = take_param(s, it);
		if (r < 0)
			return r;
	}
}

/* Copy a parameter's value, unescaping a quoted-string, NUL-terminated; false when too long. */
static bool unquote(const struct param *pm, char *dst, size_t cap)
{
	size_t n = pm->value.len;
	if (!pm->quoted || !xs_find_byte(pm->value.p, '\\', n)) { /* nothing escaped: as is */
		if (n >= cap)
			return false;
		if (n)
			memcpy(dst, pm->value.p, n);
		dst[n] = '\0';
		return true;
	}
	size_t k = 0;
	for (size_t i = 0; i < pm->value.len; i++) {
		uint8_t c = pm->value.p[i];
		if (pm->quoted && c == '\\')
			c = pm->value.p[++i]; /* take_quoted saw to it that one follows */
		if (k + 1 >= cap)
			return false;
		dst[k++] = (char)c;
	}
	dst[k] = '\0';
	return true;
}

static int put_value(struct scan *s, const struct param *pm, char *dst, size_t cap)
{
	if (!unquote(pm, dst, cap))
		return fail(s->err, DIGEST_PERR_TOOLONG, pm->name, pm->off);
	return 0;
}

static bool name_is(const struct param *pm, const char *name)
{
	return xs_span_caseeq_str(pm->name, name);
}

/* The value, unquoted, equals v (ASCII case-insensitive). */
static bool value_is(const struct param *pm, const char *v)
{
	char buf[32];
	return unquote(pm, buf, sizeof buf) && strcasecmp(buf, v) == 0;
}

/* RFC 7235 §2.1: each parameter name only once per challenge. */
static int check_params(struct scan *s, const struct item *it)
{
	if (it->overflow)
		return fail_str(s->err, DIGEST_PERR_TOOLONG, "", it->off);
	if (it->token68)
		return fail(s->err, DIGEST_PERR_SYNTAX, it->scheme, it->off);
	for (size_t i = 1; i < it->n; i++)
		for (size_t j = 0; j < i; j++)
			if (it->p[i].name.len == it->p[j].name.len &&
			    strncasecmp((const char *)it->p[i].name.p, (const char *)it->p[j].name.p,
					it->p[i].name.len) == 0)
				return fail(s->err, DIGEST_PERR_DUPLICATE, it->p[i].name,
					    it->p[i].off);
	return 0;
}

static int parse_algorithm(struct scan *s, const struct param *pm, enum digest_alg *a)
{
	char v[32];
	if (put_value(s, pm, v, sizeof v) < 0 ||
	    digest_alg_from_name(xs_span_str(v), a) < 0)
		return fail(s->err, DIGEST_PERR_ALGORITHM, pm->name, pm->off);
	return 0;
}

/* "true" (any case) is true; RFC 7616 §3.3 treats anything else as false. */
static bool parse_bool(const struct param *pm)
{
	return value_is(pm, "true");
}

/* The challenge's qop: a quoted list of tokens; unknown ones are ignored (RFC 7616 §3.3). */
static int parse_qop_list(struct scan *s, const struct param *pm, unsigned *mask)
{
	char v[DIGEST_MAX_PARAM];
	int r = put_value(s, pm, v, sizeof v);
	if (r < 0)
		return r;
	*mask = 0;
	for (char *p = v; *p;) {
		while (*p == ',' || is_ws((uint8_t)*p))
			p++;
		char *t = p;
		while (*p && is_tchar((uint8_t)*p))
			p++;
		size_t tl = (size_t)(p - t);
		while (is_ws((uint8_t)*p))
			p++;
		if (*p && *p != ',')
			return fail(s->err, DIGEST_PERR_QOP, pm->name, pm->off);
		if (tl == 4 && !strncasecmp(t, "auth", 4))
			*mask |= DIGEST_QOP_MASK(DIGEST_QOP_AUTH);
		else if (tl == 8 && !strncasecmp(t, "auth-int", 8))
			*mask |= DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT);
	}
	return 0;
}

static const struct param *find(const struct item *it, const char *name)
{
	for (size_t i = 0; i < it->n; i++)
		if (name_is(&it->p[i], name))
			return &it->p[i];
	return NULL;
}

static int challenge_from_item(struct scan *s, const struct item *it, struct digest_challenge *c)
{
	int r = check_params(s, it);
	if (r < 0)
		return r;
	memset(c, 0, sizeof *c);
	c->algorithm = DIGEST_MD5;
	for (size_t i = 0; i < it->n; i++) {
		const struct param *pm = &it->p[i];
		if (name_is(pm, "realm"))
			r = put_value(s, pm, c->realm, sizeof c->realm);
		else if (name_is(pm, "nonce"))
			r = put_value(s, pm, c->nonce, sizeof c->nonce);
		else if (name_is(pm, "opaque")) {
			c->has_opaque = true;
			r = put_value(s, pm, c->opaque, sizeof c->opaque);
		} else if (name_is(pm, "domain"))
			r = put_value(s, pm, c->domain, sizeof c->domain);
		else if (name_is(pm, "algorithm")) {
			c->has_algorithm = true;
			r = parse_algorithm(s, pm, &c->algorithm);
		} else if (name_is(pm, "qop")) {
			c->has_qop = true;
			r = parse_qop_list(s, pm, &c->qop_mask);
		} else if (name_is(pm, "stale"))
			c->stale = parse_bool(pm);
		else if (name_is(pm, "userhash"))
			c->userhash = parse_bool(pm);
		else if (name_is(pm, "charset"))
			c->charset_utf8 = value_is(pm, "UTF-8");
		/* other parameters: ignored (RFC 7616 §3.3) */
		if (r < 0)
			return r;
	}
	if (!find(it, "realm"))
		return fail_str(s->err, DIGEST_PERR_MISSING, "realm", it->off);
	if (!find(it, "nonce"))
		return fail_str(s->err, DIGEST_PERR_MISSING, "nonce", it->off);
	return 0;
}

/*
 * The last header of one or two challenges parsed well on this thread, and
 * its challenges: a judge reads the same WWW-Authenticate twice (the
 * analyzer's intent, then the rules). Compared byte for byte, so a hit is
 * exact; a header with a challenge passed over (*err set) is not kept.
 */
#define CHAL_MEMO_MAX 1024u
#define CHAL_MEMO_N 2u
static _Thread_local struct {
	size_t len; /* 0: empty */
	uint8_t in[CHAL_MEMO_MAX];
	size_t n;
	struct digest_challenge out[CHAL_MEMO_N];
} chal_memo;

static int challenge_parse(const uint8_t *buf, size_t len, struct digest_challenge *out,
			   size_t max, size_t *n, struct digest_error *err);

int digest_challenge_parse(const uint8_t *buf, size_t len, struct digest_challenge *out,
			   size_t max, size_t *n, struct digest_error *err)
{
	if (buf && n && len && len == chal_memo.len && *n + chal_memo.n <= max &&
	    !memcmp(buf, chal_memo.in, len)) {
		if (err)
			memset(err, 0, sizeof *err);
		if (chal_memo.n)
			memcpy(out + *n, chal_memo.out, chal_memo.n * sizeof *out);
		*n += chal_memo.n;
		return (int)chal_memo.n;
	}
	struct digest_error e;
	size_t from = n ? *n : 0;
	int r = challenge_parse(buf, len, out, max, n, &e);
	if (err)
		*err = e;
	if (r >= 0 && !e.code && (size_t)r == *n - from && (size_t)r <= CHAL_MEMO_N && len &&
	    len <= CHAL_MEMO_MAX) {
		memcpy(chal_memo.in, buf, len);
		chal_memo.len = len;
		chal_memo.n = (size_t)r;
		memcpy(chal_memo.out, out + from, (size_t)r * sizeof *out);
	}
	return r;
}

static int challenge_parse(const uint8_t *buf, size_t len, struct digest_challenge *out,
			   size_t max, size_t *n, struct digest_error *err)
{
	struct digest_error dummy;
	struct scan s = { buf, len, 0, err ? err : &dummy };
	struct item it;
	struct digest_error skipped = { 0 };
	int count = 0, r;

	memset(s.err, 0, sizeof *s.err);
	if ((!buf && len) || !n || (!out && max))
		return -EINVAL;
	skip_ws(&s);
	if (s.pos >= len)
		return fail_str(s.err, DIGEST_PERR_EMPTY, "", 0);
	s.pos = 0;
	while ((r = next_item(&s, &it)) > 0) {
		if (!xs_span_caseeq_str(it.scheme, "Digest"))
			continue;
		if (*n >= max)
			return fail_str(s.err, DIGEST_PERR_TOOMANY, "", it.off);
		r = challenge_from_item(&s, &it, &out[*n]);
		if (r < 0 && s.err->code == DIGEST_PERR_ALGORITHM) {
			/* RFC 7616 §3.7: a challenge we cannot use is passed over, not fatal */
			if (!skipped.code)
				skipped = *s.err;
			memset(s.err, 0, sizeof *s.err);
			continue;
		}
		if (r < 0)
			return r;
		(*n)++;
		count++;
	}
	if (r < 0)
		return r;
	if (skipped.code) {
		*s.err = skipped;
		if (!count)
			return -EBADMSG;
	}
	return count;
}

static unsigned alg_strength(enum digest_alg a)
{
	return (unsigned)a >> 1; /* MD5 < SHA-256 < SHA-512-256; -sess same as its base */
}

/* RFC 7616 §3.7: answer the strongest algorithm supported; prefer a qop we can use. */
int digest_challenge_pick(const struct digest_challenge *c, size_t n)
{
	int best = -ENOENT;
	unsigned best_score = 0;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned)c[i].algorithm >= DIGEST_ALG_COUNT || (c[i].has_qop && !c[i].qop_mask))
			continue;
		unsigned score = 1 + alg_strength(c[i].algorithm) * 2 + (c[i].qop_mask ? 1 : 0);
		if (score > best_score) {
			best_score = score;
			best = (int)i;
		}
	}
	return best;
}

/* RFC 8187 (RFC 5987) ext-value: charset "'" [language] "'" pct-encoded. */
static int decode_ext_value(struct scan *s, const struct param *pm, char *dst, size_t cap)
{
	char raw[3 * DIGEST_MAX_PARAM];
	struct xs_span name = pm->name;
	if (put_value(s, pm, raw, sizeof raw) < 0)
		return fail(s->err, DIGEST_PERR_TOOLONG, name, pm->off);
	char *q1 = strchr(raw, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q2)
		return fail(s->err, DIGEST_PERR_SYNTAX, name, pm->off);
	bool latin1;
	size_t cl = (size_t)(q1 - raw);
	if (cl == 5 && !strncasecmp(raw, "UTF-8", 5))
		latin1 = false;
	else if (cl == 10 && !strncasecmp(raw, "ISO-8859-1", 10))
		latin1 = true;
	else
		return fail(s->err, DIGEST_PERR_SYNTAX, name, pm->off);
	size_t k = 0;
	for (const char *p = q2 + 1; *p; p++) {
		unsigned c = (unsigned char)*p;
		if (c == '%') {
			if (!is_hex((uint8_t)p[1]) || !is_hex((uint8_t)p[2]))
				return fail(s->err, DIGEST_PERR_SYNTAX, name, pm->off);
			char h[3] = { p[1], p[2], 0 };
			c = (unsigned)strtoul(h, NULL, 16);
			p += 2;
		} else if (c == '\'') {
			return fail(s->err, DIGEST_PERR_SYNTAX, name, pm->off);
		}
		if (c < 0x20 || c == 0x7f)
			return fail(s->err, DIGEST_PERR_SYNTAX, name, pm->off);
		size_t need = latin1 && c >= 0x80 ? 2 : 1;
		if (k + need >= cap)
			return fail(s->err, DIGEST_PERR_TOOLONG, name, pm->off);
		if (need == 2) {
			dst[k++] = (char)(0xc0 | (c >> 6));
			dst[k++] = (char)(0x80 | (c & 0x3f));
		} else {
			dst[k++] = (char)c;
		}
	}
	dst[k] = '\0';
	return 0;
}

static int parse_nc(struct scan *s, const struct param *pm, struct digest_credentials *c)
{
	if (pm->value.len != 8)
		return fail(s->err, DIGEST_PERR_NC, pm->name, pm->off);
	uint32_t v = 0;
	for (size_t i = 0; i < 8; i++) {
		uint8_t ch = pm->value.p[i];
		if (!is_hex(ch))
			return fail(s->err, DIGEST_PERR_NC, pm->name, pm->off);
		v = (v << 4) | (uint32_t)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
		c->nc[i] = (char)ch;
	}
	c->nc[8] = '\0';
	c->nc_value = v;
	return 0;
}

static int parse_cred_qop(struct scan *s, const struct param *pm, enum digest_qop *q)
{
	if (value_is(pm, "auth"))
		*q = DIGEST_QOP_AUTH;
	else if (value_is(pm, "auth-int"))
		*q = DIGEST_QOP_AUTH_INT;
	else
		return fail(s->err, DIGEST_PERR_QOP, pm->name, pm->off);
	return 0;
}

/* The credentials' parameters we read (RFC 7616 §3.4), by number; the others are ignored. */
enum cred_no {
	CP_USERNAME, CP_USERNAME_EXT, CP_REALM, CP_NONCE, CP_URI, CP_RESPONSE, CP_ALGORITHM,
	CP_QOP, CP_NC, CP_CNONCE, CP_OPAQUE, CP_USERHASH, CP_COUNT
};
#define CP(no, s) [no] = { s, sizeof s - 1 }
static const struct {
	const char *name;
	size_t len;
} cred_names[CP_COUNT] = {
	CP(CP_USERNAME, "username"), CP(CP_USERNAME_EXT, "username*"), CP(CP_REALM, "realm"),
	CP(CP_NONCE, "nonce"), CP(CP_URI, "uri"), CP(CP_RESPONSE, "response"),
	CP(CP_ALGORITHM, "algorithm"), CP(CP_QOP, "qop"), CP(CP_NC, "nc"), CP(CP_CNONCE, "cnonce"),
	CP(CP_OPAQUE, "opaque"), CP(CP_USERHASH, "userhash"),
};
#undef CP

static int cred_no(const struct param *pm)
{
	for (int i = 0; i < CP_COUNT; i++)
		if (pm->name.len == cred_names[i].len &&
		    xs_span_caseeq(pm->name, xs_span(cred_names[i].name, cred_names[i].len)))
			return i;
	return -1;
}

static int cred_param(struct scan *s, const struct param *pm, enum cred_no no,
		      struct digest_credentials *c)
{
	switch (no) {
	case CP_USERNAME:
		return put_value(s, pm, c->username, sizeof c->username);
	case CP_USERNAME_EXT:
		c->username_ext = true;
		return decode_ext_value(s, pm, c->username, sizeof c->username);
	case CP_REALM:
		return put_value(s, pm, c->realm, sizeof c->realm);
	case CP_NONCE:
		return put_value(s, pm, c->nonce, sizeof c->nonce);
	case CP_URI:
		return put_value(s, pm, c->uri, sizeof c->uri);
	case CP_RESPONSE:
		if (pm->value.len > DIGEST_MAX_HEX)
			return fail(s->err, DIGEST_PERR_RESPONSE, pm->name, pm->off);
		return put_value(s, pm, c->response, sizeof c->response);
	case CP_ALGORITHM:
		c->has_algorithm = true;
		return parse_algorithm(s, pm, &c->algorithm);
	case CP_QOP:
		return parse_cred_qop(s, pm, &c->qop);
	case CP_NC:
		return parse_nc(s, pm, c);
	case CP_CNONCE:
		return put_value(s, pm, c->cnonce, sizeof c->cnonce);
	case CP_OPAQUE:
		c->has_opaque = true;
		return put_value(s, pm, c->opaque, sizeof c->opaque);
	case CP_USERHASH:
		c->userhash = parse_bool(pm);
		return 0;
	default:
		return 0;
	}
}

/* What must hold once every parameter is read (RFC 7616 §3.4); seen[]: each one's param, NULL when absent. */
static int cred_check(struct scan *s, const struct item *it,
		      const struct param *const seen[CP_COUNT], struct digest_credentials *c)
{
	static const enum cred_no required[] = { CP_REALM, CP_NONCE, CP_URI, CP_RESPONSE };
	const struct param *un = seen[CP_USERNAME], *ux = seen[CP_USERNAME_EXT];
	if (!un && !ux)
		return fail_str(s->err, DIGEST_PERR_MISSING, "username", it->off);
	if (un && ux)
		return fail(s->err, DIGEST_PERR_DUPLICATE, ux->name, ux->off);
	if (ux && c->userhash) /* §3.4.4: username* is not used with userhash */
		return fail(s->err, DIGEST_PERR_SYNTAX, ux->name, ux->off);
	for (size_t i = 0; i < XS_ARRAY_SIZE(required); i++)
		if (!seen[required[i]])
			return fail_str(s->err, DIGEST_PERR_MISSING, cred_names[required[i]].name,
					it->off);
	const struct param *nc = seen[CP_NC], *cn = seen[CP_CNONCE], *resp = seen[CP_RESPONSE];
	if (c->qop != DIGEST_QOP_NONE) {
		if (!nc)
			return fail_str(s->err, DIGEST_PERR_QOP, "nc", it->off);
		if (!cn)
			return fail_str(s->err, DIGEST_PERR_QOP, "cnonce", it->off);
	}
	/* nc or cnonce without qop breaks RFC 2617 §3.2.2, but the response stays
	 * computable (they do not enter it): kept for the caller to judge. */
	if (digest_alg_is_sess(c->algorithm) && !cn)
		return fail_str(s->err, DIGEST_PERR_MISSING, "cnonce", it->off);
	size_t hl = digest_alg_hexlen(c->algorithm);
	if (strlen(c->response) != hl)
		return fail(s->err, DIGEST_PERR_RESPONSE, resp->name, resp->off);
	for (size_t i = 0; i < hl; i++) {
		if (!is_hex((uint8_t)c->response[i]))
			return fail(s->err, DIGEST_PERR_RESPONSE, resp->name, resp->off);
		if (c->response[i] >= 'A' && c->response[i] <= 'F')
			c->response[i] = (char)(c->response[i] | 0x20);
	}
	return 0;
}

/*
 * The last header parsed well on this thread, and its parse: a judge reads the
 * same Authorization twice in a row (the analyzer's intent, then the rules).
 * Compared byte for byte, so a hit is exact.
 */
#define CRED_MEMO_MAX 1024u
static _Thread_local struct {
	size_t len;      /* 0: empty */
	uint8_t in[CRED_MEMO_MAX];
	struct digest_credentials out;
} cred_memo;

static int credentials_parse(const uint8_t *buf, size_t len, struct digest_credentials *out,
			     struct digest_error *err);

int digest_credentials_parse(const uint8_t *buf, size_t len, struct digest_credentials *out,
			     struct digest_error *err)
{
	if (buf && out && len && len == cred_memo.len && !memcmp(buf, cred_memo.in, len)) {
		if (err)
			memset(err, 0, sizeof *err);
		*out = cred_memo.out;
		return 0;
	}
	int r = credentials_parse(buf, len, out, err);
	if (r == 0 && len && len <= CRED_MEMO_MAX) {
		memcpy(cred_memo.in, buf, len);
		cred_memo.len = len;
		cred_memo.out = *out;
	}
	return r;
}

static int credentials_parse(const uint8_t *buf, size_t len, struct digest_credentials *out,
			     struct digest_error *err)
{
	struct digest_error dummy;
	struct scan s = { buf, len, 0, err ? err : &dummy };
	struct item it, extra;
	struct digest_credentials c;

	memset(s.err, 0, sizeof *s.err);
	if ((!buf && len) || !out)
		return -EINVAL;
	int r = next_item(&s, &it);
	if (r < 0)
		return r;
	if (r == 0)
		return fail_str(s.err, DIGEST_PERR_EMPTY, "", 0);
	if (!xs_span_caseeq_str(it.scheme, "Digest"))
		return fail(s.err, DIGEST_PERR_SCHEME, it.scheme, it.off);
	r = next_item(&s, &extra);
	if (r != 0)
		return r < 0 ? r : fail(s.err, DIGEST_PERR_SYNTAX, extra.scheme, extra.off);
	if ((r = check_params(&s, &it)) < 0)
		return r;
	memset(&c, 0, sizeof c);
	c.algorithm = DIGEST_MD5;
	const struct param *seen[CP_COUNT] = { 0 }; /* check_params: each name once at most */
	for (size_t i = 0; i < it.n; i++) {
		int no = cred_no(&it.p[i]);
		if (no < 0)
			continue; /* unknown parameters are ignored (RFC 7616 §3.4) */
		seen[no] = &it.p[i];
		if ((r = cred_param(&s, &it.p[i], (enum cred_no)no, &c)) < 0)
			return r;
	}
	if ((r = cred_check(&s, &it, seen, &c)) < 0)
		return r;
	*out = c;
	return 0;
}

/* Formatting. */

/* A quoted-string; CTLs cannot be carried (-EINVAL). */
static int put_quoted(struct xs_buf *out, const char *name, const char *v, bool comma)
{
	xs_buf_printf(out, "%s%s=\"", comma ? ", " : "", name);
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return -EINVAL;
		if (c == '"' || c == '\\')
			xs_buf_append(out, "\\", 1);
		xs_buf_append(out, p, 1);
	}
	xs_buf_append(out, "\"", 1);
	return out->oom ? -ENOMEM : 0;
}

static int put_token(struct xs_buf *out, const char *name, const char *v)
{
	xs_buf_printf(out, ", %s=%s", name, v);
	return out->oom ? -ENOMEM : 0;
}

/* RFC 8187 attr-char, everything else percent-encoded. */
static int put_ext(struct xs_buf *out, const char *name, const char *v)
{
	xs_buf_printf(out, "%s*=UTF-8''", name);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if ((isalnum(*p) && *p < 0x80) || strchr("!#$&+-.^_`|~", *p))
			xs_buf_append(out, p, 1);
		else
			xs_buf_printf(out, "%%%02X", *p);
	}
	return out->oom ? -ENOMEM : 0;
}

static int qop_list(unsigned mask, char *dst, size_t cap)
{
	snprintf(dst, cap, "%s%s%s", mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH) ? "auth" : "",
		 (mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH)) &&
				 (mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT))
			 ? ","
			 : "",
		 mask & DIGEST_QOP_MASK(DIGEST_QOP_AUTH_INT) ? "auth-int" : "");
	return 0;
}

int digest_challenge_format(const struct digest_challenge *c, struct xs_buf *out)
{
	char qop[16];
	int r;
	if (!c || !out || (unsigned)c->algorithm >= DIGEST_ALG_COUNT)
		return -EINVAL;
	xs_buf_puts(out, "Digest ");
	if ((r = put_quoted(out, "realm", c->realm, false)) < 0)
		return r;
	if (c->domain[0] && (r = put_quoted(out, "domain", c->domain, true)) < 0)
		return r;
	if ((r = put_quoted(out, "nonce", c->nonce, true)) < 0)
		return r;
	if (c->has_opaque && (r = put_quoted(out, "opaque", c->opaque, true)) < 0)
		return r;
	if (c->stale && (r = put_token(out, "stale", "true")) < 0)
		return r;
	if (c->has_algorithm && (r = put_token(out, "algorithm", digest_alg_name(c->algorithm))) < 0)
		return r;
	if (c->has_qop || c->qop_mask) {
		qop_list(c->qop_mask, qop, sizeof qop);
		if ((r = put_quoted(out, "qop", qop, true)) < 0)
			return r;
	}
	if (c->charset_utf8 && (r = put_token(out, "charset", "UTF-8")) < 0)
		return r;
	if (c->userhash && (r = put_token(out, "userhash", "true")) < 0)
		return r;
	return out->oom ? -ENOMEM : 0;
}

/* Parameter order as in RFC 7616 §3.9.1's example. */
int digest_credentials_format(const struct digest_credentials *c, struct xs_buf *out)
{
	int r;
	if (!c || !out || (unsigned)c->algorithm >= DIGEST_ALG_COUNT ||
	    (unsigned)c->qop > DIGEST_QOP_AUTH_INT)
		return -EINVAL;
	xs_buf_puts(out, "Digest ");
	r = c->username_ext ? put_ext(out, "username", c->username)
			    : put_quoted(out, "username", c->username, false);
	if (r < 0 || (r = put_quoted(out, "realm", c->realm, true)) < 0 ||
	    (r = put_quoted(out, "uri", c->uri, true)) < 0)
		return r;
	if (c->has_algorithm && (r = put_token(out, "algorithm", digest_alg_name(c->algorithm))) < 0)
		return r;
	if ((r = put_quoted(out, "nonce", c->nonce, true)) < 0)
		return r;
	bool qop = c->qop != DIGEST_QOP_NONE;
	if (qop || c->nc[0]) {
		if (strlen(c->nc) != 8 || strspn(c->nc, "0123456789abcdefABCDEF") != 8)
			return -EINVAL;
		if ((r = put_token(out, "nc", c->nc)) < 0)
			return r;
	}
	/* -sess without qop (RFC 2617 form) still carries cnonce. */
	if ((qop || c->cnonce[0] || digest_alg_is_sess(c->algorithm)) &&
	    (r = put_quoted(out, "cnonce", c->cnonce, true)) < 0)
		return r;
	if (qop && (r = put_token(out, "qop", digest_qop_name(c->qop))) < 0)
		return r;
	if ((r = put_quoted(out, "response", c->response, true)) < 0)
		return r;
	if (c->has_opaque && (r = put_quoted(out, "opaque", c->opaque, true)) < 0)
		return r;
	if (c->userhash && (r = put_token(out, "userhash", "true")) < 0)
		return r;
	return out->oom ? -ENOMEM : 0;
}
