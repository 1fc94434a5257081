#include "cond.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "dict.h"
#include "jqprog.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

enum { C_CONST, C_AND, C_OR, C_NOT, C_CMP, C_TRUTHY, C_SEGMENT, C_JQ };
enum { OP_EQ, OP_NE, OP_GT, OP_GTE, OP_LT, OP_LTE, OP_IN, OP_NOT_IN, OP_EXISTS };
static const char *const op_names[] = {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "exists", NULL};

enum {
	X_LIT, X_AGG, X_TRAIT, X_TAG, X_DAYS_FIRST, X_DAYS_LAST, X_DAYS_AGG,
	X_MEDIAN_GAP, X_NEXT_DATE, X_ARITH, X_PROP, X_JQ,
};

struct cexpr {
	int t, op;
	unsigned idx;
	uint32_t slot;
	char *path;
	struct cexpr *a, *b;
	struct cval lit;
	char *text; /* literal JSON text */
	struct jqprog *jq;
};

struct cond {
	int t, val, op;
	int timed;      /* the answer may change with the clock alone */
	unsigned leaf;  /* cond_number_leaves: 1 + the leaf's number, or 0 */
	struct cond **kids;
	unsigned nk;
	struct cexpr *x;
	struct cexpr **rhs;
	unsigned nrhs;
	unsigned idx;
	struct jqprog *jq;
	/* an aggregate against a number (eq … lte): cond_eval compares the
	 * aggregate's result directly when it is a number */
	int agg_num;
};

static const char *const value_keys[] = {
	"trait", "tag", "agg", "count", "sum", "min", "max", "first", "last",
	"distinct", "top", "days_since", "median_gap", "next_date", "add", "sub",
	"mul", "div", "param", "prop", NULL,
};

/* ---- values ---- */

void cval_from_json(struct cval *v, const char *s, size_t n)
{
	v->s = s;
	v->n = n;
	v->num = 0;
	if (!n || (n == 4 && !memcmp(s, "null", 4))) {
		v->k = CV_NONE;
	} else if (s[0] == '"') {
		v->k = CV_STR;
	} else if (s[0] == '-' || (s[0] >= '0' && s[0] <= '9')) {
		uint64_t dg;
		int frac, neg;
		v->k = CV_NUM;
		if (!json_num_plain(s, n, &dg, &frac, &neg)) {
			v->num = json_num_value(dg, frac, neg);
		} else {
			char tmp[64];
			size_t m = n < sizeof tmp - 1 ? n : sizeof tmp - 1;
			memcpy(tmp, s, m);
			tmp[m] = 0;
			v->num = strtod(tmp, NULL);
		}
	} else if (s[0] == 't' || s[0] == 'f') {
		v->k = CV_BOOL;
		v->num = s[0] == 't';
	} else {
		v->k = CV_JSON;
	}
}

int cval_truthy(const struct cval *v)
{
	switch (v->k) {
	case CV_NUM:
	case CV_BOOL:
		return v->num != 0;
	case CV_STR:
		return v->n > 2;
	case CV_JSON:
		return 1;
	default:
		return 0;
	}
}

void cval_write(const struct cval *v, struct buf *out)
{
	switch (v->k) {
	case CV_NUM: {
		double d = v->num;
		double c = d * 100;
		if (d == floor(d) && fabs(d) < 9e15) {
			buf_i64(out, (int64_t)d);
		} else if (!isfinite(d)) {
			buf_adds(out, "null");
		} else if (fabs(d) < 1e7 && (c = nearbyint(c), c / 100 == d)) {
			/* hundredths (amounts): what %.10g prints, without printf */
			int64_t h = (int64_t)c, a = h < 0 ? -h : h;
			if (h < 0)
				buf_addc(out, '-');
			buf_i64(out, a / 100);
			buf_addc(out, '.');
			buf_addc(out, (char)('0' + a % 100 / 10));
			if (a % 10)
				buf_addc(out, (char)('0' + a % 10));
		} else {
			buf_printf(out, "%.10g", d);
		}
		break;
	}
	case CV_BOOL:
		buf_adds(out, v->num ? "true" : "false");
		break;
	case CV_STR:
	case CV_JSON:
		buf_add(out, v->s, v->n);
		break;
	default:
		buf_adds(out, "null");
	}
}

static int64_t day_num(int64_t t)
{
	return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

int64_t cond_days_between(int64_t a, int64_t b)
{
	return day_num(b) - day_num(a);
}

/* scratch text for computed values, a few deep (one ring per thread:
 * evaluations of compiled definitions may run in several threads) */
static struct buf *scratch(void)
{
	static __thread struct buf ring[8];
	static __thread unsigned k;
	struct buf *b = &ring[k++ % 8];
	buf_reset(b);
	return b;
}

void cond_scratch_release(void)
{
	struct buf *b = scratch();
	unsigned i;

	for (i = 0; i < 8; i++, b = scratch())
		buf_release(b);
}

/* ---- compiling ---- */

static char *tok_str(struct conf *c, unsigned i)
{
	struct buf b = BUF_INIT;
	json_str_get(&c->doc, i, &b);
	return b.p ? b.p : xstrdup("");
}

static int key_is(struct conf *c, unsigned k, const char *s)
{
	return json_str_eq(&c->doc, k, s, strlen(s));
}

static int lit_from_tok(struct conf *c, unsigned tok, struct cexpr *x)
{
	struct buf b = BUF_INIT;
	const struct json_tok *t = &c->doc.t[tok];

	if (t->type == JSON_STRING) {
		struct buf raw = BUF_INIT;
		json_str_get(&c->doc, tok, &raw);
		json_write_str(&b, raw.p ? raw.p : "", raw.len);
		buf_release(&raw);
	} else if (t->type == JSON_ARRAY || t->type == JSON_OBJECT) {
		return conf_fail(c, tok, NULL, "want a number, string, boolean or a value such as {\"trait\": …}");
	} else {
		json_write_tok(&c->doc, tok, &b);
	}
	x->t = X_LIT;
	x->text = b.p ? b.p : xstrdup("null");
	cval_from_json(&x->lit, x->text, strlen(x->text));
	return 0;
}

static void spec_canon(struct conf *c, unsigned where, struct agg_spec *s)
{
	struct buf b = BUF_INIT;
	unsigned i;

	buf_adds(&b, agg_fn_names[s->fn]);
	buf_addc(&b, '(');
	for (i = 0; i < s->nevents; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, s->events[i]);
	}
	buf_addc(&b, ')');
	if (s->prop)
		buf_printf(&b, ".%s", s->prop);
	if (where) {
		buf_adds(&b, " where ");
		json_write_tok(&c->doc, where, &b);
	}
	if (s->window)
		buf_printf(&b, " within %ud", s->window);
	s->canon = b.p;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cond_agg_parse(struct conf *c, unsigned tok, struct cond_scope *sc,
		   enum agg_fn fn, struct agg_spec *s)
{
	static const char *const keys[] = {"event", "prop", "where", "within", NULL};
	static const char *const named_keys[] = {"fn", "event", "prop", "where", "within", "description", NULL};
	const struct json_doc *d = &c->doc;
	unsigned ev, pr, wh, wi;

	memset(s, 0, sizeof *s);
	if (d->t[tok].type != JSON_OBJECT)
		return conf_fail(c, tok, NULL, "want an aggregate {\"event\": …, \"prop\": …, \"where\": …, \"within\": …}");
	if (conf_keys(c, tok, fn == AGG_NFN ? named_keys : keys))
		return -1;
	if (fn == AGG_NFN) {
		unsigned f = json_get(d, tok, "fn", 2);
		int k;
		for (k = 0; f && k < AGG_NFN; k++)
			if (json_str_eq(d, f, agg_fn_names[k], strlen(agg_fn_names[k])))
				break;
		if (!f || k == AGG_NFN)
			return conf_fail(c, tok, "fn", "want one of count, sum, min, max, first, last, distinct, top, days");
		fn = (enum agg_fn)k;
	}
	s->fn = fn;
	ev = json_get(d, tok, "event", 5);
	pr = json_get(d, tok, "prop", 4);
	wh = json_get(d, tok, "where", 5);
	wi = json_get(d, tok, "within", 6);
	if (ev) {
		if (d->t[ev].type == JSON_STRING) {
			s->events = xmalloc(sizeof *s->events);
			s->events[s->nevents++] = tok_str(c, ev);
		} else if (d->t[ev].type == JSON_ARRAY && d->t[ev].size) {
			unsigned k, i;
			s->events = xmalloc(d->t[ev].size * sizeof *s->events);
			for (k = 0, i = ev + 1; k < d->t[ev].size; k++, i = d->t[i].next) {
				if (d->t[i].type != JSON_STRING)
					return conf_fail(c, i, NULL, "an event type must be a string");
				s->events[s->nevents++] = tok_str(c, i);
			}
			qsort(s->events, s->nevents, sizeof *s->events, str_cmp);
		} else {
			return conf_fail(c, tok, "event", "want an event type or a non-empty list of them");
		}
	}
	if (pr) {
		if (d->t[pr].type != JSON_STRING || !d->t[pr].len)
			return conf_fail(c, tok, "prop", "want the name of a prop");
		s->prop = tok_str(c, pr);
	}
	if ((fn == AGG_SUM || fn == AGG_MIN || fn == AGG_MAX || fn == AGG_DISTINCT || fn == AGG_TOP) && !s->prop)
		return conf_fail(c, tok, NULL, "%s needs \"prop\": the prop whose values it takes", agg_fn_names[fn]);
	if (wi) {
		char tmp[32];
		int64_t ms;
		if (d->t[wi].type != JSON_STRING || d->t[wi].len >= sizeof tmp)
			return conf_fail(c, tok, "within", "want a window of whole days such as \"30d\"");
		memcpy(tmp, d->s + d->t[wi].off, d->t[wi].len);
		tmp[d->t[wi].len] = 0;
		if (clock_parse_duration(tmp, &ms) || ms <= 0 || ms % DAY_MS || ms / DAY_MS > 3660)
			return conf_fail(c, tok, "within", "want a window of whole days such as \"30d\" (1 to 3660 days)");
		s->window = (unsigned)(ms / DAY_MS);
		sc->timed = 1;
	}
	if (wh) {
		int saved = sc->in_where;
		sc->in_where = 1;
		s->where = cond_compile(c, wh, sc);
		sc->in_where = saved;
		if (!s->where)
			return -1;
	}
	spec_canon(c, wh, s);
	return 0;
}

int agg_set_find(const struct agg_set *a, const char *name)
{
	unsigned i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].name && !strcmp(a->v[i].name, name))
			return (int)i;
	return -1;
}

