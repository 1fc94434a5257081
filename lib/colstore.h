/*
 * colstore - the segmenter's column store: every value a segment
 * condition reads, kept as a column of 64-bit cells (lib/cond's CELL_*
 * encoding: a number's bits, CELL_TEXT | a text number, or CELL_NONE) by
 * oneid, so a full evaluation runs over arrays without reading a profile.
 *
 * A column is cut into chunks of COLSTORE_ROWS rows. In segmenter.cols a
 * chunk's key is the column id (4 bytes, big-endian) then the chunk number
 * (4, big-endian); its value is the 4,096 raw cells (32 KiB), or, when every
 * cell is missing or of one narrow kind, a code byte and 4,096 narrow
 * little-endian integers (see colstore_chunk_encode). Text cells hold a
 * number into the table of texts, segmenter.texts: key the number (4
 * bytes, big-endian, dense from 0), value the text (a value as JSON).
 *
 * struct colstore holds the whole table of texts (a text has its number
 * for the life of the store) and the chunks being written, until
 * colstore_save queues them and colstore_drop lets them go. Set st, cols
 * and texts, zero the rest, before first use; free with colstore_release.
 */
#ifndef UOPS_COLSTORE_H
#define UOPS_COLSTORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define COLSTORE_ROWS 4096u /* cells a chunk */

struct store;
struct cval;

struct colstore_text {
	char *s;
	size_t n;
};

struct colstore_chunk {
	uint64_t key; /* column id << 32 | chunk number */
	uint64_t *cells;
	int dirty;
};

struct colstore {
	struct store *st;
	MDB_dbi cols, texts;

	/* cell texts, by number, with a hash index (number + 1, open
	 * addressing) */
	struct colstore_text *textv;
	uint32_t ntext, captext;
	uint32_t *thash;
	size_t thcap;

	/* chunks being written, open addressing on their key */
	struct colstore_chunk *ch;
	size_t chcap, nch;

	struct buf tmp; /* scratch */
};

/*
 * Read the table of texts (segmenter.texts) into cs, through st's read
 * transaction. Returns 0, or -1 when it cannot be read or its numbers are
 * not dense from 0 (said on stderr).
 */
int colstore_texts_load(struct colstore *cs);
/*
 * The number of text s (n bytes): the one it has, else the next one,
 * given to it and queued in st's batch for segmenter.texts.
 */
uint32_t colstore_text_id(struct colstore *cs, const char *s, size_t n);
/* Text number id (below cs->ntext) as *s, *n bytes; cs's, good for the
 * life of cs. */
void colstore_text(const struct colstore *cs, uint32_t id, const char **s, size_t *n);
/*
 * The cell of a condition's value: CELL_NONE when missing, a number's
 * cell, else CELL_TEXT | the number of the value written as JSON (which
 * a new text is given).
 */
uint64_t colstore_cell_of(struct colstore *cs, const struct cval *v);

/*
 * Encode COLSTORE_ROWS cells as a stored chunk into out (reset first):
 * 'n' alone when every cell is missing; else, when every present cell is
 * a whole number from 0 below 2^32 - 1, 'b', 'h' or 'w' and 1, 2 or 4
 * bytes a cell; when every one is a text number below 2^32 - 1, 't', 'u'
 * or 'v' and 1, 2 or 4 bytes; when every one is an amount in hundredths
 * that fits 32 signed bits, 'c' and 4 bytes; else the raw cells. A missing
 * cell is all ones (INT32_MIN for 'c'); integers are little-endian.
 */
void colstore_chunk_encode(const uint64_t *cells, struct buf *out);
/*
 * The cells of a stored chunk p (n bytes): p itself when it holds raw
 * cells, else decoded into scratch (COLSTORE_ROWS cells, the caller's)
 * and scratch returned; NULL when p is not a chunk.
 */
const uint64_t *colstore_chunk_view(const void *p, size_t n, uint64_t *scratch);

/*
 * Set the cell of column id col at row (a oneid) to cell, in the chunk
 * held for it (read from the store, or all missing, when first touched);
 * the chunk is marked to be saved when the cell changed.
 */
void colstore_cell_set(struct colstore *cs, uint32_t col, uint32_t row, uint64_t cell);
/* Queue the chunks changed since they were last saved in st's batch for
 * segmenter.cols; they stay held. */
void colstore_save(struct colstore *cs);
/* Let every chunk held go (after a commit: the store has them); changes
 * not saved are lost. */
void colstore_drop(struct colstore *cs);
/*
 * The cells of column id col for rows 0 … n-1 into out (n cells, the
 * caller's), from st's read transaction (the committed store, not the
 * chunks held): CELL_NONE where no chunk is stored. Returns 0, or -1 when
 * the transaction or cursor cannot be had.
 */
int colstore_column_load(struct colstore *cs, uint32_t col, size_t n, uint64_t *out);
/* Free what cs holds (texts, chunks, scratch); st and the DBIs stay. */
void colstore_release(struct colstore *cs);

#endif
