/*
 * cli - what every uops tool shares on its command line: the options table
 * that drives both parsing and --help, the common options of DESIGN.md, exit
 * codes, diagnostics and the stop flag set by SIGINT/SIGTERM.
 */
#ifndef UOPS_CLI_H
#define UOPS_CLI_H

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
 * blocked read returns EINTR) and ignore SIGPIPE. */
void cli_signals(void);

/* "prog: message" on stderr; the message should carry no trailing period. */
void cli_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, only when -v was given (c->verbose). */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern int cli_verbose;

/* Parse an option's whole-number value of at least min into *out. Returns
 * 0, or 64 after saying "--NAME wants a whole number of at least MIN". */
int cli_long(const char *name, const char *arg, long min, long *out);

/* Peak resident set size of this process in KiB. */
long cli_peak_rss_kb(void);

#endif
