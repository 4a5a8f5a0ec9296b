/* SPDX-License-Identifier: MIT */
/* mhdrt.h — libmicrohttpd loaded on first use (dlopen), not when xscert starts. */
#ifndef XS_SCENARIO_MHDRT_H
#define XS_SCENARIO_MHDRT_H

#include <microhttpd.h>

/*
 * Only the runner's observer serves HTTP, and libmicrohttpd pulls in gnutls
 * and its eight libraries: it is loaded by the first mhdrt() call
 * (thread-safe, once), from MHDRT_SONAME, by xs_lazy_load (which ends the
 * process with a clear error when it cannot be). The functions are
 * libmicrohttpd's own, through this table, each slot typed from the header.
 */
#define MHDRT_SONAME "libmicrohttpd.so.12"

#define MHDRT_FN(name) __typeof__(name) *
struct mhdrt {
	MHDRT_FN(MHD_start_daemon) start_daemon;
	MHDRT_FN(MHD_stop_daemon) stop_daemon;
	MHDRT_FN(MHD_get_connection_info) get_connection_info;
	MHDRT_FN(MHD_lookup_connection_value) lookup_connection_value;
	MHDRT_FN(MHD_create_response_from_buffer) create_response_from_buffer;
	MHDRT_FN(MHD_add_response_header) add_response_header;
	MHDRT_FN(MHD_queue_response) queue_response;
	MHDRT_FN(MHD_destroy_response) destroy_response;
};

const struct mhdrt *mhdrt(void);

#endif
