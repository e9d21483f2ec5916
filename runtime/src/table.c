/* table.c — insertion-ordered hash table keyed by bytes, with a fixed-size payload.
 *
 * The layout is CPython's compact dict: a dense array of entries in insertion order (header,
 * then payload) and a separate open-addressing index of power-of-two size holding, per slot, the
 * entry's place plus the upper hash bits, so most probes reject a slot without touching the
 * entry.  Linear probing, load factor at most 1/2.  A key of up to 16 bytes (most words) lives
 * inside its entry header, so a hit costs one index line and one entry line and no pointer
 * chase: entries are 64-byte aligned, and one of up to 64 bytes never straddles two lines
 * (when they did, a word count's increment touched a third line per record).  The head is 24
 * bytes, so a head and an 8-byte payload (a word count's entry: the code generator keeps only
 * the value of a string-keyed aggregation) take 32 bytes, two entries a line: the word count's
 * 50,000 entries then take half the cache they took at 64 bytes.  Longer keys are
 * copied into the owner's arena.  Entries and index are malloc'd and released with the owner:
 * a worker at batch end, or a store (store.c) when it is freed.  State tables delete: a
 * removed entry is marked dead (lookups skip it, an upsert of its key revives it in place);
 * the owner compacts when the dead pile up.  How keys are hashed and compared: see "keys".
 *
 * Open addressing directly over the entries (one line per hit, insertion order kept in a side
 * array) was measured too: about 8% faster on the word count, whose keys mostly repeat, but
 * the window benchmark, whose keys are mostly new each batch, ran 1.8x slower in 1.1x the
 * memory with only batch tables laid out so, 2.4x slower in 1.5x with all of them (the slot
 * arrays are twice the size, copied on every doubling and iterated out of order).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "rt_internal.h"

enum { INLINE_KEY = 16, LINE = 64 };

/* Only the upper 32 bits of a key's hash are kept: they are the index slot's tag, and the
 * index position is taken from them too (hash_pos), so rebuilding the index never rehashes. */
typedef struct entry_head {
  uint32_t hash;     /* upper half of the key's hash: see hash_key */
  uint32_t len;      /* key bytes, | DEAD when removed (state tables only) */
  union {
    char inl[INLINE_KEY]; /* the key itself, zero-padded, when its length <= INLINE_KEY */
    const char *ptr;      /* else: arena copy */
  } key;
} entry_head;        /* 24 bytes: the payload that follows is 8-byte aligned */

_Static_assert(sizeof(entry_head) == 24, "a head and an 8-byte payload fill 32 bytes");

#define DEAD 0x80000000u   /* in entry_head.len; keys are shorter than 2 GiB */
#define KEY_MAX 0x7FFFFFFFu

static size_t key_len_of(const entry_head *e) { return e->len & KEY_MAX; }

static const char *key_of(const entry_head *e) {
  return key_len_of(e) <= INLINE_KEY ? e->key.inl : e->key.ptr;
}

