/* rt_str.c — unit tests of the string built-ins (Python semantics on UTF-8 views). */
#include <CUnit/Basic.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static dsc_rt_worker w;

#define S(lit) lit, (int64_t)(sizeof(lit) - 1)
#define CU_ASSERT_STR(view, lit) \
  CU_ASSERT((view).len == (int64_t)(sizeof(lit) - 1) && !memcmp((view).ptr, lit, sizeof(lit) - 1))

static void test_find(void) {
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("hello world"), 0, S("o")), 4);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("hello world"), 5, S("o")), 7);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("hello world"), 8, S("o")), -1);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("hello"), 0, S("")), -1);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S(""), 0, S("a")), -1);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("abc"), 10, S("a")), -1);
  CU_ASSERT_EQUAL(dsc_rt_str_find(S("a\0b"), 0, S("\0b")), 1);
}

static void test_spaces(void) {
  const char s[] = " \t\xc2\xa0" "ab\xe3\x80\x80" "c\xe2\x80\x83";  /* NBSP, ideographic, em space */
  int64_t n = sizeof s - 1;
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(s, n, 0), 4);
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(s, n, 4), 6);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(s, n, 6), 9);
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(s, n, 9), 10);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(s, n, 10), n);
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("abc"), 0), 3);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S("\x1c\x1d\x1e\x1fx"), 0), 4);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S("\xc2\x85x"), 0), 2);          /* U+0085 */
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S("\xe2\x80\x8bx"), 0), 0);      /* U+200B is not space */
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S(""), 0), 0);
  /* the word's end: every byte that is not white space, ASCII or not, belongs to the word */
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("a\x01\x08\x0e\x1b\x7f" "!~b c"), 0), 9);
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("ab\x1c" "c"), 0), 2);
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("ab\x0b" "c"), 0), 2);           /* \v */
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("\xc3\xa9t\xc3\xa9\xc2\xa0x"), 0), 5); /* été NBSP */
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("x\xe2\x80\x8by z"), 0), 5);  /* U+200B stays */
  CU_ASSERT_EQUAL(dsc_rt_str_find_space(S("abc"), 1), 3);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S("   \t\n x"), 0), 6);
  CU_ASSERT_EQUAL(dsc_rt_str_skip_space(S("  \x01"), 0), 2);              /* \x01 is a word */
}

static void test_words_and_split(void) {
  dsc_list l;
  dsc_rt_str_words_list(&w, S("  the quick\t\tbrown\xe2\x80\xa8" "fox  "), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 4);
  dsc_str *v = l.data;
  CU_ASSERT_STR(v[0], "the");
  CU_ASSERT_STR(v[2], "brown");
  CU_ASSERT_STR(v[3], "fox");
  dsc_rt_str_words_list(&w, S("   "), &l);
  CU_ASSERT_EQUAL(l.len, 0);
  dsc_rt_str_words_list(&w, S(""), &l);
  CU_ASSERT_EQUAL(l.len, 0);

  dsc_rt_str_split_list(&w, S("a,,b,"), S(","), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 4);
  v = l.data;
  CU_ASSERT_STR(v[0], "a");
  CU_ASSERT_STR(v[1], "");
  CU_ASSERT_STR(v[2], "b");
  CU_ASSERT_STR(v[3], "");
  dsc_rt_str_split_list(&w, S(""), S(","), &l);
  CU_ASSERT_EQUAL(l.len, 1);
  CU_ASSERT_EQUAL(((dsc_str *)l.data)[0].len, 0);
  dsc_rt_str_split_list(&w, S("a::b::::c"), S("::"), &l);
  CU_ASSERT_EQUAL(l.len, 4);
  dsc_rt_str_split_list(&w, S("abc"), S(""), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 1);
  CU_ASSERT_STR(((dsc_str *)l.data)[0], "abc");
  dsc_rt_str_split_list(&w, S("aaa"), S("aa"), &l); /* non-overlapping, as Python */
  CU_ASSERT_EQUAL_FATAL(l.len, 2);
  CU_ASSERT_STR(((dsc_str *)l.data)[1], "a");
}

