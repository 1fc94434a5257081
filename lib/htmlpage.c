/*
 * htmlpage - a report as one self-contained HTML page with inline SVG
 * charts. See htmlpage.h.
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "htmlpage.h"

void htmlpage_init(struct htmlpage *p, const char *title, const char *subtitle)
{
	memset(p, 0, sizeof *p);
	p->title = xstrdup(title);
	p->subtitle = subtitle ? xstrdup(subtitle) : NULL;
}

static void cell_free(struct htmlpage_cell *c)
{
	if (c->kind == HTMLPAGE_STR)
		free(c->text);
	c->text = NULL;
	c->kind = HTMLPAGE_NULL;
}

static void row_clear(struct htmlpage *p)
{
	unsigned i;

	for (i = 0; i < p->rn; i++) {
		free(p->rcol[i]);
		cell_free(&p->rcell[i]);
	}
	p->rn = 0;
	free(p->rkind);
	p->rkind = NULL;
}

void htmlpage_row(struct htmlpage *p, const char *kind)
{
	row_clear(p);
	p->rkind = xstrdup(kind);
}

static struct htmlpage_cell *add_col(struct htmlpage *p, const char *name)
{
	if (p->rn == p->rcap) {
		p->rcap = p->rcap ? p->rcap * 2 : 16;
		p->rcol = xrealloc(p->rcol, p->rcap * sizeof *p->rcol);
		p->rcell = xrealloc(p->rcell, p->rcap * sizeof *p->rcell);
	}
	p->rcol[p->rn] = xstrdup(name);
	memset(&p->rcell[p->rn], 0, sizeof p->rcell[p->rn]);
	return &p->rcell[p->rn++];
}

void htmlpage_str(struct htmlpage *p, const char *name, const char *s, size_t n)
{
	struct htmlpage_cell *c = add_col(p, name);

	if (s) {
		c->kind = HTMLPAGE_STR;
		c->text = xstrndup(s, n);
	}
}

void htmlpage_num(struct htmlpage *p, const char *name, double v)
{
	struct htmlpage_cell *c = add_col(p, name);

	if (isfinite(v)) {
		c->kind = HTMLPAGE_NUM;
		c->num = v;
	}
}

void htmlpage_money(struct htmlpage *p, const char *name, double v, int places)
{
	struct htmlpage_cell *c = add_col(p, name);

	if (isfinite(v)) {
		c->kind = HTMLPAGE_NUM;
		c->num = v;
		c->money = places + 1;
	}
}

void htmlpage_bool(struct htmlpage *p, const char *name, int v)
{
	struct htmlpage_cell *c = add_col(p, name);

	c->kind = HTMLPAGE_BOOL;
	c->num = v != 0;
}

static int same_cols(const struct htmlpage_table *t, char *const *col, unsigned n)
{
	unsigned i;

	if (t->ncol != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(t->col[i], col[i]))
			return 0;
	return 1;
}

void htmlpage_row_end(struct htmlpage *p)
{
	struct htmlpage_table *t = NULL;
	unsigned i;

	if (!p->rkind)
		return;
	for (i = 0; i < p->ntab && !t; i++)
		if (!strcmp(p->tab[i].kind, p->rkind) && same_cols(&p->tab[i], p->rcol, p->rn))
			t = &p->tab[i];
	if (!t) {
		p->tab = xrealloc(p->tab, (p->ntab + 1) * sizeof *p->tab);
		t = &p->tab[p->ntab++];
		memset(t, 0, sizeof *t);
		t->kind = xstrdup(p->rkind);
		t->ncol = p->rn;
		t->col = xcalloc(p->rn ? p->rn : 1, sizeof *t->col);
		for (i = 0; i < p->rn; i++)
			t->col[i] = xstrdup(p->rcol[i]);
	}
	if (t->nrow == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->cell = xrealloc(t->cell, t->cap * (t->ncol ? t->ncol : 1) * sizeof *t->cell);
	}
	/* the cells move into the table */
	memcpy(t->cell + t->nrow * t->ncol, p->rcell, t->ncol * sizeof *t->cell);
	t->nrow++;
	for (i = 0; i < p->rn; i++) {
		free(p->rcol[i]);
		p->rcell[i].kind = HTMLPAGE_NULL;
		p->rcell[i].text = NULL;
	}
	p->rn = 0;
	free(p->rkind);
	p->rkind = NULL;
}

void htmlpage_release(struct htmlpage *p)
{
	unsigned i, k;
	size_t r;

	row_clear(p);
	free(p->rcol);
	free(p->rcell);
	for (i = 0; i < p->ntab; i++) {
		struct htmlpage_table *t = &p->tab[i];
		for (r = 0; r < t->nrow; r++)
			for (k = 0; k < t->ncol; k++)
				cell_free(&t->cell[r * t->ncol + k]);
		for (k = 0; k < t->ncol; k++)
			free(t->col[k]);
		free(t->col);
		free(t->cell);
		free(t->kind);
	}
	free(p->tab);
	free(p->title);
	free(p->subtitle);
	memset(p, 0, sizeof *p);
}

/* ---- reading tables */

static int col_of(const struct htmlpage_table *t, const char *name)
{
	unsigned i;

	for (i = 0; i < t->ncol; i++)
		if (!strcmp(t->col[i], name))
			return (int)i;
	return -1;
}

