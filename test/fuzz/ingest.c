/*
 * ingest - the record path of ingest(1), as a run reads a file: the first
 * byte picks the source (canonical NDJSON, or a shipped source with its
 * native map: web, miniprogram, pos, online_retail) and whether its
 * records are mapped on one thread or, in batches, on two; the rest is
 * the file. Records go through the tool's own functions (filter_run, or
 * run_csv for a CSV source) to canon(), with its dedupe store in the
 * scratch directory and output and rejects to /dev/null; each input ends
 * with a commit. The store and the counts are kept across inputs and
 * started afresh every RESET inputs.
 *
 * Checked beside the sanitizers: every canonical line gets exactly one
 * outcome, and every mapped record at least one.
 */
#define main ingest_main
#include "../../cmd/ingest.c"
#undef main

#include "fuzz.h"

#define RESET 2000
#define MAX_LINE 2048 /* small, so that lines past it come up */

static const char *const names[] = {NULL, "web", "miniprogram", "pos", "online_retail"};
#define NSRC (sizeof names / sizeof *names)

static struct ingest G;
static struct source srcs[NSRC];
/* each source's mappers (two threads') and batches */
static struct {
	struct mapper *w;
	struct batch *pend, *fly, *spare;
	struct pool *pool;
	long threads;
} wk[NSRC];

static void wk_put(struct ingest *g, unsigned k)
{
	g->w = wk[k].w;
	g->pend = wk[k].pend;
	g->fly = wk[k].fly;
	g->spare = wk[k].spare;
	g->pool = wk[k].pool;
	g->threads = wk[k].threads;
}

static void wk_take(struct ingest *g, unsigned k)
{
	wk[k].w = g->w;
	wk[k].pend = g->pend;
	wk[k].fly = g->fly;
	wk[k].spare = g->spare;
	wk[k].pool = g->pool;
	wk[k].threads = g->threads;
}
static char *db, *in_ndjson, *in_csv;
static unsigned long inputs;
static int open_ok;

static void fz_open(void)
{
	struct ingest *g = &G;
	unsigned k;
	int code;

	if (!db) {
		db = fz_path("db");
		in_ndjson = fz_path("in.ndjson");
		in_csv = fz_path("in.csv");
		name_cls_init();
	}
	memset(g, 0, sizeof *g);
	cli_prog = g->cli.prog = "ingest";
	g->cli.db = db;
	g->cli.out = "/dev/null";
	g->cli.rejects = "/dev/null";
	g->batch = 16384;
	g->commit_ms = 0;
	g->window = 7LL * 86400 * 1000;
	g->max_line = 1 << 20;
	g->max_depth = 64;
	g->nosync = 1;
	g->pipelines = FUZZ_TOP "/pipelines";
	if (load_ingest_conf(g))
		FZ_FAIL("cannot load %s/ingest.json", g->pipelines);
	for (k = 0; k < NSRC; k++) {
		g->source_name = names[k];
		memset(&g->src, 0, sizeof g->src);
		if (load_source(g))
			FZ_FAIL("cannot load source %s", names[k]);
		srcs[k] = g->src;
		g->threads = 2;
		g->pend = g->fly = g->spare = NULL;
		g->pool = NULL;
		if (mappers_open(g))
			FZ_FAIL("cannot make mappers for %s", names[k]);
		wk_take(g, k);
	}
	g->source_name = NULL;
	g->max_line = MAX_LINE;
	g->st = store_open(db, "ingest", STORE_TRIM | STORE_NOSYNC, &code);
	if (!g->st || store_dbi(g->st, "ingest.seen", 0, &g->seen) || seen_last(g))
		FZ_FAIL("cannot open a store in %s", db);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = "uops-ingest";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.max_line = g->max_line;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.end_input = on_end_input;
	g->f.revoked = on_revoked;
	g->f.ctx = g;
	if (filter_open(&g->f))
		FZ_FAIL("cannot open the output");
	open_ok = 1;
}

/* What main frees at its end, and the store's files. */
static void fz_close(void)
{
	struct ingest *g = &G;
	unsigned k;

	filter_close(&g->f, g->f.fatal);
	store_close(g->st);
	outcome_close(&g->f.oc);
	tally_free(&g->dropped);
	free(g->types);
	for (k = 0; k < NSRC; k++) {
		wk_put(g, k);
		mappers_close(g);
		jqprog_free(srcs[k].map);
		if (srcs[k].group)
			group_free(srcs[k].group);
		free(srcs[k].group);
		free(srcs[k].jq_name);
		free(srcs[k].jq_text);
		map_free(srcs[k].native);
		tz_free(srcs[k].zone);
		free(srcs[k].name);
		free(srcs[k].region);
	}
	kgroups_free(g);
	free(g->region);
	for (size_t i = 0; i < g->nblocked; i++)
		free(g->blocked[i]);
	free(g->blocked);
	json_doc_release(&g->doc);
	free(g->lanes);
	free((char *)g->last_src_p);
	buf_release(&g->body);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->idv);
	buf_release(&g->mapped);
	buf_release(&g->err);
	buf_release(&g->key);
	buf_release(&g->drops);
	buf_release(&g->line_ev);
	buf_release(&g->order);
	fz_rm(db);
	open_ok = 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest *g = &G;
	const struct source *src;
	unsigned long long in, outs;
	struct batch *batch;
	int threads;

	if (!size)
		return 0;
	if (open_ok && (++inputs % RESET == 0 || g->f.fatal))
		fz_close();
	if (!open_ok)
		fz_open();
	src = &srcs[data[0] % NSRC];
	g->src = *src;
	wk_put(g, data[0] % NSRC);
	threads = data[0] / NSRC % 2 && g->threads == 2;
	in = g->f.oc.in;
	outs = g->f.oc.passed + g->f.oc.dups + g->f.oc.rejected + g->f.oc.skipped;
	batch = g->pend;
	if (!threads)
		g->pend = NULL;
	if (src->csv) {
		fz_write(in_csv, data + 1, size - 1);
		run_csv(g, in_csv);
	} else {
		fz_write(in_ndjson, data + 1, size - 1);
		if (threads)
			run_lines(g, in_ndjson);
		else
			filter_run(&g->f, in_ndjson);
	}
	wk_take(g, data[0] % NSRC);
	if (!threads)
		wk[data[0] % NSRC].pend = batch;
	if (!g->f.fatal && filter_commit(&g->f))
		FZ_FAIL("cannot commit");
	in = g->f.oc.in - in;
	outs = g->f.oc.passed + g->f.oc.dups + g->f.oc.rejected + g->f.oc.skipped - outs;
	if (src->map || src->native ? outs < in : outs != in)
		FZ_FAIL("%llu records in, %llu outcomes", in, outs);
	return 0;
}
