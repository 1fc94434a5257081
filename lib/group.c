#include "group.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void group_init(struct group *g, const struct group_cfg *cfg)
{
	memset(g, 0, sizeof *g);
	g->cfg = *cfg;
	if (!g->cfg.max_lines)
		g->cfg.max_lines = GROUP_MAX_LINES;
	if (!g->cfg.max_bytes)
		g->cfg.max_bytes = 1 << 20;
	if (!g->cfg.max_depth)
		g->cfg.max_depth = 64;
}

void group_init_like(struct group *g, const struct group *model)
{
	struct group_cfg c = model->cfg;
	size_t i;

	c.by = xstrdup(c.by);
	c.lines_type = c.lines_type ? xstrdup(c.lines_type) : NULL;
	c.keep = c.nkeep ? xcalloc(c.nkeep, sizeof *c.keep) : NULL;
	for (i = 0; i < c.nkeep; i++)
		c.keep[i] = xstrdup(model->cfg.keep[i]);
	group_init(g, &c);
}

void group_free(struct group *g)
{
	size_t i;

	free(g->cfg.by);
	for (i = 0; i < g->cfg.nkeep; i++)
		free(g->cfg.keep[i]);
	free(g->cfg.keep);
	free(g->cfg.lines_type);
	buf_release(&g->key);
	buf_release(&g->data);
	buf_release(&g->tmp);
	buf_release(&g->tmp2);
	json_doc_release(&g->doc);
	free(g->l);
	free(g->num);
	free(g->num_n);
	memset(g, 0, sizeof *g);
}

/* The props object of the event in g->doc (0: none). */
static uint32_t props_of(const struct group *g)
{
	uint32_t p = json_get(&g->doc, 0, "props", 5);

	return p && g->doc.t[p].type == JSON_OBJECT ? p : 0;
}

enum group_took group_add(struct group *g, const char *ev, size_t n, const char *raw,
			  size_t raw_n, const char *at, size_t at_n, const char **why)
{
	const struct json_doc *d = &g->doc;
	struct group_line *l;
	uint32_t t, p, k, a;
	size_t at_err;

	if (json_parse(&g->doc, ev, n, g->cfg.max_depth, why, &at_err) ||
	    d->t[0].type != JSON_OBJECT) {
		*why = "line event does not parse";
		return GROUP_BAD;
	}
	t = json_get(d, 0, "type", 4);
	p = props_of(g);
	if (!t || d->t[t].type != JSON_STRING || !p)
		return GROUP_PASS;
	k = json_get(d, p, g->cfg.by, strlen(g->cfg.by));
	if (!k || !((d->t[k].type == JSON_STRING && d->t[k].len) || d->t[k].type == JSON_NUMBER))
		return GROUP_PASS;
	a = json_get(d, p, "amount", 6);
	if (a && d->t[a].type != JSON_NUMBER && d->t[a].type != JSON_NULL) {
		*why = "props.amount of an order line is not a number";
		return GROUP_BAD;
	}
	/* the key: type, NUL, 's' or 'n', the value (strings unescaped) */
	buf_reset(&g->tmp);
	buf_add(&g->tmp, d->s + d->t[t].off, d->t[t].len);
	buf_addc(&g->tmp, 0);
	if (d->t[k].type == JSON_STRING) {
		buf_addc(&g->tmp, 's');
		json_str_get(d, k, &g->tmp);
	} else {
		buf_addc(&g->tmp, 'n');
		buf_add(&g->tmp, d->s + d->t[k].off, d->t[k].len);
	}
	if (g->open && (g->tmp.len != g->key.len || memcmp(g->tmp.p, g->key.p, g->key.len)))
		return GROUP_ENDS;
	if (!g->open) {
		buf_reset(&g->key);
		buf_add(&g->key, g->tmp.p, g->tmp.len);
		g->open = 1;
		g->over = 0;
	}
	if (g->over)
		return GROUP_OVER;
	if (g->n >= g->cfg.max_lines) {
		g->over = 1;
		return GROUP_OVER;
	}
	if (g->n == g->cap) {
		g->cap = g->cap ? 2 * g->cap : 32;
		g->l = xrealloc(g->l, g->cap * sizeof *g->l);
	}
	l = &g->l[g->n++];
	l->ev = g->data.len;
	l->ev_n = n;
	buf_add(&g->data, ev, n);
	l->raw = g->data.len;
	l->raw_n = raw_n;
	buf_add(&g->data, raw ? raw : "", raw_n);
	l->at = g->data.len;
	l->at_n = at_n;
	buf_add(&g->data, at ? at : "", at_n);
	return GROUP_HELD;
}

