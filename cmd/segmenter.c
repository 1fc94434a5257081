/*
 * segmenter - audiences that are always current.
 *
 * Reads tagger's output (events with "oneid", $tag, $merge, $tick) and keeps
 * the membership of the segments in pipelines/segments as roaring bitmaps
 * over oneids. Each record re-evaluates only the segments it can change,
 * for its person, and writes the record on followed by a $segment record
 * {oneid, segment, op: enter|exit} per change. Windows and absence ("no
 * order in 30 days") flip on the day they pass: every person has a
 * deadline, the first day one of their segments can change with time
 * alone, kept in LMDB and fired by the stream's clock.
 *
 * Besides the profile the conditions need (lib/profile, its own copy: a
 * stage never reads another's state mid-stream), every value a condition
 * reads is kept as a column of 64-bit cells by oneid, so `recompute`
 * evaluates every segment over arrays (lib/cond cond_eval_rows) without
 * reading a profile; streaming and full evaluation must agree.
 * State: the segmenter.* DBs, see schemas/lmdb.md.
 */
#include <errno.h>
#include <math.h>
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "colstore.h"
#include "cond.h"
#include "condbind.h"
#include "conf.h"
#include "dict.h"
#include "filter.h"
#include "fold.h"
#include "handoff.h"
#include "hash.h"
#include "json.h"
#include "lookalike.h"
#include "norm.h"
#include "outcome.h"
#include "pclock.h"
#include "profile.h"
#include "rbits.h"
#include "segdefs.h"
#include "segdue.h"
#include "segeval.h"
#include "seen.h"
#include "store.h"
#include "sysrec.h"

enum {
	OPT_PIPELINES = 300,
	OPT_SEGMENTS,
	OPT_GROUP,
	OPT_BATCH,
	OPT_DEDUPE,
	OPT_COMMIT_MS,
	OPT_NOSYNC,
	OPT_RESUME,
	OPT_AT,
	OPT_REBUILD,
	OPT_ID,
	OPT_UNMASK,
	OPT_SEED,
	OPT_SIZE,
	OPT_AS,
	OPT_REGION,
	OPT_BULK,
	OPT_PARTITIONS,
};

static const struct cli_opt opts[] = {
	{"segments", OPT_SEGMENTS, 1, "DIR", "segment definitions (default PIPELINES/segments)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-segmenter)"},
	{"dedupe-days", OPT_DEDUPE, 1, "N", "skip records whose event_id was applied in the last N days of event time (default 2; 0: off)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 262144)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000)"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end (a batch run: without --partitions, every partition, outside the group)"},
	{"partitions", OPT_PARTITIONS, 1, "LIST", "Kafka: take exactly these partitions of the input (0,1 or 0-3), no rebalancing; partition export, drop: the partition"},
	{"resume", OPT_RESUME, 0, NULL, "files: skip the lines of each input already committed by an earlier run"},
	{"at", OPT_AT, 1, "TIME", "recompute, explain: the clock (default the stream's; forward only)"},
	{"rebuild", OPT_REBUILD, 0, NULL, "recompute: rebuild every column from the profiles first"},
	{"id", OPT_ID, 1, "TYPE", "export: print this identifier type (phone, email, …) instead of oneids"},
	{"unmask", OPT_UNMASK, 0, NULL, "export: print identifiers in full (default masked)"},
	{"seed", OPT_SEED, 1, "SEG", "lookalike: the seed segment"},
	{"size", OPT_SIZE, 1, "N", "lookalike: how many people to add"},
	{"as", OPT_AS, 1, "NAME", "lookalike: the name of the new audience"},
	{"region", OPT_REGION, 1, "CODE", "upload: the country calling code of phone numbers without a +code (default ingest.json's default_region, else 86)"},
	{"bulk", OPT_BULK, 0, NULL, "load history: keep the profiles only; `recompute` then computes every audience"},
	{0, 0, 0, 0, 0},
};

struct seg {
	struct cli cli;
	const char *pipelines, *segs_dir, *group, *at, *id_type, *seed, *as, *region;
	char *region_own; /* upload: the default region, read from ingest.json */
	long batch, commit_ms, size;
	int nosync, exit_at_end, resume, rebuild, unmask, bulk;
	int bulk_pending; /* a bulk load waits for its recompute */
	int lazy; /* load memberships when asked for (queries) */
	unsigned char *only; /* recompute SEG…: the segments asked for */

	struct store *st;
	MDB_dbi people, members, due, cols, texts, dict, defs, state;
	struct filter f;
	struct seen seen;
	/* partitions: the static assignment, and the state that moves with a
	 * partition (lib/handoff) */
	int32_t parts[1024];
	int nparts;
	struct handoff ho;
	struct filter_ahead ahead;
	/* merges across streams: the $merges waiting for their $folds, the
	 * records set aside behind them (lib/fold) */
	struct fold_driver fd;
	uint32_t fold_old; /* the survivor's deadline, read by fold_begin */

	/* definitions (lib/segdefs) */
	struct segdefs d;

	/* dictionary: a(ggregates) t(raits) g (tags) c(olumns) */
	struct dict names;

	/* the columns' cells and texts (lib/colstore) */
	struct colstore cs;

	roaring_bitmap_t *present;
	int present_dirty;
	roaring_bitmap_t *dirty; /* people whose cells are behind their profile */
	/* a clock per stream (the input's partition; 0 for files): a person's
	 * decisions are made on their stream's clock (lib/pclock); the
	 * mark is the day up to which the stream's deadlines have fired */
	struct pclock pc;
	uint32_t stream;  /* the stream of the record being handled */
	int64_t clock;    /* its clock (ms), INT64_MIN before any: the time
			   * of what is being evaluated */
	uint32_t pstream, qstream; /* the stream p, q were filed under */

	struct profile p, q;
	const struct profile *rp; /* what jq sees */
	int64_t ts_cached;
	char ts_text[CLOCK_ISO_LEN + 1];
	int64_t rclock;
	unsigned char *mask, *flip;
	signed char *now; /* evaluate: each segment's answer (-1: not evaluated) */
	unsigned char *memo_state;
	struct aggres *memo;
	const struct profile *memo_profile;
	int64_t memo_clock;
	unsigned long long memo_gen, gen;
	struct json_doc doc;
	struct buf rec, line, tmp, cause;
	uint32_t cur;
	unsigned long long events, tagrecs, merges, ticks, flips, fired_people, dups;
	struct segdue sd; /* the deadlines, by day (segmenter.due, held whole) */

	/* memberships while streaming: a row of bits per oneid, bit i for
	 * segment i, kept beside the bitmaps (a lookup is one memory access
	 * for all of a person's segments, where each bitmap is searched) */
	unsigned char *mrow;
	size_t mrow_n;   /* the oneids the rows cover; past them, no member */
	unsigned mrow_w; /* bytes a row */
	int mrow_on;     /* streaming: build the rows when first asked */
};


/* ---- dictionary ---- */

static uint32_t name_slot(void *ctx, const char *name, size_t n)
{
	return dict_trait(&((struct seg *)ctx)->names, name, n);
}

/* ---- cell texts ---- */



/* ---- definitions ---- */



static int load_defs(struct seg *g)
{
	if (!g->segs_dir) {
		char path[4096];
		snprintf(path, sizeof path, "%s/segments", g->pipelines);
		g->segs_dir = xstrdup(path);
	}
	return segdefs_load(&g->d, g->segs_dir);
}


/* Queue a bitmap, run-optimised, in the portable serialisation. */
static void bitmap_put(struct seg *g, MDB_dbi dbi, const char *key, roaring_bitmap_t *m)
{
	size_t n;
	char *b;

	roaring_bitmap_run_optimize(m);
	n = roaring_bitmap_portable_size_in_bytes(m);
	b = xmalloc(n ? n : 1);
	roaring_bitmap_portable_serialize(m, b);
	store_put(g->st, dbi, key, strlen(key), b, n);
	free(b);
}

static void members_put(struct seg *g, const char *name, roaring_bitmap_t *m)
{
	bitmap_put(g, g->members, name, m);
}

/* Give the definitions their numbers and columns, load memberships. */
static void bind_defs(struct seg *g)
{
	segdefs_bind(&g->d, g->lazy);
	g->mask = xcalloc(g->d.nsegs + 1, 1);
	g->flip = xcalloc(g->d.nsegs + 1, 1);
	g->now = xcalloc(g->d.nsegs + 1, 1);
	{
		MDB_val v;
		g->present = NULL;
		if (store_get(g->st, g->state, "people", 6, &v) == 1)
			g->present = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
		if (!g->present)
			g->present = roaring_bitmap_create();
		g->dirty = NULL;
		if (store_get(g->st, g->state, "dirty", 5, &v) == 1)
			g->dirty = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
		if (!g->dirty)
			g->dirty = roaring_bitmap_create();
	}
}


/* ---- memberships ---- */

#define MROW_MAX ((size_t)256 << 20) /* bigger rows: the bitmaps alone */

static void mrow_drop(struct seg *g)
{
	free(g->mrow);
	g->mrow = NULL;
	g->mrow_n = 0;
}

struct mrow_fill {
	struct seg *g;
	unsigned i;
};

static bool mrow_fill(uint32_t v, void *ctx)
{
	struct mrow_fill *f = ctx;
	f->g->mrow[(size_t)v * f->g->mrow_w + f->i / 8] |= (unsigned char)(1u << (f->i % 8));
	return true;
}

/* Rows covering oneids up to need (and every member), with room to grow;
 * 0 where they would take more than MROW_MAX. */
static int mrow_build(struct seg *g, uint32_t need)
{
	size_t n = (size_t)need + 1;
	unsigned i;

	g->mrow_w = (g->d.nsegs + 7) / 8;
	for (i = 0; i < g->d.nsegs; i++)
		if (g->d.segs[i].m && !roaring_bitmap_is_empty(g->d.segs[i].m) &&
		    roaring_bitmap_maximum(g->d.segs[i].m) >= n)
			n = (size_t)roaring_bitmap_maximum(g->d.segs[i].m) + 1;
	n += n / 4 + 4096;
	if (!g->mrow_w || n * g->mrow_w > MROW_MAX) {
		g->mrow_on = 0;
		return 0;
	}
	g->mrow = xcalloc(n, g->mrow_w);
	g->mrow_n = n;
	for (i = 0; i < g->d.nsegs; i++) {
		struct mrow_fill f = {g, i};
		if (g->d.segs[i].m)
			roaring_iterate(g->d.segs[i].m, mrow_fill, &f);
	}
	return 1;
}

/* Whether oneid is a member of segment i. */
static int seg_has(struct seg *g, unsigned i, uint32_t oneid)
{
	if (g->mrow || (g->mrow_on && mrow_build(g, oneid)))
		return oneid < g->mrow_n && (g->mrow[(size_t)oneid * g->mrow_w + i / 8] >> (i % 8) & 1);
	return roaring_bitmap_contains(g->d.segs[i].m, oneid);
}

/* Make oneid a member of segment i (on) or not. */
static void seg_set(struct seg *g, unsigned i, uint32_t oneid, int on)
{
	unsigned char *r;

	if (on)
		roaring_bitmap_add(g->d.segs[i].m, oneid);
	else
		roaring_bitmap_remove(g->d.segs[i].m, oneid);
	if (!g->mrow)
		return;
	if (oneid >= g->mrow_n) {
		size_t n = (size_t)oneid + oneid / 4 + 4096;
		if (!on)
			return;
		if (n * g->mrow_w > MROW_MAX) {
			mrow_drop(g);
			g->mrow_on = 0;
			return;
		}
		g->mrow = xrealloc(g->mrow, n * g->mrow_w);
		memset(g->mrow + g->mrow_n * g->mrow_w, 0, (n - g->mrow_n) * g->mrow_w);
		g->mrow_n = n;
	}
	r = &g->mrow[(size_t)oneid * g->mrow_w + i / 8];
	if (on)
		*r |= (unsigned char)(1u << (i % 8));
	else
		*r &= (unsigned char)~(1u << (i % 8));
}

/* ---- evaluation ---- */

static int env_segment(void *ctx, unsigned idx)
{
	struct seg *g = ctx;
	return seg_has(g, idx, g->cur);
}

static const char *env_segment_name(void *ctx, unsigned idx)
{
	return ((struct seg *)ctx)->d.segs[idx].name;
}

static void write_time(struct buf *out, int64_t t)
{
	char iso[CLOCK_ISO_LEN + 1];

	clock_format(t, iso);
	buf_printf(out, "\"%s\"", iso);
}

/* The profile as jq conditions see it: oneid, events, first_seen,
 * last_seen, traits, tags and the clock. */
static void env_render(void *ctx, struct buf *out)
{
	struct seg *g = ctx;
	const struct profile *p = g->rp;
	unsigned i, n = 0;

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
		if (!name)
			continue;
		if (n++)
			buf_addc(out, ',');
		json_write_str(out, name, strlen(name));
		buf_addc(out, ':');
		buf_add(out, p->traits[i].v.p, p->traits[i].v.len);
	}
	buf_adds(out, "},\"tags\":{");
	for (i = 0, n = 0; i < p->ntags && i < g->d.ntagnames; i++) {
		if (!p->tags[i].set)
			continue;
		if (n++)
			buf_addc(out, ',');
		json_write_str(out, g->d.tagnames[i], strlen(g->d.tagnames[i]));
		buf_addc(out, ':');
		buf_add(out, p->tags[i].v.p, p->tags[i].v.len);
	}
	buf_adds(out, "},\"clock\":");
	write_time(out, g->rclock);
	buf_addc(out, '}');
}

