/*
 * jlog - scheduler's decision log: its packing and its blocks (see jlog.h).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "clock.h"
#include "jlog.h"
#include "json.h"

#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define NPHRASES 32

/* Fixed for good: a store's log is read back with this table. */
static const char *const phrases[] = {
	NULL,
	"{\"type\":\"$journey\",\"event_id\":\"jrn:", /* 0x01 */
	"\",\"ts\":\"",
	"\",\"oneid\":",
	",\"journey\":\"",
	"\",\"version\":\"",
	"\",\"op\":\"",
	"\",\"step\":\"",
	"\",\"kind\":\"",
	"\",\"arm\":null", /* 0x09 */
	NULL,            /* 0x0a: the line separator */
	"\",\"arm\":\"", /* 0x0b */
	",\"arm\":null",
	",\"wake\":\"",
	",\"reason\":\"",
	"{\"ts\":\"",
	"\",\"journey\":\"", /* 0x10 */
	"\",\"condition\":\"",
	"\",\"is\":true,\"tree\":",
	"\",\"is\":false,\"tree\":",
	"{\"type\":\"$journey\",\"event_id\":\"jrn:due:",
	"\",\"ts\":\"20",
	":step\"",
	":enter\"",
	":exit\"",
	"wait_for",
	":timeout\"",
	"{\"op\":\"",
	"\"value\":",
	",\"tree\":",
	"\"is\":",
	NULL, /* 0x1f: a raw control byte follows */
};

/* The phrases by their first 4 bytes (every phrase has more): a bucket
 * of a hash of them holds its phrases' numbers, the longest first. */
#define PBUCKETS 256
static unsigned char pclass[256]; /* 1: the byte starts a phrase; 2: a control byte */
static unsigned char pb[PBUCKETS][NPHRASES], npb[PBUCKETS];
static uint32_t pword[NPHRASES];
static size_t plen[NPHRASES];

static uint32_t word4(const char *s)
{
	uint32_t w;

	memcpy(&w, s, 4);
	return w;
}

static unsigned bucket4(uint32_t w)
{
	return (unsigned)((w * 2654435761u) >> 24) % PBUCKETS;
}

/* The bytes phrases start with today, for the 16-byte scan of
 * jlog_pack; pack_init checks the table against them (a phrase added
 * with another first byte turns the scan off until this is updated). */
#define SIMD_FIRST "{\",:w"
static int simd_ok;

static void pack_init(void)
{
	unsigned k, a, b;

	for (k = 0; k < 0x20; k++)
		pclass[k] = 2;
	for (k = 1; k < NPHRASES; k++) {
		unsigned h;
		if (!phrases[k])
			continue;
		plen[k] = strlen(phrases[k]);
		pword[k] = word4(phrases[k]);
		pclass[(unsigned char)phrases[k][0]] = 1;
		h = bucket4(pword[k]);
		pb[h][npb[h]++] = (unsigned char)k;
	}
	simd_ok = 1;
	for (k = 0x20; k < 256; k++)
		if (pclass[k] != (memchr(SIMD_FIRST, (int)k, 5) != NULL))
			simd_ok = 0;
	for (k = 0; k < PBUCKETS; k++) /* the longest first */
		for (a = 0; a < npb[k]; a++)
			for (b = a + 1; b < npb[k]; b++)
				if (plen[pb[k][b]] > plen[pb[k][a]]) {
					unsigned char t = pb[k][a];
					pb[k][a] = pb[k][b];
					pb[k][b] = t;
				}
}

/* Append s[0..n) as it is but for control bytes, each kept after 0x1f. */
static void pack_raw(struct buf *out, const char *s, size_t n)
{
	size_t i, from = 0;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20) {
			buf_add(out, s + from, i - from);
			buf_addc(out, 0x1f);
			from = i;
		}
	buf_add(out, s + from, n - from);
}

/* Whether the n bytes at a and b are the same (short runs, inline). */
static inline int same(const char *a, const char *b, size_t n)
{
	uint64_t x, y;
	uint32_t u, v;
	size_t k;

	if (n >= 8) {
		for (k = 0; k + 8 <= n; k += 8) {
			memcpy(&x, a + k, 8);
			memcpy(&y, b + k, 8);
			if (x != y)
				return 0;
		}
		memcpy(&x, a + n - 8, 8);
		memcpy(&y, b + n - 8, 8);
		return x == y;
	}
	if (n >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return 0;
		memcpy(&u, a + n - 4, 4);
		memcpy(&v, b + n - 4, 4);
		return u == v;
	}
	for (k = 0; k < n; k++)
		if (a[k] != b[k])
			return 0;
	return 1;
}

