/* SPDX-License-Identifier: MIT */
/* common.c — error strings, spans, buffers, constant-time compare, logging. */
#include "xs.h"
#include "cursor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *xs_strerror(int err)
{
	switch (-err) {
	case 0:
		return "success";
	case EBADMSG:
		return "malformed input";
	case ENOMEM:
		return "out of memory";
	case EINVAL:
		return "invalid argument";
	case ETIMEDOUT:
		return "timed out";
	case E2BIG:
		return "over a size limit";
	case ENOENT:
		return "not found";
	case EPROTO:
		return "protocol violation";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

char *xs_span_dup(struct xs_span s)
{
	char *r = malloc(s.len + 1);
	if (!r)
		return NULL;
	if (s.len)
		memcpy(r, s.p, s.len);
	r[s.len] = '\0';
	return r;
}

bool xs_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	for (size_t i = 0; i < len; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}

static int buf_reserve(struct xs_buf *b, size_t extra)
{
	if (b->oom)
		return -ENOMEM;
	if (extra > SIZE_MAX - b->len - 1)
		goto fail;
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 128; /* most keys and details fit at once */
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = realloc(b->p, cap);
	if (!p)
		goto fail;
	b->p = p;
	b->cap = cap;
	return 0;
fail:
	b->oom = true;
	return -ENOMEM;
}

int xs_buf_append(struct xs_buf *b, const void *p, size_t len)
{
	int r = buf_reserve(b, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(b->p + b->len, p, len);
	b->len += len;
	b->p[b->len] = '\0';
	return 0;
}

int xs_buf_puts(struct xs_buf *b, const char *s)
{
	return xs_buf_append(b, s, strlen(s));
}

int xs_buf_vprintf(struct xs_buf *b, const char *fmt, va_list ap)
{
	/* formatted once into the room there is; a second time only when it did not fit */
	int r = buf_reserve(b, 0);
	if (r < 0)
		return r;
	size_t room = b->cap - b->len;
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf((char *)b->p + b->len, room, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->p[b->len] = '\0';
		return -EINVAL;
	}
	if ((size_t)n >= room) {
		if ((r = buf_reserve(b, (size_t)n)) < 0) {
			b->p[b->len] = '\0';
			return r;
		}
		vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	}
	b->len += (size_t)n;
	return 0;
}

int xs_buf_printf(struct xs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = xs_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return r;
}

const char *xs_buf_cstr(struct xs_buf *b)
{
	if (buf_reserve(b, 0) < 0)
		return NULL;
	b->p[b->len] = '\0';
	return (const char *)b->p;
}

char *xs_buf_steal(struct xs_buf *b, size_t *len)
{
	if (!xs_buf_cstr(b)) {
		xs_buf_reset(b);
		return NULL;
	}
	char *r = (char *)b->p;
	if (len)
		*len = b->len;
	*b = (struct xs_buf){ 0 };
	return r;
}

void xs_buf_reset(struct xs_buf *b)
{
	if (b->p) /* most resets are of buffers that never grew */
		free(b->p);
	*b = (struct xs_buf){ 0 };
}

void xs_hex(char *out, const uint8_t *in, size_t len)
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = d[in[i] >> 4];
		out[2 * i + 1] = d[in[i] & 15];
	}
	out[2 * len] = '\0';
}

size_t xs_dec(char *out, uint64_t v)
{
	char rev[20];
	size_t k = 0;
	do
		rev[k++] = (char)('0' + v % 10);
	while ((v /= 10));
	for (size_t i = 0; i < k; i++)
		out[i] = rev[k - 1 - i];
	return k;
}

static xs_log_fn log_fn;
static void *log_ctx;

void xs_log_set(xs_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

void xs_log(enum xs_log_level lvl, const char *fmt, ...)
{
	if (!log_fn)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	log_fn(log_ctx, lvl, msg);
}

