/*
 * t-tz - fixed offsets, system zones (checked against `zdump -v` and
 * `TZ=... date -d @...`), and hand-built TZif files that exercise v1 data,
 * v2 64-bit data, the footer's POSIX rules (Jn, n, Mm.w.d, negative and
 * > 24 h change times) and malformed input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "tz.h"
#include "t.h"

static const char *load_why(const char *name)
{
	const char *why = "loaded";
	struct tz *z = tz_load(name, &why);

	if (z) {
		why = "loaded";
		tz_free(z);
	}
	return why;
}

/* Seconds since the epoch of a UTC "YYYY-MM-DDTHH:MM:SSZ". */
static int64_t utc(const char *s)
{
	const char *why;
	int64_t t;

	if (clock_parse(s, strlen(s), NULL, &t, &why))
		return INT64_MIN;
	return t / 1000;
}

/* tz_local_to_utc on wall time "YYYY-MM-DDTHH:MM:SS", formatted. */
static const char *l2u(const struct tz *z, const char *wall, char *out)
{
	clock_format(tz_local_to_utc(z, utc(wall)) * 1000, out);
	return out;
}

static void test_fixed(void)
{
	static const struct {
		const char *name;
		int32_t off;
	} ok[] = {
		{"UTC", 0}, {"Z", 0}, {"GMT", 0},
		{"+05:30", 19800}, {"+0530", 19800}, {"-0800", -28800},
		{"-08:00", -28800}, {"+08", 28800}, {"-00:00", 0},
		{"+23:59", 86340},
	};
	const char *why;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct tz *z = tz_load(ok[i].name, &why);

		T_OK(z != NULL);
		if (!z)
			continue;
		T_EQ_STR(tz_name(z), ok[i].name);
		T_EQ_INT(tz_offset_at_utc(z, 0), ok[i].off);
		T_EQ_INT(tz_offset_at_utc(z, 1793153767), ok[i].off);
		T_EQ_INT(tz_offset_at_utc(z, -62167219200), ok[i].off);
		T_EQ_INT(tz_local_to_utc(z, 1793153767), 1793153767 - ok[i].off);
		tz_free(z);
	}
	T_EQ_STR(load_why("+24:00"), "invalid zone offset");
	T_EQ_STR(load_why("+05:60"), "invalid zone offset");
	T_EQ_STR(load_why("+5:30"), "invalid zone offset");
	T_EQ_STR(load_why("+05:3"), "invalid zone offset");
	T_EQ_STR(load_why("+05:"), "invalid zone offset");
	T_EQ_STR(load_why("+05:30x"), "invalid zone offset");
	T_EQ_STR(load_why("+053"), "invalid zone offset");
	T_EQ_STR(load_why("-"), "invalid zone offset");
}

static void test_names(void)
{
	T_EQ_STR(load_why("Nowhere/City"), "unknown zone");
	T_EQ_STR(load_why("Europe"), "unknown zone");	/* a directory */
	T_EQ_STR(load_why("../etc/passwd"), "invalid zone name");
	T_EQ_STR(load_why("Europe/../../etc/passwd"), "invalid zone name");
	T_EQ_STR(load_why("/etc/passwd"), "invalid zone name");
	T_EQ_STR(load_why(""), "invalid zone name");
	T_EQ_STR(load_why("Europe/London "), "invalid zone name");
	T_EQ_STR(load_why("Europe\\London"), "invalid zone name");
	T_EQ_STR(load_why("Europe/London"), "loaded");
	T_EQ_STR(load_why("Etc/GMT+5"), "loaded");
	T_EQ_STR(load_why("America/Port-au-Prince"), "loaded");
}

