/*
 * step - a step of report's retention, funnel and conversions: an event
 * type ("*": any) with an optional where, a condition of the shared
 * language (lib/cond) over the event's props only.
 */
#ifndef UOPS_STEP_H
#define UOPS_STEP_H

#include <stddef.h>
#include <stdint.h>

#include "cond.h"
#include "conf.h"
#include "json.h"

struct step {
	char *text;  /* as given */
	char *type;  /* NULL: any event */
	struct cond *where;
	struct conf conf; /* the where's text, which the tree points into */
};

/* Parse "TYPE", "TYPE:WHERE" (WHERE a JSON condition over the event's
 * props: {"prop": "amount", "gt": 100}, constants, and/or/not) or "*"
 * into s; what names the option in messages. Returns 0, or 64 (EXIT_USAGE)
 * after saying why on stderr; s is to be released either way. */
int step_parse(const char *what, const char *text, struct step *s);

/* 1 when the event of d (type the token of its type, props the token of
 * its props or 0) matches s: the type, then the where. */
int step_match(const struct step *s, const struct json_doc *d, uint32_t type, uint32_t props);

/* Does s take events of type t (n bytes, without escapes)? Any type when
 * s has none. */
int step_type_is(const struct step *s, const char *t, size_t n);

/* Free what s holds and zero it. */
void step_release(struct step *s);

#endif
