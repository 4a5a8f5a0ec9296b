/* SPDX-License-Identifier: MIT */
/* decode.c — link layers, IPv4/IPv6, UDP/TCP headers, start-line recognition and framing, pcap reading. */
#include "capture-int.h"

#include <arpa/inet.h>
#include "pcaprt.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2 276
#endif
#ifndef DLT_IPV4
#define DLT_IPV4 228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6 229
#endif
#define LINKTYPE_RAW_ 101 /* what some libpcaps hand back for raw IP */

#define CAP_MAX_START_LINE 2048u /* a start line longer than this is not one */
#define CAP_IP6_MAX_EXT    16u   /* IPv6 extension headers walked before giving up */

int cap_decoder_new(struct cap_decoder **ret, const struct cap_sink *sink)
{
	struct cap_decoder *d = calloc(1, sizeof *d);
	if (!d)
		return -ENOMEM;
	if (sink)
		d->sink = *sink;
	d->tick_due = INT64_MIN;
	d->frag_due = INT64_MAX;
	if (cap_frag_new(&d->frag) < 0 || cap_tcp_new(&d->tcp) < 0) {
		cap_decoder_free(d);
		return -ENOMEM;
	}
	*ret = d;
	return 0;
}

struct cap_decoder *cap_decoder_free(struct cap_decoder *d)
{
	if (!d)
		return NULL;
	cap_frag_free(d->frag);
	cap_tcp_free(d->tcp);
	free(d);
	return NULL;
}

const struct cap_stats *cap_decoder_stats(const struct cap_decoder *d)
{
	return &d->st;
}

void cap_note(struct cap_decoder *d, uint64_t frame, const char *fmt, ...)
{
	d->st.skipped++;
	if (d->notes >= CAP_MAX_NOTES || !d->sink.note)
		return;
	d->notes++;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	d->sink.note(d->sink.ctx, frame, msg);
}

/* Dotted quad, as inet_ntop writes it (which goes through sprintf: a cost on every message). */
static void ipv4_format(const uint8_t a[4], char *out)
{
	for (int i = 0; i < 4; i++) {
		unsigned v = a[i];
		if (v >= 100)
			*out++ = (char)('0' + v / 100);
		if (v >= 10)
			*out++ = (char)('0' + v / 10 % 10);
		*out++ = (char)('0' + v % 10);
		*out++ = i < 3 ? '.' : '\0';
	}
}

static void addr_format(struct cap_decoder *d, const struct cap_addr *a, uint16_t port,
			struct xs_endpoint *e)
{
	_Static_assert(sizeof e->addr >= INET_ADDRSTRLEN, "room for a dotted quad");
	_Static_assert(sizeof d->fmt[0].text >= sizeof e->addr, "room for any address");
	e->port = port;
	for (unsigned i = 0; i < 2; i++)
		if (d->fmt[i].a.family == a->family && !memcmp(d->fmt[i].a.a, a->a, sizeof a->a)) {
			memcpy(e->addr, d->fmt[i].text, sizeof e->addr);
			return;
		}
	if (a->family == 4)
		ipv4_format(a->a, e->addr);
	else if (!inet_ntop(AF_INET6, a->a, e->addr, sizeof e->addr))
		e->addr[0] = '\0';
	struct addr_text *t = &d->fmt[d->fmt_next++ & 1];
	t->a = *a;
	memcpy(t->text, e->addr, sizeof e->addr);
}

void cap_emit(const struct cap_frame_ctx *fc, enum cap_kind kind, enum xs_transport tp,
	      const struct cap_flow *fl, const uint8_t *p, size_t len)
{
	struct cap_decoder *d = fc->d;
	if (kind == CAP_SIP)
		d->st.sip_msgs++;
	else
		d->st.http_reqs++;
	if (!d->sink.unit)
		return;
	struct cap_unit u = { .kind = kind, .tp = tp, .ts_us = fc->ts_us, .frame = fc->frame,
			      .p = p, .len = len };
	addr_format(d, &fl->src, fl->sport, &u.src);
	addr_format(d, &fl->dst, fl->dport, &u.dst);
	d->sink.unit(d->sink.ctx, &u);
}

