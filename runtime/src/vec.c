/* vec.c — growable array of fixed-size elements, batch (or store) lifetime.
 *
 * The header lives in the owner's arena, or inside a grouping table's entry; the elements that
 * outgrow the room after it are realloc'd (doubling) so a vec that grows to millions of
 * elements does not leave a trail of dead copies in the arena.  The owner (a worker at batch
 * end, or a store when freed) frees that storage through the rt_owned hook.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

/* The first elements live right after the header (room for one element, rounded up to 16
 * bytes, which holds two of 8 bytes or four of 4): a group of a join against a lookup table
 * mostly holds one value, and the malloc'd array of 16 it started with made each key of a
 * 300,000-line table cost 270 bytes.  (Room for 32 bytes, two string values, cost that table
 * 4.8 MB more, all of it fresh memory while the table was built.)  A grouping table keeps its
 * groups' vecs inside its entries (dsc_rt_vec_init): a join group of one string value is then
 * one 64-byte entry, key, header and value on one line, where it was a 32-byte entry pointing
 * to a 64-byte vec in the arena. */
static size_t inline_bytes(size_t elem) { return DSC_RT_VEC_ROOM(elem); }

/* Such a vec moves with its entry when the table grows, so nothing may point into it: while
 * its elements fit its room, `data` holds its owner's release list, tagged with INLINE (the
 * elements are at inl, wherever the vec is); once they outgrow it, `data` points to them, in a
 * block (malloc'd, or a mapping from BIG_BYTES on) that starts with a grown_head.  The block's
 * release hook is an anchor, linked once into the owner's list at the first move, so that the
 * owner's reset walks only the vecs that grew (a join against a 300,000-line table spent 14% of
 * its loading walking them all at exit); the block's own moves (realloc, mremap) only update
 * the anchor.  A vec copied by value with its entry (a merge adopting a task table's group)
 * shares the block, as the copy of a pointer to an arena vec shared the vec: the copy is the one
 * used from then on. */
enum { INLINE = 1 };

struct dsc_rt_vec {
  uintptr_t data;   /* the elements, just past their block's grown_head; or the owner's
                       list | INLINE while they are in inl */
  int64_t len;      /* elements used */
  uint32_t elem;    /* element size in bytes */
  uint32_t cap;     /* elements allocated (a vec holds fewer than 2^32) */
  char inl[];       /* room for inline_bytes(elem) / elem elements */
};

_Static_assert(sizeof(struct dsc_rt_vec) == DSC_RT_VEC_HEAD, "dsc_rt.h tells the compiler");

typedef struct vec_anchor {
  rt_owned owned;            /* release hook; must stay first */
  struct grown_head *block;  /* where the elements are now */
} vec_anchor;

typedef struct grown_head {
  vec_anchor *anchor;
  size_t bytes;              /* element bytes the block holds (cap * elem) */
} grown_head;

_Static_assert(sizeof(grown_head) == 16, "elements stay 16-byte aligned");

/* Elements of BIG_BYTES and more live in a mapping of their own, which grows by mremap: glibc
 * serves blocks up to its mmap threshold (which rises to 32 MiB as big blocks are freed) from
 * the heap, where each doubling copied the whole array (a mapWithState batch of 300,000 records:
 * 6% of the program's instructions in realloc's memcpy).  Whether a block is mapped follows
 * from its size alone. */
enum { BIG_BYTES = 1 << 20 };

static int is_inline(const dsc_rt_vec *v) { return (v->data & INLINE) != 0; }
static char *elements(const dsc_rt_vec *v) {
  return is_inline(v) ? (char *)v->inl : (char *)v->data;
}
static grown_head *head_of(const dsc_rt_vec *v) { return (grown_head *)v->data - 1; }
static int mapped_bytes(size_t bytes) { return bytes >= BIG_BYTES; }

/* (No huge-page advice: madvise on part of the mapping would split it, and mremap moves only
 * a mapping that is one piece.) */
static grown_head *block_new(size_t bytes) {
  if (!mapped_bytes(bytes)) return rt_xmalloc(sizeof(grown_head) + bytes);
  void *p = mmap(NULL, sizeof(grown_head) + bytes, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) rt_oom();
  return p;
}

static void block_free(grown_head *b) {
  if (mapped_bytes(b->bytes)) munmap(b, sizeof *b + b->bytes);
  else free(b);
}

static void anchor_release(void *p) {
  vec_anchor *a = p;
  block_free(a->block);
  free(a);
}

/* An element size as the vec keeps it (a zero-sized element takes a byte). */
static size_t elem_bytes(int64_t elem_size) { return elem_size > 0 ? (size_t)elem_size : 1; }

static void vec_init(dsc_rt_vec *v, rt_owned **owner, int64_t elem_size) {
  size_t elem = elem_bytes(elem_size);
  if (elem > UINT32_MAX) rt_oom();
  v->data = (uintptr_t)owner | INLINE;
  v->len = 0;
  v->elem = (uint32_t)elem;
  v->cap = (uint32_t)(inline_bytes(elem) / elem);
}

