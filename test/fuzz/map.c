/*
 * map - lib/map, the native source maps, two ways; the first byte picks:
 *
 *   even  the rest is a map: compiled, and when it compiles, run on a few
 *         records (an object, a value that is not one, a CSV row); what it
 *         writes must be one JSON value that lib/json reads
 *   odd   the rest is a record: mapped by a shipped map ((byte / 2) % 4:
 *         web, miniprogram, pos, online_retail) and by the jq program it
 *         was written from (test/e2e/ingest/jq-reference): both must give
 *         the same text, both the same error, or both no event
 */
#include "buf.h"
#include "io.h"
#include "jqprog.h"
#include "json.h"
#include "map.h"

#include "fuzz.h"

static const char *const names[] = {"web", "miniprogram", "pos", "online_retail"};
#define NSRC 4

static struct map *maps[NSRC];
static struct map_ctx *ctxs[NSRC];
static struct jqprog *progs[NSRC];
static struct json_doc doc, out_doc;
static struct buf out, err, jout, jerr;

static void setup(void)
{
	unsigned k;

	for (k = 0; k < NSRC; k++) {
		char path[4096], e[200];
		struct buf text = BUF_INIT, msg = BUF_INIT;
		snprintf(path, sizeof path, "%s/pipelines/sources/%s.map.json", FUZZ_TOP, names[k]);
		if (io_slurp(path, &text, e, sizeof e))
			FZ_FAIL("%s: %s", path, e);
		maps[k] = map_compile(path, text.p, text.len, &msg);
		if (!maps[k])
			FZ_FAIL("%s", msg.p);
		ctxs[k] = map_ctx_new(maps[k]);
		buf_reset(&text);
		snprintf(path, sizeof path, "%s/test/e2e/ingest/jq-reference/%s.jq", FUZZ_TOP, names[k]);
		if (io_slurp(path, &text, e, sizeof e))
			FZ_FAIL("%s: %s", path, e);
		progs[k] = jqprog_compile(path, text.p, &msg);
		if (!progs[k])
			FZ_FAIL("%s", msg.p);
		buf_release(&text);
		buf_release(&msg);
	}
}

/* What a map wrote reads as one JSON value. */
static void check_out(int r)
{
	const char *why;
	size_t at;

	if (r == MAP_EVENT && json_parse(&out_doc, out.p, out.len, 10000, &why, &at))
		FZ_FAIL("the map wrote what does not parse (%s at %zu): %.*s", why, at,
			(int)(out.len > 200 ? 200 : out.len), out.p);
}

static void run_map(const uint8_t *data, size_t size)
{
	static const char *const recs[] = {
		"{\"a\":\"x\",\"b\":{\"c\":1.5,\"d\":[1,\"y\"]},\"n\":null,\"t\":true,\"q\":\"12\",\"e\":\"\"}",
		"[1,2]",
		"null",
		"\"s\"",
	};
	static char *hdr[] = {"a", "q", "e"};
	static const char row[] = "x\0" "12\0";
	static const struct csv_field f[3] = {{0, 1, 0}, {2, 2, 0}, {5, 0, 0}};
	struct buf msg = BUF_INIT;
	struct map *m = map_compile("fz", (const char *)data, size, &msg);
	struct map_ctx *c;
	const char *why;
	size_t at, k;

	buf_release(&msg);
	if (!m)
		return;
	map_bind_columns(m, hdr, 3);
	c = map_ctx_new(m);
	for (k = 0; k < sizeof recs / sizeof *recs; k++) {
		if (json_parse(&doc, recs[k], strlen(recs[k]), 64, &why, &at))
			FZ_FAIL("a fixed record does not parse");
		buf_reset(&out);
		buf_reset(&err);
		check_out(map_run_json(c, &doc, &out, &err));
	}
	buf_reset(&out);
	buf_reset(&err);
	check_out(map_run_csv(c, row, f, 3, &out, &err));
	map_ctx_free(c);
	map_free(m);
}

static void run_both(unsigned k, const uint8_t *data, size_t size)
{
	const char *why;
	size_t at;
	int r, rj;

	if (json_parse(&doc, (const char *)data, size, 64, &why, &at))
		return;
	buf_reset(&out);
	buf_reset(&err);
	buf_reset(&jout);
	buf_reset(&jerr);
	r = map_run_json(ctxs[k], &doc, &out, &err);
	check_out(r);
	rj = jqprog_run(progs[k], jqprog_from_json(&doc, 0), &jout, &jerr);
	if (rj > 0 && jout.len)
		jout.p[--jout.len] = 0;
	if (rj > 1)
		FZ_FAIL("%s.jq gave %d events", names[k], rj);
	if ((r < 0) != (rj < 0) || (r > 0) != (rj > 0))
		FZ_FAIL("%s: the map gave %d (%s%s), jq %d (%s%s)", names[k], r, out.p ? out.p : "",
			err.p ? err.p : "", rj, jout.p ? jout.p : "", jerr.p ? jerr.p : "");
	if (r > 0 && strcmp(out.p, jout.p))
		FZ_FAIL("%s: the map wrote %s, jq %s", names[k], out.p, jout.p);
	if (r < 0 && strcmp(err.p ? err.p : "", jerr.p ? jerr.p : ""))
		FZ_FAIL("%s: the map failed with '%s', jq with '%s'", names[k], err.p ? err.p : "",
			jerr.p ? jerr.p : "");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	if (!maps[0])
		setup();
	if (data[0] & 1)
		run_both((unsigned)(data[0] / 2) % NSRC, data + 1, size - 1);
	else
		run_map(data + 1, size - 1);
	return 0;
}
