/*
 * dbdump - every named DB of an LMDB environment, in a form two runs can
 * be compared by, whatever their commits were.
 *
 *   dbdump [-x DB]… DIR
 *
 * Prints "DB <name>" and then "<key hex> <value hex>" per record, in key
 * order, for each named DB but those given with -x (exactly, or as
 * ".suffix" for every DB whose name ends so). A DB whose name ends in
 * "_runs" (lib/seen: a record per commit and day, whose layout follows
 * the commits) is printed as what it holds: "<day> <hash>" per id, sorted,
 * each once. tagger.due, whose values are portable roaring bitmaps whose
 * containers are run-encoded or not as the bitmap's history went, is
 * printed as the members of each bitmap, in decimal.
 */
#include <lmdb.h>
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *excl[64];
static int nexcl;

static int excluded(const char *name)
{
	size_t n = strlen(name);
	int i;

	for (i = 0; i < nexcl; i++) {
		size_t m = strlen(excl[i]);
		if (!strcmp(name, excl[i]))
			return 1;
		if (excl[i][0] == '.' && n >= m && !strcmp(name + n - m, excl[i]))
			return 1;
	}
	return 0;
}

static void hex(const MDB_val *v)
{
	size_t i;

	for (i = 0; i < v->mv_size; i++)
		printf("%02x", ((const unsigned char *)v->mv_data)[i]);
}

struct id {
	uint32_t day;
	uint64_t hash;
};

static int id_cmp(const void *a, const void *b)
{
	const struct id *x = a, *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	return (x->hash > y->hash) - (x->hash < y->hash);
}

static uint64_t be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

static bool print_member(uint32_t v, void *arg)
{
	(void)arg;
	printf("%u,", v);
	return true;
}

static int dump_runs(MDB_cursor *cur)
{
	struct id *a = NULL;
	size_t n = 0, cap = 0, i, j;
	MDB_val k, v;
	int r;

	for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !r; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size < 4)
			return 1;
		for (j = 0; j + 8 <= v.mv_size; j += 8) {
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				a = realloc(a, cap * sizeof *a);
				if (!a)
					return 1;
			}
			a[n].day = (uint32_t)be(k.mv_data, 4);
			a[n].hash = be((const unsigned char *)v.mv_data + j, 8);
			n++;
		}
	}
	if (n) /* an empty DB: no array */
		qsort(a, n, sizeof *a, id_cmp);
	for (i = 0; i < n; i++)
		if (!i || id_cmp(&a[i], &a[i - 1]))
			printf("%u %016llx\n", a[i].day, (unsigned long long)a[i].hash);
	free(a);
	return 0;
}

int main(int argc, char **argv)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi main_db, db;
	MDB_cursor *mc, *cur;
	MDB_val k, v;
	int i, r, rc = 0;
	char name[512];

	for (i = 1; i + 1 < argc && !strcmp(argv[i], "-x"); i += 2)
		if (nexcl < 64)
			excl[nexcl++] = argv[i + 1];
	if (i != argc - 1) {
		fprintf(stderr, "usage: dbdump [-x DB]... DIR\n");
		return 64;
	}
	if ((r = mdb_env_create(&env)) || (r = mdb_env_set_maxdbs(env, 256)) ||
	    (r = mdb_env_open(env, argv[i], MDB_RDONLY, 0)) ||
	    (r = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) ||
	    (r = mdb_dbi_open(txn, NULL, 0, &main_db)) || (r = mdb_cursor_open(txn, main_db, &mc))) {
		fprintf(stderr, "dbdump: cannot read '%s': %s\n", argv[i], mdb_strerror(r));
		return 74;
	}
	for (r = mdb_cursor_get(mc, &k, &v, MDB_FIRST); !r; r = mdb_cursor_get(mc, &k, &v, MDB_NEXT)) {
		if (k.mv_size >= sizeof name)
			continue;
		memcpy(name, k.mv_data, k.mv_size);
		name[k.mv_size] = 0;
		if (excluded(name) || mdb_dbi_open(txn, name, 0, &db) || mdb_cursor_open(txn, db, &cur))
			continue;
		printf("DB %s\n", name);
		if (k.mv_size > 5 && !strcmp(name + k.mv_size - 5, "_runs")) {
			if (dump_runs(cur))
				rc = 1;
		} else {
			MDB_val ck, cv;
			int cr;
			for (cr = mdb_cursor_get(cur, &ck, &cv, MDB_FIRST); !cr;
			     cr = mdb_cursor_get(cur, &ck, &cv, MDB_NEXT)) {
				roaring_bitmap_t *bm = NULL;
				hex(&ck);
				putchar(' ');
				if (!strcmp(name, "tagger.due"))
					bm = roaring_bitmap_portable_deserialize_safe(cv.mv_data, cv.mv_size);
				if (bm) {
					roaring_iterate(bm, print_member, NULL);
					roaring_bitmap_free(bm);
				} else {
					hex(&cv);
				}
				putchar('\n');
			}
		}
		mdb_cursor_close(cur);
	}
	mdb_cursor_close(mc);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	if (fflush(stdout) || ferror(stdout))
		return 74;
	return rc;
}