static const struct htmlpage_cell *cell(const struct htmlpage_table *t, size_t r, int c)
{
	static const struct htmlpage_cell none = {HTMLPAGE_NULL, NULL, 0};
	return c < 0 ? &none : &t->cell[r * t->ncol + (unsigned)c];
}

static double num(const struct htmlpage_table *t, size_t r, int c)
{
	const struct htmlpage_cell *x = cell(t, r, c);
	return x->kind == HTMLPAGE_NUM || x->kind == HTMLPAGE_BOOL ? x->num : NAN;
}

static const char *str(const struct htmlpage_table *t, size_t r, int c)
{
	const struct htmlpage_cell *x = cell(t, r, c);
	return x->kind == HTMLPAGE_STR ? x->text : NULL;
}

/* two cells hold the same value (both null, or equal strings) */
static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* ---- writing */

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

/* a number as a table shows it: whole numbers whole, others to 4
 * significant digits (2 decimals from 100 up) */
static void fmt_num(char *out, size_t n, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(out, n, "%.0f", v == 0 ? 0 : v);
	else if (fabs(v) >= 100)
		snprintf(out, n, "%.2f", v);
	else
		snprintf(out, n, "%.4g", v);
}

/* an amount of money of places decimals: two decimals, or more when
 * they are not zeros */
static void fmt_money(char *out, size_t n, double v, int places)
{
	size_t l;

	snprintf(out, n, "%.*f", places > 2 ? places : 2, v == 0 ? 0 : v);
	l = strlen(out);
	while (places > 2 && out[l - 1] == '0' && out[l - 3] != '.')
		out[--l] = 0, places--;
}

/* a difference of rates in percentage points */
static void pts(char *out, size_t n, double v)
{
	if (isfinite(v))
		snprintf(out, n, "%+.1f pp", v * 100);
	else
		snprintf(out, n, "–");
}

static void pct(char *out, size_t n, double v)
{
	if (isfinite(v))
		snprintf(out, n, "%.1f%%", v * 100);
	else
		snprintf(out, n, "–");
}

/* the id of a chart: base, then base-2, base-3 … */
static void chart_open(FILE *f, const char *base, unsigned *seq, double w, double h, const char *label)
{
	(*seq)++;
	fprintf(f, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" id=\"%s", base);
	if (*seq > 1)
		fprintf(f, "-%u", *seq);
	fprintf(f, "\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", w, h, w, h);
	esc(f, label);
	fputs("\">\n", f);
}

static void chart_close(FILE *f, const char *caption)
{
	fputs("</svg>", f);
	if (caption) {
		fputs("<figcaption>", f);
		esc(f, caption);
		fputs("</figcaption>", f);
	}
	fputs("</figure>\n", f);
}

static void text(FILE *f, double x, double y, const char *anchor, const char *cls, const char *s)
{
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\"", x, y);
	if (anchor)
		fprintf(f, " text-anchor=\"%s\"", anchor);
	if (cls)
		fprintf(f, " class=\"%s\"", cls);
	fputc('>', f);
	esc(f, s);
	fputs("</text>\n", f);
}

/* white to a deep blue by t in [0, 1] */
static void shade(char *out, size_t n, double t)
{
	int r, g, b;

	if (!(t >= 0))
		t = 0;
	if (t > 1)
		t = 1;
	r = (int)lround(247 + (8 - 247) * t);
	g = (int)lround(251 + (69 - 251) * t);
	b = (int)lround(255 + (148 - 255) * t);
	snprintf(out, n, "#%02x%02x%02x", r, g, b);
}

/* the rows [from, to) of t whose split column equals that of row from */
static size_t split_end(const struct htmlpage_table *t, int sc, size_t from)
{
	size_t to = from + 1;

	if (sc < 0)
		return t->nrow;
	while (to < t->nrow && same_str(str(t, to, sc), str(t, from, sc)))
		to++;
	return to;
}

static void split_heading(FILE *f, const struct htmlpage_table *t, int sc, size_t r)
{
	if (sc < 0)
		return;
	fputs("<h3>split: ", f);
	esc(f, str(t, r, sc) ? str(t, r, sc) : "(none)");
	fputs("</h3>\n", f);
}

/* retention: a row per cohort, a column per period N, shaded by the rate
 * against the best rate after period 0 */
