/*
 * deferq - dispatch's deferred sends (quiet hours, not_before), due in
 * (until, send_id) order, kept in LMDB and read from it in steps: memory
 * does not grow with the sends waiting.
 *
 * The queue is a DB (dispatch.deferred) keyed by until (ms, 8 bytes
 * big-endian) then the send_id, with empty values. What lies in memory:
 *
 *   - the entries added since the last commit (a heap): they are in the
 *     store's batch, which cursors do not see; deferq_committed drops
 *     them once the commit has written them;
 *   - a scan position: every committed key before it has been taken
 *     (its delete is in the batch, or committed);
 *   - the earliest until known, so that a record that does not reach it
 *     costs a comparison.
 *
 * deferq_pop takes the earliest entry due from the heap or, by one cursor
 * seek past the scan position, from the committed DB, and queues the
 * delete of its key in the batch of the record that decides the send
 * again: a kill before that batch commits leaves the key, and a rerun
 * takes it again.
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

struct deferq {
	struct store *st;
	MDB_dbi dbi;
	int keep;
	struct deferq_item *v; /* the heap of entries not in the committed DB */
	size_t n, cap;
	struct buf from;       /* the scan position (a key; empty: the start) */
	int64_t next;          /* no entry is due before this (INT64_MAX: none) */
};

/* Open (creating) DB name in st and read its earliest key. keep: a dry
 * run (entries added stay in memory). Returns 0, or -1 after printing
 * why. The store stays the caller's. */
int deferq_open(struct deferq *q, struct store *st, const char *name, int keep);
void deferq_free(struct deferq *q);

/* Defer send_id (idn bytes) until `until` (ms): its key queued in the
 * batch (with keep, not written: send, sendn bytes, is kept with it). */
void deferq_add(struct deferq *q, int64_t until, const char *id, size_t idn, const char *send, size_t sendn);

/* 1 when an entry may be due at clock (a cheap test, for every record). */
static inline int deferq_due(const struct deferq *q, int64_t clock)
{
	return q->next <= clock;
}

/*
 * Take the earliest entry with until <= clock, its key's delete queued in
 * the batch: 1 with *out set (the caller frees out->id and out->send), 0
 * when none is due, -1 on an LMDB error (printed). The read transaction
 * of the store is used and left open.
 */
int deferq_pop(struct deferq *q, int64_t clock, struct deferq_item *out);

/* The batch was committed: the entries added since are in the DB now, read
 * from it from here on (not with keep). */
void deferq_committed(struct deferq *q);

/* The entries held in memory (for -v). */
static inline size_t deferq_in_memory(const struct deferq *q)
{
	return q->n;
}

/* The DB key of (until, id): until's 8 bytes big-endian, then the id. */
void deferq_key(struct buf *k, int64_t until, const char *id, size_t idn);

#endif
