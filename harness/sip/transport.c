/* SPDX-License-Identifier: MIT */
/* transport.c — SIP over UDP and TCP with epoll: bounded buffers, Content-Length framing, idle timeouts. */
#include "transport.h"
#include "../common/cursor.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

/* ---- framing (RFC 3261 §18.3) ---- */

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Value of a header line if its name is Content-Length or its compact form l. */
static bool content_length_line(struct xs_span line, struct xs_span *val)
{
	size_t i = 0;
	while (i < line.len && line.p[i] != ':')
		i++;
	if (i == line.len)
		return false;
	struct xs_span name = xs_span_trim(xs_span(line.p, i));
	if (!xs_span_caseeq_str(name, "Content-Length") && !xs_span_caseeq_str(name, "l"))
		return false;
	*val = xs_span_trim(xs_span(line.p + i + 1, line.len - i - 1));
	return true;
}

static const char *const frame_err_names[SIP_FRAME_ERR_COUNT] = {
	[SIP_FRAME_OK] = "framed",
	[SIP_FRAME_HEADER_OVER_CAP] = "header block over the cap without a blank line",
	[SIP_FRAME_LENGTH_OVER_CAP] = "Content-Length over the cap",
	[SIP_FRAME_MESSAGE_OVER_CAP] = "message over the cap",
	[SIP_FRAME_LENGTH_NOT_NUMBER] = "Content-Length is not a number",
	[SIP_FRAME_LENGTH_CONFLICT] = "two different Content-Lengths",
	[SIP_FRAME_BUFFER_FULL] = "receive buffer full without a whole message",
};

const char *sip_frame_err_name(enum sip_frame_err code)
{
	return (unsigned)code < SIP_FRAME_ERR_COUNT ? frame_err_names[code] : "?";
}

int sip_frame_error_format(const struct sip_frame_error *e, char *out, size_t size)
{
	if (!e || !out || !size)
		return -EINVAL;
	const char *name = sip_frame_err_name(e->code);
	unsigned long long v = e->value, l = e->limit;
	switch (e->code) {
	case SIP_FRAME_HEADER_OVER_CAP:
	case SIP_FRAME_BUFFER_FULL:
		snprintf(out, size, "%s (%llu > %llu bytes)", name, v, l);
		break;
	case SIP_FRAME_LENGTH_OVER_CAP:
		if (e->digits)
			snprintf(out, size, "%s (a %u-digit number > %llu)", name, e->digits, l);
		else
			snprintf(out, size, "%s (%llu > %llu)", name, v, l);
		break;
	case SIP_FRAME_MESSAGE_OVER_CAP:
		snprintf(out, size, "%s (header block and Content-Length: %llu > %llu bytes)", name, v, l);
		break;
	case SIP_FRAME_LENGTH_NOT_NUMBER:
		snprintf(out, size, "%s (\"%s\")", name, e->text);
		break;
	case SIP_FRAME_LENGTH_CONFLICT:
		snprintf(out, size, "%s (%llu and %llu)", name, v, l);
		break;
	default:
		snprintf(out, size, "%s", name);
		break;
	}
	return 0;
}

static int frame_fail(struct sip_frame_error *err, int r, enum sip_frame_err code, uint64_t value,
		      uint64_t limit)
{
	if (err) {
		err->code = code;
		err->value = value;
		err->limit = limit;
	}
	return r;
}

/* The value as the reason shows it: printable ASCII only, cut short with "...". */
static void show_value(struct xs_span v, char *out, size_t size)
{
	size_t n = XS_MIN(v.len, size - 4), k;
	for (k = 0; k < n; k++)
		out[k] = v.p[k] >= 0x20 && v.p[k] < 0x7f && v.p[k] != '"' ? (char)v.p[k] : '?';
	if (n < v.len)
		for (int d = 0; d < 3; d++)
			out[k++] = '.';
	out[k] = '\0';
}

