/* SPDX-License-Identifier: MIT */
/* gen-capture.c — build a large capture for bench/analyze: reference exchanges replayed with shifted addresses and Call-IDs, between non-SIP traffic. */
#include "harness/capture/capture.h"
#include "harness/capture/pcapw.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/*
 * gen-capture OUT.pcap MEGABYTES OTHER_KB REFERENCE.pcap...
 *
 * The SIP messages and HTTP requests of the reference captures (decoded with
 * the capture module) are replayed as exchange templates: copy i gets
 * addresses 10.<i>.x.y, its Call-ID suffixed with "-<i>", and starts 20 ms
 * after copy i-1. After every copy come OTHER_KB KiB of traffic that is not
 * SIP: a third RTP-like UDP packets of 172 bytes, the rest TCP segments of
 * 1448 bytes of a bulk download. Stops when the file reaches MEGABYTES.
 */

struct unit {
	enum cap_kind kind;
	enum xs_transport tp;
	bool from_a;     /* sent by the template's first sender */
	int64_t dt_us;   /* from the template's first message */
	uint8_t *p;
	size_t len;
};

struct tmpl {
	struct unit *u;
	size_t n;
	struct xs_endpoint a;
	int64_t t0;
};

static struct tmpl *tmpls;
static size_t n_tmpls;

static void on_unit(void *ctx, const struct cap_unit *cu)
{
	struct tmpl *t = ctx;
	struct unit *nu = realloc(t->u, (t->n + 1) * sizeof *nu);
	if (!nu)
		exit(1);
	t->u = nu;
	if (!t->n) {
		t->a = cu->src;
		t->t0 = cu->ts_us;
	}
	struct unit *u = &t->u[t->n++];
	u->kind = cu->kind;
	u->tp = cu->tp;
	u->from_a = !strcmp(cu->src.addr, t->a.addr) && cu->src.port == t->a.port;
	u->dt_us = cu->ts_us - t->t0;
	u->p = malloc(cu->len);
	memcpy(u->p, cu->p, cu->len);
	u->len = cu->len;
}

/* The payload with every Call-ID value suffixed by "-<i>" (headers only). */
static size_t shift_callid(const struct unit *u, unsigned long i, uint8_t *out, size_t cap)
{
	size_t o = 0, k = 0;
	char suffix[24];
	int sl = snprintf(suffix, sizeof suffix, "-%lu", i);
	bool in_headers = true;
	while (k < u->len && o + 32 < cap) {
		const uint8_t *line = u->p + k;
		const uint8_t *nl = memchr(line, '\n', u->len - k);
		size_t ll = nl ? (size_t)(nl - line) + 1 : u->len - k;
		if (in_headers && (ll <= 2))
			in_headers = false;
		bool cid = in_headers && ((ll > 8 && !strncasecmp((const char *)line, "Call-ID:", 8)) ||
					  (ll > 2 && !strncmp((const char *)line, "i:", 2)));
		if (cid && o + ll + (size_t)sl < cap) {
			size_t end = ll;
			while (end && (line[end - 1] == '\n' || line[end - 1] == '\r'))
				end--;
			memcpy(out + o, line, end);
			o += end;
			memcpy(out + o, suffix, (size_t)sl);
			o += (size_t)sl;
			memcpy(out + o, line + end, ll - end);
			o += ll - end;
		} else {
			size_t n = XS_MIN(ll, cap - o);
			memcpy(out + o, line, n);
			o += n;
		}
		k += ll;
	}
	return o;
}

static void endpoint(struct xs_endpoint *e, unsigned long i, int host, uint16_t port)
{
	snprintf(e->addr, sizeof e->addr, "10.%lu.%lu.%d", (i >> 8) & 255, i & 255, host);
	e->port = port;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: gen-capture OUT.pcap MEGABYTES OTHER_KB REFERENCE.pcap...\n");
		return 2;
	}
	unsigned long long limit = strtoull(argv[2], NULL, 10) << 20;
	unsigned long other = strtoul(argv[3], NULL, 10) * 1024;
	int n_rtp = (int)(other / 3 / (172 + 42)), n_bulk = (int)(other * 2 / 3 / (1448 + 54));
	for (int i = 4; i < argc; i++) {
		tmpls = realloc(tmpls, (n_tmpls + 1) * sizeof *tmpls);
		struct tmpl *t = &tmpls[n_tmpls];
		memset(t, 0, sizeof *t);
		struct cap_sink sink = { .ctx = t, .unit = on_unit };
		struct cap_decoder *d;
		cap_decoder_new(&d, &sink);
		FILE *f = fopen(argv[i], "rb");
		char err[256];
		if (!f || cap_read_stream(d, f, err, sizeof err) < 0) {
			fprintf(stderr, "gen-capture: %s: cannot read\n", argv[i]);
			return 2;
		}
		cap_decoder_finish(d);
		cap_decoder_free(d);
		if (t->n)
			n_tmpls++;
	}
	if (!n_tmpls) {
		fprintf(stderr, "gen-capture: no SIP in the references\n");
		return 2;
	}
	FILE *out = fopen(argv[1], "wb");
	if (!out)
		return 2;
	static char obuf[1 << 20];
	setvbuf(out, obuf, _IOFBF, sizeof obuf);
	struct pcapw *w;
	if (pcapw_open_stream(&w, out) < 0)
		return 2;
	uint8_t rtp[172], bulk[1448], buf[70000];
	for (size_t k = 0; k < sizeof bulk; k++)
		bulk[k] = (uint8_t)(k * 7 + 3);
	memset(rtp, 0x80, sizeof rtp);
	int64_t base = 1700000000LL * 1000000;
	unsigned long i = 0;
	while ((unsigned long long)ftell(out) < limit) {
		const struct tmpl *t = &tmpls[i % n_tmpls];
		int64_t t0 = base + (int64_t)i * 20000;
		struct xs_endpoint a, b;
		endpoint(&a, i, 1, 5060);
		endpoint(&b, i, 2, 5060);
		for (size_t k = 0; k < t->n; k++) {
			const struct unit *u = &t->u[k];
			size_t n = shift_callid(u, i, buf, sizeof buf);
			struct xs_endpoint s = u->from_a ? a : b, d = u->from_a ? b : a;
			if (u->kind == CAP_HTTP) { /* the phone's fetch, to an HTTP server port */
				s = b;
				s.port = 40000;
				d = a;
				d.port = 8080;
			}
			if (u->tp == XS_TP_UDP)
				pcapw_udp(w, &s, &d, t0 + u->dt_us, buf, n);
			else
				pcapw_tcp(w, &s, &d, t0 + u->dt_us, buf, n);
		}
		struct xs_endpoint r1, r2;
		endpoint(&r1, i, 3, 16384);
		endpoint(&r2, i, 4, 16386);
		for (int k = 0; k < n_rtp; k++) {
			rtp[2] = (uint8_t)k;
			pcapw_udp(w, &r1, &r2, t0 + 1000 + k * 2, rtp, sizeof rtp);
		}
		r1.port = 80;
		r2.port = 50000;
		for (int k = 0; k < n_bulk; k++)
			pcapw_tcp(w, &r1, &r2, t0 + 2000 + k, bulk, sizeof bulk);
		i++;
	}
	pcapw_close(w);
	fclose(out);
	fprintf(stderr, "gen-capture: %lu exchanges from %zu templates\n", i, n_tmpls);
	return 0;
}
