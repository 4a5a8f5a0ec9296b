/* SPDX-License-Identifier: MIT */
/* sipc.c — request builder, RFC 3261 non-INVITE client transaction timers, UDP/TCP client. */
#include "sipc.h"
#include "harness/sip/transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int sc_request_build(const struct sc_request *r, struct xs_buf *out)
{
	if (!r->method || !r->ruri || !r->call_id || !r->via_host || !r->branch)
		return -EINVAL;
	const char *tp = r->tp == XS_TP_TCP ? "TCP" : "UDP";
	xs_buf_printf(out, "%s %s SIP/2.0\r\n", r->method, r->ruri);
	xs_buf_printf(out, "Via: SIP/2.0/%s %s:%u;branch=%s;rport\r\n", tp, r->via_host,
		      (unsigned)r->via_port, r->branch);
	xs_buf_puts(out, "Max-Forwards: 70\r\n");
	xs_buf_printf(out, "From: <%s>;tag=%s\r\n", r->from_uri ? r->from_uri : "sip:xscert@invalid",
		      r->from_tag ? r->from_tag : "0");
	xs_buf_printf(out, "To: <%s>\r\n", r->to_uri ? r->to_uri : r->ruri);
	xs_buf_printf(out, "Call-ID: %s\r\n", r->call_id);
	xs_buf_printf(out, "CSeq: %u %s\r\n", (unsigned)r->cseq, r->method);
	if (r->contact)
		xs_buf_printf(out, "Contact: <%s>\r\n", r->contact);
	if (r->event)
		xs_buf_printf(out, "Event: %s\r\n", r->event);
	if (r->auth_value)
		xs_buf_printf(out, "%s: %s\r\n", r->auth_name ? r->auth_name : "Authorization",
			      r->auth_value);
	if (r->user_agent)
		xs_buf_printf(out, "User-Agent: %s\r\n", r->user_agent);
	if (r->content_type)
		xs_buf_printf(out, "Content-Type: %s\r\n", r->content_type);
	xs_buf_printf(out, "Content-Length: %ld\r\n\r\n",
		      r->content_length >= 0 ? r->content_length : (long)r->body.len);
	if (r->body.len)
		xs_buf_append(out, r->body.p, r->body.len);
	return out->oom ? -ENOMEM : 0;
}

/* ---- transaction ---- */

void sc_nict_start(struct sc_nict *t, bool reliable, int64_t t1_us, int64_t cap_us,
		   int64_t now_us)
{
	memset(t, 0, sizeof *t);
	t->reliable = reliable;
	t->t1_us = t1_us > 0 ? t1_us : SC_T1_US_DEFAULT;
	t->interval_us = t->t1_us;
	int64_t f = 64 * t->t1_us; /* RFC 3261 §17.1.2.2: Timer F = 64*T1 */
	if (cap_us > 0 && cap_us < f)
		f = cap_us;
	t->timer_f = now_us + f;
	t->timer_e = reliable ? 0 : now_us + t->t1_us;
}

enum sc_nict_action sc_nict_tick(struct sc_nict *t, int64_t now_us)
{
	if (t->state == SC_NICT_COMPLETED || t->state == SC_NICT_TIMEDOUT)
		return SC_NICT_WAIT;
	if (now_us >= t->timer_f) {
		t->state = SC_NICT_TIMEDOUT;
		return SC_NICT_TIMEOUT;
	}
	if (t->timer_e && now_us >= t->timer_e) {
		/* Trying: E doubles up to T2; Proceeding: E is T2 (§17.1.2.2) */
		if (t->state == SC_NICT_PROCEEDING)
			t->interval_us = SC_T2_US;
		else
			t->interval_us = XS_MIN(2 * t->interval_us, (int64_t)SC_T2_US);
		t->timer_e = now_us + t->interval_us;
		t->retransmits++;
		return SC_NICT_RETRANSMIT;
	}
	return SC_NICT_WAIT;
}