/*
 * RFC 3261 §20.14: Content-Length = 1*DIGIT. 0; -EBADMSG when it is not a
 * number; -E2BIG when it does not fit 64 bits (err gets its digit count).
 */
static int parse_length(struct xs_span v, uint64_t *out, struct sip_frame_error *err)
{
	uint64_t n = 0;
	bool overflow = false;
	for (size_t i = 0; i < v.len; i++) {
		if (v.p[i] < '0' || v.p[i] > '9') {
			if (err)
				show_value(v, err->text, sizeof err->text);
			return frame_fail(err, -EBADMSG, SIP_FRAME_LENGTH_NOT_NUMBER, 0, 0);
		}
		if (n > (UINT64_MAX - 9) / 10)
			overflow = true;
		else
			n = n * 10 + (uint64_t)(v.p[i] - '0');
	}
	if (v.len == 0) {
		if (err)
			err->text[0] = '\0';
		return frame_fail(err, -EBADMSG, SIP_FRAME_LENGTH_NOT_NUMBER, 0, 0);
	}
	if (overflow) {
		size_t z = 0; /* leading zeros do not count */
		while (z + 1 < v.len && v.p[z] == '0')
			z++;
		if (err)
			err->digits = (unsigned)XS_MIN(v.len - z, (size_t)UINT_MAX);
		return frame_fail(err, -E2BIG, SIP_FRAME_LENGTH_OVER_CAP, 0, SIP_MAX_BODY);
	}
	*out = n;
	return 0;
}

int sip_frame_why(const uint8_t *buf, size_t len, size_t *skip, size_t *msg_len,
		  struct sip_frame_error *err)
{
	if (err)
		memset(err, 0, sizeof *err);
	size_t s = 0;
	while (s < len && (buf[s] == '\r' || buf[s] == '\n'))
		s++;
	*skip = s;
	*msg_len = 0;
	struct xs_cur c = xs_cur_init(buf + s, len - s);
	bool have_cl = false;
	uint64_t cl = 0;
	for (;;) {
		size_t start = (size_t)(c.p - (buf + s));
		if (start > SIP_MAX_MSG)
			return frame_fail(err, -E2BIG, SIP_FRAME_HEADER_OVER_CAP, start, SIP_MAX_MSG);
		struct xs_span line;
		if (xs_cur_line(&c, &line) < 0) {
			if (len - s > SIP_MAX_MSG)
				return frame_fail(err, -E2BIG, SIP_FRAME_HEADER_OVER_CAP, len - s,
						  SIP_MAX_MSG);
			return 0;
		}
		if (line.len == 0 && start > 0)
			break; /* the empty line ending the header section */
		if (line.len == 0)
			continue;
		if (is_ws(line.p[0]))
			continue; /* folded continuation: Content-Length is never folded in practice */
		struct xs_span v;
		if (content_length_line(line, &v)) {
			uint64_t n = 0;
			int r = parse_length(v, &n, err);
			if (r < 0)
				return r;
			if (have_cl && n != cl)
				return frame_fail(err, -EBADMSG, SIP_FRAME_LENGTH_CONFLICT, cl, n);
			have_cl = true;
			cl = n;
			if (cl > SIP_MAX_BODY)
				return frame_fail(err, -E2BIG, SIP_FRAME_LENGTH_OVER_CAP, cl, SIP_MAX_BODY);
		}
	}
	size_t hdr = (size_t)(c.p - (buf + s));
	if (hdr + cl > SIP_MAX_MSG)
		return frame_fail(err, -E2BIG, SIP_FRAME_MESSAGE_OVER_CAP, hdr + cl, SIP_MAX_MSG);
	if (len - s < hdr + cl)
		return 0;
	*msg_len = hdr + (size_t)cl;
	return 1;
}

int sip_frame(const uint8_t *buf, size_t len, size_t *skip, size_t *msg_len)
{
	return sip_frame_why(buf, len, skip, msg_len, NULL);
}

/* ---- sockets ---- */

