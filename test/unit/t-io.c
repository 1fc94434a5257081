/*
 * t-io - files, zstd frames and the lines reader, in a temporary directory.
 *
 * The lines reader is checked against a plain model (split on '\n'), for
 * plain files, zstd files (with and without a .zst name) and a pipe fed in
 * small writes, so its buffer handling is exercised at many boundaries.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "io.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-io-XXXXXX";
static char pathbuf[4][512];
static int pathn;

/* dir/name, in one of a few rotating buffers. */
static const char *at(const char *name)
{
	char *p = pathbuf[pathn++ % 4];

	snprintf(p, sizeof pathbuf[0], "%s/%s", dir, name);
	return p;
}

/* Append the raw bytes of file name to b (no decompression). */
static void get_raw(const char *name, struct buf *b)
{
	int fd = open(at(name), O_RDONLY);
	char tmp[65536];
	ssize_t r;

	if (fd < 0) {
		perror(name);
		exit(2);
	}
	while ((r = read(fd, tmp, sizeof tmp)) > 0)
		buf_add(b, tmp, (size_t)r);
	close(fd);
}

static void put_file(const char *name, const void *p, size_t n)
{
	int fd = open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	const char *s = p;

	if (fd < 0) {
		perror(name);
		exit(2);
	}
	while (n) {
		ssize_t w = write(fd, s, n);
		if (w <= 0) {
			perror(name);
			exit(2);
		}
		s += w;
		n -= (size_t)w;
	}
	close(fd);
}

static long long file_size(const char *name)
{
	struct stat st;

	return stat(at(name), &st) ? -1 : (long long)st.st_size;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Deterministic pseudo-random numbers (xorshift64). */
static uint64_t rng = 0x243f6a8885a308d3ull;

static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* One line's description: "lineno flags total n:" then the n bytes. */
static void describe(struct buf *b, unsigned long lineno, unsigned flags,
		     unsigned long long total, const char *p, size_t n)
{
	buf_printf(b, "%lu %s%s %llu %zu:", lineno,
		   flags & LINE_TOO_LONG ? "T" : "-",
		   flags & LINE_NO_NEWLINE ? "N" : "-", total, n);
	buf_add(b, p, n);
	buf_addc(b, '\n');
}

/* What the lines reader should return for s[0..n) with limit max. */
static void model(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t pos = 0, keep = max < LINES_PREFIX ? max : LINES_PREFIX;
	unsigned long lineno = 0;

	while (pos < n) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - (s + pos)) : n - pos;
		unsigned flags = nl ? 0 : LINE_NO_NEWLINE;

		if (len > max)
			describe(b, ++lineno, flags | LINE_TOO_LONG, len, s + pos,
				 keep);
		else
			describe(b, ++lineno, flags, len, s + pos, len);
		pos += len + (nl ? 1 : 0);
	}
	buf_adds(b, "EOF");
}

/* Read the input in through a lines reader with limit max. */
static void run_lines(struct buf *b, struct input *in, size_t max)
{
	struct lines l;
	const char *p;
	size_t n;
	unsigned flags;
	int rc;

	lines_init(&l, in, max);
	while ((rc = lines_next(&l, &p, &n, &flags)) == 1)
		describe(b, l.lineno, flags, l.total, p, n);
	if (rc == 0)
		buf_adds(b, "EOF");
	else
		buf_printf(b, "READ ERROR %s", in->err);
	lines_release(&l);
}

static void read_lines(struct buf *b, const char *name, size_t max)
{
	struct input in;

	if (input_open(&in, at(name))) {
		buf_printf(b, "OPEN ERROR %s", in.err);
		return;
	}
	run_lines(b, &in, max);
	input_close(&in);
}

/* Compare got and want; on a difference print where it starts. */
static void same(const struct buf *got, const struct buf *want,
		 const char *what, int line)
{
	size_t i = 0;

	t_run++;
	if (got->len == want->len &&
	    (!got->len || !memcmp(got->p, want->p, got->len)))
		return;
	t_failed++;
	while (i < got->len && i < want->len && got->p[i] == want->p[i])
		i++;
	fprintf(stderr,
		"%s:%d: %s: differs at byte %zu of %zu (want %zu)\n"
		"--- got\n%.200s\n--- want\n%.200s\n",
		__FILE__, line, what, i, got->len, want->len,
		got->p ? got->p + (i > 40 ? i - 40 : 0) : "",
		want->p ? want->p + (i > 40 ? i - 40 : 0) : "");
}

