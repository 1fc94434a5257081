#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "hash.h"

#define MAX_DBS 64
#define MAP_START (64ull << 20)
#define MAP_MAX_DEFAULT (1ull << 40)
#define CACHE_MB_DEFAULT 1024 /* at least; an eighth of the memory where more */

enum { OP_PUT, OP_DEL, OP_DEL_BELOW, OP_CLEAR };
#define RANGE_OP(k) ((k) == OP_DEL_BELOW || (k) == OP_CLEAR)

struct op {
	uint32_t seq;
	uint8_t kind;
	uint8_t cached; /* 1: a point op of a cached DB, found through the cache, not the
			 * index; 2: a put store_get need not find (store_put_unique) */
	MDB_dbi dbi;
	size_t koff, klen, voff, vlen;
	size_t max; /* OP_DEL_BELOW */
};

struct skey {
	uint64_t pfx, pfx2; /* the key's first 16 bytes, big-endian, zero-padded */
	uint32_t dbi, i;
};

/*
 * The read cache of a DB keyed by 4 bytes (a oneid, big-endian): values as
 * committed, filled a leaf page at a time, so a random lookup costs an LMDB
 * search only once per page. "done" says which keys the cache answers for,
 * present or absent: 65,536 pages of 65,536 bits each, NULL (none) or
 * DONE_ALL (all). Only this process writes the DB (the owner's lock), and
 * every commit of it updates the cache, so the cache stays exact.
 */
struct centry {
	char *p; /* the committed value; NULL: not cached */
	uint32_t len, cap;
	uint32_t op; /* index+1 of the key's op queued in the batch; 0 none */
	uint32_t jr; /* 1: this value (or, p NULL, this absence) is in the
		      * journal and not yet in the DB */
};

#define CTOP_BITS 20 /* a key's upper 20 bits pick a page of 4,096 entries */
#define CPAGE 4096u
#define CBLOCK (2u << 20) /* memory comes in 2 MiB blocks */
#define CFREE_CLASSES 256 /* rooms left, reused up to 4 KiB */

struct cache {
	MDB_dbi dbi;
	int journal; /* commits append to jdbi (store_journal) */
	MDB_dbi jdbi;
	size_t jrecs; /* records in jdbi */
	size_t jadd; /* records the commit under way appends */
	uint32_t *jkeys; /* the keys whose entries are marked jr */
	size_t njkeys, capjkeys;
	uint64_t **done;
	struct centry **top; /* 2^20 pages, allocated as keys arrive */
	uint32_t *used; /* the indexes of top that point at a page */
	size_t nused, capused;
	char **blocks; /* pages and values, in blocks that never move */
	size_t *bsizes; /* their sizes (xmalloc_huge) */
	size_t nblocks, bfill;
	char **spare; /* CBLOCK blocks a reset emptied, taken again before
		       * new ones (whose pages fault and are zeroed) */
	size_t nspare;
	struct buf keep; /* cache_compact's copy of the journal's values,
			  * kept for the next compaction for the same reason */
	size_t bytes, nents;
	size_t peak; /* the most entries held at a commit */
	/* rooms a value left (it grew, or was deleted), by size in 16-byte
	 * steps, each holding the next: a value that grows takes one another
	 * left, not new memory (new memory is dear: each page of it faults
	 * and is zeroed) */
	char *freed[CFREE_CLASSES];
};

#define DONE_ALL ((uint64_t *)1)

/* A journal as a reader sees it (store_journal on a read-only store): the
 * latest record of each key, in key order, from the reader's snapshot. */
struct jview {
	MDB_dbi dbi, jdbi;
	int loaded;
	size_t n;
	uint32_t *keys;
	size_t *off; /* into data; SIZE_MAX: deleted */
	uint32_t *len;
	struct buf data;
};

struct jfollow {
	MDB_dbi dbi, jdbi;
	unsigned long long gen; /* the read transaction it is up to */
	uint64_t seen; /* records read: 0 … seen-1 */
	uint64_t lasth; /* hash of the record at seen-1 */
	struct fslot { uint32_t key; uint32_t hi; uint32_t lo; } *slot; /* seq+1 in hi:lo, 0 empty */
	size_t nslot, used;
};

/* journal records: kind ('p' put, 'd' delete), the 4-byte key, the value */
#define JHEAD 5
#define JOURNAL_MIN (1u << 18) /* fold once this many records, or more … */
#define JOURNAL_FACTOR 4 /* … and this many per oneid the cache has held: a
			  * fold rewrites most leaf pages whatever the journal
			  * holds, so the longer it waits, the less it costs a
			  * record (the journal takes more room meanwhile) */
#define FOLD_PART 2048 /* keys per folding transaction, at least … */
#define FOLD_PAGES 2048 /* … and as many as touch about this many leaf pages:
			  * a transaction's dirty pages stay bounded, and so
			  * does the time it holds the environment's write
			  * lock (24,576 pages held it 0.6 s on an idle two-
			  * core machine, 4.4 s on a busy one; 16,384 keys
			  * spread over idmerge.people of 3.5M people, a leaf
			  * each, 0.4-0.7 s; 4,096 pages, 0.3 s); a fold of a
			  * store whose leaves it mostly rewrites anyway
			  * takes few transactions, each synced */
#define REWRITE_KEYS 4 /* a journal of this many keys per leaf page of its
			* DB or more (it changes nearly every leaf) is
			* folded by writing the DB afresh, in key order, if
			* the DB is no bigger than FOLD_PAGES (a bigger one
			* would take a transaction with more dirty pages
			* than a part: new memory, which costs more here) */

struct store {
	MDB_env *env;
	MDB_txn *bulk; /* the write transaction a bulk fill is in */
	char *owner;
	unsigned flags;
	size_t mapsize, mapmax;
	MDB_txn *rtxn;
	int rlive; /* rtxn is renewed and usable */
	MDB_dbi meta, offsets;
	int have_offsets;
	struct op *ops, *spare; /* spare: the sort's output, cap ops too */
	size_t nops, cap;
	struct skey *sk; /* the sort's keys, 2 * cap */
	size_t *count; /* the sort's histogram, 65536 */
	struct buf arena;
	uint64_t *slots; /* hash tag << 32 | index+1 into ops; 0 empty */
	size_t nslots;
	size_t nindexed; /* ops in slots (a cached DB's are not) */
	unsigned long long commits, nops_total, grows;
	unsigned gets; /* LMDB lookups since the last trim */
	int snapshots; /* open store_snapshot transactions */
	void (*on_commit)(void *ctx); /* store_on_commit */
	void *on_commit_ctx;
	char *dir;
	void *map_addr; /* the read-only map, found in /proc/self/maps */
	size_t map_len;
	int map_missing;
	int lockfd; /* the owner's writer lock, or -1 */
	struct cache *caches;
	int ncaches;
	size_t cache_max; /* bytes over all caches (UOPS_CACHE_MB) */
	size_t pagesize;
	unsigned long long cache_hits, cache_loads, folds, compacts, rewrites;
	int jnow; /* this commit appends journaled DBs' ops to their journals */
	size_t journal_min, journal_factor, fold_part; /* JOURNAL_MIN, _FACTOR, FOLD_PART (store_tune) */
	size_t rewrite_keys; /* REWRITE_KEYS (store_tune) */
	struct jview *jviews;
	int njviews;
	struct jfollow *follows; /* store_follow: other tools' journals */
	int nfollows;
	unsigned long long rgen; /* read transactions begun: a follow's index
				  * is brought up to the one it was built in */
	/* the environment's write turnstile (wl_take): every write
	 * transaction of every uops process on the environment holds it */
	int wgate, wlock;
	long long w_since;  /* when it was taken, or 0 */
	long long wait_max, hold_max, wait_sum; /* ns */
	int wfail; /* the exit code of the last wbegin that failed */
	const char *wwhat; /* what the next write transactions do (for -v) */
	const char *hold_what; /* … the longest one did */
	unsigned long long lock_waits; /* takes that had to wait */
};

static struct cache *cache_of(struct store *s, MDB_dbi dbi);
static void cache_reset(struct cache *c);
static void cache_free(struct cache *c);
static void cache_set(struct cache *c, uint32_t key, const void *v, size_t n);
static void done_mark(struct cache *c, uint32_t lo, uint32_t hi);
static int cache_get(struct store *s, struct cache *c, uint32_t key, MDB_val *val);
static size_t cache_bytes(const struct store *s);
static uint32_t key32(const void *p);
static struct centry *cache_slot(struct cache *c, uint32_t key, int make);
static void cache_track(struct store *s);
static char *cache_room(struct cache *c, size_t n);
static void discard(struct store *s, int untrack);
static int fold(struct store *s, struct cache *c);
static int after_commit(struct store *s);
static struct jview *jview_of(struct store *s, MDB_dbi dbi);
static int follow_get(struct store *s, MDB_dbi dbi, uint32_t key, MDB_val *val);
static int jview_get(struct store *s, struct jview *j, uint32_t key, MDB_val *val);

#define TRIM_EVERY 16384
#define ARENA_START ((size_t)48 << 20)
#define OPS_KEEP ((size_t)1 << 20) /* ops of cap: a batch's arrays up to this
				    * size are kept whatever the next batch */

/*
 * Drop the map's pages from this process's page tables. They stay in the
 * page cache, so the next touch is a minor fault; this keeps the resident
 * set bounded by what a batch touches, not by the size of the store. The map
 * is read-only (no MDB_WRITEMAP), so this never loses data.
 */
static void trim(struct store *s)
{
	char line[512];
	FILE *f;

	s->gets = 0;
	if (!s->map_addr) {
		/* find the map: the mapping of data.mdb at offset 0 */
		struct stat st;
		char path[4096];

		if (!s->dir || s->map_missing)
			return;
		snprintf(path, sizeof path, "%s/data.mdb", s->dir);
		if (stat(path, &st) || !(f = fopen("/proc/self/maps", "r"))) {
			s->map_missing = 1;
			return;
		}
		while (fgets(line, sizeof line, f)) {
			unsigned long lo, hi, off, ino;
			char perms[8];
			if (sscanf(line, "%lx-%lx %7s %lx %*s %lu", &lo, &hi, perms, &off, &ino) == 5 &&
			    ino == (unsigned long)st.st_ino && off == 0 && hi - lo > s->map_len) {
				s->map_addr = (void *)lo;
				s->map_len = hi - lo;
			}
		}
		fclose(f);
		if (!s->map_addr) {
			s->map_missing = 1;
			return;
		}
	}
	madvise(s->map_addr, s->map_len, MADV_DONTNEED);
}

static void lerr(const char *what, const char *subject, int rc)
{
	cli_err("%s '%s': %s", what, subject, mdb_strerror(rc));
}

static int env_code(int rc)
{
	(void)rc;
	return EXIT_IO;
}

/*
 * One writing process per tool and store: the state a tool keeps in memory
 * between commits (caches, bitmaps) is exact only while nothing else writes
 * its DBs. The lock is <dir>/<owner>.lock (flock: released when the process
 * ends, however it ends); it holds the writer's pid for the error message.
 */
/* The memory this process may use: the machine's, or less under a
 * cgroup (v2 memory.max, v1 memory.limit_in_bytes) that says so. */
static uint64_t memory_limit(void)
{
	static const char *const files[] = {
		"/sys/fs/cgroup/memory.max",
		"/sys/fs/cgroup/memory/memory.limit_in_bytes",
	};
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t mem = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz : 0;
	size_t i;

	for (i = 0; i < sizeof files / sizeof *files; i++) {
		char line[64];
		FILE *f = fopen(files[i], "r");
		unsigned long long v;
		char *end;
		if (!f)
			continue;
		if (fgets(line, sizeof line, f)) {
			errno = 0;
			v = strtoull(line, &end, 10);
			if (!errno && end != line && v && (!mem || v < mem))
				mem = v;
		}
		fclose(f);
	}
	return mem;
}

/* The cache budget when UOPS_CACHE_MB is not set: an eighth of the memory
 * this process may use, and at least CACHE_MB_DEFAULT. */
static size_t cache_default(void)
{
	uint64_t eighth = memory_limit() / 8, least = (uint64_t)CACHE_MB_DEFAULT << 20;

	if (eighth < least)
		eighth = least;
	if (eighth > SIZE_MAX / 2)
		eighth = SIZE_MAX / 2;
	return (size_t)eighth;
}

static int writer_lock(struct store *s)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof path, "%s/%s.lock", s->dir, s->owner);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664)) < 0) {
		cli_err("cannot open lock '%s': %s", path, strerror(errno));
		return EXIT_IO;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		n = (int)read(fd, pid, sizeof pid - 1);
		pid[n > 0 ? n : 0] = 0;
		pid[strcspn(pid, "\n")] = 0;
		close(fd);
		if (e == EWOULDBLOCK) {
			cli_err("another %s%s%s is writing store '%s' (one writing process per tool and store); "
				"retry when it ends", s->owner, *pid ? ", pid " : "", pid, s->dir);
			return EXIT_TEMP;
		}
		cli_err("cannot lock '%s': %s", path, strerror(e));
		return EXIT_IO;
	}
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, pid, (size_t)n, 0) != n) {
		/* the pid is only for the message */
	}
	s->lockfd = fd;
	return 0;
}

