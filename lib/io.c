#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "cli.h"

#define CHUNK (128 * 1024)
#define IDLE_MS 100 /* no byte for this long: the input idles */

int input_drains(const struct input *in)
{
	return cli_stop && in->pipe && !in->drained;
}

/* Stopped: 1 when a pipe may still be read (a byte came before the drain's
 * silence or cap ran out), else 0 and nothing more is read; giving up on
 * a pipe still open is said on stderr. */
static int drain_more(struct input *in)
{
	for (;;) {
		struct pollfd pfd = {in->fd, POLLIN, 0};
		long left;
		int r;

		if (!in->pipe || in->drained)
			break;
		left = cli_stop_wait_ms(in->last_ns, CLI_STOP_SILENCE_MS);
		if (left <= 0)
			break;
		r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			break;
	}
	if (in->pipe && !in->drained) {
		long cap = cli_stop_drain_ms();
		if (cli_stop_wait_ms(0, cap) > 0) /* the silence ran out, not the cap */
			cli_err("stopped draining '%s' after a stop: no byte for %ld ms", in->name,
				cap < CLI_STOP_SILENCE_MS ? cap : CLI_STOP_SILENCE_MS);
		else
			cli_err("stopped draining '%s' after a stop: still open %ld ms after it",
				in->name, cap);
	}
	in->drained = 1;
	return 0;
}

static ssize_t raw_read(struct input *in, char *p, size_t n)
{
	if (in->idle_ok && !in->idle_said) {
		/* idle: nothing for IDLE_MS. Each idle costs a commit, and a
		 * writer upstream between two of its flushes is not idle: at
		 * 0 ms the README's pipe of four stages on one environment
		 * committed at every pause and took 4.9 times as long as the
		 * stages one after another; at 100 ms, 1.4 */
		struct pollfd pfd = {in->fd, POLLIN, 0};
		if (poll(&pfd, 1, IDLE_MS) == 0) {
			in->idle_said = 1;
			return -2;
		}
	}
	for (;;) {
		ssize_t r;

		if (cli_stop && !drain_more(in)) {
			in->stopped = 1;
			return 0;
		}
		r = read(in->fd, p, n);
		if (r == 0)
			in->drained = 1;
		if (r == 0 && cli_stop) {
			/* the end of a pipe drained after a stop is no end of the
			 * input: its writer may have gone with the same signal
			 * (Ctrl-C on `zstdcat … | ingest`), cutting a line or an
			 * order short; what is open waits for the rerun */
			in->stopped = 1;
			return 0;
		}
		if (r > 0 && in->pipe) {
			cli_stop_patient = 1;
			if (cli_stop)
				in->last_ns = cli_now_ns();
		}
		if (r >= 0) {
			in->bytes += (unsigned long long)r;
			in->idle_said = 0;
			return r;
		}
		if (errno == EINTR)
			continue;
		snprintf(in->err, sizeof in->err, "read failed: %s", strerror(errno));
		return -1;
	}
}

int input_open(struct input *in, const char *path)
{
	static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd};

	memset(in, 0, sizeof *in);
	if (!strcmp(path, "-")) {
		in->name = "<stdin>";
		in->fd = 0;
	} else {
		in->name = path;
		in->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0) {
			snprintf(in->err, sizeof in->err, "cannot open: %s", strerror(errno));
			return -1;
		}
		in->close_fd = 1;
		posix_fadvise(in->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	}
	{
		struct stat sb;
		in->pipe = !fstat(in->fd, &sb) && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode));
	}
	in->raw_cap = CHUNK;
	in->raw = xmalloc(in->raw_cap);
	/* read ahead until 4 bytes are there (or end) to sniff the magic */
	while (in->raw_len < 4) {
		ssize_t r = raw_read(in, in->raw + in->raw_len, in->raw_cap - in->raw_len);
		if (r < 0)
			goto fail;
		if (r == 0) {
			in->raw_eof = 1;
			break;
		}
		in->raw_len += (size_t)r;
	}
	if (in->raw_len >= 4 && !memcmp(in->raw, magic, 4)) {
		in->zstd = 1;
		in->z = ZSTD_createDCtx();
		if (!in->z) {
			snprintf(in->err, sizeof in->err, "cannot create zstd context");
			goto fail;
		}
	}
	return 0;
