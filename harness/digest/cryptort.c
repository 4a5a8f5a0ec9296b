/* SPDX-License-Identifier: MIT */
/* cryptort.c — libcrypto loaded on first use (dlopen), not when xscert starts. */
#include "cryptort.h"
#include "harness/common/xs.h"

static struct cryptort rt;
/* in the order of struct cryptort's slots */
static const char *const names[] = {
	"EVP_MD_fetch",	     "EVP_md5",		  "EVP_sha256",	       "EVP_sha512_256",
	"EVP_MD_CTX_new",    "EVP_MD_CTX_free",	  "EVP_MD_CTX_copy_ex", "EVP_DigestInit_ex",
	"EVP_DigestInit_ex2", "EVP_DigestUpdate", "EVP_DigestFinal_ex", "EVP_Digest",
	"OPENSSL_cleanse",   "CRYPTO_memcmp",
};
XS_LAZY_TABLE(cryptort, struct cryptort, rt, names, CRYPTORT_SONAME, "libssl3")
