/* SPDX-License-Identifier: MIT */
/* transport.h — SIP over UDP and TCP (IPv4/IPv6): sockets, stream framing, many connections. */
#ifndef XS_SIP_TRANSPORT_H
#define XS_SIP_TRANSPORT_H

#include "sipmsg.h"

#include <sys/socket.h>

/*
 * Named caps. A TCP peer that sends more than SIP_TP_CONN_BUF bytes without
 * completing a message, or declares a Content-Length over SIP_MAX_BODY, is
 * disconnected, and the reason goes to the optional on_drop callback (the
 * library prints nothing). A connection idle for idle_ms is closed. When
 * max_conns are open, a new connection evicts the one idle the longest, so
 * stalled peers cannot lock out a well-behaved one.
 */
#define SIP_TP_UDP_MAX       65536u          /* largest datagram read (64 KiB) */
#define SIP_TP_CONN_BUF      (SIP_MAX_MSG + 1u) /* per-connection receive buffer cap */
#define SIP_TP_OUT_MAX       (256u * 1024u)  /* per-connection unsent bytes cap */
#define SIP_TP_MAX_CONNS     1024u           /* default open TCP connections cap */
#define SIP_TP_IDLE_MS       30000           /* default idle timeout of a TCP connection */
#define SIP_TP_UDP_BURST     64u             /* datagrams read per wakeup before yielding */
#define SIP_TP_UDP_BATCH     16u             /* datagrams per recvmmsg call */

/*
 * Frame one message at the start of a stream buffer (RFC 3261 §18.3: the
 * header section ends at the first empty line, the body is Content-Length
 * bytes; a missing Content-Length counts as 0). Leading CRLFs (keep-alives,
 * RFC 5626 §3.5.1) are reported in *skip and are not part of the message.
 * Returns 1 with *skip and *msg_len set when a whole message is there, 0 when
 * more bytes are needed (*skip still set), -E2BIG when the header section or
 * the declared body exceeds the caps, -EBADMSG on an unreadable or
 * contradictory Content-Length. Pure: reads buf[0..len) only.
 */
int sip_frame(const uint8_t *buf, size_t len, size_t *skip, size_t *msg_len);

/* Why a stream could not be framed, or a connection's input was given up. */
enum sip_frame_err {
	SIP_FRAME_OK = 0,
	SIP_FRAME_HEADER_OVER_CAP,   /* no empty line within SIP_MAX_MSG bytes */
	SIP_FRAME_LENGTH_OVER_CAP,   /* Content-Length over SIP_MAX_BODY */
	SIP_FRAME_MESSAGE_OVER_CAP,  /* header section + Content-Length over SIP_MAX_MSG */
	SIP_FRAME_LENGTH_NOT_NUMBER, /* Content-Length is not 1*DIGIT (RFC 3261 §20.14) */
	SIP_FRAME_LENGTH_CONFLICT,   /* two different Content-Lengths */
	SIP_FRAME_BUFFER_FULL,       /* SIP_TP_CONN_BUF bytes held and no whole message */
	SIP_FRAME_ERR_COUNT
};

/* The details of a framing failure: numbers stated, never the peer's bytes as such. */
struct sip_frame_error {
	enum sip_frame_err code;
	uint64_t value;      /* the length declared or the bytes seen; the first of two lengths */
	uint64_t limit;      /* the cap it is over; the second of two lengths */
	unsigned digits;     /* LENGTH_OVER_CAP: digits of a value too long for value (0: fits) */
	char text[20];       /* LENGTH_NOT_NUMBER: the value, printable ASCII only, cut short */
};

/*
 * sip_frame, and on failure (-E2BIG, -EBADMSG) *err says why; on success
 * err->code is SIP_FRAME_OK. err may be NULL. Pure like sip_frame.
 */
int sip_frame_why(const uint8_t *buf, size_t len, size_t *skip, size_t *msg_len,
		  struct sip_frame_error *err);

/* A short name of a code: "Content-Length over the cap", ... ("?" when out of range). */
const char *sip_frame_err_name(enum sip_frame_err code);

/*
 * The reason in words with its numbers, NUL-terminated in out (cut short to
 * fit): "Content-Length over the cap (99999999 > 65535)". Returns 0, or
 * -EINVAL on a NULL argument or size 0.
 */
int sip_frame_error_format(const struct sip_frame_error *err, char *out, size_t size);

struct sip_tp;
struct sip_tp_peer;

struct sip_tp_config {
	const char *addr;     /* numeric address to bind: "127.0.0.1", "::1", "0.0.0.0", "::" */
	uint16_t port;        /* 0: ephemeral (UDP and TCP share the UDP port when free) */
	bool udp, tcp;        /* which transports to open */
	unsigned max_conns;   /* 0: SIP_TP_MAX_CONNS */
	int idle_ms;          /* 0: SIP_TP_IDLE_MS */
	/* Optional (NULL: silent): told why a TCP connection is being closed for
	 * input it could not frame, just before it is closed; from and why are
	 * borrowed for the call, buffered is how many unframed bytes are discarded. */
	void (*on_drop)(void *ctx, const struct sip_tp_peer *from,
			const struct sip_frame_error *why, size_t buffered);
	void *drop_ctx;
};

/* Where a message came from, and where its response goes. */
struct sip_tp_peer {
	enum xs_transport tp;
	uint64_t conn;                 /* TCP connection id (0 for UDP) */
	struct sockaddr_storage sa;
	socklen_t salen;
	struct xs_endpoint ep;         /* the same address as text */
};

/* Called once per datagram or framed TCP message; buf is borrowed for the call. */
typedef void (*sip_tp_recv_fn)(void *ctx, const struct sip_tp_peer *from,
			       const uint8_t *buf, size_t len);

/*
 * Open and bind the sockets. Returns 0 and *ret, -EADDRINUSE when the port is
 * taken, -EINVAL on a bad address or no transport, or another -errno.
 */
int sip_tp_new(struct sip_tp **ret, const struct sip_tp_config *cfg);
/* Close every socket and connection. Accepts NULL, returns NULL. */
struct sip_tp *sip_tp_free(struct sip_tp *tp);

/* The bound address of transport t; -ENOENT when that transport is not open. */
int sip_tp_local(const struct sip_tp *tp, enum xs_transport t, struct xs_endpoint *out);

/*
 * Wait up to timeout_ms (-1: forever) for traffic, then read what is ready
 * and call fn for each message, and close idle connections. Returns the
 * number of messages delivered, 0 on timeout or interruption by a signal, or
 * a negative errno on a failure of the wait itself.
 */
int sip_tp_poll(struct sip_tp *tp, int timeout_ms, sip_tp_recv_fn fn, void *ctx);

/*
 * Send one message to a peer: a datagram to its address (UDP), or onto its
 * connection (TCP; queued when the socket is full, up to SIP_TP_OUT_MAX).
 * Bytes are copied. Returns 0, -ENOTCONN when the connection is gone,
 * -E2BIG when a datagram is too large or the queue is full, or another -errno.
 */
int sip_tp_send(struct sip_tp *tp, const struct sip_tp_peer *to, const uint8_t *buf, size_t len);

/* Open TCP connections right now (for tests and the soak bench). */
size_t sip_tp_conn_count(const struct sip_tp *tp);

#endif
