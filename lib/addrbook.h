/*
 * addrbook - dispatch's address book: a person's addresses as the stream
 * brought them (the `ids` of the events dispatch passes on, `$merge`
 * records folding people together), so that a `$send` right behind the
 * event that brought an address finds it, whether or not idmerge has
 * committed it yet.
 *
 * A person's record (dispatch.addresses, by oneid) is a list of lines
 * `type:value\n`, one per identifier type (the first value the stream
 * gave for it), in the order they came: the format of idmerge.people's
 * identifiers. These functions read and build such records; they do not
 * touch LMDB.
 */
#ifndef UOPS_ADDRBOOK_H
#define UOPS_ADDRBOOK_H

#include <stddef.h>

#include "buf.h"

/* The value of the first identifier of type (tl bytes) in record v (len
 * bytes; may be NULL): 1 with *addr, *an pointing into v, 0 none. */
int addrbook_get(const void *v, size_t len, const char *type, size_t tl, const char **addr, size_t *an);

/* Record v with type:addr added at its end into out (reset first), when v
 * holds no identifier of that type: 1. 0 (out untouched) when it does,
 * or when type or addr is empty or holds a newline or type a colon. */
int addrbook_add(const void *v, size_t len, const char *type, size_t tl, const char *addr, size_t an,
		 struct buf *out);

/* Fold record from into record into: out (reset first) gets into, then
 * each line of from whose type into lacks. Returns the lines added. */
int addrbook_fold(const void *into, size_t ilen, const void *from, size_t flen, struct buf *out);

#endif
