/*
 * t-cond - the condition language, table-driven: each row is a condition
 * as JSON, evaluated over one person's events at a clock, with the value it
 * must give; then the profile codec and merge (lib/profile) on the same
 * events: encode/decode round trips, and a merge of two halves equals the
 * whole, in either order.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cond.h"
#include "conf.h"
#include "profile.h"
#include "t.h"

struct scope {
	struct agg_set aggs;
	const char *tags[4];
	unsigned ntags;
};


static uint32_t s_trait(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "gender") ? 0 : !strcmp(name, "city") ? 1 : 99;
}

static int s_tag(void *ctx, const char *name, const char **why)
{
	struct scope *s = ctx;
	unsigned i;
	for (i = 0; i < s->ntags; i++)
		if (!strcmp(s->tags[i], name))
			return (int)i;
	*why = "no such tag";
	return -1;
}

static uint32_t name_slot(void *ctx, const char *name, size_t n)
{
	char tmp[32];
	(void)ctx;
	snprintf(tmp, sizeof tmp, "%.*s", (int)n, name);
	return s_trait(NULL, tmp);
}

/* one row's cells, for cond_eval_rows */
static struct {
	const struct cond_env *e;
	const struct cexpr *x[32];
	uint64_t cell[32];
	unsigned n;
	char *text[32];
	size_t tlen[32];
	uint32_t ntext;
} C;

static void cc_value(void *ctx, const struct cexpr *x)
{
	struct cval v;
	(void)ctx;
	if (C.n == 32)
		return;
	cexpr_cell(x, C.e, &v);
	C.x[C.n] = x;
	if (v.k == CV_NONE) {
		C.cell[C.n] = CELL_NONE;
	} else if (v.k == CV_NUM) {
		C.cell[C.n] = cell_of_num(v.num);
	} else {
		struct buf b = BUF_INIT;
		cval_write(&v, &b);
		C.text[C.ntext] = b.p;
		C.tlen[C.ntext] = b.len;
		C.cell[C.n] = CELL_TEXT | C.ntext++;
	}
	C.n++;
}

static const uint64_t *cc_column(void *ctx, const struct cexpr *x)
{
	unsigned i;
	(void)ctx;
	for (i = 0; i < C.n; i++)
		if (C.x[i] == x)
			return &C.cell[i];
	return &C.cell[0];
}

static void cc_text(void *ctx, uint32_t id, const char **s, size_t *n)
{
	(void)ctx;
	*s = C.text[id];
	*n = C.tlen[id];
}

/* what a condition reads (cond_reads) */
struct reads {
	unsigned agg[32], n;
	int clock;
};

static void note_read(void *ctx, enum cond_read what, unsigned idx)
{
	struct reads *r = ctx;
	if (what == COND_READ_AGG && r->n < 32)
		r->agg[r->n++] = idx;
	else if (what == COND_READ_CLOCK || what == COND_READ_SEEN || what == COND_READ_ALL)
		r->clock = 1;
}

static struct scope S;
static struct profile_layout L;
static struct cond_scope sc;

static int where_match(void *ctx, const struct agg_spec *s, const struct json_doc *d, uint32_t ev)
{
	struct cond_env e;
	memset(&e, 0, sizeof e);
	e.p = ctx;
	e.L = &L;
	e.doc = d;
	e.ev = ev;
	return cond_eval(s->where, &e);
}

static const char *const events[] = {
	"{\"type\":\"view\",\"ts\":\"2026-03-01T10:00:00Z\",\"props\":{\"category\":\"face\"},\"traits\":{\"gender\":\"f\"}}",
	"{\"type\":\"order_paid\",\"ts\":\"2026-03-02T10:00:00Z\",\"props\":{\"order_id\":\"o1\",\"amount\":120.5,\"category\":\"face\"}}",
	"{\"type\":\"view\",\"ts\":\"2026-03-20T10:00:00Z\",\"props\":{\"category\":\"hair\"}}",
	"{\"type\":\"order_paid\",\"ts\":\"2026-03-25T23:59:59.999Z\",\"props\":{\"order_id\":\"o2\",\"amount\":330,\"category\":\"hair\",\"coupon\":\"c9\"},\"traits\":{\"city\":\"上海\"}}",
	"{\"type\":\"view\",\"ts\":\"2026-03-26T00:00:00Z\",\"props\":{\"category\":\"face\"}}",
	"{\"type\":\"order_paid\",\"ts\":\"2026-04-05T08:00:00Z\",\"props\":{\"order_id\":\"o3\",\"amount\":0.1,\"category\":\"body\",\"new\":true}}",
	"{\"type\":\"ad_click\",\"ts\":\"2026-04-06T08:00:00Z\",\"props\":{\"category\":\"face\"},\"traits\":{\"gender\":\"m\"}}",
};
#define NEV (sizeof events / sizeof *events)

