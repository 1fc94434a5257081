#include "seen.h"

#include "hash.h"

#define DAY 86400000LL

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

int seen_check(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n)
{
	unsigned char key[12];
	int64_t d = day_of(ts);
	MDB_val v;
	int r;

	if (s->days <= 0 || !n)
		return 0;
	if (clock != INT64_MIN && d <= day_of(clock) - s->days)
		return 0; /* older than the window: not kept */
	if (d < 0 || d > UINT32_MAX)
		return 0;
	store_be32(key, (uint32_t)d);
	store_be64(key + 4, hash64(id, n, 0x5eed));
	r = store_get(s->st, s->dbi, key, sizeof key, &v);
	if (r < 0)
		return -1;
	if (r == 1)
		return 1;
	store_put(s->st, s->dbi, key, sizeof key, "", 0);
	return 0;
}

void seen_prune(struct seen *s, int64_t clock)
{
	unsigned char below[4];
	int64_t d;

	if (s->days <= 0 || clock == INT64_MIN)
		return;
	d = day_of(clock) - s->days + 1; /* days before d leave */
	if (d <= 0 || d > UINT32_MAX)
		return;
	store_be32(below, (uint32_t)d);
	store_del_below(s->st, s->dbi, below, sizeof below, 200000);
}
