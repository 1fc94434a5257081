/*
 * t-jqprog - compiling and running jq programs, and building jq values from
 * parsed JSON tokens.
 *
 * Values built by jqprog_from_json are run through "." and compared with
 * the compact text the jq dumper is expected to write for them.
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jqprog.h"
#include "json.h"
#include "t.h"

/* Compile text, expecting success. */
static struct jqprog *compile_ok(const char *text)
{
	struct buf err = BUF_INIT;
	struct jqprog *p = jqprog_compile("test", text, &err);

	T_OK(p != NULL);
	T_EQ_INT(err.len, 0);
	if (!p)
		fprintf(stderr, "compile '%s': %s\n", text, err.p ? err.p : "");
	buf_release(&err);
	return p;
}

/* Parse text into a jv (null if it does not parse, after a failed check). */
static jv from_text(const char *text)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why = NULL;
	size_t at = 0;
	jv v;

	if (json_parse(&d, text, strlen(text), 64, &why, &at)) {
		T_OK(!"json_parse failed");
		fprintf(stderr, "parse '%s': %s at %zu\n", text, why, at);
		json_doc_release(&d);
		return jv_null();
	}
	v = jqprog_from_json(&d, 0);
	json_doc_release(&d);
	return v;
}

/* Run program text on input text; the results must be want (each line
 * ending in '\n') and number n. */
static void run_expect(const char *prog, const char *input, int n,
		       const char *want, int line)
{
	struct jqprog *p = compile_ok(prog);
	struct buf out = BUF_INIT, err = BUF_INIT;
	int rc;

	if (!p)
		return;
	rc = jqprog_run(p, from_text(input), &out, &err);
	t_run += 3;
	if (rc != n) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s on %s: %d results, want %d (%s)\n",
			__FILE__, line, prog, input, rc, n, err.p ? err.p : "");
	}
	if (strcmp(out.p ? out.p : "", want)) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s on %s: got\n%s--- want\n%s---\n",
			__FILE__, line, prog, input, out.p ? out.p : "", want);
	}
	if (err.len) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s on %s: unexpected error %s\n",
			__FILE__, line, prog, input, err.p);
	}
	buf_release(&out);
	buf_release(&err);
	jqprog_free(p);
}

#define RUN(prog, input, n, want) run_expect(prog, input, n, want, __LINE__)
/* "." on input gives want (compact) and one line */
#define RT(input, want) run_expect(".", input, 1, want "\n", __LINE__)
#define RTSAME(input) RT(input, input)

static void test_compile_errors(void)
{
	static const char *const bad[] = {
		".a |",
		"[1, 2",
		"{a: }",
		"no_such_function(1)",
		".[",
		"if . then 1",
		")",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct buf err = BUF_INIT;
		struct jqprog *p = jqprog_compile("bad", bad[i], &err);

		T_OK(p == NULL);
		T_OK(err.len > 0);
		if (p || !err.len)
			fprintf(stderr, "  program: %s\n", bad[i]);
		jqprog_free(p);
		buf_release(&err);
	}

	/* the messages are appended to what err holds already */
	{
		struct buf err = BUF_INIT;
		buf_adds(&err, "mapping x: ");
		T_OK(jqprog_compile("bad", "no_such_function(1)", &err) == NULL);
		T_OK(err.len > strlen("mapping x: "));
		T_OK(!strncmp(err.p, "mapping x: ", 11));
		T_OK(strstr(err.p, "no_such_function") != NULL);
		buf_release(&err);
	}
	jqprog_free(NULL);
}

