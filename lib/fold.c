#include "fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "filter.h"
#include "seen.h"
#include "sysrec.h"

void fold_id(struct buf *b, const char *merge_id, size_t n, uint32_t oneid)
{
	char num[16];

	buf_reset(b);
	buf_adds(b, "fold:");
	buf_add(b, merge_id, n);
	buf_addc(b, ':');
	buf_add(b, num, (size_t)u32_dec(num, oneid));
}

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static struct fold_stream *find(const struct fold_book *fb, uint32_t stream)
{
	unsigned i;

	for (i = 0; i < fb->ns; i++)
		if (fb->s[i].stream == stream)
			return &fb->s[i];
	return NULL;
}

static struct fold_stream *get(struct fold_book *fb, uint32_t stream)
{
	struct fold_stream *s = find(fb, stream);

	if (s)
		return s;
	if (fb->ns == fb->caps) {
		fb->caps = fb->caps ? 2 * fb->caps : 4;
		fb->s = xrealloc(fb->s, fb->caps * sizeof *fb->s);
	}
	s = &fb->s[fb->ns++];
	memset(s, 0, sizeof *s);
	s->stream = stream;
	return s;
}

int fold_busy(const struct fold_book *fb, uint32_t stream)
{
	const struct fold_stream *s = find(fb, stream);

	return s && s->waits;
}

void fold_set_aside(struct fold_book *fb, uint32_t stream, const char *p, size_t n)
{
	struct fold_stream *s = get(fb, stream);
	unsigned char len[4];

	len[0] = (unsigned char)(n >> 24);
	len[1] = (unsigned char)(n >> 16);
	len[2] = (unsigned char)(n >> 8);
	len[3] = (unsigned char)n;
	buf_add(&s->aside, len, 4);
	buf_add(&s->aside, p, n);
	fb->aside++;
}

/* Take the early $fold at index i into the waiting merge of s when it is
 * one of its own: 1 taken, 0 not. */
static int take_early(struct fold_book *fb, struct fold_stream *s, unsigned i, struct buf *id)
{
	struct fold_early *e = &fb->e[i];
	unsigned k;

	if (e->stream != s->stream)
		return 0;
	for (k = 0; k < s->n; k++) {
		fold_id(id, s->id.p, s->id.len, s->need[k]);
		if (id->len != e->id.len || memcmp(id->p, e->id.p, id->len))
			continue;
		if (!s->got[k].len) {
			buf_add(&s->got[k], e->rec.p, e->rec.len);
			s->missing--;
		}
		buf_release(&e->id);
		buf_release(&e->rec);
		fb->e[i] = fb->e[--fb->ne];
		s->nearly--;
		return 1;
	}
	return 0;
}

int fold_wait(struct fold_book *fb, uint32_t stream, const char *rec, size_t n, const char *id,
	      size_t idn, const uint32_t *need, unsigned nneed)
{
	struct fold_stream *s = get(fb, stream);
	struct buf tmp = BUF_INIT;
	unsigned i;

	s->waits = 1;
	buf_reset(&s->merge);
	buf_add(&s->merge, rec, n);
	buf_reset(&s->id);
	buf_add(&s->id, id, idn);
	for (i = 0; i < s->n; i++)
		buf_release(&s->got[i]);
	s->need = xrealloc(s->need, (nneed ? nneed : 1) * sizeof *s->need);
	s->got = xrealloc(s->got, (nneed ? nneed : 1) * sizeof *s->got);
	for (i = 0; i < nneed; i++) {
		s->need[i] = need[i];
		s->got[i] = (struct buf)BUF_INIT;
	}
	s->n = s->missing = nneed;
	for (i = 0; i < fb->ne && s->nearly;)
		if (!take_early(fb, s, i, &tmp))
			i++;
	buf_release(&tmp);
	s->since_ms = now_ms();
	fb->waits++;
	return !s->missing;
}

