/* SPDX-License-Identifier: MIT */
/* rules.c — the rule catalogue as data, roles in an exchange, the per-device context, evaluation. */
#include "rules-int.h"

#include <stddef.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define KB "Cisco KB: SIP NOTIFY XML-Service (SPA500)"

/* The catalogue (DESIGN.md §6); docs/rules.md is generated from it. */
static const struct rule_info catalogue[] = {
	{ "XS-CHAL-01", XS_SUBJECT_PHONE,
	  "an XML-Service NOTIFY without credentials is answered 401, never 2xx",
	  "RFC 3261 §22.1, §22.4; " KB,
	  "Final answer to the first NOTIFY (Event XML-Service; resync/reboot events when the "
	  "profile says they are challenged) that has no Authorization: 401 passes, 2xx fails, "
	  "anything else warns. Skips without such a NOTIFY or without an answer." },
	{ "XS-CHAL-02", XS_SUBJECT_PHONE,
	  "the 401 has a well-formed Digest challenge with realm and nonce",
	  "RFC 3261 §22.4, §20.44; RFC 7616 §3.3",
	  "Every WWW-Authenticate (Proxy-Authenticate for 407) of the challenge is parsed "
	  "strictly: no Digest challenge, a syntax error, a duplicate or missing parameter, or "
	  "an empty nonce fails; an empty realm warns. Skips without a 401/407; an unknown "
	  "algorithm is left to XS-CHAL-04." },
	{ "XS-CHAL-03", XS_SUBJECT_PHONE, "qop is offered and includes auth",
	  "RFC 7616 §3.3; RFC 3261 §22.4",
	  "Passes when a challenge offers qop including auth; fails when qop is absent (RFC "
	  "2069 mode) or offers only other values." },
	{ "XS-CHAL-04", XS_SUBJECT_PHONE, "the algorithm is absent or one the RFCs define",
	  "RFC 7616 §3.3, §6.1; RFC 8760 §2",
	  "Fails when the challenge names an algorithm outside MD5, MD5-sess, SHA-256(-sess), "
	  "SHA-512-256(-sess) and offers nothing else; warns when such a challenge stands "
	  "beside a usable one (the client passes it over, RFC 7616 §3.7); passes otherwise "
	  "(absent means MD5)." },
	{ "XS-CHAL-05", XS_SUBJECT_PHONE,
	  "nonces are not reused across challenges and look unpredictable",
	  "RFC 7616 §3.3, §5.4, §5.5",
	  "Per device: fails when the nonce was issued by an earlier challenge (another "
	  "Call-ID/CSeq) or already used, or when it reads as a number a small step after the "
	  "previous nonce (a counter or clock); warns when shorter than 16 characters or of "
	  "fewer than 6 distinct characters." },
	{ "XS-AUTH-01", XS_SUBJECT_PHONE, "correct credentials are accepted",
	  "RFC 3261 §22.2; RFC 7616 §3.4",
	  "For a retry meant to be correct (the scenario's intent, or credentials verified "
	  "against a known password): 2xx passes, anything else fails. Skips when the intent is "
	  "unknown, not 'correct', or the credentials are in fact wrong." },
	{ "XS-AUTH-02", XS_SUBJECT_PHONE,
	  "a wrong password, user, realm or digest-uri is rejected",
	  "RFC 7616 §3.4, §3.4.6; RFC 3261 §22.4",
	  "For a retry with a wrong password, user, realm or digest-uri (intent, or inferred "
	  "from a known password): 2xx fails, a rejection passes." },
	{ "XS-AUTH-03", XS_SUBJECT_PHONE,
	  "a replayed Authorization (same nonce and nc) is rejected",
	  "RFC 7616 §3.4, §5.5; RFC 2617 §3.2.2",
	  "For a replayed Authorization (intent replay, or a nonce and nc the phone already "
	  "accepted in an earlier exchange): 2xx fails, a rejection passes." },
	{ "XS-AUTH-04", XS_SUBJECT_PHONE, "an expired nonce is answered 401 with stale=true",
	  "RFC 7616 §3.3 (stale)",
	  "For a retry with an expired nonce (intent stale): 401 with a challenge carrying "
	  "stale=true passes; 2xx, another status, or a 401 without stale=true fails." },
	{ "XS-DIG-01", XS_SUBJECT_SENDER, "the digest response is right for the known password",
	  "RFC 7616 §3.4.1; RFC 2617 §3.2.2.1",
	  "The Authorization is recomputed with the known password of its user (userhash "
	  "understood): a wrong response or a malformed header fails. Skips without a known "
	  "password (never passes), and in live runs when the scenario sent wrong credentials on "
	  "purpose (in a capture a wrong digest fails)." },
	{ "XS-DIG-02", XS_SUBJECT_SENDER, "digest-uri equals the Request-URI",
	  "RFC 3261 §22.4; RFC 7616 §3.4.6",
	  "The digest-uri must equal the Request-URI of the request carrying it, byte for byte. "
	  "Skips in live runs whose scenario sends a wrong digest-uri on purpose." },
	{ "XS-DIG-03", XS_SUBJECT_SENDER, "nc and cnonce are well-formed; nc grows per nonce",
	  "RFC 7616 §3.4; RFC 2617 §3.2.2",
	  "With qop: nc must be 8 hex digits and not 00000000, cnonce non-empty, and nc higher "
	  "than any nc the sender used before with the same nonce. A retry without qop fails "
	  "when the challenge offered qop. Skips when nobody uses qop." },
	{ "XS-DIG-04", XS_SUBJECT_SENDER,
	  "the retry keeps Call-ID and From tag and increments CSeq",
	  "RFC 3261 §8.1.3.5, §22.2",
	  "The retry must keep the Call-ID and From tag of the first NOTIFY, use a higher CSeq "
	  "and a new Via branch." },
	{ "XS-BODY-01", XS_SUBJECT_SENDER, "Content-Length equals the body's length",
	  "RFC 3261 §20.14, §18.3",
	  "Every NOTIFY: Content-Length different from the bytes after the blank line fails; "
	  "absent over TCP fails, over UDP warns." },
	{ "XS-BODY-02", XS_SUBJECT_SENDER, "a URL body does not end with CR or LF", KB,
	  "A URL body followed by CR or LF fails (the phone takes the URL up to the last byte)." },
	{ "XS-BODY-03", XS_SUBJECT_SENDER, "a URL body is one absolute http(s) URL",
	  KB "; RFC 3986 §4.3",
	  "A URL body must be exactly one absolute http:// or https:// URL with a host, with no "
	  "white space, control bytes or second token; a body that is neither URL nor XML "
	  "fails." },
	{ "XS-BODY-04", XS_SUBJECT_SENDER, "no inline XML to firmware that accepts only URLs",
	  KB " (firmware 7.4.4 and later)",
	  "Inline XML (CiscoIPPhoneExecute or other) sent to a profile that accepts only URL "
	  "bodies (SPA500 7.4.4 and later) fails. Skips for inline XML when the firmware is "
	  "unknown." },
	{ "XS-BODY-05", XS_SUBJECT_SENDER,
	  "a CiscoIPPhoneExecute body is valid (1-3 items, Priority 0-2, URL)",
	  "Cisco Unified IP Phone Services Application Development Notes (CiscoIPPhoneExecute)",
	  "An XML body must be a well-formed CiscoIPPhoneExecute without DOCTYPE, with 1 to 3 "
	  "ExecuteItem elements, each with a non-empty URL and a Priority of 0, 1 or 2 when "
	  "given." },
	{ "XS-FETCH-01", XS_SUBJECT_PHONE,
	  "after accepting a URL, the phone fetches it within the window", KB,
	  "After a 2xx to a valid URL body, an HTTP request from the phone within the fetch "
	  "window passes, none fails. Skips when no fetch is expected (rejected push, invalid "
	  "URL, trailing CR/LF on firmware that fails on it, firmware without URL bodies)." },
	{ "XS-FETCH-02", XS_SUBJECT_PHONE, "the fetched URL is exactly the pushed one", KB,
	  "Every request in the window must fetch the pushed URL (byte equality, or equality "
	  "after normalising scheme/host case and default port). Skips without a fetch." },
	{ "XS-FW-01", XS_SUBJECT_PHONE,
	  "model and firmware are identified and match the expected profile",
	  "RFC 3261 §20.35, §20.41; reference/cisco-xml-service.md (Server strings)",
	  "The model and firmware from the phone's Server (or User-Agent) must map to the "
	  "expected profile: no identification, or another profile, fails; an unknown expected "
	  "profile is an error. Without an expected profile, identification passes. A live "
	  "run against a phone that no profile fits fails this rule on an exchange of its own "
	  "(00-identify), which says how many scenarios were not run for that reason." },
	{ "XS-FW-02", XS_SUBJECT_PHONE,
	  "behaviour matches the firmware matrix (inline XML, trailing newline)",
	  KB "; Cisco 8800 MPP Administration Guide; xscert profiles (assumed entries marked)",
	  "What the phone did (answer and fetches) is compared with the expected (else "
	  "identified) profile: a fetch after a URL with trailing CR/LF on firmware that fails "
	  "on it, a fetch after inline XML on URL-only firmware, a rejected URL body or Execute "
	  "body the firmware accepts. A mismatch fails when the behaviour is documented and "
	  "warns when it is assumed." },
	{ "XS-SIP-01", XS_SUBJECT_PHONE,
	  "responses are well-formed and mirror Via, Call-ID, CSeq",
	  "RFC 3261 §8.2.6.2, §20",
	  "Every response must be accepted by libosip2, answer a request of the exchange "
	  "(Call-ID, CSeq number and method), mirror the From tag and the Via headers (the top "
	  "one may gain received/rport), and carry a To tag unless it is a 100." },
	{ "XS-SIP-02", XS_SUBJECT_PHONE,
	  "a retransmitted NOTIFY gets the same answer and is not acted on twice",
	  "RFC 3261 §17.2.2, §8.2.2.2",
	  "A retransmitted NOTIFY (same Call-ID, CSeq and Via branch, in the same or an earlier "
	  "exchange) must get the same final status and To tag, and the pushed URL must not be "
	  "fetched more than once." },
};

