/* str_scan.c — the string helpers a fused loop calls per record: UTF-8 decoding, Python's
 * white space, find / split support, comparisons, slicing.  They use no state and allocate only
 * through the worker arena, which is why the build also compiles this file (and table.c) to
 * LLVM bitcode that dsc links into each generated module: LLVM then inlines them into the loop
 * instead of calling across the library edge. */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

int32_t rt_utf8_decode(const unsigned char *s, int64_t n, int *len) {
  unsigned c = s[0];
  if (c < 0x80) return *len = 1, (int32_t)c;
  int need;
  uint32_t cp, min;
  if (c >= 0xC2 && c <= 0xDF) need = 1, cp = c & 0x1F, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF) need = 2, cp = c & 0x0F, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4) need = 3, cp = c & 0x07, min = 0x10000;
  else return *len = 1, -1;
  if (n < need + 1) return *len = 1, -1;
  for (int i = 1; i <= need; i++) {
    if ((s[i] & 0xC0) != 0x80) return *len = 1, -1;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return *len = 1, -1;
  *len = need + 1;
  return (int32_t)cp;
}

int rt_utf8_encode(uint32_t cp, char *out) {
  unsigned char *o = (unsigned char *)out;
  if (cp < 0x80) return o[0] = (unsigned char)cp, 1;
  if (cp < 0x800) {
    o[0] = (unsigned char)(0xC0 | (cp >> 6));
    o[1] = (unsigned char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (unsigned char)(0xE0 | (cp >> 12));
    o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (unsigned char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (unsigned char)(0xF0 | (cp >> 18));
  o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (unsigned char)(0x80 | (cp & 0x3F));
  return 4;
}

int rt_is_space(uint32_t c) {
  if (c < 0x80) return (c >= 0x09 && c <= 0x0D) || c == ' ' || (c >= 0x1C && c <= 0x1F);
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Whitespace code point at s[i]? Sets *w to its width (1 for anything not decodable). */
static int space_at(const char *s, int64_t n, int64_t i, int *w) {
  unsigned char c = (unsigned char)s[i];
  *w = 1;
  if (c < 0x80) return rt_is_space(c);
  int32_t cp = rt_utf8_decode((const unsigned char *)s + i, n - i, w);
  return cp >= 0 && rt_is_space((uint32_t)cp);
}

/* words(): a byte from 0x21 to 0x7F is never white space, and a word is mostly such bytes, so
 * those loops come first, then the space itself, and space_at (UTF-8, a call) only for the
 * others: a words() word count spent a quarter of its instructions calling it for every byte. */
static inline int plain_word_byte(unsigned char c) { return c > ' ' && c < 0x80; }

int64_t dsc_rt_str_skip_space(const char *s, int64_t n, int64_t from) {
  int64_t i = from < 0 ? 0 : from;
  int w;
  while (i < n && (s[i] == ' ' || (!plain_word_byte((unsigned char)s[i]) &&
                                   space_at(s, n, i, &w)))) {
    i += s[i] == ' ' ? 1 : w;
  }
  return i < n ? i : n;
}

int64_t dsc_rt_str_find_space(const char *s, int64_t n, int64_t from) {
  int64_t i = from < 0 ? 0 : from;
  int w;
  for (;;) {
    while (i < n && plain_word_byte((unsigned char)s[i])) i++;
    if (i >= n || s[i] == ' ' || space_at(s, n, i, &w)) break;
    i += w;
  }
  return i < n ? i : n;
}

int64_t dsc_rt_str_find(const char *s, int64_t n, int64_t from, const char *needle, int64_t m) {
  if (from < 0) from = 0;
  if (m <= 0 || from > n || m > n - from) return -1;
  if (m > 1) { /* search.c: blocks of 16 or 32 positions, where memmem went byte by byte */
    int64_t at = rt_find(s + from, n - from, needle, m);
    return at < 0 ? -1 : from + at;
  }
  const char *p = memchr(s + from, needle[0], (size_t)(n - from)); /* the common split(l, " ") */
  return p ? p - s : -1;
}

void dsc_rt_str_trim(const char *s, int64_t n, dsc_str *out) {
  int64_t a = dsc_rt_str_skip_space(s, n, 0), b = n;
  while (b > a) {
    unsigned char c = (unsigned char)s[b - 1];
    if (c < 0x80) {
      if (!rt_is_space(c)) break;
      b--;
      continue;
    }
    int64_t k = b - 1; /* back to the lead byte */
    while (k > a && ((unsigned char)s[k] & 0xC0) == 0x80 && b - k < 4) k--;
    int w;
    int32_t cp = rt_utf8_decode((const unsigned char *)s + k, b - k, &w);
    if (cp < 0 || k + w != b || !rt_is_space((uint32_t)cp)) break;
    b = k;
  }
  out->ptr = s + a;
  out->len = b - a;
}

int64_t dsc_rt_str_len(const char *s, int64_t n) {
  int64_t count = 0;
  for (int64_t i = 0; i < n; i++) count += ((unsigned char)s[i] & 0xC0) != 0x80;
  return count;
}

int32_t dsc_rt_str_starts_with(const char *s, int64_t n, const char *t, int64_t m) {
  return m <= n && (m == 0 || !memcmp(s, t, (size_t)m));
}

int32_t dsc_rt_str_ends_with(const char *s, int64_t n, const char *t, int64_t m) {
  return m <= n && (m == 0 || !memcmp(s + n - m, t, (size_t)m));
}

/* Byte offset of code point k (k <= number of code points), counting lead bytes. */
static int64_t cp_offset(const char *s, int64_t n, int64_t k) {
  int64_t i = 0;
  while (i < n && k > 0) {
    i++;
    while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80) i++;
    k--;
  }
  return i;
}

void dsc_rt_str_substr(const char *s, int64_t n, int64_t start, int64_t count, dsc_str *out) {
  if (start < 0) {
    start += dsc_rt_str_len(s, n);
    if (start < 0) start = 0;
  }
  if (count < 0) count = 0;
  int64_t a = cp_offset(s, n, start);
  int64_t b = a + cp_offset(s + a, n - a, count);
  out->ptr = s + a;
  out->len = b - a;
}

void dsc_rt_str_concat(dsc_rt_worker *w, const char *s, int64_t n, const char *t, int64_t m,
                       dsc_str *out) {
  char *p = rt_arena_alloc_raw(w->rec, (size_t)(n + m));
  if (n) memcpy(p, s, (size_t)n);
  if (m) memcpy(p + n, t, (size_t)m);
  out->ptr = p;
  out->len = n + m;
}

int32_t dsc_rt_str_cmp(const char *s, int64_t n, const char *t, int64_t m) {
  int64_t k = n < m ? n : m;
  int c = k ? memcmp(s, t, (size_t)k) : 0;
  if (c) return c < 0 ? -1 : 1;
  return n < m ? -1 : n > m;
}

int32_t dsc_rt_str_eq(const char *s, int64_t n, const char *t, int64_t m) {
  return n == m && (n == 0 || !memcmp(s, t, (size_t)n));
}

/* ---- json() compared with a literal --------------------------------------------------------
 * Here rather than in search.c so that LLVM inlines it into the loop: a site's count is a few
 * instructions, and with the literal a constant, whether it must stand between quotes is too. */

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
  int32_t r = m <= 0 || rt_search_next(s, n, lit, m, !rt_json_may_be_bare(lit[0]), 1) >= 0;
  site->found += r;
  if (++site->searched == SAMPLE) {
    if (site->found > BUSY) site->unsearched = REST;
    site->searched = site->found = 0;
  }
  return r;
}
