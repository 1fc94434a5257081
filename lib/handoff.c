#include "handoff.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "json.h"
#include "kafka.h"

#define MAGIC "uops-partition 1\n"
#define STEP 131072 /* queued writes per commit of an import or a drop */

struct handoff_stream {
	uint32_t stream;
	roaring_bitmap_t *b;     /* its people */
	roaring_bitmap_t *dirty; /* blocks (oneid >> 16) changed since the save */
};

struct handoff_meta {
	char *name, *key;
	void *v;
	size_t n;
};

/* 1 opened, 0 absent (a read-only store), -1 an error (printed). */
static int open_db(struct handoff *h, const char *name, MDB_dbi *dbi)
{
	return store_dbi_maybe(h->st, name, 0, dbi);
}

/* Entry i's DB (and its second: SEEN's _runs, REF's ref): 1 opened, 0
 * absent, -1 an error (printed). An entry of an earlier layout is only
 * opened when the store has it, unless make (an import bringing keys of
 * it), which creates it in a writer. */
static int open_entry(struct handoff *h, size_t i, int make)
{
	const struct handoff_db *d = &h->dbs[i];
	char name[128];
	int r;

	if (d->earlier && !make) {
		r = store_dbi_opt(h->st, d->name, 0, &h->dbi[i]);
		r = r < 0 ? -1 : !r;
	} else {
		r = open_db(h, d->name, &h->dbi[i]);
	}
	if (r > 0 && d->kind == HANDOFF_REF)
		r = open_db(h, d->ref, &h->rdbi[i]);
	if (r > 0 && d->kind == HANDOFF_SEEN) {
		snprintf(name, sizeof name, "%s_runs", d->name);
		r = open_db(h, name, &h->rdbi[i]);
	}
	if (r >= 0)
		h->absent[i] = !r;
	return r;
}

static struct handoff_stream *stream_of(struct handoff *h, uint32_t s, int make)
{
	size_t i;

	if (h->last < h->ns && h->s[h->last].stream == s)
		return &h->s[h->last];
	for (i = 0; i < h->ns; i++)
		if (h->s[i].stream == s)
			return &h->s[h->last = i];
	if (!make)
		return NULL;
	h->s = xrealloc(h->s, (h->ns + 1) * sizeof *h->s);
	h->s[h->ns].stream = s;
	h->s[h->ns].b = roaring_bitmap_create();
	h->s[h->ns].dirty = roaring_bitmap_create();
	h->last = h->ns;
	return &h->s[h->ns++];
}

static int index_load(struct handoff *h)
{
	struct store_scan it;
	MDB_val k, v;
	int r;

	if (store_scan_open(h->st, h->idx, &it))
		return -1;
	while ((r = store_scan_next(&it, &k, &v)) == 1) {
		roaring_bitmap_t *b;
		if (k.mv_size != 8)
			continue;
		if (!(b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size))) {
			cli_err("%s.streams: a block that does not read as a bitmap: skipped", h->tool);
			continue;
		}
		roaring_bitmap_or_inplace(stream_of(h, store_get_be32(k.mv_data), 1)->b, b);
		roaring_bitmap_free(b);
	}
	store_scan_close(&it);
	return r < 0 ? -1 : 0;
}

int handoff_open(struct handoff *h)
{
	char name[128];
	size_t i;

	h->dbi = xcalloc(h->ndbs ? h->ndbs : 1, sizeof *h->dbi);
	h->rdbi = xcalloc(h->ndbs ? h->ndbs : 1, sizeof *h->rdbi);
	/* a DB a read-only store lacks, or one of an earlier layout any
	 * store lacks: nothing of it is moved (the tool never wrote it) */
	h->absent = xcalloc(h->ndbs ? h->ndbs : 1, 1);
	for (i = 0; i < h->ndbs; i++)
		if (open_entry(h, i, 0) < 0)
			return -1;
	if (!h->person_stream) {
		int r;
		snprintf(name, sizeof name, "%s.streams", h->tool);
		if ((r = open_db(h, name, &h->idx)) < 0)
			return -1;
		h->have_idx = r ? 1 : 3; /* 3: none, an empty index */
	}
	return 0;
}

/* The index in memory, read the first time a writer needs it. */
static int index_ready(struct handoff *h)
{
	if (h->have_idx != 1)
		return 0;
	if (index_load(h))
		return -1;
	h->have_idx = 2;
	return 0;
}

void handoff_free(struct handoff *h)
{
	size_t i;

	for (i = 0; i < h->ns; i++) {
		roaring_bitmap_free(h->s[i].b);
		roaring_bitmap_free(h->s[i].dirty);
	}
	free(h->s);
	for (i = 0; i < h->nmeta; i++) {
		free(h->meta[i].name);
		free(h->meta[i].key);
		free(h->meta[i].v);
	}
	free(h->meta);
	if (h->people)
		roaring_bitmap_free(h->people);
	free(h->dbi);
	free(h->rdbi);
	free(h->absent);
	memset((char *)h + offsetof(struct handoff, dbi), 0, sizeof *h - offsetof(struct handoff, dbi));
}

void handoff_note(struct handoff *h, uint32_t stream, uint32_t oneid)
{
	struct handoff_stream *e;
	size_t i;

	if (h->have_idx == 1 && index_ready(h))
		return;
	e = stream_of(h, stream, 1);
	if (!roaring_bitmap_add_checked(e->b, oneid))
		return; /* filed there already: the common case */
	roaring_bitmap_add(e->dirty, oneid >> 16);
	for (i = 0; i < h->ns; i++)
		if (h->s[i].stream != stream && roaring_bitmap_remove_checked(h->s[i].b, oneid))
			roaring_bitmap_add(h->s[i].dirty, oneid >> 16);
}

void handoff_forget(struct handoff *h, uint32_t oneid)
{
	size_t i;

	if (h->have_idx == 1 && index_ready(h))
		return;
	for (i = 0; i < h->ns; i++)
		if (roaring_bitmap_remove_checked(h->s[i].b, oneid))
			roaring_bitmap_add(h->s[i].dirty, oneid >> 16);
}

struct save_ctx {
	struct handoff *h;
	struct handoff_stream *e;
	struct buf b;
};

