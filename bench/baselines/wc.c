/* wc.c — hand-written C word count, the baseline of the word-count workloads.
 *
 *   wc [--batches] [--connect HOST PORT]  < corpus
 *
 * Splits each line on single spaces exactly as dsc's split(line, " ") (empty fields count,
 * like Python's str.split(" ")), counts per word in an XXH3 open-addressing table, and prints
 * "word count" lines.  --batches: an `@batch` line ends a batch (its counts are printed and the
 * table cleared), as dsc's --manual-clock does.  --connect reads a TCP stream instead of stdin.
 */
#include "common.h"

static void emit(table *t, outbuf *o) {
  for (size_t i = 0; i <= t->mask; i++)
    if (t->s[i].used) {
      out_bytes(o, t->s[i].key, t->s[i].len);
      out_bytes(o, " ", 1);
      out_int(o, t->s[i].val);
      out_bytes(o, "\n", 1);
    }
}

int main(int argc, char **argv) {
  int batches = 0;
  for (int i = 1; i < argc; i++) if (!strcmp(argv[i], "--batches")) batches = 1;
  input in;
  input_open(&in, argc, argv);
  table t;
  table_init(&t, 1 << 16);
  arena a = {0};
  static outbuf o;
  size_t n;
  const char *line;
  size_t in_batch = 0;
  while ((line = input_line(&in, &n))) {
    if (batches && is_marker(line, n)) {
      emit(&t, &o);
      table_clear(&t);
      in_batch = 0;
      continue;
    }
    in_batch++;
    const char *p = line, *end = line + n;
    for (;;) {
      const char *sp = memchr(p, ' ', (size_t)(end - p));
      const char *we = sp ? sp : end;
      size_t wl = (size_t)(we - p);
      (*table_get(&t, &a, p, wl, XXH3_64bits(p, wl)))++;
      if (!sp) break;
      p = sp + 1;
    }
  }
  if (in_batch || !batches) emit(&t, &o);
  out_flush(&o);
  return 0;
}
