/* search.c — where a short literal occurs in a line, 16 or 32 bytes at a time: contains(), the
 * separator of split() when it has several bytes (rt_find), and the raw filter that spares
 * json() comparisons the parse of most lines (rt_search_next with escapes, which str_scan.c's
 * dsc_rt_json_may_give calls where it is worth it, and line_cursor.c across lines to find the
 * next line that may pass such a filter).
 *
 * Each block compares the literal's first byte at every start position of the block and its last
 * byte (or, for a literal that must stand between quotes, the closing quote after it) at the
 * same positions plus its length, at once (Muła's "generic SIMD" search); the few positions
 * where both match are checked byte by byte.  glibc's memmem goes byte by byte from each
 * occurrence of a frequent first byte: on the ysb events, 31-35 ms against 8-14 ms for 400,000
 * lines, and 60-87 ms for a two-byte literal.
 *
 * json(): `json(l, "event_type").getOrElse("") == "view"` is false for most lines of a feed, and
 * parsing a line up to its key costs some 700 instructions.  Any value json() gives is either
 * the text of a string between its quotes, decoded only when it has a backslash, or the exact
 * text of another value.  So when the line has no backslash, a value equal to the literal must
 * appear in it byte for byte, and between quotes when it cannot begin any other value (a number,
 * true, false, null, NaN, Infinity, an array or an object).  When that is not the case no key of
 * the line gives it, however malformed the line is: the answer is 0 and the parse is skipped
 * (Sparser's raw filter).  Otherwise the generated code parses the line as before, so results
 * never change.
 */
#include <string.h>

#include "rt_internal.h"

#if RT_X86_DISPATCH
#include <immintrin.h>
#endif

/* Every search looks for lit[0..m) in s[0..n), between quotes when `quoted`, and answers 0 when
 * it is not there, else 1 + the position of its first occurrence; with escapes (json()), a
 * backslash counts as an occurrence too (whichever comes first). */

/* Whether the literal is at s[i] (its first byte, and its last or the closing quote, already
 * matched there).  A byte loop, not memcmp: literals are short, and a call in the block loop
 * would make it keep its vectors on the stack. */
static inline int literal_at(const char *s, int64_t i, const char *lit, int64_t m, int quoted) {
  if (quoted && (i == 0 || s[i - 1] != '"')) return 0;
  for (int64_t k = 1; k < m; k++)
    if (s[i + k] != lit[k]) return 0;
  return 1;
}

/* The plain versions, for lines shorter than a block and the literal. */
static int64_t search_bytes(const char *s, int64_t n, const char *lit, int64_t m, int quoted,
                            int escapes) {
  const char *bs = escapes ? memchr(s, '\\', (size_t)n) : NULL;
  int64_t stop = bs ? bs - s : n;
  for (int64_t i = 0; i < stop && i + m + quoted <= n; i++)
    if (s[i] == lit[0] && (!quoted || s[i + m] == '"') && literal_at(s, i, lit, m, quoted))
      return i + 1;
  return bs ? stop + 1 : 0;
}
static int64_t search_bytes_escapes(const char *s, int64_t n, const char *lit, int64_t m,
                                    int quoted) {
  return search_bytes(s, n, lit, m, quoted, 1);
}
static int64_t find_bytes(const char *s, int64_t n, const char *lit, int64_t m, int quoted) {
  return search_bytes(s, n, lit, m, quoted, 0);
}

/* The first occurrence in the block of `width` start positions at p: the first of the starts
 * where the literal is, or of the backslashes, whichever comes first (1 + its position); 0 when
 * there is neither. */
static inline int64_t first_in_block(const char *s, int64_t p, uint64_t starts, uint64_t slashes,
                                     int width, const char *lit, int64_t m, int quoted) {
  int first_slash = slashes ? __builtin_ctzll(slashes) : width;
  for (; starts; starts &= starts - 1) {
    int i = __builtin_ctzll(starts);
    if (i > first_slash) break;
    if (literal_at(s, p + i, lit, m, quoted)) return p + i + 1;
  }
  return slashes ? p + first_slash + 1 : 0;
}

