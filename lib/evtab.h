/*
 * evtab - the events of a report as compact rows, grouped by person.
 *
 * report reads a stream once and keeps, of each event a question needs, a
 * row: the person, the time, the caller's bits saying what the row is for
 * (a cohort event, a return, funnel step k, a conversion …), a number (an
 * amount) and a value's number (a split value, an order id). evtab_group
 * then puts each person's rows together in time order, so every engine
 * (cohort, funnel, …) walks one person at a time over an array.
 */
#ifndef UOPS_EVTAB_H
#define UOPS_EVTAB_H

#include <stddef.h>
#include <stdint.h>

struct evrow {
	uint32_t oneid;
	uint32_t bits; /* the caller's flags */
	int64_t ts;    /* event time, ms since the epoch, UTC */
	double val;    /* a number the row carries (0 when none) */
	uint32_t key;  /* a value's number (0 when none) */
	uint32_t aux;  /* a second one */
};

struct evtab {
	struct evrow *r;
	size_t n, cap;
	int huge; /* r is mapped on its own (xmalloc_huge), cap rows */
	uint32_t max_oneid;
	/* people merged into others ($merge): merged_into[oneid] is the
	 * survivor, 0 when none; nmerge entries allocated */
	uint32_t *merged_into;
	size_t nmerge;
};

/* Append a copy of *row. */
void evtab_add(struct evtab *t, const struct evrow *row);
/* Person `from` was merged into person `into` (a $merge record): their
 * rows count as into's, also rows added before. A merge that would make
 * a cycle is ignored. */
void evtab_merge(struct evtab *t, uint32_t from, uint32_t into);
/*
 * Rename merged people to their survivors, then order the rows by oneid
 * and, within a person, by time; rows of one person at one time keep the
 * order they were added in (stable). A radix sort on the oneid (passes of
 * up to 11 bits, as many as the largest oneid needs), then each person's
 * rows by time (usually in order already).
 */
void evtab_group(struct evtab *t);
/* The person after rows [*from, …): sets *from and *to to the next
 * person's rows [from, to) (start with *to = 0) and returns 1, or 0 at
 * the end. Call only after evtab_group. */
int evtab_next_person(const struct evtab *t, size_t *from, size_t *to);
/* Free everything; t is empty and reusable. */
void evtab_release(struct evtab *t);

#endif
