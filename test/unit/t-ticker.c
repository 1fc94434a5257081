/*
 * t-ticker - scheduler tick's $tick records: as many as asked, each a
 * compact $tick whose ts is a canonical time, never going back; none once
 * a stop is asked; an output that cannot be opened is an I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "clock.h"
#include "ticker.h"
#include "t.h"

/* The ticks written to path: their number, each checked. */
static int ticks(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[256];
	int64_t last = INT64_MIN;
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		static const char head[] = "{\"type\":\"$tick\",\"ts\":\"";
		size_t len = strlen(line);
		char ts[CLOCK_ISO_LEN + 1];
		const char *why;
		int64_t t;
		n++;
		T_OK(len == sizeof head - 1 + CLOCK_ISO_LEN + 3);
		T_OK(!strncmp(line, head, sizeof head - 1));
		T_OK(len > 3 && !strcmp(line + len - 3, "\"}\n"));
		if (len != sizeof head - 1 + CLOCK_ISO_LEN + 3)
			continue;
		memcpy(ts, line + sizeof head - 1, CLOCK_ISO_LEN);
		ts[CLOCK_ISO_LEN] = 0;
		T_EQ_INT(clock_parse(ts, CLOCK_ISO_LEN, NULL, &t, &why), 0);
		T_OK(t >= last);
		last = t;
	}
	fclose(f);
	return n;
}

int main(void)
{
	char path[] = "/tmp/uops-t-ticker-XXXXXX";
	int fd = mkstemp(path);

	T_OK(fd >= 0);
	close(fd);
	T_EQ_INT(ticker_run(path, NULL, 0, 1, 3), 0);
	T_EQ_INT(ticks(path), 3);
	T_EQ_INT(ticker_run(path, NULL, 0, 60000, 1), 0); /* one: no wait */
	T_EQ_INT(ticks(path), 1);
	cli_stop = 1;
	T_EQ_INT(ticker_run(path, NULL, 0, 1, 5), 0);
	T_EQ_INT(ticks(path), 0);
	cli_stop = 0;
	T_EQ_INT(ticker_run("/nonexistent-dir/ticks", NULL, 0, 1, 1), EXIT_IO);
	remove(path);
	return t_done("ticker");
}
