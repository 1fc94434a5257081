#include "outcome.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "hash.h"
#include "json.h"

/* Where the rows beyond TALLY_MAX_ROWS are counted, their texts as values. */
static const char tally_other[] = "other reasons";

/* n, or less so as to be at most max bytes without cutting a UTF-8
 * character in two. */
static size_t cut_utf8(const char *s, size_t n, size_t max)
{
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return n;
}

static void tally_rehash(struct tally *t)
{
	size_t cap = t->idx_cap ? t->idx_cap * 2 : 64, i, h;
	uint32_t *idx = xcalloc(cap, sizeof *idx);

	for (i = 0; i < t->n; i++) {
		for (h = (size_t)t->r[i].hash & (cap - 1); idx[h]; h = (h + 1) & (cap - 1))
			;
		idx[h] = (uint32_t)(i + 1);
	}
	free(t->idx);
	t->idx = idx;
	t->idx_cap = cap;
}

/* The row of text (n bytes, already cut), made when new unless the tally
 * is full and !force: then NULL. */
static struct tally_row *tally_row(struct tally *t, const char *text, size_t n, int force)
{
	uint64_t hv = hash64(text, n, 0x7a11);
	struct tally_row *r;
	size_t h;

	if (2 * (t->n + 1) > t->idx_cap)
		tally_rehash(t);
	for (h = (size_t)hv & (t->idx_cap - 1); t->idx[h]; h = (h + 1) & (t->idx_cap - 1)) {
		r = &t->r[t->idx[h] - 1];
		if (r->hash == hv && r->len == n && !memcmp(r->text, text, n))
			return r;
	}
	if (t->n >= TALLY_MAX_ROWS && !force)
		return NULL;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->r = xrealloc(t->r, t->cap * sizeof *t->r);
	}
	r = &t->r[t->n];
	memset(r, 0, sizeof *r);
	r->text = xstrndup(text, n);
	r->len = n;
	r->hash = hv;
	t->idx[h] = (uint32_t)(++t->n);
	return r;
}

static void tally_sample(struct tally_row *r, const char *v, size_t n)
{
	unsigned i;

	n = cut_utf8(v, n, TALLY_MAX_SAMPLE);
	for (i = 0; i < r->ns; i++)
		if (r->s[i].len == n && !memcmp(r->s[i].v, v, n)) {
			r->s[i].n++;
			return;
		}
	if (r->ns == TALLY_SAMPLES) {
		r->rest++;
		return;
	}
	r->s[r->ns].v = xstrndup(v, n);
	r->s[r->ns].len = n;
	r->s[r->ns].n = 1;
	r->ns++;
}

void tally_add_value(struct tally *t, const char *text, size_t n, const char *val, size_t vn)
{
	struct tally_row *r;

	n = cut_utf8(text, n, TALLY_MAX_TEXT);
	r = tally_row(t, text, n, 0);
	if (!r) {
		r = tally_row(t, tally_other, sizeof tally_other - 1, 1);
		val = text;
		vn = n;
	}
	r->n++;
	if (val)
		tally_sample(r, val, vn);
}

void tally_add(struct tally *t, const char *text, size_t n)
{
	tally_add_value(t, text, n, NULL, 0);
}

static int text_cmp(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : an < bn ? -1 : an > bn;
}

static int row_cmp(const void *a, const void *b)
{
	const struct tally_row *x = *(const struct tally_row *const *)a,
			       *y = *(const struct tally_row *const *)b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return text_cmp(x->text, x->len, y->text, y->len);
}

static int sample_cmp(const void *a, const void *b)
{
	const struct tally_sample *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return text_cmp(x->v, x->len, y->v, y->len);
}

/* Text from the input, on stderr: control characters as \xNN. */
static void put_text(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
}

void tally_print(struct tally *t, const char *what)
{
	struct tally_row **v;
	size_t i;
	unsigned k;

	if (!t->n)
		return;
	v = xmalloc(t->n * sizeof *v);
	for (i = 0; i < t->n; i++)
		v[i] = &t->r[i];
	qsort(v, t->n, sizeof *v, row_cmp);
	for (i = 0; i < t->n; i++) {
		struct tally_row *r = v[i];
		fprintf(stderr, "%s:   %s %llu: ", cli_prog, what, r->n);
		put_text(r->text, r->len);
		qsort(r->s, r->ns, sizeof *r->s, sample_cmp);
		for (k = 0; k < r->ns; k++) {
			fputs(k ? ", '" : " ('", stderr);
			put_text(r->s[k].v, r->s[k].len);
			fprintf(stderr, "' %llu", r->s[k].n);
		}
		if (r->rest)
			fprintf(stderr, " and %llu more", r->rest);
		fputs(r->ns ? ")\n" : "\n", stderr);
	}
	free(v);
}

