/*
 * handoff - a Kafka partition's state, moved between the stores of a
 * stage's instances: what a tool keeps about the people of one partition
 * (their records keyed by oneid, their deadlines, the partition's clock,
 * the dedupe set, the stored offset) is written out of one store
 * (handoff_export) and read into another (handoff_import), and taken out
 * of the first (handoff_drop). So when a partition changes owner (an
 * instance added, one taken away, a dead one replaced) its people's state
 * follows it, and the new owner goes on from the stored offset with the
 * profiles the old one had.
 *
 * A tool describes its DBs once, in a table of struct handoff_db, each of
 * one kind:
 *
 *   PERSON  keyed by oneid (4 bytes, big-endian): the records of the
 *           partition's people move
 *   STREAM  keyed by the stream first (4 bytes, big-endian, the partition
 *           number or'ed with stream_or): the partition's keys move; keys
 *           of no known stream (first 4 bytes any_stream, or keys any_len
 *           long) hold bitmaps of people, of which the partition's move
 *   BITMAP  values are portable roaring bitmaps of oneids (every key, or
 *           the one key named): the partition's people's bits move
 *   CLOCK   the one key printf(key, partition) (lib/pclock's clock:%u)
 *   SEEN    a dedupe set in lib/seen's layout (NAME and NAME_runs): moves
 *           whole, as one key per id; ids of other partitions never
 *           arrive on this one, so the extra ones change nothing
 *   AGREE   definitions (a dictionary of slots, segment definitions): the
 *           two stores must agree on every key both hold; the target
 *           gains the keys it lacks (a key beginning with '#' is a
 *           counter, 4 bytes big-endian: the greater wins; a new key's
 *           value must be unused under the same first byte); with
 *           key, that key alone; namespaces in skip_ns are left out
 *   META    the one key (every key, without key), carried for the tool
 *           to read after an import (handoff_meta), never written
 *   KEYED   keys holding a oneid (4 bytes, big-endian) at byte at (a log
 *           keyed by day, then oneid): the partition's people's keys move
 *   SUFFIX  keys of text ending in ":N", N the partition in decimal (and
 *           beginning with key, when given): they move whole
 *   VALUE   values holding a oneid (4 bytes, big-endian) at byte at (an
 *           outbox keyed by send_id): the partition's people's keys move
 *   REF     keys naming, from byte at, a key of the table's DB ref, whose
 *           value holds a oneid at byte ref_at (a queue keyed by time,
 *           then send_id, of sends in an outbox): the keys whose
 *           reference is of the partition's people move (list it before
 *           ref, so that a drop finds the references)
 *   WHOLE   every key moves, and the target gains the keys it lacks (a
 *           do-not-contact list); a drop leaves them
 *
 * An entry flagged earlier is a DB of an earlier layout, kept for the
 * stores that have it: no store is given it unless an import brings keys
 * of it.
 *
 * A person's partition is where their records came on. The tool says it
 * either from the value of its first PERSON DB (person_stream, when the
 * value names it), or by calling handoff_note for every record, which
 * keeps an index in <tool>.streams: key stream (4, big-endian), block
 * (4, big-endian: oneid >> 16), value a portable roaring bitmap of the
 * block's oneids whose last record came on that stream.
 *
 * The stored offsets of the partition (every topic's, in <tool>.offsets)
 * are the store's ownership: a store owns the partitions it has an offset
 * for. An export carries them, an import refuses a partition the target
 * owns already and writes them last (so an import cut short owns nothing
 * and is run again), a drop deletes them first.
 *
 * The file: "uops-partition 1\n", then records, each a name (2 bytes
 * big-endian length, then the bytes), a key and a value (4 bytes
 * big-endian length each, then the bytes): first "#tool" (key: the tool,
 * value: partition and flags, 4 bytes big-endian each), then the DBs'
 * records by DB name, then "#end" (value: the count of records before it,
 * 8 bytes big-endian). A file cut short is refused whole.
 */
#ifndef UOPS_HANDOFF_H
#define UOPS_HANDOFF_H

#include <roaring/roaring.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

enum handoff_kind {
	HANDOFF_PERSON,
	HANDOFF_STREAM,
	HANDOFF_BITMAP,
	HANDOFF_CLOCK,
	HANDOFF_SEEN,
	HANDOFF_AGREE,
	HANDOFF_META,
	HANDOFF_KEYED,
	HANDOFF_SUFFIX,
	HANDOFF_VALUE,
	HANDOFF_REF,
	HANDOFF_WHOLE,
};

struct handoff_db {
	const char *name;        /* the DB (SEEN: NAME of lib/seen) */
	enum handoff_kind kind;
	const char *key;         /* BITMAP, META: the key (BITMAP NULL: every
				  * key); CLOCK: its format, with %u */
	uint32_t stream_or;      /* STREAM: or'ed into the partition */
	uint32_t any_stream;     /* STREAM: no known stream (0: none) */
	size_t any_len;          /* STREAM: keys this long are of none (0) */
	const char *skip_ns;     /* AGREE: namespaces left out: keys whose first
				  * byte (after a '#') is one of these */
	size_t at;               /* KEYED: where the oneid is in the key;
				  * VALUE: in the value; REF: where the
				  * reference begins in the key */
	const char *ref;         /* REF: the DB referred to */
	size_t ref_at;           /* REF: where the oneid is in its value */
	/*
	 * A drop finds the keys without reading the DB whole (the DB is
	 * written in place, never through a journal: it is read with
	 * cursors). seek: STREAM (without any_stream, any_len) from the
	 * stream's first key; KEYED at byte 0, each person's keys from
	 * their first. via: VALUE and REF, through the keys of that DB of
	 * the table (KEYED at 0: the oneid, then this DB's key), each
	 * person's, listed after this one (a drop deletes them after).
	 */
	int seek;
	const char *via;
	/*
	 * earlier: a DB of an earlier store layout, no longer written by the
	 * tool. It is opened only when the store has it (a store without it
	 * exports and drops nothing of it), and an import creates it only
	 * when the file brings keys for it: a new store never gains it.
	 */
	int earlier;
};

