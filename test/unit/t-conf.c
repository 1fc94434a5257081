/*
 * t-conf - definition files: loading, syntax errors with file:line:col,
 * unknown keys, typed getters and the path of every error.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "conf.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-conf-XXXXXX";
static char path[512];

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Write text to dir/name; the path is left in path. */
static const char *put(const char *name, const char *text)
{
	size_t n = strlen(text);
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

/* "<path>" followed by rest, for expected messages. */
static const char *msg(const char *rest)
{
	static struct buf b = BUF_INIT;

	buf_reset(&b);
	buf_printf(&b, "%s%s", path, rest);
	return b.p;
}

/* conf_load of text in f.json: "ok" or the error. */
static const char *load(struct conf *c, const char *text)
{
	put("f.json", text);
	if (conf_load(c, path) == 0)
		return c->err.len ? "ok with an error" : "ok";
	return c->err.p ? c->err.p : "(no error text)";
}

#define LOAD_ERR(text, rest)                                                 \
	do {                                                                 \
		struct conf c_;                                              \
		const char *g_ = load(&c_, text);                            \
		T_EQ_STR(g_, msg(rest));                                     \
		conf_release(&c_);                                           \
	} while (0)

static void test_load(void)
{
	struct conf c;

	T_EQ_STR(load(&c, "{}"), "ok");
	T_EQ_STR(c.path, path);
	T_EQ_INT(c.err.len, 0);
	conf_release(&c);
	T_EQ_STR(load(&c, "\n  {\"a\": {\"b\": [1, 2]}}\n"), "ok");
	T_EQ_INT(c.doc.t[0].type, JSON_OBJECT);
	T_EQ_INT(c.doc.t[0].size, 1);
	conf_release(&c);

	/* syntax errors: file:line:col, 1-based, at the offending byte */
	LOAD_ERR("{\n  \"a\": 1,\n  \"b\" 2\n}\n",
		 ":3:7: invalid json: expected ':' after key");
	LOAD_ERR("{\"a\":01}", ":1:7: invalid json: expected ',' or '}'");
	LOAD_ERR("{\"a\": 1}\n}\n", ":2:1: invalid json: trailing characters after value");
	LOAD_ERR("{\n\n\n\"a\": tru}", ":4:6: invalid json: invalid literal");
	LOAD_ERR("{\"a\": [1,\n 2,\n", ":3:1: invalid json: unexpected end of input");
	LOAD_ERR("{\"a\": \"x\ty\"}", ":1:9: invalid json: control character in string");
	LOAD_ERR("", ":1:1: invalid json: empty line");
	LOAD_ERR("\n\n", ":1:1: invalid json: empty line");
	/* a definition that gives a key twice reads one way only: refused */
	LOAD_ERR("{\"name\": \"a\",\n \"type\": \"bool\",\n \"n\\u0061me\": \"b\"}",
		 ":3:2: invalid json: duplicate key 'name'");
	/* the root must be an object */
	LOAD_ERR("[1, 2]", ": the file must hold a JSON object");
	LOAD_ERR("5", ": the file must hold a JSON object");
	LOAD_ERR("\"s\"", ": the file must hold a JSON object");
	LOAD_ERR("null", ": the file must hold a JSON object");

	/* a missing file */
	snprintf(path, sizeof path, "%s/%s", dir, "missing.json");
	T_EQ_INT(conf_load(&c, path), -1);
	T_OK(strncmp(c.err.p, path, strlen(path)) == 0);
	T_OK(strstr(c.err.p, "cannot open") != NULL);
	T_OK(strstr(c.err.p, strerror(ENOENT)) != NULL);
	conf_release(&c);
}

static const char doc[] =
	"{\n"
	"  \"name\": \"web\",\n"
	"  \"n\": 5,\n"
	"  \"neg\": -7,\n"
	"  \"big\": 9223372036854775807,\n"
	"  \"small\": -9223372036854775808,\n"
	"  \"over\": 9223372036854775808,\n"
	"  \"under\": -9223372036854775809,\n"
	"  \"huge\": 123456789012345678901234567890123,\n"
	"  \"frac\": 1.5,\n"
	"  \"exp\": 1e3,\n"
	"  \"zero\": -0,\n"
	"  \"t\": true,\n"
	"  \"nul\": null,\n"
	"  \"esc\": \"caf\\u00e9 \\\"q\\\"\",\n"
	"  \"empty\": \"\",\n"
	"  \"num_str\": \"12\",\n"
	"  \"sources\": {\"web\": {\"zone\": 3, \"port\": \"80\", \"ok\": \"x\"}},\n"
	"  \"list\": [1, \"two\", {\"k\": [], \"s\": \"v\"}, [[0, [7]]]],\n"
	"  \"na\\u006de2\": 1\n"
	"}\n";

/* Token index of the value at key in object obj (asserting it exists). */
static unsigned at_key(struct conf *c, unsigned obj, const char *key)
{
	unsigned v = json_get(&c->doc, obj, key, strlen(key));

	T_OK(v != 0);
	return v;
}

/* Token index of element i of array arr. */
static unsigned elem(struct conf *c, unsigned arr, unsigned i)
{
	unsigned j = arr + 1;

	T_OK(c->doc.t[arr].type == JSON_ARRAY && i < c->doc.t[arr].size);
	while (i--)
		j = c->doc.t[j].next;
	return j;
}

static struct conf c;

static int loaded(void)
{
	int ok;

	conf_release(&c);
	put("f.json", doc);
	ok = conf_load(&c, path) == 0;
	T_OK(ok);
	return ok;
}

static void test_getters(void)
{
	char *s = NULL;
	long long v = 1234;

	if (!loaded())
		return;
	/* strings */
	T_EQ_INT(conf_str(&c, 0, "name", &s), 1);
	T_EQ_STR(s, "web");
	free(s);
	T_EQ_INT(conf_str(&c, 0, "esc", &s), 1);
	T_EQ_STR(s, "caf\xc3\xa9 \"q\"");
	free(s);
	T_EQ_INT(conf_str(&c, 0, "empty", &s), 1);
	T_EQ_STR(s, "");
	free(s);
	s = (char *)"untouched";
	T_EQ_INT(conf_str(&c, 0, "absent", &s), 0);
	T_EQ_STR(s, "untouched");
	/* integers */
	T_EQ_INT(conf_int(&c, 0, "n", &v), 1);
	T_EQ_INT(v, 5);
	T_EQ_INT(conf_int(&c, 0, "neg", &v), 1);
	T_EQ_INT(v, -7);
	T_EQ_INT(conf_int(&c, 0, "zero", &v), 1);
	T_EQ_INT(v, 0);
	T_EQ_INT(conf_int(&c, 0, "big", &v), 1);
	T_OK(v == LLONG_MAX);
	T_EQ_INT(conf_int(&c, 0, "small", &v), 1);
	T_OK(v == LLONG_MIN);
	v = 1234;
	T_EQ_INT(conf_int(&c, 0, "absent", &v), 0);
	T_EQ_INT(v, 1234);
	T_EQ_INT(c.err.len, 0);

	/* wrong types: -1 with "file: path: reason"; the first error stays */
	T_EQ_INT(conf_str(&c, 0, "n", &s), -1);
	T_EQ_STR(c.err.p, msg(": .n: must be a string"));
	T_EQ_INT(conf_str(&c, 0, "t", &s), -1);
	T_EQ_STR(c.err.p, msg(": .n: must be a string"));

	if (!loaded())
		return;
	T_EQ_INT(conf_str(&c, 0, "nul", &s), -1);
	T_EQ_STR(c.err.p, msg(": .nul: must be a string"));
	if (!loaded())
		return;
	T_EQ_INT(conf_str(&c, 0, "list", &s), -1);
	T_EQ_STR(c.err.p, msg(": .list: must be a string"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "num_str", &v), -1);
	T_EQ_STR(c.err.p, msg(": .num_str: must be an integer"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "frac", &v), -1);
	T_EQ_STR(c.err.p, msg(": .frac: must be an integer"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "exp", &v), -1);
	T_EQ_STR(c.err.p, msg(": .exp: must be an integer"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "t", &v), -1);
	T_EQ_STR(c.err.p, msg(": .t: must be an integer"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "huge", &v), -1);
	T_EQ_STR(c.err.p, msg(": .huge: must be an integer"));
	/* integers out of range are refused, not clamped */
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "over", &v), -1);
	T_EQ_STR(c.err.p, msg(": .over: must be an integer"));
	if (!loaded())
		return;
	T_EQ_INT(conf_int(&c, 0, "under", &v), -1);
	T_EQ_STR(c.err.p, msg(": .under: must be an integer"));

	/* nested objects: the path from the root */
	if (!loaded())
		return;
	{
		unsigned web = at_key(&c, at_key(&c, 0, "sources"), "web");
		T_EQ_INT(conf_str(&c, web, "ok", &s), 1);
		T_EQ_STR(s, "x");
		free(s);
		T_EQ_INT(conf_int(&c, web, "zone", &v), 1);
		T_EQ_INT(v, 3);
		T_EQ_INT(conf_str(&c, web, "zone", &s), -1);
		T_EQ_STR(c.err.p, msg(": .sources.web.zone: must be a string"));
	}
	if (!loaded())
		return;
	{
		unsigned web = at_key(&c, at_key(&c, 0, "sources"), "web");
		T_EQ_INT(conf_int(&c, web, "port", &v), -1);
		T_EQ_STR(c.err.p, msg(": .sources.web.port: must be an integer"));
	}
}

