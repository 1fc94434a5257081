/*
 * ingest - turn raw records from any channel into canonical events.
 *
 * Reads NDJSON (files, '-', *.zst, Kafka) or CSV; a per-source map
 * (lib/map, evaluated natively) or jq program turns a raw record into
 * events, on --threads N with the input order kept; canonical input takes
 * a fast path without either. Every event is normalised (E.164 phones, lower-case emails,
 * UTC timestamps), validated, given an event_id and passed on unless its
 * event_id was already ingested within the dedupe window. Every input record
 * gets exactly one outcome: passed on, duplicate, skipped by the mapping, or
 * rejected with a reason to --rejects. State: the LMDB DBs ingest.seen
 * (dedupe keys) and ingest.offsets (Kafka positions), see schemas/lmdb.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "csv.h"
#include "endpoint.h"
#include "filter.h"
#include "group.h"
#include "hash.h"
#include "jqprog.h"
#include "json.h"
#include "map.h"
#include "norm.h"
#include "outcome.h"
#include "pool.h"
#include "store.h"
#include "tz.h"

#define TS_MIN 631152000000LL   /* 1990-01-01 */
#define TS_MAX 4102444800000LL  /* 2100-01-01 */
#define MAX_EVENT_ID 128
#define MAX_TYPE 64
#define MAX_IDS 64
#define HEADROOM (MAX_EVENT_ID + 32) /* room for {"event_id":"…", */

enum {
	OPT_SOURCE = 300,
	OPT_PIPELINES,
	OPT_FORMAT,
	OPT_GROUP,
	OPT_BATCH,
	OPT_NOSYNC,
	OPT_EXIT_AT_END,
	OPT_WINDOW,
	OPT_NO_DEDUPE,
	OPT_COMMIT_MS,
	OPT_THREADS,
};

