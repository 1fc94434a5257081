#include "journey.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "condbind.h"
#include "hash.h"
#include "profile.h"
#include "store.h"

const char *const jstep_kind_names[] = {"send", "wait", "wait_for", "branch", "split", "update", "goto", "exit"};

#define END (-1)
#define AFTER (-2) /* a split arm without next: the step after the split */
#define UNSET (-3)

/* ---- definitions ---- */

struct journey *journey_find(const struct journeys *js, const char *name, size_t n)
{
	unsigned i;

	for (i = 0; i < js->n; i++)
		if (strlen(js->v[i].name) == n && !memcmp(js->v[i].name, name, n))
			return &js->v[i];
	return NULL;
}

int journey_step_index(const struct journey *j, const char *id, size_t n)
{
	unsigned i;

	for (i = 0; i < j->nsteps; i++)
		if (strlen(j->steps[i].id) == n && !memcmp(j->steps[i].id, id, n))
			return (int)i;
	return -1;
}

/* A step reference at obj.key: an index (or END for "end"). */
static int step_ref(struct conf *c, unsigned obj, const char *key, struct journey *j, int *out)
{
	unsigned v = json_get(&c->doc, obj, key, strlen(key));
	struct buf b = BUF_INIT;
	int i;

	if (!v)
		return 0;
	if (c->doc.t[v].type != JSON_STRING)
		return conf_fail(c, obj, key, "want a step id");
	json_str_get(&c->doc, v, &b);
	if (b.p && !strcmp(b.p, "end")) {
		*out = END;
		buf_release(&b);
		return 1;
	}
	i = b.p ? journey_step_index(j, b.p, b.len) : -1;
	if (i < 0) {
		conf_fail(c, obj, key, "unknown step '%s'", b.p ? b.p : "");
		buf_release(&b);
		return -1;
	}
	buf_release(&b);
	*out = i;
	return 1;
}

static int duration(struct conf *c, unsigned obj, const char *key, int64_t *ms)
{
	unsigned v = json_get(&c->doc, obj, key, strlen(key));
	struct buf b = BUF_INIT;
	int bad;

	if (!v)
		return 0;
	if (c->doc.t[v].type != JSON_STRING)
		return conf_fail(c, obj, key, "want a duration such as \"3d\", \"2h\", \"30m\"");
	json_str_get(&c->doc, v, &b);
	bad = !b.p || clock_parse_duration(b.p, ms) || *ms <= 0;
	if (bad)
		conf_fail(c, obj, key, "'%s': want a duration above zero such as \"3d\", \"2h\", \"30m\"",
			  b.p ? b.p : "");
	buf_release(&b);
	return bad ? -1 : 1;
}

static int weekday_of(const char *s)
{
	static const char *const names[] = {"sunday", "monday", "tuesday", "wednesday", "thursday", "friday",
					    "saturday"};
	int i;

	for (i = 0; i < 7; i++)
		if (!strcmp(s, names[i]) || (strlen(s) == 3 && !strncmp(s, names[i], 3)))
			return i;
	return -1;
}