/* The function of each catalogue entry, in the same order. */
static const rule_fn rule_fns[] = {
	rule_chal_01, rule_chal_02, rule_chal_03, rule_chal_04, rule_chal_05,
	rule_auth_01, rule_auth_02, rule_auth_03, rule_auth_04,
	rule_dig_01, rule_dig_02, rule_dig_03, rule_dig_04,
	rule_body_01, rule_body_02, rule_body_03, rule_body_04, rule_body_05,
	rule_fetch_01, rule_fetch_02, rule_fw_01, rule_fw_02, rule_sip_01, rule_sip_02,
};
_Static_assert(XS_ARRAY_SIZE(catalogue) == XS_ARRAY_SIZE(rule_fns),
	       "one function per catalogue entry");

const struct rule_info *rules_catalogue(size_t *n)
{
	if (n)
		*n = XS_ARRAY_SIZE(catalogue);
	return catalogue;
}

/* Rules judged outside rules_evaluate: the runner's scenario expectations. */
static const struct rule_info extra[] = {
	{ "XS-SCN-01", XS_SUBJECT_PHONE,
	  "the phone's answers and fetches are what the scenario expects",
	  "docs/scenario-format.md (expect, fetch, no_fetch)",
	  "Added by `xscert run` for each scenario step: fails when the final status (or class) "
	  "differs from the step's expect, when an expected fetch did not come within its time, "
	  "or when a forbidden fetch came. Captures have no scenario, so `xscert analyze` never "
	  "gives it." },
};