int fold_offer(struct fold_book *fb, uint32_t stream, const char *id, size_t idn, const char *p,
	       size_t n)
{
	struct fold_stream *s = get(fb, stream);
	struct fold_early *e;
	struct buf want = BUF_INIT;
	unsigned k;

	if (s->waits) {
		for (k = 0; k < s->n; k++) {
			fold_id(&want, s->id.p, s->id.len, s->need[k]);
			if (want.len == idn && !memcmp(want.p, id, idn))
				break;
		}
		buf_release(&want);
		if (k < s->n) {
			if (s->got[k].len)
				return 3;
			buf_add(&s->got[k], p, n);
			return --s->missing == 0;
		}
	}
	for (k = 0; k < fb->ne; k++)
		if (fb->e[k].stream == stream && fb->e[k].id.len == idn && !memcmp(fb->e[k].id.p, id, idn))
			return 2; /* kept already */
	if (fb->ne == fb->cape) {
		fb->cape = fb->cape ? 2 * fb->cape : 4;
		fb->e = xrealloc(fb->e, fb->cape * sizeof *fb->e);
	}
	e = &fb->e[fb->ne++];
	e->stream = stream;
	e->id = (struct buf)BUF_INIT;
	e->rec = (struct buf)BUF_INIT;
	buf_add(&e->id, id, idn);
	buf_add(&e->rec, p, n);
	s->nearly++;
	fb->early++;
	return 2;
}

const struct buf *fold_merge(const struct fold_book *fb, uint32_t stream)
{
	const struct fold_stream *s = find(fb, stream);

	return s && s->waits ? &s->merge : NULL;
}

const struct buf *fold_got(const struct fold_book *fb, uint32_t stream, unsigned i)
{
	const struct fold_stream *s = find(fb, stream);

	return s && s->waits && i < s->n ? &s->got[i] : NULL;
}

void fold_done(struct fold_book *fb, uint32_t stream)
{
	struct fold_stream *s = find(fb, stream);
	long long ms;

	if (!s || !s->waits)
		return;
	s->waits = 0;
	ms = now_ms() - s->since_ms;
	fb->wait_ms += ms;
	if (ms > fb->wait_ms_max)
		fb->wait_ms_max = ms;
}

int fold_next(struct fold_book *fb, uint32_t stream, struct buf *out)
{
	struct fold_stream *s = find(fb, stream);
	const unsigned char *q;
	size_t n;

	if (!s || s->waits || s->next >= s->aside.len)
		return 0;
	q = (const unsigned char *)s->aside.p + s->next;
	n = (size_t)q[0] << 24 | (size_t)q[1] << 16 | (size_t)q[2] << 8 | q[3];
	buf_reset(out);
	buf_add(out, q + 4, n);
	s->next += 4 + n;
	if (s->next >= s->aside.len) {
		buf_reset(&s->aside);
		s->next = 0;
	}
	return 1;
}

int fold_quiet(const struct fold_book *fb, uint32_t stream)
{
	const struct fold_stream *s = find(fb, stream);

	return !s || (!s->waits && s->next >= s->aside.len && !s->nearly);
}

int fold_pending(const struct fold_book *fb)
{
	unsigned i;

	for (i = 0; i < fb->ns; i++)
		if (fb->s[i].waits)
			return 1;
	return 0;
}

unsigned fold_streams(const struct fold_book *fb, uint32_t **v)
{
	unsigned i, j, n = 0;

	*v = xmalloc((fb->ns ? fb->ns : 1) * sizeof **v);
	for (i = 0; i < fb->ns; i++)
		if (!fold_quiet(fb, fb->s[i].stream)) {
			for (j = n++; j > 0 && (*v)[j - 1] > fb->s[i].stream; j--)
				(*v)[j] = (*v)[j - 1];
			(*v)[j] = fb->s[i].stream;
		}
	return n;
}

static void stream_release(struct fold_stream *s)
{
	unsigned i;

	for (i = 0; i < s->n; i++)
		buf_release(&s->got[i]);
	free(s->got);
	free(s->need);
	buf_release(&s->merge);
	buf_release(&s->id);
	buf_release(&s->aside);
}

void fold_clear_stream(struct fold_book *fb, uint32_t stream)
{
	unsigned i;

	for (i = 0; i < fb->ne;) {
		if (fb->e[i].stream == stream) {
			buf_release(&fb->e[i].id);
			buf_release(&fb->e[i].rec);
			fb->e[i] = fb->e[--fb->ne];
		} else {
			i++;
		}
	}
	for (i = 0; i < fb->ns; i++)
		if (fb->s[i].stream == stream) {
			stream_release(&fb->s[i]);
			fb->s[i] = fb->s[--fb->ns];
			return;
		}
}

void fold_clear(struct fold_book *fb)
{
	while (fb->ns)
		fold_clear_stream(fb, fb->s[0].stream);
	while (fb->ne)
		fold_clear_stream(fb, fb->e[0].stream);
}