static void test_london(void)
{
	const char *why;
	struct tz *z = tz_load("Europe/London", &why);
	char out[CLOCK_ISO_LEN + 1];
	int bad = 0;

	T_OK(z != NULL);
	if (!z)
		return;
	T_EQ_STR(tz_name(z), "Europe/London");
	T_EQ_INT(tz_offset_at_utc(z, utc("2010-12-01T08:26:00Z")), 0);
	T_EQ_INT(tz_offset_at_utc(z, utc("2011-06-01T07:26:00Z")), 3600);
	/* 2026 changes at 01:00Z (table data). */
	T_EQ_INT(tz_offset_at_utc(z, 1774746000 - 1), 0);
	T_EQ_INT(tz_offset_at_utc(z, 1774746000), 3600);
	T_EQ_INT(tz_offset_at_utc(z, 1792890000 - 1), 3600);
	T_EQ_INT(tz_offset_at_utc(z, 1792890000), 0);
	/* 2045 changes come from the footer "GMT0BST,M3.5.0/1,M10.5.0". */
	T_EQ_INT(tz_offset_at_utc(z, 2374102800 - 1), 0);
	T_EQ_INT(tz_offset_at_utc(z, 2374102800), 3600);
	T_EQ_INT(tz_offset_at_utc(z, 2392851600 - 1), 3600);
	T_EQ_INT(tz_offset_at_utc(z, 2392851600), 0);
	/* British Standard Time: GMT+1 all year 1968-10-27 .. 1971-10-31. */
	T_EQ_INT(tz_offset_at_utc(z, utc("1970-01-01T00:00:00Z")), 3600);

	T_EQ_STR(l2u(z, "2010-12-01T08:26:00", out),
		 "2010-12-01T08:26:00.000Z");
	T_EQ_STR(l2u(z, "2011-06-01T08:26:00", out),
		 "2011-06-01T07:26:00.000Z");
	/* Gap: 01:00-02:00 is skipped; the GMT reading applies. */
	T_EQ_STR(l2u(z, "2026-03-29T00:59:59", out),
		 "2026-03-29T00:59:59.000Z");
	T_EQ_STR(l2u(z, "2026-03-29T01:00:00", out),
		 "2026-03-29T01:00:00.000Z");
	T_EQ_STR(l2u(z, "2026-03-29T01:30:00", out),
		 "2026-03-29T01:30:00.000Z");
	T_EQ_STR(l2u(z, "2026-03-29T02:00:00", out),
		 "2026-03-29T01:00:00.000Z");
	/* Overlap: 01:00-02:00 happens twice; the earlier (BST) wins. */
	T_EQ_STR(l2u(z, "2026-10-25T00:59:59", out),
		 "2026-10-24T23:59:59.000Z");
	T_EQ_STR(l2u(z, "2026-10-25T01:00:00", out),
		 "2026-10-25T00:00:00.000Z");
	T_EQ_STR(l2u(z, "2026-10-25T01:30:00", out),
		 "2026-10-25T00:30:00.000Z");
	T_EQ_STR(l2u(z, "2026-10-25T02:00:00", out),
		 "2026-10-25T02:00:00.000Z");
	/* The same from the footer rule. */
	T_EQ_STR(l2u(z, "2045-03-26T01:30:00", out),
		 "2045-03-26T01:30:00.000Z");
	T_EQ_STR(l2u(z, "2045-10-29T01:30:00", out),
		 "2045-10-29T00:30:00.000Z");

	/*
	 * Every quarter hour 2020-2060: the wall time of t maps back to t,
	 * or (in an overlap) to the earlier instant with the same wall time.
	 */
	for (int64_t t = 1577836800; t < 2840140800; t += 900) {
		int64_t local = t + tz_offset_at_utc(z, t);
		int64_t u = tz_local_to_utc(z, local);

		if (u > t || u + tz_offset_at_utc(z, u) != local ||
		    (u != t && t - u != 3600))
			bad++;
	}
	T_EQ_INT(bad, 0);
	tz_free(z);
}

