/*
 * t-endpoint - records in and out through files, zstd files and Kafka.
 *
 * Files live in a temporary directory. Kafka runs against librdkafka's mock
 * cluster, created in this process: a real broker protocol endpoint on
 * loopback, so producer, consumer, offsets and partition ends all go over
 * the wire as with a real cluster.
 */
#include <fcntl.h>
#include <ftw.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "endpoint.h"
#include "kafka.h"
#include "t.h"

static char dir[] = "/tmp/uops-t-endpoint-XXXXXX";
static char pathbuf[4][512];
static int pathn;

static const char *at(const char *name)
{
	char *p = pathbuf[pathn++ % 4];

	snprintf(p, sizeof pathbuf[0], "%s/%s", dir, name);
	return p;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Raw bytes of path, appended to b. */
static void slurp(const char *path, struct buf *b)
{
	int fd = open(path, O_RDONLY);
	char tmp[65536];
	ssize_t r;

	if (fd < 0)
		return;
	while ((r = read(fd, tmp, sizeof tmp)) > 0)
		buf_add(b, tmp, (size_t)r);
	close(fd);
	if (!b->p)
		buf_adds(b, "");
}

static void put_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	size_t n = strlen(s);

	if (fd < 0 || write(fd, s, n) != (ssize_t)n) {
		perror(path);
		exit(2);
	}
	close(fd);
}

/* stderr goes to a file between capture_start and capture_end, which
 * returns what was written (into b, replaced). */
static int saved_stderr = -1;

