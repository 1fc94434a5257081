/*
 * t-cli - the shared command line: parsing into struct cli, usage errors,
 * --help and --version (in a forked child, since they exit), diagnostics,
 * the peak RSS figure and the stop flag set by signals.
 *
 * Every parse starts from a zeroed struct cli and a full getopt reset
 * (optind = 0, GNU getopt). Usage messages on stderr are captured into a
 * file in a temporary directory and checked.
 */
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-cli-XXXXXX";

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* An argv built from literals, in writable copies; NULL-terminated. */
#define MAXARGS 600
struct args {
	int argc;
	char *argv[MAXARGS + 1];
};

static void args_set(struct args *a, const char *first, ...)
{
	va_list ap;
	const char *s;

	a->argc = 0;
	va_start(ap, first);
	for (s = first; s && a->argc < MAXARGS; s = va_arg(ap, const char *))
		a->argv[a->argc++] = xstrdup(s);
	va_end(ap);
	a->argv[a->argc] = NULL;
}

static void args_add(struct args *a, const char *s)
{
	if (a->argc < MAXARGS)
		a->argv[a->argc++] = xstrdup(s);
	a->argv[a->argc] = NULL;
}

static void args_free(struct args *a)
{
	int i;

	for (i = 0; i < a->argc; i++)
		free(a->argv[i]);
	a->argc = 0;
	a->argv[0] = NULL;
}

/* What the tool's handler saw. */
struct seen {
	int calls;
	int key[8];
	char arg[8][32];
};

enum { OPT_LIMIT = 'n', OPT_DRY = 300, OPT_NAME };

static const struct cli_opt tool_opts[] = {
	{"limit", OPT_LIMIT, 1, "N", "stop after N records"},
	{"dry-run", OPT_DRY, 0, NULL, "change nothing"},
	{"name", OPT_NAME, 1, "NAME", "a long-only option with a value"},
	{0, 0, 0, 0, 0},
};

static int handle(void *ctx, int key, const char *arg)
{
	struct seen *s = ctx;

	if (s->calls < 8) {
		s->key[s->calls] = key;
		snprintf(s->arg[s->calls], sizeof s->arg[0], "%s", arg ? arg : "(none)");
	}
	s->calls++;
	if (arg && !strcmp(arg, "bad"))
		return EXIT_DATA;
	if (arg && !strcmp(arg, "conf"))
		return EXIT_CONFIG;
	return 0;
}

static void cli_init(struct cli *c, struct seen *s)
{
	memset(c, 0, sizeof *c);
	c->prog = "tcli";
	c->synopsis = "[options] [FILE...]";
	c->summary = "a test tool";
	if (s) {
		memset(s, 0, sizeof *s);
		c->opts = tool_opts;
		c->handle = handle;
		c->ctx = s;
	}
}

/* The text of file path, appended to b. */
static void slurp(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY);
	char tmp[4096];
	ssize_t r;

	if (fd < 0)
		return;
	while ((r = read(fd, tmp, sizeof tmp)) > 0)
		buf_add(b, tmp, (size_t)r);
	close(fd);
}

/* cli_parse with stderr captured into errtext (replaced). */
static int parse(struct cli *c, struct args *a, struct buf *errtext)
{
	char path[512];
	int fd, saved, rc;

	snprintf(path, sizeof path, "%s/stderr", dir);
	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	optind = 0; /* a full reset of GNU getopt */
	rc = cli_parse(c, a->argc, a->argv);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	buf_reset(errtext);
	slurp(path, errtext);
	if (!errtext->p)
		buf_adds(errtext, "");
	return rc;
}

