#include "json.h"

#include <stdlib.h>
#include <string.h>

#include "norm.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

struct parser {
	struct json_doc *d;
	const unsigned char *s, *p, *end;
	unsigned depth, max_depth;
	unsigned long ws; /* white space runs skipped so far */
	const char *why;
};

/* Bit 1: byte needs attention inside a string (quote, backslash, control,
 * non-ASCII). Bit 2: JSON white space. */
static unsigned char cls[256];

static void cls_init(void)
{
	int c;

	if (cls['"'])
		return;
	for (c = 0; c < 0x20; c++)
		cls[c] |= 1;
	for (c = 0x80; c < 0x100; c++)
		cls[c] |= 1;
	cls['"'] |= 1;
	cls['\\'] |= 1;
	cls[' '] |= 2;
	cls['\t'] |= 2;
	cls['\n'] |= 2;
	cls['\r'] |= 2;
}

static int fail(struct parser *ps, const char *why)
{
	if (!ps->why)
		ps->why = why;
	return -1;
}

/* Failing at p: ps->p is where the problem is. */
static int fail_at(struct parser *ps, const unsigned char *p, const char *why)
{
	ps->p = p;
	return fail(ps, why);
}

/* A new token of the given type at offset off: a scalar's fields (no
 * length yet, next the token after it) that a caller completes. */
static inline uint32_t tok_new(struct json_doc *d, enum json_type type, uint32_t off)
{
	uint32_t nt = d->nt;
	struct json_tok *t;

	if (__builtin_expect(nt == d->cap, 0)) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->t = xrealloc(d->t, d->cap * sizeof *d->t);
	}
	d->nt = nt + 1;
	t = &d->t[nt];
	t->off = off;
	t->len = 0;
	t->size = 0;
	t->next = nt + 1;
	t->type = (uint8_t)type; /* the byte stores last: they may alias anything */
	t->esc = 0;
	return nt;
}

/* Skip white space at p (a local cursor), counting the runs in ps->ws. */
#define SKIP_WS(ps, p)                                                  \
	do {                                                            \
		if ((p) < (ps)->end && (cls[*(p)] & 2)) {               \
			(ps)->ws++;                                     \
			do                                              \
				(p)++;                                  \
			while ((p) < (ps)->end && (cls[*(p)] & 2));     \
		}                                                       \
	} while (0)


static int hex4(const unsigned char *p, unsigned *v)
{
	unsigned r = 0;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned c = p[i];
		r <<= 4;
		if (c >= '0' && c <= '9')
			r |= c - '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			r |= (c | 0x20) - 'a' + 10;
		else
			return -1;
	}
	*v = r;
	return 0;
}

/* Length of the valid UTF-8 sequence at p (non-ASCII lead), or 0. */
static size_t utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0];
	size_t n = (size_t)(end - p);

	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && p[1] < 0xa0)
			return 0; /* overlong */
		if (c == 0xed && p[1] >= 0xa0)
			return 0; /* surrogate */
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && p[1] < 0x90)
			return 0;
		if (c == 0xf4 && p[1] >= 0x90)
			return 0;
		return 4;
	}
	return 0;
}

/* The rest of a string from p (inside it) to its closing quote: returns
 * that quote, or NULL with the failure in ps. *esc is set when it holds a
 * backslash escape. */
