/*
 * engage - how well each channel reaches a person, for dispatch's best
 * channel: per person and channel, the messages delivered there and the
 * weight of the engagement events that came back from it (opens, clicks,
 * replies … as dispatch.json's "engagement" names them).
 *
 * A person's record (dispatch.engagement, by oneid) is a list of entries
 * [1-byte length][channel][4-byte sends][4-byte engagement], integers
 * big-endian, kept sorted by channel.
 *
 * A channel's score is its smoothed rate (engagement + 1) / (sends + 2):
 * a channel never tried scores 1/2, one that was sent to often and never
 * answered falls towards 0, one whose messages are opened and clicked
 * rises. Scores are compared exactly (as cross products of integers), and
 * equal scores keep the order of preference they were given in.
 */
#ifndef UOPS_ENGAGE_H
#define UOPS_ENGAGE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* The counts of channel (n bytes) in record v (len bytes): 1 found, 0 not
 * (both counts 0). */
int engage_get(const void *v, size_t len, const char *channel, size_t n, uint32_t *sends, uint32_t *engaged);

/* Write into out (reset first) record v with sends and engaged added to
 * channel's counts (saturating), the entry made when missing. */
void engage_add(const void *v, size_t len, const char *channel, size_t n, uint32_t sends, uint32_t engaged,
		struct buf *out);

/*
 * Rank the nch channels (names and lengths) by their score in record v,
 * best first, equal scores in the order given: order[] gets their indexes.
 */
void engage_rank(const void *v, size_t len, const char *const *names, const size_t *lens, size_t nch,
		 size_t *order);

/* Fold record b (bn bytes), of a person merged into another, into that
 * person's record a (an bytes): out (reset first) gets, per channel, the
 * sums of both (saturating). */
void engage_fold(const void *a, size_t an, const void *b, size_t bn, struct buf *out);

#endif