static void test_defaults(void)
{
	struct cli c;
	struct args a;
	struct buf e = BUF_INIT;

	unsetenv("UOPS_DB");
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(e.len, 0);
	T_EQ_STR(c.out, "-");
	T_EQ_STR(c.db, "uops.db");
	T_OK(c.rejects == NULL);
	T_EQ_INT(c.nin, 0);
	T_EQ_INT(c.nx, 0);
	T_EQ_INT(c.strict, 0);
	T_EQ_INT(c.quiet, 0);
	T_EQ_INT(c.verbose, 0);
	T_OK(c.rest == NULL);
	T_EQ_INT(c.nrest, 0);
	T_EQ_STR(cli_prog, "tcli");
	args_free(&a);

	/* $UOPS_DB, when set and not empty */
	setenv("UOPS_DB", "/var/lib/uops/state.db", 1);
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_STR(c.db, "/var/lib/uops/state.db");
	args_free(&a);
	/* --db wins over it */
	cli_init(&c, NULL);
	args_set(&a, "tcli", "--db", "here.db", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_STR(c.db, "here.db");
	args_free(&a);
	setenv("UOPS_DB", "", 1);
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_STR(c.db, "uops.db");
	args_free(&a);
	unsetenv("UOPS_DB");
	buf_release(&e);
}

static void test_common(void)
{
	struct cli c;
	struct args a;
	struct buf e = BUF_INIT;
	int i;

	/* inputs: -i and operands, in the order given */
	cli_init(&c, NULL);
	args_set(&a, "tcli", "-i", "a.ndjson", "--input", "kafka://h:9092/t",
		 "-ib.zst", "--input=c", "d.ndjson", "-", "e", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.nin, 7);
	if (c.nin == 7) {
		T_EQ_STR(c.in[0], "a.ndjson");
		T_EQ_STR(c.in[1], "kafka://h:9092/t");
		T_EQ_STR(c.in[2], "b.zst");
		T_EQ_STR(c.in[3], "c");
		T_EQ_STR(c.in[4], "d.ndjson");
		T_EQ_STR(c.in[5], "-");
		T_EQ_STR(c.in[6], "e");
	}
	T_OK(c.rest == NULL);
	args_free(&a);

	/* "--" ends the options: what follows is a file even if it looks
	 * like an option */
	cli_init(&c, NULL);
	args_set(&a, "tcli", "-q", "--", "-v", "x", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.quiet, 1);
	T_EQ_INT(c.verbose, 0);
	T_EQ_INT(c.nin, 2);
	T_EQ_STR(c.in[0], "-v");
	T_EQ_STR(c.in[1], "x");
	args_free(&a);

	/* -o, --db, --rejects, -X (repeated), flags */
	cli_init(&c, NULL);
	args_set(&a, "tcli", "-o", "out.zst", "--db", "/tmp/x.db", "--rejects",
		 "rej.ndjson", "-X", "acks=all", "--kafka", "linger.ms=10",
		 "-Xclient.id=a=b", "--kafka=compression.type=zstd", "-q", "-v",
		 "--strict", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(e.len, 0);
	T_EQ_STR(c.out, "out.zst");
	T_EQ_STR(c.db, "/tmp/x.db");
	T_EQ_STR(c.rejects, "rej.ndjson");
	T_EQ_INT(c.nx, 4);
	if (c.nx == 4) {
		T_EQ_STR(c.x[0], "acks=all");
		T_EQ_STR(c.x[1], "linger.ms=10");
		T_EQ_STR(c.x[2], "client.id=a=b");
		T_EQ_STR(c.x[3], "compression.type=zstd");
	}
	T_EQ_INT(c.quiet, 1);
	T_EQ_INT(c.verbose, 1);
	T_EQ_INT(cli_verbose, 1);
	T_EQ_INT(c.strict, 1);
	T_EQ_INT(c.nin, 0);
	args_free(&a);
	cli_verbose = 0;

	/* clustered short flags, the last -o wins, long names by prefix */
	cli_init(&c, NULL);
	args_set(&a, "tcli", "-qv", "-o", "first", "-ofinal", "--stri",
		 "--output=-", "--rej=r", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.quiet, 1);
	T_EQ_INT(c.verbose, 1);
	T_EQ_INT(c.strict, 1);
	T_EQ_STR(c.out, "-");
	T_EQ_STR(c.rejects, "r");
	args_free(&a);
	cli_verbose = 0;

	/* exactly CLI_MAX_IN inputs fit; one more is a usage error */
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	for (i = 0; i < CLI_MAX_IN; i++) {
		char name[32];
		snprintf(name, sizeof name, "f%d", i);
		args_add(&a, name);
	}
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.nin, CLI_MAX_IN);
	T_EQ_STR(c.in[CLI_MAX_IN - 1], "f255");
	args_add(&a, "one-too-many");
	cli_init(&c, NULL);
	T_EQ_INT(parse(&c, &a, &e), EXIT_USAGE);
	T_OK(strstr(e.p, "too many inputs") != NULL);
	args_free(&a);

	/* ... and the same through -i */
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	for (i = 0; i <= CLI_MAX_IN; i++)
		args_add(&a, "-ix");
	T_EQ_INT(parse(&c, &a, &e), EXIT_USAGE);
	T_EQ_INT(c.nin, CLI_MAX_IN);
	args_free(&a);

	/* CLI_MAX_X properties fit; one more does not */
	cli_init(&c, NULL);
	args_set(&a, "tcli", NULL);
	for (i = 0; i < CLI_MAX_X; i++)
		args_add(&a, "-Xk=v");
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.nx, CLI_MAX_X);
	args_add(&a, "-Xk=v");
	cli_init(&c, NULL);
	T_EQ_INT(parse(&c, &a, &e), EXIT_USAGE);
	T_OK(strstr(e.p, "too many -X") != NULL);
	args_free(&a);
	buf_release(&e);
}