static void test_case(void) {
  dsc_str o;
  dsc_rt_str_lower(&w, S("Hello WORLD 123"), &o);
  CU_ASSERT_STR(o, "hello world 123");
  dsc_rt_str_upper(&w, S("\xc3\xa9t\xc3\xa9 \xc5\x93"), &o);          /* été œ */
  CU_ASSERT_STR(o, "\xc3\x89T\xc3\x89 \xc5\x92");                      /* ÉTÉ Œ */
  dsc_rt_str_lower(&w, S("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2"), &o); /* ПРИВЕТ */
  CU_ASSERT_STR(o, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
  dsc_rt_str_lower(&w, S("\xce\x9f\xce\x94\xce\x9f\xce\xa3"), &o);     /* ΟΔΟΣ -> οδος (final) */
  CU_ASSERT_STR(o, "\xce\xbf\xce\xb4\xce\xbf\xcf\x82");
  dsc_rt_str_lower(&w, S("\xce\xa3\xce\x91"), &o);                     /* ΣΑ -> σα */
  CU_ASSERT_STR(o, "\xcf\x83\xce\xb1");
  dsc_rt_str_upper(&w, S("\xc3\xbf"), &o);                             /* ÿ -> Ÿ (U+0178) */
  CU_ASSERT_STR(o, "\xc5\xb8");
  dsc_rt_str_upper(&w, S(""), &o);
  CU_ASSERT_EQUAL(o.len, 0);
  dsc_rt_str_upper(&w, S("\xe4\xb8\xad!"), &o);                        /* no case: unchanged */
  CU_ASSERT_STR(o, "\xe4\xb8\xad!");
  /* already in the case asked for: the text itself; changed after a plain prefix: a copy */
  static const char low[] = "already lower 42", up[] = "ALREADY UPPER 42";
  dsc_rt_str_lower(&w, low, (int64_t)strlen(low), &o);
  CU_ASSERT(o.ptr == low && o.len == (int64_t)strlen(low));
  dsc_rt_str_upper(&w, up, (int64_t)strlen(up), &o);
  CU_ASSERT(o.ptr == up && o.len == (int64_t)strlen(up));
  dsc_rt_str_lower(&w, S("words then Capital"), &o);
  CU_ASSERT_STR(o, "words then capital");
  dsc_rt_str_upper(&w, S("ABC\xc3\xa9"), &o); /* a plain prefix, then a letter to map */
  CU_ASSERT_STR(o, "ABC\xc3\x89");
  dsc_rt_str_lower(&w, S("@[`{"), &o);          /* the bytes around the letters stay */
  CU_ASSERT_STR(o, "@[`{");
  dsc_rt_str_upper(&w, S("@[`{"), &o);
  CU_ASSERT_STR(o, "@[`{");
}

static void test_trim_len_substr(void) {
  dsc_str o;
  dsc_rt_str_trim(S(" \t hi there \xe3\x80\x80\n"), &o);
  CU_ASSERT_STR(o, "hi there");
  dsc_rt_str_trim(S("  "), &o);
  CU_ASSERT_EQUAL(o.len, 0);
  dsc_rt_str_trim(S("x\xc3\xa9"), &o);  /* a trailing non-space multibyte char stays */
  CU_ASSERT_STR(o, "x\xc3\xa9");
  CU_ASSERT_EQUAL(dsc_rt_str_len(S("h\xc3\xa9llo \xf0\x9f\x98\x80")), 7);
  CU_ASSERT_EQUAL(dsc_rt_str_len(S("")), 0);

  const char s[] = "h\xc3\xa9llo";  /* héllo */
  int64_t n = sizeof s - 1;
  dsc_rt_str_substr(s, n, 1, 2, &o);
  CU_ASSERT_STR(o, "\xc3\xa9l");
  dsc_rt_str_substr(s, n, -3, 2, &o);
  CU_ASSERT_STR(o, "ll");
  dsc_rt_str_substr(s, n, -10, 2, &o);
  CU_ASSERT_STR(o, "h\xc3\xa9");
  dsc_rt_str_substr(s, n, 3, 100, &o);
  CU_ASSERT_STR(o, "lo");
  dsc_rt_str_substr(s, n, 10, 2, &o);
  CU_ASSERT_EQUAL(o.len, 0);
  dsc_rt_str_substr(s, n, 1, -1, &o);
  CU_ASSERT_EQUAL(o.len, 0);
}

static void test_compare(void) {
  CU_ASSERT(dsc_rt_str_contains(S("hello"), S("ell")));
  CU_ASSERT(dsc_rt_str_contains(S("hello"), S("")));
  CU_ASSERT(!dsc_rt_str_contains(S("he"), S("hello")));
  CU_ASSERT(dsc_rt_str_starts_with(S("hello"), S("he")));
  CU_ASSERT(dsc_rt_str_starts_with(S("hello"), S("")));
  CU_ASSERT(!dsc_rt_str_starts_with(S("h"), S("he")));
  CU_ASSERT(dsc_rt_str_ends_with(S("hello"), S("llo")));
  CU_ASSERT(!dsc_rt_str_ends_with(S("hello"), S("hel")));
  CU_ASSERT_EQUAL(dsc_rt_str_cmp(S("abc"), S("abd")), -1);
  CU_ASSERT_EQUAL(dsc_rt_str_cmp(S("abc"), S("ab")), 1);
  CU_ASSERT_EQUAL(dsc_rt_str_cmp(S(""), S("")), 0);
  CU_ASSERT_EQUAL(dsc_rt_str_cmp(S("\xc3\xa9"), S("z")), 1);  /* bytes = code point order */
  CU_ASSERT(dsc_rt_str_eq(S("a\0b"), S("a\0b")));
  CU_ASSERT(!dsc_rt_str_eq(S("a"), S("ab")));
  dsc_str o;
  dsc_rt_str_concat(&w, S("ab"), S("\xc3\xa9"), &o);
  CU_ASSERT_STR(o, "ab\xc3\xa9");
  dsc_rt_str_concat(&w, S(""), S(""), &o);
  CU_ASSERT_EQUAL(o.len, 0);
}

static void test_to_int(void) {
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("42")), 42);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("  -17\n")), -17);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("+5")), 5);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("12 ")), 12); /* white space on one side only */
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("\t-3")), -3);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("007")), 7);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("1_000_000")), 1000000);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("9223372036854775807")), INT64_MAX);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("-9223372036854775808")), INT64_MIN);
  CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, S("\xc2\xa0" "3\xe3\x80\x80")), 3);
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_INT], 0);
  const char *bad[] = {"", " ", "-", "1.5", "abc", "1 2", "_1", "1_", "1__0", "0x10",
                       "9223372036854775808", "-9223372036854775809", "+-1", "1e3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_EQUAL(dsc_rt_str_to_int(&w, bad[i], (int64_t)strlen(bad[i])), 0);
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_INT], (int64_t)(sizeof bad / sizeof bad[0]));
  rt_worker_reset(&w);
}

