/* test_sema.c — names, types and checks on parsed programs.  Inference: lambda parameters take
 * the element type of the stream they are applied to (a tuple is destructured when the lambda
 * has one parameter per field), and each operator's result type follows from its function
 * (map, flatMap, filter, reduceByKey, count); int meets float as float through a toFloat
 * conversion that sema inserts.  Errors are checked by their exact text: unknown names with a
 * "did you mean", wrong arity, mismatched types (reduceByKey returning the wrong type, filter
 * not returning bool, flatMap not returning a list, int + string), bad durations, a missing
 * batch or output, duplicate declarations, a stream used inside a lambda, print(n) with a
 * non-literal — each reported once, with no cascade of follow-on errors. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "ops.h"
#include "parse.h"
#include "sema.h"
#include "types.h"
#include "../cunit_main.h"
#include "front_capture.h"


static front_capture last; /* the last check's diagnostics */
static sema_info info;     /* its sema results */
static ast_program *prog;  /* its program */

/* Parses and checks; true when both succeeded. */
static bool check(const char *text) {
  diag_ctx d;
  src_file *src = capture_begin(&last, text, &d);
  prog = parse_program(src, &d);
  bool ok = d.errors == 0 && sema_check(prog, &d, &info);
  capture_end(&last, &d);
  return ok;
}

static void expect_ok(const char *text) {
  CU_ASSERT_TRUE(check(text));
  ASSERT_TEXT(last.diags, "");
}

static void expect_error(const char *text, const char *msgs) {
  CU_ASSERT_FALSE(check(text));
  ASSERT_TEXT(last.diags, msgs);
}

/* The item that binds `name`. */
static ast_item *bound(const char *name) {
  for (int i = 0; i < prog->items.len; i++) {
    ast_item *it = prog->items.items[i];
    if (it->name && strcmp(it->name, name) == 0)
      return it;
  }
  CU_FAIL("no such binding");
  return NULL;
}

static const char *type_of(const char *name) {
  ast_item *it = bound(name);
  return it && it->value->type ? type_name(it->value->type) : "(none)";
}

/* The i-th argument of a call or method. */
static expr *arg(expr *call, int i) { return ((ast_arg *)call->items.items[i])->value; }

#define HEAD "batch 1s\nlines = socket(\"localhost\", 9999)\n"

static void test_wordcount_types(void) {
  expect_ok("param host: string = \"localhost\"\n"
            "param port: int = 9999\n"
            "batch 10s\n"
            "lines = socket(host, port)\n"
            "words = lines.flatMap(line => split(line, \" \"))\n"
            "pairs = words.map(w => (w, 1))\n"
            "counts = pairs.reduceByKey((a, b) => a + b)\n"
            "n = counts.count()\n"
            "long = words.filter(w => len(w) > 3)\n"
            "counts.print()\n"
            "n.print(n = 1)\n"
            "long.print()\n");
  ASSERT_TEXT(type_of("lines"), "stream[string]");
  ASSERT_TEXT(type_of("words"), "stream[string]");
  ASSERT_TEXT(type_of("pairs"), "stream[(string, int)]");
  ASSERT_TEXT(type_of("counts"), "stream[(string, int)]");
  ASSERT_TEXT(type_of("n"), "stream[int]");
  ASSERT_TEXT(type_of("long"), "stream[string]");
  /* lambda parameters: from the element type; reduceByKey's from the value type */
  expr *flat = bound("words")->value;
  ast_param *line = arg(flat, 0)->items.items[0];
  ASSERT_TEXT(type_name(line->type), "string");
  expr *fn = arg(bound("counts")->value, 0);
  ASSERT_TEXT(type_name(((ast_param *)fn->items.items[0])->type), "int");
  ASSERT_TEXT(type_name(((ast_param *)fn->items.items[1])->type), "int");
  ASSERT_TEXT(type_name(fn->type), "int");
  /* sema_info */
  CU_ASSERT_EQUAL(info.batch_ms, 10000);
  CU_ASSERT_EQUAL(info.params.len, 2);
  CU_ASSERT_EQUAL(info.outputs.len, 3);
  CU_ASSERT_EQUAL(((expr *)info.outputs.items[1])->ival, 1);
  CU_ASSERT_EQUAL(((expr *)info.outputs.items[2])->ival, 10);
  CU_ASSERT_EQUAL(bound("port")->sym->index, 1);
}