static void env_init(struct seg *g, struct cond_env *e, const struct profile *p, int64_t clock)
{
	memset(e, 0, sizeof *e);
	g->rp = p;
	g->rclock = clock;
	e->render = env_render;
	e->p = p;
	e->L = &g->d.L;
	e->clock = clock;
	e->ctx = g;
	e->segment = env_segment;
	e->segment_name = env_segment_name;
	if (g->memo_profile == p && g->memo_clock == clock && g->memo_gen == g->gen) {
		e->memo_state = g->memo_state;
		e->memo = g->memo;
	}
}

static void memo_start(struct seg *g, const struct profile *p, int64_t clock)
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

static int where_match(void *ctx, const struct agg_spec *s, const struct json_doc *d, uint32_t ev)
{
	struct seg *g = ctx;
	struct cond_env e;

	env_init(g, &e, &g->p, g->clock);
	e.doc = d;
	e.ev = ev;
	return cond_eval(s->where, &e);
}

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

static void emit_segment(struct seg *g, uint32_t oneid, const struct segdef *s, int enter, int64_t ts)
{
	size_t at, k;

	if (ts != g->ts_cached || !g->ts_text[0]) { /* one format per clock */
		clock_format(ts, g->ts_text);
		g->ts_cached = ts;
	}
	buf_reset(&g->line);
	buf_adds(&g->line, "{\"type\":\"$segment\",\"event_id\":");
	buf_reset(&g->tmp);
	buf_adds(&g->tmp, "seg:");
	buf_add(&g->tmp, g->cause.p ? g->cause.p : "", g->cause.len);
	buf_addc(&g->tmp, ':');
	buf_adds(&g->tmp, s->name);
	json_write_str(&g->line, g->tmp.p, g->tmp.len);
	buf_adds(&g->line, ",\"ts\":\"");
	buf_adds(&g->line, g->ts_text);
	buf_adds(&g->line, "\",\"oneid\":");
	at = g->line.len;
	buf_u64(&g->line, oneid);
	k = g->line.len - at; /* the key: the oneid's digits */
	buf_adds(&g->line, ",\"segment\":\"");
	buf_adds(&g->line, s->name);
	buf_adds(&g->line, enter ? "\",\"op\":\"enter\"}" : "\",\"op\":\"exit\"}");
	g->flips++;
	filter_emit(&g->f, g->line.p + at, k, g->line.p, g->line.len);
}

/* The first day on which one of the person's segments changes with time alone
 * (a day number), or SEGDUE_NONE. */
static uint32_t next_due(struct seg *g, const struct cond_env *e, const signed char *now)
{
	int64_t due = INT64_MAX;
	unsigned i;

	for (i = 0; g->d.ntimed && i < g->d.nsegs; i++) {
		const struct segdef *s = &g->d.segs[i];
		int64_t d;
		int at;
		if (!s->timed)
			continue;
		/* the answer now: as evaluate found it, or (not evaluated: the
		 * event cannot change it, and deadlines fire before events)
		 * the membership */
		if (!now)
			at = cond_eval(s->when, e);
		else if (now[i] >= 0)
			at = now[i];
		else
			at = seg_has(g, i, e->p->oneid);
		/* only a flip before the best so far matters */
		d = cond_next_flip_before(s->when, e, at, due);
		if (d < due)
			due = d;
	}
	return due > 0 && due < (int64_t)SEGDUE_NONE ? (uint32_t)due : SEGDUE_NONE;
}

/* Re-evaluate the segments of p marked in g->mask (and those reading a
 * segment that changed) at clock; emit the changes; keep the columns of
 * what was evaluated. Returns p's next deadline (a day, or SEGDUE_NONE): old,
 * p's deadline so far, when no timed segment was evaluated. A deadline is
 * the first day a timed segment flips with time alone; when nothing such
 * a segment reads changed (it would be marked), that day is the same,
 * and it is still ahead (deadlines fire before events). */
static uint32_t evaluate(struct seg *g, struct profile *p, int64_t clock, uint32_t old)
{
	struct cond_env e;
	unsigned i, k;

	memo_start(g, p, clock);
	env_init(g, &e, p, clock);
	g->cur = p->oneid;
	memset(g->flip, 0, g->d.nsegs);
	memset(g->now, -1, g->d.nsegs);
	for (i = 0; i < g->d.nsegs; i++) {
		struct segdef *s = &g->d.segs[i];
		int need = g->mask[i], now, was;
		if (!s->when)
			continue;
		for (k = 0; k < s->ndeps && !need; k++)
			need = g->flip[s->deps[k]];
		if (!need)
			continue;
		now = cond_eval(s->when, &e);
		g->now[i] = (signed char)now;
		was = seg_has(g, i, p->oneid);
		if (now == was)
			continue;
		seg_set(g, i, p->oneid, now);
		s->dirty = 1;
		g->flip[i] = 1;
		emit_segment(g, p->oneid, s, now, clock);
	}
	g->memo_profile = NULL;
	for (i = 0; i < g->d.nsegs; i++)
		if (g->d.segs[i].timed && g->now[i] >= 0)
			return next_due(g, &e, g->now);
	return old;
}

/* ---- people in LMDB ---- */

/* The head of a segmenter.people value: the deadline, the stream (the
 * earlier layout has none: SEGDUE_ANY). Returns the head's length, or 0
 * when the value is too short. */
static size_t person_head(const void *v, size_t n, uint32_t *due, uint32_t *stream)
{
	const unsigned char *b = v;

	if (n < 4)
		return 0;
	*due = store_get_be32(b);
	if (n < 8 || !(b[4] & 0x80)) { /* a profile's format byte follows */
		*stream = SEGDUE_ANY;
		return 4;
	}
	*stream = store_get_be32(b + 4) & ~SEGDUE_STREAM_BIT;
	return 8;
}

/* Load oneid into p (*due its deadline, *stream the stream it is filed
 * under): 1 found, 0 new, -1 error. A new person has no deadline and the
 * stream being handled.
 * With lazy, an aggregate is decoded when first read, and one never read
 * is written back as it was: the value read must stay in place until p is
 * saved (nothing is read or written in the store in between). */
static int load_person(struct seg *g, struct profile *p, uint32_t oneid, uint32_t *due, uint32_t *stream,
		       int lazy)
{
	unsigned char key[4];
	MDB_val v;
	size_t h;
	int r;

	store_be32(key, oneid);
	p->oneid = oneid;
	*due = SEGDUE_NONE;
	*stream = g->stream;
	r = store_get(g->st, g->people, key, 4, &v);
	if (r < 0) {
		g->f.fatal = EXIT_IO;
		return -1;
	}
	if (r == 0 || !(h = person_head(v.mv_data, v.mv_size, due, stream))) {
		*due = SEGDUE_NONE;
		*stream = g->stream;
		profile_reset(p, &g->d.L, oneid);
		return 0;
	}
	if ((lazy ? profile_decode_lazy : profile_decode)(p, &g->d.L, (const char *)v.mv_data + h, v.mv_size - h)) {
		cli_err("person %u in segmenter.people is damaged; it starts again empty", oneid);
		profile_reset(p, &g->d.L, oneid);
		return 0;
	}
	return 1;
}

/* Write p, filed under stream s with deadline due; it was filed under os
 * with old_due. */
static void save_person(struct seg *g, struct profile *p, uint32_t os, uint32_t old_due, uint32_t s,
			uint32_t due, int64_t clock)
{
	unsigned char key[8];

	profile_prune(p, &g->d.L, clock);
	buf_reset(&g->rec);
	store_be32(key, due);
	store_be32(key + 4, s | SEGDUE_STREAM_BIT);
	buf_add(&g->rec, key, 8);
	profile_encode_add(p, &g->d.L, &g->rec);
	store_be32(key, p->oneid);
	store_put(g->st, g->people, key, 4, g->rec.p, g->rec.len);
	segdue_move(&g->sd, p->oneid, os, old_due, s, due);
	if (!roaring_bitmap_contains(g->present, p->oneid)) {
		roaring_bitmap_add(g->present, p->oneid);
		g->present_dirty = 1;
	}
	roaring_bitmap_add(g->dirty, p->oneid);
}

static void save_state(struct seg *g)
{
	pclock_save(&g->pc);
	if (g->bulk)
		store_put(g->st, g->state, "bulk", 4, "1", 1);
}

static int load_state(struct seg *g)
{
	MDB_val v;

	if (pclock_load(&g->pc, g->st, g->state, "fired"))
		return -1;
	g->clock = pclock_max(&g->pc);
	g->bulk_pending = store_get(g->st, g->state, "bulk", 4, &v) == 1;
	return 0;
}


static int before_commit(void *ctx)
{
	struct seg *g = ctx;
	unsigned i;

	bitmap_put(g, g->state, "dirty", g->dirty);
	/* the set serves every stream: what the stream furthest behind may
	 * still meet stays */
	seen_prune(&g->seen, pclock_min(&g->pc));
	for (i = 0; i < g->d.nsegs; i++)
		if (g->d.segs[i].dirty) {
			members_put(g, g->d.segs[i].name, g->d.segs[i].m);
			g->d.segs[i].dirty = 0;
		}
	if (g->present_dirty) {
		bitmap_put(g, g->state, "people", g->present);
		g->present_dirty = 0;
	}
	colstore_save(&g->cs);
	segdue_save(&g->sd);
	dict_save(&g->names);
	save_state(g);
	return 0;
}

static void after_commit(void *ctx)
{
	struct seg *g = ctx;
	/* the store holds them now; keep the memory bounded */
	if (g->cs.nch > 4096)
		colstore_drop(&g->cs);
}

/* ---- deadlines ---- */

/* Fire the people due on a day of the stream, and those of no known
 * stream due that day, in oneid order, each at the start of the day. */
