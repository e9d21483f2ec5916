/* front_capture.h — what the front-end suites share: a fresh front end for each program text,
 * with its diagnostics captured as text (an open_memstream FILE) instead of printed. */
#ifndef FRONT_CAPTURE_H
#define FRONT_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "mem.h"
#include "source.h"
#include "types.h"

typedef struct front_capture {
  char *diags;  /* the last run's diagnostics (malloc'd), kept until the next run */
  int errors;   /* its error count */
  FILE *out;    /* open between capture_begin and capture_end */
  size_t size;
} front_capture;

/* Frees the last run's memory and starts one on `text` (file name t.ds): returns the source,
 * with *d reporting into the capture. */
static inline src_file *capture_begin(front_capture *c, const char *text, diag_ctx *d) {
  free(c->diags);
  c->diags = NULL;
  mem_release_all();
  types_reset();
  c->out = open_memstream(&c->diags, &c->size);
  src_file *src = source_from_string("t.ds", text, (int)strlen(text));
  diag_init(d, src, c->out);
  return src;
}

/* Ends the run: c->diags holds its diagnostics, c->errors their count. */
static inline void capture_end(front_capture *c, const diag_ctx *d) {
  fclose(c->out);
  c->out = NULL;
  c->errors = d->errors;
}

#endif
