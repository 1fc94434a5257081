/*
 * t-tagdefs - the tagger's definitions, on the shipped pipelines/tags:
 * files in name order, tags in file order; types, enum values, timed
 * tags, tags computed when read (days since, and a tag reading one); what
 * a tag reads; ranks; the files' hash is stable; binding gives distinct
 * dictionary numbers and reads a rank's cut points when they fit; a tag
 * reading itself, one defined later, or an unknown type is refused.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dict.h"
#include "store.h"
#include "t.h"
#include "tagdefs.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static int find(const struct tagdefs *d, const char *name)
{
	unsigned i;
	for (i = 0; i < d->ntags; i++)
		if (!strcmp(d->tags[i].name, name))
			return (int)i;
	return -1;
}

int main(void)
{
	char dir[] = "/tmp/uops-t-tagdefs-XXXXXX", db[600], bad[600], file[700];
	struct store *st;
	struct dict names = {0};
	struct tagdefs d, e;
	MDB_dbi facts, dd;
	unsigned char rec[4 + 4 * 8];
	int code, a7, lc, rec_d, rr, seg, i, k;
	unsigned j;

	T_OK(mkdtemp(dir) != NULL);
	snprintf(db, sizeof db, "%s/db", dir);
	snprintf(bad, sizeof bad, "%s/bad", dir);
	T_OK(mkdir(db, 0700) == 0 && mkdir(bad, 0700) == 0);
	st = store_open(db, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return t_done("tagdefs");
	T_OK(store_dbi(st, "t.facts", 0, &facts) == 0);
	T_OK(store_dbi(st, "t.dict", 0, &dd) == 0);
	names.st = st;
	names.dbi = dd;
	names.ns = "atg";
	T_EQ_INT(dict_load(&names), 0);
	store_read_end(st);

	memset(&d, 0, sizeof d);
	d.st = st;
	d.facts = facts;
	d.names = &names;
	T_EQ_INT(tagdefs_load(&d, "pipelines/tags"), 0);
	T_OK(d.ntags > 10);
	T_EQ_STR(d.tags[0].name, "active_7d"); /* 10-activity.json first */
	a7 = find(&d, "active_7d");
	lc = find(&d, "lifecycle");
	rec_d = find(&d, "recency_days");
	rr = find(&d, "rfm_r");
	seg = find(&d, "rfm_segment");
	T_OK(a7 == 0 && lc > a7 && rec_d > lc && rr > rec_d && seg > rr);
	T_EQ_INT(d.tags[a7].type, TAGDEF_BOOL);
	T_EQ_STR(tagdef_type_names[d.tags[a7].type], "bool");
	T_EQ_INT(d.tags[a7].timed, 1);
	T_EQ_INT(d.tags[a7].at_read, 0);
	T_EQ_INT(d.tags[lc].type, TAGDEF_ENUM);
	T_EQ_INT(d.tags[lc].nvalues, 5);
	T_EQ_STR(d.tags[lc].values[0], "\"new\"");
	T_OK(d.tags[lc].ncases >= 4);
	T_EQ_INT(d.tags[rec_d].type, TAGDEF_NUMBER);
	T_EQ_INT(d.tags[rec_d].at_read, 1); /* a number of days since */
	T_OK(d.tags[rr].rank_of != NULL);
	T_EQ_INT(d.tags[rr].rank_n, 5);
	T_EQ_INT(d.tags[rr].rank_desc, 1);
	/* rfm_segment reads rfm_r */
	for (j = 0; j < d.tags[seg].nrd_tag; j++)
		if ((int)d.tags[seg].rd_tag[j] == rr)
			break;
	T_OK(j < d.tags[seg].nrd_tag);
	T_OK(d.defs_hash != 0);

	/* bind: distinct numbers; a rank's cut points when they fit */
	store_be32(rec, 4);
	for (k = 0; k < 4; k++) {
		double c = 10.0 * (k + 1);
		uint64_t u;
		memcpy(&u, &c, 8);
		store_be64(rec + 4 + 8 * k, u);
	}
	store_put(st, facts, "rfm_r", 5, rec, sizeof rec);
	store_put(st, facts, "rfm_f", 5, rec, 4 + 8); /* too short: ignored */
	T_EQ_INT(store_commit(st), 0);
	T_EQ_INT(tagdefs_bind(&d), 0);
	store_read_end(st);
	for (i = 0; i < (int)d.ntags; i++) {
		T_EQ_INT(d.tags[i].slot, d.tag_slots[i]);
		for (k = 0; k < i; k++)
			T_OK(d.tag_slots[k] != d.tag_slots[i]);
	}
	T_EQ_INT(d.tags[rr].ncuts, 4);
	T_OK(d.tags[rr].cuts && d.tags[rr].cuts[3] == 40.0);
	T_EQ_INT(d.tags[find(&d, "rfm_f")].ncuts, 0);
	T_EQ_INT(d.L.ntags, d.ntags);
	T_EQ_INT(d.L.naggs, d.aggs.n);

	/* the same files: the same hash */
	memset(&e, 0, sizeof e);
	e.st = st;
	e.facts = facts;
	e.names = &names;
	T_EQ_INT(tagdefs_load(&e, "pipelines/tags"), 0);
	T_OK(e.defs_hash == d.defs_hash);
	tagdefs_release(&e);

	/* refused */
	{
		static const char *const bads[] = {
			"{\"tags\": [{\"name\": \"x\", \"type\": \"bool\", \"when\": {\"tag\": \"x\", \"eq\": true}}]}",
			"{\"tags\": [{\"name\": \"x\", \"type\": \"bool\", \"when\": {\"tag\": \"y\", \"eq\": true}},"
			" {\"name\": \"y\", \"type\": \"bool\", \"when\": {\"count\": {}, \"gte\": 1}}]}",
			"{\"tags\": [{\"name\": \"x\", \"type\": \"colour\", \"when\": {\"count\": {}, \"gte\": 1}}]}",
		};
		snprintf(file, sizeof file, "%s/x.json", bad);
		for (j = 0; j < sizeof bads / sizeof *bads; j++) {
			FILE *f = fopen(file, "w");
			T_OK(f != NULL);
			if (!f)
				break;
			fputs(bads[j], f);
			fclose(f);
			memset(&e, 0, sizeof e);
			e.st = st;
			e.facts = facts;
			e.names = &names;
			T_EQ_INT(tagdefs_load(&e, bad), 78);
			tagdefs_release(&e);
		}
	}

	tagdefs_release(&d);
	dict_release(&names);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("tagdefs");
}
