/* window.c — hand-written C baseline of the sliding-window workload.
 *
 *   window [--window W] < keys       (one key a line, `@batch` lines between batches)
 *
 * reduceByKeyAndWindow(+, -, W batches, 1 batch) with a filter count > 0, then count():
 * per batch, the batch's keys are counted in a batch table, added to the window table, kept
 * in a ring of W batch lists, and the list that leaves the window is subtracted; a counter of
 * live keys (count > 0) is kept incrementally.  Prints the live-key count after each batch,
 * as `.count().stdout()` does.
 */
#include "common.h"

typedef struct entry { const char *key; uint64_t hash; uint32_t len; int64_t n; } entry;
typedef struct blist { entry *e; size_t n, cap; } blist;

int main(int argc, char **argv) {
  int w = 10;
  for (int i = 1; i + 1 < argc; i++) if (!strcmp(argv[i], "--window")) w = atoi(argv[i + 1]);
  if (w < 1) die("bad --window");
  arena keep = {0}, scratch = {0}; /* state keys live forever; batch keys until the batch ends */
  table state, batch;
  table_init(&state, 1 << 20);
  table_init(&batch, 1 << 18);
  blist *ring = calloc((size_t)w, sizeof *ring);
  int64_t live = 0, k = 0;
  input in;
  input_open(&in, 1, argv);
  static outbuf o;
  size_t n, inb = 0;
  const char *line;
  for (;;) {
    line = input_line(&in, &n);
    if (line && !is_marker(line, n)) {
      (*table_get(&batch, &scratch, line, n, XXH3_64bits(line, n)))++;
      inb++;
      continue;
    }
    if (!line && inb == 0 && k > 0) break;
    /* end of batch k: batch k-w leaves the window, batch k enters it (same ring slot) */
    blist *b = &ring[k % w];
    for (size_t i = 0; i < b->n; i++) {
      entry *e = &b->e[i];
      int64_t *v = table_get(&state, &keep, e->key, e->len, e->hash);
      if ((*v -= e->n) == 0) live--;
    }
    b->n = 0;
    if (b->cap < batch.n) {
      b->cap = batch.n * 2;
      free(b->e);
      b->e = xmalloc(b->cap * sizeof *b->e);
    }
    for (size_t i = 0; i <= batch.mask; i++) {
      slot *s = &batch.s[i];
      if (!s->used) continue;
      int64_t *v = table_get(&state, &keep, s->key, s->len, s->hash);
      if (*v == 0) live++;
      *v += s->val;
      slot *st = (slot *)((char *)v - offsetof(slot, val));
      b->e[b->n++] = (entry){st->key, s->hash, s->len, s->val};
    }
    table_clear(&batch);
    scratch.used = 0;
    out_int(&o, live);
    out_bytes(&o, "\n", 1);
    k++;
    inb = 0;
    if (!line) break;
  }
  out_flush(&o);
  return 0;
}
