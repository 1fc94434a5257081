#include "conf.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#include "io.h"

#ifndef UOPS_DATADIR
#define UOPS_DATADIR "/usr/local/share/uops"
#endif
#define SITE_PIPELINES "/etc/uops/pipelines"

static char *pl_dir;       /* the directory conf_pipelines chose */
static struct buf pl_hint; /* where it looked, for errors under it */

/* An error about path: where the definitions were looked for, when path
 * is under the directory conf_pipelines chose. */
static const char *hint_for(const char *path)
{
	size_t n = pl_dir ? strlen(pl_dir) : 0;

	if (!n || strncmp(path, pl_dir, n) || (path[n] && path[n] != '/'))
		return "";
	return pl_hint.p ? pl_hint.p : "";
}

static int is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

const char *conf_pipelines(const char *opt)
{
	const char *env = getenv("UOPS_PIPELINES");
	char self[4096], *cand[4];
	unsigned nc = 0, i;
	ssize_t n;

	if (pl_dir)
		return pl_dir;
	buf_reset(&pl_hint);
	if (opt) {
		pl_dir = xstrdup(opt);
		buf_adds(&pl_hint, " (the definitions directory given by --pipelines)");
		return pl_dir;
	}
	if (env && *env) {
		pl_dir = xstrdup(env);
		buf_adds(&pl_hint, " (the definitions directory named by UOPS_PIPELINES; unset it or give --pipelines DIR)");
		return pl_dir;
	}
	cand[nc++] = xstrdup("pipelines");
	cand[nc++] = xstrdup(SITE_PIPELINES);
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) { /* PREFIX/bin/tool -> PREFIX/share/uops/pipelines */
		char *slash;
		unsigned up;
		self[n] = 0;
		for (up = 0; up < 2 && (slash = strrchr(self, '/')); up++)
			*slash = 0;
		if (up == 2) {
			struct buf b = {0};
			buf_printf(&b, "%s/share/uops/pipelines", self);
			cand[nc++] = b.p;
		}
	}
	if (strcmp(cand[nc - 1], UOPS_DATADIR "/pipelines"))
		cand[nc++] = xstrdup(UOPS_DATADIR "/pipelines");
	for (i = 0; i < nc && !pl_dir; i++)
		if (is_dir(cand[i]))
			pl_dir = xstrdup(cand[i]);
	if (pl_dir)
		buf_printf(&pl_hint, " (the definitions directory '%s', the first found of", pl_dir);
	else
		buf_adds(&pl_hint, " (no definitions directory: none of");
	for (i = 0; i < nc; i++)
		buf_printf(&pl_hint, "%s %s", i ? "," : "", i ? cand[i] : "./pipelines");
	buf_adds(&pl_hint, "; give --pipelines DIR or set UOPS_PIPELINES)");
	for (i = 0; i < nc; i++)
		free(cand[i]);
	if (!pl_dir)
		pl_dir = xstrdup("pipelines");
	return pl_dir;
}

int conf_load(struct conf *c, const char *path)
{
	char err[200];
	const char *why;
	size_t at, i;
	unsigned line = 1, col = 1;

	memset(c, 0, sizeof *c);
	c->path = xstrdup(path);
	if (io_slurp(path, &c->text, err, sizeof err)) {
		buf_printf(&c->err, "%s: %s%s", path, err, hint_for(path));
		return -1;
	}
	if (json_parse(&c->doc, c->text.p ? c->text.p : "", c->text.len, 64, &why, &at)) {
		for (i = 0; i < at && i < c->text.len; i++) {
			if (c->text.p[i] == '\n') {
				line++;
				col = 1;
			} else {
				col++;
			}
		}
		buf_printf(&c->err, "%s:%u:%u: invalid json: %s", path, line, col, why);
		return -1;
	}
	if (c->doc.t[0].type != JSON_OBJECT) {
		buf_printf(&c->err, "%s: the file must hold a JSON object", path);
		return -1;
	}
	return 0;
}

void conf_release(struct conf *c)
{
	free(c->path);
	buf_release(&c->text);
	json_doc_release(&c->doc);
	buf_release(&c->err);
}

/* The path of token i from the root, like .a.b[2]. */
static void path_of(const struct json_doc *d, unsigned target, unsigned i,
		    struct buf *b, int *found)
{
	const struct json_tok *t = &d->t[i];
	unsigned k, j;
	size_t mark;

	if (i == target) {
		*found = 1;
		return;
	}
	if (t->type == JSON_OBJECT) {
		for (k = 0, j = i + 1; k < t->size && !*found; k++) {
			if (target >= j + 1 && target < d->t[j + 1].next) {
				mark = b->len;
				buf_addc(b, '.');
				json_str_get(d, j, b);
				path_of(d, target, j + 1, b, found);
				if (!*found)
					b->len = mark;
				return;
			}
			j = d->t[j + 1].next;
		}
	} else if (t->type == JSON_ARRAY) {
		for (k = 0, j = i + 1; k < t->size && !*found; k++) {
			if (target >= j && target < d->t[j].next) {
				buf_printf(b, "[%u]", k);
				path_of(d, target, j, b, found);
				return;
			}
			j = d->t[j].next;
		}
	}
}

