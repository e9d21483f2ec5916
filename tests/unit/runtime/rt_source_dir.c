/* rt_source_dir.c — unit tests of textFiles: a real directory watched by the receiver thread.
 * Files are written in a staging directory and renamed in, as producers should; dot files,
 * names not matching the glob, files present at start, rewrites and unreadable entries
 * (dangling symlink, FIFO, directory: tests run as root, where chmod 000 still reads) are
 * checked, then whole manual-clock runs with `@batch` lines and the `@end` file. */
#include <CUnit/Basic.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lines_text.h"
#include "rt_internal.h"
#include "../cunit_main.h"

static char watched[64], staging[64];

static void make_dirs(void) {
  strcpy(watched, "/tmp/dsc_rt_dir_w_XXXXXX");
  strcpy(staging, "/tmp/dsc_rt_dir_s_XXXXXX");
  CU_ASSERT_FATAL(mkdtemp(watched) != NULL);
  CU_ASSERT_FATAL(mkdtemp(staging) != NULL);
}

static void remove_dirs(void) {
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", watched, staging);
  CU_ASSERT(system(cmd) == 0);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  CU_ASSERT_FATAL(f != NULL);
  fputs(text, f);
  fclose(f);
}

/* Writes name in the staging directory and renames it into the watched one. */
static void put(const char *name, const char *text) {
  char from[256], to[256];
  snprintf(from, sizeof from, "%s/%s", staging, name);
  snprintf(to, sizeof to, "%s/%s", watched, name);
  write_file(from, text);
  CU_ASSERT_FATAL(rename(from, to) == 0);
}

static void put_in_place(const char *name, const char *text) {
  char to[256];
  snprintf(to, sizeof to, "%s/%s", watched, name);
  write_file(to, text);
}

static int64_t cur_count(dsc_rt_ctx *ctx, rt_source *s) {
  pthread_mutex_lock(&ctx->mu);
  int64_t n = s->cur.count;
  pthread_mutex_unlock(&ctx->mu);
  return n;
}

/* Waits up to 5 s for the source's unsealed lines to reach n. */
static int wait_count(dsc_rt_ctx *ctx, rt_source *s, int64_t n) {
  for (int i = 0; i < 500; i++) {
    if (cur_count(ctx, s) >= n) return cur_count(ctx, s) == n;
    usleep(10000);
  }
  return 0;
}

/* Line i of unsealed lines. */
static void line_at(const rt_lines *l, int64_t i, char *out, size_t outsz) {
  if (!lines_at(l, i, out, outsz)) snprintf(out, outsz, "(no line %d)", (int)i);
}

static char *read_all(const char *path) {
  static char text[8192];
  FILE *f = fopen(path, "r");
  size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
  text[n] = 0;
  if (f) fclose(f);
  return text;
}

