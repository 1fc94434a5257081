/*
 * jlog - scheduler's decision log: its packing and its blocks (see jlog.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jlog.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NPHRASES 32

/* Fixed for good: a store's log is read back with this table. */
static const char *const phrases[] = {
	NULL,
	"{\"type\":\"$journey\",\"event_id\":\"jrn:", /* 0x01 */
	"\",\"ts\":\"",
	"\",\"oneid\":",
	",\"journey\":\"",
	"\",\"version\":\"",
	"\",\"op\":\"",
	"\",\"step\":\"",
	"\",\"kind\":\"",
	"\",\"arm\":null", /* 0x09 */
	NULL,            /* 0x0a: the line separator */
	"\",\"arm\":\"", /* 0x0b */
	",\"arm\":null",
	",\"wake\":\"",
	",\"reason\":\"",
	"{\"ts\":\"",
	"\",\"journey\":\"", /* 0x10 */
	"\",\"condition\":\"",
	"\",\"is\":true,\"tree\":",
	"\",\"is\":false,\"tree\":",
	"{\"type\":\"$journey\",\"event_id\":\"jrn:due:",
	"\",\"ts\":\"20",
	":step\"",
	":enter\"",
	":exit\"",
	"wait_for",
	":timeout\"",
	"{\"op\":\"",
	"\"value\":",
	",\"tree\":",
	"\"is\":",
	NULL, /* 0x1f: a raw control byte follows */
};

/* The phrases by their first 4 bytes (every phrase has more): a bucket
 * of a hash of them holds its phrases' numbers, the longest first. */
#define PBUCKETS 256
static unsigned char pclass[256]; /* 1: the byte starts a phrase; 2: a control byte */
static unsigned char pb[PBUCKETS][NPHRASES], npb[PBUCKETS];
static uint32_t pword[NPHRASES];
static size_t plen[NPHRASES];

static uint32_t word4(const char *s)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w;
}

static unsigned bucket4(uint32_t w)
{
	return (unsigned)((w * 2654435761u) >> 24) % PBUCKETS;
}

/* The bytes phrases start with today, for the 16-byte scan of
 * jlog_pack; pack_init checks the table against them (a phrase added
 * with another first byte turns the scan off until this is updated). */
#define SIMD_FIRST "{\",:w"
static int simd_ok;

static void pack_init(void)
{
	unsigned k, a, b;

	for (k = 0; k < 0x20; k++)
		pclass[k] = 2;
	for (k = 1; k < NPHRASES; k++) {
		unsigned h;
		if (!phrases[k])
			continue;
		plen[k] = strlen(phrases[k]);
		pword[k] = word4(phrases[k]);
		pclass[(unsigned char)phrases[k][0]] = 1;
		h = bucket4(pword[k]);
		pb[h][npb[h]++] = (unsigned char)k;
	}
	simd_ok = 1;
	for (k = 0x20; k < 256; k++)
		if (pclass[k] != (memchr(SIMD_FIRST, (int)k, 5) != NULL))
			simd_ok = 0;
	for (k = 0; k < PBUCKETS; k++) /* the longest first */
		for (a = 0; a < npb[k]; a++)
			for (b = a + 1; b < npb[k]; b++)
				if (plen[pb[k][b]] > plen[pb[k][a]]) {
					unsigned char t = pb[k][a];
					pb[k][a] = pb[k][b];
					pb[k][b] = t;
				}
}

/* Append s[0..n) as it is but for control bytes, each kept after 0x1f. */
static void pack_raw(struct buf *out, const char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20) {
			buf_add(out, s + from, i - from);
			buf_addc(out, 0x1f);
			from = i;
		}
	buf_add(out, s + from, n - from);
}

