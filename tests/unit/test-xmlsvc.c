/* SPDX-License-Identifier: MIT */
/* test-xmlsvc.c — XML-Service body classification and validation, exact problems. */
#include <criterion/criterion.h>

#include "harness/xmlsvc/xmlsvc.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define P(x) (1u << (XMLSVC_P_##x))

static const struct {
	const char *body;
	enum xmlsvc_kind kind;
	unsigned problems;
} cases[] = {
	/* URL bodies */
	{ "http://127.0.0.1:8080/x.xml", XMLSVC_URL, 0 },
	{ "https://host.example/a?b=c#d", XMLSVC_URL, 0 },
	{ "HTTP://HOST/", XMLSVC_URL, 0 },
	{ "http://127.0.0.1/x.xml\n", XMLSVC_URL, P(TRAILING_NEWLINE) },
	{ "http://127.0.0.1/x.xml\r\n", XMLSVC_URL, P(TRAILING_NEWLINE) },
	{ "http://127.0.0.1/x.xml\r", XMLSVC_URL, P(TRAILING_NEWLINE) },
	{ " http://127.0.0.1/x.xml", XMLSVC_URL, P(WHITESPACE) },
	{ "http://127.0.0.1/x.xml ", XMLSVC_URL, P(WHITESPACE) },
	{ "http://a/x http://b/y", XMLSVC_URL, P(WHITESPACE) },
	{ "http://a/x\r\nhttp://b/y", XMLSVC_URL, P(WHITESPACE) },
	{ "http://a/x \r\n", XMLSVC_URL, P(TRAILING_NEWLINE) | P(WHITESPACE) },
	{ "ftp://host/x", XMLSVC_URL, P(NOT_HTTP) },
	{ "http:/host/x", XMLSVC_URL, P(NOT_HTTP) },
	{ "http://", XMLSVC_URL, P(BAD_URL) },
	{ "http:///path", XMLSVC_URL, P(BAD_URL) },
	{ "http://a/\x01x", XMLSVC_URL, P(BAD_CHAR) | P(BAD_URL) },
	/* Execute bodies */
	{ "<CiscoIPPhoneExecute><ExecuteItem Priority=\"0\" URL=\"http://h/e.xml\"/>"
	  "</CiscoIPPhoneExecute>", XMLSVC_EXECUTE, 0 },
	{ "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!-- push -->\n<CiscoIPPhoneExecute>\n"
	  "  <ExecuteItem URL=\"http://h/1\"/>\n  <ExecuteItem Priority=\"1\" URL=\"Key:Services\"/>\n"
	  "  <ExecuteItem Priority=\"2\" URL=\"RTPRx:Stop\"/>\n</CiscoIPPhoneExecute>\n",
	  XMLSVC_EXECUTE, 0 },
	{ "<CiscoIPPhoneExecute></CiscoIPPhoneExecute>", XMLSVC_EXECUTE, P(NO_ITEMS) },
	{ "<CiscoIPPhoneExecute><ExecuteItem URL=\"a\"/><ExecuteItem URL=\"b\"/>"
	  "<ExecuteItem URL=\"c\"/><ExecuteItem URL=\"d\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(TOO_MANY_ITEMS) },
	{ "<CiscoIPPhoneExecute><ExecuteItem Priority=\"3\" URL=\"http://h/\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(BAD_PRIORITY) },
	{ "<CiscoIPPhoneExecute><ExecuteItem Priority=\"\" URL=\"http://h/\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(BAD_PRIORITY) },
	{ "<CiscoIPPhoneExecute><ExecuteItem Priority=\"0\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(NO_URL) },
	{ "<CiscoIPPhoneExecute><ExecuteItem URL=\"\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(NO_URL) },
	{ "<CiscoIPPhoneExecute><Foo/><ExecuteItem URL=\"x\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(UNKNOWN_ELEMENT) },
	{ "<CiscoIPPhoneExecute>text<ExecuteItem URL=\"x\"/></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(UNKNOWN_ELEMENT) },
	{ "<CiscoIPPhoneExecute><ExecuteItem URL=\"x\"></CiscoIPPhoneExecute>",
	  XMLSVC_EXECUTE, P(XML_MALFORMED) },
	{ "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><CiscoIPPhoneExecute><ExecuteItem URL=\"&a;\"/>"
	  "</CiscoIPPhoneExecute>", XMLSVC_OTHER_XML, P(XML_DTD) },
	{ "<!DOCTYPE CiscoIPPhoneExecute SYSTEM \"http://127.0.0.1:1/x.dtd\">"
	  "<CiscoIPPhoneExecute/>", XMLSVC_EXECUTE, P(XML_DTD) },
	/* other */
	{ "<CiscoIPPhoneText><Text>hi</Text></CiscoIPPhoneText>", XMLSVC_OTHER_XML, P(NOT_EXECUTE) },
	{ "<ciscoipphoneexecute/>", XMLSVC_OTHER_XML, P(NOT_EXECUTE) },
	{ "<", XMLSVC_OTHER_XML, P(XML_MALFORMED) },
	{ "", XMLSVC_EMPTY, P(EMPTY) },
	{ " \r\n\t", XMLSVC_EMPTY, P(EMPTY) },
	{ "hello", XMLSVC_OTHER, P(NOT_SERVICE) },
	{ "Key:Services", XMLSVC_OTHER, P(NOT_SERVICE) },
};

Test(xmlsvc, classify_and_validate_table)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct xmlsvc_report r;
		const char *b = cases[i].body;
		int rc = xmlsvc_check((const uint8_t *)b, strlen(b), &r);
		cr_assert_eq(rc, 0, "case %zu", i);
		cr_assert_eq(r.kind, cases[i].kind, "case %zu '%s': kind %s", i, b,
			     xmlsvc_kind_name(r.kind));
		cr_assert_eq(r.problems, cases[i].problems, "case %zu '%s': problems %#x (first: %s)",
			     i, b, r.problems, xmlsvc_problem_name(r.first));
		cr_assert_eq(r.problems == 0, r.first == XMLSVC_OK, "case %zu", i);
	}
}

/* Checks repeat on a thread (one body pushed to many phones) and are cached: the
 * table, checked three times over in turn, gives the same reports each time, and
 * a body differing in one byte from a cached one gets its own. */
Test(xmlsvc, repeated_checks_give_the_same_reports)
{
	const size_t n = sizeof cases / sizeof cases[0];
	for (int round = 0; round < 3; round++)
		for (size_t i = 0; i < n; i++) {
			size_t k = round == 1 ? n - 1 - i : i; /* back and forth through the cache */
			struct xmlsvc_report r;
			const char *b = cases[k].body;
			cr_assert_eq(xmlsvc_check((const uint8_t *)b, strlen(b), &r), 0);
			cr_assert_eq(r.kind, cases[k].kind, "round %d case %zu", round, k);
			cr_assert_eq(r.problems, cases[k].problems, "round %d case %zu", round, k);
		}
	const char *good = "http://127.0.0.1:8080/x.xml", *bad = "http://127.0.0.1:8080/x.xml\n";
	struct xmlsvc_report r;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(xmlsvc_check((const uint8_t *)good, strlen(good), &r), 0);
		cr_assert_eq(r.problems, 0);
		cr_assert_eq(xmlsvc_check((const uint8_t *)bad, strlen(bad), &r), 0);
		cr_assert(xmlsvc_has(&r, XMLSVC_P_TRAILING_NEWLINE));
		cr_assert_eq(xmlsvc_check((const uint8_t *)bad, strlen(good), &r), 0, "a prefix");
		cr_assert_eq(r.problems, 0);
	}
}

/* The parser context a thread keeps reads each document as a fresh one would:
 * malformed, DTD and valid ones in turn, past the context's renewal (every 256
 * documents; each body is new, so every check parses). */
Test(xmlsvc, kept_parser_context_as_fresh)
{
	size_t parsed = 0;
	for (int round = 0; round < 24; round++)
		for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
			if (cases[i].body[0] != '<')
				continue;
			/* a comment after the document: a new body each round, the same verdict */
			char b[1024];
			snprintf(b, sizeof b, "%s<!-- round %d -->", cases[i].body, round);
			struct xmlsvc_report r;
			cr_assert_eq(xmlsvc_check((const uint8_t *)b, strlen(b), &r), 0);
			cr_assert_eq(r.kind, cases[i].kind, "round %d case %zu", round, i);
			cr_assert_eq(r.problems, cases[i].problems, "round %d case %zu", round, i);
			parsed++;
		}
	cr_assert_gt(parsed, 256, "past a renewal of the context: %zu", parsed);
}

Test(xmlsvc, url_kept_without_crlf)
{
	struct xmlsvc_report r;
	const char *b = "http://127.0.0.1:9/t/abc.xml\r\n";
	cr_assert_eq(xmlsvc_check((const uint8_t *)b, strlen(b), &r), 0);
	cr_assert_str_eq(r.url, "http://127.0.0.1:9/t/abc.xml");
	cr_assert_eq(r.trailing_crlf, 2);
	cr_assert(xmlsvc_has(&r, XMLSVC_P_TRAILING_NEWLINE));
	cr_assert_eq(r.first, XMLSVC_P_TRAILING_NEWLINE);
}

Test(xmlsvc, execute_items_recorded)
{
	struct xmlsvc_report r;
	const char *b = "<CiscoIPPhoneExecute><ExecuteItem URL=\"http://h/a?x=1&amp;y=2\"/>"
			"<ExecuteItem Priority=\"2\" URL=\"Key:Services\"/></CiscoIPPhoneExecute>";
	cr_assert_eq(xmlsvc_check((const uint8_t *)b, strlen(b), &r), 0);
	cr_assert_eq(r.n_items, 2);
	cr_assert_str_eq(r.items[0].url, "http://h/a?x=1&y=2");
	cr_assert_not(r.items[0].has_priority);
	cr_assert_eq(r.items[0].priority, 0, "Priority defaults to 0");
	cr_assert_eq(r.items[1].priority, 2);
}

Test(xmlsvc, caps_and_misuse)
{
	size_t n = XMLSVC_MAX_BODY + 1;
	uint8_t *big = malloc(n);
	memset(big, 'a', n);
	struct xmlsvc_report r;
	cr_assert_eq(xmlsvc_check(big, n, &r), -E2BIG);
	free(big);
	cr_assert_eq(xmlsvc_check(NULL, 1, &r), -EINVAL);
	cr_assert_eq(xmlsvc_check(NULL, 0, &r), 0);
	cr_assert_eq(r.kind, XMLSVC_EMPTY);

	/* a long URL is refused by name, not truncated silently */
	struct xs_buf b = { 0 };
	xs_buf_puts(&b, "http://h/");
	for (unsigned i = 0; i < XMLSVC_MAX_URL; i++)
		xs_buf_puts(&b, "a");
	cr_assert_eq(xmlsvc_check(b.p, b.len, &r), 0);
	cr_assert(xmlsvc_has(&r, XMLSVC_P_URL_TOO_LONG));
	xs_buf_reset(&b);

	/* deep nesting is not a crash */
	for (unsigned i = 0; i < 5000; i++)
		xs_buf_puts(&b, "<a>");
	cr_assert_eq(xmlsvc_check(b.p, b.len, &r), 0);
	cr_assert(xmlsvc_has(&r, XMLSVC_P_XML_MALFORMED));
	xs_buf_reset(&b);
}

Test(xmlsvc, not_nul_terminated)
{
	/* the check reads only len bytes: a URL cut before its newline is clean */
	const char *b = "http://h/x\nGARBAGE";
	struct xmlsvc_report r;
	cr_assert_eq(xmlsvc_check((const uint8_t *)b, 10, &r), 0);
	cr_assert_eq(r.problems, 0);
	cr_assert_eq(xmlsvc_check((const uint8_t *)b, 11, &r), 0);
	cr_assert_eq(r.problems, 1u << XMLSVC_P_TRAILING_NEWLINE);
}

Test(xmlsvc, names)
{
	for (int k = 0; k < XMLSVC_KIND_COUNT; k++)
		cr_assert_not_null(xmlsvc_kind_name((enum xmlsvc_kind)k));
	for (int p = 0; p < XMLSVC_PROBLEM_COUNT; p++)
		cr_assert_not_null(xmlsvc_problem_name((enum xmlsvc_problem)p), "%d", p);
	cr_assert_str_eq(xmlsvc_kind_name(XMLSVC_KIND_COUNT), "unknown");
	cr_assert_str_eq(xmlsvc_kind_name(XMLSVC_URL), "url");
}

Test(xmlsvc, url_equal)
{
	static const struct {
		const char *a, *b;
		bool eq;
	} cases[] = {
		{ "http://h/x.xml", "http://h/x.xml", true },
		{ "http://H:80/x.xml", "HTTP://h/x.xml", true },
		{ "http://h", "http://h/", true },
		{ "http://h/x.xml", "http://h/x.xml%0A", false },
		{ "http://h/x.xml", "http://h/X.xml", false },
		{ "http://h:8080/x", "http://h/x", false },
		{ "http://h/x?a=1", "http://h/x?a=2", false },
		{ "not a url", "not a url", true },
		{ "not a url", "not  a url", false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		cr_assert_eq(xmlsvc_url_equal(cases[i].a, cases[i].b), cases[i].eq, "%s vs %s",
			     cases[i].a, cases[i].b);
	cr_assert_not(xmlsvc_url_equal(NULL, "x"));
}

/* libcurl's own verdict on a URL: parsed, with a host (what check_url asks of it). */
static bool curl_takes(const char *u)
{
	CURLU *h = curl_url();
	char *host = NULL;
	bool ok = h && curl_url_set(h, CURLUPART_URL, u, 0) == CURLUE_OK &&
		  curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host && host[0];
	curl_free(host);
	curl_url_cleanup(h);
	return ok;
}

/*
 * The plainest URLs are decided without libcurl: on random URLs around them
 * (hosts, ports, paths and queries of likely and unlikely characters) a body's
 * BAD_URL is libcurl's own verdict, whichever way it was reached.
 */
Test(xmlsvc, url_verdict_is_libcurls)
{
	static const char *const schemes[] = { "http://", "https://", "HTTP://", "hTtPs://" };
	static const char *const hosts[] = { "a", "127.0.0.1", "999.999.999.999", "h-1.example",
					     ".a", "a.", "-", "1.2.3", "0x7f.1", "a_b", "a%41",
					     "[::1]", "[::1", "a b", "user@h", "h\\x", "ex\xc3\xa9.fr",
					     "4294967296", "a..b", "a,b", "a[b", "a]", "a{b" };
	static const char *const ports[] = { "", ":", ":0", ":80", ":080", ":65535", ":65536",
					     ":99999", ":123456", ":8a", ":-1" };
	static const char alphabet[] = "aZ09-._~/?=&%#:@!$'()*+,;[]{}|^`\"<> \x01\x7f\xff";
	char url[160];
	unsigned seed = 7;
	size_t plain = 0, n = 0;
	for (size_t s = 0; s < sizeof schemes / sizeof *schemes; s++)
		for (size_t h = 0; h < sizeof hosts / sizeof *hosts; h++)
			for (size_t p = 0; p < sizeof ports / sizeof *ports; p++)
				for (int k = 0; k < 12; k++) {
					int len = snprintf(url, sizeof url, "%s%s%s", schemes[s],
							   hosts[h], ports[p]);
					/* a path and query: none, plain, or with one other character */
					int tail = k % 4 == 0 ? 0 : 1 + k % 7;
					for (int t = 0; t < tail && len + 2 < (int)sizeof url; t++) {
						seed = seed * 1103515245u + 12345u;
						unsigned r = (seed >> 16) % 64;
						char c = t == 0 ? (k % 3 ? '/' : '?') :
							 r < 40 ? "ab09-._~/?=&"[r % 12] :
							 alphabet[r % (sizeof alphabet - 1)];
						url[len++] = c;
					}
					url[len] = '\0';
					struct xmlsvc_report rep;
					cr_assert_eq(xmlsvc_check((const uint8_t *)url, strlen(url), &rep), 0);
					if (rep.kind != XMLSVC_URL ||
					    rep.problems & ~(P(BAD_URL) | P(BAD_CHAR) | P(WHITESPACE)))
						continue;
					if (rep.problems & P(WHITESPACE))
						continue; /* the first token only: not this whole string */
					n++;
					bool bad = rep.problems & P(BAD_URL);
					plain += !bad;
					cr_assert_eq(!bad, curl_takes(url), "%s: BAD_URL %d", url, bad);
				}
	cr_assert_gt(n, 5000, "%zu URLs compared", n);
	cr_assert_gt(plain, 1000, "%zu taken", plain);
}
