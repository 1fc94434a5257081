/*
 * csv - an RFC 4180 reader that works record by record on a byte stream.
 *
 * Bytes are pulled in chunks of CSV_CHUNK into r->in. A record is parsed in
 * one call to csv_reader_next by a small state machine; runs of ordinary
 * bytes are copied into r->rec (and into r->raw) in bulk, so the per-byte
 * work is a few compares. All buffers belong to the reader and are reused,
 * so steady-state reading does not allocate.
 *
 * A record may be at most max_record raw bytes (line terminator not
 * counted). Past that the reader stops keeping field bytes: if the excess
 * starts outside quotes it follows the quoting to the end of the record;
 * if it starts inside a quoted field the extent of the record is in doubt
 * (a stray quote looks just like a long quoted field), so it skips to the
 * end of the current line instead. Either way memory stays bounded.
 */
#include "csv.h"

#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK (64 * 1024)
#define CSV_MAX_RECORD (1024 * 1024)

enum {
	ST_START,    /* at the start of a field */
	ST_UNQ,      /* inside an unquoted field */
	ST_UNQ_CR,   /* unquoted field, just after a CR */
	ST_QUO,      /* inside a quoted field */
	ST_QUO_Q,    /* quoted field, just after a '"' (closing or doubled) */
	ST_AFTER,    /* after the closing quote */
	ST_AFTER_CR, /* after the closing quote and a CR */
};

static const char err_quote[] = "quote in unquoted field";
static const char err_after[] = "text after closing quote";
static const char err_unterminated[] = "unterminated quoted field";
static const char err_too_long[] = "record too long";
static const char err_nul[] = "NUL byte in a field";

void csv_reader_init(struct csv_reader *r, csv_read_fn read, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->read = read;
	r->ctx = ctx;
	r->sep = ',';
	r->max_record = CSV_MAX_RECORD;
	r->next_line = 1;
	r->in_cap = CSV_CHUNK;
	r->in = xmalloc(r->in_cap);
}

void csv_reader_release(struct csv_reader *r)
{
	buf_release(&r->rec);
	buf_release(&r->raw);
	free(r->f);
	free(r->in);
	r->f = NULL;
	r->nf = r->cap_f = 0;
	r->in = NULL;
	r->in_len = r->in_pos = r->in_cap = 0;
}

/* Replace the chunk with the next one: 1, 0 at end of input, -1 on error. */
static int csv_fill(struct csv_reader *r)
{
	ssize_t n;

	r->in_pos = r->in_len = 0;
	if (r->eof)
		return 0;
	n = r->read(r->ctx, r->in, r->in_cap);
	if (n == CSV_STOPPED) {
		r->stopped = r->eof = 1;
		return 0;
	}
	if (n < 0 || (size_t)n > r->in_cap)
		return -1;
	if (!n) {
		r->eof = 1;
		return 0;
	}
	r->in_len = (size_t)n;
	return 1;
}

/* Before the first record: get enough bytes to see a BOM and skip it. */
static int csv_start(struct csv_reader *r)
{
	static const char bom[3] = { '\xef', '\xbb', '\xbf' };
	ssize_t n;

	r->started = 1;
	while (r->in_len < 3 && !r->eof && !memcmp(r->in, bom, r->in_len)) {
		n = r->read(r->ctx, r->in + r->in_len, r->in_cap - r->in_len);
		if (n == CSV_STOPPED) {
			r->stopped = 1;
			n = 0;
		}
		if (n < 0 || (size_t)n > r->in_cap - r->in_len)
			return -1;
		if (!n)
			r->eof = 1;
		r->in_len += (size_t)n;
	}
	if (r->in_len >= 3 && !memcmp(r->in, bom, 3))
		r->in_pos = 3;
	return 0;
}

/*
 * Account for raw bytes [from, to) of the record: all are counted in *rawn,
 * at most max_record of them are kept in r->raw.
 */
