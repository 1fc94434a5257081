/*
 * t-clock - calendar arithmetic, formatting and timestamp parsing.
 * Expected instants were computed with `date -u -d ... +%s`.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "t.h"

#define BAD INT64_MIN

static const struct tz *zone;	/* for parse() and reason(); NULL: UTC */

/* Parse s from an exact-size copy (no NUL), so over-reads trip ASan. */
static int64_t parse(const char *s)
{
	size_t n = strlen(s);
	char *c = xmalloc(n);
	const char *why = NULL;
	int64_t t = 0;
	int r;

	memcpy(c, s, n);
	r = clock_parse(c, n, zone, &t, &why);
	free(c);
	return r ? BAD : t;
}

/* The reason clock_parse gives for s, or "accepted". */
static const char *reason(const char *s)
{
	size_t n = strlen(s);
	char *c = xmalloc(n);
	const char *why = "accepted";
	int64_t t;

	memcpy(c, s, n);
	if (!clock_parse(c, n, zone, &t, &why))
		why = "accepted";
	free(c);
	return why;
}

static int64_t epoch(const char *s)
{
	const char *why;
	int64_t t;

	return clock_parse_epoch(s, strlen(s), &t, &why) ? BAD : t;
}

static const char *epoch_reason(const char *s)
{
	const char *why = "accepted";
	int64_t t;

	if (!clock_parse_epoch(s, strlen(s), &t, &why))
		why = "accepted";
	return why;
}

static int64_t dur(const char *s)
{
	int64_t ms;

	return clock_parse_duration(s, &ms) ? BAD : ms;
}

static const char *fmt(int64_t t, char *out)
{
	clock_format(t, out);
	return out;
}

static void test_civil(void)
{
	int64_t y = 1970, yy;
	unsigned m = 1, d = 1, mm, dd;
	int bad = 0;
	static const unsigned char len[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	T_EQ_INT(clock_days_from_civil(1970, 1, 1), 0);
	T_EQ_INT(clock_days_from_civil(1969, 12, 31), -1);
	T_EQ_INT(clock_days_from_civil(2000, 3, 1), 11017);
	T_EQ_INT(clock_days_from_civil(2024, 2, 29), 1709164800 / 86400);
	T_EQ_INT(clock_days_from_civil(0, 1, 1), -62167219200 / 86400);
	T_EQ_INT(clock_days_from_civil(1601, 1, 1), -11644473600 / 86400);
	T_EQ_INT(clock_days_from_civil(-1, 12, 31), -62167219200 / 86400 - 1);

	clock_civil_from_days(-1, &yy, &mm, &dd);
	T_OK(yy == 1969 && mm == 12 && dd == 31);
	clock_civil_from_days(1709164800 / 86400, &yy, &mm, &dd);
	T_OK(yy == 2024 && mm == 2 && dd == 29);

	/* Walk a naive calendar forwards from 1970 and check both ways. */
	for (int64_t z = 0; z < 3000000; z++) {
		clock_civil_from_days(z, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d ||
		    clock_days_from_civil(y, m, d) != z)
			bad++;
		unsigned ml = len[m - 1] +
			(m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
		if (++d > ml) {
			d = 1;
			if (++m > 12) {
				m = 1;
				y++;
			}
		}
	}
	T_EQ_INT(bad, 0);
	/* And backwards into negative years. */
	y = 1969;
	m = 12;
	d = 31;
	bad = 0;
	for (int64_t z = -1; z > -1500000; z--) {
		clock_civil_from_days(z, &yy, &mm, &dd);
		if (yy != y || mm != m || dd != d ||
		    clock_days_from_civil(y, m, d) != z)
			bad++;
		if (--d == 0) {
			if (--m == 0) {
				m = 12;
				y--;
			}
			d = len[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) ||
						     y % 400 == 0));
		}
	}
	T_EQ_INT(bad, 0);
}

