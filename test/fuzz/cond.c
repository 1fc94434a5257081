/*
 * cond - the condition compiler (lib/cond through lib/conf) on any text,
 * as a definition file gives it: an object with optional "params",
 * "aggregates" (name → AGG with "fn"), a condition "when" and a value
 * "value", and, for evaluation, "events" (objects with "type", "ts",
 * "props", "traits") and a clock "at". Conditions with "jq" are left out
 * (see fuzz.h). A failed compile must say why. What compiles is
 * evaluated on a profile made of the events (the harness's own when none
 * are given) and checked:
 *   - over columns (cond_eval_rows, one row) it gives what cond_eval gives;
 *   - it gives the same answer on every day before cond_next_day's (up to
 *     a limit);
 *   - its explanation (cond_explain) is JSON;
 *   - the profile's encoding decodes to a profile that encodes the same.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cond.h"
#include "conf.h"
#include "json.h"
#include "profile.h"
#include "fuzz.h"

#define MAX_TRAITS 16
#define MAX_DAYS 40
#define MAX_VALUES 64

static const char *const default_events[] = {
	"{\"type\":\"view\",\"ts\":\"2026-03-01T10:00:00Z\",\"props\":{\"category\":\"face\",\"sku\":\"a1\"},"
	"\"traits\":{\"gender\":\"f\",\"city\":\"上海\"}}",
	"{\"type\":\"order_paid\",\"ts\":\"2026-03-02T10:00:00Z\",\"props\":{\"amount\":120.5,\"category\":\"face\","
	"\"items\":{\"n\":2}}}",
	"{\"type\":\"order_paid\",\"ts\":\"2026-03-28T23:59:59.999Z\",\"props\":{\"amount\":-3,\"coupon\":\"c9\"}}",
	"{\"type\":\"ad_click\",\"ts\":\"2026-04-06T08:00:00Z\",\"props\":{\"category\":\"hair\"},"
	"\"traits\":{\"gender\":\"m\",\"age\":31}}",
};

static char *traits[MAX_TRAITS];
static unsigned ntraits;
static struct profile_layout L;

static uint32_t trait_slot(void *ctx, const char *name, size_t n)
{
	unsigned i;

	(void)ctx;
	for (i = 0; i < ntraits; i++)
		if (strlen(traits[i]) == n && !memcmp(traits[i], name, n))
			return i;
	if (ntraits == MAX_TRAITS || memchr(name, 0, n))
		return UINT32_MAX;
	traits[ntraits] = malloc(n + 1);
	if (!traits[ntraits])
		abort();
	memcpy(traits[ntraits], name, n);
	traits[ntraits][n] = 0;
	return ntraits++;
}

static uint32_t sc_trait(void *ctx, const char *name)
{
	return trait_slot(ctx, name, strlen(name));
}

static int sc_tag(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "vip"))
		return 0;
	if (!strcmp(name, "lifecycle"))
		return 1;
	*why = "no such tag";
	return -1;
}

static int sc_segment(void *ctx, const char *name, const char **why)
{
	(void)ctx;
	if (!strcmp(name, "a") || !strcmp(name, "b"))
		return name[0] - 'a';
	*why = "no such segment";
	return -1;
}

static int env_segment(void *ctx, unsigned idx)
{
	(void)ctx;
	return idx == 0;
}

static int where_match(void *ctx, const struct agg_spec *s, const struct json_doc *d, uint32_t ev)
{
	struct cond_env e;

	memset(&e, 0, sizeof e);
	e.p = ctx;
	e.L = &L;
	e.doc = d;
	e.ev = ev;
	e.segment = env_segment;
	return cond_eval(s->where, &e);
}

/* Apply one event (token ev of d); 0, or -1 when it is not one. */
static int apply(struct profile *p, const struct json_doc *d, uint32_t ev)
{
	uint32_t ty = json_get(d, ev, "type", 4), ts = json_get(d, ev, "ts", 2);
	int64_t t;

	if (!ty || d->t[ty].type != JSON_STRING || d->t[ty].esc || clock_parse_tok(d, ts, &t))
		return -1;
	profile_apply(p, &L, d, ev, d->s + d->t[ty].off, d->t[ty].len, t, trait_slot, where_match, p);
	return 0;
}

