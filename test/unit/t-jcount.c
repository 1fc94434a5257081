/*
 * t-jcount - the scheduler's counters: the same journey, arm and what
 * give the same counter, others a new one, past many index growths; a key
 * too long is cut at 511 bytes; only changed counters are saved, and what
 * is saved loads back (keys that are not three parts or values not 8
 * bytes are skipped); one journey's counters as JSON; release leaves
 * the set empty.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "jcount.h"
#include "store.h"
#include "t.h"

#define N 3000

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static void names(unsigned i, char *j, char *arm, char *what)
{
	sprintf(j, "journey-%u", i % 37);
	if (i % 3)
		sprintf(arm, "arm%u", i % 5);
	else
		arm[0] = 0;
	sprintf(what, "exit:reason-%u", i / 185);
}

static void in_memory(void)
{
	struct jcount c = {0};
	struct jcounter *a, *b;
	char j[64], arm[64], what[64], big[700];
	unsigned i, k;

	/* each distinct key once, then each again: the same counters */
	for (k = 0; k < 2; k++)
		for (i = 0; i < N; i++) {
			names(i, j, arm, what);
			jcount_add(&c, j, arm[0] ? arm : NULL, what);
		}
	T_OK(c.n > 1000 && c.n <= N);
	for (i = 0; i < c.n; i++)
		T_OK(c.v[i].n >= 2 && c.v[i].n % 2 == 0 && c.v[i].dirty);
	a = jcount_get(&c, "journey-5", "arm0", "exit:reason-0");
	T_EQ_STR(a->key, "journey-5\tarm0\texit:reason-0");
	/* NULL and "" arms are one counter */
	a = jcount_get(&c, "journey-0", NULL, "exit:reason-0");
	b = jcount_get(&c, "journey-0", "", "exit:reason-0");
	T_OK(a == b);
	T_EQ_STR(a->key, "journey-0\t\texit:reason-0");
	/* a new counter starts at 0, not dirty */
	k = c.n;
	a = jcount_get(&c, "new", NULL, "entered");
	T_EQ_INT(c.n, k + 1);
	T_EQ_INT(a->n, 0);
	T_EQ_INT(a->dirty, 0);

	/* a key past 511 bytes is cut there; the cut keys are one counter */
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = 0;
	jcount_add(&c, big, "a", "entered");
	jcount_add(&c, big, "b", "sent");
	a = jcount_get(&c, big, NULL, "held");
	T_EQ_INT(strlen(a->key), 511);
	T_EQ_INT(a->len, 511);
	T_EQ_INT(a->n, 2);
	/* one short of the cut: whole, its own counter */
	big[509 - 4 - 7] = 0;
	a = jcount_get(&c, big, "arm", "entered");
	T_EQ_INT(a->len, 510);
	T_EQ_INT(a->n, 0);
	T_OK(!memcmp(a->key + 498, "\tarm\tentered", 12));
	big[509 - 4 - 7] = 'x';
	for (i = 0; i < c.n; i++)
		T_EQ_INT(c.v[i].len, strlen(c.v[i].key));

	/* one journey's counters as JSON members, in first-asked order */
	{
		struct jcount e = {0};
		struct buf o = BUF_INIT, t = BUF_INIT;
		jcount_add(&e, "w", NULL, "entered");
		jcount_add(&e, "w2", NULL, "entered");
		jcount_add(&e, "w", "control", "exit:goal");
		jcount_add(&e, "w", NULL, "entered");
		jcount_add(&e, "w", "a\"b", "sent");
		jcount_json(&e, "w", &o, &t);
		T_EQ_STR(o.p, "\"entered\":2,\"exit:goal/control\":1,\"sent/a\\\"b\":1");
		buf_reset(&o);
		jcount_json(&e, "x", &o, &t);
		T_EQ_INT(o.len, 0);
		jcount_release(&e);
		buf_release(&o);
		buf_release(&t);
	}

	jcount_release(&c);
	T_EQ_INT(c.n, 0);
	T_OK(c.v == NULL && c.idx == NULL && c.nidx == 0);
}

static void stored(const char *dir)
{
	struct jcount c = {0}, d = {0};
	struct store *st;
	MDB_dbi dbi;
	MDB_val v;
	unsigned char be[8];
	unsigned i;
	int code;
	char j[64], arm[64], what[64];

	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return;
	T_OK(store_dbi(st, "t.counts", 0, &dbi) == 0);
	for (i = 0; i < N; i++) {
		names(i, j, arm, what);
		jcount_add(&c, j, arm[0] ? arm : NULL, what);
	}
	jcount_get(&c, "never", NULL, "counted"); /* not dirty: not saved */
	jcount_save(&c, st, dbi);
	for (i = 0; i < c.n; i++)
		T_EQ_INT(c.v[i].dirty, 0);
	T_EQ_INT(store_get(st, dbi, "never\t\tcounted", 14, &v), 0);
	/* keys another version could have left: skipped on load */
	store_be64(be, 9);
	store_put(st, dbi, "two\tparts", 9, be, 8);
	store_put(st, dbi, "j\ta\tshort", 9, be, 4);
	T_EQ_INT(store_commit(st), 0);

	/* a second save queues nothing: the value stays as changed below */
	store_be64(be, 12345);
	store_put(st, dbi, "journey-1\tarm1\texit:reason-0", 28, be, 8);
	jcount_save(&c, st, dbi);
	T_EQ_INT(store_commit(st), 0);

	T_EQ_INT(jcount_load(&d, st, dbi), 0);
	store_read_end(st);
	T_EQ_INT(d.n, c.n - 1);
	for (i = 0; i < c.n; i++) {
		const char *k = c.v[i].key, *t1 = strchr(k, '\t'), *t2 = strchr(t1 + 1, '\t');
		char a[64], b[64], w[64];
		struct jcounter *x;
		if (!strcmp(k, "never\t\tcounted"))
			continue;
		memcpy(a, k, (size_t)(t1 - k));
		a[t1 - k] = 0;
		memcpy(b, t1 + 1, (size_t)(t2 - t1 - 1));
		b[t2 - t1 - 1] = 0;
		strcpy(w, t2 + 1);
		x = jcount_get(&d, a, b, w);
		T_EQ_INT(d.n, c.n - 1); /* found, not made */
		T_EQ_INT(x->n, strcmp(k, "journey-1\tarm1\texit:reason-0") ? c.v[i].n : 12345);
		T_EQ_INT(x->dirty, 0);
	}
	T_OK(jcount_get(&d, "two", "parts", "") && d.n == c.n); /* was not loaded */
	jcount_release(&c);
	jcount_release(&d);
	store_close(st);
}

int main(void)
{
	char d1[] = "/tmp/uops-t-jcount-XXXXXX";

	in_memory();
	T_OK(mkdtemp(d1) != NULL);
	stored(d1);
	nftw(d1, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("jcount");
}