int64_t sc_nict_deadline(const struct sc_nict *t)
{
	if (t->timer_e && t->timer_e < t->timer_f)
		return t->timer_e;
	return t->timer_f;
}

void sc_nict_response(struct sc_nict *t, int status)
{
	if (t->state == SC_NICT_COMPLETED || t->state == SC_NICT_TIMEDOUT)
		return;
	if (status >= 100 && status < 200) {
		t->state = SC_NICT_PROCEEDING;
		return;
	}
	t->state = SC_NICT_COMPLETED;
	t->timer_e = 0;
}

/* ---- clocks and randomness ---- */

static int64_t clock_us(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
int64_t sc_now_mono_us(void) { return clock_us(CLOCK_MONOTONIC); }
int64_t sc_now_wall_us(void) { return clock_us(CLOCK_REALTIME); }

void sc_random_hex(char *out, size_t size, size_t n)
{
	uint8_t raw[64];
	if (n >= size)
		n = size - 1;
	if (n > 2 * sizeof raw)
		n = 2 * sizeof raw;
	size_t need = (n + 1) / 2;
	size_t got = 0;
	while (got < need) {
		ssize_t r = getrandom(raw + got, need - got, 0);
		if (r <= 0) {
			/* getrandom cannot fail for small sizes once seeded; keep going */
			if (r < 0 && errno != EINTR)
				for (; got < need; got++)
					raw[got] = (uint8_t)(clock_us(CLOCK_MONOTONIC) >> (got % 8));
			continue;
		}
		got += (size_t)r;
	}
	char hex[2 * sizeof raw + 1];
	xs_hex(hex, raw, need);
	memcpy(out, hex, n);
	out[n] = '\0';
}

/* ---- sockets ---- */

static void endpoint_from(const struct sockaddr_storage *ss, struct xs_endpoint *e)
{
	memset(e, 0, sizeof *e);
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, e->addr, sizeof e->addr);
		e->port = ntohs(s6->sin6_port);
	} else {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &s4->sin_addr, e->addr, sizeof e->addr);
		e->port = ntohs(s4->sin_port);
	}
}

static int connect_timeout(int fd, const struct sockaddr *sa, socklen_t len, int timeout_ms)
{
	int fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	int r = connect(fd, sa, len);
	if (r < 0 && errno != EINPROGRESS)
		return -errno;
	if (r < 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		int n;
		do
			n = poll(&p, 1, timeout_ms);
		while (n < 0 && errno == EINTR);
		if (n == 0)
			return -ETIMEDOUT;
		int so = 0;
		socklen_t sl = sizeof so;
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &sl);
		if (so)
			return -so;
	}
	fcntl(fd, F_SETFL, fl);
	return 0;
}

int sc_conn_open(struct sc_conn *c, enum xs_transport tp, const char *host, uint16_t port,
		 int timeout_ms)
{
	memset(c, 0, sizeof *c);
	c->fd = -1;
	c->tp = tp;
	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = tp == XS_TP_TCP ? SOCK_STREAM : SOCK_DGRAM };
	struct addrinfo *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%u", (unsigned)port);
	if (getaddrinfo(host, portstr, &hints, &ai) != 0 || !ai)
		return -ENOENT;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		int e = errno;
		freeaddrinfo(ai);
		return -e;
	}
	memcpy(&c->peer, ai->ai_addr, ai->ai_addrlen);
	c->peer_len = ai->ai_addrlen;
	freeaddrinfo(ai);
	int r = tp == XS_TP_TCP ? connect_timeout(fd, (struct sockaddr *)&c->peer, c->peer_len,
						  timeout_ms)
				: (connect(fd, (struct sockaddr *)&c->peer, c->peer_len) < 0 ? -errno
											      : 0);
	if (r < 0) {
		close(fd);
		return r;
	}
	if (tp == XS_TP_UDP) {
		int sz = 1 << 20;
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
	}
	/* the kernel's receive time, not when this thread got round to reading: a
	 * phone's HTTP fetch, timed by the observer's thread, must not seem to come
	 * before the 200 that it follows (xscert analyze reads these times) */
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof on);
	struct sockaddr_storage local;
	socklen_t ll = sizeof local;
	getsockname(fd, (struct sockaddr *)&local, &ll);
	endpoint_from(&local, &c->local);
	endpoint_from(&c->peer, &c->remote);
	c->fd = fd;
	return 0;
}

