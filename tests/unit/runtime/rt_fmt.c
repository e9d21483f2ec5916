/* rt_fmt.c — unit tests of Python's text forms: repr(float), repr(str), pprint headers. */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static void check_float(double v, const char *want) {
  char got[40];
  rt_float_repr(v, got);
  if (strcmp(got, want)) fprintf(stderr, "\n  repr(%.17g): got '%s', want '%s'\n", v, got, want);
  CU_ASSERT_STRING_EQUAL(got, want);
}

static void test_float_repr(void) {
  check_float(0.1, "0.1");
  check_float(1.0, "1.0");
  check_float(-1.0, "-1.0");
  check_float(0.0, "0.0");
  check_float(-0.0, "-0.0");
  check_float(1e16, "1e+16");
  check_float(1.5e16, "1.5e+16");
  check_float(9999999999999998.0, "9999999999999998.0");
  check_float(123456789012345.0, "123456789012345.0");
  check_float(1.5e-5, "1.5e-05");
  check_float(0.0001, "0.0001");
  check_float(0.00012345, "0.00012345");
  check_float(1e-5, "1e-05");
  check_float(1e22, "1e+22");
  check_float(1e-300, "1e-300");
  check_float(5e-324, "5e-324");
  check_float(1.7976931348623157e308, "1.7976931348623157e+308");
  check_float(0.1 + 0.2, "0.30000000000000004");
  check_float(2.5, "2.5");
  check_float(100.0, "100.0");
  check_float(123.456, "123.456");
  check_float(1.0 / 3.0, "0.3333333333333333");
  check_float(2.0 / 3.0, "0.6666666666666666");
  check_float(1e15, "1000000000000000.0");
  check_float(INFINITY, "inf");
  check_float(-INFINITY, "-inf");
  check_float(NAN, "nan");
  dsc_rt_buf b = {0};
  dsc_rt_buf_float(&b, 3.0);
  dsc_rt_buf_int(&b, -42);
  dsc_rt_buf_bool(&b, 1);
  dsc_rt_buf_bool(&b, 0);
  CU_ASSERT_EQUAL(b.len, strlen("3.0-42TrueFalse"));
  CU_ASSERT(!memcmp(b.data, "3.0-42TrueFalse", b.len));
  rt_buf_free(&b);
}

static void check_repr(const char *s, size_t n, const char *want) {
  dsc_rt_buf b = {0};
  dsc_rt_buf_str_repr(&b, s, (int64_t)n);
  int ok = b.len == strlen(want) && !memcmp(b.data, want, b.len);
  if (!ok) fprintf(stderr, "\n  repr: got [%.*s], want [%s]\n", (int)b.len, b.data, want);
  CU_ASSERT(ok);
  rt_buf_free(&b);
}
#define R(lit, want) check_repr(lit, sizeof(lit) - 1, want)

static void test_str_repr(void) {
  R("hello", "'hello'");
  R("", "''");
  R("it's", "\"it's\"");
  R("say \"hi\"", "'say \"hi\"'");
  R("both ' and \"", "'both \\' and \"'");
  R("back\\slash", "'back\\\\slash'");
  R("a\nb\rc\td", "'a\\nb\\rc\\td'");
  R("\x01\x1f\x7f", "'\\x01\\x1f\\x7f'");
  R("nul\0byte", "'nul\\x00byte'");
  R("caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80", "'caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80'");
  R("\xc2\x85\xc2\x9f", "'\\x85\\x9f'");          /* C1 controls */
  R("\xc2\xa0\xc2\xad", "'\\xa0\\xad'");          /* NBSP, soft hyphen */
  R("\xe2\x80\xa8\xe2\x80\xa9", "'\\u2028\\u2029'");
  R("\xe2\x80\x8b\xe2\x80\x8f\xef\xbb\xbf", "'\\u200b\\u200f\\ufeff'");
  R("\xef\xbf\xb9\xef\xbf\xbb", "'\\ufff9\\ufffb'");
  R("\xe3\x80\x80", "'\\u3000'");                 /* ideographic space */
  R("\xef\xbf\xbd", "'\xef\xbf\xbd'");            /* U+FFFD is printable */
  R("\xf3\xa0\x80\x81", "'\\U000e0001'");         /* language tag */
}

/* Strings of tokens whose repr is known (plain ASCII, the quotes, backslashes, control bytes,
 * printable and non-printable UTF-8), long and short, at every offset of the 16-byte blocks the
 * plain runs are copied in: repr is the tokens' reprs, inside the quote Python would choose. */
