#include "template.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "io.h"
#include "jqprog.h"
#include "json.h"

/*
 * Definitions before every .json template's program:
 *   _uops_field($paths; $name)  the first of the paths that holds a value
 *                               that is not null, else an error naming
 *                               the field
 *   _uops_field_or($paths; $d)  the same, $d where none holds a value
 *   _uops_text($name)           the value as text: a string as it is, a
 *                               number or boolean written out, anything
 *                               else an error
 */
static const char defs[] =
	"def _uops_values($paths): [$paths[] as $p | (try getpath($p) catch null) | select(. != null)]; "
	"def _uops_field($paths; $name): _uops_values($paths) | if length > 0 then .[0] "
	"else error(\"unknown field '\" + $name + \"'\") end; "
	"def _uops_field_or($paths; $d): _uops_values($paths) | if length > 0 then .[0] else $d end; "
	"def _uops_text($name): if type == \"string\" then . elif type == \"number\" or type == \"boolean\" "
	"then tostring else error(\"field '\" + $name + \"' is not text but \" + type) end; ";

static int name_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

/* The jq path of a field name: ["params","a","b"] etc. as a jq array of
 * paths to try. -1 when the name is not a dotted path of names. */
static int field_paths(const char *s, size_t n, struct buf *out)
{
	static const char *const scopes[] = {"params", "traits", "send", NULL};
	size_t i, start = 0;
	int k, scoped = -1;
	struct buf path = BUF_INIT;

	if (!n)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (i == start) {
				buf_release(&path);
				return -1;
			}
			if (start == 0)
				for (k = 0; scopes[k]; k++)
					if (strlen(scopes[k]) == i && !memcmp(s, scopes[k], i) && i < n)
						scoped = k;
			if (!(start == 0 && scoped >= 0)) {
				buf_addc(&path, ',');
				json_write_str(&path, s + start, i - start);
			}
			start = i + 1;
		} else if (!name_ok(s[i])) {
			buf_release(&path);
			return -1;
		}
	}
	buf_addc(out, '[');
	if (scoped >= 0) {
		buf_printf(out, "[\"%s\"%s]", scopes[scoped], path.p);
	} else {
		buf_printf(out, "[\"params\"%s],[\"traits\"%s]", path.p, path.p);
	}
	buf_addc(out, ']');
	buf_release(&path);
	return 0;
}

/* Translate one part's text with {{fields}} into a jq expression. Returns
 * 0, or -1 with the reason in err. literal gets the text outside the
 * fields. */
static int part_expr(const char *s, size_t n, int html, struct buf *out, struct buf *literal, struct buf *err)
{
	size_t i = 0;
	int first = 1;

	buf_addc(out, '(');
	while (i < n || first) {
		const char *open = i < n ? memmem(s + i, n - i, "{{", 2) : NULL;
		size_t lit = open ? (size_t)(open - (s + i)) : n - i;
		if (lit || first) {
			if (!first)
				buf_adds(out, " + ");
			json_write_str(out, s + i, lit);
			buf_add(literal, s + i, lit);
			first = 0;
		}
		i += lit;
		if (!open)
			break;
		{
			const char *f = open + 2, *close = memmem(f, n - (size_t)(f - s), "}}", 2), *bar;
			size_t fl, dl = 0;
			if (!close) {
				buf_printf(err, "a {{ at byte %zu is not closed", (size_t)(open - s));
				return -1;
			}
			while (f < close && *f == ' ')
				f++;
			fl = (size_t)(close - f);
			while (fl && f[fl - 1] == ' ')
				fl--;
			bar = memchr(f, '|', fl);
			if (bar) {
				dl = fl - (size_t)(bar - f) - 1;
				fl = (size_t)(bar - f);
				while (fl && f[fl - 1] == ' ')
					fl--;
			}
			buf_adds(out, bar ? " + (_uops_field_or(" : " + (_uops_field(");
			if (field_paths(f, fl, out)) {
				buf_printf(err, "'{{%.*s}}' at byte %zu is not a field name (names, dots, params./traits./send.)",
					   (int)(close - open - 2), open + 2, (size_t)(open - s));
				return -1;
			}
			buf_adds(out, "; ");
			if (bar) {
				const char *dv = bar + 1;
				while (dl && *dv == ' ')
					dv++, dl--;
				json_write_str(out, dv, dl);
			}
			else
				json_write_str(out, f, fl);
			buf_adds(out, ") | _uops_text(");
			json_write_str(out, f, fl);
			buf_adds(out, html ? ") | @html)" : "))");
			i = (size_t)(close + 2 - s);
		}
	}
	buf_addc(out, ')');
	return 0;
}

