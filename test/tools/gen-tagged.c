/*
 * gen-tagged - deterministic synthetic events that already carry a oneid
 * (idmerge's output shape), for tagger tests and benchmarks.
 *
 *   gen-tagged [-a] [-n COUNT] [-p PEOPLE] [-s SEED] [-t START] [-g GAP]
 *
 * Prints COUNT events for PEOPLE people (oneids 1..PEOPLE, uniformly
 * drawn; with -a the first PEOPLE events visit every person once, in a
 * scrambled order) from START (epoch seconds), GAP seconds apart on average: views,
 * cart adds, orders with amounts and categories (some with a coupon), ad
 * clicks, refunds; one order in six is of a new product; one event in
 * twenty carries traits.
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

static uint64_t gcd(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

int main(int argc, char **argv)
{
	static const char *const types[] = {"product_view", "product_view", "product_view", "page_view",
					    "add_to_cart", "order_paid", "order_paid", "ad_click",
					    "app_open", "order_refunded"};
	static const char *const cats[] = {"face", "body", "hair", "makeup", "fragrance", "men"};
	static const char *const cities[] = {"上海", "北京", "广州", "深圳", "杭州"};
	long long n = 1000000, people = 100000, i;
	int64_t t = 1790000000, gap = 2;
	int opt, all = 0;
	uint64_t stride;
	char iso[CLOCK_ISO_LEN + 1];

	rng = 0x9e3779b97f4a7c15ull;
	while ((opt = getopt(argc, argv, "an:p:s:t:g:")) != -1) {
		switch (opt) {
		case 'a': all = 1; break;
		case 'n': n = atoll(optarg); break;
		case 'p': people = atoll(optarg); break;
		case 's': rng ^= (uint64_t)atoll(optarg) * 0x2545f4914f6cdd1dull; break;
		case 't': t = atoll(optarg); break;
		case 'g': gap = atoll(optarg); break;
		default:
			fprintf(stderr, "usage: gen-tagged [-a] [-n COUNT] [-p PEOPLE] [-s SEED] [-t START] [-g GAP]\n");
			return 64;
		}
	}
	if (people < 1)
		people = 1;
	if (gap < 1)
		gap = 1;
	/* a stride coprime with people walks every oneid once */
	stride = 2654435761u % (uint64_t)people;
	while (people > 2 && (stride < 2 || gcd((uint64_t)people, stride) != 1))
		stride++;
	for (i = 0; i < n; i++) {
		uint64_t r = next(), r2 = next();
		long long who = 1 + (long long)(r % (uint64_t)people);
		if (all && i < people)
			who = 1 + (long long)(((uint64_t)i * stride) % (uint64_t)people);
		const char *type = types[(r >> 20) % 10];
		const char *cat = cats[(r >> 36) % 6];

		t += (int64_t)((r >> 32) % (uint64_t)(2 * gap));
		clock_format(t * 1000 + (int64_t)((r >> 8) % 1000), iso);
		printf("{\"event_id\":\"g%lld\",\"ts\":\"%s\",\"type\":\"%s\",\"source\":\"gen\",\"channel\":\"app\","
		       "\"ids\":{\"member\":\"M%08lld\"},", i, iso, type, who);
		if (type[0] == 'o')
			printf("\"props\":{\"order_id\":\"o%lld\",\"amount\":%s%d.%02d,\"category\":\"%s\"%s%s}", i,
			       type[6] == 'r' ? "-" : "", (int)((r2 >> 12) % 800), (int)((r2 >> 4) % 100), cat,
			       (r2 >> 40) % 4 == 0 ? ",\"coupon_id\":\"c1\"" : "",
			       (r2 >> 44) % 6 == 0 ? ",\"is_new\":true" : "");
		else
			printf("\"props\":{\"category\":\"%s\",\"price\":%d}", cat, (int)((r2 >> 12) % 500));
		if ((r2 >> 50) % 20 == 0)
			printf(",\"traits\":{\"gender\":\"%s\",\"city\":\"%s\"}", (r2 >> 55) % 2 ? "f" : "m",
			       cities[(r2 >> 56) % 5]);
		printf(",\"oneid\":%lld}\n", who);
	}
	return fflush(stdout) ? 74 : 0;
}