static void csv_raw(struct csv_reader *r, const char *from, const char *to,
		    size_t *rawn)
{
	size_t n = (size_t)(to - from), room;

	*rawn += n;
	if (r->raw.len >= r->max_record || !n)
		return;
	room = r->max_record - r->raw.len;
	buf_add(&r->raw, from, n < room ? n : room);
}

/*
 * How far from p (chunk end e) the record may be parsed, rawn raw bytes
 * having been counted before p: up to max_record + 1 bytes in all, one past
 * the limit, so that the CR of a closing CRLF can still be looked at.
 * Reaching the returned position before e means the record is too long
 * (unless it is just that CR). This keeps the outcome the same however the
 * input is cut into chunks.
 */
static const char *csv_limit(const struct csv_reader *r, const char *p,
			     const char *e, size_t rawn)
{
	size_t n = (size_t)(e - p), room;

	if (rawn > r->max_record)
		return p;
	room = r->max_record - rawn;
	if (n <= room || n - room <= 1)
		return e;
	return p + room + 1;
}

static void csv_field_open(struct csv_reader *r)
{
	struct csv_field *f;

	if (r->nf == r->cap_f) {
		r->cap_f = r->cap_f ? r->cap_f * 2 : 16;
		r->f = xrealloc(r->f, r->cap_f * sizeof(*r->f));
	}
	f = &r->f[r->nf++];
	f->off = r->rec.len;
	f->len = 0;
	f->quoted = 0;
}

static void csv_field_close(struct csv_reader *r)
{
	struct csv_field *f = &r->f[r->nf - 1];

	f->len = r->rec.len - f->off;
	buf_addc(&r->rec, 0);
}

static inline void csv_put(struct csv_reader *r, const char *s, const char *p)
{
	if (p > s)
		buf_add(&r->rec, s, (size_t)(p - s));
}