/* The jq program of a .json template. 0, or -1 with why in err. */
static int json_program(const char *text, size_t n, struct buf *prog, char **text_literal, struct buf *err)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t at;
	unsigned k, j;
	struct buf s = BUF_INIT;
	int rc = -1;

	if (json_parse(&d, text, n, 16, &why, &at)) {
		buf_printf(err, "invalid json: %s at byte %zu", why, at);
		goto out;
	}
	if (d.t[0].type != JSON_OBJECT || !d.t[0].size) {
		buf_adds(err, "a template is an object of parts: {\"subject\": …, \"text\": …, \"html\": …}");
		goto out;
	}
	buf_adds(prog, defs);
	buf_addc(prog, '{');
	for (k = 0, j = 1; k < d.t[0].size; k++, j = d.t[j + 1].next) {
		buf_reset(&s);
		json_str_get(&d, j, &s);
		if (d.t[j + 1].type != JSON_STRING) {
			buf_printf(err, "part \"%s\": want text", s.p ? s.p : "");
			goto out;
		}
		if (k)
			buf_addc(prog, ',');
		json_write_str(prog, s.p ? s.p : "", s.len);
		buf_addc(prog, ':');
		{
			int html = s.len == 4 && !memcmp(s.p, "html", 4), is_text = s.len == 4 && !memcmp(s.p, "text", 4);
			struct buf part = BUF_INIT, lit = BUF_INIT;
			size_t plen = s.len;
			char pname[64];
			snprintf(pname, sizeof pname, "%.*s", (int)(plen < 63 ? plen : 63), s.p ? s.p : "");
			json_str_get(&d, j + 1, &part);
			if (part_expr(part.p ? part.p : "", part.len, html, prog, &lit, err)) {
				buf_release(&part);
				buf_release(&lit);
				/* name the part before the reason */
				buf_reset(&s);
				buf_printf(&s, "part \"%s\": %s", pname, err->p);
				buf_reset(err);
				buf_add(err, s.p, s.len);
				goto out;
			}
			if (is_text) {
				free(*text_literal);
				*text_literal = xstrndup(lit.p ? lit.p : "", lit.len);
			}
			buf_release(&part);
			buf_release(&lit);
		}
	}
	buf_addc(prog, '}');
	rc = 0;
out:
	buf_release(&s);
	json_doc_release(&d);
	return rc;
}


/* ---- .json templates rendered without jq ---- */

enum { SC_BARE, SC_PARAMS, SC_TRAITS, SC_SEND };

struct tfield {
	char *name;   /* as written (without the default), for errors */
	size_t namen;
	int scope;
	char **path;  /* the names after the scope */
	size_t *plen;
	int depth;
	char *def;    /* the default, or NULL */
	size_t defn;
};

struct tseg {
	char *lit;    /* the text before the field */
	size_t litn;
	struct tfield *f; /* NULL: the text ends with lit */
};

struct tpart {
	char *name;
	size_t namen;
	int html;
	struct tseg *seg;
	size_t nseg;
};

struct tnative {
	struct tpart *p;
	size_t n;
};

static void native_free(struct tnative *nt)
{
	size_t i, j;
	int k;

	if (!nt)
		return;
	for (i = 0; i < nt->n; i++) {
		struct tpart *pt = &nt->p[i];
		for (j = 0; j < pt->nseg; j++) {
			struct tfield *f = pt->seg[j].f;
			free(pt->seg[j].lit);
			if (!f)
				continue;
			for (k = 0; k < f->depth; k++)
				free(f->path[k]);
			free(f->path);
			free(f->plen);
			free(f->name);
			free(f->def);
			free(f);
		}
		free(pt->seg);
		free(pt->name);
	}
	free(nt->p);
	free(nt);
}