static const unsigned char *str_rest(struct parser *ps, const unsigned char *p, int *esc)
{
	const unsigned char *end = ps->end;

	for (;;) {
#ifdef __SSE2__
		/* 16 plain bytes at a time: no quote, backslash, control or
		 * non-ASCII byte (signed, those last two are below 0x20) */
		{
			const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
				      sp = _mm_set1_epi8(0x20);
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
		while (p < end && !(cls[*p] & 1))
			p++;
		if (p >= end)
			return fail_at(ps, p, "unterminated string"), NULL;
		if (*p == '"')
			return p;
		if (*p == '\\') {
			*esc = 1;
			if (p + 1 >= end)
				return fail_at(ps, p, "unterminated string"), NULL;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				break;
			case 'u': {
				unsigned u, u2;
				if (end - p < 6 || hex4(p + 2, &u))
					return fail_at(ps, p, "invalid \\u escape"), NULL;
				if (u >= 0xdc00 && u <= 0xdfff)
					return fail_at(ps, p, "lone surrogate escape"), NULL;
				if (u >= 0xd800 && u <= 0xdbff) {
					if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
					    hex4(p + 8, &u2) || u2 < 0xdc00 || u2 > 0xdfff)
						return fail_at(ps, p, "lone surrogate escape"), NULL;
					p += 12;
				} else {
					if (u == 0)
						return fail_at(ps, p, "NUL escape in string"), NULL;
					p += 6;
				}
				break;
			}
			default:
				return fail_at(ps, p, "invalid escape in string"), NULL;
			}
			continue;
		}
		if (*p < 0x20)
			return fail_at(ps, p, *p ? "control character in string" : "NUL byte in string"), NULL;
		{
			size_t k = utf8_seq(p, end);
			if (!k)
				return fail_at(ps, p, "invalid utf-8 in string"), NULL;
			p += k;
		}
	}
}

/* The string whose opening quote is at p: returns its closing quote, or
 * NULL with the failure in ps; *esc as str_rest's. A short plain string
 * (the most of them: keys, ids, names) is found by one look at 16 bytes. */
static inline const unsigned char *str_end(struct parser *ps, const unsigned char *p,
					   const unsigned char *end, int *esc)
{
	*esc = 0;
	p++;
#ifdef __SSE2__
	while (end - p >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('"')),
						      _mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))),
					 _mm_cmplt_epi8(x, _mm_set1_epi8(0x20)));
		int bits = _mm_movemask_epi8(m);
		if (bits) {
			p += __builtin_ctz((unsigned)bits);
			if (*p == '"')
				return p;
			break;
		}
		p += 16;
	}
#endif
	/* the last bytes of the text (the last key of a record, mostly) */
	while (p < end && !(cls[*p] & 1))
		p++;
	if (p < end && *p == '"')
		return p;
	return str_rest(ps, p, esc);
}

/* The number at p: returns the byte after it, or NULL with the failure in
 * ps. */
