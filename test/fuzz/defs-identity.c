/*
 * defs-identity - idmerge(1)'s loader of the identity rules
 * (pipelines/identity.json) on any text: the tool's load_rules, then what
 * main frees.
 */
#define main idmerge_main
#include "../../cmd/idmerge.c"
#undef main

#include "fuzz.h"

static struct idm G;
static char *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idm *g = &G;
	size_t i;

	if (!path) {
		cli_prog = "idmerge";
		path = fz_path("identity.json");
	}
	memset(g, 0, sizeof *g);
	g->rules_path = path;
	fz_write(path, data, size);
	load_rules(g);
	for (i = 0; i < g->r.nt; i++)
		free(g->r.t[i].name);
	for (i = 0; i < g->r.nblocked; i++)
		free(g->r.blocked[i]);
	free(g->r.blocked);
	for (i = 0; i < g->r.npatterns; i++)
		free(g->r.patterns[i]);
	free(g->r.patterns);
	return 0;
}
