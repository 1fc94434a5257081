/*
 * seen - "was this record applied already?", per event_id, for the stateful
 * stages after ingest (tagger, segmenter …). Upstream output is
 * at-least-once: after a crash a stage writes again what it wrote since its
 * last commit, with the same event_ids. A replayed record must change
 * nothing.
 *
 * Each record applied is kept as the UTC day of its ts and a 64-bit hash of
 * its event_id, for a window of days behind the clock. A record older than
 * the window is not checked (and is applied); the window bounds the state
 * at about one window of records. Two DBs of the tool hold them:
 *
 *   NAME       a key per id: day (4 bytes, big-endian), hash (8, big-endian);
 *              empty value
 *   NAME_runs  a key per commit and day: day (4), run number (4, both
 *              big-endian); value: the hashes that commit added for that
 *              day, sorted, 8 bytes each, big-endian
 *
 * The ids of a day are held in memory (a set of hashes, exact: this
 * process is the DBs' only writer), read from the DBs when the day is first
 * met; what a batch adds goes to NAME_runs as one record per day, written
 * by the store's commit with the rest of the batch (store_on_commit), so a
 * new record costs neither an LMDB lookup nor an insert into a tree of
 * random keys. Past 8M ids held, a day met is asked of the DBs instead,
 * and its new ids go to NAME a key each.
 */
#ifndef UOPS_SEEN_H
#define UOPS_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct seen_day; /* seen.c: a day's ids */

struct seen {
	struct store *st;
	MDB_dbi dbi, rdbi;
	long days;         /* the window; 0: no checking */
	struct seen_day *mem; /* days met */
	int nmem;
	size_t held;       /* ids held over those days */
	size_t held_max;   /* 0: 8M (tests set less) */
	int nomem;         /* held too many once: no more days in memory */
};

/* Open the DBs NAME and NAME_runs of st for s (s->days set before) and
 * have st's commits write what s adds. 0, or -1 after printing why. */
int seen_open(struct seen *s, struct store *st, const char *name);
/* Check the record (ts in ms, event_id n bytes): 1 applied already, 0 new
 * (recorded: it is written with the next commit), -1 an LMDB error
 * (printed). */
int seen_check(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n);
/* The same question without recording the id: 1 applied already, 0 not
 * (or older than the window), -1 an LMDB error (printed). */
int seen_has(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n);
/* A hint: start fetching the memory that seen_check of the event_id of
 * the record p (n bytes of JSON, not parsed yet: the next record, while
 * the one before it is handled) will read, if it is of the day of ts and
 * that day is held. An event_id written with escapes hints at the wrong
 * place, which costs only the fetch. Reads nothing else, changes
 * nothing. */
void seen_prefetch(const struct seen *s, int64_t ts, const char *p, size_t n);
/* Queue the deletion of the days that left the window at clock (up to
 * 200,000 keys a call: call it before every commit). */
void seen_prune(struct seen *s, int64_t clock);
/* Free the memory of the days held. */
void seen_free(struct seen *s);

#endif
