/* SPDX-License-Identifier: MIT */
/* curlrt.c — libcurl loaded on first use (dlopen), not when xscert starts. */
#include "curlrt.h"
#include "harness/common/xs.h"

static struct curlrt rt;
/* in the order of struct curlrt's slots */
static const char *const names[] = {
	"curl_global_init", "curl_easy_init",    "curl_easy_reset",    "curl_easy_setopt",
	"curl_easy_perform", "curl_easy_getinfo", "curl_easy_strerror", "curl_easy_cleanup",
	"curl_url",         "curl_url_set",      "curl_url_get",       "curl_url_cleanup",
	"curl_free",
};
XS_LAZY_TABLE(curlrt, struct curlrt, rt, names, CURLRT_SONAME, "libcurl4")
