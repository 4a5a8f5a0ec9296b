/* SPDX-License-Identifier: MIT */
/* pipe.c — a decoder's sink calls recorded on the reading thread, replayed in order on a second one. */
#include "pipe.h"
#include "workq.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define PIPE_CHUNK  (128u * 1024u) /* recorded calls handed over at once (bigger units: one each) */

enum ev_type { EV_UNIT, EV_NOTE, EV_TICK };

/* One recorded call; size covers what follows it, rounded up to the alignment. */
struct ev {
	alignas(max_align_t) uint32_t size;
	uint32_t type;
};

struct ev_unit {
	struct ev h;
	struct cap_unit u; /* u.len bytes and a NUL follow; u.p is set again on replay */
};

struct ev_note {
	struct ev h;
	uint64_t frame; /* the text follows, NUL-terminated */
};

struct ev_tick {
	struct ev h;
	int64_t ts_us;
};

struct chunk {
	struct chunk *next; /* in the free list */
	size_t size, used;
	alignas(max_align_t) uint8_t data[];
};

struct cap_pipe {
	struct cap_pipe_opts o;
	struct cap_sink to;   /* the target, called on the second thread */
	struct cap_sink sink; /* the recording one, for the decoder */
	struct cap_workq *q;  /* NULL once the pipe fell back to calling `to` here */
	struct chunk *cur;    /* being filled */
	struct chunk *free;   /* given back, for reuse */
	struct ev *open;      /* the unit being prepared: room may follow it */
	bool behind;          /* the replaying thread is behind (see rec_unit) */
	unsigned long producer_waits, worker_waits; /* as last seen */
};

/* ---- the replaying thread --------------------------------------------- */

/* How far ahead of the call being replayed its chunk is fetched into this
 * CPU's cache: the chunk was written on the other one, and a unit's first
 * read of its bytes otherwise waits for each line to cross. */
#define REPLAY_AHEAD 4096u

static void *replay(void *ctx, void *item)
{
	struct cap_pipe *p = ctx;
	struct chunk *c = item;
	size_t fetched = 0;
	for (size_t at = 0; at < c->used;) {
		for (size_t end = XS_MIN(at + REPLAY_AHEAD, c->used); fetched < end; fetched += XS_CACHE_LINE)
			__builtin_prefetch(c->data + fetched);
		struct ev *e = (struct ev *)(c->data + at);
		at += sizeof *e + e->size;
		if (e->type == EV_UNIT) {
			struct ev_unit *eu = (struct ev_unit *)e;
			eu->u.p = (const uint8_t *)(eu + 1);
			p->to.unit(p->to.ctx, &eu->u);
		} else if (e->type == EV_NOTE) {
			struct ev_note *en = (struct ev_note *)e;
			p->to.note(p->to.ctx, en->frame, (const char *)(en + 1));
		} else {
			p->to.tick(p->to.ctx, ((struct ev_tick *)e)->ts_us);
		}
	}
	return c;
}

/* ---- the reading thread ----------------------------------------------- */

static void reap(void *ctx, void *item)
{
	struct cap_pipe *p = ctx;
	struct chunk *c = item;
	c->next = p->free;
	p->free = c;
}

static void hand_over(struct cap_pipe *p)
{
	if (p->cur && p->cur->used)
		cap_workq_push(p->q, p->cur);
	else if (p->cur)
		reap(p, p->cur);
	p->cur = NULL;
}

/* Out of memory for a chunk: what is recorded is replayed first, then the pipe
 * calls `to` directly, on this thread, for the rest (same calls, same order). */
static void fall_back(struct cap_pipe *p)
{
	hand_over(p);
	cap_workq_finish(p->q);
	p->q = NULL;
}

