/* SPDX-License-Identifier: MIT */
/* lru.c — a bounded least-recently-used map: caps on entries and on value bytes. */
#include "phone-int.h"

#include <stdlib.h>
#include <string.h>

struct lru_ent {
	struct lru_ent *hnext;        /* bucket chain */
	struct lru_ent *prev, *next;  /* recency list, head = most recent */
	void *value;
	size_t bytes;
	int64_t stamp;
	uint64_t hash;
	size_t klen;
	uint8_t key[];
};

struct lru {
	struct lru_ent **buckets;
	size_t nbuckets;              /* power of two */
	struct lru_ent *head, *tail;
	size_t count, max_entries;
	size_t bytes, max_bytes;
	uint64_t seed;
	void (*free_value)(void *);
};

static uint64_t hash_key(uint64_t seed, const uint8_t *k, size_t n)
{
	uint64_t h = xs_fnv64(XS_FNV64_INIT ^ seed, k, n);
	return h ^ (h >> 29);
}

int lru_new(struct lru **ret, size_t max_entries, size_t max_bytes, void (*free_value)(void *))
{
	if (!max_entries)
		return -EINVAL;
	struct lru *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->nbuckets = 16;
	while (l->nbuckets < max_entries * 2)
		l->nbuckets <<= 1;
	l->buckets = calloc(l->nbuckets, sizeof *l->buckets);
	if (!l->buckets) {
		free(l);
		return -ENOMEM;
	}
	l->max_entries = max_entries;
	l->max_bytes = max_bytes ? max_bytes : SIZE_MAX;
	l->seed = (uint64_t)(uintptr_t)l * 0x9e3779b97f4a7c15ull;
	l->free_value = free_value;
	*ret = l;
	return 0;
}

static void unlink_list(struct lru *l, struct lru_ent *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		l->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct lru *l, struct lru_ent *e)
{
	e->next = l->head;
	e->prev = NULL;
	if (l->head)
		l->head->prev = e;
	l->head = e;
	if (!l->tail)
		l->tail = e;
}

static void remove_ent(struct lru *l, struct lru_ent *e)
{
	struct lru_ent **pp = &l->buckets[e->hash & (l->nbuckets - 1)];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	unlink_list(l, e);
	if (l->free_value)
		l->free_value(e->value);
	l->bytes -= e->bytes;
	l->count--;
	free(e);
}

struct lru *lru_free(struct lru *l)
{
	if (!l)
		return NULL;
	while (l->tail)
		remove_ent(l, l->tail);
	free(l->buckets);
	free(l);
	return NULL;
}

static struct lru_ent *find(struct lru *l, const void *key, size_t klen, uint64_t h)
{
	for (struct lru_ent *e = l->buckets[h & (l->nbuckets - 1)]; e; e = e->hnext)
		if (e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

void *lru_get(struct lru *l, const void *key, size_t klen, int64_t *stamp)
{
	struct lru_ent *e = find(l, key, klen, hash_key(l->seed, key, klen));
	if (!e)
		return NULL;
	unlink_list(l, e);
	push_front(l, e);
	if (stamp)
		*stamp = e->stamp;
	return e->value;
}

int lru_put(struct lru *l, const void *key, size_t klen, void *value, size_t bytes, int64_t stamp)
{
	if (klen > LRU_MAX_KEY || bytes > l->max_bytes) {
		if (l->free_value)
			l->free_value(value);
		return -E2BIG;
	}
	uint64_t h = hash_key(l->seed, key, klen);
	struct lru_ent *old = find(l, key, klen, h);
	if (old)
		remove_ent(l, old);
	while (l->tail && (l->count >= l->max_entries || l->bytes + bytes > l->max_bytes))
		remove_ent(l, l->tail);
	struct lru_ent *e = malloc(sizeof *e + klen);
	if (!e) {
		if (l->free_value)
			l->free_value(value);
		return -ENOMEM;
	}
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->hash = h;
	e->value = value;
	e->bytes = bytes;
	e->stamp = stamp;
	size_t b = h & (l->nbuckets - 1);
	e->hnext = l->buckets[b];
	l->buckets[b] = e;
	push_front(l, e);
	l->count++;
	l->bytes += bytes;
	return 0;
}

size_t lru_count(const struct lru *l)
{
	return l->count;
}
