/* json_prefilter.c — whether json(line, key) can equal a literal, from the line's raw bytes.
 *
 * A filter such as `json(l, "event_type").getOrElse("") == "view"` is false for most lines of a
 * feed, and parsing a line up to its key costs some 700 instructions.  The compiler asks this
 * first (a raw filter, as Sparser does): any value json() gives is either the text of a string
 * between its quotes, decoded only when it has a backslash, or the exact text of another value.
 * So when the line has no backslash, a value equal to lit must appear in it byte for byte, and
 * between quotes when lit cannot begin any other value (a number, true, false, null, NaN,
 * Infinity, an array or an object).  When that is not the case, no key of the line, however
 * malformed the line is, gives lit: the answer is 0 and the parse is skipped.  Otherwise the
 * answer is 1 and the generated code parses the line as before, so results never change.
 *
 * The search compares the literal's first and last bytes at every position of a block at once
 * (16 bytes, or 32 with AVX2), checks the few candidates with memcmp, and looks for a backslash
 * in the same loads.
 */
#include <string.h>

#include "rt_internal.h"

/* Whether lit may be the text of a value other than a string (json.c's skip_other_value). */
static int may_be_bare_value(char first) {
  switch (first) {
  case '-': case 't': case 'f': case 'n': case 'N': case 'I': case '[': case '{': return 1;
  default: return first >= '0' && first <= '9';
  }
}

/* Whether lit[0..m) is at s[i] (its first and last bytes already matched there), between
 * quotes when `quoted`.  A byte loop, not memcmp: literals are short, and a call in the block
 * loop would make it keep its vectors on the stack. */
static inline int literal_at(const char *s, int64_t n, int64_t i, const char *lit, int64_t m,
                             int quoted) {
  if (quoted && (i == 0 || s[i - 1] != '"' || i + m >= n || s[i + m] != '"')) return 0;
  for (int64_t k = 1; k < m - 1; k++)
    if (s[i + k] != lit[k]) return 0;
  return 1;
}

/* The plain version, for lines too short for one block. */
static int32_t may_give_bytes(const char *s, int64_t n, const char *lit, int64_t m, int quoted) {
  if (memchr(s, '\\', (size_t)n)) return 1;
  for (int64_t i = 0; i + m <= n; i++)
    if (s[i] == lit[0] && s[i + m - 1] == lit[m - 1] && literal_at(s, n, i, lit, m, quoted))
      return 1;
  return 0;
}

/* The search in blocks of W start positions, the last block overlapping the one before so that
 * it ends at the last start position n-m (so it needs n-m+1 >= W).  Start position p+i is a
 * candidate when s[p+i] is lit's first byte and s[p+i+m-1] its last.  The loads from p cover
 * every byte but the last m-1, which W-byte loads after the loop look at.  A block with no
 * candidate and no backslash (nearly all) costs one movemask and one branch. */
#define MAY_GIVE_BLOCKS(W, vec_t, movemask)                                                     \
  const vec_t first = (vec_t){0} + (unsigned char)lit[0];                                       \
  const vec_t last = (vec_t){0} + (unsigned char)lit[m - 1];                                    \
  const vec_t backslash = (vec_t){0} + '\\';                                                    \
  const int64_t final = n - m + 1 - W;                                                          \
  for (int64_t p = 0;; p += W) {                                                                \
    if (p > final) p = final;                                                                   \
    vec_t a, b;                                                                                 \
    memcpy(&a, s + p, W), memcpy(&b, s + p + m - 1, W);                                        \
    vec_t starts_v = (vec_t)((a == first) & (b == last));                                      \
    vec_t backslash_v = (vec_t)(a == backslash);                                                \
    if (__builtin_expect(movemask((vec_t)(starts_v | backslash_v)) != 0, 0)) {                 \
      if (movemask(backslash_v)) return 1;                                                      \
      for (uint32_t starts = (uint32_t)movemask(starts_v); starts; starts &= starts - 1)       \
        if (literal_at(s, n, p + __builtin_ctz(starts), lit, m, quoted)) return 1;              \
    }                                                                                           \
    if (p == final) break;                                                                      \
  }                                                                                             \
  for (int64_t q = final + W; q < n; q += W) { /* the last m-1 bytes */                      \
    vec_t tail;                                                                                 \
    memcpy(&tail, s + (q < n - W ? q : n - W), W);                                              \
    if (movemask((vec_t)(tail == backslash))) return 1;                                         \
  }                                                                                             \
  return 0;

static int movemask16(rt_bytes16 v) {
  return __builtin_ia32_pmovmskb128((char __attribute__((vector_size(16))))v);
}

static int32_t may_give_generic(const char *s, int64_t n, const char *lit, int64_t m,
                                int quoted) {
  if (n - m + 1 < 16) return may_give_bytes(s, n, lit, m, quoted);
  MAY_GIVE_BLOCKS(16, rt_bytes16, movemask16)
}

#if RT_X86_DISPATCH
typedef unsigned char rt_bytes32 __attribute__((vector_size(32)));
__attribute__((target("avx2"))) static inline int movemask32(rt_bytes32 v) {
  return __builtin_ia32_pmovmskb256((char __attribute__((vector_size(32))))v);
}

__attribute__((target("avx2"))) static int32_t may_give_avx2(const char *s, int64_t n,
                                                             const char *lit, int64_t m,
                                                             int quoted) {
  if (n - m + 1 < 32) return may_give_generic(s, n, lit, m, quoted);
  MAY_GIVE_BLOCKS(32, rt_bytes32, movemask32)
}
#endif

static int32_t (*may_give)(const char *s, int64_t n, const char *lit, int64_t m,
                           int quoted) = may_give_generic;

#if RT_X86_DISPATCH
/* Before main, while there is one thread: the version for this CPU. */
__attribute__((constructor)) static void pick_may_give(void) {
  if (rt_cpu_has_avx2()) may_give = may_give_avx2;
}
#endif

/* A site counts its searches in rounds of SAMPLE lines: when more than BUSY of them found the
 * literal (or a backslash), a search costs more than it saves (about 150 instructions against a
 * parse of 700 it spares only for lines without the literal), so the next REST lines are not
 * searched; then it samples again, which costs such a site 1/17 of the searches. */
enum { SAMPLE = 64, BUSY = 48, REST = 1024 };

int32_t dsc_rt_json_may_give(dsc_rt_json_prefilter *site, const char *s, int64_t n,
                             const char *lit, int64_t m) {
  if (site->unsearched > 0) {
    site->unsearched--;
    return 1;
  }
  int32_t r;
  if (m <= 0) r = 1; /* an empty string: `""` is in most lines; not worth a search */
  else if (m > n) r = memchr(s, '\\', (size_t)n) != NULL;
  else r = may_give(s, n, lit, m, !may_be_bare_value(lit[0]));
  site->found += r;
  if (++site->searched == SAMPLE) {
    if (site->found > BUSY) site->unsearched = REST;
    site->searched = site->found = 0;
  }
  return r;
}
