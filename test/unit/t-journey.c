/*
 * t-journey - journey definitions and the interpreter: bad definitions are
 * refused with the file, the path and the reason; each step kind does what
 * it says at the time it says; split arms are stable and in proportion;
 * waits until a local time; a step removed by a new version exits the
 * people at it; instances survive encoding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "journey.h"
#include "t.h"

static char path[] = "/tmp/uops-t-journey-XXXXXX";
static struct agg_set aggs;

static uint32_t sc_trait(void *ctx, const char *name)
{
	(void)ctx;
	return (uint32_t)strlen(name);
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "lifecycle"))
		return 0;
	*why = "no such tag";
	return -1;
}

static int sc_segment(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "winback"))
		return 0;
	*why = "no such segment";
	return -1;
}

/* Compile text as one journey file: 0, or -1 with the error in err. */
static int compile(struct journeys *js, const char *text, char *err, size_t errn)
{
	struct conf c;
	struct cond_scope sc;
	FILE *f = fopen(path, "w");
	int rc;

	fputs(text, f);
	fclose(f);
	memset(&sc, 0, sizeof sc);
	sc.aggs = &aggs;
	sc.trait = sc_trait;
	sc.tag = sc_tag;
	sc.segment = sc_segment;
	rc = conf_load(&c, path) ? -1 : journey_compile(js, &c, &sc);
	if (err)
		snprintf(err, errn, "%s", c.err.p ? c.err.p + strlen(path) : "");
	conf_release(&c);
	return rc;
}

static void refused(const char *text, const char *want)
{
	struct journeys js = {0};
	char err[600];
	int rc = compile(&js, text, err, sizeof err);

	T_EQ_INT(rc, -1);
	if (!strstr(err, want)) {
		t_failed++;
		fprintf(stderr, "error '%s' does not say '%s'\n", err, want);
	}
	journeys_release(&js);
}

static void bad_definitions(void)
{
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"goto\":\"nope\"}]}",
		": .steps[0].goto: unknown step 'nope'");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"jump\":1}]}",
		": .steps[0]: unknown step: a step has exactly one of");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"a\",\"send\":{\"channel\":\"sms\",\"template\":\"t\"}},"
		"{\"id\":\"b\",\"goto\":\"a\"}]}",
		": .steps: loop without a wait: a → b → a");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"a\",\"branch\":[{\"when\":true,\"next\":\"b\"}]},"
		"{\"id\":\"b\",\"split\":[{\"arm\":\"p\",\"weight\":1,\"next\":\"a\"},{\"arm\":\"q\",\"weight\":1,\"next\":\"end\"}]}]}",
		"loop without a wait: a → b → a");
	refused("{\"name\":\"x\",\"tz\":\"Mars/Olympus\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		": .tz: 'Mars/Olympus':");
	refused("{\"name\":\"x\",\"trigger\":{\"tag\":\"colour\"},\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		": .trigger.tag: 'colour': no such tag");
	refused("{\"name\":\"x\",\"trigger\":{\"segment\":\"nope\"},\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		": .trigger.segment: 'nope': no such segment");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"goal\":{\"segment\":\"nope\"},\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		"nope");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"wait\":\"0s\"}]}",
		": .steps[0].wait: '0s': want a duration above zero");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"wait\":{\"at\":\"25:00\"}}]}",
		": .steps[0].wait.at: '25:00'");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"wait_for\":{\"event\":\"b\"}}]}",
		"a wait_for needs a timeout");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"exit\":true},{\"id\":\"s\",\"exit\":true}]}",
		": .steps[1].id: step 's' is given twice");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"reentry\":\"sometimes\",\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		": .reentry: 'sometimes'");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"s\",\"split\":[{\"arm\":\"a\",\"weight\":0},{\"arm\":\"b\",\"weight\":1}]}]}",
		": .steps[0].split[0].weight: want a whole number");
	refused("{\"name\":\"x\",\"trigger\":{\"date\":{\"trait\":\"birthday\",\"at\":\"9am\"}},\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		": .trigger.date.at: '9am'");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"steps\":[]}", ": .steps: want a non-empty list");
	refused("{\"name\":\"x\",\"trigger\":{\"event\":\"a\"},\"colour\":1,\"steps\":[{\"id\":\"s\",\"exit\":true}]}",
		"unknown key 'colour'");
}

