/*
 * tagdefs - the tagger's definitions. See tagdefs.h.
 */
#include <math.h>
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
#include "hash.h"
#include "json.h"
#include "profile.h"
#include "store.h"
#include "tagdefs.h"

const char *const tagdef_type_names[] = {"bool", "enum", "number", "string", NULL};

static const char *tag_name(const void *defs, unsigned i)
{
	return ((const struct tagdefs *)defs)->tags[i].name;
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	struct tagdefs *d = ctx;
	int i = condbind_earlier(CONDBIND_TAG, name, tag_name, d, d->ntags, d->compiling, why);

	if (i >= 0 && d->tags[i].timed)
		d->compiling_timed = 1;
	return i;
}

static void scope_init(struct tagdefs *d, struct cond_scope *sc, unsigned params)
{
	condbind_scope(sc, d, &d->aggs, d->names, params);
	sc->tag = sc_tag;
}

static char *lit_text(struct conf *c, unsigned tok)
{
	struct buf b = BUF_INIT;

	if (c->doc.t[tok].type == JSON_STRING) {
		struct buf raw = BUF_INIT;
		json_str_get(&c->doc, tok, &raw);
		json_write_str(&b, raw.p ? raw.p : "", raw.len);
		buf_release(&raw);
	} else {
		json_write_tok(&c->doc, tok, &b);
	}
	return b.p;
}

static int check_value(struct conf *c, struct tagdef *t, unsigned tok, const char *text)
{
	const struct json_tok *v = &c->doc.t[tok];
	unsigned i;

	switch (t->type) {
	case TAGDEF_NUMBER:
		if (v->type != JSON_NUMBER && v->type != JSON_NULL)
			return conf_fail(c, tok, NULL, "a number tag takes numbers");
		break;
	case TAGDEF_STRING:
		if (v->type != JSON_STRING && v->type != JSON_NULL)
			return conf_fail(c, tok, NULL, "a string tag takes strings");
		break;
	case TAGDEF_ENUM:
		if (v->type == JSON_NULL)
			break;
		for (i = 0; i < t->nvalues; i++)
			if (!strcmp(t->values[i], text))
				return 0;
		return conf_fail(c, tok, NULL, "%s is not one of the tag's \"values\"", text);
	case TAGDEF_BOOL:
		if (v->type != JSON_TRUE && v->type != JSON_FALSE)
			return conf_fail(c, tok, NULL, "a bool tag takes true or false");
	}
	return 0;
}

static void add_index(unsigned **v, unsigned *n, unsigned x)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = x;
}

static void note_read(void *ctx, enum cond_read what, unsigned idx)
{
	struct tagdef *t = ctx;

	switch (what) {
	case COND_READ_AGG:
		add_index(&t->rd_agg, &t->nrd_agg, idx);
		break;
	case COND_READ_TAG:
		add_index(&t->rd_tag, &t->nrd_tag, idx);
		break;
	case COND_READ_TRAIT:
		t->rd_trait = 1;
		break;
	default:
		t->rd_clock = 1;
		break;
	}
}

