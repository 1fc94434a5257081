/*
 * jperson - a person's record in scheduler.people (see jperson.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jperson.h"

struct jinst *jperson_inst_add(struct jperson *P)
{
	if (P->ninst == P->cap) {
		unsigned k;
		P->cap = P->cap ? P->cap * 2 : 4;
		P->inst = xrealloc(P->inst, P->cap * sizeof *P->inst);
		P->wake0 = xrealloc(P->wake0, P->cap * sizeof *P->wake0);
		P->state0 = xrealloc(P->state0, P->cap * sizeof *P->state0);
		for (k = P->ninst; k < P->cap; k++)
			jinst_init(&P->inst[k]);
	}
	P->wake0[P->ninst] = INT64_MIN;
	P->state0[P->ninst] = JI_NONE;
	return &P->inst[P->ninst++];
}

void jperson_release(struct jperson *P)
{
	unsigned k;

	for (k = 0; k < P->cap; k++)
		jinst_release(&P->inst[k]);
	free(P->inst);
	free(P->wake0);
	free(P->state0);
	memset(P, 0, sizeof *P);
}

static int get_uv(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned sh = 0;

	*v = 0;
	while (*p < end && sh < 64) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			return 0;
		sh += 7;
	}
	return -1;
}

/* v as a varint at o (10 bytes at most); returns the byte after it. */
static unsigned char *put_uv(unsigned char *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*o++ = (unsigned char)v;
	return o;
}

int jperson_decode(struct jperson *P, struct profile *p, const struct profile_layout *L,
		   const unsigned char *s, size_t n)
{
	const unsigned char *end = s + n;
	uint64_t nlog, ninst, k, stream = 0;
	unsigned char fmt;

	if (n < 1 || s[0] < 1 || s[0] > 3)
		return -1;
	fmt = *s++;
	if (fmt >= 2 && (get_uv(&s, end, &stream) || stream > UINT32_MAX))
		return -1;
	P->stream = (uint32_t)stream;
	P->lstream = P->lblk = 0;
	if (fmt == 3) {
		uint64_t ls, lb;
		if (get_uv(&s, end, &ls) || get_uv(&s, end, &lb) || ls > UINT32_MAX || lb > UINT32_MAX)
			return -1;
		P->lstream = (uint32_t)ls;
		P->lblk = (uint32_t)lb;
	}
	if (get_uv(&s, end, &nlog) || get_uv(&s, end, &ninst))
		return -1;
	P->nlog = (uint32_t)nlog;
	for (k = 0; k < ninst; k++) {
		struct jinst *in = jperson_inst_add(P);
		size_t r = jinst_decode(in, s, (size_t)(end - s));
		if (!r)
			return -1;
		s += r;
		P->wake0[P->ninst - 1] = in->wake;
		P->state0[P->ninst - 1] = in->state;
	}
	if (s == end) {
		profile_reset(p, L, P->oneid);
		return 0;
	}
	return profile_decode(p, L, s, (size_t)(end - s));
}

void jperson_encode(const struct jperson *P, const struct profile *p, const struct profile_layout *L,
		    struct buf *out)
{
	unsigned char *o;
	unsigned k;

	/* the head, at most a byte and five varints, written in place */
	if (out->cap - out->len <= 1 + 5 * 10)
		buf_grow(out, 1 + 5 * 10);
	o = (unsigned char *)out->p + out->len;
	/* format 1 is of stream 0; 2 names the stream; 3 names it and the
	 * block of the person's newest decisions */
	*o++ = P->lblk ? 3 : P->stream ? 2 : 1;
	if (P->stream || P->lblk)
		o = put_uv(o, P->stream);
	if (P->lblk) {
		o = put_uv(o, P->lstream);
		o = put_uv(o, P->lblk);
	}
	o = put_uv(o, P->nlog);
	o = put_uv(o, P->ninst);
	out->len = (size_t)(o - (unsigned char *)out->p);
	out->p[out->len] = 0;
	for (k = 0; k < P->ninst; k++)
		jinst_encode(&P->inst[k], out);
	profile_encode_add(p, L, out);
}

int jperson_stream(const void *v, size_t n, uint32_t *stream)
{
	const unsigned char *s = v, *end = s + n;
	uint64_t x = 0;

	if (!n || s[0] < 1 || s[0] > 3)
		return 0;
	s++;
	if (s[-1] >= 2 && (get_uv(&s, end, &x) || x > UINT32_MAX))
		return 0;
	*stream = (uint32_t)x;
	return 1;
}

int jperson_last_block(const void *v, size_t n, uint32_t *ls, uint32_t *lb)
{
	const unsigned char *p = v, *e = p + n;
	uint64_t x, y;

	if (!n || p[0] != 3)
		return 0;
	p++;
	if (get_uv(&p, e, &x) || get_uv(&p, e, &x) || get_uv(&p, e, &y) || x > UINT32_MAX || y > UINT32_MAX)
		return -1;
	*ls = (uint32_t)x;
	*lb = (uint32_t)y;
	return 1;
}
