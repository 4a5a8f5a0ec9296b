/* SPDX-License-Identifier: MIT */
/* record.h — the data the parts share (DESIGN.md §5): exchange, finding, result. */
#ifndef XS_RECORD_H
#define XS_RECORD_H

#include "../common/xs.h"
#include "../sip/sipmsg.h"

/* An HTTP request the phone made (live: the observer; capture: decoded). */
struct xs_http_req {
	struct xs_endpoint src, dst;
	int64_t ts_us;
	uint64_t frame;
	char *method;      /* owned */
	char *target;      /* request-target as sent, owned */
	char *url;         /* absolute URL rebuilt from Host + target, owned */
	char *user_agent;  /* owned, NULL when absent */
};

/* What is known of the device under test. All strings owned, NULL when unknown. */
struct xs_device {
	char *id;       /* "d1" ... stable within a result */
	char *address;  /* "127.0.0.1:5060" */
	char *server;   /* Server / User-Agent as seen */
	char *model;    /* "SPA504G", "CP-8851" */
	char *firmware; /* "7.6.2c", "11.3.7" */
	char *profile;  /* chosen profile name */
};

/*
 * What the sender meant its authenticated retry to be. Live runs know it from
 * the scenario; the analyzer infers it from credentials when it has them.
 */
enum xs_auth_intent {
	XS_AUTH_UNKNOWN = 0,
	XS_AUTH_NONE,           /* no retry intended */
	XS_AUTH_CORRECT,
	XS_AUTH_WRONG_PASSWORD,
	XS_AUTH_WRONG_USER,
	XS_AUTH_WRONG_REALM,
	XS_AUTH_WRONG_URI,
	XS_AUTH_REPLAY,
	XS_AUTH_STALE,
};

enum xs_verdict { XS_PASS = 0, XS_FAIL, XS_WARN, XS_SKIP, XS_ERROR, XS_VERDICT_COUNT };
enum xs_subject { XS_SUBJECT_PHONE = 0, XS_SUBJECT_SENDER };
const char *xs_verdict_name(enum xs_verdict v);   /* "pass", "fail", ... */
const char *xs_subject_name(enum xs_subject s);   /* "phone", "sender" */
const char *xs_auth_intent_name(enum xs_auth_intent i); /* "correct", "wrong-password", ... */
/* Name back to value (exact, lower case as printed); 0 or -EINVAL. */
int xs_verdict_from_name(const char *name, enum xs_verdict *v);
int xs_auth_intent_from_name(const char *name, enum xs_auth_intent *i);

/* Fetch window an exchange starts with (xs_exchange_new), microseconds. */
#define XS_FETCH_WINDOW_DEFAULT_US 5000000

struct xs_finding {
	const char *rule;      /* static: the rule id, "XS-CHAL-01" */
	enum xs_verdict verdict;
	enum xs_subject subject;
	char *detail;          /* owned: one sentence, why */
	char *evidence;        /* owned: "msg:0,msg:2" or "frame:12,frame:14"; may be NULL */
};

/*
 * One push attempt: first NOTIFY, challenge, authenticated retry, final
 * answer, and the HTTP requests inside the fetch window.
 */
struct xs_exchange {
	char *id;              /* "e1"... or scenario-step id; part of the exchange's allocation */
	char *scenario;        /* owned: scenario name, NULL for captures */
	char *title;           /* owned: one line, what was attempted */
	const char *device_id; /* borrowed from the result's device */

	struct sip_msg **msgs; /* owned, in time order */
	size_t n_msgs;
	/* roles: indexes into msgs, -1 when absent */
	int i_notify, i_challenge, i_retry, i_final;

	struct xs_http_req *http; /* owned */
	size_t n_http;

	enum xs_auth_intent intent;
	const char *expected_profile; /* borrowed; NULL: none expected */
	int64_t fetch_window_us;
	/* rules add findings without detail or evidence (detail NULL): for an
	 * exchange that is only counted (the analyzer's folded ones), not the
	 * formatting of every message */
	bool terse;

