/* lex_extra.h — the state the scanner carries between tokens (its flex "extra" data). */
#ifndef DSC_LEX_EXTRA_H
#define DSC_LEX_EXTRA_H

#include "diag.h"

typedef struct lex_extra {
  diag_ctx *diag; /* where lexical errors go */
  int offset;     /* byte offset of the next token */
} lex_extra;

#endif
