#include "filter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"

int filter_open(struct filter *f)
{
	struct ep_cfg cfg = {0};
	int rc;

	cfg.x = f->cli->x;
	cfg.nx = f->cli->nx;
	f->oc.strict = f->cli->strict;
	if ((rc = ep_out_open(&f->out, f->cli->out, &cfg)))
		return rc;
	return outcome_open(&f->oc, f->cli->rejects, &cfg);
}

/* Is p[0..n) a clock record ($tick)? Keyless records are few (system
 * records for no one person), so a parse each costs little. */
static int is_clock(struct filter *f, const char *p, size_t n)
{
	struct json_doc *d = f->tick_doc;
	const char *why;
	size_t at;
	uint32_t t;

	if (!d)
		d = f->tick_doc = xcalloc(1, sizeof *d);
	if (json_parse(d, p, n, 64, &why, &at) || d->t[0].type != JSON_OBJECT)
		return 0;
	t = json_get(d, 0, "type", 4);
	return t && json_str_eq(d, t, "$tick", 5);
}

int filter_emit(struct filter *f, const void *key, size_t klen, const char *p, size_t n)
{
	int rc;

	if (!klen && f->out.k && is_clock(f, p, n)) {
		int kin = f->in && f->in->kafka;
		rc = ep_out_write_clock(&f->out, p, n, kin ? (int32_t)f->stream : -1,
					kin ? kafka_src_topic_partitions(f->in->k) : 0);
	} else {
		rc = ep_out_write(&f->out, key, klen, p, n);
	}

	if (rc)
		f->fatal = rc;
	return rc;
}

int filter_emit_input(struct filter *f, const void *key, size_t klen, const char *p, size_t n)
{
	int rc;

	if (!f->in || !f->in->kafka || !f->in_spec)
		return 1;
	if (!f->back) {
		char *brokers, *topic;
		if (kafka_parse_url(f->in_spec, &brokers, &topic) != 1)
			return 1;
		f->back = kafka_sink_open(brokers, topic, f->cli->x, f->cli->nx, &rc);
		free(brokers);
		free(topic);
		if (!f->back)
			return f->fatal = rc;
	}
	if ((rc = kafka_sink_write(f->back, key, klen, p, n)))
		f->fatal = rc;
	return rc;
}

static void put_offset(void *ctx, const char *topic, int32_t part, int64_t next)
{
	struct filter *f = ctx;
	size_t i;

	for (i = 0; i < f->nheld; i++)
		if (f->held[i].part == part && !strcmp(f->held[i].topic, topic) &&
		    f->held[i].offset < next)
			next = f->held[i].offset;
	store_offset_put(f->st, topic, part, next);
}

void filter_hold(struct filter *f)
{
	const struct kafka_msg *m;
	size_t i;

	if (!f->in)
		return;
	if (!f->in->kafka) {
		if (!f->held_line)
			f->held_line = f->in->lines.lineno;
		return;
	}
	m = &f->in->msg;
	for (i = 0; i < f->nheld; i++)
		if (f->held[i].part == m->partition && !strcmp(f->held[i].topic, m->topic))
			return;
	if (f->nheld == f->held_cap) {
		f->held_cap = f->held_cap ? 2 * f->held_cap : 4;
		f->held = xrealloc(f->held, f->held_cap * sizeof *f->held);
	}
	f->held[f->nheld].topic = xstrdup(m->topic);
	f->held[f->nheld].part = m->partition;
	f->held[f->nheld++].offset = m->offset;
}

void filter_release(struct filter *f, const char *topic, int32_t part)
{
	size_t i, j;

	for (i = j = 0; i < f->nheld; i++) {
		if (!topic || (f->held[i].part == part && !strcmp(f->held[i].topic, topic)))
			free(f->held[i].topic);
		else
			f->held[j++] = f->held[i];
	}
	f->nheld = j;
	if (!topic)
		f->held_line = 0;
}

