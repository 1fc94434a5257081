/*
 * t-colstore - the segmenter's column store: each stored form of a chunk
 * (all missing, 1/2/4-byte whole numbers, 1/2/4-byte text numbers,
 * hundredths, raw) is the one chosen and reads back cell for cell; a
 * value that is not a chunk is refused; texts get dense numbers that load
 * back, and a gap in them is damage; a condition value's cell; cells set
 * across chunks and columns are saved, committed and read back by
 * colstore_column_load and by a later colstore_cell_set; release leaves
 * nothing held.
 */
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "colstore.h"
#include "cond.h"
#include "store.h"
#include "t.h"

#define R COLSTORE_ROWS

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* cells encoded, then viewed: the same cells; the code and length */
static void round_trip(const uint64_t *cells, char code, size_t len)
{
	struct buf b = BUF_INIT;
	static uint64_t scratch[R];
	const uint64_t *v;
	unsigned r, bad = 0;

	colstore_chunk_encode(cells, &b);
	T_EQ_INT(b.len, len);
	if (code)
		T_EQ_INT(b.p[0], code);
	v = colstore_chunk_view(b.p, b.len, scratch);
	T_OK(v != NULL);
	if (!v) {
		buf_release(&b);
		return;
	}
	T_OK(code ? v == scratch : v == (const uint64_t *)(const void *)b.p);
	for (r = 0; r < R; r++)
		bad += v[r] != cells[r];
	T_EQ_INT(bad, 0);
	buf_release(&b);
}

static void codec(void)
{
	static uint64_t c[R], scratch[R];
	unsigned r;
	char junk[5] = "b1234";

	for (r = 0; r < R; r++)
		c[r] = CELL_NONE;
	round_trip(c, 'n', 1);
	for (r = 0; r < R; r++)
		c[r] = r % 3 ? cell_of_num(r % 254) : CELL_NONE;
	round_trip(c, 'b', 1 + R);
	c[7] = cell_of_num(65534);
	round_trip(c, 'h', 1 + 2 * R);
	c[9] = cell_of_num(4294967294.0);
	round_trip(c, 'w', 1 + 4 * R);
	for (r = 0; r < R; r++)
		c[r] = r % 5 ? CELL_TEXT | (r % 200) : CELL_NONE;
	round_trip(c, 't', 1 + R);
	c[11] = CELL_TEXT | 60000;
	round_trip(c, 'u', 1 + 2 * R);
	c[13] = CELL_TEXT | 70000;
	round_trip(c, 'v', 1 + 4 * R);
	/* amounts, negatives, whole numbers among them */
	for (r = 0; r < R; r++)
		c[r] = r % 4 ? cell_of_num((double)((int)r - 2000) / 100) : cell_of_num(r);
	round_trip(c, 'c', 1 + 4 * R);
	c[3] = CELL_NONE;
	round_trip(c, 'c', 1 + 4 * R);
	/* a third decimal, a text among numbers, a number too big: raw */
	c[5] = cell_of_num(1.005);
	round_trip(c, 0, 8 * R);
	c[5] = CELL_TEXT | 1;
	round_trip(c, 0, 8 * R);
	for (r = 0; r < R; r++)
		c[r] = cell_of_num(5e9);
	round_trip(c, 0, 8 * R);

	/* not a chunk */
	T_OK(colstore_chunk_view(junk, sizeof junk, scratch) == NULL);
	T_OK(colstore_chunk_view("", 0, scratch) == NULL);
	T_OK(colstore_chunk_view("x", 1, scratch) == NULL);
}

