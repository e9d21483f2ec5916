/* lifecycle.c — a generated program from command line to exit status.
 *
 * rt_main runs the steps in order: describe, parse argv, register sources, start one receiver
 * thread per source, run batches until the input ends or a signal asks to stop.  SIGINT and
 * SIGTERM are blocked in every thread and taken by a sigwait thread, so no work happens in a
 * signal handler: the first signal requests a graceful stop (the data received so far becomes a
 * final batch), the second exits at once with status 130.  dsc_gen_* are reached only through the
 * function pointers main.c passes, which keeps this file linkable into the unit tests.
 * --stats prints one line of counters at exit (batches, input records, peak RSS from
 * getrusage) for the bounded-memory tests.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include <malloc.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_internal.h"

void rt_request_stop(dsc_rt_ctx *ctx) {
  pthread_mutex_lock(&ctx->mu);
  ctx->stopping = 1;
  for (int32_t i = 0; i < ctx->nsources; i++) {
    rt_source *s = ctx->sources[i];
    if (s->kind == RT_SRC_SOCKET && s->fd >= 0) shutdown(s->fd, SHUT_RDWR);
  }
  pthread_cond_broadcast(&ctx->cv);
  pthread_mutex_unlock(&ctx->mu);
}

static void *signal_main(void *arg) {
  dsc_rt_ctx *ctx = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  for (int count = 0;;) {
    int sig;
    if (sigwait(&set, &sig)) continue;
    if (++count > 1) _exit(130);
    rt_request_stop(ctx);
  }
  return NULL;
}

void rt_stats_line(const dsc_rt_ctx *ctx, char *out, size_t outsz) {
  struct rusage ru;
  long peak = getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0; /* KiB on Linux */
  snprintf(out, outsz,
           "%s: stats: batches=%" PRId64 " records=%" PRId64 " peak_rss_kib=%ld early_shared=%" PRId64
           " early_starts=%" PRId64 "\n",
           rt_progname(ctx), ctx->batches_run, ctx->records_run, peak, ctx->early_shared,
           ctx->early_calls);
}

void dsc_rt_fatal(dsc_rt_ctx *ctx, const char *msg) {
  fflush(stdout);
  fprintf(stderr, "%s: error: %s\n", rt_progname(ctx), msg);
  exit(2);
}

/* Every batch makes and frees megabytes of tables and arena chunks.  By default glibc serves a
 * big block with mmap and unmaps it when freed, and gives the heap's free top back to the kernel
 * above a small threshold, so each batch faults its memory in again, and on two workers every
 * unmap interrupts the other core to flush its TLB.  Blocks up to 32 MiB (glibc's largest
 * threshold) come from the heap instead, and up to 64 MiB of free heap is kept for the next
 * batch.  The 1,000,000-key window: 48,000 page faults -> 26,500, 2 threads 438 -> 388 ms
 * (median of 7); peak memory the same, but for a big static table (ysb-300k-ads 78.8 -> 86.7
 * MB: what building it frees, smaller arrays and indexes it outgrew, stays in the heap).  A
 * user's own GLIBC_TUNABLES wins. */
static void tune_malloc(void) {
#ifdef __GLIBC__
  if (getenv("GLIBC_TUNABLES")) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}

void rt_name_thread(pthread_t t, const char *name, int64_t n) {
  char full[64], buf[16];
  if (n >= 0) snprintf(full, sizeof full, "%s-%" PRId64, name, n);
  else snprintf(full, sizeof full, "%s", name);
  size_t len = strnlen(full, sizeof buf - 1);
  memcpy(buf, full, len);
  buf[len] = '\0';
#ifdef __GLIBC__
  (void)pthread_setname_np(t, buf);
#else
  (void)t;
#endif
}

/* Starts a thread named as rt_name_thread says. */
static void start_thread(dsc_rt_ctx *ctx, pthread_t *t, void *(*fn)(void *), void *arg,
                         const char *name, int64_t n) {
  int rc = pthread_create(t, NULL, fn, arg);
  if (rc) {
    fprintf(stderr, "%s: fatal: cannot start a thread: %s\n", rt_progname(ctx), strerror(rc));
    exit(1);
  }
  rt_name_thread(*t, name, n);
}

int rt_main(int argc, char **argv, rt_describe_fn describe, rt_start_fn start, rt_batch_fn run,
            rt_batch_fn early) {
  static dsc_rt_program prog;
  static dsc_rt_ctx ctx;
  rt_program_init(&prog);
  describe(&prog);
  rt_options opt;
  char err[1024];
  dsc_rt_buf text = {0};
  switch (rt_parse_args(&prog, argc, argv, &opt, err, sizeof err)) {
  case RT_ARGS_HELP:
    rt_usage(&prog, &text);
    fwrite(text.data, 1, text.len, stdout);
    rt_buf_free(&text);
    rt_program_free(&prog);
    return 0;
  case RT_ARGS_VERSION:
    printf("dsc runtime %s\n", RT_VERSION);
    rt_program_free(&prog);
    return 0;
  case RT_ARGS_ERROR:
    rt_usage(&prog, &text);
    fprintf(stderr, "%s: error: %s\n%.*s", prog.name, err,
            (int)(strchr(text.data, '\n') - text.data + 1), text.data);
    fprintf(stderr, "Try '%s --help' for more information.\n", prog.name);
    rt_buf_free(&text);
    rt_program_free(&prog);
    return 2;
  default:
    break;
  }

  tune_malloc();
  signal(SIGPIPE, SIG_IGN);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);

  rt_ctx_init(&ctx, &prog, &opt);
  ctx.early_fn = early;
  pthread_t sig_thread;
  start_thread(&ctx, &sig_thread, signal_main, &ctx, "dsc-signals", -1);
  pthread_detach(sig_thread);

  start(&ctx);
  pthread_mutex_lock(&ctx.mu);
  ctx.started = 1;
  pthread_mutex_unlock(&ctx.mu);
  for (int32_t i = 0; i < ctx.nsources; i++) {
    rt_source *s = ctx.sources[i];
    if (s->receive) start_thread(&ctx, &s->thread, s->receive, s, "dsc-recv", i + 1);
  }

  rt_run(&ctx, run);
  if (opt.stats) {
    char line[256];
    rt_stats_line(&ctx, line, sizeof line);
    fflush(stdout);
    fputs(line, stderr);
  }

  /* After a stop, receivers may still be blocked in read(2): leave them to exit(). */
  pthread_mutex_lock(&ctx.mu);
  int all_ended = 1;
  for (int32_t i = 0; i < ctx.nsources; i++) all_ended &= ctx.sources[i]->ended;
  pthread_mutex_unlock(&ctx.mu);
  if (all_ended) {
    for (int32_t i = 0; i < ctx.nsources; i++)
      if (ctx.sources[i]->receive) pthread_join(ctx.sources[i]->thread, NULL);
    rt_ctx_free(&ctx);
    rt_program_free(&prog);
  }
  if (fflush(stdout) == EOF && errno != EPIPE) return 1;
  return 0;
}
