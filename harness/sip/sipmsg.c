/* SPDX-License-Identifier: MIT */
/* sipmsg.c — frame one SIP message from untrusted bytes, keep them exact, and ask libosip2 too. */
#include "sipmsg.h"
#include "../common/cursor.h"
#include "osipmem.h"

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_parser.h>
#include <osipparser2/osip_port.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* Leading CRLFs before the start line (RFC 3261 §7.5 keep-alives) we skip at most. */
#define SIP_MAX_LEADING_BLANKS 16u
/* The stack part of the arena of a verdict parse: a plain response needs some 4 KiB. */
#define OSIP_ARENA_STACK (16u * 1024u)

/* Header names known by number: enum sip_hdr_id (sipmsg.h). 0: not known (looked up by name). */

struct sip_hdr {
	struct xs_span name;
	struct xs_span value; /* trimmed; into raw, or into unfolded for folded lines */
	uint8_t id;           /* name_id(name): enum sip_hdr_id */
};

/* The public record plus what only this file sees. Created by sip_msg_parse only. */
struct sip_msg_priv {
	struct sip_msg pub; /* first: a struct sip_msg * is a struct sip_msg_priv * */
	struct sip_hdr *hdrs;
	size_t n_hdrs, cap_hdrs;
	uint8_t *unfolded; /* raw_len bytes, allocated when a header is folded */
	size_t unfolded_len;
	bool osip_tried;   /* sip_msg_osip ran: pub.osip is its answer */
	int8_t osip_ok;    /* libosip2 accepts the bytes: 1, refuses: 0, not asked: -1 */
	uint16_t first_of[SIP_HDR_COUNT]; /* per known name: 1 + its first line, 0: none */
};

static const struct sip_msg_priv *priv_c(const struct sip_msg *m)
{
	return (const struct sip_msg_priv *)m;
}

static const char *const dir_names[] = {
	[XS_DIR_TO_PHONE] = "to-phone",
	[XS_DIR_FROM_PHONE] = "from-phone",
};
static const char *const tp_names[] = {
	[XS_TP_UDP] = "udp",
	[XS_TP_TCP] = "tcp",
};

const char *xs_dir_name(enum xs_dir d)
{
	return (unsigned)d < XS_ARRAY_SIZE(dir_names) ? dir_names[d] : "unknown";
}

const char *xs_transport_name(enum xs_transport t)
{
	return (unsigned)t < XS_ARRAY_SIZE(tp_names) ? tp_names[t] : "unknown";
}

void xs_endpoint_format(const struct xs_endpoint *e, char *out, size_t size)
{
	if (!size)
		return;
	char addr[sizeof e->addr];
	memcpy(addr, e->addr, sizeof addr);
	addr[sizeof addr - 1] = '\0';
	if (strchr(addr, ':'))
		snprintf(out, size, "[%s]:%u", addr, (unsigned)e->port);
	else
		snprintf(out, size, "%s:%u", addr, (unsigned)e->port);
}

/* The known names (enum sip_hdr_id, sipmsg.h), full and compact. */
#define HN(no, name, c) [no] = { name, sizeof name - 1, c }
static const struct {
	const char *name;
	size_t len;
	char compact;
} known_names[SIP_HDR_COUNT] = {
	HN(SIP_HDR_NONE, "", 0),
	HN(SIP_HDR_CALL_ID, "Call-ID", 'i'),
	HN(SIP_HDR_FROM, "From", 'f'),
	HN(SIP_HDR_TO, "To", 't'),
	HN(SIP_HDR_VIA, "Via", 'v'),
	HN(SIP_HDR_CONTENT_LENGTH, "Content-Length", 'l'),
	HN(SIP_HDR_CONTENT_TYPE, "Content-Type", 'c'),
	HN(SIP_HDR_CONTENT_ENCODING, "Content-Encoding", 'e'),
	HN(SIP_HDR_EVENT, "Event", 'o'),
	HN(SIP_HDR_ALLOW_EVENTS, "Allow-Events", 'u'),
	HN(SIP_HDR_SUPPORTED, "Supported", 'k'),
	HN(SIP_HDR_CONTACT, "Contact", 'm'),
	HN(SIP_HDR_SUBJECT, "Subject", 's'),
	HN(SIP_HDR_REFER_TO, "Refer-To", 'r'),
	HN(SIP_HDR_REFERRED_BY, "Referred-By", 'b'),
	HN(SIP_HDR_SESSION_EXPIRES, "Session-Expires", 'x'),
	HN(SIP_HDR_CSEQ, "CSeq", 0),
	HN(SIP_HDR_AUTHORIZATION, "Authorization", 0),
	HN(SIP_HDR_WWW_AUTHENTICATE, "WWW-Authenticate", 0),
	HN(SIP_HDR_PROXY_AUTHENTICATE, "Proxy-Authenticate", 0),
	HN(SIP_HDR_PROXY_AUTHORIZATION, "Proxy-Authorization", 0),
	HN(SIP_HDR_SERVER, "Server", 0),
	HN(SIP_HDR_USER_AGENT, "User-Agent", 0),
	HN(SIP_HDR_MAX_FORWARDS, "Max-Forwards", 0),
	HN(SIP_HDR_EXPIRES, "Expires", 0),
};
#undef HN

