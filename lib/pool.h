/*
 * pool - threads that run a function over the items of a batch in
 * parallel, so the caller can go on (read the next batch, give the one
 * before it its outcomes) while they work. Items are claimed in chunks in
 * turn, so a thread the machine delays holds nobody up; the caller's own
 * thread joins in when it waits for the batch. One batch is in flight at a
 * time. Results go where fn writes them, by item index: order is the
 * caller's to keep.
 */
#ifndef UOPS_POOL_H
#define UOPS_POOL_H

#include <stddef.h>

struct pool;

/* Run on items [from, to) of batch, on the thread whose argument is arg
 * (one of the args given to pool_new, or pool_finish's). */
typedef void (*pool_fn)(void *ctx, void *batch, void *arg, size_t from, size_t to);

/*
 * Start n threads (0 is fine: the caller does all the work in
 * pool_finish), thread k calling fn(ctx, …, args[k], …). Returns the pool;
 * it may have fewer threads than asked when the system gives fewer (the
 * work is then shared by fewer). Free with pool_free.
 */
struct pool *pool_new(int n, pool_fn fn, void *ctx, void *const *args);
/* Stop the threads (none may be working: finish the batch first), free. */
void pool_free(struct pool *p);
/* How many threads pool_new started. */
int pool_threads(const struct pool *p);

/* Hand the threads batch (n items, chunk items per claim). The batch is
 * the pool's until pool_finish returns. */
void pool_start(struct pool *p, void *batch, size_t n, size_t chunk);
/* Run what is left of the batch in flight on this thread (fn gets arg),
 * and wait until no thread works on it. Returns at once with none. */
void pool_finish(struct pool *p, void *arg);

#endif