static void test_results(void)
{
	/* 0, 1 and 3 results */
	RUN("empty", "{\"a\":1}", 0, "");
	RUN("select(.a == 2)", "{\"a\":1}", 0, "");
	RUN(".a", "{\"a\":1}", 1, "1\n");
	RUN(".", "{\"a\": [1, 2]}", 1, "{\"a\":[1,2]}\n");
	RUN(".[]", "[1,\"two\",{\"three\":3}]", 3, "1\n\"two\"\n{\"three\":3}\n");
	RUN(".a, .b, .c", "{\"a\":1,\"b\":null,\"c\":[true]}", 3,
	    "1\nnull\n[true]\n");
	/* a missing key is null, not an error */
	RUN(".missing", "{}", 1, "null\n");
	/* built objects keep the program's key order */
	RUN("{z: .a, a: .b}", "{\"a\":1,\"b\":2}", 1, "{\"z\":1,\"a\":2}\n");
	/* strings with special characters come out escaped */
	RUN(".s + \"\\t\\\"\"", "{\"s\":\"x\"}", 1, "\"x\\t\\\"\"\n");

	/* results are appended after what out holds */
	{
		struct jqprog *p = compile_ok(".[]");
		struct buf out = BUF_INIT, err = BUF_INIT;
		if (p) {
			buf_adds(&out, "before\n");
			T_EQ_INT(jqprog_run(p, from_text("[1,2]"), &out, &err), 2);
			T_EQ_STR(out.p, "before\n1\n2\n");
			T_EQ_INT(err.len, 0);
			/* and the same program again on another input */
			T_EQ_INT(jqprog_run(p, from_text("[]"), &out, &err), 0);
			T_EQ_STR(out.p, "before\n1\n2\n");
			T_EQ_INT(jqprog_run(p, from_text("[[3]]"), &out, &err), 1);
			T_EQ_STR(out.p, "before\n1\n2\n[3]\n");
		}
		buf_release(&out);
		buf_release(&err);
		jqprog_free(p);
	}
}

/* Run prog on input text with out pre-filled; expect -1, an error holding
 * what, and out as it was. */
static void run_error(const char *prog, const char *input, const char *what,
		      int line)
{
	struct jqprog *p = compile_ok(prog);
	struct buf out = BUF_INIT, err = BUF_INIT;
	static const char pre[] = "{\"earlier\":1}\npartial";
	int rc;

	if (!p)
		return;
	buf_adds(&out, pre);
	rc = jqprog_run(p, from_text(input), &out, &err);
	t_run += 4;
	if (rc != -1) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s: returned %d, want -1\n", __FILE__,
			line, prog, rc);
	}
	if (!err.p || !strstr(err.p, what)) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s: error '%s', want '%s' in it\n",
			__FILE__, line, prog, err.p ? err.p : "", what);
	}
	if (out.len != sizeof pre - 1) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s: out has %zu bytes, want %zu\n",
			__FILE__, line, prog, out.len, sizeof pre - 1);
	}
	if (!out.p || memcmp(out.p, pre, sizeof pre)) { /* NUL included */
		t_failed++;
		fprintf(stderr, "%s:%d: %s: out changed: '%s'\n", __FILE__,
			line, prog, out.p ? out.p : "");
	}
	/* the same program runs again, to the same error */
	buf_reset(&out);
	buf_reset(&err);
	T_EQ_INT(jqprog_run(p, from_text(input), &out, &err), -1);
	T_OK(err.p && strstr(err.p, what));
	T_EQ_INT(out.len, 0);
	buf_release(&out);
	buf_release(&err);
	jqprog_free(p);
}

