/*
 * t-store - the LMDB store: batches, reads, range deletes, offsets, the
 * meta DB, reopening, map growth and the map limit, in a temporary
 * directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "io.h"
#include "store.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-store-XXXXXX";
static char pathbuf[4][512];
static int pathn;

static const char *at(const char *name)
{
	char *p = pathbuf[pathn++ % 4];

	snprintf(p, sizeof pathbuf[0], "%s/%s", dir, name);
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Diagnostics the store prints on purpose go to a file, to be checked. */
static int saved_err = -1;

static void quiet_begin(void)
{
	int fd = open(at("stderr.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	fflush(stderr);
	saved_err = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void quiet_end(struct buf *b)
{
	char err[200];

	fflush(stderr);
	dup2(saved_err, 2);
	close(saved_err);
	buf_reset(b);
	if (io_slurp(at("stderr.txt"), b, err, sizeof err))
		buf_adds(b, err);
}

static struct store *open_store(const char *name, const char *owner,
				unsigned flags, int *code)
{
	return store_open(at(name), owner, flags, code);
}

/* The value of key in dbi as a string ("-" when absent, "ERR" on error). */
static const char *get(struct store *s, MDB_dbi dbi, const char *key,
		       struct buf *b)
{
	MDB_val v;
	int rc = store_get(s, dbi, key, strlen(key), &v);

	buf_reset(b);
	if (rc == 1)
		buf_add(b, v.mv_data, v.mv_size);
	else
		buf_adds(b, rc == 0 ? "-" : "ERR");
	return b->p;
}

/* store_get_pending as a string: "put:<value>", "del", "none". */
static const char *pending(struct store *s, MDB_dbi dbi, const char *key,
			   struct buf *b)
{
	MDB_val v;
	int rc = store_get_pending(s, dbi, key, strlen(key), &v);

	buf_reset(b);
	if (rc == 1) {
		buf_adds(b, "put:");
		buf_add(b, v.mv_data, v.mv_size);
	} else {
		buf_printf(b, rc == 2 ? "del" : rc == 0 ? "none" : "rc %d", rc);
	}
	return b->p;
}

/* The committed value of key, read through store_read_txn. */
static const char *committed(struct store *s, MDB_dbi dbi, const char *key,
			     struct buf *b)
{
	MDB_txn *txn = store_read_txn(s);
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc;

	buf_reset(b);
	if (!txn)
		return buf_adds(b, "NO TXN"), b->p;
	rc = mdb_get(txn, dbi, &k, &v);
	if (rc == 0)
		buf_add(b, v.mv_data, v.mv_size);
	else
		buf_adds(b, rc == MDB_NOTFOUND ? "-" : mdb_strerror(rc));
	return b->p;
}

/* All keys of dbi in order, "k1 k2 ...", through a cursor. */
static const char *keys(struct store *s, MDB_dbi dbi, struct buf *b)
{
	MDB_txn *txn = store_read_txn(s);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	buf_reset(b);
	buf_adds(b, "");
	if (!txn || mdb_cursor_open(txn, dbi, &cur))
		return buf_adds(b, "ERR"), b->p;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (b->len)
			buf_addc(b, ' ');
		buf_add(b, k.mv_data, k.mv_size);
	}
	mdb_cursor_close(cur);
	return b->p;
}

static size_t count(struct store *s, MDB_dbi dbi)
{
	MDB_txn *txn = store_read_txn(s);
	MDB_stat st;

	if (!txn || mdb_stat(txn, dbi, &st))
		return (size_t)-1;
	return st.ms_entries;
}

static void put(struct store *s, MDB_dbi dbi, const char *k, const char *v)
{
	store_put(s, dbi, k, strlen(k), v, strlen(v));
}

static void del(struct store *s, MDB_dbi dbi, const char *k)
{
	store_del(s, dbi, k, strlen(k));
}

/* Key i and a value of n bytes that depends on i. */
static size_t mkey(char *k, size_t i)
{
	return (size_t)snprintf(k, 32, "key%09zu", i);
}

static void mval(char *v, size_t i, size_t n)
{
	size_t j;

	for (j = 0; j < n; j++)
		v[j] = (char)('a' + (i * 31 + j) % 26);
	if (n >= 8)
		memcpy(v, &i, sizeof i < n ? sizeof i : n);
}

static void test_basic(void)
{
	struct buf b = BUF_INIT;
	struct store *s;
	struct store_stats st;
	struct stat sb;
	MDB_dbi kv, other;
	int code = -1;

	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(code, 0);
	T_EQ_INT(stat(at("main/data.mdb"), &sb), 0);
	T_EQ_INT(store_dbi(s, "t.kv", 0, &kv), 0);
	T_EQ_INT(store_dbi(s, "t.other", 0, &other), 0);
	T_OK(kv != other);
	T_EQ_INT(store_pending(s), 0);
	T_EQ_INT(store_commit(s), 0); /* an empty batch */

	/* queued puts are visible at once, but not committed */
	put(s, kv, "k1", "v1");
	T_EQ_INT(store_pending(s), 1);
	T_EQ_STR(get(s, kv, "k1", &b), "v1");
	T_EQ_STR(pending(s, kv, "k1", &b), "put:v1");
	T_EQ_STR(committed(s, kv, "k1", &b), "-");
	/* the same key in another DB is another key */
	T_EQ_STR(get(s, other, "k1", &b), "-");
	T_EQ_STR(pending(s, other, "k1", &b), "none");
	T_EQ_STR(get(s, kv, "k", &b), "-");
	T_EQ_STR(get(s, kv, "k1x", &b), "-");
	/* a queued delete of an absent key */
	del(s, kv, "k2");
	T_EQ_STR(pending(s, kv, "k2", &b), "del");
	T_EQ_STR(get(s, kv, "k2", &b), "-");
	T_EQ_INT(store_pending(s), 2);
	/* empty values and binary keys */
	store_put(s, kv, "\0\1", 2, "", 0);
	T_EQ_STR(pending(s, kv, "", &b), "none");
	{
		MDB_val v;
		T_EQ_INT(store_get(s, kv, "\0\1", 2, &v), 1);
		T_EQ_INT(v.mv_size, 0);
		T_EQ_INT(store_get(s, kv, "\0", 1, &v), 0);
	}

	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(store_pending(s), 0);
	T_EQ_STR(pending(s, kv, "k1", &b), "none");
	T_EQ_STR(pending(s, kv, "k2", &b), "none");
	T_EQ_STR(get(s, kv, "k1", &b), "v1");
	T_EQ_STR(committed(s, kv, "k1", &b), "v1");
	T_EQ_STR(get(s, kv, "k2", &b), "-");
	{
		MDB_val v;
		T_EQ_INT(store_get(s, kv, "\0\1", 2, &v), 1);
		T_EQ_INT(v.mv_size, 0);
	}
	store_stats(s, &st);
	T_EQ_INT(st.commits, 1);
	T_EQ_INT(st.ops, 3);
	T_EQ_INT(st.grows, 0);
	T_EQ_INT(st.mapsize, 64 << 20);

	/* delete a committed key: gone for store_get at once */
	del(s, kv, "k1");
	T_EQ_STR(get(s, kv, "k1", &b), "-");
	T_EQ_STR(pending(s, kv, "k1", &b), "del");
	T_EQ_STR(committed(s, kv, "k1", &b), "v1");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get(s, kv, "k1", &b), "-");
	T_EQ_STR(committed(s, kv, "k1", &b), "-");

	/* the same key several times in one batch: the last one wins */
	put(s, kv, "dup", "first");
	put(s, kv, "dup", "2");
	T_EQ_STR(get(s, kv, "dup", &b), "2");
	put(s, kv, "dup", "third value");
	T_EQ_STR(get(s, kv, "dup", &b), "third value");
	T_EQ_INT(store_pending(s), 1); /* one op a key */
	put(s, kv, "pd", "x");
	del(s, kv, "pd");
	T_EQ_STR(get(s, kv, "pd", &b), "-");
	T_EQ_STR(pending(s, kv, "pd", &b), "del");
	del(s, kv, "dp");
	put(s, kv, "dp", "back");
	T_EQ_STR(get(s, kv, "dp", &b), "back");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get(s, kv, "dup", &b), "third value");
	T_EQ_STR(get(s, kv, "pd", &b), "-");
	T_EQ_STR(get(s, kv, "dp", &b), "back");
	/* ... also across a committed value */
	put(s, kv, "dup", "4");
	del(s, kv, "dup");
	put(s, kv, "dup", "5");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get(s, kv, "dup", &b), "5");

	/* a discarded batch leaves no trace */
	put(s, kv, "gone", "x");
	del(s, kv, "dup");
	store_discard(s);
	T_EQ_INT(store_pending(s), 0);
	T_EQ_STR(get(s, kv, "gone", &b), "-");
	T_EQ_STR(get(s, kv, "dup", &b), "5");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get(s, kv, "gone", &b), "-");
	T_EQ_STR(get(s, kv, "dup", &b), "5");

	/* the read transaction ends and renews */
	store_read_end(s);
	T_EQ_STR(get(s, kv, "dp", &b), "back");
	store_read_end(s);
	store_read_end(s);
	T_EQ_STR(committed(s, kv, "dp", &b), "back");

	T_EQ_INT(count(s, kv), 3); /* and "\0\1" */
	store_del(s, kv, "\0\1", 2);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, kv, &b), "dp dup");
	store_stats(s, &st);
	T_EQ_INT(st.commits, 5);
	store_close(s);
	buf_release(&b);
}

