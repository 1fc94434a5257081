/*
 * store - the one LMDB environment every uops tool keeps its state in.
 *
 * lib/store is the only caller of mdb_env_*. A tool opens the environment
 * once (store_open), opens all its named DBs at start (store_dbi; names are
 * "<owner>.<concern>", nothing goes into the unnamed DB), reads through a
 * read transaction the store renews as needed, and writes through a batch:
 * puts and deletes queue in memory (visible to store_get at once) and
 * store_commit applies them, key-sorted, in one write transaction. The write
 * lock is held only while a batch is applied, so the tools of a pipeline
 * sharing one environment do not wait on each other's input.
 *
 * One process at a time opens a store for writing per tool: a second gets
 * exit 75 (the lock is <dir>/<owner>.lock, released when the first ends).
 *
 * Every write transaction, of every tool on the environment, is taken
 * under <dir>/txn.lock (flock, queued through <dir>/txn.gate): a wait for
 * it is interrupted by a stop, which gives up after its grace with 75, and
 * a big job that commits in steps (store_bulk_step) lets a waiting tool in
 * between them. The rule every caller keeps: nothing that can block (an
 * output, an input, another lock) happens while a write transaction is
 * open, so whoever waits for it waits only for work (schemas/lmdb.md).
 *
 * The map grows when full (doubling, up to UOPS_MAP_MAX bytes, default
 * 1 TiB; then exit 74). With STORE_TRIM the pages a process has read are
 * released regularly, so its resident memory does not grow with the store. Stale reader slots are cleared on open. A "meta" DB
 * records the store format version and, per tool, "<tool>.version".
 * Kafka consumer offsets go into "<owner>.offsets" in the same batch as the
 * state they produced (store_offset_put), so both commit or neither does.
 */
#ifndef UOPS_STORE_H
#define UOPS_STORE_H

#include <lmdb.h>
#include <string.h>
#include <stddef.h>
#include <stdint.h>

/* The store format: 2 since segmenter keeps a clock per stream (and
 * files deadlines and people by stream), which a build of format 1 would
 * misread; 3 since tagger does too (its clocks and deadlines per stream,
 * which a build of format 2 would read as no clock at all). A writer
 * raises an older store's format to this one. */
#define STORE_FORMAT 3
#define STORE_NOSYNC 1u  /* do not fsync on commit (tests, reruns) */
#define STORE_RDONLY 2u  /* open for queries only */
#define STORE_TRIM 4u    /* keep the resident set small: release the map's
			  * pages after each commit and every 16,384 lookups
			  * (for access that moves on, like time-ordered keys;
			  * random access over a working set wants them kept) */

struct store;

/*
 * Open (creating the directory and environment when missing) the
 * environment in dir for tool `owner`. Returns the store, or NULL after
 * printing the reason; *code gets the exit code (74 I/O, 78 newer format).
 */
struct store *store_open(const char *dir, const char *owner, unsigned flags,
			 int *code);
/* Commit nothing further; abort open transactions and close. */
void store_close(struct store *s);

/* Open (creating unless read-only) the named DB; flags are mdb_dbi_open's
 * (MDB_INTEGERKEY, MDB_DUPSORT…). Returns 0, or -1 after printing why. */
int store_dbi(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi);
/* Open the named DB if it exists, never creating it (a DB of an earlier
 * version): 0 opened, 1 there is none (*dbi unset, nothing printed), -1
 * after printing why. */
int store_dbi_opt(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi);
/* Open the named DB, creating it in a writable store; in a read-only one,
 * a DB that is not there is not an error: 1 opened, 0 absent, -1 after
 * printing why. */
int store_dbi_maybe(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi);

/*
 * Look up key in dbi: pending batch writes first, then the last committed
 * state. Returns 1 found (*val points at the bytes until the next
 * store_commit or store_read_end, or for a value queued in the batch, the
 * next put or delete), 0 absent (or deleted in the batch),
 * -1 on an LMDB error (printed).
 */
int store_get(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
	      MDB_val *val);

/* Look up key in the pending batch only: 1 queued put (*val set), 0 not
 * queued, 2 queued delete. For callers that know the committed state
 * cannot hold the key. */
int store_get_pending(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		      MDB_val *val);

/* End the read transaction; call before blocking on input. */
void store_read_end(struct store *s);
/* A hint: the 4-byte key of a cached DB will be read soon; start fetching
 * its cache entry into the CPU cache while other work goes on. */
void store_prefetch(struct store *s, MDB_dbi dbi, const void *key);

