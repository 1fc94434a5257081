/* buf: growth, appends, formatted numbers */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>

#include "buf.h"
#include "t.h"

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* sort_u64 gives qsort's order on whole values; on the upper bytes only it
 * is stable (the low half holds each value's first position) */
static void test_sort_u64(void)
{
	static const size_t sizes[] = {0, 1, 2, 63, 64, 65, 1000, 100000};
	uint64_t r = 0x9e3779b97f4a7c15ull;
	unsigned k;

	for (k = 0; k < sizeof sizes / sizeof *sizes; k++) {
		size_t n = sizes[k], i, bad = 0;
		uint64_t *a = xmalloc((n ? n : 1) * sizeof *a), *w = xmalloc((n ? n : 1) * sizeof *w);
		for (i = 0; i < n; i++) {
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			/* few distinct upper halves, and whole values that repeat */
			a[i] = k & 1 ? (r & 0xff0000ff0000ffffull) : r;
		}
		memcpy(w, a, n * sizeof *a);
		qsort(w, n, sizeof *w, u64_cmp);
		sort_u64(a, n, 0);
		T_OK(n == 0 || !memcmp(a, w, n * sizeof *a));
		for (i = 0; i < n; i++)
			a[i] = (a[i] & 0xffff00ff00000000ull) | (uint64_t)i; /* repeats above, position below */
		for (i = n; i > 1; i--) { /* shuffle the upper halves, keep positions in order */
			size_t j;
			uint64_t t;
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			j = (size_t)(r % i);
			t = a[i - 1] >> 32;
			a[i - 1] = (a[i - 1] & 0xffffffffull) | (a[j] >> 32 << 32);
			a[j] = (a[j] & 0xffffffffull) | (t << 32);
		}
		sort_u64(a, n, 4);
		for (i = 1; i < n; i++)
			if ((a[i - 1] >> 32) > (a[i] >> 32) ||
			    ((a[i - 1] >> 32) == (a[i] >> 32) && (uint32_t)a[i - 1] >= (uint32_t)a[i]))
				bad++;
		T_EQ_INT(bad, 0);
		free(a);
		free(w);
	}
}

int main(void)
{
	struct buf b = BUF_INIT;
	char big[5000];
	int i;

	test_sort_u64();
	buf_reset(&b); /* on an empty buffer */
	T_EQ_INT(b.len, 0);
	buf_adds(&b, "ab");
	buf_addc(&b, 'c');
	buf_add(&b, "de", 2);
	T_EQ_STR(b.p, "abcde");
	T_EQ_INT(b.len, 5);
	buf_printf(&b, "-%d-%s", 42, "x");
	T_EQ_STR(b.p, "abcde-42-x");
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = 0;
	buf_printf(&b, "%s", big); /* larger than the room left: grows and retries */
	T_EQ_INT(b.len, 10 + sizeof big - 1);
	T_OK(b.p[b.len] == 0);
	T_OK(b.p[10] == 'z' && b.p[b.len - 1] == 'z');
	buf_reset(&b);
	buf_u64(&b, 0);
	buf_addc(&b, ' ');
	buf_u64(&b, UINT64_MAX);
	buf_addc(&b, ' ');
	buf_i64(&b, INT64_MIN);
	buf_addc(&b, ' ');
	buf_i64(&b, -7);
	T_EQ_STR(b.p, "0 18446744073709551615 -9223372036854775808 -7");
	{
		static const uint32_t vs[] = {0, 7, 10, 99, 100, 4294967295u};
		char d[16], want[16];
		for (unsigned k = 0; k < sizeof vs / sizeof *vs; k++) {
			int n = u32_dec(d, vs[k]);
			d[n] = 0;
			snprintf(want, sizeof want, "%u", vs[k]);
			T_EQ_STR(d, want);
		}
	}
	buf_reset(&b);
	for (i = 0; i < 100000; i++)
		buf_addc(&b, (char)('a' + i % 26));
	T_EQ_INT(b.len, 100000);
	T_OK(b.cap > b.len && b.p[b.len] == 0);
	T_OK(b.p[99999] == 'a' + 99999 % 26);
	buf_release(&b);
	T_OK(b.p == NULL && b.len == 0 && b.cap == 0);
	{
		char *s = xstrndup("hello world", 5);
		T_EQ_STR(s, "hello");
		free(s);
	}
	/* blocks of their own: 2 MiB aligned, zeroed, all of them writable,
	 * given back (any size, rounded up to 2 MiB inside) */
	{
		static const size_t sizes[] = {1, 4096, (size_t)2 << 20, ((size_t)2 << 20) + 1, (size_t)5 << 20};
		unsigned k;
		for (k = 0; k < sizeof sizes / sizeof *sizes; k++) {
			unsigned char *p = xmalloc_huge(sizes[k]);
			size_t j, nz = 0;
			T_OK(((uintptr_t)p & (((uintptr_t)2 << 20) - 1)) == 0);
			for (j = 0; j < sizes[k]; j += 1021)
				nz += p[j] != 0;
			T_EQ_INT(nz, 0);
			p[0] = 1;
			p[sizes[k] - 1] = 2;
			T_OK((sizes[k] == 1 || p[0] == 1) && p[sizes[k] - 1] == 2);
			xfree_huge(p, sizes[k]);
		}
		xfree_huge(NULL, 10); /* nothing */
	}
	return t_done("buf");
}