int conf_fail(struct conf *c, unsigned obj, const char *key, const char *fmt, ...)
{
	va_list ap;
	int found = 0;

	if (c->err.len)
		return -1;
	buf_printf(&c->err, "%s: ", c->path);
	if (obj)
		path_of(&c->doc, obj, 0, &c->err, &found);
	if (key)
		buf_printf(&c->err, ".%s", key);
	if (!obj && !key)
		buf_addc(&c->err, '.');
	buf_adds(&c->err, ": ");
	{
		char tmp[512];
		va_start(ap, fmt);
		vsnprintf(tmp, sizeof tmp, fmt, ap);
		va_end(ap);
		buf_adds(&c->err, tmp);
	}
	return -1;
}

int conf_keys(struct conf *c, unsigned obj, const char *const *allowed)
{
	const struct json_tok *t = &c->doc.t[obj];
	unsigned k, j;

	for (k = 0, j = obj + 1; k < t->size; k++) {
		const char *const *a;
		int ok = 0;
		for (a = allowed; *a && !ok; a++)
			ok = json_str_eq(&c->doc, j, *a, strlen(*a));
		if (!ok) {
			struct buf name = BUF_INIT;
			json_str_get(&c->doc, j, &name);
			conf_fail(c, obj, NULL, "unknown key '%s'", name.p ? name.p : "");
			buf_release(&name);
			return -1;
		}
		j = c->doc.t[j + 1].next;
	}
	return 0;
}

int conf_str(struct conf *c, unsigned obj, const char *key, char **out)
{
	unsigned v = json_get(&c->doc, obj, key, strlen(key));
	struct buf b = BUF_INIT;

	if (!v)
		return 0;
	if (c->doc.t[v].type != JSON_STRING)
		return conf_fail(c, obj, key, "must be a string");
	json_str_get(&c->doc, v, &b);
	*out = b.p ? b.p : xstrdup("");
	return 1;
}

int conf_int(struct conf *c, unsigned obj, const char *key, long long *out)
{
	unsigned v = json_get(&c->doc, obj, key, strlen(key));
	char tmp[32];
	char *end;
	const struct json_tok *t;

	if (!v)
		return 0;
	t = &c->doc.t[v];
	if (t->type != JSON_NUMBER || t->len >= sizeof tmp)
		return conf_fail(c, obj, key, "must be an integer");
	memcpy(tmp, c->doc.s + t->off, t->len);
	tmp[t->len] = 0;
	errno = 0;
	*out = strtoll(tmp, &end, 10);
	if (*end || errno == ERANGE)
		return conf_fail(c, obj, key, "must be an integer");
	return 1;
}

int conf_strs(struct conf *c, unsigned obj, const char *key, const char *what, char ***out, unsigned *n)
{
	unsigned a = json_get(&c->doc, obj, key, strlen(key)), i, k;

	if (!a)
		return 0;
	if (c->doc.t[a].type != JSON_ARRAY || !c->doc.t[a].size)
		return conf_fail(c, obj, key, "want a list of %s", what);
	for (k = 0, i = a + 1; k < c->doc.t[a].size; k++, i = c->doc.t[i].next) {
		struct buf b = BUF_INIT;
		if (c->doc.t[i].type != JSON_STRING || !c->doc.t[i].len)
			return conf_fail(c, obj, key, "want a list of %s", what);
		json_str_get(&c->doc, i, &b);
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = b.p;
	}
	return 1;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int conf_dir(const char *dir, const char *what, int (*load)(void *ctx, const char *path), void *ctx)
{
	char path[4096];
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	DIR *dp;
	struct dirent *e;
	int rc = 0;

	if (!(dp = opendir(dir))) {
		cli_err("cannot read the %s definitions '%s': %s%s", what, dir, strerror(errno), hint_for(dir));
		return EXIT_CONFIG;
	}
	while ((e = readdir(dp))) {
		size_t l = strlen(e->d_name);
		if (e->d_name[0] == '.' || l < 6 || strcmp(e->d_name + l - 5, ".json"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			names = xrealloc(names, cap * sizeof *names);
		}
		names[n++] = xstrdup(e->d_name);
	}
	closedir(dp);
	if (n)
		qsort(names, n, sizeof *names, name_cmp);
	for (i = 0; i < n && !rc; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (load(ctx, path))
			rc = EXIT_CONFIG;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (!rc && !n) {
		cli_err("no %s definitions (*.json) in '%s'", what, dir);
		rc = EXIT_CONFIG;
	}
	return rc;
}

char *conf_default_region(const char *pipelines)
{
	char path[4096];
	char *region = NULL;
	struct conf c;

	snprintf(path, sizeof path, "%s/ingest.json", pipelines);
	if (!access(path, F_OK)) {
		if (conf_load(&c, path) || conf_str(&c, 0, "default_region", &region) < 0)
			cli_err("%s", c.err.p ? c.err.p : path);
		conf_release(&c);
	}
	return region ? region : xstrdup("86");
}
