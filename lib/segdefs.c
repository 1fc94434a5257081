/*
 * segdefs - the segmenter's definitions: compiled, bound to numbers and
 * columns, their memberships. See segdefs.h.
 */
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "cond.h"
#include "condbind.h"
#include "conf.h"
#include "dict.h"
#include "json.h"
#include "profile.h"
#include "segdefs.h"
#include "store.h"

static const char *seg_name(const void *defs, unsigned i)
{
	return ((const struct segdefs *)defs)->segs[i].name;
}

static const char *tag_name(const void *defs, unsigned i)
{
	return ((const struct segdefs *)defs)->tagnames[i];
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	struct segdefs *d = ctx;
	unsigned i;

	for (i = 0; i < d->ntagnames; i++)
		if (!strcmp(d->tagnames[i], name))
			return (int)i;
	if (!condbind_valid_name(name)) {
		*why = "not a tag name (lowercase letters, digits and _)";
		return -1;
	}
	if (d->ntagnames == d->captagnames) {
		d->captagnames = d->captagnames ? d->captagnames * 2 : 16;
		d->tagnames = xrealloc(d->tagnames, d->captagnames * sizeof *d->tagnames);
	}
	d->tagnames[d->ntagnames] = xstrdup(name);
	return (int)d->ntagnames++;
}

static int sc_segment(void *ctx, const char *name, const char **why)
{
	struct segdefs *d = ctx;

	return condbind_earlier(CONDBIND_SEGMENT, name, seg_name, d, d->nsegs, d->compiling, why);
}

static void scope_init(struct segdefs *d, struct cond_scope *sc, unsigned params)
{
	condbind_scope(sc, d, &d->aggs, d->names, params);
	sc->tag = sc_tag;
	sc->segment = sc_segment;
}

static int load_segment(struct segdefs *d, struct conf *c, unsigned obj, unsigned params, unsigned aggs)
{
	static const char *const keys[] = {"name", "folder", "description", "when", "static", NULL};
	const struct json_doc *doc = &c->doc;
	struct segdef *s;
	struct cond_scope sc;
	struct buf canon = BUF_INIT;
	unsigned v, st, i;

	if (doc->t[obj].type != JSON_OBJECT)
		return conf_fail(c, obj, NULL, "want a segment definition object");
	if (conf_keys(c, obj, keys))
		return -1;
	if (d->nsegs == d->capsegs) {
		d->capsegs = d->capsegs ? d->capsegs * 2 : 32;
		d->segs = xrealloc(d->segs, d->capsegs * sizeof *d->segs);
	}
	s = &d->segs[d->nsegs];
	memset(s, 0, sizeof *s);
	s->file = xstrdup(c->path);
	d->compiling = d->nsegs;
	d->nsegs++; /* owned from here: freed on failure too */
	if (conf_str(c, obj, "name", &s->name) != 1)
		return conf_fail(c, obj, "name", "every segment needs a name");
	if (!condbind_valid_name(s->name))
		return conf_fail(c, obj, "name", "'%s': use lowercase letters, digits and _", s->name);
	for (i = 0; i + 1 < d->nsegs; i++)
		if (!strcmp(d->segs[i].name, s->name))
			return conf_fail(c, obj, "name", "segment '%s' is also defined in %s", s->name, d->segs[i].file);
	if (conf_str(c, obj, "folder", &s->folder) < 0 || conf_str(c, obj, "description", &s->description) < 0)
		return -1;
	v = json_get(doc, obj, "when", 4);
	st = json_get(doc, obj, "static", 6);
	if (st && doc->t[st].type != JSON_TRUE)
		return conf_fail(c, obj, "static", "want true (a list uploaded with `segmenter upload`)");
	if (!v == !st)
		return conf_fail(c, obj, NULL, "a segment has exactly one of \"when\" (a condition) or \"static\": true");
	if (st) {
		s->canon = xstrdup("static");
		return 0;
	}
	scope_init(d, &sc, params);
	if (!(s->when = cond_compile(c, v, &sc)))
		return -1;
	s->timed = sc.timed;
	/* what its membership was computed from: the condition, the file's
	 * params and aggregates */
	json_write_tok(doc, v, &canon);
	if (params) {
		buf_adds(&canon, " params ");
		json_write_tok(doc, params, &canon);
	}
	if (aggs) {
		buf_adds(&canon, " aggregates ");
		json_write_tok(doc, aggs, &canon);
	}
	s->canon = canon.p;
	return 0;
}

