/* test_robust.c — the compiler never crashes, whatever it is fed.  Each input goes through
 * parse, sema and plan (and, for the first few programs that check, codegen to a throwaway .ll)
 * and must either succeed or report at least one error, every diagnostic rendered whole
 * (`file:line:col: error|note: ...`, the source line, a caret line).  Inputs: every prefix of
 * examples/wordcount.ds (a program truncated anywhere), random bytes, random soups of the
 * language's keywords, punctuation, literals and names, and random byte mutations (delete,
 * insert, swap, duplicate) of valid programs — all from a fixed-seed generator, so a failure
 * reproduces; the failing input is printed.  Memory is released between runs, and the suite
 * also runs under AddressSanitizer with leak detection (-DDSC_SANITIZE=ON). */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg.h"
#include "mem.h"
#include "parse.h"
#include "plan.h"
#include "sema.h"
#include "types.h"
#include "../cunit_main.h"

/* Valid programs: the mutation seeds, between them using every stream operator. */
static const char *const seeds[] = {
    "param host: string = \"localhost\"\nparam port: int = 9999\nbatch 10s\n"
    "lines  = socket(host, port)\nwords  = lines.flatMap(line => split(line, \" \"))\n"
    "pairs  = words.map(w => (w, 1))\ncounts = pairs.reduceByKey((a, b) => a + b)\n"
    "counts.print()\n",
    "batch 500ms\nnums = stdin().map(l => toInt(trim(l)))\n"
    "big = nums.filter(n => n > 10 && n % 2 == 0 || n < -3)\n"
    "big.count().print(n = 1)\nnums.map(n => if n > 0 then n * 1.5 else 0).stdout()\n"
    "nums.reduce((a, b) => max(a, b)).print()\n",
    "batch 1s\nw = file(\"/tmp/x\").flatMap(l => words(lower(l)))\n"
    "kv = w.map(x => (x, len(x)))\n"
    "kv.groupByKey().mapValues(vs => len(vs)).print()\n"
    "kv.combineByKey(v => (v, 1), (c, v) => (c._1 + v, c._2 + 1), (c, d) => (c._1 + d._1, c._2 + d._2)).print()\n"
    "kv.join(kv.mapValues(n => str(n))).print(3)\n"
    "kv.leftOuterJoin(kv).print()\nkv.cogroup(kv).print()\n",
    "batch 2s\na = textFiles(\"/tmp\", pattern = \"*.txt\")\nb = stdin()\n"
    "u = a.union(b).repartition(4)\nu.countByValue().sortBy(p => p._2, ascending = false).print()\n"
    "u.map(l => (l, 1)).distinct().keys().print()\n",
    "batch 1s\nt = table(\"/tmp/t\").map(l => (substr(l, 0, 3), [toFloat(l), 2]))\n"
    "t.flatMapValues(v => v).sortByKey(ascending = true).top(5, p => p._2).print()\n"
    "t.values().saveAsTextFiles(\"out\", suffix = \".txt\")\n"
    "t.map((k, v) => let n = len(v) in (k, n, contains(k, \"a\"), startsWith(k, \"b\"))).print()\n",
    "param w: float = 2\nbatch 1min\n"
    "s = socket(\"h\", 1).map(l => (l, abs(-len(l)) * w, \"\\u{1F600}\\t\\n\", 0x1F, 1e3))\n"
    "s.filter((a, b, c, d, e) => !(b >= e) && a != c).print()\n",
};

/* Pieces of the language for token soups. */
static const char *const words[] = {
    "param", "batch", "fn", "let", "in", "if", "then", "else", "true", "false", "=>", "==",
    "!=", "<=", ">=", "&&", "||", "+", "-", "*", "/", "%", "<", ">", "=", "!", "(", ")",
    "{", "}", "[", "]", ",", ".", ":", ";", "\n", "\n", "\n", " ", "  ", "\t", "# c\n",
    "0", "1", "42", "9223372036854775808", "99999999999999999999", "2.5", "1e3", "0x1F",
    "10s", "500ms", "1min", "10sec", "\"a b\"", "\" \"", "''", "\"\\u{1F600}\"", "\"\\q\"",
    "\"open", "'", "x", "a", "b", "w", "line", "lines", "words", "pairs", "counts", "n",
    "_1", "_2", "socket", "stdin", "file", "textFiles", "table", "map", "flatMap", "filter",
    "reduceByKey", "reduce", "count", "print", "stdout", "union", "join", "cogroup",
    "groupByKey", "mapValues", "combineByKey", "sortBy", "top", "distinct", "keys",
    "saveAsTextFiles", "split", "words", "len", "toInt", "toFloat", "str", "min", "max",
    "int", "float", "string", "bool", "list", "option", "\xE2\x82\xAC", "@", "\x01", "\\",
};

static uint64_t rng = 0x9E3779B97F4A7C15u;

static uint64_t next(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return rng * 2685821657736338717u;
}

static int below(int n) { return (int)(next() % (uint64_t)n); }

