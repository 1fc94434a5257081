#include "map.h"

#include <float.h>
#include <jv.h>
#include <math.h>
#include <oniguruma.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jqprog.h"

/* ---- values ---- */

enum vkind {
	V_EMPTY,  /* no value at all, as jq's empty: a "try" that failed */
	V_ABSENT, /* an "opt" that gave null: its object member is left out */
	V_NULL,
	V_FALSE,
	V_TRUE,
	V_NUM,
	V_STR,    /* valid UTF-8, unescaped */
	V_TOK,    /* an array or object of a parsed document */
	V_OBJ,    /* an object built by the map */
};

struct obj;

struct val {
	int k;
	union {
		double num;
		struct {
			const char *s;
			size_t n;
		} str;
		struct {
			const struct json_doc *d;
			uint32_t t;
		} tok;
		struct obj *obj;
	} u;
};

struct member {
	const char *k;
	size_t kn;
	struct val v;
};

struct obj {
	size_t n, cap;
	struct member *m;
};

/* ---- the compiled form ---- */

enum op {
	OP_CONST, OP_TEMPLATE, OP_GET, OP_VAR, OP_IF, OP_ERROR, OP_ALT, OP_AND, OP_OR,
	OP_NOT, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
	OP_ROUND, OP_FLOOR, OP_CEIL, OP_TONUMBER, OP_TOSTRING, OP_STARTS, OP_ENDS,
	OP_LTRIM, OP_RTRIM, OP_DOWN, OP_UP, OP_RESUB, OP_REGSUB, OP_TEST, OP_LOOKUP,
	OP_COMPACT, OP_WITHOUT, OP_OPT, OP_JQ, OP_TRY,
};

static const struct {
	const char *name;
	int op;
	int min, max; /* arguments after the name (-1: any number) */
} ops[] = {
	{"get", OP_GET, 1, 2},
	{"var", OP_VAR, 1, 1},
	{"if", OP_IF, 2, 3},
	{"error", OP_ERROR, 1, 1},
	{"//", OP_ALT, 2, -1},
	{"and", OP_AND, 2, -1},
	{"or", OP_OR, 2, -1},
	{"not", OP_NOT, 1, 1},
	{"==", OP_EQ, 2, 2},
	{"!=", OP_NE, 2, 2},
	{"<", OP_LT, 2, 2},
	{"<=", OP_LE, 2, 2},
	{">", OP_GT, 2, 2},
	{">=", OP_GE, 2, 2},
	{"+", OP_ADD, 2, -1},
	{"-", OP_SUB, 2, 2},
	{"*", OP_MUL, 2, -1},
	{"/", OP_DIV, 2, 2},
	{"round", OP_ROUND, 1, 1},
	{"floor", OP_FLOOR, 1, 1},
	{"ceil", OP_CEIL, 1, 1},
	{"tonumber", OP_TONUMBER, 1, 1},
	{"tostring", OP_TOSTRING, 1, 1},
	{"startswith", OP_STARTS, 2, 2},
	{"endswith", OP_ENDS, 2, 2},
	{"ltrimstr", OP_LTRIM, 2, 2},
	{"rtrimstr", OP_RTRIM, 2, 2},
	{"ascii_downcase", OP_DOWN, 1, 1},
	{"ascii_upcase", OP_UP, 1, 1},
	{"sub", OP_RESUB, 3, 3},
	{"gsub", OP_REGSUB, 3, 3},
	{"test", OP_TEST, 2, 2},
	{"lookup", OP_LOOKUP, 2, 2},
	{"compact", OP_COMPACT, 1, -1},
	{"without", OP_WITHOUT, 2, -1},
	{"opt", OP_OPT, 1, 1},
	{"try", OP_TRY, 1, 1},
	{"jq", OP_JQ, 1, 1},
	{NULL, 0, 0, 0},
};

struct node {
	int op;
	unsigned n;         /* arguments */
	struct node **a;
	struct val k;       /* OP_CONST; OP_RESUB/OP_REGSUB: the replacement */
	/* OP_GET: path segments; root: index of its first segment among the
	 * map's root names, or -1 when it has a base (a[0]) */
	char **seg;
	size_t *segn;
	unsigned nseg;
	int root;
	/* OP_TEMPLATE: member names (values in a) */
	char **key;
	size_t *keyn;
	/* OP_VAR */
	unsigned var;
	/* OP_RESUB, OP_REGSUB, OP_TEST: index of the pattern; OP_JQ: of the
	 * program */
	unsigned slot;
	/* OP_LOOKUP: the table (an object token of the map's document) */
	uint32_t table;
	/* OP_COMPACT: values dropped (a[1..n)); OP_WITHOUT: keys (k of a[1..n)) */
};

struct map {
	char *name;
	char *text;             /* the map's text, kept: constants point into it */
	struct json_doc doc;
	struct node *when, *event;
	struct node **let;
	char **let_name;
	unsigned nlet;
	char **root;            /* first path segments read from the input */
	size_t *rootn;
	unsigned nroot;
	int *col;               /* CSV: column of each root name, -1: none */
	char *const *hdr;       /* CSV: the bound header */
	size_t nh;
	char **re;              /* patterns */
	unsigned nre;
	char **jq;              /* jq expressions */
	unsigned njq;
};

/* ---- per-thread scratch: an arena reset per record ---- */

struct block {
	size_t used, cap;
	char *p;
};

struct map_ctx {
	const struct map *m;
	struct block *blk;
	size_t nblk, cur;
	struct val *vars;
	uint32_t *roots;        /* JSON: token of each root name (0: absent) */
	const struct json_doc *doc;
	int row;                /* the record is a CSV row: */
	const char *text;       /* its bytes */
	const struct csv_field *f;
	size_t nf;
	struct buf err, tmp;
	regex_t **re;
	OnigRegion *region;
	struct jqprog **jq;
	struct json_doc *jqdoc;
	struct buf *jqout;
	jv input;
	int have_input;
	int nonobj;             /* JSON: the record is not an object */
	int tried;              /* a "try" gave a value: a later error is jq 1.6's
				 * empty (see run) */
};

static void *ar_alloc(struct map_ctx *c, size_t n)
{
	struct block *b;

	n = (n + 15) & ~(size_t)15;
	while (c->cur < c->nblk) {
		b = &c->blk[c->cur];
		if (b->cap - b->used >= n) {
			void *p = b->p + b->used;
			b->used += n;
			return p;
		}
		c->cur++;
	}
	c->blk = xrealloc(c->blk, (c->nblk + 1) * sizeof *c->blk);
	b = &c->blk[c->nblk++];
	b->cap = n > 65536 ? n : 65536;
	b->p = xmalloc(b->cap);
	b->used = n;
	c->cur = c->nblk - 1;
	return b->p;
}

static void ar_reset(struct map_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nblk; i++)
		c->blk[i].used = 0;
	c->cur = 0;
}