/* argv (after "tcli") must fail with 64, a message holding what and the
 * usage line. */
static void usage_error(const char *what, int line, ...)
{
	struct cli c;
	struct args a;
	struct seen s;
	struct buf e = BUF_INIT;
	va_list ap;
	const char *arg;
	int rc;

	cli_init(&c, &s);
	args_set(&a, "tcli", NULL);
	va_start(ap, line);
	while ((arg = va_arg(ap, const char *)))
		args_add(&a, arg);
	va_end(ap);
	rc = parse(&c, &a, &e);
	t_run += 3;
	if (rc != EXIT_USAGE) {
		t_failed++;
		fprintf(stderr, "%s:%d: returned %d, want 64\n", __FILE__, line, rc);
	}
	if (!strstr(e.p, what)) {
		t_failed++;
		fprintf(stderr, "%s:%d: stderr lacks '%s':\n%s", __FILE__, line,
			what, e.p);
	}
	if (strncmp(e.p, "tcli: ", 6) ||
	    !strstr(e.p, "\nusage: tcli [options] [FILE...]\n")) {
		t_failed++;
		fprintf(stderr, "%s:%d: not a usage message:\n%s", __FILE__, line,
			e.p);
	}
	args_free(&a);
	buf_release(&e);
}

static void test_usage_errors(void)
{
	usage_error("-X wants key=value, not 'acks'", __LINE__, "-X", "acks", NULL);
	usage_error("-X wants key=value", __LINE__, "-Xa=1", "--kafka", "b", NULL);
	usage_error("unknown option '-Z'", __LINE__, "-Z", NULL);
	usage_error("unknown option '-Z'", __LINE__, "-qZ", "file", NULL);
	usage_error("unknown option '--bogus'", __LINE__, "--bogus", NULL);
	usage_error("unknown option", __LINE__, "-i", "a", "--bogus=1", NULL);
	/* ambiguous prefix: --ver is --verbose or --version */
	usage_error("unknown option", __LINE__, "--ver", NULL);
	/* a flag given a value */
	usage_error("option '--quiet=yes' takes no value", __LINE__,
		    "--quiet=yes", NULL);
	usage_error("option '--strict=1' takes no value", __LINE__, "--strict=1",
		    NULL);
	usage_error("option '--dry-run=x' takes no value", __LINE__,
		    "--dry-run=x", NULL);
	usage_error("unknown option '-Z'", __LINE__, "-Zq", NULL);
	usage_error("unknown option '-Z'", __LINE__, "--strict", "-qZq", NULL);
	usage_error("option '-o' needs a value", __LINE__, "-o", NULL);
	usage_error("needs a value", __LINE__, "-q", "-i", NULL);
	usage_error("option '--db' needs a value", __LINE__, "--db", NULL);
	usage_error("needs a value", __LINE__, "--rejects", NULL);
	usage_error("needs a value", __LINE__, "-X", NULL);
	/* the tool's own options too */
	usage_error("option '-n' needs a value", __LINE__, "-n", NULL);
	usage_error("option '--name' needs a value", __LINE__, "--name", NULL);

	/* a tool option without a handler */
	{
		struct cli c;
		struct args a;
		struct buf e = BUF_INIT;

		cli_init(&c, NULL);
		c.opts = tool_opts;
		args_set(&a, "tcli", "--dry-run", NULL);
		T_EQ_INT(parse(&c, &a, &e), EXIT_USAGE);
		T_OK(strstr(e.p, "unhandled option") != NULL);
		args_free(&a);
		buf_release(&e);
	}
}

