/*
 * t-hash - the frozen 128-bit hash. The golden values below were computed
 * once with the implementation of this version; hash128 must never change,
 * since derived event ids depend on it. If a golden check fails, the hash
 * changed: restore it, do not update the values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "t.h"

#define EVENT "{\"event\":\"click\",\"user\":\"u1\",\"ts\":1700000000}"

static unsigned char pat[1000]; /* pat[i] = i * 7 mod 256 */

struct golden {
	const void *p; /* NULL: pat */
	size_t n;
	uint64_t seed;
	uint64_t h[2];
};

static const struct golden golden[] = {
	{ "", 0, 0, { 0x85a5f4675d9d5190ull, 0x975640c002b41859ull } },
	{ "", 0, 1, { 0x8fe5b26cca10158bull, 0x60b56aa22cfc744eull } },
	{ "a", 1, 0, { 0x376086925d54ed5bull, 0x7a2e83f28cb7537cull } },
	{ "hello world", 11, 0,
	  { 0xb23d1869709d8dbeull, 0xc967623afd9d38f4ull } },
	{ "hello world", 11, 0x9e3779b97f4a7c15ull,
	  { 0xeb18ce20c9876632ull, 0x3589e2503de3a9d1ull } },
	{ NULL, 15, 0, { 0x99a0683551cf2cbcull, 0x9e9f494bdfc4f8bfull } },
	{ NULL, 16, 0, { 0xbeb43b9ebcaa12a4ull, 0xb12a7e5bf9e4b68dull } },
	{ NULL, 17, 0, { 0x217d5457fc83a385ull, 0x3e88c509e8ccdeb0ull } },
	{ NULL, 31, 0, { 0x1c4d93ae6d08b4b8ull, 0x3c3de02df1327acaull } },
	{ NULL, 32, 0, { 0xd0875caf2bcc18efull, 0x330460e1e1fe4350ull } },
	{ NULL, 33, 0, { 0x8febe3e180e6b4bdull, 0xf86023ee12bad06bull } },
	{ NULL, 256, 42, { 0xd08c8acbac3b4c67ull, 0xb93bdd38e48dc19bull } },
	{ NULL, 1000, UINT64_MAX,
	  { 0x11aec03f28d6fd7eull, 0x03fb7a91a0007981ull } },
	{ EVENT, sizeof EVENT - 1, 0,
	  { 0xb7c2eccc5be8c7c8ull, 0x1190d0cba00969b4ull } },
};

/* Hash from an exact-size heap copy at an odd address, so reads past the
 * end trip ASan and no alignment is assumed. */
static void h128(const void *p, size_t n, uint64_t seed, uint64_t out[2])
{
	char *c = xmalloc(n + 1);

	memcpy(c + 1, p, n);
	hash128(c + 1, n, seed, out);
	free(c);
}

static void test_golden(void)
{
	size_t i;

	for (i = 0; i < sizeof golden / sizeof golden[0]; i++) {
		const struct golden *g = &golden[i];
		const void *p = g->p ? g->p : pat;
		uint64_t h[2], again[2];

		h128(p, g->n, g->seed, h);
		t_run++;
		if (h[0] != g->h[0] || h[1] != g->h[1]) {
			t_failed++;
			fprintf(stderr,
				"%s: golden %zu (n=%zu): got %016llx %016llx, "
				"want %016llx %016llx: the frozen hash changed\n",
				__FILE__, i, g->n, (unsigned long long)h[0],
				(unsigned long long)h[1],
				(unsigned long long)g->h[0],
				(unsigned long long)g->h[1]);
		}
		/* deterministic, and the same aligned or not */
		hash128(p, g->n, g->seed, again);
		T_OK(again[0] == h[0] && again[1] == h[1]);
		T_OK(hash64(p, g->n, g->seed) == h[0]);
	}
}