static void test_destructuring(void) {
  expect_ok(HEAD "pairs = lines.map(l => (l, len(l)))\n"
                 "sums = pairs.map((w, n) => n * 2)\n"
                 "firsts = pairs.map(p => p._1)\n"
                 "sums.print()\nfirsts.print()\n");
  ASSERT_TEXT(type_of("sums"), "stream[int]");
  ASSERT_TEXT(type_of("firsts"), "stream[string]");
  expr *fn = arg(bound("sums")->value, 0);
  CU_ASSERT_EQUAL(fn->field, 1); /* destructures its tuple argument */
  ASSERT_TEXT(type_name(((ast_param *)fn->items.items[0])->type), "string");
  ASSERT_TEXT(type_name(((ast_param *)fn->items.items[1])->type), "int");
}

static void test_float_promotion(void) {
  expect_ok(HEAD "param scale: float = 2\n"
                 "a = lines.map(l => len(l) * 1.5)\n"
                 "b = lines.map(l => if l == \"\" then 0 else 0.5)\n"
                 "c = lines.map(l => [1, 2.5])\n"
                 "d = lines.map(l => len(l) * scale)\n"
                 "a.print()\nb.print()\nc.print()\nd.print()\n");
  ASSERT_TEXT(type_of("a"), "stream[float]");
  ASSERT_TEXT(type_of("b"), "stream[float]");
  ASSERT_TEXT(type_of("c"), "stream[list[float]]");
  ASSERT_TEXT(type_of("d"), "stream[float]");
  /* The int side became an explicit toFloat call; the float side is untouched. */
  expr *mul = arg(bound("a")->value, 0)->lhs;
  CU_ASSERT_EQUAL_FATAL(mul->kind, E_BINARY);
  CU_ASSERT_EQUAL(mul->lhs->kind, E_CALL);
  CU_ASSERT_EQUAL(mul->lhs->builtin, B_TO_FLOAT);
  CU_ASSERT_EQUAL(mul->rhs->kind, E_FLOAT);
  expr *iff = arg(bound("b")->value, 0)->lhs;
  CU_ASSERT_EQUAL(iff->lhs->builtin, B_TO_FLOAT);
  expr *list = arg(bound("c")->value, 0)->lhs;
  CU_ASSERT_EQUAL(((expr *)list->items.items[0])->builtin, B_TO_FLOAT);
  /* A param default converts too. */
  ast_item *scale = bound("scale");
  CU_ASSERT_EQUAL(scale->value->builtin, B_TO_FLOAT);
  ASSERT_TEXT(type_name(scale->value->type), "float");
}

static void test_unknown_names(void) {
  expect_error(HEAD "words = lines.flatMap(line => split(lin, \" \"))\nwords.print()\n",
               "t.ds:3:37: error: unknown name 'lin'; did you mean 'line'?\n"
               "words = lines.flatMap(line => split(lin, \" \"))\n"
               "                                    ^~~\n");
  expect_error(HEAD "words = lines.flatMap(line => splt(line, \" \"))\nwords.print()\n",
               "t.ds:3:31: error: unknown function 'splt'; did you mean 'split'?\n"
               "words = lines.flatMap(line => splt(line, \" \"))\n"
               "                              ^~~~\n");
  expect_error(HEAD "linez.print()\n",
               "t.ds:3:1: error: unknown name 'linez'; did you mean 'lines'?\n"
               "linez.print()\n"
               "^~~~~\n");
  expect_error(HEAD "lines.mapp(l => l).print()\n",
               "t.ds:3:7: error: streams have no operation 'mapp'; did you mean 'map'?\n"
               "lines.mapp(l => l).print()\n"
               "      ^~~~\n");
  expect_error(HEAD "lines.map(l => zzz).print()\n",
               "t.ds:3:16: error: unknown name 'zzz'\n"
               "lines.map(l => zzz).print()\n"
               "               ^~~\n");
}

