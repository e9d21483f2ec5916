/* test_lexer.c — the scanner and the newline filter, seen from outside: token streams as
 * `--emit=tokens` prints them (parse_dump_tokens into a memstream), decoded literal values as
 * the parser stores them, and the exact text of every lexical diagnostic (integers, hex,
 * floats, durations, strings and their escapes, unterminated strings, stray ASCII, UTF-8 and
 * NUL bytes).  The filter's rules get their own tests: a newline ends a statement only where
 * one can end and the next line can start one, so chains continued with a leading `.`, newlines
 * inside parentheses and operators at the end of a line all join lines. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "parse.h"
#include "sema.h"
#include "types.h"
#include "../cunit_main.h"


typedef struct lexed {
  char *tokens; /* parse_dump_tokens output (malloc'd) */
  char *diags;  /* diagnostics (malloc'd) */
  int errors;   /* errors reported */
} lexed;

static lexed lex_text(const char *text, int len) {
  lexed r;
  size_t n1, n2;
  FILE *tok = open_memstream(&r.tokens, &n1);
  FILE *err = open_memstream(&r.diags, &n2);
  src_file *src = source_from_string("t.ds", text, len);
  diag_ctx d;
  diag_init(&d, src, err);
  parse_dump_tokens(tok, src, &d);
  fclose(tok);
  fclose(err);
  r.errors = d.errors;
  return r;
}

static lexed lex(const char *text) { return lex_text(text, (int)strlen(text)); }

static void lexed_free(lexed *r) {
  free(r->tokens);
  free(r->diags);
  mem_release_all();
  types_reset();
}

/* Expects the tokens and no diagnostics. */
static void expect_tokens(const char *text, const char *tokens) {
  lexed r = lex(text);
  ASSERT_TEXT(r.tokens, tokens);
  ASSERT_TEXT(r.diags, "");
  CU_ASSERT_EQUAL(r.errors, 0);
  lexed_free(&r);
}

/* Expects exactly these diagnostics. */
static void expect_diags_text(const char *text, int len, const char *diags, int errors) {
  lexed r = lex_text(text, len);
  ASSERT_TEXT(r.diags, diags);
  CU_ASSERT_EQUAL(r.errors, errors);
  lexed_free(&r);
}

static void expect_diags(const char *text, const char *diags, int errors) {
  expect_diags_text(text, (int)strlen(text), diags, errors);
}

/* The first item's value of `x = LITERAL`, parsed without errors. */
static expr *literal(const char *text) {
  char *out;
  size_t n;
  FILE *err = open_memstream(&out, &n);
  src_file *src = source_from_string("t.ds", text, (int)strlen(text));
  diag_ctx d;
  diag_init(&d, src, err);
  ast_program *prog = parse_program(src, &d);
  fclose(err);
  ASSERT_TEXT(out, "");
  free(out);
  if (d.errors || prog->items.len != 1)
    return NULL;
  return ((ast_item *)prog->items.items[0])->value;
}

static void test_integers(void) {
  expect_tokens("1 42 0x1F 007\n",
                "1:1 token '1'\n1:3 token '42'\n1:6 token '0x1F'\n1:11 token '007'\n1:14 NL ''\n");
  expr *e = literal("x = 0x1F");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->kind, E_INT);
  CU_ASSERT_EQUAL(e->ival, 31);
  mem_release_all();
  e = literal("x = 9223372036854775807");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->ival, INT64_MAX);
  mem_release_all();
  expect_diags("x = 0x8000000000000001\n",
               "t.ds:1:5: error: integer literal '0x8000000000000001' is too large for int (64-bit)\n"
               "x = 0x8000000000000001\n"
               "    ^~~~~~~~~~~~~~~~~~\n",
               1);
  expect_diags("x = 99999999999999999999\n",
               "t.ds:1:5: error: integer literal '99999999999999999999' is too large for int (64-bit)\n"
               "x = 99999999999999999999\n"
               "    ^~~~~~~~~~~~~~~~~~~~\n",
               1);
}

static void test_floats(void) {
  expect_tokens("1.5 2e3 1.25E-2 3.0e+1\n",
                "1:1 token '1.5'\n1:5 token '2e3'\n1:9 token '1.25E-2'\n1:17 token '3.0e+1'\n"
                "1:23 NL ''\n");
  expr *e = literal("x = 1.25E-2");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->kind, E_FLOAT);
  CU_ASSERT_DOUBLE_EQUAL(e->fval, 0.0125, 1e-12);
  mem_release_all();
  /* A digit run then `.` then a name is a member access, not a float. */
  expect_tokens("1.x", "1:1 token '1'\n1:2 punct '.'\n1:3 token 'x'\n1:4 NL ''\n");
}

