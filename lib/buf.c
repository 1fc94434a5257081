#include "buf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

static void oom(void)
{
	fputs("uops: out of memory\n", stderr);
	exit(70);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

/*
 * A block that fills page by page (a cache's memory) faults once per page
 * it touches, and on a virtual machine faults are dear. These blocks are
 * mapped on their own, 2 MiB aligned, and advised for transparent huge
 * pages: a fault then maps 2 MiB. Only advice: where the kernel has them
 * off, nothing changes. Their own mapping, so the advice covers nothing
 * else (memory malloc hands out again would grow in 2 MiB steps).
 */
#define HUGE_PAGE ((size_t)2 << 20)

void *xmalloc_huge(size_t n)
{
	size_t len = (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	char *p = mmap(NULL, len + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		oom();
	a = (char *)(((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	if (a + len < p + len + HUGE_PAGE)
		munmap(a + len, (size_t)(p + len + HUGE_PAGE - (a + len)));
#ifdef MADV_HUGEPAGE
	madvise(a, len, MADV_HUGEPAGE);
#endif
	return a;
}

void xfree_huge(void *p, size_t n)
{
	if (p)
		munmap(p, (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

void buf_grow(struct buf *b, size_t n)
{
	size_t want = b->len + n + 1, cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	if (cap != b->cap) {
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
		b->p[b->len] = 0;
	}
}

void buf_release(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p ? b->p + b->len : NULL, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void buf_u64(struct buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_add(b, tmp + i, sizeof tmp - (size_t)i);
}

void buf_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addc(b, '-');
		buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		buf_u64(b, (uint64_t)v);
	}
}

void sort_u64(uint64_t *a, size_t n, unsigned from_byte)
{
	size_t (*cnt)[256], i;
	uint64_t *tmp, *src = a, *dst, mask = from_byte ? ~(uint64_t)0 << (8 * from_byte) : ~(uint64_t)0;
	unsigned b;

	if (from_byte >= 8)
		return;
	if (n < 64) { /* insertion: stable */
		for (i = 1; i < n; i++) {
			uint64_t x = a[i];
			size_t j = i;
			for (; j && (a[j - 1] & mask) > (x & mask); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	cnt = xcalloc(8, sizeof *cnt);
	tmp = xmalloc(n * sizeof *tmp);
	dst = tmp;
	for (i = 0; i < n; i++)
		for (b = from_byte; b < 8; b++)
			cnt[b][a[i] >> (8 * b) & 0xff]++;
	for (b = from_byte; b < 8; b++) {
		size_t sum = 0, k, c;
		uint64_t *t;
		if (cnt[b][src[0] >> (8 * b) & 0xff] == n)
			continue;
		for (k = 0; k < 256; k++) {
			c = cnt[b][k];
			cnt[b][k] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[b][src[i] >> (8 * b) & 0xff]++] = src[i];
		t = src, src = dst, dst = t;
	}
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	free(tmp);
	free(cnt);
}