/* Whether the n bytes at a and b are the same (short runs, inline). */
static inline int same(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	size_t k;

	if (n >= 8) {
		for (k = 0; k + 8 <= n; k += 8) {
			memcpy(&x, a + k, 8);
			memcpy(&y, b + k, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return 0;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	for (k = 0; k < n; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* The phrase that s[i..n) starts with (the longest), or 0. */
static inline unsigned match(const char *s, size_t i, size_t n)
{
	uint32_t w = word4(s + i);
	unsigned h = bucket4(w), q;

	for (q = 0; q < npb[h]; q++) {
		unsigned id = pb[h][q];
		if (pword[id] == w && plen[id] <= n - i && same(s + i + 4, phrases[id] + 4, plen[id] - 4))
			return id;
	}
	return 0;
}

/* Append the raw run s[from..to) (ctl: it holds a control byte), then
 * phrase id. */
static void pack_run(struct buf *out, const char *s, size_t from, size_t to, int ctl, unsigned id)
{
	if (ctl)
		pack_raw(out, s + from, to - from);
	else
		buf_add(out, s + from, to - from);
	buf_addc(out, (char)id);
}

void jlog_pack(struct buf *out, const char *s, size_t n)
{
	static int init;
	size_t i = 0, from = 0;
	int ctl = 0; /* s[from..i) holds a control byte: it goes through pack_raw */
	unsigned id;

	if (!init) {
		pack_init();
		init = 1;
	}
	buf_grow(out, n);
	/* one pass: a byte that may start a phrase is tried, a control byte
	 * noted; a raw run without one is copied as it is */
#ifdef __SSE2__
	/* 16 bytes at a time: the bytes to look at (the same as below) found
	 * by comparisons, the others skipped together */
	if (simd_ok) {
		const __m128i b0 = _mm_set1_epi8(SIMD_FIRST[0]), b1 = _mm_set1_epi8(SIMD_FIRST[1]),
			      b2 = _mm_set1_epi8(SIMD_FIRST[2]), b3 = _mm_set1_epi8(SIMD_FIRST[3]),
			      b4 = _mm_set1_epi8(SIMD_FIRST[4]), c1f = _mm_set1_epi8(0x1f);
		while (i + 16 <= n) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, b0), _mm_cmpeq_epi8(x, b1)),
						 _mm_or_si128(_mm_cmpeq_epi8(x, b2), _mm_cmpeq_epi8(x, b3)));
			unsigned bits;
			size_t at = i;
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, b4));
			m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x)); /* x <= 0x1f */
			bits = (unsigned)_mm_movemask_epi8(m);
			i += 16;
			while (bits) {
				size_t p = at + (size_t)__builtin_ctz(bits);
				bits &= bits - 1;
				if ((unsigned char)s[p] < 0x20) {
					ctl = 1;
					continue;
				}
				if (p + 4 > n || !(id = match(s, p, n)))
					continue;
				pack_run(out, s, from, p, ctl, id);
				ctl = 0;
				i = from = p + plen[id];
				break;
			}
		}
	}
#endif
	while (i + 4 < n + 1) {
		unsigned char k = pclass[(unsigned char)s[i]];
		if (!k) {
			i++;
			continue;
		}
		if (k == 2) {
			ctl = 1;
			i++;
			continue;
		}
		if (!(id = match(s, i, n))) {
			i++;
			continue;
		}
		pack_run(out, s, from, i, ctl, id);
		ctl = 0;
		i += plen[id];
		from = i;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			ctl = 1;
	if (ctl)
		pack_raw(out, s + from, n - from);
	else
		buf_add(out, s + from, n - from);
}

void jlog_unpack(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1f && i + 1 < n)
			buf_addc(out, s[++i]);
		else if (c < NPHRASES && phrases[c])
			buf_adds(out, phrases[c]);
		else
			buf_addc(out, (char)c);
	}
}

uint32_t jlog_day(int64_t t)
{
	return t < 0 ? 0 : (uint32_t)(t / 86400000);
}

/* ---- blocks ---- */

void jlog_key(unsigned char *k, uint32_t stream, uint32_t blk)
{
	store_be32(k, stream);
	store_be32(k + 4, blk);
}

void jlog_init(struct jlog *l, struct store *st, MDB_dbi dbi)
{
	memset(l, 0, sizeof *l);
	l->st = st;
	l->dbi = dbi;
}