static const char *current;    /* the input being compiled, for crash reports */
static int current_len;        /* its length */
static int codegens;           /* programs that reached codegen */
static char ll_path[64];       /* where codegen writes */
enum { MAX_CODEGENS = 12 };    /* LLVM is slow under ASan: a sample is enough */

/* Prints the input that made the compiler crash, escaped. */
static void show_current(void) {
  if (!current)
    return;
  fprintf(stderr, "\ntest_robust: input that failed (%d bytes):\n\"", current_len);
  for (int i = 0; i < current_len; i++) {
    unsigned char c = (unsigned char)current[i];
    if (c == '\n')
      fputs("\\n", stderr);
    else if (c == '"' || c == '\\')
      fprintf(stderr, "\\%c", c);
    else if (c < 0x20 || c >= 0x7f)
      fprintf(stderr, "\\x%02X", c);
    else
      fputc(c, stderr);
  }
  fputs("\"\n", stderr);
}

static void on_signal(int sig) {
  show_current();
  signal(sig, SIG_DFL);
  raise(sig);
}

/* ASan calls this before it exits on an error; a no-op without ASan. */
void __sanitizer_set_death_callback(void (*callback)(void)) __attribute__((weak));

/* Every diagnostic is three lines: a header, the source line, and a caret line. */
static bool well_formed(const char *out, size_t len) {
  const char *p = out, *end = out + len;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl || strncmp(p, "t.ds:", 5) != 0 ||
        (!memmem(p, (size_t)(nl - p), ": error: ", 9) && !memmem(p, (size_t)(nl - p), ": note: ", 8)))
      return false;
    const char *src_end = memchr(nl + 1, '\n', (size_t)(end - nl - 1));
    if (!src_end)
      return false;
    const char *c = src_end + 1;
    while (c < end && (*c == ' ' || *c == '\t'))
      c++;
    if (c >= end || *c != '^')
      return false;
    for (c++; c < end && *c == '~'; c++)
      ;
    if (c >= end || *c != '\n')
      return false;
    p = c + 1;
  }
  return true;
}

/* Compiles one input as far as it goes; false (after showing it) on a broken outcome. */
static bool compile_one(const char *text, int len) {
  current = text;
  current_len = len;
  char *out;
  size_t out_len;
  FILE *f = open_memstream(&out, &out_len);
  src_file *src = source_from_string("t.ds", text, len);
  diag_ctx d;
  diag_init(&d, src, f);
  ast_program *prog = parse_program(src, &d);
  sema_info info;
  bool ok = d.errors == 0 && sema_check(prog, &d, &info);
  bool fine = true;
  if (ok) {
    plan *p = plan_build(prog, &info);
    plan_dump(f, p, src);
    if (codegens < MAX_CODEGENS) {
      codegens++;
      cg_options co = {.opt_level = 0, .ll_path = ll_path, .prog_name = "robust"};
      fine = cg_generate(p, &co, NULL);
    }
  }
  fclose(f);
  if (!ok)
    fine = d.errors > 0 && strstr(out, "error:") != NULL && well_formed(out, out_len);
  if (!fine) {
    fprintf(stderr, "\ntest_robust: bad outcome (ok=%d, errors=%d); diagnostics:\n%s", ok,
            d.errors, out);
    show_current();
  }
  free(out);
  current = NULL;
  mem_release_all();
  types_reset();
  return fine;
}

static char *read_example(const char *name, int *len) {
  /* CMake compiles with absolute paths: find examples/ from this file's own. */
  char path[4096];
  snprintf(path, sizeof path, "%s", __FILE__);
  char *cut = strstr(path, "tests/unit/front/");
  if (!cut)
    return NULL;
  snprintf(cut, sizeof path - (size_t)(cut - path), "examples/%s", name);
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = malloc(1 << 16);
  *len = (int)fread(buf, 1, (1 << 16) - 1, f);
  fclose(f);
  return buf;
}

static void test_seeds_are_valid(void) {
  int before = codegens;
  for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++) {
    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    src_file *src = source_from_string("t.ds", seeds[i], (int)strlen(seeds[i]));
    diag_ctx d;
    diag_init(&d, src, f);
    sema_info info;
    ast_program *prog = parse_program(src, &d);
    bool ok = d.errors == 0 && sema_check(prog, &d, &info);
    fclose(f);
    if (!ok)
      fprintf(stderr, "\nseed %zu does not check:\n%s", i, out);
    CU_ASSERT_TRUE(ok);
    free(out);
    mem_release_all();
    types_reset();
    CU_ASSERT_TRUE(compile_one(seeds[i], (int)strlen(seeds[i])));
  }
  CU_ASSERT_TRUE(codegens > before);
}

