/*
 * lookalike - people like a seed audience: the segmenter's `lookalike`.
 *
 * Features are the columns of lib/colstore the caller offers, less those
 * it marks to skip (the seed's own: people like the seed on everything
 * else, not near misses of its rule): per column its numbers (log-scaled,
 * missing as the column mean) when it holds any, and one-hot features of
 * its commonest texts (up to 8 a column), 256 features at most. Each is
 * standardised over the people present. A logistic regression of seed
 * against the rest (classes weighted equally, full-batch gradient descent,
 * 200 steps, a small L2 penalty: deterministic) is trained on four fifths
 * of each class (every fifth seed member and every fifth other person, in
 * oneid order, are held out), scores every person, and the size best
 * people not in the seed (equal scores in oneid order) are the audience.
 * The AUC of the held-out people's scores measures the fit.
 */
#ifndef UOPS_LOOKALIKE_H
#define UOPS_LOOKALIKE_H

#include <roaring/roaring.h>
#include <stddef.h>
#include <stdint.h>

struct colstore;

struct lookalike {
	/* in: the caller's, read only */
	struct colstore *cs;           /* the cells, read from its committed store */
	const uint32_t *cols;          /* column ids to take features from */
	unsigned ncols;
	const unsigned char *skip;     /* by index into cols: 1 to leave out (NULL: none) */
	const roaring_bitmap_t *present; /* the people (oneids) */
	const roaring_bitmap_t *seed;  /* the seed audience */
	size_t size;                   /* how many people to pick */
	/* out */
	roaring_bitmap_t *out;         /* the audience: the caller's to free */
	size_t features, trained_on;
	double auc;                    /* of the held-out people; NaN when a class has none */
};

/*
 * Fit the model lk describes and pick its audience into lk->out, with
 * the number of features, of people trained on and the held-out AUC.
 * Reads the columns through lk->cs's store read transaction. Returns 0;
 * 1 when no column offered gives a feature (lk->out NULL); -1 when a
 * column cannot be read (lk->out NULL).
 */
int lookalike_fit(struct lookalike *lk);

#endif