static void capture_start(void)
{
	int fd;

	fflush(stderr);
	fd = open(at("stderr"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		perror("stderr capture");
		exit(2);
	}
	saved_stderr = dup(2);
	dup2(fd, 2);
	close(fd);
}

static void capture_end(struct buf *b)
{
	fflush(stderr);
	dup2(saved_stderr, 2);
	close(saved_stderr);
	saved_stderr = -1;
	buf_reset(b);
	slurp(at("stderr"), b);
}

static const unsigned char zmagic[4] = { 0x28, 0xb5, 0x2f, 0xfd };

static void test_file_out_in(void)
{
	struct ep_cfg cfg = {0};
	struct ep_out o;
	struct ep_in e;
	struct ep_rec r;
	struct buf b = BUF_INIT;
	int rc, i;

	/* a plain file: one line per record */
	T_EQ_INT(ep_out_open(&o, at("out.ndjson"), &cfg), 0);
	T_EQ_INT(ep_out_write(&o, "k1", 2, "{\"a\":1}", 7), 0);
	T_EQ_INT(ep_out_write(&o, NULL, 0, "{\"b\":2}", 7), 0);
	T_EQ_INT(ep_out_write(&o, "k3", 2, "", 0), 0);
	T_EQ_INT(ep_out_flush(&o), 0);
	slurp(at("out.ndjson"), &b);
	T_EQ_STR(b.p, "{\"a\":1}\n{\"b\":2}\n\n");
	T_EQ_INT(ep_out_close(&o), 0);
	T_EQ_INT(ep_out_close(&o), 0); /* a second close does nothing */
	buf_reset(&b);
	slurp(at("out.ndjson"), &b);
	T_EQ_STR(b.p, "{\"a\":1}\n{\"b\":2}\n\n");

	/* read back, with where each record came from */
	T_EQ_INT(ep_in_open(&e, at("out.ndjson"), &cfg), 0);
	T_EQ_INT(e.kafka, 0);
	T_EQ_INT(e.max_line, 1 << 20);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 7 && !memcmp(r.p, "{\"a\":1}", 7));
	T_EQ_INT(r.flags, 0);
	T_EQ_INT(r.total, 7);
	buf_reset(&b);
	ep_in_where(&e, &b);
	T_EQ_STR(b.p, at("out.ndjson:1"));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 7 && !memcmp(r.p, "{\"b\":2}", 7));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_EQ_INT(r.n, 0);
	buf_reset(&b);
	buf_adds(&b, "at ");
	ep_in_where(&e, &b); /* appends */
	buf_reset(&b);
	ep_in_where(&e, &b);
	T_EQ_STR(b.p, at("out.ndjson:3"));
	T_EQ_INT(ep_in_next(&e, &r), 0);
	T_EQ_INT(ep_in_next(&e, &r), 0);
	ep_in_close(&e);

	/* zstd: compressed on the way out, identical on the way in */
	T_EQ_INT(ep_out_open(&o, at("out.ndjson.zst"), &cfg), 0);
	for (i = 0; i < 3; i++) {
		char rec[64];
		int n = snprintf(rec, sizeof rec,
				 "{\"i\":%d,\"s\":\"caf\xc3\xa9 %d\"}", i, i * i);
		T_EQ_INT(ep_out_write(&o, NULL, 0, rec, (size_t)n), 0);
	}
	T_EQ_INT(ep_out_close(&o), 0);
	buf_reset(&b);
	slurp(at("out.ndjson.zst"), &b);
	T_OK(b.len > 4 && !memcmp(b.p, zmagic, 4));
	T_OK(strstr(b.p + 4, "caf") == NULL || b.len < 60);
	T_EQ_INT(ep_in_open(&e, at("out.ndjson.zst"), &cfg), 0);
	T_EQ_INT(e.in.zstd, 1);
	for (i = 0; i < 3; i++) {
		char rec[64], where[600];
		int n = snprintf(rec, sizeof rec,
				 "{\"i\":%d,\"s\":\"caf\xc3\xa9 %d\"}", i, i * i);
		rc = ep_in_next(&e, &r);
		T_EQ_INT(rc, 1);
		if (rc != 1)
			break;
		T_OK(r.n == (size_t)n && !memcmp(r.p, rec, r.n));
		T_EQ_INT(r.flags, 0);
		buf_reset(&b);
		ep_in_where(&e, &b);
		snprintf(where, sizeof where, "%s:%d", at("out.ndjson.zst"), i + 1);
		T_EQ_STR(b.p, where);
	}
	T_EQ_INT(ep_in_next(&e, &r), 0);
	ep_in_close(&e);

	/* too long lines, and a last line without newline */
	put_file(at("long.ndjson"), "short\n01234567890123456789\nok\nlast");
	cfg.max_line = 8;
	T_EQ_INT(ep_in_open(&e, at("long.ndjson"), &cfg), 0);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 5 && !memcmp(r.p, "short", 5));
	T_EQ_INT(r.flags, 0);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_EQ_INT(r.flags, LINE_TOO_LONG);
	T_EQ_INT(r.total, 20);
	T_EQ_INT(r.n, 8);
	T_OK(!memcmp(r.p, "01234567", 8));
	buf_reset(&b);
	ep_in_where(&e, &b);
	T_EQ_STR(b.p, at("long.ndjson:2"));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 2 && !memcmp(r.p, "ok", 2));
	T_EQ_INT(r.flags, 0);
	T_EQ_INT(r.total, 2);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 4 && !memcmp(r.p, "last", 4));
	T_EQ_INT(r.flags, LINE_NO_NEWLINE);
	T_EQ_INT(ep_in_next(&e, &r), 0);
	ep_in_close(&e);
	cfg.max_line = 0;

	/* CRLF lines end before the \r (every \r at the end); one inside
	 * stays, and so does a \r of a line cut for its length */
	put_file(at("crlf.ndjson"), "{\"a\":1}\r\n\r\n{\"b\":\r2}\r\r\nx\ry\n{\"c\":3}\r");
	T_EQ_INT(ep_in_open(&e, at("crlf.ndjson"), &cfg), 0);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 7 && !memcmp(r.p, "{\"a\":1}", 7));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_EQ_INT(r.n, 0);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 8 && !memcmp(r.p, "{\"b\":\r2}", 8));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 3 && !memcmp(r.p, "x\ry", 3));
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_OK(r.n == 7 && !memcmp(r.p, "{\"c\":3}", 7));
	T_EQ_INT(r.flags, LINE_NO_NEWLINE);
	T_EQ_INT(ep_in_next(&e, &r), 0);
	ep_in_close(&e);
	put_file(at("crlf.ndjson"), "0123456789\r\r\r\n");
	cfg.max_line = 8;
	T_EQ_INT(ep_in_open(&e, at("crlf.ndjson"), &cfg), 0);
	T_EQ_INT(ep_in_next(&e, &r), 1);
	T_EQ_INT(r.flags, LINE_TOO_LONG);
	T_EQ_INT(r.total, 13);
	ep_in_close(&e);
	cfg.max_line = 0;

	/* errors: a missing file, a directory that does not exist */
	capture_start();
	rc = ep_in_open(&e, at("missing.ndjson"), &cfg);
	capture_end(&b);
	T_EQ_INT(rc, EXIT_IO);
	T_OK(strstr(b.p, "cannot read") != NULL);
	capture_start();
	rc = ep_out_open(&o, at("no/such/dir.ndjson"), &cfg);
	capture_end(&b);
	T_EQ_INT(rc, EXIT_IO);
	T_OK(strstr(b.p, "cannot write") != NULL);
	T_EQ_INT(ep_out_close(&o), 0); /* never opened: nothing to do */
	buf_release(&b);
}

