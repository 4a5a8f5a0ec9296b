/* SPDX-License-Identifier: MIT */
/* sipmsg.h — one SIP message: exact wire bytes, the raw body, and libosip2's parse. */
#ifndef XS_SIPMSG_H
#define XS_SIPMSG_H

#include "../common/xs.h"

#include <stdint.h>

/* Caps on what we accept from the wire (named so fuzzers and docs can cite them). */
#define SIP_MAX_MSG      65535u /* one message, headers and body */
#define SIP_MAX_HEADERS  256u   /* header fields in one message */
#define SIP_MAX_BODY     65535u

enum xs_dir { XS_DIR_TO_PHONE = 0, XS_DIR_FROM_PHONE = 1 };
enum xs_transport { XS_TP_UDP = 0, XS_TP_TCP = 1 };
const char *xs_dir_name(enum xs_dir d);             /* "to-phone" / "from-phone" */
const char *xs_transport_name(enum xs_transport t); /* "udp" / "tcp" */

/* Textual endpoint: "127.0.0.1", "::1"; port in host order. */
struct xs_endpoint {
	char addr[48];
	uint16_t port;
};
/* "127.0.0.1:5060" or "[::1]:5060" into out (size >= 56). */
void xs_endpoint_format(const struct xs_endpoint *e, char *out, size_t size);

typedef struct osip_message osip_message_t;

/*
 * A parsed SIP message. Everything is owned by the struct; spans point into
 * raw. The raw body is exact: trailing-newline and Content-Length checks read
 * it, never libosip2's copy.
 */
struct sip_msg {
	/* where and when it was seen (filled by the caller: transport, capture) */
	enum xs_dir dir;
	enum xs_transport tp;
	struct xs_endpoint src, dst;
	int64_t ts_us;   /* microseconds since the epoch */
	uint64_t frame;  /* capture frame number (1-based), 0 when live */

	/* the bytes */
	uint8_t *raw;    /* exact wire bytes, owned, NUL-terminated beyond raw_len */
	size_t raw_len;
	size_t body_off; /* raw + body_off is the body (after the blank line) */
	size_t body_len; /* bytes after the blank line, whatever Content-Length says */

	/* the start line */
	bool is_request;
	char method[32];       /* request method or CSeq method of a response */
	int status;            /* response status code, 0 for requests */
	struct xs_span ruri;   /* Request-URI (requests) */
	struct xs_span reason; /* reason phrase (responses) */

	/* frequently used fields, from the raw headers (empty span: absent) */
	struct xs_span call_id;
	struct xs_span from_tag, to_tag;
	struct xs_span via_branch;  /* top Via's branch */
	struct xs_span event;       /* Event header value without parameters */
	uint32_t cseq;
	char cseq_method[32];
	long content_length;        /* -1 when absent */

	/* libosip2's view, made by sip_msg_osip() on first use (NULL before, and
	 * when libosip2 refused a message we still framed); owned by the message */
	osip_message_t *osip;
};

/*
 * Parse len bytes as one SIP message. The bytes are copied. The body is every
 * byte after the first blank line (CRLFCRLF or LFLF), whatever Content-Length
 * says; CRLFs before the start line are skipped. A present CSeq or
 * Content-Length must be readable. libosip2 is asked only when
 * sip_msg_osip() is called (most readers need only the raw headers, and its
 * parse is the costliest step). Only this function creates a struct sip_msg. Headers are read
 * with compact forms (i, f, t, v, l, c, o, e ...) and folded lines understood.
 * Returns 0 and *ret on success; -EBADMSG when it is not a SIP message (no
 * start line, no header/body separator, a required header unreadable);
 * -E2BIG over SIP_MAX_MSG or SIP_MAX_HEADERS; -ENOMEM.
 */
int sip_msg_parse(struct sip_msg **ret, const uint8_t *buf, size_t len);
struct sip_msg *sip_msg_free(struct sip_msg *m); /* accepts NULL, returns NULL */
/* Ask for m's record, header table and first header bytes to be brought into
 * the cache ahead of reading them (m read long after it was parsed). A hint:
 * nothing of m is read here. */
void sip_msg_prefetch(const struct sip_msg *m);

