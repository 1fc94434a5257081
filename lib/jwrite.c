/*
 * jwrite - the $journey, $send and $tag records of a journey's
 * decisions; see jwrite.h.
 */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "clock.h"
#include "hash.h"
#include "json.h"
#include "jwrite.h"

void jwrite_corr(const struct jinst *in, char *out)
{
	static const char hx[] = "0123456789abcdef";
	int k = 0;

	if (in->corr) {
		for (k = 0; k < 16; k++)
			out[k] = hx[(in->corr >> (60 - 4 * k)) & 15];
		out[k++] = ':';
	}
	k += u32_dec(out + k, in->entries);
	out[k] = 0;
}

static void add_u32(struct buf *b, uint32_t v)
{
	char d[16];

	buf_add(b, d, (size_t)u32_dec(d, v));
}

/* ,"ts":"…","oneid":N,"journey":"…","version":"…" (the journey's part
 * made once, in w->head) */
static void add_common(const struct jwrite *w, struct buf *b, const struct jrec *r)
{
	const struct jinst *in = r->in;

	buf_adds(b, ",\"ts\":\"");
	buf_adds(b, w->ts);
	buf_adds(b, "\",\"oneid\":");
	add_u32(b, w->oneid);
	buf_add(b, w->head->p, w->head->len);
	if (in->corrv.len) {
		buf_adds(b, ",\"correlation\":");
		buf_add(b, in->corrv.p, in->corrv.len);
	}
}

void jwrite_send(struct buf *b, const struct jwrite *w, const struct jrec *r)
{
	const struct jinst *in = r->in;
	const char *arm = in->arm.len ? in->arm.p : NULL;
	char ch[40];
	uint64_t h[2];
	char hex[33];
	unsigned k;

	jwrite_corr(in, ch);
	buf_reset(w->tmp);
	buf_adds(w->tmp, r->j->name);
	buf_addc(w->tmp, '\n');
	add_u32(w->tmp, w->oneid);
	buf_addc(w->tmp, '\n');
	buf_adds(w->tmp, ch);
	buf_addc(w->tmp, '\n');
	buf_adds(w->tmp, r->s->id);
	buf_addc(w->tmp, '\n');
	buf_add(w->tmp, w->cause->p, w->cause->len);
	hash128(w->tmp->p, w->tmp->len, 0x73656e64ull, h);
	hash_hex(h, hex);
	buf_adds(b, "{\"type\":\"$send\",\"event_id\":\"send:");
	buf_add(b, hex, 32);
	buf_adds(b, "\",\"send_id\":\"");
	buf_add(b, hex, 32);
	buf_addc(b, '"');
	add_common(w, b, r);
	buf_adds(b, ",\"step\":");
	json_write_str(b, r->s->id, strlen(r->s->id));
	buf_adds(b, ",\"arm\":");
	if (arm)
		json_write_str(b, arm, in->arm.len);
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"channel\":");
	if (r->s->nchannels == 1) {
		json_write_str(b, r->s->channels[0], strlen(r->s->channels[0]));
	} else {
		buf_addc(b, '[');
		for (k = 0; k < r->s->nchannels; k++) {
			if (k)
				buf_addc(b, ',');
			json_write_str(b, r->s->channels[k], strlen(r->s->channels[k]));
		}
		buf_addc(b, ']');
	}
	buf_adds(b, ",\"template\":");
	json_write_str(b, r->s->tmpl, strlen(r->s->tmpl));
	buf_adds(b, ",\"params\":");
	buf_adds(b, r->s->params ? r->s->params : "{}");
	if (in->props.len) {
		buf_adds(b, ",\"context\":");
		buf_add(b, in->props.p, in->props.len);
	}
	buf_adds(b, ",\"priority\":");
	buf_i64(b, r->s->priority);
	buf_adds(b, ",\"kind\":\"");
	buf_adds(b, r->s->msgkind);
	buf_adds(b, "\",\"not_before\":\"");
	buf_adds(b, w->ts);
	buf_adds(b, "\"}");
}