static char *ar_dup(struct map_ctx *c, const char *s, size_t n)
{
	char *p = ar_alloc(c, n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* ---- writing values as jq does ---- */

static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
			     1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
			     1e21, 1e22};

void map_num_format(double x, struct buf *out)
{
	char dig[24], tmp[24], *q = tmp;
	int k, nd = 0, decpt, i;
	uint64_t m = 0;

	if (x != x) {
		buf_add(out, "null", 4);
		return;
	}
	if (x > DBL_MAX)
		x = DBL_MAX;
	if (x < -DBL_MAX)
		x = -DBL_MAX;
	if (x == 0) {
		buf_adds(out, signbit(x) ? "-0" : "0");
		return;
	}
	/*
	 * x = m / 10^k with m below 10^15: those digits read back as x, and
	 * no other decimal of 15 digits or fewer does (DBL_DIG), so they are
	 * the shortest, what jq's dtoa finds. Else ask jq.
	 */
	for (k = 0; k <= 17; k++) {
		double s = fabs(x) * p10[k];
		if (s >= 1e15)
			break;
		if (s == floor(s) && (double)(uint64_t)s / p10[k] == fabs(x)) {
			m = (uint64_t)s;
			break;
		}
	}
	if (!m) {
		jv v = jv_dump_string(jv_number(x), 0);
		buf_add(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		jv_free(v);
		return;
	}
	while (m) {
		tmp[nd++] = (char)('0' + m % 10);
		m /= 10;
	}
	for (i = 0; i < nd; i++)
		dig[i] = tmp[nd - 1 - i];
	decpt = nd - k;
	while (nd > 1 && dig[nd - 1] == '0')
		nd--;
	if (signbit(x))
		*q++ = '-';
	if (decpt <= -4 || decpt > nd + 15) {
		int e = decpt - 1, ae = e < 0 ? -e : e;
		*q++ = dig[0];
		if (nd > 1) {
			*q++ = '.';
			memcpy(q, dig + 1, (size_t)nd - 1);
			q += nd - 1;
		}
		*q++ = 'e';
		*q++ = e < 0 ? '-' : '+';
		if (ae >= 100)
			*q++ = (char)('0' + ae / 100);
		*q++ = (char)('0' + ae / 10 % 10);
		*q++ = (char)('0' + ae % 10);
	} else if (decpt <= 0) {
		*q++ = '0';
		*q++ = '.';
		for (i = decpt; i < 0; i++)
			*q++ = '0';
		memcpy(q, dig, (size_t)nd);
		q += nd;
	} else {
		for (i = 0; i < nd; i++) {
			*q++ = dig[i];
			if (i + 1 == decpt && i + 1 < nd)
				*q++ = '.';
		}
		for (i = nd; i < decpt; i++)
			*q++ = '0';
	}
	buf_add(out, tmp, (size_t)(q - tmp));
}

/* s (n bytes of UTF-8) as a JSON string the way jq writes it. */
static void put_str(struct buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_grow(b, n + 2);
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 0x20 && ch != '"' && ch != '\\' && ch != 0x7f)
			continue;
		buf_add(b, s + run, i - run);
		run = i + 1;
		buf_addc(b, '\\');
		switch (ch) {
		case '"': buf_addc(b, '"'); break;
		case '\\': buf_addc(b, '\\'); break;
		case '\b': buf_addc(b, 'b'); break;
		case '\f': buf_addc(b, 'f'); break;
		case '\n': buf_addc(b, 'n'); break;
		case '\r': buf_addc(b, 'r'); break;
		case '\t': buf_addc(b, 't'); break;
		default:
			buf_adds(b, "u00");
			buf_addc(b, hex[ch >> 4]);
			buf_addc(b, hex[ch & 15]);
		}
	}
	buf_add(b, s + run, n - run);
	buf_addc(b, '"');
}

static double tok_num(const struct json_doc *d, uint32_t t)
{
	uint64_t dg;
	int fr, neg;
	char tmp[64], *s;
	double x;

	if (!json_num_plain(d->s + d->t[t].off, d->t[t].len, &dg, &fr, &neg))
		return json_num_value(dg, fr, neg);
	s = d->t[t].len < sizeof tmp ? tmp : xmalloc(d->t[t].len + 1);
	memcpy(s, d->s + d->t[t].off, d->t[t].len);
	s[d->t[t].len] = 0;
	x = strtod(s, NULL);
	if (s != tmp)
		free(s);
	return x;
}

static void put_tok(struct buf *b, const struct json_doc *d, uint32_t t, struct buf *tmp)
{
	const struct json_tok *k = &d->t[t];
	uint32_t i, j;

	switch (k->type) {
	case JSON_NULL: buf_add(b, "null", 4); break;
	case JSON_TRUE: buf_add(b, "true", 4); break;
	case JSON_FALSE: buf_add(b, "false", 5); break;
	case JSON_NUMBER: map_num_format(tok_num(d, t), b); break;
	case JSON_STRING:
		if (!k->esc) {
			put_str(b, d->s + k->off, k->len);
		} else {
			buf_reset(tmp);
			json_str_get(d, t, tmp);
			put_str(b, tmp->p ? tmp->p : "", tmp->len);
		}
		break;
	case JSON_ARRAY:
		buf_addc(b, '[');
		for (i = 0, j = t + 1; i < k->size; i++, j = d->t[j].next) {
			if (i)
				buf_addc(b, ',');
			put_tok(b, d, j, tmp);
		}
		buf_addc(b, ']');
		break;
	default:
		buf_addc(b, '{');
		for (i = 0, j = t + 1; i < k->size; i++, j = d->t[j + 1].next) {
			if (i)
				buf_addc(b, ',');
			put_tok(b, d, j, tmp);
			buf_addc(b, ':');
			put_tok(b, d, j + 1, tmp);
		}
		buf_addc(b, '}');
	}
}

static void put_val(struct buf *b, const struct val *v, struct buf *tmp)
{
	size_t i;
	int first = 1;

	switch (v->k) {
	case V_ABSENT:
	case V_NULL: buf_add(b, "null", 4); break;
	case V_FALSE: buf_add(b, "false", 5); break;
	case V_TRUE: buf_add(b, "true", 4); break;
	case V_NUM: map_num_format(v->u.num, b); break;
	case V_STR: put_str(b, v->u.str.s, v->u.str.n); break;
	case V_TOK: put_tok(b, v->u.tok.d, v->u.tok.t, tmp); break;
	default:
		buf_addc(b, '{');
		for (i = 0; i < v->u.obj->n; i++) {
			const struct member *m = &v->u.obj->m[i];
			if (m->v.k == V_ABSENT)
				continue;
			if (!first)
				buf_addc(b, ',');
			first = 0;
			put_str(b, m->k, m->kn);
			buf_addc(b, ':');
			put_val(b, &m->v, tmp);
		}
		buf_addc(b, '}');
	}
}

/* ---- errors in jq's words ---- */

static int kind_is_obj(const struct val *v)
{
	return v->k == V_OBJ || (v->k == V_TOK && v->u.tok.d->t[v->u.tok.t].type == JSON_OBJECT);
}

static const char *kind_name(const struct val *v)
{
	switch (v->k) {
	case V_ABSENT:
	case V_NULL: return "null";
	case V_FALSE:
	case V_TRUE: return "boolean";
	case V_NUM: return "number";
	case V_STR: return "string";
	case V_TOK: return kind_is_obj(v) ? "object" : "array";
	default: return "object";
	}
}

static int fail(struct map_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct map_ctx *c, const char *fmt, ...)
{
	va_list ap;

	buf_reset(&c->err);
	va_start(ap, fmt);
	{
		char tmp[512];
		vsnprintf(tmp, sizeof tmp, fmt, ap);
		buf_adds(&c->err, tmp);
	}
	va_end(ap);
	return -1;
}

/* v as jq quotes a value in a message: its JSON, cut to 11 bytes and "..."
 * past 14; a character the cut splits reads as U+FFFD, as jq makes it
 * (out: NUL-terminated). */
static const char *dump_trunc(struct map_ctx *c, const struct val *v, char out[18])
{
	struct buf b = BUF_INIT;

	put_val(&b, v, &c->tmp);
	if (b.len > 14) {
		size_t k = 11, lead = 11, want;
		while (lead > 0 && ((unsigned char)b.p[lead - 1] & 0xc0) == 0x80)
			lead--;
		if (lead > 0 && (unsigned char)b.p[lead - 1] >= 0xc0) {
			unsigned char ch = (unsigned char)b.p[lead - 1];
			want = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
			if (11 - (lead - 1) < want)
				k = lead - 1; /* the split character's bytes go */
		}
		memcpy(out, b.p, k);
		if (k < 11) {
			memcpy(out + k, "\xef\xbf\xbd", 3);
			k += 3;
		}
		memcpy(out + k, "...", 4);
	} else {
		memcpy(out, b.p, b.len);
		out[b.len] = 0;
	}
	buf_release(&b);
	return out;
}