/* The second step: once the entry is at hand (store_prefetch some time
 * before), start fetching the value it points at. */
void store_prefetch_value(struct store *s, MDB_dbi dbi, const void *key);

/* A read transaction on the committed state, for cursors; valid until
 * store_read_end or store_commit. NULL on error (printed). */
MDB_txn *store_read_txn(struct store *s);

/* Which read transaction store_read_txn gave: a number that changes each
 * time it begins again (after store_read_end, a commit), so a cursor kept
 * from an earlier one is known to need mdb_cursor_renew. */
unsigned long long store_read_gen(const struct store *s);

/* A read transaction of its own, on the committed state as it is now, that
 * commits do not end. End it with store_snapshot_end, soon: while it is
 * open the pages later commits free cannot be reused, and the map cannot
 * grow (a commit that needs more room fails with 70). NULL on error. */
MDB_txn *store_snapshot(struct store *s);
void store_snapshot_end(struct store *s, MDB_txn *txn);

/* Grow the map, if need be, until at least `bytes` lie free past the last
 * page in use: for work that keeps snapshots open while it writes (the map
 * cannot grow then). Ends the read transaction; call with no snapshot
 * open. Returns 0, or 74 after printing why. */
int store_reserve(struct store *s, size_t bytes);


/* Queue a put / delete (copied). */
void store_put(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
	       const void *val, size_t vlen);
void store_del(struct store *s, MDB_dbi dbi, const void *key, size_t klen);

/* Queue a put of a key the caller knows is not queued, and will not look
 * up with store_get before the commit (it keeps its own record of it):
 * no probe of the batch index. */
void store_put_unique(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		      const void *val, size_t vlen);

/* Queue a put unless the batch already holds the key: returns 1 (and
 * queues nothing) when it does, 0 when the put was queued. One probe of the
 * batch index where store_get_pending + store_put take two. */
int store_put_new(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		  const void *val, size_t vlen);

/* Queue: at commit, before anything else, empty the DB. */
void store_clear(struct store *s, MDB_dbi dbi);

/*
 * Write in bulk: fill(ctx, txn) puts straight into one write transaction
 * (cursor appends of sorted keys), which is committed. When the map is full
 * the transaction is dropped, the map grown and fill called again, so fill
 * must be repeatable. fill returns 0, an LMDB error, or -1 for a failure of
 * its own that it has reported (the transaction is dropped). Returns 0 or
 * 74. The queued batch is not touched.
 */
int store_bulk(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx);
/* From inside a store_bulk fill that is in *txn: commit what it wrote so
 * far, unsynced (the fill's last commit syncs the file), and go on in a new
 * transaction, put in *txn (cursors of the old one are gone). For a fill too
 * big for one transaction's dirty pages, whose partial result is marked as
 * such by the caller. 0, or an LMDB error (MDB_MAP_FULL: the fill returns
 * it, and is run again whole in a bigger map). */
int store_bulk_step(struct store *s, MDB_txn **txn);
/* As store_bulk, for a fill that writes no DB with a cache (store_cache):
 * the caches and their journals are left as they are. */
int store_write(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx);

/* Queue: at commit, delete up to max keys of dbi that sort before `below`
 * (max bounds the work of one commit: when every key of dbi sorts before
 * `below` and max > 0, dbi is emptied whole, a page at a time). */
void store_del_below(struct store *s, MDB_dbi dbi, const void *below,
		     size_t blen, size_t max);
/* The same for the keys in [from, below). */
void store_del_range(struct store *s, MDB_dbi dbi, const void *from, size_t flen,
		     const void *below, size_t blen, size_t max);

/* Number of queued operations. */
size_t store_pending(const struct store *s);

/*
 * Apply the batch in one write transaction and commit it (fsync unless
 * STORE_NOSYNC). Returns 0, or an exit code (74) after printing why; on
 * failure nothing of the batch is committed.
 */
int store_commit(struct store *s);

/* Have store_commit call fn(ctx) first, every time, to queue what must
 * commit with the batch (lib/seen's runs). One such call per store. */
void store_on_commit(struct store *s, void (*fn)(void *ctx), void *ctx);

/* Drop the queued batch. */
void store_discard(struct store *s);

/* Kafka offsets of the owner: the next offset to consume for a partition,
 * or -1 when none is stored. */
int64_t store_offset_get(struct store *s, const char *topic, int32_t partition);
void store_offset_put(struct store *s, const char *topic, int32_t partition,
		      int64_t next);

