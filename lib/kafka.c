#include "kafka.h"

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"

#define MAX_PARTS 1024

int kafka_parse_url(const char *spec, char **brokers, char **topic)
{
	const char *p, *slash;

	if (strncmp(spec, "kafka://", 8))
		return 0;
	p = spec + 8;
	slash = strchr(p, '/');
	if (!slash || slash == p || !slash[1] || strchr(slash + 1, '/'))
		return -1;
	*brokers = xstrndup(p, (size_t)(slash - p));
	*topic = xstrdup(slash + 1);
	return 1;
}

static int set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
	char err[256];

	if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
		cli_err("kafka property '%s=%s': %s", k, v, err);
		return -1;
	}
	return 0;
}

static int set_x(rd_kafka_conf_t *conf, const char *const *x, int nx)
{
	int i;

	for (i = 0; i < nx; i++) {
		const char *eq = strchr(x[i], '=');
		char *k;
		int rc;

		if (!eq) {
			cli_err("kafka property '%s': not key=value", x[i]);
			return -1;
		}
		k = xstrndup(x[i], (size_t)(eq - x[i]));
		rc = set(conf, k, eq + 1);
		free(k);
		if (rc)
			return -1;
	}
	return 0;
}

struct part {
	char *topic;
	int32_t partition;
	int64_t next; /* position to store; -1 none yet */
	int eof;
};

struct kafka_src {
	rd_kafka_t *rk;
	rd_kafka_message_t *held;
	int exit_at_end;
	int read_on; /* kafka_src_read_on */
	int assigned;
	struct part parts[MAX_PARTS];
	int nparts;
	kafka_offset_fn offset;
	kafka_revoke_fn revoke;
	void *ctx;
	char *topic;
	int topic_parts; /* the topic's partitions, once asked; -1 unknown */
	int member;      /* commits to the group (not a batch run over all) */
	int manual;      /* assigned by us, not by the group */
	rd_kafka_topic_partition_list_t *last_commit; /* committed again at close */
	int code;
	int fatal;
};

/* The number of partitions of topic, asked of the brokers: 0 when it
 * cannot be read. */
static int topic_partitions(rd_kafka_t *rk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
	rd_kafka_resp_err_t e;
	int n = 0;

	e = rd_kafka_metadata(rk, 0, rkt, &md, 15000);
	rd_kafka_topic_destroy(rkt);
	if (!e && md->topic_cnt == 1 && !md->topics[0].err)
		n = md->topics[0].partition_cnt;
	if (md)
		rd_kafka_metadata_destroy(md);
	return n;
}

static struct part *part_of(struct kafka_src *k, const char *topic, int32_t p)
{
	int i;

	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].partition == p && !strcmp(k->parts[i].topic, topic))
			return &k->parts[i];
	return NULL;
}

static void parts_clear(struct kafka_src *k)
{
	int i;

	for (i = 0; i < k->nparts; i++)
		free(k->parts[i].topic);
	k->nparts = 0;
}

static void src_done(struct kafka_src *k)
{
	struct part *pt;

	if (!k->held)
		return;
	pt = part_of(k, rd_kafka_topic_name(k->held->rkt), k->held->partition);
	if (pt)
		pt->next = k->held->offset + 1;
	rd_kafka_message_destroy(k->held);
	k->held = NULL;
}

