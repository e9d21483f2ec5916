/* mem.h — the compiler's memory: one arena for everything a compilation builds (AST, types,
 * plan), released at once when the compilation ends.  Nothing in the compiler frees a node. */
#ifndef DSC_MEM_H
#define DSC_MEM_H

#include <stddef.h>

void *mem_alloc(size_t size); /* zeroed; aborts on exhaustion */
char *mem_strndup(const char *s, size_t n);
char *mem_strdup(const char *s);
char *mem_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Frees every allocation made since the start (or the last release). */
void mem_release_all(void);

/* A growable array of pointers, arena-backed. */
typedef struct ptr_vec {
  void **items; /* elements */
  int len;      /* used */
  int cap;      /* allocated */
} ptr_vec;
void vec_push(ptr_vec *v, void *item);

/* Internal compiler bug: prints where and aborts.  Never used for user errors. */
#define unreachable() mem_internal_error(__FILE__, __LINE__)
_Noreturn void mem_internal_error(const char *file, int line);

#endif
