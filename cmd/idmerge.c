/*
 * idmerge - OneID: give every event the person it belongs to.
 *
 * Reads canonical events (ingest's output) and writes them on with
 * "oneid": N. Identifiers seen together belong to one person; when an event
 * links several people they merge (the oldest oneid survives, a $merge
 * record follows the event) unless the merge would break a rule of
 * pipelines/identity.json: a per-type limit (one phone, one unionid …) or the
 * component size guard. Then the lower-priority identifier is not linked,
 * the event goes to the person its highest-priority identifier names, and
 * the refusal is recorded. Every event that changed the graph is kept in an
 * append-only log, so a component can be rebuilt without a blocked
 * identifier (block, split) and the whole graph after a rules change
 * (rebuild). State: the idmerge.* DBs, see schemas/lmdb.md.
 */
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stddef.h>
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
#include "endpoint.h"
#include "filter.h"
#include "hash.h"
#include "json.h"
#include "norm.h"
#include "outcome.h"
#include "store.h"

#define MAX_TYPES 32
#define MAX_EV_IDS 64
#define UNKNOWN_TYPE MAX_TYPES /* counts slot for types the rules do not know */
#define PERSON_SHARED 1 /* flag byte of a people record */

enum {
	OPT_PIPELINES = 300,
	OPT_RULES,
	OPT_GROUP,
	OPT_BATCH,
	OPT_NOSYNC,
	OPT_DOT,
	OPT_REASON,
	OPT_COMMIT_MS,
	OPT_RESUME,
	OPT_ID_JOURNAL,
};

