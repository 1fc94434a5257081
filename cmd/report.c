/*
 * report - the numbers a business runs on, from the event log the pipe
 * writes: retention cohorts, funnels, RFM, A/B tests, lifecycle stages,
 * attribution, and what journeys and campaigns sent and earned
 * (lib/sendstats). It reads the stream once (files, .zst or Kafka; the
 * events of retention and funnel through lib/evscan when their steps need
 * no props), keeps of each event the few fields the question needs
 * (lib/evtab), and answers by event time, so a report on a replayed log
 * is the same bytes. Read-only: no LMDB state. Rows are written by
 * lib/rows; values are numbered by lib/strtab, steps parsed by lib/step,
 * RFM scored by lib/rfm.
 */
#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cohort.h"
#include "cond.h"
#include "conf.h"
#include "endpoint.h"
#include "evscan.h"
#include "evtab.h"
#include "funnel.h"
#include "htmlpage.h"
#include "io.h"
#include "json.h"
#include "lifecycle.h"
#include "outcome.h"
#include "rfm.h"
#include "rows.h"
#include "sendstats.h"
#include "stats.h"
#include "step.h"
#include "strtab.h"

enum {
	OPT_FORMAT = 2000, OPT_HTML, OPT_PIPELINES, OPT_CONFIG, OPT_BY, OPT_COHORT, OPT_RETURN,
	OPT_PERIODS, OPT_SPLIT, OPT_WINDOW, OPT_AT, OPT_CONVERSION, OPT_CONTROL, OPT_ARMS,
	OPT_REVENUE, OPT_AMOUNT, OPT_GROUP, OPT_SUMMARY, OPT_CREDIT, OPT_LOOKBACK, OPT_HALF_LIFE,
};

static const struct cli_opt opts[] = {
	{"format", OPT_FORMAT, 1, "FMT", "ndjson (default) or csv"},
	{"html", OPT_HTML, 1, "FILE", "also write the report as one self-contained HTML page"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"config", OPT_CONFIG, 1, "FILE", "report settings (default PIPELINES/report.json)"},
	{"by", OPT_BY, 1, "UNIT", "retention: cohort periods of a day, week or month (default day); lifecycle: periods (default month)"},
	{"cohort", OPT_COHORT, 1, "STEP", "retention: the event that starts a cohort (default any event: first seen)"},
	{"return", OPT_RETURN, 1, "STEP", "retention: the event that counts as a return (default any event)"},
	{"periods", OPT_PERIODS, 1, "N", "retention: count periods 0 … N after the cohort's (default 30 days, 12 weeks, 12 months)"},
	{"summary", OPT_SUMMARY, 1, "LIST", "retention: the periods summed over cohorts (default 1,7,30 days; 1,4,12 weeks; 1,3,6 months)"},
	{"split", OPT_SPLIT, 1, "WHAT", "split by prop:NAME, trait:NAME, tag:NAME or segment:NAME, taken at the cohort, entry or assignment event"},
	{"window", OPT_WINDOW, 1, "DUR", "funnel: steps within DUR of the first (default 30d); abtest: conversions within DUR of the assignment (default no limit); journeys, campaigns: orders within DUR after a message (default from the config, else 7d)"},
	{"at", OPT_AT, 1, "TIME", "rfm: the clock recency is counted to (default the stream's clock: its last event, or a later $tick)"},
	{"conversion", OPT_CONVERSION, 1, "STEP", "abtest, attribution, journeys, campaigns: the conversion event (default the first revenue event type)"},
	{"control", OPT_CONTROL, 1, "ARM", "abtest: the control arm (default \"control\" when there is one, else the first arm by name)"},
	{"arms", OPT_ARMS, 1, "LIST", "abtest: only these arms, comma-separated"},
	{"revenue", OPT_REVENUE, 1, "TYPES", "revenue event types, comma-separated (default from the config)"},
	{"amount", OPT_AMOUNT, 1, "PROP", "the prop holding a revenue event's amount (default from the config)"},
	{"credit", OPT_CREDIT, 1, "WHAT", "attribution: credit channel (default), journey or campaign"},
	{"lookback", OPT_LOOKBACK, 1, "DUR", "attribution: touches within DUR before a conversion (default 30d)"},
	{"half-life", OPT_HALF_LIFE, 1, "DUR", "attribution: the time-decay model's half-life (default 7d)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-report)"},
	{0, 0, 0, 0, 0},
};

enum split_kind { SPLIT_NONE, SPLIT_PROP, SPLIT_TRAIT, SPLIT_TAG, SPLIT_SEGMENT };

struct rep {
	struct cli cli;
	const char *cmd;
	const char *format, *html, *pipelines, *config, *by, *cohort_s, *return_s, *split_s,
		*window_s, *at_s, *conversion_s, *control, *arms_s, *revenue_s, *amount_s, *group,
		*summary_s, *credit_s, *lookback_s, *half_life_s;
	long periods;
	int csv;
	/* settings */
	char **rev_types;
	unsigned nrev;
	char *amount, *order_prop;
	enum cohort_unit unit;
	int64_t window, at;
	int have_window, have_at;
	/* attribution: what is credited (0 channel, 1 journey, 2 campaign),
	 * the lookback and half-life (ms); sends by id: the value credited */
	int credit;
	int64_t lookback, half_life;
	struct strtab sends;
	uint32_t *send_key;
	size_t nsend_key;
	enum split_kind split;
	char *split_name;
	struct step *steps;
	unsigned nsteps;
	struct step cohort_step, return_step, conv_step;
	/* lifecycle: the shipped tag's thresholds and its order event */
	struct lifecycle_params lc;
	char *lc_event, *lc_order;
	/* journeys, campaigns: orders within msg_window after a message;
	 * cost per message by channel; the events of providers' receipts
	 * (delivered, opened, clicked) and their prop naming the send */
	int msgs; /* the report is journeys or campaigns */
	int64_t msg_window;
	int have_msg_window;
	char **cost_ch;
	double *cost_v;
	unsigned ncost;
	char **receipt_types[3];
	unsigned nreceipt[3];
	char *receipt_prop;
	struct sendstats ss;
	struct strtab groups; /* (journey, step, arm) value ids as 12 bytes */
	/* abtest */
	char *arm_journey; /* arms from $journey enter records of this journey */
	enum split_kind arm_kind;
	char *arm_name;
	/* the stream; fast: retention and funnel events whose steps need no
	 * props are read with evscan (every other line with json_parse) */
	int fast, funnel;
	struct clock_memo day; /* the date of the last time read fast */
	struct outcome oc;
	struct json_doc doc;
	struct evtab t;
	struct strtab vals;   /* split values and arms */
	struct strtab orders; /* order ids */
	uint32_t *cur;        /* per oneid: the split value now (trait, tag, segment) */
	size_t ncur;
	int64_t min_ts, max_ts;
	int have_ts;
	int64_t tick_ts; /* the latest $tick: the stream's clock past its events */
	int have_tick;
	unsigned long long events, people_rows;
	/* output */
	struct rows out;
	struct output o;      /* -o DST other than '-': out.f writes to it */
	struct htmlpage page; /* --html: the rows again, drawn at the end */
};

static int handle(void *ctx, int key, const char *arg)
{
	struct rep *g = ctx;

	switch (key) {
	case OPT_FORMAT: g->format = arg; break;
	case OPT_HTML: g->html = arg; break;
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_CONFIG: g->config = arg; break;
	case OPT_BY: g->by = arg; break;
	case OPT_COHORT: g->cohort_s = arg; break;
	case OPT_RETURN: g->return_s = arg; break;
	case OPT_PERIODS:
		return cli_long("periods", arg, 0, &g->periods);
	case OPT_SUMMARY: g->summary_s = arg; break;
	case OPT_SPLIT: g->split_s = arg; break;
	case OPT_WINDOW: g->window_s = arg; break;
	case OPT_AT: g->at_s = arg; break;
	case OPT_CONVERSION: g->conversion_s = arg; break;
	case OPT_CONTROL: g->control = arg; break;
	case OPT_ARMS: g->arms_s = arg; break;
	case OPT_REVENUE: g->revenue_s = arg; break;
	case OPT_AMOUNT: g->amount_s = arg; break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_CREDIT: g->credit_s = arg; break;
	case OPT_LOOKBACK: g->lookback_s = arg; break;
	case OPT_HALF_LIFE: g->half_life_s = arg; break;
	}
	return 0;
}

static void col_split(struct rep *g, uint32_t id)
{
	if (g->split == SPLIT_NONE)
		return;
	rows_strn(&g->out, "split", id ? g->vals.s[id] : NULL, id ? g->vals.len[id] : 0);
}

/* ---- definitions */

/*
 * "messages": {"window": DUR, "cost": {CHANNEL: number, …}, "receipts":
 * {"send_id": PROP, "delivered": [TYPE…], "opened": [TYPE…], "clicked":
 * [TYPE…]}}, for journeys and campaigns. Returns 0 or -1 (error set).
 */
static int load_messages(struct rep *g, struct conf *c, uint32_t m)
{
	static const char *const keys[] = {"description", "window", "cost", "receipts", NULL};
	static const char *const rkeys[] = {"description", "send_id", "delivered", "opened", "clicked", NULL};
	uint32_t cost, rc, i, k;
	char *w = NULL;

	if (c->doc.t[m].type != JSON_OBJECT)
		return conf_fail(c, 0, "messages", "want {\"window\": DUR, \"cost\": {…}, \"receipts\": {…}}");
	if (conf_keys(c, m, keys))
		return -1;
	switch (conf_str(c, m, "window", &w)) {
	case -1:
		return -1;
	case 1:
		if (clock_parse_duration(w, &g->msg_window) || g->msg_window < 0) {
			conf_fail(c, m, "window", "want a duration such as 7d or 12h, not '%s'", w);
			free(w);
			return -1;
		}
		free(w);
		g->have_msg_window = 1;
	}
	if ((cost = json_get(&c->doc, m, "cost", 4))) {
		if (c->doc.t[cost].type != JSON_OBJECT)
			return conf_fail(c, m, "cost", "want {CHANNEL: the cost of a message sent, …}");
		g->cost_ch = xcalloc(c->doc.t[cost].size + 1, sizeof *g->cost_ch);
		g->cost_v = xcalloc(c->doc.t[cost].size + 1, sizeof *g->cost_v);
		for (i = cost + 1, k = 0; k < c->doc.t[cost].size; k++, i = c->doc.t[i + 1].next) {
			struct buf b = BUF_INIT;
			double v;
			json_str_get(&c->doc, i, &b);
			g->cost_ch[g->ncost++] = b.p; /* freed with the others, whatever follows */
			if (c->doc.t[i + 1].type != JSON_NUMBER ||
			    !((v = strtod(c->doc.s + c->doc.t[i + 1].off, NULL)) >= 0) || !isfinite(v))
				return conf_fail(c, cost, b.p, "want the cost of a message sent: a number 0 or more");
			g->cost_v[g->ncost - 1] = v;
		}
	}
	if ((rc = json_get(&c->doc, m, "receipts", 8))) {
		static const char *const what[3] = {"delivered", "opened", "clicked"};
		if (c->doc.t[rc].type != JSON_OBJECT)
			return conf_fail(c, m, "receipts", "want {\"send_id\": PROP, \"delivered\": [TYPE…], …}");
		if (conf_keys(c, rc, rkeys) || conf_str(c, rc, "send_id", &g->receipt_prop) < 0)
			return -1;
		if (g->receipt_prop && !*g->receipt_prop)
			return conf_fail(c, rc, "send_id", "want the prop holding the send id");
		for (k = 0; k < 3; k++)
			if (conf_strs(c, rc, what[k], "event types", &g->receipt_types[k], &g->nreceipt[k]) < 0)
				return -1;
	}
	return 0;
}

