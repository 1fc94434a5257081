#include "timer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

#define SIGN 0x8000000000000000ull
#define GONE_BITS 21 /* 256 KB: a batch's deletes leave most bits clear */

/* The filter bit of key k (TIMER_KEY bytes). */
static size_t gone_bit(const unsigned char *k)
{
	uint64_t a, b, c, h;

	memcpy(&a, k + 4, 8);
	memcpy(&b, k + 12, 8);
	memcpy(&c, k + 20, 8);
	h = (a ^ (uint64_t)store_get_be32(k) << 32) * 0x9e3779b97f4a7c15ull;
	h = (h ^ (h >> 29) ^ b) * 0xff51afd7ed558ccdull;
	h = (h ^ (h >> 32) ^ c) * 0xc4ceb9fe1a85ec53ull;
	return (size_t)(h >> (64 - GONE_BITS));
}

/* Whether the wake-up of key k may have been deleted in the batch. */
static int gone_maybe(const struct timer *t, const unsigned char *k)
{
	size_t b;

	if (!t->ngone)
		return 0;
	b = gone_bit(k);
	return (int)(t->gone[b >> 6] >> (b & 63)) & 1;
}

int timer_open(struct timer *t, struct store *st, const char *name)
{
	memset(t, 0, sizeof *t);
	t->st = st;
	return store_dbi(st, name, 0, &t->dbi);
}

void timer_release(struct timer *t)
{
	unsigned i;

	for (i = 0; i < t->nheaps; i++)
		free(t->heaps[i].k);
	free(t->heaps);
	t->heaps = NULL;
	t->nheaps = 0;
	free(t->gone);
	t->gone = NULL;
	t->ngone = 0;
	if (t->cur)
		mdb_cursor_close(t->cur);
	t->cur = NULL;
	t->at = 0;
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

/* The heap of stream's keys set since the last commit (made when make);
 * k[0] is the least. */
static struct timer_heap *heap_of(struct timer *t, uint32_t stream, int make)
{
	unsigned i;

	for (i = 0; i < t->nheaps; i++)
		if (t->heaps[i].stream == stream)
			return &t->heaps[i];
	if (!make)
		return NULL;
	t->heaps = xrealloc(t->heaps, (t->nheaps + 1) * sizeof *t->heaps);
	memset(&t->heaps[t->nheaps], 0, sizeof *t->heaps);
	t->heaps[t->nheaps].stream = stream;
	return &t->heaps[t->nheaps++];
}

/* memcmp's order of two keys (< 0, 0, > 0), a word at a time: the
 * fields are big-endian, so the words compare as numbers */
static int key_order(const unsigned char *a, const unsigned char *b)
{
	uint64_t x, y;
	uint32_t u, v;
	int k;

	for (k = 0; k < 24; k += 8) {
		x = store_get_be64(a + k);
		y = store_get_be64(b + k);
		if (x != y)
			return x < y ? -1 : 1;
	}
	u = store_get_be32(a + 24);
	v = store_get_be32(b + 24);
	return u < v ? -1 : u > v;
}

static void heap_swap(struct timer_heap *h, size_t a, size_t b)
{
	unsigned char tmp[TIMER_KEY];

	memcpy(tmp, h->k[a], TIMER_KEY);
	memcpy(h->k[a], h->k[b], TIMER_KEY);
	memcpy(h->k[b], tmp, TIMER_KEY);
}

static void heap_push(struct timer_heap *h, const unsigned char *k)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 256;
		h->k = xrealloc(h->k, h->cap * sizeof *h->k);
	}
	i = h->n++;
	memcpy(h->k[i], k, TIMER_KEY);
	while (i && key_order(h->k[(i - 1) / 2], h->k[i]) > 0) {
		heap_swap(h, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_pop(struct timer_heap *h)
{
	size_t i = 0;

	if (!h->n)
		return;
	memcpy(h->k[0], h->k[--h->n], TIMER_KEY);
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < h->n && key_order(h->k[l], h->k[m]) < 0)
			m = l;
		if (r < h->n && key_order(h->k[r], h->k[m]) < 0)
			m = r;
		if (m == i)
			break;
		heap_swap(h, i, m);
		i = m;
	}
}

void timer_set(struct timer *t, const struct timer_id *id)
{
	unsigned char k[TIMER_KEY];

	timer_key(id, k);
	store_put(t->st, t->dbi, k, TIMER_KEY, "", 0);
	t->set++;
	heap_push(heap_of(t, id->stream, 1), k);
}

