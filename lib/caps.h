/*
 * caps - frequency caps: at most `max` marketing sends to a person in a
 * window of event time (a day, a week …), on one channel or on any, as
 * pipelines/dispatch.json lists them (schemas/dispatch.schema.json).
 *
 * A person's history is a small value (dispatch.caps, by oneid): the time
 * and channel of each marketing send handed to a provider within the
 * longest window, as records of [8-byte big-endian ms][1-byte length]
 * [channel]. A send is allowed by a cap when fewer than `max` of the
 * person's sends it counts (on its channel, or on any when the cap names
 * none) fall in (ts - window, ts]. When a cap is near (fewer than
 * `reserve` of its slots left) only sends of priority `reserve_priority`
 * or more may take the rest: priority decides which send wins the last
 * slots, and a send of lower priority already sent is never recalled.
 */
#ifndef UOPS_CAPS_H
#define UOPS_CAPS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct cap {
	char *name;
	char *channel;   /* NULL: every channel */
	int64_t window_ms;
	long max, reserve;
	double reserve_priority;
};

struct caps {
	struct cap *v;
	size_t n;
	int64_t longest_ms; /* the longest window: older history is pruned */
};

/*
 * Read the "caps" array of object obj of a loaded definition file (struct
 * conf, lib/conf) into c (empty before). Returns 0, or -1 with the
 * conf's error set.
 */
struct conf;
int caps_load(struct caps *c, struct conf *cf, unsigned obj);
void caps_free(struct caps *c);

/*
 * The first cap that refuses a send at ts on channel with priority, given
 * the person's history (hist, n bytes; may be empty), or NULL when every
 * cap allows it. Owned by c.
 */
const struct cap *caps_check(const struct caps *c, const void *hist, size_t n, int64_t ts, const char *channel,
			     double priority);

/*
 * Write into out (reset first) the history hist with a send at ts on
 * channel added and what is older than ts minus the longest window left
 * out.
 */
void caps_add(const struct caps *c, const void *hist, size_t n, int64_t ts, const char *channel, struct buf *out);

/*
 * Fold the history b (bn bytes) of a person merged into another into that
 * person's history a (an bytes): out (reset first) gets both, in time
 * order (a's first on equal times), so the survivor's caps count the sends
 * of both.
 */
void caps_fold(const void *a, size_t an, const void *b, size_t bn, struct buf *out);

#endif
