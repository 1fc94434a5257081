/*
 * rows - a report's output, NDJSON or CSV (see rows.h).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "htmlpage.h"
#include "json.h"
#include "rows.h"

void rows_begin(struct rows *r, const char *report)
{
	buf_reset(&r->line);
	buf_reset(&r->hdr);
	r->ncol = 0;
	if (r->page)
		htmlpage_row(r->page, report);
	if (!r->csv) {
		buf_adds(&r->line, "{\"report\":");
		json_write_str(&r->line, report, strlen(report));
	}
}

/* the column's name: the CSV header's, or the NDJSON member's */
static void col_name(struct rows *r, const char *name)
{
	if (r->csv) {
		if (r->ncol)
			buf_addc(&r->line, ',');
		if (r->ncol)
			buf_addc(&r->hdr, ',');
		buf_adds(&r->hdr, name);
	} else {
		buf_addc(&r->line, ',');
		json_write_str(&r->line, name, strlen(name));
		buf_addc(&r->line, ':');
	}
	r->ncol++;
}

/* n bytes at s as a CSV field, quoted when they need it */
static void csv_field(struct buf *b, const char *s, size_t n)
{
	size_t i;
	int q = 0;

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r')
			q = 1;
	if (!q) {
		buf_add(b, s, n);
		return;
	}
	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			buf_addc(b, '"');
		buf_addc(b, s[i]);
	}
	buf_addc(b, '"');
}

void rows_strn(struct rows *r, const char *name, const char *s, size_t n)
{
	if (r->page)
		htmlpage_str(r->page, name, s, n);
	col_name(r, name);
	if (!s) {
		if (!r->csv)
			buf_adds(&r->line, "null");
	} else if (r->csv) {
		csv_field(&r->line, s, n);
	} else {
		json_write_str(&r->line, s, n);
	}
}

void rows_str(struct rows *r, const char *name, const char *s)
{
	rows_strn(r, name, s, s ? strlen(s) : 0);
}

void rows_u64(struct rows *r, const char *name, uint64_t v)
{
	if (r->page)
		htmlpage_num(r->page, name, (double)v);
	col_name(r, name);
	buf_u64(&r->line, v);
}

void rows_num(struct rows *r, const char *name, double v)
{
	if (r->page)
		htmlpage_num(r->page, name, v);
	col_name(r, name);
	if (!isfinite(v)) {
		if (!r->csv)
			buf_adds(&r->line, "null");
		return;
	}
	if (v == 0)
		v = 0; /* no "-0" */
	buf_printf(&r->line, "%.15g", v);
}

static const double scale[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

double rows_round(double v, int places)
{
	double m = scale[places < 0 ? 0 : places > 6 ? 6 : places];

	if (!isfinite(v) || fabs(v) * m >= 9e15)
		return v;
	v = round(v * m) / m;
	return v == 0 ? 0 : v; /* no "-0" */
}

void rows_money(struct rows *r, const char *name, double v, int places)
{
	long long c, m;
	int d;

	places = places < 0 ? 0 : places > 6 ? 6 : places;
	v = rows_round(v, places);
	if (r->page)
		htmlpage_money(r->page, name, v, places);
	col_name(r, name);
	if (!isfinite(v)) {
		if (!r->csv)
			buf_adds(&r->line, "null");
		return;
	}
	m = (long long)scale[places];
	if (fabs(v) * (double)m >= 9e15) { /* past exact units: as a number */
		buf_printf(&r->line, "%.15g", v);
		return;
	}
	c = llround(v * (double)m);
	if (c < 0) {
		buf_adds(&r->line, "-");
		c = -c;
	}
	buf_printf(&r->line, "%lld", c / m);
	c %= m;
	for (d = places; c && c % 10 == 0; d--)
		c /= 10;
	if (c)
		buf_printf(&r->line, ".%0*lld", d, c);
}

void rows_bool(struct rows *r, const char *name, int v)
{
	if (r->page)
		htmlpage_bool(r->page, name, v);
	col_name(r, name);
	buf_adds(&r->line, v ? "true" : "false");
}

void rows_end(struct rows *r)
{
	FILE *out = r->f ? r->f : stdout;

	if (r->page)
		htmlpage_row_end(r->page);
	if (r->csv) {
		/* a table starts with its header; a new set of columns, after a
		 * blank line, with its own */
		if (r->prev_hdr.len != r->hdr.len || memcmp(r->prev_hdr.p, r->hdr.p, r->hdr.len)) {
			if (r->prev_hdr.len)
				fputc('\n', out);
			fwrite(r->hdr.p, 1, r->hdr.len, out);
			fputc('\n', out);
			buf_reset(&r->prev_hdr);
			buf_add(&r->prev_hdr, r->hdr.p, r->hdr.len);
		}
	} else {
		buf_addc(&r->line, '}');
	}
	fwrite(r->line.p, 1, r->line.len, out);
	fputc('\n', out);
}

void rows_release(struct rows *r)
{
	buf_release(&r->line);
	buf_release(&r->hdr);
	buf_release(&r->prev_hdr);
}
