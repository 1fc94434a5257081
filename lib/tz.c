/*
 * tz - time zones: fixed offsets and IANA zones read from TZif files
 * (RFC 8536), with the footer's POSIX TZ rule for times after the last
 * transition.
 *
 * A loaded zone is immutable, so every query is thread-safe. All calendar
 * arithmetic goes through clock_days_from_civil / clock_civil_from_days.
 */
#include "tz.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"

#define TZ_MAX_FILE (1 << 20)
#define TZ_MAX_NAME 255
#define TZ_MAX_FOOTER 255
/* Queries are clamped to ±2^59 s (beyond any calendar use) so that the
 * arithmetic below cannot overflow. */
#define TZ_TLIM (INT64_C(1) << 59)
/* Larger than any accepted offset (|offset| ≤ 93599 s), so a wall-clock
 * time's instants lie within ±TZ_WINDOW of it. */
#define TZ_WINDOW INT64_C(172800)
#define TZ_MAX_UTOFF 93599

struct tz_type {
	int32_t utoff;
	uint8_t isdst;
};

/* One end of a DST period: 'J' Julian day a (1-365, no Feb 29), 'n'
 * zero-based day a (0-365), 'M' month a, week b (1-5), weekday c. */
struct tz_date {
	char kind;
	int a, b, c;
	int32_t secs;	/* local time of day of the change, may be < 0 */
};

struct tz_rule {
	int32_t std_off, dst_off;	/* seconds east of UTC */
	int has_dst;
	struct tz_date start, end;
};

struct tz {
	char *name;
	int64_t *trans;
	uint8_t *idx;
	struct tz_type *types;
	size_t ntrans, ntypes;
	int32_t before;		/* offset before the first transition */
	int has_rule;		/* rule applies after the last transition */
	struct tz_rule rule;
};

/* A stretch [start, end) of UTC time with a constant offset. */
struct tz_seg {
	int64_t start, end;
	int32_t off;
};

static struct tz *fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return NULL;
}

static inline int is_digit(char c)
{
	return (unsigned char)(c - '0') < 10;
}

static inline int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline int64_t clamp(int64_t t)
{
	return t < -TZ_TLIM ? -TZ_TLIM : t > TZ_TLIM ? TZ_TLIM : t;
}

static inline int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* ---- POSIX TZ rules ------------------------------------------------- */

/* Local seconds (wall clock as if UTC) at which date d takes effect in y. */
static int64_t rule_local(const struct tz_date *d, int64_t y)
{
	int64_t day;

	if (d->kind == 'J') {
		day = clock_days_from_civil(y, 1, 1) + d->a - 1;
		if (is_leap(y) && d->a >= 60)
			day++;
	} else if (d->kind == 'n') {
		day = clock_days_from_civil(y, 1, 1) + d->a;
	} else {
		int64_t first = clock_days_from_civil(y, (unsigned)d->a, 1);
		int64_t next = d->a == 12 ?
			clock_days_from_civil(y + 1, 1, 1) :
			clock_days_from_civil(y, (unsigned)d->a + 1, 1);
		/* 1970-01-01 was a Thursday (4). */
		int wd = (int)(first + 4 - floor_div(first + 4, 7) * 7);
		int64_t dd = (d->c - wd + 7) % 7 + (int64_t)(d->b - 1) * 7;

		while (first + dd >= next)
			dd -= 7;
		day = first + dd;
	}
	return day * 86400 + d->secs;
}

struct tz_event {
	int64_t at;
	int dst;	/* 1: DST starts, 0: DST ends */
};