static int fire_day(struct seg *g, uint32_t stream, uint32_t day, uint32_t **ids, size_t *cap)
{
	struct segdue_day *d = segdue_day(&g->sd, stream, day, 0);
	struct segdue_day *a = stream != SEGDUE_ANY ? segdue_day(&g->sd, SEGDUE_ANY, day, 0) : NULL;
	roaring_bitmap_t *b;
	size_t n, i;
	int rc;

	if (d)
		segdue_flush(d);
	if (a)
		segdue_flush(a);
	if (d && a)
		b = roaring_bitmap_or(d->b, a->b);
	else if (d || a)
		b = roaring_bitmap_copy(d ? d->b : a->b);
	else
		return 0;
	n = (size_t)roaring_bitmap_get_cardinality(b);
	if (n > *cap) {
		*cap = n;
		free(*ids);
		*ids = xmalloc(n * sizeof **ids);
	}
	roaring_bitmap_to_uint32_array(b, *ids);
	roaring_bitmap_free(b);
	/* d and a move as days are made: not used from here on */
	for (i = 0; i < n; i++) {
		uint32_t oneid = (*ids)[i], old, due, ps;
		int64_t at = (int64_t)day * DAY_MS;
		unsigned j;
		if (load_person(g, &g->p, oneid, &old, &ps, 1) != 1 || old != day ||
		    (ps != stream && ps != SEGDUE_ANY)) {
			/* left behind: drop it */
			segdue_move(&g->sd, oneid, stream, day, stream, SEGDUE_NONE);
			segdue_move(&g->sd, oneid, SEGDUE_ANY, day, SEGDUE_ANY, SEGDUE_NONE);
			continue;
		}
		for (j = 0; j < g->d.nsegs; j++)
			g->mask[j] = (unsigned char)g->d.segs[j].timed;
		buf_reset(&g->cause);
		buf_adds(&g->cause, "due:");
		buf_u64(&g->cause, day);
		buf_addc(&g->cause, ':');
		buf_u64(&g->cause, oneid);
		due = evaluate(g, &g->p, at, SEGDUE_NONE);
		save_person(g, &g->p, ps, old, ps, due, at);
		g->fired_people++;
		if (g->f.fatal)
			return g->f.fatal;
		if ((long)store_pending(g->st) >= g->batch) {
			if ((rc = filter_commit_mid(&g->f)))
				return rc;
			if (cli_stop) /* the rest when the record is read again */
				return -2;
		}
	}
	return 0;
}

/*
 * Fire every deadline of stream s up to day `upto`, in (day, oneid) order:
 * each person is re-evaluated at the start of the day, timed segments
 * only. Deadlines of no known stream (a store of one clock) fire too,
 * with the stream's own of their day. Firing a day may set deadlines of later
 * days, up to upto too: they fire in their turn. A big day commits on the
 * way; run again, it fires the rest.
 */
static int fire_due(struct seg *g, uint32_t s, int64_t upto)
{
	int rc = 0;
	uint32_t *ids = NULL;
	size_t cap = 0;
	int64_t from = 0;

	if (upto <= 0 || upto >= (int64_t)SEGDUE_NONE)
		return 0;
	for (;;) {
		struct segdue_day *d = segdue_first(&g->sd, s, from, upto);
		struct segdue_day *a = s != SEGDUE_ANY ? segdue_first(&g->sd, SEGDUE_ANY, from, upto) : NULL;
		uint32_t day;

		if (!d && !a)
			break;
		day = d && (!a || d->day <= a->day) ? d->day : a->day;
		if ((rc = fire_day(g, s, day, &ids, &cap)))
			break;
		from = (int64_t)day + 1;
	}
	free(ids);
	return rc;
}

/* Stream s's clock reaches ts: fire the deadlines of the days it enters.
 * The clock moves only once they are fired, so a record read again after
 * a crash mid-way fires the rest. g->clock is then the stream's clock. */
static void advance(struct seg *g, uint32_t s, int64_t ts)
{
	struct pclock_stream *c = pclock_get(&g->pc, s);
	int64_t day = day_of(ts);

	if (g->bulk) { /* deadlines wait for the recompute after the load */
		if (c->clock == INT64_MIN || ts > c->clock) {
			c->clock = ts;
			c->dirty = 1;
		}
		g->clock = c->clock;
		return;
	}
	if (c->mark == INT64_MIN) {
		c->mark = day;
		c->dirty = 1;
	} else if (day > c->mark) {
		int rc = fire_due(g, s, day);
		c = pclock_get(&g->pc, s);
		if (rc == -2) {
			filter_stop_mid(&g->f);
			g->clock = c->clock;
			return;
		}
		if (rc) {
			g->f.fatal = rc;
			g->clock = c->clock;
			return;
		}
		c->mark = day;
		c->dirty = 1;
	}
	if (c->clock == INT64_MIN || ts > c->clock) {
		c->clock = ts;
		c->dirty = 1;
	}
	g->clock = c->clock;
}

/* One time for the whole store (a full evaluation at clock): every stream
 * met reaches it, its deadlines fired, and so does a stream met later. */
static int advance_all(struct seg *g, int64_t clock)
{
	size_t i;
	uint32_t *v;
	size_t n = g->pc.n;

	if (clock == INT64_MIN)
		return 0;
	v = xmalloc((n + 1) * sizeof *v);
	for (i = 0; i < n; i++)
		v[i] = g->pc.v[i].stream;
	if (!n) /* none met: the deadlines of no known stream */
		v[n++] = SEGDUE_ANY;
	for (i = 0; i < n && !g->f.fatal && !g->f.redo; i++) {
		if (v[i] == SEGDUE_ANY) {
			int rc = g->bulk ? 0 : fire_due(g, SEGDUE_ANY, day_of(clock));
			if (rc == -2)
				filter_stop_mid(&g->f);
			else if (rc)
				g->f.fatal = rc;
		} else {
			advance(g, v[i], clock);
		}
	}
	free(v);
	if (g->f.fatal || g->f.redo)
		return g->f.fatal ? g->f.fatal : 0;
	if (!g->bulk)
		pclock_set_all(&g->pc, clock, day_of(clock));
	g->clock = clock;
	return 0;
}

/* ---- the filter ---- */



static void set_cause(struct seg *g, const struct json_doc *d, uint32_t eid)
{
	buf_reset(&g->cause);
	if (eid && d->t[eid].type == JSON_STRING)
		json_str_get(d, eid, &g->cause);
}

/* A person leaves for good (merged into another): exits, cells, deadline
 * (filed under stream os). */
static void person_gone(struct seg *g, uint32_t oneid, uint32_t os, uint32_t due, uint32_t into)
{
	unsigned char key[8];
	unsigned i;

	for (i = 0; i < g->d.nsegs; i++) {
		struct segdef *s = &g->d.segs[i];
		if (!seg_has(g, i, oneid))
			continue;
		seg_set(g, i, oneid, 0);
		s->dirty = 1;
		emit_segment(g, oneid, s, 0, g->clock);
		if (into && !s->when && !seg_has(g, i, into)) {
			/* a list names the person, who lives on as `into` (0:
			 * on another stream, told by a $fold) */
			seg_set(g, i, into, 1);
			emit_segment(g, into, s, 1, g->clock);
		}
	}
	roaring_bitmap_add(g->dirty, oneid); /* its cells go */
	store_be32(key, oneid);
	store_del(g->st, g->people, key, 4);
	segdue_move(&g->sd, oneid, os, due, os, SEGDUE_NONE);
	roaring_bitmap_remove(g->present, oneid);
	g->present_dirty = 1;
}

static void on_merge(struct seg *g, const struct json_doc *d, uint32_t oneid, uint32_t eid)
{
	uint32_t m = json_get(d, 0, "merged", 6), k, i, mid, old, qdue, due;
	int any = 0;

	if (load_person(g, &g->p, oneid, &old, &g->pstream, 0) < 0)
		return;
	set_cause(g, d, eid);
	for (k = 0, i = m + 1; k < d->t[m].size; k++, i = d->t[i].next) {
		if (json_oneid(d, i, &mid) || mid == oneid)
			continue;
		/* a person merged in from another partition leaves it here, on
		 * this stream's clock; what is still on its way to them there
		 * (keyed by their old oneid) is not seen by this stream */
		if (load_person(g, &g->q, mid, &qdue, &g->qstream, 0) != 1)
			continue;
		profile_merge(&g->p, &g->q, &g->d.L);
		person_gone(g, mid, g->qstream, qdue, oneid);
		any = 1;
	}
	g->merges++;
	if (!any)
		return;
	memset(g->mask, 1, g->d.nsegs);
	due = g->bulk ? old : evaluate(g, &g->p, g->clock, old);
	save_person(g, &g->p, g->pstream, old, g->stream, due, g->clock);
}

static void on_tag(struct seg *g, const struct json_doc *d, uint32_t oneid, uint32_t eid)
{
	uint32_t t = json_get(d, 0, "tag", 3), nv = json_get(d, 0, "new", 3), old, due;
	unsigned i, k;
	int fresh;

	for (i = 0; i < g->d.ntagnames; i++)
		if (t && json_str_eq(d, t, g->d.tagnames[i], strlen(g->d.tagnames[i])))
			break;
	if (i == g->d.ntagnames)
		return; /* no segment reads it */
	if ((fresh = load_person(g, &g->p, oneid, &old, &g->pstream, 1)) < 0)
		return;
	buf_reset(&g->p.tags[i].v);
	g->p.tags_raw = NULL;
	if (nv && d->t[nv].type != JSON_NULL) {
		json_write_tok(d, nv, &g->p.tags[i].v);
		g->p.tags[i].set = 1;
	} else {
		g->p.tags[i].set = 0;
	}
	for (k = 0; k < g->d.nsegs; k++) {
		unsigned j;
		g->mask[k] = fresh == 0;
		for (j = 0; j < g->d.segs[k].ntags; j++)
			if (g->d.segs[k].tags[j] == i)
				g->mask[k] = 1;
	}
	g->tagrecs++;
	set_cause(g, d, eid);
	due = g->bulk ? old : evaluate(g, &g->p, g->clock, old);
	save_person(g, &g->p, g->pstream, old, g->stream, due, g->clock);
}

static void on_event(struct seg *g, const struct json_doc *d, uint32_t t_type, uint32_t oneid, int64_t ts,
		     uint32_t eid)
{
	const char *type = d->s + d->t[t_type].off;
	size_t tlen = d->t[t_type].len;
	uint32_t old, due, tr = json_get(d, 0, "traits", 6);
	int traits = tr && d->t[tr].type == JSON_OBJECT && d->t[tr].size;
	unsigned i, k;

	int fresh;

	if ((fresh = load_person(g, &g->p, oneid, &old, &g->pstream, 1)) < 0)
		return;
	fresh = !fresh; /* a new person: every segment is evaluated once */
	profile_apply(&g->p, &g->d.L, d, 0, type, tlen, ts, name_slot, where_match, g);
	for (i = 0; i < g->d.nsegs; i++) {
		struct segdef *s = &g->d.segs[i];
		int m = fresh || s->any_event || (traits && s->traits);
		for (k = 0; k < s->nevents && !m; k++)
			m = strlen(s->events[k]) == tlen && !memcmp(s->events[k], type, tlen);
		g->mask[i] = (unsigned char)m;
	}
	g->events++;
	set_cause(g, d, eid);
	due = g->bulk ? old : evaluate(g, &g->p, g->clock, old);
	save_person(g, &g->p, g->pstream, old, g->stream, due, g->clock);
}

static void process(struct seg *g, const char *s, size_t n);

