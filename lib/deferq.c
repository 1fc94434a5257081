#include "deferq.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PFX 4        /* the stream */
#define HEAD (PFX + 8) /* the stream and until: the send_id follows */

struct deferq_stream {
	uint32_t stream;
	struct deferq_item *v; /* the heap of entries not in the committed DB */
	size_t n, cap;
	struct buf from;       /* the scan position (a key; empty: the stream's first) */
	int64_t next;          /* no entry is due before this (INT64_MAX: none) */
};

void deferq_key(struct buf *k, uint32_t stream, int64_t until, const char *id, size_t idn)
{
	unsigned char h[HEAD];

	store_be32(h, stream);
	store_be64(h + PFX, (uint64_t)until);
	buf_reset(k);
	buf_add(k, h, HEAD);
	buf_add(k, id, idn);
}

/* The order of the DB's keys within a stream: until as an unsigned 64-bit
 * number, then the id's bytes. */
static int item_less(const struct deferq_item *a, const struct deferq_item *b)
{
	if (a->until != b->until)
		return (uint64_t)a->until < (uint64_t)b->until;
	return strcmp(a->id, b->id) < 0;
}

/* memcmp order of two keys, the shorter first on a tie: <0, 0, >0. */
static int key_cmp(const void *a, size_t an, const void *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

/* The state of stream s (made when make), or NULL. */
static struct deferq_stream *stream_of(const struct deferq *q, uint32_t s, int make)
{
	size_t lo = 0, hi = q->ns;
	struct deferq *w = (struct deferq *)q;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (q->s[mid].stream < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < q->ns && q->s[lo].stream == s)
		return &q->s[lo];
	if (!make)
		return NULL;
	w->s = xrealloc(w->s, (w->ns + 1) * sizeof *w->s);
	memmove(&w->s[lo + 1], &w->s[lo], (w->ns - lo) * sizeof *w->s);
	memset(&w->s[lo], 0, sizeof *w->s);
	w->s[lo].stream = s;
	w->s[lo].next = INT64_MAX;
	w->ns++;
	return &w->s[lo];
}

static void heap_push(struct deferq_stream *h, struct deferq_item x)
{
	size_t i = h->n;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	while (i > 0 && item_less(&x, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
	h->n++;
}

static struct deferq_item heap_pop(struct deferq_stream *h)
{
	struct deferq_item top = h->v[0], last = h->v[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && item_less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!item_less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

/*
 * The first committed key of stream h at or after its scan position that
 * the batch has not deleted: 1 with *until and the key in k, 0 none, -1 an
 * error (printed).
 */
static int db_first(struct deferq *q, struct deferq_stream *h, struct buf *k, int64_t *until)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	unsigned char pfx[PFX];
	int rc, r = 0;

	if (q->old) /* every entry is in memory */
		return 0;
	if (!(txn = store_read_txn(q->st)))
		return -1;
	if ((rc = mdb_cursor_open(txn, q->dbi, &cur)))
		goto fail;
	store_be32(pfx, h->stream);
	if (h->from.len) {
		key.mv_data = h->from.p;
		key.mv_size = h->from.len;
	} else {
		key.mv_data = pfx;
		key.mv_size = PFX;
	}
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); !rc; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		MDB_val pv;
		if (key.mv_size < PFX || memcmp(key.mv_data, pfx, PFX))
			break; /* past the stream's keys */
		if (key.mv_size <= HEAD)
			continue; /* not a key of ours */
		if (store_get_pending(q->st, q->dbi, key.mv_data, key.mv_size, &pv) == 2)
			continue; /* taken in this batch */
		buf_reset(k);
		buf_add(k, key.mv_data, key.mv_size);
		*until = (int64_t)store_get_be64((const unsigned char *)key.mv_data + PFX);
		r = 1;
		break;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		goto fail;
	return r;
fail:
	cli_err("cannot read DB 'dispatch.deferred': %s", mdb_strerror(rc));
	return -1;
}

/* The streams the DB holds keys of, each with its earliest until: one seek
 * per stream. 0, or -1 after printing why. */
static int read_streams(struct deferq *q)
{
	MDB_txn *txn = store_read_txn(q->st);
	MDB_cursor *cur;
	MDB_val key, val;
	unsigned char pfx[PFX];
	int rc;

	if (!txn)
		return -1;
	if ((rc = mdb_cursor_open(txn, q->dbi, &cur)))
		goto fail;
	rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST);
	while (!rc) {
		uint32_t s;
		if (key.mv_size < PFX) {
			rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
			continue;
		}
		s = store_get_be32(key.mv_data);
		if (key.mv_size > HEAD) {
			struct deferq_stream *h = stream_of(q, s, 1);
			h->next = (int64_t)store_get_be64((const unsigned char *)key.mv_data + PFX);
		} else {
			rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT);
			continue; /* not a key of ours: the stream's next */
		}
		if (s == UINT32_MAX)
			break;
		store_be32(pfx, s + 1);
		key.mv_data = pfx;
		key.mv_size = PFX;
		rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE);
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		goto fail;
	return 0;
fail:
	cli_err("cannot read DB 'dispatch.deferred': %s", mdb_strerror(rc));
	return -1;
}

int deferq_open(struct deferq *q, struct store *st, const char *name, int keep)
{
	int r;

	memset(q, 0, sizeof *q);
	q->st = st;
	q->keep = keep;
	if ((r = store_dbi_maybe(st, name, 0, &q->dbi)) < 0)
		return -1;
	if (!r && store_dbi(st, name, 0, &q->dbi))
		return -1;
	r = read_streams(q);
	store_read_end(st);
	return r;
}

int deferq_open_any(struct deferq *q, struct store *st, const char *name, const char *markdb, const char *mark,
		    int keep)
{
	MDB_dbi mdbi;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	int rc, r;

	if ((r = store_dbi_maybe(st, markdb, 0, &mdbi)) < 0)
		return -1;
	if (r && (r = store_get(st, mdbi, mark, strlen(mark), &val)) < 0)
		return -1;
	if (r) /* marked: keyed by the stream */
		return deferq_open(q, st, name, keep);
	memset(q, 0, sizeof *q);
	q->st = st;
	q->keep = keep;
	if ((r = store_dbi_maybe(st, name, 0, &q->dbi)) <= 0) {
		store_read_end(st);
		return r < 0 ? -1 : deferq_open(q, st, name, keep);
	}
	q->old = 1;
	/* keys (until, send_id), the stream in a 4-byte value or none
	 * (stream 0), as deferq_upgrade reads them */
	if (!(txn = store_read_txn(st)) || (rc = mdb_cursor_open(txn, q->dbi, &cur))) {
		rc = txn ? rc : MDB_BAD_TXN;
		goto fail;
	}
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		uint32_t s = val.mv_size >= 4 ? store_get_be32(val.mv_data) : 0;
		struct deferq_stream *h;
		struct deferq_item x;
		if (key.mv_size <= 8)
			continue;
		h = stream_of(q, s, 1);
		x.until = (int64_t)store_get_be64(key.mv_data);
		x.id = xstrndup((const char *)key.mv_data + 8, key.mv_size - 8);
		x.send = NULL;
		heap_push(h, x);
		q->n++;
		if (x.until < h->next)
			h->next = x.until;
	}
	mdb_cursor_close(cur);
	store_read_end(st);
	if (rc != MDB_NOTFOUND)
		goto fail;
	return 0;
fail:
	cli_err("cannot read DB '%s': %s", name, mdb_strerror(rc));
	return -1;
}