void tally_free(struct tally *t)
{
	size_t i;
	unsigned k;

	for (i = 0; i < t->n; i++) {
		free(t->r[i].text);
		for (k = 0; k < t->r[i].ns; k++)
			free(t->r[i].s[k].v);
	}
	free(t->r);
	free(t->idx);
	t->r = NULL;
	t->idx = NULL;
	t->n = t->cap = t->idx_cap = 0;
}

int outcome_open(struct outcome *o, const char *rejects, const struct ep_cfg *cfg)
{
	int rc;

	if (!rejects)
		return 0;
	if ((rc = ep_out_open(&o->rej, rejects, cfg)))
		return rc;
	o->have_rej = 1;
	o->rej_name = xstrdup(rejects);
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
	buf_release(&o->first);
	buf_release(&o->first_at);
	free(o->rej_name);
	o->rej_name = NULL;
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

void outcome_where(const struct outcome *o, struct buf *b)
{
	if (o->at)
		buf_add(b, o->at, o->at_n);
	else if (o->file)
		buf_printf(b, "%s:%lu", o->file, o->line);
	else if (o->src)
		ep_in_where(o->src, b);
}

/* Count the reject (under the text cls, with the value val when not NULL)
 * and write it to --rejects. */
static void reject(struct outcome *o, const char *cls, size_t cn, const char *val, size_t vn,
		   const char *reason, size_t n)
{
	int rc;

	o->rejected++;
	tally_add_value(&o->reasons, cls, cn, val, vn);
	if (o->rejected == 1) {
		buf_add(&o->first, reason, cut_utf8(reason, n, 300));
		outcome_where(o, &o->first_at);
	}
	if (o->strict)
		o->strict_hit = 1;
	if (!o->have_rej)
		return;
	buf_reset(&o->tmp);
	buf_adds(&o->tmp, "{\"error\":");
	json_write_bytes_lossy(&o->tmp, reason, n);
	buf_adds(&o->tmp, ",\"source\":");
	buf_reset(&o->where);
	outcome_where(o, &o->where);
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

void outcome_reject(struct outcome *o, const char *reason, size_t n)
{
	char cls[256];

	reject(o, cls, reason_class(reason, n, cls, sizeof cls), NULL, 0, reason, n);
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

void outcome_reject_about(struct outcome *o, const char *cls, const char *val, size_t vn,
			  const char *fmt, ...)
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
	reject(o, cls, strlen(cls), val, vn, tmp, (size_t)n);
}

void outcome_bad_json(struct outcome *o, const char *why, size_t at)
{
	if (!strcmp(why, "empty line"))
		OUTCOME_REJECT(o, "empty line");
	else
		outcome_rejectf(o, "invalid json: %s at byte %zu", why, at + 1);
}

void outcome_say(const struct outcome *o)
{
	if (!o->rejected)
		return;
	if (o->first_at.len)
		fprintf(stderr, "%s: %.*s: rejected: %.*s\n", cli_prog, (int)o->first_at.len,
			o->first_at.p, (int)o->first.len, o->first.p ? o->first.p : "");
	else
		fprintf(stderr, "%s: rejected: %.*s\n", cli_prog, (int)o->first.len,
			o->first.p ? o->first.p : "");
	if (o->have_rej || o->rej_name)
		fprintf(stderr, "%s: %llu of %llu records rejected, each written to --rejects with its line and reason\n",
			cli_prog, o->rejected, o->in);
	else
		fprintf(stderr, "%s: %llu of %llu records rejected (--rejects FILE keeps each with its line and reason; -v counts them by reason)\n",
			cli_prog, o->rejected, o->in);
}

void outcome_print(struct outcome *o, const char *skipped_what)
{
	fprintf(stderr, "%s: %llu in: %llu passed, %llu duplicate, %llu rejected, %llu %s\n",
		cli_prog, o->in, o->passed, o->dups, o->rejected, o->skipped, skipped_what);
	tally_print(&o->reasons, "rejected");
}
