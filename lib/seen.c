#include "seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "hash.h"

#define DAY 86400000LL
#define HELD_MAX (8u << 20)
#define RUN_MAX 65536 /* hashes a run takes before the next run begins */

/* A day met: its ids' hashes in an open-addressing set (0 marks an empty
 * slot; a hash of 0 is kept aside in has0), and the ones added since the
 * last commit. */
struct seen_day {
	uint32_t day;
	int disk;       /* asked of the DBs: too many ids to hold */
	int has0;
	uint64_t *slot;
	size_t n, cap;
	uint64_t *pend; /* added since the last commit, for NAME_runs */
	size_t npend, cappend;
	uint32_t seq;   /* the day's next run number */
	size_t tail_n;  /* hashes in the last run (seq - 1) while it takes more */
};

static size_t held_max(const struct seen *s)
{
	return s->held_max ? s->held_max : HELD_MAX;
}

static struct seen_day *day_find(struct seen *s, uint32_t d)
{
	int i;

	for (i = 0; i < s->nmem; i++)
		if (s->mem[i].day == d)
			return &s->mem[i];
	return NULL;
}

static void day_forget(struct seen *s, struct seen_day *m)
{
	s->held -= m->n;
	free(m->slot);
	m->slot = NULL;
	m->n = m->cap = 0;
	m->has0 = 0;
}

static void day_drop(struct seen *s, int i)
{
	day_forget(s, &s->mem[i]);
	free(s->mem[i].pend);
	s->mem[i] = s->mem[--s->nmem];
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

static void key_of(unsigned char key[12], uint32_t d, uint64_t h)
{
	store_be32(key, d);
	store_be64(key + 4, h);
}

/* Too many ids held: m (and every day met from now on) is asked of the
 * DBs; what m added in this batch goes to NAME a key each. */
static void day_to_disk(struct seen *s, struct seen_day *m)
{
	unsigned char key[12];
	size_t i;

	s->nomem = 1;
	day_forget(s, m);
	for (i = 0; i < m->npend; i++) {
		key_of(key, m->day, m->pend[i]);
		store_put(s->st, s->dbi, key, sizeof key, "", 0); /* store_get finds it */
	}
	m->npend = 0;
	m->disk = 1;
}

static int read_err(int rc)
{
	cli_err("cannot read the seen set: %s", mdb_strerror(rc));
	return -1;
}

/* Read what the DBs hold of day d into m (its set and next run number).
 * 0, or -1 on an LMDB error (printed). */
static int day_load(struct seen *s, struct seen_day *m)
{
	MDB_txn *txn = store_read_txn(s->st);
	MDB_cursor *cur;
	unsigned char from[8] = {0};
	MDB_val k, v;
	int rc;

	if (!txn)
		return -1;
	store_be32(from, m->day);
	/* the runs: each commit's hashes of the day */
	if ((rc = mdb_cursor_open(txn, s->rdbi, &cur)))
		goto fail;
	k.mv_data = from;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *p = v.mv_data;
		size_t i;
		if (k.mv_size != 8 || store_get_be32(k.mv_data) != m->day)
			break;
		m->seq = store_get_be32((const unsigned char *)k.mv_data + 4) + 1;
		m->tail_n = v.mv_size / 8 < RUN_MAX ? v.mv_size / 8 : 0;
		for (i = 0; i + 8 <= v.mv_size && !m->disk; i += 8) {
			day_add(s, m, store_get_be64(p + i));
			if (s->held > held_max(s))
				day_to_disk(s, m);
		}
		if (m->disk)
			break;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		goto fail;
	/* a key each (too many to hold once, or an earlier format) */
	if ((rc = mdb_cursor_open(txn, s->dbi, &cur)))
		goto fail;
	k.mv_data = from;
	k.mv_size = 4;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && !m->disk;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 12 || store_get_be32(k.mv_data) != m->day)
			break;
		day_add(s, m, store_get_be64((const unsigned char *)k.mv_data + 4));
		if (s->held > held_max(s))
			day_to_disk(s, m);
	}
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? read_err(rc) : 0;
fail:
	return read_err(rc);
}

/* Is h of day d in the DBs (a key of its own, or a run)? 1 yes, 0 no, -1
 * an LMDB error (printed). */
static int disk_has(struct seen *s, uint32_t d, uint64_t h)
{
	unsigned char key[12], from[8] = {0};
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r, rc;

	key_of(key, d, h);
	if ((r = store_get(s->st, s->dbi, key, sizeof key, &v)) != 0)
		return r;
	if (!(txn = store_read_txn(s->st)))
		return -1;
	if ((rc = mdb_cursor_open(txn, s->rdbi, &cur)))
		goto fail;
	store_be32(from, d);
	k.mv_data = from;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *p = v.mv_data;
		size_t lo = 0, hi = v.mv_size / 8;
		if (k.mv_size != 8 || store_get_be32(k.mv_data) != d)
			break;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			uint64_t x = store_get_be64(p + mid * 8);
			if (x == h) {
				mdb_cursor_close(cur);
				return 1;
			}
			if (x < h)
				lo = mid + 1;
			else
				hi = mid;
		}
	}
	mdb_cursor_close(cur);
	return rc && rc != MDB_NOTFOUND ? read_err(rc) : 0;
fail:
	return read_err(rc);
}

/* Day d, first met: read in, unless too many are held. NULL on an LMDB
 * error (printed). */
static struct seen_day *day_new(struct seen *s, uint32_t d)
{
	struct seen_day *m;

