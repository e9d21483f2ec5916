/* arena.c — batch memory: bump allocation in big chunks, and the per-thread worker.
 *
 * Every value a batch creates lives in its worker's arena and dies together at batch end, so the
 * hot paths never call free.  Chunks grow geometrically (64 KiB up to 64 MiB); a request bigger
 * than a chunk gets a chunk of its own.  Reset keeps the newest (largest) chunk, so a steady stream of small
 * batches does not go back to malloc.  Tables and vecs own realloc'd storage; they register with
 * their worker (rt_owned) and are released at reset.
 */
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

struct rt_chunk {
  rt_chunk *next;                   /* older chunk */
  size_t size;                      /* usable bytes after the header */
  alignas(16) unsigned char data[]; /* the space */
};

enum { RT_CHUNK_MIN = 64 * 1024, RT_CHUNK_MAX = 64 * 1024 * 1024, HUGE_ARENA_JUMP = 512 * 1024 };

_Noreturn void rt_oom(void) {
  fputs("dsc: fatal: out of memory\n", stderr);
  abort();
}

void *rt_xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);
  if (!p) rt_oom();
  return p;
}

void *rt_xaligned(size_t align, size_t n) {
  void *p = aligned_alloc(align, n ? n : align);
  if (!p) rt_oom();
  return p;
}

void *rt_xrealloc(void *p, size_t n) {
  void *q = realloc(p, n ? n : 1);
  if (!q) rt_oom();
  return q;
}