void fold_free(struct fold_book *fb)
{
	fold_clear(fb);
	free(fb->s);
	free(fb->e);
	memset(fb, 0, sizeof *fb);
}

void fold_print(const struct fold_book *fb, unsigned long long written, unsigned long long read)
{
	if (!written && !read && !fb->waits && !fb->early)
		return;
	fprintf(stderr, "%s: merges across streams: %llu $fold written, %llu read; %llu $merge waited, "
		"holding their stream %.1f ms on average, %lld ms at most; %llu $fold came early; "
		"%llu records set aside\n", cli_prog, written, read, fb->waits,
		fb->waits ? (double)fb->wait_ms / (double)fb->waits : 0.0, fb->wait_ms_max, fb->early,
		fb->aside);
}

/* The driver */

/* Nothing of the current stream is held any more: its position is stored
 * again. */
static void release_if_quiet(struct fold_driver *dv)
{
	struct filter *f = dv->f;

	if (!fold_quiet(&dv->fb, *dv->stream))
		return;
	if (f->in && f->in->kafka)
		filter_release(f, f->in->msg.topic, (int32_t)*dv->stream);
	else
		filter_release(f, NULL, 0);
}

/* The copy of the $merge for the stream of merged oneid `leaving`. */
static void on_leaving(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n,
		       uint32_t oneid, uint32_t t_lv, int64_t ts)
{
	struct filter *f = dv->f;
	uint32_t lv, t_id = json_get(d, 0, "event_id", 8), t_ts = json_get(d, 0, "ts", 2);
	char lkey[16], okey[16];
	int r, lkl, okl;

	json_oneid(d, t_lv, &lv);
	r = seen_check(dv->seen, ts, *dv->clock, d->s + d->t[t_id].off, d->t[t_id].len);
	if (r) {
		if (r < 0)
			f->fatal = EXIT_IO;
		else
			f->oc.dups++;
		return;
	}
	f->oc.passed++;
	lkl = u32_dec(lkey, lv);
	if (filter_emit(f, lkey, (size_t)lkl, s, n))
		return;
	buf_reset(&dv->out);
	buf_adds(&dv->out, "{\"type\":\"$fold\",\"event_id\":\"fold:");
	buf_add(&dv->out, d->s + d->t[t_id].off, d->t[t_id].len);
	buf_adds(&dv->out, "\",\"ts\":\"");
	buf_add(&dv->out, d->s + d->t[t_ts].off, d->t[t_ts].len);
	okl = u32_dec(okey, oneid);
	buf_adds(&dv->out, "\",\"oneid\":");
	buf_add(&dv->out, okey, (size_t)okl);
	buf_adds(&dv->out, ",\"merged\":");
	buf_add(&dv->out, lkey, (size_t)lkl);
	buf_adds(&dv->out, ",\"state\":");
	if (dv->ops->leave(dv->ctx, lv, d, t_id, &dv->out) < 0)
		return;
	buf_addc(&dv->out, '}');
	if (filter_emit_input(f, okey, (size_t)okl, dv->out.p, dv->out.len) > 1)
		return;
	dv->written++;
}

/* Hand the records set aside on the current stream to the tool, in their
 * order, until one waits again. */
static void drain(struct fold_driver *dv)
{
	struct buf r = BUF_INIT;
	uint32_t st = *dv->stream;

	while (!dv->f->fatal && !dv->f->redo && fold_next(&dv->fb, st, &r)) {
		dv->f->oc.raw = r.p;
		dv->f->oc.raw_n = r.len;
		dv->ops->process(dv->ctx, r.p, r.len);
		dv->ops->stream(dv->ctx, st);
	}
	buf_release(&r);
}

/*
 * The $merge waiting on the current stream has its $folds (or the input
 * ended): applied in its place, as the tool applies one whose people are
 * all in its store, then the records set aside behind it.
 */
