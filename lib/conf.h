/*
 * conf - definition files (pipelines/.../NAME.json) read with exact errors.
 *
 * A definition with an error is refused whole, with the file, the path
 * inside it (".sources.web.zone") and the reason; callers exit 78.
 */
#ifndef UOPS_CONF_H
#define UOPS_CONF_H

#include "buf.h"
#include "json.h"

struct conf {
	char *path;
	struct buf text;
	struct json_doc doc;
	struct buf err; /* the first error, "file: path: reason" */
};

/* Load and parse path. Returns 0, or -1 with c->err set. The root must be
 * an object. */
int conf_load(struct conf *c, const char *path);
void conf_release(struct conf *c);

/* Record an error at the value under key of object obj (key may be NULL
 * for obj itself); returns -1. */
int conf_fail(struct conf *c, unsigned obj, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/*
 * Check that object obj has only keys from the NULL-terminated list;
 * returns 0 or -1 (error set).
 */
int conf_keys(struct conf *c, unsigned obj, const char *const *allowed);

/* Typed getters: 0 = absent (out untouched), 1 = set, -1 = wrong type
 * (error set). Strings are malloc'd copies. */
int conf_str(struct conf *c, unsigned obj, const char *key, char **out);
int conf_int(struct conf *c, unsigned obj, const char *key, long long *out);

/*
 * A list of at least one non-empty string under key of object obj,
 * appended to *out (malloc'd copies; *n of them, realloc'd). 0 = absent,
 * 1 = set, -1 = not such a list: "want a list of WHAT" (error set).
 */
int conf_strs(struct conf *c, unsigned obj, const char *key, const char *what, char ***out, unsigned *n);

/*
 * Load every *.json file of directory dir in file-name order with
 * load(ctx, path), which returns 0 or -1 after printing the error. Returns
 * 0, or 78 (EXIT_CONFIG) when the directory cannot be read, holds no
 * definition, or a file fails; `what` names the definitions in messages
 * ("tag", "segment").
 */
int conf_dir(const char *dir, const char *what, int (*load)(void *ctx, const char *path), void *ctx);

/*
 * The definitions directory. opt (--pipelines) when given, else
 * $UOPS_PIPELINES when set and not empty; else the first of these that is
 * a directory: ./pipelines, /etc/uops/pipelines (a site's own),
 * DIR/../share/uops/pipelines where DIR holds the running binary (the
 * shipped definitions, as `make install` puts them, wherever the tree was
 * installed), and the same under the PREFIX the tools were built for;
 * else "pipelines". Returns a string that lives as long as the process.
 * Once it has chosen, conf_load and conf_dir add to a "cannot open" or
 * "cannot read" error under that directory where it looked and how to
 * point elsewhere.
 */
const char *conf_pipelines(const char *opt);

/*
 * The phone region (country calling code digits, "86") ingest applies by
 * default: default_region of PIPELINES/ingest.json, else "86". For a tool
 * that normalises a value an operator typed (idmerge lookup, segmenter
 * upload) as ingest normalised the stream. A file that cannot be read is
 * reported and "86" returned. The caller frees the string.
 */
char *conf_default_region(const char *pipelines);

#endif