/* The phrase that s[i..n) starts with (the longest), or 0. */
static inline unsigned match(const char *s, size_t i, size_t n)
{
	uint32_t w = word4(s + i);
	unsigned h = bucket4(w), q;

	for (q = 0; q < npb[h]; q++) {
		unsigned id = pb[h][q];
		if (pword[id] == w && plen[id] <= n - i && same(s + i + 4, phrases[id] + 4, plen[id] - 4))
			return id;
	}
	return 0;
}

/* Append the raw run s[from..to) (ctl: it holds a control byte), then
 * phrase id. */
static void pack_run(struct buf *out, const char *s, size_t from, size_t to, int ctl, unsigned id)
{
	if (ctl)
		pack_raw(out, s + from, to - from);
	else
		buf_add(out, s + from, to - from);
	buf_addc(out, (char)id);
}

void jlog_pack(struct buf *out, const char *s, size_t n)
{
	static int init;
	size_t i = 0, from = 0;
	int ctl = 0; /* s[from..i) holds a control byte: it goes through pack_raw */
	unsigned id;

	if (!init) {
		pack_init();
		init = 1;
	}
	buf_grow(out, n);
	/* one pass: a byte that may start a phrase is tried, a control byte
	 * noted; a raw run without one is copied as it is */
#ifdef __SSE2__
	/* 16 bytes at a time: the bytes to look at (the same as below) found
	 * by comparisons, the others skipped together */
	if (simd_ok) {
		const __m128i b0 = _mm_set1_epi8(SIMD_FIRST[0]), b1 = _mm_set1_epi8(SIMD_FIRST[1]),
			      b2 = _mm_set1_epi8(SIMD_FIRST[2]), b3 = _mm_set1_epi8(SIMD_FIRST[3]),
			      b4 = _mm_set1_epi8(SIMD_FIRST[4]), c1f = _mm_set1_epi8(0x1f);
		while (i + 16 <= n) {
			__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
			__m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, b0), _mm_cmpeq_epi8(x, b1)),
						 _mm_or_si128(_mm_cmpeq_epi8(x, b2), _mm_cmpeq_epi8(x, b3)));
			unsigned bits;
			size_t at = i;
			m = _mm_or_si128(m, _mm_cmpeq_epi8(x, b4));
			m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, c1f), x)); /* x <= 0x1f */
			bits = (unsigned)_mm_movemask_epi8(m);
			i += 16;
			while (bits) {
				size_t p = at + (size_t)__builtin_ctz(bits);
				bits &= bits - 1;
				if ((unsigned char)s[p] < 0x20) {
					ctl = 1;
					continue;
				}
				if (p + 4 > n || !(id = match(s, p, n)))
					continue;
				pack_run(out, s, from, p, ctl, id);
				ctl = 0;
				i = from = p + plen[id];
				break;
			}
		}
	}
#endif
	while (i + 4 < n + 1) {
		unsigned char k = pclass[(unsigned char)s[i]];
		if (!k) {
			i++;
			continue;
		}
		if (k == 2) {
			ctl = 1;
			i++;
			continue;
		}
		if (!(id = match(s, i, n))) {
			i++;
			continue;
		}
		pack_run(out, s, from, i, ctl, id);
		ctl = 0;
		i += plen[id];
		from = i;
	}
	for (; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			ctl = 1;
	if (ctl)
		pack_raw(out, s + from, n - from);
	else
		buf_add(out, s + from, n - from);
}

void jlog_unpack(struct buf *out, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == 0x1f && i + 1 < n)
			buf_addc(out, s[++i]);
		else if (c < NPHRASES && phrases[c])
			buf_adds(out, phrases[c]);
		else
			buf_addc(out, (char)c);
	}
}

uint32_t jlog_day(int64_t t)
{
	return t < 0 ? 0 : (uint32_t)(t / 86400000);
}

/* ---- lines of a format-2 block ---- */

static int get_uv(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t r = 0;
	unsigned sh = 0;

	while (*p < end && sh < 64) {
		unsigned char c = *(*p)++;
		r |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80)) {
			*v = r;
			return 0;
		}
		sh += 7;
	}
	return -1;
}

