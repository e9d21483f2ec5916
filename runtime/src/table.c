/* table.c — insertion-ordered hash table keyed by bytes, with a fixed-size payload.
 *
 * The layout is CPython's compact dict: a dense array of entries in insertion order (header,
 * then payload) and a separate open-addressing index of power-of-two size holding, per slot, the
 * entry number plus the upper hash bits, so most probes reject a slot without touching the
 * entry.  Linear probing, load factor at most 1/2.  A key of up to 16 bytes (most words) lives
 * inside its entry header, so a hit costs one index line and one entry line and no pointer
 * chase; longer keys are copied into the owner's arena.  Entries and index are malloc'd and
 * released with the owner: a worker at batch end, or a store (store.c) when it is freed.
 * Hashing is XXH3-64.  State tables delete: a removed entry is marked dead (lookups skip it,
 * an upsert of its key revives it in place); the owner compacts when the dead pile up.
 */
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "rt_internal.h"

enum { INLINE_KEY = 16 };

typedef struct entry_head {
  uint64_t hash;     /* XXH3 of the key */
  uint32_t key_len;  /* bytes */
  uint32_t dead;     /* removed (state tables only) */
  union {
    char inl[INLINE_KEY]; /* the key itself, when key_len <= INLINE_KEY */
    const char *ptr;      /* else: arena copy */
  } key;
} entry_head;        /* 32 bytes: the payload that follows stays 16-byte aligned */

static const char *key_of(const entry_head *e) {
  return e->key_len <= INLINE_KEY ? e->key.inl : e->key.ptr;
}

static int same_key(const entry_head *e, uint64_t h, const void *key, size_t klen) {
  return e->hash == h && e->key_len == klen && (klen == 0 || !memcmp(key_of(e), key, klen));
}

struct dsc_rt_table {
  rt_owned owned;        /* release hook; must stay first */
  rt_arena *keys;        /* the owner's arena, which holds the keys */
  size_t stride;         /* bytes per entry: head + payload, rounded to 16 */
  size_t payload;        /* payload bytes */
  unsigned char *entries;/* dense, insertion order */
  int64_t len;           /* entries used */
  int64_t dead;          /* entries marked dead */
  int64_t cap;           /* entries allocated */
  uint64_t *index;       /* 0 = empty, else (hash & ~mask32) | (entry + 1) */
  uint64_t mask;         /* index size - 1 */
};

static void table_release(void *p) {
  dsc_rt_table *t = p;
  free(t->entries);
  free(t->index);
  t->entries = NULL, t->index = NULL;
}

dsc_rt_table *rt_table_make(rt_arena *arena, rt_owned **owner, int64_t payload_size) {
  dsc_rt_table *t = rt_arena_alloc_raw(arena, sizeof *t);
  memset(t, 0, sizeof *t);
  t->owned.release = table_release;
  t->keys = arena;
  t->payload = payload_size > 0 ? (size_t)payload_size : 0;
  t->stride = sizeof(entry_head) + ((t->payload + 15) & ~(size_t)15);
  t->cap = 8;
  t->entries = rt_xmalloc(t->stride * (size_t)t->cap);
  t->mask = 15;
  t->index = calloc(t->mask + 1, sizeof(uint64_t));
  if (!t->index) rt_oom();
  t->owned.next = *owner;
  *owner = &t->owned;
  return t;
}

dsc_rt_table *dsc_rt_table_new(dsc_rt_worker *worker, int64_t payload_size) {
  return rt_table_make(&worker->arena, &worker->owned, payload_size);
}

#define HI_MASK 0xFFFFFFFF00000000ull

static void table_reindex(dsc_rt_table *t, uint64_t size) {
  free(t->index);
  t->index = calloc(size, sizeof(uint64_t));
  if (!t->index) rt_oom();
  t->mask = size - 1;
  for (int64_t i = 0; i < t->len; i++) {
    uint64_t h = ((entry_head *)(t->entries + (size_t)i * t->stride))->hash;
    uint64_t s = h & t->mask;
    while (t->index[s]) s = (s + 1) & t->mask;
    t->index[s] = (h & HI_MASK) | (uint64_t)(i + 1);
  }
}

static entry_head *entry_at(const dsc_rt_table *t, int64_t i) {
  return (entry_head *)(t->entries + (size_t)i * t->stride);
}

