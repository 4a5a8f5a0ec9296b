/* SPDX-License-Identifier: MIT */
/* cursor.h — bounds-checked reads over untrusted bytes (tcpdump GET_BE_U_4 style). */
#ifndef XS_CURSOR_H
#define XS_CURSOR_H

#include "xs.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

/*
 * Every read from the wire goes through a cursor. A read past the end fails
 * with -EBADMSG and leaves the cursor where it was; nothing reads out of bounds.
 */
struct xs_cur {
	const uint8_t *p;
	const uint8_t *end;
};

static inline struct xs_cur xs_cur_init(const void *buf, size_t len)
{
	return (struct xs_cur){ (const uint8_t *)buf, (const uint8_t *)buf + len };
}
static inline size_t xs_cur_left(const struct xs_cur *c) { return (size_t)(c->end - c->p); }
static inline bool xs_cur_eof(const struct xs_cur *c) { return c->p >= c->end; }

static inline int xs_cur_skip(struct xs_cur *c, size_t n)
{
	if (xs_cur_left(c) < n)
		return -EBADMSG;
	c->p += n;
	return 0;
}
static inline int xs_cur_take(struct xs_cur *c, size_t n, struct xs_span *out)
{
	if (xs_cur_left(c) < n)
		return -EBADMSG;
	*out = xs_span(c->p, n);
	c->p += n;
	return 0;
}
static inline int xs_cur_u8(struct xs_cur *c, uint8_t *v)
{
	if (xs_cur_left(c) < 1)
		return -EBADMSG;
	*v = *c->p++;
	return 0;
}
static inline int xs_cur_be16(struct xs_cur *c, uint16_t *v)
{
	if (xs_cur_left(c) < 2)
		return -EBADMSG;
	*v = (uint16_t)((c->p[0] << 8) | c->p[1]);
	c->p += 2;
	return 0;
}
static inline int xs_cur_be32(struct xs_cur *c, uint32_t *v)
{
	if (xs_cur_left(c) < 4)
		return -EBADMSG;
	*v = ((uint32_t)c->p[0] << 24) | ((uint32_t)c->p[1] << 16) |
	     ((uint32_t)c->p[2] << 8) | (uint32_t)c->p[3];
	c->p += 4;
	return 0;
}
static inline int xs_cur_le16(struct xs_cur *c, uint16_t *v)
{
	if (xs_cur_left(c) < 2)
		return -EBADMSG;
	*v = (uint16_t)(c->p[0] | (c->p[1] << 8));
	c->p += 2;
	return 0;
}
static inline int xs_cur_le32(struct xs_cur *c, uint32_t *v)
{
	if (xs_cur_left(c) < 4)
		return -EBADMSG;
	*v = (uint32_t)c->p[0] | ((uint32_t)c->p[1] << 8) |
	     ((uint32_t)c->p[2] << 16) | ((uint32_t)c->p[3] << 24);
	c->p += 4;
	return 0;
}
/*
 * Fields at fixed offsets of a span whose length was checked (xs_cur_take of
 * a whole header), as tcpdump's EXTRACT_ beside its GET_: the check is the
 * take, once, not one per field.
 */
static inline uint16_t xs_be16_at(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}
static inline uint32_t xs_be32_at(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) |
	       (uint32_t)p[3];
}
static inline uint32_t xs_le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}
/*
 * memchr, inline: the parsers look for the end of each short line, where the
 * call costs more than the search. 16 bytes at a time where SSE2 is, never
 * reading past p + n.
 */
static inline const uint8_t *xs_find_byte(const uint8_t *p, uint8_t ch, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i v = _mm_set1_epi8((char)ch);
	for (; n - i >= 16; i += 16) {
		unsigned bits = (unsigned)_mm_movemask_epi8(
			_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), v));
		if (bits)
			return p + i + __builtin_ctz(bits);
	}
#endif
	for (; i < n; i++)
		if (p[i] == ch)
			return p + i;
	return NULL;
}

/* Take bytes up to (not including) the first occurrence of ch; ch consumed. */
static inline int xs_cur_until(struct xs_cur *c, uint8_t ch, struct xs_span *out)
{
	const uint8_t *q = xs_find_byte(c->p, ch, xs_cur_left(c));
	if (!q)
		return -EBADMSG;
	*out = xs_span(c->p, (size_t)(q - c->p));
	c->p = q + 1;
	return 0;
}
/* Take one line ending in CRLF or LF (terminator consumed, not returned); inline:
 * the parsers call it per header line. */
static inline int xs_cur_line(struct xs_cur *c, struct xs_span *out)
{
	struct xs_span s;
	int r = xs_cur_until(c, '\n', &s);
	if (r < 0)
		return r;
	if (s.len && s.p[s.len - 1] == '\r')
		s.len--;
	*out = s;
	return 0;
}

#endif
