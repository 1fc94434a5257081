#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jq.h>
#include <librdkafka/rdkafka.h>
#include <lmdb.h>
#include <malloc.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "buf.h"

#ifndef UOPS_JQ_VERSION
#define UOPS_JQ_VERSION "(unknown)"
#endif

const char *cli_prog = "uops";
volatile sig_atomic_t cli_stop;
int cli_verbose;

enum { OPT_DB = 1000, OPT_REJECTS, OPT_STRICT };

static const struct cli_opt common[] = {
	{"input", 'i', 1, "SRC", "read from SRC: a file, '-', *.zst or kafka://host:port,…/topic (repeatable; FILE operands add to it)"},
	{"output", 'o', 1, "DST", "write to DST: a file, '-' (default), *.zst or kafka://host:port,…/topic"},
	{"db", OPT_DB, 1, "DIR", "the LMDB environment (default $UOPS_DB, else ./uops.db)"},
	{"rejects", OPT_REJECTS, 1, "DST", "write rejected records there as NDJSON with the reason"},
	{"kafka", 'X', 1, "KEY=VALUE", "librdkafka property, passed through (repeatable)"},
	{"strict", OPT_STRICT, 0, NULL, "stop at the first rejected record (exit 65)"},
	{"quiet", 'q', 0, NULL, "print nothing but errors"},
	{"verbose", 'v', 0, NULL, "print counts per outcome and reason at the end"},
	{"help", 'h', 0, NULL, "show this help and exit"},
	{"version", 'V', 0, NULL, "show versions (uops and its libraries) and exit"},
	{0, 0, 0, 0, 0},
};

static volatile sig_atomic_t stop_sigs;
static long long stop_at_ns;

long long cli_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void on_signal(int sig)
{
	if (stop_sigs++) /* the second: at once */
		_exit(128 + sig);
	stop_at_ns = cli_now_ns(); /* clock_gettime is async-signal-safe */
	cli_stop = 1;
}

int cli_need_state(const char *dir)
{
	struct buf path = BUF_INIT;
	int rc = 0;

	buf_printf(&path, "%s/data.mdb", dir);
	if (access(path.p, F_OK)) {
		cli_err("no state in '%s' (run %s on a stream first)", dir, cli_prog);
		rc = EXIT_USAGE;
	}
	buf_release(&path);
	return rc;
}

int cli_stdout_close(int rc)
{
	static int said;

	if (!fflush(stdout) && !ferror(stdout))
		return rc;
	if (errno == EPIPE || rc == EXIT_PIPE)
		return EXIT_PIPE;
	if (!said)
		cli_err("cannot write '<stdout>': %s", strerror(errno ? errno : EIO));
	said = 1;
	return !rc || rc == EXIT_REJECTS ? EXIT_IO : rc;
}

long cli_stop_grace_ms(void)
{
	static long grace = -1;

	if (grace < 0) { /* read once, before any signal */
		const char *e = getenv("UOPS_STOP_GRACE_MS");
		char *end;
		long v = e && *e ? strtol(e, &end, 10) : -1;
		grace = v >= 0 && v <= 600000 && !*end ? v : CLI_STOP_GRACE_MS;
	}
	return grace;
}

long cli_stop_left_ms(void)
{
	long long left;

	if (!cli_stop)
		return -1;
	if (!stop_at_ns) /* cli_stop set by the program itself */
		stop_at_ns = cli_now_ns();
	left = cli_stop_grace_ms() - (cli_now_ns() - stop_at_ns) / 1000000;
	return left < 0 ? 0 : (long)left;
}

int cli_stop_patient;

long cli_stop_drain_ms(void)
{
	static long drain = -1;

	if (drain < 0) { /* read once, before any signal */
		const char *e = getenv("UOPS_STOP_DRAIN_MS");
		char *end;
		long v = e && *e ? strtol(e, &end, 10) : -1;
		drain = v >= 0 && v <= 3600000 && !*end ? v : CLI_STOP_DRAIN_MS;
		if (drain < cli_stop_grace_ms())
			drain = cli_stop_grace_ms();
	}
	return drain;
}

long cli_stop_wait_ms(long long since_ns, long quiet_ms)
{
	long long now, end, cap;

	if (!cli_stop)
		return -1;
	if (!stop_at_ns)
		stop_at_ns = cli_now_ns();
	if (since_ns < stop_at_ns)
		since_ns = stop_at_ns;
	end = since_ns + (long long)quiet_ms * 1000000;
	cap = stop_at_ns + (long long)cli_stop_drain_ms() * 1000000;
	if (end > cap)
		end = cap;
	now = cli_now_ns();
	return now >= end ? 0 : (long)((end - now + 999999) / 1000000);
}