/* ---- the write turnstile ----
 *
 * LMDB lets one write transaction run per environment, and a process
 * waiting for it in mdb_txn_begin can be neither interrupted nor timed.
 * So every write transaction of a uops process is taken under a lock of
 * the environment's own, <dir>/txn.lock, waited for with flock, which a
 * signal interrupts: a stop gives up after its grace (75), instead of
 * hanging on a writer that does not end. A waiter first takes
 * <dir>/txn.gate and holds it while it waits, so a writer that lets go
 * between the steps of a big job (store_bulk_step) and asks again queues
 * behind it: the other tools' commits get in between the steps. */

static int open_lock(const char *dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0664)) < 0)
		cli_err("cannot open lock '%s': %s", path, strerror(errno));
	return fd;
}

/* 0 taken, 1 a stop's grace ran out, -1 an error (errno). A process that
 * read its records from a pipe (cli_stop_patient) may hold records the
 * stage before it committed already: after a stop it waits up to
 * CLI_STOP_SILENCE_MS from the start of the wait (within the drain's cap)
 * rather than the grace, as the stages of a stopped pipe commit one after
 * another. */
static int flock_wait(int fd)
{
	long long t0 = cli_now_ns();

	for (;;) {
		long left = cli_stop_patient ? cli_stop_wait_ms(t0, CLI_STOP_SILENCE_MS) :
			cli_stop_left_ms();
		if (left < 0) {
			if (!flock(fd, LOCK_EX))
				return 0;
			if (errno != EINTR)
				return -1;
			continue;
		}
		if (!flock(fd, LOCK_EX | LOCK_NB))
			return 0;
		if (errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		if (!left)
			return 1;
		usleep(2000);
	}
}

/* Take the turnstile before a write transaction: 0, or 75 (stopped while
 * waiting) or 74 after saying why. */
static int wl_take(struct store *s)
{
	long long t0, t1;
	int r;

	if (s->wlock < 0 || s->w_since)
		return 0;
	t0 = cli_now_ns();
	r = flock_wait(s->wgate);
	if (!r) {
		r = flock_wait(s->wlock);
		flock(s->wgate, LOCK_UN);
	}
	if (r > 0) {
		cli_err("stopped while waiting for the write lock of store '%s'", s->dir);
		return EXIT_TEMP;
	}
	if (r < 0) {
		cli_err("cannot lock store '%s' for writing: %s", s->dir, strerror(errno));
		return EXIT_IO;
	}
	t1 = cli_now_ns();
	if (t1 - t0 > 50000) /* 50 us: more than the two calls */
		s->lock_waits++;
	s->wait_sum += t1 - t0;
	if (t1 - t0 > s->wait_max)
		s->wait_max = t1 - t0;
	s->w_since = t1 ? t1 : 1;
	return 0;
}

/* Let go of it once the transaction is committed or aborted. */
static void wl_drop(struct store *s)
{
	long long held;

	if (s->wlock < 0 || !s->w_since)
		return;
	held = cli_now_ns() - s->w_since;
	if (held > s->hold_max) {
		s->hold_max = held;
		s->hold_what = s->wwhat;
	}
	s->w_since = 0;
	flock(s->wlock, LOCK_UN);
}

/* Begin a write transaction under the turnstile (following a map another
 * process grew). 0, or an exit code after saying why (also kept in
 * s->wfail): 75 stopped while waiting, 74 otherwise. */
static int wbegin(struct store *s, MDB_txn **txn)
{
	int rc;

	*txn = NULL;
	if ((rc = wl_take(s)))
		return s->wfail = rc;
	rc = mdb_txn_begin(s->env, NULL, 0, txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		s->map_addr = NULL;
		s->map_len = 0;
		rc = mdb_txn_begin(s->env, NULL, 0, txn);
	}
	if (rc) {
		*txn = NULL;
		wl_drop(s);
		lerr("cannot begin write transaction in store of", s->owner, rc);
		return s->wfail = EXIT_IO;
	}
	return 0;
}

/* End it: commit (or abort when abort_it) and let go of the turnstile.
 * Returns mdb_txn_commit's result. */
static int wend(struct store *s, MDB_txn *txn, int abort_it)
{
	int rc = 0;

	if (abort_it)
		mdb_txn_abort(txn);
	else
		rc = mdb_txn_commit(txn);
	wl_drop(s);
	return rc;
}

struct store *store_open(const char *dir, const char *owner, unsigned flags,
			 int *code)
{
	struct store *s = xcalloc(1, sizeof *s);
	const char *max = getenv("UOPS_MAP_MAX");
	MDB_envinfo info;
	MDB_txn *txn = NULL;
	int rc, dead = 0;
	unsigned envflags = MDB_NOTLS;
	char key[96];
	MDB_val k, v;

	*code = EXIT_IO;
	s->lockfd = -1;
	s->wgate = s->wlock = -1;
	s->owner = xstrdup(owner);
	s->dir = xstrdup(dir);
	s->flags = flags;
	s->mapmax = max && *max ? strtoull(max, NULL, 10) : MAP_MAX_DEFAULT;
	{
		const char *mb = getenv("UOPS_CACHE_MB");
		s->cache_max = mb && *mb ? (size_t)strtoull(mb, NULL, 10) << 20 : cache_default();
	}
	s->pagesize = (size_t)sysconf(_SC_PAGESIZE);
	s->journal_min = JOURNAL_MIN;
	s->journal_factor = JOURNAL_FACTOR;
	s->fold_part = FOLD_PART;
	s->rewrite_keys = REWRITE_KEYS;
	if (!(flags & STORE_RDONLY) && mkdir(dir, 0775) && errno != EEXIST) {
		cli_err("cannot create store directory '%s': %s", dir, strerror(errno));
		goto fail;
	}
	if (!(flags & STORE_RDONLY) && (*code = writer_lock(s))) {
		goto fail;
	}
	if (!(flags & STORE_RDONLY) &&
	    ((s->wgate = open_lock(dir, "txn.gate")) < 0 || (s->wlock = open_lock(dir, "txn.lock")) < 0)) {
		*code = EXIT_IO;
		goto fail;
	}
	*code = EXIT_IO;
	if ((rc = mdb_env_create(&s->env))) {
		lerr("cannot create environment for", dir, rc);
		goto fail;
	}
	mdb_env_set_maxdbs(s->env, MAX_DBS);
	mdb_env_set_maxreaders(s->env, 254);
	if (flags & STORE_NOSYNC)
		envflags |= MDB_NOSYNC;
	if (flags & STORE_RDONLY)
		envflags |= MDB_RDONLY;
	if ((rc = mdb_env_open(s->env, dir, envflags, 0664))) {
		lerr("cannot open store", dir, rc);
		goto fail;
	}
	mdb_env_info(s->env, &info);
	s->mapsize = info.me_mapsize;
	if (s->mapsize < MAP_START && !(flags & STORE_RDONLY)) {
		s->mapsize = MAP_START;
		if ((rc = mdb_env_set_mapsize(s->env, s->mapsize))) {
			lerr("cannot size store", dir, rc);
			goto fail;
		}
	}
	mdb_reader_check(s->env, &dead);
	if (dead)
		cli_info("cleared %d stale reader slot(s) in '%s'", dead, dir);
	if ((rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn))) {
		lerr("cannot read store", dir, rc);
		goto fail;
	}
	mdb_txn_reset(s->rtxn);
	if (flags & STORE_RDONLY) {
		if ((rc = mdb_txn_renew(s->rtxn)) ||
		    (rc = mdb_dbi_open(s->rtxn, "meta", 0, &s->meta))) {
			if (rc == MDB_NOTFOUND) {
				cli_err("store '%s' holds no uops state", dir);
			} else {
				lerr("cannot read store", dir, rc);
			}
			goto fail;
		}
		s->rlive = 1;
	} else {
		s->wwhat = "opening the store";
		if ((rc = wbegin(s, &txn))) {
			*code = rc;
			goto fail;
		}
		if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta))) {
			lerr("cannot open meta DB in", dir, rc);
			goto fail;
		}
	}
	/* the store format */
	k.mv_data = "format";
	k.mv_size = 6;
	rc = mdb_get(txn ? txn : s->rtxn, s->meta, &k, &v);
	if (rc == 0) {
		unsigned long f = 0;
		size_t i;
		for (i = 0; i < v.mv_size && i < 10; i++)
			f = f * 10 + (unsigned long)(((char *)v.mv_data)[i] - '0');
		if (f > STORE_FORMAT) {
			cli_err("store '%s' has format %lu, newer than this build's %d", dir, f,
				STORE_FORMAT);
			*code = EXIT_CONFIG;
			goto fail;
		}
		rc = f < STORE_FORMAT && txn ? MDB_NOTFOUND : 0; /* raised: written below */
	}
	if (rc == MDB_NOTFOUND && txn) {
		char fmt[16];
		int n = snprintf(fmt, sizeof fmt, "%d", STORE_FORMAT);
		v.mv_data = fmt;
		v.mv_size = (size_t)n;
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0))) {
			lerr("cannot write meta DB in", dir, rc);
			goto fail;
		}
	}
	if (txn) {
		int n = snprintf(key, sizeof key, "%s.version", owner);
		k.mv_data = key;
		k.mv_size = (size_t)n;
		v.mv_data = UOPS_VERSION;
		v.mv_size = strlen(UOPS_VERSION);
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) || (rc = wend(s, txn, 0))) {
			txn = NULL;
			wl_drop(s);
			lerr("cannot write meta DB in", dir, rc);
			goto fail;
		}
		txn = NULL;
	}
	*code = 0;
	return s;
fail:
	if (txn)
		mdb_txn_abort(txn);
	wl_drop(s);
	store_close(s);
	return NULL;
}

/* UOPS_LOCK_LOG=FILE: a line per writing process at its end, "<owner>
 * <longest hold s> <longest wait s> <commits> <what that hold did>" (make
 * bench reads them). */
static void lock_log(const struct store *s)
{
	const char *path = getenv("UOPS_LOCK_LOG");
	FILE *f;

	if (!path || !*path || s->wlock < 0 || !(f = fopen(path, "a")))
		return;
	fprintf(f, "%s %.3f %.3f %llu %s\n", s->owner, (double)s->hold_max / 1e9,
		(double)s->wait_max / 1e9, s->commits, s->hold_what ? s->hold_what : "none");
	fclose(f);
}

void store_close(struct store *s)
{
	if (!s)
		return;
	lock_log(s);
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	if (s->env)
		mdb_env_close(s->env);
	while (s->ncaches > 0)
		cache_free(&s->caches[--s->ncaches]);
	free(s->caches);
	while (s->njviews > 0) {
		struct jview *j = &s->jviews[--s->njviews];
		free(j->keys);
		free(j->off);
		free(j->len);
		buf_release(&j->data);
	}
	free(s->jviews);
	while (s->nfollows > 0)
		free(s->follows[--s->nfollows].slot);
	free(s->follows);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the writer lock */
	wl_drop(s);
	if (s->wgate >= 0)
		close(s->wgate);
	if (s->wlock >= 0)
		close(s->wlock);
	free(s->ops);
	free(s->spare);
	free(s->sk);
	free(s->count);
	free(s->slots);
	buf_release(&s->arena);
	free(s->owner);
	free(s->dir);
	free(s);
}

static int renew(struct store *s)
{
	int rc;

	if (s->rlive)
		return 0;
	if (!s->rtxn) {
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
	} else {
		rc = mdb_txn_renew(s->rtxn);
	}
	if (rc == MDB_MAP_RESIZED) {
		/* another process grew the map */
		if (s->rtxn) {
			mdb_txn_abort(s->rtxn);
			s->rtxn = NULL;
		}
		mdb_env_set_mapsize(s->env, 0);
		s->map_addr = NULL;
		s->map_len = 0;
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &s->rtxn);
	}
	if (rc) {
		lerr("cannot begin read transaction in", s->owner, rc);
		return -1;
	}
	s->rlive = 1;
	s->rgen++;
	return 0;
}

void store_read_end(struct store *s)
{
	if (s->rlive && !(s->flags & STORE_RDONLY)) {
		mdb_txn_reset(s->rtxn);
		s->rlive = 0;
	}
}

MDB_txn *store_read_txn(struct store *s)
{
	return renew(s) ? NULL : s->rtxn;
}

unsigned long long store_read_gen(const struct store *s)
{
	return s->rgen;
}