/* The next number of a test's pseudo-random sequence. */
static uint32_t next_random(uint32_t *sd) { return *sd = *sd * 1103515245u + 12345u; }

/* A sign ('-' or '+') at text[*len] once in `one_in` (a power of two, at most 16) texts; from
 * the high bits, the LCG's low ones repeat with short periods. */
static void random_sign(uint32_t *sd, uint32_t one_in, char *text, int *len) {
  uint32_t r = next_random(sd);
  if (((r >> 28) & (one_in - 1)) == 0) text[(*len)++] = (r >> 27) & 1 ? '-' : '+';
}

/* Decimal texts of 1 to 20 digits, signed or not, against strtoll (which saturates where toInt
 * fails, counting an error). */
static void test_to_int_digits(void) {
  uint32_t sd = 5;
  char text[32];
  int64_t failed = 0;
  for (int i = 0; i < 200000; i++) {
    int len = 0;
    random_sign(&sd, 4, text, &len);
    int digits = 1 + (int)((next_random(&sd) >> 8) % 20);
    for (int k = 0; k < digits; k++) text[len++] = (char)('0' + (next_random(&sd) >> 8) % 10);
    text[len] = 0;
    errno = 0;
    long long want = strtoll(text, NULL, 10);
    int overflow = errno == ERANGE;
    int64_t got = dsc_rt_str_to_int(&w, text, len);
    failed += overflow;
    if (!overflow && got != want) {
      fprintf(stderr, "\n'%s': %lld, strtoll %lld\n", text, (long long)got, want);
      CU_FAIL_FATAL("toInt differs from strtoll");
    }
    if (overflow) CU_ASSERT_EQUAL_FATAL(got, 0);
  }
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_INT], failed);
  CU_ASSERT(failed > 1000);
  rt_worker_reset(&w);
}