int cli_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t block, old;
	int rc;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	rc = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void cli_signals(void)
{
	struct sigaction sa;

	cli_stop_grace_ms(); /* the environment is read now, not in a stop */
	cli_stop_drain_ms();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void cli_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	if (!cli_verbose)
		return;
	fprintf(stderr, "%s: ", cli_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_long(const char *name, const char *arg, long min, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (!*arg || *end || errno || v < min) {
		cli_err("--%s wants a whole number of at least %ld, not '%s'", name, min, arg);
		return EXIT_USAGE;
	}
	*out = v;
	return 0;
}

int cli_list(const char *s, char ***out, unsigned *n)
{
	const char *p = s;

	*out = NULL;
	*n = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len || (comma && !comma[1]))
			break;
		*out = xrealloc(*out, (*n + 1) * sizeof **out);
		(*out)[(*n)++] = xstrndup(p, len);
		p += len + (comma != NULL);
	}
	if (*n && !*p)
		return 0;
	while (*n)
		free((*out)[--*n]);
	free(*out);
	*out = NULL;
	return -1;
}

long cli_peak_rss_kb(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return -1;
	return ru.ru_maxrss;
}

static void help_table(FILE *f, const struct cli_opt *o)
{
	for (; o->name; o++) {
		char left[64];
		int n;

		if (o->key > 0 && o->key < 256)
			n = snprintf(left, sizeof left, "  -%c, --%s", o->key, o->name);
		else
			n = snprintf(left, sizeof left, "      --%s", o->name);
		if (o->arg && o->metavar && n > 0 && (size_t)n < sizeof left)
			snprintf(left + n, sizeof left - (size_t)n, " %s", o->metavar);
		fprintf(f, "%-30s %s\n", left, o->help);
	}
}

static void help(const struct cli *c)
{
	printf("usage: %s %s\n", c->prog, c->synopsis);
	if (c->summary)
		printf("%s\n", c->summary);
	if (c->opts && c->opts->name) {
		printf("\n%s options:\n", c->prog);
		help_table(stdout, c->opts);
	}
	printf("\ncommon options:\n");
	help_table(stdout, common);
	printf("\nexit status: 0 ok, 1 some records rejected, 64 usage, 65 bad data (--strict),\n"
	       "70 internal error, 74 I/O error, 75 temporary failure (retry), 78 bad configuration\n"
	       "see %s(1)\n", c->prog);
}

static void version(const struct cli *c)
{
	int maj, min, pat;

	mdb_version(&maj, &min, &pat);
	printf("%s (uops) %s\n", c->prog, UOPS_VERSION);
	printf("librdkafka %s, lmdb %d.%d.%d, zstd %s, jq %s%s%s\n", rd_kafka_version_str(),
	       maj, min, pat, ZSTD_versionString(), UOPS_JQ_VERSION, c->more_versions ? ", " : "",
	       c->more_versions ? c->more_versions : "");
}

static int usage(const struct cli *c, const char *fmt, const char *what)
{
	fprintf(stderr, "%s: ", c->prog);
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\nusage: %s %s\n(see '%s --help')\n", c->prog, c->synopsis, c->prog);
	return EXIT_USAGE;
}