/* ---- start lines and framing ---------------------------------------- */

static bool is_token_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '!' || c == '%' || c == '*' || c == '_' ||
	       c == '+' || c == '`' || c == '\'' || c == '~';
}

static bool is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

int cap_start_line_read(const uint8_t *p, size_t len)
{
	if (len == 0)
		return -2;
	uint8_t c0 = p[0];
	if (c0 < 'A' || c0 > 'Z')
		return -1;
	if (c0 == 'S' && len >= 8 && !memcmp(p, "SIP/2.0 ", 8)) {
		if (len < 12)
			return -2;
		/* RFC 3261 §7.2: Status-Line = SIP-Version SP Status-Code SP Reason-Phrase CRLF */
		if (is_digit(p[8]) && is_digit(p[9]) && is_digit(p[10]) &&
		    (p[11] == ' ' || p[11] == '\r' || p[11] == '\n'))
			return CAP_SIP;
		return -1;
	}
	size_t max = XS_MIN(len, (size_t)CAP_MAX_START_LINE);
	size_t i = 0;
	while (i < max && i <= 32 && is_token_char(p[i]))
		i++;
	if (i == max)
		return len < CAP_MAX_START_LINE ? -2 : -1;
	if (i == 0 || i > 32 || p[i] != ' ')
		return -1;
	size_t mlen = i++;
	size_t u0 = i;
	bool colon = false;
	while (i < max && p[i] != ' ' && p[i] != '\r' && p[i] != '\n') {
		if (p[i] == ':')
			colon = true;
		i++;
	}
	if (i == max)
		return len < CAP_MAX_START_LINE ? -2 : -1;
	if (p[i] != ' ' || i == u0)
		return -1;
	i++;
	const uint8_t *nl = xs_find_byte(p + i, '\n', max - i);
	if (!nl)
		return len < CAP_MAX_START_LINE ? -2 : -1;
	size_t vlen = (size_t)(nl - (p + i));
	if (vlen && p[i + vlen - 1] == '\r')
		vlen--;
	/* RFC 3261 §7.1: Request-Line = Method SP Request-URI SP SIP-Version CRLF */
	if (vlen == 7 && !memcmp(p + i, "SIP/2.0", 7) && colon)
		return CAP_SIP;
	/* RFC 9112 §3: request-line = method SP request-target SP HTTP-version */
	if (vlen == 8 && !memcmp(p + i, "HTTP/1.", 7) && (p[i + 7] == '0' || p[i + 7] == '1') &&
	    ((mlen == 3 && !memcmp(p, "GET", 3)) || (mlen == 4 && !memcmp(p, "HEAD", 4)) ||
	     (mlen == 4 && !memcmp(p, "POST", 4))))
		return CAP_HTTP;
	return -1;
}

int cap_classify(const uint8_t *p, size_t len)
{
	int k = cap_start_line(p, len);
	return k >= 0 ? k : -1;
}

static bool caseeq_prefix(const uint8_t *p, size_t len, const char *s, size_t n)
{
	if (len < n)
		return false;
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)s[i])
			return false;
	}
	return true;
}

/* Content-Length (RFC 3261 §20.14, compact "l") from the header block; -1 absent, -2 bad. */
static long content_length(const uint8_t *h, size_t len)
{
	struct xs_cur c = xs_cur_init(h, len);
	struct xs_span line;
	if (xs_cur_line(&c, &line) < 0) /* the start line */
		return -1;
	while (xs_cur_line(&c, &line) == 0 && line.len) {
		size_t n;
		if (caseeq_prefix(line.p, line.len, "content-length", 14))
			n = 14;
		else if (line.len && (line.p[0] == 'l' || line.p[0] == 'L'))
			n = 1;
		else
			continue;
		while (n < line.len && (line.p[n] == ' ' || line.p[n] == '\t'))
			n++;
		if (n >= line.len || line.p[n] != ':')
			continue;
		n++;
		while (n < line.len && (line.p[n] == ' ' || line.p[n] == '\t'))
			n++;
		/* every digit counts: stopping early would turn 1099511627776 into
		 * 1099511, a length that swallows the stream; past the cap it saturates */
		long v = 0;
		size_t d0 = n;
		for (; n < line.len && is_digit(line.p[n]); n++)
			v = XS_MIN(v * 10 + (line.p[n] - '0'), (long)CAP_TCP_SKIP_MAX + 1);
		if (n == d0)
			return -2;
		return v;
	}
	return -1;
}

