/*
 * ticker - $tick records of the wall clock; see ticker.h.
 */
#include <stdio.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "endpoint.h"
#include "ticker.h"

int ticker_run(const char *spec, const char *const *x, int nx, int64_t every, long count)
{
	struct ep_out out;
	struct ep_cfg cfg = {0};
	long n = 0;
	int rc, c2;

	cfg.x = x;
	cfg.nx = nx;
	if ((rc = ep_out_open(&out, spec, &cfg)))
		return rc;
	while (!cli_stop && (!count || n < count)) {
		struct timespec now, d;
		char iso[CLOCK_ISO_LEN + 1], line[80];
		int len;
		clock_gettime(CLOCK_REALTIME, &now);
		clock_format((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000, iso);
		len = snprintf(line, sizeof line, "{\"type\":\"$tick\",\"ts\":\"%s\"}", iso);
		if ((rc = ep_out_write(&out, NULL, 0, line, (size_t)len)) || (rc = ep_out_flush(&out)))
			break;
		if (++n == count)
			break;
		d.tv_sec = every / 1000;
		d.tv_nsec = (long)(every % 1000) * 1000000;
		nanosleep(&d, NULL); /* a signal ends it early */
	}
	c2 = ep_out_close(&out);
	return rc ? rc : c2;
}