static void test_durations(void) {
  expect_tokens("10s 500ms 1min 2h 10sec\n", "1:1 token '10s'\n1:5 token '500ms'\n1:11 token '1min'\n"
                                          "1:16 token '2h'\n1:19 token '10sec'\n1:24 NL ''\n");
  expr *e = literal("batch 500ms");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->kind, E_DURATION);
  CU_ASSERT_STRING_EQUAL(e->sval, "500ms");
  mem_release_all();
  CU_ASSERT_EQUAL(sema_duration_ms("500ms"), 500);
  CU_ASSERT_EQUAL(sema_duration_ms("10s"), 10000);
  CU_ASSERT_EQUAL(sema_duration_ms("2min"), 120000);
  CU_ASSERT_EQUAL(sema_duration_ms("2h"), 7200000);
  CU_ASSERT_EQUAL(sema_duration_ms("10sec"), -1);
  CU_ASSERT_EQUAL(sema_duration_ms("s"), -1);
  CU_ASSERT_EQUAL(sema_duration_ms("99999999999999999h"), -1);
}

static void test_keywords_and_operators(void) {
  expect_tokens("if a => b == c != d <= e >= f && g || !h then x else y",
                "1:1 token 'if'\n1:4 token 'a'\n1:6 token '=>'\n1:9 token 'b'\n1:11 token '=='\n"
                "1:14 token 'c'\n1:16 token '!='\n1:19 token 'd'\n1:21 token '<='\n1:24 token 'e'\n"
                "1:26 token '>='\n1:29 token 'f'\n1:31 token '&&'\n1:34 token 'g'\n1:36 token '||'\n"
                "1:39 punct '!'\n1:40 token 'h'\n1:42 token 'then'\n1:47 token 'x'\n"
                "1:49 token 'else'\n1:54 token 'y'\n1:55 NL ''\n");
  /* `inner` and `iff` are names, not keywords followed by letters. */
  expect_tokens("inner iff _x1", "1:1 token 'inner'\n1:7 token 'iff'\n1:11 token '_x1'\n1:14 NL ''\n");
}

static void test_strings(void) {
  expr *e = literal("x = \"a\\n\\t\\u{1F600}\\\\\\\"\"");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->kind, E_STRING);
  CU_ASSERT_EQUAL(e->slen, 9);
  CU_ASSERT_EQUAL(memcmp(e->sval, "a\n\t\xF0\x9F\x98\x80\\\"", 9), 0);
  mem_release_all();
  e = literal("x = 'say \"hi\"\\u{e9}\\0'");
  CU_ASSERT_PTR_NOT_NULL_FATAL(e);
  CU_ASSERT_EQUAL(e->slen, 11);
  CU_ASSERT_EQUAL(memcmp(e->sval, "say \"hi\"\xC3\xA9\0", 11), 0);
  mem_release_all();
  /* A string token's span covers both quotes. */
  expect_tokens("\"a b\" 'c'", "1:1 token '\"a b\"'\n1:7 token ''c''\n1:10 NL ''\n");
}

static void test_unterminated_string(void) {
  expect_diags("x = \"abc\ny = 1\n",
               "t.ds:1:5: error: unterminated string literal\n"
               "x = \"abc\n"
               "    ^\n",
               1);
  expect_diags("x = 'abc\\", /* a backslash right before the end of the file */
               "t.ds:1:5: error: unterminated string literal\n"
               "x = 'abc\\\n"
               "    ^\n",
               1);
}

static void test_bad_escape(void) {
  expect_diags("x = \"a\\qb\"\n",
               "t.ds:1:7: error: unknown escape sequence '\\q' (known: \\n \\t \\r \\0 \\\\ \\\" \\' \\u{HEX})\n"
               "x = \"a\\qb\"\n"
               "      ^~\n",
               1);
  expect_diags("x = \"\\u{110000}\"\n",
               "t.ds:1:6: error: bad unicode escape: expected \\u{HEX} with a code point up to 10FFFF\n"
               "x = \"\\u{110000}\"\n"
               "     ^~~~~~~~~~\n",
               1);
  expect_diags("x = \"\\u{D800}\"\n",
               "t.ds:1:6: error: bad unicode escape: expected \\u{HEX} with a code point up to 10FFFF\n"
               "x = \"\\u{D800}\"\n"
               "     ^~~~~~~~\n",
               1);
  lexed r = lex("x = \"\\u{}\" + \"\\u41\" + \"\\u{12345678}\" + \"\\u{zz}\"\n");
  CU_ASSERT_EQUAL(r.errors, 4);
  lexed_free(&r);
}

