/* SPDX-License-Identifier: MIT */
/* test-capture.c — the capture decoder over pcaps built in memory: link types, VLANs, IPv6, fragments, TCP, bad input. */
#include "harness/capture/capture.h"
#include "harness/capture/pcapw.h"
#include "harness/capture/pipe.h"
#include "harness/capture/workq.h"

#include <criterion/criterion.h>
#include <pcap/pcap.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- building captures ---------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

struct pcapbuf {
	struct xs_buf b;
	uint32_t ts;
};

static void pcap_begin(struct pcapbuf *pb, uint32_t linktype)
{
	memset(pb, 0, sizeof *pb);
	uint8_t h[24] = { 0 };
	put32le(h, 0xa1b2c3d4u);
	h[4] = 2;
	h[6] = 4;
	put32le(h + 16, 262144);
	put32le(h + 20, linktype);
	xs_buf_append(&pb->b, h, sizeof h);
}

static void pcap_rec(struct pcapbuf *pb, const void *p, size_t caplen, size_t wirelen)
{
	uint8_t r[16];
	put32le(r, 1700000000u + pb->ts++);
	put32le(r + 4, 0);
	put32le(r + 8, (uint32_t)caplen);
	put32le(r + 12, (uint32_t)wirelen);
	xs_buf_append(&pb->b, r, 16);
	xs_buf_append(&pb->b, p, caplen);
}

/* IPv4 header + payload into out; returns the length. */
static size_t ip4(uint8_t *out, uint8_t proto, uint16_t id, uint16_t frag, const void *pl,
		  size_t len)
{
	memset(out, 0, 20);
	out[0] = 0x45;
	put16(out + 2, (uint16_t)(20 + len));
	put16(out + 4, id);
	put16(out + 6, frag);
	out[8] = 64;
	out[9] = proto;
	put32(out + 12, 0x7f000001);
	put32(out + 16, 0x7f000002);
	memcpy(out + 20, pl, len);
	return 20 + len;
}

/* IPv6 header, the extension bytes ext (chain ends in next), payload. */
static size_t ip6(uint8_t *out, uint8_t first_nh, const void *ext, size_t extlen,
		  const void *pl, size_t len)
{
	memset(out, 0, 40);
	out[0] = 0x60;
	put16(out + 4, (uint16_t)(extlen + len));
	out[6] = first_nh;
	out[7] = 64;
	out[23] = 1;
	out[39] = 2;
	if (extlen)
		memcpy(out + 40, ext, extlen);
	memcpy(out + 40 + extlen, pl, len);
	return 40 + extlen + len;
}

static size_t udp(uint8_t *out, uint16_t sp, uint16_t dp, const void *pl, size_t len)
{
	put16(out, sp);
	put16(out + 2, dp);
	put16(out + 4, (uint16_t)(8 + len));
	put16(out + 6, 0);
	memcpy(out + 8, pl, len);
	return 8 + len;
}

static size_t tcp(uint8_t *out, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
		  const void *pl, size_t len)
{
	memset(out, 0, 20);
	put16(out, sp);
	put16(out + 2, dp);
	put32(out + 4, seq);
	out[12] = 5 << 4;
	out[13] = flags;
	memcpy(out + 20, pl, len);
	return 20 + len;
}

/* ---- running the decoder -------------------------------------------- */

struct seen {
	int n_units, n_sip, n_http, n_notes, n_ticks;
	uint64_t frames[32];
	int64_t ts[32];     /* of the units */
	int64_t ticks[32];
	char text[32][600];
	char notes[32][200];
};

static void on_unit(void *ctx, const struct cap_unit *u)
{
	struct seen *s = ctx;
	if (s->n_units < 32) {
		s->frames[s->n_units] = u->frame;
		s->ts[s->n_units] = u->ts_us;
		snprintf(s->text[s->n_units], sizeof s->text[0], "%.*s", (int)u->len,
			 (const char *)u->p);
	}
	s->n_units++;
	if (u->kind == CAP_SIP)
		s->n_sip++;
	else
		s->n_http++;
}

static void on_note(void *ctx, uint64_t frame, const char *what)
{
	struct seen *s = ctx;
	(void)frame;
	if (s->n_notes < 32)
		snprintf(s->notes[s->n_notes], sizeof s->notes[0], "%s", what);
	s->n_notes++;
}

static int64_t on_tick(void *ctx, int64_t ts_us)
{
	struct seen *s = ctx;
	if (s->n_ticks < 32)
		s->ticks[s->n_ticks] = ts_us;
	s->n_ticks++;
	return INT64_MIN; /* every frame */
}

static int run(const struct xs_buf *b, struct seen *s)
{
	memset(s, 0, sizeof *s);
	struct cap_sink sink = { .ctx = s, .unit = on_unit, .note = on_note, .tick = on_tick };
	struct cap_decoder *d;
	cr_assert_eq(cap_decoder_new(&d, &sink), 0);
	FILE *f = fmemopen(b->p, b->len, "rb");
	cr_assert_not_null(f);
	char err[256];
	int r = cap_read_stream(d, f, err, sizeof err);
	cap_decoder_finish(d);
	cap_decoder_free(d);
	return r;
}

static bool noted(const struct seen *s, const char *needle)
{
	for (int i = 0; i < s->n_notes && i < 32; i++)
		if (strstr(s->notes[i], needle))
			return true;
	return false;
}

static const char OPTIONS[] = "OPTIONS sip:100@127.0.0.2 SIP/2.0\r\n"
			      "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK1\r\n"
			      "Call-ID: c1@test\r\nCSeq: 1 OPTIONS\r\n"
			      "From: <sip:a@127.0.0.1>;tag=1\r\nTo: <sip:100@127.0.0.2>\r\n"
			      "Content-Length: 0\r\n\r\n";

static const char NOTIFY_BODY[] = "NOTIFY sip:100@127.0.0.2 SIP/2.0\r\n"
				  "Call-ID: c2@test\r\nCSeq: 2 NOTIFY\r\nEvent: xml-service\r\n"
				  "Content-Length: 22\r\n\r\nhttp://127.0.0.1/x.xml";

/* ---- link layers ---------------------------------------------------- */

struct link_case {
	const char *name;
	uint32_t linktype;
	uint8_t hdr[32];
	size_t hlen;
	bool v6;
};

Test(capture, link_types)
{
	static const struct link_case cases[] = {
		{ "ethernet", 1, { [12] = 0x08, [13] = 0x00 }, 14, false },
		{ "ethernet6", 1, { [12] = 0x86, [13] = 0xdd }, 14, true },
		{ "vlan", 1, { [12] = 0x81, [13] = 0x00, [14] = 0, [15] = 5, [16] = 0x08, [17] = 0 },
		  18, false },
		{ "qinq", 1, { [12] = 0x88, [13] = 0xa8, [14] = 0, [15] = 5, [16] = 0x81, [17] = 0,
			       [18] = 0, [19] = 7, [20] = 0x86, [21] = 0xdd }, 22, true },
		{ "sll", 113, { [14] = 0x08, [15] = 0x00 }, 16, false },
		{ "sll2", 276, { [0] = 0x86, [1] = 0xdd }, 20, true },
		{ "raw", 101, { 0 }, 0, false },
		{ "raw6", 101, { 0 }, 0, true },
		{ "ipv4", 228, { 0 }, 0, false },
		{ "ipv6", 229, { 0 }, 0, true },
		{ "null", 0, { 2, 0, 0, 0 }, 4, false },
		{ "null6", 0, { 30, 0, 0, 0 }, 4, true },
		{ "loop", 108, { 0, 0, 0, 2 }, 4, false },
		{ "pppoe", 1, { [12] = 0x88, [13] = 0x64, [14] = 0x11, [20] = 0x00, [21] = 0x21 },
		  22, false },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		const struct link_case *c = &cases[i];
		uint8_t u[2048], ip[2048], fr[2048];
		size_t ul = udp(u, 5060, 5062, OPTIONS, strlen(OPTIONS));
		size_t il = c->v6 ? ip6(ip, 17, NULL, 0, u, ul) : ip4(ip, 17, 1, 0, u, ul);
		memcpy(fr, c->hdr, c->hlen);
		memcpy(fr + c->hlen, ip, il);
		struct pcapbuf pb;
		pcap_begin(&pb, c->linktype);
		pcap_rec(&pb, fr, c->hlen + il, c->hlen + il);
		struct seen s;
		cr_assert_eq(run(&pb.b, &s), 0, "%s", c->name);
		cr_assert_eq(s.n_sip, 1, "%s: %d SIP messages", c->name, s.n_sip);
		cr_assert_str_eq(s.text[0], OPTIONS, "%s", c->name);
		xs_buf_reset(&pb.b);
	}
}

Test(capture, unsupported_link_type_and_garbage)
{
	struct pcapbuf pb;
	pcap_begin(&pb, 147); /* USER0 */
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), -ENOTSUP);
	xs_buf_reset(&pb.b);
	struct xs_buf g = { 0 };
	xs_buf_puts(&g, "this is not a capture file at all, just text\n");
	cr_assert_eq(run(&g, &s), -EBADMSG);
	xs_buf_reset(&g);
	struct xs_buf empty = { 0 };
	xs_buf_append(&empty, "", 0);
	cr_assert_eq(run(&empty, &s), -EBADMSG);
	xs_buf_reset(&empty);
}