const struct rule_info *rules_extra(size_t *n)
{
	if (n)
		*n = XS_ARRAY_SIZE(extra);
	return extra;
}

const struct rule_info *rules_find(const char *id)
{
	for (size_t i = 0; id && i < XS_ARRAY_SIZE(catalogue); i++)
		if (!strcmp(catalogue[i].id, id))
			return &catalogue[i];
	for (size_t i = 0; id && i < XS_ARRAY_SIZE(extra); i++)
		if (!strcmp(extra[i].id, id))
			return &extra[i];
	return NULL;
}

/* ---- the per-device context ---- */

static void wipe_free(char *s)
{
	if (!s)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

/* ---- the hash indexes over the nonce and request rings ---- */

static uint32_t key_hash(const char *s)
{
	return xs_hash32(s, strlen(s));
}

static int index_init(struct rules_index *x, size_t slots)
{
	size_t buckets = slots * 2; /* slots is a power of two */
	x->head = malloc(buckets * sizeof *x->head);
	x->next = malloc(slots * sizeof *x->next);
	x->hash = calloc(slots, sizeof *x->hash);
	if (!x->head || !x->next || !x->hash)
		return -ENOMEM;
	memset(x->head, 0xff, buckets * sizeof *x->head);
	memset(x->next, 0xff, slots * sizeof *x->next);
	x->mask = (uint32_t)buckets - 1;
	return 0;
}

static void index_free(struct rules_index *x)
{
	free(x->head);
	free(x->next);
	free(x->hash);
}

static void index_add(struct rules_index *x, int32_t slot, uint32_t h)
{
	x->hash[slot] = h;
	x->next[slot] = x->head[h & x->mask];
	x->head[h & x->mask] = slot;
}

/*
 * The slot for a new entry in a ring of *n slots of `size` bytes (*items) and
 * its index: the next one while the ring is filling, the ring doubled (up to
 * max slots) when it is full, else the oldest entry's (the caller clears it).
 * Filled in order and grown only before any is replaced, the ring replaces
 * its entries oldest first, as one of max slots from the start would.
 * -ENOMEM when it could not grow (nothing changed).
 */
static int32_t ring_slot(void **items, size_t size, size_t *n, size_t *next, size_t max,
			 struct rules_index *x)
{
	if (*next == *n && *n < max) {
		size_t grown = *n ? *n * 2 : RULES_RING_FIRST;
		struct rules_index nx;
		uint8_t *ni = realloc(*items, grown * size);
		if (ni)
			*items = ni;
		if (!ni || index_init(&nx, grown) < 0) {
			if (ni)
				index_free(&nx);
			return -ENOMEM;
		}
		memset(ni + *n * size, 0, (grown - *n) * size);
		for (size_t i = 0; i < *n; i++)
			index_add(&nx, (int32_t)i, x->hash[i]);
		index_free(x);
		*x = nx;
		*n = grown;
	}
	int32_t slot = (int32_t)(*next % *n);
	*next = (size_t)slot + 1 < *n || *n < max ? (size_t)slot + 1 : 0;
	return slot;
}

static void index_remove(struct rules_index *x, int32_t slot)
{
	int32_t *pp = &x->head[x->hash[slot] & x->mask];
	while (*pp >= 0 && *pp != slot)
		pp = &x->next[*pp];
	if (*pp == slot)
		*pp = x->next[slot];
	x->next[slot] = -1;
}

/* The first slot whose key (key_of(slot)) equals key, or -1. */
#define INDEX_FIND(x, key, key_of)                                                        \
	__extension__({                                                                   \
		uint32_t h_ = key_hash(key);                                              \
		int32_t s_ = (x)->head[h_ & (x)->mask];                                   \
		while (s_ >= 0 && ((x)->hash[s_] != h_ || strcmp((key_of), (key))))       \
			s_ = (x)->next[s_];                                               \
		s_;                                                                       \
	})

int rules_ctx_new(struct rules_ctx **ret, const struct rules_credential *creds, size_t n_creds)
{
	if (!ret || (n_creds && !creds))
		return -EINVAL;
	struct rules_ctx *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	if (n_creds) {
		c->creds = calloc(n_creds, sizeof *c->creds);
		if (!c->creds)
			goto oom;
	}
	for (size_t i = 0; i < n_creds; i++) {
		struct rules_credential *d = &c->creds[i];
		c->n_creds++;
		d->username = strdup(creds[i].username ? creds[i].username : "");
		d->realm = strdup(creds[i].realm ? creds[i].realm : "");
		d->password = strdup(creds[i].password ? creds[i].password : "");
		if (!d->username || !d->realm || !d->password)
			goto oom;
	}
	*ret = c;
	return 0;
oom:
	rules_ctx_free(c);
	return -ENOMEM;
}

/* s (n bytes) and a NUL at t->p + at, t grown when they do not fit; the copy, or NULL on ENOMEM. */
static char *text_put(struct rules_text *t, size_t at, const char *s, size_t n)
{
	if (at + n + 1 > t->cap) {
		size_t cap = XS_MAX(at + n + 1, 2 * t->cap);
		char *p = realloc(t->p, cap);
		if (!p)
			return NULL;
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + at, s, n);
	t->p[at + n] = '\0';
	return t->p + at;
}

/* Emptied, its text's room kept for the next entry. */
static void nonce_clear(struct rules_nonce *n)
{
	*n = (struct rules_nonce){ .text = n->text };
}

static void request_clear(struct rules_request *r)
{
	*r = (struct rules_request){ .text = r->text };
}

struct rules_ctx *rules_ctx_free(struct rules_ctx *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->n_creds; i++) {
		free((char *)c->creds[i].username);
		free((char *)c->creds[i].realm);
		wipe_free((char *)c->creds[i].password);
	}
	free(c->creds);
	for (size_t i = 0; i < c->n_nonce_slots; i++)
		free(c->nonces[i].text.p);
	for (size_t i = 0; i < c->n_req_slots; i++)
		free(c->reqs[i].text.p);
	free(c->nonces);
	free(c->reqs);
	index_free(&c->nonce_ix);
	index_free(&c->req_ix);
	free(c->prev_challenge_nonce.p);
	free(c);
	return NULL;
}

