/*
 * dispatch - the last filter of the pipe: every $send delivered at most
 * once, or answered with the reason it was not.
 *
 * Reads scheduler's output (or an operator's $send records) and passes
 * every record on. For each $send it decides (duplicate, stale, channel,
 * address, do-not-contact list, consent), and either answers at once with a
 * $delivery record (suppressed, and why) or sends the message through the
 * channel's provider (lib/channel) and answers with what the provider said
 * (sent with its message id, or failed and why). The outbox (lib/outbox)
 * makes it exactly once: a send is committed as pending before the provider
 * is contacted, with no transaction open while it is, and its outcome is
 * committed right after; the protocol and what a crash leaves are in
 * schemas/lmdb.md ("dispatch: the outbox").
 * State: the dispatch.* DBs, see schemas/lmdb.md.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addrbook.h"
#include "buf.h"
#include "caps.h"
#include "channel.h"
#include "cli.h"
#include "clock.h"
#include "conf.h"
#include "deferq.h"
#include "engage.h"
#include "fold.h"
#include "filter.h"
#include "handoff.h"
#include "jqprog.h"
#include "json.h"
#include "kafka.h"
#include "norm.h"
#include "outbox.h"
#include "outcome.h"
#include "pclock.h"
#include "store.h"
#include "seen.h"
#include "sysrec.h"
#include "template.h"
#include "tz.h"

enum {
	OPT_PIPELINES = 300,
	OPT_CHANNELS,
	OPT_GROUP,
	OPT_BATCH,
	OPT_COMMIT_MS,
	OPT_NOSYNC,
	OPT_RESUME,
	OPT_MAX_AGE,
	OPT_SEND_PAST,
	OPT_DRY_RUN,
	OPT_NOW,
	OPT_PARALLEL,
	OPT_CHANNEL,
	OPT_TEMPLATE,
	OPT_CAMPAIGN,
	OPT_KIND,
	OPT_AT,
	OPT_TEMPLATES,
	OPT_CONFIG,
	OPT_CHECK,
	OPT_PARTITIONS,
};

static const struct cli_opt opts[] = {
	{"channels", OPT_CHANNELS, 1, "FILE", "providers and channels (default PIPELINES/channels.json)"},
	{"pipelines", OPT_PIPELINES, 1, "DIR", "definitions directory (default $UOPS_PIPELINES, else the first of ./pipelines, /etc/uops/pipelines, PREFIX/share/uops/pipelines)"},
	{"config", OPT_CONFIG, 1, "FILE", "caps and other rules (default PIPELINES/dispatch.json; none when absent)"},
	{"templates", OPT_TEMPLATES, 1, "DIR", "message templates (default PIPELINES/templates)"},
	{"max-age", OPT_MAX_AGE, 1, "DUR", "a $send older than this in wall-clock time is suppressed as stale (default 1h)"},
	{"send-past", OPT_SEND_PAST, 0, NULL, "send stale $send records too (a replay of history that must go out)"},
	{"check", OPT_CHECK, 0, NULL, "load and check the channels, templates and rules, then exit (0, or 78 naming what is wrong)"},
	{"dry-run", OPT_DRY_RUN, 0, NULL, "decide and render, contact no provider, write no state"},
	{"now", OPT_NOW, 1, "TIME", "the wall clock, for --max-age (default the system's; tests, dry runs)"},
	{"parallel", OPT_PARALLEL, 1, "N", "sends in flight at once, between two commits (default 64)"},
	{"group", OPT_GROUP, 1, "ID", "Kafka consumer group (default uops-dispatch)"},
	{"batch", OPT_BATCH, 1, "N", "commit state every N queued writes (default 65536)"},
	{"commit-ms", OPT_COMMIT_MS, 1, "MS", "and at least every MS milliseconds of a steady stream (default 1000)"},
	{"nosync", OPT_NOSYNC, 0, NULL, "do not fsync state commits"},
	{"exit-at-end", 'e', 0, NULL, "Kafka: exit when every partition is at its end"},
	{"partitions", OPT_PARTITIONS, 1, "LIST", "Kafka: take exactly these partitions of the input (0,1 or 0-3), no rebalancing; partition export, drop: the partition"},
	{"resume", OPT_RESUME, 0, NULL, "files: skip the lines of each input already committed by an earlier run"},
	{"channel", OPT_CHANNEL, 1, "NAME", "suppress, campaign: the channel"},
	{"template", OPT_TEMPLATE, 1, "NAME", "campaign: the template"},
	{"campaign", OPT_CAMPAIGN, 1, "NAME", "campaign: its name (send ids are campaign:NAME:ONEID)"},
	{"kind", OPT_KIND, 1, "KIND", "campaign: marketing (default) or transactional"},
	{"at", OPT_AT, 1, "TIME", "campaign: the event time of the $send records"},
	{0, 0, 0, 0, 0},
};

/* a send handed to a provider, between the pending and the outcome commit */
struct flight {
	char *id;       /* send_id */
	uint32_t oneid;
	char *channel;
	char *ts;       /* the $send's ts as written */
	struct buf msg; /* the message JSON */
};

struct dispatch {
	struct cli cli;
	const char *templates_dir, *config_path;
	const char *pipelines, *channels_path, *group, *now_text, *channel_opt, *template_opt, *campaign,
		*kind_opt, *at;
	long batch, commit_ms, parallel;
	int nosync, exit_at_end, resume, send_past, dry_run, check;
	int64_t max_age_ms, wall_ms;

	struct store *st;
	struct outbox ob;
	MDB_dbi suppress, consent, traits, capsdb;
	struct caps caps;
	/* quiet hours: minutes of the local day [start, end), maybe wrapping */
	int quiet, quiet_start, quiet_end, quiet_drop;
	char **quiet_ch;
	size_t nquiet_ch;
	struct tz *quiet_tz;
	struct zone { char *name; struct tz *z; } *zones;
	size_t nzones;
	/* deferred sends by stream, then (until, send_id), in
	 * dispatch.deferred and read from it in steps (lib/deferq); each is
	 * decided again on its own stream's clock; --dry-run, which keeps no
	 * outbox, holds them in memory with their $send records */
	struct deferq dq;
	int in_redrive;
	/* a clock per stream (lib/pclock, in dispatch.state): the partition
	 * of the record at hand's is g->clock */
	MDB_dbi statedb;
	struct pclock pc;
	/* partitions: the static assignment, and the state that moves with a
	 * partition (lib/handoff; the index dispatch.streams) */
	int32_t kparts[1024];
	int nparts;
	struct handoff ho;
	int have_ho;
	/* Kafka: what a stopped run left in flight is resolved per stream, at
	 * the first record of the stream (its partition passed the fence),
	 * so a store never resends the sends of a partition it gave away */
	int lazy_recover, recovered_unknown;
	uint32_t *rec_streams;
	size_t nrec_streams;
	/* events that grant or withdraw consent (dispatch.json "events") */
	struct evrule { char *type, *channel, *channel_prop; int granted; } *ev;
	size_t nev;
	/* engagement (dispatch.json "engagement"): the events that count for a
	 * channel, with their weight, and the $delivery records that count */
	struct engrule { char *type, *channel, *channel_prop; uint32_t weight; } *eng;
	size_t neng;
	MDB_dbi engdb;
	struct seen engseen; /* engagement records applied, by event_id */
	int have_engseen;
	const char *dlv_extra; /* JSON members the next $delivery carries */
	struct templates tpl;
	struct buf parts; /* the rendered parts of the send at hand */
	MDB_dbi idpeople, idblocked;
	int have_idpeople, have_idjournal, have_idblocked;
	/* the address book (lib/addrbook): dispatch.addresses by oneid, from
	 * the ids of the events passing; dispatch.merged: a merged oneid ->
	 * its survivor, from $merge records */
	MDB_dbi addrdb, mergedb;
	/* merges across partitions: the $folds of the people merged on other
	 * partitions, and the records of a partition held behind its $merge
	 * until they came (lib/fold) */
	struct fold_driver fd;
	uint32_t fold_into; /* the survivor of the $merge being applied */
	unsigned long long merges;
	char **addr_types; /* the identifier types channels address by */
	unsigned naddr_types;
	char **blocked, **blocked_pat; /* identity.json's, never booked */
	unsigned nblocked, nblocked_pat;
	struct channels ch;
	struct filter f;
	struct json_doc doc, tdoc; /* tdoc: a person's traits */
	struct buf line, tmp, addr, text;
	int64_t clock;

	struct flight *fl;
	size_t nfl, capfl;
	int in_flush;
	int temp_fail; /* a provider could not be reached: exit 75 at the end */

	unsigned long long mem_at; /* -v: the next count of sends to print memory at */
	unsigned long long sends, sent, suppressed, failed, unknown, dups, recovered, others, deferred;
};

/* ---- $delivery records ---- */

static void write_delivery(struct dispatch *g, struct buf *out, const char *id, size_t idn, uint32_t oneid,
			   const char *ts, size_t tsn, const char *status, const char *reason, const char *channel,
			   const char *provider, const char *provider_id)
{
	buf_reset(out);
	buf_adds(out, "{\"type\":\"$delivery\",\"event_id\":\"dlv:");
	buf_add(out, id, idn);
	buf_adds(out, "\",\"ts\":");
	json_write_str(out, ts, tsn);
	{ /* no printf: this runs for every send */
		char num[12];
		buf_adds(out, ",\"oneid\":");
		buf_add(out, num, (size_t)u32_dec(num, oneid));
	}
	buf_adds(out, ",\"send_id\":\"");
	buf_add(out, id, idn);
	buf_adds(out, "\",\"status\":\"");
	buf_adds(out, status);
	buf_addc(out, '"');
	if (channel) {
		buf_adds(out, ",\"channel\":");
		json_write_str(out, channel, strlen(channel));
	}
	if (provider) {
		buf_adds(out, ",\"provider\":");
		json_write_str(out, provider, strlen(provider));
	}
	if (provider_id) {
		buf_adds(out, ",\"provider_id\":");
		json_write_str(out, provider_id, strlen(provider_id));
	}
	if (reason) {
		buf_adds(out, ",\"reason\":");
		json_write_str(out, reason, strlen(reason));
	}
	if (g->dlv_extra)
		buf_adds(out, g->dlv_extra);
	if (g->dry_run)
		buf_adds(out, ",\"dry_run\":true");
	buf_addc(out, '}');
}

static uint32_t survivor(struct dispatch *g, uint32_t oneid);

/* Add to the person's engagement on a channel (dispatch.engagement). */
static void engage_count(struct dispatch *g, uint32_t oneid, const char *channel, size_t n, uint32_t sends,
			 uint32_t engaged)
{
	unsigned char key[4];
	MDB_val v;
	struct buf out = BUF_INIT;

	store_be32(key, survivor(g, oneid));
	if (store_get(g->st, g->engdb, key, 4, &v) != 1)
		v.mv_size = 0, v.mv_data = NULL;
	engage_add(v.mv_data, v.mv_size, channel, n, sends, engaged, &out);
	store_put(g->st, g->engdb, key, 4, out.p, out.len);
	buf_release(&out);
}

/* Answer a send with a final state: outbox, then the record out. */
static void answer(struct dispatch *g, const char *id, size_t idn, uint32_t oneid, const char *ts, size_t tsn,
		   int state, const char *reason, const char *channel, const char *provider, const char *pid)
{
	char key[12];
	int kl = u32_dec(key, oneid);
	const char *status = outbox_state_name(state);

	write_delivery(g, &g->line, id, idn, oneid, ts, tsn, status, reason, channel, provider, pid);
	g->dlv_extra = NULL;
	if (!g->dry_run)
		outbox_put(&g->ob, id, idn, oneid, state, g->line.p, g->line.len);
	switch (state) {
	case OUTBOX_SENT: g->sent++; break;
	case OUTBOX_SUPPRESSED: g->suppressed++; break;
	case OUTBOX_UNKNOWN: g->unknown++; break;
	default: g->failed++; break;
	}
	filter_emit(&g->f, key, (size_t)kl, g->line.p, g->line.len);
}

/* ---- sending: commit pending, send with no transaction, commit outcomes ---- */

static void flight_free(struct flight *x)
{
	free(x->id);
	free(x->channel);
	free(x->ts);
	buf_release(&x->msg);
}

/* Send what is in flight (its pending states are committed: called after
 * a commit) and queue the outcomes. */
static void send_flights(struct dispatch *g)
{
	struct chan_msg *m;
	size_t i;

	if (!g->nfl)
		return;
	store_read_end(g->st); /* no transaction open while the providers answer */
	m = xcalloc(g->nfl, sizeof *m);
	for (i = 0; i < g->nfl; i++) {
		struct channel *c = channels_find(&g->ch, g->fl[i].channel, strlen(g->fl[i].channel));
		m[i].pv = c->pv;
		m[i].body = g->fl[i].msg.p;
		m[i].len = g->fl[i].msg.len;
	}
	channel_send(&g->ch, m, g->nfl);
	for (i = 0; i < g->nfl; i++) {
		struct flight *x = &g->fl[i];
		const char *pv = m[i].pv->name, *a = m[i].answer.p ? m[i].answer.p : "";
		size_t idn = strlen(x->id), tsn = strlen(x->ts);

		switch (m[i].result) {
		case CHAN_SENT:
			answer(g, x->id, idn, x->oneid, x->ts, tsn, OUTBOX_SENT, NULL, x->channel, pv, a);
			break;
		case CHAN_PERMANENT:
			buf_reset(&g->tmp);
			buf_printf(&g->tmp, "permanent: %s", a);
			answer(g, x->id, idn, x->oneid, x->ts, tsn, OUTBOX_FAILED, g->tmp.p, x->channel, pv, NULL);
			break;
		case CHAN_EXHAUSTED:
			buf_reset(&g->tmp);
			buf_printf(&g->tmp, "temporary, retries exhausted: %s", a);
			answer(g, x->id, idn, x->oneid, x->ts, tsn, OUTBOX_FAILED, g->tmp.p, x->channel, pv, NULL);
			break;
		case CHAN_UNKNOWN:
			buf_reset(&g->tmp);
			buf_printf(&g->tmp, "the provider's answer was lost and it takes no idempotency key: not resent (%s)", a);
			answer(g, x->id, idn, x->oneid, x->ts, tsn, OUTBOX_UNKNOWN, g->tmp.p, x->channel, pv, NULL);
			break;
		default: /* never reached the provider: kept to resend */
			outbox_put(&g->ob, x->id, idn, x->oneid, OUTBOX_RETRY, x->msg.p, x->msg.len);
			if (!g->temp_fail && !g->cli.quiet)
				cli_err("send '%s' kept for a rerun: %s", x->id, a);
			g->temp_fail = 1;
			break;
		}
		buf_release(&m[i].answer);
		flight_free(x);
	}
	free(m);
	g->nfl = 0;
}

