/*
 * gen-events - deterministic synthetic events for tests and benchmarks.
 *
 *   gen-events [-n COUNT] [-p PEOPLE] [-s SEED] [-d DUPLICATE%] [-t START] [-o | -c]
 *
 * Prints COUNT canonical-shaped events (about 180 bytes each) for PEOPLE
 * people over time from START (epoch seconds), one every few seconds, with
 * phones in several written forms, emails in mixed case, cookies and
 * devices; DUPLICATE% of lines repeat an earlier event exactly. -o writes
 * them as idmerge would pass them on: an event_id first and the person's
 * oneid (their number + 1) last, for the tools after idmerge; -c writes
 * the same events as CSV lines oneid,ms,type (ms since the epoch), for
 * the databases a benchmark runs beside (without -d).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "clock.h"

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

int main(int argc, char **argv)
{
	static const char *const types[] = {"page_view", "page_view", "page_view", "add_to_cart",
					    "order_paid", "ad_click", "app_open", "search"};
	static const char *const cats[] = {"face", "body", "hair", "makeup", "fragrance", "men"};
	static const char *const chans[] = {"web", "app", "miniprogram", "store"};
	long long n = 1000000, people = 100000, i;
	int64_t t = 1790000000;
	int dup = 0, opt, oneid = 0, csv = 0;
	char iso[CLOCK_ISO_LEN + 1];
	char last[512] = "";

	rng = 0x9e3779b97f4a7c15ull;
	while ((opt = getopt(argc, argv, "n:p:s:d:t:oc")) != -1) {
		switch (opt) {
		case 'n': n = atoll(optarg); break;
		case 'p': people = atoll(optarg); break;
		case 's': rng ^= (uint64_t)atoll(optarg) * 0x2545f4914f6cdd1dull; break;
		case 'd': dup = atoi(optarg); break;
		case 't': t = atoll(optarg); break;
		case 'o': oneid = 1; break;
		case 'c': csv = 1; break;
		default:
			fprintf(stderr, "usage: gen-events [-n COUNT] [-p PEOPLE] [-s SEED] [-d DUP%%] [-t START] [-o | -c]\n");
			return 64;
		}
	}
	if (people < 1)
		people = 1;
	for (i = 0; i < n; i++) {
		uint64_t r = next();
		long long who = (long long)(r % (uint64_t)people);
		const char *type = types[(r >> 20) % 8];
		int form = (int)((r >> 24) % 4);
		char phone[40], ids[200];
		int len;

		if (dup && last[0] && (int)((r >> 40) % 100) < dup) {
			puts(last);
			continue;
		}
		t += (int64_t)((r >> 32) % 4);
		if (csv) {
			printf("%lld,%lld,%s\n", who + 1, (long long)(t * 1000 + (int64_t)((r >> 8) % 1000)), type);
			continue;
		}
		clock_format(t * 1000 + (int64_t)((r >> 8) % 1000), iso);
		switch (form) {
		case 0: snprintf(phone, sizeof phone, "1%010lld", 3800000000LL + who); break;
		case 1: snprintf(phone, sizeof phone, "+86 1%010lld", 3800000000LL + who); break;
		case 2: snprintf(phone, sizeof phone, "86-1%010lld", 3800000000LL + who); break;
		default: snprintf(phone, sizeof phone, "+861%010lld", 3800000000LL + who);
		}
		switch ((r >> 28) % 3) {
		case 0:
			snprintf(ids, sizeof ids, "\"cookie\":\"ck-%llx-%d\",\"phone\":\"%s\"", who,
				 (int)((r >> 50) % 3), phone);
			break;
		case 1:
			snprintf(ids, sizeof ids, "\"email\":\"User%lld@Example.com\",\"device\":\"dv-%llx\"",
				 who, who * 7919);
			break;
		default:
			snprintf(ids, sizeof ids, "\"member\":\"M%08lld\",\"phone\":\"%s\"", who, phone);
		}
		if (oneid)
			len = snprintf(last, sizeof last,
				       "{\"event_id\":\"g%lld\",\"ts\":\"%s\",\"type\":\"%s\",\"source\":\"gen\",\"channel\":\"%s\","
				       "\"ids\":{%s},\"props\":{\"category\":\"%s\",\"amount\":%d.%02d},\"oneid\":%lld}",
				       i, iso, type, chans[(r >> 44) % 4], ids, cats[(r >> 36) % 6],
				       (int)((r >> 12) % 500), (int)((r >> 4) % 100), who + 1);
		else
			len = snprintf(last, sizeof last,
				       "{\"type\":\"%s\",\"ts\":\"%s\",\"source\":\"gen\",\"channel\":\"%s\","
				       "\"ids\":{%s},\"props\":{\"category\":\"%s\",\"amount\":%d.%02d}}",
				       type, iso, chans[(r >> 44) % 4], ids, cats[(r >> 36) % 6],
				       (int)((r >> 12) % 500), (int)((r >> 4) % 100));
		if (len < 0 || (size_t)len >= sizeof last)
			return 70;
		puts(last);
	}
	return fflush(stdout) ? 74 : 0;
}
