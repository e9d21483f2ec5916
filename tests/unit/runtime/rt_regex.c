/* rt_regex.c — unit tests of runtime/src/regex.c: matches() and capture() on views, the literal
 * every match must contain (exact for known patterns; for thousands of random patterns, every
 * line glibc's regexec matches contains it, and matching with it answers what regexec alone
 * does), and the workers' own copies of a regex, matched from several threads at once. */
#include <CUnit/Basic.h>
#include <pthread.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

#define S(lit) (lit), (int64_t)(sizeof(lit) - 1)
#define CU_ASSERT_STR(o, lit) \
  CU_ASSERT((o).len == (int64_t)strlen(lit) && !memcmp((o).ptr, lit, strlen(lit)))

static dsc_rt_worker w;
static dsc_rt_program prog;
static dsc_rt_ctx ctx;
static rt_options opt = {.interval_ms = 1000, .threads = 1};

static void test_match_and_capture(void) {
  void *re = dsc_rt_regex_new(&ctx, S("([A-Z]+) ([0-9]+)"));
  CU_ASSERT(dsc_rt_regex_match(re, &w, S("x GET 200 y")));
  CU_ASSERT(!dsc_rt_regex_match(re, &w, S("get 200")));
  dsc_str o;
  /* The view is not NUL-terminated: the match must stop at n. */
  CU_ASSERT(dsc_rt_regex_capture(re, &w, "GET 2009", 7, 2, &o));
  CU_ASSERT_STR(o, "200");
  CU_ASSERT(dsc_rt_regex_capture(re, &w, S("GET 2"), 0, &o));
  CU_ASSERT_STR(o, "GET 2");
  CU_ASSERT(!dsc_rt_regex_capture(re, &w, S("GET 2"), 5, &o));
  CU_ASSERT(!dsc_rt_regex_capture(re, &w, S("GET 2"), -1, &o));
  CU_ASSERT_EQUAL(w.nregex, 1); /* the worker's copy, made once */

  void *code = dsc_rt_regex_new(&ctx, S("code=([0-9]+)"));
  CU_ASSERT(dsc_rt_regex_capture(code, &w, S("status code=404 at"), 1, &o));
  CU_ASSERT_STR(o, "404");
  CU_ASSERT(!dsc_rt_regex_capture(code, &w, S("status code 404"), 1, &o)); /* no "code=" */
  CU_ASSERT(!dsc_rt_regex_match(code, &w, S("code=x")));
  CU_ASSERT(dsc_rt_regex_match(code, &w, "code=1", 6));
  CU_ASSERT(!dsc_rt_regex_match(code, &w, "code=1", 5)); /* the literal, but cut before a digit */
  CU_ASSERT_EQUAL(w.nregex, 1); /* key=value: no regexec, no copy */
  rt_regex_free(re);
  rt_regex_free(code);
  rt_worker_free_regexes(&w);
}

/* The required literal of a pattern, as a NUL-terminated string. */
static const char *literal_of(const char *pattern) {
  static char out[256];
  int64_t n = rt_regex_required_literal(pattern, (int64_t)strlen(pattern), out);
  out[n] = 0;
  return out;
}

static void test_required_literals(void) {
  static const char *const cases[][2] = {
      {"ERROR", "ERROR"},          {"code=([0-9]+)", "code="},   {"^[A-Z]+ ", " "},
      {"ab*c", "a"},               {"abc+d", "abc"},             {"a|b", ""},
      {"(ab)+", ""},               {"a\\.b", "a.b"},             {"x{2,3}yz", "yz"},
      {"x{0,3}y", "y"},            {"x{,3}y", "y"},              {"GET /index", "GET /index"},
      {"[|]abc", "abc"},           {"(a|b)cd", "cd"},            {"a\\|b", "a|b"},
      {"\\w+ERROR", "ERROR"},      {"\\1abc", "abc"},            {"abc?", "ab"},
      {"a.b.cde", "cde"},          {"^abc$", "abc"},             {"[]a]bc", "bc"},
      {"[[:digit:]]+ms", "ms"},    {"", ""},                     {"*a", ""},
      {"a{", ""},                  {"a{x}", ""},                 {"ab\\", ""},
      {"(ab", ""},                 {"ab)", ""},                  {"\xc3\xa9t\xc3\xa9", "t"},
      {"caf\xc3\xa9s+ok", "caf"},  {"a+b+c+", "a"},              {"ERROR: .* disk", "ERROR: "},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *got = literal_of(cases[i][0]);
    if (strcmp(got, cases[i][1]))
      fprintf(stderr, "\npattern '%s': literal '%s', want '%s'\n", cases[i][0], got, cases[i][1]);
    CU_ASSERT_STRING_EQUAL(got, cases[i][1]);
  }
}