MDB_txn *store_snapshot(struct store *s)
{
	MDB_txn *txn;
	int rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn);

	if (rc) {
		lerr("cannot begin read transaction in", s->owner, rc);
		return NULL;
	}
	s->snapshots++;
	return txn;
}

void store_snapshot_end(struct store *s, MDB_txn *txn)
{
	if (txn) {
		mdb_txn_abort(txn);
		s->snapshots--;
	}
}

int store_reserve(struct store *s, size_t bytes)
{
	MDB_envinfo info;
	MDB_stat st;
	size_t used, size;
	int rc;

	if (s->snapshots)
		return 0;
	store_read_end(s);
	if (s->rtxn) {
		mdb_txn_abort(s->rtxn);
		s->rtxn = NULL;
		s->rlive = 0;
	}
	mdb_env_info(s->env, &info);
	mdb_env_stat(s->env, &st);
	used = (info.me_last_pgno + 1) * (size_t)st.ms_psize;
	size = info.me_mapsize;
	while (size - used < bytes && size < s->mapmax)
		size = size * 2 < s->mapmax ? size * 2 : s->mapmax;
	if (size == info.me_mapsize)
		return 0;
	if ((rc = mdb_env_set_mapsize(s->env, size))) {
		lerr("cannot grow store of", s->owner, rc);
		return EXIT_IO;
	}
	s->mapsize = size;
	s->map_addr = NULL;
	s->map_len = 0;
	s->grows++;
	return 0;
}

/*
 * LMDB's default order for plain keys (bytes compared, then the shorter
 * first), computed without a call into libc for the short keys every DB
 * here uses (a 4-byte oneid, a day and a hash). The order is the same, so
 * any LMDB program reads these DBs as before.
 */
static int key_cmp(const MDB_val *a, const MDB_val *b)
{
	size_t n = a->mv_size < b->mv_size ? a->mv_size : b->mv_size;
	const unsigned char *p = a->mv_data, *q = b->mv_data;

	if (n >= 4) {
		uint32_t x = store_get_be32(p), y = store_get_be32(q);
		if (x != y)
			return x < y ? -1 : 1;
		if (n >= 12) {
			uint64_t u = store_get_be64(p + 4), v = store_get_be64(q + 4);
			if (u != v)
				return u < v ? -1 : 1;
			p += 12, q += 12, n -= 12;
		} else {
			p += 4, q += 4, n -= 4;
		}
	}
	if (n) {
		int d = memcmp(p, q, n);
		if (d)
			return d;
	}
	return a->mv_size < b->mv_size ? -1 : a->mv_size > b->mv_size;
}

/* plain DBs only: DUPSORT and INTEGERKEY DBs keep LMDB's orders */
#define PLAIN(flags) (!((flags) & (MDB_DUPSORT | MDB_INTEGERKEY | MDB_REVERSEKEY)))

static int dbi_open(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi, int opt)
{
	MDB_txn *txn;
	int rc;

	if (s->flags & STORE_RDONLY) {
		if (renew(s))
			return -1;
		rc = mdb_dbi_open(s->rtxn, name, flags, dbi);
		if (rc == MDB_NOTFOUND && opt)
			return 1;
		if (rc == MDB_NOTFOUND) {
			cli_err("store has no DB '%s' (has %s run on it?)", name,
				s->owner);
			return -1;
		}
		if (rc)
			return lerr("cannot open DB", name, rc), -1;
		if (PLAIN(flags))
			mdb_set_compare(s->rtxn, *dbi, key_cmp);
		return 0;
	}
	store_read_end(s);
	s->wwhat = "opening a DB";
	if (wbegin(s, &txn))
		return -1;
	rc = mdb_dbi_open(txn, name, flags | (opt ? 0 : MDB_CREATE), dbi);
	if (rc == MDB_NOTFOUND && opt) {
		wend(s, txn, 1);
		return 1;
	}
	if (rc) {
		wend(s, txn, 1);
		return lerr("cannot open DB", name, rc), -1;
	}
	if (PLAIN(flags))
		mdb_set_compare(txn, *dbi, key_cmp);
	if ((rc = wend(s, txn, 0)))
		return lerr("cannot open DB", name, rc), -1;
	return 0;
}

int store_dbi(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi)
{
	return dbi_open(s, name, flags, dbi, 0);
}

int store_dbi_opt(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi)
{
	return dbi_open(s, name, flags, dbi, 1);
}

int store_dbi_maybe(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi)
{
	int rc = dbi_open(s, name, flags, dbi, !!(s->flags & STORE_RDONLY));

	return rc < 0 ? -1 : !rc;
}

static uint64_t op_hash(MDB_dbi dbi, const void *k, size_t kl)
{
	const unsigned char *p = k;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)dbi << 32) ^ kl, w;

	while (kl >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		kl -= 8;
	}
	w = 0;
	memcpy(&w, p, kl);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 29;
	h *= 0xff51afd7ed558ccdull;
	return h ^ (h >> 32);
}

#define TAG(h) ((h) & 0xffffffff00000000ull)
#define IDX(slot) ((uint32_t)(slot))

static void index_grow(struct store *s)
{
	size_t i, n = s->nslots ? s->nslots * 2 : 4096;

	free(s->slots);
	s->slots = xcalloc(n, sizeof *s->slots);
	s->nslots = n;
	for (i = 0; i < s->nops; i++) {
		struct op *o = &s->ops[i];
		uint64_t h;
		size_t j;

		if (RANGE_OP(o->kind) || o->cached)
			continue;
		h = op_hash(o->dbi, s->arena.p + o->koff, o->klen);
		for (j = (h >> 3) & (n - 1);; j = (j + 1) & (n - 1)) {
			struct op *x;
			if (!s->slots[j]) {
				s->slots[j] = TAG(h) | ((uint64_t)i + 1);
				break;
			}
			if (TAG(s->slots[j]) != TAG(h))
				continue;
			x = &s->ops[IDX(s->slots[j]) - 1];
			if (x->dbi == o->dbi && x->klen == o->klen &&
			    !memcmp(s->arena.p + x->koff, s->arena.p + o->koff, o->klen)) {
				s->slots[j] = TAG(h) | ((uint64_t)i + 1);
				break;
			}
		}
	}
}

/* Find the op for key; *slot is where it is (or would go) in the index and
 * *h the key's hash. */
static struct op *op_find(struct store *s, MDB_dbi dbi, const void *k, size_t kl,
			  uint64_t **slot, uint64_t *hp)
{
	uint64_t h;
	size_t j;

	if (!s->nslots)
		index_grow(s);
	h = op_hash(dbi, k, kl);
	*hp = h;
	for (j = (h >> 3) & (s->nslots - 1);; j = (j + 1) & (s->nslots - 1)) {
		struct op *x;
		if (!s->slots[j]) {
			*slot = &s->slots[j];
			return NULL;
		}
		if (TAG(s->slots[j]) != TAG(h))
			continue;
		x = &s->ops[IDX(s->slots[j]) - 1];
		if (x->dbi == dbi && x->klen == kl &&
		    !memcmp(s->arena.p + x->koff, k, kl)) {
			*slot = &s->slots[j];
			return x;
		}
	}
}

/* Where p is in the arena, or -1 when it is not (a value read back from
 * the batch may be put again, and growing the arena would move it). */
static ptrdiff_t arena_off(const struct store *s, const void *p)
{
	const char *c = p;

	return s->arena.p && c >= s->arena.p && c < s->arena.p + s->arena.len ? c - s->arena.p : -1;
}

/* Append the n (1 or 2) byte strings to the arena, each possibly from the
 * arena itself; *off[i] gets where each went. */
static void arena_add(struct store *s, int n, const void *const *p, const size_t *len, size_t *const *off)
{
	ptrdiff_t at[2];
	size_t need = 0;
	int i;

	for (i = 0; i < n; i++) {
		at[i] = arena_off(s, p[i]);
		need += len[i];
	}
	if (!s->arena.cap)
		/* a block malloc maps on its own: growing it remaps its pages
		 * instead of copying them, and only the pages used are touched */
		buf_grow(&s->arena, ARENA_START);
	buf_grow(&s->arena, need); /* the adds below do not move it again */
	for (i = 0; i < n; i++) {
		*off[i] = s->arena.len;
		if (len[i])
			buf_add(&s->arena, at[i] >= 0 ? s->arena.p + at[i] : p[i], len[i]);
	}
}

static int op_add(struct store *s, int kind, MDB_dbi dbi, const void *k,
		  size_t kl, const void *v, size_t vl, size_t max, int only_new)
{
	struct op *o = NULL;
	uint64_t *slot = NULL, h = 0;
	struct centry *ce = NULL;

	if (!RANGE_OP(kind) && kl == 4 && s->ncaches) {
		struct cache *c = cache_of(s, dbi);
		if (c) {
			ce = cache_slot(c, key32(k), 1);
			o = ce->op ? &s->ops[ce->op - 1] : NULL;
		}
	}
	/* sized by the ops it holds, not by the batch: the cached DBs' ops
	 * (most of a stream's) would double a table that misses the cache on
	 * every probe */
	if (!ce && !RANGE_OP(kind) && (s->nindexed + 1) * 2 > s->nslots)
		index_grow(s);
	if (o || (!ce && !RANGE_OP(kind) && (o = op_find(s, dbi, k, kl, &slot, &h)))) {
		if (only_new)
			return 1;
		/* the later op on a key wins: overwrite the queued one, so a
		 * key written many times in a batch is sorted and applied once */
		o->kind = (uint8_t)kind;
		if (vl > o->vlen) {
			size_t *offs[1] = {&o->voff};
			arena_add(s, 1, &v, &vl, offs);
		} else if (vl) {
			memmove(s->arena.p + o->voff, v, vl);
		}
		o->vlen = vl;
		return 0;
	}
	if (s->nops == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 1024;
		s->ops = xrealloc(s->ops, s->cap * sizeof *s->ops);
		free(s->spare);
		free(s->sk);
		s->spare = NULL;
		s->sk = NULL;
	}
	o = &s->ops[s->nops];
	o->seq = (uint32_t)s->nops;
	o->kind = (uint8_t)kind;
	o->cached = ce != NULL;
	if (ce)
		ce->op = (uint32_t)s->nops + 1;
	o->dbi = dbi;
	o->max = max;
	o->klen = kl;
	o->vlen = vl;
	{
		const void *ps[2] = {k, v};
		size_t lens[2] = {kl, vl}, *offs[2] = {&o->koff, &o->voff};
		arena_add(s, 2, ps, lens, offs);
	}
	if (slot) {
		*slot = TAG(h) | ((uint64_t)s->nops + 1);
		s->nindexed++;
	}
	s->nops++;
	return 0;
}

void store_put(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
	       const void *val, size_t vlen)
{
	op_add(s, OP_PUT, dbi, key, klen, val, vlen, 0, 0);
}

int store_put_new(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		  const void *val, size_t vlen)
{
	return op_add(s, OP_PUT, dbi, key, klen, val, vlen, 0, 1);
}

void store_put_unique(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		      const void *val, size_t vlen)
{
	struct op *o;

	if (s->nops == s->cap || (s->ncaches && cache_of(s, dbi))) {
		store_put(s, dbi, key, klen, val, vlen);
		return;
	}
	o = &s->ops[s->nops];
	o->seq = (uint32_t)s->nops;
	o->kind = OP_PUT;
	o->cached = 2;
	o->dbi = dbi;
	o->max = 0;
	o->klen = klen;
	o->vlen = vlen;
	{
		const void *ps[2] = {key, val};
		size_t lens[2] = {klen, vlen}, *offs[2] = {&o->koff, &o->voff};
		arena_add(s, 2, ps, lens, offs);
	}
	s->nops++;
}

void store_del(struct store *s, MDB_dbi dbi, const void *key, size_t klen)
{
	op_add(s, OP_DEL, dbi, key, klen, NULL, 0, 0, 0);
}

void store_del_below(struct store *s, MDB_dbi dbi, const void *below,
		     size_t blen, size_t max)
{
	op_add(s, OP_DEL_BELOW, dbi, below, blen, NULL, 0, max, 0);
}

void store_clear(struct store *s, MDB_dbi dbi)
{
	op_add(s, OP_CLEAR, dbi, "", 0, NULL, 0, 0, 0);
}

/* Run fill in a write transaction and commit it, growing the map and
 * running it again when the map is full. Returns 0 or an exit code. */
