/*
 * ticker - `scheduler tick`: $tick records of the wall clock, for live
 * use. Time is event time everywhere else; a ticker is the one place the
 * wall clock enters the stream, as the clock of the records it writes, so
 * the wake-ups of a quiet stream still fall due. A tick is
 * {"type":"$tick","ts":"<ISO 8601 UTC, ms>"}.
 */
#ifndef UOPS_TICKER_H
#define UOPS_TICKER_H

#include <stdint.h>

/*
 * Write a $tick of the wall clock to out (a file, '-', *.zst or
 * kafka://…/topic; x and nx: -X properties for Kafka), flushed at once,
 * then another each every ms, until count ticks are written (count 0: no
 * end) or cli_stop is set (a signal ends the wait early). Returns 0, or
 * the exit code of the endpoint's failure (lib/endpoint).
 */
int ticker_run(const char *out, const char *const *x, int nx, int64_t every, long count);

#endif