static int load_tag(struct tagdefs *d, struct conf *c, unsigned obj, unsigned params)
{
	static const char *const keys[] = {
		"name", "folder", "description", "type", "when", "cases", "else", "values",
		"value", "rank", NULL,
	};
	const struct json_doc *doc = &c->doc;
	struct tagdef *t;
	struct cond_scope sc;
	char *type = NULL;
	unsigned v, i, k, n = 0;

	if (doc->t[obj].type != JSON_OBJECT)
		return conf_fail(c, obj, NULL, "want a tag definition object");
	if (conf_keys(c, obj, keys))
		return -1;
	if (d->ntags == d->captags) {
		d->captags = d->captags ? d->captags * 2 : 32;
		d->tags = xrealloc(d->tags, d->captags * sizeof *d->tags);
	}
	t = &d->tags[d->ntags];
	memset(t, 0, sizeof *t);
	t->file = xstrdup(c->path);
	d->compiling = d->ntags;
	d->ntags++; /* owned from here: freed on failure too */
	if (conf_str(c, obj, "name", &t->name) != 1)
		return conf_fail(c, obj, "name", "every tag needs a name");
	t->nlen = strlen(t->name);
	if (!condbind_valid_name(t->name))
		return conf_fail(c, obj, "name", "'%s': use lowercase letters, digits and _", t->name);
	for (i = 0; i + 1 < d->ntags; i++)
		if (!strcmp(d->tags[i].name, t->name))
			return conf_fail(c, obj, "name", "tag '%s' is also defined in %s", t->name, d->tags[i].file);
	if (conf_str(c, obj, "folder", &t->folder) < 0 || conf_str(c, obj, "description", &t->description) < 0)
		return -1;
	if (conf_str(c, obj, "type", &type) != 1)
		return conf_fail(c, obj, "type", "want bool, enum, number or string");
	for (t->type = 0; tagdef_type_names[t->type] && strcmp(tagdef_type_names[t->type], type); t->type++)
		;
	free(type);
	if (!tagdef_type_names[t->type])
		return conf_fail(c, obj, "type", "want bool, enum, number or string");
	if ((v = json_get(doc, obj, "values", 6))) {
		if (t->type != TAGDEF_ENUM)
			return conf_fail(c, obj, "values", "only enum tags list values");
		if (doc->t[v].type != JSON_ARRAY || !doc->t[v].size)
			return conf_fail(c, obj, "values", "want a non-empty list of strings");
		t->values = xcalloc(doc->t[v].size, sizeof *t->values);
		for (k = 0, i = v + 1; k < doc->t[v].size; k++, i = doc->t[i].next) {
			if (doc->t[i].type != JSON_STRING)
				return conf_fail(c, i, NULL, "want a string");
			t->values[t->nvalues++] = lit_text(c, i);
		}
	} else if (t->type == TAGDEF_ENUM) {
		return conf_fail(c, obj, "values", "an enum tag lists its values");
	}
	scope_init(d, &sc, params);
	d->compiling_timed = 0;
	n += (v = json_get(doc, obj, "when", 4)) != 0;
	if (v) {
		if (t->type != TAGDEF_BOOL)
			return conf_fail(c, obj, "when", "\"when\" makes a bool tag; other types use \"cases\", \"value\" or \"rank\"");
		if (!(t->when = cond_compile(c, v, &sc)))
			return -1;
	}
	n += (v = json_get(doc, obj, "cases", 5)) != 0;
	if (v) {
		if (t->type == TAGDEF_BOOL)
			return conf_fail(c, obj, "cases", "a bool tag uses \"when\"");
		if (doc->t[v].type != JSON_ARRAY || !doc->t[v].size)
			return conf_fail(c, obj, "cases", "want a list of {\"when\": …, \"value\": …}");
		t->cases = xcalloc(doc->t[v].size, sizeof *t->cases);
		for (k = 0, i = v + 1; k < doc->t[v].size; k++, i = doc->t[i].next) {
			static const char *const ckeys[] = {"when", "value", NULL};
			unsigned w, val;
			if (doc->t[i].type != JSON_OBJECT || conf_keys(c, i, ckeys))
				return conf_fail(c, i, NULL, "want {\"when\": …, \"value\": …}");
			w = json_get(doc, i, "when", 4);
			val = json_get(doc, i, "value", 5);
			if (!w || !val)
				return conf_fail(c, i, NULL, "a case needs \"when\" and \"value\"");
			t->cases[t->ncases].value = lit_text(c, val);
			t->cases[t->ncases].vlen = strlen(t->cases[t->ncases].value);
			t->ncases++;
			if (check_value(c, t, val, t->cases[t->ncases - 1].value))
				return -1;
			if (!(t->cases[t->ncases - 1].when = cond_compile(c, w, &sc)))
				return -1;
		}
	}
	if ((v = json_get(doc, obj, "else", 4))) {
		if (!t->cases)
			return conf_fail(c, obj, "else", "\"else\" goes with \"cases\"");
		t->else_v = lit_text(c, v);
		t->else_len = strlen(t->else_v);
		if (check_value(c, t, v, t->else_v))
			return -1;
	}
	n += (v = json_get(doc, obj, "value", 5)) != 0;
	if (v) {
		if (t->type == TAGDEF_BOOL || t->type == TAGDEF_ENUM)
			return conf_fail(c, obj, "value", "a formula makes a number or string tag");
		if (!(t->value = cexpr_compile(c, v, &sc)))
			return -1;
	}
	n += (v = json_get(doc, obj, "rank", 4)) != 0;
	if (v) {
		static const char *const rkeys[] = {"of", "n", "order", "where", NULL};
		long long rn = 5;
		char *order = NULL;
		unsigned of, w;
		if (t->type != TAGDEF_NUMBER)
			return conf_fail(c, obj, "rank", "a rank makes a number tag");
		if (doc->t[v].type != JSON_OBJECT || conf_keys(c, v, rkeys))
			return conf_fail(c, obj, "rank", "want {\"of\": VALUE, \"n\": 5, \"order\": \"asc\"|\"desc\", \"where\": …}");
		if (conf_int(c, v, "n", &rn) < 0)
			return -1;
		if (rn < 2 || rn > 100)
			return conf_fail(c, v, "n", "want 2 to 100 ranks");
		t->rank_n = (unsigned)rn;
		if (conf_str(c, v, "order", &order) < 0)
			return -1;
		if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
			free(order);
			return conf_fail(c, v, "order", "want asc (larger is a higher rank) or desc");
		}
		t->rank_desc = order && !strcmp(order, "desc");
		free(order);
		if (!(of = json_get(doc, v, "of", 2)))
			return conf_fail(c, v, "of", "a rank needs the value it ranks");
		if (!(t->rank_of = cexpr_compile(c, of, &sc)))
			return -1;
		if ((w = json_get(doc, v, "where", 5)) && !(t->rank_where = cond_compile(c, w, &sc)))
			return -1;
	}
	if (n != 1)
		return conf_fail(c, obj, NULL, "a tag has exactly one of \"when\" (bool), \"cases\", \"value\" or \"rank\"");
	/* the clock matters when the conditions read windows, days_since or jq,
	 * or a tag that does; ranks follow recompute's facts */
	t->timed = sc.timed || d->compiling_timed || t->rank_of != NULL;
	d->has_jq |= sc.jq;
	cond_reads(t->when, note_read, t);
	for (i = 0; i < t->ncases; i++)
		cond_reads(t->cases[i].when, note_read, t);
	cexpr_reads(t->value, note_read, t);
	cexpr_reads(t->rank_of, note_read, t);
	cond_reads(t->rank_where, note_read, t);
	return 0;
}

