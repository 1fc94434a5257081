/*
 * jqprog - a jq program compiled once and run per record (ingest source
 * mappings, later message templates). jq stays off the hot path of
 * canonical records; it runs only where a definition asks for it.
 */
#ifndef UOPS_JQPROG_H
#define UOPS_JQPROG_H

#include <jv.h>
#include <stddef.h>

#include "buf.h"
#include "json.h"

struct jqprog;

/*
 * Compile the program text (name is used in messages). Returns the program,
 * or NULL with the compiler's messages appended to err. The program runs
 * with tonumber, ltrimstr and rtrimstr defined in jq before it (on its
 * first line, so it cannot start with import, include or module): they
 * give libjq's results without the memory libjq 1.6 keeps on some inputs.
 */
struct jqprog *jqprog_compile(const char *name, const char *text, struct buf *err);
void jqprog_free(struct jqprog *p);

/*
 * Run the program on input (consumed). Each result is appended to out as
 * compact JSON followed by '\n'. Returns the number of results, or -1 with
 * the jq error message in err (results before the error are discarded).
 */
int jqprog_run(struct jqprog *p, jv input, struct buf *out, struct buf *err);

/* Build a jv from token i of a parsed document. */
jv jqprog_from_json(const struct json_doc *d, unsigned i);

#endif
