/* SPDX-License-Identifier: MIT */
/* nonce.c — stateless nonces (random | timestamp | HMAC) and the emulator's random stream. */
#include "phone-int.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>
#include <sys/random.h>

int phone_rng_bytes(struct phone_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	if (r->s == 0) {
		while (len) {
			ssize_t n = getrandom(p, len, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -EIO;
			}
			p += n;
			len -= (size_t)n;
		}
		return 0;
	}
	while (len) { /* splitmix64: reproducible for fuzzing, never used for real secrets */
		uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		size_t n = XS_MIN(len, sizeof z);
		memcpy(p, &z, n);
		p += n;
		len -= n;
	}
	return 0;
}

void phone_hmac(const uint8_t secret[PHONE_SECRET_LEN], const void *data, size_t len,
		uint8_t *out, size_t outlen)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	HMAC(EVP_sha256(), secret, PHONE_SECRET_LEN, data, len, mac, &maclen);
	memcpy(out, mac, XS_MIN(outlen, (size_t)maclen));
	OPENSSL_cleanse(mac, sizeof mac);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static int b64_val(char c)
{
	const char *p = c ? strchr(b64, c) : NULL;
	return p ? (int)(p - b64) : -1;
}

/* base64url without padding; out must hold 4*ceil(n/3)+1 bytes. */
static void b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = b64[(acc >> bits) & 63];
		}
	}
	if (bits)
		out[o++] = b64[(acc << (6 - bits)) & 63];
	out[o] = '\0';
}

/* Decode exactly `want` bytes from a string of exactly the right length. */
static int b64_decode(const char *s, uint8_t *out, size_t want)
{
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (; *s; s++) {
		int v = b64_val(*s);
		if (v < 0)
			return -EBADMSG;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == want)
				return -EBADMSG;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* canonical only: leftover bits zero, so one nonce has one spelling */
	if (o != want || bits >= 6 || (acc & ((1u << bits) - 1u)) != 0)
		return -EBADMSG;
	return 0;
}

int nonce_make(const uint8_t secret[PHONE_SECRET_LEN], struct phone_rng *rng, int64_t now_s,
	       char out[PHONE_NONCE_LEN + 1])
{
	uint8_t raw[PHONE_NONCE_RAW];
	int r = phone_rng_bytes(rng, raw, PHONE_NONCE_RAND);
	if (r < 0)
		return r;
	uint64_t t = (uint64_t)now_s;
	for (int i = 0; i < 8; i++)
		raw[PHONE_NONCE_RAND + i] = (uint8_t)(t >> (56 - 8 * i));
	phone_hmac(secret, raw, PHONE_NONCE_RAND + 8, raw + PHONE_NONCE_RAND + 8, PHONE_NONCE_MAC);
	b64_encode(raw, sizeof raw, out);
	return 0;
}

enum nonce_state nonce_check(const uint8_t secret[PHONE_SECRET_LEN], const char *nonce,
			     int64_t now_s, unsigned ttl_s)
{
	uint8_t raw[PHONE_NONCE_RAW], mac[PHONE_NONCE_MAC];
	if (strlen(nonce) != PHONE_NONCE_LEN || b64_decode(nonce, raw, sizeof raw) < 0)
		return NONCE_FOREIGN;
	phone_hmac(secret, raw, PHONE_NONCE_RAND + 8, mac, sizeof mac);
	if (CRYPTO_memcmp(mac, raw + PHONE_NONCE_RAND + 8, sizeof mac) != 0)
		return NONCE_FOREIGN;
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = (t << 8) | raw[PHONE_NONCE_RAND + i];
	int64_t issued = (int64_t)t;
	if (issued > now_s + 5)
		return NONCE_FOREIGN; /* from the future: not a nonce this run made */
	return now_s - issued >= (int64_t)ttl_s ? NONCE_STALE : NONCE_FRESH;
}
