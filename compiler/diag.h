/* diag.h — every user-facing diagnostic goes through here: `file:line:col: error: msg`, then
 * the source line and a caret run under the span, as clang prints them. */
#ifndef DSC_DIAG_H
#define DSC_DIAG_H

#include <stdio.h>

#include "source.h"

typedef struct diag_ctx {
  const src_file *src; /* the program the spans refer to */
  FILE *out;           /* where messages go (stderr, or a memstream in tests) */
  int errors;          /* errors reported so far */
  int max_errors;      /* stop reporting after this many (0 = no limit) */
} diag_ctx;

void diag_init(diag_ctx *d, const src_file *src, FILE *out);
void diag_error(diag_ctx *d, span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(diag_ctx *d, span at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
