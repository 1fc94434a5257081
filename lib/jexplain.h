/*
 * jexplain - `scheduler explain ONEID [JOURNEY]`: what decided a
 * person's journeys, and where each of their instances stands now.
 *
 * The decisions are the person's lines of the decision log (lib/jlog),
 * oldest first, each as the stream had it: the $journey records (enter,
 * step, exit) and the conditions that decided, with the values they read.
 * Then a line per instance in the person's record (scheduler.people,
 * lib/jperson): {"now":true,"journey":…,"state":"waiting" | "waiting_for"
 * | "exited", the step, the arm, the number of entries, the wake-up while
 * it waits, the reason it exited, the correlation value}; a date
 * trigger's watch shows only while armed, as "date_due" with its wake-up.
 * Either part can be cut to one journey.
 *
 * Lines are compact JSON written to a stdio stream. Both read through the
 * store's read transaction and leave it open for the caller to end.
 */
#ifndef UOPS_JEXPLAIN_H
#define UOPS_JEXPLAIN_H

#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>

#include "jlog.h"
#include "journey.h"
#include "jperson.h"
#include "profile.h"

struct store;

/*
 * Write oneid's decision lines to out, followed back from the block their
 * record in the DB people names (every block searched when they have no
 * record, as a oneid merged into another); with only, the lines of that
 * journey alone. dbs says where decisions are kept. Returns 1, 0 when
 * oneid has neither a record nor a decision line (nothing is known of
 * them), or -1 on an LMDB error or a damaged record, block or line (the
 * last two printed; the lines before are written).
 */
int jexplain_decisions(FILE *out, struct store *st, MDB_dbi people, const struct jlog_dbs *dbs, uint32_t oneid,
		       const struct journey *only);

/*
 * Write to out a line per instance of oneid (of only when not NULL)
 * whose journey is in js, in the order of their record in the DB people,
 * decoded into the caller's P and p under L. Nothing when they have no
 * record; a damaged record shows the instances read from it.
 */
void jexplain_now(FILE *out, struct store *st, MDB_dbi people, uint32_t oneid, const struct journeys *js,
		  const struct journey *only, const struct profile_layout *L, struct jperson *P, struct profile *p);

#endif
