#include "sysrec.h"

#include <string.h>

#include "clock.h"

enum kind {
	K_ID,      /* a string without escapes, not empty */
	K_TS,      /* a time clock_parse reads */
	K_ONEID,   /* 1 … 4294967295 */
	K_ONEIDS,  /* a list of at least one oneid */
	K_STRING,  /* any string */
	K_ANY,     /* present, any value (null too) */
	K_OP,      /* "enter" or "exit" */
	K_OBJECTS, /* an object whose values are objects */
	K_CHANNEL, /* a channel's name, or a list of at least one */
	K_BOOL,    /* true or false */
	K_STATE,   /* an object, or null */
};

#define F(type, name, kind) {type, name, sizeof(name) - 1, kind, type " without a valid \"" name "\"", 0}
/* a field that may be absent, and when present is of this kind */
#define O(type, name, kind) {type, name, sizeof(name) - 1, kind, type " with an invalid \"" name "\"", 1}

/* The required fields of system.schema.json, in its order. */
static const struct field {
	const char *type, *name;
	size_t n;
	enum kind kind;
	const char *why;
	int optional;
} fields[] = {
	F("$merge", "event_id", K_ID),
	F("$merge", "ts", K_TS),
	F("$merge", "oneid", K_ONEID),
	F("$merge", "merged", K_ONEIDS),
	F("$merge", "by", K_STRING),
	O("$merge", "across", K_BOOL),
	O("$merge", "leaving", K_ONEID),
	F("$fold", "event_id", K_ID),
	F("$fold", "ts", K_TS),
	F("$fold", "oneid", K_ONEID),
	F("$fold", "merged", K_ONEID),
	F("$fold", "state", K_STATE),
	F("$tag", "event_id", K_ID),
	F("$tag", "ts", K_TS),
	F("$tag", "oneid", K_ONEID),
	F("$tag", "tag", K_STRING),
	F("$tag", "old", K_ANY),
	F("$tag", "new", K_ANY),
	F("$segment", "event_id", K_ID),
	F("$segment", "ts", K_TS),
	F("$segment", "oneid", K_ONEID),
	F("$segment", "segment", K_STRING),
	F("$segment", "op", K_OP),
	F("$tick", "ts", K_TS),
	F("$split", "oneid", K_ONEID),
	F("$split", "into", K_OBJECTS),
	F("$send", "send_id", K_ID),
	F("$send", "ts", K_TS),
	F("$send", "oneid", K_ONEID),
	F("$send", "channel", K_CHANNEL),
	F("$delivery", "event_id", K_ID),
	F("$delivery", "ts", K_TS),
	F("$delivery", "oneid", K_ONEID),
	F("$delivery", "send_id", K_ID),
	F("$delivery", "status", K_STRING),
	F("$consent", "ts", K_TS),
	F("$consent", "oneid", K_ONEID),
	F("$consent", "channel", K_STRING),
	F("$consent", "granted", K_BOOL),
};

static int valid(const struct json_doc *d, uint32_t v, enum kind kind)
{
	const struct json_tok *t = &d->t[v];
	uint32_t k, i, id;
	int64_t ms;

	switch (kind) {
	case K_ID:
		return t->type == JSON_STRING && !t->esc && t->len;
	case K_TS:
		return !clock_parse_tok(d, v, &ms);
	case K_ONEID:
		return !json_oneid(d, v, &id);
	case K_ONEIDS:
		if (t->type != JSON_ARRAY || !t->size)
			return 0;
		for (k = 0, i = v + 1; k < t->size; k++, i = d->t[i].next)
			if (json_oneid(d, i, &id))
				return 0;
		return 1;
	case K_STRING:
		return t->type == JSON_STRING;
	case K_ANY:
		return 1;
	case K_BOOL:
		return t->type == JSON_TRUE || t->type == JSON_FALSE;
	case K_STATE:
		return t->type == JSON_OBJECT || t->type == JSON_NULL;
	case K_CHANNEL:
		if (t->type == JSON_STRING)
			return t->len > 0;
		if (t->type != JSON_ARRAY || !t->size)
			return 0;
		for (k = 0, i = v + 1; k < t->size; k++, i = d->t[i].next)
			if (d->t[i].type != JSON_STRING || !d->t[i].len)
				return 0;
		return 1;
	case K_OP:
		return json_str_eq(d, v, "enter", 5) || json_str_eq(d, v, "exit", 4);
	case K_OBJECTS:
		if (t->type != JSON_OBJECT)
			return 0;
		for (k = 0, i = v + 1; k < t->size; k++, i = d->t[i + 1].next)
			if (d->t[i + 1].type != JSON_OBJECT)
				return 0;
		return 1;
	}
	return 0;
}

/* Does event_id token e end with ":<oneid>"? */
static int id_ends_with(const struct json_doc *d, uint32_t e, uint32_t oneid)
{
	char num[16];
	int n = u32_dec(num, oneid);
	const char *s = d->s + d->t[e].off;
	size_t len = d->t[e].len;

	return len > (size_t)n + 1 && s[len - (size_t)n - 1] == ':' && !memcmp(s + len - n, num, (size_t)n);
}

/* A $merge copy for a merged oneid's stream: "leaving" one of "merged",
 * not the survivor, its event_id "<the survivor's copy's>:<leaving>". */
static const char *leaving_check(const struct json_doc *d, uint32_t obj, uint32_t v)
{
	uint32_t m = json_get(d, obj, "merged", 6), l, id, k, i;

	json_oneid(d, v, &l);
	json_oneid(d, json_get(d, obj, "oneid", 5), &id);
	for (k = 0, i = m + 1; k < d->t[m].size; k++, i = d->t[i].next) {
		uint32_t x;
		if (!json_oneid(d, i, &x) && x == l)
			break;
	}
	if (l == id || k == d->t[m].size)
		return "$merge with a \"leaving\" oneid not among \"merged\"";
	if (!id_ends_with(d, json_get(d, obj, "event_id", 8), l))
		return "$merge with a \"leaving\" oneid its event_id does not end with";
	return NULL;
}

/* A $fold: event_id "fold:<…>:<merged>", merged not the survivor. */
static const char *fold_check(const struct json_doc *d, uint32_t obj)
{
	uint32_t e = json_get(d, obj, "event_id", 8), id, m;

	json_oneid(d, json_get(d, obj, "oneid", 5), &id);
	json_oneid(d, json_get(d, obj, "merged", 6), &m);
	if (m == id)
		return "$fold of the survivor itself";
	if (d->t[e].len < 5 || memcmp(d->s + d->t[e].off, "fold:", 5) || !id_ends_with(d, e, m))
		return "$fold whose event_id is not fold:<merge>:<merged>";
	return NULL;
}

const char *sysrec_check(const struct json_doc *d, uint32_t obj, const char *type)
{
	size_t f;
	uint32_t v;

	for (f = 0; f < sizeof fields / sizeof fields[0]; f++) {
		if (strcmp(fields[f].type, type))
			continue;
		v = json_get(d, obj, fields[f].name, fields[f].n);
		if (!v && fields[f].optional)
			continue;
		if (!v || !valid(d, v, fields[f].kind))
			return fields[f].why;
	}
	if (!strcmp(type, "$merge") && (v = json_get(d, obj, "leaving", 7)))
		return leaving_check(d, obj, v);
	if (!strcmp(type, "$fold"))
		return fold_check(d, obj);
	return NULL;
}