int csv_reader_next(struct csv_reader *r, const char **err)
{
	const char *p, *e, *m, *lim, *s = NULL, *q;
	const char *why, *dummy;
	size_t rawn = 0, i;
	int st = ST_START, discard = 0, crlf = 0, found = 0, rc;
	char sep = r->sep, c;

	if (!err)
		err = &dummy;
	*err = NULL;
	r->nf = 0;
	buf_reset(&r->rec);
	buf_reset(&r->raw);
	if (!r->started && csv_start(r) < 0)
		return -1;
	if (r->in_pos == r->in_len) {
		rc = csv_fill(r);
		if (rc <= 0)
			return rc;
	}
	r->line = r->next_line;
	p = m = r->in + r->in_pos;
	e = r->in + r->in_len;
	lim = csv_limit(r, p, e, 0);
	csv_field_open(r);

	for (;;) {
		if (p == lim && lim != e) {
			/* max_record + 1 bytes parsed and more follow */
			if ((st == ST_UNQ_CR || st == ST_AFTER_CR) && *p == '\n') {
				/* just the CR of a CRLF: decided at the end */
				lim = e;
			} else if (st == ST_QUO) {
				why = err_too_long;
				goto skip_line;
			} else {
				discard = 1;
				r->nf = 0;
				buf_reset(&r->rec);
				lim = e;
			}
		}
		if (p == e) {
			if (s && !discard)
				csv_put(r, s, p);
			csv_raw(r, m, p, &rawn);
			rc = csv_fill(r);
			if (rc < 0)
				return -1;
			p = m = s = r->in;
			e = p + r->in_len;
			if (st != ST_UNQ && st != ST_QUO)
				s = NULL;
			if (!rc)
				goto at_eof;
			lim = discard ? e : csv_limit(r, p, e, rawn);
			continue;
		}

		switch (st) {
		case ST_START:
			if (*p == '"') {
				if (!discard)
					r->f[r->nf - 1].quoted = 1;
				s = ++p;
				st = ST_QUO;
			} else {
				s = p;
				st = ST_UNQ;
			}
			break;

		case ST_UNQ:
			while (p < lim) {
				c = *p;
				if (c == sep || c == '\n' || c == '\r' || c == '"')
					break;
				p++;
			}
			if (p == lim)
				break;
			if (!discard)
				csv_put(r, s, p);
			s = NULL;
			c = *p;
			if (c == sep) {
				p++;
				if (!discard) {
					csv_field_close(r);
					csv_field_open(r);
				}
				st = ST_START;
			} else if (c == '\n') {
				goto end_record;
			} else if (c == '\r') {
				p++;
				st = ST_UNQ_CR;
			} else {
				why = discard ? err_too_long : err_quote;
				goto skip_line;
			}
			break;

		case ST_UNQ_CR:
			if (*p == '\n') {
				crlf = 1;
				goto end_record;
			}
			/* a lone CR is data */
			if (!discard)
				buf_addc(&r->rec, '\r');
			s = p;
			st = ST_UNQ;
			break;

		case ST_QUO:
			while (p < lim && *p != '"') {
				if (*p == '\n')
					r->next_line++;
				p++;
			}
			if (p == lim)
				break;
			if (!discard)
				csv_put(r, s, p);
			s = NULL;
			p++;
			st = ST_QUO_Q;
			break;

		case ST_QUO_Q:
			if (*p == '"') {
				/* a doubled quote: the second one is data */
				s = p++;
				st = ST_QUO;
				break;
			}
			st = ST_AFTER;
			/* fall through */
		case ST_AFTER:
			c = *p;
			if (c == sep) {
				p++;
				if (!discard) {
					csv_field_close(r);
					csv_field_open(r);
				}
				st = ST_START;
			} else if (c == '\n') {
				goto end_record;
			} else if (c == '\r') {
				p++;
				st = ST_AFTER_CR;
			} else {
				why = discard ? err_too_long : err_after;
				goto skip_line;
			}
			break;

		case ST_AFTER_CR:
			if (*p == '\n') {
				crlf = 1;
				goto end_record;
			}
			why = discard ? err_too_long : err_after;
			goto skip_line;
		}
	}

at_eof:
	if (r->stopped) { /* cut short by a stop, not by the end */
		r->nf = 0;
		return 0;
	}
	if (st == ST_QUO) {
		*err = discard ? err_too_long : err_unterminated;
		r->nf = 0;
		return -2;
	}
	if (st == ST_UNQ_CR && !discard)
		buf_addc(&r->rec, '\r');
	if (st == ST_AFTER_CR)
		crlf = 1; /* a CRLF cut short by the end of input */
	/* fall through */
end_record:
	/* p is at the LF ending the record, or at the end of input */
	csv_raw(r, m, p, &rawn);
	if (p < e) {
		p++;
		r->next_line++;
	}
	r->in_pos = (size_t)(p - r->in);
	if (crlf) {
		rawn--;
		if (r->raw.len > rawn) {
			r->raw.len = rawn;
			r->raw.p[rawn] = 0;
		}
	}
	if (discard || rawn > r->max_record) {
		*err = err_too_long;
		r->nf = 0;
		return -2;
	}
	csv_field_close(r);
	/* NUL is not text (and would end the field for any C reader) */
	for (i = 0; i < r->nf; i++)
		if (memchr(r->rec.p + r->f[i].off, 0, r->f[i].len)) {
			*err = err_nul;
			r->nf = 0;
			return -2;
		}
	return 1;

skip_line:
	/* a broken record: drop everything up to and including the next LF */
	*err = why;
	r->nf = 0;
	for (;;) {
		q = memchr(p, '\n', (size_t)(e - p));
		if (q) {
			csv_raw(r, m, q, &rawn);
			p = q + 1;
			r->next_line++;
			found = 1;
			break;
		}
		csv_raw(r, m, e, &rawn);
		rc = csv_fill(r);
		if (rc < 0)
			return -1;
		p = m = r->in;
		e = p + r->in_len;
		if (!rc)
			break;
	}
	r->in_pos = (size_t)(p - r->in);
	if (found && r->raw.len == rawn && rawn &&
	    r->raw.p[rawn - 1] == '\r') {
		r->raw.len--;
		r->raw.p[r->raw.len] = 0;
	}
	return -2;
}
