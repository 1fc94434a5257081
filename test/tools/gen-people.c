/*
 * gen-people - a synthetic multi-channel population with ground truth, for
 * measuring how well idmerge finds people.
 *
 *   gen-people [-p PEOPLE] [-e EVENTS_PER_PERSON_AVG] [-s SEED]
 *
 * Prints raw events in the canonical input shape ingest accepts, one per
 * line, in increasing time:
 *
 *   {"event_id":"g1","type":"login","ts":"…","source":"web",
 *    "ids":{"cookie":"…","user":"…"},"props":{"truth":17}}
 *
 * props.truth is the person (1..PEOPLE) the event really belongs to; no
 * identifier value reveals it. A person has 1 + a geometric number of
 * events (mean EVENTS_PER_PERSON_AVG, default 5; staff four times that)
 * from a start time in the first 90 days of 2026, about 36 hours apart.
 * Each person is sampled once: a mobile phone (80%, unique, written as
 * 13800138000, 138-0013-8000, +86 138 0013 8000 or 8613800138000), an
 * email (50%, unique, mixed case and padding), a login id (50%), a member
 * number (30%), WeChat (60%: one or two openids, one per app, and a unionid
 * for two thirds of them, so 40% overall), 1-4 cookies, 1-2 devices.
 * Events go to the channels the person can use:
 *
 *   web          a cookie; on about 30% of events a login with the user
 *                id and/or phone/email
 *   miniprogram  an openid; the unionid from the "authorize" event on, the
 *                phone from the "bind_phone" event on (both after the
 *                person's first event)
 *   app          a device, plus the user id when logged in (70%)
 *   pos          the member number and/or the phone
 *
 * Traps for a linker: about 5% of people live in households of 2-4 that
 * share one tablet (half of their app events, with their own login when
 * they have one); 20 staff (PEOPLE/50 below 1000 people) log in on 60% of
 * their web events with one QA test phone 13999999999 beside their own user
 * ids; about 2% of events carry a junk value ("null", "0", an all-zero
 * device id, …) in an identifier slot the event does not otherwise use;
 * about 5% of people are one-off anonymous visitors (one fresh cookie, 1-2
 * events). Same seed, same output; nothing else is printed on stdout.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

#define T0_MS 1767225600000LL          /* 2026-01-01T00:00:00Z */
#define SPAN_MS (90LL * 86400 * 1000)  /* first events fall in 90 days */
#define GAP_MS (36LL * 3600 * 1000)    /* mean gap between a person's events */
#define MAX_EVENTS 1000                /* per person */
#define STAFF 20
#define QA_PHONE 13999999999ULL
#define PHONE_SPACE 7000000000ULL      /* 1[3-9] and nine digits */
#define PHONE_MULT 1000003ULL          /* coprime to 7e9: a bijection */

enum kind { NORMAL, STAFFER, ANON };
enum chan { WEB, MINI, APP, POS };

static const char *const chan_name[] = {"web", "miniprogram", "app", "pos"};

struct person {
	uint64_t phone;     /* 11 digits, 0 none */
	uint32_t nev;       /* events */
	uint32_t house;     /* household number + 1 (shares a tablet), 0 none */
	uint16_t auth_at;   /* event index of "authorize", 0xffff never */
	uint16_t bind_at;   /* event index of "bind_phone", 0xffff never */
	uint8_t kind;
	uint8_t email;      /* 0 none, else 1 + name index */
	uint8_t domain;
	uint8_t user, member, unionid;
	uint8_t nopenid, ncookie, ndevice;
};

struct ev {
	int64_t ts;
	uint32_t who;
	uint32_t k; /* index among the person's events */
};

static uint64_t rng;
static uint64_t salt;

