/*
 * t-jexplain - what `scheduler explain` prints: a person's decision lines
 * as written, followed from the block their record names (or searched
 * for when they have no record), all or one journey's; a damaged record
 * is an error; then where each instance stands (waiting with its
 * wake-up, exited with the reason and correlation value, an armed date
 * watch), instances of unknown journeys and unarmed watches left out.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "jexplain.h"
#include "store.h"
#include "t.h"
#include "tjourney.h"

static char dir[] = "/tmp/uops-t-jexplain-XXXXXX";
static struct agg_set aggs;
static char *text;
static size_t ntext;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void compile(struct journeys *js, const char *name, const char *text)
{
	tj_compile(js, dir, &aggs, name, text);
}

static FILE *open_text(void)
{
	free(text);
	text = NULL;
	return open_memstream(&text, &ntext);
}

static const char *line_a = "{\"ts\":\"2026-09-21T14:13:20.000Z\",\"journey\":\"a\",\"condition\":\"goal\",\"is\":false}";
static const char *line_b = "{\"ts\":\"2026-09-21T14:13:20.000Z\",\"journey\":\"b\",\"condition\":\"goal\",\"is\":true}";

/* An entry of oneid's decisions (a and b's lines) in the open block of
 * stream 0; returns the block's number. */
static uint32_t entry(struct jlog *jl, uint32_t oneid)
{
	struct jlog_tail *t = jlog_tail(jl, 0);
	struct jlog_entry e;
	struct buf lines = BUF_INIT;

	T_OK(t != NULL);
	if (!t)
		return 0;
	jlog_line(&lines, line_a, strlen(line_a));
	jlog_line(&lines, line_b, strlen(line_b));
	memset(&e, 0, sizeof e);
	e.oneid = oneid;
	jlog_add(jl, t, &e, lines.p, lines.len);
	buf_release(&lines);
	return t->blk;
}

