/*
 * tagger - one profile per person, and tags that follow events and time.
 *
 * Reads idmerge's output (events with "oneid"), keeps a compact binary
 * profile per oneid (lib/profile: traits, first/last seen, the aggregates
 * the tag definitions ask for), evaluates the tags of the JSON files in pipelines/tags
 * (lib/cond) after every event and writes the event on, followed by a $tag
 * record for every tag whose value changed. $merge folds the merged
 * profiles into the survivor (across Kafka partitions by $fold records,
 * lib/fold); $tick advances the clock and, when a new UTC
 * day begins, re-evaluates the people whose deadline falls due (a person
 * turns dormant with no event at all). Each input stream (a Kafka
 * partition; a file is one) has a clock of its own (lib/pclock): a
 * person's tags are evaluated on the clock of the stream their records
 * came by, and a $tick moves its stream's clock alone. Rank tags (RFM
 * quintiles, the VIP decile) compare with population facts that `tagger
 * recompute` refreshes.
 * State: the tagger.* DBs, see schemas/lmdb.md.
 */
#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cond.h"
#include "conf.h"
#include "dict.h"
#include "due.h"
#include "filter.h"
#include "fold.h"
#include "handoff.h"
#include "hash.h"
#include "json.h"
#include "outcome.h"
#include "pclock.h"
#include "profile.h"
#include "seen.h"
#include "store.h"
#include "tagdefs.h"
#include "sysrec.h"

#include <roaring/roaring.h>

enum {
	OPT_PIPELINES = 300,
	OPT_TAGS,
	OPT_GROUP,
	OPT_BATCH,
	OPT_DEDUPE,
	OPT_COMMIT_MS,
	OPT_NOSYNC,
	OPT_RESUME,
	OPT_AT,
	OPT_FIELDS,
	OPT_FORMAT,
	OPT_THREADS,
	OPT_EVAL_ALL,
	OPT_PARTITIONS,
	OPT_RANKS,
};