static void rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
		      rd_kafka_topic_partition_list_t *list, void *opaque)
{
	struct kafka_src *k = opaque;
	int i;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		int refused = 0;
		rd_kafka_resp_err_t e;

		parts_clear(k);
		/* the group's offsets, for the store to compare with its own:
		 * without them, nothing is read (a store that does not own a
		 * partition would start its people over) */
		for (i = 0; i < list->cnt; i++)
			list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
		if ((e = rd_kafka_committed(rk, list, 15000))) {
			cli_err("cannot read the group's offsets of the partitions assigned: %s",
				rd_kafka_err2str(e));
			k->code = EXIT_TEMP;
			k->fatal = 1;
			rd_kafka_assign(rk, NULL);
			return;
		}
		for (i = 0; i < list->cnt && k->nparts < MAX_PARTS; i++) {
			rd_kafka_topic_partition_t *tp = &list->elems[i];
			int64_t group = !tp->err && tp->offset >= 0 ? tp->offset : -1;
			int64_t off = k->offset ? k->offset(k->ctx, tp->topic, tp->partition, group) : -1;
			struct part *pt = &k->parts[k->nparts++];

			if (off == KAFKA_REFUSE)
				refused = 1;
			if (off >= 0)
				tp->offset = off;
			else if (tp->offset < 0 || tp->err)
				tp->offset = RD_KAFKA_OFFSET_INVALID;
			pt->topic = xstrdup(tp->topic);
			pt->partition = tp->partition;
			pt->next = -1;
			pt->eof = 0;
			cli_info("assigned %s[%d] from %s", tp->topic, (int)tp->partition,
				 off >= 0 ? "the stored offset" : "the group offset");
		}
		if (refused) {
			/* stop before reading a record: the state is elsewhere */
			k->code = EXIT_CONFIG;
			k->fatal = 1;
			parts_clear(k);
			rd_kafka_assign(rk, NULL);
			return;
		}
		rd_kafka_assign(rk, list);
		k->assigned = 1;
	} else {
		src_done(k);
		if (k->revoke)
			k->revoke(k->ctx);
		/* what was committed is of the assignment that ends: never
		 * commit it again at close, over what a new owner of those
		 * partitions has committed since */
		if (k->last_commit) {
			rd_kafka_topic_partition_list_destroy(k->last_commit);
			k->last_commit = NULL;
		}
		rd_kafka_assign(rk, NULL);
		parts_clear(k);
		k->assigned = 0;
	}
}

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (err == RD_KAFKA_RESP_ERR__FATAL) {
		char buf[256];
		rd_kafka_fatal_error(rk, buf, sizeof buf);
		cli_err("kafka fatal error: %s", buf);
		return;
	}
	cli_info("kafka: %s", reason);
}

static int reachable(rd_kafka_t *rk, const char *topic, const char *brokers)
{
	const struct rd_kafka_metadata *md = NULL;
	const char *t = getenv("UOPS_KAFKA_CONNECT_MS");
	int ms = t && *t ? atoi(t) : 15000;
	rd_kafka_resp_err_t err;

	(void)topic;
	err = rd_kafka_metadata(rk, 0, NULL, &md, ms);
	if (err) {
		cli_err("kafka brokers '%s' unreachable: %s", brokers, rd_kafka_err2str(err));
		return -1;
	}
	rd_kafka_metadata_destroy(md);
	return 0;
}

static int assign_list(struct kafka_src *k, const char *topic, const int32_t *want, int nwant);

struct kafka_src *kafka_src_open(const char *brokers, const char *topic,
				 const char *group, const char *const *x, int nx,
				 int exit_at_end, const int32_t *parts, int nparts,
				 kafka_offset_fn offset, kafka_revoke_fn revoke, void *ctx,
				 int *code)
{
	struct kafka_src *k = xcalloc(1, sizeof *k);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *sub;
	char err[512];
	rd_kafka_resp_err_t e;

	*code = EXIT_CONFIG;
	k->exit_at_end = exit_at_end;
	k->offset = offset;
	k->revoke = revoke;
	k->ctx = ctx;
	k->topic = xstrdup(topic);
	k->topic_parts = -1;
	k->member = !exit_at_end || nparts > 0;
	k->manual = exit_at_end || nparts > 0;
	if (set(conf, "bootstrap.servers", brokers) || set(conf, "group.id", group) ||
	    set(conf, "enable.auto.commit", "false") ||
	    set(conf, "enable.auto.offset.store", "false") ||
	    set(conf, "auto.offset.reset", "earliest") ||
	    set(conf, "enable.partition.eof", exit_at_end ? "true" : "false") ||
	    set_x(conf, x, nx)) {
		rd_kafka_conf_destroy(conf);
		free(k->topic);
		free(k);
		return NULL;
	}
	rd_kafka_conf_set_rebalance_cb(conf, rebalance);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_opaque(conf, k);
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!k->rk) {
		cli_err("cannot create kafka consumer: %s", err);
		rd_kafka_conf_destroy(conf);
		free(k->topic);
		free(k);
		return NULL;
	}
	rd_kafka_poll_set_consumer(k->rk);
	if (reachable(k->rk, topic, brokers)) {
		*code = EXIT_TEMP;
		goto fail;
	}
	if (exit_at_end || nparts > 0) {
		/* partitions named (a static assignment), or a batch run: this
		 * one process reads every partition, assigned directly, so it
		 * never waits on or splits with group members */
		if ((*code = assign_list(k, topic, parts, nparts)))
			goto fail;
		*code = 0;
		return k;
	}
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
	e = rd_kafka_subscribe(k->rk, sub);
	rd_kafka_topic_partition_list_destroy(sub);
	if (e) {
		cli_err("cannot subscribe to '%s': %s", topic, rd_kafka_err2str(e));
		goto fail;
	}
	*code = 0;
	return k;