/* The cells of the values a condition compares, for cond_eval_rows. */
struct cells {
	const struct cond_env *e;
	const struct cexpr *x[MAX_VALUES];
	uint64_t cell[MAX_VALUES];
	char *text[MAX_VALUES];
	size_t tlen[MAX_VALUES];
	unsigned n, ntext;
};

static void cell_of(void *ctx, const struct cexpr *x)
{
	struct cells *C = ctx;
	struct cval v;

	if (C->n == MAX_VALUES)
		FZ_FAIL("more than %d values", MAX_VALUES);
	cexpr_cell(x, C->e, &v);
	C->x[C->n] = x;
	if (v.k == CV_NONE) {
		C->cell[C->n] = CELL_NONE;
	} else if (v.k == CV_NUM) {
		C->cell[C->n] = cell_of_num(v.num);
	} else {
		struct buf b = BUF_INIT;
		cval_write(&v, &b);
		C->text[C->ntext] = b.p;
		C->tlen[C->ntext] = b.len;
		C->cell[C->n] = CELL_TEXT | C->ntext++;
	}
	C->n++;
}

static const uint64_t *rows_column(void *ctx, const struct cexpr *x)
{
	struct cells *C = ctx;
	unsigned i;

	for (i = 0; i < C->n; i++)
		if (C->x[i] == x)
			return &C->cell[i];
	FZ_FAIL("cond_eval_rows asked for a value cond_values did not give");
}

static void rows_text(void *ctx, uint32_t id, const char **s, size_t *n)
{
	struct cells *C = ctx;

	if (id >= C->ntext)
		FZ_FAIL("text %u of %u", id, C->ntext);
	*s = C->text[id];
	*n = C->tlen[id];
}

static const uint64_t seg_bits[2] = {1, 0};

static const uint64_t *rows_segment(void *ctx, unsigned idx)
{
	(void)ctx;
	return &seg_bits[idx];
}

static void check_cond(const struct cond *x, const struct profile *p, int64_t clock)
{
	struct cond_env e;
	struct cond_rows R;
	struct cells C;
	struct buf b = BUF_INIT;
	struct json_doc d = JSON_DOC_INIT;
	uint64_t out = 0, present = 1;
	int64_t today = cond_days_between(0, clock), next, day;
	const char *why;
	size_t at;
	int want;
	unsigned i;

	memset(&e, 0, sizeof e);
	e.p = p;
	e.L = &L;
	e.clock = clock;
	e.segment = env_segment;
	want = cond_eval(x, &e);
	/* over columns: the same answer */
	memset(&C, 0, sizeof C);
	C.e = &e;
	cond_values(x, cell_of, &C);
	memset(&R, 0, sizeof R);
	R.ctx = &C;
	R.n = 1;
	R.today = today;
	R.present = &present;
	R.column = rows_column;
	R.text = rows_text;
	R.ntext = C.ntext;
	R.segment = rows_segment;
	cond_eval_rows(x, &R, &out);
	if ((int)(out & 1) != want)
		FZ_FAIL("cond_eval gives %d, cond_eval_rows %d", want, (int)(out & 1));
	for (i = 0; i < C.ntext; i++)
		free(C.text[i]);
	/* no change before the next day it names */
	next = cond_next_day(x, &e);
	if (next <= today)
		FZ_FAIL("cond_next_day %lld is not after today %lld", (long long)next, (long long)today);
	for (day = today + 1; day < next && day <= today + MAX_DAYS; day++) {
		e.clock = day * DAY_MS;
		if (cond_eval(x, &e) != want)
			FZ_FAIL("the answer changes on day +%lld, cond_next_day said +%lld",
				(long long)(day - today), (long long)(next - today));
	}
	/* the explanation is JSON */
	e.clock = clock;
	cond_explain(x, &e, &b);
	if (json_parse(&d, b.p ? b.p : "", b.len, 1000, &why, &at))
		FZ_FAIL("cond_explain gives no JSON (%s at %zu): %.*s", why, at, (int)b.len, b.p);
	json_doc_release(&d);
	buf_release(&b);
}