static int load_file(struct tagdefs *d, const char *path)
{
	static const char *const keys[] = {"description", "params", "aggregates", "tags", NULL};
	struct conf c;
	const struct json_doc *doc;
	unsigned params, v, k, i;
	int rc = -1;

	if (conf_load(&c, path))
		goto out;
	doc = &c.doc;
	d->defs_hash = hash64(c.text.p ? c.text.p : "", c.text.len, d->defs_hash + 1);
	if (conf_keys(&c, 0, keys))
		goto out;
	params = json_get(doc, 0, "params", 6);
	if (params && doc->t[params].type != JSON_OBJECT) {
		conf_fail(&c, 0, "params", "want an object of name: value");
		goto out;
	}
	if ((v = json_get(doc, 0, "aggregates", 10))) {
		struct cond_scope sc;
		scope_init(d, &sc, params);
		if (cond_aggregates(&c, v, &sc))
			goto out;
		d->has_jq |= sc.jq;
	}
	if ((v = json_get(doc, 0, "tags", 4))) {
		if (doc->t[v].type != JSON_ARRAY) {
			conf_fail(&c, 0, "tags", "want a list of tag definitions");
			goto out;
		}
		for (k = 0, i = v + 1; k < doc->t[v].size; k++, i = doc->t[i].next)
			if (load_tag(d, &c, i, params))
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

int tagdefs_load(struct tagdefs *d, const char *dir)
{
	int rc = conf_dir(dir, "tag", load_one, d), more = 1;
	unsigned i, k;

	if (rc)
		return rc;
	for (i = 0; i < d->ntags; i++) {
		struct tagdef *t = &d->tags[i];
		int doc = cond_daily(t->when) | cexpr_daily(t->value, 0) |
			(t->rank_of ? cexpr_daily(t->rank_of, 1) | cond_daily(t->rank_where) : 0);
		for (k = 0; k < t->ncases; k++)
			doc |= cond_daily(t->cases[k].when);
		t->at_read = !!(doc & COND_DAILY_DAYS);
	}
	while (more) { /* a tag that reads one computed when read is too */
		more = 0;
		for (i = 0; i < d->ntags; i++)
			for (k = 0; k < d->tags[i].nrd_tag && !d->tags[i].at_read; k++)
				if (d->tags[i].rd_tag[k] < d->ntags && d->tags[d->tags[i].rd_tag[k]].at_read)
					d->tags[i].at_read = more = 1;
	}
	return 0;
}

int tagdefs_bind(struct tagdefs *d)
{
	unsigned i;

	d->tag_slots = condbind_layout(&d->L, d->names, &d->aggs, d->ntags, tag_name, d);
	for (i = 0; i < d->ntags; i++) {
		struct tagdef *t = &d->tags[i];
		MDB_val v;
		t->slot = d->tag_slots[i];
		if (t->rank_of && store_get(d->st, d->facts, t->name, strlen(t->name), &v) == 1 &&
		    v.mv_size >= 4) {
			uint32_t nc = store_get_be32(v.mv_data);
			if (v.mv_size == 4 + nc * 8u && nc == t->rank_n - 1) {
				unsigned k;
				t->cuts = xcalloc(nc + 1, sizeof *t->cuts);
				for (k = 0; k < nc; k++) {
					uint64_t u = store_get_be64((const unsigned char *)v.mv_data + 4 + 8 * k);
					memcpy(&t->cuts[k], &u, 8);
				}
				t->ncuts = nc;
			}
		}
	}
	return 0;
}

void tagdefs_release(struct tagdefs *d)
{
	unsigned i, k;

	agg_set_release(&d->aggs);
	for (i = 0; i < d->ntags; i++) {
		struct tagdef *t = &d->tags[i];
		free(t->name);
		free(t->folder);
		free(t->description);
		free(t->file);
		cond_free(t->when);
		for (k = 0; k < t->ncases; k++) {
			cond_free(t->cases[k].when);
			free(t->cases[k].value);
		}
		free(t->cases);
		free(t->else_v);
		for (k = 0; k < t->nvalues; k++)
			free(t->values[k]);
		free(t->values);
		cexpr_free(t->value);
		cexpr_free(t->rank_of);
		cond_free(t->rank_where);
		free(t->cuts);
		free(t->rd_agg);
		free(t->rd_tag);
	}
	free(d->tags);
	free(d->tag_slots);
	profile_layout_release(&d->L);
}