static int before_commit(void *ctx)
{
	struct dispatch *g = ctx;

	if (g->dry_run) {
		store_discard(g->st);
		return 0;
	}
	/* the set serves every stream: what the stream furthest behind may
	 * still meet stays */
	if (g->have_engseen)
		seen_prune(&g->engseen, pclock_min(&g->pc));
	pclock_save(&g->pc);
	if (g->have_ho)
		handoff_save(&g->ho);
	return 0;
}

/* The pending states just committed: send, then commit the outcomes (and
 * flush the $delivery records first, as every commit does). */
static void open_idpeople(struct dispatch *g);
static void print_memory(const struct dispatch *g, unsigned long long at);

static void after_commit(void *ctx)
{
	struct dispatch *g = ctx;
	int rc;

	deferq_committed(&g->dq); /* what it deferred is in the DB now */
	/* in one pipe from an empty store, idmerge creates its DBs after
	 * dispatch has started: look again after each commit until they are */
	if ((!g->have_idpeople || !g->have_idjournal || !g->have_idblocked) && !g->in_flush)
		open_idpeople(g);

	if (!g->nfl || g->in_flush)
		return;
	g->in_flush = 1;
	send_flights(g);
	if ((rc = filter_commit(&g->f)))
		g->f.fatal = rc;
	g->in_flush = 0;
}

/* ---- decisions ---- */

