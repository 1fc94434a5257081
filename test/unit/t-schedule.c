/*
 * t-schedule - the state of schedule triggers: the segments they enter,
 * members per stream (a person on the stream of their last record only,
 * gone when merged), the occurrence due next (one under way first, never
 * one entered again), and a save and load through a store that gives
 * the same state back and writes only what changed.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "schedule.h"
#include "t.h"

static int64_t at(const char *s)
{
	int64_t t;
	const char *why;

	clock_parse(s, strlen(s), NULL, &t, &why);
	return t;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int main(void)
{
	struct journey v[4];
	struct journeys js = {v, 4, 4};
	struct schedule s, r;
	struct schedule_prog *pr;
	struct schedule_members *m;
	char dir[] = "/tmp/uops-t-schedule-XXXXXX";
	struct store *st;
	MDB_dbi memb, state;
	int code;
	unsigned vip, fresh;
	int64_t mon = at("2026-03-02T10:00:00.000Z"); /* a Monday */

	memset(v, 0, sizeof v);
	memset(&s, 0, sizeof s);
	memset(&r, 0, sizeof r);
	v[0].name = "welcome";
	v[0].trig = JT_EVENT;
	v[0].t_name = "sign_up";
	v[1].name = "vip_weekly";
	v[1].trig = JT_SCHEDULE;
	v[1].t_name = "vip";
	v[1].s_every = JE_WEEK;
	v[1].s_on = 1;
	v[1].s_at_min = 600;
	v[2].name = "vip_daily";
	v[2].trig = JT_SCHEDULE;
	v[2].t_name = "vip";
	v[2].s_every = JE_DAY;
	v[2].s_at_min = 600;
	v[3].name = "fresh_monthly";
	v[3].trig = JT_SCHEDULE;
	v[3].t_name = "fresh";
	v[3].s_every = JE_MONTH;
	v[3].s_on = 1;
	v[3].s_at_min = 0;
	schedule_init(&s, &js);
	T_EQ_INT(s.njourneys, 3);
	T_EQ_INT(s.nsegs, 2);
	vip = schedule_segment(&s, "vip", 3);
	fresh = schedule_segment(&s, "fresh", 5);
	T_EQ_INT(vip, 0);
	T_EQ_INT(fresh, 1);
	T_EQ_INT(schedule_segment(&s, "sign_up", 7), UINT32_MAX);
	T_EQ_INT(schedule_segment(&s, "vi", 2), UINT32_MAX);

	/* members: on the stream of the last record only */
	T_OK(schedule_members(&s, vip, 0, 0) == NULL);
	schedule_apply(&s, vip, 7, 1, 0);
	schedule_apply(&s, vip, 9, 1, 0);
	schedule_apply(&s, fresh, 7, 1, 0);
	schedule_apply(&s, vip, 7, 1, 3); /* 7's records now come on stream 3 */
	m = schedule_members(&s, vip, 0, 0);
	T_OK(m && !roaring_bitmap_contains(m->b, 7) && roaring_bitmap_contains(m->b, 9));
	m = schedule_members(&s, vip, 3, 0);
	T_OK(m && roaring_bitmap_contains(m->b, 7) && m->dirty);
	schedule_apply(&s, vip, 9, 0, 0); /* 9 leaves */
	T_EQ_INT(roaring_bitmap_get_cardinality(schedule_members(&s, vip, 0, 0)->b), 0);
	schedule_forget(&s, 7); /* merged into another */
	T_EQ_INT(roaring_bitmap_get_cardinality(schedule_members(&s, vip, 3, 0)->b), 0);
	T_EQ_INT(roaring_bitmap_get_cardinality(schedule_members(&s, fresh, 0, 0)->b), 0);
	schedule_apply(&s, vip, 11, 1, 3);
	schedule_apply(&s, fresh, 12, 1, 0);

	/* the occurrence due: the next after the clock; one under way first;
	 * never one entered again */
	T_EQ_INT(schedule_due(&s, &v[1], 1, 3, at("2026-03-01T00:00:00.000Z")), mon);
	T_EQ_INT(schedule_due(&s, &v[1], 1, 3, at("2026-03-02T09:59:59.999Z")), mon);
	pr = schedule_prog(&s, 1, 3);
	pr->at = mon;
	pr->next = 5; /* under way: 5 is next to enter */
	pr->dirty = 1;
	T_EQ_INT(schedule_due(&s, &v[1], 1, 3, at("2026-03-01T00:00:00.000Z")), mon);
	pr = schedule_prog(&s, 1, 3);
	pr->next = 0; /* done */
	T_EQ_INT(schedule_due(&s, &v[1], 1, 3, at("2026-03-01T00:00:00.000Z")), at("2026-03-09T10:00:00.000Z"));
	T_EQ_INT(schedule_due(&s, &v[2], 2, 3, mon), at("2026-03-03T10:00:00.000Z"));
	/* another stream has a clock and progress of its own */
	T_EQ_INT(schedule_due(&s, &v[1], 1, 0, at("2026-02-20T00:00:00.000Z")), at("2026-02-23T10:00:00.000Z"));
	T_EQ_INT(s.nprog, 3);

	/* through a store and back */
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.members", 0, &memb) == 0 && store_dbi(st, "t.state", 0, &state) == 0);
	schedule_save(&s, st, memb, state, &js);
	T_OK(store_pending(st) > 0);
	T_EQ_INT(store_commit(st), 0);
	schedule_save(&s, st, memb, state, &js); /* nothing changed */
	T_EQ_INT(store_pending(st), 0);
	schedule_init(&r, &js);
	schedule_load(&r, st, memb, 0, state, &js);
	m = schedule_members(&r, vip, 3, 0);
	T_OK(m && roaring_bitmap_contains(m->b, 11) && roaring_bitmap_get_cardinality(m->b) == 1 && !m->dirty);
	m = schedule_members(&r, fresh, 0, 0);
	T_OK(m && roaring_bitmap_contains(m->b, 12));
	pr = schedule_prog(&r, 1, 3);
	T_EQ_INT(pr->at, mon);
	T_EQ_INT(pr->next, 0);
	T_EQ_INT(schedule_due(&r, &v[1], 1, 3, at("2026-03-01T00:00:00.000Z")), at("2026-03-09T10:00:00.000Z"));
	/* a progress that entered nothing was not written */
	T_EQ_INT(schedule_prog(&r, 2, 3)->at, INT64_MIN);
	schedule_release(&r);
	/* without the members' DB (an earlier store): progress alone */
	schedule_init(&r, &js);
	schedule_load(&r, st, memb, 1, state, &js);
	T_EQ_INT(r.nmem, 0);
	T_EQ_INT(schedule_prog(&r, 1, 3)->at, mon);
	schedule_release(&r);
	schedule_release(&s);
	T_EQ_INT(s.nsegs, 0);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("schedule");
}
