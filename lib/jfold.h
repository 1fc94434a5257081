/*
 * jfold - a scheduler person's state by names: the "state" of the $fold
 * record scheduler writes when a $merge takes a person into a survivor on
 * another stream (README "Scaling out", schemas/system.schema.json).
 *
 * A store numbers journeys, traits, aggregates, tags and segments its own
 * way; a $fold carries a person from one store to another, so it names
 * them: each journey instance by its journey's name with its step id, arm,
 * correlation value and number, times, entries, version and exit reason;
 * the profile as lib/profile's fold form (traits by name, aggregates by
 * their canonical text); tags and segments by name. The text is a
 * function of the person alone (instances in their order, tags and
 * segments in the order of the names given), so a $fold written again
 * (a replay after a kill) is the same bytes.
 *
 *   {"journeys":[{"journey":NAME,"corr":"HEX16","corr_value":JSON|null,
 *     "state":"wait"|"wait_event"|"done"|"armed"|"none","control":BOOL,
 *     "entries":N,"entered":MS|null,"wake":MS|null,"exited":MS|null,
 *     "version":"HEX16","step":STR,"arm":STR,"reason":STR,
 *     "props":JSON|null},…],
 *    "profile":{…profile_fold_write…},
 *    "tags":{NAME:JSON,…},"segments":[NAME,…]}
 */
#ifndef UOPS_JFOLD_H
#define UOPS_JFOLD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "journey.h"
#include "json.h"
#include "profile.h"

/* How a store names what it numbers. ctx is passed back to each. */
struct jfold_names {
	void *ctx;
	/* a journey's name by id; NULL: not defined here (left out) */
	const char *(*journey_name)(void *ctx, uint32_t id);
	/* a journey's id by name (n bytes): 0 with *id set, -1 when not
	 * defined here (the instance is left out) */
	int (*journey_id)(void *ctx, const char *name, size_t n, uint32_t *id);
	/* a trait's name by slot, and a slot by name (profile_fold_write,
	 * profile_fold_read) */
	const char *(*slot_name)(void *ctx, uint32_t slot, size_t *n);
	uint32_t (*name_slot)(void *ctx, const char *name, size_t n);
	/* the profile's tags: p->tags[0..ntags) are the tags named tags[],
	 * p->tags[ntags..ntags + nsegs) the segments named segs[] (set:
	 * a member) */
	char *const *tags;
	unsigned ntags;
	char *const *segs;
	unsigned nsegs;
};

/* A person's instances, read from a fold form (jfold_read): owned, freed
 * by jfold_insts_release. */
struct jfold_insts {
	struct jinst *v;
	unsigned n, cap;
};

/*
 * Append the fold form of a person (instances inst[0..ninst), profile p of
 * layout L) to out, as a JSON object. Instances of journeys nm does not
 * name are left out. Deterministic: the same person writes the same bytes.
 */
void jfold_write(const struct jinst *inst, unsigned ninst, const struct profile *p,
		 const struct profile_layout *L, const struct jfold_names *nm, struct buf *out);

/*
 * Read the fold form at token obj of d: the instances into *out (emptied
 * first; journeys nm does not know left out, their ids nm's), the profile
 * into p (reset first, p->oneid kept; tags and segments nm does not know
 * left out). Returns 0, or -1 when some part was not read (what was is
 * there).
 */
int jfold_read(const struct json_doc *d, uint32_t obj, const struct jfold_names *nm,
	       struct jfold_insts *out, struct profile *p, const struct profile_layout *L);

void jfold_insts_release(struct jfold_insts *v);

#endif
