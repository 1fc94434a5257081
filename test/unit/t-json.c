/*
 * t-json - the strict parser, lookups, unescaping and the writers.
 *
 * Every parse works on an exact-size heap copy of the input (no NUL after
 * it), so a read past the end trips AddressSanitizer.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "t.h"

#define NO_AT ((size_t)-1)

struct pcase {
	const char *in;
	size_t n;
	int ok;
	const char *want; /* ok: compact form; else: a substring of why */
	size_t at;        /* error offset to check, or NO_AT */
};

/* Literal inputs may hold NUL bytes, so their size comes from sizeof. */
#define OK(s, w) { s, sizeof(s) - 1, 1, w, NO_AT }
#define OKSAME(s) { s, sizeof(s) - 1, 1, s, NO_AT }
#define BAD(s, w) { s, sizeof(s) - 1, 0, w, NO_AT }
#define BADAT(s, w, a) { s, sizeof(s) - 1, 0, w, a }

static const struct pcase cases[] = {
	/* every kind of value */
	OKSAME("null"),
	OKSAME("true"),
	OKSAME("false"),
	OKSAME("0"),
	OKSAME("\"\""),
	OKSAME("\"abc\""),
	OKSAME("[]"),
	OKSAME("{}"),
	OKSAME("[1,\"a\",null,true,false,{},[]]"),
	OKSAME("{\"n\":null,\"t\":true,\"f\":false,\"x\":-1.5,\"s\":\"v\","
	       "\"a\":[],\"o\":{}}"),

	/* nesting */
	OKSAME("{\"a\":{\"b\":[1,{\"c\":[[],[[]]]}]}}"),
	OKSAME("[[[[[[\"deep\"]]]]]]"),
	OKSAME("[{},{\"k\":[{}]},[]]"),

	/* white space everywhere, of every kind */
	OK(" \t\r\n{ \"a\" : [ 1 , 2 ] ,\n\"b\"\t:\r{ } , \"c\" : [ ] }\n ",
	   "{\"a\":[1,2],\"b\":{},\"c\":[]}"),
	OK("\n\n true \n", "true"),
	OK("[\n]", "[]"),
	OK("{\r\n}", "{}"),
	OK("\t\"x\"\t", "\"x\""),

	/* numbers */
	OKSAME("-0"),
	OKSAME("1.5e10"),
	OKSAME("1E-2"),
	OKSAME("123"),
	OKSAME("-12.25"),
	OKSAME("1e+5"),
	OKSAME("0.0"),
	OKSAME("0e0"),
	OKSAME("-0.5E+07"),
	OKSAME("12345678901234567890123456789"),
	OKSAME("[0,-0,10,-10]"),
	BADAT("01", "trailing characters", 1),
	BAD("00", "trailing characters"),
	BAD("-01", "trailing characters"),
	BADAT("1.", "invalid number", 2),
	BAD("1.e5", "invalid number"),
	BADAT(".5", "unexpected character", 0),
	BADAT("-", "invalid number", 1),
	BAD("-a", "invalid number"),
	BAD("--1", "invalid number"),
	BADAT("+1", "unexpected character", 0),
	BADAT("1e", "invalid number", 2),
	BAD("1e+", "invalid number"),
	BAD("1E-", "invalid number"),
	BAD("1ex", "invalid number"),
	BAD("NaN", "unexpected character"),
	BAD("Infinity", "unexpected character"),
	BAD("-Infinity", "invalid number"),
	BAD("[01]", "expected ',' or ']'"),
	BAD("0x10", "trailing characters"),

	/* literals */
	BAD("nul", "invalid literal"),
	BAD("tru", "invalid literal"),
	BAD("fals", "invalid literal"),
	BAD("nulL", "invalid literal"),
	BAD("True", "unexpected character"),
	BAD("nulls", "trailing characters"),
	BAD("[truex]", "expected ',' or ']'"),

	/* strings with every escape */
	OKSAME("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
	OKSAME("\"\\u0041\\u00e9\\u20AC\\uffff\\u0001\""),
	OKSAME("\"x\\\\\""),
	BAD("\"\\x\"", "invalid escape in string"),
	BAD("\"\\'\"", "invalid escape in string"),
	BAD("\"\\U0041\"", "invalid escape in string"),
	BAD("\"\\u12\"", "invalid \\u escape"),
	BAD("\"\\u12G4\"", "invalid \\u escape"),
	BAD("\"\\u", "invalid \\u escape"),
	BAD("\"\\", "unterminated string"),
	BAD("\"\\u0000\"", "NUL escape in string"),

	/* surrogate escapes */
	OKSAME("\"\\ud83d\\ude00\""),
	OKSAME("\"\\uD83D\\uDE00\""),
	OKSAME("\"a\\udbff\\udfffb\""),
	OKSAME("\"\\ud800\\udc00\""),
	BADAT("\"ab\\ud800\"", "lone surrogate escape", 3),
	BAD("\"\\ud800\"", "lone surrogate escape"),
	BAD("[\"\\ud800\",\"\\udc00\"]", "lone surrogate escape"),
	BADAT("\"\\udc00\"", "lone surrogate escape", 1),
	BAD("\"\\udfff\\ud800\"", "lone surrogate escape"),
	BAD("\"\\ud800\\u0041\"", "lone surrogate escape"),
	BAD("\"\\ud800\\ud800\"", "lone surrogate escape"),
	BAD("\"\\ud800\\n\\udc00\"", "lone surrogate escape"),
	BAD("\"\\ud800xxxxxxxxx\"", "lone surrogate escape"),
	BAD("\"\\ud800\\udc0", "lone surrogate escape"),

	/* raw control characters and NUL inside strings */
	BADAT("\"ab\x01\"", "control character in string", 3),
	BAD("\"\x1f\"", "control character in string"),
	BAD("\"\t\"", "control character in string"),
	BAD("\"a\nb\"", "control character in string"),
	BAD("\"a\rb\"", "control character in string"),
	BADAT("\"a\0b\"", "NUL byte in string", 2),
	BAD("{\"k\0\":1}", "NUL byte in string"),
	OKSAME("\"\x7f\""),
	/* long strings (read 16 bytes at a time): what needs a look, past the
	 * first 16 bytes and at a block's edge */
	OKSAME("\"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ\""),
	OKSAME("\"abcdefghijklmnop\\\"qrstuvwxyz\""),
	OKSAME("\"abcdefghijklmnopq\u00e9rstuvwxyz0123456789\""),
	OKSAME("\"abcdefghijklmno\xc3\xa9pqrstuvwxyz0123456789\""),
	BADAT("\"abcdefghijklmnopqrstuvwxyz\x01" "234567\"", "control character in string", 27),
	BADAT("\"abcdefghijklmnop\x7f\xffqrstuvwxyz0123456789\"", "invalid utf-8 in string", 18),
	BADAT("\"abcdefghijklmnopqrstuvwxyz0123456789", "unterminated string", 37),

	/* UTF-8 inside strings: boundaries of every length are fine */
	OKSAME("\"\xc2\x80\xdf\xbf\""),                 /* U+0080 U+07FF */
	OKSAME("\"\xe0\xa0\x80\xed\x9f\xbf\""),         /* U+0800 U+D7FF */
	OKSAME("\"\xee\x80\x80\xef\xbf\xbf\""),         /* U+E000 U+FFFF */
	OKSAME("\"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf\""), /* U+10000 U+10FFFF */
	OKSAME("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""),
	OKSAME("{\"\xc3\xa9\":\"\xe2\x82\xac\"}"),
	/* ... and invalid sequences are not */
	BADAT("\"a\xc0\x80\"", "invalid utf-8 in string", 2), /* overlong */
	BAD("\"\xc1\xbf\"", "invalid utf-8 in string"),        /* overlong */
	BAD("\"\xe0\x80\x80\"", "invalid utf-8 in string"),    /* overlong */
	BAD("\"\xe0\x9f\xbf\"", "invalid utf-8 in string"),    /* overlong */
	BAD("\"\xf0\x80\x80\x80\"", "invalid utf-8 in string"),/* overlong */
	BAD("\"\xf0\x8f\xbf\xbf\"", "invalid utf-8 in string"),/* overlong */
	BAD("\"\xed\xa0\x80\"", "invalid utf-8 in string"),    /* D800 */
	BAD("\"\xed\xbf\xbf\"", "invalid utf-8 in string"),    /* DFFF */
	BAD("\"\xf4\x90\x80\x80\"", "invalid utf-8 in string"),/* 110000 */
	BAD("\"\xf5\x80\x80\x80\"", "invalid utf-8 in string"),
	BAD("\"\xff\"", "invalid utf-8 in string"),
	BAD("\"\xfe\"", "invalid utf-8 in string"),
	BADAT("\"ab\x80\"", "invalid utf-8 in string", 3), /* continuation */
	BAD("\"\xbf\"", "invalid utf-8 in string"),
	BAD("\"\xc3\"", "invalid utf-8 in string"),        /* truncated */
	BAD("\"\xc3", "invalid utf-8 in string"),
	BAD("\"\xe2\x82\"", "invalid utf-8 in string"),
	BAD("\"\xe2\x82", "invalid utf-8 in string"),
	BAD("\"\xf0\x9f\x98\"", "invalid utf-8 in string"),
	BAD("\"\xf0\x9f\x98", "invalid utf-8 in string"),
	BAD("\"\xe2\x28\xa1\"", "invalid utf-8 in string"), /* bad 2nd byte */
	BAD("\"\xc3\x28\"", "invalid utf-8 in string"),
	BAD("\"\xf0\x9f\x28\x80\"", "invalid utf-8 in string"),

	/* NUL bytes outside strings */
	BADAT("\0", "NUL byte", 0),
	BADAT("1\0", "NUL byte", 1),
	BADAT("[\0]", "NUL byte", 1),
	BADAT("[1,\0]", "NUL byte", 3),
	BAD("{\"a\":\0}", "NUL byte"),
	BAD(" \0 ", "NUL byte"),
	BAD("{}\0", "NUL byte"),

	/* trailing garbage */
	BADAT("1 2", "trailing characters after value", 2),
	BAD("{} x", "trailing characters after value"),
	BAD("[1]]", "trailing characters after value"),
	BAD("\"a\"\"b\"", "trailing characters after value"),
	BAD("null,", "trailing characters after value"),
	BAD("{}{}", "trailing characters after value"),

	/* empty input */
	BADAT("", "empty line", 0),
	BAD(" ", "empty line"),
	BAD(" \t\r\n ", "empty line"),

	/* structure */
	BADAT("[1,2,x]", "unexpected character", 5),
	BAD("[1,]", "unexpected character"),
	BAD("[,1]", "unexpected character"),
	BAD("{\"a\":1,}", "expected a key string"),
	BAD("{1:2}", "expected a key string"),
	BAD("{a:2}", "expected a key string"),
	BAD("{'a':2}", "expected a key string"),
	BAD("{\"a\" 1}", "expected ':' after key"),
	BAD("{\"a\"", "expected ':' after key"),
	BAD("{\"a\":}", "unexpected character"),
	BAD("[1 2]", "expected ',' or ']'"),
	BAD("[1}", "expected ',' or ']'"),
	BAD("{\"a\":1]", "expected ',' or '}'"),
	BADAT("  {\"a\":01}", "expected ',' or '}'", 8),
	BAD("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
	BAD("[", "unexpected end of input"),
	BAD("[1", "unexpected end of input"),
	BAD("[1,", "unexpected end of input"),
	BAD("{", "unexpected end of input"),
	BAD("{\"a\":", "unexpected end of input"),
	BAD("{\"a\":1,", "unexpected end of input"),
	BAD("\"abc", "unterminated string"),
	BAD("]", "unexpected character"),
	BAD("}", "unexpected character"),
	BAD(":", "unexpected character"),
	BAD("\xef\xbb\xbf{}", "unexpected character"), /* a BOM */
	BAD("\x0b" "1", "unexpected character"),        /* VT is no space */

	/* a key twice in one object, after unescaping: refused, at the
	 * second copy, naming the key */
	BADAT("{\"a\":1,\"a\":2}", "duplicate key 'a'", 7),
	BADAT("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key 'a'", 13),
	BADAT("{\"type\":\"x\",\"t\\u0079pe\":\"$merge\"}", "duplicate key 'type'", 12),
	BADAT("{\"t\\u0079pe\":\"x\",\"type\":1}", "duplicate key 'type'", 17),
	BAD("{\"\\u0074\\u0073\":1,\"t\\u0073\":1}", "duplicate key 'ts'"),
	BAD("{\"/\":1,\"\\/\":2}", "duplicate key '/'"),
	BAD("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "duplicate key '\xc3\xa9'"),
	BAD("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}", "duplicate key '\xf0\x9f\x98\x80'"),
	BAD("{\"\":1,\"\":2}", "duplicate key ''"),
	BAD("{\"a\\nb\":1,\"a\\u000ab\":2}", "duplicate key 'a?b'"),
	BADAT("{\"ids\":{\"cookie\":\"c1\",\"cookie\":\"c2\"}}", "duplicate key 'cookie'", 22),
	BAD("[1,{\"x\":{\"y\":[{\"k\":1,\"k\":1}]}}]", "duplicate key 'k'"),
	BAD("{\"a\":1,\"a\":2,\"b\":1,\"b\":2}", "duplicate key 'a'"),
	BAD("{\"a\":{\"b\":1,\"b\":2},\"a\":3}", "duplicate key 'b'"), /* the inner one ends first */
	BAD("{\"a\":1,\"\\u0061\":2,\"b\":3,\"b\":4}", "duplicate key 'a'"), /* the first repeat */
	BAD("{\"event_id\":\"e1\",\"ts\":\"2025-10-01T10:00:00Z\",\"type\":\"order_paid\","
	    "\"ids\":{\"cookie\":\"c1\"},\"t\\u0079pe\":\"$merge\",\"\\u0074s\":\"1970-01-01\","
	    "\"i\\u0064s\":{\"cookie\":\"0\"},\"event_i\\u0064\":[\"not\",\"a\",\"string\"]}",
	    "duplicate key 'type'"),
	/* ... but the same key in different objects, keys alike in length
	 * and ends, and keys that are prefixes of others are fine */
	OKSAME("{\"a\":{\"a\":{\"a\":1}},\"b\":[{\"a\":1},{\"a\":2}]}"),
	OKSAME("{\"axb\":1,\"ayb\":2,\"azb\":3,\"a\":4,\"ab\":5,\"abb\":6,\"\":7}"),
	OKSAME("{\"t\\u0079pe\":1,\"typ\":2,\"types\":3,\"Type\":4}"),
	OKSAME("{\"\\u00e9\":1,\"e\\u0301\":2}"), /* no normalisation */
	/* more keys than are checked as they come: checked at the end */
	OKSAME("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	       "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14,"
	       "\"kf\":15,\"kg\":16,\"kh\":17}"),
	BADAT("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	      "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14,"
	      "\"kf\":15,\"kg\":16,\"k3\":17}", "duplicate key 'k3'", 127),
	BAD("{\"k0\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	    "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14,"
	    "\"kf\":15,\"kg\":16,\"k\\u0030\":17}", "duplicate key 'k0'"),
	BAD("{\"z\":0,\"k1\":1,\"k2\":2,\"k3\":3,\"k4\":4,\"k5\":5,\"k6\":6,\"k7\":7,"
	    "\"k8\":8,\"k9\":9,\"ka\":10,\"kb\":11,\"kc\":12,\"kd\":13,\"ke\":14,"
	    "\"kf\":15,\"kg\":16,\"k7\":17,\"z\":18}", "duplicate key 'k7'"),
};

static struct json_doc doc = JSON_DOC_INIT;

/* Parse an exact-size copy of s[0..n). */
static int parse(const char *s, size_t n, unsigned depth, const char **why,
		 size_t *at, char **copy)
{
	*copy = xmalloc(n);
	memcpy(*copy, s, n);
	*why = NULL;
	*at = NO_AT;
	return json_parse(&doc, *copy, n, depth, why, at);
}

static void show(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f)
			fprintf(stderr, "\\x%02x", c);
		else
			fputc(c, stderr);
	}
}

static void test_table(void)
{
	size_t i;
	struct buf out = BUF_INIT;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pcase *c = &cases[i];
		const char *why;
		size_t at;
		char *copy;
		int rc = parse(c->in, c->n, 64, &why, &at, &copy);
		int good;

		buf_reset(&out);
		if (rc == 0) {
			json_write_tok(&doc, 0, &out);
			good = c->ok && out.len == strlen(c->want) &&
			       !memcmp(out.p, c->want, out.len) &&
			       doc.t[0].next == doc.nt;
		} else {
			good = !c->ok && rc == -1 && why && strstr(why, c->want) &&
			       (c->at == NO_AT || at == c->at) && at <= c->n;
		}
		t_run++;
		if (!good) {
			t_failed++;
			fprintf(stderr, "%s: case %zu \"", __FILE__, i);
			show(c->in, c->n);
			if (rc == 0) {
				fprintf(stderr, "\": parsed as ");
				show(out.p, out.len);
			} else {
				fprintf(stderr, "\": error \"%s\" at %zu",
					why ? why : "(null)", at);
			}
			fprintf(stderr, "; want %s \"%s\"", c->ok ? "ok" : "error",
				c->want);
			if (!c->ok && c->at != NO_AT)
				fprintf(stderr, " at %zu", c->at);
			fputc('\n', stderr);
		}
		free(copy);
	}
	buf_release(&out);
}

/* The token array itself: types, sizes, offsets and subtree ends. */
static void test_tokens(void)
{
	static const char s[] = "{\"a\":[1,\"x\\n\"],\"b\":{\"c\":null},\"d\":true}";
	const char *why;
	size_t at;
	char *copy;

	T_EQ_INT(parse(s, sizeof s - 1, 8, &why, &at, &copy), 0);
	T_EQ_INT(doc.nt, 11);
	T_EQ_INT(doc.t[0].type, JSON_OBJECT);
	T_EQ_INT(doc.t[0].size, 3);
	T_EQ_INT(doc.t[0].off, 0);
	T_EQ_INT(doc.t[0].len, sizeof s - 1);
	T_EQ_INT(doc.t[0].next, 11);
	T_EQ_INT(doc.t[1].type, JSON_STRING); /* "a" */
	T_EQ_INT(doc.t[1].off, 2);
	T_EQ_INT(doc.t[1].len, 1);
	T_EQ_INT(doc.t[1].esc, 0);
	T_EQ_INT(doc.t[2].type, JSON_ARRAY);
	T_EQ_INT(doc.t[2].size, 2);
	T_EQ_INT(doc.t[2].next, 5);
	T_EQ_INT(doc.t[3].type, JSON_NUMBER);
	T_EQ_INT(doc.t[3].len, 1);
	T_EQ_INT(doc.t[4].type, JSON_STRING);
	T_EQ_INT(doc.t[4].esc, 1);
	T_EQ_INT(doc.t[4].len, 3);
	T_EQ_INT(doc.t[6].type, JSON_OBJECT);
	T_EQ_INT(doc.t[6].size, 1);
	T_EQ_INT(doc.t[6].next, 9);
	T_EQ_INT(doc.t[8].type, JSON_NULL);
	T_EQ_INT(doc.t[9].type, JSON_STRING); /* "d" */
	T_EQ_INT(doc.t[9].next, 10);
	T_EQ_INT(doc.t[10].type, JSON_TRUE);
	T_EQ_INT(doc.t[10].off, sizeof s - 6);
	T_EQ_INT(doc.t[10].next, 11);
	free(copy);
}

/* A nesting of depth levels: arrays, or objects and arrays alternating. */
static char *nest(unsigned depth, int objects, size_t *n)
{
	struct buf b = BUF_INIT;
	unsigned i;

	for (i = 0; i < depth; i++)
		buf_adds(&b, objects && i % 2 ? "{\"k\":" : "[");
	buf_adds(&b, "1");
	for (i = depth; i-- > 0;)
		buf_adds(&b, objects && i % 2 ? "}" : "]");
	*n = b.len;
	return b.p;
}

static void test_depth(void)
{
	static const unsigned limits[] = { 1, 2, 3, 16, 64, 500 };
	const char *why;
	size_t i, n, at;
	char *s, *copy;
	int objects;

	for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
		for (objects = 0; objects < 2; objects++) {
			s = nest(limits[i], objects, &n);
			T_EQ_INT(parse(s, n, limits[i], &why, &at, &copy), 0);
			free(copy);
			free(s);
			s = nest(limits[i] + 1, objects, &n);
			T_EQ_INT(parse(s, n, limits[i], &why, &at, &copy), -1);
			T_OK(why && strstr(why, "nesting too deep"));
			/* reported at the bracket that goes one too deep */
			T_EQ_INT(at, objects ? (limits[i] / 2) * 5 +
						       (limits[i] + 1) / 2
					     : limits[i]);
			free(copy);
			free(s);
		}
	}
	/* an empty container is a level; a scalar is not */
	T_EQ_INT(parse("[[],{},1]", 9, 1, &why, &at, &copy), -1);
	free(copy);
	T_EQ_INT(parse("[1,\"a\"]", 7, 1, &why, &at, &copy), 0);
	free(copy);
	T_EQ_INT(parse("1", 1, 1, &why, &at, &copy), 0);
	free(copy);
	/* siblings do not add up */
	T_EQ_INT(parse("[[1],[2],[[3]]]", 15, 3, &why, &at, &copy), 0);
	free(copy);
	T_EQ_INT(parse("[[1],[2],[[[3]]]]", 17, 3, &why, &at, &copy), -1);
	free(copy);
	/* a limit of 0 is taken as 1 */
	T_EQ_INT(parse("[]", 2, 0, &why, &at, &copy), 0);
	free(copy);
	T_EQ_INT(parse("[[]]", 4, 0, &why, &at, &copy), -1);
	T_OK(why && strstr(why, "nesting too deep"));
	free(copy);
}

