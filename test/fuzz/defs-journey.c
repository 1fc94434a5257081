/*
 * defs-journey - journey definitions (pipelines/journeys/NAME.json) on any
 * text: lib/journey's compiler, then, when it compiles, the interpreter:
 * an entry and the wake-ups and awaited events that follow, with every
 * condition answered by a coin from the input's hash. A refused file must
 * say why; an activation must end (no loop without a wait), and an
 * instance must come back from its encoding. Definitions with a "jq"
 * condition are left out (see fuzz.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "journey.h"

#include "fuzz.h"

static char *path;
static uint64_t coin;
static unsigned records;

static uint32_t sc_trait(void *ctx, const char *name)
{
	(void)ctx;
	return (uint32_t)strlen(name);
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "lifecycle") || !strcmp(name, "next_purchase_date"))
		return 0;
	*why = "no such tag";
	return -1;
}

static int sc_segment(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "winback"))
		return 0;
	*why = "no such segment";
	return -1;
}

static int eval(void *ctx, const struct journey *j, const struct jinst *in, const struct cond *c, const char *what)
{
	(void)ctx;
	(void)j;
	(void)in;
	(void)c;
	(void)what;
	coin = coin * 6364136223846793005ull + 1442695040888963407ull;
	return (int)(coin >> 63);
}

static void record(void *ctx, const struct jrec *r)
{
	(void)ctx;
	(void)r;
	records++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct journeys js = {0};
	struct agg_set aggs = {0};
	struct cond_scope sc;
	struct conf c;
	unsigned round;

	if (fz_has_key((const char *)data, size, "jq"))
		return 0;
	if (!path) {
		cli_prog = "scheduler";
		path = fz_path("journey.json");
	}
	fz_write(path, data, size);
	memset(&sc, 0, sizeof sc);
	sc.aggs = &aggs;
	sc.trait = sc_trait;
	sc.tag = sc_tag;
	sc.segment = sc_segment;
	if (conf_load(&c, path) || journey_compile(&js, &c, &sc)) {
		if (!c.err.len)
			FZ_FAIL("a definition refused without a reason");
	} else {
		struct journey *j = &js.v[0];
		struct jinst in, back;
		struct jctx cx;
		struct buf enc = BUF_INIT;
		int moved;
		coin = hash64(data, size, 1);
		memset(&cx, 0, sizeof cx);
		cx.eval = eval;
		cx.record = record;
		cx.oneid = (uint32_t)coin | 1;
		cx.now = 1772359200000LL;
		jinst_init(&in);
		jinst_init(&back);
		records = 0;
		journey_enter(j, &in, &cx);
		for (round = 0; round < 16 && jinst_open(&in); round++) {
			if (round & 1 && in.state == JI_WAIT_EVENT) {
				const char *type = j->steps[journey_step_index(j, in.step.p, in.step.len)].event;
				journey_event(j, &in, &cx, type, strlen(type), &moved);
			} else {
				cx.now = in.wake;
				journey_wake(j, &in, &cx);
			}
			if (records > 64 * (round + 2) * (j->nsteps + 4))
				FZ_FAIL("an activation did not end");
		}
		buf_reset(&enc);
		jinst_encode(&in, &enc);
		if (jinst_decode(&back, (const unsigned char *)enc.p, enc.len) != enc.len || back.state != in.state ||
		    back.wake != in.wake)
			FZ_FAIL("an instance does not come back from its encoding");
		jinst_release(&in);
		jinst_release(&back);
		buf_release(&enc);
	}
	conf_release(&c);
	journeys_release(&js);
	agg_set_release(&aggs);
	return 0;
}