/* ---- running ---- */

static char log_[8192];
static int goal_met;

static int eval(void *ctx, const struct journey *j, const struct jinst *in, const struct cond *c, const char *what)
{
	struct cond_env e;
	struct profile p;
	struct profile_layout L;
	int r;

	(void)ctx;
	(void)in;
	(void)what;
	if (c == j->goal)
		return goal_met;
	memset(&p, 0, sizeof p);
	memset(&L, 0, sizeof L);
	memset(&e, 0, sizeof e);
	e.p = &p;
	e.L = &L;
	r = cond_eval(c, &e);
	return r;
}

static void record(void *ctx, const struct jrec *r)
{
	static const char *const ops[] = {"enter", "step", "exit", "send", "update"};
	size_t n = strlen(log_);

	(void)ctx;
	snprintf(log_ + n, sizeof log_ - n, "%s%s%s%s%s%s%s ", ops[r->op], r->s ? ":" : "", r->s ? r->s->id : "",
		 r->detail ? "/" : "", r->detail ? r->detail : "", r->reason ? "=" : "", r->reason ? r->reason : "");
}

static const char *flow =
	"{\"name\":\"flow\",\"trigger\":{\"event\":\"sign_up\"},\"goal\":true,\"steps\":["
	"{\"id\":\"hello\",\"send\":{\"channel\":[\"wechat\",\"sms\"],\"template\":\"hi\",\"params\":{\"a\":1}}},"
	"{\"id\":\"pause\",\"wait\":\"1d\"},"
	"{\"id\":\"pick\",\"branch\":[{\"when\":false,\"next\":\"bye\"},{\"when\":true,\"next\":\"ab\"}]},"
	"{\"id\":\"bye\",\"exit\":\"not_reached\"},"
	"{\"id\":\"ab\",\"split\":[{\"arm\":\"a\",\"weight\":50},{\"arm\":\"holdout\",\"weight\":50,\"control\":true}]},"
	"{\"id\":\"offer\",\"send\":{\"channel\":\"sms\",\"template\":\"offer\"}},"
	"{\"id\":\"mark\",\"update\":{\"trait\":\"offered_at\",\"value\":\"$now\"}},"
	"{\"id\":\"hold\",\"wait_for\":{\"event\":\"order_paid\",\"timeout\":\"2h\",\"restart_on\":\"add_to_cart\"},"
	" \"on_event\":\"done\",\"on_timeout\":\"again\"},"
	"{\"id\":\"again\",\"goto\":\"pause\"},"
	"{\"id\":\"done\",\"exit\":\"bought\"}]}";

