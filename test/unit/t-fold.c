/*
 * t-fold - the bookkeeping of merges across streams: a $merge that waits
 * sets its stream's later records aside and hands them back in their order
 * once its last $fold came; a $fold that comes before its $merge is kept
 * for it; one read twice is told; the streams are apart (one waits, the
 * next goes on); what is held is named (pending, quiet) and forgotten.
 * The driver, over a filter reading a file, with a toy stage whose state
 * is a count per person: the leaving copy writes the count as a $fold
 * and drops it, the survivor's copy holds its stream and the records
 * after it until the $fold came, then the count folds in, in the
 * $merge's place; an input that ends first applies the $merge without
 * what did not come; a $fold older than the dedupe window that no $merge
 * waits for is dropped, never kept.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "filter.h"
#include "fold.h"
#include "seen.h"
#include "store.h"
#include "sysrec.h"
#include "t.h"

static void ids(void)
{
	struct buf b = BUF_INIT;

	fold_id(&b, "merge:e3", 8, 42);
	T_EQ_STR(b.p, "fold:merge:e3:42");
	fold_id(&b, "m1", 2, 4294967295u);
	T_EQ_STR(b.p, "fold:m1:4294967295");
	buf_release(&b);
}

static void waits(void)
{
	struct fold_book fb = {0};
	struct buf r = BUF_INIT;
	const uint32_t need[2] = {7, 9};
	const char *m = "{\"type\":\"$merge\",\"event_id\":\"m1\"}";

	T_OK(fold_quiet(&fb, 3));
	T_OK(!fold_pending(&fb));
	T_EQ_INT(fold_wait(&fb, 3, m, strlen(m), "m1", 2, need, 2), 0);
	T_OK(fold_busy(&fb, 3));
	T_OK(!fold_busy(&fb, 4)); /* another stream goes on */
	T_OK(fold_pending(&fb));
	fold_set_aside(&fb, 3, "a", 1);
	fold_set_aside(&fb, 3, "bb", 2);
	T_EQ_INT(fold_next(&fb, 3, &r), 0); /* not while it waits */
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:9", 9, "{9}", 3), 0);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:9", 9, "{9}", 3), 3); /* read twice */
	/* another merge's fold, on this stream: kept for it */
	T_EQ_INT(fold_offer(&fb, 3, "fold:m2:5", 9, "{5}", 3), 2);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m2:5", 9, "{5}", 3), 2);
	T_EQ_INT(fold_offer(&fb, 3, "fold:m1:7", 9, "{7}", 3), 1);
	T_EQ_STR(fold_merge(&fb, 3)->p, m);
	T_EQ_STR(fold_got(&fb, 3, 0)->p, "{7}");
	T_EQ_STR(fold_got(&fb, 3, 1)->p, "{9}");
	T_OK(fold_got(&fb, 3, 2) == NULL);
	fold_done(&fb, 3);
	T_OK(!fold_busy(&fb, 3));
	T_OK(!fold_pending(&fb)); /* a kept fold does not keep a batch run */
	T_OK(!fold_quiet(&fb, 3));
	T_EQ_INT(fold_next(&fb, 3, &r), 1);
	T_OK(r.len == 1 && !memcmp(r.p, "a", 1));
	/* a record set aside may wait again: the one it came with */
	{
		const uint32_t five = 5;
		T_EQ_INT(fold_wait(&fb, 3, "{m2}", 4, "m2", 2, &five, 1), 1);
		T_EQ_STR(fold_got(&fb, 3, 0)->p, "{5}");
		fold_done(&fb, 3);
	}
	T_EQ_INT(fold_next(&fb, 3, &r), 1);
	T_OK(r.len == 2 && !memcmp(r.p, "bb", 2));
	T_EQ_INT(fold_next(&fb, 3, &r), 0);
	T_OK(fold_quiet(&fb, 3));
	T_EQ_INT(fb.waits, 2);
	T_EQ_INT(fb.early, 1);
	T_EQ_INT(fb.aside, 2);
	buf_release(&r);
	fold_free(&fb);
}