static void test_prefixes(void) {
  int len;
  char *text = read_example("wordcount.ds", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(text);
  CU_ASSERT_TRUE(len > 100);
  int failures = 0;
  for (int n = 0; n <= len && failures < 5; n++)
    failures += !compile_one(text, n);
  /* and every suffix: a program that starts in the middle of a token */
  for (int n = 0; n <= len && failures < 5; n++)
    failures += !compile_one(text + n, len - n);
  CU_ASSERT_EQUAL(failures, 0);
  free(text);
}

static void test_random_bytes(void) {
  char buf[256];
  int failures = 0;
  for (int run = 0; run < 3000 && failures < 5; run++) {
    int len = below((int)sizeof buf);
    for (int i = 0; i < len; i++) {
      int kind = below(4);
      buf[i] = kind == 0 ? (char)below(256) : kind == 1 ? "\n ()[].,=\"'\\#"[below(13)]
                                                        : (char)(0x20 + below(0x5f));
    }
    failures += !compile_one(buf, len);
  }
  CU_ASSERT_EQUAL(failures, 0);
}

static void test_token_soup(void) {
  char buf[2048];
  int nwords = (int)(sizeof words / sizeof words[0]);
  int failures = 0;
  for (int run = 0; run < 4000 && failures < 5; run++) {
    int len = 0, count = 1 + below(80);
    for (int i = 0; i < count; i++) {
      const char *w = words[below(nwords)];
      int wl = (int)strlen(w);
      if (len + wl + 1 >= (int)sizeof buf)
        break;
      memcpy(buf + len, w, (size_t)wl);
      len += wl;
      if (below(3))
        buf[len++] = ' ';
    }
    failures += !compile_one(buf, len);
  }
  CU_ASSERT_EQUAL(failures, 0);
}

static void test_mutations(void) {
  static char buf[8192];
  int nseeds = (int)(sizeof seeds / sizeof seeds[0]);
  int nwords = (int)(sizeof words / sizeof words[0]);
  int failures = 0;
  for (int run = 0; run < 8000 && failures < 5; run++) {
    const char *seed = seeds[below(nseeds)];
    int len = (int)strlen(seed);
    memcpy(buf, seed, (size_t)len);
    for (int m = 1 + below(4); m > 0; m--) {
      if (len == 0)
        break;
      int at = below(len), other = below(len);
      switch (below(5)) {
      case 0: /* delete a byte */
        memmove(buf + at, buf + at + 1, (size_t)(len - at - 1));
        len--;
        break;
      case 1: { /* insert a language piece */
        const char *w = words[below(nwords)];
        int wl = (int)strlen(w);
        if (len + wl >= (int)sizeof buf)
          break;
        memmove(buf + at + wl, buf + at, (size_t)(len - at));
        memcpy(buf + at, w, (size_t)wl);
        len += wl;
        break;
      }
      case 2: { /* swap two bytes */
        char c = buf[at];
        buf[at] = buf[other];
        buf[other] = c;
        break;
      }
      case 3: { /* duplicate a short span */
        int n = 1 + below(20);
        if (at + n > len || len + n >= (int)sizeof buf)
          break;
        memmove(buf + at + n, buf + at, (size_t)(len - at));
        len += n;
        break;
      }
      default: /* replace a byte */
        buf[at] = (char)below(256);
      }
    }
    failures += !compile_one(buf, len);
  }
  CU_ASSERT_EQUAL(failures, 0);
}

/* Long left-recursive chains parse without growing the parser's stack; sema must stop them
 * before its own recursion (or plan's) overflows the C stack. */
static void test_deep_nesting(void) {
  static const char *const pieces[][3] = {
      {"batch 1s\nl = socket(\"h\", 1)\nl.map(x => 1", " + 1", ").print()\n"},
      {"batch 1s\nl = socket(\"h\", 1)", ".map(x => x)", ".print()\n"},
      {"batch 1s\nl = socket(\"h\", 1).map(x => (x, 1))\nl.map(p => p", "._1", ").print()\n"},
  };
  for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
    for (int reps = 300; reps <= 200000; reps *= 25) {
      size_t l0 = strlen(pieces[k][0]), l1 = strlen(pieces[k][1]), l2 = strlen(pieces[k][2]);
      char *buf = malloc(l0 + l1 * (size_t)reps + l2 + 1);
      char *p = buf;
      memcpy(p, pieces[k][0], l0);
      p += l0;
      for (int i = 0; i < reps; i++, p += l1)
        memcpy(p, pieces[k][1], l1);
      memcpy(p, pieces[k][2], l2);
      p += l2;
      CU_ASSERT_TRUE(compile_one(buf, (int)(p - buf)));
      free(buf);
    }
  }
}

int main(void) {
  signal(SIGSEGV, on_signal);
  signal(SIGABRT, on_signal);
  signal(SIGBUS, on_signal);
  signal(SIGFPE, on_signal);
  if (__sanitizer_set_death_callback)
    __sanitizer_set_death_callback(show_current);
  snprintf(ll_path, sizeof ll_path, "/tmp/dsc-robust-%d.ll", (int)getpid());
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("robust", NULL, NULL);
  CU_add_test(s, "seed programs compile", test_seeds_are_valid);
  CU_add_test(s, "prefixes and suffixes of wordcount.ds", test_prefixes);
  CU_add_test(s, "random bytes", test_random_bytes);
  CU_add_test(s, "token soup", test_token_soup);
  CU_add_test(s, "mutations of valid programs", test_mutations);
  CU_add_test(s, "deep nesting", test_deep_nesting);
  int failed = dsc_cunit_run();
  unlink(ll_path);
  return failed;
}