static int count(const struct cli_opt *o)
{
	int n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/*
 * glibc's malloc takes its heap in 4 KiB pages, and the first write of
 * each is a page fault: a tool holding a graph or a batch of gigabytes
 * takes hundreds of thousands of them (a fifth of the time of a rebuild
 * or a stream where faults are dear, as in virtual machines). Where the
 * kernel gives transparent huge pages on request ("madvise"), the glibc
 * tunable glibc.malloc.hugetlb=1 asks for them on the heap, 2 MiB a fault.
 * glibc reads tunables only at start, so a tool started without it sets
 * it and executes itself again, once (the same process, name and
 * arguments). A GLIBC_TUNABLES that names glibc.malloc.hugetlb already
 * (any value: 0 turns this off) is left alone.
 */
static void huge_heap(char **argv)
{
#if defined(__linux__) && defined(__GLIBC__)
	const char *t = getenv("GLIBC_TUNABLES");
	char mode[128], *v;
	size_t n;
	FILE *f;

	if ((t && strstr(t, "glibc.malloc.hugetlb")) || !argv || !argv[0])
		return;
	if (!(f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r")))
		return;
	n = fread(mode, 1, sizeof mode - 1, f);
	fclose(f);
	mode[n] = 0;
	if (!strstr(mode, "[madvise]")) /* always: the heap has them; never: none to have */
		return;
	n = t ? strlen(t) : 0;
	v = xmalloc(2 * n + 32);
	snprintf(v, 2 * n + 32, "%s%sglibc.malloc.hugetlb=1", n ? t : "", n ? ":" : "");
	if (n)
		memcpy(v + n + 24, t, n + 1); /* the value as started, kept */
	if (setenv("GLIBC_TUNABLES", v, 1) == 0) {
		/* by the file's own path: the process keeps its name (ps,
		 * pgrep), which an exec of /proc/self/exe would make "exe" */
		char path[4096];
		ssize_t len = readlink("/proc/self/exe", path, sizeof path - 1);
		if (len > 0 && (size_t)len < sizeof path - 1 && path[0] == '/') {
			path[len] = 0;
			execv(path, argv);
		}
		execv("/proc/self/exe", argv);
		/* no /proc: go on as started */
		if (n)
			setenv("GLIBC_TUNABLES", v + n + 24, 1);
		else
			unsetenv("GLIBC_TUNABLES");
	}
	free(v);
#else
	(void)argv;
#endif
}

void cli_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	mallopt(M_TOP_PAD, 16 << 20);
}

int cli_parse(struct cli *c, int argc, char **argv)
{
	int nt = count(c->opts), nc = count(common), i, k = 0, opt;
	struct option *lo = xcalloc((size_t)(nt + nc + 1), sizeof *lo);
	char shorts[256];
	size_t sl = 0;
	const char *env;
	int rc = 0;

	huge_heap(argv);
	cli_malloc();
	cli_prog = c->prog;
	shorts[sl++] = ':';
	for (i = 0; i < nt + nc; i++) {
		const struct cli_opt *o = i < nt ? &c->opts[i] : &common[i - nt];
		lo[k].name = o->name;
		lo[k].has_arg = o->arg ? required_argument : no_argument;
		lo[k].flag = NULL;
		lo[k].val = o->key;
		k++;
		if (o->key > 0 && o->key < 256 && sl + 3 < sizeof shorts) {
			shorts[sl++] = (char)o->key;
			if (o->arg)
				shorts[sl++] = ':';
		}
	}
	shorts[sl] = 0;
	c->out = "-";
	env = getenv("UOPS_DB");
	c->db = env && *env ? env : "uops.db";
	opterr = 0;
	while ((opt = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		switch (opt) {
		case 'h':
			free(lo);
			help(c);
			exit(0);
		case 'V':
			free(lo);
			version(c);
			exit(0);
		case 'i':
			if (c->nin >= CLI_MAX_IN) {
				rc = usage(c, "too many inputs%s", "");
				goto out;
			}
			c->in[c->nin++] = optarg;
			break;
		case 'o':
			c->out = optarg;
			break;
		case OPT_DB:
			c->db = optarg;
			break;
		case OPT_REJECTS:
			c->rejects = optarg;
			break;
		case 'X':
			if (!strchr(optarg, '=')) {
				rc = usage(c, "-X wants key=value, not '%s'", optarg);
				goto out;
			}
			if (c->nx >= CLI_MAX_X) {
				rc = usage(c, "too many -X properties%s", "");
				goto out;
			}
			c->x[c->nx++] = optarg;
			break;
		case OPT_STRICT:
			c->strict = 1;
			break;
		case 'q':
			c->quiet = 1;
			break;
		case 'v':
			c->verbose = 1;
			cli_verbose = 1;
			break;
		case '?':
			/* a known option's key: a long flag given "=value" */
			for (i = 0; optopt && i < k && lo[i].val != optopt; i++)
				;
			if (optopt && i < k)
				rc = usage(c, "option '%s' takes no value", argv[optind - 1]);
			else if (optopt)
				rc = usage(c, "unknown option '-%s'", (char[]){(char)optopt, 0});
			else
				rc = usage(c, "unknown option '%s'", argv[optind - 1]);
			goto out;
		case ':':
			rc = usage(c, "option '%s' needs a value", argv[optind - 1]);
			goto out;
		default:
			if (!c->handle) {
				rc = usage(c, "unhandled option%s", "");
				goto out;
			}
			rc = c->handle(c->ctx, opt, optarg);
			if (rc)
				goto out;
		}
	}
	if (c->subcommand && optind < argc) {
		c->rest = argv + optind;
		c->nrest = argc - optind;
		goto out;
	}
	for (; optind < argc; optind++) {
		if (c->nin >= CLI_MAX_IN) {
			rc = usage(c, "too many inputs%s", "");
			goto out;
		}
		c->in[c->nin++] = argv[optind];
	}
out:
	free(lo);
	return rc;
}
