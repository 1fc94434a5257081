/*
 * jexplain - `scheduler explain`: a person's decisions and where each of
 * their instances stands now; see jexplain.h.
 */
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "jexplain.h"
#include "json.h"
#include "store.h"

int jexplain_decisions(FILE *out, struct store *st, MDB_dbi people, const struct jlog_dbs *dbs, uint32_t oneid,
		       const struct journey *only)
{
	struct jlog_lines ls = {0};
	struct buf tmp = BUF_INIT;
	struct json_doc d = JSON_DOC_INIT;
	uint32_t lstream = 0, lblk = 0;
	unsigned char pk[4];
	MDB_val v;
	size_t q;
	int r, has_record, rc = 0;

	/* the block of the person's newest decisions, from their record
	 * (format 3) */
	store_be32(pk, oneid);
	if ((r = store_get(st, people, pk, 4, &v)) < 0)
		return -1;
	has_record = r == 1;
	if (has_record && jperson_last_block(v.mv_data, v.mv_size, &lstream, &lblk) < 0) {
		cli_err("person %u in scheduler.people is damaged", oneid);
		return -1;
	}
	if (jlog_person(st, dbs, oneid, has_record, lstream, lblk, &ls)) {
		jlog_lines_release(&ls);
		return -1;
	}
	for (q = 0; q < ls.n; q++) {
		buf_reset(&tmp);
		if (jlog_line_text(&tmp, &ls.v[q], oneid)) {
			cli_err("line %u of person %u in the decision log is damaged", ls.v[q].seq, oneid);
			rc = -1;
			break;
		}
		if (only) {
			const char *why;
			size_t at;
			uint32_t t;
			if (json_parse(&d, tmp.p, tmp.len, 64, &why, &at))
				continue;
			t = json_get(&d, 0, "journey", 7);
			if (!t || !json_str_eq(&d, t, only->name, strlen(only->name)))
				continue;
		}
		fwrite(tmp.p, 1, tmp.len, out);
		putc('\n', out);
	}
	if (!rc && (has_record || ls.n))
		rc = 1;
	jlog_lines_release(&ls);
	json_doc_release(&d);
	buf_release(&tmp);
	return rc;
}

static const struct journey *journey_of(const struct journeys *js, uint32_t id)
{
	unsigned i;

	for (i = 0; i < js->n; i++)
		if (js->v[i].id == id)
			return &js->v[i];
	return NULL;
}

void jexplain_now(FILE *out, struct store *st, MDB_dbi people, uint32_t oneid, const struct journeys *js,
		  const struct journey *only, const struct profile_layout *L, struct jperson *P, struct profile *p)
{
	char ts[CLOCK_ISO_LEN + 1];
	unsigned char pk[4];
	MDB_val v;
	unsigned q;

	store_be32(pk, oneid);
	if (store_get(st, people, pk, 4, &v) != 1)
		return;
	P->oneid = oneid;
	P->ninst = 0;
	jperson_decode(P, p, L, v.mv_data, v.mv_size);
	for (q = 0; q < P->ninst; q++) {
		struct jinst *in = &P->inst[q];
		const struct journey *j = journey_of(js, in->journey);
		struct buf b = BUF_INIT;
		if (!j || (only && only != j))
			continue;
		if (in->corr == JOURNEY_WATCH) { /* a date trigger's watch */
			if (in->state != JI_ARMED)
				continue;
			buf_adds(&b, "{\"now\":true,\"journey\":");
			json_write_str(&b, j->name, strlen(j->name));
			clock_format(in->wake, ts);
			buf_printf(&b, ",\"state\":\"date_due\",\"wake\":\"%s\"}", ts);
			fputs(b.p, out);
			putc('\n', out);
			buf_release(&b);
			continue;
		}
		buf_adds(&b, "{\"now\":true,\"journey\":");
		json_write_str(&b, j->name, strlen(j->name));
		buf_printf(&b, ",\"state\":\"%s\",\"step\":",
			   in->state == JI_WAIT ? "waiting" : in->state == JI_WAIT_EVENT ? "waiting_for" : "exited");
		json_write_str(&b, in->step.p ? in->step.p : "", in->step.len);
		buf_adds(&b, ",\"arm\":");
		if (in->arm.len)
			json_write_str(&b, in->arm.p, in->arm.len);
		else
			buf_adds(&b, "null");
		buf_printf(&b, ",\"entries\":%u", in->entries);
		if (jinst_open(in) && in->wake != INT64_MIN) {
			clock_format(in->wake, ts);
			buf_printf(&b, ",\"wake\":\"%s\"", ts);
		}
		if (in->state == JI_DONE) {
			buf_adds(&b, ",\"reason\":");
			json_write_str(&b, in->reason.p ? in->reason.p : "", in->reason.len);
		}
		if (in->corrv.len) {
			buf_adds(&b, ",\"correlation\":");
			buf_add(&b, in->corrv.p, in->corrv.len);
		}
		buf_addc(&b, '}');
		fputs(b.p, out);
		putc('\n', out);
		buf_release(&b);
	}
}
