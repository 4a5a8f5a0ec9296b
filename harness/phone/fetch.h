/* SPDX-License-Identifier: MIT */
/* fetch.h — the emulator's fetch worker: a bounded queue of URLs, one libcurl thread. */
#ifndef XS_PHONE_FETCH_H
#define XS_PHONE_FETCH_H

#include "phone-int.h"

#define FETCH_QUEUE_MAX  64u            /* URLs waiting; more are dropped with an event */
#define FETCH_TIMEOUT_MS 3000u          /* default: connect and whole transfer */
#define FETCH_BODY_MAX   (1u << 20)     /* bytes read from a page before giving up */

struct fetcher;

/* Start the worker; events go through ph (borrowed, must outlive it). 0 or -errno. */
int fetcher_new(struct fetcher **ret, struct phone *ph, unsigned timeout_ms);
/*
 * Queue one fetch; the URL is handed over (job->url set to NULL) in every
 * case. 0, or -E2BIG when the queue is full (the URL is dropped, an event says so).
 */
int fetcher_push(struct fetcher *f, struct phone_fetch *job);
/* Stop the worker, waiting for a running fetch; drop the queue. NULL-safe, returns NULL. */
struct fetcher *fetcher_free(struct fetcher *f);

#endif
