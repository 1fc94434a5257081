/*
 * defnames - the tag and segment names the definitions upstream give;
 * see defnames.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "defnames.h"
#include "json.h"

static void names_add(char ***v, unsigned *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = xstrdup(s);
}

struct names_ctx {
	char ***v;
	unsigned *n;
	const char *key;
};

static int names_file(void *ctx, const char *path)
{
	struct names_ctx *nc = ctx;
	struct conf c;
	unsigned v, k, i;

	if (conf_load(&c, path)) {
		cli_err("%s", c.err.p);
		conf_release(&c);
		return -1;
	}
	if ((v = json_get(&c.doc, 0, nc->key, strlen(nc->key))) && c.doc.t[v].type == JSON_ARRAY)
		for (k = 0, i = v + 1; k < c.doc.t[v].size; k++, i = c.doc.t[i].next) {
			char *name = NULL;
			if (c.doc.t[i].type == JSON_OBJECT && conf_str(&c, i, "name", &name) == 1)
				names_add(nc->v, nc->n, name);
			free(name);
		}
	conf_release(&c);
	return 0;
}

int defnames_load(struct defnames *d, const char *pipelines)
{
	char path[4096];
	struct names_ctx t = {&d->tags, &d->ntags, "tags"}, s = {&d->segments, &d->nsegments, "segments"};
	struct stat sb;

	snprintf(path, sizeof path, "%s/tags", pipelines);
	if (!stat(path, &sb) && conf_dir(path, "tag", names_file, &t))
		return -1;
	snprintf(path, sizeof path, "%s/segments", pipelines);
	if (!stat(path, &sb) && conf_dir(path, "segment", names_file, &s))
		return -1;
	return 0;
}

static int known(char **v, unsigned n, const char *s)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

int defnames_tag(const struct defnames *d, const char *name)
{
	return known(d->tags, d->ntags, name);
}

int defnames_segment(const struct defnames *d, const char *name)
{
	return known(d->segments, d->nsegments, name);
}

void defnames_release(struct defnames *d)
{
	unsigned i;

	for (i = 0; i < d->ntags; i++)
		free(d->tags[i]);
	free(d->tags);
	for (i = 0; i < d->nsegments; i++)
		free(d->segments[i]);
	free(d->segments);
	memset(d, 0, sizeof *d);
}
