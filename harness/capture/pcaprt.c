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
_Static_assert(sizeof rt == sizeof names, "a name per slot");

const struct pcaprt *pcaprt(void)
{
	static struct xs_lazy_lib lib = { PCAPRT_SONAME, "libpcap0.8", names, XS_ARRAY_SIZE(names),
					  (void **)&rt, PTHREAD_MUTEX_INITIALIZER, false };
	xs_lazy(&lib);
	return &rt;
}
