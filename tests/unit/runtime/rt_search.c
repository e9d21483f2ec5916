/* rt_search.c — unit tests of runtime/src/search.c: contains() answers what memmem does, and
 * dsc_rt_json_may_give, the raw search that lets generated code skip parsing lines that cannot
 * hold a literal, answers exactly what a plain byte search answers and never hides a value json()
 * gives; neither reads a byte outside the line (lines that end or begin at an unmapped page);
 * and a site that keeps finding its literal rests and samples again.  ctest runs it twice, with
 * the AVX2 search and with the 16-byte one (DSC_NO_AVX2). */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static dsc_rt_worker w;

static uint32_t seed = 4242;
static uint32_t rand_below(uint32_t n) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 8) % n;
}

/* One search with a fresh site (a fresh site always searches). */
static int may_give(const char *s, int64_t n, const char *lit) {
  dsc_rt_json_prefilter site = {0};
  return dsc_rt_json_may_give(&site, s, n, lit, (int64_t)strlen(lit));
}

/* The contract, byte by byte: the first backslash, or the first lit, between quotes unless it
 * could be the text of a number, true, false, null, NaN, Infinity, an array or an object,
 * whichever comes first; its position, or -1. */
static int64_t plain_position(const char *s, int64_t n, const char *lit) {
  int64_t m = (int64_t)strlen(lit);
  int bare = strchr("-0123456789tfnNI[{", lit[0]) != NULL;
  for (int64_t i = 0; i < n; i++)
    if (s[i] == '\\' || (i + m <= n && !memcmp(s + i, lit, (size_t)m) &&
                          (bare || (i > 0 && s[i - 1] == '"' && i + m < n && s[i + m] == '"'))))
      return i;
  return -1;
}

static int plain_search(const char *s, int64_t n, const char *lit) {
  return !*lit || plain_position(s, n, lit) >= 0;
}

static const char *const literals[] = {"view", "v", "vw", "iew", "12", "-1", "true", "[1]",
                                       "a\"b", "vvvv", "0123456789abcdef0123456789abcdef0123",
                                       "\xc3\xa9t\xc3\xa9"};
enum { NLITERALS = sizeof literals / sizeof literals[0] };

/* Random lines of bytes the search looks at (quotes, backslashes, the literals' bytes), of every
 * length up to 160, at every alignment: the json() search against the byte search, contains()
 * and its position (rt_find) against memmem. */
static void test_matches_plain_search(void) {
  static const char alphabet[] = "\"\"\"\"vvviewwa{}[]:,-0112 tre\xc3\xa9";
  char *buf = malloc(256);
  seed = 4242;
  for (int round = 0; round < 100000; round++) {
    int64_t n = rand_below(161), at = rand_below(64);
    char *s = buf + at;
    for (int64_t i = 0; i < n; i++) {
      uint32_t r = rand_below(1000); /* backslashes rare: most lines are searched to the end */
      s[i] = r < 3 ? '\\' : alphabet[r % (sizeof alphabet - 1)];
    }
    const char *lit = literals[rand_below(NLITERALS)];
    if (rand_below(3) == 0 && n >= (int64_t)strlen(lit) + 2) { /* plant it, quoted */
      int64_t m = (int64_t)strlen(lit), p = rand_below((uint32_t)(n - m - 1));
      s[p] = '"', memcpy(s + p + 1, lit, (size_t)m), s[p + m + 1] = '"';
    }
    int want = plain_search(s, n, lit), got = may_give(s, n, lit);
    if (got != want) fprintf(stderr, "\n'%.*s' lit '%s': got %d\n", (int)n, s, lit, got);
    CU_ASSERT_EQUAL_FATAL(got, want);
    int64_t m = (int64_t)strlen(lit);
    int quoted = !strchr("-0123456789tfnNI[{", lit[0]); /* and where (rt_search_next) */
    CU_ASSERT_EQUAL_FATAL(rt_search_next(s, n, lit, m, quoted, 1), plain_position(s, n, lit));
    const char *hit = memmem(s, (size_t)n, lit, (size_t)m);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_str_contains(s, n, lit, m), hit != NULL);
    if (m > 1) CU_ASSERT_EQUAL_FATAL(rt_find(s, n, lit, m), hit ? hit - s : -1); /* the first */
  }
  free(buf);
}

/* Whatever key json() is asked, when it gives a value equal to the literal the search says 1:
 * random objects whose members hold the literals plainly, with escapes, as other values, inside
 * arrays and longer strings, with white space and cuts. */
