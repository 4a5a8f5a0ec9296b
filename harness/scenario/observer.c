/* SPDX-License-Identifier: MIT */
/* observer.c — libmicrohttpd server recording the phone's fetches of pushed URLs. */
#include "observer.h"
#include "mhdrt.h"
#include "sipc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define OBS_MAX_REQUESTS 4096u /* requests kept; later ones are counted but not stored */

struct sc_observer {
	struct MHD_Daemon *d;
	int fd;
	char base[160];
	struct xs_endpoint ep;
	sc_observer_hook hook;
	void *hook_ctx;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct xs_http_req *reqs;
	size_t n, cap;
};

int sc_parse_hostport(const char *s, char *host, size_t hostsize, uint16_t *port, uint16_t dflt)
{
	const char *h = s, *pe = NULL;
	size_t hl;
	if (*s == '[') {
		const char *close = strchr(s, ']');
		if (!close)
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		if (close[1] == ':')
			pe = close + 2;
		else if (close[1])
			return -EINVAL;
	} else {
		const char *c = strchr(s, ':');
		if (c && strchr(c + 1, ':')) { /* bare IPv6, no port */
			hl = strlen(s);
		} else {
			hl = c ? (size_t)(c - s) : strlen(s);
			pe = c ? c + 1 : NULL;
		}
	}
	if (hl == 0 || hl >= hostsize)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	*port = dflt;
	if (pe) {
		char *end;
		long p = strtol(pe, &end, 10);
		if (!*pe || *end || p < 0 || p > 65535)
			return -EINVAL;
		*port = (uint16_t)p;
	}
	return 0;
}

int sc_observer_page(const char *path, struct xs_buf *out)
{
	xs_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CiscoIPPhoneText>"
			 "<Title>xscert</Title><Prompt>XML-Service push received</Prompt><Text>");
	/* the path is the phone's input: escape it */
	for (const char *p = path; p && *p; p++) {
		switch (*p) {
		case '<': xs_buf_puts(out, "&lt;"); break;
		case '>': xs_buf_puts(out, "&gt;"); break;
		case '&': xs_buf_puts(out, "&amp;"); break;
		case '"': xs_buf_puts(out, "&quot;"); break;
		default:
			if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f)
				xs_buf_append(out, p, 1);
		}
	}
	xs_buf_puts(out, "</Text></CiscoIPPhoneText>\n");
	return out->oom ? -ENOMEM : 0;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void sc_http_req_clear(struct xs_http_req *r)
{
	free(r->method);
	free(r->target);
	free(r->url);
	free(r->user_agent);
	memset(r, 0, sizeof *r);
}

static int copy_req(struct xs_http_req *dst, const struct xs_http_req *src)
{
	*dst = *src;
	dst->method = dup_or_null(src->method);
	dst->target = dup_or_null(src->target);
	dst->url = dup_or_null(src->url);
	dst->user_agent = dup_or_null(src->user_agent);
	if ((src->method && !dst->method) || (src->target && !dst->target) ||
	    (src->url && !dst->url) || (src->user_agent && !dst->user_agent)) {
		sc_http_req_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static void sockaddr_endpoint(const struct sockaddr *sa, struct xs_endpoint *e)
{
	memset(e, 0, sizeof *e);
	if (!sa)
		return;
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &s6->sin6_addr, e->addr, sizeof e->addr);
		e->port = ntohs(s6->sin6_port);
	} else if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &s4->sin_addr, e->addr, sizeof e->addr);
		e->port = ntohs(s4->sin_port);
	}
}

static void record(struct sc_observer *o, struct MHD_Connection *conn, const char *method,
		   const char *target)
{
	const struct mhdrt *mhd = mhdrt();
	struct xs_http_req req = { 0 };
	req.ts_us = sc_now_wall_us();
	req.dst = o->ep;
	const union MHD_ConnectionInfo *ci =
		mhd->get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci)
		sockaddr_endpoint(ci->client_addr, &req.src);
	const char *host = mhd->lookup_connection_value(conn, MHD_HEADER_KIND, "Host");
	const char *ua = mhd->lookup_connection_value(conn, MHD_HEADER_KIND, "User-Agent");
	struct xs_buf url = { 0 };
	if (host)
		xs_buf_printf(&url, "http://%s%s", host, target);
	else
		xs_buf_printf(&url, "%s%s", o->base, target);
	req.method = (char *)method;
	req.target = (char *)target;
	req.url = (char *)xs_buf_cstr(&url);
	req.user_agent = (char *)ua;

	pthread_mutex_lock(&o->lock);
	if (o->n < OBS_MAX_REQUESTS) {
		if (o->n == o->cap) {
			size_t nc = o->cap ? o->cap * 2 : 16;
			struct xs_http_req *nv = realloc(o->reqs, nc * sizeof *nv);
			if (nv) {
				o->reqs = nv;
				o->cap = nc;
			}
		}
		if (o->n < o->cap && copy_req(&o->reqs[o->n], &req) == 0)
			o->n++;
	}
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	if (o->hook)
		o->hook(o->hook_ctx, &req);
	xs_buf_reset(&url);
}

