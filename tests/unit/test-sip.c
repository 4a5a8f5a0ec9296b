/* SPDX-License-Identifier: MIT */
/* test-sip.c — SIP message framing: exact bytes and body, headers, compact forms, errors. */
#include <criterion/criterion.h>

#include "harness/sip/osipmem.h"
#include "harness/sip/sipmsg.h"

#include <osipparser2/osip_message.h>
#include <osipparser2/osip_port.h>
#include <stdlib.h>
#include <string.h>

static struct sip_msg *parse_ok(const char *s)
{
	struct sip_msg *m = NULL;
	int r = sip_msg_parse(&m, (const uint8_t *)s, strlen(s));
	cr_assert_eq(r, 0, "parse failed: %d for\n%s", r, s);
	return m;
}

#define NOTIFY_HDRS                                                            \
	"NOTIFY sip:159@127.0.0.1:5060 SIP/2.0\r\n"                            \
	"Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1;rport\r\n"           \
	"From: \"PBX\" <sip:pbx@127.0.0.1>;tag=ft1\r\n"                        \
	"To: <sip:159@127.0.0.1>\r\n"                                          \
	"Call-ID: call-1@127.0.0.1\r\n"                                        \
	"CSeq: 7 NOTIFY\r\n"                                                   \
	"Event: XML-Service;id=3\r\n"                                          \
	"Content-Type: text/plain\r\n"

Test(sip, request_fields_and_exact_body)
{
	const char *s = NOTIFY_HDRS "Content-Length: 24\r\n\r\nhttp://127.0.0.1/x.xml\r\n";
	struct sip_msg *m = parse_ok(s);
	cr_assert(m->is_request);
	cr_assert_str_eq(m->method, "NOTIFY");
	cr_assert(xs_span_eq_str(m->ruri, "sip:159@127.0.0.1:5060"));
	cr_assert(xs_span_eq_str(m->call_id, "call-1@127.0.0.1"));
	cr_assert(xs_span_eq_str(m->from_tag, "ft1"));
	cr_assert_eq(m->to_tag.len, 0);
	cr_assert(xs_span_eq_str(m->via_branch, "z9hG4bK-1"));
	cr_assert(xs_span_eq_str(m->event, "XML-Service"));
	cr_assert_eq(m->cseq, 7);
	cr_assert_str_eq(m->cseq_method, "NOTIFY");
	cr_assert_eq(m->content_length, 24);
	struct xs_span b = sip_msg_body(m);
	cr_assert(xs_span_eq_str(b, "http://127.0.0.1/x.xml\r\n"), "the CRLF after the URL is kept");
	cr_assert_eq(m->raw_len, strlen(s));
	cr_assert(memcmp(m->raw, s, m->raw_len) == 0);
	cr_assert_eq(m->raw[m->raw_len], '\0');
	cr_assert_null(m->osip, "libosip2 is asked on demand only");
	cr_assert_not_null(sip_msg_osip(m), "libosip2 accepts a well-formed NOTIFY");
	cr_assert_eq(sip_msg_osip(m), m->osip, "and its parse is kept");
	char sum[64];
	sip_msg_summary(m, sum, sizeof sum);
	cr_assert_str_eq(sum, "NOTIFY sip:159@127.0.0.1:5060");
	sip_msg_free(m);
}