fail:
	input_close(in);
	return -1;
}

ssize_t input_read(struct input *in, char *p, size_t n)
{
	if (!in->zstd) {
		if (in->raw_pos < in->raw_len) {
			size_t k = in->raw_len - in->raw_pos;
			if (k > n)
				k = n;
			memcpy(p, in->raw + in->raw_pos, k);
			in->raw_pos += k;
			return (ssize_t)k;
		}
		if (in->raw_eof)
			return 0;
		return raw_read(in, p, n);
	}
	for (;;) {
		ZSTD_inBuffer ib = {in->raw, in->raw_len, in->raw_pos};
		ZSTD_outBuffer ob = {p, n, 0};
		size_t rc = 1;
		ssize_t r;

		/* raw_len 0: a frame ended with the last byte read and the
		 * decoder holds nothing. Calling it with no input then would
		 * start a new frame, unfinished at the end of input. */
		if (in->raw_len)
			rc = ZSTD_decompressStream(in->z, &ob, &ib);
		in->raw_pos = ib.pos;
		if (ZSTD_isError(rc)) {
			snprintf(in->err, sizeof in->err, "zstd: %s", ZSTD_getErrorName(rc));
			return -1;
		}
		if (rc == 0 && in->raw_pos == in->raw_len)
			in->raw_len = in->raw_pos = 0;
		if (ob.pos)
			return (ssize_t)ob.pos;
		if (in->raw_pos < in->raw_len)
			continue;
		if (in->raw_eof) {
			if (in->raw_len) {
				snprintf(in->err, sizeof in->err, "zstd: truncated frame");
				return -1;
			}
			return 0;
		}
		r = raw_read(in, in->raw, in->raw_cap);
		if (r < 0)
			return r;
		if (r == 0 && in->stopped)
			return 0; /* a stop inside a frame is no truncation */
		if (r == 0) {
			/* inside a frame raw_len stays set: the decoder is asked
			 * once more for what it holds, then the frame is truncated */
			in->raw_eof = 1;
			continue;
		}
		in->raw_len = (size_t)r;
		in->raw_pos = 0;
	}
}

void input_close(struct input *in)
{
	if (in->close_fd && in->fd >= 0)
		close(in->fd);
	in->fd = -1;
	in->close_fd = 0;
	if (in->z)
		ZSTD_freeDCtx(in->z);
	in->z = NULL;
	free(in->raw);
	in->raw = NULL;
}

/* Write n bytes. A blocked write is interrupted by SIGINT/SIGTERM; from
 * then on, writes wait for room with poll, a pipe's page at a time (such a
 * write does not block once poll says there is room), until no room came
 * for the stop's grace, or cli_stop_drain_ms() after the signal: a reader
 * that drains its pipe after the same signal keeps taking pages, and each
 * page taken starts the wait again. A process whose records came from a
 * pipe (cli_stop_patient) waits CLI_STOP_SILENCE_MS instead of the grace:
 * the stage before it committed them, so a batch it gives up on is lost
 * for the rerun. Given up: o->stopped, and -1. A reader gone (EPIPE):
 * o->closed, and -1. */
static long out_quiet_ms(void)
{
	return cli_stop_patient ? CLI_STOP_SILENCE_MS : cli_stop_grace_ms();
}

