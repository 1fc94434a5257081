/*
 * t-lookalike - people like a seed: with one numeric column on which the
 * seed stands out, the audience is exactly the non-members highest on it,
 * the held-out AUC is high and the counts of features and of people
 * trained on are as designed; a text column adds a one-hot feature per
 * value; the same input gives the same audience; columns skipped give no
 * features, and none at all is refused.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "colstore.h"
#include "cond.h"
#include "lookalike.h"
#include "store.h"
#include "t.h"

#define N 1000

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int main(void)
{
	char dir[] = "/tmp/uops-t-lookalike-XXXXXX";
	struct colstore cs = {0};
	struct store *st;
	struct lookalike lk;
	roaring_bitmap_t *present, *seed, *want, *first;
	uint32_t cols[2] = {3, 4}, a, b, i;
	unsigned char skip[2];
	int code;

	T_OK(mkdtemp(dir) != NULL);
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return t_done("lookalike");
	cs.st = st;
	T_OK(store_dbi(st, "t.cols", 0, &cs.cols) == 0);
	T_OK(store_dbi(st, "t.texts", 0, &cs.texts) == 0);

	/* people 1 … N: x = oneid; a text, "a" for every third, else "b";
	 * the seed: the even ones above 700 */
	present = roaring_bitmap_create();
	seed = roaring_bitmap_create();
	want = roaring_bitmap_create();
	a = colstore_text_id(&cs, "\"a\"", 3);
	b = colstore_text_id(&cs, "\"b\"", 3);
	for (i = 1; i <= N; i++) {
		roaring_bitmap_add(present, i);
		colstore_cell_set(&cs, 3, i, cell_of_num(i));
		colstore_cell_set(&cs, 4, i, CELL_TEXT | (i % 3 ? b : a));
		if (i > 700 && i % 2 == 0)
			roaring_bitmap_add(seed, i);
		if (i > 800 && i % 2) /* the 100 non-members highest on x */
			roaring_bitmap_add(want, i);
	}
	colstore_save(&cs);
	T_EQ_INT(store_commit(st), 0);

	/* x alone */
	memset(&lk, 0, sizeof lk);
	lk.cs = &cs;
	lk.cols = cols;
	lk.ncols = 2;
	skip[0] = 0;
	skip[1] = 1;
	lk.skip = skip;
	lk.present = present;
	lk.seed = seed;
	lk.size = 100;
	T_EQ_INT(lookalike_fit(&lk), 0);
	store_read_end(st);
	T_OK(lk.out != NULL);
	if (!lk.out)
		return t_done("lookalike");
	T_EQ_INT(lk.features, 1);
	/* held out: every fifth of the 150 seed members, of the 850 others */
	T_EQ_INT(lk.trained_on, N - 30 - 170);
	T_OK(lk.auc > 0.9 && lk.auc <= 1);
	T_EQ_INT(roaring_bitmap_get_cardinality(lk.out), 100);
	T_OK(roaring_bitmap_equals(lk.out, want));
	T_EQ_INT(roaring_bitmap_and_cardinality(lk.out, seed), 0);
	first = lk.out;

	/* the same again: the same audience */
	T_EQ_INT(lookalike_fit(&lk), 0);
	store_read_end(st);
	T_OK(roaring_bitmap_equals(lk.out, first));
	roaring_bitmap_free(lk.out);

	/* both columns: x, and one feature per text value */
	lk.skip = NULL;
	lk.size = 5000; /* more than there are: every non-member */
	T_EQ_INT(lookalike_fit(&lk), 0);
	store_read_end(st);
	T_EQ_INT(lk.features, 3);
	T_EQ_INT(roaring_bitmap_get_cardinality(lk.out), N - 150);
	T_EQ_INT(roaring_bitmap_and_cardinality(lk.out, seed), 0);
	roaring_bitmap_free(lk.out);

	/* every column skipped: nothing to compare people by */
	skip[0] = skip[1] = 1;
	lk.skip = skip;
	T_EQ_INT(lookalike_fit(&lk), 1);
	store_read_end(st);
	T_OK(lk.out == NULL);
	/* a column with no cells stored gives no feature either */
	cols[0] = cols[1] = 9;
	lk.skip = NULL;
	T_EQ_INT(lookalike_fit(&lk), 1);
	store_read_end(st);

	roaring_bitmap_free(first);
	roaring_bitmap_free(present);
	roaring_bitmap_free(seed);
	roaring_bitmap_free(want);
	colstore_release(&cs);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("lookalike");
}
