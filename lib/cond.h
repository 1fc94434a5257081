/*
 * cond - the condition language shared by tags, segments and journey
 * branches: a JSON tree compiled once and evaluated per profile at a given
 * clock. The semantics are in schemas/condition.schema.json and in
 * cmd/tagger.1 ("CONDITIONS"); in short:
 *
 *   {"and": [C…]}  {"or": [C…]}  {"not": C}  true  false
 *   {VALUE, OP: RHS}           a comparison; OP is eq ne gt gte lt lte in
 *                              not_in exists; without OP, VALUE is truthy
 *   {"never": AGG}             no event matching AGG, ever (count = 0)
 *   {"segment": "name"}        membership (where the caller supports it)
 *   {"jq": "program"}          escape hatch: the program runs on the
 *                              profile as `tagger show` prints it; true
 *                              when its first output is truthy
 *
 * VALUE is one of
 *   {"trait": "gender"}  {"tag": "lifecycle"}  {"agg": "orders_30d"}
 *   {"count"|"sum"|"min"|"max"|"first"|"last"|"distinct"|"top": AGG}
 *   {"days_since": "first_seen"|"last_seen"|AGG}   whole UTC days
 *   {"median_gap": "agg name"}  {"next_date": "agg name"}   (days aggregates)
 *   {"add"|"sub"|"mul"|"div": [VALUE, VALUE]}
 *   {"param": "name"}  a number, string or boolean literal
 *   {"prop": "a.b"}    the current event's props (inside "where" only)
 * and AGG is {"event": "type"|["type"…], "prop": "amount",
 * "where": C, "within": "30d"}.
 *
 * A missing value (no trait, no tag, the last of nothing, a division by
 * zero) makes every comparison false except "exists": false and "ne"/
 * "not_in" against a present value; count, sum and distinct of nothing are 0.
 */
#ifndef UOPS_COND_H
#define UOPS_COND_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "profile.h"

enum cv_kind { CV_NONE, CV_NUM, CV_STR, CV_BOOL, CV_JSON };

/* A value: a number, or JSON text (a string with its quotes, true/false,
 * or any other JSON for CV_JSON). Text points into the profile, the
 * definition or scratch that lives until the next evaluation. */
struct cval {
	int k;
	double num;
	const char *s;
	size_t n;
};

struct cond;
struct cexpr;
struct dict;

/* What a condition may refer to, resolved while compiling. */
struct cond_scope {
	void *ctx;
	/* the aggregates: named ones are looked up, inline ones added */
	struct agg_set *aggs;
	/* the dictionary number of a trait name: in traits (namespace 't')
	 * when it is set (lib/condbind), else trait's answer */
	struct dict *traits;
	uint32_t (*trait)(void *ctx, const char *name);
	/* index of a tag this condition may read, or -1 with *why set */
	int (*tag)(void *ctx, const char *name, const char **why);
	/* index of a segment, or -1 with *why (NULL: no segments here) */
	int (*segment)(void *ctx, const char *name, const char **why);
	unsigned params;  /* token of the definition's "params" object, or 0 */
	int in_where;     /* compiling an aggregate's where: props allowed */
	int timed;        /* set when what was compiled depends on the clock */
	int jq;           /* set when it holds a jq program (one thread only) */
};

/* How to evaluate. */
struct cond_env {
	const struct profile *p;
	const struct profile_layout *L;
	int64_t clock;
	const struct json_doc *doc; /* the event, for where */
	uint32_t ev;
	/* with props_set: the token of the event's props (0: none), else
	 * looked up */
	uint32_t props;
	int props_set;
	void *ctx;
	int (*segment)(void *ctx, unsigned idx);
	/* the profile as JSON, for jq */
	void (*render)(void *ctx, struct buf *out);
	/* optional memo of numeric aggregate results for one profile at one
	 * clock: L->naggs entries, memo_state zeroed by the caller whenever
	 * the profile or the clock changes */
	unsigned char *memo_state;
	struct aggres *memo;
	/* the name of segment idx, for explain (may be NULL) */
	const char *(*segment_name)(void *ctx, unsigned idx);
	/* a value's name for people from its canonical text, for explain
	 * (may be NULL: the canonical text) */
	void (*label)(void *ctx, const char *canon, struct buf *out);
};

/*
 * Compile the condition at token tok of c's document. Returns the tree, or
 * NULL with c->err set ("file: .path: reason").
 */
struct cond *cond_compile(struct conf *c, unsigned tok, struct cond_scope *sc);
/* Compile a VALUE. */
struct cexpr *cexpr_compile(struct conf *c, unsigned tok, struct cond_scope *sc);
void cond_free(struct cond *x);
void cexpr_free(struct cexpr *x);

/*
 * Parse an aggregate spec (AGG) at token tok for function fn into *s (its
 * canonical text set, slot 0); fn AGG_NFN reads it from the spec's "fn"
 * (a named aggregate, which may also carry a "description"). Returns 0 or
 * -1 with c->err set.
 */
