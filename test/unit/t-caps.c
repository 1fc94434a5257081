/*
 * t-caps - the window of a cap (a send exactly a window earlier no longer
 * counts), caps by channel and on every channel, the reserve kept for
 * higher priorities, and pruning of history older than the longest window.
 */
#include <string.h>

#include "buf.h"
#include "caps.h"
#include "t.h"

#define DAY 86400000LL

int main(void)
{
	struct cap v[2] = {
		{"daily_sms", "sms", DAY, 1, 0, 0},
		{"weekly", NULL, 7 * DAY, 3, 1, 5},
	};
	struct caps c = {v, 2, 7 * DAY};
	struct buf h = BUF_INIT, nx = BUF_INIT;
	const struct cap *p;
	int64_t t0 = 1000 * DAY;

	T_OK(caps_check(&c, NULL, 0, t0, "sms", 0) == NULL);
	caps_add(&c, NULL, 0, t0, "sms", &h);
	T_EQ_INT(h.len, 12);
	p = caps_check(&c, h.p, h.len, t0, "sms", 0);
	T_OK(p && !strcmp(p->name, "daily_sms"));
	/* a day later, to the millisecond: the first send is out of the window */
	T_OK(caps_check(&c, h.p, h.len, t0 + DAY - 1, "sms", 0) == &v[0]);
	T_OK(caps_check(&c, h.p, h.len, t0 + DAY, "sms", 0) == NULL);
	/* another channel: only the weekly cap counts it */
	T_OK(caps_check(&c, h.p, h.len, t0, "email", 0) == NULL);
	caps_add(&c, h.p, h.len, t0 + 1, "email", &nx);
	buf_reset(&h);
	buf_add(&h, nx.p, nx.len);
	/* two used, one left = the reserve: priority 5 or more only */
	T_OK(caps_check(&c, h.p, h.len, t0 + 2, "email", 4.9) == &v[1]);
	T_OK(caps_check(&c, h.p, h.len, t0 + 2, "email", 5) == NULL);
	caps_add(&c, h.p, h.len, t0 + 2, "email", &nx);
	buf_reset(&h);
	buf_add(&h, nx.p, nx.len);
	T_OK(caps_check(&c, h.p, h.len, t0 + 3, "email", 99) == &v[1]);
	T_OK(caps_check(&c, h.p, h.len, t0 + 7 * DAY + 2, "email", 0) == NULL);
	/* pruning: a send a week and a bit later drops the three before */
	caps_add(&c, h.p, h.len, t0 + 7 * DAY + 3, "push", &nx);
	T_EQ_INT(nx.len, 13);
	/* max 0 refuses everything it counts */
	{
		struct cap z = {"never", "fax", DAY, 0, 0, 0};
		struct caps cz = {&z, 1, DAY};
		T_OK(caps_check(&cz, NULL, 0, t0, "fax", 100) == &z);
		T_OK(caps_check(&cz, NULL, 0, t0, "sms", 0) == NULL);
	}
	/* a merge: the merged person's sends count for the survivor, in time
	 * order, and a fold with nothing changes nothing */
	{
		struct cap d1 = {"sms_daily", "sms", DAY, 1, 0, 0};
		struct caps cd = {&d1, 1, DAY};
		struct buf a = BUF_INIT, b = BUF_INIT, f = BUF_INIT;
		caps_add(&cd, NULL, 0, t0 + 5, "email", &a);
		caps_add(&cd, NULL, 0, t0 + 3, "sms", &b);
		T_OK(caps_check(&cd, a.p, a.len, t0 + 9, "sms", 0) == NULL);
		caps_fold(a.p, a.len, b.p, b.len, &f);
		T_EQ_INT(f.len, a.len + b.len);
		T_OK(!memcmp(f.p, b.p, b.len)); /* the earlier first */
		T_OK(caps_check(&cd, f.p, f.len, t0 + 9, "sms", 0) == &d1);
		caps_fold(a.p, a.len, NULL, 0, &f);
		T_EQ_INT(f.len, a.len);
		caps_fold(NULL, 0, NULL, 0, &f);
		T_EQ_INT(f.len, 0);
		buf_release(&a);
		buf_release(&b);
		buf_release(&f);
	}
	buf_release(&h);
	buf_release(&nx);
	return t_done("caps");
}
