/*
 * segeval - every segment evaluated over the segmenter's columns at once.
 * See segeval.h.
 */
#include <roaring/roaring.h>
#if defined(__has_include)
#if __has_include(<roaring/containers/containers.h>)
#include <roaring/containers/containers.h>
#define HAVE_ROARING_CONTAINERS 1
#endif
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "colstore.h"
#include "cond.h"
#include "segdefs.h"
#include "segeval.h"
#include "store.h"

static int64_t day_of(int64_t t)
{
	return t >= 0 ? t / DAY_MS : -((-t + DAY_MS - 1) / DAY_MS);
}

struct full {
	const struct segeval *ev;
	size_t n;           /* rows */
	uint64_t *present;
	const uint64_t **col; /* by column index: the block's cells, once read */
	const void **raw;     /* the block's chunks as stored */
	size_t *rawn;
	uint64_t *scratch;    /* by column index: COLSTORE_ROWS cells decoded */
	uint64_t **bits;    /* by segment */
	size_t block;       /* the block's first word */
};

static const uint64_t *rows_column(void *ctx, const struct cexpr *x)
{
	struct full *F = ctx;
	const struct segeval *ev = F->ev;
	unsigned i;

	for (i = 0; i < ev->d->nxcol; i++)
		if (ev->d->xcol[i].x == x) {
			unsigned c = ev->d->xcol[i].col;
			if (!F->col[c]) {
				static uint64_t none[COLSTORE_ROWS];
				unsigned r;
				if (!none[0])
					for (r = 0; r < COLSTORE_ROWS; r++)
						none[r] = CELL_NONE;
				F->col[c] = F->raw[c] ? colstore_chunk_view(F->raw[c], F->rawn[c], F->scratch + (size_t)c * COLSTORE_ROWS)
						      : NULL;
				if (!F->col[c])
					F->col[c] = none;
			}
			return F->col[c];
		}
	return NULL; /* every value was registered when binding */
}

static const uint64_t *rows_segment(void *ctx, unsigned idx)
{
	struct full *F = ctx;
	return F->bits[idx] + F->block;
}

static void rows_text_fn(void *ctx, uint32_t id, const char **s, size_t *n)
{
	colstore_text(((struct full *)ctx)->ev->cs, id, s, n);
}

/* Set bits lo … hi-1. */
static void bits_set_range(uint64_t *bits, size_t lo, size_t hi)
{
	size_t a = lo >> 6, b = (hi - 1) >> 6, w;

	if (lo >= hi)
		return;
	if (a == b) {
		bits[a] |= (~0ull >> (63 - ((hi - 1) & 63))) & (~0ull << (lo & 63));
		return;
	}
	bits[a] |= ~0ull << (lo & 63);
	for (w = a + 1; w < b; w++)
		bits[w] = ~0ull;
	bits[b] |= ~0ull >> (63 - ((hi - 1) & 63));
}

/* The members of r below n as bits (nwords words, which cover n, zeroed by
 * the caller): container by container where the library's layout is known,
 * else value by value. */
static void roaring_bits(const roaring_bitmap_t *r, uint64_t *bits, size_t nwords, size_t n)
{
#ifdef HAVE_ROARING_CONTAINERS
	const roaring_array_t *ra = &r->high_low_container;
	int32_t i, j;

	for (i = 0; i < ra->size; i++) {
		uint8_t type = ra->typecodes[i];
		const void *c = container_unwrap_shared(ra->containers[i], &type);
		size_t base = (size_t)ra->keys[i] << 16;
		if (base >= n)
			break;
		if (type == BITSET_CONTAINER_TYPE_CODE) {
			const bitset_container_t *b = c;
			size_t m = nwords - (base >> 6) < 1024 ? nwords - (base >> 6) : 1024;
			memcpy(bits + (base >> 6), b->array, m * 8);
		} else if (type == ARRAY_CONTAINER_TYPE_CODE) {
			const array_container_t *a = c;
			for (j = 0; j < a->cardinality; j++) {
				size_t v = base + a->array[j];
				if (v < n)
					bits[v >> 6] |= 1ull << (v & 63);
			}
		} else if (type == RUN_CONTAINER_TYPE_CODE) {
			const run_container_t *u = c;
			for (j = 0; j < u->n_runs; j++) {
				size_t lo = base + u->runs[j].value, hi = lo + u->runs[j].length + 1;
				bits_set_range(bits, lo < n ? lo : n, hi < n ? hi : n);
			}
		}
	}
	/* nothing at or past n */
	if (n & 63)
		bits[n >> 6] &= (1ull << (n & 63)) - 1;
	if ((n + 63) >> 6 < nwords)
		memset(bits + ((n + 63) >> 6), 0, (nwords - ((n + 63) >> 6)) * 8);
#else
	roaring_uint32_iterator_t *it = roaring_create_iterator(r);

	(void)nwords;
	while (it->has_value && it->current_value < n) {
		bits[it->current_value >> 6] |= 1ull << (it->current_value & 63);
		roaring_advance_uint32_iterator(it);
	}
	roaring_free_uint32_iterator(it);
#endif
}

#define EVAL(k) (ev->d->segs[k].when && (!ev->only || ev->only[k]))