static void url_ok(const char *spec, const char *brokers, const char *topic,
		   int line)
{
	char *b = NULL, *t = NULL;
	int rc = kafka_parse_url(spec, &b, &t);

	t_run++;
	if (rc != 1 || !b || !t || strcmp(b, brokers) || strcmp(t, topic)) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s: %d '%s' '%s'\n", __FILE__, line, spec,
			rc, b ? b : "(null)", t ? t : "(null)");
	}
	free(b);
	free(t);
}

static void url_rc(const char *spec, int want, int line)
{
	char *b = NULL, *t = NULL;
	int rc = kafka_parse_url(spec, &b, &t);

	t_run++;
	if (rc != want || b || t) {
		t_failed++;
		fprintf(stderr, "%s:%d: %s: %d, want %d\n", __FILE__, line, spec,
			rc, want);
	}
	free(b);
	free(t);
}

static void test_urls(void)
{
	struct ep_cfg cfg = {0};
	struct ep_in e;
	struct ep_out o;
	struct buf b = BUF_INIT;
	static const char *const bad[] = {
		"kafka://", "kafka://host", "kafka://host/", "kafka://h/t/x",
		"kafka:///t", "kafka://h:9092/t/",
	};
	size_t i;

	url_ok("kafka://h1:9092,h2:9092/topic", "h1:9092,h2:9092", "topic", __LINE__);
	url_ok("kafka://localhost:9092/events.raw", "localhost:9092", "events.raw",
	       __LINE__);
	url_ok("kafka://h/t", "h", "t", __LINE__);

	url_rc("out.ndjson", 0, __LINE__);
	url_rc("-", 0, __LINE__);
	url_rc("", 0, __LINE__);
	url_rc("kafka:/h/t", 0, __LINE__);
	url_rc("KAFKA://h/t", 0, __LINE__);
	url_rc("dir/kafka://h/t", 0, __LINE__);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		url_rc(bad[i], -1, __LINE__);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc;
		capture_start();
		rc = ep_in_open(&e, bad[i], &cfg);
		capture_end(&b);
		T_EQ_INT(rc, EXIT_USAGE);
		T_OK(strstr(b.p, "bad kafka address") != NULL);
		capture_start();
		rc = ep_out_open(&o, bad[i], &cfg);
		capture_end(&b);
		T_EQ_INT(rc, EXIT_USAGE);
		T_OK(strstr(b.p, "bad kafka address") != NULL);
		T_EQ_INT(ep_out_close(&o), 0);
	}
	buf_release(&b);
}

/* Kafka */

#define NREC 100
#define NPART 2

struct positions {
	int64_t next[NPART];
	int calls;
	int other; /* calls for a topic or partition not expected */
	int delta; /* what the offset callback adds to a stored position */
};

