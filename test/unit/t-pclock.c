/*
 * t-pclock - clocks per stream: streams made from the base, kept across a
 * commit and a reopen, lost with a batch that never committed (as a crash
 * loses it), max and min over the streams, every stream moved to one time;
 * and a store of the layout before (one `clock` and a mark) read as the
 * base of every stream, its keys replaced at the first save.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pclock.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct store *open_st(const char *dir, MDB_dbi *dbi)
{
	int code;
	struct store *st = store_open(dir, "t", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.state", 0, dbi) == 0);
	return st;
}

static void streams(const char *dir)
{
	struct pclock c;
	struct pclock_stream *e;
	struct store *st;
	MDB_dbi dbi;
	MDB_val v;

	st = open_st(dir, &dbi);
	T_OK(pclock_load(&c, st, dbi, "fired") == 0);
	T_EQ_INT(c.n, 0);
	T_OK(pclock_max(&c) == PCLOCK_NONE);
	T_OK(pclock_min(&c) == PCLOCK_NONE);
	T_OK(pclock_find(&c, 3) == NULL);
	e = pclock_get(&c, 3);
	T_OK(e->clock == PCLOCK_NONE && e->mark == PCLOCK_NONE && e->stream == 3);
	e->clock = 5000;
	e->mark = 0;
	e->dirty = 1;
	e = pclock_get(&c, 1);
	e->clock = 9000;
	e->dirty = 1;
	e = pclock_get(&c, 12);
	e->clock = 7000;
	e->dirty = 1;
	T_EQ_INT(c.n, 3);
	T_EQ_INT(c.v[0].stream, 1);
	T_EQ_INT(c.v[1].stream, 3);
	T_EQ_INT(c.v[2].stream, 12);
	T_EQ_INT(pclock_get(&c, 3)->clock, 5000); /* found, not made again */
	T_EQ_INT(pclock_max(&c), 9000);
	T_EQ_INT(pclock_min(&c), 5000);
	pclock_save(&c);
	T_OK(store_commit(st) == 0);
	/* a change that never commits is lost */
	pclock_get(&c, 3)->clock = 99999;
	pclock_get(&c, 3)->dirty = 1;
	pclock_get(&c, 4)->clock = 1;
	pclock_save(&c);
	store_discard(st);
	pclock_free(&c);
	store_close(st);

	st = open_st(dir, &dbi);
	T_OK(pclock_load(&c, st, dbi, "fired") == 0);
	T_EQ_INT(c.n, 3);
	T_EQ_INT(pclock_find(&c, 3)->clock, 5000);
	T_EQ_INT(pclock_find(&c, 3)->mark, 0);
	T_EQ_INT(pclock_find(&c, 1)->clock, 9000);
	T_OK(pclock_find(&c, 1)->mark == PCLOCK_NONE);
	T_OK(pclock_find(&c, 4) == NULL);
	T_OK(c.base.clock == PCLOCK_NONE);
	/* one time for the whole store: every stream and the base */
	pclock_set_all(&c, 8000, 7);
	T_EQ_INT(pclock_find(&c, 1)->clock, 9000); /* never back */
	T_EQ_INT(pclock_find(&c, 3)->clock, 8000);
	T_EQ_INT(pclock_find(&c, 12)->mark, 7);
	T_EQ_INT(pclock_get(&c, 30)->clock, 8000); /* a new stream starts there */
	pclock_save(&c);
	T_OK(store_commit(st) == 0);
	T_EQ_INT(store_get(st, dbi, "clock:*", 7, &v), 1);
	T_EQ_INT(store_get(st, dbi, "clock:30", 8, &v), 1);
	T_EQ_INT(v.mv_size, 16);
	pclock_free(&c);
	store_close(st);
}

static void earlier_layout(const char *dir)
{
	struct pclock c;
	struct store *st;
	MDB_dbi dbi;
	MDB_val v;
	unsigned char b[8];

	st = open_st(dir, &dbi);
	store_be64(b, (uint64_t)1234567);
	store_put(st, dbi, "clock", 5, b, 8);
	store_be64(b, (uint64_t)14);
	store_put(st, dbi, "fired", 5, b, 8);
	store_put(st, dbi, "people", 6, "x", 1); /* not a clock */
	T_OK(store_commit(st) == 0);
	T_OK(pclock_load(&c, st, dbi, "fired") == 0);
	T_EQ_INT(c.n, 0);
	T_EQ_INT(c.base.clock, 1234567);
	T_EQ_INT(c.base.mark, 14);
	T_EQ_INT(pclock_max(&c), 1234567);
	T_EQ_INT(pclock_min(&c), 1234567);
	/* every stream starts at the one clock the store had */
	T_EQ_INT(pclock_get(&c, 0)->clock, 1234567);
	T_EQ_INT(pclock_get(&c, 2)->mark, 14);
	pclock_get(&c, 2)->clock = 2000000;
	T_EQ_INT(pclock_min(&c), 1234567);
	T_EQ_INT(pclock_max(&c), 2000000);
	pclock_save(&c);
	T_OK(store_commit(st) == 0);
	T_EQ_INT(store_get(st, dbi, "clock", 5, &v), 0);
	T_EQ_INT(store_get(st, dbi, "fired", 5, &v), 0);
	T_EQ_INT(store_get(st, dbi, "people", 6, &v), 1);
	pclock_free(&c);
	store_close(st);

	st = open_st(dir, &dbi);
	T_OK(pclock_load(&c, st, dbi, "fired") == 0);
	T_EQ_INT(c.base.clock, 1234567);
	T_EQ_INT(c.base.mark, 14);
	T_EQ_INT(c.n, 2);
	T_EQ_INT(pclock_find(&c, 2)->clock, 2000000);
	T_EQ_INT(pclock_get(&c, 7)->clock, 1234567);
	T_OK(!c.legacy);
	pclock_free(&c);
	store_close(st);
}

int main(void)
{
	char a[] = "/tmp/t-pclock.XXXXXX", b[] = "/tmp/t-pclock.XXXXXX";

	T_OK(mkdtemp(a) != NULL);
	T_OK(mkdtemp(b) != NULL);
	streams(a);
	earlier_layout(b);
	nftw(a, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(b, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("pclock");
}
