/* SPDX-License-Identifier: MIT */
/* xmlsvc.c — classify and validate XML-Service bodies (URL or CiscoIPPhoneExecute), safely. */
#include "xmlsvc.h"

#include "curlrt.h"
#include "xmlrt.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[XMLSVC_KIND_COUNT] = {
	[XMLSVC_EMPTY] = "empty",
	[XMLSVC_URL] = "url",
	[XMLSVC_EXECUTE] = "execute",
	[XMLSVC_OTHER_XML] = "other-xml",
	[XMLSVC_OTHER] = "other",
};

static const char *const problem_names[XMLSVC_PROBLEM_COUNT] = {
	[XMLSVC_OK] = "valid",
	[XMLSVC_P_EMPTY] = "empty body",
	[XMLSVC_P_TRAILING_NEWLINE] = "trailing CR/LF after the URL",
	[XMLSVC_P_WHITESPACE] = "white space or a second token around the URL",
	[XMLSVC_P_NOT_HTTP] = "URL scheme is not http or https",
	[XMLSVC_P_BAD_URL] = "not an absolute URL with a host",
	[XMLSVC_P_BAD_CHAR] = "control or non-ASCII byte in the URL",
	[XMLSVC_P_URL_TOO_LONG] = "URL too long",
	[XMLSVC_P_XML_MALFORMED] = "XML not well-formed",
	[XMLSVC_P_XML_DTD] = "DOCTYPE or entity declaration in the XML",
	[XMLSVC_P_NOT_EXECUTE] = "XML root is not CiscoIPPhoneExecute",
	[XMLSVC_P_NO_ITEMS] = "CiscoIPPhoneExecute without ExecuteItem",
	[XMLSVC_P_TOO_MANY_ITEMS] = "more than 3 ExecuteItems",
	[XMLSVC_P_BAD_PRIORITY] = "Priority is not 0, 1 or 2",
	[XMLSVC_P_NO_URL] = "ExecuteItem without URL",
	[XMLSVC_P_UNKNOWN_ELEMENT] = "unexpected content in CiscoIPPhoneExecute",
	[XMLSVC_P_NOT_SERVICE] = "neither a URL nor XML",
};

const char *xmlsvc_kind_name(enum xmlsvc_kind k)
{
	return (unsigned)k < XMLSVC_KIND_COUNT ? kind_names[k] : "unknown";
}

const char *xmlsvc_problem_name(enum xmlsvc_problem p)
{
	return (unsigned)p < XMLSVC_PROBLEM_COUNT ? problem_names[p] : "unknown";
}

static void add_problem(struct xmlsvc_report *r, enum xmlsvc_problem p)
{
	if (!r->problems)
		r->first = p;
	r->problems |= 1u << p;
}

static bool is_lws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_alpha(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool starts_ci(const uint8_t *p, size_t len, const char *pfx)
{
	size_t n = strlen(pfx);
	return len >= n && xs_span_caseeq_str(xs_span(p, n), pfx);
}

/* Skip white space and a UTF-8 BOM. */
static size_t skip_lead(const uint8_t *buf, size_t len)
{
	size_t i = 0;
	if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf)
		i = 3;
	while (i < len && is_lws(buf[i]))
		i++;
	return i;
}

/* Position just after the first occurrence of needle in [i, len), or len. */
static size_t after(const uint8_t *buf, size_t len, size_t i, const char *needle)
{
	size_t n = strlen(needle);
	for (; i + n <= len; i++)
		if (!memcmp(buf + i, needle, n))
			return i + n;
	return len;
}

/* The root element's name of what looks like XML: skips <?..?>, <!--..-->, <!..>. */
static struct xs_span xml_root_name(const uint8_t *buf, size_t len, size_t i)
{
	while (i < len && buf[i] == '<') {
		if (starts_ci(buf + i, len - i, "<?"))
			i = after(buf, len, i, "?>");
		else if (starts_ci(buf + i, len - i, "<!--"))
			i = after(buf, len, i + 4, "-->");
		else if (starts_ci(buf + i, len - i, "<!"))
			i = after(buf, len, i, ">");
		else {
			size_t s = ++i;
			while (i < len && !is_lws(buf[i]) && buf[i] != '>' && buf[i] != '/')
				i++;
			return xs_span(buf + s, i - s);
		}
		while (i < len && is_lws(buf[i]))
			i++;
	}
	return XS_SPAN_NULL;
}