static int64_t no_offset(void *ctx, const char *topic, int32_t part, int64_t group)
{
	(void)group;
	struct positions *p = ctx;

	p->calls++;
	if (strcmp(topic, "t") || part < 0 || part >= NPART)
		p->other++;
	return -1;
}

static int64_t stored_offset(void *ctx, const char *topic, int32_t part, int64_t group)
{
	(void)group;
	struct positions *p = ctx;

	p->calls++;
	if (strcmp(topic, "t") || part < 0 || part >= NPART) {
		p->other++;
		return -1;
	}
	return p->next[part] >= 0 ? p->next[part] + p->delta : -1;
}

static void collect(void *ctx, const char *topic, int32_t part, int64_t next)
{
	struct positions *p = ctx;

	if (strcmp(topic, "t") || part < 0 || part >= NPART)
		p->other++;
	else
		p->next[part] = next;
}

static int payload(char *p, size_t cap, int i)
{
	/* some end in a newline, which the reader drops */
	return snprintf(p, cap, "{\"rec\":%03d}%s", i,
			i % 10 == 3 ? "\n" : i % 10 == 7 ? "\r\n" : "");
}

/* Read everything until the end; fills seen[] (record numbers), returns the
 * count of records or -1 on error. */
static int read_all(struct ep_in *e, int *seen, struct buf *last_where)
{
	struct ep_rec r;
	int idle = 0, n = 0, rc;

	while ((rc = ep_in_next(e, &r)) != 0) {
		int k;
		if (rc == 2) {
			if (++idle >= 60)
				return -1;
			continue;
		}
		if (rc < 0)
			return -1;
		n++;
		if (r.flags || r.total != r.n)
			return -1;
		if (r.n == 11 && sscanf(r.p, "{\"rec\":%3d}", &k) == 1 &&
		    k >= 0 && k < NREC && r.p[10] == '}')
			seen[k]++;
		else
			return -1;
		buf_reset(last_where);
		ep_in_where(e, last_where);
	}
	return n;
}

