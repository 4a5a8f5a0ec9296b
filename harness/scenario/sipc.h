/* SPDX-License-Identifier: MIT */
/* sipc.h — the runner's SIP client: request builder, non-INVITE client transaction, UDP/TCP. */
#ifndef XS_SCENARIO_SIPC_H
#define XS_SCENARIO_SIPC_H

#include "harness/common/xs.h"
#include "harness/sip/sipmsg.h"

#include <sys/socket.h>

/* ---- request builder (pure) ---- */

/* What goes into one request. Strings borrowed; NULL leaves the header out. */
struct sc_request {
	const char *method;        /* "NOTIFY", "OPTIONS" */
	const char *ruri;          /* "sip:159@127.0.0.1:5060" */
	enum xs_transport tp;
	const char *via_host;      /* "127.0.0.1" or "[::1]" */
	uint16_t via_port;
	const char *branch;        /* full value, "z9hG4bK..." */
	const char *from_uri;
	const char *from_tag;
	const char *to_uri;
	const char *call_id;
	uint32_t cseq;
	const char *contact;       /* a URI; NULL: none */
	const char *event;         /* NULL: no Event header */
	const char *content_type;  /* NULL: none (and no body expected) */
	const char *auth_name;     /* "Authorization" or "Proxy-Authorization" */
	const char *auth_value;    /* NULL: no credentials */
	const char *user_agent;
	struct xs_span body;       /* sent byte for byte */
	long content_length;       /* -1: body.len; else written as given */
};

/*
 * Append the request to out: start line, headers in a fixed order, a blank
 * line, then exactly body.len bytes of body. Nothing is added to the body (no
 * CRLF after a URL). Returns 0, -EINVAL (missing method/ruri/call_id), -ENOMEM.
 */
int sc_request_build(const struct sc_request *r, struct xs_buf *out);

/* ---- RFC 3261 §17.1.2 non-INVITE client transaction (pure; the clock is passed in) ---- */

#define SC_T1_US_DEFAULT 500000   /* RFC 3261 T1 */
#define SC_T2_US         4000000  /* RFC 3261 T2 */

enum sc_nict_state { SC_NICT_TRYING = 0, SC_NICT_PROCEEDING, SC_NICT_COMPLETED,
		     SC_NICT_TIMEDOUT };
enum sc_nict_action { SC_NICT_WAIT = 0, SC_NICT_RETRANSMIT, SC_NICT_TIMEOUT };

struct sc_nict {
	enum sc_nict_state state;
	bool reliable;      /* TCP: no Timer E */
	int64_t t1_us;
	int64_t interval_us; /* current Timer E interval */
	int64_t timer_e;    /* absolute, microseconds; 0: not running */
	int64_t timer_f;    /* absolute */
	unsigned retransmits;
};

/*
 * Start the transaction at now_us: Timer E = T1 (unreliable transports only),
 * Timer F = 64*T1, or cap_us when it is shorter (0: no cap).
 */
void sc_nict_start(struct sc_nict *t, bool reliable, int64_t t1_us, int64_t cap_us,
		   int64_t now_us);
/*
 * Advance the clock: RETRANSMIT when Timer E fired (the caller sends again;
 * E doubles up to T2, or is T2 once a provisional answer came), TIMEOUT when
 * Timer F fired, WAIT otherwise.
 */
enum sc_nict_action sc_nict_tick(struct sc_nict *t, int64_t now_us);
/* The next time sc_nict_tick has something to do (absolute microseconds). */
int64_t sc_nict_deadline(const struct sc_nict *t);
/* A response arrived: 1xx moves to Proceeding, a final one completes. */
void sc_nict_response(struct sc_nict *t, int status);

/* ---- the connection to the phone ---- */

#define SC_TCP_MAX_BUFFER (2 * SIP_MAX_MSG) /* bytes held while framing a TCP stream */

struct sc_conn {
	int fd;
	enum xs_transport tp;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct xs_endpoint local, remote;
	struct xs_buf rx;   /* TCP: bytes not yet framed */
	int64_t rx_ts_us;   /* kernel receive time of the last bytes read (SO_TIMESTAMP), 0 unknown */
};

/* Monotonic and wall clocks, microseconds. */
int64_t sc_now_mono_us(void);
int64_t sc_now_wall_us(void);

/*
 * Resolve host (a literal IPv4/IPv6 address or a name) and connect: UDP gets a
 * connected socket (so an ICMP port unreachable is seen as -ECONNREFUSED),
 * TCP connects within timeout_ms. 0, -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH,
 * -ENOENT (name not resolved), or another -errno.
 */
int sc_conn_open(struct sc_conn *c, enum xs_transport tp, const char *host, uint16_t port,
		 int timeout_ms);
void sc_conn_close(struct sc_conn *c);
/* Send one message (a datagram, or the whole buffer on TCP). 0 or -errno. */
int sc_conn_send(struct sc_conn *c, const uint8_t *buf, size_t len);
/*
 * Wait until deadline_mono_us for one message. Returns 0 with *out (a parsed
 * message, dir from-phone, addresses and wall time filled), -ETIMEDOUT,
 * -EBADMSG with the raw bytes in *junk (caller frees) when what arrived is not
 * SIP, -ECONNRESET when TCP closed, -ECONNREFUSED, or another -errno.
 */
int sc_conn_recv(struct sc_conn *c, int64_t deadline_mono_us, struct sip_msg **out,
		 struct xs_buf *junk);

/* Random lower-case hex token of n characters (n < size) from getrandom. */
void sc_random_hex(char *out, size_t size, size_t n);

#endif