static int type_error(struct map_ctx *c, const struct val *v, const char *what)
{
	char t[18];

	return fail(c, "%s (%s) %s", kind_name(v), dump_trunc(c, v, t), what);
}

static int type_error2(struct map_ctx *c, const struct val *a, const struct val *b, const char *what)
{
	char ta[18], tb[18];

	dump_trunc(c, a, ta);
	dump_trunc(c, b, tb);
	return fail(c, "%s (%s) and %s (%s) %s", kind_name(a), ta, kind_name(b), tb, what);
}

/* ---- evaluation ---- */

static void tok_val(struct map_ctx *c, const struct json_doc *d, uint32_t t, struct val *v)
{
	const struct json_tok *k = &d->t[t];

	switch (k->type) {
	case JSON_NULL: v->k = V_NULL; break;
	case JSON_TRUE: v->k = V_TRUE; break;
	case JSON_FALSE: v->k = V_FALSE; break;
	case JSON_NUMBER:
		v->k = V_NUM;
		v->u.num = tok_num(d, t);
		break;
	case JSON_STRING:
		v->k = V_STR;
		if (!k->esc) {
			v->u.str.s = d->s + k->off;
			v->u.str.n = k->len;
		} else {
			buf_reset(&c->tmp);
			json_str_get(d, t, &c->tmp);
			v->u.str.n = c->tmp.len;
			v->u.str.s = ar_dup(c, c->tmp.p ? c->tmp.p : "", c->tmp.len);
		}
		break;
	default:
		v->k = V_TOK;
		v->u.tok.d = d;
		v->u.tok.t = t;
	}
}

static int utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char ch = s[i];
		size_t len;
		uint32_t cp;
		if (ch < 0x80) {
			i++;
			continue;
		}
		if (ch >= 0xc2 && ch <= 0xdf)
			len = 2, cp = ch & 0x1f;
		else if (ch >= 0xe0 && ch <= 0xef)
			len = 3, cp = ch & 0x0f;
		else if (ch >= 0xf0 && ch <= 0xf4)
			len = 4, cp = ch & 0x07;
		else
			return 0;
		if (n - i < len)
			return 0;
		for (size_t j = 1; j < len; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return 0;
		i += len;
	}
	return 1;
}

/* The value of the input's root name r: 0, or -1 with the error. */
static int root_val(struct map_ctx *c, int r, struct val *v)
{
	const struct map *m = c->m;

	if (c->row) {
		int col = m->col ? m->col[r] : -1;
		const struct csv_field *f;
		const char *s;
		if (col < 0 || (size_t)col >= c->nf) {
			v->k = V_NULL;
			return 0;
		}
		f = &c->f[col];
		s = c->text + f->off;
		v->k = V_STR;
		if (utf8_valid((const unsigned char *)s, f->len)) {
			v->u.str.s = s;
			v->u.str.n = f->len;
		} else {
			/* as jq takes it: bad bytes become U+FFFD */
			jv j = jv_string_sized(s, (int)f->len);
			v->u.str.n = (size_t)jv_string_length_bytes(jv_copy(j));
			v->u.str.s = ar_dup(c, jv_string_value(j), v->u.str.n);
			jv_free(j);
		}
		return 0;
	}
	if (c->nonobj) {
		struct val x;
		tok_val(c, c->doc, 0, &x);
		if (x.k != V_NULL)
			return fail(c, "Cannot index %s with string \"%s\"", kind_name(&x), m->root[r]);
	}
	if (!c->roots[r]) {
		v->k = V_NULL;
		return 0;
	}
	tok_val(c, c->doc, c->roots[r], v);
	return 0;
}

/* Member key (n bytes) of object value v, into *out (null when absent). */
static void obj_get(struct map_ctx *c, const struct val *v, const char *key, size_t n, struct val *out)
{
	if (v->k == V_TOK) {
		uint32_t t = json_get(v->u.tok.d, v->u.tok.t, key, n);
		if (t)
			tok_val(c, v->u.tok.d, t, out);
		else
			out->k = V_NULL;
		return;
	}
	for (size_t i = 0; i < v->u.obj->n; i++) {
		const struct member *mb = &v->u.obj->m[i];
		if (mb->kn == n && !memcmp(mb->k, key, n)) {
			*out = mb->v.k == V_ABSENT ? (struct val){.k = V_NULL} : mb->v;
			return;
		}
	}
	out->k = V_NULL;
}

static int eval(struct map_ctx *c, const struct node *n, struct val *out);

static int truthy(const struct val *v)
{
	return v->k != V_NULL && v->k != V_FALSE && v->k != V_ABSENT;
}

static int kind_rank(const struct val *v)
{
	switch (v->k) {
	case V_ABSENT:
	case V_NULL: return 0;
	case V_FALSE: return 1;
	case V_TRUE: return 2;
	case V_NUM: return 3;
	case V_STR: return 4;
	default: return kind_is_obj(v) ? 6 : 5;
	}
}

/* jq's order of two values (-1, 0, 1), or -2 (an error) for two arrays or
 * two objects, which the map does not compare. */
static int compare(struct map_ctx *c, const struct val *a, const struct val *b)
{
	int ra = kind_rank(a), rb = kind_rank(b);

	if (ra != rb)
		return ra < rb ? -1 : 1;
	if (ra == 3)
		return a->u.num < b->u.num ? -1 : a->u.num == b->u.num ? 0 : 1;
	if (ra == 4) {
		size_t n = a->u.str.n < b->u.str.n ? a->u.str.n : b->u.str.n;
		int r = memcmp(a->u.str.s, b->u.str.s, n);
		if (r)
			return r < 0 ? -1 : 1;
		return a->u.str.n < b->u.str.n ? -1 : a->u.str.n > b->u.str.n;
	}
	if (ra >= 5)
		return fail(c, "a map compares no %ss: use [\"jq\", …]", kind_name(a)), -2;
	return 0;
}

static int equal(const struct val *a, const struct val *b)
{
	int ra = kind_rank(a), rb = kind_rank(b);

	if (ra != rb)
		return 0;
	if (ra == 3)
		return a->u.num == b->u.num;
	if (ra == 4)
		return a->u.str.n == b->u.str.n && !memcmp(a->u.str.s, b->u.str.s, a->u.str.n);
	return ra < 3;
}

/* An object value as members the map can change. */
static struct obj *obj_of(struct map_ctx *c, const struct val *v)
{
	struct obj *o = ar_alloc(c, sizeof *o);

	o->n = 0;
	if (v->k == V_OBJ) {
		o->cap = v->u.obj->n + 4;
		o->m = ar_alloc(c, o->cap * sizeof *o->m);
		memcpy(o->m, v->u.obj->m, v->u.obj->n * sizeof *o->m);
		o->n = v->u.obj->n;
	} else {
		const struct json_doc *d = v->u.tok.d;
		uint32_t t = v->u.tok.t, i, j;
		o->cap = d->t[t].size + 4;
		o->m = ar_alloc(c, o->cap * sizeof *o->m);
		for (i = 0, j = t + 1; i < d->t[t].size; i++, j = d->t[j + 1].next) {
			struct val k;
			tok_val(c, d, j, &k);
			o->m[o->n].k = k.u.str.s;
			o->m[o->n].kn = k.u.str.n;
			tok_val(c, d, j + 1, &o->m[o->n].v);
			o->n++;
		}
	}
	return o;
}