/*
 * Keep a read cache of dbi, a DB keyed by 4 bytes (oneids, big-endian),
 * for store_get: values as committed, read from LMDB a leaf page at a time
 * and updated by this process's commits, so each page is searched once.
 * Memory over all caches is bounded by UOPS_CACHE_MB (default 1024; 0 turns
 * caching off): past it the caches are emptied at the next commit. Only for
 * DBs of the owner (its writer lock keeps other processes from writing
 * them); range deletes and store_bulk empty the cache. Returns 0.
 */
int store_cache(struct store *s, MDB_dbi dbi);

/*
 * Commit a cached DB's changes to a journal, DB name: each commit appends
 * the changed records in key order (a few new pages), where an update in
 * place would rewrite every leaf page a batch touches, most of a DB of
 * small records spread over many keys. The cache answers from the newer
 * values; the journal is folded into the DB, in key order and in one
 * transaction, when it holds as many records as the cache has held keys
 * (and at least 262,144), when the values it holds would take half of
 * UOPS_CACHE_MB (past the budget, the cache is emptied but for them),
 * before a range delete or store_bulk, on store_fold, and at open when a writer stopped
 * before folding it (it is committed with the batches, so nothing is lost).
 * On a read-only store, store_get and store_scan read the DB and the
 * journal of their snapshot together. With caching off (UOPS_CACHE_MB=0)
 * the writer folds a journal left over and writes the DB in place.
 * Returns 0, or -1 after printing why.
 */
int store_journal(struct store *s, MDB_dbi dbi, const char *name);
/*
 * Read dbi, a DB of another tool written through its journal (DB name,
 * which must exist: opening it here would create it), as that tool sees
 * it: store_get answers from the journal's latest record of a key first,
 * then from dbi. The journal is indexed (key -> its latest record, 12
 * bytes a key; the values stay in LMDB) and the index is brought up to
 * each new read transaction by reading only the records appended since,
 * or the whole journal again once its owner folded it. Memory grows with
 * the keys in the journal, which its owner's folds bound. Returns 0, or
 * -1 after printing why.
 */
int store_follow(struct store *s, MDB_dbi dbi, const char *name);
/* Commit the batch, then fold every journal. Returns 0 or an exit code. */
int store_fold(struct store *s);
/* For tests: fold at journal_min records (or one per key the cache has
 * held, if more), fold_part keys per transaction, the DB written afresh
 * when the journal has rewrite_keys keys per leaf page (0: never; defaults:
 * 262,144, or four per key held; 16,384 or more, by the DB's leaf pages;
 * 4). */
void store_tune(struct store *s, size_t journal_min, size_t fold_part, size_t rewrite_keys);

struct jview; /* store.c: a reader's view of a journal */

/* Every record of dbi in key order, the journal's newer records included
 * (a writer folds it first). */
struct store_scan {
	struct store *s;
	MDB_cursor *cur;
	struct jview *j;
	size_t ji;
	int crc;
	MDB_val ck, cv;
	unsigned char kb[4];
};
/* 0, or -1 after printing why. */
int store_scan_open(struct store *s, MDB_dbi dbi, struct store_scan *it);
/* 1 a record in k, v (valid until the next call), 0 the end, -1 an error. */
int store_scan_next(struct store_scan *it, MDB_val *k, MDB_val *v);
void store_scan_close(struct store_scan *it);

/* Counters for -v. */
struct store_stats {
	unsigned long long commits, ops, grows, cache_hits, cache_loads, folds, compacts, rewrites;
	size_t mapsize;
	size_t cache_max; /* the cache budget in bytes (UOPS_CACHE_MB) */
	long long lock_hold_max_ns; /* the longest write transaction */
	long long lock_wait_max_ns; /* the longest wait for the write lock */
	unsigned long long lock_waits; /* write transactions that waited */
};
void store_stats(const struct store *s, struct store_stats *st);
/* Print the stats on stderr, one line (for -v). */
void store_print(const struct store *s);

/* Big-endian encodings for keys that sort as numbers. */
static inline void store_be64(unsigned char *p, uint64_t v)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
#else
	int i;
	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
#endif
}
static inline uint64_t store_get_be64(const unsigned char *p)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;
	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
#else
	uint64_t v = 0;
	int i;
	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
#endif
}
static inline uint32_t store_get_be32(const unsigned char *p)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint32_t v;
	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
#else
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
#endif
}
static inline void store_be32(unsigned char *p, uint32_t v)
{
#if defined(__GNUC__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
#else
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
#endif
}

#endif
