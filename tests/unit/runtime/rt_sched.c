/* rt_sched.c — unit tests of the running pipeline: the task pool, and whole manual-clock and
 * wall-clock runs over file sources (receiver threads, sealing, batch times, final batch), also
 * with read chunks of a few bytes. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

typedef struct pool_env {
  int64_t hits[1000];            /* per task: times it ran */
  dsc_rt_worker *who[1000];      /* per task: the worker it got */
  pthread_t thread[1000];        /* per task: the thread it ran on */
} pool_env;

static void pool_task(void *envp, dsc_rt_worker *w, int64_t t) {
  pool_env *env = envp;
  __atomic_fetch_add(&env->hits[t], 1, __ATOMIC_RELAXED);
  env->who[t] = w;
  env->thread[t] = pthread_self();
  int64_t *p = dsc_rt_alloc(w, 64);  /* each thread allocates in its own arena */
  p[0] = t;
  usleep(100);
}

static void run_pool(int64_t threads) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .threads = threads};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  CU_ASSERT_EQUAL(dsc_rt_partitions(&ctx), threads);
  CU_ASSERT_PTR_EQUAL(dsc_rt_main_worker(&ctx), &ctx.workers[0]);
  /* no two workers share a cache line (pair): each thread writes its own on every allocation */
  for (int64_t w = 0; w < threads; w++)
    CU_ASSERT_EQUAL((uintptr_t)&ctx.workers[w] % RT_LINE_PAIR, 0);
  CU_ASSERT_EQUAL(sizeof(dsc_rt_worker) % RT_LINE_PAIR, 0);
  pool_env *env = calloc(1, sizeof *env);
  for (int round = 0; round < 20; round++) {
    memset(env, 0, sizeof *env);
    dsc_rt_run_tasks(&ctx, 1000, pool_task, env);
    for (int t = 0; t < 1000; t++) CU_ASSERT_EQUAL_FATAL(env->hits[t], 1);
    /* One worker per thread: tasks on the same thread share it, others never do. */
    for (int t = 1; t < 1000; t++)
      CU_ASSERT_EQUAL_FATAL(env->who[t] == env->who[0], pthread_equal(env->thread[t], env->thread[0]) != 0);
    if (threads == 1)
      for (int t = 0; t < 1000; t++) CU_ASSERT_PTR_EQUAL_FATAL(env->who[t], &ctx.workers[0]);
    /* task 0 is always the caller's (an early start left its partials in worker 0) */
    CU_ASSERT_PTR_EQUAL_FATAL(env->who[0], &ctx.workers[0]);
    CU_ASSERT_FATAL(pthread_equal(env->thread[0], pthread_self()));
    /* helpers are named after their worker (perf --sort comm, top -H) */
    for (int t = 1; t < 1000; t++) {
      if (pthread_equal(env->thread[t], pthread_self())) continue;
      char name[16], want[32];
      CU_ASSERT_EQUAL_FATAL(pthread_getname_np(env->thread[t], name, sizeof name), 0);
      snprintf(want, sizeof want, "dsc-worker-%td", env->who[t] - ctx.workers);
      CU_ASSERT_STRING_EQUAL_FATAL(name, want);
    }
    dsc_rt_batch b = {.time_ms = 0};
    rt_batch_finish(&ctx, &b);
  }
  dsc_rt_run_tasks(&ctx, 0, pool_task, env);
  free(env);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

/* Names are cut to the 15 bytes Linux keeps, numbered or not. */
static void *idle_thread(void *arg) {
  (void)arg;
  usleep(200 * 1000);
  return NULL;
}

static void test_thread_names(void) {
  pthread_t t;
  CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, idle_thread, NULL), 0);
  char name[16];
  rt_name_thread(t, "dsc-recv", 3);
  CU_ASSERT_EQUAL(pthread_getname_np(t, name, sizeof name), 0);
  CU_ASSERT_STRING_EQUAL(name, "dsc-recv-3");
  rt_name_thread(t, "a-thread-name-longer-than-linux-keeps", 12);
  CU_ASSERT_EQUAL(pthread_getname_np(t, name, sizeof name), 0);
  CU_ASSERT_STRING_EQUAL(name, "a-thread-name-l");
  rt_name_thread(t, "dsc-clock", -1);
  CU_ASSERT_EQUAL(pthread_getname_np(t, name, sizeof name), 0);
  CU_ASSERT_STRING_EQUAL(name, "dsc-clock");
  pthread_join(t, NULL);
}

static void test_pool_1(void) { run_pool(1); }
static void test_pool_4(void) { run_pool(4); }

/* ---- whole runs ---- */

