/*
 * cohort - retention by cohort: people grouped by the period (day, ISO
 * week, calendar month, UTC) of their first qualifying event, and for each
 * period N after it, how many of them did a returning event in period
 * cohort + N. The triangle a retention report draws, split by a value
 * taken at the cohort event.
 */
#ifndef UOPS_COHORT_H
#define UOPS_COHORT_H

#include <stddef.h>
#include <stdint.h>

#include "evtab.h"

enum cohort_unit { COHORT_DAY, COHORT_WEEK, COHORT_MONTH };

/* The period of time ts (ms, UTC) as a number: days since 1970-01-01,
 * weeks since the Monday 1969-12-29, or months since January 1970 (all
 * may be negative). Consecutive periods have consecutive numbers. */
int64_t cohort_period(int64_t ts, enum cohort_unit u);
/* The first instant of period p (ms since the epoch, UTC). */
int64_t cohort_period_start(int64_t p, enum cohort_unit u);
/* The first day of period p as "YYYY-MM-DD" (a month: "YYYY-MM") into
 * out (at least 32 bytes). */
void cohort_label(int64_t p, enum cohort_unit u, char *out);
/* Parse "day", "week" or "month"; 0 or -1. */
int cohort_unit_parse(const char *s, enum cohort_unit *u);

struct cohort_cell {
	uint32_t split;   /* the value's number at the cohort event */
	int64_t period;   /* the cohort's period */
	uint64_t size;    /* people in the cohort */
	uint64_t *ret;    /* ret[N]: people returned in period + N, N ≤ nmax */
};

struct cohort {
	enum cohort_unit unit;
	unsigned nmax;            /* the last N counted */
	uint32_t cohort_bit;      /* rows that can start a cohort */
	uint32_t return_bit;      /* rows that count as a return */
	struct cohort_cell *cell; /* in order of creation until cohort_sort */
	size_t ncell, cap;
	uint32_t *map;            /* open addressing: cell index + 1 */
	size_t map_cap;
	int64_t last;             /* the period of the observation's end */
	int have_last;
};

/* Start an empty set of cohorts: unit, N up to nmax, the bits that mark
 * cohort rows and return rows. */
void cohort_init(struct cohort *c, enum cohort_unit u, unsigned nmax, uint32_t cohort_bit,
		 uint32_t return_bit);
/*
 * Count one person, whose rows r[0..n) are in time order (evtab_group).
 * The first row with cohort_bit makes the cohort (its key the split
 * value); every row with return_bit at that time or later, in period
 * cohort + N (0 ≤ N ≤ nmax), counts the person once for N. A person with
 * no cohort row is not counted.
 */
void cohort_person(struct cohort *c, const struct evrow *r, size_t n);
/* Order the cells by rank[split] (NULL: by split number), then period. */
void cohort_sort(struct cohort *c, const uint32_t *rank);
/* The observation ends at time ts (the stream's last event): periods
 * after ts's are not yet seen. */
void cohort_set_end(struct cohort *c, int64_t ts);
/* The number of periods N after cell's period observed by the end (so the
 * triangle's row length is this + 1), at most nmax; nmax when no end was
 * set. */
unsigned cohort_observed(const struct cohort *c, const struct cohort_cell *cell);
void cohort_release(struct cohort *c);

#endif
