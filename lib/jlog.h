/*
 * jlog - the decision log of scheduler (scheduler.decisions), packed.
 *
 * A decision is one line of compact JSON: a $journey record, or a
 * condition that decided. The log keeps the decisions of one activation
 * of one person in one value, a line each, separated by '\n', under the
 * key (day, oneid, sequence number of the first line): keyed by day first,
 * a batch's decisions fall into the few runs of pages of the days its
 * clock crossed. Lines are packed: each phrase the records repeat
 * ({"type":"$journey","event_id":"jrn:, ","ts":", ","version":" …) is
 * one control byte 0x01 … 0x1e other than 0x0a (compact JSON holds none
 * raw, and 0x0a separates lines); 0x1f keeps a raw control byte after
 * it. The table is part of the store's format: never change a phrase,
 * only add one in a free slot.
 */
#ifndef UOPS_JLOG_H
#define UOPS_JLOG_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* Append the packed form of the line s (n bytes, no '\n') to out. */
void jlog_pack(struct buf *out, const char *s, size_t n);
/* Append the line packed as s (n bytes, no '\n') to out, unpacked. */
void jlog_unpack(struct buf *out, const char *s, size_t n);
/* The day of a decision's time t (ms; days since 1970-01-01 UTC, 0 before
 * it): the first part of its key. */
uint32_t jlog_day(int64_t t);

#endif
