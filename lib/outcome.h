/*
 * outcome - every input record gets exactly one outcome, and every outcome
 * is counted: passed on, duplicate, skipped, or rejected with a reason
 * (written to --rejects as {"error","source","line"}). Shared by every
 * filter so rejects look the same whichever tool wrote them.
 */
#ifndef UOPS_OUTCOME_H
#define UOPS_OUTCOME_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "endpoint.h"

/* What a tally keeps: at most TALLY_MAX_ROWS texts (one more, "other
 * reasons", counts the rest), each cut to TALLY_MAX_TEXT bytes, and for a
 * text counted with values, the first TALLY_SAMPLES distinct values (cut to
 * TALLY_MAX_SAMPLE bytes) with their counts. So the memory and the cost of
 * a count stay bounded whatever the input puts into its reasons. */
#define TALLY_MAX_ROWS 1000
#define TALLY_MAX_TEXT 200
#define TALLY_SAMPLES 8
#define TALLY_MAX_SAMPLE 40

struct tally_sample {
	char *v;
	size_t len;
	unsigned long long n;
};

struct tally_row {
	char *text;
	size_t len;
	unsigned long long n;
	uint64_t hash;
	struct tally_sample s[TALLY_SAMPLES]; /* values, first seen first */
	unsigned ns;
	unsigned long long rest; /* counts of values not kept */
};

/* Counts by reason text, in a hash map; rows in order of first count. */
struct tally {
	struct tally_row *r;
	size_t n, cap;
	uint32_t *idx; /* open addressing: row index + 1, 0 empty */
	size_t idx_cap;
};

/* Count one occurrence of text (n bytes). */
void tally_add(struct tally *t, const char *text, size_t n);
/* The same with a value of the input the text is about (an identifier type,
 * a key: vn bytes at val, or val NULL), kept as a sample: the text is a
 * fixed reason, the value what varies from record to record. */
void tally_add_value(struct tally *t, const char *text, size_t n, const char *val, size_t vn);
/* Print "prog:   WHAT N: text ('value' N, …)" lines on stderr, most
 * frequent first. */
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
	const char *at;       /* or this place, as text (at_n bytes): a record
			       * held back and given its outcome later */
	size_t at_n;
	const char *raw;
	size_t raw_n;
	unsigned raw_flags;
	unsigned long long raw_total;
	struct buf tmp, where;
	struct buf first; /* the reason of the first reject (cut to 300 bytes) */
	struct buf first_at; /* … and where it came from */
	char *rej_name;      /* --rejects as given, or NULL */
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

/* Append where the current record came from ("file:42",
 * "topic[0]@42") to b. */
void outcome_where(const struct outcome *o, struct buf *b);

/* Reject the current record. Counted under the reason's class: the text
 * without " at byte …" (or " at line …") and the rest, and without a
 * " (…)" at its end; a " (…)" with text after it reads " (…)". */
void outcome_reject(struct outcome *o, const char *reason, size_t n);
void outcome_rejectf(struct outcome *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
#define OUTCOME_REJECT(o, lit) outcome_reject((o), (lit), sizeof(lit) - 1)
/* Reject the current record for a reason about one value of the input (an
 * identifier type, a key): the reason written to --rejects is the printf
 * text, the count goes under cls (a fixed text) with the value (vn bytes
 * at val; val may be NULL) as a sample. Use it whenever the reason names
 * something from the input, so a new value per record makes no new row. */
void outcome_reject_about(struct outcome *o, const char *cls, const char *val, size_t vn,
			  const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Reject for a JSON parse error (why and offset from json_parse). */
void outcome_bad_json(struct outcome *o, const char *why, size_t at);

/* When records were rejected, say so on stderr in two lines: where the
 * first came from and why, then how many of how many in all and where
 * they went (--rejects) or how to keep them. Nothing when none was. For
 * the end of a run without -q or -v (-v prints outcome_print). */
void outcome_say(const struct outcome *o);

/* "prog: N in: N passed, N duplicate, N rejected, N skipped …" and the
 * reasons, on stderr. */
void outcome_print(struct outcome *o, const char *skipped_what);

#endif
