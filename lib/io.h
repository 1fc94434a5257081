/*
 * io - byte streams in and out of files, stdin/stdout and zstd frames.
 *
 * An input is a file path or "-" (stdin); zstd-compressed data is detected
 * by its magic number, whatever the name, and decompressed on the fly. An
 * output is a path or "-" (stdout); a name ending in ".zst" is compressed.
 * No temporary files. Reads are interrupted by cli_stop (SIGINT/SIGTERM):
 * input_read then returns 0 as at end of input.
 */
#ifndef UOPS_IO_H
#define UOPS_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"

struct input {
	const char *name; /* as given; "<stdin>" for "-" */
	int fd;
	int close_fd;
	int zstd;
	void *z;          /* ZSTD_DCtx */
	char *raw;        /* compressed bytes read ahead */
	size_t raw_len, raw_pos, raw_cap;
	int raw_eof;
	unsigned long long bytes; /* bytes read from the file (compressed) */
	int idle_ok;      /* report "no data ready" once before blocking */
	int idle_said;
	int pipe;         /* a pipe or socket: drained after a stop */
	int drained;      /* stopped: nothing more is read */
	int stopped;      /* input_read returned 0 for a stop, not an end */
	long long last_ns; /* cli_now_ns of the last byte read after a stop */
	char err[160];
};

/* Open path ("-" for stdin). Returns 0, or -1 with in->err set. */
int input_open(struct input *in, const char *path);
/* Read up to n decompressed bytes. Returns the count, 0 at end, -1 on error
 * (in->err says why), or -2 when idle_ok is set and no byte came for 100 ms
 * (said once; the next call blocks): a moment for the caller to flush. */
ssize_t input_read(struct input *in, char *p, size_t n);
/*
 * After SIGINT/SIGTERM (cli_stop), a file ends at once (input_read returns
 * 0), but a pipe is read on until its writer closes it, for at most the
 * stop's grace less the time left to commit: Ctrl-C reaches every stage of
 * a shell pipe, the stage before ends its batch and closes, and what it
 * wrote is handled and committed here instead of lost with an EPIPE
 * upstream. Returns 1 while in is such a pipe still being read after a
 * stop, else 0.
 */
int input_drains(const struct input *in);
void input_close(struct input *in);

struct output {
	const char *name;
	int fd;
	int close_fd;
	void *z;          /* ZSTD_CCtx when compressing */
	struct buf b;     /* pending plain bytes */
	struct buf zb;    /* compressed bytes to write */
	unsigned long long bytes; /* plain bytes accepted */
	int closed;       /* a write failed with EPIPE: the reader is gone */
	int stopped;      /* a stop (cli_stop) found the output blocked past
			   * its grace: the bytes were not all written */
	long long last_ns; /* cli_now_ns of the last write after a stop */
	char err[160];
};

/* Open path ("-" for stdout) for writing, truncating. Returns 0 or -1. */
int output_open(struct output *o, const char *path);
/* Queue n bytes; writes through when the buffer is full. 0 or -1. */
int output_write(struct output *o, const void *p, size_t n);
/* Queue n bytes and a '\n' after them, as output_write twice would
 * (writing through at the same bytes). 0 or -1. */
int output_write_line(struct output *o, const void *p, size_t n);
/* Write out everything queued (a zstd block boundary when compressing), so
 * a reader sees all records handed over so far. 0 or -1. */
int output_flush(struct output *o);
/* Flush, end the zstd frame, fsync regular files when sync, close. 0 or -1;
 * always releases. */
int output_close(struct output *o, int sync);

/*
 * lines - newline-delimited records over an input, without copying.
 *
 * Each line is returned without its '\n' (a '\r' before it stays). A line
 * longer than max bytes is not buffered: the first LINES_PREFIX bytes are
 * returned with LINE_TOO_LONG and the rest is skipped. A last line without
 * '\n' is returned with LINE_NO_NEWLINE.
 */
#define LINE_TOO_LONG 1u
#define LINE_NO_NEWLINE 2u
#define LINES_PREFIX 256

struct lines {
	struct input *in;
	char *buf;
	size_t cap, start, end;
	size_t max;
	unsigned long lineno;     /* of the line returned last, 1-based */
	unsigned long long total; /* length of the line returned last */
	int eof;
	int bom_seen;             /* the start was looked at for a BOM */
};

void lines_init(struct lines *l, struct input *in, size_t max);
void lines_release(struct lines *l);
/* Next line into *p, *n (valid until the next call), *flags. Returns 1, 0 at
 * end, -1 on a read error (l->in->err), 2 when the input is idle (see
 * input_read; call again to wait for more). A UTF-8 byte order mark at
 * the start of the input (Windows tools write one) is skipped. */
int lines_next(struct lines *l, const char **p, size_t *n, unsigned *flags);



/* Read a whole (small) file into b (appended). Returns 0, or -1 with a
 * reason in err. */
int io_slurp(const char *path, struct buf *b, char *err, size_t errlen);
#endif
