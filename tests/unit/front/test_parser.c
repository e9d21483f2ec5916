/* test_parser.c — parse_program on whole programs.  Valid programs are checked by the shape of
 * their AST: item kinds and names, lambda parameters (bare, parenthesised, typed), tuples
 * against parenthesised expressions, named arguments, if/let, method chains across lines and
 * operator precedence (through ast_dump, which prints the tree one node a line).  Invalid ones
 * are checked by the exact diagnostic text — `file:line:col: error: message`, the source line
 * and the caret line — captured with diag_init on an open_memstream FILE, including recovery
 * (one message per bad line) and no second message for a token the lexer already rejected. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "parse.h"
#include "types.h"
#include "../cunit_main.h"
#include "front_capture.h"


static front_capture last; /* the last parse's diagnostics */

static ast_program *parse(const char *text) {
  diag_ctx d;
  src_file *src = capture_begin(&last, text, &d);
  ast_program *prog = parse_program(src, &d);
  capture_end(&last, &d);
  return prog;
}

/* Parses a valid program and returns its ast_dump. */
static char *dump(const char *text) {
  ast_program *prog = parse(text);
  ASSERT_TEXT(last.diags, "");
  char *out;
  size_t n;
  FILE *f = open_memstream(&out, &n);
  ast_dump(f, prog);
  fclose(f);
  char *copy = mem_strdup(out);
  free(out);
  return copy;
}

static void expect_dump(const char *text, const char *tree) { ASSERT_TEXT(dump(text), tree); }

static void expect_error(const char *text, const char *msgs, int errors) {
  parse(text);
  ASSERT_TEXT(last.diags, msgs);
  CU_ASSERT_EQUAL(last.errors, errors);
}

static ast_item *item(ast_program *p, int i) { return p->items.items[i]; }
static ast_param *param(expr *lambda, int i) { return lambda->items.items[i]; }
static ast_arg *arg(expr *call, int i) { return call->items.items[i]; }

static void test_wordcount(void) {
  ast_program *p = parse("# word count\n"
                         "param host: string = \"localhost\"\n"
                         "param port: int\n"
                         "batch 10s\n"
                         "\n"
                         "lines = socket(host, port)\n"
                         "words = lines.flatMap(line => split(line, \" \"))\n"
                         "counts = words.map(w => (w, 1)).reduceByKey((a, b) => a + b)\n"
                         "counts.print()\n");
  ASSERT_TEXT(last.diags, "");
  CU_ASSERT_EQUAL_FATAL(p->items.len, 7);
  static const item_kind kinds[] = {ITEM_PARAM, ITEM_PARAM, ITEM_BATCH, ITEM_BIND,
                                    ITEM_BIND,  ITEM_BIND,  ITEM_EXPR};
  for (int i = 0; i < 7; i++)
    CU_ASSERT_EQUAL(item(p, i)->kind, kinds[i]);
  CU_ASSERT_STRING_EQUAL(item(p, 0)->name, "host");
  CU_ASSERT_STRING_EQUAL(item(p, 0)->ann->name, "string");
  CU_ASSERT_EQUAL(item(p, 0)->value->kind, E_STRING);
  CU_ASSERT_PTR_NULL(item(p, 1)->value);
  CU_ASSERT_EQUAL(item(p, 2)->value->kind, E_DURATION);
  CU_ASSERT_STRING_EQUAL(item(p, 3)->name, "lines");
  expr *src = item(p, 3)->value;
  CU_ASSERT_EQUAL(src->kind, E_CALL);
  CU_ASSERT_STRING_EQUAL(src->name, "socket");
  CU_ASSERT_EQUAL(src->items.len, 2);
  /* counts = words.map(...).reduceByKey(...): the last call is outermost */
  expr *rbk = item(p, 5)->value;
  CU_ASSERT_EQUAL_FATAL(rbk->kind, E_METHOD);
  CU_ASSERT_STRING_EQUAL(rbk->name, "reduceByKey");
  CU_ASSERT_EQUAL(rbk->lhs->kind, E_METHOD);
  CU_ASSERT_STRING_EQUAL(rbk->lhs->name, "map");
  expr *fn = arg(rbk, 0)->value;
  CU_ASSERT_EQUAL_FATAL(fn->kind, E_LAMBDA);
  CU_ASSERT_EQUAL_FATAL(fn->items.len, 2);
  CU_ASSERT_STRING_EQUAL(param(fn, 0)->name, "a");
  CU_ASSERT_STRING_EQUAL(param(fn, 1)->name, "b");
  CU_ASSERT_EQUAL(fn->lhs->kind, E_BINARY);
  CU_ASSERT_EQUAL(fn->lhs->op, OP_ADD);
  /* spans: the item and the name */
  CU_ASSERT_EQUAL(item(p, 3)->name_at.start, (int)strlen("# word count\nparam host: string = \"localhost\"\nparam port: int\nbatch 10s\n\n"));
  CU_ASSERT_EQUAL(item(p, 3)->name_at.end - item(p, 3)->name_at.start, 5);
}

