/* SPDX-License-Identifier: MIT */
/* util.c — what the report writers share: JSON accessors, UTF-8, base64, time, escapers. */
#include "report-int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const report_verdicts[REPORT_N_VERDICTS] = { "pass", "fail", "warn", "skip",
							  "error" };

int report_verdict_index(const char *name)
{
	for (int i = 0; name && i < REPORT_N_VERDICTS; i++)
		if (!strcmp(name, report_verdicts[i]))
			return i;
	return -1;
}

int report_verdict_worse(int a, int b)
{
	/* rank by index: skip < pass < warn < fail < error */
	static const int rank[REPORT_N_VERDICTS] = { 1, 3, 2, 0, 4 };
	int ra = a < 0 ? -1 : rank[a], rb = b < 0 ? -1 : rank[b];
	return ra >= rb ? a : b;
}

const char *rj_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

const char *rj_s(const json_t *o, const char *key)
{
	const char *s = rj_str(o, key);
	return s ? s : "";
}

json_int_t rj_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

json_t *rj_arr(const json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);
	return json_is_array(a) ? a : NULL;
}

json_t *rj_obj(const json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key);
	return json_is_object(a) ? a : NULL;
}

long report_utf8_next(const uint8_t *p, size_t len, size_t *n)
{
	uint8_t c = p[0];
	size_t need;
	long cp, min;
	*n = 1;
	if (c < 0x80)
		return c;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1, cp = c & 0x1f, min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2, cp = c & 0x0f, min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3, cp = c & 0x07, min = 0x10000;
	} else {
		return -1;
	}
	if (len < need + 1)
		return -1;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = need + 1;
	return cp;
}

bool report_utf8_ok(const uint8_t *p, size_t len)
{
	size_t i = 0, n;
	while (i < len) {
		long cp = report_utf8_next(p + i, len - i, &n);
		if (cp <= 0)
			return false;
		i += n;
	}
	return true;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int report_b64_encode(struct xs_buf *out, const uint8_t *p, size_t len)
{
	char q[4];
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < len)
			v |= p[i + 2];
		q[0] = b64[v >> 18 & 63];
		q[1] = b64[v >> 12 & 63];
		q[2] = i + 1 < len ? b64[v >> 6 & 63] : '=';
		q[3] = i + 2 < len ? b64[v & 63] : '=';
		if (xs_buf_append(out, q, 4) < 0)
			return -ENOMEM;
	}
	return 0;
}

int report_b64_decode(struct xs_buf *out, const char *s, size_t len)
{
	if (len % 4)
		return -EBADMSG;
	for (size_t i = 0; i < len; i += 4) {
		uint32_t v = 0;
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			const char *at = s[i + k] ? strchr(b64, s[i + k]) : NULL;
			if (s[i + k] == '=' && i + 4 == len && k >= 2) {
				pad++;
				v <<= 6;
				continue;
			}
			if (!at || pad)
				return -EBADMSG;
			v = v << 6 | (uint32_t)(at - b64);
		}
		uint8_t b[3] = { (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
		if (xs_buf_append(out, b, (size_t)(3 - pad)) < 0)
			return -ENOMEM;
	}
	return 0;
}

int report_msg_raw(const json_t *msg, struct xs_buf *out)
{
	const json_t *raw = json_object_get(msg, "raw");
	if (json_is_string(raw))
		return xs_buf_append(out, json_string_value(raw), json_string_length(raw)) < 0
			       ? -ENOMEM
			       : 0;
	raw = json_object_get(msg, "raw_b64");
	if (json_is_string(raw))
		return report_b64_decode(out, json_string_value(raw), json_string_length(raw));
	return 0;
}

int report_msg_set_raw(json_t *msg, const uint8_t *p, size_t len)
{
	if (!p)
		p = (const uint8_t *)"", len = 0;
	if (report_utf8_ok(p, len))
		return json_object_set_new(msg, "raw", json_stringn_nocheck((const char *)p, len))
			       ? -ENOMEM
			       : 0;
	struct xs_buf b = { 0 };
	int r = report_b64_encode(&b, p, len);
	if (r == 0 && json_object_set_new(msg, "raw_b64",
					  json_stringn_nocheck((const char *)b.p, b.len)))
		r = -ENOMEM;
	xs_buf_reset(&b);
	return r;
}

int report_ts_parse(const json_t *v, int64_t *us)
{
	if (json_is_integer(v)) {
		json_int_t s = json_integer_value(v);
		if (s < 0 || s > INT64_MAX / 1000000)
			return -EBADMSG;
		*us = (int64_t)s * 1000000;
		return 0;
	}
	if (json_is_real(v)) {
		double d = json_real_value(v);
		if (!(d >= 0 && d < 9.2e12))
			return -EBADMSG;
		*us = (int64_t)(d * 1e6 + 0.5);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s)
		return -EBADMSG;
	int64_t sec = 0, frac = 0;
	size_t i = 0, nd = 0;
	for (; s[i] >= '0' && s[i] <= '9'; i++) {
		if (++nd > 12)
			return -EBADMSG;
		sec = sec * 10 + (s[i] - '0');
	}
	if (nd == 0)
		return -EBADMSG;
	if (s[i] == '.') {
		size_t k = 0;
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, k++) {
			if (k >= 6)
				return -EBADMSG;
			frac = frac * 10 + (s[i] - '0');
		}
		if (k == 0)
			return -EBADMSG;
		for (; k < 6; k++)
			frac *= 10;
	}
	if (s[i])
		return -EBADMSG;
	*us = sec * 1000000 + frac;
	return 0;
}