/* Room for a call of n bytes (after its struct ev), or NULL: the pipe fell back. */
static struct ev *reserve(struct cap_pipe *p, enum ev_type type, size_t n)
{
	size_t need = sizeof(struct ev) + xs_align_max(n);
	if (need > UINT32_MAX) {
		fall_back(p);
		return NULL;
	}
	if (p->cur && p->cur->size - p->cur->used < need)
		hand_over(p);
	if (!p->cur) {
		struct chunk *c = p->free;
		if (c && c->size >= need) {
			p->free = c->next;
		} else {
			size_t size = XS_MAX((size_t)PIPE_CHUNK, need);
			if (!(c = malloc(sizeof *c + size))) {
				fall_back(p);
				return NULL;
			}
			c->size = size;
		}
		c->used = 0;
		p->cur = c;
	}
	struct ev *e = (struct ev *)(p->cur->data + p->cur->used);
	p->cur->used += need;
	e->size = (uint32_t)(need - sizeof *e);
	e->type = type;
	return e;
}

static void rec_unit(void *ctx, const struct cap_unit *u)
{
	struct cap_pipe *p = ctx;
	struct ev_unit *eu;
	if (!p->q || !(eu = (struct ev_unit *)reserve(p, EV_UNIT, sizeof *eu - sizeof eu->h + u->len + 1))) {
		p->to.unit(p->to.ctx, u);
		return;
	}
	uint8_t *b = (uint8_t *)(eu + 1);
	memcpy(b, u->p, u->len);
	b[u->len] = '\0';
	eu->u = *u;
	eu->u.p = b;
	eu->u.prep = NULL;
	/* behind from the time this thread had to wait for room until the
	 * replaying one waits for work: which of the two is the slower */
	unsigned long pw, ww;
	cap_workq_waits(p->q, &pw, &ww);
	if (pw != p->producer_waits)
		p->behind = true;
	else if (ww != p->worker_waits)
		p->behind = false;
	p->producer_waits = pw;
	p->worker_waits = ww;
	if (p->o.prepare && p->behind) {
		p->open = &eu->h;
		p->o.prepare(p, &eu->u);
		p->open = NULL;
	}
}

void *cap_pipe_room(struct cap_pipe *p, size_t n)
{
	struct chunk *c = p->cur;
	size_t need = xs_align_max(n);
	if (!p->open || !c || need > UINT32_MAX - p->open->size || c->size - c->used < need)
		return NULL;
	void *r = c->data + c->used;
	c->used += need;
	p->open->size += (uint32_t)need;
	return r;
}

static void rec_note(void *ctx, uint64_t frame, const char *what)
{
	struct cap_pipe *p = ctx;
	size_t n = strlen(what);
	struct ev_note *en;
	if (!p->q || !(en = (struct ev_note *)reserve(p, EV_NOTE, sizeof *en - sizeof en->h + n + 1))) {
		p->to.note(p->to.ctx, frame, what);
		return;
	}
	en->frame = frame;
	memcpy(en + 1, what, n + 1);
}

static int64_t rec_tick(void *ctx, int64_t ts_us)
{
	struct cap_pipe *p = ctx;
	struct ev_tick *et;
	if (!p->q || !(et = (struct ev_tick *)reserve(p, EV_TICK, sizeof *et - sizeof et->h)))
		return p->to.tick(p->to.ctx, ts_us);
	et->ts_us = ts_us;
	return p->o.clock(p->o.clock_ctx, ts_us);
}

int cap_pipe_start(struct cap_pipe **ret, const struct cap_pipe_opts *o)
{
	if (!ret || !o || !o->to || (o->to->tick && !o->clock))
		return -EINVAL;
	struct cap_pipe *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	p->o = *o;
	p->to = *o->to;
	p->sink = (struct cap_sink){ .ctx = p,
				     .unit = p->to.unit ? rec_unit : NULL,
				     .note = p->to.note ? rec_note : NULL,
				     .tick = p->to.tick ? rec_tick : NULL };
	int r = cap_workq_start(&p->q, CAP_PIPE_QUEUE, 1, replay, reap, p);
	if (r < 0) {
		free(p);
		return r;
	}
	*ret = p;
	return 0;
}

const struct cap_sink *cap_pipe_sink(struct cap_pipe *p)
{
	return &p->sink;
}

void cap_pipe_finish(struct cap_pipe *p)
{
	if (!p)
		return;
	if (p->q)
		fall_back(p);
	free(p->cur);
	for (struct chunk *c = p->free, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(p);
}