static void streams_and_clear(void)
{
	struct fold_book fb = {0};
	const uint32_t one = 1;
	uint32_t *v;
	unsigned n;

	T_EQ_INT(fold_wait(&fb, 2, "x", 1, "m", 1, &one, 1), 0);
	T_EQ_INT(fold_offer(&fb, 0, "fold:z:1", 8, "{}", 2), 2);
	n = fold_streams(&fb, &v);
	T_EQ_INT(n, 2);
	T_EQ_INT(v[0], 0);
	T_EQ_INT(v[1], 2);
	free(v);
	/* a fold of another stream is not this one's */
	T_EQ_INT(fold_offer(&fb, 5, "fold:m:1", 8, "{}", 2), 2);
	T_OK(fold_busy(&fb, 2));
	fold_clear_stream(&fb, 2);
	T_OK(!fold_busy(&fb, 2));
	T_OK(!fold_quiet(&fb, 5));
	fold_clear(&fb);
	T_OK(fold_quiet(&fb, 0) && fold_quiet(&fb, 5));
	T_EQ_INT(fb.ne, 0);
	fold_free(&fb);
}

/* The toy stage: a count of events per oneid (1..9), and a log of what
 * the driver asked of it. */
struct toy {
	struct filter f;
	struct seen seen;
	struct fold_driver fd;
	struct json_doc doc;
	uint32_t stream;
	int64_t clock;
	long count[10];
	uint32_t survivor;
	struct buf log;
};

static void toy_process(struct toy *t, const char *p, size_t n);

static void toy_stream(void *ctx, uint32_t st)
{
	((struct toy *)ctx)->stream = st;
}

static int toy_leave(void *ctx, uint32_t lv, const struct json_doc *d, uint32_t t_id, struct buf *out)
{
	struct toy *t = ctx;
	char num[32];

	(void)d;
	(void)t_id;
	if (!t->count[lv]) {
		buf_adds(out, "null");
	} else {
		snprintf(num, sizeof num, "{\"n\":%ld}", t->count[lv]);
		buf_adds(out, num);
	}
	t->count[lv] = 0;
	snprintf(num, sizeof num, "leave %u;", lv);
	buf_adds(&t->log, num);
	return 0;
}

static int toy_begin(void *ctx, const struct json_doc *d, uint32_t survivor, uint32_t t_id)
{
	struct toy *t = ctx;
	char num[32];

	(void)d;
	(void)t_id;
	t->survivor = survivor;
	snprintf(num, sizeof num, "begin %u;", survivor);
	buf_adds(&t->log, num);
	return 0;
}

static int toy_take(void *ctx, uint32_t mid, const struct json_doc *fd, uint32_t st)
{
	struct toy *t = ctx;
	uint32_t k = json_get(fd, st, "n", 1);
	char num[32];

	t->count[t->survivor] += strtol(fd->s + fd->t[k].off, NULL, 10);
	snprintf(num, sizeof num, "take %u;", mid);
	buf_adds(&t->log, num);
	return 0;
}

static void toy_end(void *ctx, const struct json_doc *d, uint32_t t_id, int any)
{
	struct toy *t = ctx;

	(void)d;
	(void)t_id;
	buf_adds(&t->log, any ? "end any;" : "end none;");
}

static void toy_set_aside(void *ctx, const char *p, size_t n)
{
	toy_process(ctx, p, n);
}

static const struct fold_ops toy_ops = {
	toy_stream, toy_leave, toy_begin, toy_take, toy_end, toy_set_aside,
};

