/* SPDX-License-Identifier: MIT */
/* nonce.c — stateless nonces (random | timestamp | HMAC) and the emulator's random stream. */
#include "phone-int.h"

#include "harness/digest/cryptort.h"
#include <pthread.h>
#include <string.h>
#include <sys/random.h>

int phone_rng_bytes(struct phone_rng *r, void *buf, size_t len)
{
	uint8_t *p = buf;
	if (r->s == 0) {
		while (len) {
			if (!r->left) {
				ssize_t n = getrandom(r->pool, sizeof r->pool, 0);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					return -EIO;
				r->left = (size_t)n;
			}
			size_t k = XS_MIN(len, r->left);
			uint8_t *src = r->pool + sizeof r->pool - r->left;
			memcpy(p, src, k);
			cryptort()->cleanse(src, k); /* a byte is handed out once */
			r->left -= k;
			p += k;
			len -= k;
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

static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;
static void sha256_fetch(void)
{
	sha256_md = cryptort()->md_fetch(NULL, "SHA2-256", NULL);
}

int phone_mac_init(struct phone_mac *m, const uint8_t secret[PHONE_SECRET_LEN])
{
	const struct cryptort *cr = cryptort();
	pthread_once(&sha256_once, sha256_fetch);
	memset(m, 0, sizeof *m);
	uint8_t ipad[64], opad[64];
	for (size_t i = 0; i < sizeof ipad; i++) { /* the key is shorter than the block */
		uint8_t k = i < PHONE_SECRET_LEN ? secret[i] : 0;
		ipad[i] = k ^ 0x36;
		opad[i] = k ^ 0x5c;
	}
	EVP_MD_CTX *in = cr->md_ctx_new(), *out = cr->md_ctx_new(), *tmp = cr->md_ctx_new();
	m->inner = in;
	m->outer = out;
	m->tmp = tmp;
	bool ok = sha256_md && in && out && tmp && cr->digest_init_ex(in, sha256_md, NULL) &&
		  cr->digest_update(in, ipad, sizeof ipad) && cr->digest_init_ex(out, sha256_md, NULL) &&
		  cr->digest_update(out, opad, sizeof opad);
	cr->cleanse(ipad, sizeof ipad);
	cr->cleanse(opad, sizeof opad);
	if (!ok) {
		phone_mac_free(m);
		return -ENOMEM;
	}
	return 0;
}

void phone_mac_free(struct phone_mac *m)
{
	const struct cryptort *cr = cryptort();
	cr->md_ctx_free(m->inner);
	cr->md_ctx_free(m->outer);
	cr->md_ctx_free(m->tmp);
	memset(m, 0, sizeof *m);
}

void phone_mac(struct phone_mac *m, const void *data, size_t len, uint8_t *out, size_t outlen)
{
	const struct cryptort *cr = cryptort();
	uint8_t ih[32], mac[32];
	unsigned n = 0;
	EVP_MD_CTX *t = m->tmp;
	memset(mac, 0, sizeof mac);
	if (cr->md_ctx_copy_ex(t, m->inner) && cr->digest_update(t, data, len) &&
	    cr->digest_final_ex(t, ih, &n) && cr->md_ctx_copy_ex(t, m->outer) &&
	    cr->digest_update(t, ih, sizeof ih))
		cr->digest_final_ex(t, mac, &n);
	memcpy(out, mac, XS_MIN(outlen, sizeof mac));
	cr->cleanse(ih, sizeof ih);
	cr->cleanse(mac, sizeof mac);
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

int nonce_make(struct phone_mac *mac, struct phone_rng *rng, int64_t now_s,
	       char out[PHONE_NONCE_LEN + 1])
{
	uint8_t raw[PHONE_NONCE_RAW];
	int r = phone_rng_bytes(rng, raw, PHONE_NONCE_RAND);
	if (r < 0)
		return r;
	uint64_t t = (uint64_t)now_s;
	for (int i = 0; i < 8; i++)
		raw[PHONE_NONCE_RAND + i] = (uint8_t)(t >> (56 - 8 * i));
	phone_mac(mac, raw, PHONE_NONCE_RAND + 8, raw + PHONE_NONCE_RAND + 8, PHONE_NONCE_MAC);
	b64_encode(raw, sizeof raw, out);
	return 0;
}

enum nonce_state nonce_check(struct phone_mac *m, const char *nonce, int64_t now_s,
			     unsigned ttl_s)
{
	uint8_t raw[PHONE_NONCE_RAW], mac[PHONE_NONCE_MAC];
	if (strlen(nonce) != PHONE_NONCE_LEN || b64_decode(nonce, raw, sizeof raw) < 0)
		return NONCE_FOREIGN;
	phone_mac(m, raw, PHONE_NONCE_RAND + 8, mac, sizeof mac);
	if (cryptort()->memcmp(mac, raw + PHONE_NONCE_RAND + 8, sizeof mac) != 0)
		return NONCE_FOREIGN;
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = (t << 8) | raw[PHONE_NONCE_RAND + i];
	int64_t issued = (int64_t)t;
	if (issued > now_s + 5)
		return NONCE_FOREIGN; /* from the future: not a nonce this run made */
	return now_s - issued >= (int64_t)ttl_s ? NONCE_STALE : NONCE_FRESH;
}