/* End of the header block (index after the blank line), 0 when not there yet. */
static size_t header_end(const uint8_t *p, size_t len)
{
	const uint8_t *q = p, *end = p + len;
	while (q < end) {
		const uint8_t *nl = xs_find_byte(q, '\n', (size_t)(end - q));
		if (!nl || nl + 1 >= end)
			return 0;
		if (nl[1] == '\n')
			return (size_t)(nl + 2 - p);
		if (nl[1] == '\r') {
			if (nl + 2 >= end)
				return 0;
			if (nl[2] == '\n')
				return (size_t)(nl + 3 - p);
		}
		q = nl + 1;
	}
	return 0;
}

long cap_frame_len(const uint8_t *p, size_t len, int *kind, size_t *skip)
{
	*skip = 0;
	int k = cap_start_line(p, len);
	if (k == -2)
		return 0;
	if (k < 0)
		return -EBADMSG;
	*kind = k;
	size_t he = header_end(p, XS_MIN(len, (size_t)SIP_MAX_MSG + 4));
	if (!he)
		return len >= SIP_MAX_MSG ? -E2BIG : 0;
	long cl = content_length(p, he);
	if (cl < 0)
		cl = 0; /* absent (HTTP GET) or unreadable: the headers alone */
	size_t total = he + (size_t)cl;
	if (total > SIP_MAX_MSG) {
		/* a length past CAP_TCP_SKIP_MAX is garbled, not a message to skip */
		*skip = cl <= (long)CAP_TCP_SKIP_MAX ? total : 0;
		return -E2BIG;
	}
	return len < total ? 0 : (long)total;
}

/* ---- network and transport layers ----------------------------------- */

/* src and dst by address: the flow is made only for a message (most datagrams are not) */
static void cap_udp(const struct cap_frame_ctx *fc, const struct cap_addr *src,
		    const struct cap_addr *dst, const uint8_t *p, size_t len)
{
	struct xs_cur c = xs_cur_init(p, len);
	struct xs_span h; /* RFC 768: ports, length, checksum */
	if (xs_cur_take(&c, 8, &h) < 0)
		return;
	uint16_t sport = xs_be16_at(h.p), dport = xs_be16_at(h.p + 2), ulen = xs_be16_at(h.p + 4);
	size_t plen = xs_cur_left(&c);
	if (ulen >= 8 && (size_t)ulen - 8 < plen)
		plen = (size_t)ulen - 8;
	const uint8_t *pl = c.p;
	int k = cap_start_line(pl, plen);
	if (k == -2 && plen)
		k = -1;
	/* RFC 768: the length field bounds the datagram; a frame cut after it
	 * (an FCS or trailer counted in the wire length) lost nothing of it */
	if (ulen < 8 || (size_t)ulen - 8 > xs_cur_left(&c)) {
		if (k >= 0 || (plen >= 8 && !memcmp(pl, "SIP/2.0 ", 8)))
			cap_note(fc->d, fc->frame,
				 "UDP datagram cut short (%zu of %u bytes captured): message skipped",
				 plen, ulen >= 8 ? ulen - 8u : 0u);
		return;
	}
	if (k >= 0) {
		struct cap_flow fl = { .src = *src, .dst = *dst, .sport = sport, .dport = dport };
		cap_emit(fc, (enum cap_kind)k, XS_TP_UDP, &fl, pl, plen);
	}
}

