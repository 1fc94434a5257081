/*
 * t-strtab - ids for strings: the same text the same id, ids in order of
 * first sight from 1, texts with NULs and of every length kept whole,
 * growth past the first table sizes, and ranks in byte order with none
 * (0) first and a prefix before what it begins.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strtab.h"
#include "t.h"

int main(void)
{
	struct strtab t = {0};
	uint32_t *rank, i;
	char s[32];
	int k;

	/* an empty table ranks none alone */
	rank = strtab_ranks(&t);
	T_EQ_INT(rank[0], 0);
	free(rank);

	T_EQ_INT(strtab_put(&t, "b", 1), 1);
	T_EQ_INT(strtab_put(&t, "a", 1), 2);
	T_EQ_INT(strtab_put(&t, "b", 1), 1);
	T_EQ_INT(strtab_put(&t, "", 0), 3);
	T_EQ_INT(strtab_put(&t, "a\0b", 3), 4);
	T_EQ_INT(strtab_put(&t, "a\0b", 3), 4);
	T_EQ_INT(strtab_put(&t, "ab", 2), 5);
	T_EQ_INT(strtab_put(&t, "a", 1), 2);
	T_EQ_INT(t.len[4], 3);
	T_OK(!memcmp(t.s[4], "a\0b", 3));
	T_EQ_STR(t.s[5], "ab");

	T_OK(strtab_cmp(&t, 0, 3) < 0);
	T_OK(strtab_cmp(&t, 3, 0) > 0);
	T_EQ_INT(strtab_cmp(&t, 0, 0), 0);
	T_OK(strtab_cmp(&t, 2, 4) < 0); /* "a" before "a\0b" */
	T_OK(strtab_cmp(&t, 4, 5) < 0); /* "a\0b" before "ab" */
	T_EQ_INT(strtab_cmp(&t, 1, 1), 0);

	/* byte order: none, "", "a", "a\0b", "ab", "b" */
	rank = strtab_ranks(&t);
	T_EQ_INT(rank[0], 0);
	T_EQ_INT(rank[3], 1);
	T_EQ_INT(rank[2], 2);
	T_EQ_INT(rank[4], 3);
	T_EQ_INT(rank[5], 4);
	T_EQ_INT(rank[1], 5);
	free(rank);

	/* many: the table grows, every id stays its text's */
	for (k = 0; k < 5000; k++) {
		snprintf(s, sizeof s, "v%d", k);
		T_EQ_INT(strtab_put(&t, s, strlen(s)), 6 + k);
	}
	for (k = 4999; k >= 0; k -= 7) {
		snprintf(s, sizeof s, "v%d", k);
		T_EQ_INT(strtab_put(&t, s, strlen(s)), 6 + k);
	}
	T_EQ_INT(t.n, 5006);
	rank = strtab_ranks(&t);
	for (i = 6; i + 1 < t.n; i++) /* v0 < v1 < v10 < v100 …: ranks follow strcmp */
		if ((strcmp(t.s[i], t.s[i + 1]) < 0) != (rank[i] < rank[i + 1]))
			break;
	T_EQ_INT(i + 1, t.n);
	free(rank);

	strtab_free(&t);
	T_EQ_INT(t.n, 0);
	T_EQ_INT(strtab_put(&t, "x", 1), 1);
	strtab_free(&t);
	return t_done("strtab");
}