/* Length of a URI scheme at p ("http" in "http://"), 0 when none (RFC 3986 §3.1). */
static size_t scheme_len(const uint8_t *p, size_t len)
{
	if (!len || !is_alpha(p[0]))
		return 0;
	size_t i = 1;
	while (i < len && (is_alpha(p[i]) || (p[i] >= '0' && p[i] <= '9') || p[i] == '+' ||
			   p[i] == '-' || p[i] == '.'))
		i++;
	return i < len && p[i] == ':' ? i : 0;
}

enum xmlsvc_kind xmlsvc_classify(const uint8_t *buf, size_t len)
{
	if (!buf)
		return XMLSVC_EMPTY;
	size_t i = skip_lead(buf, len);
	if (i >= len)
		return XMLSVC_EMPTY;
	if (buf[i] == '<') {
		struct xs_span root = xml_root_name(buf, len, i);
		return xs_span_eq_str(root, "CiscoIPPhoneExecute") ? XMLSVC_EXECUTE
								    : XMLSVC_OTHER_XML;
	}
	size_t sl = scheme_len(buf + i, len - i);
	if (sl && (starts_ci(buf + i, len - i, "http:") || starts_ci(buf + i, len - i, "https:") ||
		   starts_ci(buf + i + sl, len - i - sl, "://")))
		return XMLSVC_URL;
	return XMLSVC_OTHER;
}

static bool is_alnum(uint8_t c)
{
	return is_alpha(c) || (c >= '0' && c <= '9');
}

/*
 * After an http(s) URL's "scheme://": is u[0, n) what libcurl surely takes,
 * with a host? A host of letters, digits, dots and dashes, a port (if any) of 1
 * to 5 digits up to 65535, a path and query (if any) of letters, digits and
 * "-._~/?=&". These are most pushed URLs; deciding them here spares loading
 * libcurl and its 30 libraries (some 10 ms) and a parse each. Anything else
 * goes to libcurl, which decides (test-xmlsvc compares the two on random URLs).
 */
static bool plain_url_rest(const uint8_t *u, size_t n)
{
	size_t i = 0;
	while (i < n && (is_alnum(u[i]) || u[i] == '.' || u[i] == '-'))
		i++;
	if (i == 0 || i > 253)
		return false;
	if (i < n && u[i] == ':') {
		size_t digits = ++i;
		unsigned port = 0;
		while (i < n && i - digits < 5 && u[i] >= '0' && u[i] <= '9')
			port = port * 10 + (unsigned)(u[i++] - '0');
		if (i == digits || port > 65535)
			return false;
	}
	if (i < n && u[i] != '/' && u[i] != '?')
		return false;
	for (; i < n; i++)
		if (!is_alnum(u[i]) && !memchr("-._~/?=&", u[i], 8))
			return false;
	return true;
}