void group_line(const struct group *g, size_t i, const char **ev, size_t *ev_n,
		const char **raw, size_t *raw_n, const char **at, size_t *at_n)
{
	const struct group_line *l = &g->l[i];

	*ev = g->data.p + l->ev;
	*ev_n = l->ev_n;
	*raw = g->data.p + l->raw;
	*raw_n = l->raw_n;
	*at = g->data.p + l->at;
	*at_n = l->at_n;
}

static int parse_line(struct group *g, size_t i)
{
	const char *why;
	size_t at;

	return json_parse(&g->doc, g->data.p + g->l[i].ev, g->l[i].ev_n, g->cfg.max_depth, &why,
			  &at) ||
	       g->doc.t[0].type != JSON_OBJECT;
}

/* Append the event in g->doc to out, without its event_id when
 * no_id, with the value of "type" replaced by type (tn bytes of JSON; NULL:
 * kept) and that of "props" by props (pn bytes). */
static void write_event(const struct group *g, struct buf *out, int no_id, const char *type,
			size_t tn, const char *props, size_t pn)
{
	const struct json_doc *d = &g->doc;
	uint32_t k, i;
	int first = 1;

	buf_addc(out, '{');
	for (k = 0, i = 1; k < d->t[0].size; k++, i = d->t[i + 1].next) {
		if (no_id && json_str_eq(d, i, "event_id", 8))
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_tok(d, i, out);
		buf_addc(out, ':');
		if (type && json_str_eq(d, i, "type", 4))
			buf_add(out, type, tn);
		else if (json_str_eq(d, i, "props", 5))
			buf_add(out, props, pn);
		else
			json_write_tok(d, i + 1, out);
	}
	buf_addc(out, '}');
}

int group_order(struct group *g, struct buf *out, const char **why)
{
	const struct json_doc *d = &g->doc;
	struct buf *items = &g->tmp, *props = &g->tmp2;
	size_t i, j, namt = 0, start = out->len;
	const char *kv;
	size_t kn;

	*why = "an order line does not parse";
	if (g->num_cap < g->n) {
		g->num_cap = g->n;
		g->num = xrealloc(g->num, g->num_cap * sizeof *g->num);
		g->num_n = xrealloc(g->num_n, g->num_cap * sizeof *g->num_n);
	}
	buf_reset(props);
	buf_reset(items);
	/* the key, then the kept props of the first line */
	kv = (const char *)memchr(g->key.p, 0, g->key.len) + 1;
	kn = g->key.len - (size_t)(kv - g->key.p);
	buf_addc(props, '{');
	json_write_str(props, g->cfg.by, strlen(g->cfg.by));
	buf_addc(props, ':');
	if (*kv == 's')
		json_write_str(props, kv + 1, kn - 1);
	else
		buf_add(props, kv + 1, kn - 1);
	for (i = 0; i < g->n; i++) {
		uint32_t p, a;
		if (parse_line(g, i) || !(p = props_of(g)))
			return -1;
		if (i == 0)
			for (j = 0; j < g->cfg.nkeep; j++) {
				const char *name = g->cfg.keep[j];
				uint32_t v = json_get(d, p, name, strlen(name));
				if (!v || !strcmp(name, g->cfg.by) || !strcmp(name, "amount") ||
				    !strcmp(name, "lines") || !strcmp(name, "items"))
					continue;
				buf_addc(props, ',');
				json_write_str(props, name, strlen(name));
				buf_addc(props, ':');
				json_write_tok(d, v, props);
			}
		if (i)
			buf_addc(items, ',');
		json_write_tok(d, p, items);
		a = json_get(d, p, "amount", 6);
		if (a && d->t[a].type == JSON_NUMBER) {
			/* the text stays in g->data */
			g->num[namt] = d->s + d->t[a].off;
			g->num_n[namt++] = d->t[a].len;
		}
	}
	if (namt) {
		buf_adds(props, ",\"amount\":");
		group_sum(g->num, g->num_n, namt, props);
	}
	buf_adds(props, ",\"lines\":");
	buf_u64(props, g->n);
	buf_adds(props, ",\"items\":[");
	buf_add(props, items->p, items->len);
	buf_adds(props, "]}");
	if (parse_line(g, 0))
		return -1;
	write_event(g, out, 1, NULL, 0, props->p, props->len);
	if (out->len - start > g->cfg.max_bytes) {
		*why = "longer than max_line_bytes";
		return -1;
	}
	return 0;
}