static void test_format(void)
{
	char out[CLOCK_ISO_LEN + 1];
	static const int64_t spread[] = {
		0, 1, -1, 999, -999, 1000, -1000, 86399999, -86400000,
		1793153767123, 1709164800000, -301233600000, -2208988800000,
		-11644473600001, -62135596800000, -62167219200000,
		253402300799999, 951782400000, 4102444800000, 1483228799999,
	};
	int64_t t;
	const char *why;

	T_EQ_STR(fmt(0, out), "1970-01-01T00:00:00.000Z");
	T_EQ_INT(strlen(out), CLOCK_ISO_LEN);
	T_EQ_STR(fmt(-1, out), "1969-12-31T23:59:59.999Z");
	T_EQ_STR(fmt(1793153767123, out), "2026-10-28T02:16:07.123Z");
	T_EQ_STR(fmt(1709164800000, out), "2024-02-29T00:00:00.000Z");
	T_EQ_STR(fmt(-301233600000, out), "1960-06-15T12:00:00.000Z");
	T_EQ_STR(fmt(-301233600001, out), "1960-06-15T11:59:59.999Z");
	T_EQ_STR(fmt(-11644473600000, out), "1601-01-01T00:00:00.000Z");
	T_EQ_STR(fmt(-62167219200000, out), "0000-01-01T00:00:00.000Z");
	T_EQ_STR(fmt(253402300799999, out), "9999-12-31T23:59:59.999Z");
	/* Clamped at the ends of 0000..9999. */
	T_EQ_STR(fmt(-62167219200001, out), "0000-01-01T00:00:00.000Z");
	T_EQ_STR(fmt(INT64_MIN, out), "0000-01-01T00:00:00.000Z");
	T_EQ_STR(fmt(253402300800000, out), "9999-12-31T23:59:59.999Z");
	T_EQ_STR(fmt(INT64_MAX, out), "9999-12-31T23:59:59.999Z");
	/* Times of one day in a row (its date kept from the one before),
	 * the day changing back and forth, a clamped day twice. */
	T_EQ_STR(fmt(1790273086464, out), "2026-09-24T18:04:46.464Z");
	T_EQ_STR(fmt(1790273086465, out), "2026-09-24T18:04:46.465Z");
	T_EQ_STR(fmt(1790208000000, out), "2026-09-24T00:00:00.000Z");
	T_EQ_STR(fmt(1790207999999, out), "2026-09-23T23:59:59.999Z");
	T_EQ_STR(fmt(1790294399999, out), "2026-09-24T23:59:59.999Z");
	T_EQ_STR(fmt(-1, out), "1969-12-31T23:59:59.999Z");
	T_EQ_STR(fmt(-86400000, out), "1969-12-31T00:00:00.000Z");
	T_EQ_STR(fmt(253402300800000, out), "9999-12-31T23:59:59.999Z");
	T_EQ_STR(fmt(253402300800001, out), "9999-12-31T23:59:59.999Z");
	T_EQ_STR(fmt(253402300799998, out), "9999-12-31T23:59:59.998Z");
	T_EQ_STR(fmt(-62167219200001, out), "0000-01-01T00:00:00.000Z");
	T_EQ_STR(fmt(-62167219199999, out), "0000-01-01T00:00:00.001Z");

	for (size_t i = 0; i < sizeof(spread) / sizeof(spread[0]); i++) {
		clock_format(spread[i], out);
		T_OK(!clock_parse(out, strlen(out), NULL, &t, &why));
		T_EQ_INT(t, spread[i]);
	}
	/* A denser sweep across the epoch and far into the past. */
	int bad = 0;
	for (t = -62167219200000; t < 253402300799999;
	     t += 123456789012 + (t & 0xfff)) {
		int64_t back = 0;

		clock_format(t, out);
		if (clock_parse(out, strlen(out), NULL, &back, &why) ||
		    back != t)
			bad++;
	}
	T_EQ_INT(bad, 0);
}