static int commit(struct filter *f, int mid)
{
	int rc;

	mid |= f->redo;
	if ((rc = ep_out_flush(&f->out)) || (rc = outcome_flush(&f->oc)))
		return rc;
	if (f->back && (rc = kafka_sink_flush(f->back)))
		return rc;
	if (f->before_commit && (rc = f->before_commit(f->ctx)))
		return rc;
	if (f->in && f->in->kafka) {
		if (mid)
			kafka_src_positions_before(f->in->k, put_offset, f);
		else
			kafka_src_positions(f->in->k, put_offset, f);
	} else if (f->in && f->resume_key) {
		int64_t done = (int64_t)f->in->lines.lineno - (mid && f->in->lines.lineno);
		if (f->held_line && (int64_t)f->held_line - 1 < done)
			done = (int64_t)f->held_line - 1;
		store_offset_put(f->st, f->resume_key, 0, done);
	}
	if ((rc = store_commit(f->st)))
		return rc;
	if (f->after_commit)
		f->after_commit(f->ctx);
	/* the group's offsets are for watching lag; with records held they
	 * would be past them: the store alone says where to resume */
	if (f->in && f->in->kafka && !mid && !f->nheld)
		kafka_src_commit(f->in->k);
	return 0;
}

int filter_commit(struct filter *f)
{
	return commit(f, 0);
}

int filter_commit_mid(struct filter *f)
{
	return commit(f, 1);
}

void filter_stop_mid(struct filter *f)
{
	f->redo = 1;
}

static int64_t get_offset(void *ctx, const char *topic, int32_t part, int64_t group)
{
	struct filter *f = ctx;
	int64_t stored = store_offset_get(f->st, topic, part);

	if (!f->fence || group < 0)
		return stored;
	if (stored < 0) {
		cli_err("partition '%s[%d]': this store does not own it, and the group has consumed it up to "
			"offset %lld: its state is in another store; move it here first (%s partition export, "
			"partition import)", topic, (int)part, (long long)group, cli_prog);
		return KAFKA_REFUSE;
	}
	/* the group's offset trails the store's after a crash (it is
	 * committed after the store); ahead of it, another store went on */
	if (stored < group) {
		cli_err("partition '%s[%d]': the stored offset %lld is behind the group's %lld: another store "
			"has consumed it since; this store's state of it is stale (move the partition's state "
			"here again, or drop it: %s partition drop)", topic, (int)part, (long long)stored,
			(long long)group, cli_prog);
		return KAFKA_REFUSE;
	}
	return stored;
}

static void on_revoke(void *ctx)
{
	struct filter *f = ctx;
	int rc = filter_commit(f);

	if (rc)
		f->fatal = rc;
	if (f->revoked)
		f->revoked(f->ctx);
	filter_release(f, NULL, 0);
}

int filter_after_record(struct filter *f)
{
	if (f->fatal)
		return f->fatal;
	if (f->oc.fatal)
		return f->oc.fatal;
	if (f->oc.strict_hit)
		return EXIT_DATA;
	if ((long)store_pending(f->st) >= f->batch)
		return filter_commit(f);
	/* a steady stream that never idles still commits every commit_ms (the
	 * wall clock paces batches only; it decides nothing about the data) */
	if (!(++f->since_check & 1023) && f->commit_ms > 0) {
		struct timespec now;
		int64_t ms;

		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
		if (!f->last_commit_ms) {
			f->last_commit_ms = ms;
		} else if (ms - f->last_commit_ms >= f->commit_ms) {
			f->last_commit_ms = ms;
			return filter_commit(f);
		}
	}
	return 0;
}

int filter_peek(const struct filter *f, const char **p, size_t *n)
{
	const struct lines *l;
	const char *nl;

	if (!f->in || f->in->kafka)
		return 0;
	l = &f->in->lines;
	if (!l->buf || l->end <= l->start)
		return 0;
	nl = memchr(l->buf + l->start, '\n', l->end - l->start);
	if (!nl)
		return 0;
	*p = l->buf + l->start;
	*n = (size_t)(nl - *p);
	return 1;
}

void filter_fetch_ahead(struct filter *f, MDB_dbi dbi, struct filter_ahead *a)
{
	const char *p;
	size_t n;
	uint32_t id;

	if (a->have)
		store_prefetch_value(f->st, dbi, a->key);
	a->have = filter_peek(f, &p, &n) && !json_scan_oneid(p, n, &id);
	if (a->have) {
		store_be32(a->key, id);
		store_prefetch(f->st, dbi, a->key);
	}
}