typedef struct seen {
  int nbatches;           /* batches run */
  int64_t time[16];       /* their times */
  int64_t count[16][2];   /* lines per source */
  char first[16][32];     /* first line of source 0 */
} seen;
static seen got;

static void record(dsc_rt_ctx *ctx, dsc_rt_batch *b) {
  int k = got.nbatches++;
  got.time[k] = dsc_rt_batch_time(b);
  dsc_rt_line_cursor cur;
  dsc_str line;
  for (int32_t s = 0; s < 2; s++) {
    dsc_rt_lines_open(b, s, 0, 1, &cur);
    for (; dsc_rt_lines_next(&cur, &line); got.count[k][s]++)
      if (s == 0 && !got.count[k][0]) snprintf(got.first[k], 32, "%.*s", (int)line.len, line.ptr);
  }
  dsc_rt_lines_open(b, 7, 0, 1, &cur); /* no such source: no lines */
  CU_ASSERT_FALSE(dsc_rt_lines_next(&cur, &line));
  /* Per-batch errors are counted on the workers and reset afterwards. */
  CU_ASSERT_EQUAL(dsc_rt_main_worker(ctx)->errors[DSC_RT_ERR_PARSE_INT], 0);
  dsc_rt_str_to_int(dsc_rt_main_worker(ctx), "x", 1);
}

static char *temp_file(const char *text) {
  char *path = strdup("/tmp/dsc_rt_sched_XXXXXX");
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_FATAL(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
  close(fd);
  return path;
}

/* Read chunk size of the sources of whole_run (0: the default), and whether they map their
 * files (--mmap) rather than read them with read(2). */
static size_t run_chunk_size;
static int run_mmap;

static void whole_run(const rt_options *opt, const char *in0, const char *in1) {
  memset(&got, 0, sizeof got);
  dsc_rt_program prog;
  rt_program_init(&prog);
  dsc_rt_ctx ctx;
  rt_options o = *opt;
  o.mmap = run_mmap;
  rt_ctx_init(&ctx, &prog, &o);
  char *p0 = temp_file(in0), *p1 = in1 ? temp_file(in1) : NULL;
  CU_ASSERT_EQUAL(dsc_rt_source_file(&ctx, p0, (int64_t)strlen(p0)), 0);
  if (p1) CU_ASSERT_EQUAL(dsc_rt_source_file(&ctx, p1, (int64_t)strlen(p1)), 1);
  if (run_chunk_size)
    for (int32_t i = 0; i < ctx.nsources; i++) ctx.sources[i]->split.chunk_size = run_chunk_size;
  ctx.started = 1;
  for (int32_t i = 0; i < ctx.nsources; i++)
    pthread_create(&ctx.sources[i]->thread, NULL, rt_stream_receiver, ctx.sources[i]);
  rt_run(&ctx, record);
  for (int32_t i = 0; i < ctx.nsources; i++) pthread_join(ctx.sources[i]->thread, NULL);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
  unlink(p0);
  free(p0);
  if (p1) unlink(p1), free(p1);
}

static void test_manual_one_source(void) {
  rt_options opt = {.interval_ms = 10000, .manual_clock = 1, .threads = 2};
  whole_run(&opt, "a b a\n@batch\nb\n", NULL);
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 2);
  CU_ASSERT_EQUAL(got.time[0], 10000);
  CU_ASSERT_EQUAL(got.time[1], 20000);
  CU_ASSERT_STRING_EQUAL(got.first[0], "a b a");
  CU_ASSERT_STRING_EQUAL(got.first[1], "b");

  whole_run(&opt, "", NULL); /* empty input: still one batch */
  CU_ASSERT_EQUAL(got.nbatches, 1);
  CU_ASSERT_EQUAL(got.count[0][0], 0);

  whole_run(&opt, "x\n@batch\n", NULL); /* nothing after the last marker: no extra batch */
  CU_ASSERT_EQUAL(got.nbatches, 1);

  opt.start_time_ms = 1500;
  opt.interval_ms = 500;
  whole_run(&opt, "@batch\n@batch\nz", NULL);
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 3);
  CU_ASSERT_EQUAL(got.time[0], 2000);
  CU_ASSERT_EQUAL(got.time[2], 3000);
  CU_ASSERT_EQUAL(got.count[1][0], 0);
  CU_ASSERT_STRING_EQUAL(got.first[2], "z");
}

