/* SPDX-License-Identifier: MIT */
/* ipfrag.c — IPv4 and IPv6 fragment reassembly with bounded buffers, a timeout and overlap detection. */
#include "capture-int.h"

#include <stdlib.h>
#include <string.h>

#define FRAG_MAX_BYTES 65535u                     /* a datagram's payload */
#define FRAG_BLOCKS    ((FRAG_MAX_BYTES + 7) / 8) /* 8-octet units (RFC 791, RFC 8200 §4.5) */

struct frag_dgram {
	bool used;
	struct cap_addr src, dst;
	uint32_t id;
	uint8_t proto;
	int64_t first_ts;
	uint64_t first_frame;
	size_t total;      /* known once the last fragment came */
	bool have_last;
	bool overlap;
	size_t n_blocks;   /* blocks received */
	uint8_t *data;     /* FRAG_MAX_BYTES */
	uint8_t bits[(FRAG_BLOCKS + 7) / 8];
};

struct cap_frag_table {
	struct frag_dgram d[CAP_FRAG_MAX_DATAGRAMS];
	size_t n_used;
	int64_t next_deadline; /* earliest first_ts + timeout among used entries */
};

int cap_frag_new(struct cap_frag_table **ret)
{
	*ret = calloc(1, sizeof **ret);
	return *ret ? 0 : -ENOMEM;
}

static void dgram_release(struct cap_frag_table *t, struct frag_dgram *g)
{
	free(g->data);
	memset(g, 0, sizeof *g);
	t->n_used--;
}

struct cap_frag_table *cap_frag_free(struct cap_frag_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < CAP_FRAG_MAX_DATAGRAMS; i++)
		free(t->d[i].data);
	free(t);
	return NULL;
}

static bool same_addr(const struct cap_addr *a, const struct cap_addr *b)
{
	return a->family == b->family && !memcmp(a->a, b->a, a->family == 4 ? 4 : 16);
}

static void note_dropped(struct cap_decoder *d, const struct frag_dgram *g, const char *why)
{
	cap_note(d, g->first_frame,
		 "incomplete IPv%u datagram (id %u, first fragment in frame %llu) dropped: %s",
		 g->src.family, g->id, (unsigned long long)g->first_frame, why);
}

static void recompute_deadline(struct cap_frag_table *t)
{
	t->next_deadline = INT64_MAX;
	for (size_t i = 0; i < CAP_FRAG_MAX_DATAGRAMS; i++)
		if (t->d[i].used && t->d[i].first_ts + CAP_FRAG_TIMEOUT_US < t->next_deadline)
			t->next_deadline = t->d[i].first_ts + CAP_FRAG_TIMEOUT_US;
}

/* What the decoder checks per frame: when expire has something to do. */
static void set_due(struct cap_decoder *d)
{
	d->frag_due = d->frag->n_used ? d->frag->next_deadline : INT64_MAX;
}

void cap_frag_expire(struct cap_decoder *d, int64_t now_us, bool flush)
{
	struct cap_frag_table *t = d->frag;
	if (!t->n_used || (!flush && now_us < t->next_deadline))
		return;
	for (size_t i = 0; i < CAP_FRAG_MAX_DATAGRAMS; i++) {
		struct frag_dgram *g = &t->d[i];
		if (!g->used)
			continue;
		if (flush || now_us - g->first_ts > CAP_FRAG_TIMEOUT_US) {
			note_dropped(d, g, flush ? "end of capture" : "reassembly timeout (30 s)");
			dgram_release(t, g);
		}
	}
	recompute_deadline(t);
	set_due(d);
}

