/*
 * json - a strict, allocation-free-per-line JSON parser and a compact writer.
 *
 * json_parse turns one JSON text into a flat array of tokens in document
 * order; a container token is followed by its children, an object's
 * children alternate key, value. Strings and numbers are not copied: tokens
 * point into the caller's text, which must outlive the tokens. The parser
 * checks everything a producer of canonical records needs: the JSON
 * grammar, UTF-8 in strings (no overlongs, no lone or mismatched surrogate
 * escapes), no control characters or NUL in strings, no object holding a
 * key twice, and a nesting limit.
 */
#ifndef UOPS_JSON_H
#define UOPS_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

enum json_type {
	JSON_NULL,
	JSON_FALSE,
	JSON_TRUE,
	JSON_NUMBER,
	JSON_STRING,
	JSON_ARRAY,
	JSON_OBJECT,
};

struct json_tok {
	uint8_t type;  /* enum json_type */
	uint8_t esc;   /* string: holds backslash escapes; array/object: holds
			* white space, so its text is not already compact */
	uint32_t off;  /* string: first byte after the quote; else first byte */
	uint32_t len;  /* string: bytes before the closing quote; number: text */
	uint32_t size; /* array: elements; object: key/value pairs */
	uint32_t next; /* index of the first token after this one's subtree */
};

struct json_doc {
	const char *s; /* the text parsed last */
	size_t n;
	struct json_tok *t; /* tokens, owned; reused by the next parse */
	uint32_t nt, cap;
	uint32_t *keys; /* scratch for checking a big object's keys, owned */
	uint32_t kcap;
	char why[72];   /* a parse error that names what it is about */
};

#define JSON_DOC_INIT {0}
#define JSON_MAX_TEXT 0xfffffff0u

/*
 * Parse s[0..n) as exactly one JSON value with optional surrounding white
 * space. Returns 0, or -1 with *why and *at (byte offset of the problem).
 * *why is static text, or for an object holding a key twice (after
 * unescaping: "a" and "\u0061" are one key) "duplicate key 'NAME'" in d,
 * valid until the next parse, with *at at the second copy. Tokens stay
 * valid until the next parse or release. The cost grows with n, at worst
 * as n log n (an object of many keys), whatever the input.
 */
int json_parse(struct json_doc *d, const char *s, size_t n, unsigned max_depth,
	       const char **why, size_t *at);
void json_doc_release(struct json_doc *d);

/* Token t (0: absent) as a oneid: a plain decimal number 1 … 4294967295.
 * Returns 0 with *out set, or -1. */
int json_oneid(const struct json_doc *d, uint32_t t, uint32_t *out);
/* A guess, without parsing, at the oneid of the record s[0..n): the digits
 * after the first "oneid": in it. 0 with *out set, or -1. For hints only
 * (prefetching): a nested or quoted "oneid" may fool it. */
int json_scan_oneid(const char *s, size_t n, uint32_t *out);

/* Token index of the value under key (n bytes) in the object at index obj,
 * or 0 when absent (index 0 is never a value). Keys match after
 * unescaping; json_parse lets no object hold a key twice. */
uint32_t json_get(const struct json_doc *d, uint32_t obj, const char *key,
		  size_t n);

/* Token index of the value under a dotted path ("a.b.c": key c of the
 * object under b of the object under a) of the object at index obj, or 0
 * when absent or when the path goes on through a value no object. obj 0
 * is none (json_get's absent value), not the root. */
uint32_t json_get_path(const struct json_doc *d, uint32_t obj, const char *path);

/* The values under n keys of the object at index obj, in one pass over
 * it: out[k] as json_get(d, obj, keys[k].s, keys[k].n) would give. */
struct json_key {
	const char *s;
	size_t n;
};
void json_get_keys(const struct json_doc *d, uint32_t obj, const struct json_key *keys,
		   unsigned n, uint32_t *out);

/* Does string token i equal s (n bytes), after unescaping? */
int json_str_eq(const struct json_doc *d, uint32_t i, const char *s, size_t n);

/*
 * Append string token i's value, unescaped to UTF-8, to out. A string
 * without escapes is copied as is.
 */
void json_str_get(const struct json_doc *d, uint32_t i, struct buf *out);

/* Append token i and its subtree to out as compact JSON. */
void json_write_tok(const struct json_doc *d, uint32_t i, struct buf *out);

/* Append s (n bytes of UTF-8) to out as a JSON string with quotes. */
void json_write_str(struct buf *out, const char *s, size_t n);

/*
 * Append s (n arbitrary bytes) as a JSON string; bytes that are not valid
 * UTF-8 are written as \u00XX escapes of the byte value (for diagnostics
 * only: the result does not round-trip invalid input).
 */
void json_write_bytes_lossy(struct buf *out, const char *s, size_t n);

/*
 * A plain JSON number (n bytes: an optional minus, digits, an optional
 * fraction, no exponent, at most 18 digits in all): its digits as one
 * integer *digits (below 2^53), how many follow the point (*frac) and its
 * sign (*neg). Returns 0, or -1 for any other number (use strtod).
 */
int json_num_plain(const char *s, size_t n, uint64_t *digits, int *frac, int *neg);
/* The double strtod gives for a plain number (an exact quotient: both
 * parts are exact doubles, so the division rounds once, as strtod does). */
double json_num_value(uint64_t digits, int frac, int neg);

#endif
