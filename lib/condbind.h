/*
 * condbind - what the definitions of tags (lib/tagdefs) and of segments
 * (lib/segdefs) share when their conditions (lib/cond) are compiled and
 * bound: the scope a definition's conditions are compiled in (trait names
 * numbered in the tool's dictionary), a condition's reference by name to
 * a definition before the one being compiled (tags read tags, segments
 * read segments, in the order they are defined), the names definitions
 * may take, and the binding of what they read to dictionary numbers and a
 * profile layout.
 *
 * It holds nothing: the definitions, the dictionary and the aggregates are
 * the caller's.
 */
#ifndef UOPS_CONDBIND_H
#define UOPS_CONDBIND_H

#include <stdint.h>

#include "cond.h"
#include "profile.h"

struct dict;

/* The kinds of definitions a condition names; they say what went wrong
 * in their own words. */
enum condbind_kind { CONDBIND_TAG, CONDBIND_SEGMENT };

/* The name of definition i of defs (the caller's set). */
typedef const char *condbind_name_fn(const void *defs, unsigned i);

/* Whether s is a definition name (of a tag, segment, journey, step, arm,
 * reason…): lowercase letters, digits and _, not empty. */
int condbind_valid_name(const char *s);

/*
 * Set up sc for compiling the conditions of a definition file: ctx the
 * caller's (passed to sc's tag and segment callbacks, which the caller
 * sets after), named and inline aggregates in aggs, trait names numbered
 * in names (namespace 't'), params the token of the file's "params"
 * object or 0. Everything else is zeroed. aggs and names must outlive
 * the compiling.
 */
void condbind_scope(struct cond_scope *sc, void *ctx, struct agg_set *aggs, struct dict *names,
		    unsigned params);

/*
 * A condition's reference to the definition of kind k called name, while
 * definition number `compiling` of the n in defs is compiled: a
 * definition reads only those before it. Returns its index, or -1 with
 * *why (a static text): itself, defined after it, or no such name.
 */
int condbind_earlier(enum condbind_kind k, const char *name, condbind_name_fn *name_of, const void *defs,
		     unsigned n, unsigned compiling, const char **why);

/*
 * Bind what definitions read: each aggregate of aggs gets its number in
 * names (namespace 'a'), then each of the ntags tags name_of names in
 * defs (namespace 'g'; new numbers are queued with the dictionary); L is
 * pointed at the aggregates and the tags' numbers and indexed. Returns
 * the tags' numbers (ntags + 1 entries, malloc'd: the caller's, to keep
 * while L is used and free after profile_layout_release).
 */
uint32_t *condbind_layout(struct profile_layout *L, struct dict *names, struct agg_set *aggs,
			  unsigned ntags, condbind_name_fn *name_of, const void *defs);

#endif
