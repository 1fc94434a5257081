/*
 * endpoint - where a tool's records come from and go to: a file, '-',
 * *.zst, or kafka://host:port,…/topic, behind one interface.
 */
#ifndef UOPS_ENDPOINT_H
#define UOPS_ENDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "io.h"
#include "kafka.h"

struct ep_cfg {
	size_t max_line;          /* longest record accepted (default 1 MiB) */
	const char *const *x;     /* -X properties */
	int nx;
	const char *group;        /* consumer group */
	int exit_at_end;          /* Kafka: stop at the end of the partitions */
	const int32_t *parts;     /* Kafka: these partitions only (nparts > 0) */
	int nparts;
	int poll_ms;              /* Kafka: longest wait before reporting idle */
	kafka_offset_fn offset;   /* Kafka: where to resume */
	kafka_revoke_fn revoke;
	void *ctx;
};

struct ep_rec {
	const char *p; /* the record, without its newline; valid until next */
	size_t n;
	unsigned flags;           /* LINE_TOO_LONG, LINE_NO_NEWLINE */
	unsigned long long total; /* full length when LINE_TOO_LONG */
};

struct ep_in {
	const char *spec;
	int kafka;
	struct input in;
	struct lines lines;
	struct kafka_src *k;
	struct kafka_msg msg;
	size_t max_line;
	char *topic;
	int code; /* exit code after an error */
};

/* Open spec for reading. Returns 0, or an exit code after printing why. */
int ep_in_open(struct ep_in *e, const char *spec, const struct ep_cfg *cfg);
/* Next record: 1, 0 at the end, 2 when the source is idle (a pipe with no
 * byte ready, a Kafka source with nothing within a second: a moment to
 * flush and commit; call again to wait), -1 on error (e->code). A record
 * ends before any \r at its end (CRLF lines, Kafka messages). */
int ep_in_next(struct ep_in *e, struct ep_rec *r);
/* Append where the last record came from: "file:42", "<stdin>:7",
 * "topic[0]@42". */
void ep_in_where(const struct ep_in *e, struct buf *b);
void ep_in_close(struct ep_in *e);

struct ep_out {
	const char *spec;
	struct output out;
	struct kafka_sink *k;
	int open;
	int said; /* a write failure was reported */
};

/* Open spec for writing. Returns 0 or an exit code after printing why. */
int ep_out_open(struct ep_out *o, const char *spec, const struct ep_cfg *cfg);
/* Write one record (a newline is added for files). 0 or an exit code. */
int ep_out_write(struct ep_out *o, const void *key, size_t klen, const char *p,
		 size_t n);
/*
 * Write a clock record ($tick: no key, for no one person). To a file, once.
 * To Kafka, where every partition's stream hears it: read from partition
 * part of a Kafka input whose topic has nparts partitions, it goes on in
 * the output's partition of the same number when the output topic has as
 * many (the stream goes on: keyed by oneid, a person's records take the
 * same partition number in both), else (and when part is -1: a file, a
 * pipe, a tool's own) into every partition of the output. So a tick fans
 * out once, where a stream begins, and never multiplies stage after stage.
 * 0 or an exit code.
 */
int ep_out_write_clock(struct ep_out *o, const char *p, size_t n, int32_t part, int nparts);
/* Make everything written so far durable for the next stage (file: written
 * through; Kafka: acknowledged). 0 or an exit code. */
int ep_out_flush(struct ep_out *o);
/* Flush and close. 0 or an exit code. */
int ep_out_close(struct ep_out *o);

#endif