void report_ts_format(int64_t us, char *out, size_t size)
{
	if (us < 0)
		us = 0;
	snprintf(out, size, "%lld.%06lld", (long long)(us / 1000000), (long long)(us % 1000000));
}

void report_now_iso(char *out, size_t size)
{
	time_t t = time(NULL);
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	if (sde && *sde) {
		char *end;
		long long v = strtoll(sde, &end, 10);
		if (!*end && v >= 0)
			t = (time_t)v;
	}
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * One escaping dialect: what replaces each ASCII character (NULL: itself),
 * which characters get a backslash, which controls stay, and what stands for
 * a control or an invalid byte.
 */
struct esc_style {
	const char *ent[128];
	const char *backslash; /* Markdown specials */
	const char *keep;      /* controls kept as they are */
	bool c1;               /* DEL and C1 controls are controls too */
	const char *bad;       /* replaces controls and invalid UTF-8 */
};

#define REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

static const struct esc_style st_html = {
	.ent = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
		 ['\''] = "&#39;" },
	.keep = "\t\n\r", .c1 = true, .bad = REPLACEMENT,
};
/* XML 1.0 §2.2 Char: no C0 controls but TAB/LF/CR; attribute values keep them as references */
static const struct esc_style st_xml_attr = {
	.ent = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;",
		 ['\t'] = "&#9;", ['\n'] = "&#10;", ['\r'] = "&#13;" },
	.keep = "", .bad = REPLACEMENT,
};
static const struct esc_style st_xml_text = {
	.ent = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\r'] = "&#13;" },
	.keep = "\t\n", .bad = REPLACEMENT,
};
static const struct esc_style st_md = {
	.ent = { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\n'] = " ", ['\r'] = " ",
		 ['\t'] = " " },
	.backslash = "\\`*_[]|~", .keep = "", .c1 = true, .bad = REPLACEMENT,
};
static const struct esc_style st_term = { .keep = "", .c1 = true, .bad = "?" };

static int put(const struct esc_style *st, struct xs_buf *out, long cp, const char *at, size_t n)
{
	if (cp > 0 && cp < 128 && st->ent[cp])
		return xs_buf_puts(out, st->ent[cp]);
	if (cp > 0 && cp < 128 && st->backslash && strchr(st->backslash, (int)cp) &&
	    xs_buf_puts(out, "\\") < 0)
		return -ENOMEM;
	bool ctl = cp < 0x20 || cp == 0xfffe || cp == 0xffff ||
		   (st->c1 && (cp == 0x7f || (cp >= 0x80 && cp < 0xa0)));
	if (ctl && !(cp > 0 && strchr(st->keep, (int)cp)))
		return xs_buf_puts(out, st->bad);
	return xs_buf_append(out, at, n);
}

/* Walk s as UTF-8 (an invalid byte is code point -1), escaping in style st, up to cap bytes. */
static int walk(const struct esc_style *st, struct xs_buf *out, const char *s, size_t len,
		size_t cap)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, n;
	if (!s)
		return 0;
	while (i < len) {
		if (i >= cap)
			return xs_buf_puts(out, "\xe2\x80\xa6") < 0 ? -ENOMEM : 0; /* … */
		long cp = report_utf8_next(p + i, len - i, &n);
		if (put(st, out, cp, s + i, n) < 0)
			return -ENOMEM;
		i += n;
	}
	return 0;
}

int report_esc_html(struct xs_buf *out, const char *s, size_t len)
{
	return walk(&st_html, out, s, len, SIZE_MAX);
}

int report_esc_xml(struct xs_buf *out, const char *s, size_t len)
{
	return walk(&st_xml_attr, out, s, len, SIZE_MAX);
}

int report_esc_xml_text(struct xs_buf *out, const char *s, size_t len)
{
	return walk(&st_xml_text, out, s, len, SIZE_MAX);
}

int report_esc_md(struct xs_buf *out, const char *s, size_t cap)
{
	return walk(&st_md, out, s, s ? strlen(s) : 0, cap);
}

int report_esc_term(struct xs_buf *out, const char *s, size_t cap)
{
	return walk(&st_term, out, s, s ? strlen(s) : 0, cap);
}

size_t report_evidence(const json_t *ex, const char *evidence, const json_t **out, size_t max)
{
	size_t n = 0;
	const char *s = evidence;
	while (s && *s && n < max) {
		size_t len = strcspn(s, ", ");
		const char *colon = memchr(s, ':', len);
		if (colon) {
			char *end;
			unsigned long long v = strtoull(colon + 1, &end, 10);
			size_t klen = (size_t)(colon - s);
			bool num = end > colon + 1 && end == s + len;
			if (klen == 5 && v == 0)
				num = false; /* frame 0: live, no frame */
			const char *list = NULL, *by = NULL;
			if (klen == 3 && !strncmp(s, "msg", 3))
				list = "messages", by = "index";
			else if (klen == 5 && !strncmp(s, "frame", 5))
				list = "messages", by = "frame";
			else if (klen == 4 && !strncmp(s, "http", 4))
				list = "http";
			size_t i;
			json_t *m;
			json_array_foreach(rj_arr(ex, list ? list : ""), i, m) {
				if (!num || n >= max)
					break;
				if (by ? (unsigned long long)rj_int(m, by) == v : i == v)
					out[n++] = m;
			}
		}
		s += len;
		s += strspn(s, ", ");
	}
	return n;
}
