/* rt_memory.c — unit tests of batch memory: the arena, the hash table and the vec. */
#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "rt_internal.h"
#include "../cunit_main.h"

static dsc_rt_worker w;

/* Bytes of an entry's head (table.c): payloads follow it, 8-byte aligned. */
enum { HEAD = 24 };

static void test_arena_alignment_and_zero(void) {
  for (int i = 1; i < 2000; i++) {
    unsigned char *p = dsc_rt_alloc(&w, i % 97);
    CU_ASSERT_EQUAL((uintptr_t)p % 16, 0);
    for (int k = 0; k < i % 97; k++) CU_ASSERT_EQUAL_FATAL(p[k], 0);
    memset(p, 0xAB, (size_t)(i % 97));
  }
  /* Bigger than any chunk: its own chunk, still aligned and zeroed. */
  unsigned char *big = dsc_rt_alloc(&w, 80 * 1024 * 1024);
  CU_ASSERT_EQUAL((uintptr_t)big % 16, 0);
  CU_ASSERT_EQUAL(big[0], 0);
  CU_ASSERT_EQUAL(big[80 * 1024 * 1024 - 1], 0);
  void *small = dsc_rt_alloc(&w, 8); /* the bump chunk survived the giant */
  CU_ASSERT_PTR_NOT_NULL(small);
  rt_worker_reset(&w);
  unsigned char *again = dsc_rt_alloc(&w, 64);
  for (int k = 0; k < 64; k++) CU_ASSERT_EQUAL(again[k], 0); /* zeroed after reuse */
  CU_ASSERT_PTR_NOT_NULL(dsc_rt_alloc(&w, 0));
  rt_worker_reset(&w);
}

static void test_errors_counted_and_reset(void) {
  dsc_rt_error(&w, DSC_RT_ERR_DIV_ZERO);
  dsc_rt_error(&w, DSC_RT_ERR_DIV_ZERO);
  dsc_rt_error(&w, 99); /* ignored */
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_DIV_ZERO], 2);
  rt_worker_reset(&w);
  CU_ASSERT_EQUAL(w.errors[DSC_RT_ERR_DIV_ZERO], 0);
}

static void test_table_many_keys(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, sizeof(int64_t));
  enum { N = 200000 };
  char key[32];
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < N; i++) {
      int n = snprintf(key, sizeof key, "key-%d", i);
      int32_t is_new = -1;
      int64_t *v = dsc_rt_table_upsert(t, key, n, &is_new);
      CU_ASSERT_EQUAL_FATAL(is_new, round == 0);
      CU_ASSERT_EQUAL_FATAL(*v, round == 0 ? 0 : i);
      CU_ASSERT_EQUAL_FATAL((uintptr_t)v % 8, 0);
      *v = i;
    }
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), N);
  for (int i = 0; i < N; i += 997) { /* insertion order */
    int64_t len;
    const char *k = dsc_rt_table_key(t, i, &len);
    int n = snprintf(key, sizeof key, "key-%d", i);
    CU_ASSERT_EQUAL(len, n);
    CU_ASSERT(!memcmp(k, key, (size_t)n));
    CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_at(t, i), i);
    CU_ASSERT_EQUAL(dsc_rt_table_index_of(t, dsc_rt_table_at(t, i)), i);
  }
  rt_worker_reset(&w);
}

/* Windows keep entry indices instead of keys: an index must survive growth of the entries
 * and of the index, for short (inline) and long keys alike. */
static void test_table_index_of_stable(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, 40);
  enum { N = 50000 };
  char key[64];
  for (int i = 0; i < N; i++) {
    int n = snprintf(key, sizeof key, i % 2 ? "k%d" : "a-rather-long-key-number-%d", i);
    void *p = dsc_rt_table_upsert(t, key, n, NULL);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_index_of(t, p), i);
  }
  for (int i = 0; i < N; i += 7) {
    int n = snprintf(key, sizeof key, i % 2 ? "k%d" : "a-rather-long-key-number-%d", i);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_index_of(t, dsc_rt_table_find(t, key, n)), i);
  }
  rt_worker_reset(&w);
}

/* upsert_from moves keys between tables without rehashing: the copy must be found by the
 * ordinary lookups, and prefetch hints must accept any index. */
static void test_table_upsert_from(void) {
  dsc_rt_table *src = dsc_rt_table_new(&w, 8), *dst = dsc_rt_table_new(&w, 8);
  enum { N = 3000 };
  char key[64];
  for (int i = 0; i < N; i++) {
    int n = snprintf(key, sizeof key, i % 3 ? "w%d" : "a-key-longer-than-sixteen-bytes-%d", i);
    *(int64_t *)dsc_rt_table_upsert(src, key, n, NULL) = i;
  }
  for (int round = 0; round < 2; round++)
    for (int64_t i = 0; i < N; i++) {
      dsc_rt_table_prefetch_from(dst, src, i + 8, 0);
      dsc_rt_table_prefetch_from(dst, src, i + 4, 1);
      dsc_rt_table_prefetch_at(dst, i + 4);
      int32_t is_new = -1;
      int64_t *v = dsc_rt_table_upsert_from(dst, src, i, &is_new);
      CU_ASSERT_EQUAL_FATAL(is_new, round == 0);
      *v += *(int64_t *)dsc_rt_table_at(src, i);
    }
  dsc_rt_table_prefetch_from(dst, src, -1, 1);
  dsc_rt_table_reserve(dst, 10); /* smaller than it is: nothing to do */
  dsc_rt_table_reserve(dst, 5 * N); /* entries and index grow; keys stay findable */
  dsc_rt_table_prefetch_at(dst, N * 10);
  CU_ASSERT_EQUAL(dsc_rt_table_len(dst), N);
  for (int i = 0; i < N; i++) {
    int n = snprintf(key, sizeof key, i % 3 ? "w%d" : "a-key-longer-than-sixteen-bytes-%d", i);
    int64_t *v = dsc_rt_table_find(dst, key, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_EQUAL_FATAL(*v, 2 * i);
  }
  rt_worker_reset(&w);
}

/* Deferred upserts (the ring of a fused loop): a key hashed now and upserted later with that
 * hash lands in the entry an ordinary upsert or find uses, for empty, short and long keys;
 * dsc_rt_table_is_big turns on at an index of 8,192 slots, past 2,048 entries. */
static void test_table_upsert_hashed(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, 8);
  enum { N = 6000 };
  char key[64];
  CU_ASSERT_FALSE(dsc_rt_table_is_big(t));
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < N; i++) {
      int n = i == 0 ? 0 : snprintf(key, sizeof key, i % 5 ? "d%d" : "a-key-longer-than-sixteen-bytes-%d", i);
      uint64_t words[2];
      int32_t h = dsc_rt_table_hash(key, n, words);
      dsc_rt_table_prefetch_hash(t, h);
      int32_t is_new = -1;
      int64_t *v = dsc_rt_table_upsert_hashed(t, key, n, h, words, &is_new);
      CU_ASSERT_EQUAL_FATAL(is_new, round == 0);
      *v += i;
      CU_ASSERT_EQUAL_FATAL(dsc_rt_table_is_big(t), dsc_rt_table_len(t) > 2048);
    }
  for (int i = 0; i < N; i++) {
    int n = i == 0 ? 0 : snprintf(key, sizeof key, i % 5 ? "d%d" : "a-key-longer-than-sixteen-bytes-%d", i);
    int32_t is_new = -1;
    CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_table_upsert(t, key, n, &is_new), 2 * i);
    CU_ASSERT_EQUAL_FATAL(is_new, 0);
    CU_ASSERT_PTR_EQUAL_FATAL(dsc_rt_table_find(t, key, n), dsc_rt_table_at(t, i));
  }
  rt_worker_reset(&w);
}

