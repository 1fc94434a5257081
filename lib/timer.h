/*
 * timer - wake-ups in milliseconds of event time, kept in LMDB and handed
 * back in order when a stream's clock passes them.
 *
 * A wake-up names a stream (a Kafka partition, or 0 for a file: each
 * stream has a clock of its own), the time it falls due (ms since the
 * epoch), and what it wakes: a person (oneid), a journey (a 32-bit number)
 * and a correlation value (a 64-bit hash, 0 for a journey without one).
 * Its key is those fields big-endian, the time with its sign bit flipped,
 * so a cursor reads a stream's wake-ups in time order and, within a
 * millisecond, by person, journey and correlation: the same order on every
 * run. The value is empty.
 *
 * Writes go through the store's batch (lib/store); a wake-up set since the
 * last commit is kept in memory as well (a binary heap of keys per
 * stream), so timer_next sees it before the commit, and one deleted in
 * the batch is skipped. The caller deletes each wake-up timer_next
 * returns (timer_del) before it asks for the next, and replaces one that
 * moves; a run of timer_next calls goes forward (each call's after is the
 * key the call before returned, or NULL to start again), and a wake-up set
 * during a run, or after it, falls due later than the last one returned
 * (the stream's clock has passed that one). A run that starts again
 * (after NULL) starts after the last key returned, so the keys deleted in
 * the batch are not read again. Which keys were deleted in the batch is
 * kept in a filter of their hashes as well, so a wake-up that was not
 * (nearly every one) is taken without a probe of the batch.
 */
#ifndef UOPS_TIMER_H
#define UOPS_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define TIMER_KEY 28

struct timer_id {
	uint32_t stream;
	int64_t wake;     /* ms since the epoch */
	uint32_t oneid;
	uint32_t journey;
	uint64_t corr;
};

/* The wake-ups of a stream set since the last commit: a min-heap of keys. */
struct timer_heap {
	uint32_t stream;
	unsigned char (*k)[TIMER_KEY];
	size_t n, cap;
	/* the last key timer_next returned: every key up to it is gone (fired
	 * and deleted), and none is set again (a wake-up set falls due later
	 * than the clock), so a new run starts after it */
	unsigned char floor[TIMER_KEY];
	int has_floor;
	/* what the committed state (the snapshot of transaction id gap_txn)
	 * holds of the stream from gap_from (past it when gap_strict): no
	 * key before gap_next (none at all when !gap_has_next), so a search
	 * from there up to a limit before gap_next needs no cursor; has_gap:
	 * known */
	unsigned char gap_from[TIMER_KEY], gap_next[TIMER_KEY];
	size_t gap_txn;
	int has_gap, gap_strict, gap_has_next;
};

struct timer {
	struct store *st;
	MDB_dbi dbi;
	struct timer_heap *heaps;
	unsigned nheaps;
	/* the keys deleted since the last commit (timer_del), as bits of a
	 * hash of each: a clear bit says the key's wake-up was not deleted in
	 * the batch, without a probe of the store's batch; a set one is asked
	 * of the batch */
	uint64_t *gone;
	size_t ngone;
	unsigned long long set, fired; /* counters for -v */
	/* timer_next's cursor, kept while the store's read transaction is the
	 * same (gen, store_read_gen), and the key it is on (when at): a
	 * walk of the committed wake-ups steps to the next key instead of
	 * searching from the root for each */
	MDB_cursor *cur;
	unsigned long long gen;
	unsigned char at_key[TIMER_KEY];
	int at;
};

/* Open the DB name of st for t. Returns 0, or -1 after printing why. */
int timer_open(struct timer *t, struct store *st, const char *name);
/* Free t's memory (the store stays open). */
void timer_release(struct timer *t);

/* The key of id in k (TIMER_KEY bytes), and back. */
void timer_key(const struct timer_id *id, unsigned char *k);
void timer_unkey(const unsigned char *k, struct timer_id *id);

/* Queue a wake-up (a put in the store's batch). */
void timer_set(struct timer *t, const struct timer_id *id);
/* Queue the deletion of a wake-up (handled, or moved). */
void timer_del(struct timer *t, const struct timer_id *id);

/*
 * The first wake-up of stream that sorts after *after (NULL: the first of
 * the stream) and falls due at or before upto, committed or in the batch,
 * not deleted in the batch. Returns 1 with *out set, 0 when there is none,
 * -1 on an LMDB error (printed). Uses the store's read transaction.
 */
int timer_next(struct timer *t, uint32_t stream, int64_t upto, const struct timer_id *after,
	       struct timer_id *out);

/* The batch was committed: forget the wake-ups kept in memory (the store
 * has them). Call from the tool's after-commit hook. */
void timer_committed(struct timer *t);

#endif
