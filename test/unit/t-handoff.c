/*
 * t-handoff - a partition's state moved between two stores: what is
 * exported of a partition (its people's records, its stream's keys, the
 * partition's share of bitmaps, its clock, the dedupe set, the offsets),
 * what an import adds to another store and what a drop takes out of the
 * first; keys holding a oneid further in (a log by day, then oneid), keys
 * ending in the partition's number; records whose value holds the oneid
 * (an outbox), keys naming such a record (a queue of its sends), a list
 * moved whole; the refusals (a partition owned already, definitions that
 * disagree, a file cut short, a partition not owned); a DB carried whole
 * for the tool to read (META without a key); the tool's hook for its
 * derived state, called between the records and the ownership.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "handoff.h"
#include "seen.h"
#include "store.h"
#include "t.h"

#define ANY 0x7fffffffu
#define PEOPLE 100

static const struct handoff_db dbs[] = {
	{"t.people", HANDOFF_PERSON},
	{"t.due", HANDOFF_STREAM, .any_stream = ANY},
	{"t.state", HANDOFF_CLOCK, .key = "clock:%u"},
	{"t.members", HANDOFF_BITMAP},
	{"t.dict", HANDOFF_AGREE, .skip_ns = "c"},
	{"t.seen", HANDOFF_SEEN},
	{"t.log", HANDOFF_KEYED, .at = 4},
	{"t.state", HANDOFF_SUFFIX, .key = "sched:"},
	{"t.parts", HANDOFF_SUFFIX},
	{"t.facts", HANDOFF_META},
	{"t.queue", HANDOFF_REF, .at = 8, .ref = "t.box", .ref_at = 1},
	{"t.box", HANDOFF_VALUE, .at = 1},
	{"t.list", HANDOFF_WHOLE},
};

/* what the moved hook saw at its last call */
static struct {
	int calls, in;
	uint64_t people;
	int64_t offset;   /* the partition's stored offset then */
	int has_person;   /* person 2's record there then */
} ML;

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

struct side {
	struct store *st;
	struct handoff h;
	struct seen seen;
	MDB_dbi people, due, state, members, dict, log, parts, facts, box, queue, list;
};

static int on_moved(void *ctx, const roaring_bitmap_t *people, int in)
{
	struct side *s = ctx;
	unsigned char k[4];
	MDB_val v;

	ML.calls++;
	ML.in = in;
	ML.people = roaring_bitmap_get_cardinality(people);
	ML.offset = store_offset_get(s->st, "topic", 2);
	store_be32(k, 2);
	ML.has_person = store_get(s->st, s->people, k, 4, &v);
	return 0;
}

static void side_open(struct side *s, const char *dir)
{
	int code;

	memset(s, 0, sizeof *s);
	s->st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(s->st != NULL);
	T_OK(store_dbi(s->st, "t.people", 0, &s->people) == 0);
	T_OK(store_dbi(s->st, "t.due", 0, &s->due) == 0);
	T_OK(store_dbi(s->st, "t.state", 0, &s->state) == 0);
	T_OK(store_dbi(s->st, "t.members", 0, &s->members) == 0);
	T_OK(store_dbi(s->st, "t.dict", 0, &s->dict) == 0);
	T_OK(store_dbi(s->st, "t.log", 0, &s->log) == 0);
	T_OK(store_dbi(s->st, "t.parts", 0, &s->parts) == 0);
	T_OK(store_dbi(s->st, "t.facts", 0, &s->facts) == 0);
	T_OK(store_dbi(s->st, "t.box", 0, &s->box) == 0);
	T_OK(store_dbi(s->st, "t.queue", 0, &s->queue) == 0);
	T_OK(store_dbi(s->st, "t.list", 0, &s->list) == 0);
	s->seen.days = 3;
	T_OK(seen_open(&s->seen, s->st, "t.seen") == 0);
	s->h.st = s->st;
	s->h.tool = "t";
	s->h.dbs = dbs;
	s->h.ndbs = sizeof dbs / sizeof *dbs;
	s->h.moved = on_moved;
	s->h.ctx = s;
	T_OK(handoff_open(&s->h) == 0);
}

static void side_close(struct side *s)
{
	handoff_free(&s->h);
	seen_free(&s->seen);
	store_close(s->st);
}

static void put_bitmap(struct side *s, MDB_dbi dbi, const void *k, size_t kn, roaring_bitmap_t *b)
{
	size_t n = roaring_bitmap_portable_size_in_bytes(b);
	char *p = malloc(n);

	roaring_bitmap_portable_serialize(b, p);
	store_put(s->st, dbi, k, kn, p, n);
	free(p);
}