static void test_parse_iso(void)
{
	const char *why;
	int64_t t;

	T_EQ_INT(parse("2026-10-28T02:16:07.123Z"), 1793153767123);
	T_EQ_INT(parse("2026-10-28t02:16:07.123z"), 1793153767123);
	T_EQ_INT(parse("2026-10-28 02:16:07.123Z"), 1793153767123);
	T_EQ_INT(parse("2026-10-28T02:16:07Z"), 1793153767000);
	T_EQ_INT(parse("2026-10-28T02:16:07"), 1793153767000);
	T_EQ_INT(parse("2026-10-28T02:16"), 1793153760000);
	T_EQ_INT(parse("2026-10-28T02:16Z"), 1793153760000);
	T_EQ_INT(parse("2026-10-28"), 1793145600000);
	/* Fractions of any length, truncated to milliseconds. */
	T_EQ_INT(parse("2026-10-28T02:16:07.1234567Z"), 1793153767123);
	T_EQ_INT(parse("2026-10-28T02:16:07.9999Z"), 1793153767999);
	T_EQ_INT(parse("2026-10-28T02:16:07.1Z"), 1793153767100);
	T_EQ_INT(parse("2026-10-28T02:16:07.12Z"), 1793153767120);
	T_EQ_INT(parse("2026-10-28T02:16:07.000000000000000000001Z"),
		 1793153767000);
	/* Offsets. */
	T_EQ_INT(parse("2026-10-28T10:16:07.123+08:00"), 1793153767123);
	T_EQ_INT(parse("2026-10-28T10:16:07.123+0800"), 1793153767123);
	T_EQ_INT(parse("2026-10-28T10:16:07.123+08"), 1793153767123);
	T_EQ_INT(parse("2026-10-27T18:16:07-08:00"), 1793153767000);
	T_EQ_INT(parse("2026-10-27T20:46:07-0530"), 1793153767000);
	T_EQ_INT(parse("2026-10-28T02:16:07+00:00"), 1793153767000);
	T_EQ_INT(parse("2026-10-28T07:46-05:30"), 1793153760000 + 11 * 3600000);
	/* Leap years and leap seconds. */
	T_EQ_INT(parse("2024-02-29"), 1709164800000);
	T_EQ_INT(parse("2000-02-29T00:00:00Z"), 951782400000);
	T_EQ_INT(parse("2016-12-31T23:59:60Z"), 1483228799999);
	T_EQ_INT(parse("2016-12-31T23:59:60.5Z"), 1483228799999);
	/* Before 1970 and the ends of the range. */
	T_EQ_INT(parse("1960-06-15T12:00:00Z"), -301233600000);
	T_EQ_INT(parse("0000-01-01T00:00:00Z"), -62167219200000);
	T_EQ_INT(parse("9999-12-31T23:59:59.999Z"), 253402300799999);

	/* Only the n bytes given are read. */
	T_OK(!clock_parse("2026-10-28T02:16:07.123Zjunk", 24, NULL, &t, &why));
	T_EQ_INT(t, 1793153767123);

	T_EQ_STR(reason(""), "empty timestamp");
	T_EQ_STR(reason("abc"), "not a timestamp");
	T_EQ_STR(reason("2026-1-28"), "not a timestamp");
	T_EQ_STR(reason("2026/10/28"), "not a timestamp");
	T_EQ_STR(reason("2026-10"), "not a timestamp");
	T_EQ_STR(reason("2026-13-01"), "invalid month");
	T_EQ_STR(reason("2026-00-01"), "invalid month");
	T_EQ_STR(reason("2026-02-30"), "invalid day");
	T_EQ_STR(reason("2023-02-29"), "invalid day");
	T_EQ_STR(reason("1900-02-29"), "invalid day");
	T_EQ_STR(reason("2026-04-31"), "invalid day");
	T_EQ_STR(reason("2026-04-00"), "invalid day");
	T_EQ_STR(reason("2024-02-29"), "accepted");
	T_EQ_STR(reason("2026-10-28T24:00:00Z"), "invalid hour");
	T_EQ_STR(reason("2026-10-28T23:60:00Z"), "invalid minute");
	T_EQ_STR(reason("2026-10-28T23:59:61Z"), "invalid second");
	T_EQ_STR(reason("2026-10-28T02:16:07.123Zx"),
		 "trailing characters after time");
	T_EQ_STR(reason("2026-10-28T02:16:07 "), "trailing characters after time");
	T_EQ_STR(reason("2026-10-28T02:16:07.123ZZ"),
		 "trailing characters after time");
	T_EQ_STR(reason("2026-10-28T02:16:07+0800x"),
		 "trailing characters after time");
	T_EQ_STR(reason("2026-10-28T02:16:07+08:0"), "invalid zone offset");
	T_EQ_STR(reason("2026-10-28T02:16:07+24:00"), "invalid zone offset");
	T_EQ_STR(reason("2026-10-28T02:16:07+08:60"), "invalid zone offset");
	T_EQ_STR(reason("2026-10-28T02:16:07+"), "invalid zone offset");
	T_EQ_STR(reason("2026-10-28T02:16:07."), "invalid fraction");
	T_EQ_STR(reason("2026-10-28T02:16:07.Z"), "invalid fraction");
	T_EQ_STR(reason("2026-10-28x"), "trailing characters after date");
	T_EQ_STR(reason("2026-10-28Z"), "trailing characters after date");
	T_EQ_STR(reason("2026-10-28T"), "invalid time");
	T_EQ_STR(reason("2026-10-28T02"), "invalid time");
	T_EQ_STR(reason("2026-10-28T02:1"), "invalid time");
	T_EQ_STR(reason("2026-10-28T2:16:07"), "invalid time");
	T_EQ_STR(reason("2026-10-28T02:16:7"), "invalid time");
	T_EQ_STR(reason("2026-10-28T02:16:"), "invalid time");
	T_EQ_STR(reason("2026-10-28T02:16.5"), "trailing characters after time");
}

