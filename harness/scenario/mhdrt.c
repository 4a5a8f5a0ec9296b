/* SPDX-License-Identifier: MIT */
/* mhdrt.c — libmicrohttpd loaded on first use (dlopen), not when xscert starts. */
#include "mhdrt.h"
#include "harness/common/xs.h"

#include <pthread.h>
#include <string.h>

static struct mhdrt rt;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void)
{
	/* in the order of struct mhdrt's slots */
	static const char *const names[] = {
		"MHD_start_daemon",           "MHD_stop_daemon",
		"MHD_get_connection_info",    "MHD_lookup_connection_value",
		"MHD_create_response_from_buffer", "MHD_add_response_header",
		"MHD_queue_response",         "MHD_destroy_response",
	};
	_Static_assert(sizeof rt == XS_ARRAY_SIZE(names) * sizeof(void *), "a name per slot");
	void *slots[XS_ARRAY_SIZE(names)];
	xs_lazy_load(MHDRT_SONAME, "libmicrohttpd12", names, slots, XS_ARRAY_SIZE(names));
	memcpy(&rt, slots, sizeof rt); /* POSIX: function and object pointers alike */
}

const struct mhdrt *mhdrt(void)
{
	pthread_once(&once, load);
	return &rt;
}
