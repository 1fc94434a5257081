/*
 * t-seen - the set of records applied, against a model: random event_ids
 * over days, repeats, a clock that moves on, commits, prunes and restarts
 * that lose the uncommitted batch (as a crash does), with the ids held in
 * memory and with a limit so low that days are asked of the DBs, each
 * check after the prefetch hints the tools give; and an earlier format's
 * keys (one per id) read as before.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "seen.h"
#include "store.h"
#include "t.h"

#define DAY_MS 86400000LL
#define IDS 400
#define DAYS 12

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static uint64_t rng = 88172645463325252ULL;

static uint32_t below(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* model: per (day, id) 0 unseen, 1 committed, 2 in the batch */
static unsigned char model[DAYS][IDS];

static struct store *open_seen(const char *dir, struct seen *s, size_t held_max, long days)
{
	int code;
	struct store *st = store_open(dir, "t", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	memset(s, 0, sizeof *s);
	s->days = days;
	s->held_max = held_max;
	T_OK(seen_open(s, st, "t.seen") == 0);
	return st;
}

static void run(const char *dir, size_t held_max, unsigned steps)
{
	struct seen s;
	struct store *st;
	const long window = 3;
	int64_t clock = 100 * DAY_MS;
	unsigned i, wrong = 0, dups = 0, restarts = 0;
	char id[32];

	memset(model, 0, sizeof model);
	st = open_seen(dir, &s, held_max, window);
	for (i = 0; i < steps; i++) {
		uint32_t r = below(1000);
		if (r < 3) { /* the clock moves on a day */
			clock += DAY_MS;
		} else if (r < 13) { /* commit */
			int d, k;
			seen_prune(&s, clock);
			T_EQ_INT(store_commit(st), 0);
			for (d = 0; d < DAYS; d++)
				for (k = 0; k < IDS; k++)
					if (model[d][k] == 2)
						model[d][k] = 1;
		} else if (r < 16) { /* a crash: the batch is lost */
			int d, k;
			seen_free(&s);
			store_discard(st);
			store_close(st);
			st = open_seen(dir, &s, held_max, window);
			for (d = 0; d < DAYS; d++)
				for (k = 0; k < IDS; k++)
					if (model[d][k] == 2)
						model[d][k] = 0;
			restarts++;
		} else { /* a record of one of the last days (sometimes too old) */
			int64_t today = clock / DAY_MS;
			int64_t day = today - below((unsigned)window + 1);
			int64_t ts = day * DAY_MS + below(86400) * 1000LL;
			uint32_t k = below(IDS);
			int want, got;
			int slot = (int)(day % DAYS);
			snprintf(id, sizeof id, "ev-%lld-%u", (long long)day, k);
			if (day <= today - window) {
				want = 0; /* older than the window: applied, not kept */
			} else {
				want = model[slot][k] != 0;
				if (!want)
					model[slot][k] = 2;
			}
			{
				/* the hint the tools give for the next record
				 * changes nothing (a line of this id, of
				 * another day, or not an event) */
				char line[96];
				int n = snprintf(line, sizeof line, "{\"event_id\":\"%s\",\"ts\":0}", id);
				seen_prefetch(&s, ts, line, (size_t)n);
				seen_prefetch(&s, clock, line + 1, (size_t)n - 1);
				seen_prefetch(&s, ts, line, 13);
			}
			got = seen_check(&s, ts, clock, id, strlen(id));
			if (got != want && wrong++ < 5)
				fprintf(stderr, "step %u: day %lld id %u: seen_check %d, want %d\n", i,
					(long long)day, k, got, want);
			dups += want;
		}
		/* a day leaving the model's ring is gone from the window */
		memset(model[(clock / DAY_MS + 1) % DAYS], 0, IDS);
	}
	T_EQ_INT(wrong, 0);
	T_OK(dups > steps / 10);  /* the test saw repeats … */
	T_OK(restarts > steps / 1000); /* … and restarts */
	if (!held_max) {
		/* the commits of a day add to its last run: a run a day (of
		 * the days in the window, and the one the prune has yet to
		 * take), not one per commit */
		MDB_txn *txn;
		MDB_stat rs;
		seen_prune(&s, clock);
		T_EQ_INT(store_commit(st), 0);
		txn = store_read_txn(st);
		T_OK(txn != NULL && mdb_stat(txn, s.rdbi, &rs) == 0);
		T_OK(rs.ms_entries <= (size_t)window + 1);
		store_read_end(st);
	}
	seen_free(&s);
	store_discard(st);
	store_close(st);
}

/* An earlier format's keys (day, hash; one per id) are read as before. */
static void old_keys(const char *dir)
{
	struct seen s;
	struct store *st;
	int64_t clock = 200 * DAY_MS + 5;
	int i;
	char id[32];

	st = open_seen(dir, &s, 0, 2);
	/* write ids the way a key per id is written: past the limit */
	s.held_max = 1;
	for (i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "old-%d", i);
		T_EQ_INT(seen_check(&s, clock, clock, id, strlen(id)), 0);
	}
	T_EQ_INT(store_commit(st), 0);
	seen_free(&s);
	store_close(st);
	/* a later run holds them in memory */
	st = open_seen(dir, &s, 0, 2);
	for (i = 0; i < 100; i++) {
		snprintf(id, sizeof id, "old-%d", i);
		T_EQ_INT(seen_check(&s, clock, clock, id, strlen(id)), 1);
	}
	T_EQ_INT(seen_has(&s, clock, clock, "old-7", 5), 1);
	/* hints: of a day held, of one not met, an empty id, no event_id, a
	 * line cut short; none records anything */
	seen_prefetch(&s, clock, "{\"event_id\":\"new\"}", 18);
	seen_prefetch(&s, clock + 9 * DAY_MS, "{\"event_id\":\"new\"}", 18);
	seen_prefetch(&s, clock, "{\"event_id\":\"\"}", 15);
	seen_prefetch(&s, clock, "{\"type\":\"x\",\"event_id\":\"new\"}", 29);
	seen_prefetch(&s, clock, "{\"type\":1}", 10);
	seen_prefetch(&s, clock, "{\"event_id\":\"ne", 15);
	seen_prefetch(&s, clock, "", 0);
	T_EQ_INT(s.nmem, 1);
	T_EQ_INT(seen_has(&s, clock, clock, "new", 3), 0);
	T_EQ_INT(seen_has(&s, clock, clock, "new", 3), 0); /* asking records nothing */
	T_EQ_INT(seen_check(&s, clock, clock, "new", 3), 0);
	T_EQ_INT(seen_has(&s, clock, clock, "new", 3), 1);
	T_EQ_INT(seen_check(&s, clock, clock, "new", 3), 1);
	T_EQ_INT(store_commit(st), 0);
	seen_free(&s);
	store_close(st);
	st = open_seen(dir, &s, 0, 2);
	T_EQ_INT(seen_check(&s, clock, clock, "new", 3), 1);
	T_EQ_INT(seen_check(&s, clock, clock, "old-7", 5), 1);
	/* the window passes: both kinds of keys go */
	clock += 3 * DAY_MS;
	seen_prune(&s, clock);
	T_EQ_INT(store_commit(st), 0);
	{
		MDB_txn *txn = store_read_txn(st);
		MDB_stat a, b;
		T_OK(txn != NULL);
		T_EQ_INT(mdb_stat(txn, s.dbi, &a), 0);
		T_EQ_INT(mdb_stat(txn, s.rdbi, &b), 0);
		T_EQ_INT(a.ms_entries, 0);
		T_EQ_INT(b.ms_entries, 0);
		store_read_end(st);
	}
	seen_free(&s);
	store_close(st);
}

int main(void)
{
	char d1[] = "/tmp/uops-t-seen-XXXXXX", d2[] = "/tmp/uops-t-seen-XXXXXX",
	     d3[] = "/tmp/uops-t-seen-XXXXXX";

	T_OK(mkdtemp(d1) != NULL);
	T_OK(mkdtemp(d2) != NULL);
	T_OK(mkdtemp(d3) != NULL);
	run(d1, 0, 200000);   /* every day held in memory */
	run(d2, 300, 200000); /* past 300 ids, days are asked of the DBs */
	old_keys(d3);
	nftw(d1, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(d2, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(d3, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("seen");
}
