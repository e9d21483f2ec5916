/* rt_lines.c — unit tests of line splitting, UTF-8 repair, the per-batch line store and the
 * manual-clock markers as a source sees them. */
#include <CUnit/Basic.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

typedef struct collected {
  char text[4096];      /* lines joined by '|' */
  size_t len;           /* bytes in text */
  int64_t count;        /* lines */
  int64_t last_no;      /* line number of the last line */
  int64_t last_orig;    /* original length of the last line */
} collected;

static void collect(void *env, const char *s, size_t n, int64_t line_no, int64_t orig_len) {
  collected *c = env;
  if (c->count++) c->text[c->len++] = '|';
  memcpy(c->text + c->len, s, n < 1000 ? n : 1000);
  c->len += n < 1000 ? n : 1000;
  c->text[c->len] = 0;
  c->last_no = line_no, c->last_orig = orig_len;
}

/* Feeds the chunks (NULL-terminated list) then finishes. */
static void split(collected *c, int64_t max, const char **chunks) {
  memset(c, 0, sizeof *c);
  rt_splitter sp;
  rt_splitter_init(&sp, max);
  for (; *chunks; chunks++) rt_split_feed(&sp, *chunks, strlen(*chunks), collect, c);
  rt_split_finish(&sp, collect, c);
  rt_splitter_free(&sp);
}