static roaring_bitmap_t *get_bitmap(struct side *s, MDB_dbi dbi, const void *k, size_t kn)
{
	MDB_val v;

	if (store_get(s->st, dbi, k, kn, &v) != 1)
		return NULL;
	return roaring_bitmap_portable_deserialize_safe(v.mv_data, v.mv_size);
}

static void due_key(unsigned char *k, uint32_t stream, uint32_t day)
{
	store_be32(k, stream);
	store_be32(k + 4, day);
}

/* t.log: day, oneid, sequence number */
static void log_key(unsigned char *k, uint32_t day, uint32_t oneid, uint32_t seq)
{
	store_be32(k, day);
	store_be32(k + 4, oneid);
	store_be32(k + 8, seq);
}

/* t.box: "s:ONEID" -> state, oneid, text; t.queue: until (8), "s:ONEID" */
static void box_key(char *k, uint32_t oneid)
{
	snprintf(k, 16, "s:%u", (unsigned)oneid);
}

static int queued(struct side *s, uint32_t oneid)
{
	unsigned char k[24];
	MDB_val v;

	store_be64(k, 5000 + oneid);
	box_key((char *)k + 8, oneid);
	return store_get(s->st, s->queue, k, 8 + strlen((char *)k + 8), &v);
}

static int has(struct side *s, MDB_dbi dbi, const char *k)
{
	MDB_val v;
	return store_get(s->st, dbi, k, strlen(k), &v);
}

/* Store A: people 1..PEOPLE, on partition oneid % 4; a deadline day per
 * partition, and one of no known stream holding everyone divisible by 5;
 * members: the even people; a clock per partition; dictionary a:x = 1. */
static void fill(struct side *s)
{
	roaring_bitmap_t *day[4], *any = roaring_bitmap_create(), *even = roaring_bitmap_create();
	unsigned char k[8], be[16];
	char v[32], key[16];
	uint32_t i;

	for (i = 0; i < 4; i++)
		day[i] = roaring_bitmap_create();
	for (i = 1; i <= PEOPLE; i++) {
		store_be32(k, i);
		snprintf(v, sizeof v, "person %u", (unsigned)i);
		store_put(s->st, s->people, k, 4, v, strlen(v));
		handoff_note(&s->h, i % 4, i);
		{
			unsigned char lk[12];
			log_key(lk, 7, i, 0);
			store_put(s->st, s->log, lk, 12, "d", 1);
			log_key(lk, 8, i, 1);
			store_put(s->st, s->log, lk, 12, "e", 1);
		}
		{
			unsigned char bv[8], qk[24];
			char bk[16];
			box_key(bk, i);
			bv[0] = 'd';
			store_be32(bv + 1, i);
			memcpy(bv + 5, "msg", 3);
			store_put(s->st, s->box, bk, strlen(bk), bv, 8);
			store_be64(qk, 5000 + i);
			memcpy(qk + 8, bk, strlen(bk));
			store_put(s->st, s->queue, qk, 8 + strlen(bk), "", 0);
		}
		if (i % 5 == 0)
			roaring_bitmap_add(any, i);
		else
			roaring_bitmap_add(day[i % 4], i);
		if (i % 2 == 0)
			roaring_bitmap_add(even, i);
	}
	for (i = 0; i < 4; i++) {
		due_key(k, i, 20000 + i);
		put_bitmap(s, s->due, k, 8, day[i]);
		roaring_bitmap_free(day[i]);
		snprintf(key, sizeof key, "clock:%u", (unsigned)i);
		store_be64(be, 1000 + i);
		store_be64(be + 8, 7);
		store_put(s->st, s->state, key, strlen(key), be, 16);
		store_offset_put(s->st, "topic", (int32_t)i, 500 + i);
		snprintf(key, sizeof key, "sched:j:%u", (unsigned)i);
		store_put(s->st, s->state, key, strlen(key), "s", 1);
		snprintf(key, sizeof key, "seg:%u", (unsigned)i);
		store_put(s->st, s->parts, key, strlen(key), "p", 1);
	}
	store_put(s->st, s->parts, "seg:12", 6, "p", 1); /* not partition 2's */
	store_put(s->st, s->list, "sms:+861", 8, "", 0);
	store_put(s->st, s->list, "sms:+862", 8, "", 0);
	due_key(k, ANY, 19999);
	put_bitmap(s, s->due, k, 8, any);
	put_bitmap(s, s->members, "evens", 5, even);
	store_be32(be, 1);
	store_put(s->st, s->dict, "a:x", 3, be, 4);
	store_be32(be, 2);
	store_put(s->st, s->dict, "#a", 2, be, 4);
	store_be32(be, 9);
	store_put(s->st, s->dict, "c:col", 5, be, 4); /* a namespace left out */
	store_put(s->st, s->facts, "vip", 3, "cuts", 4);
	store_put(s->st, s->facts, "rfm", 3, "more", 4);
	T_OK(seen_check(&s->seen, 86400000LL * 20000, 86400000LL * 20000, "ev-1", 4) == 0);
	handoff_save(&s->h);
	T_OK(store_commit(s->st) == 0);
	roaring_bitmap_free(any);
	roaring_bitmap_free(even);
}

