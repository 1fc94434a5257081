/*
 * t-map - native source maps: each operator against the jq filter it
 * stands for (run by libjq on the same record: the same text, or the same
 * error), numbers written as jq writes them, compile errors, CSV rows.
 */
#include <float.h>
#include <jv.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jqprog.h"
#include "json.h"
#include "map.h"
#include "t.h"

/* Map input with {"event": {"v": expr}} and with jq {v: (jq)}: both must
 * give the same text, or both fail with the same message. */
static void same(const char *expr, const char *jq, const char *input)
{
	struct buf text = BUF_INIT, err = BUF_INIT, a = BUF_INIT, b = BUF_INIT, ea = BUF_INIT,
		   eb = BUF_INIT;
	struct json_doc d = JSON_DOC_INIT;
	struct map *m;
	struct map_ctx *c;
	struct jqprog *p;
	const char *why;
	size_t at;
	int ra, rb;

	buf_printf(&text, "{\"event\": {\"v\": %s}}", expr);
	m = map_compile("t", text.p, text.len, &err);
	T_OK(m != NULL);
	if (!m) {
		fprintf(stderr, "map %s: %s\n", expr, err.p);
		goto out;
	}
	buf_reset(&text);
	buf_printf(&text, "{v: (%s)}", jq);
	p = jqprog_compile("t", text.p, &err);
	T_OK(p != NULL);
	if (!p) {
		fprintf(stderr, "jq %s: %s\n", jq, err.p);
		map_free(m);
		goto out;
	}
	c = map_ctx_new(m);
	T_OK(json_parse(&d, input, strlen(input), 64, &why, &at) == 0);
	ra = map_run_json(c, &d, &a, &ea);
	rb = jqprog_run(p, jqprog_from_json(&d, 0), &b, &eb);
	if (rb > 0 && b.len)
		b.p[--b.len] = 0; /* the newline */
	T_EQ_INT(ra < 0 ? -1 : ra, rb < 0 ? -1 : rb);
	if (ra > 0 && rb > 0)
		T_EQ_STR(a.p, b.p);
	if (ra < 0 && rb < 0)
		T_EQ_STR(ea.p, eb.p);
	if ((ra > 0 && rb > 0 && strcmp(a.p, b.p)) || (ra < 0) != (rb < 0))
		fprintf(stderr, "  on %s: map %s gave %s%s, jq %s gave %s%s\n", input, expr,
			a.p ? a.p : "", ea.p ? ea.p : "", jq, b.p ? b.p : "", eb.p ? eb.p : "");
	map_ctx_free(c);
	map_free(m);
	jqprog_free(p);
out:
	json_doc_release(&d);
	buf_release(&text);
	buf_release(&err);
	buf_release(&a);
	buf_release(&b);
	buf_release(&ea);
	buf_release(&eb);
}

static void compile_fails(const char *text, const char *want)
{
	struct buf err = BUF_INIT;
	struct map *m = map_compile("t", text, strlen(text), &err);

	T_OK(m == NULL);
	T_OK(err.p && strstr(err.p, want));
	if (!err.p || !strstr(err.p, want))
		fprintf(stderr, "  compile %s: got '%s', want '%s'\n", text, err.p ? err.p : "", want);
	map_free(m);
	buf_release(&err);
}

static void num_as_jq(double x)
{
	struct buf a = BUF_INIT;
	jv s = jv_dump_string(jv_number(x), 0);

	map_num_format(x, &a);
	T_EQ_STR(a.p, jv_string_value(s));
	jv_free(s);
	buf_release(&a);
}

static const char rec[] =
	"{\"s\":\"Hello World\",\"n\":2.55,\"q\":6,\"z\":0,\"e\":\"\",\"nul\":null,\"t\":true,"
	"\"o\":{\"a\":1,\"b\":\"x\",\"c\":null},\"arr\":[1,\"x\"],\"num\":\"12.50\","
	"\"sn\":\" 5 \",\"bad\":\"abc\",\"esc\":\"a\\\"b\\u00e9\\u007f\\n\",\"big\":1e400,"
	"\"id\":\"17850.0\",\"lst\":\"[1]\"}";

