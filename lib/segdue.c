/*
 * segdue - the segmenter's deadlines (segmenter.due), held whole in
 * memory. See segdue.h.
 */
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "segdue.h"
#include "store.h"

static uint64_t due_key(uint32_t stream, uint32_t day)
{
	return (uint64_t)stream << 32 | day;
}

/* The first entry at or after (stream, day) in the sorted days. */
static size_t due_lower(const struct segdue *sd, uint32_t stream, uint32_t day)
{
	size_t lo = 0, hi = sd->ndays;
	uint64_t k = due_key(stream, day);

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (due_key(sd->days[mid].stream, sd->days[mid].day) < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry of the stream's day (made when make is set), or NULL. */
struct segdue_day *segdue_day(struct segdue *sd, uint32_t stream, uint32_t day, int make)
{
	size_t lo = due_lower(sd, stream, day);

	if (lo < sd->ndays && sd->days[lo].day == day && sd->days[lo].stream == stream)
		return &sd->days[lo];
	if (!make)
		return NULL;
	if (sd->ndays == sd->capdays) {
		sd->capdays = sd->capdays ? sd->capdays * 2 : 64;
		sd->days = xrealloc(sd->days, sd->capdays * sizeof *sd->days);
	}
	memmove(&sd->days[lo + 1], &sd->days[lo], (sd->ndays - lo) * sizeof *sd->days);
	sd->ndays++;
	memset(&sd->days[lo], 0, sizeof sd->days[lo]);
	sd->days[lo].stream = stream;
	sd->days[lo].day = day;
	sd->days[lo].dirty = 1;
	sd->days[lo].b = roaring_bitmap_create();
	return &sd->days[lo];
}

static void due_queue(struct segdue_day *d, uint32_t oneid, int add)
{
	if (d->npend == d->cappend) {
		d->cappend = d->cappend ? 2 * d->cappend : 256;
		d->pend = xrealloc(d->pend, d->cappend * sizeof *d->pend);
	}
	d->pend[d->npend] = (uint64_t)oneid << 32 | (uint64_t)d->npend << 1 | (unsigned)add;
	d->npend++;
	d->dirty = 1;
}

/* Apply the day's queued moves: per oneid, the last one counts. */
void segdue_flush(struct segdue_day *d)
{
	uint32_t *add, *del;
	size_t i, na = 0, nd = 0;

	if (!d->npend)
		return;
	sort_u64(d->pend, d->npend, 4); /* by oneid, in queue order within one */
	add = xmalloc(d->npend * sizeof *add);
	del = xmalloc(d->npend * sizeof *del);
	for (i = 0; i < d->npend; i++) {
		uint32_t id = (uint32_t)(d->pend[i] >> 32);
		if (i + 1 < d->npend && (uint32_t)(d->pend[i + 1] >> 32) == id)
			continue; /* a later move of the same person */
		if (d->pend[i] & 1)
			add[na++] = id;
		else
			del[nd++] = id;
	}
	if (na) {
		roaring_bitmap_t *a = roaring_bitmap_of_ptr(na, add);
		roaring_bitmap_or_inplace(d->b, a);
		roaring_bitmap_free(a);
	}
	if (nd) {
		roaring_bitmap_t *r = roaring_bitmap_of_ptr(nd, del);
		roaring_bitmap_andnot_inplace(d->b, r);
		roaring_bitmap_free(r);
	}
	free(add);
	free(del);
	d->npend = 0;
	if (d->cappend > 65536) { /* a big day once: give the room back */
		free(d->pend);
		d->pend = NULL;
		d->cappend = 0;
	}
}

/* The person's deadline moves from day old of stream os to day due of
 * stream s (SEGDUE_NONE: none). */
void segdue_move(struct segdue *sd, uint32_t oneid, uint32_t os, uint32_t old, uint32_t s, uint32_t due)
{
	struct segdue_day *d;

	if (old == due && os == s)
		return;
	if (old != SEGDUE_NONE && (d = segdue_day(sd, os, old, 0)))
		due_queue(d, oneid, 0);
	if (due != SEGDUE_NONE)
		due_queue(segdue_day(sd, s, due, 1), oneid, 1);
}

/* A day's key in segmenter.due: the day alone for SEGDUE_ANY (the layout
 * before streams), else the stream with its top bit set, then the day. */
static size_t due_dbkey(const struct segdue_day *d, unsigned char *key)
{
	if (d->stream == SEGDUE_ANY) {
		store_be32(key, d->day);
		return 4;
	}
	store_be32(key, d->stream | SEGDUE_STREAM_BIT);
	store_be32(key + 4, d->day);
	return 8;
}

/* Queue the days changed since the last commit; forget the empty ones. */
void segdue_save(struct segdue *sd)
{
	size_t i, out = 0;

	for (i = 0; i < sd->ndays; i++) {
		struct segdue_day *d = &sd->days[i];
		unsigned char key[8];
		size_t kl = due_dbkey(d, key);
		segdue_flush(d);
		if (d->dirty && roaring_bitmap_is_empty(d->b)) {
			store_del(sd->st, sd->dbi, key, kl);
			roaring_bitmap_free(d->b);
			free(d->pend);
			continue;
		}
		if (d->dirty) {
			size_t n;
			char *b;
			roaring_bitmap_run_optimize(d->b);
			n = roaring_bitmap_portable_size_in_bytes(d->b);
			b = xmalloc(n ? n : 1);
			roaring_bitmap_portable_serialize(d->b, b);
			store_put(sd->st, sd->dbi, key, kl, b, n);
			free(b);
			d->dirty = 0;
		}
		sd->days[out++] = *d;
	}
	sd->ndays = out;
}

/* Read segmenter.due. A day of a stream: the stream (top bit set), the
 * day. Days of no known stream: the day alone, as before streams; entries
 * of the layout before that (a key per day and oneid) join them and, when
 * writing, are replaced by them. */
int segdue_load(struct segdue *sd, int ro)
{
	MDB_txn *txn = store_read_txn(sd->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if (!txn || mdb_cursor_open(txn, sd->dbi, &cur))
		return -1;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct segdue_day *d;
		const unsigned char *kb = k.mv_data;
		int streamed = k.mv_size == 8 && (kb[0] & 0x80);
		if (k.mv_size == 4 || streamed) {
			uint32_t stream = streamed ? store_get_be32(kb) & ~SEGDUE_STREAM_BIT : SEGDUE_ANY;
			uint32_t day = store_get_be32(kb + (streamed ? 4 : 0));
			roaring_bitmap_t *b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
			if (!b) {
				cli_err("segmenter.due: day %u is damaged; run 'segmenter recompute --rebuild'", day);
				continue;
			}
			d = segdue_day(sd, stream, day, 1);
			roaring_bitmap_or_inplace(d->b, b);
			roaring_bitmap_free(b);
			d->dirty = 0;
		} else if (k.mv_size == 8) {
			d = segdue_day(sd, SEGDUE_ANY, store_get_be32(k.mv_data), 1);
			roaring_bitmap_add(d->b, store_get_be32((const unsigned char *)k.mv_data + 4));
			d->dirty = 1;
			if (!ro)
				store_del(sd->st, sd->dbi, k.mv_data, 8);
		}
	}
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : -1;
}

void segdue_free(struct segdue *sd)
{
	size_t i;

	for (i = 0; i < sd->ndays; i++) {
		roaring_bitmap_free(sd->days[i].b);
		free(sd->days[i].pend);
	}
	free(sd->days);
	sd->days = NULL;
	sd->ndays = sd->capdays = 0;
}

/* The first non-empty day of stream within [from, upto], or NULL. */
struct segdue_day *segdue_first(struct segdue *sd, uint32_t stream, int64_t from, int64_t upto)
{
	size_t i = due_lower(sd, stream, from > 0 ? (uint32_t)from : 0);

	for (; i < sd->ndays && sd->days[i].stream == stream && (int64_t)sd->days[i].day <= upto; i++) {
		segdue_flush(&sd->days[i]);
		if (!roaring_bitmap_is_empty(sd->days[i].b))
			return &sd->days[i];
	}
	return NULL;
}

/* The people with a deadline filed under stream s. */
size_t segdue_count(struct segdue *sd, uint32_t s)
{
	MDB_txn *txn = store_read_txn(sd->st);
	MDB_cursor *cur;
	MDB_val k, v;
	size_t n = 0;
	int r;

	if (!txn || mdb_cursor_open(txn, sd->dbi, &cur))
		return 0;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *kb = k.mv_data;
		uint32_t ks;
		roaring_bitmap_t *b;
		if (k.mv_size == 8 && (kb[0] & 0x80))
			ks = store_get_be32(kb) & ~SEGDUE_STREAM_BIT;
		else if (k.mv_size == 4)
			ks = SEGDUE_ANY;
		else
			continue;
		if (ks != s || !(b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size)))
			continue;
		n += (size_t)roaring_bitmap_get_cardinality(b);
		roaring_bitmap_free(b);
	}
	mdb_cursor_close(cur);
	return n;
}
