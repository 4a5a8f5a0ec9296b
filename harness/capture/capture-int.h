/* SPDX-License-Identifier: MIT */
/* capture-int.h — what the decoder's parts share: flows, IP defragmentation, TCP reassembly, framing. */
#ifndef XS_CAPTURE_INT_H
#define XS_CAPTURE_INT_H

#include "capture.h"
#include "harness/common/cursor.h"

/* Addresses as they come off the wire (not yet text). */
struct cap_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t a[16];  /* IPv4 in the first 4 bytes */
};

/* One direction of a transport flow. */
struct cap_flow {
	struct cap_addr src, dst;
	uint16_t sport, dport;
};

struct cap_frag_table;
struct cap_tcp_table;

/* Where a frame is being decoded: the context every layer reports to. */
struct cap_frame_ctx {
	struct cap_decoder *d;
	uint64_t frame;
	int64_t ts_us;
	bool cut;         /* caplen < wirelen */
};

struct cap_decoder {
	struct cap_sink sink;
	struct cap_stats st;
	struct cap_frag_table *frag;
	struct cap_tcp_table *tcp;
	uint64_t notes;
	bool have_clock;
	int64_t clock;      /* the capture's running time: the last frame's timestamp */
	int64_t jump_ts;    /* the last timestamp too far from it */
	unsigned jump_n;    /* frames in a row too far from the clock that agree with jump_ts */
	bool tso_noted;     /* an IPv4 total length of 0 was noted (once per input) */
	int64_t tick_due;   /* the sink's tick wants no frame stamped before this */
	int64_t frag_due;   /* cap_frag_expire has nothing to do before this (ipfrag.c sets it) */
	struct addr_text {  /* the last two addresses formatted (a flow's two ends, mostly) */
		struct cap_addr a;
		char text[48];
	} fmt[2];
	unsigned fmt_next;
};

/* Raise a note (counted; passed to the sink while under CAP_MAX_NOTES). */
void cap_note(struct cap_decoder *d, uint64_t frame, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Hand a framed message to the sink (addresses formatted here). */
void cap_emit(const struct cap_frame_ctx *fc, enum cap_kind kind, enum xs_transport tp,
	      const struct cap_flow *fl, const uint8_t *p, size_t len);

/* A link type the decoder reads (libpcap DLT_ value). */
bool cap_dlt_supported(int dlt);

/* Decode an IP packet (version from the first nibble); depth bounds tunnels. */
void cap_ip(const struct cap_frame_ctx *fc, const uint8_t *p, size_t len, unsigned depth);
/* Decode the transport payload of one (whole) IP datagram. */
void cap_l4(const struct cap_frame_ctx *fc, uint8_t proto, const struct cap_addr *src,
	    const struct cap_addr *dst, const uint8_t *p, size_t len, unsigned depth);

/*
 * The IPv6 header chain from next header nh over p (RFC 8200 §4): extension
 * headers are walked to the upper-layer header, handed to cap_l4. A Fragment
 * header goes to reassembly, or, when reassembled (p is the fragmentable part
 * of a datagram already put together), is noted and the datagram skipped.
 */
void cap_ip6_chain(const struct cap_frame_ctx *fc, uint8_t nh, const struct cap_addr *src,
		   const struct cap_addr *dst, const uint8_t *p, size_t len, bool reassembled,
		   unsigned depth);

/* IP fragments: key fields, the fragment, and whether more follow. */
struct cap_frag {
	struct cap_addr src, dst;
	uint32_t id;
	uint8_t proto;     /* IPv4 protocol; IPv6: next header of the fragmentable part */
	size_t off;        /* byte offset of this fragment */
	bool more;
	const uint8_t *p;
	size_t len;
};
int cap_frag_new(struct cap_frag_table **ret);
struct cap_frag_table *cap_frag_free(struct cap_frag_table *t);
/*
 * Add a fragment. When it completes a datagram, calls cap_l4 on the whole
 * datagram. Overlaps keep the bytes that came first, with a note.
 */
void cap_frag_add(const struct cap_frame_ctx *fc, const struct cap_frag *f, unsigned depth);
/* Drop datagrams older than the timeout (all when flush), with notes. */
void cap_frag_expire(struct cap_decoder *d, int64_t now_us, bool flush);

int cap_tcp_new(struct cap_tcp_table **ret);
struct cap_tcp_table *cap_tcp_free(struct cap_tcp_table *t);
/* One TCP segment (header already read). */
struct cap_tcp_seg {
	uint32_t seq;
	bool syn, fin, rst;
	const uint8_t *p;
	size_t len;
};
void cap_tcp_segment(const struct cap_frame_ctx *fc, const struct cap_flow *fl,
		     const struct cap_tcp_seg *s);
/* End of input: note incomplete messages, free every stream. */
void cap_tcp_flush(struct cap_decoder *d);

/* CAP_SIP, CAP_HTTP, -1 (not a start line), -2 (may be one: no line end yet). */
int cap_start_line_read(const uint8_t *p, size_t len);
/* As cap_start_line_read; inline, as most payloads (RTP, a download) are told
 * by their first byte: every start line we know begins with a capital. */
static inline int cap_start_line(const uint8_t *p, size_t len)
{
	if (len == 0)
		return -2;
	if (p[0] < 'A' || p[0] > 'Z')
		return -1;
	return cap_start_line_read(p, len);
}

/*
 * Framing: the length of the first whole message at p (start line, headers,
 * blank line, Content-Length bytes of body). Returns the length; 0 when more
 * bytes are needed; -EBADMSG when p does not start with a start line;
 * -E2BIG when the message is over SIP_MAX_MSG (*skip then says how many
 * bytes it spans, when known from a Content-Length up to CAP_TCP_SKIP_MAX,
 * else 0: no headers' end, or a length too big to be anything but garbled).
 */
long cap_frame_len(const uint8_t *p, size_t len, int *kind, size_t *skip);

#endif
