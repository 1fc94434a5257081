/* outcome: counting by reason class, the reject record, flush and close */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io.h"
#include "outcome.h"
#include "t.h"

int main(void)
{
	char dir[] = "/tmp/uops-t-outcome.XXXXXX", path[256];
	struct outcome o;
	struct ep_cfg cfg = {0};
	struct buf got = BUF_INIT;
	char err[200];
	struct tally t = {0};

	/* tally: same text counted together, the class cut at " at byte" or " (" */
	tally_add(&t, "a", 1);
	tally_add(&t, "b", 1);
	tally_add(&t, "a", 1);
	T_EQ_INT(t.n, 2);
	T_EQ_INT(t.r[0].n, 2);
	tally_free(&t);
	T_EQ_INT(t.n, 0);

	/* a new text per count: rows up to the cap, then "other reasons" with
	 * the texts as values, at most TALLY_SAMPLES of them kept */
	{
		char s[32];
		int i, n;
		unsigned long long sum = 0;
		for (i = 0; i < 3 * TALLY_MAX_ROWS; i++) {
			n = snprintf(s, sizeof s, "reason %d", i % (2 * TALLY_MAX_ROWS));
			tally_add(&t, s, (size_t)n);
		}
		T_EQ_INT(t.n, TALLY_MAX_ROWS + 1);
		T_EQ_STR(t.r[TALLY_MAX_ROWS].text, "other reasons");
		T_EQ_INT(t.r[TALLY_MAX_ROWS].n, TALLY_MAX_ROWS);
		T_EQ_INT(t.r[TALLY_MAX_ROWS].ns, TALLY_SAMPLES);
		T_EQ_STR(t.r[TALLY_MAX_ROWS].s[0].v, "reason 1000");
		T_EQ_INT(t.r[TALLY_MAX_ROWS].rest, TALLY_MAX_ROWS - TALLY_SAMPLES);
		/* reasons 0-999 again from i = 2000, on their rows */
		T_EQ_INT(t.r[0].n, 2);
		T_EQ_INT(t.r[999].n, 2);
		for (i = 0; i < (int)t.n; i++)
			sum += t.r[i].n;
		T_EQ_INT(sum, 3 * TALLY_MAX_ROWS);
		tally_free(&t);
	}
	/* a fixed text with values: one row, the first values kept with counts,
	 * long texts and values cut (not inside a UTF-8 character) */
	{
		char v[16], big[300];
		int i, n;
		for (i = 0; i < 100; i++) {
			n = snprintf(v, sizeof v, "t%d", i % 20);
			tally_add_value(&t, "unknown type", 12, v, (size_t)n);
		}
		T_EQ_INT(t.n, 1);
		T_EQ_INT(t.r[0].n, 100);
		T_EQ_INT(t.r[0].ns, TALLY_SAMPLES);
		T_EQ_STR(t.r[0].s[1].v, "t1");
		T_EQ_INT(t.r[0].s[1].n, 5);
		T_EQ_INT(t.r[0].rest, 100 - 5 * TALLY_SAMPLES);
		memset(big, 'x', sizeof big);
		memcpy(big + TALLY_MAX_TEXT - 1, "\xc3\xa9", 2); /* é across the cut */
		tally_add_value(&t, big, sizeof big, big, sizeof big);
		T_EQ_INT(t.r[1].len, TALLY_MAX_TEXT - 1);
		T_EQ_INT(t.r[1].s[0].len, TALLY_MAX_SAMPLE);
		tally_add(&t, big, TALLY_MAX_TEXT + 1); /* the same once cut */
		T_EQ_INT(t.n, 2);
		T_EQ_INT(t.r[1].n, 2);
		tally_free(&t);
	}

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/rej", dir);
	memset(&o, 0, sizeof o);
	T_EQ_INT(outcome_open(&o, path, &cfg), 0);
	o.file = "in.csv";
	o.line = 7;
	o.raw = "x,\"y\"\n\x01\xff";
	o.raw_n = strlen(o.raw);
	outcome_reject(&o, "invalid json: bad at byte 3", 27);
	outcome_rejectf(&o, "invalid json: %s at byte %d", "bad", 9);
	outcome_reject(&o, "no usable identifier (phone: blocked value)", 43);
	OUTCOME_REJECT(&o, "no usable identifier");
	o.raw_flags = LINE_TOO_LONG;
	o.raw_total = 123456;
	OUTCOME_REJECT(&o, "line longer than 8 bytes");
	outcome_reject_about(&o, "unknown identifier type", "abc", 3, "unknown identifier type '%s'", "abc");
	outcome_reject_about(&o, "unknown identifier type", "abd", 3, "unknown identifier type '%s'", "abd");
	T_EQ_INT(o.rejected, 7);
	/* invalid json ×2, no usable identifier ×2, line longer, unknown identifier type ×2 */
	T_EQ_INT(o.reasons.n, 4);
	T_EQ_INT(o.reasons.r[3].n, 2);
	T_EQ_INT(o.reasons.r[3].ns, 2);
	T_EQ_STR(o.first.p, "invalid json: bad at byte 3");
	T_EQ_INT(o.strict_hit, 0);
	o.strict = 1;
	OUTCOME_REJECT(&o, "x");
	T_EQ_INT(o.strict_hit, 1);
	T_EQ_INT(outcome_flush(&o), 0);
	T_EQ_INT(outcome_end(&o), 0);
	T_EQ_INT(io_slurp(path, &got, err, sizeof err), 0);
	T_OK(strstr(got.p, "{\"error\":\"invalid json: bad at byte 3\",\"source\":\"in.csv:7\","
			   "\"line\":\"x,\\\"y\\\"\\n\\u0001\\u00ff\"}\n") == got.p);
	T_OK(strstr(got.p, "\"truncated\":true,\"bytes\":123456}") != NULL);
	T_OK(strstr(got.p, "{\"error\":\"unknown identifier type 'abd'\",") != NULL);
	{
		int lines = 0;
		const char *q;
		for (q = got.p; *q; q++)
			lines += *q == '\n';
		T_EQ_INT(lines, 8);
	}
	T_EQ_INT(outcome_close(&o), 0);
	T_EQ_INT(o.reasons.n, 0);
	buf_release(&got);
	unlink(path);
	rmdir(dir);
	return t_done("outcome");
}
