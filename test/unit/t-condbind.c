/*
 * t-condbind - what tag and segment definitions share: definition names;
 * a reference to an earlier definition found, and refused, in each kind's
 * words, for itself, one defined later and none; a scope whose trait names
 * are numbered in the dictionary, params and aggregates its own; the
 * layout binding aggregates and tags to dictionary numbers, new ones
 * after those the dictionary holds, and indexing the layout.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cond.h"
#include "condbind.h"
#include "conf.h"
#include "dict.h"
#include "json.h"
#include "profile.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static const char *const names[] = {"first", "second", "third"};

static const char *name_at(const void *defs, unsigned i)
{
	return ((const char *const *)defs)[i];
}

static void test_names(void)
{
	T_OK(condbind_valid_name("a_1"));
	T_OK(condbind_valid_name("z9"));
	T_OK(!condbind_valid_name(""));
	T_OK(!condbind_valid_name("Big"));
	T_OK(!condbind_valid_name("a-b"));
	T_OK(!condbind_valid_name("a b"));
	T_OK(!condbind_valid_name("é"));
}

static void test_earlier(void)
{
	const char *why = NULL;

	/* compiling the third: the two before it are there to read */
	T_EQ_INT(condbind_earlier(CONDBIND_TAG, "first", name_at, names, 3, 2, &why), 0);
	T_EQ_INT(condbind_earlier(CONDBIND_SEGMENT, "second", name_at, names, 3, 2, &why), 1);
	T_OK(why == NULL);
	T_EQ_INT(condbind_earlier(CONDBIND_TAG, "third", name_at, names, 3, 2, &why), -1);
	T_EQ_STR(why, "a tag cannot read itself");
	T_EQ_INT(condbind_earlier(CONDBIND_SEGMENT, "third", name_at, names, 3, 2, &why), -1);
	T_EQ_STR(why, "a segment cannot contain itself");
	/* compiling the first: the second comes after it */
	T_EQ_INT(condbind_earlier(CONDBIND_TAG, "second", name_at, names, 3, 0, &why), -1);
	T_EQ_STR(why, "defined after this tag (a tag reads only tags defined before it)");
	T_EQ_INT(condbind_earlier(CONDBIND_SEGMENT, "second", name_at, names, 3, 0, &why), -1);
	T_EQ_STR(why, "defined after this segment (a segment reads only segments defined before it)");
	T_EQ_INT(condbind_earlier(CONDBIND_TAG, "fourth", name_at, names, 3, 2, &why), -1);
	T_EQ_STR(why, "no such tag (a tag reads only tags defined before it)");
	T_EQ_INT(condbind_earlier(CONDBIND_SEGMENT, "fourth", name_at, names, 3, 2, &why), -1);
	T_EQ_STR(why, "no such segment (a segment reads only segments defined before it)");
	/* only the first n are looked at */
	T_EQ_INT(condbind_earlier(CONDBIND_TAG, "third", name_at, names, 2, 2, &why), -1);
	T_EQ_STR(why, "no such tag (a tag reads only tags defined before it)");
}


static uint32_t trait_seen;

static void note(void *ctx, enum cond_read what, unsigned idx)
{
	(void)ctx;
	if (what == COND_READ_TRAIT)
		trait_seen = idx;
}

static void test_scope_layout(const char *dir)
{
	static const char text[] =
		"{\"params\": {\"min\": 2},\n"
		" \"when\": {\"and\": [{\"trait\": \"city\", \"eq\": \"x\"},\n"
		"                   {\"count\": {\"event\": \"order_paid\"}, \"gte\": {\"param\": \"min\"}},\n"
		"                   {\"sum\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"gt\": 1}]}}\n";
	char path[600], db[600];
	struct agg_set aggs = {0};
	struct profile_layout L = {0};
	struct cond_scope sc;
	struct store *st;
	struct dict d = {0};
	struct conf c;
	struct cond *x;
	uint32_t *slots, before;
	MDB_dbi dbi;
	FILE *f;
	int code;

	snprintf(db, sizeof db, "%s/db", dir);
	T_OK(mkdir(db, 0700) == 0);
	st = store_open(db, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return;
	T_OK(store_dbi(st, "t.dict", 0, &dbi) == 0);
	d.st = st;
	d.dbi = dbi;
	d.ns = "atg";
	T_EQ_INT(dict_load(&d), 0);
	/* a name the dictionary holds already keeps its number */
	before = dict_assign(&d, 'g', "second", 6);

	snprintf(path, sizeof path, "%s/defs.json", dir);
	f = fopen(path, "w");
	T_OK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	T_EQ_INT(conf_load(&c, path), 0);
	condbind_scope(&sc, &c, &aggs, &d, json_get(&c.doc, 0, "params", 6));
	T_OK(sc.ctx == &c && sc.aggs == &aggs && sc.traits == &d && sc.trait == NULL && sc.tag == NULL &&
	     sc.segment == NULL && !sc.timed && !sc.jq && !sc.in_where);
	x = cond_compile(&c, json_get(&c.doc, 0, "when", 4), &sc);
	if (!x)
		fprintf(stderr, "%s\n", c.err.p);
	T_OK(x != NULL);
	trait_seen = UINT32_MAX;
	cond_reads(x, note, NULL);
	T_EQ_INT(trait_seen, dict_trait(&d, "city", 4)); /* numbered in the dictionary */
	T_EQ_INT(aggs.n, 2); /* count and sum, added inline */

	slots = condbind_layout(&L, &d, &aggs, 3, name_at, names);
	T_OK(slots != NULL);
	T_EQ_INT(slots[1], before);
	T_OK(slots[0] != slots[1] && slots[0] != slots[2] && slots[1] != slots[2]);
	T_EQ_INT(slots[3], 0); /* one more, zeroed */
	{
		uint32_t s;
		T_EQ_INT(dict_get(&d, 'g', "third", 5, &s, NULL), 1);
		T_EQ_INT(s, slots[2]);
		T_EQ_INT(dict_get(&d, 'a', aggs.v[1].canon, strlen(aggs.v[1].canon), &s, NULL), 1);
		T_EQ_INT(s, aggs.v[1].slot);
	}
	T_OK(aggs.v[0].slot != aggs.v[1].slot);
	T_OK(L.specs == aggs.v && L.naggs == 2 && L.tag_slots == slots && L.ntags == 3);
	T_OK(L.agg_of_slot != NULL && L.tag_of_slot != NULL); /* indexed */
	T_EQ_INT(L.tag_of_slot[slots[2]], 2);
	T_EQ_INT(L.agg_of_slot[aggs.v[1].slot], 1);

	cond_free(x);
	conf_release(&c);
	profile_layout_release(&L);
	free(slots);
	agg_set_release(&aggs);
	dict_release(&d);
	store_close(st);
}

int main(void)
{
	char dir[] = "/tmp/uops-t-condbind-XXXXXX";

	T_OK(mkdtemp(dir) != NULL);
	test_names();
	test_earlier();
	test_scope_layout(dir);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("condbind");
}