static void test_manual_two_sources(void) {
  rt_options opt = {.interval_ms = 1000, .manual_clock = 1, .threads = 1};
  /* Source 1 ends after one batch; source 0 has three. */
  whole_run(&opt, "a\n@batch\nb\n@batch\nc\n@batch\n", "x\ny\n@batch\ntail\n");
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 4);
  CU_ASSERT_EQUAL(got.count[0][0], 1);
  CU_ASSERT_EQUAL(got.count[0][1], 2);
  CU_ASSERT_EQUAL(got.count[1][1], 0);
  CU_ASSERT_EQUAL(got.count[2][0], 1);
  CU_ASSERT_EQUAL(got.time[3], 4000);   /* final batch: the data after the last markers */
  CU_ASSERT_EQUAL(got.count[3][0], 0);
  CU_ASSERT_EQUAL(got.count[3][1], 1);
}

static void test_wall_clock_eof(void) {
  rt_options opt = {.interval_ms = 3600000, .threads = 2};
  int64_t before = rt_now_ms();
  whole_run(&opt, "one\ntwo\r\nthree", "x\n");
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 1); /* input ended: sealed at once, not in an hour */
  CU_ASSERT_EQUAL(got.time[0], rt_first_batch_time(before, 3600000));
  CU_ASSERT_EQUAL(got.count[0][0], 3);
  CU_ASSERT_EQUAL(got.count[0][1], 1);
}

/* The same runs with chunks of a few bytes: every line crosses chunks, and segments and batches
 * share them (ASan in the sanitizer build checks that each is freed exactly once).  Both ways of
 * reading a file: mapped windows of that size, and read(2)s into chunks of it. */
static void test_tiny_chunks(void) {
  static const size_t sizes[] = {1, 3, 16};
  for (run_mmap = 0; run_mmap < 2; run_mmap++) {
    for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
      run_chunk_size = sizes[k];
      test_manual_one_source();
      test_manual_two_sources();
      test_wall_clock_eof();
    }
  }
  run_chunk_size = 0, run_mmap = 0;
}

/* ---- early start: the first stage runs as task 0 before its batch is sealed ---- */

static char early_log[1024]; /* "E:" early calls and "Bk:" batches with the lines they took */

static void log_lines(const dsc_rt_batch *b, int64_t task, int64_t ntasks) {
  dsc_rt_line_cursor cur;
  dsc_str line;
  dsc_rt_lines_open(b, 0, task, ntasks, &cur);
  while (dsc_rt_lines_next(&cur, &line))
    snprintf(early_log + strlen(early_log), sizeof early_log - strlen(early_log), "%.*s,",
             (int)line.len, line.ptr);
}

/* Input a "receiver" brings while the first early call runs (the call holds no lock). */
static const char *early_feed_during;
static rt_source *early_src;

static void early_part(dsc_rt_ctx *ctx, dsc_rt_batch *part) {
  (void)ctx;
  strcat(early_log, "E:");
  log_lines(part, 0, 1);
  strcat(early_log, ";");
  if (early_feed_during) {
    rt_source_feed(early_src, early_feed_during, strlen(early_feed_during));
    early_feed_during = NULL;
  }
}

static void early_batch(dsc_rt_ctx *ctx, dsc_rt_batch *b) {
  snprintf(early_log + strlen(early_log), sizeof early_log - strlen(early_log), "B%lld:",
           (long long)(dsc_rt_batch_time(b) / 1000));
  for (int64_t t = 0; t < 2; t++) log_lines(b, t, 2);
  strcat(early_log, ";");
  (void)ctx;
}

static void *early_scheduler(void *ctx) {
  rt_run(ctx, early_batch);
  return NULL;
}

/* Waits (without a time limit that could fail a slow machine: the run is bounded by the
 * condition) until the scheduler has made `calls` early calls. */
static void wait_early_calls(dsc_rt_ctx *ctx, int64_t calls) {
  for (;;) {
    pthread_mutex_lock(&ctx->mu);
    int64_t n = ctx->early_calls;
    pthread_mutex_unlock(&ctx->mu);
    if (n >= calls) return;
    usleep(200);
  }
}

/* How early_run runs: whether the input taken early is released, the source's read chunk size
 * (0: the default), and (out) how many chunks its unsealed lines held after the last wait. */
static int early_release;
static size_t early_chunk;
static int64_t early_chunks_held;

/* Feeds the steps to a manual-clock run with early starts on, waiting after step i until the
 * scheduler has made waits[i] early calls (-1: do not wait); returns the log. */