int cond_agg_parse(struct conf *c, unsigned tok, struct cond_scope *sc,
		   enum agg_fn fn, struct agg_spec *s);
void agg_spec_release(struct agg_spec *s);

/* Compile a definition file's "aggregates" object (token obj: name →
 * {"fn": …, "event": …}) into named aggregates of the scope. A name
 * defined twice, or two names for one aggregate, are refused. Returns 0 or
 * -1 with c->err set. */
int cond_aggregates(struct conf *c, unsigned obj, struct cond_scope *sc);

/*
 * What a compiled tree reads, each reported to fn (repeats possible):
 * COND_READ_AGG (an aggregate's index), COND_READ_TRAIT (a dictionary
 * number), COND_READ_TAG, COND_READ_SEGMENT (an index), COND_READ_CLOCK
 * (days_since an aggregate's time: the clock itself), COND_READ_SEEN
 * (days_since first_seen or last_seen: the clock, and what every event
 * changes) and COND_READ_ALL (jq: the whole profile and the clock). An
 * answer can change only when one of these does; a windowed aggregate
 * changes with the clock when a day leaves its window.
 */
enum cond_read {
	COND_READ_AGG, COND_READ_TRAIT, COND_READ_TAG, COND_READ_SEGMENT,
	COND_READ_CLOCK, COND_READ_SEEN, COND_READ_ALL,
};
typedef void cond_read_fn(void *ctx, enum cond_read what, unsigned idx);
void cond_reads(const struct cond *x, cond_read_fn *fn, void *ctx);
void cexpr_reads(const struct cexpr *x, cond_read_fn *fn, void *ctx);

/* Evaluate: 1 true, 0 false. */
int cond_eval(const struct cond *x, const struct cond_env *e);
/* Evaluate a value into *out (text valid until the next evaluation). */
void cexpr_eval(const struct cexpr *x, const struct cond_env *e, struct cval *out);

/* Free the calling thread's scratch text (a thread that evaluated ends). */
void cond_scratch_release(void);

/* Is v truthy: true, a non-zero number, a non-empty string. */
int cval_truthy(const struct cval *v);
/* Append v as JSON (null when missing). */
void cval_write(const struct cval *v, struct buf *out);
/* A value from JSON text (a string keeps its quotes). */
void cval_from_json(struct cval *v, const char *s, size_t n);

/* Whole UTC days from day(a) to day(b). */
int64_t cond_days_between(int64_t a, int64_t b);

/*
 * Time. Windows and days_since count whole UTC days, so with no new event a
 * condition can change only when a day begins. cond_next_day returns the
 * first day (days since 1970-01-01, after day(e->clock)) on which x may
 * change with time alone, or INT64_MAX when it cannot: a windowed aggregate
 * when its oldest day leaves the window, days_since compared with constants
 * where the count meets them, days_since in a formula and jq every day.
 * Segment references are left to the caller (INT64_MAX). It may name a day
 * on which nothing changes, never a day later than a change.
 */
int64_t cond_next_day(const struct cond *x, const struct cond_env *e);
/*
 * The first day after day(e->clock) at whose start x's answer differs from
 * its answer at e->clock, with time alone passing, or INT64_MAX: each day
 * on which a part of x may change (as cond_next_day finds them) is tried
 * in turn. Where a part may change any day (days_since in a formula, jq)
 * it is cond_next_day. Segment references keep their answer at e->clock,
 * so the caller takes the earliest of this and the referred segments' own.
 */
int64_t cond_next_flip(const struct cond *x, const struct cond_env *e);
/*
 * The same for a caller that knows x's answer at e->clock (now) and wants
 * only a day before `bound`: the first day before bound on which the
 * answer differs from now, or a day not before bound (INT64_MAX) when
 * there is none. The earliest of several conditions' flips is found with
 * each one's bound the earliest so far.
 */
int64_t cond_next_flip_before(const struct cond *x, const struct cond_env *e, int now,
			      int64_t bound);

/*
 * Days on which something may change with time alone, for a caller that
 * combines several conditions and values (a tag of cases, a rank): each
 * day after day(e->clock) on which a part may change, a superset, and
 * opaque when a part may change on any day (days_since in a formula, jq).
 * Init before use, release after; cond_days_sort sorts them and drops
 * repeats.
 */
struct cond_days {
	int64_t *d;
	size_t n, cap;
	int opaque; /* a part that may change any day */
	int64_t local[64];
};
void cond_days_init(struct cond_days *s);
void cond_days_release(struct cond_days *s);
void cond_days_sort(struct cond_days *s);
/* Add the days on which x's answer may change (as cond_next_flip tries). */
void cond_change_days(const struct cond *x, const struct cond_env *e, struct cond_days *s);
/*
 * Add the days on which value x may change; with ncuts constants k, only
 * those on which x may cross one of them (x compared with each, as a rank
 * does). A days_since with nothing to count from stays missing until an
 * event: no day; one that has, in a formula, any day (opaque).
 */
