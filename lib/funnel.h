/*
 * funnel - ordered steps per person within a window: how many people
 * reached each step and how long each step took after the one before.
 *
 * A person enters at their first event of step 1 (bit 0 of a row's bits);
 * step k + 1 is their first event of it strictly later than the event of
 * step k and no later than the entry time + window. This is the first
 * entry's path, taken greedily; a later entry is not tried.
 */
#ifndef UOPS_FUNNEL_H
#define UOPS_FUNNEL_H

#include <stddef.h>
#include <stdint.h>

#include "evtab.h"

#define FUNNEL_MAX_STEPS 32

/* The counts of one split value. */
struct funnel_split {
	uint32_t split;
	uint64_t reached[FUNNEL_MAX_STEPS];
	/* the times from step k to step k + 1 (ms), for k < nsteps - 1 */
	double *gap[FUNNEL_MAX_STEPS];
	size_t ngap[FUNNEL_MAX_STEPS], capgap[FUNNEL_MAX_STEPS];
};

struct funnel {
	unsigned nsteps;
	int64_t window; /* ms; < 0: no limit */
	struct funnel_split *s;
	size_t ns, cap;
};

/* Start an empty funnel of nsteps (1 … FUNNEL_MAX_STEPS) steps. */
void funnel_init(struct funnel *f, unsigned nsteps, int64_t window);
/* Count one person, rows r[0..n) in time order; bit k of a row's bits
 * says it is an event of step k + 1, its key at step 1 the split value.
 * Returns the steps reached (0: never entered). */
unsigned funnel_person(struct funnel *f, const struct evrow *r, size_t n);
/* Sort each split's gaps and the splits by rank[split] (NULL: number). */
void funnel_finish(struct funnel *f, const uint32_t *rank);
void funnel_release(struct funnel *f);

#endif
