/* SPDX-License-Identifier: MIT */
/* pcaprt.c — libpcap loaded on first use (dlopen), not when xscert starts. */
#include "pcaprt.h"
#include "harness/common/xs.h"

static struct pcaprt rt;
/* in the order of struct pcaprt's slots */
static const char *const names[] = {
	"pcap_fopen_offline", "pcap_datalink", "pcap_datalink_val_to_name",
	"pcap_next_ex",       "pcap_geterr",   "pcap_close",
};
XS_LAZY_TABLE(pcaprt, struct pcaprt, rt, names, PCAPRT_SONAME, "libpcap0.8")
