/* SPDX-License-Identifier: MIT */
/* workq.c — a bounded FIFO of items handed to one worker thread, consumed in order, given back to be freed. */
#include "workq.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "harness/common/xs.h"

#define WORKQ_BATCH 64u /* items handed over, taken or given back per lock, at most */

struct cap_workq {
	pthread_mutex_t mu;
	pthread_cond_t not_empty, not_full;
	void **ring;            /* waiting for the worker */
	size_t cap, head, len;
	void **back;            /* given back by the worker, for the producer */
	size_t n_back, cap_back;
	bool stop;              /* no more items: the worker drains and ends */
	bool worker_waits, producer_waits;
	unsigned long n_worker_waits, n_producer_waits; /* times each waited for the other */
	unsigned long seen_worker_waits; /* the producer's view of n_worker_waits */
	cap_workq_fn fn;
	cap_workq_reap_fn reap;
	void *ctx;
	pthread_t th;
	void *staged[WORKQ_BATCH]; /* the producer's, handed over together */
	size_t n_staged, batch;   /* batch: staged items handed over at once */
};

/* Under q->mu: append the worker's given-back items (the array grows: nothing is lost). */
static void give_back(struct cap_workq *q, void **items, size_t n)
{
	if (q->n_back + n > q->cap_back) {
		size_t c = q->cap_back ? q->cap_back : 2 * WORKQ_BATCH;
		while (c < q->n_back + n)
			c *= 2;
		void **nb = realloc(q->back, c * sizeof *nb);
		if (!nb) { /* freed here instead: correct, only slower */
			pthread_mutex_unlock(&q->mu);
			for (size_t i = 0; i < n; i++)
				q->reap(q->ctx, items[i]);
			pthread_mutex_lock(&q->mu);
			return;
		}
		q->back = nb;
		q->cap_back = c;
	}
	for (size_t i = 0; i < n; i++)
		q->back[q->n_back++] = items[i];
}

static void *worker(void *arg)
{
	struct cap_workq *q = arg;
	void *batch[WORKQ_BATCH], *done[WORKQ_BATCH];
	size_t n_done = 0;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		if (n_done)
			give_back(q, done, n_done);
		n_done = 0;
		if (!q->len && !q->stop)
			q->n_worker_waits++;
		while (!q->len && !q->stop) {
			q->worker_waits = true;
			pthread_cond_wait(&q->not_empty, &q->mu);
		}
		q->worker_waits = false;
		size_t n = 0;
		while (q->len && n < WORKQ_BATCH) {
			batch[n++] = q->ring[q->head];
			q->head = (q->head + 1) % q->cap;
			q->len--;
		}
		bool end = !n && q->stop;
		if (n && q->producer_waits)
			pthread_cond_signal(&q->not_full);
		pthread_mutex_unlock(&q->mu);
		if (end)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			void *b = q->fn(q->ctx, batch[i]);
			if (b)
				done[n_done++] = b;
		}
	}
}

int cap_workq_start(struct cap_workq **ret, size_t cap, size_t batch, cap_workq_fn fn,
		    cap_workq_reap_fn reap, void *ctx)
{
	struct cap_workq *q = calloc(1, sizeof *q);
	if (!q)
		return -ENOMEM;
	q->cap = cap ? cap : 1;
	q->batch = batch ? XS_MIN(batch, (size_t)WORKQ_BATCH) : WORKQ_BATCH;
	q->ring = calloc(q->cap, sizeof *q->ring);
	if (!q->ring) {
		free(q);
		return -ENOMEM;
	}
	q->fn = fn;
	q->reap = reap;
	q->ctx = ctx;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->not_empty, NULL);
	pthread_cond_init(&q->not_full, NULL);
	int r = pthread_create(&q->th, NULL, worker, q);
	if (r) {
		pthread_cond_destroy(&q->not_full);
		pthread_cond_destroy(&q->not_empty);
		pthread_mutex_destroy(&q->mu);
		free(q->ring);
		free(q);
		return -r;
	}
	*ret = q;
	return 0;
}

/* Reap what the worker gave back, on the producer's thread, outside the lock. */
static void reap_back(struct cap_workq *q, void **back, size_t n)
{
	for (size_t i = 0; i < n; i++)
		q->reap(q->ctx, back[i]);
	free(back);
}

/* Hand the staged items over (waiting while the ring is full); take back what is done. */
static void flush(struct cap_workq *q)
{
	size_t i = 0;
	pthread_mutex_lock(&q->mu);
	while (i < q->n_staged) {
		if (q->len == q->cap)
			q->n_producer_waits++;
		while (q->len == q->cap) {
			q->producer_waits = true;
			pthread_cond_wait(&q->not_full, &q->mu);
		}
		q->producer_waits = false;
		for (; i < q->n_staged && q->len < q->cap; i++)
			q->ring[(q->head + q->len++) % q->cap] = q->staged[i];
		if (q->worker_waits)
			pthread_cond_signal(&q->not_empty);
	}
	q->n_staged = 0;
	q->seen_worker_waits = q->n_worker_waits;
	void **back = q->back;
	size_t n_back = q->n_back;
	q->back = NULL;
	q->n_back = q->cap_back = 0;
	pthread_mutex_unlock(&q->mu);
	reap_back(q, back, n_back);
}

void cap_workq_push(struct cap_workq *q, void *item)
{
	q->staged[q->n_staged++] = item;
	if (q->n_staged == q->batch)
		flush(q);
}

void cap_workq_waits(const struct cap_workq *q, unsigned long *producer, unsigned long *worker)
{
	*producer = q->n_producer_waits; /* the producer's own count */
	*worker = q->seen_worker_waits;
}

void cap_workq_finish(struct cap_workq *q)
{
	if (!q)
		return;
	flush(q);
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->not_empty);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->th, NULL);
	reap_back(q, q->back, q->n_back);
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_mutex_destroy(&q->mu);
	free(q->ring);
	free(q);
}