void jwrite_update(struct buf *b, const struct jwrite *w, const struct jrec *r, const struct buf *old,
		   const char *v)
{
	const struct jinst *in = r->in;
	const char *arm = in->arm.len ? in->arm.p : NULL;
	char ch[40];

	jwrite_corr(in, ch);
	if (r->s->utag) { /* a $tag, as tagger writes them */
		buf_printf(b, "{\"type\":\"$tag\",\"event_id\":\"jrn:%s:%s:%s:%s:update\"", w->cause->p,
			   r->j->name, ch, r->s->id);
		buf_printf(b, ",\"ts\":\"%s\",\"oneid\":%u,\"tag\":", w->ts, w->oneid);
		json_write_str(b, r->s->uname, strlen(r->s->uname));
		buf_adds(b, ",\"old\":");
		if (old)
			buf_add(b, old->p, old->len);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"new\":");
		buf_adds(b, v);
		buf_adds(b, ",\"by\":");
		json_write_str(b, r->j->name, strlen(r->j->name));
		buf_addc(b, '}');
	} else { /* a $journey update naming the trait */
		buf_printf(b, "{\"type\":\"$journey\",\"event_id\":\"jrn:%s:%s:%s:%s:update\"", w->cause->p,
			   r->j->name, ch, r->s->id);
		add_common(w, b, r);
		buf_adds(b, ",\"op\":\"update\",\"step\":");
		json_write_str(b, r->s->id, strlen(r->s->id));
		buf_adds(b, ",\"kind\":\"update\",\"arm\":");
		if (arm)
			json_write_str(b, arm, in->arm.len);
		else
			buf_adds(b, "null");
		buf_adds(b, ",\"trait\":");
		json_write_str(b, r->s->uname, strlen(r->s->uname));
		buf_adds(b, ",\"value\":");
		buf_adds(b, v);
		buf_addc(b, '}');
	}
}

/* Text put at q, which has room for it (see journey_most). */
#define PUT(q, s, n) (memcpy((q), (s), (n)), (q) + (n))
#define PUT_LIT(q, lit) PUT(q, lit, sizeof lit - 1)

/* s (n bytes) as a JSON string at q, room for 6n + 2 bytes: copied
 * between quotes when it has nothing to escape, else as json_write_str
 * writes it. Returns the end. */
static char *put_str(struct buf *b, char *q, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\')
			break;
	}
	if (i == n) {
		*q++ = '"';
		q = PUT(q, s, n);
		*q++ = '"';
		return q;
	}
	/* the room was grown before: json_write_str finds it and
	 * writes within it */
	b->len = (size_t)(q - b->p);
	json_write_str(b, s, n);
	return b->p + b->len;
}

/* The most bytes the $journey text of x takes (its JSON strings escaped
 * at 6 bytes a byte). */
static size_t journey_most(const struct jwrite_jrec *x, size_t nts)
{
	return 320 + nts + x->ncause + x->nname + x->nhead + x->ncorrv + 7 * x->nstep + 2 * x->ndetail +
	       6 * x->narm + 6 * x->nreason + CLOCK_ISO_LEN;
}

