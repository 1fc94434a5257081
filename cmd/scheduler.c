/*
 * scheduler - journeys: people moved through the steps of
 * pipelines/journeys as events arrive and time passes.
 *
 * Reads segmenter's output (events with "oneid", $tag, $segment, $merge,
 * $tick) and writes every record on, followed by the $journey records
 * (enter, step, exit with a reason) and $send records (a message to send,
 * for dispatch) the record caused. Time is event time: each person waiting
 * in a journey has a wake-up (lib/timer, ms) fired in order when the
 * stream's clock passes it, stamped with the wake-up time, so the same log
 * gives the same records byte for byte, in one pass or in daily batches
 * with $ticks between.
 *
 * The interpreter is lib/journey; conditions (branches, goals, exits,
 * where) are lib/cond over the scheduler's own small profile of each
 * person: the aggregates and traits its conditions read, the tags of the
 * $tag records and the segments of the $segment records it has seen.
 * State: the scheduler.* DBs, see schemas/lmdb.md.
 */
#include <errno.h>
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cond.h"
#include "conf.h"
#include "defnames.h"
#include "dict.h"
#include "filter.h"
#include "fold.h"
#include "handoff.h"
#include "hash.h"
#include "jcount.h"
#include "jexplain.h"
#include "journey.h"
#include "jfold.h"
#include "jlog.h"
#include "jperson.h"
#include "jstatus.h"
#include "jwrite.h"
#include "json.h"
#include "kafka.h"
#include "outcome.h"
#include "pclock.h"
#include "profile.h"
#include "schedule.h"
#include "seen.h"
#include "store.h"
#include "sysrec.h"
#include "ticker.h"
#include "timer.h"
#include "tz.h"

enum {
	OPT_PIPELINES = 300,
	OPT_JOURNEYS,
	OPT_GROUP,
	OPT_BATCH,
	OPT_DEDUPE,
	OPT_COMMIT_MS,
	OPT_NOSYNC,
	OPT_RESUME,
	OPT_DOT,
	OPT_NOLOG,
	OPT_EVERY,
	OPT_COUNT,
	OPT_PARTITIONS,
};

