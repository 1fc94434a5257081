/*
 * jlog - the decision log of scheduler (scheduler.dlog), packed, in
 * blocks appended a stream at a time.
 *
 * A decision is one line of compact JSON: a $journey record, or a
 * condition that decided. The decisions of one activation of one person
 * are one entry, a line each, separated by '\n', numbered on from the
 * person's sequence number of the first line. Entries go into the open
 * block of the stream being handled, in the order they are made; a block
 * is closed once its entries hold JLOG_BLOCK bytes, and the next one
 * opened. Each commit rewrites the open block of each stream it added to
 * (at most JLOG_BLOCK bytes) and writes each block it closed once, so the
 * log is written about once, in a few big values, where a key per entry
 * spread over the people dirtied a page per entry. Where the blocks close
 * depends on the decisions only (never on when commits fall), so a run
 * cut short and resumed leaves the same blocks as a clean run.
 *
 * A block, key (stream, block number: 4 bytes big-endian each), is: 1
 * (a format byte), the count of entries (4 bytes big-endian), the entries'
 * index sorted by (oneid, sequence), 24 bytes an entry (oneid, sequence,
 * offset of its lines in the body, their length, and the block the
 * person's decisions before these are in: stream and block number + 1, 0
 * for none, 4 bytes big-endian each), then the body. A person's record
 * names the block of their newest entry, so explain follows a person's
 * blocks back, a lookup and a binary search each. Lines are packed: each phrase the records repeat
 * ({"type":"$journey","event_id":"jrn:, ","ts":", ","version":" …) is
 * one control byte 0x01 … 0x1e other than 0x0a (compact JSON holds none
 * raw, and 0x0a separates lines); 0x1f keeps a raw control byte after
 * it. The table is part of the store's format: never change a phrase,
 * only add one in a free slot.
 */
#ifndef UOPS_JLOG_H
#define UOPS_JLOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "store.h"

/* A block is closed once its entries' lines hold this many bytes: small
 * enough that rewriting the open block of each stream at each commit
 * costs little (a Kafka instance commits every second or so, per
 * partition), and that LMDB's pages for it come from the heap, not a
 * fresh mapping each time; big enough that a block's few pages of index
 * and lines are written once for hundreds of entries. */
#define JLOG_BLOCK (1u << 16)
#define JLOG_ENTRY 24

struct jlog_entry {
	uint32_t oneid, seq;  /* the person; the number of its first line */
	uint32_t off, len;    /* its lines in the block's body */
	uint32_t pstream, pblk; /* the block of the person's decisions before
				 * (pblk: its number + 1; 0: none) */
};

/* The open block of a stream: its entries in the order made, and their
 * lines. */
struct jlog_tail {
	uint32_t stream, blk;
	struct jlog_entry *e;
	size_t n, cap;
	struct buf body;
	int dirty; /* changed since it was queued */
};

struct jlog {
	struct store *st;
	MDB_dbi dbi;
	struct jlog_tail *t;
	unsigned nt;
	struct buf val; /* a block being encoded */
	unsigned long long blocks; /* closed, for -v */
};

/* Append the packed form of the line s (n bytes, no '\n') to out. */
void jlog_pack(struct buf *out, const char *s, size_t n);
/* Append the line packed as s (n bytes, no '\n') to out, unpacked. */
void jlog_unpack(struct buf *out, const char *s, size_t n);
/* The day of a decision's time t (ms; days since 1970-01-01 UTC, 0 before
 * it): the first part of its key. */
uint32_t jlog_day(int64_t t);

/* Write to dbi of st (a writable store). */
void jlog_init(struct jlog *l, struct store *st, MDB_dbi dbi);
/* Free l's memory (what is not queued is lost: jlog_save first). */
void jlog_release(struct jlog *l);
/* The open block of stream: the last block of the stream in the store
 * when it is not full (read back), else a new one after it. NULL on an
 * LMDB error or a damaged block (printed). The pointer is good until the
 * next jlog_tail of a stream not met before. */
struct jlog_tail *jlog_tail(struct jlog *l, uint32_t stream);
/* Add an entry to t (e's off and len are set here) with its lines (n
 * bytes, packed). Closes the block, queueing its put, when it is full. */
void jlog_add(struct jlog *l, struct jlog_tail *t, struct jlog_entry *e, const char *lines, size_t n);
/* Queue the open blocks added to since the last call (before a commit). */
void jlog_save(struct jlog *l);

/* The key of (stream, blk) in k (8 bytes). */
void jlog_key(unsigned char *k, uint32_t stream, uint32_t blk);

/*
 * The entries of oneid in the block v (n bytes, as read), in sequence
 * order: fn(ctx, entry, its lines) each. *prev gets the block before
 * these (the first entry's pstream, pblk; pblk 0: none, or no entry).
 * Returns the number of entries, or -1 when the block is damaged.
 */
long jlog_block_find(const void *v, size_t n, uint32_t oneid,
		     void (*fn)(void *ctx, const struct jlog_entry *e, const char *lines), void *ctx,
		     uint32_t *pstream, uint32_t *pblk);

/* A decision line read back (for explain): its sequence number, and its
 * bytes, packed or (scheduler.log of an early store) not, pointing into
 * the store's read transaction. */
struct jlog_line {
	uint32_t seq;
	int packed;
	const char *p;
	size_t n;
};

struct jlog_lines {
	struct jlog_line *v;
	size_t n, cap;
};

/* Where a person's decisions may be: the blocks (dlog), and in a store of
 * an earlier version scheduler.decisions (day, oneid, sequence: a value a
 * line each, packed) and scheduler.log (oneid, sequence: JSON); each with
 * a flag saying the DB is absent. */
struct jlog_dbs {
	MDB_dbi dlog, decisions, log;
	int no_dlog, no_decisions, no_log;
};

/*
 * Every decision line of oneid, in sequence order, appended to out (its
 * pointers are good until st's read transaction ends). The blocks are
 * followed back from the one the person's record names (stream ls,
 * number + 1 lb; 0: none) when has_record, else (a oneid merged into
 * another keeps no record) every block is searched. Returns 0, or -1
 * after printing why (an LMDB error, a damaged or missing block).
 */
int jlog_person(struct store *st, const struct jlog_dbs *dbs, uint32_t oneid, int has_record, uint32_t ls,
		uint32_t lb, struct jlog_lines *out);
/* Free out's array; out is empty afterwards. */
void jlog_lines_release(struct jlog_lines *out);

#endif