static void rule_seg(const struct tz_rule *r, int64_t t, struct tz_seg *s)
{
	struct tz_event ev[10], e;
	int64_t y;
	unsigned m, d;
	int n = 0, k;

	if (!r->has_dst) {
		s->start = INT64_MIN;
		s->end = INT64_MAX;
		s->off = r->std_off;
		return;
	}
	/*
	 * Change times may stray days from their nominal date (v3 allows
	 * times of ±167 h), so take the changes of the surrounding years too
	 * and find the last one at or before t.
	 */
	clock_civil_from_days(floor_div(t, 86400), &y, &m, &d);
	for (int64_t yy = y - 2; yy <= y + 2; yy++) {
		ev[n].at = rule_local(&r->start, yy) - r->std_off;
		ev[n++].dst = 1;
		ev[n].at = rule_local(&r->end, yy) - r->dst_off;
		ev[n++].dst = 0;
	}
	/* Sort by time; at equal times the start of DST comes last, so a
	 * rule for DST all year round ("0/0,J365/25") stays in DST. */
	for (int i = 1; i < n; i++) {
		e = ev[i];
		for (k = i; k > 0 && (ev[k - 1].at > e.at ||
				      (ev[k - 1].at == e.at &&
				       ev[k - 1].dst > e.dst)); k--)
			ev[k] = ev[k - 1];
		ev[k] = e;
	}
	for (k = n - 1; k >= 0 && ev[k].at > t; k--)
		;
	if (k < 0) {
		s->start = INT64_MIN;
		s->end = ev[0].at;
		s->off = ev[0].dst ? r->std_off : r->dst_off;
		return;
	}
	s->start = ev[k].at;
	s->end = k + 1 < n ? ev[k + 1].at : INT64_MAX;
	s->off = ev[k].dst ? r->dst_off : r->std_off;
}

/* Zone abbreviation: 3 or more letters, or <…> of letters, digits, + -. */
static int parse_abbr(const char **pp)
{
	const char *p = *pp, *b;

	if (*p == '<') {
		b = ++p;
		while (is_alpha(*p) || is_digit(*p) || *p == '+' || *p == '-')
			p++;
		if (*p != '>' || p - b < 3)
			return -1;
		p++;
	} else {
		b = p;
		while (is_alpha(*p))
			p++;
		if (p - b < 3)
			return -1;
	}
	*pp = p;
	return 0;
}

/* [+-]hh[:mm[:ss]] with hh ≤ maxh; the value keeps the sign as written. */
static int parse_hms(const char **pp, int maxh, int32_t *out)
{
	const char *p = *pp;
	int sign = 1, part[3] = {0, 0, 0}, np = 0, nd;

	if (*p == '+' || *p == '-')
		sign = *p++ == '-' ? -1 : 1;
	for (;;) {
		for (nd = 0; is_digit(*p) && nd < 3; nd++)
			part[np] = part[np] * 10 + (*p++ - '0');
		if (nd == 0 || is_digit(*p) || (np > 0 && nd > 2))
			return -1;
		if (++np == 3 || *p != ':')
			break;
		p++;
	}
	if (part[0] > maxh || part[1] > 59 || part[2] > 59)
		return -1;
	*out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
	*pp = p;
	return 0;
}

static int parse_num(const char **pp, int lo, int hi, int *out)
{
	const char *p = *pp;
	int v = 0, nd = 0;

	while (is_digit(*p) && nd < 4) {
		v = v * 10 + (*p++ - '0');
		nd++;
	}
	if (nd == 0 || is_digit(*p) || v < lo || v > hi)
		return -1;
	*out = v;
	*pp = p;
	return 0;
}

static int parse_date(const char **pp, struct tz_date *d)
{
	const char *p = *pp;

	d->b = d->c = 0;
	if (*p == 'J') {
		p++;
		d->kind = 'J';
		if (parse_num(&p, 1, 365, &d->a))
			return -1;
	} else if (*p == 'M') {
		p++;
		d->kind = 'M';
		if (parse_num(&p, 1, 12, &d->a) || *p++ != '.' ||
		    parse_num(&p, 1, 5, &d->b) || *p++ != '.' ||
		    parse_num(&p, 0, 6, &d->c))
			return -1;
	} else {
		d->kind = 'n';
		if (parse_num(&p, 0, 365, &d->a))
			return -1;
	}
	d->secs = 7200;
	if (*p == '/') {
		p++;
		if (parse_hms(&p, 167, &d->secs))
			return -1;
	}
	*pp = p;
	return 0;
}