static int run_txn(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx)
{
	MDB_txn *txn;
	int rc;

	store_read_end(s);
	for (;;) {
		s->wfail = 0;
		if ((rc = wbegin(s, &txn)))
			return rc;
		s->bulk = txn;
		rc = fill(ctx, txn);
		txn = s->bulk; /* store_bulk_step may have moved it on */
		s->bulk = NULL;
		if (rc == -1) { /* fill's own failure, reported */
			if (txn)
				wend(s, txn, 1);
			wl_drop(s);
			return s->wfail ? s->wfail : EXIT_IO;
		}
		if (!rc && txn) {
			rc = wend(s, txn, 0);
			txn = NULL;
		}
		if (rc != MDB_MAP_FULL)
			break;
		if (txn)
			wend(s, txn, 1);
		txn = NULL;
		{
			MDB_envinfo info;
			mdb_env_info(s->env, &info);
			s->mapsize = info.me_mapsize * 2;
		}
		if (s->mapsize > s->mapmax || s->snapshots) {
			cli_err("store of %s is full at %zu bytes", s->owner, s->mapsize / 2);
			return EXIT_IO;
		}
		if (s->rtxn) {
			mdb_txn_abort(s->rtxn);
			s->rtxn = NULL;
			s->rlive = 0;
		}
		if ((rc = mdb_env_set_mapsize(s->env, s->mapsize))) {
			lerr("cannot grow store of", s->owner, rc);
			return EXIT_IO;
		}
		s->map_addr = NULL;
		s->map_len = 0;
		s->grows++;
	}
	if (rc) {
		if (txn)
			wend(s, txn, 1);
		wl_drop(s);
		lerr("cannot write store of", s->owner, rc);
		return EXIT_IO;
	}
	return 0;
}

int store_write(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx)
{
	int rc;

	s->wwhat = "a bulk write";
	if ((rc = run_txn(s, fill, ctx)))
		return rc;
	s->commits++;
	return 0;
}

int store_bulk_step(struct store *s, MDB_txn **txn)
{
	int rc, nosync = (s->flags & STORE_NOSYNC) != 0;

	if (!s->bulk || *txn != s->bulk)
		return EINVAL;
	/* not synced: the fill's last commit syncs the file, these with it */
	if (!nosync)
		mdb_env_set_flags(s->env, MDB_NOSYNC, 1);
	rc = wend(s, s->bulk, 0);
	if (!nosync)
		mdb_env_set_flags(s->env, MDB_NOSYNC, 0);
	s->bulk = NULL;
	*txn = NULL;
	if (rc)
		return rc;
	s->commits++;
	/* between the steps, a tool waiting for the turnstile goes first */
	if (wbegin(s, &s->bulk))
		return -1;
	*txn = s->bulk;
	return 0;
}

int store_bulk(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx)
{
	int rc, i;

	for (i = 0; i < s->ncaches; i++)
		if ((rc = fold(s, &s->caches[i])))
			return rc;
	s->wwhat = "a bulk write";
	if ((rc = run_txn(s, fill, ctx)))
		return rc;
	s->commits++;
	for (i = 0; i < s->ncaches; i++)
		cache_reset(&s->caches[i]); /* fill wrote past them */
	cache_track(s); /* the batch is still queued */
	return 0;
}

/* ---- journals (store_journal) ---- */

struct fold {
	struct store *s;
	struct cache *c;
	size_t part;   /* keys per transaction */
	uint64_t from; /* the part's first key: an index into the sorted jkeys */
	uint64_t next; /* the next part's first key */
	int done;      /* the last part: the journal is emptied */
};


/* A part of the journal's records into the DB (the cache's newer values,
 * in key order), and with the last part the journal emptied. Until then a
 * journal replayed at open gives the same result: its records are the
 * values the parts wrote, and later ones. */
static int fold_fill(void *ctx, MDB_txn *txn)
{
	struct fold *f = ctx;
	struct cache *c = f->c;
	MDB_cursor *cur;
	unsigned char kb[4];
	MDB_val k = {4, kb}, v;
	size_t i;
	int rc = 0;

	if ((rc = mdb_cursor_open(txn, c->dbi, &cur)))
		return rc;
	f->done = 0;
	for (i = (size_t)f->from; i < c->njkeys; i++) {
		struct centry *e = cache_slot(c, c->jkeys[i], 0);
		if (i - (size_t)f->from == f->part) {
			f->next = i;
			mdb_cursor_close(cur);
			return 0;
		}
		store_be32(kb, c->jkeys[i]);
		if (e && e->p) {
			v.mv_data = e->p;
			v.mv_size = e->len;
			rc = mdb_cursor_put(cur, &k, &v, 0);
		} else if ((rc = mdb_del(txn, c->dbi, &k, NULL)) == MDB_NOTFOUND) {
			rc = 0;
		}
		if (rc)
			goto out;
	}
	f->done = 1;
	rc = mdb_drop(txn, c->jdbi, 0);
out:
	mdb_cursor_close(cur);
	return rc;
}

/* The whole DB written afresh, in one transaction: emptied, then every
 * key appended in order, from the journal's newer values (the cache) and,
 * for the keys it does not hold, the DB as last committed (a snapshot,
 * whose pages the writer does not reuse before it commits). Put in place,
 * a record of another size shifts half a page twice, and a fold that
 * changes nearly every leaf costs several times this. */
static int rewrite_fill(void *ctx, MDB_txn *txn)
{
	struct fold *f = ctx;
	struct cache *c = f->c;
	MDB_txn *old = NULL;
	MDB_cursor *oc = NULL, *cur = NULL;
	unsigned char kb[4];
	MDB_val ok, ov, k = {4, kb}, v;
	struct centry *e;
	size_t i = 0;
	int rc, orc = MDB_NOTFOUND;

	f->done = 0;
	if ((rc = mdb_txn_begin(f->s->env, NULL, MDB_RDONLY, &old)) ||
	    (rc = mdb_cursor_open(old, c->dbi, &oc)) || (rc = mdb_drop(txn, c->dbi, 0)) ||
	    (rc = mdb_cursor_open(txn, c->dbi, &cur)))
		goto out;
	orc = mdb_cursor_get(oc, &ok, &ov, MDB_FIRST);
	while (orc == 0 || i < c->njkeys) {
		int cmp = -1; /* the journal's next key against the DB's */
		if (i == c->njkeys) {
			cmp = 1;
		} else if (orc == 0) {
			store_be32(kb, c->jkeys[i]);
			cmp = memcmp(kb, ok.mv_data, ok.mv_size < 4 ? ok.mv_size : 4);
			if (!cmp)
				cmp = (ok.mv_size < 4) - (ok.mv_size > 4);
		}
		if (cmp > 0) {
			if ((rc = mdb_cursor_put(cur, &ok, &ov, MDB_APPEND)))
				goto out;
			orc = mdb_cursor_get(oc, &ok, &ov, MDB_NEXT);
			continue;
		}
		if (i + 8 < c->njkeys) {
			struct centry *a = cache_slot(c, c->jkeys[i + 8], 0);
			if (a && a->p)
				__builtin_prefetch(a->p);
		}
		if (!cmp)
			orc = mdb_cursor_get(oc, &ok, &ov, MDB_NEXT);
		e = cache_slot(c, c->jkeys[i], 0);
		if (e && e->p) {
			store_be32(kb, c->jkeys[i]);
			v.mv_data = e->p;
			v.mv_size = e->len;
			if ((rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND)))
				goto out;
		}
		i++;
	}
	if (orc != MDB_NOTFOUND) {
		rc = orc;
		goto out;
	}
	f->done = 1;
	rc = mdb_drop(txn, c->jdbi, 0);
out:
	if (cur)
		mdb_cursor_close(cur);
	if (oc)
		mdb_cursor_close(oc);
	if (old)
		mdb_txn_abort(old);
	return rc;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* Sort n keys: two passes of 16 bits (LSD radix), or qsort when few. */
static void sort_u32(uint32_t *a, size_t n)
{
	uint32_t *tmp;
	size_t *cnt, i, sum;
	int pass;

	if (n < 4096) {
		qsort(a, n, sizeof *a, u32_cmp);
		return;
	}
	tmp = xmalloc(n * sizeof *tmp);
	cnt = xmalloc(65536 * sizeof *cnt);
	for (pass = 0; pass < 2; pass++) {
		uint32_t *src = pass ? tmp : a, *dst = pass ? a : tmp;
		int sh = 16 * pass;
		memset(cnt, 0, 65536 * sizeof *cnt);
		for (i = 0; i < n; i++)
			cnt[src[i] >> sh & 0xffff]++;
		for (i = 0, sum = 0; i < 65536; i++) {
			size_t c = cnt[i];
			cnt[i] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			dst[cnt[src[i] >> sh & 0xffff]++] = src[i];
	}
	free(cnt);
	free(tmp);
}

static int fold(struct store *s, struct cache *c)
{
	struct fold f = {s, c, s->fold_part, 0, 0, 0};
	size_t i;
	int rc, rewrite = 0;

	if (!c->journal || !c->jrecs)
		return 0;
	{
		MDB_txn *txn = store_read_txn(s);
		MDB_stat st;
		if (txn && !mdb_stat(txn, c->dbi, &st)) {
			/* the pages the journal's records fill, and those
			 * the fold touches: a leaf per key while keys are
			 * sparser than leaves, then every leaf */
			size_t jbytes = 0, jpages, touched;
			for (i = 0; i < c->njkeys; i++) {
				struct centry *e = cache_slot(c, c->jkeys[i], 0);
				jbytes += 16 + (e && e->p ? e->len : 0);
			}
			jpages = jbytes / (st.ms_psize ? st.ms_psize : 4096) + 1;
			touched = (c->njkeys < st.ms_leaf_pages ? c->njkeys : st.ms_leaf_pages) + jpages;
			/* written afresh in one transaction only while the
			 * whole DB it writes stays within a few parts */
			if (s->rewrite_keys && c->njkeys >= s->rewrite_keys * (st.ms_leaf_pages + 1) &&
			    st.ms_leaf_pages + st.ms_branch_pages + st.ms_overflow_pages + jpages <= 2 * FOLD_PAGES)
				rewrite = 1;
			/* a part of k of the n keys touches about k *
			 * touched / n pages */
			if (s->fold_part == FOLD_PART) {
				size_t k = (size_t)((double)FOLD_PAGES * (double)c->njkeys / (double)touched);
				if (k > f.part)
					f.part = k;
			}
		}
	}
	/* in key order: each leaf page is written once */
	if (c->njkeys > 1)
		sort_u32(c->jkeys, c->njkeys);
	if (rewrite) {
		s->wwhat = "a journal fold, the DB written afresh";
		if ((rc = run_txn(s, rewrite_fill, &f)))
			return rc;
		s->rewrites++;
	}
	while (!f.done) {
		/* a map grown mid-part runs the part again from its start */
		s->wwhat = "a part of a journal fold";
		if ((rc = run_txn(s, fold_fill, &f)))
			return rc;
		f.from = f.next;
	}
	for (i = 0; i < c->njkeys; i++) {
		struct centry *e = cache_slot(c, c->jkeys[i], 0);
		if (e)
			e->jr = 0;
	}
	c->njkeys = 0;
	c->jrecs = 0;
	s->folds++;
	return 0;
}

/* After a commit: fold the journals that grew past their bound, and all of
 * them before the caches are emptied for memory. */
/* Empty the cache but for the entries the journal holds (their values
 * are in no other memory). */
static void cache_compact(struct cache *c)
{
	struct buf vals = c->keep;
	size_t i, n = c->njkeys;
	size_t *off = xmalloc((n + 1) * sizeof *off);
	uint32_t *len = xmalloc((n + 1) * sizeof *len);

	for (i = 0; i < n; i++) {
		struct centry *e = cache_slot(c, c->jkeys[i], 0);
		off[i] = SIZE_MAX;
		if (e && e->p) {
			off[i] = vals.len;
			len[i] = e->len;
			buf_add(&vals, e->p, e->len);
		}
	}
	cache_reset(c);
	for (i = 0; i < n; i++) {
		struct centry *e;
		if (off[i] != SIZE_MAX) {
			cache_set(c, c->jkeys[i], vals.p + off[i], len[i]);
		} else {
			done_mark(c, c->jkeys[i], c->jkeys[i]);
		}
		e = cache_slot(c, c->jkeys[i], 1);
		e->jr = 1;
	}
	free(off);
	free(len);
	buf_reset(&vals);
	c->keep = vals;
}

/* The journal records past which c's journal is folded after a commit. */
static size_t journal_bound(const struct store *s, const struct cache *c)
{
	size_t b = c->peak * s->journal_factor;

	return b > s->journal_min ? b : s->journal_min;
}

static int after_commit(struct store *s)
{
	int over = cache_bytes(s) > s->cache_max, i, rc;

	for (i = 0; i < s->ncaches; i++) {
		struct cache *c = &s->caches[i];
		if (c->nents > c->peak)
			c->peak = c->nents;
		/* journal_factor records per key the cache has held */
		if (c->journal && c->jrecs >= journal_bound(s, c) && (rc = fold(s, c)))
			return rc;
	}
	if (!over)
		return 0;
	/* past the budget: keep what the journals hold, unless that alone
	 * takes half the budget (then fold it) */
	for (i = 0; i < s->ncaches; i++) {
		struct cache *c = &s->caches[i];
		if (c->journal && c->jrecs) {
			cache_compact(c);
			s->compacts++;
		} else
			cache_reset(c);
	}
	if (cache_bytes(s) > s->cache_max / 2)
		for (i = 0; i < s->ncaches; i++) {
			if ((rc = fold(s, &s->caches[i])))
				return rc;
			cache_reset(&s->caches[i]);
		}
	return 0;
}

struct replay {
	MDB_dbi dbi, jdbi;
};

/* A journal found at open (its writer stopped before folding it): its
 * records into the DB in the order written, and the journal emptied. */
static int replay_fill(void *ctx, MDB_txn *txn)
{
	const struct replay *r = ctx;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, r->jdbi, &cur)))
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *p = v.mv_data;
		MDB_val kk = {4, (void *)(p + 1)}, vv = {v.mv_size - JHEAD, (void *)(p + JHEAD)};
		int r2;
		if (v.mv_size < JHEAD || (p[0] != 'p' && p[0] != 'd'))
			continue; /* not a journal record: skipped */
		if (p[0] == 'p')
			r2 = mdb_put(txn, r->dbi, &kk, &vv, 0);
		else if ((r2 = mdb_del(txn, r->dbi, &kk, NULL)) == MDB_NOTFOUND)
			r2 = 0;
		if (r2) {
			rc = r2;
			break;
		}
	}
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND)
		return rc;
	return mdb_drop(txn, r->jdbi, 0);
}

