/*
 * t-rfm - the named segments of R and F scores (every pair has one, the
 * pointer is the table's), and scoring a population: every person in one
 * score pair and at most one segment, M summed with them, the best R
 * (fewest days) scored 5.
 */
#include <stdint.h>
#include <string.h>

#include "rfm.h"
#include "t.h"

int main(void)
{
	double R[10], F[10], M[10], rev = 0, segrev = 0;
	uint64_t n = 0, segn = 0;
	struct rfm x;
	unsigned r, f, k;
	int i;

	T_EQ_STR(rfm_segment(5, 5), "champions");
	T_EQ_STR(rfm_segment(3, 4), "loyal");
	T_EQ_STR(rfm_segment(5, 1), "new_customers");
	T_EQ_STR(rfm_segment(1, 5), "cannot_lose");
	T_EQ_STR(rfm_segment(2, 4), "at_risk");
	T_EQ_STR(rfm_segment(2, 2), "hibernating");
	T_EQ_STR(rfm_segment(1, 1), "lost");
	for (r = 1; r <= 5; r++)
		for (f = 1; f <= 5; f++) {
			const char *s = rfm_segment(r, f);
			for (k = 0; k < RFM_NSEG && s != rfm_segments[k]; k++)
				;
			T_OK(k < RFM_NSEG);
		}

	rfm_score(R, F, M, 0, &x);
	T_EQ_INT(x.people[0][0], 0);

	for (i = 0; i < 10; i++) {
		R[i] = i * 10;    /* days since the last order */
		F[i] = 10 - i;    /* orders */
		M[i] = 100 + i;
	}
	rfm_score(R, F, M, 10, &x);
	for (r = 0; r < 5; r++)
		for (f = 0; f < 5; f++)
			n += x.people[r][f], rev += x.revenue[r][f];
	for (k = 0; k < RFM_NSEG; k++)
		segn += x.seg_people[k], segrev += x.seg_rev[k];
	T_EQ_INT(n, 10);
	T_EQ_INT(segn, 10);
	T_OK(rev == 1045 && segrev == 1045);
	T_EQ_INT(x.people[4][4], 2); /* the two most recent and frequent */
	T_EQ_INT(x.people[0][0], 2); /* and the two least */
	T_EQ_INT(x.seg_people[0], 4); /* champions: scores 4 and 5 alike */
	T_EQ_INT(x.seg_people[RFM_NSEG - 1], 2);
	return t_done("rfm");
}
