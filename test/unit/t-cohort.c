/*
 * t-cohort - rows grouped by person in time order (evtab, merges too),
 * cohort periods and labels, a retention triangle and a funnel counted by
 * hand.
 */
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "cohort.h"
#include "evtab.h"
#include "funnel.h"
#include "t.h"

#define DAY 86400000LL

static int64_t at(int y, unsigned m, unsigned d, int h)
{
	return clock_days_from_civil(y, m, d) * DAY + h * 3600000LL;
}

static void add(struct evtab *t, uint32_t oneid, int64_t ts, uint32_t bits, uint32_t key)
{
	struct evrow r = {0};
	r.oneid = oneid;
	r.ts = ts;
	r.bits = bits;
	r.key = key;
	evtab_add(t, &r);
}

int main(void)
{
	char label[32];
	struct evtab t = {0};
	struct cohort c;
	struct funnel f;
	size_t from, to = 0;
	unsigned people = 0;

	/* periods: 2026-01-05 is a Monday; months count from January 1970 */
	T_EQ_INT(cohort_period(at(1970, 1, 1, 0), COHORT_DAY), 0);
	T_EQ_INT(cohort_period(at(1969, 12, 31, 23), COHORT_DAY), -1);
	T_EQ_INT(cohort_period(at(2026, 1, 5, 0), COHORT_WEEK), cohort_period(at(2026, 1, 11, 23), COHORT_WEEK));
	T_EQ_INT(cohort_period(at(2026, 1, 5, 0), COHORT_WEEK), cohort_period(at(2026, 1, 4, 23), COHORT_WEEK) + 1);
	cohort_label(cohort_period(at(2026, 1, 8, 5), COHORT_WEEK), COHORT_WEEK, label);
	T_EQ_STR(label, "2026-01-05");
	cohort_label(cohort_period(at(1969, 12, 31, 5), COHORT_WEEK), COHORT_WEEK, label);
	T_EQ_STR(label, "1969-12-29");
	T_EQ_INT(cohort_period(at(2011, 12, 9, 12), COHORT_MONTH) - cohort_period(at(2010, 12, 1, 8), COHORT_MONTH), 12);
	cohort_label(cohort_period(at(2010, 12, 31, 23), COHORT_MONTH), COHORT_MONTH, label);
	T_EQ_STR(label, "2010-12");
	cohort_label(cohort_period(at(1969, 11, 3, 0), COHORT_MONTH), COHORT_MONTH, label);
	T_EQ_STR(label, "1969-11");
	cohort_label(cohort_period(at(2026, 3, 1, 0), COHORT_DAY), COHORT_DAY, label);
	T_EQ_STR(label, "2026-03-01");

	/* rows out of order, a merge (7 into 2) after the rows it renames */
	add(&t, 2, at(2026, 1, 20, 0), 3, 0);
	add(&t, 1, at(2026, 1, 3, 0), 2, 0); /* a return before any cohort row */
	add(&t, 1, at(2026, 1, 5, 9), 1, 5);
	add(&t, 7, at(2026, 1, 12, 0), 2, 0);
	add(&t, 2, at(2026, 1, 6, 0), 3, 6);
	add(&t, 1, at(2026, 1, 19, 1), 2, 0);
	add(&t, 1, at(2026, 1, 19, 0), 2, 0);
	add(&t, 3, at(2026, 2, 2, 0), 2, 0); /* never a cohort row */
	evtab_merge(&t, 7, 2);
	evtab_merge(&t, 2, 7); /* a cycle: ignored */
	evtab_group(&t);
	T_EQ_INT(t.n, 8);
	T_EQ_INT(t.r[0].oneid, 1);
	T_OK(t.r[0].ts <= t.r[1].ts && t.r[1].ts <= t.r[2].ts && t.r[2].ts <= t.r[3].ts);
	T_EQ_INT(t.r[4].oneid, 2);
	T_EQ_INT(t.r[5].oneid, 2);
	T_EQ_INT(t.r[5].ts, at(2026, 1, 12, 0)); /* 7's row, now 2's, in time order */
	T_EQ_INT(t.r[7].oneid, 3);

	/* weekly cohorts: cohort bit 1, return bit 2 */
	cohort_init(&c, COHORT_WEEK, 4, 1, 2);
	while (evtab_next_person(&t, &from, &to)) {
		cohort_person(&c, t.r + from, to - from);
		people++;
	}
	T_EQ_INT(people, 3);
	cohort_set_end(&c, at(2026, 2, 2, 0));
	cohort_sort(&c, NULL);
	/* person 1: cohort 2026-01-05 (key 5), returns in week 2 (twice) —
	 * not week 0: the cohort row is not a return, the earlier return is
	 * before it; person 2: cohort 2026-01-05 (key 6), weeks 0, 1, 2 */
	T_EQ_INT(c.ncell, 2);
	T_EQ_INT(c.cell[0].split, 5);
	T_EQ_INT(c.cell[0].size, 1);
	T_EQ_INT(c.cell[0].ret[0], 0);
	T_EQ_INT(c.cell[0].ret[1], 0);
	T_EQ_INT(c.cell[0].ret[2], 1);
	T_EQ_INT(c.cell[1].split, 6);
	T_EQ_INT(c.cell[1].ret[0], 1);
	T_EQ_INT(c.cell[1].ret[1], 1);
	T_EQ_INT(c.cell[1].ret[2], 1);
	T_EQ_INT(c.cell[1].ret[3], 0);
	T_EQ_INT(cohort_observed(&c, &c.cell[0]), 4); /* the end is week 4 */
	cohort_release(&c);

	/* a funnel of bit 0 then bit 1 within 10 days: person 1 enters on
	 * Jan 5 (its bit-0 row) and its bit-1 rows are on Jan 3 (before) and
	 * Jan 19 (after the window); person 2 enters Jan 6 and reaches step 2
	 * at Jan 12 (a later time, and bit 1 is set: 7's row) */
	funnel_init(&f, 2, 10 * DAY);
	to = 0;
	while (evtab_next_person(&t, &from, &to))
		funnel_person(&f, t.r + from, to - from);
	funnel_finish(&f, NULL);
	T_EQ_INT(f.ns, 2);
	T_EQ_INT(f.s[0].split, 5);
	T_EQ_INT(f.s[0].reached[0], 1);
	T_EQ_INT(f.s[0].reached[1], 0);
	T_EQ_INT(f.s[1].reached[1], 1);
	T_EQ_INT(f.s[1].ngap[0], 1);
	T_OK(f.s[1].gap[0][0] == 6.0 * DAY);
	funnel_release(&f);
	/* no limit: person 1 reaches step 2 on Jan 19 at 00:00 (the first) */
	funnel_init(&f, 2, -1);
	to = 0;
	while (evtab_next_person(&t, &from, &to))
		funnel_person(&f, t.r + from, to - from);
	funnel_finish(&f, NULL);
	T_EQ_INT(f.s[0].reached[1], 1);
	T_OK(f.s[0].gap[0][0] == (double)(at(2026, 1, 19, 0) - at(2026, 1, 5, 9)));
	funnel_release(&f);
	evtab_release(&t);
	return t_done("t-cohort");
}