/* The search in blocks of K vectors of W start positions (B = K*W), the last block overlapping
 * the one before so that it ends at the last start position (so it needs n - span + 1 >= B
 * start positions).  Start position p+i is a candidate when s[p+i] is the literal's first byte
 * and s[p+i+span-1] its last (or the closing quote).  The loads from p cover every byte but the
 * last span-1, which W-byte loads after the loop look at for backslashes.  A block with no
 * candidate and no backslash (nearly all) costs one movemask and one branch: two vectors a
 * block halve that, and the loop's own count.  ESCAPES is a constant, so that contains() has no
 * backslash compare.  Blocks and the candidates in them go left to right, so the first
 * occurrence found is the first in s. */
#define SEARCH_BLOCKS(W, K, vec_t, movemask, ESCAPES)                                           \
  const int64_t span = m + quoted, final = n - span + 1 - K * W;                                \
  const vec_t first = (vec_t){0} + (unsigned char)lit[0];                                       \
  const vec_t last = (vec_t){0} + (unsigned char)(quoted ? '"' : lit[m - 1]);                   \
  const vec_t backslash = (vec_t){0} + '\\';                                                    \
  for (int64_t p = 0;; p += K * W) {                                                            \
    if (p > final) p = final;                                                                   \
    vec_t starts_v[K], backslash_v[K], any = {0};                                               \
    for (int k = 0; k < K; k++) {                                                               \
      vec_t a, b;                                                                               \
      memcpy(&a, s + p + k * W, W), memcpy(&b, s + p + k * W + span - 1, W);                   \
      starts_v[k] = (vec_t)((a == first) & (b == last));                                        \
      backslash_v[k] = ESCAPES ? (vec_t)(a == backslash) : (vec_t){0};                          \
      any |= starts_v[k] | backslash_v[k];                                                      \
    }                                                                                           \
    if (__builtin_expect(movemask(any) != 0, 0)) {                                              \
      uint64_t starts = 0, slashes = 0;                                                         \
      for (int k = 0; k < K; k++) {                                                             \
        starts |= movemask(starts_v[k]) << (k * W);                                             \
        slashes |= ESCAPES ? movemask(backslash_v[k]) << (k * W) : 0;                           \
      }                                                                                         \
      int64_t hit = first_in_block(s, p, starts, slashes, K * W, lit, m, quoted);               \
      if (hit) return hit;                                                                      \
    }                                                                                           \
    if (p == final) break;                                                                      \
  }                                                                                             \
  for (int64_t q = final + K * W; ESCAPES && q < n; q += W) { /* the last span-1 bytes */      \
    int64_t from = q < n - W ? q : n - W; /* bytes before q had no backslash */                 \
    vec_t tail;                                                                                 \
    memcpy(&tail, s + from, W);                                                                 \
    uint64_t slashes = movemask((vec_t)(tail == backslash));                                    \
    if (slashes) return from + __builtin_ctzll(slashes) + 1;                                    \
  }                                                                                             \
  return 0;

/* One search function: NAME(s, n, lit, m, quoted) in blocks of K vectors of W bytes, or
 * `shorter` below that. */
#define DEFINE_SEARCH(ATTRS, NAME, W, K, vec_t, movemask, ESCAPES, shorter)                     \
  ATTRS static int64_t NAME(const char *s, int64_t n, const char *lit, int64_t m, int quoted) { \
    if (n - (m + quoted) + 1 < K * W) return shorter(s, n, lit, m, quoted);                     \
    SEARCH_BLOCKS(W, K, vec_t, movemask, ESCAPES)                                               \
  }

/* Each movemask gives the top bit of each byte of a vector, zero-extended to 64 bits. */
#ifdef __SSE2__
static inline uint64_t movemask16(rt_bytes16 v) {
  return (uint16_t)__builtin_ia32_pmovmskb128((char __attribute__((vector_size(16))))v);
}
DEFINE_SEARCH(, search_generic1, 16, 1, rt_bytes16, movemask16, 1, search_bytes_escapes)
DEFINE_SEARCH(, search_generic, 16, 2, rt_bytes16, movemask16, 1, search_generic1)
DEFINE_SEARCH(, find_generic1, 16, 1, rt_bytes16, movemask16, 0, find_bytes)
DEFINE_SEARCH(, find_generic, 16, 2, rt_bytes16, movemask16, 0, find_generic1)
#else /* no byte compares of a whole vector: byte by byte */
#define search_generic search_bytes_escapes
#define find_generic find_bytes
#endif

typedef int64_t search_fn(const char *s, int64_t n, const char *lit, int64_t m, int quoted);
static search_fn *search_line = search_generic, *find_in_line = find_generic;