static void test_str_repr_random(void) {
  static const char *const tokens[][2] = {
      {"a", "a"},       {"Z", "Z"},       {" ", " "},           {"~", "~"},
      {"0", "0"},       {"-", "-"},       {"\\", "\\\\"}, {"\n", "\\n"},
      {"\t", "\\t"}, {"\x01", "\\x01"}, {"\x7f", "\\x7f"}, {"\xc3\xa9", "\xc3\xa9"},
      {"\xe2\x82\xac", "\xe2\x82\xac"}, {"\xc2\xad", "\\xad"}, {"\xe2\x80\xa8", "\\u2028"},
      {"'", NULL},      {"\"", NULL}};
  enum { NTOKENS = sizeof tokens / sizeof tokens[0] };
  uint32_t seed = 7;
  char in[512], want[2048];
  for (int round = 0; round < 20000; round++) {
    int ntok = (int)((seed = seed * 1103515245u + 12345u) >> 8) % 60, len = 0, sq = 0, dq = 0;
    int picks[60];
    for (int k = 0; k < ntok; k++) {
      seed = seed * 1103515245u + 12345u;
      uint32_t r = (seed >> 8) % 100;
      picks[k] = r < 70 ? (int)(r % 5) : (int)(r % NTOKENS); /* mostly plain runs */
      sq |= picks[k] == NTOKENS - 2, dq |= picks[k] == NTOKENS - 1;
    }
    char q = sq && !dq ? '"' : '\'';
    int wlen = 0;
    want[wlen++] = q;
    for (int k = 0; k < ntok; k++) {
      const char *t = tokens[picks[k]][0];
      memcpy(in + len, t, strlen(t)), len += (int)strlen(t);
      const char *r = tokens[picks[k]][1];
      if (!r) { /* a quote: escaped when it is the one chosen */
        if (*t == q) want[wlen++] = '\\';
        want[wlen++] = *t;
      } else {
        memcpy(want + wlen, r, strlen(r)), wlen += (int)strlen(r);
      }
    }
    want[wlen++] = q;
    want[wlen] = 0;
    check_repr(in, (size_t)len, want);
  }
}

/* Integers as Python prints them, against snprintf: every width, both signs, the extremes. */
/* repr(float) by the definition: the rounding at the first precision from one digit on that
 * reads back to v (what fmt.c did before it started at 15 digits), as %e text. */
static void float_repr_reference(double v, char *sci, size_t size) {
  for (int prec = 0; prec <= 16; prec++) {
    snprintf(sci, size, "%.*e", prec, v);
    if (strtod(sci, NULL) == v) break;
  }
}

/* The significant digits of a number's text (%e or repr's layout): no sign, point, exponent,
 * leading or trailing zeros. */
