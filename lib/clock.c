/*
 * clock - event time: calendar arithmetic, canonical formatting and fast
 * parsing of ISO-8601 and epoch timestamps.
 *
 * Everything here is pure arithmetic on the proleptic Gregorian calendar;
 * nothing consults the C library's notion of local time, so all functions
 * are thread-safe.
 */
#include "clock.h"

#include <limits.h>
#include <string.h>

#define MS_PER_DAY INT64_C(86400000)

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -1;
}

static inline int is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

/* The value of n decimal digits at p, or -1 if one of them is no digit. */
static inline int num(const char *p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		unsigned d = (unsigned char)p[i] - (unsigned)'0';

		if (d > 9)
			return -1;
		v = v * 10 + (int)d;
	}
	return v;
}

static inline int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static inline unsigned month_days(int64_t y, unsigned m)
{
	static const unsigned char len[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	return m == 2 ? 28u + (unsigned)is_leap(y) : len[m - 1];
}

/*
 * The year is shifted to start on March 1 so the leap day is the last day
 * of the shifted year; 400-year eras of 146097 days then repeat exactly.
 * 719468 is the day number of 1970-01-01 counted from 0000-03-01.
 */
int64_t clock_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe, mp;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9;
	doy = (153 * mp + 2) / 5 + (int64_t)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void clock_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t era, doe, yoe, doy, mp, yy;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

static inline char *put2(char *p, unsigned v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* The date parts ("YYYY-MM-DDT", 11 bytes) of days formatted, in a slot
 * by the day's number modulo MEMO_DAYS: times come in runs of a few days
 * (a day's, and wake-ups some days after it), and the calendar is the
 * costly part. Per thread, so that threads may format at once. */
#define MEMO_DAYS 8
static _Thread_local struct {
	int64_t day;
	char date[12];
} memo[MEMO_DAYS] = {{INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""},
		     {INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""}, {INT64_MIN, ""}};

void clock_format(int64_t t, char *out)
{
	int64_t days = t / MS_PER_DAY, ms = t % MS_PER_DAY, y;
	unsigned m, d, sod, msec;
	char *p = out;

	if (ms < 0) {
		ms += MS_PER_DAY;
		days--;
	}
	if (days == memo[days & (MEMO_DAYS - 1)].day) {
		memcpy(p, memo[days & (MEMO_DAYS - 1)].date, 11);
		p += 11;
	} else {
		int keep = 1;
		clock_civil_from_days(days, &y, &m, &d);
		if (y < 0) {
			keep = 0;
			y = 0;
			m = 1;
			d = 1;
			ms = 0;
		} else if (y > 9999) {
			keep = 0;
			y = 9999;
			m = 12;
			d = 31;
			ms = MS_PER_DAY - 1;
		}
		p = put2(p, (unsigned)(y / 100));
		p = put2(p, (unsigned)(y % 100));
		*p++ = '-';
		p = put2(p, m);
		*p++ = '-';
		p = put2(p, d);
		*p++ = 'T';
		if (keep) { /* a day clamped is not */
			memcpy(memo[days & (MEMO_DAYS - 1)].date, out, 11);
			memo[days & (MEMO_DAYS - 1)].day = days;
		}
	}
	sod = (unsigned)(ms / 1000);
	msec = (unsigned)(ms % 1000);

	p = put2(p, sod / 3600);
	*p++ = ':';
	p = put2(p, sod / 60 % 60);
	*p++ = ':';
	p = put2(p, sod % 60);
	*p++ = '.';
	*p++ = (char)('0' + msec / 100);
	p = put2(p, msec % 100);
	*p++ = 'Z';
	*p = 0;
}

/*
 * Epoch digits with an optional fraction: 12 or more integer digits are
 * milliseconds (no fraction allowed), fewer are seconds.
 */
static int parse_epoch_digits(const char *s, size_t n, int64_t *t,
			      const char **why)
{
	size_t i = 0, k;
	int64_t v = 0, ms = 0;
	int scale = 100;

	while (i < n && is_digit(s[i])) {
		if (i < 18)
			v = v * 10 + (s[i] - '0');
		i++;
	}
	if (i == 0)
		return fail(why, "not a timestamp");
	if (i > 18)
		return fail(why, "epoch time out of range");
	if (i >= 12) {
		if (i < n)
			return fail(why, s[i] == '.' ?
				    "fraction not allowed in epoch milliseconds" :
				    "not a timestamp");
		*t = v;
		return 0;
	}
	if (i < n) {
		if (s[i] != '.')
			return fail(why, "not a timestamp");
		k = ++i;
		while (i < n && is_digit(s[i])) {
			ms += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == k)
			return fail(why, "invalid fraction");
		if (i < n)
			return fail(why, "not a timestamp");
	}
	*t = v * 1000 + ms;
	return 0;
}

/* "+HH:MM", "+HHMM", "+HH" (or '-') at s[*i]; seconds east of UTC. */
static int parse_offset(const char *s, size_t n, size_t *i, int32_t *off)
{
	size_t j = *i;
	int sign = s[j] == '-' ? -1 : 1, h, m = 0;

	if (n - j < 3 || (h = num(s + j + 1, 2)) < 0)
		return -1;
	j += 3;
	if (j < n && s[j] == ':') {
		if (n - j < 3 || (m = num(s + j + 1, 2)) < 0)
			return -1;
		j += 3;
	} else if (n - j >= 2 && is_digit(s[j])) {
		if ((m = num(s + j, 2)) < 0)
			return -1;
		j += 2;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	*i = j;
	return 0;
}

static int parse_iso(const char *s, size_t n, const struct tz *zone,
		     int64_t *t, const char **why)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, has_off = 0;
	int32_t off = 0;
	int64_t local;
	size_t i;

	if (n < 10 || (y = num(s, 4)) < 0 || s[4] != '-' || s[7] != '-' ||
	    (mo = num(s + 5, 2)) < 0 || (d = num(s + 8, 2)) < 0)
		return fail(why, "not a timestamp");
	if (mo < 1 || mo > 12)
		return fail(why, "invalid month");
	if (d < 1 || (unsigned)d > month_days(y, (unsigned)mo))
		return fail(why, "invalid day");

	i = 10;
	if (i == n)
		goto done;
	if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
		return fail(why, "trailing characters after date");
	if (n - i < 6 || (h = num(s + 11, 2)) < 0 || s[13] != ':' ||
	    (mi = num(s + 14, 2)) < 0)
		return fail(why, "invalid time");
	if (h > 23)
		return fail(why, "invalid hour");
	if (mi > 59)
		return fail(why, "invalid minute");
	i = 16;

	if (i < n && s[i] == ':') {
		if (n - i < 3 || (sec = num(s + i + 1, 2)) < 0)
			return fail(why, "invalid time");
		if (sec > 60)
			return fail(why, "invalid second");
		i += 3;
		if (i < n && s[i] == '.') {
			size_t k = ++i;
			int scale = 100;

			while (i < n && is_digit(s[i])) {
				ms += (s[i] - '0') * scale;
				scale /= 10;
				i++;
			}
			if (i == k)
				return fail(why, "invalid fraction");
		}
		if (sec == 60) {
			sec = 59;
			ms = 999;
		}
	}

	if (i < n) {
		if (s[i] == 'Z' || s[i] == 'z') {
			has_off = 1;
			i++;
		} else if (s[i] == '+' || s[i] == '-') {
			if (parse_offset(s, n, &i, &off))
				return fail(why, "invalid zone offset");
			has_off = 1;
		}
		if (i != n)
			return fail(why, "trailing characters after time");
	}

done:
	local = clock_days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
		h * 3600 + mi * 60 + sec;
	if (has_off)
		local -= off;
	else if (zone)
		local = tz_local_to_utc(zone, local);
	*t = local * 1000 + ms;
	return 0;
}

int clock_parse(const char *s, size_t n, const struct tz *zone, int64_t *t,
		const char **why)
{
	if (n == 0)
		return fail(why, "empty timestamp");
	if (n >= 5 && s[4] == '-')
		return parse_iso(s, n, zone, t, why);
	if (s[0] == '-')
		return fail(why, "negative epoch time");
	return parse_epoch_digits(s, n, t, why);
}

int clock_parse_epoch(const char *s, size_t n, int64_t *t, const char **why)
{
	size_t i = 0;

	if (n == 0)
		return fail(why, "empty timestamp");
	if (s[0] == '-')
		return fail(why, "negative epoch time");
	while (i < n && (is_digit(s[i]) || s[i] == '.'))
		i++;
	if (i > 0 && i < n && (s[i] == 'e' || s[i] == 'E'))
		return fail(why, "exponent not supported in epoch time");
	return parse_epoch_digits(s, n, t, why);
}

int clock_parse_duration(const char *s, int64_t *ms)
{
	int64_t v = 0, mul;
	const char *p = s;

	if (!s || !is_digit(*p))
		return -1;
	for (; is_digit(*p); p++) {
		if (v > (INT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	if (!*p || !strcmp(p, "s"))
		mul = 1000;
	else if (!strcmp(p, "ms"))
		mul = 1;
	else if (!strcmp(p, "m"))
		mul = 60 * 1000;
	else if (!strcmp(p, "h"))
		mul = 3600 * 1000;
	else if (!strcmp(p, "d"))
		mul = MS_PER_DAY;
	else if (!strcmp(p, "w"))
		mul = 7 * MS_PER_DAY;
	else
		return -1;
	if (v > INT64_MAX / mul)
		return -1;
	*ms = v * mul;
	return 0;
}

int clock_parse_tok(const struct json_doc *d, uint32_t t, int64_t *ms)
{
	const char *why;

	if (!t || d->t[t].type != JSON_STRING)
		return -1;
	return clock_parse(d->s + d->t[t].off, d->t[t].len, NULL, ms, &why);
}

void clock_memo_init(struct clock_memo *m)
{
	memset(m->day, 0, sizeof m->day);
	m->day_ms = INT64_MIN;
}

int clock_parse_memo(struct clock_memo *m, const char *s, size_t n, int64_t *t)
{
	const char *why;
	int h, mi, sec, milli;
	int64_t tod;

	if (n != CLOCK_ISO_LEN || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' || s[23] != 'Z' ||
	    (h = num(s + 11, 2)) < 0 || (mi = num(s + 14, 2)) < 0 || (sec = num(s + 17, 2)) < 0 ||
	    (milli = num(s + 20, 3)) < 0 || h > 23 || mi > 59 || sec > 59)
		return clock_parse(s, n, NULL, t, &why);
	tod = (((int64_t)h * 60 + mi) * 60 + sec) * 1000 + milli;
	if (m->day_ms == INT64_MIN || memcmp(m->day, s, 10)) {
		if (clock_parse(s, n, NULL, t, &why))
			return -1;
		memcpy(m->day, s, 10);
		m->day_ms = *t - tod;
		return 0;
	}
	*t = m->day_ms + tod;
	return 0;
}
