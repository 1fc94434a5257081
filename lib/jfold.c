#include "jfold.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char hx[] = "0123456789abcdef";

static void put_hex64(struct buf *out, uint64_t v)
{
	int k;

	buf_addc(out, '"');
	for (k = 0; k < 16; k++)
		buf_addc(out, hx[(v >> (60 - 4 * k)) & 15]);
	buf_addc(out, '"');
}

static void put_ms(struct buf *out, int64_t v)
{
	if (v == INT64_MIN)
		buf_adds(out, "null");
	else
		buf_i64(out, v);
}

static void put_raw(struct buf *out, const struct buf *b)
{
	if (b->len)
		buf_add(out, b->p, b->len);
	else
		buf_adds(out, "null");
}

static void put_str(struct buf *out, const struct buf *b)
{
	json_write_str(out, b->len ? b->p : "", b->len);
}

static const char *state_name(int s)
{
	switch (s) {
	case JI_WAIT:
		return "wait";
	case JI_WAIT_EVENT:
		return "wait_event";
	case JI_DONE:
		return "done";
	case JI_ARMED:
		return "armed";
	default:
		return "none";
	}
}

void jfold_write(const struct jinst *inst, unsigned ninst, const struct profile *p,
		 const struct profile_layout *L, const struct jfold_names *nm, struct buf *out)
{
	unsigned k, first;

	buf_adds(out, "{\"journeys\":[");
	for (first = 1, k = 0; k < ninst; k++) {
		const struct jinst *in = &inst[k];
		const char *name = nm->journey_name(nm->ctx, in->journey);
		if (!name)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		buf_adds(out, "{\"journey\":");
		json_write_str(out, name, strlen(name));
		buf_adds(out, ",\"corr\":");
		put_hex64(out, in->corr);
		buf_adds(out, ",\"corr_value\":");
		put_raw(out, &in->corrv);
		buf_adds(out, ",\"state\":\"");
		buf_adds(out, state_name(in->state));
		buf_adds(out, in->control ? "\",\"control\":true" : "\",\"control\":false");
		buf_adds(out, ",\"entries\":");
		buf_u64(out, in->entries);
		buf_adds(out, ",\"entered\":");
		put_ms(out, in->entered);
		buf_adds(out, ",\"wake\":");
		put_ms(out, in->wake);
		buf_adds(out, ",\"exited\":");
		put_ms(out, in->exited);
		buf_adds(out, ",\"version\":");
		put_hex64(out, in->defhash);
		buf_adds(out, ",\"step\":");
		put_str(out, &in->step);
		buf_adds(out, ",\"arm\":");
		put_str(out, &in->arm);
		buf_adds(out, ",\"reason\":");
		put_str(out, &in->reason);
		buf_adds(out, ",\"props\":");
		put_raw(out, &in->props);
		buf_addc(out, '}');
	}
	buf_adds(out, "],\"profile\":");
	profile_fold_write(p, L, nm->slot_name, nm->ctx, out);
	buf_adds(out, ",\"tags\":{");
	for (first = 1, k = 0; k < nm->ntags && k < p->ntags; k++) {
		if (!p->tags[k].set)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_str(out, nm->tags[k], strlen(nm->tags[k]));
		buf_addc(out, ':');
		put_raw(out, &p->tags[k].v);
	}
	buf_adds(out, "},\"segments\":[");
	for (first = 1, k = 0; k < nm->nsegs && nm->ntags + k < p->ntags; k++) {
		if (!p->tags[nm->ntags + k].set)
			continue;
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_str(out, nm->segs[k], strlen(nm->segs[k]));
	}
	buf_adds(out, "]}");
}

/* Token t as a signed integer (plain digits, an optional minus): 0, -1. */
static int tok_i64(const struct json_doc *d, uint32_t t, int64_t *v)
{
	const char *s = d->s + d->t[t].off;
	size_t n = d->t[t].len, i = 0;
	uint64_t u = 0;
	int neg = 0;

	if (d->t[t].type != JSON_NUMBER || !n)
		return -1;
	if (s[0] == '-')
		neg = 1, i = 1;
	if (i == n)
		return -1;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || u > (UINT64_MAX - 9) / 10)
			return -1;
		u = u * 10 + (uint64_t)(s[i] - '0');
	}
	if (neg ? u > (uint64_t)INT64_MAX + 1 : u > (uint64_t)INT64_MAX)
		return -1;
	*v = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 0;
}

/* Token key of object obj as ms (null: INT64_MIN): 0, -1. */
static int get_ms(const struct json_doc *d, uint32_t obj, const char *key, int64_t *v)
{
	uint32_t t = json_get(d, obj, key, strlen(key));

	if (!t)
		return -1;
	if (d->t[t].type == JSON_NULL) {
		*v = INT64_MIN;
		return 0;
	}
	return tok_i64(d, t, v);
}

static int get_hex64(const struct json_doc *d, uint32_t obj, const char *key, uint64_t *v)
{
	uint32_t t = json_get(d, obj, key, strlen(key)), k;
	const char *s;

	if (!t || d->t[t].type != JSON_STRING || d->t[t].len != 16 || d->t[t].esc)
		return -1;
	s = d->s + d->t[t].off;
	*v = 0;
	for (k = 0; k < 16; k++) {
		const char *c = strchr(hx, s[k]);
		if (!s[k] || !c)
			return -1;
		*v = *v << 4 | (uint64_t)(c - hx);
	}
	return 0;
}

static int get_str(const struct json_doc *d, uint32_t obj, const char *key, struct buf *b)
{
	uint32_t t = json_get(d, obj, key, strlen(key));

	buf_reset(b);
	if (!t || d->t[t].type != JSON_STRING)
		return -1;
	json_str_get(d, t, b);
	return 0;
}

