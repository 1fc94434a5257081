/*
 * t-lifecycle - the stage rules at their edges (whole UTC days), and one
 * person's stages and moves over months counted by hand.
 */
#include <string.h>

#include "clock.h"
#include "lifecycle.h"
#include "t.h"

#define DAY 86400000LL

static int64_t at(int y, unsigned m, unsigned d, int h)
{
	return clock_days_from_civil(y, m, d) * DAY + h * 3600000LL;
}

int main(void)
{
	struct lifecycle_params p = {30, 30, 90, 3};
	struct lifecycle l;
	struct evrow r[4];
	int64_t t0 = at(2026, 1, 1, 23);

	T_EQ_STR(lifecycle_stage_name(LIFECYCLE_MATURE), "mature");
	T_EQ_STR(lifecycle_stage_name(LIFECYCLE_NONE), "none");
	/* 29 whole days since first seen: new; 30: not */
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0 + 29 * DAY, 0, at(2026, 1, 30, 0)), LIFECYCLE_NEW);
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0 + 29 * DAY, 0, at(2026, 1, 31, 0)), LIFECYCLE_GROWING);
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0 + 29 * DAY, 3, at(2026, 1, 31, 0)), LIFECYCLE_MATURE);
	/* a day is a UTC day: 23:00 to 00:00 the next day is one */
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0, 5, at(2026, 1, 31, 0)), LIFECYCLE_DORMANT);
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0, 5, at(2026, 1, 30, 23)), LIFECYCLE_NEW);
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0, 5, at(2026, 4, 1, 0)), LIFECYCLE_CHURNED);
	T_EQ_INT(lifecycle_stage_at(&p, t0, t0, 5, at(2026, 3, 31, 23)), LIFECYCLE_DORMANT);

	/* seen 01-10 with an order, an order 02-03 and again 02-04 (another
	 * id), 02-05 (the same id); the stream ends 04-15 */
	memset(r, 0, sizeof r);
	r[0].oneid = r[1].oneid = r[2].oneid = r[3].oneid = 1;
	r[0].ts = at(2026, 1, 10, 0), r[0].bits = 3, r[0].key = 1;
	r[1].ts = at(2026, 2, 3, 0), r[1].bits = 3, r[1].key = 2;
	r[2].ts = at(2026, 2, 4, 0), r[2].bits = 3, r[2].key = 3;
	r[3].ts = at(2026, 2, 5, 0), r[3].bits = 3, r[3].key = 3;
	lifecycle_init(&l, &p, COHORT_MONTH, at(2025, 12, 20, 0), at(2026, 4, 15, 0), 1, 2);
	T_EQ_INT(l.np, 5);
	lifecycle_person(&l, r, 4);
	/* Dec: not seen; Jan: new; Feb: mature; Mar: dormant (54 days);
	 * Apr (to 04-15): dormant (69) */
	T_EQ_INT(l.people[0 * LIFECYCLE_NSTAGES + LIFECYCLE_NEW], 0);
	T_EQ_INT(l.people[1 * LIFECYCLE_NSTAGES + LIFECYCLE_NEW], 1);
	T_EQ_INT(l.people[2 * LIFECYCLE_NSTAGES + LIFECYCLE_MATURE], 1);
	T_EQ_INT(l.people[3 * LIFECYCLE_NSTAGES + LIFECYCLE_DORMANT], 1);
	T_EQ_INT(l.people[4 * LIFECYCLE_NSTAGES + LIFECYCLE_DORMANT], 1);
	T_EQ_INT(l.flow[(1 * (LIFECYCLE_NSTAGES + 1) + LIFECYCLE_NONE) * LIFECYCLE_NSTAGES + LIFECYCLE_NEW], 1);
	T_EQ_INT(l.flow[(2 * (LIFECYCLE_NSTAGES + 1) + LIFECYCLE_NEW) * LIFECYCLE_NSTAGES + LIFECYCLE_MATURE], 1);
	T_EQ_INT(l.flow[(3 * (LIFECYCLE_NSTAGES + 1) + LIFECYCLE_MATURE) * LIFECYCLE_NSTAGES + LIFECYCLE_DORMANT], 1);
	lifecycle_release(&l);
	T_EQ_INT(cohort_period_start(cohort_period(at(2026, 2, 14, 5), COHORT_MONTH), COHORT_MONTH), at(2026, 2, 1, 0));
	T_EQ_INT(cohort_period_start(cohort_period(at(2026, 1, 8, 5), COHORT_WEEK), COHORT_WEEK), at(2026, 1, 5, 0));
	T_EQ_INT(cohort_period_start(cohort_period(at(1969, 7, 8, 5), COHORT_MONTH), COHORT_MONTH), at(1969, 7, 1, 0));
	return t_done("t-lifecycle");
}
