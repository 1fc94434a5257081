/*
 * rfm - RFM as tagger's shipped tags define it (pipelines/tags/30-value.json):
 * R (days since the last order, fewer is better), F (distinct orders) and
 * M (revenue) scored 1..5 by quintile cuts of the population, and the
 * eleven named segments of the R and F scores.
 */
#ifndef UOPS_RFM_H
#define UOPS_RFM_H

#include <stddef.h>
#include <stdint.h>

#define RFM_NSEG 11

/* The segments' names, in the order the rules are tried. */
extern const char *const rfm_segments[RFM_NSEG];

/* The segment of scores r and f (1..5): one of rfm_segments (the same
 * pointer), or NULL for a pair no rule names. */
const char *rfm_segment(unsigned r, unsigned f);

struct rfm {
	double cut_r[4], cut_f[4], cut_m[4]; /* the quintile cuts (R descending) */
	uint64_t people[5][5];  /* [r-1][f-1]: people with those scores */
	double revenue[5][5];   /* and the sum of their M */
	uint64_t seg_people[RFM_NSEG];
	double seg_rev[RFM_NSEG];
};

/* Score np people (R[i], F[i], M[i]) into x: the cuts of each measure
 * (stats_cuts), then each person's R and F score (stats_score), counted
 * with their M per score pair and per segment. np 0 leaves x zero. */
void rfm_score(const double *R, const double *F, const double *M, size_t np, struct rfm *x);

#endif