Test(sip, body_is_after_blank_line_whatever_content_length_says)
{
	static const struct {
		const char *msg;
		const char *body;
		long cl;
	} cases[] = {
		{ NOTIFY_HDRS "Content-Length: 3\r\n\r\nhttp://a/", "http://a/", 3 },
		{ NOTIFY_HDRS "Content-Length: 99\r\n\r\nabc", "abc", 99 },
		{ NOTIFY_HDRS "\r\n", "", -1 },
		{ NOTIFY_HDRS "\r\n\r\n\r\n", "\r\n\r\n", -1 },
		{ "NOTIFY sip:a@b SIP/2.0\nCSeq: 1 NOTIFY\n\nbody\n", "body\n", -1 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sip_msg *m = parse_ok(cases[i].msg);
		cr_assert(xs_span_eq_str(sip_msg_body(m), cases[i].body), "case %zu", i);
		cr_assert_eq(m->content_length, cases[i].cl, "case %zu", i);
		sip_msg_free(m);
	}
}

Test(sip, response_fields)
{
	const char *s = "SIP/2.0 401 Unauthorized\r\n"
			"v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-1,SIP/2.0/UDP h2;branch=b2\r\n"
			"f: <sip:pbx@127.0.0.1>;tag=ft1\r\n"
			"t: <sip:159@127.0.0.1;tag=uri-param>;tag=tt9\r\n"
			"i: call-1@127.0.0.1\r\n"
			"CSeq: 7 NOTIFY\r\n"
			"Server: Cisco/SPA504G-7.6.2c\r\n"
			"WWW-Authenticate: Digest realm=\"a, b\", nonce=\"n1\", qop=\"auth\"\r\n"
			"l: 0\r\n\r\n";
	struct sip_msg *m = parse_ok(s);
	cr_assert_not(m->is_request);
	cr_assert_eq(m->status, 401);
	cr_assert(xs_span_eq_str(m->reason, "Unauthorized"));
	cr_assert_str_eq(m->method, "NOTIFY", "a response's method is its CSeq method");
	cr_assert(xs_span_eq_str(m->to_tag, "tt9"), "tag inside <> is a URI parameter");
	cr_assert(xs_span_eq_str(m->via_branch, "z9hG4bK-1"), "top Via only");
	cr_assert(xs_span_eq_str(m->call_id, "call-1@127.0.0.1"));
	cr_assert_eq(m->content_length, 0);

	struct xs_span v;
	cr_assert_eq(sip_msg_header(m, "via", 1, true, &v), 0);
	cr_assert(xs_span_eq_str(v, "SIP/2.0/UDP h2;branch=b2"));
	cr_assert_eq(sip_msg_header(m, "Via", 1, false, &v), -ENOENT);
	cr_assert_eq(sip_msg_header(m, "WWW-Authenticate", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "Digest realm=\"a, b\", nonce=\"n1\", qop=\"auth\""));
	cr_assert_eq(sip_msg_header(m, "Content-Length", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "0"));
	cr_assert_eq(sip_msg_header(m, "i", 0, false, &v), 0, "ask by compact letter");
	cr_assert_eq(sip_msg_header(m, "server", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "Cisco/SPA504G-7.6.2c"));
	cr_assert_eq(sip_msg_header(m, "Contact", 0, false, &v), -ENOENT);
	char sum[64];
	sip_msg_summary(m, sum, sizeof sum);
	cr_assert_str_eq(sum, "401 Unauthorized");
	sip_msg_free(m);
}

Test(sip, compact_forms_and_case)
{
	static const char *const names[][2] = {
		{ "i", "Call-ID" }, { "f", "From" }, { "t", "To" }, { "v", "Via" },
		{ "l", "Content-Length" }, { "c", "Content-Type" }, { "e", "Content-Encoding" },
		{ "o", "Event" }, { "k", "Supported" }, { "m", "Contact" }, { "s", "Subject" },
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		char buf[256];
		snprintf(buf, sizeof buf, "OPTIONS sip:x SIP/2.0\r\n%s: 5\r\n\r\n", names[i][0]);
		struct sip_msg *m = parse_ok(buf);
		struct xs_span v;
		cr_assert_eq(sip_msg_header(m, names[i][1], 0, false, &v), 0, "%s", names[i][0]);
		cr_assert(xs_span_eq_str(v, "5"));
		char upper[64];
		snprintf(upper, sizeof upper, "%s", names[i][1]);
		for (char *p = upper; *p; p++)
			if (*p >= 'a' && *p <= 'z')
				*p = (char)(*p - 32);
		cr_assert_eq(sip_msg_header(m, upper, 0, false, &v), 0, "%s", upper);
		sip_msg_free(m);
	}
}

/* A lookup by number finds what the lookup by name finds, for every known name,
 * full or compact on the wire, first and later lines, items split or not. */
Test(sip, lookup_by_number_as_by_name)
{
	static const struct { enum sip_hdr_id id; const char *name, *wire; } known[] = {
		{ SIP_HDR_CALL_ID, "Call-ID", "i" },	     { SIP_HDR_FROM, "From", "From" },
		{ SIP_HDR_TO, "To", "t" },		     { SIP_HDR_VIA, "Via", "v" },
		{ SIP_HDR_CONTENT_TYPE, "Content-Type", "c" }, { SIP_HDR_EVENT, "Event", "o" },
		{ SIP_HDR_SUBJECT, "Subject", "s" },	     { SIP_HDR_AUTHORIZATION, "Authorization", "AUTHORIZATION" },
		{ SIP_HDR_WWW_AUTHENTICATE, "WWW-Authenticate", "WWW-Authenticate" },
		{ SIP_HDR_PROXY_AUTHENTICATE, "Proxy-Authenticate", "Proxy-Authenticate" },
		{ SIP_HDR_PROXY_AUTHORIZATION, "Proxy-Authorization", "proxy-authorization" },
		{ SIP_HDR_SERVER, "Server", "Server" },   { SIP_HDR_USER_AGENT, "User-Agent", "user-agent" },
		{ SIP_HDR_EXPIRES, "Expires", "Expires" },
	};
	for (size_t k = 0; k < sizeof known / sizeof *known; k++) {
		char buf[512];
		snprintf(buf, sizeof buf,
			 "OPTIONS sip:x SIP/2.0\r\nX-Before: 0\r\n%s: a, b\r\nMax-Forwards: 70\r\n"
			 "%s: c\r\n\r\n", known[k].wire, known[k].name);
		struct sip_msg *m = parse_ok(buf);
		for (unsigned idx = 0; idx < 4; idx++)
			for (int split = 0; split < 2; split++) {
				struct xs_span a = XS_SPAN_NULL, b = XS_SPAN_NULL;
				int ra = sip_msg_header(m, known[k].name, idx, split, &a);
				int rb = sip_msg_header_id(m, known[k].id, idx, split, &b);
				cr_assert_eq(rb, ra, "%s %u %d", known[k].name, idx, split);
				cr_assert(xs_span_eq(a, b), "%s %u %d", known[k].name, idx, split);
			}
		struct xs_span v;
		cr_assert_eq(sip_msg_header_id(m, known[k].id, 1, true, &v), 0);
		cr_assert(xs_span_eq_str(v, "b"), "%s: the second item of the first line",
			  known[k].name);
		sip_msg_free(m);
	}
	struct sip_msg *m = parse_ok("OPTIONS sip:x SIP/2.0\r\nVia: a\r\n\r\n");
	struct xs_span v;
	cr_assert_eq(sip_msg_header_id(m, SIP_HDR_SERVER, 0, false, &v), -ENOENT);
	cr_assert_eq(sip_msg_header_id(m, SIP_HDR_NONE, 0, false, &v), -EINVAL);
	cr_assert_eq(sip_msg_header_id(m, SIP_HDR_COUNT, 0, false, &v), -EINVAL);
	cr_assert_eq(sip_msg_header_id(NULL, SIP_HDR_VIA, 0, false, &v), -EINVAL);
	sip_msg_free(m);
}

Test(sip, header_items_at_once_as_one_by_one)
{
	/* items across lines and compact forms, empty items skipped, more than max */
	const char *s = "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b\r\n"
			"To: <sip:x@y>\r\nv: SIP/2.0/UDP c;x=\"1,2\" , ,SIP/2.0/UDP d\r\n"
			"Call-ID: c\r\nCSeq: 1 NOTIFY\r\n\r\n";
	struct sip_msg *m = parse_ok(s);
	struct xs_span all[8], two[2];
	size_t n = sip_msg_header_items(m, "Via", all, 8);
	cr_assert_eq(n, 4);
	cr_assert_eq(sip_msg_header_items(m, "v", two, 2), 4, "the count is all of them");
	for (size_t i = 0; i < n; i++) {
		struct xs_span v;
		cr_assert_eq(sip_msg_header(m, "Via", (unsigned)i, true, &v), 0);
		cr_assert(xs_span_eq(v, all[i]), "item %zu", i);
		if (i < 2)
			cr_assert(xs_span_eq(v, two[i]));
	}
	cr_assert(xs_span_eq_str(all[2], "SIP/2.0/UDP c;x=\"1,2\""));
	cr_assert_eq(sip_msg_header_items(m, "Route", all, 8), 0);
	sip_msg_free(m);
}

Test(sip, folded_header_is_unfolded)
{
	const char *s = "NOTIFY sip:a@b SIP/2.0\r\n"
			"Authorization: Digest username=\"159\",\r\n"
			"  realm=\"r\",\r\n"
			"\tnonce=\"n\"\r\n"
			"Event  : xml-service\r\n"
			"CSeq: 2 NOTIFY\r\n\r\n";
	struct sip_msg *m = parse_ok(s);
	struct xs_span v;
	cr_assert_eq(sip_msg_header(m, "authorization", 0, false, &v), 0);
	cr_assert(xs_span_eq_str(v, "Digest username=\"159\", realm=\"r\", nonce=\"n\""),
		  "got %.*s", (int)v.len, (const char *)v.p);
	cr_assert(xs_span_eq_str(m->event, "xml-service"));
	cr_assert_eq(sip_msg_header_count(m), 3);
	struct xs_span n;
	cr_assert_eq(sip_msg_header_at(m, 1, &n, &v), 0);
	cr_assert(xs_span_eq_str(n, "Event"));
	cr_assert_eq(sip_msg_header_at(m, 3, &n, &v), -ENOENT);
	sip_msg_free(m);
}

Test(sip, malformed_inputs_rejected)
{
	static const struct {
		const char *msg;
		int err;
	} cases[] = {
		{ "", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nCSeq: 1 NOTIFY\r\n", -EBADMSG }, /* no blank line */
		{ "NOTIFY sip:a@b SIP/2.0", -EBADMSG },
		{ "NOTIFY sip:a@b HTTP/1.1\r\n\r\n", -EBADMSG },
		{ "NOTIFY  sip:a@b SIP/2.0\r\n\r\n", -EBADMSG },
		{ "NOT(IFY sip:a@b SIP/2.0\r\n\r\n", -EBADMSG },
		{ "SIP/2.0 20 OK\r\n\r\n", -EBADMSG },
		{ "SIP/2.0 099 OK\r\n\r\n", -EBADMSG },
		{ "SIP/2.0 700 OK\r\n\r\n", -EBADMSG },
		{ "GET / HTTP/1.1\r\nHost: x\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nno colon here\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\n folded first\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nCSeq: x NOTIFY\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nCSeq: 1\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nCSeq: 99999999999 NOTIFY\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nContent-Length: 1x\r\n\r\n", -EBADMSG },
		{ "NOTIFY sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", -EBADMSG },
		{ "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n"
		  "OPTIONS sip:a SIP/2.0\r\n\r\n", -EBADMSG },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sip_msg *m = (struct sip_msg *)0x1;
		int r = sip_msg_parse(&m, (const uint8_t *)cases[i].msg, strlen(cases[i].msg));
		cr_assert_eq(r, cases[i].err, "case %zu: got %d", i, r);
		cr_assert_eq(m, (struct sip_msg *)0x1, "case %zu: *ret untouched on failure", i);
	}
	cr_assert_eq(sip_msg_parse(NULL, (const uint8_t *)"x", 1), -EINVAL);
}

Test(sip, caps)
{
	size_t n = SIP_MAX_MSG + 1;
	uint8_t *big = malloc(n);
	cr_assert_not_null(big);
	memset(big, 'a', n);
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, big, n), -E2BIG);
	free(big);

	struct xs_buf b = { 0 };
	xs_buf_puts(&b, "OPTIONS sip:a SIP/2.0\r\n");
	for (unsigned i = 0; i <= SIP_MAX_HEADERS; i++)
		xs_buf_printf(&b, "X-H%u: %u\r\n", i, i);
	xs_buf_puts(&b, "\r\n");
	cr_assert_eq(sip_msg_parse(&m, b.p, b.len), -E2BIG);
	xs_buf_reset(&b);
}

