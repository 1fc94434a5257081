/*
 * rfm - RFM scores and segments (see rfm.h).
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rfm.h"
#include "stats.h"

const char *const rfm_segments[RFM_NSEG] = {
	"champions", "loyal", "potential_loyalist", "new_customers", "promising", "need_attention",
	"about_to_sleep", "cannot_lose", "at_risk", "hibernating", "lost",
};

const char *rfm_segment(unsigned r, unsigned f)
{
	if (r >= 4 && f >= 4) return rfm_segments[0];
	if (r == 3 && f >= 4) return rfm_segments[1];
	if (r >= 4 && (f == 2 || f == 3)) return rfm_segments[2];
	if (r == 5 && f == 1) return rfm_segments[3];
	if (r == 4 && f == 1) return rfm_segments[4];
	if (r == 3 && (f == 2 || f == 3)) return rfm_segments[5];
	if (r == 3 && f == 1) return rfm_segments[6];
	if (r == 1 && f == 5) return rfm_segments[7];
	if (r <= 2 && f >= 3) return rfm_segments[8];
	if (r == 2 && f <= 2) return rfm_segments[9];
	if (r == 1 && f <= 2) return rfm_segments[10];
	return NULL;
}

/* doubles ascending, and descending */
static int dbl_asc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int dbl_desc(const void *a, const void *b)
{
	return dbl_asc(b, a);
}

void rfm_score(const double *R, const double *F, const double *M, size_t np, struct rfm *x)
{
	double *sr, *sf, *sm, *cr = x->cut_r, *cf = x->cut_f, *cm = x->cut_m;
	uint64_t (*people)[5] = x->people, *seg_people = x->seg_people;
	double (*revenue)[5] = x->revenue, *seg_rev = x->seg_rev;
	unsigned r, f;
	size_t i;

	memset(x, 0, sizeof *x);
	if (!np)
		return;
	sr = xmalloc(np * sizeof *sr);
	sf = xmalloc(np * sizeof *sf);
	sm = xmalloc(np * sizeof *sm);
	memcpy(sr, R, np * sizeof *sr);
	memcpy(sf, F, np * sizeof *sf);
	memcpy(sm, M, np * sizeof *sm);
	qsort(sr, np, sizeof *sr, dbl_desc);
	qsort(sf, np, sizeof *sf, dbl_asc);
	qsort(sm, np, sizeof *sm, dbl_asc);
	stats_cuts(sr, np, 5, cr);
	stats_cuts(sf, np, 5, cf);
	stats_cuts(sm, np, 5, cm);
	for (i = 0; i < np; i++) {
		const char *s;
		unsigned k;
		r = stats_score(R[i], cr, 5, 1);
		f = stats_score(F[i], cf, 5, 0);
		people[r - 1][f - 1]++;
		revenue[r - 1][f - 1] += M[i];
		if ((s = rfm_segment(r, f)))
			for (k = 0; k < RFM_NSEG; k++)
				if (s == rfm_segments[k]) {
					seg_people[k]++;
					seg_rev[k] += M[i];
				}
	}
	free(sr), free(sf), free(sm);
}
