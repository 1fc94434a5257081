/*
 * t-sendstats - sends, outcomes and receipts counted once each; orders
 * credited to the last message within the window (strictly before it, a
 * merged person's too); goals to the journey's last message since the
 * entry; people per journey under the arm they reached; cost by channel;
 * suppressions grouped by reason.
 */
#include <string.h>

#include "evtab.h"
#include "sendstats.h"
#include "t.h"

#define H 3600000LL
#define DAY (24 * H)

static void add(struct evtab *t, uint32_t oneid, int64_t ts, uint32_t bits, uint32_t key, uint32_t aux,
		double val)
{
	struct evrow r = {0};
	r.oneid = oneid;
	r.ts = ts;
	r.bits = bits;
	r.key = key;
	r.aux = aux;
	r.val = val;
	evtab_add(t, &r);
}

int main(void)
{
	/* journeys 1, 2; arms 3, 4; channels 5 (cost 0.5), 6 (none); reasons 7, 8 */
	static const double cost[6] = {0, 0, 0, 0, 0, 0.5};
	struct evtab t = {0};
	struct sendstats s;
	size_t from, to = 0, i;
	uint64_t entered = 0;

	sendstats_init(&s, 7 * DAY);
	/* group 1: journey 1, step a, arm 3; group 2: journey 1, step b,
	 * arm 3; group 3: journey 2 */
	sendstats_send(&s, 1, 1, 1);
	sendstats_send(&s, 1, 2, 1); /* told again: keeps group 1 */
	sendstats_send(&s, 2, 2, 1);
	sendstats_send(&s, 3, 3, 2);
	sendstats_send(&s, 4, 1, 1);
	sendstats_send(&s, 5, 1, 1);
	T_EQ_INT(sendstats_group_of(&s, 1), 1);
	T_EQ_INT(sendstats_group_of(&s, 99), 0);
	T_EQ_INT(sendstats_outcome(&s, 1, SS_ST_SENT, 5, 0), 1);
	T_EQ_INT(sendstats_outcome(&s, 1, SS_ST_FAILED, 5, 7), 0); /* a second answer */
	T_EQ_INT(sendstats_outcome(&s, 2, SS_ST_SENT, 6, 0), 1);
	T_EQ_INT(sendstats_outcome(&s, 3, SS_ST_SENT, 5, 0), 1);
	T_EQ_INT(sendstats_outcome(&s, 4, SS_ST_SUPPRESSED, 0, 8), 1);
	T_EQ_INT(sendstats_outcome(&s, 5, SS_ST_SUPPRESSED, 0, 8), 1);
	T_EQ_INT(sendstats_outcome(&s, 6, SS_ST_SUPPRESSED, 0, 7), 1); /* no $send: group 0 */
	sendstats_receipt(&s, 1, SS_OPENED);
	sendstats_receipt(&s, 1, SS_OPENED);
	sendstats_receipt(&s, 1, SS_CLICKED);
	sendstats_receipt(&s, 2, SS_DELIVERED);

	/* person 1: enters journey 1, arm 3 later; message 1 on day 1, an
	 * order of 10 at the same time (not after: nobody's), one of 20 on
	 * day 2 (message 1), message 3 (journey 2) on day 3, an order of 30 on
	 * day 4 (message 3), the goal of journey 1 on day 5 (message 1, the
	 * last of journey 1) */
	add(&t, 1, 0, SS_ENTER, 1, 0, 0);
	add(&t, 1, 0, SS_ARM, 1, 3, 0);
	add(&t, 1, 1 * DAY, SS_SENT, 1, 0, 0);
	add(&t, 1, 1 * DAY, SS_ORDER, 0, 0, 10);
	add(&t, 1, 2 * DAY, SS_ORDER, 0, 0, 20);
	add(&t, 1, 3 * DAY, SS_SENT, 3, 0, 0);
	add(&t, 1, 4 * DAY, SS_ORDER, 0, 0, 30);
	add(&t, 1, 5 * DAY, SS_GOAL, 1, 0, 0);
	/* person 2: message 2 on day 1; person 9, merged into 2, orders 40 on
	 * day 8 (7 days on: counts) and 50 on day 9 (too late); then enters
	 * journey 1 again on day 10 and reaches the goal: no message since */
	add(&t, 2, 0, SS_ENTER, 1, 0, 0);
	add(&t, 2, 1 * DAY, SS_SENT, 2, 0, 0);
	add(&t, 9, 8 * DAY, SS_ORDER, 0, 0, 40);
	add(&t, 9, 9 * DAY, SS_ORDER, 0, 0, 50);
	add(&t, 2, 10 * DAY, SS_ENTER | SS_ARM, 1, 4, 0);
	add(&t, 2, 11 * DAY, SS_GOAL, 1, 0, 0);
	evtab_merge(&t, 9, 2);
	evtab_group(&t);
	while (evtab_next_person(&t, &from, &to))
		sendstats_person(&s, t.r + from, to - from);
	sendstats_finish(&s, 4, cost, 6);

	T_EQ_INT(s.g[1].sends, 3);
	T_EQ_INT(s.g[1].sent, 1);
	T_EQ_INT(s.g[1].suppressed, 2);
	T_EQ_INT(s.g[1].opened, 1);
	T_EQ_INT(s.g[1].clicked, 1);
	T_EQ_INT(s.g[1].delivered, 0);
	T_EQ_INT(s.g[1].orders, 1);
	T_OK(s.g[1].revenue == 20);
	T_EQ_INT(s.g[1].ordered, 1);
	T_EQ_INT(s.g[1].goals, 1);
	T_OK(s.g[1].cost == 0.5);
	T_EQ_INT(s.g[2].sends, 1);
	T_EQ_INT(s.g[2].delivered, 1);
	T_EQ_INT(s.g[2].orders, 1);
	T_OK(s.g[2].revenue == 40);
	T_EQ_INT(s.g[2].goals, 0);
	T_OK(s.g[2].cost == 0);
	T_EQ_INT(s.g[3].orders, 1);
	T_OK(s.g[3].revenue == 30);
	T_OK(s.g[3].cost == 0.5);
	T_EQ_INT(s.g[0].suppressed, 1);
	T_EQ_INT(s.g[0].sends, 0);
	/* suppressions: group 0 reason 7, group 1 reason 8 (twice) */
	T_EQ_INT(s.nwhy, 2);
	T_EQ_INT(s.why[0].group, 0);
	T_EQ_INT(s.why[1].group, 1);
	T_EQ_INT(s.why[1].reason, 8);
	T_EQ_INT(s.why[1].sends, 2);
	/* people: journey 1 under arm 3 (person 1) and arm 4 (person 2, both
	 * entries: the arm the person has at the end) */
	T_EQ_INT(s.nj, 2);
	for (i = 0; i < s.nj; i++) {
		T_EQ_INT(s.j[i].journey, 1);
		if (s.j[i].arm == 3) {
			T_EQ_INT(s.j[i].entered, 1);
			T_EQ_INT(s.j[i].converted, 1);
		} else {
			T_EQ_INT(s.j[i].arm, 4);
			T_EQ_INT(s.j[i].entered, 2);
			T_EQ_INT(s.j[i].converted, 1);
		}
		entered += s.j[i].entered;
	}
	T_EQ_INT(entered, 3);
	sendstats_release(&s);
	evtab_release(&t);
	return t_done("t-sendstats");
}
