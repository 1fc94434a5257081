/*
 * t-jfold - a scheduler person by names: instances written by one store's
 * numbering read back under another's (the same journeys by name, other
 * trait slots, tags and segments in another order); every field comes
 * back; journeys, tags and segments the reader does not define are left
 * out; the text is the same bytes when written again, and from the copy
 * read back; damaged parts are told.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jfold.h"
#include "t.h"

/* store A: journeys 11 "welcome", 12 "winback", 13 "gone"; traits slot 5
 * "city"; tags vip, tier; segment buyers */
static const char *a_jname(void *ctx, uint32_t id)
{
	(void)ctx;
	return id == 11 ? "welcome" : id == 12 ? "winback" : id == 13 ? "gone" : NULL;
}

static int a_jid(void *ctx, const char *n, size_t len, uint32_t *id)
{
	(void)ctx;
	if (len == 7 && !memcmp(n, "welcome", 7))
		*id = 11;
	else if (len == 7 && !memcmp(n, "winback", 7))
		*id = 12;
	else
		return -1;
	return 0;
}

static const char *a_slot_name(void *ctx, uint32_t slot, size_t *n)
{
	(void)ctx;
	if (slot != 5)
		return NULL;
	*n = 4;
	return "city";
}

static uint32_t a_name_slot(void *ctx, const char *name, size_t n)
{
	(void)ctx;
	return n == 4 && !memcmp(name, "city", 4) ? 5 : UINT32_MAX;
}

/* store B: other numbers (welcome 21, winback 22; city slot 9), tags in
 * another order, and one more */
static const char *b_jname(void *ctx, uint32_t id)
{
	(void)ctx;
	return id == 21 ? "welcome" : id == 22 ? "winback" : NULL;
}

static int b_jid(void *ctx, const char *n, size_t len, uint32_t *id)
{
	(void)ctx;
	if (len == 7 && !memcmp(n, "welcome", 7))
		*id = 21;
	else if (len == 7 && !memcmp(n, "winback", 7))
		*id = 22;
	else
		return -1;
	return 0;
}

static const char *b_slot_name(void *ctx, uint32_t slot, size_t *n)
{
	(void)ctx;
	if (slot != 9)
		return NULL;
	*n = 4;
	return "city";
}

static uint32_t b_name_slot(void *ctx, const char *name, size_t n)
{
	(void)ctx;
	return n == 4 && !memcmp(name, "city", 4) ? 9 : UINT32_MAX;
}

static char *a_tags[] = {"vip", "tier"}, *a_segs[] = {"buyers"};
static char *b_tags[] = {"tier", "churn", "vip"}, *b_segs[] = {"lapsed", "buyers"};

static void inst_fill(struct jinst *in, uint32_t j, uint64_t corr, int state)
{
	jinst_init(in);
	in->journey = j;
	in->corr = corr;
	in->state = state;
}