static int get_str(const unsigned char **p, const unsigned char *end, const char **s, size_t *n)
{
	uint64_t u;

	if (get_uv(p, end, &u) || u > (uint64_t)(end - *p))
		return -1;
	*s = (const char *)*p;
	*n = (size_t)u;
	*p += u;
	return 0;
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzigzag(uint64_t u)
{
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}

/* Write v as a varint at q; returns the byte after it. */
static inline unsigned char *uv_at(unsigned char *q, uint64_t v)
{
	while (v >= 0x80) {
		*q++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*q++ = (unsigned char)v;
	return q;
}

static inline unsigned char *str_at(unsigned char *q, const char *s, size_t n)
{
	q = uv_at(q, n);
	memcpy(q, s, n);
	return q + n;
}

/* The length n of a line ahead of it, at `at` of out, where one byte was
 * kept for it. */
static void line_len(struct buf *out, size_t at)
{
	size_t n = out->len - at - 1;
	unsigned char d[10];
	size_t k = 0;
	uint64_t v = n;

	while (v >= 0x80) {
		d[k++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	d[k++] = (unsigned char)v;
	if (k > 1) {
		buf_grow(out, k - 1);
		memmove(out->p + at + k, out->p + at + 1, n);
		out->len += k - 1;
	}
	memcpy(out->p + at, d, k);
}

void jlog_line(struct buf *out, const char *s, size_t n)
{
	size_t at = out->len;

	buf_addc(out, 0);
	jlog_pack(out, s, n);
	line_len(out, at);
}

static int hex16(const char *v, unsigned char *out)
{
	unsigned k;

	for (k = 0; k < 16; k++) {
		unsigned c = (unsigned char)v[k], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -1;
		if (k & 1)
			out[k / 2] |= (unsigned char)d;
		else
			out[k / 2] = (unsigned char)(d << 4);
	}
	return 0;
}

/* hex16 of versions seen, in a slot by the version's last byte: the
 * lines of a run name the few journeys there are, again and again. Per
 * thread. */
static _Thread_local struct {
	char v[16];
	unsigned char bin[8];
	int r, set;
} hexmemo[8];

/* hex16, from hexmemo when v is kept there. */
static int hex16_memo(const char *v, unsigned char *out)
{
	unsigned i = (unsigned char)v[15] & 7;

	if (!hexmemo[i].set || memcmp(hexmemo[i].v, v, 16)) {
		memcpy(hexmemo[i].v, v, 16);
		hexmemo[i].r = hex16(v, hexmemo[i].bin);
		hexmemo[i].set = 1;
	}
	memcpy(out, hexmemo[i].bin, 8);
	return hexmemo[i].r;
}

/* The flags of a $journey line: the first byte, op in the low 3 bits. */
#define JB_STEP 0x08
#define JB_ARM 0x10
#define JB_DETAIL 0x20
#define JB_HELD 0x40
#define JB_WAKE 0x80
/* the second */
#define JB_CORR 0x01
#define JB_CORRV 0x02
#define JB_HEXVER 0x04
#define JB_ONEID 0x08
#define JB_SAME 0x10 /* the time, cause, journey and version of the line's base */

void jlog_line_journey(struct buf *out, const struct jwrite_jrec *x, int64_t ts, uint32_t oneid,
		       struct jlog_base *base)
{
	size_t at = out->len, most;
	unsigned char f1, f2 = 0, v8[8], *q, *q0;

	f1 = (unsigned char)(x->op & 7);
	if (x->step)
		f1 |= JB_STEP;
	if (x->arm)
		f1 |= JB_ARM;
	if (x->detail)
		f1 |= JB_DETAIL;
	if (x->held)
		f1 |= JB_HELD;
	if (x->wake != INT64_MIN)
		f1 |= JB_WAKE;
	if (x->corr)
		f2 |= JB_CORR;
	if (x->ncorrv)
		f2 |= JB_CORRV;
	if (!hex16_memo(x->version, v8))
		f2 |= JB_HEXVER;
	if (x->oneid != oneid)
		f2 |= JB_ONEID;
	if (base && base->set && base->ts == ts && base->cause.len == x->ncause && base->name.len == x->nname &&
	    !memcmp(base->version, x->version, 16) && !memcmp(base->cause.p, x->cause, x->ncause) &&
	    !memcmp(base->name.p, x->name, x->nname)) {
		f2 |= JB_SAME;
	} else if (base) { /* the base of the entry's lines after this */
		base->set = 1;
		base->ts = ts;
		memcpy(base->version, x->version, 16);
		buf_reset(&base->cause);
		buf_add(&base->cause, x->cause, x->ncause);
		buf_reset(&base->name);
		buf_add(&base->name, x->name, x->nname);
	}
	/* the most it can take: 10 bytes a varint, the strings, 16 + 8 */
	most = 4 + 10 * 16 + 24 + x->ncause + x->nname + x->nstep + x->narm + x->ndetail + x->nreason + x->ncorrv;
	buf_grow(out, most + 10);
	q0 = q = (unsigned char *)out->p + at + 1; /* a byte kept for the length */
	*q++ = 0; /* a $journey record, not text */
	*q++ = f1;
	*q++ = f2;
	if (!(f2 & JB_SAME)) {
		q = uv_at(q, zigzag(ts));
		q = str_at(q, x->cause, x->ncause);
		q = str_at(q, x->name, x->nname);
		if (f2 & JB_HEXVER) {
			memcpy(q, v8, 8);
			q += 8;
		} else {
			memcpy(q, x->version, 16);
			q += 16;
		}
	}
	if (f2 & JB_CORR) {
		store_be64(q, x->corr);
		q += 8;
	}
	q = uv_at(q, x->entries);
	if (f1 & JB_STEP) {
		q = str_at(q, x->step, x->nstep);
		q = uv_at(q, (uint64_t)x->kind);
	}
	if (f1 & JB_ARM)
		q = str_at(q, x->arm, x->narm);
	if (f1 & JB_DETAIL)
		q = str_at(q, x->detail, x->ndetail);
	if (f1 & JB_WAKE)
		q = uv_at(q, zigzag(x->wake - ts));
	if (x->op == JO_EXIT)
		q = str_at(q, x->reason, x->nreason);
	if (f2 & JB_CORRV)
		q = str_at(q, x->corrv, x->ncorrv);
	if (f2 & JB_ONEID)
		q = uv_at(q, x->oneid);
	if (q - q0 < 0x80) { /* the length in its one byte */
		out->p[at] = (char)(q - q0);
		out->len = (size_t)((char *)q - out->p);
		out->p[out->len] = 0;
		return;
	}
	out->len = (size_t)((char *)q - out->p);
	out->p[out->len] = 0;
	line_len(out, at);
}

/* The time, cause, journey and version of a $journey line (its parts
 * after its flags, at *p, f2 its second flags) into x, t and ver (17
 * bytes); *p moves past them. 0, or -1 when they are damaged. */
static int base_get(const unsigned char **p, const unsigned char *end, unsigned f2, struct jwrite_jrec *x,
		    int64_t *t, char *ver)
{
	static const char hx[] = "0123456789abcdef";
	uint64_t u;
	unsigned k;

	if (get_uv(p, end, &u))
		return -1;
	*t = unzigzag(u);
	if (get_str(p, end, &x->cause, &x->ncause) || get_str(p, end, &x->name, &x->nname))
		return -1;
	if (f2 & JB_HEXVER) {
		if (end - *p < 8)
			return -1;
		for (k = 0; k < 8; k++) {
			ver[2 * k] = hx[(*p)[k] >> 4];
			ver[2 * k + 1] = hx[(*p)[k] & 15];
		}
		*p += 8;
	} else {
		if (end - *p < 16)
			return -1;
		memcpy(ver, *p, 16);
		*p += 16;
	}
	ver[16] = 0;
	return 0;
}

/* Append the $journey record kept as p (n bytes, after its 0 byte) of
 * oneid to out, its base bp (bn bytes, the same way; NULL: none) giving
 * what it shares: 0, or -1 when it is damaged. */
static int journey_text(struct buf *out, const unsigned char *p, size_t n, uint32_t oneid, const unsigned char *bp,
			size_t bn)
{
	const unsigned char *end = p + n;
	struct jwrite_jrec x;
	struct buf head = BUF_INIT;
	char ts[CLOCK_ISO_LEN + 1], ver[17];
	unsigned f1, f2;
	uint64_t u;
	int64_t t;

	memset(&x, 0, sizeof x);
	if (n < 2)
		return -1;
	f1 = p[0];
	f2 = p[1];
	p += 2;
	x.op = (int)(f1 & 7);
	if (x.op != JO_ENTER && x.op != JO_STEP && x.op != JO_EXIT)
		return -1;
	if (f2 & JB_SAME) {
		const unsigned char *q;
		if (!bp || bn < 2 || (bp[1] & JB_SAME))
			return -1;
		q = bp + 2;
		if (base_get(&q, bp + bn, bp[1], &x, &t, ver))
			return -1;
	} else if (base_get(&p, end, f2, &x, &t, ver)) {
		return -1;
	}
	clock_format(t, ts);
	x.ts = ts;
	x.oneid = oneid;
	x.version = ver;
	if (f2 & JB_CORR) {
		if (end - p < 8)
			return -1;
		x.corr = store_get_be64(p);
		p += 8;
	}
	if (get_uv(&p, end, &u) || u > UINT32_MAX)
		return -1;
	x.entries = (unsigned)u;
	if (f1 & JB_STEP) {
		if (get_str(&p, end, &x.step, &x.nstep) || get_uv(&p, end, &u) || u > JS_EXIT)
			return -1;
		x.kind = (int)u;
	}
	if ((f1 & JB_ARM) && get_str(&p, end, &x.arm, &x.narm))
		return -1;
	if ((f1 & JB_DETAIL) && get_str(&p, end, &x.detail, &x.ndetail))
		return -1;
	x.held = (f1 & JB_HELD) != 0;
	x.wake = INT64_MIN;
	if (f1 & JB_WAKE) {
		if (get_uv(&p, end, &u))
			return -1;
		x.wake = t + unzigzag(u);
	}
	if (x.op == JO_EXIT && get_str(&p, end, &x.reason, &x.nreason))
		return -1;
	if ((f2 & JB_CORRV) && get_str(&p, end, &x.corrv, &x.ncorrv))
		return -1;
	if (f2 & JB_ONEID) {
		if (get_uv(&p, end, &u) || u > UINT32_MAX)
			return -1;
		x.oneid = (uint32_t)u;
	}
	if (p != end)
		return -1;
	buf_adds(&head, ",\"journey\":");
	json_write_str(&head, x.name, x.nname);
	buf_adds(&head, ",\"version\":\"");
	buf_add(&head, ver, 16);
	buf_addc(&head, '"');
	x.head = head.p;
	x.nhead = head.len;
	jwrite_journey_text(out, &x);
	buf_release(&head);
	return 0;
}

int jlog_line_text(struct buf *out, const struct jlog_line *l, uint32_t oneid)
{
	if (l->packed == 3)
		return -1;
	if (l->packed == 2)
		return journey_text(out, (const unsigned char *)l->p + 1, l->n - 1, oneid,
				    l->bp ? (const unsigned char *)l->bp + 1 : NULL, l->bn ? l->bn - 1 : 0);
	if (l->packed)
		jlog_unpack(out, l->p, l->n);
	else
		buf_add(out, l->p, l->n);
	return 0;
}

/* ---- blocks ---- */

void jlog_key(unsigned char *k, uint32_t stream, uint32_t blk)
{
	store_be32(k, stream);
	store_be32(k + 4, blk);
}

void jlog_init(struct jlog *l, struct store *st, MDB_dbi dbi)
{
	memset(l, 0, sizeof *l);
	l->st = st;
	l->dbi = dbi;
}

void jlog_release(struct jlog *l)
{
	unsigned i;

	for (i = 0; i < l->nt; i++) {
		free(l->t[i].e);
		buf_release(&l->t[i].body);
	}
	free(l->t);
	buf_release(&l->val);
	l->t = NULL;
	l->nt = 0;
}

/* A block read: its format, entry count, index and body. */
struct block {
	int fmt;
	uint32_t count;
	const unsigned char *idx;
	const char *body;
	size_t blen;
};

/* The header of the format-2 entry at off of the body: e (but oneid) and
 * 0, or -1 when it is damaged. */
static int entry_head(const struct block *k, uint32_t off, struct jlog_entry *e)
{
	const unsigned char *p = (const unsigned char *)k->body + off, *end = (const unsigned char *)k->body + k->blen;
	uint64_t seq, ps, pb, len;

	if (off >= k->blen || get_uv(&p, end, &seq) || get_uv(&p, end, &ps) || get_uv(&p, end, &pb) ||
	    get_uv(&p, end, &len) || seq > UINT32_MAX || ps > UINT32_MAX || pb > UINT32_MAX ||
	    len > (uint64_t)(end - p))
		return -1;
	e->seq = (uint32_t)seq;
	e->pstream = (uint32_t)ps;
	e->pblk = (uint32_t)pb;
	e->at = off;
	e->off = (uint32_t)(p - (const unsigned char *)k->body);
	e->len = (uint32_t)len;
	e->fmt = 2;
	return 0;
}

/* Entry i of block k into e. */
static void entry_get(const struct block *k, uint32_t i, struct jlog_entry *e)
{
	const unsigned char *p;

	if (k->fmt == 2) {
		p = k->idx + (size_t)i * JLOG_ENTRY2;
		e->oneid = store_get_be32(p);
		entry_head(k, store_get_be32(p + 4), e); /* checked by block_parse */
		return;
	}
	p = k->idx + (size_t)i * JLOG_ENTRY;
	e->oneid = store_get_be32(p);
	e->seq = store_get_be32(p + 4);
	e->off = e->at = store_get_be32(p + 8);
	e->len = store_get_be32(p + 12);
	e->pstream = store_get_be32(p + 16);
	e->pblk = store_get_be32(p + 20);
	e->fmt = 1;
}

static uint32_t entry_oneid(const struct block *k, uint32_t i)
{
	return store_get_be32(k->idx + (size_t)i * (k->fmt == 2 ? JLOG_ENTRY2 : JLOG_ENTRY));
}

/* The parts of block v (n bytes) into k: 0, or -1 when it is damaged. */
static int block_parse(const unsigned char *v, size_t n, struct block *k)
{
	uint32_t c, i;
	size_t w;

	if (n < 5 || (v[0] != 1 && v[0] != 2))
		return -1;
	k->fmt = v[0];
	w = k->fmt == 2 ? JLOG_ENTRY2 : JLOG_ENTRY;
	c = store_get_be32(v + 1);
	if ((n - 5) / w < c)
		return -1;
	k->count = c;
	k->idx = v + 5;
	k->body = (const char *)v + 5 + (size_t)c * w;
	k->blen = n - 5 - (size_t)c * w;
	for (i = 0; i < c; i++) {
		struct jlog_entry e;
		if (k->fmt == 2) {
			if (entry_head(k, store_get_be32(k->idx + (size_t)i * w + 4), &e))
				return -1;
		} else {
			uint32_t off = store_get_be32(k->idx + (size_t)i * w + 8);
			uint32_t len = store_get_be32(k->idx + (size_t)i * w + 12);
			if (off > k->blen || len > k->blen - off)
				return -1;
		}
	}
	return 0;
}

struct jlog_tail *jlog_tail(struct jlog *l, uint32_t stream)
{
	struct jlog_tail *t;
	unsigned char k[8];
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val key, v;
	unsigned i;
	int rc;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].stream == stream)
			return &l->t[i];
	l->t = xrealloc(l->t, (l->nt + 1) * sizeof *l->t);
	t = &l->t[l->nt];
	memset(t, 0, sizeof *t);
	t->stream = stream;
	/* the stream's last block: before the first key of the next stream */
	if (!(txn = store_read_txn(l->st)))
		return NULL;
	if ((rc = mdb_cursor_open(txn, l->dbi, &cur))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(rc));
		return NULL;
	}
	rc = MDB_NOTFOUND;
	if (stream < UINT32_MAX) {
		jlog_key(k, stream + 1, 0);
		key.mv_data = k;
		key.mv_size = 8;
		rc = mdb_cursor_get(cur, &key, &v, MDB_SET_RANGE);
	}
	rc = mdb_cursor_get(cur, &key, &v, rc == MDB_NOTFOUND ? MDB_LAST : MDB_PREV);
	if (!rc && key.mv_size == 8 && store_get_be32(key.mv_data) == stream) {
		uint32_t blk = store_get_be32((const unsigned char *)key.mv_data + 4);
		struct block bk;
		if (block_parse(v.mv_data, v.mv_size, &bk)) {
			mdb_cursor_close(cur);
			cli_err("block %u of stream %u of the decision log is damaged", blk, stream);
			return NULL;
		}
		/* open: read it back; an open block of format 1 (an earlier
		 * build's) is left as it is, the entries going on in a new one */
		if (bk.fmt == 2 && bk.blen < JLOG_BLOCK) {
			t->blk = blk;
			t->cap = t->n = bk.count;
			t->e = xmalloc((bk.count ? bk.count : 1) * sizeof *t->e);
			for (i = 0; i < bk.count; i++)
				entry_get(&bk, i, &t->e[i]);
			buf_add(&t->body, bk.body, bk.blen);
		} else {
			t->blk = blk + 1;
		}
	} else if (rc && rc != MDB_NOTFOUND) {
		mdb_cursor_close(cur);
		cli_err("cannot read the decision log: %s", mdb_strerror(rc));
		return NULL;
	}
	mdb_cursor_close(cur);
	l->nt++;
	return t;
}

/* The order of t's entries in its block's index, as entry numbers into
 * ord (t->n of them): by person, then sequence number, entries equal in
 * both in the order made. A radix sort of (person, entry number); the
 * entries of a person come in sequence order, which a pass over each
 * person's run checks (and puts right, stably, when they do not). */
static void entry_order(const struct jlog_tail *t, uint64_t *ord)
{
	size_t i, j, k;

	for (i = 0; i < t->n; i++)
		ord[i] = (uint64_t)t->e[i].oneid << 32 | i;
	sort_u64(ord, t->n, 0);
	for (i = 1; i < t->n; i++) {
		uint64_t x = ord[i];
		const struct jlog_entry *e = &t->e[(uint32_t)x];
		if ((uint32_t)(ord[i - 1] >> 32) != e->oneid || t->e[(uint32_t)ord[i - 1]].seq <= e->seq)
			continue;
		for (j = i; j && (uint32_t)(ord[j - 1] >> 32) == e->oneid; j--) {
			k = (uint32_t)ord[j - 1];
			if (t->e[k].seq <= e->seq)
				break;
			ord[j] = ord[j - 1];
		}
		ord[j] = x;
	}
}

/* Queue the put of t as it stands. */
static void block_put(struct jlog *l, struct jlog_tail *t)
{
	unsigned char k[8], *p;
	size_t i, hl = 5 + t->n * JLOG_ENTRY2;
	uint64_t *ord = xmalloc((t->n ? t->n : 1) * sizeof *ord);

	entry_order(t, ord); /* the body keeps its order */
	buf_reset(&l->val);
	buf_grow(&l->val, hl + t->body.len);
	p = (unsigned char *)l->val.p;
	p[0] = 2;
	store_be32(p + 1, (uint32_t)t->n);
	for (i = 0; i < t->n; i++) {
		unsigned char *q = p + 5 + i * JLOG_ENTRY2;
		const struct jlog_entry *e = &t->e[(uint32_t)ord[i]];
		store_be32(q, e->oneid);
		store_be32(q + 4, e->at);
	}
	free(ord);
	if (t->body.len)
		memcpy(p + hl, t->body.p, t->body.len);
	l->val.len = hl + t->body.len;
	jlog_key(k, t->stream, t->blk);
	store_put(l->st, l->dbi, k, 8, l->val.p, l->val.len);
	t->dirty = 0;
}

void jlog_add(struct jlog *l, struct jlog_tail *t, struct jlog_entry *e, const char *lines, size_t n)
{
	unsigned char *q;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->e = xrealloc(t->e, t->cap * sizeof *t->e);
	}
	e->at = (uint32_t)t->body.len;
	buf_grow(&t->body, 40 + n);
	q = uv_at((unsigned char *)t->body.p + t->body.len, e->seq);
	q = uv_at(q, e->pstream);
	q = uv_at(q, e->pblk);
	q = uv_at(q, n);
	t->body.len = (size_t)((char *)q - t->body.p);
	e->off = (uint32_t)t->body.len;
	e->len = (uint32_t)n;
	e->fmt = 2;
	t->e[t->n++] = *e;
	buf_add(&t->body, lines, n);
	t->dirty = 1;
	if (t->body.len >= JLOG_BLOCK) {
		block_put(l, t);
		l->blocks++;
		t->blk++;
		t->n = 0;
		buf_reset(&t->body);
	}
}