/* One URL: nothing before, nothing after, no CR/LF (Cisco KB), absolute http(s). */
static void check_url(const uint8_t *buf, size_t len, struct xmlsvc_report *r)
{
	size_t end = len;
	while (end > 0 && (buf[end - 1] == '\r' || buf[end - 1] == '\n'))
		end--;
	r->trailing_crlf = len - end;
	if (r->trailing_crlf)
		add_problem(r, XMLSVC_P_TRAILING_NEWLINE);

	size_t start = 0;
	while (start < end && is_lws(buf[start]))
		start++;
	size_t stop = end;
	while (stop > start && is_lws(buf[stop - 1]))
		stop--;
	if (start > 0 || stop < end)
		add_problem(r, XMLSVC_P_WHITESPACE);
	size_t tok_end = stop; /* the first token: what a lenient phone would take */
	for (size_t i = start; i < stop; i++) {
		if (is_lws(buf[i])) {
			if (tok_end == stop)
				tok_end = i;
			add_problem(r, XMLSVC_P_WHITESPACE);
		} else if (buf[i] < 0x20 || buf[i] >= 0x7f) {
			add_problem(r, XMLSVC_P_BAD_CHAR);
		}
	}
	size_t ulen = stop - start;
	if (ulen > XMLSVC_MAX_URL) {
		add_problem(r, XMLSVC_P_URL_TOO_LONG);
		return;
	}
	memcpy(r->url, buf + start, ulen);
	r->url[ulen] = '\0';

	const uint8_t *u = buf + start;
	if (!starts_ci(u, ulen, "http://") && !starts_ci(u, ulen, "https://")) {
		add_problem(r, XMLSVC_P_NOT_HTTP);
		return;
	}
	/* curl tolerates "http:///x"; an absolute URL names its authority */
	size_t auth = starts_ci(u, ulen, "http://") ? 7 : 8;
	if (auth >= tok_end - start || strchr("/?#", u[auth])) {
		add_problem(r, XMLSVC_P_BAD_URL);
		return;
	}
	if (plain_url_rest(u + auth, tok_end - start - auth))
		return;
	char tok[XMLSVC_MAX_URL + 1];
	memcpy(tok, u, tok_end - start);
	tok[tok_end - start] = '\0';
	const struct curlrt *cu = curlrt();
	CURLU *h = cu->url();
	if (!h) {
		add_problem(r, XMLSVC_P_BAD_URL);
		return;
	}
	char *host = NULL;
	if (cu->url_set(h, CURLUPART_URL, tok, 0) != CURLUE_OK ||
	    cu->url_get(h, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host || !host[0])
		add_problem(r, XMLSVC_P_BAD_URL);
	cu->free(host);
	cu->url_cleanup(h);
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
	xmlrt()->init_parser();
}

void xmlsvc_global_init(void)
{
	pthread_once(&xml_once, xml_init_once);
}

void xmlsvc_global_cleanup(void)
{
	xmlrt()->cleanup_parser();
}

static bool attr_is(const xmlAttr *a, const char *name)
{
	return a->name && !strcmp((const char *)a->name, name);
}

/* Copy an attribute's text into dst (cap size); "" when absent. */
static int attr_text(xmlNode *n, const char *name, char *dst, size_t size, bool *present)
{
	*present = false;
	dst[0] = '\0';
	for (xmlAttr *a = n->properties; a; a = a->next) {
		if (!attr_is(a, name))
			continue;
		const struct xmlrt *x = xmlrt();
		xmlChar *v = x->node_list_get_string(n->doc, a->children, 1);
		if (!v && a->children)
			return -ENOMEM;
		*present = true;
		size_t l = v ? strlen((const char *)v) : 0;
		if (l >= size)
			l = size - 1;
		if (l)
			memcpy(dst, v, l);
		dst[l] = '\0';
		xmlrt_free(x, v);
		return 0;
	}
	return 0;
}

static bool is_blank_text(const xmlChar *s)
{
	for (; s && *s; s++)
		if (!is_lws(*s))
			return false;
	return true;
}

/* CiscoIPPhoneExecute: 1-3 ExecuteItem, each URL="..." and Priority 0-2 (default 0). */
static int check_execute(xmlNode *root, struct xmlsvc_report *r)
{
	for (xmlNode *n = root->children; n; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
			if (!is_blank_text(n->content))
				add_problem(r, XMLSVC_P_UNKNOWN_ELEMENT);
			continue;
		}
		if (n->type != XML_ELEMENT_NODE)
			continue; /* comments, processing instructions */
		if (strcmp((const char *)n->name, "ExecuteItem") != 0) {
			add_problem(r, XMLSVC_P_UNKNOWN_ELEMENT);
			continue;
		}
		struct xmlsvc_item it = { .priority = 0 };
		char prio[8];
		bool has_url;
		if (attr_text(n, "URL", it.url, sizeof it.url, &has_url) < 0 ||
		    attr_text(n, "Priority", prio, sizeof prio, &it.has_priority) < 0)
			return -ENOMEM;
		if (!it.url[0])
			add_problem(r, XMLSVC_P_NO_URL);
		if (it.has_priority) {
			if (strlen(prio) == 1 && prio[0] >= '0' && prio[0] <= '2') {
				it.priority = prio[0] - '0';
			} else {
				it.priority = -1;
				add_problem(r, XMLSVC_P_BAD_PRIORITY);
			}
		}
		if (r->n_items < XMLSVC_KEEP_ITEMS)
			r->items[r->n_items] = it;
		r->n_items++;
	}
	if (r->n_items == 0)
		add_problem(r, XMLSVC_P_NO_ITEMS);
	else if (r->n_items > XMLSVC_MAX_ITEMS)
		add_problem(r, XMLSVC_P_TOO_MANY_ITEMS);
	return 0;
}

/* Does the body declare a DTD or entities? Refused before libxml2 sees it. */
static bool has_dtd(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i + 2 < len; i++)
		if (buf[i] == '<' && buf[i + 1] == '!' &&
		    (starts_ci(buf + i, len - i, "<!DOCTYPE") || starts_ci(buf + i, len - i, "<!ENTITY")))
			return true;
	return false;
}