static void running(void)
{
	struct journeys js = {0};
	struct journey *j;
	struct jinst in, back;
	struct jctx cx;
	struct buf enc = BUF_INIT;
	int64_t t0 = 1772359200000LL; /* 2026-03-01T10:00Z */
	int moved;
	uint32_t oneid;

	T_EQ_INT(compile(&js, flow, NULL, 0), 0);
	j = &js.v[0];
	memset(&cx, 0, sizeof cx);
	cx.eval = eval;
	cx.record = record;
	/* a person of the control arm and one of arm a */
	for (oneid = 1; oneid < 100; oneid++)
		if (!strcmp(journey_arm(j, &j->steps[4], oneid)->name, "holdout"))
			break;
	cx.oneid = oneid;
	cx.now = t0;
	jinst_init(&in);
	log_[0] = 0;
	goal_met = 0;
	T_EQ_INT(journey_enter(j, &in, &cx), 0);
	T_EQ_STR(log_, "enter step:hello send:hello step:pause ");
	T_EQ_INT(in.wake, t0 + DAY_MS);
	T_EQ_INT(in.state, JI_WAIT);
	T_EQ_INT(journey_enter(j, &in, &cx), 1); /* inside already */
	/* the wake-up */
	log_[0] = 0;
	cx.now = in.wake;
	journey_wake(j, &in, &cx);
	T_EQ_STR(log_, "step:pick/case 1 step:ab/holdout step:offer/held step:mark update:mark step:hold ");
	T_EQ_INT(in.state, JI_WAIT_EVENT);
	T_EQ_INT(in.wake, t0 + DAY_MS + 2 * 3600000LL);
	T_EQ_STR(in.arm.p, "holdout");
	/* a restart moves the timeout; another event does nothing */
	log_[0] = 0;
	cx.now += 3600000LL;
	T_EQ_INT(journey_event(j, &in, &cx, "add_to_cart", 11, &moved), 1);
	T_EQ_INT(moved, 1);
	T_EQ_INT(in.wake, cx.now + 2 * 3600000LL);
	T_EQ_INT(journey_event(j, &in, &cx, "page_view", 9, &moved), 0);
	/* it survives encoding */
	jinst_encode(&in, &enc);
	jinst_init(&back);
	T_EQ_INT(jinst_decode(&back, (const unsigned char *)enc.p, enc.len), enc.len);
	T_EQ_INT(back.wake, in.wake);
	T_EQ_STR(back.step.p, "hold");
	T_EQ_STR(back.arm.p, "holdout");
	T_EQ_INT(back.control, 1);
	T_EQ_INT(back.state, JI_WAIT_EVENT);
	/* the timeout goes round the loop: through the wait */
	log_[0] = 0;
	cx.now = in.wake;
	journey_wake(j, &in, &cx);
	T_EQ_STR(log_, "step:hold/timeout step:again step:pause ");
	/* the awaited event */
	cx.now = in.wake;
	journey_wake(j, &in, &cx);
	log_[0] = 0;
	T_EQ_INT(journey_event(j, &in, &cx, "order_paid", 10, &moved), 1);
	T_EQ_STR(log_, "step:hold/event step:done exit=bought ");
	T_EQ_INT(in.state, JI_DONE);
	/* re-entry: never (the default) */
	T_EQ_INT(journey_enter(j, &in, &cx), 1);
	/* the goal ends it at entry or at a wake-up */
	jinst_release(&in);
	jinst_init(&in);
	log_[0] = 0;
	goal_met = 1;
	T_EQ_INT(journey_enter(j, &in, &cx), 0);
	T_EQ_STR(log_, "enter exit=converted ");
	/* a new version without the step a person waits at */
	jinst_release(&in);
	jinst_init(&in);
	goal_met = 0;
	journey_enter(j, &in, &cx);
	T_EQ_STR(in.step.p, "pause");
	buf_reset(&in.step);
	buf_adds(&in.step, "removed_step");
	log_[0] = 0;
	journey_wake(j, &in, &cx);
	T_EQ_STR(log_, "exit=definition_changed ");
	jinst_release(&in);
	jinst_release(&back);
	buf_release(&enc);
	journeys_release(&js);
}

static void arms(void)
{
	struct journeys js = {0};
	const struct journey *j;
	const struct jstep *s;
	unsigned n[3] = {0}, k, i;
	const unsigned people = 100000;

	T_EQ_INT(compile(&js,
			 "{\"name\":\"winback\",\"trigger\":{\"event\":\"a\"},\"steps\":[{\"id\":\"ab\",\"split\":["
			 "{\"arm\":\"a\",\"weight\":45},{\"arm\":\"b\",\"weight\":45},{\"arm\":\"control\",\"weight\":10,\"control\":true}]}]}",
			 NULL, 0),
		 0);
	j = &js.v[0];
	s = &j->steps[0];
	for (i = 1; i <= people; i++) {
		const struct jarm *a = journey_arm(j, s, i);
		T_OK(a == journey_arm(j, s, i)); /* stable */
		n[a - s->arms]++;
	}
	for (k = 0; k < 3; k++) {
		double share = (double)n[k] / people, want = s->arms[k].weight / 100.0;
		if (share < want - 0.01 || share > want + 0.01) {
			t_failed++;
			fprintf(stderr, "arm %s: %.4f of people, weight %.2f\n", s->arms[k].name, share, want);
		}
	}
	journeys_release(&js);
}

static int64_t at(const char *s)
{
	int64_t t;
	const char *why;

	clock_parse(s, strlen(s), NULL, &t, &why);
	return t;
}

