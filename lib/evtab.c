#include "evtab.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "buf.h"

/* tables of this many bytes or more are mapped on their own, for huge
 * pages: fewer faults and TLB misses over hundreds of MB */
#define HUGE_BYTES ((size_t)8 << 20)
#define HUGE_ROUND(n) (((n) + ((size_t)2 << 20) - 1) & ~(((size_t)2 << 20) - 1))

static struct evrow *rows_alloc(size_t n, int *huge)
{
	*huge = n * sizeof(struct evrow) >= HUGE_BYTES;
	return *huge ? xmalloc_huge(n * sizeof(struct evrow)) : xmalloc((n ? n : 1) * sizeof(struct evrow));
}

static void rows_free(struct evrow *r, size_t cap, int huge)
{
	if (huge)
		xfree_huge(r, cap * sizeof *r);
	else
		free(r);
}

static void grow(struct evtab *t)
{
	size_t cap = t->cap ? t->cap * 2 : 4096;

	if (cap * sizeof *t->r < HUGE_BYTES) {
		t->r = xrealloc(t->r, cap * sizeof *t->r);
	} else if (!t->huge) {
		struct evrow *r = xmalloc_huge(cap * sizeof *r);
		memcpy(r, t->r, t->n * sizeof *r);
		free(t->r);
		t->r = r;
		t->huge = 1;
	} else {
		/* the pages move, not the bytes */
		size_t from = HUGE_ROUND(t->cap * sizeof *t->r), to = HUGE_ROUND(cap * sizeof *t->r);
		void *p = mremap(t->r, from, to, MREMAP_MAYMOVE);
		if (p == MAP_FAILED) {
			struct evrow *r = xmalloc_huge(cap * sizeof *r);
			memcpy(r, t->r, t->n * sizeof *r);
			xfree_huge(t->r, t->cap * sizeof *r);
			p = r;
		}
#ifdef MADV_HUGEPAGE
		madvise(p, to, MADV_HUGEPAGE);
#endif
		t->r = p;
	}
	t->cap = cap;
}

void evtab_add(struct evtab *t, const struct evrow *row)
{
	if (t->n == t->cap)
		grow(t);
	t->r[t->n++] = *row;
	if (row->oneid > t->max_oneid)
		t->max_oneid = row->oneid;
}

static uint32_t survivor(const struct evtab *t, uint32_t id)
{
	unsigned hops = 0;

	while (id < t->nmerge && t->merged_into[id] && hops++ < 64)
		id = t->merged_into[id];
	return id;
}

void evtab_merge(struct evtab *t, uint32_t from, uint32_t into)
{
	if (!from || !into || from == into || survivor(t, into) == from)
		return;
	if (from >= t->nmerge) {
		size_t n = t->nmerge ? t->nmerge : 1024;
		while (n <= from)
			n *= 2;
		t->merged_into = xrealloc(t->merged_into, n * sizeof *t->merged_into);
		memset(t->merged_into + t->nmerge, 0, (n - t->nmerge) * sizeof *t->merged_into);
		t->nmerge = n;
	}
	t->merged_into[from] = into;
}

/* a before b? */
typedef int before_fn(const struct evrow *a, const struct evrow *b);

static int ts_before(const struct evrow *a, const struct evrow *b)
{
	return a->ts < b->ts;
}

/* Stable bottom-up merge sort of a[0..n), tmp of n rows. */
static void merge_sort(struct evrow *a, struct evrow *tmp, size_t n, before_fn *before)
{
	size_t w, i;

	for (i = 1; i < n && !before(&a[i], &a[i - 1]); i++)
		;
	if (i >= n)
		return; /* already in order: the usual case */
	for (w = 1; w < n; w *= 2) {
		for (i = 0; i < n; i += 2 * w) {
			size_t lo = i, mid = i + w < n ? i + w : n, hi = i + 2 * w < n ? i + 2 * w : n;
			size_t p = lo, q = mid, k = lo;
			while (p < mid && q < hi)
				tmp[k++] = before(&a[q], &a[p]) ? a[q++] : a[p++];
			while (p < mid)
				tmp[k++] = a[p++];
			while (q < hi)
				tmp[k++] = a[q++];
		}
		memcpy(a, tmp, n * sizeof *a);
	}
}

/* One stable pass of an LSD radix sort: src to dst by bits [shift,
 * shift + bits) of the oneid. */
static void radix_pass(const struct evrow *src, struct evrow *dst, size_t n, unsigned shift, unsigned bits)
{
	size_t cnt[1u << 11] = {0}, sum = 0, i, k;
	uint32_t mask = (1u << bits) - 1;

	for (i = 0; i < n; i++)
		cnt[(src[i].oneid >> shift) & mask]++;
	for (k = 0; k <= mask; k++) {
		size_t c = cnt[k];
		cnt[k] = sum;
		sum += c;
	}
	for (i = 0; i < n; i++)
		dst[cnt[(src[i].oneid >> shift) & mask]++] = src[i];
}

void evtab_group(struct evtab *t)
{
	struct evrow *a, *b, *tmp = NULL;
	size_t i, from, to, tcap = 0;
	unsigned bits, passes, per, k;
	int bhuge;

	if (t->nmerge) {
		t->max_oneid = 0;
		for (i = 0; i < t->n; i++) {
			t->r[i].oneid = survivor(t, t->r[i].oneid);
			if (t->r[i].oneid > t->max_oneid)
				t->max_oneid = t->r[i].oneid;
		}
	}
	if (t->n < 2)
		return;
	/* by oneid: passes of up to 11 bits, ping-ponging between the table
	 * and a second one; the one holding the result becomes the table */
	bits = t->max_oneid ? 32 - (unsigned)__builtin_clz(t->max_oneid) : 1;
	passes = (bits + 10) / 11;
	per = (bits + passes - 1) / passes;
	a = t->r;
	b = rows_alloc(t->n, &bhuge);
	for (k = 0; k < passes; k++) {
		struct evrow *x;
		radix_pass(a, b, t->n, k * per, k * per + per > 32 ? 32 - k * per : per);
		x = a, a = b, b = x;
	}
	if (a == t->r) {
		rows_free(b, t->n, bhuge);
	} else {
		rows_free(t->r, t->cap, t->huge);
		t->r = a;
		t->cap = t->n;
		t->huge = bhuge;
	}
	/* each person's rows by time */
	for (to = 0, from = 0; evtab_next_person(t, &from, &to);) {
		if (to - from < 2)
			continue;
		if (to - from > tcap) {
			tcap = (to - from) * 2;
			free(tmp);
			tmp = xmalloc(tcap * sizeof *tmp);
		}
		merge_sort(t->r + from, tmp, to - from, ts_before);
	}
	free(tmp);
}

int evtab_next_person(const struct evtab *t, size_t *from, size_t *to)
{
	size_t i = *to;

	if (i >= t->n)
		return 0;
	*from = i;
	while (++i < t->n && t->r[i].oneid == t->r[*from].oneid)
		;
	*to = i;
	return 1;
}

void evtab_release(struct evtab *t)
{
	rows_free(t->r, t->cap, t->huge);
	free(t->merged_into);
	memset(t, 0, sizeof *t);
}
