/* lines_text.h — reading a batch's lines back in runtime unit tests: through the same cursor the
 * generated source loops use (line_cursor.c), so plain runs and views both count. */
#ifndef LINES_TEXT_H
#define LINES_TEXT_H

#include <stdio.h>
#include <string.h>

#include "rt_internal.h"

/* Line i of l (0-based) into out as a C string; returns 0 if l has no line i. */
static inline int lines_at(const rt_lines *l, int64_t i, char *out, size_t outsz) {
  dsc_rt_line_cursor cur;
  dsc_str line;
  rt_lines_cursor(l, 0, 1, &cur);
  for (int64_t k = 0; dsc_rt_lines_next(&cur, &line); k++)
    if (k == i) return snprintf(out, outsz, "%.*s", (int)line.len, line.ptr), 1;
  return 0;
}

/* Every line of l joined by '|' into out (truncated to outsz). */
static inline void lines_joined(const rt_lines *l, char *out, size_t outsz) {
  dsc_rt_line_cursor cur;
  dsc_str line;
  rt_lines_cursor(l, 0, 1, &cur);
  out[0] = 0;
  for (int first = 1; dsc_rt_lines_next(&cur, &line); first = 0) {
    size_t used = strlen(out);
    snprintf(out + used, outsz - used, "%s%.*s", first ? "" : "|", (int)line.len, line.ptr);
  }
}

#endif
