/*
 * fold - merges that cross streams: the bookkeeping of a stage's side of
 * the $merge / $fold protocol (README "Scaling out", schemas/system.schema.json).
 *
 * With Kafka, a person's records arrive on the partition of their oneid.
 * When idmerge merges B into A, it writes the $merge twice: keyed by each
 * merged oneid ("leaving": B, first) and keyed by the survivor
 * ("across": true). The owner of B's stream answers the first with a
 * $fold record (B's state, in a form no store's dictionary numbers enter),
 * keyed by A, into the stage's own input topic, and drops B's state. The
 * owner of A's stream, on reading the second, waits: the records after the
 * $merge on A's stream are set aside (their positions stay unstored: the
 * stage holds the stream, filter_hold) until a $fold of every merged
 * oneid has come on that stream; then the $merge is applied with them, in
 * its place, and the records set aside are handled in their order. So the
 * result is what one stream holding both people gives, whatever the
 * timing. A $fold that comes before its $merge (another producer's record
 * may be written first) is kept until it does.
 *
 * This module holds, per stream, the $merge waiting, the $folds it has,
 * the records set aside behind it, and the $folds that came early; the
 * tool decides what a record is and applies them. Everything is in memory:
 * what is held is read again after a restart (its position was not
 * stored).
 */
#ifndef UOPS_FOLD_H
#define UOPS_FOLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct fold_stream {
	uint32_t stream;
	int waits;            /* a $merge waits for its $folds */
	struct buf merge;     /* that $merge, as read */
	struct buf id;        /* its event_id */
	uint32_t *need;       /* the merged oneids */
	struct buf *got;      /* their $fold records (len 0: not yet) */
	unsigned n, missing;
	struct buf aside;     /* records after it: 4-byte length, bytes */
	size_t next;          /* the next one to hand out */
	unsigned nearly;      /* $folds that came before their $merge */
	long long since_ms;   /* the wait began (monotonic ms, for -v) */
};

struct fold_early {
	uint32_t stream;
	struct buf id; /* the $fold's event_id */
	struct buf rec;
};

struct fold_book {
	struct fold_stream *s;
	unsigned ns, caps;
	struct fold_early *e;
	unsigned ne, cape;
	/* counts, for -v and a bench */
	unsigned long long waits, early, aside;
	long long wait_ms, wait_ms_max; /* how long streams were held */
};

/* The event_id of the $fold of oneid answering the $merge whose event_id
 * is merge_id[0..n): "fold:<merge_id>:<oneid>", into b (reset first). */
void fold_id(struct buf *b, const char *merge_id, size_t n, uint32_t oneid);

/* Does a $merge wait on stream (its later records are to be set aside)? */
int fold_busy(const struct fold_book *fb, uint32_t stream);
/* Set the record p[0..n) aside behind the $merge waiting on stream. */
void fold_set_aside(struct fold_book *fb, uint32_t stream, const char *p, size_t n);
/*
 * The $merge rec[0..n) (event_id id[0..idn), merged oneids need[0..nneed))
 * read on stream waits for its $folds (a stream waits for one at a time:
 * fold_busy is 0). $folds that came early are taken. Returns 1 when every
 * one is here already (it is ready: fold_got, fold_done), else 0.
 */
int fold_wait(struct fold_book *fb, uint32_t stream, const char *rec, size_t n, const char *id,
	      size_t idn, const uint32_t *need, unsigned nneed);
/*
 * A $fold read on stream: its event_id id[0..idn), the record p[0..n).
 * Returns 1 when it was the last one the waiting $merge wanted (it is
 * ready), 0 when it was taken by it, 2 when no $merge waits for it yet
 * (kept: fold_wait takes it), 3 when the waiting $merge has it already (a
 * record read twice).
 */
int fold_offer(struct fold_book *fb, uint32_t stream, const char *id, size_t idn, const char *p,
	       size_t n);
/* The waiting $merge of stream (ready or not): its record, and the $fold
 * of its i-th merged oneid (a buffer of length 0 when none came). Valid
 * until fold_done. */
const struct buf *fold_merge(const struct fold_book *fb, uint32_t stream);
const struct buf *fold_got(const struct fold_book *fb, uint32_t stream, unsigned i);
/* The waiting $merge of stream is applied: it waits no more. */
void fold_done(struct fold_book *fb, uint32_t stream);
/* The next record set aside on stream, into out (reset first), when no
 * $merge waits there: 1, else 0. */
int fold_next(struct fold_book *fb, uint32_t stream, struct buf *out);
/* Nothing of stream is held (no $merge waits, nothing set aside, no $fold
 * kept): its position may be stored again. */
int fold_quiet(const struct fold_book *fb, uint32_t stream);
/* Does a $merge wait, on any stream? (A batch run reads on for its
 * $folds; a $fold kept for a $merge still to come does not keep it: its
 * position stays stored, the next run reads it again.) */
int fold_pending(const struct fold_book *fb);
/* The streams with something held, into *v (malloc'd; the caller frees),
 * ascending; returns how many. */
unsigned fold_streams(const struct fold_book *fb, uint32_t **v);
/* Forget everything held (partitions taken away: read again from their
 * stored positions), or of one stream. */
void fold_clear(struct fold_book *fb);
void fold_clear_stream(struct fold_book *fb, uint32_t stream);
/* For -v: "prog: merges across streams: …" on stderr (the $folds written
 * and read, the waits and how long they held their stream, the $folds
 * that came early, the records set aside), when there were any. */
void fold_print(const struct fold_book *fb, unsigned long long written, unsigned long long read);
/* Free what fb holds. */
void fold_free(struct fold_book *fb);

#endif
