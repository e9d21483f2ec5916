/* rt_config.c — unit tests of what a pipeline asks about its configuration: the batch interval
 * in effect, Spark's zero time, dsc_rt_fatal, and the --stats option and line. */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static void test_interval_and_zero_time(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  dsc_rt_program_batch(&prog, 2000);
  char a1[] = "p", a2[] = "--batch", a3[] = "500ms";
  char *argv[] = {a1, a2, a3, NULL};
  rt_options opt;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(rt_parse_args(&prog, 3, argv, &opt, err, sizeof err), RT_ARGS_OK);
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  CU_ASSERT_EQUAL(dsc_rt_batch_interval(&ctx), 500); /* the override wins */
  int64_t before = rt_now_ms();
  int64_t z = dsc_rt_zero_time(&ctx);
  CU_ASSERT_EQUAL(z % 500, 0);
  CU_ASSERT(z + 500 > before && z <= before + 500); /* first batch time = zero + interval */
  CU_ASSERT_EQUAL(dsc_rt_zero_time(&ctx), z);        /* fixed once */
  rt_ctx_free(&ctx);

  char b2[] = "--manual-clock", b3[] = "--start-time", b4[] = "1700000000000";
  char *argv2[] = {a1, b2, b3, b4, NULL};
  CU_ASSERT_EQUAL_FATAL(rt_parse_args(&prog, 4, argv2, &opt, err, sizeof err), RT_ARGS_OK);
  rt_ctx_init(&ctx, &prog, &opt);
  CU_ASSERT_EQUAL(dsc_rt_batch_interval(&ctx), 2000); /* the declared one */
  CU_ASSERT_EQUAL(dsc_rt_zero_time(&ctx), 1700000000000);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

/* The wall-clock scheduler starts from a zero time the module already asked for. */
static int64_t first_time;
static void note_time(dsc_rt_ctx *ctx, dsc_rt_batch *b) {
  if (!first_time) first_time = dsc_rt_batch_time(b);
}

static void test_wall_clock_agrees(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 100, .threads = 1};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  int64_t z = dsc_rt_zero_time(&ctx);
  usleep(150000); /* the scheduler starts later than the module asked */
  ctx.started = 1;
  first_time = 0;
  rt_request_stop(&ctx);
  rt_run(&ctx, note_time); /* no sources: one final batch */
  CU_ASSERT_EQUAL(first_time, z + 100);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

static void test_fatal(void) {
  char errpath[] = "/tmp/dsc_rt_cfg_XXXXXX";
  int fd = mkstemp(errpath);
  CU_ASSERT_FATAL(fd >= 0);
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 2);
    dsc_rt_program prog;
    rt_program_init(&prog);
    dsc_rt_program_name(&prog, "wc");
    rt_options opt = {.interval_ms = 1000, .threads = 1};
    dsc_rt_ctx ctx;
    rt_ctx_init(&ctx, &prog, &opt);
    dsc_rt_fatal(&ctx, "window 10s is not a multiple of --batch 3s");
    _exit(0);
  }
  int status;
  CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 2);
  char text[256] = {0};
  CU_ASSERT(pread(fd, text, sizeof text - 1, 0) > 0);
  CU_ASSERT_STRING_EQUAL(text, "wc: error: window 10s is not a multiple of --batch 3s\n");
  close(fd);
  unlink(errpath);
}

static void test_stats_option(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  dsc_rt_program_name(&prog, "st");
  rt_options opt;
  char err[256];
  char s1[] = "st", s2[] = "--stats", s3[] = "--stats=1";
  char *argv[] = {s1, s2, NULL};
  CU_ASSERT_EQUAL_FATAL(rt_parse_args(&prog, 2, argv, &opt, err, sizeof err), RT_ARGS_OK);
  CU_ASSERT_EQUAL(opt.stats, 1);
  char *argv2[] = {s1, s3, NULL};
  CU_ASSERT_EQUAL(rt_parse_args(&prog, 2, argv2, &opt, err, sizeof err), RT_ARGS_ERROR);
  CU_ASSERT_EQUAL(rt_parse_args(&prog, 1, argv, &opt, err, sizeof err), RT_ARGS_OK);
  CU_ASSERT_EQUAL(opt.stats, 0);
  dsc_rt_buf b = {0};
  rt_usage(&prog, &b);
  rt_buf_reserve(&b, 1);
  b.data[b.len] = 0;
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "\n  --stats "));
  rt_buf_free(&b);

  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  ctx.batches_run = 3, ctx.records_run = 12, ctx.early_calls = 5, ctx.early_shared = 2;
  char line[256];
  rt_stats_line(&ctx, line, sizeof line);
  long kib = 0, early = 0, shared = 0;
  CU_ASSERT_EQUAL(sscanf(line, "st: stats: batches=3 records=12 peak_rss_kib=%ld early_shared=%ld early_starts=%ld\n",
                         &kib, &shared, &early), 3);
  CU_ASSERT(kib > 0);
  CU_ASSERT_EQUAL(early, 5);
  CU_ASSERT_EQUAL(shared, 2);
  CU_ASSERT_EQUAL(line[strlen(line) - 1], '\n');
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("config", NULL, NULL);
  CU_add_test(s, "batch interval and zero time", test_interval_and_zero_time);
  CU_add_test(s, "wall clock starts at the zero time given out", test_wall_clock_agrees);
  CU_add_test(s, "dsc_rt_fatal", test_fatal);
  CU_add_test(s, "--stats", test_stats_option);
  int failed = dsc_cunit_run();
  return failed;
}