static inline __attribute__((always_inline)) const unsigned char *num_end(struct parser *ps, const unsigned char *p,
					   const unsigned char *end)
{

	if (p < end && *p == '-')
		p++;
	if (p >= end || *p < '0' || *p > '9')
		return fail_at(ps, p, "invalid number"), NULL;
	if (*p == '0') {
		p++;
	} else {
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(ps, p, "invalid number"), NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return fail_at(ps, p, "invalid number"), NULL;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static int parse_container(struct parser *ps, uint32_t ti, int obj);

/*
 * The value at *pp (a local cursor of the caller's), after any white space:
 * its tokens, with *pp past it; 0, or -1 with the failure in ps. Scalars
 * are read here, in the caller's loop; a container recurses.
 */
static inline __attribute__((always_inline)) int parse_value(struct parser *ps,
							     const unsigned char **pp)
{
	struct json_doc *d = ps->d;
	const unsigned char *p = *pp, *q, *end = ps->end;
	uint32_t off = (uint32_t)(p - ps->s), ti;
	int esc;

	if (__builtin_expect(!(p < end && *p == '"'), 0)) {
		SKIP_WS(ps, p);
		if (p >= end)
			return fail_at(ps, p, "unexpected end of input");
		off = (uint32_t)(p - ps->s);
	}
	if (*p == '"') { /* the most of them */
		ti = tok_new(d, JSON_STRING, off + 1);
		if (!(q = str_end(ps, p, end, &esc)))
			return -1;
		d->t[ti].len = (uint32_t)(q - p) - 1;
		d->t[ti].esc = (uint8_t)esc;
		*pp = q + 1;
		return 0;
	}
	switch (*p) {
	case '{':
	case '[':
		ti = tok_new(d, *p == '{' ? JSON_OBJECT : JSON_ARRAY, off);
		ps->p = p;
		if (parse_container(ps, ti, *p == '{'))
			return -1;
		d->t[ti].next = d->nt;
		*pp = ps->p;
		return 0;
	case 't':
		if (end - p < 4 || memcmp(p, "true", 4))
			return fail_at(ps, p, "invalid literal");
		tok_new(d, JSON_TRUE, off);
		*pp = p + 4;
		return 0;
	case 'f':
		if (end - p < 5 || memcmp(p, "false", 5))
			return fail_at(ps, p, "invalid literal");
		tok_new(d, JSON_FALSE, off);
		*pp = p + 5;
		return 0;
	case 'n':
		if (end - p < 4 || memcmp(p, "null", 4))
			return fail_at(ps, p, "invalid literal");
		tok_new(d, JSON_NULL, off);
		*pp = p + 4;
		return 0;
	case 0:
		return fail_at(ps, p, "NUL byte");
	default:
		if (*p == '-' || (*p >= '0' && *p <= '9')) {
			ti = tok_new(d, JSON_NUMBER, off);
			if (!(q = num_end(ps, p, end)))
				return -1;
			d->t[ti].len = (uint32_t)(q - p);
			*pp = q;
			return 0;
		}
		return fail_at(ps, p, "unexpected character");
	}
}


/*
 * Duplicate keys. Parsers disagree on {"a":1,"a":2} (jq and Python take
 * the last, others the first), and a key spelled with escapes ("t\u0079pe")
 * is the same key, so an object holding one key twice is refused: every
 * reader of what passes reads the same record.
 *
 * An object of up to KEYS_FEW keys, none written with an escape (nearly
 * every object on the stream), is checked as it is read: a 64-bit summary
 * has one bit per key, chosen by its length and last byte, and only a key
 * whose bit is set already is compared with the keys before it. Any other
 * object is checked again when it ends, in O(k log k): its keys are sorted
 * by their unescaped bytes and neighbours compared.
 */
#define KEYS_FEW 16

/* A string's unescaped bytes, one at a time. */
struct ustr {
	const unsigned char *p, *end;
	unsigned char b[4];
	unsigned nb, ib;
};

static void ustr_init(struct ustr *u, const struct json_doc *d, uint32_t i)
{
	u->p = (const unsigned char *)d->s + d->t[i].off;
	u->end = u->p + d->t[i].len;
	u->nb = u->ib = 0;
}

static size_t utf8_put(unsigned cp, char *o);

/* The next byte, or -1 at the end. The text was checked by the parser. */
static int ustr_next(struct ustr *u)
{
	unsigned v = 0xfffd, v2 = 0xdc00;

	if (u->ib < u->nb)
		return u->b[u->ib++];
	if (u->p >= u->end)
		return -1;
	if (*u->p != '\\')
		return *u->p++;
	switch (u->p[1]) {
	case 'b': u->p += 2; return '\b';
	case 'f': u->p += 2; return '\f';
	case 'n': u->p += 2; return '\n';
	case 'r': u->p += 2; return '\r';
	case 't': u->p += 2; return '\t';
	case 'u':
		hex4(u->p + 2, &v);
		u->p += 6;
		if (v >= 0xd800 && v <= 0xdbff) {
			hex4(u->p + 2, &v2);
			v = 0x10000 + ((v - 0xd800) << 10) + (v2 - 0xdc00);
			u->p += 6;
		}
		u->nb = (unsigned)utf8_put(v, (char *)u->b);
		u->ib = 1;
		return u->b[0];
	default:
		u->p += 2;
		return u->p[-1];
	}
}

/* Strings a and b by their unescaped bytes: <0, 0 or >0, a prefix first. */
static int ustr_cmp(const struct json_doc *d, uint32_t a, uint32_t b)
{
	struct ustr ua, ub;
	int ca, cb;

	ustr_init(&ua, d, a);
	ustr_init(&ub, d, b);
	do {
		ca = ustr_next(&ua);
		cb = ustr_next(&ub);
	} while (ca == cb && ca >= 0);
	return ca - cb; /* the end, -1, before any byte */
}

/* Compare key tokens a and b by their unescaped bytes, then by index. */
static int key_cmp(const void *x, const void *y, void *ctx)
{
	const struct json_doc *d = ctx;
	uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
	const struct json_tok *ta = &d->t[a], *tb = &d->t[b];
	int r;

	if (!ta->esc && !tb->esc) {
		r = memcmp(d->s + ta->off, d->s + tb->off, ta->len < tb->len ? ta->len : tb->len);
		if (!r)
			r = ta->len < tb->len ? -1 : ta->len > tb->len;
	} else {
		r = ustr_cmp(d, a, b);
	}
	return r ? r : a < b ? -1 : a > b;
}

static int key_dup(struct parser *ps, uint32_t ki)
{
	struct json_doc *d = ps->d;
	struct ustr u;
	size_t n = 0, cut = 0;
	int c;

	/* "duplicate key 'NAME'": the name unescaped, control characters as
	 * '?', cut to 48 bytes at a character boundary */
	memcpy(d->why, "duplicate key '", 15);
	n = 15;
	ustr_init(&u, d, ki);
	while ((c = ustr_next(&u)) >= 0) {
		if (n - 15 >= 48) {
			cut = 1;
			break;
		}
		d->why[n++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
	}
	if (cut) {
		if ((c & 0xc0) == 0x80) { /* a character cut in two: drop it */
			while (n > 15 && ((unsigned char)d->why[n - 1] & 0xc0) == 0x80)
				n--;
			if (n > 15 && (unsigned char)d->why[n - 1] >= 0xc0)
				n--;
		}
		memcpy(d->why + n, "\xe2\x80\xa6", 3);
		n += 3;
	}
	d->why[n++] = '\'';
	d->why[n] = 0;
	ps->p = (const unsigned char *)d->s + d->t[ki].off - 1;
	return fail(ps, d->why);
}

/* Is the key at index ki written as one of the keys from index first up to
 * it (the same bytes)? */
static int key_seen(const struct json_doc *d, uint32_t first, uint32_t ki)
{
	const struct json_tok *k = &d->t[ki];
	uint32_t j;

	for (j = first; j < ki; j = d->t[j + 1].next)
		if (d->t[j].len == k->len && !memcmp(d->s + d->t[j].off, d->s + k->off, k->len))
			return 1;
	return 0;
}

/* Check every key of the object at index ti, which has ended. */
static int keys_check(struct parser *ps, uint32_t ti)
{
	struct json_doc *d = ps->d;
	uint32_t n = d->t[ti].size, k, j, dup = 0;

	if (n > d->kcap) {
		d->kcap = n;
		d->keys = xrealloc(d->keys, (size_t)n * sizeof *d->keys);
	}
	for (k = 0, j = ti + 1; k < n; k++, j = d->t[j + 1].next)
		d->keys[k] = j;
	qsort_r(d->keys, n, sizeof *d->keys, key_cmp, d);
	/* of the keys given twice, the one whose second copy comes first */
	for (k = 1; k < n; k++) {
		uint32_t a = d->keys[k - 1], b = d->keys[k];
		const struct json_tok *ta = &d->t[a], *tb = &d->t[b];
		if ((!ta->esc && !tb->esc
			     ? ta->len == tb->len && !memcmp(d->s + ta->off, d->s + tb->off, ta->len)
			     : !ustr_cmp(d, a, b)) &&
		    (!dup || b < dup))
			dup = b;
	}
	return dup ? key_dup(ps, dup) : 0;
}

/*
 * The array or object (obj) whose bracket is at ps->p and whose token is
 * ti: its members' tokens, with ps->p past its end; 0, or -1 with the
 * failure in ps. The cursor lives in a local while the members are read.
 */
static int parse_container(struct parser *ps, uint32_t ti, int obj)
{
	struct json_doc *d = ps->d;
	const unsigned char *p = ps->p, *end = ps->end;
	const unsigned char close = obj ? '}' : ']';
	uint32_t size = 0;
	unsigned long ws0 = ps->ws;
	uint64_t seen = 0; /* a bit for each key so far */
	int later = 0;     /* a key has escapes: check at the end */

	if (++ps->depth > ps->max_depth)
		return fail(ps, "nesting too deep");
	p++;
	SKIP_WS(ps, p);
	if (p < end && *p == close) {
		p++;
		goto done;
	}
	for (;;) {
		if (obj) {
			const unsigned char *q;
			uint32_t ki, klen;
			int esc;
			if (__builtin_expect(!(p < end && *p == '"'), 0)) {
				SKIP_WS(ps, p);
				if (p >= end || *p != '"')
					return fail_at(ps, p, p >= end ? "unexpected end of input"
								       : "expected a key string");
			}
			ki = tok_new(d, JSON_STRING, (uint32_t)(p - ps->s) + 1);
			if (!(q = str_end(ps, p, end, &esc)))
				return -1;
			klen = (uint32_t)(q - p) - 1;
			d->t[ki].len = klen;
			d->t[ki].esc = (uint8_t)esc;
			p = q + 1;
			if (size < KEYS_FEW) {
				/* by its length and last byte (p is past the
				 * closing quote; of "", the opening one) */
				uint64_t bit = 1ull << ((p[-2] ^ klen << 3) & 63);
				if (esc)
					later = 1;
				else if ((seen & bit) && !later && key_seen(d, ti + 1, ki))
					return key_dup(ps, ki);
				seen |= bit;
			}
			if (__builtin_expect(!(p < end && *p == ':'), 0)) {
				SKIP_WS(ps, p);
				if (p >= end || *p != ':')
					return fail_at(ps, p, "expected ':' after key");
			}
			p++; /* white space after it: parse_value skips it */
		}
		if (parse_value(ps, &p))
			return -1;
		size++;
		if (__builtin_expect(!(p < end && (*p == ',' || *p == close)), 0)) {
			SKIP_WS(ps, p);
			if (p >= end)
				return fail_at(ps, p, "unexpected end of input");
		}
		if (*p == ',') {
			p++; /* white space after it: skipped before the key or value */
			continue;
		}
		if (*p == close) {
			p++;
			break;
		}
		return fail_at(ps, p, obj ? "expected ',' or '}'" : "expected ',' or ']'");
	}
done:
	ps->p = p;
	ps->depth--;
	d->t[ti].size = size;
	if (obj && (size > KEYS_FEW || later) && keys_check(ps, ti))
		return -1;
	d->t[ti].esc = ps->ws != ws0;
	d->t[ti].len = (uint32_t)(p - ps->s) - d->t[ti].off;
	return 0;
}

int json_parse(struct json_doc *d, const char *s, size_t n, unsigned max_depth,
	       const char **why, size_t *at)
{
	struct parser ps;
	const unsigned char *p;

	cls_init();
	d->s = s;
	d->n = n;
	d->nt = 0;
	if (n > JSON_MAX_TEXT) {
		*why = "text too long";
		*at = 0;
		return -1;
	}
	ps.d = d;
	ps.s = ps.p = (const unsigned char *)s;
	ps.end = ps.s + n;
	ps.depth = 0;
	ps.ws = 0;
	ps.max_depth = max_depth ? max_depth : 1;
	ps.why = NULL;
	p = ps.s;
	SKIP_WS(&ps, p);
	if (p >= ps.end) {
		*why = "empty line";
		*at = 0;
		return -1;
	}
	if (parse_value(&ps, &p) == 0) {
		SKIP_WS(&ps, p);
		if (p == ps.end)
			return 0;
		fail_at(&ps, p, *p ? "trailing characters after value" : "NUL byte");
	}
	*why = ps.why;
	*at = (size_t)(ps.p - ps.s);
	return -1;
}


void json_doc_release(struct json_doc *d)
{
	free(d->t);
	d->t = NULL;
	d->nt = d->cap = 0;
	free(d->keys);
	d->keys = NULL;
	d->kcap = 0;
}

static size_t utf8_put(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

void json_str_get(const struct json_doc *d, uint32_t i, struct buf *out)
{
	const struct json_tok *t = &d->t[i];
	const unsigned char *p = (const unsigned char *)d->s + t->off,
			    *end = p + t->len;

	if (!t->esc) {
		buf_add(out, p, t->len);
		return;
	}
	buf_grow(out, t->len);
	while (p < end) {
		const unsigned char *q = p;
		char tmp[4];
		unsigned u = 0xfffd, u2 = 0xdc00;

		while (q < end && *q != '\\')
			q++;
		buf_add(out, p, (size_t)(q - p));
		if (q >= end)
			break;
		switch (q[1]) {
		case 'b': buf_addc(out, '\b'); p = q + 2; break;
		case 'f': buf_addc(out, '\f'); p = q + 2; break;
		case 'n': buf_addc(out, '\n'); p = q + 2; break;
		case 'r': buf_addc(out, '\r'); p = q + 2; break;
		case 't': buf_addc(out, '\t'); p = q + 2; break;
		case 'u':
			hex4(q + 2, &u);
			p = q + 6;
			if (u >= 0xd800 && u <= 0xdbff) {
				hex4(q + 8, &u2);
				u = 0x10000 + ((u - 0xd800) << 10) + (u2 - 0xdc00);
				p = q + 12;
			}
			buf_add(out, tmp, utf8_put(u, tmp));
			break;
		default:
			buf_addc(out, (char)q[1]);
			p = q + 2;
		}
	}
}

int json_str_eq(const struct json_doc *d, uint32_t i, const char *s, size_t n)
{
	const struct json_tok *t = &d->t[i];
	struct buf b = BUF_INIT;
	int eq;

	if (t->type != JSON_STRING)
		return 0;
	if (!t->esc)
		return t->len == n && !memcmp(d->s + t->off, s, n);
	json_str_get(d, i, &b);
	eq = b.len == n && !memcmp(b.p, s, n);
	buf_release(&b);
	return eq;
}

uint32_t json_get(const struct json_doc *d, uint32_t obj, const char *key,
		  size_t n)
{
	uint32_t i, k;

	if (obj >= d->nt || d->t[obj].type != JSON_OBJECT)
		return 0;
	i = obj + 1;
	for (k = 0; k < d->t[obj].size; k++) {
		const struct json_tok *t = &d->t[i];
		/* a key without escapes is its bytes: compare lengths and
		 * first bytes before calling memcmp */
		if (!t->esc ? t->len == n && (!n || (d->s[t->off] == key[0] &&
						     !memcmp(d->s + t->off, key, n)))
			    : json_str_eq(d, i, key, n))
			return i + 1;
		i = d->t[i + 1].next;
	}
	return 0;
}

uint32_t json_get_path(const struct json_doc *d, uint32_t obj, const char *path)
{
	const char *dot;

	while (obj && d->t[obj].type == JSON_OBJECT) {
		dot = strchr(path, '.');
		if (!dot)
			return json_get(d, obj, path, strlen(path));
		obj = json_get(d, obj, path, (size_t)(dot - path));
		path = dot + 1;
	}
	return 0;
}

void json_get_keys(const struct json_doc *d, uint32_t obj, const struct json_key *keys,
		   unsigned n, uint32_t *out)
{
	uint32_t i, k;
	unsigned j, left = n;

	for (j = 0; j < n; j++)
		out[j] = 0;
	if (obj >= d->nt || d->t[obj].type != JSON_OBJECT)
		return;
	i = obj + 1;
	for (k = 0; k < d->t[obj].size && left; k++) {
		const struct json_tok *t = &d->t[i];
		for (j = 0; j < n; j++) {
			if (out[j] || (!t->esc && t->len != keys[j].n))
				continue;
			if (!t->esc ? !memcmp(d->s + t->off, keys[j].s, keys[j].n)
				    : json_str_eq(d, i, keys[j].s, keys[j].n)) {
				out[j] = i + 1; /* the first match wins */
				left--;
			}
		}
		i = d->t[i + 1].next;
	}
}

void json_write_tok(const struct json_doc *d, uint32_t i, struct buf *out)
{
	const struct json_tok *t = &d->t[i];
	uint32_t k, j;

	switch (t->type) {
	case JSON_NULL: buf_add(out, "null", 4); break;
	case JSON_TRUE: buf_add(out, "true", 4); break;
	case JSON_FALSE: buf_add(out, "false", 5); break;
	case JSON_NUMBER: buf_add(out, d->s + t->off, t->len); break;
	case JSON_STRING:
		buf_addc(out, '"');
		buf_add(out, d->s + t->off, t->len);
		buf_addc(out, '"');
		break;
	case JSON_ARRAY:
		if (!t->esc) { /* already compact: the text as it is */
			buf_add(out, d->s + t->off, t->len);
			break;
		}
		buf_addc(out, '[');
		for (k = 0, j = i + 1; k < t->size; k++, j = d->t[j].next) {
			if (k)
				buf_addc(out, ',');
			json_write_tok(d, j, out);
		}
		buf_addc(out, ']');
		break;
	case JSON_OBJECT:
		if (!t->esc) {
			buf_add(out, d->s + t->off, t->len);
			break;
		}
		buf_addc(out, '{');
		for (k = 0, j = i + 1; k < t->size; k++) {
			if (k)
				buf_addc(out, ',');
			json_write_tok(d, j, out);
			buf_addc(out, ':');
			json_write_tok(d, j + 1, out);
			j = d->t[j + 1].next;
		}
		buf_addc(out, '}');
		break;
	}
}

static const char hexd[] = "0123456789abcdef";

static void write_escaped(struct buf *out, const unsigned char *p, size_t n,
			  int lossy)
{
	const unsigned char *end = p + n;

	cls_init();
	buf_addc(out, '"');
	while (p < end) {
		const unsigned char *q = p;
		while (q < end && !(cls[*q] & 1))
			q++;
		buf_add(out, p, (size_t)(q - p));
		if (q >= end)
			break;
		p = q;
		if (*p >= 0x80) {
			size_t k = lossy ? utf8_seq(p, end) : 1;
			if (k) {
				while (k-- && p < end)
					buf_addc(out, (char)*p++);
				continue;
			}
			/* invalid byte, lossy mode */
		}
		buf_addc(out, '\\');
		switch (*p) {
		case '"': buf_addc(out, '"'); break;
		case '\\': buf_addc(out, '\\'); break;
		case '\n': buf_addc(out, 'n'); break;
		case '\r': buf_addc(out, 'r'); break;
		case '\t': buf_addc(out, 't'); break;
		default:
			buf_add(out, "u00", 3);
			buf_addc(out, hexd[*p >> 4]);
			buf_addc(out, hexd[*p & 15]);
		}
		p++;
	}
	buf_addc(out, '"');
}

void json_write_str(struct buf *out, const char *s, size_t n)
{
	write_escaped(out, (const unsigned char *)s, n, 0);
}

void json_write_bytes_lossy(struct buf *out, const char *s, size_t n)
{
	write_escaped(out, (const unsigned char *)s, n, 1);
}

int json_oneid(const struct json_doc *d, uint32_t t, uint32_t *out)
{
	uint64_t v = 0;
	uint32_t i;
	const char *s;

	if (!t || d->t[t].type != JSON_NUMBER || !d->t[t].len || d->t[t].len > 10)
		return -1;
	s = d->s + d->t[t].off;
	for (i = 0; i < d->t[t].len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (!v || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int json_scan_oneid(const char *s, size_t n, uint32_t *out)
{
	const char *p, *end = s + n, *q = end;
	uint64_t v = 0;
	int nd = 0;

	/* most often the last member: look there first */
	while (q > s && (q[-1] == '}' || q[-1] == ' ' || q[-1] == '\r'))
		q--;
	p = q;
	while (p > s && p[-1] >= '0' && p[-1] <= '9' && q - p < 11)
		p--;
	if (p == q || p - s < 8 || memcmp(p - 8, "\"oneid\":", 8)) {
		if (!(p = memmem(s, n, "\"oneid\":", 8)))
			return -1;
		for (p += 8; p < end && *p == ' '; p++)
			;
	}
	for (; p < end && *p >= '0' && *p <= '9' && nd < 11; p++, nd++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (!nd || !v || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int json_num_plain(const char *s, size_t n, uint64_t *digits, int *frac, int *neg)
{
	const char *end = s + n;
	uint64_t v = 0;
	int nd = 0, f = -1;

	*neg = n && *s == '-';
	s += *neg;
	if (s == end)
		return -1;
	for (; s < end; s++) {
		if (*s >= '0' && *s <= '9') {
			if (++nd > 18)
				return -1;
			v = v * 10 + (uint64_t)(*s - '0');
			if (f >= 0)
				f++;
		} else if (*s == '.' && f < 0 && nd) {
			f = 0;
		} else {
			return -1;
		}
	}
	if (!nd || f == 0 || v >= (1ull << 53))
		return -1;
	*digits = v;
	*frac = f < 0 ? 0 : f;
	return 0;
}

double json_num_value(uint64_t digits, int frac, int neg)
{
	static const double p10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
				     1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
	double d = (double)digits / p10[frac];

	return neg ? -d : d;
}
