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
#include "json.h"

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

/*
 * The driver: a stage's whole side of the protocol over a filter (its
 * records, outcomes, held positions) and a seen (the $merge and $fold
 * event_ids applied). The tool says what a record is and hands the
 * $merge copies and the $folds here; the driver writes the $fold of a
 * person leaving, holds the survivor's stream, sets its records aside and
 * applies the $merge in its place. What is the tool's own (its state, the
 * stream's clock) it does through these callbacks, all given ctx:
 */
struct filter;
struct seen;

struct fold_ops {
	/* The records of stream are handled now: the tool's stream and clock
	 * (*fold_driver.clock) are that stream's. */
	void (*stream)(void *ctx, uint32_t stream);
	/*
	 * Person `leaving` goes (the $merge copy m, event_id token t_id, of
	 * its stream): write their state, by name (no dictionary number of
	 * the store), as one JSON value into out ("null": nothing of them is
	 * here), and drop it from the store. -1 on an error (f->fatal set,
	 * nothing written), else 0.
	 */
	int (*leave)(void *ctx, uint32_t leaving, const struct json_doc *m, uint32_t t_id,
		     struct buf *out);
	/* The $merge m (event_id token t_id) into survivor is applied here:
	 * its state is read. -1 on an error (nothing is applied). */
	int (*begin)(void *ctx, const struct json_doc *m, uint32_t survivor, uint32_t t_id);
	/* The state of merged person `merged` (object token st of fd, a $fold
	 * as written by leave) folds into the survivor. Returns 1 when a part
	 * of it was not read (the driver says so), else 0. */
	int (*take)(void *ctx, uint32_t merged, const struct json_doc *fd, uint32_t st);
	/* The $merge is applied; any: some state was folded in (the tool
	 * decides and stores the survivor). */
	void (*end)(void *ctx, const struct json_doc *m, uint32_t t_id, int any);
	/* A record set aside behind the $merge, handled now in its order. */
	void (*process)(void *ctx, const char *p, size_t n);
};

struct fold_driver {
	/* set by the tool */
	const struct fold_ops *ops;
	void *ctx;
	struct filter *f;
	struct seen *seen;
	const uint32_t *stream; /* the stream of the record being handled */
	const int64_t *clock;   /* and its clock */

	struct fold_book fb;
	struct json_doc doc, fdoc; /* the $merge and $fold being applied */
	struct buf out;
	unsigned long long written, read; /* $folds */
	unsigned long long stale; /* $folds older than the window, dropped */
};

/*
 * A $merge (checked by sysrec_check, its clock advanced; ts its time) on
 * the current stream, keyed by survivor: the copy for the stream of a
 * merged oneid ("leaving") writes their state as a $fold keyed by the
 * survivor into the input's own topic (read from a file, it is written
 * nowhere: the file holds the $folds its run wrote) and drops it; the
 * survivor's copy ("across") waits for its $folds, holding the stream, or
 * is applied at once when they came. Returns 1 when it was one of these
 * (its outcome given), 0 for a $merge whose people are all in this store
 * (the tool applies it).
 */
int fold_driver_merge(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n,
		      uint32_t survivor, int64_t ts);
/* A $fold record d (s[0..n)) read on the current stream: checked, taken
 * by its $merge (applied when it was the last one) or kept for it;
 * consumed, never passed on. One applied already is a duplicate: its
 * event_id is in the seen, or (older than the seen's window: before the
 * stream's clock minus the window) no $merge waits for it; such a one is
 * never kept, so it never holds the stream's position. */
void fold_driver_fold(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n);
/* Before a record p[0..n) of stream is handled: when a $merge waits on
 * the stream and it is not a $fold, it is set aside (1), else 0. */
int fold_driver_aside(struct fold_driver *dv, uint32_t stream, const char *p, size_t n);
/* For filter.waiting: does a $merge wait? */
int fold_driver_waiting(struct fold_driver *dv);
/* For filter.end_input: the merges still waiting are applied with the
 * $folds that came (an error names each that did not), the records
 * behind them handled; everything held is released. */
void fold_driver_end(struct fold_driver *dv);
/* For filter.revoked: forget everything held. */
void fold_driver_revoked(struct fold_driver *dv);
/* For -v: fold_print of what the driver did. */
void fold_driver_print(const struct fold_driver *dv);
/* Free what dv holds. */
void fold_driver_free(struct fold_driver *dv);

#endif