static int64_t wall_now(struct dispatch *g)
{
	struct timespec t;

	if (g->now_text)
		return g->wall_ms;
	clock_gettime(CLOCK_REALTIME, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The clock of the record's stream reaches at (never goes back): g->clock. */
static void clock_move(struct dispatch *g, int64_t at)
{
	struct pclock_stream *c = pclock_get(&g->pc, g->f.stream);

	if (c->clock == PCLOCK_NONE || at > c->clock) {
		c->clock = at;
		c->dirty = 1;
	}
	g->clock = c->clock;
}

/* The person oneid was merged into, as the $merge records dispatch passed
 * said (oneid itself when none). */
static uint32_t survivor(struct dispatch *g, uint32_t oneid)
{
	unsigned char key[4];
	MDB_val v;
	int hops;

	for (hops = 0; hops < 16; hops++) {
		store_be32(key, oneid);
		if (store_get(g->st, g->mergedb, key, 4, &v) != 1 || v.mv_size != 4)
			break;
		oneid = store_get_be32(v.mv_data);
	}
	return oneid;
}

/* The person's address of type from dispatch's address book. 1 found (in
 * out), 0 not. */
static int book_address(struct dispatch *g, uint32_t oneid, const char *type, struct buf *out)
{
	unsigned char key[4];
	MDB_val v;
	const char *a;
	size_t an;

	store_be32(key, survivor(g, oneid));
	if (store_get(g->st, g->addrdb, key, 4, &v) != 1 ||
	    !addrbook_get(v.mv_data, v.mv_size, type, strlen(type), &a, &an))
		return 0;
	buf_reset(out);
	buf_add(out, a, an);
	return 1;
}

/* The person's address for a channel from idmerge's identifiers: the
 * first identifier of that type. 1 found (in out), 0 not. */
static int lookup_address(struct dispatch *g, uint32_t oneid, const char *type, struct buf *out)
{
	unsigned char key[4];
	MDB_val v;
	const char *p, *end;
	size_t tl = strlen(type);
	int hops;

	if (!g->have_idpeople)
		return 0;
	for (hops = 0; hops < 8; hops++) {
		uint32_t into;
		store_be32(key, oneid);
		if (store_get(g->st, g->idpeople, key, 4, &v) != 1 || v.mv_size < 5)
			return 0;
		into = store_get_be32((const unsigned char *)v.mv_data + 1);
		if (into && into != oneid) {
			oneid = into;
			continue;
		}
		p = (const char *)v.mv_data + 5;
		end = (const char *)v.mv_data + v.mv_size;
		while (p < end) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (len > tl + 1 && !memcmp(p, type, tl) && p[tl] == ':') {
				buf_reset(out);
				buf_add(out, p + tl + 1, len - tl - 1);
				return 1;
			}
			p += len + 1;
		}
		return 0;
	}
	return 0;
}

/* The address for channel c: the $send's "to" (a string, or an object by
 * channel), else the person's identifier. 1 found, 0 not. */
static int address_for(struct dispatch *g, const struct json_doc *d, uint32_t oneid, const struct channel *c,
		       struct buf *out)
{
	uint32_t t = json_get(d, 0, "to", 2);

	buf_reset(out);
	if (t && d->t[t].type == JSON_OBJECT)
		t = json_get(d, t, c->name, strlen(c->name));
	if (t && d->t[t].type == JSON_STRING && d->t[t].len) {
		json_str_get(d, t, out);
		return 1;
	}
	if (!c->address)
		return 1; /* the channel needs none (a webhook gets the oneid) */
	return book_address(g, oneid, c->address, out) || lookup_address(g, oneid, c->address, out);
}

static int suppressed_address(struct dispatch *g, const char *channel, const char *addr, size_t n)
{
	MDB_val v;
	int r;

	buf_reset(&g->tmp);
	buf_adds(&g->tmp, channel);
	buf_addc(&g->tmp, ':');
	buf_add(&g->tmp, addr, n);
	r = store_get(g->st, g->suppress, g->tmp.p, g->tmp.len, &v);
	return r == 1;
}

/* 1 consent withdrawn for (oneid, channel), 0 not. */
static int consent_withdrawn1(struct dispatch *g, uint32_t oneid, const char *channel)
{
	MDB_val v;

	buf_reset(&g->tmp);
	buf_add(&g->tmp, "\0\0\0\0", 4);
	store_be32((unsigned char *)g->tmp.p, oneid);
	buf_adds(&g->tmp, channel);
	return store_get(g->st, g->consent, g->tmp.p, g->tmp.len, &v) == 1 && v.mv_size >= 1 &&
	       ((const char *)v.mv_data)[0] == 'n';
}

/* The same for the person or the one it was merged into (a merge folds
 * withdrawals into the survivor, and a send may still name the merged). */
static int consent_withdrawn(struct dispatch *g, uint32_t oneid, const char *channel)
{
	uint32_t s = survivor(g, oneid);

	return consent_withdrawn1(g, oneid, channel) || (s != oneid && consent_withdrawn1(g, s, channel));
}

/* The message JSON the provider gets (and the outbox keeps); its ts is
 * redo_ts for a deferred send decided again (NULL: the $send's), the ts
 * its $delivery carries, so a restart that resolves it writes the same. */
static void build_message(struct dispatch *g, const struct json_doc *d, const char *id, size_t idn, uint32_t oneid,
			  const struct channel *c, const struct buf *to, const struct buf *parts, int segments,
			  const char *redo_ts, struct buf *out)
{
	static const char *const copy[] = {"journey", "step", "arm", "template", "kind", "priority", "params", NULL};
	uint32_t params = json_get(d, 0, "params", 6), t;
	int k;

	(void)g;
	buf_reset(out);
	buf_adds(out, "{\"send_id\":\"");
	buf_add(out, id, idn);
	{
		char num[12];
		buf_adds(out, "\",\"oneid\":");
		buf_add(out, num, (size_t)u32_dec(num, oneid));
		buf_adds(out, ",\"channel\":");
	}
	json_write_str(out, c->name, strlen(c->name));
	if (to->len) {
		buf_adds(out, ",\"to\":");
		json_write_str(out, to->p, to->len);
	}
	t = json_get(d, 0, "ts", 2);
	buf_adds(out, ",\"ts\":");
	if (redo_ts)
		json_write_str(out, redo_ts, strlen(redo_ts));
	else
		json_write_tok(d, t, out);
	for (k = 0; copy[k]; k++)
		if ((t = json_get(d, 0, copy[k], strlen(copy[k])))) {
			buf_adds(out, ",\"");
			buf_adds(out, copy[k]);
			buf_adds(out, "\":");
			json_write_tok(d, t, out);
		}
	/* the parts: rendered from a template, else the params say them */
	if (parts) {
		buf_add(out, parts->p, parts->len);
		if (segments)
			buf_printf(out, ",\"segments\":%d", segments);
	} else if (params && d->t[params].type == JSON_OBJECT) {
		static const char *const parts[] = {"subject", "text", "html", NULL};
		for (k = 0; parts[k]; k++)
			if ((t = json_get(d, params, parts[k], strlen(parts[k]))) && d->t[t].type == JSON_STRING) {
				buf_printf(out, ",\"%s\":", parts[k]);
				json_write_tok(d, t, out);
			}
	}
	buf_addc(out, '}');
}

/* ---- quiet hours and deferral ---- */

/* A zone by name, loaded once; NULL when it cannot be. */
static struct tz *zone_get(struct dispatch *g, const char *name)
{
	const char *why;
	size_t i;
	struct tz *z;

	for (i = 0; i < g->nzones; i++)
		if (!strcmp(g->zones[i].name, name))
			return g->zones[i].z;
	z = tz_load(name, &why);
	g->zones = xrealloc(g->zones, (g->nzones + 1) * sizeof *g->zones);
	g->zones[g->nzones].name = xstrdup(name);
	g->zones[g->nzones++].z = z;
	return z;
}

static jv load_traits(struct dispatch *g, uint32_t oneid);

/*
 * Quiet hours for a send at `at` (ms) on channel c to oneid: 0 when the
 * person's local time (trait tz, else the configured zone) is outside
 * them, else 1 with *until the first minute after them (ms).
 */
static int quiet_until(struct dispatch *g, uint32_t oneid, const struct channel *c, int64_t at, int64_t *until)
{
	struct tz *z = NULL;
	int64_t sec = at >= 0 ? at / 1000 : (at - 999) / 1000, local, day, target;
	int m;
	size_t i;

	if (!g->quiet)
		return 0;
	if (g->nquiet_ch) {
		for (i = 0; i < g->nquiet_ch && strcmp(g->quiet_ch[i], c->name); i++)
			;
		if (i == g->nquiet_ch)
			return 0;
	}
	{ /* the person's trait tz, read without building jq values */
		unsigned char key[4];
		MDB_val v;
		const char *why;
		size_t at;
		uint32_t t;
		store_be32(key, oneid);
		if (store_get(g->st, g->traits, key, 4, &v) == 1 &&
		    !json_parse(&g->tdoc, v.mv_data, v.mv_size, 64, &why, &at) && g->tdoc.t[0].type == JSON_OBJECT &&
		    (t = json_get(&g->tdoc, 0, "tz", 2)) && g->tdoc.t[t].type == JSON_STRING) {
			buf_reset(&g->tmp);
			json_str_get(&g->tdoc, t, &g->tmp);
			z = zone_get(g, g->tmp.p ? g->tmp.p : "");
		}
	}
	if (!z)
		z = g->quiet_tz;
	local = sec + tz_offset_at_utc(z, sec);
	day = (local >= 0 ? local / 86400 : (local - 86399) / 86400) * 86400;
	m = (int)((local - day) / 60);
	if (g->quiet_start < g->quiet_end ? (m < g->quiet_start || m >= g->quiet_end)
					  : (m < g->quiet_start && m >= g->quiet_end))
		return 0;
	target = day + (int64_t)g->quiet_end * 60;
	if (m >= g->quiet_end && g->quiet_start > g->quiet_end)
		target += 86400;
	*until = tz_local_to_utc(z, target) * 1000;
	if (*until <= at) /* a gap of DST: the next minute at least */
		*until = (sec / 60 + 1) * 60000;
	return 1;
}

/*
 * Defer a send until `until` (ms): kept in the outbox as deferred with its
 * $send record (so it is decided again), queued in dispatch.deferred, and
 * answered for now with a "deferred" $delivery (event_id
 * dlv:<send_id>:deferred:<until>).
 */
static void defer_send(struct dispatch *g, const struct json_doc *d, const char *id, size_t idn, uint32_t oneid,
		       const char *ts, size_t tsn, int64_t until, const char *why)
{
	char u[CLOCK_ISO_LEN + 1], key[12];
	int kl = u32_dec(key, oneid);

	clock_format(until, u);
	if (!g->dry_run)
		outbox_put(&g->ob, id, idn, oneid, OUTBOX_DEFERRED, d->s + d->t[0].off, d->t[0].len);
	/* decided again on its stream's clock */
	deferq_add(&g->dq, g->f.stream, until, id, idn, d->s + d->t[0].off, d->t[0].len);
	buf_reset(&g->line);
	buf_adds(&g->line, "{\"type\":\"$delivery\",\"event_id\":\"dlv:");
	buf_add(&g->line, id, idn);
	buf_printf(&g->line, ":deferred:%s\",\"ts\":", u);
	json_write_str(&g->line, ts, tsn);
	buf_printf(&g->line, ",\"oneid\":%u,\"send_id\":\"", oneid);
	buf_add(&g->line, id, idn);
	buf_printf(&g->line, "\",\"status\":\"deferred\",\"until\":\"%s\",\"reason\":\"%s\"", u, why);
	if (g->dry_run)
		buf_adds(&g->line, ",\"dry_run\":true");
	buf_addc(&g->line, '}');
	g->deferred++;
	filter_emit(&g->f, key, (size_t)kl, g->line.p, g->line.len);
}

/* The cap that refuses a marketing send to oneid at `at` on channel, or
 * NULL (dispatch.caps, the person's recent sends, batch included). */
static const struct cap *capped(struct dispatch *g, uint32_t oneid, int64_t at, const char *channel, double priority)
{
	unsigned char key[4];
	MDB_val v;

	store_be32(key, survivor(g, oneid));
	if (store_get(g->st, g->capsdb, key, 4, &v) != 1)
		v.mv_size = 0, v.mv_data = NULL;
	return caps_check(&g->caps, v.mv_data, v.mv_size, at, channel, priority);
}

/* Count a marketing send to oneid at `at` on channel for the caps. */
static void caps_count(struct dispatch *g, uint32_t oneid, int64_t at, const char *channel)
{
	unsigned char key[4];
	MDB_val v;

	store_be32(key, survivor(g, oneid));
	if (store_get(g->st, g->capsdb, key, 4, &v) != 1)
		v.mv_size = 0, v.mv_data = NULL;
	caps_add(&g->caps, v.mv_data, v.mv_size, at, channel, &g->tmp);
	store_put(g->st, g->capsdb, key, 4, g->tmp.p, g->tmp.len);
}

/* The person's traits: the tags dispatch saw tagger give, as a jv object. */
static jv load_traits(struct dispatch *g, uint32_t oneid)
{
	unsigned char key[4];
	MDB_val v;
	jv o;

	store_be32(key, oneid);
	if (store_get(g->st, g->traits, key, 4, &v) != 1)
		return jv_object();
	o = jv_parse_sized(v.mv_data, (int)v.mv_size);
	if (jv_get_kind(o) != JV_KIND_OBJECT) {
		jv_free(o);
		return jv_object();
	}
	return o;
}

/*
 * Render the $send's template (if it names one) for channel c into
 * g->parts. 0 rendered (or no template), -1 failed with the reason (as
 * the $delivery says it) in g->tmp. *segments: an SMS text's segments.
 */
static int render(struct dispatch *g, const struct json_doc *d, const char *id, size_t idn, uint32_t oneid,
		  const struct channel *c, int *segments)
{
	static const char *const copy[] = {"journey", "step", "arm", "kind", "template", NULL};
	uint32_t t_tpl = json_get(d, 0, "template", 8), params = json_get(d, 0, "params", 6), t;
	const struct template *tp;
	struct buf err = BUF_INIT, name = BUF_INIT;
	jv in, send;
	int k, rc = -1;

	buf_reset(&g->parts);
	buf_reset(&g->tmp);
	*segments = 0;
	if (!t_tpl)
		return 0;
	json_str_get(d, t_tpl, &name);
	if (!(tp = templates_find(&g->tpl, name.p ? name.p : "", name.len, c->name))) {
		buf_printf(&g->tmp, "permanent: no template '%s' for channel '%s'", name.p ? name.p : "", c->name);
		goto out;
	}
	if (tp->native) { /* a .json template: no jq values to build */
		struct tsend in;
		MDB_val v;
		unsigned char key[4];
		int have = 0;
		const char *why;
		size_t at;
		if (tp->uses_traits) {
			store_be32(key, oneid);
			have = store_get(g->st, g->traits, key, 4, &v) == 1 &&
			       !json_parse(&g->tdoc, v.mv_data, v.mv_size, 64, &why, &at);
		}
		memset(&in, 0, sizeof in);
		in.d = d;
		in.traits = have ? &g->tdoc : NULL;
		in.id = id;
		in.idn = idn;
		in.oneid = oneid;
		in.channel = c->name;
		in.to = g->addr.p;
		in.tn = g->addr.len;
		if (template_render_doc(tp, &in, &g->parts, &err)) {
			buf_printf(&g->tmp, "permanent: template '%s': %s", tp->path, err.p ? err.p : "render error");
			goto out;
		}
		goto rendered;
	}
	send = jv_object();
	send = jv_object_set(send, jv_string("send_id"), jv_string_sized(id, (int)idn));
	send = jv_object_set(send, jv_string("oneid"), jv_number(oneid));
	send = jv_object_set(send, jv_string("channel"), jv_string(c->name));
	if (g->addr.len)
		send = jv_object_set(send, jv_string("to"), jv_string_sized(g->addr.p, (int)g->addr.len));
	for (k = 0; copy[k]; k++)
		if ((t = json_get(d, 0, copy[k], strlen(copy[k]))))
			send = jv_object_set(send, jv_string(copy[k]), jqprog_from_json(d, t));
	in = jv_object();
	in = jv_object_set(in, jv_string("params"),
			   params && d->t[params].type == JSON_OBJECT ? jqprog_from_json(d, params) : jv_object());
	in = jv_object_set(in, jv_string("traits"), load_traits(g, oneid));
	in = jv_object_set(in, jv_string("send"), send);
	if (template_render(tp, in, &g->parts, &err)) {
		buf_printf(&g->tmp, "permanent: template '%s': %s", tp->path, err.p ? err.p : "render error");
		goto out;
	}
rendered:
	if (c->address && !strcmp(c->address, "phone")) {
		struct json_doc pd = JSON_DOC_INIT;
		struct buf obj = BUF_INIT, text = BUF_INIT;
		const char *why;
		size_t at, units = 0;
		buf_addc(&obj, '{');
		if (g->parts.len)
			buf_add(&obj, g->parts.p + 1, g->parts.len - 1);
		buf_addc(&obj, '}');
		if (!json_parse(&pd, obj.p, obj.len, 8, &why, &at) && (t = json_get(&pd, 0, "text", 4)))
			json_str_get(&pd, t, &text);
		*segments = template_sms_segments(text.p ? text.p : "", text.len, &units);
		json_doc_release(&pd);
		buf_release(&obj);
		buf_release(&text);
		if (*segments > c->max_segments) {
			buf_printf(&g->tmp, "permanent: template '%s': the text of %zu characters takes %d segments, "
				   "over the channel's max_segments %d", tp->path, units,
				   *segments, c->max_segments);
			goto out;
		}
	}
	rc = 0;
out:
	buf_release(&err);
	buf_release(&name);
	return rc;
}

/*
 * Decide a $send (and send it, or answer why not). redo_at is INT64_MIN
 * for a $send read from the input, else the time a deferred send is
 * decided again (its event time from then on; it is not written again).
 */
static void on_send(struct dispatch *g, const struct json_doc *d, const char *s, size_t n, int64_t redo_at)
{
	uint32_t t_id = json_get(d, 0, "send_id", 7), t_ts = json_get(d, 0, "ts", 2),
		 t_ch = json_get(d, 0, "channel", 7), t_kind = json_get(d, 0, "kind", 4), oneid;
	const char *id = d->s + d->t[t_id].off, *ts = d->s + d->t[t_ts].off;
	size_t idn = d->t[t_id].len, tsn = d->t[t_ts].len;
	int64_t at, until;
	char redo_ts[CLOCK_ISO_LEN + 1];
	struct channel *c = NULL;
	int st, transactional = 0, i;
	double priority = 0;
	struct buf capname = BUF_INIT;
	uint32_t k, e;
	char key[12];
	int kl;

	json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
	clock_parse_tok(d, t_ts, &at);
	if ((k = json_get(d, 0, "priority", 8)) && d->t[k].type == JSON_NUMBER)
		priority = strtod(d->s + d->t[k].off, NULL);
	if (t_kind) {
		if (json_str_eq(d, t_kind, "transactional", 13))
			transactional = 1;
		else if (!json_str_eq(d, t_kind, "marketing", 9)) {
			OUTCOME_REJECT(&g->f.oc, "$send with an unknown \"kind\": want marketing or transactional");
			return;
		}
	}
	if (redo_at != INT64_MIN) {
		at = redo_at;
		clock_format(at, redo_ts);
		ts = redo_ts;
		tsn = strlen(redo_ts);
	} else {
		/* applied already? a replayed $send changes nothing */
		buf_reset(&g->tmp);
		st = outbox_get(&g->ob, id, idn, NULL, NULL);
		if (st < 0) {
			g->f.fatal = EXIT_IO;
			return;
		}
		if (st != OUTBOX_NONE) {
			g->f.oc.dups++;
			g->dups++;
			return;
		}
		g->f.oc.passed++;
		if (++g->sends == g->mem_at && g->cli.verbose) {
			/* -v: memory at 100,000 sends, 200,000, 500,000, 1M … */
			unsigned long long d = g->mem_at;
			print_memory(g, g->sends);
			while (d >= 10)
				d /= 10;
			g->mem_at = d == 2 ? g->mem_at * 5 / 2 : g->mem_at * 2;
		}
		kl = u32_dec(key, oneid);
		if (filter_emit(&g->f, key, (size_t)kl, s, n))
			return;
		clock_move(g, at);
	}
	if (!g->send_past && wall_now(g) - at > g->max_age_ms) {
		answer(g, id, idn, oneid, ts, tsn, OUTBOX_SUPPRESSED, "stale", NULL, NULL, NULL);
		return;
	}
	/* not before its time */
	if ((k = json_get(d, 0, "not_before", 10))) {
		int64_t nb;
		if (!clock_parse_tok(d, k, &nb) && nb > at) {
			defer_send(g, d, id, idn, oneid, ts, tsn, nb, "not_before");
			return;
		}
	}
	/* the channel: the first of the list with a provider, an address,
	 * consent and no entry in the do-not-contact list */
	{
		const char *why = "no_channel";
		uint32_t cnt = d->t[t_ch].type == JSON_ARRAY ? d->t[t_ch].size : 1, tok[16];
		size_t order[16];
		if (cnt > 16)
			cnt = 16; /* a preference list longer than that is cut */
		for (k = 0, e = d->t[t_ch].type == JSON_ARRAY ? t_ch + 1 : t_ch; k < cnt; k++, e = d->t[e].next)
			tok[k] = e, order[k] = k;
		/* "best": by the person's engagement per channel, ties in the order given */
		if (cnt > 1 && (e = json_get(d, 0, "best", 4)) && d->t[e].type == JSON_TRUE) {
			const char *names[16];
			size_t lens[16];
			unsigned char ok[4];
			MDB_val v;
			for (k = 0; k < cnt; k++)
				names[k] = d->s + d->t[tok[k]].off, lens[k] = d->t[tok[k]].len;
			store_be32(ok, survivor(g, oneid));
			if (store_get(g->st, g->engdb, ok, 4, &v) != 1)
				v.mv_size = 0, v.mv_data = NULL;
			engage_rank(v.mv_data, v.mv_size, names, lens, cnt, order);
		}
		for (k = 0; k < cnt; k++) {
			struct channel *cand;
			e = tok[order[k]];
			cand = channels_find(&g->ch, d->s + d->t[e].off, d->t[e].len);
			if (!cand || d->t[e].esc)
				continue;
			if (!address_for(g, d, oneid, cand, &g->addr)) {
				why = "no_address";
				continue;
			}
			if (g->addr.len && suppressed_address(g, cand->name, g->addr.p, g->addr.len)) {
				why = "blocklisted";
				continue;
			}
			if (!transactional && consent_withdrawn(g, oneid, cand->name)) {
				why = "no_consent";
				continue;
			}
			if (!transactional && g->caps.n) {
				const struct cap *cp = capped(g, oneid, at, cand->name, priority);
				if (cp) {
					why = "capped";
					buf_reset(&capname);
					buf_adds(&capname, ",\"cap\":");
					json_write_str(&capname, cp->name, strlen(cp->name));
					continue;
				}
			}
			c = cand;
			break;
		}
		if (!c) {
			if (!strcmp(why, "capped"))
				g->dlv_extra = capname.p;
			answer(g, id, idn, oneid, ts, tsn, OUTBOX_SUPPRESSED, why, NULL, NULL, NULL);
			buf_release(&capname);
			return;
		}
		buf_release(&capname);
	}
	/* quiet hours in the person's zone: dropped, or decided again after */
	if (!transactional && quiet_until(g, oneid, c, at, &until)) {
		if (g->quiet_drop)
			answer(g, id, idn, oneid, ts, tsn, OUTBOX_SUPPRESSED, "quiet_hours", c->name, NULL, NULL);
		else
			defer_send(g, d, id, idn, oneid, ts, tsn, until, "quiet_hours");
		return;
	}
	/* the template, rendered: a send it cannot render fails for good */
	{
		int segments = 0;
		if (render(g, d, id, idn, oneid, c, &segments)) {
			answer(g, id, idn, oneid, ts, tsn, OUTBOX_FAILED, g->tmp.p, c->name, c->pv->name, NULL);
			return;
		}
		buf_reset(&g->text);
		build_message(g, d, id, idn, oneid, c, &g->addr, json_get(d, 0, "template", 8) ? &g->parts : NULL,
			      segments, redo_at != INT64_MIN ? redo_ts : NULL, &g->text);
	}
	/* counted by the caps once it goes to a provider, whatever the answer */
	if (!transactional && g->caps.n)
		caps_count(g, oneid, at, c->name);
	/* and by its channel's engagement, when engagement is measured */
	if (g->neng && !g->dry_run)
		engage_count(g, oneid, c->name, strlen(c->name), 1, 0);
	if (g->dry_run) {
		answer(g, id, idn, oneid, ts, tsn, OUTBOX_SENT, "dry run: not sent", c->name, c->pv->name, NULL);
		return;
	}
	/* in flight: pending now, sent after the next commit */
	outbox_put(&g->ob, id, idn, oneid, OUTBOX_PENDING, g->text.p, g->text.len);
	if (g->nfl == g->capfl) {
		g->capfl = g->capfl ? 2 * g->capfl : 64;
		g->fl = xrealloc(g->fl, g->capfl * sizeof *g->fl);
	}
	{
		struct flight *x = &g->fl[g->nfl++];
		memset(x, 0, sizeof *x);
		x->id = xstrndup(id, idn);
		x->oneid = oneid;
		x->channel = xstrdup(c->name);
		x->ts = xstrndup(ts, tsn);
		buf_add(&x->msg, g->text.p, g->text.len);
	}
	if ((long)g->nfl >= g->parallel) {
		int rc = filter_commit(&g->f); /* pending committed, then sent */
		if (rc)
			g->f.fatal = rc;
	}
	(void)i;
}

static void on_consent(struct dispatch *g, const struct json_doc *d)
{
	uint32_t oneid, t = json_get(d, 0, "channel", 7);
	unsigned char v;

	json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
	buf_reset(&g->tmp);
	buf_add(&g->tmp, "\0\0\0\0", 4);
	store_be32((unsigned char *)g->tmp.p, oneid);
	json_str_get(d, t, &g->tmp);
	v = d->t[json_get(d, 0, "granted", 7)].type == JSON_TRUE ? 'y' : 'n';
	if (!g->dry_run)
		store_put(g->st, g->consent, g->tmp.p, g->tmp.len, &v, 1);
}

/* A $tag record: the person's trait for templates, kept in
 * dispatch.traits (a null new value removes it). */
static void on_tag(struct dispatch *g, const struct json_doc *d)
{
	uint32_t oneid, t_tag = json_get(d, 0, "tag", 3), t_new = json_get(d, 0, "new", 3);
	unsigned char key[4];
	jv o, s;

	if (g->dry_run)
		return;
	json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
	o = load_traits(g, oneid);
	buf_reset(&g->tmp);
	json_str_get(d, t_tag, &g->tmp);
	if (d->t[t_new].type == JSON_NULL)
		o = jv_object_delete(o, jv_string_sized(g->tmp.p ? g->tmp.p : "", (int)g->tmp.len));
	else
		o = jv_object_set(o, jv_string_sized(g->tmp.p ? g->tmp.p : "", (int)g->tmp.len),
				  jqprog_from_json(d, t_new));
	store_be32(key, oneid);
	if (!jv_object_length(jv_copy(o))) {
		jv_free(o);
		store_del(g->st, g->traits, key, 4);
		return;
	}
	s = jv_dump_string(o, JV_PRINT_SORTED);
	store_put(g->st, g->traits, key, 4, jv_string_value(s), (size_t)jv_string_length_bytes(jv_copy(s)));
	jv_free(s);
}

/* 1 when type:value (tl, vl bytes) is blocked from the address book: listed
 * in identity.json's "blocked" or matching one of its "blocked_patterns",
 * or blocked with `idmerge block`; idmerge links none of these. */
static int id_blocked(struct dispatch *g, const char *type, size_t tl, const char *val, size_t vl)
{
	struct buf k = BUF_INIT;
	MDB_val v;
	unsigned i;
	int r = 0;

	buf_add(&k, type, tl);
	buf_addc(&k, ':');
	buf_add(&k, val, vl);
	for (i = 0; i < g->nblocked && !r; i++)
		r = !strcmp(g->blocked[i], k.p);
	for (i = 0; i < g->nblocked_pat && !r; i++)
		r = !fnmatch(g->blocked_pat[i], k.p, 0);
	if (!r && g->have_idblocked)
		r = store_get(g->st, g->idblocked, k.p, k.len, &v) == 1;
	buf_release(&k);
	return r;
}

/*
 * An event with a oneid: its identifiers of the types channels address
 * by go into the person's address book (dispatch.addresses), the first
 * of each type, unless idmerge already gives one of that type (it answers
 * then) or it is blocked. A $send right behind the event finds them
 * whether or not idmerge has committed them.
 */
static void on_ids(struct dispatch *g, const struct json_doc *d)
{
	uint32_t oneid, t_ids = json_get(d, 0, "ids", 3), k, i;
	unsigned char key[4];
	MDB_val v;
	struct buf type = BUF_INIT, val = BUF_INIT, out = BUF_INIT, have = BUF_INIT;
	int loaded = 0;

	if (g->dry_run || !t_ids || d->t[t_ids].type != JSON_OBJECT || json_oneid(d, json_get(d, 0, "oneid", 5), &oneid))
		return;
	for (k = 0, i = t_ids + 1; k < d->t[t_ids].size; k++, i = d->t[i + 1].next) {
		const char *a;
		size_t an;
		unsigned j;
		if (d->t[i + 1].type != JSON_STRING || !d->t[i + 1].len)
			continue;
		buf_reset(&type);
		json_str_get(d, i, &type);
		for (j = 0; j < g->naddr_types && strcmp(g->addr_types[j], type.p ? type.p : ""); j++)
			;
		if (j == g->naddr_types)
			continue;
		if (!loaded) { /* the person's book, read once an address type is there */
			store_be32(key, survivor(g, oneid));
			if (store_get(g->st, g->addrdb, key, 4, &v) == 1)
				buf_add(&have, v.mv_data, v.mv_size);
			loaded = 1;
		}
		if (addrbook_get(have.p, have.len, type.p, type.len, &a, &an))
			continue;
		buf_reset(&val);
		json_str_get(d, i + 1, &val);
		if (id_blocked(g, type.p, type.len, val.p, val.len) || lookup_address(g, oneid, type.p, &out))
			continue;
		if (addrbook_add(have.p, have.len, type.p, type.len, val.p, val.len, &out)) {
			buf_reset(&have);
			buf_add(&have, out.p, out.len);
			store_put(g->st, g->addrdb, key, 4, have.p, have.len);
		}
	}
	buf_release(&type);
	buf_release(&val);
	buf_release(&out);
	buf_release(&have);
}

/* Read dbi's value of person a and b, fold b's into a's with fold, write
 * it as a's, and delete b's. */
static void fold_person(struct dispatch *g, MDB_dbi dbi, uint32_t a, uint32_t b,
			void (*fold)(const void *, size_t, const void *, size_t, struct buf *))
{
	unsigned char ka[4], kb[4];
	MDB_val v;
	struct buf av = BUF_INIT, out = BUF_INIT;

	store_be32(ka, a);
	store_be32(kb, b);
	if (store_get(g->st, dbi, kb, 4, &v) != 1)
		return;
	buf_add(&out, v.mv_data, v.mv_size); /* b's, copied before a's is read */
	if (store_get(g->st, dbi, ka, 4, &v) == 1)
		buf_add(&av, v.mv_data, v.mv_size);
	{
		struct buf bv = out;
		out = (struct buf)BUF_INIT;
		fold(av.p, av.len, bv.p, bv.len, &out);
		buf_release(&bv);
	}
	store_put(g->st, dbi, ka, 4, out.p, out.len);
	store_del(g->st, dbi, kb, 4);
	buf_release(&av);
	buf_release(&out);
}

static void book_fold(const void *a, size_t an, const void *b, size_t bn, struct buf *out)
{
	addrbook_fold(a, an, b, bn, out);
}

/*
 * A $merge: each merged person's address book, caps history and
 * engagement fold into the survivor's, and withdrawals of consent on the
 * configured channels apply to it; dispatch.merged keeps merged ->
 * survivor, so a $send that still names the merged is counted on the
 * survivor, and a replayed $merge changes nothing.
 */
static void on_merge(struct dispatch *g, const struct json_doc *d)
{
	uint32_t s, t = json_get(d, 0, "merged", 6), k, i;
	unsigned char key[4], sk[4];
	MDB_val v;
	unsigned c;

	if (g->dry_run || json_oneid(d, json_get(d, 0, "oneid", 5), &s))
		return;
	s = survivor(g, s);
	store_be32(sk, s);
	for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i].next) {
		uint32_t m;
		if (json_oneid(d, i, &m) || m == s)
			continue;
		store_be32(key, m);
		if (store_get(g->st, g->mergedb, key, 4, &v) == 1)
			continue; /* folded already: a replay */
		store_put(g->st, g->mergedb, key, 4, sk, 4);
		if (g->have_ho) /* the merged person's entry moves with this partition */
			handoff_note(&g->ho, g->f.stream, m);
		fold_person(g, g->addrdb, s, m, book_fold);
		fold_person(g, g->capsdb, s, m, caps_fold);
		fold_person(g, g->engdb, s, m, engage_fold);
		for (c = 0; c < g->ch.nch; c++)
			if (consent_withdrawn1(g, m, g->ch.ch[c].name)) {
				unsigned char no = 'n';
				buf_reset(&g->tmp);
				buf_add(&g->tmp, sk, 4);
				buf_adds(&g->tmp, g->ch.ch[c].name);
				store_put(g->st, g->consent, g->tmp.p, g->tmp.len, &no, 1);
			}
	}
}