static const struct cli_opt opts[] = {
	{"tags", OPT_TAGS, 1, "DIR", "tag definitions (default PIPELINES/tags)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-tagger)"},
	{"dedupe-days", OPT_DEDUPE, 1, "N", "skip records whose event_id was applied in the last N days of event time (default 2; 0: off)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 262144)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000)"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end (a batch run: without --partitions, every partition, outside the group)"},
	{"partitions", OPT_PARTITIONS, 1, "LIST", "Kafka: take exactly these partitions of the input (0,1 or 0-3), no rebalancing; partition export, drop: the partition"},
	{"resume", OPT_RESUME, 0, NULL, "files: skip the lines of each input already committed by an earlier run"},
	{"at", OPT_AT, 1, "TIME", "sweep, recompute, ranks, show, export: the clock (default the stream's)"},
	{"fields", OPT_FIELDS, 1, "LIST", "export: comma-separated tags, aggregates, trait.NAME, oneid, events, first_seen, last_seen"},
	{"format", OPT_FORMAT, 1, "FMT", "export: ndjson (default) or csv"},
	{"threads", OPT_THREADS, 1, "N", "sweeps: evaluate profiles in N threads (default: the CPUs this process may use, at most 8)"},
	{"eval-all", OPT_EVAL_ALL, 0, NULL, "evaluate every tag each time, also those whose inputs did not change (the same output, slower)"},
	{"ranks", OPT_RANKS, 1, "FILES", "recompute: rank cut points over the values in these files (tagger ranks of every store, comma-separated) instead of this store's people alone"},
	{0, 0, 0, 0, 0},
};

struct tagger {
	struct cli cli;
	const char *pipelines, *tags_dir, *group, *at, *fields, *format;
	long batch, commit_ms, threads;
	int nosync, exit_at_end, resume, eval_all;
	const char *ranks;  /* recompute --ranks: the files of rank values */
	int same_defs;     /* the profiles' tags were computed by these
			    * definitions: evaluations may skip a tag whose
			    * inputs did not change */

	struct store *st;
	MDB_dbi profiles, dict, facts, state, duedb;
	/* deadlines (lib/due): per person the first day one of their tags
	 * changes with time alone, filed under the person's stream and fired
	 * as that stream's clock enters it */
	struct due due;
	int due_live;      /* a writer: the index is read and kept */
	int due_ok;        /* it holds every profile's deadline, computed by
			    * these definitions */
	unsigned long long fired_people;
	int timed_eval;    /* this evaluation evaluated a timed tag */
	int quiet;         /* show, export: evaluate, emit nothing */
	struct buf dval;   /* next_due: a tag's value on a later day */
	int64_t render_clock; /* jq: the clock of the evaluation */
	struct filter f;
	struct filter_ahead ahead;
	struct seen seen;
	/* partitions: the static assignment, and the state that moves with a
	 * partition (lib/handoff) */
	int32_t parts[1024];
	int nparts;
	struct handoff ho;
	/* merges across streams: the $merges waiting for their $folds, the
	 * records set aside behind them (lib/fold) */
	struct fold_driver fd;

	/* definitions (lib/tagdefs) */
	struct tagdefs d;

	/* dictionary, by namespace: a(ggregates) t(raits) g (tags) */
	struct dict names;

	/* a clock per stream (the input's partition; 0 for files): a
	 * person's tags are evaluated on their stream's clock (lib/pclock);
	 * the mark is the day up to which the stream's deadlines fired */
	struct pclock pc;
	uint32_t stream;   /* the stream of the record being handled */
	int64_t clock;     /* its clock (ms), INT64_MIN before any: the time of
			    * what is being evaluated; outside the filter, the
			    * latest clock of all streams */
	int64_t swept_day; /* the day of the last sweep */

	struct profile p, q;
	/* aggregate results of the profile being evaluated */
	unsigned char *memo_state;
	struct aggres *memo;
	/* this evaluation: per aggregate 0 not looked at, 1 same, 2 changed;
	 * per tag, changed; traits_set: the event set traits */
	unsigned char *agg_chg, *tag_chg;
	int traits_set;
	uint32_t ev_props; /* the token of the event's props (0: none) */
	const struct profile *memo_profile;
	int64_t memo_clock;
	unsigned long long memo_gen, gen;
	struct json_doc doc;
	struct buf rec, line, tmp, val, cause;
	struct buf idpfx;        /* rec_start: the parts of the evaluation's records */
	size_t head_len;
	char key[16];            /* the oneid's digits */
	size_t keylen;
	int idpfx_ok;            /* they are this evaluation's */
	int cause_sweep;         /* the cause is the sweep (else cause) */
	int64_t ts_clock;        /* emit_tag: the clock ts_text shows */
	char ts_text[CLOCK_ISO_LEN + 1];
	unsigned long long events, merges, ticks, tagged, sweeps, swept;
	uint32_t cur_oneid;
	struct buf *sink; /* a sweep thread's records ([klen][len][key][line]), not the output */
	char swpfx[40];   /* "sweep:CLOCK:", the cause of a sweep's records but the oneid */
	size_t swpfx_len;
	int64_t swpfx_clock;
};

/* ---- dictionary ---- */

static uint32_t name_slot(void *ctx, const char *name, size_t n)
{
	return dict_trait(&((struct tagger *)ctx)->names, name, n);
}

/* ---- definitions ---- */




static int load_defs(struct tagger *g)
{
	if (!g->tags_dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/tags", g->pipelines);
		g->tags_dir = xstrdup(path);
	}
	return tagdefs_load(&g->d, g->tags_dir);
}

/* Give the definitions their dictionary numbers; load rank facts. */
static int bind_defs(struct tagger *g)
{
	return tagdefs_bind(&g->d);
}

/* ---- evaluation ---- */

static void render_profile(struct tagger *g, const struct profile *p, int64_t clock, struct buf *out);

static void env_render(void *ctx, struct buf *out)
{
	struct tagger *g = ctx;
	render_profile(g, &g->p, g->render_clock, out);
}

static void env_init(struct tagger *g, struct cond_env *e, const struct profile *p, int64_t clock)
{
	memset(e, 0, sizeof *e);
	e->p = p;
	e->L = &g->d.L;
	e->clock = clock;
	e->ctx = g;
	e->render = env_render;
	g->render_clock = clock;
	if (g->memo_profile == p && g->memo_clock == clock && g->memo_gen == g->gen) {
		e->memo_state = g->memo_state;
		e->memo = g->memo;
	}
}

/* Start a memo of aggregate results for p at clock (valid until p
 * changes: memo_forget). */
static void memo_start(struct tagger *g, const struct profile *p, int64_t clock)
{
	if (!g->memo_state) {
		g->memo_state = xcalloc(g->d.aggs.n + 1, 1);
		g->memo = xcalloc(g->d.aggs.n + 1, sizeof *g->memo);
	}
	memset(g->memo_state, 0, g->d.aggs.n + 1);
	g->memo_profile = p;
	g->memo_clock = clock;
	g->memo_gen = ++g->gen;
}

static void memo_forget(struct tagger *g)
{
	g->memo_profile = NULL;
}

static int where_match(void *ctx, const struct agg_spec *s, const struct json_doc *d, uint32_t ev)
{
	struct tagger *g = ctx;
	struct cond_env e;

	env_init(g, &e, &g->p, g->clock);
	e.doc = d;
	e.ev = ev;
	if (d == &g->doc && ev == 0) { /* the event process() read */
		e.props = g->ev_props;
		e.props_set = 1;
	}
	return cond_eval(s->where, &e);
}

/* The tag's value for profile p at clock, as JSON text in out (empty: unset). */
static void tag_value(struct tagger *g, const struct tagdef *t, const struct profile *p,
		      int64_t clock, struct buf *out)
{
	struct cond_env e;
	struct cval v;
	unsigned i;

	buf_reset(out);
	env_init(g, &e, p, clock);
	switch (t->type) {
	case TAGDEF_BOOL:
		if (t->when) {
			if (cond_eval(t->when, &e))
				buf_add(out, "true", 4);
			else
				buf_add(out, "false", 5);
			return;
		}
		break;
	default:
		break;
	}
	if (t->cases) {
		for (i = 0; i < t->ncases; i++)
			if (cond_eval(t->cases[i].when, &e)) {
				buf_add(out, t->cases[i].value, t->cases[i].vlen);
				break;
			}
		if (i == t->ncases && t->else_v)
			buf_add(out, t->else_v, t->else_len);
		if (out->len == 4 && !memcmp(out->p, "null", 4))
			buf_reset(out);
		return;
	}
	if (t->value) {
		cexpr_eval(t->value, &e, &v);
		if ((t->type == TAGDEF_NUMBER && v.k == CV_NUM && isfinite(v.num)) ||
		    (t->type == TAGDEF_STRING && v.k == CV_STR))
			cval_write(&v, out);
		return;
	}
	if (t->rank_of && t->ncuts) {
		unsigned score = 1;
		if (t->rank_where && !cond_eval(t->rank_where, &e))
			return;
		cexpr_eval(t->rank_of, &e, &v);
		if (v.k != CV_NUM)
			return;
		for (i = 0; i < t->ncuts; i++)
			score += t->rank_desc ? v.num < t->cuts[i] : v.num > t->cuts[i];
		buf_u64(out, score);
	}
}

/* The parts this evaluation's records share, built at its first record:
 * idpfx holds `{"type":"$tag","event_id":"tag:CAUSE:` (head_len bytes,
 * the tag's name follows), then `","ts":"TS","oneid":N,"tag":"`; key
 * holds N's digits. */
static void rec_start(struct tagger *g, uint32_t oneid, int64_t clock)
{
	if (clock != g->ts_clock || !g->ts_text[0]) {
		clock_format(clock, g->ts_text);
		g->ts_clock = clock;
	}
	buf_reset(&g->tmp);
	buf_adds(&g->tmp, "tag:");
	if (g->cause_sweep) {
		if (!g->swpfx_len || g->swpfx_clock != clock) {
			int n = snprintf(g->swpfx, sizeof g->swpfx, "sweep:%lld:", (long long)clock);
			g->swpfx_len = (size_t)n;
			g->swpfx_clock = clock;
		}
		buf_add(&g->tmp, g->swpfx, g->swpfx_len);
		buf_u64(&g->tmp, oneid);
	} else {
		buf_add(&g->tmp, g->cause.p ? g->cause.p : "", g->cause.len);
	}
	buf_addc(&g->tmp, ':');
	buf_reset(&g->idpfx);
	buf_adds(&g->idpfx, "{\"type\":\"$tag\",\"event_id\":");
	json_write_str(&g->idpfx, g->tmp.p, g->tmp.len);
	g->idpfx.len--; /* open: the tag's name (plain text) follows */
	g->head_len = g->idpfx.len;
	buf_adds(&g->idpfx, "\",\"ts\":\"");
	buf_adds(&g->idpfx, g->ts_text);
	buf_adds(&g->idpfx, "\",\"oneid\":");
	buf_u64(&g->idpfx, oneid);
	buf_adds(&g->idpfx, ",\"tag\":\"");
	g->keylen = (size_t)u32_dec(g->key, oneid);
	g->idpfx_ok = 1;
}

static void emit_tag(struct tagger *g, uint32_t oneid, const struct tagdef *t, const struct buf *old,
		     const struct buf *nw, int64_t clock)
{
	struct buf *b = g->sink ? g->sink : &g->line;
	size_t at = 0;

	/* one evaluation's records share the clock, the cause and the oneid
	 * (evaluate resets idpfx_ok) */
	if (g->quiet)
		return;
	if (!g->idpfx_ok)
		rec_start(g, oneid, clock);
	if (g->sink) {
		/* [klen][len][key][line], len filled in at the end */
		uint32_t h[2] = {(uint32_t)g->keylen, 0};
		buf_add(b, (const char *)h, sizeof h);
		buf_add(b, g->key, g->keylen);
		at = b->len;
	} else {
		buf_reset(b);
	}
	buf_add(b, g->idpfx.p, g->head_len);
	buf_add(b, t->name, t->nlen);
	buf_add(b, g->idpfx.p + g->head_len, g->idpfx.len - g->head_len);
	buf_add(b, t->name, t->nlen);
	buf_add(b, "\",\"old\":", 8);
	if (old->len)
		buf_add(b, old->p, old->len);
	else
		buf_add(b, "null", 4);
	buf_add(b, ",\"new\":", 7);
	if (nw->len)
		buf_add(b, nw->p, nw->len);
	else
		buf_add(b, "null", 4);
	buf_addc(b, '}');
	g->tagged++;
	if (g->sink) {
		uint32_t len = (uint32_t)(b->len - at);
		memcpy(b->p + at - g->keylen - 4, &len, 4);
		return;
	}
	filter_emit(&g->f, g->key, g->keylen, b->p, b->len);
}

/*
 * Can tag t keep the value p holds, at clock? Its value was computed at a
 * clock no earlier than p's last event, by these definitions (same_defs).
 * It stays right while nothing the tag reads changed since: no aggregate
 * it reads took an event or a merge since p was read, or has a day that
 * left its window by clock; no trait it reads was set; no tag it reads
 * changed in this evaluation; and it does not read the clock itself.
 */
static int inputs_same(struct tagger *g, const struct tagdef *t, const struct profile *p, int64_t clock)
{
	unsigned k;

	if (t->rd_clock || (t->rd_trait && g->traits_set))
		return 0;
	for (k = 0; k < t->nrd_tag; k++)
		if (g->tag_chg[t->rd_tag[k]])
			return 0;
	for (k = 0; k < t->nrd_agg; k++) {
		unsigned ix = t->rd_agg[k];
		if (!g->agg_chg[ix]) {
			const struct aggval *a = &p->aggs[ix];
			int moved = (a->present && !a->lazy && !a->raw) ||
				    profile_window_moved(p, &g->d.L, ix, clock);
			g->agg_chg[ix] = moved ? 2 : 1;
		}
		if (g->agg_chg[ix] == 2)
			return 0;
	}
	return 1;
}

/* Re-evaluate p's tags (only the timed ones when timed_only) at clock;
 * emit a $tag for each change. With incr (p read from the store, its tags
 * computed by these definitions), a tag whose inputs did not change keeps
 * its value unevaluated. Returns the number of changes. */
static unsigned evaluate(struct tagger *g, struct profile *p, int64_t clock, int timed_only, int incr)
{
	unsigned i, changed = 0;

	g->idpfx_ok = 0; /* the cause is new */
	g->timed_eval = 0;
	incr = incr && g->same_defs && !g->eval_all;
	if (incr) {
		if (!g->agg_chg) {
			g->agg_chg = xcalloc(g->d.aggs.n + 1, 1);
			g->tag_chg = xcalloc(g->d.ntags + 1, 1);
		}
		memset(g->agg_chg, 0, g->d.aggs.n + 1);
		memset(g->tag_chg, 0, g->d.ntags + 1);
	}
	memo_start(g, p, clock);
	for (i = 0; i < g->d.ntags; i++) {
		const struct tagdef *t = &g->d.tags[i];
		struct prof_tag *pt = &p->tags[i];
		if (timed_only && !t->timed)
			continue;
		if (t->at_read && !g->quiet)
			continue; /* computed when read (show, export) */
		if (incr && inputs_same(g, t, p, clock))
			continue;
		g->timed_eval |= t->timed;
		tag_value(g, t, p, clock, &g->val);
		if (pt->set ? (pt->v.len == g->val.len && !memcmp(pt->v.p, g->val.p, g->val.len)) : !g->val.len)
			continue;
		emit_tag(g, p->oneid, t, &pt->v, &g->val, clock);
		buf_reset(&pt->v);
		buf_add(&pt->v, g->val.p ? g->val.p : "", g->val.len);
		pt->set = g->val.len > 0;
		p->tags_raw = NULL;
		if (incr)
			g->tag_chg[i] = 1;
		changed++;
	}
	memo_forget(g);
	return changed;
}

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

/*
 * p's deadline: the first day after day(clock) on which one of its tags
 * can change with time alone, or DUE_NONE. p's tags hold their values at
 * clock. For each timed tag, the days on which a part of it may change
 * (lib/cond: windows that lose a day, days_since meeting a constant …)
 * are tried in turn, earliest first, until the tag's value there differs
 * from its value now; a tag that may change any day (days_since in a
 * formula, jq) is due the next day. A tag that reads another tag changes
 * when that one does, at that one's deadline.
 */
static uint32_t next_due(struct tagger *g, struct profile *p, int64_t clock)
{
	int64_t today = day_of(clock), best = INT64_MAX;
	struct cond_days s;
	struct cond_env e;
	unsigned i, k;

	cond_days_init(&s);
	memo_start(g, p, clock);
	env_init(g, &e, p, clock);
	for (i = 0; i < g->d.ntags && best > today + 1; i++) {
		const struct tagdef *t = &g->d.tags[i];
		const struct prof_tag *pt = &p->tags[i];
		s.n = 0;
		s.opaque = 0;
		if (!t->timed || t->at_read)
			continue;
		if (t->when)
			cond_change_days(t->when, &e, &s);
		for (k = 0; k < t->ncases; k++)
			cond_change_days(t->cases[k].when, &e, &s);
		if (t->value)
			cexpr_change_days(t->value, &e, NULL, 0, &s);
		if (t->rank_of && t->ncuts) {
			if (t->rank_where)
				cond_change_days(t->rank_where, &e, &s);
			cexpr_change_days(t->rank_of, &e, t->cuts, t->ncuts, &s);
		}
		if (s.opaque) { /* jq: it may read the clock, so every day */
			best = today + 1;
			break;
		}
		cond_days_sort(&s);
		for (k = 0; k < s.n && s.d[k] < best; k++) {
			tag_value(g, t, p, s.d[k] * DAY_MS, &g->dval);
			if (pt->set ? !(pt->v.len == g->dval.len && !memcmp(pt->v.p, g->dval.p, g->dval.len))
				    : g->dval.len > 0) {
				best = s.d[k];
				break;
			}
		}
	}
	memo_forget(g);
	cond_days_release(&s);
	return best > today && best < (int64_t)DUE_NONE ? (uint32_t)best : DUE_NONE;
}

/* ---- profiles in LMDB ---- */

/* Load oneid's profile into p: 1 found, 0 new (empty), -1 damaged. With
 * lazy, an aggregate is decoded when first read (the value read must stay
 * in place until p is saved). */
static int load_profile(struct tagger *g, struct profile *p, uint32_t oneid, int lazy)
{
	unsigned char key[4];
	MDB_val v;
	int r;

	store_be32(key, oneid);
	p->oneid = oneid;
	r = store_get(g->st, g->profiles, key, 4, &v);
	if (r < 0) {
		g->f.fatal = EXIT_IO;
		return -1;
	}
	if (r == 0) {
		profile_reset(p, &g->d.L, oneid);
		return 0;
	}
	if ((lazy ? profile_decode_lazy : profile_decode)(p, &g->d.L, v.mv_data, v.mv_size)) {
		cli_err("profile %u in tagger.profiles is damaged; it starts again empty", oneid);
		profile_reset(p, &g->d.L, oneid);
		return 0;
	}
	return 1;
}

static void save_profile_at(struct tagger *g, struct profile *p, int64_t clock)
{
	unsigned char key[4];

	profile_prune(p, &g->d.L, clock);
	profile_encode(p, &g->d.L, &g->rec);
	store_be32(key, p->oneid);
	store_put(g->st, g->profiles, key, 4, g->rec.p, g->rec.len);
}

static void save_profile(struct tagger *g, struct profile *p)
{
	save_profile_at(g, p, g->clock);
}

/* After p was evaluated at clock (known: p was read from the store): its
 * deadline. When no timed tag was evaluated (none of their inputs
 * changed), the one it had stands: computed from the same inputs, and
 * still ahead, since deadlines fire before records. */
static void due_update(struct tagger *g, struct profile *p, int64_t clock, int known)
{
	if (!g->due_live)
		return;
	if (known && !g->timed_eval && g->due_ok) {
		/* the deadline stands, filed under the stream of the record */
		uint32_t s, day = due_of(&g->due, p->oneid, &s);
		if (day != DUE_NONE && s != g->stream)
			due_set(&g->due, g->stream, p->oneid, day);
		return;
	}
	due_set(&g->due, g->stream, p->oneid, next_due(g, p, clock));
}

/*
 * Were the profiles' tags computed by the definitions now in use? Then an
 * evaluation may keep a tag whose inputs did not change. A store that has
 * seen no event starts with these definitions; after a change, every tag
 * is evaluated until `tagger recompute` has computed them all again.
 */
static void check_defs(struct tagger *g)
{
	unsigned char be[8];
	MDB_val v;

	if (g->clock == INT64_MIN) {
		store_be64(be, g->d.defs_hash);
		store_put(g->st, g->state, "defs", 4, be, 8);
		g->same_defs = 1;
		return;
	}
	g->same_defs = store_get(g->st, g->state, "defs", 4, &v) == 1 && v.mv_size == 8 &&
		       store_get_be64(v.mv_data) == g->d.defs_hash;
	if (!g->same_defs && !g->eval_all)
		cli_info("the tag definitions changed since tagger.profiles was computed: every tag "
			 "is evaluated on each event and sweep until `tagger recompute`");
}

static void save_state(struct tagger *g)
{
	unsigned char be[8];

	store_be64(be, (uint64_t)g->swept_day);
	store_put(g->st, g->state, "swept", 5, be, 8);
	pclock_save(&g->pc);
	if (!g->due_live)
		return;
	if (g->due_ok) {
		/* the index is whole, for these definitions, at these clocks
		 * (the latest stands for them): a tagger that does not keep it
		 * moves the clocks without it, and the next run builds it again */
		unsigned char m[16];
		store_be64(m, g->d.defs_hash);
		store_be64(m + 8, (uint64_t)pclock_max(&g->pc));
		store_put(g->st, g->state, "due", 3, m, 16);
	} else {
		store_del(g->st, g->state, "due", 3);
	}
}

/* The clocks (a store of one clock: its clock and "fired" become where
 * every stream starts) and the day of the last sweep. g->clock is the
 * latest clock. 0, or -1 on an LMDB error (printed). */
static int load_state(struct tagger *g)
{
	MDB_val v;

	if (pclock_load(&g->pc, g->st, g->state, "fired"))
		return -1;
	g->clock = pclock_max(&g->pc);
	g->swept_day = INT64_MIN;
	if (store_get(g->st, g->state, "swept", 5, &v) == 1 && v.mv_size == 8)
		g->swept_day = (int64_t)store_get_be64(v.mv_data);
	return 0;
}

/* Is the deadline index whole? For a store with no clock yet (nothing to
 * index) it is; otherwise when the last commit that kept it was the last
 * that moved the clock, under these definitions. */
static void check_due(struct tagger *g)
{
	MDB_val v;

	g->due_ok = g->clock == INT64_MIN ||
		    (store_get(g->st, g->state, "due", 3, &v) == 1 && v.mv_size == 16 &&
		     store_get_be64(v.mv_data) == g->d.defs_hash &&
		     (int64_t)store_get_be64((const unsigned char *)v.mv_data + 8) == g->clock);
}

static int before_commit(void *ctx)
{
	struct tagger *g = ctx;

	dict_save(&g->names);
	if (g->due_live)
		due_save(&g->due);
	handoff_save(&g->ho);
	save_state(g);
	/* the set serves every stream: what the stream furthest behind may
	 * still meet stays */
	seen_prune(&g->seen, pclock_min(&g->pc));
	return 0;
}

/* ---- sweep: every profile at the clock ---- */

/* The cause of a sweep's records for oneid: "sweep:CLOCK:ONEID". */
static void sweep_cause(struct tagger *g)
{
	g->cause_sweep = 1; /* "sweep:CLOCK:ONEID", written by rec_start */
}

/*
 * A sweep reads the profiles from snapshots of the state before it, a
 * chunk of CHUNK oneids at a time, and evaluates them, each into its
 * chunk's buffers (the changed records, the $tag records): in worker
 * threads (--threads), or in this one. This thread takes the chunks in
 * oneid order, a part of PART_CHUNKS chunks at a time: it writes the
 * part's $tag records and flushes them, and only then puts the changed
 * records in a write transaction of their own, which holds no output: the
 * tools that share the environment never wait on our reader. A stop after
 * the flush and before the commit leaves records out whose state is not
 * committed: a rerun evaluates the same profiles from the same state and
 * writes them again, the same bytes with the same event_ids. The workers
 * run ahead on the next part meanwhile. The output and the state are the
 * same in any number of threads: the chunks are written in order, and no
 * chunk reads what another writes.
 */
#define CHUNK 8192
/* a deadline of a person of no known stream (from a store of one clock,
 * or given by a sweep to someone who had none): fired by whichever
 * stream's clock enters its day */
#define ANY_STREAM 0x7fffffffu
#define PART_CHUNKS 8
#define AHEAD (2 * PART_CHUNKS)

struct chunk {
	int ready;
	uint64_t idx;
	struct buf vals; /* per changed profile: [be32 oneid][u32 len][record] */
	struct buf out;  /* per record: [u32 klen][u32 len][key][line] */
	struct buf dues; /* per profile read: [u32 oneid][u32 deadline] */
	unsigned long long n, changes;
};

struct psweep {
	struct tagger *g;
	int64_t clock;
	int all;
	uint32_t chunk;      /* oneids per chunk */
	unsigned part;       /* chunks per part */
	uint64_t nchunks;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint64_t next;       /* the next chunk a worker takes */
	uint64_t written;    /* chunks the writer is done with */
	int stop;
	struct chunk slot[AHEAD];
	/* the writer's part: chunks [from, to) */
	uint64_t from, to;
};

struct pworker {
	struct psweep *ps;
	struct tagger w;  /* a copy of the tagger with evaluation state of its own */
	MDB_txn *txn;
	int failed;       /* an LMDB error (printed) */
	pthread_t th;
};

/* Evaluate chunk c into slot: the profiles with oneids in
 * [c * chunk, (c + 1) * chunk). 0, or an LMDB error. */
static int chunk_eval(struct pworker *pw, uint64_t c, struct chunk *slot)
{
	struct psweep *ps = pw->ps;
	struct tagger *w = &pw->w;
	uint64_t lo = c * ps->chunk, hi = lo + ps->chunk;
	unsigned char from[4];
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	buf_reset(&slot->vals);
	buf_reset(&slot->out);
	buf_reset(&slot->dues);
	slot->n = slot->changes = 0;
	w->sink = &slot->out;
	if ((r = mdb_cursor_open(pw->txn, w->profiles, &cur)))
		return r;
	store_be32(from, (uint32_t)lo);
	k.mv_data = from;
	k.mv_size = 4;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); r == 0;
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint32_t id, len;
		unsigned changed;
		if (k.mv_size != 4)
			continue;
		id = store_get_be32(k.mv_data);
		if (id >= hi)
			break;
		w->p.oneid = id;
		if (profile_decode_lazy(&w->p, &w->d.L, v.mv_data, v.mv_size))
			continue; /* the snapshot's page stays */
		slot->n++;
		sweep_cause(w);
		changed = evaluate(w, &w->p, ps->clock, !ps->all, !ps->all);
		if (w->due_live) {
			uint32_t pair[2] = {id, next_due(w, &w->p, ps->clock)};
			buf_add(&slot->dues, (const char *)pair, sizeof pair);
		}
		if (!changed)
			continue;
		slot->changes += changed;
		profile_prune(&w->p, &w->d.L, ps->clock);
		profile_encode(&w->p, &w->d.L, &w->rec);
		len = (uint32_t)w->rec.len;
		buf_add(&slot->vals, (const char *)k.mv_data, 4);
		buf_add(&slot->vals, (const char *)&len, 4);
		buf_add(&slot->vals, w->rec.p, w->rec.len);
	}
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : r;
}