fail:
	rd_kafka_destroy(k->rk);
	free(k->topic);
	free(k);
	return NULL;
}

static int assign_list(struct kafka_src *k, const char *topic, const int32_t *want, int nwant)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(k->rk, topic, NULL);
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t e;
	int i, n, code = 0;

	e = rd_kafka_metadata(k->rk, 0, rkt, &md, 15000);
	rd_kafka_topic_destroy(rkt);
	if (e || md->topic_cnt != 1 || md->topics[0].err) {
		cli_err("cannot read topic '%s': %s", topic,
			rd_kafka_err2str(e ? e : md->topic_cnt ? md->topics[0].err
							    : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
		if (md)
			rd_kafka_metadata_destroy(md);
		return EXIT_TEMP;
	}
	n = md->topics[0].partition_cnt;
	list = rd_kafka_topic_partition_list_new(n);
	if (!nwant) {
		for (i = 0; i < n; i++)
			rd_kafka_topic_partition_list_add(list, topic, md->topics[0].partitions[i].id);
	} else {
		for (i = 0; i < nwant; i++) {
			if (want[i] < 0 || want[i] >= n) {
				cli_err("--partitions: topic '%s' has no partition %d (it has %d)", topic,
					(int)want[i], n);
				rd_kafka_metadata_destroy(md);
				rd_kafka_topic_partition_list_destroy(list);
				return EXIT_CONFIG;
			}
			rd_kafka_topic_partition_list_add(list, topic, want[i]);
		}
	}
	rd_kafka_metadata_destroy(md);
	/* the group's committed offsets: where the store has none, and to
	 * compare with the store's own */
	for (i = 0; i < list->cnt; i++)
		list->elems[i].offset = RD_KAFKA_OFFSET_INVALID;
	e = rd_kafka_committed(k->rk, list, 15000);
	if (e) {
		cli_err("cannot read the group's offsets of '%s': %s", topic, rd_kafka_err2str(e));
		rd_kafka_topic_partition_list_destroy(list);
		return EXIT_TEMP;
	}
	parts_clear(k);
	for (i = 0; i < list->cnt && k->nparts < MAX_PARTS; i++) {
		rd_kafka_topic_partition_t *tp = &list->elems[i];
		int64_t group = tp->err ? -1 : tp->offset >= 0 ? tp->offset : -1;
		int64_t off = k->offset ? k->offset(k->ctx, tp->topic, tp->partition, group) : -1;
		struct part *pt = &k->parts[k->nparts++];

		if (off == KAFKA_REFUSE)
			code = EXIT_CONFIG;
		if (off >= 0)
			tp->offset = off;
		else if (tp->offset < 0)
			tp->offset = RD_KAFKA_OFFSET_BEGINNING;
		pt->topic = xstrdup(tp->topic);
		pt->partition = tp->partition;
		pt->next = -1;
		pt->eof = 0;
	}
	if (code) {
		rd_kafka_topic_partition_list_destroy(list);
		parts_clear(k);
		return code;
	}
	e = rd_kafka_assign(k->rk, list);
	rd_kafka_topic_partition_list_destroy(list);
	if (e) {
		cli_err("cannot assign partitions of '%s': %s", topic, rd_kafka_err2str(e));
		code = EXIT_TEMP;
	}
	k->assigned = 1;
	return code;
}

static int all_eof(const struct kafka_src *k)
{
	int i;

	if (!k->assigned || !k->nparts)
		return 0;
	for (i = 0; i < k->nparts; i++)
		if (!k->parts[i].eof)
			return 0;
	return 1;
}

int kafka_src_next(struct kafka_src *k, struct kafka_msg *m, int timeout_ms)
{
	rd_kafka_message_t *msg;

	src_done(k);
	if (k->fatal)
		return -2;
	for (;;) {
		if (k->exit_at_end && !k->read_on && all_eof(k))
			return -1;
		msg = rd_kafka_consumer_poll(k->rk, timeout_ms);
		if (k->fatal) { /* a partition refused while assigning */
			if (msg)
				rd_kafka_message_destroy(msg);
			return -2;
		}
		if (!msg)
			return 0;
		if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			struct part *pt = part_of(k, rd_kafka_topic_name(msg->rkt), msg->partition);
			if (pt)
				pt->eof = 1;
			rd_kafka_message_destroy(msg);
			continue;
		}
		if (msg->err) {
			int fatal = msg->err == RD_KAFKA_RESP_ERR__FATAL ||
				    msg->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC ||
				    msg->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
			cli_err("kafka consumer: %s", rd_kafka_message_errstr(msg));
			rd_kafka_message_destroy(msg);
			if (fatal) {
				k->code = EXIT_TEMP;
				return -2;
			}
			continue;
		}
		{
			struct part *pt = part_of(k, rd_kafka_topic_name(msg->rkt), msg->partition);
			if (pt)
				pt->eof = 0;
		}
		k->held = msg;
		m->p = msg->payload;
		m->n = msg->len;
		m->topic = rd_kafka_topic_name(msg->rkt);
		m->partition = msg->partition;
		m->offset = msg->offset;
		return 1;
	}
}

