/* ops.c — run-time support for the wider operator set: the table source, saveAsTextFiles,
 * format() and csv() (regexes: regex.c).
 *
 * format() conversions go through snprintf with a spec the compiler has validated; widths
 * therefore count bytes, not code points.  Files are saved through a temporary file and
 * rename(2) so a reader never sees half a batch.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

int32_t dsc_rt_source_table(dsc_rt_ctx *ctx, const char *path, int64_t path_len) {
  rt_source *s = rt_source_open_file(ctx, RT_SRC_TABLE, path, path_len);
  /* Read synchronously: the lines must be there for the first batch (markers are data here,
     see on_line in sched.c). */
  /* read, not mapped: its lines live as long as the program, and a mapping would show them
     changing if the file were rewritten in place meanwhile */
  /* in big chunks, whose pages can be huge (lines.c): a join probes the lines' keys; no bigger
     than the file, whose last chunk would else take a 2 MiB page for a few bytes */
  struct stat st;
  s->split.chunk_size = RT_TABLE_CHUNK;
  if (fstat(s->fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size < RT_TABLE_CHUNK)
    s->split.chunk_size = (size_t)st.st_size + 1;
  int r = rt_source_pump(s, s->fd);
  if (r < 0) fprintf(stderr, "%s: %s: read error: %s\n", rt_progname(ctx), s->label, strerror(errno));
  rt_source_eof(s);
  close(s->fd);
  s->fd = -1;
  rt_source_end(s);
  return s->index;
}

/* ---- saveAsTextFiles ---- */

dsc_rt_buf *dsc_rt_save_begin(dsc_rt_ctx *ctx, const dsc_rt_batch *batch, const char *prefix,
                              int64_t prefix_len, const char *suffix, int64_t suffix_len) {
  size_t n = (size_t)prefix_len + (size_t)suffix_len + 32;
  free(ctx->save_path);
  ctx->save_path = rt_xmalloc(n);
  if (suffix_len > 0)
    snprintf(ctx->save_path, n, "%.*s-%" PRId64 ".%.*s", (int)prefix_len, prefix, batch->time_ms,
             (int)suffix_len, suffix);
  else
    snprintf(ctx->save_path, n, "%.*s-%" PRId64, (int)prefix_len, prefix, batch->time_ms);
  ctx->save.len = 0;
  return &ctx->save;
}

