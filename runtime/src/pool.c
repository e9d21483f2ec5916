/* pool.c — the fixed pool of worker threads behind dsc_rt_run_tasks.
 *
 * N-1 helpers sleep on a condition variable; a job (fn, env, ntasks) is posted with a new
 * generation number, and the caller and the helpers claim task numbers with an atomic counter
 * until none are left, so uneven tasks balance themselves.  Task 0 is always the caller's: a
 * batch started early (sched.c) left task 0's partials in the caller's worker.  The caller
 * returns once every helper has checked out of the job.  Each thread always uses its own worker
 * (arena, error counters): helper i uses ctx->workers[i + 1], the caller workers[0].  Jobs do not
 * nest.
 *
 * The wake-ups are signalled after the mutex is released.  Signalled under it, the woken thread
 * ran at once (the kernel lets a woken thread preempt the waker when the other core is busy, as
 * it is with a receiver), found the mutex held and slept again, a switch there and back per
 * job: ysb at 2 threads, 40 batches, 190 -> 145 context switches, 40.0 -> 37.1 ms median of 15
 * (first quartile 34.1 -> 31.7); the 1 s word count 303.6 -> 293.6 ms (7).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

typedef struct helper_arg {
  rt_pool *pool;           /* the pool */
  dsc_rt_worker *worker;   /* this helper's worker */
} helper_arg;

static void run_share(rt_pool *pool, dsc_rt_worker *w) {
  for (;;) {
    int64_t t = __atomic_fetch_add(&pool->next_task, 1, __ATOMIC_RELAXED);
    if (t >= pool->ntasks) break;
    pool->fn(pool->env, w, t);
  }
}

static void *helper_main(void *argp) {
  helper_arg arg = *(helper_arg *)argp;
  free(argp);
  rt_pool *pool = arg.pool;
  uint64_t seen = 0;
  for (;;) {
    pthread_mutex_lock(&pool->mu);
    while (!pool->shutdown && pool->generation == seen) pthread_cond_wait(&pool->go, &pool->mu);
    int shutdown = pool->shutdown;
    seen = pool->generation;
    pthread_mutex_unlock(&pool->mu);
    if (shutdown) return NULL;
    run_share(pool, arg.worker);
    pthread_mutex_lock(&pool->mu);
    int last = --pool->busy == 0;
    pthread_mutex_unlock(&pool->mu);
    if (last) pthread_cond_signal(&pool->done);
  }
}

void rt_pool_start(rt_pool *pool, dsc_rt_ctx *ctx, int64_t nthreads) {
  memset(pool, 0, sizeof *pool);
  pool->nthreads = nthreads < 1 ? 1 : nthreads;
  pthread_mutex_init(&pool->mu, NULL);
  pthread_cond_init(&pool->go, NULL);
  pthread_cond_init(&pool->done, NULL);
  if (pool->nthreads == 1) return;
  pool->threads = rt_xmalloc(sizeof(pthread_t) * (size_t)(pool->nthreads - 1));
  for (int64_t i = 0; i + 1 < pool->nthreads; i++) {
    helper_arg *a = rt_xmalloc(sizeof *a);
    a->pool = pool, a->worker = &ctx->workers[i + 1];
    int rc = pthread_create(&pool->threads[i], NULL, helper_main, a);
    if (rc) {
      fprintf(stderr, "dsc: fatal: cannot start worker thread: %s\n", strerror(rc));
      exit(1);
    }
    rt_name_thread(pool->threads[i], "dsc-worker", i + 1);
  }
}

void rt_pool_stop(rt_pool *pool) {
  pthread_mutex_lock(&pool->mu);
  pool->shutdown = 1;
  pthread_cond_broadcast(&pool->go);
  pthread_mutex_unlock(&pool->mu);
  for (int64_t i = 0; i + 1 < pool->nthreads; i++) pthread_join(pool->threads[i], NULL);
  free(pool->threads);
  pool->threads = NULL;
  pthread_mutex_destroy(&pool->mu);
  pthread_cond_destroy(&pool->go);
  pthread_cond_destroy(&pool->done);
}

void dsc_rt_run_tasks(dsc_rt_ctx *ctx, int64_t ntasks, dsc_rt_task_fn fn, void *env) {
  rt_pool *pool = &ctx->pool;
  if (ntasks <= 0) return;
  if (pool->nthreads == 1 || ntasks == 1) {
    for (int64_t t = 0; t < ntasks; t++) fn(env, &ctx->workers[0], t);
    return;
  }
  pthread_mutex_lock(&pool->mu);
  pool->fn = fn, pool->env = env, pool->ntasks = ntasks;
  __atomic_store_n(&pool->next_task, 1, __ATOMIC_RELAXED);
  pool->busy = pool->nthreads - 1;
  pool->generation++;
  pthread_mutex_unlock(&pool->mu);
  pthread_cond_broadcast(&pool->go);
  fn(env, &ctx->workers[0], 0);
  run_share(pool, &ctx->workers[0]);
  pthread_mutex_lock(&pool->mu);
  while (pool->busy) pthread_cond_wait(&pool->done, &pool->mu);
  pthread_mutex_unlock(&pool->mu);
}

int64_t dsc_rt_partitions(dsc_rt_ctx *ctx) { return ctx->pool.nthreads; }

/* A task is not worth waking a helper thread for below --min-task-bytes of input: waking one
 * and waiting for it costs tens of microseconds (a word count of 20,000 batches of ten lines ran
 * 25 times slower on two threads than on one). */
static int64_t tasks_filled(int64_t work, int64_t per_task, int64_t partitions) {
  int64_t fill = work / (per_task > 0 ? per_task : 1);
  return fill < 1 ? 1 : fill < partitions ? fill : partitions;
}

static int64_t min_task_bytes(const dsc_rt_ctx *ctx) {
  return ctx && ctx->opt.min_task_bytes > 0 ? ctx->opt.min_task_bytes : RT_DEFAULT_MIN_TASK_BYTES;
}

int64_t dsc_rt_source_tasks(const dsc_rt_batch *batch, int32_t source, int64_t partitions) {
  const rt_lines *l = rt_batch_source_lines(batch, source);
  int64_t left = l ? l->bytes - rt_batch_early_bytes(batch, source) : 0;
  if (batch && batch->max_tasks > 0 && partitions > batch->max_tasks) partitions = batch->max_tasks;
  return tasks_filled(left, min_task_bytes(batch ? batch->ctx : NULL), partitions);
}

int64_t dsc_rt_source_lines(const dsc_rt_batch *batch, int32_t source) {
  const rt_lines *l = rt_batch_source_lines(batch, source);
  return l ? l->count : 0;
}

int64_t dsc_rt_result_tasks(dsc_rt_ctx *ctx, int64_t elements, int64_t partitions) {
  return tasks_filled(elements, min_task_bytes(ctx) / 16, partitions);
}

dsc_rt_worker *dsc_rt_main_worker(dsc_rt_ctx *ctx) { return &ctx->workers[0]; }

dsc_rt_worker *dsc_rt_static_worker(dsc_rt_ctx *ctx) { return &ctx->static_worker; }