static void cap_tcp(const struct cap_frame_ctx *fc, const struct cap_addr *src,
		    const struct cap_addr *dst, const uint8_t *p, size_t len, bool cut)
{
	struct xs_cur c = xs_cur_init(p, len);
	struct xs_span h; /* RFC 9293 §3.1: ports, sequence, acknowledgment, offset, flags */
	if (xs_cur_take(&c, 14, &h) < 0)
		return;
	uint32_t seq = xs_be32_at(h.p + 4);
	uint8_t off = h.p[12], flags = h.p[13];
	struct cap_flow fl = { .src = *src, .dst = *dst, .sport = xs_be16_at(h.p),
			       .dport = xs_be16_at(h.p + 2) };
	size_t hlen = (size_t)(off >> 4) * 4;
	c = xs_cur_init(p, len);
	if (hlen < 20 || xs_cur_skip(&c, hlen) < 0) {
		cap_note(fc->d, fc->frame, "bad TCP header (data offset %zu): segment skipped",
			 hlen);
		return;
	}
	struct cap_tcp_seg s = { .seq = seq, .syn = flags & 0x02, .fin = flags & 0x01,
				 .rst = flags & 0x04, .p = c.p, .len = xs_cur_left(&c) };
	if (cut) {
		int k = cap_start_line(s.p, s.len);
		if (k >= 0 || (s.len >= 8 && !memcmp(s.p, "SIP/2.0 ", 8)))
			cap_note(fc->d, fc->frame, "TCP segment cut short by the capture: skipped");
		/* the stream sees a hole: only the flags are used */
		s.len = 0;
		s.p = NULL;
	}
	cap_tcp_segment(fc, &fl, &s);
}

/* cap_l4's body, inline in the IPv4 path (the common one); tunnels go through cap_ip. */
static inline void l4(const struct cap_frame_ctx *fc, uint8_t proto, const struct cap_addr *src,
		      const struct cap_addr *dst, const uint8_t *p, size_t len, unsigned depth)
{
	switch (proto) {
	case 17:
		cap_udp(fc, src, dst, p, len);
		break;
	case 6:
		cap_tcp(fc, src, dst, p, len, fc->cut);
		break;
	case 4:  /* IPv4 in IP */
	case 41: /* IPv6 in IP */
		if (depth < CAP_MAX_TUNNEL_DEPTH)
			cap_ip(fc, p, len, depth + 1);
		break;
	default:
		break;
	}
}

void cap_l4(const struct cap_frame_ctx *fc, uint8_t proto, const struct cap_addr *src,
	    const struct cap_addr *dst, const uint8_t *p, size_t len, unsigned depth)
{
	l4(fc, proto, src, dst, p, len, depth);
}

static void cap_ipv4(const struct cap_frame_ctx *fc, const uint8_t *p, size_t len,
		     unsigned depth)
{
	struct xs_cur c = xs_cur_init(p, len);
	struct xs_span h; /* RFC 791 §3.1: the fixed part of the header */
	if (xs_cur_take(&c, 20, &h) < 0)
		return;
	uint8_t vihl = h.p[0], proto = h.p[9];
	uint16_t tot = xs_be16_at(h.p + 2), id = xs_be16_at(h.p + 4), frag = xs_be16_at(h.p + 6);
	struct cap_addr src = { .family = 4 }, dst = { .family = 4 };
	memcpy(src.a, h.p + 12, 4);
	memcpy(dst.a, h.p + 16, 4);
	size_t ihl = (size_t)(vihl & 15) * 4;
	size_t total = tot;
	if (total == 0) {
		/* segmentation offload: a capture on the sending host sees the
		 * NIC-bound super-packet before its length is filled in; take the
		 * captured length, as Wireshark does */
		if (!fc->d->tso_noted)
			cap_note(fc->d, fc->frame,
				 "IPv4 total length 0 (segmentation offload on the capturing host): "
				 "the captured length used (further ones not noted)");
		fc->d->tso_noted = true;
		total = len;
	}
	if (ihl < 20 || total < ihl || len < ihl)
		return;
	size_t plen = XS_MIN(len, total) - ihl;
	const uint8_t *pl = p + ihl;
	struct cap_frame_ctx f2 = *fc;
	if (len < total)
		f2.cut = true;
	size_t off = (size_t)(frag & 0x1fff) * 8;
	bool more = frag & 0x2000;
	if (more || off) {
		if (f2.cut) {
			cap_note(fc->d, fc->frame, "IPv4 fragment cut short by the capture: skipped");
			return;
		}
		struct cap_frag fr = { .src = src, .dst = dst, .id = id, .proto = proto,
				       .off = off, .more = more, .p = pl, .len = plen };
		cap_frag_add(&f2, &fr, depth);
		return;
	}
	l4(&f2, proto, &src, &dst, pl, plen, depth);
}

