/*
 * t.h - the unit-test harness: each test/unit/t-<module>.c is one program
 * whose main() calls the checks below and returns t_done().
 */
#ifndef UOPS_T_H
#define UOPS_T_H

#include <stdio.h>
#include <string.h>

static int t_failed, t_run;

#define T_OK(cond)                                                            \
	do {                                                                  \
		t_run++;                                                      \
		if (!(cond)) {                                                \
			t_failed++;                                           \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #cond);                             \
		}                                                             \
	} while (0)

#define T_EQ_INT(a, b)                                                        \
	do {                                                                  \
		long long t_a = (long long)(a), t_b = (long long)(b);         \
		t_run++;                                                      \
		if (t_a != t_b) {                                             \
			t_failed++;                                           \
			fprintf(stderr, "%s:%d: %s == %lld, want %lld\n",     \
				__FILE__, __LINE__, #a, t_a, t_b);            \
		}                                                             \
	} while (0)

#define T_EQ_STR(a, b)                                                        \
	do {                                                                  \
		const char *t_a = (a), *t_b = (b);                            \
		t_run++;                                                      \
		if (!t_a || !t_b || strcmp(t_a, t_b)) {                       \
			t_failed++;                                           \
			fprintf(stderr, "%s:%d: %s == \"%s\", want \"%s\"\n", \
				__FILE__, __LINE__, #a, t_a ? t_a : "(null)", \
				t_b ? t_b : "(null)");                        \
		}                                                             \
	} while (0)

/* A random JSON number into s (NUL-terminated; returns its length): an
 * optional minus, 1 to maxd digits (no leading zero), of which up to maxf
 * (at most the digits) after a point ("0." before a fraction alone). *r is
 * a xorshift state. */
static inline int t_rand_number(unsigned long long *r, char *s, int maxd, int maxf)
{
	int nd, nf, k, len = 0;

	*r ^= *r << 13, *r ^= *r >> 7, *r ^= *r << 17;
	nd = 1 + (int)(*r % (unsigned)maxd);
	nf = (int)(*r >> 8) % ((nd < maxf ? nd : maxf) + 1);
	if (*r >> 20 & 1)
		s[len++] = '-';
	for (k = 0; k < nd; k++) {
		if (k == nd - nf && nf) {
			if (!k)
				s[len++] = '0';
			s[len++] = '.';
		}
		*r ^= *r << 13, *r ^= *r >> 7, *r ^= *r << 17;
		s[len++] = (char)('0' + (k == 0 && nd - nf > 1 ? 1 + *r % 9 : *r % 10));
	}
	s[len] = 0;
	return len;
}

static inline int t_done(const char *name)
{
	if (t_failed)
		fprintf(stderr, "%s: %d of %d checks failed\n", name, t_failed,
			t_run);
	else
		printf("%s: %d checks passed\n", name, t_run);
	return t_failed ? 1 : 0;
}

#endif