/*
 * A drop that seeks (struct handoff_db's seek and via) takes what a scan
 * takes: a queue and an outbox found through the sends by person (the
 * outbox listed before them), sends and consent by person, a queue keyed
 * by stream from the stream's first key; people 1..40 on partition
 * oneid % 4, each with two sends, a consent and a queued key; one send of
 * person 6 names person 7 in the outbox (it moves with 7's partition,
 * not 6's, as a scan of the values decides).
 */
static const struct handoff_db seek_dbs[] = {
	{"s.pending", HANDOFF_REF, .ref = "s.box", .ref_at = 1, .via = "s.sends"},
	{"s.box", HANDOFF_VALUE, .at = 1, .via = "s.sends"},
	{"s.sends", HANDOFF_KEYED, .seek = 1},
	{"s.consent", HANDOFF_KEYED, .seek = 1},
	{"s.q", HANDOFF_STREAM, .seek = 1},
};

static void seeking(const char *dir)
{
	struct store *st;
	struct handoff h;
	MDB_dbi pend, box, sends, consent, q;
	unsigned char k[32], v[8];
	MDB_val x;
	uint32_t i, j;
	int code, n;

	st = store_open(dir, "s", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(!store_dbi(st, "s.pending", 0, &pend) && !store_dbi(st, "s.box", 0, &box) &&
	     !store_dbi(st, "s.sends", 0, &sends) && !store_dbi(st, "s.consent", 0, &consent) &&
	     !store_dbi(st, "s.q", 0, &q));
	memset(&h, 0, sizeof h);
	h.st = st;
	h.tool = "s";
	h.dbs = seek_dbs;
	h.ndbs = sizeof seek_dbs / sizeof *seek_dbs;
	T_OK(handoff_open(&h) == 0);
	for (i = 1; i <= 40; i++) {
		handoff_note(&h, i % 4, i);
		for (j = 0; j < 2; j++) {
			char id[16];
			uint32_t who = i == 6 && j ? 7 : i;
			n = snprintf(id, sizeof id, "s%u.%u", (unsigned)i, (unsigned)j);
			v[0] = 'p';
			store_be32(v + 1, who);
			store_put(st, box, id, (size_t)n, v, 5);
			store_put(st, pend, id, (size_t)n, "p", 1);
			store_be32(k, i);
			memcpy(k + 4, id, (size_t)n);
			store_put(st, sends, k, 4 + (size_t)n, "", 0);
		}
		store_be32(k, i);
		memcpy(k + 4, "sms", 3);
		store_put(st, consent, k, 7, "n", 1);
		store_be32(k, i % 4);
		store_be64(k + 4, 1000 + i);
		store_put(st, q, k, 12, "", 0);
	}
	store_offset_put(st, "topic", 2, 9);
	handoff_save(&h);
	T_OK(store_commit(st) == 0);
	T_EQ_INT(handoff_drop(&h, 2), 0);
	for (i = 1; i <= 40; i++) {
		int gone = i % 4 == 2;
		char id[16];
		n = snprintf(id, sizeof id, "s%u.0", (unsigned)i);
		T_EQ_INT(store_get(st, box, id, (size_t)n, &x), !gone);
		T_EQ_INT(store_get(st, pend, id, (size_t)n, &x), !gone);
		store_be32(k, i);
		memcpy(k + 4, id, (size_t)n);
		T_EQ_INT(store_get(st, sends, k, 4 + (size_t)n, &x), !gone);
		memcpy(k + 4, "sms", 3);
		T_EQ_INT(store_get(st, consent, k, 7, &x), !gone);
		store_be32(k, i % 4);
		store_be64(k + 4, 1000 + i);
		T_EQ_INT(store_get(st, q, k, 12, &x), !gone);
	}
	/* person 6's second send names 7 (partition 3): it stays; its entry
	 * in the sends by person goes with 6 */
	T_EQ_INT(store_get(st, box, "s6.1", 4, &x), 1);
	T_EQ_INT(store_get(st, pend, "s6.1", 4, &x), 1);
	handoff_free(&h);
	store_close(st);
}

int main(void)
{
	char tmpl[] = "/tmp/t-handoff.XXXXXX", a[64], b[64], c[64], file[64], shortf[64];
	struct side A, B, C;
	roaring_bitmap_t *r;
	unsigned char k[8];
	MDB_val v;
	FILE *f;
	uint32_t i, owned[8];
	size_t n;

	if (!mkdtemp(tmpl))
		return 1;
	snprintf(a, sizeof a, "%s/a", tmpl);
	snprintf(b, sizeof b, "%s/b", tmpl);
	snprintf(c, sizeof c, "%s/c", tmpl);
	snprintf(file, sizeof file, "%s/p2", tmpl);
	snprintf(shortf, sizeof shortf, "%s/short", tmpl);

	side_open(&A, a);
	fill(&A);
	r = handoff_people(&A.h, 2);
	T_EQ_INT(roaring_bitmap_get_cardinality(r), PEOPLE / 4);
	roaring_bitmap_free(r);
	T_EQ_INT(handoff_owned(&A.h, owned, 8), 4);
	{
		uint32_t st = 99;
		T_EQ_INT(handoff_stream_of(&A.h, 6, &st), 1);
		T_EQ_INT(st, 2);
		T_EQ_INT(handoff_stream_of(&A.h, PEOPLE + 1, &st), 0);
	}

	/* export partition 2; one the store does not own is refused */
	f = fopen(file, "wb");
	T_EQ_INT(handoff_export(&A.h, 2, f, file), 0);
	fclose(f);
	f = fopen("/dev/null", "wb");
	T_EQ_INT(handoff_export(&A.h, 7, f, "/dev/null"), 78);
	fclose(f);

	/* import into B, which has the dictionary's key already and another
	 * counter */
	side_open(&B, b);
	{
		unsigned char be[4];
		store_be32(be, 1);
		store_put(B.st, B.dict, "a:x", 3, be, 4);
		store_be32(be, 5);
		store_put(B.st, B.dict, "#a", 2, be, 4);
		store_put(B.st, B.list, "sms:+862", 8, "b", 1);
		store_put(B.st, B.list, "sms:+863", 8, "", 0);
		T_OK(store_commit(B.st) == 0);
	}
	f = fopen(file, "rb");
	memset(&ML, 0, sizeof ML);
	T_EQ_INT(handoff_import(&B.h, f, file), 0);
	fclose(f);
	T_EQ_INT(B.h.part, 2);
	/* the hook ran once, with the people's records in and no offset yet */
	T_EQ_INT(ML.calls, 1);
	T_EQ_INT(ML.in, 1);
	T_EQ_INT(ML.people, PEOPLE / 4);
	T_EQ_INT(ML.offset, -1);
	T_EQ_INT(ML.has_person, 1);
	/* META without a key: every key carried, none written */
	T_EQ_INT(handoff_meta(&B.h, "t.facts", "vip", &v), 1);
	T_OK(v.mv_size == 4 && !memcmp(v.mv_data, "cuts", 4));
	T_EQ_INT(handoff_meta(&B.h, "t.facts", "rfm", &v), 1);
	T_EQ_INT(handoff_meta(&B.h, "t.facts", "none", &v), 0);
	T_EQ_INT(store_get(B.st, B.facts, "vip", 3, &v), 0);
	T_EQ_INT(roaring_bitmap_get_cardinality(B.h.people), PEOPLE / 4);
	for (i = 1; i <= PEOPLE; i++) {
		store_be32(k, i);
		T_EQ_INT(store_get(B.st, B.people, k, 4, &v), i % 4 == 2);
	}
	due_key(k, 2, 20002);
	r = get_bitmap(&B, B.due, k, 8);
	T_OK(r && roaring_bitmap_get_cardinality(r) == 20); /* 25 of partition 2, less 5 of no stream */
	roaring_bitmap_free(r);
	due_key(k, 1, 20001);
	T_EQ_INT(store_get(B.st, B.due, k, 8, &v), 0);
	due_key(k, ANY, 19999);
	r = get_bitmap(&B, B.due, k, 8);
	T_OK(r && roaring_bitmap_get_cardinality(r) == 5 && roaring_bitmap_contains(r, 10) &&
	     !roaring_bitmap_contains(r, 5));
	roaring_bitmap_free(r);
	r = get_bitmap(&B, B.members, "evens", 5);
	T_OK(r && roaring_bitmap_get_cardinality(r) == 25 && roaring_bitmap_contains(r, 2) &&
	     !roaring_bitmap_contains(r, 4));
	roaring_bitmap_free(r);
	T_EQ_INT(store_get(B.st, B.state, "clock:2", 7, &v), 1);
	T_EQ_INT(store_get(B.st, B.state, "clock:1", 7, &v), 0);
	T_EQ_INT(store_get(B.st, B.dict, "#a", 2, &v), 1);
	T_EQ_INT(store_get_be32(v.mv_data), 5); /* the greater counter */
	T_EQ_INT(store_get(B.st, B.dict, "c:col", 5, &v), 0);
	T_EQ_INT(store_offset_get(B.st, "topic", 2), 502);
	T_EQ_INT(store_offset_get(B.st, "topic", 1), -1);
	{
		unsigned char lk[12];
		log_key(lk, 7, 2, 0);
		T_EQ_INT(store_get(B.st, B.log, lk, 12, &v), 1);
		log_key(lk, 8, 6, 1);
		T_EQ_INT(store_get(B.st, B.log, lk, 12, &v), 1);
		log_key(lk, 7, 1, 0);
		T_EQ_INT(store_get(B.st, B.log, lk, 12, &v), 0);
	}
	T_EQ_INT(has(&B, B.state, "sched:j:2"), 1);
	T_EQ_INT(has(&B, B.state, "sched:j:1"), 0);
	T_EQ_INT(has(&B, B.parts, "seg:2"), 1);
	T_EQ_INT(has(&B, B.parts, "seg:12"), 0);
	T_EQ_INT(has(&B, B.parts, "seg:3"), 0);
	T_EQ_INT(has(&B, B.box, "s:2"), 1);
	T_EQ_INT(has(&B, B.box, "s:98"), 1);
	T_EQ_INT(has(&B, B.box, "s:1"), 0);
	T_EQ_INT(queued(&B, 2), 1);
	T_EQ_INT(queued(&B, 98), 1);
	T_EQ_INT(queued(&B, 3), 0);
	T_EQ_INT(has(&B, B.list, "sms:+861"), 1);
	T_EQ_INT(has(&B, B.list, "sms:+863"), 1);
	T_EQ_INT(store_get(B.st, B.list, "sms:+862", 8, &v), 1);
	T_EQ_INT(v.mv_size, 1); /* the target's own value stays */
	n = handoff_owned(&B.h, owned, 8);
	T_OK(n == 1 && owned[0] == 2);
	r = handoff_people(&B.h, 2);
	T_EQ_INT(roaring_bitmap_get_cardinality(r), PEOPLE / 4);
	roaring_bitmap_free(r);
	/* the dedupe set came along: the id is a duplicate here too */
	side_close(&B);
	side_open(&B, b);
	T_EQ_INT(seen_check(&B.seen, 86400000LL * 20000, 86400000LL * 20000, "ev-1", 4), 1);
	/* again: B owns it now */
	f = fopen(file, "rb");
	T_EQ_INT(handoff_import(&B.h, f, file), 78);
	fclose(f);

	/* a store whose dictionary gives a:x another number; a file cut short */
	side_open(&C, c);
	{
		unsigned char be[4];
		store_be32(be, 3);
		store_put(C.st, C.dict, "a:x", 3, be, 4);
		T_OK(store_commit(C.st) == 0);
	}
	f = fopen(file, "rb");
	T_EQ_INT(handoff_import(&C.h, f, file), 78);
	fclose(f);
	{
		char buf[4096];
		size_t got;
		f = fopen(file, "rb");
		got = fread(buf, 1, sizeof buf, f);
		fclose(f);
		f = fopen(shortf, "wb");
		fwrite(buf, 1, got - 3, f);
		fclose(f);
	}
	f = fopen(shortf, "rb");
	T_EQ_INT(handoff_import(&C.h, f, shortf), 65);
	fclose(f);
	T_EQ_INT(store_offset_get(C.st, "topic", 2), -1);

	/* drop partition 2 from A: the rest stays */
	memset(&ML, 0, sizeof ML);
	T_EQ_INT(handoff_drop(&A.h, 2), 0);
	/* the hook ran once, the offset gone and the records still there */
	T_EQ_INT(ML.calls, 1);
	T_EQ_INT(ML.in, 0);
	T_EQ_INT(ML.people, PEOPLE / 4);
	T_EQ_INT(ML.offset, -1);
	T_EQ_INT(ML.has_person, 1);
	T_EQ_INT(store_get(A.st, A.facts, "vip", 3, &v), 1); /* META stays */
	T_EQ_INT(roaring_bitmap_get_cardinality(A.h.people), PEOPLE / 4);
	for (i = 1; i <= PEOPLE; i++) {
		store_be32(k, i);
		T_EQ_INT(store_get(A.st, A.people, k, 4, &v), i % 4 != 2);
	}
	due_key(k, 2, 20002);
	T_EQ_INT(store_get(A.st, A.due, k, 8, &v), 0);
	due_key(k, 1, 20001);
	T_EQ_INT(store_get(A.st, A.due, k, 8, &v), 1);
	due_key(k, ANY, 19999);
	r = get_bitmap(&A, A.due, k, 8);
	T_OK(r && roaring_bitmap_get_cardinality(r) == 15 && !roaring_bitmap_contains(r, 10));
	roaring_bitmap_free(r);
	r = get_bitmap(&A, A.members, "evens", 5);
	T_OK(r && roaring_bitmap_get_cardinality(r) == 25 && !roaring_bitmap_contains(r, 2));
	roaring_bitmap_free(r);
	T_EQ_INT(store_get(A.st, A.state, "clock:2", 7, &v), 0);
	T_EQ_INT(store_offset_get(A.st, "topic", 2), -1);
	{
		unsigned char lk[12];
		log_key(lk, 7, 2, 0);
		T_EQ_INT(store_get(A.st, A.log, lk, 12, &v), 0);
		log_key(lk, 8, 6, 1);
		T_EQ_INT(store_get(A.st, A.log, lk, 12, &v), 0);
		log_key(lk, 8, 1, 1);
		T_EQ_INT(store_get(A.st, A.log, lk, 12, &v), 1);
	}
	T_EQ_INT(has(&A, A.state, "sched:j:2"), 0);
	T_EQ_INT(has(&A, A.state, "sched:j:1"), 1);
	T_EQ_INT(has(&A, A.parts, "seg:2"), 0);
	T_EQ_INT(has(&A, A.parts, "seg:12"), 1);
	T_EQ_INT(has(&A, A.box, "s:2"), 0);
	T_EQ_INT(has(&A, A.box, "s:1"), 1);
	T_EQ_INT(queued(&A, 2), 0);
	T_EQ_INT(queued(&A, 6), 0);
	T_EQ_INT(queued(&A, 3), 1);
	T_EQ_INT(has(&A, A.list, "sms:+861"), 1);
	T_EQ_INT(handoff_owned(&A.h, owned, 8), 3);
	r = handoff_people(&A.h, 2);
	T_EQ_INT(roaring_bitmap_get_cardinality(r), 0);
	roaring_bitmap_free(r);
	/* the index as committed, read again */
	side_close(&A);
	side_open(&A, a);
	r = handoff_people(&A.h, 2);
	T_EQ_INT(roaring_bitmap_get_cardinality(r), 0);
	roaring_bitmap_free(r);
	r = handoff_people(&A.h, 3);
	T_EQ_INT(roaring_bitmap_get_cardinality(r), PEOPLE / 4);
	roaring_bitmap_free(r);
	T_EQ_INT(handoff_drop(&A.h, 2), 78); /* nothing of it left */
	/* a person whose records come on another partition moves there */
	handoff_note(&A.h, 1, 3);
	handoff_save(&A.h);
	T_OK(store_commit(A.st) == 0);
	side_close(&A);
	side_open(&A, a);
	r = handoff_people(&A.h, 3);
	T_OK(roaring_bitmap_get_cardinality(r) == PEOPLE / 4 - 1 && !roaring_bitmap_contains(r, 3));
	roaring_bitmap_free(r);

	side_close(&A);
	side_close(&B);
	side_close(&C);
	snprintf(a, sizeof a, "%s/seek", tmpl);
	T_OK(mkdir(a, 0700) == 0);
	seeking(a);
	nftw(tmpl, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("handoff");
}
