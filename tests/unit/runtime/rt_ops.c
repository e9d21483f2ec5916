/* rt_ops.c — unit tests of the wider operator support: table_find, vec extend, stable sort,
 * csv(), format() buffers and saveAsTextFiles (regexes: rt_regex.c). */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static dsc_rt_worker w;
#define S(lit) lit, (int64_t)(sizeof(lit) - 1)
#define CU_ASSERT_STR(view, lit) \
  CU_ASSERT((view).len == (int64_t)(sizeof(lit) - 1) && !memcmp((view).ptr, lit, sizeof(lit) - 1))

static void test_find_extend(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, 8);
  int32_t is_new;
  *(int64_t *)dsc_rt_table_upsert(t, S("k"), &is_new) = 5;
  CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(t, S("k")), 5);
  CU_ASSERT_PTR_NULL(dsc_rt_table_find(t, S("x")));
  CU_ASSERT_PTR_NULL(dsc_rt_table_find(t, S("")));
  dsc_rt_vec *a = dsc_rt_vec_new(&w, 4), *b = dsc_rt_vec_new(&w, 4);
  CU_ASSERT_PTR_NULL(dsc_rt_vec_data(a));
  for (int i = 0; i < 40; i++) *(int32_t *)dsc_rt_vec_push(i % 2 ? a : b) = i;
  dsc_rt_vec_extend(a, b);
  CU_ASSERT_EQUAL(dsc_rt_vec_len(a), 40);
  CU_ASSERT_EQUAL(((int32_t *)dsc_rt_vec_data(a))[20], 0);
  CU_ASSERT_EQUAL(((int32_t *)dsc_rt_vec_data(a))[39], 38);
  rt_worker_reset(&w);
}

typedef struct pair { int32_t key, seq; } pair;
static int32_t by_key(const void *x, const void *y) {
  return ((const pair *)x)->key - ((const pair *)y)->key;
}

static void test_sort_stable(void) {
  enum { N = 1001 };
  pair *p = malloc(sizeof(pair) * N);
  for (int i = 0; i < N; i++) p[i].key = (i * 7919) % 13, p[i].seq = i;
  dsc_rt_sort(p, N, sizeof(pair), by_key);
  for (int i = 1; i < N; i++) {
    CU_ASSERT_FATAL(p[i - 1].key <= p[i].key);
    if (p[i - 1].key == p[i].key) CU_ASSERT_FATAL(p[i - 1].seq < p[i].seq);
  }
  dsc_rt_sort(p, 0, sizeof(pair), by_key);
  free(p);
}

static void test_csv(void) {
  dsc_list l;
  dsc_rt_csv_fields(&w, S("a,\"b,c\",\"say \"\"hi\"\"\",,d,"), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 6);
  dsc_str *v = l.data;
  CU_ASSERT_STR(v[0], "a");
  CU_ASSERT_STR(v[1], "b,c");
  CU_ASSERT_STR(v[2], "say \"hi\"");
  CU_ASSERT_STR(v[3], "");
  CU_ASSERT_STR(v[4], "d");
  CU_ASSERT_STR(v[5], "");
  dsc_rt_csv_fields(&w, S(""), &l);
  CU_ASSERT_EQUAL(l.len, 1);
  /* around the 16 fields split on the stack: 15, 16, 16 and a trailing comma, 40, and quoted
     commas that make the comma count overstate the fields */
  static const int counts[] = {15, 16, 17, 40};
  for (int c = 0; c < 4; c++) {
    char line[256];
    int len = 0;
    for (int f = 0; f < counts[c]; f++)
      len += snprintf(line + len, sizeof line - (size_t)len, "%sf%d", f ? "," : "", f);
    dsc_rt_csv_fields(&w, line, len, &l);
    CU_ASSERT_EQUAL_FATAL(l.len, counts[c]);
    v = l.data;
    for (int f = 0; f < counts[c]; f++) {
      char want[16];
      int wn = snprintf(want, sizeof want, "f%d", f);
      CU_ASSERT(v[f].len == wn && !memcmp(v[f].ptr, want, (size_t)wn));
    }
    line[len] = ',';
    dsc_rt_csv_fields(&w, line, len + 1, &l);
    CU_ASSERT_EQUAL_FATAL(l.len, counts[c] + 1);
    CU_ASSERT_EQUAL(((dsc_str *)l.data)[counts[c]].len, 0);
  }
  const char *q = "\"a,b\",\"c,d\",\"e,f\",\"g,h\",\"i,j\",\"k,l\",\"m,n\",\"o,p\",\"q,r\",x";
  dsc_rt_csv_fields(&w, q, (int64_t)strlen(q), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 10);
  CU_ASSERT_STR(((dsc_str *)l.data)[8], "q,r");
  CU_ASSERT_STR(((dsc_str *)l.data)[9], "x");
  const char *q20 = "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,\"16,x\",17,18,19,20";
  dsc_rt_csv_fields(&w, q20, (int64_t)strlen(q20), &l);
  CU_ASSERT_EQUAL_FATAL(l.len, 20);
  CU_ASSERT_STR(((dsc_str *)l.data)[15], "16,x");
  CU_ASSERT_STR(((dsc_str *)l.data)[19], "20");
  rt_worker_reset(&w);
}