/* The field of "{{name|default}}" (its text between the braces, trimmed as
 * part_expr trims it). The name was checked by field_paths. */
static struct tfield *native_field(const char *f, size_t fl, const char *dv, size_t dl, int has_def)
{
	static const char *const scopes[] = {"params", "traits", "send"};
	struct tfield *x = xcalloc(1, sizeof *x);
	size_t i, start = 0;
	int k, first = 1;

	x->name = xstrndup(f, fl);
	x->namen = fl;
	x->path = xcalloc(fl + 1, sizeof *x->path);
	x->plen = xcalloc(fl + 1, sizeof *x->plen);
	for (i = 0; i <= fl; i++) {
		if (i < fl && f[i] != '.')
			continue;
		if (first) {
			first = 0;
			for (k = 0; k < 3; k++)
				if (strlen(scopes[k]) == i && !memcmp(f, scopes[k], i) && i < fl)
					x->scope = k + 1;
			if (x->scope) {
				start = i + 1;
				continue;
			}
		}
		x->path[x->depth] = xstrndup(f + start, i - start);
		x->plen[x->depth++] = i - start;
		start = i + 1;
	}
	if (has_def) {
		x->def = xstrndup(dv, dl);
		x->defn = dl;
	}
	return x;
}

/* A part's text as segments, parsed as part_expr parses it (which has
 * accepted it already). */
static void native_part(struct tpart *pt, const char *s, size_t n)
{
	size_t i = 0;

	for (;;) {
		const char *open = i < n ? memmem(s + i, n - i, "{{", 2) : NULL;
		size_t lit = open ? (size_t)(open - (s + i)) : n - i;
		struct tseg *sg;
		pt->seg = xrealloc(pt->seg, (pt->nseg + 1) * sizeof *pt->seg);
		sg = &pt->seg[pt->nseg++];
		sg->lit = xstrndup(s + i, lit);
		sg->litn = lit;
		sg->f = NULL;
		i += lit;
		if (!open)
			return;
		{
			const char *f = open + 2, *close = memmem(f, n - (size_t)(f - s), "}}", 2), *bar, *dv = NULL;
			size_t fl, dl = 0;
			while (f < close && *f == ' ')
				f++;
			fl = (size_t)(close - f);
			while (fl && f[fl - 1] == ' ')
				fl--;
			bar = memchr(f, '|', fl);
			if (bar) {
				dl = fl - (size_t)(bar - f) - 1;
				fl = (size_t)(bar - f);
				while (fl && f[fl - 1] == ' ')
					fl--;
				dv = bar + 1;
				while (dl && *dv == ' ')
					dv++, dl--;
			}
			sg->f = native_field(f, fl, dv, dl, bar != NULL);
			i = (size_t)(close + 2 - s);
		}
	}
}

/* The native form of a .json template that json_program accepted. */
static struct tnative *native_build(const char *text, size_t n, int *uses_traits)
{
	struct json_doc d = JSON_DOC_INIT;
	struct tnative *nt;
	const char *why;
	size_t at, j;
	unsigned k, t;
	int dup = 0;

