#include "pclock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

#define PREFIX "clock:"
#define PLEN 6

static void put16(unsigned char *b, const struct pclock_stream *e)
{
	store_be64(b, (uint64_t)e->clock);
	store_be64(b + 8, (uint64_t)e->mark);
}

static void get16(const unsigned char *b, struct pclock_stream *e)
{
	e->clock = (int64_t)store_get_be64(b);
	e->mark = (int64_t)store_get_be64(b + 8);
}

/* The stream number of a key "clock:N": 0 with *s set, 1 for "clock:*",
 * -1 for anything else. */
static int key_stream(const char *k, size_t n, uint32_t *s)
{
	uint64_t v = 0;
	size_t i;

	if (n <= PLEN || memcmp(k, PREFIX, PLEN))
		return -1;
	if (n == PLEN + 1 && k[PLEN] == '*')
		return 1;
	if (n - PLEN > 10 || (k[PLEN] == '0' && n > PLEN + 1))
		return -1;
	for (i = PLEN; i < n; i++) {
		if (k[i] < '0' || k[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(k[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*s = (uint32_t)v;
	return 0;
}

static size_t lower(const struct pclock *c, uint32_t s)
{
	size_t lo = 0, hi = c->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (c->v[mid].stream < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct pclock_stream *insert(struct pclock *c, uint32_t s)
{
	size_t at = lower(c, s);

	if (at < c->n && c->v[at].stream == s)
		return &c->v[at];
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	memmove(&c->v[at + 1], &c->v[at], (c->n - at) * sizeof *c->v);
	c->n++;
	c->v[at] = c->base;
	c->v[at].stream = s;
	c->v[at].dirty = 1;
	c->last = at;
	return &c->v[at];
}

int pclock_load(struct pclock *c, struct store *st, MDB_dbi dbi, const char *mark_key)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	memset(c, 0, sizeof *c);
	c->st = st;
	c->dbi = dbi;
	c->mark_key = mark_key;
	c->base.clock = c->base.mark = PCLOCK_NONE;
	txn = store_read_txn(st);
	if (!txn || mdb_cursor_open(txn, dbi, &cur))
		return -1;
	k.mv_data = PREFIX;
	k.mv_size = PLEN;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t s;
		int w;
		if (k.mv_size < PLEN || memcmp(k.mv_data, PREFIX, PLEN))
			break;
		if ((w = key_stream(k.mv_data, k.mv_size, &s)) < 0 || v.mv_size != 16)
			continue;
		if (w == 1) {
			get16(v.mv_data, &c->base);
		} else {
			struct pclock_stream *e = insert(c, s);
			get16(v.mv_data, e);
			e->dirty = 0;
		}
	}
	mdb_cursor_close(cur);
	if (r != 0 && r != MDB_NOTFOUND) {
		cli_err("cannot read the clocks: %s", mdb_strerror(r));
		return -1;
	}
	if (!c->n && c->base.clock == PCLOCK_NONE) {
		/* the layout of one clock: it becomes every stream's start */
		if (store_get(st, dbi, "clock", 5, &v) == 1 && v.mv_size == 8) {
			c->base.clock = (int64_t)store_get_be64(v.mv_data);
			c->legacy = 1;
		}
		if (mark_key && store_get(st, dbi, mark_key, strlen(mark_key), &v) == 1 && v.mv_size == 8) {
			c->base.mark = (int64_t)store_get_be64(v.mv_data);
			c->legacy = 1;
		}
	}
	c->base.stream = UINT32_MAX;
	c->base.dirty = c->legacy;
	return 0;
}

struct pclock_stream *pclock_get(struct pclock *c, uint32_t s)
{
	if (c->last < c->n && c->v[c->last].stream == s)
		return &c->v[c->last];
	{
		size_t at = lower(c, s);
		if (at < c->n && c->v[at].stream == s) {
			c->last = at;
			return &c->v[at];
		}
	}
	return insert(c, s);
}

const struct pclock_stream *pclock_find(const struct pclock *c, uint32_t s)
{
	size_t at = lower(c, s);

	return at < c->n && c->v[at].stream == s ? &c->v[at] : NULL;
}

int64_t pclock_max(const struct pclock *c)
{
	int64_t m = c->base.clock;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (c->v[i].clock > m)
			m = c->v[i].clock;
	return m;
}

int64_t pclock_min(const struct pclock *c)
{
	int64_t m = INT64_MAX;
	size_t i;

	if (!c->n)
		return c->base.clock;
	for (i = 0; i < c->n; i++)
		if (c->v[i].clock < m)
			m = c->v[i].clock;
	return m;
}

static void raise_to(struct pclock_stream *e, int64_t clock, int64_t mark)
{
	if (e->clock == PCLOCK_NONE || clock > e->clock) {
		e->clock = clock;
		e->dirty = 1;
	}
	if (e->mark != mark) {
		e->mark = mark;
		e->dirty = 1;
	}
}

void pclock_set_all(struct pclock *c, int64_t clock, int64_t mark)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		raise_to(&c->v[i], clock, mark);
	raise_to(&c->base, clock, mark);
}

void pclock_save(struct pclock *c)
{
	char key[PLEN + 12];
	unsigned char b[16];
	size_t i;

	for (i = 0; i < c->n; i++) {
		struct pclock_stream *e = &c->v[i];
		int n;
		if (!e->dirty)
			continue;
		n = snprintf(key, sizeof key, PREFIX "%lu", (unsigned long)e->stream);
		put16(b, e);
		store_put(c->st, c->dbi, key, (size_t)n, b, 16);
		e->dirty = 0;
	}
	if (c->base.dirty && c->base.clock != PCLOCK_NONE) {
		put16(b, &c->base);
		store_put(c->st, c->dbi, PREFIX "*", PLEN + 1, b, 16);
	}
	c->base.dirty = 0;
	if (c->legacy) {
		store_del(c->st, c->dbi, "clock", 5);
		if (c->mark_key)
			store_del(c->st, c->dbi, c->mark_key, strlen(c->mark_key));
		c->legacy = 0;
	}
}

void pclock_free(struct pclock *c)
{
	free(c->v);
	c->v = NULL;
	c->n = c->cap = 0;
}