void sc_conn_close(struct sc_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	xs_buf_reset(&c->rx);
}

int sc_conn_send(struct sc_conn *c, const uint8_t *buf, size_t len)
{
	size_t off = 0;
	while (off < len) {
		ssize_t n = send(c->fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (c->tp == XS_TP_UDP)
			return (size_t)n == len ? 0 : -EMSGSIZE;
		off += (size_t)n;
	}
	return 0;
}

static int deliver(struct sc_conn *c, const uint8_t *buf, size_t len, struct sip_msg **out,
		   struct xs_buf *junk)
{
	struct sip_msg *m = NULL;
	int r = sip_msg_parse(&m, buf, len);
	if (r < 0) {
		if (junk)
			xs_buf_append(junk, buf, len);
		return r == -ENOMEM ? r : -EBADMSG;
	}
	m->dir = XS_DIR_FROM_PHONE;
	m->tp = c->tp;
	m->src = c->remote;
	m->dst = c->local;
	m->ts_us = c->rx_ts_us ? c->rx_ts_us : sc_now_wall_us();
	*out = m;
	return 0;
}

static int wait_readable(int fd, int64_t deadline)
{
	for (;;) {
		int64_t left = deadline - sc_now_mono_us();
		if (left <= 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, (int)XS_MIN((left + 999) / 1000, 60000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

/* recv(2) that keeps the kernel's receive time in c->rx_ts_us (0 when none came). */
static ssize_t recv_stamped(struct sc_conn *c, uint8_t *buf, size_t size)
{
	union {
		char b[CMSG_SPACE(sizeof(struct timeval))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
			     .msg_controllen = sizeof ctl.b };
	ssize_t n = recvmsg(c->fd, &mh, 0);
	c->rx_ts_us = 0;
	for (struct cmsghdr *cm = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMP &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct timeval))) {
			struct timeval tv;
			memcpy(&tv, CMSG_DATA(cm), sizeof tv);
			c->rx_ts_us = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
		}
	return n;
}

int sc_conn_recv(struct sc_conn *c, int64_t deadline_mono_us, struct sip_msg **out,
		 struct xs_buf *junk)
{
	static __thread uint8_t dgram[SIP_MAX_MSG + 1];
	for (;;) {
		if (c->tp == XS_TP_TCP && c->rx.len) {
			size_t skip = 0, fl = 0;
			int fr = sip_frame(c->rx.p, c->rx.len, &skip, &fl);
			if (fr < 0) {
				/* unframeable stream: hand it over as junk and drop it */
				if (junk)
					xs_buf_append(junk, c->rx.p, c->rx.len);
				c->rx.len = 0;
				return -EBADMSG;
			}
			if (fr > 0) {
				int r = deliver(c, c->rx.p + skip, fl, out, junk);
				size_t used = skip + fl;
				memmove(c->rx.p, c->rx.p + used, c->rx.len - used);
				c->rx.len -= used;
				return r;
			}
		}
		int r = wait_readable(c->fd, deadline_mono_us);
		if (r < 0)
			return r;
		ssize_t n = recv_stamped(c, dgram, sizeof dgram);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (c->tp == XS_TP_UDP) {
			if (n == 0)
				continue;
			return deliver(c, dgram, (size_t)n, out, junk);
		}
		if (n == 0)
			return -ECONNRESET;
		if (c->rx.len + (size_t)n > SC_TCP_MAX_BUFFER) {
			c->rx.len = 0;
			return -E2BIG;
		}
		if (xs_buf_append(&c->rx, dgram, (size_t)n) < 0)
			return -ENOMEM;
	}
}