struct rules_nonce *rules_nonce_find(struct rules_ctx *c, const char *nonce)
{
	if (!nonce || !c->n_nonce_slots)
		return NULL;
	int32_t s = INDEX_FIND(&c->nonce_ix, nonce, c->nonces[s_].nonce);
	return s >= 0 ? &c->nonces[s] : NULL;
}

/* The entry for nonce, created (evicting the oldest) when missing; NULL on ENOMEM. */
static struct rules_nonce *nonce_get(struct rules_ctx *c, const char *nonce)
{
	struct rules_nonce *n = rules_nonce_find(c, nonce);
	if (n)
		return n;
	int32_t slot = ring_slot((void **)&c->nonces, sizeof *c->nonces, &c->n_nonce_slots,
				 &c->next_nonce, RULES_MAX_NONCES, &c->nonce_ix);
	if (slot < 0)
		return NULL;
	n = &c->nonces[slot];
	if (n->nonce)
		index_remove(&c->nonce_ix, slot);
	nonce_clear(n);
	n->nonce = text_put(&n->text, 0, nonce, strlen(nonce));
	if (!n->nonce)
		return NULL;
	index_add(&c->nonce_ix, slot, key_hash(nonce));
	return n;
}

struct rules_request *rules_request_find(struct rules_ctx *c, const char *key)
{
	if (!key || !c->n_req_slots)
		return NULL;
	int32_t s = INDEX_FIND(&c->req_ix, key, c->reqs[s_].key);
	return s >= 0 ? &c->reqs[s] : NULL;
}