static void test_new_york(void)
{
	const char *why;
	struct tz *z = tz_load("America/New_York", &why);
	char out[CLOCK_ISO_LEN + 1];

	T_OK(z != NULL);
	if (!z)
		return;
	/* 2030: explicit transitions (the file's table runs to 2037). */
	T_EQ_INT(tz_offset_at_utc(z, 1899356400 - 1), -18000);
	T_EQ_INT(tz_offset_at_utc(z, 1899356400), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 1919916000 - 1), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 1919916000), -18000);
	/* 2040 and 2100: the footer "EST5EDT,M3.2.0,M11.1.0". */
	T_EQ_INT(tz_offset_at_utc(z, 2215062000 - 1), -18000);
	T_EQ_INT(tz_offset_at_utc(z, 2215062000), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 2235621600 - 1), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 2235621600), -18000);
	T_EQ_INT(tz_offset_at_utc(z, 4108690800 - 1), -18000);
	T_EQ_INT(tz_offset_at_utc(z, 4108690800), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 4129250400 - 1), -14400);
	T_EQ_INT(tz_offset_at_utc(z, 4129250400), -18000);
	/* Before the first transition: local mean time, -4:56:02. */
	T_EQ_INT(tz_offset_at_utc(z, -11670953104), -17762);
	T_EQ_INT(tz_offset_at_utc(z, -2208988800), -18000);

	T_EQ_STR(l2u(z, "2030-03-10T02:30:00", out),
		 "2030-03-10T07:30:00.000Z");
	T_EQ_STR(l2u(z, "2030-11-03T01:30:00", out),
		 "2030-11-03T05:30:00.000Z");
	T_EQ_STR(l2u(z, "2040-03-11T02:30:00", out),
		 "2040-03-11T07:30:00.000Z");
	T_EQ_STR(l2u(z, "2040-03-11T03:00:00", out),
		 "2040-03-11T07:00:00.000Z");
	T_EQ_STR(l2u(z, "2040-11-04T01:30:00", out),
		 "2040-11-04T05:30:00.000Z");
	T_EQ_STR(l2u(z, "2040-11-04T02:00:00", out),
		 "2040-11-04T07:00:00.000Z");
	T_EQ_STR(l2u(z, "2040-07-04T12:00:00", out),
		 "2040-07-04T16:00:00.000Z");
	tz_free(z);
}

static void test_others(void)
{
	const char *why;
	struct tz *sh = tz_load("Asia/Shanghai", &why);
	struct tz *syd = tz_load("Australia/Sydney", &why);
	char out[CLOCK_ISO_LEN + 1];

	T_OK(sh && syd);
	if (!sh || !syd)
		goto out;
	T_EQ_INT(tz_offset_at_utc(sh, 1793153767), 28800);
	T_EQ_INT(tz_offset_at_utc(sh, 646790400), 32400);	/* 1990 CDT */
	T_EQ_INT(tz_offset_at_utc(sh, -2240524800), 29143);	/* LMT */
	T_EQ_INT(tz_offset_at_utc(sh, 4102444800), 28800);	/* 2100 */
	T_EQ_STR(l2u(sh, "2026-10-28T10:16:07", out),
		 "2026-10-28T02:16:07.000Z");

	/* Southern hemisphere footer "AEST-10AEDT,M10.1.0,M4.1.0/3". */
	T_EQ_INT(tz_offset_at_utc(syd, 2374675200 - 1), 39600);
	T_EQ_INT(tz_offset_at_utc(syd, 2374675200), 36000);
	T_EQ_INT(tz_offset_at_utc(syd, 2390400000 - 1), 36000);
	T_EQ_INT(tz_offset_at_utc(syd, 2390400000), 39600);
	T_EQ_INT(tz_offset_at_utc(syd, utc("2045-01-01T00:00:00Z")), 39600);
	T_EQ_INT(tz_offset_at_utc(syd, utc("2045-07-01T00:00:00Z")), 36000);
	/* Gap 02:00-03:00 on 2045-10-01, overlap 02:00-03:00 on 04-02. */
	T_EQ_STR(l2u(syd, "2045-10-01T02:30:00", out),
		 "2045-09-30T16:30:00.000Z");
	T_EQ_STR(l2u(syd, "2045-04-02T02:30:00", out),
		 "2045-04-01T15:30:00.000Z");
out:
	tz_free(sh);
	tz_free(syd);
}

/* ---- hand-built TZif files ------------------------------------------ */

struct tzif {
	int version;		/* 1, 2 or 3 */
	size_t ntrans, ntypes;
	const int64_t *trans;
	const uint8_t *idx;
	const int32_t *utoff;
	const uint8_t *isdst;
	int leap;		/* add one leap-second record */
	const char *footer;	/* NULL: no footer at all (malformed) */
};

