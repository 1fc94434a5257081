/*
 * defs-segments - segmenter(1)'s loader of segment definitions
 * (pipelines/segments/NAME.json) on any text: the tool's load_defs over a
 * directory holding that one file, then, when it loads, bind_defs as
 * segmenter does at start (dictionary numbers,
 * columns and memberships from a store in the scratch directory, whose
 * writes are dropped after each input). Definitions with a "jq" condition
 * are left out (see fuzz.h).
 */
#define main segmenter_main
#include "../../cmd/segmenter.c"
#undef main

#include "fuzz.h"

static struct seg G;
static struct store *st;
static MDB_dbi dbis[8];
static const char *const dbnames[8] = {
	"segmenter.people", "segmenter.members", "segmenter.due", "segmenter.cols",
	"segmenter.texts", "segmenter.dict", "segmenter.defs", "segmenter.state",
};
static char *dir, *path;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg *g = &G;
	unsigned i;
	int code;

	if (fz_has_key((const char *)data, size, "jq"))
		return 0;
	if (!st) {
		char *db = fz_path("db");
		cli_prog = "segmenter";
		dir = fz_path("segments");
		if (mkdir(dir, 0775) && errno != EEXIST)
			FZ_FAIL("cannot create %s", dir);
		path = fz_path("segments/x.json");
		st = store_open(db, "segmenter", STORE_NOSYNC, &code);
		if (!st)
			FZ_FAIL("cannot open a store in %s", db);
		for (i = 0; i < 8; i++)
			if (store_dbi(st, dbnames[i], 0, &dbis[i]))
				FZ_FAIL("cannot open %s", dbnames[i]);
		if (store_commit(st))
			FZ_FAIL("cannot commit");
		free(db);
	}
	memset(g, 0, sizeof *g);
	g->cli.prog = "segmenter";
	g->region = "CN";
	g->st = st;
	g->people = dbis[0];
	g->members = dbis[1];
	g->due = dbis[2];
	g->cols = dbis[3];
	g->texts = dbis[4];
	g->dict = dbis[5];
	g->defs = dbis[6];
	g->state = dbis[7];
	g->names.st = st;
	g->names.dbi = g->dict;
	g->names.ns = "atgc";
	g->d.st = st;
	g->d.members = g->members;
	g->d.defs = g->defs;
	g->d.names = &g->names;
	g->cs.st = st;
	g->cs.cols = g->cols;
	g->cs.texts = g->texts;
	g->segs_dir = dir;
	if (dict_load(&g->names) || colstore_texts_load(&g->cs))
		FZ_FAIL("cannot load the dictionaries");
	load_state(g);
	fz_write(path, data, size);
	if (load_defs(g) == 0)
		bind_defs(g);
	defs_free(g);
	store_discard(st);
	return 0;
}