/* The document is reused: a failed parse after a good one, then again. */
static void test_reuse(void)
{
	const char *why;
	size_t at, i;
	char *copy;
	struct buf out = BUF_INIT, big = BUF_INIT;

	buf_addc(&big, '[');
	for (i = 0; i < 1000; i++)
		buf_printf(&big, "%s{\"i\":%zu}", i ? "," : "", i);
	buf_addc(&big, ']');
	T_EQ_INT(parse(big.p, big.len, 4, &why, &at, &copy), 0);
	T_EQ_INT(doc.nt, 3001);
	T_EQ_INT(doc.t[0].size, 1000);
	json_write_tok(&doc, 0, &out);
	T_OK(out.len == big.len && !memcmp(out.p, big.p, big.len));
	free(copy);
	T_EQ_INT(parse("[1,", 3, 4, &why, &at, &copy), -1);
	free(copy);
	T_EQ_INT(parse("[true]", 6, 4, &why, &at, &copy), 0);
	T_EQ_INT(doc.nt, 2);
	buf_reset(&out);
	json_write_tok(&doc, 0, &out);
	T_EQ_STR(out.p, "[true]");
	free(copy);
	buf_release(&out);
	buf_release(&big);
}

/* Value token for key in the root object, written compactly ("" if 0). */
static const char *get(const char *key, size_t kn, struct buf *out)
{
	uint32_t v = json_get(&doc, 0, key, kn);

	buf_reset(out);
	if (v)
		json_write_tok(&doc, v, out);
	else
		buf_adds(out, "");
	return out->p;
}