/* Set key in o: a present key keeps its place, as jq's objects do. */
static void obj_set(struct map_ctx *c, struct obj *o, const char *k, size_t kn, const struct val *v)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (o->m[i].kn == kn && !memcmp(o->m[i].k, k, kn)) {
			o->m[i].v = *v;
			return;
		}
	if (o->n == o->cap) {
		struct member *m = ar_alloc(c, (o->cap * 2 + 4) * sizeof *m);
		memcpy(m, o->m, o->n * sizeof *m);
		o->m = m;
		o->cap = o->cap * 2 + 4;
	}
	o->m[o->n].k = k;
	o->m[o->n].kn = kn;
	o->m[o->n].v = *v;
	o->n++;
}

static int add(struct map_ctx *c, struct val *a, const struct val *b)
{
	if (a->k == V_NULL || a->k == V_ABSENT) {
		*a = *b;
		if (a->k == V_ABSENT)
			a->k = V_NULL;
		return 0;
	}
	if (b->k == V_NULL || b->k == V_ABSENT)
		return 0;
	if (a->k == V_NUM && b->k == V_NUM) {
		a->u.num += b->u.num;
		return 0;
	}
	if (a->k == V_STR && b->k == V_STR) {
		char *p = ar_alloc(c, a->u.str.n + b->u.str.n + 1);
		memcpy(p, a->u.str.s, a->u.str.n);
		memcpy(p + a->u.str.n, b->u.str.s, b->u.str.n);
		a->u.str.s = p;
		a->u.str.n += b->u.str.n;
		return 0;
	}
	if (kind_is_obj(a) && kind_is_obj(b)) {
		struct obj *o = obj_of(c, a), *ob = obj_of(c, b);
		size_t i;
		for (i = 0; i < ob->n; i++)
			if (ob->m[i].v.k != V_ABSENT)
				obj_set(c, o, ob->m[i].k, ob->m[i].kn, &ob->m[i].v);
		a->k = V_OBJ;
		a->u.obj = o;
		return 0;
	}
	if (a->k == V_TOK && b->k == V_TOK)
		return fail(c, "a map adds no arrays: use [\"jq\", …]");
	return type_error2(c, a, b, "cannot be added");
}

static int arith(struct map_ctx *c, int op, struct val *a, const struct val *b)
{
	static const char *const what[] = {"cannot be subtracted", "cannot be multiplied",
					   "cannot be divided"};
	int w = op == OP_SUB ? 0 : op == OP_MUL ? 1 : 2;

	if (a->k != V_NUM || b->k != V_NUM) {
		if ((op == OP_MUL && (a->k == V_STR || kind_is_obj(a))) ||
		    (op == OP_DIV && a->k == V_STR && b->k == V_STR) ||
		    (op == OP_SUB && a->k == V_TOK && b->k == V_TOK && !kind_is_obj(a)))
			return fail(c, "a map does '%s' on numbers only: use [\"jq\", …]",
				    op == OP_SUB ? "-" : op == OP_MUL ? "*" : "/");
		return type_error2(c, a, b, what[w]);
	}
	if (op == OP_SUB)
		a->u.num -= b->u.num;
	else if (op == OP_MUL)
		a->u.num *= b->u.num;
	else if (b->u.num == 0)
		return type_error2(c, a, b, "cannot be divided because the divisor is zero");
	else
		a->u.num /= b->u.num;
	return 0;
}

/* tonumber as ingest's jq programs have it (lib/jqprog): a string read as
 * JSON text that must be a number. */
static int to_number(struct map_ctx *c, struct val *v)
{
	uint64_t dg;
	int fr, neg;
	jv j;

	if (v->k == V_NUM)
		return 0;
	if (v->k != V_STR)
		return type_error(c, v, "cannot be parsed as a number");
	if (!json_num_plain(v->u.str.s, v->u.str.n, &dg, &fr, &neg)) {
		v->k = V_NUM;
		v->u.num = json_num_value(dg, fr, neg);
		return 0;
	}
	j = jv_parse_sized(v->u.str.s, (int)v->u.str.n);
	if (!jv_is_valid(j)) {
		jv msg = jv_invalid_get_msg(j);
		if (jv_get_kind(msg) == JV_KIND_STRING)
			fail(c, "%s", jv_string_value(msg));
		else
			fail(c, "cannot parse a number");
		jv_free(msg);
		return -1;
	}
	if (jv_get_kind(j) == JV_KIND_NUMBER) {
		v->k = V_NUM;
		v->u.num = jv_number_value(j);
		jv_free(j);
		return 0;
	}
	jv_free(j);
	{
		/* the value's JSON, cut to 11 characters and "..." past 14 */
		struct buf b = BUF_INIT;
		size_t i, chars = 0, cut = 0;
		put_str(&b, v->u.str.s, v->u.str.n);
		for (i = 0; i < b.len; i++)
			if (((unsigned char)b.p[i] & 0xc0) != 0x80) {
				if (++chars == 12)
					cut = i;
			}
		if (chars > 14) {
			b.len = cut;
			buf_adds(&b, "...");
		}
		fail(c, "string (%.*s) cannot be parsed as a number", (int)b.len, b.p);
		buf_release(&b);
	}
	return -1;
}

static int to_string(struct map_ctx *c, struct val *v)
{
	struct buf b = BUF_INIT;

	if (v->k == V_STR)
		return 0;
	put_val(&b, v, &c->tmp);
	v->k = V_STR;
	v->u.str.n = b.len;
	v->u.str.s = ar_dup(c, b.p, b.len);
	buf_release(&b);
	return 0;
}

static int regex_run(struct map_ctx *c, const struct node *n, struct val *s, struct val *out)
{
	regex_t *re = c->re[n->slot];
	const UChar *str = (const UChar *)s->u.str.s, *end = str + s->u.str.n;
	size_t at = 0;
	struct buf *b = &c->tmp;
	int r;

	if (s->k != V_STR)
		return type_error(c, s, "cannot be matched, as it is not a string");
	buf_reset(b);
	for (;;) {
		r = onig_search(re, str, end, str + at, end, c->region, ONIG_OPTION_NONE);
		if (r == ONIG_MISMATCH)
			break;
		if (r < 0)
			return fail(c, "regular expression failed on a value");
		if (n->op == OP_TEST) {
			*out = (struct val){.k = V_TRUE};
			return 0;
		}
		if (c->region->end[0] == c->region->beg[0])
			return fail(c, "pattern matched the empty string");
		buf_add(b, s->u.str.s + at, (size_t)c->region->beg[0] - at);
		buf_add(b, n->k.u.str.s, n->k.u.str.n);
		at = (size_t)c->region->end[0];
		if (n->op == OP_RESUB)
			break;
	}
	if (n->op == OP_TEST) {
		*out = (struct val){.k = V_FALSE};
		return 0;
	}
	if (!at && !b->len) {
		*out = *s;
		return 0;
	}
	buf_add(b, s->u.str.s + at, s->u.str.n - at);
	out->k = V_STR;
	out->u.str.n = b->len;
	out->u.str.s = ar_dup(c, b->p ? b->p : "", b->len);
	return 0;
}

static int jq_input(struct map_ctx *c)
{
	if (c->have_input)
		return 0;
	if (c->row) {
		jv o = jv_object();
		size_t f;
		for (f = 0; f < c->m->nh && f < c->nf; f++)
			o = jv_object_set(o, jv_string(c->m->hdr[f]),
					  jv_string_sized(c->text + c->f[f].off, (int)c->f[f].len));
		c->input = o;
	} else {
		c->input = jqprog_from_json(c->doc, 0);
	}
	c->have_input = 1;
	return 0;
}

