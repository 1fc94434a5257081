/*
 * t-group - line items into orders: keys, limits, the order event, the
 * line events and the exact decimal sum.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "group.h"
#include "t.h"

static struct group G;

static void start(size_t max_lines, const char *lines)
{
	struct group_cfg c = {0};

	c.by = xstrdup("order_id");
	c.keep = xcalloc(2, sizeof *c.keep);
	c.keep[0] = xstrdup("currency");
	c.keep[1] = xstrdup("missing");
	c.nkeep = 2;
	c.lines_type = lines ? xstrdup(lines) : NULL;
	c.max_lines = max_lines;
	group_init(&G, &c);
}

static enum group_took add(const char *ev)
{
	const char *why = NULL;

	return group_add(&G, ev, strlen(ev), "raw", 3, "f:1", 3, &why);
}

static const char *order(void)
{
	static struct buf b;
	const char *why;

	buf_reset(&b);
	if (group_order(&G, &b, &why))
		return why;
	return b.p;
}

static const char *sum(const char *a, const char *b, const char *c)
{
	static struct buf out;
	const char *v[3] = {a, b, c};
	size_t l[3] = {strlen(a), strlen(b), c ? strlen(c) : 0};

	buf_reset(&out);
	group_sum(v, l, c ? 3 : 2, &out);
	return out.p;
}

#define L1 "{\"ts\":\"2011-01-01T00:00:00.000Z\",\"type\":\"order_paid\",\"ids\":{\"member\":\"1\"}," \
	   "\"props\":{\"order_id\":\"A\",\"sku\":\"x\",\"amount\":15.3,\"currency\":\"GBP\"}}"
#define L2 "{\"ts\":\"2011-01-01T00:01:00.000Z\",\"type\":\"order_paid\",\"ids\":{\"member\":\"1\"}," \
	   "\"props\":{\"order_id\":\"A\",\"sku\":\"y\",\"amount\":20.34,\"line\":9}}"
#define L3 "{\"event_id\":\"e3\",\"ts\":\"2011-01-02T00:00:00.000Z\",\"type\":\"order_paid\",\"ids\":{\"member\":\"2\"}," \
	   "\"props\":{\"order_id\":\"B\",\"amount\":1}}"

int main(void)
{
	struct buf b = BUF_INIT;
	const char *ev, *raw, *at, *why;
	size_t evn, rawn, atn;

	/* sums: exact in decimal, trailing zeros dropped */
	T_EQ_STR(sum("15.3", "20.34", NULL), "35.64");
	T_EQ_STR(sum("0.1", "0.2", NULL), "0.3");
	T_EQ_STR(sum("-27.5", "27.5", NULL), "0");
	T_EQ_STR(sum("1.25", "-3", "0.005"), "-1.745");
	T_EQ_STR(sum("100", "200", NULL), "300");
	T_EQ_STR(sum("1e2", "1", NULL), "101");

	start(3, "order_line");
	T_EQ_INT(add(L1), GROUP_HELD);
	T_EQ_INT(add(L2), GROUP_HELD);
	T_EQ_INT(group_lines(&G), 2);
	/* no key, an empty key, a key that is an object: not lines of an order */
	T_EQ_INT(add("{\"type\":\"order_paid\",\"props\":{\"sku\":\"z\"}}"), GROUP_PASS);
	T_EQ_INT(add("{\"type\":\"order_paid\",\"props\":{\"order_id\":\"\"}}"), GROUP_PASS);
	T_EQ_INT(add("{\"type\":\"order_paid\",\"props\":{\"order_id\":{}}}"), GROUP_PASS);
	T_EQ_INT(add("{\"type\":\"order_paid\"}"), GROUP_PASS);
	/* a bad amount */
	T_EQ_INT(add("{\"type\":\"order_paid\",\"props\":{\"order_id\":\"A\",\"amount\":\"3\"}}"), GROUP_BAD);
	/* the same key under another type, or another key: the group ends */
	T_EQ_INT(add("{\"type\":\"order_refunded\",\"props\":{\"order_id\":\"A\"}}"), GROUP_ENDS);
	T_EQ_INT(add(L3), GROUP_ENDS);
	T_EQ_INT(group_lines(&G), 2);
	T_EQ_STR(order(), "{\"ts\":\"2011-01-01T00:00:00.000Z\",\"type\":\"order_paid\",\"ids\":{\"member\":\"1\"},"
			  "\"props\":{\"order_id\":\"A\",\"currency\":\"GBP\",\"amount\":35.64,\"lines\":2,"
			  "\"items\":[{\"order_id\":\"A\",\"sku\":\"x\",\"amount\":15.3,\"currency\":\"GBP\"},"
			  "{\"order_id\":\"A\",\"sku\":\"y\",\"amount\":20.34,\"line\":9}]}}");
	T_OK(!group_line_event(&G, 1, &b));
	T_EQ_STR(b.p, "{\"ts\":\"2011-01-01T00:01:00.000Z\",\"type\":\"order_line\",\"ids\":{\"member\":\"1\"},"
		      "\"props\":{\"order_id\":\"A\",\"sku\":\"y\",\"amount\":20.34,\"line\":2}}");
	group_line(&G, 1, &ev, &evn, &raw, &rawn, &at, &atn);
	T_OK(evn == strlen(L2) && !memcmp(ev, L2, evn));
	T_OK(rawn == 3 && !memcmp(raw, "raw", 3) && atn == 3 && !memcmp(at, "f:1", 3));
	group_clear(&G);
	/* a line with an event_id: the order gets none, the line event keeps it */
	T_EQ_INT(add(L3), GROUP_HELD);
	T_EQ_STR(order(), "{\"ts\":\"2011-01-02T00:00:00.000Z\",\"type\":\"order_paid\",\"ids\":{\"member\":\"2\"},"
			  "\"props\":{\"order_id\":\"B\",\"amount\":1,\"lines\":1,\"items\":[{\"order_id\":\"B\",\"amount\":1}]}}");
	buf_reset(&b);
	T_OK(!group_line_event(&G, 0, &b));
	T_EQ_STR(b.p, "{\"event_id\":\"e3\",\"ts\":\"2011-01-02T00:00:00.000Z\",\"type\":\"order_line\",\"ids\":{\"member\":\"2\"},"
		      "\"props\":{\"order_id\":\"B\",\"amount\":1,\"line\":1}}");
	group_clear(&G);
	/* more than max_lines under one key: over, and it stays over */
	T_EQ_INT(add(L1), GROUP_HELD);
	T_EQ_INT(add(L1), GROUP_HELD);
	T_EQ_INT(add(L1), GROUP_HELD);
	T_EQ_INT(add(L1), GROUP_OVER);
	T_EQ_INT(group_lines(&G), 3);
	group_drop_lines(&G);
	T_EQ_INT(add(L2), GROUP_OVER);
	T_EQ_INT(group_lines(&G), 0);
	T_EQ_INT(add(L3), GROUP_ENDS);
	group_clear(&G);
	T_EQ_INT(add(L3), GROUP_HELD);
	/* a numeric key is written as a number; no amount, no amount */
	group_clear(&G);
	T_EQ_INT(add("{\"type\":\"t\",\"props\":{\"order_id\":7}}"), GROUP_HELD);
	T_EQ_STR(order(), "{\"type\":\"t\",\"props\":{\"order_id\":7,\"lines\":1,\"items\":[{\"order_id\":7}]}}");
	group_free(&G);
	/* an order over max_bytes */
	start(0, NULL);
	G.cfg.max_bytes = 100;
	T_EQ_INT(add(L1), GROUP_HELD);
	T_EQ_INT(add(L1), GROUP_HELD);
	buf_reset(&b);
	T_OK(group_order(&G, &b, &why) == -1 && strstr(why, "longer"));
	T_OK(group_line_event(&G, 0, &b) == -1); /* no lines type */
	group_free(&G);
	buf_release(&b);
	return t_done("group");
}
