/*
 * t-template - SMS segment counts at the edges of GSM 7-bit and UCS-2
 * (160/153, 70/67, extension characters counting two, a character outside
 * the BMP two UCS-2 units), and templates loaded from a directory and
 * rendered: fields from params then traits, scopes, defaults, the html part
 * escaped, per-channel files before any-channel ones, render errors.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "json.h"
#include "template.h"
#include "t.h"

static int segs(const char *s, size_t *units)
{
	return template_sms_segments(s, strlen(s), units);
}

static char *rep(const char *unit, int n)
{
	struct buf b = BUF_INIT;
	int i;

	for (i = 0; i < n; i++)
		buf_adds(&b, unit);
	return b.p ? b.p : xstrdup("");
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
}

/* render tp over the JSON text in; the parts or "ERR: reason" */
static const char *render(const struct template *tp, const char *in)
{
	static struct buf out;
	struct buf err = BUF_INIT;

	buf_reset(&out);
	if (template_render(tp, jv_parse(in), &out, &err)) {
		buf_reset(&out);
		buf_printf(&out, "ERR: %s", err.p ? err.p : "");
	}
	/* a .json template renders the same without jq */
	if (tp->native) {
		struct json_doc d = JSON_DOC_INIT, tr = JSON_DOC_INIT;
		struct buf tt = BUF_INIT, o2 = BUF_INIT, e2 = BUF_INIT;
		struct tsend ts;
		const char *why;
		size_t at;
		uint32_t t, st, o;
		T_EQ_INT(json_parse(&d, in, strlen(in), 16, &why, &at), 0);
		memset(&ts, 0, sizeof ts);
		ts.d = &d;
		ts.id = "s:1";
		ts.idn = 3;
		ts.channel = "sms";
		if ((t = json_get(&d, 0, "traits", 6))) {
			json_write_tok(&d, t, &tt);
			T_EQ_INT(json_parse(&tr, tt.p, tt.len, 16, &why, &at), 0);
			ts.traits = &tr;
		}
		if ((st = json_get(&d, 0, "send", 4)) && (o = json_get(&d, st, "oneid", 5)))
			ts.oneid = (uint32_t)atoi(d.s + d.t[o].off);
		if (template_render_doc(tp, &ts, &o2, &e2)) {
			buf_reset(&o2);
			buf_printf(&o2, "ERR: %s", e2.p ? e2.p : "");
		}
		T_EQ_STR(o2.p ? o2.p : "", out.p ? out.p : "");
		json_doc_release(&d);
		json_doc_release(&tr);
		buf_release(&tt);
		buf_release(&o2);
		buf_release(&e2);
	}
	buf_release(&err);
	return out.p ? out.p : "";
}

int main(void)
{
	static const struct {
		const char *unit;
		int n, segments;
		size_t units;
	} sms[] = {
		{"a", 160, 1, 160}, {"a", 161, 2, 161}, {"a", 306, 2, 306}, {"a", 307, 3, 307},
		{"{", 80, 1, 160},  {"{", 81, 2, 162},  {"é", 160, 1, 160}, {"€", 3, 1, 6},
		{"中", 70, 1, 70},  {"中", 71, 2, 71},  {"中", 134, 2, 134}, {"中", 135, 3, 135},
		{"😀", 35, 1, 70},  {"😀", 36, 2, 72},  {"a", 0, 0, 0},
	};
	struct templates T = {0};
	const struct template *tp;
	char dir[] = "/tmp/t-template.XXXXXX";
	size_t i, units;

	for (i = 0; i < sizeof sms / sizeof *sms; i++) {
		char *s = rep(sms[i].unit, sms[i].n);
		T_EQ_INT(segs(s, &units), sms[i].segments);
		T_EQ_INT(units, sms[i].units);
		free(s);
	}
	/* one UCS-2 character makes the whole text UCS-2 */
	{
		char *s = rep("a", 70);
		struct buf b = BUF_INIT;
		buf_adds(&b, s);
		buf_adds(&b, "中");
		T_EQ_INT(segs(b.p, &units), 2);
		T_EQ_INT(units, 71);
		free(s);
		buf_release(&b);
	}

	T_OK(mkdtemp(dir) != NULL);
	write_file(dir, "hi.json", "{\"text\": \"Hi {{name|you}}, {{coupon}} {{traits.city}}\"}");
	write_file(dir, "hi.email.json",
		   "{\"subject\": \"Hi {{name}}\", \"html\": \"<p>{{name}} {{send.oneid}}</p>\"}");
	write_file(dir, "list.jq", "{text: (.params.items | join(\",\"))}");
	T_EQ_INT(templates_load(&T, dir), 0);
	T_EQ_INT(T.n, 3);
	T_OK(templates_find(&T, "nosuch", 6, "sms") == NULL);
	tp = templates_find(&T, "hi", 2, "sms");
	T_OK(tp && !tp->channel);
	T_EQ_STR(tp->text_literal, "Hi ,  ");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":\"C1\",\"name\":\"Al\"},\"traits\":{\"name\":\"X\",\"city\":\"Rome\"}}"),
		 ",\"text\":\"Hi Al, C1 Rome\"");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":5},\"traits\":{\"city\":\"Rome\"}}"), ",\"text\":\"Hi you, 5 Rome\"");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":\"C\"},\"traits\":{}}"), "ERR: unknown field 'traits.city'");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":[1]},\"traits\":{\"city\":\"R\"}}"),
		 "ERR: field 'coupon' is not text but array");
	tp = templates_find(&T, "hi", 2, "email");
	T_OK(tp && tp->channel && !strcmp(tp->channel, "email"));
	T_EQ_STR(render(tp, "{\"params\":{},\"traits\":{\"name\":\"A&<b>\"},\"send\":{\"oneid\":7}}"),
		 ",\"subject\":\"Hi A&<b>\",\"html\":\"<p>A&amp;&lt;b&gt; 7</p>\"");
	/* of two fields that fail, jq names the rightmost; numbers as jq writes them */
	tp = templates_find(&T, "hi", 2, "sms");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":1.50},\"traits\":{\"city\":1e3}}"),
		 ",\"text\":\"Hi you, 1.5 1000\"");
	T_EQ_STR(render(tp, "{\"params\":{\"coupon\":{}},\"traits\":{}}"), "ERR: unknown field 'traits.city'");
	T_EQ_STR(render(tp, "{\"params\":\"x\",\"traits\":{\"city\":[]}}"),
		 "ERR: field 'traits.city' is not text but array");
	tp = templates_find(&T, "list", 4, "sms");
	T_EQ_STR(render(tp, "{\"params\":{\"items\":[\"a\",\"b\"]}}"), ",\"text\":\"a,b\"");
	T_OK(!strncmp(render(tp, "{\"params\":{\"items\":3}}"), "ERR: ", 5));
	templates_free(&T);

	/* a directory that does not exist: no templates */
	T_EQ_INT(templates_load(&T, "/nonexistent/templates"), 0);
	T_EQ_INT(T.n, 0);
	{
		char cmd[600];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
		T_EQ_INT(system(cmd), 0);
	}
	return t_done("template");
}
