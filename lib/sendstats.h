/*
 * sendstats - what became of the messages journeys and campaigns sent,
 * and what followed them: per group of sends (a journey's step and arm,
 * or a campaign) the sends written, their final outcomes ($delivery:
 * sent, suppressed with a reason, failed), the provider's receipts
 * (delivered, opened, clicked), the orders and revenue credited to them,
 * and per journey and arm the people who entered and reached the goal.
 *
 * The caller numbers everything: sends (by send_id), groups, journeys,
 * arms, channels and reasons are small integers it keeps the names of.
 * Sends and their outcomes are told as they are read; the per-person
 * events (a message that went out, an order, a journey's enter, arm and
 * goal) go into an evtab as rows with the SS_* bits, and are walked one
 * person at a time in time order with sendstats_person.
 *
 * Credit, last touch: an order is credited to the latest message sent to
 * the person strictly before it and no more than `window` ms before it
 * (none: nobody's); a goal exit of journey J to the latest message of J
 * sent to the person at or before it, since their last entry into J.
 */
#ifndef UOPS_SENDSTATS_H
#define UOPS_SENDSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "evtab.h"

/* row bits (a row may carry several) */
#define SS_SENT 1u  /* key: the send, which went out at ts */
#define SS_ORDER 2u /* val: the amount of a conversion event */
#define SS_ENTER 4u /* key: the journey entered */
#define SS_ARM 8u   /* key: the journey, aux: the arm the person has in it */
#define SS_GOAL 16u /* key: the journey left as converted */

/* a send's final outcome */
enum sendstats_status { SS_NONE, SS_ST_SENT, SS_ST_SUPPRESSED, SS_ST_FAILED };

/* receipts */
#define SS_DELIVERED 1u
#define SS_OPENED 2u
#define SS_CLICKED 4u

struct sendstats_send {
	uint32_t group;   /* 0: no $send seen yet */
	uint32_t channel; /* of the outcome (0: none) */
	uint32_t reason;  /* of a suppression or failure (0: none) */
	uint8_t status;   /* enum sendstats_status */
	uint8_t receipts; /* SS_DELIVERED | … */
	uint8_t ordered;  /* an order was credited to it */
};

/* The counts of one group of sends. */
struct sendstats_group {
	uint64_t sends, sent, suppressed, failed, delivered, opened, clicked;
	uint64_t goals;   /* goal exits credited to the group */
	uint64_t ordered; /* sends with an order credited */
	uint64_t orders;  /* orders credited */
	double revenue, cost; /* set by sendstats_finish from: */
	int64_t revenue_u, cost_u; /* millionths, summed exactly */
};

/* People per journey and arm. */
struct sendstats_journey {
	uint32_t journey, arm;
	uint64_t entered, converted;
};

/* Suppressions or failures per group and reason. */
struct sendstats_reason {
	uint32_t group, reason;
	uint8_t status;
	uint64_t sends;
};

struct sendstats {
	int64_t window; /* ms */
	struct sendstats_send *send;
	size_t nsend;
	uint32_t *group_journey; /* per group: its journey (0: none) */
	size_t ngroup_journey;
	struct sendstats_journey *j;
	size_t nj, capj;
	/* filled by sendstats_finish */
	struct sendstats_group *g;
	size_t ng;
	struct sendstats_reason *why;
	size_t nwhy;
	/* scratch of sendstats_person */
	struct sendstats_journey *pj;
	size_t npj, cappj;
};

/* Start empty; orders count within window ms after a message. */
void sendstats_init(struct sendstats *s, int64_t window);
/* A $send: send belongs to group (1 …), of journey (0: none). A send
 * told twice keeps its first group. */
void sendstats_send(struct sendstats *s, uint32_t send, uint32_t group, uint32_t journey);
/* The group of send (0: no $send was told). */
uint32_t sendstats_group_of(const struct sendstats *s, uint32_t send);
/* A final $delivery of send: its status, the channel and the reason (0:
 * none). Only the first final outcome of a send counts. Returns 1 when
 * this one counted, 0 when the send had one already. */
int sendstats_outcome(struct sendstats *s, uint32_t send, enum sendstats_status st, uint32_t channel,
		      uint32_t reason);
/* A provider's receipt for send (SS_DELIVERED, SS_OPENED or SS_CLICKED);
 * each counts once per send. */
void sendstats_receipt(struct sendstats *s, uint32_t send, unsigned what);
/* Walk one person's rows r[0..n), in time order (evtab_group). */
void sendstats_person(struct sendstats *s, const struct evrow *r, size_t n);
/*
 * Sum the sends into s->g[0 .. ngroups) (ngroups: the largest group
 * number + 1; group 0 collects outcomes of sends never seen), with
 * cost[channel] per message sent (channels at or past ncost cost 0), and
 * the suppressions and failures into s->why, in order of group, status
 * and reason number. s->j holds the people per journey and arm, in no
 * order.
 */
void sendstats_finish(struct sendstats *s, size_t ngroups, const double *cost, size_t ncost);
/* Free everything; s may be initialized again. */
void sendstats_release(struct sendstats *s);

#endif
