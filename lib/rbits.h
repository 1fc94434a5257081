/*
 * rbits - counts over roaring bitmaps as they are stored (the portable
 * serialisation of CRoaring and the other roaring libraries), without
 * making bitmaps of them: a query that only counts reads the bytes where
 * they lie instead of allocating and copying every container.
 */
#ifndef UOPS_RBITS_H
#define UOPS_RBITS_H

#include <stddef.h>
#include <stdint.h>

/* A serialised bitmap, checked and indexed by rbits_open. */
struct rbits {
	const unsigned char *p;
	size_t n;
	uint32_t size;             /* containers */
	const unsigned char *desc; /* per container: key, cardinality - 1 (16 bits each) */
	const unsigned char *runs; /* a bit per container: a run container; NULL: none */
	size_t *off;               /* per container: where its data starts in p */
	uint64_t card;             /* members */
};

/* Read the n bytes at p: 0, or -1 when they are not a well-formed portable
 * bitmap (the caller deserialises then, and reports what CRoaring says).
 * The bytes must stay in place while r is used. */
int rbits_open(struct rbits *r, const void *p, size_t n);
void rbits_close(struct rbits *r);
/* Members in both a and b. */
uint64_t rbits_and_card(const struct rbits *a, const struct rbits *b);

#endif
