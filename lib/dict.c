#include "dict.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

static int ns_index(const struct dict *d, char ns)
{
	const char *p = strchr(d->ns, ns);
	return p && ns ? (int)(p - d->ns) : -1;
}

static void key_of(struct buf *k, char ns, const char *name, size_t n)
{
	buf_reset(k);
	buf_addc(k, ns);
	buf_addc(k, ':');
	buf_add(k, name, n);
}

static void trait_add(struct dict *d, const char *name, size_t n, uint32_t slot)
{
	if (d->ntraits == d->captraits) {
		d->captraits = d->captraits ? d->captraits * 2 : 32;
		d->traits = xrealloc(d->traits, d->captraits * sizeof *d->traits);
	}
	d->traits[d->ntraits].name = xstrndup(name, n);
	d->traits[d->ntraits++].slot = slot;
}

int dict_load(struct dict *d)
{
	MDB_txn *txn = store_read_txn(d->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc, i;

	if (!txn || mdb_cursor_open(txn, d->dbi, &cur))
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		const char *s = k.mv_data;
		if (v.mv_size < 4 || k.mv_size < 2)
			continue;
		if (s[0] == '#' && k.mv_size == 2 && (i = ns_index(d, s[1])) >= 0)
			d->next[i] = store_get_be32(v.mv_data);
		else if (s[0] == 't' && s[1] == ':' && ns_index(d, 't') >= 0)
			trait_add(d, s + 2, k.mv_size - 2, store_get_be32(v.mv_data));
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : -1;
}

void dict_release(struct dict *d)
{
	unsigned i;

	for (i = 0; i < d->ntraits; i++)
		free(d->traits[i].name);
	free(d->traits);
	d->traits = NULL;
	d->ntraits = d->captraits = 0;
}

int dict_get(struct dict *d, char ns, const char *name, size_t n, uint32_t *slot, int *flag)
{
	struct buf k = BUF_INIT;
	MDB_val v;
	int r;

	key_of(&k, ns, name, n);
	r = store_get(d->st, d->dbi, k.p, k.len, &v);
	buf_release(&k);
	if (r != 1 || v.mv_size < 4)
		return 0;
	*slot = store_get_be32(v.mv_data);
	if (flag)
		*flag = v.mv_size > 4 ? ((const unsigned char *)v.mv_data)[4] : 0;
	return 1;
}

void dict_put(struct dict *d, char ns, const char *name, size_t n, uint32_t slot, int flag)
{
	struct buf k = BUF_INIT;
	unsigned char be[5];

	key_of(&k, ns, name, n);
	store_be32(be, slot);
	be[4] = (unsigned char)(flag > 0);
	store_put(d->st, d->dbi, k.p, k.len, be, flag >= 0 ? 5 : 4);
	buf_release(&k);
}

uint32_t dict_next(struct dict *d, char ns)
{
	int i = ns_index(d, ns);

	d->dirty = 1;
	return i < 0 ? UINT32_MAX : d->next[i]++;
}

uint32_t dict_assign(struct dict *d, char ns, const char *name, size_t n)
{
	uint32_t slot;

	if (dict_get(d, ns, name, n, &slot, NULL))
		return slot;
	slot = dict_next(d, ns);
	dict_put(d, ns, name, n, slot, -1);
	return slot;
}

void dict_save(struct dict *d)
{
	size_t i;

	if (!d->dirty)
		return;
	for (i = 0; d->ns[i] && i < DICT_MAX_NS; i++) {
		char key[2] = {'#', d->ns[i]};
		unsigned char be[4];
		store_be32(be, d->next[i]);
		store_put(d->st, d->dbi, key, 2, be, 4);
	}
	d->dirty = 0;
}

uint32_t dict_trait(struct dict *d, const char *name, size_t n)
{
	unsigned i;
	uint32_t slot;

	for (i = 0; i < d->ntraits; i++)
		if (!strncmp(d->traits[i].name, name, n) && !d->traits[i].name[n])
			return d->traits[i].slot;
	if (d->ntraits >= DICT_MAX_TRAITS || memchr(name, 0, n))
		return UINT32_MAX;
	slot = dict_assign(d, 't', name, n);
	trait_add(d, name, n, slot);
	return slot;
}

const char *dict_trait_name(const struct dict *d, uint32_t slot)
{
	unsigned i;

	for (i = 0; i < d->ntraits; i++)
		if (d->traits[i].slot == slot)
			return d->traits[i].name;
	return NULL;
}
