/*
 * segeval - the segmenter's full evaluation: every segment with a
 * condition (or those asked for) evaluated for everyone at once, over the
 * columns of lib/colstore rather than the profiles (lib/cond
 * cond_eval_rows), block by block of COLSTORE_ROWS oneids, the chunks read
 * where they lie in the store's map. Comparisons shared between segments
 * are computed once a block; a segment reads the new answer of the
 * segments before it.
 *
 * The new membership is compared with the one held (segdef.m): the
 * members beyond every person present leave first, then, per segment in
 * order, the exits and then the entries, each in oneid order, told to the
 * caller's emit as the bitmap is changed. A segment that changed is
 * marked dirty; each evaluated segment's canonical text is queued in
 * st's batch for segmenter.defs. Streaming evaluation must agree with it.
 */
#ifndef UOPS_SEGEVAL_H
#define UOPS_SEGEVAL_H

#include <roaring/roaring.h>
#include <stdint.h>

struct colstore;
struct segdefs;

struct segeval {
	struct segdefs *d;              /* bound; its memberships loaded */
	struct colstore *cs;            /* the cells, as committed */
	const roaring_bitmap_t *present; /* the people */
	const unsigned char *only;      /* by segment: 1 to evaluate (NULL: all);
					 * the others keep their membership */
	int64_t clock;                  /* the time of the evaluation (ms) */
	/* oneid enters (enter 1) or leaves segment seg */
	void (*emit)(void *ctx, uint32_t oneid, unsigned seg, int enter);
	/* after each segment: nonzero (an exit status) stops the run */
	int (*status)(void *ctx);
	void *ctx;
};

/*
 * Evaluate the segments ev describes and bring their memberships (and
 * dirty marks) up to date, telling ev->emit of each change. Reads the
 * columns through cs's store read transaction. Returns 0, or the first
 * nonzero ev->status, after which no further segment is evaluated.
 */
int segeval_run(const struct segeval *ev);

#endif
