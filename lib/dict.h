/*
 * dict - small numbers for names, kept in one LMDB DB of the tool's
 * (tagger.dict, segmenter.dict), so that binary records name aggregates,
 * traits, tags … by a number that never changes and is never reused.
 *
 * Names live in namespaces, one character each (a: aggregates, t: traits,
 * g: tags, …): the key is "<ns>:<name>", the value the number (4 bytes,
 * big-endian) and optionally one flag byte; "#<ns>" holds the next number
 * of a namespace. Trait names are also kept in memory (traits come with
 * events, so they are looked up per event).
 */
#ifndef UOPS_DICT_H
#define UOPS_DICT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define DICT_MAX_NS 8
#define DICT_MAX_TRAITS 4096

struct dict_name {
	char *name;
	uint32_t slot;
};

struct dict {
	struct store *st;
	MDB_dbi dbi;
	const char *ns;       /* the namespace characters, at most 8; 't' for traits */
	uint32_t next[DICT_MAX_NS];
	int dirty;
	struct dict_name *traits;
	unsigned ntraits, captraits;
};

/* Set st, dbi and ns, then load the counters and the trait names. Returns 0
 * or -1 (an LMDB error, printed). */
int dict_load(struct dict *d);
void dict_release(struct dict *d);

/* The number of name (n bytes) in namespace ns: 1 found (*slot, and *flag
 * when not NULL: the flag byte, 0 without one), 0 not. */
int dict_get(struct dict *d, char ns, const char *name, size_t n, uint32_t *slot, int *flag);
/* The number of name, given the next one of ns when it has none. */
uint32_t dict_assign(struct dict *d, char ns, const char *name, size_t n);
/* Queue name = slot (with a flag byte when flag >= 0). */
void dict_put(struct dict *d, char ns, const char *name, size_t n, uint32_t slot, int flag);
/* A new number in ns, not yet given to a name. */
uint32_t dict_next(struct dict *d, char ns);
/* Queue the counters when they changed (before a commit). */
void dict_save(struct dict *d);

/* The number of a trait name (namespace 't'), or UINT32_MAX when the
 * dictionary holds DICT_MAX_TRAITS of them already (or the name has a NUL). */
uint32_t dict_trait(struct dict *d, const char *name, size_t n);
/* The name of trait number slot, or NULL. */
const char *dict_trait_name(const struct dict *d, uint32_t slot);

#endif