/* Inlined into both entry points: in the generated loops the probe must not be a call. */
static inline __attribute__((always_inline)) void *
upsert_hashed(dsc_rt_table *t, const void *key, size_t klen, uint64_t h, int32_t *is_new) {
  uint64_t tag = h & HI_MASK;
  uint64_t s = h & t->mask;
  for (;;) {
    uint64_t v = t->index[s];
    if (!v) break;
    if ((v & HI_MASK) == tag) {
      int64_t i = (int64_t)(v & ~HI_MASK) - 1;
      entry_head *e = (entry_head *)(t->entries + (size_t)i * t->stride);
      if (same_key(e, h, key, klen)) {
        int revived = e->dead != 0;
        if (revived) {
          e->dead = 0;
          t->dead--;
          memset(e + 1, 0, t->stride - sizeof *e);
        }
        if (is_new) *is_new = revived;
        return e + 1;
      }
    }
    s = (s + 1) & t->mask;
  }
  if (t->len == t->cap) {
    t->cap *= 2;
    t->entries = rt_xrealloc(t->entries, t->stride * (size_t)t->cap);
  }
  int64_t i = t->len++;
  entry_head *e = (entry_head *)(t->entries + (size_t)i * t->stride);
  e->hash = h;
  e->key_len = (uint32_t)klen;
  e->dead = 0;
  if (klen <= INLINE_KEY) {
    memset(e->key.inl, 0, INLINE_KEY);
    if (klen) memcpy(e->key.inl, key, klen);
  } else {
    char *k = rt_arena_alloc_raw(t->keys, klen);
    memcpy(k, key, klen);
    e->key.ptr = k;
  }
  memset(e + 1, 0, t->stride - sizeof *e);
  if ((uint64_t)t->len * 2 > t->mask + 1) {
    table_reindex(t, (t->mask + 1) * 2);
  } else {
    t->index[s] = tag | (uint64_t)(i + 1);
  }
  if (is_new) *is_new = 1;
  return e + 1;
}

void *dsc_rt_table_upsert(dsc_rt_table *t, const void *key, int64_t key_len, int32_t *is_new) {
  size_t klen = key_len > 0 ? (size_t)key_len : 0;
  if (klen > UINT32_MAX) rt_oom(); /* a 4 GiB key is not a key */
  return upsert_hashed(t, key, klen, XXH3_64bits(key, klen), is_new);
}

void *dsc_rt_table_upsert_from(dsc_rt_table *t, const dsc_rt_table *src, int64_t i,
                               int32_t *is_new) {
  const entry_head *e = entry_at(src, i);
  return upsert_hashed(t, key_of(e), e->key_len, e->hash, is_new);
}

/* Both cache lines an entry may span: entries are 16-byte aligned, not line aligned. */
static void prefetch_entry(const dsc_rt_table *t, const entry_head *e) {
  __builtin_prefetch(e);
  __builtin_prefetch((const char *)e + t->stride - 1);
}

void dsc_rt_table_prefetch_from(const dsc_rt_table *t, const dsc_rt_table *src, int64_t i,
                                int32_t entry) {
  if (i < 0 || i >= src->len) return;
  uint64_t h = entry_at(src, i)->hash;
  const uint64_t *slot = &t->index[h & t->mask];
  if (!entry) {
    __builtin_prefetch(slot);
    return;
  }
  uint64_t v = *slot;
  if (v && (v & HI_MASK) == (h & HI_MASK)) prefetch_entry(t, entry_at(t, (int64_t)(v & ~HI_MASK) - 1));
}

void dsc_rt_table_prefetch_at(const dsc_rt_table *t, int64_t i) {
  if (i >= 0 && i < t->len) prefetch_entry(t, entry_at(t, i));
}

void dsc_rt_table_reserve(dsc_rt_table *t, int64_t n) {
  if (n <= t->cap) return;
  t->cap = n;
  t->entries = rt_xrealloc(t->entries, t->stride * (size_t)t->cap);
  uint64_t size = t->mask + 1;
  while (size < 2 * (uint64_t)n) size *= 2;
  if (size > t->mask + 1) table_reindex(t, size);
}

int64_t dsc_rt_table_len(const dsc_rt_table *t) { return t->len; }

void *dsc_rt_table_at(const dsc_rt_table *t, int64_t i) {
  return (entry_head *)(t->entries + (size_t)i * t->stride) + 1;
}

const void *dsc_rt_table_key(const dsc_rt_table *t, int64_t i, int64_t *key_len) {
  const entry_head *e = (const entry_head *)(t->entries + (size_t)i * t->stride);
  if (key_len) *key_len = e->key_len;
  return key_of(e);
}

void dsc_rt_table_remove(dsc_rt_table *t, void *payload) {
  entry_head *e = (entry_head *)payload - 1;
  if (!e->dead) {
    e->dead = 1;
    t->dead++;
  }
}

int32_t dsc_rt_table_live_at(const dsc_rt_table *t, int64_t i) {
  return !((const entry_head *)(t->entries + (size_t)i * t->stride))->dead;
}

int64_t dsc_rt_table_dead(const dsc_rt_table *t) { return t->dead; }

void *dsc_rt_table_find(const dsc_rt_table *t, const void *key, int64_t key_len) {
  size_t klen = key_len > 0 ? (size_t)key_len : 0;
  uint64_t h = XXH3_64bits(key, klen), tag = h & HI_MASK;
  for (uint64_t s = h & t->mask; t->index[s]; s = (s + 1) & t->mask) {
    uint64_t v = t->index[s];
    if ((v & HI_MASK) != tag) continue;
    entry_head *e = (entry_head *)(t->entries + (size_t)((v & ~HI_MASK) - 1) * t->stride);
    if (same_key(e, h, key, klen))
      return e->dead ? NULL : e + 1;
  }
  return NULL;
}

int64_t dsc_rt_table_index_of(const dsc_rt_table *t, const void *payload) {
  const unsigned char *head = (const unsigned char *)payload - sizeof(entry_head);
  return (int64_t)((size_t)(head - t->entries) / t->stride);
}