void jwrite_journey_text(struct buf *b, const struct jwrite_jrec *x)
{
	static const char *const ops[] = {"enter", "step", "exit", "send", "update"};
	static const unsigned char nops[] = {5, 4, 4, 4, 6};
	size_t nts = strlen(x->ts), nop = nops[x->op];
	char *q, d[16];

	buf_grow(b, journey_most(x, nts));
	q = b->p + b->len;
	q = PUT_LIT(q, "{\"type\":\"$journey\",\"event_id\":\"jrn:");
	q = PUT(q, x->cause, x->ncause);
	*q++ = ':';
	q = PUT(q, x->name, x->nname);
	*q++ = ':';
	if (x->corr) {
		static const char hx[] = "0123456789abcdef";
		int k;
		for (k = 0; k < 16; k++)
			*q++ = hx[(x->corr >> (60 - 4 * k)) & 15];
		*q++ = ':';
	}
	q = PUT(q, d, (size_t)u32_dec(d, x->entries));
	*q++ = ':';
	if (x->step)
		q = PUT(q, x->step, x->nstep);
	else
		*q++ = '-';
	*q++ = ':';
	q = PUT(q, ops[x->op], nop);
	if (x->detail) {
		*q++ = ':';
		q = PUT(q, x->detail, x->ndetail);
	}
	q = PUT_LIT(q, "\",\"ts\":\"");
	q = PUT(q, x->ts, nts);
	q = PUT_LIT(q, "\",\"oneid\":");
	q = PUT(q, d, (size_t)u32_dec(d, x->oneid));
	q = PUT(q, x->head, x->nhead);
	if (x->ncorrv) {
		q = PUT_LIT(q, ",\"correlation\":");
		q = PUT(q, x->corrv, x->ncorrv);
	}
	q = PUT_LIT(q, ",\"op\":\"");
	q = PUT(q, ops[x->op], nop);
	*q++ = '"';
	if (x->step) {
		const char *kn = jstep_kind_names[x->kind];
		q = PUT_LIT(q, ",\"step\":");
		q = put_str(b, q, x->step, x->nstep);
		q = PUT_LIT(q, ",\"kind\":\"");
		q = PUT(q, kn, strlen(kn));
		*q++ = '"';
	}
	q = PUT_LIT(q, ",\"arm\":");
	if (x->arm)
		q = put_str(b, q, x->arm, x->narm);
	else
		q = PUT_LIT(q, "null");
	if (x->detail && x->step && (x->kind == JS_BRANCH || x->kind == JS_WAIT_FOR)) {
		if (x->kind == JS_BRANCH)
			q = PUT_LIT(q, ",\"branch\":\"");
		else
			q = PUT_LIT(q, ",\"on\":\"");
		q = PUT(q, x->detail, x->ndetail);
		*q++ = '"';
	}
	if (x->held)
		q = PUT_LIT(q, ",\"held\":\"control\"");
	if (x->wake != INT64_MIN) {
		q = PUT_LIT(q, ",\"wake\":\"");
		clock_format(x->wake, q);
		q += CLOCK_ISO_LEN;
		*q++ = '"';
	}
	if (x->op == JO_EXIT) {
		q = PUT_LIT(q, ",\"reason\":");
		q = put_str(b, q, x->reason, x->nreason);
	}
	*q++ = '}';
	b->len = (size_t)(q - b->p);
	b->p[b->len] = 0;
}

void jwrite_journey_fields(struct jwrite_jrec *x, const struct jwrite *w, const struct jrec *r)
{
	const struct jinst *in = r->in;

	x->op = (int)r->op;
	x->ts = w->ts;
	x->oneid = w->oneid;
	x->cause = w->cause->p;
	x->ncause = w->cause->len;
	x->name = r->j->name;
	x->nname = strlen(r->j->name);
	x->head = w->head->p;
	x->nhead = w->head->len;
	x->version = r->j->version;
	x->corr = in->corr;
	x->entries = in->entries;
	x->step = r->s ? r->s->id : NULL;
	x->nstep = r->s ? strlen(r->s->id) : 0;
	x->kind = r->s ? (int)r->s->kind : 0;
	x->detail = r->detail;
	x->ndetail = r->detail ? strlen(r->detail) : 0;
	x->arm = in->arm.len ? in->arm.p : NULL;
	x->narm = in->arm.len;
	x->held = r->held;
	x->wake = r->wake;
	x->reason = r->op == JO_EXIT ? r->reason : NULL;
	x->nreason = r->op == JO_EXIT ? strlen(r->reason) : 0;
	x->corrv = in->corrv.p;
	x->ncorrv = in->corrv.len;
}

void jwrite_journey(struct buf *b, const struct jwrite *w, const struct jrec *r)
{
	struct jwrite_jrec x;

	jwrite_journey_fields(&x, w, r);
	jwrite_journey_text(b, &x);
}