static void test_plain_patterns(void) {
  static const struct {
    const char *pattern, *lit;
    int anchors;
  } cases[] = {{"ERROR", "ERROR", 0}, {"^GET ", "GET ", 1}, {"done$", "done", 2},
               {"^ok$", "ok", 3},     {"a\\.b", "a.b", 0}, {"x\\$", "x$", 0},
               {"a.b", NULL, 0},      {"ab+", NULL, 0},    {"a\\.?", NULL, 0},
               {"", NULL, 0},         {"^", NULL, 0},      {"$", NULL, 0},
               {"a^b", NULL, 0},      {"a$b", NULL, 0},    {"caf\xc3\xa9", NULL, 0},
               {"a]", NULL, 0},       {"\\w", NULL, 0},    {"a|b", NULL, 0}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char out[64];
    int anchors;
    int64_t n = rt_regex_plain(cases[i].pattern, (int64_t)strlen(cases[i].pattern), out, &anchors);
    if (!cases[i].lit) {
      CU_ASSERT_EQUAL(n, -1);
      continue;
    }
    CU_ASSERT(n == (int64_t)strlen(cases[i].lit) && !memcmp(out, cases[i].lit, (size_t)n));
    CU_ASSERT_EQUAL(anchors, cases[i].anchors);
  }
  /* each kind against lines that have the literal at the start, the end, inside, whole */
  static const char *const lines[] = {"GET /x", "x GET", "GET", "GE", "", "a GET b", "GETGET"};
  static const char *const pats[] = {"GET", "^GET", "GET$", "^GET$"};
  for (int p = 0; p < 4; p++) {
    void *re = dsc_rt_regex_new(&ctx, pats[p], (int64_t)strlen(pats[p]));
    regex_t plain;
    CU_ASSERT_FATAL(regcomp(&plain, pats[p], REG_EXTENDED) == 0);
    for (int l = 0; l < 7; l++) {
      int64_t n = (int64_t)strlen(lines[l]);
      regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)n};
      int want = regexec(&plain, lines[l], 1, &m, REG_STARTEND) == 0;
      CU_ASSERT_EQUAL(dsc_rt_regex_match(re, &w, lines[l], n), want);
    }
    regfree(&plain);
    rt_regex_free(re);
  }
  rt_worker_free_regexes(&w);
}

static uint32_t seed = 2024;
static uint32_t rand_below(uint32_t n) {
  seed = seed * 1103515245u + 12345u;
  return (seed >> 8) % n;
}

/* Random patterns of atoms (letters, escapes, brackets, groups with alternatives, anchors, dots)
 * and quantifiers over the letters of random lines: when regexec matches a line, the line has the
 * literal; and matches() with the literal's search first answers what regexec does. */