static void *pworker_run(void *arg)
{
	struct pworker *pw = arg;
	struct psweep *ps = pw->ps;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		uint64_t c;
		struct chunk *slot;
		int r;
		while (!ps->stop && ps->next < ps->nchunks && ps->next >= ps->written + AHEAD)
			pthread_cond_wait(&ps->cv, &ps->mu);
		if (ps->stop || ps->next >= ps->nchunks)
			break;
		c = ps->next++;
		slot = &ps->slot[c % AHEAD];
		pthread_mutex_unlock(&ps->mu);
		r = chunk_eval(pw, c, slot);
		pthread_mutex_lock(&ps->mu);
		if (r) {
			cli_err("cannot read tagger.profiles: %s", mdb_strerror(r));
			pw->failed = 1;
			ps->stop = 1;
		}
		slot->idx = c;
		slot->ready = 1;
		pthread_cond_broadcast(&ps->cv);
	}
	pthread_mutex_unlock(&ps->mu);
	cond_scratch_release();
	profile_scratch_release();
	return NULL;
}

/* The writer's part: put the changed records of chunks [from, to). Run
 * again whole when the map grows. Writes no output. */
static int psweep_fill(void *ctx, MDB_txn *txn)
{
	struct psweep *ps = ctx;
	struct tagger *g = ps->g;
	MDB_cursor *cur;
	uint64_t c;
	int r = 0;

	if ((r = mdb_cursor_open(txn, g->profiles, &cur)))
		return r;
	for (c = ps->from; c < ps->to && !r; c++) {
		const struct chunk *slot = &ps->slot[c % AHEAD];
		/* a chunk with nothing changed has no buffers: NULL, not NULL + 0 */
		const char *q = slot->vals.p, *end = q ? q + slot->vals.len : q;
		while (q < end) {
			MDB_val k, v;
			uint32_t len;
			memcpy(&len, q + 4, 4);
			k.mv_data = (void *)q;
			k.mv_size = 4;
			v.mv_data = (void *)(q + 8);
			v.mv_size = len;
			if ((r = mdb_cursor_put(cur, &k, &v, 0)))
				break;
			q += 8 + len;
		}
	}
	mdb_cursor_close(cur);
	return r;
}

/* The $tag records of chunks [from, to) to the output, flushed: 0 or an
 * exit code. */
static int psweep_emit(struct psweep *ps)
{
	struct tagger *g = ps->g;
	uint64_t c;

	for (c = ps->from; c < ps->to; c++) {
		const struct chunk *slot = &ps->slot[c % AHEAD];
		const char *q = slot->out.p, *end = q ? q + slot->out.len : q;
		while (q < end) {
			uint32_t h[2];
			memcpy(h, q, sizeof h);
			if (filter_emit(&g->f, q + 8, h[0], q + 8 + h[0], h[1]))
				return g->f.fatal;
			q += 8 + h[0] + h[1];
		}
	}
	return ep_out_flush(&g->f.out);
}

static int psweep_run(struct tagger *g, int64_t clock, int all, unsigned nthreads)
{
	struct psweep ps;
	struct pworker *pw;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_stat st;
	unsigned i, started = 0;
	uint64_t c;
	int rc = 0, r;

	/* room for a copy of every profile: while the snapshots are open,
	 * the pages the parts free are not reused and the map cannot grow */
	if (!(txn = store_read_txn(g->st)))
		return EXIT_IO;
	if ((r = mdb_stat(txn, g->profiles, &st))) {
		cli_err("cannot read tagger.profiles: %s", mdb_strerror(r));
		return EXIT_IO;
	}
	if ((rc = store_reserve(g->st, 2 * (st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) *
						(size_t)st.ms_psize + ((size_t)64 << 20))))
		return rc;

	memset(&ps, 0, sizeof ps);
	ps.g = g;
	ps.clock = clock;
	ps.all = all;
	ps.chunk = CHUNK;
	ps.part = PART_CHUNKS;
	if (g->batch > 0 && g->batch < (long)CHUNK * PART_CHUNKS) {
		ps.chunk = g->batch < CHUNK ? (uint32_t)g->batch : CHUNK;
		ps.part = (unsigned)(g->batch / ps.chunk);
	}
	pthread_mutex_init(&ps.mu, NULL);
	pthread_cond_init(&ps.cv, NULL);
	pw = xcalloc(nthreads, sizeof *pw);
	for (i = 0; i < nthreads; i++) {
		struct tagger *w = &pw[i].w;
		pw[i].ps = &ps;
		*w = *g;
		memset(&w->p, 0, sizeof w->p);
		memset(&w->q, 0, sizeof w->q);
		memset(&w->doc, 0, sizeof w->doc);
		w->memo_state = NULL;
		w->memo = NULL;
		w->agg_chg = w->tag_chg = NULL;
		w->memo_profile = NULL;
		w->memo_gen = w->gen = 0;
		w->rec = w->line = w->tmp = w->val = w->cause = w->idpfx = w->dval = (struct buf)BUF_INIT;
		w->idpfx_ok = 0;
		w->ts_text[0] = 0;
		w->ts_clock = 0;
		w->tagged = 0;
		profile_reset(&w->p, &w->d.L, 0);
		if (!(pw[i].txn = store_snapshot(g->st))) {
			rc = EXIT_IO;
			goto out;
		}
	}
	/* the chunks: up to the highest oneid */
	if (!(txn = store_read_txn(g->st)) || mdb_cursor_open(txn, g->profiles, &cur)) {
		rc = EXIT_IO;
		goto out;
	}
	r = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	mdb_cursor_close(cur);
	if (r == 0 && k.mv_size == 4)
		ps.nchunks = store_get_be32(k.mv_data) / ps.chunk + 1;
	store_read_end(g->st);
	for (i = 0; nthreads > 1 && i < nthreads; i++) {
		if ((r = cli_thread_start(&pw[i].th, pworker_run, &pw[i]))) {
			cli_err("started %u of %u sweep threads: %s", started, nthreads, strerror(r));
			break;
		}
		started++;
	}
	for (c = 0; !rc && c < ps.nchunks; c = ps.to) {
		uint64_t j;
		int failed = 0;
		ps.from = c;
		ps.to = c + ps.part < ps.nchunks ? c + ps.part : ps.nchunks;
		if (!started) { /* no worker: the chunks are evaluated here */
			for (j = ps.from; j < ps.to && !failed; j++) {
				struct chunk *slot = &ps.slot[j % AHEAD];
				if ((r = chunk_eval(&pw[0], j, slot))) {
					cli_err("cannot read tagger.profiles: %s", mdb_strerror(r));
					failed = 1;
				}
				slot->idx = j;
				slot->ready = 1;
			}
		} else {
			pthread_mutex_lock(&ps.mu);
			for (j = ps.from; j < ps.to && !ps.stop; j++)
				while (!ps.stop && !(ps.slot[j % AHEAD].ready && ps.slot[j % AHEAD].idx == j))
					pthread_cond_wait(&ps.cv, &ps.mu);
			failed = ps.stop;
			pthread_mutex_unlock(&ps.mu);
		}
		if (failed) {
			rc = EXIT_IO;
			break;
		}
		/* the part's records out first, then its state */
		if ((rc = psweep_emit(&ps)))
			break;
		if ((rc = store_bulk(g->st, psweep_fill, &ps)))
			break;
		pthread_mutex_lock(&ps.mu);
		for (j = ps.from; j < ps.to; j++) {
			struct chunk *slot = &ps.slot[j % AHEAD];
			const char *q = slot->dues.p, *end = q ? q + slot->dues.len : q;
			for (; q < end; q += 8) {
				uint32_t pair[2];
				uint32_t s;
				memcpy(pair, q, sizeof pair);
				/* the stream the person's deadline was filed under;
				 * none known: any stream's clock fires it */
				if (due_of(&g->due, pair[0], &s) == DUE_NONE)
					s = ANY_STREAM;
				due_set(&g->due, s, pair[0], pair[1]);
			}
			g->swept += slot->n;
			g->tagged += slot->changes;
			slot->ready = 0;
		}
		ps.written = ps.to;
		pthread_cond_broadcast(&ps.cv);
		pthread_mutex_unlock(&ps.mu);
		if (cli_stop && ps.to < ps.nchunks) {
			/* the parts done are committed; the rest waits for a
			 * rerun, which sweeps again and finds them done */
			rc = -2;
			break;
		}
	}
out:
	pthread_mutex_lock(&ps.mu);
	ps.stop = 1;
	pthread_cond_broadcast(&ps.cv);
	pthread_mutex_unlock(&ps.mu);
	for (i = 0; i < started; i++)
		pthread_join(pw[i].th, NULL);
	for (i = 0; i < nthreads; i++) {
		struct tagger *w = &pw[i].w;
		store_snapshot_end(g->st, pw[i].txn);
		profile_release(&w->p);
		free(w->memo_state);
		free(w->memo);
		free(w->agg_chg);
		free(w->tag_chg);
		buf_release(&w->rec);
		buf_release(&w->line);
		buf_release(&w->tmp);
		buf_release(&w->val);
		buf_release(&w->cause);
		buf_release(&w->idpfx);
		buf_release(&w->dval);
	}
	for (i = 0; i < AHEAD; i++) {
		buf_release(&ps.slot[i].vals);
		buf_release(&ps.slot[i].out);
		buf_release(&ps.slot[i].dues);
	}
	free(pw);
	pthread_cond_destroy(&ps.cv);
	pthread_mutex_destroy(&ps.mu);
	return rc;
}

