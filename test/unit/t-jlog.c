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
 * the commits in between.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jlog.h"
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
	if (e->len != strlen(want) + 500 + e->oneid || memcmp(lines, want, strlen(want)) ||
	    lines[e->len - 1] != 'x')
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
		jlog_add(&l, t, &e, line, n);
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
	buf_release(&a);
	buf_release(&b);
	nftw(d1, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	nftw(d2, rm_one, 8, FTW_DEPTH | FTW_PHYS);
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
	return t_done("jlog");
}
