#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

void tally_add(struct tally *t, const char *text, size_t n)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strncmp(t->r[i].text, text, n) && !t->r[i].text[n]) {
			t->r[i].n++;
			return;
		}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->r = xrealloc(t->r, t->cap * sizeof *t->r);
	}
	t->r[t->n].text = xstrndup(text, n);
	t->r[t->n].n = 1;
	t->n++;
}

static int row_cmp(const void *a, const void *b)
{
	const struct tally_row *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return strcmp(x->text, y->text);
}

void tally_print(struct tally *t, const char *what)
{
	size_t i;

	if (t->n)
		qsort(t->r, t->n, sizeof *t->r, row_cmp);
	for (i = 0; i < t->n; i++)
		fprintf(stderr, "%s:   %s %llu: %s\n", cli_prog, what, t->r[i].n, t->r[i].text);
}

void tally_free(struct tally *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->r[i].text);
	free(t->r);
	t->r = NULL;
	t->n = t->cap = 0;
}

int outcome_open(struct outcome *o, const char *rejects, const struct ep_cfg *cfg)
{
	int rc;

	if (!rejects)
		return 0;
	if ((rc = ep_out_open(&o->rej, rejects, cfg)))
		return rc;
	o->have_rej = 1;
	return 0;
}

int outcome_flush(struct outcome *o)
{
	return o->have_rej ? ep_out_flush(&o->rej) : 0;
}

int outcome_end(struct outcome *o)
{
	int rc = 0;

	if (o->have_rej)
		rc = ep_out_close(&o->rej);
	o->have_rej = 0;
	return rc;
}

int outcome_close(struct outcome *o)
{
	int rc = outcome_end(o);

	tally_free(&o->reasons);
	buf_release(&o->tmp);
	buf_release(&o->where);
	return rc;
}

/*
 * The class of a reason, for counting, into out (cap bytes): the reason
 * without its positions and details. It ends before " at byte …" or
 * " at line …", and before a " (…)" that ends it ("no usable identifier
 * (phone: …)"); a " (…)" with more after it is kept as " (…)", so that
 * what follows still tells classes apart: jq's "string (\"x\") and
 * number (1) cannot be added" is "string (…) and number (…) cannot be
 * added". Returns its length.
 */
static size_t reason_class(const char *r, size_t n, char *out, size_t cap)
{
	size_t i, j, len = 0;
	int depth;

	for (i = 0; i < n && len + 6 < cap; i++) {
		if (r[i] == ' ' && ((n - i >= 8 && !memcmp(r + i, " at byte", 8)) ||
				    (n - i >= 9 && !memcmp(r + i, " at line ", 9))))
			break; /* ours, and jq's "… at line 1, column 2" */
		if (r[i] == ' ' && i + 1 < n && r[i + 1] == '(') {
			for (j = i + 1, depth = 0; j < n; j++)
				if (r[j] == '(')
					depth++;
				else if (r[j] == ')' && !--depth)
					break;
			if (j >= n) /* a "(" in the detail: to the first ") " */
				for (j = i + 1; j < n && !(r[j] == ')' && j + 1 < n && r[j + 1] == ' '); j++)
					;
			if (j >= n || j + 1 == n)
				break; /* unclosed, or the end: a detail */
			memcpy(out + len, " (\xe2\x80\xa6)", 6);
			len += 6;
			i = j;
			continue;
		}
		out[len++] = r[i];
	}
	if (i < n && len + 6 >= cap && ((unsigned char)r[i] & 0xc0) == 0x80) {
		/* cut for room inside a character: drop all of it */
		while (len && ((unsigned char)out[len - 1] & 0xc0) == 0x80)
			len--;
		if (len && ((unsigned char)out[len - 1] & 0xc0) == 0xc0)
			len--;
	}
	return len;
}

void outcome_reject(struct outcome *o, const char *reason, size_t n)
{
	char cls[256];
	int rc;

	o->rejected++;
	tally_add(&o->reasons, cls, reason_class(reason, n, cls, sizeof cls));
	if (o->strict)
		o->strict_hit = 1;
	if (!o->have_rej)
		return;
	buf_reset(&o->tmp);
	buf_adds(&o->tmp, "{\"error\":");
	json_write_bytes_lossy(&o->tmp, reason, n);
	buf_adds(&o->tmp, ",\"source\":");
	buf_reset(&o->where);
	if (o->file)
		buf_printf(&o->where, "%s:%lu", o->file, o->line);
	else if (o->src)
		ep_in_where(o->src, &o->where);
	json_write_bytes_lossy(&o->tmp, o->where.p ? o->where.p : "", o->where.len);
	buf_adds(&o->tmp, ",\"line\":");
	json_write_bytes_lossy(&o->tmp, o->raw ? o->raw : "", o->raw_n);
	if (o->raw_flags & LINE_TOO_LONG) {
		buf_adds(&o->tmp, ",\"truncated\":true,\"bytes\":");
		buf_u64(&o->tmp, o->raw_total);
	}
	buf_addc(&o->tmp, '}');
	rc = ep_out_write(&o->rej, NULL, 0, o->tmp.p, o->tmp.len);
	if (rc)
		o->fatal = rc;
}

void outcome_rejectf(struct outcome *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof tmp)
		n = sizeof tmp - 1;
	outcome_reject(o, tmp, (size_t)n);
}

void outcome_bad_json(struct outcome *o, const char *why, size_t at)
{
	if (!strcmp(why, "empty line"))
		OUTCOME_REJECT(o, "empty line");
	else
		outcome_rejectf(o, "invalid json: %s at byte %zu", why, at + 1);
}

void outcome_print(struct outcome *o, const char *skipped_what)
{
	fprintf(stderr, "%s: %llu in: %llu passed, %llu duplicate, %llu rejected, %llu %s\n",
		cli_prog, o->in, o->passed, o->dups, o->rejected, o->skipped, skipped_what);
	tally_print(&o->reasons, "rejected");
}