/* Two keys of one length whose stored hashes (index tags) are the same, found by brute force
 * among `fmt`'s keys: a probe must tell them apart by their bytes.  0 if none was found. */
static int same_tag_keys(const char *fmt, char a[64], char b[64]) {
  enum { N = 1 << 18 };
  int32_t *seen = calloc((size_t)N, sizeof *seen); /* index by hash's low bits: key number + 1 */
  uint32_t *tags = calloc((size_t)N, sizeof *tags);
  int found = 0;
  for (int i = 0; i < N && !found; i++) {
    char key[64];
    uint64_t words[2];
    int n = snprintf(key, sizeof key, fmt, i);
    uint32_t h = (uint32_t)dsc_rt_table_hash(key, n, words);
    for (uint32_t s = h & (N - 1);; s = (s + 1) & (N - 1)) {
      if (!seen[s]) { seen[s] = i + 1, tags[s] = h; break; }
      if (tags[s] == h) {
        snprintf(a, 64, fmt, seen[s] - 1);
        memcpy(b, key, (size_t)n + 1);
        found = strlen(a) == strlen(b);
        break;
      }
    }
  }
  free(seen);
  free(tags);
  return found;
}

/* Linear probing, as the tables do, of n keys made by key(i, buf) into an index of 2^k >= 2n
 * slots by their stored hash: the mean and the longest probe. */
static void probe_lengths(int n, int (*key)(int i, char *buf), double *mean, int *longest) {
  uint32_t size = 16;
  while (size < 2u * (uint32_t)n) size *= 2;
  uint32_t *used = calloc(size, sizeof *used);
  long total = 0;
  *longest = 0;
  for (int i = 0; i < n; i++) {
    char buf[64];
    uint64_t words[2];
    uint32_t s = (uint32_t)dsc_rt_table_hash(buf, key(i, buf), words) & (size - 1);
    int probes = 1;
    for (; used[s]; s = (s + 1) & (size - 1)) probes++;
    used[s] = 1;
    total += probes;
    if (probes > *longest) *longest = probes;
  }
  free(used);
  *mean = (double)total / n;
}

static int key_text(int i, char *buf) { return snprintf(buf, 64, "user-%d", i); }
static int key_tail(int i, char *buf) { return snprintf(buf, 64, "abcdefgh%08d", i); }
static int key_int(int i, char *buf) { int64_t v = i; memcpy(buf, &v, 8); return 8; }
static int key_high_int(int i, char *buf) { int64_t v = (int64_t)i << 40; memcpy(buf, &v, 8); return 8; }
static int key_long_text(int i, char *buf) {
  return snprintf(buf, 64, "a-key-longer-than-16-bytes-%07d", i);
}
static int key_int_triple(int i, char *buf) { /* three ints, the middle one in its upper bytes */
  int64_t t[3] = {7, (int64_t)i << 32, 7};
  memcpy(buf, t, sizeof t);
  return (int)sizeof t;
}

/* Structured keys spread over the index as random ones would (about 1.45 probes a key at this
 * load): text, keys that differ only in their second word, small ints, and ints that differ only
 * in their upper bytes (which a hash without a final mix piled up: 130 probes at worst); and
 * keys of 17 to 64 bytes (hash_17_64): text, and three ints that differ in the middle one. */
static void test_table_hash_spread(void) {
  int (*kinds[6])(int, char *) = {key_text, key_tail, key_int, key_high_int, key_long_text,
                                  key_int_triple};
  for (int k = 0; k < 6; k++) {
    double mean;
    int longest;
    probe_lengths(300000, kinds[k], &mean, &longest);
    CU_ASSERT(mean < 1.55);
    CU_ASSERT(longest < 64);
  }
}

/* The value of key's live entry in t, or -1. */
static int64_t found_value(dsc_rt_table *t, const char *key, int64_t n) {
  int64_t *v = dsc_rt_table_find(t, key, n);
  return v ? *v : -1;
}

/* Keys whose index tags collide, short (inline) and long: each finds its own entry, through a
 * removal of the other and its revival, and a deferred upsert with the hash taken earlier. */
static void test_table_same_tag(void) {
  const char *fmts[2] = {"k%07d", "a-key-longer-than-sixteen-bytes-%07d"};
  for (int f = 0; f < 2; f++) {
    char a[64], b[64];
    CU_ASSERT_FATAL(same_tag_keys(fmts[f], a, b));
    int64_t n = (int64_t)strlen(a);
    dsc_rt_table *t = dsc_rt_table_new(&w, 8);
    int32_t is_new;
    *(int64_t *)dsc_rt_table_upsert(t, a, n, &is_new) = 1;
    *(int64_t *)dsc_rt_table_upsert(t, b, n, &is_new) = 2;
    CU_ASSERT_EQUAL(is_new, 1);
    CU_ASSERT_EQUAL(dsc_rt_table_len(t), 2);
    CU_ASSERT_EQUAL(found_value(t, a, n), 1);
    CU_ASSERT_EQUAL(found_value(t, b, n), 2);
    dsc_rt_table_remove(t, dsc_rt_table_find(t, a, n)); /* a dead entry first on b's probe */
    CU_ASSERT_PTR_NULL(dsc_rt_table_find(t, a, n));
    CU_ASSERT_EQUAL(found_value(t, b, n), 2);
    uint64_t words[2];
    int32_t h = dsc_rt_table_hash(b, n, words);
    CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_upsert_hashed(t, b, n, h, words, &is_new), 2);
    CU_ASSERT_EQUAL(is_new, 0);
    CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_upsert(t, a, n, &is_new), 0); /* revived, zeroed */
    CU_ASSERT_EQUAL(is_new, 1);
    CU_ASSERT_EQUAL(dsc_rt_table_len(t), 2);
    rt_worker_reset(&w);
  }
}

