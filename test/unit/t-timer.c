/*
 * t-timer - wake-ups against a model: random wake-ups set, moved and
 * deleted over several streams, some committed and some still in the
 * batch, fired in key order up to a clock (each deleted as it fires, new
 * ones set during a run); a crash loses the batch.
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store.h"
#include "t.h"
#include "timer.h"

#define N 600

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t below(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* the model: slot k holds one wake-up (or none), committed or in the batch */
struct slot {
	struct timer_id id;
	int on;        /* set, as the store would read it now */
	int committed; /* the committed state */
	struct timer_id cid;
};
static struct slot model[N];

static int id_cmp(const struct timer_id *a, const struct timer_id *b)
{
	unsigned char ka[TIMER_KEY], kb[TIMER_KEY];

	timer_key(a, ka);
	timer_key(b, kb);
	return memcmp(ka, kb, TIMER_KEY);
}

static int ptr_cmp(const void *a, const void *b)
{
	return id_cmp(*(const struct timer_id *const *)a, *(const struct timer_id *const *)b);
}

static struct store *reopen(const char *dir, struct timer *t, struct store *old)
{
	int code;
	struct store *st;

	if (old) {
		timer_release(t);
		store_discard(old);
		store_close(old);
	}
	st = store_open(dir, "t", STORE_NOSYNC, &code);
	T_OK(st != NULL);
	T_OK(timer_open(t, st, "t.timers") == 0);
	return st;
}

/* Fire every due wake-up of stream up to upto, as a tool does: each is
 * compared with the model's next and deleted; now and then a wake-up is
 * set during the run, later than the one just fired, and must come in
 * its turn. */
static void fire(struct timer *t, uint32_t stream, int64_t upto, unsigned step)
{
	struct timer_id got, last;
	unsigned k = 0, wrong = 0;
	int r;

	while ((r = timer_next(t, stream, upto, k ? &last : NULL, &got)) == 1) {
		const struct timer_id *want[N];
		unsigned n = 0, i;
		for (i = 0; i < N; i++)
			if (model[i].on && model[i].id.stream == stream && model[i].id.wake <= upto &&
			    (!k || id_cmp(&model[i].id, &last) > 0))
				want[n++] = &model[i].id;
		qsort(want, n, sizeof *want, ptr_cmp);
		if (!n || id_cmp(&got, want[0]))
			wrong++;
		timer_del(t, &got);
		for (i = 0; i < N; i++)
			if (model[i].on && !id_cmp(&model[i].id, &got))
				model[i].on = 0;
		last = got;
		k++;
		if (below(4) == 0) { /* a step that waits: a new wake-up later on */
			struct slot *s = &model[below(N)];
			if (s->on)
				timer_del(t, &s->id);
			s->id = got;
			s->id.wake = got.wake + 1 + below(50);
			s->id.oneid = 1 + below(50);
			timer_set(t, &s->id);
			s->on = 1;
		}
	}
	T_EQ_INT(r, 0);
	for (unsigned i = 0; i < N; i++) /* nothing due is left */
		if (model[i].on && model[i].id.stream == stream && model[i].id.wake <= upto)
			wrong++;
	if (wrong)
		fprintf(stderr, "step %u: stream %u: %u fired, %u wrong\n", step, stream, k, wrong);
	T_EQ_INT(wrong, 0);
}