static bool save_block(uint32_t blk, void *ctx)
{
	struct save_ctx *c = ctx;
	roaring_bitmap_t *r = roaring_bitmap_from_range((uint64_t)blk << 16, ((uint64_t)blk + 1) << 16, 1);
	unsigned char key[8];

	roaring_bitmap_and_inplace(r, c->e->b);
	store_be32(key, c->e->stream);
	store_be32(key + 4, blk);
	if (roaring_bitmap_is_empty(r)) {
		store_del(c->h->st, c->h->idx, key, 8);
	} else {
		size_t n;
		roaring_bitmap_run_optimize(r);
		n = roaring_bitmap_portable_size_in_bytes(r);
		buf_reset(&c->b);
		buf_grow(&c->b, n);
		roaring_bitmap_portable_serialize(r, c->b.p);
		store_put(c->h->st, c->h->idx, key, 8, c->b.p, n);
	}
	roaring_bitmap_free(r);
	return true;
}

void handoff_save(struct handoff *h)
{
	struct save_ctx c = {h, NULL, BUF_INIT};
	size_t i;

	if (h->have_idx != 2)
		return;
	for (i = 0; i < h->ns; i++) {
		if (roaring_bitmap_is_empty(h->s[i].dirty))
			continue;
		c.e = &h->s[i];
		roaring_iterate(h->s[i].dirty, save_block, &c);
		roaring_bitmap_clear(h->s[i].dirty);
	}
	buf_release(&c.b);
}

roaring_bitmap_t *handoff_people(struct handoff *h, uint32_t part)
{
	roaring_bitmap_t *r = roaring_bitmap_create();
	struct store_scan it;
	MDB_val k, v;
	size_t i;
	int rc;

	if (h->have_idx == 2) {
		struct handoff_stream *e = stream_of(h, part, 0);
		if (e)
			roaring_bitmap_or_inplace(r, e->b);
		return r;
	}
	if (h->have_idx == 3)
		return r;
	if (h->have_idx) {
		if (store_scan_open(h->st, h->idx, &it))
			goto fail;
		while ((rc = store_scan_next(&it, &k, &v)) == 1) {
			roaring_bitmap_t *b;
			if (k.mv_size != 8 || store_get_be32(k.mv_data) != part)
				continue;
			if ((b = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size))) {
				roaring_bitmap_or_inplace(r, b);
				roaring_bitmap_free(b);
			}
		}
		store_scan_close(&it);
		if (rc < 0)
			goto fail;
		return r;
	}
	for (i = 0; i < h->ndbs && h->dbs[i].kind != HANDOFF_PERSON; i++)
		;
	if (i == h->ndbs || store_scan_open(h->st, h->dbi[i], &it))
		goto fail;
	while ((rc = store_scan_next(&it, &k, &v)) == 1) {
		uint32_t s;
		if (k.mv_size == 4 && h->person_stream(h->ctx, v.mv_data, v.mv_size, &s) == 1 && s == part)
			roaring_bitmap_add(r, store_get_be32(k.mv_data));
	}
	store_scan_close(&it);
	if (rc < 0)
		goto fail;
	return r;
fail:
	roaring_bitmap_free(r);
	return NULL;
}

int handoff_stream_of(struct handoff *h, uint32_t oneid, uint32_t *stream)
{
	size_t i;

	if (h->have_idx == 1 && index_ready(h))
		return -1;
	if (h->have_idx != 2)
		return 0;
	for (i = 0; i < h->ns; i++)
		if (roaring_bitmap_contains(h->s[i].b, oneid)) {
			*stream = h->s[i].stream;
			return 1;
		}
	return 0;
}

/* ---- offsets: topic bytes, NUL, partition (4, big-endian) ---- */

/* 1 opened, 0 absent (a read-only store with no offsets), -1 an error. */
static int offsets_dbi(struct handoff *h, MDB_dbi *dbi)
{
	char name[128];

	snprintf(name, sizeof name, "%s.offsets", h->tool);
	return open_db(h, name, dbi);
}