static void test_to_float(void) {
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("1.5")), 1.5, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S(" -2 ")), -2.0, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("1e5")), 1e5, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S(".5")), 0.5, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("5.")), 5.0, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("1_0.2_5")), 10.25, 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("2.5E-3")), 2.5e-3, 0);
  /* past the fast path (too many digits, too big an exponent): strtod, underscores dropped */
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("-1_000_000_000_000_000_000_000.5")),
                         strtod("-1000000000000000000000.5", NULL), 0);
  CU_ASSERT_DOUBLE_EQUAL(dsc_rt_str_to_float(&w, S("1e3_0")), 1e30, 0);
  CU_ASSERT(isinf(dsc_rt_str_to_float(&w, S("inf"))));
  CU_ASSERT(dsc_rt_str_to_float(&w, S("-Infinity")) < 0);
  CU_ASSERT(isinf(dsc_rt_str_to_float(&w, S("1e999"))));
  CU_ASSERT(isnan(dsc_rt_str_to_float(&w, S("NaN"))));
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_FLOAT], 0);
  const char *bad[] = {"", ".", "e5", "1e", "1.2.3", "0x1p3", "nan(1)", "infin", "1_", "1__0",
                       "_1", "1._5", "abc", "1,5", "- 1"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_EQUAL(dsc_rt_str_to_float(&w, bad[i], (int64_t)strlen(bad[i])), 0.0);
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_FLOAT], (int64_t)(sizeof bad / sizeof bad[0]));
  rt_worker_reset(&w);
}

/* The fast path for short decimals (str.c, fast_float) gives strtod's double, bit for bit: for
 * numbers of every shape around its limits (15-20 digits, exponents near +-22, leading and
 * trailing zeros, signs, -0), against strtod of the same text. */
static void test_to_float_exact(void) {
  uint32_t sd = 99;
  char text[64];
  int fast_shapes = 0;
  for (int i = 0; i < 300000; i++) {
    int len = 0;
    random_sign(&sd, 2, text, &len);
    uint32_t shape = next_random(&sd);
    int int_digits = (int)((shape >> 8) % 12), frac_digits = (int)((shape >> 12) % 12);
    if (int_digits + frac_digits == 0) int_digits = 1;
    for (int k = 0; k < int_digits + frac_digits; k++) {
      if (k == int_digits) text[len++] = '.';
      unsigned r = (next_random(&sd) >> 8) % 13; /* zeros and nines more often: carries, leading zeros */
      text[len++] = (char)('0' + (r >= 10 ? (r == 10 ? 0 : 9) : r));
    }
    if (frac_digits == 0 && (sd >> 20) & 1) text[len++] = '.';
    if ((next_random(&sd) >> 9) % 3 == 0) {
      text[len++] = 'e';
      len += snprintf(text + len, sizeof text - (size_t)len, "%d", (int)((sd >> 12) % 61) - 30);
    }
    text[len] = 0;
    double want = strtod(text, NULL), got = dsc_rt_str_to_float(&w, text, len);
    fast_shapes += int_digits + frac_digits <= 15;
    if (memcmp(&want, &got, sizeof want)) {
      fprintf(stderr, "\n'%s': %.17g, strtod %.17g\n", text, got, want);
      CU_FAIL_FATAL("toFloat differs from strtod");
    }
  }
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_PARSE_FLOAT], 0);
  CU_ASSERT(fast_shapes > 100000);
  rt_worker_reset(&w);
}

static void test_to_str(void) {
  dsc_str o;
  dsc_rt_int_to_str(&w, -1234567, &o);
  CU_ASSERT_STR(o, "-1234567");
  dsc_rt_int_to_str(&w, INT64_MIN, &o);
  CU_ASSERT_STR(o, "-9223372036854775808");
  dsc_rt_int_to_str(&w, 0, &o);
  CU_ASSERT_STR(o, "0");
  dsc_rt_float_to_str(&w, 2.0, &o);
  CU_ASSERT_STR(o, "2.0");
  dsc_rt_float_to_str(&w, 0.1 + 0.2, &o);
  CU_ASSERT_STR(o, "0.30000000000000004");
  dsc_rt_bool_to_str(1, &o);
  CU_ASSERT_STR(o, "True");
  dsc_rt_bool_to_str(0, &o);
  CU_ASSERT_STR(o, "False");
  rt_worker_reset(&w);
}

int main(void) {
  rt_worker_init(&w, 0);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("strings", NULL, NULL);
  CU_add_test(s, "find", test_find);
  CU_add_test(s, "skip_space / find_space", test_spaces);
  CU_add_test(s, "words and split", test_words_and_split);
  CU_add_test(s, "lower / upper", test_case);
  CU_add_test(s, "trim, len, substr", test_trim_len_substr);
  CU_add_test(s, "contains, starts, ends, cmp, eq, concat", test_compare);
  CU_add_test(s, "to_int", test_to_int);
  CU_add_test(s, "to_int: digits of every length", test_to_int_digits);
  CU_add_test(s, "to_float", test_to_float);
  CU_add_test(s, "to_float: the fast path is exact", test_to_float_exact);
  CU_add_test(s, "int/float/bool to str", test_to_str);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
