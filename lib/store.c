#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "hash.h"

#define MAX_DBS 64
#define MAP_START (64ull << 20)
#define MAP_MAX_DEFAULT (1ull << 40)

enum { OP_PUT, OP_DEL, OP_DEL_BELOW, OP_CLEAR };
#define RANGE_OP(k) ((k) == OP_DEL_BELOW || (k) == OP_CLEAR)

struct op {
	uint32_t seq;
	uint8_t kind;
	MDB_dbi dbi;
	size_t koff, klen, voff, vlen;
	size_t max; /* OP_DEL_BELOW */
};

struct skey {
	uint64_t pfx, pfx2; /* the key's first 16 bytes, big-endian, zero-padded */
	uint32_t dbi, i;
};

struct store {
	MDB_env *env;
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
	unsigned long long commits, nops_total, grows;
	unsigned gets; /* LMDB lookups since the last trim */
	int snapshots; /* open store_snapshot transactions */
	char *dir;
	void *map_addr; /* the read-only map, found in /proc/self/maps */
	size_t map_len;
	int map_missing;
};

#define TRIM_EVERY 16384

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
	s->owner = xstrdup(owner);
	s->dir = xstrdup(dir);
	s->flags = flags;
	s->mapmax = max && *max ? strtoull(max, NULL, 10) : MAP_MAX_DEFAULT;
	if (!(flags & STORE_RDONLY) && mkdir(dir, 0775) && errno != EEXIST) {
		cli_err("cannot create store directory '%s': %s", dir, strerror(errno));
		goto fail;
	}
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
		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) ||
		    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta))) {
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
	} else if (rc == MDB_NOTFOUND && txn) {
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
		if ((rc = mdb_put(txn, s->meta, &k, &v, 0)) || (rc = mdb_txn_commit(txn))) {
			txn = NULL;
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
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->rtxn)
		mdb_txn_abort(s->rtxn);
	if (s->env)
		mdb_env_close(s->env);
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

int store_dbi(struct store *s, const char *name, unsigned flags, MDB_dbi *dbi)
{
	MDB_txn *txn;
	int rc;

	if (s->flags & STORE_RDONLY) {
		if (renew(s))
			return -1;
		rc = mdb_dbi_open(s->rtxn, name, flags, dbi);
		if (rc == MDB_NOTFOUND) {
			cli_err("store has no DB '%s' (has %s run on it?)", name,
				s->owner);
			return -1;
		}
		if (rc)
			return lerr("cannot open DB", name, rc), -1;
		return 0;
	}
	store_read_end(s);
	rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	if (rc == MDB_MAP_RESIZED) {
		mdb_env_set_mapsize(s->env, 0);
		s->map_addr = NULL;
		s->map_len = 0;
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	}
	if (rc)
		return lerr("cannot open DB", name, rc), -1;
	rc = mdb_dbi_open(txn, name, flags | MDB_CREATE, dbi);
	if (rc) {
		mdb_txn_abort(txn);
		return lerr("cannot open DB", name, rc), -1;
	}
	if ((rc = mdb_txn_commit(txn)))
		return lerr("cannot open DB", name, rc), -1;
	return 0;
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

		if (RANGE_OP(o->kind))
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
	struct op *o;
	uint64_t *slot = NULL, h = 0;

	if (!RANGE_OP(kind) && (s->nops + 1) * 2 > s->nslots)
		index_grow(s);
	if (!RANGE_OP(kind) && (o = op_find(s, dbi, k, kl, &slot, &h))) {
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
	o->dbi = dbi;
	o->max = max;
	o->klen = kl;
	o->vlen = vl;
	{
		const void *ps[2] = {k, v};
		size_t lens[2] = {kl, vl}, *offs[2] = {&o->koff, &o->voff};
		arena_add(s, 2, ps, lens, offs);
	}
	if (slot)
		*slot = TAG(h) | ((uint64_t)s->nops + 1);
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

int store_bulk(struct store *s, int (*fill)(void *ctx, MDB_txn *txn), void *ctx)
{
	MDB_txn *txn;
	int rc;

	store_read_end(s);
	for (;;) {
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(s->env, 0);
			s->map_addr = NULL;
			s->map_len = 0;
			rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		}
		if (rc) {
			lerr("cannot begin write transaction in store of", s->owner, rc);
			return EXIT_IO;
		}
		rc = fill(ctx, txn);
		if (!rc) {
			rc = mdb_txn_commit(txn);
			txn = NULL;
		}
		if (rc != MDB_MAP_FULL)
			break;
		if (txn)
			mdb_txn_abort(txn);
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
			mdb_txn_abort(txn);
		lerr("cannot write store of", s->owner, rc);
		return EXIT_IO;
	}
	s->commits++;
	return 0;
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
	o = op_find(s, dbi, key, klen, &slot, &h);
	if (!o)
		return 0;
	if (o->kind == OP_DEL)
		return 2;
	val->mv_data = s->arena.p + o->voff;
	val->mv_size = o->vlen;
	return 1;
}

int store_get(struct store *s, MDB_dbi dbi, const void *key, size_t klen,
	      MDB_val *val)
{
	MDB_val k;
	int rc;

	rc = store_get_pending(s, dbi, key, klen, val);
	if (rc)
		return rc == 1;
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

static int apply(struct store *s, MDB_txn *txn)
{
	MDB_cursor *cur = NULL;
	MDB_dbi cdbi = 0;
	int append = 0; /* try appending: keys may go past the end of cdbi */
	unsigned misses = 0;
	size_t i;
	int rc = 0;

	for (i = 0; i < s->nops; i++) {
		const struct op *o = &s->ops[i];
		MDB_val k = {o->klen, s->arena.p + o->koff};
		MDB_val v = {o->vlen, s->arena.p + o->voff};

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
		case OP_DEL:
			rc = mdb_del(txn, o->dbi, &k, NULL);
			if (rc == MDB_NOTFOUND)
				rc = 0;
			break;
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
	return rc;
}

/* Point the index at the ops again after they were sorted. */
static void rebuild_index(struct store *s)
{
	s->nslots /= 2;
	index_grow(s);
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

/* Digit d (16 bits) of a sort key, least significant first: the key's
 * bytes 8-15, then 0-7, then the dbi. */
static unsigned digit(const struct skey *k, int d)
{
	return d < 4 ? (unsigned)(k->pfx2 >> (16 * d)) & 0xffff
	       : d < 8 ? (unsigned)(k->pfx >> (16 * (d - 4))) & 0xffff
		       : k->dbi & 0xffff;
}

/*
 * Put the batch in commit order (op_cmp's) without a comparison sort: a
 * stable radix sort on (dbi, first 16 key bytes), 16 bits a pass, skipping
 * passes where every op has the same digit; then runs that tie on that
 * prefix (longer keys) are sorted in full. Range ops keep queue order, first.
 */
static void sort_ops(struct store *s)
{
	size_t n = s->nops, nr = 0, np = 0, i, j, *count;
	struct skey *a, *b, *t;
	struct op *out;
	int pass;

	if (!s->spare)
		s->spare = xmalloc(s->cap * sizeof *s->spare);
	if (!s->sk)
		s->sk = xmalloc(2 * s->cap * sizeof *s->sk);
	if (!s->count)
		s->count = xmalloc(65536 * sizeof *s->count);
	out = s->spare, a = s->sk, b = s->sk + s->cap, count = s->count;
	for (i = 0; i < n; i++)
		if (RANGE_OP(s->ops[i].kind))
			out[nr++] = s->ops[i];
	for (i = 0; i < n; i++) {
		const struct op *o = &s->ops[i];
		unsigned char k[16] = {0};
		if (RANGE_OP(o->kind))
			continue;
		memcpy(k, s->arena.p + o->koff, o->klen < 16 ? o->klen : 16);
		a[np].pfx = store_get_be64(k);
		a[np].pfx2 = store_get_be64(k + 8);
		a[np].dbi = (uint32_t)o->dbi;
		a[np].i = (uint32_t)i;
		np++;
	}
	for (pass = 0; pass < 9; pass++) {
		size_t sum = 0;
		memset(count, 0, 65536 * sizeof *count);
		for (i = 0; i < np; i++)
			count[digit(&a[i], pass)]++;
		if (np && count[digit(&a[0], pass)] == np)
			continue;
		for (j = 0; j < 65536; j++) {
			size_t c = count[j];
			count[j] = sum;
			sum += c;
		}
		for (i = 0; i < np; i++)
			b[count[digit(&a[i], pass)]++] = a[i];
		t = a, a = b, b = t;
	}
	for (i = 0; i < np; i = j) {
		for (j = i + 1; j < np && a[j].pfx == a[i].pfx && a[j].pfx2 == a[i].pfx2 && a[j].dbi == a[i].dbi;
		     j++)
			;
		if (j - i > 1)
			qsort(a + i, j - i, sizeof *a, skey_cmp);
	}
	for (i = 0; i < np; i++)
		out[nr + i] = s->ops[a[i].i];
	s->spare = s->ops;
	s->ops = out;
}

int store_commit(struct store *s)
{
	MDB_txn *txn;
	int rc;

	if (!s->nops)
		return 0;
	sort_ctx = s;
	if (s->nops < 4096) { /* small batches: the radix passes cost more */
		if (!sorted(s))
			qsort(s->ops, s->nops, sizeof *s->ops, op_cmp);
	} else if (!sorted(s)) {
		sort_ops(s);
	}
	store_read_end(s);
	for (;;) {
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		if (rc == MDB_MAP_RESIZED) {
			mdb_env_set_mapsize(s->env, 0);
			s->map_addr = NULL;
			s->map_len = 0;
			rc = mdb_txn_begin(s->env, NULL, 0, &txn);
		}
		if (rc) {
			lerr("cannot begin write transaction in store of", s->owner, rc);
			return EXIT_IO;
		}
		rc = apply(s, txn);
		if (!rc) {
			rc = mdb_txn_commit(txn);
			txn = NULL;
		}
		if (rc != MDB_MAP_FULL)
			break;
		if (txn)
			mdb_txn_abort(txn);
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
			mdb_txn_abort(txn);
		lerr("cannot commit store of", s->owner, rc);
		rebuild_index(s); /* the batch stays queued, in its new order */
		return env_code(rc);
	}
	s->commits++;
	s->nops_total += s->nops;
	store_discard(s);
	if (s->flags & STORE_TRIM)
		trim(s);
	return 0;
}

void store_discard(struct store *s)
{
	s->nops = 0;
	buf_reset(&s->arena);
	if (s->slots)
		memset(s->slots, 0, s->nslots * sizeof *s->slots);
	if (s->arena.cap > (64u << 20)) {
		buf_release(&s->arena);
		free(s->slots);
		s->slots = NULL;
		s->nslots = 0;
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
	st->mapsize = s->mapsize;
}
