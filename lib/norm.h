/*
 * norm - normalisation of identifiers, as ingest applies it and as every
 * lookup by identifier (idmerge lookup, segment uploads) must repeat it.
 *
 *   phone   E.164 "+<country><number>", digits only after '+'
 *   email   trimmed, lower-cased (ASCII), must have one '@' with text on
 *           both sides and a '.' in the domain
 *   others  trimmed of ASCII white space; must be non-empty
 * Every value must be valid UTF-8 without control characters and at most
 * NORM_MAX_ID bytes after normalisation.
 */
#ifndef UOPS_NORM_H
#define UOPS_NORM_H

#include <stddef.h>

#include "buf.h"

#define NORM_MAX_ID 256

/*
 * Normalise a phone number (s, n bytes) into out (appended). Accepts
 * separators ' ', '-', '.', '(', ')' and a leading '+' or "00" for an
 * international number. Without one, `region` (country calling code digits,
 * e.g. "86") applies: a national number, a number that already starts with
 * the country code, or (for 86) a number with a trunk '0' prefix.
 * For region 86 a mobile number must be 11 digits starting with 1.
 * E.164 allows at most 15 digits; fewer than 7 is refused.
 * Returns 0, or -1 with *why set to a static reason (out unchanged).
 */
int norm_phone(const char *s, size_t n, const char *region, struct buf *out,
	       const char **why);

/* Normalise an email address; same contract as norm_phone. */
int norm_email(const char *s, size_t n, struct buf *out, const char **why);

/*
 * Normalise an identifier of type `type` (phone, email, or any other type
 * name): dispatches to norm_phone / norm_email, else trims. Same contract.
 */
int norm_id(const char *type, const char *s, size_t n, const char *region,
	    struct buf *out, const char **why);

/* Check that s (n bytes) is valid UTF-8 (no overlongs, no surrogates, at
 * most U+10FFFF). Returns 1 if valid. */
int norm_utf8_valid(const unsigned char *s, size_t n);

#endif