static void put32(struct buf *b, uint32_t v)
{
	unsigned char c[4] = {v >> 24, v >> 16 & 0xff, v >> 8 & 0xff,
			      v & 0xff};

	buf_add(b, c, 4);
}

static void put_block(struct buf *b, const struct tzif *f, int version,
		      size_t tsize, size_t ntypes, const int32_t *utoff)
{
	static const char zeros[15];

	buf_add(b, "TZif", 4);
	buf_addc(b, version == 1 ? 0 : (char)('0' + version));
	buf_add(b, zeros, 15);
	put32(b, 0);				/* isutcnt */
	put32(b, 0);				/* isstdcnt */
	put32(b, (uint32_t)f->leap);		/* leapcnt */
	put32(b, (uint32_t)f->ntrans);	/* timecnt */
	put32(b, (uint32_t)ntypes);		/* typecnt */
	put32(b, 4);				/* charcnt */
	for (size_t i = 0; i < f->ntrans; i++) {
		if (tsize == 8)
			put32(b, (uint32_t)((uint64_t)f->trans[i] >> 32));
		put32(b, (uint32_t)f->trans[i]);
	}
	for (size_t i = 0; i < f->ntrans; i++)
		buf_addc(b, (char)f->idx[i]);
	for (size_t i = 0; i < ntypes; i++) {
		put32(b, (uint32_t)utoff[i]);
		buf_addc(b, (char)(f->isdst ? f->isdst[i] : 0));
		buf_addc(b, 0);
	}
	buf_add(b, "XXX", 4);
	if (f->leap) {
		if (tsize == 8)
			put32(b, 0);
		put32(b, 78796800);
		put32(b, 1);
	}
}

static int write_tzif(const char *dir, const char *name, const struct tzif *f,
		      size_t cut)
{
	struct buf b = BUF_INIT, path = BUF_INIT;
	static const int32_t bogus[] = {12345};
	FILE *fp;
	int ret = -1;

	if (f->version == 1) {
		put_block(&b, f, 1, 4, f->ntypes, f->utoff);
	} else {
		/* A v1 block that must be skipped: no transitions, and an
		 * offset that would show if it were used. */
		struct tzif v1 = *f;

		v1.ntrans = 0;
		v1.isdst = NULL;
		put_block(&b, &v1, f->version, 4, 1, bogus);
		put_block(&b, f, f->version, 8, f->ntypes, f->utoff);
		if (f->footer)
			buf_printf(&b, "\n%s\n", f->footer);
	}
	if (cut && cut < b.len)
		b.len = cut;
	buf_printf(&path, "%s/%s", dir, name);
	fp = fopen(path.p, "wb");
	if (!fp)
		goto out;
	if (fwrite(b.p, 1, b.len, fp) == b.len)
		ret = 0;
	if (fclose(fp))
		ret = -1;
out:
	buf_release(&b);
	buf_release(&path);
	return ret;
}

static void remove_file(const char *dir, const char *name)
{
	struct buf path = BUF_INIT;

	buf_printf(&path, "%s/%s", dir, name);
	unlink(path.p);
	buf_release(&path);
}