static void stored(const char *dir)
{
	struct colstore cs = {0}, ds = {0};
	struct store *st;
	struct cval v;
	const char *s;
	size_t n, i;
	uint64_t *out;
	unsigned char be[4];
	int code;
	uint32_t a, b;

	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	if (!st)
		return;
	cs.st = ds.st = st;
	T_OK(store_dbi(st, "t.cols", 0, &cs.cols) == 0);
	T_OK(store_dbi(st, "t.texts", 0, &cs.texts) == 0);
	ds.cols = cs.cols;
	ds.texts = cs.texts;

	/* texts: dense numbers, the same one for the same text */
	T_EQ_INT(colstore_texts_load(&cs), 0);
	store_read_end(st);
	a = colstore_text_id(&cs, "\"f\"", 3);
	b = colstore_text_id(&cs, "\"m\"", 3);
	T_EQ_INT(a, 0);
	T_EQ_INT(b, 1);
	T_EQ_INT(colstore_text_id(&cs, "\"f\"", 3), 0);
	for (i = 0; i < 3000; i++) { /* past several index growths */
		char t[32];
		int k = snprintf(t, sizeof t, "\"city-%zu\"", i);
		T_EQ_INT(colstore_text_id(&cs, t, (size_t)k), i + 2);
	}
	T_EQ_INT(colstore_text_id(&cs, "\"city-1234\"", 11), 1236);
	colstore_text(&cs, 1, &s, &n);
	T_OK(n == 3 && !memcmp(s, "\"m\"", 3));

	/* a condition value's cell */
	memset(&v, 0, sizeof v);
	v.k = CV_NONE;
	T_OK(colstore_cell_of(&cs, &v) == CELL_NONE);
	v.k = CV_NUM;
	v.num = 236.12;
	T_OK(colstore_cell_of(&cs, &v) == cell_of_num(236.12));
	v.k = CV_STR;
	v.s = "\"m\"";
	v.n = 3;
	T_OK(colstore_cell_of(&cs, &v) == (CELL_TEXT | 1));
	v.k = CV_BOOL;
	v.s = "true";
	v.n = 4;
	T_OK(colstore_cell_of(&cs, &v) == (CELL_TEXT | (cs.ntext - 1)));
	colstore_text(&cs, cs.ntext - 1, &s, &n);
	T_OK(n == 4 && !memcmp(s, "true", 4));

	/* cells of two columns, over three chunks */
	colstore_cell_set(&cs, 7, 5, cell_of_num(3));
	colstore_cell_set(&cs, 7, R + 1, cell_of_num(42.5));
	colstore_cell_set(&cs, 7, 2 * R + 9, CELL_TEXT | 1);
	colstore_cell_set(&cs, 8, 5, cell_of_num(-1));
	T_EQ_INT(cs.nch, 4);
	colstore_save(&cs);
	T_EQ_INT(store_commit(st), 0);
	colstore_drop(&cs);
	T_EQ_INT(cs.nch, 0);

	out = malloc(3 * R * sizeof *out);
	T_EQ_INT(colstore_column_load(&cs, 7, 3 * R, out), 0);
	T_OK(out[5] == cell_of_num(3));
	T_OK(out[6] == CELL_NONE);
	T_OK(out[R + 1] == cell_of_num(42.5));
	T_OK(out[2 * R + 9] == (CELL_TEXT | 1));
	T_EQ_INT(colstore_column_load(&cs, 8, 10, out), 0);
	T_OK(out[5] == cell_of_num(-1) && out[4] == CELL_NONE);
	T_EQ_INT(colstore_column_load(&cs, 9, 10, out), 0);
	T_OK(out[5] == CELL_NONE);
	store_read_end(st);

	/* a chunk touched again starts from what is stored */
	colstore_cell_set(&cs, 7, 6, cell_of_num(4));
	colstore_save(&cs);
	T_EQ_INT(store_commit(st), 0);
	T_EQ_INT(colstore_column_load(&cs, 7, R, out), 0);
	T_OK(out[5] == cell_of_num(3) && out[6] == cell_of_num(4));
	store_read_end(st);
	/* a cell set to what it holds changes nothing to save */
	colstore_cell_set(&cs, 7, 6, cell_of_num(4));
	for (i = 0; i < cs.chcap; i++)
		if (cs.ch[i].cells)
			T_EQ_INT(cs.ch[i].dirty, 0);

	/* the texts load back as they were numbered */
	T_EQ_INT(colstore_texts_load(&ds), 0);
	store_read_end(st);
	T_EQ_INT(ds.ntext, cs.ntext);
	T_EQ_INT(colstore_text_id(&ds, "\"city-1234\"", 11), 1236);
	T_EQ_INT(ds.ntext, cs.ntext);
	colstore_release(&ds);
	T_OK(ds.textv == NULL && ds.ntext == 0 && ds.ch == NULL);

	/* a gap in the numbers is damage */
	store_be32(be, cs.ntext + 5);
	store_put(st, cs.texts, be, 4, "\"x\"", 3);
	T_EQ_INT(store_commit(st), 0);
	T_EQ_INT(colstore_texts_load(&ds), -1);
	store_read_end(st);
	colstore_release(&ds);

	free(out);
	colstore_release(&cs);
	T_OK(cs.textv == NULL && cs.thash == NULL && cs.ch == NULL && cs.nch == 0);
	store_close(st);
}

int main(void)
{
	char d1[] = "/tmp/uops-t-colstore-XXXXXX";

	codec();
	T_OK(mkdtemp(d1) != NULL);
	stored(d1);
	nftw(d1, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("colstore");
}
