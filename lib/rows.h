/*
 * rows - a report's output: rows of named columns written as NDJSON
 * objects ({"report":KIND,"col":value,…}) or as CSV tables (a header line
 * before the first row and again, after a blank line, whenever the set of
 * columns changes), each row also handed to an HTML page when one is kept.
 * A row is built in memory and written whole by rows_end.
 */
#ifndef UOPS_ROWS_H
#define UOPS_ROWS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"

struct htmlpage;

struct rows {
	int csv;               /* CSV tables, else NDJSON */
	struct htmlpage *page; /* the rows again for --html, or NULL */
	FILE *f;               /* where rows are written (stdout if NULL) */
	struct buf line, hdr, prev_hdr;
	int ncol;
};

/* Start a row of kind report (the NDJSON "report" member; CSV has none). */
void rows_begin(struct rows *r, const char *report);

/* A text column: the n bytes at s, JSON-escaped or CSV-quoted (quoted
 * when it holds a comma, quote, CR or LF); s NULL is null (an empty CSV
 * field). */
void rows_strn(struct rows *r, const char *name, const char *s, size_t n);

/* rows_strn of a NUL-terminated s (or NULL). */
void rows_str(struct rows *r, const char *name, const char *s);

/* An unsigned integer column. */
void rows_u64(struct rows *r, const char *name, uint64_t v);

/* A number column, %.15g; NaN and infinities are null (an empty CSV
 * field), -0 is 0. */
void rows_num(struct rows *r, const char *name, double v);

/* A money column: v rounded to places decimals (0 to 6, half away from
 * zero) and written in the fewest digits that say it (8911407.9, 100,
 * 0.75, -3.05 at 2), so a sum of amounts reads as the amounts do,
 * whatever a double's sum added below them; an HTML page shows it with at
 * least two decimals. NaN and infinities are null (an empty CSV field). */
void rows_money(struct rows *r, const char *name, double v, int places);

/* v rounded to places decimals, as rows_money writes it (NaN and
 * infinities unchanged): a figure computed from money columns (a ratio
 * of them) is computed from these. */
double rows_round(double v, int places);

/* A true/false column. */
void rows_bool(struct rows *r, const char *name, int v);

/* Write the row: in CSV, first the header when the columns differ from
 * the previous row's (after a blank line unless it is the first). */
void rows_end(struct rows *r);

/* Free the buffers (the page is the caller's). */
void rows_release(struct rows *r);

#endif