/* "Call-ID CSeq method branch", built by pieces: a key per NOTIFY of every exchange */
int rules_request_key(const struct sip_msg *m, struct xs_buf *b)
{
	char num[24] = " ";
	size_t n = 1 + xs_dec(num + 1, m->cseq);
	num[n++] = ' ';
	struct xs_span cid = xs_span_upto_nul(m->call_id), br = xs_span_upto_nul(m->via_branch);
	xs_buf_append(b, cid.p, cid.len);
	xs_buf_append(b, num, n);
	xs_buf_puts(b, m->method);
	xs_buf_puts(b, " ");
	xs_buf_append(b, br.p, br.len);
	return xs_buf_cstr(b) ? 0 : -ENOMEM;
}

/* The thread's scratch buffer, emptied (its room kept). */
static struct xs_buf *scratch(struct rules_eval *e)
{
	e->scratch.len = 0;
	e->scratch.oom = false;
	return &e->scratch;
}

struct rules_request *rules_request_of(struct rules_eval *e, const struct sip_msg *m)
{
	if (rules_request_key(m, scratch(e)) < 0)
		return NULL;
	return rules_request_find(e->c, (const char *)e->scratch.p);
}

/* "%.*s %u" of the Call-ID (up to a NUL, as %.*s) and the CSeq number, by pieces */
int rules_challenge_key(const struct sip_msg *m, struct xs_buf *b)
{
	char num[24] = " ";
	size_t n = 1 + xs_dec(num + 1, m->cseq);
	struct xs_span cid = xs_span_upto_nul(m->call_id);
	xs_buf_append(b, cid.p, cid.len);
	xs_buf_append(b, num, n);
	return xs_buf_cstr(b) ? 0 : -ENOMEM;
}

const char *rules_challenge_key_in(struct rules_eval *e, const struct sip_msg *m)
{
	return rules_challenge_key(m, scratch(e)) < 0 ? NULL : (const char *)e->scratch.p;
}

/* ---- message helpers ---- */

int rules_msg_index(const struct rules_eval *e, const struct sip_msg *m)
{
	for (size_t i = 0; i < e->ex->n_msgs; i++)
		if (e->ex->msgs[i] == m)
			return (int)i;
	return -1;
}

static void ev_sep(struct xs_buf *b)
{
	if (b->len)
		xs_buf_puts(b, ",");
}

void rules_ev_msg(struct xs_buf *b, const struct rules_eval *e, const struct sip_msg *m)
{
	if (!m || e->ex->terse)
		return;
	ev_sep(b);
	if (m->frame)
		xs_buf_printf(b, "frame:%llu", (unsigned long long)m->frame);
	else
		xs_buf_printf(b, "msg:%d", rules_msg_index(e, m));
}

void rules_ev_http(struct xs_buf *b, const struct rules_eval *e, size_t i)
{
	if (e->ex->terse)
		return;
	ev_sep(b);
	if (e->ex->http[i].frame)
		xs_buf_printf(b, "frame:%llu", (unsigned long long)e->ex->http[i].frame);
	else
		xs_buf_printf(b, "http:%zu", i);
}

bool rules_answers(const struct sip_msg *r, const struct sip_msg *q)
{
	return r && q && !r->is_request && q->is_request && xs_span_eq(r->call_id, q->call_id) &&
	       r->cseq == q->cseq && !strcmp(r->cseq_method, q->method);
}

bool rules_is_2xx(const struct sip_msg *m)
{
	return m && !m->is_request && m->status >= 200 && m->status < 300;
}

bool rules_has_auth(const struct sip_msg *m)
{
	struct xs_span v;
	return sip_msg_header_id(m, SIP_HDR_AUTHORIZATION, 0, false, &v) == 0 ||
	       sip_msg_header_id(m, SIP_HDR_PROXY_AUTHORIZATION, 0, false, &v) == 0;
}

static int index_of(const struct xs_exchange *ex, const struct sip_msg *m)
{
	for (size_t i = 0; i < ex->n_msgs; i++)
		if (ex->msgs[i] == m)
			return (int)i;
	return -1;
}

const struct sip_msg *rules_final_for(const struct xs_exchange *ex, const struct sip_msg *q)
{
	int from = index_of(ex, q);
	for (size_t i = from < 0 ? 0 : (size_t)from + 1; q && i < ex->n_msgs; i++)
		if (ex->msgs[i]->status >= 200 && rules_answers(ex->msgs[i], q))
			return ex->msgs[i];
	return NULL;
}

