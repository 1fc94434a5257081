/*
 * step - a report's step (see step.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "step.h"

void step_release(struct step *s)
{
	free(s->text);
	free(s->type);
	cond_free(s->where);
	conf_release(&s->conf);
	memset(s, 0, sizeof *s);
}

/* a step's where knows no traits, */
static uint32_t no_trait(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 0;
}

/* no tags, */
static int no_tag(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	(void)name;
	*why = "a step's where reads the event's props only";
	return -1;
}

/* and notes whatever else it would read (aggregates, profiles) */
static void reads_props_only(void *ctx, enum cond_read what, unsigned idx)
{
	(void)what;
	(void)idx;
	*(int *)ctx = 1;
}

int step_parse(const char *what, const char *text, struct step *s)
{
	const char *colon = strchr(text, ':');
	struct agg_set aggs = {0};
	struct cond_scope sc = {0};
	const char *why;
	size_t at;
	int reads = 0;

	memset(s, 0, sizeof *s);
	s->text = xstrdup(text);
	if (colon == text || !*text) {
		cli_err("%s '%s': want TYPE or TYPE:WHERE", what, text);
		return EXIT_USAGE;
	}
	s->type = colon ? xstrndup(text, (size_t)(colon - text)) : xstrdup(text);
	if (!strcmp(s->type, "*")) {
		free(s->type);
		s->type = NULL;
	}
	if (!colon)
		return 0;
	s->conf.path = xstrdup(what);
	buf_adds(&s->conf.text, colon + 1);
	if (json_parse(&s->conf.doc, s->conf.text.p, s->conf.text.len, 64, &why, &at)) {
		cli_err("%s '%s': the where is not JSON: %s at byte %zu", what, text, why, at);
		return EXIT_USAGE;
	}
	sc.aggs = &aggs;
	sc.trait = no_trait;
	sc.tag = no_tag;
	sc.in_where = 1;
	s->where = cond_compile(&s->conf, 0, &sc);
	if (s->where)
		cond_reads(s->where, reads_props_only, &reads);
	agg_set_release(&aggs);
	if (!s->where) {
		cli_err("%s", s->conf.err.p);
		return EXIT_USAGE;
	}
	if (reads || sc.jq) {
		cli_err("%s '%s': a step's where reads the event's props only ({\"prop\": …}, constants, and/or/not)",
			what, text);
		return EXIT_USAGE;
	}
	return 0;
}

int step_match(const struct step *s, const struct json_doc *d, uint32_t type, uint32_t props)
{
	struct cond_env e = {0};

	if (s->type && !json_str_eq(d, type, s->type, strlen(s->type)))
		return 0;
	if (!s->where)
		return 1;
	e.doc = d;
	e.ev = 0;
	e.props = props;
	e.props_set = 1;
	return cond_eval(s->where, &e);
}

int step_type_is(const struct step *st, const char *t, size_t n)
{
	return !st->type || (strlen(st->type) == n && !memcmp(st->type, t, n));
}
