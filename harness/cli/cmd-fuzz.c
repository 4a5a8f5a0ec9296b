/* SPDX-License-Identifier: MIT */
/* cmd-fuzz.c — xscert fuzz: mutated XML-Service NOTIFYs sent past the 401, liveness probes, replay. */
/*
 * Each case is one NOTIFY whose header values, structure or body are mutated
 * (deterministically from --seed and the case number). It is sent without
 * credentials; when the phone challenges, the same request is resent (CSeq + 1,
 * RFC 3261 §22.2) with an Authorization computed for it (digest_answer), so
 * the mutation reaches what the phone does *after* authentication. After each
 * case an OPTIONS probe checks the phone still answers; when it does not, the
 * case and the few before it are written to --out, byte for byte, and
 * `xscert fuzz --replay DIR` sends them again to reproduce.
 *
 * Saved case files (DIR/manifest lists them in order):
 *   case-NNNNNN.sip        the first request, exactly as sent (no credentials)
 *   case-NNNNNN.retry.sip  the retry before credentials are added (CSeq + 1)
 *   case-NNNNNN.sent.sip   the retry exactly as sent, Authorization included
 * The Authorization header goes right after the request line; on replay it is
 * recomputed for the new challenge, everything else is sent as saved.
 */
#include "cli.h"
#include "harness/digest/digest.h"
#include "harness/sip/sipmsg.h"
#include "harness/sip/transport.h"

#include <getopt.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char CMD[] = "fuzz";

#define FZ_MAX_HDRS      160u   /* header lines in one generated NOTIFY */
#define FZ_MAX_CASE      60000u /* largest generated request (fits a UDP datagram) */
#define FZ_KEEP_DEFAULT  4u     /* cases saved with the one that stopped the phone */
#define FZ_KEEP_MAX      32u
#define FZ_MAX_CASES     1000000u
#define FZ_PROBE_TRIES   3

/* ---- deterministic PRNG (splitmix64): same seed, same cases ---- */

struct fz_rng {
	uint64_t s;
};