Test(capture, truncated_file_keeps_what_was_read)
{
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	pcap_rec(&pb, ip, il, il);
	pcap_rec(&pb, ip, il, il);
	pb.b.len -= 30; /* cut the second record */
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 1);
	cr_assert_eq(s.n_sip, 1);
	cr_assert(noted(&s, "ends early"), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

Test(capture, snaplen_cut_frame_is_noted)
{
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	pcap_rec(&pb, ip, 96, il);
	pcap_rec(&pb, ip, il, il);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1);
	cr_assert_eq(s.frames[0], 2);
	cr_assert(noted(&s, "cut short"));
	xs_buf_reset(&pb.b);
}

Test(capture, non_sip_and_http)
{
	static const char *const payloads[] = {
		"\x01\x02\x03 binary", "HTTP/1.1 200 OK\r\n\r\n", "hello world\r\n",
		"GET /x.xml HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
	};
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	for (size_t i = 0; i < XS_ARRAY_SIZE(payloads); i++) {
		uint8_t u[256], ip[256];
		size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, payloads[i], strlen(payloads[i])));
		pcap_rec(&pb, ip, il, il);
	}
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 0);
	cr_assert_eq(s.n_http, 1);
	xs_buf_reset(&pb.b);
}

Test(capture, classify)
{
	static const struct {
		const char *s;
		int want;
	} cases[] = {
		{ "SIP/2.0 401 Unauthorized\r\n", CAP_SIP },
		{ "NOTIFY sip:100@10.0.0.5 SIP/2.0\r\n", CAP_SIP },
		{ "INVITE tel:+123 SIP/2.0\n", CAP_SIP },
		{ "NOTIFY 100@10.0.0.5 SIP/2.0\r\n", -1 }, /* no scheme */
		{ "NOTIFY sip:100@10.0.0.5 SIP/3.0\r\n", -1 },
		{ "GET /x HTTP/1.1\r\n", CAP_HTTP },
		{ "GET http://h/x HTTP/1.0\r\n", CAP_HTTP },
		{ "PUT /x HTTP/1.1\r\n", -1 },
		{ "SIP/2.0 4x1 Bad\r\n", -1 },
		{ "notify sip:a SIP/2.0\r\n", -1 },
		{ "", -1 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++)
		cr_assert_eq(cap_classify((const uint8_t *)cases[i].s, strlen(cases[i].s)),
			     cases[i].want, "%s", cases[i].s);
}

/* ---- IPv6 extension headers and fragments ---------------------------- */

Test(capture, ipv6_extension_headers)
{
	/* hop-by-hop (8) -> routing (8) -> destination options (16) -> UDP */
	uint8_t ext[32] = { 43, 0, 1, 4, 0, 0, 0, 0, 60, 0, 0, 0, 0, 0, 0, 0, 17, 1 };
	uint8_t u[2048], ip[2048];
	size_t ul = udp(u, 5060, 5060, OPTIONS, strlen(OPTIONS));
	size_t il = ip6(ip, 0, ext, 32, u, ul);
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	pcap_rec(&pb, ip, il, il);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1);
	xs_buf_reset(&pb.b);
}

/* The UDP datagram carrying msg, cut into fragments of 8*k bytes, in the given order. */
static void fragments(struct pcapbuf *pb, bool v6, const char *msg, const int *order, size_t n,
		      size_t fsize, const int *overlap_with)
{
	uint8_t u[4096];
	size_t ul = udp(u, 5060, 5060, msg, strlen(msg));
	for (size_t k = 0; k < n; k++) {
		size_t i = (size_t)order[k];
		size_t off = i * fsize;
		size_t len = XS_MIN(fsize, ul - off);
		bool more = off + len < ul;
		uint8_t piece[4096], ip[4096];
		memcpy(piece, u + off, len);
		if (overlap_with && overlap_with[k]) /* a conflicting copy of the same bytes */
			memset(piece, 'Z', len);
		size_t il;
		if (v6) {
			uint8_t fh[8] = { 17, 0 };
			put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
			put32(fh + 4, 77);
			il = ip6(ip, 44, fh, 8, piece, len);
		} else {
			il = ip4(ip, 17, 77, (uint16_t)((off / 8) | (more ? 0x2000 : 0)), piece, len);
		}
		pcap_rec(pb, ip, il, il);
	}
}

Test(capture, fragments_in_and_out_of_order)
{
	static const int orders[][4] = { { 0, 1, 2, 3 }, { 3, 2, 1, 0 }, { 2, 0, 3, 1 } };
	for (int v6 = 0; v6 < 2; v6++)
		for (size_t o = 0; o < XS_ARRAY_SIZE(orders); o++) {
			struct pcapbuf pb;
			pcap_begin(&pb, 101);
			/* 8 + 226 = 234 bytes of UDP in fragments of 64: four pieces */
			fragments(&pb, v6, OPTIONS, orders[o], 4, 64, NULL);
			struct seen s;
			cr_assert_eq(run(&pb.b, &s), 0);
			cr_assert_eq(s.n_sip, 1, "v6=%d order %zu", v6, o);
			cr_assert_str_eq(s.text[0], OPTIONS);
			cr_assert_eq(s.frames[0], 4);
			cr_assert_eq(s.n_notes, 0);
			xs_buf_reset(&pb.b);
		}
}