static const struct cli_opt opts[] = {
	{"source", OPT_SOURCE, 1, "NAME", "read as source NAME: pipelines/sources/NAME.json (format, jq mapping, zone)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"format", OPT_FORMAT, 1, "FMT", "ndjson or csv (default: the source's, else by file name)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-ingest)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 16384)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000; 0: by count only)"},
	{"window", OPT_WINDOW, 1, "DUR", "dedupe window of event time (default: ingest.json, else 7d)"},
	{"no-dedupe", OPT_NO_DEDUPE, 0, NULL, "pass duplicates on; keep no dedupe state"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits (faster; a power loss may undo the last commits)"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end"},
	{"threads", OPT_THREADS, 1, "N", "map records on N threads, output in input order (default 1)"},
	{0, 0, 0, 0, 0},
};

struct source {
	char *name;
	int64_t window; /* dedupe window for this source's events, 0: default */
	int csv;
	char sep;
	struct jqprog *map;     /* a jq mapping (thread 0's) */
	char *jq_name, *jq_text; /* … its text, compiled again per thread */
	struct map *native;     /* or a native one */
	struct tz *zone;
	char *region;
	struct group *group; /* line items into orders (NULL: none) */
};

struct lane {
	uint32_t id;       /* hash of the source name */
	int64_t window;    /* dedupe window of this lane */
	int64_t seen_max;  /* the latest ts committed in this lane */
	int64_t watermark; /* the latest ts put into this lane */
	int touched;       /* this run wrote to it: only then is it pruned, by
			    * this run's window for the source */
	int in_batch;      /* on the batch's list of lanes to prune */
};

struct ingest {
	struct cli cli;
	const char *source_name;
	const char *pipelines;
	const char *format;
	const char *group;
	long batch;
	int nosync, exit_at_end, no_dedupe;
	int64_t window;
	const char *window_arg;
	size_t max_line;
	unsigned max_depth;
	char *region;
	char **blocked;
	size_t nblocked, blocked_max; /* longest blocked value */
	struct source src;

	struct store *st;
	MDB_dbi seen;
	struct filter f; /* the loop: input, output, rejects, commits */
	/* dedupe lanes, one per source: keys are (source, ts, event_id hash),
	 * so each source's window follows its own event time and a backfill
	 * of old data keeps its dedupe beside a live stream */
	struct lane *lanes;
	size_t nlanes;
	uint32_t *lane_ix;     /* open addressing: lane id -> index + 1 */
	size_t lane_cap;       /* slots of lane_ix, a power of two */
	size_t *batch_lanes;   /* lanes written since the last commit */
	size_t nbatch_lanes, batch_lanes_cap;
	uint32_t last_src; /* the lane of the last event, cached */
	const char *last_src_p;
	size_t last_src_n;
	struct lane *last_lane;


	/* scratch */
	struct json_doc doc;
	struct buf body, line, tmp, idv, mapped, err, key, drops;

	unsigned long long system, events;
	struct tally dropped;
	uint32_t *types;         /* the identifier types of an event seen so far */
	size_t types_cap, used_types; /* (tokens, by hash: see type_seen) */
	long commit_ms;          /* commit at least this often (0: only by count) */

	/* orders (a source's "group"): lines held in the open group are
	 * given their outcome when it ends; the order and line events made
	 * then go through canon again, not grouped (in_group) */
	int in_group;
	struct kgroup {          /* from Kafka, an open order per partition */
		char *topic;
		int32_t part;
		struct group gr;
	} **kg;
	size_t nkg;
	struct buf line_ev, order;
	unsigned long long orders, order_dups, order_lines, line_events, line_dups;
	unsigned long long left; /* lines of open orders dropped at a revoke */
	long threads;            /* --threads */
	struct mapper *w;        /* a mapper per thread */
	struct batch *pend;      /* records being read (threads > 1) … */
	struct batch *fly;       /* … and those being mapped, by … */
	struct pool *pool;       /* … these threads; a batch to swap in: */
	struct batch *spare;
	char **hdr;              /* the CSV header being read */
	size_t nh;
};

/* ---- configuration ---- */

static const char *const default_blocked[] = {
	"", "null", "nil", "none", "undefined", "unknown", "n/a", "na", "-",
	"0", "(null)", "[object object]", "nan", "test", NULL,
};

static int load_ingest_conf(struct ingest *g)
{
	static const char *const keys[] = {"dedupe_window", "max_line_bytes", "max_depth",
					   "default_region", "blocked_ids", "description", NULL};
	struct conf c;
	char path[4096], *s = NULL;
	long long v;
	unsigned ids;
	int rc = 0;

	snprintf(path, sizeof path, "%s/ingest.json", g->pipelines);
	if (access(path, F_OK))
		goto defaults;
	if (conf_load(&c, path) || conf_keys(&c, 0, keys))
		goto bad;
	if ((rc = conf_str(&c, 0, "dedupe_window", &s)) < 0)
		goto bad;
	if (rc > 0) {
		if (clock_parse_duration(s, &g->window) || g->window <= 0) {
			conf_fail(&c, 0, "dedupe_window", "'%s' is not a duration like 7d", s);
			free(s);
			goto bad;
		}
		free(s);
	}
	if ((rc = conf_int(&c, 0, "max_line_bytes", &v)) < 0)
		goto bad;
	if (rc > 0) {
		if (v < 256 || v > (1LL << 30)) {
			conf_fail(&c, 0, "max_line_bytes", "must be between 256 and 1073741824");
			goto bad;
		}
		g->max_line = (size_t)v;
	}
	if ((rc = conf_int(&c, 0, "max_depth", &v)) < 0)
		goto bad;
	if (rc > 0) {
		if (v < 2 || v > 1000) {
			conf_fail(&c, 0, "max_depth", "must be between 2 and 1000");
			goto bad;
		}
		g->max_depth = (unsigned)v;
	}
	if ((rc = conf_str(&c, 0, "default_region", &g->region)) < 0)
		goto bad;
	ids = json_get(&c.doc, 0, "blocked_ids", 11);
	if (ids) {
		unsigned k, j;
		if (c.doc.t[ids].type != JSON_ARRAY) {
			conf_fail(&c, 0, "blocked_ids", "must be an array of strings");
			goto bad;
		}
		g->blocked = xcalloc(c.doc.t[ids].size + 1, sizeof *g->blocked);
		for (k = 0, j = ids + 1; k < c.doc.t[ids].size; k++, j = c.doc.t[j].next) {
			struct buf b = BUF_INIT;
			size_t i;
			if (c.doc.t[j].type != JSON_STRING) {
				conf_fail(&c, j, NULL, "must be a string");
				goto bad;
			}
			json_str_get(&c.doc, j, &b);
			for (i = 0; i < b.len; i++)
				if (b.p[i] >= 'A' && b.p[i] <= 'Z')
					b.p[i] = (char)(b.p[i] + 32);
			g->blocked[g->nblocked++] = b.p ? b.p : xstrdup("");
		}
	}
	conf_release(&c);
	goto defaults;
bad:
	cli_err("%s", c.err.p ? c.err.p : path);
	conf_release(&c);
	return EXIT_CONFIG;
defaults:
	if (!g->blocked) {
		size_t i;
		for (i = 0; default_blocked[i]; i++)
			;
		g->blocked = xcalloc(i + 1, sizeof *g->blocked);
		for (i = 0; default_blocked[i]; i++)
			g->blocked[g->nblocked++] = xstrdup(default_blocked[i]);
	}
	if (!g->region)
		g->region = xstrdup("86");
	{
		size_t i;
		for (i = 0; i < g->nblocked; i++)
			if (strlen(g->blocked[i]) > g->blocked_max)
				g->blocked_max = strlen(g->blocked[i]);
	}
	return 0;
}

static int valid_type_name(const char *s, size_t n, int event);

/* A source's "group": {"by", "keep", "lines", "max_lines"}. 0 or -1 (the
 * error in c). */
static int load_group(struct ingest *g, struct conf *c)
{
	static const char *const keys[] = {"by", "keep", "lines", "max_lines", "description", NULL};
	static const char *const reserved[] = {"amount", "lines", "items", NULL};
	struct group_cfg cfg = {0};
	uint32_t o = json_get(&c->doc, 0, "group", 5), k, j;
	long long v;
	size_t i, e;
	int rc;

	if (!o)
		return 0;
	if (c->doc.t[o].type != JSON_OBJECT)
		return conf_fail(c, 0, "group", "must be an object");
	if (conf_keys(c, o, keys) || conf_str(c, o, "by", &cfg.by) < 0)
		goto bad;
	if (!cfg.by || !*cfg.by) {
		conf_fail(c, o, cfg.by ? "by" : NULL, "wants \"by\": the prop that keys an order (order_id)");
		goto bad;
	}
	for (i = 0; reserved[i]; i++)
		if (!strcmp(cfg.by, reserved[i])) {
			conf_fail(c, o, "by", "'%s' is a prop the order sets itself", cfg.by);
			goto bad;
		}
	if ((rc = conf_str(c, o, "lines", &cfg.lines_type)) < 0)
		goto bad;
	if (rc > 0 && !valid_type_name(cfg.lines_type, strlen(cfg.lines_type), 1)) {
		conf_fail(c, o, "lines", "'%s' is not an event type", cfg.lines_type);
		goto bad;
	}
	if ((rc = conf_int(c, o, "max_lines", &v)) < 0)
		goto bad;
	cfg.max_lines = GROUP_MAX_LINES;
	if (rc > 0) {
		if (v < 1 || v > 1000000) {
			conf_fail(c, o, "max_lines", "must be between 1 and 1000000");
			goto bad;
		}
		cfg.max_lines = (size_t)v;
	}
	k = json_get(&c->doc, o, "keep", 4);
	if (k) {
		if (c->doc.t[k].type != JSON_ARRAY) {
			conf_fail(c, o, "keep", "must be an array of prop names");
			goto bad;
		}
		cfg.keep = xcalloc(c->doc.t[k].size + 1, sizeof *cfg.keep);
		for (i = 0, j = k + 1; i < c->doc.t[k].size; i++, j = c->doc.t[j].next) {
			struct buf b = BUF_INIT;
			if (c->doc.t[j].type != JSON_STRING || !c->doc.t[j].len) {
				conf_fail(c, j, NULL, "must be a prop name");
				goto bad;
			}
			json_str_get(&c->doc, j, &b);
			cfg.keep[cfg.nkeep++] = b.p;
			for (e = 0; e + 1 < cfg.nkeep; e++)
				if (!strcmp(cfg.keep[e], b.p)) {
					conf_fail(c, j, NULL, "'%s' is kept twice", b.p);
					goto bad;
				}
		}
	}
	cfg.max_bytes = g->max_line - 200; /* and an event_id: a line every stage reads */
	cfg.max_depth = g->max_depth;
	g->src.group = xmalloc(sizeof *g->src.group);
	group_init(g->src.group, &cfg);
	return 0;
bad:
	free(cfg.by);
	free(cfg.lines_type);
	for (i = 0; i < cfg.nkeep; i++)
		free(cfg.keep[i]);
	free(cfg.keep);
	return -1;
}

static int load_source(struct ingest *g)
{
	static const char *const keys[] = {"format", "mapping", "map", "zone", "region", "separator",
					   "dedupe_window", "group", "description", "example", NULL};
	struct conf c;
	char path[4096], *s = NULL;
	const char *why;
	int rc;

	g->src.sep = ',';
	if (!g->source_name)
		return 0;
	for (s = (char *)g->source_name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) {
			cli_err("bad source name '%s': use a-z, 0-9, '_' and '-'", g->source_name);
			return EXIT_USAGE;
		}
	g->src.name = xstrdup(g->source_name);
	snprintf(path, sizeof path, "%s/sources/%s.json", g->pipelines, g->source_name);
	if (conf_load(&c, path) || conf_keys(&c, 0, keys))
		goto bad;
	s = NULL;
	if ((rc = conf_str(&c, 0, "format", &s)) < 0)
		goto bad;
	if (rc > 0) {
		if (!strcmp(s, "csv"))
			g->src.csv = 1;
		else if (strcmp(s, "ndjson")) {
			conf_fail(&c, 0, "format", "'%s' is not ndjson or csv", s);
			free(s);
			goto bad;
		}
		free(s);
	}
	s = NULL;
	if ((rc = conf_str(&c, 0, "separator", &s)) < 0)
		goto bad;
	if (rc > 0) {
		if (strlen(s) != 1 || *s == '"' || *s == '\n' || *s == '\r') {
			conf_fail(&c, 0, "separator", "must be one character other than a quote or newline");
			free(s);
			goto bad;
		}
		g->src.sep = *s;
		free(s);
	}
	s = NULL;
	if ((rc = conf_str(&c, 0, "zone", &s)) < 0)
		goto bad;
	if (rc > 0) {
		g->src.zone = tz_load(s, &why);
		if (!g->src.zone) {
			conf_fail(&c, 0, "zone", "'%s': %s", s, why);
			free(s);
			goto bad;
		}
		free(s);
	}
	if (conf_str(&c, 0, "region", &g->src.region) < 0)
		goto bad;
	s = NULL;
	if ((rc = conf_str(&c, 0, "dedupe_window", &s)) < 0)
		goto bad;
	if (rc > 0) {
		if (clock_parse_duration(s, &g->src.window) || g->src.window <= 0) {
			conf_fail(&c, 0, "dedupe_window", "'%s' is not a duration like 7d", s);
			free(s);
			goto bad;
		}
		free(s);
	}
	if (load_group(g, &c))
		goto bad;
	s = NULL;
	if ((rc = conf_str(&c, 0, "mapping", &s)) < 0)
		goto bad;
	if (rc > 0) {
		char mpath[4096];
		struct buf text = BUF_INIT, err = BUF_INIT;
		char e[200];
		if (strchr(s, '/'))
			snprintf(mpath, sizeof mpath, "%s", s);
		else
			snprintf(mpath, sizeof mpath, "%s/sources/%s", g->pipelines, s);
		if (io_slurp(mpath, &text, e, sizeof e)) {
			conf_fail(&c, 0, "mapping", "'%s': %s", mpath, e);
			free(s);
			buf_release(&text);
			goto bad;
		}
		g->src.map = jqprog_compile(mpath, text.p ? text.p : ".", &err);
		g->src.jq_name = xstrdup(mpath);
		g->src.jq_text = xstrdup(text.p ? text.p : ".");
		buf_release(&text);
		if (!g->src.map) {
			conf_fail(&c, 0, "mapping", "'%s' does not compile: %s", mpath,
				  err.p ? err.p : "");
			buf_release(&err);
			free(s);
			goto bad;
		}
		buf_release(&err);
		free(s);
	}
	s = NULL;
	if ((rc = conf_str(&c, 0, "map", &s)) < 0)
		goto bad;
	if (rc > 0) {
		char mpath[4096];
		struct buf text = BUF_INIT, err = BUF_INIT;
		char e[200];
		if (g->src.map) {
			conf_fail(&c, 0, "map", "a source gives \"map\" or \"mapping\", not both: "
				  "a map says what it cannot with [\"jq\", …]");
			free(s);
			goto bad;
		}
		if (strchr(s, '/'))
			snprintf(mpath, sizeof mpath, "%s", s);
		else
			snprintf(mpath, sizeof mpath, "%s/sources/%s", g->pipelines, s);
		if (io_slurp(mpath, &text, e, sizeof e)) {
			conf_fail(&c, 0, "map", "'%s': %s", mpath, e);
			free(s);
			buf_release(&text);
			goto bad;
		}
		g->src.native = map_compile(mpath, text.p ? text.p : "", text.len, &err);
		buf_release(&text);
		if (!g->src.native) {
			conf_fail(&c, 0, "map", "'%s' does not compile: %s", mpath, err.p ? err.p : "");
			buf_release(&err);
			free(s);
			goto bad;
		}
		free(s);
	}
	conf_release(&c);
	return 0;
bad:
	cli_err("%s", c.err.p ? c.err.p : path);
	conf_release(&c);
	return EXIT_CONFIG;
}

/* ---- outcomes ---- */


static void emit(struct ingest *g, const char *key, size_t klen, const char *p, size_t n)
{
	filter_emit(&g->f, key, klen, p, n);
	g->f.oc.passed++;
}

/* ---- canonical events ---- */

static int is_blocked(const struct ingest *g, const char *v, size_t n)
{
	size_t i, a = 0, b = n;
	char low[64];

	while (a < b && (v[a] == ' ' || v[a] == '\t'))
		a++;
	while (b > a && (v[b - 1] == ' ' || v[b - 1] == '\t'))
		b--;
	n = b - a;
	v += a;
	if (n > g->blocked_max && v[0] != '0')
		return 0;
	if (n >= sizeof low)
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)(v[i] >= 'A' && v[i] <= 'Z' ? v[i] + 32 : v[i]);
	low[n] = 0;
	for (i = 0; i < g->nblocked; i++)
		if (g->blocked[i][0] == low[0] && !strcmp(g->blocked[i], low))
			return 1;
	/* all-zero device ids: 00000000-0000-0000-0000-000000000000 and alike */
	for (i = 0; i < n && (low[i] == '0' || low[i] == '-' || low[i] == ':'); i++)
		;
	return n > 0 && i == n;
}

/* Bit 1: a character of identifier type names (a-z 0-9 _); bit 2: of
 * event type names (also A-Z . - : /). */
static unsigned char name_cls[256];

static void name_cls_init(void)
{
	int c;

	for (c = 'a'; c <= 'z'; c++)
		name_cls[c] = 3;
	for (c = '0'; c <= '9'; c++)
		name_cls[c] = 3;
	name_cls['_'] = 3;
	for (c = 'A'; c <= 'Z'; c++)
		name_cls[c] = 2;
	name_cls['.'] = name_cls['-'] = name_cls[':'] = name_cls['/'] = 2;
}

static int valid_type_name(const char *s, size_t n, int event)
{
	unsigned char want = event ? 2 : 1;
	size_t i;

	if (!n || n > (event ? MAX_TYPE : 32))
		return 0;
	for (i = 0; i < n; i++)
		if (!(name_cls[(unsigned char)s[i]] & want))
			return 0;
	return (s[0] >= 'a' && s[0] <= 'z') || (event && s[0] >= 'A' && s[0] <= 'Z');
}

static void drop(struct ingest *g, const char *type, size_t tn, const char *why)
{
	/* counted by reason, the type a sample: types are input text */
	tally_add_value(&g->dropped, why, strlen(why), type, tn);
	if (g->drops.len < 200) {
		if (g->drops.len)
			buf_adds(&g->drops, "; ");
		buf_printf(&g->drops, "%.*s: %s", (int)(tn > 40 ? 40 : tn), type, why);
	}
}

static struct lane *lane_add(struct ingest *g, uint32_t id);

/* The dedupe lane of a source name (raw JSON string bytes). */
static struct lane *lane_for(struct ingest *g, const char *p, size_t n)
{
	if (g->last_lane && n == g->last_src_n && !memcmp(p, g->last_src_p, n))
		return g->last_lane;
	g->last_lane = lane_add(g, (uint32_t)(hash64(p, n, 0x50c) >> 32));
	/* remember the name: copy it, p points into a line that goes away */
	free((char *)g->last_src_p);
	g->last_src_p = xstrndup(p, n);
	g->last_src_n = n;
	return g->last_lane;
}

/* Make the set of identifier types empty, with room for n of them. */
static void types_clear(struct ingest *g, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	if (cap > g->types_cap) {
		free(g->types);
		g->types = xmalloc(cap * sizeof *g->types);
		g->types_cap = cap;
	}
	g->used_types = cap;
	memset(g->types, 0, cap * sizeof *g->types);
}

/* Whether the key at token k of d was in the set already; else it is put
 * in. The set holds key tokens (never 0, the root) by a hash of their
 * bytes, so an event's check of repeated types costs one lookup a type. */
static int type_seen(struct ingest *g, const struct json_doc *d, uint32_t k)
{
	const char *p = d->s + d->t[k].off;
	size_t n = d->t[k].len, mask = g->used_types - 1, h;

	for (h = (size_t)hash64(p, n, 0x71) & mask; g->types[h]; h = (h + 1) & mask) {
		const struct json_tok *o = &d->t[g->types[h]];
		if (o->len == n && !memcmp(d->s + o->off, p, n))
			return 1;
	}
	g->types[h] = k;
	return 0;
}

static const char *const id_priority[] = {"user", "member", "phone", "unionid", "email",
					  "openid", "device", "cookie", NULL};

static int group_take(struct ingest *g);

/*
 * Process one event given as JSON text (a raw canonical line or a mapping
 * result). Emits it, or counts it as a duplicate, or rejects it, or (a
 * source with orders) holds it as a line of the open order.
 */
static void canon(struct ingest *g, const char *s, size_t n, int mapped)
{
	struct json_doc *d = &g->doc;
	const char *why;
	size_t at;
	uint32_t i, k, root = 0;
	uint32_t t_id = 0, t_ts = 0, t_type = 0, t_src = 0, t_ch = 0, t_ids = 0,
		 t_props = 0, t_traits = 0;
	int64_t ts;
	char iso[CLOCK_ISO_LEN + 1];
	char idhex[33];
	const char *eid = NULL;
	size_t eidn = 0;
	size_t key_prio = (size_t)-1;
	size_t key_off = 0, key_len = 0;
	unsigned nids = 0;

	g->events++;
	if (json_parse(d, s, n, g->max_depth, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	/* find the known fields (json_parse let no key in twice), by what
	 * their names read as: "t\u0079pe" is type */
	for (k = 0, i = 1; k < d->t[root].size; k++, i = d->t[i + 1].next) {
		const struct json_tok *kt = &d->t[i];
		const char *kp = d->s + kt->off;
		size_t kl = kt->len;
		uint32_t *slot = NULL;

		if (kt->esc) {
			buf_reset(&g->tmp);
			json_str_get(d, i, &g->tmp);
			kp = g->tmp.p;
			kl = g->tmp.len;
		}
		switch (kl) {
		case 2: if (!memcmp(kp, "ts", 2)) slot = &t_ts; break;
		case 3: if (!memcmp(kp, "ids", 3)) slot = &t_ids; break;
		case 4: if (!memcmp(kp, "type", 4)) slot = &t_type; break;
		case 5: if (!memcmp(kp, "props", 5)) slot = &t_props; break;
		case 6:
			if (!memcmp(kp, "source", 6)) slot = &t_src;
			else if (!memcmp(kp, "traits", 6)) slot = &t_traits;
			break;
		case 7: if (!memcmp(kp, "channel", 7)) slot = &t_ch; break;
		case 8: if (!memcmp(kp, "event_id", 8)) slot = &t_id; break;
		}
		if (slot)
			*slot = i + 1;
	}
	if (!t_type) {
		OUTCOME_REJECT(&g->f.oc, "missing type");
		return;
	}
	if (d->t[t_type].type != JSON_STRING) {
		OUTCOME_REJECT(&g->f.oc, "type is not a string");
		return;
	}
	if (d->t[t_type].esc) { /* no type needs them; every tool reads it as written */
		OUTCOME_REJECT(&g->f.oc, "invalid type: written with escapes");
		return;
	}
	if (d->t[t_type].len && d->s[d->t[t_type].off] == '$') {
		/* a system record: not ingest's to change */
		if (mapped) {
			OUTCOME_REJECT(&g->f.oc, "mapping produced a system record");
			return;
		}
		buf_reset(&g->line);
		json_write_tok(d, 0, &g->line);
		g->system++;
		emit(g, NULL, 0, g->line.p, g->line.len);
		return;
	}
	if (!valid_type_name(d->s + d->t[t_type].off, d->t[t_type].len, 1)) {
		OUTCOME_REJECT(&g->f.oc, "invalid type: want 1-64 of A-Z a-z 0-9 _ . - : / starting with a letter");
		return;
	}
	/* time */
	if (!t_ts) {
		OUTCOME_REJECT(&g->f.oc, "missing ts");
		return;
	}
	if (d->t[t_ts].type == JSON_STRING) {
		buf_reset(&g->tmp);
		json_str_get(d, t_ts, &g->tmp);
		if (clock_parse(g->tmp.p ? g->tmp.p : "", g->tmp.len, g->src.zone, &ts, &why)) {
			outcome_rejectf(&g->f.oc, "invalid ts: %s", why);
			return;
		}
	} else if (d->t[t_ts].type == JSON_NUMBER) {
		if (clock_parse_epoch(d->s + d->t[t_ts].off, d->t[t_ts].len, &ts, &why)) {
			outcome_rejectf(&g->f.oc, "invalid ts: %s", why);
			return;
		}
	} else {
		OUTCOME_REJECT(&g->f.oc, "ts is not a string or number");
		return;
	}
	if (ts < TS_MIN || ts >= TS_MAX) {
		OUTCOME_REJECT(&g->f.oc, "ts out of range 1990..2100");
		return;
	}
	clock_format(ts, iso);
	/* optional strings and objects */
	if (t_src && d->t[t_src].type != JSON_STRING && d->t[t_src].type != JSON_NULL) {
		OUTCOME_REJECT(&g->f.oc, "source is not a string");
		return;
	}
	if (t_ch && d->t[t_ch].type != JSON_STRING && d->t[t_ch].type != JSON_NULL) {
		OUTCOME_REJECT(&g->f.oc, "channel is not a string");
		return;
	}
	if (t_props && d->t[t_props].type != JSON_OBJECT && d->t[t_props].type != JSON_NULL) {
		OUTCOME_REJECT(&g->f.oc, "props is not an object");
		return;
	}
	if (t_traits && d->t[t_traits].type != JSON_OBJECT && d->t[t_traits].type != JSON_NULL) {
		OUTCOME_REJECT(&g->f.oc, "traits is not an object");
		return;
	}
	/* the body after event_id, built behind room for the prefix */
	buf_reset(&g->body);
	buf_grow(&g->body, HEADROOM);
	g->body.len = HEADROOM;
	buf_adds(&g->body, "\"ts\":\"");
	buf_add(&g->body, iso, CLOCK_ISO_LEN);
	buf_adds(&g->body, "\",\"type\":");
	json_write_tok(d, t_type, &g->body);
	if (t_src && d->t[t_src].type == JSON_STRING) {
		buf_adds(&g->body, ",\"source\":");
		json_write_tok(d, t_src, &g->body);
	} else if (g->src.name) {
		buf_adds(&g->body, ",\"source\":");
		json_write_str(&g->body, g->src.name, strlen(g->src.name));
	}
	if (t_ch && d->t[t_ch].type == JSON_STRING) {
		buf_adds(&g->body, ",\"channel\":");
		json_write_tok(d, t_ch, &g->body);
	}
	/* identifiers */
	if (!t_ids) {
		OUTCOME_REJECT(&g->f.oc, "missing ids");
		return;
	}
	if (d->t[t_ids].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "ids is not an object");
		return;
	}
	buf_reset(&g->drops);
	types_clear(g, d->t[t_ids].size);
	buf_adds(&g->body, ",\"ids\":{");
	for (k = 0, i = t_ids + 1; k < d->t[t_ids].size; k++, i = d->t[i + 1].next) {
		const struct json_tok *kt = &d->t[i], *vt = &d->t[i + 1];
		const char *tp = d->s + kt->off;
		size_t tl = kt->len, p, before;
		char tname[40];
		int again;

		if (kt->esc || !valid_type_name(tp, tl, 0)) {
			drop(g, tp, tl, "identifier type must be 1-32 of a-z 0-9 _ starting with a letter");
			continue;
		}
		again = type_seen(g, d, i);
		memcpy(tname, tp, tl);
		tname[tl] = 0;
		buf_reset(&g->idv);
		if (vt->type == JSON_STRING) {
			json_str_get(d, i + 1, &g->idv);
		} else if (vt->type == JSON_NUMBER) {
			size_t z;
			for (z = 0; z < vt->len; z++) {
				char ch = d->s[vt->off + z];
				if (ch < '0' || ch > '9')
					break;
			}
			if (z != vt->len) {
				drop(g, tp, tl, "numeric identifier is not a whole number");
				continue;
			}
			buf_add(&g->idv, d->s + vt->off, vt->len);
		} else if (vt->type == JSON_NULL) {
			drop(g, tp, tl, "blocked value");
			continue;
		} else {
			drop(g, tp, tl, "identifier is not a string");
			continue;
		}
		if (is_blocked(g, g->idv.p ? g->idv.p : "", g->idv.len)) {
			drop(g, tp, tl, "blocked value");
			continue;
		}
		/* the same type twice: the first wins */
		if (again) {
			drop(g, tp, tl, "identifier type given twice");
			continue;
		}
		if (nids)
			buf_addc(&g->body, ',');
		before = g->body.len;
		buf_addc(&g->body, '"');
		buf_add(&g->body, tp, tl);
		buf_add(&g->body, "\":", 2);
		buf_reset(&g->tmp);
		if (norm_id(tname, g->idv.p ? g->idv.p : "", g->idv.len,
			    g->src.region ? g->src.region : g->region, &g->tmp, &why)) {
			g->body.len = before - (nids ? 1 : 0);
			g->body.p[g->body.len] = 0;
			drop(g, tp, tl, why);
			continue;
		}
		json_write_str(&g->body, g->tmp.p, g->tmp.len);
		nids++;
		for (p = 0; id_priority[p] && p < key_prio; p++)
			if (id_priority[p][0] == tname[0] && !strcmp(id_priority[p], tname)) {
				key_prio = p;
				buf_reset(&g->key);
				buf_add(&g->key, tp, tl);
				buf_addc(&g->key, ':');
				buf_add(&g->key, g->tmp.p, g->tmp.len);
				break;
			}
		if (nids == 1 && key_prio == (size_t)-1) {
			buf_reset(&g->key);
			buf_add(&g->key, tp, tl);
			buf_addc(&g->key, ':');
			buf_add(&g->key, g->tmp.p, g->tmp.len);
		}
		if (nids > MAX_IDS) {
			OUTCOME_REJECT(&g->f.oc, "more than 64 identifiers");
			return;
		}
	}
	if (!nids) {
		if (g->drops.len)
			outcome_reject_about(&g->f.oc, "no usable identifier", NULL, 0,
					     "no usable identifier (%s)", g->drops.p);
		else
			OUTCOME_REJECT(&g->f.oc, "no usable identifier");
		return;
	}
	key_off = 0;
	key_len = g->key.len;
	buf_addc(&g->body, '}');
	if (t_props && d->t[t_props].type == JSON_OBJECT && d->t[t_props].size) {
		buf_adds(&g->body, ",\"props\":");
		json_write_tok(d, t_props, &g->body);
	}
	if (t_traits && d->t[t_traits].type == JSON_OBJECT && d->t[t_traits].size) {
		buf_adds(&g->body, ",\"traits\":");
		json_write_tok(d, t_traits, &g->body);
	}
	/* everything else, in input order */
	for (k = 0, i = 1; k < d->t[root].size; k++, i = d->t[i + 1].next) {
		uint32_t v = i + 1;
		if (v == t_id || v == t_ts || v == t_type || v == t_src || v == t_ch ||
		    v == t_ids || v == t_props || v == t_traits)
			continue;
		buf_addc(&g->body, ',');
		json_write_tok(d, i, &g->body);
		buf_addc(&g->body, ':');
		json_write_tok(d, v, &g->body);
	}
	buf_addc(&g->body, '}');
	/* event_id: kept, or derived from the content */
	if (t_id && d->t[t_id].type != JSON_NULL) {
		const struct json_tok *it = &d->t[t_id];
		size_t z;
		if (it->type != JSON_STRING || it->esc || it->len == 0 || it->len > MAX_EVENT_ID) {
			OUTCOME_REJECT(&g->f.oc, "invalid event_id: want a string of 1-128 printable ASCII characters");
			return;
		}
		for (z = 0; z < it->len; z++) {
			unsigned char ch = (unsigned char)d->s[it->off + z];
			if (ch < 0x21 || ch > 0x7e) {
				OUTCOME_REJECT(&g->f.oc, "invalid event_id: want a string of 1-128 printable ASCII characters");
				return;
			}
		}
		eid = d->s + it->off;
		eidn = it->len;
	}
	if (g->src.group && !g->in_group) {
		/* a line of an order, perhaps: the group decides */
		buf_reset(&g->line_ev);
		buf_addc(&g->line_ev, '{');
		if (eid) {
			buf_adds(&g->line_ev, "\"event_id\":");
			json_write_tok(d, t_id, &g->line_ev);
			buf_addc(&g->line_ev, ',');
		}
		buf_add(&g->line_ev, g->body.p + HEADROOM, g->body.len - HEADROOM);
		if (group_take(g))
			return;
	}
	if (!eid) {
		uint64_t h[2];
		hash128(g->body.p + HEADROOM, g->body.len - HEADROOM, 0, h);
		hash_hex(h, idhex);
		eid = idhex;
		eidn = 32;
	}
	/* dedupe on (source, ts, event_id) */
	if (!g->no_dedupe) {
		unsigned char dk[20];
		struct lane *ln;
		MDB_val v;
		int r;

		if (t_src && d->t[t_src].type == JSON_STRING)
			ln = lane_for(g, d->s + d->t[t_src].off, d->t[t_src].len);
		else if (g->src.name)
			ln = lane_for(g, g->src.name, strlen(g->src.name));
		else
			ln = lane_for(g, "", 0);
		store_be32(dk, ln->id);
		store_be64(dk + 4, (uint64_t)ts ^ (1ull << 63));
		store_be64(dk + 12, hash64(eid, eidn, 0x5eed));
		/* keys sort by time: past the latest committed one, only the
		 * batch can hold it */
		if (ts > ln->seen_max) {
			r = store_put_new(g->st, g->seen, dk, sizeof dk, "", 0);
		} else {
			r = store_get(g->st, g->seen, dk, sizeof dk, &v);
			if (r == 0)
				store_put(g->st, g->seen, dk, sizeof dk, "", 0);
		}
		if (r < 0) {
			g->f.fatal = EXIT_IO;
			return;
		}
		if (r > 0) {
			g->f.oc.dups++;
			return;
		}
		if (ts > ln->watermark)
			ln->watermark = ts;
		ln->touched = 1;
		if (!ln->in_batch) { /* pruned and advanced at the commit */
			if (g->nbatch_lanes == g->batch_lanes_cap) {
				g->batch_lanes_cap = g->batch_lanes_cap ? 2 * g->batch_lanes_cap : 16;
				g->batch_lanes = xrealloc(g->batch_lanes, g->batch_lanes_cap * sizeof *g->batch_lanes);
			}
			g->batch_lanes[g->nbatch_lanes++] = (size_t)(ln - g->lanes);
			ln->in_batch = 1;
		}
	}
	{
		/* {"event_id":"…", goes right before the body */
		char *p = g->body.p + HEADROOM - (eidn + 15);
		memcpy(p, "{\"event_id\":\"", 13);
		memcpy(p + 13, eid, eidn);
		memcpy(p + 13 + eidn, "\",", 2);
		emit(g, g->key.p + key_off, key_len, p, g->body.len - HEADROOM + eidn + 15);
	}
}

/* ---- orders: a source's "group" (lib/group) ---- */

/* Give each line of the open group the outcome of its order: count it
 * under passed or dups, or reject it with why (NULL: counted only). */
static void lines_outcome(struct ingest *g, struct group *gr, size_t from, int passed, int dup,
			  const char *why)
{
	struct outcome *o = &g->f.oc;
	const char *raw = o->raw, *at = o->at;
	size_t raw_n = o->raw_n, at_n = o->at_n, i;
	unsigned flags = o->raw_flags;

	for (i = from; i < group_lines(gr); i++) {
		const char *ev;
		size_t evn;
		if (passed) {
			o->passed++;
		} else if (dup) {
			o->dups++;
		} else {
			group_line(gr, i, &ev, &evn, &o->raw, &o->raw_n, &o->at, &o->at_n);
			o->raw_flags = 0;
			outcome_reject_about(o, "order rejected", NULL, 0, "order rejected: %s", why);
		}
	}
	o->raw = raw;
	o->raw_n = raw_n;
	o->at = at;
	o->at_n = at_n;
	o->raw_flags = flags;
}

/*
 * End the open group gr (of Kafka partition part of topic; topic NULL: of
 * a file): its order event (and, with "lines", each line as a line event
 * after it) goes through canon like any event, and each line gets the
 * order's outcome. The held records are then done.
 */
static void group_end(struct ingest *g, struct group *gr, const char *topic, int32_t part)
{
	struct outcome *o = &g->f.oc;
	unsigned long long p0, d0, r0;
	const char *why, *raw, *at, *ev;
	size_t n = group_lines(gr), i, raw_n, at_n, evn;

	if (!n)
		goto done;
	buf_reset(&g->order);
	if (group_order(gr, &g->order, &why)) {
		char reason[160];
		snprintf(reason, sizeof reason, "%s lines: %s", gr->cfg.by, why);
		lines_outcome(g, gr, 0, 0, 0, reason);
		goto done;
	}
	/* the order's own outcome, written against its first line */
	p0 = o->passed, d0 = o->dups, r0 = o->rejected;
	group_line(gr, 0, &ev, &evn, &raw, &raw_n, &at, &at_n);
	{
		const char *sraw = o->raw, *sat = o->at;
		size_t sraw_n = o->raw_n, sat_n = o->at_n;
		unsigned sflags = o->raw_flags;
		o->raw = raw, o->raw_n = raw_n, o->at = at, o->at_n = at_n, o->raw_flags = 0;
		g->in_group = 1;
		canon(g, g->order.p, g->order.len, 0);
		g->events--; /* not an event of the mapping */
		o->raw = sraw, o->raw_n = sraw_n, o->at = sat, o->at_n = sat_n, o->raw_flags = sflags;
	}
	g->orders++;
	g->order_lines += n;
	if (o->passed > p0) {
		lines_outcome(g, gr, 1, 1, 0, NULL);
		for (i = 0; gr->cfg.lines_type && i < n && !g->f.fatal; i++) {
			unsigned long long p1 = o->passed, d1 = o->dups;
			buf_reset(&g->order);
			if (group_line_event(gr, i, &g->order))
				continue;
			canon(g, g->order.p, g->order.len, 0);
			g->events--;
			g->line_events += o->passed - p1;
			g->line_dups += o->dups - d1;
			o->passed = p1;
			o->dups = d1;
		}
	} else if (o->dups > d0) {
		g->order_dups++;
		lines_outcome(g, gr, 1, 0, 1, NULL);
	} else if (o->rejected > r0) {
		lines_outcome(g, gr, 1, 0, 0, "its event was rejected (see its first line)");
	}
	g->in_group = 0;
done:
	group_clear(gr);
	filter_release(&g->f, topic, part);
}

/* The group the current record belongs to: of its Kafka partition (made
 * when new), else the source's. *topic and *part say which. */
static struct group *group_here(struct ingest *g, const char **topic, int32_t *part)
{
	const struct ep_in *in = g->f.in;
	struct kgroup *k;
	size_t i;

	*topic = NULL;
	*part = 0;
	if (!in || !in->kafka)
		return g->src.group;
	for (i = 0; i < g->nkg; i++)
		if (g->kg[i]->part == in->msg.partition && !strcmp(g->kg[i]->topic, in->msg.topic))
			break;
	if (i == g->nkg) {
		k = xcalloc(1, sizeof *k);
		k->topic = xstrdup(in->msg.topic);
		k->part = in->msg.partition;
		group_init_like(&k->gr, g->src.group);
		g->kg = xrealloc(g->kg, (g->nkg + 1) * sizeof *g->kg);
		g->kg[g->nkg++] = k;
	}
	*topic = g->kg[i]->topic;
	*part = g->kg[i]->part;
	return &g->kg[i]->gr;
}

/*
 * The event in g->line_ev (canonical, g->body's text) as a line of an
 * order. Returns 1 when the group took it (held, or rejected), 0 when it
 * is no line of an order (no key): canon passes it on as it is.
 */
static int group_take(struct ingest *g)
{
	const char *topic;
	int32_t part;
	struct group *gr = group_here(g, &topic, &part);
	struct outcome *o = &g->f.oc;
	const char *why;
	struct buf *at = &g->tmp;
	enum group_took r;
	size_t i;

	buf_reset(at);
	outcome_where(o, at);
	for (;;) {
		r = group_add(gr, g->line_ev.p, g->line_ev.len, o->raw, o->raw_n, at->p, at->len, &why);
		if (r != GROUP_ENDS)
			break;
		group_end(g, gr, topic, part);
		buf_reset(at);
		outcome_where(o, at);
	}
	switch (r) {
	case GROUP_PASS:
		return 0;
	case GROUP_HELD:
		filter_hold(&g->f);
		return 1;
	case GROUP_BAD:
		outcome_reject(o, why, strlen(why));
		return 1;
	case GROUP_OVER:
		break;
	case GROUP_ENDS:
		break;
	}
	/* too many lines: every line under the key is rejected, those
	 * held and this one, and those to come until the key changes */
	{
		char reason[200];
		const char *kv = memchr(gr->key.p, 0, gr->key.len);
		size_t kn = gr->key.len - (size_t)(kv - gr->key.p) - 2;
		snprintf(reason, sizeof reason, "%s lines: more than %zu under '%.*s' (group.max_lines)",
			 gr->cfg.by, gr->cfg.max_lines, (int)(kn > 60 ? 60 : kn), kv + 2);
		for (i = 0; i < group_lines(gr); i++) {
			const char *sraw = o->raw, *sat = o->at, *ev;
			size_t sraw_n = o->raw_n, sat_n = o->at_n, evn;
			unsigned sflags = o->raw_flags;
			group_line(gr, i, &ev, &evn, &o->raw, &o->raw_n, &o->at, &o->at_n);
			o->raw_flags = 0;
			outcome_reject_about(o, "order lines: more than group.max_lines under one key",
					     kv + 2, kn, "%s", reason);
			o->raw = sraw, o->raw_n = sraw_n, o->at = sat, o->at_n = sat_n, o->raw_flags = sflags;
		}
		group_drop_lines(gr);
		filter_release(&g->f, topic, part);
		outcome_reject_about(o, "order lines: more than group.max_lines under one key",
				     kv + 2, kn, "%s", reason);
	}
	return 1;
}

static int kgroup_cmp(const void *a, const void *b)
{
	const struct kgroup *x = *(struct kgroup *const *)a, *y = *(struct kgroup *const *)b;
	int c = strcmp(x->topic, y->topic);

	return c ? c : (x->part > y->part) - (x->part < y->part);
}

/* The input ended: every open order is complete (a topic's in partition
 * order). */
static void on_end_input(void *ctx)
{
	struct ingest *g = ctx;
	size_t i;

	if (!g->src.group)
		return;
	group_end(g, g->src.group, NULL, 0);
	if (g->nkg > 1)
		qsort(g->kg, g->nkg, sizeof *g->kg, kgroup_cmp);
	for (i = 0; i < g->nkg; i++)
		group_end(g, &g->kg[i]->gr, g->kg[i]->topic, g->kg[i]->part);
}

/* Partitions were taken away: their open orders are read again from
 * their first lines (the positions stored), by whoever gets them. */
static void on_revoked(void *ctx)
{
	struct ingest *g = ctx;
	size_t i;

	for (i = 0; i < g->nkg; i++) {
		g->left += group_lines(&g->kg[i]->gr);
		group_clear(&g->kg[i]->gr);
	}
}

/* The lines held in open orders. */
static size_t lines_open(const struct ingest *g)
{
	size_t i, n = g->src.group ? group_lines(g->src.group) : 0;

	for (i = 0; i < g->nkg; i++)
		n += group_lines(&g->kg[i]->gr);
	return n;
}

/* Free the groups of Kafka partitions. */
static void kgroups_free(struct ingest *g)
{
	size_t i;

	for (i = 0; i < g->nkg; i++) {
		group_free(&g->kg[i]->gr);
		free(g->kg[i]->topic);
		free(g->kg[i]);
	}
	free(g->kg);
	g->kg = NULL;
	g->nkg = 0;
}

/* ---- mapping: native or jq, on one thread or several ---- */

/* One thread's means of mapping a record. */
struct mapper {
	struct map_ctx *ctx;   /* the native map's */
	struct jqprog *jq;     /* or the jq program, compiled for this thread */
	struct json_doc doc;   /* the raw record, parsed */
	struct buf tmp;
};

/* What the mapping made of a record: events (0: skipped by the mapping),
 * each a line of out; -1: a mapping error (err); -2: the record is not
 * JSON (err: why, *at: where). */
static int map_json(struct ingest *g, struct mapper *w, const char *p, size_t n,
		    struct buf *out, struct buf *err, size_t *at)
{
	const char *why;
	int r;

	if (json_parse(&w->doc, p, n, g->max_depth, &why, at)) {
		buf_adds(err, why);
		return -2;
	}
	if (g->src.native) {
		r = map_run_json(w->ctx, &w->doc, out, err);
		if (r > 0)
			buf_addc(out, '\n');
		return r;
	}
	return jqprog_run(w->jq, jqprog_from_json(&w->doc, 0), out, err);
}

/* The same for a CSV row: nf fields, their bytes in text. */
static int map_csv(struct ingest *g, struct mapper *w, const char *text, const struct csv_field *f,
		   size_t nf, struct buf *out, struct buf *err)
{
	size_t k;
	int r;

	if (g->src.native) {
		r = map_run_csv(w->ctx, text, f, nf, out, err);
		if (r > 0)
			buf_addc(out, '\n');
		return r;
	}
	jv o = jv_object();
	for (k = 0; k < nf; k++)
		o = jv_object_set(o, jv_string(g->hdr[k]), jv_string_sized(text + f[k].off, (int)f[k].len));
	return jqprog_run(w->jq, o, out, err);
}

/* The outcome of a mapped record (r, out, err, at as map_json gives). */
static void mapped(struct ingest *g, int r, const struct buf *out, const struct buf *err, size_t at)
{
	size_t p = 0;

	if (r == -2) {
		outcome_bad_json(&g->f.oc, err->p ? err->p : "", at);
		return;
	}
	if (r < 0) {
		outcome_rejectf(&g->f.oc, "mapping error: %s", err->p ? err->p : "");
		return;
	}
	if (r == 0) {
		g->f.oc.skipped++;
		return;
	}
	while (p < out->len) {
		char *nl = memchr(out->p + p, '\n', out->len - p);
		size_t len = (size_t)(nl - (out->p + p));
		canon(g, out->p + p, len, 1);
		p += len + 1;
	}
}

/* A record read and waiting for its mapping (--threads), with what its
 * outcome needs: where it came from and its bytes. */
struct job {
	unsigned long line;
	size_t raw, raw_n;            /* its bytes in the batch's text */
	unsigned raw_flags;
	unsigned long long raw_total;
	size_t fld, nf;               /* CSV: its fields in the batch's array */
	size_t why;                   /* a reject found when it was read: offset + 1
				       * of its reason in whys; 0: map it */
	int r;                        /* the mapping's result (see map_json) */
	size_t at;
	struct buf out, err;
};

struct batch {
	struct job *job;
	size_t n, cap;
	struct buf text;              /* records' bytes (CSV: raw, then fields) */
	struct csv_field *f;
	size_t nf, fcap;
	struct buf whys;
	const char *file;
	int csv;
};

#define BATCH_JOBS 2048
#define BATCH_BYTES (4u << 20)

static struct job *job_add(struct batch *b, unsigned long line, const char *raw, size_t n)
{
	struct job *j;

	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 256;
		b->job = xrealloc(b->job, b->cap * sizeof *b->job);
		memset(b->job + b->n, 0, (b->cap - b->n) * sizeof *b->job);
	}
	j = &b->job[b->n++];
	j->line = line;
	j->raw = b->text.len;
	j->raw_n = n;
	buf_add(&b->text, raw, n);
	j->raw_flags = 0;
	j->raw_total = n;
	j->nf = 0;
	j->why = 0;
	return j;
}

static void job_reject(struct batch *b, struct job *j, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void job_reject(struct batch *b, struct job *j, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	j->why = b->whys.len + 1;
	buf_add(&b->whys, tmp, strlen(tmp) + 1);
}

/* Map jobs [from, to) of batch b on the thread of mapper w (lib/pool). */
static void map_jobs(void *ctx, void *batch, void *arg, size_t from, size_t to)
{
	struct ingest *g = ctx;
	struct batch *b = batch;
	struct mapper *w = arg;
	size_t i;

	for (i = from; i < to; i++) {
		struct job *j = &b->job[i];
		buf_reset(&j->out);
		buf_reset(&j->err);
		if (j->why)
			continue;
		if (b->csv)
			j->r = map_csv(g, w, b->text.p, b->f + j->fld, j->nf, &j->out, &j->err);
		else
			j->r = map_json(g, w, b->text.p + j->raw, j->raw_n, &j->out, &j->err, &j->at);
	}
}

/* The outcomes of a mapped batch in input order, committing when due;
 * then the batch is empty. 0 or an exit code (the rest of the batch is
 * dropped, as a sequential run stops reading). */
static int batch_outcomes(struct ingest *g, struct batch *b)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < b->n && !rc; i++) {
		struct job *j = &b->job[i];
		g->f.oc.file = b->file;
		g->f.oc.line = j->line;
		g->f.oc.raw = b->text.p + j->raw;
		g->f.oc.raw_n = j->raw_n;
		g->f.oc.raw_flags = j->raw_flags;
		g->f.oc.raw_total = j->raw_total;
		g->f.oc.in++;
		if (j->why)
			outcome_rejectf(&g->f.oc, "%s", b->whys.p + j->why - 1);
		else
			mapped(g, j->r, &j->out, &j->err, j->at);
		rc = filter_after_record(&g->f);
	}
	b->n = 0;
	b->nf = 0;
	buf_reset(&b->text);
	buf_reset(&b->whys);
	return rc;
}

