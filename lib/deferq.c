#include "deferq.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

struct deferq_stream {
	uint32_t stream;
	struct deferq_ent *v;
	size_t n, cap;
};

static int less(const struct deferq_ent *a, const struct deferq_ent *b)
{
	if (a->until != b->until)
		return a->until < b->until;
	return strcmp(a->id, b->id) < 0;
}

/* The heap of stream s (made when make), or NULL. */
static struct deferq_stream *stream_of(struct deferq *q, uint32_t s, int make)
{
	size_t lo = 0, hi = q->ns;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (q->s[mid].stream < s)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < q->ns && q->s[lo].stream == s)
		return &q->s[lo];
	if (!make)
		return NULL;
	q->s = xrealloc(q->s, (q->ns + 1) * sizeof *q->s);
	memmove(&q->s[lo + 1], &q->s[lo], (q->ns - lo) * sizeof *q->s);
	memset(&q->s[lo], 0, sizeof *q->s);
	q->s[lo].stream = s;
	q->ns++;
	return &q->s[lo];
}

void deferq_add(struct deferq *q, uint32_t stream, int64_t until, const char *id, size_t idn, const char *send,
		size_t sendn)
{
	struct deferq_stream *h = stream_of(q, stream, 1);
	struct deferq_ent x = {until, xstrndup(id, idn), send ? xstrndup(send, sendn) : NULL};
	size_t i = h->n;

	if (h->n == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 64;
		h->v = xrealloc(h->v, h->cap * sizeof *h->v);
	}
	while (i > 0 && less(&x, &h->v[(i - 1) / 2])) {
		h->v[i] = h->v[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->v[i] = x;
	h->n++;
	q->total++;
}

int deferq_pop(struct deferq *q, uint32_t stream, int64_t clock, struct deferq_ent *e)
{
	struct deferq_stream *h = stream_of(q, stream, 0);
	struct deferq_ent last;
	size_t i = 0;

	if (!h || !h->n || h->v[0].until > clock)
		return 0;
	*e = h->v[0];
	last = h->v[--h->n];
	q->total--;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && less(&h->v[c + 1], &h->v[c]))
			c++;
		if (!less(&h->v[c], &last))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return 1;
}

size_t deferq_count(const struct deferq *q, uint32_t stream)
{
	size_t i;

	for (i = 0; i < q->ns; i++)
		if (q->s[i].stream == stream)
			return q->s[i].n;
	return 0;
}

void deferq_free(struct deferq *q)
{
	size_t i, j;

	for (i = 0; i < q->ns; i++) {
		for (j = 0; j < q->s[i].n; j++) {
			free(q->s[i].v[j].id);
			free(q->s[i].v[j].send);
		}
		free(q->s[i].v);
	}
	free(q->s);
	memset(q, 0, sizeof *q);
}
