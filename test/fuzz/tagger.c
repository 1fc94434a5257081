/*
 * tagger - tagger(1)'s stream, as a run reads a file: the input is the
 * file (events with a oneid, $merge, $tick and other system records,
 * anything else), read through filter_run into the tool's own record
 * function with the shipped tag definitions, a store in the scratch
 * directory, output and rejects to /dev/null and a commit at the end of
 * each input. Profiles are kept across inputs and started afresh every
 * RESET inputs.
 *
 * Checked beside the sanitizers: every line gets exactly one outcome.
 */
#define main tagger_main
#include "../../cmd/tagger.c"
#undef main

#include "fuzz.h"

#define RESET 2000
#define MAX_LINE 2048 /* small, so that lines past it come up */

static struct tagger G;
static char *db, *in_path;
static unsigned long inputs;
static int open_ok;

static void fz_open(void)
{
	struct tagger *g = &G;
	int code;

	if (!db) {
		db = fz_path("db");
		in_path = fz_path("in.ndjson");
		setenv("UOPS_CACHE_MB", "64", 0);
	}
	memset(g, 0, sizeof *g);
	cli_prog = g->cli.prog = "tagger";
	g->cli.db = db;
	g->cli.out = "/dev/null";
	g->cli.rejects = "/dev/null";
	g->batch = 262144;
	g->seen.days = 2;
	g->commit_ms = 0;
	g->nosync = 1;
	g->pipelines = FUZZ_TOP "/pipelines";
	/* as main does for a stream */
	g->st = store_open(db, "tagger", STORE_NOSYNC, &code);
	if (!g->st || store_dbi(g->st, "tagger.profiles", 0, &g->profiles) ||
	    store_dbi(g->st, "tagger.dict", 0, &g->dict) || store_dbi(g->st, "tagger.facts", 0, &g->facts) ||
	    store_dbi(g->st, "tagger.state", 0, &g->state) || seen_open(&g->seen, g->st, "tagger.seen"))
		FZ_FAIL("cannot open a store in %s", db);
	g->names.st = g->st;
	g->seen.st = g->st;
	g->names.dbi = g->dict;
	g->names.ns = "atg";
	g->d.st = g->st;
	g->d.facts = g->facts;
	g->d.names = &g->names;
	store_cache(g->st, g->profiles);
	if (store_journal(g->st, g->profiles, "tagger.journal") || dict_load(&g->names))
		FZ_FAIL("cannot open the journal or the dictionary");
	load_state(g);
	if (load_defs(g) || bind_defs(g))
		FZ_FAIL("cannot load the definitions in %s", g->pipelines);
	check_defs(g);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = "uops-tagger";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.max_line = MAX_LINE;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.ctx = g;
	if (filter_open(&g->f))
		FZ_FAIL("cannot open the output");
	open_ok = 1;
}

/* What run_filter and main do at the end, and the store's files. */
static void fz_close(void)
{
	struct tagger *g = &G;

	filter_close(&g->f, g->f.fatal);
	seen_free(&g->seen);
	store_close(g->st);
	outcome_close(&g->f.oc);
	defs_free(g);
	free((char *)g->tags_dir);
	profile_release(&g->p);
	profile_release(&g->q);
	json_doc_release(&g->doc);
	buf_release(&g->rec);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->val);
	buf_release(&g->cause);
	buf_release(&g->idpfx);
	fz_rm(db);
	open_ok = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tagger *g = &G;
	unsigned long long in, outs;

	if (open_ok && (++inputs % RESET == 0 || g->f.fatal))
		fz_close();
	if (!open_ok)
		fz_open();
	in = g->f.oc.in;
	outs = g->f.oc.passed + g->f.oc.dups + g->f.oc.rejected + g->f.oc.skipped;
	fz_write(in_path, data, size);
	filter_run(&g->f, in_path);
	if (!g->f.fatal && filter_commit(&g->f))
		FZ_FAIL("cannot commit");
	in = g->f.oc.in - in;
	outs = g->f.oc.passed + g->f.oc.dups + g->f.oc.rejected + g->f.oc.skipped - outs;
	if (outs != in)
		FZ_FAIL("%llu records in, %llu outcomes", in, outs);
	return 0;
}