/* The batch being read is full: it goes to the threads, and the one they
 * mapped before it gets its outcomes. 0 or an exit code. */
static int batch_push(struct ingest *g)
{
	struct batch *done = g->fly;
	int rc = 0;

	if (done)
		pool_finish(g->pool, &g->w[0]);
	g->fly = g->pend;
	/* the threads map it in chunks of 32 while this thread gives the
	 * batch before it its outcomes and reads the next */
	pool_start(g->pool, g->fly, g->fly->n, 32);
	if (done) {
		rc = batch_outcomes(g, done);
		g->pend = done;
	} else {
		g->pend = g->spare;
		g->spare = NULL;
	}
	g->pend->csv = g->fly->csv;
	g->pend->file = g->fly->file;
	if (rc) {
		pool_finish(g->pool, &g->w[0]);
		g->fly->n = 0;
		batch_outcomes(g, g->fly); /* nothing: only empties it */
	}
	return rc;
}

/* Every record read so far gets its outcome (the end of an input, or it
 * idles). 0 or an exit code. */
static int batch_run(struct ingest *g)
{
	int rc = 0;

	if (g->pend->n)
		rc = batch_push(g);
	if (g->fly) {
		pool_finish(g->pool, &g->w[0]);
		if (!rc)
			rc = batch_outcomes(g, g->fly);
		else
			g->fly->n = 0, batch_outcomes(g, g->fly);
		g->spare = g->pend;
		g->pend = g->fly;
		g->fly = NULL;
		g->pend->csv = g->spare->csv;
		g->pend->file = g->spare->file;
	}
	return rc;
}