int group_line_event(struct group *g, size_t i, struct buf *out)
{
	const struct json_doc *d = &g->doc;
	struct buf *props = &g->tmp2, *type = &g->tmp;
	uint32_t p, k, j;
	int first = 1;

	if (!g->cfg.lines_type || i >= g->n || parse_line(g, i) || !(p = props_of(g)))
		return -1;
	buf_reset(props);
	buf_addc(props, '{');
	for (k = 0, j = p + 1; k < d->t[p].size; k++, j = d->t[j + 1].next) {
		if (json_str_eq(d, j, "line", 4))
			continue;
		if (!first)
			buf_addc(props, ',');
		first = 0;
		json_write_tok(d, j, props);
		buf_addc(props, ':');
		json_write_tok(d, j + 1, props);
	}
	if (!first)
		buf_addc(props, ',');
	buf_adds(props, "\"line\":");
	buf_u64(props, i + 1);
	buf_addc(props, '}');
	buf_reset(type);
	json_write_str(type, g->cfg.lines_type, strlen(g->cfg.lines_type));
	write_event(g, out, 0, type->p, type->len, props->p, props->len);
	return 0;
}

void group_drop_lines(struct group *g)
{
	g->n = 0;
	buf_reset(&g->data);
}

void group_clear(struct group *g)
{
	group_drop_lines(g);
	g->open = 0;
	g->over = 0;
	buf_reset(&g->key);
}

/* 10^k for k 0..18 */
static int64_t pow10i(int k)
{
	int64_t v = 1;

	while (k-- > 0)
		v *= 10;
	return v;
}

void group_sum(const char *const *nums, const size_t *lens, size_t n, struct buf *out)
{
	size_t i;
	int dec = 0, exact = 1;
	int64_t sum = 0;

	for (i = 0; i < n && exact; i++) {
		uint64_t digits;
		int frac, neg;
		if (json_num_plain(nums[i], lens[i], &digits, &frac, &neg) || frac > 9)
			exact = 0;
		else if (frac > dec)
			dec = frac;
	}
	for (i = 0; i < n && exact; i++) {
		uint64_t digits;
		int frac, neg;
		int64_t v;
		json_num_plain(nums[i], lens[i], &digits, &frac, &neg);
		if (__builtin_mul_overflow((int64_t)digits, pow10i(dec - frac), &v) ||
		    __builtin_add_overflow(sum, neg ? -v : v, &sum))
			exact = 0;
	}
	if (exact) {
		uint64_t a = sum < 0 ? (uint64_t)0 - (uint64_t)sum : (uint64_t)sum;
		uint64_t scale = (uint64_t)pow10i(dec), ip = a / scale, fp = a % scale;
		char fr[24];
		int fl = dec;
		if (sum < 0)
			buf_addc(out, '-');
		buf_u64(out, ip);
		while (fl > 0 && fp % 10 == 0) {
			fp /= 10;
			fl--;
		}
		if (fl > 0) {
			snprintf(fr, sizeof fr, ".%0*llu", fl, (unsigned long long)fp);
			buf_adds(out, fr);
		}
		return;
	}
	{
		double s = 0;
		char tmp[40];
		for (i = 0; i < n; i++) {
			char num[64];
			size_t l = lens[i] < sizeof num - 1 ? lens[i] : sizeof num - 1;
			memcpy(num, nums[i], l);
			num[l] = 0;
			s += strtod(num, NULL);
		}
		if (!isfinite(s))
			s = 0;
		snprintf(tmp, sizeof tmp, "%.17g", s);
		buf_adds(out, tmp);
	}
}
