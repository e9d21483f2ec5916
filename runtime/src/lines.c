/* lines.c — turning a byte stream into lines, the way Java's BufferedReader.readLine does.
 *
 * The splitter is fed whatever read() returned.  Lines end at \n, \r or \r\n (a \r at the end of
 * one chunk and a \n at the start of the next are one terminator); the final unterminated line
 * counts.  Complete lines inside a chunk go straight to the callback without a copy; only a line
 * that straddles reads is assembled in `part`.  Terminators are found with memchr, remembering the
 * next \n and \r of the chunk, so a chunk is scanned once whatever its mix of terminators.  A line
 * longer than max_line is cut there (back to a code-point boundary) and the rest dropped as it
 * arrives, so a huge line never needs huge memory.
 *
 * rt_lines is the per-source, per-batch store: bytes back to back plus views.  UTF-8 is checked
 * 8 bytes at a time for the all-ASCII case; anything else goes through the repair, which replaces
 * each maximal invalid subpart with U+FFFD as Java's decoder (and the Unicode standard) do.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

void rt_splitter_init(rt_splitter *sp, int64_t max_line) {
  memset(sp, 0, sizeof *sp);
  sp->max_line = max_line > 0 ? max_line : RT_DEFAULT_MAX_LINE;
}

void rt_splitter_free(rt_splitter *sp) {
  free(sp->part);
  sp->part = NULL;
  sp->part_len = sp->part_cap = 0;
}

/* Largest cut <= max that does not split a UTF-8 sequence (if s[max] continues one). */
static size_t cut_length(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  size_t k = max;
  for (int back = 0; back < 3 && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80; back++) k--;
  return ((unsigned char)s[k] & 0xC0) == 0x80 ? max : k;
}

static void part_add(rt_splitter *sp, const char *s, size_t n) {
  int truncated = sp->part_orig > (int64_t)sp->part_len;
  sp->part_orig += (int64_t)n;
  if (truncated) return;
  size_t room = (size_t)sp->max_line - sp->part_len;
  if (n > room) n = cut_length(s, n, room);
  if (!n) return;
  if (sp->part_len + n > sp->part_cap) {
    size_t cap = sp->part_cap ? sp->part_cap : 256;
    while (cap < sp->part_len + n) cap *= 2;
    sp->part = rt_xrealloc(sp->part, cap);
    sp->part_cap = cap;
  }
  memcpy(sp->part + sp->part_len, s, n);
  sp->part_len += n;
}

static void emit(rt_splitter *sp, const char *s, size_t n, int64_t orig, rt_line_fn fn, void *env) {
  sp->line_no++;
  fn(env, s, cut_length(s, n, (size_t)sp->max_line), sp->line_no, orig);
}

void rt_split_feed(rt_splitter *sp, const char *data, size_t n, rt_line_fn fn, void *env) {
  size_t pos = 0;
  if (sp->after_cr && n > 0) {
    if (data[0] == '\n') pos = 1;
    sp->after_cr = 0;
  }
  const char *nl = NULL, *cr = NULL; /* next terminators at or after pos, NULL = not searched */
  const char *end = data + n;
  while (pos < n) {
    const char *p = data + pos;
    if (!nl || nl < p) nl = memchr(p, '\n', n - pos), nl = nl ? nl : end;
    if (!cr || cr < p) cr = memchr(p, '\r', n - pos), cr = cr ? cr : end;
    const char *t = nl < cr ? nl : cr;
    if (t == end) break;
    size_t len = (size_t)(t - p);
    if (sp->part_len || sp->part_orig) {
      part_add(sp, p, len);
      emit(sp, sp->part, sp->part_len, sp->part_orig, fn, env);
      sp->part_len = 0, sp->part_orig = 0;
    } else {
      emit(sp, p, len, (int64_t)len, fn, env);
    }
    pos += len + 1;
    if (*t == '\r') {
      if (pos < n && data[pos] == '\n') pos++;
      else if (pos == n) sp->after_cr = 1;
    }
  }
  if (pos < n) part_add(sp, data + pos, n - pos);
}