static char lower(uint8_t c)
{
	return (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
}

#define NAME_LEN_MAX 19 /* the longest known name, Proxy-Authorization */
#define NAME_KEYS 64u   /* name_key's range: every known name has a key of its own */
#define NAME_PAD 24     /* a known name's row in tab: room for name_id's 8-byte reads */

/* Built once: known names by key and by compact letter, token characters. */
static struct {
	uint8_t by_key[NAME_KEYS]; /* ids, 0: none */
	/* per id: the name in lower case, and 0x20 where it has a letter (a byte
	 * matches in either case when it equals lower[i] once OR'd with fold[i]) */
	uint8_t lower[SIP_HDR_COUNT][NAME_PAD];
	uint8_t fold[SIP_HDR_COUNT][NAME_PAD];
	uint8_t by_compact[26];
	bool token[256];
	bool sep_stop[2][256]; /* what find_sep stops at: [0] for ';', [1] for ',' */
} tab;
static pthread_once_t tab_once = PTHREAD_ONCE_INIT;
static atomic_bool tab_done;

static void tab_ready(void);

/* RFC 3261 §25.1 token characters. */
static bool is_token_char_slow(uint8_t c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-.!%*_+`'~", c);
}

/*
 * A name's key from its length and its first and last characters, ASCII
 * case folded (| 0x20 folds letters and leaves '-' and digits alone): the 24
 * known names have 24 different keys (tab_init checks), so a lookup compares
 * one candidate.
 */
static unsigned name_key(const uint8_t *p, size_t len)
{
	return (unsigned)(len + 6u * (p[0] | 0x20u) + 3u * (p[len - 1] | 0x20u)) % NAME_KEYS;
}

static void tab_init(void)
{
	for (uint8_t i = 1; i < XS_ARRAY_SIZE(known_names); i++) {
		size_t len = known_names[i].len;
		unsigned k = name_key((const uint8_t *)known_names[i].name, len);
		if (len < 2 || len > NAME_LEN_MAX || tab.by_key[k])
			abort(); /* the table above outgrew NAME_LEN_MAX, or name_key */
		tab.by_key[k] = i;
		for (size_t j = 0; j < len; j++) {
			uint8_t c = (uint8_t)lower((uint8_t)known_names[i].name[j]);
			tab.lower[i][j] = c;
			tab.fold[i][j] = c >= 'a' && c <= 'z' ? 0x20 : 0;
		}
		if (known_names[i].compact)
			tab.by_compact[known_names[i].compact - 'a'] = i;
	}
	for (unsigned c = 0; c < 256; c++)
		tab.token[c] = is_token_char_slow((uint8_t)c);
	for (int k = 0; k < 2; k++) {
		tab.sep_stop[k][k ? ',' : ';'] = true;
		tab.sep_stop[k]['"'] = tab.sep_stop[k]['\\'] = true;
		tab.sep_stop[k]['<'] = tab.sep_stop[k]['>'] = true;
	}
	atomic_store_explicit(&tab_done, true, memory_order_release);
}

static void tab_ready(void)
{
	if (!atomic_load_explicit(&tab_done, memory_order_acquire))
		pthread_once(&tab_once, tab_init);
}

/* Bytes [off, off + w) of n against known name id, either case: 0 when equal. */
static uint64_t name_part_diff(const uint8_t *p, uint8_t id, size_t off, size_t w)
{
	uint64_t x = 0, f = 0, l = 0;
	memcpy(&x, p + off, w);
	memcpy(&f, tab.fold[id] + off, w);
	memcpy(&l, tab.lower[id] + off, w);
	return (x | f) ^ l;
}

/* The number of header name n, full or compact (0: not known); tab_ready() first. */
static uint8_t name_id(struct xs_span n)
{
	if (n.len == 1) {
		char c = lower(n.p[0]);
		return c >= 'a' && c <= 'z' ? tab.by_compact[c - 'a'] : 0;
	}
	if (!n.len || n.len > NAME_LEN_MAX)
		return 0;
	uint8_t id = tab.by_key[name_key(n.p, n.len)];
	if (!id || known_names[id].len != n.len)
		return 0;
	/* as xs_span_caseeq, a word at a time: reads that overlap, within n only
	 * (known names are 2 to 19 bytes long) */
	uint64_t diff;
	if (n.len >= 8) {
		diff = name_part_diff(n.p, id, 0, 8) | name_part_diff(n.p, id, n.len - 8, 8);
		if (n.len > 16)
			diff |= name_part_diff(n.p, id, 8, 8);
	} else if (n.len >= 4) {
		diff = name_part_diff(n.p, id, 0, 4) | name_part_diff(n.p, id, n.len - 4, 4);
	} else {
		diff = name_part_diff(n.p, id, 0, 2) | name_part_diff(n.p, id, n.len - 2, 2);
	}
	return diff ? 0 : id;
}

/* A lookup's name, resolved once per lookup, not once per header line. */
struct hname {
	struct xs_span want;
	uint8_t id;
};

static struct hname hname_of(const char *want)
{
	tab_ready();
	struct xs_span w = xs_span_str(want);
	return (struct hname){ w, name_id(w) };
}

/* Does header h designate the name looked up (full name or compact letter)? */
static bool name_matches(const struct sip_hdr *hd, const struct hname *h)
{
	return h->id ? hd->id == h->id : xs_span_caseeq(hd->name, h->want);
}

static bool is_token(struct xs_span s)
{
	if (!s.len)
		return false;
	tab_ready();
	for (size_t i = 0; i < s.len; i++)
		if (!tab.token[s.p[i]])
			return false;
	return true;
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Copy a token span into a fixed field; -EBADMSG when too long or not a token. */
static int copy_token(char *dst, size_t size, struct xs_span s)
{
	if (!is_token(s) || s.len >= size)
		return -EBADMSG;
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
	return 0;
}

/* Decimal digits only into *v, bounded by max; -EBADMSG otherwise. */
static int parse_uint(struct xs_span s, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	if (!s.len || s.len > 20)
		return -EBADMSG;
	for (size_t i = 0; i < s.len; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return -EBADMSG;
		x = x * 10 + (uint64_t)(s.p[i] - '0');
		if (x > max)
			return -EBADMSG;
	}
	*v = x;
	return 0;
}

/* "SIP/2.0" (version digits free, letters case-insensitive). */
static bool is_sip_version(struct xs_span s)
{
	if (s.len < 7 || !xs_span_caseeq_str(xs_span(s.p, 4), "SIP/"))
		return false;
	bool dot = false;
	for (size_t i = 4; i < s.len; i++) {
		if (s.p[i] == '.' && !dot && i > 4 && i + 1 < s.len)
			dot = true;
		else if (s.p[i] < '0' || s.p[i] > '9')
			return false;
	}
	return dot;
}

/* Split off the next SP-separated word of s (one SP exactly, RFC 3261 §7.1). */
static struct xs_span next_word(struct xs_span *s)
{
	size_t i = 0;
	while (i < s->len && s->p[i] != ' ')
		i++;
	struct xs_span w = xs_span(s->p, i);
	size_t skip = i < s->len ? i + 1 : i;
	*s = xs_span(s->p + skip, s->len - skip);
	return w;
}

static int parse_start_line(struct sip_msg *m, struct xs_span line)
{
	struct xs_span rest = line;
	struct xs_span first = next_word(&rest);
	if (is_sip_version(first)) {
		/* Status-Line = SIP-Version SP Status-Code SP Reason-Phrase */
		struct xs_span code = next_word(&rest);
		uint64_t v;
		if (code.len != 3 || parse_uint(code, 699, &v) < 0 || v < 100)
			return -EBADMSG;
		for (size_t i = 0; i < rest.len; i++)
			if (rest.p[i] < 0x20 && rest.p[i] != '\t')
				return -EBADMSG;
		m->is_request = false;
		m->status = (int)v;
		m->reason = rest;
		return 0;
	}
	/* Request-Line = Method SP Request-URI SP SIP-Version */
	struct xs_span uri = next_word(&rest);
	if (copy_token(m->method, sizeof m->method, first) < 0 || !uri.len ||
	    !is_sip_version(rest))
		return -EBADMSG;
	for (size_t i = 0; i < uri.len; i++)
		if (uri.p[i] <= 0x20 || uri.p[i] == 0x7f)
			return -EBADMSG;
	m->is_request = true;
	m->ruri = uri;
	return 0;
}

/*
 * From i, the first position in p[0, len) that find_sep must look at (ch,
 * '"', '\\', '<' or '>', as in stop), or len: 16 bytes at a time where SSE2 is.
 */
static size_t skip_plain(const uint8_t *p, size_t i, size_t len, uint8_t ch, const bool *stop)
{
#ifdef __SSE2__
	const __m128i v_ch = _mm_set1_epi8((char)ch), v_q = _mm_set1_epi8('"'),
		      v_bs = _mm_set1_epi8('\\'), v_lt = _mm_set1_epi8('<'), v_gt = _mm_set1_epi8('>');
	for (; len - i >= 16; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
		__m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, v_ch), _mm_cmpeq_epi8(x, v_q)),
					   _mm_or_si128(_mm_cmpeq_epi8(x, v_bs),
							_mm_or_si128(_mm_cmpeq_epi8(x, v_lt),
								     _mm_cmpeq_epi8(x, v_gt))));
		unsigned bits = (unsigned)_mm_movemask_epi8(hit);
		if (bits)
			return i + (size_t)__builtin_ctz(bits);
	}
#endif
	while (i < len && !stop[p[i]])
		i++;
	return i;
}

/*
 * The position of the next separator ch (';' or ',') in s at or after
 * `from`, outside quoted strings and <...>; s.len when none.
 */
static size_t find_sep(struct xs_span s, size_t from, uint8_t ch)
{
	bool quoted = false;
	int angle = 0;
	/* tab is ready: s is a value of a message sip_msg_parse made */
	const bool *stop = tab.sep_stop[ch == ','];
	for (size_t i = from; i < s.len; i++) {
		if (!quoted) { /* the common case: a run of nothing to look at */
			i = skip_plain(s.p, i, s.len, ch, stop);
			if (i == s.len)
				break;
		}
		uint8_t c = s.p[i];
		if (quoted) {
			if (c == '\\')
				i++;
			else if (c == '"')
				quoted = false;
		} else if (c == '"') {
			quoted = true;
		} else if (c == '<') {
			angle++;
		} else if (c == '>' && angle > 0) {
			angle--;
		} else if (c == ch && angle == 0) {
			return i;
		}
	}
	return s.len;
}

/*
 * The value of header parameter `pname` in a From/To/Via value: parameters
 * are the ';'-separated items after the address (outside <> and quotes).
 */
static struct xs_span header_param(struct xs_span v, const char *pname)
{
	struct xs_span want = xs_span_str(pname);
	size_t i = find_sep(v, 0, ';');
	while (i < v.len) {
		size_t j = find_sep(v, i + 1, ';');
		struct xs_span item = xs_span(v.p + i + 1, j - i - 1);
		size_t eq = 0;
		while (eq < item.len && item.p[eq] != '=')
			eq++;
		struct xs_span n = xs_span_trim(xs_span(item.p, eq));
		if (xs_span_caseeq(n, want)) {
			if (eq >= item.len)
				return xs_span(item.p + item.len, 0);
			return xs_span_trim(xs_span(item.p + eq + 1, item.len - eq - 1));
		}
		i = j;
	}
	return XS_SPAN_NULL;
}

/* Append one header line (already unfolded when needed). */
static int add_header(struct sip_msg_priv *pm, struct xs_span name, struct xs_span value)
{
	if (pm->n_hdrs >= SIP_MAX_HEADERS)
		return -E2BIG;
	if (pm->n_hdrs >= pm->cap_hdrs)
		return -EBADMSG; /* cannot happen: one entry per line, and the lines were counted */
	uint8_t id = name_id(name);
	if (id && !pm->first_of[id])
		pm->first_of[id] = (uint16_t)(pm->n_hdrs + 1);
	pm->hdrs[pm->n_hdrs++] = (struct sip_hdr){ name, xs_span_trim(value), id };
	return 0;
}

/*
 * Unfold value lines [first, end) into pm->unfolded: every line break with
 * the white space after it becomes one SP (RFC 3261 §7.3.1).
 */
static int unfold(struct sip_msg_priv *pm, struct xs_span v, struct xs_span *out)
{
	if (!pm->unfolded) {
		pm->unfolded = malloc(pm->pub.raw_len + 1);
		if (!pm->unfolded)
			return -ENOMEM;
	}
	uint8_t *dst = pm->unfolded + pm->unfolded_len;
	size_t n = 0;
	for (size_t i = 0; i < v.len; i++) {
		uint8_t c = v.p[i];
		if (c == '\r' || c == '\n') {
			while (i + 1 < v.len && (v.p[i + 1] == '\r' || v.p[i + 1] == '\n' ||
						 is_ws(v.p[i + 1])))
				i++;
			dst[n++] = ' ';
		} else {
			dst[n++] = c;
		}
	}
	pm->unfolded_len += n;
	*out = xs_span(dst, n);
	return 0;
}

/* Read the header section: lines after the start line up to the blank line. */
static int parse_headers(struct sip_msg_priv *pm, struct xs_cur *c)
{
	struct xs_span line;
	struct xs_span name = XS_SPAN_NULL;
	const uint8_t *vstart = NULL, *vend = NULL;
	bool folded = false;
	tab_ready();
	for (;;) {
		if (xs_cur_line(c, &line) < 0)
			return -EBADMSG; /* no blank line: not a framed message */
		bool blank = line.len == 0;
		if (!blank && is_ws(line.p[0])) {
			if (!vstart)
				return -EBADMSG; /* continuation with nothing to continue */
			vend = line.p + line.len;
			folded = true;
			continue;
		}
		if (vstart) {
			struct xs_span v = xs_span(vstart, (size_t)(vend - vstart));
			int r = folded ? unfold(pm, v, &v) : 0;
			if (r < 0 || (r = add_header(pm, name, v)) < 0)
				return r;
			vstart = NULL;
			folded = false;
		}
		if (blank)
			return 0;
		/* field-name = token, then white space before the colon (RFC 3261 §7.3.1) */
		size_t i = 0;
		while (i < line.len && tab.token[line.p[i]])
			i++;
		name = xs_span(line.p, i);
		while (i < line.len && is_ws(line.p[i]))
			i++;
		if (!name.len || i >= line.len || line.p[i] != ':')
			return -EBADMSG;
		vstart = line.p + i + 1;
		vend = line.p + line.len;
	}
}

/* The first header of known name number no; NULL when absent. */
static const struct sip_hdr *first_header(const struct sip_msg_priv *pm, enum sip_hdr_id no)
{
	return pm->first_of[no] ? &pm->hdrs[pm->first_of[no] - 1] : NULL;
}

/* Fill the convenience fields from the headers. */
static int fill_fields(struct sip_msg_priv *pm)
{
	struct sip_msg *m = &pm->pub;
	const struct sip_hdr *h;
	uint64_t v;

	if ((h = first_header(pm, SIP_HDR_CALL_ID)))
		m->call_id = h->value;
	if ((h = first_header(pm, SIP_HDR_FROM)))
		m->from_tag = header_param(h->value, "tag");
	if ((h = first_header(pm, SIP_HDR_TO)))
		m->to_tag = header_param(h->value, "tag");
	if ((h = first_header(pm, SIP_HDR_VIA))) {
		struct xs_span top = xs_span(h->value.p, find_sep(h->value, 0, ','));
		m->via_branch = header_param(top, "branch");
	}
	if ((h = first_header(pm, SIP_HDR_EVENT)))
		m->event = xs_span_trim(xs_span(h->value.p, find_sep(h->value, 0, ';')));
	if ((h = first_header(pm, SIP_HDR_CSEQ))) {
		/* CSeq = 1*DIGIT LWS Method (RFC 3261 §20.16) */
		struct xs_span rest = h->value;
		size_t i = 0;
		while (i < rest.len && rest.p[i] >= '0' && rest.p[i] <= '9')
			i++;
		if (parse_uint(xs_span(rest.p, i), UINT32_MAX, &v) < 0)
			return -EBADMSG;
		m->cseq = (uint32_t)v;
		struct xs_span meth = xs_span_trim(xs_span(rest.p + i, rest.len - i));
		if (i == rest.len || !is_ws(rest.p[i]) ||
		    copy_token(m->cseq_method, sizeof m->cseq_method, meth) < 0)
			return -EBADMSG;
		if (!m->is_request)
			memcpy(m->method, m->cseq_method, sizeof m->method);
	}
	m->content_length = -1;
	if ((h = first_header(pm, SIP_HDR_CONTENT_LENGTH))) {
		if (parse_uint(h->value, SIP_MAX_MSG * 16ull, &v) < 0)
			return -EBADMSG;
		m->content_length = (long)v;
	}
	return 0;
}

static pthread_once_t osip_once = PTHREAD_ONCE_INIT;

/* libosip2 prints its traces to stdout by default: route them to our logger. */
static void osip_trace_to_log(const char *file, int line, osip_trace_level_t level,
			      const char *fmt, va_list ap)
{
	char msg[512];
	(void)level;
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	xs_log(XS_LOG_DEBUG, "libosip2 %s:%d: %s", file ? file : "?", line, msg);
}

static void osip_init_once(void)
{
	osip_trace_initialize_func(OSIP_WARNING, osip_trace_to_log);
	osipmem_install();
	parser_init();
}

/* libosip2's parse of the exact bytes; NULL when it refuses them. */
static osip_message_t *osip_parse(const uint8_t *raw, size_t len)
{
	osip_message_t *om = NULL;
	pthread_once(&osip_once, osip_init_once);
	if (osip_message_init(&om) != 0)
		return NULL;
	if (osip_message_parse(om, (const char *)raw, len) != 0) {
		osip_message_free(om);
		return NULL;
	}
	return om;
}

int sip_msg_parse(struct sip_msg **ret, const uint8_t *buf, size_t len)
{
	if (!ret || (!buf && len))
		return -EINVAL;
	if (len > SIP_MAX_MSG)
		return -E2BIG;
	if (!len)
		return -EBADMSG;

	/* a header table sized to the message: at most one entry per line (and one
	 * more than the cap, so that going over it is still told as -E2BIG) */
	size_t lines = 1;
	for (size_t i = 0; i < len;) { /* in byte counters, which the compiler makes wide */
		size_t n = XS_MIN(len - i, (size_t)255);
		uint8_t k = 0;
		for (size_t j = 0; j < n; j++)
			k += buf[i + j] == '\n';
		lines += k;
		i += n;
	}
	lines = XS_MIN(lines, (size_t)SIP_MAX_HEADERS + 1);
	/* one allocation: the message, its header table, then the raw bytes */
	struct sip_msg_priv *pm = malloc(sizeof *pm + lines * sizeof *pm->hdrs + len + 1);
	if (!pm)
		return -ENOMEM;
	memset(pm, 0, sizeof *pm);
	struct sip_msg *m = &pm->pub;
	pm->osip_ok = -1;
	pm->cap_hdrs = lines;
	pm->hdrs = (struct sip_hdr *)(pm + 1);
	m->raw = (uint8_t *)(pm->hdrs + lines);
	int r;
	memcpy(m->raw, buf, len);
	m->raw[len] = '\0';
	m->raw_len = len;

	struct xs_cur c = xs_cur_init(m->raw, len);
	struct xs_span line;
	unsigned blanks = 0;
	r = -EBADMSG;
	do {
		if (xs_cur_line(&c, &line) < 0 || blanks++ > SIP_MAX_LEADING_BLANKS)
			goto fail;
	} while (line.len == 0);
	if ((r = parse_start_line(m, line)) < 0 || (r = parse_headers(pm, &c)) < 0)
		goto fail;
	m->body_off = (size_t)(c.p - m->raw);
	m->body_len = len - m->body_off;
	if (m->body_len > SIP_MAX_BODY) {
		r = -E2BIG;
		goto fail;
	}
	if ((r = fill_fields(pm)) < 0)
		goto fail;
	*ret = m;
	return 0;
fail:
	sip_msg_free(m);
	return r;
}

osip_message_t *sip_msg_osip(const struct sip_msg *m)
{
	if (!m)
		return NULL;
	/* the cache lives in the heap object sip_msg_parse made, never a const one */
	struct sip_msg_priv *pm = (struct sip_msg_priv *)(uintptr_t)m;
	if (!pm->osip_tried) {
		pm->osip_tried = true;
		pm->pub.osip = osip_parse(m->raw, m->raw_len);
		pm->osip_ok = pm->pub.osip != NULL;
	}
	return m->osip;
}

bool sip_osip_accepts_bytes(const uint8_t *raw, size_t len)
{
	/* only the verdict is kept: the parse is made in an arena and dropped
	 * whole, without its three dozen frees */
	/* before the arena: libosip2's own tables must not be made in it */
	pthread_once(&osip_once, osip_init_once);
	alignas(max_align_t) uint8_t buf[OSIP_ARENA_STACK];
	struct osipmem a;
	osipmem_begin(&a, buf, sizeof buf);
	bool ok = osip_parse(raw, len) != NULL;
	osipmem_end(&a);
	return ok;
}

bool sip_msg_osip_accepts(const struct sip_msg *m)
{
	if (!m)
		return false;
	struct sip_msg_priv *pm = (struct sip_msg_priv *)(uintptr_t)m;
	if (pm->osip_ok < 0)
		pm->osip_ok = sip_osip_accepts_bytes(m->raw, m->raw_len);
	return pm->osip_ok;
}

void sip_msg_osip_known(struct sip_msg *m, bool accepts)
{
	struct sip_msg_priv *pm = (struct sip_msg_priv *)m;
	if (m && pm->osip_ok < 0)
		pm->osip_ok = accepts;
}

struct sip_msg *sip_msg_free(struct sip_msg *m)
{
	if (!m)
		return NULL;
	struct sip_msg_priv *pm = (struct sip_msg_priv *)m;
	if (m->osip)
		osip_message_free(m->osip);
	free(pm->unfolded);
	free(pm); /* with the header table and the raw bytes */
	return NULL;
}

/* The record, its header table and the raw bytes follow each other in one
 * allocation (sip_msg_parse): 2.5 KiB cover a typical message's headers
 * (1.5 KiB: about 1 % more CPU on the bench's dense file). Past a short
 * message's end the hint touches nothing: addresses, not accesses. */
#define PREFETCH_SPAN 2560u

void sip_msg_prefetch(const struct sip_msg *m)
{
	for (uintptr_t off = 0; off < PREFETCH_SPAN; off += XS_CACHE_LINE)
		__builtin_prefetch((const void *)((uintptr_t)m + off));
}

struct xs_span sip_msg_body(const struct sip_msg *m)
{
	if (!m || !m->raw)
		return XS_SPAN_NULL;
	return xs_span(m->raw + m->body_off, m->body_len);
}

/* Where a lookup of h starts: a known name's first line (past the end when none). */
static size_t first_line(const struct sip_msg_priv *pm, const struct hname *h)
{
	return h->id ? (pm->first_of[h->id] ? pm->first_of[h->id] - 1u : pm->n_hdrs) : 0;
}

/* The next non-empty comma-separated item of v from *from on (trimmed); false past the end. */
static bool next_item(struct xs_span v, size_t *from, struct xs_span *item)
{
	while (*from <= v.len) {
		size_t to = find_sep(v, *from, ',');
		*item = xs_span_trim(xs_span(v.p + *from, to - *from));
		*from = to + 1;
		if (item->len)
			return true;
	}
	return false;
}

static int header_lookup(const struct sip_msg_priv *pm, struct hname h, unsigned idx,
			 bool split_commas, struct xs_span *val)
{
	for (size_t i = first_line(pm, &h); i < pm->n_hdrs; i++) {
		if (!name_matches(&pm->hdrs[i], &h))
			continue;
		struct xs_span v = pm->hdrs[i].value;
		if (!split_commas) {
			if (idx-- == 0) {
				*val = v;
				return 0;
			}
			continue;
		}
		struct xs_span item;
		for (size_t from = 0; next_item(v, &from, &item);)
			if (idx-- == 0) {
				*val = item;
				return 0;
			}
	}
	return -ENOENT;
}

int sip_msg_header(const struct sip_msg *m, const char *name, unsigned idx,
		   bool split_commas, struct xs_span *val)
{
	if (!m || !name || !val)
		return -EINVAL;
	return header_lookup(priv_c(m), hname_of(name), idx, split_commas, val);
}

int sip_msg_header_id(const struct sip_msg *m, enum sip_hdr_id id, unsigned idx, bool split_commas,
		      struct xs_span *val)
{
	if (!m || !val || id <= SIP_HDR_NONE || id >= SIP_HDR_COUNT)
		return -EINVAL;
	return header_lookup(priv_c(m), (struct hname){ XS_SPAN_NULL, (uint8_t)id }, idx,
			     split_commas, val);
}

size_t sip_msg_header_items(const struct sip_msg *m, const char *name, struct xs_span *out,
			    size_t max)
{
	if (!m || !name)
		return 0;
	const struct sip_msg_priv *pm = priv_c(m);
	struct hname h = hname_of(name);
	size_t n = 0;
	for (size_t i = first_line(pm, &h); i < pm->n_hdrs; i++) {
		if (!name_matches(&pm->hdrs[i], &h))
			continue;
		struct xs_span item;
		for (size_t from = 0; next_item(pm->hdrs[i].value, &from, &item); n++)
			if (n < max)
				out[n] = item;
	}
	return n;
}

size_t sip_msg_header_count(const struct sip_msg *m)
{
	return m ? priv_c(m)->n_hdrs : 0;
}

int sip_msg_header_at(const struct sip_msg *m, size_t i, struct xs_span *name,
		      struct xs_span *value)
{
	if (!m || i >= priv_c(m)->n_hdrs)
		return -ENOENT;
	if (name)
		*name = priv_c(m)->hdrs[i].name;
	if (value)
		*value = priv_c(m)->hdrs[i].value;
	return 0;
}

/* Printable copy of s into out (non-printing bytes become '?'). */
static void put_printable(char *out, size_t size, size_t *pos, struct xs_span s)
{
	for (size_t i = 0; i < s.len && *pos + 1 < size; i++) {
		uint8_t ch = s.p[i];
		out[(*pos)++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	out[*pos] = '\0';
}

void sip_msg_summary(const struct sip_msg *m, char *out, size_t size)
{
	if (!size)
		return;
	out[0] = '\0';
	if (!m)
		return;
	size_t pos = 0;
	if (m->is_request) {
		put_printable(out, size, &pos, xs_span_str(m->method));
		put_printable(out, size, &pos, xs_span_str(" "));
		put_printable(out, size, &pos, m->ruri);
	} else {
		char code[8];
		snprintf(code, sizeof code, "%d", m->status);
		put_printable(out, size, &pos, xs_span_str(code));
		if (m->reason.len) {
			put_printable(out, size, &pos, xs_span_str(" "));
			put_printable(out, size, &pos, m->reason);
		}
	}
}
