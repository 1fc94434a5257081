#include "deferq.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

void deferq_key(struct buf *k, int64_t until, const char *id, size_t idn)
{
	unsigned char h[8];

	store_be64(h, (uint64_t)until);
	buf_reset(k);
	buf_add(k, h, 8);
	buf_add(k, id, idn);
}

/* The order of the DB's keys: until as an unsigned 64-bit number, then the
 * id's bytes. */
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

static void heap_push(struct deferq *q, struct deferq_item x)
{
	size_t i = q->n;

	if (q->n == q->cap) {
		q->cap = q->cap ? 2 * q->cap : 64;
		q->v = xrealloc(q->v, q->cap * sizeof *q->v);
	}
	while (i > 0 && item_less(&x, &q->v[(i - 1) / 2])) {
		q->v[i] = q->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	q->v[i] = x;
	q->n++;
}

static struct deferq_item heap_pop(struct deferq *q)
{
	struct deferq_item top = q->v[0], last = q->v[--q->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= q->n)
			break;
		if (c + 1 < q->n && item_less(&q->v[c + 1], &q->v[c]))
			c++;
		if (!item_less(&q->v[c], &last))
			break;
		q->v[i] = q->v[c];
		i = c;
	}
	if (q->n)
		q->v[i] = last;
	return top;
}

/*
 * The first committed key at or after the scan position that the batch
 * has not deleted: 1 with *until and the key in k, 0 none, -1 an error
 * (printed).
 */
static int db_first(struct deferq *q, struct buf *k, int64_t *until)
{
	MDB_txn *txn = store_read_txn(q->st);
	MDB_cursor *cur;
	MDB_val key, val;
	int rc, r = 0;

	if (!txn)
		return -1;
	if ((rc = mdb_cursor_open(txn, q->dbi, &cur)))
		goto fail;
	key.mv_data = q->from.p;
	key.mv_size = q->from.len;
	rc = q->from.len ? mdb_cursor_get(cur, &key, &val, MDB_SET_RANGE) : mdb_cursor_get(cur, &key, &val, MDB_FIRST);
	for (; !rc; rc = mdb_cursor_get(cur, &key, &val, MDB_NEXT)) {
		MDB_val pv;
		if (key.mv_size <= 8)
			continue; /* not a key of ours */
		if (store_get_pending(q->st, q->dbi, key.mv_data, key.mv_size, &pv) == 2)
			continue; /* taken in this batch */
		buf_reset(k);
		buf_add(k, key.mv_data, key.mv_size);
		*until = (int64_t)store_get_be64(key.mv_data);
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

int deferq_open(struct deferq *q, struct store *st, const char *name, int keep)
{
	struct buf k = BUF_INIT;
	int64_t until;
	int r;

	memset(q, 0, sizeof *q);
	q->st = st;
	q->keep = keep;
	q->next = INT64_MAX;
	if (store_dbi(st, name, 0, &q->dbi))
		return -1;
	r = db_first(q, &k, &until);
	store_read_end(st);
	buf_release(&k);
	if (r < 0)
		return -1;
	if (r)
		q->next = until;
	return 0;
}

void deferq_free(struct deferq *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->v[i].id);
		free(q->v[i].send);
	}
	free(q->v);
	buf_release(&q->from);
	memset(q, 0, sizeof *q);
}

void deferq_add(struct deferq *q, int64_t until, const char *id, size_t idn, const char *send, size_t sendn)
{
	struct deferq_item x = {until, xstrndup(id, idn), NULL};

	if (q->keep) {
		x.send = xstrndup(send ? send : "", send ? sendn : 0);
	} else {
		struct buf k = BUF_INIT;
		deferq_key(&k, until, id, idn);
		store_put(q->st, q->dbi, k.p, k.len, "", 0);
		buf_release(&k);
	}
	heap_push(q, x);
	if (until < q->next)
		q->next = until;
}

int deferq_pop(struct deferq *q, int64_t clock, struct deferq_item *out)
{
	struct buf k = BUF_INIT;
	int64_t until = INT64_MAX;
	int r;

	if (q->next > clock)
		return 0;
	if ((r = db_first(q, &k, &until)) < 0)
		goto out;
	if (q->n) {
		struct buf hk = BUF_INIT;
		int first;
		deferq_key(&hk, q->v[0].until, q->v[0].id, strlen(q->v[0].id));
		first = !r || key_cmp(hk.p, hk.len, k.p, k.len) < 0;
		buf_release(&hk);
		if (first)
			goto heap;
	}
	if (!r || until > clock) {
		q->next = until; /* INT64_MAX when there is none */
		r = 0;
		goto out;
	}
	out->until = until;
	out->id = xstrndup(k.p + 8, k.len - 8);
	out->send = NULL;
	store_del(q->st, q->dbi, k.p, k.len);
	/* the scan goes on past this key: the key with a 0 byte after it is
	 * the next there can be */
	buf_reset(&q->from);
	buf_add(&q->from, k.p, k.len);
	buf_addc(&q->from, 0);
	r = 1;
	goto out;
heap:
	{
		/* the heap's is first */
		if (q->v[0].until > clock) {
			q->next = q->v[0].until;
			r = 0;
			goto out;
		}
		*out = heap_pop(q);
		if (!q->keep) {
			deferq_key(&k, out->until, out->id, strlen(out->id));
			store_del(q->st, q->dbi, k.p, k.len);
		}
		r = 1;
	}
out:
	buf_release(&k);
	return r;
}

void deferq_committed(struct deferq *q)
{
	size_t i;

	if (q->keep || !q->n)
		return;
	/* the heap's entries are in the DB now: the scan must not start past
	 * the earliest */
	for (i = 0; i < q->n; i++) {
		struct buf k = BUF_INIT;
		deferq_key(&k, q->v[i].until, q->v[i].id, strlen(q->v[i].id));
		if (q->from.len && key_cmp(k.p, k.len, q->from.p, q->from.len) < 0) {
			buf_reset(&q->from);
			buf_add(&q->from, k.p, k.len);
		}
		buf_release(&k);
		free(q->v[i].id);
		free(q->v[i].send);
	}
	q->n = 0;
}
