#include "fold.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

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
