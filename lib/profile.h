/*
 * profile - one person's compact binary profile: traits (latest value and
 * its time), first/last seen, the aggregates the definitions ask for, and
 * the current tag values. Owned by tagger (tagger.profiles), read by the
 * stages after it.
 *
 * An aggregate is count / sum / min / max / first / last / distinct / top /
 * days of the events of some types, optionally filtered on their props,
 * over the whole life or over a rolling window of whole UTC days. A
 * windowed aggregate keeps one cell per UTC day with events (sparse), and
 * drops days that have left its window. Time is event time: "within 7d" at
 * clock C means the days day(C)-6 … day(C), day(t) = floor(t / 86400000).
 *
 * Aggregates are exact and mergeable: folding one person's profile into
 * another gives the profile the union of their events would have built, in
 * any order. Numbers are kept as fixed point with 4 decimals, so sums do
 * not depend on the order of addition. Two kinds are bounded: distinct
 * keeps the 256 smallest 32-bit hashes of the values (exact up to 256
 * values, an estimate beyond), days keeps the latest 64 active days; top
 * keeps 16 values with their counts (exact while a person has at most 16
 * different values).
 *
 * Encoded records name aggregates, traits and tags by small numbers from a
 * dictionary (tagger.dict) that never reuses a number, so a definition
 * change leaves the other aggregates readable.
 */
#ifndef UOPS_PROFILE_H
#define UOPS_PROFILE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "json.h"

#define DAY_MS 86400000LL
#define PROFILE_FORMAT 1
#define AGG_DISTINCT_K 256
#define AGG_DAYS_K 64
#define AGG_TOP_K 16
#define FIX_SCALE 10000.0 /* fixed point: 4 decimals */

enum agg_fn {
	AGG_COUNT,
	AGG_SUM,
	AGG_MIN,
	AGG_MAX,
	AGG_FIRST,
	AGG_LAST,
	AGG_DISTINCT,
	AGG_TOP,
	AGG_DAYS,
	AGG_NFN
};
extern const char *const agg_fn_names[AGG_NFN];

struct cond;

/* What to aggregate. */
struct agg_spec {
	enum agg_fn fn;
	char **events;       /* event types; none: every event */
	unsigned nevents;
	char *prop;          /* props key ("a.b" for nested), or NULL */
	struct cond *where;  /* filter on the event (may be NULL) */
	unsigned window;     /* days; 0: the whole life */
	char *name;          /* given name, or NULL for an inline aggregate */
	char *canon;         /* canonical text: what makes two specs the same */
	uint32_t slot;       /* number in the dictionary */
};

/* Aggregate specs, each once (by canonical text), in the order added:
 * what a tool's definitions ask profiles to keep (lib/cond fills it). */
struct agg_set {
	struct agg_spec *v;
	unsigned n, cap;
};
/* The index of the spec named name, or -1. */
int agg_set_find(const struct agg_set *a, const char *name);
/* The index of the spec with s's canonical text: an existing one, or s
 * itself added (the set takes it and zeroes *s). */
unsigned agg_set_add(struct agg_set *a, struct agg_spec *s);
void agg_set_release(struct agg_set *a);

struct top_ent {
	uint32_t count;
	struct buf v; /* the value as compact JSON */
};

/* One aggregate's state for one day, or for the whole life. */
struct cell {
	int64_t n;        /* events counted (values, for value aggregates) */
	int64_t sum;      /* fixed point */
	int64_t min, max; /* fixed point */
	int64_t ts;       /* first/last: time of the value */
	struct buf v;     /* first/last: the value as compact JSON */
	uint32_t *set;    /* distinct: sorted hashes; days: sorted days */
	unsigned nset, capset;
	struct top_ent *top;
	unsigned ntop, captop;
};

struct bucket {
	int32_t day;
	struct cell c;
};