/*
 * The deferred sends of the record's stream whose time the stream's clock
 * has reached, decided again in (until, send_id) order at their until:
 * the clock is the latest event time read on the stream (any record with
 * a ts, $tick records too), another partition's never counts.
 */
static void redrive(struct dispatch *g)
{
	struct json_doc d = JSON_DOC_INIT;
	struct buf text = BUF_INIT;

	if (g->in_redrive || !deferq_due(&g->dq, g->f.stream, g->clock))
		return;
	g->in_redrive = 1;
	while (!g->f.fatal) {
		struct deferq_item x;
		const char *why;
		size_t at;
		uint32_t oneid;
		int st = deferq_pop(&g->dq, g->f.stream, g->clock, &x);
		if (st <= 0) {
			if (st < 0)
				g->f.fatal = EXIT_IO;
			break;
		}
		buf_reset(&text);
		if (x.send) { /* --dry-run: nothing stored, the record kept here */
			buf_adds(&text, x.send);
			st = OUTBOX_DEFERRED;
		} else {
			st = outbox_get(&g->ob, x.id, strlen(x.id), &oneid, &text);
		}
		if (st == OUTBOX_DEFERRED && !json_parse(&d, text.p, text.len, 64, &why, &at))
			on_send(g, &d, text.p, text.len, x.until);
		free(x.id);
		free(x.send);
	}
	json_doc_release(&d);
	buf_release(&text);
	g->in_redrive = 0;
}

/* An event dispatch.json names: the person's consent on its channel. */
static void on_event(struct dispatch *g, const struct json_doc *d, uint32_t t_type)
{
	size_t i;
	uint32_t oneid, t;
	unsigned char v;

	for (i = 0; i < g->nev && !json_str_eq(d, t_type, g->ev[i].type, strlen(g->ev[i].type)); i++)
		;
	if (i == g->nev || json_oneid(d, json_get(d, 0, "oneid", 5), &oneid) || g->dry_run)
		return;
	buf_reset(&g->tmp);
	buf_add(&g->tmp, "\0\0\0\0", 4);
	store_be32((unsigned char *)g->tmp.p, oneid);
	if (g->ev[i].channel) {
		buf_adds(&g->tmp, g->ev[i].channel);
	} else {
		const char *pn = g->ev[i].channel_prop;
		t = json_get(d, 0, pn, strlen(pn));
		if (!t && (t = json_get(d, 0, "props", 5)) && d->t[t].type == JSON_OBJECT)
			t = json_get(d, t, pn, strlen(pn));
		if (!t || d->t[t].type != JSON_STRING || !d->t[t].len)
			return; /* names no channel: nothing to change */
		json_str_get(d, t, &g->tmp);
	}
	v = g->ev[i].granted ? 'y' : 'n';
	store_put(g->st, g->consent, g->tmp.p, g->tmp.len, &v, 1);
}

/* 1 when a record that counts for engagement was applied already (a
 * replay), 0 when it is new (and now recorded). By event_id, over the
 * last 30 days of event time; a record without one is counted. */
static int engage_seen(struct dispatch *g, const struct json_doc *d)
{
	uint32_t t = json_get(d, 0, "event_id", 8), tt = json_get(d, 0, "ts", 2);
	int64_t at;
	int r;

	if (!g->have_engseen || !t || d->t[t].type != JSON_STRING || !tt || clock_parse_tok(d, tt, &at))
		return 0;
	r = seen_check(&g->engseen, at, at > g->clock ? at : g->clock, d->s + d->t[t].off, d->t[t].len);
	if (r < 0)
		g->f.fatal = EXIT_IO;
	return r != 0;
}

/* An event that dispatch.json's "engagement" counts (an open, a click …):
 * its weight goes to the person's engagement on its channel. */
static void on_engagement(struct dispatch *g, const struct json_doc *d, uint32_t t_type)
{
	size_t i;
	uint32_t oneid, t;
	struct buf ch = BUF_INIT;

	for (i = 0; i < g->neng && !json_str_eq(d, t_type, g->eng[i].type, strlen(g->eng[i].type)); i++)
		;
	if (i == g->neng || json_oneid(d, json_get(d, 0, "oneid", 5), &oneid) || g->dry_run)
		return;
	if (g->eng[i].channel) {
		buf_adds(&ch, g->eng[i].channel);
	} else {
		const char *pn = g->eng[i].channel_prop;
		t = json_get(d, 0, pn, strlen(pn));
		if (!t && (t = json_get(d, 0, "props", 5)) && d->t[t].type == JSON_OBJECT)
			t = json_get(d, t, pn, strlen(pn));
		if (!t || d->t[t].type != JSON_STRING || !d->t[t].len)
			return; /* names no channel: nothing to count */
		json_str_get(d, t, &ch);
	}
	if (!engage_seen(g, d))
		engage_count(g, oneid, ch.p, ch.len, 0, g->eng[i].weight);
	buf_release(&ch);
}

/* A $delivery read (another dispatch's, or history): a sent one counts as a
 * send on its channel, unless it is one of this outbox's (counted when it
 * was sent). */
static void on_delivery(struct dispatch *g, const struct json_doc *d)
{
	uint32_t oneid, t_st = json_get(d, 0, "status", 6), t_ch = json_get(d, 0, "channel", 7),
			t_id = json_get(d, 0, "send_id", 7);
	struct buf ch = BUF_INIT;

	if (!g->neng || g->dry_run || !t_st || !json_str_eq(d, t_st, "sent", 4) || !t_ch ||
	    d->t[t_ch].type != JSON_STRING || !t_id || d->t[t_id].type != JSON_STRING ||
	    json_oneid(d, json_get(d, 0, "oneid", 5), &oneid))
		return;
	if (outbox_get(&g->ob, d->s + d->t[t_id].off, d->t[t_id].len, NULL, NULL) != OUTBOX_NONE)
		return;
	json_str_get(d, t_ch, &ch);
	if (ch.len && !engage_seen(g, d))
		engage_count(g, oneid, ch.p, ch.len, 1, 0);
	buf_release(&ch);
}

/* ---- merges across partitions (lib/fold) ---- */

/*
 * With Kafka, a merged person's state is on the partition of their old
 * oneid, and it may be another store's. The copy of the $merge for that
 * partition ("leaving") writes their state by name as a $fold keyed by
 * the survivor into dispatch's own input topic and drops it there; the
 * survivor's partition holds at its copy until the $fold came, then folds
 * it in, as on_merge folds a person of this store. The state:
 * {"addresses":{type:value…} in the book's order, "caps":[[ms,channel]…],
 * "engagement":{channel:[sends,engaged]…}, "withdrawn":[channel…]} (the
 * configured channels whose consent the person withdrew), or null.
 */

/* dispatch.merged: merged -> into, unless it says so already; the entry
 * is the stream's (it moves with its partition). */
static void note_merged(struct dispatch *g, uint32_t merged, uint32_t into)
{
	unsigned char key[4], sk[4];
	MDB_val v;

	store_be32(key, merged);
	if (store_get(g->st, g->mergedb, key, 4, &v) == 1)
		return;
	store_be32(sk, into);
	store_put(g->st, g->mergedb, key, 4, sk, 4);
	if (g->have_ho)
		handoff_note(&g->ho, g->f.stream, merged);
}

