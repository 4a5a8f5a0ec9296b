/* SPDX-License-Identifier: MIT */
/* server.c — the emulator's loop: transport in, handler, responses out (maybe delayed), fetches queued. */
#include "fetch.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DELAY_QUEUE_MAX 4096u  /* responses held back by the delay quirk */

struct delayed {
	int64_t due_ms;
	struct sip_tp_peer peer;
	uint8_t *bytes;
	size_t len;
};

struct phone_server {
	struct sip_tp *tp;
	struct phone *ph;
	struct fetcher *fetch;
	struct delayed q[DELAY_QUEUE_MAX]; /* FIFO: one delay for all, so due times only grow */
	size_t qhead, qlen;
	struct phone_out out;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t wall_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A TCP stream the transport could not frame: say why before it is closed. */
static void on_drop(void *ctx, const struct sip_tp_peer *from, const struct sip_frame_error *why,
		    size_t buffered)
{
	struct phone_server *s = ctx;
	char reason[128], src[64];
	sip_frame_error_format(why, reason, sizeof reason);
	xs_endpoint_format(&from->ep, src, sizeof src);
	phone_emit(s->ph, "message dropped",
		   json_pack("{s:s, s:s, s:s, s:I, s:s}", "transport", xs_transport_name(from->tp),
			     "src", src, "reason", reason, "bytes", (json_int_t)buffered,
			     "connection", "closed"));
}

int phone_server_new(struct phone_server **ret, const struct phone_server_config *cfg)
{
	struct phone_server *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	struct sip_tp_config tp = cfg->tp;
	tp.on_drop = on_drop;
	tp.drop_ctx = s;
	int r = phone_new(&s->ph, &cfg->phone);
	if (r == 0)
		r = sip_tp_new(&s->tp, &tp);
	if (r == 0)
		r = fetcher_new(&s->fetch, s->ph, cfg->fetch_timeout_ms);
	if (r < 0) {
		phone_server_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

int phone_server_local(const struct phone_server *s, enum xs_transport t, struct xs_endpoint *out)
{
	return sip_tp_local(s->tp, t, out);
}

static void hold(struct phone_server *s, const struct sip_tp_peer *peer, struct phone_out *out)
{
	if (s->qlen == DELAY_QUEUE_MAX) {
		phone_emit(s->ph, "response not sent", json_pack("{s:s}", "reason", "delay queue full"));
		return;
	}
	struct delayed *d = &s->q[(s->qhead + s->qlen) % DELAY_QUEUE_MAX];
	d->bytes = (uint8_t *)xs_buf_steal(&out->resp, &d->len);
	if (!d->bytes)
		return;
	d->due_ms = mono_ms() + out->delay_ms;
	d->peer = *peer;
	s->qlen++;
}

static void on_message(void *ctx, const struct sip_tp_peer *from, const uint8_t *buf, size_t len)
{
	struct phone_server *s = ctx;
	struct phone_out *out = &s->out;
	struct phone_req_info info = { .tp = from->tp, .src = from->ep, .now_us = wall_us() };
	if (phone_handle(s->ph, buf, len, &info, out) == 0) {
		if (out->resp.len && out->delay_ms)
			hold(s, from, out);
		else if (out->resp.len)
			sip_tp_send(s->tp, from, out->resp.p, out->resp.len);
		for (size_t i = 0; i < out->n_fetch; i++)
			fetcher_push(s->fetch, &out->fetch[i]);
	}
	phone_out_reset(out);
}

/* Send what is due; the wait until the next one (-1: nothing held). */
static int flush_due(struct phone_server *s)
{
	int64_t now = mono_ms();
	while (s->qlen) {
		struct delayed *d = &s->q[s->qhead];
		if (d->due_ms > now)
			return (int)(d->due_ms - now);
		sip_tp_send(s->tp, &d->peer, d->bytes, d->len);
		free(d->bytes);
		s->qhead = (s->qhead + 1) % DELAY_QUEUE_MAX;
		s->qlen--;
	}
	return -1;
}

int phone_server_run(struct phone_server *s, volatile sig_atomic_t *stop)
{
	while (!*stop) {
		int wait = flush_due(s);
		if (wait < 0 || wait > 200)
			wait = 200; /* a signal that lands just before the wait is seen soon */
		int r = sip_tp_poll(s->tp, wait, on_message, s);
		if (r < 0)
			return r;
	}
	return 0;
}

struct phone_server *phone_server_free(struct phone_server *s)
{
	if (!s)
		return NULL;
	s->fetch = fetcher_free(s->fetch);
	for (; s->qlen; s->qlen--, s->qhead = (s->qhead + 1) % DELAY_QUEUE_MAX)
		free(s->q[s->qhead].bytes);
	phone_out_reset(&s->out);
	s->tp = sip_tp_free(s->tp);
	s->ph = phone_free(s->ph);
	free(s);
	return NULL;
}