int main(void)
{
	struct journeys js = {0};
	struct profile_layout L;
	struct jperson P, R;
	struct profile p;
	struct jlog jl;
	struct jlog_dbs dbs;
	struct jinst *in;
	struct store *st;
	struct buf b = BUF_INIT;
	MDB_dbi people, dlog;
	unsigned char key[4];
	uint32_t blk;
	int code;
	FILE *f;
	char want[2048];

	T_OK(mkdtemp(dir) != NULL);
	compile(&js, "a", "{\"name\":\"a\",\"trigger\":{\"event\":\"sign_up\"},\"steps\":[{\"id\":\"hold\",\"wait\":\"1d\"}]}");
	compile(&js, "b", "{\"name\":\"b\",\"trigger\":{\"event\":\"view\"},\"steps\":[{\"id\":\"w\",\"wait\":\"2h\"}]}");
	T_EQ_INT(js.n, 2);
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st || js.n != 2)
		return t_done("jexplain");
	T_OK(store_dbi(st, "t.people", 0, &people) == 0);
	T_OK(store_dbi(st, "t.dlog", 0, &dlog) == 0);
	memset(&L, 0, sizeof L);
	profile_layout_index(&L);
	memset(&dbs, 0, sizeof dbs);
	dbs.dlog = dlog;
	dbs.no_decisions = dbs.no_log = 1;

	/* person 5: a record naming the block of their decisions, with an
	 * instance of each journey, one of no journey known, two watches */
	jlog_init(&jl, st, dlog);
	blk = entry(&jl, 5);
	entry(&jl, 9); /* person 9: merged away, no record */
	jlog_save(&jl);
	memset(&P, 0, sizeof P);
	memset(&p, 0, sizeof p);
	profile_reset(&p, &L, 5);
	P.oneid = 5;
	P.lstream = 0;
	P.lblk = blk + 1;
	P.nlog = 2;
	in = jperson_inst_add(&P);
	in->journey = js.v[0].id;
	in->state = JI_WAIT;
	in->entries = 2;
	in->wake = 1790000000000LL;
	buf_adds(&in->step, "hold");
	buf_adds(&in->arm, "x");
	in = jperson_inst_add(&P);
	in->journey = js.v[1].id;
	in->state = JI_DONE;
	in->entries = 1;
	in->wake = INT64_MIN;
	buf_adds(&in->step, "w");
	buf_adds(&in->reason, "goal");
	buf_adds(&in->corrv, "\"sku-1\"");
	in = jperson_inst_add(&P);
	in->journey = 999; /* no such journey */
	in->state = JI_WAIT;
	in->wake = 1790000000000LL;
	in = jperson_inst_add(&P);
	in->journey = js.v[0].id;
	in->corr = JOURNEY_WATCH;
	in->state = JI_ARMED;
	in->wake = 1790000000001LL;
	in = jperson_inst_add(&P);
	in->journey = js.v[1].id;
	in->corr = JOURNEY_WATCH;
	in->state = JI_DONE; /* a watch not armed */
	in->wake = INT64_MIN;
	jperson_encode(&P, &p, &L, &b);
	store_be32(key, 5);
	store_put(st, people, key, 4, b.p, b.len);
	store_be32(key, 11);
	store_put(st, people, key, 4, "\x03", 1); /* damaged */
	T_EQ_INT(store_commit(st), 0);

	/* the decisions: all, one journey's, of a person without a record */
	f = open_text();
	T_EQ_INT(jexplain_decisions(f, st, people, &dbs, 5, NULL), 1);
	fclose(f);
	snprintf(want, sizeof want, "%s\n%s\n", line_a, line_b);
	T_EQ_STR(text, want);
	f = open_text();
	T_EQ_INT(jexplain_decisions(f, st, people, &dbs, 5, &js.v[1]), 1);
	fclose(f);
	snprintf(want, sizeof want, "%s\n", line_b);
	T_EQ_STR(text, want);
	f = open_text();
	T_EQ_INT(jexplain_decisions(f, st, people, &dbs, 9, &js.v[0]), 1);
	fclose(f);
	snprintf(want, sizeof want, "%s\n", line_a);
	T_EQ_STR(text, want);
	f = open_text();
	T_EQ_INT(jexplain_decisions(f, st, people, &dbs, 12, NULL), 0); /* nobody */
	fclose(f);
	T_EQ_STR(text, "");
	f = open_text();
	T_EQ_INT(jexplain_decisions(f, st, people, &dbs, 11, NULL), -1);
	fclose(f);
	T_EQ_STR(text, "");
	store_read_end(st);

	/* where each instance stands */
	memset(&R, 0, sizeof R);
	f = open_text();
	jexplain_now(f, st, people, 5, &js, NULL, &L, &R, &p);
	fclose(f);
	T_EQ_STR(text, "{\"now\":true,\"journey\":\"a\",\"state\":\"waiting\",\"step\":\"hold\",\"arm\":\"x\",\"entries\":2,"
		       "\"wake\":\"2026-09-21T14:13:20.000Z\"}\n"
		       "{\"now\":true,\"journey\":\"b\",\"state\":\"exited\",\"step\":\"w\",\"arm\":null,\"entries\":1,"
		       "\"reason\":\"goal\",\"correlation\":\"sku-1\"}\n"
		       "{\"now\":true,\"journey\":\"a\",\"state\":\"date_due\",\"wake\":\"2026-09-21T14:13:20.001Z\"}\n");
	T_EQ_INT(R.ninst, 5);
	f = open_text();
	jexplain_now(f, st, people, 5, &js, &js.v[1], &L, &R, &p);
	fclose(f);
	T_EQ_STR(text, "{\"now\":true,\"journey\":\"b\",\"state\":\"exited\",\"step\":\"w\",\"arm\":null,\"entries\":1,"
		       "\"reason\":\"goal\",\"correlation\":\"sku-1\"}\n");
	f = open_text();
	jexplain_now(f, st, people, 9, &js, NULL, &L, &R, &p); /* no record */
	fclose(f);
	T_EQ_STR(text, "");
	store_read_end(st);

	jlog_release(&jl);
	jperson_release(&P);
	jperson_release(&R);
	profile_release(&p);
	profile_layout_release(&L);
	journeys_release(&js);
	agg_set_release(&aggs);
	buf_release(&b);
	store_close(st);
	free(text);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("jexplain");
}