static void test_table_reserve_first(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, 8);
  dsc_rt_table_reserve(t, 100000);
  char key[32];
  for (int i = 0; i < 150000; i++) { /* past the reservation: it grows as before */
    int n = snprintf(key, sizeof key, "r%d", i);
    int32_t is_new;
    *(int64_t *)dsc_rt_table_upsert(t, key, n, &is_new) = i;
    CU_ASSERT_EQUAL_FATAL(is_new, 1);
  }
  for (int i = 0; i < 150000; i += 11) {
    int n = snprintf(key, sizeof key, "r%d", i);
    CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_table_find(t, key, n), i);
  }
  rt_worker_reset(&w);
}

/* A big table grown on all the workers keeps its keys, payloads and order, has room for the
 * entries asked for (inserting them moves no entry), and grows at least twofold; a small one,
 * or one with room enough, is grown (or not) as dsc_rt_table_reserve would. */
static void test_table_reserve_shared(void) {
  for (int64_t threads = 1; threads <= 3; threads++) {
    dsc_rt_program prog;
    rt_program_init(&prog);
    rt_options opt;
    memset(&opt, 0, sizeof opt);
    opt.threads = threads;
    dsc_rt_ctx ctx;
    rt_ctx_init(&ctx, &prog, &opt);
    dsc_rt_table *t = dsc_rt_table_new(&w, 8), *small = dsc_rt_table_new(&w, 8);
    enum { N = 300000, MORE = 250000 };
    char key[48];
    for (int i = 0; i < N; i++) {
      int n = snprintf(key, sizeof key, i % 7 ? "g%d" : "a-key-longer-than-sixteen-%d", i);
      *(int64_t *)dsc_rt_table_upsert(t, key, n, NULL) = i;
      if (i < 100) *(int64_t *)dsc_rt_table_upsert(small, key, n, NULL) = i;
    }
    dsc_rt_table_reserve_shared(&ctx, t, N + MORE);
    dsc_rt_table_reserve_shared(&ctx, small, 1000);
    dsc_rt_table_reserve_shared(&ctx, small, 10); /* room enough: nothing changes */
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_len(t), N);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_len(small), 100);
    for (int i = 0; i < N; i++) {
      int n = snprintf(key, sizeof key, i % 7 ? "g%d" : "a-key-longer-than-sixteen-%d", i);
      int64_t klen;
      const char *k = dsc_rt_table_key(t, i, &klen);
      CU_ASSERT_FATAL(klen == n && !memcmp(k, key, (size_t)n));
      CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_table_at(t, i), i);
      CU_ASSERT_PTR_EQUAL_FATAL(dsc_rt_table_find(t, key, n), dsc_rt_table_at(t, i));
      if (i < 100) CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_table_find(small, key, n), i);
    }
    void *first = dsc_rt_table_at(t, 0);
    for (int i = N; i < N + MORE; i++) { /* the room asked for: no entry moves */
      int n = snprintf(key, sizeof key, "m%d", i);
      int32_t is_new;
      int64_t *p = dsc_rt_table_upsert(t, key, n, &is_new);
      CU_ASSERT_FATAL(is_new && p[-1] == 0); /* fresh and zeroed (the head's last word: 0 or a key) */
      *p = i;
    }
    CU_ASSERT_PTR_EQUAL(dsc_rt_table_at(t, 0), first);
    for (int i = 0; i < N + MORE; i += 13) {
      int n = snprintf(key, sizeof key, i >= N ? "m%d" : i % 7 ? "g%d" : "a-key-longer-than-sixteen-%d", i);
      CU_ASSERT_EQUAL_FATAL(*(int64_t *)dsc_rt_table_find(t, key, n), i);
    }
    /* at least twofold: a full table (grown by doubling from 8 entries to 2^18, all used) asked
       for one more entry has room for as many again */
    dsc_rt_table *full = dsc_rt_table_new(&w, 8);
    enum { FULL = 1 << 18 };
    for (int i = 0; i < FULL; i++) {
      int n = snprintf(key, sizeof key, "x%d", i);
      *(int64_t *)dsc_rt_table_upsert(full, key, n, NULL) = -i;
    }
    dsc_rt_table_reserve_shared(&ctx, full, FULL + 1);
    first = dsc_rt_table_at(full, 0);
    for (int i = FULL; i < 2 * FULL; i++) {
      int n = snprintf(key, sizeof key, "x%d", i);
      *(int64_t *)dsc_rt_table_upsert(full, key, n, NULL) = -i;
    }
    CU_ASSERT_PTR_EQUAL(dsc_rt_table_at(full, 0), first);
    CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(full, "x7", 2), -7);
    CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(full, "x300000", 7), -300000);
    rt_worker_reset(&w);
    rt_ctx_free(&ctx);
    rt_program_free(&prog);
  }
}

static void test_table_empty_and_binary_keys(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, 24);
  int32_t is_new;
  char *p = dsc_rt_table_upsert(t, NULL, 0, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  p[23] = 7;
  p = dsc_rt_table_upsert(t, "", 0, &is_new);
  CU_ASSERT_EQUAL(is_new, 0);
  CU_ASSERT_EQUAL(p[23], 7);
  /* Keys that differ only after a NUL, and prefixes of each other. */
  dsc_rt_table_upsert(t, "a\0b", 3, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  dsc_rt_table_upsert(t, "a\0c", 3, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  dsc_rt_table_upsert(t, "a", 1, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  dsc_rt_table_upsert(t, "a\0b", 3, &is_new);
  CU_ASSERT_EQUAL(is_new, 0);
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), 4);
  int64_t len;
  dsc_rt_table_key(t, 0, &len);
  CU_ASSERT_EQUAL(len, 0);
  rt_worker_reset(&w);
}

/* Keys of every length around the inline limit (16) and the compare's 4- and 8-byte steps:
 * for each length, the base key and one variant per byte position, each differing from the
 * base in that byte only, must all be distinct entries and found again.  Keys are read from a
 * buffer whose bytes after the key differ from the stored ones, so a compare that looked past
 * the key's end would tell equal keys apart. */
static void test_table_keys_around_inline_limit(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, sizeof(int64_t));
  enum { MAXLEN = 40 };
  char key[MAXLEN + 8];
  int64_t expect = 0;
  for (int n = 0; n <= MAXLEN; n++)
    for (int pos = -1; pos < n; pos++) {
      for (int k = 0; k < MAXLEN + 8; k++) key[k] = (char)('a' + (k * 7 + n) % 26);
      if (pos >= 0) key[pos] ^= 0x20;
      int32_t is_new = -1;
      int64_t *v = dsc_rt_table_upsert(t, key, n, &is_new);
      CU_ASSERT_EQUAL_FATAL(is_new, 1);
      *v = expect++;
    }
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), expect);
  expect = 0;
  for (int n = 0; n <= MAXLEN; n++)
    for (int pos = -1; pos < n; pos++) {
      for (int k = 0; k < MAXLEN + 8; k++) key[k] = (char)('a' + (k * 7 + n) % 26);
      if (pos >= 0) key[pos] ^= 0x20;
      key[n] = '#'; /* what follows the key changes; the key does not */
      int32_t is_new = -1;
      int64_t *v = dsc_rt_table_upsert(t, key, n, &is_new);
      CU_ASSERT_EQUAL_FATAL(is_new, 0);
      CU_ASSERT_EQUAL_FATAL(*v, expect);
      CU_ASSERT_PTR_EQUAL(dsc_rt_table_find(t, key, n), v);
      int64_t len;
      const char *k = dsc_rt_table_key(t, expect, &len);
      CU_ASSERT_EQUAL(len, n);
      CU_ASSERT(n == 0 || !memcmp(k, key, (size_t)n));
      expect++;
    }
  rt_worker_reset(&w);
}