Test(sip, leading_crlf_skipped_and_no_nul_needed)
{
	const char s[] = "\r\nOPTIONS sip:a SIP/2.0\r\nCSeq: 1 OPTIONS\r\n\r\nXYZ";
	/* pass a length that cuts the body: nothing after len may be read */
	uint8_t *exact = malloc(sizeof s - 2);
	memcpy(exact, s, sizeof s - 2);
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, exact, sizeof s - 2), 0);
	free(exact);
	cr_assert(xs_span_eq_str(sip_msg_body(m), "XY"));
	cr_assert_str_eq(m->method, "OPTIONS");
	sip_msg_free(m);
}

Test(sip, osip_null_when_libosip_refuses)
{
	/* framed by us, refused by libosip2 (a Via it cannot read): kept, osip NULL */
	const char *s = "SIP/2.0 200 OK\r\nVia: garbage\r\nFrom: <sip:a@b>;tag=1\r\n"
			"To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 2 NOTIFY\r\n\r\n";
	struct sip_msg *m = parse_ok(s);
	cr_assert_null(sip_msg_osip(m));
	cr_assert_null(m->osip);
	cr_assert_eq(m->status, 200);
	cr_assert(xs_span_eq_str(m->from_tag, "1"));
	sip_msg_free(m);
}