static int write_all(struct output *o, const char *p, size_t n)
{
	if (o->closed || o->stopped)
		return -1;
	while (n) {
		size_t want = n;
		ssize_t w;
		long left = cli_stop_wait_ms(o->last_ns, out_quiet_ms());
		if (left >= 0) {
			struct pollfd pfd = {o->fd, POLLOUT, 0};
			int r = poll(&pfd, 1, left > 60000 ? 60000 : (int)left);
			if (r == 0 || (r < 0 && errno == EINTR)) {
				if (cli_stop_wait_ms(o->last_ns, out_quiet_ms()))
					continue;
				o->stopped = 1;
				snprintf(o->err, sizeof o->err, "stopped with the output blocked");
				return -1;
			}
			if (r < 0)
				continue;
			if (want > 4096)
				want = 4096;
		}
		w = write(o->fd, p, want);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EPIPE)
				o->closed = 1;
			snprintf(o->err, sizeof o->err, "write failed: %s", strerror(errno));
			return -1;
		}
		if (cli_stop)
			o->last_ns = cli_now_ns();
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int output_open(struct output *o, const char *path)
{
	size_t n = strlen(path);

	memset(o, 0, sizeof *o);
	if (!strcmp(path, "-")) {
		o->name = "<stdout>";
		o->fd = 1;
	} else {
		o->name = path;
		o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
		if (o->fd < 0) {
			snprintf(o->err, sizeof o->err, "cannot create: %s", strerror(errno));
			return -1;
		}
		o->close_fd = 1;
	}
	if (n > 4 && !strcmp(path + n - 4, ".zst")) {
		o->z = ZSTD_createCCtx();
		if (!o->z) {
			snprintf(o->err, sizeof o->err, "cannot create zstd context");
			return -1;
		}
		ZSTD_CCtx_setParameter(o->z, ZSTD_c_compressionLevel, 3);
		ZSTD_CCtx_setParameter(o->z, ZSTD_c_checksumFlag, 1);
	}
	buf_grow(&o->b, CHUNK);
	return 0;
}

static int drain(struct output *o, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer ib = {o->b.p, o->b.len, 0};

	if (!o->z) {
		int rc = o->b.len ? write_all(o, o->b.p, o->b.len) : 0;
		buf_reset(&o->b);
		return rc;
	}
	for (;;) {
		size_t rem;
		ZSTD_outBuffer ob;

		buf_grow(&o->zb, CHUNK);
		ob.dst = o->zb.p;
		ob.size = o->zb.cap - 1;
		ob.pos = 0;
		rem = ZSTD_compressStream2(o->z, &ob, &ib, mode);
		if (ZSTD_isError(rem)) {
			snprintf(o->err, sizeof o->err, "zstd: %s", ZSTD_getErrorName(rem));
			return -1;
		}
		if (ob.pos && write_all(o, o->zb.p, ob.pos))
			return -1;
		if (mode == ZSTD_e_continue ? ib.pos == ib.size : rem == 0)
			break;
	}
	buf_reset(&o->b);
	return 0;
}

int output_write(struct output *o, const void *p, size_t n)
{
	o->bytes += n;
	if (o->b.len + n > CHUNK && o->b.len) {
		if (drain(o, ZSTD_e_continue))
			return -1;
	}
	buf_add(&o->b, p, n);
	if (o->b.len >= CHUNK)
		return drain(o, ZSTD_e_continue);
	return 0;
}

int output_write_line(struct output *o, const void *p, size_t n)
{
	char *q;

	if (o->b.len + n + 1 >= CHUNK) /* a write through: as two writes */
		return output_write(o, p, n) || output_write(o, "\n", 1) ? -1 : 0;
	o->bytes += n + 1;
	if (o->b.cap - o->b.len <= n + 1)
		buf_grow(&o->b, n + 1);
	q = o->b.p + o->b.len;
	memcpy(q, p, n);
	q[n] = '\n';
	q[n + 1] = 0;
	o->b.len += n + 1;
	return 0;
}

int output_flush(struct output *o)
{
	return drain(o, ZSTD_e_flush);
}

int output_close(struct output *o, int sync)
{
	int rc = drain(o, o->z ? ZSTD_e_end : ZSTD_e_flush);

	if (!rc && sync && o->close_fd && fsync(o->fd) && errno != EINVAL) {
		snprintf(o->err, sizeof o->err, "fsync failed: %s", strerror(errno));
		rc = -1;
	}
	if (o->close_fd && close(o->fd) && !rc) {
		snprintf(o->err, sizeof o->err, "close failed: %s", strerror(errno));
		rc = -1;
	}
	o->fd = -1;
	if (o->z)
		ZSTD_freeCCtx(o->z);
	o->z = NULL;
	buf_release(&o->b);
	buf_release(&o->zb);
	return rc;
}

void lines_init(struct lines *l, struct input *in, size_t max)
{
	memset(l, 0, sizeof *l);
	l->in = in;
	l->max = max ? max : 1 << 20;
	l->cap = l->max + CHUNK + 1;
	if (l->cap < 2 * CHUNK)
		l->cap = 2 * CHUNK;
	l->buf = xmalloc(l->cap);
}

