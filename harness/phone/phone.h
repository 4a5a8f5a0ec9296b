/* SPDX-License-Identifier: MIT */
/* phone.h — the phone emulator: a request handler (bytes in, response and actions out) and its server loop. */
#ifndef XS_PHONE_H
#define XS_PHONE_H

#include "../common/xs.h"
#include "../firmware/firmware.h"
#include "../sip/transport.h"

#include <signal.h>

/* Named caps of the emulator's state: everything it remembers is bounded. */
#define PHONE_MAX_FETCH       8u          /* fetch actions from one request (3 items, twice) */
#define PHONE_MAX_URL         2048u       /* longest URL fetched; longer ones are rejected */
#define PHONE_NONCE_TABLE     8192u       /* nonces remembered for nc tracking (LRU) */
#define PHONE_RETX_ENTRIES    4096u       /* cached responses for retransmissions (LRU) */
#define PHONE_RETX_BYTES      (8u << 20)  /* and their total size */
#define PHONE_RETX_TTL_MS     32000       /* RFC 3261 §17.2: Timer J = 64*T1 */
#define PHONE_NONCE_TTL_S     60u         /* default nonce lifetime */
#define PHONE_SECRET_LEN      32u

/* Faulty behaviours, chosen with --quirk. */
enum phone_quirk {
	PHONE_Q_NO_AUTH = 0,          /* act without challenging */
	PHONE_Q_STATIC_NONCE,         /* the same nonce in every challenge, never stale */
	PHONE_Q_NO_QOP,               /* challenge without qop (RFC 2069 style) */
	PHONE_Q_ACCEPT_ANY_PASSWORD,  /* a wrong response is accepted */
	PHONE_Q_ACCEPT_REPLAY,        /* a replayed nc is accepted */
	PHONE_Q_IGNORE_STALE,         /* expired nonces are accepted */
	PHONE_Q_WRONG_REALM_ACCEPTED, /* credentials for another realm are accepted */
	PHONE_Q_NO_FETCH,             /* accepts but never fetches */
	PHONE_Q_FETCH_TWICE,          /* fetches every URL twice */
	PHONE_Q_DROP,                 /* drop:PERCENT of the received messages */
	PHONE_Q_DELAY,                /* delay:MS every response */
	PHONE_Q_BAD_VIA,              /* the response Via is not the request's */
	PHONE_Q_HANG_ON,              /* hang-on:SUBSTRING stop answering forever after such a body */
	/* beyond the list, so every phone-subject rule of DESIGN.md §6 can fail: */
	PHONE_Q_BAD_CHALLENGE,        /* the 401's challenge has no nonce (XS-CHAL-02) */
	PHONE_Q_BAD_ALGORITHM,        /* the challenge names an algorithm no RFC defines (XS-CHAL-04) */
	PHONE_Q_REJECT_ALL,           /* right credentials rejected too (XS-AUTH-01) */
	PHONE_Q_WRONG_URL,            /* fetches another URL than the pushed one (XS-FETCH-02) */
	PHONE_Q_NO_RETX_CACHE,        /* a retransmission is handled as new (XS-SIP-02) */
	PHONE_Q_COUNT
};
const char *phone_quirk_name(enum phone_quirk q); /* "no-auth", ... */

struct phone_quirks {
	unsigned mask;          /* 1u << enum phone_quirk */
	unsigned drop_percent;  /* 0..100 */
	unsigned delay_ms;      /* 0..60000 */
	char hang_on[128];      /* substring, non-empty with PHONE_Q_HANG_ON */
};
/*
 * Parse one --quirk value ("no-auth", "drop:30", "delay:200", "hang-on:XYZ")
 * into q (adding to what is there). 0, or -EINVAL when unknown or out of range.
 */
int phone_quirk_parse(const char *spec, struct phone_quirks *q);
static inline bool phone_quirk_on(const struct phone_quirks *q, enum phone_quirk k)
{
	return (q->mask >> k) & 1u;
}

/* One event as a JSON object on one line (no newline); line borrowed for the call. */
typedef void (*phone_event_fn)(void *ctx, const char *line);

struct phone_config {
	const struct fw_profile *profile; /* required */
	const char *user;                 /* required; copied */
	const char *password;             /* required; copied, wiped on free, never logged */
	const char *realm;                /* required; copied */
	unsigned nonce_ttl_s;             /* 0: PHONE_NONCE_TTL_S */
	struct phone_quirks quirks;
	/* Fuzzing and tests: a fixed nonce secret and a deterministic random
	 * stream make every nonce and tag reproducible from the inputs. */
	const uint8_t *nonce_secret;      /* PHONE_SECRET_LEN bytes, or NULL: random per run */
	uint64_t rng_seed;                /* 0: getrandom; otherwise a fixed stream */
	phone_event_fn on_event;          /* may be NULL: no events */
	void *event_ctx;
};

