/*
 * t-segdue - the segmenter's deadlines: moves between days and streams
 * (the last of a person's queued moves counts), the first day due in a
 * range, per stream; what is saved (keys of a stream and of no known
 * stream, empty days deleted) loads back and is counted per stream; the
 * oldest layout's entries join their day and are deleted unless read
 * only; a damaged day is skipped; free leaves nothing.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "segdue.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int has(struct segdue *sd, uint32_t stream, uint32_t day, uint32_t oneid)
{
	struct segdue_day *d = segdue_day(sd, stream, day, 0);

	if (!d)
		return 0;
	segdue_flush(d);
	return roaring_bitmap_contains(d->b, oneid);
}

int main(void)
{
	char dir[] = "/tmp/uops-t-segdue-XXXXXX";
	struct segdue sd = {0}, ld = {0};
	struct segdue_day *d;
	struct store *st;
	unsigned char key[8];
	MDB_val v;
	uint32_t i;
	int code;

	T_OK(mkdtemp(dir) != NULL);
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return t_done("segdue");
	T_OK(store_dbi(st, "t.due", 0, &sd.dbi) == 0);
	sd.st = ld.st = st;
	ld.dbi = sd.dbi;

	/* moves */
	segdue_move(&sd, 5, SEGDUE_NONE, SEGDUE_NONE, 1, 100);
	T_OK(has(&sd, 1, 100, 5));
	segdue_move(&sd, 5, 1, 100, 1, 101);
	T_OK(!has(&sd, 1, 100, 5) && has(&sd, 1, 101, 5));
	segdue_move(&sd, 5, 1, 101, 2, 101); /* another stream, the same day */
	T_OK(!has(&sd, 1, 101, 5) && has(&sd, 2, 101, 5));
	segdue_move(&sd, 5, 2, 101, 2, 101); /* no move */
	T_OK(has(&sd, 2, 101, 5));
	/* queued together: the last move of a person counts */
	segdue_move(&sd, 6, SEGDUE_NONE, SEGDUE_NONE, 1, 120);
	segdue_move(&sd, 7, SEGDUE_NONE, SEGDUE_NONE, 1, 120);
	segdue_move(&sd, 6, 1, 120, 1, 130);
	segdue_move(&sd, 6, 1, 130, 1, 120);
	d = segdue_day(&sd, 1, 120, 0);
	T_OK(d && d->npend == 4);
	T_OK(has(&sd, 1, 120, 6) && has(&sd, 1, 120, 7) && !has(&sd, 1, 130, 6));
	T_EQ_INT(d->npend, 0);
	/* a move from a day not held leaves it alone */
	segdue_move(&sd, 8, 1, 90, 1, 120);
	T_OK(segdue_day(&sd, 1, 90, 0) == NULL && has(&sd, 1, 120, 8));
	/* no known stream, and many people on one day */
	for (i = 1000; i < 11000; i++)
		segdue_move(&sd, i, SEGDUE_NONE, SEGDUE_NONE, SEGDUE_ANY, 110);
	T_OK(has(&sd, SEGDUE_ANY, 110, 10999));

	/* the first day due, per stream; empty days are passed over */
	d = segdue_first(&sd, 1, 0, 1000);
	T_OK(d && d->stream == 1 && d->day == 120);
	T_OK(segdue_first(&sd, 1, 121, 1000) == NULL);
	T_OK(segdue_first(&sd, 1, 0, 119) == NULL);
	d = segdue_first(&sd, 2, 0, 1000);
	T_OK(d && d->day == 101);
	d = segdue_first(&sd, SEGDUE_ANY, 110, 110);
	T_OK(d && d->day == 110);
	T_OK(segdue_first(&sd, 3, 0, 1000) == NULL);

	/* saved: keys of a stream (its top bit set) and of no known stream;
	 * empty days are forgotten */
	T_OK(sd.ndays >= 5);
	segdue_save(&sd);
	T_EQ_INT(sd.ndays, 3); /* (1,120), (2,101), (*,110) */
	T_EQ_INT(store_commit(st), 0);
	store_be32(key, 1 | SEGDUE_STREAM_BIT);
	store_be32(key + 4, 120);
	T_EQ_INT(store_get(st, sd.dbi, key, 8, &v), 1);
	store_be32(key + 4, 100);
	T_EQ_INT(store_get(st, sd.dbi, key, 8, &v), 0);
	store_be32(key, 110);
	T_EQ_INT(store_get(st, sd.dbi, key, 4, &v), 1);
	store_read_end(st);
	T_EQ_INT(segdue_count(&sd, 1), 3);
	T_EQ_INT(segdue_count(&sd, 2), 1);
	T_EQ_INT(segdue_count(&sd, SEGDUE_ANY), 10000);
	T_EQ_INT(segdue_count(&sd, 3), 0);
	store_read_end(st);

	/* the oldest layout (day, oneid) and a damaged day, then a load */
	store_be32(key, 110);
	store_be32(key + 4, 77);
	store_put(st, sd.dbi, key, 8, "", 0);
	store_be32(key, 2 | SEGDUE_STREAM_BIT);
	store_be32(key + 4, 140);
	store_put(st, sd.dbi, key, 8, "\0\0\0\0", 4);
	T_EQ_INT(store_commit(st), 0);
	T_EQ_INT(segdue_load(&ld, 1), 0); /* read only: nothing deleted */
	store_read_end(st);
	T_OK(has(&ld, SEGDUE_ANY, 110, 77) && has(&ld, SEGDUE_ANY, 110, 1000));
	T_OK(has(&ld, 1, 120, 6) && has(&ld, 1, 120, 7) && has(&ld, 1, 120, 8) && has(&ld, 2, 101, 5));
	T_OK(segdue_day(&ld, 2, 140, 0) == NULL);
	T_EQ_INT(store_pending(st), 0);
	segdue_free(&ld);
	T_OK(ld.days == NULL && ld.ndays == 0);
	T_EQ_INT(segdue_load(&ld, 0), 0); /* writing: the old entry goes */
	store_read_end(st);
	T_OK(has(&ld, SEGDUE_ANY, 110, 77));
	segdue_save(&ld);
	T_EQ_INT(store_commit(st), 0);
	store_be32(key, 110);
	store_be32(key + 4, 77);
	T_EQ_INT(store_get(st, sd.dbi, key, 8, &v), 0);
	store_read_end(st);
	T_EQ_INT(segdue_count(&ld, SEGDUE_ANY), 10001);
	store_read_end(st);

	segdue_free(&sd);
	segdue_free(&ld);
	T_OK(sd.days == NULL && sd.ndays == 0);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("segdue");
}