static struct frag_dgram *dgram_find(const struct cap_frame_ctx *fc, const struct cap_frag *f)
{
	struct cap_frag_table *t = fc->d->frag;
	struct frag_dgram *free_slot = NULL, *oldest = NULL;
	for (size_t i = 0; i < CAP_FRAG_MAX_DATAGRAMS; i++) {
		struct frag_dgram *g = &t->d[i];
		if (!g->used) {
			if (!free_slot)
				free_slot = g;
			continue;
		}
		if (g->id == f->id && same_addr(&g->src, &f->src) && same_addr(&g->dst, &f->dst) &&
		    (f->src.family == 6 || g->proto == f->proto))
			return g;
		if (!oldest || g->first_ts < oldest->first_ts)
			oldest = g;
	}
	if (!free_slot) {
		note_dropped(fc->d, oldest, "too many datagrams in reassembly");
		dgram_release(t, oldest);
		free_slot = oldest;
	}
	struct frag_dgram *g = free_slot;
	g->data = malloc(FRAG_MAX_BYTES);
	if (!g->data)
		return NULL;
	g->used = true;
	g->src = f->src;
	g->dst = f->dst;
	g->id = f->id;
	g->proto = f->proto;
	g->first_ts = fc->ts_us;
	g->first_frame = fc->frame;
	t->n_used++;
	if (fc->ts_us + CAP_FRAG_TIMEOUT_US < t->next_deadline)
		t->next_deadline = fc->ts_us + CAP_FRAG_TIMEOUT_US;
	return g;
}

static void frag_add(const struct cap_frame_ctx *fc, const struct cap_frag *f, unsigned depth);

void cap_frag_add(const struct cap_frame_ctx *fc, const struct cap_frag *f, unsigned depth)
{
	frag_add(fc, f, depth);
	set_due(fc->d);
}

static void frag_add(const struct cap_frame_ctx *fc, const struct cap_frag *f, unsigned depth)
{
	struct cap_frag_table *t = fc->d->frag;
	if (f->off + f->len > FRAG_MAX_BYTES) {
		cap_note(fc->d, fc->frame, "IP fragment past 64 KiB (offset %zu): skipped", f->off);
		return;
	}
	if (f->more && (f->len % 8 || !f->len)) {
		cap_note(fc->d, fc->frame,
			 "IP fragment of %zu bytes (not a multiple of 8) with more to come: skipped",
			 f->len);
		return;
	}
	struct frag_dgram *g = dgram_find(fc, f);
	if (!g)
		return;
	/* The offset-0 fragment of an IPv6 datagram names the payload's protocol. */
	if (f->off == 0)
		g->proto = f->proto;
	bool overlap = false;
	for (size_t b = f->off / 8; b * 8 < f->off + f->len; b++) {
		if (g->bits[b / 8] & (1u << (b % 8))) {
			overlap = true; /* keep the bytes that came first */
			continue;
		}
		size_t lo = XS_MAX(b * 8, f->off), hi = XS_MIN(b * 8 + 8, f->off + f->len);
		memcpy(g->data + lo, f->p + (lo - f->off), hi - lo);
		g->bits[b / 8] |= (uint8_t)(1u << (b % 8));
		g->n_blocks++;
	}
	if (overlap && !g->overlap) {
		g->overlap = true;
		cap_note(fc->d, fc->frame,
			 "overlapping IP fragment (offset %zu, %zu bytes): the bytes first seen kept",
			 f->off, f->len);
	}
	if (!f->more) {
		if (g->have_last && g->total != f->off + f->len) {
			note_dropped(fc->d, g, "two different last fragments");
			dgram_release(t, g);
			return;
		}
		g->have_last = true;
		g->total = f->off + f->len;
	}
	if (!g->have_last || g->n_blocks < (g->total + 7) / 8)
		return;
	/* complete: every block up to total is in (blocks past total would be overlap noise) */
	for (size_t b = 0; b < (g->total + 7) / 8; b++)
		if (!(g->bits[b / 8] & (1u << (b % 8))))
			return;
	fc->d->st.ip_reassembled++;
	struct frag_dgram whole = *g;
	g->data = NULL; /* handed to whole */
	dgram_release(t, g);
	struct cap_frame_ctx f2 = *fc;
	f2.cut = false;
	/* RFC 8200 §4.5: the fragmentable part may open with extension headers */
	if (whole.src.family == 6)
		cap_ip6_chain(&f2, whole.proto, &whole.src, &whole.dst, whole.data, whole.total, true,
			      depth);
	else
		cap_l4(&f2, whole.proto, &whole.src, &whole.dst, whole.data, whole.total, depth);
	free(whole.data);
}
