/*
 * t-fold - the bookkeeping of merges across streams: a $merge that waits
 * sets its stream's later records aside and hands them back in their order
 * once its last $fold came; a $fold that comes before its $merge is kept
 * for it; one read twice is told; the streams are apart (one waits, the
 * next goes on); what is held is named (pending, quiet) and forgotten.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "t.h"

static void ids(void)
{
	struct buf b = BUF_INIT;

	fold_id(&b, "merge:e3", 8, 42);
	T_EQ_STR(b.p, "fold:merge:e3:42");
	fold_id(&b, "m1", 2, 4294967295u);
	T_EQ_STR(b.p, "fold:m1:4294967295");
	buf_release(&b);
}

static void waits(void)
{
	struct fold_book fb = {0};
	struct buf r = BUF_INIT;
	const uint32_t need[2] = {7, 9};
	const char *m = "{\"type\":\"$merge\",\"event_id\":\"m1\"}";

	T_OK(fold_quiet(&fb, 3));
	T_OK(!fold_pending(&fb));
	T_EQ_INT(fold_wait(&fb, 3, m, strlen(m), "m1", 2, need, 2), 0);
	T_OK(fold_busy(&fb, 3));
	T_OK(!fold_busy(&fb, 4)); /* another stream goes on */
	T_OK(fold_pending(&fb));
	fold_set_aside(&fb, 3, "a", 1);
	fold_set_aside(&fb, 3, "bb", 2);
	T_EQ_INT(fold_next(&fb, 3, &r), 0); /* not while it waits */
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:9", 9, "{9}", 3), 0);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:9", 9, "{9}", 3), 3); /* read twice */
	/* another merge's fold, on this stream: kept for it */
	T_EQ_INT(fold_offer(&fb, 3, "fold:m2:5", 9, "{5}", 3), 2);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m2:5", 9, "{5}", 3), 2);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:7", 9, "{7}", 3), 1);
	T_EQ_STR(fold_merge(&fb, 3)->p, m);
	T_EQ_STR(fold_got(&fb, 3, 0)->p, "{7}");
	T_EQ_STR(fold_got(&fb, 3, 1)->p, "{9}");
	T_OK(fold_got(&fb, 3, 2) == NULL);
	fold_done(&fb, 3);
	T_OK(!fold_busy(&fb, 3));
	T_OK(!fold_pending(&fb)); /* a kept fold does not keep a batch run */
	T_OK(!fold_quiet(&fb, 3));
	T_EQ_INT(fold_next(&fb, 3, &r), 1);
	T_OK(r.len == 1 && !memcmp(r.p, "a", 1));
	/* a record set aside may wait again: the one it came with */
	{
		const uint32_t five = 5;
		T_EQ_INT(fold_wait(&fb, 3, "{m2}", 4, "m2", 2, &five, 1), 1);
		T_EQ_STR(fold_got(&fb, 3, 0)->p, "{5}");
		fold_done(&fb, 3);
	}
	T_EQ_INT(fold_next(&fb, 3, &r), 1);
	T_OK(r.len == 2 && !memcmp(r.p, "bb", 2));
	T_EQ_INT(fold_next(&fb, 3, &r), 0);
	T_OK(fold_quiet(&fb, 3));
	T_EQ_INT(fb.waits, 2);
	T_EQ_INT(fb.early, 1);
	T_EQ_INT(fb.aside, 2);
	buf_release(&r);
	fold_free(&fb);
}

static void streams_and_clear(void)
{
	struct fold_book fb = {0};
	const uint32_t one = 1;
	uint32_t *v;
	unsigned n;

	T_EQ_INT(fold_wait(&fb, 2, "x", 1, "m", 1, &one, 1), 0);
	T_EQ_INT(fold_offer(&fb, 0, "fold:z:1", 8, "{}", 2), 2);
	n = fold_streams(&fb, &v);
	T_EQ_INT(n, 2);
	T_EQ_INT(v[0], 0);
	T_EQ_INT(v[1], 2);
	free(v);
	/* a fold of another stream is not this one's */
	T_EQ_INT(fold_offer(&fb, 5, "fold:m:1", 8, "{}", 2), 2);
	T_OK(fold_busy(&fb, 2));
	fold_clear_stream(&fb, 2);
	T_OK(!fold_busy(&fb, 2));
	T_OK(!fold_quiet(&fb, 5));
	fold_clear(&fb);
	T_OK(fold_quiet(&fb, 0) && fold_quiet(&fb, 5));
	T_EQ_INT(fb.ne, 0);
	fold_free(&fb);
}

int main(void)
{
	ids();
	waits();
	streams_and_clear();
	return t_done("fold");
}