void kafka_src_read_on(struct kafka_src *k, int on)
{
	k->read_on = on;
}

void kafka_src_positions(struct kafka_src *k,
			 void (*fn)(void *ctx, const char *topic, int32_t part,
				    int64_t next),
			 void *ctx)
{
	int i;

	src_done(k);
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].next >= 0)
			fn(ctx, k->parts[i].topic, k->parts[i].partition, k->parts[i].next);
}

void kafka_src_positions_before(struct kafka_src *k,
				void (*fn)(void *ctx, const char *topic, int32_t part,
					   int64_t next),
				void *ctx)
{
	const char *ht = k->held ? rd_kafka_topic_name(k->held->rkt) : NULL;
	int i;

	for (i = 0; i < k->nparts; i++) {
		struct part *pt = &k->parts[i];
		if (ht && pt->partition == k->held->partition && !strcmp(pt->topic, ht))
			fn(ctx, pt->topic, pt->partition, k->held->offset);
		else if (pt->next >= 0)
			fn(ctx, pt->topic, pt->partition, pt->next);
	}
}

void kafka_src_commit(struct kafka_src *k)
{
	rd_kafka_topic_partition_list_t *l;
	int i;

	if (!k->member)
		return; /* a batch run over every partition: nothing to commit to */
	l = rd_kafka_topic_partition_list_new(k->nparts + 1);
	for (i = 0; i < k->nparts; i++)
		if (k->parts[i].next >= 0)
			rd_kafka_topic_partition_list_add(l, k->parts[i].topic,
							  k->parts[i].partition)->offset =
				k->parts[i].next;
	if (!l->cnt) {
		rd_kafka_topic_partition_list_destroy(l);
		return;
	}
	rd_kafka_commit(k->rk, l, 1);
	if (k->last_commit)
		rd_kafka_topic_partition_list_destroy(k->last_commit);
	k->last_commit = l;
}

int kafka_src_topic_partitions(struct kafka_src *k)
{
	if (k->topic_parts < 0)
		k->topic_parts = topic_partitions(k->rk, k->topic);
	return k->topic_parts;
}

int kafka_src_code(const struct kafka_src *k)
{
	return k->code;
}