#if RT_X86_DISPATCH
typedef unsigned char rt_bytes32 __attribute__((vector_size(32)));
__attribute__((target("avx2"))) static inline uint64_t movemask32(rt_bytes32 v) {
  return (uint32_t)__builtin_ia32_pmovmskb256((char __attribute__((vector_size(32))))v);
}
#define AVX2 __attribute__((target("avx2")))
DEFINE_SEARCH(AVX2, search_avx2_1, 32, 1, rt_bytes32, movemask32, 1, search_generic)
DEFINE_SEARCH(AVX2, search_avx2, 32, 2, rt_bytes32, movemask32, 1, search_avx2_1)
DEFINE_SEARCH(AVX2, find_avx2_1, 32, 1, rt_bytes32, movemask32, 0, find_generic)
DEFINE_SEARCH(AVX2, find_avx2, 32, 2, rt_bytes32, movemask32, 0, find_avx2_1)

/* AVX-512: blocks of 64 start positions whose compares give masks directly (the first byte's
 * mask gating the last byte's compare), about 11 instructions a block against 19 for two AVX2
 * vectors.  The same blocks and order as SEARCH_BLOCKS. */
#define AVX512 __attribute__((target("avx512bw")))
AVX512 __attribute__((always_inline)) static inline int64_t
search_masks(const char *s, int64_t n, const char *lit, int64_t m, int quoted, int escapes) {
  const int64_t span = m + quoted, final = n - span + 1 - 64;
  const __m512i first = _mm512_set1_epi8((char)lit[0]), backslash = _mm512_set1_epi8('\\');
  const __m512i last = _mm512_set1_epi8(quoted ? '"' : lit[m - 1]);
  for (int64_t p = 0;; p += 64) {
    if (p > final) p = final;
    __m512i a = _mm512_loadu_si512(s + p);
    uint64_t starts = _mm512_mask_cmpeq_epi8_mask(_mm512_cmpeq_epi8_mask(a, first),
                                                  _mm512_loadu_si512(s + p + span - 1), last);
    uint64_t slashes = escapes ? _mm512_cmpeq_epi8_mask(a, backslash) : 0;
    if (__builtin_expect((starts | slashes) != 0, 0)) {
      int64_t hit = first_in_block(s, p, starts, slashes, 64, lit, m, quoted);
      if (hit) return hit;
    }
    if (p == final) break;
  }
  if (escapes && final + 64 < n) { /* the last span-1 bytes (those before them had none) */
    uint64_t slashes = _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(s + n - 64), backslash);
    if (slashes) return n - 64 + __builtin_ctzll(slashes) + 1;
  }
  return 0;
}
AVX512 static int64_t search_avx512(const char *s, int64_t n, const char *lit, int64_t m,
                                    int quoted) {
  if (n - (m + quoted) + 1 < 64) return search_avx2(s, n, lit, m, quoted);
  return search_masks(s, n, lit, m, quoted, 1);
}
AVX512 static int64_t find_avx512(const char *s, int64_t n, const char *lit, int64_t m,
                                  int quoted) {
  if (n - (m + quoted) + 1 < 64) return find_avx2(s, n, lit, m, quoted);
  return search_masks(s, n, lit, m, quoted, 0);
}

/* Before main, while there is one thread: the versions for this CPU. */
__attribute__((constructor)) static void pick_search(void) {
  if (rt_cpu_has_avx2()) search_line = search_avx2, find_in_line = find_avx2;
  if (rt_cpu_has_avx512bw()) search_line = search_avx512, find_in_line = find_avx512;
}
#endif

int32_t dsc_rt_str_contains(const char *s, int64_t n, const char *t, int64_t m) {
  if (m <= 1) return m == 0 || memchr(s, t[0], (size_t)n) != NULL; /* glibc's is as fast */
  return m <= n && find_in_line(s, n, t, m, 0) != 0;
}

int64_t rt_find(const char *s, int64_t n, const char *lit, int64_t m) {
  return m <= n ? find_in_line(s, n, lit, m, 0) - 1 : -1;
}

int64_t rt_search_next(const char *s, int64_t n, const char *lit, int64_t m, int quoted,
                       int escapes) {
  return escapes ? search_line(s, n, lit, m, quoted) - 1 : dsc_rt_str_find(s, n, 0, lit, m);
}
