/*
 * jstatus - what scheduler's state says of its journeys, for `scheduler
 * list` and `scheduler status`; see jstatus.h.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "json.h"
#include "jstatus.h"
#include "store.h"
#include "timer.h"

void jstatus_list(FILE *out, const struct journeys *js, const int *paused, const long *inside)
{
	struct buf b = BUF_INIT, t = BUF_INIT;
	unsigned i;

	for (i = 0; i < js->n; i++) {
		const struct journey *j = &js->v[i];
		buf_reset(&b);
		buf_adds(&b, "{\"journey\":");
		json_write_str(&b, j->name, strlen(j->name));
		buf_printf(&b, ",\"version\":\"%s\",\"status\":\"%s\",\"trigger\":", j->version,
			   j->paused || paused[i] ? "paused" : "active");
		journey_trigger_text(j, &t);
		json_write_str(&b, t.p, t.len);
		buf_printf(&b, ",\"steps\":%u,\"inside\":%ld", j->nsteps, inside[i]);
		if (j->description) {
			buf_adds(&b, ",\"description\":");
			json_write_str(&b, j->description, strlen(j->description));
		}
		buf_adds(&b, ",\"file\":");
		json_write_str(&b, j->file, strlen(j->file));
		buf_addc(&b, '}');
		fputs(b.p, out);
		putc('\n', out);
	}
	buf_release(&b);
	buf_release(&t);
}

unsigned long long jstatus_wakeups(struct store *st, MDB_dbi timers, uint32_t s)
{
	MDB_txn *txn = store_read_txn(st);
	MDB_cursor *cur;
	MDB_val k, v;
	unsigned char key[4];
	unsigned long long n = 0;
	int r;

	if (!txn || mdb_cursor_open(txn, timers, &cur))
		return 0;
	store_be32(key, s);
	k.mv_data = key;
	k.mv_size = 4;
	for (r = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); !r && k.mv_size == TIMER_KEY && !memcmp(k.mv_data, key, 4);
	     r = mdb_cursor_get(cur, &k, &v, MDB_NEXT))
		n++;
	mdb_cursor_close(cur);
	return n;
}

static void stream_line(FILE *out, const char *stream, const struct pclock_stream *c, unsigned long long n)
{
	char ts[CLOCK_ISO_LEN + 1];

	fprintf(out, "{\"stream\":%s,\"clock\":", stream);
	if (c->clock == PCLOCK_NONE) {
		fputs("null", out);
	} else {
		clock_format(c->clock, ts);
		fprintf(out, "\"%s\"", ts);
	}
	fprintf(out, ",\"wakeups\":%llu}\n", n);
}

void jstatus_streams(FILE *out, const struct pclock *pc, struct store *st, MDB_dbi timers)
{
	size_t s;

	if (pc->base.clock != PCLOCK_NONE) /* a store of one clock: its wake-ups are stream 0's */
		stream_line(out, "\"*\"", &pc->base, pclock_find(pc, 0) ? 0 : jstatus_wakeups(st, timers, 0));
	for (s = 0; s < pc->n; s++) {
		char num[16];
		snprintf(num, sizeof num, "%lu", (unsigned long)pc->v[s].stream);
		stream_line(out, num, &pc->v[s], jstatus_wakeups(st, timers, pc->v[s].stream));
	}
}

struct stepcount {
	char *key; /* step \t arm */
	unsigned long long n;
};

static int journey_index(const struct journeys *js, uint32_t id, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < js->n; i++)
		if (js->v[i].id == id) {
			*idx = i;
			return 1;
		}
	return 0;
}

int jstatus_journeys(FILE *out, struct store *st, MDB_dbi people, const struct journeys *js, const struct journey *only,
		     const struct profile_layout *L, struct jperson *P, struct profile *p, const struct jcount *cnt)
{
	struct store_scan it;
	MDB_val k, v;
	unsigned i, q;
	int r, rc = 0;
	struct buf b = BUF_INIT, tmp = BUF_INIT;
	struct stepcount **sc;
	unsigned *nsc;

	if (store_scan_open(st, people, &it))
		return -1;
	sc = xcalloc(js->n + 1, sizeof *sc);
	nsc = xcalloc(js->n + 1, sizeof *nsc);
	while ((r = store_scan_next(&it, &k, &v)) == 1) {
		P->oneid = k.mv_size == 4 ? store_get_be32(k.mv_data) : 0;
		P->ninst = 0;
		if (jperson_decode(P, p, L, v.mv_data, v.mv_size) && !P->ninst)
			continue;
		for (q = 0; q < P->ninst; q++) {
			struct jinst *in = &P->inst[q];
			unsigned ji;
			char key[300];
			if (!jinst_open(in) || !journey_index(js, in->journey, &ji))
				continue;
			snprintf(key, sizeof key, "%s\t%s", in->step.p ? in->step.p : "", in->arm.p ? in->arm.p : "");
			for (i = 0; i < nsc[ji] && strcmp(sc[ji][i].key, key); i++)
				;
			if (i == nsc[ji]) {
				sc[ji] = xrealloc(sc[ji], (nsc[ji] + 1) * sizeof **sc);
				sc[ji][i].key = xstrdup(key);
				sc[ji][i].n = 0;
				nsc[ji]++;
			}
			sc[ji][i].n++;
		}
	}
	store_scan_close(&it);
	if (r < 0)
		rc = -1;
	for (i = 0; i < js->n && !rc; i++) {
		const struct journey *j = &js->v[i];
		if (only && only != j)
			continue;
		buf_reset(&b);
		buf_adds(&b, "{\"journey\":");
		json_write_str(&b, j->name, strlen(j->name));
		buf_adds(&b, ",\"waiting\":{");
		for (q = 0; q < nsc[i]; q++) {
			char *tab = strchr(sc[i][q].key, '\t');
			if (q)
				buf_addc(&b, ',');
			buf_reset(&tmp);
			buf_add(&tmp, sc[i][q].key, (size_t)(tab - sc[i][q].key));
			if (tab[1]) {
				buf_addc(&tmp, '/');
				buf_adds(&tmp, tab + 1);
			}
			json_write_str(&b, tmp.p, tmp.len);
			buf_printf(&b, ":%llu", sc[i][q].n);
		}
		buf_adds(&b, "},\"counts\":{");
		jcount_json(cnt, j->name, &b, &tmp);
		buf_adds(&b, "}}");
		fputs(b.p, out);
		putc('\n', out);
	}
	for (i = 0; i < js->n; i++) {
		for (q = 0; q < nsc[i]; q++)
			free(sc[i][q].key);
		free(sc[i]);
	}
	free(sc);
	free(nsc);
	buf_release(&b);
	buf_release(&tmp);
	return rc;
}