static void chart_retention(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int sc = col_of(t, "split"), cc = col_of(t, "cohort"), zc = col_of(t, "size"),
	    nc = col_of(t, "period"), rc = col_of(t, "rate");
	size_t from, to, r;

	if (cc < 0 || nc < 0 || rc < 0)
		return;
	for (from = 0; from < t->nrow; from = to) {
		double maxn = 0, best = 0, cw, ch = 20, lw = 150, w, h, y;
		size_t ncoh = 0;
		const char *prev = NULL;
		char b[64], col[16];
		to = split_end(t, sc, from);
		for (r = from; r < to; r++) {
			double n = num(t, r, nc), v = num(t, r, rc);
			if (n > maxn)
				maxn = n;
			if (n >= 1 && v > best)
				best = v;
			if (!prev || !same_str(prev, str(t, r, cc)))
				ncoh++;
			prev = str(t, r, cc);
		}
		cw = 900 / (maxn + 1);
		cw = cw > 48 ? 48 : cw < 30 ? 30 : cw;
		w = lw + 60 + cw * (maxn + 1) + 10;
		h = 30 + ch * (double)ncoh + 10;
		split_heading(f, t, sc, from);
		chart_open(f, "retention-heatmap", seq, w, h, "retention by cohort and period");
		text(f, lw - 6, 20, "end", "h", "cohort");
		text(f, lw + 54, 20, "end", "h", "people");
		for (r = 0; r <= (size_t)maxn; r++) {
			snprintf(b, sizeof b, "%zu", r);
			text(f, lw + 60 + cw * ((double)r + 0.5), 20, "middle", "h", b);
		}
		prev = NULL;
		y = 30 - ch;
		for (r = from; r < to; r++) {
			double n = num(t, r, nc), v = num(t, r, rc), tt = n >= 1 && best > 0 ? v / best : 0;
			if (!prev || !same_str(prev, str(t, r, cc))) {
				y += ch;
				text(f, lw - 6, y + 14, "end", NULL, str(t, r, cc) ? str(t, r, cc) : "");
				fmt_num(b, sizeof b, num(t, r, zc));
				text(f, lw + 54, y + 14, "end", NULL, b);
			}
			prev = str(t, r, cc);
			if (n < 1)
				snprintf(col, sizeof col, "#e5e7eb");
			else
				shade(col, sizeof col, tt);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				lw + 60 + cw * n, y, cw - 1, ch - 1, col);
			snprintf(b, sizeof b, "%s, period %.0f: ", str(t, r, cc) ? str(t, r, cc) : "", n);
			esc(f, b);
			pct(b, sizeof b, v);
			esc(f, b);
			fputs("</title></rect>\n", f);
			pct(b, sizeof b, v);
			if (cw < 40 && strlen(b) > 1)
				b[strlen(b) - 1] = 0; /* no room for the % sign */
			text(f, lw + 60 + cw * (n + 0.5), y + 14, "middle", tt > 0.55 ? "inv" : NULL, b);
		}
		chart_close(f, "Share of each cohort that came back in period N after its own (N = 0: the cohort's period).");
	}
}

/* funnel: a bar per step, its length the share of step 1 */
static void chart_funnel(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int sc = col_of(t, "split"), ec = col_of(t, "event"), pc = col_of(t, "people"),
	    oc = col_of(t, "overall"), fc = col_of(t, "from_previous");
	size_t from, to, r;

	if (ec < 0 || pc < 0)
		return;
	for (from = 0; from < t->nrow; from = to) {
		double lw = 260, bw = 480, rh = 34, w = lw + bw + 380, h, y = 10;
		double first;
		char b[192], o[32], q[32];
		to = split_end(t, sc, from);
		first = num(t, from, pc);
		h = 10 + rh * (double)(to - from) + 10;
		split_heading(f, t, sc, from);
		chart_open(f, "funnel-bars", seq, w, h, "funnel: people per step");
		for (r = from; r < to; r++, y += rh) {
			double p = num(t, r, pc), share = first > 0 ? p / first : 0;
			const char *ev = str(t, r, ec) ? str(t, r, ec) : "";
			snprintf(b, sizeof b, "%zu. %.40s%s", r - from + 1, ev, strlen(ev) > 40 ? "…" : "");
			text(f, lw - 8, y + 20, "end", NULL, b);
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#2563eb\"><title>",
				lw, y + 4, bw * share > 1 ? bw * share : 1, rh - 8);
			esc(f, ev);
			fputs("</title></rect>\n", f);
			fmt_num(o, sizeof o, p);
			pct(q, sizeof q, num(t, r, oc));
			if (r > from) {
				char fp[32];
				pct(fp, sizeof fp, num(t, r, fc));
				snprintf(b, sizeof b, "%s · %s of step 1 · %s of the step before", o, q, fp);
			} else {
				snprintf(b, sizeof b, "%s", o);
			}
			text(f, lw + bw * share + 6, y + 20, NULL, NULL, b);
		}
		chart_close(f, "People reaching each step in order within the window; the bar is the share of step 1.");
	}
}