void jlog_save(struct jlog *l)
{
	unsigned i;

	for (i = 0; i < l->nt; i++)
		if (l->t[i].dirty)
			block_put(l, &l->t[i]);
}

long jlog_block_find(const void *v, size_t n, uint32_t oneid,
		     void (*fn)(void *ctx, const struct jlog_entry *e, const char *lines), void *ctx,
		     uint32_t *pstream, uint32_t *pblk)
{
	uint32_t lo, hi;
	struct block k;
	long found = 0;

	*pstream = *pblk = 0;
	if (block_parse(v, n, &k))
		return -1;
	lo = 0;
	hi = k.count;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (entry_oneid(&k, mid) < oneid)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < k.count && entry_oneid(&k, lo) == oneid; lo++) {
		struct jlog_entry e;
		entry_get(&k, lo, &e);
		if (!found) {
			*pstream = e.pstream;
			*pblk = e.pblk;
		}
		found++;
		fn(ctx, &e, k.body + e.off);
	}
	return found;
}

/* ---- a person's decisions read back ---- */

static void line_add(struct jlog_lines *out, uint32_t seq, const char *p, size_t n, int packed)
{
	if (out->n == out->cap) {
		out->cap = out->cap ? out->cap * 2 : 64;
		out->v = xrealloc(out->v, out->cap * sizeof *out->v);
	}
	out->v[out->n].seq = seq;
	out->v[out->n].bp = NULL;
	out->v[out->n].bn = 0;
	out->v[out->n].packed = packed;
	out->v[out->n].p = p;
	out->v[out->n++].n = n;
}

