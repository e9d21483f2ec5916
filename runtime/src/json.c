/* json.c — json(line, key): one top-level value of a JSON object, found in a single pass.
 *
 * This runs once per record, so it never builds a tree and never mallocs.  The scanner walks
 * the object's members left to right; a member whose key differs is skipped (strings by a
 * cursor over the quotes and backslashes of 64-byte blocks, nested arrays and objects with a
 * depth counter that steps over the strings inside them), and the first member with the wanted
 * key ends the scan: the rest of the line is not looked at, so a line malformed only after the
 * key still answers.  A string value without escapes is returned as a view into the line (it
 * lives as long as the line); one with escapes is decoded into the worker arena (never longer
 * than its escaped form).  Any other value is returned as its exact text.  Every read but the
 * cursor's aligned block loads (block_bits) is bounds-checked against the end of the line, so
 * truncated input gives 0, not a fault.
 *
 * ysb (callgrind, 40,000 events): 1,045 -> 796 instructions of json() an event with the cursor,
 * the checks for compact JSON (and Python's one space after ':' and ',') in scan_member, and
 * short keys compared without memcmp.
 */
#include <string.h>

#include "rt_internal.h"

/* The scan of a member is a handful of instructions around each quote: inlined whole, the
 * cursor's block stays in registers. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Every JSON white-space byte is <= ' ', so the usual case (compact JSON: no white space at all)
 * costs one compare. */
