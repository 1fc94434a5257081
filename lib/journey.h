/*
 * journey - journeys: their definitions (one file a journey under
 * pipelines/journeys, schemas/journey.schema.json) and an interpreter that moves one instance
 * (a person in a journey, or one per value of a correlation prop) through
 * the steps.
 *
 * The interpreter decides; its caller (cmd/scheduler) keeps the state,
 * evaluates conditions on the person's profile and writes the records.
 * Decisions happen at a time, cx->now: an event's ts, or the time a
 * wake-up fell due, never the wall clock, so the same input gives the same
 * decisions. An activation (an entry, a wake-up, an awaited event) runs
 * steps until the instance waits (wait, wait_for) or exits; a definition
 * has no loop without a wait (refused at load), so an activation runs each
 * step at most once.
 */
#ifndef UOPS_JOURNEY_H
#define UOPS_JOURNEY_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "cond.h"
#include "conf.h"
#include "tz.h"

enum jstep_kind { JS_SEND, JS_WAIT, JS_WAIT_FOR, JS_BRANCH, JS_SPLIT, JS_UPDATE, JS_GOTO, JS_EXIT };
extern const char *const jstep_kind_names[];

enum jtrig_kind { JT_EVENT, JT_SEGMENT, JT_TAG, JT_DATE, JT_SCHEDULE };

/* How often a schedule trigger recurs. */
enum jevery { JE_DAY, JE_WEEK, JE_MONTH };

struct jcase {
	struct cond *when;
	int next; /* step index; -1: the end */
};

struct jarm {
	char *name;
	unsigned weight;
	int control; /* gets no messages, tracked as the others */
	int next;    /* step index; -2: the step after the split */
};

struct jstep {
	char *id;
	enum jstep_kind kind;
	int next; /* the step that follows (index; -1: the end) */
	/* send */
	char **channels;
	unsigned nchannels;
	char *tmpl, *params, *msgkind; /* params: compact JSON object or NULL */
	long priority;
	/* wait: a duration, or the first local time of day at (minutes,
	 * -1 none) `days` days on (and on a weekday 0 = Sunday, -1 any) */
	int64_t dur_ms;
	int at_min, days, weekday;
	/* wait_for */
	char *event;
	struct cond *where;
	int64_t timeout_ms;
	char *restart; /* an event type that restarts the timeout, or NULL */
	int on_event, on_timeout;
	/* branch */
	struct jcase *cases;
	unsigned ncases;
	int els;
	/* split */
	struct jarm *arms;
	unsigned narms, total;
	/* update */
	char *uname;
	int utag;     /* 1: a tag, 0: a trait */
	char *uvalue; /* compact JSON, or NULL: the decision's time */
	/* exit */
	char *reason;
};

struct jexit {
	struct cond *when;
	char *reason;
};

struct journey {
	char *name, *file, *description;
	uint32_t id;      /* hash of the name: the wake-ups' journey number */
	uint64_t hash;    /* hash of the definition's text: its version */
	char version[17]; /* the hash in hex */
	char *canon;      /* the definition as compact JSON */
	int paused;       /* "status": "paused" */
	int64_t start_ms, end_ms; /* entries only in [start, end); INT64_MIN/MAX */
	struct tz *tz;    /* the journey's zone (NULL: UTC) */
	char *tzname;
	/* trigger */
	enum jtrig_kind trig;
	char *t_name;     /* event type, segment or tag */
	struct cond *t_where;
	int t_enter;      /* segment: 1 enter, 0 exit */
	char *t_from, *t_to; /* tag: compact JSON the value had / gets; NULL any */
	/* date: a trait (or a tag, d_tag) holding a date; the journey
	 * starts d_days days from it (negative: before) at local d_at_min
	 * minutes, every year when d_yearly */
	int d_tag, d_days, d_at_min, d_yearly;
	/* schedule: everyone in segment t_name enters at local s_at_min
	 * minutes every day, every week on weekday s_on (0 = Sunday) or
	 * every month on day s_on (1 … 31; a shorter month: its last day),
	 * in zone s_tz (NULL: the journey's zone, else UTC) */
	enum jevery s_every;
	int s_on, s_at_min;
	struct tz *s_tz;
	char *s_tzname;
	char *correlate;  /* a props key ("a.b"), or NULL */
	/* rules */
	struct cond *goal;
	struct jexit *exits;
	unsigned nexits;
	int reentry;      /* JR_NEVER, JR_ALWAYS, JR_AFTER */
	int64_t reentry_ms;
	long cap;         /* people inside at once, 0: no cap */
	struct jstep *steps;
	unsigned nsteps;
};

enum { JR_NEVER, JR_ALWAYS, JR_AFTER };

/* The journeys of a directory. */
struct journeys {
	struct journey *v;
	unsigned n, cap;
};

/*
 * Compile the journey in the definition file c (its root object) with
 * conditions in scope sc (sc->ctx's callbacks say which tags and segments
 * exist). Checks every reference, the loop rule, the zone and the
 * weights. Returns 0, or -1 with c->err set ("file: .path: reason").
 */
int journey_compile(struct journeys *js, struct conf *c, struct cond_scope *sc);
/* The journey named name (n bytes), or NULL. */
struct journey *journey_find(const struct journeys *js, const char *name, size_t n);
/* The index of step id in j, or -1. */
int journey_step_index(const struct journey *j, const char *id, size_t n);
void journeys_release(struct journeys *js);

/* Instance states. JI_ARMED: not an instance but the watch of a date
 * trigger, whose wake-up is the next time the person enters. */