static int run_jq(struct map_ctx *c, const struct node *n, struct val *out)
{
	struct buf *o = &c->jqout[n->slot];
	const char *why;
	size_t at, len;
	int r;

	jq_input(c);
	buf_reset(o);
	buf_reset(&c->err);
	r = jqprog_run(c->jq[n->slot], jv_copy(c->input), o, &c->err);
	if (r < 0)
		return -1;
	if (r == 0) {
		out->k = V_NULL;
		return 0;
	}
	len = (size_t)((char *)memchr(o->p, '\n', o->len) - o->p);
	if (json_parse(&c->jqdoc[n->slot], o->p, len, 1000, &why, &at))
		return fail(c, "jq gave what does not parse: %s", why);
	tok_val(c, &c->jqdoc[n->slot], 0, out);
	return 0;
}

static int eval(struct map_ctx *c, const struct node *n, struct val *out)
{
	struct val a, b;
	unsigned i;
	int r;

/* evaluate into v; an empty value makes this one empty, as in jq */
#define EV(node, v)                                          \
	do {                                                 \
		if (eval(c, (node), (v)))                    \
			return -1;                           \
		if ((v)->k == V_EMPTY) {                     \
			out->k = V_EMPTY;                    \
			return 0;                            \
		}                                            \
	} while (0)

	switch (n->op) {
	case OP_CONST:
		*out = n->k;
		return 0;
	case OP_TEMPLATE: {
		struct obj *o = ar_alloc(c, sizeof *o);
		o->cap = n->n;
		o->n = 0;
		o->m = ar_alloc(c, (n->n ? n->n : 1) * sizeof *o->m);
		for (i = 0; i < n->n; i++) {
			EV(n->a[i], &o->m[o->n].v);
			o->m[o->n].k = n->key[i];
			o->m[o->n].kn = n->keyn[i];
			o->n++;
		}
		out->k = V_OBJ;
		out->u.obj = o;
		return 0;
	}
	case OP_GET:
		if (n->root >= 0) {
			if (root_val(c, n->root, &a))
				return -1;
			i = 1;
		} else {
			EV(n->a[0], &a);
			i = 0;
		}
		for (; i < n->nseg; i++) {
			if (a.k == V_NULL || a.k == V_ABSENT) {
				a.k = V_NULL;
				break;
			}
			if (!kind_is_obj(&a))
				return fail(c, "Cannot index %s with string \"%s\"", kind_name(&a), n->seg[i]);
			obj_get(c, &a, n->seg[i], n->segn[i], &b);
			a = b;
		}
		if (a.k == V_ABSENT)
			a.k = V_NULL;
		*out = a;
		return 0;
	case OP_VAR:
		*out = c->vars[n->var];
		return 0;
	case OP_IF:
		EV(n->a[0], &a);
		if (truthy(&a))
			return eval(c, n->a[1], out);
		if (n->n > 2)
			return eval(c, n->a[2], out);
		out->k = V_NULL;
		return 0;
	case OP_ERROR:
		EV(n->a[0], &a);
		if (a.k == V_STR) {
			buf_reset(&c->err);
			buf_add(&c->err, a.u.str.s, a.u.str.n);
			return -1;
		}
		{
			struct buf t = BUF_INIT;
			put_val(&t, &a, &c->tmp);
			fail(c, "%s (not a string)", t.p);
			buf_release(&t);
		}
		return -1;
	case OP_ALT:
		/* jq's a // b: a's errors are not caught (see "try") */
		for (i = 0; i + 1 < n->n; i++) {
			if (eval(c, n->a[i], out))
				return -1;
			if (out->k != V_EMPTY && truthy(out))
				return 0;
		}
		return eval(c, n->a[n->n - 1], out);
	case OP_AND:
	case OP_OR:
		for (i = 0; i < n->n; i++) {
			EV(n->a[i], &a);
			if (truthy(&a) != (n->op == OP_AND))
				break;
		}
		out->k = (i < n->n) == (n->op == OP_OR) ? V_TRUE : V_FALSE;
		return 0;
	case OP_NOT:
		EV(n->a[0], &a);
		out->k = truthy(&a) ? V_FALSE : V_TRUE;
		return 0;
	case OP_EQ:
	case OP_NE:
		EV(n->a[0], &a);
		EV(n->a[1], &b);
		if (kind_rank(&a) >= 5 && kind_rank(&a) == kind_rank(&b))
			return fail(c, "a map compares no %ss: use [\"jq\", …]", kind_name(&a));
		out->k = equal(&a, &b) == (n->op == OP_EQ) ? V_TRUE : V_FALSE;
		return 0;
	case OP_LT:
	case OP_LE:
	case OP_GT:
	case OP_GE:
		EV(n->a[0], &a);
		EV(n->a[1], &b);
		if ((r = compare(c, &a, &b)) == -2)
			return -1;
		out->k = (n->op == OP_LT ? r < 0 : n->op == OP_LE ? r <= 0 : n->op == OP_GT ? r > 0 : r >= 0)
				 ? V_TRUE : V_FALSE;
		return 0;
	case OP_ADD:
		EV(n->a[0], out);
		if (out->k == V_ABSENT)
			out->k = V_NULL;
		for (i = 1; i < n->n; i++) {
			EV(n->a[i], &b);
			if (add(c, out, &b))
				return -1;
		}
		return 0;
	case OP_SUB:
	case OP_MUL:
	case OP_DIV:
		EV(n->a[0], out);
		for (i = 1; i < n->n; i++) {
			EV(n->a[i], &b);
			if (arith(c, n->op, out, &b))
				return -1;
		}
		return 0;
	case OP_ROUND:
	case OP_FLOOR:
	case OP_CEIL:
		EV(n->a[0], out);
		if (out->k != V_NUM)
			return type_error(c, out, "number required");
		out->u.num = n->op == OP_ROUND ? round(out->u.num)
			   : n->op == OP_FLOOR ? floor(out->u.num) : ceil(out->u.num);
		return 0;
	case OP_TONUMBER:
		EV(n->a[0], out);
		return to_number(c, out);
	case OP_TOSTRING:
		EV(n->a[0], out);
		return to_string(c, out);
	case OP_STARTS:
	case OP_ENDS:
		EV(n->a[0], &a);
		EV(n->a[1], &b);
		if (a.k != V_STR || b.k != V_STR)
			return fail(c, "%s() requires string inputs", n->op == OP_STARTS ? "startswith" : "endswith");
		r = b.u.str.n <= a.u.str.n &&
		    !memcmp(n->op == OP_STARTS ? a.u.str.s : a.u.str.s + a.u.str.n - b.u.str.n, b.u.str.s, b.u.str.n);
		out->k = r ? V_TRUE : V_FALSE;
		return 0;
	case OP_LTRIM:
	case OP_RTRIM:
		EV(n->a[0], out);
		EV(n->a[1], &b);
		if (out->k == V_STR && b.k == V_STR && b.u.str.n <= out->u.str.n) {
			if (n->op == OP_LTRIM && !memcmp(out->u.str.s, b.u.str.s, b.u.str.n)) {
				out->u.str.s += b.u.str.n;
				out->u.str.n -= b.u.str.n;
			} else if (n->op == OP_RTRIM &&
				   !memcmp(out->u.str.s + out->u.str.n - b.u.str.n, b.u.str.s, b.u.str.n)) {
				out->u.str.n -= b.u.str.n;
			}
		}
		if (out->k == V_ABSENT)
			out->k = V_NULL;
		return 0;
	case OP_DOWN:
	case OP_UP: {
		char *p;
		size_t k;
		EV(n->a[0], out);
		if (out->k != V_STR)
			return fail(c, "explode input must be a string");
		p = ar_dup(c, out->u.str.s, out->u.str.n);
		for (k = 0; k < out->u.str.n; k++) {
			if (n->op == OP_DOWN && p[k] >= 'A' && p[k] <= 'Z')
				p[k] = (char)(p[k] + 32);
			else if (n->op == OP_UP && p[k] >= 'a' && p[k] <= 'z')
				p[k] = (char)(p[k] - 32);
		}
		out->u.str.s = p;
		return 0;
	}
	case OP_RESUB:
	case OP_REGSUB:
	case OP_TEST:
		EV(n->a[0], &a);
		return regex_run(c, n, &a, out);
	case OP_LOOKUP: {
		const struct json_doc *d = &c->m->doc;
		uint32_t t;
		EV(n->a[0], &a);
		if (a.k != V_STR)
			return fail(c, "Cannot index object with %s", kind_name(&a));
		t = json_get(d, n->table, a.u.str.s, a.u.str.n);
		if (t)
			tok_val(c, d, t, out);
		else
			out->k = V_NULL;
		return 0;
	}
	case OP_COMPACT: {
		struct obj *o;
		size_t k, w;
		EV(n->a[0], &a);
		if (!kind_is_obj(&a))
			return type_error(c, &a, "has no keys");
		o = obj_of(c, &a);
		for (k = w = 0; k < o->n; k++) {
			int drop = o->m[k].v.k == V_ABSENT;
			if (n->n == 1 && o->m[k].v.k == V_NULL)
				drop = 1;
			for (i = 1; i < n->n && !drop; i++)
				drop = equal(&o->m[k].v, &n->a[i]->k);
			if (!drop)
				o->m[w++] = o->m[k];
		}
		o->n = w;
		out->k = V_OBJ;
		out->u.obj = o;
		return 0;
	}
	case OP_WITHOUT: {
		struct obj *o;
		size_t k, w;
		EV(n->a[0], &a);
		if (a.k == V_NULL || a.k == V_ABSENT) {
			out->k = V_NULL;
			return 0;
		}
		if (!kind_is_obj(&a))
			return fail(c, "Cannot index %s with string \"%s\"", kind_name(&a), n->a[1]->k.u.str.s);
		o = obj_of(c, &a);
		for (k = w = 0; k < o->n; k++) {
			int drop = 0;
			for (i = 1; i < n->n && !drop; i++)
				drop = o->m[k].kn == n->a[i]->k.u.str.n &&
				       !memcmp(o->m[k].k, n->a[i]->k.u.str.s, o->m[k].kn);
			if (!drop)
				o->m[w++] = o->m[k];
		}
		o->n = w;
		out->k = V_OBJ;
		out->u.obj = o;
		return 0;
	}
	case OP_OPT:
		EV(n->a[0], out);
		if (out->k == V_NULL)
			out->k = V_ABSENT;
		return 0;
	case OP_JQ:
		return run_jq(c, n, out);
	case OP_TRY:
		/* jq's a?: an error is empty. A value ends the try, yet in
		 * jq 1.6 its catching stays armed for what follows (run) */
		if (eval(c, n->a[0], out))
			out->k = V_EMPTY;
		else if (out->k != V_EMPTY)
			c->tried = 1;
		return 0;
	}
#undef EV
	return fail(c, "internal: unknown operator %d", n->op);
}