	s->mem = xrealloc(s->mem, (size_t)(s->nmem + 1) * sizeof *s->mem);
	m = &s->mem[s->nmem++];
	memset(m, 0, sizeof *m);
	m->day = d;
	if (s->nomem)
		m->disk = 1;
	else if (day_load(s, m))
		return NULL;
	return m;
}

int seen_check(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n)
{
	unsigned char key[12];
	int64_t d = day_of(ts);
	struct seen_day *m;
	uint64_t h;
	int r;

	if (s->days <= 0 || !n)
		return 0;
	if (clock != INT64_MIN && d <= day_of(clock) - s->days)
		return 0; /* older than the window: not kept */
	if (d < 0 || d > UINT32_MAX)
		return 0;
	h = hash64(id, n, 0x5eed);
	if (!(m = day_find(s, (uint32_t)d)) && !(m = day_new(s, (uint32_t)d)))
		return -1;
	if (!m->disk) {
		if (day_add(s, m, h))
			return 1;
		if (m->npend == m->cappend) {
			m->cappend = m->cappend ? m->cappend * 2 : 1024;
			m->pend = xrealloc(m->pend, m->cappend * sizeof *m->pend);
		}
		m->pend[m->npend++] = h;
		if (s->held > held_max(s))
			day_to_disk(s, m);
		return 0;
	}
	if ((r = disk_has(s, (uint32_t)d, h)) != 0)
		return r;
	key_of(key, (uint32_t)d, h);
	store_put(s->st, s->dbi, key, sizeof key, "", 0);
	return 0;
}

int seen_has(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n)
{
	int64_t d = day_of(ts);
	struct seen_day *m;
	uint64_t h;
	size_t j;

	if (s->days <= 0 || !n)
		return 0;
	if (clock != INT64_MIN && d <= day_of(clock) - s->days)
		return 0;
	if (d < 0 || d > UINT32_MAX)
		return 0;
	h = hash64(id, n, 0x5eed);
	if (!(m = day_find(s, (uint32_t)d)) && !(m = day_new(s, (uint32_t)d)))
		return -1;
	if (m->disk)
		return disk_has(s, (uint32_t)d, h);
	if (!h)
		return m->has0;
	if (!m->cap)
		return 0;
	for (j = h & (m->cap - 1); m->slot[j]; j = (j + 1) & (m->cap - 1))
		if (m->slot[j] == h)
			return 1;
	return 0;
}

void seen_prefetch(const struct seen *s, int64_t ts, const char *p, size_t n)
{
	int64_t d = day_of(ts);
	const struct seen_day *m;
	const char *q, *e;
	int i;

	if (s->days <= 0 || d < 0 || d > UINT32_MAX)
		return;
	for (i = 0; i < s->nmem && s->mem[i].day != (uint32_t)d; i++)
		;
	if (i == s->nmem || !(m = &s->mem[i])->cap)
		return;
	/* "event_id" comes first in lines ingest wrote */
	if (n > 13 && !memcmp(p, "{\"event_id\":\"", 13))
		q = p + 13;
	else if ((q = memmem(p, n, "\"event_id\":\"", 12)))
		q += 12;
	else
		return;
	if ((e = memchr(q, '"', (size_t)(p + n - q))) && e > q)
		__builtin_prefetch(&m->slot[hash64(q, (size_t)(e - q), 0x5eed) & (m->cap - 1)], 1);
}

/* The store commits: each day's ids added since the last commit go with
 * the batch, into the day's last run while it has room (so a day has at
 * most one run per RUN_MAX ids, however often the store commits), else
 * into a new one. */
static void seen_flush(void *ctx)
{
	struct seen *s = ctx;
	struct buf v = BUF_INIT;
	int i;

	for (i = 0; i < s->nmem; i++) {
		struct seen_day *m = &s->mem[i];
		unsigned char key[8];
		const unsigned char *old = NULL;
		size_t j, a = 0, nold = 0, n;
		MDB_val ov;
		if (!m->npend)
			continue;
		sort_u64(m->pend, m->npend, 0);
		store_be32(key, m->day);
		if (m->tail_n && m->seq && m->tail_n + m->npend <= RUN_MAX) {
			store_be32(key + 4, m->seq - 1);
			if (store_get(s->st, s->rdbi, key, sizeof key, &ov) == 1) {
				old = ov.mv_data;
				nold = ov.mv_size / 8;
			}
		}
		if (!old) {
			store_be32(key + 4, m->seq++);
			m->tail_n = 0;
		}
		/* the run: its hashes and the new ones, merged in order */
		n = nold + m->npend;
		buf_reset(&v);
		buf_grow(&v, n * 8);
		for (j = 0; j < m->npend || a < nold;) {
			uint64_t x = a < nold ? store_get_be64(old + a * 8) : UINT64_MAX;
			if (j < m->npend && (a == nold || m->pend[j] < x))
				x = m->pend[j++];
			else
				a++;
			store_be64((unsigned char *)v.p + v.len, x);
			v.len += 8;
		}
		store_put(s->st, s->rdbi, key, sizeof key, v.p, n * 8);
		m->tail_n = n < RUN_MAX ? n : 0;
		m->npend = 0;
	}
	buf_release(&v);
}

int seen_open(struct seen *s, struct store *st, const char *name)
{
	char runs[128];

	s->st = st;
	if (snprintf(runs, sizeof runs, "%s_runs", name) >= (int)sizeof runs) {
		cli_err("seen: DB name too long: %s", name);
		return -1;
	}
	if (store_dbi(st, name, 0, &s->dbi) || store_dbi(st, runs, 0, &s->rdbi))
		return -1;
	store_on_commit(st, seen_flush, s);
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
	store_del_below(s->st, s->rdbi, below, sizeof below, 200000);
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