static void test_never_hides_a_value(void) {
  static const char *const keys[] = {"\"a\"", "\"t\"", "\"view\"", "\"t\\u0031\""};
  static const char *const ask[] = {"a", "t", "view", "t1"};
  static const char *const values[] = {
      "\"view\"", "\"vi\\u0065w\"", "\"\\u0076iew\"", "\"views\"", "[\"view\"]", "12", "\"12\"",
      "-1", "true", "\"true\"", "[1]", "\"a\\\"b\"", "\"vvvv\"", "\"v\"", "\"vw\"", "null",
      "\"0123456789abcdef0123456789abcdef0123\"", "\"\xc3\xa9t\xc3\xa9\"", "\"\\u00e9t\\u00e9\"",
      "{\"x\":\"view\"}", "\"iew\""};
  static const char *const gaps[] = {"", "", " ", "\n"};
  char line[1024];
  seed = 77;
  for (int round = 0; round < 20000; round++) {
    int len = snprintf(line, sizeof line, "{%s", gaps[rand_below(4)]);
    int members = 1 + (int)rand_below(6);
    for (int k = 0; k < members; k++)
      len += snprintf(line + len, sizeof line - (size_t)len, "%s%s:%s%s", k ? "," : "",
                      keys[rand_below(4)], gaps[rand_below(4)],
                      values[rand_below(sizeof values / sizeof values[0])]);
    len += snprintf(line + len, sizeof line - (size_t)len, "}");
    if (rand_below(4) == 0) len = (int)rand_below((uint32_t)len + 1);
    char *copy = malloc((size_t)len + 1); /* exact size: ASan sees a read past the end */
    memcpy(copy, line, (size_t)len);
    for (int q = 0; q < 4; q++) {
      dsc_str v;
      if (!dsc_rt_json_get(&w, copy, len, ask[q], (int64_t)strlen(ask[q]), &v)) continue;
      for (int l = 0; l < NLITERALS; l++) {
        if ((size_t)v.len != strlen(literals[l]) || memcmp(v.ptr, literals[l], (size_t)v.len))
          continue;
        if (!may_give(copy, len, literals[l]))
          fprintf(stderr, "\nhidden: '%.*s' key %s gives '%s'\n", len, copy, ask[q], literals[l]);
        CU_ASSERT_FATAL(may_give(copy, len, literals[l]));
      }
    }
    free(copy);
    rt_worker_reset(&w);
  }
}

/* Lines that end where an unmapped page begins, and lines that begin where one ends: a read
 * outside the line would fault. */
static void test_reads_stay_in_line(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *map = mmap(NULL, (size_t)page * 3, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  CU_ASSERT_FATAL(map != MAP_FAILED);
  char *mid = map + page;
  CU_ASSERT_FATAL(mprotect(map, (size_t)page, PROT_NONE) == 0);
  CU_ASSERT_FATAL(mprotect(mid + page, (size_t)page, PROT_NONE) == 0);
  memset(mid, 'v', (size_t)page);
  for (int64_t n = 0; n <= 200; n++) {
    for (int l = 0; l < NLITERALS; l++) {
      char *ends_at_guard = mid + page - n;
      CU_ASSERT_EQUAL(may_give(ends_at_guard, n, literals[l]),
                      plain_search(ends_at_guard, n, literals[l]));
      CU_ASSERT_EQUAL(may_give(mid, n, literals[l]), plain_search(mid, n, literals[l]));
      int64_t m = (int64_t)strlen(literals[l]);
      CU_ASSERT_EQUAL(dsc_rt_str_contains(ends_at_guard, n, literals[l], m),
                      memmem(ends_at_guard, (size_t)n, literals[l], (size_t)m) != NULL);
      CU_ASSERT_EQUAL(dsc_rt_str_contains(mid, n, literals[l], m),
                      memmem(mid, (size_t)n, literals[l], (size_t)m) != NULL);
      const char *hit = memmem(mid, (size_t)n, literals[l], (size_t)m);
      if (m > 1) CU_ASSERT_EQUAL(rt_find(mid, n, literals[l], m), hit ? hit - mid : -1);
    }
  }
  munmap(map, (size_t)page * 3);
}

/* A site whose literal is in more than 48 of 64 lines answers 1 unsearched for the next 1,024
 * lines, then searches 64 again; a site that mostly finds nothing keeps searching. */
static void test_busy_site_rests(void) {
  static const char with[] = "{\"t\":\"x\",\"u\":\"view\"}", without[] = "{\"t\":\"click\"}";
  int64_t with_n = (int64_t)strlen(with), without_n = (int64_t)strlen(without);
  dsc_rt_json_prefilter busy = {0}, quiet = {0};
  for (int i = 0; i < 64; i++) { /* 49 lines with the literal: more than 48 */
    const char *line = i < 49 ? with : without;
    int64_t n = i < 49 ? with_n : without_n;
    CU_ASSERT_EQUAL(dsc_rt_json_may_give(&busy, line, n, "view", 4), i < 49);
  }
  for (int i = 0; i < 1024; i++) /* resting: 1 without a search */
    CU_ASSERT_EQUAL(dsc_rt_json_may_give(&busy, without, without_n, "view", 4), 1);
  for (int i = 0; i < 64; i++) /* sampling again, and these 64 find nothing */
    CU_ASSERT_EQUAL(dsc_rt_json_may_give(&busy, without, without_n, "view", 4), 0);
  CU_ASSERT_EQUAL(dsc_rt_json_may_give(&busy, without, without_n, "view", 4), 0); /* no rest */
  for (int i = 0; i < 64 * 20; i++) /* 48 of 64: not more than 48, never rests */
    CU_ASSERT_EQUAL(dsc_rt_json_may_give(&quiet, i % 4 ? with : without,
                                         i % 4 ? with_n : without_n, "view", 4), i % 4 != 0);
}

int main(void) {
  rt_worker_init(&w, 0);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("search", NULL, NULL);
  CU_add_test(s, "random lines against a byte search and memmem", test_matches_plain_search);
  CU_add_test(s, "never hides a value json() gives", test_never_hides_a_value);
  CU_add_test(s, "reads stay in the line", test_reads_stay_in_line);
  CU_add_test(s, "a busy site rests, then samples again", test_busy_site_rests);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