static struct jview *jview_of(struct store *s, MDB_dbi dbi)
{
	int i;

	for (i = 0; i < s->njviews; i++)
		if (s->jviews[i].dbi == dbi)
			return &s->jviews[i];
	return NULL;
}

struct jrec {
	uint32_t key, i;
	size_t off;
	uint32_t len;
	int del;
};

static int jrec_cmp(const void *a, const void *b)
{
	const struct jrec *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Read the journal of the reader's snapshot: the latest record per key. */
static int jview_load(struct store *s, struct jview *j)
{
	struct jrec *r = NULL;
	size_t n = 0, cap = 0, i;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	j->loaded = 1;
	if (renew(s) || (rc = mdb_cursor_open(s->rtxn, j->jdbi, &cur)))
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *p = v.mv_data;
		if (v.mv_size < JHEAD || (p[0] != 'p' && p[0] != 'd'))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			r = xrealloc(r, cap * sizeof *r);
		}
		r[n].key = store_get_be32((const unsigned char *)p + 1);
		r[n].i = (uint32_t)n;
		r[n].del = p[0] == 'd';
		r[n].off = j->data.len;
		r[n].len = (uint32_t)(v.mv_size - JHEAD);
		buf_add(&j->data, p + JHEAD, v.mv_size - JHEAD);
		n++;
	}
	mdb_cursor_close(cur);
	if (rc != MDB_NOTFOUND) {
		free(r);
		lerr("cannot read the journal in store of", s->owner, rc);
		return -1;
	}
	if (n)
		qsort(r, n, sizeof *r, jrec_cmp);
	j->keys = xmalloc((n + 1) * sizeof *j->keys);
	j->off = xmalloc((n + 1) * sizeof *j->off);
	j->len = xmalloc((n + 1) * sizeof *j->len);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && r[i + 1].key == r[i].key)
			continue; /* a later record of the key follows */
		j->keys[j->n] = r[i].key;
		j->off[j->n] = r[i].del ? SIZE_MAX : r[i].off;
		j->len[j->n] = r[i].len;
		j->n++;
	}
	free(r);
	return 0;
}

/* 1 found (val set), 0 deleted, 2 not in the journal, -1 error. */
static int jview_get(struct store *s, struct jview *j, uint32_t key, MDB_val *val)
{
	size_t lo = 0, hi;

	if (!j->loaded && jview_load(s, j))
		return -1;
	hi = j->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (j->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == j->n || j->keys[lo] != key)
		return 2;
	if (j->off[lo] == SIZE_MAX)
		return 0;
	val->mv_data = j->data.p + j->off[lo];
	val->mv_size = j->len[lo];
	return 1;
}

int store_journal(struct store *s, MDB_dbi dbi, const char *name)
{
	struct cache *c;
	MDB_dbi jdbi;
	MDB_stat st;
	int rc;

	if (s->flags & STORE_RDONLY) {
		struct jview *j;
		if (renew(s))
			return -1;
		rc = mdb_dbi_open(s->rtxn, name, 0, &jdbi);
		if (rc == MDB_NOTFOUND)
			return 0; /* a store written before journals */
		if (rc)
			return lerr("cannot open DB", name, rc), -1;
		s->jviews = xrealloc(s->jviews, (size_t)(s->njviews + 1) * sizeof *s->jviews);
		j = &s->jviews[s->njviews++];
		memset(j, 0, sizeof *j);
		j->dbi = dbi;
		j->jdbi = jdbi;
		return 0;
	}
	if (store_dbi(s, name, 0, &jdbi))
		return -1;
	if (renew(s))
		return -1;
	rc = mdb_stat(s->rtxn, jdbi, &st);
	store_read_end(s);
	if (rc)
		return lerr("cannot read DB", name, rc), -1;
	if (st.ms_entries) {
		struct replay r = {dbi, jdbi};
		s->wwhat = "a journal left by a stopped writer";
		if (run_txn(s, replay_fill, &r))
			return -1;
		if ((c = cache_of(s, dbi)))
			cache_reset(c);
	}
	if ((c = cache_of(s, dbi))) {
		c->journal = 1;
		c->jdbi = jdbi;
		c->jrecs = 0;
	}
	return 0;
}

/* ---- another tool's journal, followed by a writer (store_follow) ----
 *
 * The journal's keys are sequence numbers from 0, appended; a fold empties
 * it and the next record is 0 again. The index maps each key (oneid) met
 * in the journal to the sequence number of its latest record; it is
 * brought up to date when a read transaction begins, reading only the
 * records appended since (or all of them again after a fold, told by the
 * journal being shorter, or by its record at the last number read being
 * another). Values are read from the journal itself, so the index holds
 * 12 bytes a key, not the values. */

static uint64_t fhash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

static struct fslot *follow_slot(struct jfollow *f, uint32_t key, int make)
{
	size_t i, mask;

	if (make && (f->used + 1) * 2 > f->nslot) {
		struct fslot *old = f->slot;
		size_t n = f->nslot, j;
		f->nslot = n ? n * 2 : 1024;
		f->slot = xcalloc(f->nslot, sizeof *f->slot);
		f->used = 0;
		for (j = 0; j < n; j++)
			if (old[j].hi || old[j].lo)
				*follow_slot(f, old[j].key, 1) = old[j], f->used++;
		free(old);
	}
	if (!f->nslot)
		return NULL;
	mask = f->nslot - 1;
	for (i = (size_t)(key * 2654435761u) & mask;; i = (i + 1) & mask) {
		struct fslot *e = &f->slot[i];
		if (!e->hi && !e->lo)
			return make ? e : NULL;
		if (e->key == key)
			return e;
	}
}

static int follow_sync(struct store *s, struct jfollow *f)
{
	unsigned char kb[8];
	MDB_val k = {8, kb}, v;
	MDB_cursor *cur;
	MDB_stat st;
	int rc;

	f->gen = s->rgen;
	if ((rc = mdb_stat(s->rtxn, f->jdbi, &st)))
		goto fail;
	if (f->seen) {
		int stale = st.ms_entries < f->seen;
		if (!stale) {
			store_be64(kb, f->seen - 1);
			rc = mdb_get(s->rtxn, f->jdbi, &k, &v);
			if (rc && rc != MDB_NOTFOUND)
				goto fail;
			stale = rc || fhash(v.mv_data, v.mv_size) != f->lasth;
		}
		if (stale) { /* folded since: read it whole again */
			if (f->nslot)
				memset(f->slot, 0, f->nslot * sizeof *f->slot);
			f->used = 0;
			f->seen = 0;
		}
	}
	if (st.ms_entries == f->seen)
		return 0;
	if ((rc = mdb_cursor_open(s->rtxn, f->jdbi, &cur)))
		goto fail;
	store_be64(kb, f->seen);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const unsigned char *p = v.mv_data;
		uint64_t seq;
		struct fslot *e;
		if (k.mv_size != 8)
			continue;
		seq = store_get_be64(k.mv_data);
		f->seen = seq + 1;
		f->lasth = fhash(v.mv_data, v.mv_size);
		if (v.mv_size < JHEAD || (p[0] != 'p' && p[0] != 'd'))
			continue;
		e = follow_slot(f, store_get_be32(p + 1), 1);
		if (!e->hi && !e->lo)
			f->used++;
		e->key = store_get_be32(p + 1);
		e->hi = (uint32_t)((seq + 1) >> 32);
		e->lo = (uint32_t)(seq + 1);
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND)
		return 0;
fail:
	lerr("cannot read a journal in store of", s->owner, rc);
	f->gen = 0;
	return -1;
}

/* 1 found (val set), 0 deleted, 2 not in a followed journal, -1 error. */
static int follow_get(struct store *s, MDB_dbi dbi, uint32_t key, MDB_val *val)
{
	struct jfollow *f = NULL;
	struct fslot *e;
	unsigned char kb[8];
	MDB_val k = {8, kb};
	int i, rc;

	for (i = 0; i < s->nfollows; i++)
		if (s->follows[i].dbi == dbi)
			f = &s->follows[i];
	if (!f)
		return 2;
	if (renew(s))
		return -1;
	if (f->gen != s->rgen && follow_sync(s, f))
		return -1;
	if (!(e = follow_slot(f, key, 0)))
		return 2;
	store_be64(kb, ((uint64_t)e->hi << 32 | e->lo) - 1);
	if ((rc = mdb_get(s->rtxn, f->jdbi, &k, val))) {
		lerr("cannot read a journal in store of", s->owner, rc);
		return -1;
	}
	if (val->mv_size < JHEAD || ((const char *)val->mv_data)[0] == 'd')
		return 0;
	val->mv_data = (char *)val->mv_data + JHEAD;
	val->mv_size -= JHEAD;
	return 1;
}

int store_follow(struct store *s, MDB_dbi dbi, const char *name)
{
	struct jfollow *f;
	MDB_dbi jdbi;

	if (store_dbi(s, name, 0, &jdbi))
		return -1;
	s->follows = xrealloc(s->follows, (size_t)(s->nfollows + 1) * sizeof *s->follows);
	f = &s->follows[s->nfollows++];
	memset(f, 0, sizeof *f);
	f->dbi = dbi;
	f->jdbi = jdbi;
	return 0;
}

int store_fold(struct store *s)
{
	int rc, i;

	if ((rc = store_commit(s)))
		return rc;
	for (i = 0; i < s->ncaches; i++)
		if ((rc = fold(s, &s->caches[i])))
			return rc;
	return 0;
}

int store_scan_open(struct store *s, MDB_dbi dbi, struct store_scan *it)
{
	int rc;

	memset(it, 0, sizeof *it);
	it->s = s;
	if (!(s->flags & STORE_RDONLY)) {
		struct cache *c = cache_of(s, dbi);
		if (c && (rc = fold(s, c)))
			return -1;
	} else if ((it->j = jview_of(s, dbi)) && !it->j->loaded && jview_load(s, it->j)) {
		return -1;
	}
	if (renew(s) || (rc = mdb_cursor_open(s->rtxn, dbi, &it->cur)))
		return -1;
	it->crc = mdb_cursor_get(it->cur, &it->ck, &it->cv, MDB_FIRST);
	return 0;
}

int store_scan_next(struct store_scan *it, MDB_val *k, MDB_val *v)
{
	for (;;) {
		int have_j = it->j && it->ji < it->j->n, cmp;
		MDB_val jk = {4, it->kb};

		if (it->crc && it->crc != MDB_NOTFOUND) {
			lerr("cannot read store of", it->s->owner, it->crc);
			return -1;
		}
		if (it->crc && !have_j)
			return 0;
		if (have_j)
			store_be32(it->kb, it->j->keys[it->ji]);
		cmp = it->crc ? 1 : !have_j ? -1 : key_cmp(&it->ck, &jk);
		if (cmp < 0) {
			*k = it->ck;
			*v = it->cv;
			it->crc = mdb_cursor_get(it->cur, &it->ck, &it->cv, MDB_NEXT);
			return 1;
		}
		if (cmp == 0) /* the journal's record is newer */
			it->crc = mdb_cursor_get(it->cur, &it->ck, &it->cv, MDB_NEXT);
		if (it->j->off[it->ji] == SIZE_MAX) {
			it->ji++;
			continue;
		}
		*k = jk;
		v->mv_data = it->j->data.p + it->j->off[it->ji];
		v->mv_size = it->j->len[it->ji];
		it->ji++;
		return 1;
	}
}

