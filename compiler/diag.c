/* diag.c — rendering diagnostics.  Columns count bytes, as gcc and clang do; a tab in the
 * source line is copied into the caret line so the caret still lines up in a terminal. */
#include "diag.h"

#include <stdarg.h>

void diag_init(diag_ctx *d, const src_file *src, FILE *out) {
  d->src = src;
  d->out = out;
  d->errors = 0;
  d->max_errors = 20;
}

static void report(diag_ctx *d, const char *kind, span at, const char *fmt, va_list ap) {
  const src_file *src = d->src;
  if (at.start < 0)
    at.start = 0;
  if (at.start > src->len)
    at.start = src->len;
  if (at.end < at.start)
    at.end = at.start;
  /* The end of a file that ends with a newline is shown at the end of its last line. */
  if (at.start == src->len && src->len > 0 && src->text[src->len - 1] == '\n')
    at.start = at.end = src->len - 1;
  int line, col;
  source_line_col(src, at.start, &line, &col);
  fprintf(d->out, "%s:%d:%d: %s: ", src->path, line, col, kind);
  vfprintf(d->out, fmt, ap);
  fputc('\n', d->out);
  int len;
  const char *text = source_line(src, line, &len);
  /* Byte by byte: a NUL in the line (reported by the lexer) must not cut it short. */
  for (int i = 0; i < len; i++)
    fputc(text[i] ? text[i] : ' ', d->out);
  fputc('\n', d->out);
  for (int i = 0; i < col - 1 && i < len; i++)
    fputc(text[i] == '\t' ? '\t' : ' ', d->out);
  fputc('^', d->out);
  /* The tilde run covers the rest of the span, but never past the end of this line. */
  int last = at.end - src->line_starts[line - 1];
  for (int i = col; i < last && i < len; i++)
    fputc('~', d->out);
  fputc('\n', d->out);
}

void diag_error(diag_ctx *d, span at, const char *fmt, ...) {
  d->errors++;
  if (d->max_errors && d->errors > d->max_errors)
    return;
  va_list ap;
  va_start(ap, fmt);
  report(d, "error", at, fmt, ap);
  va_end(ap);
}

void diag_note(diag_ctx *d, span at, const char *fmt, ...) {
  if (d->max_errors && d->errors > d->max_errors)
    return;
  va_list ap;
  va_start(ap, fmt);
  report(d, "note", at, fmt, ap);
  va_end(ap);
}