/* The record's stream is st: its clock is the one decisions use. */
static void set_stream(struct seg *g, uint32_t st)
{
	const struct pclock_stream *c = pclock_find(&g->pc, st);

	g->stream = st;
	g->clock = c ? c->clock : g->pc.base.clock;
}

static const char *slot_name(void *ctx, uint32_t slot, size_t *n)
{
	const char *name = dict_trait_name(&((struct seg *)ctx)->names, slot);

	if (name)
		*n = strlen(name);
	return name;
}

/* Is list segment i among the names of array token lists of fd? */
static int listed(struct seg *g, const struct json_doc *fd, uint32_t lists, unsigned i)
{
	uint32_t k, j;

	if (!lists || fd->t[lists].type != JSON_ARRAY)
		return 0;
	for (k = 0, j = lists + 1; k < fd->t[lists].size; k++, j = fd->t[j].next)
		if (fd->t[j].type == JSON_STRING && json_str_eq(fd, j, g->d.segs[i].name, strlen(g->d.segs[i].name)))
			return 1;
	return 0;
}

/*
 * The fold driver's callbacks (lib/fold). A person leaving here leaves
 * (their exits, on this stream's clock), and their state goes as a $fold:
 * the profile by names, and the lists that named them (the survivor's
 * stream enters the survivor into them).
 */
static int fold_leave(void *ctx, uint32_t lv, const struct json_doc *d, uint32_t t_id, struct buf *out)
{
	struct seg *g = ctx;
	uint32_t qdue;
	unsigned i, k;
	int r;

	if ((r = load_person(g, &g->q, lv, &qdue, &g->qstream, 0)) < 0)
		return -1;
	if (r != 1) {
		buf_adds(out, "null");
		return 0;
	}
	profile_fold_write(&g->q, &g->d.L, slot_name, g, out);
	out->len--; /* the object goes on: the lists */
	buf_adds(out, ",\"lists\":[");
	for (k = 0, i = 0; i < g->d.nsegs; i++)
		if (!g->d.segs[i].when && seg_has(g, i, lv)) {
			if (k++)
				buf_addc(out, ',');
			json_write_str(out, g->d.segs[i].name, strlen(g->d.segs[i].name));
		}
	buf_adds(out, "]}");
	set_cause(g, d, t_id);
	person_gone(g, lv, g->qstream, qdue, 0);
	return 0;
}

static int fold_begin(void *ctx, const struct json_doc *d, uint32_t oneid, uint32_t t_id)
{
	struct seg *g = ctx;

	if (load_person(g, &g->p, oneid, &g->fold_old, &g->pstream, 0) < 0)
		return -1;
	set_cause(g, d, t_id);
	return 0;
}

static int fold_take(void *ctx, uint32_t mid, const struct json_doc *fd, uint32_t st)
{
	struct seg *g = ctx;
	uint32_t oneid = g->p.oneid;
	unsigned x;
	int r;

	g->q.oneid = mid;
	r = profile_fold_read(&g->q, &g->d.L, fd, st, name_slot, g);
	profile_merge(&g->p, &g->q, &g->d.L);
	/* the lists that named the merged person name the survivor */
	for (x = 0; x < g->d.nsegs; x++)
		if (!g->d.segs[x].when && listed(g, fd, json_get(fd, st, "lists", 5), x) && !seg_has(g, x, oneid)) {
			seg_set(g, x, oneid, 1);
			g->d.segs[x].dirty = 1;
			emit_segment(g, oneid, &g->d.segs[x], 1, g->clock);
		}
	return r != 0;
}

