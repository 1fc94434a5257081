/*
 * t-dict - the name dictionary: numbers per namespace, never reused,
 * flags, traits, counters that survive a reopen, in a temporary store.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "dict.h"
#include "store.h"
#include "t.h"

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static struct store *open_dict(const char *dir, struct dict *d)
{
	int code;
	struct store *st = store_open(dir, "t", STORE_NOSYNC, &code);

	T_OK(st != NULL);
	memset(d, 0, sizeof *d);
	d->st = st;
	d->ns = "atc";
	T_OK(store_dbi(st, "t.dict", 0, &d->dbi) == 0);
	T_OK(dict_load(d) == 0);
	return st;
}

int main(void)
{
	char dir[] = "/tmp/uops-t-dict-XXXXXX";
	struct dict d;
	struct store *st;
	uint32_t slot = 99, a1, a2, t1, t2;
	int flag = 7;

	T_OK(mkdtemp(dir) != NULL);
	st = open_dict(dir, &d);
	a1 = dict_assign(&d, 'a', "count(order_paid)", 17);
	a2 = dict_assign(&d, 'a', "sum(order_paid).amount", 22);
	T_EQ_INT(a1, 0);
	T_EQ_INT(a2, 1);
	T_EQ_INT(dict_assign(&d, 'a', "count(order_paid)", 17), a1); /* found, not new */
	t1 = dict_trait(&d, "gender", 6);
	t2 = dict_trait(&d, "city", 4);
	T_EQ_INT(t1, 0); /* namespaces count on their own */
	T_EQ_INT(t2, 1);
	T_EQ_INT(dict_trait(&d, "gender", 6), t1);
	T_EQ_STR(dict_trait_name(&d, t2), "city");
	T_OK(dict_trait_name(&d, 42) == NULL);
	T_EQ_INT(dict_trait(&d, "a\0b", 3), UINT32_MAX);
	/* flags: a column marked complete */
	dict_put(&d, 'c', "days_last()", 11, dict_next(&d, 'c'), 0);
	T_OK(dict_get(&d, 'c', "days_last()", 11, &slot, &flag) == 1);
	T_EQ_INT(slot, 0);
	T_EQ_INT(flag, 0);
	dict_put(&d, 'c', "days_last()", 11, slot, 1);
	T_OK(dict_get(&d, 'c', "days_last()", 11, &slot, &flag) == 1);
	T_EQ_INT(flag, 1);
	T_OK(dict_get(&d, 'c', "nope", 4, &slot, NULL) == 0);
	dict_save(&d);
	T_EQ_INT(store_commit(st), 0);
	dict_release(&d);
	store_close(st);

	/* reopened: names keep their numbers, new names never reuse one */
	st = open_dict(dir, &d);
	T_EQ_INT(dict_trait(&d, "city", 4), t2);
	T_EQ_STR(dict_trait_name(&d, t1), "gender");
	T_EQ_INT(dict_assign(&d, 'a', "sum(order_paid).amount", 22), a2);
	T_EQ_INT(dict_assign(&d, 'a', "max(product_view).price", 23), 2);
	T_EQ_INT(dict_next(&d, 'c'), 1);
	T_EQ_INT(dict_next(&d, 'z'), UINT32_MAX); /* not a namespace of this dictionary */
	dict_release(&d);
	store_discard(st);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("dict");
}
