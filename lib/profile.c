#include "profile.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

const char *const agg_fn_names[AGG_NFN] = {
	"count", "sum", "min", "max", "first", "last", "distinct", "top", "days",
};

/* ---- fixed point ---- */

int fix_parse(const char *s, size_t n, int64_t *out)
{
	char tmp[64];
	double d;
	uint64_t dg;
	int frac, neg;

	/* up to 4 decimals and below 2^50 in ten-thousandths: exact (what
	 * strtod, the scaling and llround below give) */
	if (!json_num_plain(s, n, &dg, &frac, &neg) && frac <= 4) {
		static const uint64_t scale[] = {10000, 1000, 100, 10, 1};
		if (dg < (1ull << 50) / scale[frac]) {
			int64_t m = (int64_t)(dg * scale[frac]);
			*out = neg ? -m : m;
			return 0;
		}
	}
	if (!n || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	d = strtod(tmp, NULL) * FIX_SCALE;
	if (!(d > -9.2e18 && d < 9.2e18))
		return -1;
	*out = llround(d);
	return 0;
}

void fix_write(struct buf *b, int64_t v)
{
	uint64_t a = v < 0 ? -(uint64_t)v : (uint64_t)v;
	uint64_t ip = a / 10000, fp = a % 10000;
	char f[8];
	int k;

	if (v < 0)
		buf_addc(b, '-');
	buf_u64(b, ip);
	if (!fp)
		return;
	snprintf(f, sizeof f, "%04u", (unsigned)fp);
	for (k = 3; k > 0 && f[k] == '0'; k--)
		f[k] = 0;
	buf_addc(b, '.');
	buf_adds(b, f);
}

/* ---- varints ---- */

static inline void put_uv(struct buf *b, uint64_t v)
{
	unsigned char *t;

	if (b->cap - b->len <= 10)
		buf_grow(b, 10);
	t = (unsigned char *)b->p + b->len;
	while (v >= 0x80) {
		*t++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*t++ = (unsigned char)v;
	b->len = (size_t)((char *)t - b->p);
	b->p[b->len] = 0;
}

static void put_sv(struct buf *b, int64_t v)
{
	put_uv(b, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

struct rd {
	const unsigned char *p, *end;
	int bad;
};

static inline uint64_t get_uv(struct rd *r)
{
	uint64_t v = 0;
	int sh = 0;

	if (r->p < r->end && !(*r->p & 0x80))
		return *r->p++; /* most numbers here are one byte */

	while (r->p < r->end && sh < 64) {
		unsigned char c = *r->p++;
		v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			return v;
		sh += 7;
	}
	r->bad = 1;
	return 0;
}

static inline int64_t get_sv(struct rd *r)
{
	uint64_t u = get_uv(r);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

static const unsigned char *get_bytes(struct rd *r, size_t n)
{
	const unsigned char *p = r->p;

	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return NULL;
	}
	r->p += n;
	return p;
}

/* ---- cells ---- */

static void cell_clear(struct cell *c)
{
	unsigned i;

	c->n = c->sum = c->min = c->max = c->ts = 0;
	buf_reset(&c->v);
	c->nset = 0;
	for (i = 0; i < c->ntop; i++)
		buf_reset(&c->top[i].v);
	c->ntop = 0;
}

static void cell_release(struct cell *c)
{
	unsigned i;

	buf_release(&c->v);
	free(c->set);
	for (i = 0; i < c->captop; i++)
		buf_release(&c->top[i].v);
	free(c->top);
	memset(c, 0, sizeof *c);
}

static void set_room(struct cell *c, unsigned n)
{
	if (n > c->capset) {
		c->capset = n < 8 ? 8 : n * 2;
		c->set = xrealloc(c->set, c->capset * sizeof *c->set);
	}
}

/* Insert x into the sorted set; keep at most k: the smallest (distinct) or
 * the largest (days). */
static void set_add(struct cell *c, uint32_t x, unsigned k, int keep_small)
{
	unsigned lo = 0, hi = c->nset;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (c->set[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->nset && c->set[lo] == x)
		return;
	if (c->nset == k) {
		if (keep_small) {
			if (lo == k)
				return;
			c->nset--; /* the largest goes */
		} else {
			if (lo == 0)
				return;
			memmove(c->set, c->set + 1, (size_t)(lo - 1) * sizeof *c->set);
			c->set[lo - 1] = x;
			return;
		}
	}
	set_room(c, c->nset + 1);
	memmove(c->set + lo + 1, c->set + lo, (size_t)(c->nset - lo) * sizeof *c->set);
	c->set[lo] = x;
	c->nset++;
}

static int top_cmp_val(const struct buf *a, const char *s, size_t n)
{
	size_t m = a->len < n ? a->len : n;
	int r = memcmp(a->p ? a->p : "", s, m);
	return r ? r : (a->len > n) - (a->len < n);
}

/* Add count for value s; when full, a new value replaces the entry with
 * the smallest count (ties: the greatest value), keeping its count. */
static void top_add(struct cell *c, const char *s, size_t n, uint32_t count)
{
	unsigned i, w;

	for (i = 0; i < c->ntop; i++)
		if (c->top[i].v.len == n && !memcmp(c->top[i].v.p, s, n)) {
			c->top[i].count += count;
			return;
		}
	if (c->ntop < AGG_TOP_K) {
		if (c->ntop == c->captop) {
			unsigned old = c->captop;
			c->captop = c->captop ? c->captop * 2 : 4;
			c->top = xrealloc(c->top, c->captop * sizeof *c->top);
			memset(c->top + old, 0, (c->captop - old) * sizeof *c->top);
		}
		i = c->ntop++;
		buf_reset(&c->top[i].v);
		buf_add(&c->top[i].v, s, n);
		c->top[i].count = count;
		return;
	}
	for (w = 0, i = 1; i < c->ntop; i++)
		if (c->top[i].count < c->top[w].count ||
		    (c->top[i].count == c->top[w].count && top_cmp_val(&c->top[i].v, c->top[w].v.p, c->top[w].v.len) > 0))
			w = i;
	buf_reset(&c->top[w].v);
	buf_add(&c->top[w].v, s, n);
	c->top[w].count += count;
}

/* Does (ts, s) come before (c->ts, c->v)? */
static int before(int64_t ts, const char *s, size_t n, const struct cell *c)
{
	if (ts != c->ts)
		return ts < c->ts;
	return top_cmp_val(&c->v, s, n) > 0;
}

static void cell_add(struct cell *c, enum agg_fn fn, int64_t ts, int64_t num,
		     const char *s, size_t n)
{
	switch (fn) {
	case AGG_COUNT:
		break;
	case AGG_SUM:
		c->sum += num;
		break;
	case AGG_MIN:
		if (!c->n || num < c->min)
			c->min = num;
		break;
	case AGG_MAX:
		if (!c->n || num > c->max)
			c->max = num;
		break;
	case AGG_FIRST:
		if (!c->n || before(ts, s, n, c)) {
			c->ts = ts;
			buf_reset(&c->v);
			buf_add(&c->v, s, n);
		}
		break;
	case AGG_LAST:
		if (!c->n || !before(ts, s, n, c)) {
			c->ts = ts;
			buf_reset(&c->v);
			buf_add(&c->v, s, n);
		}
		break;
	case AGG_DISTINCT:
		set_add(c, (uint32_t)hash64(s, n, 0x61676764), AGG_DISTINCT_K, 1);
		break;
	case AGG_TOP:
		top_add(c, s, n, 1);
		break;
	case AGG_DAYS: {
		int64_t day = ts >= 0 ? ts / DAY_MS : -((-ts + DAY_MS - 1) / DAY_MS);
		set_add(c, (uint32_t)(day + 0x40000000), AGG_DAYS_K, 0);
		break;
	}
	default:
		break;
	}
	c->n++;
}

static void cell_merge(struct cell *d, const struct cell *s, enum agg_fn fn)
{
	unsigned i;

	if (!s->n)
		return;
	switch (fn) {
	case AGG_SUM:
		d->sum += s->sum;
		break;
	case AGG_MIN:
		if (!d->n || s->min < d->min)
			d->min = s->min;
		break;
	case AGG_MAX:
		if (!d->n || s->max > d->max)
			d->max = s->max;
		break;
	case AGG_FIRST:
		if (!d->n || before(s->ts, s->v.p, s->v.len, d)) {
			d->ts = s->ts;
			buf_reset(&d->v);
			buf_add(&d->v, s->v.p, s->v.len);
		}
		break;
	case AGG_LAST:
		if (!d->n || !before(s->ts, s->v.p, s->v.len, d)) {
			d->ts = s->ts;
			buf_reset(&d->v);
			buf_add(&d->v, s->v.p, s->v.len);
		}
		break;
	case AGG_DISTINCT:
		for (i = 0; i < s->nset; i++)
			set_add(d, s->set[i], AGG_DISTINCT_K, 1);
		break;
	case AGG_DAYS:
		for (i = 0; i < s->nset; i++)
			set_add(d, s->set[i], AGG_DAYS_K, 0);
		break;
	case AGG_TOP:
		for (i = 0; i < s->ntop; i++)
			top_add(d, s->top[i].v.p, s->top[i].v.len, s->top[i].count);
		break;
	default:
		break;
	}
	d->n += s->n;
}

static void cell_copy(struct cell *d, const struct cell *s, enum agg_fn fn)
{
	cell_clear(d);
	cell_merge(d, s, fn);
}

static void cell_encode(const struct cell *c, enum agg_fn fn, struct buf *b)
{
	unsigned i;
	uint32_t prev = 0;

	put_uv(b, (uint64_t)c->n);
	switch (fn) {
	case AGG_SUM: put_sv(b, c->sum); break;
	case AGG_MIN: put_sv(b, c->min); break;
	case AGG_MAX: put_sv(b, c->max); break;
	case AGG_FIRST:
	case AGG_LAST:
		put_sv(b, c->ts);
		put_uv(b, c->v.len);
		buf_add(b, c->v.p ? c->v.p : "", c->v.len);
		break;
	case AGG_DISTINCT:
	case AGG_DAYS:
		put_uv(b, c->nset);
		for (i = 0; i < c->nset; i++) {
			put_uv(b, c->set[i] - prev);
			prev = c->set[i];
		}
		break;
	case AGG_TOP: {
		/* in value order: the encoding does not depend on arrival order */
		unsigned ord[AGG_TOP_K], j;
		for (i = 0; i < c->ntop; i++) {
			for (j = i; j > 0 && top_cmp_val(&c->top[ord[j - 1]].v, c->top[i].v.p, c->top[i].v.len) > 0; j--)
				ord[j] = ord[j - 1];
			ord[j] = i;
		}
		put_uv(b, c->ntop);
		for (i = 0; i < c->ntop; i++) {
			const struct top_ent *t = &c->top[ord[i]];
			put_uv(b, t->count);
			put_uv(b, t->v.len);
			buf_add(b, t->v.p ? t->v.p : "", t->v.len);
		}
		break;
	}
	default:
		break;
	}
}

static void cell_decode(struct cell *c, enum agg_fn fn, struct rd *r)
{
	uint64_t k, i, len;
	uint32_t prev = 0;
	const unsigned char *s;

	cell_clear(c);
	c->n = (int64_t)get_uv(r);
	switch (fn) {
	case AGG_SUM: c->sum = get_sv(r); break;
	case AGG_MIN: c->min = get_sv(r); break;
	case AGG_MAX: c->max = get_sv(r); break;
	case AGG_FIRST:
	case AGG_LAST:
		c->ts = get_sv(r);
		len = get_uv(r);
		if ((s = get_bytes(r, len)))
			buf_add(&c->v, s, len);
		break;
	case AGG_DISTINCT:
	case AGG_DAYS:
		k = get_uv(r);
		if (k > AGG_DISTINCT_K) {
			r->bad = 1;
			return;
		}
		set_room(c, (unsigned)k);
		for (i = 0; i < k && !r->bad; i++) {
			prev += (uint32_t)get_uv(r);
			c->set[i] = prev;
		}
		c->nset = (unsigned)k;
		break;
	case AGG_TOP:
		k = get_uv(r);
		if (k > AGG_TOP_K) {
			r->bad = 1;
			return;
		}
		for (i = 0; i < k && !r->bad; i++) {
			uint32_t cnt = (uint32_t)get_uv(r);
			len = get_uv(r);
			if (!(s = get_bytes(r, len)))
				break;
			top_add(c, (const char *)s, len, cnt);
		}
		break;
	default:
		break;
	}
}

/* ---- aggregate values ---- */

/* Empty a (the buckets past nb keep their memory; bucket_of clears the one
 * it takes). */
static void aggval_clear(struct aggval *a)
{
	a->present = 0;
	a->raw = NULL;
	a->lazy = 0;
	cell_clear(&a->life);
	a->nb = 0;
}

static void aggval_release(struct aggval *a)
{
	unsigned i;

	cell_release(&a->life);
	for (i = 0; i < a->capb; i++)
		cell_release(&a->b[i].c);
	free(a->b);
	memset(a, 0, sizeof *a);
}

/* The bucket of day (created, in order). */
static struct cell *bucket_of(struct aggval *a, int32_t day)
{
	unsigned lo = 0, hi = a->nb, i;
	struct bucket tmp;

	if (a->nb && a->b[a->nb - 1].day == day)
		return &a->b[a->nb - 1].c;
	if (!a->nb || a->b[a->nb - 1].day < day)
		lo = a->nb; /* a later day (decoding: every one) */
	else while (lo < hi) {
		unsigned mid = (lo + hi) / 2;
		if (a->b[mid].day < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < a->nb && a->b[lo].day == day)
		return &a->b[lo].c;
	if (a->nb == a->capb) {
		unsigned old = a->capb;
		a->capb = a->capb ? a->capb * 2 : 4;
		a->b = xrealloc(a->b, a->capb * sizeof *a->b);
		memset(a->b + old, 0, (a->capb - old) * sizeof *a->b);
	}
	/* rotate the spare bucket (with its memory) into place */
	tmp = a->b[a->nb];
	for (i = a->nb; i > lo; i--)
		a->b[i] = a->b[i - 1];
	a->b[lo] = tmp;
	a->b[lo].day = day;
	cell_clear(&a->b[lo].c);
	a->nb++;
	return &a->b[lo].c;
}

static int32_t day_of(int64_t ts)
{
	return (int32_t)(ts >= 0 ? ts / DAY_MS : -((-ts + DAY_MS - 1) / DAY_MS));
}

/* ---- layout ---- */

static void index_types(struct profile_layout *L);

void profile_layout_index(struct profile_layout *L)
{
	unsigned i;
	uint32_t m = 0;

	for (i = 0; i < L->naggs; i++)
		if (L->specs[i].slot + 1 > m)
			m = L->specs[i].slot + 1;
	free(L->agg_of_slot);
	L->nagg_slots = m;
	L->agg_of_slot = xmalloc((m + 1) * sizeof *L->agg_of_slot);
	for (i = 0; i < m; i++)
		L->agg_of_slot[i] = -1;
	for (i = 0; i < L->naggs; i++)
		L->agg_of_slot[L->specs[i].slot] = (int32_t)i;
	m = 0;
	for (i = 0; i < L->ntags; i++)
		if (L->tag_slots[i] + 1 > m)
			m = L->tag_slots[i] + 1;
	free(L->tag_of_slot);
	L->ntag_slots = m;
	L->tag_of_slot = xmalloc((m + 1) * sizeof *L->tag_of_slot);
	for (i = 0; i < m; i++)
		L->tag_of_slot[i] = -1;
	for (i = 0; i < L->ntags; i++)
		L->tag_of_slot[L->tag_slots[i]] = (int32_t)i;
	free(L->agg_order);
	free(L->tag_order);
	L->agg_order = xmalloc((L->naggs + 1) * sizeof *L->agg_order);
	L->tag_order = xmalloc((L->ntags + 1) * sizeof *L->tag_order);
	for (m = 0, i = 0; i < L->nagg_slots; i++)
		if (L->agg_of_slot[i] >= 0)
			L->agg_order[m++] = (uint32_t)L->agg_of_slot[i];
	for (m = 0, i = 0; i < L->ntag_slots; i++)
		if (L->tag_of_slot[i] >= 0)
			L->tag_order[m++] = (uint32_t)L->tag_of_slot[i];
	index_types(L);
}

static int spec_takes(const struct agg_spec *sp, const char *type, size_t len)
{
	unsigned e;

	if (!sp->nevents)
		return 1;
	for (e = 0; e < sp->nevents; e++)
		if (strlen(sp->events[e]) == len && !memcmp(sp->events[e], type, len))
			return 1;
	return 0;
}

/* The specs by event type (profile_apply). */
static void index_types(struct profile_layout *L)
{
	unsigned i, e, t, n = 0;

	free(L->types);
	free(L->by_type);
	free(L->any);
	L->ntypes = L->nany = 0;
	for (i = 0; i < L->naggs; i++)
		n += L->specs[i].nevents;
	L->types = xcalloc(n + 1, sizeof *L->types);
	L->any = xmalloc((L->naggs + 1) * sizeof *L->any);
	for (i = 0; i < L->naggs; i++) {
		const struct agg_spec *sp = &L->specs[i];
		if (!sp->nevents)
			L->any[L->nany++] = i;
		for (e = 0; e < sp->nevents; e++) {
			size_t len = strlen(sp->events[e]);
			for (t = 0; t < L->ntypes; t++)
				if (L->types[t].len == len && !memcmp(L->types[t].name, sp->events[e], len))
					break;
			if (t == L->ntypes) {
				L->types[t].name = sp->events[e];
				L->types[t].len = len;
				L->ntypes++;
			}
		}
	}
	L->by_type = xmalloc(((size_t)L->ntypes * L->naggs + 1) * sizeof *L->by_type);
	for (n = 0, t = 0; t < L->ntypes; t++) {
		L->types[t].first = n;
		for (i = 0; i < L->naggs; i++)
			if (spec_takes(&L->specs[i], L->types[t].name, L->types[t].len))
				L->by_type[n++] = i;
		L->types[t].n = n - L->types[t].first;
	}
}

void profile_layout_release(struct profile_layout *L)
{
	free(L->agg_of_slot);
	free(L->tag_of_slot);
	free(L->agg_order);
	free(L->tag_order);
	free(L->types);
	free(L->by_type);
	free(L->any);
	L->agg_of_slot = L->tag_of_slot = NULL;
	L->agg_order = L->tag_order = NULL;
	L->types = NULL;
	L->by_type = L->any = NULL;
	L->ntypes = L->nany = 0;
}

/* ---- profiles ---- */

void profile_reset(struct profile *p, const struct profile_layout *L, uint32_t oneid)
{
	unsigned i;

	if (p->naggs != L->naggs) {
		for (i = 0; i < p->naggs; i++)
			aggval_release(&p->aggs[i]);
		free(p->aggs);
		p->naggs = L->naggs;
		p->aggs = xcalloc(p->naggs + 1, sizeof *p->aggs);
	}
	if (p->ntags != L->ntags) {
		for (i = 0; i < p->ntags; i++)
			buf_release(&p->tags[i].v);
		free(p->tags);
		p->ntags = L->ntags;
		p->tags = xcalloc(p->ntags + 1, sizeof *p->tags);
	}
	p->oneid = oneid;
	p->src_live = 0;
	p->tags_raw = NULL;
	p->nevents = 0;
	p->first_seen = p->last_seen = 0;
	for (i = 0; i < p->ntraits; i++)
		buf_reset(&p->traits[i].v);
	p->ntraits = 0;
	for (i = 0; i < p->naggs; i++)
		if (p->aggs[i].present)
			aggval_clear(&p->aggs[i]);
	for (i = 0; i < p->ntags; i++) {
		p->tags[i].set = 0;
		buf_reset(&p->tags[i].v);
	}
}

void profile_release(struct profile *p)
{
	unsigned i;

	for (i = 0; i < p->captraits; i++)
		buf_release(&p->traits[i].v);
	free(p->traits);
	for (i = 0; i < p->naggs; i++)
		aggval_release(&p->aggs[i]);
	free(p->aggs);
	for (i = 0; i < p->ntags; i++)
		buf_release(&p->tags[i].v);
	free(p->tags);
	memset(p, 0, sizeof *p);
}

static struct prof_trait *trait_slot(struct profile *p, uint32_t name)
{
	unsigned i;

	for (i = 0; i < p->ntraits; i++)
		if (p->traits[i].name == name)
			return &p->traits[i];
	if (p->ntraits == p->captraits) {
		unsigned old = p->captraits;
		p->captraits = p->captraits ? p->captraits * 2 : 8;
		p->traits = xrealloc(p->traits, p->captraits * sizeof *p->traits);
		memset(p->traits + old, 0, (p->captraits - old) * sizeof *p->traits);
	}
	/* keep traits sorted by name number: deterministic encoding */
	for (i = p->ntraits; i > 0 && p->traits[i - 1].name > name; i--) {
		struct prof_trait t = p->traits[i];
		p->traits[i] = p->traits[i - 1];
		p->traits[i - 1] = t;
	}
	p->ntraits++;
	p->traits[i].name = name;
	p->traits[i].ts = INT64_MIN;
	buf_reset(&p->traits[i].v);
	return &p->traits[i];
}

static void trait_set(struct profile *p, uint32_t name, int64_t ts, const char *s, size_t n)
{
	struct prof_trait *t = trait_slot(p, name);

	if (t->ts == INT64_MIN || ts > t->ts ||
	    (ts == t->ts && top_cmp_val(&t->v, s, n) < 0)) {
		t->ts = ts;
		buf_reset(&t->v);
		buf_add(&t->v, s, n);
	}
}

void profile_trait_set(struct profile *p, uint32_t slot, int64_t ts, const char *json, size_t n)
{
	trait_set(p, slot, ts, json, n);
}

/* The cells of aggregate a (spec sp) from its bytes: 0, or -1 damaged. */
static int agg_decode(struct aggval *a, const struct agg_spec *sp, const unsigned char *s,
		      size_t len)
{
	struct rd sub = {s, s + len, 0};

	a->present = 1;
	if (!sp->window) {
		cell_decode(&a->life, sp->fn, &sub);
	} else {
		uint64_t nb = get_uv(&sub), j;
		int64_t day = 0;
		for (j = 0; j < nb && !sub.bad; j++) {
			day += get_sv(&sub);
			cell_decode(bucket_of(a, (int32_t)day), sp->fn, &sub);
		}
	}
	a->raw = s;
	a->rawlen = len;
	return sub.bad ? -1 : 0;
}

void profile_agg_ready(const struct profile *p, const struct profile_layout *L, unsigned i)
{
	struct aggval *a = (struct aggval *)&p->aggs[i];

	if (!a->lazy)
		return;
	a->lazy = 0;
	if (agg_decode(a, &L->specs[i], a->raw, a->rawlen))
		aggval_clear(a);
}

static int decode(struct profile *p, const struct profile_layout *L, const void *rec, size_t n,
		  int lazy);

int profile_decode(struct profile *p, const struct profile_layout *L,
		   const void *rec, size_t n)
{
	return decode(p, L, rec, n, 0);
}

int profile_decode_lazy(struct profile *p, const struct profile_layout *L,
			const void *rec, size_t n)
{
	int r = decode(p, L, rec, n, 1);
	p->src_live = 1;
	return r;
}

static int decode(struct profile *p, const struct profile_layout *L, const void *rec, size_t n,
		  int lazy)
{
	struct rd r = {rec, (const unsigned char *)rec + n, 0};
	uint64_t k, i, slot, len;
	const unsigned char *s, *tags0;
	uint32_t oneid = p->oneid;

	profile_reset(p, L, oneid);
	if (!n || *r.p++ != PROFILE_FORMAT)
		return -1;
	p->nevents = get_uv(&r);
	p->first_seen = get_sv(&r);
	p->last_seen = p->first_seen + (int64_t)get_uv(&r);
	k = get_uv(&r);
	for (i = 0; i < k && !r.bad; i++) {
		struct prof_trait *t;
		slot = get_uv(&r);
		t = trait_slot(p, (uint32_t)slot);
		t->ts = p->first_seen + get_sv(&r);
		len = get_uv(&r);
		if ((s = get_bytes(&r, len)))
			buf_add(&t->v, s, len);
	}
	k = get_uv(&r);
	for (i = 0; i < k && !r.bad; i++) {
		const unsigned char *hdr = r.p;
		int32_t ix;
		slot = get_uv(&r);
		len = get_uv(&r);
		if (!(s = get_bytes(&r, len)))
			break;
		ix = slot < L->nagg_slots ? L->agg_of_slot[slot] : -1;
		if (ix < 0)
			continue;
		p->aggs[ix].hdr = hdr;
		if (lazy) {
			struct aggval *a = &p->aggs[ix];
			a->present = 1;
			a->lazy = 1;
			a->raw = s;
			a->rawlen = len;
		} else if (agg_decode(&p->aggs[ix], &L->specs[ix], s, len)) {
			r.bad = 1;
		}
	}
	tags0 = r.p;
	k = get_uv(&r);
	for (i = 0; i < k && !r.bad; i++) {
		int32_t ix;
		slot = get_uv(&r);
		len = get_uv(&r);
		if (!(s = get_bytes(&r, len ? len : 1)))
			break;
		ix = slot < L->ntag_slots ? L->tag_of_slot[slot] : -1;
		if (ix < 0) {
			tags0 = NULL; /* encoding again drops it */
			continue;
		}
		p->tags[ix].set = 1;
		if (len)
			buf_add(&p->tags[ix].v, s, len);
		else if (*s)
			buf_add(&p->tags[ix].v, "true", 4);
		else
			buf_add(&p->tags[ix].v, "false", 5);
	}
	if (r.bad)
		return -1;
	if (tags0 && i == k) {
		p->tags_raw = tags0;
		p->tags_rawlen = (size_t)(r.p - tags0);
	}
	return 0;
}

static int agg_empty(const struct aggval *a, const struct agg_spec *sp)
{
	return !a->present || (!a->lazy && (sp->window ? !a->nb : !a->life.n));
}

void profile_encode(const struct profile *p, const struct profile_layout *L,
		    struct buf *out)
{
	buf_reset(out);
	profile_encode_add(p, L, out);
}

/* Put n as a varint in the byte reserved before out[at], moving what
 * follows on when it takes more than that byte (most often it does not). */
static void put_uv_at(struct buf *out, size_t at, uint64_t n)
{
	unsigned char t[10];
	size_t m = 0;

	if (n < 0x80) {
		out->p[at - 1] = (char)n;
		return;
	}
	while (n >= 0x80) {
		t[m++] = (unsigned char)(n | 0x80);
		n >>= 7;
	}
	t[m++] = (unsigned char)n;
	if (out->cap - out->len <= m)
		buf_grow(out, m);
	memmove(out->p + at - 1 + m, out->p + at, out->len - at);
	memcpy(out->p + at - 1, t, m);
	out->len += m - 1;
	out->p[out->len] = 0;
}

void profile_encode_add(const struct profile *p, const struct profile_layout *L,
			struct buf *out)
{
	unsigned i, k, count;
	size_t at, head;
	const struct buf *v;

	buf_addc(out, PROFILE_FORMAT);
	put_uv(out, p->nevents);
	put_sv(out, p->first_seen);
	put_uv(out, (uint64_t)(p->last_seen - p->first_seen));
	put_uv(out, p->ntraits);
	for (i = 0; i < p->ntraits; i++) {
		put_uv(out, p->traits[i].name);
		put_sv(out, p->traits[i].ts - p->first_seen);
		put_uv(out, p->traits[i].v.len);
		buf_add(out, p->traits[i].v.p ? p->traits[i].v.p : "", p->traits[i].v.len);
	}
	/* aggregates in slot order: the encoding does not depend on the
	 * order of the definitions; their number before them, put in when
	 * known (as each one's length) */
	buf_addc(out, 0);
	head = out->len;
	for (count = 0, i = 0; i < L->naggs; i++) {
		uint32_t ix = L->agg_order[i];
		const struct agg_spec *sp = &L->specs[ix];
		const struct aggval *a = &p->aggs[ix];
		if (agg_empty(a, sp))
			continue;
		count++;
		if ((p->src_live || a->lazy) && a->raw) {
			/* unchanged since decoded: the same bytes, number and
			 * length included, and with them those of the
			 * unchanged ones that follow it in the record */
			const unsigned char *from = a->hdr, *to = a->raw + a->rawlen;
			while (i + 1 < L->naggs) {
				uint32_t nx = L->agg_order[i + 1];
				const struct aggval *b = &p->aggs[nx];
				if (agg_empty(b, &L->specs[nx])) {
					i++; /* in neither */
					continue;
				}
				if (!((p->src_live || b->lazy) && b->raw) || b->hdr != to)
					break;
				to = b->raw + b->rawlen;
				count++;
				i++;
			}
			buf_add(out, (const char *)from, (size_t)(to - from));
			continue;
		}
		put_uv(out, sp->slot);
		/* the cell after its length, which is most often one byte:
		 * written in place, moved on when longer */
		buf_addc(out, 0);
		at = out->len;
		if (!sp->window) {
			cell_encode(&a->life, sp->fn, out);
		} else {
			int64_t prev = 0;
			put_uv(out, a->nb);
			for (k = 0; k < a->nb; k++) {
				put_sv(out, a->b[k].day - prev);
				prev = a->b[k].day;
				cell_encode(&a->b[k].c, sp->fn, out);
			}
		}
		put_uv_at(out, at, out->len - at);
	}
	put_uv_at(out, head, count);
	if (p->src_live && p->tags_raw) { /* as decoded */
		buf_add(out, (const char *)p->tags_raw, p->tags_rawlen);
		return;
	}
	buf_addc(out, 0);
	head = out->len;
	for (count = 0, i = 0; i < L->ntags; i++) {
		uint32_t ix = L->tag_order[i];
		if (!p->tags[ix].set)
			continue;
		count++;
		put_uv(out, L->tag_slots[ix]);
		v = &p->tags[ix].v;
		/* true and false, the most common values, take one byte after a
		 * zero length; anything else is its JSON text */
		if (v->len == 4 && !memcmp(v->p, "true", 4)) {
			put_uv(out, 0);
			buf_addc(out, 1);
		} else if (v->len == 5 && !memcmp(v->p, "false", 5)) {
			put_uv(out, 0);
			buf_addc(out, 0);
		} else {
			put_uv(out, v->len);
			buf_add(out, v->p ? v->p : "", v->len);
		}
	}
	put_uv_at(out, head, count);
}

void profile_apply(struct profile *p, const struct profile_layout *L,
		   const struct json_doc *d, uint32_t ev, const char *type,
		   size_t tlen, int64_t ts,
		   uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		   int (*match)(void *ctx, const struct agg_spec *s,
				const struct json_doc *d, uint32_t ev),
		   void *ctx)
{
	profile_apply_at(p, L, d, ev, json_get(d, ev, "props", 5), json_get(d, ev, "traits", 6),
			 type, tlen, ts, name_slot, match, ctx);
}

void profile_apply_at(struct profile *p, const struct profile_layout *L,
		      const struct json_doc *d, uint32_t ev, uint32_t props, uint32_t traits,
		      const char *type, size_t tlen, int64_t ts,
		      uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		      int (*match)(void *ctx, const struct agg_spec *s,
				   const struct json_doc *d, uint32_t ev),
		      void *ctx)
{
	static struct buf val, name;
	const uint32_t *list = L->any;
	uint32_t i, k, v;
	unsigned s, j, nlist = L->nany;

	if (!p->nevents || ts < p->first_seen)
		p->first_seen = ts;
	if (!p->nevents || ts > p->last_seen)
		p->last_seen = ts;
	p->nevents++;
	if (traits && d->t[traits].type == JSON_OBJECT) {
		for (k = 0, i = traits + 1; k < d->t[traits].size; k++, i = d->t[i + 1].next) {
			uint32_t slot;
			buf_reset(&name);
			json_str_get(d, i, &name);
			slot = name_slot(ctx, name.p ? name.p : "", name.len);
			if (slot == UINT32_MAX)
				continue;
			buf_reset(&val);
			json_write_tok(d, i + 1, &val);
			trait_set(p, slot, ts, val.p, val.len);
		}
	}
	for (j = 0; j < L->ntypes; j++)
		if (L->types[j].len == tlen && !memcmp(L->types[j].name, type, tlen)) {
			list = L->by_type + L->types[j].first;
			nlist = L->types[j].n;
			break;
		}
	for (j = 0; j < nlist; j++) {
		const struct agg_spec *sp = &L->specs[s = list[j]];
		struct aggval *a = &p->aggs[s];
		struct cell *c;
		int64_t num = 0;

		if (sp->where && !match(ctx, sp, d, ev))
			continue;
		buf_reset(&val);
		if (sp->prop) {
			v = props ? json_get_path(d, props, sp->prop) : 0;
			if (!v || d->t[v].type == JSON_NULL)
				continue;
			if (sp->fn == AGG_SUM || sp->fn == AGG_MIN || sp->fn == AGG_MAX) {
				if (d->t[v].type != JSON_NUMBER ||
				    fix_parse(d->s + d->t[v].off, d->t[v].len, &num))
					continue;
			} else {
				json_write_tok(d, v, &val);
			}
		} else if (sp->fn == AGG_FIRST || sp->fn == AGG_LAST || sp->fn == AGG_TOP ||
			   sp->fn == AGG_DISTINCT) {
			json_write_str(&val, type, tlen);
		}
		profile_agg_ready(p, L, s);
		if (!a->present) {
			aggval_clear(a);
			a->present = 1;
		}
		a->raw = NULL;
		c = sp->window ? bucket_of(a, day_of(ts)) : &a->life;
		cell_add(c, sp->fn, ts, num, val.p ? val.p : "", val.len);
	}
}

void profile_merge(struct profile *dst, const struct profile *src,
		   const struct profile_layout *L)
{
	unsigned i, k;

	if (!src->nevents && !src->ntraits)
		return;
	if (src->nevents) {
		if (!dst->nevents || src->first_seen < dst->first_seen)
			dst->first_seen = src->first_seen;
		if (!dst->nevents || src->last_seen > dst->last_seen)
			dst->last_seen = src->last_seen;
		dst->nevents += src->nevents;
	}
	for (i = 0; i < src->ntraits; i++)
		trait_set(dst, src->traits[i].name, src->traits[i].ts, src->traits[i].v.p,
			  src->traits[i].v.len);
	for (i = 0; i < L->naggs; i++) {
		const struct aggval *sa = &src->aggs[i];
		struct aggval *da = &dst->aggs[i];
		enum agg_fn fn = L->specs[i].fn;
		profile_agg_ready(src, L, i);
		profile_agg_ready(dst, L, i);
		if (!sa->present)
			continue;
		if (!da->present) {
			aggval_clear(da);
			da->present = 1;
		}
		da->raw = NULL;
		if (!L->specs[i].window)
			cell_merge(&da->life, &sa->life, fn);
		else
			for (k = 0; k < sa->nb; k++)
				cell_merge(bucket_of(da, sa->b[k].day), &sa->b[k].c, fn);
	}
}

int profile_window_moved(const struct profile *p, const struct profile_layout *L,
			 unsigned i, int64_t clock)
{
	const struct aggval *a = &p->aggs[i];
	int32_t first = day_of(clock) - (int32_t)L->specs[i].window + 1;

	if (!L->specs[i].window || !a->present)
		return 0;
	if (a->lazy) {
		struct rd r = {a->raw, a->raw + a->rawlen, 0};
		uint64_t nb = get_uv(&r);
		int64_t day = nb ? get_sv(&r) : 0;
		return r.bad || (nb && day < first);
	}
	return a->nb && a->b[0].day < first;
}

void profile_prune(struct profile *p, const struct profile_layout *L, int64_t clock)
{
	unsigned i, k, drop;
	int32_t today = day_of(clock);

	for (i = 0; i < L->naggs; i++) {
		struct aggval *a = &p->aggs[i];
		int32_t first = today - (int32_t)L->specs[i].window + 1;
		if (!L->specs[i].window || !a->present)
			continue;
		if (a->lazy) {
			/* its first day, read from its bytes: nothing to drop,
			 * nothing to decode */
			struct rd r = {a->raw, a->raw + a->rawlen, 0};
			uint64_t nb = get_uv(&r);
			int64_t day = nb ? get_sv(&r) : 0;
			if (!r.bad && (!nb || day >= first))
				continue;
			profile_agg_ready(p, L, i);
		}
		if (!a->nb || a->b[0].day >= first)
			continue;
		for (drop = 0; drop < a->nb && a->b[drop].day < first; drop++)
			;
		a->raw = NULL;
		/* rotate the dropped buckets (and their memory) to the end */
		for (k = 0; k < drop; k++) {
			struct bucket t = a->b[0];
			memmove(a->b, a->b + 1, (a->nb - 1) * sizeof *a->b);
			a->b[a->nb - 1] = t;
			cell_clear(&a->b[a->nb - 1].c);
			a->nb--;
		}
		if (!a->nb)
			a->present = 0;
	}
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static double estimate_distinct(const struct cell *c)
{
	if (c->nset < AGG_DISTINCT_K)
		return c->nset;
	/* k smallest of uniform 32-bit hashes: (k - 1) / (the k-th / 2^32) */
	return floor((AGG_DISTINCT_K - 1) / (((double)c->set[c->nset - 1] + 1) / 4294967296.0));
}

/* Scratch of profile_agg, one per thread (several may evaluate). */
static __thread uint32_t *gaps;
static __thread unsigned capgaps;
static __thread struct cell acc;

void profile_scratch_release(void)
{
	free(gaps);
	gaps = NULL;
	capgaps = 0;
	cell_release(&acc);
	memset(&acc, 0, sizeof acc);
}

static void cell_result(const struct cell *c, enum agg_fn fn, struct aggres *r)
{
	memset(r, 0, sizeof *r);
	switch (fn) {
	case AGG_COUNT:
		r->has = 1;
		r->num = (double)c->n;
		break;
	case AGG_SUM:
		r->has = 1;
		r->num = (double)c->sum / FIX_SCALE;
		break;
	case AGG_MIN:
	case AGG_MAX:
		r->has = c->n > 0;
		r->num = (double)(fn == AGG_MIN ? c->min : c->max) / FIX_SCALE;
		break;
	case AGG_FIRST:
	case AGG_LAST:
		r->has = c->n > 0;
		r->ts = c->ts;
		r->s = c->v.p;
		r->n = c->v.len;
		break;
	case AGG_DISTINCT:
		r->has = 1;
		r->num = estimate_distinct(c);
		break;
	case AGG_TOP: {
		unsigned i, w = 0;
		r->has = c->ntop > 0;
		for (i = 1; i < c->ntop; i++)
			if (c->top[i].count > c->top[w].count ||
			    (c->top[i].count == c->top[w].count &&
			     top_cmp_val(&c->top[i].v, c->top[w].v.p, c->top[w].v.len) < 0))
				w = i;
		if (r->has) {
			r->s = c->top[w].v.p;
			r->n = c->top[w].v.len;
		}
		break;
	}
	case AGG_DAYS: {
		/* the median gap in days between consecutive active days
		 * (scratch of the thread: profile_scratch_release) */
		uint32_t *g = gaps;
		unsigned i, m;
		if (c->nset < 2)
			break;
		m = c->nset - 1;
		if (m > capgaps) {
			capgaps = m * 2;
			g = gaps = xrealloc(gaps, capgaps * sizeof *g);
		}
		for (i = 0; i < m; i++)
			g[i] = c->set[i + 1] - c->set[i];
		qsort(g, m, sizeof *g, u32_cmp);
		r->has = 1;
		r->num = m % 2 ? g[m / 2] : (g[m / 2 - 1] + g[m / 2]) / 2.0;
		r->ts = ((int64_t)c->set[c->nset - 1] - 0x40000000) * DAY_MS;
		break;
	}
	default:
		break;
	}
	if ((fn == AGG_FIRST || fn == AGG_LAST || fn == AGG_TOP) && r->has && r->n)
		r->is_num = r->s[0] == '-' || (r->s[0] >= '0' && r->s[0] <= '9');
}

void profile_agg(const struct profile *p, const struct profile_layout *L,
		 unsigned i, int64_t clock, struct aggres *r)
{
	const struct agg_spec *sp = &L->specs[i];
	const struct aggval *a = &p->aggs[i];
	int32_t first;
	unsigned k;

	profile_agg_ready(p, L, i);
	if (!a->present) {
		cell_clear(&acc);
		cell_result(&acc, sp->fn, r);
		return;
	}
	if (!sp->window) {
		cell_result(&a->life, sp->fn, r);
		return;
	}
	first = day_of(clock) - (int32_t)sp->window + 1;
	cell_clear(&acc);
	for (k = 0; k < a->nb; k++)
		if (a->b[k].day >= first && a->b[k].day <= day_of(clock))
			cell_merge(&acc, &a->b[k].c, sp->fn);
	cell_result(&acc, sp->fn, r);
	(void)cell_copy;
}

/* ---- the fold form: a profile another store can read ---- */

/* Aggregate a (spec sp) as its encoding writes it, after its number and
 * length. */
static void agg_encode(const struct aggval *a, const struct agg_spec *sp, struct buf *out)
{
	unsigned k;

	if (!sp->window) {
		cell_encode(&a->life, sp->fn, out);
	} else {
		int64_t prev = 0;
		put_uv(out, a->nb);
		for (k = 0; k < a->nb; k++) {
			put_sv(out, a->b[k].day - prev);
			prev = a->b[k].day;
			cell_encode(&a->b[k].c, sp->fn, out);
		}
	}
}

void profile_fold_write(const struct profile *p, const struct profile_layout *L,
			const char *(*slot_name)(void *ctx, uint32_t slot, size_t *n), void *ctx,
			struct buf *out)
{
	static const char hex[] = "0123456789abcdef";
	struct buf b = BUF_INIT;
	unsigned i, k, first;
	size_t j;

	buf_adds(out, "{\"events\":");
	buf_u64(out, p->nevents);
	buf_adds(out, ",\"first_seen\":");
	buf_i64(out, p->nevents ? p->first_seen : 0);
	buf_adds(out, ",\"last_seen\":");
	buf_i64(out, p->nevents ? p->last_seen : 0);
	buf_adds(out, ",\"traits\":{");
	for (first = 1, i = 0; i < p->ntraits; i++) {
		size_t n;
		const char *name = slot_name(ctx, p->traits[i].name, &n);
		if (!name)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_str(out, name, n);
		buf_adds(out, ":[");
		buf_i64(out, p->traits[i].ts);
		buf_addc(out, ',');
		buf_add(out, p->traits[i].v.p ? p->traits[i].v.p : "null", p->traits[i].v.p ? p->traits[i].v.len : 4);
		buf_addc(out, ']');
	}
	/* aggregates by canonical text, in slot order (the same bytes
	 * whatever the order of the definitions) */
	buf_adds(out, "},\"aggs\":{");
	for (first = 1, k = 0; k < L->naggs; k++) {
		uint32_t ix = L->agg_order[k];
		const struct agg_spec *sp = &L->specs[ix];
		profile_agg_ready(p, L, ix);
		if (agg_empty(&p->aggs[ix], sp))
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_str(out, sp->canon, strlen(sp->canon));
		buf_adds(out, ":\"");
		buf_reset(&b);
		agg_encode(&p->aggs[ix], sp, &b);
		for (j = 0; j < b.len; j++) {
			buf_addc(out, hex[(unsigned char)b.p[j] >> 4]);
			buf_addc(out, hex[(unsigned char)b.p[j] & 15]);
		}
		buf_addc(out, '"');
	}
	buf_adds(out, "}}");
	buf_release(&b);
}

/* Number token t as an integer (plain digits, an optional minus): 0 with
 * *v set, or -1. */
static int tok_i64(const struct json_doc *d, uint32_t t, int64_t *v)
{
	const char *s = d->s + d->t[t].off;
	size_t n = d->t[t].len, i = 0;
	uint64_t x = 0;
	int neg = 0;

	if (d->t[t].type != JSON_NUMBER || !n)
		return -1;
	if (s[0] == '-')
		neg = i = 1;
	if (i == n || n - i > 18)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int profile_fold_read(struct profile *p, const struct profile_layout *L, const struct json_doc *d,
		      uint32_t obj, uint32_t (*name_slot)(void *ctx, const char *name, size_t n),
		      void *ctx)
{
	uint32_t t, i, k;
	struct buf name = BUF_INIT, bytes = BUF_INIT;
	int64_t v;
	int bad = 0;

	profile_reset(p, L, p->oneid);
	if (d->t[obj].type != JSON_OBJECT)
		return -1;
	if ((t = json_get(d, obj, "events", 6)) && !tok_i64(d, t, &v) && v >= 0)
		p->nevents = (uint64_t)v;
	if ((t = json_get(d, obj, "first_seen", 10)) && d->t[t].type == JSON_NUMBER &&
	    !tok_i64(d, t, &v))
		p->first_seen = v;
	if ((t = json_get(d, obj, "last_seen", 9)) && d->t[t].type == JSON_NUMBER &&
	    !tok_i64(d, t, &v))
		p->last_seen = v;
	if ((t = json_get(d, obj, "traits", 6)) && d->t[t].type == JSON_OBJECT) {
		for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i + 1].next) {
			uint32_t a = i + 1, slot;
			struct buf val = BUF_INIT;
			if (d->t[a].type != JSON_ARRAY || d->t[a].size != 2 || tok_i64(d, a + 1, &v)) {
				bad = 1;
				continue;
			}
			buf_reset(&name);
			json_str_get(d, i, &name);
			slot = name_slot(ctx, name.p ? name.p : "", name.len);
			if (slot == UINT32_MAX)
				continue;
			json_write_tok(d, d->t[a + 1].next, &val);
			trait_set(p, slot, v, val.p ? val.p : "", val.len);
			buf_release(&val);
		}
	}
	if ((t = json_get(d, obj, "aggs", 4)) && d->t[t].type == JSON_OBJECT) {
		for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i + 1].next) {
			const struct json_tok *h = &d->t[i + 1];
			unsigned ix;
			size_t j;
			buf_reset(&name);
			json_str_get(d, i, &name);
			for (ix = 0; ix < L->naggs; ix++)
				if (strlen(L->specs[ix].canon) == name.len &&
				    !memcmp(L->specs[ix].canon, name.p, name.len))
					break;
			if (ix == L->naggs) /* not kept here: not asked for */
				continue;
			if (h->type != JSON_STRING || h->esc || h->len % 2) {
				bad = 1;
				continue;
			}
			buf_reset(&bytes);
			for (j = 0; j < h->len; j += 2) {
				int hi = hexval(d->s[h->off + j]), lo = hexval(d->s[h->off + j + 1]);
				if (hi < 0 || lo < 0)
					break;
				buf_addc(&bytes, (char)(hi << 4 | lo));
			}
			if (j < h->len || agg_decode(&p->aggs[ix], &L->specs[ix],
						     (const unsigned char *)bytes.p, bytes.len)) {
				aggval_clear(&p->aggs[ix]);
				bad = 1;
			}
			p->aggs[ix].raw = NULL; /* the bytes go: nothing points at them */
			p->aggs[ix].hdr = NULL;
		}
	}
	buf_release(&name);
	buf_release(&bytes);
	return bad ? -1 : 0;
}