void lines_release(struct lines *l)
{
	free(l->buf);
	l->buf = NULL;
}

/* Read more bytes after end; 1 read something, 0 end, -1 error. */
static int fill(struct lines *l)
{
	ssize_t r;

	if (l->eof)
		return 0;
	if (l->start > 0 && (l->cap - l->end < CHUNK || l->start == l->end)) {
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
	}
	r = input_read(l->in, l->buf + l->end, l->cap - l->end - 1);
	if (r == -2)
		return 2;
	if (r < 0)
		return -1;
	if (r == 0) {
		l->eof = 1;
		return 0;
	}
	l->end += (size_t)r;
	return 1;
}

int lines_next(struct lines *l, const char **p, size_t *n, unsigned *flags)
{
	size_t scanned = 0;

	*flags = 0;
	while (!l->bom_seen) {
		/* enough bytes to tell a byte order mark, then past it */
		static const char bom[3] = {'\xef', '\xbb', '\xbf'};
		size_t have = l->end - l->start;
		int r;
		if (have >= 3 || (l->eof && have < 3) || memcmp(l->buf + l->start, bom, have)) {
			if (have >= 3 && !memcmp(l->buf + l->start, bom, 3))
				l->start += 3;
			l->bom_seen = 1;
			break;
		}
		r = fill(l);
		if (r < 0)
			return -1;
		if (r == 2)
			return 2;
	}
	for (;;) {
		char *nl = memchr(l->buf + l->start + scanned, '\n',
				  l->end - l->start - scanned);
		size_t len;
		int r;

		if (nl) {
			len = (size_t)(nl - (l->buf + l->start));
			if (len > l->max)
				break;
			*p = l->buf + l->start;
			*n = len;
			l->start += len + 1;
			l->lineno++;
			l->total = len;
			return 1;
		}
		scanned = l->end - l->start;
		if (scanned > l->max)
			break;
		r = fill(l);
		if (r < 0)
			return -1;
		if (r == 2)
			return 2;
		if (r == 0) {
			len = l->end - l->start;
			if (!len || l->in->stopped) /* a stop: a part line waits for a rerun */
				return 0;
			if (len > l->max)
				break;
			*p = l->buf + l->start;
			*n = len;
			*flags = LINE_NO_NEWLINE;
			l->start = l->end;
			l->lineno++;
			l->total = len;
			return 1;
		}
	}
	/* too long: keep a prefix, skip to the next newline */
	{
		unsigned long long total = 0;
		size_t keep = l->max < LINES_PREFIX ? l->max : LINES_PREFIX;
		char *nl;
		int r;

		if (l->start > 0) {
			memmove(l->buf, l->buf + l->start, l->end - l->start);
			l->end -= l->start;
			l->start = 0;
		}
		/* the prefix stays at buf[0..keep); skip bytes after it */
		total = l->end;
		for (;;) {
			nl = memchr(l->buf + keep, '\n', l->end - keep);
			if (nl) {
				size_t used = (size_t)(nl - l->buf);
				total = total - (l->end - used);
				/* move the rest after the newline behind the prefix */
				memmove(l->buf + keep + 1, nl + 1, l->end - used - 1);
				l->end = keep + 1 + (l->end - used - 1);
				l->start = keep + 1;
				break;
			}
			l->end = keep;
			do
				r = fill(l);
			while (r == 2);
			if (r < 0)
				return -1;
			if (r == 0) {
				l->start = l->end;
				*flags = LINE_NO_NEWLINE;
				break;
			}
			total += l->end - keep;
		}
		*p = l->buf;
		*n = keep;
		*flags |= LINE_TOO_LONG;
		l->lineno++;
		l->total = total;
		return 1;
	}
}

int io_slurp(const char *path, struct buf *b, char *err, size_t errlen)
{
	struct input in;
	char tmp[65536];
	ssize_t r;

	if (input_open(&in, path)) {
		snprintf(err, errlen, "%s", in.err);
		return -1;
	}
	while ((r = input_read(&in, tmp, sizeof tmp)) > 0)
		buf_add(b, tmp, (size_t)r);
	if (r < 0)
		snprintf(err, errlen, "%s", in.err);
	input_close(&in);
	return r < 0 ? -1 : 0;
}