Test(sip, verdict_alone_agrees_with_the_kept_parse)
{
	/* sip_msg_osip_accepts parses in an arena it drops: same answer as a kept parse,
	 * for a message that fits its stack part and one (a 40 KB body) that does not */
	const char *bad = "SIP/2.0 200 OK\r\nVia: garbage\r\nFrom: <sip:a@b>;tag=1\r\n"
			  "To: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 2 NOTIFY\r\n\r\n";
	size_t big_len = 40000;
	char *big = malloc(strlen(NOTIFY_HDRS) + 64 + big_len);
	cr_assert_not_null(big);
	int n = sprintf(big, NOTIFY_HDRS "Content-Length: %zu\r\n\r\n", big_len);
	memset(big + n, 'x', big_len);
	big[n + big_len] = '\0';
	const char *cases[] = { NOTIFY_HDRS "Content-Length: 0\r\n\r\n", bad, big };
	for (size_t i = 0; i < 3; i++) {
		struct sip_msg *a = parse_ok(cases[i]), *b = parse_ok(cases[i]);
		bool kept = sip_msg_osip(a) != NULL;
		cr_assert_eq(sip_msg_osip_accepts(b), kept, "case %zu", i);
		cr_assert_null(b->osip, "the verdict's parse is not kept");
		cr_assert_eq(sip_msg_osip_accepts(a), kept, "case %zu: kept parse answers", i);
		/* the same verdict without a message (as the reading thread asks it) */
		cr_assert_eq(sip_osip_accepts_bytes((const uint8_t *)cases[i], strlen(cases[i])), kept,
			     "case %zu: bytes alone", i);
		/* a verdict told is kept and not asked again; one already known stays */
		struct sip_msg *c = parse_ok(cases[i]);
		sip_msg_osip_known(c, !kept);
		cr_assert_eq(sip_msg_osip_accepts(c), !kept, "case %zu: told", i);
		sip_msg_osip_known(c, kept);
		cr_assert_eq(sip_msg_osip_accepts(c), !kept, "case %zu: told once", i);
		sip_msg_osip_known(NULL, true);
		sip_msg_free(a);
		sip_msg_free(b);
		sip_msg_free(c);
	}
	free(big);
}

