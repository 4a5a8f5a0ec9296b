/* SPDX-License-Identifier: MIT */
/* tcp.c — TCP stream reassembly (out of order, retransmitted, overlapping) and message framing by Content-Length. */
#include "capture-int.h"

#include <stdlib.h>
#include <string.h>

#define TCP_BUCKETS 8192u /* power of two */

struct tcp_ooo {
	struct tcp_ooo *next; /* sorted by seq */
	uint32_t seq;
	size_t len;
	uint64_t frame;
	uint8_t data[];
};

/* One direction of a connection that carries (or started to carry) SIP or HTTP. */
struct tcp_dir {
	struct tcp_dir *hnext;
	struct tcp_dir *lru_prev, *lru_next; /* least recently active first */
	struct cap_flow fl;
	uint32_t hash;
	bool hunting;       /* lost track of message boundaries: wait for a start line */
	bool seen_msg;      /* framed a message already: junk after that is worth a note */
	uint32_t next_seq;  /* next byte expected (when !hunting) */
	struct xs_buf buf;  /* bytes not yet framed */
	size_t skip;        /* bytes of an over-cap message still to drop */
	uint64_t buf_frame; /* frame the first buffered byte came in */
	struct tcp_ooo *ooo;
	size_t ooo_bytes;
	int64_t last_ts;
};

struct cap_tcp_table {
	struct tcp_dir *b[TCP_BUCKETS];
	struct tcp_dir *lru_head, *lru_tail;
	size_t n;
	size_t mem; /* bytes held in buffers and out-of-order segments */
};

int cap_tcp_new(struct cap_tcp_table **ret)
{
	*ret = calloc(1, sizeof **ret);
	return *ret ? 0 : -ENOMEM;
}

