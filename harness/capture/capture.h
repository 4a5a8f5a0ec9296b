/* SPDX-License-Identifier: MIT */
/* capture.h — pcap/pcapng decode to SIP and HTTP messages, and the exchange builder behind `xscert analyze`. */
#ifndef XS_CAPTURE_H
#define XS_CAPTURE_H

#include "harness/common/xs.h"
#include "harness/rules/record.h"
#include "harness/rules/rules.h"
#include "harness/sip/sipmsg.h"

#include <stdio.h>

/*
 * Caps (named so the docs and the notes can cite them). Every buffer the
 * decoder keeps is bounded by one of these; what goes over one is skipped
 * with a note naming the frame, and decoding goes on.
 */
#define CAP_FRAG_MAX_DATAGRAMS  64u          /* IP datagrams in reassembly at once */
#define CAP_FRAG_TIMEOUT_US     30000000LL   /* fragments of one datagram: 30 s */
#define CAP_TCP_MAX_STREAMS     4096u        /* TCP directions followed at once */
#define CAP_TCP_OOO_MAX         (128u * 1024u) /* out-of-order bytes held per direction */
#define CAP_TCP_MEM_MAX         (24u * 1024u * 1024u) /* all TCP buffers together */
#define CAP_TCP_WINDOW          (1u << 20)   /* a segment further ahead is out of window */
#define CAP_TCP_SKIP_MAX        (1u << 20)   /* an over-cap message skipped by its Content-Length */
#define CAP_TCP_IDLE_US         300000000LL  /* a silent direction is forgotten: 300 s */
#define CAP_MAX_TUNNEL_DEPTH    4u           /* IP-in-IP, VLAN stacks */
#define CAP_MAX_NOTES           200u         /* notes kept; the rest are counted */
#define CAP_TS_JUMP_US          86400000000LL /* a frame a day off the capture's time: bad timestamp */
#define CAP_TS_JUMP_CONFIRM     3u           /* frames in a row that agree: the capture's time jumps */
#define CAP_TS_NONE             INT64_MIN    /* ts_us of a frame whose timestamp cannot be read */

/* What the decoder found: one whole SIP message or HTTP request. */
enum cap_kind { CAP_SIP = 0, CAP_HTTP = 1 };

struct cap_unit {
	enum cap_kind kind;
	enum xs_transport tp;
	struct xs_endpoint src, dst;
	int64_t ts_us;       /* of the frame that completed it */
	uint64_t frame;      /* 1-based, of the frame that completed it */
	const uint8_t *p;    /* the message bytes, borrowed for the callback only */
	size_t len;
	const void *prep;    /* what was made of it on the reading thread (pipe.h); NULL: nothing */
};

/* Callbacks of the decoder; any may be NULL. ctx is passed back. */
struct cap_sink {
	void *ctx;
	void (*unit)(void *ctx, const struct cap_unit *u);
	/* input skipped: what and why (frame 0: not tied to a frame) */
	void (*note)(void *ctx, uint64_t frame, const char *what);
	/* capture time advanced to ts_us; returns the time before which it need not be
	 * told again (INT64_MIN: every frame) */
	int64_t (*tick)(void *ctx, int64_t ts_us);
};

struct cap_stats {
	uint64_t frames;
	uint64_t bytes;          /* captured bytes of all frames */
	uint64_t sip_msgs;
	uint64_t http_reqs;
	uint64_t ip_reassembled; /* datagrams rebuilt from fragments */
	uint64_t tcp_retrans;    /* segments wholly seen before */
	uint64_t skipped;        /* notes raised (including the suppressed ones) */
};

/*
 * The decoder: frames in, cap_units out. Link layers: Ethernet (with 802.1Q
 * / 802.1ad tags, stacked), Linux cooked v1 and v2, raw IPv4/IPv6, BSD
 * loopback (DLT_NULL, DLT_LOOP); IPv4 (options) and IPv6 (extension headers),
 * IP-in-IP; IPv4 and IPv6 fragment reassembly; UDP; TCP reassembly. SIP is
 * recognised by its start line, not by port, HTTP requests by theirs
 * (GET/HEAD/POST ... HTTP/1.x).
 */