static void test_paths(void)
{
	unsigned list, e2, deep;
	char *s;

	/* conf_fail on array elements and below */
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	e2 = elem(&c, list, 2);
	T_EQ_INT(conf_fail(&c, e2, NULL, "bad %s %d", "thing", 42), -1);
	T_EQ_STR(c.err.p, msg(": .list[2]: bad thing 42"));
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	T_EQ_INT(conf_fail(&c, elem(&c, list, 0), NULL, "no"), -1);
	T_EQ_STR(c.err.p, msg(": .list[0]: no"));
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	T_EQ_INT(conf_fail(&c, elem(&c, list, 1), NULL, "no"), -1);
	T_EQ_STR(c.err.p, msg(": .list[1]: no"));
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	e2 = elem(&c, list, 2);
	T_EQ_INT(conf_fail(&c, e2, "k", "must be a string"), -1);
	T_EQ_STR(c.err.p, msg(": .list[2].k: must be a string"));
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	e2 = elem(&c, list, 2);
	T_EQ_INT(conf_str(&c, e2, "s", &s), 1);
	T_EQ_STR(s, "v");
	free(s);
	T_EQ_INT(conf_str(&c, e2, "k", &s), -1);
	T_EQ_STR(c.err.p, msg(": .list[2].k: must be a string"));
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	e2 = elem(&c, list, 2);
	T_EQ_INT(conf_fail(&c, at_key(&c, e2, "k"), NULL, "empty"), -1);
	T_EQ_STR(c.err.p, msg(": .list[2].k: empty"));
	/* arrays in arrays */
	if (!loaded())
		return;
	list = at_key(&c, 0, "list");
	deep = elem(&c, elem(&c, elem(&c, elem(&c, list, 3), 0), 1), 0);
	T_EQ_INT(c.doc.t[deep].type, JSON_NUMBER);
	T_EQ_INT(conf_fail(&c, deep, NULL, "seven"), -1);
	T_EQ_STR(c.err.p, msg(": .list[3][0][1][0]: seven"));
	/* the root, and a key of the root */
	if (!loaded())
		return;
	T_EQ_INT(conf_fail(&c, 0, NULL, "whole"), -1);
	T_EQ_STR(c.err.p, msg(": .: whole"));
	if (!loaded())
		return;
	T_EQ_INT(conf_fail(&c, 0, "x", "top"), -1);
	T_EQ_STR(c.err.p, msg(": .x: top"));
	/* keys written with escapes are named unescaped */
	if (!loaded())
		return;
	T_EQ_INT(conf_fail(&c, at_key(&c, 0, "name2"), NULL, "e"), -1);
	T_EQ_STR(c.err.p, msg(": .name2: e"));
	/* only the first error is kept */
	T_EQ_INT(conf_fail(&c, 0, "y", "second"), -1);
	T_EQ_STR(c.err.p, msg(": .name2: e"));
}