void jlog_release(struct jlog *l)
{
	unsigned i;

	for (i = 0; i < l->nt; i++) {
		free(l->t[i].e);
		buf_release(&l->t[i].body);
	}
	free(l->t);
	buf_release(&l->val);
	l->t = NULL;
	l->nt = 0;
}

/* The parts of block v (n bytes): 0, or -1 when it is damaged. */
static int block_parse(const unsigned char *v, size_t n, uint32_t *count, const unsigned char **idx,
		       const char **body, size_t *blen)
{
	uint32_t c, i;

	if (n < 5 || v[0] != 1)
		return -1;
	c = store_get_be32(v + 1);
	if ((n - 5) / JLOG_ENTRY < c)
		return -1;
	*count = c;
	*idx = v + 5;
	*body = (const char *)v + 5 + (size_t)c * JLOG_ENTRY;
	*blen = n - 5 - (size_t)c * JLOG_ENTRY;
	for (i = 0; i < c; i++) {
		uint32_t off = store_get_be32(*idx + (size_t)i * JLOG_ENTRY + 8);
		uint32_t len = store_get_be32(*idx + (size_t)i * JLOG_ENTRY + 12);
		if (off > *blen || len > *blen - off)
			return -1;
	}
	return 0;
}

static void entry_get(const unsigned char *p, struct jlog_entry *e)
{
	e->oneid = store_get_be32(p);
	e->seq = store_get_be32(p + 4);
	e->off = store_get_be32(p + 8);
	e->len = store_get_be32(p + 12);
	e->pstream = store_get_be32(p + 16);
	e->pblk = store_get_be32(p + 20);
}

struct jlog_tail *jlog_tail(struct jlog *l, uint32_t stream)
{
	struct jlog_tail *t;
	unsigned char k[8];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, v;
	unsigned i;
	int rc;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].stream == stream)
			return &l->t[i];
	l->t = xrealloc(l->t, (l->nt + 1) * sizeof *l->t);
	t = &l->t[l->nt];
	memset(t, 0, sizeof *t);
	t->stream = stream;
	/* the stream's last block: before the first key of the next stream */
	if (!(txn = store_read_txn(l->st)))
		return NULL;
	if ((rc = mdb_cursor_open(txn, l->dbi, &cur))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(rc));
		return NULL;
	}
	rc = MDB_NOTFOUND;
	if (stream < UINT32_MAX) {
		jlog_key(k, stream + 1, 0);
		key.mv_data = k;
		key.mv_size = 8;
		rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	}
	rc = mdb_cursor_get(cur, &key, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
	if (!rc && key.mv_size == 8 && store_get_be32(key.mv_data) == stream) {
		uint32_t c, blk = store_get_be32((const unsigned char *)key.mv_data + 4);
		const unsigned char *idx;
		const char *body;
		size_t blen;
		if (block_parse(v.mv_data, v.mv_size, &c, &idx, &body, &blen)) {
			mdb_cursor_close(cur);
			cli_err("block %u of stream %u of the decision log is damaged", blk, stream);
			return NULL;
		}
		if (blen < JLOG_BLOCK) { /* open: read it back */
			t->blk = blk;
			t->cap = t->n = c;
			t->e = xmalloc((c ? c : 1) * sizeof *t->e);
			for (i = 0; i < c; i++)
				entry_get(idx + (size_t)i * JLOG_ENTRY, &t->e[i]);
			buf_add(&t->body, body, blen);
		} else {
			t->blk = blk + 1;
		}
	} else if (rc && rc != MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		cli_err("cannot read the decision log: %s", mdb_strerror(rc));
		return NULL;
	}
	mdb_cursor_close(cur);
	l->nt++;
	return t;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct jlog_entry *x = a, *y = b;

	if (x->oneid != y->oneid)
		return x->oneid < y->oneid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Queue the put of t as it stands. */
static void block_put(struct jlog *l, struct jlog_tail *t)
{
	unsigned char k[8], *p;
	size_t i, hl = 5 + t->n * JLOG_ENTRY;

	qsort(t->e, t->n, sizeof *t->e, entry_cmp); /* the body keeps its order */
	buf_reset(&l->val);
	buf_grow(&l->val, hl + t->body.len);
	p = (unsigned char *)l->val.p;
	p[0] = 1;
	store_be32(p + 1, (uint32_t)t->n);
	for (i = 0; i < t->n; i++) {
		unsigned char *q = p + 5 + i * JLOG_ENTRY;
		store_be32(q, t->e[i].oneid);
		store_be32(q + 4, t->e[i].seq);
		store_be32(q + 8, t->e[i].off);
		store_be32(q + 12, t->e[i].len);
		store_be32(q + 16, t->e[i].pstream);
		store_be32(q + 20, t->e[i].pblk);
	}
	if (t->body.len)
		memcpy(p + hl, t->body.p, t->body.len);
	l->val.len = hl + t->body.len;
	jlog_key(k, t->stream, t->blk);
	store_put(l->st, l->dbi, k, 8, l->val.p, l->val.len);
	t->dirty = 0;
}

void jlog_add(struct jlog *l, struct jlog_tail *t, struct jlog_entry *e, const char *lines, size_t n)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->e = xrealloc(t->e, t->cap * sizeof *t->e);
	}
	e->off = (uint32_t)t->body.len;
	e->len = (uint32_t)n;
	t->e[t->n++] = *e;
	buf_add(&t->body, lines, n);
	t->dirty = 1;
	if (t->body.len >= JLOG_BLOCK) {
		block_put(l, t);
		l->blocks++;
		t->blk++;
		t->n = 0;
		buf_reset(&t->body);
	}
}