Test(capture, overlapping_and_missing_fragments)
{
	static const int order[] = { 0, 1, 1, 2, 3 };
	static const int overlap[] = { 0, 0, 1, 0, 0 };
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	fragments(&pb, false, OPTIONS, order, 5, 64, overlap);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1);
	cr_assert_str_eq(s.text[0], OPTIONS, "the bytes first seen are kept");
	cr_assert(noted(&s, "overlapping IP fragment"));
	xs_buf_reset(&pb.b);

	static const int missing[] = { 0, 1, 3 };
	pcap_begin(&pb, 101);
	fragments(&pb, true, OPTIONS, missing, 3, 64, NULL);
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 0);
	cr_assert(noted(&s, "incomplete IPv6 datagram"), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

/* ---- TCP ------------------------------------------------------------ */

struct seg {
	uint32_t seq;  /* relative to the ISN + 1 */
	size_t off, len;
	uint8_t flags;
};

static void tcp_capture(struct pcapbuf *pb, const char *stream, const struct seg *segs, size_t n)
{
	const uint32_t isn = 0xfffffff0u; /* sequence numbers wrap inside the test */
	pcap_begin(pb, 101);
	for (size_t i = 0; i < n; i++) {
		uint8_t t[70000], ip[70000];
		uint32_t seq = segs[i].flags & 0x02 ? isn : isn + 1 + segs[i].seq;
		size_t tl = tcp(t, 40000, 5060, seq, segs[i].flags, stream + segs[i].off,
				segs[i].len);
		size_t il = ip4(ip, 6, (uint16_t)i, 0, t, tl);
		pcap_rec(pb, ip, il, il);
	}
}

Test(capture, tcp_reassembly)
{
	char two[1024];
	snprintf(two, sizeof two, "%s%s", OPTIONS, NOTIFY_BODY);
	size_t a = strlen(OPTIONS), n = strlen(two);
	static const uint8_t PA = 0x18, SYN = 0x02;
	const struct {
		const char *name;
		struct seg s[6];
		size_t n;
		int want;
	} cases[] = {
		{ "two in one", { { 0, 0, n, PA } }, 1, 2 },
		{ "one over three", { { 0, 0, 10, PA }, { 10, 10, 100, PA },
				      { 110, 110, n - 110, PA } }, 3, 2 },
		{ "out of order", { { 0, 0, 0, SYN }, { 100, 100, n - 100, PA },
				    { 0, 0, 100, PA } }, 3, 2 },
		{ "retransmitted", { { 0, 0, a, PA }, { 0, 0, a, PA }, { a, a, n - a, PA },
				     { a, a, n - a, PA } }, 4, 2 },
		{ "overlapping", { { 0, 0, 50, PA }, { 20, 20, a, PA }, { 40, 40, n - 40, PA } },
		  3, 2 },
		{ "one message", { { 0, 0, a, PA } }, 1, 1 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct pcapbuf pb;
		tcp_capture(&pb, two, cases[i].s, cases[i].n);
		struct seen s;
		cr_assert_eq(run(&pb.b, &s), 0);
		cr_assert_eq(s.n_sip, cases[i].want, "%s: %d", cases[i].name, s.n_sip);
		cr_assert_str_eq(s.text[0], OPTIONS, "%s", cases[i].name);
		if (cases[i].want > 1)
			cr_assert_str_eq(s.text[1], NOTIFY_BODY, "%s", cases[i].name);
		xs_buf_reset(&pb.b);
	}
}

Test(capture, tcp_junk_gap_and_oversize)
{
	/* junk, then a message; an over-cap message skipped by its Content-Length, then one more */
	struct xs_buf st = { 0 };
	xs_buf_puts(&st, OPTIONS);
	xs_buf_puts(&st, "garbage line\r\nmore garbage\r\n");
	xs_buf_puts(&st, OPTIONS);
	xs_buf_printf(&st, "NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 70000\r\n\r\n");
	size_t big = st.len;
	for (int i = 0; i < 70000; i++)
		xs_buf_append(&st, "x", 1);
	xs_buf_puts(&st, OPTIONS);
	struct seg segs[64];
	size_t n = 0;
	for (size_t off = 0; off < st.len; off += 1400, n++)
		segs[n] = (struct seg){ (uint32_t)off, off, XS_MIN((size_t)1400, st.len - off), 0x18 };
	struct pcapbuf pb;
	tcp_capture(&pb, (const char *)st.p, segs, n);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 3, "%d", s.n_sip);
	cr_assert(noted(&s, "unrecognised data"));
	cr_assert(noted(&s, "over the"));
	(void)big;
	xs_buf_reset(&pb.b);
	xs_buf_reset(&st);
}

Test(capture, tcp_gap_never_filled)
{
	size_t a = strlen(OPTIONS);
	char two[1024];
	snprintf(two, sizeof two, "%s%s", OPTIONS, OPTIONS);
	/* the first message's tail is lost; the second message must still be found */
	struct seg segs[] = { { 0, 0, 0, 0x02 }, { 0, 0, 30, 0x18 }, { (uint32_t)a, a, a, 0x18 } };
	struct pcapbuf pb;
	tcp_capture(&pb, two, segs, 3);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1, "the message after the gap is still found");
	cr_assert(noted(&s, "never filled"), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

Test(capture, tcp_overlap_out_of_order_keeps_first_copy)
{
	/* two messages; a second copy whose bytes [250, 300) differ (in the NOTIFY's headers) */
	char st[2048];
	size_t n = (size_t)snprintf(st, sizeof st, "%s%s", OPTIONS, NOTIFY_BODY);
	cr_assert_gt(n, 300);
	memcpy(st + n, st, n);
	memset(st + n + 250, 'Z', 50);
	static const uint8_t PA = 0x18, SYN = 0x02;
	const struct {
		const char *name;
		struct seg s[5];
		size_t n;
	} cases[] = {
		/* held [250, n), then the other copy [200, 300) held over it, then the rest */
		{ "held over held", { { 0, 0, 0, SYN }, { 250, 250, n - 250, PA },
				      { 200, n + 200, 100, PA }, { 100, 100, 150, PA },
				      { 0, 0, 100, PA } }, 5 },
		/* held [250, n), then the other copy in order over it */
		{ "in order over held", { { 0, 0, 0, SYN }, { 250, 250, n - 250, PA },
					  { 0, n, 300, PA } }, 3 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct pcapbuf pb;
		tcp_capture(&pb, st, cases[i].s, cases[i].n);
		struct seen s;
		cr_assert_eq(run(&pb.b, &s), 0);
		cr_assert_eq(s.n_sip, 2, "%s: %d", cases[i].name, s.n_sip);
		cr_assert_str_eq(s.text[0], OPTIONS, "%s", cases[i].name);
		cr_assert_str_eq(s.text[1], NOTIFY_BODY, "%s: the first copy is kept", cases[i].name);
		cr_assert(noted(&s, "different bytes: the first copy (frame 2) kept"), "%s: %s",
			  cases[i].name, s.notes[0]);
		xs_buf_reset(&pb.b);
	}
}

Test(capture, tcp_resync_after_a_jump_past_the_window)
{
	char two[1024];
	size_t n = (size_t)snprintf(two, sizeof two, "%s%s", OPTIONS, NOTIFY_BODY);
	size_t a = strlen(OPTIONS);
	/* 2 MB lost after the SYN; junk far ahead that starts no message stays out */
	struct seg segs[] = { { 0, 0, 0, 0x02 }, { 5000000, 10, 40, 0x18 },
			      { 2000000, 0, a, 0x18 }, { (uint32_t)(2000000 + a), a, n - a, 0x18 } };
	struct pcapbuf pb;
	tcp_capture(&pb, two, segs, XS_ARRAY_SIZE(segs));
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 2, "%d", s.n_sip);
	cr_assert_str_eq(s.text[1], NOTIFY_BODY);
	cr_assert(noted(&s, "out of the window (5000000 bytes"), "%s", s.notes[0]);
	cr_assert(noted(&s, "resynchronised at a start line 2000000 bytes"), "%s", s.notes[1]);
	xs_buf_reset(&pb.b);
}

Test(capture, tcp_garbled_content_length_resynchronises)
{
	static const char GARBLED[] = "MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 1099511627776\r\n\r\n";
	for (int same_segment = 0; same_segment < 2; same_segment++) {
		struct xs_buf st = { 0 };
		xs_buf_puts(&st, OPTIONS);
		xs_buf_puts(&st, GARBLED);
		for (int i = 0; i < 1800; i++) /* a body with no line end */
			xs_buf_append(&st, "A", 1);
		if (same_segment)
			xs_buf_puts(&st, "\r\n");
		size_t cut = st.len;
		xs_buf_puts(&st, OPTIONS);
		xs_buf_puts(&st, NOTIFY_BODY);
		/* the next message at a segment start, or after a line end in the same segment */
		struct seg two[] = { { 0, 0, cut, 0x18 }, { (uint32_t)cut, cut, st.len - cut, 0x18 } };
		struct seg one[] = { { 0, 0, st.len, 0x18 } };
		struct pcapbuf pb;
		tcp_capture(&pb, (const char *)st.p, same_segment ? one : two, same_segment ? 1 : 2);
		struct seen s;
		cr_assert_eq(run(&pb.b, &s), 0);
		cr_assert_eq(s.n_sip, 3, "same segment %d: %d", same_segment, s.n_sip);
		cr_assert_str_eq(s.text[2], NOTIFY_BODY);
		cr_assert(noted(&s, "over the 65535-byte cap: stream resynchronised"), "%s",
			  s.notes[0]);
		xs_buf_reset(&pb.b);
		xs_buf_reset(&st);
	}
}

Test(capture, ipv4_total_length_zero_is_the_captured_length)
{
	/* segmentation offload seen on the sending host: total length 0 */
	size_t a = strlen(OPTIONS);
	uint8_t t[2048], ip[2048];
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	size_t il = ip4(ip, 6, 1, 0, t, tcp(t, 40000, 5060, 1000, 0x02, "", 0));
	pcap_rec(&pb, ip, il, il);
	for (uint32_t k = 0; k < 2; k++) {
		il = ip4(ip, 6, (uint16_t)(2 + k), 0, t,
			 tcp(t, 40000, 5060, 1001 + k * (uint32_t)a, 0x18, OPTIONS, a));
		put16(ip + 2, 0);
		pcap_rec(&pb, ip, il, il);
	}
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 2, "%d", s.n_sip);
	cr_assert_str_eq(s.text[1], OPTIONS);
	cr_assert_eq(s.n_notes, 1, "noted once");
	cr_assert(noted(&s, "total length 0"), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

/* A UDP datagram fragmented after the Fragment header; the fragmentable part opens with ext. */
static void fragments_with_ext(struct pcapbuf *pb, uint8_t first_nh, const uint8_t *ext,
			       size_t extlen)
{
	uint8_t dg[4096], ip[4096];
	memcpy(dg, ext, extlen);
	size_t dl = extlen + udp(dg + extlen, 5060, 5060, OPTIONS, strlen(OPTIONS));
	for (size_t off = 0; off < dl; off += 120) {
		size_t len = XS_MIN((size_t)120, dl - off);
		uint8_t fh[8] = { first_nh, 0 };
		put16(fh + 2, (uint16_t)(off | (off + len < dl ? 1 : 0)));
		put32(fh + 4, 78);
		size_t il = ip6(ip, 44, fh, 8, dg + off, len);
		pcap_rec(pb, ip, il, il);
	}
}

Test(capture, ipv6_extension_headers_after_the_fragment_header)
{
	/* RFC 8200 §4.1: destination options may follow the Fragment header */
	static const uint8_t dstopt[8] = { 17, 0 }; /* next UDP, 8 bytes, Pad1 padding */
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	fragments_with_ext(&pb, 60, dstopt, sizeof dstopt);
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1, "%d", s.n_sip);
	cr_assert_str_eq(s.text[0], OPTIONS);
	cr_assert_eq(s.n_notes, 0, "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
	/* a second (non-atomic) Fragment header inside is not reassembled again */
	static const uint8_t frag2[8] = { 17, 0, 0, 1, 0, 0, 0, 9 };
	pcap_begin(&pb, 101);
	fragments_with_ext(&pb, 44, frag2, sizeof frag2);
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 0);
	cr_assert(noted(&s, "Fragment header inside a reassembled datagram"), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

Test(capture, udp_cut_note_counts_what_is_missing)
{
	size_t a = strlen(OPTIONS);
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, OPTIONS, a));
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	pcap_rec(&pb, ip, il, il + 4); /* the wire length counts an FCS not captured */
	pcap_rec(&pb, ip, 96, il);     /* cut inside the datagram */
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_sip, 1, "a datagram whole by its length is decoded");
	cr_assert_eq(s.frames[0], 1);
	cr_assert_eq(s.n_notes, 1);
	char want[64];
	snprintf(want, sizeof want, "cut short (%d of %zu bytes captured)", 96 - 28, a);
	cr_assert(noted(&s, want), "%s", s.notes[0]);
	xs_buf_reset(&pb.b);
}

Test(capture, far_timestamps_noted_and_real_jumps_followed)
{
	const int64_t T0 = 1700000000LL * 1000000, S = 1000000, DAY = 86400 * S;
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	/* pcap_rec stamps 1700000000 + pb.ts seconds (32-bit) */
	static const int64_t offs[] = { 0, 0xfffffff0LL - 1700000000LL, 1, -2 * 86400,
					10 * 86400, 10 * 86400 + 1, 10 * 86400 + 2, 10 * 86400 + 3 };
	const int64_t want[] = { T0, T0, T0 + S, T0 + S, T0 + S, T0 + S, T0 + 10 * DAY + 2 * S,
				 T0 + 10 * DAY + 3 * S };
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	for (size_t i = 0; i < XS_ARRAY_SIZE(offs); i++) {
		pb.ts = (uint32_t)offs[i];
		pcap_rec(&pb, ip, il, il);
	}
	struct seen s;
	cr_assert_eq(run(&pb.b, &s), 0);
	cr_assert_eq(s.n_ticks, (int)XS_ARRAY_SIZE(offs));
	for (size_t i = 0; i < XS_ARRAY_SIZE(offs); i++) {
		cr_assert_eq(s.ticks[i], want[i], "frame %zu: tick %lld", i + 1,
			     (long long)s.ticks[i]);
		cr_assert_eq(s.ts[i], want[i], "frame %zu: unit at %lld", i + 1, (long long)s.ts[i]);
	}
	/* libpcap reads the seconds as signed (-16 s), the fast path unsigned: a day off either way */
	cr_assert(noted(&s, "s is more than a day from the capture's time (1700000000 s)"), "%s",
		  s.notes[0]);
	cr_assert_eq(s.n_notes, 5, "frames 2, 4, 5, 6 and the jump followed at 7");
	cr_assert(noted(&s, "capture time jumps"), "%s", s.notes[4]);
	xs_buf_reset(&pb.b);
}

/* pcapng blocks, little-endian (the pcapng draft §3.1: type, length, body padded to 4, length) */
static void ng_block(struct xs_buf *b, uint32_t type, const void *body, size_t len)
{
	uint8_t h[8], pad[4] = { 0 };
	size_t total = 12 + (len + 3) / 4 * 4;
	put32le(h, type);
	put32le(h + 4, (uint32_t)total);
	xs_buf_append(b, h, 8);
	xs_buf_append(b, body, len);
	xs_buf_append(b, pad, total - 12 - len);
	xs_buf_append(b, h + 4, 4);
}

static void ng_packet(struct xs_buf *b, uint64_t ts, const uint8_t *p, size_t len)
{
	uint8_t e[2048 + 20];
	put32le(e, 0);
	put32le(e + 4, (uint32_t)(ts >> 32));
	put32le(e + 8, (uint32_t)ts);
	put32le(e + 12, (uint32_t)len);
	put32le(e + 16, (uint32_t)len);
	memcpy(e + 20, p, len);
	ng_block(b, 6, e, 20 + len);
}

Test(capture, pcapng_timestamp_out_of_range)
{
	struct xs_buf b = { 0 };
	uint8_t shb[16] = { 0 }, idb[8] = { 101, 0 };
	put32le(shb, 0x1a2b3c4du);
	shb[4] = 1;
	memset(shb + 8, 0xff, 8); /* section length unknown */
	put32le(idb + 4, 262144);
	ng_block(&b, 0x0a0d0d0au, shb, sizeof shb);
	ng_block(&b, 1, idb, sizeof idb);
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 1, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	const uint64_t t = 1700000000ull * 1000000;
	ng_packet(&b, t, ip, il);
	ng_packet(&b, 0xffffffffffff0000ull, ip, il); /* 1.8e13 s: no int64 of microseconds */
	ng_packet(&b, t + 1, ip, il);
	struct seen s;
	cr_assert_eq(run(&b, &s), 0);
	cr_assert_eq(s.n_sip, 3, "every frame kept");
	cr_assert_eq(s.ts[1], (int64_t)t, "decoded at the capture's time");
	cr_assert_eq(s.ts[2], (int64_t)t + 1);
	cr_assert(noted(&s, "timestamp out of range"), "%s", s.notes[0]);
	xs_buf_reset(&b);
}

/* ---- the writer ----------------------------------------------------- */

Test(capture, pcapw_round_trip)
{
	char *mem = NULL;
	size_t memlen = 0;
	FILE *f = open_memstream(&mem, &memlen);
	struct pcapw *w;
	cr_assert_eq(pcapw_open_stream(&w, f), 0);
	struct xs_endpoint a4 = { "127.0.0.1", 5060 }, b4 = { "127.0.0.1", 5070 };
	struct xs_endpoint a6 = { "::1", 5060 }, b6 = { "[::1]", 5070 };
	cr_assert_eq(pcapw_udp(w, &a4, &b4, 1, OPTIONS, strlen(OPTIONS)), 0);
	cr_assert_eq(pcapw_tcp(w, &a6, &b6, 2, OPTIONS, strlen(OPTIONS)), 0);
	cr_assert_eq(pcapw_tcp(w, &b6, &a6, 3, NOTIFY_BODY, strlen(NOTIFY_BODY)), 0);
	/* a message bigger than a segment */
	struct xs_buf big = { 0 };
	xs_buf_printf(&big, "NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 5000\r\n\r\n");
	for (int i = 0; i < 5000; i++)
		xs_buf_append(&big, "y", 1);
	cr_assert_eq(pcapw_tcp(w, &a6, &b6, 4, big.p, big.len), 0);
	cr_assert_eq(pcapw_udp(w, &a4, &b6, 5, "x", 1), -EINVAL, "mixed families");
	struct xs_endpoint bad = { "not-an-address", 1 };
	cr_assert_eq(pcapw_udp(w, &bad, &b4, 5, "x", 1), -EINVAL);
	cr_assert_eq(pcapw_flush(w), 0);
	pcapw_close(w);
	fclose(f);
	struct xs_buf b = { .p = (uint8_t *)mem, .len = memlen, .cap = memlen };
	struct seen s;
	cr_assert_eq(run(&b, &s), 0);
	cr_assert_eq(s.n_sip, 4);
	cr_assert_str_eq(s.text[0], OPTIONS);
	cr_assert_str_eq(s.text[2], NOTIFY_BODY);
	cr_assert_eq(s.n_notes, 0);
	free(mem);
	xs_buf_reset(&big);
}

/* ---- credentials ---------------------------------------------------- */

Test(capture, credentials_file)
{
	static const struct {
		const char *text;
		int ret;
		size_t n, bad;
	} cases[] = {
		{ "alice:home:secret\n", 0, 1, 0 },
		{ "# comment\n\nalice::pw:with:colons\r\nbob:r:x", 0, 2, 0 },
		{ "alice:home\n", -EBADMSG, 0, 1 },
		{ "ok:r:p\n:realm:pw\n", -EBADMSG, 0, 2 },
		{ "ok:r:p\nuser:realm:\n", -EBADMSG, 0, 2 },
		{ "", 0, 0, 0 },
	};
	for (size_t i = 0; i < XS_ARRAY_SIZE(cases); i++) {
		struct rules_credential *c;
		size_t n, bad;
		int r = cap_creds_parse((const uint8_t *)cases[i].text, strlen(cases[i].text), &c,
					&n, &bad);
		cr_assert_eq(r, cases[i].ret, "case %zu", i);
		cr_assert_eq(bad, cases[i].bad, "case %zu", i);
		if (r == 0) {
			cr_assert_eq(n, cases[i].n, "case %zu", i);
			cap_creds_free(c, n);
		}
	}
	struct rules_credential *c;
	size_t n, bad;
	const char *t = "alice::pw:with:colons\n";
	cr_assert_eq(cap_creds_parse((const uint8_t *)t, strlen(t), &c, &n, &bad), 0);
	cr_assert_str_eq(c[0].username, "alice");
	cr_assert_str_eq(c[0].realm, "");
	cr_assert_str_eq(c[0].password, "pw:with:colons");
	cap_creds_free(c, n);
}

/* ---- the analyzer --------------------------------------------------- */

#include "harness/digest/digest.h"

struct flow_ctx {
	struct pcapw *w;
	struct xs_endpoint ctl, phone, phone_http, web;
	int64_t t;
};

static void sip_send(struct flow_ctx *fc, bool to_phone, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void sip_send(struct flow_ctx *fc, bool to_phone, const char *fmt, ...)
{
	struct xs_buf b = { 0 };
	va_list ap;
	va_start(ap, fmt);
	xs_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	fc->t += 10000;
	cr_assert_eq(pcapw_udp(fc->w, to_phone ? &fc->ctl : &fc->phone,
			       to_phone ? &fc->phone : &fc->ctl, fc->t, b.p, b.len), 0);
	xs_buf_reset(&b);
}

#define URL "http://127.0.0.1:8080/xs/hello.xml"

/*
 * One push: NOTIFY, its retransmission, 401, the retry with a digest from
 * password, 200, and (when fetch_after_us >= 0) the phone's GET that long after.
 */
#define FETCH_BEFORE_THE_200 (-2) /* push(): the GET between the retry and its 200 */
static void push(struct flow_ctx *fc, int n, const char *password, int64_t fetch_after_us)
{
	char hdr[512];
	snprintf(hdr, sizeof hdr,
		 "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-%d-%%d\r\n"
		 "From: <sip:ctl@127.0.0.1>;tag=t%d\r\nTo: <sip:100@127.0.0.2>\r\n"
		 "Call-ID: push-%d@test\r\nEvent: xml-service\r\n", n, n, n);
	char via1[600], via2[600], rsp1[600], rsp2[600];
	snprintf(via1, sizeof via1, hdr, 1);
	snprintf(via2, sizeof via2, hdr, 2);
	/* responses: the same headers, the To tag added (RFC 3261 §8.2.6.2) */
	char *to = strstr(hdr, "127.0.0.2>");
	cr_assert_not_null(to);
	char rhdr[600];
	snprintf(rhdr, sizeof rhdr, "%.*s127.0.0.2>;tag=ph%d%s", (int)(to - hdr), hdr, n,
		 to + strlen("127.0.0.2>"));
	snprintf(rsp1, sizeof rsp1, rhdr, 1);
	snprintf(rsp2, sizeof rsp2, rhdr, 2);
	for (int rt = 0; rt < 2; rt++) /* the first NOTIFY and its retransmission */
		sip_send(fc, true, "NOTIFY sip:100@127.0.0.2:5060 SIP/2.0\r\n%sCSeq: 1 NOTIFY\r\n"
				   "Content-Length: %zu\r\n\r\n%s", via1, strlen(URL), URL);
	char nonce[32];
	snprintf(nonce, sizeof nonce, "%08x%08x", 0x5eed1234u * (unsigned)(n + 1), (unsigned)n ^ 0xa5a5a5a5u);
	sip_send(fc, false, "SIP/2.0 401 Unauthorized\r\n%sCSeq: 1 NOTIFY\r\n"
			    "WWW-Authenticate: Digest realm=\"xscert.test\", nonce=\"%s\", qop=\"auth\"\r\n"
			    "Server: Cisco/SPA504G-7.6.2c\r\nContent-Length: 0\r\n\r\n", rsp1, nonce);
	struct digest_challenge ch = { .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH), .has_qop = true };
	snprintf(ch.realm, sizeof ch.realm, "xscert.test");
	snprintf(ch.nonce, sizeof ch.nonce, "%s", nonce);
	struct digest_credentials cr;
	cr_assert_eq(digest_answer(&ch, "100", password, "NOTIFY", "sip:100@127.0.0.2:5060",
				   xs_span_str(URL), "0a4f113b", 1, &cr), 0);
	struct xs_buf auth = { 0 };
	cr_assert_eq(digest_credentials_format(&cr, &auth), 0);
	sip_send(fc, true, "NOTIFY sip:100@127.0.0.2:5060 SIP/2.0\r\n%sCSeq: 2 NOTIFY\r\n"
			   "Authorization: %s\r\nContent-Length: %zu\r\n\r\n%s",
		 via2, xs_buf_cstr(&auth), strlen(URL), URL);
	xs_buf_reset(&auth);
	bool ok = !strcmp(password, "pw");
	const char *get = "GET /xs/hello.xml HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
			  "User-Agent: Cisco/SPA504G-7.6.2c\r\n\r\n";
	if (fetch_after_us == FETCH_BEFORE_THE_200) /* in the file before the 200 it follows */
		cr_assert_eq(pcapw_tcp(fc->w, &fc->phone_http, &fc->web, fc->t + 5000, get,
				       strlen(get)), 0);
	sip_send(fc, false, "SIP/2.0 %s\r\n%sCSeq: 2 NOTIFY\r\nServer: Cisco/SPA504G-7.6.2c\r\n"
			    "Content-Length: 0\r\n\r\n", ok ? "200 OK" : "401 Unauthorized", rsp2);
	if (fetch_after_us >= 0)
		cr_assert_eq(pcapw_tcp(fc->w, &fc->phone_http, &fc->web, fc->t + fetch_after_us, get,
				       strlen(get)), 0);
	fc->t += 30000000; /* the next push well after this one's window */
}

/* Build pushes with build(), analyse them with creds (judging on a second thread
 * when threaded); returns the result (caller frees). */
static struct xs_result *analyse_on(void (*build)(struct flow_ctx *), const char *creds_text,
				    struct cap_analyzer_stats *st, bool threaded)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	struct flow_ctx fc = { .ctl = { "127.0.0.1", 5070 }, .phone = { "127.0.0.2", 5060 },
			       .phone_http = { "127.0.0.2", 40000 }, .web = { "127.0.0.1", 8080 },
			       .t = 1700000000LL * 1000000 };
	cr_assert_eq(pcapw_open_stream(&fc.w, f), 0);
	build(&fc);
	pcapw_close(fc.w);
	fclose(f);
	struct rules_credential *c = NULL;
	size_t n = 0, bad;
	if (creds_text)
		cr_assert_eq(cap_creds_parse((const uint8_t *)creds_text, strlen(creds_text), &c, &n,
					     &bad), 0);
	struct xs_result *r;
	cr_assert_eq(xs_result_new(&r, XS_SOURCE_CAPTURE), 0);
	struct cap_analyzer *a;
	struct cap_analyzer_opts o = { .creds = c, .n_creds = n, .decode_thread = threaded };
	cr_assert_eq(cap_analyzer_new(&a, r, &o), 0);
	char err[256];
	FILE *in = fmemopen(mem, len, "rb");
	cr_assert_eq(cap_analyze_stream(a, in, "mem.pcap", err, sizeof err), 0, "%s", err);
	cr_assert_eq(cap_analyzer_finish(a), 0);
	if (st)
		*st = *cap_analyzer_stats(a);
	cap_analyzer_free(a);
	cap_creds_free(c, n);
	free(mem);
	return r;
}