static const struct cli_opt opts[] = {
	{"journeys", OPT_JOURNEYS, 1, "DIR", "journey definitions (default PIPELINES/journeys)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-scheduler)"},
	{"dedupe-days", OPT_DEDUPE, 1, "N", "skip records whose event_id was applied in the last N days of event time (default 2; 0: off)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 262144)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000)"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end (a batch run: without --partitions, every partition, outside the group)"},
	{"partitions", OPT_PARTITIONS, 1, "LIST", "Kafka: take exactly these partitions of the input (0,1 or 0-3), no rebalancing; partition export, drop: the partition"},
	{"resume", OPT_RESUME, 0, NULL, "files: skip the lines of each input already committed by an earlier run"},
	{"dot", OPT_DOT, 0, NULL, "draw: Graphviz (the only form)"},
	{"no-log", OPT_NOLOG, 0, NULL, "keep no decision log (explain then says nothing)"},
	{"every", OPT_EVERY, 1, "DUR", "tick: a $tick of the wall clock this often (default 1m)"},
	{"count", OPT_COUNT, 1, "N", "tick: stop after N ticks (default: until stopped)"},
	{0, 0, 0, 0, 0},
};


struct zone {
	char *name;
	struct tz *z;
};

struct sched {
	struct cli cli;
	const char *pipelines, *jdir, *group;
	long batch, commit_ms;
	int nosync, exit_at_end, resume, dot, nolog, dry, scratch;
	const char *every;
	long tick_count;

	struct store *st;
	MDB_dbi people, logdb, oldlog, dlogdb, state, defs, counts, membdb;
	int has_oldlog;  /* 0: a store of an earlier version has scheduler.log */
	int no_members;  /* a read-only store has no scheduler.members */
	int no_decisions; /* … no scheduler.decisions */
	int no_dlog;      /* … no scheduler.dlog */
	struct jlog jl;   /* the decision log's open blocks */
	struct filter f;
	struct filter_ahead ahead;
	/* partitions: the static assignment, and the state that moves with a
	 * partition (lib/handoff) */
	int32_t parts[1024];
	int nparts;
	struct handoff ho;
	struct seen seen;
	struct timer tm;
	struct journeys js;

	/* names that exist upstream */
	struct defnames up;

	/* the profile conditions read */
	struct agg_set aggs;
	struct dict names;
	char **tagnames; /* tags read, then "segment:NAME" for segments read */
	unsigned ntags, nsegs, captags;
	char **segnames;
	unsigned capsegs;
	uint32_t *tag_slots;
	struct profile_layout L;
	struct profile p, q;
	uint32_t tz_slot;
	unsigned ndate; /* date triggers */

	struct jperson P, Q;
	roaring_bitmap_t *inside; /* people with an open instance */
	int inside_dirty;
	/* a clock per stream (the input's partition; 0 for files): a
	 * person's wake-ups fire when their stream's clock passes them
	 * (lib/pclock); clock is the clock of the stream being handled */
	struct pclock pc;
	uint32_t stream;
	int64_t clock;

	/* the record being handled */
	struct json_doc doc, pdoc;
	const struct json_doc *evdoc; /* props for conditions: the event, or the trigger's */
	uint32_t t_props; /* the record's props in doc (0: none) */
	struct buf cause, line, tmp, rec, logb;
	/* decisions of one activation of one person not yet in the log:
	 * one entry, and the block the person's decisions before are in */
	struct buf lp;
	uint32_t lp_oneid, lp_seq, lp_n, lp_stream, lp_pstream, lp_pblk;
	struct jlog_base lbase; /* what the entry's $journey lines share */
	char ts_text[CLOCK_ISO_LEN + 1];
	int64_t ts_cached;
	struct clock_memo tsday; /* the date of the records' ts read last */
	struct jctx cx;
	struct jinst *cur; /* the instance an activation moves */

	struct jcount cnt; /* scheduler.counts (lib/jcount) */
	long *inside_n; /* per journey: people inside */
	struct buf *jhead; /* per journey: ,"journey":NAME,"version":"V" for lib/jwrite */
	int *paused;    /* per journey: paused by `scheduler pause` */

	struct zone *zones;
	unsigned nzones;

	/* schedule triggers: their segments' members and their progress,
	 * per stream (lib/schedule) */
	struct schedule sch;

	unsigned long long events, fired, entered, exits, sends, dups;

	/* merges across streams (lib/fold's driver; the state by names,
	 * lib/jfold): the $fold being written (leave), the instances read
	 * from one, and the $merge's time (begin) */
	struct fold_driver fd;
	struct buf *leave_out;
	struct jfold_insts fi;
	int64_t fold_ts;
};

/* ---- definitions ---- */

static uint32_t sc_trait(void *ctx, const char *name)
{
	return dict_trait(&((struct sched *)ctx)->names, name, strlen(name));
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	struct sched *g = ctx;
	unsigned i;

	for (i = 0; i < g->ntags; i++)
		if (!strcmp(g->tagnames[i], name))
			return (int)i;
	if (!defnames_tag(&g->up, name)) {
		*why = "no such tag (none of the tag definitions names it)";
		return -1;
	}
	if (g->ntags == g->captags) {
		g->captags = g->captags ? g->captags * 2 : 16;
		g->tagnames = xrealloc(g->tagnames, g->captags * sizeof *g->tagnames);
	}
	g->tagnames[g->ntags] = xstrdup(name);
	return (int)g->ntags++;
}

static int sc_segment(void *ctx, const char *name, const char **why)
{
	struct sched *g = ctx;
	unsigned i;

	for (i = 0; i < g->nsegs; i++)
		if (!strcmp(g->segnames[i], name))
			return (int)i;
	if (!defnames_segment(&g->up, name)) {
		*why = "no such segment (none of the segment definitions names it)";
		return -1;
	}
	if (g->nsegs == g->capsegs) {
		g->capsegs = g->capsegs ? g->capsegs * 2 : 16;
		g->segnames = xrealloc(g->segnames, g->capsegs * sizeof *g->segnames);
	}
	g->segnames[g->nsegs] = xstrdup(name);
	return (int)g->nsegs++;
}

static int load_journey(void *ctx, const char *path)
{
	struct sched *g = ctx;
	struct cond_scope sc;
	struct conf c;
	int rc = -1;

	memset(&sc, 0, sizeof sc);
	sc.ctx = g;
	sc.aggs = &g->aggs;
	sc.trait = sc_trait;
	sc.tag = sc_tag;
	sc.segment = sc_segment;
	if (conf_load(&c, path) == 0 && journey_compile(&g->js, &c, &sc) == 0)
		rc = 0;
	if (rc)
		cli_err("%s", c.err.p ? c.err.p : path);
	conf_release(&c);
	return rc;
}

static int load_defs(struct sched *g)
{
	char path[4096];
	unsigned i;

	if (!g->jdir) {
		snprintf(path, sizeof path, "%s/journeys", g->pipelines);
		g->jdir = xstrdup(path);
	}
	/* the names that exist upstream (what $tag and $segment records
	 * can carry) */
	if (defnames_load(&g->up, g->pipelines))
		return EXIT_CONFIG;
	if (conf_dir(g->jdir, "journey", load_journey, g))
		return EXIT_CONFIG;
	/* the profile: tags read, then segments as tags "segment:NAME" */
	for (i = 0; i < g->aggs.n; i++)
		g->aggs.v[i].slot = dict_assign(&g->names, 'a', g->aggs.v[i].canon, strlen(g->aggs.v[i].canon));
	g->tag_slots = xcalloc(g->ntags + g->nsegs + 1, sizeof *g->tag_slots);
	for (i = 0; i < g->ntags; i++)
		g->tag_slots[i] = dict_assign(&g->names, 'g', g->tagnames[i], strlen(g->tagnames[i]));
	for (i = 0; i < g->nsegs; i++) {
		char name[300];
		snprintf(name, sizeof name, "segment:%s", g->segnames[i]);
		g->tag_slots[g->ntags + i] = dict_assign(&g->names, 'g', name, strlen(name));
	}
	g->tz_slot = dict_trait(&g->names, "tz", 2);
	g->L.specs = g->aggs.v;
	g->L.naggs = g->aggs.n;
	g->L.tag_slots = g->tag_slots;
	g->L.ntags = g->ntags + g->nsegs;
	profile_layout_index(&g->L);
	for (i = 0; i < g->js.n; i++) {
		const struct journey *j = &g->js.v[i];
		g->ndate += j->trig == JT_DATE;
	}
	schedule_init(&g->sch, &g->js);
	g->inside_n = xcalloc(g->js.n + 1, sizeof *g->inside_n);
	g->paused = xcalloc(g->js.n + 1, sizeof *g->paused);
	g->jhead = xcalloc(g->js.n + 1, sizeof *g->jhead);
	for (i = 0; i < g->js.n; i++) {
		const struct journey *j = &g->js.v[i];
		buf_adds(&g->jhead[i], ",\"journey\":");
		json_write_str(&g->jhead[i], j->name, strlen(j->name));
		buf_adds(&g->jhead[i], ",\"version\":\"");
		buf_add(&g->jhead[i], j->version, 16);
		buf_addc(&g->jhead[i], '"');
	}
	return 0;
}

/* ---- counters (scheduler.counts, lib/jcount) ---- */

/* Append s to out (at bytes so far, room for cap with the NUL): as
 * snprintf would, cut short when it does not fit. */
static size_t key_cat(char *out, size_t at, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (at + n >= cap)
		n = at < cap - 1 ? cap - 1 - at : 0;
	memcpy(out + at, s, n);
	out[at + n] = 0;
	return at + n;
}

/* People inside each journey: entered minus exited. */
static void inside_from_counts(struct sched *g)
{
	unsigned i, k;

	for (i = 0; i < g->cnt.n; i++) {
		const char *key = g->cnt.v[i].key, *w = strrchr(key, '\t');
		size_t jn = (size_t)(strchr(key, '\t') - key);
		for (k = 0; k < g->js.n; k++) {
			if (strlen(g->js.v[k].name) != jn || memcmp(g->js.v[k].name, key, jn))
				continue;
			if (!strcmp(w + 1, "entered"))
				g->inside_n[k] += (long)g->cnt.v[i].n;
			else if (!strncmp(w + 1, "exit:", 5))
				g->inside_n[k] -= (long)g->cnt.v[i].n;
		}
	}
}

/* ---- people (scheduler.people) ---- */

/* Load oneid into P and p: 1 found, 0 new, -1 an LMDB error.
 *
 * A person is decoded at each load and encoded at each save; they are not
 * kept decoded until the commit. Measured on 2M events of gen-tagged -a
 * for 1M people and the shipped journeys (commits every second or 262,144
 * writes): 8.7 % of the loads find the person saved since the last commit
 * (182k of 2.08M), 8.5 % of the saves replace such a save (156k of 1.83M),
 * so such a table could spare at most about 3 % of the instructions (the
 * lookups, decodes, encodes and batch writes of those), before what it
 * costs: a copy of every person saved, a probe for every load, and a
 * flush in oneid order before each commit. */
static int person_load(struct sched *g, struct jperson *P, struct profile *p, uint32_t oneid)
{
	unsigned char key[4];
	MDB_val v;
	int r;

	P->oneid = oneid;
	P->ninst = 0;
	P->nlog = 0;
	P->lstream = P->lblk = 0;
	P->changed = 0;
	P->found = 0;
	P->stream = g->stream;
	store_be32(key, oneid);
	r = store_get(g->st, g->people, key, 4, &v);
	if (r < 0) {
		g->f.fatal = EXIT_IO;
		return -1;
	}
	if (r == 0) {
		profile_reset(p, &g->L, oneid);
		return 0;
	}
	if (jperson_decode(P, p, &g->L, v.mv_data, v.mv_size)) {
		cli_err("person %u in scheduler.people is damaged; they start again empty", oneid);
		P->ninst = 0;
		P->stream = g->stream;
		profile_reset(p, &g->L, oneid);
		return 0;
	}
	P->found = 1;
	return 1;
}

static void log_flush(struct sched *g);

/* Queue P: the record, and the wake-ups of its instances that moved. The
 * wake-ups go to the stream being handled (a person whose records now come
 * on another partition takes them along). */
static void person_save(struct sched *g, struct jperson *P, struct profile *p)
{
	unsigned char key[4];
	unsigned k;
	int open = 0;

	log_flush(g);
	for (k = 0; k < P->ninst; k++) {
		struct jinst *in = &P->inst[k];
		int64_t w = jinst_open(in) || in->state == JI_ARMED ? in->wake : INT64_MIN;
		int64_t w0 = (P->state0[k] == JI_WAIT || P->state0[k] == JI_WAIT_EVENT || P->state0[k] == JI_ARMED)
				     ? P->wake0[k] : INT64_MIN;
		struct timer_id id = {P->stream, 0, P->oneid, in->journey, in->corr};
		open |= jinst_open(in);
		if (w == w0 && P->stream == g->stream)
			continue;
		if (w0 != INT64_MIN) {
			id.wake = w0;
			timer_del(&g->tm, &id);
		}
		if (w != INT64_MIN) {
			id.stream = g->stream;
			id.wake = w;
			timer_set(&g->tm, &id);
		}
		P->wake0[k] = w;
		P->state0[k] = in->state;
	}
	P->stream = g->stream;
	profile_prune(p, &g->L, g->clock);
	buf_reset(&g->rec);
	jperson_encode(P, p, &g->L, &g->rec);
	store_be32(key, P->oneid);
	store_put(g->st, g->people, key, 4, g->rec.p, g->rec.len);
	if (open != roaring_bitmap_contains(g->inside, P->oneid)) {
		if (open)
			roaring_bitmap_add(g->inside, P->oneid);
		else
			roaring_bitmap_remove(g->inside, P->oneid);
		g->inside_dirty = 1;
	}
}

/* ---- conditions ---- */

static int env_segment(void *ctx, unsigned idx)
{
	struct sched *g = ctx;
	return g->p.tags[g->ntags + idx].set;
}

static const char *env_segment_name(void *ctx, unsigned idx)
{
	return ((struct sched *)ctx)->segnames[idx];
}

static void env_render(void *ctx, struct buf *out)
{
	struct sched *g = ctx;
	const struct profile *p = &g->p;
	unsigned i, n = 0;

	buf_printf(out, "{\"oneid\":%u,\"events\":%llu,\"traits\":{", p->oneid, (unsigned long long)p->nevents);
	for (i = 0; i < p->ntraits; i++) {
		const char *name = dict_trait_name(&g->names, p->traits[i].name);
		if (!name)
			continue;
		if (n++)
			buf_addc(out, ',');
		json_write_str(out, name, strlen(name));
		buf_addc(out, ':');
		buf_add(out, p->traits[i].v.p, p->traits[i].v.len);
	}
	buf_adds(out, "},\"tags\":{");
	for (i = 0, n = 0; i < g->ntags; i++) {
		if (!p->tags[i].set)
			continue;
		if (n++)
			buf_addc(out, ',');
		json_write_str(out, g->tagnames[i], strlen(g->tagnames[i]));
		buf_addc(out, ':');
		buf_add(out, p->tags[i].v.p, p->tags[i].v.len);
	}
	buf_adds(out, "}}");
}

static void env_init(struct sched *g, struct cond_env *e, int64_t clock)
{
	memset(e, 0, sizeof *e);
	e->p = &g->p;
	e->L = &g->L;
	e->clock = clock;
	e->ctx = g;
	e->segment = env_segment;
	e->segment_name = env_segment_name;
	e->render = env_render;
	if (g->evdoc) {
		e->doc = g->evdoc;
		e->ev = 0;
	}
}

static int where_match(void *ctx, const struct agg_spec *s, const struct json_doc *d, uint32_t ev)
{
	struct sched *g = ctx;
	struct cond_env e;

	env_init(g, &e, g->clock);
	e.doc = d;
	e.ev = ev;
	return cond_eval(s->where, &e);
}

static uint32_t name_slot(void *ctx, const char *name, size_t n)
{
	return dict_trait(&((struct sched *)ctx)->names, name, n);
}

/* Add the decisions held to the open block of their stream (one entry,
 * a line each). */
static void log_flush(struct sched *g)
{
	struct jlog_entry e;
	struct jlog_tail *t;

	if (!g->lp_n)
		return;
	if (!(t = jlog_tail(&g->jl, g->lp_stream))) {
		g->f.fatal = EXIT_IO;
	} else {
		e.oneid = g->lp_oneid;
		e.seq = g->lp_seq;
		e.pstream = g->lp_pstream;
		e.pblk = g->lp_pblk;
		jlog_add(&g->jl, t, &e, g->lp.p, g->lp.len);
	}
	buf_reset(&g->lp);
	g->lp_n = 0;
}

/* Begin a decision of the log (lib/jlog, scheduler.dlog): those of one
 * person in a row (an activation's) make one entry, a line each, under
 * the sequence number of the first, in the open block of the stream;
 * the person's record names that block, and the entry the block of their
 * decisions before. 0, or -1 when the line is not to be added. */
static int log_begin(struct sched *g)
{
	if (g->nolog)
		return -1;
	if (g->lp_n && g->lp_oneid != g->P.oneid)
		log_flush(g);
	if (!g->lp_n) {
		struct jlog_tail *t = jlog_tail(&g->jl, g->stream);
		if (!t) {
			g->f.fatal = EXIT_IO;
			return -1;
		}
		g->lp_oneid = g->P.oneid;
		g->lp_seq = g->P.nlog;
		g->lp_stream = g->stream;
		g->lp_pstream = g->P.lstream;
		g->lp_pblk = g->P.lblk;
		g->P.lstream = g->stream;
		g->P.lblk = t->blk + 1;
		g->lbase.set = 0;
	}
	g->lp_n++;
	g->P.nlog++;
	g->P.changed = 1;
	return 0;
}

/* A decision as text (a condition, an update) into the log. */
static void log_add(struct sched *g, const char *s, size_t n)
{
	if (!log_begin(g))
		jlog_line(&g->lp, s, n);
}

/* A $journey record (enter, step, exit) into the log, as its parts. */
static void log_journey(struct sched *g, const struct jwrite_jrec *x)
{
	if (!log_begin(g))
		jlog_line_journey(&g->lp, x, g->cx.now, g->P.oneid, &g->lbase);
}

static const char *ts_text(struct sched *g, int64_t t)
{
	if (t != g->ts_cached || !g->ts_text[0]) {
		clock_format(t, g->ts_text);
		g->ts_cached = t;
	}
	return g->ts_text;
}

/* The props conditions of an activation read: the event's, else (a
 * wake-up) the trigger's, kept with the instance. */
static void props_for(struct sched *g, const struct jinst *in)
{
	const char *why;
	size_t at;

	if (g->evdoc == &g->doc)
		return;
	g->evdoc = NULL;
	if (!in || !in->props.len)
		return;
	buf_reset(&g->tmp);
	buf_adds(&g->tmp, "{\"props\":");
	buf_add(&g->tmp, in->props.p, in->props.len);
	buf_addc(&g->tmp, '}');
	if (!json_parse(&g->pdoc, g->tmp.p, g->tmp.len, 64, &why, &at))
		g->evdoc = &g->pdoc;
}

static int cx_eval(void *ctx, const struct journey *j, const struct jinst *in, const struct cond *c, const char *what)
{
	struct sched *g = ctx;
	struct cond_env e;
	int r;

	props_for(g, in);
	env_init(g, &e, g->cx.now);
	r = cond_eval(c, &e);
	/* what decided, with the values it read: branches always, the
	 * rest when it acted */
	if (!g->nolog && (r || !strncmp(what, "case", 4))) {
		buf_reset(&g->logb);
		/* pieces appended, not printf: this runs for most decisions */
		buf_adds(&g->logb, "{\"ts\":\"");
		buf_adds(&g->logb, ts_text(g, g->cx.now));
		buf_adds(&g->logb, "\",\"journey\":");
		json_write_str(&g->logb, j->name, strlen(j->name));
		buf_adds(&g->logb, ",\"version\":\"");
		buf_adds(&g->logb, j->version);
		buf_adds(&g->logb, "\",\"step\":");
		json_write_str(&g->logb, in->step.p ? in->step.p : "", in->step.len);
		buf_adds(&g->logb, ",\"condition\":");
		json_write_str(&g->logb, what, strlen(what));
		buf_adds(&g->logb, r ? ",\"is\":true,\"tree\":" : ",\"is\":false,\"tree\":");
		cond_explain(c, &e, &g->logb);
		buf_addc(&g->logb, '}');
		log_add(g, g->logb.p, g->logb.len);
	}
	return r;
}

static const struct tz *cx_tz(void *ctx)
{
	struct sched *g = ctx;
	const struct journey *j = NULL;
	unsigned i;
	char name[128];
	const char *why;

	for (i = 0; i < g->js.n; i++)
		if (g->cur && g->js.v[i].id == g->cur->journey)
			j = &g->js.v[i];
	for (i = 0; i < g->p.ntraits; i++) {
		const struct prof_trait *t = &g->p.traits[i];
		if (t->name != g->tz_slot || t->v.len < 3 || t->v.len - 2 >= sizeof name || t->v.p[0] != '"')
			continue;
		memcpy(name, t->v.p + 1, t->v.len - 2);
		name[t->v.len - 2] = 0;
		for (i = 0; i < g->nzones; i++)
			if (!strcmp(g->zones[i].name, name))
				return g->zones[i].z ? g->zones[i].z : (j ? j->tz : NULL);
		g->zones = xrealloc(g->zones, (g->nzones + 1) * sizeof *g->zones);
		g->zones[g->nzones].name = xstrdup(name);
		g->zones[g->nzones].z = tz_load(name, &why); /* NULL: an unknown zone, the journey's */
		return g->zones[g->nzones].z ? g->zones[g->nzones++].z : (g->nzones++, j ? j->tz : NULL);
	}
	return j ? j->tz : NULL;
}

/* ---- records out ---- */

static void add_u32(struct buf *b, uint32_t v)
{
	char d[16];

	buf_add(b, d, (size_t)u32_dec(d, v));
}

/* A record of the person out, keyed by their oneid (a Kafka message's
 * key; a file's lines have none, so it is not made for them). */
static void emit_line(struct sched *g, struct buf *b)
{
	char key[16];
	int kl = g->f.out.k ? u32_dec(key, g->cx.oneid) : 0;

	filter_emit(&g->f, key, (size_t)kl, b->p, b->len);
}

static void cx_record(void *ctx, const struct jrec *r)
{
	struct sched *g = ctx;
	struct buf *b = &g->line;
	const struct jinst *in = r->in;
	const char *arm = in->arm.len ? in->arm.p : NULL;
	struct jwrite w = {ts_text(g, g->cx.now), g->cx.oneid, &g->jhead[r->j - g->js.v], &g->cause, &g->tmp};
	struct jwrite_jrec x;

	buf_reset(b);
	if (r->op == JO_SEND) {
		unsigned k;
		jwrite_send(b, &w, r);
		g->sends++;
		jcount_add(&g->cnt, r->j->name, arm, "sent");
		if (g->dry) {
			printf("%s\t%u\t%s\t%s\t%s\t", ts_text(g, g->cx.now), g->cx.oneid, r->j->name, r->s->id,
			       arm ? arm : "-");
			for (k = 0; k < r->s->nchannels; k++)
				printf("%s%s", k ? "," : "", r->s->channels[k]);
			printf("\t%s\n", r->s->tmpl);
		}
		emit_line(g, b);
		return;
	}
	if (r->op == JO_UPDATE) {
		const char *v = r->s->uvalue;
		char now[CLOCK_ISO_LEN + 3];
		int ti = -1;
		unsigned k;
		if (!v) {
			snprintf(now, sizeof now, "\"%s\"", ts_text(g, g->cx.now));
			v = now;
		}
		for (k = 0; r->s->utag && k < g->ntags; k++)
			if (!strcmp(g->tagnames[k], r->s->uname))
				ti = (int)k;
		jwrite_update(b, &w, r, ti >= 0 && g->p.tags[ti].set ? &g->p.tags[ti].v : NULL, v);
		log_add(g, b->p, b->len);
		emit_line(g, b);
		/* the scheduler's own profile takes it at once */
		if (ti >= 0) {
			buf_reset(&g->p.tags[ti].v);
			buf_adds(&g->p.tags[ti].v, v);
			g->p.tags[ti].set = 1;
			g->p.tags_raw = NULL;
		} else if (!r->s->utag) {
			uint32_t slot = dict_trait(&g->names, r->s->uname, strlen(r->s->uname));
			if (slot != UINT32_MAX)
				profile_trait_set(&g->p, slot, g->cx.now, v, strlen(v));
		}
		return;
	}
	jwrite_journey_fields(&x, &w, r);
	jwrite_journey_text(b, &x);
	switch (r->op) {
	case JO_ENTER:
		jcount_add(&g->cnt, r->j->name, NULL, "entered");
		g->inside_n[r->j - g->js.v]++;
		g->entered++;
		break;
	case JO_EXIT: {
		char what[80];
		key_cat(what, key_cat(what, 0, sizeof what, "exit:"), sizeof what, r->reason);
		jcount_add(&g->cnt, r->j->name, arm, what);
		g->inside_n[r->j - g->js.v]--;
		g->exits++;
		break;
	}
	case JO_STEP:
		if (r->held)
			jcount_add(&g->cnt, r->j->name, arm, "held");
		break;
	default:
		break;
	}
	log_journey(g, &x);
	emit_line(g, b);
}

/* ---- activations ---- */

static void cx_begin(struct sched *g, int64_t now, uint32_t oneid)
{
	g->cx.ctx = g;
	g->cx.now = now;
	g->cx.oneid = oneid;
	g->cx.eval = cx_eval;
	g->cx.tz = cx_tz;
	g->cx.record = cx_record;
}

static const struct journey *journey_of(struct sched *g, uint32_t id, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < g->js.n; i++)
		if (g->js.v[i].id == id) {
			if (idx)
				*idx = i;
			return &g->js.v[i];
		}
	return NULL;
}

