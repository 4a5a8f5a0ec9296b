/* SPDX-License-Identifier: MIT */
/* curlrt.h — libcurl loaded on first use (dlopen), not when xscert starts. */
#ifndef XS_XMLSVC_CURLRT_H
#define XS_XMLSVC_CURLRT_H

#include <curl/curl.h>

/*
 * libcurl and the ~30 libraries it pulls in cost a process some 10 ms to load,
 * and most runs never need it (only URL checks and the emulator's fetches do):
 * it is loaded by the first curlrt() call (thread-safe, once), from
 * CURLRT_SONAME, by xs_lazy_load (which ends the process with a clear error
 * when it cannot be). The functions are libcurl's own, through this table.
 */
#define CURLRT_SONAME "libcurl.so.4"

/* each slot typed from the header's own declaration */
#define CURLRT_FN(name) __typeof__(name) *
struct curlrt {
	CURLRT_FN(curl_global_init) global_init;
	CURLRT_FN(curl_easy_init) easy_init;
	CURLRT_FN(curl_easy_reset) easy_reset;
	CURLRT_FN(curl_easy_setopt) easy_setopt;
	CURLRT_FN(curl_easy_perform) easy_perform;
	CURLRT_FN(curl_easy_getinfo) easy_getinfo;
	CURLRT_FN(curl_easy_strerror) easy_strerror;
	CURLRT_FN(curl_easy_cleanup) easy_cleanup;
	CURLRT_FN(curl_url) url;
	CURLRT_FN(curl_url_set) url_set;
	CURLRT_FN(curl_url_get) url_get;
	CURLRT_FN(curl_url_cleanup) url_cleanup;
	CURLRT_FN(curl_free) free;
};

const struct curlrt *curlrt(void);

#endif
