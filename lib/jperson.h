/*
 * jperson - a person's record in scheduler.people: their journey
 * instances, where their wake-ups are filed, their decision log's
 * newest block, and their profile, as bytes and back.
 *
 * A record is a format byte, then varints (7 bits a byte, least
 * significant first): format 1 holds nothing more before the counts
 * (stream 0); 2 the stream the person's wake-ups are filed under; 3 that
 * stream, then the stream and number + 1 of the block of the decision
 * log (lib/jlog) holding the person's newest decisions. Then the number
 * of decision lines the person has had, the number of instances, each
 * instance (jinst_encode), and the profile (profile_encode), which may be
 * absent (an empty profile).
 *
 * struct jperson owns its instances and the arrays beside them; the
 * caller keeps one and reuses it person after person.
 */
#ifndef UOPS_JPERSON_H
#define UOPS_JPERSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "journey.h"
#include "profile.h"

struct jperson {
	uint32_t oneid;
	uint32_t stream; /* the stream its wake-ups are filed under */
	int found;
	struct jinst *inst;
	unsigned ninst, cap;
	/* the wake-up each instance had when loaded, to move timers */
	int64_t *wake0;
	int *state0;
	uint32_t nlog;
	/* the block of the decision log holding their newest decisions
	 * (lib/jlog): stream, number + 1 (0: none) */
	uint32_t lstream, lblk;
	int changed;
};

/* A new instance at the end of P's (initialised, no wake-up when
 * loaded); the pointer is good until the next jperson_inst_add. */
struct jinst *jperson_inst_add(struct jperson *P);
/* Free P's memory; P is empty (all zero) afterwards. */
void jperson_release(struct jperson *P);

/*
 * Decode the record s (n bytes) into P (whose oneid the caller sets,
 * and whose ninst is 0) and p, under layout L: instances are added to P
 * (each remembered as loaded in wake0/state0). Returns 0, or -1 when the
 * record is damaged (P and p then hold what was read).
 */
int jperson_decode(struct jperson *P, struct profile *p, const struct profile_layout *L,
		   const unsigned char *s, size_t n);
/* Append the record of P and p (under L) to out. */
void jperson_encode(const struct jperson *P, const struct profile *p, const struct profile_layout *L,
		    struct buf *out);

/* The stream a record (v, n bytes) names: 1 with *stream set, 0 when it
 * is not a record. */
int jperson_stream(const void *v, size_t n, uint32_t *stream);
/* The block of a format-3 record's newest decisions: 1 with *ls (stream)
 * and *lb (number + 1) set, 0 for a record of another format, -1 when it
 * is damaged. */
int jperson_last_block(const void *v, size_t n, uint32_t *ls, uint32_t *lb);

#endif
