/* SPDX-License-Identifier: MIT */
/* osipmem.c — an arena for libosip2's allocations during a dropped parse (osipmem.h). */
#include "osipmem.h"
#include "../common/xs.h"

#include <osipparser2/osip_port.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#define OSIPMEM_ALIGN alignof(max_align_t)
#define OSIPMEM_BLOCK (64u * 1024u) /* heap blocks past the caller's buffer, at least */

struct osipmem_block {
	struct osipmem_block *next;
	size_t size;
	alignas(max_align_t) uint8_t data[];
};

/* Each allocation is preceded by its size (for realloc), one alignment unit. */
struct osipmem_hdr {
	alignas(max_align_t) size_t size;
};

static _Thread_local struct osipmem *cur;

static bool in_arena(const struct osipmem *a, const void *p)
{
	const uint8_t *q = p;
	if (a->first && q >= a->first && q < a->first + a->first_size)
		return true;
	for (const struct osipmem_block *b = a->heap; b; b = b->next)
		if (q >= b->data && q < b->data + b->size)
			return true;
	return false;
}

/* n bytes carved from what is left of the block (the caller checked there is room). */
static inline void *carve(struct osipmem *a, size_t n, size_t need)
{
	struct osipmem_hdr *h = (struct osipmem_hdr *)(a->base + a->used);
	a->used += need;
	h->size = n;
	return h + 1;
}

/* The block is used up: a new one from the heap, then n bytes of it. */
static __attribute__((noinline)) void *arena_grow(struct osipmem *a, size_t n)
{
	if (n > SIZE_MAX / 2)
		return NULL;
	size_t need = sizeof(struct osipmem_hdr) + xs_align_max(n);
	size_t size = XS_MAX((size_t)OSIPMEM_BLOCK, need);
	struct osipmem_block *b = malloc(sizeof *b + size);
	if (!b)
		return NULL;
	b->size = size;
	b->next = a->heap;
	a->heap = b;
	a->base = b->data;
	a->size = size;
	a->used = 0;
	return carve(a, n, need);
}

static void *arena_alloc(struct osipmem *a, size_t n)
{
	size_t need = sizeof(struct osipmem_hdr) + xs_align_max(n);
	/* n past half the address space would wrap `need`: the slow path refuses it */
	if (__builtin_expect(n > SIZE_MAX / 2 || a->size - a->used < need, 0))
		return arena_grow(a, n);
	return carve(a, n, need);
}

static void *om_malloc(size_t n)
{
	struct osipmem *a = cur;
	return a ? arena_alloc(a, n) : malloc(n);
}

static void om_free(void *p)
{
	if (p && !(cur && in_arena(cur, p)))
		free(p);
}

static void *om_realloc(void *p, size_t n)
{
	if (!cur || (p && !in_arena(cur, p)))
		return realloc(p, n);
	void *q = arena_alloc(cur, n);
	if (q && p) {
		const struct osipmem_hdr *h = (const struct osipmem_hdr *)p - 1;
		memcpy(q, p, XS_MIN(h->size, n));
	}
	return q;
}

void osipmem_install(void)
{
	osip_set_allocators(om_malloc, om_realloc, om_free);
}

void osipmem_begin(struct osipmem *a, void *buf, size_t n)
{
	uint8_t *b = buf;
	size_t skip = buf ? (OSIPMEM_ALIGN - (uintptr_t)b % OSIPMEM_ALIGN) % OSIPMEM_ALIGN : 0;
	skip = XS_MIN(skip, n);
	*a = (struct osipmem){ .base = buf ? b + skip : NULL, .size = buf ? n - skip : 0,
			       .first = buf, .first_size = buf ? n : 0, .outer = cur };
	cur = a;
}

void osipmem_end(struct osipmem *a)
{
	for (struct osipmem_block *b = a->heap, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->heap = NULL;
	cur = a->outer;
}