/* ---- wake-ups ---- */

static void try_enter(struct sched *g, const struct journey *j, unsigned ji, int64_t ts, uint64_t corr,
		      uint32_t corrtok, uint32_t props, const struct json_doc *ev);
static void date_watch(struct sched *g, int64_t now);

/* The cause of what a time falling due does: "due:MS:ONEID". */
static void due_cause(struct sched *g, int64_t t, uint32_t oneid)
{
	buf_reset(&g->cause);
	buf_adds(&g->cause, "due:");
	buf_i64(&g->cause, t);
	buf_addc(&g->cause, ':');
	add_u32(&g->cause, oneid);
}

/* Fire every wake-up of stream s up to upto, in key order. A big run
 * commits on the way (the positions before the record that moved the
 * clock: a rerun fires the rest). */
static int fire(struct sched *g, uint32_t s, int64_t upto)
{
	struct timer_id id, last;
	int have = 0, r;

	while ((r = timer_next(&g->tm, s, upto, have ? &last : NULL, &id)) == 1) {
		unsigned k;
		const struct journey *j;
		last = id;
		have = 1;
		timer_del(&g->tm, &id);
		if (person_load(g, &g->P, &g->p, id.oneid) < 0)
			return g->f.fatal;
		j = journey_of(g, id.journey, NULL);
		for (k = 0; k < g->P.ninst; k++) {
			struct jinst *in = &g->P.inst[k];
			if (in->journey != id.journey || in->corr != id.corr || in->wake != id.wake ||
			    !(jinst_open(in) || in->state == JI_ARMED))
				continue;
			if (in->state == JI_ARMED) { /* a date falls due: enter, and watch for the next */
				unsigned ji;
				due_cause(g, id.wake, id.oneid);
				in->state = JI_DONE;
				in->wake = INT64_MIN;
				if (j && journey_of(g, id.journey, &ji)) {
					try_enter(g, j, ji, id.wake, 0, 0, 0, NULL);
					date_watch(g, id.wake);
				}
				g->P.changed = 1;
				g->fired++;
				break;
			}
			g->P.wake0[k] = INT64_MIN; /* its wake-up is gone */
			g->P.state0[k] = JI_NONE;
			due_cause(g, id.wake, id.oneid);
			cx_begin(g, id.wake, id.oneid);
			g->evdoc = NULL;
			g->cur = in;
			if (j)
				journey_wake(j, in, &g->cx);
			else
				in->state = JI_DONE; /* its journey is gone */
			g->cur = NULL;
			g->P.changed = 1;
			g->fired++;
			break;
		}
		if (g->P.changed)
			person_save(g, &g->P, &g->p);
		if (g->f.fatal)
			return g->f.fatal;
		if ((long)store_pending(g->st) >= g->batch) {
			int rc = filter_commit_mid(&g->f);
			if (rc)
				return rc;
			if (cli_stop)
				return -2;
		}
	}
	return r < 0 ? EXIT_IO : 0;
}

/* ---- schedule triggers ---- */

/* Occurrence at of schedule journey ji on stream s: everyone in its
 * segment on the stream enters, stamped at, in oneid order. A big segment
 * commits on the way, with how far it got (a rerun goes on from there). */
