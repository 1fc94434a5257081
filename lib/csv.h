/*
 * csv - an RFC 4180 reader that works record by record on a byte stream.
 *
 * Fields are separated by ',' (configurable), records by LF or CRLF; a field
 * in double quotes may hold separators, CR, LF and doubled quotes ("").
 * A UTF-8 byte order mark at the very start is skipped. The reader pulls
 * bytes through a callback, so it works on files, pipes and zstd streams.
 */
#ifndef UOPS_CSV_H
#define UOPS_CSV_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

/* Read up to n bytes into p; return the count, 0 at end, -1 on error, or
 * CSV_STOPPED: the input ends here for a stop (a signal), and a record it
 * cuts short is left unread, not returned. */
#define CSV_STOPPED (-3)
typedef ssize_t (*csv_read_fn)(void *ctx, char *p, size_t n);

struct csv_field {
	size_t off, len; /* into csv_reader.rec.p: unquoted, undoubled bytes */
	int quoted;
};

struct csv_reader {
	csv_read_fn read;
	void *ctx;
	char sep;
	size_t max_record;  /* bytes; a longer record is an error (default 1 MiB) */
	struct buf rec;     /* the current record's field bytes, fields NUL-separated */
	struct csv_field *f;
	size_t nf, cap_f;
	struct buf raw;     /* the current record's raw bytes as read (for rejects) */
	unsigned long line; /* line number where the current record starts (1-based) */
	unsigned long next_line;
	/* private */
	char *in;
	size_t in_len, in_pos, in_cap;
	int eof, started, stopped;
};

/* Set up a reader pulling from read(ctx). */
void csv_reader_init(struct csv_reader *r, csv_read_fn read, void *ctx);
void csv_reader_release(struct csv_reader *r);

/*
 * Read the next record. Returns 1 with the fields in r->f[0..nf-1], 0 at end
 * of input, -1 on a read error, or -2 on a malformed record (*err says why:
 * a quote inside an unquoted field, text after a closing quote, an
 * unterminated quoted field at end of input, a record over max_record, a
 * NUL byte in a field, so that a field's bytes are a C string). After
 * -2 the reader has skipped to the start of the next record and can go on.
 * An empty line is returned as a record with one empty field.
 */
int csv_reader_next(struct csv_reader *r, const char **err);

#endif
