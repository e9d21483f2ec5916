/* store.c — memory that outlives a batch: window panes and state tables.
 *
 * A store is an arena of its own plus the list of tables and vecs made in it, exactly what a
 * worker has for one batch, but freed only by dsc_rt_store_free: then every table's and vec's
 * malloc'd storage and every chunk go back to malloc, so a program that makes a store per batch
 * and frees the one that left the window runs in bounded memory.  Its first chunk is small
 * (4 KiB, doubling as it fills) because a window may hold many small panes.  Tables and vecs
 * are the batch ones (table.c, vec.c) made through their owner-neutral constructors, so the hot
 * paths are shared.  Stores belong to the main thread; nothing here locks.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

struct dsc_rt_store {
  rt_arena arena;      /* the store's memory: headers, keys, dsc_rt_store_alloc */
  rt_owned *owned;     /* tables / vecs to release on free */
  int64_t bytes;       /* asked of dsc_rt_store_alloc so far */
  dsc_rt_ctx *ctx;     /* owning pipeline */
  dsc_rt_store *prev, *next; /* the pipeline's live stores, so the end of a run frees them */
};

enum { STORE_FIRST_CHUNK = 4 * 1024 };

dsc_rt_store *dsc_rt_store_new(dsc_rt_ctx *ctx) {
  dsc_rt_store *st = rt_xmalloc(sizeof *st);
  rt_arena_init(&st->arena);
  st->arena.first = STORE_FIRST_CHUNK;
  st->owned = NULL;
  st->bytes = 0;
  st->ctx = ctx;
  st->prev = NULL;
  st->next = ctx ? ctx->stores : NULL;
  if (st->next) st->next->prev = st;
  if (ctx) ctx->stores = st;
  return st;
}

void dsc_rt_store_free(dsc_rt_store *st) {
  if (!st) return;
  if (st->prev) st->prev->next = st->next;
  else if (st->ctx) st->ctx->stores = st->next;
  if (st->next) st->next->prev = st->prev;
  for (rt_owned *o = st->owned; o;) {
    rt_owned *next = o->next; /* o lives in the arena, freed below, or frees itself */
    o->release(o);
    o = next;
  }
  rt_arena_free(&st->arena);
  free(st);
}

void *dsc_rt_store_alloc_raw(dsc_rt_store *st, int64_t size) {
  size_t n = size > 0 ? (size_t)size : 0;
  st->bytes += (int64_t)n;
  return rt_arena_alloc_raw(&st->arena, n);
}

void *dsc_rt_store_alloc(dsc_rt_store *st, int64_t size) {
  void *p = dsc_rt_store_alloc_raw(st, size);
  memset(p, 0, size > 0 ? (size_t)size : 0);
  return p;
}

int64_t dsc_rt_store_bytes(const dsc_rt_store *st) { return st->bytes; }

dsc_rt_table *dsc_rt_store_table(dsc_rt_store *st, int64_t payload_size) {
  return rt_table_make(&st->arena, &st->owned, payload_size);
}

dsc_rt_vec *dsc_rt_store_vec(dsc_rt_store *st, int64_t elem_size) {
  return rt_vec_make(&st->arena, &st->owned, elem_size);
}

void rt_stores_free_all(dsc_rt_ctx *ctx) {
  while (ctx->stores) dsc_rt_store_free(ctx->stores);
}