static int fold_leave(void *ctx, uint32_t lv, const struct json_doc *d, uint32_t t_id, struct buf *out)
{
	struct dispatch *g = ctx;
	unsigned char key[4];
	const unsigned char *p, *e;
	size_t start = out->len;
	MDB_val v;
	uint32_t into = 0;
	unsigned c, k;
	int any = 0;

	(void)t_id;
	json_oneid(d, json_get(d, 0, "oneid", 5), &into);
	store_be32(key, lv);
	buf_addc(out, '{');
	if (store_get(g->st, g->addrdb, key, 4, &v) == 1 && v.mv_size) {
		p = v.mv_data;
		e = p + v.mv_size;
		buf_adds(out, "\"addresses\":{");
		for (k = 0; p < e; k++) {
			const unsigned char *nl = memchr(p, '\n', (size_t)(e - p)), *colon;
			if (!nl)
				nl = e;
			colon = memchr(p, ':', (size_t)(nl - p));
			if (k)
				buf_addc(out, ',');
			if (!colon)
				colon = nl;
			json_write_str(out, (const char *)p, (size_t)(colon - p));
			buf_addc(out, ':');
			json_write_str(out, (const char *)colon + (colon < nl), (size_t)(nl - colon - (colon < nl)));
			p = nl + 1;
		}
		buf_addc(out, '}');
		store_del(g->st, g->addrdb, key, 4);
		any = 1;
	}
	if (store_get(g->st, g->capsdb, key, 4, &v) == 1 && v.mv_size) {
		p = v.mv_data;
		e = p + v.mv_size;
		buf_adds(out, any ? ",\"caps\":[" : "\"caps\":[");
		for (k = 0; e - p >= 9 && (size_t)(e - p) >= 9u + p[8]; k++) {
			char num[24];
			if (k)
				buf_addc(out, ',');
			snprintf(num, sizeof num, "[%lld,", (long long)store_get_be64(p));
			buf_adds(out, num);
			json_write_str(out, (const char *)p + 9, p[8]);
			buf_addc(out, ']');
			p += 9 + p[8];
		}
		buf_addc(out, ']');
		store_del(g->st, g->capsdb, key, 4);
		any = 1;
	}
	if (store_get(g->st, g->engdb, key, 4, &v) == 1 && v.mv_size) {
		p = v.mv_data;
		e = p + v.mv_size;
		buf_adds(out, any ? ",\"engagement\":{" : "\"engagement\":{");
		for (k = 0; e - p >= 1 && (size_t)(e - p) >= 9u + p[0]; k++) {
			char num[32];
			if (k)
				buf_addc(out, ',');
			json_write_str(out, (const char *)p + 1, p[0]);
			snprintf(num, sizeof num, ":[%u,%u]", store_get_be32(p + 1 + p[0]), store_get_be32(p + 5 + p[0]));
			buf_adds(out, num);
			p += 9 + p[0];
		}
		buf_addc(out, '}');
		store_del(g->st, g->engdb, key, 4);
		any = 1;
	}
	for (c = k = 0; c < g->ch.nch; c++)
		if (consent_withdrawn1(g, lv, g->ch.ch[c].name)) {
			buf_adds(out, k++ ? "," : any ? ",\"withdrawn\":[" : "\"withdrawn\":[");
			json_write_str(out, g->ch.ch[c].name, strlen(g->ch.ch[c].name));
		}
	if (k) {
		buf_addc(out, ']');
		any = 1;
	}
	if (any) {
		buf_addc(out, '}');
	} else {
		out->len = start;
		buf_adds(out, "null");
	}
	note_merged(g, lv, into);
	return 0;
}

static int fold_begin(void *ctx, const struct json_doc *d, uint32_t oneid, uint32_t t_id)
{
	struct dispatch *g = ctx;

	(void)d;
	(void)t_id;
	g->fold_into = oneid;
	return 0;
}

/* Fold value b (bn bytes) of a merged person into a's value in dbi. */
static void fold_value(struct dispatch *g, MDB_dbi dbi, uint32_t a, const void *b, size_t bn,
		       void (*fold)(const void *, size_t, const void *, size_t, struct buf *))
{
	unsigned char ka[4];
	MDB_val v;
	struct buf av = BUF_INIT, out = BUF_INIT;

	store_be32(ka, a);
	if (store_get(g->st, dbi, ka, 4, &v) == 1)
		buf_add(&av, v.mv_data, v.mv_size);
	fold(av.p, av.len, b, bn, &out);
	store_put(g->st, dbi, ka, 4, out.p, out.len);
	buf_release(&av);
	buf_release(&out);
}

/* A number token of fd as an unsigned integer: 0, or -1 when it is not one. */
static int tok_u64(const struct json_doc *fd, uint32_t t, uint64_t *out)
{
	uint64_t x = 0;
	uint32_t i;

	if (!t || fd->t[t].type != JSON_NUMBER || !fd->t[t].len || fd->t[t].len > 19)
		return -1;
	for (i = 0; i < fd->t[t].len; i++) {
		char c = fd->s[fd->t[t].off + i];
		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (uint64_t)(c - '0');
	}
	*out = x;
	return 0;
}

static int fold_take(void *ctx, uint32_t mid, const struct json_doc *fd, uint32_t st)
{
	struct dispatch *g = ctx;
	uint32_t a = g->fold_into, t, i, k;
	struct buf val = BUF_INIT, name = BUF_INIT, next = BUF_INIT, s2 = BUF_INIT;
	unsigned c;
	int bad = 0;

	t = json_get(fd, st, "addresses", 9);
	if (t && fd->t[t].type == JSON_OBJECT) {
		for (k = 0, i = t + 1; k < fd->t[t].size; k++, i = fd->t[i + 1].next) {
			buf_reset(&name);
			buf_reset(&s2);
			json_str_get(fd, i, &name);
			if (fd->t[i + 1].type != JSON_STRING) {
				bad = 1;
				continue;
			}
			json_str_get(fd, i + 1, &s2);
			if (addrbook_add(val.p, val.len, name.p, name.len, s2.p, s2.len, &next)) {
				struct buf x = val;
				val = next;
				next = x;
			} else {
				bad = 1;
			}
		}
		if (val.len)
			fold_value(g, g->addrdb, a, val.p, val.len, book_fold);
	} else if (t) {
		bad = 1;
	}
	t = json_get(fd, st, "caps", 4);
	buf_reset(&val);
	if (t && fd->t[t].type == JSON_ARRAY) {
		for (k = 0, i = t + 1; k < fd->t[t].size; k++, i = fd->t[i].next) {
			uint64_t ms;
			unsigned char b8[8];
			if (fd->t[i].type != JSON_ARRAY || fd->t[i].size != 2 || tok_u64(fd, i + 1, &ms) ||
			    fd->t[fd->t[i + 1].next].type != JSON_STRING) {
				bad = 1;
				continue;
			}
			buf_reset(&name);
			json_str_get(fd, fd->t[i + 1].next, &name);
			if (name.len > 255) {
				bad = 1;
				continue;
			}
			store_be64(b8, ms);
			buf_add(&val, b8, 8);
			buf_addc(&val, (char)name.len);
			buf_add(&val, name.p, name.len);
		}
		if (val.len)
			fold_value(g, g->capsdb, a, val.p, val.len, caps_fold);
	} else if (t) {
		bad = 1;
	}
	t = json_get(fd, st, "engagement", 10);
	buf_reset(&val);
	if (t && fd->t[t].type == JSON_OBJECT) {
		for (k = 0, i = t + 1; k < fd->t[t].size; k++, i = fd->t[i + 1].next) {
			uint64_t sn, en;
			uint32_t v = i + 1;
			buf_reset(&name);
			json_str_get(fd, i, &name);
			if (fd->t[v].type != JSON_ARRAY || fd->t[v].size != 2 || tok_u64(fd, v + 1, &sn) ||
			    tok_u64(fd, fd->t[v + 1].next, &en) || sn > UINT32_MAX || en > UINT32_MAX) {
				bad = 1;
				continue;
			}
			engage_add(val.p, val.len, name.p, name.len, (uint32_t)sn, (uint32_t)en, &next);
			{
				struct buf x = val;
				val = next;
				next = x;
			}
		}
		if (val.len)
			fold_value(g, g->engdb, a, val.p, val.len, engage_fold);
	} else if (t) {
		bad = 1;
	}
	t = json_get(fd, st, "withdrawn", 9);
	if (t && fd->t[t].type == JSON_ARRAY) {
		for (k = 0, i = t + 1; k < fd->t[t].size; k++, i = fd->t[i].next)
			for (c = 0; c < g->ch.nch; c++)
				if (fd->t[i].type == JSON_STRING &&
				    json_str_eq(fd, i, g->ch.ch[c].name, strlen(g->ch.ch[c].name))) {
					unsigned char no = 'n';
					buf_reset(&g->tmp);
					buf_add(&g->tmp, "\0\0\0\0", 4);
					store_be32((unsigned char *)g->tmp.p, a);
					buf_adds(&g->tmp, g->ch.ch[c].name);
					store_put(g->st, g->consent, g->tmp.p, g->tmp.len, &no, 1);
				}
	} else if (t) {
		bad = 1;
	}
	note_merged(g, mid, a);
	buf_release(&val);
	buf_release(&name);
	buf_release(&next);
	buf_release(&s2);
	return bad;
}

/* The $merge is applied: as another record, the clock moves to its ts,
 * and what fell due on the stream is decided. */
static void fold_end(void *ctx, const struct json_doc *d, uint32_t t_id, int any)
{
	struct dispatch *g = ctx;
	uint32_t t = json_get(d, 0, "ts", 2);
	int64_t at;

	(void)t_id;
	(void)any;
	g->merges++;
	if (t && !clock_parse_tok(d, t, &at))
		clock_move(g, at);
	redrive(g);
}

static void process(struct dispatch *g, const char *s, size_t n);

static void fold_process(void *ctx, const char *p, size_t n)
{
	process(ctx, p, n);
}

static void fold_stream(void *ctx, uint32_t st)
{
	struct dispatch *g = ctx;

	g->f.stream = st;
	g->clock = pclock_get(&g->pc, st)->clock;
}

static const struct fold_ops fold_ops = {
	fold_stream, fold_leave, fold_begin, fold_take, fold_end, fold_process,
};

static void recover_stream(struct dispatch *g, uint32_t stream);