static struct xs_result *analyse(void (*build)(struct flow_ctx *), const char *creds_text,
				 struct cap_analyzer_stats *st)
{
	return analyse_on(build, creds_text, st, false);
}

static void one_good_push(struct flow_ctx *fc)
{
	push(fc, 1, "pw", 50000);
}

static const struct xs_finding *finding(const struct xs_exchange *ex, const char *rule)
{
	for (size_t i = 0; i < ex->n_findings; i++)
		if (!strcmp(ex->findings[i].rule, rule))
			return &ex->findings[i];
	return NULL;
}

Test(capture, exchange_built_and_judged)
{
	struct cap_analyzer_stats st;
	struct xs_result *r = analyse(one_good_push, "100:xscert.test:pw\n", &st);
	cr_assert_eq(r->n_exchanges, 1);
	const struct xs_exchange *ex = r->exchanges[0];
	cr_assert_eq(ex->n_msgs, 5, "%zu", ex->n_msgs);
	cr_assert_eq(ex->i_notify, 0);
	cr_assert_eq(ex->i_challenge, 2);
	cr_assert_eq(ex->i_retry, 3);
	cr_assert_eq(ex->i_final, 4);
	cr_assert_eq(ex->msgs[0]->dir, XS_DIR_TO_PHONE);
	cr_assert_eq(ex->msgs[2]->dir, XS_DIR_FROM_PHONE);
	cr_assert_eq(ex->n_http, 1);
	cr_assert_str_eq(ex->http[0].url, URL);
	cr_assert_eq(ex->intent, XS_AUTH_CORRECT);
	cr_assert_eq(r->n_devices, 1);
	cr_assert_str_eq(r->devices[0].model, "SPA504G");
	cr_assert_str_eq(ex->device_id, r->devices[0].id);
	cr_assert_eq(st.digest_logins, 1);
	const struct xs_finding *f = finding(ex, "XS-DIG-01");
	cr_assert_not_null(f);
	cr_assert_eq(f->verdict, XS_PASS, "%s", f->detail);
	xs_result_free(r);

	/* without credentials XS-DIG-01 is skip, never pass; the intent is unknown */
	r = analyse(one_good_push, NULL, NULL);
	ex = r->exchanges[0];
	cr_assert_eq(ex->intent, XS_AUTH_UNKNOWN);
	cr_assert_eq(finding(ex, "XS-DIG-01")->verdict, XS_SKIP);
	xs_result_free(r);

	/* a realm we have no password for: nothing is known of the retry (the
	 * challenge offered the realm it used), so nothing is inferred */
	r = analyse(one_good_push, "100:other:pw\n", NULL);
	cr_assert_eq(r->exchanges[0]->intent, XS_AUTH_UNKNOWN);
	cr_assert_neq(finding(r->exchanges[0], "XS-AUTH-02")->verdict, XS_FAIL);
	xs_result_free(r);
}

