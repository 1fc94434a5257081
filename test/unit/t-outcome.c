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
	T_EQ_INT(o.rejected, 5);
	T_EQ_INT(o.reasons.n, 3); /* invalid json ×2, no usable identifier ×2, line longer */
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
	{
		int lines = 0;
		const char *q;
		for (q = got.p; *q; q++)
			lines += *q == '\n';
		T_EQ_INT(lines, 6);
	}
	T_EQ_INT(outcome_close(&o), 0);
	T_EQ_INT(o.reasons.n, 0);
	buf_release(&got);
	unlink(path);
	rmdir(dir);
	return t_done("outcome");
}
