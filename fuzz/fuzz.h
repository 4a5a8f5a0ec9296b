/* SPDX-License-Identifier: MIT */
/* fuzz.h — what every fuzz target shares: the libFuzzer entry points, input caps, quiet logs. */
#ifndef XS_FUZZ_H
#define XS_FUZZ_H

#include "harness/common/xs.h"

#include <stdlib.h>

/* The engine (libFuzzer, AFL++'s driver, or fuzz-main.c) calls this once per input. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Silence the libraries' log callback: a fuzz target never prints (it would
 * drown the engine's output and slow it down). Call at the top of each input.
 */
static inline void fuzz_quiet(void)
{
	xs_log_set(NULL, NULL);
}

/*
 * An invariant the code under test promised does not hold: crash loudly so
 * the engine records the input (abort() is what every engine catches).
 */
#define FUZZ_ASSERT(cond)                                                              \
	do {                                                                           \
		if (!(cond))                                                           \
			fuzz_fail(__FILE__, __LINE__, #cond);                          \
	} while (0)

void fuzz_fail(const char *file, int line, const char *what) __attribute__((noreturn));

/* Split data at the first byte sep: head/tail, tail empty when sep is absent. */
void fuzz_split(const uint8_t *data, size_t size, uint8_t sep, struct xs_span *head,
		struct xs_span *tail);

#endif