static void test_arity(void) {
  expect_error(HEAD "lines.map(l => split(l)).print()\n",
               "t.ds:3:16: error: split takes 2 arguments but 1 was given; usage: split(s: string, sep: string): list[string]\n"
               "lines.map(l => split(l)).print()\n"
               "               ^~~~~\n");
  expect_error(HEAD "lines.map(l => (l, 1)).reduceByKey((a, b, c) => a).print()\n",
               "t.ds:3:36: error: the function passed to reduceByKey must take 2 parameters, but this one takes 3\n"
               "lines.map(l => (l, 1)).reduceByKey((a, b, c) => a).print()\n"
               "                                   ^~~~~~~~~~~~~~\n");
  expect_error(HEAD "lines.map(l => (l, 1)).reduceByKey().print()\n",
               "t.ds:3:24: error: reduceByKey takes 1 argument but 0 were given; usage: reduceByKey((a, b) => a + b)\n"
               "lines.map(l => (l, 1)).reduceByKey().print()\n"
               "                       ^~~~~~~~~~~\n");
  expect_error(HEAD "lines.count(1).print()\n",
               "t.ds:3:7: error: count takes 0 arguments but 1 was given\n"
               "lines.count(1).print()\n"
               "      ^~~~~\n");
}

static void test_type_mismatch(void) {
  expect_error(HEAD "lines.map(l => (l, 1)).reduceByKey((a, b) => \"s\").print()\n",
               "t.ds:3:46: error: the function passed to reduceByKey must return int, but this is string\n"
               "lines.map(l => (l, 1)).reduceByKey((a, b) => \"s\").print()\n"
               "                                             ^~~\n");
  expect_error(HEAD "lines.filter(l => len(l)).print()\n",
               "t.ds:3:19: error: the function passed to filter must return bool, but this is int\n"
               "lines.filter(l => len(l)).print()\n"
               "                  ^~~~~~\n");
  expect_error(HEAD "lines.flatMap(l => l).print()\n",
               "t.ds:3:20: error: the function passed to flatMap must return a list, but this is string; use map for one result per element\n"
               "lines.flatMap(l => l).print()\n"
               "                   ^\n");
  expect_error(HEAD "lines.map(l => len(l) + \"!\").print()\n",
               "t.ds:3:16: error: cannot add int and string; convert with str(...) first\n"
               "lines.map(l => len(l) + \"!\").print()\n"
               "               ^~~~~~~~~~~~\n");
  expect_error(HEAD "lines.reduceByKey((a, b) => a).print()\n",
               "t.ds:3:7: error: reduceByKey needs a stream of (key, value) pairs, but 'lines' is a stream of string\n"
               "lines.reduceByKey((a, b) => a).print()\n"
               "      ^~~~~~~~~~~\n");
}

static void test_durations_and_batch(void) {
  expect_error("batch 10sec\nsocket(\"h\", 1).print()\n",
               "t.ds:1:7: error: bad duration '10sec': expected a whole number followed by ms, s, min or h, like 10s\n"
               "batch 10sec\n"
               "      ^~~~~\n");
  expect_error("batch 5\nsocket(\"h\", 1).print()\n",
               "t.ds:1:7: error: expected a duration like 10s or 500ms after 'batch'\n"
               "batch 5\n"
               "      ^\n");
  expect_error("lines = socket(\"h\", 1)\nlines.print()\n",
               "t.ds:1:1: error: the program declares no batch interval; add a line like: batch 1s\n"
               "lines = socket(\"h\", 1)\n"
               "^\n");
  expect_error("batch 1s\nbatch 2s\nsocket(\"h\", 1).print()\n",
               "t.ds:2:1: error: the batch interval is already declared\n"
               "batch 2s\n"
               "^~~~~~~~\n"
               "t.ds:1:1: note: previous declaration is here\n"
               "batch 1s\n"
               "^~~~~~~~\n");
  CU_ASSERT_TRUE(check("batch 500ms\nsocket(\"h\", 1).print()\n"));
  CU_ASSERT_EQUAL(info.batch_ms, 500);
}