/* The lines of one value (a line each, '\n' between), numbered on from
 * seq. */
static void lines_add(struct jlog_lines *out, uint32_t seq, const char *p, size_t n)
{
	const char *end = p + n;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		line_add(out, seq++, p, (size_t)((nl ? nl : end) - p), 1);
		p = nl ? nl + 1 : end;
	}
}

/* The lines of a format-2 entry (each its length, then its bytes: a 0
 * and a $journey record, or packed text), numbered on from seq. */
static void lines_add2(struct jlog_lines *out, uint32_t seq, const char *p, size_t n)
{
	const unsigned char *q = (const unsigned char *)p, *end = q + n, *bp = NULL;
	uint64_t u;
	size_t bn = 0;

	while (q < end) {
		if (get_uv(&q, end, &u) || u > (uint64_t)(end - q)) {
			line_add(out, seq++, (const char *)q, 0, 3); /* damaged */
			return;
		}
		line_add(out, seq++, (const char *)q, (size_t)u, u && !q[0] ? 2 : 1);
		if (u >= 3 && !q[0]) { /* a $journey record: its base, or the base of those after */
			if (q[2] & JB_SAME) {
				out->v[out->n - 1].bp = (const char *)bp;
				out->v[out->n - 1].bn = bn;
			} else {
				bp = q;
				bn = (size_t)u;
			}
		}
		q += u;
	}
}

