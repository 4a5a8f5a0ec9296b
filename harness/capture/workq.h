/* SPDX-License-Identifier: MIT */
/* workq.h — a bounded FIFO of items handed to one worker thread, consumed in order. */
#ifndef XS_CAPTURE_WORKQ_H
#define XS_CAPTURE_WORKQ_H

#include <stddef.h>

/*
 * One producer, one worker: fn(ctx, item) runs on the worker for every
 * pushed item, in push order, and may give an item back (its return; NULL:
 * none) for reap(ctx, item) to run on the producer's thread, so that memory
 * the producer allocated is freed where it came from (no allocator lock is
 * fought over). Items are handed over in batches, one lock each; the reaping
 * happens as the producer hands over the next batch (batch items at a time,
 * 1..64; 0: 64).
 *
 * cap_workq_start returns 0, -ENOMEM, or the negated pthread_create error.
 * cap_workq_push blocks while cap items wait (memory stays bounded).
 * cap_workq_finish hands over what is staged, lets the worker run it all,
 * joins it, reaps what it gave back and frees the queue (NULL accepted).
 */
struct cap_workq;
typedef void *(*cap_workq_fn)(void *ctx, void *item);
typedef void (*cap_workq_reap_fn)(void *ctx, void *item);
int cap_workq_start(struct cap_workq **ret, size_t cap, size_t batch, cap_workq_fn fn,
		    cap_workq_reap_fn reap, void *ctx);
void cap_workq_push(struct cap_workq *q, void *item);
/* for the producer: how many times it waited for room, and the worker for items
 * (as of its last hand-over); no lock */
void cap_workq_waits(const struct cap_workq *q, unsigned long *producer, unsigned long *worker);
void cap_workq_finish(struct cap_workq *q);

#endif