static void test_kafka(void)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;
	char err[512], spec[512];
	struct ep_cfg cfg = {0};
	struct ep_out o;
	struct ep_in e;
	struct ep_rec r;
	struct positions pos;
	struct buf where = BUF_INIT;
	int seen[NREC], i, n, rc, total, dup, missing, idle;

	/* the cluster's own client needs no brokers: keep it from saying so */
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	T_OK(rk != NULL);
	if (!rk) {
		fprintf(stderr, "rd_kafka_new: %s\n", err);
		rd_kafka_conf_destroy(conf);
		return;
	}
	mc = rd_kafka_mock_cluster_new(rk, 1);
	T_OK(mc != NULL);
	if (!mc) {
		rd_kafka_destroy(rk);
		return;
	}
	T_EQ_INT(rd_kafka_mock_topic_create(mc, "t", NPART, 1), 0);
	snprintf(spec, sizeof spec, "kafka://%s/t",
		 rd_kafka_mock_cluster_bootstraps(mc));

	/* 100 keyed records */
	T_EQ_INT(ep_out_open(&o, spec, &cfg), 0);
	T_OK(o.k != NULL);
	for (i = 0; i < NREC; i++) {
		char key[16], p[32];
		int kn = snprintf(key, sizeof key, "key-%d", i);
		int pn = payload(p, sizeof p, i);
		T_EQ_INT(ep_out_write(&o, key, (size_t)kn, p, (size_t)pn), 0);
	}
	T_EQ_INT(ep_out_flush(&o), 0);
	T_EQ_INT(ep_out_close(&o), 0);

	/* read them all, from the start */
	memset(&pos, 0, sizeof pos);
	for (i = 0; i < NPART; i++)
		pos.next[i] = -1;
	memset(seen, 0, sizeof seen);
	cfg.exit_at_end = 1;
	cfg.group = "g";
	cfg.offset = no_offset;
	cfg.ctx = &pos;
	T_EQ_INT(ep_in_open(&e, spec, &cfg), 0);
	T_EQ_INT(e.kafka, 1);
	T_OK(e.k != NULL);
	n = read_all(&e, seen, &where);
	T_EQ_INT(n, NREC);
	total = dup = missing = 0;
	for (i = 0; i < NREC; i++) {
		if (seen[i] > 1)
			dup++;
		if (!seen[i])
			missing++;
	}
	T_EQ_INT(dup, 0);
	T_EQ_INT(missing, 0);
	T_EQ_INT(pos.calls, NPART);
	/* the last record's place: "t[P]@O" */
	{
		int part = -1;
		long long off = -1;
		char tail = 0;
		T_OK(sscanf(where.p, "t[%d]@%lld%c", &part, &off, &tail) == 2);
		T_OK(part >= 0 && part < NPART && off >= 0 && off < NREC);
	}
	T_EQ_INT(ep_in_next(&e, &r), 0); /* stays at the end */
	kafka_src_positions(e.k, collect, &pos);
	T_EQ_INT(pos.other, 0);
	for (i = 0; i < NPART; i++)
		if (pos.next[i] > 0)
			total += (int)pos.next[i];
	T_EQ_INT(total, NREC);
	/* keyed records spread over both partitions */
	T_OK(pos.next[0] > 0 && pos.next[1] > 0);
	ep_in_close(&e);

	/* from the stored positions: nothing more to read */
	pos.calls = 0;
	cfg.offset = stored_offset;
	memset(seen, 0, sizeof seen);
	T_EQ_INT(ep_in_open(&e, spec, &cfg), 0);
	T_EQ_INT(read_all(&e, seen, &where), 0);
	T_EQ_INT(pos.calls, NPART);
	T_EQ_INT(pos.other, 0);
	ep_in_close(&e);

	/* one before each stored position: the last record of each partition
	 * again, through a small line limit */
	pos.calls = 0;
	pos.delta = -1;
	cfg.max_line = 4;
	T_EQ_INT(ep_in_open(&e, spec, &cfg), 0);
	n = idle = 0;
	while ((rc = ep_in_next(&e, &r)) != 0 && idle < 60) {
		if (rc == 2) {
			idle++;
			continue;
		}
		if (rc < 0)
			break;
		n++;
		T_EQ_INT(r.flags, LINE_TOO_LONG);
		T_EQ_INT(r.total, 11);
		T_EQ_INT(r.n, 4);
		T_OK(r.n <= r.total && !memcmp(r.p, "{\"re", 4));
		T_OK(e.msg.partition >= 0 && e.msg.partition < NPART &&
		     e.msg.offset == pos.next[e.msg.partition] - 1);
	}
	T_EQ_INT(rc, 0);
	T_EQ_INT(n, NPART);
	ep_in_close(&e);

	buf_release(&where);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
}

/* --partitions: lists and ranges, each once, ascending */
static void test_partitions(void)
{
	int32_t p[16];

	T_EQ_INT(kafka_parse_partitions("0,1", p, 16), 2);
	T_OK(p[0] == 0 && p[1] == 1);
	T_EQ_INT(kafka_parse_partitions("3,0-2,2", p, 16), 4);
	T_OK(p[0] == 0 && p[1] == 1 && p[2] == 2 && p[3] == 3);
	T_EQ_INT(kafka_parse_partitions("7", p, 16), 1);
	T_EQ_INT(p[0], 7);
	T_EQ_INT(kafka_parse_partitions("", p, 16), -1);
	T_EQ_INT(kafka_parse_partitions("1,", p, 16), -1);
	T_EQ_INT(kafka_parse_partitions("a", p, 16), -1);
	T_EQ_INT(kafka_parse_partitions("2-1", p, 16), -1);
	T_EQ_INT(kafka_parse_partitions("-1", p, 16), -1);
	T_EQ_INT(kafka_parse_partitions("0 1", p, 16), -1);
}

int main(void)
{
	test_partitions();
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	test_file_out_in();
	test_urls();
	test_kafka();
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return t_done("endpoint");
}