/* The lines of a file named name holding s[0..n), against the model. */
static void check_lines(const char *name, const char *s, size_t n, size_t max,
			int line)
{
	struct buf got = BUF_INIT, want = BUF_INIT;

	put_file(name, s, n);
	read_lines(&got, name, max);
	model(&want, s, n, max ? max : 1 << 20);
	same(&got, &want, name, line);
	buf_release(&got);
	buf_release(&want);
}

#define LINES(s, max, want)                                                  \
	do {                                                                 \
		struct buf g_ = BUF_INIT;                                    \
		put_file("lines.txt", s, sizeof(s) - 1);                     \
		read_lines(&g_, "lines.txt", max);                           \
		T_EQ_STR(g_.p, want);                                        \
		buf_release(&g_);                                            \
		check_lines("lines.txt", s, sizeof(s) - 1, max, __LINE__);   \
	} while (0)

static void test_lines_small(void)
{
	LINES("", 16, "EOF");
	LINES("a\nbb\nccc\n", 16, "1 -- 1 1:a\n2 -- 2 2:bb\n3 -- 3 3:ccc\nEOF");
	/* CRLF: the \r stays */
	LINES("x\r\ny\r\n", 16, "1 -- 2 2:x\r\n2 -- 2 2:y\r\nEOF");
	LINES("\r\n", 16, "1 -- 1 1:\r\nEOF");
	/* last line without newline */
	LINES("a\nlast", 16, "1 -- 1 1:a\n2 -N 4 4:last\nEOF");
	LINES("z", 16, "1 -N 1 1:z\nEOF");
	LINES("a\r", 16, "1 -N 2 2:a\r\nEOF");
	/* empty lines */
	LINES("\n", 16, "1 -- 0 0:\nEOF");
	LINES("\n\n\n", 16, "1 -- 0 0:\n2 -- 0 0:\n3 -- 0 0:\nEOF");
	LINES("a\n\nb\n\n", 16, "1 -- 1 1:a\n2 -- 0 0:\n3 -- 1 1:b\n4 -- 0 0:\nEOF");
	/* exactly max is fine; max+1 is too long and the rest is skipped */
	LINES("12345678\n123456789\nok\n", 8,
	      "1 -- 8 8:12345678\n2 T- 9 8:12345678\n3 -- 2 2:ok\nEOF");
	LINES("12345678", 8, "1 -N 8 8:12345678\nEOF");
	LINES("123456789", 8, "1 TN 9 8:12345678\nEOF");
	LINES("123456789\n", 8, "1 T- 9 8:12345678\nEOF");
	LINES("abcdefghijklmnop\n\nx", 8,
	      "1 T- 16 8:abcdefgh\n2 -- 0 0:\n3 -N 1 1:x\nEOF");
	/* several long lines in a row */
	LINES("aaaaaaaaaa\nbbbbbbbbbbbb\ncccccccccccccc\nd\n", 4,
	      "1 T- 10 4:aaaa\n2 T- 12 4:bbbb\n3 T- 14 4:cccc\n4 -- 1 1:d\nEOF");
	/* a CR counts toward the length */
	LINES("1234567\r\n12345678\r\n", 8,
	      "1 -- 8 8:1234567\r\n2 T- 9 8:12345678\nEOF");
	/* max 1: every byte a line */
	LINES("a\nbc\n\nd", 1, "1 -- 1 1:a\n2 T- 2 1:b\n3 -- 0 0:\n4 -N 1 1:d\nEOF");
}

/* A line of max+1 bytes with max above the prefix size: the prefix is the
 * first 256 bytes. */