static void test_random_patterns(void) {
  static const char *const atoms[] = {"a", "b", "c", "a", "b", ".", "[ab]", "[^a]", "(ab|c)",
                                      "(a)", "\\.", "\\*", "^", "$", "[]a]", "\\b"};
  static const char *const quants[] = {"", "", "", "", "*", "+", "?", "{2}", "{0,1}", "{1,}",
                                       "{,2}"};
  char pattern[128], line[64];
  seed = 2024;
  int compiled = 0, with_literal = 0;
  for (int round = 0; round < 4000; round++) {
    int len = 0, natoms = 1 + (int)rand_below(6);
    for (int k = 0; k < natoms; k++) {
      len += snprintf(pattern + len, sizeof pattern - (size_t)len, "%s%s",
                      atoms[rand_below(sizeof atoms / sizeof atoms[0])],
                      quants[rand_below(sizeof quants / sizeof quants[0])]);
    }
    if (rand_below(8) == 0) len += snprintf(pattern + len, sizeof pattern - (size_t)len, "|ab");
    regex_t plain;
    if (regcomp(&plain, pattern, REG_EXTENDED)) continue;
    compiled++;
    char lit[128];
    int64_t lit_len = rt_regex_required_literal(pattern, len, lit);
    with_literal += lit_len > 0;
    void *re = dsc_rt_regex_new(&ctx, pattern, len);
    for (int l = 0; l < 40; l++) {
      int n = (int)rand_below(20);
      for (int i = 0; i < n; i++) line[i] = "abc.*]"[rand_below(rand_below(4) ? 3 : 6)];
      regmatch_t m = {.rm_so = 0, .rm_eo = n};
      int want = regexec(&plain, n ? line : "", 1, &m, REG_STARTEND) == 0;
      if (want && lit_len && !memmem(line, (size_t)n, lit, (size_t)lit_len)) {
        fprintf(stderr, "\n'%s' matches '%.*s' without '%.*s'\n", pattern, n, line, (int)lit_len,
                lit);
        CU_FAIL_FATAL("a match without the required literal");
      }
      CU_ASSERT_EQUAL_FATAL(dsc_rt_regex_match(re, &w, line, n), want);
    }
    regfree(&plain);
    rt_regex_free(re);
    rt_worker_free_regexes(&w);
  }
  CU_ASSERT(compiled > 2000);
  CU_ASSERT(with_literal > 500); /* the search is really exercised */
}

/* A random line of under max bytes from the first nalpha bytes of alphabet (its NUL among
 * them when nalpha counts it); returns its length. */
static int random_line(uint32_t *sd, char *line, int max, const char *alphabet, int nalpha) {
  *sd = *sd * 1103515245u + 12345u;
  int len = (int)((*sd >> 8) % (uint32_t)max);
  for (int i = 0; i < len; i++) {
    *sd = *sd * 1103515245u + 12345u;
    line[i] = alphabet[(*sd >> 8) % (uint32_t)nalpha];
  }
  return len;
}

/* Whether an engine takes a pattern: each of taken[] (n of them) is, none of left[] (m). */
typedef int (*takes_fn)(const char *pattern);

static void check_taken(takes_fn takes, const char *const *taken, size_t n,
                        const char *const *left, size_t m) {
  for (size_t i = 0; i < n; i++) {
    if (!takes(taken[i])) fprintf(stderr, "\n  not taken: %s\n", taken[i]);
    CU_ASSERT(takes(taken[i]));
  }
  for (size_t i = 0; i < m; i++) {
    if (takes(left[i])) fprintf(stderr, "\n  taken: %s\n", left[i]);
    CU_ASSERT_FALSE(takes(left[i]));
  }
}

static int dfa_takes(const char *pattern) {
  rt_dfa *d = rt_dfa_compile(pattern, (int64_t)strlen(pattern));
  rt_dfa_free(d);
  return d != NULL;
}

static int sre_takes(const char *pattern) {
  rt_sre *re = rt_sre_compile(pattern, (int64_t)strlen(pattern));
  rt_sre_free(re);
  return re != NULL;
}

/* matches() as a DFA (regex_dfa.c): which patterns are taken; and for thousands of random
 * patterns (groups, alternatives, brackets with ranges, classes and negation, anchors anywhere,
 * bounds) over lines of bytes that include NUL, \n and a byte past ASCII, it says what regexec
 * with REG_STARTEND says. */