static const struct {
	const char *cond;
	const char *at; /* clock */
	int want;
} rows[] = {
	/* constants and logic */
	{"true", "2026-04-10", 1},
	{"{\"not\": true}", "2026-04-10", 0},
	{"{\"and\": [true, {\"or\": [false, true]}]}", "2026-04-10", 1},
	/* traits: the latest value wins */
	{"{\"trait\": \"gender\", \"eq\": \"m\"}", "2026-04-10", 1},
	{"{\"trait\": \"gender\", \"eq\": \"f\"}", "2026-04-10", 0},
	{"{\"trait\": \"city\", \"in\": [\"北京\", \"上海\"]}", "2026-04-10", 1},
	{"{\"trait\": \"birthday\", \"exists\": false}", "2026-04-10", 1},
	{"{\"trait\": \"birthday\", \"ne\": \"x\"}", "2026-04-10", 0}, /* missing: false */
	{"{\"trait\": \"gender\", \"gt\": 3}", "2026-04-10", 0},       /* kinds differ */
	{"{\"trait\": \"gender\", \"ne\": 3}", "2026-04-10", 1},
	/* count / sum within windows of whole UTC days, today included */
	{"{\"count\": {\"event\": \"order_paid\"}, \"eq\": 3}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"eq\": 2}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"16d\"}, \"eq\": 1}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"17d\"}, \"eq\": 2}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"17d\"}, \"eq\": 1}", "2026-04-11", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"1d\"}, \"eq\": 1}", "2026-04-05T23:59:59.999Z", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"1d\"}, \"eq\": 0}", "2026-04-06", 1},
	/* a windowed count against a constant changes on one day at most */
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"gt\": 1.5}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"gt\": 1}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"lte\": 1}", "2026-04-10", 0},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"16d\"}, \"lte\": 1}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"lt\": 2}", "2026-04-10", 0},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"ne\": 0}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"gte\": 0.5}", "2026-04-10", 1},
	{"{\"sum\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"eq\": 450.6}", "2026-04-10", 1},
	{"{\"sum\": {\"event\": \"order_paid\", \"prop\": \"amount\", \"within\": \"7d\"}, \"eq\": 0.1}", "2026-04-10", 1},
	{"{\"sum\": {\"event\": \"nothing\", \"prop\": \"amount\"}, \"eq\": 0}", "2026-04-10", 1},
	{"{\"min\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"eq\": 0.1}", "2026-04-10", 1},
	{"{\"max\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"eq\": 330}", "2026-04-10", 1},
	{"{\"max\": {\"event\": \"nothing\", \"prop\": \"amount\"}, \"lt\": 1}", "2026-04-10", 0},
	/* last / first values */
	{"{\"last\": {\"event\": \"order_paid\", \"prop\": \"amount\"}, \"gt\": 300}", "2026-04-10", 0},
	{"{\"last\": {\"event\": \"order_paid\", \"prop\": \"amount\", \"within\": \"20d\"}, \"eq\": 0.1}", "2026-04-10", 1},
	{"{\"first\": {\"event\": \"order_paid\", \"prop\": \"category\"}, \"eq\": \"face\"}", "2026-04-10", 1},
	/* distinct and top */
	{"{\"distinct\": {\"event\": \"view\", \"prop\": \"category\"}, \"eq\": 2}", "2026-04-10", 1},
	{"{\"top\": {\"prop\": \"category\"}, \"eq\": \"face\"}", "2026-04-10", 1},
	/* where filters on props */
	{"{\"count\": {\"event\": \"order_paid\", \"where\": {\"prop\": \"coupon\", \"exists\": true}}, \"eq\": 1}", "2026-04-10", 1},
	{"{\"count\": {\"event\": \"order_paid\", \"where\": {\"prop\": \"amount\", \"gt\": 100}}, \"eq\": 2}", "2026-04-10", 1},
	/* never */
	{"{\"never\": {\"event\": \"order_paid\", \"where\": {\"prop\": \"new\", \"eq\": true}}}", "2026-04-10", 0},
	{"{\"never\": {\"event\": \"order_refunded\"}}", "2026-04-10", 1},
	/* clicked a face-care ad but never bought face care */
	{"{\"and\": [{\"count\": {\"event\": \"ad_click\", \"where\": {\"prop\": \"category\", \"eq\": \"face\"}}, \"gte\": 1},"
	 " {\"never\": {\"event\": \"order_paid\", \"where\": {\"prop\": \"category\", \"eq\": \"face\"}}}]}", "2026-04-10", 0},
	/* active in 7 days and no order in 30 days */
	{"{\"and\": [{\"count\": {\"within\": \"7d\"}, \"gte\": 1}, {\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"eq\": 0}]}", "2026-04-10", 0},
	{"{\"and\": [{\"count\": {\"within\": \"7d\"}, \"gte\": 1}, {\"count\": {\"event\": \"order_paid\", \"within\": \"30d\"}, \"eq\": 0}]}", "2026-05-05", 0},
	/* a part time cannot change beside one it can */
	{"{\"and\": [{\"trait\": \"gender\", \"eq\": \"m\"}, {\"count\": {\"event\": \"order_paid\", \"within\": \"7d\"}, \"gte\": 1}]}", "2026-04-10", 1},
	{"{\"or\": [{\"trait\": \"gender\", \"eq\": \"f\"}, {\"count\": {\"event\": \"order_paid\", \"within\": \"7d\"}, \"eq\": 0}]}", "2026-04-10", 0},
	{"{\"and\": [{\"trait\": \"gender\", \"eq\": \"f\"}, {\"count\": {\"event\": \"order_paid\", \"within\": \"7d\"}, \"gte\": 1}]}", "2026-04-10", 0},
	/* days_since in whole UTC days */
	{"{\"days_since\": \"first_seen\", \"eq\": 40}", "2026-04-10T00:00:00Z", 1},
	{"{\"days_since\": \"last_seen\", \"eq\": 4}", "2026-04-10T23:00:00Z", 1},
	{"{\"days_since\": {\"event\": \"order_paid\"}, \"eq\": 5}", "2026-04-10", 1},
	{"{\"days_since\": {\"event\": \"refund\"}, \"exists\": false}", "2026-04-10", 1},
	/* a window's last day leaves it: nothing to count from */
	{"{\"days_since\": {\"event\": \"order_paid\", \"within\": \"10d\"}, \"lt\": 100}", "2026-04-10", 1},
	/* arithmetic, parameters */
	{"{\"div\": [{\"count\": {\"event\": \"order_paid\", \"where\": {\"prop\": \"coupon\", \"exists\": true}}}, {\"count\": {\"event\": \"order_paid\"}}], \"lt\": 0.34}", "2026-04-10", 1},
	{"{\"div\": [1, 0], \"exists\": true}", "2026-04-10", 0},
	{"{\"count\": {\"event\": \"order_paid\"}, \"gte\": {\"param\": \"min_orders\"}}", "2026-04-10", 1},
	{"{\"add\": [{\"count\": {}}, 1], \"eq\": 8}", "2026-04-10", 1},
	/* median gap of order days: 2026-03-02, 03-25, 04-05: gaps 23, 11 → 17 */
	{"{\"median_gap\": \"order_days\", \"eq\": 17}", "2026-04-10", 1},
	{"{\"next_date\": \"order_days\", \"eq\": \"2026-04-22\"}", "2026-04-10", 1},
	/* tags (unset here) and jq on the rendered profile */
	{"{\"tag\": \"vip\", \"exists\": false}", "2026-04-10", 1},
	{"{\"jq\": \".events == 7\"}", "2026-04-10", 1},
	{"{\"jq\": \".events == 8\"}", "2026-04-10", 0},
};

