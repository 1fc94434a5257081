#include "hash.h"

#include <string.h>

#define K0 0x9e3779b97f4a7c15ull
#define K1 0xc2b2ae3d27d4eb4full
#define K2 0x165667b19e3779f9ull
#define K3 0xd6e8feb86659fd93ull

static inline uint64_t fold(uint64_t a, uint64_t b)
{
	__uint128_t r = (__uint128_t)a * b;
	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t load64(const unsigned char *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

void hash128(const void *data, size_t n, uint64_t seed, uint64_t out[2])
{
	const unsigned char *p = data;
	uint64_t a = seed ^ K0, b = (seed + n) ^ K1;
	unsigned char tail[16];
	size_t left = n;

	while (left >= 16) {
		uint64_t x = load64(p), y = load64(p + 8);
		uint64_t na = fold(a ^ x, K2 ^ y);
		b = fold(b ^ y, K3 ^ x) + na;
		a = na + (b << 23 | b >> 41);
		p += 16;
		left -= 16;
	}
	memset(tail, 0, sizeof tail);
	memcpy(tail, p, left);
	tail[15] = (unsigned char)left;
	{
		uint64_t x = load64(tail), y = load64(tail + 8);
		uint64_t na = fold(a ^ x, K2 ^ y);
		b = fold(b ^ y, K3 ^ x) + na;
		a = na + (b << 23 | b >> 41);
	}
	a = fold(a ^ K1, b ^ (uint64_t)n);
	b = fold(b ^ K0, a ^ K3);
	out[0] = a ^ (b >> 29);
	out[1] = b ^ (a >> 31);
}

uint64_t hash64(const void *p, size_t n, uint64_t seed)
{
	uint64_t h[2];

	hash128(p, n, seed, h);
	return h[0];
}

void hash_hex(const uint64_t h[2], char hex[33])
{
	static const char d[] = "0123456789abcdef";
	int i, k;

	for (k = 0; k < 2; k++)
		for (i = 0; i < 8; i++) {
			unsigned byte = (unsigned)(h[k] >> (56 - 8 * i)) & 0xff;
			hex[k * 16 + 2 * i] = d[byte >> 4];
			hex[k * 16 + 2 * i + 1] = d[byte & 15];
		}
	hex[32] = 0;
}