static void fold_end(void *ctx, const struct json_doc *d, uint32_t t_id, int any)
{
	struct seg *g = ctx;
	uint32_t due, old = g->fold_old;

	(void)d;
	(void)t_id;
	g->merges++;
	if (!any)
		return;
	memset(g->mask, 1, g->d.nsegs);
	due = g->bulk ? old : evaluate(g, &g->p, g->clock, old);
	save_person(g, &g->p, g->pstream, old, g->stream, due, g->clock);
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

static void process(struct seg *g, const char *s, size_t n)
{
	struct json_doc *d = &g->doc;
	const char *why;
	size_t at;
	uint32_t t_type, t_ts, t_oneid, t_id, oneid;
	int64_t ts;
	int sys;
	char key[16];
	int kl;

	g->f.oc.in++;
	/* the record's stream and its clock: every decision below is made on
	 * them, whatever the other streams have reached */
	g->stream = g->f.stream;
	{
		const struct pclock_stream *c = pclock_find(&g->pc, g->stream);
		g->clock = c ? c->clock : g->pc.base.clock;
	}
	filter_fetch_ahead(&g->f, g->people, &g->ahead);
	if (json_parse(d, s, n, 64, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	t_type = json_get(d, 0, "type", 4);
	t_ts = json_get(d, 0, "ts", 2);
	t_oneid = json_get(d, 0, "oneid", 5);
	t_id = json_get(d, 0, "event_id", 8);
	if (!t_type || d->t[t_type].type != JSON_STRING || !d->t[t_type].len) {
		OUTCOME_REJECT(&g->f.oc, "no \"type\": want events with a oneid (tagger's output)");
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
	if (sys && !json_str_eq(d, t_type, "$merge", 6) && !json_str_eq(d, t_type, "$tag", 4)) {
		g->f.oc.passed++;
		filter_emit(&g->f, NULL, 0, s, n);
		return;
	}
	if (sys && (why = sysrec_check(d, 0, json_str_eq(d, t_type, "$merge", 6) ? "$merge" : "$tag"))) {
		outcome_reject(&g->f.oc, why, strlen(why));
		return;
	}
	if (json_oneid(d, t_oneid, &oneid)) {
		OUTCOME_REJECT(&g->f.oc, "no valid \"oneid\": want events with a oneid (tagger's output)");
		return;
	}
	{
		unsigned char kb[4];
		store_be32(kb, oneid);
		store_prefetch(g->st, g->people, kb); /* fetched while the rest of the record is read */
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
	/* a $merge across streams (Kafka) */
	if (sys && json_str_eq(d, t_type, "$merge", 6) && fold_driver_merge(&g->fd, d, s, n, oneid, ts))
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
	kl = u32_dec(key, oneid);
	if (filter_emit(&g->f, key, (size_t)kl, s, n))
		return;
	if (!sys)
		on_event(g, d, t_type, oneid, ts, t_id);
	else if (json_str_eq(d, t_type, "$merge", 6))
		on_merge(g, d, oneid, t_id);
	else
		on_tag(g, d, oneid, t_id);
}

static void on_record(void *ctx, const char *p, size_t n)
{
	struct seg *g = ctx;

	/* a stream waiting for a merge's $folds: what comes after the
	 * $merge waits too */
	if (!fold_driver_aside(&g->fd, g->f.stream, p, n))
		process(g, p, n);
}

static int fold_waiting(void *ctx)
{
	return fold_driver_waiting(&((struct seg *)ctx)->fd);
}

static void fold_input_end(void *ctx)
{
	fold_driver_end(&((struct seg *)ctx)->fd);
}

static void fold_revoked(void *ctx)
{
	fold_driver_revoked(&((struct seg *)ctx)->fd);
}

static void col_label(struct seg *g, const char *canon, struct buf *out);

/* ---- full evaluation ---- */



/* which cells person_cells computes: the built columns' (and the
 * deadline), the columns' not built yet, every column's, or the built
 * columns' alone (a partition moved in: its deadlines came with it) */
enum { CELLS_BUILT, CELLS_UNBUILT, CELLS_ALL, CELLS_MOVED };

static int cells_want(const struct segdef_col *c, int which)
{
	return which == CELLS_ALL || (which != CELLS_UNBUILT) == (c->built != 0);
}

/* The cells of one person (of the columns `which` picks) from their
 * profile record, or missing when there is none. */
static void person_cells(struct seg *g, uint32_t oneid, const void *rec, size_t n, int which)
{
	struct cond_env e;
	unsigned i;
	uint32_t old = SEGDUE_NONE, ps = SEGDUE_ANY;
	size_t h = rec ? person_head(rec, n, &old, &ps) : 0;

	g->p.oneid = oneid;
	if (!h || profile_decode(&g->p, &g->d.L, (const char *)rec + h, n - h)) {
		for (i = 0; i < g->d.ncols; i++)
			if (cells_want(&g->d.colv[i], which))
				colstore_cell_set(&g->cs, g->d.colv[i].id, oneid, CELL_NONE);
		return;
	}
	memo_start(g, &g->p, g->clock);
	env_init(g, &e, &g->p, g->clock);
	g->cur = oneid;
	for (i = 0; i < g->d.ncols; i++) {
		struct cval cv;
		if (!cells_want(&g->d.colv[i], which))
			continue;
		cexpr_cell(g->d.colv[i].x, &e, &cv);
		colstore_cell_set(&g->cs, g->d.colv[i].id, oneid, colstore_cell_of(&g->cs, &cv));
	}
	if (which == CELLS_BUILT) {
		/* the deadline too: a bulk load leaves it unknown */
		uint32_t due = next_due(g, &e, NULL);
		if (due != old) {
			unsigned char key[8];
			char *copy = xmalloc(n);
			memcpy(copy, rec, n);
			store_be32((unsigned char *)copy, due);
			store_be32(key, oneid);
			store_put(g->st, g->people, key, 4, copy, n);
			free(copy);
			segdue_move(&g->sd, oneid, ps, old, ps, due);
		}
	}
	g->memo_profile = NULL;
}

/* Bring the cells of the people whose profile changed since (the dirty
 * ones) up to date, in oneid order. */
static int refresh_dirty(struct seg *g)
{
	roaring_uint32_iterator_t *it;
	int rc = 0;

	if (!roaring_bitmap_get_cardinality(g->dirty))
		return 0;
	if ((rc = filter_commit(&g->f)))
		return rc;
	it = roaring_create_iterator(g->dirty);
	while (it->has_value && !rc) {
		unsigned char key[4];
		MDB_val v;
		int r;
		store_be32(key, it->current_value);
		r = store_get(g->st, g->people, key, 4, &v);
		if (r < 0) {
			rc = EXIT_IO;
			break;
		}
		person_cells(g, it->current_value, r == 1 ? v.mv_data : NULL, r == 1 ? v.mv_size : 0, CELLS_BUILT);
		roaring_advance_uint32_iterator(it);
		if (g->cs.nch > 8192) {
			rc = filter_commit(&g->f);
			colstore_drop(&g->cs);
		}
	}
	roaring_free_uint32_iterator(it);
	if (rc)
		return rc;
	roaring_bitmap_free(g->dirty);
	g->dirty = roaring_bitmap_create();
	rc = filter_commit(&g->f);
	colstore_drop(&g->cs);
	return rc;
}

/* Compute the columns not yet built (all with rebuild) from the people. */
static int backfill(struct seg *g, int all)
{
	unsigned char from[4] = {0, 0, 0, 0};
	unsigned i, want = 0;
	int rc, first = 1;

	for (i = 0; i < g->d.ncols; i++)
		want += all || !g->d.colv[i].built;
	if (!want)
		return 0;
	if ((rc = filter_commit(&g->f)) || (rc = store_fold(g->st))) /* the scan reads the DB */
		return rc;
	for (;;) {
		MDB_txn *txn;
		MDB_cursor *cur;
		MDB_val k, v;
		int r, more = 0;

		if ((rc = filter_commit(&g->f)))
			return rc;
		txn = store_read_txn(g->st);
		if (!txn || mdb_cursor_open(txn, g->people, &cur))
			return EXIT_IO;
		k.mv_data = from;
		k.mv_size = 4;
		for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); r == 0;
		     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			if (k.mv_size != 4 || v.mv_size < 4)
				continue;
			if (!first && !memcmp(k.mv_data, from, 4))
				continue;
			person_cells(g, store_get_be32(k.mv_data), v.mv_data, v.mv_size, all ? CELLS_ALL : CELLS_UNBUILT);
			if (g->cs.nch > 8192) {
				memcpy(from, k.mv_data, 4);
				more = 1;
				break;
			}
		}
		mdb_cursor_close(cur);
		first = 0;
		if (r != 0 && r != MDB_NOTFOUND) {
			cli_err("cannot read segmenter.people: %s", mdb_strerror(r));
			return EXIT_IO;
		}
		if ((rc = filter_commit(&g->f)))
			return rc;
		colstore_drop(&g->cs);
		if (!more)
			break;
	}
	for (i = 0; i < g->d.ncols; i++) {
		g->d.colv[i].built = 1;
		dict_put(&g->names, 'c', g->d.colv[i].canon, strlen(g->d.colv[i].canon), g->d.colv[i].id, 1);
	}
	return filter_commit(&g->f);
}


struct emit_ctx {
	struct seg *g;
	struct segdef *s;
	int enter;
	int64_t clock;
};

static bool emit_each(uint32_t oneid, void *ctx)
{
	struct emit_ctx *E = ctx;
	struct seg *g = E->g;

	buf_reset(&g->cause);
	buf_adds(&g->cause, "recompute:");
	buf_i64(&g->cause, E->clock);
	buf_addc(&g->cause, ':');
	buf_u64(&g->cause, oneid);
	emit_segment(g, oneid, E->s, E->enter, E->clock);
	return !g->f.fatal;
}

/* Evaluate every segment over the columns at the clock; emit the exits
 * and entries against the stored membership and store the new one. */
/* lib/segeval's emit and status: ctx is an emit_ctx of the clock */
static void full_emit(void *ctx, uint32_t oneid, unsigned seg, int enter)
{
	struct emit_ctx *E = ctx;

	E->s = &E->g->d.segs[seg];
	E->enter = enter;
	emit_each(oneid, E);
}

static int full_status(void *ctx)
{
	return ((struct emit_ctx *)ctx)->g->f.fatal;
}

/* Evaluate every segment over the columns at the clock; emit the exits
 * and entries against the stored membership and store the new one. */
static int full_eval(struct seg *g, int64_t clock)
{
	struct segeval ev;
	struct emit_ctx E = {g, NULL, 0, clock};

	mrow_drop(g); /* the bitmaps change here: rows are made again when asked */
	memset(&ev, 0, sizeof ev);
	ev.d = &g->d;
	ev.cs = &g->cs;
	ev.present = g->present;
	ev.only = g->only;
	ev.clock = clock;
	ev.emit = full_emit;
	ev.status = full_status;
	ev.ctx = &E;
	return segeval_run(&ev);
}

/* Bring stale definitions and new columns up to date at the clock. */
static int refresh(struct seg *g, int64_t clock, int all)
{
	int rc;

	g->clock = clock; /* the cells are computed at it */
	if ((rc = refresh_dirty(g)) || (rc = backfill(g, all)))
		return rc;
	if ((rc = full_eval(g, clock)))
		return rc;
	return filter_commit(&g->f);
}

/* After a bulk load: cells, deadlines and every audience at the latest
 * clock of the streams (which every stream then reaches). */
static int finish_bulk(struct seg *g)
{
	int64_t clock = pclock_max(&g->pc);
	int rc = advance_all(g, clock);

	if (!rc && g->f.redo)
		return 0; /* stopped: the rest at the next run */
	if (!rc)
		rc = refresh(g, clock, 0);

	if (!rc && g->bulk_pending) {
		store_del(g->st, g->state, "bulk", 4);
		g->bulk_pending = 0;
		rc = filter_commit(&g->f);
	}
	return rc;
}

/* Record the definitions and columns as current (an empty state). */
static void adopt(struct seg *g)
{
	unsigned i;

	for (i = 0; i < g->d.nsegs; i++)
		if (g->d.segs[i].when)
			store_put(g->st, g->defs, g->d.segs[i].name, strlen(g->d.segs[i].name), g->d.segs[i].canon,
				  strlen(g->d.segs[i].canon));
	for (i = 0; i < g->d.ncols; i++)
		if (!g->d.colv[i].built) {
			g->d.colv[i].built = 1;
			dict_put(&g->names, 'c', g->d.colv[i].canon, strlen(g->d.colv[i].canon), g->d.colv[i].id, 1);
		}
}

/* Definitions changed: every stream reaches the latest clock, and every
 * audience is evaluated there. */
static int refresh_at_max(struct seg *g)
{
	int64_t clock = pclock_max(&g->pc);
	int rc = advance_all(g, clock);

	if (rc || g->f.redo)
		return rc;
	return refresh(g, clock, 0);
}

static int run_filter(struct seg *g)
{
	int rc, i;

	if ((rc = filter_open(&g->f)))
		return rc;
	if (pclock_max(&g->pc) == INT64_MIN)
		adopt(g); /* nothing yet: the definitions start out current */
	else if (!g->bulk && g->bulk_pending)
		rc = finish_bulk(g); /* a bulk load first gets its audiences */
	else if (!g->bulk && segdefs_stale(&g->d, NULL))
		rc = refresh_at_max(g);
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	g->mrow_on = 1;
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++)
		rc = filter_run(&g->f, g->cli.in[i]);
	rc = filter_close(&g->f, rc);
	g->mrow_on = 0;
	mrow_drop(g);
	if (g->cli.verbose) {
		outcome_print(&g->f.oc, "skipped");
		fprintf(stderr, "%s: %llu events, %llu tag changes, %llu merges, %llu ticks, "
			"%llu deadlines fired, %llu enter/exit\n", cli_prog, g->events, g->tagrecs, g->merges,
			g->ticks, g->fired_people, g->flips);
		fold_driver_print(&g->fd);
		store_print(g->st);
	}
	return rc;
}

/* ---- operations ---- */

/* --at TIME, else the latest clock of the streams. */
static int parse_at(struct seg *g, int64_t *clock)
{
	const char *why;

	if (!g->at) {
		if (pclock_max(&g->pc) == INT64_MIN) {
			cli_err("the stream has no clock yet (no events): give --at TIME");
			return EXIT_USAGE;
		}
		*clock = pclock_max(&g->pc);
		return 0;
	}
	if (clock_parse(g->at, strlen(g->at), NULL, clock, &why)) {
		cli_err("--at '%s': %s", g->at, why);
		return EXIT_USAGE;
	}
	return 0;
}

static int op_recompute(struct seg *g, int argc, char **argv)
{
	int64_t clock;
	int rc, i;

	if (argc) {
		g->only = xcalloc(g->d.nsegs + 1, 1);
		for (i = 0; i < argc; i++) {
			int k = segdefs_index(&g->d, argv[i]);
			if (k < 0 || !g->d.segs[k].when) {
				cli_err("recompute: '%s' is not a segment with a condition (see `segmenter list`)", argv[i]);
				return EXIT_USAGE;
			}
			g->only[k] = 1;
		}
	}
	if ((rc = parse_at(g, &clock)))
		return rc;
	if (pclock_max(&g->pc) != INT64_MIN && clock < pclock_max(&g->pc)) {
		cli_err("--at %s is before the clock of a stream: time moves forward only", g->at);
		return EXIT_USAGE;
	}
	if ((rc = filter_open(&g->f)))
		return rc;
	/* people loaded in bulk get their cells and deadlines at the streams'
	 * clock before the clock moves on */
	rc = g->bulk_pending ? finish_bulk(g) : 0;
	if (!rc) /* every stream reaches clock, its deadlines fired */
		rc = advance_all(g, clock);
	if (!rc && !g->f.redo)
		rc = refresh(g, clock, g->rebuild);
	return filter_close(&g->f, rc);
}


/* The membership of a name: a defined segment, or a stored audience
 * (lookalike). NULL after saying why. */
static roaring_bitmap_t *audience(struct seg *g, const char *name, int *owned)
{
	int i = segdefs_index(&g->d, name);
	MDB_val v;

	*owned = 0;
	if (i >= 0) {
		if (!g->d.segs[i].m)
			g->d.segs[i].m = segdefs_members(&g->d, name);
		return g->d.segs[i].m;
	}
	if (store_get(g->st, g->members, name, strlen(name), &v) == 1) {
		*owned = 1;
		return roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
	}
	cli_err("no segment '%s' (see `segmenter list`)", name);
	return NULL;
}

/* name's members as stored, read where they lie (no bitmap made): 1 with
 * *r open; 0 where audience() must make the bitmap (held already, nothing
 * stored, not readable so, or no such audience: it says so). */
static int audience_bits(struct seg *g, const char *name, struct rbits *r)
{
	int i = segdefs_index(&g->d, name);
	MDB_val v;

	if ((i >= 0 && g->d.segs[i].m) || store_get(g->st, g->members, name, strlen(name), &v) != 1)
		return 0;
	return !rbits_open(r, v.mv_data, v.mv_size);
}

static int warn_stale(struct seg *g)
{
	struct buf b = BUF_INIT;
	if (segdefs_stale(&g->d, &b) && b.len && !g->cli.quiet)
		cli_err("warning: definitions changed since their membership was computed: %s (run `segmenter recompute`)",
			b.p);
	buf_release(&b);
	return 0;
}

static int op_count(struct seg *g, int argc, char **argv)
{
	int i, owned;

	if (argc < 1) {
		cli_err("count wants SEGMENT…");
		return EXIT_USAGE;
	}
	warn_stale(g);
	for (i = 0; i < argc; i++) {
		struct rbits r;
		roaring_bitmap_t *m;
		if (audience_bits(g, argv[i], &r)) { /* the count is in the header */
			printf("%llu\t%s\n", (unsigned long long)r.card, argv[i]);
			rbits_close(&r);
			continue;
		}
		if (!(m = audience(g, argv[i], &owned)))
			return EXIT_USAGE;
		printf("%llu\t%s\n", (unsigned long long)roaring_bitmap_get_cardinality(m), argv[i]);
		if (owned)
			roaring_bitmap_free(m);
	}
	return 0;
}

static int op_overlap(struct seg *g, int argc, char **argv)
{
	roaring_bitmap_t **m;
	struct rbits *r;
	int *owned, i, j, nr = 0, rc = 0;
	uint64_t *x;

	if (argc < 2) {
		cli_err("overlap wants two or more segments");
		return EXIT_USAGE;
	}
	warn_stale(g);
	m = xcalloc((size_t)argc, sizeof *m);
	owned = xcalloc((size_t)argc, sizeof *owned);
	r = xcalloc((size_t)argc, sizeof *r);
	/* read where they lie when all can be, else made into bitmaps */
	for (i = 0; i < argc && audience_bits(g, argv[i], &r[i]); i++)
		;
	if ((nr = i) < argc)
		for (i = 0; i < argc; i++)
			if (!(m[i] = audience(g, argv[i], &owned[i]))) {
				rc = EXIT_USAGE;
				goto out;
			}
	printf("segment");
	for (i = 0; i < argc; i++)
		printf("\t%s", argv[i]);
	putchar('\n');
	/* the matrix is symmetric: each pair once */
	x = xcalloc((size_t)argc * (size_t)argc, sizeof *x);
	for (i = 0; i < argc; i++)
		for (j = i; j < argc; j++)
			x[(size_t)i * argc + j] = x[(size_t)j * argc + i] =
				nr == argc ? (i == j ? r[i].card : rbits_and_card(&r[i], &r[j]))
				: i == j ? roaring_bitmap_get_cardinality(m[i])
					 : roaring_bitmap_and_cardinality(m[i], m[j]);
	for (i = 0; i < argc; i++) {
		printf("%s", argv[i]);
		for (j = 0; j < argc; j++)
			printf("\t%llu", (unsigned long long)x[(size_t)i * argc + j]);
		putchar('\n');
	}
	free(x);
out:
	for (i = 0; i < argc; i++)
		if (owned[i] && m[i])
			roaring_bitmap_free(m[i]);
	for (i = 0; i < nr; i++)
		rbits_close(&r[i]);
	free(r);
	free(m);
	free(owned);
	return rc;
}

/* Mask an identifier's value: keep the first 3 and last 2 characters
 * (phones: the country code too), the rest as '*'. */
static void mask_value(const char *s, size_t n, struct buf *out)
{
	size_t i, keep_head = 3, keep_tail = 2;
	const char *at = memchr(s, '@', n);

	if (at) { /* email: a***@domain */
		size_t local = (size_t)(at - s);
		buf_add(out, s, local ? 1 : 0);
		for (i = 1; i < local; i++)
			buf_addc(out, '*');
		buf_add(out, at, n - local);
		return;
	}
	if (n && s[0] == '+')
		keep_head = n > 12 ? 6 : 4;
	if (n <= keep_head + keep_tail) {
		for (i = 0; i < n; i++)
			buf_addc(out, '*');
		return;
	}
	buf_add(out, s, keep_head);
	for (i = keep_head; i + keep_tail < n; i++)
		buf_addc(out, '*');
	buf_add(out, s + n - keep_tail, keep_tail);
}

struct export_ctx {
	struct seg *g;
	MDB_dbi idpeople;
	int ids;
	size_t tlen;
	unsigned long long none;
	struct buf out;
};

static bool export_each(uint32_t oneid, void *ctx)
{
	struct export_ctx *X = ctx;
	struct seg *g = X->g;
	unsigned char key[4];
	MDB_val v;
	const char *p, *end;
	int found = 0;

	if (!X->ids) {
		printf("%u\n", oneid);
		return true;
	}
	store_be32(key, oneid);
	if (store_get(g->st, X->idpeople, key, 4, &v) != 1 || v.mv_size < 5) {
		X->none++;
		return true;
	}
	p = (const char *)v.mv_data + 5;
	end = (const char *)v.mv_data + v.mv_size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > X->tlen + 1 && !memcmp(p, g->id_type, X->tlen) && p[X->tlen] == ':') {
			buf_reset(&X->out);
			buf_printf(&X->out, "%u\t", oneid);
			if (g->unmask)
				buf_add(&X->out, p + X->tlen + 1, len - X->tlen - 1);
			else
				mask_value(p + X->tlen + 1, len - X->tlen - 1, &X->out);
			puts(X->out.p);
			found = 1;
		}
		p += len + 1;
	}
	X->none += !found;
	return true;
}

