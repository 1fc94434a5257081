#include "stats.h"

#include <float.h>
#include <math.h>

#define TINY 1e-300
#define EPS 1e-15
#define MAX_ITER 10000

double stats_norm_cdf(double z)
{
	return 0.5 * erfc(-z / M_SQRT2);
}

double stats_norm_p2(double z)
{
	if (isnan(z))
		return NAN;
	return erfc(fabs(z) / M_SQRT2);
}

/* The continued fraction of I_x(a, b) (modified Lentz), good where
 * x < (a + 1)/(a + b + 2). */
static double beta_cf(double a, double b, double x)
{
	double c = 1, d = 1 - (a + b) * x / (a + 1), h;
	int m;

	if (fabs(d) < TINY)
		d = TINY;
	d = 1 / d;
	h = d;
	for (m = 1; m <= MAX_ITER; m++) {
		double m2 = 2.0 * m, num, del;
		/* the even step */
		num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
		d = 1 + num * d;
		if (fabs(d) < TINY)
			d = TINY;
		c = 1 + num / c;
		if (fabs(c) < TINY)
			c = TINY;
		d = 1 / d;
		h *= d * c;
		/* the odd step */
		num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
		d = 1 + num * d;
		if (fabs(d) < TINY)
			d = TINY;
		c = 1 + num / c;
		if (fabs(c) < TINY)
			c = TINY;
		d = 1 / d;
		del = d * c;
		h *= del;
		if (fabs(del - 1) < EPS)
			break;
	}
	return h;
}

double stats_ibeta(double a, double b, double x)
{
	double front;

	if (isnan(x) || a <= 0 || b <= 0 || x < 0 || x > 1)
		return NAN;
	if (x == 0 || x == 1)
		return x;
	front = exp(lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x));
	if (x < (a + 1) / (a + b + 2))
		return front * beta_cf(a, b, x) / a;
	return 1 - front * beta_cf(b, a, 1 - x) / b;
}

double stats_gamma_q(double a, double x)
{
	double lead;
	int n;

	if (isnan(x) || a <= 0 || x < 0)
		return NAN;
	if (x == 0)
		return 1;
	lead = exp(-x + a * log(x) - lgamma(a));
	if (x < a + 1) { /* the series of P(a, x) */
		double term = 1 / a, sum = term, ap = a;
		for (n = 0; n < MAX_ITER; n++) {
			ap += 1;
			term *= x / ap;
			sum += term;
			if (fabs(term) < fabs(sum) * EPS)
				break;
		}
		return 1 - sum * lead;
	} else { /* the continued fraction of Q(a, x) */
		double b = x + 1 - a, c = 1 / TINY, d = 1 / b, h = d;
		for (n = 1; n <= MAX_ITER; n++) {
			double an = -n * (n - a), del;
			b += 2;
			d = an * d + b;
			if (fabs(d) < TINY)
				d = TINY;
			c = b + an / c;
			if (fabs(c) < TINY)
				c = TINY;
			d = 1 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1) < EPS)
				break;
		}
		return lead * h;
	}
}

double stats_t_p2(double t, double df)
{
	if (isnan(t) || isnan(df) || df <= 0)
		return NAN;
	if (isinf(t))
		return 0;
	return stats_ibeta(df / 2, 0.5, df / (df + t * t));
}

double stats_chi2_q(double x, double df)
{
	if (isnan(x) || isnan(df) || df <= 0)
		return NAN;
	if (x <= 0)
		return 1;
	return stats_gamma_q(df / 2, x / 2);
}

void stats_two_prop(double x0, double n0, double x1, double n1, struct stats_2prop *o)
{
	double se, pool, sep;

	o->p0 = n0 > 0 ? x0 / n0 : NAN;
	o->p1 = n1 > 0 ? x1 / n1 : NAN;
	o->diff = o->p1 - o->p0;
	se = sqrt(o->p0 * (1 - o->p0) / n0 + o->p1 * (1 - o->p1) / n1);
	o->diff_lo = o->diff - STATS_Z95 * se;
	o->diff_hi = o->diff + STATS_Z95 * se;
	if (o->p0 > 0 && o->p1 > 0) {
		double l = log(o->p1 / o->p0);
		double sl = sqrt((1 - o->p1) / x1 + (1 - o->p0) / x0);
		o->rel = o->p1 / o->p0 - 1;
		o->rel_lo = exp(l - STATS_Z95 * sl) - 1;
		o->rel_hi = exp(l + STATS_Z95 * sl) - 1;
	} else {
		o->rel = o->p0 > 0 ? o->p1 / o->p0 - 1 : NAN;
		o->rel_lo = o->rel_hi = NAN;
	}
	pool = (x0 + x1) / (n0 + n1);
	sep = sqrt(pool * (1 - pool) * (1 / n0 + 1 / n1));
	if (n0 > 0 && n1 > 0 && sep > 0) {
		o->z = o->diff / sep;
		o->p = stats_norm_p2(o->z);
	} else {
		o->z = o->p = NAN;
	}
}