static void test_unexpected_characters(void) {
  expect_diags("x = a @ b\n",
               "t.ds:1:7: error: unexpected character '@'\n"
               "x = a @ b\n"
               "      ^\n",
               1);
  expect_diags("x = \xE2\x82\xAC + 1\n",
               "t.ds:1:5: error: unexpected character '\xE2\x82\xAC' (non-ASCII characters may only "
               "appear in strings and comments)\n"
               "x = \xE2\x82\xAC + 1\n"
               "    ^~~\n",
               1);
  expect_diags("x = \x01\n",
               "t.ds:1:5: error: unexpected byte 0x01\n"
               "x = \x01\n"
               "    ^\n",
               1);
  /* A stray continuation byte, and UTF-8 inside strings and comments, which is fine. */
  expect_diags("x = \x80\n", "t.ds:1:5: error: unexpected byte 0x80\nx = \x80\n    ^\n", 1);
  expect_tokens("x = \"\xC3\xA9\" # caf\xC3\xA9\n", "1:1 token 'x'\n1:3 punct '='\n1:5 token '\"\xC3\xA9\"'\n1:17 NL ''\n");
}

static void test_nul_byte(void) {
  /* The whole line is shown, the NUL as a blank, so the caret lines up. */
  expect_diags_text("a = 1\0 + 2\n", 11,
                    "t.ds:1:6: error: unexpected byte 0x00\n"
                    "a = 1  + 2\n"
                    "     ^\n",
                    1);
}

static void test_comments(void) {
  expect_tokens("# only a comment\n", "");
  expect_tokens("x # trailing\n# full line\ny\n", "1:1 token 'x'\n1:13 NL ''\n3:1 token 'y'\n3:2 NL ''\n");
  expect_tokens("x = \"# not a comment\"", "1:1 token 'x'\n1:3 punct '='\n1:5 token '\"# not a comment\"'\n1:22 NL ''\n");
}

static void test_newline_filter(void) {
  /* A chain continued on lines that start with `.`, with blank and comment lines between. */
  expect_tokens("a = b\n  .c(1)\n\n  # note\n  .d()\ne\n",
                "1:1 token 'a'\n1:3 punct '='\n1:5 token 'b'\n2:3 punct '.'\n2:4 token 'c'\n"
                "2:5 punct '('\n2:6 token '1'\n2:7 punct ')'\n5:3 punct '.'\n5:4 token 'd'\n"
                "5:5 punct '('\n5:6 punct ')'\n5:7 NL ''\n6:1 token 'e'\n6:2 NL ''\n");
  /* Inside ( ) and [ ] a newline is white space. */
  expect_tokens("f(1,\n  [2,\n 3]\n)\n", "1:1 token 'f'\n1:2 punct '('\n1:3 token '1'\n1:4 punct ','\n"
                                        "2:3 punct '['\n2:4 token '2'\n2:5 punct ','\n3:2 token '3'\n"
                                        "3:3 punct ']'\n4:1 punct ')'\n4:2 NL ''\n");
  /* After an operator (or `=`, `=>`, `,`) the expression goes on. */
  expect_tokens("x = 1 +\n  2 &&\n  y =>\n  z\n",
                "1:1 token 'x'\n1:3 punct '='\n1:5 token '1'\n1:7 punct '+'\n2:3 token '2'\n"
                "2:5 token '&&'\n3:3 token 'y'\n3:5 token '=>'\n4:3 token 'z'\n4:4 NL ''\n");
  /* A line that starts with an operator or `else` continues the one before. */
  expect_tokens("x = 1\n  + 2\n  == y\n", "1:1 token 'x'\n1:3 punct '='\n1:5 token '1'\n2:3 punct '+'\n"
                                        "2:5 token '2'\n3:3 token '=='\n3:6 token 'y'\n3:7 NL ''\n");
  expect_tokens("if a\nthen b\nelse c\n", "1:1 token 'if'\n1:4 token 'a'\n2:1 token 'then'\n"
                                         "2:6 token 'b'\n3:1 token 'else'\n3:6 token 'c'\n3:7 NL ''\n");
  /* The end of the file ends the last statement even without a newline; CRLF is a newline. */
  expect_tokens("a\r\nb", "1:1 token 'a'\n1:3 NL ''\n2:1 token 'b'\n2:2 NL ''\n");
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("lexer", NULL, NULL);
  CU_add_test(s, "integers", test_integers);
  CU_add_test(s, "floats", test_floats);
  CU_add_test(s, "durations", test_durations);
  CU_add_test(s, "keywords and operators", test_keywords_and_operators);
  CU_add_test(s, "strings and escapes", test_strings);
  CU_add_test(s, "unterminated string", test_unterminated_string);
  CU_add_test(s, "bad escapes", test_bad_escape);
  CU_add_test(s, "unexpected characters", test_unexpected_characters);
  CU_add_test(s, "NUL byte", test_nul_byte);
  CU_add_test(s, "comments", test_comments);
  CU_add_test(s, "newline filter", test_newline_filter);
  int failed = dsc_cunit_run();
  return failed;
}
