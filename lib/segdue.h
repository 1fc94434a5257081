/*
 * segdue - the segmenter's deadlines: per person the first UTC day on
 * which one of their segments can change with time alone, and per day the
 * people due then, fired when a stream's clock enters the day.
 *
 * Like lib/due (the tagger's), a deadline belongs to a stream, the input
 * whose clock fires it (a Kafka partition, 0 for a file or a pipe), and a
 * person has at most one. Unlike it, the day of each person is not kept
 * here: it is in the person's own record (segmenter.people), which the
 * caller reads; and segmenter.due keeps the layouts of earlier versions
 * readable: deadlines of no known stream (SEGDUE_ANY: a store of one
 * clock, before streams), fired by whichever stream's clock enters their
 * day, and before that a key per day and oneid.
 *
 * segmenter.due: key the stream | SEGDUE_STREAM_BIT (4 bytes, big-endian)
 * then the day (4, big-endian, days since 1970-01-01); or the day alone
 * for SEGDUE_ANY; value the day's oneids as a roaring bitmap in the
 * portable serialisation, run-optimised. Held whole in memory, sorted by
 * (stream, day); a day's moves are queued and applied together (a bitmap
 * of many ids shifts on every single add), when the day is read or saved.
 *
 * struct segdue: set st and dbi, zero the rest; free with segdue_free.
 */
#ifndef UOPS_SEGDUE_H
#define UOPS_SEGDUE_H

#include <lmdb.h>
#include <roaring/roaring.h>
#include <stddef.h>
#include <stdint.h>

struct store;

#define SEGDUE_NONE UINT32_MAX /* no deadline */
/* a person, or a deadline, of no known stream: from a store of one clock
 * (before streams); fired by whichever stream's clock enters its day */
#define SEGDUE_ANY 0x7fffffffu
#define SEGDUE_STREAM_BIT 0x80000000u /* marks a stream number in keys and values */

struct segdue_day {
	uint32_t stream; /* SEGDUE_ANY: of no known stream */
	uint32_t day;
	int dirty; /* to write at the next commit */
	roaring_bitmap_t *b;
	/* moves not yet in b: oneid << 32 | sequence << 1 | (1 add, 0 remove);
	 * one at a time, a bitmap of a few thousand ids per 65,536 shifts on
	 * every add and remove: queued, they go in sorted, together */
	uint64_t *pend;
	size_t npend, cappend;
};

struct segdue {
	struct store *st;
	MDB_dbi dbi; /* segmenter.due */
	struct segdue_day *days; /* sorted by (stream, day) */
	size_t ndays, capdays;
};

/*
 * The entry of stream's day, or NULL when it has none and make is 0; with
 * make, a new empty entry (to be written). The pointer is sd's, good until
 * the next call that makes or drops a day (segdue_day with make,
 * segdue_move, segdue_save, segdue_load).
 */
struct segdue_day *segdue_day(struct segdue *sd, uint32_t stream, uint32_t day, int make);
/* Apply d's queued moves to its bitmap d->b: per oneid, the last one
 * counts. */
void segdue_flush(struct segdue_day *d);
/*
 * oneid's deadline moves from day old of stream os to day due of stream s
 * (either SEGDUE_NONE: none): queued on both days, nothing when they are
 * the same. A day that old names but that sd does not hold is left alone.
 */
void segdue_move(struct segdue *sd, uint32_t oneid, uint32_t os, uint32_t old, uint32_t s, uint32_t due);
/* Queue the days changed since the last save in st's batch (their moves
 * applied first); an empty changed day is deleted and forgotten. */
void segdue_save(struct segdue *sd);
/*
 * Read segmenter.due into sd through st's read transaction: days of a
 * stream, days of no known stream, and the oldest layout's entries (a key
 * per day and oneid, 8 bytes with the top bit clear), which join their
 * day of no known stream and, unless ro, are deleted in st's batch (the
 * day is written in their stead at the next save). A day that does not
 * read as a bitmap is reported and skipped. Returns 0, or -1 when the DB
 * cannot be read.
 */
int segdue_load(struct segdue *sd, int ro);
/* Free every day sd holds; sd is empty afterwards. */
void segdue_free(struct segdue *sd);
/* The first day of stream in [from, upto] with anyone due (its moves
 * applied), or NULL. The pointer is as segdue_day's. */
struct segdue_day *segdue_first(struct segdue *sd, uint32_t stream, int64_t from, int64_t upto);
/* The people with a deadline filed under stream s, as committed (read
 * from the DB through st's read transaction, not from what sd holds). */
size_t segdue_count(struct segdue *sd, uint32_t s);

#endif
