/*
 * seen - "was this record applied already?", per event_id, for the stateful
 * stages after ingest (tagger, segmenter …). Upstream output is
 * at-least-once: after a crash a stage writes again what it wrote since its
 * last commit, with the same event_ids. A replayed record must change
 * nothing.
 *
 * One DB of the tool holds a key per record applied: the UTC day of its ts
 * (4 bytes, big-endian) and a 64-bit hash of its event_id (8 bytes), kept
 * for a window of days behind the clock. A record older than the window is
 * not checked (and is applied); the window bounds the DB at about one
 * window of records.
 *
 * A day the DB held nothing of when this process first met it is answered
 * from memory (a set of the day's hashes, exact: this process is the DB's
 * only writer), so a new record costs no LMDB lookup; past 8M ids held, or
 * for a day begun by an earlier run, the DB is asked.
 */
#ifndef UOPS_SEEN_H
#define UOPS_SEEN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct seen_day; /* seen.c: the ids of a day this process holds all of */

struct seen {
	struct store *st;
	MDB_dbi dbi;
	long days;         /* the window; 0: no checking */
	struct seen_day *mem; /* days answered from memory */
	int nmem;
	size_t held;       /* ids held over those days */
	int nomem;         /* held too many once: no more days in memory */
};

/* Check the record (ts in ms, event_id n bytes): 1 applied already, 0 new
 * (now recorded in the batch), -1 an LMDB error (printed). */
int seen_check(struct seen *s, int64_t ts, int64_t clock, const char *id, size_t n);
/* Queue the deletion of the days that left the window at clock (up to
 * 200,000 keys a call: call it before every commit). */
void seen_prune(struct seen *s, int64_t clock);
/* Free the memory of the days held. */
void seen_free(struct seen *s);

#endif
