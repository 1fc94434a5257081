/*
 * colstore - the segmenter's column store (segmenter.cols, segmenter.texts).
 * See colstore.h.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "colstore.h"
#include "cond.h"
#include "hash.h"
#include "store.h"

/* ---- cell texts ---- */

static void text_index(struct colstore *cs, uint32_t id)
{
	size_t mask = cs->thcap - 1, i;

	i = hash64(cs->textv[id].s, cs->textv[id].n, 7) & mask;
	while (cs->thash[i])
		i = (i + 1) & mask;
	cs->thash[i] = id + 1;
}

static void text_add(struct colstore *cs, const char *s, size_t n)
{
	uint32_t i;

	if (cs->ntext == cs->captext) {
		cs->captext = cs->captext ? cs->captext * 2 : 256;
		cs->textv = xrealloc(cs->textv, cs->captext * sizeof *cs->textv);
	}
	cs->textv[cs->ntext].s = xstrndup(s, n);
	cs->textv[cs->ntext].n = n;
	cs->ntext++;
	if ((size_t)cs->ntext * 2 > cs->thcap) {
		free(cs->thash);
		cs->thcap = cs->thcap ? cs->thcap * 2 : 1024;
		while ((size_t)cs->ntext * 2 > cs->thcap)
			cs->thcap *= 2;
		cs->thash = xcalloc(cs->thcap, sizeof *cs->thash);
		for (i = 0; i < cs->ntext; i++)
			text_index(cs, i);
	} else {
		text_index(cs, cs->ntext - 1);
	}
}

uint32_t colstore_text_id(struct colstore *cs, const char *s, size_t n)
{
	size_t mask, i;
	unsigned char be[4];

	if (cs->thcap) {
		mask = cs->thcap - 1;
		for (i = hash64(s, n, 7) & mask; cs->thash[i]; i = (i + 1) & mask) {
			struct colstore_text *t = &cs->textv[cs->thash[i] - 1];
			if (t->n == n && !memcmp(t->s, s, n))
				return cs->thash[i] - 1;
		}
	}
	text_add(cs, s, n);
	store_be32(be, cs->ntext - 1);
	store_put(cs->st, cs->texts, be, 4, s, n);
	return cs->ntext - 1;
}

int colstore_texts_load(struct colstore *cs)
{
	MDB_txn *txn = store_read_txn(cs->st);
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (!txn || mdb_cursor_open(txn, cs->texts, &cur))
		return -1;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 4 || store_get_be32(k.mv_data) != cs->ntext) {
			cli_err("segmenter.texts is damaged at %u", cs->ntext);
			mdb_cursor_close(cur);
			return -1;
		}
		text_add(cs, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	return 0;
}

void colstore_text(const struct colstore *cs, uint32_t id, const char **s, size_t *n)
{
	*s = cs->textv[id].s;
	*n = cs->textv[id].n;
}

uint64_t colstore_cell_of(struct colstore *cs, const struct cval *v)
{
	struct buf *b = &cs->tmp;

	switch (v->k) {
	case CV_NONE:
		return CELL_NONE;
	case CV_NUM:
		return cell_of_num(v->num);
	default:
		buf_reset(b);
		cval_write(v, b);
		return CELL_TEXT | colstore_text_id(cs, b->p, b->len);
	}
}


/*
 * A chunk of cells as stored in segmenter.cols: 4,096 raw cells (32 KiB),
 * or, when every cell is missing or of one narrow kind, a code byte and
 * 4,096 little-endian integers, all ones for a missing cell: whole numbers
 * from 0 ('b', 'h', 'w': 1, 2 or 4 bytes), text numbers ('t', 'u', 'v'),
 * or amounts in hundredths ('c': 4 bytes, signed, INT32_MIN missing); 'n'
 * alone when every cell is missing. Counts, days, text values and money
 * fit, so a full evaluation reads a quarter to an eighth of the bytes.
 */
#define CELL_CENTS_MAX 2147483647.0

static int cents_of(uint64_t cell, int32_t *c)
{
	double d, r;

	memcpy(&d, &cell, 8);
	if (!(d > -CELL_CENTS_MAX / 100 && d < CELL_CENTS_MAX / 100))
		return -1;
	r = nearbyint(d * 100);
	if (cell_of_num(r / 100) != cell)
		return -1;
	*c = (int32_t)r;
	return 0;
}

