/*
 * pclock - a clock per stream: "a partition is a stream".
 *
 * A stateful stage decides on event time. When it reads one input (a file,
 * a pipe) that input is one stream with one clock. When it reads several
 * partitions of a Kafka topic, each partition is a stream of its own: the
 * records of one person arrive on one partition (they are keyed by oneid),
 * and each person's decisions are made on the clock of that person's
 * partition, never on the time another partition has reached. So what an
 * instance writes for a partition is the same whatever the order in which
 * its partitions interleave, and equals what a run over that partition
 * alone writes.
 *
 * Each stream has a clock (the greatest event time met on it, ms since the
 * epoch; PCLOCK_NONE before any) and a mark, a tool's own "done up to"
 * (segmenter: the UTC day up to which deadlines have fired on the stream;
 * a tagger: the day of its last sweep). Streams are numbered by the
 * partition (0 for files). A stream not met yet starts from the base:
 * none in a fresh store; in a store written before clocks were kept per
 * stream, the single clock and mark it held (the time every stream had
 * reached then).
 *
 * Kept in the tool's state DB, a key per stream:
 *
 *   clock:N   N the stream in decimal; 16 bytes: the clock, then the mark,
 *             each 8 bytes big-endian, signed
 *   clock:*   the base, as above (only when it is not none)
 *
 * Read before these keys existed: `clock` (8 bytes) and the mark's key
 * given to pclock_load (8 bytes), as the base; they are deleted at the
 * first pclock_save, which writes `clock:*` in their place.
 */
#ifndef UOPS_PCLOCK_H
#define UOPS_PCLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define PCLOCK_NONE INT64_MIN

struct pclock_stream {
	uint32_t stream;
	int64_t clock; /* PCLOCK_NONE before any */
	int64_t mark;  /* PCLOCK_NONE before any */
	int dirty;     /* to write at the next save */
};

struct pclock {
	struct store *st;
	MDB_dbi dbi;
	const char *mark_key;        /* the earlier layout's key of the mark */
	struct pclock_stream *v;     /* sorted by stream */
	size_t n, cap;
	struct pclock_stream base;   /* where a stream not met starts */
	int legacy;                  /* the base came from the earlier keys */
	size_t last;                 /* the entry found last (a hint) */
};

/*
 * Read the clocks of st's DB dbi into c (zeroed or freed before). mark_key
 * (static, e.g. "fired") names the mark's key of the layout before clocks
 * per stream. Returns 0, or -1 on an LMDB error (printed).
 */
int pclock_load(struct pclock *c, struct store *st, MDB_dbi dbi, const char *mark_key);
/* The entry of stream s, made from the base when s was not met yet. The
 * pointer is valid until the next pclock_get of a stream not met, or
 * pclock_free; set dirty after changing it. */
struct pclock_stream *pclock_get(struct pclock *c, uint32_t s);
/* The entry of stream s if it was met (NULL if not); read-only use. */
const struct pclock_stream *pclock_find(const struct pclock *c, uint32_t s);
/* The greatest clock of every stream met and of the base; PCLOCK_NONE when
 * there is none. */
int64_t pclock_max(const struct pclock *c);
/* The least clock of the streams met (the base counts only when no stream
 * was met); PCLOCK_NONE when there is none. What a window of time behind
 * "the clock" that all streams share (a dedupe window) may drop. */
int64_t pclock_min(const struct pclock *c);
/* Move every stream met, and the base, to clock at least, with mark as its
 * mark (a full evaluation at one time for the whole store). */
void pclock_set_all(struct pclock *c, int64_t clock, int64_t mark);
/* Queue the changed entries (and the earlier layout's deletion) into the
 * store's batch: call before every commit. */
void pclock_save(struct pclock *c);
void pclock_free(struct pclock *c);

#endif
