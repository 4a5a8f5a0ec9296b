/* SPDX-License-Identifier: MIT */
/* observer.h — the HTTP observer: serves pushed URLs and records every request the phone makes. */
#ifndef XS_SCENARIO_OBSERVER_H
#define XS_SCENARIO_OBSERVER_H

#include "harness/rules/record.h"

struct sc_observer;

/*
 * Called from the observer's thread for each request, after it was recorded
 * (req borrowed for the call). Used to write the fetch to the capture.
 */
typedef void (*sc_observer_hook)(void *ctx, const struct xs_http_req *req);

/*
 * Listen on listen_addr ("127.0.0.1:0", "[::1]:8080"; port 0 takes a free one)
 * with libmicrohttpd in its own thread. base_url is what phones are told to
 * fetch from ("http://192.0.2.1:8080" behind NAT); NULL: "http://ADDR:PORT".
 * Returns 0, -EINVAL (bad address), -EADDRINUSE, -ENOMEM or another -errno.
 */
int sc_observer_start(struct sc_observer **ret, const char *listen_addr, const char *base_url,
		      sc_observer_hook hook, void *hook_ctx);
/* Stops the daemon and frees everything; accepts NULL, returns NULL. */
struct sc_observer *sc_observer_stop(struct sc_observer *o);

/* The base URL (no trailing slash) and the address listened on. Borrowed. */
const char *sc_observer_base_url(const struct sc_observer *o);
const struct xs_endpoint *sc_observer_endpoint(const struct sc_observer *o);

/* Requests recorded so far. */
size_t sc_observer_count(struct sc_observer *o);
/*
 * Wait until more than have requests are recorded or deadline_mono_us passes.
 * Returns the count then.
 */
size_t sc_observer_wait(struct sc_observer *o, size_t have, int64_t deadline_mono_us);
/* Copy request idx into out (strings duplicated; clear with sc_http_req_clear). 0 or -ENOENT/-ENOMEM. */
int sc_observer_get(struct sc_observer *o, size_t idx, struct xs_http_req *out);
void sc_http_req_clear(struct xs_http_req *r);

/* Parse "ADDR:PORT" / "[V6]:PORT" / "ADDR" (port dflt); 0 or -EINVAL. host gets no brackets. */
int sc_parse_hostport(const char *s, char *host, size_t hostsize, uint16_t *port, uint16_t dflt);

/* The body the observer serves: a small CiscoIPPhoneText naming the path. */
int sc_observer_page(const char *path, struct xs_buf *out);

#endif