void rt_advise_huge(void *p, size_t n) {
  enum { HUGE_PAGE = 2 << 20 };
  if (n < RT_HUGE_MIN) return;
  uintptr_t lo = ((uintptr_t)p + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
  uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(HUGE_PAGE - 1);
  if (lo < hi) (void)madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
}

size_t rt_huge_len(size_t n) { return (n + RT_HUGE_PAGE - 1) & ~(size_t)(RT_HUGE_PAGE - 1); }

/* Maps a page more than asked and unmaps the ends around the aligned part. */
void *rt_map_huge(size_t n) {
  size_t len = rt_huge_len(n);
  char *raw = mmap(NULL, len + RT_HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
  if (raw == MAP_FAILED) rt_oom();
  char *p = (char *)(((uintptr_t)raw + RT_HUGE_PAGE - 1) & ~(uintptr_t)(RT_HUGE_PAGE - 1));
  if (p > raw) munmap(raw, (size_t)(p - raw));
  munmap(p + len, (size_t)(raw + RT_HUGE_PAGE - p));
  (void)madvise(p, len, MADV_HUGEPAGE);
  return p;
}

void rt_unmap_huge(void *p, size_t n) { munmap(p, rt_huge_len(n)); }

char *rt_xstrndup(const char *s, size_t n) {
  char *d = rt_xmalloc(n + 1);
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

void rt_arena_init(rt_arena *a) {
  a->head = NULL, a->cur = a->end = NULL, a->first = 0, a->huge = 0;
}

/* A huge arena's (the static stage's) big chunks are huge pages of their own (rt_map_huge). */
static int mapped_chunk(const rt_arena *a, size_t size) {
  return a->huge && sizeof(rt_chunk) + size >= RT_HUGE_MIN;
}

static void chunk_free(const rt_arena *a, rt_chunk *c) {
  if (mapped_chunk(a, c->size)) rt_unmap_huge(c, sizeof(rt_chunk) + c->size);
  else free(c);
}

static void arena_grow(rt_arena *a, size_t size) {
  size_t want = a->head ? a->head->size * 2 : a->first ? a->first : RT_CHUNK_MIN;
  if (want > RT_CHUNK_MAX) want = RT_CHUNK_MAX;
  if (want < size) want = size;
  /* a huge arena that has grown past its first few small chunks goes on in huge pages at once:
     its chunks of 512 KiB to 2 MiB were a thousand 4 KiB page faults under a 300,000-ad table */
  if (a->huge && want >= HUGE_ARENA_JUMP && !mapped_chunk(a, want))
    want = RT_HUGE_MIN - sizeof(rt_chunk);
  rt_chunk *c;
  if (mapped_chunk(a, want)) { /* its room: up to the end of its last huge page */
    c = rt_map_huge(sizeof(rt_chunk) + want);
    want = rt_huge_len(sizeof(rt_chunk) + want) - sizeof(rt_chunk);
  } else {
    c = rt_xmalloc(sizeof(rt_chunk) + want);
  }
  c->size = want;
  if (a->head && size > a->head->size && a->cur != (char *)a->head->data) {
    /* A one-off giant: slip it behind the current chunk so the bump pointer keeps its room. */
    c->next = a->head->next;
    a->head->next = c;
    a->end = NULL; /* signal to the caller: allocation is the whole new chunk */
    a->cur = (char *)c->data;
    return;
  }
  c->next = a->head;
  a->head = c;
  a->cur = (char *)c->data;
  a->end = a->cur + want;
}

void *rt_arena_alloc_slow(rt_arena *a, size_t size) {
  char *saved_cur = a->cur, *saved_end = a->end;
  arena_grow(a, size);
  if (!a->end) { /* giant side chunk */
    void *p = a->cur;
    a->cur = saved_cur, a->end = saved_end;
    return p;
  }
  void *p = a->cur;
  a->cur += size;
  return p;
}

void rt_arena_reset(rt_arena *a) {
  if (!a->head) return;
  rt_chunk *keep = a->head;
  while (keep->next) {
    rt_chunk *c = keep->next;
    keep->next = c->next;
    chunk_free(a, c);
  }
  a->cur = (char *)keep->data;
  a->end = a->cur + keep->size;
}

void rt_arena_free(rt_arena *a) {
  rt_chunk *c = a->head;
  while (c) {
    rt_chunk *n = c->next;
    chunk_free(a, c);
    c = n;
  }
  rt_arena_init(a);
}

void rt_worker_init(dsc_rt_worker *w, int32_t index) {
  memset(w, 0, sizeof *w);
  rt_arena_init(&w->arena);
  rt_arena_init(&w->record[0]);
  rt_arena_init(&w->record[1]);
  w->rec = w->list = &w->arena;
  w->index = index;
}

/* ---- record scopes ----------------------------------------------------------------------------
 * A fused loop whose sinks keep nothing the records' strings and lists point to (table keys are
 * copied, sums and counts are numbers, text is formatted: cg_sink_holds_input) runs its records
 * in a scope, so that what csv(), split(), upper(), format() and the like make for a record does
 * not stay for the whole batch: a CSV sum held 2.4 bytes of lists per byte of input, 161 MB for a
 * 67 MB batch.  The scope's records take turns at two arenas, RT_RECORD_BLOCK records at a time
 * (dsc_rt_record_next, in line_cursor.c to be inlined), and an arena is reset when its turn comes
 * again: what a record made lives at least RT_RECORD_BLOCK records, longer than a record waits in
 * a table's ring of deferred upserts (cg_sinks.c, RING).  The scope's end only points rec back at
 * the batch arena: the ring is drained after it. */
void dsc_rt_record_scope_begin(dsc_rt_worker *w) {
  rt_arena_reset(&w->record[0]);
  rt_arena_reset(&w->record[1]);
  w->rec = w->list = &w->record[0];
  w->records = 0;
}

/* A static stage's strings must last (its tables point to them instead of copying them), but
 * the lists its records are split into need not when no sink keeps a list: the csv() field
 * arrays of a 300,000-line lookup table were 9.6 MB of fresh memory while it was built. */
void dsc_rt_list_scope_begin(dsc_rt_worker *w) {
  dsc_rt_record_scope_begin(w);
  w->rec = &w->arena;
}

void dsc_rt_record_scope_end(dsc_rt_worker *w) { w->rec = w->list = &w->arena; }

void rt_worker_own(dsc_rt_worker *w, rt_owned *o) {
  o->next = w->owned;
  w->owned = o;
}

void rt_worker_reset(dsc_rt_worker *w) {
  for (rt_owned *o = w->owned, *next; o; o = next) {
    next = o->next; /* a vec's anchor frees itself */
    o->release(o);
  }
  w->owned = NULL;
  rt_arena_reset(&w->arena);
  rt_arena_reset(&w->record[0]);
  rt_arena_reset(&w->record[1]);
  w->rec = w->list = &w->arena;
  memset(w->errors, 0, sizeof w->errors);
}

void rt_worker_free(dsc_rt_worker *w) {
  rt_worker_reset(w);
  rt_worker_free_regexes(w);
  if (w->scratch) rt_buf_free(w->scratch);
  free(w->scratch);
  w->scratch = NULL;
  rt_arena_free(&w->arena);
  rt_arena_free(&w->record[0]);
  rt_arena_free(&w->record[1]);
  w->rec = w->list = &w->arena;
}

void *dsc_rt_alloc(dsc_rt_worker *worker, int64_t size) {
  size_t n = size > 0 ? (size_t)size : 0;
  void *p = rt_arena_alloc_raw(&worker->arena, n);
  memset(p, 0, n);
  return p;
}

void dsc_rt_error(dsc_rt_worker *w, int32_t kind) {
  if (kind >= 0 && kind < DSC_RT_ERR_COUNT_) w->errors[kind]++;
}