dsc_rt_vec *rt_vec_make(rt_arena *arena, rt_owned **owner, int64_t elem_size) {
  dsc_rt_vec *v = rt_arena_alloc_raw(arena, sizeof *v + inline_bytes(elem_bytes(elem_size)));
  vec_init(v, owner, elem_size);
  return v;
}

void dsc_rt_vec_init(dsc_rt_worker *worker, void *at, int64_t elem_size) {
  vec_init(at, &worker->owned, elem_size);
}

/* Room for at least `need` elements: doubling, out of the inline room into a block, and from
 * BIG_BYTES on into a mapping that mremap grows without a copy. */
static void vec_grow(dsc_rt_vec *v, int64_t need) {
  int64_t cap = v->cap * 2 < 4 ? 4 : (int64_t)v->cap * 2;
  while (cap < need) cap *= 2;
  if (cap > UINT32_MAX) rt_oom(); /* 4 billion elements: more than memory holds */
  size_t bytes = v->elem * (size_t)cap, used = v->elem * (size_t)v->len;
  grown_head *b;
  if (is_inline(v)) {
    rt_owned **owner = (rt_owned **)(v->data & ~(uintptr_t)INLINE);
    vec_anchor *a = rt_xmalloc(sizeof *a);
    a->owned.release = anchor_release;
    a->owned.next = *owner;
    *owner = &a->owned;
    b = block_new(bytes);
    memcpy(b + 1, v->inl, used);
    b->anchor = a;
  } else {
    grown_head *old = head_of(v);
    if (mapped_bytes(old->bytes)) {
      b = mremap(old, sizeof *old + old->bytes, sizeof *old + bytes, MREMAP_MAYMOVE);
      if (b == MAP_FAILED) rt_oom();
    } else if (mapped_bytes(bytes)) { /* out of the heap: a move, with a copy */
      b = block_new(bytes);
      memcpy(b, old, sizeof *old + used);
      free(old);
    } else {
      b = rt_xrealloc(old, sizeof *old + bytes);
    }
  }
  b->bytes = bytes;
  b->anchor->block = b;
  v->data = (uintptr_t)(b + 1);
  v->cap = (uint32_t)cap;
}

dsc_rt_vec *dsc_rt_vec_new(dsc_rt_worker *worker, int64_t elem_size) {
  return rt_vec_make(&worker->arena, &worker->owned, elem_size);
}

void *dsc_rt_vec_push(dsc_rt_vec *v) {
  if (v->len == v->cap) vec_grow(v, v->len + 1);
  void *p = elements(v) + v->elem * (size_t)v->len++;
  memset(p, 0, v->elem);
  return p;
}

int64_t dsc_rt_vec_len(const dsc_rt_vec *v) { return v->len; }

void *dsc_rt_vec_at(const dsc_rt_vec *v, int64_t i) { return elements(v) + v->elem * (size_t)i; }

void *dsc_rt_vec_data(const dsc_rt_vec *v) { return v->len ? elements(v) : NULL; }

void dsc_rt_vec_clear(dsc_rt_vec *v) { v->len = 0; }

void dsc_rt_vec_extend(dsc_rt_vec *dst, const dsc_rt_vec *src) {
  if (!src->len) return;
  if (dst->len + src->len > dst->cap) vec_grow(dst, dst->len + src->len);
  memcpy(elements(dst) + dst->elem * (size_t)dst->len, elements(src),
         src->elem * (size_t)src->len);
  dst->len += src->len;
}

/* Bottom-up merge sort: stable, O(n log n), one scratch array. */
void dsc_rt_sort(void *base, int64_t n, int64_t size, int32_t (*cmp)(const void *, const void *)) {
  if (n < 2 || size <= 0) return;
  size_t sz = (size_t)size;
  char *a = base, *b = rt_xmalloc(sz * (size_t)n), *from = a, *to = b;
  for (int64_t width = 1; width < n; width *= 2) {
    for (int64_t lo = 0; lo < n; lo += 2 * width) {
      int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
      int64_t i = lo, j = mid, k = lo;
      while (i < mid && j < hi) {
        if (cmp(from + (size_t)j * sz, from + (size_t)i * sz) < 0)
          memcpy(to + (size_t)k++ * sz, from + (size_t)j++ * sz, sz);
        else
          memcpy(to + (size_t)k++ * sz, from + (size_t)i++ * sz, sz);
      }
      if (i < mid) memcpy(to + (size_t)k * sz, from + (size_t)i * sz, (size_t)(mid - i) * sz), k += mid - i;
      if (j < hi) memcpy(to + (size_t)k * sz, from + (size_t)j * sz, (size_t)(hi - j) * sz);
    }
    char *t = from;
    from = to, to = t;
  }
  if (from != a) memcpy(a, from, sz * (size_t)n);
  free(b);
}
