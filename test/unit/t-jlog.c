/*
 * t-jlog - the packing of the decision log: every line comes back as it
 * went in, the records scheduler writes pack to well under their size,
 * raw control bytes survive, the packed form of a known line is frozen,
 * and random lines of phrases, their pieces and control bytes pack as a
 * plain byte-at-a-time packer (longest phrase first) packs them (a store's log is read back with the same table). The blocks:
 * entries of many people over several blocks and commits, a store
 * reopened in the middle (the open block read back), come back per
 * person in sequence order by following each person's blocks back (and
 * by searching every block), and the blocks are the same bytes whatever
 * the commits in between. $journey records kept as their parts (with
 * and without each part, a version not in hex, a time before 1970, a
 * line sharing its base's time, cause and journey) are written back as
 * lib/jwrite writes them; one cut short is said to be damaged; a
 * format-1 block left open by an earlier build is not added to, and a
 * person's lines of both formats read back as one log.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jlog.h"
#include "json.h"
#include "t.h"

static const char *const lines[] = {
	"{\"type\":\"$journey\",\"event_id\":\"jrn:g0:browse_no_buy:1:-:enter\",\"ts\":\"2026-09-21T14:13:20.261Z\","
	"\"oneid\":1,\"journey\":\"browse_no_buy\",\"version\":\"a91bd60b369fe498\",\"op\":\"enter\",\"arm\":null}",
	"{\"type\":\"$journey\",\"event_id\":\"jrn:due:1790273086464:5:browse_no_buy:1:hold:step:timeout\","
	"\"ts\":\"2026-09-24T18:04:46.464Z\",\"oneid\":5,\"journey\":\"browse_no_buy\",\"version\":\"a91bd60b369fe498\","
	"\"op\":\"step\",\"step\":\"hold\",\"kind\":\"wait_for\",\"arm\":null,\"on\":\"timeout\",\"wake\":\"2026-09-25T02:00:00.000Z\"}",
	"{\"type\":\"$journey\",\"event_id\":\"jrn:e9:winback:2:offer_14:exit\",\"ts\":\"2026-10-01T00:00:00.000Z\","
	"\"oneid\":42,\"journey\":\"winback\",\"version\":\"0011223344556677\",\"op\":\"exit\",\"step\":\"offer_14\","
	"\"kind\":\"send\",\"arm\":\"control\",\"reason\":\"converted\"}",
	"{\"ts\":\"2026-03-01T10:00:00.000Z\",\"journey\":\"x\",\"version\":\"5a4a39e70bda310f\",\"step\":\"b\","
	"\"condition\":\"case 0\",\"is\":false,\"tree\":{\"op\":\"gte\",\"value\":1,\"is\":false}}",
	"",
	"\"", /* a phrase's first byte alone at the end */
	",\"arm\":nul",
	"{\"not\":\"a journey\",\"text\":\"tab\\there\"}",
};

static void roundtrip(const char *s, size_t n)
{
	struct buf p = BUF_INIT, u = BUF_INIT;

	jlog_pack(&p, s, n);
	T_OK(!memchr(p.p ? p.p : "", '\n', p.len)); /* '\n' separates lines */
	jlog_unpack(&u, p.p ? p.p : "", p.len);
	T_EQ_INT(u.len, n);
	T_OK(n == 0 || !memcmp(u.p, s, n));
	buf_release(&p);
	buf_release(&u);
}

/* ---- against a plain packer ---- */

static char phr[32][64]; /* the table, read back with jlog_unpack */
static size_t phl[32];

static void ref_pack(struct buf *out, const char *s, size_t n)
{
	size_t i = 0;
	unsigned id;

	while (i < n) {
		unsigned best = 0;
		for (id = 1; id < 32; id++)
			if (phl[id] && phl[id] <= n - i && !memcmp(s + i, phr[id], phl[id]) &&
			    (!best || phl[id] > phl[best]))
				best = id;
		if (best) {
			buf_addc(out, (char)best);
			i += phl[best];
			continue;
		}
		if ((unsigned char)s[i] < 0x20)
			buf_addc(out, 0x1f);
		buf_addc(out, s[i]);
		i++;
	}
}

