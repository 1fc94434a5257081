/*
 * schedule - the state of journeys' schedule triggers (see schedule.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schedule.h"

void schedule_init(struct schedule *s, const struct journeys *js)
{
	unsigned i;

	for (i = 0; i < js->n; i++) {
		const struct journey *j = &js->v[i];
		if (j->trig != JT_SCHEDULE)
			continue;
		s->njourneys++;
		if (schedule_segment(s, j->t_name, strlen(j->t_name)) == UINT32_MAX) {
			s->segs = xrealloc(s->segs, (s->nsegs + 1) * sizeof *s->segs);
			s->segs[s->nsegs++] = xstrdup(j->t_name);
		}
	}
}

void schedule_release(struct schedule *s)
{
	unsigned i;

	for (i = 0; i < s->nsegs; i++)
		free(s->segs[i]);
	free(s->segs);
	for (i = 0; i < s->nmem; i++)
		roaring_bitmap_free(s->mem[i].b);
	free(s->mem);
	free(s->prog);
	memset(s, 0, sizeof *s);
}

unsigned schedule_segment(const struct schedule *s, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < s->nsegs; i++)
		if (strlen(s->segs[i]) == n && !memcmp(s->segs[i], name, n))
			return i;
	return UINT32_MAX;
}

struct schedule_members *schedule_members(struct schedule *s, unsigned seg, uint32_t stream, int make)
{
	unsigned i;

	for (i = 0; i < s->nmem; i++)
		if (s->mem[i].seg == seg && s->mem[i].stream == stream)
			return &s->mem[i];
	if (!make)
		return NULL;
	s->mem = xrealloc(s->mem, (s->nmem + 1) * sizeof *s->mem);
	s->mem[s->nmem].seg = seg;
	s->mem[s->nmem].stream = stream;
	s->mem[s->nmem].b = roaring_bitmap_create();
	s->mem[s->nmem].dirty = 0;
	return &s->mem[s->nmem++];
}

void schedule_apply(struct schedule *s, unsigned seg, uint32_t oneid, int enter, uint32_t stream)
{
	unsigned i;

	for (i = 0; i < s->nmem; i++) {
		struct schedule_members *m = &s->mem[i];
		if (m->seg != seg || (enter && m->stream == stream))
			continue;
		if (roaring_bitmap_remove_checked(m->b, oneid))
			m->dirty = 1;
	}
	if (enter) {
		struct schedule_members *m = schedule_members(s, seg, stream, 1);
		if (roaring_bitmap_add_checked(m->b, oneid))
			m->dirty = 1;
	}
}

void schedule_forget(struct schedule *s, uint32_t oneid)
{
	unsigned i;

	for (i = 0; i < s->nmem; i++)
		if (roaring_bitmap_remove_checked(s->mem[i].b, oneid))
			s->mem[i].dirty = 1;
}

struct schedule_prog *schedule_prog(struct schedule *s, unsigned ji, uint32_t stream)
{
	unsigned i;

	for (i = 0; i < s->nprog; i++)
		if (s->prog[i].ji == ji && s->prog[i].stream == stream)
			return &s->prog[i];
	s->prog = xrealloc(s->prog, (s->nprog + 1) * sizeof *s->prog);
	memset(&s->prog[s->nprog], 0, sizeof *s->prog);
	s->prog[s->nprog].ji = ji;
	s->prog[s->nprog].stream = stream;
	s->prog[s->nprog].at = INT64_MIN;
	s->prog[s->nprog].due_from = INT64_MAX;
	return &s->prog[s->nprog++];
}

int64_t schedule_due(struct schedule *s, const struct journey *j, unsigned ji, uint32_t stream, int64_t clock0)
{
	struct schedule_prog *pr = schedule_prog(s, ji, stream);
	int64_t after = clock0;

	if (pr->at != INT64_MIN && pr->next && pr->at > clock0)
		return pr->at;
	if (pr->at != INT64_MIN && pr->at > after)
		after = pr->at;
	if (!(pr->due_from <= after && after < pr->due)) {
		pr->due = journey_schedule_next(j, after);
		pr->due_from = after;
	}
	return pr->due;
}

void schedule_load(struct schedule *s, struct store *st, MDB_dbi membdb, int absent, MDB_dbi state,
		   const struct journeys *js)
{
	MDB_txn *txn = store_read_txn(st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned i;
	int r;

	if (txn && !absent && !mdb_cursor_open(txn, membdb, &cur)) {
		for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !r; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			const char *key = k.mv_data, *colon = memchr(key, ':', k.mv_size);
			unsigned seg;
			char num[16];
			size_t nl;
			struct schedule_members *m;
			if (!colon || (seg = schedule_segment(s, key, (size_t)(colon - key))) == UINT32_MAX)
				continue; /* a segment no schedule trigger enters now */
			nl = k.mv_size - (size_t)(colon - key) - 1;
			if (!nl || nl >= sizeof num)
				continue;
			memcpy(num, colon + 1, nl);
			num[nl] = 0;
			m = schedule_members(s, seg, (uint32_t)strtoul(num, NULL, 10), 1);
			roaring_bitmap_free(m->b);
			if (!(m->b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size)))
				m->b = roaring_bitmap_create();
		}
		mdb_cursor_close(cur);
	}
	for (i = 0; i < js->n; i++) {
		const struct journey *j = &js->v[i];
		char pre[300];
		int n;
		if (j->trig != JT_SCHEDULE || !txn || mdb_cursor_open(txn, state, &cur))
			continue;
		n = snprintf(pre, sizeof pre, "schedule:%s:", j->name);
		k.mv_data = pre;
		k.mv_size = (size_t)n;
		for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		     !r && k.mv_size > (size_t)n && !memcmp(k.mv_data, pre, (size_t)n);
		     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			char num[16];
			size_t nl = k.mv_size - (size_t)n;
			struct schedule_prog *pr;
			if (nl >= sizeof num || v.mv_size != 12)
				continue;
			memcpy(num, (const char *)k.mv_data + n, nl);
			num[nl] = 0;
			pr = schedule_prog(s, i, (uint32_t)strtoul(num, NULL, 10));
			pr->at = (int64_t)store_get_be64(v.mv_data);
			pr->next = store_get_be32((const unsigned char *)v.mv_data + 8);
		}
		mdb_cursor_close(cur);
	}
}