static int op_export(struct seg *g, int argc, char **argv)
{
	struct export_ctx X;
	roaring_bitmap_t *m;
	int owned;

	if (argc != 1) {
		cli_err("export wants one SEGMENT");
		return EXIT_USAGE;
	}
	warn_stale(g);
	if (!(m = audience(g, argv[0], &owned)))
		return EXIT_USAGE;
	memset(&X, 0, sizeof X);
	X.g = g;
	if (g->id_type) {
		X.ids = 1;
		X.tlen = strlen(g->id_type);
		if (store_dbi(g->st, "idmerge.people", 0, &X.idpeople)) {
			cli_err("export --id needs idmerge's state in the same --db");
			if (owned)
				roaring_bitmap_free(m);
			return EXIT_IO;
		}
	}
	roaring_iterate(m, export_each, &X);
	if (X.ids && X.none && !g->cli.quiet)
		cli_err("%llu people of '%s' have no %s identifier", X.none, argv[0], g->id_type);
	buf_release(&X.out);
	if (owned)
		roaring_bitmap_free(m);
	return 0;
}

static int op_list(struct seg *g)
{
	struct buf b = BUF_INIT;
	unsigned i;

	for (i = 0; i < g->d.nsegs; i++) {
		const struct segdef *s = &g->d.segs[i];
		MDB_val v;
		int fresh = !s->when || (store_get(g->st, g->defs, s->name, strlen(s->name), &v) == 1 &&
					 v.mv_size == strlen(s->canon) && !memcmp(v.mv_data, s->canon, v.mv_size));
		buf_reset(&b);
		buf_adds(&b, "{\"segment\":");
		json_write_str(&b, s->name, strlen(s->name));
		buf_printf(&b, ",\"kind\":\"%s\",\"count\":%llu", s->when ? (s->timed ? "timed" : "dynamic") : "static",
			   (unsigned long long)roaring_bitmap_get_cardinality(s->m));
		if (!fresh)
			buf_adds(&b, ",\"stale\":true");
		if (s->folder) {
			buf_adds(&b, ",\"folder\":");
			json_write_str(&b, s->folder, strlen(s->folder));
		}
		if (s->description) {
			buf_adds(&b, ",\"description\":");
			json_write_str(&b, s->description, strlen(s->description));
		}
		buf_adds(&b, ",\"file\":");
		json_write_str(&b, s->file, strlen(s->file));
		buf_addc(&b, '}');
		puts(b.p);
	}
	{ /* stored audiences that no definition names (lookalikes) */
		MDB_txn *txn = store_read_txn(g->st);
		MDB_cursor *cur;
		MDB_val k, v;
		int r;
		if (txn && !mdb_cursor_open(txn, g->members, &cur)) {
			for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); r == 0;
			     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
				char name[256];
				roaring_bitmap_t *m;
				if (k.mv_size >= sizeof name)
					continue;
				memcpy(name, k.mv_data, k.mv_size);
				name[k.mv_size] = 0;
				if (segdefs_index(&g->d, name) >= 0)
					continue;
				m = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
				buf_reset(&b);
				buf_adds(&b, "{\"segment\":");
				json_write_str(&b, name, k.mv_size);
				buf_printf(&b, ",\"kind\":\"audience\",\"count\":%llu}",
					   (unsigned long long)(m ? roaring_bitmap_get_cardinality(m) : 0));
				if (m)
					roaring_bitmap_free(m);
				puts(b.p);
			}
			mdb_cursor_close(cur);
		}
	}
	buf_release(&b);
	return 0;
}

static void env_label(void *ctx, const char *canon, struct buf *out)
{
	col_label(ctx, canon, out);
}

static int op_explain(struct seg *g, int argc, char **argv)
{
	struct cond_env e;
	struct buf out = BUF_INIT;
	int64_t clock;
	uint32_t oneid, due, ps;
	char *end;
	unsigned long v;
	int i, rc;

	if (argc != 2) {
		cli_err("explain wants ONEID SEGMENT");
		return EXIT_USAGE;
	}
	errno = 0;
	v = strtoul(argv[0], &end, 10);
	if (errno || *end || !v || v > UINT32_MAX) {
		cli_err("explain: '%s' is not a oneid", argv[0]);
		return EXIT_USAGE;
	}
	oneid = (uint32_t)v;
	if ((i = segdefs_index(&g->d, argv[1])) < 0) {
		cli_err("no segment '%s' (see `segmenter list`)", argv[1]);
		return EXIT_USAGE;
	}
	if (load_person(g, &g->p, oneid, &due, &ps, 0) != 1) {
		cli_err("no person %u in segmenter.people", oneid);
		return EXIT_REJECTS;
	}
	if (!g->at) { /* the clock of the person's stream */
		const struct pclock_stream *c = ps != SEGDUE_ANY ? pclock_find(&g->pc, ps) : NULL;
		if (c && c->clock != INT64_MIN)
			g->clock = c->clock;
	}
	if ((rc = parse_at(g, &clock)))
		return rc;
	if (!g->at)
		clock = g->clock;
	buf_printf(&out, "{\"oneid\":%u,\"segment\":", oneid);
	json_write_str(&out, argv[1], strlen(argv[1]));
	buf_printf(&out, ",\"member\":%s", roaring_bitmap_contains(g->d.segs[i].m, oneid) ? "true" : "false");
	if (g->d.segs[i].when) {
		char t[CLOCK_ISO_LEN + 1];
		clock_format(clock, t);
		buf_printf(&out, ",\"at\":\"%s\",\"condition\":", t);
		env_init(g, &e, &g->p, clock);
		e.label = env_label;
		g->cur = oneid;
		cond_explain(g->d.segs[i].when, &e, &out);
		if (due != SEGDUE_NONE) {
			clock_format((int64_t)due * DAY_MS, t);
			buf_printf(&out, ",\"next_check\":\"%s\"", t);
		}
	} else {
		buf_adds(&out, ",\"static\":true");
	}
	buf_addc(&out, '}');
	puts(out.p);
	buf_release(&out);
	return 0;
}

/* A column's name for people: its canonical text with trait and tag
 * numbers replaced by their names. */