/* abtest: each arm's uplift against the control with its 95 % interval */
static void chart_abtest(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int ac = col_of(t, "arm"), cc = col_of(t, "control"), rc = col_of(t, "rate"),
	    uc = col_of(t, "uplift"), lc = col_of(t, "uplift_lo"), hc = col_of(t, "uplift_hi"),
	    pc = col_of(t, "p"), nc = col_of(t, "people");
	double lo = 0, hi = 0, lw = 200, pw = 480, rh = 36, w = lw + pw + 300, h, y, x0;
	size_t r;
	char b[160], x[32], c[32], d[32], e[32];

	if (ac < 0 || uc < 0)
		return;
	for (r = 0; r < t->nrow; r++) {
		double a = num(t, r, lc), z = num(t, r, hc);
		if (a < lo)
			lo = a;
		if (z > hi)
			hi = z;
	}
	if (hi - lo <= 0)
		hi = lo + 0.01;
	{
		double pad = (hi - lo) * 0.08;
		lo -= pad;
		hi += pad;
	}
	h = 40 + rh * (double)t->nrow + 10;
	x0 = lw + pw * (0 - lo) / (hi - lo);
	chart_open(f, "abtest-arms", seq, w, h, "uplift of each arm against the control, with 95% intervals");
	fprintf(f, "<line x1=\"%.1f\" y1=\"24\" x2=\"%.1f\" y2=\"%.1f\" class=\"zero\"/>\n", x0, x0, h - 6);
	pts(x, sizeof x, lo);
	text(f, lw, 16, "start", "h", x);
	text(f, x0, 16, "middle", "h", "0");
	pts(x, sizeof x, hi);
	text(f, lw + pw, 16, "end", "h", x);
	for (r = 0, y = 40; r < t->nrow; r++, y += rh) {
		double u = num(t, r, uc), a = num(t, r, lc), z = num(t, r, hc);
		fmt_num(d, sizeof d, num(t, r, nc));
		pct(e, sizeof e, num(t, r, rc));
		snprintf(b, sizeof b, "%s (%s people, %s)", str(t, r, ac) ? str(t, r, ac) : "", d, e);
		text(f, lw - 8, y + 5, "end", NULL, b);
		if (num(t, r, cc) == 1 || !isfinite(u)) {
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\" class=\"ctl\"/>\n", x0 - 4, y - 4);
			text(f, lw + pw + 10, y + 5, NULL, NULL, "control");
			continue;
		}
		if (isfinite(a) && isfinite(z))
			fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" class=\"ci\"/>\n",
				lw + pw * (a - lo) / (hi - lo), y, lw + pw * (z - lo) / (hi - lo), y);
		fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" class=\"%s\"/>\n", lw + pw * (u - lo) / (hi - lo), y,
			isfinite(a) && (a > 0 || z < 0) ? "sig" : "pt");
		pts(x, sizeof x, u);
		pts(c, sizeof c, a);
		pts(d, sizeof d, z);
		snprintf(b, sizeof b, "%s [%s, %s]", x, c, d);
		if (pc >= 0 && isfinite(num(t, r, pc))) {
			size_t l = strlen(b);
			snprintf(b + l, sizeof b - l, " p=%.3g", num(t, r, pc));
		}
		text(f, lw + pw + 10, y + 5, NULL, NULL, b);
	}
	chart_close(f, "Difference in conversion rate against the control, in points, with its 95% interval; "
		       "a filled dot: the interval excludes 0.");
}

/* rfm: the 5 × 5 grid of recency and frequency scores, shaded by people */
static void chart_rfm(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int rc = col_of(t, "r"), fc = col_of(t, "f"), pc = col_of(t, "people"), sc = col_of(t, "segment"),
	    mc = col_of(t, "revenue");
	double most = 0, cw = 130, ch = 52, lw = 60, w = lw + 5 * cw + 10, h = 30 + 5 * ch + 30;
	size_t r;
	char b[96], col[16], m[32];

	if (rc < 0 || fc < 0 || pc < 0)
		return;
	for (r = 0; r < t->nrow; r++)
		if (num(t, r, pc) > most)
			most = num(t, r, pc);
	chart_open(f, "rfm-grid", seq, w, h, "people per recency and frequency score");
	for (r = 1; r <= 5; r++) {
		snprintf(b, sizeof b, "F %zu", r);
		text(f, lw + cw * ((double)r - 0.5), 20, "middle", "h", b);
		snprintf(b, sizeof b, "R %zu", 6 - r);
		text(f, lw - 8, 30 + ch * ((double)r - 0.5) + 4, "end", "h", b);
	}
	for (r = 0; r < t->nrow; r++) {
		double R = num(t, r, rc), F = num(t, r, fc), p = num(t, r, pc), tt = most > 0 ? p / most : 0;
		double x = lw + cw * (F - 1), y = 30 + ch * (5 - R);
		if (!(R >= 1 && R <= 5 && F >= 1 && F <= 5))
			continue;
		shade(col, sizeof col, tt);
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y, cw - 2,
			ch - 2, col);
		text(f, x + cw / 2, y + 20, "middle", tt > 0.55 ? "inv" : NULL, str(t, r, sc) ? str(t, r, sc) : "");
		fmt_num(b, sizeof b, p);
		fmt_num(m, sizeof m, num(t, r, mc));
		{
			char s[160];
			snprintf(s, sizeof s, "%s people · %s", b, m);
			text(f, x + cw / 2, y + 38, "middle", tt > 0.55 ? "inv" : "s", s);
		}
	}
	chart_close(f, "People (and revenue) per cell of recency score R and frequency score F.");
}

/* lifecycle: the stages in the order they come, and a colour each */
static const char *const stage_colour[] = {"#60a5fa", "#34d399", "#1d4ed8", "#f59e0b", "#ef4444", "#9ca3af",
					   "#a78bfa", "#f472b6"};

static unsigned stage_index(const char **names, unsigned *n, const char *s)
{
	unsigned i;

	for (i = 0; i < *n; i++)
		if (same_str(names[i], s))
			return i;
	if (*n < 8)
		names[(*n)++] = s;
	return i < 8 ? i : 7;
}

