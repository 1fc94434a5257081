#include "csv.h"
#include "t.h"

#include <stdlib.h>

/* An in-memory source handing out at most `step` bytes per read. */
struct mem {
	const char *s;
	size_t n, pos, step;
	size_t fail_at; /* return -1 once pos reaches this (0: never) */
};

static ssize_t mem_read(void *ctx, char *p, size_t n)
{
	struct mem *m = ctx;
	size_t k = m->n - m->pos;

	if (m->fail_at && m->pos >= m->fail_at)
		return -1;
	if (k > n)
		k = n;
	if (k > m->step)
		k = m->step;
	if (m->fail_at && m->pos + k > m->fail_at)
		k = m->fail_at - m->pos;
	memcpy(p, m->s + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

static void esc(struct buf *b, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			buf_adds(b, "\\n");
		else if (s[i] == '\r')
			buf_adds(b, "\\r");
		else if (!s[i])
			buf_adds(b, "\\0");
		else
			buf_addc(b, s[i]);
	}
}

static int fields_ok(const struct csv_reader *r)
{
	size_t i, end = 0;

	for (i = 0; i < r->nf; i++) {
		if (r->f[i].off < end || r->f[i].off + r->f[i].len >= r->rec.len)
			return 0;
		if (r->rec.p[r->f[i].off + r->f[i].len])
			return 0;
		end = r->f[i].off + r->f[i].len + 1;
	}
	return 1;
}

/*
 * Read all of s (n bytes) with reads of at most `step` bytes and describe
 * every result, one per line:
 *   "<line>:<field>|<field>..." ([] around quoted fields), or
 *   "<line>:ERR <reason> raw=<raw>", or "EOF"/"READ ERROR".
 */
static char *run(const char *s, size_t n, size_t step, size_t max_record,
		 char sep)
{
	struct csv_reader r;
	struct mem m = { s, n, 0, step, 0 };
	struct buf out = BUF_INIT;
	const char *err;
	size_t i;
	int rc;

	csv_reader_init(&r, mem_read, &m);
	if (max_record)
		r.max_record = max_record;
	if (sep)
		r.sep = sep;
	for (;;) {
		rc = csv_reader_next(&r, &err);
		if (rc == 0) {
			buf_adds(&out, "EOF");
			break;
		}
		if (rc == -1) {
			buf_adds(&out, "READ ERROR");
			break;
		}
		buf_printf(&out, "%lu:", r.line);
		if (rc == -2) {
			buf_printf(&out, "ERR %s raw=", err ? err : "(null)");
			esc(&out, r.raw.p ? r.raw.p : "", r.raw.len);
			buf_addc(&out, '\n');
			continue;
		}
		if (!fields_ok(&r))
			buf_adds(&out, "BADFIELDS");
		for (i = 0; i < r.nf; i++) {
			if (i)
				buf_addc(&out, '|');
			if (r.f[i].quoted)
				buf_addc(&out, '[');
			esc(&out, r.rec.p + r.f[i].off, r.f[i].len);
			if (r.f[i].quoted)
				buf_addc(&out, ']');
		}
		buf_adds(&out, " raw=");
		esc(&out, r.raw.p ? r.raw.p : "", r.raw.len);
		buf_addc(&out, '\n');
	}
	csv_reader_release(&r);
	return out.p;
}

static const size_t steps[] = { (size_t)-1, 1, 2, 3, 7, 64 };

/* Check the result for every read size against `want`. */
static void check_max(const char *in, size_t n, size_t max_record,
		      const char *want, int line)
{
	size_t i;
	char *got;

	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		got = run(in, n, steps[i], max_record, 0);
		t_run++;
		if (strcmp(got, want)) {
			t_failed++;
			fprintf(stderr,
				"%s:%d: step %zu:\n--- got\n%s\n--- want\n%s\n",
				__FILE__, line, steps[i], got, want);
		}
		free(got);
	}
}

#define CHECK(in, want) check_max(in, sizeof(in) - 1, 0, want, __LINE__)
#define CHECK_MAX(in, max, want) \
	check_max(in, sizeof(in) - 1, max, want, __LINE__)

