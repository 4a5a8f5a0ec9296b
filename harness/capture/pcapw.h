/* SPDX-License-Identifier: MIT */
/* pcapw.h — a small pcap writer: record UDP datagrams and TCP segments of live traffic. */
#ifndef XS_PCAPW_H
#define XS_PCAPW_H

#include "harness/common/xs.h"
#include "harness/sip/sipmsg.h"

#include <stdio.h>

/*
 * The file is classic pcap (magic a1b2c3d4, microsecond timestamps), link
 * type DLT_EN10MB (1) with zero MAC addresses, like a capture on Linux "lo":
 * tshark, tcpdump, sipdump and `xscert analyze` all read it. Each payload
 * becomes one Ethernet frame with a synthesised IPv4 or IPv6 header (by the
 * address family of the endpoints) and a UDP or TCP header with correct
 * lengths and checksums. TCP sequence numbers are tracked per direction of a
 * flow (src, dst); a flow's first segment in a direction is preceded by no
 * handshake (analyzers do not need one). TCP payloads over PCAPW_MAX_SEGMENT are
 * split into several segments; a UDP datagram is one frame (as on "lo").
 *
 * Thread-safe: one internal mutex serialises writes. Passwords are whatever
 * the payload holds: callers record wire traffic, which never carries one.
 */

#define PCAPW_MAX_SEGMENT 1448u /* TCP payload per segment */
#define PCAPW_MAX_FLOWS   1024u /* TCP directions tracked; the oldest is forgotten */

struct pcapw;

/*
 * Create (truncate) path and write the pcap header. Returns 0 and *ret, or
 * -errno (-ENOMEM, or the fopen error).
 */
int pcapw_open(struct pcapw **ret, const char *path);
/* The same over an open stream, borrowed (not closed by pcapw_close). */
int pcapw_open_stream(struct pcapw **ret, FILE *f);

/*
 * Write one UDP datagram (or TCP segment(s)) from src to dst at ts_us
 * (microseconds since the epoch). Addresses are numeric IPv4 or IPv6 text
 * ("127.0.0.1", "::1", "[::1]"); both of one family. payload is borrowed.
 * Returns 0, -EINVAL (bad or mixed addresses, payload over 65535), -EIO.
 */
int pcapw_udp(struct pcapw *w, const struct xs_endpoint *src, const struct xs_endpoint *dst,
	      int64_t ts_us, const void *payload, size_t len);
int pcapw_tcp(struct pcapw *w, const struct xs_endpoint *src, const struct xs_endpoint *dst,
	      int64_t ts_us, const void *payload, size_t len);

/* Push buffered frames to the file (0 or -EIO). */
int pcapw_flush(struct pcapw *w);
/* Flush and close; accepts NULL, returns NULL. */
struct pcapw *pcapw_close(struct pcapw *w);

#endif