enum { JI_NONE = 0, JI_WAIT = 'w', JI_WAIT_EVENT = 'e', JI_DONE = 'x', JI_ARMED = 'a' };
/* The correlation number of a date trigger's watch. */
#define JOURNEY_WATCH UINT64_MAX

/* One person in one journey (per correlation value). Strings are owned. */
struct jinst {
	uint32_t journey; /* the journey's id */
	uint64_t corr;    /* hash of the correlation value, 0 without */
	int state;        /* JI_* */
	unsigned entries; /* times entered */
	int64_t entered, wake, exited; /* ms; wake: when waiting */
	uint64_t defhash; /* the version that decided last */
	struct buf step;  /* the current (or last) step's id */
	struct buf arm;   /* the split's arm, empty before one */
	struct buf reason;/* why it exited */
	struct buf corrv; /* the correlation value as compact JSON */
	struct buf props; /* the trigger's props (compact JSON), for conditions */
	int control;      /* in a control arm */
};

void jinst_init(struct jinst *in);
void jinst_release(struct jinst *in);
void jinst_copy(struct jinst *dst, const struct jinst *src);
/* Append in, encoded, to out. */
void jinst_encode(const struct jinst *in, struct buf *out);
/* Decode an instance from p (n bytes left) into in; returns the bytes read,
 * or 0 for a damaged record. */
size_t jinst_decode(struct jinst *in, const unsigned char *p, size_t n);

/* What an activation tells its caller (cmd/scheduler writes it). */
enum jrec_op { JO_ENTER, JO_STEP, JO_EXIT, JO_SEND, JO_UPDATE };

struct jrec {
	enum jrec_op op;
	const struct journey *j;
	const struct jinst *in;
	const struct jstep *s; /* the step (NULL for enter, and an exit not at a step) */
	const char *reason;    /* exit */
	const char *detail;    /* step: "case 2", "else", "event", "timeout" … or NULL */
	int64_t wake;          /* step: a wait's wake-up, else INT64_MIN */
	int held;              /* send: not sent (control arm) */
};

struct jctx {
	void *ctx;
	int64_t now;       /* the decision's time (ms) */
	uint32_t oneid;
	/* evaluate a condition of j for the person at now: 1 true, 0 false */
	int (*eval)(void *ctx, const struct journey *j, const struct jinst *in, const struct cond *c,
		    const char *what);
	/* the person's zone (trait tz), or NULL: the journey's */
	const struct tz *(*tz)(void *ctx);
	/* a record */
	void (*record)(void *ctx, const struct jrec *r);
	unsigned long long steps; /* counter */
};

/* The arm of a split for oneid: the same for a journey and a person on
 * every run, in proportion to the weights over many people. */
const struct jarm *journey_arm(const struct journey *j, const struct jstep *s, uint32_t oneid);

/* The next time after now a date trigger fires for the date text s (n
 * bytes, "YYYY-MM-DD…"), in zone z (NULL: UTC), or INT64_MIN when it
 * has no such time (not a date, or past and not yearly). */
int64_t journey_date_next(const struct journey *j, const char *s, size_t n, int64_t now, const struct tz *z);

/* The first time after `after` (ms) a schedule trigger of j falls due;
 * INT64_MAX when j has no schedule trigger. */
int64_t journey_schedule_next(const struct journey *j, int64_t after);

/* When a wait step started at now ends, in zone z (NULL: UTC); always
 * after now. */
int64_t journey_wait_until(const struct jstep *s, int64_t now, const struct tz *z);

/*
 * Enter in (reset and filled by the caller's trigger: corr, corrv, props)
 * into j at cx->now and run the first steps. Returns 0, or 1 when the rules
 * refuse the entry (an instance open already, re-entry, start/end, paused;
 * the cap is the caller's).
 */
int journey_enter(const struct journey *j, struct jinst *in, struct jctx *cx);
/* A wake-up of in fell due at cx->now: a wait ends, a wait_for times out. */
void journey_wake(const struct journey *j, struct jinst *in, struct jctx *cx);
/* An event of type `type` came for in while it waits for events (state
 * JI_WAIT_EVENT): the awaited event (where evaluated through cx->eval)
 * moves it on, a restart event moves its timeout from now. Returns 1 when
 * it acted, with *moved set when only the wake-up moved. */
int journey_event(const struct journey *j, struct jinst *in, struct jctx *cx, const char *type,
		  size_t tlen, int *moved);
/* Check the goal and the exit conditions of an instance inside: exits it
 * (converted, or the exit's reason) and returns 1, else 0. */
int journey_check(const struct journey *j, struct jinst *in, struct jctx *cx);
/* Exit in now with reason (a definition change, a merge …). */
void journey_exit(const struct journey *j, struct jinst *in, struct jctx *cx, const char *reason);
/* Is in inside j (waiting)? */
/* The trigger of j in a few words ("event sign_up", "schedule every week
 * on mon at 10:00 Asia/Shanghai, segment vip" …) in b (reset first);
 * returns b's text. */
const char *journey_trigger_text(const struct journey *j, struct buf *b);
/* Append j's steps as a Graphviz digraph to b: the trigger, a box per
 * step (a diamond for branch and split), an edge per way on (labelled
 * with the case, arm, event or timeout), and "end". */
void journey_dot(const struct journey *j, struct buf *b);

static inline int jinst_open(const struct jinst *in)
{
	return in->state == JI_WAIT || in->state == JI_WAIT_EVENT;
}

#endif
