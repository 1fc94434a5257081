/*
 * t-jstatus - what `scheduler list` and `scheduler status` print: a line
 * per journey (paused by its definition or by the state, its trigger,
 * steps, people inside, description, file); a line per stream with its
 * clock and the wake-ups filed under it, and the "*" line of a store of
 * one clock; per journey the people waiting by step and arm, in the order
 * first met (closed instances, unknown journeys and damaged records
 * without instances left out), beside the journey's counters.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf.h"
#include "jstatus.h"
#include "store.h"
#include "t.h"
#include "tjourney.h"
#include "timer.h"

static char dir[] = "/tmp/uops-t-jstatus-XXXXXX";
static struct agg_set aggs;

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

/* The text a call wrote to its stream. */
static char *text;
static size_t ntext;

static FILE *open_text(void)
{
	free(text);
	text = NULL;
	return open_memstream(&text, &ntext);
}

/* A person with an instance of journey id at step (arm), open or not. */
static void person(struct store *st, MDB_dbi dbi, const struct profile_layout *L, uint32_t oneid, uint32_t id,
		   const char *step, const char *arm, int state)
{
	struct jperson P;
	struct profile p;
	struct jinst *in;
	struct buf b = BUF_INIT;
	unsigned char key[4];

	memset(&P, 0, sizeof P);
	memset(&p, 0, sizeof p);
	profile_reset(&p, L, oneid);
	P.oneid = oneid;
	in = jperson_inst_add(&P);
	in->journey = id;
	in->state = state;
	in->entries = 1;
	in->wake = state == JI_DONE ? INT64_MIN : 1790000000000LL;
	buf_adds(&in->step, step);
	if (arm)
		buf_adds(&in->arm, arm);
	jperson_encode(&P, &p, L, &b);
	store_be32(key, oneid);
	store_put(st, dbi, key, 4, b.p, b.len);
	jperson_release(&P);
	profile_release(&p);
	buf_release(&b);
}

