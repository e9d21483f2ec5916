/* mem.c — a bump allocator over a chain of large blocks.  A compilation is short-lived and
 * builds many small nodes that all die together, so nothing is freed one by one. */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct block {
  struct block *next; /* older block */
  size_t used;        /* bytes handed out from data */
  size_t size;        /* capacity of data */
  _Alignas(16) unsigned char data[];
} block;

static block *current;

void *mem_alloc(size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (!current || current->used + size > current->size) {
    size_t cap = size > 65536 ? size : 65536;
    block *b = malloc(sizeof(block) + cap);
    if (!b) {
      fprintf(stderr, "dsc: out of memory\n");
      exit(1);
    }
    b->next = current;
    b->used = 0;
    b->size = cap;
    current = b;
  }
  void *p = current->data + current->used;
  current->used += size;
  memset(p, 0, size);
  return p;
}

char *mem_strndup(const char *s, size_t n) {
  char *p = mem_alloc(n + 1);
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *mem_strdup(const char *s) { return mem_strndup(s, strlen(s)); }

char *mem_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *p = mem_alloc((size_t)n + 1);
  va_start(ap, fmt);
  vsnprintf(p, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return p;
}

void mem_release_all(void) {
  while (current) {
    block *next = current->next;
    free(current);
    current = next;
  }
}

void vec_push(ptr_vec *v, void *item) {
  if (v->len == v->cap) {
    int cap = v->cap ? v->cap * 2 : 8;
    void **items = mem_alloc(sizeof(void *) * (size_t)cap);
    if (v->len)
      memcpy(items, v->items, sizeof(void *) * (size_t)v->len);
    v->items = items;
    v->cap = cap;
  }
  v->items[v->len++] = item;
}

_Noreturn void mem_internal_error(const char *file, int line) {
  fprintf(stderr, "dsc: internal compiler error at %s:%d; please report it with the program\n",
          file, line);
  abort();
}