void store_scan_close(struct store_scan *it)
{
	if (it->cur)
		mdb_cursor_close(it->cur);
	it->cur = NULL;
}

void store_del_range(struct store *s, MDB_dbi dbi, const void *from, size_t flen,
		     const void *below, size_t blen, size_t max)
{
	op_add(s, OP_DEL_BELOW, dbi, below, blen, from, flen, max, 0);
}

size_t store_pending(const struct store *s)
{
	return s->nops;
}

int store_get_pending(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
		      MDB_val *val)
{
	uint64_t *slot, h;
	struct op *o;

	if (!s->nops)
		return 0;
	if (klen == 4 && s->ncaches) {
		struct cache *c = cache_of(s, dbi);
		if (c) {
			struct centry *e = cache_slot(c, key32(key), 0);
			if (!e || !e->op)
				return 0;
			o = &s->ops[e->op - 1];
			if (o->kind == OP_DEL)
				return 2;
			val->mv_data = s->arena.p + o->voff;
			val->mv_size = o->vlen;
			return 1;
		}
	}
	o = op_find(s, dbi, key, klen, &slot, &h);
	if (!o)
		return 0;
	if (o->kind == OP_DEL)
		return 2;
	val->mv_data = s->arena.p + o->voff;
	val->mv_size = o->vlen;
	return 1;
}

void store_prefetch(struct store *s, MDB_dbi dbi, const void *key)
{
	struct cache *c;
	struct centry *pg;
	uint32_t k;

	if (!s->ncaches || !(c = cache_of(s, dbi)) || !c->top)
		return;
	k = key32(key);
	if ((pg = c->top[k >> 12]))
		__builtin_prefetch(&pg[k & (CPAGE - 1)]);
}

void store_prefetch_value(struct store *s, MDB_dbi dbi, const void *key)
{
	struct cache *c;
	struct centry *pg, *e;
	uint32_t k;
	const char *p;
	size_t n, i;

	if (!s->ncaches || !(c = cache_of(s, dbi)) || !c->top)
		return;
	k = key32(key);
	if (!(pg = c->top[k >> 12]))
		return;
	e = &pg[k & (CPAGE - 1)];
	if (e->op) { /* queued in the batch: its op, then its value */
		__builtin_prefetch(&s->ops[e->op - 1]);
		return;
	}
	if (!(p = e->p))
		return;
	n = e->len < 256 ? e->len : 256;
	for (i = 0; i < n; i += 64)
		__builtin_prefetch(p + i);
}

int store_get(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
	      MDB_val *val)
{
	MDB_val k;
	int rc;

	rc = store_get_pending(s, dbi, key, klen, val);
	if (rc)
		return rc == 1;
	if (s->ncaches && klen == 4) {
		struct cache *c = cache_of(s, dbi);
		if (c && (rc = cache_get(s, c, key32(key), val)) != 2)
			return rc;
	}
	if (s->njviews && klen == 4) {
		struct jview *j = jview_of(s, dbi);
		if (j && (rc = jview_get(s, j, key32(key), val)) != 2)
			return rc;
	}
	if (s->nfollows && klen == 4 && (rc = follow_get(s, dbi, key32(key), val)) != 2)
		return rc;
	if (renew(s))
		return -1;
	k.mv_data = (void *)key;
	k.mv_size = klen;
	if ((s->flags & STORE_TRIM) && ++s->gets >= TRIM_EVERY)
		trim(s);
	rc = mdb_get(s->rtxn, dbi, &k, val);
	if (rc == 0)
		return 1;
	if (rc == MDB_NOTFOUND)
		return 0;
	lerr("cannot read from store of", s->owner, rc);
	return -1;
}

/* ---- the read cache (struct cache) ---- */

static struct cache *cache_of(struct store *s, MDB_dbi dbi)
{
	int i;

	for (i = 0; i < s->ncaches; i++)
		if (s->caches[i].dbi == dbi)
			return &s->caches[i];
	return NULL;
}

static size_t cache_bytes(const struct store *s)
{
	size_t n = 0;
	int i;

	for (i = 0; i < s->ncaches; i++)
		n += s->caches[i].bytes;
	return n;
}

static void cache_reset(struct cache *c)
{
	size_t i;

	if (c->done) {
		for (i = 0; i < 65536; i++)
			if (c->done[i] != DONE_ALL)
				free(c->done[i]);
		free(c->done);
		c->done = NULL;
	}
	/* the blocks are kept for the cache to fill again: it does, after a
	 * compaction, up to the budget it held before (and new memory would
	 * take every page's fault and zeroing again) */
	if (c->nblocks)
		c->spare = xrealloc(c->spare, (c->nspare + c->nblocks) * sizeof *c->spare);
	for (i = 0; i < c->nblocks; i++)
		if (c->bsizes[i] == CBLOCK)
			c->spare[c->nspare++] = c->blocks[i];
		else
			xfree_huge(c->blocks[i], c->bsizes[i]);
	free(c->blocks);
	free(c->bsizes);
	c->blocks = NULL;
	c->bsizes = NULL;
	c->nblocks = c->bfill = c->bytes = c->nents = 0;
	memset(c->freed, 0, sizeof c->freed);
	/* the index of pages stays, emptied where it pointed (8 MiB: not
	 * worth allocating and clearing again at every reset) */
	for (i = 0; c->top && i < c->nused; i++)
		c->top[c->used[i]] = NULL;
	c->nused = 0;
	if (c->top)
		c->bytes = ((size_t)1 << CTOP_BITS) * sizeof *c->top;
}

/* The cache's memory, all of it. */
static void cache_free(struct cache *c)
{
	cache_reset(c);
	while (c->nspare)
		xfree_huge(c->spare[--c->nspare], CBLOCK);
	free(c->spare);
	c->spare = NULL;
	buf_release(&c->keep);
	free(c->top);
	free(c->used);
	free(c->jkeys);
	c->top = NULL;
	c->used = NULL;
	c->jkeys = NULL;
	c->bytes = 0;
}

static struct centry *cache_find(const struct cache *c, uint32_t key)
{
	struct centry *pg, *e;

	if (!c->top || !(pg = c->top[key >> 12]))
		return NULL;
	e = &pg[key & (CPAGE - 1)];
	return e->p ? e : NULL;
}

/* The key's entry, made (with its page) when make is set. */
static struct centry *cache_slot(struct cache *c, uint32_t key, int make)
{
	struct centry *pg;

	if (!c->top) {
		if (!make)
			return NULL;
		c->top = xcalloc((size_t)1 << CTOP_BITS, sizeof *c->top);
		c->bytes += ((size_t)1 << CTOP_BITS) * sizeof *c->top;
	}
	if (!(pg = c->top[key >> 12])) {
		if (!make)
			return NULL;
		pg = c->top[key >> 12] = (struct centry *)cache_room(c, CPAGE * sizeof *pg);
		memset(pg, 0, CPAGE * sizeof *pg);
		if (c->nused == c->capused) {
			c->capused = c->capused ? 2 * c->capused : 256;
			c->used = xrealloc(c->used, c->capused * sizeof *c->used);
		}
		c->used[c->nused++] = key >> 12;
	}
	return &pg[key & (CPAGE - 1)];
}

/* Point the entries of the batch's cached ops at them (after the ops moved,
 * or the cache was emptied with ops queued). */
static void cache_track(struct store *s)
{
	size_t i;

	for (i = 0; i < s->nops; i++) {
		const struct op *o = &s->ops[i];
		struct cache *c;
		if (o->cached == 1 && (c = cache_of(s, o->dbi)))
			cache_slot(c, key32(s->arena.p + o->koff), 1)->op = (uint32_t)i + 1;
	}
}

/* Room for n bytes that stays where it is until the cache is reset. */
static char *cache_room(struct cache *c, size_t n)
{
	char *p;
	size_t size;

	n = (n + 7) & ~(size_t)7;
	if (c->nblocks && c->bfill + n <= CBLOCK) {
		p = c->blocks[c->nblocks - 1] + c->bfill;
		c->bfill += n;
		return p;
	}
	size = n > CBLOCK ? n : CBLOCK;
	c->blocks = xrealloc(c->blocks, (c->nblocks + 1) * sizeof *c->blocks);
	c->bsizes = xrealloc(c->bsizes, (c->nblocks + 1) * sizeof *c->bsizes);
	p = size == CBLOCK && c->nspare ? c->spare[--c->nspare] : xmalloc_huge(size);
	c->bsizes[c->nblocks] = size;
	c->blocks[c->nblocks++] = p;
	c->bfill = n > CBLOCK ? CBLOCK : n;
	c->bytes += size;
	return p;
}

/* A room a value left, for another: rooms are 8-byte aligned and hold at
 * least cap bytes; one of k * 16 bytes or more goes to class k. */
static void room_leave(struct cache *c, char *p, size_t cap)
{
	size_t k = cap / 16;

	if (k && k < CFREE_CLASSES) {
		memcpy(p, &c->freed[k], sizeof(char *));
		c->freed[k] = p;
	}
}

/* A room left of at least n bytes and little more, or NULL; *cap gets
 * what it holds. */
static char *room_reuse(struct cache *c, size_t n, uint32_t *cap)
{
	size_t k = (n + 15) / 16, end = k + 4;
	char *p;

	if (!k)
		k = 1;
	for (; k < end && k < CFREE_CLASSES; k++)
		if ((p = c->freed[k])) {
			memcpy(&c->freed[k], p, sizeof(char *));
			*cap = (uint32_t)(k * 16);
			return p;
		}
	return NULL;
}

static void cache_set(struct cache *c, uint32_t key, const void *v, size_t n)
{
	struct centry *e = cache_slot(c, key, 1);

	if (!e->p)
		c->nents++;
	if (!e->p || n > e->cap) {
		/* values grow (a profile takes a day, a person an
		 * identifier): room to spare, or every few updates would take
		 * another room, and the one left would rarely fit another */
		size_t cap = (n + n / 4 + 16) & ~(size_t)15;
		uint32_t got;
		char *p;
		if (e->p)
			room_leave(c, e->p, e->cap);
		if ((p = room_reuse(c, cap, &got))) {
			e->p = p;
			e->cap = got;
		} else {
			e->p = cache_room(c, cap);
			e->cap = (uint32_t)cap;
		}
	}
	if (n)
		memcpy(e->p, v, n);
	e->len = (uint32_t)n;
}

static void cache_del(struct cache *c, uint32_t key)
{
	struct centry *e = cache_find(c, key);

	if (e) {
		room_leave(c, e->p, e->cap);
		e->p = NULL;
		c->nents--;
	}
}

static int done_has(const struct cache *c, uint32_t key)
{
	const uint64_t *pg;

	if (!c->done || !(pg = c->done[key >> 16]))
		return 0;
	return pg == DONE_ALL || (pg[(key & 0xffff) >> 6] >> (key & 63) & 1);
}

/* A value read from the DB: kept unless the cache answers for the key
 * already (the same value, or a newer one from the journal). */
static void cache_fill(struct cache *c, uint32_t key, const void *v, size_t n)
{
	struct centry *e = cache_slot(c, key, 0);

	if ((e && (e->p || e->jr)) || done_has(c, key))
		return;
	cache_set(c, key, v, n);
}

/* Mark keys lo..hi (inclusive) as answered by the cache. */
static void done_mark(struct cache *c, uint32_t lo, uint32_t hi)
{
	uint64_t k = lo;

	if (!c->done) {
		c->done = xcalloc(65536, sizeof *c->done);
		c->bytes += 65536 * sizeof *c->done;
	}
	while (k <= hi) {
		uint32_t page = (uint32_t)(k >> 16);
		uint64_t end = ((uint64_t)page << 16) | 0xffff, *pg;
		if (end > hi)
			end = hi;
		if (c->done[page] == DONE_ALL) {
			k = end + 1;
			continue;
		}
		if ((k & 0xffff) == 0 && (end & 0xffff) == 0xffff) {
			free(c->done[page]);
			c->done[page] = DONE_ALL;
			k = end + 1;
			continue;
		}
		if (!(pg = c->done[page])) {
			pg = c->done[page] = xcalloc(1024, sizeof *pg);
			c->bytes += 1024 * sizeof *pg;
		}
		for (; k <= end; k++)
			pg[(k & 0xffff) >> 6] |= 1ull << (k & 63);
	}
}

int store_cache(struct store *s, MDB_dbi dbi)
{
	if (cache_of(s, dbi) || (s->flags & STORE_RDONLY) || !s->cache_max)
		return 0;
	s->caches = xrealloc(s->caches, (size_t)(s->ncaches + 1) * sizeof *s->caches);
	memset(&s->caches[s->ncaches], 0, sizeof *s->caches);
	s->caches[s->ncaches++].dbi = dbi;
	return 0;
}

static uint32_t key32(const void *p)
{
	return store_get_be32(p);
}

