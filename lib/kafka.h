/*
 * kafka - the Kafka source and sink behind kafka://host:port,…/topic.
 *
 * The source is a consumer in a group (default "uops-<tool>"); it never
 * commits offsets on its own: the tool stores them in LMDB with the state
 * they produced, and on assignment the source starts each partition at the
 * offset the tool's store holds (else at the group's committed offset, else
 * the earliest). The sink is an idempotent producer; records are keyed
 * (oneid once it exists) and kafka_sink_flush waits until every record is
 * acknowledged. -X key=value properties go to both, after the defaults.
 */
#ifndef UOPS_KAFKA_H
#define UOPS_KAFKA_H

#include <stddef.h>
#include <stdint.h>

/* Split "kafka://brokers/topic" into malloc'd brokers and topic. Returns 1 if
 * spec is a kafka:// address (and *brokers, *topic are set), 0 if it is not,
 * -1 if it is malformed. */
int kafka_parse_url(const char *spec, char **brokers, char **topic);

struct kafka_msg {
	const char *p; /* payload, valid until the next kafka_src_next */
	size_t n;
	const char *topic;
	int32_t partition;
	int64_t offset;
};

/* Where to start a partition: the next offset to consume, -1 for none
 * (then the group's committed offset, else the earliest), or
 * KAFKA_REFUSE after printing why the partition is not to be consumed
 * here (the source then fails with 78). group is the group's committed
 * offset of the partition, -1 when it has none; when the group's offsets
 * cannot be read, no partition is read and the source fails with 75. */
typedef int64_t (*kafka_offset_fn)(void *ctx, const char *topic, int32_t partition, int64_t group);
#define KAFKA_REFUSE (-2)
/* Partitions are about to be taken away: commit what was processed. */
typedef void (*kafka_revoke_fn)(void *ctx);

struct kafka_src;

/*
 * Subscribe to topic on brokers as group; or, with nparts > 0, take
 * exactly partitions parts[0 … nparts-1] of it (a static assignment: no
 * rebalancing, offsets still committed to the group); with exit_at_end
 * and no parts, every partition (a batch run, outside the group). With
 * exit_at_end the source ends once every assigned partition is at its
 * end. Returns the source, or NULL with *code set (78 bad property or a
 * partition refused, 75 broker unreachable) after printing why.
 */
struct kafka_src *kafka_src_open(const char *brokers, const char *topic,
				 const char *group, const char *const *x, int nx,
				 int exit_at_end, const int32_t *parts, int nparts,
				 kafka_offset_fn offset, kafka_revoke_fn revoke, void *ctx,
				 int *code);

/*
 * Wait up to timeout_ms for the next record. Returns 1 with *m set, 0 when
 * none arrived in time, -1 at the end (exit_at_end), -2 on a fatal error
 * (printed; kafka_src_code says the exit code). The record counts as
 * processed when this is called again: its offset + 1 becomes the
 * partition's position.
 */
int kafka_src_next(struct kafka_src *k, struct kafka_msg *m, int timeout_ms);

/* With on set, an exit_at_end source does not end at the end of its
 * partitions: the tool waits for records still to come (that another
 * consumer writes into them); kafka_src_next keeps polling, returning 0
 * while nothing arrives. */
void kafka_src_read_on(struct kafka_src *k, int on);
/* Call fn for each partition with a position to store, as it was before
 * the message being handled (which is kept, and read again after a
 * restart from these positions). */
void kafka_src_positions_before(struct kafka_src *k,
				void (*fn)(void *ctx, const char *topic, int32_t part,
					   int64_t next),
				void *ctx);
/* Call fn for each partition with a position to store. */
void kafka_src_positions(struct kafka_src *k,
			 void (*fn)(void *ctx, const char *topic, int32_t part,
				    int64_t next),
			 void *ctx);
/* Commit the positions to the group too (asynchronously, for lag
 * monitoring and fencing; the store is the source of truth). The last
 * positions committed are committed again, and waited for, when the
 * source closes. */
void kafka_src_commit(struct kafka_src *k);
/* The number of partitions of the source's topic, asked of the brokers
 * the first time (then kept); 0 when it could not be read. */
int kafka_src_topic_partitions(struct kafka_src *k);
int kafka_src_code(const struct kafka_src *k);
void kafka_src_close(struct kafka_src *k);

/*
 * For `<tool> status`: the group's committed offset and the high watermark
 * of partitions parts[0 … n-1] of topic, asked of brokers within
 * timeout_ms; -1 for what is not known. Returns 0, or 75 when the brokers
 * did not answer in time (printed).
 */
int kafka_lag(const char *brokers, const char *topic, const char *group,
	      const char *const *x, int nx, const int32_t *parts, int n,
	      int64_t *committed, int64_t *high, int timeout_ms);
/* Parse a list of partitions "0,1,5-7" into parts (up to max, each once,
 * ascending). Returns how many, or -1 when it is not such a list. */
int kafka_parse_partitions(const char *s, int32_t *parts, int max);

struct kafka_sink;

struct kafka_sink *kafka_sink_open(const char *brokers, const char *topic,
				   const char *const *x, int nx, int *code);
/* Queue one record (copied). Returns 0, or an exit code after printing. */
int kafka_sink_write(struct kafka_sink *k, const void *key, size_t klen,
		     const void *p, size_t n);
/* The number of partitions of the sink's topic, asked of the brokers the
 * first time (then kept); 0 when it could not be read. */
int kafka_sink_partitions(struct kafka_sink *k);
/* Queue one record (copied), without a key, into partition part of the
 * topic, or with part -1 into every partition (a copy each; the count as
 * kafka_sink_partitions read it). Returns 0, or an exit code after
 * printing (75 when the partitions cannot be read). */
int kafka_sink_write_part(struct kafka_sink *k, int32_t part, const void *p, size_t n);
/* Wait until every queued record is acknowledged. 0, or an exit code (75 when
 * records could not be delivered) after printing. */
int kafka_sink_flush(struct kafka_sink *k);
void kafka_sink_close(struct kafka_sink *k);

#endif
