/*
 * tjourney.h - for unit tests that need compiled journeys: a definition
 * written into a file under a test's directory and compiled with a scope
 * in which a trait is numbered by its name's length and no tag or segment
 * exists.
 */
#ifndef UOPS_TJOURNEY_H
#define UOPS_TJOURNEY_H

#include <stdio.h>
#include <string.h>

#include "conf.h"
#include "journey.h"
#include "t.h"

static uint32_t tj_trait(void *ctx, const char *name)
{
	(void)ctx;
	return (uint32_t)strlen(name);
}

static int tj_none(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	(void)name;
	*why = "none here";
	return -1;
}

/* Write text to DIR/NAME.json and compile it into js, its aggregates
 * into aggs; a failure is a failed check. */
static void tj_compile(struct journeys *js, const char *dir, struct agg_set *aggs, const char *name,
		       const char *text)
{
	char path[256];
	struct conf c;
	struct cond_scope sc;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.json", dir, name);
	f = fopen(path, "w");
	T_OK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	memset(&sc, 0, sizeof sc);
	sc.aggs = aggs;
	sc.trait = tj_trait;
	sc.tag = tj_none;
	sc.segment = tj_none;
	T_OK(conf_load(&c, path) == 0 && journey_compile(js, &c, &sc) == 0);
	conf_release(&c);
}

#endif