static int enter_scheduled(struct sched *g, unsigned ji, uint32_t s, int64_t at)
{
	const struct journey *j = &g->js.v[ji];
	struct schedule_prog *pr = schedule_prog(&g->sch, ji, s);
	struct schedule_members *m = schedule_members(&g->sch, schedule_segment(&g->sch, j->t_name, strlen(j->t_name)), s, 0);
	roaring_uint32_iterator_t it;

	if (pr->at != at || !pr->next) {
		pr->at = at;
		pr->next = 1;
		pr->dirty = 1;
	}
	if (m && !g->paused[ji] && !j->paused && at >= j->start_ms && at < j->end_ms) {
		roaring_init_iterator(m->b, &it);
		roaring_move_uint32_iterator_equalorlarger(&it, pr->next);
		for (; it.has_value; roaring_advance_uint32_iterator(&it)) {
			uint32_t oneid = it.current_value;
			if (person_load(g, &g->P, &g->p, oneid) < 0)
				return g->f.fatal;
			due_cause(g, at, oneid);
			g->evdoc = NULL;
			try_enter(g, j, ji, at, 0, 0, 0, NULL);
			if (g->P.changed)
				person_save(g, &g->P, &g->p);
			if (g->f.fatal)
				return g->f.fatal;
			pr->next = oneid == UINT32_MAX ? 0 : oneid + 1;
			pr->dirty = 1;
			if (!pr->next)
				break;
			if ((long)store_pending(g->st) >= g->batch) {
				int rc = filter_commit_mid(&g->f);
				if (rc)
					return rc;
				if (cli_stop)
					return -2;
			}
		}
	}
	pr->next = 0;
	pr->dirty = 1;
	return 0;
}

/* Fire stream s from clock0 to upto: the wake-ups and the occurrences of
 * schedule triggers in time order (an occurrence before the wake-ups of
 * its millisecond; two at once in the journeys' order). */
static int fire_all(struct sched *g, uint32_t s, int64_t clock0, int64_t upto)
{
	for (;;) {
		int64_t best = INT64_MAX;
		unsigned i, bj = 0;
		int rc;
		if (clock0 != PCLOCK_NONE)
			for (i = 0; i < g->js.n; i++) {
				int64_t t;
				if (g->js.v[i].trig != JT_SCHEDULE)
					continue;
				t = schedule_due(&g->sch, &g->js.v[i], i, s, clock0);
				if (t <= upto && t < best) {
					best = t;
					bj = i;
				}
			}
		if (best == INT64_MAX)
			return fire(g, s, upto);
		if ((rc = fire(g, s, best - 1)) || (rc = enter_scheduled(g, bj, s, best)))
			return rc;
	}
}

/* Stream s's clock reaches ts: what fell due on it comes first. The clock
 * moves only once it has fired, so a record read again after a stop fires
 * the rest. g->clock is then the stream's clock. */
static void advance(struct sched *g, uint32_t s, int64_t ts)
{
	struct pclock_stream *c = pclock_get(&g->pc, s);
	int rc;

	g->stream = s;
	g->clock = c->clock;
	if (c->clock != PCLOCK_NONE && ts <= c->clock)
		return;
	rc = g->sch.njourneys ? fire_all(g, s, c->clock, ts) : fire(g, s, ts);
	if (rc == -2) {
		filter_stop_mid(&g->f);
		return;
	}
	if (rc) {
		g->f.fatal = rc;
		return;
	}
	c = pclock_get(&g->pc, s);
	c->clock = ts;
	c->dirty = 1;
	g->clock = ts;
}

/* ---- records in ---- */

static int trigger_type(const struct sched *g, const char *type, size_t tlen)
{
	unsigned i;

	for (i = 0; i < g->js.n; i++)
		if (g->js.v[i].trig == JT_EVENT && strlen(g->js.v[i].t_name) == tlen &&
		    !memcmp(g->js.v[i].t_name, type, tlen))
			return 1;
	return 0;
}

/* Does an event of the type change the profile (an aggregate takes it, or
 * it carries traits)? */
static int changes_profile(const struct sched *g, const char *type, size_t tlen, int traits)
{
	unsigned i;

	if (traits)
		return 1;
	if (g->L.nany)
		return 1;
	for (i = 0; i < g->L.ntypes; i++)
		if (g->L.types[i].len == tlen && !memcmp(g->L.types[i].name, type, tlen))
			return 1;
	return 0;
}

/* The instance of j for corr in P (made when make). */
static struct jinst *inst_find(struct jperson *P, const struct journey *j, uint64_t corr, int make)
{
	unsigned k;
	struct jinst *in;

	for (k = 0; k < P->ninst; k++)
		if (P->inst[k].journey == j->id && P->inst[k].corr == corr)
			return &P->inst[k];
	if (!make)
		return NULL;
	in = jperson_inst_add(P);
	jinst_release(in);
	jinst_init(in);
	in->journey = j->id;
	in->corr = corr;
	return in;
}

/* Goals and exits of every open instance, then the awaited events. */
static void on_person_record(struct sched *g, int64_t ts, const char *type, size_t tlen, int is_event,
			     const char *corrkey_unused)
{
	unsigned k;

	(void)corrkey_unused;
	for (k = 0; k < g->P.ninst; k++) {
		struct jinst *in = &g->P.inst[k];
		const struct journey *j;
		int moved;
		if (!jinst_open(in) || !(j = journey_of(g, in->journey, NULL)))
			continue;
		cx_begin(g, ts, g->P.oneid);
		g->cur = in;
		g->evdoc = is_event ? &g->doc : NULL;
		if (journey_check(j, in, &g->cx)) {
			g->P.changed = 1;
		} else if (is_event && in->state == JI_WAIT_EVENT) {
			/* a correlated instance hears only its own value's events */
			if (j->correlate) {
				uint32_t pr = g->t_props, v = 0;
				if (pr && g->doc.t[pr].type == JSON_OBJECT)
					v = json_get(&g->doc, pr, j->correlate, strlen(j->correlate));
				buf_reset(&g->tmp);
				if (v)
					json_write_tok(&g->doc, v, &g->tmp);
				if (!v || hash64(g->tmp.p, g->tmp.len, 0) != in->corr)
					continue;
			}
			if (journey_event(j, in, &g->cx, type, tlen, &moved))
				g->P.changed = 1;
		}
		g->cur = NULL;
	}
}

static void try_enter(struct sched *g, const struct journey *j, unsigned ji, int64_t ts, uint64_t corr,
		      uint32_t corrtok, uint32_t props, const struct json_doc *ev)
{
	struct jinst *in;

	if (g->paused[ji] || (j->cap && g->inside_n[ji] >= j->cap)) {
		if (!j->paused && !g->paused[ji])
			jcount_add(&g->cnt, j->name, NULL, "capped");
		return;
	}
	in = inst_find(&g->P, j, corr, 1);
	if (jinst_open(in))
		return;
	buf_reset(&in->corrv);
	if (corrtok)
		json_write_tok(&g->doc, corrtok, &in->corrv);
	buf_reset(&in->props);
	if (props && g->doc.t[props].type == JSON_OBJECT) {
		json_write_tok(&g->doc, props, &in->props);
		if (in->props.len > 2048)
			buf_reset(&in->props); /* too big to keep */
	}
	cx_begin(g, ts, g->P.oneid);
	g->cur = in;
	g->evdoc = ev;
	if (!journey_enter(j, in, &g->cx))
		g->P.changed = 1;
	g->cur = NULL;
	/* a refused fresh instance leaves nothing */
	if (!in->entries)
		g->P.ninst--;
}

static void triggers(struct sched *g, int64_t ts, const char *type, size_t tlen, int kind)
{
	const struct json_doc *d = &g->doc;
	unsigned i;

	for (i = 0; i < g->js.n; i++) {
		const struct journey *j = &g->js.v[i];
		uint32_t props = 0, ct = 0;
		uint64_t corr = 0;
		if (kind == 0) {
			if (j->trig != JT_EVENT || strlen(j->t_name) != tlen || memcmp(j->t_name, type, tlen))
				continue;
			props = g->t_props;
			if (j->t_where) {
				struct cond_env e;
				g->evdoc = &g->doc;
				env_init(g, &e, ts);
				if (!cond_eval(j->t_where, &e))
					continue;
			}
			if (j->correlate) {
				if (!props || d->t[props].type != JSON_OBJECT ||
				    !(ct = json_get(d, props, j->correlate, strlen(j->correlate))))
					continue; /* no value: no instance */
				buf_reset(&g->tmp);
				json_write_tok(d, ct, &g->tmp);
				corr = hash64(g->tmp.p, g->tmp.len, 0);
				if (!corr || corr == JOURNEY_WATCH) /* numbers kept for no value and the watch */
					corr = 1;
			}
		} else if (kind == 1) {
			uint32_t s = json_get(d, 0, "segment", 7), op = json_get(d, 0, "op", 2);
			if (j->trig != JT_SEGMENT || !json_str_eq(d, s, j->t_name, strlen(j->t_name)) ||
			    !json_str_eq(d, op, j->t_enter ? "enter" : "exit", j->t_enter ? 5 : 4))
				continue;
		} else {
			uint32_t t = json_get(d, 0, "tag", 3), o = json_get(d, 0, "old", 3), n = json_get(d, 0, "new", 3);
			if (j->trig != JT_TAG || !json_str_eq(d, t, j->t_name, strlen(j->t_name)))
				continue;
			if (j->t_from) {
				buf_reset(&g->tmp);
				json_write_tok(d, o, &g->tmp);
				if (strcmp(g->tmp.p, j->t_from))
					continue;
			}
			if (j->t_to) {
				buf_reset(&g->tmp);
				json_write_tok(d, n, &g->tmp);
				if (strcmp(g->tmp.p, j->t_to))
					continue;
			}
		}
		try_enter(g, j, i, ts, corr, ct, props, &g->doc);
	}
}

/* The date a date trigger reads, from the profile: 1 with *s, *n set. */
static int date_value(struct sched *g, const struct journey *j, const char **s, size_t *n)
{
	unsigned i;

	if (j->d_tag) {
		for (i = 0; i < g->ntags; i++)
			if (!strcmp(g->tagnames[i], j->t_name) && g->p.tags[i].set && g->p.tags[i].v.len > 2 &&
			    g->p.tags[i].v.p[0] == '"') {
				*s = g->p.tags[i].v.p + 1;
				*n = g->p.tags[i].v.len - 2;
				return 1;
			}
		return 0;
	}
	for (i = 0; i < g->p.ntraits; i++) {
		const struct prof_trait *t = &g->p.traits[i];
		const char *name = dict_trait_name(&g->names, t->name);
		if (name && !strcmp(name, j->t_name) && t->v.len > 2 && t->v.p[0] == '"') {
			*s = t->v.p + 1;
			*n = t->v.len - 2;
			return 1;
		}
	}
	return 0;
}

/* Arm (or move, or drop) the watch of each date trigger: its wake-up is
 * the next time after now the person's date falls due. */
