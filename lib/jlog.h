/*
 * jlog - the decision log of scheduler (scheduler.dlog), packed, in
 * blocks appended a stream at a time.
 *
 * A decision is what one line of compact JSON says: a $journey record
 * (kept as its parts, written back as the stream had it), or a condition
 * that decided (kept as packed text). The decisions of one activation of
 * one person are one entry, a line each, numbered on from the person's
 * sequence number of the first line. Entries go into the open
 * block of the stream being handled, in the order they are made; a block
 * is closed once its entries hold JLOG_BLOCK bytes, and the next one
 * opened. Each commit rewrites the open block of each stream it added to
 * (at most JLOG_BLOCK bytes) and writes each block it closed once, so the
 * log is written about once, in a few big values, where a key per entry
 * spread over the people dirtied a page per entry. Where the blocks close
 * depends on the decisions only (never on when commits fall), so a run
 * cut short and resumed leaves the same blocks as a clean run.
 *
 * A block, key (stream, block number: 4 bytes big-endian each), is a
 * format byte, the count of entries (4 bytes big-endian), the entries'
 * index sorted by (oneid, sequence), then the body. A person's record
 * names the block of their newest entry, so explain follows a person's
 * blocks back, a lookup and a binary search each.
 *
 * Format 2 (written today): the index is 8 bytes an entry (oneid, the
 * offset of the entry in the body, 4 bytes big-endian each); an entry in
 * the body is varints (7 bits a byte, least significant first): its
 * sequence number, the block the person's decisions before these are in
 * (stream, block number + 1, 0 for none), the length of its lines, then
 * the lines, each its length (varint) and its bytes. A line is either a
 * $journey record (enter, step, exit) kept as its parts, when it starts
 * with a 0 byte, or a packed line of text (a condition that decided with
 * the values it read, an update), which never does. A $journey record's
 * parts, after the 0: a byte of flags (bits 0-2 the op: 0 enter, 1 step,
 * 2 exit; 0x08 a step, 0x10 an arm, 0x20 a detail, 0x40 held, 0x80 a
 * wake-up), a byte of more flags (0x01 a correlation hash, 0x02 a
 * correlation value, 0x04 the version as 8 bytes, else its 16 bytes of
 * text, 0x08 a oneid other than the entry's, 0x10 the time, cause,
 * journey and version are the base's: those of the $journey line before
 * it in the entry that has them), then varints and strings (a varint
 * length, then the bytes): the time (ms, zigzag), the cause (the
 * event_id's part), the journey's name, its version (these four left out
 * under 0x10), the
 * correlation hash (8 bytes big-endian), the number of entries, the step
 * and its kind (enum jstep_kind: send 0, wait 1, wait_for 2, branch 3,
 * split 4, update 5, goto 6, exit 7), the arm, the detail, the wake-up
 * (ms after the time, zigzag), the reason (an exit), the correlation
 * value (JSON), the oneid; each only when flagged. explain writes the
 * record back with lib/jwrite, the bytes the stream had.
 *
 * Format 1 (earlier builds; read, never written, and an open block of
 * it is left as it is, a new one begun after it): the index is 24 bytes
 * an entry (oneid, sequence, offset of its lines in the body, their
 * length, and the stream and block number + 1 of the person's decisions
 * before, 4 bytes big-endian each); an entry's lines are separated by
 * '\n', each packed text, the $journey records too.
 *
 * Text is packed: each phrase the records repeat
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
#include "jwrite.h"
#include "store.h"

/* A block is closed once its entries' lines hold this many bytes: small
 * enough that rewriting the open block of each stream at each commit
 * costs little (a Kafka instance commits every second or so, per
 * partition), and that LMDB's pages for it come from the heap, not a
 * fresh mapping each time; big enough that a block's few pages of index
 * and lines are written once for hundreds of entries. */
#define JLOG_BLOCK (1u << 16)
#define JLOG_ENTRY 24 /* an index entry of format 1 */
#define JLOG_ENTRY2 8 /* of format 2 */

struct jlog_entry {
	uint32_t oneid, seq;  /* the person; the number of its first line */
	uint32_t off, len;    /* its lines in the block's body */
	uint32_t at;          /* where the entry starts in the body (format 2: its varints) */
	int fmt;              /* the block's format: how its lines are kept */
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
/* Append a line of text s (n bytes) of an entry to out: its length and
 * its packed form (format 2). */
void jlog_line(struct buf *out, const char *s, size_t n);
/* What the $journey lines of an entry share with the one before them
 * that keeps it (the base): its time, cause, journey and version. The
 * caller's; set = 0 at the start of each entry, buf_release the bufs at
 * the end. */
struct jlog_base {
	int set;
	int64_t ts;
	struct buf cause, name;
	char version[16];
};
/* Append the $journey record x (enter, step or exit) of a decision at ts
 * (ms, the time x->ts says) to out as a line of an entry of oneid: its
 * length, a 0 and its parts (format 2), but for the time, cause, journey
 * and version when they are base's (base NULL: kept always); base is
 * updated. Only x's head is not kept: it is made again of the name and
 * version. */
void jlog_line_journey(struct buf *out, const struct jwrite_jrec *x, int64_t ts, uint32_t oneid,
		       struct jlog_base *base);
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
/* Add an entry to t (e's at, off, len and fmt are set here) with its
 * lines (n bytes, each made by jlog_line or jlog_line_journey). Closes
 * the block, queueing its put, when it is full. */
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
 * bytes, pointing into the store's read transaction: packed text (1),
 * JSON (0: scheduler.log of an early store), a $journey record kept as
 * its parts (2: from its 0 byte on), or a line past the end of a damaged
 * entry (3). */
struct jlog_line {
	uint32_t seq;
	int packed;
	const char *p;
	size_t n;
	const char *bp; /* a $journey record's base line in its entry (from its 0 byte), or NULL */
	size_t bn;
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
/* Append the text of line l of oneid to out (no '\n'), as it was written
 * to the stream. Returns 0, or -1 when the line is damaged (out may hold
 * a part of it). */
int jlog_line_text(struct buf *out, const struct jlog_line *l, uint32_t oneid);

#endif