static void random_run(const char *dir)
{
	struct timer t;
	struct store *st = reopen(dir, &t, NULL);
	unsigned step;
	int64_t clock[3] = {-1000, -1000, -1000}; /* each stream's */

	for (step = 0; step < 20000; step++) {
		uint32_t r = below(1000), k = below(N);
		struct slot *s = &model[k];
		if (r < 500) { /* set (moving one that was set) */
			if (s->on)
				timer_del(&t, &s->id);
			s->id.stream = below(3);
			/* later than the stream's clock (negative times too) */
			s->id.wake = clock[s->id.stream] + 1 + (int64_t)below(2000);
			s->id.oneid = 1 + below(50);
			s->id.journey = below(3);
			s->id.corr = below(2) ? 0 : (uint64_t)below(1000) << 40;
			timer_set(&t, &s->id);
			s->on = 1;
		} else if (r < 750) { /* handled: deleted */
			if (s->on)
				timer_del(&t, &s->id);
			s->on = 0;
		} else if (r < 900) { /* the clock moves on */
			uint32_t sm = below(3);
			clock[sm] += (int64_t)below(300);
			fire(&t, sm, clock[sm], step);
		} else if (r < 990) {
			T_EQ_INT(store_commit(st), 0);
			timer_committed(&t);
			for (unsigned i = 0; i < N; i++) {
				model[i].committed = model[i].on;
				model[i].cid = model[i].id;
			}
		} else { /* a crash */
			st = reopen(dir, &t, st);
			for (unsigned i = 0; i < N; i++) {
				model[i].on = model[i].committed;
				model[i].id = model[i].cid;
			}
		}
	}
	for (uint32_t s = 0; s < 3; s++)
		fire(&t, s, INT64_MAX - 100, step);
	timer_release(&t);
	store_discard(st);
	store_close(st);
}

static void keys(void)
{
	struct timer_id a = {0, -5, 7, 9, 11}, b = {0, 3, 1, 0, 0}, c = {1, INT64_MIN, 0, 0, 0}, back;
	unsigned char k[TIMER_KEY];

	T_OK(id_cmp(&a, &b) < 0); /* time first, negative before positive */
	T_OK(id_cmp(&b, &c) < 0); /* streams apart */
	timer_key(&a, k);
	timer_unkey(k, &back);
	T_EQ_INT(back.wake, -5);
	T_EQ_INT(back.oneid, 7);
	T_EQ_INT(back.journey, 9);
	T_EQ_INT(back.corr, 11);
}

/* A search that found nothing committed up to its limit is not made again
 * for a later limit short of the next key; a commit (a new snapshot) or a
 * limit past that key makes it again. */
static void gap_run(const char *dir)
{
	struct timer t;
	struct store *st = reopen(dir, &t, NULL);
	struct timer_id a = {5, 100, 1, 7, 0}, b = {5, 300, 2, 7, 0}, c = {5, 250, 3, 7, 0}, got;

	timer_set(&t, &a);
	T_EQ_INT(store_commit(st), 0);
	timer_committed(&t);
	T_EQ_INT(timer_next(&t, 5, 50, NULL, &got), 0);
	T_EQ_INT(timer_next(&t, 5, 99, NULL, &got), 0);
	T_EQ_INT(timer_next(&t, 5, 100, NULL, &got), 1);
	T_EQ_INT(got.oneid, 1);
	timer_del(&t, &got);
	timer_set(&t, &b);
	T_EQ_INT(store_commit(st), 0);
	timer_committed(&t);
	T_EQ_INT(timer_next(&t, 5, 200, NULL, &got), 0); /* next: b, at 300 */
	timer_set(&t, &c);
	T_EQ_INT(store_commit(st), 0);
	timer_committed(&t);
	T_EQ_INT(timer_next(&t, 5, 260, NULL, &got), 1); /* c, committed since */
	T_EQ_INT(got.oneid, 3);
	timer_del(&t, &got);
	T_EQ_INT(timer_next(&t, 5, 299, NULL, &got), 0); /* past c, still committed */
	T_EQ_INT(timer_next(&t, 5, 299, NULL, &got), 0);
	T_EQ_INT(timer_next(&t, 5, 300, NULL, &got), 1);
	T_EQ_INT(got.oneid, 2);
	timer_release(&t);
	store_close(st);
}

int main(void)
{
	char dir[] = "/tmp/uops-t-timer-XXXXXX", gdir[] = "/tmp/uops-t-timer-XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	keys();
	random_run(dir);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	if (!mkdtemp(gdir)) {
		perror("mkdtemp");
		return 1;
	}
	gap_run(gdir);
	nftw(gdir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("timer");
}