static int batch_full(const struct batch *b)
{
	return b->n >= BATCH_JOBS || b->text.len >= BATCH_BYTES;
}

/* NDJSON from a file or stdin, mapped on several threads. */
static int run_lines(struct ingest *g, const char *spec)
{
	struct ep_in in;
	struct ep_cfg cfg = {0};
	struct ep_rec r;
	int rc = 0, x;

	cfg.max_line = g->max_line;
	if ((rc = ep_in_open(&in, spec, &cfg)))
		return rc;
	g->pend->csv = 0;
	g->pend->file = in.in.name;
	/* after a stop, a pipe is read on until its writer ends (input_drains),
	 * as CSV is */
	while (!cli_stop || input_drains(&in.in)) {
		x = ep_in_next(&in, &r);
		if (x == 0)
			break;
		if (x < 0) {
			if (!(rc = batch_run(g)))
				rc = in.code;
			break;
		}
		if (x == 2) {
			/* idle: hand over what is done */
			if ((rc = batch_run(g)) || (rc = filter_commit(&g->f)))
				break;
			continue;
		}
		{
			struct job *j = job_add(g->pend, in.lines.lineno, r.p, r.n);
			j->raw_flags = r.flags;
			j->raw_total = r.total;
			if (r.flags & LINE_TOO_LONG)
				job_reject(g->pend, j, "line longer than %zu bytes (%llu)", in.max_line, r.total);
		}
		if (batch_full(g->pend) && (rc = batch_push(g)))
			break;
	}
	if (!rc)
		rc = batch_run(g);
	ep_in_close(&in);
	g->f.oc.file = NULL;
	return rc;
}