static int run(struct map_ctx *c, struct buf *out, struct buf *err)
{
	const struct map *m = c->m;
	struct val v;
	unsigned i;
	int rc = MAP_ERROR;

	ar_reset(c);
	c->have_input = 0;
	c->tried = 0;
	if (m->when) {
		if (eval(c, m->when, &v))
			goto done;
		if (v.k == V_EMPTY || !truthy(&v)) {
			rc = MAP_SKIP;
			goto done;
		}
	}
	for (i = 0; i < m->nlet; i++) {
		if (eval(c, m->let[i], &c->vars[i]))
			goto done;
		if (c->vars[i].k == V_EMPTY) {
			rc = MAP_SKIP;
			goto done;
		}
	}
	if (eval(c, m->event, &v))
		goto done;
	if (v.k == V_EMPTY) {
		rc = MAP_SKIP;
		goto done;
	}
	put_val(out, &v, &c->tmp);
	rc = MAP_EVENT;
done:
	/* jq 1.6 unwinds an error to the last try that gave a value and
	 * takes it for that try's error: the record maps to nothing */
	if (rc == MAP_ERROR && c->tried)
		rc = MAP_SKIP;
	if (rc == MAP_ERROR)
		buf_add(err, c->err.p ? c->err.p : "", c->err.len);
	if (c->have_input) {
		jv_free(c->input);
		c->have_input = 0;
	}
	return rc;
}

int map_run_json(struct map_ctx *c, const struct json_doc *d, struct buf *out, struct buf *err)
{
	const struct map *m = c->m;
	struct json_key keys[64];
	unsigned i, n = m->nroot;

	c->doc = d;
	c->row = 0;
	c->nonobj = d->t[0].type != JSON_OBJECT;
	if (c->nonobj)
		memset(c->roots, 0, (n + 1) * sizeof *c->roots);
	else if (n <= 64) {
		for (i = 0; i < n; i++) {
			keys[i].s = m->root[i];
			keys[i].n = m->rootn[i];
		}
		json_get_keys(d, 0, keys, n, c->roots);
	} else {
		for (i = 0; i < n; i++)
			c->roots[i] = json_get(d, 0, m->root[i], m->rootn[i]);
	}
	return run(c, out, err);
}

int map_run_csv(struct map_ctx *c, const char *text, const struct csv_field *f, size_t nf,
		struct buf *out, struct buf *err)
{
	c->doc = NULL;
	c->row = 1;
	c->text = text;
	c->f = f;
	c->nf = nf;
	return run(c, out, err);
}

/* ---- compiling ---- */

struct cc {
	struct map *m;
	struct buf *err;
	char path[256];
};

static int cc_fail(struct cc *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int cc_fail(struct cc *k, const char *fmt, ...)
{
	va_list ap;
	char tmp[400];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	buf_printf(k->err, "%s: %s: %s", k->m->name, k->path[0] ? k->path : "(top)", tmp);
	return -1;
}

static struct node *node_new(int op)
{
	struct node *n = xcalloc(1, sizeof *n);

	n->op = op;
	n->root = -1;
	return n;
}

static void node_free(struct node *n)
{
	unsigned i;

	if (!n)
		return;
	for (i = 0; i < n->n; i++)
		node_free(n->a[i]);
	free(n->a);
	for (i = 0; i < n->nseg; i++)
		free(n->seg[i]);
	free(n->seg);
	free(n->segn);
	if (n->op == OP_TEMPLATE) {
		for (i = 0; i < n->n; i++)
			free(n->key[i]);
	}
	free(n->key);
	free(n->keyn);
	if (n->k.k == V_STR)
		free((char *)n->k.u.str.s);
	free(n);
}

static size_t cc_push(struct cc *k, const char *seg)
{
	size_t at = strlen(k->path);

	snprintf(k->path + at, sizeof k->path - at, "%s%s", at && seg[0] != '[' ? "." : "", seg);
	return at;
}

static char *tok_str(const struct json_doc *d, uint32_t t, size_t *n)
{
	struct buf b = BUF_INIT;

	json_str_get(d, t, &b);
	*n = b.len;
	return b.p ? b.p : xstrdup("");
}

static unsigned add_name(char ***v, size_t **vn, unsigned *n, const char *s, size_t len)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if ((*vn)[i] == len && !memcmp((*v)[i], s, len))
			return i;
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	*vn = xrealloc(*vn, (*n + 1) * sizeof **vn);
	(*v)[*n] = xstrndup(s, len);
	(*vn)[*n] = len;
	return (*n)++;
}

static struct node *compile_expr(struct cc *k, uint32_t t, unsigned nvars);