static void waits(void)
{
	struct jstep s;
	struct journey j;
	const char *why;
	struct tz *sh = tz_load("Asia/Shanghai", &why);

	T_OK(sh != NULL);
	memset(&s, 0, sizeof s);
	s.weekday = -1;
	/* next day 10:00 local (02:00 UTC) */
	s.at_min = 600;
	s.days = 1;
	T_EQ_INT(journey_wait_until(&s, at("2026-03-01T23:30:00Z"), sh), at("2026-03-03T02:00:00Z"));
	T_EQ_INT(journey_wait_until(&s, at("2026-03-01T10:00:00Z"), sh), at("2026-03-02T02:00:00Z"));
	/* the next 10:00, today when it is still ahead, never now */
	s.days = 0;
	T_EQ_INT(journey_wait_until(&s, at("2026-03-01T01:00:00Z"), sh), at("2026-03-01T02:00:00Z"));
	T_EQ_INT(journey_wait_until(&s, at("2026-03-01T02:00:00Z"), sh), at("2026-03-02T02:00:00Z"));
	/* a Monday (2026-03-02 is one) */
	s.weekday = 1;
	T_EQ_INT(journey_wait_until(&s, at("2026-03-02T03:00:00Z"), sh), at("2026-03-09T02:00:00Z"));
	/* a duration */
	s.at_min = -1;
	s.dur_ms = 5000;
	T_EQ_INT(journey_wait_until(&s, 1000, NULL), 6000);
	/* dates: 7 days before, yearly at 09:00 local */
	memset(&j, 0, sizeof j);
	j.d_days = -7;
	j.d_at_min = 600;
	T_EQ_INT(journey_date_next(&j, "2026-03-20", 10, at("2026-03-01T00:00:00Z"), sh), at("2026-03-13T02:00:00Z"));
	T_EQ_INT(journey_date_next(&j, "2026-03-20", 10, at("2026-03-14T00:00:00Z"), sh), INT64_MIN);
	j.d_days = 0;
	j.d_at_min = 540;
	j.d_yearly = 1;
	T_EQ_INT(journey_date_next(&j, "1990-03-05", 10, at("2026-03-05T02:00:00Z"), sh), at("2027-03-05T01:00:00Z"));
	T_EQ_INT(journey_date_next(&j, "1990-03-05", 10, at("2026-01-05T02:00:00Z"), sh), at("2026-03-05T01:00:00Z"));
	T_EQ_INT(journey_date_next(&j, "not a date", 10, 0, sh), INT64_MIN);
	tz_free(sh);
}

/* Schedule triggers: the first occurrence after a time, in a zone. */
static void schedules(void)
{
	struct journey j;
	const char *why;
	struct tz *sh = tz_load("Asia/Shanghai", &why), *ld = tz_load("Europe/London", &why);
	static const struct {
		int every, on, at_min;
		int zone; /* 0 UTC, 1 Shanghai, 2 London */
		const char *after, *want;
	} v[] = {
		/* every day at 20:00: later today, else tomorrow; never now */
		{JE_DAY, 0, 1200, 0, "2026-03-01T10:00:00Z", "2026-03-01T20:00:00Z"},
		{JE_DAY, 0, 1200, 0, "2026-03-01T20:00:00Z", "2026-03-02T20:00:00Z"},
		{JE_DAY, 0, 1200, 0, "2026-03-01T19:59:59.999Z", "2026-03-01T20:00:00Z"},
		/* London moves to summer time on 2026-03-29: 20:00 is 19:00 UTC */
		{JE_DAY, 0, 1200, 2, "2026-03-28T20:00:00Z", "2026-03-29T19:00:00Z"},
		/* every Monday 10:00 Shanghai (02:00 UTC; 2026-03-02 is a Monday) */
		{JE_WEEK, 1, 600, 1, "2026-02-25T00:00:00Z", "2026-03-02T02:00:00Z"},
		{JE_WEEK, 1, 600, 1, "2026-03-02T02:00:00Z", "2026-03-09T02:00:00Z"},
		/* Monday 01:00 Shanghai is Sunday 17:00 UTC */
		{JE_WEEK, 1, 60, 1, "2026-03-01T00:00:00Z", "2026-03-01T17:00:00Z"},
		/* every month on the 31st: a shorter month on its last day */
		{JE_MONTH, 31, 540, 0, "2026-02-01T00:00:00Z", "2026-02-28T09:00:00Z"},
		{JE_MONTH, 31, 540, 0, "2026-02-28T09:00:00Z", "2026-03-31T09:00:00Z"},
		{JE_MONTH, 31, 540, 0, "2026-03-31T09:00:00Z", "2026-04-30T09:00:00Z"},
		{JE_MONTH, 29, 0, 0, "2028-02-01T00:00:00Z", "2028-02-29T00:00:00Z"},
		{JE_MONTH, 1, 0, 1, "2026-12-31T15:00:00Z", "2026-12-31T16:00:00Z"},
	};
	unsigned i;

	T_OK(sh != NULL && ld != NULL);
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		memset(&j, 0, sizeof j);
		j.trig = JT_SCHEDULE;
		j.s_every = (enum jevery)v[i].every;
		j.s_on = v[i].on;
		j.s_at_min = v[i].at_min;
		j.tz = v[i].zone == 1 ? sh : v[i].zone == 2 ? ld : NULL;
		T_EQ_INT(journey_schedule_next(&j, at(v[i].after)), at(v[i].want));
	}
	memset(&j, 0, sizeof j);
	j.trig = JT_EVENT;
	T_EQ_INT(journey_schedule_next(&j, 0), INT64_MAX);
	tz_free(sh);
	tz_free(ld);
}