static uint64_t load64(const void *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* ---- keys ---------------------------------------------------------------------------------
 * A key of 1 to 16 bytes is hashed and compared as two 64-bit words holding its bytes,
 * zero-padded: the form its entry keeps inline, so the compare is two word compares and the
 * insert two stores.  The words are built without branching on the key's length: a word count
 * sees lengths from 1 to 12 or so in random order, and XXH3's length classes plus a compare
 * by pieces mispredicted about once per word (cachegrind's branch simulation).  They are read
 * as 16 bytes from the key wherever that stays within the key's page, so reading past the
 * key's end cannot fault; a key in the last 15 bytes of a page is copied out first.  Longer
 * and empty keys hash with XXH3-64 and compare with memcmp. */
typedef struct key_words {
  uint64_t lo, hi; /* bytes 0-7 and 8-15, zero past the key's end */
} key_words;

enum { PAGE = 4096 };

static int short_key(size_t n) { return n - 1 < INLINE_KEY; } /* 1..16 bytes */

/* The bytes of an n-byte key within its two words (a table lookup: cheaper than building the
 * masks with shifts and selects). */
#define M(n) (~0ull >> (64 - 8 * (n))) /* n = 1..8 */
static const uint64_t key_mask[INLINE_KEY + 1][2] = {
  {0, 0}, {M(1), 0}, {M(2), 0}, {M(3), 0}, {M(4), 0}, {M(5), 0}, {M(6), 0}, {M(7), 0},
  {M(8), 0}, {M(8), M(1)}, {M(8), M(2)}, {M(8), M(3)}, {M(8), M(4)}, {M(8), M(5)},
  {M(8), M(6)}, {M(8), M(7)}, {M(8), M(8)},
};
#undef M

/* Reads past the key's end on purpose (within its page): the bytes are masked off, so
 * AddressSanitizer's redzone check does not apply here. */
__attribute__((no_sanitize("address"))) static key_words key_words_of(const char *k, size_t n) {
  uint64_t lo, hi;
  if (((uintptr_t)k & (PAGE - 1)) <= PAGE - INLINE_KEY) {
    __asm__("" : "+r"(k)); /* the optimiser must not reason about k's object: we pass its end */
    memcpy(&lo, k, 8);     /* not load64: a helper would be instrumented on its own */
    memcpy(&hi, k + 8, 8);
  } else {
    char copy[INLINE_KEY] = {0};
    memcpy(copy, k, n);
    lo = load64(copy);
    hi = load64(copy + 8);
  }
  return (key_words){lo & key_mask[n][0], hi & key_mask[n][1]};
}

/* The padded words and the length, multiplied into 128 bits and folded (wyhash's mix), then a
 * xorshift and a multiply that spread the fold into the upper half, the bits a table uses.  12
 * instructions where XXH3's 9-16 byte mix took 15 (the word count: 3-4% faster).  Measured
 * against it on a million keys each (linear probing at load 0.48, the tables' worst): text
 * keys, decimal and hex numbers, keys that differ only in their last 8 bytes, and 8-byte ints
 * that are multiples of 1, 1000, 4096, 2^20, 2^32, 2^32 + 1 and 2^40: 1.45-1.46 probes a key
 * either way, as for random hashes.  The fold alone was not enough: ints that differ only in
 * their upper bytes probed 130 slots at worst. */
/* The constants of a key's first (or only) 16 bytes. */
static const uint64_t FIRST_LO = 0xbe4ba423396cfeb8ull, FIRST_HI = 0x1cad21f72c81017cull;

/* The final mix of both short and 17-64 byte keys' hashes. */
static uint64_t spread(uint64_t h) { return (h ^ h >> 29) * 0x165667919E3779F9ull; }

static uint64_t hash_words(key_words w, size_t n) {
  return spread(XXH3_mul128_fold64(w.lo ^ FIRST_LO, w.hi ^ FIRST_HI ^ n));
}

/* Longer keys, a call either way: 17 to 64 bytes by hash_17_64 (below), up to MID_KEY and the
 * empty key by XXH3 in the program; longer ones, rare, by the library's copy of XXH3, external
 * so that programs need not compile the rest of it (cg_module.c). */
enum { MID_KEY = 128 };
uint64_t rt_table_hash_long(const void *key, size_t n); /* only this file calls it */
__attribute__((noinline)) uint64_t rt_table_hash_long(const void *key, size_t n) {
  return XXH3_64bits(key, n);
}

/* One 16-byte piece at p, mixed with its own constants. */
static uint64_t piece_mix(const char *p, uint64_t c0, uint64_t c1) {
  return XXH3_mul128_fold64(load64(p) ^ c0, load64(p + 8) ^ c1);
}

/* Keys of 17 to 64 bytes (ids, UUIDs: ysb hashes two of 36 bytes a view, and its lookup table
 * 300,000 when built): hash_words' mix over 16-byte pieces, the first and the last (which
 * overlap below 32 bytes) and those between, each with its own constants, then the same final
 * mix.  About half XXH3's instructions for 36 bytes.  Against XXH3 on a million keys each (text
 * and numbers of 17, 33, 36, 49 and 64 bytes, keys that differ only in their first or last
 * bytes, tuples of three or four ints that differ in one of them): 1.45-1.46 probes a key
 * either way. */
static uint64_t hash_17_64(const char *p, size_t n) {
  uint64_t h = piece_mix(p, FIRST_LO, FIRST_HI) ^
               piece_mix(p + n - 16, 0xdb979083e96dd4deull, 0x1f67b3b7a4a44072ull ^ n);
  if (n > 32) {
    h ^= piece_mix(p + 16, 0x78e5c0cc4ee679cbull, 0x2172ffcc7dd05a82ull);
    if (n > 48) h ^= piece_mix(p + n - 32, 0x8e2443f7744608b8ull, 0x4c263a81e69035e0ull);
  }
  return spread(h);
}

/* flatten: XXH3 inlined where n <= MID_KEY is known, which prunes its longer classes */
__attribute__((noinline, flatten)) static uint64_t hash_mid(const void *key, size_t n) {
  if (n - 17 < 48) return hash_17_64(key, n);
  return n <= MID_KEY ? XXH3_64bits(key, n) : rt_table_hash_long(key, n);
}

/* The key's hash; *w gets its words when it is short.  Always inlined, so that every probe
 * keeps the short path in line. */
__attribute__((always_inline)) static inline uint64_t hash_key(const void *key, size_t n, key_words *w) {
  if (!short_key(n)) return hash_mid(key, n);
  *w = key_words_of(key, n);
  return hash_words(*w, n);
}

/* Whether entry e, whose hash a probe already matched by its index tag, holds the key: NO_MATCH,
 * LIVE_MATCH, or DEAD_MATCH (a dead entry still matches its key: the upsert revives it in place).
 * A live entry's len is the key's length, so a live hit costs one compare of it; only a mismatch
 * looks at the DEAD bit, which batch tables never set. */
enum { NO_MATCH, LIVE_MATCH, DEAD_MATCH };

/* The key's bytes against those of an entry whose length matched.  Its words come first, with no
 * test of the length: a short key's words are its bytes, and equal its entry's inline ones only if
 * they are the same; an empty key's are zero, as is its entry's inline room; a longer key's are
 * zero, but its entry's first word is a pointer, so they differ and memcmp decides. */
static int same_bytes(const entry_head *e, const void *key, size_t klen, key_words w) {
  if (((load64(e->key.inl) ^ w.lo) | (load64(e->key.inl + 8) ^ w.hi)) == 0) return 1;
  /* expected: the long-key memcmp is a call, and without the hint the register allocator saves
   * the probe's live values around it on every record instead of on the rare long key */
  if (__builtin_expect(short_key(klen) || klen == 0, 1)) return 0;
  return !memcmp(e->key.ptr, key, klen);
}

static int key_match(const entry_head *e, const void *key, size_t klen, key_words w) {
  /* len is read atomically (a plain load on x86): a task of a shared update may revive another
     entry with the same hash meanwhile, which changes only its DEAD bit (see "shares") */
  uint32_t len = __atomic_load_n(&e->len, __ATOMIC_RELAXED);
  /* sign-extended, a dead entry's len is above any key length (keys are shorter than 2^63) */
  if (__builtin_expect((size_t)(int64_t)(int32_t)len == klen, 1))
    return same_bytes(e, key, klen, w) ? LIVE_MATCH : NO_MATCH;
  if ((len & KEY_MAX) != klen) return NO_MATCH;
  return same_bytes(e, key, klen, w) ? DEAD_MATCH : NO_MATCH;
}

struct dsc_rt_table {
  rt_owned owned;        /* release hook; must stay first */
  rt_arena *keys;        /* the owner's arena, which holds the long keys; NULL: they are not
                            copied (dsc_rt_table_new_kept) */
  size_t stride;         /* bytes per entry: head + payload, see entry_stride */
  size_t payload;        /* payload bytes */
  unsigned char *entries;/* dense, insertion order, LINE-aligned inside entries_mem */
  void *entries_mem;     /* the allocation that holds them */
  size_t entries_mapped; /* its bytes if it is a mapping of its own (table_array), else 0 */
  size_t index_mapped;   /* the same for the index */
  int own_maps;          /* big arrays are mappings of their own: a table that lives long */
  int64_t len;           /* entries used */
  int64_t dead;          /* entries marked dead */
  int64_t folded;        /* len at the last dsc_rt_table_mark_folded */
  int64_t cap;           /* entries allocated */
  uint64_t *index;       /* 0 = empty, else a slot_of: the entry's place and hash */
  uint64_t mask;         /* index size - 1 */
};

/* The stored half of a key's hash, and its slot in the index. */
static uint32_t hash_hi(uint64_t h) { return (uint32_t)(h >> 32); }
static uint64_t hash_pos(const dsc_rt_table *t, uint32_t h) { return h & t->mask; }

/* The load factor's bound, 1/2: whether an index of `size` slots is too small for n entries. */
static int index_too_small(uint64_t size, uint64_t n) { return n * 2 > size; }

/* The index size an upsert of n entries grows t's index to, by doubling. */
static uint64_t index_size_for(const dsc_rt_table *t, int64_t n) {
  uint64_t size = t->mask + 1;
  while (index_too_small(size, (uint64_t)n)) size *= 2;
  return size;
}

static entry_head *entry_at(const dsc_rt_table *t, int64_t i) {
  return (entry_head *)(t->entries + (size_t)i * t->stride);
}

/* An index slot holds the key's stored hash as its tag, in its low half, and in its high half its
 * entry's offset in units of ENTRY_UNIT bytes (every stride is a multiple of it), plus one: a
 * probe compares the tag as a 32-bit word, with no mask, and finds the entry with shifts, where
 * an entry number would be multiplied by a stride loaded from the table, on the path from the
 * slot's load to the entry's.  Entries may take up to 2^32 units, 128 GiB (entries_bytes). */
enum { ENTRY_UNIT = 32 };

static uint64_t slot_of(const dsc_rt_table *t, uint32_t h, int64_t i) {
  return ((size_t)i * t->stride / ENTRY_UNIT + 1) << 32 | h;
}

static int slot_tagged(uint64_t v, uint32_t h) { return (uint32_t)v == h; }

static entry_head *slot_entry(const dsc_rt_table *t, uint64_t v) {
  return (entry_head *)(t->entries + ((v >> 32) - 1) * ENTRY_UNIT);
}

/* Entry size: a power of two up to a line, so no entry straddles two lines; beyond that a
 * multiple of 32 (ENTRY_UNIT), so the head (all a probe that misses reads) is still within one
 * line.  Payloads need at most 8-byte alignment (the code generator's types). */
static size_t entry_stride(size_t payload) {
  size_t s = sizeof(entry_head) + ((payload + 7) & ~(size_t)7);
  if (s <= LINE) return s <= ENTRY_UNIT ? ENTRY_UNIT : LINE;
  return (s + ENTRY_UNIT - 1) & ~(size_t)(ENTRY_UNIT - 1);
}

/* A big table is probed at random all over its index and entries: its arrays ask for 2 MiB
 * pages (rt_advise_huge) before their pages are first written.  A batch's table comes from
 * glibc's heap, which keeps it for the next batch's (lifecycle.c).  The big arrays of a table
 * that lives as long as the program (a static stage's, whose arena asks for huge pages too) are
 * mappings of their own instead, given back when it outgrows them: in the heap, what a lookup
 * table outgrew while it was built stayed (ysb-300k-ads peaked at 90.5 MB instead of 86).
 * *mapped gets the mapping's bytes, or 0. */
static void *table_array(const dsc_rt_table *t, size_t bytes, size_t *mapped) {
  *mapped = 0;
  if (t->own_maps && bytes >= RT_HUGE_MIN) {
    *mapped = bytes;
    return rt_map_huge(bytes);
  }
  void *p = rt_xmalloc(bytes);
  rt_advise_huge(p, bytes);
  return p;
}

static void array_free(void *p, size_t mapped) {
  if (mapped) rt_unmap_huge(p, mapped);
  else free(p);
}

/* The first line boundary in mem. */
static unsigned char *line_up(unsigned char *mem) {
  return (unsigned char *)(((uintptr_t)mem + LINE - 1) & ~(uintptr_t)(LINE - 1));
}

/* The bytes of an entries array of `cap` entries; past what index slots can address, the table
 * is out of memory. */
static size_t entries_bytes(const dsc_rt_table *t, int64_t cap) {
  if ((uint64_t)cap * t->stride / ENTRY_UNIT >= UINT32_MAX) rt_oom();
  return (size_t)cap * t->stride + LINE;
}

/* Room for `cap` entries.  A small array is realloc'd (the entries then move within it only if
 * its distance to a line boundary changed); a big one is a new array (table_array) that they
 * are copied into, as realloc would copy them anyway (lifecycle.c has glibc serve blocks up to
 * 32 MiB from its heap). */
static void resize_entries(dsc_rt_table *t, int64_t cap) {
  size_t bytes = entries_bytes(t, cap), used = (size_t)t->len * t->stride;
  unsigned char *mem, *at;
  if (bytes < RT_HUGE_MIN && !t->entries_mapped) {
    size_t old_off = t->entries ? (size_t)(t->entries - (unsigned char *)t->entries_mem) : 0;
    mem = rt_xrealloc(t->entries_mem, bytes);
    at = line_up(mem);
    if ((size_t)(at - mem) != old_off && used) memmove(at, mem + old_off, used);
  } else {
    size_t mapped;
    mem = table_array(t, bytes, &mapped);
    at = line_up(mem);
    if (used) memcpy(at, t->entries, used);
    array_free(t->entries_mem, t->entries_mapped);
    t->entries_mapped = mapped;
  }
  t->entries_mem = mem;
  t->entries = at;
  t->cap = cap;
}

/* A zeroed index.  Not calloc: a big one comes as fresh pages, which the probes' reads would map
 * to the shared zero page, and each first insert on a page would then replace that page, a
 * write fault whose TLB flush interrupts every other core running the program (with two
 * workers, a word count's batches spent 3% of their time there).  Writing the zeros maps each
 * page once, for writing. */
static uint64_t *index_new(dsc_rt_table *t, uint64_t size) {
  uint64_t *index = table_array(t, size * sizeof(uint64_t), &t->index_mapped);
  memset(index, 0, size * sizeof(uint64_t));
  return index;
}

static void table_release(void *p) {
  dsc_rt_table *t = p;
  array_free(t->entries_mem, t->entries_mapped);
  array_free(t->index, t->index_mapped);
  t->entries_mapped = t->index_mapped = 0;
  t->entries = NULL, t->entries_mem = NULL, t->index = NULL;
}

dsc_rt_table *rt_table_make(rt_arena *arena, rt_owned **owner, int64_t payload_size) {
  dsc_rt_table *t = rt_arena_alloc_raw(arena, sizeof *t);
  memset(t, 0, sizeof *t);
  t->owned.release = table_release;
  t->keys = arena;
  t->payload = payload_size > 0 ? (size_t)payload_size : 0;
  t->stride = entry_stride(t->payload);
  t->own_maps = arena->huge;
  resize_entries(t, 8);
  t->mask = 15;
  t->index = index_new(t, t->mask + 1);
  t->owned.next = *owner;
  *owner = &t->owned;
  return t;
}

dsc_rt_table *dsc_rt_table_new(dsc_rt_worker *worker, int64_t payload_size) {
  return rt_table_make(&worker->arena, &worker->owned, payload_size);
}

dsc_rt_table *dsc_rt_table_new_kept(dsc_rt_worker *worker, int64_t payload_size) {
  dsc_rt_table *t = rt_table_make(&worker->arena, &worker->owned, payload_size);
  t->keys = NULL;
  return t;
}

/* Puts every entry into the (zeroed) index. */
static void index_fill(dsc_rt_table *t) {
  for (int64_t i = 0; i < t->len; i++) {
    uint32_t h = entry_at(t, i)->hash;
    uint64_t s = hash_pos(t, h);
    while (t->index[s]) s = (s + 1) & t->mask;
    t->index[s] = slot_of(t, h, i);
  }
}

static void table_reindex(dsc_rt_table *t, uint64_t size) {
  array_free(t->index, t->index_mapped);
  t->index = index_new(t, size);
  t->mask = size - 1;
  index_fill(t);
}

/* The insert half of an upsert: key is absent and s is the free index slot its probe ended
 * on.  Kept out of line so that the per-record path inlined into a fused loop holds no calls
 * but this one: the register allocator then keeps the loop's values in registers instead of
 * spilling them around the growth, copy and allocation calls.  External, as rt_table_hash_long
 * is, so that programs call the library's copy. */
void *rt_table_insert(dsc_rt_table *t, const void *key, size_t klen, uint32_t h, key_words w,
                      uint64_t s);
__attribute__((noinline)) void *rt_table_insert(dsc_rt_table *t, const void *key, size_t klen,
                                                uint32_t h, key_words w, uint64_t s) {
  if (klen > KEY_MAX) rt_oom(); /* a 2 GiB key is not a key */
  if (t->len == t->cap) resize_entries(t, t->cap * 2);
  int64_t i = t->len++;
  entry_head *e = entry_at(t, i);
  memset(e, 0, t->stride);
  e->hash = h;
  e->len = (uint32_t)klen;
  if (short_key(klen)) {
    memcpy(e->key.inl, &w.lo, 8);
    memcpy(e->key.inl + 8, &w.hi, 8);
  } else if (klen && !t->keys) {
    e->key.ptr = key;
  } else if (klen) {
    char *k = rt_arena_alloc_raw(t->keys, klen);
    memcpy(k, key, klen);
    e->key.ptr = k;
  }
  if (index_too_small(t->mask + 1, (uint64_t)t->len)) {
    table_reindex(t, (t->mask + 1) * 2);
  } else {
    t->index[s] = slot_of(t, h, i);
  }
  return e + 1;
}

/* An upsert found its key dead: the entry comes back zeroed (and new to the caller).  Out of
 * line for the same reason as rt_table_insert; is_new stays with the caller, whose flag then
 * lives in a register rather than in memory whose address escaped. */
__attribute__((noinline)) static void table_revive(dsc_rt_table *t, entry_head *e) {
  e->len &= KEY_MAX;
  t->dead--;
  memset(e + 1, 0, t->stride - sizeof *e);
}

/* The probe, shared by both entry points and inlined into them: in the generated loops it must
 * not be a call.  h and w are the key's hash and (short keys) words, see "keys". */
__attribute__((always_inline)) static inline void *
upsert_hashed(dsc_rt_table *t, const void *key, size_t klen, uint32_t h, key_words w,
              int32_t *is_new) {
  uint64_t s = hash_pos(t, h);
  for (;;) {
    uint64_t v = t->index[s];
    if (!v) break;
    if (slot_tagged(v, h)) {
      entry_head *e = slot_entry(t, v);
      int match = key_match(e, key, klen, w);
      if (match) {
        int revived = match == DEAD_MATCH;
        if (__builtin_expect(revived, 0)) table_revive(t, e);
        if (is_new) *is_new = revived;
        return e + 1;
      }
    }
    s = (s + 1) & t->mask;
  }
  if (is_new) *is_new = 1;
  return rt_table_insert(t, key, klen, h, w, s);
}

void *dsc_rt_table_upsert(dsc_rt_table *t, const void *key, int64_t key_len, int32_t *is_new) {
  size_t klen = key_len > 0 ? (size_t)key_len : 0;
  key_words w = {0, 0};
  uint32_t h = hash_hi(hash_key(key, klen, &w));
  /* Only h is needed from here on; hidden from the optimiser, or it compares slot tags against
   * the full hash and keeps both alive, spilling four registers per record in the word count. */
  __asm__("" : "+r"(h));
  return upsert_hashed(t, key, klen, h, w, is_new);
}

/* ---- deferred upserts ------------------------------------------------------------------------
 * A fused loop that feeds a big table hashes each key first and prefetches its index slot, then
 * upserts it a few records later (cg_sinks.c keeps the ring, with the hash and the key's words,
 * so that the upsert does not read the key again): the misses of several keys then
 * overlap instead of each record waiting for its own.  (Prefetching the entry too, halfway
 * through the ring, once its slot is cached, gained nothing with rings of 16 to 64.) */

int32_t dsc_rt_table_hash(const void *key, int64_t key_len, uint64_t words[2]) {
  key_words w = {0, 0};
  uint32_t h = hash_hi(hash_key(key, key_len > 0 ? (size_t)key_len : 0, &w));
  words[0] = w.lo, words[1] = w.hi;
  return (int32_t)h;
}

void dsc_rt_table_prefetch_hash(const dsc_rt_table *t, int32_t h) {
  __builtin_prefetch(&t->index[hash_pos(t, (uint32_t)h)]);
}

/* Past L1: an index of 8,192 slots (past 2,048 entries) is 64 KiB, and so are its entries. */
int32_t dsc_rt_table_is_big(const dsc_rt_table *t) { return t->mask >= 8191; }

void *dsc_rt_table_upsert_hashed(dsc_rt_table *t, const void *key, int64_t key_len, int32_t h,
                                 const uint64_t words[2], int32_t *is_new) {
  size_t klen = key_len > 0 ? (size_t)key_len : 0;
  return upsert_hashed(t, key, klen, (uint32_t)h, (key_words){words[0], words[1]}, is_new);
}

/* An entry's key as a probe takes it: a short key's words are the entry's inline bytes. */
static key_words entry_words(const entry_head *e) {
  return short_key(key_len_of(e)) ? (key_words){load64(e->key.inl), load64(e->key.inl + 8)}
                                  : (key_words){0, 0};
}

/* Tables hash alike, and an entry keeps a short key as its zero-padded words. */
void *dsc_rt_table_upsert_from(dsc_rt_table *t, const dsc_rt_table *src, int64_t i,
                               int32_t *is_new) {
  const entry_head *e = entry_at(src, i);
  return upsert_hashed(t, key_of(e), key_len_of(e), e->hash, entry_words(e), is_new);
}

/* The lines of an entry: one, unless its payload makes it longer than a line. */
static void prefetch_entry(const dsc_rt_table *t, const entry_head *e) {
  __builtin_prefetch(e);
  if (t->stride > LINE) __builtin_prefetch((const char *)e + t->stride - 1);
}

void dsc_rt_table_prefetch_from(const dsc_rt_table *t, const dsc_rt_table *src, int64_t i,
                                int32_t entry) {
  if (i < 0 || i >= src->len) return;
  uint32_t h = entry_at(src, i)->hash;
  const uint64_t *slot = &t->index[hash_pos(t, h)];
  if (!entry) {
    __builtin_prefetch(slot);
    return;
  }
  /* The key's slot is the first one with its tag from there on.  The walk stays in the slot's
     line, the one the first step fetched: a key a collision pushed along (a third of the window
     bench's entering keys, whose state's index is half full) then has its entry fetched too. */
  uint64_t s = (uint64_t)(slot - t->index);
  for (;;) {
    uint64_t v = t->index[s];
    if (!v) return;
    if (slot_tagged(v, h)) {
      prefetch_entry(t, slot_entry(t, v));
      return;
    }
    s = (s + 1) & t->mask;
    if (!((uintptr_t)&t->index[s] & (LINE - 1))) return;
  }
}

void dsc_rt_table_prefetch_at(const dsc_rt_table *t, int64_t i) {
  if (i >= 0 && i < t->len) prefetch_entry(t, entry_at(t, i));
}

/* The entry of a key whose hash and words are known, live or dead, or NULL. */
static entry_head *find_entry(const dsc_rt_table *t, const void *key, size_t klen, uint32_t h,
                              key_words w) {
  for (uint64_t s = hash_pos(t, h); t->index[s]; s = (s + 1) & t->mask) {
    uint64_t v = t->index[s];
    if (!slot_tagged(v, h)) continue;
    entry_head *e = slot_entry(t, v);
    if (key_match(e, key, klen, w)) return e;
  }
  return NULL;
}

/* The payload of an entry find_entry found, if it is live. */
static void *live_payload(entry_head *e) { return e && !(e->len & DEAD) ? e + 1 : NULL; }

void *dsc_rt_table_find(const dsc_rt_table *t, const void *key, int64_t key_len) {
  size_t klen = key_len > 0 ? (size_t)key_len : 0;
  key_words w = {0, 0};
  uint32_t h = hash_hi(hash_key(key, klen, &w));
  return live_payload(find_entry(t, key, klen, h, w));
}

/* ---- shares ---------------------------------------------------------------------------------
 * Tasks may update the payloads of one table at once when no two of them touch one entry: each
 * takes the keys of its own share, by hash.  They look keys up and may revive a dead entry of
 * their share, but insert nothing, so the index and the entries' keys stay as they are while
 * the tasks run; a revival changes only the entry's DEAD bit, which key_match reads atomically.
 * The share comes from the hash's top bits, scaled, so it does not follow the index position
 * (its low bits). */

static int64_t share_of_hash(uint32_t h, int64_t shares) {
  return (int64_t)(((uint64_t)h * (uint64_t)shares) >> 32);
}

int64_t dsc_rt_table_share_of(const dsc_rt_table *src, int64_t i, int64_t shares) {
  return share_of_hash(entry_at(src, i)->hash, shares);
}

/* The entry in t of the key of src's entry i, live or dead, or NULL. */
static entry_head *find_entry_from(const dsc_rt_table *t, const dsc_rt_table *src, int64_t i) {
  const entry_head *k = entry_at(src, i);
  return find_entry(t, key_of(k), key_len_of(k), k->hash, entry_words(k));
}

void *dsc_rt_table_find_from(const dsc_rt_table *t, const dsc_rt_table *src, int64_t i) {
  return live_payload(find_entry_from(t, src, i));
}

void *dsc_rt_table_revive_from(dsc_rt_table *t, const dsc_rt_table *src, int64_t i,
                               int32_t *revived) {
  entry_head *e = find_entry_from(t, src, i);
  *revived = 0;
  if (!e) return NULL;
  if (e->len & DEAD) {
    __atomic_fetch_and(&e->len, KEY_MAX, __ATOMIC_RELAXED); /* see key_match */
    memset(e + 1, 0, t->stride - sizeof *e);
    *revived = 1;
  }
  return e + 1;
}

void dsc_rt_table_reserve(dsc_rt_table *t, int64_t n) {
  if (n <= t->cap) return;
  resize_entries(t, n);
  uint64_t size = index_size_for(t, n);
  if (size > t->mask + 1) table_reindex(t, size);
}

/* ---- growing on all the workers ------------------------------------------------------------
 * First writes to fresh memory are what a big table's growth costs on a virtual machine (page
 * faults, and the host's own behind them: the window's state at 1 thread spent 13% of its time
 * faulting in the arrays it grew into, bench/RESULTS.md, twenty-first session).  Here the new
 * arrays are first written a slice per task: entries copied, the room for the entries about to
 * come zeroed, the new index zeroed; only filling the index stays on the calling thread. */
typedef struct grow_job {
  dsc_rt_table *t;
  unsigned char *to;   /* the new entries (LINE-aligned) */
  size_t used, fill;   /* bytes copied from t->entries, and zeroed after them */
  uint64_t *index;     /* the new index */
  size_t index_bytes;
  int64_t ntasks;
} grow_job;

/* [lo, hi) of `bytes`, task k of n, on line boundaries. */
static void slice_of(size_t bytes, int64_t k, int64_t n, size_t *lo, size_t *hi) {
  size_t per = ((bytes / (size_t)n) + LINE - 1) & ~(size_t)(LINE - 1);
  *lo = per * (size_t)k < bytes ? per * (size_t)k : bytes;
  *hi = *lo + per < bytes && k + 1 < n ? *lo + per : bytes;
}

static void grow_task(void *env, dsc_rt_worker *worker, int64_t k) {
  (void)worker;
  grow_job *j = env;
  size_t lo, hi;
  slice_of(j->used, k, j->ntasks, &lo, &hi);
  memcpy(j->to + lo, j->t->entries + lo, hi - lo);
  slice_of(j->fill, k, j->ntasks, &lo, &hi);
  memset(j->to + j->used + lo, 0, hi - lo);
  if (!j->index) return; /* the index kept its size */
  slice_of(j->index_bytes, k, j->ntasks, &lo, &hi);
  memset((char *)j->index + lo, 0, hi - lo);
}

void dsc_rt_table_reserve_shared(dsc_rt_ctx *ctx, dsc_rt_table *t, int64_t n) {
  int64_t ntasks = dsc_rt_partitions(ctx);
  if (n <= t->cap) return;
  int64_t cap = t->cap * 2 > n ? t->cap * 2 : n;
  size_t bytes = entries_bytes(t, cap);
  if (ntasks < 2 || bytes < RT_HUGE_MIN) {
    dsc_rt_table_reserve(t, cap);
    return;
  }
  uint64_t size = index_size_for(t, n);
  size_t mapped, index_mapped = 0;
  grow_job j = {.t = t, .used = (size_t)t->len * t->stride, .ntasks = ntasks};
  unsigned char *mem = table_array(t, bytes, &mapped);
  j.to = line_up(mem);
  j.fill = (size_t)(n - t->len) * t->stride;
  if (size > t->mask + 1) { /* the old index first, so that the new one may reuse its memory */
    array_free(t->index, t->index_mapped);
    j.index_bytes = size * sizeof(uint64_t);
    j.index = table_array(t, j.index_bytes, &index_mapped);
  }
  dsc_rt_run_tasks(ctx, ntasks, grow_task, &j);
  array_free(t->entries_mem, t->entries_mapped);
  t->entries_mem = mem;
  t->entries = j.to;
  t->entries_mapped = mapped;
  t->cap = cap;
  if (j.index) {
    t->index = j.index;
    t->index_mapped = index_mapped;
    t->mask = size - 1;
    index_fill(t);
  }
}

/* Long keys and what payloads point to stay in their arenas until the owner's end. */
void dsc_rt_table_clear(dsc_rt_table *t) {
  memset(t->index, 0, (t->mask + 1) * sizeof(uint64_t));
  t->len = 0;
  t->dead = 0;
  t->folded = 0;
}

int64_t dsc_rt_table_mark_folded(dsc_rt_table *t) {
  int64_t was = t->folded;
  t->folded = t->len;
  return was;
}

int64_t dsc_rt_table_len(const dsc_rt_table *t) { return t->len; }

void *dsc_rt_table_at(const dsc_rt_table *t, int64_t i) { return entry_at(t, i) + 1; }

const void *dsc_rt_table_key(const dsc_rt_table *t, int64_t i, int64_t *key_len) {
  const entry_head *e = entry_at(t, i);
  if (key_len) *key_len = (int64_t)key_len_of(e);
  return key_of(e);
}

void dsc_rt_table_remove(dsc_rt_table *t, void *payload) {
  entry_head *e = (entry_head *)payload - 1;
  if (!(e->len & DEAD)) {
    e->len |= DEAD;
    t->dead++;
  }
}

int32_t dsc_rt_table_remove_uncounted(dsc_rt_table *t, void *payload) {
  (void)t;
  entry_head *e = (entry_head *)payload - 1;
  if (e->len & DEAD) return 0;
  e->len |= DEAD;
  return 1;
}

void dsc_rt_table_add_dead(dsc_rt_table *t, int64_t n) {
  __atomic_fetch_add(&t->dead, n, __ATOMIC_RELAXED);
}

int32_t dsc_rt_table_live_at(const dsc_rt_table *t, int64_t i) { return !(entry_at(t, i)->len & DEAD); }

int64_t dsc_rt_table_dead(const dsc_rt_table *t) { return t->dead; }

int64_t dsc_rt_table_index_of(const dsc_rt_table *t, const void *payload) {
  const unsigned char *head = (const unsigned char *)payload - sizeof(entry_head);
  return (int64_t)((size_t)(head - t->entries) / t->stride);
}
