/* rt_args.c — unit tests of the command line: durations, parameter values, options, errors,
 * and the batch-time alignment. */
#include <CUnit/Basic.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static void test_durations(void) {
  int64_t ms = 0;
  CU_ASSERT_EQUAL(rt_parse_duration("500ms", &ms), 0);
  CU_ASSERT_EQUAL(ms, 500);
  CU_ASSERT_EQUAL(rt_parse_duration("2s", &ms), 0);
  CU_ASSERT_EQUAL(ms, 2000);
  CU_ASSERT_EQUAL(rt_parse_duration("1min", &ms), 0);
  CU_ASSERT_EQUAL(ms, 60000);
  CU_ASSERT_EQUAL(rt_parse_duration("3h", &ms), 0);
  CU_ASSERT_EQUAL(ms, 3 * 3600000);
  const char *bad[] = {"", "0s", "10", "s", "1.5s", "-1s", "1 s", "1m", "1sec", "99999999999999999999ms",
                       "9223372036854775807h"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) CU_ASSERT_NOT_EQUAL(rt_parse_duration(bad[i], &ms), 0);
  char out[32];
  rt_format_duration(10000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "10s");
  rt_format_duration(90000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "90s");
  rt_format_duration(120000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "2min");
  rt_format_duration(7200000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "2h");
  rt_format_duration(1500, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "1500ms");
}

static void test_values(void) {
  rt_param p = {.type = DSC_RT_INT};
  CU_ASSERT_EQUAL(rt_parse_value(&p, "-12"), 0);
  CU_ASSERT_EQUAL(p.i, -12);
  CU_ASSERT_EQUAL(rt_parse_value(&p, "+7"), 0);
  CU_ASSERT_EQUAL(p.i, 7);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, "12x"), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, ""), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, " 1"), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, "99999999999999999999"), 0);
  p.type = DSC_RT_FLOAT;
  CU_ASSERT_EQUAL(rt_parse_value(&p, "2.5e3"), 0);
  CU_ASSERT_DOUBLE_EQUAL(p.f, 2500.0, 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, "2.5x"), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, ""), 0);
  p.type = DSC_RT_BOOL;
  CU_ASSERT_EQUAL(rt_parse_value(&p, "true"), 0);
  CU_ASSERT_EQUAL(p.b, 1);
  CU_ASSERT_EQUAL(rt_parse_value(&p, "false"), 0);
  CU_ASSERT_EQUAL(p.b, 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, "True"), 0);
  CU_ASSERT_NOT_EQUAL(rt_parse_value(&p, "1"), 0);
  p.type = DSC_RT_STRING;
  CU_ASSERT_EQUAL(rt_parse_value(&p, ""), 0);
  CU_ASSERT_STRING_EQUAL(p.s, "");
}

static dsc_rt_program prog;

static void describe(void) {
  rt_program_free(&prog);
  rt_program_init(&prog);
  dsc_rt_program_name(&prog, "wordcount");
  dsc_rt_program_batch(&prog, 10000);
  dsc_rt_program_param(&prog, "host", DSC_RT_STRING, "localhost");
  dsc_rt_program_param(&prog, "port", DSC_RT_INT, NULL);
  dsc_rt_program_param(&prog, "ratio", DSC_RT_FLOAT, "0.5");
  dsc_rt_program_param(&prog, "verbose", DSC_RT_BOOL, "false");
}

static int parse(rt_options *opt, char *err, const char **args) {
  static char name[] = "wordcount";
  char *argv[32] = {name};
  int argc = 1;
  for (; *args; args++) argv[argc++] = (char *)*args;
  describe();
  return rt_parse_args(&prog, argc, argv, opt, err, 256);
}
#define ARGS(...) (const char *[]){__VA_ARGS__, NULL}

