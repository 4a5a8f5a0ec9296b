/* SPDX-License-Identifier: MIT */
/* rules-int.h — what the rule functions share: the evaluation view of one exchange and the context. */
#ifndef XS_RULES_INT_H
#define XS_RULES_INT_H

#include "rules.h"
#include "../digest/digest.h"
#include "../firmware/firmware.h"
#include "../xmlsvc/xmlsvc.h"

/* Caps on the state kept per device (memory stays bounded on long captures). */
#define RULES_MAX_NONCES   1024u /* nonces remembered (challenges and credentials) */
#define RULES_MAX_REQUESTS 256u  /* answered requests remembered for retransmissions */
#define RULES_RING_FIRST   16u   /* slots of each ring at first (a power of two) */
#define RULES_CLOCK_SLACK_US 100000 /* a fetch stamped this much before the first NOTIFY still counts */

/* A slot's text, kept in a buffer the slot keeps when it is reused (a ring
 * replaces an entry per exchange: no allocation once the buffers fit). */
struct rules_text {
	char *p;
	size_t cap;
};

/* What is remembered about one nonce. */
struct rules_nonce {
	char *nonce;            /* in text; NULL: free slot */
	char *challenge_key;    /* "Call-ID CSeq" of the challenge that issued it, in text after
				 * nonce; may be NULL */
	struct rules_text text;
	uint32_t last_nc;       /* highest nc the sender used with it */
	bool nc_seen;
	uint32_t accepted_nc;   /* highest nc the phone accepted (2xx) with it */
	bool accepted;
};

/* One answered request, to recognise a retransmission in a later exchange. */
struct rules_request {
	char *key;              /* "Call-ID CSeq METHOD branch", in text; NULL: free slot */
	int status;             /* final status it got, 0 when none */
	char *exchange;         /* id of the exchange it was in, in text after key */
	struct rules_text text;
};

/* A hash index over a ring of string-keyed slots: chains of slot numbers, -1 ends. */
struct rules_index {
	int32_t *head;          /* 2 x slots buckets */
	int32_t *next;          /* per slot */
	uint32_t *hash;         /* per slot */
	uint32_t mask;
};

struct rules_ctx {
	struct rules_credential *creds; /* copies, owned; passwords wiped on free */
	size_t n_creds;
	/* rings grown as they fill (from RULES_RING_FIRST slots), the oldest entry
	 * replaced once they hold the most */
	struct rules_nonce *nonces;
	struct rules_index nonce_ix;
	size_t n_nonce_slots, next_nonce; /* ring size and position */
	struct rules_text prev_challenge_nonce; /* the last nonce a challenge carried (p NULL: none) */
	struct rules_request *reqs;
	struct rules_index req_ix;
	size_t n_req_slots, next_req;
};

/* The parsed view of an exchange every rule reads (built once per evaluation). */
struct rules_eval {
	struct rules_ctx *c;
	struct xs_exchange *ex;
	const struct sip_msg *notify, *challenge, *retry, *final;
	const struct sip_msg *push;   /* the request whose body the phone acts on: retry or notify */

	/* the challenge (i_challenge): ch[] below */
	size_t n_ch;
	int ch_pick;                  /* index into ch, -1 when none usable/parsed */
	int ch_err;                   /* 0, -ENOENT (no header), -EBADMSG (see ch_perr) */
	struct digest_error ch_perr;
	bool ch_unknown_alg;          /* a challenge named an algorithm no RFC defines */

	/* the retry's credentials (cr below) */
	int cr_err;                   /* 0, -ENOENT (no Authorization), -EBADMSG (see cr_perr) */
	struct digest_error cr_perr;
	const struct rules_credential *cred; /* the known secret for cr's user, NULL if none */
	enum digest_check cr_check;   /* digest_verify against cred (valid when cred) */

	/* the pushed body: body below */
	int body_err;                 /* 0, or -E2BIG/-ENOMEM from xmlsvc_check, -ENOENT no push */

	/* device */
	const struct fw_profile *expected; /* from ex->expected_profile (NULL: none or unknown) */
	bool expected_unknown;        /* ex->expected_profile names no profile */
	struct fw_ident ident;
	bool has_ident;
	const struct sip_msg *ident_msg; /* where the identification came from */
	const struct fw_profile *profile; /* expected, else the identified one; NULL: none */