/* An aggregate in a profile: one cell (lifetime) or day buckets. */
struct aggval {
	int present;
	struct cell life;
	struct bucket *b; /* sorted by day */
	unsigned nb, capb;
	/* the bytes profile_decode read it from, while unchanged (NULL once
	 * it changes): what profile_encode writes again when p->src_live */
	const unsigned char *raw;
	size_t rawlen;
	const unsigned char *hdr; /* where its number begins, before raw */
	int lazy; /* profile_decode_lazy: not decoded yet (raw holds it) */
};

struct prof_trait {
	uint32_t name; /* dictionary number */
	int64_t ts;
	struct buf v;  /* compact JSON */
};

struct prof_tag {
	int set;
	struct buf v; /* compact JSON */
};

/*
 * A decoded profile. The arrays are sized by the definitions in use
 * (naggs specs, ntags tags); their memory is kept and reused by the next
 * decode, so one struct serves a whole run.
 */
struct profile {
	uint32_t oneid;
	uint64_t nevents;
	int64_t first_seen, last_seen; /* ms; valid when nevents > 0 */
	struct prof_trait *traits;
	unsigned ntraits, captraits;
	struct aggval *aggs;
	unsigned naggs;
	struct prof_tag *tags;
	unsigned ntags;
	/* set by the caller after profile_decode when the record decoded
	 * stays in place until profile_encode: the aggregates that did not
	 * change are copied from it, not encoded again */
	int src_live;
	/* the record's tags, as decode read them (every one known to the
	 * layout): with src_live, profile_encode copies them. Whoever
	 * changes tags[] sets it to NULL. */
	const unsigned char *tags_raw;
	size_t tags_rawlen;
};

/* The dictionary numbers of the definitions in use, for decoding. */
struct profile_layout {
	const struct agg_spec *specs; /* naggs of them, in use order */
	unsigned naggs;
	const uint32_t *tag_slots;    /* ntags dictionary numbers */
	unsigned ntags;
	/* slot → index maps, built by profile_layout_index */
	int32_t *agg_of_slot, *tag_of_slot;
	uint32_t nagg_slots, ntag_slots;
	/* the indices in slot order (naggs, ntags of them): the order of
	 * the encoding */
	uint32_t *agg_order, *tag_order;
	/* by event type, built by profile_layout_index: the specs that take
	 * an event of the type, in index order (the specs of every type
	 * among them); any: those alone, for a type no spec names */
	struct layout_type *types;
	unsigned ntypes;
	uint32_t *by_type, *any;
	unsigned nany;
};
struct layout_type {
	const char *name;
	size_t len;
	uint32_t first, n; /* in by_type */
};

/* Build the slot → index maps (after specs and tag_slots are set). */
void profile_layout_index(struct profile_layout *L);
void profile_layout_release(struct profile_layout *L);

/* Size p's arrays for L and empty it (keeps memory). */
void profile_reset(struct profile *p, const struct profile_layout *L, uint32_t oneid);
void profile_release(struct profile *p);

/*
 * Decode a record written by profile_encode. Aggregates and tags whose
 * numbers L does not use are skipped. Returns 0, or -1 for a record that
 * is damaged or of another format.
 */
int profile_decode(struct profile *p, const struct profile_layout *L,
		   const void *rec, size_t n);
/* The same, but each aggregate is decoded only when something reads it
 * (profile_agg, profile_prune, profile_apply …): for a caller that keeps
 * the record in place until profile_encode (src_live is set), and reads
 * few of the aggregates (a sweep). A damaged aggregate reads as empty. */
int profile_decode_lazy(struct profile *p, const struct profile_layout *L,
			const void *rec, size_t n);
/* Decode aggregate i of p if it is still lazy (p is changed only in
 * that: the aggregate's value stays what the record says). */
void profile_agg_ready(const struct profile *p, const struct profile_layout *L, unsigned i);
/* Encode p into out (reset first). */
void profile_encode(const struct profile *p, const struct profile_layout *L,
		    struct buf *out);
/* The same, appended to out. */
void profile_encode_add(const struct profile *p, const struct profile_layout *L,
			struct buf *out);