void kafka_src_close(struct kafka_src *k)
{
	if (!k)
		return;
	src_done(k);
	k->revoke = NULL; /* the tool has committed already */
	if (k->last_commit) {
		/* the positions the store holds, to the group before leaving
		 * (the asynchronous commits may not have gone out yet): the next
		 * owner's fencing compares with them */
		rd_kafka_resp_err_t e = rd_kafka_commit(k->rk, k->last_commit, 0);
		if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
			cli_info("kafka: committing the offsets to the group: %s", rd_kafka_err2str(e));
		rd_kafka_topic_partition_list_destroy(k->last_commit);
		k->last_commit = NULL;
	}
	if (k->manual)
		rd_kafka_assign(k->rk, NULL);
	rd_kafka_consumer_close(k->rk);
	rd_kafka_destroy(k->rk);
	parts_clear(k);
	free(k->topic);
	free(k);
}

int kafka_parse_partitions(const char *s, int32_t *parts, int max)
{
	char seen[MAX_PARTS] = {0};
	int n = 0, i;
	const char *p = s;

	while (*p) {
		char *end;
		long a = strtol(p, &end, 10), b;
		if (end == p || a < 0 || a >= MAX_PARTS)
			return -1;
		b = a;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1 || b < a || b >= MAX_PARTS)
				return -1;
			p = end;
		}
		for (; a <= b; a++)
			seen[a] = 1;
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return -1;
	}
	for (i = 0; i < MAX_PARTS && n < max; i++)
		if (seen[i])
			parts[n++] = i;
	return n ? n : -1;
}

int kafka_lag(const char *brokers, const char *topic, const char *group,
	      const char *const *x, int nx, const int32_t *parts, int n,
	      int64_t *committed, int64_t *high, int timeout_ms)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *l;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_resp_err_t e;
	rd_kafka_t *rk;
	char err[512];
	int i, rc = 0;

	for (i = 0; i < n; i++)
		committed[i] = high[i] = -1;
	if (set(conf, "bootstrap.servers", brokers) || set(conf, "group.id", group) ||
	    set(conf, "enable.auto.commit", "false") || set_x(conf, x, nx)) {
		rd_kafka_conf_destroy(conf);
		return EXIT_CONFIG;
	}
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
	if (!rk) {
		cli_err("cannot create kafka consumer: %s", err);
		rd_kafka_conf_destroy(conf);
		return EXIT_CONFIG;
	}
	e = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
	if (e) {
		cli_err("kafka brokers '%s' unreachable: %s", brokers, rd_kafka_err2str(e));
		rd_kafka_destroy(rk);
		return EXIT_TEMP;
	}
	rd_kafka_metadata_destroy(md);
	l = rd_kafka_topic_partition_list_new(n ? n : 1);
	for (i = 0; i < n; i++)
		rd_kafka_topic_partition_list_add(l, topic, parts[i])->offset = RD_KAFKA_OFFSET_INVALID;
	if (n && (e = rd_kafka_committed(rk, l, timeout_ms))) {
		cli_err("cannot read the group's offsets of '%s': %s", topic, rd_kafka_err2str(e));
		rc = EXIT_TEMP;
	}
	for (i = 0; i < n && !rc; i++) {
		int64_t lo, hi;
		if (!l->elems[i].err && l->elems[i].offset >= 0)
			committed[i] = l->elems[i].offset;
		e = rd_kafka_query_watermark_offsets(rk, topic, parts[i], &lo, &hi, timeout_ms);
		if (e) {
			cli_err("cannot read the end of '%s'[%d]: %s", topic, (int)parts[i], rd_kafka_err2str(e));
			rc = EXIT_TEMP;
		} else {
			high[i] = hi;
		}
	}
	rd_kafka_topic_partition_list_destroy(l);
	rd_kafka_destroy(rk);
	return rc;
}

struct kafka_sink {
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	int parts; /* the topic's partitions, once asked; -1 unknown */
	unsigned long long failed;
	char first_error[256];
};

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *k = opaque;

	(void)rk;
	if (m->err) {
		if (!k->failed)
			snprintf(k->first_error, sizeof k->first_error, "%s",
				 rd_kafka_err2str(m->err));
		k->failed++;
	}
}