void timer_del(struct timer *t, const struct timer_id *id)
{
	unsigned char k[TIMER_KEY];

	size_t b;

	/* the heap keeps it: timer_next asks the batch whether it stands */
	timer_key(id, k);
	store_del(t->st, t->dbi, k, TIMER_KEY);
	if (!t->gone)
		t->gone = xcalloc((size_t)1 << (GONE_BITS - 6), sizeof *t->gone);
	b = gone_bit(k);
	t->gone[b >> 6] |= (uint64_t)1 << (b & 63);
	t->ngone++;
}

void timer_committed(struct timer *t)
{
	unsigned i;

	for (i = 0; i < t->nheaps; i++)
		t->heaps[i].n = 0;
	if (t->ngone)
		memset(t->gone, 0, ((size_t)1 << (GONE_BITS - 6)) * sizeof *t->gone);
	t->ngone = 0;
}

int timer_next(struct timer *t, uint32_t stream, int64_t upto, const struct timer_id *after,
	       struct timer_id *out)
{
	unsigned char from[TIMER_KEY], lim[TIMER_KEY], best[TIMER_KEY];
	struct timer_id l;
	int have = 0, rc, past, strict = after != NULL;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct timer_heap *h;

	h = heap_of(t, stream, 1);
	if (!after && h->has_floor) {
		memcpy(from, h->floor, TIMER_KEY);
		strict = 1;
	} else if (after) {
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
	/* in the batch: the heap's least that still stands (those at or
	 * before after were returned already, or deleted; a key set twice is
	 * in it twice) */
	while (h->n) {
		MDB_val pv;
		int c = key_order(h->k[0], from);
		/* a key of the heap was put in the batch: it stands unless
		 * it was deleted since */
		if ((c < 0 || (c == 0 && strict)) ||
		    (gone_maybe(t, h->k[0]) && store_get_pending(t->st, t->dbi, h->k[0], TIMER_KEY, &pv) != 1)) {
			heap_pop(h);
			continue;
		}
		if (key_order(h->k[0], lim) <= 0) {
			memcpy(best, h->k[0], TIMER_KEY);
			have = 1;
		}
		break;
	}
	/* committed */
	if (!(txn = store_read_txn(t->st)))
		return -1;
	/* a search the last one showed to hold nothing up to the limit: the
	 * same snapshot, from no earlier, the next key past the limit */
	if (h->has_gap && h->gap_txn == mdb_txn_id(txn) && (past = key_order(from, h->gap_from)) >= 0 &&
	    (past > 0 || strict || !h->gap_strict) && (!h->gap_has_next || key_order(h->gap_next, lim) > 0))
		goto done;
	if (!t->cur || t->gen != store_read_gen(t->st)) {
		rc = t->cur ? mdb_cursor_renew(txn, t->cur) : mdb_cursor_open(txn, t->dbi, &t->cur);
		if (rc) {
			cli_err("cannot read the wake-ups: %s", mdb_strerror(rc));
			return -1;
		}
		t->gen = store_read_gen(t->st);
		t->at = 0;
	}
	cur = t->cur;
	if (t->at && strict && !key_order(t->at_key, from)) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT); /* on from: the key after it */
	} else {
		k.mv_data = from;
		k.mv_size = TIMER_KEY;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (!rc && strict && k.mv_size == TIMER_KEY && !key_order(k.mv_data, from))
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT); /* from itself is not wanted */
	}
	if ((rc == MDB_NOTFOUND || (!rc && k.mv_size == TIMER_KEY && key_order(k.mv_data, lim) > 0))) {
		/* nothing committed from `from` (past it when strict) to the
		 * limit: remember where the next key is */
		memcpy(h->gap_from, from, TIMER_KEY);
		h->gap_strict = strict;
		h->gap_has_next = !rc;
		if (!rc)
			memcpy(h->gap_next, k.mv_data, TIMER_KEY);
		h->gap_txn = mdb_txn_id(txn);
		h->has_gap = 1;
	}
	while (!rc) {
		MDB_val pv;
		if (k.mv_size != TIMER_KEY || key_order(k.mv_data, lim) > 0)
			break;
		if (have && key_order(k.mv_data, best) >= 0)
			break;
		if (!(strict && !key_order(k.mv_data, from)) &&
		    (!gone_maybe(t, k.mv_data) ||
		     store_get_pending(t->st, t->dbi, k.mv_data, TIMER_KEY, &pv) != 2)) {
			memcpy(best, k.mv_data, TIMER_KEY);
			have = 1;
			break;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	t->at = !rc && k.mv_size == TIMER_KEY;
	if (t->at)
		memcpy(t->at_key, k.mv_data, TIMER_KEY);
	if (rc && rc != MDB_NOTFOUND) {
		cli_err("cannot read the wake-ups: %s", mdb_strerror(rc));
		return -1;
	}
done:
	if (!have)
		return 0;
	memcpy(h->floor, best, TIMER_KEY);
	h->has_floor = 1;
	timer_unkey(best, out);
	return 1;
}