static void test_dfa_patterns(void) {
  static const char *const taken[] = {"^[a-m].*[aeiou]$", "(GET|HEAD) /[a-z]+", "a{2,3}b",
                                      "[[:digit:]]+$", "x|^y|z$", "(a|b)*c", "^$", "[^a-c]",
                                      "a.b", "\\.\\*", "(ab){2,}"};
  static const char *const left[] = {"\\w+", "(a)\\1", "[[=a=]]", "a||b", "()", "^*", "a{,2}",
                                     "[a-c-e]", "a}", "]", "(a|)"};
  check_taken(dfa_takes, taken, sizeof taken / sizeof taken[0], left, sizeof left / sizeof left[0]);
  /* a pattern whose automaton would be too big is left to regexec too */
  CU_ASSERT_FALSE(dfa_takes("(a|b)*a(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)(a|b)"));

  static const char *const atoms[] = {"a", "b", "c", ".", "[ab]", "[^a]", "[a-c]", "[[:alpha:]]",
                                      "[^[:space:]]", "(a|bc)", "(a*|b)", "\\.", "^", "$",
                                      "[]a]", "(^a|b$)", "\n", "\xc3", "[[:upper:][:punct:]]",
                                      "[^]a-c]"};
  static const char *const quants[] = {"", "", "", "*", "+", "?", "{2}", "{0,1}", "{1,}", "{1,3}"};
  static const char alphabet[] = {'a', 'b', 'c', '.', '\n', '\0', ' ', 'A', (char)0xC3, ']'};
  char pattern[160], line[32];
  uint32_t sd = 77;
  int compiled = 0, taken_n = 0;
  for (int round = 0; round < 6000; round++) {
    int len = 0, natoms = 1 + (int)rand_below(5);
    for (int k = 0; k < natoms; k++) {
      const char *atom = atoms[rand_below(sizeof atoms / sizeof atoms[0])];
      len += snprintf(pattern + len, sizeof pattern - (size_t)len, "%s%s", atom,
                      quants[rand_below(sizeof quants / sizeof quants[0])]);
    }
    if (rand_below(6) == 0) len += snprintf(pattern + len, sizeof pattern - (size_t)len, "|b.");
    regex_t plain;
    if (regcomp(&plain, pattern, REG_EXTENDED)) continue;
    compiled++;
    rt_dfa *d = rt_dfa_compile(pattern, len);
    if (d) {
      taken_n++;
      for (int l = 0; l < 60; l++) {
        int n = random_line(&sd, line, 12, alphabet, (int)sizeof alphabet);
        regmatch_t m = {.rm_so = 0, .rm_eo = n}, groups[16] = {{.rm_so = 0, .rm_eo = n}};
        int want = regexec(&plain, n ? line : "", 1, &m, REG_STARTEND) == 0;
        /* capture() asks for the groups too, and answers no match by the DFA */
        int all = regexec(&plain, n ? line : "", plain.re_nsub + 1, groups, REG_STARTEND) == 0;
        CU_ASSERT_EQUAL_FATAL(all, want);
        if (rt_dfa_match(d, line, n) != want) {
          fprintf(stderr, "\n'%s' (", pattern);
          for (int i = 0; i < len; i++) fprintf(stderr, "%02x", (unsigned char)pattern[i]);
          fprintf(stderr, ") on");
          for (int i = 0; i < n; i++) fprintf(stderr, " %02x", (unsigned char)line[i]);
          fprintf(stderr, ": DFA %d, regexec %d\n", !want, want);
          CU_FAIL_FATAL("the DFA and regexec disagree");
        }
      }
      rt_dfa_free(d);
    }
    regfree(&plain);
  }
  CU_ASSERT(compiled > 3000);
  CU_ASSERT(taken_n > compiled / 2); /* the DFA really is exercised */
}

/* Regexes matched without regexec (regex_simple.c): which are taken; and for thousands of
 * random ones (anchors, characters, bracket expressions, every quantifier, a group) over random
 * lines (NUL and non-ASCII bytes included), the ones taken answer matches() and both groups of
 * capture() exactly as regexec does. */