/* The request-target exactly as sent (query included): MHD's url argument drops the query. */
static void *uri_log(void *cls, const char *uri, struct MHD_Connection *conn)
{
	(void)cls;
	(void)conn;
	return strdup(uri ? uri : "");
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	const struct mhdrt *mhd = mhdrt();
	struct sc_observer *o = cls;
	(void)version;
	(void)upload_data;
	/* *con_cls is the raw target from uri_log; a leading '\1' marks it recorded */
	char *target = *con_cls;
	if (target && target[0] != '\1') {
		record(o, conn, method, target);
		size_t l = strlen(target);
		char *marked = malloc(l + 2);
		if (marked) {
			marked[0] = '\1';
			memcpy(marked + 1, target, l + 1);
			free(target);
			*con_cls = marked;
		}
		return MHD_YES;
	}
	if (!target) {
		record(o, conn, method, url);
		*con_cls = strdup("\1");
		if (!*con_cls)
			return MHD_NO;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0; /* a body is ignored */
		return MHD_YES;
	}
	struct xs_buf page = { 0 };
	sc_observer_page(url, &page);
	struct MHD_Response *resp =
		mhd->create_response_from_buffer(page.len, page.p, MHD_RESPMEM_MUST_COPY);
	xs_buf_reset(&page);
	if (!resp)
		return MHD_NO;
	mhd->add_response_header(resp, "Content-Type", "text/xml");
	enum MHD_Result r = mhd->queue_response(conn, MHD_HTTP_OK, resp);
	mhd->destroy_response(resp);
	return r;
}

int sc_observer_start(struct sc_observer **ret, const char *listen_addr, const char *base_url,
		      sc_observer_hook hook, void *hook_ctx)
{
	char host[64];
	uint16_t port;
	if (sc_parse_hostport(listen_addr, host, sizeof host, &port, 0) < 0)
		return -EINVAL;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		sl = sizeof *s4;
	} else if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		sl = sizeof *s6;
	} else {
		return -EINVAL;
	}
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct sc_observer *o = calloc(1, sizeof *o);
	if (!o) {
		close(fd);
		return -ENOMEM;
	}
	o->fd = fd;
	struct sockaddr_storage bound;
	socklen_t bl = sizeof bound;
	getsockname(fd, (struct sockaddr *)&bound, &bl);
	sockaddr_endpoint((struct sockaddr *)&bound, &o->ep);
	if (base_url) {
		size_t l = strlen(base_url);
		while (l && base_url[l - 1] == '/')
			l--;
		snprintf(o->base, sizeof o->base, "%.*s", (int)XS_MIN(l, sizeof o->base - 1),
			 base_url);
	} else if (ss.ss_family == AF_INET6) {
		snprintf(o->base, sizeof o->base, "http://[%s]:%u", o->ep.addr,
			 (unsigned)o->ep.port);
	} else {
		snprintf(o->base, sizeof o->base, "http://%s:%u", o->ep.addr, (unsigned)o->ep.port);
	}
	o->hook = hook;
	o->hook_ctx = hook_ctx;
	pthread_mutex_init(&o->lock, NULL);
	pthread_cond_init(&o->cond, NULL);
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	o->d = mhdrt()->start_daemon(flags, 0, NULL, NULL, handle, o, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
				MHD_OPTION_URI_LOG_CALLBACK, uri_log, NULL,
				MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!o->d) {
		close(fd);
		pthread_mutex_destroy(&o->lock);
		pthread_cond_destroy(&o->cond);
		free(o);
		return -EADDRINUSE;
	}
	*ret = o;
	return 0;
}

struct sc_observer *sc_observer_stop(struct sc_observer *o)
{
	if (!o)
		return NULL;
	mhdrt()->stop_daemon(o->d); /* closes the listen socket it was given */
	for (size_t i = 0; i < o->n; i++)
		sc_http_req_clear(&o->reqs[i]);
	free(o->reqs);
	pthread_mutex_destroy(&o->lock);
	pthread_cond_destroy(&o->cond);
	free(o);
	return NULL;
}

const char *sc_observer_base_url(const struct sc_observer *o) { return o->base; }
const struct xs_endpoint *sc_observer_endpoint(const struct sc_observer *o) { return &o->ep; }

size_t sc_observer_count(struct sc_observer *o)
{
	pthread_mutex_lock(&o->lock);
	size_t n = o->n;
	pthread_mutex_unlock(&o->lock);
	return n;
}

size_t sc_observer_wait(struct sc_observer *o, size_t have, int64_t deadline_mono_us)
{
	pthread_mutex_lock(&o->lock);
	while (o->n <= have) {
		int64_t left = deadline_mono_us - sc_now_mono_us();
		if (left <= 0)
			break;
		/* the condition variable runs on CLOCK_REALTIME: wait in short slices */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t slice = XS_MIN(left, (int64_t)50000);
		ts.tv_nsec += (long)(slice * 1000);
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&o->cond, &o->lock, &ts);
	}
	size_t n = o->n;
	pthread_mutex_unlock(&o->lock);
	return n;
}

int sc_observer_get(struct sc_observer *o, size_t idx, struct xs_http_req *out)
{
	pthread_mutex_lock(&o->lock);
	int r = idx < o->n ? copy_req(out, &o->reqs[idx]) : -ENOENT;
	pthread_mutex_unlock(&o->lock);
	return r;
}
