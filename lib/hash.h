/*
 * hash - a fast 128-bit non-cryptographic hash for identities of records
 * (derived event ids, dedupe keys). Stable across versions and platforms:
 * changing it changes every derived event_id, so it is frozen.
 */
#ifndef UOPS_HASH_H
#define UOPS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* Hash n bytes at p with seed into out[0..1]. */
void hash128(const void *p, size_t n, uint64_t seed, uint64_t out[2]);

/* Lower 64 bits of hash128, for hash tables and keys. */
uint64_t hash64(const void *p, size_t n, uint64_t seed);

/* Write out[0..1] as 32 lowercase hex digits plus NUL into hex[33]. */
void hash_hex(const uint64_t h[2], char hex[33]);

#endif
