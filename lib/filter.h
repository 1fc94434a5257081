/*
 * filter - the loop every uops filter runs: records in from files or Kafka,
 * records out, a batch of state committed to LMDB by count, by time and
 * whenever the input idles, with the output flushed first and Kafka
 * offsets (or, with resume, the lines of a file) stored in the same
 * transaction as the state they produced. The tool supplies what happens
 * to one record and what to add to a batch before it commits.
 */
#ifndef UOPS_FILTER_H
#define UOPS_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "endpoint.h"
#include "outcome.h"
#include "store.h"

struct filter {
	/* set by the tool before filter_open */
	struct store *st;
	const struct cli *cli;      /* -o, --rejects, -X, --strict */
	const char *group;          /* Kafka consumer group */
	long batch;                 /* commit after this many queued writes */
	long commit_ms;             /* … or this long into a steady stream */
	size_t max_line;            /* longest record (0: 1 MiB) */
	int exit_at_end;            /* Kafka: stop at the end */
	int resume;                 /* files: skip lines an earlier run committed */
	const int32_t *parts;       /* Kafka: these partitions only (--partitions) */
	int nparts;
	/* Kafka: a store of per-person state refuses (exit 78) a partition
	 * it does not own (no stored offset) that the group has consumed
	 * (its state is in another store), and one whose stored offset is
	 * behind the group's (another store went on from it) */
	int fence;
	/* one input record (the outcome's raw/where are set); emit with
	 * filter_emit, reject with outcome_reject(&f->oc, …) */
	void (*record)(void *ctx, const char *p, size_t n);
	/* queue the tool's own state into the batch (may be NULL) */
	int (*before_commit)(void *ctx);
	/* the batch is durable (may be NULL) */
	void (*after_commit)(void *ctx);
	/* an input ended (not a stop, not an error): hand on what the tool
	 * held back waiting for more of it (may be NULL) */
	void (*end_input)(void *ctx);
	/* Kafka partitions were taken away, after the commit that stored
	 * their positions: forget what was held back from them, it is read
	 * again from there, here or by another consumer (may be NULL) */
	void (*revoked)(void *ctx);
	/* the tool waits for records still to come into its own input (a
	 * $fold that another instance writes there): while this returns
	 * nonzero, a Kafka input read with exit_at_end is read on past the
	 * end of its partitions (may be NULL) */
	int (*waiting)(void *ctx);
	void *ctx;

	/* state */
	struct ep_out out;
	struct outcome oc;
	struct ep_in *in;   /* the input being read */
	char *resume_key;   /* "file:PATH" */
	int fatal;          /* exit code of a failure inside a callback */
	int redo;           /* the record being handled is not done (a stop
			     * came in its midst: filter_stop_mid) */
	int64_t last_commit_ms;
	unsigned since_check;
	/* the stream of the record being handled: the partition of a Kafka
	 * input, 0 for a file or a pipe (one stream) */
	uint32_t stream;
	void *tick_doc; /* a parser for keyless records bound for Kafka */
	/* records held back (filter_hold): per Kafka partition the first
	 * held offset, for a file the first held line */
	struct filter_held {
		char *topic;
		int32_t part;
		int64_t offset;
	} *held;
	size_t nheld, held_cap;
	uint64_t held_line; /* 0: none */
	char *in_spec;       /* the input being read (filter_emit_input) */
	struct kafka_sink *back; /* into the input's topic, once needed */
};

/* Open -o and --rejects. Returns 0 or an exit code after printing why. */
int filter_open(struct filter *f);
/* Read spec (file, '-', *.zst, kafka://…) to the end (or a stop), record by
 * record. Returns 0 or an exit code. */
int filter_run(struct filter *f, const char *spec);
/* The record after the one being handled, when the input holds it already
 * (a file's buffer; never Kafka): 1 with *p, *n set, else 0. A hint for
 * fetching its state early; it is still handed to record() in its turn. */
int filter_peek(const struct filter *f, const char **p, size_t *n);
/* Fetching ahead (filter_fetch_ahead): the oneid of the record after the
 * one being handled, when it could be read. */
struct filter_ahead {
	unsigned char key[4];
	int have;
};
/* Call first thing for each record: memory latency dominates a record, so
 * start fetching, from dbi (a cached DB keyed by oneid), the value of this
 * record's oneid (its cache entry was fetched the record before) and the
 * entry of the next record's, while this one is parsed. Hints only. */
void filter_fetch_ahead(struct filter *f, MDB_dbi dbi, struct filter_ahead *a);
/* Write one record to the output (key: the Kafka key). A record with no
 * key that is a clock record (type "$tick") goes to Kafka as
 * ep_out_write_clock says: on in the partition of the stream it was read
 * from, or into every partition. Returns 0 or an exit code (also kept in
 * f->fatal). */
int filter_emit(struct filter *f, const void *key, size_t klen, const char *p, size_t n);
/* Write one record into the input's own topic (key: the Kafka key), for
 * a consumer of the topic (this one or another instance) to read: a
 * Kafka input only; with another input nothing is written and 1 is
 * returned. It is flushed with the output, before every commit. Returns 0,
 * 1, or an exit code (also kept in f->fatal). */
int filter_emit_input(struct filter *f, const void *key, size_t klen, const char *p, size_t n);
/* After a record the tool read by itself (CSV): commit when due; 0 or an
 * exit code (65 when --strict saw a reject). */
int filter_after_record(struct filter *f);
/* Flush the output, queue offsets and the tool's state, commit. */
int filter_commit(struct filter *f);
/* The same from inside the record callback, for work too big for one
 * batch: the positions stored are those before the record, so after a
 * crash the record is read again (its work must be idempotent against the
 * state committed so far). */
int filter_commit_mid(struct filter *f);
/* A stop came in the midst of the record being handled (a sweep, a day of
 * deadlines): its work so far is committed as by filter_commit_mid (that
 * work must be idempotent), and from now on every commit stores the
 * positions before it, so a rerun (--resume, Kafka) reads it again. The
 * caller returns from its record; the run ends after it. */
void filter_stop_mid(struct filter *f);
/*
 * The record being handled is held back: its outcome waits for records
 * after it (the lines of an order wait for the order's end). Until
 * filter_release, every commit stores, for its Kafka partition (or, with
 * resume, its file), a position no later than the first record held, so
 * a restart reads every held record again: what was held and lost with
 * the process is redone, and what was emitted after it is emitted again
 * (output is at-least-once; ingest counts a replay as a duplicate).
 */
void filter_hold(struct filter *f);
/* The records held from Kafka partition part of topic are done (their
 * outcome given): commits store the position reached there again. topic
 * NULL: every record held, of every partition or of the file. */
void filter_release(struct filter *f, const char *topic, int32_t part);
/*
 * End: commit (unless rc is an error other than 65), close the output and
 * the rejects. Returns the final exit code: rc, or an error of its own, or 1
 * when records were rejected.
 */
int filter_close(struct filter *f, int rc);

#endif