static void cap_ipv6(const struct cap_frame_ctx *fc, const uint8_t *p, size_t len,
		     unsigned depth)
{
	struct xs_cur c = xs_cur_init(p, len);
	uint32_t vtc;
	uint16_t plen16;
	uint8_t nh, hop;
	struct cap_addr src = { .family = 6 }, dst = { .family = 6 };
	struct xs_span a;
	if (xs_cur_be32(&c, &vtc) < 0 || xs_cur_be16(&c, &plen16) < 0 || xs_cur_u8(&c, &nh) < 0 ||
	    xs_cur_u8(&c, &hop) < 0 || xs_cur_take(&c, 16, &a) < 0)
		return;
	memcpy(src.a, a.p, 16);
	if (xs_cur_take(&c, 16, &a) < 0)
		return;
	memcpy(dst.a, a.p, 16);
	struct cap_frame_ctx f2 = *fc;
	if (xs_cur_left(&c) < plen16)
		f2.cut = true;
	else
		c.end = c.p + plen16;
	cap_ip6_chain(&f2, nh, &src, &dst, c.p, xs_cur_left(&c), false, depth);
}

void cap_ip6_chain(const struct cap_frame_ctx *fc, uint8_t nh, const struct cap_addr *src,
		   const struct cap_addr *dst, const uint8_t *p, size_t len, bool reassembled,
		   unsigned depth)
{
	struct xs_cur c = xs_cur_init(p, len);
	/* RFC 8200 §4: walk the extension headers */
	for (unsigned i = 0; i < CAP_IP6_MAX_EXT; i++) {
		uint8_t next, hl;
		switch (nh) {
		case 0:   /* hop-by-hop options */
		case 43:  /* routing */
		case 60:  /* destination options */
		case 135: /* mobility */
		case 139: /* HIP */
		case 140: /* shim6 */
			if (xs_cur_u8(&c, &next) < 0 || xs_cur_u8(&c, &hl) < 0 ||
			    xs_cur_skip(&c, (size_t)hl * 8 + 6) < 0)
				return;
			nh = next;
			continue;
		case 51: /* AH, RFC 4302 §2.2: length in 4-octet units minus 2 */
			if (xs_cur_u8(&c, &next) < 0 || xs_cur_u8(&c, &hl) < 0 ||
			    xs_cur_skip(&c, ((size_t)hl + 2) * 4 - 2) < 0)
				return;
			nh = next;
			continue;
		case 44: { /* fragment, RFC 8200 §4.5 */
			uint8_t res;
			uint16_t offm;
			uint32_t id;
			if (xs_cur_u8(&c, &next) < 0 || xs_cur_u8(&c, &res) < 0 ||
			    xs_cur_be16(&c, &offm) < 0 || xs_cur_be32(&c, &id) < 0)
				return;
			if ((offm & 0xfff8) == 0 && !(offm & 1)) { /* atomic fragment */
				nh = next;
				continue;
			}
			if (reassembled) { /* §4.1: at most once; no fragments of fragments */
				cap_note(fc->d, fc->frame,
					 "IPv6 Fragment header inside a reassembled datagram: skipped");
				return;
			}
			if (fc->cut) {
				cap_note(fc->d, fc->frame,
					 "IPv6 fragment cut short by the capture: skipped");
				return;
			}
			struct cap_frag fr = { .src = *src, .dst = *dst, .id = id, .proto = next,
					       .off = offm & 0xfff8, .more = offm & 1,
					       .p = c.p, .len = xs_cur_left(&c) };
			cap_frag_add(fc, &fr, depth);
			return;
		}
		case 59: /* no next header */
		case 50: /* ESP: encrypted */
			return;
		default:
			cap_l4(fc, nh, src, dst, c.p, xs_cur_left(&c), depth);
			return;
		}
	}
}