/* Short keys are read as 16 bytes when that stays within the key's page: keys that end right
 * before an unmapped page must take the other way (a read past them would fault) and still
 * hash and compare exactly like the same bytes anywhere else. */
static void test_table_keys_at_page_end(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *map = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  CU_ASSERT_FATAL(map != MAP_FAILED);
  CU_ASSERT_FATAL(mprotect(map + page, (size_t)page, PROT_NONE) == 0);
  char *end = map + page;
  dsc_rt_table *t = dsc_rt_table_new(&w, sizeof(int64_t));
  char key[32];
  for (int n = 1; n <= 20; n++) {
    for (int k = 0; k < n; k++) key[k] = (char)('A' + (n + k) % 26);
    memcpy(end - n, key, (size_t)n);
    int32_t is_new = -1;
    *(int64_t *)dsc_rt_table_upsert(t, end - n, n, &is_new) = n; /* at the page end first */
    CU_ASSERT_EQUAL(is_new, 1);
    int64_t *v = dsc_rt_table_upsert(t, key, n, &is_new); /* then the same bytes elsewhere */
    CU_ASSERT_EQUAL(is_new, 0);
    CU_ASSERT_EQUAL(*v, n);
    CU_ASSERT_PTR_EQUAL(dsc_rt_table_find(t, end - n, n), v);
  }
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), 20);
  munmap(map, (size_t)page * 2);
  rt_worker_reset(&w);
}

/* An entry's 32-byte head and a payload that fits beside it share one cache line, whatever
 * the payload size: the per-record update of a word count then touches one entry line. */
static void test_table_entries_within_a_line(void) {
  static const int64_t payloads[] = {0, 8, 16, 24, 32};
  for (size_t k = 0; k < sizeof payloads / sizeof payloads[0]; k++) {
    dsc_rt_table *t = dsc_rt_table_new(&w, payloads[k]);
    for (int64_t i = 0; i < 5000; i++) {
      int32_t is_new;
      unsigned char *p = dsc_rt_table_upsert(t, &i, sizeof i, &is_new);
      uintptr_t head = (uintptr_t)p - HEAD, end = (uintptr_t)p + (uintptr_t)payloads[k] - 1;
      CU_ASSERT_EQUAL_FATAL(head / 64, (payloads[k] ? end : head) / 64);
    }
    for (int64_t i = 0; i < 5000; i += 7) { /* and still after the entries moved (growth) */
      uintptr_t p = (uintptr_t)dsc_rt_table_at(t, i), head = p - HEAD;
      CU_ASSERT_EQUAL_FATAL(head / 64, (payloads[k] ? p + (uintptr_t)payloads[k] - 1 : head) / 64);
    }
  }
  rt_worker_reset(&w);
}

/* A removed entry is skipped by find, revived zeroed by an upsert of its key, and keeps its
 * place in the insertion order, also across growth. */
static void test_table_remove_and_revive(void) {
  dsc_rt_table *t = dsc_rt_table_new(&w, sizeof(int64_t));
  char key[32];
  for (int i = 0; i < 1000; i++) {
    int n = snprintf(key, sizeof key, "k%d", i);
    *(int64_t *)dsc_rt_table_upsert(t, key, n, NULL) = i + 1;
  }
  for (int i = 0; i < 1000; i += 3) {
    int n = snprintf(key, sizeof key, "k%d", i);
    dsc_rt_table_remove(t, dsc_rt_table_find(t, key, n));
    CU_ASSERT_PTR_NULL(dsc_rt_table_find(t, key, n));
    CU_ASSERT_FALSE(dsc_rt_table_live_at(t, i));
  }
  CU_ASSERT_EQUAL(dsc_rt_table_dead(t), 334);
  for (int i = 1000; i < 5000; i++) { /* grow past the removed ones */
    int n = snprintf(key, sizeof key, "k%d", i);
    *(int64_t *)dsc_rt_table_upsert(t, key, n, NULL) = i + 1;
  }
  int32_t is_new = -1;
  int64_t *v = dsc_rt_table_upsert(t, "k3", 2, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  CU_ASSERT_EQUAL(*v, 0);
  CU_ASSERT_PTR_EQUAL(dsc_rt_table_at(t, 3), v);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(t), 333);
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), 5000);
  CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(t, "k4", 2), 5);
  rt_worker_reset(&w);
}

/* Shares (tasks that update one table at once, table.c): every entry of a source table has one
 * share in [0, shares), the same for its key in any table and spread over all shares;
 * find_from finds a key's live entry in another table and not a dead or missing one; removals
 * and revivals not counted at once are counted by add_dead. */
