#include "outbox.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

int outbox_open(struct outbox *o, struct store *st)
{
	o->st = st;
	if (store_dbi(st, "dispatch.outbox", 0, &o->box) || store_dbi(st, "dispatch.pending", 0, &o->pending) ||
	    store_dbi(st, "dispatch.sends", 0, &o->sends))
		return -1;
	return 0;
}

int outbox_get(struct outbox *o, const char *id, size_t n, uint32_t *oneid, struct buf *text)
{
	MDB_val v;
	int r = store_get(o->st, o->box, id, n, &v);

	if (r < 0)
		return -1;
	if (r == 0 || v.mv_size < 5)
		return OUTBOX_NONE;
	if (oneid)
		*oneid = store_get_be32((const unsigned char *)v.mv_data + 1);
	if (text)
		buf_add(text, (const char *)v.mv_data + 5, v.mv_size - 5);
	return ((const unsigned char *)v.mv_data)[0];
}

void outbox_put(struct outbox *o, const char *id, size_t n, uint32_t oneid, int state,
		const char *text, size_t len)
{
	struct buf v = BUF_INIT;
	unsigned char head[5], st = (unsigned char)state;
	unsigned char *k;

	head[0] = st;
	store_be32(head + 1, oneid);
	buf_add(&v, head, 5);
	buf_add(&v, text, len);
	store_put(o->st, o->box, id, n, v.p, v.len);
	if (state == OUTBOX_PENDING || state == OUTBOX_RETRY)
		store_put(o->st, o->pending, id, n, &st, 1);
	else
		store_del(o->st, o->pending, id, n);
	k = xmalloc(n + 4);
	store_be32(k, oneid);
	memcpy(k + 4, id, n);
	store_put(o->st, o->sends, k, n + 4, "", 0);
	free(k);
	buf_release(&v);
}

int outbox_scan_pending(struct outbox *o, int (*fn)(void *ctx, const char *id, size_t n, int state),
			void *ctx)
{
	MDB_txn *txn = store_read_txn(o->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, r = 0;

	if (!txn)
		return -1;
	if ((rc = mdb_cursor_open(txn, o->pending, &cur))) {
		cli_err("cannot read DB 'dispatch.pending': %s", mdb_strerror(rc));
		return -1;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int state = v.mv_size ? ((const unsigned char *)v.mv_data)[0] : OUTBOX_PENDING;
		if ((r = fn(ctx, k.mv_data, k.mv_size, state)))
			break;
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND && !r) {
		cli_err("cannot read DB 'dispatch.pending': %s", mdb_strerror(rc));
		return -1;
	}
	return r;
}

const char *outbox_state_name(int state)
{
	switch (state) {
	case OUTBOX_PENDING: return "pending";
	case OUTBOX_RETRY: return "retry";
	case OUTBOX_SENT: return "sent";
	case OUTBOX_FAILED: return "failed";
	case OUTBOX_SUPPRESSED: return "suppressed";
	case OUTBOX_UNKNOWN: return "unknown";
	case OUTBOX_DEFERRED: return "deferred";
	}
	return "none";
}
