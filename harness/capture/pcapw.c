/* SPDX-License-Identifier: MIT */
/* pcapw.c — pcap writer: Ethernet + IPv4/IPv6 + UDP/TCP frames synthesised around payloads. */
#include "pcapw.h"

#include <arpa/inet.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pcapw_flow {
	uint8_t key[36]; /* family, src addr, dst addr, ports */
	uint32_t next_seq;
	uint64_t used;   /* last use, for forgetting the oldest */
};

struct pcapw {
	FILE *f;
	bool own;
	bool err;
	pthread_mutex_t lock;
	uint16_t ip_id;
	uint64_t tick;
	struct pcapw_flow *flows;
	size_t n_flows;
};

struct pcapw_addr {
	int family; /* AF_INET or AF_INET6 */
	uint8_t a[16];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static int parse_addr(const char *s, struct pcapw_addr *out)
{
	char tmp[64];
	size_t n = strlen(s);
	if (n >= sizeof tmp)
		return -EINVAL;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
		memcpy(tmp, s + 1, n - 2);
		tmp[n - 2] = '\0';
	} else {
		memcpy(tmp, s, n + 1);
	}
	char *pct = strchr(tmp, '%'); /* drop an IPv6 zone id */
	if (pct)
		*pct = '\0';
	memset(out, 0, sizeof *out);
	if (inet_pton(AF_INET, tmp, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, tmp, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

/* RFC 1071 one's-complement sum, continued from sum. */
static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int write_header(struct pcapw *w)
{
	uint8_t h[24];
	put32le(h, 0xa1b2c3d4u);
	h[4] = 2, h[5] = 0, h[6] = 4, h[7] = 0; /* version 2.4, little-endian */
	put32le(h + 8, 0);                      /* thiszone */
	put32le(h + 12, 0);                     /* sigfigs */
	put32le(h + 16, 262144);                /* snaplen */
	put32le(h + 20, 1);                     /* LINKTYPE_ETHERNET */
	return fwrite(h, 1, sizeof h, w->f) == sizeof h ? 0 : -EIO;
}

int pcapw_open_stream(struct pcapw **ret, FILE *f)
{
	struct pcapw *w = calloc(1, sizeof *w);
	if (!w)
		return -ENOMEM;
	w->f = f;
	pthread_mutex_init(&w->lock, NULL);
	int r = write_header(w);
	if (r < 0) {
		pthread_mutex_destroy(&w->lock);
		free(w);
		return r;
	}
	*ret = w;
	return 0;
}

int pcapw_open(struct pcapw **ret, const char *path)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -errno;
	struct pcapw *w;
	int r = pcapw_open_stream(&w, f);
	if (r < 0) {
		fclose(f);
		return r;
	}
	w->own = true;
	*ret = w;
	return 0;
}

/*
 * Write one frame: Ethernet, IP header for the family, the transport header
 * th (thlen bytes, checksum field at csum_off filled here) and the payload.
 */
static int write_frame(struct pcapw *w, const struct pcapw_addr *s, const struct pcapw_addr *d,
		       uint8_t proto, int64_t ts_us, uint8_t *th, size_t thlen, size_t csum_off,
		       const uint8_t *pl, size_t len)
{
	uint8_t hdr[14 + 40 + 60];
	size_t iplen = s->family == AF_INET ? 20 : 40;
	size_t l4len = thlen + len;
	size_t n = 0;

	memset(hdr, 0, 12); /* zero MACs, as on lo */
	put16(hdr + 12, s->family == AF_INET ? 0x0800 : 0x86dd);
	n = 14;
	uint8_t *ip = hdr + n;
	uint32_t sum;
	if (s->family == AF_INET) {
		if (iplen + l4len > 65535)
			return -EINVAL;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(iplen + l4len));
		put16(ip + 4, w->ip_id++);
		put16(ip + 6, 0x4000); /* DF */
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, s->a, 4);
		memcpy(ip + 16, d->a, 4);
		put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
		sum = csum_add(0, s->a, 4);
		sum = csum_add(sum, d->a, 4);
	} else {
		if (l4len > 65535)
			return -EINVAL;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, s->a, 16);
		memcpy(ip + 24, d->a, 16);
		sum = csum_add(0, s->a, 16);
		sum = csum_add(sum, d->a, 16);
	}
	n += iplen;
	/* RFC 768 / RFC 793 / RFC 8200 §8.1 pseudo-header */
	sum += proto;
	sum += (uint32_t)(l4len >> 16) + (uint32_t)(l4len & 0xffff);
	put16(th + csum_off, 0);
	sum = csum_add(sum, th, thlen);
	sum = csum_add(sum, pl, len);
	uint16_t c = csum_fold(sum);
	if (proto == 17 && c == 0)
		c = 0xffff;
	put16(th + csum_off, c);
	memcpy(hdr + n, th, thlen);
	n += thlen;

	uint8_t rec[16];
	int64_t sec = ts_us / 1000000, usec = ts_us % 1000000;
	if (usec < 0) {
		usec += 1000000;
		sec--;
	}
	put32le(rec, (uint32_t)sec);
	put32le(rec + 4, (uint32_t)usec);
	put32le(rec + 8, (uint32_t)(n + len));
	put32le(rec + 12, (uint32_t)(n + len));
	if (fwrite(rec, 1, 16, w->f) != 16 || fwrite(hdr, 1, n, w->f) != n ||
	    (len && fwrite(pl, 1, len, w->f) != len)) {
		w->err = true;
		return -EIO;
	}
	return 0;
}

