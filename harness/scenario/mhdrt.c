/* SPDX-License-Identifier: MIT */
/* mhdrt.c — libmicrohttpd loaded on first use (dlopen), not when xscert starts. */
#include "mhdrt.h"
#include "harness/common/xs.h"

static struct mhdrt rt;
/* in the order of struct mhdrt's slots */
static const char *const names[] = {
	"MHD_start_daemon",        "MHD_stop_daemon",
	"MHD_get_connection_info", "MHD_lookup_connection_value",
	"MHD_create_response_from_buffer", "MHD_add_response_header",
	"MHD_queue_response",      "MHD_destroy_response",
};
_Static_assert(sizeof rt == sizeof names, "a name per slot");

const struct mhdrt *mhdrt(void)
{
	static struct xs_lazy_lib lib = { MHDRT_SONAME, "libmicrohttpd12", names,
					  XS_ARRAY_SIZE(names), (void **)&rt,
					  PTHREAD_MUTEX_INITIALIZER, false };
	xs_lazy(&lib);
	return &rt;
}
