/*
 * t-jlog - the packing of the decision log: every line comes back as it
 * went in, the records scheduler writes pack to well under their size,
 * raw control bytes survive, and the packed form of a known line is
 * frozen (a store's log is read back with the same table).
 */
#include <stdint.h>
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
	T_EQ_INT(jlog_day(0), 0);
	T_EQ_INT(jlog_day(-1), 0);
	T_EQ_INT(jlog_day(86400000), 1);
	T_EQ_INT(jlog_day(1790273086464LL), 20720);
	return t_done("jlog");
}
