/*
 * t-htmlpage - rows become tables by kind and columns, each kind its
 * chart with its id, text escaped, nothing loaded from outside the page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htmlpage.h"
#include "t.h"

static char *render(const struct htmlpage *p)
{
	FILE *f = tmpfile();
	long n;
	char *s;

	if (!f)
		return NULL;
	T_EQ_INT(htmlpage_write(p, f), 0);
	n = ftell(f);
	rewind(f);
	s = calloc(1, (size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n)
		s[0] = 0;
	fclose(f);
	return s;
}

static unsigned count(const char *s, const char *what)
{
	unsigned n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

int main(void)
{
	struct htmlpage p;
	char *s;
	int n;

	htmlpage_init(&p, "report <retention>", "a & b");
	for (n = 0; n < 3; n++) {
		htmlpage_row(&p, "retention");
		htmlpage_str(&p, "cohort", "2026-01", 7);
		htmlpage_num(&p, "size", 10);
		htmlpage_num(&p, "period", n);
		htmlpage_num(&p, "returned", 10 - 3 * n);
		htmlpage_num(&p, "rate", (10 - 3 * n) / 10.0);
		htmlpage_row_end(&p);
	}
	htmlpage_row(&p, "retention_summary");
	htmlpage_str(&p, "period", "M1", 2);
	htmlpage_num(&p, "rate", NAN);
	htmlpage_row_end(&p);
	for (n = 0; n < 2; n++) {
		htmlpage_row(&p, "abtest");
		htmlpage_str(&p, "arm", n ? "b\"<x>" : "control", n ? 6 : 7);
		htmlpage_bool(&p, "control", !n);
		htmlpage_num(&p, "people", 100);
		htmlpage_num(&p, "rate", n ? 0.2 : 0.1);
		htmlpage_num(&p, "uplift", n ? 0.1 : NAN);
		htmlpage_num(&p, "uplift_lo", n ? 0.01 : NAN);
		htmlpage_num(&p, "uplift_hi", n ? 0.19 : NAN);
		htmlpage_num(&p, "p", n ? 0.03 : NAN);
		htmlpage_row_end(&p);
	}
	/* the same kind with other columns: a table of its own, a second chart */
	htmlpage_row(&p, "retention");
	htmlpage_str(&p, "split", "fr", 2);
	htmlpage_str(&p, "cohort", "2026-01", 7);
	htmlpage_num(&p, "size", 1);
	htmlpage_num(&p, "period", 0);
	htmlpage_num(&p, "rate", 1);
	htmlpage_row_end(&p);
	T_EQ_INT(p.ntab, 4);
	T_EQ_INT(p.tab[0].nrow, 3);
	T_EQ_INT(p.tab[0].ncol, 5);
	T_EQ_INT(p.tab[1].cell[1].kind, HTMLPAGE_NULL);
	s = render(&p);
	T_OK(s != NULL);
	if (s) {
		T_OK(strstr(s, "<title>report &lt;retention&gt;</title>") != NULL);
		T_OK(strstr(s, "a &amp; b") != NULL);
		T_OK(strstr(s, "id=\"retention-heatmap\"") != NULL);
		T_OK(strstr(s, "id=\"retention-heatmap-2\"") != NULL);
		T_OK(strstr(s, "id=\"abtest-arms\"") != NULL);
		T_OK(strstr(s, "b&quot;&lt;x&gt;") != NULL);
		T_OK(strstr(s, "b\"<x>") == NULL);
		T_EQ_INT(count(s, "<svg"), 3);
		T_EQ_INT(count(s, "<table>"), 4);
		T_EQ_INT(count(s, "src="), 0);
		T_EQ_INT(count(s, "href="), 0);
		T_OK(strstr(s, "default-src 'none'") != NULL);
		/* the 70 % of period 1 is the best after period 0: darkest */
		T_OK(strstr(s, "fill=\"#084594\"") != NULL);
		T_OK(strstr(s, "+10.0 pp [+1.0 pp, +19.0 pp] p=0.03") != NULL);
		free(s);
	}
	htmlpage_release(&p);

	/* attribution: a group per credited value, a bar per model; a
	 * journey: a bar per count, the label not cut inside a character */
	htmlpage_init(&p, "report attribution", NULL);
	for (n = 0; n < 4; n++) {
		htmlpage_row(&p, "attribution");
		htmlpage_str(&p, "model", n < 2 ? "first_touch" : "linear", n < 2 ? 11 : 6);
		htmlpage_str(&p, "channel", n % 2 ? "sms" : NULL, 3);
		htmlpage_num(&p, "conversions", 1 + n);
		htmlpage_num(&p, "revenue", 10 * (n + 1));
		htmlpage_row_end(&p);
	}
	htmlpage_row(&p, "journey");
	htmlpage_str(&p, "journey", "x冬季会员回流计划冬季会员回流计划冬季", strlen("x冬季会员回流计划冬季会员回流计划冬季"));
	htmlpage_str(&p, "arm", NULL, 0);
	htmlpage_num(&p, "entered", 4);
	htmlpage_num(&p, "sends", 3);
	htmlpage_num(&p, "sent", 2);
	htmlpage_num(&p, "converted", 1);
	htmlpage_num(&p, "revenue", 99.5);
	htmlpage_num(&p, "cost", 0.5);
	htmlpage_num(&p, "roi", 198);
	htmlpage_row_end(&p);
	s = render(&p);
	T_OK(s != NULL);
	if (s) {
		T_OK(strstr(s, "id=\"attribution-bars\"") != NULL);
		T_OK(strstr(s, "id=\"journey-bars\"") != NULL);
		T_OK(strstr(s, ">(none)</text>") != NULL);
		T_OK(strstr(s, ">40 (4)</text>") != NULL);
		T_OK(strstr(s, "revenue 99.5 · cost 0.5 · ROI 198") != NULL);
		T_OK(strstr(s, ">x冬季会员回流计划冬季会员回流计…</text>") != NULL);
		T_EQ_INT(count(s, "<svg"), 2);
		free(s);
	}
	htmlpage_release(&p);
	return t_done("t-htmlpage");
}