static void check_profile(const struct profile *p)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct profile q;

	memset(&q, 0, sizeof q);
	profile_encode(p, &L, &a);
	if (profile_decode(&q, &L, a.p, a.len))
		FZ_FAIL("a profile's encoding does not decode");
	profile_encode(&q, &L, &b);
	if (a.len != b.len || memcmp(a.p, b.p, a.len))
		FZ_FAIL("a profile decoded encodes differently");
	profile_release(&q);
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *path;
	static const uint32_t tag_slots[2] = {0, 1};
	struct conf c;
	struct cond_scope sc;
	struct agg_set aggs = {0};
	struct cond *x = NULL;
	struct cexpr *v = NULL;
	struct profile p;
	unsigned tok, i;
	int64_t clock = 1775779200000LL; /* 2026-04-10 */

	if (fz_has_key((const char *)data, size, "jq"))
		return 0;
	if (!path)
		path = fz_path("cond.json");
	fz_write(path, data, size);
	if (conf_load(&c, path)) {
		if (!c.err.len)
			FZ_FAIL("a definition refused without a reason");
		conf_release(&c);
		return 0;
	}
	memset(&sc, 0, sizeof sc);
	sc.aggs = &aggs;
	sc.trait = sc_trait;
	sc.tag = sc_tag;
	sc.segment = sc_segment;
	sc.params = json_get(&c.doc, 0, "params", 6);
	if ((tok = json_get(&c.doc, 0, "aggregates", 10)) && cond_aggregates(&c, tok, &sc))
		goto refused;
	if ((tok = json_get(&c.doc, 0, "when", 4)) && !(x = cond_compile(&c, tok, &sc)))
		goto refused;
	if ((tok = json_get(&c.doc, 0, "value", 5)) && !(v = cexpr_compile(&c, tok, &sc)))
		goto refused;
	/* the profile */
	for (i = 0; i < aggs.n; i++)
		aggs.v[i].slot = i;
	memset(&L, 0, sizeof L);
	L.specs = aggs.v;
	L.naggs = aggs.n;
	L.tag_slots = tag_slots;
	L.ntags = 2;
	profile_layout_index(&L);
	memset(&p, 0, sizeof p);
	profile_reset(&p, &L, 7);
	if ((tok = json_get(&c.doc, 0, "events", 6)) && c.doc.t[tok].type == JSON_ARRAY) {
		uint32_t k, j;
		for (k = 0, j = tok + 1; k < c.doc.t[tok].size; k++, j = c.doc.t[j].next)
			if (c.doc.t[j].type == JSON_OBJECT)
				apply(&p, &c.doc, j);
	} else {
		struct json_doc d = JSON_DOC_INIT;
		const char *why;
		size_t at;
		for (i = 0; i < sizeof default_events / sizeof *default_events; i++) {
			if (json_parse(&d, default_events[i], strlen(default_events[i]), 16, &why, &at) ||
			    apply(&p, &d, 0))
				FZ_FAIL("default event %u", i);
		}
		json_doc_release(&d);
	}
	if ((tok = json_get(&c.doc, 0, "at", 2)) && clock_parse_tok(&c.doc, tok, &clock))
		clock = 1775779200000LL;
	check_profile(&p);
	if (x)
		check_cond(x, &p, clock);
	if (v) {
		struct cond_env e;
		struct cval out;
		struct buf b = BUF_INIT;
		memset(&e, 0, sizeof e);
		e.p = &p;
		e.L = &L;
		e.clock = clock;
		e.segment = env_segment;
		cexpr_eval(v, &e, &out);
		cval_write(&out, &b);
		cexpr_canon(v, &L, &b);
		buf_release(&b);
	}
	profile_release(&p);
	profile_layout_release(&L);
	goto done;
refused:
	if (!c.err.len)
		FZ_FAIL("a condition refused without a reason");
done:
	cond_free(x);
	cexpr_free(v);
	agg_set_release(&aggs);
	conf_release(&c);
	for (i = 0; i < ntraits; i++)
		free(traits[i]);
	ntraits = 0;
	cond_scratch_release();
	return 0;
}
