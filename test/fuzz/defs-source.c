/*
 * defs-source - ingest(1)'s loaders of its settings and of a source on any
 * text: the first byte picks pipelines/ingest.json (load_ingest_conf) or
 * pipelines/sources/NAME.json (load_source, with the shipped maps and the
 * jq programs they were written from beside it, so "map":
 * "web.map.json" and "mapping": "web.jq" compile); the rest is the file. Then
 * what main frees.
 */
#define main ingest_main
#include "../../cmd/ingest.c"
#undef main

#include "fuzz.h"

static struct ingest G;
static char *pipelines, *conf_path, *source_path;

static void copy_file(const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	char e[200];

	if (io_slurp(from, &b, e, sizeof e))
		FZ_FAIL("%s: %s", from, e);
	fz_write(to, (const uint8_t *)(b.p ? b.p : ""), b.len);
	buf_release(&b);
}

static void setup(void)
{
	static const char *const maps[] = {"pipelines/sources/web.map.json",
					   "pipelines/sources/miniprogram.map.json",
					   "pipelines/sources/pos.map.json",
					   "pipelines/sources/online_retail.map.json",
					   "test/e2e/ingest/jq-reference/web.jq",
					   "test/e2e/ingest/jq-reference/miniprogram.jq",
					   "test/e2e/ingest/jq-reference/pos.jq",
					   "test/e2e/ingest/jq-reference/online_retail.jq"};
	char *sources, from[4096], to[4096];
	unsigned i;

	cli_prog = "ingest";
	name_cls_init();
	pipelines = fz_path("pipelines");
	sources = fz_path("pipelines/sources");
	if (mkdir(pipelines, 0700) || mkdir(sources, 0700))
		FZ_FAIL("cannot make %s", sources);
	for (i = 0; i < sizeof maps / sizeof *maps; i++) {
		snprintf(from, sizeof from, "%s/%s", FUZZ_TOP, maps[i]);
		snprintf(to, sizeof to, "%s/%s", sources, strrchr(maps[i], '/') + 1);
		copy_file(from, to);
	}
	conf_path = fz_path("pipelines/ingest.json");
	source_path = fz_path("pipelines/sources/fz.json");
	free(sources);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ingest *g = &G;
	size_t i;

	if (!size)
		return 0;
	if (!pipelines)
		setup();
	memset(g, 0, sizeof *g);
	g->pipelines = pipelines;
	g->max_line = 1 << 20;
	g->max_depth = 64;
	if (data[0] & 1) {
		fz_write(source_path, data + 1, size - 1);
		g->source_name = "fz";
		load_source(g);
	} else {
		fz_write(conf_path, data + 1, size - 1);
		load_ingest_conf(g);
		remove(conf_path);
	}
	jqprog_free(g->src.map);
	if (g->src.group)
		group_free(g->src.group);
	free(g->src.group);
	free(g->src.jq_name);
	free(g->src.jq_text);
	map_free(g->src.native);
	tz_free(g->src.zone);
	free(g->src.name);
	free(g->src.region);
	free(g->region);
	for (i = 0; i < g->nblocked; i++)
		free(g->blocked[i]);
	free(g->blocked);
	return 0;
}