static struct profile P;

static void render(void *ctx, struct buf *out)
{
	(void)ctx;
	buf_printf(out, "{\"events\":%llu}", (unsigned long long)P.nevents);
}

static int64_t at(const char *s)
{
	int64_t t = 0;
	const char *why;
	T_OK(clock_parse(s, strlen(s), NULL, &t, &why) == 0);
	return t;
}

static void apply_events(struct profile *p, unsigned from, unsigned to)
{
	struct json_doc d = JSON_DOC_INIT;
	const char *why;
	size_t off;
	unsigned i;

	for (i = from; i < to; i++) {
		uint32_t ty, ts;
		int64_t t;
		T_OK(json_parse(&d, events[i], strlen(events[i]), 16, &why, &off) == 0);
		ty = json_get(&d, 0, "type", 4);
		ts = json_get(&d, 0, "ts", 2);
		T_OK(clock_parse(d.s + d.t[ts].off, d.t[ts].len, NULL, &t, &why) == 0);
		profile_apply(p, &L, &d, 0, d.s + d.t[ty].off, d.t[ty].len, t, name_slot, where_match, p);
	}
	json_doc_release(&d);
}

/* cval_write prints numbers as %.10g does (whole numbers in full), with
 * or without printf */
static void test_number_text(void)
{
	static const struct {
		double d;
		const char *want;
	} fixed[] = {
		{123.45, "123.45"}, {0.1, "0.1"}, {-0.05, "-0.05"}, {1234567.89, "1234567.89"},
		{9999999.99, "9999999.99"}, {-9999999.99, "-9999999.99"}, {0.125, "0.125"},
		{1e-5, "1e-05"}, {12345678.9, "12345678.9"}, {3, "3"}, {-0.0, "0"}, {2.5, "2.5"},
	};
	struct buf b = BUF_INIT;
	uint64_t r = 88172645463325252ull;
	char ref[64];
	unsigned i, bad = 0;

	for (i = 0; i < sizeof fixed / sizeof *fixed; i++) {
		struct cval v = {0};
		v.k = CV_NUM;
		v.num = fixed[i].d;
		buf_reset(&b);
		cval_write(&v, &b);
		T_EQ_INT((int)b.len, (int)strlen(fixed[i].want));
		T_OK(!memcmp(b.p, fixed[i].want, b.len));
	}
	for (i = 0; i < 300000; i++) {
		struct cval v = {0};
		double d;
		int64_t c;
		r ^= r << 13, r ^= r >> 7, r ^= r << 17;
		c = (int64_t)(r % 4000000001ull) - 2000000000;
		switch (i % 4) {
		case 0: d = (double)c / 100; break;
		case 1: d = (double)(c % 100000) / 100; break;
		case 2: d = (double)c / 1000; break;
		default: d = (double)(r >> 11) / 9007199254740992.0 * pow(10, (double)(r % 15) - 5); break;
		}
		v.k = CV_NUM;
		v.num = d;
		buf_reset(&b);
		cval_write(&v, &b);
		if (d == floor(d) && fabs(d) < 9e15)
			snprintf(ref, sizeof ref, "%lld", (long long)d);
		else
			snprintf(ref, sizeof ref, "%.10g", d);
		if (b.len != strlen(ref) || memcmp(b.p, ref, b.len)) {
			if (bad++ < 5)
				fprintf(stderr, "%.17g: %.*s, want %s\n", d, (int)b.len, b.p, ref);
		}
	}
	T_EQ_INT((int)bad, 0);
	buf_release(&b);
}

