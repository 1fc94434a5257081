/*
 * htmlpage - a report as one self-contained HTML page: the rows a report
 * writes, kept as tables (one per kind of row), and the charts drawn from
 * them as inline SVG by this code: a retention heat map, funnel bars, A/B
 * arms with their intervals, the RFM grid, lifecycle stages and flows,
 * attribution per model, and the messages of journeys and campaigns.
 * The page loads nothing: no script, no font, no image, no network (its
 * Content-Security-Policy forbids them), so it opens the same anywhere.
 */
#ifndef UOPS_HTMLPAGE_H
#define UOPS_HTMLPAGE_H

#include <stddef.h>
#include <stdio.h>

enum htmlpage_kind { HTMLPAGE_NULL, HTMLPAGE_STR, HTMLPAGE_NUM, HTMLPAGE_BOOL };

struct htmlpage_cell {
	enum htmlpage_kind kind;
	char *text; /* HTMLPAGE_STR: the string (owned) */
	double num; /* HTMLPAGE_NUM, HTMLPAGE_BOOL (0 or 1) */
	int money;  /* HTMLPAGE_NUM: an amount of money, of this many decimals
		     * + 1 (0: not money) */
};

struct htmlpage_table {
	char *kind;     /* the rows' "report" name */
	char **col;     /* column names */
	unsigned ncol;
	struct htmlpage_cell *cell; /* row-major, ncol per row */
	size_t nrow, cap;
};

struct htmlpage {
	char *title, *subtitle;
	struct htmlpage_table *tab;
	unsigned ntab;
	/* the row being built */
	char *rkind;
	char **rcol;
	struct htmlpage_cell *rcell;
	unsigned rn, rcap;
};

/* Start an empty page titled title, with a line of subtitle under it
 * (both copied; subtitle may be NULL). */
void htmlpage_init(struct htmlpage *p, const char *title, const char *subtitle);
/* Begin a row of kind (a report's row name, as "retention"). */
void htmlpage_row(struct htmlpage *p, const char *kind);
/* Add to the row a column name with a string s of n bytes (NULL: null),
 * a number (not finite: null) or a boolean. Everything is copied. */
void htmlpage_str(struct htmlpage *p, const char *name, const char *s, size_t n);
void htmlpage_num(struct htmlpage *p, const char *name, double v);
void htmlpage_bool(struct htmlpage *p, const char *name, int v);
/* htmlpage_num of an amount of money rounded to places decimals: a table
 * shows it with two decimals, or up to places when they are not zeros. */
void htmlpage_money(struct htmlpage *p, const char *name, double v, int places);
/* End the row: it joins the table of its kind with the same columns (a
 * new table when there is none). */
void htmlpage_row_end(struct htmlpage *p);
/*
 * Write the page to f: the title, then for each table in the order its
 * first row came, the chart its kind has (retention, funnel, abtest, rfm,
 * lifecycle, lifecycle_flow, attribution, journey, journey_step,
 * campaign) as an <svg> with an id naming it ("retention-heatmap",
 * "funnel-bars", "abtest-arms", "rfm-grid", "lifecycle-stages",
 * "lifecycle-flow", "attribution-bars", "journey-bars",
 * "journey-step-bars", "campaign-bars"; a second one of a kind gets "-2"
 * and so on), and the table. Returns 0, or -1 when f has an error.
 */
int htmlpage_write(const struct htmlpage *p, FILE *f);
/* Free everything; p may be initialized again. */
void htmlpage_release(struct htmlpage *p);

#endif
