#include "engage.h"

#include <string.h>

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(struct buf *b, uint32_t x)
{
	unsigned char p[4] = {(unsigned char)(x >> 24), (unsigned char)(x >> 16), (unsigned char)(x >> 8),
			      (unsigned char)x};
	buf_add(b, p, 4);
}

/* Compare a channel name with an entry's: <0, 0, >0. */
static int name_cmp(const char *a, size_t an, const unsigned char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c ? c : (an > bn) - (an < bn);
}

int engage_get(const void *v, size_t len, const char *channel, size_t n, uint32_t *sends, uint32_t *engaged)
{
	const unsigned char *p = v, *end = p ? p + len : NULL;

	*sends = *engaged = 0;
	while (p && p < end) {
		size_t l = *p;
		if (p + 1 + l + 8 > end)
			break; /* a torn entry: the rest is not read */
		if (!name_cmp(channel, n, p + 1, l)) {
			*sends = be32(p + 1 + l);
			*engaged = be32(p + 5 + l);
			return 1;
		}
		p += 1 + l + 8;
	}
	return 0;
}

static uint32_t sat_add(uint32_t a, uint32_t b)
{
	return a > UINT32_MAX - b ? UINT32_MAX : a + b;
}

void engage_add(const void *v, size_t len, const char *channel, size_t n, uint32_t sends, uint32_t engaged,
		struct buf *out)
{
	const unsigned char *p = v, *end = p ? p + len : NULL;
	int done = 0;

	if (n > 255)
		n = 255;
	buf_reset(out);
	while (p && p < end) {
		size_t l = *p;
		int c;
		if (p + 1 + l + 8 > end)
			break;
		c = done ? 1 : name_cmp(channel, n, p + 1, l);
		if (c < 0) { /* the new entry goes before this one */
			buf_addc(out, (char)n);
			buf_add(out, channel, n);
			put32(out, sends);
			put32(out, engaged);
			done = 1;
		}
		buf_add(out, p, 1 + l);
		if (c == 0) {
			put32(out, sat_add(be32(p + 1 + l), sends));
			put32(out, sat_add(be32(p + 5 + l), engaged));
			done = 1;
		} else {
			buf_add(out, p + 1 + l, 8);
		}
		p += 1 + l + 8;
	}
	if (!done) {
		buf_addc(out, (char)n);
		buf_add(out, channel, n);
		put32(out, sends);
		put32(out, engaged);
	}
}

void engage_rank(const void *v, size_t len, const char *const *names, const size_t *lens, size_t nch,
		 size_t *order)
{
	size_t i, j;

	for (i = 0; i < nch; i++)
		order[i] = i;
	/* insertion sort: stable, and lists are short */
	for (i = 1; i < nch; i++) {
		size_t x = order[i];
		uint32_t sx, ex;
		engage_get(v, len, names[x], lens[x], &sx, &ex);
		for (j = i; j > 0; j--) {
			uint32_t sy, ey;
			engage_get(v, len, names[order[j - 1]], lens[order[j - 1]], &sy, &ey);
			/* x better than y: (ex+1)/(sx+2) > (ey+1)/(sy+2) */
			if ((uint64_t)(ex + 1ull) * (sy + 2ull) <= (uint64_t)(ey + 1ull) * (sx + 2ull))
				break;
			order[j] = order[j - 1];
		}
		order[j] = x;
	}
}

void engage_fold(const void *a, size_t an, const void *b, size_t bn, struct buf *out)
{
	const unsigned char *q = b, *end = q ? q + bn : NULL;
	struct buf cur = BUF_INIT;

	buf_reset(out);
	if (a && an)
		buf_add(out, a, an);
	while (q && q < end) {
		size_t l = *q;
		if (q + 1 + l + 8 > end)
			break; /* a torn entry: the rest is not read */
		engage_add(out->p, out->len, (const char *)q + 1, l, be32(q + 1 + l), be32(q + 5 + l), &cur);
		buf_reset(out);
		buf_add(out, cur.p, cur.len);
		q += 1 + l + 8;
	}
	buf_release(&cur);
}