static void test_lines_prefix(void)
{
	struct buf s = BUF_INIT;
	struct input in;
	struct lines l;
	const char *p;
	size_t n, i;
	unsigned flags;

	for (i = 0; i < 300; i++)
		buf_addc(&s, (char)('a' + i % 26));
	buf_adds(&s, "\n");
	for (i = 0; i < 301; i++)
		buf_addc(&s, (char)('A' + i % 26));
	buf_adds(&s, "\nnext\n");
	put_file("prefix.txt", s.p, s.len);
	T_EQ_INT(input_open(&in, at("prefix.txt")), 0);
	lines_init(&l, &in, 300);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(n, 300);
	T_EQ_INT(flags, 0);
	T_OK(!memcmp(p, s.p, 300));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(flags, LINE_TOO_LONG);
	T_EQ_INT(n, LINES_PREFIX);
	T_EQ_INT(l.total, 301);
	T_EQ_INT(l.lineno, 2);
	T_OK(!memcmp(p, s.p + 301, LINES_PREFIX));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(n, 4);
	T_OK(!memcmp(p, "next", 4));
	T_EQ_INT(l.total, 4);
	T_EQ_INT(l.lineno, 3);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 0);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 0);
	lines_release(&l);
	input_close(&in);
	check_lines("prefix.txt", s.p, s.len, 300, __LINE__);
	check_lines("prefix.txt", s.p, s.len, 256, __LINE__);
	check_lines("prefix.txt", s.p, s.len, 257, __LINE__);
	check_lines("prefix.txt", s.p, s.len, 255, __LINE__);
	buf_release(&s);
}

/* A UTF-8 byte order mark at the start is skipped; anywhere else, or a
 * second one, or part of one, is part of its line. */
static void test_lines_bom(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"\xef\xbb\xbf{}\n{}\n", "1:{}|2:{}|"},
		{"\xef\xbb\xbf\xef\xbb\xbf{}\n", "1:\xef\xbb\xbf{}|"},
		{"{}\n\xef\xbb\xbf{}\n", "1:{}|2:\xef\xbb\xbf{}|"},
		{"\xef\xbb\xbf", ""},
		{"\xef\xbb\xbf\n", "1:|"},
		{"\xef\xbb", "1:\xef\xbb|"},
		{"\xef{}", "1:\xef{}|"},
		{"", ""},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct buf got = BUF_INIT;
		struct input in;
		struct lines l;
		const char *p;
		size_t n;
		unsigned flags;

		put_file("bom.txt", cases[i].in, strlen(cases[i].in));
		T_EQ_INT(input_open(&in, at("bom.txt")), 0);
		lines_init(&l, &in, 0);
		while (lines_next(&l, &p, &n, &flags) == 1) {
			buf_printf(&got, "%lu:", l.lineno);
			buf_add(&got, p, n);
			buf_addc(&got, '|');
		}
		T_EQ_STR(got.p ? got.p : "", cases[i].want);
		lines_release(&l);
		input_close(&in);
		buf_release(&got);
	}
}

/* A 5 MB line with the default limit (1 MiB), good lines around it, and
 * the same long line again at the end without a newline. */
static void test_lines_huge(void)
{
	size_t big = 5 * 1000 * 1000, i;
	struct buf s = BUF_INIT, got = BUF_INIT;
	struct input in;
	struct lines l;
	const char *p;
	size_t n;
	unsigned flags;

	buf_adds(&s, "first\n");
	buf_grow(&s, big);
	for (i = 0; i < big; i++)
		s.p[s.len + i] = (char)('0' + i % 10);
	s.len += big;
	buf_adds(&s, "\nsecond\r\n\nthird\n");
	buf_grow(&s, big);
	for (i = 0; i < big; i++)
		s.p[s.len + i] = (char)('a' + i % 7);
	s.len += big;
	s.p[s.len] = 0;
	put_file("huge.txt", s.p, s.len);

	T_EQ_INT(input_open(&in, at("huge.txt")), 0);
	lines_init(&l, &in, 0);
	T_EQ_INT(l.max, 1 << 20);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_OK(n == 5 && !memcmp(p, "first", 5));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(flags, LINE_TOO_LONG);
	T_EQ_INT(n, LINES_PREFIX);
	T_EQ_INT(l.total, big);
	T_OK(!memcmp(p, s.p + 6, LINES_PREFIX));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_OK(n == 7 && !memcmp(p, "second\r", 7));
	T_EQ_INT(l.lineno, 3);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(n, 0);
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_OK(n == 5 && !memcmp(p, "third", 5));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 1);
	T_EQ_INT(flags, LINE_TOO_LONG | LINE_NO_NEWLINE);
	T_EQ_INT(n, LINES_PREFIX);
	T_EQ_INT(l.total, big);
	T_EQ_INT(l.lineno, 6);
	T_OK(!memcmp(p, "abcdefgabc", 10));
	T_EQ_INT(lines_next(&l, &p, &n, &flags), 0);
	lines_release(&l);
	input_close(&in);
	T_EQ_INT(in.bytes, s.len);

	check_lines("huge.txt", s.p, s.len, 0, __LINE__);
	/* the same through a small limit: everything long is skipped */
	check_lines("huge.txt", s.p, s.len, 100, __LINE__);
	buf_release(&s);
	buf_release(&got);
}

