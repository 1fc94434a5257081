/*
 * map - a source mapping written as data (pipelines/sources/NAME.map.json),
 * compiled once and evaluated natively per record: field paths, renames,
 * constants, conditions, arithmetic, string functions, lookups, objects
 * that drop empty members, and a jq expression as the escape hatch for a
 * value the language cannot say.
 *
 * The language is defined by the jq it stands for: each operator gives what
 * the jq filter of the same name gives on the same input, and a mapped
 * record is written as jq 1.6 writes it (key order, string escapes, numbers
 * in the shortest form that reads back, NaN as null), so a source mapped
 * natively and by its jq program yields the same bytes. The grammar is in
 * schemas/map.schema.json and ingest(1), MAPPINGS.
 *
 * A compiled map is read-only while records are mapped and may be shared by
 * threads; each thread evaluates with its own struct map_ctx.
 */
#ifndef UOPS_MAP_H
#define UOPS_MAP_H

#include <stddef.h>

#include "buf.h"
#include "csv.h"
#include "json.h"

struct map;
struct map_ctx;

/* What map_run_* made of a record. */
enum {
	MAP_ERROR = -1, /* the mapping failed: the record is rejected (err says why) */
	MAP_SKIP = 0,   /* "when" said no: the record maps to no event */
	MAP_EVENT = 1,  /* one event, its JSON text appended to out */
};

/*
 * Compile a map from its JSON text (n bytes; name is used in messages).
 * Returns the map, owning a copy of what it needs, or NULL with a message
 * appended to err ("PATH: what is wrong", PATH a dotted place in the text).
 */
struct map *map_compile(const char *name, const char *text, size_t n, struct buf *err);
/* Free a map (NULL is fine). Every map_ctx made from it must be freed first. */
void map_free(struct map *m);

/*
 * Tell the map the column names of the CSV file whose rows come next (hdr:
 * nh NUL-terminated names, borrowed for as long as rows of this file are
 * mapped). Call between records, never while another thread maps a row.
 */
void map_bind_columns(struct map *m, char *const *hdr, size_t nh);

/* Scratch for evaluating m on one thread (regular expressions and jq
 * programs of m are compiled here: create contexts before starting
 * threads). Returns the context; free it with map_ctx_free before m. */
struct map_ctx *map_ctx_new(const struct map *m);
void map_ctx_free(struct map_ctx *c);

/*
 * Map one record: the JSON value at token 0 of d (as json_parse left it),
 * or a CSV row (nf fields f, their bytes in text, in the bound header's
 * order; all is borrowed for the call). Returns
 * MAP_EVENT with the event's compact JSON appended to out, MAP_SKIP, or
 * MAP_ERROR with the reason appended to err. Nothing returned points into
 * c; the record's memory in c is reused by the next call.
 */
int map_run_json(struct map_ctx *c, const struct json_doc *d, struct buf *out, struct buf *err);
int map_run_csv(struct map_ctx *c, const char *text, const struct csv_field *f, size_t nf,
		struct buf *out, struct buf *err);

/* Append x as jq 1.6 prints a number (the shortest digits that read back as
 * x, %g-like layout, NaN as null, infinities as ±DBL_MAX) to out. */
void map_num_format(double x, struct buf *out);

#endif
