/*
 * jwrite - the records the scheduler writes for a journey's decisions:
 * $journey (enter, step, exit, update of a trait), $send (a message for
 * dispatch) and $tag (an update of a tag, as tagger writes them), as one
 * compact JSON object each.
 *
 * Every record names its cause: the event_id part of what made the
 * decision (the event, or the wake-up), and the instance's part
 * (jwrite_corr). The event_ids of the same decisions are the same from
 * run to run, so a record written twice can be told from a new one.
 */
#ifndef UOPS_JWRITE_H
#define UOPS_JWRITE_H

#include <stdint.h>

#include "buf.h"
#include "journey.h"

/* What the records of one decision share; the caller's, read only
 * (tmp excepted) during the call. */
struct jwrite {
	const char *ts;          /* the decision's time, ISO text */
	uint32_t oneid;          /* the person */
	const struct buf *head;  /* ,"journey":NAME,"version":"V" of the record's journey */
	const struct buf *cause; /* the cause's event_id part (NUL-terminated) */
	struct buf *tmp;         /* scratch, overwritten */
};

/* The instance's part of an event_id into out (room for 40): its
 * correlation (hash, 16 hex digits) and its entry number, "3" or
 * "1a2b…:3". */
void jwrite_corr(const struct jinst *in, char *out);
/* Append the $send record of r (a send step) to b: its send_id is a hash
 * of the journey, person, instance, step and cause. */
void jwrite_send(struct buf *b, const struct jwrite *w, const struct jrec *r);
/*
 * Append the record of r (an update step) setting r->s->uname to the
 * JSON value v: a $tag with old (the tag's value before, NULL: none)
 * when the step updates a tag, else a $journey update naming the trait.
 */
void jwrite_update(struct buf *b, const struct jwrite *w, const struct jrec *r, const struct buf *old,
		   const char *v);
/* Append the $journey record of r (enter, step or exit) to b. */
void jwrite_journey(struct buf *b, const struct jwrite *w, const struct jrec *r);

/*
 * The parts a $journey record (enter, step or exit) is written from,
 * flat, so that the decision log (lib/jlog) can keep them and write the
 * record again, the same bytes: text with its length, not NUL-terminated
 * (ts excepted); NULL for none (step, detail, arm, reason). They point
 * into the caller's memory.
 */
struct jwrite_jrec {
	int op;                         /* enum jrec_op: JO_ENTER, JO_STEP, JO_EXIT */
	const char *ts;                 /* the decision's time, ISO text */
	uint32_t oneid;
	const char *cause;              /* the cause's event_id part */
	size_t ncause;
	const char *name;               /* the journey's name */
	size_t nname;
	const char *head;               /* ,"journey":NAME,"version":"V" */
	size_t nhead;
	const char *version;            /* the journey's version (16 bytes) */
	uint64_t corr;                  /* the instance's correlation hash, 0 without */
	unsigned entries;               /* the instance's times entered */
	const char *step;               /* the step's id */
	size_t nstep;
	int kind;                       /* the step's enum jstep_kind */
	const char *detail;             /* "case 2", "timeout" … */
	size_t ndetail;
	const char *arm;                /* the split's arm */
	size_t narm;
	int held;                       /* a control arm's send, not sent */
	int64_t wake;                   /* a wait's wake-up (ms), else INT64_MIN */
	const char *reason;             /* why it exited (JO_EXIT) */
	size_t nreason;
	const char *corrv;              /* the correlation value (JSON), empty without */
	size_t ncorrv;
};

/* The parts of the $journey record of r into x (pointing into w, r and
 * what they point to, for as long as those last). */
void jwrite_journey_fields(struct jwrite_jrec *x, const struct jwrite *w, const struct jrec *r);
/* Append the $journey record made of x's parts to b: jwrite_journey's
 * bytes for the record x was filled from. */
void jwrite_journey_text(struct buf *b, const struct jwrite_jrec *x);

#endif
