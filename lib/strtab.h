/*
 * strtab - strings to small numbers: each distinct byte string gets an id
 * (1, 2, … in the order first put; 0 means "none"), so a report keeps
 * split values, arms, order ids and send ids as uint32_t and sorts them
 * by their text only when it writes them.
 */
#ifndef UOPS_STRTAB_H
#define UOPS_STRTAB_H

#include <stddef.h>
#include <stdint.h>

struct strtab {
	char **s;    /* s[id]: the text, NUL-terminated (s[0] unused) */
	size_t *len; /* len[id]: its length (it may hold NULs) */
	uint32_t n, cap; /* ids 1..n-1 are in use; n is 0 until the first put */
	uint32_t *map;   /* open addressing on hash64 of the text */
	size_t map_cap;
};

/* The id of the n bytes at s: the one given before, else a new one (a
 * copy of the bytes is kept). A zeroed struct strtab is an empty table. */
uint32_t strtab_put(struct strtab *t, const char *s, size_t n);

/* <0, 0 or >0 as the text of id x sorts before, with or after id y's in
 * byte order (a prefix first); none (0) before every text. */
int strtab_cmp(const struct strtab *t, uint32_t x, uint32_t y);

/* rank[id] for every id 0..n-1 (at least rank[0]): the place of the text
 * in byte order (a prefix before what it begins), none (0) first. Owned
 * by the caller (free). Not reentrant: the sort reads t through a static. */
uint32_t *strtab_ranks(struct strtab *t);

/* Free the texts and the table, leaving it empty. */
void strtab_free(struct strtab *t);

#endif