struct handoff_stream; /* handoff.c: one stream's people */

struct handoff {
	/* set by the tool before handoff_open */
	struct store *st;
	const char *tool;        /* "tagger": names <tool>.streams */
	const struct handoff_db *dbs;
	size_t ndbs;
	/* the partition of a person from the value of the first PERSON DB:
	 * 1 with *stream set, 0 when the value names none; NULL: the index
	 * handoff_note keeps */
	int (*person_stream)(void *ctx, const void *v, size_t n, uint32_t *stream);
	void *ctx;
	uint32_t flags;          /* handoff_export: carried for the tool */
	/* optional: the tool's state derived from the people's records (a
	 * column store's cells), brought in line with the people moved:
	 * called by handoff_import with in 1 once their records are
	 * committed and before the offsets are written, by handoff_drop with
	 * in 0 once the offsets are deleted and before the records go. It
	 * commits in steps of its own; cut short, the import or drop is run
	 * again, and so is it. 0, or an exit code after printing why. */
	int (*moved)(void *ctx, const roaring_bitmap_t *people, int in);

	/* state */
	MDB_dbi *dbi, *rdbi;     /* per entry of dbs (rdbi: SEEN's _runs,
				  * REF's ref) */
	unsigned char *absent;   /* per entry: the store lacks the DB (a
				  * read-only one, or one of an earlier
				  * layout) */
	MDB_dbi idx;             /* <tool>.streams (without person_stream) */
	int have_idx;            /* 1 open, 2 read into memory, 3 absent */
	struct handoff_stream *s;
	size_t ns;
	size_t last;             /* the stream noted last (a hint) */
	/* after an import: what the file carried */
	uint32_t part, in_flags;
	roaring_bitmap_t *people; /* the people moved (import, drop) */
	struct handoff_meta *meta;
	size_t nmeta;
};

/* Open the DBs of h's table (and the index, for a tool that keeps it:
 * read into memory when the store is a writer). 0, or -1 after printing
 * why. */
int handoff_open(struct handoff *h);
/* Free what h holds. */
void handoff_free(struct handoff *h);

/* oneid's record came on stream: file them there (taken out of the stream
 * they were under). In memory until handoff_save. */
void handoff_note(struct handoff *h, uint32_t stream, uint32_t oneid);
/* oneid is gone (merged into another): no stream holds them. */
void handoff_forget(struct handoff *h, uint32_t oneid);
/* Queue the index's changes into the store's batch: call before every
 * commit. */
void handoff_save(struct handoff *h);

/* The people of partition part, as the committed state holds them: a new
 * bitmap (the caller frees it), NULL after printing an error. */
roaring_bitmap_t *handoff_people(struct handoff *h, uint32_t part);

/* The stream whose index holds oneid (a tool that calls handoff_note):
 * 1 with *stream set, 0 when no stream does (or the tool keeps no
 * index), -1 after printing an error. */
int handoff_stream_of(struct handoff *h, uint32_t oneid, uint32_t *stream);

/* The partitions the store owns (a stored offset, of any topic), into
 * parts (up to max, ascending, each once). Returns how many. */
size_t handoff_owned(struct handoff *h, uint32_t *parts, size_t max);

/* Write partition part's state to out (a read-only store, or a writer
 * between commits). path names out in messages. 0, or an exit code after
 * printing why (74 writing, 78 a partition the store does not own). */
int handoff_export(struct handoff *h, uint32_t part, FILE *out, const char *path);
/* Read a file handoff_export wrote into h's store (a writer), committing
 * in steps, the offsets last; h->part, h->in_flags, h->people and the META
 * records are then the file's. 0, or an exit code after printing why (65
 * a file cut short or not of this tool, 78 a partition owned already or
 * definitions that disagree, 74). */
int handoff_import(struct handoff *h, FILE *in, const char *path);
/* Take partition part's state out of h's store (a writer): the offsets
 * first, then the people's records, the stream's keys and clock; h->people
 * is then the people taken out. The dedupe set and the definitions stay.
 * 0, or an exit code after printing why. */
int handoff_drop(struct handoff *h, uint32_t part);
/*
 * Print a line per partition the store owns (of topic, when spec is a
 * kafka:// address): {"topic","partition","offset"} the stored offset,
 * and, asked of spec's brokers within timeout_ms, "group" the group's
 * committed offset, "end" the partition's high watermark and "lag" (end
 * minus the stored offset); null for what is not known. Returns 0, or 75
 * when the brokers did not answer (the lines are printed, with nulls).
 */
int handoff_status(struct handoff *h, const char *spec, const char *group, const char *const *x,
		   int nx, int timeout_ms, FILE *out);
/* After handoff_import: the value of the META record (name, key) the file
 * carried: 1 with *v set (valid until handoff_free), 0 when it had none. */
int handoff_meta(const struct handoff *h, const char *name, const char *key, MDB_val *v);

#endif
