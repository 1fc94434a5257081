/*
 * deferq - dispatch's deferred sends in memory, by stream: a send put off
 * (quiet hours, not_before) is decided again when the clock of its stream
 * (the partition its person's records come on; 0 for a file or a pipe)
 * passes its time, never when another partition's clock does. So what an
 * instance writes for a partition does not depend on how its partitions
 * interleave, and a partition moved to another store goes on there with
 * the same decisions.
 *
 * Each stream has a binary min-heap of (until, send_id): a night of quiet
 * hours over millions of people costs a log each, not a shift of the
 * queue. The entries are copies the queue owns; deferq_pop hands one over
 * to the caller.
 */
#ifndef UOPS_DEFERQ_H
#define UOPS_DEFERQ_H

#include <stddef.h>
#include <stdint.h>

struct deferq_ent {
	int64_t until; /* ms since the epoch */
	char *id;      /* the send_id, NUL-terminated */
	char *send;    /* the $send record (kept by a dry run), or NULL */
};

struct deferq_stream; /* deferq.c: one stream's heap */

struct deferq {
	struct deferq_stream *s; /* sorted by stream */
	size_t ns;
	size_t total;            /* entries of every stream */
};

/* Queue send id (idn bytes) of stream until `until`; send (sendn bytes, may
 * be NULL) is copied with it. */
void deferq_add(struct deferq *q, uint32_t stream, int64_t until, const char *id, size_t idn, const char *send,
		size_t sendn);
/* The earliest entry of stream whose until is at or before clock, in
 * (until, send_id) order: 1 with *e set (the caller frees e->id and
 * e->send), 0 when none is due. */
int deferq_pop(struct deferq *q, uint32_t stream, int64_t clock, struct deferq_ent *e);
/* How many entries stream holds. */
size_t deferq_count(const struct deferq *q, uint32_t stream);
/* Free every entry and the queue (left empty, usable again). */
void deferq_free(struct deferq *q);

#endif
