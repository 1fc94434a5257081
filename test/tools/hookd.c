/*
 * hookd - a webhook provider on loopback in C (libmicrohttpd), for
 * scripts/bench-dispatch: a receiver fast enough that the rate measured is
 * dispatch's, not the receiver's (test/tools/hooksink.py, in Python, is
 * the one the tests use, with its misbehaviours).
 *
 *   hookd DIR
 *
 * Listens on 127.0.0.1 (a free port, written to DIR/addr), one thread with
 * epoll. Every POST with a body is answered 200 {"id":"m-<key>"} where key
 * is its Idempotency-Key (else a count): the first request of a key is
 * counted as delivered, a repeat as a repeat (never delivered twice). On
 * SIGTERM or SIGINT it writes "delivered N\nrepeats M\n" to DIR/counts and
 * exits 0.
 */
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"

struct req {
	size_t bytes; /* body bytes seen */
};

static uint64_t *keys; /* open addressing, 0 empty */
static size_t cap = 1 << 16, nkeys;
static unsigned long long delivered, repeats;
static volatile sig_atomic_t stop;

/* 1 when the key was new (and is now kept), 0 when seen before. */
static int key_new(const char *k)
{
	uint64_t h = hash64(k, strlen(k), 5) | 1;
	size_t i;

	if (2 * (nkeys + 1) > cap) {
		uint64_t *old = keys;
		size_t oc = cap, j;
		cap *= 2;
		keys = calloc(cap, sizeof *keys);
		nkeys = 0;
		for (j = 0; j < oc; j++)
			if (old[j]) {
				for (i = old[j] & (cap - 1); keys[i]; i = (i + 1) & (cap - 1))
					;
				keys[i] = old[j];
				nkeys++;
			}
		free(old);
	}
	for (i = h & (cap - 1); keys[i]; i = (i + 1) & (cap - 1))
		if (keys[i] == h)
			return 0;
	keys[i] = h;
	nkeys++;
	return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
				  const char *version, const char *data, size_t *size, void **state)
{
	struct req *r = *state;
	struct MHD_Response *resp;
	const char *key;
	char body[160];
	enum MHD_Result rc;

	(void)cls, (void)url, (void)version;
	if (strcmp(method, "POST"))
		return MHD_NO;
	if (!r) { /* headers only: come back with the body */
		*state = r = calloc(1, sizeof *r);
		return r ? MHD_YES : MHD_NO;
	}
	if (*size) {
		(void)data;
		r->bytes += *size;
		*size = 0;
		return MHD_YES;
	}
	key = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Idempotency-Key");
	if (key && *key) {
		if (key_new(key))
			delivered++;
		else
			repeats++;
		snprintf(body, sizeof body, "{\"id\":\"m-%.100s\"}", key);
	} else {
		delivered++;
		snprintf(body, sizeof body, "{\"id\":\"m-%llu\"}", delivered);
	}
	resp = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, "Content-Type", "application/json");
	rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
	MHD_destroy_response(resp);
	return rc;
}

static void on_done(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode tc)
{
	(void)cls, (void)c, (void)tc;
	free(*state);
	*state = NULL;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	struct sockaddr_in a;
	char path[4096], tmp[4096];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: hookd DIR\n");
		return 64;
	}
	keys = calloc(cap, sizeof *keys);
	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = 0;
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a, MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
			     MHD_OPTION_CONNECTION_LIMIT, 1024u, MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
			     MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_END);
	if (!d || !(info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT))) {
		fprintf(stderr, "hookd: cannot listen on 127.0.0.1\n");
		return 71;
	}
	snprintf(tmp, sizeof tmp, "%s/addr.tmp", argv[1]);
	snprintf(path, sizeof path, "%s/addr", argv[1]);
	if (!(f = fopen(tmp, "w")) || fprintf(f, "127.0.0.1:%u\n", (unsigned)info->port) < 0 || fclose(f) ||
	    rename(tmp, path)) {
		fprintf(stderr, "hookd: cannot write '%s'\n", path);
		return 73;
	}
	while (!stop)
		pause();
	MHD_stop_daemon(d); /* the last requests answered, the thread joined */
	snprintf(path, sizeof path, "%s/counts", argv[1]);
	if (!(f = fopen(path, "w")) || fprintf(f, "delivered %llu\nrepeats %llu\n", delivered, repeats) < 0 ||
	    fclose(f)) {
		fprintf(stderr, "hookd: cannot write '%s'\n", path);
		return 74;
	}
	free(keys);
	return 0;
}