static void col_label(struct seg *g, const char *canon, struct buf *out)
{
	const char *p = canon;

	while (*p) {
		int t = !strncmp(p, "trait(", 6), tg = !strncmp(p, "tag(", 4);
		if ((t || tg) && (p == canon || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z')))) {
			const char *q = p + (t ? 6 : 4), *e = q;
			unsigned long v = 0;
			unsigned i;
			while (*e >= '0' && *e <= '9')
				v = v * 10 + (unsigned long)(*e++ - '0');
			if (e > q && *e == ')') {
				const char *name = NULL;
				if (t) {
					name = dict_trait_name(&g->names, (uint32_t)v);
				} else {
					for (i = 0; i < g->d.ntagnames; i++)
						if (g->d.tag_slots[i] == v)
							name = g->d.tagnames[i];
				}
				if (name) {
					buf_adds(out, t ? "trait(" : "tag(");
					buf_adds(out, name);
					buf_addc(out, ')');
					p = e + 1;
					continue;
				}
			}
		}
		buf_addc(out, *p++);
	}
}

/* A number as the shortest text that reads back as the same double. */
static void num_text(struct buf *out, double d)
{
	char tmp[40];
	int prec;

	if (d == floor(d) && fabs(d) < 9e15) {
		buf_i64(out, (int64_t)d);
		return;
	}
	for (prec = 15; prec < 17; prec++) {
		snprintf(tmp, sizeof tmp, "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof tmp, "%.*g", prec, d);
	buf_adds(out, tmp);
}

static void status_line(struct buf *out, const char *stream, const struct pclock_stream *c, size_t due)
{
	char t[CLOCK_ISO_LEN + 1];

	buf_printf(out, "{\"stream\":%s,\"clock\":", stream);
	if (c->clock == INT64_MIN) {
		buf_adds(out, "null");
	} else {
		clock_format(c->clock, t);
		buf_printf(out, "\"%s\"", t);
	}
	buf_adds(out, ",\"fired_through\":");
	if (c->mark == INT64_MIN) {
		buf_adds(out, "null");
	} else {
		clock_format(c->mark * DAY_MS, t);
		t[10] = 0;
		buf_printf(out, "\"%s\"", t);
	}
	buf_printf(out, ",\"people_due\":%zu}\n", due);
}

/* status: a line per stream: its clock, the day its deadlines have fired
 * through, the people with a deadline on it; "*" for where a stream not
 * met yet starts (a store of one clock), with the deadlines of no known
 * stream. */
static int op_status(struct seg *g)
{
	struct buf out = BUF_INIT;
	char num[16];
	size_t i;

	if (g->pc.base.clock != INT64_MIN || segdue_count(&g->sd, SEGDUE_ANY))
		status_line(&out, "\"*\"", &g->pc.base, segdue_count(&g->sd, SEGDUE_ANY));
	for (i = 0; i < g->pc.n; i++) {
		snprintf(num, sizeof num, "%lu", (unsigned long)g->pc.v[i].stream);
		status_line(&out, num, &g->pc.v[i], segdue_count(&g->sd, g->pc.v[i].stream));
	}
	fputs(out.p ? out.p : "", stdout);
	buf_release(&out);
	{
		const char *t = getenv("UOPS_KAFKA_CONNECT_MS");
		return handoff_status(&g->ho, g->cli.nin ? g->cli.in[0] : NULL, g->f.group, g->cli.x,
				      g->cli.nx, t && *t ? atoi(t) : 5000, stdout);
	}
}

/* ---- partitions: state that moves with its partition ---- */

/* Write the cells computed and the dirty bitmap, commit, and let the
 * chunks go. */
static int cells_commit(struct seg *g)
{
	int rc;

	colstore_save(&g->cs);
	bitmap_put(g, g->state, "dirty", g->dirty);
	rc = store_commit(g->st);
	colstore_drop(&g->cs);
	return rc;
}

/* lib/handoff, moved: the cells of the people moved in, computed from
 * their records at once (at the clock of their partition, which came with
 * them), or those of the people moved out cleared; either way the people
 * are no longer behind. A commit every 8,192 chunks touched. */
static int cells_moved(void *ctx, const roaring_bitmap_t *people, int in)
{
	struct seg *g = ctx;
	roaring_uint32_iterator_t *it;
	int64_t was = g->clock;
	int rc = 0;

	if (in) { /* the clocks as the import wrote them */
		pclock_free(&g->pc);
		memset(&g->pc, 0, sizeof g->pc);
		if (load_state(g))
			return EXIT_IO;
	}
	it = roaring_create_iterator(people);
	for (; it->has_value && !rc; roaring_advance_uint32_iterator(it)) {
		uint32_t oneid = it->current_value;
		unsigned i;
		if (in) {
			unsigned char key[4];
			uint32_t due, ps;
			MDB_val v;
			int r;
			const struct pclock_stream *c;
			store_be32(key, oneid);
			if ((r = store_get(g->st, g->people, key, 4, &v)) < 0) {
				rc = EXIT_IO;
				break;
			}
			c = r == 1 && person_head(v.mv_data, v.mv_size, &due, &ps) == 8 ? pclock_find(&g->pc, ps)
											  : NULL;
			g->clock = c && c->clock != INT64_MIN ? c->clock : pclock_max(&g->pc);
			person_cells(g, oneid, r == 1 ? v.mv_data : NULL, r == 1 ? v.mv_size : 0, CELLS_MOVED);
		} else {
			for (i = 0; i < g->d.ncols; i++)
				if (g->d.colv[i].built)
					colstore_cell_set(&g->cs, g->d.colv[i].id, oneid, CELL_NONE);
		}
		roaring_bitmap_remove(g->dirty, oneid);
		if (g->cs.nch > 8192)
			rc = cells_commit(g);
	}
	roaring_free_uint32_iterator(it);
	g->clock = was;
	return rc ? rc : cells_commit(g);
}

/* lib/handoff: the partition a person is filed under, from their value */
static int person_part(void *ctx, const void *v, size_t n, uint32_t *stream)
{
	uint32_t due;

	(void)ctx;
	return person_head(v, n, &due, stream) == 8 && *stream != SEGDUE_ANY;
}

static int op_partition(struct seg *g, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "";
	int rc;

	if ((!strcmp(what, "export") || !strcmp(what, "drop")) && argc == 1 && g->nparts == 1) {
		if (!strcmp(what, "export"))
			return handoff_export(&g->ho, (uint32_t)g->parts[0], stdout, "<stdout>");
		rc = handoff_drop(&g->ho, (uint32_t)g->parts[0]);
	} else if (!strcmp(what, "import") && argc == 2) {
		FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
		if (!in) {
			cli_err("partition import: cannot open '%s': %s", argv[1], strerror(errno));
			return EXIT_IO;
		}
		rc = handoff_import(&g->ho, in, argv[1]);
		if (in != stdin)
			fclose(in);
	} else {
		cli_err("usage: segmenter partition export --partition N | import FILE | drop --partition N");
		return EXIT_USAGE;
	}
	/* the cells of the people come and gone: cells_moved */
	return rc;
}

static int op_columns(struct seg *g)
{
	struct buf b = BUF_INIT;
	unsigned k;

	for (k = 0; k < g->d.ncols; k++) {
		buf_reset(&b);
		col_label(g, g->d.colv[k].canon, &b);
		printf("%s\n", b.p);
	}
	buf_release(&b);
	return 0;
}

static void csv_cell(struct buf *out, const char *s, size_t n)
{
	size_t i;
	int q = !n;

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

/* table: every person's column values at the clock as CSV, one column per
 * value the definitions read (named by its canonical text), for loading
 * into SQL engines. Missing values are empty fields; text values are the
 * JSON string's contents ("" for an empty string); days_since is the
 * count of days. */
static int op_table(struct seg *g)
{
	struct buf out = BUF_INIT, *plain;
	int64_t clock, today;
	size_t maxrow, nchunks, c, r;
	const uint64_t **cells;
	uint64_t *scratch;
	unsigned k;
	int rc;

	if ((rc = parse_at(g, &clock)))
		return rc;
	if (g->clock != INT64_MIN && clock != g->clock) {
		cli_err("table reads the columns at the stream's clock: run `segmenter recompute --at` first");
		return EXIT_USAGE;
	}
	if ((rc = filter_open(&g->f)) || (rc = refresh_dirty(g)) || (rc = backfill(g, 0))) {
		filter_close(&g->f, rc);
		return rc;
	}
	today = day_of(clock);
	buf_adds(&out, "oneid");
	for (k = 0; k < g->d.ncols; k++) {
		struct buf l = BUF_INIT;
		col_label(g, g->d.colv[k].canon, &l);
		buf_addc(&out, ',');
		csv_cell(&out, l.p, l.len);
		buf_release(&l);
	}
	puts(out.p);
	maxrow = roaring_bitmap_get_cardinality(g->present) ? roaring_bitmap_maximum(g->present) : 0;
	nchunks = maxrow / COLSTORE_ROWS + 1;
	cells = xcalloc(g->d.ncols + 1, sizeof *cells);
	scratch = xmalloc(((size_t)g->d.ncols + 1) * COLSTORE_ROWS * 8);
	/* texts as their plain contents, once */
	plain = xcalloc(g->cs.ntext + 1, sizeof *plain);
	for (r = 0; r < g->cs.ntext; r++) {
		const struct colstore_text *t = &g->cs.textv[r];
		struct json_doc d = {0};
		const char *why;
		size_t at;
		if (t->n && t->s[0] == '"' && !json_parse(&d, t->s, t->n, 4, &why, &at))
			json_str_get(&d, 0, &plain[r]);
		else
			buf_add(&plain[r], t->s, t->n);
		json_doc_release(&d);
	}
	for (c = 0; c < nchunks && !rc; c++) {
		for (k = 0; k < g->d.ncols; k++) {
			unsigned char key[8];
			MDB_val v;
			store_be32(key, g->d.colv[k].id);
			store_be32(key + 4, (uint32_t)c);
			cells[k] = store_get(g->st, g->cols, key, 8, &v) == 1
					   ? colstore_chunk_view(v.mv_data, v.mv_size, scratch + (size_t)k * COLSTORE_ROWS)
					   : NULL;
		}
		for (r = 0; r < COLSTORE_ROWS; r++) {
			uint32_t row = (uint32_t)(c * COLSTORE_ROWS + r);
			if (!roaring_bitmap_contains(g->present, row))
				continue;
			buf_reset(&out);
			buf_u64(&out, row);
			for (k = 0; k < g->d.ncols; k++) {
				uint64_t u = cells[k] ? cells[k][r] : CELL_NONE;
				buf_addc(&out, ',');
				if (u == CELL_NONE)
					continue;
				if (CELL_IS_TEXT(u)) {
					const struct buf *t = &plain[(uint32_t)u];
					csv_cell(&out, t->p ? t->p : "", t->len);
				} else {
					double d;
					memcpy(&d, &u, 8);
					if (cexpr_is_days(g->d.colv[k].x))
						d = (double)today - d;
					num_text(&out, d);
				}
			}
			puts(out.p);
		}
		if (ferror(stdout))
			rc = cli_stdout_close(0);
	}
	free(cells);
	free(scratch);
	for (r = 0; r < g->cs.ntext; r++)
		buf_release(&plain[r]);
	free(plain);
	buf_release(&out);
	return filter_close(&g->f, rc);
}

/* upload SEG FILE: a static segment becomes the people the file names, one
 * identifier per line (type:value, or a bare oneid), resolved through
 * idmerge's state. */
static int op_upload(struct seg *g, int argc, char **argv)
{
	MDB_dbi ids;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned long long lineno = 0, unknown = 0, bad = 0;
	roaring_bitmap_t *nw, *gone, *came;
	struct buf key = BUF_INIT;
	struct segdef *s;
	struct emit_ctx E;
	int i, rc;

	if (argc != 2) {
		cli_err("upload wants SEGMENT FILE");
		return EXIT_USAGE;
	}
	if ((i = segdefs_index(&g->d, argv[0])) < 0 || g->d.segs[i].when) {
		cli_err("upload: '%s' is not a static segment (declare it with \"static\": true)", argv[0]);
		return EXIT_USAGE;
	}
	s = &g->d.segs[i];
	if (!g->region)
		g->region = g->region_own = conf_default_region(g->pipelines);
	if (store_dbi(g->st, "idmerge.ids", 0, &ids))
		return EXIT_IO;
	if (!strcmp(argv[1], "-"))
		fp = stdin;
	else if (!(fp = fopen(argv[1], "r"))) {
		cli_err("cannot open '%s': %s", argv[1], strerror(errno));
		return EXIT_IO;
	}
	nw = roaring_bitmap_create();
	while ((len = getline(&line, &cap, fp)) >= 0) {
		const char *colon, *why = NULL;
		char type[64];
		MDB_val v;
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = 0;
		if (!len)
			continue;
		colon = memchr(line, ':', (size_t)len);
		if (!colon) {
			char *end;
			unsigned long o;
			errno = 0;
			o = strtoul(line, &end, 10);
			if (errno || *end || !o || o > UINT32_MAX) {
				cli_err("%s:%llu: want TYPE:VALUE or a oneid", argv[1], lineno);
				bad++;
				continue;
			}
			if (roaring_bitmap_contains(g->present, (uint32_t)o))
				roaring_bitmap_add(nw, (uint32_t)o);
			else
				unknown++;
			continue;
		}
		if ((size_t)(colon - line) >= sizeof type) {
			cli_err("%s:%llu: identifier type too long", argv[1], lineno);
			bad++;
			continue;
		}
		memcpy(type, line, (size_t)(colon - line));
		type[colon - line] = 0;
		buf_reset(&key);
		buf_adds(&key, type);
		buf_addc(&key, ':');
		if (norm_id(type, colon + 1, (size_t)(len - (colon + 1 - line)), g->region, &key, &why)) {
			cli_err("%s:%llu: '%s': %s", argv[1], lineno, line, why ? why : "not a valid identifier");
			bad++;
			continue;
		}
		if (store_get(g->st, ids, key.p, key.len, &v) == 1 && v.mv_size == 4)
			roaring_bitmap_add(nw, store_get_be32(v.mv_data));
		else
			unknown++;
	}
	free(line);
	buf_release(&key);
	if (fp != stdin)
		fclose(fp);
	if ((rc = filter_open(&g->f))) {
		roaring_bitmap_free(nw);
		return rc;
	}
	gone = roaring_bitmap_andnot(s->m, nw);
	came = roaring_bitmap_andnot(nw, s->m);
	E.g = g;
	E.s = s;
	E.clock = g->clock == INT64_MIN ? 0 : g->clock;
	E.enter = 0;
	roaring_iterate(gone, emit_each, &E);
	E.enter = 1;
	roaring_iterate(came, emit_each, &E);
	roaring_bitmap_free(gone);
	roaring_bitmap_free(came);
	roaring_bitmap_free(s->m);
	s->m = nw;
	s->dirty = 1;
	if (!g->cli.quiet)
		cli_err("'%s': %llu people; %llu identifiers unknown, %llu lines refused",
			s->name, (unsigned long long)roaring_bitmap_get_cardinality(nw), unknown, bad);
	rc = filter_close(&g->f, 0);
	return rc ? rc : (bad ? EXIT_REJECTS : 0);
}

/* ---- lookalike ---- */


/*
 * lookalike --seed SEG --size N --as NAME: features are the columns the
 * segment definitions read, except the seed's own (people like the seed on
 * everything else, not near misses of its rule): the numeric
 * columns (missing as the column mean, with a "has it" indicator) and the
 * text columns' values one-hot; a logistic regression of seed against the
 * rest (full-batch gradient descent on standardised features, a fixed
 * number of steps, deterministic) scores every non-member; the N best
 * become the audience NAME. A fifth of the seed (every fifth member) is
 * held out of training; the AUC of held-out seed members against a sample
 * of non-members is printed.
 */
static int op_lookalike(struct seg *g)
{
	roaring_bitmap_t *seedm;
	struct lookalike lk;
	uint32_t *cols;
	unsigned char *skip;
	unsigned k;
	int owned, si, r, rc = 0;

	if (!g->seed || !g->as || g->size < 1) {
		cli_err("lookalike wants --seed SEGMENT --size N --as NAME");
		return EXIT_USAGE;
	}
	if (!condbind_valid_name(g->as) || segdefs_index(&g->d, g->as) >= 0) {
		cli_err("--as '%s': want a new name (lowercase letters, digits and _) that no definition uses", g->as);
		return EXIT_USAGE;
	}
	if (!(seedm = audience(g, g->seed, &owned)))
		return EXIT_USAGE;
	if (roaring_bitmap_get_cardinality(seedm) < 10) {
		cli_err("the seed '%s' has %llu people: want at least 10", g->seed,
			(unsigned long long)roaring_bitmap_get_cardinality(seedm));
		rc = EXIT_USAGE;
		goto done;
	}
	if ((rc = refresh_dirty(g)) || (rc = backfill(g, 0)))
		goto done;
	cols = xcalloc(g->d.ncols + 1, sizeof *cols);
	skip = xcalloc(g->d.ncols + 1, 1);
	for (k = 0; k < g->d.ncols; k++)
		cols[k] = g->d.colv[k].id;
	if ((si = segdefs_index(&g->d, g->seed)) >= 0)
		segdefs_columns(&g->d, (unsigned)si, skip);
	memset(&lk, 0, sizeof lk);
	lk.cs = &g->cs;
	lk.cols = cols;
	lk.ncols = g->d.ncols;
	lk.skip = skip;
	lk.present = g->present;
	lk.seed = seedm;
	lk.size = (size_t)g->size;
	r = lookalike_fit(&lk);
	free(cols);
	free(skip);
	if (r < 0) {
		rc = EXIT_IO;
		goto done;
	}
	if (r > 0) {
		cli_err("lookalike: the segments read no values to compare people by, besides the seed's own");
		rc = EXIT_USAGE;
		goto done;
	}
	if ((rc = filter_open(&g->f)) == 0) {
		members_put(g, g->as, lk.out);
		rc = filter_close(&g->f, 0);
	}
	printf("{\"audience\":\"%s\",\"seed\":\"%s\",\"seed_size\":%llu,\"size\":%llu,\"features\":%zu,"
	       "\"trained_on\":%zu,\"holdout_auc\":%.4f}\n",
	       g->as, g->seed, (unsigned long long)roaring_bitmap_get_cardinality(seedm),
	       (unsigned long long)roaring_bitmap_get_cardinality(lk.out), lk.features, lk.trained_on, lk.auc);
	roaring_bitmap_free(lk.out);
done:
	if (owned)
		roaring_bitmap_free(seedm);
	return rc;
}

/* ---- main ---- */

static const char *roaring_version(void)
{
	static char v[48];

	snprintf(v, sizeof v, "CRoaring %d.%d.%d", (int)ROARING_VERSION_MAJOR, (int)ROARING_VERSION_MINOR,
		 (int)ROARING_VERSION_REVISION);
	return v;
}

static int handle(void *ctx, int key, const char *arg)
{
	struct seg *g = ctx;

	switch (key) {
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_SEGMENTS: g->segs_dir = xstrdup(arg); break;
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
	case OPT_REBUILD: g->rebuild = 1; break;
	case OPT_ID: g->id_type = arg; break;
	case OPT_UNMASK: g->unmask = 1; break;
	case OPT_SEED: g->seed = arg; break;
	case OPT_SIZE:
		return cli_long("size", arg, 1, &g->size);
	case OPT_AS: g->as = arg; break;
	case OPT_REGION: g->region = arg; break;
	case OPT_BULK: g->bulk = 1; break;
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

static void defs_free(struct seg *g)
{
	segdefs_release(&g->d);
	free(g->mask);
	free(g->flip);
	free(g->now);
	free(g->only);
	free(g->memo_state);
	free(g->memo);
	dict_release(&g->names);
	free(g->region_own);
	colstore_release(&g->cs);
	if (g->present)
		roaring_bitmap_free(g->present);
	if (g->dirty)
		roaring_bitmap_free(g->dirty);
}

int main(int argc, char **argv)
{
	static struct seg G;
	struct seg *g = &G;
	const char *cmd = NULL;
	int rc, code, ro;

	g->cli.prog = "segmenter";
	g->cli.synopsis = "[options] [FILE…] | recompute [SEG…] | count SEG… | overlap SEG… | export SEG | "
			  "explain ONEID SEG | list | columns | table | status | upload SEG FILE | "
			  "lookalike --seed SEG --size N --as NAME | partition export --partition N | "
			  "partition import FILE | partition drop --partition N";
	g->cli.summary = "Keep audiences current as events arrive and time passes; count, overlap, export them.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->cli.more_versions = roaring_version();
	g->batch = 262144;
	g->seen.days = 2;
	g->commit_ms = 1000;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (g->cli.nrest) {
		static const char *const cmds[] = {"recompute", "count", "overlap", "export", "explain",
						   "list", "upload", "lookalike", "table", "columns", "status", "partition", NULL};
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
	g->lazy = cmd && (!strcmp(cmd, "count") || !strcmp(cmd, "overlap") || !strcmp(cmd, "export"));
	ro = cmd && (!strcmp(cmd, "count") || !strcmp(cmd, "overlap") || !strcmp(cmd, "export") ||
		     !strcmp(cmd, "explain") || !strcmp(cmd, "list") || !strcmp(cmd, "columns") ||
		     !strcmp(cmd, "status") ||
		     (!strcmp(cmd, "partition") && g->cli.nrest > 1 && !strcmp(g->cli.rest[1], "export")));
	/* a query (and table, which brings the columns up to date first)
	 * never makes a store */
	if ((ro || (cmd && !strcmp(cmd, "table"))) && (rc = cli_need_state(g->cli.db)))
		goto out;
	g->st = store_open(g->cli.db, "segmenter", (g->nosync ? STORE_NOSYNC : 0) | (ro ? STORE_RDONLY : 0), &code);
	if (!g->st) {
		rc = code;
		goto out;
	}
	if (store_dbi(g->st, "segmenter.people", 0, &g->people) ||
	    store_dbi(g->st, "segmenter.members", 0, &g->members) ||
	    store_dbi(g->st, "segmenter.due", 0, &g->due) || store_dbi(g->st, "segmenter.cols", 0, &g->cols) ||
	    store_dbi(g->st, "segmenter.texts", 0, &g->texts) ||
	    store_dbi(g->st, "segmenter.dict", 0, &g->dict) || store_dbi(g->st, "segmenter.defs", 0, &g->defs) ||
	    store_dbi(g->st, "segmenter.state", 0, &g->state) ||
	    (!ro && seen_open(&g->seen, g->st, "segmenter.seen"))) { /* queries need no seen set */
		rc = EXIT_IO;
		goto out;
	}
	g->names.st = g->st;
	g->d.st = g->st;
	g->d.members = g->members;
	g->d.defs = g->defs;
	g->d.names = &g->names;
	g->cs.st = g->st;
	g->cs.cols = g->cols;
	g->cs.texts = g->texts;
	g->sd.st = g->st;
	g->sd.dbi = g->due;
	g->seen.st = g->st;
	g->names.dbi = g->dict;
	g->names.ns = "atgc";
	store_cache(g->st, g->people); /* read a page at a time, kept across commits */
	/* changed people go to a journal at each commit, folded in rarely */
	if (store_journal(g->st, g->people, "segmenter.journal") || dict_load(&g->names) || colstore_texts_load(&g->cs)) {
		rc = EXIT_IO;
		goto out;
	}
	if (!cmd || !strcmp(cmd, "status") || !strcmp(cmd, "partition")) {
		static const struct handoff_db moves[] = {
			{"segmenter.people", HANDOFF_PERSON},
			{"segmenter.due", HANDOFF_STREAM, .stream_or = SEGDUE_STREAM_BIT, .any_len = 4},
			{"segmenter.state", HANDOFF_CLOCK, .key = "clock:%u"},
			{"segmenter.state", HANDOFF_BITMAP, .key = "people"},
			{"segmenter.members", HANDOFF_BITMAP},
			{"segmenter.dict", HANDOFF_AGREE, .skip_ns = "c"},
			{"segmenter.defs", HANDOFF_AGREE},
			{"segmenter.seen", HANDOFF_SEEN},
		};
		g->ho.st = g->st;
		g->ho.tool = "segmenter";
		g->ho.dbs = moves;
		g->ho.ndbs = sizeof moves / sizeof *moves;
		g->ho.person_stream = person_part;
		g->ho.moved = cells_moved;
		g->ho.ctx = g;
		if (handoff_open(&g->ho)) {
			rc = EXIT_IO;
			goto out;
		}
	}
	if (load_state(g)) {
		cli_err("cannot read segmenter.state in '%s'", g->cli.db);
		rc = EXIT_IO;
		goto out;
	}
	if (!ro && segdue_load(&g->sd, ro)) { /* queries do not fire deadlines */
		cli_err("cannot read segmenter.due in '%s'", g->cli.db);
		rc = EXIT_IO;
		goto out;
	}
	/* every definition compiles before anything is written */
	if ((rc = load_defs(g)))
		goto out;
	bind_defs(g);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-segmenter";
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
	if (!cmd)
		rc = run_filter(g);
	else if (!strcmp(cmd, "recompute"))
		rc = op_recompute(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "count"))
		rc = op_count(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "overlap"))
		rc = op_overlap(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "export"))
		rc = op_export(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "explain"))
		rc = op_explain(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "list"))
		rc = op_list(g);
	else if (!strcmp(cmd, "upload"))
		rc = op_upload(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "lookalike"))
		rc = op_lookalike(g);
	else if (!strcmp(cmd, "table"))
		rc = op_table(g);
	else if (!strcmp(cmd, "columns"))
		rc = op_columns(g);
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
	store_close(g->st);
	outcome_close(&g->f.oc);
	defs_free(g);
	profile_release(&g->p);
	profile_release(&g->q);
	json_doc_release(&g->doc);
	buf_release(&g->rec);
	segdue_free(&g->sd);
	pclock_free(&g->pc);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->cause);
	rc = cli_stdout_close(rc);
	return rc;
}
