/*
 * cli - what every uops tool shares on its command line: the options table
 * that drives both parsing and --help, the common options of DESIGN.md, exit
 * codes, diagnostics and the stop flag set by SIGINT/SIGTERM.
 */
#ifndef UOPS_CLI_H
#define UOPS_CLI_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>

/* Exit codes, a <sysexits.h> subset (STYLE.md). */
enum {
	EXIT_REJECTS = 1, /* finished, but some records were rejected */
	EXIT_USAGE = 64,
	EXIT_DATA = 65,   /* bad data with --strict */
	EXIT_BUG = 70,
	EXIT_IO = 74,
	EXIT_TEMP = 75,   /* temporary: broker unreachable, retry */
	EXIT_CONFIG = 78,
	EXIT_PIPE = 141,  /* the output was closed (`| head`): quiet, as a
			   * process ended by SIGPIPE */
};

#define UOPS_VERSION "0.1.0"

/* One option. key is the short option character, or a value > 255 for a
 * long-only option. arg: 0 none, 1 required. */
struct cli_opt {
	const char *name;
	int key;
	int arg;
	const char *metavar;
	const char *help;
};

#define CLI_MAX_X 64
#define CLI_MAX_IN 256

/* The common options, filled by cli_parse. */
struct cli {
	const char *prog;
	const char *synopsis; /* after the program name, e.g. "[options] [FILE…]" */
	const char *summary;  /* one line: what the tool does */
	const struct cli_opt *opts; /* the tool's own options, {0}-terminated */
	/* handler for the tool's own options: return 0, or an exit code */
	int (*handle)(void *ctx, int key, const char *arg);
	void *ctx;
	const char *more_versions; /* other libraries the tool links, for -V */

	const char *in[CLI_MAX_IN]; /* -i SRC and FILE operands, in order */
	int nin;
	const char *out;     /* -o DST, default "-" */
	const char *db;      /* --db, default $UOPS_DB or ./uops.db */
	const char *rejects; /* --rejects DST or NULL */
	const char *x[CLI_MAX_X]; /* -X key=value, as given */
	int nx;
	int strict, quiet, verbose;
	/* positional operands after the first, when the tool takes a
	 * sub-command (argv[optind..]); set by cli_parse */
	char **rest;
	int nrest;
	int subcommand; /* 1: the first operand names a sub-command; operands
			 * are left in rest, not taken as input files */
};

/* The program name used in diagnostics (set by cli_parse). */
extern const char *cli_prog;
/* Set to 1 by SIGINT/SIGTERM (and SIGPIPE is ignored). */
extern volatile sig_atomic_t cli_stop;

/* How long a stop waits at most for a blocked output or the write lock
 * before it gives up (and the batch is not committed). */
#define CLI_STOP_GRACE_MS 800
/* The grace: UOPS_STOP_GRACE_MS when set (0 … 600000), else
 * CLI_STOP_GRACE_MS. Read once. */
long cli_stop_grace_ms(void);

/* Milliseconds left of the stop's grace: -1 while no stop was asked, else
 * 0 to CLI_STOP_GRACE_MS. */
long cli_stop_left_ms(void);

/* How long after a stop a pipe input is read on at most, waiting for its
 * writer (which got the same signal) to end its batch, commit and close:
 * UOPS_STOP_DRAIN_MS when set (0 … 3600000), else CLI_STOP_DRAIN_MS; never
 * less than the grace. Read once. A pipe that brings no byte for
 * CLI_STOP_SILENCE_MS (or the whole of it, when shorter) is given up
 * sooner. */
#define CLI_STOP_DRAIN_MS 60000
#define CLI_STOP_SILENCE_MS 10000
long cli_stop_drain_ms(void);

/* Milliseconds left, after a stop, of a wait that began or last made
 * progress at since_ns (cli_now_ns; 0 or earlier than the signal count
 * from the signal): quiet_ms after since_ns, but no later than
 * cli_stop_drain_ms() after the signal. -1 while no stop was asked, else
 * 0 or more. */
long cli_stop_wait_ms(long long since_ns, long quiet_ms);

/* Set by io when a record came from a pipe: its writer may have committed
 * it already, so after a stop, losing it with an uncommitted batch loses
 * it for the rerun too. Such a process waits for the store's write lock
 * for up to CLI_STOP_SILENCE_MS (within cli_stop_drain_ms) instead of the
 * grace. */
extern int cli_stop_patient;

/* Monotonic clock in nanoseconds. */
long long cli_now_ns(void);

/* pthread_create for a helper thread: SIGINT/SIGTERM are blocked in it, so
 * they reach the thread that reads, writes and commits, whose blocking
 * calls they interrupt. Returns pthread_create's code. */
int cli_thread_start(pthread_t *thread, void *(*fn)(void *), void *arg);

/*
 * Parse argv. Options may come anywhere, also after a sub-command
 * ("idmerge explain 42 --dot"); "--" ends them. Handles -h (prints help,
 * exits 0) and -V (prints versions, exits 0). Returns 0, or an exit code
 * after printing "usage: …" on stderr. It also tunes malloc for a long
 * filter (cli_malloc).
 */
int cli_parse(struct cli *c, int argc, char **argv);

/* Keep memory malloc gets for reuse: blocks up to 32 MiB come from the
 * heap rather than a mapping of their own, and free memory is given back
 * to the system only past 256 MiB. A batch's arrays are freed and taken
 * again at every commit; mapped afresh, each page of them would fault and
 * be zeroed again (a tenth of a stream's time where faults are dear). */
void cli_malloc(void);

/* Install the SIGINT/SIGTERM handler (sets cli_stop; no SA_RESTART so a
 * blocked read, write or lock wait returns EINTR) and ignore SIGPIPE. A
 * second SIGINT/SIGTERM ends the process at once with 128 + the signal:
 * LMDB never commits half a transaction, so the state stays consistent. */
void cli_signals(void);

/* "prog: message" on stderr; the message should carry no trailing period. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only when -v was given (c->verbose). */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int cli_verbose;

/* Parse an option's whole-number value of at least min into *out. Returns
 * 0, or 64 after saying "--NAME wants a whole number of at least MIN". */
int cli_long(const char *name, const char *arg, long min, long *out);

/*
 * Split an option's comma-separated value s into malloc'd strings: *out
 * (realloc'd from NULL) holds *n of them. Returns 0, or -1 when s is empty
 * or a piece of it is ("a,,b", "a,"); then *out is NULL and *n 0.
 */
int cli_list(const char *s, char ***out, unsigned *n);

/* For a query or an export, which read a tool's state and never make a
 * store: 0 when dir holds an LMDB environment (its data.mdb), else 64
 * after saying "no state in 'DIR' (run PROG on a stream first)", PROG the
 * tool's name, so a mistyped or missing --db is a usage error in every
 * tool. A store that holds no DB of the tool is the query's to report. */
int cli_need_state(const char *dir);

/* Flush stdout at the end of a command that wrote it with stdio: rc, or,
 * when stdout failed, 141 (quietly: the reader is gone, as with `| head`)
 * or 74 after saying why. */
int cli_stdout_close(int rc);

/* Peak resident set size of this process in KiB. */
long cli_peak_rss_kb(void);

#endif