	/* the intent, after inference from credentials when the exchange says UNKNOWN */
	enum xs_auth_intent intent;

	/* Last, and not zeroed for each exchange as a block (28 KB): the credentials
	 * (written whole by their parse, else zeroed), the challenges parsed (ch[0,
	 * n_ch) written by the parse) and the body's report (written by xmlsvc_check
	 * or xmlsvc_report_init). Everything before cr is. */
	struct digest_credentials cr;
	struct digest_challenge ch[DIGEST_MAX_CHALLENGES];
	struct xmlsvc_report body;
	struct xs_buf scratch; /* kept from one exchange to the next: a lookup's key */
};

/* Evaluation helpers (rules.c). */
int rules_msg_index(const struct rules_eval *e, const struct sip_msg *m);
/* Append "msg:N" / "frame:N" for message m to b (comma-separated). */
void rules_ev_msg(struct xs_buf *b, const struct rules_eval *e, const struct sip_msg *m);
/* Append "http:N" / "frame:N" for HTTP request i. */
void rules_ev_http(struct xs_buf *b, const struct rules_eval *e, size_t i);
/* Does response r answer request q (Call-ID, CSeq number and method)? */
bool rules_answers(const struct sip_msg *r, const struct sip_msg *q);
/* The first final (>= 200) response in ex answering q after it; NULL when none. */
const struct sip_msg *rules_final_for(const struct xs_exchange *ex, const struct sip_msg *q);
bool rules_is_2xx(const struct sip_msg *m);
bool rules_has_auth(const struct sip_msg *m); /* Authorization or Proxy-Authorization */
/* Remembered nonce state; NULL when not seen. */
struct rules_nonce *rules_nonce_find(struct rules_ctx *c, const char *nonce);
/* Remembered request by key; NULL when not seen. */
struct rules_request *rules_request_find(struct rules_ctx *c, const char *key);
/* "Call-ID CSeq METHOD branch" of a request into b. */
int rules_request_key(const struct sip_msg *m, struct xs_buf *b);
/* The remembered request m repeats, looked up by its key (no allocation once
 * the thread's scratch is grown); NULL when none, or on ENOMEM. */
struct rules_request *rules_request_of(struct rules_eval *e, const struct sip_msg *m);
/* "Call-ID CSeq" of m (the key a challenge's nonce is remembered by) into b
 * (appended); in the thread's scratch (NULL on ENOMEM), for a comparison. */
int rules_challenge_key(const struct sip_msg *m, struct xs_buf *b);
const char *rules_challenge_key_in(struct rules_eval *e, const struct sip_msg *m);
/* HTTP requests within the fetch window after the final 2xx (or the push when untimed). */
bool rules_http_in_window(const struct rules_eval *e, size_t i);

/* One function per rule (rules-check.c); each appends exactly one finding to e->ex. 0 or -ENOMEM. */
typedef int (*rule_fn)(struct rules_eval *e, const struct rule_info *ri);

#define RULE_FN(name) int name(struct rules_eval *e, const struct rule_info *ri)
RULE_FN(rule_chal_01);
RULE_FN(rule_chal_02);
RULE_FN(rule_chal_03);
RULE_FN(rule_chal_04);
RULE_FN(rule_chal_05);
RULE_FN(rule_auth_01);
RULE_FN(rule_auth_02);
RULE_FN(rule_auth_03);
RULE_FN(rule_auth_04);
RULE_FN(rule_dig_01);
RULE_FN(rule_dig_02);
RULE_FN(rule_dig_03);
RULE_FN(rule_dig_04);
RULE_FN(rule_body_01);
RULE_FN(rule_body_02);
RULE_FN(rule_body_03);
RULE_FN(rule_body_04);
RULE_FN(rule_body_05);
RULE_FN(rule_fetch_01);
RULE_FN(rule_fetch_02);
RULE_FN(rule_fw_01);
RULE_FN(rule_fw_02);
RULE_FN(rule_sip_01);
RULE_FN(rule_sip_02);

#endif