/*
 * Look key up through the cache: on a miss, copy in the whole leaf page
 * LMDB finds it on (or would), and mark that page's span as answered.
 * Returns 1/0/-1 as store_get, or 2 when the cache is full (read LMDB).
 */
static int cache_get(struct store *s, struct cache *c, uint32_t key, MDB_val *val)
{
	struct centry *e = cache_slot(c, key, 0);
	unsigned char kb[4];
	MDB_cursor *cur;
	MDB_val k, v;
	uintptr_t page;
	uint32_t lo = key, hi;
	int rc, end = 0;

	if (e && e->p) {
		s->cache_hits++;
		val->mv_data = e->p;
		val->mv_size = e->len;
		return 1;
	}
	if ((e && e->jr) || done_has(c, key)) { /* absent (deleted in the journal) */
		s->cache_hits++;
		return 0;
	}
	if (cache_bytes(s) > s->cache_max)
		return 2;
	if (renew(s) || (rc = mdb_cursor_open(s->rtxn, c->dbi, &cur)))
		return 2;
	s->cache_loads++;
	store_be32(kb, key);
	k.mv_data = kb;
	k.mv_size = 4;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		done_mark(c, key, UINT32_MAX);
		return 0;
	}
	if (rc || k.mv_size != 4) {
		mdb_cursor_close(cur);
		return 2;
	}
	page = (uintptr_t)k.mv_data & ~(uintptr_t)(s->pagesize - 1);
	/* forward to the page's last key (or the DB's) */
	for (;;) {
		hi = key32(k.mv_data);
		cache_fill(c, hi, v.mv_data, v.mv_size);
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		if (rc == MDB_NOTFOUND) {
			end = 1;
			break;
		}
		if (rc || k.mv_size != 4 || ((uintptr_t)k.mv_data & ~(uintptr_t)(s->pagesize - 1)) != page)
			break;
	}
	if (rc && rc != MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		return 2;
	}
	/* back to the page's first key */
	k.mv_data = kb;
	k.mv_size = 4;
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0) {
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		if (rc || k.mv_size != 4 || ((uintptr_t)k.mv_data & ~(uintptr_t)(s->pagesize - 1)) != page)
			break;
		lo = key32(k.mv_data);
		cache_fill(c, lo, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	done_mark(c, lo, end ? UINT32_MAX : hi);
	e = cache_find(c, key);
	if (!e)
		return 0;
	val->mv_data = e->p;
	val->mv_size = e->len;
	return 1;
}

/* Start fetching the key and (the head of) the value of the op that a
 * walk of the sorted batch reaches some ops later: the arena is in queue
 * order, so those reads miss. */
static void op_prefetch(const struct store *s, size_t i)
{
	const struct op *o;
	size_t n, j;

	if (i >= s->nops)
		return;
	o = &s->ops[i];
	__builtin_prefetch(s->arena.p + o->koff);
	n = o->vlen < 256 ? o->vlen : 256;
	for (j = 0; j < n; j += 64)
		__builtin_prefetch(s->arena.p + o->voff + j);
}

#define OP_AHEAD 8

/* After a commit: the committed ops of cached DBs update their caches. */
static void cache_commit(struct store *s)
{
	size_t i;

	for (i = 0; i < s->nops; i++) {
		const struct op *o = &s->ops[i];
		struct cache *c = cache_of(s, o->dbi);

		op_prefetch(s, i + OP_AHEAD);
		if (!c)
			continue;
		if (RANGE_OP(o->kind) || o->klen != 4) {
			cache_reset(c);
			continue;
		}
		if (o->kind == OP_PUT)
			cache_set(c, key32(s->arena.p + o->koff), s->arena.p + o->voff, o->vlen);
		else
			cache_del(c, key32(s->arena.p + o->koff));
		if (o->cached == 1 || (s->jnow && c->journal)) {
			struct centry *e = cache_slot(c, key32(s->arena.p + o->koff), 1);
			e->op = 0;
			if (s->jnow && c->journal) {
				/* newer than the DB until the journal is folded: a
				 * deleted key is answered absent from here on */
				if (!e->jr) {
					if (c->njkeys == c->capjkeys) {
						c->capjkeys = c->capjkeys ? 2 * c->capjkeys : 4096;
						c->jkeys = xrealloc(c->jkeys, c->capjkeys * sizeof *c->jkeys);
					}
					c->jkeys[c->njkeys++] = key32(s->arena.p + o->koff);
				}
				e->jr = 1;
				if (o->kind == OP_DEL)
					done_mark(c, key32(s->arena.p + o->koff), key32(s->arena.p + o->koff));
			}
		}
	}
	for (i = 0; i < (size_t)s->ncaches; i++)
		if (s->jnow && s->caches[i].journal)
			s->caches[i].jrecs += s->caches[i].jadd;
}

static const struct store *sort_ctx;

static int op_cmp(const void *a, const void *b)
{
	const struct op *x = a, *y = b;
	const char *ar = sort_ctx->arena.p;
	size_t n;
	int c;

	/* range deletes first, in queue order; then by dbi, key, sequence */
	if (RANGE_OP(x->kind) != RANGE_OP(y->kind))
		return RANGE_OP(x->kind) ? -1 : 1;
	if (!RANGE_OP(x->kind)) {
		if (x->dbi != y->dbi)
			return x->dbi < y->dbi ? -1 : 1;
		n = x->klen < y->klen ? x->klen : y->klen;
		c = memcmp(ar + x->koff, ar + y->koff, n);
		if (c)
			return c;
		if (x->klen != y->klen)
			return x->klen < y->klen ? -1 : 1;
	}
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int del_below(MDB_txn *txn, const struct store *s, const struct op *o)
{
	MDB_cursor *cur;
	MDB_val k, v;
	size_t done = 0;
	int rc;

	if ((rc = mdb_cursor_open(txn, o->dbi, &cur)))
		return rc;
	if (!o->vlen && o->max && (rc = mdb_cursor_get(cur, &k, &v, MDB_LAST)) == 0) {
		/* every key goes: empty the DB, a page at a time, not a key
		 * at a time (what max bounds is the work of one commit) */
		size_t n = k.mv_size < o->klen ? k.mv_size : o->klen;
		int c = memcmp(k.mv_data, s->arena.p + o->koff, n);
		if (c < 0 || (c == 0 && k.mv_size < o->klen)) {
			mdb_cursor_close(cur);
			return mdb_drop(txn, o->dbi, 0);
		}
	}
	if (o->vlen) {
		k.mv_data = s->arena.p + o->voff;
		k.mv_size = o->vlen;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	}
	while (rc == 0 && done < o->max) {
		size_t n = k.mv_size < o->klen ? k.mv_size : o->klen;
		int c = memcmp(k.mv_data, s->arena.p + o->koff, n);
		if (c > 0 || (c == 0 && k.mv_size >= o->klen))
			break;
		if ((rc = mdb_cursor_del(cur, 0)))
			break;
		done++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_GET_CURRENT);
		if (rc == EINVAL || rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Append op o of journaled cache c to its journal. */
static int journal_add(struct store *s, MDB_txn *txn, struct cache *c, const struct op *o,
		       MDB_cursor **jcur, MDB_dbi *jdbi)
{
	unsigned char key[8];
	MDB_val k = {8, key}, v;
	int rc;

	if (!*jcur || *jdbi != c->jdbi) {
		if (*jcur)
			mdb_cursor_close(*jcur);
		*jcur = NULL;
		if ((rc = mdb_cursor_open(txn, c->jdbi, jcur)))
			return rc;
		*jdbi = c->jdbi;
	}
	store_be64(key, c->jrecs + c->jadd);
	v.mv_size = JHEAD + (o->kind == OP_PUT ? o->vlen : 0);
	if ((rc = mdb_cursor_put(*jcur, &k, &v, MDB_APPEND | MDB_RESERVE)))
		return rc;
	((char *)v.mv_data)[0] = o->kind == OP_PUT ? 'p' : 'd';
	memcpy((char *)v.mv_data + 1, s->arena.p + o->koff, 4);
	if (o->kind == OP_PUT && o->vlen)
		memcpy((char *)v.mv_data + JHEAD, s->arena.p + o->voff, o->vlen);
	c->jadd++;
	return 0;
}

static int apply(struct store *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL, *jcur = NULL;
	MDB_dbi cdbi = 0, jdbi = 0;
	int append = 0; /* try appending: keys may go past the end of cdbi */
	unsigned misses = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < (size_t)s->ncaches; i++)
		s->caches[i].jadd = 0;
	for (i = 0; i < s->nops; i++) {
		const struct op *o = &s->ops[i];
		MDB_val k = {o->klen, s->arena.p + o->koff};
		MDB_val v = {o->vlen, s->arena.p + o->voff};

		op_prefetch(s, i + OP_AHEAD);

		if (s->jnow && o->klen == 4 && (o->kind == OP_PUT || o->kind == OP_DEL)) {
			struct cache *c = cache_of(s, o->dbi);
			if (c && c->journal) {
				if ((rc = journal_add(s, txn, c, o, &jcur, &jdbi)))
					break;
				continue;
			}
		}
		switch (o->kind) {
		case OP_PUT:
			/* sorted keys past the current end append cheaply (streams
			 * keyed by time do); anything else is an ordinary put */
			if (!cur || cdbi != o->dbi) {
				if (cur)
					mdb_cursor_close(cur);
				if ((rc = mdb_cursor_open(txn, o->dbi, &cur)))
					return rc;
				cdbi = o->dbi;
				append = 1;
				misses = 0;
			}
			if (append) {
				rc = mdb_cursor_put(cur, &k, &v, MDB_APPEND);
				if (rc != MDB_KEYEXIST)
					break;
				/* not past the end: put it in place; later keys of
				 * the sorted batch may be past the end again */
				if (++misses > 64)
					append = 0;
			}
			rc = mdb_cursor_put(cur, &k, &v, 0);
			break;
		case OP_DEL: {
			/* through the cursor: the batch is sorted, so the key is
			 * mostly on the page the cursor is on, which LMDB looks at
			 * before it searches from the root (mdb_del always
			 * searches); MDB_NODUPDATA deletes every value of a
			 * DUPSORT key, as mdb_del does, and nothing else */
			MDB_val dv;
			if (!cur || cdbi != o->dbi) {
				if (cur)
					mdb_cursor_close(cur);
				if ((rc = mdb_cursor_open(txn, o->dbi, &cur)))
					return rc;
				cdbi = o->dbi;
				append = 1;
				misses = 0;
			}
			rc = mdb_cursor_get(cur, &k, &dv, MDB_SET);
			if (rc == 0)
				rc = mdb_cursor_del(cur, MDB_NODUPDATA);
			else if (rc == MDB_NOTFOUND)
				rc = 0;
			break;
		}
		case OP_DEL_BELOW:
			rc = del_below(txn, s, o);
			break;
		case OP_CLEAR:
			rc = mdb_drop(txn, o->dbi, 0);
			break;
		}
		if (rc)
			break;
	}
	if (cur)
		mdb_cursor_close(cur);
	if (jcur)
		mdb_cursor_close(jcur);
	return rc;
}

/* Point the index at the ops again after they were sorted. */
static void rebuild_index(struct store *s)
{
	s->nslots /= 2;
	index_grow(s);
	cache_track(s);
}

/* Are the ops already in commit order? (Streams keyed by time mostly are.) */
static int sorted(const struct store *s)
{
	size_t i;

	for (i = 1; i < s->nops; i++)
		if (op_cmp(&s->ops[i - 1], &s->ops[i]) > 0)
			return 0;
	return 1;
}

static int skey_cmp(const void *a, const void *b)
{
	const struct skey *x = a, *y = b;
	return op_cmp(&sort_ctx->ops[x->i], &sort_ctx->ops[y->i]);
}

/* Sort n keys that tie on their prefix by the whole key: a merge sort
 * with tmp (n entries) for room, as a library sort would allocate for
 * each run (and a batch of long keys has many runs). */
static void skey_sort(struct skey *a, struct skey *tmp, size_t n)
{
	size_t i, j, k, h;

	if (n <= 12) {
		for (i = 1; i < n; i++) {
			struct skey x = a[i];
			for (j = i; j > 0 && skey_cmp(&a[j - 1], &x) > 0; j--)
				a[j] = a[j - 1];
			a[j] = x;
		}
		return;
	}
	h = n / 2;
	skey_sort(a, tmp, h);
	skey_sort(a + h, tmp + h, n - h);
	for (i = 0, j = h, k = 0; i < h && j < n;)
		tmp[k++] = skey_cmp(&a[j], &a[i]) < 0 ? a[j++] : a[i++];
	while (i < h)
		tmp[k++] = a[i++];
	memcpy(a, tmp, k * sizeof *a);
}

#define RADIX_BITS 16
#define RADIX_N (1u << RADIX_BITS)
#define RADIX_SMALL 64 /* a DB's ops up to this many: a merge sort */

/* Bits at..at+RADIX_BITS-1 of a sort key's 128-bit prefix (pfx the upper
 * half), bit 0 the least significant. */
static unsigned digit(const struct skey *k, unsigned at)
{
	uint64_t x;

	if (at >= 64)
		x = k->pfx >> (at - 64);
	else if (at + RADIX_BITS <= 64)
		x = k->pfx2 >> at;
	else
		x = k->pfx2 >> at | k->pfx << (64 - at);
	return (unsigned)x & (RADIX_N - 1);
}

/* Sort the n keys of a (one DB's ops, in queue order) by their prefix: a
 * stable radix sort, RADIX_BITS a pass, only over the digits that differ
 * somewhere in a (a DB's keys share most of their bytes: a 4-byte key
 * leaves 12 zero bytes, a timer's the stream and the upper bytes of the
 * time). b is room for n. Returns where the sorted keys are, a or b. */
static struct skey *radix_sort(struct skey *a, struct skey *b, size_t n, size_t *count)
{
	uint64_t or1 = 0, and1 = UINT64_MAX, or2 = 0, and2 = UINT64_MAX;
	struct skey *t;
	unsigned at;
	size_t i, j;

	for (i = 0; i < n; i++) {
		or1 |= a[i].pfx, and1 &= a[i].pfx;
		or2 |= a[i].pfx2, and2 &= a[i].pfx2;
	}
	for (at = 0; at < 128; at += RADIX_BITS) {
		struct skey diff = {or1 ^ and1, or2 ^ and2, 0, 0};
		size_t sum = 0;
		if (!digit(&diff, at))
			continue; /* every key has the same digit here */
		memset(count, 0, RADIX_N * sizeof *count);
		for (i = 0; i < n; i++)
			count[digit(&a[i], at)]++;
		for (j = 0; j < RADIX_N; j++) {
			size_t c = count[j];
			count[j] = sum;
			sum += c;
		}
		for (i = 0; i < n; i++)
			b[count[digit(&a[i], at)]++] = a[i];
		t = a, a = b, b = t;
	}
	return a;
}

/*
 * Put the batch in commit order (op_cmp's) without a comparison sort: the
 * ops go to their DBs (a counting sort on the dbi, stable), then each DB's
 * are radix sorted on their first 16 key bytes; then runs that tie on that
 * prefix (longer keys) are sorted in full. Range ops keep queue order, first.
 */
static void sort_ops(struct store *s)
{
	size_t n = s->nops, nr = 0, np = 0, i, j, *count;
	size_t at[MAX_DBS + 3] = {0}; /* LMDB's handles are below MAX_DBS + 2 */
	struct skey *a, *b;
	struct op *out;

	for (i = 0; i < n; i++)
		if (s->ops[i].dbi >= MAX_DBS + 2) {
			qsort(s->ops, s->nops, sizeof *s->ops, op_cmp);
			return;
		}
	if (!s->spare)
		s->spare = xmalloc(s->cap * sizeof *s->spare);
	if (!s->sk)
		s->sk = xmalloc(2 * s->cap * sizeof *s->sk);
	if (!s->count)
		s->count = xmalloc(RADIX_N * sizeof *s->count);
	out = s->spare, a = s->sk, b = s->sk + s->cap, count = s->count;
	for (i = 0; i < n; i++) {
		if (RANGE_OP(s->ops[i].kind))
			out[nr++] = s->ops[i];
		else
			at[s->ops[i].dbi + 1]++;
	}
	for (j = 1; j < MAX_DBS + 3; j++)
		at[j] += at[j - 1];
	for (i = 0; i < n; i++) {
		const struct op *o = &s->ops[i];
		unsigned char k[16] = {0};
		struct skey *e;
		if (RANGE_OP(o->kind))
			continue;
		e = &a[at[o->dbi]++];
		memcpy(k, s->arena.p + o->koff, o->klen < 16 ? o->klen : 16);
		e->pfx = store_get_be64(k);
		e->pfx2 = store_get_be64(k + 8);
		e->dbi = (uint32_t)o->dbi;
		e->i = (uint32_t)i;
		np++;
	}
	/* at[d] is now where DB d's keys end */
	for (i = 0, j = 0; j < MAX_DBS + 2; i = at[j++]) {
		size_t m = at[j] - i;
		if (m <= 1)
			continue;
		if (m <= RADIX_SMALL)
			skey_sort(a + i, b + i, m);
		else if (radix_sort(a + i, b + i, m, count) != a + i)
			memcpy(a + i, b + i, m * sizeof *a);
	}
	for (i = 0; i < np; i = j) {
		for (j = i + 1; j < np && a[j].pfx == a[i].pfx && a[j].pfx2 == a[i].pfx2 && a[j].dbi == a[i].dbi;
		     j++)
			;
		if (j - i > 1)
			skey_sort(a + i, b + i, j - i);
	}
	for (i = 0; i < np; i++)
		out[nr + i] = s->ops[a[i].i];
	s->spare = s->ops;
	s->ops = out;
}

void store_on_commit(struct store *s, void (*fn)(void *ctx), void *ctx)
{
	s->on_commit = fn;
	s->on_commit_ctx = ctx;
}

int store_commit(struct store *s)
{
	MDB_txn *txn;
	size_t j;
	int rc, i;

	if (s->on_commit)
		s->on_commit(s->on_commit_ctx);
	if (!s->nops)
		return 0;
	/* journaled DBs append to their journals, unless the batch deletes a
	 * range of one: then the journals go into the DBs first, and the
	 * batch with them */
	s->jnow = 0;
	for (i = 0; i < s->ncaches; i++)
		s->jnow |= s->caches[i].journal;
	for (j = 0; s->jnow && j < s->nops; j++) {
		struct cache *c;
		if (RANGE_OP(s->ops[j].kind) && (c = cache_of(s, s->ops[j].dbi)) && c->journal) {
			s->jnow = 0;
			for (i = 0; i < s->ncaches; i++)
				if ((rc = fold(s, &s->caches[i])))
					return rc;
		}
	}
	sort_ctx = s;
	if (s->nops < 4096) { /* small batches: the radix passes cost more */
		if (!sorted(s))
			qsort(s->ops, s->nops, sizeof *s->ops, op_cmp);
	} else if (!sorted(s)) {
		sort_ops(s);
	}
	store_read_end(s);
	s->wwhat = s->jnow ? "a batch (journaled)" : "a batch";
	for (;;) {
		if ((rc = wbegin(s, &txn))) {
			rebuild_index(s); /* the batch stays queued */
			return rc;
		}
		rc = apply(s, txn);
		if (!rc) {
			rc = wend(s, txn, 0);
			txn = NULL;
		}
		if (rc != MDB_MAP_FULL)
			break;
		if (txn)
			wend(s, txn, 1);
		txn = NULL;
		/* grow the map and apply the batch again */
		{
			MDB_envinfo info;
			mdb_env_info(s->env, &info);
			s->mapsize = info.me_mapsize * 2;
		}
		if (s->mapsize > s->mapmax) {
			cli_err("store of %s is full at %zu bytes (UOPS_MAP_MAX)", s->owner,
				s->mapsize / 2);
			rebuild_index(s);
			return EXIT_IO;
		}
		if (s->snapshots) {
			cli_err("store of %s is full at %zu bytes while a snapshot is open",
				s->owner, s->mapsize / 2);
			rebuild_index(s);
			return EXIT_BUG;
		}
		if (s->rtxn) {
			mdb_txn_abort(s->rtxn);
			s->rtxn = NULL;
			s->rlive = 0;
		}
		if ((rc = mdb_env_set_mapsize(s->env, s->mapsize))) {
			lerr("cannot grow store of", s->owner, rc);
			rebuild_index(s);
			return EXIT_IO;
		}
		s->map_addr = NULL;
		s->map_len = 0;
		s->grows++;
	}
	if (rc) {
		if (txn)
			wend(s, txn, 1);
		wl_drop(s);
		lerr("cannot commit store of", s->owner, rc);
		rebuild_index(s); /* the batch stays queued, in its new order */
		return env_code(rc);
	}
	s->commits++;
	s->nops_total += s->nops;
	if (s->ncaches)
		cache_commit(s);
	discard(s, 0);
	if (s->flags & STORE_TRIM)
		trim(s);
	return s->ncaches ? after_commit(s) : 0;
}

void store_discard(struct store *s)
{
	discard(s, 1);
}

static void discard(struct store *s, int untrack)
{
	size_t i, used, nops = s->nops;

	for (i = 0; i < s->nops && untrack && s->ncaches; i++) {
		const struct op *o = &s->ops[i];
		struct cache *c;
		struct centry *e;
		if (o->cached == 1 && (c = cache_of(s, o->dbi)) && (e = cache_slot(c, key32(s->arena.p + o->koff), 0)))
			e->op = 0;
	}
	s->nops = 0;
	s->nindexed = 0;
	/* a batch like this one needs the room again: a large arena goes only
	 * when this batch used under a quarter of it (regrowing it would copy
	 * and fault its pages in every batch) */
	used = s->arena.len;
	buf_reset(&s->arena);
	if (s->slots)
		memset(s->slots, 0, s->nslots * sizeof *s->slots);
	if (s->arena.cap > (64u << 20) && used < s->arena.cap / 4) {
		buf_release(&s->arena);
		free(s->slots);
		s->slots = NULL;
		s->nslots = 0;
	}
	/* the same for the op arrays and the sort's (104 bytes an op of
	 * cap): a huge batch's (a catch-up, a replay) are not held for the
	 * rest of the run by the small batches after it */
	if (s->cap > OPS_KEEP && nops < s->cap / 4) {
		free(s->ops);
		free(s->spare);
		free(s->sk);
		s->ops = s->spare = NULL;
		s->sk = NULL;
		s->cap = 0;
	}
}

static int offsets_dbi(struct store *s)
{
	char name[96];

	if (s->have_offsets)
		return 0;
	snprintf(name, sizeof name, "%s.offsets", s->owner);
	if (store_dbi(s, name, 0, &s->offsets))
		return -1;
	s->have_offsets = 1;
	return 0;
}

static size_t offset_key(char *key, size_t cap, const char *topic, int32_t part)
{
	size_t n = strlen(topic);

	if (n + 5 > cap)
		n = cap - 5;
	memcpy(key, topic, n);
	key[n] = 0;
	store_be32((unsigned char *)key + n + 1, (uint32_t)part);
	return n + 5;
}

int64_t store_offset_get(struct store *s, const char *topic, int32_t partition)
{
	char key[300];
	size_t kl;
	MDB_val v;

	if (offsets_dbi(s))
		return -1;
	kl = offset_key(key, sizeof key, topic, partition);
	if (store_get(s, s->offsets, key, kl, &v) != 1 || v.mv_size != 8)
		return -1;
	return (int64_t)store_get_be64(v.mv_data);
}

void store_offset_put(struct store *s, const char *topic, int32_t partition,
		      int64_t next)
{
	char key[300];
	unsigned char v[8];
	size_t kl;

	if (offsets_dbi(s))
		return;
	kl = offset_key(key, sizeof key, topic, partition);
	store_be64(v, (uint64_t)next);
	store_put(s, s->offsets, key, kl, v, 8);
}

void store_stats(const struct store *s, struct store_stats *st)
{
	st->commits = s->commits;
	st->ops = s->nops_total;
	st->grows = s->grows;
	st->cache_hits = s->cache_hits;
	st->cache_loads = s->cache_loads;
	st->folds = s->folds;
	st->rewrites = s->rewrites;
	st->compacts = s->compacts;
	st->mapsize = s->mapsize;
	st->cache_max = s->cache_max;
	st->lock_hold_max_ns = s->hold_max;
	st->lock_wait_max_ns = s->wait_max;
	st->lock_waits = s->lock_waits;
}

void store_print(const struct store *s)
{
	fprintf(stderr, "%s: store: %llu commits, %llu journal folds (%llu by rewriting the DB), "
		"%llu cache compactions, cache budget %zu MB\n", cli_prog, s->commits, s->folds,
		s->rewrites, s->compacts, s->cache_max >> 20);
	fprintf(stderr, "%s: store: write lock held at most %.3f s (%s); waited for it %llu times, "
		"at most %.3f s, %.3f s in all\n", cli_prog, (double)s->hold_max / 1e9,
		s->hold_what ? s->hold_what : "none", s->lock_waits, (double)s->wait_max / 1e9,
		(double)s->wait_sum / 1e9);
}

void store_tune(struct store *s, size_t journal_min, size_t fold_part, size_t rewrite_keys)
{
	s->rewrite_keys = rewrite_keys;
	s->journal_min = journal_min;
	s->journal_factor = 1;
	s->fold_part = fold_part ? fold_part : 1;
}