/* How many threads a sweep evaluates in: --threads, or the CPUs this
 * process may run on, at most 8; one when a definition runs jq. */
static unsigned sweep_threads(const struct tagger *g)
{
	cpu_set_t set;
	long n = g->threads;

	if (g->d.has_jq)
		return 1;
	if (n <= 0) {
		n = 1;
		if (!sched_getaffinity(0, sizeof set, &set))
			n = CPU_COUNT(&set);
		if (n > 8)
			n = 8;
	}
	return n < 1 ? 1 : (unsigned)n;
}

static void reach(struct pclock_stream *e, int64_t clock)
{
	int64_t day = day_of(clock);

	if (e->clock == PCLOCK_NONE || clock > e->clock) {
		e->clock = clock;
		e->dirty = 1;
	}
	if (e->mark == PCLOCK_NONE || day > e->mark) {
		e->mark = day;
		e->dirty = 1;
	}
}

/* One time for the whole store (a sweep at clock): every stream met, and
 * the start of those not met yet, reach clock, their deadlines done up to
 * its day. */
static void clocks_reach(struct tagger *g, int64_t clock)
{
	size_t i;

	if (clock == INT64_MIN)
		return;
	for (i = 0; i < g->pc.n; i++)
		reach(&g->pc.v[i], clock);
	reach(&g->pc.base, clock);
	g->clock = pclock_max(&g->pc);
}

/* Re-evaluate every profile's tags at clock (timed ones only, unless all),
 * writing the changed profiles in place, part by part, and a $tag per
 * change; and build the deadline index again, every profile's deadline
 * from clock on. A sweep cut short is run again whole: the parts done have
 * nothing left to change. A stop cuts it short between two parts: the
 * record that started it is left undone (filter_stop_mid). Until a sweep
 * ends, the index is not whole (check_due): a sweep cut short by a crash
 * is done again by the next run if nobody runs it again. */
static int sweep(struct tagger *g, int64_t clock, int all)
{
	int rc;

	if (g->due_live)
		g->due_ok = 0; /* each profile's deadline is set again, in its stream */
	if ((rc = filter_commit_mid(&g->f)) || (rc = store_fold(g->st)))
		return rc;
	rc = psweep_run(g, clock, all, sweep_threads(g));
	if (rc == -2) {
		filter_stop_mid(&g->f);
		return filter_commit_mid(&g->f);
	}
	if (rc)
		return rc;
	g->sweeps++;
	g->swept_day = day_of(clock);
	if (g->due_live)
		g->due_ok = 1;
	clocks_reach(g, clock);
	return filter_commit_mid(&g->f);
}

/* ---- the filter ---- */

/* ---- deadlines ---- */

/* The ids due on day in stream s and, unless s is ANY_STREAM, those of no
 * known stream, merged in ascending order into *ids (room *cap, grown);
 * *tmp, *tcap: scratch of the caller's. Returns how many. */
static size_t day_ids(struct tagger *g, uint32_t s, uint32_t day, uint32_t **ids, size_t *cap, uint32_t **tmp,
		      size_t *tcap)
{
	size_t n = due_day_ids(&g->due, s, day, ids, cap), m, i, j, k;
	uint32_t *a;

	if (s == ANY_STREAM || !(m = due_day_ids(&g->due, ANY_STREAM, day, tmp, tcap)))
		return n;
	a = xmalloc((n + m) * sizeof *a);
	for (i = j = k = 0; i < n || j < m;)
		a[k++] = j == m || (i < n && (*ids)[i] < (*tmp)[j]) ? (*ids)[i++] : (*tmp)[j++];
	free(*ids);
	*ids = a;
	*cap = n + m;
	return n + m;
}

/* The first day in [from, upto] on which someone of stream s, or of no
 * known stream, is due; DUE_NONE if none. */
static uint32_t next_day(struct tagger *g, uint32_t s, uint32_t from, uint32_t upto)
{
	uint32_t a = due_next_day(&g->due, s, from, upto), b;

	if (s == ANY_STREAM)
		return a;
	b = due_next_day(&g->due, ANY_STREAM, from, upto);
	return a < b ? a : b;
}

/*
 * Fire every deadline of stream s up to day `upto`, in (day, oneid) order:
 * each person due is evaluated at the start of the day (the timed tags
 * whose inputs moved), a $tag for each change stamped with that time and
 * an event_id of the day and the oneid (tag:due:DAY:ONEID:TAG), and given
 * their next deadline in the same stream, which may fall on a later day up
 * to upto too: it fires in its turn. The deadlines of no known stream (a
 * store of one clock) fire with the stream's, in one oneid order, so such
 * a store goes on as before. A big day commits on the way (the position
 * stored is before the record that moved the clock); a stop then returns
 * -2, and the record read again fires the rest: those fired have left the
 * day.
 */
static int fire_due(struct tagger *g, uint32_t s, int64_t upto)
{
	uint32_t *ids = NULL, *tmp = NULL, day;
	size_t cap = 0, tcap = 0, n, i;
	uint32_t from = 0;
	int rc = 0;

	if (upto <= 0 || upto >= (int64_t)DUE_NONE)
		return 0;
	while ((day = next_day(g, s, from, (uint32_t)upto)) != DUE_NONE) {
		int64_t at = (int64_t)day * DAY_MS;
		n = day_ids(g, s, day, &ids, &cap, &tmp, &tcap);
		for (i = 0; i < n; i++) {
			uint32_t oneid = ids[i], ps;
			unsigned changed;
			int known;
			if (due_of(&g->due, oneid, &ps) != day || (ps != s && ps != ANY_STREAM))
				continue;
			if ((known = load_profile(g, &g->p, oneid, 1)) < 0) {
				rc = g->f.fatal ? g->f.fatal : EXIT_IO;
				goto out;
			}
			if (!known) { /* no profile (left behind): no deadline */
				due_set(&g->due, ps, oneid, DUE_NONE);
				continue;
			}
			buf_reset(&g->cause);
			buf_adds(&g->cause, "due:");
			buf_u64(&g->cause, day);
			buf_addc(&g->cause, ':');
			buf_u64(&g->cause, oneid);
			g->cause_sweep = 0;
			g->traits_set = 0;
			/* the deadline before the save: a lazy profile reads
			 * the record, which the put replaces */
			changed = evaluate(g, &g->p, at, 1, 1);
			due_set(&g->due, ps, oneid, next_due(g, &g->p, at));
			if (changed)
				save_profile_at(g, &g->p, at);
			g->fired_people++;
			if (g->f.fatal) {
				rc = g->f.fatal;
				goto out;
			}
			if ((long)store_pending(g->st) >= g->batch) {
				if ((rc = filter_commit_mid(&g->f)))
					goto out;
				if (cli_stop) { /* the rest when the record is read again */
					rc = -2;
					goto out;
				}
			}
		}
		from = day + 1;
	}
out:
	free(ids);
	free(tmp);
	return rc;
}

/* Stream s's clock reaches ts: first fire the deadlines of the days it
 * enters. The clock moves only once they are fired, so a record read
 * again after a crash or a stop mid-way fires the rest. g->clock is then
 * the stream's clock. */
static void advance(struct tagger *g, uint32_t s, int64_t ts)
{
	struct pclock_stream *c = pclock_get(&g->pc, s);
	int64_t day = day_of(ts);

	if (g->due_live) {
		if (c->mark == PCLOCK_NONE) {
			c->mark = day;
			c->dirty = 1;
		} else if (day > c->mark) {
			int rc = fire_due(g, s, day);
			c = pclock_get(&g->pc, s);
			g->clock = c->clock;
			if (rc == -2) {
				filter_stop_mid(&g->f);
				return;
			}
			if (rc) {
				g->f.fatal = rc;
				return;
			}
			c->mark = day;
			c->dirty = 1;
		}
	}
	if (c->clock == PCLOCK_NONE || ts > c->clock) {
		c->clock = ts;
		c->dirty = 1;
	}
	g->clock = c->clock;
}

/* Every stream met reaches clock, its deadlines up to the day fired (a
 * store where no stream was met: the deadlines of no known stream). */