static void test_basic(void)
{
	CHECK("", "EOF");
	CHECK("a,b,c\n1,2,3\n",
	      "1:a|b|c raw=a,b,c\n"
	      "2:1|2|3 raw=1,2,3\n"
	      "EOF");
	/* missing final newline */
	CHECK("a,b\nc,d",
	      "1:a|b raw=a,b\n"
	      "2:c|d raw=c,d\n"
	      "EOF");
	/* empty fields */
	CHECK(",a,,\n,\n",
	      "1:|a|| raw=,a,,\n"
	      "2:| raw=,\n"
	      "EOF");
	CHECK("a,", "1:a| raw=a,\nEOF");
	/* empty lines are records with one empty field */
	CHECK("a\n\nb\n\n",
	      "1:a raw=a\n"
	      "2: raw=\n"
	      "3:b raw=b\n"
	      "4: raw=\n"
	      "EOF");
	CHECK("\n", "1: raw=\nEOF");
	/* CRLF line ends */
	CHECK("a,b\r\nc,d\r\n",
	      "1:a|b raw=a,b\n"
	      "2:c|d raw=c,d\n"
	      "EOF");
	CHECK("\r\n\r\n", "1: raw=\n2: raw=\nEOF");
	/* a lone CR is data */
	CHECK("a\rb,c\r\n", "1:a\\rb|c raw=a\\rb,c\nEOF");
	CHECK("a\r", "1:a\\r raw=a\\r\nEOF");
	CHECK("a\r\r\n", "1:a\\r raw=a\\r\nEOF");
	/* UTF-8 passes through */
	CHECK("名前,é\n", "1:名前|é raw=名前,é\nEOF");
}

static void test_quoted(void)
{
	CHECK("\"a,b\",c\n", "1:[a,b]|c raw=\"a,b\",c\nEOF");
	CHECK("\"say \"\"hi\"\"\",x\n",
	      "1:[say \"hi\"]|x raw=\"say \"\"hi\"\"\",x\nEOF");
	CHECK("\"\",\"\"\"\"\n", "1:[]|[\"] raw=\"\",\"\"\"\"\nEOF");
	/* embedded LF and CRLF; line numbers follow the physical lines */
	CHECK("\"x\ny\",1\n\"p\r\nq\"\r\nlast\n",
	      "1:[x\\ny]|1 raw=\"x\\ny\",1\n"
	      "3:[p\\r\\nq] raw=\"p\\r\\nq\"\n"
	      "5:last raw=last\n"
	      "EOF");
	CHECK("\"a\"", "1:[a] raw=\"a\"\nEOF");
	CHECK("\"a\"\r", "1:[a] raw=\"a\"\nEOF");
	CHECK("a,\"\"\n", "1:a|[] raw=a,\"\"\nEOF");
	CHECK("\"a\"\"\"", "1:[a\"] raw=\"a\"\"\"\nEOF");
}

static void test_bom(void)
{
	CHECK("\xef\xbb\xbf" "a,b\n", "1:a|b raw=a,b\nEOF");
	CHECK("\xef\xbb\xbf", "EOF");
	CHECK("\xef\xbb\xbf\n", "1: raw=\nEOF");
	CHECK("\xef\xbb\xbf\"q\"\n", "1:[q] raw=\"q\"\nEOF");
	/* only at the very start */
	CHECK("a\n\xef\xbb\xbf" "b\n",
	      "1:a raw=a\n2:\xef\xbb\xbf" "b raw=\xef\xbb\xbf" "b\nEOF");
	/* a BOM prefix that is not a BOM */
	CHECK("\xef\xbb", "1:\xef\xbb raw=\xef\xbb\nEOF");
	CHECK("\xef" "a\n", "1:\xef" "a raw=\xef" "a\nEOF");
}