/* pipelines/report.json: {"revenue": {"events": [TYPE…], "amount": PROP,
 * "order": PROP}, "messages": {…}} */
static int load_config(struct rep *g)
{
	static const char *const top[] = {"description", "revenue", "messages", NULL};
	static const char *const rev[] = {"description", "events", "amount", "order", NULL};
	struct conf c = {0};
	char *path;
	unsigned r;
	int ev;
	int rc = 0;

	if (g->config) {
		path = xstrdup(g->config);
	} else {
		path = xmalloc(strlen(g->pipelines) + 16);
		sprintf(path, "%s/report.json", g->pipelines);
	}
	if (conf_load(&c, path) || conf_keys(&c, 0, top)) {
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	r = json_get(&c.doc, 0, "revenue", 7);
	if (!r || c.doc.t[r].type != JSON_OBJECT) {
		conf_fail(&c, 0, "revenue", "want {\"events\": [TYPE…], \"amount\": PROP, \"order\": PROP}");
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (conf_keys(&c, r, rev) || conf_str(&c, r, "amount", &g->amount) < 0 ||
	    conf_str(&c, r, "order", &g->order_prop) < 0) {
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	g->nrev = 0;
	if ((ev = conf_strs(&c, r, "events", "event types", &g->rev_types, &g->nrev)) <= 0) {
		if (!ev)
			conf_fail(&c, r, "events", "want a list of event types");
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	if (!g->amount || !g->order_prop) {
		conf_fail(&c, r, NULL, "want \"amount\" and \"order\": the props of an amount and an order id");
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	if ((r = json_get(&c.doc, 0, "messages", 8)) && load_messages(g, &c, r)) {
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
	}
out:
	conf_release(&c);
	free(path);
	return rc;
}

/*
 * The lifecycle tag's thresholds (its "params") and the event and prop of
 * its "orders" aggregate, from PIPELINES/tags/20-lifecycle.json; the
 * stage rules themselves are the tag's cases, as lib/lifecycle writes
 * them.
 */
static int load_lifecycle(struct rep *g)
{
	static const struct {
		const char *name;
		size_t off;
	} params[] = {
		{"new_days", offsetof(struct lifecycle_params, new_days)},
		{"dormant_days", offsetof(struct lifecycle_params, dormant_days)},
		{"churned_days", offsetof(struct lifecycle_params, churned_days)},
		{"mature_orders", offsetof(struct lifecycle_params, mature_orders)},
	};
	struct conf c = {0};
	char *path = xmalloc(strlen(g->pipelines) + 32);
	uint32_t par, agg, ord;
	unsigned i;
	int rc = 0;

	sprintf(path, "%s/tags/20-lifecycle.json", g->pipelines);
	if (conf_load(&c, path)) {
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
		goto out;
	}
	par = json_get(&c.doc, 0, "params", 6);
	agg = json_get(&c.doc, 0, "aggregates", 10);
	ord = agg ? json_get(&c.doc, agg, "orders", 6) : 0;
	for (i = 0; i < 4; i++) {
		long long v;
		if (!par || conf_int(&c, par, params[i].name, &v) != 1 || v < 0) {
			conf_fail(&c, par, params[i].name, "want the lifecycle tag's param, a number 0 or more");
			cli_err("%s", c.err.p);
			rc = EXIT_CONFIG;
			goto out;
		}
		*(long long *)((char *)&g->lc + params[i].off) = v;
	}
	if (!ord || conf_str(&c, ord, "event", &g->lc_event) != 1 || conf_str(&c, ord, "prop", &g->lc_order) != 1) {
		conf_fail(&c, agg, "orders", "want the aggregate {\"event\": TYPE, \"prop\": PROP}");
		cli_err("%s", c.err.p);
		rc = EXIT_CONFIG;
	}
out:
	conf_release(&c);
	free(path);
	return rc;
}

static int split_parse(const char *s, enum split_kind *k, char **name)
{
	static const struct {
		const char *p;
		enum split_kind k;
	} kinds[] = {{"prop:", SPLIT_PROP}, {"trait:", SPLIT_TRAIT}, {"tag:", SPLIT_TAG}, {"segment:", SPLIT_SEGMENT}};
	unsigned i;

	for (i = 0; i < 4; i++) {
		size_t n = strlen(kinds[i].p);
		if (!strncmp(s, kinds[i].p, n) && s[n]) {
			*k = kinds[i].k;
			*name = xstrdup(s + n);
			return 0;
		}
	}
	return -1;
}

/* ---- reading the stream */

static int is_rev(const struct rep *g, const struct json_doc *d, uint32_t type)
{
	unsigned i;

	for (i = 0; i < g->nrev; i++)
		if (json_str_eq(d, type, g->rev_types[i], strlen(g->rev_types[i])))
			return 1;
	return 0;
}

/* a value as the text a split or an arm shows: a string unescaped, other
 * JSON as written */
static uint32_t value_id(struct rep *g, struct strtab *t, uint32_t v, struct buf *tmp)
{
	if (!v || g->doc.t[v].type == JSON_NULL)
		return 0;
	buf_reset(tmp);
	if (g->doc.t[v].type == JSON_STRING)
		json_str_get(&g->doc, v, tmp);
	else
		json_write_tok(&g->doc, v, tmp);
	return strtab_put(t, tmp->p, tmp->len);
}

static void cur_set(struct rep *g, uint32_t oneid, uint32_t v)
{
	if (oneid >= g->ncur) {
		size_t n = g->ncur ? g->ncur : 4096;
		while (n <= oneid)
			n *= 2;
		g->cur = xrealloc(g->cur, n * sizeof *g->cur);
		memset(g->cur + g->ncur, 0, (n - g->ncur) * sizeof *g->cur);
		g->ncur = n;
	}
	g->cur[oneid] = v;
}

static uint32_t cur_get(const struct rep *g, uint32_t oneid)
{
	return oneid < g->ncur ? g->cur[oneid] : 0;
}

/* row bits */
#define B_COHORT 1u
#define B_RETURN 2u
#define B_ASSIGN 1u
#define B_CONV 2u
#define B_REV 4u
#define B_TOUCH 8u
#define B_SEEN 1u
#define B_ORDER 2u

/* ---- journeys and campaigns: the messages and what followed */

/* a string token's text as a value id of g->vals; 0 for anything else */
static uint32_t str_id(struct rep *g, uint32_t t, struct buf *tmp)
{
	if (!t || g->doc.t[t].type != JSON_STRING)
		return 0;
	buf_reset(tmp);
	json_str_get(&g->doc, t, tmp);
	return strtab_put(&g->vals, tmp->p, tmp->len);
}

/* the send id of token t (a string), as a number of g->sends; 0: none */
static uint32_t send_id(struct rep *g, uint32_t t, struct buf *tmp)
{
	if (!t || g->doc.t[t].type != JSON_STRING || !g->doc.t[t].len)
		return 0;
	buf_reset(tmp);
	json_str_get(&g->doc, t, tmp);
	return strtab_put(&g->sends, tmp->p, tmp->len);
}

static int is_campaign(const struct rep *g, uint32_t journey)
{
	return journey && g->vals.len[journey] > 9 && !memcmp(g->vals.s[journey], "campaign:", 9);
}

/* the group of (journey, step, arm), 1 …; a campaign's sends are one
 * group whatever their step and arm */
static uint32_t group_of(struct rep *g, uint32_t journey, uint32_t step, uint32_t arm)
{
	uint32_t k[3];

	k[0] = journey;
	k[1] = is_campaign(g, journey) ? 0 : step;
	k[2] = is_campaign(g, journey) ? 0 : arm;
	return strtab_put(&g->groups, (const char *)k, sizeof k);
}

/* the journey of a send id campaign:NAME:… (dispatch campaign's), or 0 */
static uint32_t campaign_of_id(struct rep *g, uint32_t send)
{
	const char *s = g->sends.s[send], *e;
	size_t n = g->sends.len[send];

	if (n <= 9 || memcmp(s, "campaign:", 9) || !(e = memchr(s + 9, ':', n - 9)) || e == s + 9)
		return 0;
	return strtab_put(&g->vals, s, (size_t)(e - s));
}

/* a system record counted as passed turns out to be bad */
static void msg_reject(struct rep *g, const char *why)
{
	g->oc.passed--;
	outcome_reject(&g->oc, why, strlen(why));
}

static void on_message(struct rep *g, uint32_t type, uint32_t oneid, int64_t ts, struct buf *tmp)
{
	const struct json_doc *d = &g->doc;
	struct evrow r = {0};

	r.oneid = oneid;
	r.ts = ts;
	if (json_str_eq(d, type, "$send", 5)) {
		uint32_t id = send_id(g, json_get(d, 0, "send_id", 7), tmp), j, st, arm;
		if (!id) {
			msg_reject(g, "$send without a send_id");
			return;
		}
		j = str_id(g, json_get(d, 0, "journey", 7), tmp);
		if (!j)
			j = campaign_of_id(g, id);
		if (!j)
			j = strtab_put(&g->vals, "(none)", 6);
		st = str_id(g, json_get(d, 0, "step", 4), tmp);
		arm = str_id(g, json_get(d, 0, "arm", 3), tmp);
		sendstats_send(&g->ss, id, group_of(g, j, st, arm), j);
		if (arm && !is_campaign(g, j)) {
			r.bits = SS_ARM;
			r.key = j;
			r.aux = arm;
			evtab_add(&g->t, &r);
		}
	} else if (json_str_eq(d, type, "$delivery", 9)) {
		uint32_t id = send_id(g, json_get(d, 0, "send_id", 7), tmp), st = json_get(d, 0, "status", 6);
		enum sendstats_status s;
		uint32_t why = 0;
		if (!id || !st || d->t[st].type != JSON_STRING) {
			msg_reject(g, "$delivery without a send_id or a status");
			return;
		}
		if (json_str_eq(d, st, "sent", 4))
			s = SS_ST_SENT;
		else if (json_str_eq(d, st, "suppressed", 10))
			s = SS_ST_SUPPRESSED;
		else if (json_str_eq(d, st, "failed", 6) || json_str_eq(d, st, "unknown", 7))
			s = SS_ST_FAILED;
		else
			return; /* deferred: decided again later */
		if (s != SS_ST_SENT && !(why = str_id(g, json_get(d, 0, "reason", 6), tmp)))
			why = strtab_put(&g->vals, "(none)", 6);
		if (!sendstats_group_of(&g->ss, id)) {
			/* no $send read: a campaign's id still says whose it is */
			uint32_t j = campaign_of_id(g, id);
			if (j)
				sendstats_send(&g->ss, id, group_of(g, j, 0, 0), j);
		}
		if (sendstats_outcome(&g->ss, id, s, str_id(g, json_get(d, 0, "channel", 7), tmp), why) &&
		    s == SS_ST_SENT) {
			r.bits = SS_SENT;
			r.key = id;
			evtab_add(&g->t, &r);
		}
	} else if (json_str_eq(d, type, "$journey", 8)) {
		uint32_t j = str_id(g, json_get(d, 0, "journey", 7), tmp), op = json_get(d, 0, "op", 2);
		uint32_t arm = str_id(g, json_get(d, 0, "arm", 3), tmp), why;
		if (!j || !op || d->t[op].type != JSON_STRING) {
			msg_reject(g, "$journey without a journey or an op");
			return;
		}
		r.key = j;
		if (json_str_eq(d, op, "enter", 5))
			r.bits |= SS_ENTER;
		if (json_str_eq(d, op, "exit", 4) && (why = json_get(d, 0, "reason", 6)) &&
		    json_str_eq(d, why, "converted", 9))
			r.bits |= SS_GOAL;
		if (arm) {
			r.bits |= SS_ARM;
			r.aux = arm;
		}
		if (r.bits)
			evtab_add(&g->t, &r);
	}
}

/* a provider's receipt: an event of a type the config names, whose prop
 * names the send. Returns 1 when it was one, -1 when it was one without
 * a send id (rejected), 0 when it was not one. */
static int on_receipt(struct rep *g, uint32_t type, uint32_t props, struct buf *tmp)
{
	static const unsigned bit[3] = {SS_DELIVERED, SS_OPENED, SS_CLICKED};
	unsigned k, i;

	for (k = 0; k < 3; k++)
		for (i = 0; i < g->nreceipt[k]; i++)
			if (json_str_eq(&g->doc, type, g->receipt_types[k][i], strlen(g->receipt_types[k][i]))) {
				const char *p = g->receipt_prop ? g->receipt_prop : "send_id";
				uint32_t id = send_id(g, json_get_path(&g->doc, props, p), tmp);
				if (!id) {
					OUTCOME_REJECT(&g->oc, "receipt without a send id (a string)");
					return -1;
				}
				sendstats_receipt(&g->ss, id, bit[k]);
				return 1;
			}
	return 0;
}

static void on_system(struct rep *g, uint32_t type, uint32_t oneid, int64_t ts, struct buf *tmp)
{
	const struct json_doc *d = &g->doc;

	if (g->msgs && !json_str_eq(d, type, "$merge", 6)) {
		on_message(g, type, oneid, ts, tmp);
		return;
	}

	if (json_str_eq(d, type, "$merge", 6)) {
		uint32_t m = json_get(d, 0, "merged", 6), i, k;
		if (m && d->t[m].type == JSON_ARRAY)
			for (i = m + 1, k = 0; k < d->t[m].size; k++, i = d->t[i].next) {
				uint32_t from;
				if (!json_oneid(d, i, &from))
					evtab_merge(&g->t, from, oneid);
			}
		return;
	}
	if (g->split == SPLIT_TAG && json_str_eq(d, type, "$tag", 4)) {
		uint32_t name = json_get(d, 0, "tag", 3);
		if (name && json_str_eq(d, name, g->split_name, strlen(g->split_name)))
			cur_set(g, oneid, value_id(g, &g->vals, json_get(d, 0, "new", 3), tmp));
		return;
	}
	if (g->split == SPLIT_SEGMENT && json_str_eq(d, type, "$segment", 8)) {
		uint32_t name = json_get(d, 0, "segment", 7), op = json_get(d, 0, "op", 2);
		if (name && op && json_str_eq(d, name, g->split_name, strlen(g->split_name)))
			cur_set(g, oneid, strtab_put(&g->vals, json_str_eq(d, op, "enter", 5) ? "in" : "out",
						     json_str_eq(d, op, "enter", 5) ? 2 : 3));
		return;
	}
	if (!strcmp(g->cmd, "attribution") && json_str_eq(d, type, "$send", 5)) {
		/* the value a touch by this send credits: its journey, or its
		 * campaign (the journey, else NAME of a send id campaign:NAME:…) */
		uint32_t sid = json_get(d, 0, "send_id", 7), j = json_get(d, 0, "journey", 7), id, v = 0;
		if (!sid || d->t[sid].type != JSON_STRING)
			return;
		buf_reset(tmp);
		json_str_get(d, sid, tmp);
		id = strtab_put(&g->sends, tmp->p, tmp->len);
		if (j && d->t[j].type == JSON_STRING) {
			v = value_id(g, &g->vals, j, tmp);
		} else if (g->credit == 2) {
			buf_reset(tmp);
			json_str_get(d, sid, tmp);
			if (tmp->len > 9 && !memcmp(tmp->p, "campaign:", 9)) {
				const char *e = memchr(tmp->p + 9, ':', tmp->len - 9);
				if (e)
					v = strtab_put(&g->vals, tmp->p + 9, (size_t)(e - tmp->p - 9));
			}
		}
		if (id >= g->nsend_key) {
			size_t n = g->nsend_key ? g->nsend_key * 2 : 1024;
			while (n <= id)
				n *= 2;
			g->send_key = xrealloc(g->send_key, n * sizeof *g->send_key);
			memset(g->send_key + g->nsend_key, 0, (n - g->nsend_key) * sizeof *g->send_key);
			g->nsend_key = n;
		}
		g->send_key[id] = v;
		return;
	}
	if (!strcmp(g->cmd, "attribution") && json_str_eq(d, type, "$delivery", 9)) {
		/* a touch: a message that went out */
		uint32_t st = json_get(d, 0, "status", 6), sid = json_get(d, 0, "send_id", 7);
		struct evrow r = {0};
		if (!st || !json_str_eq(d, st, "sent", 4))
			return;
		if (g->credit == 0) {
			uint32_t ch = json_get(d, 0, "channel", 7);
			r.key = ch && d->t[ch].type == JSON_STRING ? value_id(g, &g->vals, ch, tmp) : 0;
		} else if (sid && d->t[sid].type == JSON_STRING) {
			uint32_t id;
			buf_reset(tmp);
			json_str_get(d, sid, tmp);
			id = strtab_put(&g->sends, tmp->p, tmp->len);
			r.key = id < g->nsend_key ? g->send_key[id] : 0;
		}
		if (!r.key)
			r.key = strtab_put(&g->vals, "(unknown)", 9);
		r.oneid = oneid;
		r.ts = ts;
		r.bits = B_TOUCH;
		evtab_add(&g->t, &r);
		return;
	}
	if (g->arm_journey && json_str_eq(d, type, "$journey", 8)) {
		uint32_t j = json_get(d, 0, "journey", 7), op = json_get(d, 0, "op", 2);
		uint32_t arm = json_get(d, 0, "arm", 3);
		struct evrow r = {0};
		if (!j || !op || !json_str_eq(d, j, g->arm_journey, strlen(g->arm_journey)))
			return;
		/* an enter, or any record with an arm: a split after a wait
		 * gives the arm on the records after the enter's */
		r.key = value_id(g, &g->vals, arm, tmp);
		if (!r.key && !json_str_eq(d, op, "enter", 5))
			return;
		r.oneid = oneid;
		r.ts = ts;
		r.bits = B_ASSIGN;
		evtab_add(&g->t, &r);
	}
}

/*
 * An event of retention or funnel from evscan's look at it: 1 when it
 * was counted, 0 when the line needs the full parse (a system record, a
 * type a step's where reads props of, anything a reject says why of) —
 * then nothing was counted yet.
 */
static int on_fast(struct rep *g, const struct evscan *e)
{
	const char *t = e->type.s;
	size_t tn = e->type.n, i;
	uint64_t v = 0;
	int64_t ts;
	struct evrow r = {0};
	unsigned k;

	if (e->type.kind != EVSCAN_STRING || e->type.esc || (tn && t[0] == '$'))
		return 0;
	if (g->funnel) {
		for (k = 0; k < g->nsteps; k++)
			if (g->steps[k].where && step_type_is(&g->steps[k], t, tn))
				return 0;
	} else if ((g->cohort_step.where && step_type_is(&g->cohort_step, t, tn)) ||
		   (g->return_step.where && step_type_is(&g->return_step, t, tn))) {
		return 0;
	}
	if (e->oneid.kind == EVSCAN_NONE) {
		g->oc.skipped++;
		return 1;
	}
	if (e->oneid.kind != EVSCAN_NUMBER || e->oneid.n > 10)
		return 0;
	for (i = 0; i < e->oneid.n; i++) {
		if (e->oneid.s[i] < '0' || e->oneid.s[i] > '9')
			return 0;
		v = v * 10 + (uint64_t)(e->oneid.s[i] - '0');
	}
	if (!v || v > UINT32_MAX || e->ts.kind != EVSCAN_STRING || clock_parse_memo(&g->day, e->ts.s, e->ts.n, &ts))
		return 0;
	g->oc.passed++;
	g->events++;
	if (!g->have_ts || ts > g->max_ts)
		g->max_ts = ts;
	if (!g->have_ts || ts < g->min_ts)
		g->min_ts = ts;
	g->have_ts = 1;
	r.oneid = (uint32_t)v;
	r.ts = ts;
	if (g->split == SPLIT_TAG || g->split == SPLIT_SEGMENT)
		r.key = cur_get(g, r.oneid);
	if (g->funnel) {
		for (k = 0; k < g->nsteps; k++)
			if (step_type_is(&g->steps[k], t, tn))
				r.bits |= 1u << k;
	} else {
		if (step_type_is(&g->cohort_step, t, tn))
			r.bits |= B_COHORT;
		if (step_type_is(&g->return_step, t, tn))
			r.bits |= B_RETURN;
	}
	if (r.bits)
		evtab_add(&g->t, &r);
	return 1;
}

static void on_record(struct rep *g, const char *p, size_t n, struct buf *tmp)
{
	const char *why;
	size_t at;
	uint32_t type, oid, tsk, props, oneid;
	int64_t ts;
	struct evrow r = {0};
	uint32_t split = 0;
	static const struct json_key keys[] = {{"type", 4}, {"oneid", 5}, {"ts", 2}, {"props", 5}};
	uint32_t v[4];

	g->oc.in++;
	if (g->fast) {
		struct evscan e;
		if (!evscan_line(&e, p, n, 64) && on_fast(g, &e))
			return;
	}
	if (json_parse(&g->doc, p, n, 64, &why, &at)) {
		outcome_bad_json(&g->oc, why, at);
		return;
	}
	if (g->doc.t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->oc, "record is not a JSON object");
		return;
	}
	json_get_keys(&g->doc, 0, keys, 4, v);
	type = v[0], oid = v[1], tsk = v[2], props = v[3];
	if (!type || g->doc.t[type].type != JSON_STRING) {
		OUTCOME_REJECT(&g->oc, "record without a type");
		return;
	}
	if (g->msgs && g->doc.s[g->doc.t[type].off] != '$') {
		/* receipts need no oneid: their send says whose they are */
		int x = on_receipt(g, type, props && g->doc.t[props].type == JSON_OBJECT ? props : 0, tmp);
		if (x > 0)
			g->oc.passed++;
		if (x)
			return;
	}
	if (!oid) { /* not through idmerge (a $tick, a reject …): nobody's */
		if (json_str_eq(&g->doc, type, "$tick", 5) && !clock_parse_tok(&g->doc, tsk, &ts) &&
		    (!g->have_tick || ts > g->tick_ts)) {
			g->tick_ts = ts; /* the clock moves on without events */
			g->have_tick = 1;
		}
		g->oc.skipped++;
		return;
	}
	if (json_oneid(&g->doc, oid, &oneid)) {
		OUTCOME_REJECT(&g->oc, "oneid is not a number 1 … 4294967295");
		return;
	}
	if (clock_parse_tok(&g->doc, tsk, &ts)) {
		OUTCOME_REJECT(&g->oc, "ts is missing or not a time");
		return;
	}
	if (props && g->doc.t[props].type != JSON_OBJECT)
		props = 0;
	g->oc.passed++;
	if (g->doc.s[g->doc.t[type].off] == '$') {
		on_system(g, type, oneid, ts, tmp);
		return;
	}
	g->events++;
	if (!g->have_ts || ts > g->max_ts)
		g->max_ts = ts;
	if (!g->have_ts || ts < g->min_ts)
		g->min_ts = ts;
	g->have_ts = 1;
	/* the split value at this event */
	switch (g->split) {
	case SPLIT_PROP:
		split = value_id(g, &g->vals, json_get_path(&g->doc, props, g->split_name), tmp);
		break;
	case SPLIT_TRAIT: {
		uint32_t tr = json_get(&g->doc, 0, "traits", 6), x;
		if (tr && (x = json_get_path(&g->doc, tr, g->split_name)))
			cur_set(g, oneid, value_id(g, &g->vals, x, tmp));
		split = cur_get(g, oneid);
		break;
	}
	case SPLIT_TAG:
	case SPLIT_SEGMENT:
		split = cur_get(g, oneid);
		break;
	default:
		break;
	}
	r.oneid = oneid;
	r.ts = ts;
	r.key = split;
	if (!strcmp(g->cmd, "retention")) {
		if (step_match(&g->cohort_step, &g->doc, type, props))
			r.bits |= B_COHORT;
		if (step_match(&g->return_step, &g->doc, type, props))
			r.bits |= B_RETURN;
	} else if (!strcmp(g->cmd, "funnel")) {
		unsigned k;
		for (k = 0; k < g->nsteps; k++)
			if (step_match(&g->steps[k], &g->doc, type, props))
				r.bits |= 1u << k;
	} else if (!strcmp(g->cmd, "attribution")) {
		r.key = 0;
		if (step_match(&g->conv_step, &g->doc, type, props)) {
			r.bits = B_CONV;
			if (is_rev(g, &g->doc, type)) {
				uint32_t a = json_get_path(&g->doc, props, g->amount);
				if (a && g->doc.t[a].type == JSON_NUMBER)
					r.val = strtod(g->doc.s + g->doc.t[a].off, NULL);
			}
		}
	} else if (g->msgs) {
		r.key = 0;
		if (step_match(&g->conv_step, &g->doc, type, props)) {
			uint32_t a = json_get_path(&g->doc, props, g->amount);
			r.bits = SS_ORDER;
			if (a && g->doc.t[a].type == JSON_NUMBER)
				r.val = strtod(g->doc.s + g->doc.t[a].off, NULL);
		}
	} else if (!strcmp(g->cmd, "lifecycle")) {
		r.key = 0;
		r.bits = B_SEEN;
		if (json_str_eq(&g->doc, type, g->lc_event, strlen(g->lc_event))) {
			uint32_t o = json_get_path(&g->doc, props, g->lc_order);
			r.key = value_id(g, &g->orders, o, tmp);
			if (r.key)
				r.bits |= B_ORDER;
		}
	} else if (!strcmp(g->cmd, "rfm")) {
		uint32_t o, a;
		if (!is_rev(g, &g->doc, type))
			return;
		a = json_get_path(&g->doc, props, g->amount);
		if (a && g->doc.t[a].type == JSON_NUMBER)
			r.val = strtod(g->doc.s + g->doc.t[a].off, NULL);
		o = json_get_path(&g->doc, props, g->order_prop);
		r.key = value_id(g, &g->orders, o, tmp);
		r.bits = 1;
	} else if (!strcmp(g->cmd, "abtest")) {
		if (g->arm_kind != SPLIT_NONE) {
			uint32_t x = 0;
			if (g->arm_kind == SPLIT_PROP) {
				x = json_get_path(&g->doc, props, g->arm_name);
			} else if (g->arm_kind == SPLIT_TRAIT) {
				uint32_t tr = json_get(&g->doc, 0, "traits", 6);
				x = tr ? json_get_path(&g->doc, tr, g->arm_name) : 0;
			}
			if (x && g->doc.t[x].type != JSON_NULL) {
				r.bits |= B_ASSIGN;
				r.aux = value_id(g, &g->vals, x, tmp);
			}
		}
		if (step_match(&g->conv_step, &g->doc, type, props))
			r.bits |= B_CONV;
		if (is_rev(g, &g->doc, type)) {
			uint32_t a = json_get_path(&g->doc, props, g->amount);
			if (a && g->doc.t[a].type == JSON_NUMBER) {
				r.val = strtod(g->doc.s + g->doc.t[a].off, NULL);
				r.bits |= B_REV;
			}
		}
		if (r.bits & B_ASSIGN)
			r.key = r.aux;
	}
	if (r.bits)
		evtab_add(&g->t, &r);
}

static int read_all(struct rep *g)
{
	struct ep_cfg cfg = {0};
	struct buf tmp = BUF_INIT;
	int i, rc = 0;
	const char *stdin_only[] = {"-"};
	const char *const *ins = g->cli.nin ? g->cli.in : stdin_only;
	int nin = g->cli.nin ? g->cli.nin : 1;

	cfg.x = g->cli.x;
	cfg.nx = g->cli.nx;
	cfg.group = g->group ? g->group : "uops-report";
	cfg.exit_at_end = 1; /* a report is over a stream's end */
	if ((rc = outcome_open(&g->oc, g->cli.rejects, &cfg)))
		return rc;
	g->oc.strict = g->cli.strict;
	for (i = 0; i < nin && !rc && !cli_stop; i++) {
		struct ep_in in;
		struct ep_rec r;
		int x;
		if ((rc = ep_in_open(&in, ins[i], &cfg)))
			break;
		g->oc.src = &in;
		while (!cli_stop && (x = ep_in_next(&in, &r)) != 0) {
			if (x < 0) {
				rc = in.code;
				break;
			}
			if (x == 2)
				continue;
			g->oc.raw = r.p;
			g->oc.raw_n = r.n;
			g->oc.raw_flags = r.flags;
			g->oc.raw_total = r.total;
			if (r.flags & LINE_TOO_LONG) {
				g->oc.in++;
				outcome_rejectf(&g->oc, "line longer than %zu bytes (%llu)", in.max_line, r.total);
			} else {
				on_record(g, r.p, r.n, &tmp);
			}
			if (g->oc.fatal) {
				rc = g->oc.fatal;
				break;
			}
			if (g->oc.strict_hit) {
				rc = EXIT_DATA;
				break;
			}
		}
		ep_in_close(&in);
		g->oc.src = NULL;
	}
	buf_release(&tmp);
	/* the stream's clock: its latest event, or a $tick after it */
	if (g->have_ts && g->have_tick && g->tick_ts > g->max_ts)
		g->max_ts = g->tick_ts;
	if (cli_stop && !rc)
		cli_info("stopped: the report covers the records read so far");
	return rc;
}

/* ---- retention */

static void summary_defaults(enum cohort_unit u, const char **s)
{
	*s = u == COHORT_DAY ? "1,7,30" : u == COHORT_WEEK ? "1,4,12" : "1,3,6";
}

static int op_retention(struct rep *g)
{
	struct cohort c;
	size_t from, to = 0, i;
	uint32_t *rank;
	char label[32];
	const char *sum_s = g->summary_s;
	char **sums = NULL;
	unsigned nsums = 0, k;
	long nmax = g->periods;

	if (nmax < 0)
		nmax = g->unit == COHORT_DAY ? 30 : 12;
	if (!sum_s)
		summary_defaults(g->unit, &sum_s);
	if (cli_list(sum_s, &sums, &nsums)) {
		cli_err("--summary wants periods such as 1,7,30, not '%s'", sum_s);
		return EXIT_USAGE;
	}
	cohort_init(&c, g->unit, (unsigned)nmax, B_COHORT, B_RETURN);
	evtab_group(&g->t);
	while (evtab_next_person(&g->t, &from, &to))
		cohort_person(&c, g->t.r + from, to - from);
	if (g->have_ts)
		cohort_set_end(&c, g->max_ts);
	rank = strtab_ranks(&g->vals);
	cohort_sort(&c, rank);
	for (i = 0; i < c.ncell; i++) {
		struct cohort_cell *x = &c.cell[i];
		unsigned n, obs = cohort_observed(&c, x);
		cohort_label(x->period, g->unit, label);
		for (n = 0; n <= obs; n++) {
			rows_begin(&g->out, "retention");
			col_split(g, x->split);
			rows_str(&g->out, "cohort", label);
			rows_u64(&g->out, "size", x->size);
			rows_u64(&g->out, "period", n);
			rows_u64(&g->out, "returned", x->ret[n]);
			rows_num(&g->out, "rate", (double)x->ret[n] / (double)x->size);
			rows_end(&g->out);
		}
	}
	/* D1/D7/D30: over the cohorts old enough to have seen period N */
	for (k = 0; k < nsums; k++) {
		char *end;
		long n = strtol(sums[k], &end, 10);
		uint32_t s, last = UINT32_MAX;
		if (*end || n < 0 || n > nmax)
			continue;
		for (i = 0; i <= c.ncell; i++) {
			uint64_t size = 0, ret = 0;
			size_t j;
			if (i < c.ncell && c.cell[i].split == last)
				continue;
			if (i == c.ncell)
				break;
			s = last = c.cell[i].split;
			for (j = i; j < c.ncell && c.cell[j].split == s; j++)
				if (cohort_observed(&c, &c.cell[j]) >= (unsigned)n) {
					size += c.cell[j].size;
					ret += c.cell[j].ret[n];
				}
			rows_begin(&g->out, "retention_summary");
			col_split(g, s);
			snprintf(label, sizeof label, "%c%ld", g->unit == COHORT_DAY ? 'D' : g->unit == COHORT_WEEK ? 'W' : 'M', n);
			rows_str(&g->out, "period", label);
			rows_u64(&g->out, "people", size);
			rows_u64(&g->out, "returned", ret);
			rows_num(&g->out, "rate", size ? (double)ret / (double)size : NAN);
			rows_end(&g->out);
		}
	}
	for (k = 0; k < nsums; k++)
		free(sums[k]);
	free(sums);
	free(rank);
	cohort_release(&c);
	return 0;
}

/* ---- funnel */

static int op_funnel(struct rep *g)
{
	struct funnel f;
	size_t from, to = 0, i;
	uint32_t *rank;
	unsigned k;

	funnel_init(&f, g->nsteps, g->window);
	evtab_group(&g->t);
	while (evtab_next_person(&g->t, &from, &to))
		funnel_person(&f, g->t.r + from, to - from);
	rank = strtab_ranks(&g->vals);
	funnel_finish(&f, rank);
	for (i = 0; i < f.ns; i++) {
		struct funnel_split *s = &f.s[i];
		for (k = 0; k < g->nsteps; k++) {
			rows_begin(&g->out, "funnel");
			col_split(g, s->split);
			rows_u64(&g->out, "step", k + 1);
			rows_str(&g->out, "event", g->steps[k].text);
			rows_u64(&g->out, "people", s->reached[k]);
			rows_num(&g->out, "from_previous", k ? (double)s->reached[k] / (double)s->reached[k - 1] : 1);
			rows_num(&g->out, "overall", (double)s->reached[k] / (double)s->reached[0]);
			if (k) {
				rows_num(&g->out, "median_s", round(stats_quantile_sorted(s->gap[k - 1], s->ngap[k - 1], 0.5)) / 1000);
				rows_num(&g->out, "p90_s", round(stats_quantile_sorted(s->gap[k - 1], s->ngap[k - 1], 0.9)) / 1000);
			} else {
				rows_num(&g->out, "median_s", NAN);
				rows_num(&g->out, "p90_s", NAN);
			}
			rows_end(&g->out);
		}
	}
	free(rank);
	funnel_release(&f);
	return 0;
}

/* ---- attribution: conversions and revenue credited to the touches before */

enum { M_FIRST, M_LAST, M_LINEAR, M_DECAY, M_POSITION, NMODELS };

static const char *const model_names[NMODELS] = {"first_touch", "last_touch", "linear", "time_decay",
						 "position"};

static int op_attribution(struct rep *g)
{
	static const char *const what[] = {"channel", "journey", "campaign"};
	size_t from, to = 0, nk = g->vals.n ? g->vals.n : 1, i;
	double *conv = xcalloc(NMODELS * nk, sizeof *conv), *rev = xcalloc(NMODELS * nk, sizeof *rev);
	double *w = NULL;
	uint32_t *rank, *ids;
	size_t wcap = 0;
	unsigned m;

	evtab_group(&g->t);
	while (evtab_next_person(&g->t, &from, &to)) {
		const struct evrow *r = g->t.r + from;
		size_t n = to - from, c, a, first;
		for (c = 0; c < n; c++) {
			size_t nt, k;
			double sum;
			if (!(r[c].bits & B_CONV))
				continue;
			/* the touches strictly before the conversion, within the lookback */
			for (first = c; first > 0 && r[first - 1].ts >= r[c].ts - g->lookback; first--)
				;
			for (a = first, nt = 0; a < c; a++)
				nt += (r[a].bits & B_TOUCH) && r[a].ts < r[c].ts;
			if (!nt) {
				for (m = 0; m < NMODELS; m++) {
					conv[m * nk] += 1;
					rev[m * nk] += r[c].val;
				}
				continue;
			}
			if (nt > wcap) {
				wcap = nt * 2;
				w = xrealloc(w, wcap * sizeof *w);
			}
			for (m = 0; m < NMODELS; m++) {
				for (a = first, k = 0, sum = 0; a < c; a++) {
					if (!(r[a].bits & B_TOUCH) || r[a].ts >= r[c].ts)
						continue;
					switch (m) {
					case M_FIRST: w[k] = k == 0; break;
					case M_LAST: w[k] = k == nt - 1; break;
					case M_LINEAR: w[k] = 1; break;
					case M_DECAY:
						w[k] = exp2(-(double)(r[c].ts - r[a].ts) / (double)g->half_life);
						break;
					default:
						w[k] = nt == 1 ? 1 : nt == 2 ? 0.5 : k == 0 || k == nt - 1 ? 0.4 : 0.2 / (double)(nt - 2);
					}
					sum += w[k++];
				}
				for (a = first, k = 0; a < c; a++) {
					if (!(r[a].bits & B_TOUCH) || r[a].ts >= r[c].ts)
						continue;
					conv[m * nk + r[a].key] += w[k] / sum;
					rev[m * nk + r[a].key] += w[k] / sum * r[c].val;
					k++;
				}
			}
		}
	}
	rank = strtab_ranks(&g->vals);
	ids = xmalloc(nk * sizeof *ids);
	for (i = 0; i < nk; i++)
		ids[rank[i]] = (uint32_t)i;
	for (m = 0; m < NMODELS; m++)
		for (i = 0; i < nk; i++) {
			uint32_t id = ids[i];
			if (!conv[m * nk + id] && !rev[m * nk + id])
				continue;
			rows_begin(&g->out, "attribution");
			rows_str(&g->out, "model", model_names[m]);
			rows_strn(&g->out, what[g->credit], id ? g->vals.s[id] : NULL, id ? g->vals.len[id] : 0);
			rows_num(&g->out, "conversions", conv[m * nk + id]);
			rows_money(&g->out, "revenue", rev[m * nk + id], 2);
			rows_end(&g->out);
		}
	free(conv), free(rev), free(w), free(rank), free(ids);
	return 0;
}

/* ---- journeys and campaigns: sends, outcomes, receipts, goals, revenue */

static const uint32_t *msg_rank; /* value ranks, for the sorts below */

/* a group's (journey, step, arm) */
static void group_key(const struct rep *g, uint32_t grp, uint32_t k[3])
{
	memcpy(k, g->groups.s[grp], 3 * sizeof *k);
}

static struct rep *msg_rep;

static int key_cmp(const uint32_t *a, const uint32_t *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return msg_rank[a[i]] < msg_rank[b[i]] ? -1 : 1;
	return 0;
}

/* groups by journey, step, arm (names in byte order, none first) */
static int group_cmp(const void *a, const void *b)
{
	uint32_t x[3], y[3];

	group_key(msg_rep, *(const uint32_t *)a, x);
	group_key(msg_rep, *(const uint32_t *)b, y);
	return key_cmp(x, y, 3);
}

/* (journey, arm) pairs */
struct jarm {
	uint32_t journey, arm;
	uint64_t entered, converted;
	struct sendstats_group sum;
};

static int jarm_cmp(const void *a, const void *b)
{
	const struct jarm *x = a, *y = b;
	uint32_t ka[2] = {x->journey, x->arm}, kb[2] = {y->journey, y->arm};
	return key_cmp(ka, kb, 2);
}

static void group_add(struct sendstats_group *to, const struct sendstats_group *x)
{
	to->sends += x->sends;
	to->sent += x->sent;
	to->suppressed += x->suppressed;
	to->failed += x->failed;
	to->delivered += x->delivered;
	to->opened += x->opened;
	to->clicked += x->clicked;
	to->goals += x->goals;
	to->ordered += x->ordered;
	to->orders += x->orders;
	to->revenue += x->revenue;
	to->cost += x->cost;
}

static void col_val(struct rep *g, const char *name, uint32_t id)
{
	rows_strn(&g->out, name, id ? g->vals.s[id] : NULL, id ? g->vals.len[id] : 0);
}

/* the columns every group of sends has; converted: goals (journeys) or
 * sends with an order credited (campaigns) */
static void msg_cols(struct rep *g, const struct sendstats_group *x, int goals)
{
	double rev, cost;

	rows_u64(&g->out, "sends", x->sends);
	rows_u64(&g->out, "sent", x->sent);
	rows_u64(&g->out, "suppressed", x->suppressed);
	rows_u64(&g->out, "failed", x->failed);
	rows_u64(&g->out, "delivered", x->delivered);
	rows_u64(&g->out, "opened", x->opened);
	rows_u64(&g->out, "clicked", x->clicked);
	if (goals >= 0)
		rows_u64(&g->out, "converted", goals ? x->goals : x->ordered);
	rows_u64(&g->out, "orders", x->orders);
	/* ROI of the figures as written: revenue to the cent, the cost of
	 * messages (whose prices go below a cent) to 4 decimals */
	rev = rows_round(x->revenue, 2);
	cost = rows_round(x->cost, 4);
	rows_money(&g->out, "revenue", rev, 2);
	rows_money(&g->out, "cost", cost, 4);
	rows_num(&g->out, "roi", cost > 0 ? (rev - cost) / cost : NAN);
}

static int op_messages(struct rep *g)
{
	int campaigns = !strcmp(g->cmd, "campaigns");
	size_t from, to = 0, i, n = 0, nj = 0, k;
	uint32_t *rank, *grp, *ids;
	uint32_t *ch = xmalloc((g->ncost + 1) * sizeof *ch);
	double *cost;
	struct jarm *ja = NULL;

	evtab_group(&g->t);
	while (evtab_next_person(&g->t, &from, &to))
		sendstats_person(&g->ss, g->t.r + from, to - from);
	/* the cost of a message sent, by channel */
	for (k = 0; k < g->ncost; k++)
		ch[k] = strtab_put(&g->vals, g->cost_ch[k], strlen(g->cost_ch[k]));
	cost = xcalloc(g->vals.n + 1, sizeof *cost);
	for (k = 0; k < g->ncost; k++)
		cost[ch[k]] = g->cost_v[k];
	free(ch);
	sendstats_finish(&g->ss, g->groups.n ? g->groups.n : 1, cost, g->vals.n);
	rank = strtab_ranks(&g->vals);
	msg_rank = rank;
	msg_rep = g;
	/* the groups of this report, in order */
	grp = xmalloc((g->groups.n + 1) * sizeof *grp);
	for (i = 1; i < g->groups.n; i++) {
		uint32_t key[3];
		group_key(g, (uint32_t)i, key);
		if (is_campaign(g, key[0]) == campaigns)
			grp[n++] = (uint32_t)i;
	}
	qsort(grp, n, sizeof *grp, group_cmp);
	/* journeys: people per journey and arm, and the sends summed */
	if (!campaigns) {
		ja = xcalloc(g->ss.nj + n + 1, sizeof *ja);
		for (i = 0; i < g->ss.nj; i++) {
			if (is_campaign(g, g->ss.j[i].journey))
				continue;
			ja[nj].journey = g->ss.j[i].journey;
			ja[nj].arm = g->ss.j[i].arm;
			ja[nj].entered = g->ss.j[i].entered;
			ja[nj].converted = g->ss.j[i].converted;
			nj++;
		}
		for (i = 0; i < n; i++) {
			uint32_t key[3];
			group_key(g, grp[i], key);
			for (k = 0; k < nj && !(ja[k].journey == key[0] && ja[k].arm == key[2]); k++)
				;
			if (k == nj) {
				ja[nj].journey = key[0];
				ja[nj].arm = key[2];
				nj++;
			}
			group_add(&ja[k].sum, &g->ss.g[grp[i]]);
		}
		qsort(ja, nj, sizeof *ja, jarm_cmp);
		for (i = 0; i < nj; i++) {
			rows_begin(&g->out, "journey");
			col_val(g, "journey", ja[i].journey);
			col_val(g, "arm", ja[i].arm);
			rows_u64(&g->out, "entered", ja[i].entered);
			rows_u64(&g->out, "converted", ja[i].converted);
			rows_num(&g->out, "conversion_rate",
				ja[i].entered ? (double)ja[i].converted / (double)ja[i].entered : NAN);
			msg_cols(g, &ja[i].sum, -1);
			rows_end(&g->out);
		}
	}
	for (i = 0; i < n; i++) {
		uint32_t key[3];
		group_key(g, grp[i], key);
		if (campaigns) {
			rows_begin(&g->out, "campaign");
			rows_strn(&g->out, "campaign", g->vals.s[key[0]] + 9, g->vals.len[key[0]] - 9);
		} else {
			rows_begin(&g->out, "journey_step");
			col_val(g, "journey", key[0]);
			col_val(g, "step", key[1]);
			col_val(g, "arm", key[2]);
		}
		msg_cols(g, &g->ss.g[grp[i]], !campaigns);
		rows_end(&g->out);
	}
	/* why sends did not go out: by group (in the order above), status,
	 * reason */
	ids = xmalloc((g->groups.n + 1) * sizeof *ids);
	for (i = 0; i < g->groups.n; i++)
		ids[i] = UINT32_MAX;
	for (i = 0; i < n; i++)
		ids[grp[i]] = (uint32_t)i;
	{
		struct sendstats_reason *w = xmalloc((g->ss.nwhy + 1) * sizeof *w);
		size_t nw = 0, a, b;
		for (i = 0; i < g->ss.nwhy; i++)
			if (g->ss.why[i].group < g->groups.n && ids[g->ss.why[i].group] != UINT32_MAX)
				w[nw++] = g->ss.why[i];
		/* insertion sort by the group's place, then status, reason name */
		for (a = 1; a < nw; a++) {
			struct sendstats_reason x = w[a];
			for (b = a; b > 0; b--) {
				const struct sendstats_reason *y = &w[b - 1];
				int c = ids[y->group] != ids[x.group] ? (ids[y->group] > ids[x.group] ? 1 : -1)
					: y->status != x.status ? (y->status > x.status ? 1 : -1)
					: rank[y->reason] > rank[x.reason] ? 1 : -1;
				if (c < 0)
					break;
				w[b] = w[b - 1];
			}
			w[b] = x;
		}
		for (i = 0; i < nw; i++) {
			uint32_t key[3];
			group_key(g, w[i].group, key);
			rows_begin(&g->out, campaigns ? "campaign_unsent" : "journey_unsent");
			if (campaigns) {
				rows_strn(&g->out, "campaign", g->vals.s[key[0]] + 9, g->vals.len[key[0]] - 9);
			} else {
				col_val(g, "journey", key[0]);
				col_val(g, "step", key[1]);
				col_val(g, "arm", key[2]);
			}
			rows_str(&g->out, "status", w[i].status == SS_ST_SUPPRESSED ? "suppressed" : "failed");
			col_val(g, "reason", w[i].reason);
			rows_u64(&g->out, "sends", w[i].sends);
			rows_end(&g->out);
		}
		free(w);
	}
	free(ids), free(ja), free(grp), free(rank), free(cost);
	return 0;
}

/* ---- lifecycle: stages per period and the moves between them */

static int op_lifecycle(struct rep *g)
{
	struct lifecycle l;
	size_t from, to = 0, k;
	unsigned a, b;
	char label[32];

	if (!g->have_ts)
		return 0;
	lifecycle_init(&l, &g->lc, g->unit, g->min_ts, g->max_ts, B_SEEN, B_ORDER);
	evtab_group(&g->t);
	while (evtab_next_person(&g->t, &from, &to))
		lifecycle_person(&l, g->t.r + from, to - from);
	for (k = 0; k < l.np; k++) {
		uint64_t all = 0;
		cohort_label(l.p0 + (int64_t)k, g->unit, label);
		for (b = 0; b < LIFECYCLE_NSTAGES; b++)
			all += l.people[k * LIFECYCLE_NSTAGES + b];
		for (b = 0; b < LIFECYCLE_NSTAGES; b++) {
			uint64_t n = l.people[k * LIFECYCLE_NSTAGES + b];
			rows_begin(&g->out, "lifecycle");
			rows_str(&g->out, "period", label);
			rows_str(&g->out, "stage", lifecycle_stage_name(b));
			rows_u64(&g->out, "people", n);
			rows_num(&g->out, "share", all ? (double)n / (double)all : NAN);
			rows_end(&g->out);
		}
	}
	for (k = 0; k < l.np; k++) {
		cohort_label(l.p0 + (int64_t)k, g->unit, label);
		for (a = 0; a <= LIFECYCLE_NSTAGES; a++)
			for (b = 0; b < LIFECYCLE_NSTAGES; b++) {
				uint64_t n = l.flow[(k * (LIFECYCLE_NSTAGES + 1) + a) * LIFECYCLE_NSTAGES + b];
				if (!n)
					continue;
				rows_begin(&g->out, "lifecycle_flow");
				rows_str(&g->out, "period", label);
				rows_str(&g->out, "from", lifecycle_stage_name(a));
				rows_str(&g->out, "to", lifecycle_stage_name(b));
				rows_u64(&g->out, "people", n);
				rows_end(&g->out);
			}
	}
	lifecycle_release(&l);
	return 0;
}

/* ---- RFM: as tagger's shipped tags define it (pipelines/tags/30-value.json) */

static int u32_asc(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int op_rfm(struct rep *g)
{
	size_t from, to = 0, np = 0;
	double *R, *F, *M;
	uint32_t *ids = NULL;
	size_t idcap = 0;
	int64_t at_day;
	struct rfm x;
	unsigned r, f;

	evtab_group(&g->t);
	at_day = (g->have_at ? g->at : g->max_ts);
	at_day = at_day >= 0 ? at_day / 86400000 : -((-at_day + 86399999) / 86400000);
	R = xmalloc((g->t.n + 1) * sizeof *R);
	F = xmalloc((g->t.n + 1) * sizeof *F);
	M = xmalloc((g->t.n + 1) * sizeof *M);
	while (evtab_next_person(&g->t, &from, &to)) {
		size_t n = to - from, k, distinct = 0;
		double sum = 0;
		int64_t last = g->t.r[to - 1].ts, d;
		if (n > idcap) {
			idcap = n * 2;
			ids = xrealloc(ids, idcap * sizeof *ids);
		}
		for (k = 0; k < n; k++) {
			ids[k] = g->t.r[from + k].key;
			sum += g->t.r[from + k].val;
		}
		qsort(ids, n, sizeof *ids, u32_asc);
		for (k = 0; k < n; k++)
			distinct += ids[k] && (!k || ids[k] != ids[k - 1]);
		d = last >= 0 ? last / 86400000 : -((-last + 86399999) / 86400000);
		R[np] = (double)(at_day - d);
		F[np] = (double)distinct;
		M[np] = sum;
		np++;
	}
	if (!np) {
		free(R), free(F), free(M), free(ids);
		return 0;
	}
	rfm_score(R, F, M, np, &x);
	{
		const char *names[3] = {"r", "f", "m"};
		double *cuts[3] = {x.cut_r, x.cut_f, x.cut_m};
		unsigned q;
		for (q = 0; q < 3; q++) {
			unsigned c;
			rows_begin(&g->out, "rfm_cuts");
			rows_str(&g->out, "score", names[q]);
			rows_str(&g->out, "order", q ? "asc" : "desc");
			for (c = 0; c < 4; c++) {
				char nm[8];
				snprintf(nm, sizeof nm, "cut%u", c + 1);
				if (q == 2)
					rows_money(&g->out, nm, cuts[q][c], 2); /* M: an amount */
				else
					rows_num(&g->out, nm, cuts[q][c]);
			}
			rows_end(&g->out);
		}
	}
	for (r = 5; r >= 1; r--)
		for (f = 5; f >= 1; f--) {
			rows_begin(&g->out, "rfm");
			rows_u64(&g->out, "r", r);
			rows_u64(&g->out, "f", f);
			rows_str(&g->out, "segment", rfm_segment(r, f));
			rows_u64(&g->out, "people", x.people[r - 1][f - 1]);
			rows_money(&g->out, "revenue", x.revenue[r - 1][f - 1], 2);
			rows_end(&g->out);
		}
	for (r = 0; r < RFM_NSEG; r++) {
		rows_begin(&g->out, "rfm_segment");
		rows_str(&g->out, "segment", rfm_segments[r]);
		rows_u64(&g->out, "people", x.seg_people[r]);
		rows_money(&g->out, "revenue", x.seg_rev[r], 2);
		rows_end(&g->out);
	}
	free(R), free(F), free(M), free(ids);
	return 0;
}

/* ---- A/B test */

struct arm {
	uint32_t id;
	struct stats_moments rev;
	double people, conv;
	int control;
};

static const struct strtab *arm_tab; /* the arms' names, for the sort below */

static int arm_by_name(const void *a, const void *b)
{
	const struct arm *x = a, *y = b;
	return strtab_cmp(arm_tab, x->id, y->id);
}

/*
 * abtest of a journey: the expected share of each arm for the sample
 * ratio check, from the first split of PIPELINES/journeys/NAME.json (the
 * arms' weights): w[k] for the arm named by ids[k] (n of them). Returns 1
 * when every arm has a weight above 0, else 0 and the check expects equal
 * shares (no such file here, no split in it, an arm it does not name).
 */
static int journey_shares(struct rep *g, const uint32_t *ids, size_t n, double *w)
{
	struct conf c = {0};
	char *path = xmalloc(strlen(g->pipelines) + strlen(g->arm_journey) + 32);
	const struct json_tok *t;
	uint32_t steps, i, sp = 0, a;
	size_t k;
	int ok = 0;

	sprintf(path, "%s/journeys/%s.json", g->pipelines, g->arm_journey);
	if (conf_load(&c, path))
		goto out;
	t = c.doc.t;
	steps = json_get(&c.doc, 0, "steps", 5);
	if (!steps || t[steps].type != JSON_ARRAY)
		goto out;
	for (i = steps + 1; i < t[steps].next && !sp; i = t[i].next)
		if (t[i].type == JSON_OBJECT && (sp = json_get(&c.doc, i, "split", 5)) && t[sp].type != JSON_ARRAY)
			sp = 0;
	if (!sp)
		goto out;
	for (k = 0; k < n; k++)
		w[k] = 0;
	for (a = sp + 1; a < t[sp].next; a = t[a].next) {
		uint32_t arm = t[a].type == JSON_OBJECT ? json_get(&c.doc, a, "arm", 3) : 0;
		uint32_t wt = arm ? json_get(&c.doc, a, "weight", 6) : 0;
		if (!arm || !wt || t[arm].type != JSON_STRING || t[arm].esc || t[wt].type != JSON_NUMBER)
			continue;
		for (k = 0; k < n; k++)
			if (ids[k] && g->vals.len[ids[k]] == t[arm].len &&
			    !memcmp(g->vals.s[ids[k]], c.doc.s + t[arm].off, t[arm].len))
				w[k] = strtod(c.doc.s + t[wt].off, NULL);
	}
	for (ok = 1, k = 0; k < n; k++)
		if (!(w[k] > 0))
			ok = 0;
out:
	conf_release(&c);
	free(path);
	return ok;
}

static int op_abtest(struct rep *g)
{
	size_t from, to = 0, i;
	struct arm *arms = NULL;
	size_t narms = 0;
	char **only = NULL;
	unsigned nonly = 0, k;
	uint32_t control = 0;
	int split = 0;
	double *yes, *no, *cnt, chi2, df, p, srm_chi2, srm_p;
	int rc = 0;

	if (g->arms_s && cli_list(g->arms_s, &only, &nonly)) {
		cli_err("--arms wants a comma-separated list, not '%s'", g->arms_s);
		return EXIT_USAGE;
	}
	evtab_group(&g->t);
	/* when anyone has an arm, those without one (they entered, never
	 * reached the split) are not in the test */
	for (i = 0; i < g->t.n && !split; i++)
		split = (g->t.r[i].bits & B_ASSIGN) && g->t.r[i].key;
	while (evtab_next_person(&g->t, &from, &to)) {
		const struct evrow *r = g->t.r + from;
		size_t n = to - from, a, j;
		struct arm *arm = NULL;
		int64_t t0, until;
		int conv = 0;
		double rev = 0;
		for (a = 0; a < n && !((r[a].bits & B_ASSIGN) && (r[a].key || !split)); a++)
			;
		if (a == n)
			continue;
		if (nonly) {
			for (k = 0; k < nonly; k++)
				if (r[a].key && strlen(only[k]) == g->vals.len[r[a].key] &&
				    !memcmp(only[k], g->vals.s[r[a].key], g->vals.len[r[a].key]))
					break;
			if (k == nonly)
				continue;
		}
		for (j = 0; j < narms; j++)
			if (arms[j].id == r[a].key)
				arm = &arms[j];
		if (!arm) {
			arms = xrealloc(arms, (narms + 1) * sizeof *arms);
			arm = &arms[narms++];
			memset(arm, 0, sizeof *arm);
			arm->id = r[a].key;
		}
		t0 = r[a].ts;
		until = g->have_window ? t0 + g->window : INT64_MAX;
		for (j = a + 1; j < n && r[j].ts <= until; j++) {
			if (r[j].ts <= t0)
				continue; /* after the assignment: a later time */
			if (r[j].bits & B_CONV)
				conv = 1;
			if (r[j].bits & B_REV)
				rev += r[j].val;
		}
		arm->people++;
		arm->conv += conv;
		arm->rev.n++;
		arm->rev.sum += rev;
		arm->rev.sumsq += rev * rev;
	}
	arm_tab = &g->vals;
	if (narms)
		qsort(arms, narms, sizeof *arms, arm_by_name);
	if (!narms) {
		cli_err("abtest: no person was assigned an arm");
		goto out;
	}
	/* the control: --control, else "control", else the first by name */
	for (i = 0; i < narms; i++) {
		const char *want = g->control ? g->control : "control";
		if (arms[i].id && strlen(want) == g->vals.len[arms[i].id] &&
		    !memcmp(want, g->vals.s[arms[i].id], strlen(want)))
			control = (uint32_t)i + 1;
	}
	if (!control && g->control) {
		cli_err("abtest: no arm '%s'", g->control);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!control)
		control = 1;
	control--;
	arms[control].control = 1;
	yes = xmalloc(narms * sizeof *yes);
	no = xmalloc(narms * sizeof *no);
	cnt = xmalloc(narms * sizeof *cnt);
	for (i = 0; i < narms; i++) {
		yes[i] = arms[i].conv;
		no[i] = arms[i].people - arms[i].conv;
		cnt[i] = arms[i].people;
	}
	chi2 = stats_chi2_kx2(yes, no, narms, &df, &p);
	{
		uint32_t *ids = xmalloc(narms * sizeof *ids);
		double *w = xmalloc(narms * sizeof *w);
		for (i = 0; i < narms; i++)
			ids[i] = arms[i].id;
		srm_p = stats_srm(cnt, g->arm_journey && journey_shares(g, ids, narms, w) ? w : NULL, narms,
				  &srm_chi2);
		free(ids);
		free(w);
	}
	for (i = 0; i < narms; i++) {
		struct arm *a = &arms[i], *c = &arms[control];
		struct stats_2prop tp;
		struct stats_welch w;
		rows_begin(&g->out, "abtest");
		col_val(g, "arm", a->id);
		rows_bool(&g->out, "control", a->control);
		rows_num(&g->out, "people", a->people);
		rows_num(&g->out, "conversions", a->conv);
		rows_num(&g->out, "rate", a->conv / a->people);
		stats_two_prop(c->conv, c->people, a->conv, a->people, &tp);
		stats_welch(&c->rev, &a->rev, &w);
		if (a->control) {
			tp.diff = tp.diff_lo = tp.diff_hi = tp.rel = tp.rel_lo = tp.rel_hi = tp.z = tp.p = NAN;
			w.diff = w.t = w.df = w.p = w.lo = w.hi = NAN;
		}
		rows_num(&g->out, "uplift", tp.diff);
		rows_num(&g->out, "uplift_lo", tp.diff_lo);
		rows_num(&g->out, "uplift_hi", tp.diff_hi);
		rows_num(&g->out, "relative", tp.rel);
		rows_num(&g->out, "relative_lo", tp.rel_lo);
		rows_num(&g->out, "relative_hi", tp.rel_hi);
		rows_num(&g->out, "z", tp.z);
		rows_num(&g->out, "p", tp.p);
		rows_money(&g->out, "revenue", a->rev.sum, 2);
		rows_num(&g->out, "revenue_per_person", stats_mean(&a->rev));
		rows_num(&g->out, "revenue_sd", sqrt(stats_var(&a->rev)));
		rows_num(&g->out, "revenue_diff", w.diff);
		rows_num(&g->out, "revenue_diff_lo", w.lo);
		rows_num(&g->out, "revenue_diff_hi", w.hi);
		rows_num(&g->out, "welch_t", w.t);
		rows_num(&g->out, "welch_df", w.df);
		rows_num(&g->out, "welch_p", w.p);
		rows_end(&g->out);
	}
	rows_begin(&g->out, "abtest_summary");
	rows_u64(&g->out, "arms", narms);
	rows_num(&g->out, "chi2", chi2);
	rows_num(&g->out, "chi2_df", df);
	rows_num(&g->out, "chi2_p", p);
	rows_num(&g->out, "srm_chi2", srm_chi2);
	rows_num(&g->out, "srm_p", srm_p);
	rows_bool(&g->out, "srm", srm_p < 0.001);
	rows_end(&g->out);
	free(yes), free(no), free(cnt);
out:
	for (k = 0; k < nonly; k++)
		free(only[k]);
	free(only);
	free(arms);
	return rc;
}

/* ---- main */

/* --html: the rows written, drawn as one page into g->html. Returns 0 or
 * 74 after saying why. */
static int write_html(struct rep *g)
{
	char title[64], sub[160], a[40], b[40];
	FILE *f;
	int rc = 0;

	snprintf(title, sizeof title, "report %s", g->cmd);
	if (g->have_ts) {
		clock_format(g->min_ts, a);
		clock_format(g->max_ts, b);
		snprintf(sub, sizeof sub, "%llu events from %s to %s (event time, UTC)", g->events, a, b);
	} else {
		snprintf(sub, sizeof sub, "no events");
	}
	/* the rows were kept as they were written */
	free(g->page.title);
	free(g->page.subtitle);
	g->page.title = xstrdup(title);
	g->page.subtitle = xstrdup(sub);
	if (!(f = fopen(g->html, "w"))) {
		cli_err("cannot write '%s': %s", g->html, strerror(errno));
		return EXIT_IO;
	}
	if (htmlpage_write(&g->page, f)) {
		cli_err("cannot write '%s': %s", g->html, strerror(errno));
		rc = EXIT_IO;
	}
	if (fclose(f) && !rc) {
		cli_err("cannot write '%s': %s", g->html, strerror(errno));
		rc = EXIT_IO;
	}
	return rc;
}

/* out.f's writes go through lib/io's output (a file, *.zst) */
static ssize_t dst_write(void *c, const char *p, size_t n)
{
	return output_write(c, p, n) ? -1 : (ssize_t)n;
}

static int dst_close(void *c)
{
	return output_close(c, 0) ? -1 : 0;
}

/* -o DST: the rows go to a file or *.zst instead of stdout. 0, or an exit
 * code after printing why. */
static int dst_open(struct rep *g)
{
	static const cookie_io_functions_t fns = {NULL, dst_write, NULL, dst_close};
	const char *dst = g->cli.out;

	if (!dst || !strcmp(dst, "-"))
		return 0;
	if (!strncmp(dst, "kafka://", 8)) {
		cli_err("-o '%s': report writes its rows to a file, *.zst or stdout, not to Kafka", dst);
		return EXIT_USAGE;
	}
	if (output_open(&g->o, dst)) {
		cli_err("cannot write '%s': %s", dst, g->o.err);
		return EXIT_IO;
	}
	if (!(g->out.f = fopencookie(&g->o, "w", fns))) {
		output_close(&g->o, 0);
		cli_err("cannot write '%s': %s", dst, strerror(errno));
		return EXIT_IO;
	}
	return 0;
}

/* The end of -o DST: everything written and the file closed. rc, or 74
 * when a write failed. */
static int dst_close_all(struct rep *g, int rc)
{
	int bad;

	if (!g->out.f)
		return rc;
	bad = fflush(g->out.f) || ferror(g->out.f);
	bad |= fclose(g->out.f) != 0;
	g->out.f = NULL;
	if (bad) {
		cli_err("cannot write '%s': %s", g->cli.out, g->o.err[0] ? g->o.err : strerror(errno ? errno : EIO));
		return !rc || rc == EXIT_REJECTS ? EXIT_IO : rc;
	}
	return rc;
}

static int prepare(struct rep *g)
{
	int rc;

	if (g->format && strcmp(g->format, "ndjson") && strcmp(g->format, "csv")) {
		cli_err("--format wants ndjson or csv, not '%s'", g->format);
		return EXIT_USAGE;
	}
	g->csv = g->format && !strcmp(g->format, "csv");
	if (g->html && !*g->html) {
		cli_err("--html wants a file name");
		return EXIT_USAGE;
	}
	if ((rc = load_config(g)))
		return rc;
	if (g->revenue_s) {
		unsigned i;
		for (i = 0; i < g->nrev; i++)
			free(g->rev_types[i]);
		free(g->rev_types);
		if (cli_list(g->revenue_s, &g->rev_types, &g->nrev)) {
			cli_err("--revenue wants event types, comma-separated, not '%s'", g->revenue_s);
			return EXIT_USAGE;
		}
	}
	if (g->amount_s) {
		free(g->amount);
		g->amount = xstrdup(g->amount_s);
	}
	if (g->by && cohort_unit_parse(g->by, &g->unit)) {
		cli_err("--by wants day, week or month, not '%s'", g->by);
		return EXIT_USAGE;
	}
	if (g->split_s && split_parse(g->split_s, &g->split, &g->split_name)) {
		cli_err("--split wants prop:NAME, trait:NAME, tag:NAME or segment:NAME, not '%s'", g->split_s);
		return EXIT_USAGE;
	}
	if (g->window_s) {
		if (clock_parse_duration(g->window_s, &g->window) || g->window < 0) {
			cli_err("--window wants a duration such as 30d or 12h, not '%s'", g->window_s);
			return EXIT_USAGE;
		}
		g->have_window = 1;
	}
	if (g->at_s) {
		const char *why;
		if (clock_parse(g->at_s, strlen(g->at_s), NULL, &g->at, &why)) {
			cli_err("--at wants a time, not '%s': %s", g->at_s, why);
			return EXIT_USAGE;
		}
		g->have_at = 1;
	}
	if ((rc = step_parse("--cohort", g->cohort_s ? g->cohort_s : "*", &g->cohort_step)) ||
	    (rc = step_parse("--return", g->return_s ? g->return_s : "*", &g->return_step)) ||
	    (rc = step_parse("--conversion", g->conversion_s ? g->conversion_s : g->rev_types[0], &g->conv_step)))
		return rc;
	return 0;
}

int main(int argc, char **argv)
{
	static struct rep G;
	struct rep *g = &G;
	static const char *const cmds[] = {"retention", "funnel", "rfm", "abtest", "lifecycle", "attribution",
					   "journeys", "campaigns", NULL};
	int rc, k, first = 1;

	g->cli.prog = "report";
	g->cli.synopsis = "[options] retention|rfm|lifecycle|attribution|journeys|campaigns [FILE…] | funnel STEP… | abtest ARMS [FILE…]";
	g->cli.summary = "Retention cohorts, funnels, RFM, A/B tests, lifecycle stages, attribution and the results of journeys and campaigns over the event stream, as NDJSON, CSV or an HTML page.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->periods = -1;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (!g->cli.nrest) {
		fprintf(stderr, "usage: report %s\n", g->cli.synopsis);
		return EXIT_USAGE;
	}
	for (k = 0; cmds[k] && strcmp(cmds[k], g->cli.rest[0]); k++)
		;
	if (!cmds[k]) {
		cli_err("no report '%s' (retention, funnel, rfm, abtest, lifecycle, attribution, journeys, campaigns)",
			g->cli.rest[0]);
		fprintf(stderr, "usage: report %s\n", g->cli.synopsis);
		return EXIT_USAGE;
	}
	g->cmd = cmds[k];
	g->pipelines = conf_pipelines(g->pipelines);
	htmlpage_init(&g->page, "report", NULL);
	if ((rc = prepare(g)))
		goto out;
	g->out.csv = g->csv;
	g->out.page = g->html ? &g->page : NULL;
	if (!strcmp(g->cmd, "attribution")) {
		static const char *const what[] = {"channel", "journey", "campaign"};
		for (k = 0; k < 3 && g->credit_s && strcmp(g->credit_s, what[k]); k++)
			;
		if (k == 3) {
			cli_err("--credit wants channel, journey or campaign, not '%s'", g->credit_s);
			rc = EXIT_USAGE;
			goto out;
		}
		g->credit = g->credit_s ? k : 0;
		g->lookback = 30 * 86400000LL;
		g->half_life = 7 * 86400000LL;
		if ((g->lookback_s && (clock_parse_duration(g->lookback_s, &g->lookback) || g->lookback < 0)) ||
		    (g->half_life_s && (clock_parse_duration(g->half_life_s, &g->half_life) || g->half_life <= 0))) {
			cli_err("--lookback and --half-life want a duration such as 30d or 12h");
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!strcmp(g->cmd, "journeys") || !strcmp(g->cmd, "campaigns")) {
		g->msgs = 1;
		if (g->have_window)
			g->msg_window = g->window;
		else if (!g->have_msg_window)
			g->msg_window = 7 * 86400000LL;
		sendstats_init(&g->ss, g->msg_window);
	}
	if (!strcmp(g->cmd, "lifecycle")) {
		if (!g->by)
			g->unit = COHORT_MONTH;
		if ((rc = load_lifecycle(g)))
			goto out;
	}
	if (!strcmp(g->cmd, "funnel")) {
		/* operands are the steps; input from -i or stdin */
		if (g->cli.nrest < 2 || g->cli.nrest - 1 > FUNNEL_MAX_STEPS) {
			cli_err("funnel wants 1 to %d steps", FUNNEL_MAX_STEPS);
			rc = EXIT_USAGE;
			goto out;
		}
		g->nsteps = (unsigned)g->cli.nrest - 1;
		g->steps = xcalloc(g->nsteps, sizeof *g->steps);
		for (k = 0; k < (int)g->nsteps; k++) {
			char what[32];
			snprintf(what, sizeof what, "step %d", k + 1);
			if ((rc = step_parse(what, g->cli.rest[k + 1], &g->steps[k])))
				goto out;
		}
		if (!g->have_window)
			g->window = 30 * 86400000LL;
		first = g->cli.nrest;
	} else if (!strcmp(g->cmd, "abtest")) {
		if (g->cli.nrest < 2) {
			cli_err("abtest wants the arms: a journey's name, prop:NAME or trait:NAME");
			rc = EXIT_USAGE;
			goto out;
		}
		if (split_parse(g->cli.rest[1], &g->arm_kind, &g->arm_name) ||
		    g->arm_kind == SPLIT_TAG || g->arm_kind == SPLIT_SEGMENT) {
			g->arm_kind = SPLIT_NONE;
			free(g->arm_name);
			g->arm_name = NULL;
			g->arm_journey = xstrdup(g->cli.rest[1]);
		}
		first = 2;
	}
	for (k = first; k < g->cli.nrest && g->cli.nin < CLI_MAX_IN; k++)
		g->cli.in[g->cli.nin++] = g->cli.rest[k];
	/* the fast reader: for steps that are types, or whose where has a
	 * type (its events are parsed in full), and no split an event's
	 * props or traits give */
	if ((!strcmp(g->cmd, "retention") || !strcmp(g->cmd, "funnel")) && g->split != SPLIT_PROP &&
	    g->split != SPLIT_TRAIT && !getenv("UOPS_REPORT_PARSE_ALL")) {
		g->fast = 1;
		g->funnel = !strcmp(g->cmd, "funnel");
		clock_memo_init(&g->day);
		if (g->funnel) {
			for (k = 0; k < (int)g->nsteps; k++)
				if (g->steps[k].where && !g->steps[k].type)
					g->fast = 0;
		} else if ((g->cohort_step.where && !g->cohort_step.type) ||
			   (g->return_step.where && !g->return_step.type)) {
			g->fast = 0;
		}
	}
	if ((rc = dst_open(g)) || (rc = read_all(g)))
		goto out;
	if (!strcmp(g->cmd, "retention"))
		rc = op_retention(g);
	else if (!strcmp(g->cmd, "funnel"))
		rc = op_funnel(g);
	else if (!strcmp(g->cmd, "rfm"))
		rc = op_rfm(g);
	else if (!strcmp(g->cmd, "lifecycle"))
		rc = op_lifecycle(g);
	else if (!strcmp(g->cmd, "attribution"))
		rc = op_attribution(g);
	else if (g->msgs)
		rc = op_messages(g);
	else
		rc = op_abtest(g);
	if (!rc && g->html)
		rc = write_html(g);
	rc = dst_close_all(g, rc);
	rc = cli_stdout_close(rc);
	if (g->cli.verbose) {
		outcome_print(&g->oc, "without a oneid");
		cli_info("%llu events of %zu rows kept, peak RSS %ld KiB", g->events, g->t.n, cli_peak_rss_kb());
	}
out:
	rc = dst_close_all(g, rc); /* cut short: what was written is kept */
	{
		int c2 = outcome_end(&g->oc);
		if (!rc)
			rc = c2;
	}
	if (!rc && g->oc.rejected) {
		rc = EXIT_REJECTS;
		if (!g->cli.quiet && !g->cli.verbose)
			outcome_say(&g->oc);
	}
	outcome_close(&g->oc);
	step_release(&g->cohort_step);
	step_release(&g->return_step);
	step_release(&g->conv_step);
	for (k = 0; k < (int)g->nsteps; k++)
		step_release(&g->steps[k]);
	free(g->steps);
	for (k = 0; k < (int)g->nrev; k++)
		free(g->rev_types[k]);
	free(g->rev_types);
	free(g->amount);
	free(g->order_prop);
	free(g->split_name);
	free(g->arm_name);
	free(g->arm_journey);
	free(g->lc_event);
	free(g->send_key);
	strtab_free(&g->sends);
	strtab_free(&g->groups);
	sendstats_release(&g->ss);
	for (k = 0; k < (int)g->ncost; k++)
		free(g->cost_ch[k]);
	free(g->cost_ch);
	free(g->cost_v);
	for (k = 0; k < 3; k++) {
		unsigned i;
		for (i = 0; i < g->nreceipt[k]; i++)
			free(g->receipt_types[k][i]);
		free(g->receipt_types[k]);
	}
	free(g->receipt_prop);
	free(g->lc_order);
	free(g->cur);
	evtab_release(&g->t);
	strtab_free(&g->vals);
	strtab_free(&g->orders);
	json_doc_release(&g->doc);
	rows_release(&g->out);
	htmlpage_release(&g->page);
	return rc;
}
