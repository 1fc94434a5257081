#include "evscan.h"

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* an object of more keys than this is left to json_parse, whose check of
 * duplicate keys scales */
#define KEYS_MAX 16

struct sc {
	const unsigned char *p, *end, *base;
	unsigned depth, max;
	/* a line of printable ASCII without a backslash: bit i of q is set
	 * when byte i is a quote, and every quote delimits a string (NULL:
	 * look at each string's bytes) */
	const uint64_t *q;
};

/* lines up to this long get the quote bitmap */
#define QMAX 4096

static inline void ws(struct sc *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

/* the length of the valid UTF-8 sequence at p (a non-ASCII lead), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
}

/* A string at s->p (its opening quote): 0 with s->p past the closing
 * quote and *esc set when it holds escapes, or -1. A \u escape is left to
 * json_parse (surrogate pairs, NUL). */
static int str(struct sc *s, int *esc)
{
	const unsigned char *p = s->p + 1, *end = s->end;

	*esc = 0;
	if (s->q) {
		/* the next quote closes it */
		size_t i = (size_t)(p - s->base), w = i >> 6, nw = ((size_t)(end - s->base) + 63) >> 6;
		uint64_t m = s->q[w] & (~0ull << (i & 63));
		while (!m) {
			if (++w >= nw)
				return -1;
			m = s->q[w];
		}
		s->p = s->base + (w << 6) + (size_t)__builtin_ctzll(m) + 1;
		return 0;
	}
	for (;;) {
#ifdef __SSE2__
		{
			const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
			while (end - p >= 16) {
				__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
				__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs)),
							 _mm_cmplt_epi8(x, sp));
				int bits = _mm_movemask_epi8(m);
				if (bits) {
					p += __builtin_ctz((unsigned)bits);
					break;
				}
				p += 16;
			}
		}
#endif
		while (p < end && *p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p >= end)
			return -1;
		if (*p == '"')
			break;
		if (*p == '\\') {
			if (p + 1 >= end)
				return -1;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
				*esc = 1;
				p += 2;
				continue;
			default:
				return -1;
			}
		}
		if (*p < 0x20)
			return -1;
		{
			size_t k = utf8_seq(p, end);
			if (!k)
				return -1;
			p += k;
		}
	}
	s->p = p + 1;
	return 0;
}

static int number(struct sc *s)
{
	const unsigned char *p = s->p, *end = s->end;

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return -1;
	if (*p == '0')
		p++;
	else
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return -1;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	s->p = p;
	return 0;
}

static int container(struct sc *s, struct evscan *e, int obj);

/* A value at s->p; its kind and text into *v when v is not NULL. */
static int value(struct sc *s, struct evscan_val *v)
{
	const unsigned char *start = s->p;
	enum evscan_kind kind = EVSCAN_OTHER;
	int esc = 0, rc;

	if (s->p >= s->end)
		return -1;
	switch (*s->p) {
	case '{':
		kind = EVSCAN_OBJECT;
		rc = container(s, NULL, 1);
		break;
	case '[':
		rc = container(s, NULL, 0);
		break;
	case '"':
		kind = EVSCAN_STRING;
		rc = str(s, &esc);
		break;
	case 't':
		rc = s->end - s->p >= 4 && !memcmp(s->p, "true", 4) ? 0 : -1;
		s->p += 4;
		break;
	case 'f':
		rc = s->end - s->p >= 5 && !memcmp(s->p, "false", 5) ? 0 : -1;
		s->p += 5;
		break;
	case 'n':
		rc = s->end - s->p >= 4 && !memcmp(s->p, "null", 4) ? 0 : -1;
		s->p += 4;
		break;
	default:
		kind = EVSCAN_NUMBER;
		rc = number(s);
	}
	if (rc)
		return -1;
	if (v) {
		v->kind = kind;
		v->esc = esc;
		if (kind == EVSCAN_STRING) {
			v->s = (const char *)start + 1;
			v->n = (size_t)(s->p - start) - 2;
		} else {
			v->s = (const char *)start;
			v->n = (size_t)(s->p - start);
		}
	}
	return 0;
}