static void test_table_shares(void) {
  dsc_rt_table *state = dsc_rt_table_new(&w, 8), *batch = dsc_rt_table_new(&w, 8),
               *again = dsc_rt_table_new(&w, 8);
  enum { N = 4000, SHARES = 3 };
  char key[64];
  for (int i = 0; i < N; i++) {
    int n = snprintf(key, sizeof key, i % 5 ? "s%d" : "a-key-longer-than-sixteen-bytes-%d", i);
    *(int64_t *)dsc_rt_table_upsert(batch, key, n, NULL) = i;
    if (i % 2) *(int64_t *)dsc_rt_table_upsert(state, key, n, NULL) = 10 * i;
  }
  for (int i = N - 1; i >= 0; i--) { /* the same keys in another order */
    int n = snprintf(key, sizeof key, i % 5 ? "s%d" : "a-key-longer-than-sixteen-bytes-%d", i);
    dsc_rt_table_upsert(again, key, n, NULL);
  }
  int64_t per_share[SHARES] = {0};
  for (int64_t i = 0; i < N; i++) {
    int64_t share = dsc_rt_table_share_of(batch, i, SHARES);
    CU_ASSERT_FATAL(share >= 0 && share < SHARES);
    CU_ASSERT_EQUAL(dsc_rt_table_share_of(again, N - 1 - i, SHARES), share);
    CU_ASSERT_EQUAL(dsc_rt_table_share_of(batch, i, 1), 0);
    per_share[share]++;
  }
  for (int k = 0; k < SHARES; k++) CU_ASSERT(per_share[k] > N / SHARES / 2);
  for (int64_t i = 0; i < N; i++) {
    int64_t *v = dsc_rt_table_find_from(state, batch, i);
    if (i % 2) {
      CU_ASSERT_PTR_NOT_NULL_FATAL(v);
      CU_ASSERT_EQUAL(*v, 10 * i);
    } else {
      CU_ASSERT_PTR_NULL(v);
    }
  }
  int64_t removed = 0;
  for (int64_t i = 1; i < N; i += 4) {
    int64_t *v = dsc_rt_table_find_from(state, batch, i);
    removed += dsc_rt_table_remove_uncounted(state, v);
    CU_ASSERT_EQUAL(dsc_rt_table_remove_uncounted(state, v), 0); /* already dead */
    CU_ASSERT_PTR_NULL(dsc_rt_table_find_from(state, batch, i));
  }
  CU_ASSERT_EQUAL(removed, N / 4);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(state), 0);
  dsc_rt_table_add_dead(state, removed);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(state), N / 4);
  int32_t is_new = -1; /* a removed key revives as before */
  dsc_rt_table_upsert_from(state, batch, 1, &is_new);
  CU_ASSERT_EQUAL(is_new, 1);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(state), N / 4 - 1);
  /* revive_from: a dead entry comes back zeroed, in place, and uncounted; a live one as it is */
  int32_t revived = -1;
  int64_t *v = dsc_rt_table_revive_from(state, batch, 5, &revived);
  CU_ASSERT_PTR_NOT_NULL_FATAL(v);
  CU_ASSERT_EQUAL(revived, 1);
  CU_ASSERT_EQUAL(*v, 0);
  CU_ASSERT_PTR_EQUAL(dsc_rt_table_find_from(state, batch, 5), v);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(state), N / 4 - 1);
  dsc_rt_table_add_dead(state, -1);
  CU_ASSERT_EQUAL(dsc_rt_table_dead(state), N / 4 - 2);
  *v = 55;
  CU_ASSERT_PTR_EQUAL(dsc_rt_table_revive_from(state, batch, 5, &revived), v);
  CU_ASSERT_EQUAL(revived, 0);
  CU_ASSERT_EQUAL(*v, 55);
  CU_ASSERT_PTR_NULL(dsc_rt_table_revive_from(state, batch, 2, &revived)); /* never in state */
  CU_ASSERT_EQUAL(revived, 0);
  rt_worker_reset(&w);
}

/* A kept table (a static stage's) points to its long keys, where an ordinary one copies them;
 * short keys live in the entry either way. */
static void test_table_kept_keys(void) {
  static const char long_key[] = "a-key-longer-than-sixteen-bytes";
  char short_key[] = "short";
  dsc_rt_table *kept = dsc_rt_table_new_kept(&w, 8), *copied = dsc_rt_table_new(&w, 8);
  int64_t n = (int64_t)strlen(long_key);
  *(int64_t *)dsc_rt_table_upsert(kept, long_key, n, NULL) = 1;
  *(int64_t *)dsc_rt_table_upsert(copied, long_key, n, NULL) = 2;
  *(int64_t *)dsc_rt_table_upsert(kept, short_key, 5, NULL) = 3;
  int64_t len = 0;
  CU_ASSERT_PTR_EQUAL(dsc_rt_table_key(kept, 0, &len), long_key);
  CU_ASSERT_EQUAL(len, n);
  CU_ASSERT_PTR_NOT_EQUAL(dsc_rt_table_key(copied, 0, &len), long_key);
  CU_ASSERT_PTR_NOT_EQUAL(dsc_rt_table_key(kept, 1, &len), short_key);
  short_key[0] = 'S'; /* the short key was copied into its entry */
  CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(kept, "short", 5), 3);
  CU_ASSERT_EQUAL(*(int64_t *)dsc_rt_table_find(kept, long_key, n), 1);
  rt_worker_reset(&w);
}

/* A string-keyed aggregation keeps an 8-byte value per entry: its entries are 32 bytes, two to
 * a line, at every key length (inline keys of 1, 8 and 16 bytes, arena keys of 17 and 40),
 * across growth of entries and index, and a removed entry reports its key length without the
 * dead mark, comes back zeroed and keeps its insertion index. */
static void test_table_compact_entries(void) {
  static const int64_t payloads[][2] = {{0, 32}, {8, 32}, {16, 64}, {40, 64}, {48, 96}};
  for (size_t k = 0; k < sizeof payloads / sizeof payloads[0]; k++) {
    dsc_rt_table *t = dsc_rt_table_new(&w, payloads[k][0]);
    dsc_rt_table_upsert(t, "a", 1, NULL);
    dsc_rt_table_upsert(t, "b", 1, NULL);
    CU_ASSERT_EQUAL((char *)dsc_rt_table_at(t, 1) - (char *)dsc_rt_table_at(t, 0), payloads[k][1]);
    rt_worker_reset(&w);
  }
  static const int lens[] = {1, 8, 16, 17, 40};
  enum { N = 20000 };
  dsc_rt_table *t = dsc_rt_table_new(&w, sizeof(int64_t));
  char key[64];
  for (int i = 0; i < N; i++) {
    int n = lens[i % 5];
    memset(key, 'a' + i % 26, sizeof key);
    int m = snprintf(key, sizeof key, "%d", i); /* distinct for every i, padded to length n */
    key[m] = '_';
    if (n < m) n = m;
    int32_t is_new = -1;
    int64_t *v = dsc_rt_table_upsert(t, key, n, &is_new);
    CU_ASSERT_EQUAL_FATAL(is_new, 1);
    CU_ASSERT_EQUAL_FATAL((uintptr_t)v % 8, 0);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_index_of(t, v), i);
    *v = i + 1;
  }
  CU_ASSERT_EQUAL((char *)dsc_rt_table_at(t, N - 1) - (char *)dsc_rt_table_at(t, 0), 32 * (N - 1));
  for (int i = 0; i < N; i += 2) dsc_rt_table_remove(t, dsc_rt_table_at(t, i));
  dsc_rt_table_remove(t, dsc_rt_table_at(t, 0)); /* twice: counted once */
  CU_ASSERT_EQUAL(dsc_rt_table_dead(t), N / 2);
  for (int i = 0; i < N; i++) {
    int n = lens[i % 5];
    memset(key, 'a' + i % 26, sizeof key);
    int m = snprintf(key, sizeof key, "%d", i);
    key[m] = '_';
    if (n < m) n = m;
    int64_t len;
    const char *kp = dsc_rt_table_key(t, i, &len);
    CU_ASSERT_EQUAL_FATAL(len, n); /* the dead mark is not part of the length */
    CU_ASSERT_FATAL(!memcmp(kp, key, (size_t)n));
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_live_at(t, i), i % 2);
    int64_t *found = dsc_rt_table_find(t, key, n);
    if (i % 2) {
      CU_ASSERT_PTR_EQUAL_FATAL(found, dsc_rt_table_at(t, i));
      CU_ASSERT_EQUAL_FATAL(*found, i + 1);
    } else {
      CU_ASSERT_PTR_NULL_FATAL(found);
    }
  }
  /* revive the dead ones, from another table with the same keys (the stored hash is reused) */
  dsc_rt_table *src = dsc_rt_table_new(&w, sizeof(int64_t));
  for (int i = 0; i < N; i++) {
    int64_t len;
    const char *kp = dsc_rt_table_key(t, i, &len);
    dsc_rt_table_upsert(src, kp, len, NULL);
  }
  for (int i = 0; i < N; i++) {
    int32_t is_new = -1;
    int64_t *v = dsc_rt_table_upsert_from(t, src, i, &is_new);
    CU_ASSERT_EQUAL_FATAL(is_new, i % 2 == 0);
    CU_ASSERT_EQUAL_FATAL(*v, i % 2 ? i + 1 : 0);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_table_index_of(t, v), i);
  }
  CU_ASSERT_EQUAL(dsc_rt_table_dead(t), 0);
  CU_ASSERT_EQUAL(dsc_rt_table_len(t), N);
  rt_worker_reset(&w);
}

