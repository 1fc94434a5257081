/*
 * jstatus - what scheduler's state says of its journeys, as `scheduler
 * list` and `scheduler status` print it: a line per journey (its version,
 * whether it runs, its trigger, how many people are inside), a line per
 * stream (its clock and the wake-ups filed under it in scheduler.timers),
 * and per journey the people waiting at each step and arm, with the
 * journey's counters (lib/jcount).
 *
 * Each line is one compact JSON object written to a stdio stream; nothing
 * is kept between calls. The people waiting are counted by reading every
 * record of scheduler.people (lib/jperson); what reads the store leaves
 * its read transaction open for the caller to end (store_read_end).
 */
#ifndef UOPS_JSTATUS_H
#define UOPS_JSTATUS_H

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>

#include "jcount.h"
#include "journey.h"
#include "jperson.h"
#include "pclock.h"
#include "profile.h"

struct store;

/*
 * Write a line per journey of js to out, in their order: name, version,
 * status ("paused" when the definition or paused[i] says so, else
 * "active"), trigger, number of steps, inside[i] (people inside), the
 * description when there is one, and the file it came from.
 */
void jstatus_list(FILE *out, const struct journeys *js, const int *paused, const long *inside);

/* The wake-ups filed under stream s: the keys of the DB timers (of
 * lib/timer) that start with it. 0 when the store cannot be read. */
unsigned long long jstatus_wakeups(struct store *st, MDB_dbi timers, uint32_t s);

/*
 * Write a line per stream of pc to out: its number, its clock (null
 * before any) and its wake-ups in the DB timers. A store of one clock
 * (pc's base set) first gets a line "*" for where a stream not met yet
 * starts, with the wake-ups of stream 0 unless stream 0 has a line of its
 * own.
 */
void jstatus_streams(FILE *out, const struct pclock *pc, struct store *st, MDB_dbi timers);

/*
 * Write a line per journey of js (only that one when only is not NULL) to
 * out: the people whose instance of it is open, counted by step and arm
 * ("step" or "step/arm"), in the order first met in scheduler.people (the
 * DB people, whose records are decoded into the caller's P and p under
 * L), and the journey's counters in cnt. A record that cannot be decoded
 * counts with the instances read from it. Returns 0, or -1 when the DB
 * cannot be read (then nothing is written).
 */
int jstatus_journeys(FILE *out, struct store *st, MDB_dbi people, const struct journeys *js, const struct journey *only,
		     const struct profile_layout *L, struct jperson *P, struct profile *p, const struct jcount *cnt);

#endif
