/*
 * deferq - dispatch's deferred sends (quiet hours, not_before), by stream,
 * kept in LMDB and read from it in steps: memory does not grow with the
 * sends waiting.
 *
 * A send put off is decided again when the clock of its stream (the
 * partition its person's records come on; 0 for a file or a pipe) passes
 * its time, never when another partition's clock does. So what an
 * instance writes for a partition does not depend on how its partitions
 * interleave, and a partition moved to another store goes on there with
 * the same decisions.
 *
 * The queue is a DB (dispatch.deferred) keyed by the stream (4 bytes
 * big-endian), until (ms, 8 bytes big-endian), then the send_id, with
 * empty values: a stream's entries are one range of keys, due in (until,
 * send_id) order. What lies in memory, per stream:
 *
 *   - the entries added since the last commit (a heap): they are in the
 *     store's batch, which cursors do not see; deferq_committed drops
 *     them once the commit has written them;
 *   - a scan position: every committed key of the stream before it has
 *     been taken (its delete is in the batch, or committed);
 *   - the earliest until known, so that a record that does not reach it
 *     costs a comparison.
 *
 * deferq_pop takes the stream's earliest entry due from the heap or, by
 * one cursor seek past the scan position, from the committed DB, and
 * queues the delete of its key in the batch of the record that decides
 * the send again: a kill before that batch commits leaves the key, and a
 * rerun takes it again.
 *
 * With keep (a dry run, which commits nothing) an entry is never written:
 * it stays in the heap, with the record it was given, until it is taken.
 */
#ifndef UOPS_DEFERQ_H
#define UOPS_DEFERQ_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

struct deferq_item {
	int64_t until;
	char *id;   /* the send_id, NUL-terminated */
	char *send; /* keep: the record given to deferq_add; else NULL */
};

struct deferq_stream; /* deferq.c: one stream's heap, scan position, earliest */

struct deferq {
	struct store *st;
	MDB_dbi dbi;
	int keep;
	struct deferq_stream *s; /* sorted by stream */
	size_t ns;
	size_t n;                /* entries in memory, every stream's */
	/* the DB is of an earlier layout, read by one that may not rewrite
	 * it (deferq_open_any): every entry was read into memory at open,
	 * the DB is never read or written again */
	int old;
};

/* Open (creating; with a read-only store, the DB must exist) DB name in
 * st and read each stream's earliest key. keep: a dry run (entries added
 * stay in memory). Returns 0, or -1 after printing why. The store stays
 * the caller's. */
int deferq_open(struct deferq *q, struct store *st, const char *name, int keep);
void deferq_free(struct deferq *q);
/*
 * The same for one that may not rewrite the DB (a read-only store, a dry
 * run): a DB of an earlier layout (key mark of DB markdb absent; see
 * deferq_upgrade) is read whole into memory, as it is, and served from
 * there (its entries stay in memory: for a status or a dry run). Else as
 * deferq_open. Returns 0, or -1 after printing why.
 */
int deferq_open_any(struct deferq *q, struct store *st, const char *name, const char *markdb, const char *mark,
		    int keep);

/* Defer send_id (idn bytes) of stream until `until` (ms): its key queued in
 * the batch (with keep, not written: send, sendn bytes, is kept with it). */
void deferq_add(struct deferq *q, uint32_t stream, int64_t until, const char *id, size_t idn, const char *send,
		size_t sendn);

/* 1 when an entry of stream may be due at clock (a cheap test, for every
 * record). */
int deferq_due(const struct deferq *q, uint32_t stream, int64_t clock);

/*
 * Take stream's earliest entry with until <= clock, its key's delete queued
 * in the batch: 1 with *out set (the caller frees out->id and out->send),
 * 0 when none is due, -1 on an LMDB error (printed). The read transaction
 * of the store is used and left open.
 */
int deferq_pop(struct deferq *q, uint32_t stream, int64_t clock, struct deferq_item *out);

/* The batch was committed: the entries added since are in the DB now, read
 * from it from here on (not with keep). */
void deferq_committed(struct deferq *q);

/* The entries held in memory (for -v). */
static inline size_t deferq_in_memory(const struct deferq *q)
{
	return q->n;
}

/* How many entries stream holds, in the DB and in memory (for status; a
 * cursor over the stream's range). */
size_t deferq_count(struct deferq *q, uint32_t stream);

/* DB name keyed by the stream first, as deferq_open reads it: unless key
 * mark of DB markdb says it is already, its keys of an earlier layout
 * ((until, send_id), the stream in a 4-byte value, or none: stream 0) are
 * rewritten and the mark written, in one commit (the keys are read into
 * memory once). 0 (nothing to do, or done), or -1 after printing why. */
int deferq_upgrade(struct store *st, const char *name, const char *markdb, const char *mark);

/* The DB key of (stream, until, id): stream's 4 bytes big-endian, until's
 * 8, then the id. */
void deferq_key(struct buf *k, uint32_t stream, int64_t until, const char *id, size_t idn);

#endif
