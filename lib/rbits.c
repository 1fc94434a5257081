#include "rbits.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

/*
 * The portable serialisation (the roaring format specification):
 *   cookie, 32 bits little-endian:
 *     12347 in the low half: there are run containers; the high half is
 *       the number of containers - 1, and a bit per container follows
 *       (set: a run container);
 *     12346: no run containers; the number of containers follows (32 bits).
 *   per container, its key and cardinality - 1 (16 bits each);
 *   per container, the offset of its data (32 bits), unless there are run
 *     containers and fewer than 4 containers;
 *   the containers: a run container is its number of runs, then per run
 *   its first value and length - 1 (16 bits each); other containers of
 *   more than 4,096 members are bitsets (1,024 words of 64 bits); the rest
 *   arrays of their sorted values (16 bits each). All little-endian.
 */
#define COOKIE_RUNS 12347
#define COOKIE_PLAIN 12346
#define NO_OFFSETS_BELOW 4
#define ARRAY_MAX 4096
#define BITSET_BYTES 8192

enum { K_ARRAY, K_RUN, K_BITSET };

static uint32_t le16(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static uint32_t le32(const unsigned char *p)
{
	return le16(p) | le16(p + 2) << 16;
}

static uint64_t le64(const unsigned char *p)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
#else
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
#endif
}

static uint32_t key_of(const struct rbits *r, uint32_t i)
{
	return le16(r->desc + 4 * (size_t)i);
}

static uint32_t card_of(const struct rbits *r, uint32_t i)
{
	return le16(r->desc + 4 * (size_t)i + 2) + 1;
}

static int kind_of(const struct rbits *r, uint32_t i)
{
	if (r->runs && (r->runs[i / 8] >> (i % 8) & 1))
		return K_RUN;
	return card_of(r, i) > ARRAY_MAX ? K_BITSET : K_ARRAY;
}

/* The bytes container i takes at off, or 0 when they run past the end. */
static size_t span(const struct rbits *r, uint32_t i, size_t off)
{
	size_t need;

	switch (kind_of(r, i)) {
	case K_RUN:
		if (off + 2 > r->n)
			return 0;
		need = 2 + 4 * (size_t)le16(r->p + off);
		break;
	case K_BITSET:
		need = BITSET_BYTES;
		break;
	default:
		need = 2 * (size_t)card_of(r, i);
		break;
	}
	return off <= r->n && need <= r->n - off ? need : 0;
}

int rbits_open(struct rbits *r, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t pos, i, at;
	uint32_t cookie;
	int offsets;

	memset(r, 0, sizeof *r);
	r->p = b;
	r->n = n;
	if (n < 4)
		return -1;
	cookie = le32(b);
	if ((cookie & 0xffff) == COOKIE_RUNS) {
		r->size = (cookie >> 16) + 1;
		pos = 4 + (r->size + 7) / 8;
		if (pos > n)
			return -1;
		r->runs = b + 4;
		offsets = r->size >= NO_OFFSETS_BELOW;
	} else if (cookie == COOKIE_PLAIN) {
		if (n < 8)
			return -1;
		r->size = le32(b + 4);
		pos = 8;
		offsets = 1;
	} else {
		return -1;
	}
	if (r->size > 65536 || (n - pos) / 4 < r->size)
		return -1;
	r->desc = b + pos;
	pos += 4 * (size_t)r->size;
	if (offsets) {
		if ((n - pos) / 4 < r->size)
			return -1;
	}
	r->off = xmalloc(((size_t)r->size + 1) * sizeof *r->off);
	at = offsets ? pos + 4 * (size_t)r->size : pos;
	for (i = 0; i < r->size; i++) {
		size_t len;
		if (i && key_of(r, (uint32_t)i) <= key_of(r, (uint32_t)i - 1))
			goto bad;
		r->off[i] = offsets ? le32(b + pos + 4 * i) : at;
		if (!(len = span(r, (uint32_t)i, r->off[i])))
			goto bad;
		at = r->off[i] + len;
		r->card += card_of(r, (uint32_t)i);
	}
	return 0;
bad:
	rbits_close(r);
	return -1;
}

void rbits_close(struct rbits *r)
{
	free(r->off);
	r->off = NULL;
}