/* Pseudo-random lines: mostly short, some near and over max, some CRs. */
static void gen_lines(struct buf *s, size_t nlines, size_t max)
{
	size_t i, j, len;

	for (i = 0; i < nlines; i++) {
		uint64_t r = rnd();
		switch (r % 16) {
		case 0:
			len = 0;
			break;
		case 1:
		case 2:
			len = max + (r >> 8) % 5; /* max-2 .. max+2 */
			len = len >= 2 ? len - 2 : 0;
			break;
		case 3:
			len = max + (r >> 8) % (4 * max);
			break;
		default:
			len = (r >> 8) % 120;
		}
		buf_grow(s, len + 2);
		for (j = 0; j < len; j++)
			s->p[s->len + j] = (char)(' ' + (i * 7 + j) % 90);
		if (len && (r >> 40) % 5 == 0)
			s->p[s->len + len - 1] = '\r';
		s->len += len;
		if (i + 1 < nlines || (r >> 50) % 2)
			s->p[s->len++] = '\n';
		s->p[s->len] = 0;
	}
}

static void test_lines_random(void)
{
	static const size_t maxes[] = { 1, 7, 256, 1000, 70000, 200000 };
	size_t i;

	for (i = 0; i < sizeof maxes / sizeof maxes[0]; i++) {
		struct buf s = BUF_INIT;
		gen_lines(&s, maxes[i] > 10000 ? 300 : 20000, maxes[i]);
		check_lines("random.txt", s.p, s.len, maxes[i], __LINE__);
		buf_release(&s);
	}
}

/* Write s[0..n) to name through output_open/output_write in pieces of
 * varying size; returns output_close's result. */
static int write_out(const char *name, const char *s, size_t n, int sync)
{
	struct output o;
	size_t pos = 0;
	int rc = 0;

	if (output_open(&o, at(name))) {
		fprintf(stderr, "output_open %s: %s\n", name, o.err);
		return -1;
	}
	while (pos < n) {
		size_t k = 1 + rnd() % 70000;
		if (k > n - pos)
			k = n - pos;
		rc |= output_write(&o, s + pos, k);
		pos += k;
	}
	T_EQ_INT(o.bytes, n);
	return output_close(&o, sync) | rc;
}

static const unsigned char zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static void check_zstd_round_trip(const char *s, size_t n, int line)
{
	struct buf got = BUF_INIT, want = BUF_INIT, z = BUF_INIT;
	char err[200] = "";

	buf_add(&want, s, n);
	T_EQ_INT(write_out("rt.zst", s, n, 1), 0);
	get_raw("rt.zst", &z);
	T_OK(z.len >= 4 && !memcmp(z.p, zmagic, 4));
	T_OK(n < 1000 || z.len < n); /* compressible content */

	/* read back by name, then under a name without .zst (sniffed) */
	err[0] = 0;
	T_EQ_INT(io_slurp(at("rt.zst"), &got, err, sizeof err), 0);
	same(&got, &want, "rt.zst via input", line);
	if (err[0])
		fprintf(stderr, "%s:%d: rt.zst: %s\n", __FILE__, line, err);
	put_file("rt.bin", z.p, z.len);
	buf_reset(&got);
	err[0] = 0;
	T_EQ_INT(io_slurp(at("rt.bin"), &got, err, sizeof err), 0);
	same(&got, &want, "rt.bin via input", line);
	if (err[0])
		fprintf(stderr, "%s:%d: rt.bin: %s\n", __FILE__, line, err);

	buf_release(&got);
	buf_release(&want);
	buf_release(&z);
}

