#include "evtab.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void evtab_add(struct evtab *t, const struct evrow *row)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 4096;
		t->r = xrealloc(t->r, t->cap * sizeof *t->r);
	}
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

static int oneid_before(const struct evrow *a, const struct evrow *b)
{
	return a->oneid < b->oneid;
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

void evtab_group(struct evtab *t)
{
	struct evrow *out;
	size_t i, from, to;

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
	out = xmalloc(t->n * sizeof *out);
	if ((size_t)t->max_oneid <= 4 * t->n + (1u << 20)) {
		/* counting sort: stable, linear */
		size_t *pos = xcalloc((size_t)t->max_oneid + 2, sizeof *pos), sum = 0;
		for (i = 0; i < t->n; i++)
			pos[t->r[i].oneid + 1]++;
		for (i = 0; i <= (size_t)t->max_oneid + 1; i++) {
			sum += pos[i];
			pos[i] = sum;
		}
		for (i = 0; i < t->n; i++)
			out[pos[t->r[i].oneid]++] = t->r[i];
		free(pos);
		memcpy(t->r, out, t->n * sizeof *out);
	} else {
		merge_sort(t->r, out, t->n, oneid_before); /* sparse oneids */
	}
	for (to = 0, from = 0; evtab_next_person(t, &from, &to);)
		merge_sort(t->r + from, out, to - from, ts_before);
	free(out);
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
	free(t->r);
	free(t->merged_into);
	memset(t, 0, sizeof *t);
}