static uint64_t rnd = 88172645463325252ull;

static unsigned below(unsigned n)
{
	rnd ^= rnd << 13;
	rnd ^= rnd >> 7;
	rnd ^= rnd << 17;
	return (unsigned)(rnd % n);
}

static void against_plain(void)
{
	static const char bytes[] = "\"{},:wat0\x01\x1f\x09";
	struct buf line = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
	unsigned id, t, bad = 0;

	for (id = 1; id < 32; id++) {
		char c = (char)id;
		struct buf u = BUF_INIT;
		if (id == 0x0a || id == 0x1f)
			continue;
		jlog_unpack(&u, &c, 1);
		if (u.len > 1 && u.len < sizeof phr[id]) {
			memcpy(phr[id], u.p, u.len);
			phl[id] = u.len;
		}
		buf_release(&u);
	}
	for (t = 0; t < 20000; t++) {
		unsigned parts = below(40);
		buf_reset(&line);
		while (parts--) {
			unsigned r = below(10);
			if (r < 4) { /* a phrase, whole or cut short */
				id = 1 + below(31);
				if (phl[id])
					buf_add(&line, phr[id], r ? phl[id] : 1 + below((unsigned)phl[id]));
			} else { /* a few bytes from a mix of phrases' first bytes */
				unsigned k = 1 + below(5);
				while (k--)
					buf_addc(&line, bytes[below(sizeof bytes - 1)]);
			}
		}
		buf_reset(&a);
		buf_reset(&b);
		jlog_pack(&a, line.p ? line.p : "", line.len);
		ref_pack(&b, line.p ? line.p : "", line.len);
		if (a.len != b.len || (a.len && memcmp(a.p, b.p, a.len)))
			bad++;
	}
	T_EQ_INT(bad, 0);
	buf_release(&line);
	buf_release(&a);
	buf_release(&b);
}

/* ---- blocks ---- */

#define PEOPLE 50
#define ENTRIES 6000

struct who {
	uint32_t nlog, ls, lb; /* as a person's record keeps them */
};

struct seen_lines {
	uint32_t want_seq; /* the next sequence number expected, walking back */
	int bad;
	unsigned n;
};