static void test_keys(void)
{
	static const char *const root[] = {
		"name", "n", "neg", "big", "small", "over", "under", "huge",
		"frac", "exp", "zero", "t", "nul", "esc", "empty", "num_str",
		"sources", "list", "name2", NULL
	};
	static const char *const web_ok[] = { "zone", "port", "ok", NULL };
	static const char *const web_bad[] = { "zone", "ok", NULL };
	static const char *const none[] = { NULL };
	unsigned web;

	if (!loaded())
		return;
	/* "na\u006de2" matches "name2" */
	T_EQ_INT(conf_keys(&c, 0, root), 0);
	T_EQ_INT(c.err.len, 0);
	web = at_key(&c, at_key(&c, 0, "sources"), "web");
	T_EQ_INT(conf_keys(&c, web, web_ok), 0);
	T_EQ_INT(conf_keys(&c, web, web_bad), -1);
	T_EQ_STR(c.err.p, msg(": .sources.web: unknown key 'port'"));

	if (!loaded())
		return;
	T_EQ_INT(conf_keys(&c, 0, root + 1), -1);
	T_EQ_STR(c.err.p, msg(": .: unknown key 'name'"));
	/* the unknown key is named unescaped */
	conf_release(&c);
	memset(&c, 0, sizeof c);
	put("keys.json", "{\"ok\": 1, \"b\\u00e4d\": {\"x\": 1}}");
	T_EQ_INT(conf_load(&c, path), 0);
	T_EQ_INT(conf_keys(&c, 0, web_ok), -1);
	T_EQ_STR(c.err.p, msg(": .: unknown key 'b\xc3\xa4" "d'"));
	conf_release(&c);
	memset(&c, 0, sizeof c);
	put("keys.json", "{\"a\": [{\"in\": {\"deep\": 1}}]}");
	T_EQ_INT(conf_load(&c, path), 0);
	{
		unsigned in = at_key(&c, elem(&c, at_key(&c, 0, "a"), 0), "in");
		T_EQ_INT(conf_keys(&c, in, none), -1);
		T_EQ_STR(c.err.p, msg(": .a[0].in: unknown key 'deep'"));
	}
	conf_release(&c);
	memset(&c, 0, sizeof c);
	/* an empty object passes any list */
	put("keys.json", "{\"e\": {}}");
	T_EQ_INT(conf_load(&c, path), 0);
	T_EQ_INT(conf_keys(&c, at_key(&c, 0, "e"), none), 0);
	T_EQ_INT(c.err.len, 0);
}