static void test_errors(void)
{
	run_error("error(\"why\")", "{}", "why", __LINE__);
	/* results before the error are discarded */
	run_error("1, 2, error(\"why\")", "{}", "why", __LINE__);
	run_error(".[] | if . == 3 then error(\"three\") else . end", "[1,2,3,4]",
		  "three", __LINE__);
	/* runtime errors raised by jq itself */
	run_error(".a | tonumber", "{\"a\":\"x\"}", "x", __LINE__);
	run_error(".a + 1", "{\"a\":\"s\"}", "cannot be added", __LINE__);
	run_error(".[0]", "{\"a\":1}", "Cannot index", __LINE__);
	/* an error value that is not a string is written as JSON */
	run_error("error({\"code\": 7})", "null", "{\"code\":7}", __LINE__);

	/* an empty output buffer stays empty, and NUL-terminated */
	{
		struct jqprog *p = compile_ok("1, error(\"e\")");
		struct buf out = BUF_INIT, err = BUF_INIT;
		if (p) {
			T_EQ_INT(jqprog_run(p, jv_null(), &out, &err), -1);
			T_EQ_INT(out.len, 0);
			T_OK(!out.p || !out.p[0]);
			T_EQ_STR(err.p, "e");
			/* err is appended to */
			T_EQ_INT(jqprog_run(p, jv_null(), &out, &err), -1);
			T_OK(!strncmp(err.p, "e", 1) && err.len >= 2);
		}
		buf_release(&out);
		buf_release(&err);
		jqprog_free(p);
	}
}

#define Z10 "0000000000"

