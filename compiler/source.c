/* source.c — reading a program and mapping byte offsets back to lines for diagnostics. */
#include "source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

src_file *source_from_string(const char *path, const char *text, int len) {
  src_file *src = mem_alloc(sizeof *src);
  src->path = mem_strdup(path);
  src->text = mem_strndup(text, (size_t)len);
  src->len = len;
  int lines = 1;
  for (int i = 0; i < len; i++)
    lines += text[i] == '\n';
  src->line_starts = mem_alloc(sizeof(int) * (size_t)lines);
  src->line_starts[0] = 0;
  int k = 1;
  for (int i = 0; i < len; i++)
    if (text[i] == '\n')
      src->line_starts[k++] = i + 1;
  src->nlines = lines;
  return src;
}

src_file *source_load(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      if (cap > (size_t)1 << 30)
        break; /* a 1 GiB program is not a program; the lexer reports what it sees */
      char *bigger = realloc(buf, cap *= 2);
      if (!bigger) {
        free(buf);
        buf = NULL;
      }
      buf = bigger;
    }
  }
  fclose(f);
  if (!buf)
    return NULL;
  src_file *src = source_from_string(path, buf, (int)len);
  free(buf);
  return src;
}

void source_line_col(const src_file *src, int offset, int *line, int *col) {
  int lo = 0, hi = src->nlines - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (src->line_starts[mid] <= offset)
      lo = mid;
    else
      hi = mid - 1;
  }
  *line = lo + 1;
  *col = offset - src->line_starts[lo] + 1;
}

const char *source_line(const src_file *src, int line, int *len) {
  int start = src->line_starts[line - 1];
  int end = line < src->nlines ? src->line_starts[line] - 1 : src->len;
  if (end > start && src->text[end - 1] == '\r')
    end--;
  *len = end - start;
  return src->text + start;
}

span span_join(span a, span b) {
  span s = {a.start < b.start ? a.start : b.start, a.end > b.end ? a.end : b.end};
  return s;
}