/* The trigger in words, and the Graphviz drawing: every step, every way
 * on with its label. */
static void drawing(void)
{
	struct journeys js = {0};
	struct journey j;
	struct buf b = BUF_INIT;
	static const char *const want[] = {
		"digraph \"flow\" {\n",
		"  \"trigger\" [shape=oval, label=\"event sign_up\"];\n",
		"  \"trigger\" -> \"hello\";\n",
		"  \"hello\" [label=\"hello\\nsend hi\\nwechat\"];\n",
		"  \"pause\" [label=\"pause\\nwait 86400s\"];\n",
		"  \"pick\" [label=\"pick\\nbranch\", shape=diamond];\n",
		"  \"pick\" -> \"bye\" [label=\"case 0\"];\n",
		"  \"pick\" -> \"ab\" [label=\"case 1\"];\n",
		"  \"bye\" -> \"end\" [label=\"not_reached\"];\n",
		"  \"ab\" -> \"offer\" [label=\"holdout 50 (control)\"];\n",
		"  \"hold\" [label=\"hold\\nwait for order_paid\\n(timeout 7200s)\"];\n",
		"  \"hold\" -> \"done\" [label=\"event\"];\n",
		"  \"hold\" -> \"again\" [label=\"timeout\"];\n",
		"  \"again\" -> \"pause\";\n",
		"  \"done\" -> \"end\" [label=\"bought\"];\n",
	};
	unsigned i;

	T_EQ_INT(compile(&js, flow, NULL, 0), 0);
	journey_dot(&js.v[0], &b);
	for (i = 0; i < sizeof want / sizeof want[0]; i++)
		if (!b.p || !strstr(b.p, want[i])) {
			t_failed++;
			fprintf(stderr, "the drawing lacks %s", want[i]);
		}
	T_OK(b.len > 2 && !strcmp(b.p + b.len - 2, "}\n"));
	journeys_release(&js);
	memset(&j, 0, sizeof j);
	j.trig = JT_SCHEDULE;
	j.t_name = "vip";
	j.s_every = JE_WEEK;
	j.s_on = 1;
	j.s_at_min = 600;
	j.s_tzname = "Asia/Shanghai";
	T_EQ_STR(journey_trigger_text(&j, &b), "schedule every week on mon at 10:00 Asia/Shanghai, segment vip");
	j.s_every = JE_MONTH;
	j.s_on = 31;
	j.s_tzname = NULL;
	T_EQ_STR(journey_trigger_text(&j, &b), "schedule every month on day 31 at 10:00 UTC, segment vip");
	buf_release(&b);
}

int main(void)
{
	int fd = mkstemp(path);

	if (fd < 0) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	bad_definitions();
	running();
	arms();
	waits();
	schedules();
	drawing();
	agg_set_release(&aggs);
	unlink(path);
	return t_done("journey");
}
