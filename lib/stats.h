/*
 * stats - the statistics report prints: the normal, Student t and
 * chi-square distributions, the two-proportion z-test with the intervals
 * of an uplift, Welch's t-test, the chi-square test of a k×2 table and of
 * a sample ratio, quantiles and rank cuts. Pure functions of their
 * arguments; nothing is allocated unless said.
 */
#ifndef UOPS_STATS_H
#define UOPS_STATS_H

#include <stddef.h>

/* The 0.975 quantile of the standard normal: a two-sided 95 % interval is
 * estimate ± STATS_Z95 × standard error. */
#define STATS_Z95 1.959963984540054

/* P(Z ≤ z) for a standard normal Z. */
double stats_norm_cdf(double z);
/* Two-sided p-value of a z statistic: P(|Z| ≥ |z|). */
double stats_norm_p2(double z);

/* The regularized incomplete beta function I_x(a, b), 0 ≤ x ≤ 1, a, b > 0
 * (a continued fraction, relative error about 1e-14). NaN outside. */
double stats_ibeta(double a, double b, double x);
/* The regularized upper incomplete gamma function Q(a, x) = Γ(a, x)/Γ(a),
 * a > 0, x ≥ 0 (series or continued fraction). NaN outside. */
double stats_gamma_q(double a, double x);

/* Two-sided p-value of a Student t statistic with df degrees of freedom
 * (df > 0, not necessarily whole): P(|T| ≥ |t|). */
double stats_t_p2(double t, double df);
/* Upper tail of the chi-square distribution with df degrees of freedom:
 * P(X ≥ x). */
double stats_chi2_q(double x, double df);

/*
 * Two proportions: x0 of n0 (control) against x1 of n1 (treatment).
 * diff = p1 - p0 with a 95 % Wald interval (unpooled standard error);
 * rel = p1/p0 - 1 with a 95 % interval from the log of the ratio
 * (NaN when p0 or p1 is 0); z and p from the pooled standard error (NaN
 * when it is 0, e.g. no conversions at all).
 */
struct stats_2prop {
	double p0, p1;
	double diff, diff_lo, diff_hi;
	double rel, rel_lo, rel_hi;
	double z, p;
};
void stats_two_prop(double x0, double n0, double x1, double n1, struct stats_2prop *out);

/* Mean and unbiased variance of a sample, from its count, sum and sum of
 * squares (kept as they come; for the sizes report sees, doubles hold). */
struct stats_moments {
	double n, sum, sumsq;
};
double stats_mean(const struct stats_moments *m);
/* The sample variance (n - 1 in the denominator); NaN when n < 2. */
double stats_var(const struct stats_moments *m);

/*
 * Welch's t-test of mean(b) - mean(a): t, the Welch–Satterthwaite degrees
 * of freedom, the two-sided p-value and a 95 % interval of the difference
 * (t quantile of df). NaN where undefined (n < 2, both variances 0).
 */
struct stats_welch {
	double diff, t, df, p, lo, hi;
};
void stats_welch(const struct stats_moments *a, const struct stats_moments *b, struct stats_welch *out);

/* The q quantile (0 < q < 1) of Student's t with df degrees of freedom,
 * by bisection on stats_t_p2 to 1e-12. */
double stats_t_quantile(double q, double df);

/*
 * Pearson's chi-square test of independence of a k×2 table: k rows of
 * (yes[i], no[i]) counts. Returns the statistic; *df = k - 1 and *p its
 * upper tail. Rows with no count are left out of k. NaN when an expected
 * count is 0 (a column with nothing).
 */
double stats_chi2_kx2(const double *yes, const double *no, size_t k, double *df, double *p);

/*
 * Sample ratio mismatch: a chi-square goodness of fit of the observed
 * counts n[i] against the expected shares w[i] (NULL: equal shares).
 * Returns the p-value; *chi2 the statistic.
 */
double stats_srm(const double *n, const double *w, size_t k, double *chi2);

/* The q quantile (0 ≤ q ≤ 1) of sorted values v[0..n), linearly
 * interpolated between order statistics: v[h] with h = (n - 1)q
 * (Hyndman and Fan's type 7, numpy's default). NaN when n is 0. */
double stats_quantile_sorted(const double *v, size_t n, double q);

/*
 * Rank cuts, as tagger's rank tags make them (tagger(1), RANKS): of n
 * values sorted ascending (desc 0) or descending (desc 1), the k - 1 cut
 * points at positions ceil(q·n/k) - 1, q = 1 … k - 1, into cuts. n ≥ 1.
 */
void stats_cuts(const double *sorted, size_t n, unsigned k, double *cuts);
/* The score 1 … k of v against the cuts: 1 + the cuts strictly below v
 * (asc), or strictly above it (desc). */
unsigned stats_score(double v, const double *cuts, unsigned k, int desc);

#endif
