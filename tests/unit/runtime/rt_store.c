/* rt_store.c — unit tests of stores: memory, tables and vecs that outlive a batch, and give all
 * their memory back when freed. */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static dsc_rt_program prog;
static dsc_rt_ctx ctx;

static long rss_kib(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  long size = 0, res = 0;
  if (f) {
    if (fscanf(f, "%ld %ld", &size, &res) != 2) res = 0;
    fclose(f);
  }
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_alloc_aligned_zeroed(void) {
  CU_ASSERT_PTR_NOT_NULL(&ctx);
  dsc_rt_store_free(NULL); /* allowed */
  dsc_rt_store *st = dsc_rt_store_new(&ctx);
  int64_t asked = 0;
  for (int i = 0; i < 5000; i++) {
    asked += i % 300;
    unsigned char *p = dsc_rt_store_alloc(st, i % 300);
    CU_ASSERT_EQUAL_FATAL((uintptr_t)p % 16, 0);
    for (int k = 0; k < i % 300; k++) CU_ASSERT_EQUAL_FATAL(p[k], 0);
    memset(p, 0xCD, (size_t)(i % 300));
  }
  CU_ASSERT_EQUAL(dsc_rt_store_bytes(st), asked);
  unsigned char *big = dsc_rt_store_alloc(st, 3 * 1024 * 1024);
  CU_ASSERT_EQUAL(dsc_rt_store_bytes(st), asked + 3 * 1024 * 1024);
  CU_ASSERT_EQUAL(big[3 * 1024 * 1024 - 1], 0);
  CU_ASSERT_PTR_NOT_NULL(dsc_rt_store_alloc(st, 0));
  dsc_rt_store_free(st);
}

/* A table and a vec in a store keep their keys and payloads across batch ends, while the
 * workers' arenas are reset and reused by other allocations. */
static void test_survives_worker_resets(void) {
  dsc_rt_store *st = dsc_rt_store_new(&ctx);
  dsc_rt_table *t = dsc_rt_store_table(st, sizeof(int64_t));
  dsc_rt_vec *v = dsc_rt_store_vec(st, sizeof(int64_t));
  char key[32];
  for (int batch = 0; batch < 20; batch++) {
    dsc_rt_worker *w = dsc_rt_main_worker(&ctx);
    dsc_rt_table *tmp = dsc_rt_table_new(w, 8); /* a batch table beside it */
    for (int i = 0; i < 500; i++) {
      int n = snprintf(key, sizeof key, "k%d", i + batch * 100);
      int32_t is_new;
      int64_t *c = dsc_rt_table_upsert(t, key, n, &is_new);
      *c += 1;
      dsc_rt_table_upsert(tmp, key, n, &is_new);
      *(int64_t *)dsc_rt_vec_push(v) = batch * 1000 + i;
    }
    for (int64_t k = 0; k < ctx.pool.nthreads; k++) /* scribble over every worker arena */
      memset(dsc_rt_alloc(&ctx.workers[k], 1 << 16), 0x5A, 1 << 16);
    for (int64_t k = 0; k < ctx.pool.nthreads; k++) rt_worker_reset(&ctx.workers[k]);
    for (int64_t k = 0; k < ctx.pool.nthreads; k++)
      memset(dsc_rt_alloc(&ctx.workers[k], 1 << 20), 0xA5, 1 << 20);
  }
  /* keys k0..k2399; key kX was upserted once per batch with X - 100*batch in [0, 500). */
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), 500 + 19 * 100);
  for (int x = 0; x < 2400; x++) {
    int n = snprintf(key, sizeof key, "k%d", x);
    int64_t *c = dsc_rt_table_find(t, key, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    int lo = x >= 500 ? (x - 499 + 99) / 100 : 0, hi = x / 100 < 19 ? x / 100 : 19;
    CU_ASSERT_EQUAL(*c, hi - lo + 1);
    int64_t klen;
    const char *k = dsc_rt_table_key(t, x, &klen); /* insertion order = numeric order */
    CU_ASSERT_EQUAL(klen, n);
    CU_ASSERT(!memcmp(k, key, (size_t)n));
  }
  CU_ASSERT_EQUAL(dsc_rt_vec_len(v), 20 * 500);
  for (int64_t i = 0; i < 20 * 500; i++)
    CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_vec_at(v, i), (i / 500) * 1000 + i % 500);
  dsc_rt_store_free(st);
  for (int64_t k = 0; k < ctx.pool.nthreads; k++) rt_worker_reset(&ctx.workers[k]);
}

static void fill(dsc_rt_store *st, int salt) {
  dsc_rt_table *t = dsc_rt_store_table(st, 40);
  dsc_rt_vec *v = dsc_rt_store_vec(st, 24);
  char key[32];
  for (int i = 0; i < 3000; i++) {
    int n = snprintf(key, sizeof key, "key-%d-%d", salt, i);
    memset(dsc_rt_table_upsert(t, key, n, NULL), 1, 40);
    memset(dsc_rt_vec_push(v), 2, 24);
    if (i % 10 == 0) memset(dsc_rt_store_alloc(st, 100), 3, 100);
  }
  dsc_rt_vec *v2 = dsc_rt_store_vec(st, 24);
  dsc_rt_vec_extend(v2, v);
  CU_ASSERT_EQUAL(dsc_rt_vec_len(v2), 3000);
}

/* A window of 6 live stores, one made and one freed per "batch": RSS stays flat. */
static void test_bounded_memory(void) {
  enum { LIVE = 6, ROUNDS = 3000 };
  dsc_rt_store *live[LIVE] = {0};
  long after_warmup = 0;
  for (int r = 0; r < ROUNDS; r++) {
    dsc_rt_store_free(live[r % LIVE]);
    live[r % LIVE] = dsc_rt_store_new(&ctx);
    fill(live[r % LIVE], r);
    if (r == 200) after_warmup = rss_kib();
  }
  long end = rss_kib();
  for (int i = 0; i < LIVE; i++) dsc_rt_store_free(live[i]);
#if defined(__SANITIZE_ADDRESS__)
  (void)end, (void)after_warmup; /* ASan's quarantine holds freed memory; it checks leaks */
#else
  printf("\n    rss after warm-up %ld KiB, at end %ld KiB ", after_warmup, end);
  CU_ASSERT(end - after_warmup < 2048);
#endif
}

int main(void) {
  rt_program_init(&prog);
  rt_options opt = {.interval_ms = 1000, .threads = 3};
  rt_ctx_init(&ctx, &prog, &opt);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("store", NULL, NULL);
  CU_add_test(s, "alloc: aligned, zeroed; free(NULL)", test_alloc_aligned_zeroed);
  CU_add_test(s, "table and vec survive worker resets", test_survives_worker_resets);
  CU_add_test(s, "create/fill/free cycles: bounded RSS", test_bounded_memory);
  int failed = dsc_cunit_run();
  rt_ctx_free(&ctx);
  rt_program_free(&prog);
  return failed;
}