static void merge_ready(struct fold_driver *dv)
{
	struct filter *f = dv->f;
	uint32_t st = *dv->stream;
	const struct buf *m = fold_merge(&dv->fb, st);
	struct json_doc *d = &dv->doc, *fd = &dv->fdoc;
	uint32_t oneid, t_id, t_m, k, i, mid;
	const char *why;
	size_t at;
	unsigned j = 0;
	int any = 0, r;

	if (!m)
		return;
	if (json_parse(d, m->p, m->len, 64, &why, &at)) { /* it was read already */
		fold_done(&dv->fb, st);
		return;
	}
	json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
	t_id = json_get(d, 0, "event_id", 8);
	t_m = json_get(d, 0, "merged", 6);
	{
		int64_t ts;
		clock_parse_tok(d, json_get(d, 0, "ts", 2), &ts);
		r = seen_check(dv->seen, ts, *dv->clock, d->s + d->t[t_id].off, d->t[t_id].len);
	}
	if (r < 0) {
		f->fatal = EXIT_IO;
		return;
	}
	f->oc.passed++;
	{
		char key[16];
		int kl = u32_dec(key, oneid);
		if (filter_emit(f, key, (size_t)kl, m->p, m->len))
			return;
	}
	if (dv->ops->begin(dv->ctx, d, oneid, t_id) < 0)
		return;
	for (k = 0, i = t_m + 1; k < d->t[t_m].size; k++, i = d->t[i].next) {
		const struct buf *fb;
		uint32_t ts_, fid;
		int64_t fts;
		if (json_oneid(d, i, &mid) || mid == oneid)
			continue;
		fb = fold_got(&dv->fb, st, j++);
		if (!fb || !fb->len) {
			cli_err("'$merge' %.*s: no $fold of oneid %u came before the input ended: its state is not "
				"folded in", (int)d->t[t_id].len, d->s + d->t[t_id].off, mid);
			continue;
		}
		if (json_parse(fd, fb->p, fb->len, 64, &why, &at))
			continue;
		fid = json_get(fd, 0, "event_id", 8);
		clock_parse_tok(fd, json_get(fd, 0, "ts", 2), &fts);
		if (seen_check(dv->seen, fts, *dv->clock, fd->s + fd->t[fid].off, fd->t[fid].len) < 0) {
			f->fatal = EXIT_IO;
			return;
		}
		dv->read++;
		ts_ = json_get(fd, 0, "state", 5);
		if (fd->t[ts_].type != JSON_OBJECT)
			continue; /* the merged person had no state there */
		if (dv->ops->take(dv->ctx, mid, fd, ts_))
			cli_err("'$fold' %.*s: a part of the state was not read", (int)fd->t[fid].len,
				fd->s + fd->t[fid].off);
		any = 1;
	}
	fold_done(&dv->fb, st);
	dv->ops->end(dv->ctx, d, t_id, any);
	drain(dv);
}

/* The survivor's copy of a $merge: it waits, with the stream's later
 * records, for the $fold of each merged oneid; one applied already is a
 * duplicate. */
static void on_across(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n,
		      uint32_t oneid, int64_t ts)
{
	uint32_t t_id = json_get(d, 0, "event_id", 8), t_m = json_get(d, 0, "merged", 6), k, i, mid;
	uint32_t *need;
	unsigned nneed = 0, j;
	int r = seen_has(dv->seen, ts, *dv->clock, d->s + d->t[t_id].off, d->t[t_id].len);

	if (r) {
		if (r < 0)
			dv->f->fatal = EXIT_IO;
		else
			dv->f->oc.dups++;
		return;
	}
	need = xmalloc((d->t[t_m].size + 1) * sizeof *need);
	for (k = 0, i = t_m + 1; k < d->t[t_m].size; k++, i = d->t[i].next) {
		if (json_oneid(d, i, &mid) || mid == oneid)
			continue;
		for (j = 0; j < nneed && need[j] != mid; j++)
			;
		if (j == nneed)
			need[nneed++] = mid;
	}
	r = fold_wait(&dv->fb, *dv->stream, s, n, d->s + d->t[t_id].off, d->t[t_id].len, need, nneed);
	free(need);
	if (!r) {
		filter_hold(dv->f); /* its position stays stored until it is applied */
		return;
	}
	merge_ready(dv);
	release_if_quiet(dv);
}

/* Does the $merge waiting on stream wait for the $fold id[0..n)? */
static int wanted(const struct fold_book *fb, uint32_t stream, const char *id, size_t n)
{
	const struct fold_stream *s = find(fb, stream);
	struct buf want = BUF_INIT;
	unsigned k;
	int r = 0;

	for (k = 0; s && s->waits && k < s->n && !r; k++) {
		fold_id(&want, s->id.p, s->id.len, s->need[k]);
		r = want.len == n && !memcmp(want.p, id, n);
	}
	buf_release(&want);
	return r;
}

