/*
 * strtab - strings to small numbers (see strtab.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "strtab.h"

uint32_t strtab_put(struct strtab *t, const char *s, size_t n)
{
	uint64_t h = hash64(s, n, 7);
	size_t j;

	if (!t->n) {
		t->n = 1; /* 0: none */
		t->cap = 16;
		t->s = xcalloc(t->cap, sizeof *t->s);
		t->len = xcalloc(t->cap, sizeof *t->len);
	}
	if ((size_t)t->n * 2 >= t->map_cap) {
		size_t cap = t->map_cap ? t->map_cap * 2 : 64, i;
		free(t->map);
		t->map = xcalloc(cap, sizeof *t->map);
		t->map_cap = cap;
		for (i = 1; i < t->n; i++) {
			j = hash64(t->s[i], t->len[i], 7) & (cap - 1);
			while (t->map[j])
				j = (j + 1) & (cap - 1);
			t->map[j] = (uint32_t)i;
		}
	}
	j = h & (t->map_cap - 1);
	while (t->map[j]) {
		uint32_t i = t->map[j];
		if (t->len[i] == n && !memcmp(t->s[i], s, n))
			return i;
		j = (j + 1) & (t->map_cap - 1);
	}
	if (t->n == t->cap) {
		t->cap *= 2;
		t->s = xrealloc(t->s, t->cap * sizeof *t->s);
		t->len = xrealloc(t->len, t->cap * sizeof *t->len);
	}
	t->s[t->n] = xstrndup(s, n);
	t->len[t->n] = n;
	t->map[j] = t->n;
	return t->n++;
}

void strtab_free(struct strtab *t)
{
	uint32_t i;

	for (i = 1; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->len);
	free(t->map);
	memset(t, 0, sizeof *t);
}

int strtab_cmp(const struct strtab *t, uint32_t x, uint32_t y)
{
	size_t m;
	int r;

	if (!x || !y)
		return (x > y) - (x < y); /* none first */
	m = t->len[x] < t->len[y] ? t->len[x] : t->len[y];
	r = memcmp(t->s[x], t->s[y], m);
	return r ? r : (t->len[x] > t->len[y]) - (t->len[x] < t->len[y]);
}

static const struct strtab *rank_tab; /* the table strtab_ranks sorts */

static int rank_cmp(const void *a, const void *b)
{
	return strtab_cmp(rank_tab, *(const uint32_t *)a, *(const uint32_t *)b);
}

uint32_t *strtab_ranks(struct strtab *t)
{
	uint32_t n = t->n ? t->n : 1, i, *ids = xmalloc(n * sizeof *ids), *rank = xmalloc(n * sizeof *rank);

	for (i = 0; i < n; i++)
		ids[i] = i;
	rank_tab = t;
	qsort(ids, n, sizeof *ids, rank_cmp);
	for (i = 0; i < n; i++)
		rank[ids[i]] = i;
	free(ids);
	return rank;
}
