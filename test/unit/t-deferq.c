/*
 * t-deferq - deferred sends by stream, in LMDB: each stream's entries come
 * out in (until, send_id) order once its own clock passes them, never when
 * another stream's clock does, whether they wait in the batch or in the
 * committed DB, across commits, a reopen, and a crash that loses a batch;
 * a dry run keeps them in memory with their records and writes nothing.
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

#define NS 3 /* streams of the random run */

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* the model: every entry waiting, unordered */
struct ent {
	uint32_t stream;
	int64_t until;
	char id[16];
};
static struct ent model[4096];
static size_t nmodel;

/* The earliest entry of stream in the model due at clock, removed: 1 with
 * *e set; 0 when none is due. */
static int model_pop(uint32_t stream, int64_t clock, struct ent *e)
{
	size_t i, best = nmodel;

	for (i = 0; i < nmodel; i++) {
		if (model[i].stream != stream)
			continue;
		if (best == nmodel || model[i].until < model[best].until ||
		    (model[i].until == model[best].until && strcmp(model[i].id, model[best].id) < 0))
			best = i;
	}
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
	int64_t clock[NS] = {1000, 5000, 1000};
	int i, bad = 0, popped = 0, seq = 0;
	uint32_t s;

	T_OK(mkdtemp(dir) != NULL);
	st = reopen(dir, &q, 0);
	T_EQ_INT(deferq_due(&q, 0, INT64_MAX - 1), 0);
	T_EQ_INT(deferq_pop(&q, 0, INT64_MAX - 1, &x), 0);

	/* per-stream independence: stream 3's clock far on leaves stream 1's */
	deferq_add(&q, 1, 300, "b", 1, NULL, 0);
	deferq_add(&q, 1, 300, "a", 1, NULL, 0);
	deferq_add(&q, 1, 100, "z", 1, NULL, 0);
	deferq_add(&q, 3, 50, "c", 1, NULL, 0);
	T_EQ_INT(deferq_in_memory(&q), 4);
	T_EQ_INT(store_commit(st), 0);
	deferq_committed(&q);
	T_EQ_INT(deferq_count(&q, 1), 3);
	T_EQ_INT(deferq_count(&q, 3), 1);
	T_EQ_INT(deferq_count(&q, 2), 0);
	T_EQ_INT(deferq_due(&q, 2, 1000), 0);
	T_EQ_INT(deferq_due(&q, 1, 99), 0);
	T_EQ_INT(deferq_pop(&q, 2, 1000, &x), 0);
	T_EQ_INT(deferq_pop(&q, 1, 99, &x), 0);
	T_EQ_INT(deferq_pop(&q, 3, 1000, &x), 1);
	T_EQ_STR(x.id, "c");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 3, 1000, &x), 0);
	T_EQ_INT(deferq_pop(&q, 1, 300, &x), 1);
	T_EQ_STR(x.id, "z");
	T_OK(x.send == NULL);
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 1, 300, &x), 1);
	T_EQ_STR(x.id, "a");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 1, 300, &x), 1);
	T_EQ_STR(x.id, "b");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 1, INT64_MAX - 1, &x), 0);
	T_EQ_INT(store_commit(st), 0);
	deferq_committed(&q);
	T_EQ_INT(deferq_count(&q, 1), 0);
	T_EQ_INT(deferq_count(&q, 3), 0);

	/* random adds on NS streams (some late, behind the stream's clock),
	 * clocks that move apart, pops and commits, against the model */
	for (i = 0; i < 30000 && !bad; i++) {
		unsigned k;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		k = (unsigned)(r % 100);
		s = (uint32_t)((r >> 40) % NS);
		if (k < 45 && nmodel < 4096) {
			struct ent *m = &model[nmodel++];
			m->stream = s;
			m->until = clock[s] - 20 + (int64_t)((r >> 8) % 200);
			snprintf(m->id, sizeof m->id, "s%05d", seq * 7919 % 100000);
			seq++;
			deferq_add(&q, s, m->until, m->id, strlen(m->id), NULL, 0);
			if (m->until <= clock[s] && !deferq_due(&q, s, clock[s]))
				bad = 1;
		} else if (k < 60) {
			clock[s] += (int64_t)((r >> 8) % (s == 2 ? 10 : 30));
		} else if (k < 95) {
			int a = deferq_pop(&q, s, clock[s], &x), b = model_pop(s, clock[s], &e);
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
	T_OK(nmodel > 0);

	/* committed and reopened: what waits is read back from the DB in order */
	T_EQ_INT(store_commit(st), 0);
	deferq_committed(&q);
	deferq_free(&q);
	store_close(st);
	st = reopen(dir, &q, 0);
	/* a batch lost to a crash: its pops come back after a reopen */
	for (s = 0; s < NS; s++)
		clock[s] += 100;
	for (s = 0; s < NS; s++)
		if (deferq_due(&q, s, clock[s]))
			break;
	T_OK(s < NS);
	T_EQ_INT(deferq_pop(&q, s, clock[s], &x), 1);
	T_EQ_INT(model_pop(s, clock[s], &e), 1);
	T_EQ_INT(x.until, e.until);
	T_EQ_STR(x.id, e.id);
	free(x.id);
	store_discard(st);
	deferq_free(&q);
	store_close(st);
	model[nmodel++] = e;
	st = reopen(dir, &q, 0);
	/* stream 0's clock on: only its entries come out */
	clock[0] += 1000;
	while (!bad && deferq_pop(&q, 0, clock[0], &x) == 1) {
		if (!model_pop(0, clock[0], &e) || x.until != e.until || strcmp(x.id, e.id))
			bad = 1;
		free(x.id);
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(deferq_due(&q, 0, clock[0]), 0);
	for (i = 0; i < (int)nmodel; i++)
		if (model[i].stream == 0)
			bad = 1;
	T_EQ_INT(bad, 0);
	T_OK(nmodel > 0);
	for (s = 1; s < NS; s++) {
		clock[s] += 1000;
		while (!bad && deferq_pop(&q, s, clock[s], &x) == 1) {
			if (!model_pop(s, clock[s], &e) || x.until != e.until || strcmp(x.id, e.id))
				bad = 1;
			free(x.id);
		}
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(nmodel, 0);
	T_EQ_INT(store_commit(st), 0);
	deferq_free(&q);
	store_close(st);

	/* a dry run: the record kept, nothing written, by stream */
	st = reopen(dir, &q, 1);
	deferq_add(&q, 4, 50, "b", 1, "{\"b\":1}", 7);
	deferq_add(&q, 4, 50, "a", 1, "{\"a\":1}", 7);
	deferq_add(&q, 5, 10, "c", 1, "{\"c\":1}", 7);
	T_EQ_INT(deferq_in_memory(&q), 3);
	T_EQ_INT(deferq_pop(&q, 4, 49, &x), 0);
	T_EQ_INT(deferq_pop(&q, 4, 50, &x), 1);
	T_EQ_STR(x.id, "a");
	T_EQ_STR(x.send, "{\"a\":1}");
	free(x.id);
	free(x.send);
	T_EQ_INT(deferq_pop(&q, 4, 50, &x), 1);
	T_EQ_STR(x.id, "b");
	free(x.id);
	free(x.send);
	T_EQ_INT(deferq_pop(&q, 4, 50, &x), 0);
	T_EQ_INT(deferq_in_memory(&q), 1);
	T_EQ_INT(store_pending(st), 0);
	deferq_free(&q);
	store_close(st);

	/* a store of a layout before streams led the keys: rewritten once, and
	 * marked (a second call, or a store already marked, changes nothing) */
	st = reopen(dir, &q, 0);
	deferq_free(&q);
	{
		MDB_dbi dbi;
		unsigned char k[9], v[4];
		T_EQ_INT(store_dbi(st, "dispatch.deferred", 0, &dbi), 0);
		store_be64(k, 70);
		k[8] = 'p';
		store_be32(v, 2);
		store_put(st, dbi, k, 9, v, 4);
		store_be64(k, 60);
		k[8] = 'q';
		store_be32(v, 0);
		store_put(st, dbi, k, 9, v, 4);
		store_be64(k, 65); /* a store of one clock: no stream, stream 0 */
		k[8] = 'r';
		store_put(st, dbi, k, 9, "", 0);
		T_EQ_INT(store_commit(st), 0);
	}
	/* one that may not rewrite it (status, a dry run) reads it as it is,
	 * into memory, and writes nothing */
	T_OK(deferq_open_any(&q, st, "dispatch.deferred", "dispatch.state", "deferred:layout", 1) == 0);
	T_EQ_INT(q.old, 1);
	T_EQ_INT(deferq_count(&q, 2), 1);
	T_EQ_INT(deferq_count(&q, 0), 2);
	T_EQ_INT(deferq_due(&q, 0, 59), 0);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 1);
	T_EQ_INT(x.until, 60);
	T_EQ_STR(x.id, "q");
	T_OK(x.send == NULL);
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 1);
	T_EQ_INT(x.until, 65);
	T_EQ_STR(x.id, "r");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 0);
	T_EQ_INT(deferq_pop(&q, 2, 70, &x), 1);
	T_EQ_STR(x.id, "p");
	free(x.id);
	T_EQ_INT(store_pending(st), 0);
	deferq_free(&q);
	T_EQ_INT(deferq_upgrade(st, "dispatch.deferred", "dispatch.state", "deferred:layout"), 0);
	T_EQ_INT(deferq_upgrade(st, "dispatch.deferred", "dispatch.state", "deferred:layout"), 0);
	/* marked now: read from the DB */
	T_OK(deferq_open_any(&q, st, "dispatch.deferred", "dispatch.state", "deferred:layout", 0) == 0);
	T_EQ_INT(q.old, 0);
	T_EQ_INT(deferq_count(&q, 2), 1);
	deferq_free(&q);
	T_OK(deferq_open(&q, st, "dispatch.deferred", 0) == 0);
	T_EQ_INT(deferq_count(&q, 2), 1);
	T_EQ_INT(deferq_count(&q, 0), 2);
	T_EQ_INT(deferq_pop(&q, 2, 69, &x), 0);
	T_EQ_INT(deferq_pop(&q, 2, 70, &x), 1);
	T_EQ_INT(x.until, 70);
	T_EQ_STR(x.id, "p");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 1);
	T_EQ_INT(x.until, 60);
	T_EQ_STR(x.id, "q");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 1);
	T_EQ_INT(x.until, 65);
	T_EQ_STR(x.id, "r");
	free(x.id);
	T_EQ_INT(deferq_pop(&q, 0, 70, &x), 0);
	T_EQ_INT(store_commit(st), 0);
	deferq_free(&q);
	store_close(st);

	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("deferq");
}