void rt_split_finish(rt_splitter *sp, rt_line_fn fn, void *env) {
  if (sp->part_len || sp->part_orig) emit(sp, sp->part, sp->part_len, sp->part_orig, fn, env);
  sp->part_len = 0, sp->part_orig = 0, sp->after_cr = 0;
}

/* ---- UTF-8 repair ---- */

size_t rt_utf8_repair(const char *s, size_t n, char *out, int64_t *invalid) {
  const unsigned char *u = (const unsigned char *)s;
  size_t i = 0, o = 0;
  while (i < n) {
    unsigned c = u[i];
    if (c < 0x80) {
      out[o++] = (char)c, i++;
      continue;
    }
    /* Accepted second-byte range per lead byte (Unicode Table 3-7). */
    int need = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) need = 1;
    else if (c == 0xE0) need = 2, lo = 0xA0;
    else if (c >= 0xE1 && c <= 0xEC) need = 2;
    else if (c == 0xED) need = 2, hi = 0x9F;
    else if (c >= 0xEE && c <= 0xEF) need = 2;
    else if (c == 0xF0) need = 3, lo = 0x90;
    else if (c >= 0xF1 && c <= 0xF3) need = 3;
    else if (c == 0xF4) need = 3, hi = 0x8F;
    size_t k = 1; /* bytes of the sequence that are well-formed so far */
    if (need) {
      for (; k <= (size_t)need && i + k < n; k++) {
        unsigned b = u[i + k];
        if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
      }
    }
    if (need && k == (size_t)need + 1) {
      memcpy(out + o, s + i, k);
      o += k, i += k;
    } else {
      out[o++] = (char)0xEF, out[o++] = (char)0xBF, out[o++] = (char)0xBD;
      (*invalid)++;
      i += k;
    }
  }
  return o;
}

/* True if s[0..n) is plain ASCII (the common case, checked a word at a time). */
static int all_ascii(const char *s, size_t n) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & 0x8080808080808080ull) return 0;
  }
  for (; i < n; i++)
    if ((unsigned char)s[i] & 0x80) return 0;
  return 1;
}

static int valid_utf8(const char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    if (!((unsigned char)s[i] & 0x80)) {
      i++;
      continue;
    }
    int len;
    if (rt_utf8_decode((const unsigned char *)s + i, (int64_t)(n - i), &len) < 0) return 0;
    i += (size_t)len;
  }
  return 1;
}

void rt_lines_init(rt_lines *l) { memset(l, 0, sizeof *l); }

void rt_lines_free(rt_lines *l) {
  free(l->bytes);
  free(l->views);
  rt_lines_init(l);
}

static void lines_reserve(rt_lines *l, size_t extra) {
  if (l->cap - l->len >= extra) return;
  size_t cap = l->cap ? l->cap : 64 * 1024;
  while (cap - l->len < extra) cap *= 2;
  l->bytes = rt_xrealloc(l->bytes, cap);
  l->cap = cap;
}

void rt_lines_append(rt_lines *l, const char *s, size_t n) {
  if (l->count == l->vcap) {
    l->vcap = l->vcap ? l->vcap * 2 : 1024;
    l->views = rt_xrealloc(l->views, sizeof(dsc_str) * (size_t)l->vcap);
  }
  size_t off = l->len;
  if (all_ascii(s, n) || valid_utf8(s, n)) {
    lines_reserve(l, n);
    if (n) memcpy(l->bytes + off, s, n);
    l->len += n;
  } else {
    lines_reserve(l, n * 3);
    l->len += rt_utf8_repair(s, n, l->bytes + off, &l->invalid);
  }
  l->views[l->count].ptr = (const char *)(uintptr_t)off;
  l->views[l->count].len = (int64_t)(l->len - off);
  l->count++;
}

void rt_lines_seal(rt_lines *l) {
  if (l->sealed) return;
  for (int64_t i = 0; i < l->count; i++)
    l->views[i].ptr = l->bytes ? l->bytes + (uintptr_t)l->views[i].ptr : "";
  l->sealed = 1;
}