static void significant_digits(const char *s, char *digits) {
  int nd = 0;
  for (const char *p = s; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9' && (nd || *p != '0')) digits[nd++] = *p;
  while (nd > 0 && digits[nd - 1] == '0') nd--;
  digits[nd] = 0;
}

/* Whether repr(v) has the significant digits the definition gives, and reads back to v. */
static int repr_is_shortest(double v) {
  char got[64], want[64], gd[40], wd[40];
  rt_float_repr(v, got);
  float_repr_reference(v, want, sizeof want);
  significant_digits(got, gd);
  significant_digits(want, wd);
  int ok = !strcmp(gd, wd) && strtod(got, NULL) == v;
  if (!ok) fprintf(stderr, "\n  repr(%.17g): got %s, reference %s\n", v, got, want);
  return ok;
}

/* Thousands of doubles (random bits, quotients of small integers, decimals, powers of ten,
 * subnormals): the same significant digits as the definition gives, and the text reads back. */
static void test_float_repr_shortest(void) {
  uint64_t x = 88172645463325252u;
  for (int i = 0; i < 30000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double v;
    switch (i % 5) {
    case 0: memcpy(&v, &x, 8); break;                                   /* any bits */
    case 1: v = (double)(x % 100000) / (double)(1 + (x >> 40) % 997); break;
    case 2: v = (double)(int64_t)(x % 2000001 - 1000000) / 1000.0; break;
    case 3: v = pow(10.0, (double)((int)(x % 600) - 300)) * (1 + (double)(x >> 50) / 1e4); break;
    default: v = (double)(x >> 12) * 4.9406564584124654e-324; break;       /* subnormals */
    }
    if (isnan(v) || isinf(v) || v == 0) continue;
    CU_ASSERT_FATAL(repr_is_shortest(v));
  }
}

/* The magnitudes fmt.c answers in integers (1e-5 to 1e16), where ties and power-of-2 edges
 * are: uniform in log scale, integers and halves, quarters and eighths of 15-17 digits (ties of
 * the 15- and 16-digit roundings), powers of two and their neighbours (a closer double below),
 * decimals of 1-17 digits.  Same check as above. */
static void test_float_repr_exact_range(void) {
  uint64_t x = 1181783497276652981u;
  for (int i = 0; i < 200000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    double v, frac = (double)(x >> 11) / 9007199254740992.0; /* [0, 1) */
    switch (i % 6) {
    case 0: v = pow(10.0, -5 + 21 * frac); break;
    case 1: v = (double)(x % UINT64_C(9007199254740992)) + (double)(x >> 61) / 8.0; break;
    case 2: v = (double)(x % UINT64_C(100000000000000000)) / pow(10.0, (double)(x >> 59)); break;
    case 3: v = ldexp(1.0, (int)(x % 70) - 16); break;
    case 4: v = nextafter(ldexp(1.0, (int)(x % 70) - 16), (x >> 63) ? 0.0 : INFINITY); break;
    default: v = (double)(x % 1000000) / pow(10.0, (double)((x >> 60) % 12)); break;
    }
    if (!(v >= 1e-5 && v < 1e16)) continue;
    CU_ASSERT_FATAL(repr_is_shortest(v));
  }
  check_float(2251799813685248.5, "2251799813685248.5");
  check_float(0.30000000000000004, "0.30000000000000004");
  check_float(9007199254740991.0, "9007199254740991.0");
  check_float(9999999999999998.0, "9999999999999998.0");
  check_float(1e-05, "1e-05");
  check_float(2.5e-05, "2.5e-05");
  check_float(0.000123, "0.000123");
}

static void test_int_format(void) {
  char got[32], want[32];
  uint64_t u = 1;
  for (int i = 0; i < 64; i++, u = u * 3 + (uint64_t)i) { /* wraps: unsigned */
    for (int sign = -1; sign <= 1; sign += 2) {
      int64_t x = sign * (int64_t)(u >> 1);
      int n = rt_int_format(x, got);
      snprintf(want, sizeof want, "%lld", (long long)x);
      CU_ASSERT_STRING_EQUAL(got, want);
      CU_ASSERT_EQUAL(n, (int)strlen(want));
    }
  }
  static const int64_t edges[] = {0, 9, 10, 99, 100, 101, -1, -10, -99, -100, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
    rt_int_format(edges[i], got);
    snprintf(want, sizeof want, "%lld", (long long)edges[i]);
    CU_ASSERT_STRING_EQUAL(got, want);
  }
}

static void test_time_format(void) {
  char out[64];
  rt_format_time(10000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "1970-01-01 00:00:10");
  rt_format_time(1413300321000, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "2014-10-14 15:25:21");
  rt_format_time(1500, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "1970-01-01 00:00:01.500000");
  rt_format_time(-500, out, sizeof out);
  CU_ASSERT_STRING_EQUAL(out, "1969-12-31 23:59:59.500000");
}

static void test_pprint(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 500, .threads = 1};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  dsc_rt_batch batch = {.time_ms = 20500};
  dsc_rt_print_begin(&ctx, &batch);
  dsc_rt_buf *b = dsc_rt_output(&ctx);
  dsc_rt_buf_bytes(b, "x\n", 2);
  /* Check before print_end flushes it to stdout. */
  const char *want = "-------------------------------------------\n"
                     "Time: 1970-01-01 00:00:20.500000\n"
                     "-------------------------------------------\n"
                     "x\n";
  CU_ASSERT_EQUAL(b->len, strlen(want));
  CU_ASSERT(!memcmp(b->data, want, b->len));
  b->len = 0;
  dsc_rt_buf_bytes(b, "y\n", 2);
  rt_buf_reserve(b, 0);
  size_t before = b->len;
  CU_ASSERT_EQUAL(before, 2);
  b->len = 0;
  rt_buf_cstr(b, "");
  CU_ASSERT_EQUAL(b->len, 0);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

int main(void) {
  setenv("TZ", "UTC", 1);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("formatting", NULL, NULL);
  CU_add_test(s, "repr(float)", test_float_repr);
  CU_add_test(s, "repr(float) is the shortest", test_float_repr_shortest);
  CU_add_test(s, "repr(float) in integers, 1e-5 to 1e16", test_float_repr_exact_range);
  CU_add_test(s, "int", test_int_format);
  CU_add_test(s, "repr(str)", test_str_repr);
  CU_add_test(s, "repr(str) of random strings", test_str_repr_random);
  CU_add_test(s, "batch time format", test_time_format);
  CU_add_test(s, "pprint header", test_pprint);
  int failed = dsc_cunit_run();
  return failed;
}