unsigned agg_set_add(struct agg_set *a, struct agg_spec *s)
{
	unsigned i;

	for (i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].canon, s->canon))
			return i;
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 32;
		a->v = xrealloc(a->v, a->cap * sizeof *a->v);
	}
	a->v[a->n] = *s;
	memset(s, 0, sizeof *s);
	return a->n++;
}

void agg_set_release(struct agg_set *a)
{
	unsigned i;

	for (i = 0; i < a->n; i++)
		agg_spec_release(&a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

/* A named aggregate of the scope; reading a windowed one makes what is
 * compiled depend on the clock. */
static int agg_named(struct cond_scope *sc, const char *name)
{
	int ix = agg_set_find(sc->aggs, name);

	if (ix >= 0 && sc->aggs->v[ix].window)
		sc->timed = 1;
	return ix;
}

int cond_aggregates(struct conf *c, unsigned obj, struct cond_scope *sc)
{
	const struct json_doc *d = &c->doc;
	unsigned k, i;

	if (d->t[obj].type != JSON_OBJECT)
		return conf_fail(c, obj, NULL, "want an object of name: {\"fn\": …, \"event\": …}");
	for (k = 0, i = obj + 1; k < d->t[obj].size; k++, i = d->t[i + 1].next) {
		struct agg_spec s;
		char *name = tok_str(c, i);
		const char *same;
		int ix;
		if (agg_set_find(sc->aggs, name) >= 0) {
			conf_fail(c, i + 1, NULL, "aggregate '%s' is defined twice", name);
			free(name);
			return -1;
		}
		if (cond_agg_parse(c, i + 1, sc, AGG_NFN, &s)) {
			agg_spec_release(&s);
			free(name);
			return -1;
		}
		ix = (int)agg_set_add(sc->aggs, &s);
		agg_spec_release(&s);
		if ((same = sc->aggs->v[ix].name)) {
			conf_fail(c, i + 1, NULL, "aggregate '%s' is the same as '%s'", name, same);
			free(name);
			return -1;
		}
		sc->aggs->v[ix].name = name;
	}
	return 0;
}

void agg_spec_release(struct agg_spec *s)
{
	unsigned i;

	for (i = 0; i < s->nevents; i++)
		free(s->events[i]);
	free(s->events);
	free(s->prop);
	cond_free(s->where);
	free(s->name);
	free(s->canon);
	memset(s, 0, sizeof *s);
}

static int fn_of(struct conf *c, unsigned k)
{
	int f;
	for (f = 0; f < AGG_NFN; f++)
		if (f != AGG_DAYS && key_is(c, k, agg_fn_names[f]))
			return f;
	return -1;
}

static int agg_ref(struct conf *c, unsigned obj, unsigned v, const char *key, struct cond_scope *sc)
{
	char *name;
	int ix;

	if (c->doc.t[v].type != JSON_STRING)
		return conf_fail(c, obj, key, "want the name of an aggregate");
	name = tok_str(c, v);
	ix = agg_named(sc, name);
	if (ix < 0)
		conf_fail(c, obj, key, "no aggregate named '%s'", name);
	free(name);
	return ix;
}

static struct cexpr *xnew(int t)
{
	struct cexpr *x = xcalloc(1, sizeof *x);
	x->t = t;
	return x;
}

/* Compile the value named by key token k (value k+1) of object obj. */
static struct cexpr *value_at(struct conf *c, unsigned obj, unsigned k, struct cond_scope *sc)
{
	const struct json_doc *d = &c->doc;
	unsigned v = k + 1;
	struct cexpr *x = NULL;
	struct buf key = BUF_INIT;
	int f;

	json_str_get(d, k, &key);
	if ((f = fn_of(c, k)) >= 0) {
		struct agg_spec s;
		int ix;
		if (cond_agg_parse(c, v, sc, (enum agg_fn)f, &s)) {
			agg_spec_release(&s);
			goto out;
		}
		ix = agg_set_add(sc->aggs, &s);
		agg_spec_release(&s);
		x = xnew(X_AGG);
		x->idx = (unsigned)ix;
	} else if (key_is(c, k, "agg")) {
		int ix = agg_ref(c, obj, v, key.p, sc);
		if (ix < 0)
			goto out;
		x = xnew(X_AGG);
		x->idx = (unsigned)ix;
	} else if (key_is(c, k, "trait")) {
		char *name;
		if (d->t[v].type != JSON_STRING || !d->t[v].len) {
			conf_fail(c, obj, key.p, "want the name of a trait");
			goto out;
		}
		name = tok_str(c, v);
		x = xnew(X_TRAIT);
		x->slot = sc->traits ? dict_trait(sc->traits, name, strlen(name)) : sc->trait(sc->ctx, name);
		free(name);
	} else if (key_is(c, k, "tag")) {
		char *name;
		const char *why = "no such tag";
		int ix;
		if (d->t[v].type != JSON_STRING) {
			conf_fail(c, obj, key.p, "want the name of a tag");
			goto out;
		}
		name = tok_str(c, v);
		ix = sc->tag ? sc->tag(sc->ctx, name, &why) : -1;
		if (ix < 0)
			conf_fail(c, obj, key.p, "'%s': %s", name, why);
		free(name);
		if (ix < 0)
			goto out;
		x = xnew(X_TAG);
		x->idx = (unsigned)ix;
	} else if (key_is(c, k, "days_since")) {
		sc->timed = 1;
		if (json_str_eq(d, v, "first_seen", 10)) {
			x = xnew(X_DAYS_FIRST);
		} else if (json_str_eq(d, v, "last_seen", 9)) {
			x = xnew(X_DAYS_LAST);
		} else if (d->t[v].type == JSON_OBJECT) {
			struct agg_spec s;
			if (cond_agg_parse(c, v, sc, AGG_LAST, &s)) {
				agg_spec_release(&s);
				goto out;
			}
			x = xnew(X_DAYS_AGG);
			x->idx = (unsigned)agg_set_add(sc->aggs, &s);
			agg_spec_release(&s);
		} else {
			conf_fail(c, obj, key.p, "want \"first_seen\", \"last_seen\" or an aggregate {\"event\": …}");
			goto out;
		}
	} else if (key_is(c, k, "median_gap") || key_is(c, k, "next_date")) {
		int ix = agg_ref(c, obj, v, key.p, sc);
		if (ix < 0)
			goto out;
		if (sc->aggs->v[ix].fn != AGG_DAYS) {
			conf_fail(c, obj, key.p, "want the name of a days aggregate ({\"fn\": \"days\", …})");
			goto out;
		}
		x = xnew(key_is(c, k, "median_gap") ? X_MEDIAN_GAP : X_NEXT_DATE);
		x->idx = (unsigned)ix;
	} else if (key_is(c, k, "add") || key_is(c, k, "sub") || key_is(c, k, "mul") || key_is(c, k, "div")) {
		unsigned a = v + 1;
		if (d->t[v].type != JSON_ARRAY || d->t[v].size != 2) {
			conf_fail(c, obj, key.p, "want two values [A, B]");
			goto out;
		}
		x = xnew(X_ARITH);
		x->op = key.p[0];
		if (!(x->a = cexpr_compile(c, a, sc)) || !(x->b = cexpr_compile(c, d->t[a].next, sc))) {
			cexpr_free(x);
			x = NULL;
		}
	} else if (key_is(c, k, "param")) {
		unsigned pv;
		char *name;
		if (d->t[v].type != JSON_STRING) {
			conf_fail(c, obj, key.p, "want the name of a parameter");
			goto out;
		}
		name = tok_str(c, v);
		pv = sc->params ? json_get(d, sc->params, name, strlen(name)) : 0;
		if (!pv)
			conf_fail(c, obj, key.p, "no parameter '%s' in \"params\"", name);
		free(name);
		if (!pv)
			goto out;
		x = xnew(X_LIT);
		if (lit_from_tok(c, pv, x)) {
			cexpr_free(x);
			x = NULL;
		}
	} else if (key_is(c, k, "prop")) {
		if (!sc->in_where) {
			conf_fail(c, obj, key.p, "props belong to events: use them inside an aggregate's \"where\"");
			goto out;
		}
		if (d->t[v].type != JSON_STRING || !d->t[v].len) {
			conf_fail(c, obj, key.p, "want the name of a prop");
			goto out;
		}
		x = xnew(X_PROP);
		x->path = tok_str(c, v);
	}
out:
	buf_release(&key);
	return x;
}

struct cexpr *cexpr_compile(struct conf *c, unsigned tok, struct cond_scope *sc)
{
	const struct json_doc *d = &c->doc;
	const char *const *vk;
	struct cexpr *x;

	if (d->t[tok].type != JSON_OBJECT) {
		x = xnew(X_LIT);
		if (lit_from_tok(c, tok, x)) {
			cexpr_free(x);
			return NULL;
		}
		return x;
	}
	if (d->t[tok].size == 1 && json_str_eq(d, tok + 1, "jq", 2)) {
		struct buf err = BUF_INIT;
		char *text;
		if (d->t[tok + 2].type != JSON_STRING) {
			conf_fail(c, tok, "jq", "want a jq program");
			return NULL;
		}
		text = tok_str(c, tok + 2);
		x = xnew(X_JQ);
		x->jq = jqprog_compile("jq", text, &err);
		x->text = text;
		sc->timed = 1;
		sc->jq = 1;
		if (!x->jq) {
			conf_fail(c, tok, "jq", "%s", err.p ? err.p : "does not compile");
			buf_release(&err);
			cexpr_free(x);
			return NULL;
		}
		buf_release(&err);
		return x;
	}
	if (d->t[tok].size != 1) {
		conf_fail(c, tok, NULL, "want one value such as {\"trait\": …}, {\"count\": {…}}");
		return NULL;
	}
	for (vk = value_keys; *vk; vk++)
		if (key_is(c, tok + 1, *vk))
			return value_at(c, tok, tok + 1, sc);
	{
		char *name = tok_str(c, tok + 1);
		conf_fail(c, tok, NULL, "unknown value '%s'", name);
		free(name);
	}
	return NULL;
}

static struct cond *cnew(int t)
{
	struct cond *x = xcalloc(1, sizeof *x);
	x->t = t;
	return x;
}

static struct cond *compile_node(struct conf *c, unsigned tok, struct cond_scope *sc);

struct cond *cond_compile(struct conf *c, unsigned tok, struct cond_scope *sc)
{
	int outer = sc->timed;
	struct cond *x;

	sc->timed = 0;
	x = compile_node(c, tok, sc);
	if (x)
		x->timed = sc->timed;
	sc->timed |= outer;
	return x;
}

static struct cond *compile_node(struct conf *c, unsigned tok, struct cond_scope *sc)
{
	const struct json_doc *d = &c->doc;
	const struct json_tok *t = &d->t[tok];
	struct cond *x = NULL;
	unsigned k, i, vtok = 0, optok = 0, n;

	if (t->type == JSON_TRUE || t->type == JSON_FALSE) {
		x = cnew(C_CONST);
		x->val = t->type == JSON_TRUE;
		return x;
	}
	if (t->type != JSON_OBJECT || !t->size) {
		conf_fail(c, tok, NULL, "want a condition: {\"and\": […]}, {\"or\": […]}, {\"not\": …}, {VALUE, OP: …}, {\"never\": {…}}");
		return NULL;
	}
	if (t->size == 1 && (key_is(c, tok + 1, "and") || key_is(c, tok + 1, "or"))) {
		unsigned a = tok + 2;
		if (d->t[a].type != JSON_ARRAY || !d->t[a].size) {
			conf_fail(c, tok, NULL, "want a non-empty list of conditions");
			return NULL;
		}
		x = cnew(key_is(c, tok + 1, "and") ? C_AND : C_OR);
		x->kids = xcalloc(d->t[a].size, sizeof *x->kids);
		for (k = 0, i = a + 1; k < d->t[a].size; k++, i = d->t[i].next) {
			if (!(x->kids[x->nk++] = cond_compile(c, i, sc))) {
				cond_free(x);
				return NULL;
			}
		}
		return x;
	}
	if (t->size == 1 && key_is(c, tok + 1, "not")) {
		x = cnew(C_NOT);
		x->kids = xcalloc(1, sizeof *x->kids);
		if (!(x->kids[x->nk++] = cond_compile(c, tok + 2, sc))) {
			cond_free(x);
			return NULL;
		}
		return x;
	}
	if (t->size == 1 && key_is(c, tok + 1, "never")) {
		struct agg_spec s;
		if (cond_agg_parse(c, tok + 2, sc, AGG_COUNT, &s)) {
			agg_spec_release(&s);
			return NULL;
		}
		x = cnew(C_CMP);
		x->op = OP_EQ;
		x->x = xnew(X_AGG);
		x->x->idx = (unsigned)agg_set_add(sc->aggs, &s);
		agg_spec_release(&s);
		x->rhs = xcalloc(1, sizeof *x->rhs);
		x->rhs[0] = xnew(X_LIT);
		x->rhs[0]->text = xstrdup("0");
		cval_from_json(&x->rhs[0]->lit, x->rhs[0]->text, 1);
		x->nrhs = 1;
		x->agg_num = 1;
		return x;
	}
	if (t->size == 1 && key_is(c, tok + 1, "segment")) {
		const char *why = "segment conditions are not available here";
		char *name;
		int ix;
		if (d->t[tok + 2].type != JSON_STRING) {
			conf_fail(c, tok, "segment", "want the name of a segment");
			return NULL;
		}
		name = tok_str(c, tok + 2);
		ix = sc->segment ? sc->segment(sc->ctx, name, &why) : -1;
		if (ix < 0)
			conf_fail(c, tok, "segment", "'%s': %s", name, why);
		free(name);
		if (ix < 0)
			return NULL;
		x = cnew(C_SEGMENT);
		x->idx = (unsigned)ix;
		return x;
	}
	if (t->size == 1 && key_is(c, tok + 1, "jq")) {
		x = cnew(C_JQ);
		if (!(x->x = cexpr_compile(c, tok, sc))) {
			cond_free(x);
			return NULL;
		}
		return x;
	}
	/* a comparison: one value key and at most one operator */
	for (k = 0, i = tok + 1; k < t->size; k++, i = d->t[i + 1].next) {
		const char *const *vk;
		int isop = 0, isval = 0;
		for (vk = op_names; *vk; vk++)
			isop |= key_is(c, i, *vk);
		for (vk = value_keys; *vk; vk++)
			isval |= key_is(c, i, *vk);
		if (isop) {
			if (optok) {
				conf_fail(c, tok, NULL, "one operator per comparison (use \"and\" to combine)");
				return NULL;
			}
			optok = i;
		} else if (isval) {
			if (vtok) {
				conf_fail(c, tok, NULL, "one value per comparison");
				return NULL;
			}
			vtok = i;
		} else {
			char *name = tok_str(c, i);
			conf_fail(c, tok, NULL, "unknown key '%s' (want and, or, not, never, segment, jq, a value or an operator)", name);
			free(name);
			return NULL;
		}
	}
	if (!vtok) {
		conf_fail(c, tok, NULL, "a comparison needs a value such as {\"trait\": …}");
		return NULL;
	}
	x = cnew(optok ? C_CMP : C_TRUTHY);
	if (!(x->x = value_at(c, tok, vtok, sc))) {
		cond_free(x);
		return NULL;
	}
	if (!optok)
		return x;
	for (n = 0; op_names[n] && !key_is(c, optok, op_names[n]); n++)
		;
	x->op = (int)n;
	i = optok + 1;
	if (x->op == OP_IN || x->op == OP_NOT_IN) {
		unsigned j;
		if (d->t[i].type != JSON_ARRAY) {
			conf_fail(c, tok, op_names[n], "want a list of values");
			cond_free(x);
			return NULL;
		}
		x->rhs = xcalloc(d->t[i].size + 1, sizeof *x->rhs);
		for (k = 0, j = i + 1; k < d->t[i].size; k++, j = d->t[j].next)
			if (!(x->rhs[x->nrhs++] = cexpr_compile(c, j, sc))) {
				cond_free(x);
				return NULL;
			}
	} else if (x->op == OP_EXISTS) {
		if (d->t[i].type != JSON_TRUE && d->t[i].type != JSON_FALSE) {
			conf_fail(c, tok, "exists", "want true or false");
			cond_free(x);
			return NULL;
		}
		x->val = d->t[i].type == JSON_TRUE;
	} else {
		x->rhs = xcalloc(1, sizeof *x->rhs);
		if (!(x->rhs[x->nrhs++] = cexpr_compile(c, i, sc))) {
			cond_free(x);
			return NULL;
		}
		x->agg_num = x->op <= OP_LTE && x->x->t == X_AGG && x->rhs[0]->t == X_LIT &&
			     x->rhs[0]->lit.k == CV_NUM;
	}
	return x;
}

void cexpr_free(struct cexpr *x)
{
	if (!x)
		return;
	cexpr_free(x->a);
	cexpr_free(x->b);
	free(x->path);
	free(x->text);
	if (x->jq)
		jqprog_free(x->jq);
	free(x);
}

void cond_free(struct cond *x)
{
	unsigned i;

	if (!x)
		return;
	for (i = 0; i < x->nk; i++)
		cond_free(x->kids[i]);
	free(x->kids);
	cexpr_free(x->x);
	for (i = 0; i < x->nrhs; i++)
		cexpr_free(x->rhs[i]);
	free(x->rhs);
	free(x);
}

/* ---- what a tree reads ---- */

void cexpr_reads(const struct cexpr *x, cond_read_fn *fn, void *ctx)
{
	if (!x)
		return;
	switch (x->t) {
	case X_AGG:
	case X_MEDIAN_GAP:
	case X_NEXT_DATE:
		fn(ctx, COND_READ_AGG, x->idx);
		break;
	case X_DAYS_AGG:
		fn(ctx, COND_READ_AGG, x->idx);
		fn(ctx, COND_READ_CLOCK, 0);
		break;
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
		fn(ctx, COND_READ_SEEN, 0);
		break;
	case X_TRAIT:
		fn(ctx, COND_READ_TRAIT, x->slot);
		break;
	case X_TAG:
		fn(ctx, COND_READ_TAG, x->idx);
		break;
	case X_JQ:
		fn(ctx, COND_READ_ALL, 0);
		break;
	default:
		break;
	}
	cexpr_reads(x->a, fn, ctx);
	cexpr_reads(x->b, fn, ctx);
}

void cond_reads(const struct cond *x, cond_read_fn *fn, void *ctx)
{
	unsigned i;

	if (!x)
		return;
	if (x->t == C_SEGMENT)
		fn(ctx, COND_READ_SEGMENT, x->idx);
	for (i = 0; i < x->nk; i++)
		cond_reads(x->kids[i], fn, ctx);
	cexpr_reads(x->x, fn, ctx);
	for (i = 0; i < x->nrhs; i++)
		cexpr_reads(x->rhs[i], fn, ctx);
}

/* ---- evaluating ---- */

static void run_jq(const struct cexpr *x, const struct cond_env *e, struct cval *out)
{
	struct buf *in = scratch(), *res = scratch();
	struct buf err = BUF_INIT;
	jv v;
	int n;

	out->k = CV_NONE;
	if (!e->render)
		return;
	e->render(e->ctx, in);
	v = jv_parse_sized(in->p ? in->p : "null", (int)in->len);
	if (!jv_is_valid(v)) {
		jv_free(v);
		return;
	}
	n = jqprog_run(x->jq, v, res, &err);
	buf_release(&err);
	if (n <= 0)
		return;
	{
		char *nl = memchr(res->p, '\n', res->len);
		cval_from_json(out, res->p, nl ? (size_t)(nl - res->p) : res->len);
	}
}

/* An aggregate's result, through the memo where there is one (numbers
 * and times only: text results point into scratch that moves on). */
static void agg_get(const struct cond_env *e, unsigned idx, struct aggres *r)
{
	enum agg_fn fn = e->L->specs[idx].fn;

	if (!e->memo_state || fn == AGG_FIRST || fn == AGG_LAST || fn == AGG_TOP) {
		profile_agg(e->p, e->L, idx, e->clock, r);
		return;
	}
	if (!e->memo_state[idx]) {
		profile_agg(e->p, e->L, idx, e->clock, &e->memo[idx]);
		e->memo_state[idx] = 1;
	}
	*r = e->memo[idx];
}

static void agg_value(const struct cond_env *e, unsigned idx, struct cval *out)
{
	struct aggres r;
	enum agg_fn fn = e->L->specs[idx].fn;

	agg_get(e, idx, &r);
	out->k = CV_NONE;
	if (!r.has)
		return;
	if (fn == AGG_FIRST || fn == AGG_LAST || fn == AGG_TOP) {
		struct buf *b = scratch();
		buf_add(b, r.s ? r.s : "", r.n);
		cval_from_json(out, b->p, b->len);
		return;
	}
	out->k = CV_NUM;
	out->num = r.num;
}

void cexpr_eval(const struct cexpr *x, const struct cond_env *e, struct cval *out)
{
	unsigned i;

	out->k = CV_NONE;
	out->num = 0;
	out->s = NULL;
	out->n = 0;
	switch (x->t) {
	case X_LIT:
		*out = x->lit;
		break;
	case X_AGG:
		agg_value(e, x->idx, out);
		break;
	case X_TRAIT:
		for (i = 0; i < e->p->ntraits; i++)
			if (e->p->traits[i].name == x->slot) {
				cval_from_json(out, e->p->traits[i].v.p, e->p->traits[i].v.len);
				break;
			}
		break;
	case X_TAG:
		if (x->idx < e->p->ntags && e->p->tags[x->idx].set)
			cval_from_json(out, e->p->tags[x->idx].v.p, e->p->tags[x->idx].v.len);
		break;
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
		if (e->p->nevents) {
			out->k = CV_NUM;
			out->num = (double)cond_days_between(x->t == X_DAYS_FIRST ? e->p->first_seen : e->p->last_seen,
							     e->clock);
		}
		break;
	case X_DAYS_AGG: {
		struct aggres r;
		agg_get(e, x->idx, &r);
		if (r.has) {
			out->k = CV_NUM;
			out->num = (double)cond_days_between(r.ts, e->clock);
		}
		break;
	}
	case X_MEDIAN_GAP:
	case X_NEXT_DATE: {
		struct aggres r;
		if (e->L->specs[x->idx].fn != AGG_DAYS) {
			agg_value(e, x->idx, out);
			break;
		}
		profile_agg(e->p, e->L, x->idx, e->clock, &r);
		if (!r.has)
			break;
		if (x->t == X_MEDIAN_GAP) {
			out->k = CV_NUM;
			out->num = r.num;
		} else {
			struct buf *b = scratch();
			int64_t y;
			unsigned m, dd;
			clock_civil_from_days(r.ts / DAY_MS + (int64_t)llround(r.num), &y, &m, &dd);
			buf_printf(b, "\"%04lld-%02u-%02u\"", (long long)y, m, dd);
			cval_from_json(out, b->p, b->len);
		}
		break;
	}
	case X_ARITH: {
		struct cval a, b;
		cexpr_eval(x->a, e, &a);
		cexpr_eval(x->b, e, &b);
		if (a.k != CV_NUM || b.k != CV_NUM)
			break;
		out->k = CV_NUM;
		switch (x->op) {
		case 'a': out->num = a.num + b.num; break;
		case 's': out->num = a.num - b.num; break;
		case 'm': out->num = a.num * b.num; break;
		default:
			if (b.num == 0)
				out->k = CV_NONE;
			else
				out->num = a.num / b.num;
		}
		break;
	}
	case X_PROP: {
		uint32_t props, v = 0;
		if (!e->doc)
			break;
		props = e->props_set ? e->props : json_get(e->doc, e->ev, "props", 5);
		v = json_get_path(e->doc, props, x->path);
		if (v && v != props) {
			struct buf *b = scratch();
			json_write_tok(e->doc, v, b);
			cval_from_json(out, b->p, b->len);
		}
		break;
	}
	case X_JQ:
		run_jq(x, e, out);
		break;
	}
}

static int text_cmp(const struct cval *a, const struct cval *b)
{
	size_t m = a->n < b->n ? a->n : b->n;
	int r = memcmp(a->s, b->s, m);
	return r ? r : (a->n > b->n) - (a->n < b->n);
}

/* -2: not comparable; else -1/0/1 */
static int compare(const struct cval *a, const struct cval *b)
{
	if (a->k == CV_NONE || b->k == CV_NONE)
		return -2;
	if (a->k == CV_NUM && b->k == CV_NUM)
		return (a->num > b->num) - (a->num < b->num);
	if (a->k == CV_BOOL && b->k == CV_BOOL)
		return (a->num > b->num) - (a->num < b->num);
	if ((a->k == CV_STR || a->k == CV_JSON) && a->k == b->k)
		return text_cmp(a, b);
	return -3; /* different kinds: unequal, unordered */
}

static int cmp_holds(int op, int c)
{
	if (c == -2)
		return 0;
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_GT: return c == 1;
	case OP_GTE: return c == 0 || c == 1;
	case OP_LT: return c == -1;
	case OP_LTE: return c == 0 || c == -1;
	}
	return 0;
}

int cond_eval(const struct cond *x, const struct cond_env *e)
{
	unsigned i;
	struct cval v, r;
	int c;

	switch (x->t) {
	case C_CONST:
		return x->val;
	case C_AND:
		for (i = 0; i < x->nk; i++)
			if (!cond_eval(x->kids[i], e))
				return 0;
		return 1;
	case C_OR:
		for (i = 0; i < x->nk; i++)
			if (cond_eval(x->kids[i], e))
				return 1;
		return 0;
	case C_NOT:
		return !cond_eval(x->kids[0], e);
	case C_SEGMENT:
		return e->segment ? e->segment(e->ctx, x->idx) : 0;
	case C_JQ:
	case C_TRUTHY:
		cexpr_eval(x->x, e, &v);
		return cval_truthy(&v);
	case C_CMP:
		if (x->agg_num) {
			enum agg_fn fn = e->L->specs[x->x->idx].fn;
			if (fn != AGG_FIRST && fn != AGG_LAST && fn != AGG_TOP) {
				/* what the general way below does, for a number */
				struct aggres a;
				double k = x->rhs[0]->lit.num;
				agg_get(e, x->x->idx, &a);
				if (!a.has)
					return 0;
				return cmp_holds(x->op, (a.num > k) - (a.num < k));
			}
		}
		cexpr_eval(x->x, e, &v);
		if (x->op == OP_EXISTS)
			return (v.k != CV_NONE) == x->val;
		if (v.k == CV_NONE)
			return 0;
		if (x->op == OP_IN || x->op == OP_NOT_IN) {
			for (i = 0; i < x->nrhs; i++) {
				cexpr_eval(x->rhs[i], e, &r);
				if (compare(&v, &r) == 0)
					return x->op == OP_IN;
			}
			return x->op == OP_NOT_IN;
		}
		cexpr_eval(x->rhs[0], e, &r);
		c = compare(&v, &r);
		return cmp_holds(x->op, c);
	}
	return 0;
}

/* ---- when a value or a condition can change with time alone ---- */

#define NEVER INT64_MAX

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* The first day after today on which a windowed aggregate loses a day. */
static int64_t agg_next(const struct cond_env *e, unsigned idx, int64_t today)
{
	const struct agg_spec *s = &e->L->specs[idx];
	const struct aggval *a;
	int64_t best = NEVER;
	unsigned i;

	if (!s->window || idx >= e->p->naggs)
		return NEVER;
	profile_agg_ready(e->p, e->L, idx);
	a = &e->p->aggs[idx];
	for (i = 0; i < a->nb; i++) {
		int64_t d = (int64_t)a->b[i].day + s->window;
		if (d > today && d < best)
			best = d;
	}
	return best;
}

static int64_t cexpr_next(const struct cexpr *x, const struct cond_env *e, int64_t today)
{
	switch (x->t) {
	case X_AGG:
	case X_MEDIAN_GAP:
	case X_NEXT_DATE:
		return agg_next(e, x->idx, today);
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
	case X_DAYS_AGG:
	case X_JQ:
		return today + 1;
	case X_ARITH:
		return min64(cexpr_next(x->a, e, today), cexpr_next(x->b, e, today));
	default:
		return NEVER;
	}
}

static int is_days(const struct cexpr *x)
{
	return x->t == X_DAYS_FIRST || x->t == X_DAYS_LAST || x->t == X_DAYS_AGG;
}

int64_t cond_next_day(const struct cond *x, const struct cond_env *e)
{
	int64_t today = day_num(e->clock), best = NEVER;
	unsigned i;

	switch (x->t) {
	case C_AND:
	case C_OR:
	case C_NOT:
		for (i = 0; i < x->nk; i++)
			best = min64(best, cond_next_day(x->kids[i], e));
		return best;
	case C_JQ:
		return today + 1;
	case C_CMP:
	case C_TRUTHY:
		if (is_days(x->x) && x->op != OP_EXISTS && x->t == C_CMP) {
			struct cval v;
			int plain = 1;
			for (i = 0; i < x->nrhs; i++)
				plain &= x->rhs[i]->t == X_LIT;
			cexpr_eval(x->x, e, &v);
			if (plain && v.k != CV_NUM)
				return NEVER; /* no anchor: only an event gives one */
			if (plain && x->x->t == X_DAYS_AGG) /* its window may lose the day */
				best = agg_next(e, x->x->idx, today);
			if (plain) {
				/* the value grows by one a day: the truth can flip only
				 * where it meets a constant */
				for (i = 0; i < x->nrhs; i++) {
					double k = x->rhs[i]->lit.num;
					int64_t f;
					if (x->rhs[i]->lit.k != CV_NUM)
						continue;
					if (!(k - v.num < 1e15 && k - v.num > -1e15))
						continue;
					f = (int64_t)floor(k - v.num);
					if (today + f > today)
						best = min64(best, today + f);
					else if (today + f + 1 > today)
						best = min64(best, today + f + 1);
				}
				return best;
			}
		}
		best = cexpr_next(x->x, e, today);
		for (i = 0; i < x->nrhs; i++)
			best = min64(best, cexpr_next(x->rhs[i], e, today));
		return best;
	default:
		return NEVER;
	}
}

/* ---- the day a condition's answer changes ---- */

static void days_add(struct cond_days *s, int64_t d, int64_t today)
{
	if (d <= today || d == NEVER)
		return;
	if (s->n == s->cap) {
		int64_t *d = xmalloc(2 * s->cap * sizeof *d);
		memcpy(d, s->d, s->n * sizeof *d);
		if (s->d != s->local)
			free(s->d);
		s->d = d;
		s->cap *= 2;
	}
	s->d[s->n++] = d;
}

/* Every day on which a windowed aggregate x reads loses one of its days. */
static void cexpr_days(const struct cexpr *x, const struct cond_env *e, int64_t today, struct cond_days *s)
{
	const struct agg_spec *sp;
	const struct aggval *a;
	unsigned i;

	switch (x->t) {
	case X_AGG:
	case X_MEDIAN_GAP:
	case X_NEXT_DATE:
		sp = &e->L->specs[x->idx];
		if (!sp->window || x->idx >= e->p->naggs)
			return;
		profile_agg_ready(e->p, e->L, x->idx);
		a = &e->p->aggs[x->idx];
		for (i = 0; i < a->nb; i++)
			days_add(s, (int64_t)a->b[i].day + sp->window, today);
		return;
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
	case X_DAYS_AGG:
	case X_JQ:
		s->opaque = 1;
		return;
	case X_ARITH:
		cexpr_days(x->a, e, today, s);
		cexpr_days(x->b, e, today, s);
		return;
	default:
		return;
	}
}

/*
 * A count over a window only falls as the days pass (when no bucket lies
 * ahead of today). Against one constant, "count >= t" then holds until the
 * day the bucket that brings the count up to t leaves the window, and never
 * again: that day is the only one on which the comparison can change, where
 * each bucket's day out of the window is a candidate in general. 1 when x is
 * such a comparison (its day added), 0 to take the general way.
 */
static int count_days(const struct cond *x, const struct cond_env *e, int64_t today, struct cond_days *s)
{
	const struct agg_spec *sp;
	const struct aggval *a;
	double k;
	int64_t t, acc = 0;
	unsigned i;

	if (x->t != C_CMP || !x->x || x->x->t != X_AGG || x->nrhs != 1 || x->rhs[0]->t != X_LIT ||
	    x->rhs[0]->lit.k != CV_NUM || x->op > OP_LTE || x->x->idx >= e->p->naggs)
		return 0;
	sp = &e->L->specs[x->x->idx];
	k = x->rhs[0]->lit.num;
	if (sp->fn != AGG_COUNT || !sp->window || !(k > -1e15 && k < 1e15))
		return 0;
	switch (x->op) {
	case OP_GTE:
	case OP_LT:
		t = (int64_t)ceil(k);
		break;
	case OP_GT:
	case OP_LTE:
		t = (int64_t)floor(k) + 1;
		break;
	default: /* equal or not to 0: below 1 or not */
		if (k != 0)
			return 0;
		t = 1;
		break;
	}
	profile_agg_ready(e->p, e->L, x->x->idx);
	a = &e->p->aggs[x->x->idx];
	if (a->present && a->nb && a->b[a->nb - 1].day > today)
		return 0;
	if (!a->present || t <= 0)
		return 1; /* the answer holds for good */
	for (i = a->nb; i-- > 0;) {
		int64_t day = a->b[i].day;
		if (day <= today - (int64_t)sp->window)
			break; /* out of the window already */
		acc += a->b[i].c.n;
		if (acc >= t) {
			days_add(s, day + sp->window, today);
			break;
		}
	}
	return 1;
}

/* The days on which a part of x may change: a superset, sorted later. */
static void cond_days(const struct cond *x, const struct cond_env *e, int64_t today, struct cond_days *s)
{
	unsigned i;

	if (!x->timed)
		return;
	switch (x->t) {
	case C_AND:
	case C_OR:
		/* a part that time cannot change and that decides the answer
		 * on its own (false under and, true under or) holds it */
		for (i = 0; i < x->nk; i++)
			if (!x->kids[i]->timed && cond_eval(x->kids[i], e) == (x->t == C_OR))
				return;
		for (i = 0; i < x->nk; i++)
			cond_days(x->kids[i], e, today, s);
		return;
	case C_NOT:
		cond_days(x->kids[0], e, today, s);
		return;
	case C_JQ:
		s->opaque = 1;
		return;
	case C_CMP:
	case C_TRUTHY:
		if (count_days(x, e, today, s))
			return;
		if (is_days(x->x) && x->t == C_CMP && x->op == OP_EXISTS)
			return; /* there is a day to count from, or not: events decide */
		if (is_days(x->x) && x->t == C_CMP) {
			/* days_since grows by one a day: against constants, the
			 * answer may change where the count meets one of them (or
			 * the day after); against anything else, any day */
			struct cval v;
			int plain = 1;
			for (i = 0; i < x->nrhs; i++)
				plain &= x->rhs[i]->t == X_LIT;
			if (!plain) {
				s->opaque = 1;
				return;
			}
			/* days since a windowed aggregate's last event: it also
			 * ends when that event's day leaves the window */
			if (x->x->t == X_DAYS_AGG)
				cexpr_days(&(struct cexpr){.t = X_AGG, .idx = x->x->idx}, e, today, s);
			cexpr_eval(x->x, e, &v);
			if (v.k != CV_NUM)
				return; /* no anchor: only an event gives one */
			for (i = 0; i < x->nrhs; i++) {
				double k = x->rhs[i]->lit.num;
				int64_t f;
				if (x->rhs[i]->lit.k != CV_NUM || !(k - v.num < 1e15 && k - v.num > -1e15))
					continue;
				f = (int64_t)floor(k - v.num);
				days_add(s, today + f, today);
				days_add(s, today + f + 1, today);
			}
			return;
		}
		if (x->x)
			cexpr_days(x->x, e, today, s);
		for (i = 0; i < x->nrhs; i++)
			cexpr_days(x->rhs[i], e, today, s);
		return;
	default:
		return;
	}
}

int64_t cond_next_flip(const struct cond *x, const struct cond_env *e)
{
	return cond_next_flip_before(x, e, cond_eval(x, e), NEVER);
}

int64_t cond_next_flip_before(const struct cond *x, const struct cond_env *e, int now,
			      int64_t bound)
{
	struct cond_days s;
	struct cond_env at;
	int64_t today = day_num(e->clock), best = NEVER;
	size_t i;

	s.d = s.local;
	s.n = 0;
	s.cap = sizeof s.local / sizeof *s.local;
	s.opaque = 0;
	cond_days(x, e, today, &s);
	if (s.opaque) {
		if (s.d != s.local)
			free(s.d);
		return cond_next_day(x, e);
	}
	for (i = 1; i < s.n; i++) { /* few: insertion */
		int64_t v = s.d[i];
		size_t j = i;
		while (j && s.d[j - 1] > v) {
			s.d[j] = s.d[j - 1];
			j--;
		}
		s.d[j] = v;
	}
	at = *e;
	at.memo_state = NULL; /* the memo holds values at e->clock */
	at.memo = NULL;
	for (i = 0; i < s.n && s.d[i] < bound; i++) {
		if (i && s.d[i] == s.d[i - 1])
			continue;
		at.clock = s.d[i] * DAY_MS;
		if (cond_eval(x, &at) != now) {
			best = s.d[i];
			break;
		}
	}
	if (s.d != s.local)
		free(s.d);
	return best;
}

void cond_days_init(struct cond_days *s)
{
	s->d = s->local;
	s->n = 0;
	s->cap = sizeof s->local / sizeof *s->local;
	s->opaque = 0;
}

void cond_days_release(struct cond_days *s)
{
	if (s->d != s->local)
		free(s->d);
	s->d = s->local;
	s->n = 0;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

void cond_days_sort(struct cond_days *s)
{
	size_t i, out = 0;

	qsort(s->d, s->n, sizeof *s->d, i64_cmp);
	for (i = 0; i < s->n; i++)
		if (!out || s->d[out - 1] != s->d[i])
			s->d[out++] = s->d[i];
	s->n = out;
}

void cond_change_days(const struct cond *x, const struct cond_env *e, struct cond_days *s)
{
	cond_days(x, e, day_num(e->clock), s);
}

/* As cexpr_days, but a days_since with nothing to count from adds no day. */
static void value_days(const struct cexpr *x, const struct cond_env *e, int64_t today, struct cond_days *s)
{
	struct cval v;

	switch (x->t) {
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
	case X_DAYS_AGG:
		cexpr_eval(x, e, &v);
		if (v.k == CV_NUM)
			s->opaque = 1;
		return;
	case X_ARITH:
		value_days(x->a, e, today, s);
		value_days(x->b, e, today, s);
		return;
	default:
		cexpr_days(x, e, today, s);
		return;
	}
}

void cexpr_change_days(const struct cexpr *x, const struct cond_env *e, const double *k, unsigned ncuts,
		       struct cond_days *s)
{
	int64_t today = day_num(e->clock);
	struct cval v;
	unsigned i;

	if (!ncuts || !is_days(x)) {
		value_days(x, e, today, s);
		return;
	}
	/* days_since grows by one a day: it crosses a constant where the
	 * count meets it (or the day after) */
	if (x->t == X_DAYS_AGG)
		cexpr_days(&(struct cexpr){.t = X_AGG, .idx = x->idx}, e, today, s);
	cexpr_eval(x, e, &v);
	if (v.k != CV_NUM)
		return;
	for (i = 0; i < ncuts; i++) {
		int64_t f;
		if (!(k[i] - v.num < 1e15 && k[i] - v.num > -1e15))
			continue;
		f = (int64_t)floor(k[i] - v.num);
		days_add(s, today + f, today);
		days_add(s, today + f + 1, today);
	}
}

/* ---- identities and walks ---- */

void cexpr_canon(const struct cexpr *x, const struct profile_layout *L, struct buf *out)
{
	static const char *const names[] = {
		"lit", "agg", "trait", "tag", "days_first", "days_last", "days", "median_gap",
		"next_date", "arith", "prop", "jq",
	};

	buf_adds(out, names[x->t]);
	buf_addc(out, '(');
	switch (x->t) {
	case X_LIT:
	case X_JQ:
		buf_adds(out, x->text ? x->text : "");
		break;
	case X_AGG:
	case X_DAYS_AGG:
	case X_MEDIAN_GAP:
	case X_NEXT_DATE:
		buf_adds(out, L->specs[x->idx].canon);
		break;
	case X_TRAIT:
		buf_u64(out, x->slot);
		break;
	case X_TAG:
		buf_u64(out, L->tag_slots ? L->tag_slots[x->idx] : x->idx);
		break;
	case X_ARITH:
		buf_addc(out, (char)x->op);
		buf_addc(out, ',');
		cexpr_canon(x->a, L, out);
		buf_addc(out, ',');
		cexpr_canon(x->b, L, out);
		break;
	case X_PROP:
		buf_adds(out, x->path);
		break;
	}
	buf_addc(out, ')');
}

int cexpr_is_days(const struct cexpr *x)
{
	return is_days(x);
}

int cexpr_is_lit(const struct cexpr *x)
{
	return x->t == X_LIT;
}

void cond_values(const struct cond *x, void (*fn)(void *ctx, const struct cexpr *v), void *ctx)
{
	unsigned i;

	for (i = 0; i < x->nk; i++)
		cond_values(x->kids[i], fn, ctx);
	if (x->x)
		fn(ctx, x->x);
	for (i = 0; i < x->nrhs; i++)
		if (x->rhs[i]->t != X_LIT)
			fn(ctx, x->rhs[i]);
}

void cond_segments(const struct cond *x, void (*fn)(void *ctx, unsigned idx), void *ctx)
{
	unsigned i;

	for (i = 0; i < x->nk; i++)
		cond_segments(x->kids[i], fn, ctx);
	if (x->t == C_SEGMENT)
		fn(ctx, x->idx);
}

static void refs_read(void *ctx, enum cond_read what, unsigned idx)
{
	struct cexpr_refs *r = ctx;

	switch (what) {
	case COND_READ_AGG:
		r->agg(r->ctx, idx);
		break;
	case COND_READ_TRAIT:
		r->trait(r->ctx, idx);
		break;
	case COND_READ_TAG:
		r->tag(r->ctx, idx);
		break;
	case COND_READ_SEEN:
	case COND_READ_ALL:
		r->any_event = 1;
		break;
	default:
		break;
	}
}

void cexpr_refs(const struct cexpr *x, struct cexpr_refs *r)
{
	cexpr_reads(x, refs_read, r);
}

/* ---- columns ---- */

void cexpr_cell(const struct cexpr *x, const struct cond_env *e, struct cval *out)
{
	if (!is_days(x)) {
		cexpr_eval(x, e, out);
		return;
	}
	/* days_since is kept as the day it counts from, so that the cell
	 * stays right as days pass */
	cexpr_eval(x, e, out);
	if (out->k == CV_NUM)
		out->num = (double)day_num(e->clock) - out->num;
}

static double cell_num(uint64_t u)
{
	double d;
	memcpy(&d, &u, 8);
	return d;
}

uint64_t cell_of_num(double d)
{
	uint64_t u;
	if (d != d)
		return CELL_NONE;
	if (d == 0)
		d = 0; /* one zero */
	memcpy(&u, &d, 8);
	return u;
}

/* v as it is read back from a cell */
static void cell_cval(const struct cond_rows *R, uint64_t u, int days, struct cval *v)
{
	v->s = NULL;
	v->n = 0;
	v->num = 0;
	if (u == CELL_NONE) {
		v->k = CV_NONE;
	} else if (CELL_IS_TEXT(u)) {
		const char *s;
		size_t n;
		R->text(R->ctx, (uint32_t)u, &s, &n);
		cval_from_json(v, s, n);
	} else {
		v->k = CV_NUM;
		v->num = days ? (double)R->today - cell_num(u) : cell_num(u);
	}
}

static int leaf_row(const struct cond *x, const struct cond_rows *R, const struct cval *v,
		    const uint64_t *const *rc, size_t row)
{
	struct cval r;
	unsigned i;

	switch (x->t) {
	case C_TRUTHY:
	case C_JQ:
		return cval_truthy(v);
	}
	if (x->op == OP_EXISTS)
		return (v->k != CV_NONE) == x->val;
	if (v->k == CV_NONE)
		return 0;
	for (i = 0; i < x->nrhs; i++) {
		if (x->rhs[i]->t == X_LIT)
			r = x->rhs[i]->lit;
		else
			cell_cval(R, rc[i][row], is_days(x->rhs[i]), &r);
		if (x->op == OP_IN || x->op == OP_NOT_IN) {
			if (compare(v, &r) == 0)
				return x->op == OP_IN;
			continue;
		}
		return cmp_holds(x->op, compare(v, &r));
	}
	return x->op == OP_NOT_IN;
}

/* A comparison of every cell with a number, 64 rows to a word, branch-free
 * so that it vectorises: text and missing cells are NaNs and compare false
 * (except ne, true for text: unequal kinds). */
#define NUM_LOOP(EXPR)                                                          \
	for (w = 0; w < words; w++) {                                           \
		unsigned char t[64];                                            \
		uint64_t bits = 0;                                              \
		size_t base = w * 64, m = n - base < 64 ? n - base : 64, j;     \
		memset(t, 0, sizeof t);                                         \
		for (j = 0; j < m; j++) {                                       \
			double v;                                               \
			uint64_t u = col[base + j];                             \
			memcpy(&v, &u, 8);                                      \
			t[j] = (unsigned char)(EXPR);                           \
		}                                                               \
		for (j = 0; j < 8; j++) { /* 8 bytes of 0/1 to 8 bits */        \
			uint64_t x;                                             \
			memcpy(&x, t + 8 * j, 8);                               \
			bits |= ((x * 0x0102040810204080ull) >> 56) << (8 * j); \
		}                                                               \
		out[w] = bits;                                                  \
	}

__attribute__((optimize("O3"))) static void num_rows(const uint64_t *col, size_t n, int op, double k, int days, double today, uint64_t *out)
{
	size_t w, words = (n + 63) / 64;

	if (days) { /* today - cell OP k  is  cell OP' today - k */
		static const int mirror[] = {OP_EQ, OP_NE, OP_LT, OP_LTE, OP_GT, OP_GTE};
		k = today - k;
		op = mirror[op];
	}
#ifdef __SSE2__
	if (op != OP_NE && n % 64 == 0) { /* two cells a compare */
		__m128d kk = _mm_set1_pd(k);
		for (w = 0; w < words; w++) {
			const double *c = (const double *)(const void *)(col + w * 64);
			uint64_t bits = 0;
			unsigned j;
#define SSE_LOOP(CMP)                                                                  \
	for (j = 0; j < 64; j += 2)                                                    \
		bits |= (uint64_t)_mm_movemask_pd(CMP(_mm_loadu_pd(c + j), kk)) << j;
			switch (op) {
			case OP_EQ: SSE_LOOP(_mm_cmpeq_pd) break;
			case OP_GT: SSE_LOOP(_mm_cmpgt_pd) break;
			case OP_GTE: SSE_LOOP(_mm_cmpge_pd) break;
			case OP_LT: SSE_LOOP(_mm_cmplt_pd) break;
			default: SSE_LOOP(_mm_cmple_pd) break;
			}
#undef SSE_LOOP
			out[w] = bits;
		}
		return;
	}
#endif
	switch (op) {
	case OP_EQ: NUM_LOOP(v == k) break;
	case OP_NE: NUM_LOOP(v != k && u != CELL_NONE) break;
	case OP_GT: NUM_LOOP(v > k) break;
	case OP_GTE: NUM_LOOP(v >= k) break;
	case OP_LT: NUM_LOOP(v < k) break;
	default: NUM_LOOP(v <= k) break;
	}
}

static void leaf_rows(const struct cond *x, const struct cond_rows *R, uint64_t *out)
{
	const uint64_t *col = R->column(R->ctx, x->x);
	const uint64_t **rc = NULL;
	int days = is_days(x->x), fast = 0;
	size_t i, n = R->n;
	double k = 0;
	signed char *truth = NULL;
	unsigned j;

	int cols = 0, none_truth = 0;

	memset(out, 0, ((n + 63) / 64) * 8);
	if (x->t == C_CMP && x->nrhs == 1 && x->rhs[0]->t == X_LIT && x->rhs[0]->lit.k == CV_NUM &&
	    x->op >= OP_EQ && x->op <= OP_LTE) {
		fast = 1;
		k = x->rhs[0]->lit.num;
		num_rows(col, n, x->op, k, days, (double)R->today, out);
		return;
	}
	if (x->nrhs) {
		rc = xcalloc(x->nrhs, sizeof *rc);
		for (j = 0; j < x->nrhs; j++)
			if (x->rhs[j]->t != X_LIT) {
				rc[j] = R->column(R->ctx, x->rhs[j]);
				cols = 1;
			}
	}
	if (R->ntext && !cols) /* text cells against constants: once per text */
		truth = xcalloc(R->ntext, 1);
	for (i = 0; i < n; i++) {
		uint64_t u = col[i];
		int bit;
		if (fast && !CELL_IS_TEXT(u)) {
			double v = cell_num(u);
			if (u == CELL_NONE)
				continue;
			if (days)
				v = (double)R->today - v;
			switch (x->op) {
			case OP_EQ: bit = v == k; break;
			case OP_NE: bit = v != k; break;
			case OP_GT: bit = v > k; break;
			case OP_GTE: bit = v >= k; break;
			case OP_LT: bit = v < k; break;
			default: bit = v <= k; break;
			}
		} else if (u == CELL_NONE && !cols) {
			if (!none_truth) {
				struct cval v;
				cell_cval(R, u, 0, &v);
				none_truth = leaf_row(x, R, &v, rc, i) ? 1 : 2;
			}
			bit = none_truth == 1;
		} else if (truth && CELL_IS_TEXT(u) && (uint32_t)u < R->ntext) {
			uint32_t id = (uint32_t)u;
			if (!truth[id]) {
				struct cval v;
				cell_cval(R, u, 0, &v);
				truth[id] = leaf_row(x, R, &v, rc, i) ? 1 : 2;
			}
			bit = truth[id] == 1;
		} else {
			struct cval v;
			cell_cval(R, u, days, &v);
			bit = leaf_row(x, R, &v, rc, i);
		}
		if (bit)
			out[i >> 6] |= 1ull << (i & 63);
	}
	free(truth);
	free(rc);
}

void cond_eval_rows(const struct cond *x, const struct cond_rows *R, uint64_t *out)
{
	size_t w = (R->n + 63) / 64, i;
	unsigned k;

	switch (x->t) {
	case C_CONST:
		if (x->val)
			memcpy(out, R->present, w * 8);
		else
			memset(out, 0, w * 8);
		return;
	case C_AND:
	case C_OR: {
		uint64_t *t = xmalloc(w * 8 + 8);
		cond_eval_rows(x->kids[0], R, out);
		for (k = 1; k < x->nk; k++) {
			cond_eval_rows(x->kids[k], R, t);
			if (x->t == C_AND)
				for (i = 0; i < w; i++)
					out[i] &= t[i];
			else
				for (i = 0; i < w; i++)
					out[i] |= t[i];
		}
		free(t);
		return;
	}
	case C_NOT:
		cond_eval_rows(x->kids[0], R, out);
		for (i = 0; i < w; i++)
			out[i] = ~out[i] & R->present[i];
		return;
	case C_SEGMENT:
		memcpy(out, R->segment(R->ctx, x->idx), w * 8);
		return;
	default:
		if (x->leaf && R->leaf_bits && x->leaf <= R->nleaves) {
			uint64_t *c = R->leaf_bits + (size_t)(x->leaf - 1) * w;
			if (!R->leaf_done[x->leaf - 1]) {
				leaf_rows(x, R, c);
				for (i = 0; i < w; i++)
					c[i] &= R->present[i];
				R->leaf_done[x->leaf - 1] = 1;
			}
			memcpy(out, c, w * 8);
			return;
		}
		leaf_rows(x, R, out);
		for (i = 0; i < w; i++)
			out[i] &= R->present[i];
	}
}

void cond_number_leaves(struct cond *x, const struct profile_layout *L, struct cond_leaves *ls)
{
	struct buf b = BUF_INIT;
	unsigned i;

	if (x->t == C_AND || x->t == C_OR || x->t == C_NOT) {
		for (i = 0; i < x->nk; i++)
			cond_number_leaves(x->kids[i], L, ls);
		return;
	}
	if (x->t != C_CMP && x->t != C_TRUTHY && x->t != C_JQ)
		return;
	buf_printf(&b, "%d %d %d ", x->t, x->op, x->val);
	cexpr_canon(x->x, L, &b);
	for (i = 0; i < x->nrhs; i++) {
		buf_addc(&b, ' ');
		cexpr_canon(x->rhs[i], L, &b);
	}
	for (i = 0; i < ls->n; i++)
		if (!strcmp(ls->text[i], b.p))
			break;
	if (i == ls->n) {
		if (ls->n == ls->cap) {
			ls->cap = ls->cap ? ls->cap * 2 : 64;
			ls->text = xrealloc(ls->text, ls->cap * sizeof *ls->text);
		}
		ls->text[ls->n++] = b.p;
	} else {
		buf_release(&b);
	}
	x->leaf = i + 1;
}

void cond_leaves_release(struct cond_leaves *ls)
{
	unsigned i;

	for (i = 0; i < ls->n; i++)
		free(ls->text[i]);
	free(ls->text);
	memset(ls, 0, sizeof *ls);
}

/* ---- explain ---- */

static void explain_value(const struct cexpr *x, const struct cond_env *e, struct buf *out)
{
	struct cval v;
	struct buf b = BUF_INIT;

	cexpr_canon(x, e->L, &b);
	buf_adds(out, "{\"of\":");
	if (e->label) {
		struct buf l = BUF_INIT;
		e->label(e->ctx, b.p, &l);
		json_write_str(out, l.p ? l.p : "", l.len);
		buf_release(&l);
	} else {
		json_write_str(out, b.p, b.len);
	}
	buf_adds(out, ",\"value\":");
	cexpr_eval(x, e, &v);
	cval_write(&v, out);
	buf_addc(out, '}');
	buf_release(&b);
}

void cond_explain(const struct cond *x, const struct cond_env *e, struct buf *out)
{
	unsigned i;

	buf_adds(out, "{\"is\":");
	buf_adds(out, cond_eval(x, e) ? "true" : "false");
	switch (x->t) {
	case C_CONST:
		buf_adds(out, ",\"const\":");
		buf_adds(out, x->val ? "true" : "false");
		break;
	case C_AND:
	case C_OR:
		buf_adds(out, x->t == C_AND ? ",\"and\":[" : ",\"or\":[");
		for (i = 0; i < x->nk; i++) {
			if (i)
				buf_addc(out, ',');
			cond_explain(x->kids[i], e, out);
		}
		buf_addc(out, ']');
		break;
	case C_NOT:
		buf_adds(out, ",\"not\":");
		cond_explain(x->kids[0], e, out);
		break;
	case C_SEGMENT:
		buf_adds(out, ",\"segment\":");
		if (e->segment_name) {
			const char *s = e->segment_name(e->ctx, x->idx);
			json_write_str(out, s, strlen(s));
		} else {
			buf_u64(out, x->idx);
		}
		break;
	case C_JQ:
	case C_TRUTHY:
		buf_adds(out, ",\"truthy\":");
		explain_value(x->x, e, out);
		break;
	case C_CMP:
		buf_adds(out, ",\"op\":\"");
		buf_adds(out, op_names[x->op]);
		buf_adds(out, "\",\"value\":");
		explain_value(x->x, e, out);
		if (x->op == OP_EXISTS) {
			buf_adds(out, x->val ? ",\"than\":true" : ",\"than\":false");
		} else {
			buf_adds(out, ",\"than\":");
			if (x->op == OP_IN || x->op == OP_NOT_IN)
				buf_addc(out, '[');
			for (i = 0; i < x->nrhs; i++) {
				struct cval r;
				if (i)
					buf_addc(out, ',');
				cexpr_eval(x->rhs[i], e, &r);
				cval_write(&r, out);
			}
			if (x->op == OP_IN || x->op == OP_NOT_IN)
				buf_addc(out, ']');
		}
		break;
	}
	buf_addc(out, '}');
}

/* ---- what may change on any day, read from the definition alone ---- */

/* As cexpr_days: a days_since or jq inside x may change any day. */
static int cexpr_any_day(const struct cexpr *x)
{
	if (!x)
		return 0;
	switch (x->t) {
	case X_DAYS_FIRST:
	case X_DAYS_LAST:
	case X_DAYS_AGG:
		return COND_DAILY_DAYS;
	case X_JQ:
		return COND_DAILY_JQ;
	case X_ARITH:
		return cexpr_any_day(x->a) | cexpr_any_day(x->b);
	default:
		return 0;
	}
}

int cond_daily(const struct cond *x)
{
	unsigned i;
	int r = 0;

	if (!x || !x->timed)
		return 0;
	switch (x->t) {
	case C_AND:
	case C_OR:
	case C_NOT:
		for (i = 0; i < x->nk; i++)
			r |= cond_daily(x->kids[i]);
		return r;
	case C_JQ:
		return COND_DAILY_JQ;
	case C_CMP:
	case C_TRUTHY:
		if (x->x && is_days(x->x) && x->t == C_CMP) {
			int plain = 1;
			if (x->op == OP_EXISTS)
				return 0;
			for (i = 0; i < x->nrhs; i++)
				plain &= x->rhs[i]->t == X_LIT;
			if (plain) /* meets a constant on a day known ahead */
				return 0;
		}
		r = cexpr_any_day(x->x);
		for (i = 0; i < x->nrhs; i++)
			r |= cexpr_any_day(x->rhs[i]);
		return r;
	default:
		return 0;
	}
}

int cexpr_daily(const struct cexpr *x, int cuts)
{
	if (!x)
		return 0;
	if (cuts && is_days(x))
		return 0; /* crosses each cut on a day known ahead */
	return cexpr_any_day(x);
}