/* An object (obj) or array at s->p; an object's members of interest into
 * *e when e is not NULL (the top level). */
static int container(struct sc *s, struct evscan *e, int obj)
{
	const unsigned char *key[KEYS_MAX];
	size_t klen[KEYS_MAX];
	unsigned nk = 0, i;
	unsigned char close = obj ? '}' : ']';

	if (++s->depth > s->max)
		return -1;
	s->p++;
	ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return 0;
	}
	for (;;) {
		struct evscan_val *v = NULL;
		if (obj) {
			const unsigned char *k = s->p + 1;
			size_t n;
			int esc;
			if (s->p >= s->end || *s->p != '"' || str(s, &esc) || esc || nk == KEYS_MAX)
				return -1;
			n = (size_t)(s->p - k) - 1;
			for (i = 0; i < nk; i++)
				if (klen[i] == n && !memcmp(key[i], k, n))
					return -1; /* twice: json_parse says so, and how */
			key[nk] = k;
			klen[nk++] = n;
			if (e) {
				if (n == 2 && !memcmp(k, "ts", 2))
					v = &e->ts;
				else if (n == 4 && !memcmp(k, "type", 4))
					v = &e->type;
				else if (n == 5 && !memcmp(k, "oneid", 5))
					v = &e->oneid;
				else if (n == 5 && !memcmp(k, "props", 5))
					v = &e->props;
			}
			ws(s);
			if (s->p >= s->end || *s->p != ':')
				return -1;
			s->p++;
			ws(s);
		}
		if (value(s, v))
			return -1;
		ws(s);
		if (s->p >= s->end)
			return -1;
		if (*s->p == ',') {
			s->p++;
			ws(s);
			continue;
		}
		if (*s->p != close)
			return -1;
		s->p++;
		break;
	}
	s->depth--;
	return 0;
}

/*
 * The quotes of a line of n bytes (n <= QMAX) as bits of q; returns 0, or
 * -1 when the line holds a backslash, a control character or a non-ASCII
 * byte (then every string is looked at byte by byte).
 */
static int quotes(const unsigned char *p, size_t n, uint64_t *q)
{
	size_t i = 0;
	unsigned odd = 0;

	memset(q, 0, ((n + 63) >> 6) * sizeof *q);
#ifdef __SSE2__
	{
		const __m128i qu = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), sp = _mm_set1_epi8(0x20);
		__m128i bad = _mm_setzero_si128();
		for (; i + 16 <= n; i += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
			/* signed: controls and non-ASCII bytes are below 0x20 */
			bad = _mm_or_si128(bad, _mm_or_si128(_mm_cmpeq_epi8(x, bs), _mm_cmplt_epi8(x, sp)));
			q[i >> 6] |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, qu)) << (i & 63);
		}
		if (_mm_movemask_epi8(bad))
			return -1;
	}
#endif
	for (; i < n; i++) {
		odd |= p[i] == '\\' || p[i] < 0x20 || p[i] >= 0x80;
		if (p[i] == '"')
			q[i >> 6] |= 1ull << (i & 63);
	}
	return odd ? -1 : 0;
}

int evscan_line(struct evscan *e, const char *text, size_t n, unsigned max_depth)
{
	uint64_t q[QMAX / 64];
	struct sc s;

	memset(e, 0, sizeof *e);
	s.p = s.base = (const unsigned char *)text;
	s.end = s.p + n;
	s.depth = 0;
	s.max = max_depth ? max_depth : 1;
	s.q = n <= QMAX && !quotes(s.p, n, q) ? q : NULL;
	ws(&s);
	if (s.p >= s.end || *s.p != '{' || container(&s, e, 1))
		return -1;
	ws(&s);
	return s.p == s.end ? 0 : -1;
}