static void date_watch(struct sched *g, int64_t now)
{
	unsigned i;

	for (i = 0; i < g->js.n; i++) {
		const struct journey *j = &g->js.v[i];
		struct jinst *w;
		const char *s;
		size_t n;
		int64_t t = INT64_MIN;
		if (j->trig != JT_DATE)
			continue;
		g->cur = NULL;
		{
			struct jinst probe;
			jinst_init(&probe);
			probe.journey = j->id;
			g->cur = &probe;
			if (date_value(g, j, &s, &n))
				t = journey_date_next(j, s, n, now, cx_tz(g));
			g->cur = NULL;
		}
		w = inst_find(&g->P, j, JOURNEY_WATCH, t != INT64_MIN);
		if (!w)
			continue;
		if (t == INT64_MIN) {
			if (w->state == JI_ARMED) {
				w->state = JI_DONE;
				w->wake = INT64_MIN;
				g->P.changed = 1;
			}
		} else if (w->state != JI_ARMED || w->wake != t) {
			w->state = JI_ARMED;
			w->wake = t;
			w->journey = j->id;
			g->P.changed = 1;
		}
	}
}

/* A merged person's instances end (reason "merged"); their entries are
 * kept with the survivor when it has none of that journey, so re-entry
 * rules still hold; their profile is folded into the survivor's. With
 * leaving (a $merge's copy for that merged oneid's stream, written into
 * Kafka): only that person's instances end and their record goes; the
 * survivor is on another stream, and nothing is folded into it there. */
static void leave_state(struct sched *g, int found);

static void on_merge(struct sched *g, int64_t ts, uint32_t oneid, uint32_t leaving)
{
	uint32_t m = json_get(&g->doc, 0, "merged", 6), k, i, mid;
	unsigned q;
	int r;

	if (person_load(g, &g->P, &g->p, oneid) < 0)
		return;
	for (k = 0, i = m + 1; k < g->doc.t[m].size; k++, i = g->doc.t[i].next) {
		unsigned char key[4];
		if (json_oneid(&g->doc, i, &mid) || mid == oneid || (leaving && mid != leaving))
			continue;
		if ((r = person_load(g, &g->Q, &g->q, mid)) != 1) {
			if (leaving && !r)
				leave_state(g, 0);
			continue;
		}
		for (q = 0; q < g->Q.ninst; q++) {
			struct jinst *in = &g->Q.inst[q], *s;
			const struct journey *j = journey_of(g, in->journey, NULL);
			if (jinst_open(in)) {
				struct timer_id id = {g->Q.stream, g->Q.wake0[q], mid, in->journey, in->corr};
				if (g->Q.state0[q] == JI_WAIT || g->Q.state0[q] == JI_WAIT_EVENT)
					timer_del(&g->tm, &id);
				if (j) {
					struct jperson save = g->P;
					g->P = g->Q; /* the log goes to the merged person */
					cx_begin(g, ts, mid);
					journey_exit(j, in, &g->cx, "merged");
					g->Q = g->P;
					g->P = save;
				}
			}
			if (j && !leaving && !inst_find(&g->P, j, in->corr, 0)) {
				s = inst_find(&g->P, j, in->corr, 1);
				jinst_copy(s, in);
				s->state = JI_DONE;
				s->wake = INT64_MIN;
				g->P.wake0[g->P.ninst - 1] = INT64_MIN;
				g->P.state0[g->P.ninst - 1] = JI_NONE;
			}
		}
		if (leaving)
			leave_state(g, 1); /* what the survivor's stream folds in */
		else
			profile_merge(&g->p, &g->q, &g->L);
		for (q = 0; q < g->L.ntags && !leaving; q++)
			if (!g->p.tags[q].set && g->q.tags[q].set) {
				buf_reset(&g->p.tags[q].v);
				buf_add(&g->p.tags[q].v, g->q.tags[q].v.p, g->q.tags[q].v.len);
				g->p.tags[q].set = 1;
				g->p.tags_raw = NULL;
			}
		store_be32(key, mid);
		store_del(g->st, g->people, key, 4); /* its log stays, under its oneid */
		schedule_forget(&g->sch, mid);
		if (roaring_bitmap_contains(g->inside, mid)) {
			roaring_bitmap_remove(g->inside, mid);
			g->inside_dirty = 1;
		}
		g->P.changed = !leaving;
	}
	if (g->P.changed && g->ndate)
		date_watch(g, ts); /* the dates the merged profile holds */
	if (g->P.changed)
		person_save(g, &g->P, &g->p);
}

/* ---- merges across streams ($fold: README "Scaling out") ---- */

static const char *jf_journey_name(void *ctx, uint32_t id)
{
	const struct journey *j = journey_of(ctx, id, NULL);

	return j ? j->name : NULL;
}

static int jf_journey_id(void *ctx, const char *name, size_t n, uint32_t *id)
{
	const struct journey *j = journey_find(&((struct sched *)ctx)->js, name, n);

	if (!j)
		return -1;
	*id = j->id;
	return 0;
}

static const char *jf_slot_name(void *ctx, uint32_t slot, size_t *n)
{
	const char *name = dict_trait_name(&((struct sched *)ctx)->names, slot);

	if (name)
		*n = strlen(name);
	return name;
}

static void jf_names(struct sched *g, struct jfold_names *nm)
{
	nm->ctx = g;
	nm->journey_name = jf_journey_name;
	nm->journey_id = jf_journey_id;
	nm->slot_name = jf_slot_name;
	nm->name_slot = name_slot;
	nm->tags = g->tagnames;
	nm->ntags = g->ntags;
	nm->segs = g->segnames;
	nm->nsegs = g->nsegs;
}

/* The merged person leaving (a $merge's leaving copy: on_merge took
 * their instances out of their journeys) as the state of their $fold:
 * found, g->Q and g->q as they are now; else null. */
static void leave_state(struct sched *g, int found)
{
	struct jfold_names nm;

	if (!g->leave_out)
		return;
	if (found) {
		jf_names(g, &nm);
		jfold_write(g->Q.inst, g->Q.ninst, &g->q, &g->L, &nm, g->leave_out);
	} else {
		buf_adds(g->leave_out, "null");
	}
	g->leave_out = NULL;
}

/* The stream s is the one handled: its clock is the one decisions use. */
static void set_stream(struct sched *g, uint32_t s)
{
	const struct pclock_stream *c = pclock_find(&g->pc, s);

	g->stream = s;
	g->clock = c ? c->clock : g->pc.base.clock;
}

/* The $merge m's time for its decisions: its ts, or the clock when later. */
static int64_t merge_ts(struct sched *g, const struct json_doc *m)
{
	int64_t ts = g->clock;

	if (!clock_parse_tok(m, json_get(m, 0, "ts", 2), &ts) && ts < g->clock)
		ts = g->clock;
	return ts;
}

/*
 * lib/fold's driver callbacks. leave: the $merge's copy for the stream of
 * the merged oneid lv (m is g->doc) ends their instances (reason
 * "merged"; the decisions' cause the survivor's $merge, as one stream has
 * it) and drops their record, as on_merge does; their state goes into out
 * (lib/jfold).
 */
static int fold_leave(void *ctx, uint32_t lv, const struct json_doc *m, uint32_t t_id, struct buf *out)
{
	struct sched *g = ctx;
	uint32_t oneid;
	char lk[16];
	int ll = u32_dec(lk, lv);

	json_oneid(m, json_get(m, 0, "oneid", 5), &oneid);
	buf_reset(&g->cause);
	json_str_get(m, t_id, &g->cause);
	if (g->cause.len > (size_t)ll + 1 && g->cause.p[g->cause.len - (size_t)ll - 1] == ':' &&
	    !memcmp(g->cause.p + g->cause.len - ll, lk, (size_t)ll)) {
		g->cause.len -= (size_t)ll + 1;
		g->cause.p[g->cause.len] = 0;
	}
	g->leave_out = out;
	on_merge(g, merge_ts(g, m), oneid, lv);
	if (g->f.fatal) {
		g->leave_out = NULL;
		return -1;
	}
	leave_state(g, 0); /* not in the list: nothing of them */
	return 0;
}

/* The survivor's $merge is applied: their record is read. */
static int fold_begin(void *ctx, const struct json_doc *m, uint32_t oneid, uint32_t t_id)
{
	struct sched *g = ctx;

	g->fold_ts = merge_ts(g, m);
	buf_reset(&g->cause);
	json_str_get(m, t_id, &g->cause);
	return person_load(g, &g->P, &g->p, oneid) < 0 ? -1 : 0;
}

/* A merged person's $fold state: their instances (ended on their own
 * stream) are kept with the survivor where it has none of that journey
 * and correlation, so re-entry rules still hold; their profile and tags
 * fold into the survivor's; as on_merge does in one stream. */
static int fold_take(void *ctx, uint32_t mid, const struct json_doc *fd, uint32_t st)
{
	struct sched *g = ctx;
	struct jfold_names nm;
	unsigned x, q;
	int r;

	jf_names(g, &nm);
	g->q.oneid = mid;
	r = jfold_read(fd, st, &nm, &g->fi, &g->q, &g->L);
	for (x = 0; x < g->fi.n; x++) {
		const struct jinst *in = &g->fi.v[x];
		const struct journey *j = journey_of(g, in->journey, NULL);
		struct jinst *s;
		if (!j || inst_find(&g->P, j, in->corr, 0))
			continue;
		s = inst_find(&g->P, j, in->corr, 1);
		jinst_copy(s, in);
		s->state = JI_DONE;
		s->wake = INT64_MIN;
		g->P.wake0[g->P.ninst - 1] = INT64_MIN;
		g->P.state0[g->P.ninst - 1] = JI_NONE;
	}
	profile_merge(&g->p, &g->q, &g->L);
	for (q = 0; q < g->L.ntags; q++)
		if (!g->p.tags[q].set && g->q.tags[q].set) {
			buf_reset(&g->p.tags[q].v);
			buf_add(&g->p.tags[q].v, g->q.tags[q].v.p, g->q.tags[q].v.len);
			g->p.tags[q].set = 1;
			g->p.tags_raw = NULL;
		}
	g->P.changed = 1;
	return r != 0;
}

/* The $merge is applied: the survivor's date triggers watch the dates
 * the merged profile holds, and their record is stored. */
static void fold_end(void *ctx, const struct json_doc *m, uint32_t t_id, int any)
{
	struct sched *g = ctx;

	(void)m;
	(void)t_id;
	if (!any || !g->P.changed)
		return;
	if (g->ndate)
		date_watch(g, g->fold_ts);
	person_save(g, &g->P, &g->p);
}

static void process(struct sched *g, const char *s, size_t n);