struct cap_decoder;
int cap_decoder_new(struct cap_decoder **ret, const struct cap_sink *sink);
struct cap_decoder *cap_decoder_free(struct cap_decoder *d); /* accepts NULL */

/*
 * Decode one frame of link type dlt (libpcap's DLT_ value). p is borrowed;
 * caplen bytes are present of wirelen on the wire. A ts_us more than
 * CAP_TS_JUMP_US from the capture's running time (or CAP_TS_NONE) is noted
 * and the frame decoded at the running time, unless CAP_TS_JUMP_CONFIRM
 * frames in a row agree on the new time: then the running time follows them.
 */
void cap_decoder_frame(struct cap_decoder *d, int dlt, uint64_t frame, int64_t ts_us,
		       const uint8_t *p, size_t caplen, size_t wirelen);
/* End of one input: incomplete fragments and TCP data are noted and dropped. */
void cap_decoder_finish(struct cap_decoder *d);
const struct cap_stats *cap_decoder_stats(const struct cap_decoder *d);

/*
 * Read every frame of a pcap or pcapng stream f (handed over: closed by this
 * call in every case; read from its current position, fmemopen works)
 * through libpcap's pcap_fopen_offline.
 * Frame numbers continue from the decoder's count within one file: call
 * cap_decoder_finish between files. Returns 0 when the whole file was read,
 * 1 when it ended early (truncated: a note was raised, what was read is
 * still decoded), -EBADMSG when f is not a capture libpcap reads (err says
 * why), -ENOTSUP for an unsupported link type.
 */
int cap_read_stream(struct cap_decoder *d, FILE *f, char *err, size_t errlen);

/*
 * Read the capture file at path: a classic pcap file is read in 1 MiB chunks
 * and its records framed in place (the fast path: no call into libpcap;
 * same checks, same notes); anything else (pcapng, a pipe) goes through
 * cap_read_stream and libpcap. Same returns, plus -errno when path cannot
 * be opened (err says why).
 */
int cap_read_file(struct cap_decoder *d, const char *path, char *err, size_t errlen);

/* Recognise a start line: CAP_SIP, CAP_HTTP, or -1 (first bytes only). */
int cap_classify(const uint8_t *p, size_t len);

/*
 * The analyzer: decoded units to judged exchanges (DESIGN.md §9). It pairs
 * every NOTIFY whose Event is xml-service, resync, reboot_now, restart_now,
 * check-sync or report with its challenge, the authenticated retry (same
 * Call-ID and From tag, CSeq + 1) and the final answer, by Call-ID, From
 * tag, CSeq and Via branch; keeps retransmissions with their exchange; links
 * HTTP requests from the phone's address (on loopback: any loopback
 * address) within the fetch window after the final 2xx; identifies the
 * device from Server / User-Agent; infers the sender's intent (correct or
 * wrong password, wrong realm, replay) from the known credentials; judges
 * each exchange with the rules when it completes (fetch window over, or
 * CAP_FETCH_LINGER_US after the fetch, or CAP_EXCHANGE_IDLE_US without a
 * final answer) and hands it to the result, in the order exchanges began.
 *
 * Memory stays bounded whatever the input: at most CAP_MAX_PENDING
 * exchanges are open; at most CAP_KEEP_FULL judged exchanges are kept
 * whole, then CAP_KEEP_FAILED more whose findings hold a fail, warn or
 * error (libosip2 is asked only for its verdict on each response, for
 * XS-SIP-01: its parse is never kept); every other judged exchange is folded
 * into one summary exchange ("e-folded", one finding per rule and verdict,
 * the detail saying how many exchanges) and freed. Messages past
 * CAP_EX_MAX_MSGS in one exchange are counted, not kept. Notes past
 * CAP_MAX_NOTES are counted.
 *
 * With opts.decode_thread, the file is read and decoded on the calling
 * thread while everything else runs on a second one, fed by a pipe (pipe.h:
 * the decoder's calls, replayed in order; about 1 MiB of them wait at most).
 * While that thread is behind, the reading thread asks libosip2 about the
 * responses it decodes. The result is the same, exchange for exchange and
 * note for note, as all on one thread.
 */