static void test_args_ok(void) {
  rt_options opt;
  char err[256] = "";
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("example.org", "9999")), RT_ARGS_OK);
  CU_ASSERT_STRING_EQUAL(prog.params[0].s, "example.org");
  CU_ASSERT_EQUAL(prog.params[1].i, 9999);
  CU_ASSERT_DOUBLE_EQUAL(prog.params[2].f, 0.5, 0);
  CU_ASSERT_EQUAL(prog.params[3].b, 0);
  CU_ASSERT_EQUAL(opt.interval_ms, 10000);
  CU_ASSERT_EQUAL(opt.max_line_bytes, RT_DEFAULT_MAX_LINE);
  CU_ASSERT_EQUAL(opt.early_bytes, RT_DEFAULT_EARLY_BYTES);
  CU_ASSERT_EQUAL(opt.share_bytes, RT_DEFAULT_SHARE_BYTES);
  CU_ASSERT_EQUAL(opt.batch_tasks, 0); /* no cap */
  CU_ASSERT_EQUAL(opt.manual_clock, 0);
  CU_ASSERT_EQUAL(opt.mmap, 0); /* files are read by default (input_map.c says why) */
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--mmap", "h", "1")), RT_ARGS_OK);
  CU_ASSERT_EQUAL(opt.mmap, 1);
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--mmap", "--no-mmap", "h", "1")), RT_ARGS_OK);
  CU_ASSERT_EQUAL(opt.mmap, 0);

  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--port", "-5", "--verbose=true", "--batch", "500ms",
                                        "--manual-clock", "--start-time=1000", "--threads", "3",
                                        "--stop-at-eof", "--max-line-bytes", "100", "--early-bytes=0",
                                        "--early-share-bytes", "4096", "--batch-tasks", "2")),
                  RT_ARGS_OK);
  CU_ASSERT_STRING_EQUAL(prog.params[0].s, "localhost");
  CU_ASSERT_EQUAL(prog.params[1].i, -5);
  CU_ASSERT_EQUAL(prog.params[3].b, 1);
  CU_ASSERT_EQUAL(opt.interval_ms, 500);
  CU_ASSERT_EQUAL(opt.manual_clock, 1);
  CU_ASSERT_EQUAL(opt.start_time_ms, 1000);
  CU_ASSERT_EQUAL(opt.threads, 3);
  CU_ASSERT_EQUAL(opt.stop_at_eof, 1);
  CU_ASSERT_EQUAL(opt.max_line_bytes, 100);
  CU_ASSERT_EQUAL(opt.early_bytes, 0);
  CU_ASSERT_EQUAL(opt.share_bytes, 4096);
  CU_ASSERT_EQUAL(opt.batch_tasks, 2);

  /* Positional after named, a negative positional, "--" ending options. */
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("h", "-3", "--", "-1.5")), RT_ARGS_OK);
  CU_ASSERT_EQUAL(prog.params[1].i, -3);
  CU_ASSERT_DOUBLE_EQUAL(prog.params[2].f, -1.5, 0);
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--help")), RT_ARGS_HELP);
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--version")), RT_ARGS_VERSION);
  CU_ASSERT_EQUAL(parse(&opt, err, ARGS("--port", "1", "--help")), RT_ARGS_HELP);
}

static void expect_error(const char **args, const char *needle) {
  rt_options opt;
  char err[256] = "";
  CU_ASSERT_EQUAL(parse(&opt, err, args), RT_ARGS_ERROR);
  if (!strstr(err, needle)) fprintf(stderr, "\n  error '%s' lacks '%s'\n", err, needle);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void test_args_errors(void) {
  expect_error(ARGS("h"), "missing required parameter 'port'");
  expect_error(ARGS("h", "x"), "invalid int value 'x' for parameter 'port'");
  expect_error(ARGS("h", "1", "2", "true", "extra"), "too many arguments");
  expect_error(ARGS("h", "1", "--nope"), "unknown option '--nope'");
  expect_error(ARGS("h", "1", "-x"), "unknown option '-x'");
  expect_error(ARGS("h", "1", "--batch", "0ms"), "invalid duration");
  expect_error(ARGS("h", "1", "--early-bytes", "-1"), "invalid value '-1' for --early-bytes");
  expect_error(ARGS("h", "1", "--early-share-bytes", "0"), "invalid value '0' for --early-share-bytes");
  expect_error(ARGS("h", "1", "--batch-tasks", "0"), "invalid value '0' for --batch-tasks");
  expect_error(ARGS("h", "1", "--batch"), "needs a value");
  expect_error(ARGS("h", "1", "--threads", "0"), "--threads");
  expect_error(ARGS("h", "1", "--verbose", "yes"), "invalid bool value 'yes'");
  expect_error(ARGS("h", "1", "--manual-clock=1"), "takes no value");
  expect_error(ARGS("h", "1", "--ratio", "abc"), "invalid float");
}

static void test_usage(void) {
  describe();
  dsc_rt_buf b = {0};
  rt_usage(&prog, &b);
  rt_buf_reserve(&b, 1);
  b.data[b.len] = 0;
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "usage: wordcount [host] port [ratio] [verbose]"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "port"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "required"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "default: localhost"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "(default: 10s)"));
  CU_ASSERT_PTR_NOT_NULL(strstr(b.data, "--manual-clock"));
  rt_buf_free(&b);
}

static void test_alignment(void) {
  CU_ASSERT_EQUAL(rt_first_batch_time(0, 1000), 1000);
  CU_ASSERT_EQUAL(rt_first_batch_time(999, 1000), 1000);
  CU_ASSERT_EQUAL(rt_first_batch_time(1000, 1000), 2000);
  CU_ASSERT_EQUAL(rt_first_batch_time(1413300321123, 10000), 1413300330000);
  CU_ASSERT_EQUAL(rt_first_batch_time(-1, 1000), 0);
  CU_ASSERT_EQUAL(rt_first_batch_time(-1000, 1000), 0);
  int64_t now = rt_now_ms();
  int64_t t = rt_first_batch_time(now, 500);
  CU_ASSERT(t > now && t - now <= 500 && t % 500 == 0);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("command line", NULL, NULL);
  CU_add_test(s, "durations", test_durations);
  CU_add_test(s, "parameter values", test_values);
  CU_add_test(s, "arguments accepted", test_args_ok);
  CU_add_test(s, "arguments rejected", test_args_errors);
  CU_add_test(s, "usage text", test_usage);
  CU_add_test(s, "batch time alignment", test_alignment);
  int failed = dsc_cunit_run();
  rt_program_free(&prog);
  return failed;
}