static bool is_notify(const struct sip_msg *m)
{
	return m->is_request && !strcmp(m->method, "NOTIFY");
}

void rules_assign_roles(struct xs_exchange *ex)
{
	if (!ex)
		return;
	size_t n = ex->n_msgs;
	if (ex->i_notify < 0 || (size_t)ex->i_notify >= n) {
		ex->i_notify = -1;
		for (size_t i = 0; i < n && ex->i_notify < 0; i++)
			if (is_notify(ex->msgs[i]))
				ex->i_notify = (int)i;
	}
	if (ex->i_notify < 0)
		return;
	const struct sip_msg *q = ex->msgs[ex->i_notify];
	if (ex->i_challenge < 0) {
		for (size_t i = (size_t)ex->i_notify + 1; i < n && ex->i_challenge < 0; i++) {
			const struct sip_msg *m = ex->msgs[i];
			if ((m->status == 401 || m->status == 407) && rules_answers(m, q))
				ex->i_challenge = (int)i;
		}
	}
	if (ex->i_retry < 0) {
		for (size_t i = (size_t)ex->i_notify + 1; i < n && ex->i_retry < 0; i++) {
			const struct sip_msg *m = ex->msgs[i];
			if (is_notify(m) && xs_span_eq(m->call_id, q->call_id) && m->cseq > q->cseq &&
			    rules_has_auth(m))
				ex->i_retry = (int)i;
		}
	}
	if (ex->i_final < 0) {
		const struct sip_msg *r = rules_final_for(ex, ex->i_retry >= 0 ? ex->msgs[ex->i_retry] : q);
		ex->i_final = r ? index_of(ex, r) : -1;
	}
}

bool rules_http_in_window(const struct rules_eval *e, size_t i)
{
	const struct xs_http_req *h = &e->ex->http[i];
	const struct sip_msg *start = e->final ? e->final : e->push;
	if (!start || !start->ts_us || !h->ts_us)
		return true; /* untimed (unit tests, hand-built): the builder chose them */
	/*
	 * A phone may fetch before its 200 is seen, and a live run stamps what it
	 * sent after sending: count from the exchange's first NOTIFY, less a
	 * little slack for the two clocks.
	 */
	const struct sip_msg *first = e->notify && e->notify->ts_us ? e->notify : start;
	int64_t from = first->ts_us - RULES_CLOCK_SLACK_US;
	return h->ts_us >= from && h->ts_us <= start->ts_us + e->ex->fetch_window_us;
}

/* ---- building the evaluation view ---- */

static const struct sip_msg *role(const struct xs_exchange *ex, int i)
{
	return i >= 0 && (size_t)i < ex->n_msgs ? ex->msgs[i] : NULL;
}

static void load_challenge(struct rules_eval *e)
{
	e->ch_pick = -1;
	e->ch_err = -ENOENT;
	if (!e->challenge)
		return;
	enum sip_hdr_id hdr = e->challenge->status == 407 ? SIP_HDR_PROXY_AUTHENTICATE :
							     SIP_HDR_WWW_AUTHENTICATE;
	struct xs_span v;
	for (unsigned i = 0; sip_msg_header_id(e->challenge, hdr, i, false, &v) == 0; i++) {
		struct digest_error pe;
		int r = digest_challenge_parse(v.p, v.len, e->ch, DIGEST_MAX_CHALLENGES, &e->n_ch,
					       &pe);
		if (pe.code == DIGEST_PERR_ALGORITHM) {
			if (!e->ch_unknown_alg)
				e->ch_perr = pe;
			e->ch_unknown_alg = true;
		} else if (r < 0) {
			e->ch_perr = pe;
			e->ch_err = -EBADMSG;
			return;
		}
	}
	if (!e->n_ch) {
		if (e->ch_unknown_alg)
			e->ch_err = -EBADMSG; /* nothing but algorithms no RFC defines */
		return;
	}
	e->ch_err = 0;
	int p = digest_challenge_pick(e->ch, e->n_ch);
	e->ch_pick = p >= 0 ? p : 0;
}

/* Which known credential the retry's user is, and what digest_verify says. */
static void find_credential(struct rules_eval *e)
{
	const struct rules_ctx *c = e->c;
	for (size_t i = 0; i < c->n_creds; i++) {
		const struct rules_credential *k = &c->creds[i];
		if (k->realm[0] && strcmp(k->realm, e->cr.realm) != 0)
			continue;
		struct digest_expect exp = {
			.username = k->username,
			.password = k->password,
			.qop_mask = e->cr.qop == DIGEST_QOP_NONE ? 0 : DIGEST_QOP_MASK(e->cr.qop),
		};
		enum digest_check chk;
		if (digest_verify(&e->cr, e->push->method, sip_msg_body(e->push), &exp, &chk) < 0 ||
		    chk == DIGEST_BAD_USERNAME)
			continue;
		e->cred = k;
		e->cr_check = chk;
		return;
	}
}