static const char *early_run(const char *const *steps, const int *waits, int nsteps) {
  early_log[0] = 0;
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .manual_clock = 1, .threads = 2, .early_bytes = 1};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  rt_source *src = rt_source_new(&ctx, RT_SRC_STDIN, "test");
  if (early_chunk) src->split.chunk_size = early_chunk;
  early_src = src;
  dsc_rt_source_early(&ctx, src->index, early_release, 0, 0);
  ctx.early_fn = early_part;
  ctx.started = 1;
  pthread_t sched;
  pthread_create(&sched, NULL, early_scheduler, &ctx);
  for (int i = 0; i < nsteps; i++) {
    rt_source_feed(src, steps[i], strlen(steps[i]));
    if (waits[i] >= 0) {
      wait_early_calls(&ctx, waits[i]);
      pthread_mutex_lock(&ctx.mu);
      early_chunks_held = src->cur.nchunks;
      pthread_mutex_unlock(&ctx.mu);
    }
  }
  rt_source_eof(src);
  rt_source_end(src);
  pthread_join(sched, NULL);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
  return early_log;
}

static void early_cases(void) {
  /* Each early call takes only what is new; a batch's tasks divide what no call took, and the
     next batch starts early again.  The last step comes with its `@batch` in one feed, so that
     no early call can take it first. */
  const char *steps[] = {"a1\na2\n", "a3\n", "@batch\nb1\n", "b2\nb3\n@batch\n"};
  const int waits[] = {1, 2, 3, -1};
  CU_ASSERT_STRING_EQUAL(early_run(steps, waits, 4), "E:a1,a2,;E:a3,;B1:;E:b1,;B2:b2,b3,;");
  /* The early part ends at the first line read one by one (here a \r\n line). */
  const char *steps2[] = {"p1\n", "v1\r\n", "p2\n"};
  const int waits2[] = {1, -1, -1};
  CU_ASSERT_STRING_EQUAL(early_run(steps2, waits2, 3), "E:p1,;B1:v1,p2,;");
  /* A whole batch taken early, then an empty final batch is not run. */
  const char *steps3[] = {"x\ny\n", "@batch\n"};
  const int waits3[] = {1, -1};
  CU_ASSERT_STRING_EQUAL(early_run(steps3, waits3, 2), "E:x,y,;B1:;");
}

/* The same cases with the input taken early released at once, and with read chunks of a few
 * bytes (ASan reports a task that reads a released chunk).  Then a batch of many lines over many
 * chunks: released, only the chunk holding the last byte taken (and the next) stay. */
static void test_early_start(void) {
  for (early_release = 0; early_release < 2; early_release++)
    for (early_chunk = 0; early_chunk <= 16; early_chunk += 16) early_cases();
  const char *steps[12];
  int waits[12];
  char text[10][8];
  for (int i = 0; i < 10; i++) {
    snprintf(text[i], sizeof text[i], "line%02d\n", i);
    steps[i] = text[i];
    waits[i] = i + 1;
  }
  early_chunk = 16;
  for (early_release = 0; early_release < 2; early_release++) {
    const char *log = early_run(steps, waits, 10);
    CU_ASSERT_PTR_NOT_NULL(strstr(log, "E:line09,;B1:;"));
    CU_ASSERT(early_release ? early_chunks_held <= 2 : early_chunks_held >= 4);
  }
  /* The batch is sealed while the early call runs: what it took lies in the sealed segment now,
     and that is where it must be released, not in the next batch's lines (ASan reports a task
     that reads a chunk released by mistake). */
  for (early_release = 0; early_release < 2; early_release++) {
    early_chunk = 16;
    early_feed_during = "p3\n@batch\nq01\nq02\nq03\nq04\nq05\nq06\nq07\nq08\nq09\nq10\nq11\nq12\nq13\nq14\nq15\nq16\n";
    const char *steps4[] = {"p1-long-line-0001\np2-long-line-0002\n"};
    const int waits4[] = {2};
    CU_ASSERT_STRING_EQUAL(early_run(steps4, waits4, 1),
                           "E:p1-long-line-0001,p2-long-line-0002,;B1:p3,;"
                           "E:q01,q02,q03,q04,q05,q06,q07,q08,q09,q10,q11,q12,q13,q14,q15,q16,;B2:;");
  }
  early_chunk = 0;
  early_release = 0;
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("scheduler", NULL, NULL);
  CU_add_test(s, "task pool, 1 thread", test_pool_1);
  CU_add_test(s, "task pool, 4 threads", test_pool_4);
  CU_add_test(s, "thread names", test_thread_names);
  CU_add_test(s, "manual clock, one source", test_manual_one_source);
  CU_add_test(s, "manual clock, two sources", test_manual_two_sources);
  CU_add_test(s, "wall clock, input ends", test_wall_clock_eof);
  CU_add_test(s, "whole runs with tiny read chunks", test_tiny_chunks);
  CU_add_test(s, "early start of a batch's first stage", test_early_start);
  int failed = dsc_cunit_run();
  return failed;
}