static void test_parse_epoch(void)
{
	/* Through clock_parse: digits (and a fraction) are epoch time. */
	T_EQ_INT(parse("1700000000"), 1700000000000);
	T_EQ_INT(parse("1700000000123"), 1700000000123);
	T_EQ_INT(parse("1700000000.5"), 1700000000500);
	T_EQ_INT(parse("1700000000.123999"), 1700000000123);
	T_EQ_INT(parse("0"), 0);
	T_EQ_INT(parse("99999999999"), 99999999999000);	/* 11 digits: s */
	T_EQ_INT(parse("100000000000"), 100000000000);	/* 12 digits: ms */
	T_EQ_INT(parse("999999999999999999"), 999999999999999999);
	T_EQ_STR(reason("1700000000123.5"),
		 "fraction not allowed in epoch milliseconds");
	T_EQ_STR(reason("1000000000000000000"), "epoch time out of range");
	T_EQ_STR(reason("-1700000000"), "negative epoch time");
	T_EQ_STR(reason("1700000000."), "invalid fraction");
	T_EQ_STR(reason("1700000000.5.5"), "not a timestamp");
	T_EQ_STR(reason("1700000000x"), "not a timestamp");
	T_EQ_STR(reason(".5"), "not a timestamp");
	T_EQ_STR(reason("17000 0000"), "not a timestamp");

	/* JSON number text. */
	T_EQ_INT(epoch("1700000000"), 1700000000000);
	T_EQ_INT(epoch("1700000000123"), 1700000000123);
	T_EQ_INT(epoch("1700000000.5"), 1700000000500);
	T_EQ_STR(epoch_reason("1.7e9"), "exponent not supported in epoch time");
	T_EQ_STR(epoch_reason("17E8"), "exponent not supported in epoch time");
	T_EQ_STR(epoch_reason("-1"), "negative epoch time");
	T_EQ_STR(epoch_reason(""), "empty timestamp");
	T_EQ_STR(epoch_reason("true"), "not a timestamp");
	T_EQ_STR(epoch_reason("1e"), "exponent not supported in epoch time");
	T_EQ_STR(epoch_reason("2026-10-28"), "not a timestamp");
}