	if (json_parse(&d, text, n, 16, &why, &at) || d.t[0].type != JSON_OBJECT)
		return NULL;
	nt = xcalloc(1, sizeof *nt);
	nt->p = xcalloc(d.t[0].size + 1, sizeof *nt->p);
	for (k = 0, t = 1; k < d.t[0].size; k++, t = d.t[t + 1].next) {
		struct tpart *pt = &nt->p[nt->n++];
		struct buf name = BUF_INIT, part = BUF_INIT;
		json_str_get(&d, t, &name);
		json_str_get(&d, t + 1, &part);
		pt->name = xstrndup(name.p ? name.p : "", name.len);
		pt->namen = name.len;
		pt->html = name.len == 4 && !memcmp(name.p, "html", 4);
		native_part(pt, part.p ? part.p : "", part.len);
		for (j = 0; j + 1 < nt->n; j++)
			if (nt->p[j].namen == pt->namen && !memcmp(nt->p[j].name, pt->name, pt->namen))
				dup = 1; /* jq keeps the last: leave it to jq */
		for (j = 0; j < pt->nseg; j++)
			if (pt->seg[j].f && (pt->seg[j].f->scope == SC_BARE || pt->seg[j].f->scope == SC_TRAITS))
				*uses_traits = 1;
		buf_release(&name);
		buf_release(&part);
	}
	json_doc_release(&d);
	if (dup) {
		native_free(nt);
		*uses_traits = 0;
		return NULL;
	}
	return nt;
}

/* Follow a path of names from token t of d: the token, or 0 where jq's
 * `try getpath(…) catch null` gives null. */
static uint32_t doc_path(const struct json_doc *d, uint32_t t, char *const *path, const size_t *plen, int depth)
{
	int k;

	for (k = 0; k < depth; k++) {
		if (d->t[t].type != JSON_OBJECT)
			return 0;
		if (!(t = json_get(d, t, path[k], plen[k])))
			return 0;
	}
	return d->t[t].type != JSON_NULL ? t : 0;
}

/* Text appended to out, escaped as jq's @html when html. */
static void put_text(struct buf *out, const char *s, size_t n, int html)
{
	size_t i;

	if (!html) {
		buf_add(out, s, n);
		return;
	}
	for (i = 0; i < n; i++)
		switch (s[i]) {
		case '<': buf_adds(out, "&lt;"); break;
		case '>': buf_adds(out, "&gt;"); break;
		case '&': buf_adds(out, "&amp;"); break;
		case '\'': buf_adds(out, "&apos;"); break;
		case '"': buf_adds(out, "&quot;"); break;
		default: buf_addc(out, s[i]);
		}
}

/* The value of a field as text appended to out, or -1 with the error. */
static int value_text(const struct json_doc *d, uint32_t t, const struct tfield *f, int html, struct buf *out,
		      struct buf *err)
{
	struct buf v = BUF_INIT;
	const char *kind;

	switch (d->t[t].type) {
	case JSON_STRING:
		json_str_get(d, t, &v);
		break;
	case JSON_TRUE:
		buf_adds(&v, "true");
		break;
	case JSON_FALSE:
		buf_adds(&v, "false");
		break;
	case JSON_NUMBER: { /* as jq writes a number */
		char tmp[64];
		jv s;
		snprintf(tmp, sizeof tmp, "%.*s", (int)(d->t[t].len < 63 ? d->t[t].len : 63), d->s + d->t[t].off);
		s = jv_dump_string(jv_number(strtod(tmp, NULL)), 0);
		buf_adds(&v, jv_string_value(s));
		jv_free(s);
		break;
	}
	default:
		kind = d->t[t].type == JSON_OBJECT ? "object" : "array";
		buf_printf(err, "field '%.*s' is not text but %s", (int)f->namen, f->name, kind);
		return -1;
	}
	put_text(out, v.p ? v.p : "", v.len, html);
	buf_release(&v);
	return 0;
}

/* A send. field: send_id, oneid, channel and to from in, the rest from
 * the $send's members render copies. 1 with the text appended, 0 absent,
 * -1 an error. */