static bool within(const void *p, const void *buf, size_t n)
{
	return (const uint8_t *)p >= (const uint8_t *)buf &&
	       (const uint8_t *)p < (const uint8_t *)buf + n;
}

Test(sip, osip_arena_allocations)
{
	/* under ASan/LSan: a heap block the arena forgot, or a real free it skipped,
	 * shows as a leak; a free of an arena pointer as a bad free */
	osipmem_install();
	char *before = osip_malloc(10);
	cr_assert_not_null(before);
	_Alignas(max_align_t) uint8_t buf[256];
	struct osipmem a;
	osipmem_begin(&a, buf, sizeof buf);
	char *q = osip_malloc(100);
	cr_assert(within(q, buf, sizeof buf), "first from the caller's buffer");
	cr_assert_eq((uintptr_t)q % _Alignof(max_align_t), 0);
	memset(q, 'q', 100);
	char *r = osip_realloc(q, 1000);
	cr_assert(!within(r, buf, sizeof buf), "past the buffer: a heap block");
	for (int i = 0; i < 100; i++)
		cr_assert_eq(r[i], 'q', "realloc keeps the bytes");
	char *big = osip_malloc(200000);
	cr_assert_not_null(big);
	memset(big, 'b', 200000);
	osip_free(q); /* no-ops inside the arena */
	osip_free(r);
	osip_free(before); /* made before: really freed */
	struct osipmem inner;
	osipmem_begin(&inner, NULL, 0);
	cr_assert_not_null(osip_malloc(64), "nested, no buffer: a heap block");
	osipmem_end(&inner);
	/* the outer arena again: were it malloc's, LSan would see this one leak */
	cr_assert_not_null(osip_malloc(16));
	osipmem_end(&a);
	char *after = osip_malloc(8);
	cr_assert_not_null(after);
	free(after); /* malloc's own again */
}