static uint64_t rng_next(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned rng_below(struct fz_rng *r, unsigned n)
{
	return n ? (unsigned)(rng_next(r) % n) : 0;
}

static const char *rng_pick(struct fz_rng *r, const char *const *v, size_t n)
{
	return v[rng_below(r, (unsigned)n)];
}
#define RNG_PICK(r, tab) rng_pick((r), (tab), XS_ARRAY_SIZE(tab))

/* ---- a generated NOTIFY: header lines and body, rendered per send ---- */

/* VIA, CSEQ, TO and an automatic CLEN are written at render time (they vary per send). */
enum fz_hdr_kind { FZ_H_PLAIN = 0, FZ_H_VIA, FZ_H_CSEQ, FZ_H_TO, FZ_H_CLEN, FZ_H_RAWLINE };

struct fz_hdr {
	enum fz_hdr_kind kind;
	char name[32];
	struct xs_buf val;   /* the value, or the whole line for FZ_H_RAWLINE */
	char sep[8];         /* between name and value: ": " unless mutated */
};

struct fz_msg {
	struct fz_hdr h[FZ_MAX_HDRS];
	size_t n;
	struct xs_buf body;
	const char *eol;     /* "\r\n", or "\n" when mutated */
	bool clen_auto;      /* Content-Length written from the body's length */
	char branch[24];     /* Via branch stem; the CSeq number is appended */
	char desc[192];      /* the mutations, for the manifest and the console */
};

/* Where requests go and come from, as text for the URIs and Via. */
struct fz_addr {
	char host[64];       /* as in a URI: "127.0.0.1", "[::1]" */
	uint16_t port;
};

static void fz_msg_free(struct fz_msg *m)
{
	for (size_t i = 0; i < m->n; i++)
		xs_buf_reset(&m->h[i].val);
	xs_buf_reset(&m->body);
	m->n = 0;
}

static struct fz_hdr *hdr_add(struct fz_msg *m, enum fz_hdr_kind kind, const char *name,
			      const char *val)
{
	struct fz_hdr *h;

	if (m->n >= FZ_MAX_HDRS)
		return NULL;
	h = &m->h[m->n++];
	memset(h, 0, sizeof *h);
	h->kind = kind;
	snprintf(h->name, sizeof h->name, "%s", name);
	snprintf(h->sep, sizeof h->sep, ": ");
	xs_buf_puts(&h->val, val);
	return h;
}

static void desc_add(struct fz_msg *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void desc_add(struct fz_msg *m, const char *fmt, ...)
{
	size_t used = strlen(m->desc);
	va_list ap;

	if (used && used + 2 < sizeof m->desc) {
		memcpy(m->desc + used, "; ", 3);
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(m->desc + used, sizeof m->desc - used, fmt, ap);
	va_end(ap);
}

/* Headers a mutation may touch: the dance needs Via, From, To, Call-ID and CSeq intact. */
static const char *const fz_mutable[] = {
	"Event", "Content-Type", "Content-Length", "Max-Forwards", "Contact",
	"Subscription-State", "User-Agent", "Accept", "Expires", "Allow", "Supported",
};

static const char *const fz_values[] = {
	"", " ", "\t", ";", ";;;;;;;;", ",,,,", "<", ">", "<<<<>>>>", "\"", "\"unterminated",
	"\\", "\\\"", "%s%s%s%s%n%n", "%x%x%x%x", "-1", "0", "4294967295", "4294967296",
	"18446744073709551616", "-2147483649", "99999999999999999999", "0x7fffffff", "1e9999",
	"NaN", "xml-service", "XML-Service", "xml-service;id=1;id=2", "resync", "reboot_now",
	"restart_now", "check-sync", "application/xml", "text/plain", "text/xml;charset=utf-16",
	"multipart/mixed;boundary=xs", "*/*", "\xc3\x28", "\xff\xfe\xfd", "\xef\xbb\xbf", "\x7f",
	"sip:", "sip:@", "<sip:a@[::1>", "<sip:xs@127.0.0.1>;tag=", "terminated;reason=timeout",
	"active;expires=-1", "Digest", "../../../../etc/passwd", "http://", "${jndi:x}",
	"a\rb", "a\nb", "=?utf-8?q?x?=",
};

static const char *const fz_urls[] = {
	"http://127.0.0.1/xs/service.xml", "https://127.0.0.1/xs", "http://[::1]:8080/x",
	"http://127.0.0.1:99999/x", "http://user:pass@127.0.0.1/x", "file:///etc/passwd",
	"javascript:alert(1)", "ftp://127.0.0.1/x", "127.0.0.1/no-scheme", "http://",
	"http:///x", "http://127.0.0.1/a b c", "http://127.0.0.1/%00%ff%2e%2e/",
	"http://127.0.0.1/x?a=1&b=2#frag", "HTTP://127.0.0.1/UPPER", "http://0x7f.1/x",
	"Key:Headset", "RTPRx:Stop", "Play:ring.raw", "Dial:159",
};

static const char *const fz_priorities[] = { "0", "1", "2", "3", "-1", "99", "x", "", "0 ", "02" };

/* A value from the table or a long run of one character. */
static void gen_value(struct fz_rng *r, struct xs_buf *out, char *what, size_t what_size)
{
	static const unsigned lens[] = { 128, 1024, 4096, 16000 };

	xs_buf_reset(out);
	if (rng_below(r, 4) == 0) {
		unsigned len = lens[rng_below(r, XS_ARRAY_SIZE(lens))];
		char c = "A%<\";,x9 "[rng_below(r, 9)];
		for (unsigned i = 0; i < len; i++)
			xs_buf_append(out, &c, 1);
		snprintf(what, what_size, "long(%u)", len);
		return;
	}
	unsigned i = rng_below(r, (unsigned)XS_ARRAY_SIZE(fz_values));
	xs_buf_puts(out, fz_values[i]);
	snprintf(what, what_size, "value#%u", i);
}

static struct fz_hdr *find_hdr(struct fz_msg *m, const char *name)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcasecmp(m->h[i].name, name) && m->h[i].kind != FZ_H_RAWLINE)
			return &m->h[i];
	return NULL;
}

/* A mutable header (added when the message lacks it). */
static struct fz_hdr *pick_mutable(struct fz_rng *r, struct fz_msg *m)
{
	const char *name = RNG_PICK(r, fz_mutable);
	struct fz_hdr *h = find_hdr(m, name);

	return h ? h : hdr_add(m, FZ_H_PLAIN, name, "");
}

static void mutate_value(struct fz_rng *r, struct fz_msg *m)
{
	struct fz_hdr *h = pick_mutable(r, m);
	char what[32];

	if (!h)
		return;
	if (h->kind == FZ_H_CLEN) {
		h->kind = FZ_H_PLAIN;
		m->clen_auto = false;
	}
	gen_value(r, &h->val, what, sizeof what);
	desc_add(m, "value %s=%s", h->name, what);
}

enum fz_struct {
	FZ_S_DUP, FZ_S_DROP, FZ_S_COMPACT, FZ_S_LOWER, FZ_S_FOLD, FZ_S_SPACE_COLON,
	FZ_S_LF_ONLY, FZ_S_MANY, FZ_S_NO_COLON, FZ_S_CL_MORE, FZ_S_CL_LESS, FZ_S_CL_TWICE,
	FZ_S_COUNT
};
static const char *const fz_struct_names[FZ_S_COUNT] = {
	"duplicate", "drop", "compact", "lower-case", "fold", "space-colon", "lf-only",
	"many-headers", "no-colon", "length+", "length-", "length-twice",
};

static const struct {
	const char *name, *compact;
} fz_compact[] = {
	{ "Event", "o" }, { "Content-Type", "c" }, { "Content-Length", "l" },
	{ "Contact", "m" }, { "Supported", "k" }, { "Subject", "s" },
};

static void set_clen(struct fz_msg *m, long delta, bool twice)
{
	struct fz_hdr *h = find_hdr(m, "Content-Length");
	char v[32];

	if (!h)
		return;
	snprintf(v, sizeof v, "%ld", (long)m->body.len + delta);
	m->clen_auto = false;
	h->kind = FZ_H_PLAIN;
	xs_buf_reset(&h->val);
	xs_buf_puts(&h->val, v);
	if (twice) {
		snprintf(v, sizeof v, "%zu", m->body.len + 1);
		hdr_add(m, FZ_H_PLAIN, "Content-Length", v);
	}
}

static void mutate_struct(struct fz_rng *r, struct fz_msg *m)
{
	enum fz_struct s = (enum fz_struct)rng_below(r, FZ_S_COUNT);
	struct fz_hdr *h = pick_mutable(r, m);

	if (!h)
		return;
	switch (s) {
	case FZ_S_DUP: {
		struct fz_hdr *d = hdr_add(m, h->kind == FZ_H_CLEN ? FZ_H_PLAIN : h->kind, h->name, "");
		if (d)
			xs_buf_append(&d->val, h->val.p, h->val.len);
		break;
	}
	case FZ_S_DROP:
		h->kind = FZ_H_RAWLINE;
		xs_buf_reset(&h->val);
		if (!strcasecmp(h->name, "Content-Length"))
			m->clen_auto = false;
		break;
	case FZ_S_COMPACT:
		for (size_t i = 0; i < XS_ARRAY_SIZE(fz_compact); i++)
			if (!strcasecmp(h->name, fz_compact[i].name))
				snprintf(h->name, sizeof h->name, "%s", fz_compact[i].compact);
		break;
	case FZ_S_LOWER:
		for (char *p = h->name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		break;
	case FZ_S_FOLD: {
		/* RFC 3261 §7.3.1: a value may continue on a line starting with white space */
		struct xs_buf v = { 0 };
		xs_buf_append(&v, h->val.p, h->val.len / 2);
		xs_buf_printf(&v, "%s%s", m->eol, rng_below(r, 2) ? "\t" : "   ");
		xs_buf_append(&v, h->val.p + h->val.len / 2, h->val.len - h->val.len / 2);
		xs_buf_reset(&h->val);
		h->val = v;
		if (h->kind == FZ_H_CLEN) {
			h->kind = FZ_H_PLAIN;
			m->clen_auto = false;
		}
		break;
	}
	case FZ_S_SPACE_COLON:
		snprintf(h->sep, sizeof h->sep, "%s", rng_below(r, 2) ? " \t: " : ":");
		break;
	case FZ_S_LF_ONLY:
		m->eol = "\n";
		break;
	case FZ_S_MANY: {
		unsigned n = 20 + rng_below(r, 120);
		for (unsigned i = 0; i < n; i++) {
			char name[32];
			snprintf(name, sizeof name, "X-Fuzz-%u", i);
			hdr_add(m, FZ_H_PLAIN, name, "x");
		}
		break;
	}
	case FZ_S_NO_COLON: {
		struct fz_hdr *raw = hdr_add(m, FZ_H_RAWLINE, "", "");
		if (raw)
			xs_buf_printf(&raw->val, "%s just-a-line-without-colon", h->name);
		break;
	}
	case FZ_S_CL_MORE:
		set_clen(m, 1 + (long)rng_below(r, 100), false);
		break;
	case FZ_S_CL_LESS:
		set_clen(m, -1 - (long)rng_below(r, 4), false);
		break;
	case FZ_S_CL_TWICE:
		set_clen(m, 0, true);
		break;
	case FZ_S_COUNT:
		break;
	}
	desc_add(m, "struct %s %s", fz_struct_names[s],
		 s >= FZ_S_CL_MORE ? "Content-Length" : s == FZ_S_LF_ONLY ? "all" : h->name);
}

enum fz_body {
	FZ_B_URL, FZ_B_URL_CRLF, FZ_B_URL_LF, FZ_B_URL_LONG, FZ_B_URL_TWO,
	FZ_B_XML_ITEMS, FZ_B_XML_NO_URL, FZ_B_XML_DEEP, FZ_B_XML_ENTITY, FZ_B_XML_CUT,
	FZ_B_XML_CDATA, FZ_B_XML_ATTR_LONG, FZ_B_XML_OTHER_ROOT,
	FZ_B_FLIP, FZ_B_NUL, FZ_B_CUT, FZ_B_EMPTY, FZ_B_TWICE, FZ_B_COUNT
};
static const char *const fz_body_names[FZ_B_COUNT] = {
	"url", "url-crlf", "url-lf", "url-long", "url-two", "xml-items", "xml-no-url", "xml-deep",
	"xml-entity", "xml-cut", "xml-cdata", "xml-attr-long", "xml-other-root", "flip-bytes",
	"nul-byte", "cut", "empty", "twice",
};

/* A CiscoIPPhoneExecute document with n items (DESIGN.md §1: 1..3 valid). */
static void xml_execute(struct fz_rng *r, struct xs_buf *b, unsigned n, bool with_url)
{
	xs_buf_puts(b, "<CiscoIPPhoneExecute>");
	for (unsigned i = 0; i < n; i++) {
		xs_buf_printf(b, "<ExecuteItem Priority=\"%s\"", RNG_PICK(r, fz_priorities));
		if (with_url)
			xs_buf_printf(b, " URL=\"%s\"", RNG_PICK(r, fz_urls));
		xs_buf_puts(b, "/>");
	}
	xs_buf_puts(b, "</CiscoIPPhoneExecute>");
}

static void body_repeat(struct xs_buf *b, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		xs_buf_puts(b, s);
}

static void mutate_body(struct fz_rng *r, struct fz_msg *m)
{
	enum fz_body k = (enum fz_body)rng_below(r, FZ_B_COUNT);
	struct xs_buf *b = &m->body;
	unsigned n;

	if (k < FZ_B_FLIP)
		xs_buf_reset(b);
	switch (k) {
	case FZ_B_URL:
		xs_buf_puts(b, RNG_PICK(r, fz_urls));
		break;
	case FZ_B_URL_CRLF:
	case FZ_B_URL_LF:
		xs_buf_printf(b, "%s%s", RNG_PICK(r, fz_urls), k == FZ_B_URL_CRLF ? "\r\n" : "\n");
		break;
	case FZ_B_URL_LONG:
		xs_buf_puts(b, "http://127.0.0.1/");
		body_repeat(b, "a", 256u << rng_below(r, 7));
		break;
	case FZ_B_URL_TWO:
		xs_buf_printf(b, "%s\r\n%s", RNG_PICK(r, fz_urls), RNG_PICK(r, fz_urls));
		break;
	case FZ_B_XML_ITEMS:
	case FZ_B_XML_NO_URL:
		xml_execute(r, b, rng_below(r, 13), k == FZ_B_XML_ITEMS);
		break;
	case FZ_B_XML_DEEP:
		n = 16u << rng_below(r, 8);
		body_repeat(b, "<CiscoIPPhoneExecute>", n);
		body_repeat(b, "</CiscoIPPhoneExecute>", rng_below(r, 2) ? n : n / 2);
		break;
	case FZ_B_XML_ENTITY:
		/* a small "billion laughs": an XML-Service body must not expand entities */
		xs_buf_puts(b, "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY a \"aaaaaaaaaa\">");
		xs_buf_puts(b, "<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">");
		xs_buf_puts(b, "<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]>");
		xs_buf_puts(b, "<CiscoIPPhoneExecute><ExecuteItem URL=\"http://127.0.0.1/&c;\"/>"
			       "</CiscoIPPhoneExecute>");
		break;
	case FZ_B_XML_CUT:
		xml_execute(r, b, 1 + rng_below(r, 3), true);
		b->len = rng_below(r, (unsigned)b->len);
		break;
	case FZ_B_XML_CDATA:
		xs_buf_printf(b, "<CiscoIPPhoneExecute><![CDATA[<ExecuteItem URL=\"%s\"/>]]>"
			      "<!-- -- --></CiscoIPPhoneExecute>", RNG_PICK(r, fz_urls));
		break;
	case FZ_B_XML_ATTR_LONG:
		xs_buf_puts(b, "<CiscoIPPhoneExecute><ExecuteItem Priority=\"0\" URL=\"http://127.0.0.1/");
		body_repeat(b, "%41", 100u << rng_below(r, 6));
		xs_buf_puts(b, "\"/></CiscoIPPhoneExecute>");
		break;
	case FZ_B_XML_OTHER_ROOT:
		xs_buf_printf(b, "<CiscoIPPhoneText><Text>%s</Text></CiscoIPPhoneText>",
			      RNG_PICK(r, fz_values));
		break;
	case FZ_B_FLIP:
		n = 1 + rng_below(r, 8);
		for (unsigned i = 0; i < n && b->len; i++)
			b->p[rng_below(r, (unsigned)b->len)] ^= (uint8_t)(1u << rng_below(r, 8));
		break;
	case FZ_B_NUL:
		if (b->len)
			b->p[rng_below(r, (unsigned)b->len)] = 0;
		break;
	case FZ_B_CUT:
		b->len = rng_below(r, (unsigned)b->len + 1);
		break;
	case FZ_B_EMPTY:
		b->len = 0;
		break;
	case FZ_B_TWICE: {
		struct xs_buf copy = { 0 };
		xs_buf_append(&copy, b->p, b->len);
		xs_buf_append(b, copy.p, copy.len);
		xs_buf_reset(&copy);
		break;
	}
	case FZ_B_COUNT:
		break;
	}
	desc_add(m, "body %s", fz_body_names[k]);
}

/* The case's NOTIFY before mutation: what a well-behaved controller sends. */
static void base_notify(struct fz_rng *r, struct fz_msg *m, const char *user,
			const struct fz_addr *local, unsigned idx)
{
	char v[160];

	m->eol = "\r\n";
	m->clen_auto = true;
	hdr_add(m, FZ_H_VIA, "Via", "");
	hdr_add(m, FZ_H_PLAIN, "Max-Forwards", "70");
	snprintf(v, sizeof v, "<sip:xscert-fuzz@%s:%u>;tag=fz%08x", local->host, local->port,
		 (unsigned)rng_next(r));
	hdr_add(m, FZ_H_PLAIN, "From", v);
	hdr_add(m, FZ_H_TO, "To", user);
	snprintf(m->branch, sizeof m->branch, "fz%08x", (unsigned)rng_next(r));
	snprintf(v, sizeof v, "fz%u-%016llx@xscert", idx, (unsigned long long)rng_next(r));
	hdr_add(m, FZ_H_PLAIN, "Call-ID", v);
	hdr_add(m, FZ_H_CSEQ, "CSeq", "");
	snprintf(v, sizeof v, "<sip:xscert-fuzz@%s:%u>", local->host, local->port);
	hdr_add(m, FZ_H_PLAIN, "Contact", v);
	hdr_add(m, FZ_H_PLAIN, "Event", "xml-service");
	hdr_add(m, FZ_H_PLAIN, "Subscription-State", "terminated;reason=timeout");
	if (rng_below(r, 2)) {
		hdr_add(m, FZ_H_PLAIN, "Content-Type", "text/plain");
		xs_buf_puts(&m->body, "http://127.0.0.1/xs/service.xml");
	} else {
		hdr_add(m, FZ_H_PLAIN, "Content-Type", "application/xml");
		xml_execute(r, &m->body, 1, true);
	}
	hdr_add(m, FZ_H_CLEN, "Content-Length", "");
}

/* Case idx of the run seeded with seed: independent of every other case. */
static void gen_case(uint64_t seed, unsigned idx, const char *user, const struct fz_addr *local,
		     struct fz_msg *m)
{
	struct fz_rng r = { seed ^ (0xd1b54a32d192ed03ull * (idx + 1ull)) };
	unsigned n;

	memset(m, 0, sizeof *m);
	rng_next(&r);
	base_notify(&r, m, user, local, idx);
	n = 1 + rng_below(&r, 3);
	for (unsigned i = 0; i < n; i++) {
		switch (rng_below(&r, 3)) {
		case 0:
			mutate_value(&r, m);
			break;
		case 1:
			mutate_struct(&r, m);
			break;
		default:
			mutate_body(&r, m);
			break;
		}
	}
}

/* Render the request: CSeq cseq, Via branch derived from it. */
static int render(const struct fz_msg *m, const char *ruri, const char *target_host,
		  const struct fz_addr *local, const char *tp, uint32_t cseq, struct xs_buf *out)
{
	xs_buf_reset(out);
	xs_buf_printf(out, "NOTIFY %s SIP/2.0%s", ruri, m->eol);
	for (size_t i = 0; i < m->n; i++) {
		const struct fz_hdr *h = &m->h[i];
		switch (h->kind) {
		case FZ_H_VIA:
			xs_buf_printf(out, "Via: SIP/2.0/%s %s:%u;branch=z9hG4bK%s.%u;rport%s", tp,
				      local->host, local->port, m->branch, cseq, m->eol);
			break;
		case FZ_H_TO:
			xs_buf_printf(out, "To: <sip:%.*s@%s>%s", (int)h->val.len,
				      (const char *)h->val.p, target_host, m->eol);
			break;
		case FZ_H_CSEQ:
			xs_buf_printf(out, "CSeq: %u NOTIFY%s", cseq, m->eol);
			break;
		case FZ_H_CLEN:
			xs_buf_printf(out, "%s%s%zu%s", h->name, h->sep, m->body.len, m->eol);
			break;
		case FZ_H_RAWLINE:
			if (h->val.len) {
				xs_buf_append(out, h->val.p, h->val.len);
				xs_buf_puts(out, m->eol);
			}
			break;
		case FZ_H_PLAIN:
			xs_buf_printf(out, "%s%s", h->name, h->sep);
			xs_buf_append(out, h->val.p, h->val.len);
			xs_buf_puts(out, m->eol);
			break;
		}
	}
	xs_buf_puts(out, m->eol);
	xs_buf_append(out, m->body.p, m->body.len);
	if (out->oom)
		return -ENOMEM;
	return out->len > FZ_MAX_CASE ? -E2BIG : 0;
}

/* ---- the wire: one socket to the target, responses matched by Call-ID and CSeq ---- */

struct fz_net {
	enum xs_transport tp;
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;               /* UDP: for the whole run; TCP: per exchange */
	struct fz_addr local;
	uint8_t *rx;          /* TCP receive buffer */
	size_t rx_len;
	int timeout_ms;
};

static void net_close(struct fz_net *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->rx_len = 0;
}

/* Connect (TCP) or associate (UDP) a fresh socket; learn the local address. */
static int net_open(struct fz_net *n)
{
	struct sockaddr_storage ls;
	socklen_t llen = sizeof ls;
	struct timeval tv = { n->timeout_ms / 1000, (n->timeout_ms % 1000) * 1000 };
	char host[INET6_ADDRSTRLEN];

	net_close(n);
	n->fd = socket(n->sa.ss_family, (n->tp == XS_TP_TCP ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	if (n->fd < 0)
		return -errno;
	setsockopt(n->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(n->fd, (struct sockaddr *)&n->sa, n->salen) < 0 ||
	    getsockname(n->fd, (struct sockaddr *)&ls, &llen) < 0 ||
	    getnameinfo((struct sockaddr *)&ls, llen, host, sizeof host, NULL, 0, NI_NUMERICHOST)) {
		int e = errno ? -errno : -EIO;
		net_close(n);
		return e;
	}
	snprintf(n->local.host, sizeof n->local.host, ls.ss_family == AF_INET6 ? "[%s]" : "%s", host);
	n->local.port = ntohs(ls.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ls)->sin6_port
						     : ((struct sockaddr_in *)&ls)->sin_port);
	return 0;
}

static int net_send(struct fz_net *n, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = send(n->fd, p, len, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EINTR ? 0 : -errno;
		if (n->tp == XS_TP_UDP)
			return 0;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One message from the socket before deadline: 1 and *ret, 0 on timeout, -errno. */
static int net_recv(struct fz_net *n, int64_t deadline, struct sip_msg **ret)
{
	for (;;) {
		size_t skip = 0, mlen = 0;
		int left = (int)(deadline - now_ms()), rc;
		struct pollfd pfd = { n->fd, POLLIN, 0 };
		ssize_t got;

		if (n->tp == XS_TP_TCP && n->rx_len) {
			rc = sip_frame(n->rx, n->rx_len, &skip, &mlen);
			if (rc < 0)
				return rc;
			if (rc == 1) {
				rc = sip_msg_parse(ret, n->rx + skip, mlen);
				memmove(n->rx, n->rx + skip + mlen, n->rx_len - skip - mlen);
				n->rx_len -= skip + mlen;
				if (rc == 0)
					return 1;
				continue;
			}
		}
		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, left);
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc <= 0)
			continue;
		if (n->tp == XS_TP_UDP) {
			uint8_t buf[SIP_TP_UDP_MAX];
			got = recv(n->fd, buf, sizeof buf, 0);
			if (got < 0)
				return errno == EINTR ? 0 : -errno; /* ECONNREFUSED: nobody listens */
			if (sip_msg_parse(ret, buf, (size_t)got) == 0)
				return 1;
			continue;
		}
		if (n->rx_len >= SIP_TP_CONN_BUF)
			return -E2BIG;
		got = recv(n->fd, n->rx + n->rx_len, SIP_TP_CONN_BUF - n->rx_len, 0);
		if (got <= 0)
			return got == 0 ? -ECONNRESET : -errno;
		n->rx_len += (size_t)got;
	}
}

/*
 * Wait for the final response to the request (call_id, cseq): 1 and *ret,
 * 0 when none came in time, -errno when the connection failed.
 */
static int await_final(struct fz_net *n, const char *call_id, uint32_t cseq, struct sip_msg **ret)
{
	int64_t deadline = now_ms() + n->timeout_ms;

	for (;;) {
		struct sip_msg *m = NULL;
		int rc = net_recv(n, deadline, &m);
		if (rc <= 0)
			return rc;
		if (!m->is_request && m->status >= 200 && m->cseq == cseq &&
		    xs_span_eq_str(m->call_id, call_id)) {
			*ret = m;
			return 1;
		}
		sip_msg_free(m);
	}
}

/* ---- one case: the 401 dance ---- */

enum fz_outcome {
	FZ_O_SILENT = 0,     /* no answer to the first request */
	FZ_O_UNCHALLENGED,   /* answered without a challenge (a final response other than 401/407) */
	FZ_O_BAD_CHALLENGE,  /* a 401 whose challenge we could not answer */
	FZ_O_RETRY_SILENT,   /* challenged, no answer to the authenticated retry */
	FZ_O_ACCEPTED,       /* 2xx to the authenticated retry */
	FZ_O_REJECTED,       /* another final answer to the retry */
	FZ_O_COUNT
};
static const char *const fz_outcome_names[FZ_O_COUNT] = {
	"no answer", "answered without challenge", "unusable challenge",
	"no answer after auth", "accepted after auth", "rejected after auth",
};

/* What a case sends, kept for saving: exact bytes. */
struct fz_sent {
	unsigned idx;
	char desc[192];
	struct xs_buf first, retry, sent;
};

struct fz_ctx {
	const char *user;
	char *password;
	char ruri[400];
	char target_host[300];  /* host:port as in the Request-URI */
	const char *tp_name;    /* "UDP" / "TCP" for Via */
	struct fz_net net;
	unsigned nc;
	uint64_t seed;
	unsigned counts[FZ_O_COUNT];
};

/* The Call-ID of a rendered request (its value, up to the line end). */
static void call_id_of(const struct xs_buf *req, char *out, size_t size)
{
	const char *p = memmem(req->p, req->len, "\nCall-ID: ", 10);
	size_t i = 0;

	out[0] = '\0';
	if (!p)
		return;
	p += 10;
	while (p < (const char *)req->p + req->len && *p != '\r' && *p != '\n' && i + 1 < size)
		out[i++] = *p++;
	out[i] = '\0';
}

/* CSeq number of a rendered request (first "CSeq: N"). */
static uint32_t cseq_of(const struct xs_buf *req)
{
	const char *p = memmem(req->p, req->len, "\nCSeq: ", 7);
	return p ? (uint32_t)strtoul(p + 7, NULL, 10) : 0;
}

/* Insert "Authorization: <creds>" after the request line of retry into sent. */
static int authorize(struct fz_ctx *c, const struct sip_msg *chal, const struct xs_buf *retry,
		     struct xs_buf *sent)
{
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	struct digest_credentials cr;
	struct xs_buf val = { 0 };
	size_t n = 0;
	char cnonce[17];
	const uint8_t *eol;
	int pick, rc;
	const char *name = chal->status == 407 ? "Proxy-Authenticate" : "WWW-Authenticate";

	for (unsigned i = 0; i < DIGEST_MAX_CHALLENGES; i++) {
		struct digest_error err;
		struct xs_span v;
		if (sip_msg_header(chal, name, i, false, &v) < 0)
			break;
		digest_challenge_parse(v.p, v.len, ch, XS_ARRAY_SIZE(ch), &n, &err);
	}
	pick = digest_challenge_pick(ch, n);
	if (pick < 0)
		return -EPROTO;
	/* the body travels as sent: auth-int hashes the bytes after the blank line */
	const uint8_t *sep = memmem(retry->p, retry->len, "\r\n\r\n", 4);
	size_t body_off = sep ? (size_t)(sep - retry->p) + 4 : retry->len;
	if (!sep && (sep = memmem(retry->p, retry->len, "\n\n", 2)))
		body_off = (size_t)(sep - retry->p) + 2;
	snprintf(cnonce, sizeof cnonce, "%016llx", (unsigned long long)(c->seed * 31u + ++c->nc));
	/* digest-uri: the Request-URI as sent (a replayed case keeps its own) */
	char uri[DIGEST_MAX_URI];
	const uint8_t *sp1 = memchr(retry->p, ' ', retry->len), *sp2 = NULL;
	if (sp1)
		sp2 = memchr(sp1 + 1, ' ', retry->len - (size_t)(sp1 + 1 - retry->p));
	if (sp2 && (size_t)(sp2 - sp1 - 1) < sizeof uri) {
		memcpy(uri, sp1 + 1, (size_t)(sp2 - sp1 - 1));
		uri[sp2 - sp1 - 1] = '\0';
	} else {
		snprintf(uri, sizeof uri, "%s", c->ruri);
	}
	rc = digest_answer(&ch[pick], c->user, c->password, "NOTIFY", uri,
			   xs_span(retry->p + body_off, retry->len - body_off), cnonce, 1, &cr);
	if (rc == 0)
		rc = digest_credentials_format(&cr, &val);
	explicit_bzero(&cr, sizeof cr);
	eol = memchr(retry->p, '\n', retry->len);
	if (rc < 0 || !eol) {
		xs_buf_reset(&val);
		return rc < 0 ? rc : -EINVAL;
	}
	size_t head = (size_t)(eol - retry->p) + 1;
	bool crlf = head >= 2 && retry->p[head - 2] == '\r';
	xs_buf_reset(sent);
	xs_buf_append(sent, retry->p, head);
	xs_buf_printf(sent, "%s: ", chal->status == 407 ? "Proxy-Authorization" : "Authorization");
	xs_buf_append(sent, val.p, val.len);
	xs_buf_puts(sent, crlf ? "\r\n" : "\n");
	xs_buf_append(sent, retry->p + head, retry->len - head);
	xs_buf_reset(&val);
	return sent->oom ? -ENOMEM : 0;
}

/* On the open socket: send first, answer the challenge with retry (+ Authorization, kept in s->sent). */
static enum fz_outcome run_case(struct fz_ctx *c, struct fz_sent *s)
{
	struct sip_msg *resp = NULL;
	char call_id[128];
	enum fz_outcome o;
	int rc;

	call_id_of(&s->first, call_id, sizeof call_id);
	xs_buf_reset(&s->sent);
	if (c->net.fd < 0 || net_send(&c->net, s->first.p, s->first.len) < 0)
		return FZ_O_SILENT;
	rc = await_final(&c->net, call_id, cseq_of(&s->first), &resp);
	if (rc <= 0)
		return FZ_O_SILENT;
	if (resp->status != 401 && resp->status != 407) {
		sip_msg_free(resp);
		return FZ_O_UNCHALLENGED;
	}
	rc = authorize(c, resp, &s->retry, &s->sent);
	resp = sip_msg_free(resp);
	if (rc < 0)
		return FZ_O_BAD_CHALLENGE;
	if (net_send(&c->net, s->sent.p, s->sent.len) < 0)
		return FZ_O_RETRY_SILENT;
	rc = await_final(&c->net, call_id, cseq_of(&s->retry), &resp);
	if (rc <= 0)
		return FZ_O_RETRY_SILENT;
	o = resp->status >= 200 && resp->status < 300 ? FZ_O_ACCEPTED : FZ_O_REJECTED;
	sip_msg_free(resp);
	return o;
}

/* OPTIONS probe (a fresh connection on TCP): true when any final response comes back. */
static bool probe(struct fz_ctx *c, unsigned idx)
{
	for (int t = 0; t < FZ_PROBE_TRIES; t++) {
		struct xs_buf req = { 0 };
		struct sip_msg *resp = NULL;
		char call_id[64];
		int rc;

		if ((c->net.tp == XS_TP_TCP || c->net.fd < 0) && net_open(&c->net) < 0)
			continue;
		snprintf(call_id, sizeof call_id, "probe%u-%d-%llx@xscert", idx, t,
			 (unsigned long long)c->seed);
		xs_buf_printf(&req,
			      "OPTIONS %s SIP/2.0\r\nVia: SIP/2.0/%s %s:%u;branch=z9hG4bKpr%u.%d;rport\r\n"
			      "Max-Forwards: 70\r\nFrom: <sip:xscert-fuzz@%s:%u>;tag=probe%u\r\n"
			      "To: <%s>\r\nCall-ID: %s\r\nCSeq: 1 OPTIONS\r\nAccept: application/sdp\r\n"
			      "Content-Length: 0\r\n\r\n",
			      c->ruri, c->tp_name, c->net.local.host, c->net.local.port, idx, t,
			      c->net.local.host, c->net.local.port, idx, c->ruri, call_id);
		rc = req.oom ? -ENOMEM : net_send(&c->net, req.p, req.len);
		xs_buf_reset(&req);
		if (rc == 0 && await_final(&c->net, call_id, 1, &resp) == 1) {
			sip_msg_free(resp);
			return true;
		}
		if (c->net.tp == XS_TP_UDP)
			net_close(&c->net); /* a fresh port next time: ICMP errors are sticky */
	}
	return false;
}

/* ---- saving and replaying cases ---- */

static int write_file(const char *dir, const char *name, const struct xs_buf *b)
{
	char path[4096];
	FILE *f;
	int rc = 0;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (b->len && fwrite(b->p, 1, b->len, f) != b->len)
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

/* The three files of one case. */
static int save_one(const char *dir, const struct fz_sent *s)
{
	char name[64];
	int rc;

	snprintf(name, sizeof name, "case-%06u.sip", s->idx);
	rc = write_file(dir, name, &s->first);
	snprintf(name, sizeof name, "case-%06u.retry.sip", s->idx);
	if (rc == 0)
		rc = write_file(dir, name, &s->retry);
	snprintf(name, sizeof name, "case-%06u.sent.sip", s->idx);
	if (rc == 0 && s->sent.len)
		rc = write_file(dir, name, &s->sent);
	return rc;
}

static void manifest_head(struct xs_buf *man, const struct fz_ctx *c, const char *target)
{
	xs_buf_printf(man, "xscert-fuzz/1\ntarget %s\ntransport %s\nuser %s\nseed %llu\n", target,
		      c->net.tp == XS_TP_TCP ? "tcp" : "udp", c->user, (unsigned long long)c->seed);
}

/* Write the kept cases (oldest first) and a manifest naming them in order. */
static int save_cases(const char *dir, const struct fz_ctx *c, const char *target,
		      struct fz_sent *const *kept, size_t n)
{
	struct xs_buf man = { 0 };
	int rc = 0;

	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return -errno;
	manifest_head(&man, c, target);
	for (size_t i = 0; i < n && rc == 0; i++) {
		xs_buf_printf(&man, "case %06u %s\n", kept[i]->idx, kept[i]->desc);
		rc = save_one(dir, kept[i]);
	}
	if (rc == 0)
		rc = man.oom ? -ENOMEM : write_file(dir, "manifest", &man);
	xs_buf_reset(&man);
	return rc;
}

static void sent_reset(struct fz_sent *s)
{
	xs_buf_reset(&s->first);
	xs_buf_reset(&s->retry);
	xs_buf_reset(&s->sent);
}

/* A saved case back from DIR: 0, or -errno when its files are unreadable. */
static int load_case(const char *dir, unsigned idx, struct fz_sent *s)
{
	static const char *const fmt[2] = { "%s/case-%06u.sip", "%s/case-%06u.retry.sip" };
	struct xs_buf *dst[2] = { &s->first, &s->retry };

	s->idx = idx;
	for (int i = 0; i < 2; i++) {
		char path[4096];
		unsigned char *buf;
		size_t len;
		int rc;
		snprintf(path, sizeof path, fmt[i], dir, idx);
		rc = cli_read_file(path, &buf, &len);
		if (rc < 0) {
			cli_err(CMD, "%s: %s", path, strerror(-rc));
			return rc;
		}
		rc = xs_buf_append(dst[i], buf, len);
		free(buf);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- options and the two modes ---- */

struct fz_opts {
	const char *target, *transport, *user, *password_file, *password, *out, *replay, *dump;
	unsigned cases, keep;
	uint64_t seed;
	bool seed_given;
	int timeout_ms;
	bool quiet;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: xscert fuzz --target HOST[:PORT] --user USER --password-file FILE [OPTION]...\n"
		"       xscert fuzz --replay DIR [--target HOST[:PORT]] [--password-file FILE]\n"
		"Fuzz a phone's XML-Service NOTIFY handling past the 401: every case is a NOTIFY\n"
		"with mutated header values, structure or body, resent with valid credentials\n"
		"when challenged; an OPTIONS probe after each case checks the phone still answers.\n\n"
		"  -t, --target HOST[:PORT]   the phone (default port 5060); nothing else is contacted\n"
		"      --transport udp|tcp    (default udp)\n"
		"  -u, --user USER            the line's SIP user (also the Request-URI user)\n"
		"      --password-file FILE   the line's password (or XSCERT_PASSWORD; --password\n"
		"                             works but shows in ps)\n"
		"  -n, --cases N              cases to send (default 1000)\n"
		"  -s, --seed S               PRNG seed: the same seed gives the same cases\n"
		"                             (default: from the clock, printed)\n"
		"  -o, --out DIR              where the case that stopped the phone and the ones\n"
		"                             before it are written (default xscert-fuzz-out)\n"
		"      --keep K               cases written with it (default %u, at most %u)\n"
		"      --timeout MS           wait for each answer (default 500)\n"
		"      --replay DIR           send the cases saved in DIR again (target, transport\n"
		"                             and user default to the ones DIR/manifest names)\n"
		"      --dump DIR             write the cases to DIR without sending anything\n"
		"  -q, --quiet                no per-case lines\n"
		"  -h, --help\n\n"
		"Exit status: 0 the phone answered after every case, 1 it stopped answering (the\n"
		"cases are in --out; with --replay: reproduced), 2 usage error, 3 the phone did\n"
		"not answer before the first case or a socket failed.\n",
		FZ_KEEP_DEFAULT, FZ_KEEP_MAX);
}

/* "host", "host:port", "[v6]", "[v6]:port", bare "v6": resolve into c->net and the URIs. */
static int resolve_target(struct fz_ctx *c, const char *target)
{
	char host[256];
	const char *port = "5060", *colon = strrchr(target, ':');
	struct addrinfo hints = { .ai_flags = AI_ADDRCONFIG }, *ai = NULL;
	size_t hl;

	if (target[0] == '[') {
		const char *end = strchr(target, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		hl = (size_t)(end - target - 1);
		if (end[1] == ':')
			port = end + 2;
		target++;
	} else if (colon && strchr(target, ':') == colon) {
		hl = (size_t)(colon - target);
		port = colon + 1;
	} else {
		hl = strlen(target);
	}
	if (hl == 0 || hl >= sizeof host || !*port || strspn(port, "0123456789") != strlen(port) ||
	    atoi(port) < 1 || atoi(port) > 65535)
		return -EINVAL;
	memcpy(host, target, hl);
	host[hl] = '\0';
	hints.ai_socktype = c->net.tp == XS_TP_TCP ? SOCK_STREAM : SOCK_DGRAM;
	if (getaddrinfo(host, port, &hints, &ai) != 0 || !ai)
		return -ENOENT;
	memcpy(&c->net.sa, ai->ai_addr, ai->ai_addrlen);
	c->net.salen = ai->ai_addrlen;
	snprintf(c->target_host, sizeof c->target_host, "%s%s%s:%s", strchr(host, ':') ? "[" : "",
		 host, strchr(host, ':') ? "]" : "", port);
	freeaddrinfo(ai);
	snprintf(c->ruri, sizeof c->ruri, "sip:%s@%s", c->user, c->target_host);
	return 0;
}

static void print_counts(const struct fz_ctx *c, unsigned sent)
{
	const char *sep = ":";
	printf("%u cases sent", sent);
	for (int o = 0; o < FZ_O_COUNT; o++)
		if (c->counts[o]) {
			printf("%s %u %s", sep, c->counts[o], fz_outcome_names[o]);
			sep = ",";
		}
	printf("\n");
}

static void report_case(const struct fz_opts *o, const struct fz_sent *s, enum fz_outcome out)
{
	if (!o->quiet)
		printf("case %u: %s (%s)\n", s->idx, fz_outcome_names[out], s->desc);
}

/* Generate case idx into s (first request and retry template). */
static int make_case(const struct fz_ctx *c, unsigned idx, struct fz_sent *s)
{
	struct fz_msg *m = calloc(1, sizeof *m);
	int rc;

	if (!m)
		return -ENOMEM;
	sent_reset(s);
	gen_case(c->seed, idx, c->user, &c->net.local, m);
	s->idx = idx;
	snprintf(s->desc, sizeof s->desc, "%s", m->desc);
	rc = render(m, c->ruri, c->target_host, &c->net.local, c->tp_name, 2 * idx + 1, &s->first);
	if (rc == 0)
		rc = render(m, c->ruri, c->target_host, &c->net.local, c->tp_name, 2 * idx + 2,
			    &s->retry);
	fz_msg_free(m);
	free(m);
	return rc;
}

static int do_dump(struct fz_ctx *c, const struct fz_opts *o)
{
	struct fz_sent s = { 0 };
	struct xs_buf man = { 0 };
	int rc = 0;

	snprintf(c->net.local.host, sizeof c->net.local.host, "127.0.0.1");
	c->net.local.port = 5060;
	if (mkdir(o->dump, 0755) < 0 && errno != EEXIST) {
		cli_err(CMD, "%s: %s", o->dump, strerror(errno));
		return XS_EXIT_ENV;
	}
	manifest_head(&man, c, c->target_host);
	for (unsigned i = 0; i < o->cases && rc == 0; i++) {
		if (make_case(c, i, &s) < 0)
			continue; /* over the datagram size: skipped, as when fuzzing */
		rc = save_one(o->dump, &s);
		xs_buf_printf(&man, "case %06u %s\n", i, s.desc);
	}
	if (rc == 0)
		rc = write_file(o->dump, "manifest", &man);
	sent_reset(&s);
	xs_buf_reset(&man);
	if (rc < 0) {
		cli_err(CMD, "%s: %s", o->dump, strerror(-rc));
		return XS_EXIT_ENV;
	}
	printf("%u cases written to %s (seed %llu)\n", o->cases, o->dump,
	       (unsigned long long)c->seed);
	return XS_EXIT_OK;
}

static int do_fuzz(struct fz_ctx *c, const struct fz_opts *o)
{
	struct fz_sent ring[FZ_KEEP_MAX];
	unsigned sent = 0;
	int ret = XS_EXIT_OK;

	memset(ring, 0, sizeof ring);
	if (!probe(c, 0)) {
		cli_err(CMD, "%s does not answer OPTIONS before the first case", o->target);
		return XS_EXIT_ENV;
	}
	printf("fuzzing %s over %s, seed %llu, %u cases\n", c->ruri,
	       c->net.tp == XS_TP_TCP ? "tcp" : "udp", (unsigned long long)c->seed, o->cases);
	for (unsigned i = 0; i < o->cases; i++) {
		struct fz_sent *s = &ring[i % o->keep];
		enum fz_outcome out;

		if ((c->net.tp == XS_TP_TCP || c->net.fd < 0) && net_open(&c->net) < 0) {
			cli_err(CMD, "case %u: cannot open a socket to %s", i, o->target);
			ret = XS_EXIT_ENV;
			break;
		}
		if (make_case(c, i, s) < 0)
			continue; /* over the datagram size: skipped, deterministically */
		out = run_case(c, s);
		c->counts[out]++;
		sent++;
		report_case(o, s, out);
		if (probe(c, i + 1))
			continue;
		/* the phone is gone: keep this case and the ones before it */
		struct fz_sent *kept[FZ_KEEP_MAX];
		size_t n = 0;
		for (unsigned k = i + 1 > o->keep ? i + 1 - o->keep : 0; k <= i; k++)
			kept[n++] = &ring[k % o->keep];
		int rc = save_cases(o->out, c, o->target, kept, n);
		printf("case %u: the phone stopped answering (no answer to OPTIONS)\n", i);
		if (rc < 0)
			cli_err(CMD, "%s: cannot save the cases: %s", o->out, strerror(-rc));
		else
			printf("saved %zu case(s) to %s; reproduce with: xscert fuzz --replay %s\n", n,
			       o->out, o->out);
		ret = XS_EXIT_FAIL;
		break;
	}
	print_counts(c, sent);
	for (unsigned k = 0; k < FZ_KEEP_MAX; k++)
		sent_reset(&ring[k]);
	return ret;
}

/* Copy src into dst (size > 0), truncated, NUL-terminated. */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* Read DIR/manifest: fills target/transport/user defaults and the case list. */
static int read_manifest(const char *dir, char *target, size_t tsize, char *tp, size_t tpsize,
			 char *user, size_t usize, unsigned *idx, size_t *n)
{
	char path[4096], line[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/manifest", dir);
	f = fopen(path, "r");
	if (!f) {
		cli_err(CMD, "%s: %s", path, strerror(errno));
		return -errno;
	}
	*n = 0;
	while (fgets(line, sizeof line, f)) {
		unsigned v;
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "target ", 7))
			copy_str(target, tsize, line + 7);
		else if (!strncmp(line, "transport ", 10))
			copy_str(tp, tpsize, line + 10);
		else if (!strncmp(line, "user ", 5))
			copy_str(user, usize, line + 5);
		else if (sscanf(line, "case %6u", &v) == 1 && *n < FZ_KEEP_MAX)
			idx[(*n)++] = v;
	}
	fclose(f);
	if (*n == 0) {
		cli_err(CMD, "%s: names no case", path);
		return -EBADMSG;
	}
	return 0;
}

static int do_replay(struct fz_ctx *c, const struct fz_opts *o, const unsigned *idx, size_t n)
{
	int ret = XS_EXIT_OK;

	if (!probe(c, 0)) {
		cli_err(CMD, "%s does not answer OPTIONS before the replay", o->target);
		return XS_EXIT_ENV;
	}
	for (size_t i = 0; i < n; i++) {
		struct fz_sent s = { 0 };
		enum fz_outcome out;

		if (load_case(o->replay, idx[i], &s) < 0) {
			sent_reset(&s);
			return XS_EXIT_USAGE;
		}
		snprintf(s.desc, sizeof s.desc, "replayed from %s", o->replay);
		if ((c->net.tp == XS_TP_TCP || c->net.fd < 0) && net_open(&c->net) < 0) {
			sent_reset(&s);
			return XS_EXIT_ENV;
		}
		out = run_case(c, &s);
		report_case(o, &s, out);
		sent_reset(&s);
		if (!probe(c, idx[i] + 1)) {
			printf("reproduced: the phone stopped answering after case %u\n", idx[i]);
			ret = XS_EXIT_FAIL;
			break;
		}
	}
	if (ret == XS_EXIT_OK)
		printf("not reproduced: the phone answered after all %zu case(s)\n", n);
	return ret;
}

static int parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return (!*s || *end || errno || *v > max || s[0] == '-') ? -EINVAL : 0;
}

int cmd_fuzz(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 't' },
		{ "transport", required_argument, NULL, 'T' },
		{ "user", required_argument, NULL, 'u' },
		{ "password-file", required_argument, NULL, 'P' },
		{ "password", required_argument, NULL, 'p' },
		{ "cases", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep", required_argument, NULL, 'k' },
		{ "timeout", required_argument, NULL, 'w' },
		{ "replay", required_argument, NULL, 'R' },
		{ "dump", required_argument, NULL, 'D' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct fz_opts o = { .cases = 1000, .keep = FZ_KEEP_DEFAULT, .timeout_ms = 500,
			     .out = "xscert-fuzz-out" };
	struct fz_ctx c = { 0 };
	char m_target[256] = "", m_tp[16] = "", m_user[DIGEST_MAX_PARAM] = "";
	unsigned idx[FZ_KEEP_MAX];
	size_t n_idx = 0;
	unsigned long long v;
	int opt, ret, err;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "t:u:n:s:o:qh", lo, NULL)) != -1) {
		switch (opt) {
		case 't': o.target = optarg; break;
		case 'T': o.transport = optarg; break;
		case 'u': o.user = optarg; break;
		case 'P': o.password_file = optarg; break;
		case 'p': o.password = optarg; break;
		case 'o': o.out = optarg; break;
		case 'R': o.replay = optarg; break;
		case 'D': o.dump = optarg; break;
		case 'q': o.quiet = true; break;
		case 'h': usage(stdout); return XS_EXIT_OK;
		case 'n':
			if (parse_uint(optarg, FZ_MAX_CASES, &v) < 0)
				return cli_usage_error(CMD, "--cases: expected 0..%u, got '%s'",
						       FZ_MAX_CASES, optarg);
			o.cases = (unsigned)v;
			break;
		case 's':
			if (parse_uint(optarg, UINT64_MAX, &v) < 0)
				return cli_usage_error(CMD, "--seed: expected a number, got '%s'", optarg);
			o.seed = v;
			o.seed_given = true;
			break;
		case 'k':
			if (parse_uint(optarg, FZ_KEEP_MAX, &v) < 0 || v == 0)
				return cli_usage_error(CMD, "--keep: expected 1..%u, got '%s'",
						       FZ_KEEP_MAX, optarg);
			o.keep = (unsigned)v;
			break;
		case 'w':
			if (parse_uint(optarg, 60000, &v) < 0 || v == 0)
				return cli_usage_error(CMD, "--timeout: expected 1..60000 ms, got '%s'",
						       optarg);
			o.timeout_ms = (int)v;
			break;
		default: {
			char shown[72];
			return cli_usage_error(CMD, "unknown option or missing value: '%s'",
					       cli_opt_shown(argv[optind - 1], shown, sizeof shown));
		}
		}
	}
	if (optind < argc)
		return cli_stray_operand(CMD, optind);
	if (o.replay && read_manifest(o.replay, m_target, sizeof m_target, m_tp, sizeof m_tp,
				      m_user, sizeof m_user, idx, &n_idx) < 0)
		return XS_EXIT_USAGE;
	if (!o.target && *m_target)
		o.target = m_target;
	if (!o.transport && *m_tp)
		o.transport = m_tp;
	if (!o.user && *m_user)
		o.user = m_user;
	if (!o.target && !o.dump)
		return cli_usage_error(CMD, "--target HOST[:PORT] is required");
	if (!o.user)
		return cli_usage_error(CMD, "--user is required");
	if (strlen(o.user) >= 64 || strpbrk(o.user, " \t\r\n@:;<>\""))
		return cli_usage_error(CMD, "--user: not a SIP user part: '%s'", o.user);
	if (o.transport && strcmp(o.transport, "udp") && strcmp(o.transport, "tcp"))
		return cli_usage_error(CMD, "--transport: expected udp or tcp, got '%s'", o.transport);

	c.user = o.user;
	c.net.fd = -1;
	c.net.timeout_ms = o.timeout_ms;
	c.net.tp = o.transport && !strcmp(o.transport, "tcp") ? XS_TP_TCP : XS_TP_UDP;
	c.tp_name = c.net.tp == XS_TP_TCP ? "TCP" : "UDP";
	c.seed = o.seed_given ? o.seed : (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	if (o.dump) {
		snprintf(c.target_host, sizeof c.target_host, "%s", o.target ? o.target : "127.0.0.1:5060");
		snprintf(c.ruri, sizeof c.ruri, "sip:%s@%s", c.user, c.target_host);
		return do_dump(&c, &o);
	}
	if (resolve_target(&c, o.target) < 0)
		return cli_usage_error(CMD, "--target: cannot use '%s' (HOST[:PORT])", o.target);
	c.password = cli_secret(CMD, o.password_file, o.password, true, &err);
	if (!c.password)
		return err;
	c.net.rx = c.net.tp == XS_TP_TCP ? malloc(SIP_TP_CONN_BUF) : NULL;
	if (c.net.tp == XS_TP_TCP && !c.net.rx) {
		cli_secret_free(c.password);
		return XS_EXIT_ENV;
	}
	ret = o.replay ? do_replay(&c, &o, idx, n_idx) : do_fuzz(&c, &o);
	net_close(&c.net);
	free(c.net.rx);
	cli_secret_free(c.password);
	return ret;
}