/* The push's credentials into e->cr, which is zeroed when there are none. */
static void load_credentials(struct rules_eval *e)
{
	e->cr_err = -ENOENT;
	const struct sip_msg *m = !e->push ? NULL :
		e->retry ? e->retry : (e->notify && rules_has_auth(e->notify) ? e->notify : NULL);
	struct xs_span v;
	if (m && (sip_msg_header_id(m, SIP_HDR_AUTHORIZATION, 0, false, &v) == 0 ||
		  sip_msg_header_id(m, SIP_HDR_PROXY_AUTHORIZATION, 0, false, &v) == 0))
		e->cr_err = digest_credentials_parse(v.p, v.len, &e->cr, &e->cr_perr) < 0 ? -EBADMSG : 0;
	if (e->cr_err == 0)
		find_credential(e);
	else
		memset(&e->cr, 0, sizeof e->cr);
}

/* Does m come from the phone: a response to a request of the exchange, or a request it sent? */
static bool from_phone(const struct rules_eval *e, const struct sip_msg *m)
{
	if (m->is_request)
		return m->dir == XS_DIR_FROM_PHONE;
	return m->dir == XS_DIR_FROM_PHONE || rules_answers(m, e->notify) ||
	       rules_answers(m, e->retry);
}

/* The identification: Server of the phone's responses, else its User-Agent. */
static void load_ident(struct rules_eval *e)
{
	static const enum sip_hdr_id hdrs[] = { SIP_HDR_SERVER, SIP_HDR_USER_AGENT };
	for (size_t h = 0; h < XS_ARRAY_SIZE(hdrs); h++)
		for (size_t i = 0; i < e->ex->n_msgs; i++) {
			const struct sip_msg *m = e->ex->msgs[i];
			struct xs_span v;
			if (!from_phone(e, m))
				continue;
			if (sip_msg_header_id(m, hdrs[h], 0, false, &v) == 0 &&
			    fw_ident_parse(v.p, v.len, &e->ident) == 0) {
				e->has_ident = true;
				e->ident_msg = m;
				return;
			}
		}
	for (size_t i = 0; i < e->ex->n_http; i++) {
		const char *ua = e->ex->http[i].user_agent;
		if (ua && fw_ident_parse((const uint8_t *)ua, strlen(ua), &e->ident) == 0) {
			e->has_ident = true;
			return;
		}
	}
}

/* When the exchange does not say what the retry meant, credentials can tell. */
static enum xs_auth_intent infer_intent(const struct rules_eval *e)
{
	if (e->ex->intent != XS_AUTH_UNKNOWN)
		return e->ex->intent;
	if (!e->retry)
		return e->notify ? XS_AUTH_NONE : XS_AUTH_UNKNOWN;
	if (e->cr_err || !e->cred)
		return XS_AUTH_UNKNOWN;
	switch (e->cr_check) {
	case DIGEST_VALID:
		return XS_AUTH_CORRECT;
	case DIGEST_BAD_REALM:
		return XS_AUTH_WRONG_REALM;
	case DIGEST_BAD_URI:
		return XS_AUTH_WRONG_URI;
	case DIGEST_BAD_RESPONSE:
		return XS_AUTH_WRONG_PASSWORD;
	default:
		return XS_AUTH_UNKNOWN;
	}
}

/* The evaluation's room (31 KB): one per thread, made on its first evaluation
 * and freed when the thread ends (evaluations do not nest). */
static pthread_key_t room_key;
static bool room_key_ok;
static pthread_once_t room_once = PTHREAD_ONCE_INIT;

static void room_free(void *p)
{
	struct rules_eval *e = p;
	xs_buf_reset(&e->scratch);
	free(e);
}

static void room_key_make(void)
{
	room_key_ok = pthread_key_create(&room_key, room_free) == 0;
}

static struct rules_eval *room(void)
{
	pthread_once(&room_once, room_key_make);
	if (!room_key_ok)
		return NULL;
	struct rules_eval *e = pthread_getspecific(room_key);
	if (!e && (e = malloc(sizeof *e))) {
		e->scratch = (struct xs_buf){ 0 };
		if (pthread_setspecific(room_key, e) != 0) {
			free(e);
			e = NULL;
		}
	}
	return e;
}