/* Is k a Kafka offset's key, of partition *part? */
static int offset_part(const MDB_val *k, uint32_t *part)
{
	const unsigned char *p = k->mv_data;

	if (k->mv_size < 6 || p[k->mv_size - 5] != 0 || !memcmp(p, "file:", 5))
		return 0;
	*part = store_get_be32(p + k->mv_size - 4);
	return 1;
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

size_t handoff_owned(struct handoff *h, uint32_t *parts, size_t max)
{
	struct store_scan it;
	MDB_dbi dbi;
	MDB_val k, v;
	size_t n = 0, i, j;
	uint32_t p;

	if (offsets_dbi(h, &dbi) != 1 || store_scan_open(h->st, dbi, &it))
		return 0;
	while (store_scan_next(&it, &k, &v) == 1 && n < max)
		if (offset_part(&k, &p))
			parts[n++] = p;
	store_scan_close(&it);
	qsort(parts, n, sizeof *parts, u32_cmp);
	for (i = j = 0; i < n; i++)
		if (!j || parts[j - 1] != parts[i])
			parts[j++] = parts[i];
	return j;
}

/* ---- the file ---- */

struct writer {
	FILE *f;
	const char *path;
	uint64_t n;
	int err;
};

static void wr(struct writer *w, const char *name, const void *k, size_t kn, const void *v, size_t vn)
{
	unsigned char hd[4];
	size_t nl = strlen(name);

	hd[0] = (unsigned char)(nl >> 8);
	hd[1] = (unsigned char)nl;
	fwrite(hd, 1, 2, w->f);
	fwrite(name, 1, nl, w->f);
	store_be32(hd, (uint32_t)kn);
	fwrite(hd, 1, 4, w->f);
	fwrite(k, 1, kn, w->f);
	store_be32(hd, (uint32_t)vn);
	fwrite(hd, 1, 4, w->f);
	if (vn)
		fwrite(v, 1, vn, w->f);
	w->n++;
}

static void wr_bitmap(struct writer *w, struct buf *b, const char *name, const void *k, size_t kn,
		      roaring_bitmap_t *r)
{
	size_t n;

	roaring_bitmap_run_optimize(r);
	n = roaring_bitmap_portable_size_in_bytes(r);
	buf_reset(b);
	buf_grow(b, n);
	roaring_bitmap_portable_serialize(r, b->p);
	wr(w, name, k, kn, b->p, n);
}

struct export_ctx {
	struct handoff *h;
	struct writer *w;
	const char *name;
	MDB_dbi dbi;
	int err;
};

static bool export_person(uint32_t oneid, void *ctx)
{
	struct export_ctx *c = ctx;
	unsigned char key[4];
	MDB_val v;
	int r;

	store_be32(key, oneid);
	r = store_get(c->h->st, c->dbi, key, 4, &v);
	if (r < 0) {
		c->err = 1;
		return false;
	}
	if (r == 1)
		wr(c->w, c->name, key, 4, v.mv_data, v.mv_size);
	return true;
}

/* Is key k of STREAM entry d: 1 of the partition, 2 of no known stream, 0
 * neither. */
static int stream_key(const struct handoff_db *d, uint32_t part, const MDB_val *k)
{
	uint32_t s;

	if (d->any_len && k->mv_size == d->any_len)
		return 2;
	if (k->mv_size < 4)
		return 0;
	s = store_get_be32(k->mv_data);
	if (s == (part | d->stream_or))
		return 1;
	return d->any_stream && s == d->any_stream ? 2 : 0;
}

/* Is the record (k, v) of KEYED, SUFFIX, VALUE or REF entry i one that
 * moves with partition part (whose people are people)? -1 on an LMDB
 * error (REF's lookup). */
static int moves_key(struct handoff *h, size_t i, uint32_t part, const roaring_bitmap_t *people, const MDB_val *k,
		     const MDB_val *v)
{
	const struct handoff_db *d = &h->dbs[i];
	const char *p = k->mv_data;
	char num[16];
	size_t n, pn;

	if (d->kind == HANDOFF_KEYED)
		return k->mv_size >= d->at + 4 &&
		       roaring_bitmap_contains(people, store_get_be32((const unsigned char *)p + d->at));
	if (d->kind == HANDOFF_VALUE)
		return v->mv_size >= d->at + 4 &&
		       roaring_bitmap_contains(people, store_get_be32((const unsigned char *)v->mv_data + d->at));
	if (d->kind == HANDOFF_REF) {
		MDB_val rv;
		int r;
		if (k->mv_size <= d->at)
			return 0;
		if ((r = store_get(h->st, h->rdbi[i], p + d->at, k->mv_size - d->at, &rv)) <= 0)
			return r;
		return rv.mv_size >= d->ref_at + 4 &&
		       roaring_bitmap_contains(people, store_get_be32((const unsigned char *)rv.mv_data + d->ref_at));
	}
	n = (size_t)snprintf(num, sizeof num, ":%u", (unsigned)part);
	pn = d->key ? strlen(d->key) : 0;
	return k->mv_size >= pn + n && !memcmp(p, d->key ? d->key : "", pn) &&
	       !memcmp(p + k->mv_size - n, num, n);
}

static int export_db(struct handoff *h, size_t i, uint32_t part, const roaring_bitmap_t *people,
		     struct writer *w, struct buf *b)
{
	const struct handoff_db *d = &h->dbs[i];
	struct store_scan it;
	MDB_val k, v;
	int r = 0;

	if (h->absent[i])
		return 0;
	switch (d->kind) {
	case HANDOFF_PERSON: {
		struct export_ctx c = {h, w, d->name, h->dbi[i], 0};
		roaring_iterate(people, export_person, &c);
		return c.err ? -1 : 0;
	}
	case HANDOFF_META:
		if (!d->key)
			break; /* every key: the scan below */
		/* fall through */
	case HANDOFF_CLOCK: {
		char key[64];
		size_t kn;
		if (d->kind == HANDOFF_CLOCK)
			kn = (size_t)snprintf(key, sizeof key, d->key, (unsigned)part);
		else
			kn = strlen(d->key), memcpy(key, d->key, kn + 1);
		if ((r = store_get(h->st, h->dbi[i], key, kn, &v)) < 0)
			return -1;
		if (r == 1)
			wr(w, d->name, key, kn, v.mv_data, v.mv_size);
		return 0;
	}
	case HANDOFF_SEEN: {
		/* lib/seen: NAME a key per id; NAME_runs per (day, run) the
		 * hashes of a commit, 8 bytes each: written as keys per id */
		if (store_scan_open(h->st, h->dbi[i], &it))
			return -1;
		while ((r = store_scan_next(&it, &k, &v)) == 1)
			wr(w, d->name, k.mv_data, k.mv_size, "", 0);
		store_scan_close(&it);
		if (r < 0 || store_scan_open(h->st, h->rdbi[i], &it))
			return -1;
		while ((r = store_scan_next(&it, &k, &v)) == 1) {
			unsigned char key[12];
			size_t j;
			if (k.mv_size != 8)
				continue;
			memcpy(key, k.mv_data, 4);
			for (j = 0; j + 8 <= v.mv_size; j += 8) {
				memcpy(key + 4, (const unsigned char *)v.mv_data + j, 8);
				wr(w, d->name, key, 12, "", 0);
			}
		}
		store_scan_close(&it);
		return r < 0 ? -1 : 0;
	}
	default:
		break;
	}
	if (store_scan_open(h->st, h->dbi[i], &it))
		return -1;
	while ((r = store_scan_next(&it, &k, &v)) == 1) {
		int what = 0;
		if (d->kind == HANDOFF_META || d->kind == HANDOFF_WHOLE) {
			wr(w, d->name, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
			continue;
		}
		if (d->kind == HANDOFF_KEYED || d->kind == HANDOFF_SUFFIX || d->kind == HANDOFF_VALUE ||
		    d->kind == HANDOFF_REF) {
			int m = moves_key(h, i, part, people, &k, &v);
			if (m < 0) {
				r = -1;
				break;
			}
			if (m)
				wr(w, d->name, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
			continue;
		}
		if (d->kind == HANDOFF_AGREE) {
			const unsigned char *kp = k.mv_data;
			size_t at = k.mv_size > 1 && kp[0] == '#';
			if (d->key && (k.mv_size != strlen(d->key) || memcmp(kp, d->key, k.mv_size)))
				continue;
			if (!d->skip_ns || !k.mv_size || !memchr(d->skip_ns, kp[at], strlen(d->skip_ns)))
				wr(w, d->name, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
			continue;
		}
		if (d->kind == HANDOFF_STREAM) {
			what = stream_key(d, part, &k);
			if (what == 1)
				wr(w, d->name, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
			if (what != 2)
				continue;
		} else if (d->key && (k.mv_size != strlen(d->key) || memcmp(k.mv_data, d->key, k.mv_size))) {
			continue;
		}
		{
			roaring_bitmap_t *bm = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
			if (!bm) {
				cli_err("%s: a value that does not read as a bitmap: left out", d->name);
				continue;
			}
			roaring_bitmap_and_inplace(bm, people);
			if (!roaring_bitmap_is_empty(bm))
				wr_bitmap(w, b, d->name, k.mv_data, k.mv_size, bm);
			roaring_bitmap_free(bm);
		}
	}
	store_scan_close(&it);
	return r < 0 ? -1 : 0;
}

int handoff_export(struct handoff *h, uint32_t part, FILE *out, const char *path)
{
	struct writer w = {out, path, 0, 0};
	struct buf b = BUF_INIT;
	roaring_bitmap_t *people;
	struct store_scan it;
	unsigned char hd[8];
	MDB_dbi odbi;
	MDB_val k, v;
	size_t i;
	int r, owned = 0, rc = 0;
	uint32_t p;

	if ((r = offsets_dbi(h, &odbi)) < 0)
		return EXIT_IO;
	if (!r) {
		cli_err("partition export '%u': this store does not own the partition (no offset stored for it)",
			(unsigned)part);
		return EXIT_CONFIG;
	}
	if (!(people = handoff_people(h, part)))
		return EXIT_IO;
	/* owned: an offset stored for the partition */
	if (store_scan_open(h->st, odbi, &it)) {
		rc = EXIT_IO;
		goto out;
	}
	while ((r = store_scan_next(&it, &k, &v)) == 1)
		owned |= offset_part(&k, &p) && p == part;
	store_scan_close(&it);
	if (!owned) {
		cli_err("partition export '%u': this store does not own the partition (no offset stored for it)",
			(unsigned)part);
		rc = EXIT_CONFIG;
		goto out;
	}
	fwrite(MAGIC, 1, strlen(MAGIC), out);
	store_be32(hd, part);
	store_be32(hd + 4, h->flags);
	wr(&w, "#tool", h->tool, strlen(h->tool), hd, 8);
	for (i = 0; i < h->ndbs; i++)
		if (export_db(h, i, part, people, &w, &b)) {
			rc = EXIT_IO;
			goto out;
		}
	wr_bitmap(&w, &b, "#people", "", 0, people);
	{
		char oname[128];
		snprintf(oname, sizeof oname, "%s.offsets", h->tool);
		if (store_scan_open(h->st, odbi, &it)) {
			rc = EXIT_IO;
			goto out;
		}
		while ((r = store_scan_next(&it, &k, &v)) == 1)
			if (offset_part(&k, &p) && p == part)
				wr(&w, oname, k.mv_data, k.mv_size, v.mv_data, v.mv_size);
		store_scan_close(&it);
	}
	store_be64(hd, w.n);
	wr(&w, "#end", "", 0, hd, 8);
	if (fflush(out) || ferror(out)) {
		cli_err("partition export: cannot write '%s': %s", path, strerror(errno));
		rc = EXIT_IO;
	}
out:
	store_read_end(h->st);
	roaring_bitmap_free(people);
	buf_release(&b);
	return rc;
}

/* ---- import ---- */

struct rec {
	const char *name;
	size_t nl;
	const unsigned char *k, *v;
	size_t kn, vn;
};

struct reader {
	const unsigned char *p, *end;
};

/* 1 a record, 0 the end of the bytes, -1 cut short. */
static int rd(struct reader *r, struct rec *x)
{
	size_t left = (size_t)(r->end - r->p);

	if (!left)
		return 0;
	if (left < 2)
		return -1;
	x->nl = (size_t)r->p[0] << 8 | r->p[1];
	r->p += 2;
	if ((size_t)(r->end - r->p) < x->nl + 4)
		return -1;
	x->name = (const char *)r->p;
	r->p += x->nl;
	x->kn = store_get_be32(r->p);
	r->p += 4;
	if ((size_t)(r->end - r->p) < x->kn + 4)
		return -1;
	x->k = r->p;
	r->p += x->kn;
	x->vn = store_get_be32(r->p);
	r->p += 4;
	if ((size_t)(r->end - r->p) < x->vn)
		return -1;
	x->v = r->p;
	r->p += x->vn;
	return 1;
}

static int name_is(const struct rec *x, const char *s)
{
	return x->nl == strlen(s) && !memcmp(x->name, s, x->nl);
}

/* The entry of h->dbs the record is of, or -1: of its DB, the entry
 * whose key it is, else the one of every key. */
static int db_of(const struct handoff *h, const struct rec *x)
{
	int any = -1;
	size_t i;

	for (i = 0; i < h->ndbs; i++) {
		const struct handoff_db *d = &h->dbs[i];
		char key[64];
		size_t kn;
		if (!name_is(x, d->name))
			continue;
		if (!d->key || d->kind == HANDOFF_STREAM || d->kind == HANDOFF_PERSON || d->kind == HANDOFF_SEEN ||
		    d->kind == HANDOFF_KEYED || d->kind == HANDOFF_SUFFIX || d->kind == HANDOFF_VALUE ||
		    d->kind == HANDOFF_REF || d->kind == HANDOFF_WHOLE) {
			if (any < 0)
				any = (int)i;
			continue;
		}
		if (d->kind == HANDOFF_CLOCK)
			kn = (size_t)snprintf(key, sizeof key, d->key, (unsigned)h->part);
		else
			kn = strlen(d->key), memcpy(key, d->key, kn + 1);
		if (x->kn == kn && !memcmp(x->k, key, kn))
			return (int)i;
	}
	return any;
}

static void key_text(const unsigned char *k, size_t n, struct buf *b)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n && i < 60; i++)
		buf_printf(b, k[i] >= 0x20 && k[i] < 0x7f ? "%c" : "\\x%02x", k[i]);
	buf_addc(b, 0);
}

/* Would the AGREE record x clash with the target? 0 no, else printed. */
static int agree_check(struct handoff *h, size_t i, const struct rec *x, const char *path)
{
	MDB_val v, k2, v2;
	struct store_scan it;
	struct buf b = BUF_INIT;
	int r, clash = 0;

	if ((r = store_get(h->st, h->dbi[i], x->k, x->kn, &v)) < 0)
		return EXIT_IO;
	if (x->kn && x->k[0] == '#')
		return 0; /* a counter: the greater wins */
	if (r == 1) {
		if (v.mv_size == x->vn && !memcmp(v.mv_data, x->v, x->vn))
			return 0;
		key_text(x->k, x->kn, &b);
		cli_err("partition import '%s': %s differs at '%s': the stores were built from other definitions",
			path, h->dbs[i].name, b.p);
		buf_release(&b);
		return EXIT_CONFIG;
	}
	if (h->dbs[i].key)
		return 0; /* a key alone: no namespace */
	/* a key the target lacks: its value must be free in its namespace */
	if (store_scan_open(h->st, h->dbi[i], &it))
		return EXIT_IO;
	while (!clash && store_scan_next(&it, &k2, &v2) == 1)
		clash = x->kn && k2.mv_size && ((const unsigned char *)k2.mv_data)[0] == x->k[0] &&
			((const unsigned char *)k2.mv_data)[0] != '#' && v2.mv_size == x->vn &&
			!memcmp(v2.mv_data, x->v, x->vn);
	store_scan_close(&it);
	if (clash) {
		key_text(x->k, x->kn, &b);
		cli_err("partition import '%s': %s gives '%s' a number this store gives another: the stores "
			"were built from other definitions", path, h->dbs[i].name, b.p);
		buf_release(&b);
		return EXIT_CONFIG;
	}
	return 0;
}

/* Put the bitmap x->v or'ed into what key x->k holds in dbi (and-not
 * people when drop). */
static int bitmap_merge(struct handoff *h, MDB_dbi dbi, const void *k, size_t kn, roaring_bitmap_t *add,
			const roaring_bitmap_t *drop, struct buf *b)
{
	MDB_val v;
	roaring_bitmap_t *cur = NULL;
	int r = store_get(h->st, dbi, k, kn, &v);
	size_t n;

	if (r < 0)
		return -1;
	if (r == 1 && !(cur = roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size)))
		cli_err("a value that does not read as a bitmap: replaced");
	if (!cur)
		cur = roaring_bitmap_create();
	if (add)
		roaring_bitmap_or_inplace(cur, add);
	if (drop)
		roaring_bitmap_andnot_inplace(cur, drop);
	if (roaring_bitmap_is_empty(cur)) {
		if (r == 1)
			store_del(h->st, dbi, k, kn);
	} else {
		roaring_bitmap_run_optimize(cur);
		n = roaring_bitmap_portable_size_in_bytes(cur);
		buf_reset(b);
		buf_grow(b, n);
		roaring_bitmap_portable_serialize(cur, b->p);
		store_put(h->st, dbi, k, kn, b->p, n);
	}
	roaring_bitmap_free(cur);
	return 0;
}

static int step(struct handoff *h)
{
	if (store_pending(h->st) < STEP)
		return 0;
	if (h->have_idx == 2)
		handoff_save(h);
	return store_commit(h->st);
}

static bool note_each(uint32_t oneid, void *ctx)
{
	struct handoff *h = ctx;
	handoff_note(h, h->part, oneid);
	return true;
}

int handoff_import(struct handoff *h, FILE *in, const char *path)
{
	struct buf data = BUF_INIT, b = BUF_INIT;
	struct reader r;
	struct rec x;
	char oname[128];
	MDB_dbi odbi;
	uint64_t n = 0, want = 0;
	int rc = 0, got, ended = 0, i;
	size_t rd_n;

	snprintf(oname, sizeof oname, "%s.offsets", h->tool);
	if (offsets_dbi(h, &odbi) != 1)
		return EXIT_IO;
	for (;;) {
		buf_grow(&data, 1 << 20);
		rd_n = fread(data.p + data.len, 1, 1 << 20, in);
		data.len += rd_n;
		if (rd_n < (1 << 20))
			break;
	}
	if (ferror(in)) {
		cli_err("partition import: cannot read '%s': %s", path, strerror(errno));
		rc = EXIT_IO;
		goto out;
	}
	/* first the whole file: its shape, then whether it may go in */
	if (data.len < strlen(MAGIC) || memcmp(data.p, MAGIC, strlen(MAGIC))) {
		cli_err("partition import '%s': not a partition's state (partition export writes them)", path);
		rc = EXIT_DATA;
		goto out;
	}
	r.p = (const unsigned char *)data.p + strlen(MAGIC);
	r.end = (const unsigned char *)data.p + data.len;
	/* its shape: the tool's, whole */
	while ((got = rd(&r, &x)) == 1 && !ended) {
		if (!n) {
			if (!name_is(&x, "#tool") || x.vn != 8 || x.kn != strlen(h->tool) ||
			    memcmp(x.k, h->tool, x.kn)) {
				cli_err("partition import '%s': not a partition of %s's state", path, h->tool);
				rc = EXIT_DATA;
				goto out;
			}
			h->part = store_get_be32(x.v);
			h->in_flags = store_get_be32(x.v + 4);
		} else if (name_is(&x, "#end")) {
			ended = 1;
			want = x.vn == 8 ? store_get_be64(x.v) : UINT64_MAX;
			continue;
		}
		n++;
	}
	if (got != 0 || !ended || want != n) {
		cli_err("partition import '%s': the file is cut short or damaged: nothing imported", path);
		rc = EXIT_DATA;
		goto out;
	}
	/* then whether it may go in */
	r.p = (const unsigned char *)data.p + strlen(MAGIC);
	rd(&r, &x);
	while (rd(&r, &x) == 1 && !name_is(&x, "#end")) {
		if (name_is(&x, oname)) {
			uint32_t p;
			MDB_val k = {x.kn, (void *)x.k}, v;
			if (!offset_part(&k, &p) || p != h->part) {
				cli_err("partition import '%s': an offset of another partition", path);
				rc = EXIT_DATA;
				goto out;
			}
			if ((i = store_get(h->st, odbi, x.k, x.kn, &v)) < 0) {
				rc = EXIT_IO;
				goto out;
			}
			if (i == 1) {
				cli_err("partition import '%s': this store owns partition %u already (it has an offset "
					"stored for it): drop it first (%s partition drop --partition %u)",
					path, (unsigned)h->part, h->tool, (unsigned)h->part);
				rc = EXIT_CONFIG;
				goto out;
			}
		} else if (!name_is(&x, "#people") && (i = db_of(h, &x)) < 0) {
			cli_err("partition import '%s': a record of a DB %s does not move ('%.*s')", path, h->tool,
				(int)x.nl, x.name);
			rc = EXIT_DATA;
			goto out;
		} else if (!name_is(&x, "#people") && h->dbs[i].kind == HANDOFF_AGREE &&
			   (rc = agree_check(h, (size_t)i, &x, path))) {
			goto out;
		} else if (!name_is(&x, "#people") && h->absent[i] && h->dbs[i].earlier) {
			h->absent[i] = 2; /* keys of a DB the store lacks: made below */
		}
	}
	store_read_end(h->st);
	/* a DB of an earlier layout the file brings keys of: created now,
	 * before the batch (and only then: a new store never gains it) */
	for (i = 0; i < (int)h->ndbs; i++)
		if (h->absent[i] == 2 && open_entry(h, (size_t)i, 1) != 1) {
			rc = EXIT_IO;
			goto out;
		}
	/* then the records, the offsets last: an import cut short owns
	 * nothing, and is run again */
	r.p = (const unsigned char *)data.p + strlen(MAGIC);
	rd(&r, &x);
	while (rd(&r, &x) == 1 && !name_is(&x, "#end")) {
		const struct handoff_db *d;
		if (name_is(&x, oname))
			continue;
		if (name_is(&x, "#people")) {
			if (h->people)
				roaring_bitmap_free(h->people);
			h->people = roaring_bitmap_portable_deserialize_safe((const char *)x.v, x.vn);
			if (!h->people) {
				cli_err("partition import '%s': the people do not read as a bitmap", path);
				rc = EXIT_DATA;
				goto out;
			}
			continue;
		}
		i = db_of(h, &x);
		d = &h->dbs[i];
		switch (d->kind) {
		case HANDOFF_PERSON:
		case HANDOFF_CLOCK:
		case HANDOFF_KEYED:
		case HANDOFF_SUFFIX:
		case HANDOFF_VALUE:
		case HANDOFF_REF:
			store_put(h->st, h->dbi[i], x.k, x.kn, x.v, x.vn);
			break;
		case HANDOFF_WHOLE: {
			MDB_val v;
			int g = store_get(h->st, h->dbi[i], x.k, x.kn, &v);
			if (g < 0) {
				rc = EXIT_IO;
				goto out;
			}
			if (!g)
				store_put(h->st, h->dbi[i], x.k, x.kn, x.v, x.vn);
			break;
		}
		case HANDOFF_SEEN:
			store_put(h->st, h->dbi[i], x.k, x.kn, "", 0);
			break;
		case HANDOFF_META:
			h->meta = xrealloc(h->meta, (h->nmeta + 1) * sizeof *h->meta);
			h->meta[h->nmeta].name = xstrndup(x.name, x.nl);
			h->meta[h->nmeta].key = xstrndup((const char *)x.k, x.kn);
			h->meta[h->nmeta].v = xmalloc(x.vn + 1);
			memcpy(h->meta[h->nmeta].v, x.v, x.vn);
			h->meta[h->nmeta++].n = x.vn;
			break;
		case HANDOFF_AGREE: {
			MDB_val v;
			int g = store_get(h->st, h->dbi[i], x.k, x.kn, &v);
			if (g < 0) {
				rc = EXIT_IO;
				goto out;
			}
			if (x.kn && x.k[0] == '#' && g == 1 && v.mv_size == 4 && x.vn == 4 &&
			    store_get_be32(v.mv_data) >= store_get_be32(x.v))
				break;
			if (g == 0 || (x.kn && x.k[0] == '#'))
				store_put(h->st, h->dbi[i], x.k, x.kn, x.v, x.vn);
			break;
		}
		case HANDOFF_STREAM:
		case HANDOFF_BITMAP: {
			MDB_val k = {x.kn, (void *)x.k};
			roaring_bitmap_t *bm;
			if (d->kind == HANDOFF_STREAM && stream_key(d, h->part, &k) == 1) {
				store_put(h->st, h->dbi[i], x.k, x.kn, x.v, x.vn);
				break;
			}
			if (!(bm = roaring_bitmap_portable_deserialize_safe((const char *)x.v, x.vn))) {
				cli_err("partition import '%s': %s: a value that does not read as a bitmap", path,
					d->name);
				rc = EXIT_DATA;
				goto out;
			}
			got = bitmap_merge(h, h->dbi[i], x.k, x.kn, bm, NULL, &b);
			roaring_bitmap_free(bm);
			if (got) {
				rc = EXIT_IO;
				goto out;
			}
			break;
		}
		}
		if ((rc = step(h)))
			goto out;
	}
	if (!h->people)
		h->people = roaring_bitmap_create();
	if (h->have_idx) {
		if (h->have_idx == 1 && index_ready(h)) {
			rc = EXIT_IO;
			goto out;
		}
		roaring_iterate(h->people, note_each, h);
		handoff_save(h);
	}
	if ((rc = store_commit(h->st)))
		goto out;
	/* what the tool derives from the people's records, before the
	 * ownership: cut short, the import is run again and so is this */
	if (h->moved && (rc = h->moved(h->ctx, h->people, 1)))
		goto out;
	/* the ownership, last */
	r.p = (const unsigned char *)data.p + strlen(MAGIC);
	while (rd(&r, &x) == 1)
		if (name_is(&x, oname))
			store_put(h->st, odbi, x.k, x.kn, x.v, x.vn);
	rc = store_fold(h->st); /* commit, and leave no journal behind */
out:
	store_read_end(h->st);
	buf_release(&data);
	buf_release(&b);
	return rc;
}

struct keyrec {
	size_t n;
	unsigned char *p;
	int what;
};

static void keys_add(struct keyrec **keys, size_t *nk, size_t *capk, const void *p, size_t n, int what)
{
	if (*nk == *capk) {
		*capk = *capk ? 2 * *capk : 64;
		*keys = xrealloc(*keys, *capk * sizeof **keys);
	}
	(*keys)[*nk].n = n;
	(*keys)[*nk].p = xmalloc(n ? n : 1);
	memcpy((*keys)[*nk].p, p, n);
	(*keys)[(*nk)++].what = what;
}

static int keyrec_cmp(const void *a, const void *b)
{
	const struct keyrec *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* Can a drop find entry i's keys of the partition by seeking (the seek
 * and via of struct handoff_db)? The DB it seeks in: *sdbi. */
static int seeks(const struct handoff *h, size_t i, MDB_dbi *sdbi)
{
	const struct handoff_db *d = &h->dbs[i];
	size_t j;

	if (d->seek && d->kind == HANDOFF_STREAM && !d->any_stream && !d->any_len) {
		*sdbi = h->dbi[i];
		return 1;
	}
	if (d->seek && d->kind == HANDOFF_KEYED && d->at == 0) {
		*sdbi = h->dbi[i];
		return 1;
	}
	if (d->via && (d->kind == HANDOFF_VALUE || d->kind == HANDOFF_REF))
		for (j = 0; j < h->ndbs; j++)
			if (!strcmp(h->dbs[j].name, d->via) && h->dbs[j].kind == HANDOFF_KEYED && !h->dbs[j].at &&
			    !h->absent[j]) {
				*sdbi = h->dbi[j];
				return 1;
			}
	return 0;
}

/*
 * The keys of entry i that move with partition part, found by seeking in
 * sdbi (seeks): into keys. 0, or -1 on an LMDB error (printed).
 */
static int seek_keys(struct handoff *h, size_t i, MDB_dbi sdbi, uint32_t part, struct keyrec **keys, size_t *nk,
		     size_t *capk)
{
	const struct handoff_db *d = &h->dbs[i];
	MDB_txn *txn = store_read_txn(h->st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char pfx[4];
	roaring_uint32_iterator_t *itr = NULL;
	int rc, r = 0;

	if (!txn)
		return -1;
	if ((rc = mdb_cursor_open(txn, sdbi, &cur))) {
		cli_err("cannot read DB '%s': %s", d->via ? d->via : d->name, mdb_strerror(rc));
		return -1;
	}
	if (d->kind == HANDOFF_STREAM) {
		store_be32(pfx, part | d->stream_or);
		k.mv_data = pfx;
		k.mv_size = 4;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && k.mv_size >= 4 && !memcmp(k.mv_data, pfx, 4);
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
			keys_add(keys, nk, capk, k.mv_data, k.mv_size, 1);
		goto out;
	}
	/* by person: KEYED's own keys, or through via's */
	itr = roaring_create_iterator(h->people);
	for (; itr->has_value; roaring_advance_uint32_iterator(itr)) {
		store_be32(pfx, itr->current_value);
		k.mv_data = pfx;
		k.mv_size = 4;
		for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !rc && k.mv_size >= 4 && !memcmp(k.mv_data, pfx, 4);
		     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
			MDB_val ok = {k.mv_size - 4, (char *)k.mv_data + 4}, ov;
			int what;
			if (d->kind == HANDOFF_KEYED) {
				keys_add(keys, nk, capk, k.mv_data, k.mv_size, 1);
				continue;
			}
			if ((what = store_get(h->st, h->dbi[i], ok.mv_data, ok.mv_size, &ov)) < 0) {
				r = -1;
				break;
			}
			if (what && (what = moves_key(h, i, part, h->people, &ok, &ov)) < 0) {
				r = -1;
				break;
			}
			if (what)
				keys_add(keys, nk, capk, ok.mv_data, ok.mv_size, what);
		}
		if (r || (rc && rc != MDB_NOTFOUND))
			break;
	}
	/* found by person: deleted in key order, as a scan finds them (the
	 * pages a batch touches stay few) */
	if (d->via)
		qsort(*keys, *nk, sizeof **keys, keyrec_cmp);
out:
	if (itr)
		roaring_free_uint32_iterator(itr);
	mdb_cursor_close(cur);
	if (rc && rc != MDB_NOTFOUND && !r) {
		cli_err("cannot read DB '%s': %s", d->via ? d->via : d->name, mdb_strerror(rc));
		r = -1;
	}
	return r;
}

int handoff_drop(struct handoff *h, uint32_t part)
{
	struct store_scan it;
	struct buf b = BUF_INIT;
	MDB_dbi odbi, sdbi;
	MDB_val k, v;
	size_t i, nk = 0, capk = 0;
	struct keyrec *keys = NULL;
	int rc = 0, r, owned = 0;
	uint32_t p;

	h->part = part;
	if (offsets_dbi(h, &odbi) != 1)
		return EXIT_IO;
	if (h->have_idx == 1 && index_ready(h))
		return EXIT_IO;
	if (h->people)
		roaring_bitmap_free(h->people);
	if (!(h->people = handoff_people(h, part)))
		return EXIT_IO;
	/* the ownership first: a drop cut short owns nothing */
	if (store_scan_open(h->st, odbi, &it))
		return EXIT_IO;
	while ((r = store_scan_next(&it, &k, &v)) == 1)
		if (offset_part(&k, &p) && p == part) {
			store_del(h->st, odbi, k.mv_data, k.mv_size);
			owned = 1;
		}
	store_scan_close(&it);
	if (!owned && roaring_bitmap_is_empty(h->people)) {
		cli_err("partition drop '%u': this store holds nothing of the partition", (unsigned)part);
		return EXIT_CONFIG;
	}
	if ((rc = store_commit(h->st)))
		return rc;
	/* what the tool derives from the people's records, while they are
	 * there: cut short, the drop is run again and so is this */
	if (h->moved && (rc = h->moved(h->ctx, h->people, 0)))
		return rc;
	for (i = 0; i < h->ndbs && !rc; i++) {
		const struct handoff_db *d = &h->dbs[i];
		size_t j;
		if (h->absent[i])
			continue; /* a DB of an earlier layout the store lacks */
		if (d->kind == HANDOFF_PERSON) {
			roaring_uint32_iterator_t *itr = roaring_create_iterator(h->people);
			for (; itr->has_value && !rc; roaring_advance_uint32_iterator(itr)) {
				unsigned char key[4];
				store_be32(key, itr->current_value);
				store_del(h->st, h->dbi[i], key, 4);
				rc = step(h);
			}
			roaring_free_uint32_iterator(itr);
			continue;
		}
		if (d->kind == HANDOFF_CLOCK) {
			char key[64];
			int kn = snprintf(key, sizeof key, d->key, (unsigned)part);
			store_del(h->st, h->dbi[i], key, (size_t)kn);
			continue;
		}
		if (d->kind != HANDOFF_STREAM && d->kind != HANDOFF_BITMAP && d->kind != HANDOFF_KEYED &&
		    d->kind != HANDOFF_SUFFIX && d->kind != HANDOFF_VALUE && d->kind != HANDOFF_REF)
			continue;
		/* the keys first (a commit would end the scan), then the writes */
		nk = 0;
		if (!h->absent[i] && seeks(h, i, &sdbi)) {
			if (seek_keys(h, i, sdbi, part, &keys, &nk, &capk))
				rc = EXIT_IO;
			goto write;
		}
		if (store_scan_open(h->st, h->dbi[i], &it)) {
			rc = EXIT_IO;
			break;
		}
		while ((r = store_scan_next(&it, &k, &v)) == 1) {
			int what = 2;
			if (d->kind == HANDOFF_STREAM)
				what = stream_key(d, part, &k);
			else if (d->kind == HANDOFF_KEYED || d->kind == HANDOFF_SUFFIX || d->kind == HANDOFF_VALUE ||
				 d->kind == HANDOFF_REF) {
				if ((what = moves_key(h, i, part, h->people, &k, &v)) < 0) {
					r = -1;
					break;
				}
			}
			else if (d->key && (k.mv_size != strlen(d->key) || memcmp(k.mv_data, d->key, k.mv_size)))
				what = 0;
			if (!what)
				continue;
			keys_add(&keys, &nk, &capk, k.mv_data, k.mv_size, what);
		}
		store_scan_close(&it);
		if (r < 0)
			rc = EXIT_IO;
write:
		for (j = 0; j < nk; j++) {
			if (!rc && keys[j].what == 1)
				store_del(h->st, h->dbi[i], keys[j].p, keys[j].n);
			else if (!rc && bitmap_merge(h, h->dbi[i], keys[j].p, keys[j].n, NULL, h->people, &b))
				rc = EXIT_IO;
			free(keys[j].p);
			if (!rc)
				rc = step(h);
		}
	}
	free(keys);
	if (!rc && h->have_idx == 2) {
		struct handoff_stream *e = stream_of(h, part, 0);
		if (e) {
			roaring_uint32_iterator_t *itr = roaring_create_iterator(e->b);
			for (; itr->has_value; roaring_advance_uint32_iterator(itr))
				roaring_bitmap_add(e->dirty, itr->current_value >> 16);
			roaring_free_uint32_iterator(itr);
			roaring_bitmap_clear(e->b);
		}
		handoff_save(h);
	}
	if (!rc)
		rc = store_fold(h->st);
	buf_release(&b);
	return rc;
}

int handoff_meta(const struct handoff *h, const char *name, const char *key, MDB_val *v)
{
	size_t i;

	for (i = 0; i < h->nmeta; i++)
		if (!strcmp(h->meta[i].name, name) && !strcmp(h->meta[i].key, key)) {
			v->mv_data = h->meta[i].v;
			v->mv_size = h->meta[i].n;
			return 1;
		}
	return 0;
}

int handoff_status(struct handoff *h, const char *spec, const char *group, const char *const *x,
		   int nx, int timeout_ms, FILE *out)
{
	struct store_scan it;
	MDB_dbi odbi;
	MDB_val k, v;
	char *brokers = NULL, *topic = NULL;
	struct ent {
		char *topic;
		int32_t part;
		int64_t off, group, end;
	} *e = NULL;
	size_t n = 0, cap = 0, i;
	int32_t *parts;
	int64_t *gr, *hi;
	int rc = 0, np = 0;
	uint32_t p;

	if (spec && kafka_parse_url(spec, &brokers, &topic) != 1)
		brokers = topic = NULL;
	if ((rc = offsets_dbi(h, &odbi)) < 0)
		return EXIT_IO;
	if (!rc)
		return 0; /* no offsets: nothing owned */
	rc = 0;
	if (store_scan_open(h->st, odbi, &it))
		return EXIT_IO;
	while (store_scan_next(&it, &k, &v) == 1) {
		if (!offset_part(&k, &p) || v.mv_size != 8)
			continue;
		if (topic && (k.mv_size - 5 != strlen(topic) || memcmp(k.mv_data, topic, k.mv_size - 5)))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			e = xrealloc(e, cap * sizeof *e);
		}
		e[n].topic = xstrndup(k.mv_data, k.mv_size - 5);
		e[n].part = (int32_t)p;
		e[n].off = (int64_t)store_get_be64(v.mv_data);
		e[n].group = e[n].end = -1;
		n++;
	}
	store_scan_close(&it);
	store_read_end(h->st);
	if (topic && n) {
		parts = xmalloc(n * sizeof *parts);
		gr = xmalloc(n * sizeof *gr);
		hi = xmalloc(n * sizeof *hi);
		for (i = 0; i < n; i++)
			parts[np++] = e[i].part;
		rc = kafka_lag(brokers, topic, group, x, nx, parts, np, gr, hi, timeout_ms);
		for (i = 0; i < n; i++) {
			e[i].group = gr[i];
			e[i].end = hi[i];
		}
		free(parts);
		free(gr);
		free(hi);
	}
	for (i = 0; i < n; i++) {
		struct buf b = BUF_INIT;
		buf_adds(&b, "{\"topic\":");
		json_write_str(&b, e[i].topic, strlen(e[i].topic));
		buf_printf(&b, ",\"partition\":%d,\"offset\":%lld,\"group\":", (int)e[i].part, (long long)e[i].off);
		if (e[i].group >= 0)
			buf_printf(&b, "%lld", (long long)e[i].group);
		else
			buf_adds(&b, "null");
		buf_adds(&b, ",\"end\":");
		if (e[i].end >= 0)
			buf_printf(&b, "%lld,\"lag\":%lld}\n", (long long)e[i].end,
				   (long long)(e[i].end > e[i].off ? e[i].end - e[i].off : 0));
		else
			buf_adds(&b, "null,\"lag\":null}\n");
		fwrite(b.p, 1, b.len, out);
		buf_release(&b);
		free(e[i].topic);
	}
	free(e);
	free(brokers);
	free(topic);
	return rc;
}