static void test_no_output(void) {
  expect_error(HEAD "words = lines.flatMap(l => words(l))\n",
               "t.ds:3:1: error: the pipeline has no output operation; add one such as counts.print()\n"
               "words = lines.flatMap(l => words(l))\n"
               "^~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n");
  expect_error(HEAD "lines.map(l => l)\nlines.print()\n",
               "t.ds:3:1: error: this stream is computed but never used; a statement must be an output operation such as .print()\n"
               "lines.map(l => l)\n"
               "^~~~~~~~~~~~~~~~~\n");
  expect_error("", "t.ds:1:1: error: the program declares no batch interval; add a line like: batch 1s\n"
                   "\n"
                   "^\n"
                   "t.ds:1:1: error: the pipeline has no output operation; add one such as counts.print()\n"
                   "\n"
                   "^\n");
}

static void test_duplicates(void) {
  expect_error(HEAD "lines = socket(\"h\", 2)\nlines.print()\n",
               "t.ds:3:1: error: 'lines' is already declared\n"
               "lines = socket(\"h\", 2)\n"
               "^~~~~\n"
               "t.ds:2:1: note: previous declaration of 'lines' is here\n"
               "lines = socket(\"localhost\", 9999)\n"
               "^~~~~\n");
  expect_error("param port: int = 1\nparam port: int = 2\nbatch 1s\nsocket(\"h\", port).print()\n",
               "t.ds:2:7: error: 'port' is already declared\n"
               "param port: int = 2\n"
               "      ^~~~\n"
               "t.ds:1:7: note: previous declaration of 'port' is here\n"
               "param port: int = 1\n"
               "      ^~~~\n");
}

static void test_stream_in_lambda(void) {
  expect_error(HEAD "lines.map(l => lines).print()\n",
               "t.ds:3:16: error: the stream 'lines' cannot be used inside a function; functions work on one element at a time\n"
               "lines.map(l => lines).print()\n"
               "               ^~~~~\n");
  expect_error(HEAD "lines.map(l => socket(\"h\", 2)).print()\n",
               "t.ds:3:16: error: a source such as socket(...) can only be used at the top level\n"
               "lines.map(l => socket(\"h\", 2)).print()\n"
               "               ^~~~~~\n");
}

static void test_print_n(void) {
  expect_ok(HEAD "lines.print(3)\n");
  CU_ASSERT_EQUAL(((expr *)info.outputs.items[0])->ival, 3);
  expect_error(HEAD "param n: int = 5\nlines.print(n)\n",
               "t.ds:4:13: error: print's n (how many elements to show) must be a whole number literal\n"
               "lines.print(n)\n"
               "            ^\n");
  expect_error(HEAD "lines.print(1 + 1)\n",
               "t.ds:3:13: error: print's n (how many elements to show) must be a whole number literal\n"
               "lines.print(1 + 1)\n"
               "            ^~~~~\n");
  /* An unknown name is reported once, not again as a non-literal. */
  expect_error(HEAD "lines.print(m)\n",
               "t.ds:3:13: error: unknown name 'm'\n"
               "lines.print(m)\n"
               "            ^\n");
  CU_ASSERT_EQUAL(last.errors, 1);
}

static void test_one_error_each(void) {
  /* Errors in independent items are all reported; an erroneous stream poisons its users
     silently. */
  CU_ASSERT_FALSE(check(HEAD "a = lines.map(l => l + 1)\nb = a.map(x => x * 2)\nb.print()\n"
                             "c = lines.filter(l => 1)\nc.print()\n"));
  CU_ASSERT_EQUAL(last.errors, 2);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("sema", NULL, NULL);
  CU_add_test(s, "wordcount types", test_wordcount_types);
  CU_add_test(s, "tuple destructuring", test_destructuring);
  CU_add_test(s, "int to float", test_float_promotion);
  CU_add_test(s, "unknown names", test_unknown_names);
  CU_add_test(s, "arity", test_arity);
  CU_add_test(s, "type mismatch", test_type_mismatch);
  CU_add_test(s, "durations and batch", test_durations_and_batch);
  CU_add_test(s, "no output", test_no_output);
  CU_add_test(s, "duplicate declarations", test_duplicates);
  CU_add_test(s, "stream inside a lambda", test_stream_in_lambda);
  CU_add_test(s, "print(n)", test_print_n);
  CU_add_test(s, "one error each", test_one_error_each);
  int failed = dsc_cunit_run();
  free(last.diags);
  mem_release_all();
  return failed;
}
