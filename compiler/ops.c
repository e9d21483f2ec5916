/* ops.c — name lookup for the tables in ops.h, and spelling suggestions. */
#include "ops.h"

#include <string.h>

static const char *const builtin_names[] = {
#define X(id, name, sig) name,
    DSC_BUILTINS(X)
#undef X
};
static const char *const builtin_sigs[] = {
#define X(id, name, sig) sig,
    DSC_BUILTINS(X)
#undef X
};
static const char *const stream_op_names[] = {
#define X(id, name) name,
    DSC_STREAM_OPS(X)
#undef X
};
static const char *const source_names[] = {
#define X(id, name) name,
    DSC_SOURCES(X)
#undef X
};

static int find(const char *const *names, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], name) == 0)
      return i;
  return -1;
}

int ops_builtin(const char *name) { return find(builtin_names, B_COUNT_, name); }
int ops_stream_op(const char *name) { return find(stream_op_names, S_COUNT_, name); }
int ops_source(const char *name) { return find(source_names, SRC_COUNT_, name); }
const char *ops_builtin_name(int id) { return builtin_names[id]; }
const char *ops_builtin_signature(int id) { return builtin_sigs[id]; }
const char *ops_stream_op_name(int id) { return stream_op_names[id]; }
const char *ops_source_name(int id) { return source_names[id]; }

/* Levenshtein distance, case-insensitive, on short names only. */
static int distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 40 || lb > 40)
    return 99;
  int row[41];
  for (int j = 0; j <= lb; j++)
    row[j] = j;
  for (int i = 1; i <= la; i++) {
    int diag = row[0];
    row[0] = i;
    for (int j = 1; j <= lb; j++) {
      int up = row[j];
      char ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
      int best = diag + (ca != cb);
      if (up + 1 < best)
        best = up + 1;
      if (row[j - 1] + 1 < best)
        best = row[j - 1] + 1;
      row[j] = best;
      diag = up;
    }
  }
  return row[lb];
}

const char *ops_suggest(const char *name, const char *const *extra, int nextra) {
  const char *best = NULL;
  int best_d = (int)strlen(name) <= 3 ? 1 : 2;
  const char *const *lists[] = {builtin_names, stream_op_names, source_names, extra};
  int counts[] = {B_COUNT_, S_COUNT_, SRC_COUNT_, nextra};
  for (int l = 0; l < 4; l++)
    for (int i = 0; i < counts[l]; i++) {
      int d = distance(name, lists[l][i]);
      if (d <= best_d && (best == NULL || d < best_d)) {
        best = lists[l][i];
        best_d = d;
      }
    }
  return best;
}