int main(void)
{
	struct journeys js = {0};
	struct profile_layout L;
	struct jperson P;
	struct profile p;
	struct jcount cnt = {0};
	struct pclock pc;
	struct store *st;
	MDB_dbi people, timers, state;
	unsigned char k[TIMER_KEY], key[4];
	struct timer_id id = {0, 1790000000000LL, 1, 1, 0};
	int paused[2] = {0, 1};
	long inside[2] = {3, 0};
	uint32_t ida, idb;
	int code;
	FILE *f;

	T_OK(mkdtemp(dir) != NULL);
	compile(&js, "a", "{\"name\":\"a\",\"trigger\":{\"event\":\"sign_up\"},\"steps\":["
			  "{\"id\":\"hold\",\"wait\":\"1d\"},{\"id\":\"hi\",\"send\":{\"channel\":\"sms\",\"template\":\"t\"}}]}");
	compile(&js, "b", "{\"name\":\"b\",\"description\":\"the \\\"b\\\" one\",\"trigger\":{\"event\":\"view\"},"
			  "\"steps\":[{\"id\":\"w\",\"wait\":\"2h\"}]}");
	T_EQ_INT(js.n, 2);
	if (js.n != 2)
		return t_done("jstatus");
	ida = js.v[0].id;
	idb = js.v[1].id;

	/* list: paused by the state, inside as given, the description */
	f = open_text();
	jstatus_list(f, &js, paused, inside);
	fclose(f);
	{
		char want[2048];
		snprintf(want, sizeof want,
			 "{\"journey\":\"a\",\"version\":\"%s\",\"status\":\"active\",\"trigger\":\"event sign_up\","
			 "\"steps\":2,\"inside\":3,\"file\":\"%s/a.json\"}\n"
			 "{\"journey\":\"b\",\"version\":\"%s\",\"status\":\"paused\",\"trigger\":\"event view\","
			 "\"steps\":1,\"inside\":0,\"description\":\"the \\\"b\\\" one\",\"file\":\"%s/b.json\"}\n",
			 js.v[0].version, dir, js.v[1].version, dir);
		T_EQ_STR(text, want);
	}

	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return t_done("jstatus");
	T_OK(store_dbi(st, "t.people", 0, &people) == 0);
	T_OK(store_dbi(st, "t.timers", 0, &timers) == 0);
	T_OK(store_dbi(st, "t.state", 0, &state) == 0);
	memset(&L, 0, sizeof L);
	profile_layout_index(&L);

	/* the waiting, by step and arm, in the order met (oneid order) */
	person(st, people, &L, 1, ida, "hold", NULL, JI_WAIT);
	person(st, people, &L, 2, ida, "hold", "x", JI_WAIT);
	person(st, people, &L, 3, ida, "hold", NULL, JI_WAIT);
	person(st, people, &L, 4, ida, "hi", NULL, JI_DONE); /* closed: not waiting */
	person(st, people, &L, 5, 999, "hold", NULL, JI_WAIT); /* no such journey */
	person(st, people, &L, 6, idb, "w", NULL, JI_WAIT);
	store_be32(key, 7);
	store_put(st, people, key, 4, "\x09\x00", 2); /* damaged, nothing read */
	T_EQ_INT(store_commit(st), 0);
	jcount_add(&cnt, "a", NULL, "entered");
	jcount_add(&cnt, "a", NULL, "entered");
	jcount_add(&cnt, "a", "x", "exit:goal");
	memset(&P, 0, sizeof P);
	memset(&p, 0, sizeof p);
	f = open_text();
	T_EQ_INT(jstatus_journeys(f, st, people, &js, NULL, &L, &P, &p, &cnt), 0);
	fclose(f);
	store_read_end(st);
	T_EQ_STR(text, "{\"journey\":\"a\",\"waiting\":{\"hold\":2,\"hold/x\":1},\"counts\":{\"entered\":2,\"exit:goal/x\":1}}\n"
		       "{\"journey\":\"b\",\"waiting\":{\"w\":1},\"counts\":{}}\n");
	/* one journey */
	f = open_text();
	T_EQ_INT(jstatus_journeys(f, st, people, &js, &js.v[1], &L, &P, &p, &cnt), 0);
	fclose(f);
	store_read_end(st);
	T_EQ_STR(text, "{\"journey\":\"b\",\"waiting\":{\"w\":1},\"counts\":{}}\n");

	/* wake-ups per stream: keys start with the stream */
	timer_key(&id, k);
	store_put(st, timers, k, TIMER_KEY, "", 0);
	id.oneid = 2;
	timer_key(&id, k);
	store_put(st, timers, k, TIMER_KEY, "", 0);
	id.stream = 3;
	timer_key(&id, k);
	store_put(st, timers, k, TIMER_KEY, "", 0);
	T_EQ_INT(store_commit(st), 0);
	T_EQ_INT(jstatus_wakeups(st, timers, 0), 2);
	T_EQ_INT(jstatus_wakeups(st, timers, 3), 1);
	T_EQ_INT(jstatus_wakeups(st, timers, 2), 0);
	T_EQ_INT(jstatus_wakeups(st, timers, 4), 0);
	store_read_end(st);

	/* streams: a clock, none yet; then a store of one clock */
	memset(&pc, 0, sizeof pc);
	T_EQ_INT(pclock_load(&pc, st, state, NULL), 0);
	store_read_end(st);
	pclock_get(&pc, 3)->clock = 1790000000000LL;
	pclock_get(&pc, 0);
	f = open_text();
	jstatus_streams(f, &pc, st, timers);
	fclose(f);
	store_read_end(st);
	T_EQ_STR(text, "{\"stream\":0,\"clock\":null,\"wakeups\":2}\n"
		       "{\"stream\":3,\"clock\":\"2026-09-21T14:13:20.000Z\",\"wakeups\":1}\n");
	pclock_free(&pc);
	memset(&pc, 0, sizeof pc);
	T_EQ_INT(pclock_load(&pc, st, state, NULL), 0);
	store_read_end(st);
	pc.base.clock = 1790000000000LL;
	pclock_get(&pc, 3)->clock = 1790000000001LL;
	f = open_text();
	jstatus_streams(f, &pc, st, timers);
	fclose(f);
	store_read_end(st);
	T_EQ_STR(text, "{\"stream\":\"*\",\"clock\":\"2026-09-21T14:13:20.000Z\",\"wakeups\":2}\n"
		       "{\"stream\":3,\"clock\":\"2026-09-21T14:13:20.001Z\",\"wakeups\":1}\n");
	pclock_free(&pc);

	jperson_release(&P);
	profile_release(&p);
	jcount_release(&cnt);
	profile_layout_release(&L);
	journeys_release(&js);
	agg_set_release(&aggs);
	store_close(st);
	free(text);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("jstatus");
}