/* Many keys in one batch (the pending index grows), with overwrites. */
static void test_many(void)
{
	struct store *s;
	MDB_dbi dbi;
	MDB_val v;
	char k[32], val[64];
	size_t i, bad = 0, kl;
	int code;

	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.many", 0, &dbi), 0);
	for (i = 0; i < 30000; i++) {
		kl = mkey(k, i);
		mval(val, i, 10 + i % 50);
		store_put(s, dbi, k, kl, val, 10 + i % 50);
	}
	/* overwrite every third, delete every seventh */
	for (i = 0; i < 30000; i += 3) {
		kl = mkey(k, i);
		store_put(s, dbi, k, kl, "over", 4);
	}
	for (i = 0; i < 30000; i += 7)
		store_del(s, dbi, k, mkey(k, i));
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < 30000; i++) {
			int rc;
			kl = mkey(k, i);
			rc = store_get(s, dbi, k, kl, &v);
			mval(val, i, 10 + i % 50);
			if (i % 7 == 0)
				bad += rc != 0;
			else if (i % 3 == 0)
				bad += rc != 1 || v.mv_size != 4 ||
				       memcmp(v.mv_data, "over", 4);
			else
				bad += rc != 1 || v.mv_size != 10 + i % 50 ||
				       memcmp(v.mv_data, val, v.mv_size);
		}
		T_EQ_INT(bad, 0);
		if (pass == 0)
			T_EQ_INT(store_commit(s), 0);
	}
	T_EQ_INT(count(s, dbi), 30000 - (30000 + 6) / 7);
	store_close(s);
}

/* A batch of more ops than the store keeps arrays for (OPS_KEEP, 2^20),
 * then small batches: the huge batch's arrays are let go and taken again,
 * and every batch still lands whole (puts, put_unique, a discarded one). */
static void test_huge_batch(void)
{
	struct store *s;
	MDB_dbi dbi;
	MDB_val v;
	char k[32], val[16];
	size_t i, bad = 0, kl, n = ((size_t)1 << 20) + 1000;
	int code, round;

	s = open_store("huge", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.huge", 0, &dbi), 0);
	for (i = 0; i < n; i++) {
		kl = mkey(k, i);
		mval(val, i, 12);
		store_put(s, dbi, k, kl, val, 12);
	}
	T_EQ_INT(store_commit(s), 0);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 1000; i++) {
			kl = mkey(k, n + round * 1000 + i);
			if (i % 2)
				store_put_unique(s, dbi, k, kl, "small", 5);
			else
				store_put(s, dbi, k, kl, "small", 5);
		}
		store_del(s, dbi, k, mkey(k, (size_t)round));
		T_EQ_INT(store_commit(s), 0);
	}
	put(s, dbi, "key999999999", "gone");
	store_discard(s);
	T_EQ_INT(store_commit(s), 0);
	for (i = 0; i < n + 3000; i++) {
		int rc;
		kl = mkey(k, i);
		rc = store_get(s, dbi, k, kl, &v);
		mval(val, i, 12);
		if (i < 3)
			bad += rc != 0;
		else if (i >= n)
			bad += rc != 1 || v.mv_size != 5 || memcmp(v.mv_data, "small", 5);
		else
			bad += rc != 1 || v.mv_size != 12 || memcmp(v.mv_data, val, 12);
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(store_get(s, dbi, "key999999999", 12, &v), 0);
	T_EQ_INT(count(s, dbi), n + 3000 - 3);
	store_close(s);
}