static void test_from_json(void)
{
	/* scalars */
	RTSAME("null");
	RTSAME("true");
	RTSAME("false");
	RTSAME("0");
	RTSAME("42");
	RTSAME("-7");
	RTSAME("236.12");
	RTSAME("-0.5");
	RTSAME("3.141592653589793");
	RTSAME("9007199254740992");
	RT("1e3", "1000");
	RT("1E+2", "100");
	RT("-2.5e-3", "-0.0025");
	RT("1.5e300", "1.5e+300");
	RT("100.0", "100");
	RT("-0", "-0");
	/* long number texts keep their value (no cut at some buffer size) */
	RT("1" Z10 Z10 Z10 Z10 Z10 Z10 Z10, "1e+70");
	RT("1." Z10 Z10 Z10 Z10 Z10 Z10 Z10 "e5", "100000");
	RT("-0." Z10 Z10 Z10 Z10 Z10 Z10 Z10 "25", "-2.5e-71");
	RT("2.5" Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 Z10 "E-1", "0.25");

	/* strings and their escapes */
	RTSAME("\"\"");
	RTSAME("\"plain\"");
	RTSAME("\"q\\\"b\\\\s/\"");
	RT("\"\\/\"", "\"/\"");
	RTSAME("\"tab\\tnl\\ncr\\rbs\\bff\\f\"");
	RTSAME("\"\\u0001\\u001f\"");
	RT("\"\\u0041\\u0062\"", "\"Ab\"");
	RT("\"caf\\u00e9\"", "\"caf\xc3\xa9\"");
	RTSAME("\"caf\xc3\xa9\"");
	RT("\"\\u20ac\"", "\"\xe2\x82\xac\"");
	/* a surrogate pair: U+1F600 */
	RT("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
	RTSAME("\"\xf0\x9f\x98\x80 x\"");
	/* DEL is escaped by jq's writer */
	RT("\"\\u007f\"", "\"\\u007f\"");

	/* containers */
	RTSAME("[]");
	RTSAME("{}");
	RTSAME("[1,\"a\",null,true,false,{},[]]");
	RTSAME("{\"a\":1,\"b\":\"two\",\"c\":null,\"d\":true,\"e\":false}");
	RTSAME("{\"z\":1,\"a\":2,\"m\":3}"); /* key order kept */
	RTSAME("{\"a\":{\"b\":[1,{\"c\":[[],[[]]]}]},\"d\":[{\"e\":{}}]}");
	RTSAME("[[[[[[\"deep\"]]]]]]");
	RT(" { \"a\" : [ 1 , 2 ] ,\n \"b\" : { } } ", "{\"a\":[1,2],\"b\":{}}");
	RT("{\"k\\u00e9y\":\"v\\n\",\"\\ud83d\\ude00\":[1.25e1]}",
	   "{\"k\xc3\xa9y\":\"v\\n\",\"\xf0\x9f\x98\x80\":[12.5]}");
	RTSAME("{\"amount\":236.12,\"qty\":-3,\"ts\":1700000000123,"
	       "\"tags\":[\"x\",\"y\"],\"meta\":{\"ok\":true,\"n\":null}}");
	/* (a repeated key never gets here: json_parse refuses it, t-json) */

	/* a value inside a document, by token index */
	{
		static const char text[] = "{\"x\":[1,2],\"y\":{\"z\":\"w\"}}";
		struct json_doc d = JSON_DOC_INIT;
		struct jqprog *p = compile_ok(".");
		struct buf out = BUF_INIT, err = BUF_INIT;
		const char *why;
		size_t at;
		uint32_t i;

		T_EQ_INT(json_parse(&d, text, sizeof text - 1, 8, &why, &at), 0);
		i = json_get(&d, 0, "y", 1);
		T_OK(i > 0);
		if (p && i) {
			T_EQ_INT(jqprog_run(p, jqprog_from_json(&d, i), &out, &err), 1);
			T_EQ_STR(out.p, "{\"z\":\"w\"}\n");
			i = json_get(&d, 0, "x", 1);
			T_EQ_INT(jqprog_run(p, jqprog_from_json(&d, i + 2), &out, &err), 1);
			T_EQ_STR(out.p, "{\"z\":\"w\"}\n2\n");
		}
		buf_release(&out);
		buf_release(&err);
		jqprog_free(p);
		json_doc_release(&d);
	}
}

/* One program, many runs: results, errors and no growth (LSan checks the
 * memory at exit). */
static void test_reuse(void)
{
	struct jqprog *p = compile_ok(
		"if .n % 7 == 0 then error(\"seven \\(.n)\") "
		"else {n: .n, s: (.s + \"!\"), a: [.a[] * 2]} end");
	struct json_doc d = JSON_DOC_INIT;
	struct buf out = BUF_INIT, err = BUF_INIT, text = BUF_INIT;
	int i, ok = 1, nerr = 0, nres = 0;

	if (!p)
		return;
	for (i = 0; i < 10000; i++) {
		const char *why;
		size_t at;
		char want[128];
		int rc;

		buf_reset(&text);
		buf_printf(&text, "{\"n\":%d,\"s\":\"r\\u00e9%d\",\"a\":[%d,%d.5]}",
			   i, i, i, i);
		if (json_parse(&d, text.p, text.len, 8, &why, &at)) {
			ok = 0;
			break;
		}
		buf_reset(&out);
		buf_reset(&err);
		rc = jqprog_run(p, jqprog_from_json(&d, 0), &out, &err);
		if (i % 7 == 0) {
			snprintf(want, sizeof want, "seven %d", i);
			if (rc != -1 || out.len || !err.p || strcmp(err.p, want))
				ok = 0;
			nerr++;
		} else {
			snprintf(want, sizeof want,
				 "{\"n\":%d,\"s\":\"r\xc3\xa9%d!\",\"a\":[%d,%d]}\n",
				 i, i, 2 * i, 2 * i + 1);
			if (rc != 1 || err.len || strcmp(out.p, want))
				ok = 0;
			nres++;
		}
		if (!ok) {
			fprintf(stderr, "run %d: rc %d out '%s' err '%s'\n", i, rc,
				out.p ? out.p : "", err.p ? err.p : "");
			break;
		}
	}
	T_OK(ok);
	T_EQ_INT(nerr, 1429);
	T_EQ_INT(nres, 8571);
	json_doc_release(&d);
	buf_release(&out);
	buf_release(&err);
	buf_release(&text);
	jqprog_free(p);

	/* compile and free many times */
	for (i = 0; i < 200; i++) {
		struct buf e = BUF_INIT;
		struct jqprog *q = jqprog_compile("loop", i % 2 ? ".a" : ".a |", &e);
		if ((i % 2 && (!q || e.len)) || (!(i % 2) && (q || !e.len)))
			ok = 0;
		jqprog_free(q);
		buf_release(&e);
	}
	T_OK(ok);
}

/*
 * The prelude: tonumber, ltrimstr and rtrimstr give what libjq's give, and
 * on the inputs where libjq 1.6 leaks (tonumber of a string holding an
 * array, an object or a string; the trims of what is not a string) they
 * keep no memory: 20000 runs of each must not grow the heap. (Under the
 * address sanitizer mallinfo2 says nothing, and LeakSanitizer checks the
 * same at exit.)
 */
static void test_prelude(void)
{
	static const char *const leaky[][2] = {
		{".a | tonumber", "{\"a\":\"[1,2]\"}"},
		{".a | tonumber", "{\"a\":\"{}\"}"},
		{".a | tonumber", "{\"a\":\" \\\"x\\\"\"}"},
		{".a | tonumber", "{\"a\":\"\\ufeff\\n[]\"}"},
		{".a | ltrimstr(\"x\")", "{\"a\":[1]}"},
		{".a | rtrimstr(\"x\")", "{\"a\":7}"},
		{".a | ltrimstr(1)", "{\"a\":\"x\"}"},
	};
	size_t i;
	int k;

	RUN("[.[] | tonumber]", "[\"12\",\" 7\",\"-1.5e3\",3,\"\\n\\t 4\",\"nan\"]", 1,
	    "[12,7,-1500,3,4,null]\n");
	RUN("[.[] | try tonumber catch .]", "[\"[]\",\"{\\\"a\\\":1}\",\" [1]\",\"true\",[1],\"[\\\"abcdefghijklm\\\"]\"]", 1,
	    "[\"string (\\\"[]\\\") cannot be parsed as a number\","
	    "\"string (\\\"{\\\\\\\"a\\\\\\\":1}\\\") cannot be parsed as a number\","
	    "\"string (\\\" [1]\\\") cannot be parsed as a number\","
	    "\"string (\\\"true\\\") cannot be parsed as a number\","
	    "\"array ([1]) cannot be parsed as a number\","
	    "\"string (\\\"[\\\\\\\"abcdefg...) cannot be parsed as a number\"]\n");
	RUN("[.[] | ltrimstr(\"ab\"), rtrimstr(\"yz\")]", "[\"abcxyz\",null,1,[\"ab\"]]", 1,
	    "[\"cxyz\",\"abcx\",null,null,1,1,[\"ab\"],[\"ab\"]]\n");
	RUN("[ltrimstr(1), rtrimstr(null)]", "\"abc\"", 1, "[\"abc\",\"abc\"]\n");
	for (i = 0; i < sizeof leaky / sizeof leaky[0]; i++) {
		struct jqprog *p = compile_ok(leaky[i][0]);
		struct buf out = BUF_INIT, err = BUF_INIT;
		size_t before = 0;
		if (!p)
			continue;
		for (k = 0; k < 20100; k++) {
			if (k == 100)
				before = mallinfo2().uordblks;
			buf_reset(&out);
			buf_reset(&err);
			jqprog_run(p, from_text(leaky[i][1]), &out, &err);
		}
		t_run++;
		if (mallinfo2().uordblks > before + 65536) {
			t_failed++;
			fprintf(stderr, "%s:%d: %s on %s: the heap grew by %zu bytes in 20000 runs\n",
				__FILE__, __LINE__, leaky[i][0], leaky[i][1],
				mallinfo2().uordblks - before);
		}
		buf_release(&out);
		buf_release(&err);
		jqprog_free(p);
	}
	/* a compile error on the first line quotes the program's line alone */
	{
		struct buf err = BUF_INIT;
		T_OK(jqprog_compile("bad", "{a: .b", &err) == NULL);
		T_OK(err.p && strstr(err.p, "line 1:\n{a: .b") && !strstr(err.p, "_uops"));
		buf_release(&err);
	}
}

int main(void)
{
	test_compile_errors();
	test_results();
	test_errors();
	test_from_json();
	test_reuse();
	test_prelude();
	return t_done("jqprog");
}
