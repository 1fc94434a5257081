/*
 * jcount - the scheduler's counters (scheduler.counts): how many people
 * entered each journey, were sent a message, were held, capped, or left
 * for each reason, per arm.
 *
 * A counter's key is "journey\tarm\twhat" (arm empty for a journey
 * without arms), cut to 511 bytes; its value in the DB is the count as 8
 * bytes big-endian. The counters are kept in the order they were first
 * asked for, with a hash index beside them; each remembers whether it
 * changed since it was last saved.
 *
 * struct jcount owns its keys and arrays; zero it before first use and
 * free it with jcount_release.
 */
#ifndef UOPS_JCOUNT_H
#define UOPS_JCOUNT_H

#include <lmdb.h>

#include "buf.h"

struct store;

struct jcounter {
	char *key; /* journey \t arm \t what */
	size_t len; /* of key */
	unsigned long long n;
	int dirty;
};

struct jcount {
	struct jcounter *v;
	unsigned n, cap;
	unsigned *idx, nidx; /* jcount_get's index of v (index + 1, 0 empty) */
};

/*
 * The counter of journey, arm (NULL: none) and what in c, made (at 0,
 * not dirty) when c has none yet. The pointer is c's and good until the
 * next jcount_get, jcount_add or jcount_load.
 */
struct jcounter *jcount_get(struct jcount *c, const char *journey, const char *arm, const char *what);
/* Add one to the counter of journey, arm (NULL: none) and what, and mark
 * it to be saved. */
void jcount_add(struct jcount *c, const char *journey, const char *arm, const char *what);
/*
 * Read every counter of dbi (keys of three tab-separated parts, 8-byte
 * values; others are skipped) into c, through st's read transaction,
 * which stays open. Returns 0, or -1 when the transaction or cursor
 * cannot be had.
 */
int jcount_load(struct jcount *c, struct store *st, MDB_dbi dbi);
/* Queue the counters changed since they were last saved (or loaded) in
 * st's batch for dbi; they are then no longer marked. */
void jcount_save(struct jcount *c, struct store *st, MDB_dbi dbi);
/*
 * Append journey's counters to out as the members of a JSON object, in
 * the order they were first asked for: "what":N, or "what/arm":N for an
 * arm ("entered":3,"exit:goal/control":1). tmp is scratch, overwritten.
 */
void jcount_json(const struct jcount *c, const char *journey, struct buf *out, struct buf *tmp);
/* Free c's memory; c is empty (all zero) afterwards. */
void jcount_release(struct jcount *c);

#endif
