/* vec.c — growable array of fixed-size elements, batch lifetime.
 *
 * The header lives in the worker's arena; the elements are realloc'd (doubling) so a vec that
 * grows to millions of elements does not leave a trail of dead copies in the arena.  The worker
 * frees the storage at batch end through the rt_owned hook.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

struct dsc_rt_vec {
  rt_owned owned;   /* release hook; must stay first */
  size_t elem;      /* element size in bytes */
  int64_t len;      /* elements used */
  int64_t cap;      /* elements allocated */
  char *data;       /* malloc'd elements */
};

static void vec_release(void *p) {
  dsc_rt_vec *v = p;
  free(v->data);
  v->data = NULL;
}

dsc_rt_vec *dsc_rt_vec_new(dsc_rt_worker *worker, int64_t elem_size) {
  dsc_rt_vec *v = dsc_rt_alloc(worker, sizeof *v);
  v->owned.release = vec_release;
  v->elem = elem_size > 0 ? (size_t)elem_size : 1;
  rt_worker_own(worker, &v->owned);
  return v;
}

void *dsc_rt_vec_push(dsc_rt_vec *v) {
  if (v->len == v->cap) {
    v->cap = v->cap ? v->cap * 2 : 16;
    v->data = rt_xrealloc(v->data, v->elem * (size_t)v->cap);
  }
  void *p = v->data + v->elem * (size_t)v->len++;
  memset(p, 0, v->elem);
  return p;
}

int64_t dsc_rt_vec_len(const dsc_rt_vec *v) { return v->len; }

void *dsc_rt_vec_at(const dsc_rt_vec *v, int64_t i) { return v->data + v->elem * (size_t)i; }