static xmlParserCtxtPtr *thread_ctxt(size_t len);

static int check_xml(const uint8_t *buf, size_t len, struct xmlsvc_report *r)
{
	if (has_dtd(buf, len)) {
		add_problem(r, XMLSVC_P_XML_DTD);
		return 0;
	}
	xmlsvc_global_init();
	const struct xmlrt *x = xmlrt();
	xmlParserCtxtPtr *kept = thread_ctxt(len);
	xmlParserCtxtPtr ctxt = kept && *kept ? *kept : x->new_parser_ctxt();
	if (!ctxt)
		return -ENOMEM;
	if (kept)
		*kept = ctxt;
	/* no NOENT (no substitution), no DTDLOAD, no network, no error printing */
	int opts = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	xmlDocPtr doc = x->ctxt_read_memory(ctxt, (const char *)buf, (int)len, NULL, NULL, opts);
	int rc = 0;
	xmlNode *root = doc ? x->doc_get_root_element(doc) : NULL;
	if (!root) {
		add_problem(r, XMLSVC_P_XML_MALFORMED);
	} else if (doc->intSubset) {
		add_problem(r, XMLSVC_P_XML_DTD);
	} else if (strcmp((const char *)root->name, "CiscoIPPhoneExecute") != 0) {
		r->kind = XMLSVC_OTHER_XML;
		add_problem(r, XMLSVC_P_NOT_EXECUTE);
	} else {
		r->kind = XMLSVC_EXECUTE;
		rc = check_execute(root, r);
	}
	x->free_doc(doc);
	if (!kept)
		x->free_parser_ctxt(ctxt);
	return rc;
}

/*
 * The last bodies checked on this thread and their reports: a controller
 * pushes the same body to many phones, and a capture holds each push and its
 * retry, so most checks repeat one before them byte for byte. The check is a
 * function of the bytes alone, so a hit is exact (compared whole, not by hash).
 */
#define CHECK_CACHE 16u

/*
 * A parser context is kept per thread too (libxml2 resets it for each
 * document, and making one is a dozen allocations): for bodies up to
 * CTXT_KEEP_BODY bytes, and made anew every CTXT_KEEP_USES documents, so that
 * the names its dictionary gathers stay few (at most about 1 MiB).
 */
#define CTXT_KEEP_BODY 4096u
#define CTXT_KEEP_USES 256u

struct check_cache {
	struct {
		uint64_t hash;
		uint8_t *body; /* NULL: empty slot */
		size_t len;
		struct xmlsvc_report rep;
	} e[CHECK_CACHE];
	unsigned next;
	xmlParserCtxtPtr ctxt; /* NULL: none kept yet */
	unsigned ctxt_uses;
};

static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static pthread_key_t cache_key;
static bool cache_key_ok;
static _Thread_local struct check_cache *cache;

static void cache_free(void *p)
{
	struct check_cache *c = p;
	if (c->ctxt)
		xmlrt()->free_parser_ctxt(c->ctxt);
	for (unsigned i = 0; i < CHECK_CACHE; i++)
		free(c->e[i].body);
	free(c);
	cache = NULL;
}

static void cache_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_free) == 0;
}

/* This thread's cache, NULL when it cannot be had (then nothing is cached). */
static struct check_cache *thread_cache(void)
{
	if (cache)
		return cache;
	pthread_once(&cache_once, cache_init);
	if (!cache_key_ok || !(cache = calloc(1, sizeof *cache)))
		return NULL;
	if (pthread_setspecific(cache_key, cache) != 0) {
		free(cache);
		cache = NULL;
	}
	return cache;
}

static int check_body(const uint8_t *buf, size_t len, struct xmlsvc_report *out);

/* Where this thread keeps its parser context for a body of len bytes (the
 * slot may hold NULL: none yet), or NULL: a context of its own, freed after. */
static xmlParserCtxtPtr *thread_ctxt(size_t len)
{
	struct check_cache *c = len <= CTXT_KEEP_BODY ? thread_cache() : NULL;
	if (!c)
		return NULL;
	if (c->ctxt && ++c->ctxt_uses > CTXT_KEEP_USES) {
		xmlrt()->free_parser_ctxt(c->ctxt);
		c->ctxt = NULL;
	}
	if (!c->ctxt)
		c->ctxt_uses = 1;
	return &c->ctxt;
}

