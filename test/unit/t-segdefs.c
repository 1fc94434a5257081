/*
 * t-segdefs - the segmenter's definitions: two files load in name order;
 * a segment knows the events, tags, segments and columns it reads, and
 * whether time alone can change it; a value read twice is one column; a
 * list has no condition; names are checked; the stored membership is read
 * (or empty), loaded eagerly unless lazy; a definition is stale until its
 * canonical text is stored and every column built; the columns of a
 * segment include those of the segments it reads; a segment that reads
 * itself, one defined later, or a bad name is refused.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "dict.h"
#include "segdefs.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "w");
	T_OK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

/* a store, its DBIs and dictionary, and d ready to load */
struct env {
	struct store *st;
	MDB_dbi members, defs, dict;
	struct dict names;
};

static void setup(struct env *e, struct segdefs *d)
{
	memset(d, 0, sizeof *d);
	d->st = e->st;
	d->members = e->members;
	d->defs = e->defs;
	d->names = &e->names;
}

static const char A[] =
	"{\"params\": {\"big\": 300},\n"
	" \"segments\": [\n"
	"  {\"name\": \"buyers\", \"when\": {\"count\": {\"event\": \"order_paid\"}, \"gte\": 1}},\n"
	"  {\"name\": \"big_recent\", \"folder\": \"value\", \"description\": \"d\",\n"
	"   \"when\": {\"and\": [{\"last\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"gt\": {\"param\": \"big\"}},\n"
	"                    {\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"gte\": 1}]}},\n"
	"  {\"name\": \"uploaded\", \"static\": true}]}\n";
static const char B[] =
	"{\"segments\": [\n"
	"  {\"name\": \"vip_buyers\", \"when\": {\"and\": [{\"segment\": \"buyers\"}, {\"tag\": \"vip\", \"eq\": true},\n"
	"                                              {\"count\": {\"event\": \"order_paid\"}, \"gte\": 1}]}},\n"
	"  {\"name\": \"women\", \"when\": {\"trait\": \"gender\", \"eq\": \"f\"}}]}\n";