Test(sip, cisco_kb_sample_is_a_negative_case)
{
	/* the KB's sample has a space instead of ':' before the port: no Request-URI */
	const char *s = "NOTIFY sip:159@10.0.0.5 5060 SIP/2.0\r\n\r\n";
	struct sip_msg *m = NULL;
	cr_assert_eq(sip_msg_parse(&m, (const uint8_t *)s, strlen(s)), -EBADMSG);
	/* and CSeq: 1 INVITE on a NOTIFY is read as written, for the rules to judge */
	const char *t = "NOTIFY sip:159@10.0.0.5 SIP/2.0\r\nCSeq: 1 INVITE\r\n"
			"From: pbx@10.0.0.1\r\n\r\n";
	m = parse_ok(t);
	cr_assert_str_eq(m->cseq_method, "INVITE");
	cr_assert_str_eq(m->method, "NOTIFY");
	sip_msg_free(m);
}

Test(sip, names_and_endpoints)
{
	cr_assert_str_eq(xs_dir_name(XS_DIR_TO_PHONE), "to-phone");
	cr_assert_str_eq(xs_dir_name(XS_DIR_FROM_PHONE), "from-phone");
	cr_assert_str_eq(xs_transport_name(XS_TP_TCP), "tcp");
	cr_assert_str_eq(xs_transport_name((enum xs_transport)9), "unknown");
	struct xs_endpoint e4 = { "127.0.0.1", 5060 }, e6 = { "::1", 5061 };
	char out[64];
	xs_endpoint_format(&e4, out, sizeof out);
	cr_assert_str_eq(out, "127.0.0.1:5060");
	xs_endpoint_format(&e6, out, sizeof out);
	cr_assert_str_eq(out, "[::1]:5061");
	cr_assert_null(sip_msg_free(NULL));
}
