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
