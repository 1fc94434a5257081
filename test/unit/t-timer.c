/*
 * t-timer - wake-ups against a model: random wake-ups set, moved and
 * deleted over several streams, some committed and some still in the
 * batch, read back in key order up to a clock; a crash loses the batch.
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

/* Read every due wake-up of stream up to upto and compare with the model. */
static void check(struct timer *t, uint32_t stream, int64_t upto, unsigned step)
{
	const struct timer_id *want[N];
	struct timer_id got, last;
	unsigned n = 0, k = 0, wrong = 0;
	int r;

	for (unsigned i = 0; i < N; i++)
		if (model[i].on && model[i].id.stream == stream && model[i].id.wake <= upto)
			want[n++] = &model[i].id;
	qsort(want, n, sizeof *want, ptr_cmp);
	while ((r = timer_next(t, stream, upto, k ? &last : NULL, &got)) == 1) {
		if (k >= n || id_cmp(&got, want[k]))
			wrong++;
		last = got;
		k++;
	}
	T_EQ_INT(r, 0);
	if (wrong || k != n)
		fprintf(stderr, "step %u: stream %u: %u wake-ups read, %u wanted, %u wrong\n", step, stream, k, n,
			wrong);
	T_EQ_INT(wrong, 0);
	T_EQ_INT(k, n);
}

static void random_run(const char *dir)
{
	struct timer t;
	struct store *st = reopen(dir, &t, NULL);
	unsigned step;

	for (step = 0; step < 20000; step++) {
		uint32_t r = below(1000), k = below(N);
		struct slot *s = &model[k];
		if (r < 500) { /* set (moving one that was set) */
			if (s->on)
				timer_del(&t, &s->id);
			s->id.stream = below(3);
			s->id.wake = (int64_t)below(2000) - 1000; /* negative times too */
			s->id.oneid = 1 + below(50);
			s->id.journey = below(3);
			s->id.corr = below(2) ? 0 : (uint64_t)below(1000) << 40;
			timer_set(&t, &s->id);
			s->on = 1;
		} else if (r < 750) { /* handled: deleted */
			if (s->on)
				timer_del(&t, &s->id);
			s->on = 0;
		} else if (r < 900) {
			check(&t, below(3), (int64_t)below(2200) - 1100, step);
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
		check(&t, s, INT64_MAX, step);
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

int main(void)
{
	char dir[] = "/tmp/uops-t-timer-XXXXXX";

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	keys();
	random_run(dir);
	nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	return t_done("timer");
}
