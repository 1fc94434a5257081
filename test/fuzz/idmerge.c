/*
 * idmerge - idmerge(1)'s stream, as a run reads a file: the input is the
 * file (canonical events, system records such as $merge, $tag and $tick,
 * anything else), read through filter_run into the tool's own record
 * function with the shipped identity rules, a store in the scratch
 * directory, output and rejects to /dev/null and a commit at the end of
 * each input. The graph is kept across inputs and started afresh every
 * RESET inputs.
 *
 * Checked beside the sanitizers: every line gets exactly one outcome.
 */
#define main idmerge_main
#include "../../cmd/idmerge.c"
#undef main

#include "fuzz.h"

#define RESET 2000
#define MAX_LINE 2048 /* small, so that lines past it come up */

static struct idm G;
static char *db, *in_path;
static unsigned long inputs;
static int open_ok;

static void fz_open(void)
{
	struct idm *g = &G;
	int code;

	if (!db) {
		db = fz_path("db");
		in_path = fz_path("in.ndjson");
	}
	memset(g, 0, sizeof *g);
	cli_prog = g->cli.prog = "idmerge";
	g->cli.db = db;
	g->cli.out = "/dev/null";
	g->cli.rejects = "/dev/null";
	g->batch = 262144;
	g->commit_ms = 0;
	g->idj_from = IDJ_FROM;
	g->nosync = 1;
	g->pipelines = FUZZ_TOP "/pipelines";
	if (load_rules(g))
		FZ_FAIL("cannot load %s/identity.json", g->pipelines);
	/* as main does for a stream */
	g->st = store_open(db, "idmerge", STORE_NOSYNC, &code);
	if (!g->st)
		FZ_FAIL("cannot open a store in %s", db);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = "uops-idmerge";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.max_line = MAX_LINE;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.ctx = g;
	if (store_dbi(g->st, "idmerge.ids", 0, &g->ids) ||
	    store_dbi(g->st, "idmerge.people", 0, &g->people) ||
	    store_dbi(g->st, "idmerge.log", 0, &g->logdb) ||
	    store_dbi(g->st, "idmerge.refusals", 0, &g->refusals) ||
	    store_dbi(g->st, "idmerge.blocked", 0, &g->blocked) ||
	    store_dbi(g->st, "idmerge.state", 0, &g->state) ||
	    store_dbi(g->st, "idmerge.idjournal", 0, &g->idj) || load_counters(g) ||
	    load_opblocked(g))
		FZ_FAIL("cannot open the DBs");
	store_cache(g->st, g->people);
	if (store_journal(g->st, g->people, "idmerge.journal") || idj_load(g) || idj_fold(g))
		FZ_FAIL("cannot open the journals");
	/* as run_filter does */
	if (filter_open(&g->f))
		FZ_FAIL("cannot open the output");
	g->ic_scan = 1;
	g->idj_on = 1;
	open_ok = 1;
}

/* What run_filter and main do at the end, and the store's files. */
static void fz_close(void)
{
	struct idm *g = &G;
	size_t i;
	int rc = filter_close(&g->f, g->f.fatal);

	if ((!rc || rc == EXIT_REJECTS) && g->nmid)
		idj_fold(g);
	if (g->ph) {
		g->fresh = 1;
		free(g->ph);
	}
	slots_free(g);
	store_close(g->st);
	xfree_huge(g->ic, g->ic_size * sizeof *g->ic);
	free(g->dirty);
	for (i = 0; i < g->npslab; i++)
		xfree_huge(g->pslab[i], ((size_t)1 << PSLAB_BITS) * person_size(g));
	free(g->pslab);
	xfree_huge(g->mid, g->capmid * sizeof *g->mid);
	xfree_huge(g->midslots, g->nmidslots * sizeof *g->midslots);
	hbytes_free(&g->midkeys);
	outcome_close(&g->f.oc);
	for (i = 0; i < g->r.nt; i++)
		free(g->r.t[i].name);
	for (i = 0; i < g->r.nblocked; i++)
		free(g->r.blocked[i]);
	free(g->r.blocked);
	for (i = 0; i < g->r.npatterns; i++)
		free(g->r.patterns[i]);
	free(g->r.patterns);
	for (i = 0; i < g->nopblocked; i++)
		free(g->opblocked[i]);
	free(g->opblocked);
	json_doc_release(&g->doc);
	free(g->region);
	tally_free(&g->refusal_rules);
	buf_release(&g->line);
	buf_release(&g->keys);
	buf_release(&g->jrec);
	buf_release(&g->tmp);
	buf_release(&g->rec);
	buf_release(&g->mergebuf);
	fz_rm(db);
	open_ok = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct idm *g = &G;
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
