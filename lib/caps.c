#include "caps.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "store.h"

int caps_load(struct caps *c, struct conf *cf, unsigned obj)
{
	static const char *const keys[] = {"name", "channel", "window", "max", "reserve", "reserve_priority",
					   "description", NULL};
	const struct json_doc *d = &cf->doc;
	unsigned k, i;

	memset(c, 0, sizeof *c);
	if (d->t[obj].type != JSON_ARRAY)
		return conf_fail(cf, obj, NULL, "want \"caps\": an array of caps");
	c->v = xcalloc(d->t[obj].size + 1, sizeof *c->v);
	for (k = 0, i = obj + 1; k < d->t[obj].size; k++, i = d->t[i].next) {
		struct cap *p = &c->v[c->n++];
		char *win = NULL;
		long long v;
		uint32_t t;
		if (d->t[i].type != JSON_OBJECT)
			return conf_fail(cf, i, NULL, "a cap is an object: {\"name\", \"channel\", \"window\", \"max\"}");
		if (conf_keys(cf, i, keys) || conf_str(cf, i, "name", &p->name) < 0 ||
		    conf_str(cf, i, "channel", &p->channel) < 0 || conf_str(cf, i, "window", &win) < 0)
			return -1;
		if (!p->name) {
			free(win);
			return conf_fail(cf, i, NULL, "a cap wants a \"name\"");
		}
		if (!win || clock_parse_duration(win, &p->window_ms) || p->window_ms <= 0) {
			free(win);
			return conf_fail(cf, i, "window", "want a duration such as \"1d\" or \"7d\"");
		}
		free(win);
		if (conf_int(cf, i, "max", &v) != 1 || v < 0 || v > 255)
			return conf_fail(cf, i, "max", "want a number of sends, 0 … 255");
		p->max = (long)v;
		v = 0;
		if (conf_int(cf, i, "reserve", &v) < 0 || v < 0 || v > p->max)
			return conf_fail(cf, i, "reserve", "want a number of slots, 0 … max");
		p->reserve = (long)v;
		if ((t = json_get(d, i, "reserve_priority", 16))) {
			if (d->t[t].type != JSON_NUMBER)
				return conf_fail(cf, i, "reserve_priority", "want a number");
			p->reserve_priority = strtod(d->s + d->t[t].off, NULL);
		} else if (p->reserve) {
			return conf_fail(cf, i, "reserve_priority", "a reserve wants the priority it is kept for");
		}
		if (p->window_ms > c->longest_ms)
			c->longest_ms = p->window_ms;
	}
	return 0;
}

void caps_free(struct caps *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].channel);
	}
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* Walk the records of hist: 1 with *ts, *ch, *chn set, 0 at the end. */
static int next_rec(const unsigned char **p, const unsigned char *end, int64_t *ts, const char **ch, size_t *chn)
{
	if (end - *p < 9 || end - *p < 9 + (*p)[8])
		return 0;
	*ts = (int64_t)(((uint64_t)store_get_be32(*p) << 32) | store_get_be32(*p + 4));
	*chn = (*p)[8];
	*ch = (const char *)*p + 9;
	*p += 9 + *chn;
	return 1;
}

const struct cap *caps_check(const struct caps *c, const void *hist, size_t n, int64_t ts, const char *channel,
			     double priority)
{
	size_t i, cl = strlen(channel);

	if (!hist) /* no history: no pointer arithmetic on NULL */
		hist = "", n = 0;
	for (i = 0; i < c->n; i++) {
		const struct cap *p = &c->v[i];
		const unsigned char *q = hist, *end = q + n;
		const char *ch;
		size_t chn;
		int64_t t;
		long used = 0;
		if (p->channel && strcmp(p->channel, channel))
			continue;
		while (next_rec(&q, end, &t, &ch, &chn))
			if (t > ts - p->window_ms && t <= ts && (!p->channel || (chn == cl && !memcmp(ch, channel, cl))))
				used++;
		if (used >= p->max)
			return p;
		if (p->reserve && p->max - used <= p->reserve && priority < p->reserve_priority)
			return p;
	}
	return NULL;
}

void caps_add(const struct caps *c, const void *hist, size_t n, int64_t ts, const char *channel, struct buf *out)
{
	const unsigned char *q = hist ? hist : (const void *)"", *end = q + (hist ? n : 0), *rec;
	const char *ch;
	size_t chn, cl = strlen(channel);
	int64_t t;
	unsigned char head[9];

	buf_reset(out);
	for (rec = q; next_rec(&q, end, &t, &ch, &chn); rec = q)
		if (t > ts - c->longest_ms)
			buf_add(out, rec, (size_t)(q - rec));
	if (cl > 255)
		cl = 255;
	store_be32(head, (uint32_t)((uint64_t)ts >> 32));
	store_be32(head + 4, (uint32_t)ts);
	head[8] = (unsigned char)cl;
	buf_add(out, head, 9);
	buf_add(out, channel, cl);
}

void caps_fold(const void *a, size_t an, const void *b, size_t bn, struct buf *out)
{
	const unsigned char *p = a ? a : (const void *)"", *pe = p + (a ? an : 0);
	const unsigned char *q = b ? b : (const void *)"", *qe = q + (b ? bn : 0);
	const unsigned char *pr = p, *qr = q;
	const char *ch;
	size_t chn;
	int64_t tp = 0, tq = 0;
	int hp = next_rec(&p, pe, &tp, &ch, &chn), hq = next_rec(&q, qe, &tq, &ch, &chn);

	buf_reset(out);
	while (hp || hq) {
		if (hp && (!hq || tp <= tq)) {
			buf_add(out, pr, (size_t)(p - pr));
			pr = p;
			hp = next_rec(&p, pe, &tp, &ch, &chn);
		} else {
			buf_add(out, qr, (size_t)(q - qr));
			qr = q;
			hq = next_rec(&q, qe, &tq, &ch, &chn);
		}
	}
}
