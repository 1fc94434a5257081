/*
 * t-deferq - deferred sends by stream: each stream's entries come out in
 * (until, send_id) order once its own clock passes them, never when
 * another stream's clock does; a dry run's record comes with its entry;
 * many entries in a random order come out sorted.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deferq.h"
#include "t.h"

int main(void)
{
	struct deferq q;
	struct deferq_ent e;
	char id[32];
	int64_t prev;
	unsigned seed = 7, i, n;

	memset(&q, 0, sizeof q);
	deferq_add(&q, 1, 300, "b", 1, NULL, 0);
	deferq_add(&q, 1, 300, "a", 1, NULL, 0);
	deferq_add(&q, 1, 100, "z", 1, "{\"x\":1}", 7);
	deferq_add(&q, 3, 50, "c", 1, NULL, 0);
	T_EQ_INT(q.total, 4);
	T_EQ_INT(deferq_count(&q, 1), 3);
	T_EQ_INT(deferq_count(&q, 3), 1);
	T_EQ_INT(deferq_count(&q, 2), 0);
	/* stream 3's clock is far on: stream 1's entries stay */
	T_EQ_INT(deferq_pop(&q, 2, 1000, &e), 0);
	T_EQ_INT(deferq_pop(&q, 1, 99, &e), 0);
	T_EQ_INT(deferq_pop(&q, 3, 1000, &e), 1);
	T_EQ_STR(e.id, "c");
	free(e.id);
	T_EQ_INT(deferq_pop(&q, 3, 1000, &e), 0);
	T_EQ_INT(deferq_pop(&q, 1, 300, &e), 1);
	T_EQ_STR(e.id, "z");
	T_EQ_STR(e.send, "{\"x\":1}");
	free(e.id);
	free(e.send);
	T_EQ_INT(deferq_pop(&q, 1, 300, &e), 1);
	T_EQ_STR(e.id, "a");
	T_OK(e.send == NULL);
	free(e.id);
	T_EQ_INT(deferq_pop(&q, 1, 300, &e), 1);
	T_EQ_STR(e.id, "b");
	free(e.id);
	T_EQ_INT(q.total, 0);

	/* many, in a random order, over two streams */
	for (i = 0; i < 5000; i++) {
		seed = seed * 1103515245u + 12345u;
		snprintf(id, sizeof id, "s%u", i);
		deferq_add(&q, i % 2, (seed >> 8) % 1000, id, strlen(id), NULL, 0);
	}
	T_EQ_INT(deferq_count(&q, 0), 2500);
	prev = -1;
	n = 0;
	while (deferq_pop(&q, 0, 500, &e)) {
		T_OK(e.until >= prev && e.until <= 500);
		prev = e.until;
		free(e.id);
		n++;
	}
	T_OK(n > 0 && n < 2500);
	T_EQ_INT(deferq_count(&q, 1), 2500);
	deferq_free(&q);
	T_EQ_INT(q.total, 0);
	deferq_add(&q, 0, 1, "x", 1, NULL, 0);
	deferq_free(&q);
	return t_done("deferq");
}