enum { TAG_UDP = 0, TAG_LISTEN = 1, TAG_CONN0 = 2 };
#define SLOT_BITS 20
#define SLOT_MASK ((1u << SLOT_BITS) - 1u)

struct conn {
	int fd;
	uint64_t id;
	uint8_t *in;
	size_t in_len;
	struct xs_buf out;
	int64_t last_ms;
	bool dead;
	struct sip_tp_peer peer;
};

struct sip_tp {
	int ep;
	int udp, lsn;
	struct xs_endpoint udp_ep, tcp_ep;
	struct conn **conns;
	unsigned max_conns;
	size_t nconns;
	int idle_ms;
	uint64_t serial;
	int64_t last_sweep_ms;
	uint8_t *dgram;
	void (*on_drop)(void *ctx, const struct sip_tp_peer *from,
			const struct sip_frame_error *why, size_t buffered);
	void *drop_ctx;
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sa_to_endpoint(const struct sockaddr_storage *sa, struct xs_endpoint *ep)
{
	memset(ep, 0, sizeof *ep);
	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		inet_ntop(AF_INET, &in->sin_addr, ep->addr, sizeof ep->addr);
		ep->port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		inet_ntop(AF_INET6, &in6->sin6_addr, ep->addr, sizeof ep->addr);
		ep->port = ntohs(in6->sin6_port);
	}
}

static int make_sa(const char *addr, uint16_t port, struct sockaddr_storage *sa, socklen_t *len)
{
	memset(sa, 0, sizeof *sa);
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
	if (inet_pton(AF_INET, addr, &in->sin_addr) == 1) {
		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		*len = sizeof *in;
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		*len = sizeof *in6;
		return 0;
	}
	return -EINVAL;
}

static int epoll_add(int ep, int fd, uint32_t events, uint64_t tag)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static int open_bound(int type, const struct sockaddr_storage *sa, socklen_t len, int *fd)
{
	int s = socket(sa->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	int one = 1;
	if (type == SOCK_STREAM)
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	else {
		int big = 4 * 1024 * 1024;
		setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	}
	if (bind(s, (const struct sockaddr *)sa, len) < 0 ||
	    (type == SOCK_STREAM && listen(s, 512) < 0)) {
		int r = -errno;
		close(s);
		return r;
	}
	*fd = s;
	return 0;
}

static uint16_t bound_port(int fd, struct xs_endpoint *ep)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		sa_to_endpoint(&sa, ep);
	return ep->port;
}

/* Bind UDP and TCP; with port 0, look for one port free for both. */
static int bind_all(struct sip_tp *tp, const struct sip_tp_config *cfg)
{
	struct sockaddr_storage sa;
	socklen_t len;
	int r = make_sa(cfg->addr, cfg->port, &sa, &len);
	if (r < 0)
		return r;
	for (int attempt = 0; attempt < 32; attempt++) {
		if (cfg->udp) {
			r = open_bound(SOCK_DGRAM, &sa, len, &tp->udp);
			if (r < 0)
				return r;
			uint16_t p = bound_port(tp->udp, &tp->udp_ep);
			if (cfg->port == 0)
				make_sa(cfg->addr, p, &sa, &len);
		}
		if (!cfg->tcp)
			return 0;
		r = open_bound(SOCK_STREAM, &sa, len, &tp->lsn);
		if (r == 0) {
			bound_port(tp->lsn, &tp->tcp_ep);
			return 0;
		}
		if (r != -EADDRINUSE || cfg->port != 0 || !cfg->udp)
			return r;
		close(tp->udp); /* that UDP port's TCP twin is taken: try another */
		tp->udp = -1;
		make_sa(cfg->addr, 0, &sa, &len);
	}
	return -EADDRINUSE;
}

