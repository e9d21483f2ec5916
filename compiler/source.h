/* source.h — a loaded .ds file and its line map.  Everything after the lexer refers to source
 * text by byte spans; line and column are computed only when a diagnostic is printed. */
#ifndef DSC_SOURCE_H
#define DSC_SOURCE_H

#include <stddef.h>

typedef struct span {
  int start; /* byte offset of the first byte */
  int end;   /* byte offset one past the last byte */
} span;

typedef struct src_file {
  const char *path; /* as given on the command line */
  const char *text; /* contents, NUL-terminated (a NUL inside is reported by the lexer) */
  int len;          /* bytes, without the terminating NUL */
  int *line_starts; /* byte offset of each line's first byte */
  int nlines;       /* entries in line_starts */
} src_file;

/* NULL (and errno set) when the file cannot be read. */
src_file *source_load(const char *path);
src_file *source_from_string(const char *path, const char *text, int len);
/* 1-based line and column (in bytes) of a byte offset. */
void source_line_col(const src_file *src, int offset, int *line, int *col);
/* The text of a 1-based line, without its terminator. */
const char *source_line(const src_file *src, int line, int *len);

span span_join(span a, span b);

#endif