static int send_field(const struct tsend *in, const struct tfield *f, int html, struct buf *out, struct buf *err)
{
	static const char *const copy[] = {"journey", "step", "arm", "kind", "template", NULL};
	const char *k = f->depth ? f->path[0] : "";
	size_t kl = f->depth ? f->plen[0] : 0;
	uint32_t t;
	int i;

	if (f->depth == 1 && kl == 7 && !memcmp(k, "send_id", 7)) {
		buf_add(out, in->id, in->idn);
		return 1;
	}
	if (f->depth == 1 && kl == 5 && !memcmp(k, "oneid", 5)) {
		buf_printf(out, "%u", in->oneid);
		return 1;
	}
	if (f->depth == 1 && kl == 7 && !memcmp(k, "channel", 7)) {
		put_text(out, in->channel, strlen(in->channel), html);
		return 1;
	}
	if (f->depth == 1 && kl == 2 && !memcmp(k, "to", 2)) {
		if (!in->tn)
			return 0;
		put_text(out, in->to, in->tn, html);
		return 1;
	}
	for (i = 0; copy[i] && f->depth; i++)
		if (strlen(copy[i]) == kl && !memcmp(copy[i], k, kl)) {
			if (!(t = json_get(in->d, 0, k, kl)))
				return 0;
			if (!(t = doc_path(in->d, t, f->path + 1, f->plen + 1, f->depth - 1)))
				return 0;
			return value_text(in->d, t, f, html, out, err) ? -1 : 1;
		}
	return 0;
}

/* A field's error (f) replaces the part's error so far (err past elen). */
static void fail(struct buf *err, size_t elen, const struct buf *f)
{
	err->len = elen;
	if (err->p)
		err->p[elen] = 0;
	buf_add(err, f->p ? f->p : "", f->len);
}

int template_render_doc(const struct template *tp, const struct tsend *in, struct buf *out, struct buf *err)
{
	const struct tnative *nt = tp->native;
	uint32_t params = json_get(in->d, 0, "params", 6);
	struct buf text = BUF_INIT, ferr = BUF_INIT;
	size_t i, j, start = out->len, elen = err->len;
	int rc = -1, failed;

	if (params && in->d->t[params].type != JSON_OBJECT)
		params = 0;
	for (i = 0; i < nt->n; i++) {
		const struct tpart *pt = &nt->p[i];
		buf_reset(&text);
		/* jq evaluates a part's `a + b` right first: of the fields
		 * that fail, the rightmost is the one it names */
		failed = 0;
		for (j = 0; j < pt->nseg; j++) {
			const struct tfield *f = pt->seg[j].f;
			uint32_t t = 0;
			int r = 0;
			buf_add(&text, pt->seg[j].lit, pt->seg[j].litn);
			if (!f)
				continue;
			buf_reset(&ferr);
			if (f->scope == SC_SEND) {
				if ((r = send_field(in, f, pt->html, &text, &ferr)) < 0) {
					fail(err, elen, &ferr), failed = 1;
					continue;
				}
			} else {
				const struct json_doc *td = NULL;
				if ((f->scope == SC_BARE || f->scope == SC_PARAMS) && params &&
				    (t = doc_path(in->d, params, f->path, f->plen, f->depth)))
					td = in->d;
				if (!t && (f->scope == SC_BARE || f->scope == SC_TRAITS) && in->traits &&
				    in->traits->t[0].type == JSON_OBJECT &&
				    (t = doc_path(in->traits, 0, f->path, f->plen, f->depth)))
					td = in->traits;
				if (t) {
					if (value_text(td, t, f, pt->html, &text, &ferr)) {
						fail(err, elen, &ferr), failed = 1;
						continue;
					}
					r = 1;
				}
			}
			if (!r) {
				if (!f->def) {
					buf_printf(&ferr, "unknown field '%.*s'", (int)f->namen, f->name);
					fail(err, elen, &ferr), failed = 1;
					continue;
				}
				put_text(&text, f->def, f->defn, pt->html); /* through @html too */
			}
		}
		if (failed)
			goto out;
		buf_addc(out, ',');
		json_write_str(out, pt->name, pt->namen);
		buf_addc(out, ':');
		json_write_str(out, text.p ? text.p : "", text.len);
	}
	rc = 0;
out:
	if (rc)
		out->len = start;
	buf_release(&text);
	buf_release(&ferr);
	return rc;
}