/* conf_strs: absent, a list, and each way of not being one. */
static void test_strs(void)
{
	static const char *const bad[] = {
		"{\"ev\": \"a\"}", "{\"ev\": []}", "{\"ev\": [\"a\", \"\"]}", "{\"ev\": [\"a\", 1]}",
		"{\"ev\": [[\"a\"]]}",
	};
	struct conf d;
	char **v = NULL;
	unsigned n = 0, i;

	memset(&d, 0, sizeof d);
	put("strs.json", "{\"ev\": [\"a\", \"b\\u00e4\", \"c\"], \"more\": [\"d\"]}");
	T_EQ_INT(conf_load(&d, path), 0);
	T_EQ_INT(conf_strs(&d, 0, "absent", "event types", &v, &n), 0);
	T_OK(!v && !n);
	T_EQ_INT(conf_strs(&d, 0, "ev", "event types", &v, &n), 1);
	T_EQ_INT(n, 3);
	if (n == 3) {
		T_EQ_STR(v[0], "a");
		T_EQ_STR(v[1], "b\xc3\xa4");
		T_EQ_STR(v[2], "c");
	}
	/* appended to what is there */
	T_EQ_INT(conf_strs(&d, 0, "more", "event types", &v, &n), 1);
	T_EQ_INT(n, 4);
	if (n == 4)
		T_EQ_STR(v[3], "d");
	T_EQ_INT(d.err.len, 0);
	conf_release(&d);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		memset(&d, 0, sizeof d);
		put("strs.json", bad[i]);
		T_EQ_INT(conf_load(&d, path), 0);
		T_EQ_INT(conf_strs(&d, 0, "ev", "event types", &v, &n), -1);
		T_EQ_STR(d.err.p, msg(": .ev: want a list of event types"));
		conf_release(&d);
	}
	while (n)
		free(v[--n]);
	free(v);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_load();
	test_getters();
	test_paths();
	test_keys();
	test_strs();
	conf_release(&c);
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("conf");
}