/* std offset [dst [offset] [,start[/time],end[/time]]] */
static int parse_rule(const char *p, struct tz_rule *r)
{
	int32_t v;

	memset(r, 0, sizeof(*r));
	if (parse_abbr(&p) || parse_hms(&p, 24, &v))
		return -1;
	r->std_off = -v;	/* POSIX counts west of Greenwich */
	if (!*p)
		return 0;
	if (parse_abbr(&p))
		return -1;
	r->has_dst = 1;
	r->dst_off = r->std_off + 3600;
	if (*p && *p != ',') {
		if (parse_hms(&p, 24, &v))
			return -1;
		r->dst_off = -v;
	}
	if (!*p) {
		/* No rule given: the customary US rule, as tzcode assumes. */
		r->start = (struct tz_date){'M', 3, 2, 0, 7200};
		r->end = (struct tz_date){'M', 11, 1, 0, 7200};
		return 0;
	}
	if (*p++ != ',' || parse_date(&p, &r->start) || *p++ != ',' ||
	    parse_date(&p, &r->end) || *p)
		return -1;
	return 0;
}

/* ---- TZif ----------------------------------------------------------- */

struct tzif_hdr {
	uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
};

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static int read_hdr(const unsigned char *p, size_t n, struct tzif_hdr *h)
{
	if (n < 44 || memcmp(p, "TZif", 4))
		return -1;
	h->isutcnt = be32(p + 20);
	h->isstdcnt = be32(p + 24);
	h->leapcnt = be32(p + 28);
	h->timecnt = be32(p + 32);
	h->typecnt = be32(p + 36);
	h->charcnt = be32(p + 40);
	return 0;
}

static size_t block_size(const struct tzif_hdr *h, size_t tsize)
{
	return (size_t)h->timecnt * (tsize + 1) + (size_t)h->typecnt * 6 +
	       h->charcnt + (size_t)h->leapcnt * (tsize + 4) + h->isstdcnt +
	       h->isutcnt;
}

/* The v2+ footer: "\n" TZ-string "\n"; an empty string means no rule. */
static int parse_footer(struct tz *z, const unsigned char *f, size_t n)
{
	char str[TZ_MAX_FOOTER + 1];
	const unsigned char *nl;
	size_t len;

	if (n < 2 || f[0] != '\n')
		return -1;
	nl = memchr(f + 1, '\n', n - 1);
	if (!nl)
		return -1;
	len = (size_t)(nl - f - 1);
	if (len == 0)
		return 0;
	if (len > TZ_MAX_FOOTER || memchr(f + 1, 0, len))
		return -1;
	memcpy(str, f + 1, len);
	str[len] = 0;
	if (parse_rule(str, &z->rule) || z->rule.dst_off < -TZ_MAX_UTOFF ||
	    z->rule.dst_off > TZ_MAX_UTOFF)
		return -1;
	z->has_rule = 1;
	return 0;
}

