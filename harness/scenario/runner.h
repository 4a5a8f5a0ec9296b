/* SPDX-License-Identifier: MIT */
/* runner.h — run scenarios against one phone: SIP client, digest client, observer, capture, rules. */
#ifndef XS_SCENARIO_RUNNER_H
#define XS_SCENARIO_RUNNER_H

#include "harness/rules/record.h"
#include "scenario.h"

/* What to run against, and how. Strings borrowed for the duration of sc_run. */
struct sc_run_config {
	const char *host;          /* literal IPv4/IPv6 address or name */
	uint16_t port;             /* 5060 when 0 */
	uint16_t tcp_port;         /* the port for TCP when it differs; 0: port */
	enum xs_transport tp;      /* scenarios may ask for the other one */
	const char *user;          /* the line: Request-URI user and digest username */
	const char *password;      /* never copied into records, reports or the capture */
	const char *profile;       /* forced profile name; NULL: detect from Server/User-Agent */
	const char *http_listen;   /* observer ADDR:PORT; NULL: the address that reaches the phone, port 0 */
	const char *http_url;      /* base URL given to the phone; NULL: the observer's own */
	const char *capture_path;  /* pcap of the run's traffic; NULL: none */
	int64_t t1_us;             /* RFC 3261 T1; 0: 500 ms */
	double timeout_s;          /* caps each transaction (Timer F) and the liveness probe; 0: 64*T1 */
	double nonce_wait_s;       /* stale scenarios: how long to wait out a nonce; 0: 65 s */
	bool emulated;             /* the target is the built-in emulator */
	unsigned repeat;           /* run the list this many times (load); 0 = 1 */

	/* Called after each exchange is judged (from the calling thread). */
	void (*progress)(void *ctx, const struct scenario *s, const struct xs_exchange *ex);
	void *progress_ctx;
};

/* Why a run could not be done at all (exit 3 material), filled by sc_run. */
struct sc_run_status {
	char what[256];           /* "no answer from udp:127.0.0.1:5999 within 2.0 s" */
	size_t exchanges;         /* exchanges completed */
	size_t auth_ok;           /* authenticated exchanges that ended 2xx */
	double seconds;           /* wall time of the scenarios (after the probe) */
};

/*
 * Run the scenarios that apply to the phone's profile (all when none is known
 * and the scenario lists none) and return the judged result (handed over).
 * First sends OPTIONS as a liveness probe and reads Server/User-Agent to pick
 * the profile unless config->profile forces one.
 *
 * Returns 0 with *out; -EHOSTDOWN (no answer to the probe), -ECONNREFUSED,
 * -ENOENT (name not resolved), -EADDRINUSE (observer), -EINVAL (unknown forced
 * profile), -ENOMEM, or another -errno; st->what then names the address and
 * the reason. A phone that misbehaves is never an error: it is findings.
 */
int sc_run(const struct sc_run_config *config, struct scenario *const *list, size_t n,
	   struct xs_result **out, struct sc_run_status *st);

#endif
