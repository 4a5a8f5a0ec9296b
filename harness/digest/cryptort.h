/* SPDX-License-Identifier: MIT */
/* cryptort.h — libcrypto loaded on first use (dlopen), not when xscert starts. */
#ifndef XS_DIGEST_CRYPTORT_H
#define XS_DIGEST_CRYPTORT_H

#include <openssl/crypto.h>
#include <openssl/evp.h>

/*
 * OpenSSL's libcrypto costs a process some 3 ms to load, and most analyses
 * never hash (only digest checks against known passwords, the emulator's
 * nonces and the HTML report's script hash do): it is loaded by the first
 * cryptort() call (thread-safe, once), from CRYPTORT_SONAME, by xs_lazy_load
 * (which ends the process with a clear error when it cannot be). The
 * functions are libcrypto's own, through this table.
 */
#define CRYPTORT_SONAME "libcrypto.so.3"

/* each slot typed from the header's own declaration */
#define CRYPTORT_FN(name) __typeof__(name) *
struct cryptort {
	CRYPTORT_FN(EVP_MD_fetch) md_fetch;
	CRYPTORT_FN(EVP_md5) md5;
	CRYPTORT_FN(EVP_sha256) sha256;
	CRYPTORT_FN(EVP_sha512_256) sha512_256;
	CRYPTORT_FN(EVP_MD_CTX_new) md_ctx_new;
	CRYPTORT_FN(EVP_MD_CTX_free) md_ctx_free;
	CRYPTORT_FN(EVP_MD_CTX_copy_ex) md_ctx_copy_ex;
	CRYPTORT_FN(EVP_DigestInit_ex) digest_init_ex;
	CRYPTORT_FN(EVP_DigestInit_ex2) digest_init_ex2;
	CRYPTORT_FN(EVP_DigestUpdate) digest_update;
	CRYPTORT_FN(EVP_DigestFinal_ex) digest_final_ex;
	CRYPTORT_FN(EVP_Digest) digest;
	CRYPTORT_FN(OPENSSL_cleanse) cleanse;
	CRYPTORT_FN(CRYPTO_memcmp) memcmp;
};

const struct cryptort *cryptort(void);

#endif