static void test_errors(void)
{
	CHECK("a\"b,c\nok,1\n",
	      "1:ERR quote in unquoted field raw=a\"b,c\n"
	      "2:ok|1 raw=ok,1\n"
	      "EOF");
	CHECK("x,a\"b\"\r\nok\r\n",
	      "1:ERR quote in unquoted field raw=x,a\"b\"\n"
	      "2:ok raw=ok\n"
	      "EOF");
	CHECK("\"a\"b,c\nok,1\n",
	      "1:ERR text after closing quote raw=\"a\"b,c\n"
	      "2:ok|1 raw=ok,1\n"
	      "EOF");
	CHECK("\"a\" ,c\nok,1\n",
	      "1:ERR text after closing quote raw=\"a\" ,c\n"
	      "2:ok|1 raw=ok,1\n"
	      "EOF");
	CHECK("\"a\"\rx\nok\n",
	      "1:ERR text after closing quote raw=\"a\"\\rx\n"
	      "2:ok raw=ok\n"
	      "EOF");
	/* the error skips to the next physical line */
	CHECK("\"m\nn\"x\nok\n",
	      "1:ERR text after closing quote raw=\"m\\nn\"x\n"
	      "3:ok raw=ok\n"
	      "EOF");
	CHECK("ok\n\"abc\ndef\n",
	      "1:ok raw=ok\n"
	      "2:ERR unterminated quoted field raw=\"abc\\ndef\\n\n"
	      "EOF");
	CHECK("a\"", "1:ERR quote in unquoted field raw=a\"\nEOF");
	/* a NUL byte is not text: the record is refused, quoted or not */
	CHECK("a\0b,c\nok\n",
	      "1:ERR NUL byte in a field raw=a\\0b,c\n"
	      "2:ok raw=ok\n"
	      "EOF");
	CHECK("x,\"\0\"\r\n\0\nok",
	      "1:ERR NUL byte in a field raw=x,\"\\0\"\n"
	      "2:ERR NUL byte in a field raw=\\0\n"
	      "3:ok raw=ok\n"
	      "EOF");
	/* several bad records in a row, then a good one */
	CHECK("a\"\n\"b\"c\n\"\"d\nfine\n",
	      "1:ERR quote in unquoted field raw=a\"\n"
	      "2:ERR text after closing quote raw=\"b\"c\n"
	      "3:ERR text after closing quote raw=\"\"d\n"
	      "4:fine raw=fine\n"
	      "EOF");
}

static void test_too_long(void)
{
	/* exactly max_record bytes is fine, with LF or CRLF */
	CHECK_MAX("12345678\nabcdefgh\r\n\"bcdefg\"\n", 8,
		  "1:12345678 raw=12345678\n"
		  "2:abcdefgh raw=abcdefgh\n"
		  "3:[bcdefg] raw=\"bcdefg\"\n"
		  "EOF");
	CHECK_MAX("123456789\nok\n", 8,
		  "1:ERR record too long raw=12345678\n"
		  "2:ok raw=ok\n"
		  "EOF");
	CHECK_MAX("123456789", 8,
		  "1:ERR record too long raw=12345678\n"
		  "EOF");
	/* a CR at the end of input is data, so this is 9 bytes */
	CHECK_MAX("abcdefgh\r", 8,
		  "1:ERR record too long raw=abcdefgh\n"
		  "EOF");
	/* a long record with quoted newlines started outside quotes:
	 * the quoting is followed to the real end of the record */
	CHECK_MAX("a,b,c,d,e,f,\"x\ny\",z\nok\n", 8,
		  "1:ERR record too long raw=a,b,c,d,\n"
		  "3:ok raw=ok\n"
		  "EOF");
	CHECK_MAX("0123456789,\"x\r\ny\nz\"\r\nok\r\n", 8,
		  "1:ERR record too long raw=01234567\n"
		  "4:ok raw=ok\n"
		  "EOF");
	/* over the limit inside a quoted field: skip to the end of the line */
	CHECK_MAX("\"stray,quote\nok,1\nok,2\n", 8,
		  "1:ERR record too long raw=\"stray,q\n"
		  "2:ok|1 raw=ok,1\n"
		  "3:ok|2 raw=ok,2\n"
		  "EOF");
	/* a quote error while discarding also ends at the line end */
	CHECK_MAX("0123456789a\"b\nok\n", 8,
		  "1:ERR record too long raw=01234567\n"
		  "2:ok raw=ok\n"
		  "EOF");
	/* an unterminated quote after the limit */
	CHECK_MAX("0123456789,\"abc\ndef", 8,
		  "1:ERR record too long raw=01234567\n"
		  "EOF");
	/* the default limit is 1 MiB */
	{
		struct csv_reader r;

		csv_reader_init(&r, mem_read, NULL);
		T_EQ_INT(r.max_record, 1024 * 1024);
		T_EQ_INT(r.sep, ',');
		T_EQ_INT(r.next_line, 1);
		csv_reader_release(&r);
	}
}

