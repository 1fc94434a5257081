#include <math.h>
#include "sendstats.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"

void sendstats_init(struct sendstats *s, int64_t window)
{
	memset(s, 0, sizeof *s);
	s->window = window;
}

static struct sendstats_send *send_at(struct sendstats *s, uint32_t send)
{
	if (send >= s->nsend) {
		size_t n = s->nsend ? s->nsend : 1024;
		while (n <= send)
			n *= 2;
		s->send = xrealloc(s->send, n * sizeof *s->send);
		memset(s->send + s->nsend, 0, (n - s->nsend) * sizeof *s->send);
		s->nsend = n;
	}
	return &s->send[send];
}

static void groups_grow(struct sendstats *s, size_t n)
{
	size_t cap = s->ngroup_journey;

	if (n <= cap)
		return;
	if (!cap)
		cap = 16;
	while (cap < n)
		cap *= 2;
	s->group_journey = xrealloc(s->group_journey, cap * sizeof *s->group_journey);
	memset(s->group_journey + s->ngroup_journey, 0, (cap - s->ngroup_journey) * sizeof *s->group_journey);
	s->g = xrealloc(s->g, cap * sizeof *s->g);
	memset(s->g + s->ngroup_journey, 0, (cap - s->ngroup_journey) * sizeof *s->g);
	s->ngroup_journey = cap;
	s->ng = cap;
}

void sendstats_send(struct sendstats *s, uint32_t send, uint32_t group, uint32_t journey)
{
	struct sendstats_send *x = send_at(s, send);

	if (x->group)
		return;
	x->group = group;
	groups_grow(s, (size_t)group + 1);
	s->group_journey[group] = journey;
}

uint32_t sendstats_group_of(const struct sendstats *s, uint32_t send)
{
	return send < s->nsend ? s->send[send].group : 0;
}

int sendstats_outcome(struct sendstats *s, uint32_t send, enum sendstats_status st, uint32_t channel,
		      uint32_t reason)
{
	struct sendstats_send *x = send_at(s, send);

	if (x->status != SS_NONE)
		return 0;
	x->status = (uint8_t)st;
	x->channel = channel;
	x->reason = reason;
	return 1;
}

void sendstats_receipt(struct sendstats *s, uint32_t send, unsigned what)
{
	send_at(s, send)->receipts |= (uint8_t)what;
}

static struct sendstats_journey *pj_get(struct sendstats *s, uint32_t journey)
{
	size_t i;

	for (i = 0; i < s->npj; i++)
		if (s->pj[i].journey == journey)
			return &s->pj[i];
	if (s->npj == s->cappj) {
		s->cappj = s->cappj ? s->cappj * 2 : 8;
		s->pj = xrealloc(s->pj, s->cappj * sizeof *s->pj);
	}
	memset(&s->pj[s->npj], 0, sizeof *s->pj);
	s->pj[s->npj].journey = journey;
	return &s->pj[s->npj++];
}

static void journey_add(struct sendstats *s, const struct sendstats_journey *p)
{
	size_t i;

	for (i = 0; i < s->nj; i++)
		if (s->j[i].journey == p->journey && s->j[i].arm == p->arm)
			break;
	if (i == s->nj) {
		if (s->nj == s->capj) {
			s->capj = s->capj ? s->capj * 2 : 16;
			s->j = xrealloc(s->j, s->capj * sizeof *s->j);
		}
		memset(&s->j[s->nj], 0, sizeof *s->j);
		s->j[s->nj].journey = p->journey;
		s->j[s->nj].arm = p->arm;
		s->nj++;
	}
	s->j[i].entered += p->entered;
	s->j[i].converted += p->converted;
}

/* the group of the send of row r, when the row is a message that went
 * out to a known group (else 0) */
static uint32_t sent_group(const struct sendstats *s, const struct evrow *r)
{
	if (!(r->bits & SS_SENT) || r->key >= s->nsend)
		return 0;
	return s->send[r->key].group;
}