/* a stage's colour: the same for a name in every chart */
static const char *colour_of(const char *const *names, unsigned i)
{
	static const char *const known[] = {"new", "growing", "mature", "dormant", "churned", "none"};
	unsigned k;

	for (k = 0; k < 6; k++)
		if (names[i] && !strcmp(names[i], known[k]))
			return stage_colour[k];
	return stage_colour[i < 8 ? i : 7];
}

static void legend(FILE *f, const char **names, unsigned n, double x, double y)
{
	unsigned i;

	for (i = 0; i < n; i++, x += 110) {
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, y - 10,
			colour_of(names, i));
		text(f, x + 16, y, NULL, NULL, names[i] ? names[i] : "(none)");
	}
}

/* lifecycle: a column per period, stacked by stage */
static void chart_lifecycle(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int pc = col_of(t, "period"), sc = col_of(t, "stage"), nc = col_of(t, "people");
	const char *names[8] = {0}, *prev = NULL;
	unsigned nn = 0;
	size_t r, nper = 0;
	double most = 0, tot = 0, ph = 260, cw, w, h, x, y;
	char b[96];

	if (pc < 0 || sc < 0 || nc < 0 || !t->nrow)
		return;
	for (r = 0; r < t->nrow; r++) {
		if (!prev || !same_str(prev, str(t, r, pc))) {
			nper++;
			tot = 0;
		}
		prev = str(t, r, pc);
		tot += num(t, r, nc);
		if (tot > most)
			most = tot;
		stage_index(names, &nn, str(t, r, sc));
	}
	cw = 900.0 / (double)nper;
	cw = cw > 60 ? 60 : cw < 14 ? 14 : cw;
	w = 70 + cw * (double)nper + 20;
	if (w < 640)
		w = 640;
	h = 30 + ph + 70;
	chart_open(f, "lifecycle-stages", seq, w, h, "people per lifecycle stage per period");
	legend(f, names, nn, 70, 16);
	fmt_num(b, sizeof b, most);
	text(f, 64, 34, "end", "h", b);
	text(f, 64, 30 + ph, "end", "h", "0");
	prev = NULL;
	x = 70 - cw;
	y = 30 + ph;
	for (r = 0; r < t->nrow; r++) {
		double n = num(t, r, nc), hh = most > 0 ? ph * n / most : 0;
		if (!prev || !same_str(prev, str(t, r, pc))) {
			x += cw;
			y = 30 + ph;
			fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(45 %.1f %.1f)\" class=\"s\">", x + cw / 2,
				y + 14, x + cw / 2, y + 14);
			esc(f, str(t, r, pc) ? str(t, r, pc) : "");
			fputs("</text>\n", f);
		}
		prev = str(t, r, pc);
		if (hh <= 0)
			continue;
		y -= hh;
		fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>", x + 1, y,
			cw - 2, hh, colour_of(names, stage_index(names, &nn, str(t, r, sc))));
		fmt_num(b, sizeof b, n);
		esc(f, str(t, r, pc) ? str(t, r, pc) : "");
		fputs(" ", f);
		esc(f, str(t, r, sc) ? str(t, r, sc) : "");
		fprintf(f, ": %s</title></rect>\n", b);
	}
	chart_close(f, "People in each lifecycle stage at the end of each period (the last period: at the stream's end).");
}

/* lifecycle_flow: the moves between stages over all periods, from the
 * stage on the left to the stage on the right (staying put left out) */
static void chart_flow(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int fc = col_of(t, "from"), tc = col_of(t, "to"), nc = col_of(t, "people");
	const char *names[8] = {0};
	unsigned nn = 0, a, b;
	double m[8][8] = {{0}}, out[8] = {0}, in[8] = {0}, total = 0, ph = 320, gap = 14, lx = 150, rx = 650,
	       w = 820, h = 30 + ph + 8 * gap + 20, scale, ly[8], ry[8], lo[8], ro[8], y;
	size_t r;
	char lab[96], nb[32];

	if (fc < 0 || tc < 0 || nc < 0)
		return;
	for (r = 0; r < t->nrow; r++) {
		a = stage_index(names, &nn, str(t, r, fc));
		b = stage_index(names, &nn, str(t, r, tc));
		if (a == b)
			continue;
		m[a][b] += num(t, r, nc);
		out[a] += num(t, r, nc);
		in[b] += num(t, r, nc);
		total += num(t, r, nc);
	}
	chart_open(f, "lifecycle-flow", seq, w, h, "moves between lifecycle stages");
	text(f, lx - 8, 18, "end", "h", "from");
	text(f, rx + 18, 18, NULL, "h", "to");
	scale = total > 0 ? ph / total : 0;
	for (a = 0, y = 30; a < nn; a++) {
		ly[a] = lo[a] = y;
		y += out[a] * scale + (out[a] > 0 ? gap : 0);
	}
	for (b = 0, y = 30; b < nn; b++) {
		ry[b] = ro[b] = y;
		y += in[b] * scale + (in[b] > 0 ? gap : 0);
	}
	for (a = 0; a < nn; a++)
		for (b = 0; b < nn; b++) {
			double wdt = m[a][b] * scale, y0, y1;
			if (m[a][b] <= 0)
				continue;
			y0 = lo[a] + wdt / 2;
			y1 = ro[b] + wdt / 2;
			lo[a] += wdt;
			ro[b] += wdt;
			fprintf(f, "<path d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\" class=\"flow\" stroke=\"%s\" "
				   "stroke-width=\"%.2f\"><title>",
				lx + 10, y0, (lx + rx) / 2, y0, (lx + rx) / 2, y1, rx, y1, colour_of(names, a),
				wdt > 0.5 ? wdt : 0.5);
			fmt_num(nb, sizeof nb, m[a][b]);
			snprintf(lab, sizeof lab, "%s → %s: %s", names[a] ? names[a] : "(none)", names[b] ? names[b] : "(none)",
				 nb);
			esc(f, lab);
			fputs("</title></path>\n", f);
		}
	for (a = 0; a < nn; a++) {
		if (out[a] > 0) {
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"%.1f\" fill=\"%s\"/>\n", lx, ly[a],
				out[a] * scale > 1 ? out[a] * scale : 1, colour_of(names, a));
			fmt_num(nb, sizeof nb, out[a]);
			snprintf(lab, sizeof lab, "%s %s", names[a] ? names[a] : "(none)", nb);
			text(f, lx - 6, ly[a] + out[a] * scale / 2 + 4, "end", NULL, lab);
		}
		if (in[a] > 0) {
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"%.1f\" fill=\"%s\"/>\n", rx, ry[a],
				in[a] * scale > 1 ? in[a] * scale : 1, colour_of(names, a));
			fmt_num(nb, sizeof nb, in[a]);
			snprintf(lab, sizeof lab, "%s %s", names[a] ? names[a] : "(none)", nb);
			text(f, rx + 16, ry[a] + in[a] * scale / 2 + 4, NULL, NULL, lab);
		}
	}
	chart_close(f, "People moving from one stage to another, summed over the periods (\"none\": not seen before).");
}