int sip_tp_new(struct sip_tp **ret, const struct sip_tp_config *cfg)
{
	if (!cfg || !cfg->addr || (!cfg->udp && !cfg->tcp))
		return -EINVAL;
	struct sip_tp *tp = calloc(1, sizeof *tp);
	if (!tp)
		return -ENOMEM;
	tp->udp = tp->lsn = -1;
	tp->max_conns = cfg->max_conns ? cfg->max_conns : SIP_TP_MAX_CONNS;
	if (tp->max_conns > SLOT_MASK)
		tp->max_conns = SLOT_MASK;
	tp->idle_ms = cfg->idle_ms > 0 ? cfg->idle_ms : SIP_TP_IDLE_MS;
	tp->on_drop = cfg->on_drop;
	tp->drop_ctx = cfg->drop_ctx;
	tp->ep = epoll_create1(EPOLL_CLOEXEC);
	tp->conns = calloc(tp->max_conns, sizeof *tp->conns);
	tp->dgram = malloc((size_t)SIP_TP_UDP_BATCH * SIP_TP_UDP_MAX);
	int r = -ENOMEM;
	if (tp->ep < 0 || !tp->conns || !tp->dgram)
		goto fail;
	r = bind_all(tp, cfg);
	if (r < 0)
		goto fail;
	if (tp->udp >= 0 && (r = epoll_add(tp->ep, tp->udp, EPOLLIN, TAG_UDP)) < 0)
		goto fail;
	if (tp->lsn >= 0 && (r = epoll_add(tp->ep, tp->lsn, EPOLLIN, TAG_LISTEN)) < 0)
		goto fail;
	tp->last_sweep_ms = now_ms();
	*ret = tp;
	return 0;
fail:
	sip_tp_free(tp);
	return r;
}

