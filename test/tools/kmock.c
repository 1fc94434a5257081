/*
 * kmock - host librdkafka's mock cluster on loopback for tests.
 *
 *   kmock [-b BROKERS] [-p PARTITIONS] [-f ADDRFILE] TOPIC…
 *
 * Creates the topics, writes the bootstrap address to ADDRFILE (or
 * stdout), then serves until SIGTERM/SIGINT. Real clients (kcat, the uops
 * tools) talk to it over TCP as to any Kafka cluster.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;
	char err[512];
	const char *addrfile = NULL;
	int brokers = 1, parts = 1, opt, i;
	FILE *f;

	while ((opt = getopt(argc, argv, "b:p:f:")) != -1) {
		switch (opt) {
		case 'b': brokers = atoi(optarg); break;
		case 'p': parts = atoi(optarg); break;
		case 'f': addrfile = optarg; break;
		default:
			fprintf(stderr, "usage: kmock [-b BROKERS] [-p PARTITIONS] [-f ADDRFILE] TOPIC...\n");
			return 64;
		}
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rd_kafka_conf_set(conf, "log_level", "3", err, sizeof err);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "kmock: %s\n", err);
		return 70;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "kmock: cannot create mock cluster\n");
		return 70;
	}
	for (i = optind; i < argc; i++)
		if (rd_kafka_mock_topic_create(mc, argv[i], parts, brokers < 3 ? brokers : 3)) {
			fprintf(stderr, "kmock: cannot create topic '%s'\n", argv[i]);
			return 70;
		}
	if (addrfile) {
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", addrfile);
		f = fopen(tmp, "w");
		if (!f || fprintf(f, "%s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 ||
		    fclose(f) || rename(tmp, addrfile)) {
			fprintf(stderr, "kmock: cannot write '%s'\n", addrfile);
			return 74;
		}
	} else {
		printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
		fflush(stdout);
	}
	while (!stop)
		pause();
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