static const struct cli_opt opts[] = {
	{"rules", OPT_RULES, 1, "FILE", "identity rules (default PIPELINES/identity.json)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-idmerge)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 262144)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000)"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits"},
	{"id-journal", OPT_ID_JOURNAL, 1, "N", "journal new identifiers once the graph holds N (default 2097152)"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end"},
	{"resume", OPT_RESUME, 0, NULL, "files: skip the lines of each input already committed by an earlier run"},
	{"dot", OPT_DOT, 0, NULL, "explain: print a Graphviz graph instead of JSON"},
	{"reason", OPT_REASON, 1, "TEXT", "block: why the identifier is blocked"},
	{0, 0, 0, 0, 0},
};

struct idtype {
	char *name;
	size_t len;
	unsigned limit;
};

struct rules {
	struct idtype t[MAX_TYPES];
	unsigned nt;
	char **blocked; /* "type:value", exact */
	size_t nblocked;
	char **patterns; /* "type:glob" */
	size_t npatterns;
	unsigned max_component;
	int unknown_reject;
	int shared_on_conflict;
};

/* A person as the cache holds it. keys: "type:value\n" each. Its size is
 * idm.psize: counts has a slot per type of the rules and one for the types
 * they do not know (CSLOT), no more, for a rebuild holds every person. */
struct person {
	uint32_t id;
	uint32_t merged_into;
	int shared; /* holds one identifier seen with people who must stay apart */
	unsigned nkeys;
	uint32_t head, tail; /* rebuild: the identifiers instead, a list of
			      * memid indexes (+1) linked through memid.next */
	int dirty;
	struct buf keys;
	struct person *next; /* hash chain */
	unsigned counts[];
};

#define CSLOT(g, t) ((t) < (g)->r.nt ? (t) : (g)->r.nt)

/* One identifier of the event being resolved. */
struct evid {
	unsigned type; /* index into rules, UNKNOWN_TYPE if unknown */
	char *key;     /* "type:value", points into idm.keys */
	size_t klen;
	uint32_t owner;
	int state; /* 0 linked, 1 new, 2 refused, 3 blocked */
	uint64_t h; /* rebuild: mid_hash of the key, 0 until computed */
};

/* A slot of the identifier map: 96 bits of a hash of the key (h never 0)
 * and its owner, in one cache line. */
struct icent {
	uint64_t h;
	uint32_t h2, owner;
};

/* Bytes on huge pages (a rebuild's keys, read at random: on 4 KiB pages
 * most reads would miss the TLB). */
struct hbytes {
	char *p;
	size_t len, cap;
};

static void hbytes_room(struct hbytes *b, size_t n)
{
	char *p;
	size_t cap = b->cap ? b->cap : (size_t)1 << 21;

	if (n <= b->cap)
		return;
	while (cap < n)
		cap *= 2;
	p = xmalloc_huge(cap);
	if (b->len)
		memcpy(p, b->p, b->len);
	xfree_huge(b->p, b->cap);
	b->p = p;
	b->cap = cap;
}

static void hbytes_add(struct hbytes *b, const void *v, size_t n)
{
	hbytes_room(b, b->len + n);
	memcpy(b->p + b->len, v, n);
	b->len += n;
}

static void hbytes_free(struct hbytes *b)
{
	xfree_huge(b->p, b->cap);
	b->p = NULL;
	b->len = b->cap = 0;
}

/* An identifier of a rebuild. */
struct memid {
	uint64_t h;
	uint64_t off; /* into idm.midkeys */
	uint32_t len, owner;
	uint32_t next; /* index+1 of the owner's next identifier, 0 at the end */
	uint32_t type;
};

struct idm {
	struct cli cli;
	const char *pipelines, *rules_path, *group;
	long batch, commit_ms;
	int nosync, exit_at_end, dot, resume;
	const char *reason;
	char *region; /* phone region for lookup and block values */
	struct rules r;
	char **opblocked; /* idmerge.blocked, in memory */
	size_t nopblocked;

	struct store *st;
	MDB_dbi ids, people, logdb, refusals, blocked, state, idj;
	/* the identifier journal (idj_*): on while a stream holds the graph
	 * whole; its records since the last fold are in mid/midkeys (the
	 * owners as they are now), as a rebuild's identifiers are */
	int idj_on, idj_loaded;
	long idj_from; /* --id-journal */
	uint64_t idj_seq; /* the next record's key */
	unsigned long long idj_folds;
	struct skey *idj_order; /* a fold's */
	struct buf jrec;
	uint32_t next_oneid;
	uint64_t next_seq;
	uint64_t cur_seq; /* the log record being made or replayed */
	int interrupted;  /* a rebuild did not finish: the graph is partial */
	int fresh; /* rebuild: ignore the committed graph */
	uint32_t reuse_oneid; /* split: the first new person takes this oneid */
	uint32_t *created; /* split: persons created */
	size_t ncreated;

	struct person **ph; /* person cache: hash by id */
	size_t nph, nperson;
	struct person **dirty; /* changed since the last commit */
	size_t ndirty, capdirty;
	/* rebuild: the whole identifier → owner map in memory, and every
	 * person in slabs of PSLAB people indexed by oneid */
	struct memid *mid;
	size_t nmid, capmid;
	uint64_t *midslots; /* high 32 bits of the hash, index+1 into mid */
	size_t nmidslots;
	struct hbytes midkeys;
	char **pslab; /* PSLAB people each, of person_size bytes */
	size_t npslab;
	/* a stream's people (the cache ph), in slots used in order and
	 * taken again from the first after each flush; a slot keeps its
	 * identifiers' buffer for the next person */
	char **pslot;
	size_t npslot, pslot_used, pslot_max;
	/* identifier → owner cache, direct-mapped by a 64-bit hash of the key;
	 * every write of idmerge.ids goes through it, so it is never stale */
	struct icent *ic;
	size_t ic_size, ic_n;
	int ic_all;    /* the map holds every identifier: a miss is an absent key */
	int ic_want;   /* streaming: make it whole after the next commit */
	int ic_scan;   /* streaming: it may */
	size_t ic_graph; /* identifiers in the graph when the map was made */
	unsigned long long ic_reads; /* identifiers looked up in LMDB */

	struct filter f; /* the loop: input, output, rejects, commits */
	int replay; /* resolving log records: no output */

	struct json_doc doc;
	struct buf line, keys, tmp, rec, mergebuf, kname;
	struct evid ev[MAX_EV_IDS];
	unsigned nev;
	unsigned long long merges, refused, created_n, logged, blocked_n, system, shared_n;
	struct tally refusal_rules; /* refusals by the rule that refused */
};

/* ---- rules ---- */

static int load_rules(struct idm *g)
{
	static const char *const keys[] = {"description", "types", "blocked", "blocked_patterns",
					   "max_component", "unknown_types", "shared_on_conflict", NULL};
	static const char *const tkeys[] = {"name", "limit", "description", NULL};
	struct conf c;
	char path[4096];
	unsigned types, k, j;
	long long v;
	char *s = NULL;
	int rc;

	if (g->rules_path)
		snprintf(path, sizeof path, "%s", g->rules_path);
	else
		snprintf(path, sizeof path, "%s/identity.json", g->pipelines);
	if (conf_load(&c, path) || conf_keys(&c, 0, keys))
		goto bad;
	types = json_get(&c.doc, 0, "types", 5);
	if (!types || c.doc.t[types].type != JSON_ARRAY || !c.doc.t[types].size) {
		conf_fail(&c, 0, "types", "must be a non-empty array of {name, limit}");
		goto bad;
	}
	if (c.doc.t[types].size > MAX_TYPES) {
		conf_fail(&c, 0, "types", "at most %d identifier types", MAX_TYPES);
		goto bad;
	}
	for (k = 0, j = types + 1; k < c.doc.t[types].size; k++, j = c.doc.t[j].next) {
		struct idtype *t = &g->r.t[g->r.nt];
		unsigned q;
		if (c.doc.t[j].type != JSON_OBJECT) {
			conf_fail(&c, j, NULL, "must be an object {name, limit}");
			goto bad;
		}
		if (conf_keys(&c, j, tkeys))
			goto bad;
		if (conf_str(&c, j, "name", &t->name) <= 0) {
			conf_fail(&c, j, "name", "is required");
			goto bad;
		}
		t->len = strlen(t->name);
		g->r.nt++;
		for (q = 0; q < t->len; q++)
			if (!((t->name[q] >= 'a' && t->name[q] <= 'z') ||
			      (t->name[q] >= '0' && t->name[q] <= '9') || t->name[q] == '_'))
				break;
		if (!t->len || t->len > 32 || q != t->len || !(t->name[0] >= 'a' && t->name[0] <= 'z')) {
			conf_fail(&c, j, "name", "'%s': 1-32 of a-z 0-9 _ starting with a letter", t->name);
			goto bad;
		}
		for (q = 0; q + 1 < g->r.nt; q++)
			if (!strcmp(g->r.t[q].name, t->name)) {
				conf_fail(&c, j, "name", "'%s' is listed twice", t->name);
				goto bad;
			}
		if ((rc = conf_int(&c, j, "limit", &v)) < 0)
			goto bad;
		if (rc == 0 || v < 1 || v > 100000) {
			conf_fail(&c, j, "limit", "must be a number of identifiers per person, 1-100000");
			goto bad;
		}
		t->limit = (unsigned)v;
	}
	for (k = 0; k < 2; k++) {
		const char *name = k ? "blocked_patterns" : "blocked";
		unsigned arr = json_get(&c.doc, 0, name, strlen(name));
		char ***list = k ? &g->r.patterns : &g->r.blocked;
		size_t *n = k ? &g->r.npatterns : &g->r.nblocked;
		if (!arr)
			continue;
		if (c.doc.t[arr].type != JSON_ARRAY) {
			conf_fail(&c, 0, name, "must be an array of \"type:value\" strings");
			goto bad;
		}
		*list = xcalloc(c.doc.t[arr].size + 1, sizeof **list);
		for (j = arr + 1, v = 0; v < c.doc.t[arr].size; v++, j = c.doc.t[j].next) {
			struct buf b = BUF_INIT;
			if (c.doc.t[j].type != JSON_STRING) {
				conf_fail(&c, j, NULL, "must be a \"type:value\" string");
				goto bad;
			}
			json_str_get(&c.doc, j, &b);
			if (!b.p || !strchr(b.p, ':') || b.p[0] == ':') {
				conf_fail(&c, j, NULL, "'%s' is not \"type:value\"", b.p ? b.p : "");
				buf_release(&b);
				goto bad;
			}
			(*list)[(*n)++] = b.p;
		}
	}
	g->r.max_component = 200;
	if ((rc = conf_int(&c, 0, "max_component", &v)) < 0)
		goto bad;
	if (rc > 0) {
		if (v < 2 || v > 1000000) {
			conf_fail(&c, 0, "max_component", "must be between 2 and 1000000");
			goto bad;
		}
		g->r.max_component = (unsigned)v;
	}
	g->r.shared_on_conflict = 1;
	{
		unsigned b = json_get(&c.doc, 0, "shared_on_conflict", 18);
		if (b) {
			if (c.doc.t[b].type != JSON_TRUE && c.doc.t[b].type != JSON_FALSE) {
				conf_fail(&c, 0, "shared_on_conflict", "must be true or false");
				goto bad;
			}
			g->r.shared_on_conflict = c.doc.t[b].type == JSON_TRUE;
		}
	}
	g->r.unknown_reject = 1;
	if ((rc = conf_str(&c, 0, "unknown_types", &s)) < 0)
		goto bad;
	if (rc > 0) {
		if (!strcmp(s, "ignore"))
			g->r.unknown_reject = 0;
		else if (strcmp(s, "reject")) {
			conf_fail(&c, 0, "unknown_types", "'%s' is not reject or ignore", s);
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

static unsigned type_index(const struct idm *g, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < g->r.nt; i++)
		if (g->r.t[i].len == n && !memcmp(g->r.t[i].name, name, n))
			return i;
	return UNKNOWN_TYPE;
}

/* Is "type:value" blocked by the rules or by an operator? The operator's
 * blocks (idmerge.blocked) are few and read once at start into opblocked. */
static int key_blocked(struct idm *g, const char *key, size_t klen)
{
	size_t i;

	for (i = 0; i < g->r.nblocked; i++)
		if (strlen(g->r.blocked[i]) == klen && !memcmp(g->r.blocked[i], key, klen))
			return 1;
	for (i = 0; i < g->nopblocked; i++)
		if (strlen(g->opblocked[i]) == klen && !memcmp(g->opblocked[i], key, klen))
			return 1;
	if (g->r.npatterns && klen < NORM_MAX_ID + 40) {
		const char *colon = memchr(key, ':', klen);
		size_t tl = colon ? (size_t)(colon - key) + 1 : 0;
		char tmp[NORM_MAX_ID + 40];
		int copied = 0;
		for (i = 0; i < g->r.npatterns; i++) {
			/* a pattern names its type literally: compare that first */
			if (strncmp(g->r.patterns[i], key, tl))
				continue;
			if (!copied) {
				memcpy(tmp, key, klen);
				tmp[klen] = 0;
				copied = 1;
			}
			if (!fnmatch(g->r.patterns[i], tmp, 0))
				return 1;
		}
	}
	return 0;
}

static void opblock_add(struct idm *g, const char *key, size_t klen)
{
	g->opblocked = xrealloc(g->opblocked, (g->nopblocked + 1) * sizeof *g->opblocked);
	g->opblocked[g->nopblocked++] = xstrndup(key, klen);
}

static int load_opblocked(struct idm *g)
{
	MDB_txn *txn = store_read_txn(g->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (!txn || mdb_cursor_open(txn, g->blocked, &cur))
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		opblock_add(g, k.mv_data, k.mv_size);
	mdb_cursor_close(cur);
	store_read_end(g->st);
	return 0;
}

/* ---- state ---- */

static void put_u32(unsigned char *p, uint32_t v)
{
	store_be32(p, v);
}

/*
 * The identifiers in memory, by 96 bits of a hash of the key (two keys of a
 * graph of 20M share them with a chance of about 1 in 10^14). Either a
 * cache, direct-mapped, that misses go past to LMDB; or, for a stream
 * that has read a quarter as many identifiers from LMDB as the graph holds,
 * the whole graph read once in key order, so a miss is a new identifier
 * and LMDB is not searched for it. At least 2^20 slots, at most 2^25
 * (512 MiB), at most two thirds full when whole; a graph too big for that
 * stays cached. Every write of idmerge.ids goes through it, so it is never
 * stale.
 */
#define IC_MIN (1u << 20)
#define IC_MAX (1u << 25)

/* The in-memory map of a rebuild: find the entry for key, or where it goes.
 * A slot holds the high half of the hash beside the index, so a probe that
 * passes another key reads no entry. */
static uint64_t *mid_slot(struct idm *g, const char *key, size_t klen, uint64_t h)
{
	size_t i, mask = g->nmidslots - 1;
	uint64_t tag = h & ~(uint64_t)0xffffffff;

	for (i = (size_t)h & mask;; i = (i + 1) & mask) {
		uint64_t sl = g->midslots[i];
		const struct memid *m;
		if (!sl)
			return &g->midslots[i];
		if ((sl & ~(uint64_t)0xffffffff) != tag)
			continue;
		m = &g->mid[(uint32_t)sl - 1];
		if (m->len == klen && !memcmp(g->midkeys.p + m->off, key, klen))
			return &g->midslots[i];
	}
}

/* Room for n entries, in pages of their own. */
static void mid_room(struct idm *g, size_t n)
{
	struct memid *m;

	if (n <= g->capmid)
		return;
	m = xmalloc_huge(n * sizeof *m);
	if (g->nmid)
		memcpy(m, g->mid, g->nmid * sizeof *m);
	xfree_huge(g->mid, g->capmid * sizeof *m);
	g->mid = m;
	g->capmid = n;
}

/* Size the map for n identifiers, at most three quarters full. */
static void mid_reserve(struct idm *g, size_t n)
{
	size_t i, want = 1 << 16;

	while (want / 4 * 3 < n)
		want *= 2;
	if (want <= g->nmidslots)
		return;
	xfree_huge(g->midslots, g->nmidslots * sizeof *g->midslots);
	g->midslots = xmalloc_huge(want * sizeof *g->midslots);
	g->nmidslots = want;
	for (i = 0; i < g->nmid; i++) {
		size_t j, mask = want - 1;
		for (j = (size_t)g->mid[i].h & mask; g->midslots[j]; j = (j + 1) & mask)
			;
		g->midslots[j] = (g->mid[i].h & ~(uint64_t)0xffffffff) | ((uint64_t)i + 1);
	}
}

static uint64_t mid_hash(const char *key, size_t klen)
{
	return hash64(key, klen, 0x1d);
}

/* The hash of an event's identifier, computed once. */
static uint64_t ev_hash(struct evid *e)
{
	if (!e->h)
		e->h = mid_hash(e->key, e->klen);
	return e->h;
}

/* The entry of key (index+1), or 0; h is its mid_hash. */
static uint32_t mid_find(struct idm *g, const char *key, size_t klen, uint64_t h)
{
	if (!g->nmidslots)
		return 0;
	return (uint32_t)*mid_slot(g, key, klen, h);
}

static uint32_t mid_get(struct idm *g, const char *key, size_t klen, uint64_t h)
{
	uint32_t i = mid_find(g, key, klen, h);

	return i ? g->mid[i - 1].owner : 0;
}

/* Give key (of mid_hash h) its owner, entering it if new; returns its
 * index. */
static uint32_t mid_set(struct idm *g, const char *key, size_t klen, uint64_t h, uint32_t owner,
			unsigned type)
{
	uint64_t *slot;
	struct memid *m;

	if ((g->nmid + 1) * 4 > g->nmidslots * 3)
		mid_reserve(g, g->nmid + 1);
	slot = mid_slot(g, key, klen, h);
	if (*slot) {
		g->mid[(uint32_t)*slot - 1].owner = owner;
		return (uint32_t)*slot - 1;
	}
	if (g->nmid == g->capmid)
		mid_room(g, g->capmid ? g->capmid * 2 : 1 << 16);
	m = &g->mid[g->nmid];
	m->h = h;
	m->off = g->midkeys.len;
	m->len = (uint32_t)klen;
	m->owner = owner;
	m->next = 0;
	m->type = type;
	hbytes_add(&g->midkeys, key, klen);
	*slot = (h & ~(uint64_t)0xffffffff) | ((uint64_t)g->nmid + 1);
	return (uint32_t)g->nmid++;
}

static void ic_hash(const char *key, size_t klen, uint64_t *h, uint32_t *h2)
{
	uint64_t o[2];

	hash128(key, klen, 0x1d, o);
	*h = o[0] | 1; /* never 0: 0 marks an empty slot */
	*h2 = (uint32_t)o[1];
}

/* The whole map: the slot of (h, h2), or the empty one where it goes. */
static struct icent *ic_probe(struct idm *g, uint64_t h, uint32_t h2)
{
	size_t i, mask = g->ic_size - 1;

	for (i = (size_t)(h >> 11) & mask;; i = (i + 1) & mask) {
		struct icent *e = &g->ic[i];
		if (!e->h || (e->h == h && e->h2 == h2))
			return e;
	}
}

static void ic_put(struct idm *g, uint64_t h, uint32_t h2, uint32_t owner);

static void ic_resize(struct idm *g, size_t size, int all)
{
	struct icent *old = g->ic;
	size_t n = g->ic_size, i;

	g->ic = xmalloc_huge(size * sizeof *g->ic); /* zeroed; huge pages: fewer TLB misses */
	g->ic_size = size;
	g->ic_all = all;
	g->ic_n = 0;
	for (i = 0; i < n; i++)
		if (old[i].h)
			ic_put(g, old[i].h, old[i].h2, old[i].owner);
	xfree_huge(old, n * sizeof *old);
}

static void ic_put(struct idm *g, uint64_t h, uint32_t h2, uint32_t owner)
{
	struct icent *e;

	if (!g->ic_all) {
		e = &g->ic[(size_t)(h >> 11) & (g->ic_size - 1)];
	} else {
		e = ic_probe(g, h, h2);
		if (!e->h && (g->ic_n + 1) * 3 > g->ic_size * 2) {
			/* two thirds full: twice the size, or a cache at the most */
			/* (whole while the identifier journal holds any: they
			 * are not in idmerge.ids yet) */
			ic_resize(g, g->ic_size < IC_MAX || g->nmid ? g->ic_size * 2 : g->ic_size,
				  g->ic_size < IC_MAX || g->nmid);
			ic_put(g, h, h2, owner);
			return;
		}
		g->ic_n += !e->h;
	}
	e->h = h;
	e->h2 = h2;
	e->owner = owner;
}

static size_t ic_entries(struct idm *g)
{
	MDB_txn *txn = store_read_txn(g->st);
	MDB_stat st;

	return txn && !mdb_stat(txn, g->ids, &st) ? st.ms_entries : 0;
}

/* Read the whole graph into the map; with nothing queued, so the committed
 * graph is the graph. On failure the map stays a cache. */
static void ic_whole(struct idm *g)
{
	size_t n = ic_entries(g), size = IC_MIN;
	MDB_txn *txn = store_read_txn(g->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	g->ic_want = 0;
	while (size < IC_MAX && size * 2 < n * 3)
		size *= 2;
	if (n * 3 > size * 2 || !txn || mdb_cursor_open(txn, g->ids, &cur))
		return;
	xfree_huge(g->ic, g->ic_size * sizeof *g->ic);
	g->ic = xmalloc_huge(size * sizeof *g->ic);
	g->ic_size = size;
	g->ic_all = 1;
	g->ic_n = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc && g->ic_all;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint64_t h;
		uint32_t h2;
		ic_hash(k.mv_data, k.mv_size, &h, &h2);
		ic_put(g, h, h2, v.mv_size == 4 ? store_get_be32(v.mv_data) : 0);
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND || !g->ic_all) { /* back to an empty cache */
		memset(g->ic, 0, g->ic_size * sizeof *g->ic);
		g->ic_all = 0;
		g->ic_n = 0;
	}
}

static void ic_init(struct idm *g)
{
	g->ic_graph = ic_entries(g);
	g->ic_size = IC_MIN;
	while (g->ic_size < IC_MAX && g->ic_size < 2 * g->ic_graph)
		g->ic_size *= 2;
	g->ic = xmalloc_huge(g->ic_size * sizeof *g->ic);
	/* an empty graph is whole from the start */
	g->ic_all = !g->ic_graph && !store_pending(g->st);
	g->ic_n = 0;
}

static void ic_set(struct idm *g, const char *key, size_t klen, uint32_t oneid)
{
	uint64_t h;
	uint32_t h2;

	if (!g->ic)
		ic_init(g);
	ic_hash(key, klen, &h, &h2);
	ic_put(g, h, h2, oneid);
}

/*
 * The order of a rebuild's identifiers for writing: LMDB's (bytes, then the
 * shorter first). A radix sort on eight bytes at a time, from the front:
 * each pass sorts by the next eight bytes (zero-padded; no key holds a zero
 * byte, so padding sorts the shorter first) and goes on into the runs that
 * are still equal. Keys are read once per pass, not once per comparison.
 */
struct skey {
	uint64_t k; /* eight bytes of the key from the depth, big-endian */
	uint64_t i; /* index into mid */
};

static int skey_less(const struct idm *g, const struct skey *a, const struct skey *b,
		     size_t depth)
{
	const struct memid *x = &g->mid[a->i], *y = &g->mid[b->i];
	size_t n = (x->len < y->len ? x->len : y->len);
	int c = n > depth ? memcmp(g->midkeys.p + x->off + depth, g->midkeys.p + y->off + depth,
				   n - depth)
			  : 0;

	return c ? c < 0 : x->len < y->len;
}

static void skey_sort(const struct idm *g, struct skey *a, struct skey *tmp, size_t n,
		      size_t depth)
{
	size_t (*cnt)[256], i, j;
	struct skey *src = a, *dst = tmp;
	unsigned b;

	if (n < 32) {
		for (i = 1; i < n; i++) {
			struct skey x = a[i];
			for (j = i; j && skey_less(g, &x, &a[j - 1], depth); j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	cnt = xcalloc(8, sizeof *cnt);
	for (i = 0; i < n; i++) {
		const struct memid *m = &g->mid[a[i].i];
		const unsigned char *k = (const unsigned char *)g->midkeys.p + m->off;
		uint64_t v = 0;
		if (i + 16 < n) {
			__builtin_prefetch(&g->mid[a[i + 16].i]);
			__builtin_prefetch(g->midkeys.p + g->mid[a[i + 8].i].off + depth);
		}
		for (j = 0; j < 8; j++)
			v = v << 8 | (depth + j < m->len ? k[depth + j] : 0);
		a[i].k = v;
		for (b = 0; b < 8; b++)
			cnt[b][v >> (8 * b) & 0xff]++;
	}
	for (b = 0; b < 8; b++) {
		size_t sum = 0, k, c;
		struct skey *t;
		if (cnt[b][src[0].k >> (8 * b) & 0xff] == n)
			continue; /* one byte value: nothing to move */
		for (k = 0; k < 256; k++) {
			c = cnt[b][k];
			cnt[b][k] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[b][src[i].k >> (8 * b) & 0xff]++] = src[i];
		t = src, src = dst, dst = t;
	}
	free(cnt);
	if (src != a)
		memcpy(a, src, n * sizeof *a);
	/* equal eight bytes: the keys go on past them (equal keys do not occur) */
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && a[j].k == a[i].k; j++)
			;
		if (j - i > 1)
			skey_sort(g, a + i, tmp, j - i, depth + 8);
	}
}

/*
 * The identifier journal (idmerge.idjournal). While a stream holds the
 * graph whole in memory, nothing reads idmerge.ids, and inserting each new
 * identifier there, among millions, at random, would rewrite a good part of
 * it at every commit. So each identifier given an owner is appended to the
 * journal instead (key: a sequence number; value: the owner, 4 bytes
 * big-endian, then the identifier), and kept in memory with its latest
 * owner. It starts once the graph holds --id-journal identifiers (IDJ_FROM;
 * records in it also keep it on). Once it holds IDJ_MIN identifiers and half as many as
 * the graph (so a growing graph folds a few times per tenfold), and at the
 * end of a run, they go into idmerge.ids in key
 * order and the journal is emptied, in a transaction of their own right
 * after a commit. A writer that finds
 * records there (a run was killed) folds them first; lookup reads them.
 */
#define IDJ_MIN 65536
#define IDJ_FROM 2097152 /* a smaller graph's random inserts cost less */

static void idj_add(struct idm *g, const char *key, size_t klen, uint32_t oneid)
{
	unsigned char k[8];

	mid_set(g, key, klen, mid_hash(key, klen), oneid, 0);
	store_be64(k, g->idj_seq++);
	buf_reset(&g->jrec);
	put_u32(k + 0, oneid); /* (k is set again below) */
	buf_add(&g->jrec, (const char *)k, 4);
	buf_add(&g->jrec, key, klen);
	store_be64(k, g->idj_seq - 1);
	store_put(g->st, g->idj, k, 8, g->jrec.p, g->jrec.len);
}

/* Read the journal's records into memory (the latest owner of each). */
static int idj_load(struct idm *g)
{
	MDB_txn *txn = store_read_txn(g->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	g->idj_loaded = 1;
	if (!txn || mdb_cursor_open(txn, g->idj, &cur))
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !rc; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (v.mv_size < 5 || k.mv_size != 8)
			continue;
		mid_set(g, (const char *)v.mv_data + 4, v.mv_size - 4,
			mid_hash((const char *)v.mv_data + 4, v.mv_size - 4),
			store_get_be32(v.mv_data), 0);
		g->idj_seq = store_get_be64(k.mv_data) + 1;
	}
	mdb_cursor_close(cur);
	store_read_end(g->st);
	return rc == MDB_NOTFOUND ? 0 : -1;
}

/* Identifiers a step of the fold puts before it commits and lets another
 * tool's commit in (store_bulk_step): the write lock is never held long.
 * Spread over a big graph, nearly every put dirties a leaf page of its
 * own: 262,144 held the lock 2.6 s over 3.5M people. */
#define IDJ_STEP 16384

static int idj_fold_fill(void *ctx, MDB_txn *txn)
{
	struct idm *g = ctx;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char val[4];
	size_t i;
	int rc;

	if ((rc = mdb_cursor_open(txn, g->ids, &cur)))
		return rc;
	for (i = 0; i < g->nmid && !rc; i++) {
		const struct memid *e = &g->mid[g->idj_order[i].i];
		if (i + 16 < g->nmid) {
			__builtin_prefetch(&g->mid[g->idj_order[i + 16].i]);
			__builtin_prefetch(g->midkeys.p + g->mid[g->idj_order[i + 8].i].off);
		}
		put_u32(val, e->owner);
		k.mv_data = g->midkeys.p + e->off;
		k.mv_size = e->len;
		v.mv_data = val;
		v.mv_size = 4;
		rc = mdb_cursor_put(cur, &k, &v, 0);
		/* a step committed before a stop leaves the journal whole: the
		 * next writer folds it again, putting the same values */
		if (!rc && (i + 1) % IDJ_STEP == 0 && i + 1 < g->nmid) {
			mdb_cursor_close(cur);
			if ((rc = store_bulk_step(g->st, &txn)))
				return rc;
			if ((rc = mdb_cursor_open(txn, g->ids, &cur)))
				return rc;
		}
	}
	mdb_cursor_close(cur);
	return rc ? rc : mdb_drop(txn, g->idj, 0);
}

/* Put the journal's identifiers into idmerge.ids in key order and empty
 * the journal, in a transaction of their own, with nothing queued (right
 * after a commit): 0 or an exit code. */
static int idj_fold(struct idm *g)
{
	struct skey *tmp;
	size_t i, n = g->nmid;
	int rc;

	if (!n)
		return 0;
	g->idj_order = xmalloc_huge(n * sizeof *g->idj_order);
	tmp = xmalloc_huge(n * sizeof *tmp);
	for (i = 0; i < n; i++)
		g->idj_order[i].i = i;
	skey_sort(g, g->idj_order, tmp, n, 0);
	xfree_huge(tmp, n * sizeof *tmp);
	rc = store_write(g->st, idj_fold_fill, g);
	xfree_huge(g->idj_order, n * sizeof *g->idj_order);
	g->idj_order = NULL;
	if (rc)
		return rc;
	memset(g->midslots, 0, g->nmidslots * sizeof *g->midslots);
	g->nmid = 0;
	g->midkeys.len = 0;
	g->idj_folds++;
	return 0;
}

static uint32_t owner_of(struct idm *g, const char *key, size_t klen)
{
	MDB_val v;
	uint64_t h;
	uint32_t h2, o;
	struct icent *e;
	int r;

	if (g->fresh) /* rebuild: only what the replay has made so far counts */
		return mid_get(g, key, klen, mid_hash(key, klen));
	if (!g->ic)
		ic_init(g);
	if (g->ic_want && !store_pending(g->st))
		ic_whole(g);
	ic_hash(key, klen, &h, &h2);
	if (g->ic_all) {
		e = ic_probe(g, h, h2);
		return e->h ? e->owner : 0;
	}
	e = &g->ic[(size_t)(h >> 11) & (g->ic_size - 1)];
	if (e->h == h && e->h2 == h2)
		return e->owner;
	if (!g->idj_loaded && idj_load(g)) {
		g->f.fatal = EXIT_IO;
		return 0;
	}
	if (g->nmid) { /* in the journal, not yet in idmerge.ids */
		uint32_t i = mid_find(g, key, klen, mid_hash(key, klen));
		if (i)
			return g->mid[i - 1].owner;
	}
	r = store_get(g->st, g->ids, key, klen, &v);
	if (r < 0) {
		g->f.fatal = EXIT_IO;
		return 0;
	}
	o = r && v.mv_size == 4 ? store_get_be32(v.mv_data) : 0;
	e->h = h;
	e->h2 = h2;
	e->owner = o;
	/* a stream that reads many: reading the graph whole costs less */
	if (g->ic_scan && ++g->ic_reads * 4 >= g->ic_graph && g->ic_graph * 3 <= (size_t)IC_MAX * 2)
		g->ic_want = 1;
	return o;
}

static void set_owner(struct idm *g, const char *key, size_t klen, uint32_t oneid)
{
	unsigned char v[4];

	if (g->idj_on && g->ic_all && (g->nmid || g->ic_n >= (size_t)g->idj_from)) {
		idj_add(g, key, klen, oneid);
		ic_set(g, key, klen, oneid);
		return;
	}
	put_u32(v, oneid);
	store_put(g->st, g->ids, key, klen, v, 4);
	ic_set(g, key, klen, oneid);
}

static void count_keys(struct idm *g, struct person *p)
{
	const char *k = p->keys.p, *end = k ? k + p->keys.len : NULL; /* a new person has none */
	uint32_t i;

	memset(p->counts, 0, (g->r.nt + 1) * sizeof *p->counts);
	p->nkeys = 0;
	for (i = p->head; i; i = g->mid[i - 1].next) {
		p->counts[CSLOT(g, g->mid[i - 1].type)]++;
		p->nkeys++;
	}
	while (k && k < end) {
		const char *nl = memchr(k, '\n', (size_t)(end - k));
		const char *colon = memchr(k, ':', (size_t)(nl - k));
		unsigned t = colon ? type_index(g, k, (size_t)(colon - k)) : UNKNOWN_TYPE;
		p->counts[CSLOT(g, t)]++;
		p->nkeys++;
		k = nl + 1;
	}
}

#define PSLAB_BITS 16

/* A person's bytes: its counts for the rules' types, 8-byte aligned. */
static size_t person_size(const struct idm *g)
{
	return (offsetof(struct person, counts) + (g->r.nt + 1) * sizeof(unsigned) + 7) & ~(size_t)7;
}

/* A rebuild's person: in a slab, made empty on first use. */
static struct person *slab_person(struct idm *g, uint32_t id)
{
	size_t c = id >> PSLAB_BITS;
	struct person *p;

	if (c >= g->npslab) {
		size_t n = g->npslab ? g->npslab : 64;
		while (n <= c)
			n *= 2;
		g->pslab = xrealloc(g->pslab, n * sizeof *g->pslab);
		memset(g->pslab + g->npslab, 0, (n - g->npslab) * sizeof *g->pslab);
		g->npslab = n;
	}
	if (!g->pslab[c]) /* zeroed pages, huge where the kernel can */
		g->pslab[c] = xmalloc_huge(((size_t)1 << PSLAB_BITS) * person_size(g));
	p = (struct person *)(g->pslab[c] + (id & ((1u << PSLAB_BITS) - 1)) * person_size(g));
	p->id = id;
	return p;
}

#define PSLOT_BITS 12

/* A stream's person: the next slot, emptied (its buffer kept). Slots are
 * not freed one by one: malloc and free of each person and its buffer
 * cost a stream of millions of new people 6% of its time, most of it in
 * glibc consolidating the freed chunks. */
static struct person *slot_person(struct idm *g)
{
	size_t i = g->pslot_used++, b = i >> PSLOT_BITS, n;
	struct person *p;
	struct buf keys;

	if (b >= g->npslot) {
		n = g->npslot ? 2 * g->npslot : 64;
		g->pslot = xrealloc(g->pslot, n * sizeof *g->pslot);
		memset(g->pslot + g->npslot, 0, (n - g->npslot) * sizeof *g->pslot);
		g->npslot = n;
	}
	if (!g->pslot[b])
		g->pslot[b] = xcalloc((size_t)1 << PSLOT_BITS, person_size(g));
	p = (struct person *)(g->pslot[b] + (i & (((size_t)1 << PSLOT_BITS) - 1)) * person_size(g));
	keys = p->keys;
	memset(p, 0, person_size(g));
	p->keys = keys;
	buf_reset(&p->keys);
	if (g->pslot_used > g->pslot_max)
		g->pslot_max = g->pslot_used;
	return p;
}

/* The stream's people all gone from the cache (their slots taken again). */
static void slots_clear(struct idm *g)
{
	if (g->ph)
		memset(g->ph, 0, g->nph * sizeof *g->ph);
	g->nperson = 0;
	g->pslot_used = 0;
}

static void slots_free(struct idm *g)
{
	size_t i;

	for (i = 0; i < g->pslot_max; i++)
		buf_release(&((struct person *)(g->pslot[i >> PSLOT_BITS] +
			      (i & (((size_t)1 << PSLOT_BITS) - 1)) * person_size(g)))->keys);
	for (i = 0; i < g->npslot; i++)
		free(g->pslot[i]);
	free(g->pslot);
	g->pslot = NULL;
	g->npslot = g->pslot_used = g->pslot_max = 0;
}

/* A rebuild's person that exists already, read only. */
static const struct person *slab_at(const struct idm *g, uint32_t id)
{
	return (const struct person *)(g->pslab[id >> PSLAB_BITS] +
				       (id & ((1u << PSLAB_BITS) - 1)) * person_size(g));
}

/* The person of oneid id, read from the store unless `fresh_id` says the
 * oneid was never given before (nothing to read). */
static struct person *person_load(struct idm *g, uint32_t id, int fresh_id)
{
	size_t h;
	struct person *p;
	MDB_val v;
	unsigned char key[4];

	if (g->fresh)
		return slab_person(g, id);
	if (!g->nph) {
		g->nph = 1 << 12;
		g->ph = xcalloc(g->nph, sizeof *g->ph);
	}
	h = (id * 2654435761u) & (g->nph - 1);
	for (p = g->ph[h]; p; p = p->next)
		if (p->id == id)
			return p;
	p = slot_person(g);
	p->id = id;
	put_u32(key, id);
	if (!g->fresh && !fresh_id && store_get(g->st, g->people, key, 4, &v) == 1 && v.mv_size >= 5) {
		p->shared = ((unsigned char *)v.mv_data)[0] & PERSON_SHARED;
		p->merged_into = store_get_be32((unsigned char *)v.mv_data + 1);
		buf_add(&p->keys, (const char *)v.mv_data + 5, v.mv_size - 5);
	}
	count_keys(g, p);
	p->next = g->ph[h];
	g->ph[h] = p;
	g->nperson++;
	if (g->nperson > g->nph * 2) {
		/* grow the table */
		size_t n = g->nph * 4, i;
		struct person **t = xcalloc(n, sizeof *t);
		for (i = 0; i < g->nph; i++) {
			struct person *q = g->ph[i], *nx;
			for (; q; q = nx) {
				size_t hh = (q->id * 2654435761u) & (n - 1);
				nx = q->next;
				q->next = t[hh];
				t[hh] = q;
			}
		}
		free(g->ph);
		g->ph = t;
		g->nph = n;
	}
	return p;
}

static struct person *person_get(struct idm *g, uint32_t id)
{
	return person_load(g, id, 0);
}

#define PERSON_CACHE 262144

/* Mark a cached person changed, to be written at the next commit. */
static void touch(struct idm *g, struct person *p)
{
	if (p->dirty || g->fresh) /* a rebuild writes every person */
		return;
	p->dirty = 1;
	if (g->ndirty == g->capdirty) {
		g->capdirty = g->capdirty ? g->capdirty * 2 : 4096;
		g->dirty = xrealloc(g->dirty, g->capdirty * sizeof *g->dirty);
	}
	g->dirty[g->ndirty++] = p;
}

static void person_put(struct idm *g, struct person *p)
{
	unsigned char key[4];

	buf_reset(&g->tmp);
	buf_grow(&g->tmp, 5 + p->keys.len);
	g->tmp.p[0] = (char)(p->shared ? PERSON_SHARED : 0);
	put_u32((unsigned char *)g->tmp.p + 1, p->merged_into);
	memcpy(g->tmp.p + 5, p->keys.p ? p->keys.p : "", p->keys.len);
	put_u32(key, p->id);
	store_put(g->st, g->people, key, 4, g->tmp.p, 5 + p->keys.len);
}

/* Write the changed persons into the batch; empty the cache when it is
 * full. */
static void persons_flush(struct idm *g)
{
	size_t i;

	for (i = 0; i < g->ndirty; i++) {
		person_put(g, g->dirty[i]);
		g->dirty[i]->dirty = 0;
	}
	g->ndirty = 0;
	if (g->nperson < PERSON_CACHE)
		return;
	slots_clear(g);
}

static void save_counters(struct idm *g)
{
	unsigned char v[8];

	put_u32(v, g->next_oneid);
	store_put(g->st, g->state, "next_oneid", 10, v, 4);
	store_be64(v, g->next_seq);
	store_put(g->st, g->state, "next_seq", 8, v, 8);
}

static int load_counters(struct idm *g)
{
	MDB_val v;

	g->next_oneid = 1;
	g->next_seq = 1;
	if (store_get(g->st, g->state, "next_oneid", 10, &v) == 1 && v.mv_size == 4)
		g->next_oneid = store_get_be32(v.mv_data);
	if (store_get(g->st, g->state, "next_seq", 8, &v) == 1 && v.mv_size == 8)
		g->next_seq = store_get_be64(v.mv_data);
	g->interrupted = store_get(g->st, g->state, "rebuilding", 10, &v) == 1;
	store_read_end(g->st);
	return 0;
}

/* ---- resolving one event ---- */

static int evid_cmp(const void *a, const void *b)
{
	const struct evid *x = a, *y = b;

	if (x->type != y->type)
		return x->type < y->type ? -1 : 1;
	return strcmp(x->key, y->key);
}

static uint32_t new_person(struct idm *g)
{
	uint32_t id;
	struct person *p;
	int reused = 0;

	if (g->reuse_oneid) {
		id = g->reuse_oneid;
		g->reuse_oneid = 0;
		reused = 1;
	} else {
		if (g->next_oneid == UINT32_MAX) {
			cli_err("oneid space exhausted");
			g->f.fatal = EXIT_BUG;
			return 0;
		}
		id = g->next_oneid++;
	}
	p = person_load(g, id, !reused);
	p->merged_into = 0;
	p->shared = 0;
	p->head = p->tail = 0;
	buf_reset(&p->keys);
	count_keys(g, p);
	touch(g, p);
	g->created_n++;
	if (g->created) {
		g->created = xrealloc(g->created, (g->ncreated + 1) * sizeof *g->created);
		g->created[g->ncreated++] = id;
	}
	return id;
}

static void attach(struct idm *g, struct person *p, struct evid *e)
{
	const char *key = e->key;
	size_t klen = e->klen;
	unsigned type = e->type;

	if (g->fresh) {
		uint32_t i = mid_set(g, key, klen, ev_hash(e), p->id, type) + 1;
		g->mid[i - 1].next = 0;
		if (p->tail)
			g->mid[p->tail - 1].next = i;
		else
			p->head = i;
		p->tail = i;
		p->counts[CSLOT(g, type)]++;
		p->nkeys++;
		return;
	}
	buf_add(&p->keys, key, klen);
	buf_addc(&p->keys, '\n');
	p->counts[CSLOT(g, type)]++;
	p->nkeys++;
	touch(g, p);
	set_owner(g, key, klen, p->id);
}

/* Record a refusal against both people involved. */
/*
 * Record a refusal against both people involved, once: the same identifier
 * refused by the same rule against the same people is already on record
 * (a replayed event changes nothing). Returns 1 if it is new.
 */
static int refuse(struct idm *g, uint32_t a, uint32_t b, const struct evid *e,
		  const char *rule, const char *eid, size_t eidn, const char *ts)
{
	unsigned char key[12];
	uint32_t who[2] = {a, b};
	uint64_t h;
	MDB_val v;
	int i, r;

	buf_reset(&g->tmp);
	buf_add(&g->tmp, e->key, e->klen);
	buf_printf(&g->tmp, "\n%s\n%u\n%u", rule, a, b);
	h = hash64(g->tmp.p, g->tmp.len, 7);
	put_u32(key, a ? a : b);
	store_be64(key + 4, h);
	r = g->fresh ? store_get_pending(g->st, g->refusals, key, 12, &v)
		     : store_get(g->st, g->refusals, key, 12, &v);
	if (r == 1)
		return 0;
	g->refused++;
	tally_add(&g->refusal_rules, rule, strlen(rule));
	buf_reset(&g->tmp);
	buf_adds(&g->tmp, "{\"event_id\":");
	json_write_str(&g->tmp, eid, eidn);
	buf_printf(&g->tmp, ",\"ts\":\"%s\",\"identifier\":", ts);
	json_write_str(&g->tmp, e->key, e->klen);
	buf_adds(&g->tmp, ",\"rule\":");
	json_write_str(&g->tmp, rule, strlen(rule));
	buf_printf(&g->tmp, ",\"people\":[%u,%u],\"seq\":%llu}", a, b,
		   (unsigned long long)g->cur_seq);
	for (i = 0; i < 2; i++) {
		if (!who[i] || (i == 1 && b == a))
			continue;
		put_u32(key, who[i]);
		store_put(g->st, g->refusals, key, 12, g->tmp.p, g->tmp.len);
	}
	return 1;
}

/* Move identifier e out of person `from` into a shared holder of its own. */
static void share(struct idm *g, uint32_t from, struct evid *e)
{
	struct person *p = person_get(g, from), *h;
	const char *k, *end;
	struct buf keep = BUF_INIT;
	uint32_t holder;

	if (p->shared || p->nkeys < 2)
		return; /* nothing to take it from */
	if (g->fresh) {
		uint32_t i, prev = 0, *link = &p->head;
		for (; (i = *link); prev = i, link = &g->mid[i - 1].next) {
			struct memid *m = &g->mid[i - 1];
			if (m->len == e->klen && !memcmp(g->midkeys.p + m->off, e->key, e->klen)) {
				*link = m->next;
				if (p->tail == i)
					p->tail = prev;
				m->next = 0;
				break;
			}
		}
		goto held;
	}
	end = p->keys.p + p->keys.len;
	for (k = p->keys.p; k < end;) {
		const char *nl = memchr(k, '\n', (size_t)(end - k));
		if ((size_t)(nl - k) != e->klen || memcmp(k, e->key, e->klen))
			buf_add(&keep, k, (size_t)(nl - k) + 1);
		k = nl + 1;
	}
	buf_reset(&p->keys);
	buf_add(&p->keys, keep.p ? keep.p : "", keep.len);
	buf_release(&keep);
held:
	count_keys(g, p);
	touch(g, p);
	holder = new_person(g);
	if (!holder)
		return;
	h = person_get(g, holder);
	h->shared = 1;
	attach(g, h, e);
	g->shared_n++;
}

/*
 * Resolve the identifiers in g->ev[0..nev) of one event. Returns the oneid
 * the event belongs to (0 when none of its identifiers can be linked);
 * merged oneids and the linking type go to g->mergebuf as a $merge tail.
 */
static uint32_t resolve(struct idm *g, const char *eid, size_t eidn, const char *ts,
			const char **by)
{
	uint32_t group[MAX_EV_IDS];
	unsigned ng = 0, i, j, changed = 0, nnew = 0, nlater = 0;
	struct {
		unsigned e;
		uint32_t other;
		char rule[64];
	} later[MAX_EV_IDS];
	unsigned counts[MAX_TYPES + 1];
	unsigned size = 0;
	uint32_t survivor = 0, fallback = 0;
	struct person *s;
	char rule[96];

	*by = NULL;
	if (!g->replay)
		g->cur_seq = g->next_seq;
	qsort(g->ev, g->nev, sizeof *g->ev, evid_cmp);
	if (g->fresh && g->nmidslots) /* a rebuild: start every identifier's probe */
		for (i = 0; i < g->nev; i++)
			__builtin_prefetch(&g->midslots[ev_hash(&g->ev[i]) & (g->nmidslots - 1)]);
	for (i = 0; i < g->nev; i++) {
		struct evid *e = &g->ev[i];
		if (key_blocked(g, e->key, e->klen)) {
			e->state = 3;
			g->blocked_n++;
			continue;
		}
		e->owner = g->fresh ? mid_get(g, e->key, e->klen, ev_hash(e)) : owner_of(g, e->key, e->klen);
		e->state = e->owner ? 0 : 1;
	}
	/*
	 * Every identifier known, all of one person: the event is that
	 * person's and changes nothing, whether the person is shared or not
	 * (a shared holder is the fallback when nothing better is named), so
	 * the person need not be read.
	 */
	for (i = 0; i < g->nev && g->ev[i].state == 0 && g->ev[i].owner == g->ev[0].owner; i++)
		;
	if (i == g->nev) {
		buf_reset(&g->mergebuf);
		return g->ev[0].owner;
	}
	memset(counts, 0, sizeof counts);
	/*
	 * In priority order, each identifier brings its person (known) or
	 * itself (new) into the event's group unless a rule says no: the
	 * highest-priority identifier always gets in, so the event goes to the
	 * person it names, or to a new person when it is new.
	 */
	for (i = 0; i < g->nev; i++) {
		struct evid *e = &g->ev[i];
		struct person *q;
		int in = 0;
		unsigned t, trial_size;

		if (e->state == 1) {
			rule[0] = 0;
			if (e->type < g->r.nt && counts[e->type] + 1 > g->r.t[e->type].limit)
				snprintf(rule, sizeof rule, "limit %s=%u", g->r.t[e->type].name,
					 g->r.t[e->type].limit);
			else if (size + 1 > g->r.max_component)
				snprintf(rule, sizeof rule, "max_component=%u", g->r.max_component);
			if (rule[0]) {
				later[nlater].e = i;
				later[nlater].other = 0;
				snprintf(later[nlater++].rule, sizeof later[0].rule, "%s", rule);
				e->state = 2;
				continue;
			}
			e->state = 4; /* joins, once the person is known */
			counts[e->type]++;
			size++;
			nnew++;
			continue;
		}
		if (e->state != 0)
			continue;
		for (j = 0; j < ng; j++)
			in |= group[j] == e->owner;
		if (in)
			continue;
		q = person_get(g, e->owner);
		if (q->shared) {
			/* a shared identifier names its own holder only when the
			 * event has nothing better */
			if (!fallback)
				fallback = e->owner;
			e->state = 5;
			continue;
		}
		trial_size = size + q->nkeys;
		rule[0] = 0;
		if (ng || nnew) {
			for (t = 0; t < g->r.nt && !rule[0]; t++)
				if (counts[t] + q->counts[t] > g->r.t[t].limit)
					snprintf(rule, sizeof rule, "limit %s=%u", g->r.t[t].name,
						 g->r.t[t].limit);
			if (!rule[0] && trial_size > g->r.max_component)
				snprintf(rule, sizeof rule, "max_component=%u", g->r.max_component);
		}
		if (rule[0]) {
			later[nlater].e = i;
			later[nlater].other = e->owner;
			snprintf(later[nlater++].rule, sizeof later[0].rule, "%s", rule);
			e->state = 2;
			continue;
		}
		if (ng && !*by)
			*by = g->r.t[e->type < g->r.nt ? e->type : 0].name;
		group[ng++] = e->owner;
		for (t = 0; t < g->r.nt; t++)
			counts[t] += q->counts[t];
		counts[UNKNOWN_TYPE] += q->counts[g->r.nt];
		size = trial_size;
	}
	for (j = 0; j < ng; j++)
		if (!survivor || group[j] < survivor)
			survivor = group[j];
	if (!survivor && !nnew)
		survivor = fallback;
	/* the new identifiers that got in join the survivor (or a new person) */
	if (nnew && !survivor) {
		survivor = new_person(g);
		if (!survivor)
			return 0;
	}
	for (i = 0; i < g->nev && nnew; i++) {
		struct evid *e = &g->ev[i];
		if (e->state != 4)
			continue;
		s = person_get(g, survivor);
		attach(g, s, e);
		changed = 1;
	}
	/* refusals, recorded against the person the event went to; an
	 * identifier that brought in a person who must stay apart is shared
	 * (a family tablet, a QA phone): it leaves that person for a holder of
	 * its own and links no one from now on */
	for (i = 0; i < nlater; i++) {
		struct evid *e = &g->ev[later[i].e];
		int isnew = refuse(g, survivor, later[i].other, e, later[i].rule, eid, eidn, ts);
		changed |= isnew;
		if (isnew && later[i].other && g->r.shared_on_conflict && survivor &&
		    later[i].other != survivor)
			share(g, later[i].other, e);
	}
	/* merge the others into the survivor */
	buf_reset(&g->mergebuf);
	if (ng > 1) {
		uint32_t sorted[MAX_EV_IDS];
		unsigned n = 0;
		s = person_get(g, survivor);
		for (j = 0; j < ng; j++)
			if (group[j] != survivor)
				sorted[n++] = group[j];
		for (i = 0; i < n; i++)
			for (j = i + 1; j < n; j++)
				if (sorted[j] < sorted[i]) {
					uint32_t x = sorted[i];
					sorted[i] = sorted[j];
					sorted[j] = x;
				}
		for (j = 0; j < n; j++) {
			struct person *q = person_get(g, sorted[j]);
			const char *k = q->keys.p, *end = q->keys.p + q->keys.len;
			uint32_t m;
			while (k && k < end) {
				const char *nl = memchr(k, '\n', (size_t)(end - k));
				set_owner(g, k, (size_t)(nl - k), survivor);
				k = nl + 1;
			}
			if (q->keys.len)
				buf_add(&s->keys, q->keys.p, q->keys.len);
			buf_reset(&q->keys);
			/* a rebuild's lists: relabel, then append */
			for (m = q->head; m; m = g->mid[m - 1].next)
				g->mid[m - 1].owner = survivor;
			if (q->head) {
				if (s->tail)
					g->mid[s->tail - 1].next = q->head;
				else
					s->head = q->head;
				s->tail = q->tail;
				q->head = q->tail = 0;
			}
			q->merged_into = survivor;
			touch(g, q);
			count_keys(g, q);
			if (j)
				buf_addc(&g->mergebuf, ',');
			buf_u64(&g->mergebuf, sorted[j]);
			g->merges++;
		}
		count_keys(g, s);
		touch(g, s);
		changed = 1;
	}
	if (changed && !g->replay) {
		/* the log: what this event did, for explain, split and rebuild */
		unsigned char key[8];
		buf_reset(&g->rec);
		buf_adds(&g->rec, "{\"event_id\":");
		json_write_str(&g->rec, eid, eidn);
		buf_adds(&g->rec, ",\"ts\":\"");
		buf_adds(&g->rec, ts);
		buf_adds(&g->rec, "\",\"ids\":[");
		for (i = 0; i < g->nev; i++) {
			if (i)
				buf_addc(&g->rec, ',');
			json_write_str(&g->rec, g->ev[i].key, g->ev[i].klen);
		}
		buf_adds(&g->rec, "],\"oneid\":");
		buf_u64(&g->rec, survivor);
		if (g->mergebuf.len) {
			buf_adds(&g->rec, ",\"merged\":[");
			buf_add(&g->rec, g->mergebuf.p, g->mergebuf.len);
			buf_addc(&g->rec, ']');
		}
		buf_addc(&g->rec, '}');
		store_be64(key, g->next_seq++);
		/* a new sequence number: never queued, never read before the commit */
		store_put_unique(g->st, g->logdb, key, 8, g->rec.p, g->rec.len);
		g->logged++;
	}
	return survivor;
}

/* ---- the filter ---- */

/* Collect the event's identifiers into g->ev. Returns 0, or -1 after a
 * reject. */
static int collect_ids(struct idm *g, const struct json_doc *d, uint32_t ids)
{
	uint32_t i, k;

	g->nev = 0;
	buf_reset(&g->keys);
	buf_grow(&g->keys, 64 * (NORM_MAX_ID + 40));
	for (k = 0, i = ids + 1; k < d->t[ids].size; k++, i = d->t[i + 1].next) {
		const struct json_tok *kt = &d->t[i], *vt = &d->t[i + 1];
		struct evid *e;
		size_t start;
		unsigned type;

		if (kt->esc || !kt->len || kt->len > 32) {
			OUTCOME_REJECT(&g->f.oc, "invalid identifier type");
			return -1;
		}
		type = type_index(g, d->s + kt->off, kt->len);
		if (type == UNKNOWN_TYPE && g->r.unknown_reject) {
			outcome_reject_about(&g->f.oc, "unknown identifier type", d->s + kt->off, kt->len,
					     "unknown identifier type '%.*s' (declare it in the identity rules)",
					     (int)kt->len, d->s + kt->off);
			return -1;
		}
		if (type == UNKNOWN_TYPE)
			continue;
		if (vt->type != JSON_STRING) {
			outcome_reject_about(&g->f.oc, "identifier is not a string", d->s + kt->off, kt->len,
					     "identifier '%.*s' is not a string", (int)kt->len,
					     d->s + kt->off);
			return -1;
		}
		if (g->nev >= MAX_EV_IDS) {
			OUTCOME_REJECT(&g->f.oc, "more than 64 identifiers");
			return -1;
		}
		start = g->keys.len;
		buf_add(&g->keys, d->s + kt->off, kt->len);
		buf_addc(&g->keys, ':');
		json_str_get(d, i + 1, &g->keys);
		if (g->keys.len - start - kt->len - 1 > NORM_MAX_ID || g->keys.len - start == kt->len + 1) {
			outcome_reject_about(&g->f.oc, "identifier is empty or too long", d->s + kt->off, kt->len,
					     "identifier '%.*s' is empty or longer than %d bytes",
					     (int)kt->len, d->s + kt->off, NORM_MAX_ID);
			return -1;
		}
		{
			size_t z;
			for (z = start; z < g->keys.len; z++)
				if ((unsigned char)g->keys.p[z] < 0x20) {
					outcome_reject_about(&g->f.oc, "identifier has control characters",
							     d->s + kt->off, kt->len,
							     "identifier '%.*s' has control characters",
							     (int)kt->len, d->s + kt->off);
					return -1;
				}
		}
		buf_addc(&g->keys, 0);
		e = &g->ev[g->nev++];
		e->type = type;
		e->klen = g->keys.len - start - 1;
		e->key = (char *)(uintptr_t)start; /* fixed up below: keys may move */
		e->state = 0;
		e->owner = 0;
		e->h = 0;
	}
	for (k = 0; k < g->nev; k++)
		g->ev[k].key = g->keys.p + (uintptr_t)g->ev[k].key;
	return 0;
}

static void emit_merge(struct idm *g, const struct json_doc *d, uint32_t t_id, const char *ts,
		       const char *okey, size_t klen, const char *by);

static void process(struct idm *g, const char *s, size_t n)
{
	struct json_doc *d = &g->doc;
	const char *why, *by;
	size_t at;
	uint32_t i, k, t_type = 0, t_ids = 0, t_id = 0, t_ts = 0, t_oneid = 0;
	uint32_t oneid;
	char ts[CLOCK_ISO_LEN + 1] = "";
	char okey[16];
	int klen;

	g->f.oc.in++;
	if (json_parse(d, s, n, 64, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	/* the fields by what their names read as ("t\u0079pe" is type;
	 * json_parse let no name in twice) */
	for (k = 0, i = 1; k < d->t[0].size; k++, i = d->t[i + 1].next) {
		const struct json_tok *kt = &d->t[i];
		const char *kp = d->s + kt->off;
		size_t kl = kt->len;
		if (kt->esc) {
			buf_reset(&g->kname);
			json_str_get(d, i, &g->kname);
			kp = g->kname.p;
			kl = g->kname.len;
		}
		if (kl == 4 && !memcmp(kp, "type", 4))
			t_type = i + 1;
		else if (kl == 3 && !memcmp(kp, "ids", 3))
			t_ids = i + 1;
		else if (kl == 8 && !memcmp(kp, "event_id", 8))
			t_id = i + 1;
		else if (kl == 2 && !memcmp(kp, "ts", 2))
			t_ts = i + 1;
		else if (kl == 5 && !memcmp(kp, "oneid", 5))
			t_oneid = i + 1;
	}
	if (t_type && d->t[t_type].type == JSON_STRING && d->t[t_type].esc) {
		OUTCOME_REJECT(&g->f.oc, "invalid type: written with escapes");
		return;
	}
	if (t_type && d->t[t_type].type == JSON_STRING && d->t[t_type].len &&
	    d->s[d->t[t_type].off] == '$') {
		g->system++;
		g->f.oc.passed++;
		filter_emit(&g->f, NULL, 0, s, n);
		return;
	}
	if (!t_ids || d->t[t_ids].type != JSON_OBJECT || !d->t[t_ids].size) {
		OUTCOME_REJECT(&g->f.oc, "no identifiers: want canonical events (ingest's output)");
		return;
	}
	if (!t_id || d->t[t_id].type != JSON_STRING || !t_ts || d->t[t_ts].type != JSON_STRING ||
	    d->t[t_ts].len != CLOCK_ISO_LEN || d->t[t_ts].esc) {
		OUTCOME_REJECT(&g->f.oc, "missing event_id or canonical ts: want canonical events (ingest's output)");
		return;
	}
	if (d->t[t_id].esc) { /* its bytes are the event's identity */
		OUTCOME_REJECT(&g->f.oc, "invalid event_id: written with escapes");
		return;
	}
	memcpy(ts, d->s + d->t[t_ts].off, CLOCK_ISO_LEN);
	if (collect_ids(g, d, t_ids))
		return;
	if (!g->nev) {
		OUTCOME_REJECT(&g->f.oc, "no identifier of a known type");
		return;
	}
	oneid = resolve(g, d->s + d->t[t_id].off, d->t[t_id].len, ts, &by);
	if (g->f.fatal)
		return;
	if (!oneid) {
		OUTCOME_REJECT(&g->f.oc, "no linkable identifier (all blocked)");
		return;
	}
	/* the event with its oneid: appended, or replacing an old one */
	buf_reset(&g->line);
	if (!t_oneid) {
		const char *end = s + n;
		while (end > s && end[-1] != '}')
			end--;
		buf_add(&g->line, s, (size_t)(end - 1 - s));
	} else {
		buf_addc(&g->line, '{');
		for (k = 0, i = 1; k < d->t[0].size; k++, i = d->t[i + 1].next) {
			if (i + 1 == t_oneid)
				continue;
			if (g->line.len > 1)
				buf_addc(&g->line, ',');
			json_write_tok(d, i, &g->line);
			buf_addc(&g->line, ':');
			json_write_tok(d, i + 1, &g->line);
		}
	}
	klen = u32_dec(okey, oneid);
	buf_adds(&g->line, ",\"oneid\":");
	buf_add(&g->line, okey, (size_t)klen);
	buf_addc(&g->line, '}');
	g->f.oc.passed++;
	if (filter_emit(&g->f, okey, (size_t)klen, g->line.p, g->line.len))
		return;
	if (g->mergebuf.len)
		emit_merge(g, d, t_id, ts, okey, (size_t)klen, by);
}

/* One $merge record into g->line: the survivor's (leaving NULL) or the
 * copy for a merged oneid's stream. */
static void merge_line(struct idm *g, const struct json_doc *d, uint32_t t_id, const char *ts,
		       const char *okey, size_t klen, const char *by, int across, const char *leaving,
		       size_t ln)
{
	buf_reset(&g->line);
	buf_adds(&g->line, "{\"type\":\"$merge\",\"event_id\":\"merge:");
	buf_add(&g->line, d->s + d->t[t_id].off, d->t[t_id].len);
	if (leaving) {
		buf_addc(&g->line, ':');
		buf_add(&g->line, leaving, ln);
	}
	buf_adds(&g->line, "\",\"ts\":\"");
	buf_adds(&g->line, ts);
	buf_adds(&g->line, "\",\"oneid\":");
	buf_add(&g->line, okey, klen);
	buf_adds(&g->line, ",\"merged\":[");
	buf_add(&g->line, g->mergebuf.p, g->mergebuf.len);
	buf_adds(&g->line, "],\"by\":\"");
	buf_adds(&g->line, by ? by : "");
	buf_addc(&g->line, '"');
	if (across)
		buf_adds(&g->line, ",\"across\":true");
	if (leaving) {
		buf_adds(&g->line, ",\"leaving\":");
		buf_add(&g->line, leaving, ln);
	}
	buf_addc(&g->line, '}');
}

/*
 * The $merge after the event that linked the people in g->mergebuf
 * (their oneids, comma-separated) to the survivor okey. Into a file or a
 * pipe (one stream) it is one record. Into Kafka, where each person's
 * records are on the partition of their oneid, a copy keyed by each
 * merged oneid comes first ("leaving": that oneid; event_id
 * "merge:<id>:<oneid>"), so it lands in their stream after their last
 * record, and then the survivor's, marked "across": the stages fold the
 * merged people's state across partitions ($fold, README "Scaling out").
 */
static void emit_merge(struct idm *g, const struct json_doc *d, uint32_t t_id, const char *ts,
		       const char *okey, size_t klen, const char *by)
{
	int across = g->f.out.k != NULL;

	if (across) {
		const char *p = g->mergebuf.p, *end = p + g->mergebuf.len;
		while (p < end) {
			const char *c = memchr(p, ',', (size_t)(end - p));
			size_t ln = c ? (size_t)(c - p) : (size_t)(end - p);
			merge_line(g, d, t_id, ts, okey, klen, by, 1, p, ln);
			if (filter_emit(&g->f, p, ln, g->line.p, g->line.len))
				return;
			p += ln + 1;
		}
	}
	merge_line(g, d, t_id, ts, okey, klen, by, across, NULL, 0);
	filter_emit(&g->f, okey, klen, g->line.p, g->line.len);
}

static int before_commit(void *ctx)
{
	struct idm *g = ctx;

	persons_flush(g);
	save_counters(g);
	return 0;
}

/* Right after a commit, nothing queued: fold the identifier journal when
 * it is due. */
static void after_commit(void *ctx)
{
	struct idm *g = ctx;
	int rc;

	if (g->idj_on && g->nmid >= IDJ_MIN && g->nmid * 2 >= g->ic_n && (rc = idj_fold(g)))
		g->f.fatal = rc;
}

/*
 * Memory latency dominates a record over a big graph: the probes of its
 * identifiers miss the CPU caches. So before a record is handled, the
 * identifiers of the one after it (when the input buffer holds it) are
 * read straight from its text and their slots fetched, to arrive while this
 * one is parsed and resolved. A hint only: text it does not expect (an
 * escape, spaces) just fetches less.
 */
static void fetch_ahead(struct idm *g)
{
	const char *p, *q, *end, *k, *v;
	char key[NORM_MAX_ID + 40];
	size_t n, kl, vl;
	unsigned c;

	if (!g->ic || !filter_peek(&g->f, &p, &n) || !(q = memmem(p, n, "\"ids\":{", 7)))
		return;
	end = p + n;
	for (q += 7, c = 0; c < 8 && q < end && *q == '"'; c++) {
		k = q + 1;
		for (q = k; q < end && *q != '"' && *q != '\\'; q++)
			;
		if (q + 2 >= end || *q != '"' || q[1] != ':' || q[2] != '"')
			return;
		kl = (size_t)(q - k);
		v = q + 3;
		for (q = v; q < end && *q != '"' && *q != '\\'; q++)
			;
		if (q >= end || *q != '"')
			return;
		vl = (size_t)(q - v);
		if (kl + 1 + vl <= sizeof key) {
			uint64_t h;
			uint32_t h2;
			memcpy(key, k, kl);
			key[kl] = ':';
			memcpy(key + kl + 1, v, vl);
			ic_hash(key, kl + 1 + vl, &h, &h2);
			__builtin_prefetch(&g->ic[(size_t)(h >> 11) & (g->ic_size - 1)]);
			if (g->nmid)
				__builtin_prefetch(&g->midslots[mid_hash(key, kl + 1 + vl) &
								(g->nmidslots - 1)]);
		}
		if (++q >= end || *q != ',')
			return;
		q++;
	}
}

static void on_record(void *ctx, const char *p, size_t n)
{
	struct idm *g = ctx;

	if (!g->replay && !g->fresh)
		fetch_ahead(g);
	process(g, p, n);
}

static int commit(struct idm *g)
{
	return filter_commit(&g->f);
}

static int run_filter(struct idm *g)
{
	int rc, i;

	if ((rc = filter_open(&g->f)))
		return rc;
	g->ic_scan = 1;
	g->idj_on = 1;
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++)
		rc = filter_run(&g->f, g->cli.in[i]);
	rc = filter_close(&g->f, rc);
	if ((!rc || rc == EXIT_DATA || rc == EXIT_REJECTS) && g->nmid) {
		/* a clean end leaves no identifier journal behind */
		int c2 = idj_fold(g);
		if (c2)
			rc = c2;
	}
	if (g->cli.verbose) {
		outcome_print(&g->f.oc, "skipped");
		fprintf(stderr, "%s: %llu people created, %llu merges, %llu refused links, "
			"%llu identifiers found shared, %llu blocked identifiers seen, "
			"%llu log records, next oneid %u\n",
			cli_prog, g->created_n, g->merges, g->refused, g->shared_n, g->blocked_n,
			g->logged, g->next_oneid);
		tally_print(&g->refusal_rules, "refused by");
		fprintf(stderr, "%s: %llu identifiers looked up in LMDB; %s\n", cli_prog, g->ic_reads,
			g->ic_all ? "the whole graph in memory at the end"
				  : "identifiers cached (the graph was not read whole)");
		fprintf(stderr, "%s: %llu folds of the identifier journal\n", cli_prog, g->idj_folds);
		store_print(g->st);
	}
	return rc;
}

/* ---- operations ---- */

/* The phone region ingest uses by default (pipelines/ingest.json), so a
 * value typed by an operator normalises as ingest normalised the stream. */
static void load_region(struct idm *g)
{
	if (!g->region)
		g->region = conf_default_region(g->pipelines);
}

/* Parse TYPE:VALUE and normalise the value as ingest does. */
static int parse_ident(struct idm *g, const char *arg, struct buf *key)
{
	const char *colon = strchr(arg, ':');
	const char *why;
	char type[40];

	if (!colon || colon == arg || (size_t)(colon - arg) >= sizeof type) {
		cli_err("'%s': want TYPE:VALUE, e.g. phone:13800138000", arg);
		return EXIT_USAGE;
	}
	memcpy(type, arg, (size_t)(colon - arg));
	type[colon - arg] = 0;
	if (type_index(g, type, strlen(type)) == UNKNOWN_TYPE)
		cli_info("identifier type '%s' is not in the identity rules", type);
	buf_reset(key);
	buf_adds(key, type);
	buf_addc(key, ':');
	load_region(g);
	if (norm_id(type, colon + 1, strlen(colon + 1), g->region, key, &why)) {
		cli_err("'%s': %s", arg, why);
		return EXIT_USAGE;
	}
	return 0;
}

/* Append the person's identifiers as {"type":["v",…],…}. */
static void write_ids(struct person *p, struct buf *out)
{
	const char *k, *end = p->keys.p + p->keys.len;
	char **seen = NULL;
	size_t nseen = 0, i;
	int first = 1;

	buf_addc(out, '{');
	/* group by type, types in order of first appearance */
	for (k = p->keys.p; k && k < end;) {
		const char *nl = memchr(k, '\n', (size_t)(end - k));
		const char *colon = memchr(k, ':', (size_t)(nl - k));
		size_t tl = colon ? (size_t)(colon - k) : 0;
		int done = 0;
		const char *q;
		for (i = 0; i < nseen; i++)
			done |= strlen(seen[i]) == tl && !memcmp(seen[i], k, tl);
		if (!done && colon) {
			int f2 = 1;
			seen = xrealloc(seen, (nseen + 1) * sizeof *seen);
			seen[nseen++] = xstrndup(k, tl);
			if (!first)
				buf_addc(out, ',');
			first = 0;
			json_write_str(out, k, tl);
			buf_add(out, ":[", 2);
			for (q = k; q < end;) {
				const char *n2 = memchr(q, '\n', (size_t)(end - q));
				if ((size_t)(n2 - q) > tl && q[tl] == ':' && !memcmp(q, k, tl)) {
					if (!f2)
						buf_addc(out, ',');
					f2 = 0;
					json_write_str(out, q + tl + 1, (size_t)(n2 - q) - tl - 1);
				}
				q = n2 + 1;
			}
			buf_addc(out, ']');
		}
		k = nl + 1;
	}
	buf_addc(out, '}');
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
}

static int op_lookup(struct idm *g, int argc, char **argv)
{
	struct buf key = BUF_INIT, out = BUF_INIT;
	uint32_t id;
	struct person *p;
	int rc = 0, i;

	if (argc < 1) {
		cli_err("lookup wants TYPE:VALUE…");
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		if ((rc = parse_ident(g, argv[i], &key)))
			break;
		id = owner_of(g, key.p, key.len);
		buf_reset(&out);
		if (!id) {
			buf_adds(&out, "{\"identifier\":");
			json_write_str(&out, key.p, key.len);
			buf_adds(&out, ",\"oneid\":null}");
			rc = EXIT_REJECTS;
		} else {
			p = person_get(g, id);
			buf_adds(&out, "{\"identifier\":");
			json_write_str(&out, key.p, key.len);
			buf_printf(&out, ",\"oneid\":%u,%s\"ids\":", id, p->shared ? "\"shared\":true," : "");
			write_ids(p, &out);
			buf_addc(&out, '}');
		}
		puts(out.p);
	}
	buf_release(&key);
	buf_release(&out);
	return rc;
}

/* Does the log record (parsed in d) name one of the person's keys? */
static int rec_touches(const struct json_doc *d, uint32_t ids, const struct person *p,
		       struct buf *tmp)
{
	uint32_t k, i;

	for (k = 0, i = ids + 1; k < d->t[ids].size; k++, i = d->t[i].next) {
		const char *q, *end = p->keys.p + p->keys.len;
		buf_reset(tmp);
		json_str_get(d, i, tmp);
		buf_addc(tmp, '\n');
		for (q = p->keys.p; q && q < end;) {
			const char *nl = memchr(q, '\n', (size_t)(end - q));
			if ((size_t)(nl - q + 1) == tmp->len && !memcmp(q, tmp->p, tmp->len))
				return 1;
			q = nl + 1;
		}
	}
	return 0;
}

static int op_explain(struct idm *g, int argc, char **argv)
{
	struct buf out = BUF_INIT, tmp = BUF_INIT;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	struct person *p;
	uint32_t id, asked;
	char *end;
	int rc, first = 1;
	unsigned char key[4];

	if (argc != 1 || !(asked = (uint32_t)strtoul(argv[0], &end, 10)) || *end) {
		cli_err("explain wants one ONEID (a positive number)");
		return EXIT_USAGE;
	}
	id = asked;
	p = person_get(g, id);
	while (p->merged_into && p->merged_into != id) {
		id = p->merged_into;
		p = person_get(g, id);
	}
	if (!p->nkeys && !p->merged_into) {
		cli_err("no person %u", asked);
		return EXIT_REJECTS;
	}
	if (g->dot) {
		buf_printf(&out, "graph oneid_%u {\n  label=\"oneid %u\";\n  node [shape=box];\n", id, id);
	} else {
		buf_printf(&out, "{\"oneid\":%u", id);
		if (id != asked)
			buf_printf(&out, ",\"asked\":%u,\"note\":\"%u was merged into %u\"", asked, asked, id);
		if (p->shared)
			buf_adds(&out, ",\"shared\":true,\"note\":\"holds an identifier seen with people who must stay apart; it links no one\"");
		buf_adds(&out, ",\"ids\":");
		write_ids(p, &out);
		buf_adds(&out, ",\"log\":[");
	}
	/* every log record that touched one of the identifiers */
	txn = store_read_txn(g->st);
	if (!txn || mdb_cursor_open(txn, g->logdb, &cur))
		return EXIT_IO;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *why;
		size_t at;
		uint32_t ids;
		if (json_parse(&g->doc, v.mv_data, v.mv_size, 8, &why, &at))
			continue;
		ids = json_get(&g->doc, 0, "ids", 3);
		if (!ids || g->doc.t[ids].type != JSON_ARRAY || !rec_touches(&g->doc, ids, p, &tmp))
			continue;
		if (g->dot) {
			uint32_t kk, i, first_id = ids + 1;
			for (kk = 1, i = g->doc.t[first_id].next; kk < g->doc.t[ids].size;
			     kk++, i = g->doc.t[i].next) {
				buf_adds(&out, "  ");
				json_write_tok(&g->doc, first_id, &out);
				buf_adds(&out, " -- ");
				json_write_tok(&g->doc, i, &out);
				buf_adds(&out, " [label=");
				json_write_tok(&g->doc, json_get(&g->doc, 0, "event_id", 8), &out);
				buf_adds(&out, "];\n");
			}
			if (g->doc.t[ids].size == 1) {
				buf_adds(&out, "  ");
				json_write_tok(&g->doc, first_id, &out);
				buf_adds(&out, ";\n");
			}
		} else {
			if (!first)
				buf_addc(&out, ',');
			first = 0;
			buf_printf(&out, "{\"seq\":%llu,", (unsigned long long)store_get_be64(k.mv_data));
			buf_add(&out, (const char *)v.mv_data + 1, v.mv_size - 1);
		}
	}
	mdb_cursor_close(cur);
	if (!g->dot)
		buf_adds(&out, "],\"refused\":[");
	/* refusals recorded against this person */
	first = 1;
	if (mdb_cursor_open(txn, g->refusals, &cur))
		return EXIT_IO;
	put_u32(key, id);
	k.mv_data = key;
	k.mv_size = 4;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	     rc == 0 && k.mv_size == 12 && !memcmp(k.mv_data, key, 4);
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (g->dot) {
			const char *why;
			size_t at;
			uint32_t idt, rl;
			if (json_parse(&g->doc, v.mv_data, v.mv_size, 8, &why, &at))
				continue;
			idt = json_get(&g->doc, 0, "identifier", 10);
			rl = json_get(&g->doc, 0, "rule", 4);
			buf_adds(&out, "  ");
			json_write_tok(&g->doc, idt, &out);
			buf_adds(&out, " [color=red, fontcolor=red, xlabel=");
			json_write_tok(&g->doc, rl, &out);
			buf_adds(&out, "];\n");
		} else {
			if (!first)
				buf_addc(&out, ',');
			first = 0;
			buf_add(&out, v.mv_data, v.mv_size);
		}
	}
	mdb_cursor_close(cur);
	store_read_end(g->st);
	buf_adds(&out, g->dot ? "}\n" : "]}\n");
	fwrite(out.p, 1, out.len, stdout);
	buf_release(&out);
	buf_release(&tmp);
	return 0;
}

/*
 * Rebuild the people whose identifiers are in `scope` (NULL: everyone) from
 * the log, under the current rules and blocks. Used by split, block and
 * rebuild. Writes $split records for changed people to stdout (scope only).
 *
 * The log is read a chunk at a time. A helper thread parses the next chunk
 * (JSON, identifiers, their types and hashes) while this one replays the
 * chunk before it: the replay, a chain of decisions, is the part that must
 * run in order.
 */
#define REPLAY_CHUNK 65536

struct rkey {
	uint32_t off, len; /* into rchunk.kb, NUL-ended */
	unsigned type;
	uint64_t h;
};

struct rrec {
	uint64_t seq;
	uint32_t eid, eidn; /* into rchunk.raw */
	char ts[CLOCK_ISO_LEN + 1];
	uint32_t k0, nk; /* its keys: rchunk.keys[k0 .. k0 + nk) */
};

struct rchunk {
	const struct idm *g;
	const struct person *scope;
	struct buf raw;    /* the records as read */
	size_t *offs;      /* REPLAY_CHUNK + 1 */
	uint64_t *seqs;    /* REPLAY_CHUNK */
	size_t n;
	struct rrec *recs; /* the records to replay, REPLAY_CHUNK */
	size_t nrecs;
	struct rkey *keys;
	size_t nkeys, capkeys;
	struct buf kb, tmp;
	struct json_doc doc;
	pthread_t th;
	int thread; /* th runs parse_chunk */
};

static void parse_chunk(struct rchunk *c)
{
	const struct idm *g = c->g;
	struct json_doc *d = &c->doc;
	size_t r;

	c->nrecs = c->nkeys = 0;
	buf_reset(&c->kb);
	for (r = 0; r < c->n; r++) {
		const char *why, *p = c->raw.p + c->offs[r];
		size_t at;
		uint32_t ids, eid, ts, kk, i;
		struct rrec *rec;

		if (json_parse(d, p, c->offs[r + 1] - c->offs[r], 8, &why, &at) ||
		    !(ids = json_get(d, 0, "ids", 3)) || d->t[ids].type != JSON_ARRAY ||
		    !(eid = json_get(d, 0, "event_id", 8)) || !(ts = json_get(d, 0, "ts", 2)) ||
		    d->t[ts].len != CLOCK_ISO_LEN)
			continue;
		if (c->scope && !rec_touches(d, ids, c->scope, &c->tmp))
			continue;
		rec = &c->recs[c->nrecs++];
		rec->seq = c->seqs[r];
		rec->eid = (uint32_t)(c->offs[r] + d->t[eid].off);
		rec->eidn = d->t[eid].len;
		memcpy(rec->ts, d->s + d->t[ts].off, CLOCK_ISO_LEN);
		rec->ts[CLOCK_ISO_LEN] = 0;
		rec->k0 = (uint32_t)c->nkeys;
		rec->nk = 0;
		for (kk = 0, i = ids + 1; kk < d->t[ids].size && rec->nk < MAX_EV_IDS;
		     kk++, i = d->t[i].next) {
			size_t start = c->kb.len;
			const char *colon;
			unsigned type;
			struct rkey *k;
			json_str_get(d, i, &c->kb);
			colon = memchr(c->kb.p + start, ':', c->kb.len - start);
			type = colon ? type_index(g, c->kb.p + start, (size_t)(colon - (c->kb.p + start)))
				     : UNKNOWN_TYPE;
			if (type == UNKNOWN_TYPE) {
				c->kb.len = start;
				continue;
			}
			if (c->nkeys == c->capkeys) {
				c->capkeys = c->capkeys ? 2 * c->capkeys : 4 * REPLAY_CHUNK;
				c->keys = xrealloc(c->keys, c->capkeys * sizeof *c->keys);
			}
			k = &c->keys[c->nkeys++];
			k->off = (uint32_t)start;
			k->len = (uint32_t)(c->kb.len - start);
			k->type = type;
			k->h = g->fresh ? mid_hash(c->kb.p + start, k->len) : 0;
			buf_addc(&c->kb, 0);
			rec->nk++;
		}
	}
}

static void *parse_run(void *arg)
{
	parse_chunk(arg);
	return NULL;
}

/* Read the records from seq `from` on into c; 0 at the end of the log,
 * -1 on an error. */
static int read_chunk(struct idm *g, struct rchunk *c, uint64_t from)
{
	MDB_txn *snap;
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char key[8];
	int rc;

	/* each chunk in a short read transaction of its own: one held across
	 * the commits of a split would pin every page they free, and the
	 * store would grow with each; replaying never writes the log, so the
	 * chunks are consistent */
	snap = store_snapshot(g->st);
	if (!snap || mdb_cursor_open(snap, g->logdb, &cur)) {
		store_snapshot_end(g->st, snap);
		return -1;
	}
	store_be64(key, from);
	k.mv_data = key;
	k.mv_size = 8;
	buf_reset(&c->raw);
	c->n = 0;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0 && c->n < REPLAY_CHUNK;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		c->offs[c->n] = c->raw.len;
		c->seqs[c->n++] = store_get_be64(k.mv_data);
		buf_add(&c->raw, v.mv_data, v.mv_size);
	}
	c->offs[c->n] = c->raw.len;
	mdb_cursor_close(cur);
	store_snapshot_end(g->st, snap);
	return rc && rc != MDB_NOTFOUND ? -1 : c->n > 0;
}

static void rchunk_start(struct rchunk *c)
{
	c->thread = !cli_thread_start(&c->th, parse_run, c);
	if (!c->thread) /* no thread: parse here */
		parse_chunk(c);
}

static void rchunk_wait(struct rchunk *c)
{
	if (c->thread)
		pthread_join(c->th, NULL);
	c->thread = 0;
}

static void rchunk_free(struct rchunk *c)
{
	rchunk_wait(c);
	buf_release(&c->raw);
	buf_release(&c->kb);
	buf_release(&c->tmp);
	json_doc_release(&c->doc);
	free(c->offs);
	free(c->seqs);
	free(c->recs);
	free(c->keys);
}

/* Replay the parsed records of c. */
static void replay_chunk(struct idm *g, struct rchunk *c)
{
	size_t r, kk;

	for (r = 0; r < c->nrecs && !g->f.fatal; r++) {
		const struct rrec *rec = &c->recs[r];
		const char *by;
		if (g->fresh && g->nmidslots && r + 4 < c->nrecs) {
			/* the probes of a record further on start now */
			const struct rrec *a = &c->recs[r + 4];
			for (kk = 0; kk < a->nk; kk++)
				__builtin_prefetch(&g->midslots[c->keys[a->k0 + kk].h & (g->nmidslots - 1)]);
		}
		g->cur_seq = rec->seq;
		g->nev = 0;
		for (kk = 0; kk < rec->nk; kk++) {
			const struct rkey *k = &c->keys[rec->k0 + kk];
			struct evid *e = &g->ev[g->nev++];
			e->type = k->type;
			e->key = c->kb.p + k->off;
			e->klen = k->len;
			e->h = k->h;
			e->state = 0;
			e->owner = 0;
		}
		if (g->nev)
			resolve(g, c->raw.p + rec->eid, rec->eidn, rec->ts, &by);
	}
}

static int replay_log(struct idm *g, const struct person *scope)
{
	struct rchunk c[2];
	int i, cur = 0, r;

	memset(c, 0, sizeof c);
	for (i = 0; i < 2; i++) {
		c[i].g = g;
		c[i].scope = scope;
		c[i].offs = xmalloc((REPLAY_CHUNK + 1) * sizeof *c[i].offs);
		c[i].seqs = xmalloc(REPLAY_CHUNK * sizeof *c[i].seqs);
		c[i].recs = xmalloc(REPLAY_CHUNK * sizeof *c[i].recs);
	}
	g->replay = 1;
	r = read_chunk(g, &c[0], 0);
	if (r > 0)
		rchunk_start(&c[0]);
	while (r > 0 && !g->f.fatal) {
		struct rchunk *now = &c[cur], *after = &c[!cur];
		rchunk_wait(now);
		/* the next chunk is read and parsed while this one replays */
		r = now->n < REPLAY_CHUNK ? 0 : read_chunk(g, after, now->seqs[now->n - 1] + 1);
		if (r > 0)
			rchunk_start(after);
		replay_chunk(g, now);
		cur = !cur;
	}
	if (r < 0)
		g->f.fatal = EXIT_IO;
	g->replay = 0;
	rchunk_free(&c[0]);
	rchunk_free(&c[1]);
	return g->f.fatal;
}

/* Take the person's identifiers out of the graph (for a rebuild of it). */
static void unlink_person(struct idm *g, struct person *p)
{
	const char *k, *end = p->keys.p + p->keys.len;

	for (k = p->keys.p; k && k < end;) {
		const char *nl = memchr(k, '\n', (size_t)(end - k));
		store_del(g->st, g->ids, k, (size_t)(nl - k));
		ic_set(g, k, (size_t)(nl - k), 0);
		k = nl + 1;
	}
}

static int split_person(struct idm *g, uint32_t id)
{
	struct person *p = person_get(g, id), copy;
	size_t i;
	int rc;

	if (p->merged_into || !p->nkeys) {
		cli_err("no live person %u%s", id, p->merged_into ? " (merged into another)" : "");
		return EXIT_REJECTS;
	}
	/* the component as it is, then out of the graph */
	memset(&copy, 0, sizeof copy);
	buf_add(&copy.keys, p->keys.p, p->keys.len);
	unlink_person(g, p);
	buf_reset(&p->keys);
	count_keys(g, p);
	touch(g, p);
	g->fresh = 0;
	/* replay the log records that touched it; the first person made again
	 * keeps the oneid, the rest get new ones */
	g->reuse_oneid = id;
	g->created = xmalloc(sizeof *g->created);
	g->ncreated = 0;
	rc = replay_log(g, &copy);
	if (!rc) {
		struct buf out = BUF_INIT;
		buf_printf(&out, "{\"type\":\"$split\",\"oneid\":%u,\"into\":{", id);
		for (i = 0; i < g->ncreated; i++) {
			struct person *q = person_get(g, g->created[i]);
			buf_printf(&out, "%s\"%u\":", i ? "," : "", g->created[i]);
			write_ids(q, &out);
		}
		buf_adds(&out, "}}");
		puts(out.p);
		fflush(stdout); /* out before the state that made it commits */
		buf_release(&out);
		if (g->reuse_oneid) {
			/* nothing rebuilt under the old oneid: it is empty now */
			g->reuse_oneid = 0;
		}
	}
	free(g->created);
	g->created = NULL;
	buf_release(&copy.keys);
	return rc;
}

static int op_split(struct idm *g, int argc, char **argv)
{
	char *end;
	uint32_t id;
	int rc;

	if (argc != 1 || !(id = (uint32_t)strtoul(argv[0], &end, 10)) || *end) {
		cli_err("split wants one ONEID");
		return EXIT_USAGE;
	}
	if ((rc = split_person(g, id)))
		return rc;
	return commit(g);
}

static int op_block(struct idm *g, int argc, char **argv)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	uint32_t owner;
	int rc, i;

	if (argc < 1) {
		cli_err("block wants TYPE:VALUE…");
		return EXIT_USAGE;
	}
	for (i = 0; i < argc; i++) {
		if ((rc = parse_ident(g, argv[i], &key)))
			goto out;
		owner = owner_of(g, key.p, key.len);
		buf_reset(&val);
		buf_adds(&val, "{\"reason\":");
		json_write_str(&val, g->reason ? g->reason : "", g->reason ? strlen(g->reason) : 0);
		buf_addc(&val, '}');
		store_put(g->st, g->blocked, key.p, key.len, val.p, val.len);
		opblock_add(g, key.p, key.len);
		if (owner && (rc = split_person(g, owner)))
			goto out;
		if (!owner)
			cli_info("'%s' belongs to nobody yet; it will never be linked", key.p);
		if ((rc = commit(g)))
			goto out;
	}
	rc = 0;
out:
	buf_release(&key);
	buf_release(&val);
	return rc;
}


/* Bulk-write the rebuilt graph: identifiers in key order, people in oneid
 * order, both as appends into the emptied DBs. */
/* The identifiers in key order, sorted by a helper thread while the people
 * are written. */
struct idsort {
	const struct idm *g;
	struct skey *order;
	pthread_t th;
	int thread;
};

static void *idsort_run(void *arg)
{
	struct idsort *o = arg;
	const struct idm *g = o->g;
	size_t i, n = g->nmid ? g->nmid : 1;
	struct skey *tmp;

	o->order = xmalloc_huge(n * sizeof *o->order);
	tmp = xmalloc_huge(n * sizeof *tmp);
	for (i = 0; i < g->nmid; i++)
		o->order[i].i = i;
	skey_sort(g, o->order, tmp, g->nmid, 0);
	xfree_huge(tmp, n * sizeof *tmp);
	return NULL;
}

/*
 * The write of a rebuild, in two parts: a helper thread lays the records
 * out in blocks, in key order (the people, then the identifiers once the
 * sort is done), gathering them from the replay's memory, read at random;
 * this thread appends them to LMDB as they come. Without a helper thread,
 * each block is written as it is made.
 */
#define WBLK_MAX ((size_t)4 << 20) /* bytes of a block, at most … */
#define WBLK_MIN ((size_t)64 << 10) /* … and at least: 4 bytes an identifier */
#define WBLKS 4
/* The graph is written in transactions of about this many bytes of records:
 * LMDB holds a transaction's pages in memory it takes new, and the next
 * transaction reuses those of the last (the rebuild's mark says the graph
 * is partial until the end). Each holds the environment's write lock: at
 * 64 MiB a step held it 1.3 s on a busy two-core machine */
#define WSTEP ((size_t)32 << 20)

struct wblk {
	struct buf b; /* records: u32 key length, u32 value length, key, value */
	int db;       /* 0 people, 1 ids */
};

struct wpipe {
	struct idm *g;
	MDB_txn *txn;
	MDB_cursor *cur;
	int cur_db, rc; /* the cursor's DB (-1 none); the first error */
	struct idsort *o;
	struct wblk blk[WBLKS];
	size_t made, put; /* blocks made and put so far */
	int end, stop;    /* no more blocks; the writer failed */
	size_t bytes;     /* a block's size, from the graph's */
	size_t since;     /* bytes put since the last commit */
	int thread;
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

/* Append the records of w to their DB. */
static int wblk_put(struct wpipe *p, const struct wblk *w)
{
	const char *r = w->b.p, *end = w->b.p + w->b.len;
	int rc = 0;

	if (p->cur_db != w->db) {
		if (p->cur)
			mdb_cursor_close(p->cur);
		p->cur = NULL;
		if ((rc = mdb_cursor_open(p->txn, w->db ? p->g->ids : p->g->people, &p->cur)))
			return rc;
		p->cur_db = w->db;
	}
	while (r < end && !rc) {
		uint32_t kl, vl;
		MDB_val k, v;
		memcpy(&kl, r, 4);
		memcpy(&vl, r + 4, 4);
		k.mv_data = (void *)(r + 8);
		k.mv_size = kl;
		v.mv_data = (void *)(r + 8 + kl);
		v.mv_size = vl;
		rc = mdb_cursor_put(p->cur, &k, &v, MDB_APPEND);
		r += 8 + kl + vl;
	}
	if (!rc && (p->since += w->b.len) >= WSTEP) {
		mdb_cursor_close(p->cur);
		p->cur = NULL;
		p->cur_db = -1;
		p->since = 0;
		rc = store_bulk_step(p->g->st, &p->txn);
	}
	return rc;
}

/* The block to fill next: waits for the writer to free one. NULL when the
 * writer has failed. */
static struct wblk *wblk_take(struct wpipe *p, int db)
{
	struct wblk *w;

	if (p->thread) {
		pthread_mutex_lock(&p->mu);
		while (p->made - p->put == WBLKS && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		pthread_mutex_unlock(&p->mu);
		if (p->stop)
			return NULL;
	} else if (p->rc) {
		return NULL;
	}
	w = &p->blk[p->made % WBLKS];
	buf_reset(&w->b);
	w->db = db;
	return w;
}

/* Hand the block made over to the writer. */
static void wblk_give(struct wpipe *p, struct wblk *w)
{
	if (!p->thread) {
		p->made++;
		p->put++;
		if (!p->rc)
			p->rc = wblk_put(p, w);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->made++;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void wrec(struct buf *b, const void *k, uint32_t kl, const void *v, uint32_t vl)
{
	char *r;

	buf_grow(b, 8 + kl + vl);
	r = b->p + b->len;
	memcpy(r, &kl, 4);
	memcpy(r + 4, &vl, 4);
	memcpy(r + 8, k, kl);
	memcpy(r + 8 + kl, v, vl);
	b->len += 8 + kl + vl;
}

/* The maker: every record, in key order. */
static void *wmake(void *arg)
{
	struct wpipe *p = arg;
	struct idm *g = p->g;
	const struct skey *order;
	struct wblk *w;
	unsigned char val[4], key[4];
	size_t i;
	uint32_t id, m;

	if (!(w = wblk_take(p, 0)))
		goto out;
	for (id = 1; id < g->next_oneid; id++) {
		const struct person *q = slab_at(g, id);
		char *r;
		uint32_t vl = 5;
		if (id + 16 < g->next_oneid) { /* the identifiers of the people ahead */
			const struct person *a = slab_at(g, id + 16), *b = slab_at(g, id + 8);
			if (a->head)
				__builtin_prefetch(&g->mid[a->head - 1]);
			if (b->head)
				__builtin_prefetch(g->midkeys.p + g->mid[b->head - 1].off);
		}
		for (m = q->head; m; m = g->mid[m - 1].next)
			vl += g->mid[m - 1].len + 1;
		if (w->b.len && w->b.len + 12 + vl > p->bytes) {
			wblk_give(p, w);
			if (!(w = wblk_take(p, 0)))
				goto out;
		}
		/* the value: flags, merged_into, "type:value\n" each */
		buf_grow(&w->b, 12 + vl);
		r = w->b.p + w->b.len;
		put_u32(key, id);
		memcpy(r, (const uint32_t[]){4}, 4);
		memcpy(r + 4, &vl, 4);
		memcpy(r + 8, key, 4);
		r += 12;
		*r++ = (char)(q->shared ? PERSON_SHARED : 0);
		put_u32((unsigned char *)r, q->merged_into);
		r += 4;
		for (m = q->head; m; m = g->mid[m - 1].next) {
			memcpy(r, g->midkeys.p + g->mid[m - 1].off, g->mid[m - 1].len);
			r += g->mid[m - 1].len;
			*r++ = '\n';
		}
		w->b.len += 12 + vl;
	}
	wblk_give(p, w);
	if (p->o->thread)
		pthread_join(p->o->th, NULL);
	else /* no thread: sort here */
		idsort_run(p->o);
	p->o->thread = 0;
	order = p->o->order;
	if (!(w = wblk_take(p, 1)))
		goto out;
	for (i = 0; i < g->nmid; i++) {
		const struct memid *e = &g->mid[order[i].i];
		if (i + 16 < g->nmid) {
			__builtin_prefetch(&g->mid[order[i + 16].i]);
			__builtin_prefetch(g->midkeys.p + g->mid[order[i + 8].i].off);
		}
		if (w->b.len && w->b.len + 12 + e->len > p->bytes) {
			wblk_give(p, w);
			if (!(w = wblk_take(p, 1)))
				goto out;
		}
		put_u32(val, e->owner);
		wrec(&w->b, g->midkeys.p + e->off, e->len, val, 4);
	}
	wblk_give(p, w);
out:
	if (p->thread) {
		pthread_mutex_lock(&p->mu);
		p->end = 1;
		pthread_cond_broadcast(&p->cv);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

static int write_graph(void *ctx, MDB_txn *txn)
{
	struct idm *g = ctx;
	struct idsort o = {0};
	struct wpipe p;
	int rc, i;

	if ((rc = mdb_drop(txn, g->ids, 0)) || (rc = mdb_drop(txn, g->people, 0)))
		return rc;
	memset(&p, 0, sizeof p);
	p.g = g;
	p.txn = txn;
	p.cur_db = -1;
	p.o = &o;
	p.bytes = g->nmid * 4;
	p.bytes = p.bytes < WBLK_MIN ? WBLK_MIN : p.bytes > WBLK_MAX ? WBLK_MAX : p.bytes;
	o.g = g;
	o.thread = !cli_thread_start(&o.th, idsort_run, &o);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.cv, NULL);
	p.thread = 1; /* (set first: the maker reads it) */
	if (cli_thread_start(&p.th, wmake, &p))
		p.thread = 0;
	if (!p.thread) {
		wmake(&p);
		rc = p.rc;
	} else {
		for (;;) {
			struct wblk *w;
			pthread_mutex_lock(&p.mu);
			while (p.made == p.put && !p.end)
				pthread_cond_wait(&p.cv, &p.mu);
			if (p.made == p.put) { /* the end, and every block put */
				pthread_mutex_unlock(&p.mu);
				break;
			}
			pthread_mutex_unlock(&p.mu);
			w = &p.blk[p.put % WBLKS];
			rc = rc ? rc : wblk_put(&p, w);
			pthread_mutex_lock(&p.mu);
			p.put++;
			if (rc)
				p.stop = 1;
			pthread_cond_broadcast(&p.cv);
			pthread_mutex_unlock(&p.mu);
		}
		pthread_join(p.th, NULL);
	}
	if (o.thread) /* the maker stopped before it joined the sort */
		pthread_join(o.th, NULL);
	xfree_huge(o.order, (g->nmid ? g->nmid : 1) * sizeof *o.order);
	if (p.cur)
		mdb_cursor_close(p.cur);
	for (i = 0; i < WBLKS; i++)
		buf_release(&p.blk[i].b);
	pthread_cond_destroy(&p.cv);
	pthread_mutex_destroy(&p.mu);
	return rc;
}

static double secs(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static int op_rebuild(struct idm *g)
{
	int rc;
	struct timespec t0, t1, t2, t3;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* the mark says "the graph is partial" to every later run until the
	 * end; the derived DBs are emptied, the log and the blocks stay */
	store_put(g->st, g->state, "rebuilding", 10, "1", 1);
	store_clear(g->st, g->refusals);
	if ((rc = store_commit(g->st)))
		return rc;
	/* replay the log into memory: union of identifiers under the rules,
	 * the same decisions as streaming, then one write in key order */
	g->fresh = 1;
	g->next_oneid = 1;
	{
		/* sized for the graph as it was, so the map need not grow */
		MDB_txn *txn = store_read_txn(g->st);
		MDB_stat st;
		if (txn && !mdb_stat(txn, g->ids, &st)) {
			mid_reserve(g, st.ms_entries + st.ms_entries / 8);
			mid_room(g, st.ms_entries + st.ms_entries / 8);
			/* the keys take less than the leaves that hold them */
			hbytes_room(&g->midkeys, (st.ms_leaf_pages + 1) * (size_t)st.ms_psize);
		}
		store_read_end(g->st);
	}
	if ((rc = replay_log(g, NULL)))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t2);
	if ((rc = store_bulk(g->st, write_graph, g)))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t3);
	/* refusals, counters, and the end of the mark */
	g->fresh = 0;
	store_del(g->st, g->state, "rebuilding", 10);
	if ((rc = commit(g)))
		return rc;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!g->cli.quiet)
		fprintf(stderr, "%s: rebuilt %llu people, %zu identifiers from the log (%llu merges, "
			"%llu refused) in %.2f s (replay %.2f s, write %.2f s), peak rss %ld KiB\n",
			cli_prog, g->created_n, g->nmid, g->merges, g->refused, secs(&t0, &t1),
			secs(&t0, &t2), secs(&t2, &t3), cli_peak_rss_kb());
	return 0;
}

static int handle(void *ctx, int key, const char *arg)
{
	struct idm *g = ctx;

	switch (key) {
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_RULES: g->rules_path = arg; break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_BATCH:
		return cli_long("batch", arg, 1, &g->batch);
	case OPT_COMMIT_MS:
		return cli_long("commit-ms", arg, 0, &g->commit_ms);
	case OPT_NOSYNC: g->nosync = 1; break;
	case OPT_ID_JOURNAL:
		return cli_long("id-journal", arg, 0, &g->idj_from);
	case OPT_RESUME: g->resume = 1; break;
	case OPT_DOT: g->dot = 1; break;
	case OPT_REASON: g->reason = arg; break;
	case 'e': g->exit_at_end = 1; break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct idm G;
	struct idm *g = &G;
	const char *cmd = NULL;
	int rc, code, ro;
	size_t i;

	g->cli.prog = "idmerge";
	g->cli.synopsis = "[options] [FILE…] | lookup TYPE:VALUE… | explain ONEID | split ONEID | block TYPE:VALUE… | rebuild";
	g->cli.summary = "Give every event the person it belongs to (OneID), reversibly.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->batch = 262144; /* random inserts: bigger batches share more pages */
	g->commit_ms = 1000;
	g->idj_from = IDJ_FROM;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (g->cli.nrest) {
		static const char *const cmds[] = {"lookup", "explain", "split", "block", "rebuild", NULL};
		int k;
		for (k = 0; cmds[k] && strcmp(cmds[k], g->cli.rest[0]); k++)
			;
		if (cmds[k]) {
			cmd = cmds[k];
		} else {
			/* operands are input files */
			for (k = 0; k < g->cli.nrest && g->cli.nin < CLI_MAX_IN; k++)
				g->cli.in[g->cli.nin++] = g->cli.rest[k];
		}
	}
	g->pipelines = conf_pipelines(g->pipelines);
	if ((rc = load_rules(g)))
		goto out;
	ro = cmd && (!strcmp(cmd, "lookup") || !strcmp(cmd, "explain"));
	if (ro && (rc = cli_need_state(g->cli.db)))
		goto out;
	g->st = store_open(g->cli.db, "idmerge", (g->nosync ? STORE_NOSYNC : 0) | (ro ? STORE_RDONLY : 0),
			   &code);
	if (!g->st) {
		rc = code;
		goto out;
	}
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-idmerge";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.exit_at_end = g->exit_at_end;
	g->f.resume = g->resume;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.ctx = g;
	if (store_dbi(g->st, "idmerge.ids", 0, &g->ids) ||
	    store_dbi(g->st, "idmerge.people", 0, &g->people) ||
	    store_dbi(g->st, "idmerge.log", 0, &g->logdb) ||
	    store_dbi(g->st, "idmerge.refusals", 0, &g->refusals) ||
	    store_dbi(g->st, "idmerge.blocked", 0, &g->blocked) ||
	    store_dbi(g->st, "idmerge.state", 0, &g->state) ||
	    store_dbi(g->st, "idmerge.idjournal", 0, &g->idj) || load_counters(g) ||
	    load_opblocked(g)) {
		rc = EXIT_IO;
		goto out;
	}
	/* people: read a page at a time and kept across commits; the changed
	 * records go to a journal at each commit, folded in rarely */
	store_cache(g->st, g->people);
	if (store_journal(g->st, g->people, "idmerge.journal")) {
		rc = EXIT_IO;
		goto out;
	}
	if (g->interrupted && (!cmd || strcmp(cmd, "rebuild"))) {
		cli_err("a rebuild of the identity graph in '%s' was interrupted: run 'idmerge rebuild' "
			"to finish it", g->cli.db);
		if (!ro) {
			rc = EXIT_IO;
			goto out;
		}
	}
	if (!ro) { /* a run that was killed left identifiers in the journal */
		if (idj_load(g)) {
			rc = EXIT_IO;
			goto out;
		}
		if ((rc = idj_fold(g)))
			goto out;
	}
	if (!cmd)
		rc = run_filter(g);
	else if (!strcmp(cmd, "lookup"))
		rc = op_lookup(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "explain"))
		rc = op_explain(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "split"))
		rc = op_split(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "block"))
		rc = op_block(g, g->cli.nrest - 1, g->cli.rest + 1);
	else if (!strcmp(cmd, "rebuild"))
		rc = op_rebuild(g);
out:
	if (g->ph) {
		g->fresh = 1;
		free(g->ph);
	}
	slots_free(g);
	store_close(g->st);
	xfree_huge(g->ic, g->ic_size * sizeof *g->ic);
	free(g->dirty);
	for (i = 0; i < g->npslab; i++)
		xfree_huge(g->pslab[i], ((size_t)1 << PSLAB_BITS) * person_size(g));
	free(g->pslab);
	xfree_huge(g->mid, g->capmid * sizeof *g->mid);
	xfree_huge(g->midslots, g->nmidslots * sizeof *g->midslots);
	hbytes_free(&g->midkeys);
	outcome_close(&g->f.oc);
	for (i = 0; i < g->r.nt; i++)
		free(g->r.t[i].name);
	for (i = 0; i < g->r.nblocked; i++)
		free(g->r.blocked[i]);
	free(g->r.blocked);
	for (i = 0; i < g->r.npatterns; i++)
		free(g->r.patterns[i]);
	free(g->r.patterns);
	for (i = 0; i < g->nopblocked; i++)
		free(g->opblocked[i]);
	free(g->opblocked);
	json_doc_release(&g->doc);
	free(g->region);
	tally_free(&g->refusal_rules);
	buf_release(&g->line);
	buf_release(&g->keys);
	buf_release(&g->jrec);
	buf_release(&g->tmp);
	buf_release(&g->kname);
	buf_release(&g->rec);
	buf_release(&g->mergebuf);
	rc = cli_stdout_close(rc);
	return rc;
}