static int load_one(struct templates *t, const char *dir, const char *file)
{
	size_t l = strlen(file), base;
	int is_jq;
	const char *dot;
	struct template tp = {0};
	struct buf path = BUF_INIT, text = BUF_INIT, prog = BUF_INIT, err = BUF_INIT;
	char e[256];
	int rc = -1;

	is_jq = l > 3 && !strcmp(file + l - 3, ".jq");
	base = l - (is_jq ? 3 : 5);
	buf_printf(&path, "%s/%s", dir, file);
	dot = memchr(file, '.', base);
	if (!base || dot == file || (dot && (memchr(dot + 1, '.', base - (size_t)(dot + 1 - file)) || dot + 1 == file + base))) {
		cli_err("template '%s': want a file name NAME.json, NAME.CHANNEL.json, NAME.jq or NAME.CHANNEL.jq", path.p);
		goto out;
	}
	tp.name = xstrndup(file, dot ? (size_t)(dot - file) : base);
	tp.channel = dot ? xstrndup(dot + 1, base - (size_t)(dot + 1 - file)) : NULL;
	tp.path = xstrdup(path.p);
	if (io_slurp(path.p, &text, e, sizeof e)) {
		cli_err("cannot read template '%s': %s", path.p, e);
		goto out;
	}
	if (is_jq) {
		buf_add(&prog, text.p ? text.p : "", text.len);
	} else if (json_program(text.p ? text.p : "", text.len, &prog, &tp.text_literal, &err)) {
		cli_err("template '%s': %s", path.p, err.p);
		goto out;
	}
	/* a .json template rendered natively compiles its jq program only
	 * when template_render asks for it (compiling takes milliseconds) */
	if (!is_jq)
		tp.native = native_build(text.p ? text.p : "", text.len, &tp.uses_traits);
	if (tp.native)
		tp.program = xstrndup(prog.p ? prog.p : ".", prog.len);
	else if (!(tp.prog = jqprog_compile(path.p, prog.p ? prog.p : ".", &err))) {
		cli_err("template '%s' does not compile: %s", path.p, err.p ? err.p : "");
		goto out;
	}
	t->v = xrealloc(t->v, (t->n + 1) * sizeof *t->v);
	t->v[t->n++] = tp;
	memset(&tp, 0, sizeof tp);
	rc = 0;
out:
	free(tp.name);
	free(tp.text_literal);
	free(tp.channel);
	free(tp.path);
	free(tp.program);
	buf_release(&path);
	buf_release(&text);
	buf_release(&prog);
	buf_release(&err);
	return rc;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int templates_load(struct templates *t, const char *dir)
{
	DIR *dp;
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;
	int rc = 0;

	if (!(dp = opendir(dir))) {
		if (errno == ENOENT)
			return 0;
		cli_err("cannot read the templates '%s': %s", dir, strerror(errno));
		return EXIT_CONFIG;
	}
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' ||
		    !((l > 5 && !strcmp(e->d_name + l - 5, ".json")) || (l > 3 && !strcmp(e->d_name + l - 3, ".jq"))))
			continue;
		names = xrealloc(names, (n + 1) * sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n && !rc; i++)
		if (load_one(t, dir, names[i]))
			rc = EXIT_CONFIG;
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	for (i = 0; !rc && i + 1 < t->n; i++)
		if (!strcmp(t->v[i].name, t->v[i + 1].name) && !t->v[i].channel == !t->v[i + 1].channel &&
		    (!t->v[i].channel || !strcmp(t->v[i].channel, t->v[i + 1].channel))) {
			cli_err("template '%s': '%s' is the same template", t->v[i + 1].path, t->v[i].path);
			rc = EXIT_CONFIG;
		}
	return rc;
}

void templates_free(struct templates *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		free(t->v[i].name);
		free(t->v[i].channel);
		free(t->v[i].path);
		free(t->v[i].text_literal);
		native_free(t->v[i].native);
		jqprog_free(t->v[i].prog);
		free(t->v[i].program);
	}
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

const struct template *templates_find(const struct templates *t, const char *name, size_t n, const char *channel)
{
	const struct template *any = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct template *tp = &t->v[i];
		if (strlen(tp->name) != n || memcmp(tp->name, name, n))
			continue;
		if (!tp->channel)
			any = tp;
		else if (channel && !strcmp(tp->channel, channel))
			return tp;
	}
	return any;
}