void sendstats_person(struct sendstats *s, const struct evrow *r, size_t n)
{
	size_t i, k;

	s->npj = 0;
	for (i = 0; i < n; i++) {
		if (r[i].bits & SS_ENTER)
			pj_get(s, r[i].key)->entered++;
		if (r[i].bits & SS_ARM)
			pj_get(s, r[i].key)->arm = r[i].aux;
		if (r[i].bits & SS_GOAL) {
			uint32_t j = r[i].key, grp;
			pj_get(s, j)->converted++;
			/* the journey's latest message since the entry */
			for (k = i + 1; k-- > 0;) {
				if (k < i && (r[k].bits & SS_ENTER) && r[k].key == j)
					break;
				if ((grp = sent_group(s, &r[k])) && s->group_journey[grp] == j) {
					s->g[grp].goals++;
					break;
				}
			}
		}
		if (r[i].bits & SS_ORDER) {
			/* the latest message strictly before, within the window */
			for (k = i; k-- > 0;) {
				uint32_t grp;
				if (r[k].ts >= r[i].ts)
					continue;
				if (r[i].ts - r[k].ts > s->window)
					break;
				if ((grp = sent_group(s, &r[k]))) {
					struct sendstats_send *x = &s->send[r[k].key];
					s->g[grp].orders++;
					s->g[grp].revenue_u += llround(r[i].val * 1e6);
					if (!x->ordered) {
						x->ordered = 1;
						s->g[grp].ordered++;
					}
					break;
				}
			}
		}
	}
	for (i = 0; i < s->npj; i++)
		journey_add(s, &s->pj[i]);
}

static int why_cmp(const void *a, const void *b)
{
	const struct sendstats_reason *x = a, *y = b;

	if (x->group != y->group)
		return (x->group > y->group) - (x->group < y->group);
	if (x->status != y->status)
		return (x->status > y->status) - (x->status < y->status);
	return (x->reason > y->reason) - (x->reason < y->reason);
}

void sendstats_finish(struct sendstats *s, size_t ngroups, const double *cost, size_t ncost)
{
	size_t i, cap = 0;

	groups_grow(s, ngroups ? ngroups : 1);
	for (i = 0; i < s->nsend; i++) {
		const struct sendstats_send *x = &s->send[i];
		struct sendstats_group *g = &s->g[x->group];
		if (x->group)
			g->sends++;
		g->delivered += !!(x->receipts & SS_DELIVERED);
		g->opened += !!(x->receipts & SS_OPENED);
		g->clicked += !!(x->receipts & SS_CLICKED);
		if (x->status == SS_NONE)
			continue;
		if (x->status == SS_ST_SENT) {
			g->sent++;
			if (x->channel < ncost)
				g->cost_u += llround(cost[x->channel] * 1e6);
		} else {
			if (x->status == SS_ST_SUPPRESSED)
				g->suppressed++;
			else
				g->failed++;
			if (s->nwhy == cap) {
				cap = cap ? cap * 2 : 64;
				s->why = xrealloc(s->why, cap * sizeof *s->why);
			}
			s->why[s->nwhy].group = x->group;
			s->why[s->nwhy].reason = x->reason;
			s->why[s->nwhy].status = x->status;
			s->why[s->nwhy].sends = 1;
			s->nwhy++;
		}
	}
	for (i = 0; i < s->ng; i++) {
		s->g[i].revenue = (double)s->g[i].revenue_u / 1e6;
		s->g[i].cost = (double)s->g[i].cost_u / 1e6;
	}
	/* one row per group, status and reason */
	if (s->nwhy) {
		size_t o = 0;
		qsort(s->why, s->nwhy, sizeof *s->why, why_cmp);
		for (i = 1; i < s->nwhy; i++) {
			if (!why_cmp(&s->why[o], &s->why[i]))
				s->why[o].sends++;
			else
				s->why[++o] = s->why[i];
		}
		s->nwhy = o + 1;
	}
}

void sendstats_release(struct sendstats *s)
{
	free(s->send);
	free(s->group_journey);
	free(s->j);
	free(s->g);
	free(s->why);
	free(s->pj);
	memset(s, 0, sizeof *s);
}