int main(void)
{
	unsigned long long r = 88172645463325252ull;
	int i;

	/* paths, literals, objects */
	same("[\"get\", \"s\"]", ".s", rec);
	same("[\"get\", \"o.b\"]", ".o.b", rec);
	same("[\"get\", \"o.nope.x\"]", ".o.nope.x", rec);
	same("[\"get\", \"s.x\"]", ".s.x", rec);
	same("[\"get\", \"arr.x\"]", ".arr.x", rec);
	same("[\"get\", \"b\", [\"get\", \"o\"]]", ".o | .b", rec);
	same("[\"get\", \"esc\"]", ".esc", rec);
	same("[\"get\", \"big\"]", ".big", rec);
	same("[\"get\", \"o\"]", ".o", rec);
	same("{\"k\": 1.50, \"s\": \"\\u0001\", \"a\": [\"get\", \"arr\"]}", "{k: 1.50, s: \"\\u0001\", a: .arr}", rec);
	same("[\"get\", \"x\"]", ".x", "[1]");
	same("[\"get\", \"x\"]", ".x", "null");
	/* conditions */
	same("[\"if\", [\"get\", \"t\"], 1, 2]", "if .t then 1 else 2 end", rec);
	same("[\"if\", [\"get\", \"nul\"], 1]", "if .nul then 1 else null end", rec);
	same("[\"and\", [\"get\", \"t\"], [\"get\", \"s\"]]", ".t and .s", rec);
	same("[\"or\", [\"get\", \"nul\"], false]", ".nul or false", rec);
	same("[\"not\", [\"get\", \"e\"]]", ".e | not", rec);
	same("[\"==\", [\"get\", \"q\"], 6]", ".q == 6", rec);
	same("[\"!=\", [\"get\", \"s\"], \"x\"]", ".s != \"x\"", rec);
	same("[\"<\", [\"get\", \"s\"], [\"get\", \"q\"]]", ".s < .q", rec);
	same("[\">=\", [\"get\", \"n\"], 2.55]", ".n >= 2.55", rec);
	same("[\"<=\", \"ab\", \"abc\"]", "\"ab\" <= \"abc\"", rec);
	same("[\"//\", [\"get\", \"nul\"], [\"get\", \"e\"], 3]", ".nul // .e // 3", rec);
	same("[\"//\", [\"get\", \"s.x\"], 3]", ".s.x // 3", rec);
	same("[\"//\", [\"try\", [\"get\", \"s.x\"]], 3]", "(.s.x)? // 3", rec);
	same("[\"error\", \"stop\"]", "error(\"stop\")", rec);
	/* arithmetic */
	same("[\"/\", [\"round\", [\"*\", [\"get\", \"q\"], [\"get\", \"n\"], 100]], 100]", "(.q * .n * 100 | round) / 100", rec);
	same("[\"*\", [\"get\", \"q\"], [\"get\", \"n\"]]", ".q * .n", rec);
	same("[\"-\", [\"get\", \"n\"], 0.1]", ".n - 0.1", rec);
	same("[\"/\", [\"get\", \"q\"], [\"get\", \"z\"]]", ".q / .z", rec);
	same("[\"-\", [\"get\", \"q\"], [\"get\", \"s\"]]", ".q - .s", rec);
	same("[\"+\", [\"get\", \"s\"], \"!\", [\"get\", \"nul\"]]", ".s + \"!\" + .nul", rec);
	same("[\"+\", [\"get\", \"s\"], 1]", ".s + 1", rec);
	same("[\"+\", [\"get\", \"o\"], {\"a\": 2, \"d\": 3}]", ".o + {a: 2, d: 3}", rec);
	same("[\"floor\", [\"get\", \"n\"]]", ".n | floor", rec);
	same("[\"ceil\", [\"get\", \"n\"]]", ".n | ceil", rec);
	same("[\"round\", [\"get\", \"s\"]]", ".s | round", rec);
	/* conversions */
	same("[\"tonumber\", [\"get\", \"num\"]]", ".num | tonumber", rec);
	same("[\"tonumber\", [\"get\", \"sn\"]]", ".sn | tonumber", rec);
	same("[\"tonumber\", [\"get\", \"bad\"]]", ".bad | tonumber", rec);
	same("[\"tonumber\", [\"get\", \"lst\"]]", ".lst | tonumber", rec);
	same("[\"tonumber\", [\"get\", \"t\"]]", ".t | tonumber", rec);
	same("[\"tonumber\", [\"get\", \"esc\"]]", ".esc | tonumber", rec);
	same("[\"tostring\", [\"get\", \"o\"]]", ".o | tostring", rec);
	same("[\"tostring\", [\"get\", \"n\"]]", ".n | tostring", rec);
	/* strings */
	same("[\"startswith\", [\"get\", \"s\"], \"Hell\"]", ".s | startswith(\"Hell\")", rec);
	same("[\"endswith\", [\"get\", \"s\"], \"x\"]", ".s | endswith(\"x\")", rec);
	same("[\"startswith\", [\"get\", \"q\"], \"x\"]", ".q | startswith(\"x\")", rec);
	same("[\"ltrimstr\", [\"get\", \"s\"], \"Hello \"]", ".s | ltrimstr(\"Hello \")", rec);
	same("[\"rtrimstr\", [\"get\", \"q\"], \"x\"]", ".q | rtrimstr(\"x\")", rec);
	same("[\"ascii_downcase\", [\"get\", \"esc\"]]", ".esc | ascii_downcase", rec);
	same("[\"ascii_upcase\", [\"get\", \"s\"]]", ".s | ascii_upcase", rec);
	same("[\"ascii_upcase\", [\"get\", \"q\"]]", ".q | ascii_upcase", rec);
	same("[\"sub\", [\"get\", \"id\"], \"\\\\.0+$\", \"\"]", ".id | sub(\"\\\\.0+$\"; \"\")", rec);
	same("[\"sub\", [\"get\", \"s\"], \"o\", \"0\"]", ".s | sub(\"o\"; \"0\")", rec);
	same("[\"gsub\", [\"get\", \"s\"], \"[^a-z]+\", \"_\"]", ".s | gsub(\"[^a-z]+\"; \"_\")", rec);
	same("[\"gsub\", [\"get\", \"esc\"], \"[^a-z0-9]+\", \"_\"]", ".esc | gsub(\"[^a-z0-9]+\"; \"_\")", rec);
	same("[\"test\", [\"get\", \"s\"], \"W.r\"]", ".s | test(\"W.r\")", rec);
	same("[\"sub\", [\"get\", \"q\"], \"x\", \"\"]", ".q | sub(\"x\"; \"\")", rec);
	/* lookups and objects */
	same("[\"lookup\", [\"get\", \"o.b\"], {\"x\": \"found\"}]", "{\"x\": \"found\"}[.o.b]", rec);
	same("[\"lookup\", [\"get\", \"s\"], {\"x\": 1}]", "{\"x\": 1}[.s]", rec);
	same("[\"lookup\", [\"get\", \"q\"], {\"x\": 1}]", "{\"x\": 1}[.q]", rec);
	same("[\"lookup\", [\"get\", \"nul\"], {\"x\": 1}]", "{\"x\": 1}[.nul]", rec);
	same("[\"compact\", [\"get\", \"o\"]]", ".o | with_entries(select(.value != null))", rec);
	same("[\"compact\", {\"a\": [\"get\", \"e\"], \"b\": [\"get\", \"s\"], \"c\": null}, \"\"]",
	     "{a: .e, b: .s, c: null} | with_entries(select(.value != \"\"))", rec);
	same("[\"without\", [\"get\", \"o\"], \"a\", \"c\"]", ".o | del(.a, .c)", rec);
	same("[\"without\", [\"get\", \"nul\"], \"a\"]", ".nul | del(.a)", rec);
	same("{\"a\": [\"opt\", [\"get\", \"nul\"]], \"b\": 1}", "{a: .nul, b: 1} | if .a == null then del(.a) else . end", rec);
	same("[\"jq\", \".arr | length\"]", ".arr | length", rec);

	/* CSV rows: columns by name, bad UTF-8 as jq takes it */
	{
		static const char text[] = "{\"event\": {\"a\": [\"get\", \"A\"], \"b\": [\"get\", \"B\"], "
					   "\"n\": [\"get\", \"none\"]}}";
		char *hdr[] = {"B", "A"};
		const char row[] = "b\xff" "\0" "a";
		struct csv_field f[2] = {{0, 2, 0}, {3, 1, 0}};
		struct buf err = BUF_INIT, out = BUF_INIT;
		struct map *m = map_compile("t", text, sizeof text - 1, &err);
		struct map_ctx *c;
		T_OK(m != NULL);
		map_bind_columns(m, hdr, 2);
		c = map_ctx_new(m);
		T_EQ_INT(map_run_csv(c, row, f, 2, &out, &err), MAP_EVENT);
		T_EQ_STR(out.p, "{\"a\":\"a\",\"b\":\"b\xef\xbf\xbd\",\"n\":null}");
		map_ctx_free(c);
		map_free(m);
		buf_release(&err);
		buf_release(&out);
	}
	/* when, let, try as jq 1.6 has it */
	{
		static const char text[] =
			"{\"when\": [\"!=\", [\"get\", \"skip\"], true],"
			" \"let\": {\"x\": [\"//\", [\"try\", [\"tonumber\", [\"get\", \"x\"]]], [\"error\", \"x?\"]],"
			"          \"y\": [\"//\", [\"try\", [\"tonumber\", [\"get\", \"y\"]]], [\"error\", \"y?\"]]},"
			" \"event\": {\"s\": [\"+\", [\"var\", \"x\"], [\"var\", \"y\"]]}}";
		static const struct {
			const char *in;
			int want;
			const char *out;
		} cases[] = {
			{"{\"x\":\"1\",\"y\":\"2\"}", MAP_EVENT, "{\"s\":3}"},
			{"{\"x\":\"1\",\"y\":\"2\",\"skip\":true}", MAP_SKIP, NULL},
			{"{\"x\":\"a\",\"y\":\"2\"}", MAP_ERROR, "x?"},
			{"{\"x\":\"1\",\"y\":\"b\"}", MAP_SKIP, NULL}, /* jq 1.6 */
		};
		struct buf err = BUF_INIT, out = BUF_INIT;
		struct map *m = map_compile("t", text, sizeof text - 1, &err);
		struct map_ctx *c;
		struct json_doc d = JSON_DOC_INIT;
		const char *why;
		size_t at, k;
		T_OK(m != NULL);
		c = map_ctx_new(m);
		for (k = 0; k < sizeof cases / sizeof *cases; k++) {
			buf_reset(&out);
			buf_reset(&err);
			json_parse(&d, cases[k].in, strlen(cases[k].in), 64, &why, &at);
			T_EQ_INT(map_run_json(c, &d, &out, &err), cases[k].want);
			if (cases[k].want == MAP_EVENT)
				T_EQ_STR(out.p, cases[k].out);
			if (cases[k].want == MAP_ERROR)
				T_EQ_STR(err.p, cases[k].out);
		}
		map_ctx_free(c);
		map_free(m);
		json_doc_release(&d);
		buf_release(&err);
		buf_release(&out);
	}

	/* compile errors say where and what */
	compile_fails("[1]", "a map is a JSON object");
	compile_fails("{\"event\": {}, \"x\": 1}", "unknown key 'x'");
	compile_fails("{\"event\": {\"a\": [\"nope\", 1]}}", "event.a: unknown operator 'nope'");
	compile_fails("{\"event\": {\"a\": [\"round\", 1, 2]}}", "'round' takes 1 argument, not 2");
	compile_fails("{\"event\": {\"a\": [\"var\", \"x\"]}}", "no \"let\" before this one is called 'x'");
	compile_fails("{\"event\": {\"a\": [\"gsub\", \"s\", \"x*\", \"\"]}}", "matches the empty string");
	compile_fails("{\"event\": {\"a\": [\"sub\", \"s\", \"(\", \"\"]}}", "does not compile");
	compile_fails("{\"event\": {\"a\": [\"jq\", \"{\"]}}", "jq program does not compile");
	compile_fails("{\"event\": {\"a\": [\"get\", \"a..b\"]}}", "empty name");
	compile_fails("{\"event\": {\"a\": []}}", "an operator call is an array");
	compile_fails("{\"event\": 1}", "\"event\" must be an object");

	/* numbers as jq writes them */
	{
		static const double fixed[] = {0.0, -0.0, 1, -1, 15.3, 2.55 * 6, 0.1 + 0.2, 1e15, 1e16, 1e17,
					       123456789012345678.0, 1e-5, 1e-4, 0.0001234, 1e300, 5e-324,
					       DBL_MAX, -DBL_MAX, 1e22, 1e21, 100000, 1234567.125, 0.5, 3.75,
					       329.0, 12345678901234.56, 1.7976931348623157e308};
		size_t k;
		for (k = 0; k < sizeof fixed / sizeof *fixed; k++)
			num_as_jq(fixed[k]);
		num_as_jq(NAN);
		num_as_jq(INFINITY);
		num_as_jq(-INFINITY);
	}
	for (i = 0; i < 200000; i++) {
		union {
			uint64_t u;
			double d;
		} x;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		x.u = r;
		if (i & 1) {
			/* amounts: cents, as round(q * p * 100) / 100 gives */
			x.d = (double)(int64_t)(r % 2000000001ull - 1000000000) / 100;
		}
		num_as_jq(x.d);
	}
	for (i = 0; i < 100000; i++) {
		char s[40];
		int n = t_rand_number(&r, s, 17, 8);
		num_as_jq(strtod(s, NULL));
		(void)n;
	}
	return t_done("t-map");
}
