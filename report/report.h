/* SPDX-License-Identifier: MIT */
/* report.h — the result as JSON (schema xscert-report/1) and the writers rendered from it. */
#ifndef XS_REPORT_H
#define XS_REPORT_H

#include "harness/rules/record.h"

#include <jansson.h>

#define REPORT_SCHEMA "xscert-report/1"

/*
 * Build the JSON result (docs/report-schema.md) from the records. generated
 * is an ISO-8601 time for the "generated" field, NULL for "now". Raw messages
 * are included; passwords and HA1 never are (they are not in the records).
 * Returns a new reference, or NULL on ENOMEM.
 */
json_t *report_from_result(const struct xs_result *r, const char *generated);
/*
 * Only what report_summary_text reads: the same document without its
 * exchanges (an empty array; the summary is computed from the records, as the
 * full document's from its exchanges), so none is built, escaped and freed
 * again. Not a complete report (it does not validate). Same returns.
 */
json_t *report_from_result_lean(const struct xs_result *r, const char *generated);

/*
 * Check that j is a xscert-report/1 document well enough to render (schema
 * field, required arrays and fields). 0, or -EBADMSG with a message in err
 * naming the JSON path that is wrong.
 */
int report_validate(const json_t *j, char *err, size_t errlen);

enum report_format { REPORT_JSON = 0, REPORT_JUNIT, REPORT_HTML, REPORT_MD, REPORT_FORMAT_COUNT };
const char *report_format_name(enum report_format f); /* "json", "junit", "html", "md" */
/* Parse "json,junit,html,md" (any subset, any order) into a mask 1u << format; -EINVAL naming none. */
int report_formats_parse(const char *csv, unsigned *mask);

/*
 * Render one format of a validated result into out. Deterministic: the same
 * input gives the same bytes. 0, -ENOMEM, -EBADMSG.
 */
int report_render(const json_t *result, enum report_format f, struct xs_buf *out);

/* mkdir -p dir (mode 0777 less the umask). 0 or -errno. */
int report_make_dirs(const char *dir);

/*
 * Write every format in mask into dir (created if missing): result.json,
 * junit.xml, report.html, report.md. 0, or -errno with the failing path in
 * err.
 */
int report_write_dir(const json_t *result, const char *dir, unsigned mask, char *err,
		     size_t errlen);

/*
 * Merge several results (a fleet: phones, captures) into one, source kind
 * "merged": devices equal in address, server, model, firmware and profile are
 * joined and renumbered d1...; exchange ids become "N:id" (N = position from
 * 1); rules are united; the summary is recomputed; secrets are scrubbed.
 * "generated" is now, or $SOURCE_DATE_EPOCH. The inputs (validated by the
 * caller) are only read. New reference, or NULL on ENOMEM.
 */
json_t *report_merge(json_t *const *results, size_t n);

/*
 * Defence in depth: remove every object member whose name contains
 * "password", "passwd", "secret" or "ha1" (any case), at any depth. The
 * records never hold one; a merged or hand-edited input might. report_merge
 * and the json format apply it too.
 */
void report_scrub_secrets(json_t *j);

/*
 * A plain-text summary table for a terminal (verdict, source, devices, rules
 * with counts), appended to out; control characters in the result are shown
 * as '?'. 0 or -ENOMEM.
 */
int report_summary_text(const json_t *result, struct xs_buf *out);

#endif