static void test_get(void)
{
	static const char s[] =
		"{\"a\":1,\"o\":{\"x\":{\"c\":9},\"c\":8},"
		"\"arr\":[{\"c\":7},\"c\"],\"c\":3,"
		"\"e\\u0301\":\"esc\",\"q\\\"x\":\"quote\",\"\\u00e9\":\"e\","
		"\"\\/\":\"slash\",\"\":\"empty\",\"\\ud83d\\ude00\":\"smile\","
		"\"ab\":\"raw\"}";
	struct buf out = BUF_INIT;
	const char *why;
	size_t at;
	char *copy;
	uint32_t o, v;

	T_EQ_INT(parse(s, sizeof s - 1, 8, &why, &at, &copy), 0);
	T_EQ_INT(doc.t[0].size, 11);
	T_EQ_STR(get("a", 1, &out), "1");
	/* values are skipped whole: "c" is the top-level one */
	T_EQ_STR(get("c", 1, &out), "3");
	T_EQ_STR(get("o", 1, &out), "{\"x\":{\"c\":9},\"c\":8}");
	o = json_get(&doc, 0, "o", 1);
	v = json_get(&doc, o, "c", 1);
	T_OK(v != 0);
	buf_reset(&out);
	json_write_tok(&doc, v, &out);
	T_EQ_STR(out.p, "8");
	v = json_get(&doc, json_get(&doc, o, "x", 1), "c", 1);
	buf_reset(&out);
	json_write_tok(&doc, v, &out);
	T_EQ_STR(out.p, "9");
	/* missing keys, prefixes and longer keys */
	T_EQ_INT(json_get(&doc, 0, "missing", 7), 0);
	T_EQ_INT(json_get(&doc, 0, "x", 1), 0);
	T_EQ_INT(json_get(&doc, 0, "ar", 2), 0);
	T_EQ_INT(json_get(&doc, 0, "arrr", 4), 0);
	T_EQ_INT(json_get(&doc, 0, "A", 1), 0);
	T_EQ_INT(json_get(&doc, o, "a", 1), 0);
	/* not an object, or out of range */
	T_EQ_INT(json_get(&doc, json_get(&doc, 0, "arr", 3), "c", 1), 0);
	T_EQ_INT(json_get(&doc, json_get(&doc, 0, "a", 1), "c", 1), 0);
	T_EQ_INT(json_get(&doc, doc.nt, "a", 1), 0);
	T_EQ_INT(json_get(&doc, 100000, "a", 1), 0);
	/* keys written with escapes match their unescaped value */
	T_EQ_STR(get("e\xcc\x81", 3, &out), "\"esc\"");
	T_EQ_STR(get("q\"x", 3, &out), "\"quote\"");
	T_EQ_STR(get("\xc3\xa9", 2, &out), "\"e\"");
	T_EQ_STR(get("/", 1, &out), "\"slash\"");
	T_EQ_STR(get("", 0, &out), "\"empty\"");
	T_EQ_STR(get("\xf0\x9f\x98\x80", 4, &out), "\"smile\"");
	T_EQ_STR(get("ab", 2, &out), "\"raw\"");
	/* json_get_keys answers each key as json_get does, in one pass */
	{
		static const struct json_key keys[] = {
			{"a", 1}, {"c", 1}, {"missing", 7}, {"q\"x", 3}, {"", 0}, {"ab", 2},
			{"\xc3\xa9", 2}, {"o", 1}, {"ar", 2}, {"c", 1},
		};
		uint32_t got[10];
		unsigned k;
		json_get_keys(&doc, 0, keys, 10, got);
		for (k = 0; k < 10; k++)
			T_EQ_INT(got[k], json_get(&doc, 0, keys[k].s, keys[k].n));
		T_OK(got[0] && got[1] && !got[2] && got[3] && got[4] && got[7] && !got[8]);
		json_get_keys(&doc, json_get(&doc, 0, "arr", 3), keys, 2, got);
		T_OK(!got[0] && !got[1]);
		json_get_keys(&doc, o, keys, 9, got);
		T_OK(!got[0] && got[1] == json_get(&doc, o, "c", 1));
	}
	/* ... and not their escaped spelling */
	T_EQ_INT(json_get(&doc, 0, "q\\\"x", 4), 0);
	T_EQ_INT(json_get(&doc, 0, "\\u00e9", 6), 0);
	T_EQ_INT(json_get(&doc, 0, "\\/", 2), 0);
	free(copy);

	/* json_str_eq on strings with and without escapes, and non-strings */
	{
		static const char s2[] =
			"[\"a\\tb\",\"plain\",\"\\u0041\\u0042\",\"\",1,null,"
			"\"x\\u0000\"]";
		/* the last element is refused: parse the first six only */
		char *c2;
		T_EQ_INT(parse(s2, sizeof s2 - 1, 4, &why, &at, &c2), -1);
		T_OK(why && strstr(why, "NUL escape"));
		free(c2);
	}
	{
		static const char s2[] =
			"[\"a\\tb\",\"plain\",\"\\u0041\\u0042\",\"\",1,null]";
		char *c2;
		T_EQ_INT(parse(s2, sizeof s2 - 1, 4, &why, &at, &c2), 0);
		T_OK(json_str_eq(&doc, 1, "a\tb", 3));
		T_OK(!json_str_eq(&doc, 1, "a\\tb", 4));
		T_OK(!json_str_eq(&doc, 1, "a\t", 2));
		T_OK(!json_str_eq(&doc, 1, "a\tbc", 4));
		T_OK(json_str_eq(&doc, 2, "plain", 5));
		T_OK(!json_str_eq(&doc, 2, "plai", 4));
		T_OK(!json_str_eq(&doc, 2, "plainx", 6));
		T_OK(!json_str_eq(&doc, 2, "Plain", 5));
		T_OK(json_str_eq(&doc, 3, "AB", 2));
		T_OK(json_str_eq(&doc, 4, "", 0));
		T_OK(!json_str_eq(&doc, 4, "x", 1));
		T_OK(!json_str_eq(&doc, 5, "1", 1)); /* a number */
		T_OK(!json_str_eq(&doc, 6, "null", 4));
		T_OK(!json_str_eq(&doc, 0, "", 0)); /* an array */
		free(c2);
	}
	buf_release(&out);
}

