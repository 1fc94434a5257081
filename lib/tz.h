/*
 * tz - time zones: fixed offsets and IANA zones read from TZif files.
 *
 * A struct tz converts between UTC and a zone's local wall time. Named zones
 * ("Europe/London", "Asia/Shanghai") are loaded from the system's zoneinfo
 * directory ($TZDIR, else /usr/share/zoneinfo), TZif version 1, 2 or 3
 * (the 64-bit data is used where present, and the footer TZ string rule for
 * times after the last transition). Fixed offsets are written "+08:00",
 * "-0530", "UTC" or "Z".
 */
#ifndef UOPS_TZ_H
#define UOPS_TZ_H

#include <stdint.h>

struct tz;

/*
 * Load a zone by name or fixed offset. Returns a new zone the caller frees
 * with tz_free, or NULL with *why set to a static reason (unknown zone,
 * unreadable or malformed file).
 */
struct tz *tz_load(const char *name, const char **why);
void tz_free(struct tz *z);
/* The name given to tz_load; owned by z. */
const char *tz_name(const struct tz *z);

/* The zone's offset from UTC in seconds at UTC instant t (seconds). */
int32_t tz_offset_at_utc(const struct tz *z, int64_t t);

/*
 * UTC seconds for local wall-clock seconds `local` (seconds since the epoch
 * as if the wall clock were UTC). In a gap (spring forward) the time is read
 * with the offset before the gap; in an overlap (fall back) the earlier
 * instant is chosen. Deterministic for a given zone file.
 */
int64_t tz_local_to_utc(const struct tz *z, int64_t local);

#endif