static inline const char *skip_ws(const char *p, const char *end) {
  while (p < end && (unsigned char)*p <= ' ' &&
         (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* ---- finding quotes, 64 bytes at a time -----------------------------------------------------
 * Every string of a line ends at its next '"' or '\\'.  Rather than load and compare afresh from
 * each string's start (three 16-byte steps and a call for an id of 36 bytes), a cursor keeps one
 * bit per byte of the 64-byte aligned block it is in, for the quotes and backslashes it has not
 * passed yet: the next one is a count of trailing zeros, and each byte of the line is compared
 * once.  The cursor only moves forward. */
typedef struct {
  const char *base; /* the block, 64-byte aligned (it may begin before the line) */
  uint64_t bits;    /* bit i: base[i] is a '"' or '\\' not yet passed, before end */
  const char *end;  /* the line's end */
} json_cursor;

enum { BLOCK = 64 };

/* The '"' and '\\' bits of the aligned block at base, those at and after end cleared.  The block
 * may begin before the line and end after it.  Its loads are aligned, so they stay in the page of
 * the line's own bytes and cannot fault, and the bits of bytes outside the line are never looked
 * at (those before it are below every position searched from, those after it are cleared here).
 * AddressSanitizer would take those bytes for overflows, hence no_sanitize: every other read of
 * this file stays checked.  Out of line: it is the cold part of a cursor step, and has a version
 * for AVX2 (two compares of 32 bytes instead of four of 16), picked once at start-up. */
#define BLOCK_BITS_ATTRS noinline, no_sanitize("address")
static inline uint64_t below_end(uint64_t bits, const char *base, const char *end) {
  ptrdiff_t n = end - base;
  return n < BLOCK ? bits & (((uint64_t)1 << n) - 1) : bits;
}

__attribute__((BLOCK_BITS_ATTRS)) static uint64_t block_bits_generic(const char *base,
                                                                     const char *end) {
  const char *b = base;
  __asm__("" : "+r"(b)); /* the optimiser must not reason about the line's object: we pass it */
  uint64_t bits = 0;
#ifdef __SSE2__
  typedef char bytes16 __attribute__((vector_size(16)));
  const rt_bytes16 quote = (rt_bytes16){0} + '"', backslash = (rt_bytes16){0} + '\\';
#define QUARTER(i)                                                                               \
  do {                                                                                           \
    rt_bytes16 v;                                                                                \
    memcpy(&v, __builtin_assume_aligned(b + 16 * (i), 16), 16);                                  \
    rt_bytes16 hit = (rt_bytes16)(v == quote) | (rt_bytes16)(v == backslash);                    \
    bits |= (uint64_t)(unsigned)__builtin_ia32_pmovmskb128((bytes16)hit) << (16 * (i));          \
  } while (0)
  QUARTER(0); QUARTER(1); QUARTER(2); QUARTER(3); /* GCC -O2 would not unroll a loop */
#undef QUARTER
#else
  for (int i = 0; i < BLOCK; i++)
    bits |= (uint64_t)(b[i] == '"' || b[i] == '\\') << i;
#endif
  return below_end(bits, base, end);
}

#if RT_X86_DISPATCH
__attribute__((BLOCK_BITS_ATTRS, target("avx2"))) static uint64_t block_bits_avx2(const char *base,
                                                                                  const char *end) {
  const char *b = base;
  __asm__("" : "+r"(b));
  typedef char bytes32 __attribute__((vector_size(32)));
  const bytes32 quote = (bytes32){0} + '"', backslash = (bytes32){0} + '\\';
  bytes32 lo, hi;
  memcpy(&lo, __builtin_assume_aligned(b, 32), 32);
  memcpy(&hi, __builtin_assume_aligned(b + 32, 32), 32);
  bytes32 hit_lo = (bytes32)(lo == quote) | (bytes32)(lo == backslash);
  bytes32 hit_hi = (bytes32)(hi == quote) | (bytes32)(hi == backslash);
  uint64_t bits = (uint64_t)(unsigned)__builtin_ia32_pmovmskb256(hit_lo) |
                  (uint64_t)(unsigned)__builtin_ia32_pmovmskb256(hit_hi) << 32;
  return below_end(bits, base, end);
}
#endif

static uint64_t (*block_bits)(const char *base, const char *end) = block_bits_generic;

#if RT_X86_DISPATCH
/* Before main, while there is one thread: the version for this CPU. */
__attribute__((constructor)) static void pick_block_bits(void) {
  if (rt_cpu_has_avx2()) block_bits = block_bits_avx2;
}
#endif

/* Moves the cursor to p (at or after every byte it passed): the bits before p are dropped. */
static ALWAYS_INLINE void cursor_seek(json_cursor *c, const char *p) {
  uintptr_t off = (uintptr_t)p - (uintptr_t)c->base;
  if (off < BLOCK) {
    c->bits &= ~(uint64_t)0 << off;
    return;
  }
  off = (uintptr_t)p & (BLOCK - 1);
  c->base = p - off;
  c->bits = p < c->end ? block_bits(c->base, c->end) & (~(uint64_t)0 << off) : 0;
}

/* The next '"' or '\\' (passed by this), or NULL when there is none before the end. */
static ALWAYS_INLINE const char *cursor_next(json_cursor *c) {
  while (!c->bits) {
    if (c->end - c->base <= BLOCK) return NULL;
    c->base += BLOCK;
    c->bits = block_bits(c->base, c->end);
  }
  const char *q = c->base + __builtin_ctzll(c->bits);
  c->bits &= c->bits - 1;
  return q;
}

/* p is just after an opening quote; returns the closing quote, or NULL.  A backslash escapes
 * the byte after it (so a quote after an odd run of backslashes is escaped).  *esc says whether
 * the string has any backslash. */
static ALWAYS_INLINE const char *string_end(json_cursor *c, const char *p, int32_t *esc) {
  cursor_seek(c, p);
  *esc = 0;
  for (;;) {
    const char *q = cursor_next(c);
    if (!q) return NULL;
    if (*q == '"') return q;
    if (c->end - q < 2) return NULL;
    *esc = 1;
    cursor_seek(c, q + 2);
  }
}

static int hex4(const char *p, const char *end, uint32_t *out) {
  if (end - p < 4) return -1;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = c >= '0' && c <= '9' ? c - '0'
          : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return -1;
    v = v << 4 | (uint32_t)d;
  }
  *out = v;
  return 0;
}

/* Decodes the escape at p (p[0] == '\\', p < end) into out (at least 4 bytes); returns the bytes
 * written and sets *next, or -1 for a malformed escape.  A lone surrogate becomes U+FFFD, so the
 * result is always valid UTF-8. */
static int decode_escape(const char *p, const char *end, char *out, const char **next) {
  if (end - p < 2) return -1;
  char c = p[1];
  *next = p + 2;
  switch (c) {
  case '"': case '\\': case '/': out[0] = c; return 1;
  case 'b': out[0] = '\b'; return 1;
  case 'f': out[0] = '\f'; return 1;
  case 'n': out[0] = '\n'; return 1;
  case 'r': out[0] = '\r'; return 1;
  case 't': out[0] = '\t'; return 1;
  case 'u': break;
  default: return -1;
  }
  uint32_t cp;
  if (hex4(p + 2, end, &cp)) return -1;
  *next = p + 6;
  if (cp >= 0xD800 && cp <= 0xDBFF) {
    uint32_t lo;
    if (end - *next >= 6 && (*next)[0] == '\\' && (*next)[1] == 'u' && !hex4(*next + 2, end, &lo) &&
        lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      *next += 6;
    } else {
      cp = 0xFFFD;
    }
  } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
    cp = 0xFFFD;
  }
  return rt_utf8_encode(cp, out);
}

/* Compares the escaped key raw[0..n) with the plain key k[0..klen).  Out of line: keys are rarely
 * escaped, and inlined it would make every key comparison save and restore registers. */
__attribute__((noinline, cold)) static int key_equal_escaped(const char *raw, const char *rend,
                                                             const char *k, int64_t klen) {
  int64_t i = 0;
  while (raw < rend) {
    if (*raw != '\\') {
      if (i >= klen || k[i] != *raw) return 0;
      i++, raw++;
      continue;
    }
    char buf[4];
    int m = decode_escape(raw, rend, buf, &raw);
    if (m < 0 || i + m > klen || memcmp(k + i, buf, (size_t)m)) return 0;
    i += m;
  }
  return i == klen;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, plus Python's NaN / Infinity / -Infinity. */
static const char *skip_number(const char *p, const char *end) {
  if (p < end && *p == '-') p++;
  if (end - p >= 8 && !memcmp(p, "Infinity", 8)) return p + 8;
  if (p >= end) return NULL;
  if (*p == '0') p++;
  else if (*p >= '1' && *p <= '9') while (p < end && *p >= '0' && *p <= '9') p++;
  else return NULL;
  if (p < end && *p == '.') {
    const char *d = ++p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    if (p == d) return NULL;
  }
  if (p < end && (*p == 'e' || *p == 'E')) {
    p++;
    if (p < end && (*p == '+' || *p == '-')) p++;
    const char *d = p;
    while (p < end && *p >= '0' && *p <= '9') p++;
    if (p == d) return NULL;
  }
  return p;
}

/* An array or object starting at p (its opener); returns just past the matching closer. */
static const char *skip_nested(json_cursor *c, const char *p) {
  int64_t depth = 0;
  while (p < c->end) {
    char ch = *p++;
    if (ch == '"') {
      int32_t esc;
      p = string_end(c, p, &esc);
      if (!p) return NULL;
      p++;
    } else if (ch == '[' || ch == '{') {
      depth++;
    } else if (ch == ']' || ch == '}') {
      if (--depth == 0) return p;
    }
  }
  return NULL;
}

/* Any value at p but a string; returns just past it, or NULL when malformed or truncated. */
static const char *skip_other_value(json_cursor *c, const char *p) {
  const char *end = c->end;
  if (p >= end) return NULL;
  switch (*p) {
  case '[': case '{': return skip_nested(c, p);
  case 't': return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
  case 'f': return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
  case 'n': return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
  case 'N': return end - p >= 3 && !memcmp(p, "NaN", 3) ? p + 3 : NULL;
  default: return skip_number(p, end);
  }
}

/* The escaped string raw[0..rend) decoded into the worker arena; 0 when an escape is malformed.
 * Out of line, as escapes are rare. */
__attribute__((noinline)) static int decode_string(dsc_rt_worker *w, const char *raw,
                                                   const char *rend, dsc_str *out) {
  char *buf = rt_arena_alloc_raw(w->rec, (size_t)(rend - raw)), *o = buf;
  while (raw < rend) {
    const char *bs = memchr(raw, '\\', (size_t)(rend - raw));
    size_t plain = (size_t)((bs ? bs : rend) - raw);
    memcpy(o, raw, plain);
    o += plain, raw += plain;
    if (!bs) break;
    int m = decode_escape(raw, rend, o, &raw);
    if (m < 0) return 0;
    o += m;
  }
  out->ptr = buf, out->len = o - buf;
  return 1;
}

/* Whether a[0..n) == b[0..n).  Keys are short: up to 16 bytes this is two loads of each that
 * overlap in the middle, not a call to memcmp. */
static inline int same_bytes(const char *a, const char *b, size_t n) {
  uint64_t x0, x1, y0, y1;
  if (n >= 8 && n <= 16) {
    memcpy(&x0, a, 8), memcpy(&x1, a + n - 8, 8);
    memcpy(&y0, b, 8), memcpy(&y1, b + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4 && n < 8) {
    uint32_t u0, u1, v0, v1;
    memcpy(&u0, a, 4), memcpy(&u1, a + n - 4, 4);
    memcpy(&v0, b, 4), memcpy(&v1, b + n - 4, 4);
    return ((u0 ^ v0) | (u1 ^ v1)) == 0;
  }
  return !memcmp(a, b, n);
}

/* Whether the member key raw[0..rend) (between its quotes) is `key`; raw_esc says whether it has
 * a backslash, as the scan for its closing quote found.  A key without one matches only byte for
 * byte (a `key` with a backslash then never does), and only an escaped one needs decoding. */
static inline int key_matches(const char *raw, const char *rend, int32_t raw_esc, const char *key,
                              int64_t key_len) {
  if (raw_esc) return key_equal_escaped(raw, rend, key, key_len);
  return rend - raw == key_len && same_bytes(raw, key, (size_t)key_len);
}

/* ---- members ----------------------------------------------------------------------------------
 * One member `"key": value` as a scan passes it (the memo's record, dsc_rt.h). */
typedef dsc_rt_json_member json_member;

/* The first member of the object s[0..end), or NULL when s is not an object or it is empty. */
static const char *first_member(const char *s, const char *end) {
  const char *p = skip_ws(s, end);
  if (p >= end || *p != '{') return NULL;
  p = skip_ws(p + 1, end);
  return p < end && *p != '}' ? p : NULL;
}

/* Scans the member whose key's opening quote should be at p.  Returns 0 when there is none or
 * it is malformed before its value; else fills m, with m->value NULL when the value is malformed
 * or not followed by ',' or '}' (`12abc` and `"a"x` are not values), and sets *next to where
 * the member after it starts, or NULL when there is none to scan. */
static ALWAYS_INLINE int scan_member(json_cursor *c, const char *p, json_member *m,
                                     const char **next) {
  const char *end = c->end;
  *next = NULL;
  if (p >= end || *p != '"') return 0;
  m->key = p + 1;
  m->key_end = string_end(c, m->key, &m->key_escaped);
  if (!m->key_end) return 0;
  p = m->key_end + 1;
  const char *vend, *v = NULL;
  m->escaped = 0;
  /* the usual forms first: `"key":"` (compact) and `"key": "` (Python's json.dumps) */
  if (end - p > 1 && !memcmp(p, ":\"", 2)) v = p + 1;
  else if (end - p > 2 && !memcmp(p, ": \"", 3)) v = p + 2;
  if (v) {
    p = v;
    vend = string_end(c, p + 1, &m->escaped);
    if (vend) vend++;
  } else {
    p = skip_ws(p, end);
    if (p >= end || *p != ':') return 0;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '"') {
      vend = string_end(c, p + 1, &m->escaped);
      if (vend) vend++;
    } else { /* through a copy: c itself never has its address taken, so it stays in registers */
      json_cursor copy = *c;
      vend = skip_other_value(&copy, p);
      *c = copy;
    }
  }
  m->value = p, m->value_end = vend;
  if (vend && end - vend > 1 && !memcmp(vend, ",\"", 2)) { /* the next key follows */
    *next = vend + 1;
    return 1;
  }
  if (vend && end - vend > 2 && !memcmp(vend, ", \"", 3)) {
    *next = vend + 2;
    return 1;
  }
  const char *after = vend ? skip_ws(vend, end) : end;
  if (after >= end || (*after != ',' && *after != '}')) m->value = NULL;
  else if (*after == ',') *next = skip_ws(after + 1, end);
  return 1;
}

/* The value of member m, or 0 when it is malformed. */
static inline int32_t member_value(dsc_rt_worker *w, const json_member *m, dsc_str *out) {
  const char *v = m->value, *vend = m->value_end;
  if (!v) return 0;
  if (*v != '"') {
    out->ptr = v, out->len = vend - v;
    return 1;
  }
  if (m->escaped) return decode_string(w, v + 1, vend - 1, out);
  out->ptr = v + 1, out->len = vend - v - 2;
  return 1;
}

static inline int member_is(const json_member *m, const char *key, int64_t key_len) {
  return key_matches(m->key, m->key_end, m->key_escaped, key, key_len);
}

// value = json(line, key)
int32_t dsc_rt_json_get(dsc_rt_worker *w, const char *s, int64_t n, const char *key,
                        int64_t key_len, dsc_str *out) {
  if (n <= 0) return 0;
  json_cursor c = {NULL, 0, s + n};
  json_member m;
  for (const char *p = first_member(s, s + n); p;) {
    if (!scan_member(&c, p, &m, &p)) return 0;
    if (member_is(&m, key, key_len)) return member_value(w, &m, out);
    if (!m.value) return 0;
  }
  return 0;
}

/* ---- json() of several keys of one string ------------------------------------------------------
 * The members are recorded as the scan passes them, in the order dsc_rt_json_get walks them, and
 * the scan stops where a lookup found its key.  A later lookup of the same string checks the
 * recorded members first, in order (so the first occurrence of a key still wins), then goes on
 * from there.  A member whose value is malformed is recorded as such and ends the scan, as it
 * ends a fresh one, which answers keys before it but none after.  Once more members were passed
 * than fit, a key not among those recorded gets a fresh scan. */

int32_t dsc_rt_json_get_memo(dsc_rt_worker *w, dsc_rt_json_memo *memo, const char *s, int64_t n,
                             const char *key, int64_t key_len, dsc_str *out) {
  if (n <= 0) return 0;
  json_member *rec = memo->m;
  if (memo->obj != s || memo->len != n) {
    memo->obj = s, memo->len = n, memo->n = 0, memo->overflow = 0;
    memo->next = first_member(s, s + n);
  }
  for (int32_t i = 0; i < memo->n; i++)
    if (member_is(&rec[i], key, key_len)) return member_value(w, &rec[i], out);
  if (memo->overflow) return dsc_rt_json_get(w, s, n, key, key_len, out);
  /* the scan's place in locals, stored back when it stops: memo's fields would otherwise be
     stored and loaded again for every member (they may alias anything the scan writes) */
  json_cursor c = {NULL, 0, s + n};
  const char *next = memo->next;
  int32_t scanned = memo->n;
  int32_t found = 0;
  while (next) {
    if (scanned == DSC_RT_JSON_MEMO_MEMBERS) {
      memo->overflow = 1;
      memo->next = next, memo->n = scanned;
      return dsc_rt_json_get(w, s, n, key, key_len, out);
    }
    json_member *m = &rec[scanned];
    if (!scan_member(&c, next, m, &next)) {
      next = NULL;
      break;
    }
    scanned++;
    if (member_is(m, key, key_len)) {
      found = member_value(w, m, out);
      break;
    }
  }
  memo->next = next, memo->n = scanned;
  return found;
}