/* A record set aside behind a $merge, of the current stream. */
static void fold_process(void *ctx, const char *p, size_t n)
{
	struct sched *g = ctx;
	uint32_t was = g->f.stream;

	g->f.stream = g->stream; /* at the end of the input, another's */
	process(g, p, n);
	g->f.stream = was;
}

static void fold_stream(void *ctx, uint32_t st)
{
	set_stream(ctx, st);
}

static const struct fold_ops fold_ops = {
	fold_stream, fold_leave, fold_begin, fold_take, fold_end, fold_process,
};

static int fold_waiting(void *ctx)
{
	return fold_driver_waiting(&((struct sched *)ctx)->fd);
}

static void fold_input_end(void *ctx)
{
	fold_driver_end(&((struct sched *)ctx)->fd);
}

static void fold_revoked(void *ctx)
{
	fold_driver_revoked(&((struct sched *)ctx)->fd);
}

/*
 * The values of type, ts, oneid, event_id, traits and props (top[0..5], 0
 * when absent) of the record's object, as json_get gives them, in one pass
 * over its members: a key is told by its length, then its bytes. A record
 * with a key written with escapes is looked at with json_get.
 */
static void top_members(const struct json_doc *d, uint32_t top[6])
{
	static const struct {
		const char *s;
		size_t n;
	} keys[6] = {{"type", 4}, {"ts", 2}, {"oneid", 5}, {"event_id", 8}, {"traits", 6}, {"props", 5}};
	uint32_t i, k;
	int x;

	memset(top, 0, 6 * sizeof *top);
	for (k = 0, i = 1; k < d->t[0].size; k++, i = d->t[i + 1].next) {
		const struct json_tok *t = &d->t[i];
		const char *s = d->s + t->off;
		if (t->esc)
			goto slow;
		switch (t->len) {
		case 2: x = !memcmp(s, "ts", 2) ? 1 : -1; break;
		case 4: x = !memcmp(s, "type", 4) ? 0 : -1; break;
		case 5: x = !memcmp(s, "oneid", 5) ? 2 : !memcmp(s, "props", 5) ? 5 : -1; break;
		case 6: x = !memcmp(s, "traits", 6) ? 4 : -1; break;
		case 8: x = !memcmp(s, "event_id", 8) ? 3 : -1; break;
		default: x = -1;
		}
		if (x >= 0)
			top[x] = i + 1; /* json_parse lets no key come twice */
	}
	return;
slow:
	for (x = 0; x < 6; x++)
		top[x] = json_get(d, 0, keys[x].s, keys[x].n);
}