static void test_zstd(void)
{
	struct buf s = BUF_INIT, z = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	struct input in;
	char err[200];
	size_t i;
	ssize_t r;
	char tmp[4096];

	/* small, empty and large content */
	check_zstd_round_trip("hello\n", 6, __LINE__);
	check_zstd_round_trip("", 0, __LINE__);
	check_zstd_round_trip("x", 1, __LINE__);
	gen_lines(&s, 60000, 1000);
	check_zstd_round_trip(s.p, s.len, __LINE__);

	/* the lines reader over the zstd file equals the plain model */
	T_EQ_INT(write_out("lines.zst", s.p, s.len, 0), 0);
	read_lines(&got, "lines.zst", 1000);
	model(&want, s.p, s.len, 1000);
	same(&got, &want, "lines over zstd", __LINE__);
	get_raw("lines.zst", &z);
	put_file("lines-zst.data", z.p, z.len);
	buf_reset(&got);
	read_lines(&got, "lines-zst.data", 1000);
	same(&got, &want, "lines over sniffed zstd", __LINE__);

	/* bytes counts the compressed bytes read */
	T_EQ_INT(input_open(&in, at("lines-zst.data")), 0);
	T_EQ_INT(in.zstd, 1);
	while ((r = input_read(&in, tmp, sizeof tmp)) > 0)
		;
	T_EQ_INT(r, 0);
	T_EQ_INT(in.bytes, z.len);
	input_close(&in);

	/* a plain file is not taken for zstd, even named .zst */
	put_file("plain.zst", "plain\n", 6);
	T_EQ_INT(input_open(&in, at("plain.zst")), 0);
	T_EQ_INT(in.zstd, 0);
	input_close(&in);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("plain.zst"), &got, err, sizeof err), 0);
	T_EQ_STR(got.p, "plain\n");
	/* files shorter than the magic */
	put_file("short", "\x28\xb5", 2);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("short"), &got, err, sizeof err), 0);
	T_OK(got.len == 2 && !memcmp(got.p, "\x28\xb5", 2));
	put_file("empty", "", 0);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("empty"), &got, err, sizeof err), 0);
	T_EQ_INT(got.len, 0);

	/* truncated frames: at any cut, an error that says so */
	{
		/* cut off: the checksum, its last byte, some blocks, half;
		 * or keep just the magic, or part of the frame header */
		const size_t keeps[] = { z.len - 4, z.len - 1, z.len - 100,
					 z.len / 2, 4, 5, 9 };
		for (i = 0; i < sizeof keeps / sizeof keeps[0]; i++) {
			size_t keep = keeps[i];
			put_file("trunc.zst", z.p, keep);
			T_EQ_INT(input_open(&in, at("trunc.zst")), 0);
			while ((r = input_read(&in, tmp, sizeof tmp)) > 0)
				;
			T_EQ_INT(r, -1);
			T_OK(strstr(in.err, "truncated") != NULL);
			input_close(&in);
			buf_reset(&got);
			err[0] = 0;
			T_EQ_INT(io_slurp(at("trunc.zst"), &got, err, sizeof err),
				 -1);
			T_OK(strstr(err, "truncated") != NULL);
			T_OK(got.len <= s.len);
		}
		/* the lines reader reports the error after the good lines */
		put_file("trunc.zst", z.p, z.len / 2);
		buf_reset(&got);
		read_lines(&got, "trunc.zst", 1000);
		T_OK(got.len > 1000);
		T_OK(strstr(got.p, "READ ERROR zstd: truncated") != NULL);
	}
	/* a corrupt frame is an error too */
	memcpy(tmp, z.p, 64);
	for (i = 8; i < 64; i++)
		tmp[i] = (char)~tmp[i];
	put_file("bad.zst", tmp, 64);
	buf_reset(&got);
	err[0] = 0;
	T_EQ_INT(io_slurp(at("bad.zst"), &got, err, sizeof err), -1);
	T_OK(strstr(err, "zstd") != NULL);

	/* two frames in a row read as their concatenation */
	{
		struct buf two = BUF_INIT, z2 = BUF_INIT;
		T_EQ_INT(write_out("a.zst", "one\n", 4, 0), 0);
		T_EQ_INT(write_out("b.zst", "two\n", 4, 0), 0);
		get_raw("a.zst", &z2);
		get_raw("b.zst", &z2);
		put_file("ab.zst", z2.p, z2.len);
		T_EQ_INT(io_slurp(at("ab.zst"), &two, err, sizeof err), 0);
		T_EQ_STR(two.p, "one\ntwo\n");
		buf_release(&two);
		buf_release(&z2);
	}
	buf_release(&s);
	buf_release(&z);
	buf_release(&got);
	buf_release(&want);
}

