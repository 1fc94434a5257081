#include "due.h"

#include <roaring/roaring.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

#define PAGE_BITS 16
#define PAGE_IDS (1u << PAGE_BITS)

struct due_day {
	uint32_t stream, day;
	int dirty; /* to write at the next save */
	roaring_bitmap_t *b;
	/* moves not yet in b: oneid << 32 | sequence << 1 | (1 add, 0
	 * remove), applied sorted and together; per oneid the last counts */
	uint64_t *pend;
	size_t npend, cappend;
};

/* The days of 65,536 oneids; stream is made when one of them is due in
 * a stream other than 0. */
struct due_page {
	uint32_t day[PAGE_IDS];
	uint32_t *stream;
};

static int day_before(const struct due_day *a, uint32_t stream, uint32_t day)
{
	return a->stream < stream || (a->stream == stream && a->day < day);
}

/* The index in d->days where (stream, day) is or would go. */
static size_t day_find(const struct due *d, uint32_t stream, uint32_t day)
{
	size_t lo = 0, hi = d->ndays;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (day_before(&d->days[mid], stream, day))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The entry of (stream, day), made when make is set, or NULL. */
static struct due_day *day_get(struct due *d, uint32_t stream, uint32_t day, int make)
{
	size_t at = day_find(d, stream, day);
	struct due_day *e;

	if (at < d->ndays && d->days[at].stream == stream && d->days[at].day == day)
		return &d->days[at];
	if (!make)
		return NULL;
	if (d->ndays == d->capdays) {
		d->capdays = d->capdays ? 2 * d->capdays : 64;
		d->days = xrealloc(d->days, d->capdays * sizeof *d->days);
	}
	memmove(&d->days[at + 1], &d->days[at], (d->ndays - at) * sizeof *d->days);
	d->ndays++;
	e = &d->days[at];
	memset(e, 0, sizeof *e);
	e->stream = stream;
	e->day = day;
	e->dirty = 1;
	e->b = roaring_bitmap_create();
	return e;
}

static void day_queue(struct due_day *e, uint32_t oneid, int add)
{
	if (e->npend == e->cappend) {
		e->cappend = e->cappend ? 2 * e->cappend : 256;
		e->pend = xrealloc(e->pend, e->cappend * sizeof *e->pend);
	}
	e->pend[e->npend] = (uint64_t)oneid << 32 | (uint64_t)(e->npend & 0x7fffffffu) << 1 | (unsigned)add;
	e->npend++;
	e->dirty = 1;
}

/* Apply the day's queued moves. */
static void day_flush(struct due_day *e)
{
	uint32_t *add, *del;
	size_t i, na = 0, nd = 0;

	if (!e->npend)
		return;
	sort_u64(e->pend, e->npend, 4); /* by oneid, in queue order within one */
	add = xmalloc(e->npend * sizeof *add);
	del = xmalloc(e->npend * sizeof *del);
	for (i = 0; i < e->npend; i++) {
		uint32_t id = (uint32_t)(e->pend[i] >> 32);
		if (i + 1 < e->npend && (uint32_t)(e->pend[i + 1] >> 32) == id)
			continue; /* a later move of the same oneid */
		if (e->pend[i] & 1)
			add[na++] = id;
		else
			del[nd++] = id;
	}
	if (na) {
		roaring_bitmap_t *a = roaring_bitmap_of_ptr(na, add);
		roaring_bitmap_or_inplace(e->b, a);
		roaring_bitmap_free(a);
	}
	if (nd) {
		roaring_bitmap_t *r = roaring_bitmap_of_ptr(nd, del);
		roaring_bitmap_andnot_inplace(e->b, r);
		roaring_bitmap_free(r);
	}
	free(add);
	free(del);
	e->npend = 0;
	if (e->cappend > 65536) { /* a big day once: give the room back */
		free(e->pend);
		e->pend = NULL;
		e->cappend = 0;
	}
}

static void day_release(struct due_day *e)
{
	roaring_bitmap_free(e->b);
	free(e->pend);
}

static struct due_page *page_get(struct due *d, uint32_t oneid, int make)
{
	size_t pg = oneid >> PAGE_BITS;

	if (pg >= d->npages) {
		if (!make)
			return NULL;
		d->pages = xrealloc(d->pages, (pg + 1) * sizeof *d->pages);
		memset(d->pages + d->npages, 0, (pg + 1 - d->npages) * sizeof *d->pages);
		d->npages = pg + 1;
	}
	if (!d->pages[pg] && make) {
		d->pages[pg] = xmalloc(sizeof *d->pages[pg]);
		memset(d->pages[pg]->day, 0xff, sizeof d->pages[pg]->day);
		d->pages[pg]->stream = NULL;
	}
	return d->pages[pg];
}

uint32_t due_of(const struct due *d, uint32_t oneid, uint32_t *stream)
{
	size_t pg = oneid >> PAGE_BITS;
	const struct due_page *p = pg < d->npages ? d->pages[pg] : NULL;
	uint32_t i = oneid & (PAGE_IDS - 1);

	if (stream)
		*stream = p && p->stream ? p->stream[i] : 0;
	return p ? p->day[i] : DUE_NONE;
}

/* Note oneid's deadline in the per-oneid days. */
static void page_set(struct due *d, uint32_t stream, uint32_t oneid, uint32_t day)
{
	struct due_page *p = page_get(d, oneid, day != DUE_NONE);
	uint32_t i = oneid & (PAGE_IDS - 1);

	if (!p)
		return;
	if ((p->day[i] == DUE_NONE) != (day == DUE_NONE))
		d->people += day == DUE_NONE ? (unsigned long long)-1 : 1;
	p->day[i] = day;
	if (stream && !p->stream)
		p->stream = xcalloc(PAGE_IDS, sizeof *p->stream);
	if (p->stream)
		p->stream[i] = stream;
}

void due_set(struct due *d, uint32_t stream, uint32_t oneid, uint32_t day)
{
	uint32_t ostream, old = due_of(d, oneid, &ostream);
	struct due_day *e;

	if (old == day && (day == DUE_NONE || ostream == stream))
		return;
	if (old != DUE_NONE && (e = day_get(d, ostream, old, 0)))
		day_queue(e, oneid, 0);
	if (day != DUE_NONE)
		day_queue(day_get(d, stream, day, 1), oneid, 1);
	page_set(d, stream, oneid, day);
}

void due_clear(struct due *d)
{
	size_t i;

	for (i = 0; i < d->ndays; i++)
		day_release(&d->days[i]);
	d->ndays = 0;
	for (i = 0; i < d->npages; i++) {
		if (!d->pages[i])
			continue;
		free(d->pages[i]->stream);
		free(d->pages[i]);
		d->pages[i] = NULL;
	}
	d->people = 0;
	d->cleared = 1;
}

uint32_t due_next_day(struct due *d, uint32_t stream, uint32_t from, uint32_t upto)
{
	size_t i;

	for (i = day_find(d, stream, from); i < d->ndays; i++) {
		struct due_day *e = &d->days[i];
		if (e->stream != stream || e->day > upto)
			break;
		day_flush(e);
		if (!roaring_bitmap_is_empty(e->b))
			return e->day;
	}
	return DUE_NONE;
}

size_t due_day_ids(struct due *d, uint32_t stream, uint32_t day, uint32_t **ids, size_t *cap)
{
	struct due_day *e = day_get(d, stream, day, 0);
	size_t n;

	if (!e)
		return 0;
	day_flush(e);
	n = (size_t)roaring_bitmap_get_cardinality(e->b);
	if (n > *cap) {
		free(*ids);
		*ids = xmalloc(n * sizeof **ids);
		*cap = n;
	}
	if (n)
		roaring_bitmap_to_uint32_array(e->b, *ids);
	return n;
}

uint64_t due_count(struct due *d, uint32_t stream, uint32_t day)
{
	struct due_day *e = day_get(d, stream, day, 0);

	if (!e)
		return 0;
	day_flush(e);
	return roaring_bitmap_get_cardinality(e->b);
}

void due_save(struct due *d)
{
	size_t i, out = 0;
	struct buf b = BUF_INIT;

	if (d->cleared) {
		store_clear(d->st, d->dbi);
		d->cleared = 0;
	}
	for (i = 0; i < d->ndays; i++) {
		struct due_day *e = &d->days[i];
		unsigned char key[8];
		store_be32(key, e->stream);
		store_be32(key + 4, e->day);
		day_flush(e);
		if (e->dirty && roaring_bitmap_is_empty(e->b)) {
			store_del(d->st, d->dbi, key, 8);
			day_release(e);
			continue;
		}
		if (e->dirty) {
			size_t n;
			roaring_bitmap_run_optimize(e->b);
			n = roaring_bitmap_portable_size_in_bytes(e->b);
			buf_reset(&b);
			buf_grow(&b, n + 1);
			roaring_bitmap_portable_serialize(e->b, b.p);
			store_put(d->st, d->dbi, key, 8, b.p, n);
			e->dirty = 0;
		}
		d->days[out++] = *e;
	}
	d->ndays = out;
	buf_release(&b);
}

int due_open(struct due *d, struct store *st, MDB_dbi dbi)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t *ids = NULL;
	size_t cap = 0;
	int r;

	memset(d, 0, sizeof *d);
	d->st = st;
	d->dbi = dbi;
	if (!(txn = store_read_txn(st)))
		return -1;
	if ((r = mdb_cursor_open(txn, dbi, &cur))) {
		cli_err("cannot read deadlines: %s", mdb_strerror(r));
		return -1;
	}
	for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		roaring_bitmap_t *b;
		struct due_day *e;
		uint32_t stream, day;
		size_t n, i, keep = 0;
		if (k.mv_size != 8) {
			cli_err("deadlines: a key of %zu bytes is no stream and day; skipped", k.mv_size);
			continue;
		}
		stream = store_get_be32(k.mv_data);
		day = store_get_be32((const unsigned char *)k.mv_data + 4);
		if (!(b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size))) {
			cli_err("deadlines: day %u of stream %u is not a bitmap; skipped", day, stream);
			continue;
		}
		n = (size_t)roaring_bitmap_get_cardinality(b);
		if (n > cap) {
			free(ids);
			ids = xmalloc(n * sizeof *ids);
			cap = n;
		}
		if (n)
			roaring_bitmap_to_uint32_array(b, ids);
		roaring_bitmap_free(b);
		/* keys come in (stream, day) order: a oneid met before is due
		 * earlier in the same stream, or in another stream */
		for (i = 0; i < n; i++) {
			uint32_t ostream, old = due_of(d, ids[i], &ostream);
			if (old != DUE_NONE && old <= day)
				continue; /* keeps the earlier day */
			if (old != DUE_NONE)
				day_queue(day_get(d, ostream, old, 0), ids[i], 0);
			page_set(d, stream, ids[i], day);
			ids[keep++] = ids[i];
		}
		e = day_get(d, stream, day, 1);
		if (keep) {
			roaring_bitmap_t *kb = roaring_bitmap_of_ptr(keep, ids);
			roaring_bitmap_or_inplace(e->b, kb);
			roaring_bitmap_free(kb);
		}
		e->dirty = keep != n; /* as stored, unless a oneid left it */
	}
	mdb_cursor_close(cur);
	free(ids);
	if (r != MDB_NOTFOUND) {
		cli_err("cannot read deadlines: %s", mdb_strerror(r));
		return -1;
	}
	return 0;
}

void due_free(struct due *d)
{
	due_clear(d);
	free(d->days);
	free(d->pages);
	d->days = NULL;
	d->pages = NULL;
	d->npages = d->capdays = 0;
}
