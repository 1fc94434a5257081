/*
 * t-engage - a person's engagement record: entries made in channel order,
 * counts added, a torn record read as far as it is whole, and channels
 * ranked by smoothed rate with ties kept in the order of preference.
 */
#include <string.h>

#include "engage.h"
#include "t.h"

static void rank(const struct buf *r, const char *list, char *out)
{
	const char *names[8] = {0};
	size_t lens[8] = {0}, order[8], n = 0, i;
	const char *p = list;

	while (*p) {
		names[n] = p;
		lens[n] = strcspn(p, ",");
		p += lens[n] + (p[lens[n]] == ',');
		n++;
	}
	engage_rank(r->p, r->len, names, lens, n, order);
	out[0] = 0;
	for (i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strncat(out, names[order[i]], lens[order[i]]);
	}
}

int main(void)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	uint32_t s, e;
	char out[128];

	engage_add(NULL, 0, "sms", 3, 1, 0, &a);
	engage_add(a.p, a.len, "email", 5, 2, 0, &b);
	engage_add(b.p, b.len, "wechat", 6, 1, 0, &a);
	engage_add(a.p, a.len, "email", 5, 1, 3, &b);
	/* sorted: email, sms, wechat */
	T_EQ_INT(b.len, 3 * 9 + 5 + 3 + 6);
	T_EQ_INT(b.p[0], 5);
	T_OK(!memcmp(b.p + 1, "email", 5));
	T_EQ_INT(engage_get(b.p, b.len, "email", 5, &s, &e), 1);
	T_EQ_INT(s, 3);
	T_EQ_INT(e, 3);
	T_EQ_INT(engage_get(b.p, b.len, "push", 4, &s, &e), 0);
	T_EQ_INT(s, 0);
	T_EQ_INT(engage_get(b.p, b.len - 1, "wechat", 6, &s, &e), 0); /* torn */
	T_EQ_INT(engage_get(b.p, b.len - 1, "sms", 3, &s, &e), 1);

	/* email 4/5, sms 1/3, wechat 1/3, push (none) 1/2 */
	rank(&b, "wechat,sms,email,push", out);
	T_EQ_STR(out, "email,push,wechat,sms");
	rank(&b, "sms,wechat", out);
	T_EQ_STR(out, "sms,wechat");
	/* sent to often, never answered: below an untried channel */
	engage_add(b.p, b.len, "email", 5, 20, 0, &a);
	rank(&a, "email,push", out);
	T_EQ_STR(out, "push,email");
	rank(&a, "", out);
	T_EQ_STR(out, "");
	/* a merge sums the counts per channel, a channel of either kept */
	{
		struct buf x = BUF_INIT, y = BUF_INIT, f = BUF_INIT, t = BUF_INIT;
		uint32_t s, e;
		engage_add(NULL, 0, "email", 5, 2, 1, &x);
		engage_add(NULL, 0, "sms", 3, 1, 0, &t);
		engage_add(t.p, t.len, "email", 5, 3, 4, &y);
		engage_fold(x.p, x.len, y.p, y.len, &f);
		T_EQ_INT(engage_get(f.p, f.len, "email", 5, &s, &e), 1);
		T_EQ_INT(s, 5);
		T_EQ_INT(e, 5);
		T_EQ_INT(engage_get(f.p, f.len, "sms", 3, &s, &e), 1);
		T_EQ_INT(s, 1);
		engage_fold(NULL, 0, y.p, y.len, &f);
		T_EQ_INT(f.len, y.len);
		buf_release(&x);
		buf_release(&y);
		buf_release(&f);
		buf_release(&t);
	}
	buf_release(&a);
	buf_release(&b);
	return t_done("engage");
}