static void test_lambdas(void) {
  ast_program *p = parse("s.map(x => x)\ns.map((a, b: int) => a)\ns.map(() => 1)\ns.map((x) => x)\n");
  ASSERT_TEXT(last.diags, "");
  CU_ASSERT_EQUAL_FATAL(p->items.len, 4);
  expr *f = arg(item(p, 0)->value, 0)->value;
  CU_ASSERT_EQUAL(f->kind, E_LAMBDA);
  CU_ASSERT_EQUAL(f->items.len, 1);
  CU_ASSERT_PTR_NULL(param(f, 0)->ann);
  f = arg(item(p, 1)->value, 0)->value;
  CU_ASSERT_EQUAL_FATAL(f->items.len, 2);
  CU_ASSERT_PTR_NULL(param(f, 0)->ann);
  CU_ASSERT_PTR_NOT_NULL_FATAL(param(f, 1)->ann);
  CU_ASSERT_STRING_EQUAL(param(f, 1)->ann->name, "int");
  CU_ASSERT_STRING_EQUAL(param(f, 1)->name, "b");
  f = arg(item(p, 2)->value, 0)->value;
  CU_ASSERT_EQUAL(f->kind, E_LAMBDA);
  CU_ASSERT_EQUAL(f->items.len, 0);
  CU_ASSERT_EQUAL(f->lhs->kind, E_INT);
  f = arg(item(p, 3)->value, 0)->value;
  CU_ASSERT_EQUAL(f->kind, E_LAMBDA);
  CU_ASSERT_EQUAL(f->items.len, 1);
  /* Typed parameters with tuple and list types. */
  p = parse("s.map((p: (string, int), l: list[string]) => p)\n");
  ASSERT_TEXT(last.diags, "");
  f = arg(item(p, 0)->value, 0)->value;
  CU_ASSERT_EQUAL_FATAL(f->items.len, 2);
  type_expr *t = param(f, 0)->ann;
  CU_ASSERT_PTR_NULL(t->name);
  CU_ASSERT_EQUAL(t->args.len, 2);
  t = param(f, 1)->ann;
  CU_ASSERT_STRING_EQUAL(t->name, "list");
  CU_ASSERT_EQUAL(t->args.len, 1);
  /* Lambda bodies extend as far right as they can. */
  expect_dump("s.map(x => x + 1 * 2)\n", "output\n"
                                        "  method map\n"
                                        "    name s\n"
                                        "    lambda x\n"
                                        "      binary +\n"
                                        "        name x\n"
                                        "        binary *\n"
                                        "          int 1\n"
                                        "          int 2\n");
}

static void test_tuples_and_groups(void) {
  expect_dump("s.map(w => (w, 1))\ns.map(w => (w))\ns.map(w => ((w, 1), [w]))\n",
              "output\n"
              "  method map\n"
              "    name s\n"
              "    lambda w\n"
              "      tuple\n"
              "        name w\n"
              "        int 1\n"
              "output\n"
              "  method map\n"
              "    name s\n"
              "    lambda w\n"
              "      name w\n"
              "output\n"
              "  method map\n"
              "    name s\n"
              "    lambda w\n"
              "      tuple\n"
              "        tuple\n"
              "          name w\n"
              "          int 1\n"
              "        list\n"
              "          name w\n");
}