static void test_simple_patterns(void) {
  static const char *const taken[] = {"req=([a-z0-9]+)", "svc=([^ ]*)", "a\\.b([-x]+)",
                                      "k([a-]+)", "^[0-9T:.-]+ +([A-Z]+)", "code=([0-9]{3}) ",
                                      "^([a-z]+)=", "id=[0-9]+$", "x[ab]{2,4}c", "msg=(.*)",
                                      "id=(.+)$", "a.b"};
  static const char *const left[] = {"req=([a-z]+)?", "req=([[:alpha:]]+)", "req=([]a]+)",
                                     "(a)(b)", "req=([a-z]+)+", "a.*b", "a|b", "[a-z]+",
                                     "req=[a-z]+[a-z]", "x[ab]+b", "a*a", "^a*(a)", "\\w+",
                                     "a{,3}b", "((a))", "a()", "x[a-c-e]+"};
  check_taken(sre_takes, taken, sizeof taken / sizeof taken[0], left, sizeof left / sizeof left[0]);

  /* the literal a match begins with may overlap itself: each occurrence is a start to try */
  void *overlap = dsc_rt_regex_new(&ctx, S("aa(b+)"));
  dsc_str whole;
  CU_ASSERT(dsc_rt_regex_capture(overlap, &w, S("aaab"), 0, &whole));
  CU_ASSERT_STR(whole, "aab");
  rt_regex_free(overlap);

  static const char *const items[] = {"a", "b", "=", " ", "\\.", "[a-c]", "[^ ]", "[ab=]",
                                      "[^a]", "[-a]", "[0-9]", "[^=]", "[.]", ".", "."};
  static const char *const quants[] = {"", "", "", "*", "+", "?", "{2}", "{1,3}", "{2,}"};
  char pattern[96], line[48];
  uint32_t sd = 99;
  int taken_n = 0;
  for (int round = 0; round < 20000; round++) {
    int n = 0, nitems = 1 + (int)((sd = sd * 1103515245u + 12345u) >> 8) % 5;
    int group_at = (int)((sd >> 16) % (unsigned)(nitems + 2)) - 1;
    int group_len = 1 + (int)(sd >> 28) % 2;
    if ((sd >> 5) % 4 == 0) pattern[n++] = '^';
    for (int k = 0; k < nitems; k++) {
      sd = sd * 1103515245u + 12345u;
      if (k == group_at) pattern[n++] = '(';
      n += snprintf(pattern + n, sizeof pattern - (size_t)n, "%s%s", items[(sd >> 8) % 15],
                    quants[(sd >> 16) % 9]);
      if (k == group_at + group_len - 1 || (k == nitems - 1 && group_at >= 0 && k >= group_at))
        pattern[n++] = ')', group_at = -2;
    }
    if ((sd >> 7) % 5 == 0) pattern[n++] = '$';
    pattern[n] = 0;
    regex_t plain;
    if (regcomp(&plain, pattern, REG_EXTENDED)) continue;
    rt_sre *simple = rt_sre_compile(pattern, n);
    if (!simple) {
      regfree(&plain);
      continue;
    }
    rt_sre_free(simple);
    taken_n++;
    void *re = dsc_rt_regex_new(&ctx, pattern, n);
    for (int l = 0; l < 30; l++) {
      int len = random_line(&sd, line, 40, "ab= c.-0f9\x80", 12); /* index 11: its NUL */
      regmatch_t m[2];
      m[0].rm_so = 0, m[0].rm_eo = len;
      int want = regexec(&plain, len ? line : "", 2, m, REG_STARTEND) == 0;
      CU_ASSERT_EQUAL_FATAL(dsc_rt_regex_match(re, &w, line, len), want);
      for (int g = 0; g <= (int)plain.re_nsub; g++) {
        dsc_str o;
        int got = dsc_rt_regex_capture(re, &w, line, len, g, &o), want_g = want && m[g].rm_so >= 0;
        if (got != want_g || (got && (o.ptr != line + m[g].rm_so ||
                                      o.len != m[g].rm_eo - m[g].rm_so)))
          fprintf(stderr, "\n'%s' on '%.*s' group %d: got %d [%td, %td), regexec %d [%d, %d)\n",
                  pattern, len, line, g, got, got ? o.ptr - line : 0,
                  got ? o.ptr - line + o.len : 0, want_g, (int)m[g].rm_so, (int)m[g].rm_eo);
        CU_ASSERT_EQUAL_FATAL(got, want_g);
        if (got) CU_ASSERT_FATAL(o.ptr == line + m[g].rm_so && o.len == m[g].rm_eo - m[g].rm_so);
      }
    }
    regfree(&plain);
    rt_regex_free(re);
    rt_worker_free_regexes(&w); /* before another regex can have the same address */
  }
  CU_ASSERT(taken_n > 2000); /* enough of them take the path */
}

/* Alternatives of plain literals (`ERROR|FATAL`, `^GET |^POST `): matches() answers what regexec
 * does, without it; capture() still goes to regexec. */
