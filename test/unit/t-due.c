/*
 * t-due - the deadline index against a model: random moves of oneids
 * between days and streams (pages of oneids far apart included), the
 * earliest day and a day's members asked as a firing loop asks them,
 * commits, crashes that lose the uncommitted moves, reopening (the
 * per-oneid days read back from the bitmaps), clearing; and a store that
 * holds a oneid on two days, which keeps the earlier.
 */
#include <ftw.h>
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "due.h"
#include "store.h"
#include "t.h"

#define IDS 3000
#define STREAMS 3
#define DAYS 40

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;

static uint32_t below(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* oneids spread over several pages of 65,536 */
static uint32_t oneid_of(unsigned k)
{
	return k < IDS / 2 ? k + 1 : 200000u * (k % 7) + k;
}

struct ent {
	uint32_t day, stream;
};
static struct ent model[IDS], committed[IDS];

static struct store *open_due(const char *dir, struct due *d, MDB_dbi *dbi)
{
	int code;
	struct store *st = store_open(dir, "t", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.due", 0, dbi) == 0);
	T_OK(due_open(d, st, *dbi) == 0);
	return st;
}

/* d answers as the model does: every oneid's day, every day's members. */
static void check(struct due *d, const char *when)
{
	unsigned k, s, bad = 0;
	uint32_t *ids = NULL, day;
	size_t cap = 0, n, i;
	unsigned long long total = 0;

	for (k = 0; k < IDS; k++) {
		uint32_t stream, got = due_of(d, oneid_of(k), &stream);
		if (got != model[k].day || (got != DUE_NONE && stream != model[k].stream)) {
			if (bad++ < 5)
				fprintf(stderr, "%s: oneid %u: day %u stream %u, want %u %u\n", when, oneid_of(k),
					got, stream, model[k].day, model[k].stream);
		}
		total += model[k].day != DUE_NONE;
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(d->people, total);
	/* the members of each day, walked as a firing loop walks them */
	for (s = 0; s < STREAMS; s++) {
		uint32_t from = 0;
		unsigned long long seen = 0;
		while ((day = due_next_day(d, s, from, 1000 + DAYS)) != DUE_NONE) {
			n = due_day_ids(d, s, day, &ids, &cap);
			T_OK(n > 0);
			T_EQ_INT(due_count(d, s, day), n);
			for (i = 0; i < n; i++) {
				unsigned j;
				for (j = 0; j < IDS && oneid_of(j) != ids[i]; j++)
					;
				T_OK(j < IDS && model[j].day == day && model[j].stream == s);
				T_OK(!i || ids[i - 1] < ids[i]);
			}
			seen += n;
			from = day + 1;
		}
		for (k = 0; k < IDS; k++)
			seen -= model[k].day != DUE_NONE && model[k].stream == s;
		T_EQ_INT(seen, 0);
	}
	free(ids);
}

static void run(const char *dir, unsigned steps)
{
	struct due d;
	struct store *st;
	MDB_dbi dbi;
	unsigned i, k, restarts = 0, commits = 0;

	for (k = 0; k < IDS; k++)
		model[k].day = committed[k].day = DUE_NONE;
	st = open_due(dir, &d, &dbi);
	for (i = 0; i < steps; i++) {
		uint32_t r = below(1000);
		if (r < 10) { /* commit */
			due_save(&d);
			T_EQ_INT(store_commit(st), 0);
			memcpy(committed, model, sizeof model);
			commits++;
		} else if (r < 14) { /* a crash: what was not saved is lost */
			due_free(&d);
			store_discard(st);
			store_close(st);
			st = open_due(dir, &d, &dbi);
			memcpy(model, committed, sizeof model);
			check(&d, "after a restart");
			restarts++;
		} else if (r < 15) { /* forget every deadline */
			due_clear(&d);
			for (k = 0; k < IDS; k++)
				model[k].day = DUE_NONE;
		} else if (r < 40) {
			check(&d, "on the way");
		} else {
			uint32_t day = below(8) ? 1000 + below(DAYS) : DUE_NONE;
			uint32_t s = below(4) ? 0 : below(STREAMS);
			k = below(IDS);
			due_set(&d, s, oneid_of(k), day);
			model[k].day = day;
			model[k].stream = day == DUE_NONE ? 0 : s;
		}
	}
	check(&d, "at the end");
	T_OK(restarts > 3);
	T_OK(commits > 10);
	due_free(&d);
	store_close(st);
}

/* Two days of one stream that both hold oneid 7 (a store written
 * wrongly): the earlier day keeps it, and the later loses it when saved. */
static void twice(const char *dir)
{
	struct due d;
	struct store *st;
	MDB_dbi dbi;
	int code;
	unsigned char key[8];
	uint32_t a[] = {5, 7}, b[] = {7, 9}, stream;
	char buf[256];
	roaring_bitmap_t *r;
	size_t n;

	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st && store_dbi(st, "t.due", 0, &dbi) == 0);
	store_be32(key, 0);
	store_be32(key + 4, 20);
	r = roaring_bitmap_of_ptr(2, a);
	n = roaring_bitmap_portable_serialize(r, buf);
	store_put(st, dbi, key, 8, buf, n);
	roaring_bitmap_free(r);
	store_be32(key + 4, 30);
	r = roaring_bitmap_of_ptr(2, b);
	n = roaring_bitmap_portable_serialize(r, buf);
	store_put(st, dbi, key, 8, buf, n);
	roaring_bitmap_free(r);
	store_put(st, dbi, "bad", 3, "x", 1); /* not a day: skipped */
	T_EQ_INT(store_commit(st), 0);
	store_close(st);

	st = open_due(dir, &d, &dbi);
	T_EQ_INT(due_of(&d, 7, &stream), 20);
	T_EQ_INT(stream, 0);
	T_EQ_INT(due_of(&d, 9, NULL), 30);
	T_EQ_INT(due_count(&d, 0, 30), 1);
	T_EQ_INT(due_next_day(&d, 0, 21, 100), 30);
	T_EQ_INT(due_next_day(&d, 0, 0, 19), DUE_NONE);
	T_EQ_INT(due_next_day(&d, 1, 0, 100), DUE_NONE);
	T_EQ_INT(d.people, 3);
	/* a move to another stream leaves the first */
	due_set(&d, 2, 9, 25);
	T_EQ_INT(due_count(&d, 0, 30), 0);
	T_EQ_INT(due_next_day(&d, 2, 0, 100), 25);
	due_save(&d);
	T_EQ_INT(store_commit(st), 0);
	due_free(&d);
	store_close(st);
	st = open_due(dir, &d, &dbi);
	T_EQ_INT(due_of(&d, 9, &stream), 25);
	T_EQ_INT(stream, 2);
	T_EQ_INT(due_next_day(&d, 0, 21, 100), DUE_NONE); /* day 30 was deleted */
	T_EQ_INT(d.people, 3);
	due_free(&d);
	store_close(st);
}

int main(void)
{
	char dir[] = "/tmp/t-due.XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	run(dir, 20000);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (!mkdtemp(strcpy(dir, "/tmp/t-due.XXXXXX")))
		return 1;
	twice(dir);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("t-due");
}
