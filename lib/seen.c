#include "seen.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"

#define DAY 86400000LL
#define HELD_MAX (8u << 20)

/* A day answered from memory: its ids' hashes in an open-addressing set
 * (0 marks an empty slot; a hash of 0 is kept aside in has0). */
struct seen_day {
	uint32_t day;
	int disk; /* asked of the DB: an earlier run wrote some of it, or too many to hold */
	int has0;
	uint64_t *slot;
	size_t n, cap;
};

static struct seen_day *day_find(struct seen *s, uint32_t d)
{
	int i;

	for (i = 0; i < s->nmem; i++)
		if (s->mem[i].day == d)
			return &s->mem[i];
	return NULL;
}

static void day_drop(struct seen *s, int i)
{
	s->held -= s->mem[i].n;
	free(s->mem[i].slot);
	s->mem[i] = s->mem[--s->nmem];
}

/* Does the committed DB hold any id of day d? 1 yes, 0 no, -1 error. */
static int day_stored(struct seen *s, uint32_t d)
{
	unsigned char key[12] = {0};
	MDB_txn *txn = store_read_txn(s->st);
	MDB_cursor *cur;
	MDB_val k = {sizeof key, key}, v;
	int rc;

	if (!txn || mdb_cursor_open(txn, s->dbi, &cur))
		return -1;
	store_be32(key, d);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc)
		return -1;
	return k.mv_size >= 4 && store_get_be32(k.mv_data) == d;
}

/* 1 when h is in the day's set; else adds it and returns 0. */
static int day_add(struct seen *s, struct seen_day *m, uint64_t h)
{
	size_t j;

	if (!h) {
		if (m->has0)
			return 1;
		m->has0 = 1;
		return 0;
	}
	if ((m->n + 1) * 2 > m->cap) {
		size_t i, cap = m->cap ? m->cap * 2 : 65536;
		uint64_t *t = xcalloc(cap, sizeof *t);
		for (i = 0; i < m->cap; i++)
			if (m->slot[i])
				for (j = m->slot[i] & (cap - 1);; j = (j + 1) & (cap - 1))
					if (!t[j]) {
						t[j] = m->slot[i];
						break;
					}
		free(m->slot);
		m->slot = t;
		m->cap = cap;
	}
	for (j = h & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1))
		if (m->slot[j] == h)
			return 1;
	m->slot[j] = h;
	m->n++;
	s->held++;
	return 0;
}

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY : -((-t + DAY - 1) / DAY);
}

int seen_check(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n)
{
	unsigned char key[12];
	int64_t d = day_of(ts);
	struct seen_day *m;
	uint64_t h;
	MDB_val v;
	int r;

	if (s->days <= 0 || !n)
		return 0;
	if (clock != INT64_MIN && d <= day_of(clock) - s->days)
		return 0; /* older than the window: not kept */
	if (d < 0 || d > UINT32_MAX)
		return 0;
	store_be32(key, (uint32_t)d);
	h = hash64(id, n, 0x5eed);
	store_be64(key + 4, h);
	if ((m = day_find(s, (uint32_t)d)) && m->disk)
		m = NULL;
	else if (!m && !s->nomem) {
		/* first met: held in memory when the DB has nothing of it */
		int st = day_stored(s, (uint32_t)d);
		if (st < 0)
			return -1;
		s->mem = xrealloc(s->mem, (size_t)(s->nmem + 1) * sizeof *s->mem);
		m = &s->mem[s->nmem++];
		memset(m, 0, sizeof *m);
		m->day = (uint32_t)d;
		if (st) {
			m->disk = 1;
			m = NULL;
		}
	}
	if (m) {
		if (day_add(s, m, h))
			return 1;
		store_put_unique(s->st, s->dbi, key, sizeof key, "", 0);
		if (s->held > HELD_MAX) {
			/* too many to hold: this day and later ones are asked
			 * of the DB from now on (a day met later could have
			 * ids queued that the committed DB does not show) */
			s->nomem = 1;
			s->held -= m->n;
			free(m->slot);
			m->slot = NULL;
			m->has0 = 0;
			m->n = m->cap = 0;
			m->disk = 1;
		}
		return 0;
	}
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
	for (int i = 0; i < s->nmem;)
		if (s->mem[i].day < (uint32_t)d)
			day_drop(s, i);
		else
			i++;
}

void seen_free(struct seen *s)
{
	while (s->nmem > 0)
		day_drop(s, 0);
	free(s->mem);
	s->mem = NULL;
}