static void test_literal_alternatives(void) {
  static const char *const parts[] = {"ab", "^a", "b$", "a\\.b", "=", "^ab$", "ba", "a\\|b", ""};
  char pattern[64], line[24];
  uint32_t sd = 5;
  for (int round = 0; round < 3000; round++) {
    sd = sd * 1103515245u + 12345u;
    int nparts = 2 + (int)(sd >> 8) % 2, n = 0;
    for (int k = 0; k < nparts; k++) {
      sd = sd * 1103515245u + 12345u;
      n += snprintf(pattern + n, sizeof pattern - (size_t)n, "%s%s", k ? "|" : "",
                    parts[(sd >> 8) % ((sd >> 20) % 8 ? 8 : 9)]); /* an empty one now and then */
    }
    regex_t plain;
    CU_ASSERT_FATAL(regcomp(&plain, pattern, REG_EXTENDED) == 0);
    void *re = dsc_rt_regex_new(&ctx, pattern, n);
    for (int l = 0; l < 20; l++) {
      int len = random_line(&sd, line, 12, "ab=.|", 5);
      regmatch_t m = {.rm_so = 0, .rm_eo = len};
      int want = regexec(&plain, len ? line : "", 1, &m, REG_STARTEND) == 0;
      if (dsc_rt_regex_match(re, &w, line, len) != want)
        fprintf(stderr, "\n'%s' on '%.*s': want %d\n", pattern, len, line, want);
      CU_ASSERT_EQUAL_FATAL(dsc_rt_regex_match(re, &w, line, len), want);
    }
    regfree(&plain);
    rt_regex_free(re);
    rt_worker_free_regexes(&w);
  }
  void *levels = dsc_rt_regex_new(&ctx, S("ERROR|FATAL"));
  CU_ASSERT(dsc_rt_regex_match(levels, &w, S("x FATAL y")));
  CU_ASSERT(!dsc_rt_regex_match(levels, &w, S("x WARN y")));
  CU_ASSERT_EQUAL(w.nregex, 0); /* no regexec */
  rt_regex_free(levels);
}

/* Four threads, each with its own worker, match one regex at once: every answer right, and each
 * worker made its own copy. */
typedef struct {
  void *re;
  dsc_rt_worker w;
  int wrong;
} match_thread;

static void *match_many(void *arg) {
  match_thread *t = arg;
  for (int i = 0; i < 20000; i++) {
    char line[32];
    int n = snprintf(line, sizeof line, "id=%d %s", i, i % 3 ? "GET /x" : "PUT /y");
    dsc_str verb = {0};
    int found = dsc_rt_regex_capture(t->re, &t->w, line, n, 1, &verb);
    t->wrong += found != (i % 3 != 0) || (found && (verb.len != 3 || memcmp(verb.ptr, "GET", 3)));
  }
  return NULL;
}

/* capture() of a group under an alternative is regexec's (matches() of it is the DFA's). */
static void test_workers_match_at_once(void) {
  void *re = dsc_rt_regex_new(&ctx, S("(GET|HEAD) /[a-z]+"));
  match_thread t[4];
  pthread_t th[4];
  for (int i = 0; i < 4; i++) {
    t[i] = (match_thread){.re = re};
    rt_worker_init(&t[i].w, i);
    CU_ASSERT_FATAL(pthread_create(&th[i], NULL, match_many, &t[i]) == 0);
  }
  for (int i = 0; i < 4; i++) {
    pthread_join(th[i], NULL);
    CU_ASSERT_EQUAL(t[i].wrong, 0);
    CU_ASSERT_EQUAL(t[i].w.nregex, 1);
    if (i) CU_ASSERT_PTR_NOT_EQUAL(t[i].w.regexes[0].compiled, t[0].w.regexes[0].compiled);
  }
  for (int i = 0; i < 4; i++) rt_worker_free(&t[i].w);
  rt_regex_free(re);
}

int main(void) {
  rt_worker_init(&w, 0);
  rt_program_init(&prog);
  rt_ctx_init(&ctx, &prog, &opt);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("regex", NULL, NULL);
  CU_add_test(s, "match and capture on views", test_match_and_capture);
  CU_add_test(s, "the literal every match contains", test_required_literals);
  CU_add_test(s, "plain patterns", test_plain_patterns);
  CU_add_test(s, "regexes matched without regexec", test_simple_patterns);
  CU_add_test(s, "alternatives of literals", test_literal_alternatives);
  CU_add_test(s, "random patterns against regexec", test_random_patterns);
  CU_add_test(s, "matches() as a DFA, against regexec", test_dfa_patterns);
  CU_add_test(s, "workers match one regex at once", test_workers_match_at_once);
  int failed = dsc_cunit_run();
  rt_ctx_free(&ctx);
  rt_worker_free(&w);
  return failed;
}
