/*
 * condbind - what tag and segment definitions share when their conditions
 * are compiled and bound. See condbind.h.
 */
#include <string.h>

#include "buf.h"
#include "condbind.h"
#include "dict.h"

/* what a reference that cannot be read is, by kind: itself, defined after
 * the one being compiled, no such name */
static const char *const why_not[][3] = {
	[CONDBIND_TAG] = {"a tag cannot read itself",
			  "defined after this tag (a tag reads only tags defined before it)",
			  "no such tag (a tag reads only tags defined before it)"},
	[CONDBIND_SEGMENT] = {"a segment cannot contain itself",
			      "defined after this segment (a segment reads only segments defined before it)",
			      "no such segment (a segment reads only segments defined before it)"},
};

int condbind_valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!(*s == '_' || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
	return 1;
}

void condbind_scope(struct cond_scope *sc, void *ctx, struct agg_set *aggs, struct dict *names,
		    unsigned params)
{
	memset(sc, 0, sizeof *sc);
	sc->ctx = ctx;
	sc->aggs = aggs;
	sc->traits = names;
	sc->params = params;
}

int condbind_earlier(enum condbind_kind k, const char *name, condbind_name_fn *name_of, const void *defs,
		     unsigned n, unsigned compiling, const char **why)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (strcmp(name_of(defs, i), name))
			continue;
		if (i >= compiling) {
			*why = why_not[k][i == compiling ? 0 : 1];
			return -1;
		}
		return (int)i;
	}
	*why = why_not[k][2];
	return -1;
}

uint32_t *condbind_layout(struct profile_layout *L, struct dict *names, struct agg_set *aggs,
			  unsigned ntags, condbind_name_fn *name_of, const void *defs)
{
	uint32_t *slots;
	unsigned i;

	for (i = 0; i < aggs->n; i++)
		aggs->v[i].slot = dict_assign(names, 'a', aggs->v[i].canon, strlen(aggs->v[i].canon));
	slots = xcalloc(ntags + 1, sizeof *slots);
	for (i = 0; i < ntags; i++) {
		const char *name = name_of(defs, i);
		slots[i] = dict_assign(names, 'g', name, strlen(name));
	}
	L->specs = aggs->v;
	L->naggs = aggs->n;
	L->tag_slots = slots;
	L->ntags = ntags;
	profile_layout_index(L);
	return slots;
}