static void test_v1(void)
{
	static const int64_t trans[] = {-1000000000, 1000000000, 1100000000};
	static const uint8_t idx[] = {0, 2, 1};
	static const int32_t utoff[] = {3600, 0, 7200};
	static const uint8_t isdst[] = {1, 0, 1};
	const struct tzif f = {1, 3, 3, trans, idx, utoff, isdst, 0, NULL};
	const char *why;
	char dir[] = "/tmp/t-tz-XXXXXX";
	struct tz *z;

	if (!mkdtemp(dir) || write_tzif(dir, "V1", &f, 0)) {
		T_OK(!"cannot write test zone");
		return;
	}
	setenv("TZDIR", dir, 1);
	z = tz_load("V1", &why);
	T_OK(z != NULL);
	if (z) {
		/* Before the first transition: the first non-DST type. */
		T_EQ_INT(tz_offset_at_utc(z, -1000000001), 0);
		T_EQ_INT(tz_offset_at_utc(z, INT64_MIN), 0);
		T_EQ_INT(tz_offset_at_utc(z, -1000000000), 3600);
		T_EQ_INT(tz_offset_at_utc(z, 999999999), 3600);
		T_EQ_INT(tz_offset_at_utc(z, 1000000000), 7200);
		T_EQ_INT(tz_offset_at_utc(z, 1099999999), 7200);
		/* No footer in v1: the last type holds for ever. */
		T_EQ_INT(tz_offset_at_utc(z, 1100000000), 0);
		T_EQ_INT(tz_offset_at_utc(z, INT64_MAX), 0);
		/* Gap of 2 h at 1e9 (wall 1e9+3600 .. 1e9+7200 missing). */
		T_EQ_INT(tz_local_to_utc(z, 1000000000 + 5000),
			 1000000000 + 5000 - 3600);
		/* Overlap of 2 h at 1.1e9: the earlier instant. */
		T_EQ_INT(tz_local_to_utc(z, 1100000000 - 1000),
			 1100000000 - 1000 - 7200);
		T_EQ_INT(tz_local_to_utc(z, 1100000000 + 1000),
			 1100000000 + 1000 - 7200);
		T_EQ_INT(tz_local_to_utc(z, 1100000000 + 7200),
			 1100000000 + 7200);
		tz_free(z);
	}
	unsetenv("TZDIR");
	remove_file(dir, "V1");
	rmdir(dir);
}

