/*
 * group - line items into orders: consecutive canonical events that share
 * a key (a prop such as order_id, and the type) become one order event
 * whose props hold the key, the total of the lines' amounts, the number
 * of lines and the lines' props as items. It works on canonical event
 * text, whatever produced it (a jq mapping, CSV columns, canonical input),
 * and keeps the lines of the one open group only: a group ends when a
 * line with another key comes, or when the caller says the input ended.
 *
 * The caller drives it: group_add each line; on GROUP_ENDS end the open
 * group (group_order, group_line_event for each line, group_clear) and add
 * the line again. The group never emits by itself, so the caller decides
 * what an order's outcome is and when positions may move past its lines.
 */
#ifndef UOPS_GROUP_H
#define UOPS_GROUP_H

#include <stddef.h>

#include "buf.h"
#include "json.h"

#define GROUP_MAX_LINES 1000 /* default bound on the lines of one order */

struct group_cfg {
	char *by;          /* the prop that keys a group (owned) */
	char **keep;       /* props copied from the first line to the order */
	size_t nkeep;
	char *lines_type;  /* type of the line events (NULL: no line events) */
	size_t max_lines;  /* more lines than this under one key: rejected */
	size_t max_bytes;  /* an order event longer than this: rejected */
	unsigned max_depth; /* nesting limit for parsing the lines */
};

/* One held line: its event text, and the input record it came from. */
struct group_line {
	size_t ev, ev_n;   /* offsets into group.data */
	size_t raw, raw_n;
	size_t at, at_n;   /* where the record came from ("file:42") */
};

struct group {
	struct group_cfg cfg;
	struct buf key;     /* the open group's key: type, NUL, key text */
	int open;           /* a key is set (lines may be 0 when over) */
	int over;           /* the open key passed max_lines: its lines are
			     * rejected as they come */
	struct buf data;    /* the held lines' bytes */
	struct group_line *l;
	size_t n, cap;
	struct json_doc doc;
	struct buf tmp, tmp2;
	const char **num;   /* scratch for group_order: the amounts */
	size_t *num_n, num_cap;
};

/* What group_add did with a line. */
enum group_took {
	GROUP_PASS,  /* no key: not a line of any order; the caller passes it on */
	GROUP_HELD,  /* kept in the open group */
	GROUP_ENDS,  /* another key: nothing done; end the open group, add again */
	GROUP_OVER,  /* one line too many: the caller rejects the held lines
		      * (group_line), then this one; the group keeps its key and
		      * rejects every further line under it (GROUP_OVER with
		      * no line held) until another key comes */
	GROUP_BAD,   /* the line cannot be part of an order (*why): rejected */
};

/* Start g with cfg, whose strings g takes over (group_free frees them). */
void group_init(struct group *g, const struct group_cfg *cfg);
/* Start g with a copy of model's configuration (nothing else of it). */
void group_init_like(struct group *g, const struct group *model);
/* Free everything g holds, its configuration included. */
void group_free(struct group *g);

/*
 * Offer the canonical event ev (n bytes, one JSON object, with or without
 * event_id) as a line, with the raw input record it came from and where
 * that is (both copied, for rejects written later). The key is the type
 * and props.<by> (a string or a number, written as in ev); a missing,
 * null or empty key, or one of another JSON type, gives GROUP_PASS. A
 * line whose props.amount is there but not a number gives GROUP_BAD with
 * *why (static text).
 */
enum group_took group_add(struct group *g, const char *ev, size_t n, const char *raw,
			  size_t raw_n, const char *at, size_t at_n, const char **why);

/* The lines held in the open group. */
static inline size_t group_lines(const struct group *g)
{
	return g->n;
}

/* Line i of the open group: its event, raw record and place (pointers
 * into g, valid until the next group_add or group_clear). */
void group_line(const struct group *g, size_t i, const char **ev, size_t *ev_n,
		const char **raw, size_t *raw_n, const char **at, size_t *at_n);

/*
 * The open group as one event, appended to out: the first line's fields
 * (ts, type, ids, source, channel, traits, …; not its event_id) with props
 * {BY: key, KEEP…: as on the first line, "amount": the sum of the lines'
 * amounts (exact in decimal; absent when no line has one), "lines": the
 * number of lines, "items": [each line's props, in input order]}.
 * Returns 0, or -1 with *why (static text) when the event would be longer
 * than max_bytes or a line does not parse (then out is undefined).
 */
int group_order(struct group *g, struct buf *out, const char **why);

/*
 * Line i as a line event appended to out: the line with its type set to
 * lines_type and props.line set to i + 1 (its place in the order, so that
 * two equal lines of one order stay two events), its event_id kept when
 * it has one. Returns 0, or -1 when there is no lines_type or the line
 * does not parse.
 */
int group_line_event(struct group *g, size_t i, struct buf *out);

/* Forget the held lines (the key stays, for GROUP_OVER). */
void group_drop_lines(struct group *g);
/* Close the open group: no key, no lines. */
void group_clear(struct group *g);

/*
 * The sum of n JSON numbers (texts nums[i], lengths lens[i]) written to
 * out as a JSON number: exact in decimal when every number is plain with
 * at most 9 decimals and the sum fits (15.3 + 20.34 is 35.64, trailing
 * zeros dropped), else the double sum with 17 significant digits.
 */
void group_sum(const char *const *nums, const size_t *lens, size_t n, struct buf *out);

#endif