int filter_run(struct filter *f, const char *spec)
{
	struct ep_in in;
	struct ep_cfg cfg = {0};
	struct ep_rec r;
	int rc, x;

	cfg.max_line = f->max_line;
	cfg.x = f->cli->x;
	cfg.nx = f->cli->nx;
	cfg.group = f->group;
	cfg.exit_at_end = f->exit_at_end;
	cfg.parts = f->parts;
	cfg.nparts = f->nparts;
	cfg.offset = get_offset;
	cfg.revoke = on_revoke;
	cfg.ctx = f;
	if ((rc = ep_in_open(&in, spec, &cfg)))
		return rc;
	f->in = &in;
	f->oc.src = &in;
	f->in_spec = xstrdup(spec);
	if (f->resume && !in.kafka) {
		int64_t skip;
		f->resume_key = xmalloc(strlen(spec) + 6);
		sprintf(f->resume_key, "file:%s", spec);
		skip = store_offset_get(f->st, f->resume_key, 0);
		while (skip > 0 && (int64_t)in.lines.lineno < skip && (x = ep_in_next(&in, &r)) != 0) {
			if (x < 0) {
				rc = in.code;
				goto done;
			}
		}
		if (skip > 0)
			cli_info("'%s': resumed after line %lld", spec, (long long)skip);
	}
	/* after a stop, a pipe is read on until its writer ends (input_drains) */
	while (!cli_stop || (!in.kafka && input_drains(&in.in))) {
		if (in.kafka && f->waiting)
			kafka_src_read_on(in.k, f->waiting(f->ctx));
		x = ep_in_next(&in, &r);
		if (x == 0) {
			/* an end, not a stop (a stop reads as the end) */
			if (f->end_input && !cli_stop) {
				f->end_input(f->ctx);
				rc = filter_after_record(f);
			}
			break;
		}
		if (x < 0) {
			rc = in.code;
			break;
		}
		if (x == 2) {
			/* the input idles: hand over what is done, so a live
			 * pipeline never waits on our buffers */
			if ((rc = filter_commit(f)))
				break;
			continue;
		}
		f->oc.raw = r.p;
		f->oc.raw_n = r.n;
		f->oc.raw_flags = r.flags;
		f->oc.raw_total = r.total;
		f->stream = in.kafka ? (uint32_t)in.msg.partition : 0;
		if (r.flags & LINE_TOO_LONG) {
			f->oc.in++;
			outcome_rejectf(&f->oc, "line longer than %zu bytes (%llu)", in.max_line,
					r.total);
		} else {
			f->record(f->ctx, r.p, r.n);
		}
		if ((rc = filter_after_record(f)) || f->redo)
			break;
	}
	/* before a consumer leaves its group, or a resumed file moves on */
	if (!rc && (in.kafka || f->resume_key))
		rc = filter_commit(f);
done:
	ep_in_close(&in);
	if (f->back) {
		kafka_sink_close(f->back);
		f->back = NULL;
	}
	free(f->in_spec);
	f->in_spec = NULL;
	f->in = NULL;
	f->oc.src = NULL;
	filter_release(f, NULL, 0); /* positions of this input mean nothing to the next */
	free(f->resume_key);
	f->resume_key = NULL;
	return rc;
}

int filter_close(struct filter *f, int rc)
{
	int c2;

	if (!rc || rc == EXIT_DATA) {
		c2 = filter_commit(f);
		if (!c2) /* a clean end leaves no journal behind */
			c2 = store_fold(f->st);
		if (c2)
			rc = c2;
	}
	filter_release(f, NULL, 0);
	free(f->held);
	f->held = NULL;
	f->held_cap = 0;
	c2 = ep_out_close(&f->out);
	if (!rc)
		rc = c2;
	c2 = outcome_end(&f->oc);
	if (!rc)
		rc = c2;
	if (f->tick_doc) {
		json_doc_release(f->tick_doc);
		free(f->tick_doc);
		f->tick_doc = NULL;
	}
	if (!rc && f->oc.rejected) {
		rc = EXIT_REJECTS;
		if (!f->cli->quiet && !f->cli->verbose)
			outcome_say(&f->oc);
	}
	return rc;
}
