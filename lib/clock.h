/*
 * clock - event time.
 *
 * uops decides everything on the stream's clock (event `ts`, advanced by
 * `$tick`), never on the wall clock. Times are int64 milliseconds since the
 * Unix epoch, UTC. The canonical text form is "YYYY-MM-DDTHH:MM:SS.mmmZ".
 */
#ifndef UOPS_CLOCK_H
#define UOPS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"
#include "tz.h"

#define CLOCK_ISO_LEN 24 /* strlen("2026-10-28T02:16:07.123Z") */

/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t clock_days_from_civil(int64_t y, unsigned m, unsigned d);
void clock_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/*
 * Write t as canonical UTC text into out (at least CLOCK_ISO_LEN + 1 bytes,
 * NUL-terminated). Years outside 0000..9999 are clamped to the range limits.
 */
void clock_format(int64_t t, char *out);

/*
 * Parse a timestamp given as text (s, n bytes, not NUL-terminated):
 *   ISO-8601 "YYYY-MM-DDTHH:MM[:SS[.fff…]]" with 'T' or ' ' between date and
 *   time, zone "Z", "+HH:MM", "+HHMM", "+HH" or none; a bare date
 *   "YYYY-MM-DD" (midnight); epoch seconds or milliseconds given as digits
 *   (an optional fraction allowed for seconds).
 * Text without a zone is local time in `zone` (NULL means UTC). Epoch
 * numbers with 12 or more integer digits are milliseconds, fewer are seconds.
 * Fractions beyond milliseconds are truncated. Field ranges are checked
 * (month 1-12, day within the month, hour ≤ 23, minute ≤ 59, second ≤ 60;
 * a leap second 60 reads as 59.999).
 * Returns 0 and sets *t, or -1 with *why set to a static reason.
 */
int clock_parse(const char *s, size_t n, const struct tz *zone, int64_t *t,
		const char **why);

/*
 * Parse a JSON number's text as epoch time, with the same seconds /
 * milliseconds rule as clock_parse. Returns 0 or -1 (with *why).
 */
int clock_parse_epoch(const char *s, size_t n, int64_t *t, const char **why);

/*
 * Parse a duration such as "7d", "12h", "30m", "45s", "500ms" or a plain
 * number of seconds into milliseconds. Returns 0 or -1.
 */
int clock_parse_duration(const char *s, int64_t *ms);

/*
 * The date clock_parse_memo read last: its text and its midnight (ms;
 * day_ms INT64_MIN: none yet). Start one with clock_memo_init.
 */
struct clock_memo {
	char day[10];
	int64_t day_ms;
};

/* Start m with no date read. */
void clock_memo_init(struct clock_memo *m);

/*
 * clock_parse(s, n, NULL, t, …), faster for the form events carry,
 * YYYY-MM-DDTHH:MM:SS.mmmZ: a date seen last (in m) is not read again, its
 * midnight is what clock_parse gave for it. Any other text is read by
 * clock_parse. Returns 0 and sets *t, or -1.
 */
int clock_parse_memo(struct clock_memo *m, const char *s, size_t n, int64_t *t);

/* Token t (0: absent) of d as a time: a JSON string clock_parse reads
 * (UTC when it has no zone). Returns 0 with *ms set, or -1. */
int clock_parse_tok(const struct json_doc *d, uint32_t t, int64_t *ms);

#endif