static void record(struct ingest *g, const char *p, size_t n)
{
	size_t at = 0;
	int r;

	g->f.oc.in++;
	if (g->f.oc.raw_flags & LINE_TOO_LONG) {
		outcome_rejectf(&g->f.oc, "line longer than %zu bytes (%llu)", g->max_line, g->f.oc.raw_total);
		return;
	}
	if (!g->src.map && !g->src.native) {
		canon(g, p, n, 0);
		return;
	}
	buf_reset(&g->mapped);
	buf_reset(&g->err);
	r = map_json(g, &g->w[0], p, n, &g->mapped, &g->err, &at);
	mapped(g, r, &g->mapped, &g->err, at);
}

/* ---- batches ---- */

/* Before a commit: prune each dedupe lane the batch wrote to its window
 * (only those: a stream that names a new source on every line must not
 * cost a pass over every lane at every commit). */
static int before_commit(void *ctx)
{
	struct ingest *g = ctx;
	size_t i;

	for (i = 0; i < g->nbatch_lanes && !g->no_dedupe; i++) {
		struct lane *ln = &g->lanes[g->batch_lanes[i]];
		unsigned char from[4], below[12];
		if (!ln->touched || ln->watermark <= INT64_MIN + ln->window)
			continue;
		store_be32(from, ln->id);
		store_be32(below, ln->id);
		store_be64(below + 4, (uint64_t)(ln->watermark - ln->window) ^ (1ull << 63));
		store_del_range(g->st, g->seen, from, sizeof from, below, sizeof below, 200000);
	}
	return 0;
}

