/* SPDX-License-Identifier: MIT */
/* xmlsvc.h — the NOTIFY XML-Service body: classify (URL, CiscoIPPhoneExecute, other) and validate. */
#ifndef XS_XMLSVC_H
#define XS_XMLSVC_H

#include "../common/xs.h"

/* Caps (named so docs and fuzzers can cite them). */
#define XMLSVC_MAX_BODY   65535u /* larger bodies are not examined: -E2BIG */
#define XMLSVC_MAX_URL    2048u  /* longest URL kept (pushed URL, ExecuteItem URL) */
#define XMLSVC_MAX_ITEMS  3u     /* CiscoIPPhoneExecute allows at most 3 ExecuteItems */
#define XMLSVC_KEEP_ITEMS 8u     /* items recorded in a report (more are counted only) */

enum xmlsvc_kind {
	XMLSVC_EMPTY = 0,   /* no body, or only white space */
	XMLSVC_URL,         /* starts with a URL scheme (http:, https:, ...) */
	XMLSVC_EXECUTE,     /* XML whose root is CiscoIPPhoneExecute */
	XMLSVC_OTHER_XML,   /* other inline XML (CiscoIPPhoneText, ... or not well formed) */
	XMLSVC_OTHER,       /* anything else */
	XMLSVC_KIND_COUNT
};
const char *xmlsvc_kind_name(enum xmlsvc_kind k); /* "empty", "url", "execute", "other-xml", "other" */

/* What can be wrong with a body; a report carries a mask of 1u << problem. */
enum xmlsvc_problem {
	XMLSVC_OK = 0,
	XMLSVC_P_EMPTY,            /* nothing to act on */
	XMLSVC_P_TRAILING_NEWLINE, /* URL followed by CR or LF (XS-BODY-02) */
	XMLSVC_P_WHITESPACE,       /* white space before/inside the URL, or a second token */
	XMLSVC_P_NOT_HTTP,         /* scheme is not http or https */
	XMLSVC_P_BAD_URL,          /* not an absolute URL with a host (libcurl's parser) */
	XMLSVC_P_BAD_CHAR,         /* control or non-ASCII byte in the URL */
	XMLSVC_P_URL_TOO_LONG,     /* over XMLSVC_MAX_URL */
	XMLSVC_P_XML_MALFORMED,    /* not well-formed XML */
	XMLSVC_P_XML_DTD,          /* DOCTYPE / entity declarations: refused, never expanded */
	XMLSVC_P_NOT_EXECUTE,      /* XML, but the root is not CiscoIPPhoneExecute */
	XMLSVC_P_NO_ITEMS,         /* CiscoIPPhoneExecute without ExecuteItem */
	XMLSVC_P_TOO_MANY_ITEMS,   /* more than XMLSVC_MAX_ITEMS */
	XMLSVC_P_BAD_PRIORITY,     /* Priority not 0, 1 or 2 */
	XMLSVC_P_NO_URL,           /* ExecuteItem without a non-empty URL attribute */
	XMLSVC_P_UNKNOWN_ELEMENT,  /* a child of the root other than ExecuteItem, or text */
	XMLSVC_P_NOT_SERVICE,      /* neither a URL nor XML */
	XMLSVC_PROBLEM_COUNT
};
const char *xmlsvc_problem_name(enum xmlsvc_problem p); /* "trailing CR/LF after the URL", ... */

struct xmlsvc_item {
	char url[XMLSVC_MAX_URL + 1];  /* the URL attribute ("" when missing) */
	int priority;                  /* 0 when absent (the default), -1 when invalid */
	bool has_priority;
};

struct xmlsvc_report {
	enum xmlsvc_kind kind;
	unsigned problems;          /* mask of 1u << enum xmlsvc_problem; 0: valid */
	enum xmlsvc_problem first;  /* the first problem found, XMLSVC_OK when none */
	/* URL bodies: the URL without trailing CR/LF (what a phone should fetch) */
	char url[XMLSVC_MAX_URL + 1];
	size_t trailing_crlf;       /* how many CR/LF bytes followed it */
	/* Execute bodies */
	size_t n_items;             /* ExecuteItems seen (may exceed XMLSVC_KEEP_ITEMS) */
	struct xmlsvc_item items[XMLSVC_KEEP_ITEMS];
};

/*
 * Classify a body by its first non-white-space bytes, without parsing XML.
 * buf is borrowed and need not be NUL-terminated.
 */
enum xmlsvc_kind xmlsvc_classify(const uint8_t *buf, size_t len);

/*
 * Classify and validate a body (DESIGN.md §1): a URL body must be exactly one
 * absolute http(s) URL with nothing after it (no CR/LF); an Execute body must
 * hold 1-3 ExecuteItem elements each with a URL attribute and a Priority of
 * 0-2 when given. XML is parsed by libxml2 with no network, no DTD loading and
 * no entity expansion; a DOCTYPE is itself a problem. A failed check is a
 * problem in *out, not an error: returns 0 with *out filled, -E2BIG over
 * XMLSVC_MAX_BODY, -ENOMEM, -EINVAL on misuse. Thread-safe. The last 16
 * bodies checked on each thread are kept with their reports: a body repeated
 * byte for byte (one push to many phones, a push and its retry) is not parsed
 * again.
 */
int xmlsvc_check(const uint8_t *buf, size_t len, struct xmlsvc_report *out);

/*
 * libxml2's global set-up and tear-down (xmlInitParser, xmlCleanupParser), for
 * a server that checks bodies on many threads: libxml2 is loaded on first use
 * (xmlrt.h), by xmlsvc_check or by these. Cleanup only after the last check.
 */
void xmlsvc_global_init(void);
void xmlsvc_global_cleanup(void);

/*
 * A report of nothing checked (an empty body's fields before its problems).
 * Reports are written, copied and read through their fields: what follows a
 * string's NUL, or the items past n_items, holds nothing (it is 18 KB of room).
 */
void xmlsvc_report_init(struct xmlsvc_report *r);

/*
 * Do two URLs name the same resource? True when equal byte for byte, or equal
 * after libcurl's normalisation (scheme and host case, default port, empty
 * path as "/"). Used to compare a fetched URL with the pushed one.
 */
bool xmlsvc_url_equal(const char *a, const char *b);

/* True when the report carries problem p. */
static inline bool xmlsvc_has(const struct xmlsvc_report *r, enum xmlsvc_problem p)
{
	return (r->problems & (1u << p)) != 0;
}

#endif