double stats_mean(const struct stats_moments *m)
{
	return m->n > 0 ? m->sum / m->n : NAN;
}

double stats_var(const struct stats_moments *m)
{
	double mean, v;

	if (m->n < 2)
		return NAN;
	mean = m->sum / m->n;
	v = (m->sumsq - m->n * mean * mean) / (m->n - 1);
	return v < 0 ? 0 : v;
}

double stats_t_quantile(double q, double df)
{
	double lo = 0, hi = 1, tail;
	int i;

	if (isnan(q) || isnan(df) || df <= 0 || q <= 0 || q >= 1)
		return NAN;
	if (q == 0.5)
		return 0;
	/* the two-sided tail whose t is wanted: P(|T| ≥ t) = 2(1 - q) */
	tail = 2 * (q > 0.5 ? 1 - q : q);
	while (stats_t_p2(hi, df) > tail && hi < 1e300)
		hi *= 2;
	for (i = 0; i < 2000 && hi - lo > 1e-12 * (1 + hi); i++) {
		double mid = (lo + hi) / 2;
		if (stats_t_p2(mid, df) > tail)
			lo = mid;
		else
			hi = mid;
	}
	return q > 0.5 ? (lo + hi) / 2 : -(lo + hi) / 2;
}

void stats_welch(const struct stats_moments *a, const struct stats_moments *b, struct stats_welch *o)
{
	double va = stats_var(a), vb = stats_var(b), sa, sb, se, tq;

	o->diff = stats_mean(b) - stats_mean(a);
	sa = va / a->n;
	sb = vb / b->n;
	se = sqrt(sa + sb);
	if (isnan(se) || se == 0) {
		o->t = o->df = o->p = o->lo = o->hi = NAN;
		return;
	}
	o->t = o->diff / se;
	o->df = (sa + sb) * (sa + sb) / (sa * sa / (a->n - 1) + sb * sb / (b->n - 1));
	o->p = stats_t_p2(o->t, o->df);
	tq = stats_t_quantile(0.975, o->df);
	o->lo = o->diff - tq * se;
	o->hi = o->diff + tq * se;
}

double stats_chi2_kx2(const double *yes, const double *no, size_t k, double *df, double *p)
{
	double ty = 0, tn = 0, t, x = 0;
	size_t i, rows = 0;

	for (i = 0; i < k; i++) {
		ty += yes[i];
		tn += no[i];
		rows += yes[i] + no[i] > 0;
	}
	t = ty + tn;
	*df = rows > 0 ? (double)rows - 1 : 0;
	if (ty <= 0 || tn <= 0 || rows < 2) {
		*p = NAN;
		return NAN;
	}
	for (i = 0; i < k; i++) {
		double r = yes[i] + no[i], ey, en;
		if (r <= 0)
			continue;
		ey = r * ty / t;
		en = r * tn / t;
		x += (yes[i] - ey) * (yes[i] - ey) / ey + (no[i] - en) * (no[i] - en) / en;
	}
	*p = stats_chi2_q(x, *df);
	return x;
}

double stats_srm(const double *n, const double *w, size_t k, double *chi2)
{
	double tot = 0, wt = 0, x = 0;
	size_t i;

	for (i = 0; i < k; i++) {
		tot += n[i];
		wt += w ? w[i] : 1;
	}
	if (k < 2 || tot <= 0 || wt <= 0) {
		*chi2 = NAN;
		return NAN;
	}
	for (i = 0; i < k; i++) {
		double e = tot * (w ? w[i] : 1) / wt;
		if (e <= 0) {
			*chi2 = NAN;
			return NAN;
		}
		x += (n[i] - e) * (n[i] - e) / e;
	}
	*chi2 = x;
	return stats_chi2_q(x, (double)k - 1);
}

double stats_quantile_sorted(const double *v, size_t n, double q)
{
	double h, f;
	size_t lo;

	if (!n)
		return NAN;
	h = (double)(n - 1) * q;
	lo = (size_t)floor(h);
	if (lo >= n - 1)
		return v[n - 1];
	f = h - (double)lo;
	return v[lo] + f * (v[lo + 1] - v[lo]);
}

void stats_cuts(const double *sorted, size_t n, unsigned k, double *cuts)
{
	unsigned q;

	for (q = 1; q < k; q++) {
		size_t pos = ((size_t)q * n + k - 1) / k; /* ceil(q·n/k) */
		cuts[q - 1] = sorted[pos ? pos - 1 : 0];
	}
}

unsigned stats_score(double v, const double *cuts, unsigned k, int desc)
{
	unsigned s = 1, i;

	for (i = 0; i + 1 < k; i++)
		s += desc ? v < cuts[i] : v > cuts[i];
	return s;
}
