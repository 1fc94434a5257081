/* rbits: counts read from the portable serialisation equal CRoaring's */
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "rbits.h"
#include "t.h"

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
	rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
	return rng;
}

/* A bitmap with containers of every kind: sparse (arrays), dense
 * (bitsets), ranges (runs, once run-optimised), at chosen keys. */
static roaring_bitmap_t *random_bitmap(int shape)
{
	roaring_bitmap_t *m = roaring_bitmap_create();
	unsigned c, nc = shape == 0 ? 0 : 1 + (unsigned)(next() % 40);

	for (c = 0; c < nc; c++) {
		uint32_t key = (uint32_t)(next() % 64), base = key << 16, k, n;
		switch (next() % 4) {
		case 0: /* sparse */
			n = 1 + (uint32_t)(next() % 3000);
			for (k = 0; k < n; k++)
				roaring_bitmap_add(m, base + (uint32_t)(next() & 0xffff));
			break;
		case 1: /* dense */
			n = 5000 + (uint32_t)(next() % 40000);
			for (k = 0; k < n; k++)
				roaring_bitmap_add(m, base + (uint32_t)(next() & 0xffff));
			break;
		case 2: /* ranges */
			n = 1 + (uint32_t)(next() % 20);
			for (k = 0; k < n; k++) {
				uint32_t lo = (uint32_t)(next() & 0xffff), len = 1 + (uint32_t)(next() % 3000);
				roaring_bitmap_add_range(m, base + lo, base + (lo + len > 0x10000 ? 0x10000 : lo + len));
			}
			break;
		default: /* all of it, or the ends */
			if (next() & 1)
				roaring_bitmap_add_range(m, base, base + 0x10000);
			roaring_bitmap_add(m, base);
			roaring_bitmap_add(m, base + 0xffff);
			break;
		}
	}
	if (shape == 2 || (shape == 3 && next() % 2))
		roaring_bitmap_run_optimize(m);
	return m;
}

static char *serialise(const roaring_bitmap_t *m, size_t *n)
{
	char *b;

	*n = roaring_bitmap_portable_size_in_bytes(m);
	b = xmalloc(*n ? *n : 1);
	roaring_bitmap_portable_serialize(m, b);
	return b;
}

static void test_counts(void)
{
	unsigned t, bad = 0, badand = 0, opened = 0;

	for (t = 0; t < 300; t++) {
		roaring_bitmap_t *a = random_bitmap(t % 40 == 0 ? 0 : (int)(t % 4)),
				 *b = random_bitmap(t % 37 == 1 ? 0 : (int)((t / 4) % 4));
		size_t na, nb;
		char *sa = serialise(a, &na), *sb = serialise(b, &nb);
		struct rbits ra, rb;
		if (!rbits_open(&ra, sa, na) && !rbits_open(&rb, sb, nb)) {
			opened++;
			bad += ra.card != roaring_bitmap_get_cardinality(a) ||
			       rb.card != roaring_bitmap_get_cardinality(b);
			badand += rbits_and_card(&ra, &rb) != roaring_bitmap_and_cardinality(a, b) ||
				  rbits_and_card(&rb, &ra) != roaring_bitmap_and_cardinality(a, b) ||
				  rbits_and_card(&ra, &ra) != ra.card;
			rbits_close(&rb);
		}
		rbits_close(&ra);
		free(sa);
		free(sb);
		roaring_bitmap_free(a);
		roaring_bitmap_free(b);
	}
	T_EQ_INT(opened, 300);
	T_EQ_INT(bad, 0);
	T_EQ_INT(badand, 0);
}

/* Cut short or damaged, a bitmap is refused or read within its bytes
 * (the sanitiser build checks the reads); never a wrong count when whole. */
static void test_damaged(void)
{
	unsigned t, refused = 0, tries = 0;

	for (t = 0; t < 40; t++) {
		roaring_bitmap_t *m = random_bitmap(1 + (int)(t % 3));
		size_t n, cut;
		char *s = serialise(m, &n);
		for (cut = 0; cut < n; cut += 1 + n / 50) {
			char *c = xmalloc(cut ? cut : 1); /* exactly cut bytes: reads past them are caught */
			struct rbits r;
			memcpy(c, s, cut);
			tries++;
			if (rbits_open(&r, c, cut))
				refused++;
			else
				(void)rbits_and_card(&r, &r);
			rbits_close(&r);
			free(c);
		}
		{ /* a wrong cookie */
			struct rbits r;
			s[0] ^= 0x55;
			T_OK(rbits_open(&r, s, n) != 0);
			rbits_close(&r);
		}
		free(s);
		roaring_bitmap_free(m);
	}
	T_OK(refused > tries / 2);
}

int main(void)
{
	test_counts();
	test_damaged();
	return t_done("rbits");
}