static int const_of(struct cc *k, uint32_t t, struct val *v)
{
	const struct json_doc *d = &k->m->doc;

	switch (d->t[t].type) {
	case JSON_NULL: v->k = V_NULL; break;
	case JSON_TRUE: v->k = V_TRUE; break;
	case JSON_FALSE: v->k = V_FALSE; break;
	case JSON_NUMBER: v->k = V_NUM; v->u.num = tok_num(d, t); break;
	case JSON_STRING:
		v->k = V_STR;
		v->u.str.s = tok_str(d, t, &v->u.str.n);
		break;
	default:
		v->k = V_TOK;
		v->u.tok.d = d;
		v->u.tok.t = t;
	}
	return 0;
}

static struct node *compile_call(struct cc *k, uint32_t t, unsigned nvars)
{
	const struct json_doc *d = &k->m->doc;
	struct map *m = k->m;
	unsigned argc = d->t[t].size - 1, i, o;
	uint32_t j, args[64];
	struct node *n;
	size_t nl;
	char *name;

	if (!d->t[t].size || d->t[t + 1].type != JSON_STRING) {
		cc_fail(k, "an operator call is an array starting with the operator's name");
		return NULL;
	}
	name = tok_str(d, t + 1, &nl);
	for (o = 0; ops[o].name && strcmp(ops[o].name, name); o++)
		;
	if (!ops[o].name) {
		cc_fail(k, "unknown operator '%s'", name);
		free(name);
		return NULL;
	}
	if ((int)argc < ops[o].min || (ops[o].max >= 0 && (int)argc > ops[o].max) || argc > 64) {
		if (ops[o].max < 0)
			cc_fail(k, "'%s' takes %d or more arguments, not %u", name, ops[o].min, argc);
		else if (ops[o].min == ops[o].max)
			cc_fail(k, "'%s' takes %d argument%s, not %u", name, ops[o].min,
				ops[o].min == 1 ? "" : "s", argc);
		else
			cc_fail(k, "'%s' takes %d to %d arguments, not %u", name, ops[o].min, ops[o].max, argc);
		free(name);
		return NULL;
	}
	free(name);
	for (i = 0, j = d->t[t + 1].next; i < argc; i++, j = d->t[j].next)
		args[i] = j;
	n = node_new(ops[o].op);
	switch (n->op) {
	case OP_GET: {
		size_t len, a, b;
		char *p;
		if (d->t[args[0]].type != JSON_STRING) {
			cc_fail(k, "'get' wants a path: a string of names joined by '.'");
			goto bad;
		}
		p = tok_str(d, args[0], &len);
		for (a = 0; a <= len; a = b + 1) {
			for (b = a; b < len && p[b] != '.'; b++)
				;
			if (b == a) {
				cc_fail(k, "path '%s' has an empty name", p);
				free(p);
				goto bad;
			}
			n->seg = xrealloc(n->seg, (n->nseg + 1) * sizeof *n->seg);
			n->segn = xrealloc(n->segn, (n->nseg + 1) * sizeof *n->segn);
			n->seg[n->nseg] = xstrndup(p + a, b - a);
			n->segn[n->nseg++] = b - a;
		}
		free(p);
		if (argc == 2) {
			n->a = xcalloc(1, sizeof *n->a);
			if (!(n->a[0] = compile_expr(k, args[1], nvars)))
				goto bad;
			n->n = 1;
		} else {
			n->root = (int)add_name(&m->root, &m->rootn, &m->nroot, n->seg[0], n->segn[0]);
		}
		return n;
	}
	case OP_VAR: {
		size_t len;
		char *s;
		if (d->t[args[0]].type != JSON_STRING) {
			cc_fail(k, "'var' wants the name of a \"let\"");
			goto bad;
		}
		s = tok_str(d, args[0], &len);
		for (i = 0; i < nvars && strcmp(m->let_name[i], s); i++)
			;
		if (i == nvars) {
			cc_fail(k, "no \"let\" before this one is called '%s'", s);
			free(s);
			goto bad;
		}
		free(s);
		n->var = i;
		return n;
	}
	case OP_RESUB:
	case OP_REGSUB:
	case OP_TEST: {
		size_t len;
		char *s;
		regex_t *re;
		OnigErrorInfo ei;
		int r;
		if (d->t[args[1]].type != JSON_STRING ||
		    (n->op != OP_TEST && d->t[args[2]].type != JSON_STRING)) {
			cc_fail(k, "the pattern%s must be a string", n->op == OP_TEST ? "" : " and the replacement");
			goto bad;
		}
		s = tok_str(d, args[1], &len);
		r = onig_new(&re, (const UChar *)s, (const UChar *)s + len, ONIG_OPTION_CAPTURE_GROUP,
			     ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &ei);
		if (r != ONIG_NORMAL) {
			UChar msg[ONIG_MAX_ERROR_MESSAGE_LEN];
			onig_error_code_to_str(msg, r, &ei);
			cc_fail(k, "pattern '%s' does not compile: %s", s, msg);
			free(s);
			goto bad;
		}
		{
			/* jq 1.6 never ends a gsub whose pattern matches nothing */
			OnigRegion *rg = onig_region_new();
			const UChar *e = (const UChar *)"";
			r = onig_search(re, e, e, e, e, rg, ONIG_OPTION_NONE);
			onig_region_free(rg, 1);
			onig_free(re);
			if (r >= 0 && n->op != OP_TEST) {
				cc_fail(k, "pattern '%s' matches the empty string", s);
				free(s);
				goto bad;
			}
		}
		m->re = xrealloc(m->re, (m->nre + 1) * sizeof *m->re);
		m->re[m->nre] = s;
		n->slot = m->nre++;
		if (n->op != OP_TEST)
			n->k.u.str.s = tok_str(d, args[2], &n->k.u.str.n), n->k.k = V_STR;
		n->a = xcalloc(1, sizeof *n->a);
		if (!(n->a[0] = compile_expr(k, args[0], nvars)))
			goto bad;
		n->n = 1;
		return n;
	}
	case OP_LOOKUP:
		if (d->t[args[1]].type != JSON_OBJECT) {
			cc_fail(k, "'lookup' wants an object of values by key");
			goto bad;
		}
		n->table = args[1];
		n->a = xcalloc(1, sizeof *n->a);
		if (!(n->a[0] = compile_expr(k, args[0], nvars)))
			goto bad;
		n->n = 1;
		return n;
	case OP_JQ: {
		size_t len;
		char *s;
		struct buf e = BUF_INIT;
		struct jqprog *p;
		if (d->t[args[0]].type != JSON_STRING) {
			cc_fail(k, "'jq' wants a jq program as a string");
			goto bad;
		}
		s = tok_str(d, args[0], &len);
		p = jqprog_compile(m->name, s, &e);
		if (!p) {
			cc_fail(k, "jq program does not compile: %s", e.p ? e.p : "");
			buf_release(&e);
			free(s);
			goto bad;
		}
		jqprog_free(p);
		m->jq = xrealloc(m->jq, (m->njq + 1) * sizeof *m->jq);
		m->jq[m->njq] = s;
		n->slot = m->njq++;
		return n;
	}
	default:
		break;
	}
	n->a = xcalloc(argc, sizeof *n->a);
	for (i = 0; i < argc; i++) {
		char seg[16];
		size_t at;
		snprintf(seg, sizeof seg, "[%u]", i + 1);
		at = cc_push(k, seg);
		if ((n->op == OP_COMPACT || n->op == OP_WITHOUT) && i > 0) {
			n->a[i] = node_new(OP_CONST);
			if (d->t[args[i]].type >= JSON_ARRAY ||
			    (n->op == OP_WITHOUT && d->t[args[i]].type != JSON_STRING)) {
				n->n = i + 1;
				cc_fail(k, n->op == OP_COMPACT ? "values to drop are null, booleans, numbers or strings"
							       : "keys to drop are strings");
				goto bad;
			}
			const_of(k, args[i], &n->a[i]->k);
		} else if (!(n->a[i] = compile_expr(k, args[i], nvars))) {
			n->n = i;
			goto bad;
		}
		k->path[at] = 0;
		n->n = i + 1;
	}
	return n;
bad:
	node_free(n);
	return NULL;
}