static int get_raw(const struct json_doc *d, uint32_t obj, const char *key, struct buf *b)
{
	uint32_t t = json_get(d, obj, key, strlen(key));

	buf_reset(b);
	if (!t)
		return -1;
	if (d->t[t].type != JSON_NULL)
		json_write_tok(d, t, b);
	return 0;
}

static int state_of(const struct json_doc *d, uint32_t t, int *s)
{
	static const struct {
		const char *name;
		int v;
	} v[] = {{"wait", JI_WAIT}, {"wait_event", JI_WAIT_EVENT}, {"done", JI_DONE}, {"armed", JI_ARMED},
		 {"none", JI_NONE}};
	unsigned k;

	for (k = 0; t && k < sizeof v / sizeof *v; k++)
		if (json_str_eq(d, t, v[k].name, strlen(v[k].name))) {
			*s = v[k].v;
			return 0;
		}
	return -1;
}

/* One instance at token o into in (initialised): 0, or -1. */
static int read_inst(const struct json_doc *d, uint32_t o, struct jinst *in)
{
	uint32_t t;
	int64_t e;
	int bad = 0;

	bad |= get_hex64(d, o, "corr", &in->corr);
	bad |= get_raw(d, o, "corr_value", &in->corrv);
	bad |= state_of(d, json_get(d, o, "state", 5), &in->state);
	t = json_get(d, o, "control", 7);
	if (t && (d->t[t].type == JSON_TRUE || d->t[t].type == JSON_FALSE))
		in->control = d->t[t].type == JSON_TRUE;
	else
		bad = 1;
	if ((t = json_get(d, o, "entries", 7)) && !tok_i64(d, t, &e) && e >= 0 && e <= UINT32_MAX)
		in->entries = (unsigned)e;
	else
		bad = 1;
	bad |= get_ms(d, o, "entered", &in->entered);
	bad |= get_ms(d, o, "wake", &in->wake);
	bad |= get_ms(d, o, "exited", &in->exited);
	bad |= get_hex64(d, o, "version", &in->defhash);
	bad |= get_str(d, o, "step", &in->step);
	bad |= get_str(d, o, "arm", &in->arm);
	bad |= get_str(d, o, "reason", &in->reason);
	bad |= get_raw(d, o, "props", &in->props);
	return bad ? -1 : 0;
}

static struct jinst *insts_add(struct jfold_insts *v)
{
	struct jinst *in;

	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 4;
		v->v = xrealloc(v->v, v->cap * sizeof *v->v);
	}
	in = &v->v[v->n++];
	jinst_init(in);
	return in;
}

void jfold_insts_release(struct jfold_insts *v)
{
	unsigned k;

	for (k = 0; k < v->n; k++)
		jinst_release(&v->v[k]);
	free(v->v);
	memset(v, 0, sizeof *v);
}

int jfold_read(const struct json_doc *d, uint32_t obj, const struct jfold_names *nm,
	       struct jfold_insts *out, struct profile *p, const struct profile_layout *L)
{
	struct buf name = BUF_INIT;
	uint32_t t, i, k, j;
	int bad = 0;

	for (k = 0; k < out->n; k++)
		jinst_release(&out->v[k]);
	out->n = 0;
	if (d->t[obj].type != JSON_OBJECT) {
		profile_reset(p, L, p->oneid);
		return -1;
	}
	if ((t = json_get(d, obj, "profile", 7)))
		bad |= profile_fold_read(p, L, d, t, nm->name_slot, nm->ctx);
	else {
		profile_reset(p, L, p->oneid);
		bad = -1;
	}
	if ((t = json_get(d, obj, "journeys", 8)) && d->t[t].type == JSON_ARRAY) {
		for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i].next) {
			uint32_t jn = d->t[i].type == JSON_OBJECT ? json_get(d, i, "journey", 7) : 0, id;
			struct jinst *in;
			if (!jn || d->t[jn].type != JSON_STRING) {
				bad = -1;
				continue;
			}
			buf_reset(&name);
			json_str_get(d, jn, &name);
			if (nm->journey_id(nm->ctx, name.len ? name.p : "", name.len, &id))
				continue; /* not defined here */
			in = insts_add(out);
			in->journey = id;
			if (read_inst(d, i, in)) {
				bad = -1;
				jinst_release(in);
				out->n--;
			}
		}
	} else {
		bad = -1;
	}
	if ((t = json_get(d, obj, "tags", 4)) && d->t[t].type == JSON_OBJECT) {
		for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i + 1].next)
			for (j = 0; j < nm->ntags && j < p->ntags; j++)
				if (json_str_eq(d, i, nm->tags[j], strlen(nm->tags[j]))) {
					struct prof_tag *g = &p->tags[j];
					buf_reset(&g->v);
					json_write_tok(d, i + 1, &g->v);
					g->set = 1;
					break;
				}
	} else {
		bad = -1;
	}
	if ((t = json_get(d, obj, "segments", 8)) && d->t[t].type == JSON_ARRAY) {
		for (k = 0, i = t + 1; k < d->t[t].size; k++, i = d->t[i].next)
			for (j = 0; j < nm->nsegs && nm->ntags + j < p->ntags; j++)
				if (d->t[i].type == JSON_STRING &&
				    json_str_eq(d, i, nm->segs[j], strlen(nm->segs[j]))) {
					struct prof_tag *g = &p->tags[nm->ntags + j];
					buf_reset(&g->v);
					buf_adds(&g->v, "true");
					g->set = 1;
					break;
				}
	} else {
		bad = -1;
	}
	p->tags_raw = NULL;
	buf_release(&name);
	return bad ? -1 : 0;
}