/* a series' colour in the grouped bars */
static const char *const series_colour[] = {"#9ca3af", "#93c5fd", "#2563eb", "#06b6d4", "#7c3aed", "#db2777",
					    "#059669", "#d97706"};

/*
 * Grouped horizontal bars: a group per label (glabel[g], a note under it:
 * gnote[g] or NULL), a bar per series (sname[k], at most 8) with the
 * value v[g * ns + k] (not finite: no bar), all to one scale, its value
 * after it (and w[g * ns + k] in brackets when w is not NULL); series k
 * in colour[k] (NULL: the k-th of series_colour).
 */
static void grouped_bars(FILE *f, const char *id, unsigned *seq, const char *label, const char *caption,
			 char *const *glabel, char *const *gnote, size_t ng, const char *const *sname, unsigned ns,
			 const double *v, const double *w, const char *const *colour)
{
	double lw = 280, bw = 460, bh = 11, gap = 2, pad = 14, top = 30, max = 0;
	double gh = ns * (bh + gap) + pad, h = top + gh * (double)ng + 6, y = top, x = 10;
	size_t gi;
	unsigned k;
	char a[48], b[48], t[112];

	if (ns > 8)
		ns = 8;
	if (!colour)
		colour = series_colour;
	for (gi = 0; gi < ng * ns; gi++)
		if (isfinite(v[gi]) && fabs(v[gi]) > max)
			max = fabs(v[gi]);
	chart_open(f, id, seq, lw + bw + 200, h, label);
	for (k = 0; k < ns; k++, x += 110) {
		fprintf(f, "<rect x=\"%.1f\" y=\"8\" width=\"12\" height=\"12\" fill=\"%s\"/>\n", x, colour[k]);
		text(f, x + 16, 18, NULL, NULL, sname[k]);
	}
	for (gi = 0; gi < ng; gi++, y += gh) {
		{
			const char *l = glabel[gi] ? glabel[gi] : "(none)";
			size_t n = strlen(l), m = n > 48 ? 48 : n;
			while (m < n && m > 0 && ((unsigned char)l[m] & 0xc0) == 0x80)
				m--; /* not inside a character */
			snprintf(t, sizeof t, "%.*s%s", (int)m, l, m < n ? "…" : "");
		}
		text(f, lw - 10, y + bh + 2, "end", "h", t);
		if (gnote && gnote[gi])
			text(f, lw - 10, y + 2 * bh + 6, "end", "s", gnote[gi]);
		for (k = 0; k < ns; k++) {
			double val = v[gi * ns + k], len, by = y + k * (bh + gap);
			if (!isfinite(val))
				continue;
			len = max > 0 ? bw * fabs(val) / max : 0;
			fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>",
				lw, by, len > 1 ? len : 1, bh, colour[k]);
			esc(f, sname[k]);
			fputs("</title></rect>\n", f);
			fmt_num(a, sizeof a, val);
			if (w && isfinite(w[gi * ns + k])) {
				fmt_num(b, sizeof b, w[gi * ns + k]);
				snprintf(t, sizeof t, "%s (%s)", a, b);
			} else {
				snprintf(t, sizeof t, "%s", a);
			}
			text(f, lw + (len > 1 ? len : 1) + 4, by + bh - 1, NULL, "s", t);
		}
	}
	chart_close(f, caption);
}

/* attribution: per credited value, the revenue each model gives it (the
 * conversions in brackets) */