static void eval_init(struct rules_eval *e, struct rules_ctx *c, struct xs_exchange *ex)
{
	memset(e, 0, offsetof(struct rules_eval, cr));
	e->c = c;
	e->ex = ex;
	e->ch_err = -ENOENT;
	e->ch_pick = -1;
	e->cr_err = -ENOENT;
	xmlsvc_report_init(&e->body);
	e->notify = role(ex, ex->i_notify);
	e->challenge = role(ex, ex->i_challenge);
	e->retry = role(ex, ex->i_retry);
	e->final = role(ex, ex->i_final);
	e->push = e->retry ? e->retry : e->notify;
	if (e->push && !is_notify(e->push))
		e->push = NULL; /* an OPTIONS probe: no body to judge */
	load_challenge(e);
	load_credentials(e);
	e->body_err = -ENOENT;
	if (e->push) {
		struct xs_span b = sip_msg_body(e->push);
		e->body_err = xmlsvc_check(b.p, b.len, &e->body);
	}
	if (ex->expected_profile) {
		e->expected = fw_profile_find(ex->expected_profile);
		e->expected_unknown = !e->expected;
	}
	load_ident(e);
	e->profile = e->expected ? e->expected : (e->has_ident ? fw_profile_for(&e->ident) : NULL);
	e->intent = infer_intent(e);
}

/* ---- remembering what later exchanges need ---- */

static int remember(struct rules_eval *e)
{
	struct rules_ctx *c = e->c;
	if (e->challenge && e->ch_pick >= 0) {
		const char *nonce = e->ch[e->ch_pick].nonce;
		struct rules_nonce *n = nonce_get(c, nonce);
		if (!n)
			return -ENOMEM;
		const char *key = n->challenge_key ? NULL : rules_challenge_key_in(e, e->challenge);
		if (key) {
			/* after the nonce, in the same text (which may move) */
			size_t at = strlen(n->nonce) + 1;
			n->challenge_key = text_put(&n->text, at, key, e->scratch.len);
			n->nonce = n->text.p;
		}
		if (!text_put(&c->prev_challenge_nonce, 0, nonce, strlen(nonce)))
			return -ENOMEM;
	}
	if (e->retry && e->cr_err == 0 && e->cr.nc[0]) {
		struct rules_nonce *n = nonce_get(c, e->cr.nonce);
		if (!n)
			return -ENOMEM;
		if (!n->nc_seen || e->cr.nc_value > n->last_nc)
			n->last_nc = e->cr.nc_value;
		n->nc_seen = true;
		if (rules_is_2xx(e->final) && (!n->accepted || e->cr.nc_value > n->accepted_nc)) {
			n->accepted_nc = e->cr.nc_value;
			n->accepted = true;
		}
	}
	for (size_t i = 0; i < e->ex->n_msgs; i++) {
		const struct sip_msg *m = e->ex->msgs[i];
		if (!is_notify(m))
			continue;
		const struct sip_msg *fin = rules_final_for(e->ex, m);
		struct rules_request *r = rules_request_of(e, m);
		if (e->scratch.oom)
			return -ENOMEM;
		if (r) {
			if (!r->status && fin)
				r->status = fin->status;
			continue;
		}
		int32_t slot = ring_slot((void **)&c->reqs, sizeof *c->reqs, &c->n_req_slots,
					 &c->next_req, RULES_MAX_REQUESTS, &c->req_ix);
		if (slot < 0)
			return -ENOMEM;
		r = &c->reqs[slot];
		if (r->key)
			index_remove(&c->req_ix, slot);
		request_clear(r);
		/* the key rules_request_of made, then the exchange's id, in the slot's text */
		const char *id = e->ex->id ? e->ex->id : "";
		size_t klen = e->scratch.len;
		if (!text_put(&r->text, 0, (const char *)e->scratch.p, klen) ||
		    !text_put(&r->text, klen + 1, id, strlen(id)))
			return -ENOMEM;
		r->key = r->text.p;
		r->exchange = r->text.p + klen + 1;
		r->status = fin ? fin->status : 0;
		index_add(&c->req_ix, slot, key_hash(r->key));
	}
	return 0;
}

static bool selected(const char *id, const char *const *only)
{
	if (!only)
		return true;
	for (; *only; only++)
		if (!strcmp(*only, id))
			return true;
	return false;
}

int rules_evaluate(struct rules_ctx *c, struct xs_exchange *ex, const char *const *only)
{
	if (!c || !ex)
		return -EINVAL;
	rules_assign_roles(ex);
	struct rules_eval *e = room();
	if (!e)
		return -ENOMEM;
	eval_init(e, c, ex);
	size_t before = ex->n_findings;
	int r = 0;
	for (size_t i = 0; i < XS_ARRAY_SIZE(catalogue) && r == 0; i++)
		if (selected(catalogue[i].id, only))
			r = rule_fns[i](e, &catalogue[i]);
	if (r == 0)
		r = remember(e);
	/* the pointer to the known secret goes; the rest of the room holds only what
	 * the wire carried (the next evaluation clears it) */
	explicit_bzero(&e->cred, sizeof e->cred);
	return r < 0 ? r : (int)(ex->n_findings - before);
}
