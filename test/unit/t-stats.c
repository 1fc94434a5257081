/*
 * t-stats - the distributions and tests report prints, against answers
 * known in closed form or from the tables every textbook prints, to 1e-6
 * (most to 1e-12).
 */
#include <math.h>
#include <stdio.h>

#include "stats.h"
#include "t.h"

#define T_NEAR(a, b, tol)                                                          \
	do {                                                                       \
		double t_x = (a), t_y = (b);                                       \
		t_run++;                                                           \
		if (!(fabs(t_x - t_y) <= (tol))) {                                 \
			t_failed++;                                                \
			fprintf(stderr, "%s:%d: %s == %.17g, want %.17g\n", __FILE__, \
				__LINE__, #a, t_x, t_y);                           \
		}                                                                  \
	} while (0)

/* Student's t with 4 degrees of freedom in closed form: the two-sided tail */
static double t4_p2(double t)
{
	double x = t / sqrt(1 + t * t / 4);
	return 1 - 0.75 * fabs(x) * (1 - t * t / (12 * (1 + t * t / 4)));
}

int main(void)
{
	double t, x, df, p;

	/* the normal table: Φ(1.96) = 0.97500, Φ(0) = 0.5, Φ(-1) = 0.158655… */
	T_NEAR(stats_norm_cdf(1.96), 0.9750021048517795, 1e-12);
	T_NEAR(stats_norm_cdf(0), 0.5, 1e-15);
	T_NEAR(stats_norm_cdf(-1), 0.15865525393145707, 1e-12);
	T_NEAR(stats_norm_p2(STATS_Z95), 0.05, 1e-12);
	T_NEAR(stats_norm_p2(-2.5), 0.012419330651552278, 1e-12);
	T_NEAR(stats_norm_p2(2.5758293035489), 0.01, 1e-9);

	/* the incomplete beta: symmetric, and in closed form for b = 1 */
	T_NEAR(stats_ibeta(3, 3, 0.5), 0.5, 1e-14);
	T_NEAR(stats_ibeta(2.5, 1, 0.3), pow(0.3, 2.5), 1e-14);
	T_NEAR(stats_ibeta(1, 4, 0.2), 1 - pow(0.8, 4), 1e-14);
	T_NEAR(stats_ibeta(7, 2, 0.9), 1 - stats_ibeta(2, 7, 0.1), 1e-14);

	/* Student t: df 1 (Cauchy) and 2 in closed form, 4 in closed form */
	for (t = -30; t <= 30; t += 0.37) {
		T_NEAR(stats_t_p2(t, 1), 1 - 2 * atan(fabs(t)) / M_PI, 1e-12);
		T_NEAR(stats_t_p2(t, 2), 1 - fabs(t) / sqrt(2 + t * t), 1e-12);
		T_NEAR(stats_t_p2(t, 4), t4_p2(t), 1e-12);
	}
	/* the t table: t(0.975, 1) = 12.706, (0.975, 2) = 4.303, (0.975, 10) = 2.228 */
	T_NEAR(stats_t_quantile(0.975, 1), tan(0.475 * M_PI), 1e-9);
	T_NEAR(stats_t_quantile(0.975, 2), 0.95 * sqrt(2 / 0.0975), 1e-9);
	T_NEAR(stats_t_quantile(0.975, 10), 2.2281388519649385, 1e-9);
	T_NEAR(stats_t_quantile(0.025, 10), -2.2281388519649385, 1e-9);
	/* a large df approaches the normal */
	T_NEAR(stats_t_p2(1.96, 1e7), stats_norm_p2(1.96), 1e-7);

	/* chi-square: df 2 and 4 in closed form, df 1 through the normal, the
	 * table's 5 % critical values */
	for (x = 0.05; x < 60; x += 0.71) {
		T_NEAR(stats_chi2_q(x, 2), exp(-x / 2), 1e-13);
		T_NEAR(stats_chi2_q(x, 4), exp(-x / 2) * (1 + x / 2), 1e-13);
		T_NEAR(stats_chi2_q(x, 1), erfc(sqrt(x / 2)), 1e-13);
	}
	T_NEAR(stats_chi2_q(3.841458820694124, 1), 0.05, 1e-12);
	T_NEAR(stats_chi2_q(5.991464547107979, 2), 0.05, 1e-12);
	T_NEAR(stats_chi2_q(7.814727903251178, 3), 0.05, 1e-10);
	T_NEAR(stats_chi2_q(18.307038053275146, 10), 0.05, 1e-10);

	/* two proportions: control 200 of 2000, treatment 260 of 2000 */
	{
		struct stats_2prop o;
		double yes[2] = {200, 260}, no[2] = {1800, 1740};
		stats_two_prop(200, 2000, 260, 2000, &o);
		T_NEAR(o.p0, 0.1, 1e-15);
		T_NEAR(o.p1, 0.13, 1e-15);
		T_NEAR(o.diff, 0.03, 1e-15);
		/* pooled p = 0.115: z = 0.03 / sqrt(0.115·0.885·(2/2000)) */
		T_NEAR(o.z, 0.03 / sqrt(0.115 * 0.885 / 1000), 1e-12);
		T_NEAR(o.z, 2.973724282623409, 1e-9);
		T_NEAR(o.p, 0.0029420930704592827, 1e-9);
		T_NEAR(o.diff_lo, 0.010249047029535802, 1e-9);
		T_NEAR(o.diff_hi, 0.049750952970464196, 1e-9);
		T_NEAR(o.rel, 0.3, 1e-12);
		T_NEAR(o.rel_lo, 0.09281131010537336, 1e-9);
		T_NEAR(o.rel_hi, 0.546470085340756, 1e-9);
		/* a 2×2 table's chi-square is the pooled z squared */
		x = stats_chi2_kx2(yes, no, 2, &df, &p);
		T_NEAR(x, o.z * o.z, 1e-9);
		T_NEAR(df, 1, 0);
		T_NEAR(p, o.p, 1e-9);
	}
	/* a textbook 3×2 table (observed conversions of three arms):
	 * expected counts by hand: rows of 100, 100, 200; 80 yes of 400 */
	{
		double yes[3] = {10, 20, 50}, no[3] = {90, 80, 150}, want;
		/* expected yes 20, 20, 40; no 80, 80, 160 */
		want = 100.0 / 20 + 100.0 / 80 + 0 + 0 + 100.0 / 40 + 100.0 / 160;
		x = stats_chi2_kx2(yes, no, 3, &df, &p);
		T_NEAR(x, want, 1e-12);
		T_NEAR(df, 2, 0);
		T_NEAR(p, exp(-want / 2), 1e-12);
	}
	/* sample ratio: 5,100 against 4,900 of a 50/50 split: chi2 = 4 */
	{
		double n[2] = {5100, 4900}, w[2] = {1, 1};
		T_NEAR(stats_srm(n, NULL, 2, &x), erfc(sqrt(2.0)), 1e-12);
		T_NEAR(x, 4, 1e-12);
		T_NEAR(stats_srm(n, w, 2, &x), erfc(sqrt(2.0)), 1e-12);
	}

	/* Welch: a = 1 2 3 4 (mean 2.5, var 5/3), b = 2 4 6 8 10 (mean 6,
	 * var 10): t = 3.5 / sqrt(29/12), df = 2523/457 exactly */
	{
		struct stats_moments a = {4, 10, 30}, b = {5, 30, 220};
		struct stats_welch w;
		T_NEAR(stats_mean(&a), 2.5, 1e-15);
		T_NEAR(stats_var(&a), 5.0 / 3, 1e-14);
		T_NEAR(stats_var(&b), 10, 1e-14);
		stats_welch(&a, &b, &w);
		T_NEAR(w.diff, 3.5, 1e-14);
		T_NEAR(w.t, 3.5 / sqrt(29.0 / 12), 1e-12);
		T_NEAR(w.df, 2523.0 / 457, 1e-12);
		T_NEAR(w.p, stats_t_p2(3.5 / sqrt(29.0 / 12), 2523.0 / 457), 1e-15);
		T_NEAR(w.hi - w.diff, stats_t_quantile(0.975, 2523.0 / 457) * sqrt(29.0 / 12), 1e-9);
	}
	/* Welch's textbook example (Wikipedia, "Welch's t-test", A1 and A2):
	 * t = -2.46, df = 25.0, p = 0.021 */
	{
		static const double a1[] = {27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1,
					    21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4};
		static const double a2[] = {27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0,
					    24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4};
		struct stats_moments a = {0}, b = {0};
		struct stats_welch w;
		unsigned i;
		for (i = 0; i < 15; i++) {
			a.n++, a.sum += a1[i], a.sumsq += a1[i] * a1[i];
			b.n++, b.sum += a2[i], b.sumsq += a2[i] * a2[i];
		}
		stats_welch(&b, &a, &w); /* mean(A1) - mean(A2) */
		T_NEAR(w.t, -2.46, 0.005);
		T_NEAR(w.df, 25.0, 0.05);
		T_NEAR(w.p, 0.021, 0.0005);
	}

	/* quantiles, type 7: 1 2 3 4 → median 2.5, p90 3.7 */
	{
		double v[] = {1, 2, 3, 4};
		T_NEAR(stats_quantile_sorted(v, 4, 0.5), 2.5, 1e-15);
		T_NEAR(stats_quantile_sorted(v, 4, 0.9), 3.7, 1e-15);
		T_NEAR(stats_quantile_sorted(v, 1, 0.9), 1, 0);
		T_OK(isnan(stats_quantile_sorted(v, 0, 0.5)));
	}
	/* rank cuts as tagger makes them: ten values in quintiles */
	{
		double v[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, cuts[4];
		double d[] = {10, 9, 8, 7, 6, 5, 4, 3, 2, 1};
		stats_cuts(v, 10, 5, cuts);
		T_NEAR(cuts[0], 2, 0);
		T_NEAR(cuts[3], 8, 0);
		T_EQ_INT(stats_score(1, cuts, 5, 0), 1);
		T_EQ_INT(stats_score(2, cuts, 5, 0), 1);
		T_EQ_INT(stats_score(3, cuts, 5, 0), 2);
		T_EQ_INT(stats_score(10, cuts, 5, 0), 5);
		stats_cuts(d, 10, 5, cuts); /* descending: 9 7 5 3 */
		T_NEAR(cuts[0], 9, 0);
		/* desc: the biggest values score 1 (a recency: the longest ago) */
		T_EQ_INT(stats_score(10, cuts, 5, 1), 1);
		T_EQ_INT(stats_score(9, cuts, 5, 1), 1);
		T_EQ_INT(stats_score(8, cuts, 5, 1), 2);
		T_EQ_INT(stats_score(1, cuts, 5, 1), 5);
	}
	return t_done("t-stats");
}