/* fix_parse: amounts in ten-thousandths, as llround(strtod × 10000) */
static void test_fix_parse(void)
{
	unsigned long long r = 0x2545f4914f6cdd1dull;
	unsigned i, bad = 0;
	char s[40];

	for (i = 0; i < 500000; i++) {
		int64_t got = 0, want;
		int len = t_rand_number(&r, s, 17, 6);
		want = llround(strtod(s, NULL) * FIX_SCALE);
		if (fix_parse(s, (size_t)len, &got) == 0 && got != want && bad++ < 5)
			fprintf(stderr, "%s: %lld, want %lld\n", s, (long long)got, (long long)want);
	}
	T_EQ_INT((int)bad, 0);
}

int main(void)
{
	char path[] = "/tmp/uops-t-cond-XXXXXX";
	struct cond *cs[sizeof rows / sizeof *rows];
	struct buf text = BUF_INIT, e1 = BUF_INIT, e2 = BUF_INIT, e3 = BUF_INIT;
	struct conf c;
	unsigned i, k, tok, kept = 0;
	int fd;

	/* one definition file holding every row's condition */
	buf_adds(&text, "{\"params\": {\"min_orders\": 3}, \"days\": {\"fn\": \"days\", \"event\": \"order_paid\"}, \"rows\": [");
	for (i = 0; i < sizeof rows / sizeof *rows; i++)
		buf_printf(&text, "%s%s", i ? "," : "", rows[i].cond);
	buf_adds(&text, "]}");
	fd = mkstemp(path);
	T_OK(fd >= 0);
	T_OK(write(fd, text.p, text.len) == (ssize_t)text.len);
	close(fd);
	T_OK(conf_load(&c, path) == 0);
	unlink(path);
	sc.ctx = &S;
	sc.aggs = &S.aggs;
	sc.trait = s_trait;
	sc.tag = s_tag;
	sc.params = json_get(&c.doc, 0, "params", 6);
	S.tags[S.ntags++] = "vip";
	{
		struct agg_spec a;
		T_OK(cond_agg_parse(&c, json_get(&c.doc, 0, "days", 4), &sc, AGG_NFN, &a) == 0);
		a.name = strdup("order_days");
		agg_set_add(&S.aggs, &a);
	}
	tok = json_get(&c.doc, 0, "rows", 4);
	for (k = 0, i = tok + 1; k < sizeof rows / sizeof *rows; k++, i = c.doc.t[i].next) {
		cs[k] = cond_compile(&c, i, &sc);
		if (!cs[k])
			fprintf(stderr, "row %u: %s\n", k, c.err.p);
		T_OK(cs[k] != NULL);
	}
	for (i = 0; i < S.aggs.n; i++)
		S.aggs.v[i].slot = i;
	L.specs = S.aggs.v;
	L.naggs = S.aggs.n;
	{
		static const uint32_t tag_slots[1] = {0};
		L.tag_slots = tag_slots;
		L.ntags = 1;
	}
	profile_layout_index(&L);
	profile_reset(&P, &L, 7);
	apply_events(&P, 0, NEV);
	for (k = 0; k < sizeof rows / sizeof *rows; k++) {
		struct cond_env e;
		int got;
		if (!cs[k])
			continue;
		memset(&e, 0, sizeof e);
		e.p = &P;
		e.L = &L;
		e.clock = at(rows[k].at);
		e.render = render;
		{ /* what the definition says may change any day agrees with
		   * what the profile's days say: never opaque when it says no */
			struct cond_days dd;
			cond_days_init(&dd);
			cond_change_days(cs[k], &e, &dd);
			if (dd.opaque && !cond_daily(cs[k]))
				fprintf(stderr, "row %u: %s: any day, not said by cond_daily\n", k, rows[k].cond);
			T_OK(!dd.opaque || cond_daily(cs[k]));
			cond_days_release(&dd);
		}
		got = cond_eval(cs[k], &e);
		if (got != rows[k].want)
			fprintf(stderr, "row %u: %s at %s gives %d\n", k, rows[k].cond, rows[k].at, got);
		T_EQ_INT(got, rows[k].want);
	}

	/* over columns (one row: this profile) the same answers as row by row,
	 * and no answer changes before the day cond_next_day names */
	for (k = 0; k < sizeof rows / sizeof *rows; k++) {
		struct cond_env e;
		struct cond_rows R;
		uint64_t out[1] = {0}, present[1] = {1};
		int64_t today, nd, d;
		if (!cs[k])
			continue;
		memset(&e, 0, sizeof e);
		e.p = &P;
		e.L = &L;
		e.clock = at(rows[k].at);
		e.render = render;
		memset(&C, 0, sizeof C);
		C.e = &e;
		cond_values(cs[k], cc_value, &C);
		memset(&R, 0, sizeof R);
		R.n = 1;
		today = cond_days_between(0, e.clock);
		R.today = today;
		R.present = present;
		R.column = cc_column;
		R.text = cc_text;
		R.ntext = C.ntext;
		cond_eval_rows(cs[k], &R, out);
		if ((int)(out[0] & 1) != rows[k].want)
			fprintf(stderr, "row %u over columns: %s gives %d\n", k, rows[k].cond, (int)(out[0] & 1));
		T_EQ_INT(out[0] & 1, rows[k].want);
		nd = cond_next_day(cs[k], &e);
		T_OK(nd > today);
		for (d = today + 1; d < nd && d <= today + 120; d++) {
			e.clock = d * DAY_MS;
			if (cond_eval(cs[k], &e) != rows[k].want) {
				fprintf(stderr, "row %u: changes on day %lld, before its next day %lld\n", k,
					(long long)(d - today), (long long)(nd - today));
				T_OK(0);
				break;
			}
		}
		/* cond_next_flip: the answer holds every day before the day it
		 * names and differs on that day; with none, it holds for good */
		e.clock = at(rows[k].at);
		nd = cond_next_flip(cs[k], &e);
		T_OK(nd > today);
		for (d = today + 1; d <= today + 400 && d <= nd; d++) {
			int now;
			e.clock = d * DAY_MS;
			now = cond_eval(cs[k], &e);
			/* jq may change any day: tomorrow is named, a change or not */
			if ((d < nd) != (now == rows[k].want) && !(d == nd && strstr(rows[k].cond, "\"jq\""))) {
				fprintf(stderr, "row %u: %s on day +%lld; cond_next_flip named +%lld\n", k,
					now == rows[k].want ? "no change" : "a change", (long long)(d - today),
					(long long)(nd - today));
				T_OK(0);
				break;
			}
		}
		/* with the answer given and a bound: the same day when it is
		 * before the bound, none (a day not before it) when it is not */
		e.clock = at(rows[k].at);
		{
			int want = cond_eval(cs[k], &e);
			T_EQ_INT(cond_next_flip_before(cs[k], &e, want, INT64_MAX), nd);
			if (nd < INT64_MAX && !strstr(rows[k].cond, "\"jq\"")) {
				T_EQ_INT(cond_next_flip_before(cs[k], &e, want, nd + 1), nd);
				T_OK(cond_next_flip_before(cs[k], &e, want, nd) >= nd);
				T_OK(cond_next_flip_before(cs[k], &e, want, today + 1) >= today + 1);
			}
		}
		/* cond_reads: an answer computed at a clock no earlier than the
		 * last event holds on every later day on which nothing it reads
		 * changed: it reads no clock, and none of its aggregates has a
		 * day out of its window (what tagger relies on to keep a tag) */
		e.clock = at(rows[k].at);
		if (e.clock >= P.last_seen) {
			struct reads rd;
			memset(&rd, 0, sizeof rd);
			cond_reads(cs[k], note_read, &rd);
			for (d = today + 1; d <= today + 400 && !rd.clock; d++) {
				unsigned j;
				int moved = 0;
				for (j = 0; j < rd.n; j++)
					moved |= profile_window_moved(&P, &L, rd.agg[j], d * DAY_MS);
				if (moved)
					break;
				e.clock = d * DAY_MS;
				if (cond_eval(cs[k], &e) != rows[k].want) {
					fprintf(stderr, "row %u: %s changes on day +%lld though nothing it reads did\n",
						k, rows[k].cond, (long long)(d - today));
					T_OK(0);
					break;
				}
				kept++;
			}
		}
		while (C.ntext)
			free(C.text[--C.ntext]);
	}
	T_OK(kept > 100); /* the check above ran */

	/* codec: decode(encode(p)) encodes the same */
	{
		struct profile a = {0}, b = {0}, m = {0};
		profile_encode(&P, &L, &e1);
		a.oneid = 7;
		T_OK(profile_decode(&a, &L, e1.p, e1.len) == 0);
		profile_encode(&a, &L, &e2);
		T_OK(e1.len == e2.len && !memcmp(e1.p, e2.p, e1.len));
		T_OK(profile_decode(&a, &L, e1.p, e1.len - 1) != 0); /* cut short */
		/* halves merged, in either order, equal the whole */
		profile_reset(&a, &L, 7);
		profile_reset(&b, &L, 7);
		apply_events(&a, 0, 3);
		apply_events(&b, 3, NEV);
		profile_reset(&m, &L, 7);
		profile_merge(&m, &a, &L);
		profile_merge(&m, &b, &L);
		profile_encode(&m, &L, &e2);
		T_OK(e1.len == e2.len && !memcmp(e1.p, e2.p, e1.len));
		profile_merge(&b, &a, &L);
		profile_encode(&b, &L, &e3);
		T_OK(e1.len == e3.len && !memcmp(e1.p, e3.p, e1.len));
		/* pruning drops the days that left every window */
		profile_prune(&m, &L, at("2027-01-01"));
		profile_encode(&m, &L, &e3);
		T_OK(e3.len < e1.len);
		/* decoded lazily: every aggregate reads the same, the record
		 * encodes the same, pruned or not, and an event applied
		 * decodes what it changes */
		{
			struct profile z = {0};
			struct buf e4 = BUF_INIT, e5 = BUF_INIT;
			unsigned i;
			int64_t when[] = {at("2026-11-01"), at("2026-12-15"), at("2027-01-01")};
			unsigned w;
			for (w = 0; w < 3; w++) {
				z.oneid = a.oneid = 7;
				T_OK(profile_decode_lazy(&z, &L, e1.p, e1.len) == 0);
				T_OK(profile_decode(&a, &L, e1.p, e1.len) == 0);
				for (i = 0; i < L.naggs; i++) {
					struct aggres r1, r2;
					if (w == 2 && i % 2) /* some left lazy for the prune */
						continue;
					profile_agg(&z, &L, i, when[w], &r1);
					profile_agg(&a, &L, i, when[w], &r2);
					T_OK(r1.has == r2.has && r1.num == r2.num && r1.n == r2.n &&
					     (!r1.n || !memcmp(r1.s, r2.s, r1.n)));
				}
				profile_prune(&z, &L, when[w]);
				profile_prune(&a, &L, when[w]);
				profile_encode(&z, &L, &e4);
				profile_encode(&a, &L, &e5);
				T_OK(e4.len == e5.len && !memcmp(e4.p, e5.p, e4.len));
			}
			T_OK(profile_decode_lazy(&z, &L, e1.p, e1.len) == 0);
			T_OK(profile_decode(&a, &L, e1.p, e1.len) == 0);
			a.src_live = 0;
			apply_events(&z, NEV - 1, NEV);
			apply_events(&a, NEV - 1, NEV);
			profile_encode(&z, &L, &e4);
			profile_encode(&a, &L, &e5);
			T_OK(e4.len == e5.len && !memcmp(e4.p, e5.p, e4.len));
			profile_release(&z);
			buf_release(&e4);
			buf_release(&e5);
		}
		/* an aggregate the layout does not know, between ones it does:
		 * the unchanged ones around it are written as read, and it is
		 * dropped, as a full decode and encode drops it */
		{
			struct agg_spec *sp3 = calloc(L.naggs, sizeof *sp3);
			struct profile_layout L3 = {0};
			struct profile z = {0}, y = {0}, x = {0};
			struct buf e4 = BUF_INIT, e5 = BUF_INIT;
			unsigned j, n3 = 0, npres = 0, drop = 0;
			/* the middle one of those in the record, in its order */
			x.oneid = 7;
			T_OK(profile_decode(&x, &L, e1.p, e1.len) == 0);
			for (j = 0; j < L.naggs; j++)
				npres += x.aggs[L.agg_order[j]].present;
			T_OK(npres >= 3);
			for (j = 0, n3 = 0; j < L.naggs; j++)
				if (x.aggs[L.agg_order[j]].present && n3++ == npres / 2)
					drop = L.agg_order[j];
			n3 = 0;
			for (j = 0; j < L.naggs; j++)
				if (j != drop)
					sp3[n3++] = L.specs[j];
			L3.specs = sp3;
			L3.naggs = n3;
			L3.tag_slots = L.tag_slots;
			L3.ntags = L.ntags;
			profile_layout_index(&L3);
			z.oneid = y.oneid = 7;
			T_OK(profile_decode_lazy(&z, &L3, e1.p, e1.len) == 0);
			T_OK(profile_decode(&y, &L3, e1.p, e1.len) == 0);
			profile_encode(&z, &L3, &e4);
			profile_encode(&y, &L3, &e5);
			T_OK(e4.len == e5.len && !memcmp(e4.p, e5.p, e4.len));
			T_OK(e4.len < e1.len);
			/* and read with every aggregate known again, the others
			 * are those of the record */
			T_OK(profile_decode(&y, &L, e4.p, e4.len) == 0);
			for (j = 0; j < L.naggs; j++)
				T_OK(y.aggs[j].present == (j != drop && x.aggs[j].present));
			profile_release(&x);
			profile_layout_release(&L3);
			free(sp3);
			profile_release(&z);
			profile_release(&y);
			buf_release(&e4);
			buf_release(&e5);
		}
		/* tags: decoded lazily and unchanged, the record's own bytes
		 * are written again; changed, the new value; a tag the layout
		 * does not know is dropped either way */
		{
			struct profile z = {0}, y = {0};
			struct buf e4 = BUF_INIT, e5 = BUF_INIT;
			static const uint32_t other[1] = {1};
			struct profile_layout L2 = L;
			profile_reset(&a, &L, 7);
			apply_events(&a, 0, NEV);
			a.tags[0].set = 1;
			buf_reset(&a.tags[0].v);
			buf_adds(&a.tags[0].v, "\"gold\"");
			profile_encode(&a, &L, &e4);
			z.oneid = 7;
			T_OK(profile_decode_lazy(&z, &L, e4.p, e4.len) == 0);
			T_OK(z.tags_raw != NULL);
			profile_encode(&z, &L, &e5);
			T_OK(e4.len == e5.len && !memcmp(e4.p, e5.p, e4.len));
			buf_reset(&z.tags[0].v);
			buf_adds(&z.tags[0].v, "true");
			z.tags_raw = NULL;
			profile_encode(&z, &L, &e5);
			T_OK(e5.len == e4.len - 6 + 1); /* "gold" as text, true as a byte */
			T_OK(profile_decode(&y, &L, e5.p, e5.len) == 0);
			T_OK(y.tags[0].set && y.tags[0].v.len == 4 && !memcmp(y.tags[0].v.p, "true", 4));
			L2.tag_slots = other;
			L2.tag_of_slot = NULL;
			L2.agg_of_slot = NULL;
			L2.agg_order = L2.tag_order = NULL;
			L2.types = NULL;
			L2.by_type = L2.any = NULL;
			profile_layout_index(&L2);
			profile_release(&z);
			memset(&z, 0, sizeof z);
			z.oneid = 7;
			T_OK(profile_decode_lazy(&z, &L2, e4.p, e4.len) == 0);
			T_OK(z.tags_raw == NULL && !z.tags[0].set);
			profile_encode(&z, &L2, &e5);
			T_OK(e5.len < e4.len);
			T_OK(profile_decode(&y, &L, e5.p, e5.len) == 0 && !y.tags[0].set);
			profile_layout_release(&L2);
			profile_release(&z);
			profile_release(&y);
			buf_release(&e4);
			buf_release(&e5);
		}
		profile_release(&a);
		profile_release(&b);
		profile_release(&m);
	}
	/* fixed point */
	{
		int64_t v;
		struct buf b = BUF_INIT;
		T_OK(fix_parse("120.5", 5, &v) == 0 && v == 1205000);
		T_OK(fix_parse("-0.0001", 7, &v) == 0 && v == -1);
		fix_write(&b, 1205000);
		buf_addc(&b, ' ');
		fix_write(&b, -1);
		buf_addc(&b, ' ');
		fix_write(&b, 30000);
		T_EQ_STR(b.p, "120.5 -0.0001 3");
		buf_release(&b);
	}

	for (k = 0; k < sizeof rows / sizeof *rows; k++)
		cond_free(cs[k]);
	agg_set_release(&S.aggs);
	profile_release(&P);
	profile_layout_release(&L);
	conf_release(&c);
	buf_release(&text);
	buf_release(&e1);
	buf_release(&e2);
	buf_release(&e3);
	test_number_text();
	test_fix_parse();
	return t_done("cond");
}
