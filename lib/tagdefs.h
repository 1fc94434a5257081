/*
 * tagdefs - the tagger's definitions: the files of tags under
 * pipelines/tags compiled (lib/cond conditions, cases, formulas, ranks),
 * with the aggregates they read, what each tag's conditions read (so an
 * evaluation can keep a value whose inputs did not change), whether time
 * alone can change it, and whether it is computed only when read (a
 * number of days since something, or a tag that reads one).
 *
 * A tag reads only tags defined before it (files in name order, tags in
 * file order). The hash of the files' text, in the order read, tells
 * whether the profiles' tags were computed by these definitions.
 *
 * struct tagdefs owns everything it holds. Set st, facts (tagger.facts,
 * for the rank cut points) and names (a dictionary of the caller's,
 * namespaces a(ggregates), t(raits), g (tags), which outlives d), zero the
 * rest; tagdefs_load, then tagdefs_bind; free with tagdefs_release.
 */
#ifndef UOPS_TAGDEFS_H
#define UOPS_TAGDEFS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "cond.h"
#include "profile.h"

struct store;
struct dict;

enum { TAGDEF_BOOL, TAGDEF_ENUM, TAGDEF_NUMBER, TAGDEF_STRING };
/* the type names, by type, NULL after the last */
extern const char *const tagdef_type_names[];

struct tagdef_case {
	struct cond *when;
	char *value; /* JSON text */
	size_t vlen;
};

struct tagdef {
	char *name, *folder, *description, *file;
	int type;
	struct cond *when;      /* bool */
	struct tagdef_case *cases;    /* enum, number, string */
	unsigned ncases;
	char *else_v;           /* JSON text or NULL */
	size_t else_len;
	char **values;          /* enum: the allowed values (JSON text) */
	unsigned nvalues;
	struct cexpr *value;    /* formula */
	struct cexpr *rank_of;  /* rank: score 1..rank_n against facts */
	struct cond *rank_where;
	unsigned rank_n;
	int rank_desc;
	double *cuts;
	unsigned ncuts;
	int timed;
	uint32_t slot;
	size_t nlen;            /* strlen(name) */
	/* what its conditions read (cond_reads): an evaluation keeps the
	 * value when none of it changed (inputs_same) */
	unsigned *rd_agg, nrd_agg;
	unsigned *rd_tag, nrd_tag;
	int rd_trait;  /* reads a trait */
	int rd_clock;  /* reads the clock itself (days_since) or runs jq */
	/* its value moves on any day, as a number of days since something
	 * does: computed when read (show, export), at the clock, never kept
	 * nor on the stream, where it would be a $tag a day for everyone */
	int at_read;
};

struct tagdefs {
	struct store *st;
	MDB_dbi facts;
	struct dict *names;

	struct agg_set aggs;
	struct tagdef *tags;
	unsigned ntags, captags;
	uint32_t *tag_slots; /* by tag: its number in the dictionary */
	struct profile_layout L;
	unsigned compiling; /* the tag being compiled */
	int compiling_timed;
	int has_jq;         /* a definition runs jq: evaluate in one thread */
	uint64_t defs_hash; /* of the definition files, in the order read */
};

/*
 * Compile every tag file in dir (conf_dir: *.json in name order) into d,
 * hashing their text into d->defs_hash, and mark the tags computed when
 * read. Returns 0, or the exit status after saying what is wrong (78).
 */
int tagdefs_load(struct tagdefs *d, const char *dir);
/*
 * Give the aggregates and tags their numbers in the dictionary (new ones
 * queued with it), read each rank tag's cut points from tagger.facts
 * (kept when they are as many as its ranks less one), and index the
 * profile layout. Returns 0.
 */
int tagdefs_bind(struct tagdefs *d);
/* Free what d holds (definitions, slots, the layout); the dictionary is
 * the caller's. */
void tagdefs_release(struct tagdefs *d);

#endif