static void test_table_zero_payload_and_many_tables(void) {
  /* Many small tables on one worker, each released at reset (ASan checks the frees). */
  for (int k = 0; k < 100; k++) {
    dsc_rt_table *t = dsc_rt_table_new(&w, 0);
    for (int64_t i = 0; i < 50; i++) {
      int32_t is_new;
      dsc_rt_table_upsert(t, &i, sizeof i, &is_new);
      CU_ASSERT_EQUAL(is_new, 1);
    }
    CU_ASSERT_EQUAL(dsc_rt_table_len(t), 50);
  }
  rt_worker_reset(&w);
}

/* The VmFlags of the mapping that holds p, from /proc/self/smaps ("" if not found). */
static void vm_flags_of(const void *p, char *out, size_t cap) {
  out[0] = 0;
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return;
  char line[512];
  int inside = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    } else if (inside && !strncmp(line, "VmFlags:", 8)) {
      snprintf(out, cap, "%s", line + 8);
      break;
    }
  }
  fclose(f);
}

/* A big block asks for huge pages (VmFlags "hg") over its 2 MiB-aligned interior; a small one
 * and an empty one are left alone.  Checked only where the kernel has transparent huge pages. */
static void test_advise_huge(void) {
  rt_advise_huge(NULL, 0);
  char small[4096];
  rt_advise_huge(small, sizeof small);
  if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) != 0) return;
  size_t n = (size_t)RT_HUGE_MIN + (3u << 20);
  char *big = rt_xmalloc(n);
  rt_advise_huge(big, n);
  const char *inner = (const char *)(((uintptr_t)big + (4u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1));
  char flags[512];
  vm_flags_of(inner, flags, sizeof flags);
  CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
  memset(big, 1, n); /* still ordinary memory */
  CU_ASSERT_EQUAL(big[n - 1], 1);
  free(big);
}

static void test_vec(void) {
  dsc_rt_vec *v = dsc_rt_vec_new(&w, 12);
  CU_ASSERT_EQUAL(dsc_rt_vec_len(v), 0);
  for (int i = 0; i < 100000; i++) {
    int32_t *e = dsc_rt_vec_push(v);
    CU_ASSERT_EQUAL_FATAL(e[0] | e[1] | e[2], 0);
    e[0] = i, e[2] = -i;
  }
  CU_ASSERT_EQUAL(dsc_rt_vec_len(v), 100000);
  CU_ASSERT_EQUAL(((int32_t *)dsc_rt_vec_at(v, 4242))[0], 4242);
  CU_ASSERT_EQUAL(((int32_t *)dsc_rt_vec_at(v, 99999))[2], -99999);
  rt_worker_reset(&w);
}

/* Vecs of every element size keep their first elements inline, then move them to malloc'd
 * memory: values survive the move, extend works from and into either, and the sanitizer build
 * sees a free for each malloc and none for the inline room. */
static void test_vec_inline_then_malloced(void) {
  static const int64_t sizes[] = {1, 8, 16, 24, 32, 40};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int64_t size = sizes[k];
    for (int n = 0; n <= 40; n++) {
      dsc_rt_vec *v = dsc_rt_vec_new(&w, size), *copy = dsc_rt_vec_new(&w, size);
      for (int i = 0; i < n; i++) memset(dsc_rt_vec_push(v), 'a' + i % 26, (size_t)size);
      dsc_rt_vec_extend(copy, v);
      dsc_rt_vec_extend(copy, v);
      CU_ASSERT_EQUAL_FATAL(dsc_rt_vec_len(copy), 2 * n);
      for (int i = 0; i < 2 * n; i++) {
        const unsigned char *e = dsc_rt_vec_at(copy, i);
        CU_ASSERT_FATAL(e[0] == 'a' + (i % n) % 26 && e[size - 1] == e[0]);
      }
      CU_ASSERT_EQUAL(dsc_rt_vec_data(v) == NULL, n == 0);
    }
    rt_worker_reset(&w);
  }
}

/* A vec's first element lives right after its header, in room rounded up to 16 bytes: a join
 * group of one string value (16 bytes) takes 48 bytes of the arena with its 24-byte header, not
 * 80 (vec.c).  Two vecs made one after the other are that far apart (the arena's 16-byte
 * alignment included). */
static void test_vec_inline_room(void) {
  static const int64_t sizes[][2] = {{1, 16}, {8, 16}, {16, 16}, {24, 32}, {40, 48}};
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    int64_t size = sizes[k][0], room = sizes[k][1];
    CU_ASSERT_EQUAL(DSC_RT_VEC_ROOM(size), room);
    dsc_rt_vec *v = dsc_rt_vec_new(&w, size), *next = dsc_rt_vec_new(&w, size);
    const char *first = (const char *)v + DSC_RT_VEC_HEAD;
    memset(dsc_rt_vec_push(v), 'x', (size_t)size);
    CU_ASSERT_PTR_EQUAL(dsc_rt_vec_data(v), first);
    CU_ASSERT_EQUAL((const char *)next - (const char *)v, (DSC_RT_VEC_HEAD + room + 15) / 16 * 16);
    for (int64_t i = 1; i < room / size; i++) memset(dsc_rt_vec_push(v), 'y', (size_t)size);
    CU_ASSERT_PTR_EQUAL(dsc_rt_vec_data(v), first); /* the room is full, not past */
    memset(dsc_rt_vec_push(v), 'z', (size_t)size);
    CU_ASSERT_PTR_NOT_EQUAL(dsc_rt_vec_data(v), first);
    CU_ASSERT_EQUAL(((const char *)dsc_rt_vec_at(v, 0))[0], 'x');
    rt_worker_reset(&w);
  }
}

/* A vec kept in a table entry (dsc_rt_vec_init) moves with the entry when the table grows, and
 * a merge copies it bytewise: wherever its bytes are, it finds its elements, in its room or
 * beyond it, and it goes on growing; the old place may be overwritten.  The worker's reset frees
 * what it grew into once (the sanitizer build sees a leak or a double free otherwise). */