	struct xs_finding *findings; /* owned */
	size_t n_findings;
};

/* A note about input that was skipped or could not be judged (analyzer). */
struct xs_note {
	uint64_t frame;  /* 0 when not tied to a frame */
	char *file;      /* owned, may be NULL */
	char *what;      /* owned */
};

enum xs_source_kind { XS_SOURCE_LIVE = 0, XS_SOURCE_CAPTURE };

/* The whole result; serialised as JSON schema xscert-report/1 (docs/report-schema.md). */
struct xs_result {
	enum xs_source_kind source_kind;
	char *target;        /* live: "udp:127.0.0.1:5060"; owned */
	bool emulated;       /* live against the built-in emulator */
	char **files;        /* captures analysed; owned */
	size_t n_files;

	struct xs_device *devices; /* owned */
	size_t n_devices;
	struct xs_exchange **exchanges; /* owned */
	size_t n_exchanges;
	struct xs_note *notes; /* owned */
	size_t n_notes;
};

/*
 * Constructors and destructors; *_free accept NULL and return NULL and free
 * everything the record owns. The add functions return 0 (or the index) or a
 * negative errno (-EINVAL misuse, -ENOMEM); on failure nothing is handed over:
 * the caller still owns what it passed.
 */
int xs_result_new(struct xs_result **ret, enum xs_source_kind kind);
struct xs_result *xs_result_free(struct xs_result *r);
/* Adds a device (strings copied; NULL allowed); returns its index or -ENOMEM. */
int xs_result_add_device(struct xs_result *r, const struct xs_device *d);
/* Hands ex over to r. */
int xs_result_add_exchange(struct xs_result *r, struct xs_exchange *ex);
/* Appends a copy of path to r->files. */
int xs_result_add_file(struct xs_result *r, const char *path);
int xs_result_add_note(struct xs_result *r, const char *file, uint64_t frame,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A new exchange: id copied ("e1" when NULL), roles -1, intent UNKNOWN,
 * fetch window XS_FETCH_WINDOW_DEFAULT_US. */
int xs_exchange_new(struct xs_exchange **ret, const char *id);
/*
 * Hand r an exchange that is only a verdict on the phone: no messages, one
 * finding of rule (a phone that could not be judged further: unidentified,
 * unreachable). id and title copied, device_id borrowed like ex->device_id.
 * 0, or -EINVAL / -ENOMEM with nothing added.
 */
int xs_result_add_verdict(struct xs_result *r, const char *id, const char *title,
			  const char *device_id, const char *rule, enum xs_verdict v,
			  const char *fmt, ...) __attribute__((format(printf, 7, 8)));
struct xs_exchange *xs_exchange_free(struct xs_exchange *ex);
/* Frees the findings only (the exchange stays, with none). */
void xs_exchange_drop_findings(struct xs_exchange *ex);
/* Hands m over to ex (appended in order); returns its index or -ENOMEM. */
int xs_exchange_add_msg(struct xs_exchange *ex, struct sip_msg *m);
/* Copies req (strings duplicated). */
int xs_exchange_add_http(struct xs_exchange *ex, const struct xs_http_req *req);
/* Adds a finding; rule must be a static string (a catalogue id); detail is
 * printf-formatted; evidence copied (may be NULL). */
int xs_exchange_add_finding(struct xs_exchange *ex, const char *rule,
			    enum xs_verdict v, enum xs_subject s,
			    const char *evidence, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));
/* Adds a finding with no detail (NULL) and no evidence: a terse exchange's. */
int xs_exchange_add_bare_finding(struct xs_exchange *ex, const char *rule, enum xs_verdict v,
				 enum xs_subject s);

/* Counts of verdicts across all exchanges; counts[XS_VERDICT_COUNT]. */
void xs_result_count(const struct xs_result *r, size_t counts[XS_VERDICT_COUNT]);

#endif