void deferq_free(struct deferq *q)
{
	size_t i, j;

	for (i = 0; i < q->ns; i++) {
		struct deferq_stream *h = &q->s[i];
		for (j = 0; j < h->n; j++) {
			free(h->v[j].id);
			free(h->v[j].send);
		}
		free(h->v);
		buf_release(&h->from);
	}
	free(q->s);
	memset(q, 0, sizeof *q);
}

void deferq_add(struct deferq *q, uint32_t stream, int64_t until, const char *id, size_t idn, const char *send,
		size_t sendn)
{
	struct deferq_stream *h = stream_of(q, stream, 1);
	struct deferq_item x = {until, xstrndup(id, idn), NULL};

	if (q->keep || q->old) {
		x.send = xstrndup(send ? send : "", send ? sendn : 0);
	} else {
		struct buf k = BUF_INIT;
		deferq_key(&k, stream, until, id, idn);
		store_put(q->st, q->dbi, k.p, k.len, "", 0);
		buf_release(&k);
	}
	heap_push(h, x);
	q->n++;
	if (until < h->next)
		h->next = until;
}

int deferq_due(const struct deferq *q, uint32_t stream, int64_t clock)
{
	const struct deferq_stream *h = stream_of(q, stream, 0);

	return h && h->next <= clock;
}

int deferq_pop(struct deferq *q, uint32_t stream, int64_t clock, struct deferq_item *out)
{
	struct deferq_stream *h = stream_of(q, stream, 0);
	struct buf k = BUF_INIT;
	int64_t until = INT64_MAX;
	int r;

	if (!h || h->next > clock)
		return 0;
	if ((r = db_first(q, h, &k, &until)) < 0)
		goto out;
	if (h->n) {
		struct buf hk = BUF_INIT;
		int first;
		deferq_key(&hk, stream, h->v[0].until, h->v[0].id, strlen(h->v[0].id));
		first = !r || key_cmp(hk.p, hk.len, k.p, k.len) < 0;
		buf_release(&hk);
		if (first)
			goto heap;
	}
	if (!r || until > clock) {
		h->next = until; /* INT64_MAX when there is none */
		r = 0;
		goto out;
	}
	out->until = until;
	out->id = xstrndup(k.p + HEAD, k.len - HEAD);
	out->send = NULL;
	store_del(q->st, q->dbi, k.p, k.len);
	/* the scan goes on past this key: the key with a 0 byte after it is
	 * the next there can be */
	buf_reset(&h->from);
	buf_add(&h->from, k.p, k.len);
	buf_addc(&h->from, 0);
	r = 1;
	goto out;
heap:
	/* the heap's is first */
	if (h->v[0].until > clock) {
		h->next = h->v[0].until;
		r = 0;
		goto out;
	}
	*out = heap_pop(h);
	q->n--;
	if (!q->keep && !q->old) {
		deferq_key(&k, stream, out->until, out->id, strlen(out->id));
		store_del(q->st, q->dbi, k.p, k.len);
	}
	r = 1;
out:
	buf_release(&k);
	return r;
}

