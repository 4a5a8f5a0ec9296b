/* SPDX-License-Identifier: MIT */
/* scenario.h — a certification scenario (docs/scenario-format.md) and its YAML loader. */
#ifndef XS_SCENARIO_H
#define XS_SCENARIO_H

#include "harness/common/xs.h"

/*
 * A scenario is data: a name, what it proves, the profiles it applies to and
 * a list of steps. Strings are owned by the scenario. Templates (body, event,
 * uri) may hold ${variables}; they are checked at load time and expanded by
 * the runner (scenario_expand).
 */

#define SC_MAX_FILE   (1u << 20) /* a scenario file larger than this is refused */
#define SC_MAX_STEPS  64u
#define SC_MAX_RULES  32u
#define SC_MAX_LIST   32u        /* profiles, rules */

enum sc_step_kind {
	SC_STEP_NOTIFY = 0, /* send a NOTIFY (and its authenticated retry) */
	SC_STEP_OPTIONS,    /* send an OPTIONS (liveness) */
	SC_STEP_WAIT,       /* sleep */
};

enum sc_body_kind { SC_BODY_NONE = 0, SC_BODY_URL, SC_BODY_XML, SC_BODY_RAW };
enum sc_newline { SC_NL_NONE = 0, SC_NL_LF, SC_NL_CRLF };

/* How the authenticated retry is built (the runner's side of the exchange). */
enum sc_auth {
	SC_AUTH_NONE = 0,      /* no retry: the first answer is final */
	SC_AUTH_DIGEST,        /* right credentials */
	SC_AUTH_WRONG_PASSWORD,
	SC_AUTH_WRONG_USER,
	SC_AUTH_WRONG_REALM,
	SC_AUTH_WRONG_URI,     /* digest-uri names another phone */
	SC_AUTH_REPLAY,        /* after a 2xx, resend the same Authorization (same nonce, nc) */
	SC_AUTH_STALE,         /* wait out the nonce, then answer the old challenge */
	SC_AUTH_COUNT
};
const char *sc_auth_name(enum sc_auth a); /* "none", "digest", "wrong-password", ... */

enum sc_expect_kind {
	SC_EXPECT_ANY = 0,   /* not checked */
	SC_EXPECT_STATUS,    /* exact code */
	SC_EXPECT_CLASS,     /* 1..6: "2xx" */
	SC_EXPECT_NOTHING,   /* no answer at all (Timer F fires) */
};
enum sc_fetch { SC_FETCH_ANY = 0, SC_FETCH_EXPECTED, SC_FETCH_FORBIDDEN };

struct sc_step {
	enum sc_step_kind kind;
	char *title;            /* owned; one line, may be NULL */
	unsigned line;          /* where the step starts in the file (1-based) */
	unsigned action_line;   /* where its action (notify, options, wait) is */

	/* NOTIFY */
	char *event;            /* template; "XML-Service" by default */
	enum sc_body_kind body_kind;
	char *body;             /* template; NULL for SC_BODY_NONE */
	size_t body_len;        /* bytes of the template (may hold NULs for raw) */
	enum sc_newline newline; /* appended after a url body, only when asked */
	long content_length;    /* -1: the body's length; else sent as given */
	char *content_type;     /* NULL: chosen from the body kind */
	enum sc_auth auth;
	bool retransmit;        /* send the final request a second time (same branch) */

	/* what is expected of the final answer */
	enum sc_expect_kind expect;
	int expect_value;       /* status, or class digit */

	/* HTTP fetch of the pushed URL(s) */
	enum sc_fetch fetch;
	double fetch_within_s;  /* the window; default 5 (expected) or 2 (forbidden) */

	/* rules to evaluate on the exchange; none listed: all */
	char **rules;
	size_t n_rules;

	double wait_s;          /* SC_STEP_WAIT; or extra wait before a stale retry */
};

struct scenario {
	char *file;             /* the path it was loaded from (or the name given) */
	char *name;             /* required */
	char *proves;           /* required: what it proves, one paragraph */
	char **profiles;        /* empty: applies to every profile */
	size_t n_profiles;
	int transport;          /* -1: as the run says; else enum xs_transport */
	struct sc_step *steps;
	size_t n_steps;
};

/* Where and why a file was refused; line/column are 1-based (0: not known). */
struct sc_error {
	char file[256];
	unsigned line;
	unsigned column;
	char what[256];   /* "expected a mapping for 'notify'", ... */
};
/* "FILE:LINE:COLUMN: WHAT" into out. */
void sc_error_format(const struct sc_error *e, char *out, size_t size);

/*
 * Parse a scenario from len bytes of YAML; name is used in errors and kept as
 * ->file. Returns 0 with *ret, -EBADMSG with *err filled (position and what was
 * expected), -E2BIG over SC_MAX_FILE / SC_MAX_STEPS, -ENOMEM.
 */
int scenario_parse(struct scenario **ret, const uint8_t *buf, size_t len, const char *name,
		   struct sc_error *err);
/* Read and parse a file; -errno when unreadable (err says which file). */
int scenario_load(struct scenario **ret, const char *path, struct sc_error *err);
struct scenario *scenario_free(struct scenario *s); /* accepts NULL, returns NULL */

/* True when the scenario applies to profile (NULL profile: only if it lists none). */
bool scenario_applies(const struct scenario *s, const char *profile);

/*
 * Load every *.yaml / *.yml in dir, sorted by file name. On failure returns
 * the error of the first bad file and frees what it loaded.
 */
int scenario_load_dir(const char *dir, struct scenario ***ret, size_t *n, struct sc_error *err);
void scenario_list_free(struct scenario **list, size_t n);

/*
 * Where the suite is when no SCENARIO|DIR is given, first that exists of:
 * $XSCERT_SCENARIOS; <dir of the executable>/../share/xscert/scenarios (an
 * installed xscert); the source tree's scenarios/ compiled in at build time.
 * Returns a static or environment string (borrowed).
 */
const char *scenario_default_dir(void);

/* The variables a template may use. Borrowed strings; NULL expands to "". */
struct sc_vars {
	const char *http;    /* the observer's base URL, no trailing slash */
	const char *token;   /* fresh per run */
	const char *target;  /* the phone's SIP URI, "sip:159@127.0.0.1:5060" */
	const char *user;    /* the line's user */
	const char *host;    /* the phone's address as in a URI ("[::1]:5060") */
	const char *scenario; /* the scenario's file stem */
	const char *step;    /* "1", "2", ... */
};
/* Names the loader accepts inside ${...}, NULL-terminated. */
extern const char *const sc_var_names[];

/*
 * Expand ${name} in tmpl (len bytes) into out (appended). "$$" is a literal
 * '$'. Returns 0, -EINVAL for an unknown or unterminated variable, -ENOMEM.
 */
int scenario_expand(const char *tmpl, size_t len, const struct sc_vars *v, struct xs_buf *out);

#endif
