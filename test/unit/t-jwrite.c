/*
 * t-jwrite - the records of a journey's decisions, byte for byte: an
 * enter, a branch step with its case, a wait with its wake-up, a held
 * step in a control arm, an exit with its reason, correlation both in the
 * event_id and as a field; a $send whose send_id changes with each of the
 * things it hashes and only with them, with one channel and several;
 * updates of a tag (with and without an old value) and of a trait.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "journey.h"
#include "jwrite.h"
#include "t.h"

static struct journey j;
static struct jstep st;
static struct jinst in;
static struct buf head = BUF_INIT, cause = BUF_INIT, tmp = BUF_INIT, out = BUF_INIT;
static struct jwrite w;

static const char *journey_rec(enum jrec_op op, const struct jstep *s, const char *detail, int64_t wake,
			       const char *reason, int held)
{
	struct jrec r = {op, &j, &in, s, reason, detail, wake, held};

	buf_reset(&out);
	jwrite_journey(&out, &w, &r);
	return out.p;
}

static void send_id(const struct jrec *r, char *id)
{
	const char *p;

	buf_reset(&out);
	jwrite_send(&out, &w, r);
	p = strstr(out.p, "\"send_id\":\"");
	T_OK(p != NULL);
	if (!p) {
		id[0] = 0;
		return;
	}
	memcpy(id, p + 11, 32);
	id[32] = 0;
	T_OK(strspn(id, "0123456789abcdef") == 32);
	T_OK(!memcmp(out.p, "{\"type\":\"$send\",\"event_id\":\"send:", 33) && !memcmp(out.p + 33, id, 32));
}

int main(void)
{
	char ch[40], a[33], b[33];
	char *chans[] = {"email", "push"};
	struct jrec r = {JO_SEND, &j, &in, &st, NULL, NULL, INT64_MIN, 0};
	struct buf old = BUF_INIT;

	j.name = "welcome";
	buf_adds(&head, ",\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\"");
	buf_adds(&cause, "ev-1");
	jinst_init(&in);
	in.entries = 3;
	w.ts = "2026-01-02T03:04:05.000Z";
	w.oneid = 42;
	w.head = &head;
	w.cause = &cause;
	w.tmp = &tmp;

	/* the instance's part of an event_id */
	jwrite_corr(&in, ch);
	T_EQ_STR(ch, "3");
	in.corr = 0x1a2b3c4d5e6f7081ull;
	jwrite_corr(&in, ch);
	T_EQ_STR(ch, "1a2b3c4d5e6f7081:3");
	in.corr = 0;

	T_EQ_STR(journey_rec(JO_ENTER, NULL, NULL, INT64_MIN, NULL, 0),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:-:enter\",\"ts\":\"2026-01-02T03:04:05.000Z\","
		 "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"enter\",\"arm\":null}");
	st.id = "pick";
	st.kind = JS_BRANCH;
	T_EQ_STR(journey_rec(JO_STEP, &st, "case 2", INT64_MIN, NULL, 0),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:pick:step:case 2\",\"ts\":\"2026-01-02T03:04:05.000Z\","
		 "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"step\",\"step\":\"pick\","
		 "\"kind\":\"branch\",\"arm\":null,\"branch\":\"case 2\"}");
	st.id = "ask";
	st.kind = JS_WAIT_FOR;
	buf_adds(&in.arm, "b\"x");
	buf_adds(&in.corrv, "\"o-9\"");
	in.corr = 0xffull;
	T_EQ_STR(journey_rec(JO_STEP, &st, "timeout", 1767323045000LL, NULL, 0),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:00000000000000ff:3:ask:step:timeout\","
		 "\"ts\":\"2026-01-02T03:04:05.000Z\",\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\","
		 "\"correlation\":\"o-9\",\"op\":\"step\",\"step\":\"ask\",\"kind\":\"wait_for\",\"arm\":\"b\\\"x\","
		 "\"on\":\"timeout\",\"wake\":\"2026-01-02T03:04:05.000Z\"}");
	buf_reset(&in.corrv);
	in.corr = 0;
	st.id = "mail";
	st.kind = JS_SEND;
	T_EQ_STR(journey_rec(JO_STEP, &st, NULL, INT64_MIN, NULL, 1),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:mail:step\",\"ts\":\"2026-01-02T03:04:05.000Z\","
		 "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"step\",\"step\":\"mail\","
		 "\"kind\":\"send\",\"arm\":\"b\\\"x\",\"held\":\"control\"}");
	T_EQ_STR(journey_rec(JO_EXIT, NULL, NULL, INT64_MIN, "goal", 0),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:-:exit\",\"ts\":\"2026-01-02T03:04:05.000Z\","
		 "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"exit\",\"arm\":\"b\\\"x\","
		 "\"reason\":\"goal\"}");
	/* strings to escape in the middle of the record (the step's id is
	 * raw in the event_id), and one long enough to escape at 6 bytes a
	 * byte, appended after what the buffer held */
	st.id = "s\x01\\";
	st.kind = JS_SEND;
	buf_reset(&in.arm);
	T_EQ_STR(journey_rec(JO_EXIT, &st, NULL, INT64_MIN, "r\x1f\n", 0),
		 "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:s\x01\\:exit\",\"ts\":\"2026-01-02T03:04:05.000Z\","
		 "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"exit\",\"step\":\"s\\u0001\\\\\","
		 "\"kind\":\"send\",\"arm\":null,\"reason\":\"r\\u001f\\n\"}");
	{
		struct jrec rr = {JO_EXIT, &j, &in, NULL, NULL, NULL, INT64_MIN, 0};
		char ctl[301];
		size_t k, n0;
		memset(ctl, 1, 300);
		ctl[300] = 0;
		rr.reason = ctl;
		buf_reset(&out);
		buf_adds(&out, "before");
		jwrite_journey(&out, &w, &rr);
		n0 = strlen("before{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:-:exit\",\"ts\":\"2026-01-02T03:04:05.000Z\","
			    "\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"exit\",\"arm\":null,"
			    "\"reason\":\"");
		T_EQ_INT(out.len, n0 + 6 * 300 + 2);
		T_EQ_INT(strlen(out.p), out.len);
		T_OK(!memcmp(out.p, "before{\"type\"", 13));
		for (k = 0; k < 300 && out.len == n0 + 6 * 300 + 2; k++)
			T_OK(!memcmp(out.p + n0 + 6 * k, "\\u0001", 6));
		T_EQ_STR(out.p + out.len - 2, "\"}");
	}
	st.id = "mail";

	/* $send */
	st.channels = chans;
	st.nchannels = 1;
	st.tmpl = "hello";
	st.msgkind = "marketing";
	st.priority = -2;
	send_id(&r, a);
	T_EQ_STR(strstr(out.p, "\",\"ts\""),
		 "\",\"ts\":\"2026-01-02T03:04:05.000Z\",\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\","
		 "\"step\":\"mail\",\"arm\":null,\"channel\":\"email\",\"template\":\"hello\",\"params\":{},\"priority\":-2,"
		 "\"kind\":\"marketing\",\"not_before\":\"2026-01-02T03:04:05.000Z\"}");
	st.nchannels = 2;
	st.params = "{\"a\":1}";
	buf_adds(&in.props, "{\"sku\":\"x\"}");
	send_id(&r, b);
	T_EQ_STR(a, b); /* channels, params and context are not hashed */
	T_OK(strstr(out.p, ",\"channel\":[\"email\",\"push\"],\"template\":\"hello\",\"params\":{\"a\":1},"
			   "\"context\":{\"sku\":\"x\"},\"priority\":-2,") != NULL);
	w.oneid = 43;
	send_id(&r, b);
	T_OK(strcmp(a, b));
	w.oneid = 42;
	buf_adds(&cause, "x");
	send_id(&r, b);
	T_OK(strcmp(a, b));
	buf_reset(&cause);
	buf_adds(&cause, "ev-1");
	in.entries = 4;
	send_id(&r, b);
	T_OK(strcmp(a, b));
	in.entries = 3;
	st.id = "mail2";
	send_id(&r, b);
	T_OK(strcmp(a, b));
	st.id = "mail";
	send_id(&r, b);
	T_EQ_STR(a, b);

	/* updates */
	r.op = JO_UPDATE;
	st.id = "mark";
	st.kind = JS_UPDATE;
	st.uname = "vip";
	st.utag = 1;
	buf_reset(&out);
	jwrite_update(&out, &w, &r, NULL, "true");
	T_EQ_STR(out.p, "{\"type\":\"$tag\",\"event_id\":\"jrn:ev-1:welcome:3:mark:update\",\"ts\":\"2026-01-02T03:04:05.000Z\","
			"\"oneid\":42,\"tag\":\"vip\",\"old\":null,\"new\":true,\"by\":\"welcome\"}");
	buf_adds(&old, "false");
	buf_reset(&out);
	jwrite_update(&out, &w, &r, &old, "true");
	T_OK(strstr(out.p, ",\"old\":false,\"new\":true,") != NULL);
	st.utag = 0;
	st.uname = "stage";
	buf_reset(&out);
	jwrite_update(&out, &w, &r, NULL, "\"gold\"");
	T_EQ_STR(out.p, "{\"type\":\"$journey\",\"event_id\":\"jrn:ev-1:welcome:3:mark:update\",\"ts\":\"2026-01-02T03:04:05.000Z\","
			"\"oneid\":42,\"journey\":\"welcome\",\"version\":\"00112233aabbccdd\",\"op\":\"update\",\"step\":\"mark\","
			"\"kind\":\"update\",\"arm\":null,\"trait\":\"stage\",\"value\":\"gold\"}");

	jinst_release(&in);
	buf_release(&head);
	buf_release(&cause);
	buf_release(&tmp);
	buf_release(&out);
	buf_release(&old);
	return t_done("jwrite");
}