int main(void)
{
	char dir[] = "/tmp/uops-t-segdefs-XXXXXX", defs[600], bad[600], path[600];
	struct env e;
	struct segdefs d;
	struct buf out = BUF_INIT;
	roaring_bitmap_t *m;
	unsigned char skip[16];
	unsigned i;
	int code, b, v, w;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(defs, sizeof defs, "%s/segments", dir);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	snprintf(path, sizeof path, "%s/db", dir);
	T_OK(mkdir(defs, 0700) == 0 && mkdir(bad, 0700) == 0 && mkdir(path, 0700) == 0);
	put_file(defs, "20-b.json", B);
	put_file(defs, "10-a.json", A);

	memset(&e, 0, sizeof e);
	e.st = store_open(path, "t", STORE_NOSYNC, &code);
	T_OK(e.st != NULL);
	if (!e.st)
		return t_done("segdefs");
	T_OK(store_dbi(e.st, "t.members", 0, &e.members) == 0);
	T_OK(store_dbi(e.st, "t.defs", 0, &e.defs) == 0);
	T_OK(store_dbi(e.st, "t.dict", 0, &e.dict) == 0);
	e.names.st = e.st;
	e.names.dbi = e.dict;
	e.names.ns = "atgc";
	T_EQ_INT(dict_load(&e.names), 0);
	store_read_end(e.st);

	/* a stored membership for one segment */
	m = roaring_bitmap_of(4, 3, 4, 8, 15);
	{
		size_t n = roaring_bitmap_portable_size_in_bytes(m);
		char *s = malloc(n);
		roaring_bitmap_portable_serialize(m, s);
		store_put(e.st, e.members, "buyers", 6, s, n);
		free(s);
	}
	roaring_bitmap_free(m);
	T_EQ_INT(store_commit(e.st), 0);

	setup(&e, &d);
	T_EQ_INT(segdefs_load(&d, defs), 0);
	segdefs_bind(&d, 0);
	store_read_end(e.st);
	T_EQ_INT(d.nsegs, 5);
	b = segdefs_index(&d, "buyers");
	v = segdefs_index(&d, "vip_buyers");
	w = segdefs_index(&d, "women");
	T_EQ_INT(b, 0); /* files in name order, segments in file order */
	T_EQ_INT(segdefs_index(&d, "big_recent"), 1);
	T_EQ_INT(segdefs_index(&d, "uploaded"), 2);
	T_EQ_INT(v, 3);
	T_EQ_INT(w, 4);
	T_EQ_INT(segdefs_index(&d, "nobody"), -1);
	T_EQ_STR(d.segs[1].folder, "value");
	T_OK(d.segs[2].when == NULL);
	T_EQ_STR(d.segs[2].canon, "static");
	T_OK(strstr(d.segs[1].canon, " params {\"big\":300}") != NULL);

	/* what each reads */
	T_EQ_INT(d.segs[b].nevents, 1);
	T_EQ_STR(d.segs[b].events[0], "order_paid");
	T_EQ_INT(d.segs[b].timed, 0);
	T_EQ_INT(d.segs[1].timed, 1); /* within 30d */
	T_EQ_INT(d.ntimed, 1);
	T_EQ_INT(d.segs[v].ndeps, 1);
	T_EQ_INT(d.segs[v].deps[0], b);
	T_EQ_INT(d.segs[v].ntags, 1);
	T_EQ_STR(d.tagnames[d.segs[v].tags[0]], "vip");
	T_EQ_INT(d.segs[w].traits, 1);
	T_EQ_INT(d.segs[w].nevents, 0);
	/* the count of orders is one column for buyers and vip_buyers */
	T_EQ_INT(d.segs[b].ncols, 1);
	T_EQ_INT(d.segs[v].deps[0], b);
	for (i = 0; i < d.segs[v].ncols; i++)
		if (d.segs[v].cols[i] == d.segs[b].cols[0])
			break;
	T_OK(i < d.segs[v].ncols);
	T_EQ_INT(d.ncols, 5); /* count, last amount, count in 30d, tag, trait */
	for (i = 0; i < d.ncols; i++)
		T_EQ_INT(d.colv[i].built, 0);
	T_OK(d.nxcol >= d.ncols + 1);

	/* columns of a segment, with those of the segments it reads */
	memset(skip, 0, sizeof skip);
	segdefs_columns(&d, (unsigned)v, skip);
	for (i = 0, code = 0; i < d.ncols; i++)
		code += skip[i];
	T_EQ_INT(code, 2); /* the count (also buyers'), the tag */
	T_EQ_INT(skip[d.segs[b].cols[0]], 1);

	/* memberships: stored, or empty */
	T_EQ_INT(roaring_bitmap_get_cardinality(d.segs[b].m), 4);
	T_OK(roaring_bitmap_contains(d.segs[b].m, 15));
	T_EQ_INT(roaring_bitmap_get_cardinality(d.segs[w].m), 0);

	/* stale until the canonical texts are stored and columns built */
	T_EQ_INT(segdefs_stale(&d, &out), 1);
	T_EQ_STR(out.p, "buyers, big_recent, vip_buyers, women");
	for (i = 0; i < d.nsegs; i++)
		if (d.segs[i].when)
			store_put(e.st, e.defs, d.segs[i].name, strlen(d.segs[i].name), d.segs[i].canon,
				  strlen(d.segs[i].canon));
	T_EQ_INT(store_commit(e.st), 0);
	buf_reset(&out);
	T_EQ_INT(segdefs_stale(&d, &out), 1); /* columns not built */
	T_EQ_INT(out.len, 0);
	for (i = 0; i < d.ncols; i++)
		d.colv[i].built = 1;
	T_EQ_INT(segdefs_stale(&d, NULL), 0);
	store_read_end(e.st);
	dict_save(&e.names);
	T_EQ_INT(store_commit(e.st), 0);
	segdefs_release(&d);

	/* lazy: memberships wait; the same numbers from the dictionary */
	setup(&e, &d);
	T_EQ_INT(segdefs_load(&d, defs), 0);
	segdefs_bind(&d, 1);
	store_read_end(e.st);
	T_OK(d.segs[0].m == NULL);
	m = segdefs_members(&d, "buyers");
	T_EQ_INT(roaring_bitmap_get_cardinality(m), 4);
	roaring_bitmap_free(m);
	m = segdefs_members(&d, "nobody");
	T_EQ_INT(roaring_bitmap_get_cardinality(m), 0);
	roaring_bitmap_free(m);
	store_read_end(e.st);
	segdefs_release(&d);

	/* refused: itself, one defined later, a bad name, no condition */
	{
		static const char *const bads[] = {
			"{\"segments\": [{\"name\": \"s\", \"when\": {\"segment\": \"s\"}}]}",
			"{\"segments\": [{\"name\": \"s\", \"when\": {\"segment\": \"t\"}},"
			" {\"name\": \"t\", \"static\": true}]}",
			"{\"segments\": [{\"name\": \"S\", \"static\": true}]}",
			"{\"segments\": [{\"name\": \"s\"}]}",
			"{\"segments\": [{\"name\": \"s\", \"static\": true}, {\"name\": \"s\", \"static\": true}]}",
		};
		for (i = 0; i < sizeof bads / sizeof *bads; i++) {
			put_file(bad, "x.json", bads[i]);
			setup(&e, &d);
			T_EQ_INT(segdefs_load(&d, bad), 78);
			segdefs_release(&d);
		}
	}

	buf_release(&out);
	dict_release(&e.names);
	store_close(e.st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("segdefs");
}