static void test_output(void)
{
	struct output o;
	struct buf got = BUF_INIT, big = BUF_INIT;
	char err[200];
	size_t i;

	/* bytes are buffered until a flush, which makes them visible */
	T_EQ_INT(output_open(&o, at("out.txt")), 0);
	T_EQ_INT(output_write(&o, "hello\n", 6), 0);
	T_EQ_INT(file_size("out.txt"), 0);
	T_EQ_INT(output_flush(&o), 0);
	T_EQ_INT(file_size("out.txt"), 6);
	T_EQ_INT(io_slurp(at("out.txt"), &got, err, sizeof err), 0);
	T_EQ_STR(got.p, "hello\n");
	T_EQ_INT(output_flush(&o), 0); /* nothing queued: a no-op */
	T_EQ_INT(file_size("out.txt"), 6);
	T_EQ_INT(output_write(&o, "world\n", 6), 0);
	T_EQ_INT(output_close(&o, 1), 0);
	T_EQ_INT(file_size("out.txt"), 12);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("out.txt"), &got, err, sizeof err), 0);
	T_EQ_STR(got.p, "hello\nworld\n");

	/* big writes go through without a flush */
	for (i = 0; i < 1000000; i++)
		buf_addc(&big, (char)('a' + i % 26));
	T_EQ_INT(output_open(&o, at("big.txt")), 0);
	T_EQ_INT(output_write(&o, big.p, 100), 0);
	T_EQ_INT(output_write(&o, big.p + 100, big.len - 100), 0);
	T_OK(file_size("big.txt") >= 1000000 - 128 * 1024);
	T_EQ_INT(o.bytes, 1000000);
	T_EQ_INT(output_close(&o, 0), 0);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("big.txt"), &got, err, sizeof err), 0);
	T_OK(got.len == big.len && !memcmp(got.p, big.p, big.len));

	/* opening truncates */
	T_EQ_INT(output_open(&o, at("big.txt")), 0);
	T_EQ_INT(output_close(&o, 0), 0);
	T_EQ_INT(file_size("big.txt"), 0);

	/* a zstd flush ends a block: a reader sees the data so far (and then
	 * a truncated frame) */
	T_EQ_INT(output_open(&o, at("flush.zst")), 0);
	T_EQ_INT(output_write(&o, "rec 1\nrec 2\n", 12), 0);
	T_EQ_INT(output_flush(&o), 0);
	T_OK(file_size("flush.zst") > 4);
	buf_reset(&got);
	err[0] = 0;
	T_EQ_INT(io_slurp(at("flush.zst"), &got, err, sizeof err), -1);
	T_EQ_STR(got.p, "rec 1\nrec 2\n");
	T_OK(strstr(err, "truncated") != NULL);
	T_EQ_INT(output_write(&o, "rec 3\n", 6), 0);
	T_EQ_INT(output_close(&o, 1), 0);
	buf_reset(&got);
	T_EQ_INT(io_slurp(at("flush.zst"), &got, err, sizeof err), 0);
	T_EQ_STR(got.p, "rec 1\nrec 2\nrec 3\n");

	/* lines by output_write_line: the bytes, and the compressed bytes,
	 * of the same lines written and then '\n' each, lines short and
	 * long (past the buffer's 128 KiB) */
	{
		static const char *const names[] = {"l1.zst", "l2.zst", "l1.txt", "l2.txt"};
		struct buf raw[4] = {BUF_INIT, BUF_INIT, BUF_INIT, BUF_INIT};
		unsigned f, seed = 0;
		for (f = 0; f < 4; f++) {
			size_t n;
			T_EQ_INT(output_open(&o, at(names[f])), 0);
			if (!(f & 1))
				seed = rnd();
			for (i = 0, n = 0; i < 3000; i++) {
				size_t k = (seed + i * 7919u) % (i % 500 == 499 ? 300000 : 400);
				if (f & 1)
					T_EQ_INT(output_write(&o, big.p + i, k) || output_write(&o, "\n", 1), 0);
				else
					T_EQ_INT(output_write_line(&o, big.p + i, k), 0);
				n += k + 1;
			}
			T_EQ_INT(o.bytes, n);
			T_EQ_INT(output_close(&o, 0), 0);
			get_raw(names[f], &raw[f]);
		}
		T_OK(raw[0].len == raw[1].len && !memcmp(raw[0].p, raw[1].p, raw[0].len));
		T_OK(raw[2].len > 2 * 128 * 1024 && raw[2].len == raw[3].len && !memcmp(raw[2].p, raw[3].p, raw[2].len));
		for (f = 0; f < 4; f++)
			buf_release(&raw[f]);
	}

	/* a name of just ".zst" at the end of a path compresses */
	T_EQ_INT(output_open(&o, at("x.zst")), 0);
	T_OK(o.z != NULL);
	T_EQ_INT(output_close(&o, 0), 0);
	/* ... other names do not */
	T_EQ_INT(output_open(&o, at("x.zst.txt")), 0);
	T_OK(o.z == NULL);
	T_EQ_INT(output_close(&o, 0), 0);

	/* a directory that does not exist */
	T_EQ_INT(output_open(&o, at("no/such/dir.txt")), -1);
	T_OK(strstr(o.err, "cannot create") != NULL);
	T_OK(strstr(o.err, strerror(ENOENT)) != NULL);

	buf_release(&got);
	buf_release(&big);
}