static int parse_tzif(struct tz *z, const unsigned char *p, size_t n)
{
	struct tzif_hdr h;
	const unsigned char *q, *tt;
	size_t off, tsize = 4, blk;

	if (read_hdr(p, n, &h))
		return -1;
	off = 44;
	blk = block_size(&h, 4);
	if (p[4] >= '2') {
		/* Skip the 32-bit data; use the 64-bit block and footer. */
		if (n - off < blk || read_hdr(p + off + blk, n - off - blk, &h))
			return -1;
		off += blk + 44;
		tsize = 8;
		blk = block_size(&h, 8);
	}
	if (n - off < blk || h.typecnt == 0 || h.typecnt > 256 ||
	    h.charcnt == 0 ||
	    (h.isstdcnt != 0 && h.isstdcnt != h.typecnt) ||
	    (h.isutcnt != 0 && h.isutcnt != h.typecnt))
		return -1;

	q = p + off;
	z->ntrans = h.timecnt;
	z->ntypes = h.typecnt;
	z->trans = xmalloc(z->ntrans * sizeof(*z->trans));
	z->idx = xmalloc(z->ntrans);
	z->types = xmalloc(z->ntypes * sizeof(*z->types));
	for (size_t i = 0; i < z->ntrans; i++) {
		z->trans[i] = tsize == 8 ? be64(q + i * 8) :
					   (int32_t)be32(q + i * 4);
		if (i > 0 && z->trans[i] < z->trans[i - 1])
			return -1;
		z->idx[i] = q[z->ntrans * tsize + i];
		if (z->idx[i] >= z->ntypes)
			return -1;
	}
	tt = q + z->ntrans * (tsize + 1);
	for (size_t i = 0; i < z->ntypes; i++) {
		int32_t utoff = (int32_t)be32(tt + i * 6);

		if (utoff < -TZ_MAX_UTOFF || utoff > TZ_MAX_UTOFF ||
		    tt[i * 6 + 4] > 1 || tt[i * 6 + 5] >= h.charcnt)
			return -1;
		z->types[i].utoff = utoff;
		z->types[i].isdst = tt[i * 6 + 4];
	}
	/* Before the first transition: the first standard-time type. */
	z->before = z->types[0].utoff;
	for (size_t i = 0; i < z->ntypes; i++) {
		if (!z->types[i].isdst) {
			z->before = z->types[i].utoff;
			break;
		}
	}

	if (tsize == 4)
		return 0;
	return parse_footer(z, p + off + blk, n - off - blk);
}

/* Read the whole of a zone file; returns a malloc'd buffer or NULL. */
static unsigned char *read_file(const char *path, size_t *n, const char **why)
{
	unsigned char *p = NULL;
	struct stat st;
	size_t got = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = errno == ENOENT || errno == ENOTDIR ? "unknown zone" :
							    "unreadable zone file";
		return NULL;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		*why = "unknown zone";
		goto out;
	}
	if (st.st_size > TZ_MAX_FILE) {
		*why = "malformed zone file";
		goto out;
	}
	p = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, p + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			*why = "unreadable zone file";
			free(p);
			p = NULL;
			goto out;
		}
		got += (size_t)r;
	}
	*n = got;
out:
	close(fd);
	return p;
}

/* Names in the zoneinfo tree: [A-Za-z0-9_+/-], not starting with '/'.
 * '.' is not allowed at all, so ".." cannot occur. */
static int name_ok(const char *s)
{
	size_t n = 0;

	if (!*s || *s == '/')
		return 0;
	for (; s[n]; n++) {
		char c = s[n];

		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '+' &&
		    c != '-' && c != '/')
			return 0;
	}
	return n <= TZ_MAX_NAME;
}