/* Keys that tie on their first 8 bytes, that differ only by length or by
 * trailing zero bytes, in two DBs, queued in a scrambled order: the commit
 * stores each one once, with the last value it was given. */
static int keycmp(const void *a, const void *b)
{
	const unsigned char *x = a, *y = b; /* [0] length, then the bytes */
	int c = memcmp(x + 1, y + 1, x[0] < y[0] ? x[0] : y[0]);
	return c ? c : x[0] - y[0];
}

static void test_order(void)
{
	enum { N = 3000 };
	static unsigned char ref[2][N][32];
	static size_t nref[2];
	struct store *s;
	MDB_dbi dbi[2];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint64_t x = 88172645463325252ull;
	size_t i, d, bad = 0, alias = 0;
	int code;

	s = open_store("order", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.o1", 0, &dbi[0]), 0);
	T_EQ_INT(store_dbi(s, "t.o2", 0, &dbi[1]), 0);
	for (i = 0; i < 4 * N; i++) {
		unsigned char key[32], val[4];
		size_t n, j, f;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		d = x & 1;
		n = 1 + (x >> 1) % 24;
		for (j = 0; j < n; j++)
			key[j] = "\0\1a"[(x >> (8 + 2 * j)) % 3];
		if (n > 17 && j % 2) /* share a prefix past the sort's 16 bytes */
			memset(key, 1, 17);
		else if (n > 3 && j % 2) /* share a long prefix */
			memcpy(key, "\1\1\1", 3);
		for (f = 0; f < nref[d]; f++)
			if (ref[d][f][0] == n && !memcmp(ref[d][f] + 1, key, n))
				break;
		if (f == nref[d]) {
			if (nref[d] == N)
				continue;
			ref[d][f][0] = (unsigned char)n;
			memcpy(ref[d][f] + 1, key, n);
			nref[d]++;
		}
		memcpy(val, &i, 4);
		store_put(s, dbi[d], key, n, val, 4);
		ref[d][f][30] = (unsigned char)i;
		ref[d][f][31] = (unsigned char)(i >> 8);
	}
	/* a value read back from the batch can be put again */
	for (d = 0; d < 2; d++)
		for (i = 0; i < nref[d]; i += 5) {
			if (store_get(s, dbi[d], ref[d][i] + 1, ref[d][i][0], &v) != 1)
				continue;
			store_put(s, dbi[d], ref[d][i] + 1, ref[d][i][0], v.mv_data, v.mv_size);
			alias++;
		}
	T_OK(alias > 0);
	T_OK(store_pending(s) == nref[0] + nref[1]);
	/* and under new keys, while the batch grows (it moves in memory) */
	for (i = 0; i < 2000; i++) {
		char nk[64];
		unsigned char want[4];
		int nl = snprintf(nk, sizeof nk, "zz-copy-%06zu-of-a-value-read-back-from-the-batch", i);
		if (store_get(s, dbi[0], ref[0][i % nref[0]] + 1, ref[0][i % nref[0]][0], &v) != 1 || v.mv_size != 4)
			continue;
		memcpy(want, v.mv_data, 4);
		store_put(s, dbi[0], nk, (size_t)nl, v.mv_data, v.mv_size);
		if (store_get(s, dbi[0], nk, (size_t)nl, &v) != 1 || v.mv_size != 4 || memcmp(v.mv_data, want, 4))
			bad++;
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(store_commit(s), 0);
	txn = store_read_txn(s);
	for (d = 0; d < 2; d++) {
		qsort(ref[d], nref[d], sizeof ref[d][0], keycmp);
		T_OK(txn && !mdb_cursor_open(txn, dbi[d], &cur));
		i = 0;
		for (int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), i++) {
			const unsigned char *w = v.mv_data;
			if (i >= nref[d] && k.mv_size > 3 && !memcmp(k.mv_data, "zz-", 3))
				continue; /* the copies, checked above */
			bad += i >= nref[d] || k.mv_size != ref[d][i][0] ||
			       memcmp(k.mv_data, ref[d][i] + 1, k.mv_size) || v.mv_size != 4 ||
			       w[0] != ref[d][i][30] || w[1] != ref[d][i][31];
		}
		mdb_cursor_close(cur);
		T_EQ_INT(i, nref[d] + (d == 0 ? 2000 : 0));
	}
	T_EQ_INT(bad, 0);
	store_close(s);
}

static void test_del_below(void)
{
	static const char *const ks[] = { "k2", "a", "k", "k1000", "k1", "k100",
					  "k10", "b", NULL };
	struct buf b = BUF_INIT;
	struct store *s;
	MDB_dbi dbi, big;
	char k[32], val[128];
	size_t i;
	int code;

	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.below", 0, &dbi), 0);
	for (i = 0; ks[i]; i++)
		put(s, dbi, ks[i], "v");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "a b k k1 k10 k100 k1000 k2");

	/* max 0 deletes nothing */
	store_del_below(s, dbi, "z", 1, 0);
	T_EQ_INT(store_pending(s), 1);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "a b k k1 k10 k100 k1000 k2");

	/* at most max keys, from the first */
	store_del_below(s, dbi, "k100", 4, 2);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "k k1 k10 k100 k1000 k2");

	/* only keys sorting before the bound: prefixes of it do, the bound
	 * itself and longer keys do not */
	store_del_below(s, dbi, "k100", 4, 100);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "k100 k1000 k2");
	store_del_below(s, dbi, "k100", 4, 100);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "k100 k1000 k2");
	/* an empty bound: nothing sorts before it */
	store_del_below(s, dbi, "", 0, 100);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "k100 k1000 k2");

	/* a delete queued before a put of a key below the bound: the put stays */
	store_del_below(s, dbi, "k3", 2, 100);
	put(s, dbi, "a2", "new");
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "a2");
	/* everything, on an empty DB too */
	store_del_below(s, dbi, "\xff", 1, 100);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "");
	store_del_below(s, dbi, "\xff", 1, 100);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(count(s, dbi), 0);

	/* every key sorts before the bound: the DB is emptied whole, past
	 * max (which bounds the work of a commit, and emptying is cheap) */
	for (i = 0; ks[i]; i++)
		put(s, dbi, ks[i], "v");
	T_EQ_INT(store_commit(s), 0);
	store_del_below(s, dbi, "k3", 2, 2);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "");
	/* … but not when one key does not */
	for (i = 0; ks[i]; i++)
		put(s, dbi, ks[i], "v");
	T_EQ_INT(store_commit(s), 0);
	store_del_below(s, dbi, "k2", 2, 2);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "k k1 k10 k100 k1000 k2");
	store_del_below(s, dbi, "\xff", 1, 1);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(keys(s, dbi, &b), "");

	/* over many pages: exactly max deleted, in key order; and only in
	 * the DB asked for */
	T_EQ_INT(store_dbi(s, "t.below-big", 0, &big), 0);
	for (i = 0; i < 5000; i++) {
		size_t kl = mkey(k, i);
		mval(val, i, sizeof val);
		store_put(s, big, k, kl, val, sizeof val);
		if (i < 10)
			store_put(s, dbi, k, kl, "x", 1);
	}
	T_EQ_INT(store_commit(s), 0);
	mkey(k, 4000);
	store_del_below(s, big, k, strlen(k), 3000);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(count(s, big), 2000);
	T_EQ_INT(count(s, dbi), 10);
	mkey(k, 2999);
	T_EQ_STR(get(s, big, k, &b), "-");
	mkey(k, 3000);
	T_OK(strcmp(get(s, big, k, &b), "-") != 0);
	/* the bound stops it before max */
	store_del_below(s, big, k, strlen(k), 1000); /* below key 3000: none */
	mkey(k, 3500);
	store_del_below(s, big, k, strlen(k), 100000);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(count(s, big), 1500);
	mkey(k, 3500);
	T_OK(strcmp(get(s, big, k, &b), "-") != 0);
	mkey(k, 3499);
	T_EQ_STR(get(s, big, k, &b), "-");
	store_close(s);
	buf_release(&b);
}

