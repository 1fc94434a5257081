/*
 * schedule - the state of journeys with a schedule trigger ("every Monday
 * 10:00 Shanghai, everyone in segment vip"), as scheduler keeps it.
 *
 * Two things, per stream (a Kafka partition, 0 for a file):
 *
 *   members   who is in each segment such a trigger enters, as the
 *             $segment records read say: a roaring bitmap of oneids per
 *             (segment, stream), a person in the bitmap of the stream
 *             their records came on last (scheduler.members, key
 *             "SEGMENT:N", a portable bitmap);
 *   progress  per (journey, stream), the occurrence entered last and,
 *             while one is under way (a big segment enters in committed
 *             steps), the next oneid to enter, 0 once done
 *             (scheduler.state, key "schedule:JOURNEY:N", 8 bytes
 *             big-endian ms then 4 bytes big-endian oneid).
 *
 * The caller (cmd/scheduler) walks the members and enters them; this
 * module keeps the bitmaps and the progress, says which occurrence falls
 * due next, and loads and queues them (lib/store) with dirty marks, so
 * only what changed is written at a commit.
 */
#ifndef UOPS_SCHEDULE_H
#define UOPS_SCHEDULE_H

#include <roaring/roaring.h>
#include <stdint.h>

#include "journey.h"
#include "store.h"

/* The members of one segment on one stream. */
struct schedule_members {
	unsigned seg;      /* index in segs */
	uint32_t stream;
	roaring_bitmap_t *b;
	int dirty;
};

/* A schedule journey's progress on one stream. */
struct schedule_prog {
	unsigned ji;       /* index of the journey */
	uint32_t stream;
	int64_t at;        /* the occurrence entered last; INT64_MIN: none yet */
	uint32_t next;     /* the next oneid to enter while it is under way; 0: done */
	int dirty;
	int64_t due, due_from; /* cached: the occurrence after due_from */
};

struct schedule {
	char **segs;       /* the segments schedule triggers enter */
	unsigned nsegs;
	unsigned njourneys; /* journeys with a schedule trigger */
	struct schedule_members *mem;
	unsigned nmem;
	struct schedule_prog *prog;
	unsigned nprog;
};

/* Note the schedule triggers of js (their segments); s starts empty
 * (zeroed). */
void schedule_init(struct schedule *s, const struct journeys *js);
/* Free s's memory; s is empty afterwards. */
void schedule_release(struct schedule *s);

/* The index of segment name (n bytes) among those triggers enter, or
 * UINT32_MAX when none does. */
unsigned schedule_segment(const struct schedule *s, const char *name, size_t n);
/* The members of segment seg on stream (made empty when make, else NULL
 * when there are none). The pointer is good until the next one made. */
struct schedule_members *schedule_members(struct schedule *s, unsigned seg, uint32_t stream, int make);
/* A $segment record of segment seg: oneid entered it (enter), on stream
 * (and is on no other stream's bitmap), or left it. */
void schedule_apply(struct schedule *s, unsigned seg, uint32_t oneid, int enter, uint32_t stream);
/* oneid is gone (merged into another): out of every bitmap. */
void schedule_forget(struct schedule *s, uint32_t oneid);

/* The progress of journey ji on stream (made, with no occurrence, when
 * missing). The pointer is good until the next one made. */
struct schedule_prog *schedule_prog(struct schedule *s, unsigned ji, uint32_t stream);
/* The occurrence of journey ji (j, of a schedule trigger) on stream to
 * enter next, the stream's clock being clock0: one under way, else the
 * first after the clock and after the last one entered. */
int64_t schedule_due(struct schedule *s, const struct journey *j, unsigned ji, uint32_t stream, int64_t clock0);

/* Read the members (membdb; absent: not read) and progress (state) of the
 * journeys of js from st's committed state. Keys of a segment no trigger
 * enters now, or of a journey gone, are left alone. */
void schedule_load(struct schedule *s, struct store *st, MDB_dbi membdb, int absent, MDB_dbi state,
		   const struct journeys *js);
/* Queue the puts of what changed since the last call. */
void schedule_save(struct schedule *s, struct store *st, MDB_dbi membdb, MDB_dbi state, const struct journeys *js);

#endif