/*
 * Apply one event (token ev of d, a canonical event object) at time ts:
 * first/last seen, traits (trait names numbered through name_slot, which
 * returns the dictionary number of a trait name or UINT32_MAX when the
 * dictionary is full) and every aggregate whose spec matches. where
 * filters are evaluated by match(ctx, spec, d, ev). profile_apply_at takes
 * the tokens of the event's props and traits (0: none) as found already.
 */
void profile_apply_at(struct profile *p, const struct profile_layout *L,
		      const struct json_doc *d, uint32_t ev, uint32_t props, uint32_t traits,
		      const char *type, size_t tlen, int64_t ts,
		      uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		      int (*match)(void *ctx, const struct agg_spec *s,
				   const struct json_doc *d, uint32_t ev),
		      void *ctx);
void profile_apply(struct profile *p, const struct profile_layout *L,
		   const struct json_doc *d, uint32_t ev, const char *type,
		   size_t tlen, int64_t ts,
		   uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		   int (*match)(void *ctx, const struct agg_spec *s,
				const struct json_doc *d, uint32_t ev),
		   void *ctx);

/* Set trait number slot to the JSON text json (n bytes, copied) as of ts,
 * as an event carrying it would (the latest value wins), without
 * counting an event or touching an aggregate. */
void profile_trait_set(struct profile *p, uint32_t slot, int64_t ts, const char *json, size_t n);

/* Fold src into dst (both decoded with L). Tags are left to the caller. */
void profile_merge(struct profile *dst, const struct profile *src,
		   const struct profile_layout *L);

/* Drop day buckets older than each aggregate's window at clock. */
void profile_prune(struct profile *p, const struct profile_layout *L, int64_t clock);
/* Does windowed aggregate i hold a day that is out of its window at clock
 * (what profile_prune would drop)? When not, its value is the same at
 * clock as at any time since its last event. Reads a lazy aggregate's
 * first day from its bytes; 0 for a whole-life or absent aggregate. */
int profile_window_moved(const struct profile *p, const struct profile_layout *L,
			 unsigned i, int64_t clock);

/* The value of an aggregate at clock. */
struct aggres {
	int has;          /* 0: no value (no events, or min/max/first/last of none) */
	double num;       /* count, sum, min, max, distinct count, days: median gap */
	int64_t ts;       /* first/last: when; days: last active day (ms) */
	const char *s;    /* first/last/top: the value as compact JSON */
	size_t n;
	int is_num;       /* first/last/top: the value is a JSON number */
};
void profile_agg(const struct profile *p, const struct profile_layout *L,
		 unsigned i, int64_t clock, struct aggres *r);
/* Free the calling thread's scratch of profile_agg (a thread that
 * evaluated ends). */
void profile_scratch_release(void);

/* Parse a JSON number token's text as fixed point; 0 ok, -1 out of range. */
int fix_parse(const char *s, size_t n, int64_t *out);
/* Append a fixed-point number as the shortest decimal text. */
void fix_write(struct buf *b, int64_t v);

/*
 * The fold form of p: its state as another store reads it, with names
 * where the encoding has dictionary numbers (a $fold record carries it
 * from one instance's store to another's). A JSON object appended to out:
 * {"events":N,"first_seen":MS,"last_seen":MS,"traits":{NAME:[MS,VALUE],…},
 * "aggs":{CANONICAL TEXT:"HEX",…}}, an aggregate's hex the bytes of its
 * cells as the encoding writes them. Tags are left out: they are
 * evaluated again on the profile they are folded into. slot_name gives a
 * trait's name (NULL: left out). Deterministic: the same profile writes
 * the same bytes.
 */
void profile_fold_write(const struct profile *p, const struct profile_layout *L,
			const char *(*slot_name)(void *ctx, uint32_t slot, size_t *n), void *ctx,
			struct buf *out);
/* Read the fold form at token obj of d into p (reset first; p->oneid
 * kept), traits named through name_slot (UINT32_MAX: left out); the
 * aggregates L does not ask for are left out. 0, or -1 when some part was
 * not read (what was is there). */
int profile_fold_read(struct profile *p, const struct profile_layout *L, const struct json_doc *d,
		      uint32_t obj, uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		      void *ctx);

#endif