static void test_offsets(void)
{
	struct store *s;
	int code;

	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_offset_get(s, "topic", 0), -1);
	store_offset_put(s, "topic", 0, 42);
	store_offset_put(s, "topic", 1, 7);
	store_offset_put(s, "other", 0, 99);
	store_offset_put(s, "topic", -1, 5);
	store_offset_put(s, "big", 2, (int64_t)1 << 40);
	store_offset_put(s, "zero", 0, 0);
	/* visible before the commit */
	T_EQ_INT(store_offset_get(s, "topic", 0), 42);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(store_offset_get(s, "topic", 0), 42);
	T_EQ_INT(store_offset_get(s, "topic", 1), 7);
	T_EQ_INT(store_offset_get(s, "topic", -1), 5);
	T_EQ_INT(store_offset_get(s, "other", 0), 99);
	T_EQ_INT(store_offset_get(s, "big", 2), (int64_t)1 << 40);
	T_EQ_INT(store_offset_get(s, "zero", 0), 0);
	T_EQ_INT(store_offset_get(s, "topic", 2), -1);
	T_EQ_INT(store_offset_get(s, "topi", 0), -1);
	T_EQ_INT(store_offset_get(s, "topic0", 0), -1);
	T_EQ_INT(store_offset_get(s, "other", 1), -1);
	T_EQ_INT(store_offset_get(s, "", 0), -1);
	/* overwrite */
	store_offset_put(s, "topic", 0, 43);
	T_EQ_INT(store_offset_get(s, "topic", 0), 43);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(store_offset_get(s, "topic", 0), 43);
	/* an offset and state in one batch, discarded together */
	store_offset_put(s, "topic", 0, 50);
	store_discard(s);
	T_EQ_INT(store_offset_get(s, "topic", 0), 43);
	store_close(s);

	/* offsets belong to their owner */
	s = open_store("main", "u", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_offset_get(s, "topic", 0), -1);
	store_offset_put(s, "topic", 0, 1000);
	T_EQ_INT(store_commit(s), 0);
	store_close(s);
	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_offset_get(s, "topic", 0), 43);
	store_close(s);
}

/* Meta entries as "key=value;..." through a cursor on the meta DB. */
static const char *meta(struct store *s, struct buf *b)
{
	MDB_dbi m;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	buf_reset(b);
	buf_adds(b, "");
	if (store_dbi(s, "meta", 0, &m) || !(txn = store_read_txn(s)) ||
	    mdb_cursor_open(txn, m, &cur))
		return buf_adds(b, "ERR"), b->p;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		buf_add(b, k.mv_data, k.mv_size);
		buf_addc(b, '=');
		buf_add(b, v.mv_data, v.mv_size);
		buf_addc(b, ';');
	}
	mdb_cursor_close(cur);
	return b->p;
}

