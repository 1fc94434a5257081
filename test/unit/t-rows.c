/*
 * t-rows - a report's rows as NDJSON and as CSV: escapes, null, numbers
 * (-0, NaN, %.15g), money to the cent in the fewest digits, CSV quoting,
 * and a CSV header written again (after a blank line) only when the
 * columns change.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rows.h"
#include "t.h"

/* what the rows wrote to r->f, from the start */
static const char *got(struct rows *r, char *out, size_t cap)
{
	size_t n;

	fflush(r->f);
	rewind(r->f);
	n = fread(out, 1, cap - 1, r->f);
	out[n] = 0;
	return out;
}

static void one(struct rows *r, const char *kind, const char *s, double v)
{
	rows_begin(r, kind);
	rows_str(r, "name", s);
	rows_u64(r, "n", 18446744073709551615ull);
	rows_num(r, "v", v);
	rows_bool(r, "ok", v > 0);
	rows_end(r);
}

int main(void)
{
	struct rows r = {0};
	char out[2048];

	r.f = tmpfile();
	one(&r, "a", "x\"y", 0.1);
	one(&r, "a", NULL, -0.0);
	one(&r, "b", "\n", NAN);
	T_EQ_STR(got(&r, out, sizeof out),
		 "{\"report\":\"a\",\"name\":\"x\\\"y\",\"n\":18446744073709551615,\"v\":0.1,\"ok\":true}\n"
		 "{\"report\":\"a\",\"name\":null,\"n\":18446744073709551615,\"v\":0,\"ok\":false}\n"
		 "{\"report\":\"b\",\"name\":\"\\n\",\"n\":18446744073709551615,\"v\":null,\"ok\":false}\n");
	fclose(r.f);

	r.f = tmpfile();
	r.csv = 1;
	one(&r, "a", "plain", 1.0 / 3);
	one(&r, "a", "a,b \"q\"", INFINITY);
	one(&r, "a", NULL, 2);
	rows_begin(&r, "other");
	rows_strn(&r, "k", "a\rb", 3);
	rows_end(&r);
	one(&r, "a", "", 1e21);
	T_EQ_STR(got(&r, out, sizeof out),
		 "name,n,v,ok\n"
		 "plain,18446744073709551615,0.333333333333333,true\n"
		 "\"a,b \"\"q\"\"\",18446744073709551615,,true\n"
		 ",18446744073709551615,2,true\n"
		 "\n"
		 "k\n"
		 "\"a\rb\"\n"
		 "\n"
		 "name,n,v,ok\n"
		 ",18446744073709551615,1e+21,true\n");
	fclose(r.f);

	/* money: a sum of a thousand 0.1s is 100, not 99.9999999999986 */
	{
		static const double in[] = {0, 0, 8911407.90000007, 0.75, 100, -3.05, 0.005, -0.004, 1234.5, NAN};
		double sum = 0;
		int i;
		for (i = 0; i < 1000; i++)
			sum += 0.1;
		r.f = tmpfile();
		r.csv = 0;
		rows_begin(&r, "m");
		for (i = 0; i < (int)(sizeof in / sizeof *in); i++) {
			char nm[8];
			snprintf(nm, sizeof nm, "m%d", i);
			rows_money(&r, nm, i ? in[i] : sum, 2);
		}
		rows_money(&r, "c4", 33.546 + 1e-9, 4);
		rows_money(&r, "c5", 0.00005, 4);
		rows_end(&r);
		T_EQ_STR(got(&r, out, sizeof out),
			 "{\"report\":\"m\",\"m0\":100,\"m1\":0,\"m2\":8911407.9,\"m3\":0.75,\"m4\":100,"
			 "\"m5\":-3.05,\"m6\":0.01,\"m7\":0,\"m8\":1234.5,\"m9\":null,\"c4\":33.546,"
			 "\"c5\":0.0001}\n");
		T_EQ_INT(rows_round(sum, 2) == 100, 1);
		T_EQ_INT(rows_round(8911407.90000007, 2) == 8911407.9, 1);
		fclose(r.f);
	}
	rows_release(&r);
	return t_done("rows");
}