static void test_open_errors(void)
{
	struct input in;
	struct buf b = BUF_INIT;
	char err[200] = "";

	T_EQ_INT(input_open(&in, at("missing.txt")), -1);
	T_OK(strstr(in.err, "cannot open") != NULL);
	T_OK(strstr(in.err, strerror(ENOENT)) != NULL);
	T_OK(in.raw == NULL);

	buf_adds(&b, "kept");
	T_EQ_INT(io_slurp(at("missing.txt"), &b, err, sizeof err), -1);
	T_OK(strstr(err, strerror(ENOENT)) != NULL);
	T_EQ_STR(b.p, "kept");

	/* io_slurp appends */
	put_file("more.txt", "+more", 5);
	T_EQ_INT(io_slurp(at("more.txt"), &b, err, sizeof err), 0);
	T_EQ_STR(b.p, "kept+more");

	/* a directory opens but cannot be read */
	T_EQ_INT(input_open(&in, dir), -1);
	T_OK(strstr(in.err, "read failed") != NULL);
	buf_release(&b);
}

/* The lines reader over a pipe fed in small writes by a child: reads
 * return short counts at arbitrary places, the result must not change. */
static void test_pipe(void)
{
	struct buf s = BUF_INIT, got = BUF_INIT, want = BUF_INIT;
	struct input in;
	int fds[2], saved, status;
	pid_t pid;

	gen_lines(&s, 20000, 300);
	model(&want, s.p, s.len, 300);
	if (pipe(fds)) {
		perror("pipe");
		exit(2);
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		size_t pos = 0;
		close(fds[0]);
		while (pos < s.len) {
			size_t k = 1 + rnd() % 5000;
			ssize_t w;
			if (k > s.len - pos)
				k = s.len - pos;
			w = write(fds[1], s.p + pos, k);
			if (w <= 0)
				_exit(1);
			pos += (size_t)w;
		}
		_exit(0);
	}
	close(fds[1]);
	saved = dup(0);
	dup2(fds[0], 0);
	close(fds[0]);
	T_EQ_INT(input_open(&in, "-"), 0);
	T_EQ_STR(in.name, "<stdin>");
	run_lines(&got, &in, 300);
	input_close(&in);
	same(&got, &want, "lines over a pipe", __LINE__);
	dup2(saved, 0);
	close(saved);
	T_EQ_INT(waitpid(pid, &status, 0), pid);
	T_OK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buf_release(&s);
	buf_release(&got);
	buf_release(&want);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_lines_small();
	test_lines_prefix();
	test_lines_bom();
	test_lines_huge();
	test_lines_random();
	test_zstd();
	test_output();
	test_open_errors();
	test_pipe();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("io");
}
