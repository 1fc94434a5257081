#include "cohort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"

#define DAY_MS 86400000LL

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int64_t cohort_period(int64_t ts, enum cohort_unit u)
{
	int64_t d = floor_div(ts, DAY_MS), y;
	unsigned m, dd;

	switch (u) {
	case COHORT_DAY:
		return d;
	case COHORT_WEEK:
		return floor_div(d + 3, 7); /* day -3 (1969-12-29) was a Monday */
	default:
		clock_civil_from_days(d, &y, &m, &dd);
		return y * 12 + (int64_t)m - 1 - 1970 * 12;
	}
}

int64_t cohort_period_start(int64_t p, enum cohort_unit u)
{
	switch (u) {
	case COHORT_DAY:
		return p * DAY_MS;
	case COHORT_WEEK:
		return (p * 7 - 3) * DAY_MS;
	default:
		return clock_days_from_civil(1970 + floor_div(p, 12), (unsigned)(p - floor_div(p, 12) * 12) + 1, 1) *
		       DAY_MS;
	}
}

void cohort_label(int64_t p, enum cohort_unit u, char *out)
{
	int64_t y;
	unsigned m, d;

	switch (u) {
	case COHORT_DAY:
	case COHORT_WEEK:
		clock_civil_from_days(u == COHORT_DAY ? p : p * 7 - 3, &y, &m, &d);
		snprintf(out, 32, "%04lld-%02u-%02u", (long long)y, m, d);
		break;
	default:
		y = 1970 + floor_div(p, 12);
		snprintf(out, 32, "%04lld-%02u", (long long)y, (unsigned)(p - floor_div(p, 12) * 12 + 1));
	}
}

int cohort_unit_parse(const char *s, enum cohort_unit *u)
{
	if (!strcmp(s, "day"))
		*u = COHORT_DAY;
	else if (!strcmp(s, "week"))
		*u = COHORT_WEEK;
	else if (!strcmp(s, "month"))
		*u = COHORT_MONTH;
	else
		return -1;
	return 0;
}

void cohort_init(struct cohort *c, enum cohort_unit u, unsigned nmax, uint32_t cohort_bit,
		 uint32_t return_bit)
{
	memset(c, 0, sizeof *c);
	c->unit = u;
	c->nmax = nmax;
	c->cohort_bit = cohort_bit;
	c->return_bit = return_bit;
}

static uint64_t cell_hash(uint32_t split, int64_t period)
{
	uint64_t h = ((uint64_t)split << 32) ^ (uint64_t)period;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static void map_grow(struct cohort *c)
{
	size_t i, cap = c->map_cap ? c->map_cap * 2 : 64;

	free(c->map);
	c->map = xcalloc(cap, sizeof *c->map);
	c->map_cap = cap;
	for (i = 0; i < c->ncell; i++) {
		size_t j = cell_hash(c->cell[i].split, c->cell[i].period) & (cap - 1);
		while (c->map[j])
			j = (j + 1) & (cap - 1);
		c->map[j] = (uint32_t)i + 1;
	}
}

static struct cohort_cell *cell_get(struct cohort *c, uint32_t split, int64_t period)
{
	size_t j;
	struct cohort_cell *x;

	if ((c->ncell + 1) * 2 > c->map_cap)
		map_grow(c);
	j = cell_hash(split, period) & (c->map_cap - 1);
	while (c->map[j]) {
		x = &c->cell[c->map[j] - 1];
		if (x->split == split && x->period == period)
			return x;
		j = (j + 1) & (c->map_cap - 1);
	}
	if (c->ncell == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->cell = xrealloc(c->cell, c->cap * sizeof *c->cell);
	}
	x = &c->cell[c->ncell];
	x->split = split;
	x->period = period;
	x->size = 0;
	x->ret = xcalloc((size_t)c->nmax + 1, sizeof *x->ret);
	c->map[j] = (uint32_t)++c->ncell;
	return x;
}

void cohort_person(struct cohort *c, const struct evrow *r, size_t n)
{
	struct cohort_cell *x;
	size_t i, first = n;
	int64_t p0, marked = -1;

	for (i = 0; i < n && first == n; i++)
		if (r[i].bits & c->cohort_bit)
			first = i;
	if (first == n)
		return;
	p0 = cohort_period(r[first].ts, c->unit);
	x = cell_get(c, r[first].key, p0);
	x->size++;
	/* rows at the cohort event's time before it (equal times) count too */
	for (i = first; i > 0 && r[i - 1].ts == r[first].ts; i--)
		;
	for (; i < n; i++) {
		int64_t off;
		if (!(r[i].bits & c->return_bit))
			continue;
		off = cohort_period(r[i].ts, c->unit) - p0;
		if (off > (int64_t)c->nmax)
			break;
		if (off != marked) { /* periods only grow along the rows */
			x->ret[off]++;
			marked = off;
		}
	}
}

static const uint32_t *sort_rank;

static int cell_cmp(const void *a, const void *b)
{
	const struct cohort_cell *x = a, *y = b;
	uint32_t rx = sort_rank ? sort_rank[x->split] : x->split;
	uint32_t ry = sort_rank ? sort_rank[y->split] : y->split;

	if (rx != ry)
		return rx < ry ? -1 : 1;
	return (x->period > y->period) - (x->period < y->period);
}

void cohort_sort(struct cohort *c, const uint32_t *rank)
{
	sort_rank = rank;
	if (c->ncell)
		qsort(c->cell, c->ncell, sizeof *c->cell, cell_cmp);
	sort_rank = NULL;
	free(c->map); /* the indexes moved */
	c->map = NULL;
	c->map_cap = 0;
}

void cohort_set_end(struct cohort *c, int64_t ts)
{
	c->last = cohort_period(ts, c->unit);
	c->have_last = 1;
}

unsigned cohort_observed(const struct cohort *c, const struct cohort_cell *cell)
{
	int64_t n = c->last - cell->period;

	if (!c->have_last)
		return c->nmax;
	if (n < 0)
		return 0;
	return n > (int64_t)c->nmax ? c->nmax : (unsigned)n;
}

void cohort_release(struct cohort *c)
{
	size_t i;

	for (i = 0; i < c->ncell; i++)
		free(c->cell[i].ret);
	free(c->cell);
	free(c->map);
	memset(c, 0, sizeof *c);
}
