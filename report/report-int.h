/* SPDX-License-Identifier: MIT */
/* report-int.h — helpers the report writers share (not part of the public contract). */
#ifndef XS_REPORT_INT_H
#define XS_REPORT_INT_H

#include "report.h"

/* Verdicts as they appear in JSON, in enum xs_verdict order. */
#define REPORT_N_VERDICTS 5
extern const char *const report_verdicts[REPORT_N_VERDICTS]; /* "pass" ... "error" */
/* Index of a verdict name, or -1. */
int report_verdict_index(const char *name);
/* The worse of two verdict indexes: error > fail > warn > pass > skip; -1 is "none". */
int report_verdict_worse(int a, int b);

/* Caps on what one rendered field shows (named so docs can cite them). */
#define REPORT_MAX_FIELD      4096u  /* a detail, summary or header line in JUnit/Markdown */
#define REPORT_MAX_RAW_JUNIT  4096u  /* raw bytes of one evidence message in a JUnit failure */
#define REPORT_MD_MAX_BYTES   60000u /* a GitHub PR comment holds 65536 characters */
#define REPORT_MD_MAX_EXAMPLES 5u    /* failing exchanges shown per rule in Markdown */

/* NULL-tolerant accessors over untrusted JSON: a missing or mistyped member is NULL/0. */
const char *rj_str(const json_t *o, const char *key);
/* Like rj_str, but "" instead of NULL. */
const char *rj_s(const json_t *o, const char *key);
json_int_t rj_int(const json_t *o, const char *key);
json_t *rj_arr(const json_t *o, const char *key);
json_t *rj_obj(const json_t *o, const char *key);

/* Strict UTF-8 check (no overlongs, no surrogates, <= U+10FFFF) that also rejects NUL. */
bool report_utf8_ok(const uint8_t *p, size_t len);
/* Decode one UTF-8 sequence at p (len > 0): code point, or -1 when invalid; *n bytes used. */
long report_utf8_next(const uint8_t *p, size_t len, size_t *n);

/* RFC 4648 base64 (standard alphabet, padded). */
int report_b64_encode(struct xs_buf *out, const uint8_t *p, size_t len);
/* 0, or -EBADMSG on a character outside the alphabet or bad padding. */
int report_b64_decode(struct xs_buf *out, const char *s, size_t len);

/* The raw bytes of a message object ("raw" or "raw_b64") appended to out; -EBADMSG, -ENOMEM. */
int report_msg_raw(const json_t *msg, struct xs_buf *out);
/* Put raw bytes into msg as "raw" (valid UTF-8 without NUL) or "raw_b64". */
int report_msg_set_raw(json_t *msg, const uint8_t *p, size_t len);

/*
 * Timestamps: "ts" is epoch seconds with exactly six decimals, as a string
 * ("1700000000.123456"), so it round-trips with no float. Parse it (a JSON
 * integer or real is accepted too) into microseconds: 0 or -EBADMSG.
 */
int report_ts_parse(const json_t *v, int64_t *us);
/* Format microseconds as a "ts" string into out (size >= 32). */
void report_ts_format(int64_t us, char *out, size_t size);
/* ISO-8601 UTC "2026-11-22T07:30:00Z" for now, or for $SOURCE_DATE_EPOCH when set. */
void report_now_iso(char *out, size_t size);

/* Escapers append to out. Invalid UTF-8 becomes U+FFFD; see each for controls. */
/* HTML text and attribute values: & < > " ' escaped; controls but TAB/LF/CR as U+FFFD. */
int report_esc_html(struct xs_buf *out, const char *s, size_t len);
/* XML 1.0 attribute or text: & < > " escaped, TAB/LF/CR as char refs, other controls U+FFFD. */
int report_esc_xml(struct xs_buf *out, const char *s, size_t len);
/* XML element text: as report_esc_xml, but LF, TAB and quotes stay as they are. */
int report_esc_xml_text(struct xs_buf *out, const char *s, size_t len);
/* One Markdown line: specials backslash-escaped, < > & as entities, newlines as spaces; capped. */
int report_esc_md(struct xs_buf *out, const char *s, size_t cap);
/* Terminal text: controls (ANSI escapes included) shown as '?'; capped. */
int report_esc_term(struct xs_buf *out, const char *s, size_t cap);

/* Worst verdict of an exchange's findings, as an index (-1 when it has none). */
int report_exchange_verdict(const json_t *ex);
/* Counts of an exchange's findings per verdict. */
void report_exchange_counts(const json_t *ex, size_t counts[REPORT_N_VERDICTS]);
/* Seconds from the first to the last message or HTTP request of an exchange. */
int64_t report_exchange_span_us(const json_t *ex, int64_t *first_us);

/*
 * The messages (or HTTP requests) an evidence string names: "msg:N" by index,
 * "frame:N" by capture frame, "http:N" by position. Up to max into out; count.
 */
size_t report_evidence(const json_t *ex, const char *evidence, const json_t **out, size_t max);

/* The summary object of a result computed from its exchanges (new reference or NULL). */
json_t *report_summary_compute(const json_t *result);
/*
 * The same from exchanges that are not in result["exchanges"] (the rules and
 * devices lists still are): n of them, exchange i's device id and findings
 * told by the callbacks (a finding: its rule id and verdict index, -1 for
 * none). report_summary_compute is this over result["exchanges"].
 */
struct report_exchanges {
	size_t n;
	const void *ctx;
	const char *(*device)(const void *ctx, size_t i);
	size_t (*n_findings)(const void *ctx, size_t i);
	void (*finding)(const void *ctx, size_t i, size_t k, const char **rule, int *verdict);
};
json_t *report_summary_over(const json_t *result, const struct report_exchanges *xs);
/* The rule object of result["rules"] with that id, or NULL. */
const json_t *report_rule(const json_t *result, const char *id);
/* The device object with that id, or NULL. */
const json_t *report_device(const json_t *result, const char *id);
/* "SPA504G 7.6.2c" or the address or the id: a short human name for a device. */
void report_device_label(const json_t *dev, struct xs_buf *out);

int report_render_junit(const json_t *r, struct xs_buf *out);
int report_render_html(const json_t *r, struct xs_buf *out);
int report_render_md(const json_t *r, struct xs_buf *out);

#endif
