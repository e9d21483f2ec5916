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

/* csv() by its rules, a byte at a time: a field that starts with a quote runs to the closing
 * quote ("" is one quote), and what follows up to the comma is kept; any other field runs to
 * the next comma; a trailing comma ends an empty field.  Fields joined by \n into out. */
static int64_t csv_reference(const char *s, int64_t n, char *out, int64_t *nout) {
  int64_t k = 0, i = 0, o = 0;
  for (;;) {
    if (k) out[o++] = '\n';
    if (i < n && s[i] == '"') {
      for (i++; i < n; i++) {
        if (s[i] != '"') out[o++] = s[i];
        else if (i + 1 < n && s[i + 1] == '"') out[o++] = '"', i++;
        else { i++; break; }
      }
    }
    while (i < n && s[i] != ',') out[o++] = s[i++];
    k++;
    if (i >= n) break;
    i++;
    if (i == n) { out[o++] = '\n', k++; break; }
  }
  *nout = o;
  return k;
}

/* Random lines of commas, quotes, letters and UTF-8 (no quote at all in most, as in most CSV
 * input), of every length to 100, at every alignment: the fields against the reference. */
static void test_csv_random(void) {
  static const char alphabet[] = "ab,,, x\xc3\xa9";
  uint32_t seed = 99;
  char buf[160], want[400], got[400];
  for (int round = 0; round < 30000; round++) {
    seed = seed * 1103515245u + 12345u;
    int64_t n = (seed >> 8) % 101, at = (seed >> 20) % 32;
    int quoted = (seed >> 28) % 4 == 0;
    char *s = buf + at;
    for (int64_t i = 0; i < n; i++) {
      seed = seed * 1103515245u + 12345u;
      uint32_t r = (seed >> 8) % 100;
      s[i] = quoted && r < 8 ? '"' : alphabet[r % (sizeof alphabet - 1)];
    }
    int64_t wn, gn = 0;
    int64_t wk = csv_reference(s, n, want, &wn);
    dsc_list l;
    dsc_rt_csv_fields(&w, s, n, &l);
    for (int64_t f = 0; f < l.len; f++) {
      const dsc_str *v = &((const dsc_str *)l.data)[f];
      if (f) got[gn++] = '\n';
      memcpy(got + gn, v->ptr, (size_t)v->len), gn += v->len;
    }
    if (l.len != wk || gn != wn || memcmp(got, want, (size_t)wn))
      fprintf(stderr, "\n  csv('%.*s'): %lld fields\n", (int)n, s, (long long)l.len);
    CU_ASSERT_EQUAL_FATAL(l.len, wk);
    CU_ASSERT_FATAL(gn == wn && !memcmp(got, want, (size_t)wn));
    if (round % 1000 == 999) rt_worker_reset(&w);
  }
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
  CU_add_test(s, "csv of random lines", test_csv_random);
  CU_add_test(s, "format, save", test_format);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
