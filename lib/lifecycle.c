/*
 * lifecycle - stages per period and the moves between them. See
 * lifecycle.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cond.h"
#include "lifecycle.h"

const char *lifecycle_stage_name(unsigned stage)
{
	static const char *const names[] = {"new", "growing", "mature", "dormant", "churned", "none"};
	return stage <= LIFECYCLE_NONE ? names[stage] : "none";
}

unsigned lifecycle_stage_at(const struct lifecycle_params *p, int64_t first, int64_t last, uint64_t orders,
			    int64_t clock)
{
	int64_t idle = cond_days_between(last, clock);

	if (idle >= p->churned_days)
		return LIFECYCLE_CHURNED;
	if (idle >= p->dormant_days)
		return LIFECYCLE_DORMANT;
	if (cond_days_between(first, clock) < p->new_days)
		return LIFECYCLE_NEW;
	if ((long long)orders >= p->mature_orders)
		return LIFECYCLE_MATURE;
	return LIFECYCLE_GROWING;
}

void lifecycle_init(struct lifecycle *l, const struct lifecycle_params *p, enum cohort_unit u, int64_t first_ts,
		    int64_t last_ts, uint32_t seen_bit, uint32_t order_bit)
{
	memset(l, 0, sizeof *l);
	l->par = *p;
	l->unit = u;
	l->p0 = cohort_period(first_ts, u);
	l->np = (size_t)(cohort_period(last_ts, u) - l->p0 + 1);
	l->end = last_ts;
	l->seen_bit = seen_bit;
	l->order_bit = order_bit;
	l->people = xcalloc(l->np * LIFECYCLE_NSTAGES, sizeof *l->people);
	l->flow = xcalloc(l->np * (LIFECYCLE_NSTAGES + 1) * LIFECYCLE_NSTAGES, sizeof *l->flow);
}

void lifecycle_person(struct lifecycle *l, const struct evrow *r, size_t n)
{
	size_t i = 0, k, j;
	int64_t first = 0, last = 0;
	uint64_t orders = 0;
	unsigned prev = LIFECYCLE_NONE;
	int seen = 0;

	l->nkeys = 0;
	for (k = 0; k < l->np; k++) {
		int64_t clock = cohort_period_start(l->p0 + (int64_t)k + 1, l->unit) - 1;
		unsigned s;
		if (clock > l->end)
			clock = l->end;
		for (; i < n && r[i].ts <= clock; i++) {
			if (r[i].bits & l->seen_bit) {
				if (!seen)
					first = r[i].ts;
				last = r[i].ts;
				seen = 1;
			}
			if ((r[i].bits & l->order_bit) && r[i].key) {
				for (j = 0; j < l->nkeys && l->keys[j] != r[i].key; j++)
					;
				if (j == l->nkeys) {
					if (l->nkeys == l->capkeys) {
						l->capkeys = l->capkeys ? l->capkeys * 2 : 16;
						l->keys = xrealloc(l->keys, l->capkeys * sizeof *l->keys);
					}
					l->keys[l->nkeys++] = r[i].key;
					orders++;
				}
			}
		}
		if (!seen)
			continue;
		s = lifecycle_stage_at(&l->par, first, last, orders, clock);
		l->people[k * LIFECYCLE_NSTAGES + s]++;
		l->flow[(k * (LIFECYCLE_NSTAGES + 1) + prev) * LIFECYCLE_NSTAGES + s]++;
		prev = s;
	}
}

void lifecycle_release(struct lifecycle *l)
{
	free(l->people);
	free(l->flow);
	free(l->keys);
	memset(l, 0, sizeof *l);
}