static void on_entry(void *ctx, const struct jlog_entry *e, const char *lines)
{
	struct seen_lines *s = ctx;
	char want[64];

	/* within a block, in sequence order; blocks newest first */
	snprintf(want, sizeof want, "line %u of %u", e->seq, e->oneid);
	/* format 2: the line's length (2 bytes of varint), then its text */
	if (e->fmt != 2 || e->len != 2 + strlen(want) + 500 + e->oneid ||
	    (unsigned char)lines[0] + 128u * (unsigned char)lines[1] - 128u != e->len - 2 ||
	    memcmp(lines + 2, want, strlen(want)) || lines[e->len - 1] != 'x')
		s->bad++;
	s->n++;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Write ENTRIES entries, committing every `every` (0: once at the end),
 * reopening the store halfway; return the dump of the blocks in out. */
static void blocks_run(const char *dir, unsigned every, struct buf *out)
{
	struct who w[PEOPLE + 1];
	struct buf lb = BUF_INIT;
	struct store *st;
	struct jlog l;
	MDB_dbi dbi;
	unsigned i;
	int code;
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;

	memset(w, 0, sizeof w);
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.dlog", 0, &dbi) == 0);
	jlog_init(&l, st, dbi);
	for (i = 0; i < ENTRIES; i++) {
		uint32_t oneid = 1 + (i * 7919u) % PEOPLE, stream = oneid % 2;
		struct jlog_tail *t = jlog_tail(&l, stream);
		struct jlog_entry e;
		char line[1000];
		size_t n;
		T_OK(t != NULL);
		/* long lines, so blocks fill */
		n = (size_t)snprintf(line, sizeof line, "line %u of %u", w[oneid].nlog, oneid);
		memset(line + n, 'x', 500 + oneid);
		n += 500 + oneid;
		e.oneid = oneid;
		e.seq = w[oneid].nlog++;
		e.pstream = w[oneid].ls;
		e.pblk = w[oneid].lb;
		w[oneid].ls = stream;
		w[oneid].lb = t->blk + 1;
		buf_reset(&lb);
		jlog_line(&lb, line, n);
		jlog_add(&l, t, &e, lb.p, lb.len);
		if (every && i % every == every - 1) {
			jlog_save(&l);
			T_EQ_INT(store_commit(st), 0);
		}
		if (i == ENTRIES / 2) { /* a stop: the open blocks are read back */
			jlog_save(&l);
			T_EQ_INT(store_commit(st), 0);
			jlog_release(&l);
			store_close(st);
			st = store_open(dir, "t", STORE_NOSYNC, &code);
			T_OK(st != NULL);
			T_OK(store_dbi(st, "t.dlog", 0, &dbi) == 0);
			jlog_init(&l, st, dbi);
		}
	}
	jlog_save(&l);
	T_EQ_INT(store_commit(st), 0);
	/* each person's entries, following their blocks back */
	for (i = 1; i <= PEOPLE; i++) {
		struct seen_lines s = {0, 0, 0};
		uint32_t ls = w[i].ls, lb = w[i].lb, ps, pb;
		unsigned hops = 0;
		while (lb && hops++ < 100000) {
			unsigned char key[8];
			long r;
			jlog_key(key, ls, lb - 1);
			T_EQ_INT(store_get(st, dbi, key, 8, &v), 1);
			r = jlog_block_find(v.mv_data, v.mv_size, i, on_entry, &s, &ps, &pb);
			T_OK(r > 0);
			ls = ps;
			lb = pb;
		}
		T_EQ_INT(s.bad, 0);
		T_EQ_INT(s.n, w[i].nlog);
	}
	/* the same read back whole: by the chain, and by searching every
	 * block (a oneid without a record) */
	for (i = 1; i <= PEOPLE; i++) {
		struct jlog_dbs dbs = {dbi, 0, 0, 0, 1, 1};
		struct jlog_lines a = {0}, b = {0};
		size_t q;
		T_EQ_INT(jlog_person(st, &dbs, i, 1, w[i].ls, w[i].lb, &a), 0);
		T_EQ_INT(jlog_person(st, &dbs, i, 0, 0, 0, &b), 0);
		T_EQ_INT(a.n, w[i].nlog);
		T_EQ_INT(b.n, w[i].nlog);
		for (q = 0; q < a.n && q < b.n; q++) {
			char want[64];
			int n = snprintf(want, sizeof want, "line %u of %u", (unsigned)q, i);
			T_EQ_INT(a.v[q].seq, q);
			T_OK(a.v[q].packed && a.v[q].n == (size_t)n + 500 + i && !memcmp(a.v[q].p, want, (size_t)n));
			T_OK(b.v[q].seq == q && b.v[q].n == a.v[q].n && !memcmp(b.v[q].p, a.v[q].p, a.v[q].n));
		}
		jlog_lines_release(&a);
		jlog_lines_release(&b);
	}
	/* blocks closed since the reopen: more than one a stream */
	T_OK(l.blocks >= 2);
	/* the dump */
	txn = store_read_txn(st);
	T_OK(txn != NULL);
	T_EQ_INT(mdb_cursor_open(txn, dbi, &cur), 0);
	while (!mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		buf_add(out, k.mv_data, k.mv_size);
		buf_add(out, v.mv_data, v.mv_size);
	}
	mdb_cursor_close(cur);
	jlog_release(&l);
	store_close(st);
	buf_release(&lb);
}

static void blocks(void)
{
	char d1[] = "/tmp/uops-t-jlog-XXXXXX", d2[] = "/tmp/uops-t-jlog-XXXXXX";
	struct buf a = BUF_INIT, b = BUF_INIT;
	unsigned char junk[40];
	uint32_t ps, pb;

	if (!mkdtemp(d1) || !mkdtemp(d2)) {
		perror("mkdtemp");
		exit(1);
	}
	blocks_run(d1, 0, &a);
	blocks_run(d2, 97, &b);
	T_OK(a.len > 3 * JLOG_BLOCK);
	T_EQ_INT(a.len, b.len);
	T_OK(a.len == b.len && !memcmp(a.p, b.p, a.len));
	/* a damaged block is said to be */
	memset(junk, 0, sizeof junk);
	T_EQ_INT(jlog_block_find(junk, sizeof junk, 1, on_entry, NULL, &ps, &pb), -1);
	junk[0] = 1;
	junk[4] = 9; /* 9 entries in 35 bytes */
	T_EQ_INT(jlog_block_find(junk, sizeof junk, 1, on_entry, NULL, &ps, &pb), -1);
	junk[0] = 2;
	junk[4] = 4; /* 4 entries of 8 bytes, all at offset 0 of a body of 3 zeros: no room for their lines */
	junk[37] = junk[38] = junk[39] = 0;
	T_EQ_INT(jlog_block_find(junk, sizeof junk, 1, on_entry, NULL, &ps, &pb), -1);
	junk[0] = 3; /* a format not known */
	junk[4] = 0;
	T_EQ_INT(jlog_block_find(junk, sizeof junk, 1, on_entry, NULL, &ps, &pb), -1);
	buf_release(&a);
	buf_release(&b);
	nftw(d1, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(d2, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

/* The index of a block orders its entries by person, then sequence
 * number; entries equal in both keep the order they were made in. Made
 * in an order that is neither: people shuffled, a person's sequence
 * numbers going back, ties; few entries (under a radix sort's cut) and
 * many, committed twice (the second put sees the first's entries and
 * more). */
static void index_order_run(unsigned n)
{
	char dir[] = "/tmp/uops-t-jlog-XXXXXX";
	struct store *st;
	struct jlog l;
	struct jlog_tail *t;
	MDB_dbi dbi;
	MDB_val v;
	unsigned char k[8];
	unsigned i, pass;
	int code;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.dlog", 0, &dbi) == 0);
	jlog_init(&l, st, dbi);
	t = jlog_tail(&l, 0);
	T_OK(t != NULL);
	for (pass = 0; pass < 2; pass++) {
		const unsigned char *p, *idx, *body;
		uint32_t cnt;
		for (i = pass * n / 2; i < (pass + 1) * n / 2; i++) {
			struct jlog_entry e;
			char line[32];
			struct buf lb = BUF_INIT;
			/* the line says its number in the order made */
			int ln = snprintf(line, sizeof line, "%u", i);
			e.oneid = 1 + (i * 7u) % 13;
			e.seq = 1000 - i / 3 % 5; /* going back, three of each */
			e.pstream = e.pblk = 0;
			jlog_line(&lb, line, (size_t)ln);
			jlog_add(&l, t, &e, lb.p, lb.len);
			buf_release(&lb);
		}
		jlog_save(&l);
		T_EQ_INT(store_commit(st), 0);
		jlog_key(k, 0, 0);
		T_EQ_INT(store_get(st, dbi, k, 8, &v), 1);
		p = v.mv_data;
		T_EQ_INT(p[0], 2);
		cnt = store_get_be32(p + 1);
		T_EQ_INT(cnt, (pass + 1) * n / 2);
		idx = p + 5;
		body = idx + (size_t)cnt * JLOG_ENTRY2;
		for (i = 1; i < cnt; i++) {
			/* the entry's varints: seq (2 bytes), pstream, pblk, length;
			 * then its line (length, packed text of the number) */
			const unsigned char *a = body + store_get_be32(idx + (i - 1) * JLOG_ENTRY2 + 4);
			const unsigned char *b = body + store_get_be32(idx + i * JLOG_ENTRY2 + 4);
			uint32_t oa = store_get_be32(idx + (i - 1) * JLOG_ENTRY2);
			uint32_t ob = store_get_be32(idx + i * JLOG_ENTRY2);
			unsigned sa = (a[0] & 0x7fu) | (unsigned)a[1] << 7, sb = (b[0] & 0x7fu) | (unsigned)b[1] << 7;
			T_OK(oa < ob || (oa == ob && sa < sb) || (oa == ob && sa == sb && a < b));
		}
	}
	jlog_release(&l);
	store_close(st);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

static void index_order(void)
{
	index_order_run(40);
	index_order_run(3000);
}

/* ---- $journey records kept as their parts, and a format-1 block ---- */

static void head_of(struct buf *h, const struct jwrite_jrec *x)
{
	buf_reset(h);
	buf_adds(h, ",\"journey\":");
	json_write_str(h, x->name, x->nname);
	buf_adds(h, ",\"version\":\"");
	buf_add(h, x->version, 16);
	buf_addc(h, '"');
}

#define S(x) x, sizeof x - 1

static void records(void)
{
	char dir[] = "/tmp/uops-t-jlog-XXXXXX";
	/* the records: a wait_for's timeout (lines[1], frozen), and the
	 * parts each may or may not have */
	struct jwrite_jrec x[6] = {
		{.op = JO_STEP, .ts = "2026-09-24T18:04:46.464Z", .oneid = 5, .cause = S("due:1790273086464:5"),
		 .name = S("browse_no_buy"), .version = "a91bd60b369fe498", .entries = 1, .step = S("hold"),
		 .kind = JS_WAIT_FOR, .detail = S("timeout"), .wake = 1790301600000LL},
		{.op = JO_ENTER, .ts = "2026-09-24T18:04:46.464Z", .oneid = 7, .cause = S("g0"),
		 .name = S("we\"lc\\ome"), .version = "0011223344556677", .entries = 3, .wake = INT64_MIN},
		{.op = JO_EXIT, .ts = "1969-12-31T23:59:59.000Z", .oneid = 7, .cause = S("e:9"), .name = S("winback"),
		 .version = "00112233445566XY", .corr = 0xfedcba9876543210ull, .entries = 12, .step = S("offer_14"),
		 .kind = JS_SEND, .arm = S("control"), .held = 1, .wake = INT64_MIN, .reason = S("converted"),
		 .corrv = S("{\"order\":\"T1\"}")},
		{.op = JO_STEP, .ts = "2026-09-24T18:04:46.464Z", .oneid = 99, .cause = S("x"), .name = S("j"),
		 .version = "ffffffffffffffff", .corr = 1, .entries = 1, .step = S("pick"), .kind = JS_BRANCH,
		 .detail = S("case 2"), .arm = S("B"), .wake = -5},
		{.op = JO_EXIT, .ts = "2026-09-24T18:04:46.464Z", .oneid = 7, .cause = S("y"), .name = S("j"),
		 .version = "ffffffffffffffff", .entries = 1, .wake = INT64_MIN, .reason = S("removed")},
		{.op = JO_STEP, .ts = "2026-09-24T18:04:46.464Z", .oneid = 7, .cause = S("y"), .name = S("j"),
		 .version = "ffffffffffffffff", .entries = 1, .step = S("gone"), .kind = JS_WAIT, .detail = S("event"),
		 .wake = 1790273086464LL + 86400000},
	};
	int64_t ts[6] = {1790273086464LL, 1790273086464LL, -1000, 1790273086464LL, 1790273086464LL,
			 1790273086464LL};
	static const char cond[] = "{\"ts\":\"2026-03-01T10:00:00.000Z\",\"journey\":\"x\",\"version\":"
				   "\"5a4a39e70bda310f\",\"step\":\"b\",\"condition\":\"case 0\",\"is\":false}";
	struct buf want[6], h = BUF_INIT, old = BUF_INIT, lb2 = BUF_INIT, out = BUF_INIT;
	struct store *st;
	struct jlog l;
	struct jlog_tail *t;
	struct jlog_entry e;
	struct jlog_base base = {0, 0, BUF_INIT, BUF_INIT, {0}};
	MDB_dbi dbi;
	unsigned char k[8], *p;
	unsigned i;
	int code;

	for (i = 0; i < 6; i++) {
		want[i] = (struct buf)BUF_INIT;
		head_of(&h, &x[i]);
		x[i].head = h.p;
		x[i].nhead = h.len;
		jwrite_journey_text(&want[i], &x[i]);
		x[i].head = NULL; /* not kept */
		x[i].nhead = 0;
	}
	T_OK(want[0].len == strlen(lines[1]) && !memcmp(want[0].p, lines[1], want[0].len));
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		exit(1);
	}
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(store_dbi(st, "t.dlog", 0, &dbi) == 0);
	/* a format-1 block, open, as an earlier build left it: one entry of
	 * oneid 7, two lines */
	buf_adds(&lb2, "");
	jlog_pack(&lb2, want[1].p, want[1].len);
	buf_addc(&lb2, '\n');
	jlog_pack(&lb2, cond, strlen(cond));
	buf_grow(&old, 5 + JLOG_ENTRY + lb2.len);
	p = (unsigned char *)old.p;
	memset(p, 0, 5 + JLOG_ENTRY);
	p[0] = 1;
	store_be32(p + 1, 1);
	store_be32(p + 5, 7);
	store_be32(p + 5 + 12, (uint32_t)lb2.len);
	memcpy(p + 5 + JLOG_ENTRY, lb2.p, lb2.len);
	old.len = 5 + JLOG_ENTRY + lb2.len;
	jlog_key(k, 0, 0);
	store_put(st, dbi, k, 8, old.p, old.len);
	T_EQ_INT(store_commit(st), 0);
	/* the new build goes on in a block of its own after it, the entry
	 * naming the old one */
	jlog_init(&l, st, dbi);
	t = jlog_tail(&l, 0);
	T_OK(t != NULL);
	T_EQ_INT(t->blk, 1);
	buf_reset(&lb2);
	for (i = 0; i < 6; i++)
		if (i != 1)
			jlog_line_journey(&lb2, &x[i], ts[i], 7, &base);
	jlog_line(&lb2, cond, strlen(cond));
	e.oneid = 7;
	e.seq = 2;
	e.pstream = 0;
	e.pblk = 1;
	jlog_add(&l, t, &e, lb2.p, lb2.len);
	jlog_save(&l);
	T_EQ_INT(store_commit(st), 0);
	jlog_release(&l);
	/* read back, by the chain and by searching every block: the old
	 * lines, then the new, each the text it was */
	for (code = 0; code < 2; code++) {
		struct jlog_dbs dbs = {dbi, 0, 0, 0, 1, 1};
		struct jlog_lines a = {0};
		const char *order[8];
		size_t lens[8];
		unsigned q = 0;
		order[q] = want[1].p, lens[q++] = want[1].len;
		order[q] = cond, lens[q++] = strlen(cond);
		for (i = 0; i < 6; i++)
			if (i != 1)
				order[q] = want[i].p, lens[q++] = want[i].len;
		order[q] = cond, lens[q++] = strlen(cond);
		T_EQ_INT(jlog_person(st, &dbs, 7, !code, 0, code ? 0 : 2, &a), 0);
		T_EQ_INT(a.n, 8);
		for (q = 0; q < a.n && q < 8; q++) {
			buf_reset(&out);
			T_EQ_INT(a.v[q].seq, q);
			T_EQ_INT(jlog_line_text(&out, &a.v[q], 7), 0);
			T_OK(out.len == lens[q] && !memcmp(out.p, order[q], lens[q]));
			if (out.len != lens[q] || memcmp(out.p, order[q], lens[q]))
				fprintf(stderr, "line %u: %.*s\n", q, (int)out.len, out.p);
			/* the records as their parts: well under their text; the
			 * last shares its time, cause, journey and version with
			 * the one before (its base), the others not */
			if (q >= 2 && q < 7)
				T_OK(a.v[q].packed == 2 && a.v[q].n * 2 < lens[q]);
			if (q >= 2 && q < 7)
				T_OK(q == 6 ? a.v[q].bp == a.v[q - 1].p && a.v[q].n < 24 : !a.v[q].bp);
		}
		jlog_lines_release(&a);
	}
	/* a record cut short is said to be damaged */
	{
		struct jlog_line dl = {0, 2, NULL, 0};
		buf_reset(&lb2);
		jlog_line_journey(&lb2, &x[2], ts[2], 7, NULL);
		dl.p = lb2.p + 1;
		for (dl.n = 1; dl.n + 1 < lb2.len; dl.n++) {
			buf_reset(&out);
			T_EQ_INT(jlog_line_text(&out, &dl, 7), -1);
		}
		dl.n = lb2.len - 1;
		buf_reset(&out);
		T_EQ_INT(jlog_line_text(&out, &dl, 7), 0);
		T_OK(out.len == want[2].len && !memcmp(out.p, want[2].p, out.len));
	}
	/* versions in hex (kept as 8 bytes) and not (16), one after the
	 * other, each written back as it was */
	{
		static const char *const vers[] = {"0011223344556677", "00112233445566X7", "0011223344556677",
						   "ffeeddccbbaa9987", "00112233445566X7", "ffeeddccbbaa9987"};
		struct jlog_line dl = {0, 2, NULL, 0};
		struct jwrite_jrec y = x[1];
		size_t lens[6];
		for (i = 0; i < 6; i++) {
			y.version = vers[i];
			head_of(&h, &y);
			y.head = h.p;
			y.nhead = h.len;
			buf_reset(&old);
			jwrite_journey_text(&old, &y);
			y.head = NULL;
			y.nhead = 0;
			buf_reset(&lb2);
			jlog_line_journey(&lb2, &y, ts[1], 7, NULL);
			lens[i] = lb2.len;
			dl.p = lb2.p + 1;
			dl.n = lb2.len - 1;
			buf_reset(&out);
			T_EQ_INT(jlog_line_text(&out, &dl, 7), 0);
			T_OK(out.len == old.len && !memcmp(out.p, old.p, out.len));
		}
		T_EQ_INT(lens[0] + 8, lens[1]);
		T_EQ_INT(lens[2], lens[0]);
		T_EQ_INT(lens[3], lens[0]);
		T_EQ_INT(lens[4], lens[1]);
	}
	store_close(st);
	for (i = 0; i < 6; i++)
		buf_release(&want[i]);
	buf_release(&h);
	buf_release(&base.cause);
	buf_release(&base.name);
	buf_release(&old);
	buf_release(&lb2);
	buf_release(&out);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	unsigned i, c;
	size_t in = 0, out = 0;
	char raw[64];

	for (i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		struct buf p = BUF_INIT;
		roundtrip(lines[i], strlen(lines[i]));
		jlog_pack(&p, lines[i], strlen(lines[i]));
		if (i < 4) {
			in += strlen(lines[i]);
			out += p.len;
		}
		buf_release(&p);
	}
	/* scheduler's records pack to under 70 % */
	T_OK(out * 10 < in * 7);
	/* raw control bytes (none is expected) survive, but for '\n' */
	for (c = 1; c < 0x20; c++) {
		if (c == '\n')
			continue;
		raw[0] = 'a';
		raw[1] = (char)c;
		raw[2] = '"';
		raw[3] = (char)c;
		roundtrip(raw, 4);
	}
	/* frozen: the packed form of the first line */
	{
		struct buf p = BUF_INIT;
		jlog_pack(&p, lines[0], strlen(lines[0]));
		T_EQ_INT(p.len, 94);
		T_EQ_INT((unsigned char)p.p[0], 0x01);
		buf_release(&p);
	}
	against_plain();
	T_EQ_INT(jlog_day(0), 0);
	T_EQ_INT(jlog_day(-1), 0);
	T_EQ_INT(jlog_day(86400000), 1);
	T_EQ_INT(jlog_day(1790273086464LL), 20720);
	blocks();
	index_order();
	records();
	return t_done("jlog");
}