static void chart_attribution(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	int mc = col_of(t, "model"), rc = col_of(t, "revenue"), cc = col_of(t, "conversions"), kc;
	const char *models[8];
	char **glabel = NULL, cap[160];
	unsigned nm = 0, k;
	size_t ng = 0, r, gi;
	double *v, *w;

	if (mc < 0 || rc < 0 || t->ncol < 2 || !t->nrow)
		return;
	kc = mc == 0 ? 1 : 0;
	glabel = calloc(t->nrow, sizeof *glabel);
	v = malloc(t->nrow * 8 * sizeof *v);
	w = malloc(t->nrow * 8 * sizeof *w);
	if (!glabel || !v || !w)
		goto out;
	for (r = 0; r < t->nrow; r++) {
		const char *m = str(t, r, mc), *key = str(t, r, kc);
		for (k = 0; k < nm && !same_str(models[k], m); k++)
			;
		if (k == nm && nm < 8)
			models[nm++] = m;
		for (gi = 0; gi < ng && !same_str(glabel[gi], key); gi++)
			;
		if (gi == ng) {
			glabel[ng] = (char *)key;
			for (k = 0; k < 8; k++)
				v[ng * 8 + k] = w[ng * 8 + k] = NAN;
			ng++;
		}
	}
	/* v and w are ng × nm once filled: repack from stride 8 */
	for (r = 0; r < t->nrow; r++) {
		const char *m = str(t, r, mc), *key = str(t, r, kc);
		for (k = 0; k < nm && !same_str(models[k], m); k++)
			;
		for (gi = 0; gi < ng && !same_str(glabel[gi], key); gi++)
			;
		if (k < nm) {
			v[gi * 8 + k] = num(t, r, rc);
			w[gi * 8 + k] = num(t, r, cc);
		}
	}
	for (gi = 0; gi < ng; gi++)
		for (k = 0; k < nm; k++) {
			v[gi * nm + k] = v[gi * 8 + k];
			w[gi * nm + k] = w[gi * 8 + k];
		}
	snprintf(cap, sizeof cap,
		 "Revenue credited to each %s by each model (conversions in brackets); \"(none)\": conversions without a touch.",
		 t->col[kc]);
	grouped_bars(f, "attribution-bars", seq, "attribution: revenue credited per model", cap, glabel, NULL, ng,
		     (const char *const *)models, nm, v, w, NULL);
out:
	free(glabel), free(v), free(w);
}

/* journeys, campaigns: per row (a journey and arm, a step, a campaign)
 * its messages from written to converted, and revenue, cost and ROI */
static void chart_messages(FILE *f, const struct htmlpage_table *t, unsigned *seq)
{
	static const char *const cols[] = {"entered", "sends", "sent", "delivered", "opened", "clicked", "converted"};
	const char *names[7], *colour[7];
	int c[7], jc = col_of(t, "journey"), ac = col_of(t, "arm"), sc = col_of(t, "step"),
	    kc = col_of(t, "campaign"), rc = col_of(t, "revenue"), oc = col_of(t, "cost"), ic = col_of(t, "roi");
	unsigned ns = 0, k;
	size_t r;
	char **glabel, **gnote, a[48], b[48], q[48];
	double *v;
	const char *what = !strcmp(t->kind, "journey") ? "journey and arm" : !strcmp(t->kind, "campaign") ? "campaign"
		: "step and arm";

	if (!t->nrow)
		return;
	for (k = 0; k < 7; k++)
		if ((c[ns] = col_of(t, cols[k])) >= 0) {
			colour[ns] = series_colour[k];
			names[ns++] = cols[k];
		}
	glabel = calloc(t->nrow, sizeof *glabel);
	gnote = calloc(t->nrow, sizeof *gnote);
	v = malloc(t->nrow * 7 * sizeof *v);
	if (!glabel || !gnote || !v)
		goto out;
	for (r = 0; r < t->nrow; r++) {
		const char *j = str(t, r, kc >= 0 ? kc : jc), *st = str(t, r, sc), *arm = str(t, r, ac);
		size_t n = strlen(j ? j : "(none)") + strlen(st ? st : "") + strlen(arm ? arm : "") + 16;
		if (!(glabel[r] = malloc(n)) || !(gnote[r] = malloc(200)))
			goto out;
		snprintf(glabel[r], n, "%s%s%s%s%s", j ? j : "(none)", sc >= 0 ? " · " : "", sc >= 0 && st ? st : "",
			 ac >= 0 && arm ? " · " : "", ac >= 0 && arm ? arm : "");
		fmt_num(a, sizeof a, num(t, r, rc));
		fmt_num(b, sizeof b, num(t, r, oc));
		if (isfinite(num(t, r, ic)))
			fmt_num(q, sizeof q, num(t, r, ic));
		else
			snprintf(q, sizeof q, "–");
		snprintf(gnote[r], 200, "revenue %s · cost %s · ROI %s", a, b, q);
		for (k = 0; k < ns; k++)
			v[r * ns + k] = num(t, r, c[k]);
	}
	{
		char label[64], cap[200];
		snprintf(label, sizeof label, "%s: messages per %s", t->kind, what);
		snprintf(cap, sizeof cap,
			 "Per %s: the messages written, sent, delivered, opened and clicked, and the conversions; "
			 "revenue credited, cost of the messages sent and ROI under each name.", what);
		grouped_bars(f, !strcmp(t->kind, "campaign") ? "campaign-bars" : !strcmp(t->kind, "journey") ? "journey-bars"
			     : "journey-step-bars", seq, label, cap, glabel, gnote, t->nrow, names, ns, v, NULL, colour);
	}
out:
	for (r = 0; glabel && gnote && r < t->nrow; r++)
		free(glabel[r]), free(gnote[r]);
	free(glabel), free(gnote), free(v);
}