static void test_reopen_meta(void)
{
	struct buf b = BUF_INIT, want = BUF_INIT, err = BUF_INIT;
	struct store *s;
	MDB_dbi kv, m;
	int code = -1;

	s = open_store("main", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(code, 0);
	T_EQ_INT(store_dbi(s, "t.kv", 0, &kv), 0);
	T_EQ_STR(get(s, kv, "dup", &b), "5");
	T_EQ_STR(get(s, kv, "dp", &b), "back");
	T_EQ_STR(get(s, kv, "k1", &b), "-");
	buf_printf(&want, "format=%d;t.version=%s;u.version=%s;", STORE_FORMAT,
		   UOPS_VERSION, UOPS_VERSION);
	T_EQ_STR(meta(s, &b), want.p);
	store_close(s);

	/* read-only: the data, the meta DB; no new DBs */
	s = open_store("main", "q", STORE_RDONLY, &code);
	T_OK(s != NULL);
	if (s) {
		T_EQ_INT(code, 0);
		T_EQ_INT(store_dbi(s, "t.kv", 0, &kv), 0);
		T_EQ_STR(get(s, kv, "dup", &b), "5");
		store_read_end(s);
		T_EQ_STR(get(s, kv, "dp", &b), "back");
		T_EQ_STR(meta(s, &b), want.p); /* no "q.version" */
		quiet_begin();
		T_EQ_INT(store_dbi(s, "t.nonesuch", 0, &m), -1);
		quiet_end(&err);
		T_OK(strstr(err.p, "t.nonesuch") != NULL);
		store_close(s);
	}

	/* read-only open of a missing store fails, and creates nothing */
	quiet_begin();
	s = open_store("missing", "t", STORE_RDONLY, &code);
	quiet_end(&err);
	T_OK(s == NULL);
	T_EQ_INT(code, EXIT_IO);
	T_OK(strstr(err.p, "missing") != NULL);
	T_OK(access(at("missing"), F_OK) != 0);
	/* ... or of a directory without an environment */
	mkdir(at("emptydir"), 0755);
	quiet_begin();
	s = open_store("emptydir", "t", STORE_RDONLY, &code);
	quiet_end(&err);
	T_OK(s == NULL);
	T_EQ_INT(code, EXIT_IO);
	T_OK(access(at("emptydir/data.mdb"), F_OK) != 0);
	/* a parent that does not exist */
	quiet_begin();
	s = open_store("no/such", "t", 0, &code);
	quiet_end(&err);
	T_OK(s == NULL);
	T_EQ_INT(code, EXIT_IO);
	T_OK(strstr(err.p, "cannot create store directory") != NULL);

	/* a store of a newer format is refused with 78 */
	s = open_store("newer", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (s) {
		T_EQ_INT(store_dbi(s, "meta", 0, &m), 0);
		put(s, m, "format", "9");
		T_EQ_INT(store_commit(s), 0);
		store_close(s);
		quiet_begin();
		s = open_store("newer", "t", STORE_NOSYNC, &code);
		quiet_end(&err);
		T_OK(s == NULL);
		T_EQ_INT(code, EXIT_CONFIG);
		T_OK(strstr(err.p, "format 9") != NULL);
		store_close(s);
		quiet_begin();
		s = open_store("newer", "t", STORE_RDONLY, &code);
		quiet_end(&err);
		T_OK(s == NULL);
		T_EQ_INT(code, EXIT_CONFIG);
		store_close(s);
	}
	buf_release(&b);
	buf_release(&want);
	buf_release(&err);
}

/* Write n values of vlen bytes in batches into dbi; the first failing
 * commit's code, or 0. */
static int fill(struct store *s, MDB_dbi dbi, size_t from, size_t n,
		size_t vlen, size_t batch)
{
	char k[32], *v = xmalloc(vlen);
	size_t i;
	int rc = 0;

	for (i = from; i < from + n && !rc; i++) {
		mval(v, i, vlen);
		store_put(s, dbi, k, mkey(k, i), v, vlen);
		if ((i + 1 - from) % batch == 0 || i + 1 == from + n)
			rc = store_commit(s);
	}
	free(v);
	return rc;
}

/* How many of keys [from, from+n) read back with their value (committed
 * state only: the batch must be empty). */
static size_t check_fill(struct store *s, MDB_dbi dbi, size_t from, size_t n,
			 size_t vlen)
{
	char k[32], *v = xmalloc(vlen);
	size_t i, good = 0;
	MDB_val got;

	for (i = from; i < from + n; i++) {
		mval(v, i, vlen);
		if (store_get(s, dbi, k, mkey(k, i), &got) == 1 &&
		    got.mv_size == vlen && !memcmp(got.mv_data, v, vlen))
			good++;
	}
	free(v);
	return good;
}

static void test_grow(void)
{
	struct store *s;
	struct store_stats st;
	MDB_dbi dbi;
	int code;

	/* 100k values of 1 KiB do not fit the initial 64 MiB */
	setenv("UOPS_MAP_MAX", "1099511627776", 1);
	s = open_store("grow", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.big", 0, &dbi), 0);
	store_stats(s, &st);
	T_EQ_INT(st.mapsize, 64 << 20);
	T_EQ_INT(fill(s, dbi, 0, 100000, 1024, 10000), 0);
	store_stats(s, &st);
	T_OK(st.grows > 0);
	T_OK(st.mapsize >= 128u << 20);
	T_EQ_INT(st.commits, 10);
	T_EQ_INT(st.ops, 100000);
	T_EQ_INT(check_fill(s, dbi, 0, 100000, 1024), 100000);
	T_EQ_INT(count(s, dbi), 100000);
	store_close(s);
	/* the grown map is kept on reopening */
	s = open_store("grow", "t", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.big", 0, &dbi), 0);
	store_stats(s, &st);
	T_OK(st.mapsize >= 128u << 20);
	T_EQ_INT(check_fill(s, dbi, 0, 100000, 1024), 100000);
	store_close(s);
	unsetenv("UOPS_MAP_MAX");
}

/* A bulk fill in steps: 100k values of 1 KiB, a commit every 10k. */
struct bstep {
	struct store *s;
	MDB_dbi dbi;
	int runs, wrong;
};

static int bstep_fill(void *ctx, MDB_txn *txn)
{
	struct bstep *b = ctx;
	char k[32], v[1024];
	size_t i;
	int rc;

	b->runs++;
	if ((rc = mdb_drop(txn, b->dbi, 0)))
		return rc;
	for (i = 0; i < 100000; i++) {
		MDB_val kv, vv;
		mval(v, i, sizeof v);
		kv.mv_size = mkey(k, i);
		kv.mv_data = k;
		vv.mv_size = sizeof v;
		vv.mv_data = v;
		if ((rc = mdb_put(txn, b->dbi, &kv, &vv, 0)))
			return rc;
		if ((i + 1) % 10000 == 0 && (rc = store_bulk_step(b->s, &txn)))
			return rc;
	}
	{
		MDB_txn *other = NULL; /* not the fill's: refused */
		b->wrong = store_bulk_step(b->s, &other);
	}
	return 0;
}

static void test_bulk_step(void)
{
	struct store *s;
	struct store_stats st;
	struct bstep b = {0};
	MDB_txn *none = NULL;
	int code;

	/* the values do not fit the initial 64 MiB: a step fails with
	 * MDB_MAP_FULL, and the fill runs again whole in a bigger map */
	setenv("UOPS_MAP_MAX", "1099511627776", 1);
	s = open_store("bstep", "t", 0, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.bulk", 0, &b.dbi), 0);
	T_EQ_INT(store_bulk_step(s, &none), EINVAL); /* outside a fill */
	b.s = s;
	T_EQ_INT(store_bulk(s, bstep_fill, &b), 0);
	T_OK(b.runs >= 2);
	T_EQ_INT(b.wrong, EINVAL);
	store_stats(s, &st);
	T_OK(st.grows > 0);
	T_OK(st.commits >= 10);
	T_EQ_INT(check_fill(s, b.dbi, 0, 100000, 1024), 100000);
	T_EQ_INT(count(s, b.dbi), 100000);
	store_close(s);
	/* all of it durable: read again after reopening */
	s = open_store("bstep", "t", 0, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.bulk", 0, &b.dbi), 0);
	T_EQ_INT(count(s, b.dbi), 100000);
	store_close(s);
	unsetenv("UOPS_MAP_MAX");
}

static void test_map_max(void)
{
	struct buf err = BUF_INIT;
	struct store *s;
	struct store_stats st;
	MDB_dbi dbi;
	int code, rc;

	setenv("UOPS_MAP_MAX", "70000000", 1);
	s = open_store("small", "t", STORE_NOSYNC, &code);
	unsetenv("UOPS_MAP_MAX");
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "t.big", 0, &dbi), 0);
	T_EQ_INT(fill(s, dbi, 0, 1000, 1024, 1000), 0);
	/* one batch of 80 MB cannot fit: 74, and none of it is committed */
	quiet_begin();
	rc = fill(s, dbi, 1000, 80000, 1024, 80000);
	quiet_end(&err);
	T_EQ_INT(rc, EXIT_IO);
	T_OK(strstr(err.p, "UOPS_MAP_MAX") != NULL);
	T_EQ_INT(store_pending(s), 80000); /* the batch is still queued */
	store_discard(s);
	store_stats(s, &st);
	T_EQ_INT(st.grows, 0);
	T_EQ_INT(st.commits, 1);
	T_EQ_INT(check_fill(s, dbi, 1000, 80000, 1024), 0);
	T_EQ_INT(check_fill(s, dbi, 0, 1000, 1024), 1000);
	T_EQ_INT(count(s, dbi), 1000);
	/* the store is still usable for what fits */
	T_EQ_INT(fill(s, dbi, 1000, 1000, 1024, 1000), 0);
	T_EQ_INT(check_fill(s, dbi, 0, 2000, 1024), 2000);
	store_close(s);
	buf_release(&err);
}

/*
 * The read cache of a 4-byte-keyed DB against a model: random puts, deletes,
 * gets, commits, discards, range deletes and bulk writes, keys dense and
 * sparse (across the cache's pages), a budget small enough to be passed;
 * every get must agree with the model, and at the end an uncached reader
 * sees what the model says was committed.
 */
#define CK 3000

static uint32_t ckey(unsigned i)
{
	/* dense at the bottom, then sparse over a million keys, and a few up
	 * to the top of the key space (each of those in a page of entries of
	 * its own) */
	if (i < CK / 2)
		return i * 3;
	if (i < CK - 24)
		return 0x10000u + (uint32_t)(i * 2654435761u) % 1000000u;
	return (uint32_t)(i * 2654435761u) | 0x80000000u;
}

static int cache_fill(void *ctx, MDB_txn *txn)
{
	MDB_dbi dbi = *(MDB_dbi *)ctx;
	unsigned char k[4];
	MDB_val kv = {4, k}, vv = {5, "bulk!"};

	store_be32(k, ckey(7));
	return mdb_put(txn, dbi, &kv, &vv, 0);
}

/* A reader's view (store_get and store_scan, with any journal) equals the
 * model; returns the number of differences. It runs in a child process:
 * one process must not open an LMDB environment twice. */
static unsigned reader_agrees_here(const char *name, int (*len)[CK], char (*val)[CK][40]);

static unsigned reader_agrees(const char *name, int (*len)[CK], char (*val)[CK][40])
{
	int st;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return 1;
	if (!pid) {
		unsigned bad = reader_agrees_here(name, len, val);
		_exit(bad > 100 ? 100 : (int)bad);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return 1;
	return (unsigned)WEXITSTATUS(st);
}

static unsigned reader_agrees_here(const char *name, int (*len)[CK], char (*val)[CK][40])
{
	struct store *r;
	struct store_scan it;
	MDB_dbi rdbi;
	MDB_val k, v;
	unsigned char kb[4];
	unsigned i, bad = 0, seen = 0, want = 0;
	int code, rc;
	uint32_t prev = 0;

	r = store_open(at(name), "tc", STORE_RDONLY, &code);
	if (!r)
		return 1;
	if (store_dbi(r, "tc.people", 0, &rdbi) || store_journal(r, rdbi, "tc.j")) {
		store_close(r);
		return 1;
	}
	for (i = 0; i < CK; i++) {
		store_be32(kb, ckey(i));
		rc = store_get(r, rdbi, kb, 4, &v);
		if ((*len)[i] < 0)
			bad += rc != 0;
		else
			bad += rc != 1 || v.mv_size != (size_t)(*len)[i] || memcmp(v.mv_data, (*val)[i], v.mv_size);
		want += (*len)[i] >= 0;
	}
	if (store_scan_open(r, rdbi, &it)) {
		store_close(r);
		return bad + 1;
	}
	while ((rc = store_scan_next(&it, &k, &v)) == 1) {
		uint32_t key = store_get_be32(k.mv_data);
		unsigned j;
		if (seen++ && key <= prev)
			bad++; /* out of order, or twice */
		prev = key;
		for (j = 0; j < CK && ckey(j) != key; j++)
			;
		bad += j == CK || (*len)[j] < 0 || v.mv_size != (size_t)(*len)[j] ||
		       memcmp(v.mv_data, (*val)[j], v.mv_size);
	}
	bad += rc != 0 || seen != want;
	store_scan_close(&it);
	store_close(r);
	return bad;
}

static void test_cache(const char *name, const char *budget, int journal, unsigned steps)
{
	static char cval[CK][40], pval[CK][40];
	static int clen[CK], plen[CK]; /* -1 absent; committed / pending */
	struct store *s, *r;
	MDB_dbi dbi, rdbi;
	uint64_t rng = 0x1234567;
	unsigned char k[4];
	unsigned i, step, bad = 0, badr = 0, commits = 0;
	int code;
	MDB_val v;
	struct store_stats st;

	setenv("UOPS_CACHE_MB", budget, 1);
	s = open_store(name, "tc", STORE_NOSYNC, &code);
	unsetenv("UOPS_CACHE_MB");
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "tc.people", 0, &dbi), 0);
	/* a first state in LMDB before the cache exists */
	for (i = 0; i < CK; i += 2) {
		store_be32(k, ckey(i));
		clen[i] = snprintf(cval[i], sizeof cval[i], "first %u", i);
		store_put(s, dbi, k, 4, cval[i], (size_t)clen[i]);
	}
	for (i = 1; i < CK; i += 2)
		clen[i] = -1;
	T_EQ_INT(store_commit(s), 0);
	T_EQ_INT(store_cache(s, dbi), 0);
	if (journal) {
		T_EQ_INT(store_journal(s, dbi, "tc.j"), 0);
		/* fold often, in parts of 7 keys; with journal 2, by
		 * writing the DB afresh when the journal has 2 keys a leaf */
		store_tune(s, 1000, 7, journal % 2 ? 0 : 2);
	}
	memcpy(plen, clen, sizeof plen);
	memcpy(pval, cval, sizeof pval);
	for (step = 0; step < steps; step++) {
		unsigned op, n;
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		op = (unsigned)(rng >> 40) % 1000;
		if (journal >= 3 && op >= 985)
			op = 950; /* no range deletes or bulk writes: folds after commits */
		i = (unsigned)(rng >> 8) % CK;
		store_be32(k, ckey(i));
		if (op < 450) {
			int rc = store_get(s, dbi, k, 4, &v);
			unsigned b0 = bad;
			if (plen[i] < 0)
				bad += rc != 0;
			else
				bad += rc != 1 || v.mv_size != (size_t)plen[i] || memcmp(v.mv_data, pval[i], v.mv_size);
			if (bad != b0 && getenv("TDEBUG"))
				fprintf(stderr, "step %u key %u (i %u) rc %d size %zu want %d\n", step, ckey(i), i, rc, rc == 1 ? v.mv_size : 0, plen[i]);
		} else if (op < 800) {
			n = (unsigned)(rng >> 20) % 38; /* sizes up and down: in place or moved */
			memset(pval[i], 'a' + (int)(step % 26), n);
			plen[i] = (int)n;
			store_put(s, dbi, k, 4, pval[i], n);
		} else if (op < 900) {
			plen[i] = -1;
			store_del(s, dbi, k, 4);
		} else if (op < 985) {
			T_EQ_INT(store_commit(s), 0);
			memcpy(clen, plen, sizeof clen);
			memcpy(cval, pval, sizeof cval);
			if (journal && ++commits % 400 == 0)
				badr += reader_agrees(name, &clen, &cval);
		} else if (op < 993) {
			store_discard(s);
			memcpy(plen, clen, sizeof plen);
			memcpy(pval, cval, sizeof pval);
		} else if (op < 997) {
			/* a range delete of the lowest keys empties the cache
			 * (range deletes apply before the batch's puts: commit
			 * those first) */
			unsigned char below[4];
			unsigned j;
			T_EQ_INT(store_commit(s), 0);
			store_be32(below, 300);
			store_del_below(s, dbi, below, 4, 1000000);
			T_EQ_INT(store_commit(s), 0);
			for (j = 0; j < CK; j++)
				if (ckey(j) < 300)
					plen[j] = -1;
			memcpy(clen, plen, sizeof clen);
			memcpy(cval, pval, sizeof cval);
		} else {
			/* a bulk write past the cache, with a batch queued */
			T_EQ_INT(store_bulk(s, cache_fill, &dbi), 0);
			clen[7] = 5;
			memcpy(cval[7], "bulk!", 5);
			if (!store_get_pending(s, dbi, (store_be32(k, ckey(7)), k), 4, &v)) {
				plen[7] = 5;
				memcpy(pval[7], "bulk!", 5);
			}
		}
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(badr, 0);
	T_EQ_INT(store_commit(s), 0);
	store_stats(s, &st);
	if (atoi(budget) > 100) {
		T_OK(st.cache_hits > 10000);
		T_OK(st.cache_loads > 0);
	}
	if (journal) {
		MDB_stat ms;
		MDB_dbi jdbi;
		MDB_txn *txn;
		T_OK(st.folds > 3);
		if (journal % 2 == 0)
			T_OK(st.rewrites > 3);
		else
			T_EQ_INT(st.rewrites, 0);
		if (!strcmp(name, "cachejc"))
			T_OK(st.compacts > st.folds / 2 && st.compacts > 10);
		/* stopped with records in the journal: a reader sees them, a
		 * writer opening the store folds them */
		store_put(s, dbi, (store_be32(k, ckey(5)), k), 4, "last", 4);
		plen[5] = 4;
		memcpy(pval[5], "last", 4);
		T_EQ_INT(store_commit(s), 0);
		store_close(s);
		T_EQ_INT(reader_agrees(name, &plen, &pval), 0);
		s = open_store(name, "tc", STORE_NOSYNC, &code);
		T_OK(s != NULL);
		if (!s)
			return;
		T_EQ_INT(store_dbi(s, "tc.people", 0, &dbi), 0);
		T_EQ_INT(store_journal(s, dbi, "tc.j"), 0);
		T_EQ_INT(store_dbi(s, "tc.j", 0, &jdbi), 0);
		txn = store_read_txn(s);
		T_OK(txn && !mdb_stat(txn, jdbi, &ms) && ms.ms_entries == 0);
		T_EQ_INT(reader_agrees(name, &plen, &pval), 0);
	}
	/* an uncached reader agrees */
	r = store_open(at(name), "tc", STORE_RDONLY, &code);
	T_OK(r != NULL);
	if (r) {
		T_EQ_INT(store_dbi(r, "tc.people", 0, &rdbi), 0);
		for (i = 0; i < CK; i++) {
			int rc;
			store_be32(k, ckey(i));
			rc = store_get(r, rdbi, k, 4, &v);
			if (plen[i] < 0)
				badr += rc != 0;
			else
				badr += rc != 1 || v.mv_size != (size_t)plen[i] || memcmp(v.mv_data, pval[i], v.mv_size);
		}
		T_EQ_INT(badr, 0);
		store_close(r);
	}
	store_close(s);
}

/* store_put_unique: queued without the index, committed like any put
 * (and a later ordinary put of the key wins). */
static void test_put_unique(void)
{
	struct store *s;
	MDB_dbi dbi;
	MDB_val v;
	char k[16];
	unsigned i, bad = 0;
	int code;

	s = open_store("unique", "tu", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "tu.keys", 0, &dbi), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "u%05u", (i * 7919) % 5000);
		store_put_unique(s, dbi, k, 6, k, 6);
	}
	store_put(s, dbi, "u00042", 6, "later", 5);
	T_EQ_INT((int)store_pending(s), 5001);
	T_EQ_INT(store_commit(s), 0);
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "u%05u", i);
		if (i == 42)
			bad += store_get(s, dbi, k, 6, &v) != 1 || v.mv_size != 5 || memcmp(v.mv_data, "later", 5);
		else
			bad += store_get(s, dbi, k, 6, &v) != 1 || v.mv_size != 6 || memcmp(v.mv_data, k, 6);
	}
	T_EQ_INT(bad, 0);
	T_EQ_INT(count(s, dbi), 5000);
	store_close(s);
}