static void roundtrip(void)
{
	static const uint32_t a_slots[3] = {100, 101, 102}, b_slots[5] = {200, 201, 202, 203, 204};
	struct profile_layout La = {0}, Lb = {0};
	struct profile pa = {0}, pb = {0}, pc = {0};
	struct jfold_names A = {NULL, a_jname, a_jid, a_slot_name, a_name_slot, a_tags, 2, a_segs, 1};
	struct jfold_names B = {NULL, b_jname, b_jid, b_slot_name, b_name_slot, b_tags, 3, b_segs, 2};
	struct jinst in[3];
	struct jfold_insts got = {0};
	struct json_doc d = JSON_DOC_INIT;
	struct buf w = BUF_INIT, w2 = BUF_INIT;
	const char *why;
	size_t at;
	unsigned k;

	La.tag_slots = a_slots;
	La.ntags = 3;
	profile_layout_index(&La);
	Lb.tag_slots = b_slots;
	Lb.ntags = 5;
	profile_layout_index(&Lb);
	profile_reset(&pa, &La, 7);
	profile_trait_set(&pa, 5, 1000, "\"上海\"", strlen("\"上海\""));
	pa.tags[0].set = 1;
	buf_adds(&pa.tags[0].v, "true");
	pa.tags[1].set = 1;
	buf_adds(&pa.tags[1].v, "\"gold\"");
	pa.tags[2].set = 1;
	buf_adds(&pa.tags[2].v, "true");

	inst_fill(&in[0], 11, 0, JI_DONE);
	in[0].entries = 2;
	in[0].entered = 1767225600000LL;
	in[0].exited = 1767225700000LL;
	in[0].defhash = 0x0123456789abcdefULL;
	buf_adds(&in[0].step, "wait1");
	buf_adds(&in[0].reason, "merged");
	inst_fill(&in[1], 12, 0xfedcba9876543210ULL, JI_DONE);
	in[1].entries = 1;
	in[1].entered = -5;
	in[1].exited = 1767225800000LL;
	in[1].control = 1;
	buf_adds(&in[1].step, "send \"a\"");
	buf_adds(&in[1].arm, "b");
	buf_adds(&in[1].reason, "merged");
	buf_adds(&in[1].corrv, "\"T1001\"");
	buf_adds(&in[1].props, "{\"amount\":236.12}");
	inst_fill(&in[2], 13, 1, JI_WAIT);
	in[2].wake = 42;

	jfold_write(in, 3, &pa, &La, &A, &w);
	T_OK(json_parse(&d, w.p, w.len, 64, &why, &at) == 0);
	T_OK(strstr(w.p, "\"journey\":\"gone\"") != NULL); /* B does not know it */
	T_OK(strstr(w.p, "\"journey\":\"welcome\",\"corr\":\"0000000000000000\",\"corr_value\":null,"
			 "\"state\":\"done\",\"control\":false,\"entries\":2,\"entered\":1767225600000,"
			 "\"wake\":null,\"exited\":1767225700000,\"version\":\"0123456789abcdef\",\"step\":\"wait1\","
			 "\"arm\":\"\",\"reason\":\"merged\",\"props\":null}") != NULL);
	T_OK(strstr(w.p, "\"tags\":{\"vip\":true,\"tier\":\"gold\"},\"segments\":[\"buyers\"]}") != NULL);

	/* read under B's numbers */
	pb.oneid = 9;
	T_EQ_INT(jfold_read(&d, 0, &B, &got, &pb, &Lb), 0);
	T_EQ_INT(got.n, 2);
	T_EQ_INT(got.v[0].journey, 21);
	T_EQ_INT(got.v[0].corr, 0);
	T_EQ_INT(got.v[0].state, JI_DONE);
	T_EQ_INT(got.v[0].entries, 2);
	T_EQ_INT(got.v[0].entered, 1767225600000LL);
	T_OK(got.v[0].wake == INT64_MIN);
	T_EQ_INT(got.v[0].exited, 1767225700000LL);
	T_OK(got.v[0].defhash == 0x0123456789abcdefULL);
	T_EQ_STR(got.v[0].step.p, "wait1");
	T_EQ_INT(got.v[0].arm.len, 0);
	T_EQ_STR(got.v[0].reason.p, "merged");
	T_EQ_INT(got.v[0].corrv.len, 0);
	T_EQ_INT(got.v[1].journey, 22);
	T_OK(got.v[1].corr == 0xfedcba9876543210ULL);
	T_EQ_INT(got.v[1].control, 1);
	T_EQ_INT(got.v[1].entered, -5);
	T_EQ_STR(got.v[1].step.p, "send \"a\"");
	T_EQ_STR(got.v[1].arm.p, "b");
	T_EQ_STR(got.v[1].corrv.p, "\"T1001\"");
	T_EQ_STR(got.v[1].props.p, "{\"amount\":236.12}");
	T_EQ_INT(pb.oneid, 9);
	T_EQ_INT(pb.ntraits, 1);
	T_EQ_INT(pb.traits[0].name, 9);
	T_EQ_INT(pb.traits[0].ts, 1000);
	T_EQ_STR(pb.traits[0].v.p, "\"上海\"");
	/* tags by name: tier, churn, vip, lapsed, buyers */
	T_OK(pb.tags[0].set && !strcmp(pb.tags[0].v.p, "\"gold\""));
	T_OK(!pb.tags[1].set);
	T_OK(pb.tags[2].set && !strcmp(pb.tags[2].v.p, "true"));
	T_OK(!pb.tags[3].set);
	T_OK(pb.tags[4].set && !strcmp(pb.tags[4].v.p, "true"));

	/* written again from what was read, under A's numbers: the same bytes */
	T_EQ_INT(jfold_read(&d, 0, &A, &got, &pc, &La), 0);
	T_EQ_INT(got.n, 2);
	jfold_write(got.v, got.n, &pc, &La, &A, &w2);
	/* the original without its instance of "gone" (A reads it, but
	 * its id 13 is not one A's journey_id gives) */
	buf_reset(&w);
	jfold_write(in, 2, &pa, &La, &A, &w);
	T_EQ_STR(w2.p, w.p);
	buf_reset(&w2);
	jfold_write(in, 2, &pa, &La, &A, &w2);
	T_EQ_STR(w2.p, w.p); /* deterministic */
	/* a journey the writer does not name is left out */
	in[2].journey = 99;
	buf_reset(&w2);
	jfold_write(in, 3, &pa, &La, &A, &w2);
	T_EQ_STR(w2.p, w.p);

	/* damaged: told, what was read is there */
	{
		const char *bad = "{\"journeys\":[{\"journey\":\"welcome\",\"corr\":\"xyz\"},{\"journey\":\"winback\","
				  "\"corr\":\"0000000000000001\",\"corr_value\":null,\"state\":\"wait\",\"control\":false,"
				  "\"entries\":1,\"entered\":5,\"wake\":9,\"exited\":null,\"version\":\"0000000000000000\","
				  "\"step\":\"s\",\"arm\":\"\",\"reason\":\"\",\"props\":null}],\"profile\":{},\"tags\":{},"
				  "\"segments\":[]}";
		T_OK(json_parse(&d, bad, strlen(bad), 64, &why, &at) == 0);
		T_EQ_INT(jfold_read(&d, 0, &B, &got, &pb, &Lb), -1);
		T_EQ_INT(got.n, 1);
		T_EQ_INT(got.v[0].journey, 22);
		T_EQ_INT(got.v[0].state, JI_WAIT);
		T_EQ_INT(got.v[0].wake, 9);
		T_OK(!pb.tags[0].set);
		T_OK(json_parse(&d, "[]", 2, 64, &why, &at) == 0);
		T_EQ_INT(jfold_read(&d, 0, &B, &got, &pb, &Lb), -1);
		T_EQ_INT(got.n, 0);
	}

	for (k = 0; k < 3; k++)
		jinst_release(&in[k]);
	jfold_insts_release(&got);
	profile_release(&pa);
	profile_release(&pb);
	profile_release(&pc);
	profile_layout_release(&La);
	profile_layout_release(&Lb);
	json_doc_release(&d);
	buf_release(&w);
	buf_release(&w2);
}

int main(void)
{
	roundtrip();
	return t_done("jfold");
}