struct kafka_sink *kafka_sink_open(const char *brokers, const char *topic,
				   const char *const *x, int nx, int *code)
{
	struct kafka_sink *k = xcalloc(1, sizeof *k);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[512];

	*code = EXIT_CONFIG;
	if (set(conf, "bootstrap.servers", brokers) ||
	    set(conf, "enable.idempotence", "true") || set(conf, "linger.ms", "5") ||
	    set_x(conf, x, nx)) {
		rd_kafka_conf_destroy(conf);
		free(k);
		return NULL;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_opaque(conf, k);
	k->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!k->rk) {
		cli_err("cannot create kafka producer: %s", err);
		rd_kafka_conf_destroy(conf);
		free(k);
		return NULL;
	}
	if (reachable(k->rk, topic, brokers)) {
		*code = EXIT_TEMP;
		rd_kafka_destroy(k->rk);
		free(k);
		return NULL;
	}
	k->rkt = rd_kafka_topic_new(k->rk, topic, NULL);
	k->parts = -1;
	*code = 0;
	return k;
}

static int produce(struct kafka_sink *k, int32_t part, const void *key, size_t klen,
		   const void *p, size_t n)
{
	for (;;) {
		if (rd_kafka_produce(k->rkt, part, RD_KAFKA_MSG_F_COPY,
				     (void *)p, n, key, klen, NULL) == 0)
			break;
		if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			cli_err("kafka produce to '%s': %s", rd_kafka_topic_name(k->rkt),
				rd_kafka_err2str(rd_kafka_last_error()));
			return EXIT_TEMP;
		}
		if (!cli_stop_left_ms()) {
			cli_err("kafka produce to '%s': stopped with the queue full",
				rd_kafka_topic_name(k->rkt));
			return EXIT_TEMP;
		}
		rd_kafka_poll(k->rk, 50);
	}
	rd_kafka_poll(k->rk, 0);
	if (k->failed) {
		cli_err("kafka: %llu record(s) not delivered to '%s': %s", k->failed,
			rd_kafka_topic_name(k->rkt), k->first_error);
		return EXIT_TEMP;
	}
	return 0;
}

int kafka_sink_write(struct kafka_sink *k, const void *key, size_t klen,
		     const void *p, size_t n)
{
	return produce(k, RD_KAFKA_PARTITION_UA, key, klen, p, n);
}

int kafka_sink_partitions(struct kafka_sink *k)
{
	if (k->parts < 0)
		k->parts = topic_partitions(k->rk, rd_kafka_topic_name(k->rkt));
	return k->parts;
}

int kafka_sink_write_part(struct kafka_sink *k, int32_t part, const void *p, size_t n)
{
	int i, rc, np;

	if (part >= 0)
		return produce(k, part, NULL, 0, p, n);
	np = kafka_sink_partitions(k);
	if (np <= 0) {
		cli_err("kafka: cannot read the partitions of '%s' to write a clock record to each",
			rd_kafka_topic_name(k->rkt));
		return EXIT_TEMP;
	}
	for (i = 0; i < np; i++)
		if ((rc = produce(k, i, NULL, 0, p, n)))
			return rc;
	return 0;
}

int kafka_sink_flush(struct kafka_sink *k)
{
	while (rd_kafka_outq_len(k->rk) > 0) {
		/* a stop waits out its grace, then leaves the batch
		 * uncommitted (its records are produced again by a rerun) */
		long left = cli_stop_left_ms();
		rd_kafka_resp_err_t e = rd_kafka_flush(k->rk, left < 0 ? 1000 : left > 100 ? 100 : (int)left);
		if (e && e != RD_KAFKA_RESP_ERR__TIMED_OUT) {
			cli_err("kafka flush: %s", rd_kafka_err2str(e));
			return EXIT_TEMP;
		}
		if (e && !cli_stop_left_ms()) {
			cli_err("kafka flush to '%s': stopped with %d record(s) not delivered",
				rd_kafka_topic_name(k->rkt), rd_kafka_outq_len(k->rk));
			return EXIT_TEMP;
		}
	}
	if (k->failed) {
		cli_err("kafka: %llu record(s) not delivered to '%s': %s", k->failed,
			rd_kafka_topic_name(k->rkt), k->first_error);
		return EXIT_TEMP;
	}
	return 0;
}

void kafka_sink_close(struct kafka_sink *k)
{
	if (!k)
		return;
	rd_kafka_topic_destroy(k->rkt);
	rd_kafka_destroy(k->rk);
	free(k);
}