int fold_driver_merge(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n,
		      uint32_t survivor, int64_t ts)
{
	uint32_t t_lv = json_get(d, 0, "leaving", 7), t_ac = json_get(d, 0, "across", 6);

	if (t_lv) {
		on_leaving(dv, d, s, n, survivor, t_lv, ts);
		return 1;
	}
	if (t_ac && d->t[t_ac].type == JSON_TRUE) {
		on_across(dv, d, s, n, survivor, ts);
		return 1;
	}
	return 0;
}

void fold_driver_fold(struct fold_driver *dv, const struct json_doc *d, const char *s, size_t n)
{
	struct filter *f = dv->f;
	uint32_t t_id = json_get(d, 0, "event_id", 8);
	const char *why;
	int64_t ts;
	int r;

	if ((why = sysrec_check(d, 0, "$fold"))) {
		outcome_reject(&f->oc, why, strlen(why));
		return;
	}
	clock_parse_tok(d, json_get(d, 0, "ts", 2), &ts);
	r = seen_has(dv->seen, ts, *dv->clock, d->s + d->t[t_id].off, d->t[t_id].len);
	if (r) {
		if (r < 0)
			f->fatal = EXIT_IO;
		else
			f->oc.dups++;
		return;
	}
	/* one older than the dedupe window that no $merge waits for is one
	 * applied already (its $merge is as old): kept, it would hold the
	 * stream's position for a $merge that never comes */
	if (dv->seen->days > 0 && ts < *dv->clock - (int64_t)dv->seen->days * 86400000 &&
	    !wanted(&dv->fb, *dv->stream, d->s + d->t[t_id].off, d->t[t_id].len)) {
		f->oc.dups++;
		dv->stale++;
		return;
	}
	r = fold_offer(&dv->fb, *dv->stream, d->s + d->t[t_id].off, d->t[t_id].len, s, n);
	if (r == 3) {
		f->oc.dups++;
		return;
	}
	f->oc.skipped++;
	if (r == 2) {
		filter_hold(f); /* kept until its $merge comes */
		return;
	}
	if (r == 1)
		merge_ready(dv);
	release_if_quiet(dv);
}

int fold_driver_aside(struct fold_driver *dv, uint32_t stream, const char *p, size_t n)
{
	const char *why;
	size_t at;
	uint32_t t;

	if (!fold_busy(&dv->fb, stream))
		return 0;
	if (!json_parse(&dv->fdoc, p, n, 64, &why, &at) && dv->fdoc.t[0].type == JSON_OBJECT &&
	    (t = json_get(&dv->fdoc, 0, "type", 4)) && json_str_eq(&dv->fdoc, t, "$fold", 5))
		return 0;
	fold_set_aside(&dv->fb, stream, p, n);
	return 1;
}

int fold_driver_waiting(struct fold_driver *dv)
{
	return fold_pending(&dv->fb);
}

void fold_driver_end(struct fold_driver *dv)
{
	uint32_t *v;
	unsigned n = fold_streams(&dv->fb, &v), i;
	uint32_t was = dv->f->stream;

	/* The records set aside are handled as of their own stream: the
	 * filter names it while they are, not the last stream read. */
	for (i = 0; i < n && !dv->f->fatal; i++) {
		dv->f->stream = v[i];
		dv->ops->stream(dv->ctx, v[i]);
		while (fold_busy(&dv->fb, v[i]) && !dv->f->fatal && !dv->f->redo)
			merge_ready(dv);
	}
	dv->f->stream = was;
	free(v);
	if (dv->fb.ne)
		cli_err("%u $fold records came with no $merge waiting for them", dv->fb.ne);
	fold_clear(&dv->fb);
	filter_release(dv->f, NULL, 0);
}

void fold_driver_revoked(struct fold_driver *dv)
{
	fold_clear(&dv->fb);
}

void fold_driver_print(const struct fold_driver *dv)
{
	fold_print(&dv->fb, dv->written, dv->read);
	if (dv->stale)
		fprintf(stderr, "%s: %llu $fold records older than the dedupe window with no $merge waiting: "
			"dropped as duplicates\n", cli_prog, dv->stale);
}

void fold_driver_free(struct fold_driver *dv)
{
	fold_free(&dv->fb);
	json_doc_release(&dv->doc);
	json_doc_release(&dv->fdoc);
	buf_release(&dv->out);
}