void colstore_chunk_encode(const uint64_t *cells, struct buf *out)
{
	double max = -1;
	uint64_t maxt = 0;
	int nums = 1, texts = 1, cents = 1, any = 0;
	unsigned r, w, j;
	char code;

	buf_reset(out);
	for (r = 0; r < COLSTORE_ROWS; r++) {
		double d;
		int32_t c;
		if (cells[r] == CELL_NONE)
			continue;
		any = 1;
		if (CELL_IS_TEXT(cells[r])) {
			nums = cents = 0;
			if ((cells[r] & 0xffffffffffffull) >= UINT32_MAX)
				texts = 0;
			else if ((cells[r] & 0xffffffffffffull) > maxt)
				maxt = cells[r] & 0xffffffffffffull;
			continue;
		}
		texts = 0;
		memcpy(&d, &cells[r], 8);
		if (nums && (!(d >= 0 && d < 4294967295.0 && d == floor(d)) || cell_of_num(d) != cells[r]))
			nums = 0;
		if (nums && d > max)
			max = d;
		if (cents && cents_of(cells[r], &c)) /* every number: whole ones too */
			cents = 0;
		if (!nums && !cents)
			break;
	}
	if (!any) {
		buf_addc(out, 'n');
		return;
	}
	if (nums)
		code = max < 255 ? 'b' : max < 65535 ? 'h' : 'w';
	else if (texts)
		code = maxt < 255 ? 't' : maxt < 65535 ? 'u' : 'v';
	else if (cents)
		code = 'c';
	else {
		buf_add(out, cells, COLSTORE_ROWS * 8);
		return;
	}
	w = code == 'b' || code == 't' ? 1 : code == 'h' || code == 'u' ? 2 : 4;
	buf_grow(out, 1 + COLSTORE_ROWS * w);
	out->p[0] = code;
	for (r = 0; r < COLSTORE_ROWS; r++) {
		uint32_t u = code == 'c' ? (uint32_t)INT32_MIN : UINT32_MAX;
		if (cells[r] != CELL_NONE) {
			if (code == 'c') {
				int32_t c = 0;
				if (cents_of(cells[r], &c)) { /* cannot be: checked above */
					buf_reset(out);
					buf_add(out, cells, COLSTORE_ROWS * 8);
					return;
				}
				u = (uint32_t)c;
			} else if (texts) {
				u = (uint32_t)(cells[r] & 0xffffffffu);
			} else {
				double d;
				memcpy(&d, &cells[r], 8);
				u = (uint32_t)d;
			}
		}
		for (j = 0; j < w; j++)
			out->p[1 + r * w + j] = (char)(u >> (8 * j));
	}
	out->len = 1 + COLSTORE_ROWS * w;
}

/* Little-endian integers and a double's bits, for the narrow chunks. */
static unsigned rd16(const unsigned char *p)
{
	return p[0] | (unsigned)p[1] << 8;
}