static void test_big_record(void)
{
	/* a 3 MiB record with the default limit, between two good ones */
	size_t big = 3 * 1024 * 1024, n = big + 16, i;
	char *s = malloc(n), *got;

	memcpy(s, "first\n", 6);
	for (i = 6; i < 6 + big; i++)
		s[i] = (char)('a' + i % 26);
	memcpy(s + 6 + big, "\nlast\n", 6);
	n = 6 + big + 6;
	got = run(s, n, (size_t)-1, 0, 0);
	T_OK(!strncmp(got, "1:first raw=first\n2:ERR record too long raw=", 44));
	T_OK(strlen(got) < 44 + 1024 * 1024 + 64);
	T_OK(strstr(got, "\n3:last raw=last\nEOF") != NULL);
	free(got);
	free(s);
}

static void test_sep(void)
{
	char *got = run("a;\"b;c\";d\n", 10, 3, 0, ';');

	T_EQ_STR(got, "1:a|[b;c]|d raw=a;\"b;c\";d\nEOF");
	free(got);
	got = run("a\tb\n", 4, 1, 0, '\t');
	T_EQ_STR(got, "1:a|b raw=a\tb\nEOF");
	free(got);
}

static void test_read_error(void)
{
	struct csv_reader r;
	struct mem m = { "a,b\nc,d\ne,f\n", 12, 0, 3, 6 };
	const char *err;

	csv_reader_init(&r, mem_read, &m);
	T_EQ_INT(csv_reader_next(&r, &err), 1);
	T_EQ_INT(csv_reader_next(&r, &err), -1);
	csv_reader_release(&r);

	m.pos = 0;
	m.fail_at = 1;
	csv_reader_init(&r, mem_read, &m);
	T_EQ_INT(csv_reader_next(&r, &err), -1);
	csv_reader_release(&r);
}

/* Many records crossing the 64 KiB chunk boundaries: all read sizes agree. */
static void test_chunks(void)
{
	struct buf in = BUF_INIT, want = BUF_INIT;
	static const size_t big_steps[] = { 1, 7, 4096, 65535, 65537, 100000 };
	unsigned i;
	char *ref, *got;

	for (i = 0; i < 20000; i++) {
		switch (i % 5) {
		case 0:
			buf_printf(&in, "%u,plain,field\n", i);
			break;
		case 1:
			buf_printf(&in, "%u,\"quo,ted\",\"dq\"\"x\"\r\n", i);
			break;
		case 2:
			buf_printf(&in, "%u,\"multi\r\nline\"\n", i);
			break;
		case 3:
			buf_printf(&in, "%u,bad\"quote\n", i);
			break;
		default:
			buf_printf(&in, "\n");
			break;
		}
	}
	T_OK(in.len > 4 * 65536);
	ref = run(in.p, in.len, (size_t)-1, 0, 0);
	/* spot-check the reference */
	T_OK(strstr(ref, "1:0|plain|field raw=0,plain,field\n") == ref);
	T_OK(strstr(ref, "\n2:1|[quo,ted]|[dq\"x] raw=") != NULL);
	T_OK(strstr(ref, "\n3:2|[multi\\r\\nline] raw=") != NULL);
	T_OK(strstr(ref, "\n5:ERR quote in unquoted field raw=3,bad\"quote\n6: ")
	     != NULL);
	T_OK(strstr(ref, "\n24000: raw=\nEOF") != NULL);
	for (i = 0; i < sizeof(big_steps) / sizeof(big_steps[0]); i++) {
		got = run(in.p, in.len, big_steps[i], 0, 0);
		T_OK(!strcmp(got, ref));
		free(got);
	}
	/* the same with a limit that some records exceed */
	free(ref);
	ref = run(in.p, in.len, (size_t)-1, 12, 0);
	T_OK(strstr(ref, "ERR record too long") != NULL);
	for (i = 0; i < sizeof(big_steps) / sizeof(big_steps[0]); i++) {
		got = run(in.p, in.len, big_steps[i], 12, 0);
		T_OK(!strcmp(got, ref));
		free(got);
	}
	free(ref);
	buf_release(&in);
	buf_release(&want);
}