void jlog_save(struct jlog *l)
{
	unsigned i;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].dirty)
			block_put(l, &l->t[i]);
}

long jlog_block_find(const void *v, size_t n, uint32_t oneid,
		     void (*fn)(void *ctx, const struct jlog_entry *e, const char *lines), void *ctx,
		     uint32_t *pstream, uint32_t *pblk)
{
	uint32_t c, lo, hi;
	const unsigned char *idx;
	const char *body;
	size_t blen;
	long found = 0;

	*pstream = *pblk = 0;
	if (block_parse(v, n, &c, &idx, &body, &blen))
		return -1;
	lo = 0;
	hi = c;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (store_get_be32(idx + (size_t)mid * JLOG_ENTRY) < oneid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < c && store_get_be32(idx + (size_t)lo * JLOG_ENTRY) == oneid; lo++) {
		struct jlog_entry e;
		entry_get(idx + (size_t)lo * JLOG_ENTRY, &e);
		if (!found) {
			*pstream = e.pstream;
			*pblk = e.pblk;
		}
		found++;
		fn(ctx, &e, body + e.off);
	}
	return found;
}

/* ---- a person's decisions read back ---- */

static void line_add(struct jlog_lines *out, uint32_t seq, const char *p, size_t n, int packed)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->v = xrealloc(out->v, out->cap * sizeof *out->v);
	}
	out->v[out->n].seq = seq;
	out->v[out->n].packed = packed;
	out->v[out->n].p = p;
	out->v[out->n++].n = n;
}

/* The lines of one value (a line each, '\n' between), numbered on from
 * seq. */
static void lines_add(struct jlog_lines *out, uint32_t seq, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line_add(out, seq++, p, (size_t)((nl ? nl : end) - p), 1);
		p = nl ? nl + 1 : end;
	}
}

static void on_lines(void *ctx, const struct jlog_entry *e, const char *lines)
{
	lines_add(ctx, e->seq, lines, e->len);
}