static uint32_t rd32(const unsigned char *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t dbits(double d)
{
	uint64_t x;
	memcpy(&x, &d, 8);
	return x;
}

/* The cells of a stored chunk: a pointer to the raw ones, or decoded into
 * scratch; NULL when the value is not a chunk. */
const uint64_t *colstore_chunk_view(const void *p, size_t n, uint64_t *scratch)
{
	static uint64_t byte_cell[256];
	const unsigned char *b = p;
	unsigned r, w;
	char code;

	if (n == COLSTORE_ROWS * 8)
		return p;
	if (!byte_cell[255]) { /* [0] is 0.0, all zero bits */
		for (r = 0; r < 255; r++)
			byte_cell[r] = cell_of_num(r);
		byte_cell[255] = CELL_NONE;
	}
	code = n ? (char)b[0] : 0;
	if (n == 1 && code == 'n') {
		for (r = 0; r < COLSTORE_ROWS; r++)
			scratch[r] = CELL_NONE;
		return scratch;
	}
	if (n == 1 + COLSTORE_ROWS && code == 'b') {
		for (r = 0; r < COLSTORE_ROWS; r++)
			scratch[r] = byte_cell[b[1 + r]];
		return scratch;
	}
	w = code == 't' ? 1 : code == 'h' || code == 'u' ? 2 : code == 'w' || code == 'v' || code == 'c' ? 4 : 0;
	if (!w || n != 1 + COLSTORE_ROWS * w)
		return NULL;
	b++;
	/* one loop per form, branch-free, so the compiler can vectorise */
	switch (code) {
	case 'h':
		for (r = 0; r < COLSTORE_ROWS; r++) {
			unsigned u = rd16(b + 2 * r);
			scratch[r] = u == 0xffff ? CELL_NONE : dbits(u);
		}
		break;
	case 'w':
		for (r = 0; r < COLSTORE_ROWS; r++) {
			uint32_t u = rd32(b + 4 * r);
			scratch[r] = u == UINT32_MAX ? CELL_NONE : dbits(u);
		}
		break;
	case 'c':
		for (r = 0; r < COLSTORE_ROWS; r++) {
			uint32_t u = rd32(b + 4 * r);
			scratch[r] = u == (uint32_t)INT32_MIN ? CELL_NONE : dbits((double)(int32_t)u / 100);
		}
		break;
	case 't':
		for (r = 0; r < COLSTORE_ROWS; r++)
			scratch[r] = b[r] == 0xff ? CELL_NONE : CELL_TEXT | b[r];
		break;
	case 'u':
		for (r = 0; r < COLSTORE_ROWS; r++) {
			unsigned u = rd16(b + 2 * r);
			scratch[r] = u == 0xffff ? CELL_NONE : CELL_TEXT | u;
		}
		break;
	default: /* 'v' */
		for (r = 0; r < COLSTORE_ROWS; r++) {
			uint32_t u = rd32(b + 4 * r);
			scratch[r] = u == UINT32_MAX ? CELL_NONE : CELL_TEXT | u;
		}
		break;
	}
	return scratch;
}

static struct colstore_chunk *chunk_find(struct colstore *cs, uint32_t col, uint32_t no, int make)
{
	uint64_t key = (uint64_t)col << 32 | no;
	size_t mask, i;
	struct colstore_chunk *c;

	if (cs->nch * 2 >= cs->chcap) {
		struct colstore_chunk *old = cs->ch;
		size_t oc = cs->chcap, j;
		cs->chcap = oc ? oc * 2 : 1024;
		cs->ch = xcalloc(cs->chcap, sizeof *cs->ch);
		for (j = 0; j < oc; j++) {
			if (!old[j].cells)
				continue;
			for (i = (old[j].key * 0x9E3779B97F4A7C15ull >> 20) & (cs->chcap - 1); cs->ch[i].cells;
			     i = (i + 1) & (cs->chcap - 1))
				;
			cs->ch[i] = old[j];
		}
		free(old);
	}
	mask = cs->chcap - 1;
	for (i = (key * 0x9E3779B97F4A7C15ull >> 20) & mask; cs->ch[i].cells; i = (i + 1) & mask)
		if (cs->ch[i].key == key)
			return &cs->ch[i];
	if (!make)
		return NULL;
	c = &cs->ch[i];
	c->key = key;
	c->cells = xmalloc(COLSTORE_ROWS * 8);
	c->dirty = 0;
	cs->nch++;
	{
		unsigned char k[8];
		MDB_val v;
		unsigned r;
		store_be32(k, col);
		store_be32(k + 4, no);
		const uint64_t *src;
		if (store_get(cs->st, cs->cols, k, 8, &v) == 1 && (src = colstore_chunk_view(v.mv_data, v.mv_size, c->cells))) {
			if (src != c->cells)
				memcpy(c->cells, src, COLSTORE_ROWS * 8);
		} else {
			for (r = 0; r < COLSTORE_ROWS; r++)
				c->cells[r] = CELL_NONE;
		}
	}
	return c;
}

void colstore_cell_set(struct colstore *cs, uint32_t col, uint32_t row, uint64_t cell)
{
	struct colstore_chunk *c = chunk_find(cs, col, row / COLSTORE_ROWS, 1);
	uint64_t *p = &c->cells[row % COLSTORE_ROWS];

	if (*p != cell) {
		*p = cell;
		c->dirty = 1;
	}
}

void colstore_save(struct colstore *cs)
{
	size_t i;

	for (i = 0; i < cs->chcap; i++) {
		struct colstore_chunk *c = &cs->ch[i];
		unsigned char k[8];
		if (!c->cells || !c->dirty)
			continue;
		store_be32(k, (uint32_t)(c->key >> 32));
		store_be32(k + 4, (uint32_t)c->key);
		colstore_chunk_encode(c->cells, &cs->tmp);
		store_put(cs->st, cs->cols, k, 8, cs->tmp.p, cs->tmp.len);
		c->dirty = 0;
	}
}

/* Drop the chunks (after a commit: the store has them). */
void colstore_drop(struct colstore *cs)
{
	size_t i;

	for (i = 0; i < cs->chcap; i++)
		free(cs->ch[i].cells);
	free(cs->ch);
	cs->ch = NULL;
	cs->chcap = cs->nch = 0;
}

/* Load column i's cells for rows 0 … n-1 from the committed store. */
int colstore_column_load(struct colstore *cs, uint32_t col, size_t n, uint64_t *out)
{
	MDB_txn *txn = store_read_txn(cs->st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char from[8];
	static uint64_t scratch[COLSTORE_ROWS];
	size_t r;
	int rc;

	for (r = 0; r < n; r++)
		out[r] = CELL_NONE;
	if (!txn || mdb_cursor_open(txn, cs->cols, &cur))
		return -1;
	store_be32(from, col);
	store_be32(from + 4, 0);
	k.mv_data = from;
	k.mv_size = 8;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		size_t base, m;
		if (k.mv_size != 8 || store_get_be32(k.mv_data) != col)
			break;
		const uint64_t *src;
		if (!(src = colstore_chunk_view(v.mv_data, v.mv_size, scratch)))
			continue;
		base = (size_t)store_get_be32((const unsigned char *)k.mv_data + 4) * COLSTORE_ROWS;
		if (base >= n)
			break;
		m = n - base < COLSTORE_ROWS ? n - base : COLSTORE_ROWS;
		memcpy(out + base, src, m * 8);
	}
	mdb_cursor_close(cur);
	return 0;
}

void colstore_release(struct colstore *cs)
{
	uint32_t i;

	colstore_drop(cs);
	for (i = 0; i < cs->ntext; i++)
		free(cs->textv[i].s);
	free(cs->textv);
	free(cs->thash);
	buf_release(&cs->tmp);
	cs->textv = NULL;
	cs->thash = NULL;
	cs->ntext = cs->captext = 0;
	cs->thcap = 0;
}
