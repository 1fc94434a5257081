/*
 * t-pool - batches run by a pool of threads: every item once, by any
 * number of threads (none included), batch after batch, while the caller
 * goes on between start and finish.
 */
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "t.h"

struct batch {
	unsigned *seen; /* times each item was run */
	size_t n;
};

static void square(void *ctx, void *batch, void *arg, size_t from, size_t to)
{
	struct batch *b = batch;
	size_t i;

	(void)ctx;
	(void)arg;
	for (i = from; i < to; i++)
		b->seen[i]++;
}

int main(void)
{
	static const int threads[] = {0, 1, 3};
	void *args[3] = {NULL, NULL, NULL};
	size_t t, round, i;

	for (t = 0; t < sizeof threads / sizeof *threads; t++) {
		struct pool *p = pool_new(threads[t], square, NULL, args);
		struct batch b[2];
		T_EQ_INT(pool_threads(p), threads[t]);
		for (i = 0; i < 2; i++) {
			b[i].n = 5000 + 7 * i;
			b[i].seen = calloc(b[i].n, sizeof *b[i].seen);
		}
		/* two batches in turn: one in flight while the other is
		 * looked at, as ingest does */
		for (round = 0; round < 20; round++) {
			struct batch *cur = &b[round % 2];
			size_t bad = 0;
			pool_start(p, cur, cur->n, 1 + round);
			pool_finish(p, NULL);
			for (i = 0; i < cur->n; i++)
				bad += cur->seen[i] != round / 2 + 1;
			T_EQ_INT(bad, 0);
		}
		pool_finish(p, NULL); /* none in flight: returns */
		pool_free(p);
		free(b[0].seen);
		free(b[1].seen);
	}
	return t_done("t-pool");
}