static void test_watch(void) {
  make_dirs();
  char path[256], line[64];
  snprintf(path, sizeof path, "%s/old.log", watched);
  write_file(path, "old\n"); /* present at start, existing = 0: skipped */

  char errpath[] = "/tmp/dsc_rt_dir_err_XXXXXX";
  int errfd = mkstemp(errpath), saved = dup(2);
  CU_ASSERT_FATAL(errfd >= 0);
  fflush(stderr);
  dup2(errfd, 2);

  dsc_rt_program prog;
  rt_program_init(&prog);
  dsc_rt_program_name(&prog, "wd");
  rt_options opt = {.interval_ms = 1000, .threads = 1};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  int32_t idx = dsc_rt_source_dir(&ctx, watched, (int64_t)strlen(watched), "*.log", 5, 0);
  CU_ASSERT_EQUAL(idx, 0);
  rt_source *s = ctx.sources[idx];
  CU_ASSERT_PTR_EQUAL(s->receive, rt_dir_receiver);
  ctx.started = 1;
  pthread_create(&s->thread, NULL, rt_dir_receiver, s);

  put("a.log", "one\r\ntwo\n");
  CU_ASSERT(wait_count(&ctx, s, 2));
  put(".hidden.log", "hidden\n");
  put("b.txt", "no match\n");
  put("c.log", "three"); /* no final terminator: still a line */
  CU_ASSERT(wait_count(&ctx, s, 3));

  /* Unreadable entries are reported and skipped. */
  char from[256], to[256];
  snprintf(from, sizeof from, "%s/bad.log", staging);
  CU_ASSERT(symlink("/nonexistent/dsc/target", from) == 0);
  snprintf(to, sizeof to, "%s/bad.log", watched);
  CU_ASSERT(rename(from, to) == 0);
  snprintf(from, sizeof from, "%s/fifo.log", staging);
  CU_ASSERT(mkfifo(from, 0600) == 0);
  snprintf(to, sizeof to, "%s/fifo.log", watched);
  CU_ASSERT(rename(from, to) == 0);
  snprintf(from, sizeof from, "%s/dir.log", staging);
  CU_ASSERT(mkdir(from, 0700) == 0);
  snprintf(to, sizeof to, "%s/dir.log", watched);
  CU_ASSERT(rename(from, to) == 0);
  put("d.log", "four\n");
  CU_ASSERT(wait_count(&ctx, s, 4));

  /* Exactly once: rewriting a taken file in place is ignored; written in place (closed) a new
   * name is taken; a taken name that left and came back is a new file. */
  put_in_place("a.log", "one again\n");
  put_in_place("e.log", "five\n");
  CU_ASSERT(wait_count(&ctx, s, 5));
  snprintf(path, sizeof path, "%s/a.log", watched);
  CU_ASSERT(unlink(path) == 0);
  put("a.log", "six\n");
  CU_ASSERT(wait_count(&ctx, s, 6));

  static const char *want[] = {"one", "two", "three", "four", "five", "six"};
  pthread_mutex_lock(&ctx.mu);
  CU_ASSERT_EQUAL(s->cur.count, 6);
  for (int64_t i = 0; i < 6 && i < s->cur.count; i++) {
    line_at(&s->cur, i, line, sizeof line);
    CU_ASSERT_STRING_EQUAL(line, want[i]);
  }
  pthread_mutex_unlock(&ctx.mu);

  rt_request_stop(&ctx);
  pthread_join(s->thread, NULL);
  CU_ASSERT_EQUAL(s->ended, 1);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);

  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(errfd);
  const char *err = read_all(errpath);
  unlink(errpath);
  char msg[512];
  snprintf(msg, sizeof msg, "wd: textFiles: cannot read '%s/bad.log': No such file or directory\n", watched);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
  snprintf(msg, sizeof msg, "wd: textFiles: cannot read '%s/fifo.log': not a regular file\n", watched);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
  snprintf(msg, sizeof msg, "wd: textFiles: cannot read '%s/dir.log': Is a directory\n", watched);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, msg));
  CU_ASSERT_PTR_NULL(strstr(err, "hidden"));
  remove_dirs();
}

/* ---- whole manual-clock runs ---- */

typedef struct seen {
  int nbatches;          /* batches run */
  int64_t time[8];       /* their times */
  char text[8][256];     /* lines of each batch joined by '|' */
  int64_t lines[8];      /* how many, as dsc_rt_source_lines says */
} seen;
static seen got;

static void record(dsc_rt_ctx *ctx, dsc_rt_batch *b) {
  int k = got.nbatches++;
  if (k >= 8) return;
  got.time[k] = dsc_rt_batch_time(b);
  lines_joined(rt_batch_source_lines(b, 0), got.text[k], sizeof got.text[k]);
  got.lines[k] = dsc_rt_source_lines(b, 0);
}

typedef struct feeder {
  const char *const *files; /* name, content, name, content, ..., NULL */
} feeder;