/* xorshift64* */
static uint64_t next(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* uniform in [0, n) */
static uint32_t below(uint32_t n)
{
	return (uint32_t)(((next() >> 32) * (uint64_t)n) >> 32);
}

/* uniform in [0, 1) */
static double unit(void)
{
	return (double)(next() >> 11) * (1.0 / 9007199254740992.0);
}

static int chance(double p)
{
	return unit() < p;
}

/* A stateless 64-bit mix for identifier values derived from numbers. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* A bijection of 32-bit numbers: distinct people get distinct ids. */
static uint32_t perm32(uint32_t x, uint32_t key)
{
	x ^= key;
	x ^= x >> 16;
	x *= 0x7feb352dU;
	x ^= x >> 15;
	x *= 0x846ca68bU;
	x ^= x >> 16;
	return x;
}

/* Identifier value of person who, kind tag, index j. */
static uint64_t idval(uint32_t who, unsigned tag, unsigned j)
{
	return mix(salt ^ ((uint64_t)tag << 56) ^ ((uint64_t)j << 40) ^ who);
}

static const char *const names[] = {
	"zhang.wei", "wang.fang", "li.na", "liu.yang", "chen.jing", "yang.li",
	"huang.min", "zhao.lei", "wu.xia", "zhou.jie", "xu.tao", "sun.hui",
	"ma.chao", "zhu.yan", "hu.bo", "guo.qiang", "lin.mei", "he.jun",
	"gao.ping", "luo.dan",
};
#define NNAMES (sizeof names / sizeof names[0])

static const char *const domains[] = {"qq.com", "163.com", "126.com", "gmail.com",
				      "outlook.com", "sina.com", "foxmail.com"};
#define NDOMAINS (sizeof domains / sizeof domains[0])

static const char *const junk[] = {"null", "undefined", "0", "unknown",
				   "00000000-0000-0000-0000-000000000000"};

/* ---- output ---- */

static char out[4096];
static size_t outn;

static void put(const char *s)
{
	size_t n = strlen(s);

	memcpy(out + outn, s, n);
	outn += n;
}

static void putu(uint64_t v)
{
	char tmp[24];
	int i = 0;

	do {
		tmp[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		out[outn++] = tmp[--i];
}

/* Open an identifier slot: ,"type":" (the caller writes the value). */
static void slot(int *nids, const char *type)
{
	if ((*nids)++)
		out[outn++] = ',';
	out[outn++] = '"';
	put(type);
	put("\":\"");
}

static void hexn(uint64_t v, int digits, int upper)
{
	const char *hx = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	while (digits--)
		out[outn++] = hx[(v >> (4 * digits)) & 15];
}

static void id_phone(int *nids, uint64_t p)
{
	char d[12];
	int form = (int)below(4);

	snprintf(d, sizeof d, "%011llu", (unsigned long long)p);
	slot(nids, "phone");
	switch (form) {
	case 0: /* 13800138000 */
		put(d);
		break;
	case 1: /* 138-0013-8000 */
		memcpy(out + outn, d, 3);
		out[outn + 3] = '-';
		memcpy(out + outn + 4, d + 3, 4);
		out[outn + 8] = '-';
		memcpy(out + outn + 9, d + 7, 4);
		outn += 13;
		break;
	case 2: /* +86 138 0013 8000 */
		put("+86 ");
		memcpy(out + outn, d, 3);
		out[outn + 3] = ' ';
		memcpy(out + outn + 4, d + 3, 4);
		out[outn + 8] = ' ';
		memcpy(out + outn + 9, d + 7, 4);
		outn += 13;
		break;
	default: /* 8613800138000 */
		put("86");
		put(d);
	}
	out[outn++] = '"';
}

static void id_email(int *nids, uint32_t who, const struct person *p)
{
	char e[96];
	size_t i, n;
	int style = (int)below(4);

	n = (size_t)snprintf(e, sizeof e, "%s%u@%s", names[p->email - 1],
			     perm32(who, (uint32_t)salt ^ 0x5eed), domains[p->domain]);
	slot(nids, "email");
	if (style == 3 && chance(0.5))
		put("  ");
	for (i = 0; i < n; i++) {
		char c = e[i];
		int up = style == 1 || (style >= 2 && (i == 0 || e[i - 1] == '.' ||
							e[i - 1] == '@' || below(5) == 0));

		if (up && c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		out[outn++] = c;
	}
	if (style == 3)
		put(" ");
	out[outn++] = '"';
}

static void id_user(int *nids, uint32_t who)
{
	slot(nids, "user");
	put("u");
	putu(perm32(who, (uint32_t)salt ^ 0x05e7));
	out[outn++] = '"';
}

static void id_member(int *nids, uint32_t who)
{
	char m[16];

	snprintf(m, sizeof m, "M%010u", perm32(who, (uint32_t)(salt >> 32)));
	slot(nids, "member");
	put(m);
	out[outn++] = '"';
}

/* 28 characters as WeChat writes openids and unionids */
static void wx_id(uint64_t h)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint64_t x = h;
	int i;

	out[outn++] = 'o';
	for (i = 0; i < 27; i++) {
		if (i % 10 == 0)
			x = mix(h + (uint64_t)i);
		out[outn++] = b64[x & 63];
		x >>= 6;
	}
}

static void id_openid(int *nids, uint32_t who, unsigned app)
{
	slot(nids, "openid");
	wx_id(idval(who, 1, app));
	out[outn++] = '"';
}

static void id_unionid(int *nids, uint32_t who)
{
	slot(nids, "unionid");
	wx_id(idval(who, 3, 0));
	out[outn++] = '"';
}

static void id_cookie(int *nids, uint32_t who, unsigned j)
{
	uint64_t h = idval(who, 5, j);

	slot(nids, "cookie");
	put("ck.");
	hexn(h, 16, 0);
	out[outn++] = '.';
	putu(1700000000 + (h >> 40) % 60000000);
	out[outn++] = '"';
}

/* a device id: an IDFA-like UUID or an Android id */
static void id_device(int *nids, uint64_t h, uint64_t h2)
{
	slot(nids, "device");
	if (h & 1) {
		hexn(h >> 32, 8, 1);
		out[outn++] = '-';
		hexn(h >> 16, 4, 1);
		put("-4");
		hexn(h, 3, 1);
		out[outn++] = '-';
		hexn(8 | ((h2 >> 60) & 3), 1, 1);
		hexn(h2 >> 48, 3, 1);
		out[outn++] = '-';
		hexn(h2, 12, 1);
	} else {
		hexn(h2, 16, 0);
	}
	out[outn++] = '"';
}

/* ---- the population ---- */

/* 1 + geometric with mean avg, capped */
static uint32_t event_count(double avg)
{
	double u = unit(), p = 1.0 / avg;
	double n;

	if (avg <= 1.0)
		return 1;
	n = 1.0 + floor(log1p(-u) / log1p(-p));
	return n > MAX_EVENTS ? MAX_EVENTS : (uint32_t)n;
}

static void sample(struct person *p, uint32_t who, uint32_t npeople, uint32_t nstaff,
		   double avg, uint32_t *house_left, uint32_t *house_no)
{
	uint64_t v;

	memset(p, 0, sizeof *p);
	p->auth_at = p->bind_at = 0xffff;
	p->kind = who < nstaff ? STAFFER : NORMAL;
	if (*house_left) {
		p->house = *house_no;
		--*house_left;
	} else if (p->kind == NORMAL) {
		/* about 5% anonymous, about 5% in households of 2-4 */
		double r = unit();

		if (r < 0.05) {
			p->kind = ANON;
		} else if (r < 0.0675 && npeople - who >= 2) {
			uint32_t size = 2 + below(3);

			if (size > npeople - who)
				size = npeople - who;
			p->house = ++*house_no;
			*house_left = size - 1;
		}
	}
	if (p->kind == ANON) {
		p->ncookie = 1;
		p->nev = 1 + below(2);
		return;
	}
	if (chance(0.8)) {
		v = ((uint64_t)perm32(who, (uint32_t)salt ^ 0x940e) * PHONE_MULT + salt % PHONE_SPACE) %
		    PHONE_SPACE;
		p->phone = 13000000000ULL + v;
		if (p->phone == QA_PHONE || p->phone == 13800000000ULL)
			p->phone = 0;
	}
	if (chance(0.5)) {
		p->email = (uint8_t)(1 + below(NNAMES));
		p->domain = (uint8_t)below(NDOMAINS);
	}
	p->user = p->kind == STAFFER || chance(0.5);
	p->member = chance(0.3);
	if (chance(0.6)) {
		p->nopenid = (uint8_t)(1 + below(2));
		p->unionid = chance(0.4 / 0.6);
	}
	p->ncookie = (uint8_t)(1 + below(4));
	p->ndevice = (uint8_t)(1 + below(2));
	p->nev = event_count(p->kind == STAFFER ? 4 * avg : avg);
	/* the authorize and bind events come after the first event */
	if (p->nopenid && p->nev >= 2) {
		if (p->unionid)
			p->auth_at = (uint16_t)(1 + below(p->nev - 1));
		if (p->phone && chance(0.5))
			p->bind_at = (uint16_t)(1 + below(p->nev - 1));
	}
}

/* Pick a channel for an event of p; forced for authorize and bind. */
static enum chan pick_channel(const struct person *p, uint32_t k)
{
	unsigned w[4], tot, r;

	if (p->kind == ANON)
		return WEB;
	if (k == p->auth_at || k == p->bind_at)
		return MINI;
	w[WEB] = 4;
	w[APP] = 3;
	w[MINI] = p->nopenid ? 3 : 0;
	w[POS] = p->member || p->phone ? 2 : 0;
	tot = w[0] + w[1] + w[2] + w[3];
	r = below(tot);
	for (int c = 0; c < 4; c++) {
		if (r < w[c])
			return (enum chan)c;
		r -= w[c];
	}
	return WEB;
}

static const char *pick(const char *const *v, unsigned n)
{
	return v[below(n)];
}

static void emit(uint64_t seq, const struct ev *e, const struct person *people)
{
	static const char *const web_types[] = {"page_view", "page_view", "page_view", "search", "add_to_cart"};
	static const char *const mini_types[] = {"mp_open", "page_view", "page_view", "add_to_cart", "order_paid"};
	static const char *const app_types[] = {"app_open", "page_view", "page_view", "add_to_cart", "order_paid"};
	static const char *const id_types[] = {"user", "member", "phone", "unionid", "email", "openid", "device", "cookie"};
	const struct person *p = &people[e->who];
	uint32_t who = e->who;
	enum chan ch = pick_channel(p, e->k);
	const char *type = "page_view";
	char iso[CLOCK_ISO_LEN + 1];
	unsigned present = 0; /* bit per id_types entry */
	int nids = 0, login;

	outn = 0;
	put("{\"event_id\":\"g");
	putu(seq);
	put("\",\"type\":\"");
	switch (ch) {
	case WEB:
		login = p->kind != ANON && (p->user || p->phone || p->email) &&
			chance(p->kind == STAFFER ? 0.6 : 0.3);
		type = login ? "login" : pick(web_types, 5);
		break;
	case MINI:
		type = e->k == p->auth_at ? "authorize" : e->k == p->bind_at ? "bind_phone"
									       : pick(mini_types, 5);
		break;
	case APP:
		type = pick(app_types, 5);
		break;
	case POS:
		type = "order_paid";
		break;
	}
	put(type);
	put("\",\"ts\":\"");
	clock_format(e->ts, iso);
	put(iso);
	put("\",\"source\":\"");
	put(chan_name[ch]);
	put("\",\"ids\":{");

	switch (ch) {
	case WEB:
		if (p->kind == ANON) {
			id_cookie(&nids, who, 0);
			present |= 1u << 7;
			break;
		}
		id_cookie(&nids, who, below(p->ncookie));
		present |= 1u << 7;
		if (strcmp(type, "login"))
			break;
		if (p->kind == STAFFER) {
			/* the QA phone and their own login */
			id_user(&nids, who);
			id_phone(&nids, QA_PHONE);
			present |= 1u << 0 | 1u << 2;
			break;
		}
		for (;;) {
			int u = p->user && chance(0.7);
			int ph = p->phone && chance(0.5);
			int em = p->email && chance(0.5);
			if (!u && !ph && !em)
				continue;
			if (u)
				id_user(&nids, who);
			if (ph)
				id_phone(&nids, p->phone);
			if (em)
				id_email(&nids, who, p);
			present |= (unsigned)u << 0 | (unsigned)ph << 2 | (unsigned)em << 4;
			break;
		}
		break;
	case MINI:
		id_openid(&nids, who, below(p->nopenid));
		present |= 1u << 5;
		if (e->k >= p->auth_at) {
			id_unionid(&nids, who);
			present |= 1u << 3;
		}
		if (e->k >= p->bind_at) {
			id_phone(&nids, p->phone);
			present |= 1u << 2;
		}
		break;
	case APP:
		if (p->house && chance(0.5))
			id_device(&nids, mix(salt ^ 0x7ab1e7000000ULL ^ p->house),
				  mix(salt ^ 0x7ab1e7100000ULL ^ p->house));
		else {
			unsigned j = below(p->ndevice);
			id_device(&nids, idval(who, 6, j), idval(who, 7, j));
		}
		present |= 1u << 6;
		if (p->user && chance(0.7)) {
			id_user(&nids, who);
			present |= 1u << 0;
		}
		break;
	case POS: {
		int m = p->member, ph = p->phone != 0;
		if (m && ph) {
			unsigned r = below(5);
			m = r != 0;
			ph = r != 1;
		}
		if (m)
			id_member(&nids, who);
		if (ph)
			id_phone(&nids, p->phone);
		present |= (unsigned)m << 1 | (unsigned)ph << 2;
		break;
	}
	}
	/* a junk value in a spare slot, never the only identifier */
	if (chance(0.02)) {
		unsigned t = below(8);
		while (present & (1u << t))
			t = (t + 1) % 8;
		slot(&nids, id_types[t]);
		put(t == 6 && below(2) ? junk[4] : pick(junk, 4));
		out[outn++] = '"';
	}
	put("},\"props\":{\"truth\":");
	putu((uint64_t)who + 1);
	put("}}\n");
	fwrite(out, 1, outn, stdout);
}

static int by_time(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	if (x->who != y->who)
		return x->who < y->who ? -1 : 1;
	return x->k < y->k ? -1 : x->k > y->k;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: gen-people [-p PEOPLE] [-e EVENTS_PER_PERSON_AVG] [-s SEED]\n");
}

int main(int argc, char **argv)
{
	unsigned long long npeople = 10000, seed = 1;
	double avg = 5.0;
	uint32_t nstaff, house_left = 0, house_no = 0, i, k;
	struct person *people;
	struct ev *evs;
	size_t nev = 0, cap;
	int64_t last = 0;
	char *end;
	int opt;

	opterr = 0;
	while ((opt = getopt(argc, argv, "p:e:s:h")) != -1) {
		switch (opt) {
		case 'p':
			npeople = strtoull(optarg, &end, 10);
			if (*end || !npeople || npeople > 100000000ULL) {
				fprintf(stderr, "gen-people: -p wants 1..100000000 people\n");
				return 64;
			}
			break;
		case 'e':
			avg = strtod(optarg, &end);
			if (*end || !(avg >= 1.0 && avg <= 500.0)) {
				fprintf(stderr, "gen-people: -e wants an average of 1..500 events\n");
				return 64;
			}
			break;
		case 's':
			seed = strtoull(optarg, &end, 10);
			if (*end) {
				fprintf(stderr, "gen-people: -s wants a number\n");
				return 64;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "%s: unknown option -%c\n", "gen-people", optopt);
			usage(stderr);
			return 64;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 64;
	}
	rng = mix(seed ^ 0x6e6e70656f706c65ULL) | 1;
	salt = mix(rng);
	nstaff = npeople >= 1000 ? STAFF : (uint32_t)(npeople / 50);

	people = calloc(npeople, sizeof *people);
	cap = (size_t)(npeople * (avg + 1.0));
	evs = malloc(cap * sizeof *evs);
	if (!people || !evs) {
		fprintf(stderr, "gen-people: out of memory\n");
		return 70;
	}
	for (i = 0; i < npeople; i++) {
		struct person *p = &people[i];
		int64_t t;

		sample(p, i, (uint32_t)npeople, nstaff, avg, &house_left, &house_no);
		t = T0_MS + (int64_t)(unit() * (double)SPAN_MS);
		for (k = 0; k < p->nev; k++) {
			if (nev == cap) {
				struct ev *n2;
				cap += cap / 2 + 1024;
				n2 = realloc(evs, cap * sizeof *evs);
				if (!n2) {
					fprintf(stderr, "gen-people: out of memory\n");
					return 70;
				}
				evs = n2;
			}
			if (k)
				t += 1000 + (int64_t)(-log1p(-unit()) * (double)GAP_MS);
			evs[nev].ts = t;
			evs[nev].who = i;
			evs[nev].k = k;
			nev++;
		}
	}
	qsort(evs, nev, sizeof *evs, by_time);
	/* strictly increasing time overall; a person's order is kept */
	for (size_t j = 0; j < nev; j++) {
		if (evs[j].ts <= last)
			evs[j].ts = last + 1;
		last = evs[j].ts;
	}
	static char obuf[1 << 16];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	for (size_t j = 0; j < nev; j++)
		emit(j + 1, &evs[j], people);
	free(evs);
	free(people);
	if (fflush(stdout)) {
		perror("gen-people: stdout");
		return 74;
	}
	return 0;
}
