/* SPDX-License-Identifier: MIT */
/* curlrt.c — libcurl loaded on first use (dlopen), not when xscert starts. */
#include "curlrt.h"
#include "harness/common/xs.h"

#include <pthread.h>
#include <string.h>

static struct curlrt rt;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* in the order of struct curlrt's slots */
	static const char *const names[] = {
		"curl_global_init", "curl_easy_init",   "curl_easy_reset",    "curl_easy_setopt",
		"curl_easy_perform", "curl_easy_getinfo", "curl_easy_strerror", "curl_easy_cleanup",
		"curl_url",         "curl_url_set",     "curl_url_get",       "curl_url_cleanup",
		"curl_free",
	};
	_Static_assert(sizeof rt == XS_ARRAY_SIZE(names) * sizeof(void *), "a name per slot");
	void *slots[XS_ARRAY_SIZE(names)];
	xs_lazy_load(CURLRT_SONAME, "libcurl4", names, slots, XS_ARRAY_SIZE(names));
	memcpy(&rt, slots, sizeof rt); /* POSIX: function and object pointers alike */
}

const struct curlrt *curlrt(void)
{
	pthread_once(&once, load);
	return &rt;
}