static void toy_process(struct toy *t, const char *p, size_t n)
{
	struct json_doc *d = &t->doc;
	const char *why;
	size_t at;
	uint32_t ty, oneid;
	int64_t ts;
	char num[32];

	t->stream = t->f.stream;
	T_OK(json_parse(d, p, n, 64, &why, &at) == 0);
	ty = json_get(d, 0, "type", 4);
	if (json_str_eq(d, ty, "$fold", 5)) {
		fold_driver_fold(&t->fd, d, p, n);
		return;
	}
	json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
	clock_parse_tok(d, json_get(d, 0, "ts", 2), &ts);
	if (ts > t->clock)
		t->clock = ts;
	if (json_str_eq(d, ty, "$merge", 6)) {
		T_OK(sysrec_check(d, 0, "$merge") == NULL);
		T_OK(fold_driver_merge(&t->fd, d, p, n, oneid, ts) == 1);
		return;
	}
	t->count[oneid]++;
	t->f.oc.passed++;
	snprintf(num, sizeof num, "event %u;", oneid);
	buf_adds(&t->log, num);
	filter_emit(&t->f, NULL, 0, p, n);
}

static void toy_record(void *ctx, const char *p, size_t n)
{
	struct toy *t = ctx;

	if (!fold_driver_aside(&t->fd, t->f.stream, p, n))
		toy_process(t, p, n);
}

