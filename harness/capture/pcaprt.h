/* SPDX-License-Identifier: MIT */
/* pcaprt.h — libpcap loaded on first use (dlopen), not when xscert starts. */
#ifndef XS_CAPTURE_PCAPRT_H
#define XS_CAPTURE_PCAPRT_H

#include <pcap/pcap.h>

/*
 * Classic pcap files are read without libpcap (readfile.c), and libpcap pulls
 * in a dozen libraries (dbus, systemd, gcrypt...): it is loaded by the first
 * pcaprt() call (pcapng and other streams, a link type's name), from
 * PCAPRT_SONAME, by xs_lazy (which ends the process with a clear error when it
 * cannot be). The functions are libpcap's own, through this table, each slot
 * typed from the header.
 */
#define PCAPRT_SONAME "libpcap.so.0.8"

#define PCAPRT_FN(name) __typeof__(name) *
struct pcaprt {
	PCAPRT_FN(pcap_fopen_offline) fopen_offline;
	PCAPRT_FN(pcap_datalink) datalink;
	PCAPRT_FN(pcap_datalink_val_to_name) datalink_val_to_name;
	PCAPRT_FN(pcap_next_ex) next_ex;
	PCAPRT_FN(pcap_geterr) geterr;
	PCAPRT_FN(pcap_close) close;
};

const struct pcaprt *pcaprt(void);

#endif