int template_render(const struct template *tp, jv input, struct buf *out, struct buf *err)
{
	struct buf res = BUF_INIT;
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t at;
	unsigned k, j;
	int n, rc = -1;

	if (!tp->prog && tp->program && /* compiled on first use */
	    !(((struct template *)tp)->prog = jqprog_compile(tp->path, tp->program, err))) {
		jv_free(input);
		goto out;
	}
	n = jqprog_run(tp->prog, input, &res, err);
	if (n < 0)
		goto out;
	if (n != 1) {
		buf_printf(err, "gave %d results, want one object", n);
		goto out;
	}
	if (json_parse(&d, res.p, res.len - 1, 16, &why, &at) || d.t[0].type != JSON_OBJECT) {
		buf_adds(err, "gave something other than an object of parts");
		goto out;
	}
	for (k = 0, j = 1; k < d.t[0].size; k++, j = d.t[j + 1].next) {
		if (d.t[j + 1].type != JSON_STRING) {
			buf_adds(err, "part ");
			json_write_tok(&d, j, err);
			buf_adds(err, " is not text");
			goto out;
		}
	}
	for (k = 0, j = 1; k < d.t[0].size; k++, j = d.t[j + 1].next) {
		buf_addc(out, ',');
		json_write_tok(&d, j, out);
		buf_addc(out, ':');
		json_write_tok(&d, j + 1, out);
	}
	rc = 0;
out:
	json_doc_release(&d);
	buf_release(&res);
	return rc;
}

/* GSM 03.38: the basic set's characters other than ASCII letters and
 * digits, and the extension set (two septets each). */
static int gsm_septets(uint32_t c)
{
	static const char basic_ascii[] = "@$\n\r _!\"#%&'()*+,-./:;<=>?";
	static const uint32_t basic_other[] = {0xA3, 0xA5, 0xE8, 0xE9, 0xF9, 0xEC, 0xF2, 0xC7, 0xD8, 0xF8, 0xC5,
					       0xE5, 0x394, 0x3A6, 0x393, 0x39B, 0x3A9, 0x3A0, 0x3A8, 0x3A3, 0x398,
					       0x39E, 0xC6, 0xE6, 0xDF, 0xC9, 0xA4, 0xA1, 0xC4, 0xD6, 0xD1, 0xDC,
					       0xA7, 0xBF, 0xE4, 0xF6, 0xF1, 0xFC, 0xE0};
	static const char ext[] = "^{}\\[~]|";
	size_t i;

	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	if (c && c < 128 && strchr(basic_ascii, (int)c))
		return 1;
	if (c && c < 128 && strchr(ext, (int)c))
		return 2;
	if (c == 0x20AC) /* euro sign, in the extension set */
		return 2;
	for (i = 0; i < sizeof basic_other / sizeof *basic_other; i++)
		if (basic_other[i] == c)
			return 1;
	return 0;
}

int template_sms_segments(const char *s, size_t n, size_t *units)
{
	size_t i = 0, septets = 0, ucs2 = 0;
	int gsm = 1;

	while (i < n) {
		unsigned char b = (unsigned char)s[i];
		uint32_t c;
		int l = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4, k;
		if (i + (size_t)l > n)
			l = (int)(n - i);
		c = l == 1 ? b : (uint32_t)(b & (0x3F >> (l - 1)));
		for (k = 1; k < l; k++)
			c = (c << 6) | ((unsigned char)s[i + (size_t)k] & 0x3F);
		i += (size_t)l;
		ucs2 += c > 0xFFFF ? 2 : 1;
		if (gsm) {
			int sp = gsm_septets(c);
			if (!sp)
				gsm = 0;
			septets += (size_t)sp;
		}
	}
	*units = gsm ? septets : ucs2;
	if (!*units)
		return 0;
	if (gsm)
		return septets <= 160 ? 1 : (int)((septets + 152) / 153);
	return ucs2 <= 70 ? 1 : (int)((ucs2 + 66) / 67);
}
