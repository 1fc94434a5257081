/*
 * outcome - every input record gets exactly one outcome, and every outcome
 * is counted: passed on, duplicate, skipped, or rejected with a reason
 * (written to --rejects as {"error","source","line"}). Shared by every
 * filter so rejects look the same whichever tool wrote them.
 */
#ifndef UOPS_OUTCOME_H
#define UOPS_OUTCOME_H

#include <stddef.h>

#include "buf.h"
#include "endpoint.h"

struct tally_row {
	char *text;
	unsigned long long n;
};

/* Counts by reason text. */
struct tally {
	struct tally_row *r;
	size_t n, cap;
};

/* Count one occurrence of text (n bytes). */
void tally_add(struct tally *t, const char *text, size_t n);
/* Print "prog:   WHAT N: text" lines on stderr, most frequent first. */
void tally_print(struct tally *t, const char *what);
void tally_free(struct tally *t);

struct outcome {
	unsigned long long in, passed, dups, rejected, skipped;
	struct tally reasons; /* rejects by reason class */
	struct ep_out rej;
	int have_rej;
	int strict;     /* a reject ends the run (set from --strict) */
	int strict_hit; /* … and one happened */
	int fatal;      /* exit code of a failed write, else 0 */
	/* the record being processed: where it came from and its bytes */
	const struct ep_in *src;
	const char *file;     /* or a file and line (CSV) */
	unsigned long line;
	const char *raw;
	size_t raw_n;
	unsigned raw_flags;
	unsigned long long raw_total;
	struct buf tmp, where;
};

/* Open the rejects destination (NULL: rejects are only counted). Returns 0
 * or an exit code after printing why. */
int outcome_open(struct outcome *o, const char *rejects, const struct ep_cfg *cfg);
/* Flush the rejects; 0 or an exit code. */
int outcome_flush(struct outcome *o);
/* Close the rejects destination (counts stay); 0 or an exit code. */
int outcome_end(struct outcome *o);
/* Close the rejects (if still open) and free everything; 0 or an exit code. */
int outcome_close(struct outcome *o);

/* Reject the current record. Counted under the reason's class: the text
 * without " at byte …" (or " at line …") and the rest, and without a
 * " (…)" at its end; a " (…)" with text after it reads " (…)". */
void outcome_reject(struct outcome *o, const char *reason, size_t n);
void outcome_rejectf(struct outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define OUTCOME_REJECT(o, lit) outcome_reject((o), (lit), sizeof(lit) - 1)
/* Reject for a JSON parse error (why and offset from json_parse). */
void outcome_bad_json(struct outcome *o, const char *why, size_t at);

/* "prog: N in: N passed, N duplicate, N rejected, N skipped …" and the
 * reasons, on stderr. */
void outcome_print(struct outcome *o, const char *skipped_what);

#endif