int segeval_run(const struct segeval *ev)
{
	struct cond_leaves leaves = {0};
	uint32_t *old = NULL;
	size_t cap_old = 0;
	uint64_t *ob;
	struct full F;
	struct cond_rows R;
	size_t words, nblocks, b;
	unsigned k;
	int rc = 0;

	memset(&F, 0, sizeof F);
	F.ev = ev;
	F.n = roaring_bitmap_get_cardinality(ev->present) ? (size_t)roaring_bitmap_maximum(ev->present) + 1 : 1;
	nblocks = (F.n + COLSTORE_ROWS - 1) / COLSTORE_ROWS;
	words = nblocks * (COLSTORE_ROWS / 64);
	F.present = xcalloc(words + 1, 8);
	ob = xcalloc(words + 1, 8);
	{
		roaring_uint32_iterator_t *it = roaring_create_iterator(ev->present);
		while (it->has_value) {
			F.present[it->current_value >> 6] |= 1ull << (it->current_value & 63);
			roaring_advance_uint32_iterator(it);
		}
		roaring_free_uint32_iterator(it);
	}
	F.col = xcalloc(ev->d->ncols + 1, sizeof *F.col);
	F.raw = xcalloc(ev->d->ncols + 1, sizeof *F.raw);
	F.rawn = xcalloc(ev->d->ncols + 1, sizeof *F.rawn);
	F.scratch = xmalloc(((size_t)ev->d->ncols + 1) * COLSTORE_ROWS * 8);
	F.bits = xcalloc(ev->d->nsegs + 1, sizeof *F.bits);
	for (k = 0; k < ev->d->nsegs; k++) {
		F.bits[k] = xcalloc(words + 1, 8);
		if (!EVAL(k)) { /* lists, and segments not asked for: as stored */
			roaring_uint32_iterator_t *it = roaring_create_iterator(ev->d->segs[k].m);
			while (it->has_value) {
				if (it->current_value < F.n)
					F.bits[k][it->current_value >> 6] |= 1ull << (it->current_value & 63);
				roaring_advance_uint32_iterator(it);
			}
			roaring_free_uint32_iterator(it);
		}
	}
	memset(&R, 0, sizeof R);
	R.ctx = &F;
	R.n = COLSTORE_ROWS;
	R.today = day_of(ev->clock);
	R.column = rows_column;
	R.text = rows_text_fn;
	R.ntext = ev->cs->ntext;
	R.segment = rows_segment;
	/* comparisons shared between definitions are computed once a block */
	for (k = 0; k < ev->d->nsegs; k++)
		if (EVAL(k))
			cond_number_leaves(ev->d->segs[k].when, &ev->d->L, &leaves);
	R.nleaves = leaves.n;
	R.leaf_bits = xmalloc((size_t)leaves.n * (COLSTORE_ROWS / 64) * 8 + 8);
	R.leaf_done = xcalloc(leaves.n + 1, 1);
	/* block by block: the columns' chunks straight from the map */
	for (b = 0; b < nblocks; b++) {
		for (k = 0; k < ev->d->ncols; k++) {
			unsigned char key[8];
			MDB_val v;
			store_be32(key, ev->d->colv[k].id);
			store_be32(key + 4, (uint32_t)b);
			F.col[k] = NULL;
			F.raw[k] = v.mv_data = NULL;
			if (store_get(ev->cs->st, ev->cs->cols, key, 8, &v) == 1) {
				F.raw[k] = v.mv_data;
				F.rawn[k] = v.mv_size;
			}
		}
		F.block = b * (COLSTORE_ROWS / 64);
		R.present = F.present + F.block;
		memset(R.leaf_done, 0, leaves.n + 1);
		for (k = 0; k < ev->d->nsegs; k++)
			if (EVAL(k))
				cond_eval_rows(ev->d->segs[k].when, &R, F.bits[k] + F.block);
	}
	/* the differences from the stored membership: the old members as bits
	 * (a bulk copy out of the bitmap), XOR the new; the bitmap changes only
	 * where they differ */
	for (k = 0; k < ev->d->nsegs && !rc; k++) {
		struct segdef *s = &ev->d->segs[k];
		size_t on, i, w;
		int pass, changed = 0;
		if (!EVAL(k))
			continue;
		memset(ob, 0, (words + 1) * 8);
		roaring_bits(s->m, ob, words + 1, F.n);
		if (!roaring_bitmap_is_empty(s->m) && roaring_bitmap_maximum(s->m) >= F.n) {
			/* beyond every person: gone */
			roaring_uint32_iterator_t *it = roaring_create_iterator(s->m);
			on = 0;
			if (roaring_move_uint32_iterator_equalorlarger(it, (uint32_t)F.n))
				do {
					if (on == cap_old) {
						cap_old = cap_old ? cap_old * 2 : 64;
						old = xrealloc(old, cap_old * sizeof *old);
					}
					old[on++] = it->current_value;
				} while (roaring_advance_uint32_iterator(it));
			roaring_free_uint32_iterator(it);
			for (i = 0; i < on; i++) {
				roaring_bitmap_remove(s->m, old[i]);
				ev->emit(ev->ctx, old[i], k, 0);
				changed = 1;
			}
		}
		for (pass = 0; pass < 2; pass++) { /* exits, then entries */
			for (w = 0; w < words; w++) {
				uint64_t d = ob[w] ^ F.bits[k][w];
				d &= pass ? F.bits[k][w] : ob[w];
				while (d) {
					uint32_t v = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(d));
					d &= d - 1;
					if (pass)
						roaring_bitmap_add(s->m, v);
					else
						roaring_bitmap_remove(s->m, v);
					ev->emit(ev->ctx, v, k, pass);
					changed = 1;
				}
			}
		}
		if (changed)
			s->dirty = 1;
		store_put(ev->d->st, ev->d->defs, s->name, strlen(s->name), s->canon, strlen(s->canon));
		rc = ev->status(ev->ctx);
	}
	free(old);
	free(ob);
	free(R.leaf_bits);
	free(R.leaf_done);
	cond_leaves_release(&leaves);
	free(F.col);
	free(F.raw);
	free(F.rawn);
	free(F.scratch);
	for (k = 0; k < ev->d->nsegs; k++)
		free(F.bits[k]);
	free(F.bits);
	free(F.present);
	return rc;
}
