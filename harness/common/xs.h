/* SPDX-License-Identifier: MIT */
/* xs.h — common vocabulary: error codes, byte spans, growable buffers, logging. */
#ifndef XS_COMMON_H
#define XS_COMMON_H

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>

/*
 * Errors: functions return 0 (or a count) on success and a negative errno on
 * failure: -EBADMSG malformed input, -ENOMEM, -EINVAL misuse, -ETIMEDOUT,
 * -E2BIG over a named cap, -ENOENT not found, -EPROTO protocol violation.
 * A failed *check* is never an error return: it is a finding (rules/).
 */
const char *xs_strerror(int err);

#define XS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define XS_MIN(a, b) ((a) < (b) ? (a) : (b))
#define XS_CACHE_LINE 64u /* bytes, for prefetch hints (x86-64, arm64) */
#define XS_MAX(a, b) ((a) > (b) ? (a) : (b))

/* A borrowed run of bytes; never NUL-terminated by contract. */
struct xs_span {
	const uint8_t *p;
	size_t len;
};

#define XS_SPAN_NULL ((struct xs_span){ NULL, 0 })
static inline struct xs_span xs_span(const void *p, size_t len)
{
	return (struct xs_span){ (const uint8_t *)p, len };
}
/* FNV-1a over n bytes, going on from h (XS_FNV32_INIT / XS_FNV64_INIT to start): the hash tables' hash. */
#define XS_FNV32_INIT 2166136261u
#define XS_FNV64_INIT 1469598103934665603ull
static inline uint32_t xs_fnv32(uint32_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 16777619u;
	return h;
}
/* n rounded up to the alignment malloc gives (any type's). */
static inline size_t xs_align_max(size_t n)
{
	return (n + alignof(max_align_t) - 1) & ~(size_t)(alignof(max_align_t) - 1);
}

/* A hash for in-memory tables (not for anything written out: it may change):
 * 8 bytes a step, where FNV takes one. */
static inline uint32_t xs_hash32(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&w, b, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	if (n) /* p may be NULL when n is 0 */
		memcpy(&w, b, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	return (uint32_t)h ^ (uint32_t)(h >> 32);
}
static inline uint64_t xs_fnv64(uint64_t h, const void *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ ((const uint8_t *)p)[i]) * 1099511628211ull;
	return h;
}

/* Inline: the hot comparisons of every header lookup (a literal's length folds away). */
static inline struct xs_span xs_span_str(const char *s) /* borrows s, length strlen(s) */
{
	return s ? xs_span(s, strlen(s)) : XS_SPAN_NULL;
}
static inline bool xs_span_eq(struct xs_span a, struct xs_span b) /* byte equality */
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}
static inline bool xs_span_eq_str(struct xs_span a, const char *s) /* equals the C string */
{
	return xs_span_eq(a, xs_span_str(s));
}
static inline bool xs_span_caseeq(struct xs_span a, struct xs_span b) /* ASCII case-insensitive */
{
	if (a.len != b.len)
		return false;
	for (size_t i = 0; i < a.len; i++) {
		uint8_t x = a.p[i], y = b.p[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}
/* s up to its first NUL byte (all of it when there is none): what printf's "%.*s" puts. */
static inline struct xs_span xs_span_upto_nul(struct xs_span s)
{
	const void *nul = s.len ? memchr(s.p, 0, s.len) : NULL;
	return nul ? xs_span(s.p, (size_t)((const uint8_t *)nul - s.p)) : s;
}
static inline bool xs_span_caseeq_str(struct xs_span a, const char *s) /* ASCII case-insensitive */
{
	return xs_span_caseeq(a, xs_span_str(s));
}
static inline bool xs_is_lws(uint8_t c) /* SP, HTAB, CR, LF */
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
static inline struct xs_span xs_span_trim(struct xs_span s) /* strip SP/HTAB/CR/LF both ends */
{
	while (s.len && xs_is_lws(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && xs_is_lws(s.p[s.len - 1]))
		s.len--;
	return s;
}
/* Copy into a fresh NUL-terminated heap string (caller frees); NULL on ENOMEM. */
char *xs_span_dup(struct xs_span s);

/*
 * Constant-time comparison of two byte runs of the same length; false when
 * lengths differ (the length itself is not secret). Used for digest responses.
 */
bool xs_ct_equal(const void *a, const void *b, size_t len);

/* Growable owned byte buffer. Zero-initialise (`struct xs_buf b = {0};`). */
struct xs_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool oom; /* sticky: set when an append failed; content then truncated */
};
int xs_buf_append(struct xs_buf *b, const void *p, size_t len);
int xs_buf_puts(struct xs_buf *b, const char *s);
int xs_buf_printf(struct xs_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xs_buf_vprintf(struct xs_buf *b, const char *fmt, va_list ap);
/* NUL-terminate without counting the NUL in len; returns the string or NULL on oom. */
const char *xs_buf_cstr(struct xs_buf *b);
/* Hand the bytes over to the caller (NUL-terminated) and reset b. */
char *xs_buf_steal(struct xs_buf *b, size_t *len);
void xs_buf_reset(struct xs_buf *b); /* frees */

/* Lower-case hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void xs_hex(char *out, const uint8_t *in, size_t len);
/* The decimal digits of v into out (20 bytes at most, no NUL), as "%llu" prints them; their count. */
size_t xs_dec(char *out, uint64_t v);

/*
 * Logging: libraries never print. They call the logger a caller installed;
 * with none installed messages are dropped.
 */
enum xs_log_level { XS_LOG_ERROR, XS_LOG_WARN, XS_LOG_INFO, XS_LOG_DEBUG };
typedef void (*xs_log_fn)(void *ctx, enum xs_log_level lvl, const char *msg);
void xs_log_set(xs_log_fn fn, void *ctx);
void xs_log(enum xs_log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * A shared library loaded when first needed rather than at every start (for
 * those that pull in dozens more): dlopen(soname), then names[i] into
 * slots[i] for i < n. When the library or a name cannot be found it says so
 * on stderr, naming the Debian package, and ends the process with exit status
 * 2, as the dynamic loader would have at start.
 * xs_lazy(l) does that once for l (thread-safe) and returns l->slots, after.
 */
void xs_lazy_load(const char *soname, const char *package, const char *const *names,
		  void **slots, size_t n);
struct xs_lazy_lib {
	const char *soname, *package;
	const char *const *names;
	size_t n;
	void **slots;           /* n of them: a table of function pointers, in names' order */
	pthread_mutex_t mu;     /* PTHREAD_MUTEX_INITIALIZER */
	_Atomic bool loaded;
};
void **xs_lazy(struct xs_lazy_lib *l);
/*
 * Defines `const type *fn(void)`: the table rt (a struct of function pointers,
 * one per name, in order) loaded from soname once, then returned.
 */
#define XS_LAZY_TABLE(fn, type, rt, names, soname, package)                              \
	_Static_assert(sizeof(rt) == sizeof(names), "a name per slot");                 \
	const type *fn(void)                                                             \
	{                                                                                \
		static struct xs_lazy_lib lib_ = { soname, package, names,               \
						   XS_ARRAY_SIZE(names), (void **)&rt,   \
						   PTHREAD_MUTEX_INITIALIZER, false };   \
		xs_lazy(&lib_);                                                          \
		return &rt;                                                              \
	}

#endif
