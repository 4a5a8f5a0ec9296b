/* SPDX-License-Identifier: MIT */
/* fuzz-util.c — helpers shared by the fuzz targets (linked into every one). */
#include "fuzz.h"

#include <stdio.h>
#include <string.h>

void fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: fuzz invariant violated: %s\n", file, line, what);
	abort();
}

void fuzz_split(const uint8_t *data, size_t size, uint8_t sep, struct xs_span *head,
		struct xs_span *tail)
{
	const uint8_t *p = size ? memchr(data, sep, size) : NULL;

	if (!p) {
		*head = xs_span(data, size);
		*tail = xs_span(data + size, 0);
		return;
	}
	*head = xs_span(data, (size_t)(p - data));
	*tail = xs_span(p + 1, size - (size_t)(p - data) - 1);
}