static void conn_close(struct sip_tp *tp, unsigned slot)
{
	struct conn *c = tp->conns[slot];
	if (!c)
		return;
	epoll_ctl(tp->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	xs_buf_reset(&c->out);
	free(c);
	tp->conns[slot] = NULL;
	tp->nconns--;
}

struct sip_tp *sip_tp_free(struct sip_tp *tp)
{
	if (!tp)
		return NULL;
	if (tp->conns)
		for (unsigned i = 0; i < tp->max_conns; i++)
			conn_close(tp, i);
	free(tp->conns);
	free(tp->dgram);
	if (tp->udp >= 0)
		close(tp->udp);
	if (tp->lsn >= 0)
		close(tp->lsn);
	if (tp->ep >= 0)
		close(tp->ep);
	free(tp);
	return NULL;
}

int sip_tp_local(const struct sip_tp *tp, enum xs_transport t, struct xs_endpoint *out)
{
	if (t == XS_TP_UDP && tp->udp >= 0)
		*out = tp->udp_ep;
	else if (t == XS_TP_TCP && tp->lsn >= 0)
		*out = tp->tcp_ep;
	else
		return -ENOENT;
	return 0;
}

size_t sip_tp_conn_count(const struct sip_tp *tp)
{
	return tp->nconns;
}

/* A free slot, evicting the connection idle the longest when all are taken. */
static unsigned free_slot(struct sip_tp *tp)
{
	unsigned oldest = 0;
	for (unsigned i = 0; i < tp->max_conns; i++) {
		if (!tp->conns[i])
			return i;
		if (tp->conns[i]->last_ms < tp->conns[oldest]->last_ms)
			oldest = i;
	}
	conn_close(tp, oldest);
	return oldest;
}

static void do_accept(struct sip_tp *tp)
{
	for (int n = 0; n < 64; n++) {
		struct sockaddr_storage sa;
		socklen_t len = sizeof sa;
		int fd = accept4(tp->lsn, (struct sockaddr *)&sa, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN, or EMFILE and friends: try again on the next wakeup */
		struct conn *c = calloc(1, sizeof *c);
		if (!c) {
			close(fd);
			return;
		}
		unsigned slot = free_slot(tp);
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		c->fd = fd;
		c->id = (++tp->serial << SLOT_BITS) | slot;
		c->last_ms = now_ms();
		c->peer.tp = XS_TP_TCP;
		c->peer.conn = c->id;
		c->peer.sa = sa;
		c->peer.salen = len;
		sa_to_endpoint(&sa, &c->peer.ep);
		if (epoll_add(tp->ep, fd, EPOLLIN | EPOLLRDHUP, TAG_CONN0 + slot) < 0) {
			close(fd);
			free(c);
			continue;
		}
		tp->conns[slot] = c;
		tp->nconns++;
	}
}

static struct conn *conn_by_id(struct sip_tp *tp, uint64_t id)
{
	unsigned slot = (unsigned)(id & SLOT_MASK);
	if (slot >= tp->max_conns || !tp->conns[slot] || tp->conns[slot]->id != id)
		return NULL;
	return tp->conns[slot];
}

static void want_write(struct sip_tp *tp, struct conn *c, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | (on ? EPOLLOUT : 0),
				  .data.u64 = TAG_CONN0 + (c->id & SLOT_MASK) };
	epoll_ctl(tp->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Write what is queued; marks the connection dead on a hard error. */
static void conn_flush(struct sip_tp *tp, struct conn *c)
{
	size_t off = 0;
	while (off < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + off, c->out.len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				c->dead = true;
			break;
		}
		off += (size_t)n;
	}
	if (off) {
		memmove(c->out.p, c->out.p + off, c->out.len - off);
		c->out.len -= off;
	}
	want_write(tp, c, c->out.len > 0 && !c->dead);
}

int sip_tp_send(struct sip_tp *tp, const struct sip_tp_peer *to, const uint8_t *buf, size_t len)
{
	if (to->tp == XS_TP_UDP) {
		if (tp->udp < 0)
			return -ENOTCONN;
		if (len > SIP_TP_UDP_MAX)
			return -E2BIG;
		ssize_t n = sendto(tp->udp, buf, len, 0, (const struct sockaddr *)&to->sa, to->salen);
		return n < 0 ? -errno : 0;
	}
	struct conn *c = conn_by_id(tp, to->conn);
	if (!c || c->dead)
		return -ENOTCONN;
	if (c->out.len + len > SIP_TP_OUT_MAX) {
		c->dead = true; /* a peer that does not read its responses is dropped */
		return -E2BIG;
	}
	if (xs_buf_append(&c->out, buf, len) < 0)
		return -ENOMEM;
	conn_flush(tp, c);
	return c->dead ? -ENOTCONN : 0;
}

/* Read queued datagrams in batches (one recvmmsg call for up to SIP_TP_UDP_BATCH). */
static int do_udp(struct sip_tp *tp, sip_tp_recv_fn fn, void *ctx)
{
	struct mmsghdr mm[SIP_TP_UDP_BATCH];
	struct iovec iov[SIP_TP_UDP_BATCH];
	struct sip_tp_peer peers[SIP_TP_UDP_BATCH];
	int delivered = 0;
	for (unsigned rounds = 0; rounds < SIP_TP_UDP_BURST / SIP_TP_UDP_BATCH; rounds++) {
		memset(mm, 0, sizeof mm);
		for (unsigned i = 0; i < SIP_TP_UDP_BATCH; i++) {
			iov[i] = (struct iovec){ tp->dgram + (size_t)i * SIP_TP_UDP_MAX, SIP_TP_UDP_MAX };
			mm[i].msg_hdr.msg_iov = &iov[i];
			mm[i].msg_hdr.msg_iovlen = 1;
			mm[i].msg_hdr.msg_name = &peers[i].sa;
			mm[i].msg_hdr.msg_namelen = sizeof peers[i].sa;
		}
		int n = recvmmsg(tp->udp, mm, SIP_TP_UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		for (int i = 0; i < n; i++) {
			if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
				continue; /* truncated: cannot be a whole message */
			struct sip_tp_peer *peer = &peers[i];
			peer->tp = XS_TP_UDP;
			peer->conn = 0;
			peer->salen = mm[i].msg_hdr.msg_namelen;
			sa_to_endpoint(&peer->sa, &peer->ep);
			fn(ctx, peer, iov[i].iov_base, mm[i].msg_len);
			delivered++;
		}
		if ((unsigned)n < SIP_TP_UDP_BATCH)
			break;
	}
	return delivered;
}

/* Tell the owner why a connection's input is given up (the caller closes it). */
static void report_drop(struct sip_tp *tp, struct conn *c, const struct sip_frame_error *why)
{
	if (tp->on_drop)
		tp->on_drop(tp->drop_ctx, &c->peer, why, c->in_len);
}

/* Deliver every whole message in the buffer; false (reported) when the stream is unusable. */
static bool conn_deliver(struct sip_tp *tp, struct conn *c, sip_tp_recv_fn fn, void *ctx,
			 int *delivered)
{
	size_t off = 0;
	bool ok = true;
	struct sip_frame_error why;
	while (off < c->in_len && !c->dead) {
		size_t skip, mlen;
		int r = sip_frame_why(c->in + off, c->in_len - off, &skip, &mlen, &why);
		off += skip;
		if (r < 0) {
			ok = false;
			break;
		}
		if (r == 0)
			break;
		fn(ctx, &c->peer, c->in + off, mlen);
		(*delivered)++;
		off += mlen;
	}
	if (off) {
		memmove(c->in, c->in + off, c->in_len - off);
		c->in_len -= off;
	}
	if (!ok) {
		report_drop(tp, c, &why);
	} else if (!c->dead && c->in_len == SIP_TP_CONN_BUF) {
		why = (struct sip_frame_error){ .code = SIP_FRAME_BUFFER_FULL, .value = c->in_len,
						.limit = SIP_MAX_MSG };
		report_drop(tp, c, &why);
		ok = false;
	}
	return ok;
}

static int do_conn(struct sip_tp *tp, unsigned slot, uint32_t events, sip_tp_recv_fn fn, void *ctx)
{
	struct conn *c = tp->conns[slot];
	int delivered = 0;
	if (!c)
		return 0;
	if (events & EPOLLOUT)
		conn_flush(tp, c);
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
		if (!c->in && !(c->in = malloc(SIP_TP_CONN_BUF))) {
			conn_close(tp, slot);
			return 0;
		}
		ssize_t n = recv(c->fd, c->in + c->in_len, SIP_TP_CONN_BUF - c->in_len, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			c->dead = true;
		} else if (n > 0) {
			c->in_len += (size_t)n;
			c->last_ms = now_ms();
			if (!conn_deliver(tp, c, fn, ctx, &delivered))
				c->dead = true; /* framing error or over the cap: drop the peer */
		}
	}
	if (c->dead)
		conn_close(tp, slot);
	else if (c->in_len == 0 && c->in) {
		free(c->in); /* idle connections hold no receive buffer */
		c->in = NULL;
	}
	return delivered;
}

static void sweep_idle(struct sip_tp *tp)
{
	int64_t now = now_ms();
	if (now - tp->last_sweep_ms < 250)
		return;
	tp->last_sweep_ms = now;
	for (unsigned i = 0; i < tp->max_conns; i++)
		if (tp->conns[i] && now - tp->conns[i]->last_ms >= tp->idle_ms)
			conn_close(tp, i);
}

int sip_tp_poll(struct sip_tp *tp, int timeout_ms, sip_tp_recv_fn fn, void *ctx)
{
	struct epoll_event evs[64];
	if (tp->nconns && (timeout_ms < 0 || timeout_ms > 250))
		timeout_ms = 250; /* idle connections are swept even when all is quiet */
	int n = epoll_wait(tp->ep, evs, (int)XS_ARRAY_SIZE(evs), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	int delivered = 0;
	for (int i = 0; i < n; i++) {
		uint64_t tag = evs[i].data.u64;
		if (tag == TAG_UDP)
			delivered += do_udp(tp, fn, ctx);
		else if (tag == TAG_LISTEN)
			do_accept(tp);
		else
			delivered += do_conn(tp, (unsigned)(tag - TAG_CONN0), evs[i].events, fn, ctx);
	}
	sweep_idle(tp);
	return delivered;
}