static int line_cmp(const void *a, const void *b)
{
	const struct jlog_line *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void jlog_lines_release(struct jlog_lines *out)
{
	free(out->v);
	memset(out, 0, sizeof *out);
}

/* scheduler.log of an early store: under (oneid, seq), JSON. */
static int read_log(MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, struct jlog_lines *out)
{
	unsigned char key[8];
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = mdb_cursor_open(txn, dbi, &cur)))
		return r;
	store_be32(key, oneid);
	store_be32(key + 4, 0);
	k.mv_data = key;
	k.mv_size = 8;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !r && k.mv_size == 8 && !memcmp(k.mv_data, key, 4);
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		line_add(out, store_get_be32((const unsigned char *)k.mv_data + 4), v.mv_data, v.mv_size, 0);
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : r;
}

/* scheduler.decisions of an earlier store: under (day, oneid, seq), a
 * seek per day that holds decisions. */
static int read_decisions(MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, struct jlog_lines *out)
{
	unsigned char key[12];
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t day = 0;
	int r;

	if ((r = mdb_cursor_open(txn, dbi, &cur)))
		return r;
	for (;;) {
		store_be32(key, day);
		store_be32(key + 4, oneid);
		store_be32(key + 8, 0);
		k.mv_data = key;
		k.mv_size = 12;
		r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		while (!r && k.mv_size == 12 && store_get_be32(k.mv_data) == day &&
		       store_get_be32((const unsigned char *)k.mv_data + 4) == oneid) {
			lines_add(out, store_get_be32((const unsigned char *)k.mv_data + 8), v.mv_data, v.mv_size);
			r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		if (r || k.mv_size != 12)
			break;
		/* the next day with a decision of this person, if any */
		if (store_get_be32(k.mv_data) == day || store_get_be32((const unsigned char *)k.mv_data + 4) > oneid) {
			if (store_get_be32(k.mv_data) == UINT32_MAX)
				break;
			day = store_get_be32(k.mv_data) + 1;
		} else {
			day = store_get_be32(k.mv_data);
		}
	}
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : r;
}

/* The blocks: back from (ls, lb), or every one. */
static int read_blocks(struct store *st, MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, int has_record, uint32_t ls,
		       uint32_t lb, struct jlog_lines *out)
{
	unsigned char k[8];
	uint32_t ps, pb;
	MDB_cursor *cur;
	MDB_val key, v;
	long found;
	int r;

	if (has_record) {
		while (lb) {
			jlog_key(k, ls, lb - 1);
			if ((r = store_get(st, dbi, k, 8, &v)) < 0)
				return -1;
			if (!r || (found = jlog_block_find(v.mv_data, v.mv_size, oneid, on_lines, out, &ps, &pb)) < 0) {
				cli_err("block %u of stream %u of the decision log is %s", lb - 1, ls, r ? "damaged" : "missing");
				return -1;
			}
			if (!found || (ps == ls && pb >= lb))
				break; /* never round again */
			ls = ps;
			lb = pb;
		}
		return 0;
	}
	if ((r = mdb_cursor_open(txn, dbi, &cur))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	for (r = mdb_cursor_get(cur, &key, &v, MDB_FIRST); !r; r = mdb_cursor_get(cur, &key, &v, MDB_NEXT))
		if (jlog_block_find(v.mv_data, v.mv_size, oneid, on_lines, out, &ps, &pb) < 0) {
			mdb_cursor_close(cur);
			cli_err("a block of the decision log is damaged");
			return -1;
		}
	mdb_cursor_close(cur);
	if (r != MDB_NOTFOUND) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	return 0;
}

int jlog_person(struct store *st, const struct jlog_dbs *dbs, uint32_t oneid, int has_record, uint32_t ls,
		uint32_t lb, struct jlog_lines *out)
{
	MDB_txn *txn = store_read_txn(st);
	int r;

	if (!txn)
		return -1;
	if ((!dbs->no_log && (r = read_log(txn, dbs->log, oneid, out))) ||
	    (!dbs->no_decisions && (r = read_decisions(txn, dbs->decisions, oneid, out)))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	if (!dbs->no_dlog && read_blocks(st, txn, dbs->dlog, oneid, has_record, ls, lb, out))
		return -1;
	if (out->n) /* qsort wants an array, even of none */
		qsort(out->v, out->n, sizeof *out->v, line_cmp);
	return 0;
}