Test(capture, credentials_for_other_users_infer_nothing)
{
	/* lines that do not name the retry's user (or its realm): the phone that
	 * accepts a correct retry must not be failed for accepting a "wrong user" */
	static const char *const creds[] = { "bob::pw\n", "bob:xscert.test:pw\n",
					     "bob::pw\n100:other:pw\n" };
	for (size_t i = 0; i < XS_ARRAY_SIZE(creds); i++) {
		struct xs_result *r = analyse(one_good_push, creds[i], NULL);
		cr_assert_eq(r->n_exchanges, 1);
		const struct xs_exchange *ex = r->exchanges[0];
		cr_assert_eq(ex->intent, XS_AUTH_UNKNOWN, "%s: intent %d", creds[i], ex->intent);
		cr_assert_eq(finding(ex, "XS-AUTH-02")->verdict, XS_SKIP, "%s: %s", creds[i],
			     finding(ex, "XS-AUTH-02")->detail);
		for (size_t k = 0; k < ex->n_findings; k++)
			cr_assert_neq(ex->findings[k].verdict, XS_FAIL, "%s: %s %s", creds[i],
				      ex->findings[k].rule, ex->findings[k].detail);
		xs_result_free(r);
	}
	/* the user's line among others still verifies */
	struct xs_result *r = analyse(one_good_push, "bob::x\n100:xscert.test:pw\n", NULL);
	cr_assert_eq(r->exchanges[0]->intent, XS_AUTH_CORRECT);
	xs_result_free(r);
}