/* cap_ip's body, inline where a frame starts (one place in cap_decoder_frame). */
static inline void ip_layer(const struct cap_frame_ctx *fc, const uint8_t *p, size_t len,
			    unsigned depth)
{
	if (len < 1)
		return;
	switch (p[0] >> 4) {
	case 4:
		cap_ipv4(fc, p, len, depth);
		break;
	case 6:
		cap_ipv6(fc, p, len, depth);
		break;
	default:
		break;
	}
}

void cap_ip(const struct cap_frame_ctx *fc, const uint8_t *p, size_t len, unsigned depth)
{
	ip_layer(fc, p, len, depth);
}

static bool is_vlan_type(uint16_t t)
{
	return t == 0x8100 || t == 0x88a8 || t == 0x9100 || t == 0x9200;
}

static bool ts_near(int64_t a, int64_t b)
{
	int64_t diff;
	return !__builtin_sub_overflow(a, b, &diff) && diff <= CAP_TS_JUMP_US &&
	       diff >= -CAP_TS_JUMP_US;
}

/*
 * The time to decode a frame at. A timestamp far from the capture's running
 * time (a corrupt record, a clock stepped on the capturing host) would judge
 * every open exchange at once and time out every TCP stream and fragment
 * held, so it is noted and the running time used; CAP_TS_JUMP_CONFIRM frames
 * in a row that agree are a real jump (captures joined end to end).
 */
static int64_t frame_time(struct cap_decoder *d, uint64_t frame, int64_t ts)
{
	if (ts != CAP_TS_NONE && (!d->have_clock || ts_near(ts, d->clock))) {
		d->have_clock = true;
		d->clock = ts;
		d->jump_n = 0;
		return ts;
	}
	if (ts == CAP_TS_NONE) /* noted by the reader */
		return d->have_clock ? d->clock : 0;
	d->jump_n = d->jump_n && ts_near(ts, d->jump_ts) ? d->jump_n + 1 : 1;
	d->jump_ts = ts;
	long long from = (long long)(d->clock / 1000000), to = (long long)(ts / 1000000);
	if (d->jump_n >= CAP_TS_JUMP_CONFIRM) {
		cap_note(d, frame, "capture time jumps from %lld s to %lld s (%u frames agree): "
			 "followed", from, to, CAP_TS_JUMP_CONFIRM);
		d->clock = ts;
		d->jump_n = 0;
		return ts;
	}
	cap_note(d, frame, "frame timestamp %lld s is more than a day from the capture's time "
		 "(%lld s): decoded at the capture's time", to, from);
	return d->clock;
}

