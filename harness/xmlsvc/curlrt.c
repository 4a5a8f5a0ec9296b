/* SPDX-License-Identifier: MIT */
/* curlrt.c — libcurl loaded on first use (dlopen), not when xscert starts. */
#include "curlrt.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

static struct curlrt rt;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	void *h = dlopen(CURLRT_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	if (h) {
#define GET(slot, name)                                                                  \
	do {                                                                             \
		void *f_ = dlsym(h, #name);                                              \
		if (!f_ && !missing)                                                     \
			missing = #name;                                                 \
		*(void **)&rt.slot = f_;                                                 \
	} while (0)
		GET(global_init, curl_global_init);
		GET(easy_init, curl_easy_init);
		GET(easy_reset, curl_easy_reset);
		GET(easy_setopt, curl_easy_setopt);
		GET(easy_perform, curl_easy_perform);
		GET(easy_getinfo, curl_easy_getinfo);
		GET(easy_strerror, curl_easy_strerror);
		GET(easy_cleanup, curl_easy_cleanup);
		GET(url, curl_url);
		GET(url_set, curl_url_set);
		GET(url_get, curl_url_get);
		GET(url_cleanup, curl_url_cleanup);
		GET(free, curl_free);
#undef GET
	}
	if (!h || missing) {
		fprintf(stderr, "xscert: cannot use %s (%s): install libcurl4\n", CURLRT_SONAME,
			h ? missing : dlerror());
		exit(2);
	}
}

const struct curlrt *curlrt(void)
{
	pthread_once(&once, load);
	return &rt;
}