static void wrong_password_push(struct flow_ctx *fc)
{
	push(fc, 1, "not-pw", -1);
}

Test(capture, wrong_password_inferred)
{
	struct xs_result *r = analyse(wrong_password_push, "100::pw\n", NULL);
	cr_assert_eq(r->n_exchanges, 1);
	cr_assert_eq(r->exchanges[0]->intent, XS_AUTH_WRONG_PASSWORD);
	cr_assert_eq(r->exchanges[0]->n_http, 0);
	xs_result_free(r);
}

static void late_fetch_push(struct flow_ctx *fc)
{
	push(fc, 1, "pw", 15000000); /* 15 s: outside the default 10 s window */
}

Test(capture, fetch_outside_window_not_linked)
{
	struct xs_result *r = analyse(late_fetch_push, NULL, NULL);
	cr_assert_eq(r->n_exchanges, 1);
	cr_assert_eq(r->exchanges[0]->n_http, 0);
	xs_result_free(r);
}

/* An accepted push whose fetch follows an unrelated frame stamped in 2038 (a corrupt record). */
static void push_then_future_frame(struct flow_ctx *fc)
{
	push(fc, 1, "pw", -1);
	fc->t -= 30000000; /* back to the final answer */
	struct xs_endpoint x = { "127.0.0.9", 40001 }, y = { "127.0.0.8", 40002 };
	cr_assert_eq(pcapw_udp(fc->w, &x, &y, 0x7ffffff0LL * 1000000, "x", 1), 0);
	const char *get = "GET /xs/hello.xml HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
			  "User-Agent: Cisco/SPA504G-7.6.2c\r\n\r\n";
	cr_assert_eq(pcapw_tcp(fc->w, &fc->phone_http, &fc->web, fc->t + 50000, get, strlen(get)),
		     0);
}

Test(capture, far_future_frame_does_not_judge_early)
{
	struct xs_result *r = analyse(push_then_future_frame, "100:xscert.test:pw\n", NULL);
	cr_assert_eq(r->n_exchanges, 1);
	const struct xs_exchange *ex = r->exchanges[0];
	cr_assert_eq(ex->n_http, 1, "the fetch is still linked");
	cr_assert_eq(finding(ex, "XS-FETCH-01")->verdict, XS_PASS, "%s",
		     finding(ex, "XS-FETCH-01")->detail);
	bool noted_frame = false;
	for (size_t i = 0; i < r->n_notes; i++)
		noted_frame |= r->notes[i].frame == 6 && strstr(r->notes[i].what, "more than a day");
	cr_assert(noted_frame, "the frame is named");
	xs_result_free(r);
}

/* The GET stands between the retry and its 200 (two capture points; a writer on two threads). */
static void fetch_before_the_200(struct flow_ctx *fc)
{
	push(fc, 1, "pw", FETCH_BEFORE_THE_200);
}

Test(capture, fetch_seen_before_its_200_is_linked)
{
	struct xs_result *r = analyse(fetch_before_the_200, "100:xscert.test:pw\n", NULL);
	cr_assert_eq(r->n_exchanges, 1);
	const struct xs_exchange *ex = r->exchanges[0];
	cr_assert_eq(ex->n_http, 1, "the fetch is linked to the push it follows");
	cr_assert_eq(finding(ex, "XS-FETCH-01")->verdict, XS_PASS, "%s",
		     finding(ex, "XS-FETCH-01")->detail);
	xs_result_free(r);
}

static void other_events(struct flow_ctx *fc)
{
	sip_send(fc, true, "NOTIFY sip:100@127.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
			   "Call-ID: dlg@test\r\nCSeq: 1 NOTIFY\r\nEvent: dialog\r\n"
			   "Content-Length: 0\r\n\r\n");
	sip_send(fc, false, "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n"
			    "Call-ID: dlg@test\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n");
}

Test(capture, other_notify_events_ignored)
{
	struct xs_result *r = analyse(other_events, NULL, NULL);
	cr_assert_eq(r->n_exchanges, 0);
	xs_result_free(r);
}

static void many_pushes(struct flow_ctx *fc)
{
	for (int i = 0; i < (int)CAP_KEEP_FULL + 30; i++)
		push(fc, i, "pw", 50000);
}

Test(capture, exchanges_past_the_cap_are_folded)
{
	struct cap_analyzer_stats st;
	struct xs_result *r = analyse(many_pushes, "100::pw\n", &st);
	cr_assert_eq(st.exchanges, CAP_KEEP_FULL + 30);
	cr_assert_eq(st.folded + r->n_exchanges - 1, st.exchanges, "%zu kept, %llu folded",
		     r->n_exchanges, (unsigned long long)st.folded);
	const struct xs_exchange *last = r->exchanges[r->n_exchanges - 1];
	cr_assert_str_eq(last->id, "e-folded");
	cr_assert_gt(last->n_findings, 0);
	xs_result_free(r);
}

/* Pushes close together (many open at once), a third with a wrong password. */
static void crowded_pushes(struct flow_ctx *fc)
{
	for (int i = 0; i < 3 * (int)(CAP_KEEP_FULL + CAP_KEEP_FAILED); i++) {
		push(fc, i, i % 3 ? "pw" : "bad", i % 5 ? 50000 : -1);
		fc->t -= 30000000 - 20000; /* the next one 20 ms later, not 30 s */
	}
}