#define CAP_KEEP_FULL      100u
#define CAP_KEEP_FAILED    100u
#define CAP_EX_MAX_MSGS    16u
#define CAP_EX_MAX_HTTP    8u
#define CAP_MAX_PENDING    1024u       /* exchanges open at once; the oldest is judged early */
#define CAP_FETCH_LINGER_US 2000000LL  /* after the fetch: wait 2 s for retransmissions, a 2nd fetch */
#define CAP_MAX_DEVICES    128u        /* devices told apart; the rest share one */
#define CAP_EXCHANGE_IDLE_US 32000000LL /* no final answer after 64*T1: judged as is */
#define CAP_FETCH_WINDOW_DEFAULT_US 10000000LL

struct cap_analyzer_opts {
	int64_t fetch_window_us;                 /* 0: CAP_FETCH_WINDOW_DEFAULT_US */
	const struct rules_credential *creds;    /* borrowed for the analyzer's life */
	size_t n_creds;
	/* decode on the calling thread, analyze on a second one (same result, same order) */
	bool decode_thread;
};

#define CAP_STATS_METHODS 16u

struct cap_analyzer_stats {
	uint64_t digest_logins;   /* requests carrying Authorization/Proxy-Authorization: Digest */
	/* the same by request method (the first CAP_STATS_METHODS methods seen; "" ends) */
	struct {
		char method[16];
		uint64_t n;
	} logins_by_method[CAP_STATS_METHODS];
	uint64_t exchanges;       /* judged */
	uint64_t folded;          /* judged and folded into the summary exchange */
	uint64_t unparsed;        /* framed messages sip_msg_parse refused */
};

struct cap_analyzer;
/*
 * A new analyzer adding to res (borrowed; the analyzer adds exchanges,
 * devices and notes to it). Returns 0, -ENOMEM or -EINVAL.
 */
int cap_analyzer_new(struct cap_analyzer **ret, struct xs_result *res,
		     const struct cap_analyzer_opts *o);
struct cap_analyzer *cap_analyzer_free(struct cap_analyzer *a); /* accepts NULL */

/*
 * Analyse one capture file (path, used in notes) read from f (handed over:
 * closed by this call).
 * Exchanges still open at the end of the file are judged as they are.
 * Returns 0 (also when the file ended early: a note says so), -EBADMSG
 * (not a capture: err says why), -ENOTSUP (link type), -ENOMEM.
 */
int cap_analyze_stream(struct cap_analyzer *a, FILE *f, const char *path, char *err,
		       size_t errlen);
/* The same, opening path (-errno when it cannot be opened). */
int cap_analyze_file(struct cap_analyzer *a, const char *path, char *err, size_t errlen);
/* Judge what is still open and add the folded summary to the result. */
int cap_analyzer_finish(struct cap_analyzer *a);

const struct cap_stats *cap_analyzer_decode_stats(const struct cap_analyzer *a);
const struct cap_analyzer_stats *cap_analyzer_stats(const struct cap_analyzer *a);

/*
 * Parse a credentials file's contents: lines "user:realm:password" (realm
 * may be empty: any realm; the password is everything after the second ':';
 * '#' starts a comment line; blank lines ignored). On success *ret is an
 * array of *n entries whose strings live in one block freed (and wiped) by
 * cap_creds_free. -EBADMSG with *bad_line (1-based) on a malformed line.
 */
int cap_creds_parse(const uint8_t *buf, size_t len, struct rules_credential **ret, size_t *n,
		    size_t *bad_line);
void cap_creds_free(struct rules_credential *c, size_t n);

#endif