static size_t addr_len(const struct cap_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

static uint32_t flow_hash(const struct cap_flow *f)
{
	uint32_t h = xs_fnv32(XS_FNV32_INIT, f->src.a, addr_len(&f->src));
	h = xs_fnv32(h, f->dst.a, addr_len(&f->src));
	h = (h ^ f->sport) * 16777619u;
	h = (h ^ f->dport) * 16777619u;
	return h;
}

static bool flow_eq(const struct cap_flow *a, const struct cap_flow *b)
{
	return a->sport == b->sport && a->dport == b->dport && a->src.family == b->src.family &&
	       !memcmp(a->src.a, b->src.a, addr_len(&a->src)) &&
	       !memcmp(a->dst.a, b->dst.a, addr_len(&a->src));
}

static void dir_clear(struct cap_tcp_table *t, struct tcp_dir *d)
{
	t->mem -= d->buf.cap + d->ooo_bytes;
	xs_buf_reset(&d->buf);
	while (d->ooo) {
		struct tcp_ooo *o = d->ooo;
		d->ooo = o->next;
		free(o);
	}
	d->ooo_bytes = 0;
	d->skip = 0;
}

static void lru_unlink(struct cap_tcp_table *t, struct tcp_dir *d)
{
	if (d->lru_prev)
		d->lru_prev->lru_next = d->lru_next;
	else
		t->lru_head = d->lru_next;
	if (d->lru_next)
		d->lru_next->lru_prev = d->lru_prev;
	else
		t->lru_tail = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
}

static void lru_append(struct cap_tcp_table *t, struct tcp_dir *d)
{
	d->lru_prev = t->lru_tail;
	d->lru_next = NULL;
	if (t->lru_tail)
		t->lru_tail->lru_next = d;
	else
		t->lru_head = d;
	t->lru_tail = d;
}

static void dir_remove(struct cap_tcp_table *t, struct tcp_dir *d)
{
	lru_unlink(t, d);
	struct tcp_dir **pp = &t->b[d->hash & (TCP_BUCKETS - 1)];
	while (*pp && *pp != d)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = d->hnext;
	dir_clear(t, d);
	free(d);
	t->n--;
}

struct cap_tcp_table *cap_tcp_free(struct cap_tcp_table *t)
{
	if (!t)
		return NULL;
	for (size_t i = 0; i < TCP_BUCKETS; i++)
		while (t->b[i])
			dir_remove(t, t->b[i]);
	free(t);
	return NULL;
}

static void note_pending(struct cap_decoder *dec, struct tcp_dir *d, const char *why)
{
	if (d->buf.len)
		cap_note(dec, d->buf_frame,
			 "%zu bytes of an incomplete TCP message (from frame %llu) dropped: %s",
			 d->buf.len, (unsigned long long)d->buf_frame, why);
	if (d->ooo)
		cap_note(dec, d->ooo->frame,
			 "%zu out-of-order TCP bytes (from frame %llu) never filled in: %s",
			 d->ooo_bytes, (unsigned long long)d->ooo->frame, why);
}

static void skip_gap(const struct cap_frame_ctx *fc, struct tcp_dir *d);

void cap_tcp_flush(struct cap_decoder *dec)
{
	struct cap_tcp_table *t = dec->tcp;
	for (size_t i = 0; i < TCP_BUCKETS; i++)
		while (t->b[i]) {
			struct tcp_dir *d = t->b[i];
			/* data held behind a gap: frame what it holds before giving up */
			while (d->ooo) {
				struct cap_frame_ctx fc = { .d = dec, .frame = d->ooo->frame,
							    .ts_us = d->last_ts };
				skip_gap(&fc, d);
			}
			note_pending(dec, d, "end of capture");
			dir_remove(t, d);
		}
}

/* Forget directions silent for CAP_TCP_IDLE_US, and the least recently active one when full. */
static void evict(struct cap_decoder *dec, int64_t now_us)
{
	struct cap_tcp_table *t = dec->tcp;
	while (t->lru_head && now_us - t->lru_head->last_ts > CAP_TCP_IDLE_US) {
		note_pending(dec, t->lru_head, "stream idle for 300 s");
		dir_remove(t, t->lru_head);
	}
	if (t->n >= CAP_TCP_MAX_STREAMS && t->lru_head) {
		note_pending(dec, t->lru_head, "too many TCP streams at once");
		dir_remove(t, t->lru_head);
	}
}

static struct tcp_dir *dir_find(struct cap_tcp_table *t, const struct cap_flow *fl, uint32_t h)
{
	for (struct tcp_dir *d = t->b[h & (TCP_BUCKETS - 1)]; d; d = d->hnext)
		if (d->hash == h && flow_eq(&d->fl, fl))
			return d;
	return NULL;
}

static struct tcp_dir *dir_new(struct cap_decoder *dec, const struct cap_flow *fl, uint32_t h,
			       int64_t now_us)
{
	struct cap_tcp_table *t = dec->tcp;
	evict(dec, now_us);
	struct tcp_dir *d = calloc(1, sizeof *d);
	if (!d)
		return NULL;
	d->fl = *fl;
	d->hash = h;
	d->hunting = true;
	d->hnext = t->b[h & (TCP_BUCKETS - 1)];
	t->b[h & (TCP_BUCKETS - 1)] = d;
	lru_append(t, d);
	t->n++;
	return d;
}

/* Find the next line that is a start line; its offset, or len when none (keep a partial line). */
static size_t resync(const uint8_t *p, size_t len, size_t *keep_from)
{
	size_t i = 0;
	*keep_from = len;
	while (i < len) {
		const uint8_t *nl = xs_find_byte(p + i, '\n', len - i);
		if (!nl) {
			*keep_from = len - i > 2048 ? len : i; /* a partial line may yet be one */
			return len;
		}
		i = (size_t)(nl - p) + 1;
		if (cap_classify(p + i, len - i) >= 0)
			return i;
		size_t rest = len - i;
		if (rest && rest < 2048 && !xs_find_byte(p + i, '\n', rest)) {
			*keep_from = i;
			return len;
		}
	}
	return len;
}

/*
 * Frame as many whole messages as p holds; returns the bytes consumed (the
 * rest is an incomplete message, kept by the caller).
 */
static size_t frame_messages(const struct cap_frame_ctx *fc, struct tcp_dir *d,
			     const uint8_t *p, size_t len)
{
	size_t off = 0;
	while (off < len) {
		if (d->skip) {
			size_t n = XS_MIN(d->skip, len - off);
			d->skip -= n;
			off += n;
			continue;
		}
		while (off < len && (p[off] == '\r' || p[off] == '\n')) /* RFC 5626 keepalives */
			off++;
		if (off == len)
			break;
		int kind = 0;
		size_t skip;
		long n = cap_frame_len(p + off, len - off, &kind, &skip);
		if (n > 0) {
			d->seen_msg = true;
			cap_emit(fc, (enum cap_kind)kind, XS_TP_TCP, &d->fl, p + off, (size_t)n);
			off += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (n == -E2BIG) {
			cap_note(fc->d, fc->frame,
				 "TCP message over the %u-byte cap: %s", SIP_MAX_MSG,
				 skip ? "skipped by its Content-Length" : "stream resynchronised");
			if (skip) {
				d->skip = skip;
				continue;
			}
			/* no length to go by: the next start line here, else at a segment start */
			size_t keep;
			size_t next = resync(p + off, len - off, &keep);
			if (next < len - off) {
				off += next;
				continue;
			}
			d->hunting = true;
			return len;
		}
		if (!d->seen_msg) { /* a stream that never carried SIP or HTTP requests */
			d->hunting = true;
			return len;
		}
		/* not a start line: look for the next one */
		size_t keep;
		size_t next = resync(p + off, len - off, &keep);
		if (XS_MIN(next, keep))
			cap_note(fc->d, fc->frame,
				 "%zu bytes of unrecognised data in a TCP stream skipped",
				 XS_MIN(next, keep));
		if (next < len - off) {
			off += next;
			continue;
		}
		if (keep == len - off) {
			d->hunting = true; /* no start line anywhere: wait for one at a segment start */
			return len;
		}
		return off + keep;
	}
	return off;
}

/* Append in-order bytes to the stream and frame what is whole. */
static void deliver(const struct cap_frame_ctx *fc, struct tcp_dir *d, const uint8_t *p,
		    size_t len)
{
	struct cap_tcp_table *t = fc->d->tcp;
	d->next_seq += (uint32_t)len;
	if (d->hunting) { /* resume at a segment that starts a message */
		if (cap_start_line(p, len) == -1)
			return;
		d->hunting = false;
	}
	if (!d->buf.len) { /* fast path: frame straight from the segment */
		size_t used = frame_messages(fc, d, p, len);
		if (d->hunting || used == len)
			return;
		p += used;
		len -= used;
		d->buf_frame = fc->frame;
	}
	if (t->mem + len > CAP_TCP_MEM_MAX || d->buf.len + len > (size_t)SIP_MAX_MSG + 4096) {
		cap_note(fc->d, fc->frame, "TCP buffers full: %zu pending bytes dropped",
			 d->buf.len + len);
		dir_clear(t, d);
		d->hunting = true;
		return;
	}
	size_t cap0 = d->buf.cap;
	if (xs_buf_append(&d->buf, p, len) < 0) {
		t->mem -= cap0;
		xs_buf_reset(&d->buf);
		d->hunting = true;
		return;
	}
	t->mem += d->buf.cap - cap0;
	size_t used = frame_messages(fc, d, d->buf.p, d->buf.len);
	if (d->hunting) {
		t->mem -= d->buf.cap;
		xs_buf_reset(&d->buf);
		return;
	}
	if (used) {
		memmove(d->buf.p, d->buf.p + used, d->buf.len - used);
		d->buf.len -= used;
		d->buf_frame = fc->frame;
	}
	if (!d->buf.len) { /* give the memory back between messages */
		t->mem -= d->buf.cap;
		xs_buf_reset(&d->buf);
	}
}

/* Deliver what the out-of-order list now continues. */
static void drain_ooo(const struct cap_frame_ctx *fc, struct tcp_dir *d)
{
	while (d->ooo && (int32_t)(d->ooo->seq - d->next_seq) <= 0) {
		struct tcp_ooo *o = d->ooo;
		d->ooo = o->next;
		d->ooo_bytes -= o->len;
		fc->d->tcp->mem -= o->len;
		uint32_t behind = d->next_seq - o->seq;
		if (behind < o->len)
			deliver(fc, d, o->data + behind, o->len - behind);
		else
			fc->d->st.tcp_retrans++;
		free(o);
	}
}

/*
 * A gap that never fills: drop what waits before it and restart at the held
 * data (framed only from a start line, since it begins mid-stream).
 */
static void skip_gap(const struct cap_frame_ctx *fc, struct tcp_dir *d)
{
	struct cap_tcp_table *t = fc->d->tcp;
	cap_note(fc->d, fc->frame,
		 "TCP stream has a gap before sequence %u that was never filled: "
		 "%zu buffered bytes dropped, stream resynchronised",
		 d->ooo->seq, d->buf.len);
	t->mem -= d->buf.cap;
	xs_buf_reset(&d->buf);
	d->skip = 0;
	d->next_seq = d->ooo->seq;
	d->hunting = cap_start_line(d->ooo->data, d->ooo->len) == -1;
	drain_ooo(fc, d);
}

/*
 * Walk the held segments over [seq, seq + len). They never overlap: a byte
 * held keeps its first copy, as the in-order stream does (RFC 9293
 * §3.10.7.4: only the new part of a segment is processed) and the IP
 * fragments do; *differ_frame is set to the frame of a first copy a later
 * one disagrees with. With store, the bytes no segment holds are added.
 * Returns how many such bytes there are.
 */
static size_t hold_fill(struct cap_tcp_table *t, struct tcp_dir *d, uint32_t seq,
			const uint8_t *p, size_t len, uint64_t frame, bool store,
			uint64_t *differ_frame)
{
	struct tcp_ooo **pp = &d->ooo;
	size_t fresh = 0;
	while (len) {
		while (*pp && (int32_t)((*pp)->seq + (uint32_t)(*pp)->len - seq) <= 0)
			pp = &(*pp)->next;
		struct tcp_ooo *o = *pp;
		size_t n;
		if (o && (int32_t)(o->seq - seq) <= 0) { /* held already */
			size_t in = seq - o->seq;
			n = XS_MIN(o->len - in, len);
			if (!*differ_frame && memcmp(o->data + in, p, n))
				*differ_frame = o->frame;
		} else {
			n = o ? XS_MIN(len, (size_t)(o->seq - seq)) : len;
			fresh += n;
			if (store) {
				struct tcp_ooo *nw = malloc(sizeof *nw + n);
				if (!nw)
					return fresh;
				nw->seq = seq;
				nw->len = n;
				nw->frame = frame;
				memcpy(nw->data, p, n);
				nw->next = o;
				*pp = nw;
				pp = &nw->next;
				d->ooo_bytes += n;
				t->mem += n;
			}
		}
		seq += (uint32_t)n;
		p += n;
		len -= n;
	}
	return fresh;
}

static void note_differ(const struct cap_frame_ctx *fc, uint64_t first)
{
	if (first)
		cap_note(fc->d, fc->frame,
			 "overlapping TCP segment with different bytes: the first copy "
			 "(frame %llu) kept", (unsigned long long)first);
}

/* A segment that starts at or before next_seq: its new bytes go on, the held ones stay. */
static void take_in_order(const struct cap_frame_ctx *fc, struct tcp_dir *d, uint32_t seq,
			  const uint8_t *p, size_t len)
{
	size_t behind = d->next_seq - seq;
	if (behind >= len) {
		fc->d->st.tcp_retrans++;
		return;
	}
	if (behind) {
		fc->d->st.tcp_retrans++;
		cap_note(fc->d, fc->frame,
			 "TCP segment overlaps %zu bytes already received: the first copy kept",
			 behind);
	}
	p += behind;
	len -= behind;
	seq = d->next_seq;
	size_t now = len; /* up to the first held byte */
	if (d->ooo && (int32_t)(d->ooo->seq - seq) >= 0 && (size_t)(d->ooo->seq - seq) < len)
		now = d->ooo->seq - seq;
	deliver(fc, d, p, now);
	if (now < len) {
		uint64_t differ = 0;
		hold_fill(fc->d->tcp, d, seq + (uint32_t)now, p + now, len - now, fc->frame, true,
			  &differ);
		note_differ(fc, differ);
	}
	drain_ooo(fc, d);
}

static void hold_ooo(const struct cap_frame_ctx *fc, struct tcp_dir *d, uint32_t seq,
		     const uint8_t *p, size_t len)
{
	struct cap_tcp_table *t = fc->d->tcp;
	uint64_t differ = 0;
	size_t fresh = hold_fill(t, d, seq, p, len, fc->frame, false, &differ);
	note_differ(fc, differ);
	if (!fresh) {
		fc->d->st.tcp_retrans++;
		return;
	}
	if (d->ooo_bytes + fresh > CAP_TCP_OOO_MAX || t->mem + fresh > CAP_TCP_MEM_MAX) {
		if (!d->ooo) {
			cap_note(fc->d, fc->frame, "TCP buffers full: segment skipped");
			return;
		}
		skip_gap(fc, d);
		if ((int32_t)(seq - d->next_seq) <= 0) {
			take_in_order(fc, d, seq, p, len);
			return;
		}
		if (d->ooo_bytes + len > CAP_TCP_OOO_MAX || t->mem + len > CAP_TCP_MEM_MAX)
			return;
	}
	uint64_t again = 0; /* a difference was noted by the first walk */
	hold_fill(t, d, seq, p, len, fc->frame, true, &again);
}

void cap_tcp_segment(const struct cap_frame_ctx *fc, const struct cap_flow *fl,
		     const struct cap_tcp_seg *s)
{
	struct cap_tcp_table *t = fc->d->tcp;
	uint32_t h = flow_hash(fl);
	struct tcp_dir *d = dir_find(t, fl, h);
	if (!d) {
		/* Follow a direction from its SYN, or from a segment that starts a message. */
		if (s->rst || (!s->syn && (!s->len || cap_start_line(s->p, s->len) == -1)))
			return;
		d = dir_new(fc->d, fl, h, fc->ts_us);
		if (!d)
			return;
	} else if (d != t->lru_tail) {
		lru_unlink(t, d);
		lru_append(t, d);
	}
	d->last_ts = fc->ts_us;
	if (s->rst) {
		note_pending(fc->d, d, "connection reset");
		dir_remove(t, d);
		return;
	}
	uint32_t seq = s->seq;
	if (s->syn) {
		dir_clear(t, d);
		d->next_seq = seq + 1;
		d->hunting = false;
		seq++;
	}
	const uint8_t *p = s->p;
	size_t len = s->len;
	if (len && d->hunting && !d->buf.len && !d->ooo) {
		if (cap_start_line(p, len) == -1)
			goto fin;
		d->hunting = false;
		d->next_seq = seq;
	}
	if (len) {
		int32_t rel = (int32_t)(seq - d->next_seq);
		bool far = rel > (int32_t)CAP_TCP_WINDOW || rel < -(int32_t)CAP_TCP_WINDOW;
		if (far && cap_classify(p, len) >= 0) {
			/* more lost than the window (capture drops, a SYN not seen on a
			 * reused port): where a message starts, the stream goes on */
			cap_note(fc->d, fc->frame,
				 "TCP stream resynchronised at a start line %d bytes from the expected "
				 "sequence: the bytes in between were not captured, %zu pending bytes "
				 "dropped", rel, d->buf.len + d->ooo_bytes);
			dir_clear(t, d);
			d->next_seq = seq;
			d->hunting = false;
			take_in_order(fc, d, seq, p, len);
		} else if (far) {
			cap_note(fc->d, fc->frame,
				 "TCP segment out of the window (%d bytes from the expected sequence): "
				 "skipped", rel);
		} else if (rel > 0) {
			hold_ooo(fc, d, seq, p, len);
		} else {
			take_in_order(fc, d, seq, p, len);
		}
	}
fin:
	/* a FIN that arrived ahead of missing data waits for the end of the capture */
	if (s->fin && !d->ooo && (d->hunting || (int32_t)(seq + (uint32_t)len - d->next_seq) <= 0)) {
		note_pending(fc->d, d, "connection closed");
		dir_remove(t, d);
	}
}