static bool same_str(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

Test(capture, judging_on_a_second_thread_gives_the_same_result)
{
	struct cap_analyzer_stats s1, s2;
	struct xs_result *r1 = analyse_on(crowded_pushes, "100::pw\n", &s1, false);
	struct xs_result *r2 = analyse_on(crowded_pushes, "100::pw\n", &s2, true);
	cr_assert_eq(s1.exchanges, 3 * (CAP_KEEP_FULL + CAP_KEEP_FAILED));
	cr_assert_eq(s2.exchanges, s1.exchanges);
	cr_assert_eq(s2.folded, s1.folded);
	cr_assert_gt(s1.folded, 0);
	cr_assert_eq(r2->n_exchanges, r1->n_exchanges);
	cr_assert_eq(r2->n_notes, r1->n_notes);
	cr_assert_eq(r2->n_devices, r1->n_devices);
	for (size_t i = 0; i < r1->n_exchanges; i++) {
		const struct xs_exchange *a = r1->exchanges[i], *b = r2->exchanges[i];
		cr_assert_str_eq(b->id, a->id);
		cr_assert_eq(b->n_msgs, a->n_msgs);
		cr_assert_eq(b->n_http, a->n_http);
		cr_assert_eq(b->intent, a->intent);
		cr_assert_eq(b->n_findings, a->n_findings, "%s", a->id);
		for (size_t k = 0; k < a->n_findings; k++) {
			cr_assert_str_eq(b->findings[k].rule, a->findings[k].rule);
			cr_assert_eq(b->findings[k].verdict, a->findings[k].verdict);
			cr_assert(same_str(b->findings[k].detail, a->findings[k].detail), "%s %s",
				  a->id, a->findings[k].rule);
			cr_assert(same_str(b->findings[k].evidence, a->findings[k].evidence));
		}
	}
	xs_result_free(r1);
	xs_result_free(r2);
}

/* More unanswered pushes at once (10 ms apart) than the analyzer keeps open. */
static void a_flood_of_pushes(struct flow_ctx *fc)
{
	for (int i = 0; i < (int)CAP_MAX_PENDING + 50; i++)
		sip_send(fc, true, "NOTIFY sip:100@127.0.0.2:5060 SIP/2.0\r\n"
				   "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-f%d\r\n"
				   "From: <sip:ctl@127.0.0.1>;tag=f%d\r\nTo: <sip:100@127.0.0.2>\r\n"
				   "Call-ID: flood-%d@test\r\nCSeq: 1 NOTIFY\r\nEvent: xml-service\r\n"
				   "Content-Length: 0\r\n\r\n", i, i, i);
}

Test(capture, past_the_open_cap_the_oldest_is_judged_early_and_said)
{
	for (int threaded = 0; threaded < 2; threaded++) {
		struct cap_analyzer_stats st;
		struct xs_result *r = analyse_on(a_flood_of_pushes, NULL, &st, threaded);
		cr_assert_eq(st.exchanges, CAP_MAX_PENDING + 50, "every push is judged");
		size_t early = 0;
		for (size_t i = 0; i < r->n_notes; i++)
			if (strstr(r->notes[i].what, "judged early"))
				early++;
		cr_assert_eq(early, 50, "one note per exchange judged early: %zu", early);
		xs_result_free(r);
	}
}

/* ---- the work queue --------------------------------------------------- */

struct wq_seen {
	size_t n_run, n_reaped;
	bool in_order;
	pthread_t producer;
	bool reaped_elsewhere;
};

static void *wq_run(void *ctx, void *item)
{
	struct wq_seen *w = ctx;
	if ((size_t)(uintptr_t)item != w->n_run + 1)
		w->in_order = false;
	w->n_run++;
	return (size_t)(uintptr_t)item % 3 ? item : NULL; /* two in three given back */
}

static void wq_reap(void *ctx, void *item)
{
	struct wq_seen *w = ctx;
	(void)item;
	if (!pthread_equal(pthread_self(), w->producer))
		w->reaped_elsewhere = true;
	w->n_reaped++;
}

Test(capture, work_queue_runs_in_order_and_gives_back)
{
	/* a ring smaller and larger than a batch; batches of one, some and the most */
	for (size_t cap = 1, batch = 0; cap <= 512; cap *= 8, batch = batch ? batch * 7 : 1) {
		struct wq_seen w = { .in_order = true, .producer = pthread_self() };
		struct cap_workq *q;
		cr_assert_eq(cap_workq_start(&q, cap, batch, wq_run, wq_reap, &w), 0);
		const size_t n = 10000;
		for (size_t i = 1; i <= n; i++)
			cap_workq_push(q, (void *)(uintptr_t)i);
		cap_workq_finish(q);
		cr_assert_eq(w.n_run, n, "cap %zu", cap);
		cr_assert(w.in_order, "cap %zu", cap);
		cr_assert_eq(w.n_reaped, n - n / 3, "cap %zu: %zu reaped", cap, w.n_reaped);
		cr_assert(!w.reaped_elsewhere, "reaped on the producer's thread");
	}
	cap_workq_finish(NULL);
}

/* ---- the pipe: a decoder's calls replayed in order on a second thread -- */

struct pipe_seen {
	struct xs_buf log;  /* one line per call the target saw */
	pthread_t reader;
	bool on_reader;     /* a call reached the target on the reading thread */
	size_t slow;        /* units left to dawdle on, so the reader gets ahead */
	size_t told[4];     /* units by what prepare left: nothing, NUL seen, none, room spoilt */
};

static int64_t pipe_clock(void *ctx, int64_t ts_us)
{
	(void)ctx;
	return ts_us / 1000 * 1000 + 1000; /* a pure function of the time, as the analyzer's */
}

static void log_unit(struct xs_buf *b, const struct cap_unit *u)
{
	xs_buf_printf(b, "u %d %d %s %u %lld %llu %zu %08x\n", u->kind, u->tp, u->src.addr,
		      u->dst.port, (long long)u->ts_us, (unsigned long long)u->frame, u->len,
		      xs_fnv32(XS_FNV32_INIT, u->p, u->len));
}

static void pipe_unit(void *ctx, const struct cap_unit *u)
{
	struct pipe_seen *w = ctx;
	w->on_reader |= pthread_equal(pthread_self(), w->reader);
	log_unit(&w->log, u);
	const uint8_t *r = u->prep;
	size_t k = r ? r[0] : 0;
	for (size_t i = 1; r && i < u->len % 40 + 1; i++)
		if (r[i] != (uint8_t)(u->len + i))
			k = 3;
	w->told[k]++;
	if (w->slow && w->slow--)
		usleep(300);
}

static void pipe_note(void *ctx, uint64_t frame, const char *what)
{
	struct pipe_seen *w = ctx;
	w->on_reader |= pthread_equal(pthread_self(), w->reader);
	xs_buf_printf(&w->log, "n %llu %s\n", (unsigned long long)frame, what);
}

static int64_t pipe_tick(void *ctx, int64_t ts_us)
{
	struct pipe_seen *w = ctx;
	w->on_reader |= pthread_equal(pthread_self(), w->reader);
	xs_buf_printf(&w->log, "t %lld\n", (long long)ts_us);
	return pipe_clock(NULL, ts_us);
}

/* On the reading thread: the bytes are there, NUL-terminated, and room after them. */
static void pipe_prepare(struct cap_pipe *p, struct cap_unit *u)
{
	uint8_t *r = cap_pipe_room(p, u->len % 40 + 1);
	if (!r)
		return;
	r[0] = u->p[u->len] == '\0' ? 1 : 2;
	for (size_t i = 1; i < u->len % 40 + 1; i++)
		r[i] = (uint8_t)(u->len + i);
	cr_assert_eq((uintptr_t)r % _Alignof(max_align_t), 0);
	u->prep = r;
}

Test(capture, pipe_replays_every_call_in_order)
{
	struct pipe_seen w = { .reader = pthread_self(), .slow = 40 };
	struct cap_sink to = { .ctx = &w, .unit = pipe_unit, .note = pipe_note, .tick = pipe_tick };
	struct cap_pipe *p;
	cr_assert_eq(cap_pipe_start(&p, &(struct cap_pipe_opts){ .to = &to, .clock = pipe_clock,
								 .prepare = pipe_prepare }), 0);
	const struct cap_sink *in = cap_pipe_sink(p);
	struct xs_buf want = { 0 };
	size_t max = 300000; /* past one chunk (128 KiB) */
	uint8_t *bytes = malloc(max);
	cr_assert_not_null(bytes);
	for (size_t i = 0; i < max; i++)
		bytes[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < 3000; i++) {
		/* sizes from 0 to past a chunk; the first ones large, while the target dawdles */
		size_t len = i == 7 ? max : i == 8 ? 0 : i < 60 ? 20000 + i : (i * 7919) % 3000;
		struct cap_unit u = { .kind = i % 2 ? CAP_HTTP : CAP_SIP, .tp = i % 3 ? XS_TP_UDP : XS_TP_TCP,
				      .ts_us = (int64_t)i * 997, .frame = i + 1, .p = bytes + i % 100, .len = len - (len == max) * 100 };
		snprintf(u.src.addr, sizeof u.src.addr, "127.0.0.%zu", i % 250 + 1);
		u.dst.port = (uint16_t)(5060 + i);
		in->unit(in->ctx, &u);
		log_unit(&want, &u);
		if (i % 5 == 0) {
			char what[64];
			snprintf(what, sizeof what, "note %zu", i);
			in->note(in->ctx, i + 1, what);
			xs_buf_printf(&want, "n %zu %s\n", i + 1, what);
		}
		if (i % 3 == 0) {
			int64_t ts = (int64_t)i * 997;
			cr_assert_eq(in->tick(in->ctx, ts), pipe_clock(NULL, ts), "the tick's answer");
			xs_buf_printf(&want, "t %lld\n", (long long)ts);
		}
	}
	cap_pipe_finish(p);
	cap_pipe_finish(NULL);
	cr_assert(!w.on_reader, "the target is called on the second thread only");
	cr_assert_eq(w.log.len, want.len);
	cr_assert(!memcmp(w.log.p, want.p, want.len), "the same calls in the same order");
	cr_assert_gt(w.told[1], 0, "prepared while the target was behind");
	cr_assert_eq(w.told[2], 0, "prepare sees the bytes NUL-terminated");
	cr_assert_eq(w.told[3], 0, "the room prepare filled is replayed as it was");
	xs_buf_reset(&want);
	xs_buf_reset(&w.log);
	free(bytes);
}

/* A target that keeps no memory: a running hash of what it is told, in order. */
struct pipe_sum {
	uint32_t h;
	size_t units, notes, ticks;
	pthread_t reader;
	size_t on_reader; /* calls that came on the reading thread */
};

static void sum_unit(void *ctx, const struct cap_unit *u)
{
	struct pipe_sum *s = ctx;
	s->on_reader += pthread_equal(pthread_self(), s->reader) != 0;
	s->h = xs_fnv32(s->h, &u->frame, sizeof u->frame);
	s->h = xs_fnv32(s->h, &u->len, sizeof u->len);
	s->h = xs_fnv32(s->h, u->p, XS_MIN(u->len, (size_t)64)); /* a unit past 4 GiB is told, not read */
	s->units++;
}

static void sum_note(void *ctx, uint64_t frame, const char *what)
{
	struct pipe_sum *s = ctx;
	s->h = xs_fnv32(s->h ^ 0x55u, &frame, sizeof frame);
	s->h = xs_fnv32(s->h, what, strlen(what));
	s->notes++;
}

static int64_t sum_tick(void *ctx, int64_t ts_us)
{
	struct pipe_sum *s = ctx;
	s->h = xs_fnv32(s->h ^ 0xaau, &ts_us, sizeof ts_us);
	s->ticks++;
	return pipe_clock(NULL, ts_us);
}

/* The same calls into a sink: units of many sizes (the 41st past 4 GiB), a note and a tick between. */
static void pipe_feed(const struct cap_sink *in, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct cap_unit u = { .kind = CAP_SIP, .frame = i + 1, .p = bytes,
				      .len = i == 40 ? (size_t)UINT32_MAX + 1 : 1000 + i * 997 % 60000 };
		in->unit(in->ctx, &u);
		in->note(in->ctx, i + 1, "a note");
		cr_assert_eq(in->tick(in->ctx, (int64_t)i * 1000), pipe_clock(NULL, (int64_t)i * 1000));
	}
}