static struct node *compile_expr(struct cc *k, uint32_t t, unsigned nvars)
{
	const struct json_doc *d = &k->m->doc;
	struct node *n;
	uint32_t i, j;

	if (d->t[t].type == JSON_ARRAY)
		return compile_call(k, t, nvars);
	if (d->t[t].type != JSON_OBJECT) {
		n = node_new(OP_CONST);
		const_of(k, t, &n->k);
		return n;
	}
	n = node_new(OP_TEMPLATE);
	n->a = xcalloc(d->t[t].size + 1, sizeof *n->a);
	n->key = xcalloc(d->t[t].size + 1, sizeof *n->key);
	n->keyn = xcalloc(d->t[t].size + 1, sizeof *n->keyn);
	for (i = 0, j = t + 1; i < d->t[t].size; i++, j = d->t[j + 1].next) {
		size_t at;
		n->key[i] = tok_str(d, j, &n->keyn[i]);
		at = cc_push(k, n->key[i]);
		n->n = i + 1;
		if (!(n->a[i] = compile_expr(k, j + 1, nvars))) {
			node_free(n);
			return NULL;
		}
		k->path[at] = 0;
	}
	return n;
}

struct map *map_compile(const char *name, const char *text, size_t n, struct buf *err)
{
	static const char *const top[] = {"description", "when", "let", "event", NULL};
	struct map *m = xcalloc(1, sizeof *m);
	struct cc k = {m, err, ""};
	struct json_doc *d = &m->doc;
	const char *why;
	size_t at;
	uint32_t i, j, t_when = 0, t_let = 0, t_event = 0;

	m->name = xstrdup(name);
	m->text = xstrndup(text, n);
	if (json_parse(d, m->text, n, 200, &why, &at)) {
		buf_printf(err, "%s: not JSON at byte %zu: %s", name, at, why);
		goto bad;
	}
	if (d->t[0].type != JSON_OBJECT) {
		cc_fail(&k, "a map is a JSON object with \"event\" (and \"when\", \"let\")");
		goto bad;
	}
	for (i = 0, j = 1; i < d->t[0].size; i++, j = d->t[j + 1].next) {
		unsigned w;
		for (w = 0; top[w] && !json_str_eq(d, j, top[w], strlen(top[w])); w++)
			;
		if (!top[w]) {
			size_t kl;
			char *s = tok_str(d, j, &kl);
			cc_fail(&k, "unknown key '%s': want description, when, let, event", s);
			free(s);
			goto bad;
		}
		if (w == 1)
			t_when = j + 1;
		else if (w == 2)
			t_let = j + 1;
		else if (w == 3)
			t_event = j + 1;
	}
	if (!t_event || d->t[t_event].type != JSON_OBJECT) {
		cc_fail(&k, "\"event\" must be an object: the event, member by member");
		goto bad;
	}
	if (t_let) {
		if (d->t[t_let].type != JSON_OBJECT) {
			cc_fail(&k, "\"let\" must be an object of named values");
			goto bad;
		}
		m->let = xcalloc(d->t[t_let].size + 1, sizeof *m->let);
		m->let_name = xcalloc(d->t[t_let].size + 1, sizeof *m->let_name);
		for (i = 0, j = t_let + 1; i < d->t[t_let].size; i++, j = d->t[j + 1].next) {
			size_t kl;
			m->let_name[i] = tok_str(d, j, &kl);
			snprintf(k.path, sizeof k.path, "let.%s", m->let_name[i]);
			m->nlet = i + 1;
			if (!(m->let[i] = compile_expr(&k, j + 1, i)))
				goto bad;
		}
	}
	if (t_when) {
		snprintf(k.path, sizeof k.path, "when");
		if (!(m->when = compile_expr(&k, t_when, m->nlet)))
			goto bad;
	}
	snprintf(k.path, sizeof k.path, "event");
	if (!(m->event = compile_expr(&k, t_event, m->nlet)))
		goto bad;
	return m;
bad:
	map_free(m);
	return NULL;
}

void map_free(struct map *m)
{
	unsigned i;

	if (!m)
		return;
	node_free(m->when);
	node_free(m->event);
	for (i = 0; i < m->nlet; i++) {
		node_free(m->let[i]);
		free(m->let_name[i]);
	}
	free(m->let);
	free(m->let_name);
	for (i = 0; i < m->nroot; i++)
		free(m->root[i]);
	free(m->root);
	free(m->rootn);
	free(m->col);
	for (i = 0; i < m->nre; i++)
		free(m->re[i]);
	free(m->re);
	for (i = 0; i < m->njq; i++)
		free(m->jq[i]);
	free(m->jq);
	json_doc_release(&m->doc);
	free(m->text);
	free(m->name);
	free(m);
}

void map_bind_columns(struct map *m, char *const *hdr, size_t nh)
{
	unsigned r;
	size_t f;

	m->hdr = hdr;
	m->nh = nh;
	if (!m->col)
		m->col = xcalloc(m->nroot + 1, sizeof *m->col);
	for (r = 0; r < m->nroot; r++) {
		m->col[r] = -1;
		for (f = 0; f < nh; f++)
			if (strlen(hdr[f]) == m->rootn[r] && !memcmp(hdr[f], m->root[r], m->rootn[r])) {
				m->col[r] = (int)f; /* names are unique (ingest refuses a header
						     * giving one twice) */
				break;
			}
	}
}

struct map_ctx *map_ctx_new(const struct map *m)
{
	struct map_ctx *c = xcalloc(1, sizeof *c);
	unsigned i;

	c->m = m;
	c->vars = xcalloc(m->nlet + 1, sizeof *c->vars);
	c->roots = xcalloc(m->nroot + 1, sizeof *c->roots);
	c->re = xcalloc(m->nre + 1, sizeof *c->re);
	for (i = 0; i < m->nre; i++) {
		OnigErrorInfo ei;
		onig_new(&c->re[i], (const UChar *)m->re[i], (const UChar *)m->re[i] + strlen(m->re[i]),
			 ONIG_OPTION_CAPTURE_GROUP, ONIG_ENCODING_UTF8, ONIG_SYNTAX_PERL_NG, &ei);
	}
	c->region = onig_region_new();
	c->jq = xcalloc(m->njq + 1, sizeof *c->jq);
	c->jqdoc = xcalloc(m->njq + 1, sizeof *c->jqdoc);
	c->jqout = xcalloc(m->njq + 1, sizeof *c->jqout);
	for (i = 0; i < m->njq; i++) {
		struct buf e = BUF_INIT;
		c->jq[i] = jqprog_compile(m->name, m->jq[i], &e);
		buf_release(&e);
	}
	return c;
}

void map_ctx_free(struct map_ctx *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nblk; i++)
		free(c->blk[i].p);
	free(c->blk);
	free(c->vars);
	free(c->roots);
	for (i = 0; i < c->m->nre; i++)
		onig_free(c->re[i]);
	free(c->re);
	onig_region_free(c->region, 1);
	for (i = 0; i < c->m->njq; i++) {
		jqprog_free(c->jq[i]);
		json_doc_release(&c->jqdoc[i]);
		buf_release(&c->jqout[i]);
	}
	free(c->jq);
	free(c->jqdoc);
	free(c->jqout);
	buf_release(&c->err);
	buf_release(&c->tmp);
	free(c);
}