void cap_decoder_frame(struct cap_decoder *d, int dlt, uint64_t frame, int64_t ts_us,
		       const uint8_t *p, size_t caplen, size_t wirelen)
{
	ts_us = frame_time(d, frame, ts_us);
	d->st.frames++;
	d->st.bytes += caplen;
	if (d->sink.tick && ts_us >= d->tick_due)
		d->tick_due = d->sink.tick(d->sink.ctx, ts_us);
	struct cap_frame_ctx fc = { .d = d, .frame = frame, .ts_us = ts_us,
				    .cut = caplen < wirelen };
	struct xs_cur c = xs_cur_init(p, caplen);
	uint16_t et = 0;
	switch (dlt) {
	case DLT_EN10MB:
		if (xs_cur_skip(&c, 12) < 0 || xs_cur_be16(&c, &et) < 0)
			return;
		if (et == 0x0800 || et == 0x86dd) /* untagged IP: most frames */
			goto ip;
		for (unsigned i = 0; is_vlan_type(et) && i < 8; i++) /* 802.1Q, 802.1ad, stacked */
			if (xs_cur_skip(&c, 2) < 0 || xs_cur_be16(&c, &et) < 0)
				return;
		break;
	case DLT_LINUX_SLL: /* 16-byte cooked header, protocol last */
		if (xs_cur_skip(&c, 14) < 0 || xs_cur_be16(&c, &et) < 0)
			return;
		break;
	case DLT_LINUX_SLL2: /* 20-byte cooked header, protocol first */
		if (xs_cur_be16(&c, &et) < 0 || xs_cur_skip(&c, 18) < 0)
			return;
		break;
	case DLT_NULL:
	case DLT_LOOP: /* 4-byte address family (host / network order): the IP version says it */
		if (xs_cur_skip(&c, 4) < 0)
			return;
		goto ip;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case LINKTYPE_RAW_:
		goto ip;
	default:
		return;
	}
	while (is_vlan_type(et)) /* cooked captures can carry tags too */
		if (xs_cur_skip(&c, 2) < 0 || xs_cur_be16(&c, &et) < 0)
			return;
	if (et == 0x8864) { /* PPPoE session (RFC 2516 §4), then the PPP protocol */
		uint16_t ppp;
		if (xs_cur_skip(&c, 6) < 0 || xs_cur_be16(&c, &ppp) < 0)
			return;
		et = ppp == 0x0021 ? 0x0800 : ppp == 0x0057 ? 0x86dd : 0;
	}
	if (et != 0x0800 && et != 0x86dd)
		goto out;
ip:
	ip_layer(&fc, c.p, xs_cur_left(&c), 0);
out:
	if (ts_us >= d->frag_due)
		cap_frag_expire(d, ts_us, false);
}

void cap_decoder_finish(struct cap_decoder *d)
{
	cap_frag_expire(d, 0, true);
	cap_tcp_flush(d);
}

bool cap_dlt_supported(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_LINUX_SLL:
	case DLT_LINUX_SLL2:
	case DLT_NULL:
	case DLT_LOOP:
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
	case LINKTYPE_RAW_:
		return true;
	default:
		return false;
	}
}

int cap_read_stream(struct cap_decoder *d, FILE *f, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	const struct pcaprt *lib = pcaprt();
	pcap_t *pc = lib->fopen_offline(f, perr);
	if (!pc) {
		snprintf(err, errlen, "not a pcap or pcapng capture (%s)", perr);
		fclose(f);
		return -EBADMSG;
	}
	int dlt = lib->datalink(pc);
	if (!cap_dlt_supported(dlt)) {
		const char *name = lib->datalink_val_to_name(dlt);
		snprintf(err, errlen, "link type %d (%s) is not supported", dlt,
			 name ? name : "unknown");
		lib->close(pc);
		return -ENOTSUP;
	}
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t frame = 0;
	int r, ret = 0;
	while ((r = lib->next_ex(pc, &h, &data)) == 1) {
		frame++;
		/* a pcapng timestamp is 64 bits of any unit: in microseconds it may not fit */
		int64_t ts;
		if (__builtin_mul_overflow((int64_t)h->ts.tv_sec, (int64_t)1000000, &ts) ||
		    __builtin_add_overflow(ts, (int64_t)h->ts.tv_usec, &ts)) {
			cap_note(d, frame, "frame timestamp out of range (%lld s): "
				 "decoded at the capture's time", (long long)h->ts.tv_sec);
			ts = CAP_TS_NONE;
		}
		cap_decoder_frame(d, dlt, frame, ts, data, h->caplen, h->len);
	}
	if (r == PCAP_ERROR) {
		cap_note(d, frame + 1, "capture ends early after frame %llu: %s",
			 (unsigned long long)frame, lib->geterr(pc));
		ret = 1;
	}
	lib->close(pc); /* closes f */
	return ret;
}