/* Bits set in a bitset's bytes from lo to hi (inclusive). */
static uint64_t bits_in(const unsigned char *w, uint32_t lo, uint32_t hi)
{
	uint32_t a = lo >> 6, z = hi >> 6, k;
	uint64_t first = ~0ull << (lo & 63), last = ~0ull >> (63 - (hi & 63)), n = 0;

	if (a == z)
		return (uint64_t)__builtin_popcountll(le64(w + 8 * (size_t)a) & first & last);
	n += (uint64_t)__builtin_popcountll(le64(w + 8 * (size_t)a) & first);
	for (k = a + 1; k < z; k++)
		n += (uint64_t)__builtin_popcountll(le64(w + 8 * (size_t)k));
	return n + (uint64_t)__builtin_popcountll(le64(w + 8 * (size_t)z) & last);
}

/* Run r of a run container at p: its first and last values. */
static void run_at(const unsigned char *p, uint32_t r, uint32_t *lo, uint32_t *hi)
{
	*lo = le16(p + 2 + 4 * (size_t)r);
	*hi = *lo + le16(p + 4 + 4 * (size_t)r);
	if (*hi > 0xffff)
		*hi = 0xffff;
}

/* Members in both containers (kinds ka <= kb). */
static uint64_t both(int ka, const unsigned char *a, uint32_t na, int kb, const unsigned char *b,
		     uint32_t nb)
{
	uint64_t n = 0;
	uint32_t i = 0, j = 0;

	if (ka == K_ARRAY && kb == K_ARRAY) {
		while (i < na && j < nb) {
			uint32_t x = le16(a + 2 * (size_t)i), y = le16(b + 2 * (size_t)j);
			n += x == y;
			i += x <= y;
			j += y <= x;
		}
	} else if (ka == K_ARRAY && kb == K_RUN) {
		uint32_t runs = le16(b), lo = 0, hi = 0;
		if (runs)
			run_at(b, 0, &lo, &hi);
		while (i < na && j < runs) {
			uint32_t x = le16(a + 2 * (size_t)i);
			if (x < lo) {
				i++;
			} else if (x <= hi) {
				n++;
				i++;
			} else if (++j < runs) {
				run_at(b, j, &lo, &hi);
			}
		}
	} else if (ka == K_ARRAY && kb == K_BITSET) {
		for (; i < na; i++) {
			uint32_t x = le16(a + 2 * (size_t)i);
			n += b[x >> 3] >> (x & 7) & 1;
		}
	} else if (ka == K_RUN && kb == K_RUN) {
		uint32_t ra = le16(a), rb = le16(b);
		while (i < ra && j < rb) {
			uint32_t alo, ahi, blo, bhi, lo, hi;
			run_at(a, i, &alo, &ahi);
			run_at(b, j, &blo, &bhi);
			lo = alo > blo ? alo : blo;
			hi = ahi < bhi ? ahi : bhi;
			if (lo <= hi)
				n += hi - lo + 1;
			i += ahi <= bhi;
			j += bhi <= ahi;
		}
	} else if (ka == K_RUN && kb == K_BITSET) {
		uint32_t ra = le16(a), lo, hi;
		for (; i < ra; i++) {
			run_at(a, i, &lo, &hi);
			n += bits_in(b, lo, hi);
		}
	} else {
		for (; i < 1024; i++)
			n += (uint64_t)__builtin_popcountll(le64(a + 8 * (size_t)i) & le64(b + 8 * (size_t)i));
	}
	return n;
}

uint64_t rbits_and_card(const struct rbits *a, const struct rbits *b)
{
	uint32_t i = 0, j = 0;
	uint64_t n = 0;

	while (i < a->size && j < b->size) {
		uint32_t x = key_of(a, i), y = key_of(b, j);
		if (x == y) {
			int ka = kind_of(a, i), kb = kind_of(b, j);
			if (ka <= kb)
				n += both(ka, a->p + a->off[i], card_of(a, i), kb, b->p + b->off[j], card_of(b, j));
			else
				n += both(kb, b->p + b->off[j], card_of(b, j), ka, a->p + a->off[i], card_of(a, i));
		}
		i += x <= y;
		j += y <= x;
	}
	return n;
}