static void advance_all(struct tagger *g, int64_t clock)
{
	size_t i, n = g->pc.n;
	uint32_t *v;

	if (clock == INT64_MIN)
		return;
	if (!n) {
		int rc = g->due_live ? fire_due(g, ANY_STREAM, day_of(clock)) : 0;
		if (rc == -2)
			filter_stop_mid(&g->f);
		else if (rc)
			g->f.fatal = rc;
		return;
	}
	v = xmalloc(n * sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = g->pc.v[i].stream;
	for (i = 0; i < n && !g->f.fatal && !g->f.redo; i++)
		advance(g, v[i], clock);
	free(v);
}

/* A $merge (checked by sysrec_check): fold the merged people into oneid. */
static void on_merge(struct tagger *g, const struct json_doc *d, uint32_t oneid, int64_t ts, uint32_t eid)
{
	uint32_t m = json_get(d, 0, "merged", 6), k, i, mid;
	unsigned char key[4];
	int any = 0;

	(void)ts; /* the clock moved already (advance) */
	if (load_profile(g, &g->p, oneid, 0) < 0)
		return;
	for (k = 0, i = m + 1; k < d->t[m].size; k++, i = d->t[i].next) {
		if (json_oneid(d, i, &mid) || mid == oneid)
			continue;
		if (load_profile(g, &g->q, mid, 0) != 1)
			continue;
		profile_merge(&g->p, &g->q, &g->d.L);
		store_be32(key, mid);
		store_del(g->st, g->profiles, key, 4);
		handoff_forget(&g->ho, mid);
		if (g->due_live)
			due_set(&g->due, g->stream, mid, DUE_NONE);
		any = 1;
	}
	g->merges++;
	if (!any)
		return;
	buf_reset(&g->cause);
	g->cause_sweep = 0;
	if (eid)
		json_str_get(d, eid, &g->cause);
	evaluate(g, &g->p, g->clock, 0, 0);
	due_update(g, &g->p, g->clock, 0);
	save_profile(g, &g->p);
}

static void process(struct tagger *g, const char *s, size_t n);

/* The record's stream is s: its clock is the one decisions use. */
static void set_stream(struct tagger *g, uint32_t s)
{
	const struct pclock_stream *c = pclock_find(&g->pc, s);

	g->stream = s;
	g->clock = c ? c->clock : g->pc.base.clock;
}

static const char *slot_name(void *ctx, uint32_t slot, size_t *n)
{
	const char *name = dict_trait_name(&((struct tagger *)ctx)->names, slot);

	if (name)
		*n = strlen(name);
	return name;
}

/* The fold driver's callbacks (lib/fold): a profile leaves as a $fold,
 * by names; the survivor's $merge folds the ones that came into it, as
 * on_merge does with the profiles of this store. */
static int fold_leave(void *ctx, uint32_t lv, const struct json_doc *d, uint32_t t_id, struct buf *out)
{
	struct tagger *g = ctx;
	unsigned char key[4];
	int r;

	(void)d;
	(void)t_id;
	if ((r = load_profile(g, &g->q, lv, 0)) < 0)
		return -1;
	if (r == 1) {
		profile_fold_write(&g->q, &g->d.L, slot_name, g, out);
		store_be32(key, lv);
		store_del(g->st, g->profiles, key, 4);
		if (g->due_live)
			due_set(&g->due, g->stream, lv, DUE_NONE);
	} else {
		buf_adds(out, "null");
	}
	handoff_forget(&g->ho, lv);
	return 0;
}

static int fold_begin(void *ctx, const struct json_doc *d, uint32_t oneid, uint32_t t_id)
{
	struct tagger *g = ctx;

	(void)d;
	(void)t_id;
	if (g->f.in && g->f.in->kafka)
		handoff_note(&g->ho, g->stream, oneid);
	return load_profile(g, &g->p, oneid, 0) < 0 ? -1 : 0;
}

static int fold_take(void *ctx, uint32_t mid, const struct json_doc *fd, uint32_t st)
{
	struct tagger *g = ctx;
	int r;

	g->q.oneid = mid;
	r = profile_fold_read(&g->q, &g->d.L, fd, st, name_slot, g);
	profile_merge(&g->p, &g->q, &g->d.L);
	return r != 0;
}

static void fold_end(void *ctx, const struct json_doc *d, uint32_t t_id, int any)
{
	struct tagger *g = ctx;

	g->merges++;
	if (!any)
		return;
	g->ev_props = 0;
	buf_reset(&g->cause);
	g->cause_sweep = 0;
	json_str_get(d, t_id, &g->cause);
	evaluate(g, &g->p, g->clock, 0, 0);
	due_update(g, &g->p, g->clock, 0);
	save_profile(g, &g->p);
}

static void fold_process(void *ctx, const char *p, size_t n)
{
	process(ctx, p, n);
}

static void fold_stream(void *ctx, uint32_t st)
{
	set_stream(ctx, st);
}

static const struct fold_ops fold_ops = {
	fold_stream, fold_leave, fold_begin, fold_take, fold_end, fold_process,
};

static void process(struct tagger *g, const char *s, size_t n)
{
	struct json_doc *d = &g->doc;
	const char *why;
	size_t at;
	static const struct json_key top_keys[6] = {
		{"type", 4}, {"ts", 2}, {"oneid", 5}, {"event_id", 8}, {"traits", 6}, {"props", 5},
	};
	uint32_t tk[6], t_type, t_ts, t_oneid, t_id, t_traits, oneid;
	int64_t ts;
	int sys, known;

	g->f.oc.in++;
	/* the record's stream and its clock: every decision below is made on
	 * them, whatever the other streams have reached */
	g->stream = g->f.stream;
	{
		const struct pclock_stream *c = pclock_find(&g->pc, g->stream);
		g->clock = c ? c->clock : g->pc.base.clock;
	}
	filter_fetch_ahead(&g->f, g->profiles, &g->ahead);
	if (json_parse(d, s, n, 64, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	json_get_keys(d, 0, top_keys, 6, tk);
	t_type = tk[0];
	t_ts = tk[1];
	t_oneid = tk[2];
	t_id = tk[3];
	g->ev_props = tk[5];
	if (!t_type || d->t[t_type].type != JSON_STRING || !d->t[t_type].len) {
		OUTCOME_REJECT(&g->f.oc, "no \"type\": want events with a oneid (idmerge's output)");
		return;
	}
	if (d->t[t_type].esc) { /* read as written, the same by every tool */
		OUTCOME_REJECT(&g->f.oc, "invalid type: written with escapes");
		return;
	}
	if (t_id && d->t[t_id].type == JSON_STRING && d->t[t_id].esc) {
		OUTCOME_REJECT(&g->f.oc, "invalid event_id: written with escapes");
		return;
	}
	sys = d->s[d->t[t_type].off] == '$';
	if (sys && json_str_eq(d, t_type, "$tick", 5)) {
		if ((why = sysrec_check(d, 0, "$tick"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		clock_parse_tok(d, t_ts, &ts);
		g->f.oc.passed++;
		g->ticks++;
		advance(g, g->stream, ts); /* what fell due comes before the tick */
		if (!g->f.fatal && !g->f.redo)
			filter_emit(&g->f, NULL, 0, s, n);
		return;
	}
	if (sys && json_str_eq(d, t_type, "$fold", 5)) {
		fold_driver_fold(&g->fd, d, s, n);
		return;
	}
	if (sys && json_str_eq(d, t_type, "$merge", 6) && (why = sysrec_check(d, 0, "$merge"))) {
		outcome_reject(&g->f.oc, why, strlen(why));
		return;
	}
	if (sys && !json_str_eq(d, t_type, "$merge", 6)) {
		g->f.oc.passed++;
		filter_emit(&g->f, NULL, 0, s, n);
		return;
	}
	if (json_oneid(d, t_oneid, &oneid)) {
		OUTCOME_REJECT(&g->f.oc, "no valid \"oneid\": want events with a oneid (idmerge's output)");
		return;
	}
	{
		unsigned char kb[4];
		store_be32(kb, oneid);
		store_prefetch(g->st, g->profiles, kb); /* fetched while the rest of the record is read */
	}
	if (clock_parse_tok(d, t_ts, &ts)) {
		OUTCOME_REJECT(&g->f.oc, "no valid \"ts\": want canonical events (ingest's output)");
		return;
	}
	/* what fell due before this record comes first (its commits store
	 * the position before the record, so it is checked after them) */
	advance(g, g->stream, ts);
	if (g->f.fatal || g->f.redo)
		return;
	if (sys && fold_driver_merge(&g->fd, d, s, n, oneid, ts)) /* a $merge across streams (Kafka) */
		return;
	if (t_id && d->t[t_id].type == JSON_STRING) { /* applied already? */
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
	{
		char key[16];
		int kl = u32_dec(key, oneid);
		if (filter_emit(&g->f, key, (size_t)kl, s, n))
			return;
	}
	/* the person's partition: their state moves with it */
	if (g->f.in && g->f.in->kafka)
		handoff_note(&g->ho, g->stream, oneid);
	if (sys) {
		on_merge(g, d, oneid, ts, t_id);
		return;
	}
	g->events++;
	if ((known = load_profile(g, &g->p, oneid, 1)) < 0)
		return;
	/* the value read stays in place until save_profile encodes: nothing
	 * is read or queued in the store before then */
	g->p.src_live = 1;
	t_traits = tk[4];
	profile_apply_at(&g->p, &g->d.L, d, 0, tk[5], t_traits, d->s + d->t[t_type].off,
			 d->t[t_type].len, ts, name_slot, where_match, g);
	buf_reset(&g->cause);
	g->cause_sweep = 0;
	if (t_id && d->t[t_id].type == JSON_STRING)
		json_str_get(d, t_id, &g->cause);
	g->traits_set = t_traits && d->t[t_traits].type == JSON_OBJECT && d->t[t_traits].size;
	evaluate(g, &g->p, g->clock, 0, known);
	due_update(g, &g->p, g->clock, known);
	save_profile(g, &g->p);
}

static void on_record(void *ctx, const char *p, size_t n)
{
	struct tagger *g = ctx;

	/* a stream waiting for a merge's $folds: what comes after the
	 * $merge waits too */
	if (!fold_driver_aside(&g->fd, g->f.stream, p, n))
		process(g, p, n);
}

static int fold_waiting(void *ctx)
{
	return fold_driver_waiting(&((struct tagger *)ctx)->fd);
}

static void fold_input_end(void *ctx)
{
	fold_driver_end(&((struct tagger *)ctx)->fd);
}

static void fold_revoked(void *ctx)
{
	fold_driver_revoked(&((struct tagger *)ctx)->fd);
}

static int run_filter(struct tagger *g)
{
	int rc, i;

	if ((rc = filter_open(&g->f)))
		return rc;
	if (!g->due_ok) {
		/* a store from a tagger without deadlines, or from other
		 * definitions: every profile's time-dependent tags at the
		 * clock, and their deadlines, before any record */
		cli_info("the deadline index is not whole (a store from before deadlines, another tagger, or "
			 "other definitions): sweeping the profiles at the latest stream clock to build it");
		if ((rc = sweep(g, g->clock, 0)) || g->f.redo)
			return filter_close(&g->f, rc);
	}
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++)
		rc = filter_run(&g->f, g->cli.in[i]);
	rc = filter_close(&g->f, rc);
	if (g->cli.verbose) {
		outcome_print(&g->f.oc, "skipped");
		fprintf(stderr, "%s: %llu events, %llu merges, %llu ticks, %llu deadlines fired, %llu sweeps over "
			"%llu profiles, %llu tag changes\n", cli_prog, g->events, g->merges, g->ticks,
			g->fired_people, g->sweeps, g->swept, g->tagged);
		fold_driver_print(&g->fd);
		store_print(g->st);
	}
	return rc;
}

/* ---- operations ---- */

static int parse_at(struct tagger *g, int64_t *clock)
{
	const char *why;

	if (!g->at) {
		if (g->clock == INT64_MIN) {
			cli_err("the stream has no clock yet (no events): give --at TIME");
			return EXIT_USAGE;
		}
		*clock = g->clock;
		return 0;
	}
	if (clock_parse(g->at, strlen(g->at), NULL, clock, &why)) {
		cli_err("--at '%s': %s", g->at, why);
		return EXIT_USAGE;
	}
	return 0;
}

static void agg_label(const struct agg_spec *s, struct buf *out)
{
	if (s->name)
		json_write_str(out, s->name, strlen(s->name));
	else
		json_write_str(out, s->canon, strlen(s->canon));
}

static void write_time(struct buf *out, int64_t t)
{
	char ts[CLOCK_ISO_LEN + 1];
	clock_format(t, ts);
	buf_printf(out, "\"%s\"", ts);
}

static void agg_json(struct tagger *g, const struct profile *p, unsigned i, int64_t clock, struct buf *out)
{
	struct aggres r;
	const struct agg_spec *s = &g->d.aggs.v[i];

	profile_agg(p, &g->d.L, i, clock, &r);
	if (!r.has) {
		buf_adds(out, "null");
		return;
	}
	switch (s->fn) {
	case AGG_FIRST:
	case AGG_LAST:
		buf_adds(out, "{\"value\":");
		buf_add(out, r.s ? r.s : "", r.n);
		buf_adds(out, ",\"ts\":");
		write_time(out, r.ts);
		buf_addc(out, '}');
		break;
	case AGG_TOP:
		buf_add(out, r.s ? r.s : "", r.n);
		break;
	case AGG_DAYS: {
		struct cval v = {CV_NUM, r.num, NULL, 0};
		int64_t y;
		unsigned m, d;
		buf_adds(out, "{\"median_gap\":");
		cval_write(&v, out);
		clock_civil_from_days(r.ts / DAY_MS, &y, &m, &d);
		buf_printf(out, ",\"last_day\":\"%04lld-%02u-%02u\"}", (long long)y, m, d);
		break;
	}
	default: {
		struct cval v = {CV_NUM, r.num, NULL, 0};
		cval_write(&v, out);
	}
	}
}

static void render_profile(struct tagger *g, const struct profile *p, int64_t clock, struct buf *out)
{
	unsigned i;

	buf_printf(out, "{\"oneid\":%u,\"events\":%llu", p->oneid, (unsigned long long)p->nevents);
	if (p->nevents) {
		buf_adds(out, ",\"first_seen\":");
		write_time(out, p->first_seen);
		buf_adds(out, ",\"last_seen\":");
		write_time(out, p->last_seen);
	}
	buf_adds(out, ",\"traits\":{");
	for (i = 0; i < p->ntraits; i++) {
		const char *name = dict_trait_name(&g->names, p->traits[i].name);
		if (i)
			buf_addc(out, ',');
		json_write_str(out, name ? name : "?", name ? strlen(name) : 1);
		buf_adds(out, ":{\"value\":");
		buf_add(out, p->traits[i].v.p ? p->traits[i].v.p : "null", p->traits[i].v.len ? p->traits[i].v.len : 4);
		buf_adds(out, ",\"ts\":");
		write_time(out, p->traits[i].ts);
		buf_addc(out, '}');
	}
	buf_adds(out, "},\"aggregates\":{");
	for (i = 0; i < g->d.aggs.n; i++) {
		if (i)
			buf_addc(out, ',');
		agg_label(&g->d.aggs.v[i], out);
		buf_addc(out, ':');
		agg_json(g, p, i, clock, out);
	}
	buf_adds(out, "},\"tags\":{");
	for (i = 0; i < g->d.ntags; i++) {
		if (i)
			buf_addc(out, ',');
		json_write_str(out, g->d.tags[i].name, strlen(g->d.tags[i].name));
		buf_addc(out, ':');
		if (p->tags[i].set)
			buf_add(out, p->tags[i].v.p, p->tags[i].v.len);
		else
			buf_adds(out, "null");
	}
	buf_adds(out, "}}");
}

/*
 * show, export: the clock to show tags at, --at or the stream's; *have 0
 * when there is none (a store with no record yet). A time before the
 * stream's clock is refused: the profiles hold what came after it, and a
 * tag's past values are not kept. 0 or 64 after saying why.
 */
static int query_clock(struct tagger *g, int64_t *clock, int *have)
{
	int rc;

	*have = 0;
	*clock = 0;
	if (!g->at && g->clock == INT64_MIN)
		return 0;
	if ((rc = parse_at(g, clock)))
		return rc;
	if (g->at && g->clock != INT64_MIN && *clock < g->clock) {
		char a[CLOCK_ISO_LEN + 1];
		clock_format(g->clock, a);
		cli_err("--at '%s' is before the stream's clock %s: the profiles hold the events up to it, and "
			"past tag values are not kept (the $tag records say when each changed)", g->at, a);
		return EXIT_USAGE;
	}
	*have = 1;
	return 0;
}

/* The tags of p at clock, into p: evaluated, never written (show,
 * export). At the stream's clock they are the stored ones. */
static void tags_at(struct tagger *g, struct profile *p, int64_t clock)
{
	g->quiet = 1;
	g->cause_sweep = 0;
	g->traits_set = 0;
	evaluate(g, p, clock, 0, 0);
	g->quiet = 0;
}

static int op_show(struct tagger *g, int argc, char **argv)
{
	int64_t clock;
	int rc = 0, i, r, have;
	struct buf out = BUF_INIT;

	if (argc < 1) {
		cli_err("show wants ONEID…");
		return EXIT_USAGE;
	}
	if ((rc = query_clock(g, &clock, &have)))
		return rc;
	for (i = 0; i < argc; i++) {
		char *end;
		unsigned long id = strtoul(argv[i], &end, 10);
		if (!*argv[i] || *end || !id || id > UINT32_MAX) {
			cli_err("show: '%s' is not a oneid", argv[i]);
			rc = EXIT_USAGE;
			break;
		}
		r = load_profile(g, &g->p, (uint32_t)id, 0);
		if (r < 0)
			return EXIT_IO;
		buf_reset(&out);
		if (!r) {
			buf_printf(&out, "{\"oneid\":%lu,\"profile\":null}", id);
			rc = EXIT_REJECTS;
		} else {
			if (have)
				tags_at(g, &g->p, clock);
			render_profile(g, &g->p, clock, &out);
		}
		puts(out.p);
	}
	buf_release(&out);
	return rc;
}

static int op_tags(struct tagger *g)
{
	struct buf out = BUF_INIT;
	unsigned i;

	for (i = 0; i < g->d.ntags; i++) {
		const struct tagdef *t = &g->d.tags[i];
		buf_reset(&out);
		buf_adds(&out, "{\"name\":");
		json_write_str(&out, t->name, strlen(t->name));
		buf_adds(&out, ",\"folder\":");
		json_write_str(&out, t->folder ? t->folder : "", t->folder ? strlen(t->folder) : 0);
		buf_printf(&out, ",\"type\":\"%s\",\"timed\":%s", tagdef_type_names[t->type], t->timed ? "true" : "false");
		if (t->at_read)
			buf_adds(&out, ",\"at_read\":true");
		if (t->nvalues) {
			unsigned k;
			buf_adds(&out, ",\"values\":[");
			for (k = 0; k < t->nvalues; k++) {
				if (k)
					buf_addc(&out, ',');
				buf_adds(&out, t->values[k]);
			}
			buf_addc(&out, ']');
		}
		if (t->rank_of) {
			unsigned k;
			buf_printf(&out, ",\"rank\":{\"n\":%u,\"order\":\"%s\",\"cuts\":", t->rank_n,
				   t->rank_desc ? "desc" : "asc");
			if (!t->ncuts)
				buf_adds(&out, "null");
			for (k = 0; k < t->ncuts; k++) {
				struct cval v = {CV_NUM, t->cuts[k], NULL, 0};
				buf_addc(&out, k ? ',' : '[');
				cval_write(&v, &out);
				if (k + 1 == t->ncuts)
					buf_addc(&out, ']');
			}
			buf_addc(&out, '}');
		}
		buf_adds(&out, ",\"description\":");
		json_write_str(&out, t->description ? t->description : "", t->description ? strlen(t->description) : 0);
		buf_adds(&out, ",\"file\":");
		json_write_str(&out, t->file, strlen(t->file));
		buf_addc(&out, '}');
		puts(out.p);
	}
	buf_release(&out);
	return 0;
}

/* ---- export ---- */

enum { F_ONEID, F_EVENTS, F_FIRST, F_LAST, F_TAG, F_AGG, F_TRAIT };

struct field {
	int kind;
	unsigned idx;
	uint32_t slot;
	char *name;
};

static void csv_cell(struct buf *out, const char *s, size_t n)
{
	size_t i;
	int q = 0;

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			q = 1;
	if (!q) {
		buf_add(out, s, n);
		return;
	}
	buf_addc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(out, '"');
		buf_addc(out, s[i]);
	}
	buf_addc(out, '"');
}

static int op_export(struct tagger *g)
{
	struct field *fl = NULL;
	size_t nf = 0, i;
	char *list, *tok, *save = NULL;
	int csv = 0, rc = 0, r, have;
	int64_t clock = 0;
	struct buf out = BUF_INIT, cellb = BUF_INIT;
	struct store_scan it;
	MDB_val k, v;

	if (g->format && !strcmp(g->format, "csv"))
		csv = 1;
	else if (g->format && strcmp(g->format, "ndjson")) {
		cli_err("--format '%s': want ndjson or csv", g->format);
		return EXIT_USAGE;
	}
	if ((rc = query_clock(g, &clock, &have)))
		return rc;
	if (g->fields) {
		list = xstrdup(g->fields);
	} else {
		struct buf b = BUF_INIT;
		buf_adds(&b, "oneid");
		for (i = 0; i < g->d.ntags; i++)
			buf_printf(&b, ",%s", g->d.tags[i].name);
		list = b.p;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		struct field f = {0};
		f.name = tok;
		if (!strcmp(tok, "oneid"))
			f.kind = F_ONEID;
		else if (!strcmp(tok, "events"))
			f.kind = F_EVENTS;
		else if (!strcmp(tok, "first_seen"))
			f.kind = F_FIRST;
		else if (!strcmp(tok, "last_seen"))
			f.kind = F_LAST;
		else if (!strncmp(tok, "trait.", 6)) {
			f.kind = F_TRAIT;
			f.slot = dict_trait(&g->names, tok + 6, strlen(tok + 6));
		} else {
			for (i = 0; i < g->d.ntags && strcmp(g->d.tags[i].name, tok); i++)
				;
			if (i < g->d.ntags) {
				f.kind = F_TAG;
				f.idx = (unsigned)i;
			} else {
				int ix = agg_set_find(&g->d.aggs, tok);
				if (ix < 0) {
					cli_err("--fields: '%s' is no tag, aggregate, trait.NAME, oneid, events, "
						"first_seen or last_seen", tok);
					free(fl);
					free(list);
					return EXIT_USAGE;
				}
				f.kind = F_AGG;
				f.idx = (unsigned)ix;
			}
		}
		fl = xrealloc(fl, (nf + 1) * sizeof *fl);
		fl[nf++] = f;
	}
	store_discard(g->st); /* export writes nothing */
	if (csv) {
		for (i = 0; i < nf; i++) {
			if (i)
				buf_addc(&out, ',');
			csv_cell(&out, fl[i].name, strlen(fl[i].name));
		}
		puts(out.p ? out.p : "");
	}
	if (store_scan_open(g->st, g->profiles, &it)) {
		rc = EXIT_IO;
		goto out;
	}
	while ((r = store_scan_next(&it, &k, &v)) == 1) {
		if (k.mv_size != 4)
			continue;
		g->p.oneid = store_get_be32(k.mv_data);
		if (profile_decode(&g->p, &g->d.L, v.mv_data, v.mv_size))
			continue;
		if (have)
			tags_at(g, &g->p, clock);
		buf_reset(&out);
		if (!csv)
			buf_addc(&out, '{');
		for (i = 0; i < nf; i++) {
			const struct field *f = &fl[i];
			unsigned j;
			buf_reset(&cellb);
			switch (f->kind) {
			case F_ONEID: buf_u64(&cellb, g->p.oneid); break;
			case F_EVENTS: buf_u64(&cellb, g->p.nevents); break;
			case F_FIRST: write_time(&cellb, g->p.first_seen); break;
			case F_LAST: write_time(&cellb, g->p.last_seen); break;
			case F_TAG:
				if (g->p.tags[f->idx].set)
					buf_add(&cellb, g->p.tags[f->idx].v.p, g->p.tags[f->idx].v.len);
				break;
			case F_AGG: agg_json(g, &g->p, f->idx, clock, &cellb); break;
			case F_TRAIT:
				for (j = 0; j < g->p.ntraits; j++)
					if (g->p.traits[j].name == f->slot)
						buf_add(&cellb, g->p.traits[j].v.p, g->p.traits[j].v.len);
				break;
			}
			if (csv) {
				if (i)
					buf_addc(&out, ',');
				if (cellb.len && cellb.p[0] == '"') {
					struct buf raw = BUF_INIT;
					struct json_doc jd = JSON_DOC_INIT;
					const char *why;
					size_t at;
					if (!json_parse(&jd, cellb.p, cellb.len, 8, &why, &at))
						json_str_get(&jd, 0, &raw);
					csv_cell(&out, raw.p ? raw.p : "", raw.len);
					buf_release(&raw);
					json_doc_release(&jd);
				} else if (!(cellb.len == 4 && !memcmp(cellb.p, "null", 4))) {
					csv_cell(&out, cellb.p ? cellb.p : "", cellb.len);
				}
			} else {
				if (i)
					buf_addc(&out, ',');
				json_write_str(&out, f->name, strlen(f->name));
				buf_addc(&out, ':');
				if (cellb.len)
					buf_add(&out, cellb.p, cellb.len);
				else
					buf_adds(&out, "null");
			}
		}
		if (!csv)
			buf_addc(&out, '}');
		buf_addc(&out, '\n');
		if (fwrite(out.p, 1, out.len, stdout) != out.len) {
			rc = cli_stdout_close(0);
			break;
		}
	}
	if (r < 0 && !rc)
		rc = EXIT_IO;
	store_scan_close(&it);
out:
	buf_release(&out);
	buf_release(&cellb);
	free(fl);
	free(list);
	return rc;
}

/* ---- recompute: population facts, then every tag ---- */

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* A value v for rank tag t, into vals[t] (count times). */
static void rank_add(double **vals, size_t *nv, size_t *capv, unsigned t, double v, uint64_t count)
{
	while (count--) {
		if (nv[t] == capv[t]) {
			capv[t] = capv[t] ? capv[t] * 2 : 1024;
			vals[t] = xrealloc(vals[t], capv[t] * sizeof **vals);
		}
		vals[t][nv[t]++] = v;
	}
}

/* The values the rank tags rank at clock, over the store's profiles (the
 * journal's newer ones included): into vals[t] (nv[t] of them, in oneid
 * order) for each rank tag t. 0, or EXIT_IO. */
static int rank_scan(struct tagger *g, int64_t clock, double **vals, size_t *nv, size_t *capv)
{
	struct store_scan it;
	MDB_val k, v;
	unsigned t;
	int r;

	if (store_scan_open(g->st, g->profiles, &it))
		return EXIT_IO;
	while ((r = store_scan_next(&it, &k, &v)) == 1) {
		struct cond_env e;
		if (k.mv_size != 4)
			continue;
		g->p.oneid = store_get_be32(k.mv_data);
		if (profile_decode(&g->p, &g->d.L, v.mv_data, v.mv_size))
			continue;
		env_init(g, &e, &g->p, clock);
		for (t = 0; t < g->d.ntags; t++) {
			struct tagdef *td = &g->d.tags[t];
			struct cval cv;
			if (!td->rank_of || (td->rank_where && !cond_eval(td->rank_where, &e)))
				continue;
			cexpr_eval(td->rank_of, &e, &cv);
			if (cv.k != CV_NUM || !isfinite(cv.num))
				continue;
			rank_add(vals, nv, capv, t, cv.num, 1);
		}
	}
	store_scan_close(&it);
	store_read_end(g->st);
	return r < 0 ? EXIT_IO : 0;
}

/* The head of a line of `tagger ranks`: what makes two stores' values
 * one population (the same definitions, the same clock). */
static void ranks_head(struct tagger *g, const struct tagdef *t, int64_t clock, struct buf *out)
{
	char at[CLOCK_ISO_LEN + 1];

	clock_format(clock, at);
	buf_adds(out, "{\"tag\":");
	json_write_str(out, t->name, strlen(t->name));
	buf_printf(out, ",\"defs\":\"%016llx\",\"at\":\"%s\"", (unsigned long long)g->d.defs_hash, at);
}

/* recompute --ranks: the values of every store's people, read from the
 * files `tagger ranks` wrote (one per store), into vals. Each file must
 * hold a line of every rank tag, of these definitions and this clock. 0,
 * or an exit code after printing why (65 a file that is not so). */
static int rank_files(struct tagger *g, int64_t clock, double **vals, size_t *nv, size_t *capv)
{
	char *list = xstrdup(g->ranks), *save = NULL, *path;
	unsigned char *seen = xcalloc(g->d.ntags + 1, 1);
	struct json_doc d = JSON_DOC_INIT;
	struct buf head = BUF_INIT, text = BUF_INIT;
	int rc = 0;

	for (path = strtok_r(list, ",", &save); path && !rc; path = strtok_r(NULL, ",", &save)) {
		FILE *fp = fopen(path, "rb");
		char rd[65536];
		size_t n, pos, lineno = 0;
		unsigned t;
		if (!fp) {
			cli_err("--ranks: cannot open '%s': %s", path, strerror(errno));
			rc = EXIT_IO;
			break;
		}
		buf_reset(&text);
		while ((n = fread(rd, 1, sizeof rd, fp)) > 0)
			buf_add(&text, rd, n);
		if (ferror(fp)) {
			cli_err("--ranks: cannot read '%s': %s", path, strerror(errno));
			rc = EXIT_IO;
		}
		fclose(fp);
		memset(seen, 0, g->d.ntags + 1);
		for (pos = 0; !rc && pos < text.len;) {
			const char *line = text.p + pos, *nl = memchr(line, '\n', text.len - pos), *why;
			size_t len = nl ? (size_t)(nl - line) : text.len - pos, at;
			uint32_t tag, vs, i, x;
			pos += len + (nl != NULL);
			lineno++;
			if (!len)
				continue;
			if (json_parse(&d, line, len, 4, &why, &at) || d.t[0].type != JSON_OBJECT ||
			    !(tag = json_get(&d, 0, "tag", 3)) || d.t[tag].type != JSON_STRING ||
			    !(vs = json_get(&d, 0, "values", 6)) || d.t[vs].type != JSON_ARRAY) {
				cli_err("--ranks: %s:%zu: not a line of `tagger ranks`", path, lineno);
				rc = EXIT_DATA;
				break;
			}
			for (t = 0; t < g->d.ntags; t++)
				if (g->d.tags[t].rank_of && json_str_eq(&d, tag, g->d.tags[t].name, strlen(g->d.tags[t].name)))
					break;
			if (t == g->d.ntags) {
				cli_err("--ranks: %s:%zu: '%.*s' is not a rank tag of these definitions", path, lineno,
					(int)d.t[tag].len, d.s + d.t[tag].off);
				rc = EXIT_DATA;
				break;
			}
			/* the same definitions and clock: the head written alike */
			buf_reset(&head);
			ranks_head(g, &g->d.tags[t], clock, &head);
			if (len < head.len || memcmp(line, head.p, head.len)) {
				cli_err("--ranks: %s:%zu: values of other definitions or another clock (want %s…): "
					"run tagger ranks with the same definitions and --at",
					path, lineno, head.p);
				rc = EXIT_DATA;
				break;
			}
			seen[t] = 1;
			for (i = 0, x = vs + 1; i < d.t[vs].size && !rc; i++, x = d.t[x].next) {
				char num[64];
				double v;
				uint64_t c;
				char *end;
				uint32_t a = x + 1, b;
				if (d.t[x].type != JSON_ARRAY || d.t[x].size != 2 || d.t[a].type != JSON_NUMBER ||
				    (b = d.t[a].next, d.t[b].type != JSON_NUMBER) || d.t[a].len >= sizeof num ||
				    d.t[b].len >= sizeof num) {
					rc = EXIT_DATA;
					break;
				}
				memcpy(num, d.s + d.t[a].off, d.t[a].len);
				num[d.t[a].len] = 0;
				v = strtod(num, &end);
				memcpy(num, d.s + d.t[b].off, d.t[b].len);
				num[d.t[b].len] = 0;
				c = strtoull(num, &end, 10);
				if (*end || !isfinite(v) || c < 1 || c > UINT32_MAX || nv[t] + c > ((size_t)1 << 32)) {
					rc = EXIT_DATA;
					break;
				}
				rank_add(vals, nv, capv, t, v, c);
			}
			if (rc)
				cli_err("--ranks: %s:%zu: want \"values\":[[VALUE,COUNT],…]", path, lineno);
		}
		for (t = 0; t < g->d.ntags && !rc; t++)
			if (g->d.tags[t].rank_of && !seen[t]) {
				cli_err("--ranks: '%s' has no values of rank tag '%s' (not written by tagger ranks "
					"of these definitions)", path, g->d.tags[t].name);
				rc = EXIT_DATA;
			}
	}
	json_doc_release(&d);
	buf_release(&head);
	buf_release(&text);
	free(seen);
	free(list);
	return rc;
}

/* ranks: per rank tag, the values its people have at the clock (--at,
 * else the latest stream clock), each with how many have it, ascending:
 * what `recompute --ranks` takes from every store. Read-only. */
static int op_ranks(struct tagger *g)
{
	double **vals;
	size_t *nv, *capv, i, j;
	struct buf out = BUF_INIT;
	int64_t clock;
	unsigned t;
	int rc;

	if ((rc = parse_at(g, &clock)))
		return rc;
	vals = xcalloc(g->d.ntags + 1, sizeof *vals);
	nv = xcalloc(g->d.ntags + 1, sizeof *nv);
	capv = xcalloc(g->d.ntags + 1, sizeof *capv);
	if ((rc = rank_scan(g, clock, vals, nv, capv)))
		goto out;
	for (t = 0; t < g->d.ntags && !rc; t++) {
		if (!g->d.tags[t].rank_of)
			continue;
		qsort(vals[t], nv[t], sizeof **vals, dbl_cmp);
		buf_reset(&out);
		ranks_head(g, &g->d.tags[t], clock, &out);
		buf_printf(&out, ",\"n\":%zu,\"values\":[", nv[t]);
		for (i = 0; i < nv[t]; i = j) {
			for (j = i + 1; j < nv[t] && vals[t][j] == vals[t][i]; j++)
				;
			buf_printf(&out, "%s[%.17g,%zu]", i ? "," : "", vals[t][i], j - i);
		}
		buf_adds(&out, "]}\n");
		if (fwrite(out.p, 1, out.len, stdout) != out.len)
			rc = cli_stdout_close(0);
	}
out:
	for (t = 0; t < g->d.ntags; t++)
		free(vals[t]);
	free(vals);
	free(nv);
	free(capv);
	buf_release(&out);
	return rc;
}

static int op_recompute(struct tagger *g)
{
	int64_t clock;
	int rc, current;
	unsigned t, nr = 0;
	double **vals;
	size_t *nv, *capv;

	if ((rc = parse_at(g, &clock)))
		return rc;
	if (g->clock != INT64_MIN && clock < g->clock && g->at)
		cli_info("--at is before the latest stream clock: windows that already moved past it are not restored");
	/* after it every tag holds its value at clock: the tags are these
	 * definitions' again, unless clock is behind events already applied */
	current = g->clock == INT64_MIN || clock >= g->clock;
	vals = xcalloc(g->d.ntags + 1, sizeof *vals);
	nv = xcalloc(g->d.ntags + 1, sizeof *nv);
	capv = xcalloc(g->d.ntags + 1, sizeof *capv);
	for (t = 0; t < g->d.ntags; t++)
		nr += g->d.tags[t].rank_of != NULL;
	/* every store's values (--ranks), read before anything is written */
	if (nr && g->ranks && (rc = rank_files(g, clock, vals, nv, capv)))
		goto out;
	if ((rc = filter_open(&g->f)))
		goto out;
	/* what falls due up to clock first in every stream, each change
	 * stamped with its day; then the store is one moment, at clock */
	advance_all(g, clock);
	if (g->f.fatal || g->f.redo) {
		rc = filter_close(&g->f, g->f.fatal);
		goto out;
	}
	if (nr) {
		if ((rc = filter_commit(&g->f)) || (rc = store_fold(g->st)))
			goto out;
		if (!g->ranks && (rc = rank_scan(g, clock, vals, nv, capv)))
			goto out;
		for (t = 0; t < g->d.ntags; t++) {
			struct tagdef *td = &g->d.tags[t];
			unsigned q, n = td->rank_n;
			unsigned char *rec;
			if (!td->rank_of)
				continue;
			free(td->cuts);
			td->cuts = NULL;
			td->ncuts = 0;
			if (!nv[t]) {
				store_del(g->st, g->facts, td->name, strlen(td->name));
				continue;
			}
			qsort(vals[t], nv[t], sizeof **vals, dbl_cmp);
			td->cuts = xcalloc(n, sizeof *td->cuts);
			td->ncuts = n - 1;
			rec = xmalloc(4 + 8 * (n - 1));
			store_be32(rec, n - 1);
			for (q = 1; q < n; q++) {
				/* the value at position ceil(q·N/n) - 1 of the sorted
				 * values, ascending (asc) or descending (desc): with
				 * distinct values every rank holds N/n of them */
				size_t pos = (size_t)(((uint64_t)q * nv[t] + n - 1) / n) - 1;
				double c = td->rank_desc ? vals[t][nv[t] - 1 - pos] : vals[t][pos];
				uint64_t u;
				td->cuts[q - 1] = c;
				memcpy(&u, &c, 8);
				store_be64(rec + 4 + 8 * (q - 1), u);
			}
			store_put(g->st, g->facts, td->name, strlen(td->name), rec, 4 + 8 * (n - 1));
			free(rec);
			cli_info("%s: %zu values ranked in %u", td->name, nv[t], n);
		}
	}
	rc = sweep(g, clock, 1);
	if (!rc) {
		unsigned char be[8];
		store_be64(be, g->d.defs_hash);
		if (current)
			store_put(g->st, g->state, "defs", 4, be, 8);
		else
			store_del(g->st, g->state, "defs", 4);
		g->same_defs = current;
	}
	rc = filter_close(&g->f, rc);
out:
	for (t = 0; t < g->d.ntags; t++)
		free(vals[t]);
	free(vals);
	free(nv);
	free(capv);
	return rc;
}

static int op_sweep(struct tagger *g)
{
	int64_t clock;
	int rc;

	if ((rc = parse_at(g, &clock)))
		return rc;
	if (g->clock != INT64_MIN && clock < g->clock) {
		char a[CLOCK_ISO_LEN + 1];
		clock_format(g->clock, a);
		cli_err("--at '%s' is before the latest stream clock %s: time only moves forward", g->at, a);
		return EXIT_USAGE;
	}
	if ((rc = filter_open(&g->f)))
		return rc;
	/* every profile at clock, the deadlines up to it included (their
	 * changes stamped with the sweep's clock), and the index built again */
	rc = sweep(g, clock, 0);
	rc = filter_close(&g->f, rc);
	if (g->cli.verbose) {
		fprintf(stderr, "%s: swept %llu profiles in %u thread%s, %llu tag changes\n", cli_prog, g->swept,
			sweep_threads(g), sweep_threads(g) > 1 ? "s" : "", g->tagged);
		store_print(g->st);
	}
	return rc;
}

/* A store of one clock filed every deadline under stream 0, whichever
 * input its person came by: they become deadlines of no known stream,
 * which the first stream to enter their day fires (with a file, stream 0
 * as before, in the same order). Saved with the clocks, at the first
 * commit. */
static void due_unfile(struct tagger *g)
{
	uint32_t day, from = 0, *ids = NULL;
	size_t cap = 0, n, i;

	while ((day = due_next_day(&g->due, 0, from, DUE_NONE - 1)) != DUE_NONE) {
		n = due_day_ids(&g->due, 0, day, &ids, &cap);
		for (i = 0; i < n; i++)
			due_set(&g->due, ANY_STREAM, ids[i], day);
		from = day + 1;
	}
	free(ids);
}

/* One line of `tagger status`: a stream's clock, the day its deadlines
 * fired through, the people due in it. */
static void status_line(struct buf *out, const char *stream, const struct pclock_stream *c, uint64_t due)
{
	char t[CLOCK_ISO_LEN + 1];

	buf_printf(out, "{\"stream\":%s,\"clock\":", stream);
	if (c->clock == PCLOCK_NONE) {
		buf_adds(out, "null");
	} else {
		clock_format(c->clock, t);
		buf_printf(out, "\"%s\"", t);
	}
	buf_adds(out, ",\"fired_through\":");
	if (c->mark == PCLOCK_NONE) {
		buf_adds(out, "null");
	} else {
		clock_format(c->mark * DAY_MS, t);
		t[10] = 0;
		buf_printf(out, "\"%s\"", t);
	}
	buf_printf(out, ",\"people_due\":%llu}\n", (unsigned long long)due);
}

/* The people with a deadline filed under stream s, read from tagger.due. */
static uint64_t status_due(struct tagger *g, MDB_dbi dbi, uint32_t s)
{
	MDB_txn *txn = store_read_txn(g->st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char from[4];
	uint64_t n = 0;
	int r;

	if (!txn || mdb_cursor_open(txn, dbi, &cur))
		return 0;
	store_be32(from, s);
	k.mv_data = from;
	k.mv_size = 4;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); r == 0; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		roaring_bitmap_t *b;
		if (k.mv_size != 8 || store_get_be32(k.mv_data) != s)
			break;
		if ((b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size))) {
			n += roaring_bitmap_get_cardinality(b);
			roaring_bitmap_free(b);
		}
	}
	mdb_cursor_close(cur);
	return n;
}

/* How long status waits for the brokers: UOPS_KAFKA_CONNECT_MS, else 5 s. */
static int status_timeout(void)
{
	const char *t = getenv("UOPS_KAFKA_CONNECT_MS");
	return t && *t ? atoi(t) : 5000;
}

/* status: a line per stream (the start of those not met yet, "*", when a
 * store of one clock left one or people are due in no known stream). */
static int op_status(struct tagger *g)
{
	struct buf out = BUF_INIT;
	char num[16];
	size_t i;
	uint64_t any = status_due(g, g->duedb, ANY_STREAM);

	if (g->pc.legacy) /* a store of one clock: its deadlines are of no known stream */
		any += status_due(g, g->duedb, 0);

	if (g->pc.base.clock != PCLOCK_NONE || any)
		status_line(&out, "\"*\"", &g->pc.base, any);
	for (i = 0; i < g->pc.n; i++) {
		snprintf(num, sizeof num, "%lu", (unsigned long)g->pc.v[i].stream);
		status_line(&out, num, &g->pc.v[i], status_due(g, g->duedb, g->pc.v[i].stream));
	}
	fputs(out.p ? out.p : "", stdout);
	buf_release(&out);
	store_read_end(g->st);
	return handoff_status(&g->ho, g->cli.nin ? g->cli.in[0] : NULL, g->f.group, g->cli.x, g->cli.nx,
			      status_timeout(), stdout);
}

/* ---- partitions: state that moves with its partition ---- */

/* After an import or a drop: the clocks as they are now; the deadline
 * index is whole when it was before and the partition's was (then the
 * latest clock stands for them all). */
static int due_refresh(struct tagger *g, int whole)
{
	pclock_free(&g->pc);
	memset(&g->pc, 0, sizeof g->pc);
	if (load_state(g))
		return EXIT_IO;
	if (whole && g->clock != INT64_MIN) {
		unsigned char m[16];
		store_be64(m, g->d.defs_hash);
		store_be64(m + 8, (uint64_t)g->clock);
		store_put(g->st, g->state, "due", 3, m, 16);
	} else if (!whole) {
		store_del(g->st, g->state, "due", 3);
	}
	return store_commit(g->st);
}

/* lib/handoff, moved: the rank facts the partition's people were scored
 * by came with them. A store without facts of a rank tag takes them (the
 * moved people's scores stay what the population's cuts gave, and so do
 * those of their next events); one with the same keeps them; one with
 * other facts keeps its own and says so: the stores ranked other
 * populations (run recompute --ranks over every store's values). */
static int facts_moved(void *ctx, const roaring_bitmap_t *people, int in)
{
	struct tagger *g = ctx;
	unsigned t;
	int r;

	(void)people;
	if (!in)
		return 0; /* the facts are the population's: they stay */
	for (t = 0; t < g->d.ntags; t++) {
		const struct tagdef *td = &g->d.tags[t];
		MDB_val v, mine;
		if (!td->rank_of || !handoff_meta(&g->ho, "tagger.facts", td->name, &v))
			continue;
		if ((r = store_get(g->st, g->facts, td->name, strlen(td->name), &mine)) < 0)
			return EXIT_IO;
		if (r == 0)
			store_put(g->st, g->facts, td->name, strlen(td->name), v.mv_data, v.mv_size);
		else if (mine.mv_size != v.mv_size || memcmp(mine.mv_data, v.mv_data, v.mv_size))
			cli_err("warning: rank tag '%s': the partition's people were scored by other cut points "
				"than this store's (the stores ranked other populations): run `tagger ranks` in every "
				"store, then `tagger recompute --ranks` over their files", td->name);
	}
	return store_commit(g->st);
}

static int op_partition(struct tagger *g, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "";
	int rc;

	if (!strcmp(what, "export") || !strcmp(what, "drop")) {
		if (g->nparts != 1 || argc != 1) {
			cli_err("usage: tagger partition %s --partition N", what);
			return EXIT_USAGE;
		}
		if (!strcmp(what, "drop")) {
			int whole = g->due_ok;
			if ((rc = handoff_drop(&g->ho, (uint32_t)g->parts[0])))
				return rc;
			return due_refresh(g, whole);
		}
		check_due(g);
		g->ho.flags = g->due_ok ? 1u : 0u; /* its deadlines are whole */
		return handoff_export(&g->ho, (uint32_t)g->parts[0], stdout, "<stdout>");
	}
	if (!strcmp(what, "import") && argc == 2) {
		FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
		int whole = g->due_ok;
		if (!in) {
			cli_err("partition import: cannot open '%s': %s", argv[1], strerror(errno));
			return EXIT_IO;
		}
		rc = handoff_import(&g->ho, in, argv[1]);
		if (in != stdin)
			fclose(in);
		if (rc)
			return rc;
		return due_refresh(g, whole && (g->ho.in_flags & 1u));
	}
	cli_err("usage: tagger partition export --partition N | import FILE | drop --partition N");
	return EXIT_USAGE;
}

static int handle(void *ctx, int key, const char *arg)
{
	struct tagger *g = ctx;

	switch (key) {
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_TAGS: g->tags_dir = xstrdup(arg); break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_BATCH:
		return cli_long("batch", arg, 1, &g->batch);
	case OPT_DEDUPE:
		return cli_long("dedupe-days", arg, 0, &g->seen.days);
	case OPT_COMMIT_MS:
		return cli_long("commit-ms", arg, 0, &g->commit_ms);
	case OPT_NOSYNC: g->nosync = 1; break;
	case OPT_RESUME: g->resume = 1; break;
	case OPT_AT: g->at = arg; break;
	case OPT_FIELDS: g->fields = arg; break;
	case OPT_FORMAT: g->format = arg; break;
	case OPT_THREADS:
		return cli_long("threads", arg, 1, &g->threads);
	case OPT_EVAL_ALL: g->eval_all = 1; break;
	case OPT_RANKS: g->ranks = arg; break;
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

static void defs_free(struct tagger *g)
{
	tagdefs_release(&g->d);
	free(g->memo_state);
	free(g->memo);
	free(g->agg_chg);
	free(g->tag_chg);
	dict_release(&g->names);
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
	static struct tagger G;
	struct tagger *g = &G;
	char scratch[] = "/tmp/uops-tags-XXXXXX";
	const char *cmd = NULL;
	int rc, code, ro, made_scratch = 0;

	g->cli.prog = "tagger";
	g->cli.synopsis = "[options] [FILE…] | show ONEID… | export | tags | sweep --at TIME | recompute | ranks | "
			  "status | partition export --partition N | partition import FILE | partition drop --partition N";
	g->cli.summary = "Keep a profile per person and tag people as events arrive and time passes.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->batch = 262144;
	g->seen.days = 2;
	g->commit_ms = 1000;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (g->cli.nrest) {
		static const char *const cmds[] = {"show",   "export", "tags",      "sweep",
						   "recompute", "ranks", "status", "partition", NULL};
		int k;
		for (k = 0; cmds[k] && strcmp(cmds[k], g->cli.rest[0]); k++)
			;
		if (cmds[k]) {
			cmd = cmds[k];
		} else {
			for (k = 0; k < g->cli.nrest && g->cli.nin < CLI_MAX_IN; k++)
				g->cli.in[g->cli.nin++] = g->cli.rest[k];
		}
	}
	g->pipelines = conf_pipelines(g->pipelines);
	ro = cmd && (!strcmp(cmd, "show") || !strcmp(cmd, "export") || !strcmp(cmd, "tags") ||
		     !strcmp(cmd, "status") || !strcmp(cmd, "ranks") ||
		     (!strcmp(cmd, "partition") && g->cli.nrest > 1 && !strcmp(g->cli.rest[1], "export")));
	if (cmd && !strcmp(cmd, "tags") && access(g->cli.db, F_OK)) {
		/* the definitions alone, no store to read facts from: numbered
		 * in a scratch store, removed at the end */
		if (!mkdtemp(scratch)) {
			cli_err("cannot make a scratch store '%s': %s", scratch, strerror(errno));
			rc = EXIT_IO;
			goto out;
		}
		g->cli.db = scratch;
		made_scratch = 1;
		g->st = store_open(g->cli.db, "tagger", STORE_NOSYNC, &code);
	} else if (ro && (rc = cli_need_state(g->cli.db))) {
		goto out;
	} else {
		g->st = store_open(g->cli.db, "tagger", (g->nosync ? STORE_NOSYNC : 0) | (ro ? STORE_RDONLY : 0), &code);
	}
	if (!g->st) {
		rc = code;
		goto out;
	}
	if (store_dbi(g->st, "tagger.profiles", 0, &g->profiles) ||
	    store_dbi(g->st, "tagger.dict", 0, &g->dict) || store_dbi(g->st, "tagger.facts", 0, &g->facts) ||
	    store_dbi(g->st, "tagger.state", 0, &g->state) ||
	    ((!ro || !strcmp(cmd, "status")) && store_dbi(g->st, "tagger.due", 0, &g->duedb)) ||
	    (!ro && seen_open(&g->seen, g->st, "tagger.seen"))) { /* queries need no seen set */
		rc = EXIT_IO;
		goto out;
	}
	g->names.st = g->st;
	g->d.st = g->st;
	g->d.facts = g->facts;
	g->d.names = &g->names;
	g->seen.st = g->st;
	g->names.dbi = g->dict;
	g->names.ns = "atg";
	store_cache(g->st, g->profiles); /* read a page at a time, kept across commits */
	/* changed profiles go to a journal at each commit, folded in rarely */
	if (store_journal(g->st, g->profiles, "tagger.journal")) {
		rc = EXIT_IO;
		goto out;
	}
	if (dict_load(&g->names)) {
		rc = EXIT_IO;
		goto out;
	}
	if (!cmd || !strcmp(cmd, "status") || !strcmp(cmd, "partition")) {
		static const struct handoff_db moves[] = {
			{"tagger.profiles", HANDOFF_PERSON},
			{"tagger.due", HANDOFF_STREAM, .any_stream = ANY_STREAM},
			{"tagger.state", HANDOFF_CLOCK, .key = "clock:%u"},
			{"tagger.state", HANDOFF_AGREE, .key = "defs"},
			{"tagger.dict", HANDOFF_AGREE},
			{"tagger.seen", HANDOFF_SEEN},
			{"tagger.facts", HANDOFF_META},
		};
		g->ho.st = g->st;
		g->ho.tool = "tagger";
		g->ho.dbs = moves;
		g->ho.ndbs = sizeof moves / sizeof *moves;
		g->ho.moved = facts_moved;
		g->ho.ctx = g;
		if (handoff_open(&g->ho)) {
			rc = EXIT_IO;
			goto out;
		}
	}
	if (load_state(g)) {
		rc = EXIT_IO;
		goto out;
	}
	/* every definition compiles before anything is written */
	if ((rc = load_defs(g)) || (rc = bind_defs(g)))
		goto out;
	if (!ro) {
		check_defs(g);
		check_due(g);
		if (due_open(&g->due, g->st, g->duedb)) {
			rc = EXIT_IO;
			goto out;
		}
		g->due_live = 1;
		if (g->pc.legacy)
			due_unfile(g);
	}
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-tagger";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.exit_at_end = g->exit_at_end;
	g->f.resume = g->resume;
	g->f.parts = g->parts;
	g->f.nparts = g->nparts;
	g->f.fence = 1;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
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
	if (!cmd)
		rc = run_filter(g);
	else if (!strcmp(cmd, "show"))
		rc = op_show(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "export"))
		rc = op_export(g);
	else if (!strcmp(cmd, "tags"))
		rc = op_tags(g);
	else if (!strcmp(cmd, "sweep"))
		rc = op_sweep(g);
	else if (!strcmp(cmd, "recompute"))
		rc = op_recompute(g);
	else if (!strcmp(cmd, "ranks"))
		rc = op_ranks(g);
	else if (!strcmp(cmd, "status"))
		rc = op_status(g);
	else if (!strcmp(cmd, "partition"))
		rc = op_partition(g, g->cli.nrest - 1, g->cli.rest + 1);
out:
	if (ro && g->st)
		store_discard(g->st);
	seen_free(&g->seen);
	fold_driver_free(&g->fd);
	handoff_free(&g->ho);
	due_free(&g->due);
	pclock_free(&g->pc);
	store_close(g->st);
	outcome_close(&g->f.oc);
	defs_free(g);
	profile_release(&g->p);
	profile_release(&g->q);
	json_doc_release(&g->doc);
	buf_release(&g->rec);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->val);
	buf_release(&g->cause);
	buf_release(&g->idpfx);
	buf_release(&g->dval);
	if (made_scratch)
		nftw(scratch, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	rc = cli_stdout_close(rc);
	return rc;
}
