/* SPDX-License-Identifier: MIT */
/* fuzz-xmlsvc.c — the XML-Service body: classify and validate (URL or CiscoIPPhoneExecute). */
/*
 * Input: one NOTIFY body. xmlsvc_check parses XML with libxml2 (no network,
 * no DTD, no entities) and URLs with libcurl's parser (the plainest without
 * it: libcurl must take every URL the check takes); the report it returns
 * must be self-consistent whatever the bytes.
 */
#include "fuzz.h"
#include "harness/xmlsvc/xmlsvc.h"

#include <curl/curl.h>
#include <string.h>

#define FUZZ_XMLSVC_MAX_INPUT (XMLSVC_MAX_BODY + 64) /* a little over the cap: -E2BIG */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xmlsvc_report r;
	enum xmlsvc_kind k;
	int rc;

	fuzz_quiet();
	if (size > FUZZ_XMLSVC_MAX_INPUT)
		return 0;
	k = xmlsvc_classify(data, size);
	FUZZ_ASSERT(k < XMLSVC_KIND_COUNT && xmlsvc_kind_name(k) != NULL);

	memset(&r, 0xa5, sizeof r); /* the checker must fill everything it reports */
	rc = xmlsvc_check(data, size, &r);
	if (size > XMLSVC_MAX_BODY) {
		FUZZ_ASSERT(rc == -E2BIG || rc == -ENOMEM);
		return 0;
	}
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM);
	if (rc < 0)
		return 0;
	FUZZ_ASSERT(r.kind < XMLSVC_KIND_COUNT);
	FUZZ_ASSERT(r.first < XMLSVC_PROBLEM_COUNT);
	FUZZ_ASSERT((r.problems == 0) == (r.first == XMLSVC_OK));
	FUZZ_ASSERT(r.first == XMLSVC_OK || xmlsvc_has(&r, r.first));
	FUZZ_ASSERT((r.problems >> XMLSVC_PROBLEM_COUNT) == 0 && !xmlsvc_has(&r, XMLSVC_OK));
	for (unsigned p = 0; p < XMLSVC_PROBLEM_COUNT; p++)
		FUZZ_ASSERT(xmlsvc_problem_name((enum xmlsvc_problem)p) != NULL);
	if (r.kind == XMLSVC_URL) {
		FUZZ_ASSERT(memchr(r.url, '\0', sizeof r.url));
		FUZZ_ASSERT(r.trailing_crlf <= size);
		FUZZ_ASSERT(!r.trailing_crlf || xmlsvc_has(&r, XMLSVC_P_TRAILING_NEWLINE));
		/* a URL taken (some without asking libcurl) is one libcurl takes, with a host */
		if (!(r.problems & (1u << XMLSVC_P_BAD_URL | 1u << XMLSVC_P_NOT_HTTP |
				    1u << XMLSVC_P_URL_TOO_LONG | 1u << XMLSVC_P_WHITESPACE))) {
			CURLU *h = curl_url();
			char *host = NULL;
			FUZZ_ASSERT(!h || (curl_url_set(h, CURLUPART_URL, r.url, 0) == CURLUE_OK &&
					   curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
					   host && host[0]));
			curl_free(host);
			curl_url_cleanup(h);
		}
	}
	if (r.kind == XMLSVC_EXECUTE) {
		for (size_t i = 0; i < XS_MIN(r.n_items, (size_t)XMLSVC_KEEP_ITEMS); i++) {
			FUZZ_ASSERT(memchr(r.items[i].url, '\0', sizeof r.items[i].url));
			FUZZ_ASSERT(r.items[i].priority >= -1 && r.items[i].priority <= 2);
		}
		FUZZ_ASSERT(r.n_items <= XMLSVC_MAX_ITEMS || xmlsvc_has(&r, XMLSVC_P_TOO_MANY_ITEMS));
		FUZZ_ASSERT(r.n_items > 0 || xmlsvc_has(&r, XMLSVC_P_NO_ITEMS) ||
			    xmlsvc_has(&r, XMLSVC_P_XML_MALFORMED) || xmlsvc_has(&r, XMLSVC_P_XML_DTD));
	}
	return 0;
}
