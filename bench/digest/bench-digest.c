/* SPDX-License-Identifier: MIT */
/* bench-digest.c — digest verifications per second (MD5 and SHA-256, qop=auth), for bench/digest/run. */
#include "harness/digest/digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The emulator's case: a NOTIFY to a line, verified against the line's password. */
#define USER "line1"
#define REALM "xscert"
#define PASSWORD "s3cret-passw0rd"
#define METHOD "NOTIFY"
#define URI "sip:line1@127.0.0.1:5060"
#define NONCE "Zm9vYmFyYmF6cXV4MTIzNDU2" /* 24 characters */
#define CNONCE "0a4f113b"

/* CPU time of this thread: like openssl speed (user time unless -elapsed), a busy machine
 * slows the run without skewing it. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second over about `seconds`, in batches between clock reads. */
static double run(enum digest_alg alg, double seconds)
{
	struct digest_challenge ch = { .realm = REALM, .nonce = NONCE, .has_qop = true,
				       .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH),
				       .has_algorithm = true, .algorithm = alg };
	struct digest_credentials cr;
	if (digest_answer(&ch, USER, PASSWORD, METHOD, URI, XS_SPAN_NULL, CNONCE, 1, &cr) < 0) {
		fprintf(stderr, "bench-digest: digest_answer failed\n");
		exit(1);
	}
	const struct digest_expect ex = { .username = USER, .realm = REALM, .uri = URI,
					  .nonce = NONCE, .password = PASSWORD,
					  .alg_mask = 1u << alg,
					  .qop_mask = DIGEST_QOP_MASK(DIGEST_QOP_AUTH) };
	enum digest_check res;
	unsigned long n = 0;
	double t0 = now(), t;
	do {
		for (int i = 0; i < 4096; i++) {
			if (digest_verify(&cr, METHOD, XS_SPAN_NULL, &ex, &res) < 0 ||
			    res != DIGEST_VALID) {
				fprintf(stderr, "bench-digest: verification failed\n");
				exit(1);
			}
		}
		n += 4096;
		t = now();
	} while (t - t0 < seconds);
	return (double)n / (t - t0);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 2.0;
	if (seconds <= 0)
		seconds = 2.0;
	/* The three hash inputs' lengths, for the script's arithmetic. */
	size_t a1 = strlen(USER ":" REALM ":" PASSWORD), a2 = strlen(METHOD ":" URI);
	size_t fixed = 1 + strlen(NONCE) + 1 + 8 + 1 + strlen(CNONCE) + 1 + strlen("auth") + 1;
	static const enum digest_alg algs[] = { DIGEST_MD5, DIGEST_SHA256 };
	for (size_t i = 0; i < XS_ARRAY_SIZE(algs); i++) {
		size_t hex = digest_alg_hexlen(algs[i]);
		printf("%s %.0f %zu %zu %zu\n", digest_alg_name(algs[i]), run(algs[i], seconds), a1,
		       a2, 2 * hex + fixed);
	}
	return 0;
}