enum { KEPT_ELEM = 16, KEPT_BYTES = DSC_RT_VEC_HEAD + DSC_RT_VEC_ROOM(KEPT_ELEM) };

static void kept_check(const void *at, int64_t n) {
  const dsc_rt_vec *v = at;
  CU_ASSERT_EQUAL_FATAL(dsc_rt_vec_len(v), n);
  for (int64_t i = 0; i < n; i++) {
    const int64_t *e = dsc_rt_vec_at(v, i);
    CU_ASSERT_FATAL(e[0] == i && e[1] == -i);
  }
}

static void kept_push(void *at, int64_t from, int64_t to) {
  for (int64_t i = from; i < to; i++) {
    int64_t *e = dsc_rt_vec_push(at);
    CU_ASSERT_FATAL(e[0] == 0 && e[1] == 0);
    e[0] = i, e[1] = -i;
  }
}

static void test_vec_kept_in_place(void) {
  uint64_t a[KEPT_BYTES / 8], b[KEPT_BYTES / 8];
  CU_ASSERT_EQUAL(KEPT_BYTES, 40); /* with a 24-byte entry head: one 64-byte entry */
  dsc_rt_vec_init(&w, a, KEPT_ELEM);
  CU_ASSERT_PTR_NULL(dsc_rt_vec_data((dsc_rt_vec *)a));
  kept_push(a, 0, 1);
  CU_ASSERT_PTR_EQUAL(dsc_rt_vec_data((dsc_rt_vec *)a), (char *)a + DSC_RT_VEC_HEAD);
  memcpy(b, a, sizeof a), memset(a, 0xEE, sizeof a); /* the entry moved */
  kept_check(b, 1);
  CU_ASSERT_PTR_EQUAL(dsc_rt_vec_data((dsc_rt_vec *)b), (char *)b + DSC_RT_VEC_HEAD);
  kept_push(b, 1, 100); /* out of the room */
  memcpy(a, b, sizeof a), memset(b, 0xEE, sizeof b);
  kept_check(a, 100);
  kept_push(a, 100, 100000); /* into a mapping */
  memcpy(b, a, sizeof a), memset(a, 0xEE, sizeof a);
  kept_check(b, 100000);
  dsc_rt_vec_init(&w, a, KEPT_ELEM); /* a second one, never grown */
  kept_push(a, 0, 1);
  rt_worker_reset(&w);
}

/* Past 1 MiB a vec's elements move to a mapping that grows by mremap (vec.c): values survive
 * the move into it and each growth, extend works into and out of it, and the mapping is gone
 * once the owner is reset (mincore: no such pages). */
static int is_mapped(const void *p) {
  unsigned char resident;
  uintptr_t page = (uintptr_t)p & ~(uintptr_t)4095;
  return mincore((void *)page, 1, &resident) == 0;
}

static void test_vec_mapped(void) {
  for (int64_t size = 16; size <= 40; size += 8) {
    dsc_rt_vec *v = dsc_rt_vec_new(&w, size), *copy = dsc_rt_vec_new(&w, size);
    enum { N = 400000 }; /* 6.4 to 16 MB: several growths of the mapping */
    for (int64_t i = 0; i < N; i++) {
      int64_t *e = dsc_rt_vec_push(v);
      CU_ASSERT_EQUAL_FATAL(e[0], 0);
      e[0] = i * 7, e[size / 8 - 1] = -i;
    }
    dsc_rt_vec_extend(copy, v);
    dsc_rt_vec_extend(copy, v);
    CU_ASSERT_EQUAL_FATAL(dsc_rt_vec_len(copy), 2 * N);
    for (int64_t i = 0; i < 2 * N; i += 997) {
      const int64_t *e = dsc_rt_vec_at(copy, i);
      CU_ASSERT_FATAL(e[0] == i % N * 7 && e[size / 8 - 1] == -(i % N));
    }
    const void *data = dsc_rt_vec_data(copy);
    CU_ASSERT(is_mapped(data));
    rt_worker_reset(&w);
    CU_ASSERT(!is_mapped(data));
  }
}

/* rt_map_huge: 2 MiB-aligned, the length rounded up to 2 MiB, advised huge from its first to
 * its last byte.  A huge arena (the static stage's) takes its big chunks from it, each with room
 * up to the end of its last huge page, and gives them back with rt_unmap_huge (the sanitizer
 * build would see free() of a mapping); its first small chunks are malloc'd, and past 512 KiB it
 * goes on in mapped chunks at once. */