static int load_file(struct segdefs *d, const char *path)
{
	static const char *const keys[] = {"description", "params", "aggregates", "segments", NULL};
	struct conf c;
	const struct json_doc *doc;
	unsigned params, aggs, v, k, i;
	int rc = -1;

	if (conf_load(&c, path))
		goto out;
	doc = &c.doc;
	if (conf_keys(&c, 0, keys))
		goto out;
	params = json_get(doc, 0, "params", 6);
	if (params && doc->t[params].type != JSON_OBJECT) {
		conf_fail(&c, 0, "params", "want an object of name: value");
		goto out;
	}
	if ((aggs = json_get(doc, 0, "aggregates", 10))) {
		struct cond_scope sc;
		scope_init(d, &sc, params);
		if (cond_aggregates(&c, aggs, &sc))
			goto out;
	}
	if ((v = json_get(doc, 0, "segments", 8))) {
		if (doc->t[v].type != JSON_ARRAY) {
			conf_fail(&c, 0, "segments", "want a list of segment definitions");
			goto out;
		}
		for (k = 0, i = v + 1; k < doc->t[v].size; k++, i = doc->t[i].next)
			if (load_segment(d, &c, i, params, aggs))
				goto out;
	}
	rc = 0;
out:
	if (rc)
		cli_err("%s", c.err.p ? c.err.p : path);
	conf_release(&c);
	return rc;
}

static int load_one(void *ctx, const char *path)
{
	return load_file(ctx, path);
}

int segdefs_load(struct segdefs *d, const char *dir)
{
	return conf_dir(dir, "segment", load_one, d);
}

/* dependencies, gathered while walking a segment's values */
struct depwalk {
	struct segdefs *d;
	struct segdef *s;
};

static void dep_agg(void *ctx, unsigned idx)
{
	struct depwalk *w = ctx;
	const struct agg_spec *a = &w->d->aggs.v[idx];
	unsigned i, k;

	if (!a->nevents) {
		w->s->any_event = 1;
		return;
	}
	for (i = 0; i < a->nevents; i++) {
		for (k = 0; k < w->s->nevents; k++)
			if (!strcmp(w->s->events[k], a->events[i]))
				break;
		if (k == w->s->nevents) {
			w->s->events = xrealloc(w->s->events, (k + 1) * sizeof *w->s->events);
			w->s->events[w->s->nevents++] = xstrdup(a->events[i]);
		}
	}
}

static void dep_trait(void *ctx, uint32_t slot)
{
	(void)slot;
	((struct depwalk *)ctx)->s->traits = 1;
}

static void dep_tag(void *ctx, unsigned idx)
{
	struct segdef *s = ((struct depwalk *)ctx)->s;
	unsigned i;

	for (i = 0; i < s->ntags; i++)
		if (s->tags[i] == idx)
			return;
	s->tags = xrealloc(s->tags, (s->ntags + 1) * sizeof *s->tags);
	s->tags[s->ntags++] = idx;
}

static void dep_value(void *ctx, const struct cexpr *x)
{
	struct depwalk *w = ctx;
	struct segdefs *d = w->d;
	struct cexpr_refs r = {w, dep_agg, dep_trait, dep_tag, 0};
	struct buf canon = BUF_INIT;
	unsigned i;

	cexpr_refs(x, &r);
	if (r.any_event)
		w->s->any_event = 1;
	cexpr_canon(x, &d->L, &canon);
	for (i = 0; i < d->ncols; i++)
		if (!strcmp(d->colv[i].canon, canon.p))
			break;
	if (i == d->ncols) {
		if (d->ncols == d->capcols) {
			d->capcols = d->capcols ? d->capcols * 2 : 32;
			d->colv = xrealloc(d->colv, d->capcols * sizeof *d->colv);
		}
		d->colv[i].canon = canon.p;
		d->colv[i].x = x;
		if (!dict_get(d->names, 'c', canon.p, canon.len, &d->colv[i].id, &d->colv[i].built)) {
			d->colv[i].id = dict_next(d->names, 'c');
			d->colv[i].built = 0;
			dict_put(d->names, 'c', canon.p, canon.len, d->colv[i].id, 0);
		}
		d->ncols++;
	} else {
		buf_release(&canon);
	}
	if (d->nxcol == d->capxcol) {
		d->capxcol = d->capxcol ? d->capxcol * 2 : 64;
		d->xcol = xrealloc(d->xcol, d->capxcol * sizeof *d->xcol);
	}
	d->xcol[d->nxcol].x = x;
	d->xcol[d->nxcol++].col = i;
	for (unsigned k = 0; k < w->s->ncols; k++)
		if (w->s->cols[k] == i)
			return;
	w->s->cols = xrealloc(w->s->cols, (w->s->ncols + 1) * sizeof *w->s->cols);
	w->s->cols[w->s->ncols++] = i;
}

