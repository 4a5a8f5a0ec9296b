/* SPDX-License-Identifier: MIT */
/* fuzz-sip-message.c — sip_msg_parse, the raw-body view, libosip2 serialise and re-parse. */
/*
 * Input: one SIP message as it came off the wire. Checks the parser's promises
 * (spans inside the raw copy, body = the bytes after the blank line), reads
 * headers the way the rules do, then serialises libosip2's parse with
 * osip_message_to_str() (two libosip2 CVEs lived in its serialisers) and parses
 * that text again: what libosip2 wrote must frame as a message of the same
 * kind (request or response, same method or status).
 */
#include "fuzz.h"
#include "harness/sip/sipmsg.h"

#include <osipparser2/osip_parser.h>
#include <string.h>

#define FUZZ_SIP_MAX_INPUT (SIP_MAX_MSG + 64) /* a little over the cap, to reach -E2BIG */

/*
 * Header-derived spans point into raw, or into the message's private copy of
 * unfolded values (folded lines, RFC 3261 §7.3.1): either way every byte must
 * be readable for the message's life, which touch() lets the sanitizers see.
 */
static volatile uint8_t sink;
static struct xs_span touch(struct xs_span s)
{
	uint8_t x = 0;
	for (size_t i = 0; i < s.len; i++)
		x ^= s.p[i];
	sink = x;
	return s;
}

/* A span either empty or wholly inside the message's raw bytes. */
static bool span_in_raw(const struct sip_msg *m, struct xs_span s)
{
	if (!s.len)
		return true;
	return s.p >= m->raw && s.len <= m->raw_len && (size_t)(s.p - m->raw) <= m->raw_len - s.len;
}

static void check_message(const struct sip_msg *m)
{
	static const char *const names[] = { "Via", "Call-ID", "CSeq", "Content-Length",
		"Content-Type", "Event", "WWW-Authenticate", "Authorization", "From", "To",
		"Contact", "User-Agent", "Server" };
	static const enum sip_hdr_id ids[] = { SIP_HDR_VIA, SIP_HDR_CALL_ID, SIP_HDR_CSEQ,
		SIP_HDR_CONTENT_LENGTH, SIP_HDR_CONTENT_TYPE, SIP_HDR_EVENT,
		SIP_HDR_WWW_AUTHENTICATE, SIP_HDR_AUTHORIZATION, SIP_HDR_FROM, SIP_HDR_TO,
		SIP_HDR_CONTACT, SIP_HDR_USER_AGENT, SIP_HDR_SERVER };
	struct xs_span body = sip_msg_body(m);
	char summary[256];

	FUZZ_ASSERT(m->raw && m->raw[m->raw_len] == '\0');
	FUZZ_ASSERT(m->body_off <= m->raw_len && m->body_len == m->raw_len - m->body_off);
	FUZZ_ASSERT(body.len == m->body_len && (!body.len || body.p == m->raw + m->body_off));
	FUZZ_ASSERT(span_in_raw(m, m->ruri) && span_in_raw(m, m->reason));
	touch(m->call_id);
	touch(m->via_branch);
	touch(m->from_tag);
	touch(m->to_tag);
	touch(m->event);
	FUZZ_ASSERT(memchr(m->method, '\0', sizeof m->method));
	FUZZ_ASSERT(memchr(m->cseq_method, '\0', sizeof m->cseq_method));
	FUZZ_ASSERT(m->is_request ? m->status == 0 : m->status > 0);

	for (size_t i = 0; i < XS_ARRAY_SIZE(names); i++) {
		for (unsigned idx = 0; idx < 4; idx++) {
			struct xs_span v;
			int rc = sip_msg_header(m, names[i], idx, idx & 1, &v);
			FUZZ_ASSERT(rc == 0 || rc == -ENOENT);
			/* by number as by name */
			struct xs_span w = XS_SPAN_NULL;
			FUZZ_ASSERT(sip_msg_header_id(m, ids[i], idx, idx & 1, &w) == rc);
			FUZZ_ASSERT(rc < 0 || (w.p == v.p && w.len == v.len));
			if (rc < 0)
				break;
			touch(v);
		}
	}
	sip_msg_summary(m, summary, sizeof summary);
	FUZZ_ASSERT(memchr(summary, '\0', sizeof summary));
}

/* libosip2's own serialiser, then our parser again on what it wrote. */
static void reserialise(const struct sip_msg *m)
{
	struct sip_msg *again = NULL;
	char *text = NULL;
	size_t len = 0;

	if (!sip_msg_osip(m) || osip_message_to_str(m->osip, &text, &len) != OSIP_SUCCESS || !text)
		return;
	if (len <= SIP_MAX_MSG && sip_msg_parse(&again, (const uint8_t *)text, len) == 0) {
		check_message(again);
		FUZZ_ASSERT(again->is_request == m->is_request);
		if (!m->is_request)
			FUZZ_ASSERT(again->status == m->status);
		again = sip_msg_free(again);
	}
	osip_free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sip_msg *m = NULL;
	int rc;

	fuzz_quiet();
	if (size > FUZZ_SIP_MAX_INPUT)
		return 0;
	rc = sip_msg_parse(&m, data, size);
	if (rc < 0) {
		FUZZ_ASSERT(m == NULL);
		FUZZ_ASSERT(rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
		return 0;
	}
	FUZZ_ASSERT(m != NULL && m->raw_len == size && memcmp(m->raw, data, size) == 0);
	check_message(m);
	reserialise(m);
	sip_msg_free(m);
	return 0;
}