void dsc_rt_save_end(dsc_rt_ctx *ctx, dsc_rt_buf *buf) {
  const char *path = ctx->save_path;
  if (!path) return;
  size_t n = strlen(path) + 32;
  char *tmp = rt_xmalloc(n);
  snprintf(tmp, n, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  int ok = f != NULL;
  if (ok && buf->len) ok = fwrite(buf->data, 1, buf->len, f) == buf->len;
  if (f && fclose(f) != 0) ok = 0;
  if (ok && rename(tmp, path) != 0) ok = 0;
  if (!ok) {
    fprintf(stderr, "%s: cannot write '%s': %s\n", rt_progname(ctx), path, strerror(errno));
    unlink(tmp);
  }
  free(tmp);
  buf->len = 0;
}

/* ---- format() ---- */

dsc_rt_buf *dsc_rt_scratch_buf(dsc_rt_worker *w) {
  if (!w->scratch) {
    w->scratch = rt_xmalloc(sizeof(dsc_rt_buf));
    memset(w->scratch, 0, sizeof(dsc_rt_buf));
  }
  w->scratch->len = 0;
  return w->scratch;
}

static void buf_vformat(dsc_rt_buf *b, const char *spec, int kind, int64_t i, double f, const char *s) {
  rt_buf_reserve(b, 64);
  for (;;) {
    size_t room = b->cap - b->len;
    int k = kind == 0 ? snprintf(b->data + b->len, room, spec, (long long)i)
            : kind == 1 ? snprintf(b->data + b->len, room, spec, f)
                        : snprintf(b->data + b->len, room, spec, s);
    if (k < 0) return;
    if ((size_t)k < room) {
      b->len += (size_t)k;
      return;
    }
    rt_buf_reserve(b, (size_t)k + 1);
  }
}

void dsc_rt_buf_printf_int(dsc_rt_buf *buf, const char *spec, int64_t v) {
  buf_vformat(buf, spec, 0, v, 0, NULL);
}

void dsc_rt_buf_printf_float(dsc_rt_buf *buf, const char *spec, double v) {
  buf_vformat(buf, spec, 1, 0, v, NULL);
}

/* `%s` without flags, most of a format(): straight into the buffer, without snprintf or a
 * NUL-terminated copy (a malloc per record); up to a NUL, where that copy's %s stopped. */
void dsc_rt_buf_printf_plain_str(dsc_rt_buf *buf, const char *s, int64_t n) {
  const char *nul = memchr(s, 0, (size_t)n);
  dsc_rt_buf_bytes(buf, s, nul ? nul - s : n);
}

void dsc_rt_buf_printf_str(dsc_rt_buf *buf, const char *spec, const char *s, int64_t n) {
  char *z = rt_xstrndup(s, (size_t)n);
  buf_vformat(buf, spec, 2, 0, 0, z);
  free(z);
}

void dsc_rt_buf_take(dsc_rt_worker *w, dsc_rt_buf *buf, dsc_str *out) {
  char *p = rt_arena_alloc_raw(w->rec, buf->len);
  if (buf->len) memcpy(p, buf->data, buf->len);
  out->ptr = p;
  out->len = (int64_t)buf->len;
}

/* ---- csv() ---- */

/* Splits s into at most cap fields at v; returns how many, or -1 when it has more.  A field that
 * starts with a quote runs to the closing quote ("" inside is one quote), its unquoted copy made
 * in the worker arena; any other runs to the next comma. */
static int64_t csv_split(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *v, int64_t cap) {
  char *text = NULL; /* unquoted copies of quoted fields, made on the first one */
  int64_t k = 0, i = 0, t = 0;
  for (;;) {
    if (k == cap) return -1;
    if (i < n && s[i] == '"') {
      if (!text) text = rt_arena_alloc_raw(w->rec, (size_t)n);
      int64_t start = t;
      for (i++; i < n; i++) {
        if (s[i] == '"') {
          if (i + 1 < n && s[i + 1] == '"') text[t++] = '"', i++;
          else { i++; break; }
        } else {
          text[t++] = s[i];
        }
      }
      while (i < n && s[i] != ',') text[t++] = s[i++];  /* junk after the closing quote */
      v[k].ptr = text + start, v[k].len = t - start;
    } else {
      int64_t start = i;
      const char *comma = i < n ? memchr(s + i, ',', (size_t)(n - i)) : NULL;
      i = comma ? comma - s : n;
      v[k].ptr = s + start, v[k].len = i - start;
    }
    k++;
    if (i >= n) return k;
    i++; /* the comma */
    if (i == n) { /* a trailing comma: an empty last field */
      if (k == cap) return -1;
      v[k].ptr = s + n, v[k].len = 0;
      return k + 1;
    }
  }
}

/* A line without a quote (most): its commas found 16 bytes at a time, where csv_split called
 * memchr for each field (examples/sessions' `csv()` of `u123,p45`: 122 instructions a line
 * in csv_split and its memchr calls).  Returns how many fields (at most cap), -1 when there are
 * more, -2 when the line has a quote: csv_split then says what it means. */
#ifdef __SSE2__
typedef char csv_bytes16 __attribute__((vector_size(16)));

/* The commas and quotes among the 16 bytes at q (bits 0-15). */
__attribute__((always_inline)) static inline void csv_masks(const char *q, uint32_t *commas,
                                                          uint32_t *quotes) {
  rt_bytes16 b;
  memcpy(&b, q, 16);
  *commas = (uint32_t)__builtin_ia32_pmovmskb128((csv_bytes16)(rt_bytes16)(b == ','));
  *quotes = (uint32_t)__builtin_ia32_pmovmskb128((csv_bytes16)(rt_bytes16)(b == '"'));
}

/* The same for the last m < 16 bytes of a line at q, from the aligned 16-byte blocks that hold
 * them: an aligned load stays in the page of the bytes it was made for, so it cannot fault,
 * and the bits of bytes outside [q, q + m) are dropped (json.c's block_bits does the same; the
 * sanitizer would take those bytes for an overflow). */
__attribute__((no_sanitize("address"))) static void csv_masks_tail(const char *q, int64_t m,
                                                                   uint32_t *commas,
                                                                   uint32_t *quotes) {
  uintptr_t off = (uintptr_t)q & 15;
  const char *a = q - off;
  __asm__("" : "+r"(a)); /* the optimiser must not reason about the line's object: we pass it */
  uint32_t c0, q0, c1 = 0, q1 = 0;
  csv_masks(a, &c0, &q0);
  if (off + (uintptr_t)m > 16) csv_masks(a + 16, &c1, &q1);
  uint32_t keep = ((uint32_t)1 << m) - 1;
  *commas = (uint32_t)(((uint64_t)c1 << 16 | c0) >> off) & keep;
  *quotes = (uint32_t)(((uint64_t)q1 << 16 | q0) >> off) & keep;
}
#endif

static int64_t csv_plain(const char *s, int64_t n, dsc_str *v, int64_t cap) {
  int64_t k = 0, start = 0;
  for (int64_t p = 0; p < n; p += 16) {
    uint32_t commas = 0, quotes = 0;
#ifdef __SSE2__
    if (n - p >= 16) csv_masks(s + p, &commas, &quotes);
    else csv_masks_tail(s + p, n - p, &commas, &quotes);
#else
    for (int64_t i = 0; i < 16 && p + i < n; i++)
      commas |= (uint32_t)(s[p + i] == ',') << i, quotes |= (uint32_t)(s[p + i] == '"') << i;
#endif
    if (quotes) return -2;
    for (; commas; commas &= commas - 1) {
      int64_t at = p + __builtin_ctz(commas);
      if (k == cap) return -1;
      v[k].ptr = s + start, v[k].len = at - start;
      k++, start = at + 1;
    }
  }
  if (k == cap) return -1;
  v[k].ptr = s + start, v[k].len = n - start;
  return k + 1;
}

/* A line of up to CSV_FEW fields (a lookup table's, usually) is split once, into a buffer on
 * the stack, and then copied to the arena: counting its commas first, to size the list, took as
 * many memchr calls again. */
enum { CSV_FEW = 16, CSV_SHORT = 64 };

void dsc_rt_csv_fields(dsc_rt_worker *w, const char *s, int64_t n, dsc_list *out) {
  dsc_str few[CSV_FEW];
  /* past CSV_SHORT bytes, glibc's memchr (32 bytes a step with AVX2) finds a long field's
     comma sooner than blocks of 16 (a lookup table's 73-byte lines: 2 memchr calls) */
  int64_t k = n <= CSV_SHORT ? csv_plain(s, n, few, CSV_FEW) : -2;
  if (k == -2) k = csv_split(w, s, n, few, CSV_FEW);
  dsc_str *v;
  if (k >= 0) {
    v = rt_arena_alloc_raw(w->list, sizeof(dsc_str) * (size_t)k);
    memcpy(v, few, sizeof(dsc_str) * (size_t)k);
  } else {
    int64_t cap = 1;
    for (int64_t i = 0; i < n;) { /* fields: at most commas + 1 */
      const char *comma = memchr(s + i, ',', (size_t)(n - i));
      if (!comma) break;
      cap++, i = comma - s + 1;
    }
    v = rt_arena_alloc_raw(w->list, sizeof(dsc_str) * (size_t)cap);
    k = csv_split(w, s, n, v, cap);
  }
  out->data = v;
  out->len = k;
}
