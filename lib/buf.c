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

/*
 * A large block (a cache, a batch, a dedupe table) is touched page by
 * page as it fills; each first touch is a page fault, and on a virtual
 * machine faults are dear. Ask for transparent huge pages over its whole
 * 2 MB stretches: a fault then maps 2 MB. Only advice: where the kernel
 * has them off, or for memory malloc keeps in its heap, nothing changes.
 */
#define HUGE_MIN (4u << 20)
#define HUGE_PAGE ((uintptr_t)2 << 20)

static void *advise(void *p, size_t n)
{
#ifdef MADV_HUGEPAGE
	if (n >= HUGE_MIN) {
		uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
		uintptr_t hi = ((uintptr_t)p + n) & ~(HUGE_PAGE - 1);
		if (hi > lo)
			madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
	}
#else
	(void)n;
#endif
	return p;
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return advise(p, n);
}

void *xmalloc_huge(size_t n)
{
	void *p = NULL;

	if (n < HUGE_PAGE || posix_memalign(&p, HUGE_PAGE, n))
		return xmalloc(n);
#ifdef MADV_HUGEPAGE
	madvise(p, n & ~(HUGE_PAGE - 1), MADV_HUGEPAGE);
#endif
	return p;
}

void *xcalloc(size_t n, size_t m)
{
	void *p = calloc(n ? n : 1, m ? m : 1);
	if (!p)
		oom();
	return n && m && n <= SIZE_MAX / m ? advise(p, n * m) : p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return advise(p, n);
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
