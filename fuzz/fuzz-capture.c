/* SPDX-License-Identifier: MIT */
/* fuzz-capture.c — a capture file (pcap or pcapng) read from memory through pcap_fopen_offline. */
/*
 * Input: a whole capture file. It goes through the analyzer as
 * `xscert analyze` does it (libpcap, link layers, IP reassembly, TCP
 * reassembly, SIP/HTTP framing, exchange building, the rules, with one known
 * credential so XS-DIG-01 verifies digests), read with fmemopen.
 */
#include "fuzz.h"
#include "harness/capture/capture.h"

#include <stdio.h>
#include <string.h>

#define FUZZ_CAPTURE_MAX_INPUT (256u * 1024u)

static const struct rules_credential creds[] = {
	{ .username = "159", .realm = "", .password = "fuzz-secret" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cap_analyzer_opts opts = { .creds = creds, .n_creds = XS_ARRAY_SIZE(creds) };
	struct cap_analyzer *a = NULL;
	struct xs_result *res = NULL;
	char err[256] = "";
	FILE *f;
	int rc;

	fuzz_quiet();
	if (size == 0 || size > FUZZ_CAPTURE_MAX_INPUT)
		return 0;
	if (xs_result_new(&res, XS_SOURCE_CAPTURE) < 0)
		return 0;
	if (cap_analyzer_new(&a, res, &opts) < 0) {
		xs_result_free(res);
		return 0;
	}
	f = fmemopen((void *)data, size, "rb");
	if (f) {
		rc = cap_analyze_stream(a, f, "fuzz.pcap", err, sizeof err);
		FUZZ_ASSERT(rc == 0 || rc == -EBADMSG || rc == -ENOTSUP || rc == -ENOMEM);
		FUZZ_ASSERT(memchr(err, '\0', sizeof err));
		FUZZ_ASSERT(rc != -EBADMSG || err[0] != '\0');
		cap_analyzer_finish(a);
	}
	cap_analyzer_free(a);
	xs_result_free(res);
	return 0;
}