/*
 * libosip2's parse of the exact bytes, made on the first call and kept in
 * m->osip (a cache: m is logically unchanged); NULL when libosip2 refuses
 * them. Borrowed: freed with m.
 */
osip_message_t *sip_msg_osip(const struct sip_msg *m);

/*
 * Whether libosip2 accepts the exact bytes, its parse made once and the
 * answer kept (the parse itself is freed unless sip_msg_osip kept it
 * already): what a rule asks when it needs only the verdict.
 */
bool sip_msg_osip_accepts(const struct sip_msg *m);

/* The same verdict on len bytes followed by a NUL (raw[len] == '\0', as in a
 * parsed message), made without a message; and that verdict, made elsewhere on
 * m's exact bytes, given to m so it is not asked again. */
bool sip_osip_accepts_bytes(const uint8_t *raw, size_t len);
void sip_msg_osip_known(struct sip_msg *m, bool accepts);

/* The body as a span into raw. */
struct xs_span sip_msg_body(const struct sip_msg *m);

/*
 * The idx-th value (0-based, counting across repeated header lines and
 * comma-separated lists only where split_commas) of header `name`, matched
 * case-insensitively with its compact form. Returns 0 with *val a span into
 * raw (or into m's unfolded copy for a folded header), or -ENOENT.
 * Authorization-like headers must be read with split_commas=false (their
 * values contain commas). name may be a full name or a compact letter.
 */
int sip_msg_header(const struct sip_msg *m, const char *name, unsigned idx,
		   bool split_commas, struct xs_span *val);

/*
 * Header names known by number: those with a compact form (RFC 3261 §7.3.3,
 * RFC 3265 §7.2 for Event/Allow-Events, RFC 3515), then those the rules look
 * up most. Each header line gets its name's number when it is read, so a
 * lookup by number compares numbers, whichever form the wire used, and does
 * not read the name it is given.
 */
enum sip_hdr_id {
	SIP_HDR_NONE, SIP_HDR_CALL_ID, SIP_HDR_FROM, SIP_HDR_TO, SIP_HDR_VIA,
	SIP_HDR_CONTENT_LENGTH, SIP_HDR_CONTENT_TYPE, SIP_HDR_CONTENT_ENCODING, SIP_HDR_EVENT,
	SIP_HDR_ALLOW_EVENTS, SIP_HDR_SUPPORTED, SIP_HDR_CONTACT, SIP_HDR_SUBJECT,
	SIP_HDR_REFER_TO, SIP_HDR_REFERRED_BY, SIP_HDR_SESSION_EXPIRES, SIP_HDR_CSEQ,
	SIP_HDR_AUTHORIZATION, SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_PROXY_AUTHENTICATE,
	SIP_HDR_PROXY_AUTHORIZATION, SIP_HDR_SERVER, SIP_HDR_USER_AGENT, SIP_HDR_MAX_FORWARDS,
	SIP_HDR_EXPIRES,
	SIP_HDR_COUNT
};

/* sip_msg_header for a known name, by its number (enum sip_hdr_id); -EINVAL for SIP_HDR_NONE or past the last. */
int sip_msg_header_id(const struct sip_msg *m, enum sip_hdr_id id, unsigned idx, bool split_commas,
		      struct xs_span *val);

/*
 * All the comma-separated values of header `name` at once, in order (as
 * sip_msg_header with split_commas gives them one by one, each call from the
 * start): the first max go to out[]; returns how many there are in all.
 */
size_t sip_msg_header_items(const struct sip_msg *m, const char *name, struct xs_span *out,
			    size_t max);

/*
 * The header lines in wire order: how many, and the i-th name and value
 * (trimmed). Values of folded headers (RFC 3261 §7.3.1) are unfolded, each
 * line break and the white space after it replaced by one SP, into storage
 * owned by m: the spans are valid as long as m, but not always inside raw.
 * sip_msg_header_at returns 0 or -ENOENT past the end.
 */
size_t sip_msg_header_count(const struct sip_msg *m);
int sip_msg_header_at(const struct sip_msg *m, size_t i, struct xs_span *name,
		      struct xs_span *value);

/* One-line summary for reports: "NOTIFY sip:159@10.0.0.5" or "401 Unauthorized". */
void sip_msg_summary(const struct sip_msg *m, char *out, size_t size);

#endif