Test(capture, pipe_falls_back_in_order)
{
	/* A call the pipe cannot record (a unit past what a chunk's record can say,
	 * as when no chunk can be had: out of memory) makes it replay what it has,
	 * end its thread and call the target here from then on: nothing lost, the
	 * order kept. Inline first, the reference. */
	static uint8_t bytes[64000];
	for (size_t i = 0; i < sizeof bytes; i++)
		bytes[i] = (uint8_t)(i * 7);
	struct pipe_sum want = { .h = XS_FNV32_INIT }, got = { .h = XS_FNV32_INIT, .reader = pthread_self() };
	struct cap_sink ref = { .ctx = &want, .unit = sum_unit, .note = sum_note, .tick = sum_tick };
	pipe_feed(&ref, bytes, 400);
	struct cap_sink to = { .ctx = &got, .unit = sum_unit, .note = sum_note, .tick = sum_tick };
	struct cap_pipe *p;
	cr_assert_eq(cap_pipe_start(&p, &(struct cap_pipe_opts){ .to = &to, .clock = pipe_clock }), 0);
	pipe_feed(cap_pipe_sink(p), bytes, 400);
	cap_pipe_finish(p);
	cr_assert_eq(got.units, want.units);
	cr_assert_eq(got.notes, want.notes);
	cr_assert_eq(got.ticks, want.ticks);
	cr_assert_eq(got.h, want.h, "the same calls in the same order");
	cr_assert_eq(got.on_reader, 360, "the last 360 units on the reading thread, %zu", got.on_reader);
}

/* ---- the file reader's fast path agrees with libpcap ------------------ */

/* b written to a fresh file; its name in path ("/tmp/test-capture-XXXXXX"). */
static void write_temp(const struct xs_buf *b, char *path)
{
	int fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, b->p, b->len), (ssize_t)b->len);
	close(fd);
}

/* cap_read_file of path into sink, the decoder finished; its return. */
static int read_into(const struct cap_sink *sink, const char *path)
{
	struct cap_decoder *d;
	cr_assert_eq(cap_decoder_new(&d, sink), 0);
	char err[256];
	int r = cap_read_file(d, path, err, sizeof err);
	cap_decoder_finish(d);
	cap_decoder_free(d);
	return r;
}

static int run_file(const struct xs_buf *b, struct seen *s)
{
	char path[] = "/tmp/test-capture-XXXXXX";
	write_temp(b, path);
	memset(s, 0, sizeof *s);
	struct cap_sink sink = { .ctx = s, .unit = on_unit, .note = on_note };
	int r = read_into(&sink, path);
	unlink(path);
	return r;
}

/* Every unit read, summed: how many, of which SIP, and an FNV-1a of their bytes and frames. */
struct tally {
	uint64_t units, sip, hash, notes;
};

static void tally_unit(void *ctx, const struct cap_unit *u)
{
	struct tally *t = ctx;
	t->units++;
	t->sip += u->kind == CAP_SIP;
	t->hash = xs_fnv64(t->hash, u->p, u->len) ^ u->frame;
}

static void tally_note(void *ctx, uint64_t frame, const char *what)
{
	(void)frame, (void)what;
	((struct tally *)ctx)->notes++;
}

Test(capture, file_records_across_read_chunks)
{
	/* about 3 MiB: records of every size up to 200 KB cut by the 1 MiB reads
	 * at every kind of place (in a header, in the data, on the boundary) */
	struct pcapbuf pb;
	pcap_begin(&pb, 101);
	static uint8_t big[200000], ip[200100];
	memset(big, 'x', sizeof big);
	uint8_t u[2048];
	size_t sip_il = ip4(ip, 17, 9, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	uint8_t sip_rec[2048];
	memcpy(sip_rec, ip, sip_il);
	size_t n_sip = 0;
	for (unsigned i = 0; pb.b.len < 3u << 20; i++) {
		if (i % 3 == 0) {
			pcap_rec(&pb, sip_rec, sip_il, sip_il);
			n_sip++;
			continue;
		}
		size_t n = i % 97 == 1 ? sizeof big : (i * 7919u) % 3000u + 1;
		size_t il = ip4(ip, 17, (uint16_t)i, 0, big, n);
		pcap_rec(&pb, ip, il, il);
	}
	struct tally a = { .hash = XS_FNV64_INIT }, b = { .hash = XS_FNV64_INIT };
	struct cap_sink sa = { .ctx = &a, .unit = tally_unit, .note = tally_note };
	struct cap_sink sb = { .ctx = &b, .unit = tally_unit, .note = tally_note };
	struct cap_decoder *d;
	cr_assert_eq(cap_decoder_new(&d, &sa), 0);
	FILE *f = fmemopen(pb.b.p, pb.b.len, "rb");
	char err[256];
	cr_assert_eq(cap_read_stream(d, f, err, sizeof err), 0);
	cap_decoder_finish(d);
	cap_decoder_free(d);
	char path[] = "/tmp/test-capture-XXXXXX";
	write_temp(&pb.b, path);
	cr_assert_eq(read_into(&sb, path), 0);
	unlink(path);
	xs_buf_reset(&pb.b);
	cr_assert_eq(a.sip, n_sip);
	cr_assert_eq(b.units, a.units);
	cr_assert_eq(b.sip, a.sip);
	cr_assert_eq(b.hash, a.hash);
	cr_assert_eq(b.notes, 0);
}

Test(capture, file_fast_path_matches_libpcap)
{
	char two[1024];
	snprintf(two, sizeof two, "%s%s", OPTIONS, NOTIFY_BODY);
	struct seg segs[] = { { 0, 0, 0, 0x02 }, { 100, 100, strlen(two) - 100, 0x18 },
			      { 0, 0, 100, 0x18 } };
	struct pcapbuf pb;
	tcp_capture(&pb, two, segs, 3);
	uint8_t u[2048], ip[2048];
	size_t il = ip4(ip, 17, 9, 0, u, udp(u, 1, 2, OPTIONS, strlen(OPTIONS)));
	pcap_rec(&pb, ip, il, il);
	struct seen a, b;
	cr_assert_eq(run(&pb.b, &a), 0);
	cr_assert_eq(run_file(&pb.b, &b), 0);
	cr_assert_eq(a.n_sip, 3);
	cr_assert_eq(b.n_sip, a.n_sip);
	for (int i = 0; i < a.n_units; i++) {
		cr_assert_eq(a.frames[i], b.frames[i]);
		cr_assert_str_eq(a.text[i], b.text[i]);
	}
	/* truncated in a record: both read what is whole and say so */
	pb.b.len -= 10;
	cr_assert_eq(run(&pb.b, &a), 1);
	cr_assert_eq(run_file(&pb.b, &b), 1);
	cr_assert_eq(a.n_sip, 2);
	cr_assert_eq(b.n_sip, 2);
	cr_assert(noted(&b, "ends early"));
	xs_buf_reset(&pb.b);
	/* not a capture, unreadable */
	struct xs_buf g = { 0 };
	xs_buf_puts(&g, "definitely not a capture file, but long enough to have a header");
	cr_assert_eq(run_file(&g, &b), -EBADMSG);
	xs_buf_reset(&g);
	struct cap_decoder *d;
	cr_assert_eq(cap_decoder_new(&d, NULL), 0);
	char err[256];
	cr_assert_eq(cap_read_file(d, "/nonexistent/x.pcap", err, sizeof err), -ENOENT);
	cap_decoder_free(d);
}