static void test_named_args(void) {
  ast_program *p = parse("s.print(n = 5)\ns.sortBy(x => x, ascending = false)\n");
  ASSERT_TEXT(last.diags, "");
  CU_ASSERT_EQUAL_FATAL(p->items.len, 2);
  expr *c = item(p, 0)->value;
  CU_ASSERT_EQUAL_FATAL(c->items.len, 1);
  CU_ASSERT_STRING_EQUAL(arg(c, 0)->name, "n");
  CU_ASSERT_EQUAL(arg(c, 0)->value->ival, 5);
  c = item(p, 1)->value;
  CU_ASSERT_EQUAL_FATAL(c->items.len, 2);
  CU_ASSERT_PTR_NULL(arg(c, 0)->name);
  CU_ASSERT_STRING_EQUAL(arg(c, 1)->name, "ascending");
  CU_ASSERT_EQUAL(arg(c, 1)->value->kind, E_BOOL);
  CU_ASSERT_FALSE(arg(c, 1)->value->bval);
}

static void test_if_let(void) {
  expect_dump("s.map(x => if x == \"\" then 0 else let n = len(x) in n * 2)\n",
              "output\n"
              "  method map\n"
              "    name s\n"
              "    lambda x\n"
              "      if\n"
              "        binary ==\n"
              "          name x\n"
              "          string \"\"\n"
              "        int 0\n"
              "        let n\n"
              "          binary *\n"
              "            name n\n"
              "            int 2\n"
              "          call len\n"
              "            name x\n");
}

static void test_precedence(void) {
  expect_dump("s.filter(x => a || b && c == d + e * f)\n",
              "output\n"
              "  method filter\n"
              "    name s\n"
              "    lambda x\n"
              "      binary ||\n"
              "        name a\n"
              "        binary &&\n"
              "          name b\n"
              "          binary ==\n"
              "            name c\n"
              "            binary +\n"
              "              name d\n"
              "              binary *\n"
              "                name e\n"
              "                name f\n");
  expect_dump("s.filter(x => a * b + c != d && e || f)\n",
              "output\n"
              "  method filter\n"
              "    name s\n"
              "    lambda x\n"
              "      binary ||\n"
              "        binary &&\n"
              "          binary !=\n"
              "            binary +\n"
              "              binary *\n"
              "                name a\n"
              "                name b\n"
              "              name c\n"
              "            name d\n"
              "          name e\n"
              "        name f\n");
  /* Left associative; unary binds tighter than binary; parentheses override. */
  expect_dump("s.map(x => a - b - -c * (d - e) % !f.g)\n",
              "output\n"
              "  method map\n"
              "    name s\n"
              "    lambda x\n"
              "      binary -\n"
              "        binary -\n"
              "          name a\n"
              "          name b\n"
              "        binary %\n"
              "          binary *\n"
              "            unary -\n"
              "              name c\n"
              "            binary -\n"
              "              name d\n"
              "              name e\n"
              "          unary !\n"
              "            member g\n"
              "              name f\n");
}

static void test_multiline(void) {
  ast_program *p = parse("batch 1s\n"
                         "counts = socket(\"h\", 9)\n"
                         "  .flatMap(l => split(l,\n"
                         "                      \" \"))\n"
                         "  # comment between\n"
                         "  .map(w =>\n"
                         "    (w, 1))\n"
                         "counts.print()\n");
  ASSERT_TEXT(last.diags, "");
  CU_ASSERT_EQUAL_FATAL(p->items.len, 3);
  expr *m = item(p, 1)->value;
  CU_ASSERT_EQUAL(m->kind, E_METHOD);
  CU_ASSERT_STRING_EQUAL(m->name, "map");
  CU_ASSERT_STRING_EQUAL(m->lhs->name, "flatMap");
}