static int compile_wait(struct conf *c, unsigned st, unsigned v, struct jstep *s)
{
	static const char *const keys[] = {"for", "at", "days", "weekday", NULL};
	const struct json_doc *d = &c->doc;
	char *at = NULL, *wd = NULL;
	long long days = 0;
	int r;

	s->at_min = -1;
	s->weekday = -1;
	if (d->t[v].type == JSON_STRING) {
		r = duration(c, st, "wait", &s->dur_ms);
		return r < 0 ? -1 : 0;
	}
	if (d->t[v].type != JSON_OBJECT)
		return conf_fail(c, st, "wait", "want a duration (\"3d\") or {\"for\"} or {\"at\", \"days\", \"weekday\"}");
	if (conf_keys(c, v, keys))
		return -1;
	if ((r = duration(c, v, "for", &s->dur_ms)) < 0)
		return -1;
	if (conf_str(c, v, "at", &at) < 0 || conf_str(c, v, "weekday", &wd) < 0 || conf_int(c, v, "days", &days) < 0)
		goto bad;
	if (r == 1 && (at || wd || days)) {
		conf_fail(c, v, NULL, "\"for\" is a duration alone: give it, or \"at\" with \"days\"/\"weekday\"");
		goto bad;
	}
	if (r != 1) {
		int hh, mm;
		char tail;
		if (!at) {
			conf_fail(c, v, NULL, "want \"for\" (a duration) or \"at\" (a local time of day, \"10:00\")");
			goto bad;
		}
		if (sscanf(at, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59 ||
		    strlen(at) != 5) {
			conf_fail(c, v, "at", "'%s': want a local time of day HH:MM", at);
			goto bad;
		}
		s->at_min = hh * 60 + mm;
		if (days < 0 || days > 3660) {
			conf_fail(c, v, "days", "want 0 … 3660 (days on from today, local)");
			goto bad;
		}
		s->days = (int)days;
		if (wd && (s->weekday = weekday_of(wd)) < 0) {
			conf_fail(c, v, "weekday", "'%s': want a weekday (monday … sunday)", wd);
			goto bad;
		}
	}
	free(at);
	free(wd);
	return 0;
bad:
	free(at);
	free(wd);
	return -1;
}

static int compile_send(struct conf *c, unsigned st, unsigned v, struct jstep *s)
{
	static const char *const keys[] = {"channel", "template", "params", "kind", "priority", NULL};
	const struct json_doc *d = &c->doc;
	unsigned ch, p, k, i;
	long long pri = 0;

	(void)st;
	if (d->t[v].type != JSON_OBJECT)
		return conf_fail(c, v, NULL, "want {\"channel\", \"template\", \"params\"}");
	if (conf_keys(c, v, keys))
		return -1;
	ch = json_get(d, v, "channel", 7);
	if (!ch)
		return conf_fail(c, v, NULL, "a send needs a \"channel\" (or a list in order of preference)");
	if (d->t[ch].type == JSON_STRING) {
		s->channels = xcalloc(1, sizeof *s->channels);
		conf_str(c, v, "channel", &s->channels[0]);
		s->nchannels = 1;
	} else if (d->t[ch].type == JSON_ARRAY && d->t[ch].size) {
		s->channels = xcalloc(d->t[ch].size, sizeof *s->channels);
		for (k = 0, i = ch + 1; k < d->t[ch].size; k++, i = d->t[i].next) {
			struct buf b = BUF_INIT;
			if (d->t[i].type != JSON_STRING)
				return conf_fail(c, i, NULL, "want a channel name");
			json_str_get(d, i, &b);
			s->channels[s->nchannels++] = b.p ? b.p : xstrdup("");
		}
	} else {
		return conf_fail(c, v, "channel", "want a channel or a non-empty list of them");
	}
	for (k = 0; k < s->nchannels; k++)
		if (!condbind_valid_name(s->channels[k]))
			return conf_fail(c, v, "channel", "'%s': use lowercase letters, digits and _", s->channels[k]);
	if (conf_str(c, v, "template", &s->tmpl) != 1)
		return conf_fail(c, v, "template", "a send needs a template id (a string)");
	if ((p = json_get(d, v, "params", 6))) {
		struct buf b = BUF_INIT;
		if (d->t[p].type != JSON_OBJECT)
			return conf_fail(c, v, "params", "want an object");
		json_write_tok(d, p, &b);
		s->params = b.p;
	}
	if (conf_str(c, v, "kind", &s->msgkind) < 0)
		return -1;
	if (!s->msgkind)
		s->msgkind = xstrdup("marketing");
	if (strcmp(s->msgkind, "marketing") && strcmp(s->msgkind, "transactional"))
		return conf_fail(c, v, "kind", "want \"marketing\" or \"transactional\"");
	if (conf_int(c, v, "priority", &pri) < 0)
		return -1;
	if (pri < 0 || pri > 9)
		return conf_fail(c, v, "priority", "want 0 … 9");
	s->priority = (long)pri;
	return 0;
}

/* Compile a condition of the journey (props read the event at hand, or
 * the trigger's). */
static struct cond *jcond(struct conf *c, unsigned tok, struct cond_scope *sc)
{
	struct cond *x;
	int saved = sc->in_where;

	sc->in_where = 1;
	x = cond_compile(c, tok, sc);
	sc->in_where = saved;
	return x;
}

static int compile_step_body(struct conf *c, unsigned st, struct journey *j, struct jstep *s,
			     struct cond_scope *sc)
{
	const struct json_doc *d = &c->doc;
	unsigned v, k, i;
	int r;

	switch (s->kind) {
	case JS_SEND:
		return compile_send(c, st, json_get(d, st, "send", 4), s);
	case JS_WAIT:
		return compile_wait(c, st, json_get(d, st, "wait", 4), s);
	case JS_WAIT_FOR: {
		static const char *const keys[] = {"event", "where", "timeout", "restart_on", NULL};
		v = json_get(d, st, "wait_for", 8);
		if (d->t[v].type != JSON_OBJECT)
			return conf_fail(c, st, "wait_for", "want {\"event\", \"where\", \"timeout\"}");
		if (conf_keys(c, v, keys))
			return -1;
		if (conf_str(c, v, "event", &s->event) != 1)
			return conf_fail(c, v, "event", "want the event type awaited");
		if ((k = json_get(d, v, "where", 5)) && !(s->where = jcond(c, k, sc)))
			return -1;
		if ((r = duration(c, v, "timeout", &s->timeout_ms)) < 0)
			return -1;
		if (!r)
			return conf_fail(c, v, "timeout", "a wait_for needs a timeout (a duration)");
		if (conf_str(c, v, "restart_on", &s->restart) < 0)
			return -1;
		s->on_event = s->on_timeout = UNSET;
		if (step_ref(c, st, "on_event", j, &s->on_event) < 0 ||
		    step_ref(c, st, "on_timeout", j, &s->on_timeout) < 0)
			return -1;
		return 0;
	}
	case JS_BRANCH: {
		static const char *const keys[] = {"when", "next", NULL};
		v = json_get(d, st, "branch", 6);
		if (d->t[v].type != JSON_ARRAY || !d->t[v].size)
			return conf_fail(c, st, "branch", "want a list of {\"when\": CONDITION, \"next\": STEP}");
		s->cases = xcalloc(d->t[v].size, sizeof *s->cases);
		for (k = 0, i = v + 1; k < d->t[v].size; k++, i = d->t[i].next) {
			struct jcase *cs = &s->cases[s->ncases++];
			unsigned w;
			if (d->t[i].type != JSON_OBJECT)
				return conf_fail(c, i, NULL, "want {\"when\": CONDITION, \"next\": STEP}");
			if (conf_keys(c, i, keys))
				return -1;
			if (!(w = json_get(d, i, "when", 4)))
				return conf_fail(c, i, NULL, "a case needs \"when\"");
			if (!(cs->when = jcond(c, w, sc)))
				return -1;
			if ((r = step_ref(c, i, "next", j, &cs->next)) < 0)
				return -1;
			if (!r)
				return conf_fail(c, i, NULL, "a case needs \"next\" (a step id, or \"end\")");
		}
		s->els = UNSET;
		return step_ref(c, st, "else", j, &s->els) < 0 ? -1 : 0;
	}
	case JS_SPLIT: {
		static const char *const keys[] = {"arm", "weight", "control", "next", NULL};
		v = json_get(d, st, "split", 5);
		if (d->t[v].type != JSON_ARRAY || d->t[v].size < 2)
			return conf_fail(c, st, "split", "want a list of two or more {\"arm\", \"weight\", \"next\"}");
		s->arms = xcalloc(d->t[v].size, sizeof *s->arms);
		for (k = 0, i = v + 1; k < d->t[v].size; k++, i = d->t[i].next) {
			struct jarm *a = &s->arms[s->narms++];
			long long w = -1;
			unsigned ct, q;
			if (d->t[i].type != JSON_OBJECT)
				return conf_fail(c, i, NULL, "want {\"arm\", \"weight\", \"next\"}");
			if (conf_keys(c, i, keys))
				return -1;
			if (conf_str(c, i, "arm", &a->name) != 1 || !condbind_valid_name(a->name))
				return conf_fail(c, i, "arm", "want an arm name (lowercase letters, digits and _)");
			for (q = 0; q + 1 < s->narms; q++)
				if (!strcmp(s->arms[q].name, a->name))
					return conf_fail(c, i, "arm", "arm '%s' is given twice", a->name);
			if (conf_int(c, i, "weight", &w) < 0)
				return -1;
			if (w < 1 || w > 1000000)
				return conf_fail(c, i, "weight", "want a whole number 1 … 1000000");
			a->weight = (unsigned)w;
			s->total += a->weight;
			if ((ct = json_get(d, i, "control", 7))) {
				if (d->t[ct].type != JSON_TRUE && d->t[ct].type != JSON_FALSE)
					return conf_fail(c, i, "control", "want true or false");
				a->control = d->t[ct].type == JSON_TRUE;
			}
			a->next = AFTER;
			if (step_ref(c, i, "next", j, &a->next) < 0)
				return -1;
		}
		return 0;
	}
	case JS_UPDATE: {
		static const char *const keys[] = {"trait", "tag", "value", NULL};
		unsigned val;
		v = json_get(d, st, "update", 6);
		if (d->t[v].type != JSON_OBJECT)
			return conf_fail(c, st, "update", "want {\"trait\" or \"tag\": NAME, \"value\": V}");
		if (conf_keys(c, v, keys))
			return -1;
		if (conf_str(c, v, "trait", &s->uname) < 0)
			return -1;
		if (!s->uname) {
			if (conf_str(c, v, "tag", &s->uname) != 1)
				return conf_fail(c, v, NULL, "an update sets a \"trait\" or a \"tag\"");
			s->utag = 1;
		} else if (json_get(d, v, "tag", 3)) {
			return conf_fail(c, v, NULL, "an update sets one \"trait\" or one \"tag\"");
		}
		if (!condbind_valid_name(s->uname))
			return conf_fail(c, v, s->utag ? "tag" : "trait", "'%s': use lowercase letters, digits and _",
					 s->uname);
		if ((val = json_get(d, v, "value", 5))) {
			struct buf b = BUF_INIT;
			if (d->t[val].type == JSON_STRING && json_str_eq(d, val, "$now", 4)) {
				s->uvalue = NULL;
			} else {
				json_write_tok(d, val, &b);
				s->uvalue = b.p;
			}
		}
		return 0;
	}
	case JS_GOTO:
		if ((r = step_ref(c, st, "goto", j, &s->next)) < 0)
			return -1;
		return 0;
	case JS_EXIT:
		v = json_get(d, st, "exit", 4);
		if (d->t[v].type == JSON_TRUE) {
			s->reason = xstrdup("exit_step");
		} else if (d->t[v].type == JSON_STRING) {
			conf_str(c, st, "exit", &s->reason);
			if (!condbind_valid_name(s->reason))
				return conf_fail(c, st, "exit", "'%s': a reason is lowercase letters, digits and _",
						 s->reason);
		} else {
			return conf_fail(c, st, "exit", "want true or a reason (\"unsubscribed\")");
		}
		return 0;
	}
	return 0;
}

/* The steps an activation may go on to from step i without waiting. */
static unsigned successors(const struct journey *j, unsigned i, int *out)
{
	const struct jstep *s = &j->steps[i];
	unsigned n = 0, k;

	switch (s->kind) {
	case JS_WAIT:
	case JS_WAIT_FOR:
	case JS_EXIT:
		return 0;
	case JS_BRANCH:
		for (k = 0; k < s->ncases; k++)
			out[n++] = s->cases[k].next;
		out[n++] = s->els;
		return n;
	case JS_SPLIT:
		for (k = 0; k < s->narms; k++)
			out[n++] = s->arms[k].next == AFTER ? s->next : s->arms[k].next;
		return n;
	default:
		out[n++] = s->next;
		return n;
	}
}

/* Depth-first search for a cycle of steps that never waits; 1 found
 * (its path in *path). */
static int loop_from(const struct journey *j, unsigned i, unsigned char *mark, int *stack, unsigned depth,
		     struct buf *path)
{
	int succ[64 + 2];
	unsigned n, k;

	mark[i] = 1;
	stack[depth] = (int)i;
	n = successors(j, i, succ);
	for (k = 0; k < n; k++) {
		int t = succ[k];
		if (t < 0)
			continue;
		if (mark[t] == 1) {
			unsigned q, from = 0;
			for (q = 0; q <= depth; q++)
				if (stack[q] == t)
					from = q;
			for (q = from; q <= depth; q++)
				buf_printf(path, "%s → ", j->steps[stack[q]].id);
			buf_adds(path, j->steps[t].id);
			return 1;
		}
		if (!mark[t] && loop_from(j, (unsigned)t, mark, stack, depth + 1, path))
			return 1;
	}
	mark[i] = 2;
	return 0;
}

static void step_release(struct jstep *s)
{
	unsigned k;

	free(s->id);
	for (k = 0; k < s->nchannels; k++)
		free(s->channels[k]);
	free(s->channels);
	free(s->tmpl);
	free(s->params);
	free(s->msgkind);
	free(s->event);
	cond_free(s->where);
	free(s->restart);
	for (k = 0; k < s->ncases; k++)
		cond_free(s->cases[k].when);
	free(s->cases);
	for (k = 0; k < s->narms; k++)
		free(s->arms[k].name);
	free(s->arms);
	free(s->uname);
	free(s->uvalue);
	free(s->reason);
}

static void journey_release(struct journey *j)
{
	unsigned k;

	free(j->name);
	free(j->file);
	free(j->description);
	free(j->canon);
	if (j->tz)
		tz_free(j->tz);
	free(j->tzname);
	if (j->s_tz)
		tz_free(j->s_tz);
	free(j->s_tzname);
	free(j->t_name);
	cond_free(j->t_where);
	free(j->t_from);
	free(j->t_to);
	free(j->correlate);
	cond_free(j->goal);
	for (k = 0; k < j->nexits; k++) {
		cond_free(j->exits[k].when);
		free(j->exits[k].reason);
	}
	free(j->exits);
	for (k = 0; k < j->nsteps; k++)
		step_release(&j->steps[k]);
	free(j->steps);
}

void journeys_release(struct journeys *js)
{
	unsigned i;

	for (i = 0; i < js->n; i++)
		journey_release(&js->v[i]);
	free(js->v);
	memset(js, 0, sizeof *js);
}

static int date_opt(struct conf *c, unsigned obj, const char *key, int64_t *ms)
{
	char *s = NULL;
	const char *why;
	int r = conf_str(c, obj, key, &s);

	if (r <= 0)
		return r;
	if (clock_parse(s, strlen(s), NULL, ms, &why)) {
		conf_fail(c, obj, key, "'%s': %s", s, why);
		free(s);
		return -1;
	}
	free(s);
	return 1;
}

static int compile_date(struct conf *c, unsigned v, struct journey *j, struct cond_scope *sc)
{
	static const char *const keys[] = {"trait", "tag", "days", "at", "yearly", NULL};
	const struct json_doc *d = &c->doc;
	long long days = 0;
	char *at = NULL;
	unsigned y;
	const char *why = NULL;

	j->trig = JT_DATE;
	if (d->t[v].type != JSON_OBJECT)
		return conf_fail(c, v, NULL, "want {\"trait\" or \"tag\": NAME, \"days\", \"at\", \"yearly\"}");
	if (conf_keys(c, v, keys))
		return -1;
	if (conf_str(c, v, "trait", &j->t_name) < 0)
		return -1;
	if (!j->t_name) {
		if (conf_str(c, v, "tag", &j->t_name) != 1)
			return conf_fail(c, v, NULL, "a date trigger reads a \"trait\" or a \"tag\" holding a date");
		j->d_tag = 1;
		if (sc->tag(sc->ctx, j->t_name, &why) < 0)
			return conf_fail(c, v, "tag", "'%s': %s", j->t_name, why ? why : "no such tag");
	} else {
		if (json_get(d, v, "tag", 3))
			return conf_fail(c, v, NULL, "a date trigger reads one \"trait\" or one \"tag\"");
		if (!condbind_valid_name(j->t_name))
			return conf_fail(c, v, "trait", "'%s': use lowercase letters, digits and _", j->t_name);
		sc->trait(sc->ctx, j->t_name);
	}
	if (conf_int(c, v, "days", &days) < 0)
		return -1;
	if (days < -3660 || days > 3660)
		return conf_fail(c, v, "days", "want -3660 … 3660 (negative: days before the date)");
	j->d_days = (int)days;
	j->d_at_min = 0;
	if (conf_str(c, v, "at", &at) < 0)
		return -1;
	if (at) {
		int hh, mm;
		char tail;
		if (strlen(at) != 5 || sscanf(at, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 || mm < 0 ||
		    mm > 59) {
			conf_fail(c, v, "at", "'%s': want a local time of day HH:MM", at);
			free(at);
			return -1;
		}
		j->d_at_min = hh * 60 + mm;
		free(at);
	}
	if ((y = json_get(d, v, "yearly", 6))) {
		if (d->t[y].type != JSON_TRUE && d->t[y].type != JSON_FALSE)
			return conf_fail(c, v, "yearly", "want true or false");
		j->d_yearly = d->t[y].type == JSON_TRUE;
	}
	return 0;
}

static int compile_schedule(struct conf *c, unsigned trig, unsigned v, struct journey *j, struct cond_scope *sc)
{
	static const char *const keys[] = {"every", "on", "at", "tz", NULL};
	const struct json_doc *d = &c->doc;
	char *every = NULL, *at = NULL;
	const char *why = NULL;
	unsigned on;
	int hh, mm;
	char tail;

	j->trig = JT_SCHEDULE;
	if (d->t[v].type != JSON_OBJECT)
		return conf_fail(c, v, NULL, "want {\"every\": \"day\" | \"week\" | \"month\", \"on\", \"at\", \"tz\"}");
	if (conf_keys(c, v, keys))
		return -1;
	if (conf_str(c, trig, "segment", &j->t_name) != 1)
		return conf_fail(c, trig, "segment", "a schedule trigger enters the people of a segment: name it");
	if (!sc->segment || sc->segment(sc->ctx, j->t_name, &why) < 0)
		return conf_fail(c, trig, "segment", "'%s': %s", j->t_name, why ? why : "no such segment");
	if (json_get(d, trig, "op", 2) || json_get(d, trig, "from", 4) || json_get(d, trig, "to", 2))
		return conf_fail(c, trig, NULL, "a schedule trigger takes \"segment\", not \"op\", \"from\" or \"to\"");
	if (conf_str(c, v, "every", &every) != 1)
		return conf_fail(c, v, "every", "want \"day\", \"week\" or \"month\"");
	if (!strcmp(every, "day"))
		j->s_every = JE_DAY;
	else if (!strcmp(every, "week"))
		j->s_every = JE_WEEK;
	else if (!strcmp(every, "month"))
		j->s_every = JE_MONTH;
	else {
		conf_fail(c, v, "every", "'%s': want \"day\", \"week\" or \"month\"", every);
		free(every);
		return -1;
	}
	free(every);
	on = json_get(d, v, "on", 2);
	if (j->s_every == JE_DAY && on)
		return conf_fail(c, v, "on", "every day takes no \"on\"");
	if (j->s_every == JE_WEEK) {
		char *wd = NULL;
		if (!on || d->t[on].type != JSON_STRING || conf_str(c, v, "on", &wd) != 1)
			return conf_fail(c, v, "on", "every week: want a weekday (\"mon\" … \"sun\")");
		j->s_on = weekday_of(wd);
		if (j->s_on < 0) {
			conf_fail(c, v, "on", "'%s': want a weekday (monday … sunday)", wd);
			free(wd);
			return -1;
		}
		free(wd);
	}
	if (j->s_every == JE_MONTH) {
		long long dom = 0;
		if (!on || d->t[on].type != JSON_NUMBER || conf_int(c, v, "on", &dom) != 1 || dom < 1 || dom > 31)
			return conf_fail(c, v, "on", "every month: want a day of the month 1 … 31 (a shorter month: its last day)");
		j->s_on = (int)dom;
	}
	if (conf_str(c, v, "at", &at) < 0)
		return -1;
	j->s_at_min = 0;
	if (at) {
		if (strlen(at) != 5 || sscanf(at, "%2d:%2d%c", &hh, &mm, &tail) != 2 || hh < 0 || hh > 23 || mm < 0 ||
		    mm > 59) {
			conf_fail(c, v, "at", "'%s': want a local time of day HH:MM", at);
			free(at);
			return -1;
		}
		j->s_at_min = hh * 60 + mm;
		free(at);
	}
	if (conf_str(c, v, "tz", &j->s_tzname) < 0)
		return -1;
	if (j->s_tzname && !(j->s_tz = tz_load(j->s_tzname, &why)))
		return conf_fail(c, v, "tz", "'%s': %s", j->s_tzname, why);
	return 0;
}

static int compile_trigger(struct conf *c, unsigned v, struct journey *j, struct cond_scope *sc)
{
	static const char *const keys[] = {"event", "where", "segment", "op", "tag", "from", "to", "date", "schedule", NULL};
	const struct json_doc *d = &c->doc;
	unsigned w, n = 0;
	const char *why = NULL;

	if (d->t[v].type != JSON_OBJECT)
		return conf_fail(c, 0, "trigger", "want {\"event\"}, {\"segment\", \"op\"} or {\"tag\", \"from\", \"to\"}");
	if (conf_keys(c, v, keys))
		return -1;
	if ((w = json_get(d, v, "schedule", 8))) {
		if (json_get(d, v, "event", 5) || json_get(d, v, "tag", 3) || json_get(d, v, "date", 4) ||
		    json_get(d, v, "where", 5))
			return conf_fail(c, v, NULL, "a schedule trigger takes \"segment\" alone beside it");
		return compile_schedule(c, v, w, j, sc);
	}
	n = !!json_get(d, v, "event", 5) + !!json_get(d, v, "segment", 7) + !!json_get(d, v, "tag", 3) +
	    !!json_get(d, v, "date", 4);
	if (n != 1)
		return conf_fail(c, v, NULL, "a trigger is one of \"event\", \"segment\", \"tag\", \"date\" or \"schedule\"");
	if (conf_str(c, v, "event", &j->t_name) == 1) {
		j->trig = JT_EVENT;
		if ((w = json_get(d, v, "where", 5)) && !(j->t_where = jcond(c, w, sc)))
			return -1;
		if (json_get(d, v, "op", 2) || json_get(d, v, "from", 4) || json_get(d, v, "to", 2))
			return conf_fail(c, v, NULL, "an event trigger takes \"where\", not \"op\", \"from\" or \"to\"");
		return 0;
	}
	if (json_get(d, v, "where", 5))
		return conf_fail(c, v, "where", "only an event trigger takes \"where\"");
	if ((w = json_get(d, v, "date", 4)))
		return compile_date(c, w, j, sc);
	if (conf_str(c, v, "segment", &j->t_name) == 1) {
		char *op = NULL;
		j->trig = JT_SEGMENT;
		if (!sc->segment || sc->segment(sc->ctx, j->t_name, &why) < 0)
			return conf_fail(c, v, "segment", "'%s': %s", j->t_name, why ? why : "no such segment");
		if (conf_str(c, v, "op", &op) < 0)
			return -1;
		j->t_enter = !op || !strcmp(op, "enter");
		if (op && strcmp(op, "enter") && strcmp(op, "exit")) {
			free(op);
			return conf_fail(c, v, "op", "want \"enter\" or \"exit\"");
		}
		free(op);
		if (json_get(d, v, "from", 4) || json_get(d, v, "to", 2))
			return conf_fail(c, v, NULL, "a segment trigger takes \"op\", not \"from\" or \"to\"");
		return 0;
	}
	if (conf_str(c, v, "tag", &j->t_name) == 1) {
		unsigned f, t;
		struct buf b = BUF_INIT;
		j->trig = JT_TAG;
		if (sc->tag(sc->ctx, j->t_name, &why) < 0)
			return conf_fail(c, v, "tag", "'%s': %s", j->t_name, why ? why : "no such tag");
		if (json_get(d, v, "op", 2))
			return conf_fail(c, v, "op", "a tag trigger takes \"from\" and \"to\"");
		if ((f = json_get(d, v, "from", 4))) {
			json_write_tok(d, f, &b);
			j->t_from = b.p;
			memset(&b, 0, sizeof b);
		}
		if ((t = json_get(d, v, "to", 2))) {
			json_write_tok(d, t, &b);
			j->t_to = b.p;
		}
		return 0;
	}
	return conf_fail(c, v, NULL, "want a string");
}

int journey_compile(struct journeys *js, struct conf *c, struct cond_scope *sc)
{
	static const char *const keys[] = {"name", "description", "status", "start", "end", "tz", "trigger",
					   "correlate", "goal", "exit_when", "reentry", "cap", "steps", NULL};
	static const char *const kinds[] = {"send", "wait", "wait_for", "branch", "split", "update", "goto", "exit"};
	const struct json_doc *d = &c->doc;
	struct journey *j;
	unsigned v, k, i, q;
	char *s = NULL;
	struct buf b = BUF_INIT;
	long long cap = 0;

	if (conf_keys(c, 0, keys))
		return -1;
	if (js->n == js->cap) {
		js->cap = js->cap ? js->cap * 2 : 8;
		js->v = xrealloc(js->v, js->cap * sizeof *js->v);
	}
	j = &js->v[js->n];
	memset(j, 0, sizeof *j);
	j->file = xstrdup(c->path);
	js->n++; /* owned from here: released with the set */
	if (conf_str(c, 0, "name", &j->name) != 1)
		return conf_fail(c, 0, "name", "every journey needs a name");
	if (!condbind_valid_name(j->name))
		return conf_fail(c, 0, "name", "'%s': use lowercase letters, digits and _", j->name);
	for (i = 0; i + 1 < js->n; i++)
		if (!strcmp(js->v[i].name, j->name))
			return conf_fail(c, 0, "name", "journey '%s' is also defined in %s", j->name, js->v[i].file);
	j->id = (uint32_t)hash64(j->name, strlen(j->name), 0x6a6f75726e6579ull);
	for (i = 0; i + 1 < js->n; i++)
		if (js->v[i].id == j->id)
			return conf_fail(c, 0, "name", "'%s' and '%s' have one number: rename one", j->name,
					 js->v[i].name);
	json_write_tok(d, 0, &b);
	j->canon = b.p;
	j->hash = hash64(b.p, b.len, 0);
	snprintf(j->version, sizeof j->version, "%016llx", (unsigned long long)j->hash);
	if (conf_str(c, 0, "description", &j->description) < 0)
		return -1;
	if (conf_str(c, 0, "status", &s) < 0)
		return -1;
	if (s && strcmp(s, "active") && strcmp(s, "paused")) {
		free(s);
		return conf_fail(c, 0, "status", "want \"active\" or \"paused\"");
	}
	j->paused = s && !strcmp(s, "paused");
	free(s);
	j->start_ms = INT64_MIN;
	j->end_ms = INT64_MAX;
	if (date_opt(c, 0, "start", &j->start_ms) < 0 || date_opt(c, 0, "end", &j->end_ms) < 0)
		return -1;
	if (conf_str(c, 0, "tz", &j->tzname) < 0)
		return -1;
	if (j->tzname) {
		const char *why;
		if (!(j->tz = tz_load(j->tzname, &why)))
			return conf_fail(c, 0, "tz", "'%s': %s", j->tzname, why);
	}
	if (!(v = json_get(d, 0, "trigger", 7)))
		return conf_fail(c, 0, "trigger", "a journey needs a trigger");
	if (compile_trigger(c, v, j, sc))
		return -1;
	if (conf_str(c, 0, "correlate", &j->correlate) < 0)
		return -1;
	if (j->correlate && (!*j->correlate || j->trig != JT_EVENT))
		return conf_fail(c, 0, "correlate", "a props key of the trigger event (an event trigger only)");
	if ((v = json_get(d, 0, "goal", 4)) && !(j->goal = jcond(c, v, sc)))
		return -1;
	if ((v = json_get(d, 0, "exit_when", 9))) {
		static const char *const ekeys[] = {"when", "reason", NULL};
		if (d->t[v].type != JSON_ARRAY)
			return conf_fail(c, 0, "exit_when", "want a list of {\"when\": CONDITION, \"reason\": NAME}");
		j->exits = xcalloc(d->t[v].size + 1, sizeof *j->exits);
		for (k = 0, i = v + 1; k < d->t[v].size; k++, i = d->t[i].next) {
			struct jexit *e = &j->exits[j->nexits++];
			unsigned w;
			if (d->t[i].type != JSON_OBJECT)
				return conf_fail(c, i, NULL, "want {\"when\": CONDITION, \"reason\": NAME}");
			if (conf_keys(c, i, ekeys))
				return -1;
			if (!(w = json_get(d, i, "when", 4)))
				return conf_fail(c, i, NULL, "an exit needs \"when\"");
			if (!(e->when = jcond(c, w, sc)))
				return -1;
			if (conf_str(c, i, "reason", &e->reason) < 0)
				return -1;
			if (!e->reason)
				e->reason = xstrdup("exit_condition");
			if (!condbind_valid_name(e->reason))
				return conf_fail(c, i, "reason", "'%s': lowercase letters, digits and _", e->reason);
		}
	}
	j->reentry = JR_NEVER;
	if ((v = json_get(d, 0, "reentry", 7))) {
		struct buf r = BUF_INIT;
		if (d->t[v].type != JSON_STRING)
			return conf_fail(c, 0, "reentry", "want \"never\", \"always\" or a duration (\"30d\")");
		json_str_get(d, v, &r);
		if (r.p && !strcmp(r.p, "never")) {
			j->reentry = JR_NEVER;
		} else if (r.p && !strcmp(r.p, "always")) {
			j->reentry = JR_ALWAYS;
		} else if (r.p && !clock_parse_duration(r.p, &j->reentry_ms) && j->reentry_ms > 0) {
			j->reentry = JR_AFTER;
		} else {
			conf_fail(c, 0, "reentry", "'%s': want \"never\", \"always\" or a duration (\"30d\")",
				  r.p ? r.p : "");
			buf_release(&r);
			return -1;
		}
		buf_release(&r);
	}
	if (conf_int(c, 0, "cap", &cap) < 0)
		return -1;
	if (cap < 0)
		return conf_fail(c, 0, "cap", "want a whole number of people (0: no cap)");
	j->cap = (long)cap;
	v = json_get(d, 0, "steps", 5);
	if (!v || d->t[v].type != JSON_ARRAY || !d->t[v].size)
		return conf_fail(c, 0, "steps", "want a non-empty list of steps");
	if (d->t[v].size > 64)
		return conf_fail(c, 0, "steps", "at most 64 steps");
	j->steps = xcalloc(d->t[v].size, sizeof *j->steps);
	/* ids first: steps refer to later ones */
	for (k = 0, i = v + 1; k < d->t[v].size; k++, i = d->t[i].next) {
		struct jstep *st = &j->steps[j->nsteps++];
		unsigned nk = 0, kk;
		if (d->t[i].type != JSON_OBJECT)
			return conf_fail(c, i, NULL, "want a step object {\"id\", KIND: …}");
		if (conf_str(c, i, "id", &st->id) != 1)
			return conf_fail(c, i, "id", "every step needs an id (a string)");
		if (!condbind_valid_name(st->id) || !strcmp(st->id, "end"))
			return conf_fail(c, i, "id", "'%s': use lowercase letters, digits and _ (not \"end\")", st->id);
		for (q = 0; q + 1 < j->nsteps; q++)
			if (!strcmp(j->steps[q].id, st->id))
				return conf_fail(c, i, "id", "step '%s' is given twice", st->id);
		for (kk = 0; kk < 8; kk++)
			if (json_get(d, i, kinds[kk], strlen(kinds[kk]))) {
				st->kind = (enum jstep_kind)kk;
				nk++;
			}
		if (nk != 1)
			return conf_fail(c, i, NULL,
					 "unknown step: a step has exactly one of send, wait, wait_for, branch, split, update, goto, exit");
		st->next = k + 1 < d->t[v].size ? (int)k + 1 : END;
	}
	for (k = 0, i = v + 1; k < d->t[v].size; k++, i = d->t[i].next) {
		struct jstep *st = &j->steps[k];
		const char *skeys[8];
		unsigned ns = 0;
		skeys[ns++] = "id";
		skeys[ns++] = kinds[st->kind];
		if (st->kind != JS_GOTO && st->kind != JS_EXIT)
			skeys[ns++] = "next";
		if (st->kind == JS_WAIT_FOR) {
			skeys[ns++] = "on_event";
			skeys[ns++] = "on_timeout";
		}
		if (st->kind == JS_BRANCH)
			skeys[ns++] = "else";
		skeys[ns] = NULL;
		if (conf_keys(c, i, skeys))
			return -1;
		if (st->kind != JS_GOTO && st->kind != JS_EXIT && step_ref(c, i, "next", j, &st->next) < 0)
			return -1;
		if (compile_step_body(c, i, j, st, sc))
			return -1;
		if (st->kind == JS_WAIT_FOR) {
			if (st->on_event == UNSET)
				st->on_event = st->next;
			if (st->on_timeout == UNSET)
				st->on_timeout = st->next;
		}
		if (st->kind == JS_BRANCH && st->els == UNSET)
			st->els = st->next;
	}
	{
		unsigned char mark[64] = {0};
		int stack[65];
		for (k = 0; k < j->nsteps; k++) {
			struct buf path = BUF_INIT;
			if (!mark[k] && loop_from(j, k, mark, stack, 0, &path)) {
				conf_fail(c, 0, "steps", "loop without a wait: %s (a loop must pass a wait or a wait_for)",
					  path.p);
				buf_release(&path);
				return -1;
			}
		}
	}
	return 0;
}

/* ---- instances ---- */

void jinst_init(struct jinst *in)
{
	memset(in, 0, sizeof *in);
	in->wake = INT64_MIN;
}

void jinst_release(struct jinst *in)
{
	buf_release(&in->step);
	buf_release(&in->arm);
	buf_release(&in->reason);
	buf_release(&in->corrv);
	buf_release(&in->props);
}

static void bcopy_(struct buf *d, const struct buf *s)
{
	buf_reset(d);
	if (s->len)
		buf_add(d, s->p, s->len);
}

void jinst_copy(struct jinst *dst, const struct jinst *src)
{
	struct buf a = dst->step, b = dst->arm, c = dst->reason, d = dst->corrv, e = dst->props;

	*dst = *src;
	dst->step = a;
	dst->arm = b;
	dst->reason = c;
	dst->corrv = d;
	dst->props = e;
	bcopy_(&dst->step, &src->step);
	bcopy_(&dst->arm, &src->arm);
	bcopy_(&dst->reason, &src->reason);
	bcopy_(&dst->corrv, &src->corrv);
	bcopy_(&dst->props, &src->props);
}

/* v as a varint at o (10 bytes at most); returns the byte after it. */
static unsigned char *put_uv(unsigned char *o, uint64_t v)
{
	while (v >= 0x80) {
		*o++ = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	*o++ = (unsigned char)v;
	return o;
}

static int get_uv(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	unsigned sh = 0;

	*v = 0;
	while (*p < end && sh < 64) {
		unsigned char c = *(*p)++;
		*v |= (uint64_t)(c & 0x7f) << sh;
		if (!(c & 0x80))
			return 0;
		sh += 7;
	}
	return -1;
}

static unsigned char *put_sv(unsigned char *o, int64_t v)
{
	return put_uv(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static int get_sv(const unsigned char **p, const unsigned char *end, int64_t *v)
{
	uint64_t u;

	if (get_uv(p, end, &u))
		return -1;
	*v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
	return 0;
}

static unsigned char *put_bytes(unsigned char *o, const struct buf *s)
{
	o = put_uv(o, s->len);
	if (s->len)
		memcpy(o, s->p, s->len);
	return o + s->len;
}

static int get_bytes(const unsigned char **p, const unsigned char *end, struct buf *s)
{
	uint64_t n;

	buf_reset(s);
	if (get_uv(p, end, &n) || n > (uint64_t)(end - *p))
		return -1;
	if (n)
		buf_add(s, *p, (size_t)n);
	*p += n;
	return 0;
}

void jinst_encode(const struct jinst *in, struct buf *out)
{
	/* room for the most it can take: the fixed bytes, four varints of a
	 * 64-bit value, and five strings with their lengths; then written in
	 * place */
	size_t room = 14 + 4 * 10 + 8 + 5 * 10 + in->step.len + in->arm.len + in->reason.len + in->corrv.len +
		      in->props.len;
	unsigned char *o;

	if (out->cap - out->len <= room)
		buf_grow(out, room);
	o = (unsigned char *)out->p + out->len;
	store_be32(o, in->journey);
	store_be64(o + 4, in->corr);
	o[12] = (unsigned char)in->state;
	o[13] = (unsigned char)in->control;
	o = put_uv(o + 14, in->entries);
	o = put_sv(o, in->entered);
	o = put_sv(o, in->wake);
	o = put_sv(o, in->exited);
	store_be64(o, in->defhash);
	o = put_bytes(o + 8, &in->step);
	o = put_bytes(o, &in->arm);
	o = put_bytes(o, &in->reason);
	o = put_bytes(o, &in->corrv);
	o = put_bytes(o, &in->props);
	out->len = (size_t)(o - (unsigned char *)out->p);
	out->p[out->len] = 0;
}

size_t jinst_decode(struct jinst *in, const unsigned char *p, size_t n)
{
	const unsigned char *s = p, *end = p + n;
	uint64_t u;

	if (n < 14 + 8)
		return 0;
	in->journey = store_get_be32(p);
	in->corr = store_get_be64(p + 4);
	in->state = p[12];
	in->control = p[13];
	p += 14;
	if (get_uv(&p, end, &u))
		return 0;
	in->entries = (unsigned)u;
	if (get_sv(&p, end, &in->entered) || get_sv(&p, end, &in->wake) || get_sv(&p, end, &in->exited))
		return 0;
	if (end - p < 8)
		return 0;
	in->defhash = store_get_be64(p);
	p += 8;
	if (get_bytes(&p, end, &in->step) || get_bytes(&p, end, &in->arm) || get_bytes(&p, end, &in->reason) ||
	    get_bytes(&p, end, &in->corrv) || get_bytes(&p, end, &in->props))
		return 0;
	return (size_t)(p - s);
}

/* ---- the interpreter ---- */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}


const struct jarm *journey_arm(const struct journey *j, const struct jstep *s, uint32_t oneid)
{
	char key[96];
	int n = snprintf(key, sizeof key, "%s:%s:%u", j->name, s->id, oneid);
	uint64_t h[2];
	uint64_t at;
	unsigned k;

	hash128(key, (size_t)n, 0x73706c6974ull, h);
	/* the top 53 bits as a fraction of the total weight */
	at = (uint64_t)((double)(h[0] >> 11) / 9007199254740992.0 * s->total);
	for (k = 0; k < s->narms; k++) {
		if (at < s->arms[k].weight)
			return &s->arms[k];
		at -= s->arms[k].weight;
	}
	return &s->arms[s->narms - 1];
}

int64_t journey_date_next(const struct journey *j, const char *s, size_t n, int64_t now, const struct tz *z)
{
	int y, m, d, k;
	int64_t sec, off, ly;

	if (n < 10 || sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
		return INT64_MIN;
	sec = floor_div(now, 1000);
	off = z ? tz_offset_at_utc(z, sec) : 0;
	if (j->d_yearly) {
		int64_t yy;
		unsigned mm, dday;
		clock_civil_from_days(floor_div(sec + off, 86400), &yy, &mm, &dday);
		ly = yy - 1; /* last year's may still be ahead with days < 0 … */
	} else {
		ly = y;
	}
	for (k = 0; k < (j->d_yearly ? 4 : 1); k++) {
		int64_t day = clock_days_from_civil(ly + k, (unsigned)m, (unsigned)d) + j->d_days;
		int64_t local = day * 86400 + (int64_t)j->d_at_min * 60;
		int64_t t = (z ? tz_local_to_utc(z, local) : local) * 1000;
		if (t > now)
			return t;
	}
	return INT64_MIN;
}

static int days_in_month(int64_t y, unsigned m)
{
	static const int n[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return n[m - 1];
}

int64_t journey_schedule_next(const struct journey *j, int64_t after)
{
	const struct tz *z = j->s_tz ? j->s_tz : j->tz;
	int64_t sec, day;
	int guard;

	if (j->trig != JT_SCHEDULE)
		return INT64_MAX;
	sec = floor_div(after, 1000);
	/* from the local day before (a zone's offset moves the day) */
	day = floor_div(sec + (z ? tz_offset_at_utc(z, sec) : 0), 86400) - 1;
	for (guard = 0; guard < 800; guard++, day++) {
		int64_t local, t;
		if (j->s_every == JE_WEEK && ((day % 7 + 7 + 4) % 7) != j->s_on)
			continue;
		if (j->s_every == JE_MONTH) {
			int64_t y;
			unsigned m, dd;
			int last;
			clock_civil_from_days(day, &y, &m, &dd);
			last = days_in_month(y, m);
			if ((int)dd != (j->s_on < last ? j->s_on : last))
				continue;
		}
		local = day * 86400 + (int64_t)j->s_at_min * 60;
		t = (z ? tz_local_to_utc(z, local) : local) * 1000;
		if (t > after)
			return t;
	}
	return INT64_MAX;
}

int64_t journey_wait_until(const struct jstep *s, int64_t now, const struct tz *z)
{
	int64_t sec, local, day, target, t;
	int32_t off;
	int guard;

	if (s->at_min < 0)
		return now + s->dur_ms;
	sec = floor_div(now, 1000);
	off = z ? tz_offset_at_utc(z, sec) : 0;
	local = sec + off;
	day = floor_div(local, 86400) + s->days;
	for (guard = 0; guard < 4000; guard++, day++) {
		if (s->weekday >= 0 && ((day % 7 + 7 + 4) % 7) != s->weekday)
			continue;
		target = day * 86400 + (int64_t)s->at_min * 60;
		t = (z ? tz_local_to_utc(z, target) : target) * 1000;
		if (t > now)
			return t;
	}
	return now + DAY_MS; /* not reached */
}

static void rec(struct jctx *cx, enum jrec_op op, const struct journey *j, const struct jinst *in,
		const struct jstep *s, const char *reason, const char *detail, int64_t wake, int held)
{
	struct jrec r;

	r.op = op;
	r.j = j;
	r.in = in;
	r.s = s;
	r.reason = reason;
	r.detail = detail;
	r.wake = wake;
	r.held = held;
	cx->record(cx->ctx, &r);
}

void journey_exit(const struct journey *j, struct jinst *in, struct jctx *cx, const char *reason)
{
	in->state = JI_DONE;
	in->exited = cx->now;
	in->wake = INT64_MIN;
	buf_reset(&in->reason);
	buf_adds(&in->reason, reason);
	in->defhash = j->hash;
	rec(cx, JO_EXIT, j, in, NULL, reason, NULL, INT64_MIN, 0);
}

static void set_step(struct jinst *in, const struct journey *j, int i)
{
	buf_reset(&in->step);
	if (i >= 0)
		buf_adds(&in->step, j->steps[i].id);
}

/* Run from step i until a wait or the end. */
static void run(const struct journey *j, struct jinst *in, struct jctx *cx, int i)
{
	unsigned guard;

	in->defhash = j->hash;
	for (guard = 0; guard <= j->nsteps; guard++) {
		const struct jstep *s;
		int next;
		if (i < 0) {
			journey_exit(j, in, cx, "completed");
			return;
		}
		s = &j->steps[i];
		set_step(in, j, i);
		next = s->next;
		cx->steps++;
		switch (s->kind) {
		case JS_SEND:
			rec(cx, JO_STEP, j, in, s, NULL, in->control ? "held" : NULL, INT64_MIN, in->control);
			if (!in->control)
				rec(cx, JO_SEND, j, in, s, NULL, NULL, INT64_MIN, 0);
			break;
		case JS_WAIT:
			in->wake = journey_wait_until(s, cx->now, cx->tz ? cx->tz(cx->ctx) : NULL);
			if (!in->wake || in->wake == INT64_MIN)
				in->wake = cx->now + 1;
			in->state = JI_WAIT;
			rec(cx, JO_STEP, j, in, s, NULL, NULL, in->wake, 0);
			return;
		case JS_WAIT_FOR:
			in->wake = cx->now + s->timeout_ms;
			in->state = JI_WAIT_EVENT;
			rec(cx, JO_STEP, j, in, s, NULL, NULL, in->wake, 0);
			return;
		case JS_BRANCH: {
			unsigned k;
			char det[24];
			next = s->els;
			snprintf(det, sizeof det, "else");
			for (k = 0; k < s->ncases; k++) {
				snprintf(det, sizeof det, "case %u", k);
				if (cx->eval(cx->ctx, j, in, s->cases[k].when, det)) {
					next = s->cases[k].next;
					break;
				}
			}
			if (k == s->ncases)
				snprintf(det, sizeof det, "else");
			rec(cx, JO_STEP, j, in, s, NULL, det, INT64_MIN, 0);
			break;
		}
		case JS_SPLIT: {
			const struct jarm *a = NULL;
			unsigned k;
			for (k = 0; in->arm.len && k < s->narms; k++)
				if (!strcmp(s->arms[k].name, in->arm.p))
					a = &s->arms[k];
			if (!a) /* its arm (kept from an earlier entry when it has one) */
				a = journey_arm(j, s, cx->oneid);
			buf_reset(&in->arm);
			buf_adds(&in->arm, a->name);
			in->control = a->control;
			rec(cx, JO_STEP, j, in, s, NULL, a->name, INT64_MIN, 0);
			if (a->next != AFTER)
				next = a->next;
			break;
		}
		case JS_UPDATE:
			rec(cx, JO_STEP, j, in, s, NULL, NULL, INT64_MIN, 0);
			rec(cx, JO_UPDATE, j, in, s, NULL, NULL, INT64_MIN, 0);
			break;
		case JS_GOTO:
			rec(cx, JO_STEP, j, in, s, NULL, NULL, INT64_MIN, 0);
			break;
		case JS_EXIT:
			rec(cx, JO_STEP, j, in, s, NULL, NULL, INT64_MIN, 0);
			journey_exit(j, in, cx, s->reason);
			return;
		}
		i = next;
	}
	journey_exit(j, in, cx, "loop_guard"); /* not reached: loops are refused */
}

int journey_enter(const struct journey *j, struct jinst *in, struct jctx *cx)
{
	if (jinst_open(in))
		return 1;
	if (j->paused || cx->now < j->start_ms || cx->now >= j->end_ms)
		return 1;
	if (in->entries) {
		if (j->reentry == JR_NEVER)
			return 1;
		if (j->reentry == JR_AFTER && cx->now - in->exited < j->reentry_ms)
			return 1;
	}
	in->journey = j->id;
	in->entries++;
	in->entered = cx->now;
	in->exited = 0;
	in->wake = INT64_MIN;
	in->state = JI_WAIT; /* inside */
	buf_reset(&in->reason);
	buf_reset(&in->step);
	in->defhash = j->hash;
	rec(cx, JO_ENTER, j, in, NULL, NULL, NULL, INT64_MIN, 0);
	if (journey_check(j, in, cx))
		return 0;
	run(j, in, cx, 0);
	return 0;
}

/* The step in is at under j's current definition, or -1 (exited). */
static int current_step(const struct journey *j, struct jinst *in, struct jctx *cx)
{
	int i = journey_step_index(j, in->step.p ? in->step.p : "", in->step.len);

	if (i < 0 || j->steps[i].kind != (in->state == JI_WAIT_EVENT ? JS_WAIT_FOR : JS_WAIT)) {
		journey_exit(j, in, cx, "definition_changed");
		return -1;
	}
	return i;
}

void journey_wake(const struct journey *j, struct jinst *in, struct jctx *cx)
{
	int i;

	if (!jinst_open(in))
		return;
	if ((i = current_step(j, in, cx)) < 0)
		return;
	in->wake = INT64_MIN;
	if (journey_check(j, in, cx))
		return;
	if (in->state == JI_WAIT_EVENT) {
		rec(cx, JO_STEP, j, in, &j->steps[i], NULL, "timeout", INT64_MIN, 0);
		in->state = JI_WAIT;
		run(j, in, cx, j->steps[i].on_timeout);
		return;
	}
	run(j, in, cx, j->steps[i].next);
}

int journey_event(const struct journey *j, struct jinst *in, struct jctx *cx, const char *type, size_t tlen,
		  int *moved)
{
	const struct jstep *s;
	int i;

	*moved = 0;
	if (in->state != JI_WAIT_EVENT)
		return 0;
	i = journey_step_index(j, in->step.p ? in->step.p : "", in->step.len);
	if (i < 0 || j->steps[i].kind != JS_WAIT_FOR)
		return 0; /* the wake-up finds it changed */
	s = &j->steps[i];
	if (strlen(s->event) == tlen && !memcmp(s->event, type, tlen) &&
	    (!s->where || cx->eval(cx->ctx, j, in, s->where, "where"))) {
		rec(cx, JO_STEP, j, in, s, NULL, "event", INT64_MIN, 0);
		in->state = JI_WAIT;
		in->wake = INT64_MIN;
		run(j, in, cx, s->on_event);
		return 1;
	}
	if (s->restart && strlen(s->restart) == tlen && !memcmp(s->restart, type, tlen)) {
		in->wake = cx->now + s->timeout_ms;
		rec(cx, JO_STEP, j, in, s, NULL, "restart", in->wake, 0);
		*moved = 1;
		return 1;
	}
	return 0;
}

int journey_check(const struct journey *j, struct jinst *in, struct jctx *cx)
{
	unsigned k;

	if (!jinst_open(in))
		return 0;
	if (j->goal && cx->eval(cx->ctx, j, in, j->goal, "goal")) {
		journey_exit(j, in, cx, "converted");
		return 1;
	}
	for (k = 0; k < j->nexits; k++)
		if (cx->eval(cx->ctx, j, in, j->exits[k].when, j->exits[k].reason)) {
			journey_exit(j, in, cx, j->exits[k].reason);
			return 1;
		}
	return 0;
}

/* ---- text and drawing ---- */

const char *journey_trigger_text(const struct journey *j, struct buf *b)
{
	buf_reset(b);
	switch (j->trig) {
	case JT_EVENT:
		buf_printf(b, "event %s%s", j->t_name, j->t_where ? " where …" : "");
		break;
	case JT_SEGMENT:
		buf_printf(b, "segment %s %s", j->t_name, j->t_enter ? "enter" : "exit");
		break;
	case JT_DATE:
		buf_printf(b, "date %s %s%+d days at %02d:%02d%s", j->d_tag ? "tag" : "trait", j->t_name, j->d_days,
			   j->d_at_min / 60, j->d_at_min % 60, j->d_yearly ? " yearly" : "");
		break;
	case JT_TAG:
		buf_printf(b, "tag %s%s%s%s%s", j->t_name, j->t_from ? " from " : "", j->t_from ? j->t_from : "",
			   j->t_to ? " to " : "", j->t_to ? j->t_to : "");
		break;
	case JT_SCHEDULE: {
		static const char *const wd[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
		const char *zn = j->s_tzname ? j->s_tzname : j->tzname ? j->tzname : "UTC";
		if (j->s_every == JE_DAY)
			buf_printf(b, "schedule every day at %02d:%02d %s, segment %s", j->s_at_min / 60, j->s_at_min % 60, zn, j->t_name);
		else if (j->s_every == JE_WEEK)
			buf_printf(b, "schedule every week on %s at %02d:%02d %s, segment %s", wd[j->s_on], j->s_at_min / 60,
				   j->s_at_min % 60, zn, j->t_name);
		else
			buf_printf(b, "schedule every month on day %d at %02d:%02d %s, segment %s", j->s_on, j->s_at_min / 60,
				   j->s_at_min % 60, zn, j->t_name);
		break;
	}
	}
	return b->p;
}

static void dot_edge(const struct journey *j, struct buf *b, const char *from, int to, const char *label)
{
	buf_printf(b, "  \"%s\" -> \"%s\"", from, to >= 0 ? j->steps[to].id : "end");
	if (label)
		buf_printf(b, " [label=\"%s\"]", label);
	buf_adds(b, ";\n");
}

void journey_dot(const struct journey *j, struct buf *b)
{
	struct buf t = BUF_INIT;
	unsigned i, k;

	buf_printf(b, "digraph \"%s\" {\n  rankdir=TB;\n  node [shape=box, fontname=\"Helvetica\"];\n", j->name);
	journey_trigger_text(j, &t);
	buf_adds(b, "  \"trigger\" [shape=oval, label=\"");
	for (i = 0; i < t.len; i++) {
		if (t.p[i] == '"')
			buf_addc(b, '\\');
		buf_addc(b, t.p[i]);
	}
	buf_adds(b, "\"];\n  \"end\" [shape=doublecircle, label=\"end\"];\n");
	dot_edge(j, b, "trigger", 0, NULL);
	for (i = 0; i < j->nsteps; i++) {
		const struct jstep *s = &j->steps[i];
		char lab[200];
		switch (s->kind) {
		case JS_SEND:
			snprintf(lab, sizeof lab, "send %s\\n%s", s->tmpl, s->channels[0]);
			break;
		case JS_WAIT:
			if (s->at_min >= 0)
				snprintf(lab, sizeof lab, "wait until %02d:%02d%s", s->at_min / 60, s->at_min % 60,
					 s->days ? " (+days)" : "");
			else
				snprintf(lab, sizeof lab, "wait %llds", (long long)(s->dur_ms / 1000));
			break;
		case JS_WAIT_FOR:
			snprintf(lab, sizeof lab, "wait for %s\\n(timeout %llds)", s->event, (long long)(s->timeout_ms / 1000));
			break;
		default:
			snprintf(lab, sizeof lab, "%s", jstep_kind_names[s->kind]);
		}
		buf_printf(b, "  \"%s\" [label=\"%s\\n%s\"%s];\n", s->id, s->id, lab,
			   s->kind == JS_BRANCH || s->kind == JS_SPLIT ? ", shape=diamond" : "");
		switch (s->kind) {
		case JS_EXIT:
			dot_edge(j, b, s->id, -1, s->reason);
			break;
		case JS_WAIT_FOR:
			dot_edge(j, b, s->id, s->on_event, "event");
			dot_edge(j, b, s->id, s->on_timeout, "timeout");
			break;
		case JS_BRANCH:
			for (k = 0; k < s->ncases; k++) {
				char l[32];
				snprintf(l, sizeof l, "case %u", k);
				dot_edge(j, b, s->id, s->cases[k].next, l);
			}
			dot_edge(j, b, s->id, s->els, "else");
			break;
		case JS_SPLIT:
			for (k = 0; k < s->narms; k++) {
				char l[160];
				snprintf(l, sizeof l, "%s %u%s", s->arms[k].name, s->arms[k].weight,
					 s->arms[k].control ? " (control)" : "");
				dot_edge(j, b, s->id, s->arms[k].next == -2 ? s->next : s->arms[k].next, l);
			}
			break;
		default:
			dot_edge(j, b, s->id, s->next, NULL);
		}
	}
	buf_adds(b, "}\n");
	buf_release(&t);
}