static void test_parse_zone(void)
{
	const char *err = NULL;
	struct tz *london = tz_load("Europe/London", &err);
	struct tz *shanghai = tz_load("Asia/Shanghai", &err);
	struct tz *fixed = tz_load("+05:30", &err);

	T_OK(london && shanghai && fixed);
	if (!london || !shanghai || !fixed)
		goto out;

	zone = london;
	T_EQ_INT(parse("2010-12-01 08:26:00"), 1291191960000);	/* GMT */
	T_EQ_INT(parse("2011-06-01 08:26:00"), 1306913160000);	/* BST */
	T_EQ_INT(parse("2011-06-01T08:26:00.250"), 1306913160250);
	/* An explicit zone wins over the default zone. */
	T_EQ_INT(parse("2011-06-01T08:26:00Z"), 1306916760000);
	/* Gap: 01:30 does not exist; read with the offset before (GMT). */
	T_EQ_INT(parse("2026-03-29 01:30:00"), 1774747800000);
	/* Overlap: 01:30 happens twice; the earlier instant (BST) wins. */
	T_EQ_INT(parse("2026-10-25 01:30:00"), 1792888200000);
	T_EQ_INT(parse("2026-10-25 02:00:00"), 1792893600000);
	/* A bare date is local midnight; epoch digits are never local. */
	T_EQ_INT(parse("2011-06-01"), 1306882800000);
	T_EQ_INT(parse("1700000000"), 1700000000000);

	zone = shanghai;
	T_EQ_INT(parse("2026-10-28 10:16:07.123"), 1793153767123);
	T_EQ_INT(parse("2026-10-28"), 1793145600000 - 8 * 3600000);

	zone = fixed;
	T_EQ_INT(parse("2026-10-28T07:46:07"), 1793153767000);
out:
	zone = NULL;
	tz_free(london);
	tz_free(shanghai);
	tz_free(fixed);
}

static void test_duration(void)
{
	T_EQ_INT(dur("7d"), 7 * 86400000LL);
	T_EQ_INT(dur("12h"), 12 * 3600000LL);
	T_EQ_INT(dur("30m"), 30 * 60000LL);
	T_EQ_INT(dur("45s"), 45000);
	T_EQ_INT(dur("500ms"), 500);
	T_EQ_INT(dur("1w"), 7 * 86400000LL);
	T_EQ_INT(dur("90"), 90000);
	T_EQ_INT(dur("0"), 0);
	T_EQ_INT(dur(""), BAD);
	T_EQ_INT(dur("h"), BAD);
	T_EQ_INT(dur("-5s"), BAD);
	T_EQ_INT(dur("5 s"), BAD);
	T_EQ_INT(dur("1.5h"), BAD);
	T_EQ_INT(dur("5x"), BAD);
	T_EQ_INT(dur("5sec"), BAD);
	T_EQ_INT(dur("5H"), BAD);
	T_EQ_INT(dur("5ms "), BAD);
	T_EQ_INT(dur("99999999999999999999"), BAD);
	T_EQ_INT(dur("9223372036854775807w"), BAD);
	T_EQ_INT(dur(NULL), BAD);
}

/* clock_parse_memo gives what clock_parse gives, date by date, whether
 * the date is the one it read last or not. */
static void test_memo(void)
{
	static const char *const in[] = {
		"2026-10-28T02:16:07.123Z", "2026-10-28T23:59:59.999Z", "2026-10-28T00:00:00.000Z",
		"2026-10-29T12:00:00.500Z", "2026-10-28T02:16:07.123Z", "2026-10-28T02:16:60.000Z",
		"2026-10-28T24:00:00.000Z", "2026-02-30T01:00:00.000Z", "2026-10-28T01:00:00.000Z",
		"2026-10-28T02:16:07Z", "2026-10-28T02:16:07.123+01:00", "1793153767123", "2024-02-29T10:00:00.001Z",
		"2024-02-29T1x:00:00.001Z", "2024-02-29T10:00:00.0a1Z", "", "2026-10-28T02:16:07.123Z",
	};
	struct clock_memo m;
	unsigned i;

	clock_memo_init(&m);
	for (i = 0; i < sizeof in / sizeof *in; i++) {
		size_t n = strlen(in[i]);
		char *c = xmalloc(n + !n); /* exact size: over-reads trip ASan */
		const char *why;
		int64_t want = BAD, got = BAD;

		memcpy(c, in[i], n);
		if (clock_parse(c, n, NULL, &want, &why))
			want = BAD;
		if (clock_parse_memo(&m, c, n, &got))
			got = BAD;
		T_EQ_INT(got, want);
		free(c);
	}
	/* the date read last is the one remembered */
	T_OK(!memcmp(m.day, "2026-10-28", 10));
	T_EQ_INT(m.day_ms, 1793145600000);
}

int main(void)
{
	test_civil();
	test_format();
	test_parse_iso();
	test_parse_epoch();
	test_parse_zone();
	test_duration();
	test_memo();
	return t_done("clock");
}
