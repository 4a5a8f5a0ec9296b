/* SPDX-License-Identifier: MIT */
/*
 * osipmem.h — libosip2's allocations during a parse whose result is only looked
 * at and dropped: taken from an arena and dropped with it, all at once.
 *
 * libosip2 allocates some 36 small blocks for a plain response and frees them one by
 * one afterwards; for a verdict (does libosip2 accept these bytes?) that is most
 * of the cost. Between osipmem_begin and osipmem_end the calling thread's
 * libosip2 allocations come from the arena (first from the caller's buffer,
 * then from blocks of the heap) and its frees are no-ops; osipmem_end drops
 * them all. Nothing libosip2 made in between may be used after it. Other
 * threads, and this one outside the pair, get malloc, realloc and free as usual.
 */
#ifndef XS_SIP_OSIPMEM_H
#define XS_SIP_OSIPMEM_H

#include <stddef.h>
#include <stdint.h>

struct osipmem_block;

struct osipmem {
	uint8_t *base;  /* the block being carved */
	size_t used, size;
	struct osipmem_block *heap; /* blocks past the caller's buffer, newest first */
	uint8_t *first; /* the caller's buffer */
	size_t first_size;
	struct osipmem *outer; /* the pair this one is nested in, if any */
};

/* Route libosip2's allocator through here; once per process, before any parse. */
void osipmem_install(void);

/* From here on, this thread's libosip2 allocations come from a (buf of n bytes first). */
void osipmem_begin(struct osipmem *a, void *buf, size_t n);

/* Drop everything allocated since osipmem_begin(a) and return to malloc. */
void osipmem_end(struct osipmem *a);

#endif
