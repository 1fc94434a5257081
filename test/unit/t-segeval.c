/*
 * t-segeval - the full evaluation over columns: members past every person
 * leave first, then exits and entries in oneid order, segment by segment;
 * a segment reads the new answer of one before it; a list keeps its
 * members; the canonical texts are queued; only the segments asked for
 * change; a nonzero status stops the run after the segment.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "colstore.h"
#include "cond.h"
#include "dict.h"
#include "segdefs.h"
#include "segeval.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct buf log_; /* "seg+oneid " or "seg-oneid " per change */
static int stop;

static void on_emit(void *ctx, uint32_t oneid, unsigned seg, int enter)
{
	struct segdefs *d = ctx;
	buf_printf(&log_, "%s%c%u ", d->segs[seg].name, enter ? '+' : '-', oneid);
}

static int on_status(void *ctx)
{
	(void)ctx;
	return stop;
}

static const char DEFS[] =
	"{\"segments\": [\n"
	"  {\"name\": \"buyers\", \"when\": {\"count\": {\"event\": \"order_paid\"}, \"gte\": 1}},\n"
	"  {\"name\": \"big\", \"when\": {\"and\": [{\"segment\": \"buyers\"},\n"
	"                                   {\"count\": {\"event\": \"order_paid\"}, \"gte\": 3}]}},\n"
	"  {\"name\": \"uploaded\", \"static\": true}]}\n";

int main(void)
{
	char dir[] = "/tmp/uops-t-segeval-XXXXXX", defs[600], db[600], file[700];
	struct store *st;
	struct dict names = {0};
	struct segdefs d;
	struct colstore cs = {0};
	struct segeval ev;
	MDB_dbi dd;
	MDB_val v;
	roaring_bitmap_t *present;
	unsigned char only[3] = {0, 1, 0};
	uint32_t col;
	FILE *f;
	int code;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(defs, sizeof defs, "%s/segments", dir);
	snprintf(db, sizeof db, "%s/db", dir);
	T_OK(mkdir(defs, 0700) == 0 && mkdir(db, 0700) == 0);
	snprintf(file, sizeof file, "%s/a.json", defs);
	f = fopen(file, "w");
	T_OK(f != NULL);
	if (!f)
		return t_done("segeval");
	fputs(DEFS, f);
	fclose(f);

	st = store_open(db, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return t_done("segeval");
	memset(&d, 0, sizeof d);
	d.st = cs.st = names.st = st;
	T_OK(store_dbi(st, "t.members", 0, &d.members) == 0);
	T_OK(store_dbi(st, "t.defs", 0, &d.defs) == 0);
	T_OK(store_dbi(st, "t.dict", 0, &dd) == 0);
	T_OK(store_dbi(st, "t.cols", 0, &cs.cols) == 0);
	T_OK(store_dbi(st, "t.texts", 0, &cs.texts) == 0);
	names.dbi = dd;
	names.ns = "atgc";
	d.names = &names;
	T_EQ_INT(dict_load(&names), 0);
	T_EQ_INT(segdefs_load(&d, defs), 0);
	segdefs_bind(&d, 0);
	store_read_end(st);
	T_EQ_INT(d.nsegs, 3);
	T_EQ_INT(d.ncols, 1); /* the count of orders, read by both */

	/* orders: 1 has 2, 2 has 0, 3 has 5, 4 none known; present: 1 … 4 and
	 * 5000 (past the first chunk, with 2 orders) */
	col = d.colv[0].id;
	colstore_cell_set(&cs, col, 1, cell_of_num(2));
	colstore_cell_set(&cs, col, 2, cell_of_num(0));
	colstore_cell_set(&cs, col, 3, cell_of_num(5));
	colstore_cell_set(&cs, col, 5000, cell_of_num(2));
	colstore_save(&cs);
	T_EQ_INT(store_commit(st), 0);
	present = roaring_bitmap_of(5, 1, 2, 3, 4, 5000);
	/* held: buyers 2 and 9999 (past everyone), the list 7 */
	roaring_bitmap_add(d.segs[0].m, 2);
	roaring_bitmap_add(d.segs[0].m, 9999);
	roaring_bitmap_add(d.segs[2].m, 7);

	memset(&ev, 0, sizeof ev);
	ev.d = &d;
	ev.cs = &cs;
	ev.present = present;
	ev.clock = 1700000000000LL;
	ev.emit = on_emit;
	ev.status = on_status;
	ev.ctx = &d;

	/* only big, asked for: buyers is read as held ({2}) */
	ev.only = only;
	T_EQ_INT(segeval_run(&ev), 0);
	store_read_end(st);
	T_EQ_STR(log_.p ? log_.p : "", "");
	T_EQ_INT(d.segs[1].dirty, 0);
	T_EQ_INT(store_get(st, d.defs, "big", 3, &v), 1);
	T_EQ_INT(store_get(st, d.defs, "buyers", 6, &v), 0);

	/* all: past everyone first, exits, entries; big reads the new buyers */
	ev.only = NULL;
	T_EQ_INT(segeval_run(&ev), 0);
	store_read_end(st);
	T_EQ_STR(log_.p, "buyers-9999 buyers-2 buyers+1 buyers+3 buyers+5000 big+3 ");
	T_OK(d.segs[0].dirty && d.segs[1].dirty && !d.segs[2].dirty);
	T_EQ_INT(roaring_bitmap_get_cardinality(d.segs[0].m), 3);
	T_OK(roaring_bitmap_contains(d.segs[1].m, 3));
	T_OK(roaring_bitmap_get_cardinality(d.segs[2].m) == 1 && roaring_bitmap_contains(d.segs[2].m, 7));
	T_EQ_INT(store_get(st, d.defs, "buyers", 6, &v), 1);
	T_OK(v.mv_size == strlen(d.segs[0].canon) && !memcmp(v.mv_data, d.segs[0].canon, v.mv_size));
	T_EQ_INT(store_get(st, d.defs, "uploaded", 8, &v), 0);

	/* again: nothing changes */
	buf_reset(&log_);
	T_EQ_INT(segeval_run(&ev), 0);
	store_read_end(st);
	T_EQ_INT(log_.len, 0);

	/* a status stops the run after the segment it follows */
	colstore_cell_set(&cs, col, 2, cell_of_num(9));
	colstore_save(&cs);
	T_EQ_INT(store_commit(st), 0);
	stop = 74;
	T_EQ_INT(segeval_run(&ev), 74);
	store_read_end(st);
	T_EQ_STR(log_.p, "buyers+2 ");
	T_OK(!roaring_bitmap_contains(d.segs[1].m, 2));

	buf_release(&log_);
	roaring_bitmap_free(present);
	segdefs_release(&d);
	colstore_release(&cs);
	dict_release(&names);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("segeval");
}