static void dep_segment(void *ctx, unsigned idx)
{
	struct segdef *s = ((struct depwalk *)ctx)->s;
	unsigned i;

	for (i = 0; i < s->ndeps; i++)
		if (s->deps[i] == idx)
			return;
	s->deps = xrealloc(s->deps, (s->ndeps + 1) * sizeof *s->deps);
	s->deps[s->ndeps++] = idx;
}

roaring_bitmap_t *segdefs_members(struct segdefs *d, const char *name)
{
	MDB_val v;
	roaring_bitmap_t *m = NULL;

	if (store_get(d->st, d->members, name, strlen(name), &v) == 1)
		m = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
	return m ? m : roaring_bitmap_create();
}

void segdefs_bind(struct segdefs *d, int lazy)
{
	unsigned i;

	d->tag_slots = condbind_layout(&d->L, d->names, &d->aggs, d->ntagnames, tag_name, d);
	for (i = 0; i < d->nsegs; i++) {
		struct segdef *s = &d->segs[i];
		struct depwalk w = {d, s};
		if (s->when) {
			cond_values(s->when, dep_value, &w);
			cond_segments(s->when, dep_segment, &w);
		}
		d->ntimed += s->timed;
		if (!lazy)
			s->m = segdefs_members(d, s->name);
	}
}

/* Definitions whose stored membership was computed from something else
 * (or never): 1 when any, listing them in *out. */
int segdefs_stale(struct segdefs *d, struct buf *out)
{
	unsigned i;
	int any = 0;

	for (i = 0; i < d->nsegs; i++) {
		MDB_val v;
		const struct segdef *s = &d->segs[i];
		if (!s->when)
			continue;
		if (store_get(d->st, d->defs, s->name, strlen(s->name), &v) == 1 &&
		    v.mv_size == strlen(s->canon) && !memcmp(v.mv_data, s->canon, v.mv_size))
			continue;
		if (out) {
			if (any)
				buf_adds(out, ", ");
			buf_adds(out, s->name);
		}
		any = 1;
	}
	for (i = 0; i < d->ncols; i++)
		any |= !d->colv[i].built;
	return any;
}

int segdefs_index(struct segdefs *d, const char *name)
{
	unsigned i;
	for (i = 0; i < d->nsegs; i++)
		if (!strcmp(d->segs[i].name, name))
			return (int)i;
	return -1;
}

/* The columns a segment reads, with those of the segments it reads. */
void segdefs_columns(struct segdefs *d, unsigned i, unsigned char *skip)
{
	unsigned k;

	for (k = 0; k < d->segs[i].ncols; k++)
		skip[d->segs[i].cols[k]] = 1;
	for (k = 0; k < d->segs[i].ndeps; k++)
		segdefs_columns(d, d->segs[i].deps[k], skip);
}

void segdefs_release(struct segdefs *d)
{
	unsigned i, k;

	agg_set_release(&d->aggs);
	for (i = 0; i < d->nsegs; i++) {
		struct segdef *s = &d->segs[i];
		free(s->name);
		free(s->folder);
		free(s->description);
		free(s->file);
		free(s->canon);
		cond_free(s->when);
		for (k = 0; k < s->nevents; k++)
			free(s->events[k]);
		free(s->events);
		free(s->tags);
		free(s->deps);
		free(s->cols);
		if (s->m)
			roaring_bitmap_free(s->m);
	}
	free(d->segs);
	for (i = 0; i < d->ntagnames; i++)
		free(d->tagnames[i]);
	free(d->tagnames);
	free(d->tag_slots);
	for (i = 0; i < d->ncols; i++)
		free(d->colv[i].canon);
	free(d->colv);
	free(d->xcol);
	profile_layout_release(&d->L);
}