static void test_format(void) {
  dsc_rt_program prog;
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .threads = 1};
  dsc_rt_ctx ctx;
  rt_ctx_init(&ctx, &prog, &opt);
  dsc_str o;
  dsc_rt_buf *b = dsc_rt_scratch_buf(&w);
  dsc_rt_buf_printf_int(b, "%-5lld|", 42);
  dsc_rt_buf_printf_float(b, "%.2f|", 3.14159);
  dsc_rt_buf_printf_str(b, "%6s", S("abc"));
  dsc_rt_buf_take(&w, b, &o);
  CU_ASSERT_STR(o, "42   |3.14|   abc");
  CU_ASSERT_EQUAL(dsc_rt_scratch_buf(&w)->len, 0);
  /* %d and %s through snprintf; %s stops at a NUL, as the C string does */
  b = dsc_rt_scratch_buf(&w);
  dsc_rt_buf_printf_int(b, "%lld", INT64_MIN);
  dsc_rt_buf_printf_str(b, "%s", S(" x "));
  dsc_rt_buf_printf_int(b, "%lld", 7);
  dsc_rt_buf_printf_str(b, "%s", S("a\0b"));
  dsc_rt_buf_printf_str(b, "%s", S(""));
  dsc_rt_buf_take(&w, b, &o);
  CU_ASSERT_STR(o, "-9223372036854775808 x 7a");
  b = dsc_rt_scratch_buf(&w); /* the flagless %s the compiler calls directly */
  dsc_rt_buf_printf_plain_str(b, S("p\0q"));
  dsc_rt_buf_printf_plain_str(b, S(" r"));
  dsc_rt_buf_take(&w, b, &o);
  CU_ASSERT_STR(o, "p r");

  char prefix[] = "/tmp/dsc_rt_ops_save";
  dsc_rt_batch batch = {.time_ms = 12000};
  dsc_rt_buf *sb = dsc_rt_save_begin(&ctx, &batch, S(prefix), S("txt"));
  dsc_rt_buf_bytes(sb, S("line1\nline2\n"));
  dsc_rt_save_end(&ctx, sb);
  FILE *f = fopen("/tmp/dsc_rt_ops_save-12000.txt", "rb");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  char got[64] = "";
  size_t n = fread(got, 1, sizeof got - 1, f);
  fclose(f);
  CU_ASSERT_EQUAL(n, 12);
  CU_ASSERT_STRING_EQUAL(got, "line1\nline2\n");
  unlink("/tmp/dsc_rt_ops_save-12000.txt");
  sb = dsc_rt_save_begin(&ctx, &batch, S(prefix), S(""));
  dsc_rt_save_end(&ctx, sb);
  CU_ASSERT_EQUAL(access("/tmp/dsc_rt_ops_save-12000", F_OK), 0);
  unlink("/tmp/dsc_rt_ops_save-12000");
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
  rt_worker_reset(&w);
}

int main(void) {
  rt_worker_init(&w, 0);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("operators", NULL, NULL);
  CU_add_test(s, "table_find, vec_extend", test_find_extend);
  CU_add_test(s, "stable sort", test_sort_stable);
  CU_add_test(s, "csv", test_csv);
  CU_add_test(s, "format, save", test_format);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
