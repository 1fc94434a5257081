#include "jqprog.h"

#include <jq.h>
#include <stdlib.h>
#include <string.h>

struct jqprog {
	jq_state *jq;
	struct buf msgs;
};

static void on_error(void *data, jv msg)
{
	struct buf *b = data;

	if (jv_get_kind(msg) == JV_KIND_STRING) {
		if (b->len)
			buf_adds(b, "; ");
		buf_adds(b, jv_string_value(msg));
	} else {
		jv s = jv_dump_string(jv_copy(msg), 0);
		if (b->len)
			buf_adds(b, "; ");
		buf_adds(b, jv_string_value(s));
		jv_free(s);
	}
	jv_free(msg);
}

/*
 * Definitions put before every program, on its first line (so that line
 * numbers in jq's messages stay the program's). They stand in for builtins
 * of libjq 1.6 that leak memory on some inputs, a few hundred bytes per
 * record that a long-running ingest would keep:
 *   tonumber        parses a string as JSON and, when what it parsed is
 *                   not a number (an array, an object, a string), fails
 *                   without freeing it: here a string is parsed by
 *                   fromjson (the same parser, which frees what it
 *                   makes), and what is not a number fails with the
 *                   message libjq gives
 *   ltrimstr,       on a value or argument that is not a string keep their
 *   rtrimstr        "not a string" error: return the value as libjq does
 * Results and messages are libjq's.
 */
static const char prelude[] =
	"def _uops_tonumber: tonumber; "
	"def _uops_ltrimstr($x): ltrimstr($x); "
	"def _uops_rtrimstr($x): rtrimstr($x); "
	"def tonumber: if type == \"string\" then fromjson as $v | "
	"if ($v | type) == \"number\" then $v else "
	"error(\"string (\\(tojson | if length > 14 then .[0:11] + \"...\" else . end)) "
	"cannot be parsed as a number\") end else _uops_tonumber end; "
	"def ltrimstr($x): if type == \"string\" and ($x | type) == \"string\" "
	"then _uops_ltrimstr($x) else . end; "
	"def rtrimstr($x): if type == \"string\" and ($x | type) == \"string\" "
	"then _uops_rtrimstr($x) else . end; ";

/* Cut the prelude out of compiler messages about the first line of text:
 * jq quotes the line, then pads with a space per byte before the error,
 * the prelude's bytes too. */
static void strip_prelude(struct buf *b, const char *text)
{
	size_t n = sizeof prelude - 1, l1 = strcspn(text, "\n"), at, sp;
	char *q;

	while (b->p && (q = strstr(b->p, prelude))) {
		at = (size_t)(q - b->p);
		if (b->len - at >= n + l1 + n && !memcmp(q + n, text, l1)) {
			for (sp = 0; sp < n && q[n + l1 + sp] == ' '; sp++)
				;
			if (sp == n) {
				memmove(q + n + l1, q + n + l1 + n, b->len - (at + n + l1 + n) + 1);
				b->len -= n;
			}
		}
		memmove(q, q + n, b->len - at - n + 1);
		b->len -= n;
	}
}

struct jqprog *jqprog_compile(const char *name, const char *text, struct buf *err)
{
	struct jqprog *p = xcalloc(1, sizeof *p);
	struct buf full = BUF_INIT;
	int ok;

	(void)name;
	p->jq = jq_init();
	if (!p->jq) {
		buf_adds(err, "cannot initialise jq");
		free(p);
		return NULL;
	}
	jq_set_error_cb(p->jq, on_error, &p->msgs);
	buf_adds(&full, prelude);
	buf_adds(&full, text);
	ok = jq_compile_args(p->jq, full.p, jv_object());
	buf_release(&full);
	if (!ok) {
		strip_prelude(&p->msgs, text);
		buf_add(err, p->msgs.p ? p->msgs.p : "compile error",
			p->msgs.p ? p->msgs.len : 13);
		jqprog_free(p);
		return NULL;
	}
	buf_reset(&p->msgs);
	return p;
}

void jqprog_free(struct jqprog *p)
{
	if (!p)
		return;
	jq_teardown(&p->jq);
	buf_release(&p->msgs);
	free(p);
}

int jqprog_run(struct jqprog *p, jv input, struct buf *out, struct buf *err)
{
	size_t start = out->len;
	int n = 0;
	jv r;

	jq_start(p->jq, input, 0);
	while (jv_is_valid(r = jq_next(p->jq))) {
		jv s = jv_dump_string(r, 0);
		buf_add(out, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
		buf_addc(out, '\n');
		jv_free(s);
		n++;
	}
	if (jv_invalid_has_msg(jv_copy(r))) {
		jv msg = jv_invalid_get_msg(r);
		if (jv_get_kind(msg) == JV_KIND_STRING) {
			buf_adds(err, jv_string_value(msg));
		} else {
			jv s = jv_dump_string(msg, 0);
			buf_adds(err, jv_string_value(s));
			jv_free(s);
			msg = jv_null();
		}
		jv_free(msg);
		out->len = start;
		if (out->p)
			out->p[start] = 0;
		return -1;
	}
	jv_free(r);
	return n;
}

jv jqprog_from_json(const struct json_doc *d, unsigned i)
{
	const struct json_tok *t = &d->t[i];
	struct buf b = BUF_INIT;
	jv v;
	unsigned k, j;

	switch (t->type) {
	case JSON_NULL:
		return jv_null();
	case JSON_TRUE:
		return jv_true();
	case JSON_FALSE:
		return jv_false();
	case JSON_NUMBER: {
		char tmp[64], *s = t->len < sizeof tmp ? tmp : xmalloc(t->len + 1);
		double x;
		memcpy(s, d->s + t->off, t->len);
		s[t->len] = 0;
		x = strtod(s, NULL);
		if (s != tmp)
			free(s);
		return jv_number(x);
	}
	case JSON_STRING:
		json_str_get(d, i, &b);
		v = jv_string_sized(b.p ? b.p : "", (int)b.len);
		buf_release(&b);
		return v;
	case JSON_ARRAY:
		v = jv_array();
		for (k = 0, j = i + 1; k < t->size; k++, j = d->t[j].next)
			v = jv_array_append(v, jqprog_from_json(d, j));
		return v;
	default:
		v = jv_object();
		for (k = 0, j = i + 1; k < t->size; k++) {
			jv key = jqprog_from_json(d, j);
			v = jv_object_set(v, key, jqprog_from_json(d, j + 1));
			j = d->t[j + 1].next;
		}
		return v;
	}
}
