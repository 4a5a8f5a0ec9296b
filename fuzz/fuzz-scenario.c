/* SPDX-License-Identifier: MIT */
/* fuzz-scenario.c — the scenario loader (YAML through libyaml) and template expansion. */
/*
 * Input: one scenario file. A refused file must come with a position and a
 * reason; a loaded one must respect the caps, and every template it holds
 * must expand (the loader promises to have checked the variables).
 */
#include "fuzz.h"
#include "harness/scenario/scenario.h"

#include <string.h>

#define FUZZ_SCENARIO_MAX_INPUT (64u * 1024u) /* real scenarios are ~1 KiB; SC_MAX_FILE is 1 MiB */

static const struct sc_vars vars = {
	.http = "http://127.0.0.1:8080", .token = "t0k3n", .target = "sip:159@127.0.0.1:5060",
	.user = "159", .host = "127.0.0.1:5060", .scenario = "fuzz", .step = "1",
};

/* checked: the template came from a loaded scenario, whose variables were checked */
static void expand(const char *tmpl, size_t len, bool checked)
{
	struct xs_buf out = { 0 };
	int rc;

	if (!tmpl)
		return;
	rc = scenario_expand(tmpl, len, &vars, &out);
	FUZZ_ASSERT(rc == 0 || rc == -ENOMEM || (!checked && rc == -EINVAL));
	xs_buf_reset(&out);
}

static void check(const struct scenario *s)
{
	FUZZ_ASSERT(s->name && s->proves && s->file);
	FUZZ_ASSERT(s->n_steps <= SC_MAX_STEPS && s->n_profiles <= SC_MAX_LIST);
	scenario_applies(s, NULL);
	scenario_applies(s, "spa504g-7.6.2");
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct sc_step *st = &s->steps[i];
		FUZZ_ASSERT(st->n_rules <= SC_MAX_RULES);
		FUZZ_ASSERT(st->auth < SC_AUTH_COUNT && sc_auth_name(st->auth) != NULL);
		if (st->kind != SC_STEP_NOTIFY)
			continue;
		expand(st->event, st->event ? strlen(st->event) : 0, true);
		expand(st->body, st->body_len, true);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scenario *s = NULL;
	struct sc_error err;
	char text[640];
	int rc;

	fuzz_quiet();
	if (size > FUZZ_SCENARIO_MAX_INPUT)
		return 0;
	memset(&err, 0, sizeof err);
	rc = scenario_parse(&s, data, size, "fuzz.yaml", &err);
	if (rc < 0) {
		FUZZ_ASSERT(s == NULL);
		FUZZ_ASSERT(rc == -EBADMSG || rc == -E2BIG || rc == -ENOMEM);
		FUZZ_ASSERT(memchr(err.what, '\0', sizeof err.what) && memchr(err.file, '\0', sizeof err.file));
		FUZZ_ASSERT(rc != -EBADMSG || err.what[0] != '\0');
		sc_error_format(&err, text, sizeof text);
		FUZZ_ASSERT(memchr(text, '\0', sizeof text));
		return 0;
	}
	check(s);
	scenario_free(s);

	/* the template language alone, on the raw bytes */
	expand((const char *)data, size, false);
	return 0;
}