static void *feed_main(void *arg) {
  const feeder *f = arg;
  for (const char *const *p = f->files; *p; p += 2) {
    usleep(20000);
    put(p[0], p[1]);
  }
  return NULL;
}

static void manual_run(int existing, const char *const *files) {
  memset(&got, 0, sizeof got);
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .threads = 1, .manual_clock = 1, .start_time_ms = 5000};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  dsc_rt_source_dir(&ctx, watched, (int64_t)strlen(watched), "*", 1, existing);
  ctx.started = 1;
  rt_source *s = ctx.sources[0];
  pthread_create(&s->thread, NULL, rt_dir_receiver, s);
  feeder f = {files};
  pthread_t t;
  pthread_create(&t, NULL, feed_main, &f);
  rt_run(&ctx, record);
  pthread_join(t, NULL);
  pthread_join(s->thread, NULL);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

static void test_manual_existing(void) {
  make_dirs();
  char path[256];
  snprintf(path, sizeof path, "%s/b.log", watched);
  write_file(path, "b1\n@batch\nb2\n");
  snprintf(path, sizeof path, "%s/a.log", watched);
  write_file(path, "a1\n");
  snprintf(path, sizeof path, "%s/.skip", watched);
  write_file(path, "dot\n");
  static const char *const files[] = {"c.log", "c1\n@batch\n", "d.log", "d1\n", "@end", "",
                                      "z.log", "after end\n", NULL};
  manual_run(1, files);
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 3);
  CU_ASSERT_EQUAL(got.time[0], 6000);
  CU_ASSERT_STRING_EQUAL(got.text[0], "a1|b1"); /* present at start: name order, first batch */
  CU_ASSERT_STRING_EQUAL(got.text[1], "b2|c1");
  CU_ASSERT_STRING_EQUAL(got.text[2], "d1"); /* the final batch: @end ended the source */
  CU_ASSERT_EQUAL(got.time[2], 8000);
  CU_ASSERT_EQUAL(got.lines[0], 2);
  CU_ASSERT_EQUAL(got.lines[1], 2);
  CU_ASSERT_EQUAL(got.lines[2], 1);
  remove_dirs();
}

static void test_manual_new_only(void) {
  make_dirs();
  char path[256];
  snprintf(path, sizeof path, "%s/old.log", watched);
  write_file(path, "old\n");
  snprintf(path, sizeof path, "%s/@end", watched); /* present at start: skipped too */
  write_file(path, "");
  static const char *const files[] = {"x.log", "x1\nx2\n", "@end", "", NULL};
  manual_run(0, files);
  CU_ASSERT_EQUAL_FATAL(got.nbatches, 1);
  CU_ASSERT_STRING_EQUAL(got.text[0], "x1|x2");
  CU_ASSERT_EQUAL(got.time[0], 6000);
  remove_dirs();
}

static void test_missing_dir_is_fatal(void) {
  fflush(stdout), fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 2);
    dsc_rt_program prog;
    rt_program_init(&prog);
    rt_options opt = {.interval_ms = 1000, .threads = 1};
    dsc_rt_ctx ctx;
    rt_ctx_init(&ctx, &prog, &opt);
    dsc_rt_source_dir(&ctx, "/nonexistent/dsc", 16, "*", 1, 0);
    _exit(0);
  }
  int status;
  CU_ASSERT_FATAL(waitpid(pid, &status, 0) == pid);
  CU_ASSERT(WIFEXITED(status) && WEXITSTATUS(status) == 1);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("textFiles", NULL, NULL);
  CU_add_test(s, "watch: new files, dot files, glob, unreadable, once", test_watch);
  CU_add_test(s, "manual clock, existing = 1, @batch and @end", test_manual_existing);
  CU_add_test(s, "manual clock, existing = 0", test_manual_new_only);
  CU_add_test(s, "missing directory is fatal", test_missing_dir_is_fatal);
  int failed = dsc_cunit_run();
  return failed;
}