/* One writing process per tool and store: a second writer is refused
 * with 75 while the first is open; readers and other tools are not. */
static void test_lock(void)
{
	struct store *a, *b;
	struct buf err = BUF_INIT;
	int code = 0;

	a = open_store("lock", "tl", STORE_NOSYNC, &code);
	T_OK(a != NULL);
	quiet_begin();
	b = open_store("lock", "tl", STORE_NOSYNC, &code);
	quiet_end(&err);
	T_OK(b == NULL);
	T_EQ_INT(code, 75);
	T_OK(strstr(err.p ? err.p : "", "another tl") != NULL);
	b = open_store("lock", "other", STORE_NOSYNC, &code);
	T_OK(b != NULL);
	store_close(b);
	b = open_store("lock", "tl", STORE_RDONLY, &code);
	T_OK(b != NULL);
	store_close(b);
	store_close(a);
	b = open_store("lock", "tl", STORE_NOSYNC, &code);
	T_OK(b != NULL);
	store_close(b);
	buf_release(&err);
}

/* store_follow: a writer of another owner reads tc.people through tc.j,
 * as the journal grows, after a fold, and after a fold and a refill past
 * where it had read. */
/* get, for a 4-byte key */
static const char *get4(struct store *s, MDB_dbi dbi, uint32_t key, struct buf *b)
{
	unsigned char k[4];
	MDB_val v;
	int rc;

	store_be32(k, key);
	rc = store_get(s, dbi, k, 4, &v);
	buf_reset(b);
	if (rc == 1)
		buf_add(b, v.mv_data, v.mv_size);
	else
		buf_adds(b, rc == 0 ? "-" : "ERR");
	return b->p;
}

