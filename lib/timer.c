#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

#define SIGN 0x8000000000000000ull

int timer_open(struct timer *t, struct store *st, const char *name)
{
	memset(t, 0, sizeof *t);
	t->st = st;
	return store_dbi(st, name, 0, &t->dbi);
}

void timer_release(struct timer *t)
{
	free(t->add);
	t->add = NULL;
	t->nadd = t->capadd = 0;
}

void timer_key(const struct timer_id *id, unsigned char *k)
{
	store_be32(k, id->stream);
	store_be64(k + 4, (uint64_t)id->wake ^ SIGN);
	store_be32(k + 12, id->oneid);
	store_be32(k + 16, id->journey);
	store_be64(k + 20, id->corr);
}

void timer_unkey(const unsigned char *k, struct timer_id *id)
{
	id->stream = store_get_be32(k);
	id->wake = (int64_t)(store_get_be64(k + 4) ^ SIGN);
	id->oneid = store_get_be32(k + 12);
	id->journey = store_get_be32(k + 16);
	id->corr = store_get_be64(k + 20);
}

/* The index of the first kept key not below k. */
static size_t add_find(const struct timer *t, const unsigned char *k)
{
	size_t lo = 0, hi = t->nadd;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(t->add[mid], k, TIMER_KEY) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void timer_set(struct timer *t, const struct timer_id *id)
{
	unsigned char k[TIMER_KEY];
	size_t i;

	timer_key(id, k);
	store_put(t->st, t->dbi, k, TIMER_KEY, "", 0);
	t->set++;
	i = add_find(t, k);
	if (i < t->nadd && !memcmp(t->add[i], k, TIMER_KEY))
		return;
	if (t->nadd == t->capadd) {
		t->capadd = t->capadd ? t->capadd * 2 : 256;
		t->add = xrealloc(t->add, t->capadd * sizeof *t->add);
	}
	memmove(t->add + i + 1, t->add + i, (t->nadd - i) * sizeof *t->add);
	memcpy(t->add[i], k, TIMER_KEY);
	t->nadd++;
}

void timer_del(struct timer *t, const struct timer_id *id)
{
	unsigned char k[TIMER_KEY];
	size_t i;

	timer_key(id, k);
	store_del(t->st, t->dbi, k, TIMER_KEY);
	i = add_find(t, k);
	if (i < t->nadd && !memcmp(t->add[i], k, TIMER_KEY)) {
		memmove(t->add + i, t->add + i + 1, (t->nadd - i - 1) * sizeof *t->add);
		t->nadd--;
	}
}

void timer_committed(struct timer *t)
{
	t->nadd = 0;
}

int timer_next(struct timer *t, uint32_t stream, int64_t upto, const struct timer_id *after,
	       struct timer_id *out)
{
	unsigned char from[TIMER_KEY], lim[TIMER_KEY], best[TIMER_KEY];
	struct timer_id l;
	int have = 0, rc, strict = after != NULL;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t i;

	if (after) {
		timer_key(after, from);
	} else {
		memset(&l, 0, sizeof l);
		l.stream = stream;
		l.wake = INT64_MIN;
		timer_key(&l, from);
	}
	/* the last key that may fall due: (stream, upto, all ones) */
	l.stream = stream;
	l.wake = upto;
	l.oneid = UINT32_MAX;
	l.journey = UINT32_MAX;
	l.corr = UINT64_MAX;
	timer_key(&l, lim);
	/* in the batch */
	i = add_find(t, from);
	if (strict && i < t->nadd && !memcmp(t->add[i], from, TIMER_KEY))
		i++;
	if (i < t->nadd && memcmp(t->add[i], lim, TIMER_KEY) <= 0) {
		memcpy(best, t->add[i], TIMER_KEY);
		have = 1;
	}
	/* committed */
	if (!(txn = store_read_txn(t->st)))
		return -1;
	if ((rc = mdb_cursor_open(txn, t->dbi, &cur))) {
		cli_err("cannot read the wake-ups: %s", mdb_strerror(rc));
		return -1;
	}
	k.mv_data = from;
	k.mv_size = TIMER_KEY;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (!rc) {
		MDB_val pv;
		if (k.mv_size != TIMER_KEY || memcmp(k.mv_data, lim, TIMER_KEY) > 0)
			break;
		if (have && memcmp(k.mv_data, best, TIMER_KEY) >= 0)
			break;
		if (!(strict && !memcmp(k.mv_data, from, TIMER_KEY)) &&
		    store_get_pending(t->st, t->dbi, k.mv_data, TIMER_KEY, &pv) != 2) {
			memcpy(best, k.mv_data, TIMER_KEY);
			have = 1;
			break;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND) {
		cli_err("cannot read the wake-ups: %s", mdb_strerror(rc));
		return -1;
	}
	if (!have)
		return 0;
	timer_unkey(best, out);
	return 1;
}
