/*
 * t-deferq - deferred sends come out in (until, send_id) order whether
 * they wait in the batch or in the committed DB, across commits, a
 * reopen, and a crash that loses a batch; a dry run keeps them in memory
 * with their records and writes nothing.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "deferq.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* the model: every entry waiting, unordered */
struct ent {
	int64_t until;
	char id[16];
};
static struct ent model[4096];
static size_t nmodel;

/* The earliest entry of the model due at clock, removed: its index in
 * *e, 1; 0 when none is due. */
static int model_pop(int64_t clock, struct ent *e)
{
	size_t i, best = nmodel;

	for (i = 0; i < nmodel; i++)
		if (best == nmodel || model[i].until < model[best].until ||
		    (model[i].until == model[best].until && strcmp(model[i].id, model[best].id) < 0))
			best = i;
	if (best == nmodel || model[best].until > clock)
		return 0;
	*e = model[best];
	model[best] = model[--nmodel];
	return 1;
}

static struct store *reopen(const char *dir, struct deferq *q, int keep)
{
	int code;
	struct store *st = store_open(dir, "dispatch", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	T_OK(deferq_open(q, st, "dispatch.deferred", keep) == 0);
	return st;
}

int main(void)
{
	char dir[] = "/tmp/uops-t-deferq-XXXXXX";
	struct deferq q;
	struct deferq_item x;
	struct store *st;
	struct ent e;
	unsigned long long r = 88172645463325252ull;
	int64_t clock = 1000;
	int i, bad = 0, popped = 0, seq = 0;

	T_OK(mkdtemp(dir) != NULL);
	st = reopen(dir, &q, 0);
	T_EQ_INT(deferq_due(&q, INT64_MAX - 1), 0);
	T_EQ_INT(deferq_pop(&q, INT64_MAX - 1, &x), 0);

	/* random adds (some late, behind the clock), clock moves, pops and
	 * commits, against the model */
	for (i = 0; i < 20000 && !bad; i++) {
		unsigned k;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		k = (unsigned)(r % 100);
		if (k < 45 && nmodel < 4096) {
			struct ent *m = &model[nmodel++];
			m->until = clock - 20 + (int64_t)((r >> 8) % 200);
			snprintf(m->id, sizeof m->id, "s%05d", seq * 7919 % 100000);
			seq++;
			deferq_add(&q, m->until, m->id, strlen(m->id), NULL, 0);
			if (m->until <= clock && !deferq_due(&q, clock))
				bad = 1;
		} else if (k < 60) {
			clock += (int64_t)((r >> 8) % 30);
		} else if (k < 95) {
			int a = deferq_pop(&q, clock, &x), b = model_pop(clock, &e);
			if (a != b || (a && (x.until != e.until || strcmp(x.id, e.id) || x.send)))
				bad = 1;
			if (a) {
				popped++;
				free(x.id);
			}
		} else {
			T_EQ_INT(store_commit(st), 0);
			deferq_committed(&q);
			T_EQ_INT(deferq_in_memory(&q), 0);
		}
	}
	T_EQ_INT(bad, 0);
	T_OK(popped > 3000);

	/* committed and reopened: what waits is read back from the DB in order */
	T_EQ_INT(store_commit(st), 0);
	deferq_committed(&q);
	deferq_free(&q);
	store_close(st);
	st = reopen(dir, &q, 0);
	/* a batch lost to a crash: its pops come back after a reopen */
	clock += 100;
	T_EQ_INT(deferq_pop(&q, clock, &x), 1);
	T_EQ_INT(model_pop(clock, &e), 1);
	T_EQ_INT(x.until, e.until);
	T_EQ_STR(x.id, e.id);
	free(x.id);
	store_discard(st);
	deferq_free(&q);
	store_close(st);
	model[nmodel++] = e;
	st = reopen(dir, &q, 0);
	clock += 1000;
	while (!bad && deferq_pop(&q, clock, &x) == 1) {
		if (!model_pop(clock, &e) || x.until != e.until || strcmp(x.id, e.id))
			bad = 1;
		free(x.id);
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(nmodel, 0);
	T_EQ_INT(deferq_due(&q, clock), 0);
	T_EQ_INT(store_commit(st), 0);
	deferq_free(&q);
	store_close(st);

	/* a dry run: the record kept, nothing written */
	st = reopen(dir, &q, 1);
	deferq_add(&q, 50, "b", 1, "{\"b\":1}", 7);
	deferq_add(&q, 50, "a", 1, "{\"a\":1}", 7);
	T_EQ_INT(deferq_in_memory(&q), 2);
	T_EQ_INT(deferq_pop(&q, 49, &x), 0);
	T_EQ_INT(deferq_pop(&q, 50, &x), 1);
	T_EQ_STR(x.id, "a");
	T_EQ_STR(x.send, "{\"a\":1}");
	free(x.id);
	free(x.send);
	T_EQ_INT(store_pending(st), 0);
	deferq_free(&q);
	store_close(st);

	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("deferq");
}
