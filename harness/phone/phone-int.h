/* SPDX-License-Identifier: MIT */
/* phone-int.h — the emulator's private parts: bounded LRU, nonces, random stream. */
#ifndef XS_PHONE_INT_H
#define XS_PHONE_INT_H

#include "phone.h"

/* ---- lru.c: a bounded map from byte keys to owned values ---- */

#define LRU_MAX_KEY 512u

struct lru;
/* free_value frees a value when it is replaced or evicted (may be NULL). */
int lru_new(struct lru **ret, size_t max_entries, size_t max_bytes, void (*free_value)(void *));
struct lru *lru_free(struct lru *l);
/* The value for key (made most recent), or NULL. *stamp gets the insert time when non-NULL. */
void *lru_get(struct lru *l, const void *key, size_t klen, int64_t *stamp);
/*
 * Insert or replace; the value (charged `bytes` against max_bytes) is handed
 * over, freed at once on failure. Evicts the least recent entries to fit.
 * 0, -E2BIG (key too long or value over the byte cap), -ENOMEM.
 */
int lru_put(struct lru *l, const void *key, size_t klen, void *value, size_t bytes, int64_t stamp);
size_t lru_count(const struct lru *l);

/* ---- nonce.c: random stream and HMAC-bound nonces ---- */

struct phone_rng {
	uint64_t s;          /* 0: getrandom; otherwise the splitmix64 state */
	uint8_t pool[256];   /* getrandom bytes not yet used (one syscall per 256 bytes) */
	size_t left;
};
/* Fill buf from the stream (deterministic when seeded). 0 or -EIO. */
int phone_rng_bytes(struct phone_rng *r, void *buf, size_t len);

/*
 * HMAC-SHA256 keyed once: the inner and outer hash states after the key pads
 * are kept, so one MAC costs two short hashes and no lookups (RFC 2104 §2).
 * Not thread-safe: one per thread.
 */
struct phone_mac {
	void *inner, *outer, *tmp; /* EVP_MD_CTX * */
};
int phone_mac_init(struct phone_mac *m, const uint8_t secret[PHONE_SECRET_LEN]); /* 0 or -ENOMEM */
void phone_mac_free(struct phone_mac *m);
/* MAC of data truncated to outlen (<= 32) bytes. */
void phone_mac(struct phone_mac *m, const void *data, size_t len, uint8_t *out, size_t outlen);

/* base64url(16 random bytes | 8-byte timestamp | first 16 bytes of the MAC). */
#define PHONE_NONCE_RAND 16u
#define PHONE_NONCE_MAC  16u
#define PHONE_NONCE_RAW  (PHONE_NONCE_RAND + 8u + PHONE_NONCE_MAC)
#define PHONE_NONCE_LEN  54u  /* base64url of 40 bytes, no padding */

enum nonce_state { NONCE_FRESH = 0, NONCE_STALE, NONCE_FOREIGN };
/* Make a nonce bound to now_s; out gets PHONE_NONCE_LEN+1 bytes. 0 or -EIO. */
int nonce_make(struct phone_mac *mac, struct phone_rng *rng, int64_t now_s,
	       char out[PHONE_NONCE_LEN + 1]);
/* Is nonce ours (the MAC checks, constant time) and younger than ttl_s? */
enum nonce_state nonce_check(struct phone_mac *mac, const char *nonce, int64_t now_s,
			     unsigned ttl_s);

/* The Server / User-Agent string of the phone's profile (borrowed). */
const char *phone_server_agent(const struct phone *ph);

#endif
