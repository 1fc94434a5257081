/*
 * defs-tags - tagger(1)'s loader of tag definitions (pipelines/tags/NAME.json)
 * on any text: the tool's load_defs over a directory holding that one
 * file, then, when it loads, bind_defs as
 * tagger does at start (dictionary numbers from a store in the scratch
 * directory, whose writes are dropped after each input). Definitions with
 * a "jq" condition are left out (see fuzz.h). A refused file must say why.
 */
#define main tagger_main
#include "../../cmd/tagger.c"
#undef main

#include "fuzz.h"

static struct tagger G;
static struct store *st;
static MDB_dbi dbi_profiles, dbi_dict, dbi_facts, dbi_state;
static char *dir, *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tagger *g = &G;
	int code;

	if (fz_has_key((const char *)data, size, "jq"))
		return 0;
	if (!st) {
		char *db = fz_path("db");
		cli_prog = "tagger";
		dir = fz_path("tags");
		if (mkdir(dir, 0775) && errno != EEXIST)
			FZ_FAIL("cannot create %s", dir);
		path = fz_path("tags/x.json");
		st = store_open(db, "tagger", STORE_NOSYNC, &code);
		if (!st || store_dbi(st, "tagger.profiles", 0, &dbi_profiles) ||
		    store_dbi(st, "tagger.dict", 0, &dbi_dict) || store_dbi(st, "tagger.facts", 0, &dbi_facts) ||
		    store_dbi(st, "tagger.state", 0, &dbi_state) || store_commit(st))
			FZ_FAIL("cannot open a store in %s", db);
		free(db);
	}
	memset(g, 0, sizeof *g);
	g->cli.prog = "tagger";
	g->st = st;
	g->profiles = dbi_profiles;
	g->dict = dbi_dict;
	g->facts = dbi_facts;
	g->state = dbi_state;
	g->names.st = st;
	g->names.dbi = dbi_dict;
	g->names.ns = "atg";
	g->d.st = st;
	g->d.facts = dbi_facts;
	g->d.names = &g->names;
	g->tags_dir = dir;
	if (dict_load(&g->names))
		FZ_FAIL("cannot load the dictionary");
	load_state(g);
	fz_write(path, data, size);
	if (load_defs(g) == 0)
		bind_defs(g);
	defs_free(g);
	store_discard(st);
	return 0;
}