static void process(struct dispatch *g, const char *s, size_t n)
{
	struct json_doc *d = &g->doc;
	const char *why;
	size_t at;
	uint32_t t_type;

	if (g->lazy_recover && !g->in_redrive)
		recover_stream(g, g->f.stream);
	g->f.oc.in++;
	if (json_parse(d, s, n, 64, &why, &at)) {
		outcome_bad_json(&g->f.oc, why, at);
		return;
	}
	if (d->t[0].type != JSON_OBJECT) {
		OUTCOME_REJECT(&g->f.oc, "not a json object");
		return;
	}
	t_type = json_get(d, 0, "type", 4);
	if (!t_type || d->t[t_type].type != JSON_STRING || !d->t[t_type].len) {
		OUTCOME_REJECT(&g->f.oc, "no \"type\"");
		return;
	}
	if (d->t[t_type].esc) {
		OUTCOME_REJECT(&g->f.oc, "invalid type: written with escapes");
		return;
	}
	g->clock = pclock_get(&g->pc, g->f.stream)->clock;
	/* what a stopped run left due on the stream first (it stopped in
	 * the midst of deciding them again), as the run that went on did */
	redrive(g);
	if (g->have_ho && !g->dry_run) { /* the person's partition: this record's */
		uint32_t oneid;
		/* (a $merge's copy for a merged person's partition: theirs) */
		if (!json_oneid(d, json_get(d, 0, "oneid", 5), &oneid) && !json_get(d, 0, "leaving", 7))
			handoff_note(&g->ho, g->f.stream, oneid);
	}
	if (json_str_eq(d, t_type, "$fold", 5)) { /* consumed, never passed on */
		if (g->dry_run)
			g->f.oc.skipped++;
		else
			fold_driver_fold(&g->fd, d, s, n);
		return;
	}
	if (json_str_eq(d, t_type, "$send", 5)) {
		if ((why = sysrec_check(d, 0, "$send"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		on_send(g, d, s, n, INT64_MIN);
		redrive(g);
		return;
	}
	if (json_str_eq(d, t_type, "$consent", 8)) {
		if ((why = sysrec_check(d, 0, "$consent"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		on_consent(g, d);
	} else if (json_str_eq(d, t_type, "$tag", 4)) {
		if ((why = sysrec_check(d, 0, "$tag"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		on_tag(g, d);
	} else if (json_str_eq(d, t_type, "$delivery", 9)) {
		on_delivery(g, d);
	} else if (json_str_eq(d, t_type, "$merge", 6)) {
		if ((why = sysrec_check(d, 0, "$merge"))) {
			outcome_reject(&g->f.oc, why, strlen(why));
			return;
		}
		if (!g->dry_run) { /* a copy for one partition of a merge across them (Kafka) */
			int64_t ts;
			uint32_t oneid;
			clock_parse_tok(d, json_get(d, 0, "ts", 2), &ts);
			json_oneid(d, json_get(d, 0, "oneid", 5), &oneid);
			if (fold_driver_merge(&g->fd, d, s, n, oneid, ts)) {
				if (json_get(d, 0, "leaving", 7)) { /* as another record */
					clock_move(g, ts);
					redrive(g);
				}
				return;
			}
		}
		on_merge(g, d);
		g->merges++;
	} else {
		if (g->naddr_types && d->s[d->t[t_type].off] != '$')
			on_ids(g, d);
		if (g->nev)
			on_event(g, d, t_type);
		if (g->neng)
			on_engagement(g, d, t_type);
	}
	g->others++;
	g->f.oc.passed++;
	{
		uint32_t oneid;
		char key[12];
		int kl = 0;
		if (!json_oneid(d, json_get(d, 0, "oneid", 5), &oneid))
			kl = u32_dec(key, oneid);
		filter_emit(&g->f, kl ? key : NULL, (size_t)kl, s, n);
	}
	{
		uint32_t t = json_get(d, 0, "ts", 2);
		int64_t at;
		if (t && !clock_parse_tok(d, t, &at))
			clock_move(g, at);
	}
	redrive(g);
}

static void on_record(void *ctx, const char *p, size_t n)
{
	struct dispatch *g = ctx;

	/* a partition waiting for a merge's $folds: what comes after the
	 * $merge waits too */
	if (!fold_driver_aside(&g->fd, g->f.stream, p, n))
		process(g, p, n);
}

static int fold_waiting(void *ctx)
{
	return fold_driver_waiting(&((struct dispatch *)ctx)->fd);
}

static void fold_input_end(void *ctx)
{
	fold_driver_end(&((struct dispatch *)ctx)->fd);
}

static void fold_revoked(void *ctx)
{
	fold_driver_revoked(&((struct dispatch *)ctx)->fd);
}

/* ---- recovery: what a stopped run left in flight ---- */

struct pend {
	char *id;
	int state;
};

struct pends {
	struct pend *v;
	size_t n, cap;
};

static int collect_pending(void *ctx, const char *id, size_t n, int state)
{
	struct pends *p = ctx;

	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 64;
		p->v = xrealloc(p->v, p->cap * sizeof *p->v);
	}
	p->v[p->n].id = xstrndup(id, n);
	p->v[p->n++].state = state;
	return 0;
}

/* -v: peak RSS and the resident memory now, anonymous (the heap) apart
 * from file-backed (LMDB's pages read through the map, which the kernel
 * may drop), from /proc/self/status; nothing where it is absent. at: the
 * sends read so far, or 0 at the end. */
static void print_memory(const struct dispatch *g, unsigned long long at)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[128];
	long hwm = -1, anon = -1, file = -1;

	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		sscanf(line, "VmHWM: %ld", &hwm);
		sscanf(line, "RssAnon: %ld", &anon);
		sscanf(line, "RssFile: %ld", &file);
	}
	fclose(f);
	if (hwm >= 0 && anon >= 0 && file >= 0 && at)
		fprintf(stderr, "%s: memory after %llu sends: peak RSS %.1f MB; now %.1f MB anonymous, %.1f MB "
			"file-backed\n", cli_prog, at, hwm / 1024.0, anon / 1024.0, file / 1024.0);
	else if (hwm >= 0 && anon >= 0 && file >= 0)
		fprintf(stderr, "%s: memory: peak RSS %.1f MB; at the end %.1f MB anonymous, %.1f MB file-backed; "
			"%zu sends deferred in memory\n", cli_prog, hwm / 1024.0, anon / 1024.0, file / 1024.0,
			deferq_in_memory(&g->dq));
}

/*
 * Every send still pending or kept for a rerun: a retry (never reached its
 * provider) is sent again; a pending one may have reached it, so it is
 * sent again only where the provider takes an idempotency key (the key is
 * the send_id: the provider keeps one copy), and otherwise answered
 * "unknown", counted and not resent.
 *
 * all: every one, before any input is read. Else those of the people of
 * stream (dispatch.streams; the first call takes those of no known stream
 * too), from inside a record of the stream: sent at once (they are
 * committed already) apart from the window being decided, and their
 * outcomes committed with the positions before the record.
 */
static int recover(struct dispatch *g, int all, uint32_t stream)
{
	struct pends P = {0};
	struct json_doc d = JSON_DOC_INIT;
	struct flight *keep = NULL;
	size_t i, nkeep = 0, capkeep = 0, n = 0;
	int rc;

	if (!all) {
		g->rec_streams = xrealloc(g->rec_streams, (g->nrec_streams + 1) * sizeof *g->rec_streams);
		g->rec_streams[g->nrec_streams++] = stream;
		/* the window being decided waits for its pending commit */
		keep = g->fl, nkeep = g->nfl, capkeep = g->capfl;
		g->fl = NULL, g->nfl = g->capfl = 0;
	}
	if ((rc = outbox_scan_pending(&g->ob, collect_pending, &P)) < 0) {
		g->f.fatal = EXIT_IO;
		goto out;
	}
	for (i = 0; i < P.n && !g->f.fatal; i++) {
		const char *id = P.v[i].id, *why;
		size_t idn = strlen(id), at;
		uint32_t oneid = 0, t;
		struct buf ts = BUF_INIT, chn = BUF_INIT;
		struct channel *c;
		int st;

		buf_reset(&g->text);
		st = outbox_get(&g->ob, id, idn, &oneid, &g->text);
		if (st != OUTBOX_PENDING && st != OUTBOX_RETRY)
			continue;
		if (!all) {
			uint32_t s;
			int r = handoff_stream_of(&g->ho, oneid, &s);
			if (r < 0) {
				g->f.fatal = EXIT_IO;
				break;
			}
			if (r ? s != stream : g->recovered_unknown)
				continue;
		}
		n++;
		if (json_parse(&d, g->text.p, g->text.len, 64, &why, &at)) {
			cli_err("outbox: send '%s': cannot read its message: %s", id, why);
			continue;
		}
		if ((t = json_get(&d, 0, "ts", 2)) && d.t[t].type == JSON_STRING)
			buf_add(&ts, d.s + d.t[t].off, d.t[t].len);
		if ((t = json_get(&d, 0, "channel", 7)) && d.t[t].type == JSON_STRING)
			json_str_get(&d, t, &chn);
		c = channels_find(&g->ch, chn.p ? chn.p : "", chn.len);
		g->recovered++;
		if (!c) {
			answer(g, id, idn, oneid, ts.p ? ts.p : "", ts.len,
			       st == OUTBOX_RETRY ? OUTBOX_FAILED : OUTBOX_UNKNOWN,
			       "its channel is no longer configured", chn.p, NULL, NULL);
		} else if (st == OUTBOX_PENDING && !c->pv->idempotent) {
			answer(g, id, idn, oneid, ts.p ? ts.p : "", ts.len, OUTBOX_UNKNOWN,
			       "in flight when dispatch stopped, and the provider takes no idempotency key: not resent",
			       c->name, c->pv->name, NULL);
		} else {
			struct flight *x;
			if (g->nfl == g->capfl) {
				g->capfl = g->capfl ? 2 * g->capfl : 64;
				g->fl = xrealloc(g->fl, g->capfl * sizeof *g->fl);
			}
			x = &g->fl[g->nfl++];
			memset(x, 0, sizeof *x);
			x->id = xstrdup(id);
			x->oneid = oneid;
			x->channel = xstrdup(c->name);
			x->ts = xstrndup(ts.p ? ts.p : "", ts.len);
			buf_add(&x->msg, g->text.p, g->text.len);
			if (all && (long)g->nfl >= g->parallel && (rc = filter_commit(&g->f)))
				g->f.fatal = rc;
		}
		buf_release(&ts);
		buf_release(&chn);
	}
	for (i = 0; i < P.n; i++)
		free(P.v[i].id);
	free(P.v);
	json_doc_release(&d);
	if (n && !g->cli.quiet)
		cli_info("recovered %zu sends left in flight", n);
out:
	if (all) {
		if (!g->f.fatal && (rc = filter_commit(&g->f)))
			g->f.fatal = rc;
		return g->f.fatal;
	}
	g->recovered_unknown = 1;
	g->in_flush = 1;
	send_flights(g);
	free(g->fl);
	g->fl = keep, g->nfl = nkeep, g->capfl = capkeep;
	if (n && !g->f.fatal && (rc = filter_commit_mid(&g->f)))
		g->f.fatal = rc;
	g->in_flush = 0;
	return g->f.fatal;
}

/* Kafka: stream's sends left in flight, once per run, at its first record
 * (or at the end, for a partition given that brought none). */
static void recover_stream(struct dispatch *g, uint32_t stream)
{
	size_t i;

	for (i = 0; i < g->nrec_streams; i++)
		if (g->rec_streams[i] == stream)
			return;
	recover(g, 0, stream);
}

static int run_filter(struct dispatch *g)
{
	int rc, i;

	if ((rc = filter_open(&g->f)))
		return rc;
	if (!g->cli.nin)
		g->cli.in[g->cli.nin++] = "-";
	for (i = 0; i < g->cli.nin; i++)
		if (!strncmp(g->cli.in[i], "kafka://", 8))
			g->lazy_recover = g->have_ho;
	if (!g->dry_run && !g->lazy_recover)
		rc = recover(g, 1, 0);
	for (i = 0; i < g->cli.nin && !rc && !cli_stop; i++)
		rc = filter_run(&g->f, g->cli.in[i]);
	/* the partitions given that brought no record passed the fence too */
	for (i = 0; i < g->nparts && !rc && !cli_stop && g->lazy_recover; i++) {
		recover_stream(g, (uint32_t)g->kparts[i]);
		rc = g->f.fatal;
	}
	rc = filter_close(&g->f, rc);
	if (g->cli.verbose) {
		outcome_print(&g->f.oc, "skipped");
		fprintf(stderr, "%s: %llu sends: %llu sent, %llu suppressed, %llu failed, %llu unknown; %llu duplicate, "
			"%llu recovered, %llu deferred, %llu other records\n", cli_prog, g->sends, g->sent, g->suppressed,
			g->failed, g->unknown, g->dups, g->recovered, g->deferred, g->others);
		fold_driver_print(&g->fd);
		store_print(g->st);
		print_memory(g, 0);
	}
	if ((!rc || rc == EXIT_REJECTS) && g->temp_fail) {
		cli_err("some sends could not reach their provider: kept for a rerun");
		rc = EXIT_TEMP;
	}
	return rc;
}

/* ---- sub-commands ---- */

/* cmd's --channel: 0 when the channels file (--channels, else
 * PIPELINES/channels.json, loaded here when it is not yet) defines it;
 * else 64 naming the channels it has (or the loader's code: 78 for a bad
 * or missing file). */
static int channel_known(struct dispatch *g, const char *cmd)
{
	struct buf names = BUF_INIT;
	unsigned k;
	int rc;

	if (!g->ch.path) {
		struct buf path = BUF_INIT;
		if (!g->channels_path)
			buf_printf(&path, "%s/channels.json", g->pipelines);
		rc = channels_load(&g->ch, g->channels_path ? g->channels_path : path.p);
		buf_release(&path);
		if (rc)
			return rc;
	}
	if (channels_find(&g->ch, g->channel_opt, strlen(g->channel_opt)))
		return 0;
	for (k = 0; k < g->ch.nch; k++)
		buf_printf(&names, "%s%s", k ? ", " : "", g->ch.ch[k].name);
	cli_err("%s --channel '%s': no such channel in '%s' (it has: %s)", cmd, g->channel_opt,
		g->ch.path ? g->ch.path : "channels.json", names.len ? names.p : "none");
	buf_release(&names);
	return EXIT_USAGE;
}

/* suppress --channel CH FILE…: a do-not-contact list, an address a line
 * (phones to E.164, emails lower-cased as ingest does). */
static int op_suppress(struct dispatch *g, int argc, char **argv)
{
	int i, rc = 0;
	unsigned long long n = 0, bad = 0;
	struct buf norm = BUF_INIT;

	if (!g->channel_opt || argc < 1) {
		cli_err("suppress wants --channel NAME and a FILE of addresses");
		return EXIT_USAGE;
	}
	/* a list under a name no channel has would never be consulted:
	 * every address on it would still be contacted */
	if ((rc = channel_known(g, "suppress")))
		return rc;
	for (i = 0; i < argc && !rc; i++) {
		FILE *fp = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
		char *ln = NULL;
		size_t cap = 0;
		ssize_t len;
		if (!fp) {
			cli_err("cannot open '%s': %m", argv[i]);
			rc = EXIT_IO;
			break;
		}
		while ((len = getline(&ln, &cap, fp)) > 0) {
			while (len && (ln[len - 1] == '\n' || ln[len - 1] == '\r' || ln[len - 1] == ' '))
				ln[--len] = 0;
			if (!len || ln[0] == '#')
				continue;
			buf_reset(&norm);
			buf_printf(&norm, "%s:", g->channel_opt);
			if (memchr(ln, '@', (size_t)len)) {
				ssize_t k;
				for (k = 0; k < len; k++)
					buf_addc(&norm, (char)(ln[k] >= 'A' && ln[k] <= 'Z' ? ln[k] + 32 : ln[k]));
			} else if (ln[0] == '+' || (ln[0] >= '0' && ln[0] <= '9')) {
				struct buf e = BUF_INIT;
				const char *why;
				if (norm_phone(ln, (size_t)len, "CN", &e, &why)) {
					bad++;
					buf_release(&e);
					continue;
				}
				buf_add(&norm, e.p, e.len);
				buf_release(&e);
			} else {
				buf_add(&norm, ln, (size_t)len);
			}
			store_put(g->st, g->suppress, norm.p, norm.len, "", 0);
			n++;
		}
		free(ln);
		if (fp != stdin)
			fclose(fp);
	}
	buf_release(&norm);
	if (!rc)
		rc = store_commit(g->st);
	if (!rc && !g->cli.quiet)
		fprintf(stderr, "%s: %llu addresses suppressed on %s%s\n", cli_prog, n, g->channel_opt,
			bad ? " (some lines were not addresses)" : "");
	return rc ? rc : bad ? EXIT_REJECTS : 0;
}

/* campaign --campaign NAME --channel CH --template T --at TIME [FILE…]:
 * one $send per oneid (a line of `segmenter export`: a oneid, maybe a tab
 * and an address), written to stdout for dispatch to read. */
static int op_campaign(struct dispatch *g, int argc, char **argv)
{
	int64_t at;
	const char *why;
	char ts[CLOCK_ISO_LEN + 1];
	int i, rc = 0;
	struct buf out = BUF_INIT;
	unsigned long long bad = 0;

	if (!g->campaign || !g->channel_opt || !g->at) {
		cli_err("campaign wants --campaign NAME, --channel NAME and --at TIME");
		return EXIT_USAGE;
	}
	if (clock_parse(g->at, strlen(g->at), NULL, &at, &why)) {
		cli_err("--at '%s': %s", g->at, why);
		return EXIT_USAGE;
	}
	for (i = 0; g->campaign[i]; i++)
		if ((unsigned char)g->campaign[i] < 0x21 || g->campaign[i] == '"' || g->campaign[i] == '\\') {
			cli_err("--campaign '%s': want a name without spaces, quotes or backslashes", g->campaign);
			return EXIT_USAGE;
		}
	/* a send on a channel no provider serves would only end no_channel */
	if ((rc = channel_known(g, "campaign")))
		return rc;
	clock_format(at, ts);
	if (!argc) {
		static char *dash[] = {"-"};
		argv = dash;
		argc = 1;
	}
	for (i = 0; i < argc && !rc; i++) {
		FILE *fp = strcmp(argv[i], "-") ? fopen(argv[i], "r") : stdin;
		char *ln = NULL;
		size_t cap = 0;
		ssize_t len;
		if (!fp) {
			cli_err("cannot open '%s': %m", argv[i]);
			rc = EXIT_IO;
			break;
		}
		while ((len = getline(&ln, &cap, fp)) > 0) {
			char *end, *tab;
			unsigned long v;
			while (len && (ln[len - 1] == '\n' || ln[len - 1] == '\r'))
				ln[--len] = 0;
			if (!len)
				continue;
			v = strtoul(ln, &end, 10);
			if (end == ln || !v || v > 4294967295ul || (*end && *end != '\t')) {
				bad++;
				continue;
			}
			tab = *end == '\t' ? end + 1 : NULL;
			buf_reset(&out);
			buf_printf(&out, "{\"type\":\"$send\",\"send_id\":\"campaign:%s:%lu\",\"ts\":\"%s\",\"oneid\":%lu,"
					 "\"journey\":\"campaign:%s\",\"channel\":",
				   g->campaign, v, ts, v, g->campaign);
			json_write_str(&out, g->channel_opt, strlen(g->channel_opt));
			if (tab && *tab && !strchr(tab, '*')) { /* an address in full */
				buf_adds(&out, ",\"to\":");
				json_write_str(&out, tab, strlen(tab));
			}
			if (g->template_opt) {
				buf_adds(&out, ",\"template\":");
				json_write_str(&out, g->template_opt, strlen(g->template_opt));
			}
			buf_printf(&out, ",\"kind\":\"%s\",\"priority\":0}", g->kind_opt ? g->kind_opt : "marketing");
			puts(out.p);
		}
		free(ln);
		if (fp != stdin)
			fclose(fp);
	}
	buf_release(&out);
	if (bad && !g->cli.quiet)
		cli_err("%llu lines were not a oneid", bad);
	return rc ? rc : bad ? EXIT_REJECTS : 0;
}

/* ---- partitions: state that moves with its partition ---- */

/* What moves with a partition (schemas/lmdb.md, "Partitions"): the
 * people's records keyed by oneid, their sends in the outbox (the dedupe
 * of send_ids) with those in flight and deferred, the partition's clock,
 * (the deferred ones by their stream, the first 4 bytes of their keys),
 * the partition's clock, the engagement dedupe set, the address book and
 * the merged people (keyed by the merged oneid, noted on the stream of
 * its $merge), and the do-not-contact list whole. A queue keyed by
 * send_id comes before the outbox, so a drop finds its references. A drop
 * reads none of them whole: the keys of the partition's people (and the
 * sends in the outbox and in flight through dispatch.sends, every send
 * by person, listed after them), and the partition's deferred sends from
 * its first key. */
static const struct handoff_db moves[] = {
	{"dispatch.traits", HANDOFF_PERSON},
	{"dispatch.caps", HANDOFF_PERSON},
	{"dispatch.engagement", HANDOFF_PERSON},
	{"dispatch.addresses", HANDOFF_PERSON},
	{"dispatch.merged", HANDOFF_PERSON},
	{"dispatch.consent", HANDOFF_KEYED, .seek = 1},
	{"dispatch.pending", HANDOFF_REF, .ref = "dispatch.outbox", .ref_at = 1, .via = "dispatch.sends"},
	{"dispatch.deferred", HANDOFF_STREAM, .seek = 1},
	{"dispatch.outbox", HANDOFF_VALUE, .at = 1, .via = "dispatch.sends"},
	{"dispatch.sends", HANDOFF_KEYED, .seek = 1},
	{"dispatch.state", HANDOFF_CLOCK, .key = "clock:%u"},
	{"dispatch.engaged", HANDOFF_SEEN},
	{"dispatch.suppress", HANDOFF_WHOLE},
};

static int op_partition(struct dispatch *g, int argc, char **argv)
{
	const char *what = argc ? argv[0] : "";
	int rc;

	if (!strcmp(what, "export") || !strcmp(what, "drop")) {
		if (g->nparts != 1 || argc != 1) {
			cli_err("usage: dispatch partition %s --partition N", what);
			return EXIT_USAGE;
		}
		if (!strcmp(what, "drop"))
			return handoff_drop(&g->ho, (uint32_t)g->kparts[0]);
		return handoff_export(&g->ho, (uint32_t)g->kparts[0], stdout, "<stdout>");
	}
	if (!strcmp(what, "import") && argc == 2) {
		FILE *in = strcmp(argv[1], "-") ? fopen(argv[1], "rb") : stdin;
		if (!in) {
			cli_err("partition import: cannot open '%s': %s", argv[1], strerror(errno));
			return EXIT_IO;
		}
		rc = handoff_import(&g->ho, in, argv[1]);
		if (in != stdin)
			fclose(in);
		return rc;
	}
	cli_err("usage: dispatch partition export --partition N | import FILE | drop --partition N");
	return EXIT_USAGE;
}

/* status [-i kafka://…/topic]: a line per stream (its clock, the sends
 * deferred on it), then a line per partition owned with its lag. */
static int op_status(struct dispatch *g)
{
	const char *t = getenv("UOPS_KAFKA_CONNECT_MS");
	size_t i;

	for (i = 0; i < g->pc.n; i++) {
		const struct pclock_stream *c = &g->pc.v[i];
		char ts[CLOCK_ISO_LEN + 1];
		printf("{\"stream\":%lu,\"clock\":", (unsigned long)c->stream);
		if (c->clock == PCLOCK_NONE) {
			printf("null");
		} else {
			clock_format(c->clock, ts);
			printf("\"%s\"", ts);
		}
		printf(",\"deferred\":%zu}\n", deferq_count(&g->dq, c->stream));
	}
	fflush(stdout);
	store_read_end(g->st);
	return handoff_status(&g->ho, g->cli.nin ? g->cli.in[0] : NULL, g->group ? g->group : "uops-dispatch",
			      g->cli.x, g->cli.nx, t && *t ? atoi(t) : 5000, stdout);
}

/* partition …, status: the store alone (read-only for export and status),
 * no channels, no input. */
static int op_store(struct dispatch *g, const char *cmd)
{
	int ro = !strcmp(cmd, "status") || (g->cli.nrest > 1 && !strcmp(g->cli.rest[1], "export"));
	int code, r, rc;

	if (!strcmp(cmd, "partition") && (g->cli.nrest < 2 || (strcmp(g->cli.rest[1], "export") &&
				 strcmp(g->cli.rest[1], "import") && strcmp(g->cli.rest[1], "drop"))))
		return op_partition(g, 0, NULL); /* usage, before a store is made */
	if (ro && (rc = cli_need_state(g->cli.db)))
		return rc;
	g->st = store_open(g->cli.db, "dispatch", (g->nosync ? STORE_NOSYNC : 0) | (ro ? STORE_RDONLY : 0), &code);
	if (!g->st)
		return code;
	if ((r = store_dbi_maybe(g->st, "dispatch.state", 0, &g->statedb)) < 0 ||
	    (r && pclock_load(&g->pc, g->st, g->statedb, NULL)))
		return EXIT_IO;
	/* an import or a drop works on the layout a run reads: rewrite an
	 * earlier one first (and mark a new store's, so that a run after an
	 * import never takes the imported keys for an earlier layout) */
	if (!ro && deferq_upgrade(g->st, "dispatch.deferred", "dispatch.state", "deferred:layout"))
		return EXIT_IO;
	if (!strcmp(cmd, "status")) {
		MDB_dbi dbi;
		if ((r = store_dbi_maybe(g->st, "dispatch.deferred", 0, &dbi)) < 0 ||
		    (r && deferq_open_any(&g->dq, g->st, "dispatch.deferred", "dispatch.state", "deferred:layout", 0)))
			return EXIT_IO;
	}
	g->ho.st = g->st;
	g->ho.tool = "dispatch";
	g->ho.dbs = moves;
	g->ho.ndbs = sizeof moves / sizeof *moves;
	if (handoff_open(&g->ho))
		return EXIT_IO;
	g->have_ho = 1;
	rc = !strcmp(cmd, "status") ? op_status(g) : op_partition(g, g->cli.nrest - 1, g->cli.rest + 1);
	if (ro)
		store_discard(g->st);
	return rc;
}

/* ---- main ---- */

static int handle(void *ctx, int key, const char *arg)
{
	struct dispatch *g = ctx;
	int64_t ms;
	const char *why;

	switch (key) {
	case OPT_PIPELINES: g->pipelines = arg; break;
	case OPT_CHANNELS: g->channels_path = arg; break;
	case OPT_GROUP: g->group = arg; break;
	case OPT_BATCH:
		return cli_long("batch", arg, 1, &g->batch);
	case OPT_COMMIT_MS:
		return cli_long("commit-ms", arg, 0, &g->commit_ms);
	case OPT_PARALLEL:
		return cli_long("parallel", arg, 1, &g->parallel);
	case OPT_NOSYNC: g->nosync = 1; break;
	case OPT_RESUME: g->resume = 1; break;
	case OPT_SEND_PAST: g->send_past = 1; break;
	case OPT_DRY_RUN: g->dry_run = 1; break;
	case OPT_CHECK: g->check = 1; break;
	case OPT_MAX_AGE:
		if (clock_parse_duration(arg, &ms) || ms < 0) {
			cli_err("--max-age '%s': want a duration such as 1h, 30m, 2d", arg);
			return EXIT_USAGE;
		}
		g->max_age_ms = ms;
		break;
	case OPT_NOW:
		if (clock_parse(arg, strlen(arg), NULL, &g->wall_ms, &why)) {
			cli_err("--now '%s': %s", arg, why);
			return EXIT_USAGE;
		}
		g->now_text = arg;
		break;
	case OPT_CHANNEL: g->channel_opt = arg; break;
	case OPT_TEMPLATES: g->templates_dir = arg; break;
	case OPT_CONFIG: g->config_path = arg; break;
	case OPT_TEMPLATE: g->template_opt = arg; break;
	case OPT_CAMPAIGN: g->campaign = arg; break;
	case OPT_KIND:
		if (strcmp(arg, "marketing") && strcmp(arg, "transactional")) {
			cli_err("--kind '%s': want marketing or transactional", arg);
			return EXIT_USAGE;
		}
		g->kind_opt = arg;
		break;
	case OPT_AT: g->at = arg; break;
	case 'e': g->exit_at_end = 1; break;
	case OPT_PARTITIONS:
		if ((g->nparts = kafka_parse_partitions(arg, g->kparts, 1024)) < 0) {
			cli_err("--partitions wants partition numbers: 0,1 or 0-3 ('%s')", arg);
			return EXIT_USAGE;
		}
		break;
	}
	return 0;
}

/* "HH:MM" as minutes of the day, or -1. */
static int hhmm(const char *s)
{
	if (strlen(s) != 5 || s[2] != ':' || s[0] < '0' || s[0] > '2' || s[1] < '0' || s[1] > '9' || s[3] < '0' ||
	    s[3] > '5' || s[4] < '0' || s[4] > '9')
		return -1;
	if ((s[0] - '0') * 10 + (s[1] - '0') > 23)
		return -1;
	return ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0');
}

/* "quiet_hours": {"start", "end", "tz", "policy", "channels"}. 0 or -1
 * with the conf's error set. */
static int load_quiet(struct dispatch *g, struct conf *cf, uint32_t obj)
{
	static const char *const keys[] = {"start", "end", "tz", "policy", "channels", "description", NULL};
	char *a = NULL, *b = NULL, *zone = NULL, *policy = NULL;
	const char *why;
	uint32_t t, k, i;
	int rc = -1;

	if (cf->doc.t[obj].type != JSON_OBJECT) {
		conf_fail(cf, obj, NULL, "want an object: {\"start\", \"end\", \"tz\", \"policy\"}");
		return -1;
	}
	if (conf_keys(cf, obj, keys) || conf_str(cf, obj, "start", &a) < 0 || conf_str(cf, obj, "end", &b) < 0 ||
	    conf_str(cf, obj, "tz", &zone) < 0 || conf_str(cf, obj, "policy", &policy) < 0)
		goto out;
	if (!a || (g->quiet_start = hhmm(a)) < 0) {
		conf_fail(cf, obj, "start", "want a time of day, HH:MM");
		goto out;
	}
	if (!b || (g->quiet_end = hhmm(b)) < 0 || g->quiet_end == g->quiet_start) {
		conf_fail(cf, obj, "end", "want a time of day, HH:MM, other than start");
		goto out;
	}
	if (policy && strcmp(policy, "defer") && strcmp(policy, "drop")) {
		conf_fail(cf, obj, "policy", "want defer or drop");
		goto out;
	}
	g->quiet_drop = policy && !strcmp(policy, "drop");
	if (!(g->quiet_tz = tz_load(zone ? zone : "UTC", &why))) {
		conf_fail(cf, obj, "tz", "zone '%s': %s", zone, why);
		goto out;
	}
	if ((t = json_get(&cf->doc, obj, "channels", 8))) {
		if (cf->doc.t[t].type != JSON_ARRAY) {
			conf_fail(cf, obj, "channels", "want an array of channel names");
			goto out;
		}
		g->quiet_ch = xcalloc(cf->doc.t[t].size + 1, sizeof *g->quiet_ch);
		for (k = 0, i = t + 1; k < cf->doc.t[t].size; k++, i = cf->doc.t[i].next) {
			struct buf nm = BUF_INIT;
			if (cf->doc.t[i].type != JSON_STRING) {
				conf_fail(cf, obj, "channels", "want an array of channel names");
				goto out;
			}
			json_str_get(&cf->doc, i, &nm);
			g->quiet_ch[g->nquiet_ch++] = nm.p ? nm.p : xstrdup("");
		}
	}
	g->quiet = 1;
	rc = 0;
out:
	free(a);
	free(b);
	free(zone);
	free(policy);
	return rc;
}

/* "events": {"TYPE": {"granted": false, "channel": "email"}, …}: events
 * that set consent (unsubscribe, complaint, opt-in). 0 or -1 with the
 * conf's error set. */
static int load_events(struct dispatch *g, struct conf *cf, uint32_t obj)
{
	static const char *const keys[] = {"granted", "channel", "channel_prop", "description", NULL};
	const struct json_doc *d = &cf->doc;
	uint32_t k, i, t;

	if (d->t[obj].type != JSON_OBJECT)
		return conf_fail(cf, obj, NULL, "want an object of event types: {\"TYPE\": {\"granted\", \"channel\"}}");
	g->ev = xcalloc(d->t[obj].size + 1, sizeof *g->ev);
	for (k = 0, i = obj + 1; k < d->t[obj].size; k++, i = d->t[i + 1].next) {
		struct evrule *r = &g->ev[g->nev++];
		struct buf nm = BUF_INIT;
		json_str_get(d, i, &nm);
		r->type = nm.p ? nm.p : xstrdup("");
		if (d->t[i + 1].type != JSON_OBJECT)
			return conf_fail(cf, i + 1, NULL, "want {\"granted\": true|false, \"channel\" or \"channel_prop\"}");
		if (conf_keys(cf, i + 1, keys) || conf_str(cf, i + 1, "channel", &r->channel) < 0 ||
		    conf_str(cf, i + 1, "channel_prop", &r->channel_prop) < 0)
			return -1;
		t = json_get(d, i + 1, "granted", 7);
		if (!t || (d->t[t].type != JSON_TRUE && d->t[t].type != JSON_FALSE))
			return conf_fail(cf, i + 1, "granted", "want true or false");
		r->granted = d->t[t].type == JSON_TRUE;
		if (!r->channel == !r->channel_prop)
			return conf_fail(cf, i + 1, NULL, "want one of \"channel\" (a name) and \"channel_prop\" (the "
							   "property that names it)");
	}
	return 0;
}

/* pipelines/dispatch.json (or --config): the caps. A default path that
 * does not exist means no rules. 0, or 78 after printing why. */
/* "engagement": {"events": {"TYPE": {"channel" | "channel_prop", "weight"}}} */
static int load_engagement(struct dispatch *g, struct conf *cf, uint32_t obj)
{
	static const char *const top[] = {"events", "description", NULL};
	static const char *const keys[] = {"weight", "channel", "channel_prop", "description", NULL};
	const struct json_doc *d = &cf->doc;
	uint32_t k, i;

	if (d->t[obj].type != JSON_OBJECT || conf_keys(cf, obj, top))
		return conf_fail(cf, obj, NULL, "want {\"events\": {\"TYPE\": {\"channel\", \"weight\"}}}");
	if (!(obj = json_get(d, obj, "events", 6)) || d->t[obj].type != JSON_OBJECT)
		return conf_fail(cf, obj, NULL, "want \"events\": an object of event types");
	g->eng = xcalloc(d->t[obj].size + 1, sizeof *g->eng);
	for (k = 0, i = obj + 1; k < d->t[obj].size; k++, i = d->t[i + 1].next) {
		struct engrule *r = &g->eng[g->neng++];
		struct buf nm = BUF_INIT;
		long long w = 1;
		json_str_get(d, i, &nm);
		r->type = nm.p ? nm.p : xstrdup("");
		if (d->t[i + 1].type != JSON_OBJECT)
			return conf_fail(cf, i + 1, NULL, "want {\"channel\" or \"channel_prop\", \"weight\"}");
		if (conf_keys(cf, i + 1, keys) || conf_str(cf, i + 1, "channel", &r->channel) < 0 ||
		    conf_str(cf, i + 1, "channel_prop", &r->channel_prop) < 0 || conf_int(cf, i + 1, "weight", &w) < 0)
			return -1;
		if (w < 1 || w > 1000)
			return conf_fail(cf, i + 1, "weight", "want a whole number 1 … 1000");
		r->weight = (uint32_t)w;
		if (!r->channel == !r->channel_prop)
			return conf_fail(cf, i + 1, NULL, "want one of \"channel\" (a name) and \"channel_prop\" (the "
							   "property that names it)");
	}
	return 0;
}

static int load_config(struct dispatch *g)
{
	static const char *const top[] = {"$schema", "description", "caps", "quiet_hours", "events", "engagement",
					  NULL};
	struct conf cf;
	struct buf path = BUF_INIT;
	uint32_t t;
	int rc = EXIT_CONFIG;

	memset(&cf, 0, sizeof cf);
	if (g->config_path)
		buf_adds(&path, g->config_path);
	else
		buf_printf(&path, "%s/dispatch.json", g->pipelines);
	if (!g->config_path && access(path.p, F_OK)) {
		buf_release(&path);
		return 0;
	}
	if (conf_load(&cf, path.p) || conf_keys(&cf, 0, top))
		goto out;
	if ((t = json_get(&cf.doc, 0, "caps", 4)) && caps_load(&g->caps, &cf, t))
		goto out;
	if ((t = json_get(&cf.doc, 0, "quiet_hours", 11)) && load_quiet(g, &cf, t))
		goto out;
	if ((t = json_get(&cf.doc, 0, "events", 6)) && load_events(g, &cf, t))
		goto out;
	if ((t = json_get(&cf.doc, 0, "engagement", 10)) && load_engagement(g, &cf, t))
		goto out;
	rc = 0;
out:
	if (rc)
		cli_err("%s", cf.err.p ? cf.err.p : "bad dispatch config");
	conf_release(&cf);
	buf_release(&path);
	return rc;
}

/* The identifier types the channels address by (the address book keeps
 * these), and identity.json's blocked identifiers, which it never keeps
 * (PIPELINES/identity.json, idmerge's rules; none when absent). 0, or 78
 * after printing why. */
static int load_identity(struct dispatch *g)
{
	struct conf cf;
	struct buf path = BUF_INIT;
	unsigned k, j;
	int rc = 0;

	for (k = 0; k < g->ch.nch; k++) {
		const char *a = g->ch.ch[k].address;
		if (!a)
			continue;
		for (j = 0; j < g->naddr_types && strcmp(g->addr_types[j], a); j++)
			;
		if (j == g->naddr_types) {
			g->addr_types = xrealloc(g->addr_types, (g->naddr_types + 1) * sizeof *g->addr_types);
			g->addr_types[g->naddr_types++] = xstrdup(a);
		}
	}
	memset(&cf, 0, sizeof cf);
	buf_printf(&path, "%s/identity.json", g->pipelines);
	if (!access(path.p, F_OK)) {
		if (conf_load(&cf, path.p) || conf_strs(&cf, 0, "blocked", "identifiers", &g->blocked, &g->nblocked) < 0 ||
		    conf_strs(&cf, 0, "blocked_patterns", "patterns", &g->blocked_pat, &g->nblocked_pat) < 0) {
			cli_err("%s", cf.err.p ? cf.err.p : "bad identity rules");
			rc = EXIT_CONFIG;
		}
		conf_release(&cf);
	}
	buf_release(&path);
	return rc;
}

/* An SMS template whose text without its fields already takes more
 * segments than its channel allows can never be sent: 78 at start. */
static int check_sms_templates(struct dispatch *g)
{
	size_t i, units;
	unsigned k;

	for (i = 0; i < g->tpl.n; i++) {
		const struct template *tp = &g->tpl.v[i];
		if (!tp->text_literal)
			continue;
		for (k = 0; k < g->ch.nch; k++) {
			const struct channel *c = &g->ch.ch[k];
			int seg;
			if (!c->address || strcmp(c->address, "phone") || (tp->channel && strcmp(tp->channel, c->name)))
				continue;
			seg = template_sms_segments(tp->text_literal, strlen(tp->text_literal), &units);
			if (seg > c->max_segments) {
				cli_err("template '%s': its text without fields is %zu characters, %d segments, over "
					"channel %s's max_segments %d", tp->path, units, seg, c->name, c->max_segments);
				return EXIT_CONFIG;
			}
		}
	}
	return 0;
}

/* idmerge's people, read-only, when idmerge has written them, as idmerge
 * sees them: its journal's newer records first (store_follow). */
static void open_idpeople(struct dispatch *g)
{
	MDB_txn *txn = store_snapshot(g->st);
	MDB_dbi dbi;
	int have, journal, blocked;

	if (!txn)
		return;
	have = mdb_dbi_open(txn, "idmerge.people", 0, &dbi) == 0;
	journal = mdb_dbi_open(txn, "idmerge.journal", 0, &dbi) == 0;
	blocked = mdb_dbi_open(txn, "idmerge.blocked", 0, &dbi) == 0;
	store_snapshot_end(g->st, txn);
	if (blocked && !g->have_idblocked && !store_dbi(g->st, "idmerge.blocked", 0, &g->idblocked))
		g->have_idblocked = 1;
	if (have && !g->have_idpeople && !store_dbi(g->st, "idmerge.people", 0, &g->idpeople))
		g->have_idpeople = 1;
	if (g->have_idpeople && journal && !g->have_idjournal) {
		if (store_follow(g->st, g->idpeople, "idmerge.journal"))
			g->have_idpeople = 0;
		else
			g->have_idjournal = 1;
	}
}

int main(int argc, char **argv)
{
	static struct dispatch G;
	struct dispatch *g = &G;
	const char *cmd = NULL;
	int rc, code;
	struct buf path = BUF_INIT, tpath = BUF_INIT;

	g->cli.prog = "dispatch";
	g->cli.synopsis = "[options] [FILE…] | suppress --channel NAME FILE… | campaign --campaign NAME --channel NAME "
			  "--at TIME [FILE…] | status | partition export --partition N | partition import FILE | "
			  "partition drop --partition N";
	g->cli.summary = "Deliver each $send at most once through its channel's provider, or say why not.";
	g->cli.opts = opts;
	g->cli.handle = handle;
	g->cli.ctx = g;
	g->cli.subcommand = 1;
	g->cli.more_versions = channel_version();
	g->batch = 65536;
	g->commit_ms = 1000;
	g->parallel = 64;
	g->max_age_ms = 3600 * 1000;
	g->clock = INT64_MIN;
	g->mem_at = 100000;
	if ((rc = cli_parse(&g->cli, argc, argv)))
		return rc;
	cli_signals();
	if (g->cli.nrest) {
		static const char *const cmds[] = {"suppress", "campaign", "partition", "status", NULL};
		int k;
		for (k = 0; cmds[k] && strcmp(cmds[k], g->cli.rest[0]); k++)
			;
		if (cmds[k]) {
			cmd = cmds[k];
		} else {
			for (k = 0; k < g->cli.nrest && g->cli.nin < CLI_MAX_IN; k++)
				g->cli.in[g->cli.nin++] = g->cli.rest[k];
		}
	}
	if (cmd && !strcmp(cmd, "suppress") && (!g->channel_opt || g->cli.nrest < 2)) {
		cli_err("suppress wants --channel NAME and a FILE of addresses");
		rc = EXIT_USAGE;
		goto out;
	}
	g->pipelines = conf_pipelines(g->pipelines);
	if (cmd && !strcmp(cmd, "campaign")) {
		rc = op_campaign(g, g->cli.nrest - 1, g->cli.rest + 1);
		goto out;
	}
	if (cmd && (!strcmp(cmd, "partition") || !strcmp(cmd, "status"))) {
		rc = op_store(g, cmd);
		goto out;
	}
	if (!cmd) {
		if (!g->channels_path) {
			buf_printf(&path, "%s/channels.json", g->pipelines);
			g->channels_path = path.p;
		}
		if ((rc = channels_load(&g->ch, g->channels_path)))
			goto out;
		if (!g->templates_dir)
			buf_printf(&tpath, "%s/templates", g->pipelines);
		if ((rc = templates_load(&g->tpl, g->templates_dir ? g->templates_dir : tpath.p)) ||
		    (rc = check_sms_templates(g)) || (rc = load_config(g)) || (rc = load_identity(g)))
			goto out;
		if (g->check) { /* nothing more: no store, no input */
			if (!g->cli.quiet)
				fprintf(stderr, "%s: %s: %u providers, %u channels: ok\n", cli_prog, g->channels_path,
					g->ch.npv, g->ch.nch);
			rc = 0;
			goto out;
		}
	}
	g->st = store_open(g->cli.db, "dispatch", g->nosync ? STORE_NOSYNC : 0, &code);
	if (!g->st) {
		rc = code;
		goto out;
	}
	if (outbox_open(&g->ob, g->st) || store_dbi(g->st, "dispatch.suppress", 0, &g->suppress) ||
	    store_dbi(g->st, "dispatch.consent", 0, &g->consent) || store_dbi(g->st, "dispatch.traits", 0, &g->traits) ||
	    store_dbi(g->st, "dispatch.caps", 0, &g->capsdb) ||
	    (!g->dry_run && deferq_upgrade(g->st, "dispatch.deferred", "dispatch.state", "deferred:layout")) ||
	    /* a dry run rewrites nothing: an earlier layout is read as it is */
	    deferq_open_any(&g->dq, g->st, "dispatch.deferred", "dispatch.state", "deferred:layout", g->dry_run) ||
	    store_dbi(g->st, "dispatch.addresses", 0, &g->addrdb) || store_dbi(g->st, "dispatch.merged", 0, &g->mergedb) ||
	    store_dbi(g->st, "dispatch.engagement", 0, &g->engdb) ||
	    store_dbi(g->st, "dispatch.state", 0, &g->statedb) || pclock_load(&g->pc, g->st, g->statedb, NULL)) {
		rc = EXIT_IO;
		goto out;
	}
	if (!cmd && !g->dry_run) { /* each person's partition, as records come */
		g->ho.st = g->st;
		g->ho.tool = "dispatch";
		g->ho.dbs = moves;
		g->ho.ndbs = sizeof moves / sizeof *moves;
		if (handoff_open(&g->ho)) {
			rc = EXIT_IO;
			goto out;
		}
		g->have_ho = 1;
	}
	/* the event_ids of engagement records, and of $merge and $fold
	 * records (lib/fold), applied */
	if ((g->neng || !cmd) && !g->dry_run) {
		g->engseen.days = 30;
		if (seen_open(&g->engseen, g->st, "dispatch.engaged")) {
			rc = EXIT_IO;
			goto out;
		}
		g->have_engseen = 1;
	}
	open_idpeople(g);
	g->f.st = g->st;
	g->f.cli = &g->cli;
	g->f.group = g->group ? g->group : "uops-dispatch";
	g->f.batch = g->batch;
	g->f.commit_ms = g->commit_ms;
	g->f.exit_at_end = g->exit_at_end;
	g->f.resume = g->resume;
	g->f.parts = g->kparts;
	g->f.nparts = g->nparts;
	g->f.fence = 1;
	g->f.record = on_record;
	g->f.before_commit = before_commit;
	g->f.after_commit = after_commit;
	g->f.waiting = fold_waiting;
	g->f.end_input = fold_input_end;
	g->f.revoked = fold_revoked;
	g->f.ctx = g;
	g->fd.ops = &fold_ops;
	g->fd.ctx = g;
	g->fd.f = &g->f;
	g->fd.seen = &g->engseen;
	g->fd.stream = &g->f.stream;
	g->fd.clock = &g->clock;
	if (!cmd)
		rc = run_filter(g);
	else if (!strcmp(cmd, "suppress"))
		rc = op_suppress(g, g->cli.nrest - 1, g->cli.rest + 1);
out:
	fold_driver_free(&g->fd);
	handoff_free(&g->ho);
	pclock_free(&g->pc);
	deferq_free(&g->dq);
	store_close(g->st);
	outcome_close(&g->f.oc);
	channels_free(&g->ch);
	templates_free(&g->tpl);
	caps_free(&g->caps);
	{
		size_t i;
		for (i = 0; i < g->nzones; i++) {
			free(g->zones[i].name);
			tz_free(g->zones[i].z);
		}
		for (i = 0; i < g->nquiet_ch; i++)
			free(g->quiet_ch[i]);
		free(g->zones);
		free(g->quiet_ch);
		for (i = 0; i < g->nev; i++) {
			free(g->ev[i].type);
			free(g->ev[i].channel);
			free(g->ev[i].channel_prop);
		}
		free(g->ev);
		for (i = 0; i < g->neng; i++) {
			free(g->eng[i].type);
			free(g->eng[i].channel);
			free(g->eng[i].channel_prop);
		}
		free(g->eng);
		for (i = 0; i < g->naddr_types; i++)
			free(g->addr_types[i]);
		free(g->addr_types);
		for (i = 0; i < g->nblocked; i++)
			free(g->blocked[i]);
		free(g->blocked);
		for (i = 0; i < g->nblocked_pat; i++)
			free(g->blocked_pat[i]);
		free(g->blocked_pat);
		if (g->have_engseen)
			seen_free(&g->engseen);
		tz_free(g->quiet_tz);
	}
	buf_release(&g->parts);
	json_doc_release(&g->doc);
	json_doc_release(&g->tdoc);
	buf_release(&g->line);
	buf_release(&g->tmp);
	buf_release(&g->addr);
	buf_release(&g->text);
	buf_release(&path);
	buf_release(&tpath);
	free(g->fl);
	free(g->rec_streams);
	rc = cli_stdout_close(rc);
	return rc;
}
