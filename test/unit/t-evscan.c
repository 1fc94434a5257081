/*
 * t-evscan - the fast look at a record says "valid" only for what
 * json_parse accepts, with the same members: hand-picked lines (escapes,
 * \u escapes, duplicate keys at every depth, bad UTF-8, controls, NUL,
 * nesting, white space, trailing bytes), then a million random mutations
 * of event lines checked against json_parse. And it does say "valid" for
 * the events a pipe writes (or it would speed nothing up).
 */
#include <stdio.h>
#include <string.h>

#include "evscan.h"
#include "json.h"
#include "t.h"

static struct json_doc doc;

/* json_parse's answer for s, and when it accepts an object, its members
 * are the ones evscan found */
static int agrees(const char *s, size_t n)
{
	static const char *const names[4] = {"type", "ts", "oneid", "props"};
	struct evscan e;
	const char *why;
	size_t at;
	unsigned k;

	if (evscan_line(&e, s, n, 8))
		return 1; /* unsure: nothing claimed */
	if (json_parse(&doc, s, n, 8, &why, &at) || doc.t[0].type != JSON_OBJECT)
		return 0;
	for (k = 0; k < 4; k++) {
		const struct evscan_val *v = k == 0 ? &e.type : k == 1 ? &e.ts : k == 2 ? &e.oneid : &e.props;
		uint32_t t = json_get(&doc, 0, names[k], strlen(names[k]));
		if (!t) {
			if (v->kind != EVSCAN_NONE)
				return 0;
			continue;
		}
		switch (doc.t[t].type) {
		case JSON_STRING:
			if (v->kind != EVSCAN_STRING || v->s != doc.s + doc.t[t].off || v->n != doc.t[t].len ||
			    v->esc != doc.t[t].esc)
				return 0;
			break;
		case JSON_NUMBER:
			if (v->kind != EVSCAN_NUMBER || v->s != doc.s + doc.t[t].off || v->n != doc.t[t].len)
				return 0;
			break;
		case JSON_OBJECT:
			if (v->kind != EVSCAN_OBJECT || v->s != doc.s + doc.t[t].off || v->n != doc.t[t].len)
				return 0;
			break;
		default:
			if (v->kind != EVSCAN_OTHER)
				return 0;
		}
	}
	return 1;
}

static int valid(const char *s)
{
	struct evscan e;
	return !evscan_line(&e, s, strlen(s), 8);
}

int main(void)
{
	static const char *const unsure[] = {
		"",
		"   ",
		"[1,2]",
		"\"x\"",
		"{\"type\":\"a\"} x",
		"{\"type\":\"a\",}",
		"{\"type\":\"a\" \"ts\":1}",
		"{\"type\":\"a\",\"type\":\"b\"}",
		"{\"a\":{\"x\":1,\"x\":2}}",
		"{\"a\":[{\"x\":1,\"x\":2}]}",
		"{\"ty\\u0070e\":\"a\"}",
		"{\"t\\\"\":1}",
		"{\"type\":\"\\u0041\"}",
		"{\"type\":\"a\\x\"}",
		"{\"type\":\"a\xff\"}",
		"{\"type\":\"a\xc0\x80\"}",
		"{\"type\":\"a\xed\xa0\x80\"}",
		"{\"type\":\"a\tb\"}",
		"{\"n\":01}",
		"{\"n\":1.}",
		"{\"n\":-}",
		"{\"n\":1e}",
		"{\"n\":tru}",
		"{\"n\":nul}",
		"{\"a\":[[[[[[[[1]]]]]]]]}",
		"{\"type\":\"a\"",
		"{\"type\":\"a",
		"{\"type\"}",
	};
	static const char *const ok[] = {
		"{}",
		" {\"type\" : \"a\" , \"ts\":\"2026-01-01T00:00:00Z\"}\r",
		"{\"type\":\"a\\\"b\\n\",\"oneid\":12,\"props\":{\"x\":[1,2.5e3,-0.1,true,false,null,{}]}}",
		"{\"type\":\"视图\",\"city\":\"上海\",\"oneid\":3}",
		"{\"a\":[[[[[[1]]]]]]}",
		"{\"a\":{\"x\":1},\"b\":{\"x\":1}}",
	};
	static const char *const seeds[] = {
		"{\"event_id\":\"g0\",\"ts\":\"2026-09-21T14:13:23.538Z\",\"type\":\"ad_click\",\"source\":\"gen\",\"channel\":\"web\","
		"\"ids\":{\"cookie\":\"ck-6494-0\",\"phone\":\"86-13800025748\"},\"props\":{\"category\":\"makeup\",\"amount\":346.09},\"oneid\":25749}",
		"{\"type\":\"order_paid\",\"ts\":\"2026-01-06T10:00:00Z\",\"oneid\":1,\"props\":{\"order_id\":\"A\\\"1\",\"amount\":120,\"tags\":[\"a\",\"b\"]},"
		"\"traits\":{\"city\":\"上海\",\"x\":null}}",
		"{\"type\":\"$merge\",\"ts\":\"2026-02-01T00:00:00Z\",\"oneid\":2,\"merged\":[8,9]}",
	};
	static const char alphabet[] = "{}[]\":,\\ \t0123456789.-+eEtrufalsn\xc3\xa9\xe4\xb8\x8a\xff\x01";
	unsigned long long r = 88172645463325292ull;
	char buf[600];
	unsigned i, bad = 0, claimed = 0;

	for (i = 0; i < sizeof unsure / sizeof *unsure; i++) {
		if (valid(unsure[i]))
			fprintf(stderr, "claimed valid: %s\n", unsure[i]);
		T_OK(!valid(unsure[i]));
	}
	for (i = 0; i < sizeof ok / sizeof *ok; i++) {
		if (!valid(ok[i]))
			fprintf(stderr, "not valid: %s\n", ok[i]);
		T_OK(valid(ok[i]));
		T_OK(agrees(ok[i], strlen(ok[i])));
	}
	for (i = 0; i < sizeof seeds / sizeof *seeds; i++) {
		T_OK(valid(seeds[i]));
		T_OK(agrees(seeds[i], strlen(seeds[i])));
	}
	/* random edits of the seeds: a byte replaced, inserted or deleted, up
	 * to four times */
	for (i = 0; i < 1000000; i++) {
		const char *seed = seeds[i % 3];
		size_t n = strlen(seed), k, edits;
		memcpy(buf, seed, n);
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		edits = 1 + r % 4;
		for (k = 0; k < edits; k++) {
			size_t at;
			char c;
			r ^= r << 13, r ^= r >> 7, r ^= r << 17;
			at = (size_t)(r >> 8) % (n + 1);
			c = alphabet[(r >> 40) % (sizeof alphabet - 1)];
			switch (r % 3) {
			case 0:
				if (at < n)
					buf[at] = c;
				break;
			case 1:
				if (n + 1 < sizeof buf) {
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
				}
				break;
			default:
				if (at < n) {
					memmove(buf + at, buf + at + 1, n - at - 1);
					n--;
				}
			}
		}
		if (!agrees(buf, n)) {
			if (bad++ < 5)
				fprintf(stderr, "disagrees: %.*s\n", (int)n, buf);
		}
		{
			struct evscan e;
			claimed += !evscan_line(&e, buf, n, 8);
		}
	}
	T_EQ_INT(bad, 0);
	/* the mutations were not all rejected: the check saw valid lines too */
	T_OK(claimed > 10000);
	json_doc_release(&doc);
	return t_done("t-evscan");
}