/* Why an authenticated request was, or was not, accepted. */
enum phone_auth {
	PHONE_AUTH_NONE = 0,         /* not an authenticated exchange (OPTIONS, 489, ...) */
	PHONE_AUTH_CHALLENGED,       /* no credentials: challenged */
	PHONE_AUTH_OK,
	PHONE_AUTH_SKIPPED,          /* no-auth quirk */
	PHONE_AUTH_WRONG_PASSWORD,
	PHONE_AUTH_WRONG_USER,
	PHONE_AUTH_WRONG_REALM,
	PHONE_AUTH_URI_MISMATCH,
	PHONE_AUTH_REPLAYED_NC,
	PHONE_AUTH_FOREIGN_NONCE,
	PHONE_AUTH_STALE_NONCE,
	PHONE_AUTH_ALGORITHM,        /* algorithm not offered */
	PHONE_AUTH_QOP,              /* qop not offered */
	PHONE_AUTH_MALFORMED,        /* Authorization unreadable */
	PHONE_AUTH_COUNT
};
const char *phone_auth_name(enum phone_auth a); /* "wrong password", "replayed nc", ... */

/* Where a message came from and when (the handler never reads a clock). */
struct phone_req_info {
	enum xs_transport tp;
	struct xs_endpoint src;
	int64_t now_us;              /* wall clock, microseconds since the epoch */
};

/* One URL to fetch: the exact bytes (may hold CR/LF); owned by phone_out. */
struct phone_fetch {
	char *url;
	size_t len;
};

/* What the handler decided for one message. Zero-initialise; reset between uses. */
struct phone_out {
	struct xs_buf resp;          /* response bytes; len 0: send nothing */
	int status;                  /* response status, 0 when none */
	unsigned delay_ms;           /* send the response this much later (delay quirk) */
	bool retransmission;         /* resp is the cached answer of an earlier copy */
	bool dropped;                /* unanswered: broken, a response, drop/hang quirk */
	enum phone_auth auth;
	size_t n_fetch;
	struct phone_fetch fetch[PHONE_MAX_FETCH];
};
void phone_out_reset(struct phone_out *out); /* frees what out holds, zeroes it */

struct phone;

/*
 * Create a handler. Strings are copied; the profile is borrowed (a static
 * table entry). Returns 0, -EINVAL on a missing field, -ENOMEM, or -EIO when
 * no random bytes could be had.
 */
int phone_new(struct phone **ret, const struct phone_config *cfg);
/* Wipes the password and secret. Accepts NULL, returns NULL. */
struct phone *phone_free(struct phone *ph);

/*
 * Handle one received message: decide the response (mirroring Via, From,
 * To with a tag, Call-ID and CSeq), verify credentials, and list the URLs to
 * fetch; emit events. No I/O: the caller sends out->resp and runs the
 * fetches. out must be zero or reset. Returns 0 (whatever the message was:
 * garbage is dropped and logged), or -ENOMEM.
 */
int phone_handle(struct phone *ph, const uint8_t *buf, size_t len,
		 const struct phone_req_info *info, struct phone_out *out);

/*
 * Emit an event through the handler's sink (thread-safe): `event` is its
 * name, `obj` (a jansson json_t *, reference stolen, may be NULL) the fields.
 */
void phone_emit(struct phone *ph, const char *event, void *obj);

/* ---- the server: transport + handler + fetch worker + delay queue ---- */

struct phone_server_config {
	struct phone_config phone;
	struct sip_tp_config tp;     /* on_drop is the server's: TCP framing errors become
				      * "message dropped" events with the reason */
	unsigned fetch_timeout_ms;   /* 0: 3000 */
};
struct phone_server;

/* Bind and start the fetch worker. -EADDRINUSE when the port is taken. */
int phone_server_new(struct phone_server **ret, const struct phone_server_config *cfg);
/* The bound address of a transport; -ENOENT when not open. */
int phone_server_local(const struct phone_server *s, enum xs_transport t, struct xs_endpoint *out);
/* Serve until *stop becomes non-zero. 0, or a negative errno if the wait fails. */
int phone_server_run(struct phone_server *s, volatile sig_atomic_t *stop);
/* Stops the worker (waiting for a running fetch) and closes everything. */
struct phone_server *phone_server_free(struct phone_server *s);

#endif
