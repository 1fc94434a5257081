/*
 * jcount - the scheduler's counters (scheduler.counts); see jcount.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jcount.h"
#include "json.h"
#include "store.h"

/* Append s to out (at bytes so far, room for cap with the NUL): as
 * snprintf would, cut short when it does not fit. */
static size_t key_cat(char *out, size_t at, size_t cap, const char *s)
{
	size_t n = strlen(s);

	if (at + n >= cap)
		n = at < cap - 1 ? cap - 1 - at : 0;
	memcpy(out + at, s, n);
	out[at + n] = 0;
	return at + n;
}

/* A hash of the key s (n bytes) for the index: 8 bytes a step. */
static uint64_t key_hash(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ n, w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0x100000001b3ull;
		h ^= h >> 32;
	}
	for (; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* The counters by key: a hash index of c->v (index + 1, 0 empty). */
static void counter_index(struct jcount *c)
{
	unsigned i, n = c->nidx ? 2 * c->nidx : 256;

	free(c->idx);
	c->idx = xcalloc(n, sizeof *c->idx);
	c->nidx = n;
	for (i = 0; i < c->n; i++) {
		size_t j = key_hash(c->v[i].key, c->v[i].len) & (n - 1);
		while (c->idx[j])
			j = (j + 1) & (n - 1);
		c->idx[j] = i + 1;
	}
}

struct jcounter *jcount_get(struct jcount *c, const char *journey, const char *arm, const char *what)
{
	char key[512];
	size_t n, j, nj = strlen(journey), na = arm ? strlen(arm) : 0, nw = strlen(what);

	if (nj + na + nw + 2 < sizeof key) { /* the parts, known lengths */
		memcpy(key, journey, nj);
		key[nj] = '\t';
		if (na)
			memcpy(key + nj + 1, arm, na);
		key[nj + 1 + na] = '\t';
		memcpy(key + nj + na + 2, what, nw);
		n = nj + na + nw + 2;
		key[n] = 0;
	} else { /* cut short, as snprintf would */
		n = key_cat(key, 0, sizeof key, journey);
		n = key_cat(key, n, sizeof key, "\t");
		n = key_cat(key, n, sizeof key, arm ? arm : "");
		n = key_cat(key, n, sizeof key, "\t");
		n = key_cat(key, n, sizeof key, what);
	}
	if ((c->n + 1) * 2 > c->nidx)
		counter_index(c);
	for (j = key_hash(key, n) & (c->nidx - 1); c->idx[j]; j = (j + 1) & (c->nidx - 1)) {
		struct jcounter *k = &c->v[c->idx[j] - 1];
		if (k->len == n && !memcmp(k->key, key, n))
			return k;
	}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->v = xrealloc(c->v, c->cap * sizeof *c->v);
	}
	c->v[c->n].key = xstrndup(key, n);
	c->v[c->n].len = n;
	c->v[c->n].n = 0;
	c->v[c->n].dirty = 0;
	c->idx[j] = c->n + 1;
	return &c->v[c->n++];
}

void jcount_add(struct jcount *c, const char *journey, const char *arm, const char *what)
{
	struct jcounter *k = jcount_get(c, journey, arm, what);

	k->n++;
	k->dirty = 1;
}

int jcount_load(struct jcount *c, struct store *st, MDB_dbi dbi)
{
	MDB_txn *txn = store_read_txn(st);
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if (!txn || mdb_cursor_open(txn, dbi, &cur))
		return -1;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_FIRST); !r; r = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		char *key = xstrndup(k.mv_data, k.mv_size);
		char *t1 = strchr(key, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
		if (t2 && v.mv_size == 8) {
			struct jcounter *x;
			*t1 = *t2 = 0;
			x = jcount_get(c, key, t1 + 1, t2 + 1);
			x->n = store_get_be64(v.mv_data);
		}
		free(key);
	}
	mdb_cursor_close(cur);
	return 0;
}

void jcount_save(struct jcount *c, struct store *st, MDB_dbi dbi)
{
	unsigned i;
	unsigned char be[8];

	for (i = 0; i < c->n; i++)
		if (c->v[i].dirty) {
			store_be64(be, c->v[i].n);
			store_put(st, dbi, c->v[i].key, c->v[i].len, be, 8);
			c->v[i].dirty = 0;
		}
}

void jcount_release(struct jcount *c)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		free(c->v[i].key);
	free(c->v);
	free(c->idx);
	memset(c, 0, sizeof *c);
}

void jcount_json(const struct jcount *c, const char *journey, struct buf *out, struct buf *tmp)
{
	unsigned i, n;

	for (i = 0, n = 0; i < c->n; i++) {
		const char *key = c->v[i].key, *t1 = strchr(key, '\t'), *t2 = strchr(t1 + 1, '\t');
		if ((size_t)(t1 - key) != strlen(journey) || memcmp(key, journey, strlen(journey)))
			continue;
		if (n++)
			buf_addc(out, ',');
		buf_reset(tmp);
		buf_add(tmp, t2 + 1, strlen(t2 + 1));
		if (t2 > t1 + 1) {
			buf_addc(tmp, '/');
			buf_add(tmp, t1 + 1, (size_t)(t2 - t1 - 1));
		}
		json_write_str(out, tmp->p, tmp->len);
		buf_printf(out, ":%llu", c->v[i].n);
	}
}