void schedule_save(struct schedule *s, struct store *st, MDB_dbi membdb, MDB_dbi state, const struct journeys *js)
{
	unsigned i;

	for (i = 0; i < s->nmem; i++) {
		struct schedule_members *m = &s->mem[i];
		char key[300];
		size_t sz;
		char *b;
		int n;
		if (!m->dirty)
			continue;
		n = snprintf(key, sizeof key, "%s:%lu", s->segs[m->seg], (unsigned long)m->stream);
		roaring_bitmap_run_optimize(m->b);
		sz = roaring_bitmap_portable_size_in_bytes(m->b);
		b = xmalloc(sz + 1);
		roaring_bitmap_portable_serialize(m->b, b);
		store_put(st, membdb, key, (size_t)n, b, sz);
		free(b);
		m->dirty = 0;
	}
	for (i = 0; i < s->nprog; i++) {
		struct schedule_prog *pr = &s->prog[i];
		unsigned char v[12];
		char key[300];
		int n;
		if (!pr->dirty)
			continue;
		n = snprintf(key, sizeof key, "schedule:%s:%lu", js->v[pr->ji].name, (unsigned long)pr->stream);
		store_be64(v, (uint64_t)pr->at);
		store_be32(v + 8, pr->next);
		store_put(st, state, key, (size_t)n, v, 12);
		pr->dirty = 0;
	}
}
