/* json.c — json(line, key): one top-level value of a JSON object, found in a single pass.
 *
 * This runs once per record, so it never builds a tree and never mallocs.  The scanner walks
 * the object's members left to right; a member whose key differs is skipped (strings with a
 * 16-byte scan to the next quote or backslash, nested arrays and objects with a depth counter
 * that steps over the strings inside them), and the first member with the wanted key ends the
 * scan: the rest of the line is not looked at, so a line malformed only after the key still
 * answers.  A string value without escapes is returned as a view into the line (it lives as
 * long as the line); one with escapes is decoded into the worker arena (never longer than its
 * escaped form).  Any other value is returned as its exact text.  Every read is bounds-checked
 * against the end of the line, so truncated input gives 0, not a fault.
 */
#include <string.h>

#include "rt_internal.h"

/* Every JSON white-space byte is <= ' ', so the usual case (compact JSON: no white space at all)
 * costs one compare. */
static const char *skip_ws(const char *p, const char *end) {
  while (p < end && (unsigned char)*p <= ' ' &&
         (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
    p++;
  return p;
}

/* The first '"' or '\\' in [p, end), or NULL.  JSON strings are mostly short keys and ids, for
 * which a call to memchr costs more than the scan: this looks at 16 bytes a step with GCC vector
 * extensions (SSE2 on x86-64) and finds the first match from the compare mask: on x86-64 as one
 * bit per byte (pmovmskb), elsewhere from the mask's two 64-bit halves. */
static const char *find_quote_or_backslash(const char *p, const char *end) {
  const rt_bytes16 quote = (rt_bytes16){0} + '"', backslash = (rt_bytes16){0} + '\\';
  for (; end - p >= 16; p += 16) {
    rt_bytes16 v;
    memcpy(&v, p, 16);
    rt_bytes16 hit = (rt_bytes16)(v == quote) | (rt_bytes16)(v == backslash);
#ifdef __SSE2__
    typedef char bytes16 __attribute__((vector_size(16)));
    unsigned bits = (unsigned)__builtin_ia32_pmovmskb128((bytes16)hit);
    if (bits) return p + __builtin_ctz(bits);
#else
    uint64_t half[2];
    memcpy(half, &hit, 16);
    for (int k = 0; k < 2; k++) {
      if (!half[k]) continue;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
      return p + 8 * k + (__builtin_clzll(half[k]) >> 3);
#else
      return p + 8 * k + (__builtin_ctzll(half[k]) >> 3);
#endif
    }
#endif
  }
  for (; p < end; p++)
    if (*p == '"' || *p == '\\') return p;
  return NULL;
}

/* p is just after an opening quote; returns the closing quote, or NULL.  A backslash escapes
 * the byte after it (so a quote after an odd run of backslashes is escaped).  With esc, *esc
 * says whether the string has any backslash. */
static const char *string_end(const char *p, const char *end, int *esc) {
  int escaped = 0;
  for (;;) {
    const char *c = find_quote_or_backslash(p, end);
    if (!c || (*c == '\\' && end - c < 2)) return NULL;
    if (*c == '"') {
      if (esc) *esc = escaped;
      return c;
    }
    escaped = 1;
    p = c + 2;
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
static const char *skip_nested(const char *p, const char *end) {
  int64_t depth = 0;
  while (p < end) {
    char c = *p++;
    if (c == '"') {
      p = string_end(p, end, NULL);
      if (!p) return NULL;
      p++;
    } else if (c == '[' || c == '{') {
      depth++;
    } else if (c == ']' || c == '}') {
      if (--depth == 0) return p;
    }
  }
  return NULL;
}

/* Any value at p; returns just past it, or NULL when malformed or truncated. */
static const char *skip_value(const char *p, const char *end) {
  if (p >= end) return NULL;
  switch (*p) {
  case '"': {
    const char *q = string_end(p + 1, end, NULL);
    return q ? q + 1 : NULL;
  }
  case '[': case '{': return skip_nested(p, end);
  case 't': return end - p >= 4 && !memcmp(p, "true", 4) ? p + 4 : NULL;
  case 'f': return end - p >= 5 && !memcmp(p, "false", 5) ? p + 5 : NULL;
  case 'n': return end - p >= 4 && !memcmp(p, "null", 4) ? p + 4 : NULL;
  case 'N': return end - p >= 3 && !memcmp(p, "NaN", 3) ? p + 3 : NULL;
  default: return skip_number(p, end);
  }
}

/* The string value whose contents are raw[0..n): a view if unescaped, else decoded. */
static int string_value(dsc_rt_worker *w, const char *raw, const char *rend, int esc, dsc_str *out) {
  if (!esc) {
    out->ptr = raw, out->len = rend - raw;
    return 1;
  }
  char *buf = rt_arena_alloc_raw(&w->arena, (size_t)(rend - raw)), *o = buf;
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

/* Whether the member key raw[0..rend) (between its quotes) is `key`; raw_esc says whether it has
 * a backslash, as the scan for its closing quote found.  A key without one matches only byte for
 * byte (a `key` with a backslash then never does), and only an escaped one needs decoding. */
static int key_matches(const char *raw, const char *rend, int raw_esc, const char *key,
                       int64_t key_len) {
  if (!raw_esc) return rend - raw == key_len && !memcmp(raw, key, (size_t)key_len);
  return key_equal_escaped(raw, rend, key, key_len);
}

// value = json(line, key)
int32_t dsc_rt_json_get(dsc_rt_worker *w, const char *s, int64_t n, const char *key,
                        int64_t key_len, dsc_str *out) {
  if (n <= 0) return 0;
  const char *end = s + n, *p = skip_ws(s, end);
  if (p >= end || *p != '{') return 0;
  p = skip_ws(p + 1, end);
  if (p < end && *p == '}') return 0;
  for (;;) {
    if (p >= end || *p != '"') return 0;
    int kesc = 0;
    const char *k = p + 1, *kend = string_end(k, end, &kesc);
    if (!kend) return 0;
    int match = key_matches(k, kend, kesc, key, key_len);
    p = skip_ws(kend + 1, end);
    if (p >= end || *p != ':') return 0;
    p = skip_ws(p + 1, end);
    if (match) {
      const char *vend;
      int esc = 0;
      if (p < end && *p == '"') vend = string_end(p + 1, end, &esc), vend = vend ? vend + 1 : NULL;
      else vend = skip_value(p, end);
      if (!vend) return 0;
      const char *after = skip_ws(vend, end); /* `12abc` or `"a"x` is not a value */
      if (after >= end || (*after != ',' && *after != '}')) return 0;
      if (*p == '"') return string_value(w, p + 1, vend - 1, esc, out);
      out->ptr = p, out->len = vend - p;
      return 1;
    }
    p = skip_value(p, end);
    if (!p) return 0;
    p = skip_ws(p, end);
    if (p >= end || *p != ',') return 0; /* '}' here: no such key */
    p = skip_ws(p + 1, end);
  }
}

/* ---- json() of several keys of one string ------------------------------------------------------
 * The members are recorded as the scan passes them, in the order dsc_rt_json_get walks them, and
 * the scan stops where a lookup found its key.  A later lookup of the same string checks the
 * recorded members first, in order (so the first occurrence of a key still wins), then goes on
 * from there.  A member whose value is malformed is recorded as such and ends the scan, as it
 * ends a fresh one, which answers keys before it but none after.  Once more members were passed
 * than fit, a key not among those recorded gets a fresh scan. */

/* The value of recorded member i, or 0 when it is malformed. */
static int32_t memo_value(dsc_rt_worker *w, const dsc_rt_json_memo *memo, int32_t i, dsc_str *out) {
  const char *v = memo->m[i].value, *vend = memo->m[i].value_end;
  if (!v) return 0;
  if (*v == '"') return string_value(w, v + 1, vend - 1, memo->m[i].escaped, out);
  out->ptr = v, out->len = vend - v;
  return 1;
}

/* Whether recorded member i has the key `key`. */
static int member_is(const dsc_rt_json_memo *memo, int32_t i, const char *key, int64_t key_len) {
  return key_matches(memo->m[i].key, memo->m[i].key_end, memo->m[i].key_escaped, key, key_len);
}

/* Scans the member at memo->next into slot memo->n (there is room) and moves memo->next past
 * it; returns 0 when there is no member there, or it is malformed before its value. */
static int memo_scan_member(dsc_rt_json_memo *memo) {
  const char *end = memo->obj + memo->len, *p = memo->next;
  memo->next = NULL;
  if (!p || p >= end || *p != '"') return 0;
  int kesc = 0;
  const char *k = p + 1, *kend = string_end(k, end, &kesc);
  if (!kend) return 0;
  p = skip_ws(kend + 1, end);
  if (p >= end || *p != ':') return 0;
  p = skip_ws(p + 1, end);
  const char *v = p, *vend;
  int esc = 0;
  if (p < end && *p == '"') vend = string_end(p + 1, end, &esc), vend = vend ? vend + 1 : NULL;
  else vend = skip_value(p, end);
  const char *after = vend ? skip_ws(vend, end) : NULL; /* `12abc` or `"a"x` is not a value */
  if (!after || after >= end || (*after != ',' && *after != '}')) v = NULL;
  else if (*after == ',') memo->next = skip_ws(after + 1, end);
  int32_t i = memo->n++;
  memo->m[i].key = k, memo->m[i].key_end = kend;
  memo->m[i].value = v, memo->m[i].value_end = vend;
  memo->m[i].escaped = esc;
  memo->m[i].key_escaped = kesc;
  return 1;
}

int32_t dsc_rt_json_get_memo(dsc_rt_worker *w, dsc_rt_json_memo *memo, const char *s, int64_t n,
                             const char *key, int64_t key_len, dsc_str *out) {
  if (n <= 0) return 0;
  if (memo->obj != s || memo->len != n) {
    const char *end = s + n, *p = skip_ws(s, end);
    memo->obj = s, memo->len = n, memo->n = 0, memo->overflow = 0, memo->next = NULL;
    if (p < end && *p == '{') {
      p = skip_ws(p + 1, end);
      if (p < end && *p != '}') memo->next = p;
    }
  }
  for (int32_t i = 0; i < memo->n; i++)
    if (member_is(memo, i, key, key_len)) return memo_value(w, memo, i, out);
  if (memo->overflow) return dsc_rt_json_get(w, s, n, key, key_len, out);
  while (memo->next) {
    if (memo->n == DSC_RT_JSON_MEMO_MEMBERS) {
      memo->overflow = 1;
      return dsc_rt_json_get(w, s, n, key, key_len, out);
    }
    if (!memo_scan_member(memo)) return 0;
    int32_t i = memo->n - 1;
    if (member_is(memo, i, key, key_len)) return memo_value(w, memo, i, out);
  }
  return 0;
}