/* The bytes of a report that mean something: strings up to their NUL, items up to n_items. */
static void report_copy(struct xmlsvc_report *dst, const struct xmlsvc_report *src)
{
	dst->kind = src->kind;
	dst->problems = src->problems;
	dst->first = src->first;
	dst->trailing_crlf = src->trailing_crlf;
	dst->n_items = src->n_items;
	size_t n = strnlen(src->url, XMLSVC_MAX_URL);
	memcpy(dst->url, src->url, n);
	dst->url[n] = '\0';
	for (size_t i = 0; i < XS_MIN(src->n_items, (size_t)XMLSVC_KEEP_ITEMS); i++) {
		const struct xmlsvc_item *a = &src->items[i];
		struct xmlsvc_item *b = &dst->items[i];
		b->priority = a->priority;
		b->has_priority = a->has_priority;
		n = strnlen(a->url, XMLSVC_MAX_URL);
		memcpy(b->url, a->url, n);
		b->url[n] = '\0';
	}
}

void xmlsvc_report_init(struct xmlsvc_report *r)
{
	static const struct xmlsvc_report none; /* as zeroed: XMLSVC_EMPTY, XMLSVC_OK */
	report_copy(r, &none);
}

int xmlsvc_check(const uint8_t *buf, size_t len, struct xmlsvc_report *out)
{
	if (!out || (!buf && len))
		return -EINVAL;
	if (len > XMLSVC_MAX_BODY)
		return -E2BIG;
	struct check_cache *c = thread_cache();
	uint64_t h = c ? xs_hash32(buf, len) : 0; /* a first filter: a hit is compared whole */
	for (unsigned i = 0; c && i < CHECK_CACHE; i++)
		if (c->e[i].body && c->e[i].hash == h && c->e[i].len == len &&
		    (!len || !memcmp(c->e[i].body, buf, len))) {
			report_copy(out, &c->e[i].rep);
			return 0;
		}
	int rc = check_body(buf, len, out);
	if (rc < 0 || !c)
		return rc;
	unsigned slot = c->next++ % CHECK_CACHE;
	uint8_t *copy = malloc(len ? len : 1);
	free(c->e[slot].body);
	c->e[slot].body = copy;
	if (copy) {
		if (len)
			memcpy(copy, buf, len);
		c->e[slot].hash = h;
		c->e[slot].len = len;
		report_copy(&c->e[slot].rep, out);
	}
	return rc;
}

/* Into *out directly: the report is 18 KB, of which a check writes a few hundred bytes. */
static int check_body(const uint8_t *buf, size_t len, struct xmlsvc_report *out)
{
	xmlsvc_report_init(out);
	out->kind = xmlsvc_classify(buf, len);
	switch (out->kind) {
	case XMLSVC_EMPTY:
		add_problem(out, XMLSVC_P_EMPTY);
		return 0;
	case XMLSVC_URL:
		check_url(buf, len, out);
		return 0;
	case XMLSVC_EXECUTE:
	case XMLSVC_OTHER_XML:
		return check_xml(buf, len, out);
	default:
		add_problem(out, XMLSVC_P_NOT_SERVICE);
		return 0;
	}
}

/* libcurl's normalised form of u (caller frees with cu->free), NULL when unparsable. */
static char *url_normalised(const struct curlrt *cu, const char *u)
{
	CURLU *h = cu->url();
	char *out = NULL;
	if (!h)
		return NULL;
	if (cu->url_set(h, CURLUPART_URL, u, 0) == CURLUE_OK) {
		char *host = NULL;
		if (cu->url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
			for (char *p = host; *p; p++)
				if (*p >= 'A' && *p <= 'Z')
					*p = (char)(*p + 32);
			cu->url_set(h, CURLUPART_HOST, host, 0);
		}
		cu->free(host);
		if (cu->url_get(h, CURLUPART_URL, &out, CURLU_NO_DEFAULT_PORT) != CURLUE_OK)
			out = NULL;
	}
	cu->url_cleanup(h);
	return out;
}

bool xmlsvc_url_equal(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	if (!strcmp(a, b))
		return true;
	const struct curlrt *cu = curlrt();
	char *na = url_normalised(cu, a), *nb = url_normalised(cu, b);
	bool eq = na && nb && !strcmp(na, nb);
	cu->free(na);
	cu->free(nb);
	return eq;
}