static void test_terminators(void) {
  collected c;
  split(&c, 0, (const char *[]){"a\nb\r\nc\rd", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "a|b|c|d");
  CU_ASSERT_EQUAL(c.count, 4);
  split(&c, 0, (const char *[]){"a\n\nb\n", NULL}); /* empty line kept, no line after last \n */
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  CU_ASSERT_EQUAL(c.count, 3);
  split(&c, 0, (const char *[]){"a\r\r\nb", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  split(&c, 0, (const char *[]){"", NULL});
  CU_ASSERT_EQUAL(c.count, 0);
  split(&c, 0, (const char *[]){"\n", NULL});
  CU_ASSERT_EQUAL(c.count, 1);
  CU_ASSERT_STRING_EQUAL(c.text, "");
}

static void test_split_across_reads(void) {
  collected c;
  split(&c, 0, (const char *[]){"hel", "lo\r", "\nwor", "ld\r", "x", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "hello|world|x");
  split(&c, 0, (const char *[]){"a\r", "\r", "\n", "b", NULL}); /* \r | \r\n */
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  split(&c, 0, (const char *[]){"a", "b", "c", "\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  CU_ASSERT_EQUAL(c.last_no, 1);
  split(&c, 0, (const char *[]){"a\r", "", "\nb", NULL}); /* an empty read keeps the pending \r */
  CU_ASSERT_STRING_EQUAL(c.text, "a|b");
}

static void test_truncation(void) {
  collected c;
  split(&c, 4, (const char *[]){"abcdefgh\nxy\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd|xy");
  CU_ASSERT_EQUAL(c.last_orig, 2);
  split(&c, 4, (const char *[]){"abc", "def", "gh", "ij\nz", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd|z");
  split(&c, 4, (const char *[]){"ab", "cdefghij", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd");
  CU_ASSERT_EQUAL(c.last_orig, 10);
  CU_ASSERT_EQUAL(c.last_no, 1);
  /* The cut backs off to a code-point boundary: é is 2 bytes at offsets 3-4. */
  split(&c, 4, (const char *[]){"abc\xc3\xa9z\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  split(&c, 4, (const char *[]){"ab", "c\xc3\xa9z\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  /* A huge line streamed in pieces keeps at most max bytes in memory. */
  rt_splitter sp;
  rt_splitter_init(&sp, 1000);
  memset(&c, 0, sizeof c);
  char *chunk = malloc(1 << 16);
  memset(chunk, 'q', 1 << 16);
  for (int i = 0; i < 64; i++) rt_split_feed(&sp, chunk, 1 << 16, collect, &c);
  rt_split_feed(&sp, "\nnext\n", 6, collect, &c);
  CU_ASSERT(sp.part_cap <= 1024);
  CU_ASSERT_EQUAL(c.count, 2);
  CU_ASSERT_EQUAL(c.last_orig, 4);
  rt_splitter_free(&sp);
  free(chunk);
}

static void check_repair(const char *in, size_t n, const char *want, size_t wn,
                         int64_t want_invalid) {
  char out[64];
  int64_t invalid = 0;
  size_t k = rt_utf8_repair(in, n, out, &invalid);
  int ok = k == wn && !memcmp(out, want, k) && invalid == want_invalid;
  if (!ok) fprintf(stderr, "\n  repair: got %zu bytes / %lld invalid\n", k, (long long)invalid);
  CU_ASSERT(ok);
}
#define FFFD "\xef\xbf\xbd"
#define REP(lit, want, inv) check_repair(lit, sizeof(lit) - 1, want, sizeof(want) - 1, inv)

static void test_utf8_repair(void) {
  REP("abc", "abc", 0);
  REP("caf\xc3\xa9", "caf\xc3\xa9", 0);
  REP("\xff", FFFD, 1);
  REP("a\x80" "b", "a" FFFD "b", 1);
  REP("\xc3", FFFD, 1);                         /* truncated at the end */
  REP("\xe2\x82" "x", FFFD "x", 1);             /* maximal subpart: one U+FFFD */
  REP("\xed\xa0\x80", FFFD FFFD FFFD, 3);       /* surrogate: each byte */
  REP("\xc0\xaf", FFFD FFFD, 2);                /* overlong */
  REP("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4); /* > U+10FFFF */
  REP("\xf0\x9f\x98", FFFD, 1);
  REP("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0);
  REP("a\0b", "a\0b", 0);                       /* NUL is data */
}

static void test_lines_store(void) {
  rt_lines l;
  rt_lines_init(&l);
  char big[5000];
  memset(big, 'x', sizeof big);
  for (int i = 0; i < 3000; i++) rt_lines_append(&l, i % 2 ? big : "ab\xff", i % 2 ? sizeof big : 3);
  rt_lines_append(&l, "", 0);
  rt_lines_seal(&l);
  CU_ASSERT_EQUAL(l.count, 3001);
  CU_ASSERT_EQUAL(l.invalid, 1500);
  CU_ASSERT_EQUAL(l.views[0].len, 5);
  CU_ASSERT(!memcmp(l.views[0].ptr, "ab" FFFD, 5));
  CU_ASSERT_EQUAL(l.views[2999].len, 5000);
  CU_ASSERT_EQUAL(l.views[2999].ptr[4999], 'x');
  CU_ASSERT_EQUAL(l.views[3000].len, 0);
  rt_lines_free(&l);
  rt_lines_init(&l); /* only empty lines: no byte buffer at all */
  rt_lines_append(&l, "", 0);
  rt_lines_seal(&l);
  CU_ASSERT_EQUAL(l.views[0].len, 0);
  CU_ASSERT_PTR_NOT_NULL(l.views[0].ptr);
  rt_lines_free(&l);
}

static void test_markers(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .manual_clock = 1, .threads = 1, .max_line_bytes = 8};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  rt_source *s = rt_source_new(&ctx, RT_SRC_STDIN, "stdin");
  const char *in = "a b\n@batch\r\n@batch\n@batchx\n 0123456789abc\n@ba";
  rt_source_feed(s, in, strlen(in));
  rt_source_feed(s, "tch", 3);
  rt_source_eof(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue);
  CU_ASSERT_EQUAL(s->queue->lines.count, 1);  /* "a b" */
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue->next);
  CU_ASSERT_EQUAL(s->queue->next->lines.count, 0);   /* an empty batch between two markers */
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue->next->next);  /* the final "@batch" without newline */
  rt_lines *third = &s->queue->next->next->lines;
  CU_ASSERT_EQUAL(third->count, 2);  /* "@batchx" is data; the long line is truncated */
  rt_lines_seal(third);
  CU_ASSERT_EQUAL(third->views[1].len, 8);
  CU_ASSERT_EQUAL(s->cur.count, 0);
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("lines", NULL, NULL);
  CU_add_test(s, "terminators", test_terminators);
  CU_add_test(s, "lines split across reads", test_split_across_reads);
  CU_add_test(s, "huge line truncation", test_truncation);
  CU_add_test(s, "UTF-8 repair", test_utf8_repair);
  CU_add_test(s, "line store", test_lines_store);
  CU_add_test(s, "manual clock markers", test_markers);
  int failed = dsc_cunit_run();
  return failed;
}