static void test_tool_options(void)
{
	struct cli c;
	struct seen s;
	struct args a;
	struct buf e = BUF_INIT;

	cli_init(&c, &s);
	args_set(&a, "tcli", "-n", "10", "--dry-run", "--name=x", "-q",
		 "--limit", "20", "-n30", "--name", "y", "in.ndjson", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(e.len, 0);
	T_EQ_INT(s.calls, 6);
	T_EQ_INT(s.key[0], OPT_LIMIT);
	T_EQ_STR(s.arg[0], "10");
	T_EQ_INT(s.key[1], OPT_DRY);
	T_EQ_STR(s.arg[1], "(none)");
	T_EQ_INT(s.key[2], OPT_NAME);
	T_EQ_STR(s.arg[2], "x");
	T_EQ_INT(s.key[3], OPT_LIMIT);
	T_EQ_STR(s.arg[3], "20");
	T_EQ_INT(s.key[4], OPT_LIMIT);
	T_EQ_STR(s.arg[4], "30");
	T_EQ_INT(s.key[5], OPT_NAME);
	T_EQ_STR(s.arg[5], "y");
	T_EQ_INT(c.quiet, 1);
	T_EQ_INT(c.nin, 1);
	T_EQ_STR(c.in[0], "in.ndjson");
	args_free(&a);

	/* the handler's non-zero return stops the parse and is returned */
	cli_init(&c, &s);
	args_set(&a, "tcli", "-n", "1", "--limit", "bad", "-q", "file", NULL);
	T_EQ_INT(parse(&c, &a, &e), EXIT_DATA);
	T_EQ_INT(s.calls, 2);
	T_EQ_INT(c.quiet, 0); /* not reached */
	T_EQ_INT(c.nin, 0);
	args_free(&a);
	cli_init(&c, &s);
	args_set(&a, "tcli", "--name", "conf", NULL);
	T_EQ_INT(parse(&c, &a, &e), EXIT_CONFIG);
	T_EQ_INT(s.calls, 1);
	args_free(&a);
	buf_release(&e);
}

static void test_subcommand(void)
{
	struct cli c;
	struct seen s;
	struct args a;
	struct buf e = BUF_INIT;

	cli_init(&c, &s);
	c.subcommand = 1;
	args_set(&a, "tcli", "-q", "--dry-run", "run", "a", "-v", "--", "b", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.quiet, 1);
	T_EQ_INT(s.calls, 1);
	/* options may follow the sub-command ("explain 42 --dot"); "--" ends
	 * them */
	T_EQ_INT(c.verbose, 1);
	T_EQ_INT(c.nin, 0);
	T_EQ_INT(c.nrest, 3);
	if (c.nrest == 3 && c.rest) {
		T_EQ_STR(c.rest[0], "run");
		T_EQ_STR(c.rest[1], "a");
		T_EQ_STR(c.rest[2], "b");
		T_OK(c.rest[3] == NULL);
	}
	args_free(&a);

	/* -i still collects inputs; no operand leaves rest empty */
	cli_init(&c, &s);
	c.subcommand = 1;
	args_set(&a, "tcli", "-i", "x", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.nin, 1);
	T_EQ_STR(c.in[0], "x");
	T_OK(c.rest == NULL);
	T_EQ_INT(c.nrest, 0);
	args_free(&a);

	/* "--" before the sub-command */
	cli_init(&c, &s);
	c.subcommand = 1;
	args_set(&a, "tcli", "--", "-odd", NULL);
	T_EQ_INT(parse(&c, &a, &e), 0);
	T_EQ_INT(c.nrest, 1);
	if (c.nrest == 1)
		T_EQ_STR(c.rest[0], "-odd");
	T_EQ_STR(c.out, "-");
	args_free(&a);
	buf_release(&e);
}

/* Run cli_parse on argv in a child with stdout into a file; returns the
 * wait status and the child's stdout and stderr in out and err. */
static int run_child(struct args *a, struct buf *out, struct buf *err)
{
	char opath[512], epath[512];
	int status = -1;
	pid_t pid;

	snprintf(opath, sizeof opath, "%s/child.out", dir);
	snprintf(epath, sizeof epath, "%s/child.err", dir);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		struct cli c;
		struct seen s;
		int fo = open(opath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int fe = open(epath, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fo < 0 || fe < 0)
			_exit(98);
		dup2(fo, 1);
		dup2(fe, 2);
		close(fo);
		close(fe);
		cli_init(&c, &s);
		optind = 0;
		cli_parse(&c, a->argc, a->argv);
		_exit(99); /* -h and -V must not return */
	}
	if (waitpid(pid, &status, 0) != pid)
		status = -1;
	buf_reset(out);
	buf_reset(err);
	slurp(opath, out);
	slurp(epath, err);
	if (!out->p)
		buf_adds(out, "");
	if (!err->p)
		buf_adds(err, "");
	return status;
}

static void test_help_version(void)
{
	static const char *const helps[] = { "-h", "--help", "--he" };
	struct args a;
	struct buf out = BUF_INIT, err = BUF_INIT;
	size_t i;
	int st;

	for (i = 0; i < sizeof helps / sizeof helps[0]; i++) {
		args_set(&a, "tcli", "-q", helps[i], "--bogus-after-help", NULL);
		st = run_child(&a, &out, &err);
		T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_OK(!strncmp(out.p, "usage: tcli [options] [FILE...]\n", 32));
		T_OK(strstr(out.p, "\na test tool\n") != NULL);
		/* the tool's options, then the common ones */
		T_OK(strstr(out.p, "\ntcli options:\n") != NULL);
		T_OK(strstr(out.p, "  -n, --limit N ") != NULL);
		T_OK(strstr(out.p, "      --dry-run ") != NULL);
		T_OK(strstr(out.p, "      --name NAME ") != NULL);
		T_OK(strstr(out.p, "\ncommon options:\n") != NULL);
		T_OK(strstr(out.p, "  -i, --input SRC ") != NULL);
		T_OK(strstr(out.p, "      --db DIR ") != NULL);
		T_OK(strstr(out.p, "  -X, --kafka KEY=VALUE ") != NULL);
		T_OK(strstr(out.p, "\nexit status: ") != NULL);
		T_OK(strstr(out.p, "see tcli(1)\n") != NULL);
		T_EQ_INT(err.len, 0);
		args_free(&a);
	}

	for (i = 0; i < 2; i++) {
		args_set(&a, "tcli", i ? "--version" : "-V", NULL);
		st = run_child(&a, &out, &err);
		T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		T_OK(!strncmp(out.p, "tcli (uops) " UOPS_VERSION "\n",
			      strlen("tcli (uops) " UOPS_VERSION "\n")));
		T_OK(strstr(out.p, "\nlibrdkafka ") != NULL);
		T_OK(strstr(out.p, ", lmdb ") != NULL);
		T_OK(strstr(out.p, ", zstd ") != NULL);
		T_OK(strstr(out.p, ", jq ") != NULL);
		T_EQ_INT(err.len, 0);
		args_free(&a);
	}

	/* a usage error before -h is reported, not the help */
	args_set(&a, "tcli", "-Z", "-h", NULL);
	st = run_child(&a, &out, &err);
	T_OK(WIFEXITED(st) && WEXITSTATUS(st) == 99);
	T_EQ_INT(out.len, 0);
	T_OK(strstr(err.p, "usage: tcli") != NULL);
	args_free(&a);
	buf_release(&out);
	buf_release(&err);
}

/* stderr into the file at path, until stderr_back(the fd returned); -1
 * when it cannot be opened */
static int stderr_to(const char *path)
{
	int fd, saved;

	fflush(stderr);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	T_OK(fd >= 0);
	if (fd < 0)
		return -1;
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	return saved;
}

static void stderr_back(int saved)
{
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
}

static void test_messages(void)
{
	char path[512];
	struct buf b = BUF_INIT;
	int saved;

	snprintf(path, sizeof path, "%s/messages", dir);
	if ((saved = stderr_to(path)) < 0)
		return;
	cli_prog = "tmsg";
	cli_verbose = 0;
	cli_err("cannot open '%s': %s", "x", "gone");
	cli_info("hidden %d", 1);
	cli_verbose = 1;
	cli_info("shown %d", 2);
	cli_verbose = 0;
	stderr_back(saved);
	slurp(path, &b);
	T_EQ_STR(b.p, "tmsg: cannot open 'x': gone\ntmsg: shown 2\n");
	buf_release(&b);
}

/* a query's store: a directory that is missing, or holds no data.mdb, is
 * 64 naming it; one with an environment is 0 */
static void test_need_state(void)
{
	char path[512], sub[512], want[1200];
	struct buf b = BUF_INIT;
	int fd, saved;

	snprintf(path, sizeof path, "%s/need-state", dir);
	snprintf(sub, sizeof sub, "%s/store", dir);
	if ((saved = stderr_to(path)) < 0)
		return;
	cli_prog = "tq";
	T_EQ_INT(cli_need_state(sub), 64);
	T_OK(access(sub, F_OK) != 0); /* nothing made */
	T_OK(mkdir(sub, 0755) == 0);
	T_EQ_INT(cli_need_state(sub), 64);
	snprintf(want, sizeof want, "%s/data.mdb", sub);
	fd = open(want, O_WRONLY | O_CREAT, 0644);
	T_OK(fd >= 0);
	if (fd >= 0)
		close(fd);
	T_EQ_INT(cli_need_state(sub), 0);
	stderr_back(saved);
	slurp(path, &b);
	snprintf(want, sizeof want,
		 "tq: no state in '%s' (run tq on a stream first)\n"
		 "tq: no state in '%s' (run tq on a stream first)\n",
		 sub, sub);
	T_EQ_STR(b.p, want);
	buf_release(&b);
}

static void test_rss_signals(void)
{
	struct sigaction sa;

	T_OK(cli_peak_rss_kb() > 0);

	cli_signals();
	T_EQ_INT(sigaction(SIGTERM, NULL, &sa), 0);
	T_EQ_INT(sa.sa_flags & SA_RESTART, 0);
	T_OK(sa.sa_handler != SIG_DFL && sa.sa_handler != SIG_IGN);
	T_EQ_INT(sigaction(SIGPIPE, NULL, &sa), 0);
	T_OK(sa.sa_handler == SIG_IGN);

	/* in a child: the first signal asks for a stop, with a grace that
	 * runs down; the second ends the process at once, 128 + the signal */
	{
		int st = 0, sig;
		for (sig = SIGINT; sig <= SIGTERM; sig += SIGTERM - SIGINT) {
			pid_t pid = fork();
			if (!pid) {
				int ok = cli_stop_left_ms() == -1;
				raise(SIGPIPE); /* ignored */
				ok = ok && !cli_stop;
				raise(sig);
				ok = ok && cli_stop == 1 && cli_stop_left_ms() >= 0 &&
				     cli_stop_left_ms() <= CLI_STOP_GRACE_MS;
				if (!ok)
					_exit(1);
				raise(sig);
				_exit(2);
			}
			T_EQ_INT(waitpid(pid, &st, 0), pid);
			T_OK(WIFEXITED(st));
			T_EQ_INT(WEXITSTATUS(st), 128 + sig);
		}
	}
	/* still here */
	T_OK(1);
}

/* cli_list: comma-separated values, and the lists it refuses. */
static void test_list(void)
{
	static const char *const bad[] = {"", ",", "a,", ",a", "a,,b", "a,b,"};
	char **v = (char **)1;
	unsigned n = 9, i;

	T_EQ_INT(cli_list("1,7,30", &v, &n), 0);
	T_EQ_INT(n, 3);
	if (n == 3) {
		T_EQ_STR(v[0], "1");
		T_EQ_STR(v[1], "7");
		T_EQ_STR(v[2], "30");
	}
	while (n)
		free(v[--n]);
	free(v);
	T_EQ_INT(cli_list("order_paid", &v, &n), 0);
	T_EQ_INT(n, 1);
	if (n == 1)
		T_EQ_STR(v[0], "order_paid");
	while (n)
		free(v[--n]);
	free(v);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		n = 9;
		T_EQ_INT(cli_list(bad[i], &v, &n), -1);
		T_OK(!v);
		T_EQ_INT(n, 0);
	}
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_defaults();
	test_common();
	test_usage_errors();
	test_tool_options();
	test_subcommand();
	test_help_version();
	test_messages();
	test_need_state();
	test_rss_signals();
	test_list();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("cli");
}