static void after_commit(void *ctx)
{
	struct ingest *g = ctx;
	size_t i;

	for (i = 0; i < g->nbatch_lanes; i++) {
		struct lane *ln = &g->lanes[g->batch_lanes[i]];
		if (ln->watermark > ln->seen_max)
			ln->seen_max = ln->watermark;
		ln->in_batch = 0;
	}
	g->nbatch_lanes = 0;
}

static void on_record(void *ctx, const char *p, size_t n)
{
	record(ctx, p, n);
}

/* ---- CSV ---- */

static ssize_t csv_pull(void *ctx, char *p, size_t n)
{
	struct input *in = ctx;
	ssize_t r = input_read(in, p, n);

	return r == 0 && in->stopped ? CSV_STOPPED : r;
}

/* A CSV row without a mapping: columns type, ts, event_id, source, channel,
 * ids.<type>, props.<name>, traits.<name>; empty cells are left out. */
static void csv_plain(struct ingest *g, struct csv_reader *r, char **hdr, size_t nh)
{
	static const char *const groups[] = {"ids.", "props.", "traits.", NULL};
	struct buf *b = &g->mapped;
	size_t f, gi;
	int first = 1;

	buf_reset(b);
	buf_addc(b, '{');
	for (f = 0; f < nh; f++) {
		if (!r->f[f].len || strchr(hdr[f], '.'))
			continue;
		if (!first)
			buf_addc(b, ',');
		first = 0;
		json_write_str(b, hdr[f], strlen(hdr[f]));
		buf_addc(b, ':');
		json_write_str(b, r->rec.p + r->f[f].off, r->f[f].len);
	}
	for (gi = 0; groups[gi]; gi++) {
		size_t gl = strlen(groups[gi]);
		int any = 0;
		for (f = 0; f < nh; f++) {
			if (!r->f[f].len || strncmp(hdr[f], groups[gi], gl))
				continue;
			if (!any) {
				if (!first)
					buf_addc(b, ',');
				first = 0;
				json_write_str(b, groups[gi], gl - 1);
				buf_add(b, ":{", 2);
			} else {
				buf_addc(b, ',');
			}
			any = 1;
			json_write_str(b, hdr[f] + gl, strlen(hdr[f] + gl));
			buf_addc(b, ':');
			json_write_str(b, r->rec.p + r->f[f].off, r->f[f].len);
		}
		if (any)
			buf_addc(b, '}');
	}
	buf_addc(b, '}');
	canon(g, b->p, b->len, 0);
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The column names of a CSV file from its first record (x and err: what
 * csv_reader_next said of it), *nh of them, in an array the caller frees
 * with each name. NULL after rejecting the header (the caller counts it as
 * a record in), and with it the file:
 * a record that does not parse, a blank line, a column without a name, or
 * a name given twice (two columns would become one key, read differently
 * by different readers).
 */
static char **csv_header(struct ingest *g, struct csv_reader *r, int x, const char *err, size_t *nh)
{
	struct outcome *o = &g->f.oc;
	char **hdr, **sorted;
	size_t f, n = r->nf;

	*nh = 0;
	if (x == -2) {
		outcome_rejectf(o, "invalid csv header: %s", err);
		return NULL;
	}
	if (n == 1 && !r->f[0].len && !r->f[0].quoted) {
		OUTCOME_REJECT(o, "invalid csv header: blank line");
		return NULL;
	}
	for (f = 0; f < n; f++)
		if (!r->f[f].len) {
			outcome_rejectf(o, "invalid csv header: column %zu has no name", f + 1);
			return NULL;
		}
	hdr = xcalloc(n, sizeof *hdr);
	sorted = xcalloc(n, sizeof *sorted);
	for (f = 0; f < n; f++)
		sorted[f] = hdr[f] = xstrndup(r->rec.p + r->f[f].off, r->f[f].len);
	qsort(sorted, n, sizeof *sorted, str_ptr_cmp);
	for (f = 1; f < n; f++)
		if (!strcmp(sorted[f - 1], sorted[f])) {
			size_t len = strlen(sorted[f]);
			outcome_reject_about(o, "invalid csv header: a column name given twice",
					     sorted[f], len, "invalid csv header: column '%.*s' given twice",
					     (int)(len > 100 ? 100 : len), sorted[f]);
			break;
		}
	free(sorted);
	if (f < n) {
		for (f = 0; f < n; f++)
			free(hdr[f]);
		free(hdr);
		return NULL;
	}
	*nh = n;
	return hdr;
}

static void on_end_input(void *ctx);
/* A CSV row read (x, err: what csv_reader_next said), queued for mapping
 * on several threads. Returns 0 or an exit code. */
static int csv_job(struct ingest *g, struct csv_reader *r, int x, const char *err, size_t nh)
{
	struct batch *b = g->pend;
	struct job *j;
	size_t k, base;

	if (x == 1 && r->nf == 1 && r->f[0].len == 0 && !r->f[0].quoted)
		return 0; /* blank line: not a record */
	j = job_add(b, r->line, r->raw.p ? r->raw.p : "", r->raw.len);
	if (x == -2) {
		job_reject(b, j, "invalid csv: %s", err);
	} else if (r->nf != nh) {
		job_reject(b, j, "row has %zu fields, header has %zu", r->nf, nh);
	} else {
		base = b->text.len;
		buf_add(&b->text, r->rec.p ? r->rec.p : "", r->rec.len);
		if (b->nf + r->nf > b->fcap) {
			b->fcap = (b->nf + r->nf) * 2;
			b->f = xrealloc(b->f, b->fcap * sizeof *b->f);
		}
		j->fld = b->nf;
		j->nf = r->nf;
		for (k = 0; k < r->nf; k++) {
			b->f[b->nf] = r->f[k];
			b->f[b->nf++].off += base;
		}
	}
	return batch_full(b) ? batch_push(g) : 0;
}

static int run_csv(struct ingest *g, const char *spec)
{
	struct input in;
	struct csv_reader r;
	char **hdr = NULL;
	size_t nh = 0, f;
	const char *err;
	int rc = 0, x;

	if (input_open(&in, spec)) {
		cli_err("cannot read '%s': %s", spec, in.err);
		return EXIT_IO;
	}
	csv_reader_init(&r, csv_pull, &in);
	if (g->pend) {
		g->pend->csv = 1;
		g->pend->file = in.name;
	}
	r.sep = g->src.sep;
	r.max_record = g->max_line;
	while ((x = csv_reader_next(&r, &err)) != 0) {
		g->f.oc.file = in.name;
		g->f.oc.line = r.line;
		g->f.oc.raw = r.raw.p ? r.raw.p : "";
		g->f.oc.raw_n = r.raw.len;
		g->f.oc.raw_flags = 0;
		if (x == -1) {
			if (g->pend && (rc = batch_run(g)))
				break;
			cli_err("cannot read '%s': %s", in.name, in.err);
			rc = EXIT_IO;
			break;
		}
		if (!hdr) {
			if (!(hdr = csv_header(g, &r, x, err, &nh))) {
				/* the rows cannot be read without it: the file
				 * is one bad input, the run goes on to the next */
				g->f.oc.in++;
				rc = filter_after_record(&g->f);
				break;
			}
			g->hdr = hdr;
			g->nh = nh;
			if (g->src.native)
				map_bind_columns(g->src.native, hdr, nh);
			continue;
		}
		if (g->pend) {
			if ((rc = csv_job(g, &r, x, err, nh)))
				break;
			continue;
		}
		g->f.oc.in++;
		if (x == -2) {
			outcome_rejectf(&g->f.oc, "invalid csv: %s", err);
		} else if (r.nf == 1 && r.f[0].len == 0 && !r.f[0].quoted) {
			g->f.oc.in--; /* blank line: not a record */
			continue;
		} else if (r.nf != nh) {
			outcome_rejectf(&g->f.oc, "row has %zu fields, header has %zu", r.nf, nh);
		} else if (!g->src.map && !g->src.native) {
			csv_plain(g, &r, hdr, nh);
		} else {
			buf_reset(&g->mapped);
			buf_reset(&g->err);
			mapped(g, map_csv(g, &g->w[0], r.rec.p, r.f, r.nf, &g->mapped, &g->err),
			       &g->mapped, &g->err, 0);
		}
		if ((rc = filter_after_record(&g->f)))
			break;
	}
	if (g->pend && !rc)
		rc = batch_run(g);
	if (x == 0 && !rc && !in.stopped) {
		/* the end of the file (not a stop: a part order waits for the rerun) */
		on_end_input(g);
		rc = filter_after_record(&g->f);
	}
	for (f = 0; f < nh; f++)
		free(hdr[f]);
	free(hdr);
	g->hdr = NULL;
	g->nh = 0;
	csv_reader_release(&r);
	input_close(&in);
	g->f.oc.file = NULL;
	if (cli_stop && !rc)
		cli_info("stopped by signal; state committed");
	return rc;
}

static int is_csv_name(const char *s)
{
	size_t n = strlen(s);

	return (n > 4 && !strcmp(s + n - 4, ".csv")) || (n > 8 && !strcmp(s + n - 8, ".csv.zst"));
}

/* The slot of lane id in lane_ix: its own, or the empty one it would take. */
static size_t lane_slot(const struct ingest *g, uint32_t id)
{
	size_t m = g->lane_cap - 1, i = (size_t)(id * 0x9e3779b1u) & m;

	while (g->lane_ix[i] && g->lanes[g->lane_ix[i] - 1].id != id)
		i = (i + 1) & m;
	return i;
}

/* The lane of source hash id, added when new. */
static struct lane *lane_add(struct ingest *g, uint32_t id)
{
	size_t i;

	if (2 * (g->nlanes + 1) > g->lane_cap) { /* keep the table half empty */
		size_t cap = g->lane_cap ? 2 * g->lane_cap : 64;
		free(g->lane_ix);
		g->lane_ix = xcalloc(cap, sizeof *g->lane_ix);
		g->lane_cap = cap;
		for (i = 0; i < g->nlanes; i++)
			g->lane_ix[lane_slot(g, g->lanes[i].id)] = (uint32_t)(i + 1);
	}
	i = lane_slot(g, id);
	if (g->lane_ix[i])
		return &g->lanes[g->lane_ix[i] - 1];
	g->lane_ix[i] = (uint32_t)(g->nlanes + 1);
	if ((g->nlanes & (g->nlanes - 1)) == 0) /* grow at powers of two */
		g->lanes = xrealloc(g->lanes, (g->nlanes ? 2 * g->nlanes : 1) * sizeof *g->lanes);
	g->lanes[g->nlanes].id = id;
	g->lanes[g->nlanes].seen_max = INT64_MIN;
	g->lanes[g->nlanes].watermark = INT64_MIN;
	g->lanes[g->nlanes].window = g->src.window && !g->window_arg ? g->src.window : g->window;
	g->lanes[g->nlanes].touched = 0;
	g->lanes[g->nlanes].in_batch = 0;
	g->last_lane = NULL; /* the array moved */
	return &g->lanes[g->nlanes++];
}

/* Where the committed dedupe keys of each lane end: the last key before the
 * next lane's first, found by seeking (a few lookups per source). */
static int seen_last(struct ingest *g)
{
	MDB_txn *txn = store_read_txn(g->st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char next[4];
	int rc;

	if (!txn || mdb_cursor_open(txn, g->seen, &cur))
		return -1;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		uint32_t id;
		struct lane *ln;

		if (k.mv_size != 20) {
			cli_err("store DB ingest.seen holds a key of %zu bytes, not 20: "
				"written by another version?", k.mv_size);
			mdb_cursor_close(cur);
			return -1;
		}
		id = store_get_be32(k.mv_data);
		ln = lane_add(g, id);
		if (id == UINT32_MAX) {
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		} else {
			store_be32(next, id + 1);
			k.mv_data = next;
			k.mv_size = sizeof next;
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
			else if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		}
		if (rc)
			break;
		ln->seen_max = (int64_t)(store_get_be64((unsigned char *)k.mv_data + 4) ^ (1ull << 63));
		ln->watermark = ln->seen_max;
		if (id == UINT32_MAX)
			break;
		k.mv_data = next;
		k.mv_size = sizeof next;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	}
	mdb_cursor_close(cur);
	store_read_end(g->st);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : -1;
}

/* A mapper per thread (--threads; Kafka input maps on one). Returns 0 or
 * an exit code. */
static int mappers_open(struct ingest *g)
{
	long t, n = g->src.map || g->src.native ? g->threads : 1;

	g->w = xcalloc((size_t)n, sizeof *g->w);
	for (t = 0; t < n; t++) {
		if (g->src.native) {
			g->w[t].ctx = map_ctx_new(g->src.native);
		} else if (g->src.map && t == 0) {
			g->w[t].jq = g->src.map;
		} else if (g->src.map) {
			struct buf err = BUF_INIT;
			g->w[t].jq = jqprog_compile(g->src.jq_name, g->src.jq_text, &err);
			buf_release(&err);
			if (!g->w[t].jq) {
				cli_err("cannot compile '%s' again for thread %ld", g->src.jq_name, t + 1);
				return EXIT_BUG;
			}
		}
	}
	if (n == 1) {
		g->threads = 1;
		return 0;
	}
	g->pend = xcalloc(1, sizeof *g->pend);
	g->spare = xcalloc(1, sizeof *g->spare);
	{
		void *args[64];
		for (t = 1; t < n; t++)
			args[t - 1] = &g->w[t];
		g->pool = pool_new((int)n - 1, map_jobs, g, args);
	}
	return 0;
}

static void batch_free(struct batch *b)
{
	size_t i;

	if (!b)
		return;
	for (i = 0; i < b->cap; i++) {
		buf_release(&b->job[i].out);
		buf_release(&b->job[i].err);
	}
	free(b->job);
	free(b->f);
	buf_release(&b->text);
	buf_release(&b->whys);
	free(b);
}

static void mappers_close(struct ingest *g)
{
	long t;

	pool_free(g->pool);
	g->pool = NULL;
	for (t = 0; g->w && t < g->threads; t++) {
		map_ctx_free(g->w[t].ctx);
		if (t > 0)
			jqprog_free(g->w[t].jq);
		json_doc_release(&g->w[t].doc);
		buf_release(&g->w[t].tmp);
	}
	free(g->w);
	g->w = NULL;
	batch_free(g->pend);
	batch_free(g->fly);
	batch_free(g->spare);
	g->pend = g->fly = g->spare = NULL;
}

static int handle(void *ctx, int key, const char *arg)
{
	struct ingest *g = ctx;

	switch (key) {
	case OPT_SOURCE: g->source_name = arg; break;
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_FORMAT:
		if (strcmp(arg, "csv") && strcmp(arg, "ndjson")) {
			cli_err("--format wants ndjson or csv, not '%s'", arg);
			return EXIT_USAGE;
		}
		g->format = arg;
		break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_BATCH:
		return cli_long("batch", arg, 1, &g->batch);
	case OPT_COMMIT_MS:
		return cli_long("commit-ms", arg, 0, &g->commit_ms);
	case OPT_WINDOW: g->window_arg = arg; break;
	case OPT_NO_DEDUPE: g->no_dedupe = 1; break;
	case OPT_NOSYNC: g->nosync = 1; break;
	case OPT_THREADS:
		if (cli_long("threads", arg, 1, &g->threads))
			return EXIT_USAGE;
		if (g->threads > 64) {
			cli_err("--threads wants 1 to 64, not '%s'", arg);
			return EXIT_USAGE;
		}
		break;
	case 'e': g->exit_at_end = 1; break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct ingest G;
	struct ingest *g = &G;
	int rc, code, i;
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	name_cls_init();
	g->cli.prog = "ingest";
	g->cli.synopsis = "[options] [FILE…]";
	g->cli.summary = "Normalise, validate and dedupe raw records into canonical events (NDJSON or Kafka).";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->batch = 16384;
	g->commit_ms = 1000;
	g->window = 7LL * 86400 * 1000;
	g->max_line = 1 << 20;
	g->max_depth = 64;
	g->threads = 1;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	g->pipelines = conf_pipelines(g->pipelines);
	if ((rc = load_ingest_conf(g)) || (rc = load_source(g)))
		goto out;
	if (g->window_arg && (clock_parse_duration(g->window_arg, &g->window) || g->window <= 0)) {
		cli_err("--window wants a duration like 7d, not '%s'", g->window_arg);
		rc = EXIT_USAGE;
		goto out;
	}
	if (g->format)
		g->src.csv = !strcmp(g->format, "csv");
	if ((rc = mappers_open(g)))
		goto out;
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	g->st = store_open(g->cli.db, "ingest", STORE_TRIM | (g->nosync ? STORE_NOSYNC : 0), &code);
	if (!g->st) {
		rc = code;
		goto out;
	}
	if (store_dbi(g->st, "ingest.seen", 0, &g->seen) || seen_last(g)) {
		rc = EXIT_IO;
		goto out;
	}
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-ingest";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.max_line = g->max_line;
	g->f.exit_at_end = g->exit_at_end;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.end_input = on_end_input;
	g->f.revoked = on_revoked;
	g->f.ctx = g;
	if ((rc = filter_open(&g->f)))
		goto out;
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++) {
		const char *spec = g->cli.in[i];
		int csv = g->format ? g->src.csv : (g->src.csv || is_csv_name(spec));
		if (csv && !strncmp(spec, "kafka://", 8)) {
			cli_err("'%s': csv input comes from files or stdin; Kafka carries NDJSON", spec);
			rc = EXIT_USAGE;
			break;
		}
		rc = csv ? run_csv(g, spec)
		   : g->pend && strncmp(spec, "kafka://", 8) ? run_lines(g, spec)
		   : filter_run(&g->f, spec);
	}
	rc = filter_close(&g->f, rc);
	if (rc == EXIT_DATA)
		cli_err("stopped at the first rejected record (--strict): %s",
			g->f.oc.first.p ? g->f.oc.first.p : "");
	if (g->cli.verbose) {
		double secs;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		outcome_print(&g->f.oc, "skipped by mapping");
		if (g->events != g->f.oc.in)
			fprintf(stderr, "%s: %llu events from the mapping; outcomes count events\n",
				cli_prog, g->events);
		if (g->system)
			fprintf(stderr, "%s: %llu system records passed through\n", cli_prog, g->system);
		if (g->src.group) {
			fprintf(stderr, "%s: %llu orders of %llu lines (%llu duplicate)", cli_prog,
				g->orders, g->order_lines, g->order_dups);
			if (g->src.group->cfg.lines_type)
				fprintf(stderr, ", %llu line events passed (%llu duplicate)",
					g->line_events, g->line_dups);
			fputc('\n', stderr);
			if (lines_open(g) + g->left)
				fprintf(stderr, "%s: %llu lines of open orders not done: a rerun reads them again\n",
					cli_prog, (unsigned long long)lines_open(g) + g->left);
		}
		tally_print(&g->dropped, "identifier dropped");
		fprintf(stderr, "%s: %.3f s, %.0f records/s, peak rss %ld KiB\n", cli_prog, secs,
			secs > 0 ? (double)g->f.oc.in / secs : 0.0, cli_peak_rss_kb());
	}
out:
	store_close(g->st);
	outcome_close(&g->f.oc);
	tally_free(&g->dropped);
	free(g->types);
	mappers_close(g);
	jqprog_free(g->src.map);
	if (g->src.group)
		group_free(g->src.group);
	free(g->src.group);
	kgroups_free(g);
	free(g->src.jq_name);
	free(g->src.jq_text);
	map_free(g->src.native);
	tz_free(g->src.zone);
	free(g->src.name);
	free(g->src.region);
	free(g->region);
	for (size_t k = 0; k < g->nblocked; k++)
		free(g->blocked[k]);
	free(g->blocked);
	json_doc_release(&g->doc);
	free(g->lanes);
	free(g->lane_ix);
	free(g->batch_lanes);
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
	rc = cli_stdout_close(rc);
	return rc;
}
