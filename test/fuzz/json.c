/*
 * json - lib/json on any bytes: the parser, then on what it accepts every
 * getter and writer, checked against each other:
 *   - a token lies inside the text, and a subtree ends after it starts;
 *   - a string's value (json_str_get) equals itself (json_str_eq), and
 *     written back as a string and parsed again it is the same value;
 *   - json_get finds the first key equal after unescaping, and
 *     json_get_keys gives what json_get gives, key by key (the first 16
 *     keys of each object);
 *   - the compact text (json_write_tok) parses into the same tokens, all
 *     marked compact, and writing that gives the same bytes again;
 *   - a plain number (json_num_plain) has the value strtod gives;
 *   - any bytes written with json_write_bytes_lossy parse as a string
 *     (unless they hold a NUL, whose escape the parser refuses).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "fuzz.h"

#define MAX_KEYS 16

static struct json_doc doc, doc2;
static struct buf out, out2, val, val2;

static void check_string(const struct json_doc *d, uint32_t i)
{
	const char *why;
	size_t at;

	buf_reset(&val);
	json_str_get(d, i, &val);
	if (!json_str_eq(d, i, val.p ? val.p : "", val.len))
		FZ_FAIL("string token %u is not equal to its own value", i);
	buf_reset(&out2);
	json_write_str(&out2, val.p ? val.p : "", val.len);
	if (json_parse(&doc2, out2.p, out2.len, 4, &why, &at))
		FZ_FAIL("a string's value written back does not parse: %s at %zu", why, at);
	buf_reset(&val2);
	json_str_get(&doc2, 0, &val2);
	if (val2.len != val.len || (val.len && memcmp(val.p, val2.p, val.len)))
		FZ_FAIL("a string's value written back reads differently");
}

static void check_object(const struct json_doc *d, uint32_t obj)
{
	struct json_key keys[MAX_KEYS];
	uint32_t want[MAX_KEYS], got[MAX_KEYS];
	char *copy[MAX_KEYS];
	uint32_t k, i, j, first;
	unsigned n = 0, q;

	for (k = 0, i = obj + 1; k < d->t[obj].size && n < MAX_KEYS; k++, i = d->t[i + 1].next) {
		if (d->t[i].type != JSON_STRING)
			FZ_FAIL("key of object %u is not a string", obj);
		buf_reset(&val);
		json_str_get(d, i, &val);
		/* the first key with this value */
		first = 0;
		for (q = 0, j = obj + 1; q <= k; q++, j = d->t[j + 1].next)
			if (json_str_eq(d, j, val.p ? val.p : "", val.len)) {
				first = j + 1;
				break;
			}
		if (json_get(d, obj, val.p ? val.p : "", val.len) != first)
			FZ_FAIL("json_get of key %u of object %u is not its first match", k, obj);
		copy[n] = malloc(val.len + 1);
		if (!copy[n])
			abort();
		memcpy(copy[n], val.p ? val.p : "", val.len);
		keys[n].s = copy[n];
		keys[n].n = val.len;
		want[n] = first;
		n++;
	}
	json_get_keys(d, obj, keys, n, got);
	for (q = 0; q < n; q++) {
		if (got[q] != want[q])
			FZ_FAIL("json_get_keys differs from json_get for key %u of object %u", q, obj);
		free(copy[q]);
	}
}

static void check_number(const struct json_doc *d, uint32_t i)
{
	const struct json_tok *t = &d->t[i];
	uint64_t digits;
	int frac, neg;
	char tmp[64];

	if (json_num_plain(d->s + t->off, t->len, &digits, &frac, &neg))
		return;
	if (t->len >= sizeof tmp)
		FZ_FAIL("a plain number of %u bytes", t->len);
	memcpy(tmp, d->s + t->off, t->len);
	tmp[t->len] = 0;
	if (json_num_value(digits, frac, neg) != strtod(tmp, NULL))
		FZ_FAIL("plain number %s: %.17g, strtod gives %.17g", tmp,
			json_num_value(digits, frac, neg), strtod(tmp, NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *why;
	size_t at;
	uint32_t i, id;

	json_scan_oneid(s, size, &id);
	/* any bytes, written lossily, are one JSON string */
	buf_reset(&out);
	json_write_bytes_lossy(&out, s, size);
	if (json_parse(&doc2, out.p, out.len, 4, &why, &at)) {
		/* \u0000 is JSON, but not a string this parser takes */
		if (!memchr(s, 0, size) || strcmp(why, "NUL escape in string"))
			FZ_FAIL("lossy string does not parse: %s at %zu", why, at);
	} else if (doc2.t[0].type != JSON_STRING) {
		FZ_FAIL("lossy string is not a string");
	}

	if (json_parse(&doc, s, size, 64, &why, &at)) {
		if (!why || at > size)
			FZ_FAIL("a failed parse without a reason or past the end (%zu of %zu)", at, size);
		return 0;
	}
	for (i = 0; i < doc.nt; i++) {
		const struct json_tok *t = &doc.t[i];
		if (t->type > JSON_OBJECT)
			FZ_FAIL("token %u has type %u", i, t->type);
		if ((size_t)t->off + t->len > size)
			FZ_FAIL("token %u runs past the text", i);
		if (t->next <= i || t->next > doc.nt)
			FZ_FAIL("token %u: next %u of %u", i, t->next, doc.nt);
		if (t->type == JSON_STRING && !t->esc && memchr(s + t->off, '\\', t->len))
			FZ_FAIL("string token %u holds a backslash but is not marked", i);
		json_oneid(&doc, i, &id);
		switch (t->type) {
		case JSON_STRING: check_string(&doc, i); break;
		case JSON_NUMBER: check_number(&doc, i); break;
		case JSON_OBJECT: check_object(&doc, i); break;
		}
	}
	if (doc.t[0].next != doc.nt)
		FZ_FAIL("the root's subtree ends at %u of %u tokens", doc.t[0].next, doc.nt);
	/* the compact text parses and is its own compact text */
	buf_reset(&out);
	json_write_tok(&doc, 0, &out);
	if (json_parse(&doc2, out.p, out.len, 64, &why, &at))
		FZ_FAIL("compact text does not parse: %s at %zu", why, at);
	if (doc2.nt != doc.nt)
		FZ_FAIL("compact text has %u tokens, the input %u", doc2.nt, doc.nt);
	for (i = 0; i < doc.nt; i++) {
		if (doc2.t[i].type != doc.t[i].type || doc2.t[i].size != doc.t[i].size ||
		    doc2.t[i].next != doc.t[i].next)
			FZ_FAIL("token %u differs in the compact text", i);
		if (doc.t[i].type == JSON_STRING ? doc2.t[i].esc != doc.t[i].esc
						 : doc2.t[i].type >= JSON_ARRAY && doc2.t[i].esc)
			FZ_FAIL("token %u of the compact text is marked %u", i, doc2.t[i].esc);
	}
	buf_reset(&out2);
	json_write_tok(&doc2, 0, &out2);
	if (out2.len != out.len || memcmp(out.p, out2.p, out.len))
		FZ_FAIL("compact text is not its own compact text");
	/* a shallower limit fails cleanly or gives the same tree */
	if (json_parse(&doc2, s, size, 3, &why, &at) == 0 && doc2.nt != doc.nt)
		FZ_FAIL("depth limit 3 gives %u tokens, 64 gives %u", doc2.nt, doc.nt);
	return 0;
}
