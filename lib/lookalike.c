/*
 * lookalike - people like a seed audience, by a logistic regression over
 * the segmenter's columns. See lookalike.h.
 */
#include <math.h>
#include <roaring/roaring.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "colstore.h"
#include "cond.h"
#include "lookalike.h"

static int auc_cmp(const void *a, const void *b)
{
	const double *x = a, *y = b;
	return (x[0] > y[0]) - (x[0] < y[0]);
}

int lookalike_fit(struct lookalike *lk)
{
	roaring_bitmap_t *out;
	int rc = 0;
	size_t n, words, i, f, nf = 0, maxf = 256, ntrain = 0;
	uint64_t *present;
	double *X = NULL, *w = NULL, *score = NULL, *grad = NULL;
	unsigned char *label = NULL, *holdout = NULL;
	unsigned k;
	uint32_t *fcol = NULL;
	uint64_t *fval = NULL;

	lk->out = NULL;
	lk->features = lk->trained_on = 0;
	lk->auc = NAN;
	n = roaring_bitmap_get_cardinality(lk->present) ? (size_t)roaring_bitmap_maximum(lk->present) + 1 : 1;
	words = (n + 63) / 64;
	present = xcalloc(words + 1, 8);
	{
		roaring_uint32_iterator_t *it = roaring_create_iterator(lk->present);
		while (it->has_value) {
			present[it->current_value >> 6] |= 1ull << (it->current_value & 63);
			roaring_advance_uint32_iterator(it);
		}
		roaring_free_uint32_iterator(it);
	}
	/* features: per column a value (numbers) or one-hot of the most
	 * common texts */
	fcol = xcalloc(maxf, sizeof *fcol);
	fval = xcalloc(maxf, sizeof *fval);
	{
		uint64_t *cells = xmalloc(n * 8);
		unsigned char *skip = xcalloc(lk->ncols + 1, 1);
		if (lk->skip)
			memcpy(skip, lk->skip, lk->ncols);
		for (k = 0; k < lk->ncols && nf < maxf; k++) {
			size_t nums = 0;
			uint32_t *cnt = NULL;
			if (skip[k])
				continue;
			if (colstore_column_load(lk->cs, lk->cols[k], n, cells)) {
				free(cells);
				free(skip);
				rc = -1;
				goto done2;
			}
			cnt = xcalloc(lk->cs->ntext + 1, sizeof *cnt);
			for (i = 0; i < n; i++) {
				if (!(present[i >> 6] >> (i & 63) & 1))
					continue;
				if (CELL_IS_TEXT(cells[i]) && (uint32_t)cells[i] < lk->cs->ntext)
					cnt[(uint32_t)cells[i]]++;
				else if (cells[i] != CELL_NONE)
					nums++;
			}
			if (nums && nf < maxf) {
				fcol[nf] = k;
				fval[nf++] = CELL_NONE; /* numeric */
			}
			for (;;) { /* the commonest texts, up to 8 per column */
				uint32_t best = 0, bi = 0, t;
				unsigned m = 0;
				for (t = 0; t < lk->cs->ntext; t++)
					if (cnt[t] > best) {
						best = cnt[t];
						bi = t;
					}
				if (!best || nf >= maxf)
					break;
				fcol[nf] = k;
				fval[nf++] = CELL_TEXT | bi;
				cnt[bi] = 0;
				for (t = 0; t < lk->cs->ntext; t++)
					m += cnt[t] > 0;
				if (nf % 8 == 0 || !m)
					break;
			}
			free(cnt);
		}
		free(skip);
		if (!nf) {
			free(cells);
			rc = 1;
			goto done2;
		}
		/* the matrix, rows = people, standardised */
		X = xcalloc(n * nf + 1, sizeof *X);
		for (f = 0; f < nf; f++) {
			double sum = 0, sq = 0, cntp = 0, mean, sd;
			if (colstore_column_load(lk->cs, lk->cols[fcol[f]], n, cells)) {
				free(cells);
				rc = -1;
				goto done2;
			}
			for (i = 0; i < n; i++) {
				double x;
				if (!(present[i >> 6] >> (i & 63) & 1))
					continue;
				if (fval[f] == CELL_NONE) {
					if (cells[i] == CELL_NONE || CELL_IS_TEXT(cells[i]))
						continue;
					memcpy(&x, &cells[i], 8);
					if (!isfinite(x))
						continue;
					x = x > 0 ? log1p(x) : -log1p(-x); /* tame long tails */
				} else {
					x = cells[i] == fval[f];
				}
				X[i * nf + f] = x;
				sum += x;
				sq += x * x;
				cntp++;
			}
			mean = cntp ? sum / cntp : 0;
			sd = cntp ? sqrt(fmax(sq / cntp - mean * mean, 0)) : 0;
			if (sd < 1e-9)
				sd = 1;
			for (i = 0; i < n; i++) {
				int has;
				double x;
				if (!(present[i >> 6] >> (i & 63) & 1))
					continue;
				has = fval[f] != CELL_NONE ||
				      (cells[i] != CELL_NONE && !CELL_IS_TEXT(cells[i]));
				if (has) {
					memcpy(&x, &cells[i], 8);
					has = fval[f] != CELL_NONE || isfinite(x);
				}
				X[i * nf + f] = has ? (X[i * nf + f] - mean) / sd : 0;
			}
		}
		free(cells);
	}
	/* labels, with every fifth seed member held out */
	label = xcalloc(n + 1, 1);
	holdout = xcalloc(n + 1, 1);
	{
		roaring_uint32_iterator_t *it = roaring_create_iterator(lk->seed);
		size_t c = 0;
		while (it->has_value) {
			if (it->current_value < n) {
				label[it->current_value] = 1;
				holdout[it->current_value] = c++ % 5 == 4;
			}
			roaring_advance_uint32_iterator(it);
		}
		roaring_free_uint32_iterator(it);
	}
	/* non-members: every fifth held out for the AUC too */
	{
		size_t c = 0;
		for (i = 0; i < n; i++)
			if ((present[i >> 6] >> (i & 63) & 1) && !label[i])
				holdout[i] = c++ % 5 == 4;
	}
	w = xcalloc(nf + 1, sizeof *w);
	grad = xcalloc(nf + 1, sizeof *grad);
	{
		double npos = 0, nneg = 0;
		int step;
		for (i = 0; i < n; i++)
			if ((present[i >> 6] >> (i & 63) & 1) && !holdout[i]) {
				npos += label[i];
				nneg += !label[i];
				ntrain++;
			}
		for (step = 0; step < 200; step++) {
			memset(grad, 0, (nf + 1) * sizeof *grad);
			for (i = 0; i < n; i++) {
				double z = w[nf], p, err, wt;
				if (!(present[i >> 6] >> (i & 63) & 1) || holdout[i])
					continue;
				for (f = 0; f < nf; f++)
					z += w[f] * X[i * nf + f];
				p = 1 / (1 + exp(-z));
				/* classes weighted equally */
				wt = label[i] ? 0.5 / npos : 0.5 / nneg;
				err = (p - label[i]) * wt;
				for (f = 0; f < nf; f++)
					grad[f] += err * X[i * nf + f];
				grad[nf] += err;
			}
			for (f = 0; f <= nf; f++)
				w[f] -= 1.0 * (grad[f] + (f < nf ? 1e-4 * w[f] : 0));
		}
	}
	score = xcalloc(n + 1, sizeof *score);
	for (i = 0; i < n; i++) {
		double z = w[nf];
		for (f = 0; f < nf; f++)
			z += w[f] * X[i * nf + f];
		score[i] = z;
	}
	{ /* AUC on the held-out people */
		size_t m = 0, npos = 0, nneg = 0;
		double *pairs = xcalloc(2 * n + 2, sizeof *pairs), rank_sum = 0, auc;
		for (i = 0; i < n; i++)
			if ((present[i >> 6] >> (i & 63) & 1) && holdout[i]) {
				pairs[2 * m] = score[i];
				pairs[2 * m + 1] = label[i];
				m++;
			}
		qsort(pairs, m, 2 * sizeof *pairs, auc_cmp);
		for (i = 0; i < m;) { /* midranks for ties */
			size_t j = i;
			double r;
			while (j < m && pairs[2 * j] == pairs[2 * i])
				j++;
			r = (double)(i + j + 1) / 2;
			for (; i < j; i++) {
				if (pairs[2 * i + 1] > 0) {
					rank_sum += r;
					npos++;
				} else {
					nneg++;
				}
			}
		}
		auc = npos && nneg ? (rank_sum - (double)npos * (double)(npos + 1) / 2) / ((double)npos * (double)nneg)
				   : NAN;
		free(pairs);
		/* the N best non-members (ties by oneid) */
		{
			double *cand = xcalloc(2 * n + 2, sizeof *cand);
			size_t nc = 0, take;
			for (i = 0; i < n; i++)
				if ((present[i >> 6] >> (i & 63) & 1) && !label[i]) {
					cand[2 * nc] = -score[i];
					cand[2 * nc + 1] = (double)i;
					nc++;
				}
			qsort(cand, nc, 2 * sizeof *cand, auc_cmp);
			/* equal scores: keep oneid order (qsort is not stable) */
			for (i = 0; i < nc;) {
				size_t j = i, a, b;
				while (j < nc && cand[2 * j] == cand[2 * i])
					j++;
				for (a = i + 1; a < j; a++)
					for (b = a; b > i && cand[2 * b + 1] < cand[2 * (b - 1) + 1]; b--) {
						double t0 = cand[2 * b], t1 = cand[2 * b + 1];
						cand[2 * b] = cand[2 * (b - 1)];
						cand[2 * b + 1] = cand[2 * (b - 1) + 1];
						cand[2 * (b - 1)] = t0;
						cand[2 * (b - 1) + 1] = t1;
					}
				i = j;
			}
			take = lk->size < nc ? lk->size : nc;
			out = roaring_bitmap_create();
			for (i = 0; i < take; i++)
				roaring_bitmap_add(out, (uint32_t)cand[2 * i + 1]);
			free(cand);
		}
		lk->out = out;
		lk->features = nf;
		lk->trained_on = ntrain;
		lk->auc = auc;
	}
done2:
	free(present);
	free(X);
	free(w);
	free(grad);
	free(score);
	free(label);
	free(holdout);
	free(fcol);
	free(fval);
	return rc;
}