static void test_follow(void)
{
	struct store *s, *f;
	MDB_dbi dbi, fdbi;
	struct buf b = BUF_INIT;
	unsigned char k[4];
	unsigned i;
	int code;

	s = open_store("follow", "tc", STORE_NOSYNC, &code);
	T_OK(s != NULL);
	if (!s)
		return;
	T_EQ_INT(store_dbi(s, "tc.people", 0, &dbi), 0);
	T_EQ_INT(store_cache(s, dbi), 0);
	T_EQ_INT(store_journal(s, dbi, "tc.j"), 0);
	for (i = 1; i <= 50; i++) {
		store_be32(k, i);
		store_put(s, dbi, k, 4, "a", 1);
	}
	T_EQ_INT(store_fold(s), 0); /* in tc.people */
	store_be32(k, 5);
	store_put(s, dbi, k, 4, "b", 1);
	store_be32(k, 6);
	store_del(s, dbi, k, 4);
	T_EQ_INT(store_commit(s), 0); /* in the journal */

	f = open_store("follow", "tf", STORE_NOSYNC, &code);
	T_OK(f != NULL);
	if (!f) {
		store_close(s);
		return;
	}
	T_EQ_INT(store_dbi(f, "tc.people", 0, &fdbi), 0);
	T_EQ_INT(store_follow(f, fdbi, "tc.j"), 0);
	store_be32(k, 5);
	T_EQ_STR(get4(f, fdbi, 5, &b), "b");
	T_EQ_STR(get4(f, fdbi, 6, &b), "-");
	T_EQ_STR(get4(f, fdbi, 7, &b), "a");

	/* the journal grows: read from where the index was */
	store_be32(k, 7);
	store_put(s, dbi, k, 4, "c", 1);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get4(f, fdbi, 7, &b), "a"); /* the same snapshot */
	store_read_end(f);
	T_EQ_STR(get4(f, fdbi, 7, &b), "c");
	T_EQ_STR(get4(f, fdbi, 5, &b), "b");
	store_read_end(f);

	/* folded, then more records than the index had read, others */
	T_EQ_INT(store_fold(s), 0);
	for (i = 0; i < 6; i++) {
		store_be32(k, 10 + i);
		store_put(s, dbi, k, 4, "d", 1);
		T_EQ_INT(store_commit(s), 0);
	}
	T_EQ_STR(get4(f, fdbi, 5, &b), "b"); /* folded in the DB */
	T_EQ_STR(get4(f, fdbi, 6, &b), "-");
	T_EQ_STR(get4(f, fdbi, 7, &b), "c");
	T_EQ_STR(get4(f, fdbi, 15, &b), "d");
	T_EQ_STR(get4(f, fdbi, 16, &b), "a");
	store_read_end(f);
	/* a delete in the journal hides the DB's value */
	store_be32(k, 16);
	store_del(s, dbi, k, 4);
	T_EQ_INT(store_commit(s), 0);
	T_EQ_STR(get4(f, fdbi, 16, &b), "-");
	store_close(f);
	store_close(s);
	buf_release(&b);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	unsetenv("UOPS_MAP_MAX");
	test_basic();
	test_many();
	test_huge_batch();
	test_order();
	test_del_below();
	test_offsets();
	test_reopen_meta();
	test_grow();
	test_bulk_step();
	test_map_max();
	test_cache("cache", "1024", 0, 60000);
	/* past the budget: emptied at commits, reads go to LMDB */
	test_cache("cache1", "1", 0, 60000);
	test_cache("cachej", "1024", 1, 60000); /* commits to a journal, folded */
	test_cache("cachej1", "1", 1, 60000); /* … folded at every commit, for the budget */
	test_cache("cachejr", "1024", 2, 60000); /* … folded by writing the DB afresh */
	/* … with no range deletes or bulk writes (they empty the cache):
	 * folds after commits, with the cache kept */
	test_cache("cachejf", "1024", 3, 60000);
	test_cache("cachejfr", "1024", 4, 60000);
	/* … past the budget, emptied but for what the journal holds */
	test_cache("cachejc", "28", 1, 30000);
	test_lock();
	test_put_unique();
	test_follow();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("store");
}