static void table(FILE *f, const struct htmlpage_table *t)
{
	size_t r;
	unsigned k;
	char b[64];

	fprintf(f, "<details%s><summary>table: %zu row%s of ", t->nrow <= 60 ? " open" : "", t->nrow,
		t->nrow == 1 ? "" : "s");
	esc(f, t->kind);
	fputs("</summary>\n<div class=\"tw\"><table><thead><tr>", f);
	for (k = 0; k < t->ncol; k++) {
		fputs("<th>", f);
		esc(f, t->col[k]);
		fputs("</th>", f);
	}
	fputs("</tr></thead>\n<tbody>\n", f);
	for (r = 0; r < t->nrow; r++) {
		fputs("<tr>", f);
		for (k = 0; k < t->ncol; k++) {
			const struct htmlpage_cell *c = cell(t, r, (int)k);
			switch (c->kind) {
			case HTMLPAGE_NULL:
				fputs("<td class=\"n\"></td>", f);
				break;
			case HTMLPAGE_STR:
				fputs("<td>", f);
				esc(f, c->text);
				fputs("</td>", f);
				break;
			case HTMLPAGE_NUM:
				if (c->money)
					fmt_money(b, sizeof b, c->num, c->money - 1);
				else
					fmt_num(b, sizeof b, c->num);
				fprintf(f, "<td class=\"n\">%s</td>", b);
				break;
			case HTMLPAGE_BOOL:
				fprintf(f, "<td>%s</td>", c->num ? "true" : "false");
				break;
			}
		}
		fputs("</tr>\n", f);
	}
	fputs("</tbody></table></div></details>\n", f);
}

static const char css[] =
	"body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;"
	"color:#111827;background:#fff;margin:0 auto;padding:16px 24px;max-width:1280px}"
	"h1{font-size:22px;margin:8px 0 2px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb}"
	"h3{font-size:15px;margin:16px 0 4px}p.sub{color:#4b5563;margin:0 0 12px}"
	"figure{margin:8px 0 12px}figcaption{color:#4b5563;font-size:12px}"
	"svg{max-width:100%;height:auto;font-size:12px;font-family:inherit}"
	"svg text{fill:#111827}svg text.h{fill:#4b5563;font-weight:600}svg text.inv{fill:#fff}"
	"svg text.s{fill:#374151;font-size:11px}"
	"svg .zero{stroke:#9ca3af;stroke-dasharray:3 3}svg .ci{stroke:#1d4ed8;stroke-width:2}"
	"svg .pt{fill:#fff;stroke:#1d4ed8;stroke-width:2}svg .sig{fill:#1d4ed8}svg .ctl{fill:#6b7280}"
	"svg .flow{fill:none;stroke-opacity:.35}"
	"details{margin:6px 0 16px}summary{cursor:pointer;color:#1d4ed8}"
	".tw{overflow-x:auto;max-height:480px;overflow-y:auto}"
	"table{border-collapse:collapse;font-size:12px;font-variant-numeric:tabular-nums}"
	"th,td{padding:2px 8px;border-bottom:1px solid #f3f4f6;text-align:left;white-space:nowrap}"
	"th{position:sticky;top:0;background:#f9fafb}td.n{text-align:right}"
	"tbody tr:nth-child(even){background:#fafafa}";

/* the chart drawers by kind of row */
static const struct {
	const char *kind;
	void (*draw)(FILE *, const struct htmlpage_table *, unsigned *);
} charts[] = {
	{"retention", chart_retention},
	{"funnel", chart_funnel},
	{"abtest", chart_abtest},
	{"rfm", chart_rfm},
	{"lifecycle", chart_lifecycle},
	{"lifecycle_flow", chart_flow},
	{"attribution", chart_attribution},
	{"journey", chart_messages},
	{"journey_step", chart_messages},
	{"campaign", chart_messages},
};

int htmlpage_write(const struct htmlpage *p, FILE *f)
{
	unsigned seq[sizeof charts / sizeof charts[0]] = {0}, i, k;

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
	      "<title>", f);
	esc(f, p->title);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	esc(f, p->title);
	fputs("</h1>\n", f);
	if (p->subtitle) {
		fputs("<p class=\"sub\">", f);
		esc(f, p->subtitle);
		fputs("</p>\n", f);
	}
	for (i = 0; i < p->ntab; i++) {
		const struct htmlpage_table *t = &p->tab[i];
		fprintf(f, "<section id=\"t-%u\">\n<h2>", i + 1);
		esc(f, t->kind);
		fputs("</h2>\n", f);
		for (k = 0; k < sizeof charts / sizeof charts[0]; k++)
			if (!strcmp(charts[k].kind, t->kind))
				charts[k].draw(f, t, &seq[k]);
		table(f, t);
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	fflush(f);
	return ferror(f) ? -1 : 0;
}
