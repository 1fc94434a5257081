/*
 * csv - lib/csv's record reader on any bytes. The first byte picks the
 * separator, how many bytes each read gives (1, 5 … 57, or all) and the
 * longest record; the rest is the stream. Checked:
 *   - every call returns a record, the end, or a malformed record (the
 *     reader never reports a read error the source did not give), and the
 *     reader ends after at most one call per byte;
 *   - a record's fields lie in its bytes, each followed by a NUL, its raw
 *     bytes stay within the limit, its line numbers do not go back;
 *   - the records are the same whatever size the reads are.
 */
#include <stdint.h>
#include <string.h>

#include "csv.h"
#include "fuzz.h"

struct src {
	const uint8_t *p;
	size_t n, pos, step;
};

static ssize_t pull(void *ctx, char *p, size_t n)
{
	struct src *s = ctx;
	size_t k = s->n - s->pos;

	if (k > n)
		k = n;
	if (s->step && k > s->step)
		k = s->step;
	memcpy(p, s->p + s->pos, k);
	s->pos += k;
	return (ssize_t)k;
}

/* Read the whole stream; what was read, in out. */
static void read_all(const uint8_t *p, size_t n, size_t step, char sep, size_t max_record,
		     struct buf *out)
{
	struct src s = {p, n, 0, step};
	struct csv_reader r;
	const char *err;
	unsigned long last = 0;
	size_t calls = 0, f;
	int x;

	csv_reader_init(&r, pull, &s);
	r.sep = sep;
	if (max_record)
		r.max_record = max_record;
	while ((x = csv_reader_next(&r, &err)) != 0) {
		if (++calls > n + 1)
			FZ_FAIL("%zu records from %zu bytes", calls, n);
		if (x != 1 && x != -2)
			FZ_FAIL("csv_reader_next returned %d", x);
		if (r.line < last || r.next_line < r.line)
			FZ_FAIL("record at line %lu after line %lu, next %lu", r.line, last, r.next_line);
		last = r.line;
		if (r.raw.len > r.max_record)
			FZ_FAIL("%zu raw bytes kept, the limit is %zu", r.raw.len, r.max_record);
		buf_printf(out, "%d@%lu:", x, r.line);
		if (x == -2) {
			if (!err || !*err)
				FZ_FAIL("a malformed record without a reason");
			buf_printf(out, "%s\n", err);
			continue;
		}
		if (!r.nf)
			FZ_FAIL("a record without fields");
		for (f = 0; f < r.nf; f++) {
			const struct csv_field *fl = &r.f[f];
			if (fl->off + fl->len >= r.rec.len || r.rec.p[fl->off + fl->len])
				FZ_FAIL("field %zu (%zu+%zu) outside the record's %zu bytes or not ended by NUL",
					f, fl->off, fl->len, r.rec.len);
			buf_printf(out, "%s%zu%c", f ? "," : "", fl->len, fl->quoted ? 'q' : 'u');
			buf_add(out, r.rec.p + fl->off, fl->len);
		}
		buf_addc(out, '\n');
	}
	csv_reader_release(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char seps[4] = {',', ';', '\t', '|'};
	static const size_t limits[4] = {0, 16, 100, 1000};
	struct buf a = BUF_INIT, b = BUF_INIT;
	char sep;
	size_t step, max_record;

	if (!size)
		return 0;
	sep = seps[data[0] & 3];
	max_record = limits[(data[0] >> 2) & 3];
	step = data[0] >> 4 ? (size_t)(data[0] >> 4) * 4 - 3 : 0; /* 1, 5 … 57, or all */
	data++;
	size--;
	read_all(data, size, step, sep, max_record, &a);
	read_all(data, size, 0, sep, max_record, &b);
	if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
		FZ_FAIL("reads of %zu bytes give other records than one read:\n%.*s\n---\n%.*s", step,
			(int)a.len, a.p, (int)b.len, b.p);
	buf_release(&a);
	buf_release(&b);
	return 0;
}