static void test_hex(void)
{
	static const uint64_t a[2] = { 0x0123456789abcdefull,
				       0xfedcba9876543210ull };
	static const uint64_t z[2] = { 0, 0 };
	static const uint64_t m[2] = { UINT64_MAX, 1 };
	static const uint64_t ev[2] = { 0xb7c2eccc5be8c7c8ull,
					0x1190d0cba00969b4ull };
	char hex[34];

	memset(hex, 'X', sizeof hex);
	hash_hex(a, hex);
	T_EQ_STR(hex, "0123456789abcdeffedcba9876543210");
	T_EQ_INT(hex[33], 'X'); /* exactly 33 bytes written */
	hash_hex(z, hex);
	T_EQ_STR(hex, "00000000000000000000000000000000");
	hash_hex(m, hex);
	T_EQ_STR(hex, "ffffffffffffffff0000000000000001");
	hash_hex(ev, hex);
	T_EQ_STR(hex, "b7c2eccc5be8c7c81190d0cba00969b4");
	{
		uint64_t h[2];
		hash128(EVENT, sizeof EVENT - 1, 0, h);
		hash_hex(h, hex);
		T_EQ_STR(hex, "b7c2eccc5be8c7c81190d0cba00969b4");
	}
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Number of equal neighbours after sorting: 0 when all n are distinct. */
static size_t dups(uint64_t *v, size_t n)
{
	size_t i, d = 0;

	qsort(v, n, sizeof *v, cmp_u64);
	for (i = 1; i < n; i++)
		d += v[i] == v[i - 1];
	return d;
}

static void test_lengths(void)
{
	static const unsigned char zero[80];
	const unsigned char *bufs[2] = { zero, pat };
	uint64_t lo[2][65], hi[2][65], all[130];
	size_t b, n;

	for (b = 0; b < 2; b++) {
		for (n = 0; n <= 64; n++) {
			uint64_t h[2];
			h128(bufs[b], n, 0, h);
			lo[b][n] = h[0];
			hi[b][n] = h[1];
		}
		/* length n and n+1 of the same prefix differ, in both halves */
		for (n = 0; n < 64; n++) {
			T_OK(lo[b][n] != lo[b][n + 1]);
			T_OK(hi[b][n] != hi[b][n + 1]);
		}
		memcpy(all, lo[b], sizeof lo[b]);
		T_EQ_INT(dups(all, 65), 0);
		memcpy(all, hi[b], sizeof hi[b]);
		T_EQ_INT(dups(all, 65), 0);
	}
	/* a trailing zero byte is not the same as no byte, at any length */
	for (n = 0; n < 64; n++) {
		unsigned char x[65];
		memcpy(x, pat, n);
		x[n] = 0;
		T_OK(hash64(x, n, 0) != hash64(x, n + 1, 0));
	}
	memcpy(all, lo[0], sizeof lo[0]);
	/* zero and pattern prefixes differ from length 2 on (pat[0] is 0) */
	memcpy(all + 65, lo[1] + 2, 63 * sizeof(uint64_t));
	T_EQ_INT(dups(all, 128), 0);
}

static void test_seeds(void)
{
	uint64_t v[2000], h[2];
	size_t i;

	/* different seeds, same input */
	for (i = 0; i < 1000; i++) {
		h128("hello world", 11, i, h);
		v[2 * i] = h[0];
		v[2 * i + 1] = h[1];
	}
	T_EQ_INT(dups(v, 2000), 0);
	for (i = 0; i < 1000; i++)
		v[i] = hash64("", 0, (uint64_t)i << 40 ^ i);
	T_EQ_INT(dups(v, 1000), 0);
	/* seed and length do not trade off: ("", seed s) vs ("x", seed s-1) */
	for (i = 1; i < 100; i++)
		T_OK(hash64("", 0, i) != hash64("\0", 1, i - 1));
}

/* Every single-bit change of a 64-byte input changes both halves. */
static void test_bits(void)
{
	unsigned char x[64];
	uint64_t base[2], h[2], seen[512];
	size_t bit, same0 = 0, same1 = 0;

	memcpy(x, pat + 100, sizeof x);
	hash128(x, sizeof x, 5, base);
	for (bit = 0; bit < 512; bit++) {
		x[bit / 8] ^= (unsigned char)(1u << bit % 8);
		hash128(x, sizeof x, 5, h);
		x[bit / 8] ^= (unsigned char)(1u << bit % 8);
		same0 += h[0] == base[0];
		same1 += h[1] == base[1];
		seen[bit] = h[0];
	}
	T_EQ_INT(same0, 0);
	T_EQ_INT(same1, 0);
	T_EQ_INT(dups(seen, 512), 0);
	/* and the input was restored */
	hash128(x, sizeof x, 5, h);
	T_OK(h[0] == base[0] && h[1] == base[1]);
}

/* Many distinct short keys: no collision in 64 bits among 100k. */
static void test_keys(void)
{
	size_t n = 100000, i;
	uint64_t *v = xmalloc(n * sizeof *v);
	char k[32];

	for (i = 0; i < n; i++) {
		int kl = snprintf(k, sizeof k, "user-%zu", i);
		v[i] = hash64(k, (size_t)kl, 0);
	}
	T_EQ_INT(dups(v, n), 0);
	free(v);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof pat; i++)
		pat[i] = (unsigned char)(i * 7);
	test_golden();
	test_hex();
	test_lengths();
	test_seeds();
	test_bits();
	test_keys();
	return t_done("hash");
}
