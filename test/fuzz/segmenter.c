/*
 * segmenter - segmenter(1)'s stream, as a run reads a file: the input is
 * the file (events with a oneid, $tag, $merge, $tick and other system
 * records, anything else), read through filter_run into the tool's own
 * record function with the shipped segment definitions, a store in the
 * scratch directory, output and rejects to /dev/null and a commit at the
 * end of each input. Audiences are kept across inputs and started afresh
 * every RESET inputs.
 *
 * Checked beside the sanitizers: every line gets exactly one outcome.
 */
#define main segmenter_main
#include "../../cmd/segmenter.c"
#undef main

#include "fuzz.h"

#define RESET 2000
#define MAX_LINE 2048 /* small, so that lines past it come up */

static struct seg G;
static char *db, *in_path;
static unsigned long inputs;
static int open_ok;

static void fz_open(void)
{
	struct seg *g = &G;
	int code;

	if (!db) {
		db = fz_path("db");
		in_path = fz_path("in.ndjson");
		setenv("UOPS_CACHE_MB", "64", 0);
	}
	memset(g, 0, sizeof *g);
	cli_prog = g->cli.prog = "segmenter";
	g->cli.db = db;
	g->cli.out = "/dev/null";
	g->cli.rejects = "/dev/null";
	g->batch = 262144;
	g->seen.days = 2;
	g->commit_ms = 0;
	g->region = "CN";
	g->nosync = 1;
	g->pipelines = FUZZ_TOP "/pipelines";
	/* as main does for a stream */
	g->st = store_open(db, "segmenter", STORE_NOSYNC, &code);
	if (!g->st || store_dbi(g->st, "segmenter.people", 0, &g->people) ||
	    store_dbi(g->st, "segmenter.members", 0, &g->members) ||
	    store_dbi(g->st, "segmenter.due", 0, &g->due) || store_dbi(g->st, "segmenter.cols", 0, &g->cols) ||
	    store_dbi(g->st, "segmenter.texts", 0, &g->texts) ||
	    store_dbi(g->st, "segmenter.dict", 0, &g->dict) || store_dbi(g->st, "segmenter.defs", 0, &g->defs) ||
	    store_dbi(g->st, "segmenter.state", 0, &g->state) || seen_open(&g->seen, g->st, "segmenter.seen"))
		FZ_FAIL("cannot open a store in %s", db);
	g->names.st = g->st;
	g->seen.st = g->st;
	g->names.dbi = g->dict;
	g->names.ns = "atgc";
	g->d.st = g->st;
	g->d.members = g->members;
	g->d.defs = g->defs;
	g->d.names = &g->names;
	g->cs.st = g->st;
	g->cs.cols = g->cols;
	g->cs.texts = g->texts;
	g->sd.st = g->st;
	g->sd.dbi = g->due;
	store_cache(g->st, g->people);
	if (store_journal(g->st, g->people, "segmenter.journal") || dict_load(&g->names) ||
	    colstore_texts_load(&g->cs))
		FZ_FAIL("cannot open the journal or the dictionaries");
	load_state(g);
	if (segdue_load(&g->sd, 0))
		FZ_FAIL("cannot read segmenter.due");
	if (load_defs(g))
		FZ_FAIL("cannot load the definitions in %s", g->pipelines);
	bind_defs(g);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = "uops-segmenter";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.max_line = MAX_LINE;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.ctx = g;
	/* as run_filter does */
	if (filter_open(&g->f))
		FZ_FAIL("cannot open the output");
	if (g->clock == INT64_MIN)
		adopt(g);
	g->mrow_on = 1;
	open_ok = 1;
}

/* What run_filter and main do at the end, and the store's files. */
static void fz_close(void)
{
	struct seg *g = &G;

	filter_close(&g->f, g->f.fatal);
	g->mrow_on = 0;
	mrow_drop(g);
	seen_free(&g->seen);
	store_close(g->st);
	outcome_close(&g->f.oc);
	defs_free(g);
	free((char *)g->segs_dir);
	profile_release(&g->p);
	profile_release(&g->q);
	json_doc_release(&g->doc);
	buf_release(&g->rec);
	segdue_free(&g->sd);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->cause);
	fz_rm(db);
	open_ok = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seg *g = &G;
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