static void test_fn_and_types(void) {
  ast_program *p = parse("param n: int = -3\nfn f(a: int, b: list[(string, int)]): float = 1.0\n");
  ASSERT_TEXT(last.diags, "");
  CU_ASSERT_EQUAL_FATAL(p->items.len, 2);
  CU_ASSERT_EQUAL(item(p, 0)->value->kind, E_UNARY);
  ast_item *f = item(p, 1);
  CU_ASSERT_EQUAL(f->kind, ITEM_FN);
  CU_ASSERT_STRING_EQUAL(f->name, "f");
  CU_ASSERT_EQUAL(f->params.len, 2);
  CU_ASSERT_STRING_EQUAL(f->ann->name, "float");
}

static void test_syntax_errors(void) {
  expect_error("batch 1s\nx = (1, 2\n",
               "t.ds:2:10: error: syntax error: unexpected end of file\n"
               "x = (1, 2\n"
               "         ^\n",
               1);
  expect_error("batch 1s\nx = a +\n",
               "t.ds:2:8: error: syntax error: unexpected end of file\n"
               "x = a +\n"
               "       ^\n",
               1);
  expect_error("s.filter(x => a < b < c)\n",
               "t.ds:1:21: error: syntax error: unexpected '<'\n"
               "s.filter(x => a < b < c)\n"
               "                    ^\n",
               1);
  expect_error("param : int\n",
               "t.ds:1:7: error: syntax error: unexpected ':', expected identifier\n"
               "param : int\n"
               "      ^\n",
               1);
  expect_error("x = s.map(w => w\n",
               "t.ds:1:17: error: syntax error: unexpected end of file\n"
               "x = s.map(w => w\n"
               "                ^\n",
               1);
  expect_error("x = s.map(w => w))\n",
               "t.ds:1:18: error: syntax error: unexpected ')'\n"
               "x = s.map(w => w))\n"
               "                 ^\n",
               1);
  /* A statement ends at the end of the line: a second expression on it is an error. */
  expect_error("x = a b\n",
               "t.ds:1:7: error: syntax error: unexpected identifier\n"
               "x = a b\n"
               "      ^\n",
               1);
}

static void test_error_recovery(void) {
  /* One message per bad line; the good lines between still parse. */
  ast_program *p = parse("x = )\ny = s\nz = (]\nw = t\n");
  CU_ASSERT_EQUAL(last.errors, 2);
  CU_ASSERT_EQUAL(p->items.len, 2);
  ASSERT_TEXT(last.diags, "t.ds:1:5: error: syntax error: unexpected ')'\n"
                     "x = )\n"
                     "    ^\n"
                     "t.ds:3:6: error: syntax error: unexpected ']'\n"
                     "z = (]\n"
                     "     ^\n");
  /* A token the lexer rejected gets no second message from the parser. */
  expect_error("x = @\n",
               "t.ds:1:5: error: unexpected character '@'\n"
               "x = @\n"
               "    ^\n",
               1);
}

static void test_group_errors(void) {
  expect_error("x = (a: int)\n",
               "t.ds:1:6: error: a parameter type annotation is only allowed in a lambda's parameter list\n"
               "x = (a: int)\n"
               "     ^~~~~~\n",
               1);
  expect_error("s.map((a, 1) => a)\n",
               "t.ds:1:11: error: expected a parameter name in the lambda's parameter list\n"
               "s.map((a, 1) => a)\n"
               "          ^\n",
               1);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("parser", NULL, NULL);
  CU_add_test(s, "wordcount", test_wordcount);
  CU_add_test(s, "lambdas", test_lambdas);
  CU_add_test(s, "tuples and groups", test_tuples_and_groups);
  CU_add_test(s, "named arguments", test_named_args);
  CU_add_test(s, "if and let", test_if_let);
  CU_add_test(s, "precedence", test_precedence);
  CU_add_test(s, "multi-line statements", test_multiline);
  CU_add_test(s, "fn and types", test_fn_and_types);
  CU_add_test(s, "syntax errors", test_syntax_errors);
  CU_add_test(s, "error recovery", test_error_recovery);
  CU_add_test(s, "lambda parameter list errors", test_group_errors);
  int failed = dsc_cunit_run();
  free(last.diags);
  mem_release_all();
  return failed;
}