static void process(struct sched *g, const char *s, size_t n)
{
	struct json_doc *d = &g->doc;
	const char *why;
	size_t at;
	uint32_t top[6], t_type, t_ts, t_oneid, t_id, oneid, tr;
	int64_t ts;
	int sys, kind = -1, need, reprof = 0, traits;
	const char *type, *p;
	size_t tlen, pn;
	char key[16];
	int kl;

	g->f.oc.in++;
	filter_fetch_ahead(&g->f, g->people, &g->ahead);
	if (g->seen.days > 0 && filter_peek(&g->f, &p, &pn)) /* the next record's event_id */
		seen_prefetch(&g->seen, g->clock, p, pn);
	if (json_parse(d, s, n, 64, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	top_members(d, top);
	t_type = top[0];
	t_ts = top[1];
	t_oneid = top[2];
	t_id = top[3];
	g->t_props = top[5];
	if (!t_type || d->t[t_type].type != JSON_STRING || !d->t[t_type].len) {
		OUTCOME_REJECT(&g->f.oc, "no \"type\": want events with a oneid (segmenter's output)");
		return;
	}
	if (d->t[t_type].esc) {
		OUTCOME_REJECT(&g->f.oc, "invalid type: written with escapes");
		return;
	}
	if (t_id && d->t[t_id].type == JSON_STRING && d->t[t_id].esc) {
		OUTCOME_REJECT(&g->f.oc, "invalid event_id: written with escapes");
		return;
	}
	type = d->s + d->t[t_type].off;
	tlen = d->t[t_type].len;
	sys = type[0] == '$';
	if (sys && json_str_eq(d, t_type, "$tick", 5)) {
		if ((why = sysrec_check(d, 0, "$tick"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		clock_parse_tok(d, t_ts, &ts);
		g->f.oc.passed++;
		advance(g, g->f.stream, ts); /* what fell due on its stream comes before the tick */
		if (!g->f.fatal && !g->f.redo)
			filter_emit(&g->f, NULL, 0, s, n);
		return;
	}
	if (sys && json_str_eq(d, t_type, "$fold", 5)) {
		set_stream(g, g->f.stream);
		fold_driver_fold(&g->fd, d, s, n);
		return;
	}
	if (sys) {
		if (json_str_eq(d, t_type, "$merge", 6))
			kind = 3;
		else if (json_str_eq(d, t_type, "$segment", 8))
			kind = 1;
		else if (json_str_eq(d, t_type, "$tag", 4))
			kind = 2;
		if (kind < 0) { /* not ours: passed on */
			g->f.oc.passed++;
			filter_emit(&g->f, NULL, 0, s, n);
			return;
		}
		if ((why = sysrec_check(d, 0, kind == 3 ? "$merge" : kind == 1 ? "$segment" : "$tag"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
	} else {
		kind = 0;
	}
	if (json_oneid(d, t_oneid, &oneid)) {
		OUTCOME_REJECT(&g->f.oc, "no valid \"oneid\": want events with a oneid (segmenter's output)");
		return;
	}
	/* clock_parse_tok's answer, the date not read again while it stays */
	if (!t_ts || d->t[t_ts].type != JSON_STRING ||
	    clock_parse_memo(&g->tsday, d->s + d->t[t_ts].off, d->t[t_ts].len, &ts)) {
		OUTCOME_REJECT(&g->f.oc, "no valid \"ts\": want canonical events (ingest's output)");
		return;
	}
	advance(g, g->f.stream, ts);
	if (g->f.fatal || g->f.redo)
		return;
	if (kind == 3 && fold_driver_merge(&g->fd, d, s, n, oneid, ts))
		return; /* a $merge across streams (Kafka) */
	if (t_id && d->t[t_id].type == JSON_STRING) {
		int r = seen_check(&g->seen, ts, g->clock, d->s + d->t[t_id].off, d->t[t_id].len);
		if (r) {
			if (r < 0)
				g->f.fatal = EXIT_IO;
			else
				g->f.oc.dups++;
			return;
		}
	}
	g->f.oc.passed++;
	kl = u32_dec(key, oneid);
	if (filter_emit(&g->f, key, (size_t)kl, s, n))
		return;
	/* decisions are at the record's time, or the clock when it is late */
	if (ts < g->clock)
		ts = g->clock;
	buf_reset(&g->cause);
	if (t_id && d->t[t_id].type == JSON_STRING)
		buf_add(&g->cause, d->s + d->t[t_id].off, d->t[t_id].len);
	else
		buf_printf(&g->cause, "at:%lld:%u", (long long)ts, oneid);
	if (kind == 3) {
		on_merge(g, ts, oneid, 0);
		return;
	}
	tr = kind == 0 ? top[4] : 0;
	traits = tr && d->t[tr].type == JSON_OBJECT && d->t[tr].size;
	if (kind == 0) {
		g->events++;
		reprof = changes_profile(g, type, tlen, traits);
		need = reprof || trigger_type(g, type, tlen);
	} else if (kind == 1) {
		uint32_t sg = json_get(d, 0, "segment", 7);
		unsigned i;
		need = 0;
		if (g->sch.nsegs && d->t[sg].type == JSON_STRING && !d->t[sg].esc &&
		    (i = schedule_segment(&g->sch, d->s + d->t[sg].off, d->t[sg].len)) != UINT32_MAX)
			schedule_apply(&g->sch, i, oneid, json_str_eq(d, json_get(d, 0, "op", 2), "enter", 5), g->stream);
		for (i = 0; i < g->nsegs; i++)
			if (json_str_eq(d, sg, g->segnames[i], strlen(g->segnames[i])))
				need = reprof = 1;
		for (i = 0; i < g->js.n && !need; i++)
			need = g->js.v[i].trig == JT_SEGMENT && json_str_eq(d, sg, g->js.v[i].t_name, strlen(g->js.v[i].t_name));
	} else {
		uint32_t tg = json_get(d, 0, "tag", 3);
		unsigned i;
		need = 0;
		for (i = 0; i < g->ntags; i++)
			if (json_str_eq(d, tg, g->tagnames[i], strlen(g->tagnames[i])))
				need = reprof = 1;
		for (i = 0; i < g->js.n && !need; i++)
			need = g->js.v[i].trig == JT_TAG && json_str_eq(d, tg, g->js.v[i].t_name, strlen(g->js.v[i].t_name));
	}
	if (!need && !roaring_bitmap_contains(g->inside, oneid))
		return;
	if (person_load(g, &g->P, &g->p, oneid) < 0)
		return;
	if (g->P.found && g->P.stream != g->stream)
		g->P.changed = 1; /* their wake-ups move to this stream */
	if (reprof) {
		g->P.changed = 1;
		if (kind == 0) {
			g->evdoc = &g->doc;
			profile_apply_at(&g->p, &g->L, d, 0, top[5], top[4], type, tlen, ts, name_slot,
					 where_match, g);
		} else if (kind == 1) {
			uint32_t sg = json_get(d, 0, "segment", 7), op = json_get(d, 0, "op", 2);
			unsigned i;
			for (i = 0; i < g->nsegs; i++)
				if (json_str_eq(d, sg, g->segnames[i], strlen(g->segnames[i]))) {
					struct prof_tag *t = &g->p.tags[g->ntags + i];
					t->set = json_str_eq(d, op, "enter", 5);
					buf_reset(&t->v);
					if (t->set)
						buf_adds(&t->v, "true");
					g->p.tags_raw = NULL;
				}
		} else {
			uint32_t tg = json_get(d, 0, "tag", 3), nv = json_get(d, 0, "new", 3);
			unsigned i;
			for (i = 0; i < g->ntags; i++)
				if (json_str_eq(d, tg, g->tagnames[i], strlen(g->tagnames[i]))) {
					struct prof_tag *t = &g->p.tags[i];
					buf_reset(&t->v);
					t->set = d->t[nv].type != JSON_NULL;
					if (t->set)
						json_write_tok(d, nv, &t->v);
					g->p.tags_raw = NULL;
				}
		}
	}
	on_person_record(g, ts, type, tlen, kind == 0, NULL);
	triggers(g, ts, type, tlen, kind);
	if (reprof && g->ndate)
		date_watch(g, ts);
	g->evdoc = NULL;
	if (g->P.changed)
		person_save(g, &g->P, &g->p);
}

static void on_record(void *ctx, const char *p, size_t n)
{
	struct sched *g = ctx;

	/* a stream waiting for a merge's $folds: what comes after the
	 * $merge waits too */
	if (fold_driver_aside(&g->fd, g->f.stream, p, n))
		return;
	process(g, p, n);
}

/* ---- state ---- */

static void before_commit_state(struct sched *g)
{
	pclock_save(&g->pc);
	if (g->inside_dirty) {
		size_t sz;
		char *b;
		roaring_bitmap_run_optimize(g->inside);
		sz = roaring_bitmap_portable_size_in_bytes(g->inside);
		b = xmalloc(sz + 1);
		roaring_bitmap_portable_serialize(g->inside, b);
		store_put(g->st, g->state, "inside", 6, b, sz);
		free(b);
		g->inside_dirty = 0;
	}
	jcount_save(&g->cnt, g->st, g->counts);
	schedule_save(&g->sch, g->st, g->membdb, g->state, &g->js);
	dict_save(&g->names);
}

static int before_commit(void *ctx)
{
	struct sched *g = ctx;

	/* the set serves every stream: what the stream furthest behind may
	 * still meet stays */
	seen_prune(&g->seen, pclock_min(&g->pc));
	log_flush(g);
	jlog_save(&g->jl);
	before_commit_state(g);
	return 0;
}

static void after_commit(void *ctx)
{
	timer_committed(&((struct sched *)ctx)->tm);
}

static int load_state(struct sched *g)
{
	MDB_val v;
	unsigned i;

	if (pclock_load(&g->pc, g->st, g->state, NULL))
		return -1;
	g->clock = pclock_max(&g->pc);
	g->inside = NULL;
	if (store_get(g->st, g->state, "inside", 6, &v) == 1)
		g->inside = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
	if (!g->inside)
		g->inside = roaring_bitmap_create();
	for (i = 0; i < g->js.n; i++) {
		char k[300];
		int n = snprintf(k, sizeof k, "paused:%s", g->js.v[i].name);
		g->paused[i] = store_get(g->st, g->state, k, (size_t)n, &v) == 1;
	}
	return 0;
}

/* Record each definition's text under its version (what decided). */
static void defs_save(struct sched *g)
{
	unsigned i;

	for (i = 0; i < g->js.n; i++) {
		const struct journey *j = &g->js.v[i];
		char k[300];
		MDB_val v;
		int n = snprintf(k, sizeof k, "%s:%s", j->name, j->version);
		if (store_get(g->st, g->defs, k, (size_t)n, &v) != 1)
			store_put(g->st, g->defs, k, (size_t)n, j->canon, strlen(j->canon));
	}
}

/* ---- the filter ---- */

static int run_filter(struct sched *g)
{
	int rc, i;

	if ((rc = filter_open(&g->f)))
		return rc;
	defs_save(g);
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++)
		rc = filter_run(&g->f, g->cli.in[i]);
	rc = filter_close(&g->f, rc);
	if (g->cli.verbose) {
		outcome_print(&g->f.oc, "skipped");
		fprintf(stderr, "%s: %llu events, %llu wake-ups fired, %llu entered, %llu exits, %llu sends\n",
			cli_prog, g->events, g->fired, g->entered, g->exits, g->sends);
		fold_driver_print(&g->fd);
		store_print(g->st);
	}
	return rc;
}

/* ---- operations ---- */

static struct journey *journey_arg(struct sched *g, const char *name)
{
	struct journey *j = journey_find(&g->js, name, strlen(name));

	if (!j)
		cli_err("no journey '%s' in '%s'", name, g->jdir);
	return j;
}


static int op_list(struct sched *g)
{
	inside_from_counts(g);
	jstatus_list(stdout, &g->js, g->paused, g->inside_n);
	return 0;
}

/* How long status waits for the brokers: UOPS_KAFKA_CONNECT_MS, else 5 s. */
static int status_timeout(void)
{
	const char *t = getenv("UOPS_KAFKA_CONNECT_MS");
	return t && *t ? atoi(t) : 5000;
}

static int op_status(struct sched *g, int argc, char **argv)
{
	const struct journey *only = NULL;

	if (argc > 1) {
		cli_err("usage: scheduler status [JOURNEY]");
		return EXIT_USAGE;
	}
	if (argc && !(only = journey_arg(g, argv[0])))
		return EXIT_USAGE;
	/* a line per stream: its clock and the wake-ups filed under it; "*"
	 * for where a stream not met yet starts (a store of one clock) */
	if (!only)
		jstatus_streams(stdout, &g->pc, g->st, g->tm.dbi);
	if (jstatus_journeys(stdout, g->st, g->people, &g->js, only, &g->L, &g->P, &g->p, &g->cnt))
		return EXIT_IO;
	if (only)
		return 0;
	fflush(stdout);
	store_read_end(g->st);
	return handoff_status(&g->ho, g->cli.nin ? g->cli.in[0] : NULL, g->f.group, g->cli.x, g->cli.nx,
			      status_timeout(), stdout);
}

/* ---- partitions: state that moves with its partition ---- */

/* The stream a scheduler.people value names (format 1: stream 0). */
static int person_stream(void *ctx, const void *v, size_t n, uint32_t *stream)
{
	(void)ctx;
	return jperson_stream(v, n, stream);
}

static int op_partition(struct sched *g, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "";
	int rc;

	if (!strcmp(what, "export") || !strcmp(what, "drop")) {
		if (g->nparts != 1 || argc != 1) {
			cli_err("usage: scheduler partition %s --partition N", what);
			return EXIT_USAGE;
		}
		if (!strcmp(what, "drop"))
			return handoff_drop(&g->ho, (uint32_t)g->parts[0]);
		return handoff_export(&g->ho, (uint32_t)g->parts[0], stdout, "<stdout>");
	}
	if (!strcmp(what, "import") && argc == 2) {
		FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
		if (!in) {
			cli_err("partition import: cannot open '%s': %s", argv[1], strerror(errno));
			return EXIT_IO;
		}
		rc = handoff_import(&g->ho, in, argv[1]);
		if (in != stdin)
			fclose(in);
		return rc;
	}
	cli_err("usage: scheduler partition export --partition N | import FILE | drop --partition N");
	return EXIT_USAGE;
}

static int op_explain(struct sched *g, int argc, char **argv)
{
	struct jlog_dbs dbs;
	uint32_t oneid;
	char *end;
	unsigned long u;
	const struct journey *only = NULL;

	if (argc < 1 || argc > 2) {
		cli_err("usage: scheduler explain ONEID [JOURNEY]");
		return EXIT_USAGE;
	}
	errno = 0;
	u = strtoul(argv[0], &end, 10);
	if (*end || !u || u > UINT32_MAX || errno) {
		cli_err("'%s': not a oneid", argv[0]);
		return EXIT_USAGE;
	}
	oneid = (uint32_t)u;
	if (argc == 2 && !(only = journey_arg(g, argv[1])))
		return EXIT_USAGE;
	dbs.dlog = g->dlogdb;
	dbs.decisions = g->logdb;
	dbs.log = g->oldlog;
	dbs.no_dlog = g->no_dlog;
	dbs.no_decisions = g->no_decisions;
	dbs.no_log = g->has_oldlog != 0;
	switch (jexplain_decisions(stdout, g->st, g->people, &dbs, oneid, only)) {
	case -1:
		return EXIT_IO;
	case 0:
		cli_err("no person %u in scheduler.people, and no decisions about them", oneid);
		return EXIT_REJECTS;
	}
	/* where each instance stands now */
	jexplain_now(stdout, g->st, g->people, oneid, &g->js, only, &g->L, &g->P, &g->p);
	return 0;
}

static int op_pause(struct sched *g, int argc, char **argv, int on)
{
	const struct journey *j;
	char k[300];
	int n;

	if (argc != 1) {
		cli_err("usage: scheduler %s JOURNEY", on ? "pause" : "resume");
		return EXIT_USAGE;
	}
	if (!(j = journey_arg(g, argv[0])))
		return EXIT_USAGE;
	n = snprintf(k, sizeof k, "paused:%s", j->name);
	if (on)
		store_put(g->st, g->state, k, (size_t)n, "1", 1);
	else
		store_del(g->st, g->state, k, (size_t)n);
	return store_commit(g->st);
}

static int op_draw(struct sched *g, int argc, char **argv)
{
	const struct journey *j;
	struct buf t = BUF_INIT;

	if (argc != 1) {
		cli_err("usage: scheduler draw JOURNEY --dot");
		return EXIT_USAGE;
	}
	if (!(j = journey_arg(g, argv[0])))
		return EXIT_USAGE;
	journey_dot(j, &t);
	fwrite(t.p, 1, t.len, stdout);
	buf_release(&t);
	return 0;
}

/* tick: $tick records of the wall clock, for live use (the one place
 * the wall clock enters: the clock of the records it writes). */
static int op_tick(struct sched *g)
{
	int64_t every = 60000;

	if (g->every && (clock_parse_duration(g->every, &every) || every <= 0)) {
		cli_err("--every '%s': want a duration such as 1m, 10s, 500ms", g->every);
		return EXIT_USAGE;
	}
	return ticker_run(g->cli.out, g->cli.x, g->cli.nx, every, g->tick_count);
}

/* ---- main ---- */

static int handle(void *ctx, int key, const char *arg)
{
	struct sched *g = ctx;

	switch (key) {
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_JOURNEYS: g->jdir = xstrdup(arg); break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_BATCH:
		return cli_long("batch", arg, 1, &g->batch);
	case OPT_DEDUPE:
		return cli_long("dedupe-days", arg, 0, &g->seen.days);
	case OPT_COMMIT_MS:
		return cli_long("commit-ms", arg, 0, &g->commit_ms);
	case OPT_NOSYNC: g->nosync = 1; break;
	case OPT_RESUME: g->resume = 1; break;
	case OPT_DOT: g->dot = 1; break;
	case OPT_NOLOG: g->nolog = 1; break;
	case OPT_EVERY: g->every = arg; break;
	case OPT_COUNT:
		return cli_long("count", arg, 1, &g->tick_count);
	case 'e': g->exit_at_end = 1; break;
	case OPT_PARTITIONS:
		if ((g->nparts = kafka_parse_partitions(arg, g->parts, 1024)) < 0) {
			cli_err("--partitions wants partition numbers: 0,1 or 0-3 ('%s')", arg);
			return EXIT_USAGE;
		}
		break;
	}
	return 0;
}

static void defs_free(struct sched *g)
{
	unsigned i;

	for (i = 0; g->jhead && i < g->js.n; i++)
		buf_release(&g->jhead[i]);
	free(g->jhead);
	g->jhead = NULL;
	journeys_release(&g->js);
	agg_set_release(&g->aggs);
	for (i = 0; i < g->ntags; i++)
		free(g->tagnames[i]);
	free(g->tagnames);
	for (i = 0; i < g->nsegs; i++)
		free(g->segnames[i]);
	free(g->segnames);
	defnames_release(&g->up);
	free(g->tag_slots);
	profile_layout_release(&g->L);
	dict_release(&g->names);
	jcount_release(&g->cnt);
	free(g->inside_n);
	free(g->paused);
	for (i = 0; i < g->nzones; i++) {
		free(g->zones[i].name);
		if (g->zones[i].z)
			tz_free(g->zones[i].z);
	}
	free(g->zones);
	if (g->inside)
		roaring_bitmap_free(g->inside);
	pclock_free(&g->pc);
	schedule_release(&g->sch);
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

int main(int argc, char **argv)
{
	static struct sched G;
	struct sched *g = &G;
	const char *cmd = NULL;
	char scratch[] = "/tmp/uops-dry-run-XXXXXX";
	int rc, code, ro = 0;

	g->cli.prog = "scheduler";
	g->cli.synopsis = "[options] [FILE…] | dry-run [FILE…] | list | status [JOURNEY] | explain ONEID [JOURNEY] | "
			  "pause JOURNEY | resume JOURNEY | draw JOURNEY --dot | tick [--every DUR] | "
			  "partition export --partition N | partition import FILE | partition drop --partition N";
	g->cli.summary = "Move people through journeys as events arrive and time passes; write $journey and $send records.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->batch = 262144;
	g->seen.days = 2;
	g->commit_ms = 1000;
	clock_memo_init(&g->tsday);
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (g->cli.nrest) {
		static const char *const cmds[] = {"list", "status", "explain", "pause", "resume", "draw", "dry-run", "tick",
						   "partition", NULL};
		int k;
		for (k = 0; cmds[k] && strcmp(cmds[k], g->cli.rest[0]); k++)
			;
		if (cmds[k]) {
			cmd = cmds[k];
		}
		if (!cmds[k] || !strcmp(cmds[k], "dry-run")) {
			for (k = cmd ? 1 : 0; k < g->cli.nrest && g->cli.nin < CLI_MAX_IN; k++)
				g->cli.in[g->cli.nin++] = g->cli.rest[k];
		}
	}
	if (cmd && !strcmp(cmd, "tick")) {
		rc = op_tick(g);
		goto out;
	}
	if (cmd && !strcmp(cmd, "dry-run")) {
		/* the definitions over a past log into a scratch store: what
		 * would have been sent to whom and when */
		if (!mkdtemp(scratch)) {
			cli_err("cannot make a scratch store '%s': %s", scratch, strerror(errno));
			return EXIT_IO;
		}
		g->cli.db = scratch;
		g->cli.out = "/dev/null";
		g->dry = 1;
		g->nosync = 1;
		g->nolog = 1;
	}
	g->pipelines = conf_pipelines(g->pipelines);
	ro = cmd && (!strcmp(cmd, "list") || !strcmp(cmd, "status") || !strcmp(cmd, "explain") || !strcmp(cmd, "draw") ||
		     (!strcmp(cmd, "partition") && g->cli.nrest > 1 && !strcmp(g->cli.rest[1], "export")));
	if (ro && access(g->cli.db, F_OK)) {
		if (strcmp(cmd, "draw") && strcmp(cmd, "list")) {
			cli_err("no state in '%s' (run scheduler on a stream first)", g->cli.db);
			rc = EXIT_USAGE;
			goto out;
		}
		/* the definitions alone: numbered in a scratch store */
		if (!mkdtemp(scratch)) {
			cli_err("cannot make a scratch store '%s': %s", scratch, strerror(errno));
			rc = EXIT_IO;
			goto out;
		}
		g->cli.db = scratch;
		g->scratch = 1;
		g->nosync = 1;
		ro = 0;
	}
	g->st = store_open(g->cli.db, "scheduler", (g->nosync ? STORE_NOSYNC : 0) | (ro ? STORE_RDONLY : 0), &code);
	if (!g->st) {
		rc = code;
		goto out;
	}
	if (store_dbi(g->st, "scheduler.people", 0, &g->people) ||
	    (g->no_decisions = store_dbi_opt(g->st, "scheduler.decisions", 0, &g->logdb)) < 0 ||
	    (g->has_oldlog = store_dbi_opt(g->st, "scheduler.log", 0, &g->oldlog)) < 0 ||
	    (ro ? (g->no_dlog = store_dbi_opt(g->st, "scheduler.dlog", 0, &g->dlogdb)) < 0
		: store_dbi(g->st, "scheduler.dlog", 0, &g->dlogdb)) ||
	    store_dbi(g->st, "scheduler.state", 0, &g->state) || store_dbi(g->st, "scheduler.defs", 0, &g->defs) ||
	    store_dbi(g->st, "scheduler.counts", 0, &g->counts) || (ro ? (g->no_members = store_dbi_opt(g->st, "scheduler.members", 0, &g->membdb)) < 0
	       : store_dbi(g->st, "scheduler.members", 0, &g->membdb)) ||
	    store_dbi(g->st, "scheduler.dict", 0, &g->names.dbi) || timer_open(&g->tm, g->st, "scheduler.timers") ||
	    (!ro && seen_open(&g->seen, g->st, "scheduler.seen"))) {
		rc = EXIT_IO;
		goto out;
	}
	g->names.st = g->st;
	g->names.ns = "atg";
	jlog_init(&g->jl, g->st, g->dlogdb);
	store_cache(g->st, g->people); /* read a page at a time, kept across commits */
	if (store_journal(g->st, g->people, "scheduler.journal") || dict_load(&g->names)) {
		rc = EXIT_IO;
		goto out;
	}
	if (!cmd || !strcmp(cmd, "status") || !strcmp(cmd, "partition")) {
		static const struct handoff_db moves[] = {
			{"scheduler.people", HANDOFF_PERSON},
			{"scheduler.timers", HANDOFF_STREAM},
			{"scheduler.dlog", HANDOFF_STREAM},
			{"scheduler.decisions", HANDOFF_KEYED, .at = 4, .earlier = 1},
			{"scheduler.log", HANDOFF_KEYED, .earlier = 1},
			{"scheduler.members", HANDOFF_SUFFIX},
			{"scheduler.state", HANDOFF_CLOCK, .key = "clock:%u"},
			{"scheduler.state", HANDOFF_BITMAP, .key = "inside"},
			{"scheduler.state", HANDOFF_SUFFIX, .key = "schedule:"},
			{"scheduler.defs", HANDOFF_AGREE},
			{"scheduler.dict", HANDOFF_AGREE},
			{"scheduler.seen", HANDOFF_SEEN},
		};
		g->ho.st = g->st;
		g->ho.tool = "scheduler";
		g->ho.dbs = moves;
		g->ho.ndbs = sizeof moves / sizeof *moves;
		g->ho.person_stream = person_stream;
		g->ho.ctx = g;
		if (handoff_open(&g->ho)) {
			rc = EXIT_IO;
			goto out;
		}
	}
	/* every definition compiles before anything is written */
	if ((rc = load_defs(g)))
		goto out;
	if (load_state(g) || jcount_load(&g->cnt, g->st, g->counts)) {
		rc = EXIT_IO;
		goto out;
	}
	schedule_load(&g->sch, g->st, g->membdb, g->no_members, g->state, &g->js);
	if (!ro)
		inside_from_counts(g);
	g->seen.st = g->st;
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-scheduler";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.exit_at_end = g->exit_at_end;
	g->f.resume = g->resume;
	g->f.parts = g->parts;
	g->f.nparts = g->nparts;
	g->f.fence = 1;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.waiting = fold_waiting;
	g->f.end_input = fold_input_end;
	g->f.revoked = fold_revoked;
	g->f.ctx = g;
	g->fd.ops = &fold_ops;
	g->fd.ctx = g;
	g->fd.f = &g->f;
	g->fd.seen = &g->seen;
	g->fd.stream = &g->stream;
	g->fd.clock = &g->clock;
	if (!cmd || !strcmp(cmd, "dry-run")) {
		rc = run_filter(g);
		if (g->dry && !rc) {
			unsigned i;
			fflush(stdout);
			for (i = 0; i < g->cnt.n; i++)
				if (g->cnt.v[i].n) {
					char *k = xstrdup(g->cnt.v[i].key), *t1 = strchr(k, '\t'), *t2 = strchr(t1 + 1, '\t');
					*t1 = *t2 = 0;
					fprintf(stderr, "scheduler: dry run: %s%s%s %s %llu\n", k, t1[1] ? "/" : "", t1 + 1,
						t2 + 1, g->cnt.v[i].n);
					free(k);
				}
		}
	} else if (!strcmp(cmd, "list")) {
		rc = op_list(g);
	} else if (!strcmp(cmd, "status")) {
		rc = op_status(g, g->cli.nrest - 1, g->cli.rest + 1);
	} else if (!strcmp(cmd, "explain")) {
		rc = op_explain(g, g->cli.nrest - 1, g->cli.rest + 1);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		rc = op_pause(g, g->cli.nrest - 1, g->cli.rest + 1, !strcmp(cmd, "pause"));
	} else if (!strcmp(cmd, "draw")) {
		rc = op_draw(g, g->cli.nrest - 1, g->cli.rest + 1);
	} else if (!strcmp(cmd, "partition")) {
		rc = op_partition(g, g->cli.nrest - 1, g->cli.rest + 1);
	}
out:
	if ((ro || g->scratch) && g->st)
		store_discard(g->st);
	seen_free(&g->seen);
	handoff_free(&g->ho);
	timer_release(&g->tm);
	if (g->st)
		store_close(g->st);
	outcome_close(&g->f.oc);
	defs_free(g);
	profile_release(&g->p);
	profile_release(&g->q);
	jperson_release(&g->P);
	jperson_release(&g->Q);
	json_doc_release(&g->doc);
	json_doc_release(&g->pdoc);
	jfold_insts_release(&g->fi);
	fold_driver_free(&g->fd);
	buf_release(&g->cause);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->rec);
	buf_release(&g->logb);
	buf_release(&g->lp);
	buf_release(&g->lbase.cause);
	buf_release(&g->lbase.name);
	jlog_release(&g->jl);
	if (g->dry || g->scratch)
		nftw(scratch, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return cli_stdout_close(rc);
}
