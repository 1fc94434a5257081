#include "funnel.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void funnel_init(struct funnel *f, unsigned nsteps, int64_t window)
{
	memset(f, 0, sizeof *f);
	f->nsteps = nsteps;
	f->window = window;
}

static struct funnel_split *split_get(struct funnel *f, uint32_t split)
{
	size_t i;

	/* few split values: a linear search, newest first */
	for (i = f->ns; i-- > 0;)
		if (f->s[i].split == split)
			return &f->s[i];
	if (f->ns == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 16;
		f->s = xrealloc(f->s, f->cap * sizeof *f->s);
	}
	memset(&f->s[f->ns], 0, sizeof f->s[f->ns]);
	f->s[f->ns].split = split;
	return &f->s[f->ns++];
}

static void gap_add(struct funnel_split *s, unsigned k, double v)
{
	if (s->ngap[k] == s->capgap[k]) {
		s->capgap[k] = s->capgap[k] ? s->capgap[k] * 2 : 64;
		s->gap[k] = xrealloc(s->gap[k], s->capgap[k] * sizeof *s->gap[k]);
	}
	s->gap[k][s->ngap[k]++] = v;
}

unsigned funnel_person(struct funnel *f, const struct evrow *r, size_t n)
{
	struct funnel_split *s;
	size_t i, first = n;
	unsigned k;
	int64_t prev, until;

	for (i = 0; i < n && first == n; i++)
		if (r[i].bits & 1u)
			first = i;
	if (first == n)
		return 0;
	s = split_get(f, r[first].key);
	s->reached[0]++;
	prev = r[first].ts;
	until = f->window < 0 ? INT64_MAX : r[first].ts + f->window;
	i = first + 1;
	for (k = 1; k < f->nsteps; k++) {
		for (; i < n && r[i].ts <= until; i++)
			if ((r[i].bits & (1u << k)) && r[i].ts > prev)
				break;
		if (i >= n || r[i].ts > until)
			return k;
		s->reached[k]++;
		gap_add(s, k - 1, (double)(r[i].ts - prev));
		prev = r[i].ts;
		i++;
	}
	return f->nsteps;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static const uint32_t *sort_rank;

static int split_cmp(const void *a, const void *b)
{
	const struct funnel_split *x = a, *y = b;
	uint32_t rx = sort_rank ? sort_rank[x->split] : x->split;
	uint32_t ry = sort_rank ? sort_rank[y->split] : y->split;

	return (rx > ry) - (rx < ry);
}

void funnel_finish(struct funnel *f, const uint32_t *rank)
{
	size_t i;
	unsigned k;

	for (i = 0; i < f->ns; i++)
		for (k = 0; k + 1 < f->nsteps; k++)
			if (f->s[i].ngap[k])
				qsort(f->s[i].gap[k], f->s[i].ngap[k], sizeof(double), dbl_cmp);
	sort_rank = rank;
	if (f->ns)
		qsort(f->s, f->ns, sizeof *f->s, split_cmp);
	sort_rank = NULL;
}

void funnel_release(struct funnel *f)
{
	size_t i;
	unsigned k;

	for (i = 0; i < f->ns; i++)
		for (k = 0; k < FUNNEL_MAX_STEPS; k++)
			free(f->s[i].gap[k]);
	free(f->s);
	memset(f, 0, sizeof *f);
}
