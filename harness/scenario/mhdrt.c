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
XS_LAZY_TABLE(mhdrt, struct mhdrt, rt, names, MHDRT_SONAME, "libmicrohttpd12")
