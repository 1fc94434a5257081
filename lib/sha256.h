/*
 * sha256 - SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the
 * signatures webhook and provider requests carry. Small and dependency
 * free; not constant-time beyond what the algorithm is.
 */
#ifndef UOPS_SHA256_H
#define UOPS_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;       /* bytes hashed so far */
	unsigned char b[64];
	size_t n;           /* bytes in b */
};

/* Start, feed n bytes at p (any number of times), and finish into out. */
void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[32]);

/* HMAC-SHA256 of msg (n bytes) under key (klen bytes) into out. */
void sha256_hmac(const void *key, size_t klen, const void *msg, size_t n, unsigned char out[32]);

/* 32 bytes as 64 lowercase hex digits and a NUL into hex[65]. */
void sha256_hex(const unsigned char d[32], char hex[65]);

#endif
