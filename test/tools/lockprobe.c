/*
 * lockprobe - how long a tool's commit waits for the environment's write
 * lock while other tools work on it.
 *
 *   lockprobe DIR [INTERVAL_MS]
 *
 * Opens the store in DIR as its own tool ("probe": its DBs are
 * probe.*), and until SIGINT/SIGTERM commits a small write every
 * INTERVAL_MS (default 20) milliseconds, as a streaming stage does. At the
 * end it prints "<commits> <longest wait s> <longest hold s>" on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cli.h"
#include "store.h"

int main(int argc, char **argv)
{
	struct store *st;
	struct store_stats ss;
	MDB_dbi dbi;
	unsigned long long n = 0;
	long ms = argc > 2 ? atol(argv[2]) : 20;
	int code;

	if (argc < 2) {
		fprintf(stderr, "usage: lockprobe DIR [INTERVAL_MS]\n");
		return 64;
	}
	cli_prog = "lockprobe";
	cli_signals();
	if (!(st = store_open(argv[1], "probe", STORE_NOSYNC, &code)))
		return code;
	if (store_dbi(st, "probe.ticks", 0, &dbi))
		return 74;
	while (!cli_stop) {
		struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
		unsigned char key[8];
		store_be64(key, n++);
		store_put(st, dbi, "last", 4, key, 8);
		if ((code = store_commit(st)) && !cli_stop)
			return code;
		nanosleep(&t, NULL);
	}
	store_stats(st, &ss);
	printf("%llu %.3f %.3f\n", n, (double)ss.lock_wait_max_ns / 1e9, (double)ss.lock_hold_max_ns / 1e9);
	store_close(st);
	return 0;
}
