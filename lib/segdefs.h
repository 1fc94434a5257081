/*
 * segdefs - the segmenter's definitions: the files of segments under
 * pipelines/segments compiled to conditions (lib/cond), with the
 * aggregates and tags they read, bound to numbers in the tool's
 * dictionary, each value a condition reads given a column (lib/colstore's
 * column id), and each segment's membership (a roaring bitmap of oneids,
 * segmenter.members: key the name, value the portable serialisation).
 *
 * A segment reads only segments defined before it (files in name order,
 * segments in file order), so evaluating them in order is enough. Its
 * canonical text (the condition, with its file's params and aggregates) is
 * what its stored membership was computed from (segmenter.defs).
 *
 * struct segdefs owns everything it holds. Set st, members, defs and
 * names (a dictionary of the caller's, namespaces a(ggregates),
 * t(raits), g (tags) and c(olumns), which outlives d), zero the rest;
 * segdefs_load, then segdefs_bind; free with segdefs_release.
 */
#ifndef UOPS_SEGDEFS_H
#define UOPS_SEGDEFS_H

#include <lmdb.h>
#include <roaring/roaring.h>
#include <stdint.h>

#include "buf.h"
#include "cond.h"
#include "profile.h"

struct store;
struct dict;

struct segdef {
	char *name, *folder, *description, *file;
	char *canon;           /* the definition, as its membership was computed */
	struct cond *when;     /* NULL: a list (static, lookalike) */
	int timed, any_event, traits, stored_only;
	char **events;         /* event types that can change it */
	unsigned nevents;
	unsigned *tags, ntags; /* tags it reads */
	unsigned *deps, ndeps; /* segments it reads */
	unsigned *cols, ncols; /* columns it reads */
	roaring_bitmap_t *m;   /* its members (NULL: not loaded) */
	int dirty;             /* m changed since it was stored (the caller's) */
};

/* a value the definitions read, kept as a column */
struct segdef_col {
	char *canon;          /* the value's canonical text */
	const struct cexpr *x; /* the first of the conditions' values that is it */
	uint32_t id;          /* its column id ('c' in the dictionary) */
	int built;            /* its cells were computed for everyone */
};

struct segdefs {
	struct store *st;
	MDB_dbi members, defs;
	struct dict *names;

	struct agg_set aggs;
	struct segdef *segs;
	unsigned nsegs, capsegs, compiling;
	char **tagnames;
	unsigned ntagnames, captagnames;
	uint32_t *tag_slots; /* by tag: its number in the dictionary */
	struct profile_layout L;
	struct segdef_col *colv;
	unsigned ncols, capcols;
	/* every value of every condition, with its column */
	struct { const struct cexpr *x; unsigned col; } *xcol;
	unsigned nxcol, capxcol;
	unsigned ntimed; /* segments that can change with time alone */
};

/*
 * Compile every segment file in dir (conf_dir: *.json in name order)
 * into d. Returns 0, or the exit status after saying what is wrong
 * (nothing is bound or written then; d is released as usual).
 */
int segdefs_load(struct segdefs *d, const char *dir);
/*
 * Bind what segdefs_load compiled: the aggregates and tags get their
 * numbers in the dictionary (new ones queued with it), the profile layout
 * is indexed, each segment gathers the events, tags, segments and columns
 * it reads (a new column gets an id, not built), and, unless lazy, its
 * membership is read from segmenter.members (empty when none).
 */
void segdefs_bind(struct segdefs *d, int lazy);
/* The index of the segment called name, or -1. */
int segdefs_index(struct segdefs *d, const char *name);
/* The stored membership of name (segmenter.members), or an empty one:
 * the caller's to free. */
roaring_bitmap_t *segdefs_members(struct segdefs *d, const char *name);
/*
 * 1 when a definition's stored membership was computed from something
 * else (or never) or a column is not built, else 0; with out, the names
 * of those definitions are appended to it, comma-separated.
 */
int segdefs_stale(struct segdefs *d, struct buf *out);
/* Mark in skip (by column index) the columns segment i reads, with those
 * of the segments it reads. */
void segdefs_columns(struct segdefs *d, unsigned i, unsigned char *skip);
/* Free what d holds (definitions, memberships loaded, columns' names,
 * the layout); the dictionary is the caller's. */
void segdefs_release(struct segdefs *d);

#endif