/* json_str_get of the root string of s, appended after "pre:". */
static const char *unescape(const char *s, struct buf *out)
{
	const char *why;
	size_t at;
	char *copy;

	buf_reset(out);
	buf_adds(out, "pre:");
	if (parse(s, strlen(s), 4, &why, &at, &copy) || doc.t[0].type != JSON_STRING)
		buf_adds(out, "PARSE ERROR");
	else
		json_str_get(&doc, 0, out);
	free(copy);
	return out->p;
}

static void test_str_get(void)
{
	struct buf out = BUF_INIT;

	T_EQ_STR(unescape("\"\"", &out), "pre:");
	T_EQ_STR(unescape("\"plain \xc3\xa9\"", &out), "pre:plain \xc3\xa9");
	T_EQ_STR(unescape("\"caf\\u00e9\"", &out), "pre:caf\xc3\xa9");
	T_EQ_STR(unescape("\"\\u00E9\"", &out), "pre:\xc3\xa9");
	T_EQ_STR(unescape("\"\\u0041\\u007f\\u0080\"", &out),
		 "pre:A\x7f\xc2\x80");
	T_EQ_STR(unescape("\"\\u07ff\\u0800\\u20ac\\uffff\"", &out),
		 "pre:\xdf\xbf\xe0\xa0\x80\xe2\x82\xac\xef\xbf\xbf");
	T_EQ_STR(unescape("\"\\ud83d\\ude00\"", &out), "pre:\xf0\x9f\x98\x80");
	T_EQ_STR(unescape("\"\\ud800\\udc00\"", &out), "pre:\xf0\x90\x80\x80");
	T_EQ_STR(unescape("\"\\uDBFF\\uDFFF\"", &out), "pre:\xf4\x8f\xbf\xbf");
	T_EQ_STR(unescape("\"a\\/b\"", &out), "pre:a/b");
	T_EQ_STR(unescape("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", &out),
		 "pre:\"\\/\b\f\n\r\t");
	T_EQ_STR(unescape("\"x\\u0001y\\u001fz\"", &out), "pre:x\x01y\x1fz");
	T_EQ_STR(unescape("\"\\\\u0041\"", &out), "pre:\\u0041");
	T_EQ_STR(unescape("\"a\\nb\\u00e9c\\ud83d\\ude00d\"", &out),
		 "pre:a\nb\xc3\xa9" "c\xf0\x9f\x98\x80" "d");
	/* a string without escapes is copied as is, even a long one */
	{
		struct buf s = BUF_INIT, want = BUF_INIT;
		int i;
		buf_addc(&s, '"');
		buf_adds(&want, "pre:");
		for (i = 0; i < 1000; i++) {
			buf_adds(&s, "\xe2\x82\xac-");
			buf_adds(&want, "\xe2\x82\xac-");
		}
		buf_adds(&s, "\\n\"");
		buf_adds(&want, "\n");
		T_EQ_STR(unescape(s.p, &out), want.p);
		buf_release(&s);
		buf_release(&want);
	}
	buf_release(&out);
}