void deferq_committed(struct deferq *q)
{
	size_t i, j;

	if (q->keep || q->old || !q->n)
		return;
	for (i = 0; i < q->ns; i++) {
		struct deferq_stream *h = &q->s[i];
		/* the heap's entries are in the DB now: the scan must not
		 * start past the earliest */
		for (j = 0; j < h->n; j++) {
			struct buf k = BUF_INIT;
			deferq_key(&k, h->stream, h->v[j].until, h->v[j].id, strlen(h->v[j].id));
			if (h->from.len && key_cmp(k.p, k.len, h->from.p, h->from.len) < 0) {
				buf_reset(&h->from);
				buf_add(&h->from, k.p, k.len);
			}
			buf_release(&k);
			free(h->v[j].id);
			free(h->v[j].send);
		}
		h->n = 0;
	}
	q->n = 0;
}

size_t deferq_count(struct deferq *q, uint32_t stream)
{
	struct deferq_stream *h = stream_of(q, stream, 0);
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	unsigned char pfx[PFX];
	size_t n = h && (q->keep || q->old) ? h->n : 0;
	int rc;

	if (!q->st || q->old)
		return n; /* never opened: no DB; or all in memory */
	if (!(txn = store_read_txn(q->st)) || mdb_cursor_open(txn, q->dbi, &cur))
		return n;
	store_be32(pfx, stream);
	key.mv_data = pfx;
	key.mv_size = PFX;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE); !rc; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		if (key.mv_size < PFX || memcmp(key.mv_data, pfx, PFX))
			break;
		if (key.mv_size > HEAD)
			n++;
	}
	mdb_cursor_close(cur);
	return n;
}

int deferq_upgrade(struct store *st, const char *name, const char *markdb, const char *mark)
{
	MDB_dbi dbi, mdbi;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, val;
	struct buf old = BUF_INIT, k = BUF_INIT;
	size_t at;
	int rc = MDB_BAD_TXN, r;

	if ((r = store_dbi_maybe(st, name, 0, &dbi)) <= 0 || (r = store_dbi_maybe(st, markdb, 0, &mdbi)) <= 0)
		return r;
	if ((r = store_get(st, mdbi, mark, strlen(mark), &val)) != 0) {
		store_read_end(st);
		return r < 0 ? -1 : 0; /* marked: keyed by the stream already */
	}
	/* an earlier layout: keys (until, send_id), the stream in a 4-byte
	 * value or none (a store of one clock: stream 0); read once, then
	 * rewritten and marked in one commit, so a kill leaves either
	 * layout whole, never a mix */
	if (!(txn = store_read_txn(st)) || (rc = mdb_cursor_open(txn, dbi, &cur)))
		goto fail;
	for (rc = mdb_cursor_get(cur, &key, &val, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		uint32_t kl = (uint32_t)key.mv_size, s = val.mv_size >= 4 ? store_get_be32(val.mv_data) : 0;
		unsigned char h[8];
		store_be32(h, kl);
		store_be32(h + 4, s);
		buf_add(&old, h, 8);
		buf_add(&old, key.mv_data, key.mv_size);
	}
	mdb_cursor_close(cur);
	store_read_end(st);
	if (rc != MDB_NOTFOUND)
		goto fail;
	for (at = 0; at < old.len;) {
		const unsigned char *p = (const unsigned char *)old.p + at;
		uint32_t kl = store_get_be32(p), s = store_get_be32(p + 4);
		store_del(st, dbi, p + 8, kl);
		if (kl > 8) {
			deferq_key(&k, s, (int64_t)store_get_be64(p + 8), (const char *)p + 16, kl - 8);
			store_put(st, dbi, k.p, k.len, "", 0);
		}
		at += 8 + kl;
	}
	store_put(st, mdbi, mark, strlen(mark), "2", 1);
	r = store_commit(st) ? -1 : 0;
	buf_release(&old);
	buf_release(&k);
	return r;
fail:
	buf_release(&old);
	cli_err("cannot read DB '%s': %s", name, mdb_strerror(rc));
	return -1;
}
