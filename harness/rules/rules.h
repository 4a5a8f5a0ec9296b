/* SPDX-License-Identifier: MIT */
/* rules.h — the rule catalogue (DESIGN.md §6) and its evaluation over exchanges. */
#ifndef XS_RULES_H
#define XS_RULES_H

#include "record.h"

struct rule_info {
	const char *id;          /* "XS-CHAL-01" */
	enum xs_subject subject;
	const char *statement;   /* one line */
	const char *reference;   /* "RFC 3261 §22.2", "Cisco KB: SIP NOTIFY XML-Service" */
	const char *judged;      /* how: what passes, fails, warns and when it skips */
};
const struct rule_info *rules_catalogue(size_t *n);
/* Rules other parts judge (XS-SCN-01: scenario expectations, by the runner). */
const struct rule_info *rules_extra(size_t *n);
/* Looks in the catalogue, then the extra rules; NULL when unknown. */
const struct rule_info *rules_find(const char *id);

/* A known secret for XS-DIG-01 (never reported). realm "" matches any. */
struct rules_credential {
	const char *username;
	const char *realm;
	const char *password;
};

/*
 * State carried across the exchanges of one device (nonce reuse, nc growth,
 * retransmissions). Opaque; one per device being judged.
 */
struct rules_ctx;
int rules_ctx_new(struct rules_ctx **ret, const struct rules_credential *creds, size_t n_creds);
struct rules_ctx *rules_ctx_free(struct rules_ctx *c);

/*
 * Run every rule whose data the exchange has; append findings to ex. A rule
 * whose data is missing adds a skip with the reason (XS-DIG-01 without a
 * password). only (NULL-terminated ids) limits which rules run; NULL: all.
 * Each rule run adds exactly one finding. Roles are filled first
 * (rules_assign_roles). ex->intent says what the retry was meant to be; when
 * UNKNOWN it is inferred from the credentials. Sender rules skip deliberate
 * errors (wrong-* intents) only when ex->scenario is set (a live run); in a
 * capture they judge them. c is updated (nonces, nc, answered requests) after
 * the rules ran. Returns the number of findings added, -EINVAL or -ENOMEM.
 */
int rules_evaluate(struct rules_ctx *c, struct xs_exchange *ex, const char *const *only);

/*
 * Fill ex->i_notify/i_challenge/i_retry/i_final from ex->msgs (by method,
 * status, Call-ID, CSeq) when the builder has not set them.
 */
void rules_assign_roles(struct xs_exchange *ex);

#endif