static const char *wstr(const char *s, size_t n, int lossy, struct buf *out)
{
	char *copy = xmalloc(n ? n : 1);

	memcpy(copy, s, n);
	buf_reset(out);
	buf_adds(out, "pre:");
	if (lossy)
		json_write_bytes_lossy(out, copy, n);
	else
		json_write_str(out, copy, n);
	free(copy);
	return out->p;
}

#define WS(s, want) T_EQ_STR(wstr(s, sizeof(s) - 1, 0, &out), "pre:" want)
#define WL(s, want) T_EQ_STR(wstr(s, sizeof(s) - 1, 1, &out), "pre:" want)

static void test_write(void)
{
	struct buf out = BUF_INIT, in = BUF_INIT;
	const char *why;
	size_t at;
	char *copy;
	int c;

	WS("", "\"\"");
	WS("abc", "\"abc\"");
	WS("say \"hi\"", "\"say \\\"hi\\\"\"");
	WS("back\\slash", "\"back\\\\slash\"");
	WS("\n\r\t", "\"\\n\\r\\t\"");
	WS("\x1f", "\"\\u001f\"");
	WS("\x01\b\f\x0b", "\"\\u0001\\u0008\\u000c\\u000b\"");
	WS("a\0b", "\"a\\u0000b\"");
	WS("/\x7f", "\"/\x7f\"");
	WS("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	   "\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");

	/* lossy: valid UTF-8 passes, every other byte becomes \u00XX */
	WL("", "\"\"");
	WL("ok \"q\" \\ \n", "\"ok \\\"q\\\" \\\\ \\n\"");
	WL("\x1f", "\"\\u001f\"");
	WL("caf\xc3\xa9 \xf0\x9f\x98\x80", "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
	WL("\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf",
	   "\"\xdf\xbf\xef\xbf\xbf\xf4\x8f\xbf\xbf\"");
	WL("a\xff" "b", "\"a\\u00ffb\"");
	WL("\x80", "\"\\u0080\"");
	WL("\xc3", "\"\\u00c3\"");
	WL("\xc3" "A", "\"\\u00c3A\"");
	WL("\xc0\x80", "\"\\u00c0\\u0080\"");
	WL("\xe0\x80\x80", "\"\\u00e0\\u0080\\u0080\"");
	WL("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	WL("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	WL("\xe2\x82", "\"\\u00e2\\u0082\"");
	WL("\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"");
	WL("\xe2\x82\xac\xe2\x82", "\"\xe2\x82\xac\\u00e2\\u0082\"");
	WL("\xc3\xa9\xa9\xc3\xa9", "\"\xc3\xa9\\u00a9\xc3\xa9\"");

	/* json_write_str output parses back to the same bytes */
	for (c = 1; c < 0x80; c++)
		buf_addc(&in, (char)c);
	buf_adds(&in, "\xc3\xa9\xf0\x9f\x98\x80\"\\");
	buf_reset(&out);
	json_write_str(&out, in.p, in.len);
	copy = xmalloc(out.len);
	memcpy(copy, out.p, out.len);
	T_EQ_INT(json_parse(&doc, copy, out.len, 1, &why, &at), 0);
	buf_reset(&out);
	json_str_get(&doc, 0, &out);
	T_OK(out.len == in.len && !memcmp(out.p, in.p, in.len));
	free(copy);

	/* json_write_tok keeps a string's escapes as written */
	copy = xmalloc(14);
	memcpy(copy, "[\"\\u00e9\\/\"] ", 13);
	T_EQ_INT(json_parse(&doc, copy, 13, 2, &why, &at), 0);
	buf_reset(&out);
	json_write_tok(&doc, 1, &out);
	T_EQ_STR(out.p, "\"\\u00e9\\/\"");
	free(copy);

	buf_release(&in);
	buf_release(&out);
}

/* plain numbers read without strtod give strtod's double, bit for bit;
 * anything else is left to strtod */
static void test_num_plain(void)
{
	static const char *const other[] = {"1e5", "1.5E-3", "-", "", ".5", "5.", "1.2.3",
					    "12345678901234567890", "9007199254740993", "0x10", "+1"};
	unsigned long long r = 0x9e3779b97f4a7c15ull;
	uint64_t dg;
	unsigned i, bad = 0, plain = 0;
	int frac, neg;
	char s[40];

	for (i = 0; i < sizeof other / sizeof *other; i++)
		T_OK(json_num_plain(other[i], strlen(other[i]), &dg, &frac, &neg) == -1);
	T_OK(json_num_plain("-0", 2, &dg, &frac, &neg) == 0);
	T_OK(signbit(json_num_value(dg, frac, neg)));
	for (i = 0; i < 1000000; i++) {
		double want;
		int len = t_rand_number(&r, s, 18, 18);
		want = strtod(s, NULL);
		if (json_num_plain(s, (size_t)len, &dg, &frac, &neg))
			continue;
		plain++;
		if (memcmp(&want, &(double){json_num_value(dg, frac, neg)}, sizeof want) && bad++ < 5)
			fprintf(stderr, "%s: %.17g, strtod %.17g\n", s, json_num_value(dg, frac, neg), want);
	}
	T_EQ_INT((int)bad, 0);
	T_OK(plain > 500000);
}

/* json_scan_oneid guesses what a parse and json_oneid would find */
static void test_scan_oneid(void)
{
	static const struct {
		const char *rec;
		long long want; /* -1: none */
	} rows[] = {
		{"{\"type\":\"x\",\"oneid\":42}", 42},
		{"{\"type\":\"x\",\"oneid\":42} ", 42},
		{"{\"oneid\":7,\"type\":\"x\"}", 7},
		{"{\"oneid\": 4294967295}", 4294967295LL},
		{"{\"oneid\":4294967296}", -1},
		{"{\"oneid\":0}", -1},
		{"{\"oneid\":\"12\"}", -1},
		{"{\"type\":\"x\"}", -1},
		{"{\"props\":{\"n\":5},\"oneid\":99}", 99},
		{"", -1},
		{"oneid\":5}", -1},
		{"{\"a\":12345678901,\"oneid\":3}", 3},
	};
	unsigned i;

	for (i = 0; i < sizeof rows / sizeof *rows; i++) {
		uint32_t got = 0;
		int r = json_scan_oneid(rows[i].rec, strlen(rows[i].rec), &got);
		if (rows[i].want < 0) {
			T_EQ_INT(r, -1);
		} else {
			T_EQ_INT(r, 0);
			T_EQ_INT(got, rows[i].want);
		}
	}
}

/* An object of n keys "k0" … (escaped as "\u006b0" … when esc), then
 * extra (may be empty) before the closing brace. */
static char *many_keys(unsigned n, int esc, const char *extra, size_t *len)
{
	struct buf b = BUF_INIT;
	unsigned i;

	buf_addc(&b, '{');
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s\"%s%u\":%u", i ? "," : "", esc && i % 2 ? "\\u006b" : "k", i, i);
	buf_adds(&b, extra);
	buf_addc(&b, '}');
	*len = b.len;
	return b.p;
}

/* Objects with many keys (a hostile record: 80k keys) are checked in
 * O(k log k); the reason names the key, cut to a length. */
static void test_dup_keys(void)
{
	const char *why;
	size_t at, n;
	char *text, *copy;
	char key[128];

	/* 80k distinct keys, some escaped */
	text = many_keys(80000, 1, "", &n);
	T_EQ_INT(parse(text, n, 8, &why, &at, &copy), 0);
	T_EQ_INT(doc.t[0].size, 80000);
	T_OK(json_get(&doc, 0, "k79999", 6) != 0);
	free(copy);
	free(text);
	/* ... and one of them again at the end, escaped or not */
	text = many_keys(80000, 1, ",\"k40001\":0", &n);
	T_EQ_INT(parse(text, n, 8, &why, &at, &copy), -1);
	T_EQ_STR(why, "duplicate key 'k40001'");
	T_EQ_INT(at, n - 11);
	free(copy);
	free(text);
	text = many_keys(80000, 0, ",\"\\u006b40000\":0", &n);
	T_EQ_INT(parse(text, n, 8, &why, &at, &copy), -1);
	T_EQ_STR(why, "duplicate key 'k40000'");
	T_EQ_INT(at, n - 16);
	free(copy);
	free(text);
	/* 80k copies of one key: the second copy is named */
	{
		struct buf b = BUF_INIT;
		unsigned i;
		buf_addc(&b, '{');
		for (i = 0; i < 80000; i++)
			buf_adds(&b, i ? ",\"k\":1" : "\"k\":1");
		buf_addc(&b, '}');
		T_EQ_INT(parse(b.p, b.len, 8, &why, &at, &copy), -1);
		T_EQ_STR(why, "duplicate key 'k'");
		T_EQ_INT(at, 7);
		free(copy);
		/* in a nested object, with escapes: checked at its end */
		buf_reset(&b);
		buf_adds(&b, "[{\"a\":{");
		for (i = 0; i < 80000; i++)
			buf_adds(&b, i ? ",\"\\u006b\":1" : "\"k\":1");
		buf_adds(&b, "}}]");
		T_EQ_INT(parse(b.p, b.len, 8, &why, &at, &copy), -1);
		T_EQ_STR(why, "duplicate key 'k'");
		T_EQ_INT(at, 13);
		free(copy);
		buf_release(&b);
	}
	/* the doc is fine for the next parse */
	T_EQ_INT(parse("{\"a\":1}", 7, 8, &why, &at, &copy), 0);
	free(copy);

	/* a long name is cut at 48 bytes, not inside a character */
	memset(key, 'x', 100);
	key[100] = 0;
	{
		struct buf b = BUF_INIT;
		buf_printf(&b, "{\"%s\":1,\"%s\":2}", key, key);
		T_EQ_INT(parse(b.p, b.len, 8, &why, &at, &copy), -1);
		T_EQ_STR(why, "duplicate key 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xe2\x80\xa6'");
		free(copy);
		/* 47 x then a 2-byte character across the cut */
		buf_reset(&b);
		buf_printf(&b, "{\"%.47s\xc3\xa9yy\":1,\"%.47s\\u00e9yy\":2}", key, key);
		T_EQ_INT(parse(b.p, b.len, 8, &why, &at, &copy), -1);
		T_EQ_STR(why, "duplicate key 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\xe2\x80\xa6'");
		free(copy);
		/* exactly 48 bytes: whole */
		buf_reset(&b);
		buf_printf(&b, "{\"%.48s\":1,\"%.48s\":2}", key, key);
		T_EQ_INT(parse(b.p, b.len, 8, &why, &at, &copy), -1);
		T_EQ_STR(why, "duplicate key 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'");
		free(copy);
		buf_release(&b);
	}
}

/* json_get_path: a dotted path through objects, and where it ends. */
static void test_get_path(void)
{
	static const char s[] =
		"{\"r\":{\"a\":{\"b\":{\"c\":9},\"n\":1,\"arr\":[{\"c\":7}]},\"a.b\":2,\"x\":\"a\"}}";
	struct buf out = BUF_INIT;
	const char *why;
	size_t at;
	char *copy;
	uint32_t r, v;

	T_EQ_INT(parse(s, sizeof s - 1, 8, &why, &at, &copy), 0);
	r = json_get(&doc, 0, "r", 1);
	v = json_get_path(&doc, r, "a.b.c");
	T_OK(v != 0);
	json_write_tok(&doc, v, &out);
	T_EQ_STR(out.p, "9");
	buf_reset(&out);
	json_write_tok(&doc, json_get_path(&doc, r, "a.b"), &out);
	T_EQ_STR(out.p, "{\"c\":9}");
	buf_reset(&out);
	json_write_tok(&doc, json_get_path(&doc, r, "x"), &out);
	T_EQ_STR(out.p, "\"a\"");
	/* through a number, an array, a string or a missing key: none */
	T_EQ_INT(json_get_path(&doc, r, "a.n.c"), 0);
	T_EQ_INT(json_get_path(&doc, r, "a.arr.c"), 0);
	T_EQ_INT(json_get_path(&doc, r, "x.a"), 0);
	T_EQ_INT(json_get_path(&doc, r, "a.zz.c"), 0);
	T_EQ_INT(json_get_path(&doc, r, "a.b.d"), 0);
	T_EQ_INT(json_get_path(&doc, json_get(&doc, r, "x", 1), "a"), 0);
	/* 0 is no object (an absent value as json_get gives it) */
	T_EQ_INT(json_get_path(&doc, 0, "r"), 0);
	T_EQ_INT(json_get_path(&doc, json_get(&doc, 0, "none", 4), "a"), 0);
	buf_release(&out);
	free(copy);
}

/*
 * A string of every length up to 40, as an object's last value and as its
 * key, with 0 to 17 bytes of white space after the object, so that it ends
 * at every distance from the end of the text (the parser looks at 16 bytes
 * at a time, and byte by byte near the end): plain, or with one special
 * byte at each place (an escape, a two-byte character, a control
 * character, an invalid byte). Each gives its token's length and escape
 * flag, or its error at the special byte; a string left open says so at
 * the end.
 */
static void test_string_edges(void)
{
	static const struct {
		const char *b, *why;
	} sp[] = {
		{"", NULL},
		{"\\n", NULL},
		{"\xc3\xa9", NULL},
		{"\x01", "control character in string"},
		{"\xff", "invalid utf-8 in string"},
	};
	char s[128], *copy;
	const char *why;
	size_t len, k, pos, ws, at, n, bn, pre;
	int key, rc, good;

	for (len = 0; len <= 40; len++)
		for (k = 0; k < sizeof sp / sizeof *sp; k++)
			for (pos = 0; pos <= (k ? len : 0); pos++)
				for (key = 0; key < 2; key++)
					for (ws = 0; ws <= 17; ws++) {
						bn = strlen(sp[k].b);
						n = 0;
						memcpy(s, key ? "{\"" : "{\"a\":1,\"k\":\"", key ? 2 : 12);
						n = pre = key ? 2 : 12;
						memset(s + n, 'x', pos);
						n += pos;
						memcpy(s + n, sp[k].b, bn);
						n += bn;
						memset(s + n, 'x', len - pos);
						n += len - pos;
						memcpy(s + n, key ? "\":1}" : "\"}", key ? 4 : 2);
						n += key ? 4 : 2;
						memset(s + n, ' ', ws);
						n += ws;
						rc = parse(s, n, 8, &why, &at, &copy);
						if (sp[k].why) {
							good = rc == -1 && why && !strcmp(why, sp[k].why) &&
							       at == pre + pos;
						} else {
							uint32_t t = key ? 1 : 4;
							good = rc == 0 && doc.nt == (key ? 3u : 5u) &&
							       doc.t[t].type == JSON_STRING &&
							       doc.t[t].off == pre && doc.t[t].len == len + bn &&
							       doc.t[t].esc == (k == 1) && !doc.t[0].esc;
						}
						T_OK(good);
						if (!good) {
							fprintf(stderr, "  input: ");
							show(s, n);
							fprintf(stderr, "\n");
						}
						free(copy);
					}
	for (len = 0; len <= 40; len++)
		for (ws = 0; ws <= 1; ws++) {
			memcpy(s, "[\"", 2);
			memset(s + 2, 'x', len);
			n = 2 + len;
			if (ws)
				s[n++] = '\\';
			rc = parse(s, n, 8, &why, &at, &copy);
			T_OK(rc == -1 && why && !strcmp(why, "unterminated string") && at == n - ws);
			free(copy);
		}
}

int main(void)
{
	test_scan_oneid();
	test_num_plain();
	test_table();
	test_tokens();
	test_depth();
	test_reuse();
	test_get();
	test_get_path();
	test_dup_keys();
	test_str_get();
	test_write();
	test_string_edges();
	json_doc_release(&doc);
	return t_done("json");
}
