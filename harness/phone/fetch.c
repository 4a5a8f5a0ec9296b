/* SPDX-License-Identifier: MIT */
/* fetch.c — the emulator's HTTP fetches (libcurl) in a worker thread, so the SIP loop never blocks. */
#include "fetch.h"

#include "harness/xmlsvc/curlrt.h"
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fetcher {
	struct phone *ph;
	unsigned timeout_ms;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	struct phone_fetch q[FETCH_QUEUE_MAX];
	size_t head, len;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curlrt()->global_init(CURL_GLOBAL_DEFAULT);
}

/* Count the body and stop at the cap: a page is read, never kept. */
static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	size_t *total = ctx;
	*total += size * n;
	return *total > FETCH_BODY_MAX ? 0 : size * n;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One GET of the exact URL bytes; the outcome as an event. */
static void fetch_one(struct fetcher *f, CURL *c, const struct phone_fetch *job)
{
	long status = 0;
	size_t total = 0;
	const char *err = NULL;
	int64_t t0 = mono_ms();
	const struct curlrt *cu = curlrt();
	if (strlen(job->url) != job->len) {
		err = "NUL byte in URL";
	} else {
		cu->easy_reset(c);
		cu->easy_setopt(c, CURLOPT_URL, job->url);
		cu->easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
		cu->easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)f->timeout_ms);
		cu->easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)f->timeout_ms);
		cu->easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
		cu->easy_setopt(c, CURLOPT_USERAGENT, phone_server_agent(f->ph));
		cu->easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
		cu->easy_setopt(c, CURLOPT_WRITEDATA, &total);
		CURLcode r = cu->easy_perform(c);
		if (r != CURLE_OK)
			err = cu->easy_strerror(r);
		cu->easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	}
	json_t *o = json_object();
	json_t *u = json_stringn(job->url, job->len);
	if (!u) { /* not UTF-8: show the bytes escaped */
		struct xs_buf b = { 0 };
		for (size_t i = 0; i < job->len; i++)
			xs_buf_printf(&b, (uint8_t)job->url[i] >= 0x20 && (uint8_t)job->url[i] < 0x7f
						  ? "%c" : "\\x%02x", (uint8_t)job->url[i]);
		const char *s = xs_buf_cstr(&b);
		u = json_string(s ? s : "");
		xs_buf_reset(&b);
	}
	json_object_set_new(o, "url", u);
	json_object_set_new(o, "http_status", json_integer(status));
	json_object_set_new(o, "ms", json_integer(mono_ms() - t0));
	json_object_set_new(o, "bytes", json_integer((json_int_t)total));
	json_object_set_new(o, "ok", json_boolean(!err && status >= 200 && status < 300));
	if (err)
		json_object_set_new(o, "error", json_string(err));
	phone_emit(f->ph, "fetch attempted", o);
}

static void *worker(void *arg)
{
	struct fetcher *f = arg;
	const struct curlrt *cu = curlrt();
	CURL *c = cu->easy_init();
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->stop && f->len == 0)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->stop)
			break;
		struct phone_fetch job = f->q[f->head];
		f->head = (f->head + 1) % FETCH_QUEUE_MAX;
		f->len--;
		pthread_mutex_unlock(&f->mu);
		if (c)
			fetch_one(f, c, &job);
		free(job.url);
		pthread_mutex_lock(&f->mu);
	}
	pthread_mutex_unlock(&f->mu);
	cu->easy_cleanup(c);
	return NULL;
}

int fetcher_new(struct fetcher **ret, struct phone *ph, unsigned timeout_ms)
{
	pthread_once(&curl_once, curl_init_once);
	struct fetcher *f = calloc(1, sizeof *f);
	if (!f)
		return -ENOMEM;
	f->ph = ph;
	f->timeout_ms = timeout_ms ? timeout_ms : FETCH_TIMEOUT_MS;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	int r = pthread_create(&f->th, NULL, worker, f);
	if (r) {
		fetcher_free(f);
		return -r;
	}
	f->started = true;
	*ret = f;
	return 0;
}

int fetcher_push(struct fetcher *f, struct phone_fetch *job)
{
	pthread_mutex_lock(&f->mu);
	bool full = f->len == FETCH_QUEUE_MAX;
	if (!full) {
		f->q[(f->head + f->len) % FETCH_QUEUE_MAX] = *job;
		f->len++;
		job->url = NULL;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	if (full) {
		json_t *o = json_object();
		json_object_set_new(o, "error", json_string("fetch queue full: dropped"));
		phone_emit(f->ph, "fetch attempted", o);
		free(job->url);
		job->url = NULL;
		return -E2BIG;
	}
	return 0;
}

struct fetcher *fetcher_free(struct fetcher *f)
{
	if (!f)
		return NULL;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	if (f->started)
		pthread_join(f->th, NULL);
	for (size_t i = 0; i < f->len; i++)
		free(f->q[(f->head + i) % FETCH_QUEUE_MAX].url);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
	return NULL;
}
