#include "endpoint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int ep_in_open(struct ep_in *e, const char *spec, const struct ep_cfg *cfg)
{
	char *brokers = NULL, *topic = NULL;
	int rc;

	memset(e, 0, sizeof *e);
	e->spec = spec;
	e->max_line = cfg->max_line ? cfg->max_line : 1 << 20;
	rc = kafka_parse_url(spec, &brokers, &topic);
	if (rc < 0) {
		cli_err("bad kafka address '%s': want kafka://host:port,…/topic", spec);
		return EXIT_USAGE;
	}
	if (rc > 0) {
		int code;
		e->kafka = 1;
		e->topic = topic;
		e->k = kafka_src_open(brokers, topic, cfg->group ? cfg->group : "uops",
				      cfg->x, cfg->nx, cfg->exit_at_end, cfg->parts, cfg->nparts, cfg->offset,
				      cfg->revoke, cfg->ctx, &code);
		free(brokers);
		if (!e->k) {
			free(topic);
			e->topic = NULL;
			return code;
		}
		return 0;
	}
	if (input_open(&e->in, spec)) {
		cli_err("cannot read '%s': %s", spec, e->in.err);
		return EXIT_IO;
	}
	lines_init(&e->lines, &e->in, e->max_line);
	e->in.idle_ok = 1;
	return 0;
}

int ep_in_next(struct ep_in *e, struct ep_rec *r)
{
	int rc;

	if (!e->kafka) {
		rc = lines_next(&e->lines, &r->p, &r->n, &r->flags);
		if (rc == 2)
			return 2;
		if (rc < 0) {
			cli_err("cannot read '%s': %s", e->in.name, e->in.err);
			e->code = EXIT_IO;
			return -1;
		}
		r->total = e->lines.total;
		/* a line from a CRLF file ends before its \r, as a Kafka
		 * message does */
		if (rc == 1 && !(r->flags & LINE_TOO_LONG))
			while (r->n && r->p[r->n - 1] == '\r')
				r->n--;
		return rc;
	}
	rc = kafka_src_next(e->k, &e->msg, 1000);
	if (rc == 0)
		return 2;
	if (rc == -1)
		return 0;
	if (rc == -2) {
		e->code = kafka_src_code(e->k);
		return -1;
	}
	r->p = e->msg.p ? e->msg.p : "";
	r->n = e->msg.n;
	while (r->n && (r->p[r->n - 1] == '\n' || r->p[r->n - 1] == '\r'))
		r->n--;
	r->flags = 0;
	r->total = r->n;
	if (r->n > e->max_line) {
		r->flags = LINE_TOO_LONG;
		r->n = e->max_line < LINES_PREFIX ? e->max_line : LINES_PREFIX;
	}
	return 1;
}

void ep_in_where(const struct ep_in *e, struct buf *b)
{
	if (e->kafka)
		buf_printf(b, "%s[%d]@%lld", e->msg.topic ? e->msg.topic : e->topic,
			   (int)e->msg.partition, (long long)e->msg.offset);
	else
		buf_printf(b, "%s:%lu", e->in.name, e->lines.lineno);
}

void ep_in_close(struct ep_in *e)
{
	if (e->kafka) {
		kafka_src_close(e->k);
		e->k = NULL;
		free(e->topic);
		e->topic = NULL;
	} else {
		lines_release(&e->lines);
		input_close(&e->in);
	}
}

int ep_out_open(struct ep_out *o, const char *spec, const struct ep_cfg *cfg)
{
	char *brokers = NULL, *topic = NULL;
	int rc;

	memset(o, 0, sizeof *o);
	o->spec = spec;
	rc = kafka_parse_url(spec, &brokers, &topic);
	if (rc < 0) {
		cli_err("bad kafka address '%s': want kafka://host:port,…/topic", spec);
		return EXIT_USAGE;
	}
	if (rc > 0) {
		int code;
		o->k = kafka_sink_open(brokers, topic, cfg->x, cfg->nx, &code);
		free(brokers);
		free(topic);
		if (!o->k)
			return code;
		o->open = 1;
		return 0;
	}
	if (output_open(&o->out, spec)) {
		cli_err("cannot write '%s': %s", spec, o->out.err);
		return EXIT_IO;
	}
	o->open = 1;
	return 0;
}

/* The exit code of a failed write, said once: a reader gone is quiet
 * (141, as a process ended by SIGPIPE); a stop that found the output
 * blocked is 75 (the batch is not committed: a rerun does it again). */
static int out_failed(struct ep_out *o, const char *name)
{
	if (o->out.closed)
		return EXIT_PIPE;
	if (!o->said)
		cli_err("cannot write '%s': %s", name, o->out.err);
	o->said = 1;
	return o->out.stopped ? EXIT_TEMP : EXIT_IO;
}

int ep_out_write(struct ep_out *o, const void *key, size_t klen, const char *p,
		 size_t n)
{
	if (o->k)
		return kafka_sink_write(o->k, key, klen, p, n);
	if (output_write_line(&o->out, p, n))
		return out_failed(o, o->out.name);
	return 0;
}

int ep_out_write_clock(struct ep_out *o, const char *p, size_t n, int32_t part, int nparts)
{
	if (!o->k)
		return ep_out_write(o, NULL, 0, p, n);
	if (part >= 0 && nparts > 0 && kafka_sink_partitions(o->k) == nparts)
		return kafka_sink_write_part(o->k, part, p, n);
	return kafka_sink_write_part(o->k, -1, p, n);
}

int ep_out_flush(struct ep_out *o)
{
	if (o->k)
		return kafka_sink_flush(o->k);
	if (output_flush(&o->out))
		return out_failed(o, o->out.name);
	return 0;
}

int ep_out_close(struct ep_out *o)
{
	int rc = 0;

	if (!o->open)
		return 0;
	o->open = 0;
	if (o->k) {
		rc = kafka_sink_flush(o->k);
		kafka_sink_close(o->k);
		o->k = NULL;
		return rc;
	}
	if (output_close(&o->out, 0))
		return out_failed(o, o->spec);
	return 0;
}
