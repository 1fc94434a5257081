/*
 * lifecycle - people per lifecycle stage at the end of each period, and
 * the moves between stages from one period to the next, computed from
 * events by event time with the rules of tagger's shipped lifecycle tag
 * (pipelines/tags/20-lifecycle.json): churned when the last event is
 * churned_days or more ago, else dormant when dormant_days or more ago,
 * else new when the first event is less than new_days ago, else mature
 * with mature_orders or more distinct orders, else growing. Days are whole
 * UTC days, as tagger counts them.
 */
#ifndef UOPS_LIFECYCLE_H
#define UOPS_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>

#include "cohort.h"
#include "evtab.h"

enum lifecycle_stage {
	LIFECYCLE_NEW, LIFECYCLE_GROWING, LIFECYCLE_MATURE, LIFECYCLE_DORMANT, LIFECYCLE_CHURNED,
	LIFECYCLE_NSTAGES,
	LIFECYCLE_NONE = LIFECYCLE_NSTAGES /* not seen yet */
};

struct lifecycle_params {
	long long new_days, dormant_days, churned_days, mature_orders;
};

/* The stage's name ("new" … "churned"; LIFECYCLE_NONE: "none"); static. */
const char *lifecycle_stage_name(unsigned stage);
/* The stage at time clock of a person first and last seen at those times
 * (ms) with that many distinct orders. */
unsigned lifecycle_stage_at(const struct lifecycle_params *p, int64_t first, int64_t last, uint64_t orders,
			    int64_t clock);

struct lifecycle {
	struct lifecycle_params par;
	enum cohort_unit unit;
	int64_t p0;            /* the first period */
	size_t np;             /* periods p0 … p0 + np - 1 */
	int64_t end;           /* the stream's last event: the last period is seen up to it */
	uint32_t seen_bit, order_bit;
	uint64_t *people;      /* people[k * NSTAGES + s]: in stage s at the end of period k */
	uint64_t *flow;        /* flow[(k * (NSTAGES + 1) + from) * NSTAGES + to]: moved in period k */
	uint32_t *keys;        /* scratch: one person's order ids */
	size_t nkeys, capkeys;
};

/* Start counting periods of unit from the one of first_ts to the one of
 * last_ts (the stream's first and last events). Rows with seen_bit are a
 * person's activity, rows with order_bit an order whose id is the row's
 * key (0: no id, not counted). */
void lifecycle_init(struct lifecycle *l, const struct lifecycle_params *p, enum cohort_unit u, int64_t first_ts,
		    int64_t last_ts, uint32_t seen_bit, uint32_t order_bit);
/* Count one person, rows r[0..n) in time order: their stage at the end of
 * each period from the one they were first seen in (the last period: at
 * the stream's end), and the move from the stage before (none in their
 * first period). */
void lifecycle_person(struct lifecycle *l, const struct evrow *r, size_t n);
void lifecycle_release(struct lifecycle *l);

#endif
