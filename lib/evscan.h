/*
 * evscan - a fast look at one NDJSON record: is it a valid JSON object,
 * and where are a few of its top-level members (type, ts, oneid, props)?
 *
 * It checks what json_parse checks (the grammar, UTF-8 in strings, no
 * control characters or NUL, no object holding a key twice, the nesting
 * limit) but builds no tokens, so a reader that needs three fields of an
 * event pays for little more than one pass over its bytes. It answers
 * "valid" only when json_parse would accept the line with the same
 * values; anything it does not decide cheaply (a \u escape, a key written
 * with an escape, an object of many keys, an error) is "unsure", and the
 * caller parses the line in full for the answer and its reason.
 */
#ifndef UOPS_EVSCAN_H
#define UOPS_EVSCAN_H

#include <stddef.h>

enum evscan_kind { EVSCAN_NONE, EVSCAN_STRING, EVSCAN_NUMBER, EVSCAN_OTHER, EVSCAN_OBJECT };

/* A member's value: its kind, and its text in the line (a string: the
 * bytes between the quotes, as written; esc: it holds backslash escapes). */
struct evscan_val {
	enum evscan_kind kind;
	int esc;
	const char *s;
	size_t n;
};

struct evscan {
	struct evscan_val type, ts, oneid, props;
};

/*
 * Scan line s[0..n). Returns 0 when it is a JSON object json_parse(…,
 * max_depth) accepts, with the members found set (kind EVSCAN_NONE when
 * absent); -1 when unsure: parse it in full. The spans point into s.
 */
int evscan_line(struct evscan *e, const char *s, size_t n, unsigned max_depth);

#endif