static int endpoints(const struct xs_endpoint *src, const struct xs_endpoint *dst,
		     struct pcapw_addr *s, struct pcapw_addr *d)
{
	if (parse_addr(src->addr, s) < 0 || parse_addr(dst->addr, d) < 0 || s->family != d->family)
		return -EINVAL;
	return 0;
}

int pcapw_udp(struct pcapw *w, const struct xs_endpoint *src, const struct xs_endpoint *dst,
	      int64_t ts_us, const void *payload, size_t len)
{
	struct pcapw_addr s, d;
	if (!w || endpoints(src, dst, &s, &d) < 0 || len > 65535 - 8 - 20)
		return -EINVAL;
	uint8_t udp[8];
	put16(udp, src->port);
	put16(udp + 2, dst->port);
	put16(udp + 4, (uint16_t)(8 + len));
	pthread_mutex_lock(&w->lock);
	int r = write_frame(w, &s, &d, 17, ts_us, udp, 8, 6, payload, len);
	pthread_mutex_unlock(&w->lock);
	return r;
}

/* The directed flow's state, created (or recycled from the oldest) on first use. */
static struct pcapw_flow *flow_get(struct pcapw *w, const uint8_t key[36], bool create)
{
	struct pcapw_flow *oldest = NULL;
	for (size_t i = 0; i < w->n_flows; i++) {
		if (!memcmp(w->flows[i].key, key, 36)) {
			w->flows[i].used = ++w->tick;
			return &w->flows[i];
		}
		if (!oldest || w->flows[i].used < oldest->used)
			oldest = &w->flows[i];
	}
	if (!create)
		return NULL;
	struct pcapw_flow *f;
	if (w->n_flows < PCAPW_MAX_FLOWS) {
		if (!w->flows && !(w->flows = calloc(PCAPW_MAX_FLOWS, sizeof *w->flows)))
			return NULL;
		f = &w->flows[w->n_flows++];
	} else {
		f = oldest;
	}
	memcpy(f->key, key, 36);
	/* a fixed, key-derived initial sequence number keeps output deterministic */
	f->next_seq = xs_fnv32(XS_FNV32_INIT, key, 36);
	f->used = ++w->tick;
	return f;
}

static void flow_key(uint8_t key[36], const struct pcapw_addr *s, uint16_t sp,
		     const struct pcapw_addr *d, uint16_t dp)
{
	memset(key, 0, 36);
	memcpy(key, s->a, 16);
	memcpy(key + 16, d->a, 16);
	put16(key + 32, sp);
	put16(key + 34, dp);
}

int pcapw_tcp(struct pcapw *w, const struct xs_endpoint *src, const struct xs_endpoint *dst,
	      int64_t ts_us, const void *payload, size_t len)
{
	struct pcapw_addr s, d;
	if (!w || endpoints(src, dst, &s, &d) < 0)
		return -EINVAL;
	uint8_t key[36], rkey[36];
	flow_key(key, &s, src->port, &d, dst->port);
	flow_key(rkey, &d, dst->port, &s, src->port);
	pthread_mutex_lock(&w->lock);
	int r = 0;
	struct pcapw_flow *f = flow_get(w, key, true);
	if (!f) {
		r = -ENOMEM;
		goto out;
	}
	uint32_t seq = f->next_seq;
	struct pcapw_flow *rf = flow_get(w, rkey, false);
	uint32_t ack = rf ? rf->next_seq : 0;
	const uint8_t *p = payload;
	size_t off = 0;
	do {
		size_t n = XS_MIN(len - off, (size_t)PCAPW_MAX_SEGMENT);
		uint8_t tcp[20];
		memset(tcp, 0, sizeof tcp);
		put16(tcp, src->port);
		put16(tcp + 2, dst->port);
		put32(tcp + 4, seq);
		put32(tcp + 8, ack);
		tcp[12] = 5 << 4;
		tcp[13] = (uint8_t)(0x08 | (rf ? 0x10 : 0)); /* PSH, ACK once the peer spoke */
		put16(tcp + 14, 65535);
		r = write_frame(w, &s, &d, 6, ts_us, tcp, 20, 16, p + off, n);
		if (r < 0)
			goto out;
		seq += (uint32_t)n;
		off += n;
	} while (off < len);
	f->next_seq = seq;
out:
	pthread_mutex_unlock(&w->lock);
	return r;
}

int pcapw_flush(struct pcapw *w)
{
	if (!w)
		return -EINVAL;
	pthread_mutex_lock(&w->lock);
	int r = (fflush(w->f) != 0 || w->err) ? -EIO : 0;
	pthread_mutex_unlock(&w->lock);
	return r;
}

struct pcapw *pcapw_close(struct pcapw *w)
{
	if (!w)
		return NULL;
	fflush(w->f);
	if (w->own)
		fclose(w->f);
	pthread_mutex_destroy(&w->lock);
	free(w->flows);
	free(w);
	return NULL;
}