/* Buffers are reused: after the first records nothing grows. */
static void test_reuse(void)
{
	struct buf in = BUF_INIT;
	struct csv_reader r;
	struct mem m;
	const char *err;
	size_t cap_rec = 0, cap_raw = 0, cap_f = 0;
	unsigned i;
	int rc, grew = 0;

	for (i = 0; i < 10000; i++)
		buf_printf(&in, "%u,name %u,\"x,y\"\n", i % 1000, i);
	m = (struct mem){ in.p, in.len, 0, (size_t)-1, 0 };
	csv_reader_init(&r, mem_read, &m);
	for (i = 0; (rc = csv_reader_next(&r, &err)) == 1; i++) {
		T_EQ_INT(r.line, i + 1);
		if (i == 100) {
			cap_rec = r.rec.cap;
			cap_raw = r.raw.cap;
			cap_f = r.cap_f;
		} else if (i > 100 && (r.rec.cap != cap_rec ||
				       r.raw.cap != cap_raw ||
				       r.cap_f != cap_f)) {
			grew = 1;
		}
	}
	T_EQ_INT(rc, 0);
	T_EQ_INT(i, 10000);
	T_OK(!grew);
	T_EQ_INT(r.nf, 0);
	csv_reader_release(&r);
	buf_release(&in);
}

/* A source that stops (a signal) after a given byte. */
struct stopper {
	const char *s;
	size_t n, pos;
};

static ssize_t stop_read(void *ctx, char *p, size_t n)
{
	struct stopper *m = ctx;
	size_t k = m->n - m->pos;

	if (!k)
		return CSV_STOPPED;
	if (k > n)
		k = n;
	memcpy(p, m->s + m->pos, k);
	m->pos += k;
	return (ssize_t)k;
}

/* A stop ends the input, and a record it cuts short is not returned: the
 * rows before it are, the part row is left for a rerun. */
static void test_stopped(void)
{
	static const char *const cut[] = {
		"a,b\n1,2\n3,", "a,b\n1,2\n3,4", "a,b\n1,2\n\"3", "a,b\n1,2\n3,4\r",
	};
	struct csv_reader r;
	struct stopper m;
	const char *err;
	unsigned i;

	for (i = 0; i < sizeof cut / sizeof *cut; i++) {
		m = (struct stopper){ cut[i], strlen(cut[i]), 0 };
		csv_reader_init(&r, stop_read, &m);
		T_EQ_INT(csv_reader_next(&r, &err), 1);
		T_EQ_INT(csv_reader_next(&r, &err), 1);
		T_EQ_INT(csv_reader_next(&r, &err), 0);
		T_EQ_INT(r.nf, 0);
		csv_reader_release(&r);
	}
	/* a stop right after a whole row: no part row, every row read */
	m = (struct stopper){ "a\n1\n", 4, 0 };
	csv_reader_init(&r, stop_read, &m);
	T_EQ_INT(csv_reader_next(&r, &err), 1);
	T_EQ_INT(csv_reader_next(&r, &err), 1);
	T_EQ_INT(csv_reader_next(&r, &err), 0);
	csv_reader_release(&r);
}

int main(void)
{
	test_basic();
	test_quoted();
	test_bom();
	test_errors();
	test_too_long();
	test_big_record();
	test_sep();
	test_read_error();
	test_chunks();
	test_reuse();
	test_stopped();
	return t_done("csv");
}
