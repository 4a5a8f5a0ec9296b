/* SPDX-License-Identifier: MIT */
/* digest-int.h — private helpers shared by digest.c (math) and codec.c (header codec). */
#ifndef XS_DIGEST_INT_H
#define XS_DIGEST_INT_H

#include "digest.h"

/*
 * out = lower-case hex of H(parts[0] ":" parts[1] ":" ... parts[n-1]) with the
 * hash of algorithm a (the -sess variants use their base hash). secret: the
 * parts hold a password, so any joined copy is wiped. Parts are borrowed.
 * No allocation after the first call in a thread. 0, -EINVAL, -ENOMEM or -EIO.
 */
int digest_hash_join(enum digest_alg a, const struct xs_span *parts, size_t n, bool secret,
		     char out[DIGEST_MAX_HEX + 1]);

#endif