static void test_map_huge(void) {
  CU_ASSERT_EQUAL(rt_huge_len(1), 2u << 20);
  CU_ASSERT_EQUAL(rt_huge_len(2u << 20), 2u << 20);
  CU_ASSERT_EQUAL(rt_huge_len((2u << 20) + 1), 4u << 20);
  int thp = access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0;
  char flags[512];
  size_t n = (5u << 20) + 100;
  char *p = rt_map_huge(n);
  CU_ASSERT_EQUAL((uintptr_t)p % (2u << 20), 0);
  memset(p, 7, rt_huge_len(n));
  if (thp) {
    vm_flags_of(p, flags, sizeof flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
    vm_flags_of(p + rt_huge_len(n) - 1, flags, sizeof flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
  }
  rt_unmap_huge(p, n);
  CU_ASSERT(!is_mapped(p));

  rt_arena a;
  rt_arena_init(&a);
  a.huge = 1;
  char *big = rt_arena_alloc_raw(&a, (size_t)RT_HUGE_MIN);
  memset(big, 1, (size_t)RT_HUGE_MIN);
  if (thp) {
    vm_flags_of(big, flags, sizeof flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
  }
  /* the chunk's header lies at the start of its first huge page */
  CU_ASSERT((uintptr_t)big % (2u << 20) < 64);
  /* the rest of its last huge page (4 MiB and a header: 6 MiB) is the chunk's room */
  char *after = rt_arena_alloc_raw(&a, (2u << 20) - 1024);
  CU_ASSERT(after >= big + RT_HUGE_MIN && after + (2u << 20) - 1024 <= big + (6u << 20));
  memset(after, 2, (2u << 20) - 1024);
  char *small_chunk = rt_arena_alloc_raw(&a, 100 << 10); /* past it: a new chunk */
  CU_ASSERT(small_chunk < big || small_chunk >= big + (6u << 20));
  rt_arena_free(&a);
  CU_ASSERT(!is_mapped(big));

  /* growing by small pieces, a huge arena goes on in a mapped chunk once past 512 KiB: its
     chunks of 64, 128 and 256 KiB are malloc'd, the fourth starts a huge page */
  rt_arena_init(&a);
  a.huge = 1;
  char *prev = NULL;
  int chunks = 0;
  for (int i = 0; i < 40; i++) { /* 1.25 MiB */
    char *piece = rt_arena_alloc_raw(&a, 32 << 10);
    memset(piece, 3, 32 << 10);
    if ((uintptr_t)piece != (uintptr_t)prev + (32u << 10) && ++chunks == 4)
      CU_ASSERT((uintptr_t)piece % (2u << 20) < 64);
    prev = piece;
  }
  CU_ASSERT_EQUAL(chunks, 4);
  rt_arena_free(&a);
}

/* A chunk of RT_HUGE_MIN bytes or more (a table()'s lines, RT_TABLE_CHUNK) is huge pages of
 * its own (lines.c): 2 MiB-aligned, advised huge up to its last byte (malloc'd, its first and
 * last 2 MiB were 4 KiB pages), and unmapped when released.  Just under RT_HUGE_MIN a chunk is
 * malloc'd as before. */
static void test_big_input_chunk(void) {
  size_t caps[] = {RT_TABLE_CHUNK, (size_t)RT_HUGE_MIN + 12345};
  for (size_t k = 0; k < 2; k++) {
    rt_input_chunk *c = rt_input_chunk_new(caps[k]);
    CU_ASSERT_EQUAL_FATAL(c->cap, caps[k]);
    CU_ASSERT_EQUAL((uintptr_t)c % (2u << 20), 0);
    memset(c->data, 'b', c->cap);
    if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0) {
      char flags[512];
      vm_flags_of(c, flags, sizeof flags);
      CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
      vm_flags_of(c->data + c->cap - 1, flags, sizeof flags);
      CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
    }
    CU_ASSERT_EQUAL(c->data[c->cap - 1], 'b');
    rt_input_chunk_release(c);
    CU_ASSERT(!is_mapped(c));
  }
  rt_input_chunk *small = rt_input_chunk_new((size_t)RT_HUGE_MIN - 4096);
  memset(small->data, 'c', small->cap);
  CU_ASSERT_EQUAL(small->data[small->cap - 1], 'c');
  rt_input_chunk_release(small);
}

/* Standard input chunks (lines.c): two to a 2 MiB-aligned block that asks for a huge page, the
 * second half kept for the next take; a released chunk is taken again before any new block;
 * the pool keeps 16, and releases past that unmap the chunk (mincore).  A chunk of another size
 * is malloc'd.  Every chunk holds its cap bytes. */
static void test_input_chunk_pool(void) {
  enum { N = 24, KEPT = 16, SLOT = 1 << 20 };
  rt_input_chunk *c[N];
  for (int i = 0; i < N; i++) {
    c[i] = rt_input_chunk_new(RT_INPUT_CHUNK);
    CU_ASSERT_EQUAL_FATAL(c[i]->cap, RT_INPUT_CHUNK);
    memset(c[i]->data, 'a' + i % 26, c[i]->cap);
  }
  /* the pool starts empty here (nothing was released before), so blocks come in pairs */
  for (int i = 0; i < N; i += 2) {
    CU_ASSERT_EQUAL((uintptr_t)c[i] % (2u * SLOT), 0);
    CU_ASSERT_PTR_EQUAL((char *)c[i + 1], (char *)c[i] + SLOT);
  }
  if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK) == 0) {
    char flags[512];
    vm_flags_of(c[0], flags, sizeof flags);
    CU_ASSERT_PTR_NOT_NULL(strstr(flags, " hg"));
  }
  for (int i = 0; i < N; i++) {
    CU_ASSERT_EQUAL(c[i]->data[0], 'a' + i % 26);
    CU_ASSERT_EQUAL(c[i]->data[c[i]->cap - 1], 'a' + i % 26);
  }
  for (int i = 0; i < N; i++) rt_input_chunk_release(c[i]);
  for (int i = 0; i < KEPT; i++) CU_ASSERT(is_mapped(c[i]));
  for (int i = KEPT; i < N; i++) CU_ASSERT(!is_mapped(c[i]));
  /* taken again last released first, no new block */
  for (int i = KEPT - 1; i >= 0; i--) {
    rt_input_chunk *again = rt_input_chunk_new(RT_INPUT_CHUNK);
    CU_ASSERT_PTR_EQUAL(again, c[i]);
    CU_ASSERT_EQUAL(again->refs, 1);
    c[i] = again;
  }
  rt_input_chunk *odd = rt_input_chunk_new(4096);
  CU_ASSERT_EQUAL(odd->cap, 4096);
  memset(odd->data, 'z', odd->cap);
  rt_input_chunk_hold(odd);
  rt_input_chunk_release(odd);
  CU_ASSERT_EQUAL(odd->data[4095], 'z');
  rt_input_chunk_release(odd);
  for (int i = 0; i < KEPT; i++) rt_input_chunk_release(c[i]);
}

int main(void) {
  rt_worker_init(&w, 0);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("memory", NULL, NULL);
  CU_add_test(s, "arena alignment and zeroing", test_arena_alignment_and_zero);
  CU_add_test(s, "error counters", test_errors_counted_and_reset);
  CU_add_test(s, "table with many keys", test_table_many_keys);
  CU_add_test(s, "vec elements in a mapping", test_vec_mapped);
  CU_add_test(s, "table entry indices are stable", test_table_index_of_stable);
  CU_add_test(s, "upsert_from and prefetch hints", test_table_upsert_from);
  CU_add_test(s, "deferred upserts with a hash taken earlier", test_table_upsert_hashed);
  CU_add_test(s, "keys whose index tags collide", test_table_same_tag);
  CU_add_test(s, "structured keys spread like random ones", test_table_hash_spread);
  CU_add_test(s, "reserve before filling", test_table_reserve_first);
  CU_add_test(s, "reserve on all the workers", test_table_reserve_shared);
  CU_add_test(s, "table empty and binary keys", test_table_empty_and_binary_keys);
  CU_add_test(s, "table keys around the inline limit", test_table_keys_around_inline_limit);
  CU_add_test(s, "table keys at a page end", test_table_keys_at_page_end);
  CU_add_test(s, "table entries within a line", test_table_entries_within_a_line);
  CU_add_test(s, "table remove and revive", test_table_remove_and_revive);
  CU_add_test(s, "table shares, find_from, uncounted removal", test_table_shares);
  CU_add_test(s, "kept tables point to long keys", test_table_kept_keys);
  CU_add_test(s, "table entries of 32 bytes", test_table_compact_entries);
  CU_add_test(s, "many tables, zero payload", test_table_zero_payload_and_many_tables);
  CU_add_test(s, "big blocks ask for huge pages", test_advise_huge);
  CU_add_test(s, "big input chunks are huge pages", test_big_input_chunk);
  CU_add_test(s, "huge mappings and a huge arena's chunks", test_map_huge);
  CU_add_test(s, "input chunks: blocks, pool and its bound", test_input_chunk_pool);
  CU_add_test(s, "vec", test_vec);
  CU_add_test(s, "vec inline, then malloc'd", test_vec_inline_then_malloced);
  CU_add_test(s, "vec inline room", test_vec_inline_room);
  CU_add_test(s, "vec kept in place", test_vec_kept_in_place);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