static void test_v2(void)
{
	static const int64_t trans[] = {-3000000000, 1800000000};
	static const uint8_t idx[] = {1, 1};
	static const int32_t utoff[] = {1800, 7200, 10800};
	static const uint8_t isdst[] = {0, 0, 1};
	static const int64_t none[] = {0};
	static const uint8_t none_idx[] = {0};
	static const int32_t edt[] = {-18000, -14400};
	static const uint8_t edt_dst[] = {0, 1};
	static const int64_t one[] = {0};
	static const uint8_t one_idx[] = {1};
	static const int32_t two[] = {0, 3600};
	static const uint8_t bad_idx[] = {3, 1};
	/* J60 is 1 March in every year; 300 (zero-based) counts 29 Feb. */
	const struct tzif jn = {2, 2, 3, trans, idx, utoff, isdst, 1,
				"XST-2XDT,J60/-1,300/26"};
	/* RFC 8536 3.3.1: DST all year round (v3). */
	const struct tzif all = {3, 0, 2, none, none_idx, edt, edt_dst, 0,
				 "EST5EDT,0/0,J365/25"};
	/* Empty footer: the last transition's type holds. */
	const struct tzif empty = {2, 1, 2, one, one_idx, two, NULL, 0, ""};
	const struct tzif badrule = {2, 2, 3, trans, idx, utoff, isdst, 0,
				     "XST-2XDT,M13.1.0,M10.5.0"};
	const struct tzif nofooter = {2, 2, 3, trans, idx, utoff, isdst, 0,
				      NULL};
	const struct tzif badidx = {2, 2, 3, trans, bad_idx, utoff, isdst, 0,
				    ""};
	static const char *const names[] = {
		"Jn", "All", "Empty", "BadRule", "NoFooter", "BadIdx", "Cut",
		"Garbage",
	};
	char dir[] = "/tmp/t-tz-XXXXXX";
	char out[CLOCK_ISO_LEN + 1];
	const char *why;
	struct tz *z;
	FILE *fp;

	if (!mkdtemp(dir) || write_tzif(dir, "Jn", &jn, 0) ||
	    write_tzif(dir, "All", &all, 0) ||
	    write_tzif(dir, "Empty", &empty, 0) ||
	    write_tzif(dir, "BadRule", &badrule, 0) ||
	    write_tzif(dir, "NoFooter", &nofooter, 0) ||
	    write_tzif(dir, "BadIdx", &badidx, 0) ||
	    write_tzif(dir, "Cut", &jn, 150)) {
		T_OK(!"cannot write test zones");
		goto out;
	}
	{
		struct buf p = BUF_INIT;

		buf_printf(&p, "%s/Garbage", dir);
		fp = fopen(p.p, "wb");
		if (fp) {
			fputs("TZxx this is not a zone file", fp);
			fclose(fp);
		}
		buf_release(&p);
	}
	setenv("TZDIR", dir, 1);

	z = tz_load("Jn", &why);
	T_OK(z != NULL);
	if (z) {
		/* 64-bit data: a transition before 1901. */
		T_EQ_INT(tz_offset_at_utc(z, -3000000001), 1800);
		T_EQ_INT(tz_offset_at_utc(z, -3000000000), 7200);
		/* 2030: DST from 2030-02-28 21:00Z (23:00 local, i.e. 1 March
		 * at -1:00) to 2030-10-28 23:00Z (day 300 = 28 Oct, 26:00). */
		T_EQ_INT(tz_offset_at_utc(z, 1898542800 - 1), 7200);
		T_EQ_INT(tz_offset_at_utc(z, 1898542800), 10800);
		T_EQ_INT(tz_offset_at_utc(z, 1919458800 - 1), 10800);
		T_EQ_INT(tz_offset_at_utc(z, 1919458800), 7200);
		/* 2032 is a leap year: J60 is still 1 March (from 29 Feb
		 * 21:00Z); day 300 is 27 October. */
		T_EQ_INT(tz_offset_at_utc(z, 1961701200 - 1), 7200);
		T_EQ_INT(tz_offset_at_utc(z, 1961701200), 10800);
		T_EQ_INT(tz_offset_at_utc(z, 1982530800 - 1), 10800);
		T_EQ_INT(tz_offset_at_utc(z, 1982530800), 7200);
		/* Gap 23:00-24:00 on 28 Feb; overlap 01:00-02:00 on 29 Oct. */
		T_EQ_STR(l2u(z, "2030-02-28T23:30:00", out),
			 "2030-02-28T21:30:00.000Z");
		T_EQ_STR(l2u(z, "2030-03-01T00:00:00", out),
			 "2030-02-28T21:00:00.000Z");
		T_EQ_STR(l2u(z, "2030-10-29T01:30:00", out),
			 "2030-10-28T22:30:00.000Z");
		T_EQ_STR(l2u(z, "2030-10-29T02:00:00", out),
			 "2030-10-29T00:00:00.000Z");
		tz_free(z);
	}

	z = tz_load("All", &why);
	T_OK(z != NULL);
	if (z) {
		T_EQ_INT(tz_offset_at_utc(z, 1940630400), -14400);
		T_EQ_INT(tz_offset_at_utc(z, 1925008200), -14400);
		T_EQ_INT(tz_offset_at_utc(z, utc("2031-01-01T05:00:00Z")),
			 -14400);
		T_EQ_INT(tz_offset_at_utc(z, utc("2030-12-31T12:00:00Z")),
			 -14400);
		T_EQ_INT(tz_offset_at_utc(z, utc("2032-02-29T12:00:00Z")),
			 -14400);
		T_EQ_INT(tz_local_to_utc(z, utc("2031-01-01T00:30:00")),
			 utc("2031-01-01T04:30:00Z"));
		tz_free(z);
	}

	z = tz_load("Empty", &why);
	T_OK(z != NULL);
	if (z) {
		T_EQ_INT(tz_offset_at_utc(z, -1), 0);
		T_EQ_INT(tz_offset_at_utc(z, 0), 3600);
		T_EQ_INT(tz_offset_at_utc(z, 4000000000), 3600);
		tz_free(z);
	}

	T_EQ_STR(load_why("BadRule"), "malformed zone file");
	T_EQ_STR(load_why("NoFooter"), "malformed zone file");
	T_EQ_STR(load_why("BadIdx"), "malformed zone file");
	T_EQ_STR(load_why("Cut"), "malformed zone file");
	T_EQ_STR(load_why("Garbage"), "malformed zone file");
	T_EQ_STR(load_why("Missing"), "unknown zone");
out:
	unsetenv("TZDIR");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		remove_file(dir, names[i]);
	rmdir(dir);
}

int main(void)
{
	unsetenv("TZDIR");
	test_fixed();
	test_names();
	test_london();
	test_new_york();
	test_others();
	test_v1();
	test_v2();
	return t_done("tz");
}
