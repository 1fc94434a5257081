/*
 * due - deadlines: for each person, the first UTC day on which something
 * kept about them changes with time alone, and per day the people due
 * then, fired when a stream's clock enters the day.
 *
 * Deadlines belong to a stream: the input whose clock fires them (a Kafka
 * partition, 0 for a file or a pipe), since each stream keeps a clock of
 * its own. A person has at most one deadline, in one stream.
 *
 * The index is held whole in memory while a tool runs: per (stream, day)
 * a roaring bitmap of oneids, and per oneid its day (4 bytes a oneid,
 * in pages of 65,536 oneids made as they are needed). It is persisted in
 * one DB of the tool's (due_open's dbi): key stream (4, big-endian), day
 * (4, big-endian, days since 1970-01-01), value the day's bitmap in the
 * portable serialisation; a day's key is written when it changed, and
 * deleted when it is empty. The per-oneid days are not stored: they are
 * read back from the bitmaps at open. Moves are queued per day and
 * applied together (a bitmap of many ids shifts on every single add).
 */
#ifndef UOPS_DUE_H
#define UOPS_DUE_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define DUE_NONE UINT32_MAX /* no deadline */

struct due_day;
struct due_page;

struct due {
	struct store *st;
	MDB_dbi dbi;
	struct due_day *days; /* sorted by (stream, day) */
	size_t ndays, capdays;
	struct due_page **pages; /* by oneid >> 16 */
	size_t npages;
	int cleared; /* the DB is emptied at the next save */
	unsigned long long people; /* oneids with a deadline */
};

/*
 * Read the deadlines of dbi (a DB of the caller's, opened with store_dbi)
 * into d. A oneid found on more than one day keeps the earliest (the later
 * entries are dropped at the next due_save). A day that does not read as a
 * bitmap is reported and skipped. Returns 0, or -1 on an LMDB error
 * (printed). d is released with due_free, also after a failure.
 */
int due_open(struct due *d, struct store *st, MDB_dbi dbi);
/* Free what d holds. */
void due_free(struct due *d);

/* The day of oneid's deadline, or DUE_NONE; *stream (may be NULL) gets
 * its stream. */
uint32_t due_of(const struct due *d, uint32_t oneid, uint32_t *stream);

/* Give oneid the deadline day in stream (DUE_NONE: none), moving it from
 * the one it had, in whichever stream. Kept in memory until due_save. */
void due_set(struct due *d, uint32_t stream, uint32_t oneid, uint32_t day);

/* Forget every deadline; at the next due_save the DB is emptied first. */
void due_clear(struct due *d);

/* The earliest day in [from, upto] on which someone of stream is due, or
 * DUE_NONE. */
uint32_t due_next_day(struct due *d, uint32_t stream, uint32_t from, uint32_t upto);

/* The oneids due on day in stream, ascending, into *ids (grown with
 * realloc as needed, *cap its room; the caller frees it). Returns how many. */
size_t due_day_ids(struct due *d, uint32_t stream, uint32_t day, uint32_t **ids, size_t *cap);

/* How many oneids are due on day in stream. */
uint64_t due_count(struct due *d, uint32_t stream, uint32_t day);

/* Queue into the store's batch the days changed since the last save (a
 * put, or a delete for a day left empty). Call from the tool's commit
 * hook, so the index commits with the state it was computed from. */
void due_save(struct due *d);

#endif
