/*
 * t-jperson - a person's record in scheduler.people: each format (stream
 * 0; a stream; a stream and the block of the newest decisions) is chosen
 * by what the person holds, decodes to the same person and encodes again
 * to the same bytes; the stream and the block are read from the bytes
 * alone; a record cut short or of an unknown format is damaged, never a
 * crash; a record without its profile decodes to an empty one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jperson.h"
#include "t.h"

static struct profile_layout L;

static void fill(struct jperson *P, uint32_t stream, uint32_t ls, uint32_t lb)
{
	struct jinst *in;

	P->oneid = 7;
	P->stream = stream;
	P->lstream = ls;
	P->lblk = lb;
	P->nlog = 300; /* two varint bytes */
	P->ninst = 0;
	in = jperson_inst_add(P);
	in->journey = 3;
	in->corr = 0;
	in->state = JI_WAIT;
	in->entries = 1;
	in->entered = 1790000000000LL;
	in->wake = 1790000600000LL;
	buf_reset(&in->step);
	buf_adds(&in->step, "hold");
	in = jperson_inst_add(P);
	in->journey = 4;
	in->corr = 0x1122334455667788ull;
	in->state = JI_DONE;
	in->entries = 2;
	in->wake = INT64_MIN;
	buf_reset(&in->arm);
	buf_adds(&in->arm, "control");
	buf_reset(&in->reason);
	buf_adds(&in->reason, "goal");
	buf_reset(&in->props);
	buf_adds(&in->props, "{\"sku\":\"a1\"}");
}

static void one_format(uint32_t stream, uint32_t ls, uint32_t lb, int want_fmt)
{
	struct jperson P, Q;
	struct profile p, q;
	struct buf a = BUF_INIT, b = BUF_INIT, c = BUF_INIT;
	uint32_t s = 99, x = 0, y = 0;
	size_t cut, prof;

	memset(&P, 0, sizeof P);
	memset(&Q, 0, sizeof Q);
	memset(&p, 0, sizeof p);
	memset(&q, 0, sizeof q);
	profile_reset(&p, &L, 7);
	fill(&P, stream, ls, lb);
	jperson_encode(&P, &p, &L, &a);
	T_EQ_INT((unsigned char)a.p[0], want_fmt);
	Q.oneid = 7;
	T_EQ_INT(jperson_decode(&Q, &q, &L, (const unsigned char *)a.p, a.len), 0);
	T_EQ_INT(Q.stream, stream);
	T_EQ_INT(Q.lstream, lb ? ls : 0);
	T_EQ_INT(Q.lblk, lb);
	T_EQ_INT(Q.nlog, 300);
	T_EQ_INT(Q.ninst, 2);
	T_EQ_INT(Q.inst[0].journey, 3);
	T_EQ_INT(Q.inst[0].wake, 1790000600000LL);
	T_EQ_INT(Q.wake0[0], 1790000600000LL);
	T_EQ_INT(Q.state0[0], JI_WAIT);
	T_EQ_INT(Q.state0[1], JI_DONE);
	T_OK(Q.inst[1].corr == 0x1122334455667788ull);
	T_OK(Q.inst[1].arm.len == 7 && !memcmp(Q.inst[1].arm.p, "control", 7));
	jperson_encode(&Q, &q, &L, &b);
	T_OK(a.len == b.len && !memcmp(a.p, b.p, a.len));
	/* the stream and the block from the bytes alone */
	T_EQ_INT(jperson_stream(a.p, a.len, &s), 1);
	T_EQ_INT(s, stream);
	T_EQ_INT(jperson_last_block(a.p, a.len, &x, &y), want_fmt == 3 ? 1 : 0);
	if (want_fmt == 3) {
		T_EQ_INT(x, ls);
		T_EQ_INT(y, lb);
	}
	/* cut short anywhere: no crash; cut inside the head or an instance,
	 * damaged; cut where the profile starts, a person without one */
	profile_encode_add(&p, &L, &c);
	prof = a.len - c.len;
	for (cut = 0; cut < a.len; cut++) {
		int r;
		Q.ninst = 0;
		r = jperson_decode(&Q, &q, &L, (const unsigned char *)a.p, cut);
		if (cut < prof)
			T_EQ_INT(r, -1);
		else if (cut == prof)
			T_EQ_INT(r, 0);
		(void)jperson_stream(a.p, cut, &s);
		(void)jperson_last_block(a.p, cut, &x, &y);
	}
	jperson_release(&P);
	jperson_release(&Q);
	T_EQ_INT(Q.ninst, 0);
	T_OK(Q.inst == NULL);
	profile_release(&p);
	profile_release(&q);
	buf_release(&a);
	buf_release(&b);
	buf_release(&c);
}

static void unknown_formats(void)
{
	static const unsigned char zero[] = {0, 0, 0}, four[] = {4, 0, 0};
	struct jperson P;
	struct profile p;
	uint32_t s, x, y;

	memset(&P, 0, sizeof P);
	memset(&p, 0, sizeof p);
	T_EQ_INT(jperson_decode(&P, &p, &L, zero, sizeof zero), -1);
	T_EQ_INT(jperson_decode(&P, &p, &L, four, sizeof four), -1);
	T_EQ_INT(jperson_stream(zero, sizeof zero, &s), 0);
	T_EQ_INT(jperson_stream(four, sizeof four, &s), 0);
	T_EQ_INT(jperson_stream(zero, 0, &s), 0);
	T_EQ_INT(jperson_last_block(four, sizeof four, &x, &y), 0);
	/* format 1, no log, no instances, no profile: an empty person */
	{
		static const unsigned char empty[] = {1, 0, 0};
		T_EQ_INT(jperson_decode(&P, &p, &L, empty, sizeof empty), 0);
		T_EQ_INT(P.ninst, 0);
		T_EQ_INT(P.stream, 0);
		T_EQ_INT(jperson_stream(empty, sizeof empty, &s), 1);
		T_EQ_INT(s, 0);
	}
	jperson_release(&P);
	profile_release(&p);
}

int main(void)
{
	memset(&L, 0, sizeof L);
	profile_layout_index(&L);
	one_format(0, 0, 0, 1);
	one_format(5, 0, 0, 2);
	one_format(0, 2, 41, 3);
	one_format(200, 7, 100000, 3);
	unknown_formats();
	profile_layout_release(&L);
	return t_done("jperson");
}