static void on_lines(void *ctx, const struct jlog_entry *e, const char *lines)
{
	if (e->fmt == 2)
		lines_add2(ctx, e->seq, lines, e->len);
	else
		lines_add(ctx, e->seq, lines, e->len);
}

static int line_cmp(const void *a, const void *b)
{
	const struct jlog_line *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void jlog_lines_release(struct jlog_lines *out)
{
	free(out->v);
	memset(out, 0, sizeof *out);
}

/* scheduler.log of an early store: under (oneid, seq), JSON. */
static int read_log(MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, struct jlog_lines *out)
{
	unsigned char key[8];
	MDB_cursor *cur;
	MDB_val k, v;
	int r;

	if ((r = mdb_cursor_open(txn, dbi, &cur)))
		return r;
	store_be32(key, oneid);
	store_be32(key + 4, 0);
	k.mv_data = key;
	k.mv_size = 8;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !r && k.mv_size == 8 && !memcmp(k.mv_data, key, 4);
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		line_add(out, store_get_be32((const unsigned char *)k.mv_data + 4), v.mv_data, v.mv_size, 0);
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : r;
}

/* scheduler.decisions of an earlier store: under (day, oneid, seq), a
 * seek per day that holds decisions. */
static int read_decisions(MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, struct jlog_lines *out)
{
	unsigned char key[12];
	MDB_cursor *cur;
	MDB_val k, v;
	uint32_t day = 0;
	int r;

	if ((r = mdb_cursor_open(txn, dbi, &cur)))
		return r;
	for (;;) {
		store_be32(key, day);
		store_be32(key + 4, oneid);
		store_be32(key + 8, 0);
		k.mv_data = key;
		k.mv_size = 12;
		r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		while (!r && k.mv_size == 12 && store_get_be32(k.mv_data) == day &&
		       store_get_be32((const unsigned char *)k.mv_data + 4) == oneid) {
			lines_add(out, store_get_be32((const unsigned char *)k.mv_data + 8), v.mv_data, v.mv_size);
			r = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
		}
		if (r || k.mv_size != 12)
			break;
		/* the next day with a decision of this person, if any */
		if (store_get_be32(k.mv_data) == day || store_get_be32((const unsigned char *)k.mv_data + 4) > oneid) {
			if (store_get_be32(k.mv_data) == UINT32_MAX)
				break;
			day = store_get_be32(k.mv_data) + 1;
		} else {
			day = store_get_be32(k.mv_data);
		}
	}
	mdb_cursor_close(cur);
	return r == MDB_NOTFOUND ? 0 : r;
}

/* The blocks: back from (ls, lb), or every one. */
static int read_blocks(struct store *st, MDB_txn *txn, MDB_dbi dbi, uint32_t oneid, int has_record, uint32_t ls,
		       uint32_t lb, struct jlog_lines *out)
{
	unsigned char k[8];
	uint32_t ps, pb;
	MDB_cursor *cur;
	MDB_val key, v;
	long found;
	int r;

	if (has_record) {
		while (lb) {
			jlog_key(k, ls, lb - 1);
			if ((r = store_get(st, dbi, k, 8, &v)) < 0)
				return -1;
			if (!r || (found = jlog_block_find(v.mv_data, v.mv_size, oneid, on_lines, out, &ps, &pb)) < 0) {
				cli_err("block %u of stream %u of the decision log is %s", lb - 1, ls, r ? "damaged" : "missing");
				return -1;
			}
			if (!found || (ps == ls && pb >= lb))
				break; /* never round again */
			ls = ps;
			lb = pb;
		}
		return 0;
	}
	if ((r = mdb_cursor_open(txn, dbi, &cur))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	for (r = mdb_cursor_get(cur, &key, &v, MDB_FIRST); !r; r = mdb_cursor_get(cur, &key, &v, MDB_NEXT))
		if (jlog_block_find(v.mv_data, v.mv_size, oneid, on_lines, out, &ps, &pb) < 0) {
			mdb_cursor_close(cur);
			cli_err("a block of the decision log is damaged");
			return -1;
		}
	mdb_cursor_close(cur);
	if (r != MDB_NOTFOUND) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	return 0;
}

int jlog_person(struct store *st, const struct jlog_dbs *dbs, uint32_t oneid, int has_record, uint32_t ls,
		uint32_t lb, struct jlog_lines *out)
{
	MDB_txn *txn = store_read_txn(st);
	int r;

	if (!txn)
		return -1;
	if ((!dbs->no_log && (r = read_log(txn, dbs->log, oneid, out))) ||
	    (!dbs->no_decisions && (r = read_decisions(txn, dbs->decisions, oneid, out)))) {
		cli_err("cannot read the decision log: %s", mdb_strerror(r));
		return -1;
	}
	if (!dbs->no_dlog && read_blocks(st, txn, dbs->dlog, oneid, has_record, ls, lb, out))
		return -1;
	if (out->n) /* qsort wants an array, even of none */
		qsort(out->v, out->n, sizeof *out->v, line_cmp);
	return 0;
}
