#include "pool.h"

#include <pthread.h>
#include <stdlib.h>

#include "buf.h"

#define MAX_THREADS 64

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	void *batch;   /* in flight, NULL: none */
	size_t n, next, chunk;
	int active;    /* threads running fn on it */
	int quit;
	pool_fn fn;
	void *ctx;
	pthread_t th[MAX_THREADS];
	void *arg[MAX_THREADS];
	int nth;
};

struct start {
	struct pool *p;
	void *arg;
};

/* Claim and run chunks while the batch has any (p->mu held; released
 * while fn runs). */
static void run_chunks(struct pool *p, void *arg)
{
	while (p->batch && p->next < p->n) {
		void *b = p->batch;
		size_t from = p->next, to = p->n - from > p->chunk ? from + p->chunk : p->n;
		p->next = to;
		p->active++;
		pthread_mutex_unlock(&p->mu);
		p->fn(p->ctx, b, arg, from, to);
		pthread_mutex_lock(&p->mu);
		if (!--p->active)
			pthread_cond_broadcast(&p->idle);
	}
}

static void *thread_main(void *a)
{
	struct start *s = a;
	struct pool *p = s->p;
	void *arg = s->arg;

	free(s);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && !(p->batch && p->next < p->n))
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		run_chunks(p, arg);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct pool *pool_new(int n, pool_fn fn, void *ctx, void *const *args)
{
	struct pool *p = xcalloc(1, sizeof *p);
	int k;

	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->idle, NULL);
	p->fn = fn;
	p->ctx = ctx;
	for (k = 0; k < n && k < MAX_THREADS; k++) {
		struct start *s = xmalloc(sizeof *s);
		s->p = p;
		s->arg = args[k];
		if (pthread_create(&p->th[p->nth], NULL, thread_main, s)) {
			free(s);
			break;
		}
		p->nth++;
	}
	return p;
}

int pool_threads(const struct pool *p)
{
	return p->nth;
}

void pool_free(struct pool *p)
{
	int k;

	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->nth; k++)
		pthread_join(p->th[k], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	free(p);
}

void pool_start(struct pool *p, void *batch, size_t n, size_t chunk)
{
	pthread_mutex_lock(&p->mu);
	p->batch = batch;
	p->n = n;
	p->next = 0;
	p->chunk = chunk ? chunk : 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void pool_finish(struct pool *p, void *arg)
{
	pthread_mutex_lock(&p->mu);
	run_chunks(p, arg);
	p->batch = NULL;
	while (p->active)
		pthread_cond_wait(&p->idle, &p->mu);
	pthread_mutex_unlock(&p->mu);
}