static void toy_input_end(void *ctx)
{
	fold_driver_end(&((struct toy *)ctx)->fd);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

#define EV(id, who) "{\"type\":\"e\",\"event_id\":\"" id "\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"oneid\":" who "}\n"
#define MERGE "\"type\":\"$merge\",\"ts\":\"2026-01-01T00:00:00.000Z\",\"oneid\":1,\"merged\":[1,5],\"by\":\"c\""

/* Run the toy stage over input (one stream: a file); its log, the
 * output, and the $fold the leaving copy wrote. */
static unsigned long long toy_stale;

static void toy_run(const char *dir, const char *input, const char *log, const char *output, long c1,
		    const char *fold)
{
	struct toy t;
	struct cli cli;
	struct store *st;
	char in[512], out[512];
	FILE *fp;
	int code;
	size_t n;
	static char got[4096];

	memset(&t, 0, sizeof t);
	memset(&cli, 0, sizeof cli);
	snprintf(in, sizeof in, "%s/in.ndjson", dir);
	snprintf(out, sizeof out, "%s/out.ndjson", dir);
	fp = fopen(in, "w");
	T_OK(fp != NULL);
	fputs(input, fp);
	fclose(fp);
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	cli.out = out;
	t.f.st = st;
	t.f.cli = &cli;
	t.f.batch = 1000;
	t.f.record = toy_record;
	t.f.end_input = toy_input_end;
	t.f.ctx = &t;
	t.fd.ops = &toy_ops;
	t.fd.ctx = &t;
	t.fd.f = &t.f;
	t.seen.days = 2;
	T_EQ_INT(seen_open(&t.seen, st, "t.seen"), 0);
	t.fd.seen = &t.seen;
	t.fd.stream = &t.stream;
	t.fd.clock = &t.clock;
	T_EQ_INT(filter_open(&t.f), 0);
	T_EQ_INT(filter_run(&t.f, in), 0);
	T_EQ_INT(filter_close(&t.f, 0), 0);
	buf_addc(&t.log, 0);
	T_EQ_STR(t.log.p, log);
	T_EQ_INT(t.count[1], c1);
	T_EQ_INT(t.count[5], 0);
	if (fold) {
		buf_addc(&t.fd.out, 0);
		T_EQ_STR(t.fd.out.p, fold);
	}
	fp = fopen(out, "r");
	T_OK(fp != NULL);
	n = fread(got, 1, sizeof got - 1, fp);
	got[n] = 0;
	fclose(fp);
	T_EQ_STR(got, output);
	toy_stale = t.fd.stale;
	T_OK(fold_quiet(&t.fd.fb, 0));
	fold_driver_free(&t.fd);
	seen_free(&t.seen);
	json_doc_release(&t.doc);
	buf_release(&t.log);
	store_close(st);
	/* the next run starts from an empty store */
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	T_OK(mkdir(dir, 0700) == 0);
}

static void driver(void)
{
	char dir[] = "/tmp/t-fold.XXXXXX";
	const char *lv = "{" MERGE ",\"event_id\":\"merge:e1:5\",\"leaving\":5}\n";
	const char *ac = "{" MERGE ",\"event_id\":\"merge:e1\",\"across\":true}\n";
	const char *fold = "{\"type\":\"$fold\",\"event_id\":\"fold:merge:e1:5\",\"ts\":\"2026-01-01T00:00:00.000Z\","
			   "\"oneid\":1,\"merged\":5,\"state\":{\"n\":2}}";
	struct buf in = BUF_INIT, want = BUF_INIT;

	T_OK(mkdtemp(dir) != NULL);
	/* the $fold after the survivor's copy: the event behind it waits */
	buf_adds(&in, EV("a", "5") EV("b", "5") EV("c", "1"));
	buf_adds(&in, lv);
	buf_adds(&in, ac);
	buf_adds(&in, EV("d", "1"));
	buf_add(&in, fold, strlen(fold));
	buf_adds(&in, "\n" EV("e", "1"));
	buf_addc(&in, 0);
	buf_adds(&want, EV("a", "5") EV("b", "5") EV("c", "1"));
	buf_adds(&want, lv);
	buf_adds(&want, ac);
	buf_adds(&want, EV("d", "1") EV("e", "1"));
	buf_addc(&want, 0);
	toy_run(dir, in.p, "event 5;event 5;event 1;leave 5;begin 1;take 5;end any;event 1;event 1;", want.p,
		5, fold);
	/* the $fold first (it came early): the $merge goes on at once */
	buf_reset(&in);
	buf_adds(&in, EV("a", "5") EV("b", "5") EV("c", "1"));
	buf_adds(&in, lv);
	buf_add(&in, fold, strlen(fold));
	buf_adds(&in, "\n");
	buf_adds(&in, ac);
	buf_adds(&in, EV("d", "1"));
	buf_addc(&in, 0);
	buf_reset(&want);
	buf_adds(&want, EV("a", "5") EV("b", "5") EV("c", "1"));
	buf_adds(&want, lv);
	buf_adds(&want, ac);
	buf_adds(&want, EV("d", "1"));
	buf_addc(&want, 0);
	toy_run(dir, in.p, "event 5;event 5;event 1;leave 5;begin 1;take 5;end any;event 1;", want.p, 4, NULL);
	/* no $fold before the input ends: applied without it, then what
	 * waited behind it (an error says so on stderr) */
	buf_reset(&in);
	buf_adds(&in, EV("c", "1"));
	buf_adds(&in, ac);
	buf_adds(&in, EV("d", "1"));
	buf_addc(&in, 0);
	toy_run(dir, in.p, "event 1;begin 1;end none;event 1;", in.p, 2, NULL);
	/* a $fold older than the dedupe window (2 days before the stream's
	 * clock) with no $merge waiting: applied already, dropped, not kept */
	buf_reset(&in);
	buf_adds(&in, "{\"type\":\"e\",\"event_id\":\"f\",\"ts\":\"2026-01-09T00:00:00.000Z\",\"oneid\":1}\n");
	buf_add(&in, fold, strlen(fold));
	buf_adds(&in, "\n");
	buf_addc(&in, 0);
	toy_run(dir, in.p, "event 1;", "{\"type\":\"e\",\"event_id\":\"f\",\"ts\":\"2026-01-09T00:00:00.000Z\",\"oneid\":1}\n", 1,
		NULL);
	T_EQ_INT(toy_stale, 1);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	buf_release(&in);
	buf_release(&want);
}

int main(void)
{
	ids();
	waits();
	streams_and_clear();
	driver();
	return t_done("fold");
}