void cexpr_change_days(const struct cexpr *x, const struct cond_env *e, const double *k, unsigned ncuts,
		       struct cond_days *s);

/*
 * What of x may change on any day, read from the definition alone (no
 * profile): COND_DAILY_DAYS when a days_since is read other than against
 * constants (a number of days in a formula: it moves every day), and
 * COND_DAILY_JQ when a jq program is (it may read the clock); 0 when every
 * change with time falls on a day cond_change_days can name ahead. For a
 * value ranked against cuts (cexpr_daily with cuts set), a days_since
 * crosses each cut on a known day.
 */
#define COND_DAILY_DAYS 1
#define COND_DAILY_JQ 2
int cond_daily(const struct cond *x);
int cexpr_daily(const struct cexpr *x, int cuts);

/* A canonical text of a value (two values with one text are the same
 * value), appended to out. Aggregates are named by their canonical spec,
 * traits and tags by their dictionary numbers in L. */
void cexpr_canon(const struct cexpr *x, const struct profile_layout *L, struct buf *out);
/* Is x a days_since (whose cell holds the day it counts from)? */
int cexpr_is_days(const struct cexpr *x);
/* Is x a constant (a literal or a parameter)? */
int cexpr_is_lit(const struct cexpr *x);
/* Call fn for every value the comparisons of x read (not constants, not
 * values inside an aggregate's where). */
void cond_values(const struct cond *x, void (*fn)(void *ctx, const struct cexpr *v), void *ctx);
/* Call fn for every segment x refers to. */
void cond_segments(const struct cond *x, void (*fn)(void *ctx, unsigned idx), void *ctx);

/* What a value reads: its aggregates (by index), traits (by dictionary
 * number), tags (by index); any_event is set when every event can change
 * it (days_since first/last seen, jq). */
struct cexpr_refs {
	void *ctx;
	void (*agg)(void *ctx, unsigned idx);
	void (*trait)(void *ctx, uint32_t slot);
	void (*tag)(void *ctx, unsigned idx);
	int any_event;
};
void cexpr_refs(const struct cexpr *x, struct cexpr_refs *r);

/*
 * Columns: one 64-bit cell per row (oneid) per value, so a full evaluation
 * reads arrays and never a profile. A cell is a double (a number), or
 * CELL_TEXT | id (JSON text, a string with its quotes, true/false or other
 * JSON, numbered by the caller's dictionary), or CELL_NONE (missing). Both
 * tags are NaN patterns arithmetic never makes, so a numeric comparison on
 * them is false. days_since is kept as the day it counts from, so a cell
 * does not go stale as days pass.
 */
#define CELL_NONE 0xFFF2000000000000ull
#define CELL_TEXT 0xFFF1000000000000ull
#define CELL_IS_TEXT(u) (((u) >> 48) == 0xFFF1u)
/* The value to keep in x's cell for the profile of e (as cexpr_eval, but
 * days_since gives its starting day). */
void cexpr_cell(const struct cexpr *x, const struct cond_env *e, struct cval *out);
/* A number's cell (NaN: CELL_NONE). */
uint64_t cell_of_num(double d);

struct cond_rows {
	void *ctx;
	size_t n;                /* rows 0 … n-1 */
	int64_t today;           /* the day of the clock */
	const uint64_t *present; /* bits: the rows that are people */
	/* the cells of value x, n of them */
	const uint64_t *(*column)(void *ctx, const struct cexpr *x);
	/* the JSON text of dictionary number id (< ntext) */
	void (*text)(void *ctx, uint32_t id, const char **s, size_t *n);
	uint32_t ntext;
	/* the bits of segment idx */
	const uint64_t *(*segment)(void *ctx, unsigned idx);
	/* optional: a cache of numbered leaves' results (cond_number_leaves),
	 * nleaves × (n + 63) / 64 words; leaf_done[i] set once leaf i is in
	 * it. The caller clears leaf_done whenever the rows change. */
	uint64_t *leaf_bits;
	unsigned char *leaf_done;
	unsigned nleaves;
};

/* Give the comparisons of x numbers, the same number to the same
 * comparison (value, operator and operands), so that cond_eval_rows over
 * many trees computes each once. */
struct cond_leaves {
	char **text;
	unsigned n, cap;
};
void cond_number_leaves(struct cond *x, const struct profile_layout *L, struct cond_leaves *ls);
void cond_leaves_release(struct cond_leaves *ls);
/* Evaluate x for every row at once into the bits out ((n + 63) / 64
 * words): the same answer cond_eval gives row by row from the profiles. */
void cond_eval_rows(const struct cond *x, const struct cond_rows *R, uint64_t *out);

/* Append x's tree as JSON with each node's truth ("is") and each value's
 * canonical text ("of") and value, for `explain`. */
void cond_explain(const struct cond *x, const struct cond_env *e, struct buf *out);

#endif