/* "+HH:MM", "+HHMM", "+HH" or '-'; seconds east of UTC. */
static int parse_fixed(const char *s, int32_t *off)
{
	int sign = *s == '-' ? -1 : 1, h, m = 0;

	if ((*s != '+' && *s != '-') || !is_digit(s[1]) || !is_digit(s[2]))
		return -1;
	h = (s[1] - '0') * 10 + (s[2] - '0');
	s += 3;
	if (*s == ':')
		s++;
	if (*s) {
		if (!is_digit(s[0]) || !is_digit(s[1]) || s[2])
			return -1;
		m = (s[0] - '0') * 10 + (s[1] - '0');
	} else if (s[-1] == ':') {
		return -1;
	}
	if (h > 23 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

struct tz *tz_load(const char *name, const char **why)
{
	const char *dir, *err = "malformed zone file";
	unsigned char *data = NULL;
	struct tz *z;
	struct buf path = BUF_INIT;
	int32_t off = 0;
	size_t n = 0;

	if (!name)
		return fail(why, "invalid zone name");
	if (!strcmp(name, "UTC") || !strcmp(name, "Z") || !strcmp(name, "GMT"))
		goto fixed;
	if (*name == '+' || *name == '-') {
		if (parse_fixed(name, &off))
			return fail(why, "invalid zone offset");
		goto fixed;
	}
	if (!name_ok(name))
		return fail(why, "invalid zone name");

	dir = getenv("TZDIR");
	if (!dir || !*dir)
		dir = "/usr/share/zoneinfo";
	buf_printf(&path, "%s/%s", dir, name);
	data = read_file(path.p, &n, &err);
	buf_release(&path);
	if (!data)
		return fail(why, err);

	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	if (parse_tzif(z, data, n)) {
		free(data);
		tz_free(z);
		return fail(why, "malformed zone file");
	}
	free(data);
	return z;

fixed:
	z = xcalloc(1, sizeof(*z));
	z->name = xstrdup(name);
	z->has_rule = 1;
	z->rule.std_off = off;
	z->before = off;
	return z;
}

void tz_free(struct tz *z)
{
	if (!z)
		return;
	free(z->name);
	free(z->trans);
	free(z->idx);
	free(z->types);
	free(z);
}

const char *tz_name(const struct tz *z)
{
	return z->name;
}

/* The stretch of constant offset that contains UTC instant t. */
static void tz_seg(const struct tz *z, int64_t t, struct tz_seg *s)
{
	size_t lo, hi, i;

	if (z->ntrans == 0) {
		if (z->has_rule) {
			rule_seg(&z->rule, t, s);
			return;
		}
		s->start = INT64_MIN;
		s->end = INT64_MAX;
		s->off = z->before;
		return;
	}
	if (t < z->trans[0]) {
		s->start = INT64_MIN;
		s->end = z->trans[0];
		s->off = z->before;
		return;
	}
	/* Last transition at or before t. */
	lo = 0;
	hi = z->ntrans;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (z->trans[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	i = lo;
	if (i + 1 < z->ntrans) {
		s->start = z->trans[i];
		s->end = z->trans[i + 1];
		s->off = z->types[z->idx[i]].utoff;
		return;
	}
	if (z->has_rule) {
		rule_seg(&z->rule, t, s);
		if (s->start < z->trans[i])
			s->start = z->trans[i];
		return;
	}
	s->start = z->trans[i];
	s->end = INT64_MAX;
	s->off = z->types[z->idx[i]].utoff;
}

int32_t tz_offset_at_utc(const struct tz *z, int64_t t)
{
	struct tz_seg s;

	tz_seg(z, clamp(t), &s);
	return s.off;
}

/*
 * Walk the stretches of constant offset around `local`. In stretch k with
 * offset o the candidate is u = local - o; it is an answer if it lies in
 * the stretch. Stretches come in time order, so the first answer is the
 * earliest instant (overlap rule). With no answer the wall time is in a
 * gap: the first place where a stretch's candidate lies at or past its end
 * and the next stretch's lies before its start; there the offset before
 * the gap applies.
 */
int64_t tz_local_to_utc(const struct tz *z, int64_t local)
{
	struct tz_seg s;
	int64_t hi, u, gap = 0;
	int have_gap = 0, past_end = 0;

	local = clamp(local);
	hi = local + TZ_WINDOW;
	tz_seg(z, local - TZ_WINDOW, &s);
	for (;;) {
		u = local - s.off;
		if (u >= s.start && u < s.end)
			return u;
		if (u < s.start && past_end && !have_gap)
			have_gap = 1;
		past_end = u >= s.end;
		if (past_end && !have_gap)
			gap = u;
		if (s.end > hi)
			break;
		tz_seg(z, s.end, &s);
	}
	if (have_gap)
		return gap;
	return local - tz_offset_at_utc(z, local);
}
