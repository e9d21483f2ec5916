/* ops.c — name lookup for the tables in ops.h, and spelling suggestions. */
#include "ops.h"

#include <string.h>

#include "mem.h"

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

/* Edit distance with transpositions (optimal string alignment), case-insensitive, on short
 * names only: "prot" is one step from "port". */
static int distance(const char *a, const char *b) {
  int la = (int)strlen(a), lb = (int)strlen(b);
  if (la > 40 || lb > 40)
    return 99;
  int d[41][41];
  for (int i = 0; i <= la; i++)
    d[i][0] = i;
  for (int j = 0; j <= lb; j++)
    d[0][j] = j;
  for (int i = 1; i <= la; i++)
    for (int j = 1; j <= lb; j++) {
      char ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
      int best = d[i - 1][j - 1] + (ca != cb);
      if (d[i - 1][j] + 1 < best)
        best = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < best)
        best = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == cb &&
          d[i - 2][j - 2] + 1 < best)
        best = d[i - 2][j - 2] + 1;
      d[i][j] = best;
    }
  return d[la][lb];
}

const char *ops_suggest(const char *name, const char *const *names, int nnames) {
  /* Given names in scope, the nearest of them (a misspelt variable); else the nearest
     built-in function, stream operation or source. */
  const char *const *lists[] = {builtin_names, stream_op_names, source_names};
  int counts[] = {B_COUNT_, S_COUNT_, SRC_COUNT_};
  int nlists = 3;
  if (names && nnames > 0) {
    lists[0] = names;
    counts[0] = nnames;
    nlists = 1;
  }
  const char *best = NULL;
  int best_d = (int)strlen(name) <= 3 ? 1 : 2;
  for (int l = 0; l < nlists; l++)
    for (int i = 0; i < counts[l]; i++) {
      int d = distance(name, lists[l][i]);
      if (d <= best_d && (best == NULL || d < best_d)) {
        best = lists[l][i];
        best_d = d;
      }
    }
  return best;
}

/* A duration as a program would write it: 2s, 1min, 250ms. */
const char *ops_duration_text(long long ms) {
  if (ms % 3600000 == 0) return mem_printf("%lldh", (long long)(ms / 3600000));
  if (ms % 60000 == 0) return mem_printf("%lldmin", (long long)(ms / 60000));
  if (ms % 1000 == 0) return mem_printf("%llds", (long long)(ms / 1000));
  return mem_printf("%lldms", (long long)ms);
}
