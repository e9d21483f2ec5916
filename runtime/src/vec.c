/* vec.c — growable array of fixed-size elements, batch (or store) lifetime.
 *
 * The header lives in the owner's arena; the elements are realloc'd (doubling) so a vec that
 * grows to millions of elements does not leave a trail of dead copies in the arena.  The owner
 * (a worker at batch end, or a store when freed) frees the storage through the rt_owned hook.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

/* The first element lives right after the header, in the arena (room for one element, rounded
 * up to 16 bytes, which holds two of 8 bytes or four of 4): a group of a join against a lookup
 * table mostly holds one value, and the malloc'd array of 16 it started with made each key of a
 * 300,000-line table cost 270 bytes.  (Room for 32 bytes, two string values, cost that table
 * 4.8 MB more, all of it fresh memory while the table was built.) */
static size_t inline_bytes(size_t elem) { return (elem + 15) & ~(size_t)15; }

/* Only a vec whose elements moved to malloc'd memory needs releasing: until then its release
 * hook is not in the owner's list, and owned.next holds the owner's list instead (vec_grow links
 * it).  A join against a 300,000-line table spent 14% of its table loading walking those vecs
 * at exit. */
struct dsc_rt_vec {
  rt_owned owned;   /* release hook; must stay first */
  size_t elem;      /* element size in bytes */
  int64_t len;      /* elements used */
  int64_t cap;      /* elements allocated */
  char *data;       /* the elements: inl until they outgrow it, then malloc'd */
  char inl[];       /* room for inline_bytes(elem) / elem elements */
};

_Static_assert(sizeof(struct dsc_rt_vec) % 16 == 0, "inline elements keep the arena's alignment");

/* Elements of BIG_BYTES and more live in a mapping of their own, which grows by mremap: glibc
 * serves blocks up to its mmap threshold (which rises to 32 MiB as big blocks are freed) from
 * the heap, where each doubling copied the whole array (a mapWithState batch of 300,000 records:
 * 6% of the program's instructions in realloc's memcpy).  Whether a vec's elements are mapped
 * follows from its capacity alone. */
enum { BIG_BYTES = 1 << 20 };

static int mapped(const dsc_rt_vec *v) {
  return v->data != v->inl && v->elem * (size_t)v->cap >= BIG_BYTES;
}

/* (No huge-page advice: madvise on part of the mapping would split it, and mremap moves only
 * a mapping that is one piece.) */
static char *map_elements(size_t bytes) {
  void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) rt_oom();
  return p;
}

static void vec_release(void *p) {
  dsc_rt_vec *v = p;
  if (mapped(v)) munmap(v->data, v->elem * (size_t)v->cap);
  else if (v->data != v->inl) free(v->data);
  v->data = NULL;
}

dsc_rt_vec *rt_vec_make(rt_arena *arena, rt_owned **owner, int64_t elem_size) {
  size_t elem = elem_size > 0 ? (size_t)elem_size : 1, inline_cap = inline_bytes(elem) / elem;
  dsc_rt_vec *v = rt_arena_alloc_raw(arena, sizeof *v + inline_bytes(elem));
  memset(v, 0, sizeof *v);
  v->owned.release = vec_release;
  v->elem = elem;
  v->cap = (int64_t)inline_cap;
  v->data = v->inl;
  v->owned.next = (rt_owned *)owner; /* not linked yet: see above */
  return v;
}

/* Room for at least `need` elements: doubling, out of the inline room into malloc'd memory,
 * and from BIG_BYTES on into a mapping that mremap grows without a copy. */
static void vec_grow(dsc_rt_vec *v, int64_t need) {
  int64_t cap = v->cap * 2 < 4 ? 4 : v->cap * 2;
  while (cap < need) cap *= 2;
  size_t bytes = v->elem * (size_t)cap, old_bytes = v->elem * (size_t)v->cap;
  if (v->data == v->inl || (bytes >= BIG_BYTES && !mapped(v))) { /* a move, with a copy */
    char *data = bytes >= BIG_BYTES ? map_elements(bytes) : rt_xmalloc(bytes);
    memcpy(data, v->data, v->elem * (size_t)v->len);
    if (v->data == v->inl) {
      rt_owned **owner = (rt_owned **)v->owned.next; /* now it needs releasing */
      v->owned.next = *owner;
      *owner = &v->owned;
    } else {
      free(v->data);
    }
    v->data = data;
  } else if (mapped(v)) {
    void *p = mremap(v->data, old_bytes, bytes, MREMAP_MAYMOVE);
    if (p == MAP_FAILED) rt_oom();
    v->data = p;
  } else {
    v->data = rt_xrealloc(v->data, bytes);
  }
  v->cap = cap;
}

dsc_rt_vec *dsc_rt_vec_new(dsc_rt_worker *worker, int64_t elem_size) {
  return rt_vec_make(&worker->arena, &worker->owned, elem_size);
}

void *dsc_rt_vec_push(dsc_rt_vec *v) {
  if (v->len == v->cap) vec_grow(v, v->len + 1);
  void *p = v->data + v->elem * (size_t)v->len++;
  memset(p, 0, v->elem);
  return p;
}

int64_t dsc_rt_vec_len(const dsc_rt_vec *v) { return v->len; }

void *dsc_rt_vec_at(const dsc_rt_vec *v, int64_t i) { return v->data + v->elem * (size_t)i; }

void *dsc_rt_vec_data(const dsc_rt_vec *v) { return v->len ? v->data : NULL; }

void dsc_rt_vec_clear(dsc_rt_vec *v) { v->len = 0; }

void dsc_rt_vec_extend(dsc_rt_vec *dst, const dsc_rt_vec *src) {
  if (!src->len) return;
  if (dst->len + src->len > dst->cap) vec_grow(dst, dst->len + src->len);
  memcpy(dst->data + dst->elem * (size_t)dst->len, src->data, src->elem * (size_t)src->len);
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
