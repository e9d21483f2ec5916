/* lines.c — turning a byte stream into lines, the way Java's BufferedReader.readLine does,
 * without copying them.
 *
 * A receiver read()s straight into big reference-counted chunks that the splitter hands out
 * (rt_split_space) and splits them in place (rt_split_commit).  The usual read (plain ASCII,
 * lines ending in \n, none too long) is passed on as one block of whole lines after a single
 * vectorised pass that counts its \n: the batch keeps it as a run of bytes, and the workers
 * find its lines themselves, in parallel (line_cursor.c).  Any other read is split line by line:
 * each complete line becomes a view into its chunk.  Either way the batch's rt_lines takes a
 * reference on every chunk its lines lie in.  Only a line that straddles the end of a chunk is
 * moved: its head is copied to the start of the next chunk, which is at least twice that head,
 * so a long line is copied O(1) times per byte.  A chunk shared by the tail of one batch and the
 * head of the next lives until both batches are freed and the receiver has moved past it; the
 * receiver only ever writes after the last complete line, so a batch sealed at any moment never
 * sees its bytes change.
 *
 * Lines end at \n, \r or \r\n (a \r at the end of one read and a \n at the start of the next are
 * one terminator); the final unterminated line counts.  Terminators are found with memchr,
 * remembering the next \n and \r of the read, so a read is scanned once whatever its mix of
 * terminators, and an incomplete line is never scanned again.  A line longer than max_line is
 * cut there (back to a code-point boundary) and the rest is read over as it arrives, so a huge
 * line never needs huge memory.
 *
 * UTF-8: the pass over every read tells whether it is plain ASCII; only the lines of a read with
 * other bytes are validated, and one with invalid sequences is repaired (each maximal invalid
 * subpart -> U+FFFD, as Java's decoder and the Unicode standard do) into a side chunk owned by
 * the rt_lines.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "rt_internal.h"

enum { REPAIR_CHUNK_MIN = 64 * 1024 };  /* first side chunk for repaired lines */

/* Chunks of the standard size (the receivers' reads) live two to a 2 MiB block, aligned and
 * advised to be one transparent huge page, and freed ones wait in a pool for the next read.
 * Each new 4 KiB page costs a fault, and under some hypervisors a fault is dear: 10 us on the
 * bench host of 2026-12-07 (shadow page tables), so a malloc'd 1 MiB chunk cost 2.6 ms before
 * its first byte, and ysb's receiver spent a third of its time there (1,500 faults).  One huge
 * page is one fault.  The pool keeps up to POOLED_CHUNKS_MAX: a chunk is only taken new when the
 * pool is empty, so the pool never holds more than the most chunks once live at the same time
 * (plus a block's second half), and peak memory is what it was; beyond that a chunk is unmapped
 * (half a block alone: its huge page is split, the other half stays). */
enum { CHUNK_SLOT = (size_t)1 << 20, CHUNK_BLOCK = 2 * CHUNK_SLOT, POOLED_CHUNKS_MAX = 16 };
_Static_assert(sizeof(rt_input_chunk) + RT_INPUT_CHUNK <= CHUNK_SLOT, "a chunk fits its slot");
static struct {
  pthread_mutex_t mu;
  void *free[POOLED_CHUNKS_MAX];
  int n;
} chunk_pool = {.mu = PTHREAD_MUTEX_INITIALIZER};

/* Keeps the slot in the pool, or unmaps it when the pool is full. */
static void pool_put(void *slot) {
  pthread_mutex_lock(&chunk_pool.mu);
  int kept = chunk_pool.n < POOLED_CHUNKS_MAX;
  if (kept) chunk_pool.free[chunk_pool.n++] = slot;
  pthread_mutex_unlock(&chunk_pool.mu);
  if (!kept) munmap(slot, CHUNK_SLOT);
}

/* A slot for a standard chunk: from the pool, else the first half of a new block (the second
 * goes to the pool). */
static void *pool_take(void) {
  pthread_mutex_lock(&chunk_pool.mu);
  void *slot = chunk_pool.n ? chunk_pool.free[--chunk_pool.n] : NULL;
  pthread_mutex_unlock(&chunk_pool.mu);
  if (slot) return slot;
  char *block = rt_map_huge(CHUNK_BLOCK);
  pool_put(block + CHUNK_SLOT);
  return block;
}

/* A chunk of RT_HUGE_MIN bytes or more (a table()'s lines, read in 8 MiB chunks) is huge pages
 * of its own (rt_map_huge): malloc'd, a quarter of each chunk was 4 KiB pages, and reading a
 * 300,000-line lookup table took 1,450 page faults. */
static int mapped_chunk(size_t cap) { return sizeof(rt_input_chunk) + cap >= RT_HUGE_MIN; }

rt_input_chunk *rt_input_chunk_new(size_t cap) {
  rt_input_chunk *c = cap == RT_INPUT_CHUNK ? pool_take() : NULL;
  if (!c) c = mapped_chunk(cap) ? rt_map_huge(sizeof *c + cap) : rt_xmalloc(sizeof *c + cap);
  c->refs = 1;
  c->cap = cap;
  c->data = (char *)(c + 1);
  c->map = NULL;
  c->own = 0;
  return c;
}

rt_input_chunk *rt_input_chunk_of_map(rt_input_map *map, char *data, size_t cap) {
  rt_input_chunk *c = rt_xmalloc(sizeof *c);
  rt_input_map_hold(map);
  *c = (rt_input_chunk){.refs = 1, .cap = cap, .data = data, .map = map, .own = cap};
  return c;
}

void rt_input_chunk_hold(rt_input_chunk *c) { __atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED); }

void rt_input_chunk_release(rt_input_chunk *c) {
  /* acq_rel: every holder's reads of the bytes happen before the free */
  if (!c || __atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  if (c->map) {
    rt_input_map_drop(c->map, c->data, c->own);
    rt_input_map_release(c->map);
    free(c);
    return;
  }
  if (c->cap == RT_INPUT_CHUNK) pool_put(c);
  else if (mapped_chunk(c->cap)) rt_unmap_huge(c, sizeof *c + c->cap);
  else free(c);
}

/* What one pass over a read finds: whether it is plain ASCII, whether it has a \r, and how many
 * \n it has.  That is all the splitter needs to pass the usual read on as one block.  Two GCC
 * vectors a step: 16 bytes each (SSE2, every x86-64), or 32 in the version for a CPU with AVX2
 * (ysb's receiver, callgrind: 7.0 -> 3.0 M instructions for 40,000 events), picked at start-up.
 * One text for both, as a macro: a 32-byte vector outside AVX2 code is split into bytes. */
typedef struct read_scan {
  int ascii;         /* no byte >= 0x80 */
  int cr;            /* some \r */
  int64_t newlines;  /* \n count */
} read_scan;

#define SCAN_READ_BODY(V, W)                                                                     \
  V any = {0}, cr = {0};                                                                         \
  const V cr_byte = (V){0} + '\r', nl_byte = (V){0} + '\n';                                       \
  int64_t newlines = 0;                                                                          \
  size_t i = 0;                                                                                  \
  while (i + 2 * (W) <= n) {                                                                     \
    V nl = {0}; /* per-lane counts, summed before they can wrap */                               \
    for (int step = 0; step < 127 && i + 2 * (W) <= n; step++, i += 2 * (W)) {                   \
      V v, w;                                                                                    \
      memcpy(&v, s + i, W);                                                                      \
      memcpy(&w, s + i + (W), W);                                                                \
      any |= v | w;                                                                              \
      cr |= (V)(v == cr_byte) | (V)(w == cr_byte);                                               \
      nl -= (V)(v == nl_byte) + (V)(w == nl_byte); /* a match is 0xFF: -1 */                     \
    }                                                                                            \
    for (int k = 0; k < (W); k++) newlines += nl[k];                                             \
  }                                                                                              \
  unsigned char any_tail = 0, cr_tail = 0;                                                       \
  for (; i < n; i++) {                                                                           \
    unsigned char c = (unsigned char)s[i];                                                       \
    any_tail |= c, cr_tail |= c == '\r', newlines += c == '\n';                                   \
  }                                                                                              \
  for (int k = 0; k < (W); k++) any_tail |= any[k], cr_tail |= cr[k];                            \
  return (read_scan){.ascii = any_tail < 0x80, .cr = cr_tail != 0, .newlines = newlines};

static read_scan scan_read_generic(const char *s, size_t n) { SCAN_READ_BODY(rt_bytes16, 16) }

static read_scan (*scan_read)(const char *s, size_t n) = scan_read_generic;

#if RT_X86_DISPATCH
typedef unsigned char bytes32 __attribute__((vector_size(32)));
__attribute__((target("avx2"))) static read_scan scan_read_avx2(const char *s, size_t n) {
  SCAN_READ_BODY(bytes32, 32)
}

/* Before main, while there is one thread. */
__attribute__((constructor)) static void pick_scan_read(void) {
  if (rt_cpu_has_avx2()) scan_read = scan_read_avx2;
}
#endif
#undef SCAN_READ_BODY

int64_t rt_count_newlines(const char *s, size_t n) { return scan_read(s, n).newlines; }

/* ---- the splitter ---- */

void rt_splitter_init(rt_splitter *sp, int64_t max_line) {
  memset(sp, 0, sizeof *sp);
  sp->max_line = max_line > 0 ? max_line : RT_DEFAULT_MAX_LINE;
  sp->chunk_size = RT_INPUT_CHUNK;
  sp->part_ascii = 1;
}

void rt_splitter_free(rt_splitter *sp) {
  rt_input_chunk_release(sp->chunk);
  sp->chunk = NULL;
  sp->filled = sp->line_start = 0;
}

char *rt_split_space(rt_splitter *sp, size_t want, size_t *room) {
  if (!want) want = 1;
  if (!sp->chunk || sp->chunk->map || sp->chunk->cap - sp->filled < want) { /* a map is read-only */
    size_t head = sp->chunk ? sp->filled - sp->line_start : 0;
    size_t cap = sp->chunk_size;
    /* The first chunk is small and malloc'd: a short input (a one-line run, a trickling
       socket) then touches a page or two, where a standard chunk's huge page is 2 MiB zeroed
       on its first touch (0.2-0.4 ms of a one-line run's 4.6 ms on the bench host).  A long
       input reads on in standard chunks. */
    if (!sp->made_chunk && cap > RT_FIRST_CHUNK) cap = RT_FIRST_CHUNK;
    sp->made_chunk = 1;
    if (cap < 2 * head) cap = 2 * head;
    if (cap < head + want) cap = head + want;
    rt_input_chunk *c = rt_input_chunk_new(cap);
    if (head) memcpy(c->data, sp->chunk->data + sp->line_start, head);
    rt_input_chunk_release(sp->chunk);  /* views of its complete lines hold their own */
    sp->chunk = c, sp->line_start = 0, sp->filled = head;
  }
  *room = sp->chunk->cap - sp->filled;
  return sp->chunk->data + sp->filled;
}

/* Largest cut <= max that does not split a UTF-8 sequence (if s[max] continues one). */
static size_t cut_length(const char *s, size_t n, size_t max) {
  if (n <= max) return n;
  size_t k = max;
  for (int back = 0; back < 3 && k > 0 && ((unsigned char)s[k] & 0xC0) == 0x80; back++) k--;
  return ((unsigned char)s[k] & 0xC0) == 0x80 ? max : k;
}

static void emit(rt_splitter *sp, const char *s, size_t n, int64_t orig, int ascii, rt_line_fn fn,
                 void *env) {
  rt_line line = {.s = s, .n = n, .orig_len = orig, .line_no = ++sp->line_no, .ascii = ascii};
  fn(env, sp->chunk, &line);
}

void rt_split_commit(rt_splitter *sp, size_t n, rt_line_fn fn, void *env) {
  if (!n) return; /* an empty read keeps a pending \r */
  char *data = sp->chunk->data;
  size_t start = sp->filled, end = start + n, pos = start;
  sp->filled = end;
  read_scan scan = scan_read(data + start, n);
  int read_ascii = scan.ascii;
  int head_ascii = sp->part_ascii && read_ascii; /* the line begun in earlier reads */
  if (sp->after_cr) {
    sp->after_cr = 0;
    if (data[pos] == '\n') sp->line_start = ++pos, scan.newlines--;
  }
  /* The usual read: ASCII, \n only, in a chunk no longer than a line may be (so no line needs
     cutting).  Its whole lines go on as one block; the workers find each line. */
  if (sp->block_fn && head_ascii && !scan.cr && !sp->cut_orig &&
      sp->chunk->cap <= (size_t)sp->max_line) {
    if (scan.newlines) {
      const char *last = memrchr(data + pos, '\n', end - pos);
      size_t stop = (size_t)(last - data) + 1;
      sp->block_fn(env, sp->chunk, data + sp->line_start, stop - sp->line_start, scan.newlines);
      sp->line_no += scan.newlines;
      sp->line_start = stop;
    }
    sp->part_ascii = 1;
    return;
  }
  const char *nl = NULL, *cr = NULL; /* next terminators at or after pos, NULL = not searched */
  const char *stop = data + end;
  while (pos < end) {
    const char *p = data + pos;
    if (!nl || nl < p) nl = memchr(p, '\n', end - pos), nl = nl ? nl : stop;
    if (!cr || cr < p) cr = memchr(p, '\r', end - pos), cr = cr ? cr : stop;
    const char *t = nl < cr ? nl : cr;
    if (t == stop) break;
    size_t tpos = (size_t)(t - data);
    const char *s = data + sp->line_start;
    int ascii = sp->line_start < start ? head_ascii : read_ascii;
    if (sp->cut_orig) {
      emit(sp, s, sp->cut_kept, sp->cut_orig + (int64_t)(tpos - start), ascii, fn, env);
      sp->cut_orig = 0;
    } else {
      size_t len = tpos - sp->line_start;
      emit(sp, s, cut_length(s, len, (size_t)sp->max_line), (int64_t)len, ascii, fn, env);
    }
    pos = tpos + 1;
    if (*t == '\r') {
      if (pos < end && data[pos] == '\n') pos++;
      else if (pos == end) sp->after_cr = 1;
    }
    sp->line_start = pos;
  }
  /* [line_start, end) is now the incomplete line. */
  sp->part_ascii = sp->line_start < start ? head_ascii : read_ascii;
  if (sp->cut_orig) {
    sp->cut_orig += (int64_t)(end - start);
    sp->filled = sp->line_start + sp->cut_kept; /* the next read goes over the dropped bytes */
  } else if (end - sp->line_start > (size_t)sp->max_line) {
    size_t len = end - sp->line_start;
    sp->cut_kept = cut_length(data + sp->line_start, len, (size_t)sp->max_line);
    sp->cut_orig = (int64_t)len;
    sp->filled = sp->line_start + sp->cut_kept;
  }
}

void rt_split_feed(rt_splitter *sp, const char *data, size_t n, rt_line_fn fn, void *env) {
  while (n) {
    size_t room;
    char *p = rt_split_space(sp, 1, &room);
    size_t k = room < n ? room : n;
    memcpy(p, data, k);
    rt_split_commit(sp, k, fn, env);
    data += k, n -= k;
  }
}

void rt_split_mapped(rt_splitter *sp, rt_input_map *map, const char *p, size_t n, rt_line_fn fn,
                     void *env) {
  size_t head = sp->chunk ? sp->filled - sp->line_start : 0;
  int follows = !head || (sp->chunk->map == map && sp->chunk->data + sp->filled == p);
  if (!n || sp->cut_orig || !follows) {
    rt_split_feed(sp, p, n, fn, env);
    return;
  }
  rt_input_chunk *c = rt_input_chunk_of_map(map, (char *)p - head, head + n);
  /* The incomplete line's pages are the new chunk's now; the old chunk must not give them back
     (its last reference may go on another thread: the release orders this store before it). */
  if (sp->chunk && sp->chunk->map) sp->chunk->own = sp->line_start;
  rt_input_chunk_release(sp->chunk);
  sp->chunk = c, sp->line_start = 0, sp->filled = head;
  rt_split_commit(sp, n, fn, env);
}

void rt_split_finish(rt_splitter *sp, rt_line_fn fn, void *env) {
  if (sp->chunk && (sp->filled > sp->line_start || sp->cut_orig)) {
    const char *s = sp->chunk->data + sp->line_start;
    size_t len = sp->filled - sp->line_start;
    emit(sp, s, len, sp->cut_orig ? sp->cut_orig : (int64_t)len, sp->part_ascii, fn, env);
    sp->line_start = sp->filled;
  }
  sp->cut_orig = 0, sp->after_cr = 0, sp->part_ascii = 1;
  /* A chunk grown for a long line or a big file is not kept for a stream that may stay idle. */
  if (sp->chunk && sp->chunk->cap > sp->chunk_size) rt_splitter_free(sp);
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

/* ---- per-batch lines: plain runs and views ---- */

void rt_lines_init(rt_lines *l) { memset(l, 0, sizeof *l); }

void rt_lines_free(rt_lines *l) {
  for (int64_t i = 0; i < l->nchunks; i++) rt_input_chunk_release(l->chunks[i]);
  free(l->chunks);
  free(l->views);
  free(l->runs);
  rt_lines_init(l);
}

/* The run new lines go to: the last one if it is of the same kind (and, for a plain run, the
 * bytes follow it in the same chunk), else a new one.  A plain run never crosses chunks, even
 * where the chunks of a mapped file meet, so that the chunks behind a run can be let go
 * (sched.c's release_behind). */
static rt_line_run *lines_run(rt_lines *l, const char *base, int same_chunk) {
  if (l->nruns) {
    rt_line_run *last = &l->runs[l->nruns - 1];
    if (base ? same_chunk && last->base && last->base + last->bytes == base : !last->base)
      return last;
  }
  if (l->nruns == l->rcap) {
    l->rcap = l->rcap ? l->rcap * 2 : 16;
    l->runs = rt_xrealloc(l->runs, sizeof(rt_line_run) * (size_t)l->rcap);
  }
  l->runs[l->nruns] = (rt_line_run){.base = base, .first_view = l->nviews};
  return &l->runs[l->nruns++];
}

/* Adds a reference the caller already took to the list released with l. */
static void lines_keep(rt_lines *l, rt_input_chunk *c) {
  if (l->nchunks == l->ccap) {
    l->ccap = l->ccap ? l->ccap * 2 : 8;
    l->chunks = rt_xrealloc(l->chunks, sizeof(rt_input_chunk *) * (size_t)l->ccap);
  }
  l->chunks[l->nchunks++] = c;
}

/* Stores s[0..n) repaired in the side chunk; returns where, with its length in *len. */
static const char *lines_repair(rt_lines *l, const char *s, size_t n, size_t *len) {
  if (!l->repair || l->repair->cap - l->repair_len < 3 * n) {
    l->repair = rt_input_chunk_new(3 * n > REPAIR_CHUNK_MIN ? 3 * n : REPAIR_CHUNK_MIN);
    l->repair_len = 0;
    lines_keep(l, l->repair);
  }
  char *out = l->repair->data + l->repair_len;
  *len = rt_utf8_repair(s, n, out, &l->invalid);
  l->repair_len += *len;
  return out;
}

/* Holds chunk for l unless it is the chunk listed last.  Lines arrive in stream order, so a
 * chunk seen before is the last one listed (or, after a repair, one back: listing it twice is
 * harmless, each entry holds its own reference). */
static void lines_hold(rt_lines *l, rt_input_chunk *chunk) {
  if (!l->nchunks || l->chunks[l->nchunks - 1] != chunk) {
    rt_input_chunk_hold(chunk);
    lines_keep(l, chunk);
  }
}

void rt_lines_add_block(rt_lines *l, rt_input_chunk *chunk, const char *s, size_t n,
                        int64_t lines) {
  int same_chunk = l->nchunks && l->chunks[l->nchunks - 1] == chunk;
  lines_hold(l, chunk);
  rt_line_run *r = lines_run(l, s, same_chunk);
  r->bytes += (int64_t)n, r->lines += lines;
  l->bytes += (int64_t)n, l->count += lines;
}

void rt_lines_add(rt_lines *l, rt_input_chunk *chunk, const char *s, size_t n, int ascii) {
  if (l->nviews == l->vcap) {
    l->vcap = l->vcap ? l->vcap * 2 : 1024;
    l->views = rt_xrealloc(l->views, sizeof(dsc_str) * (size_t)l->vcap);
  }
  if (!ascii && !scan_read(s, n).ascii && !valid_utf8(s, n)) s = lines_repair(l, s, n, &n);
  else lines_hold(l, chunk);
  rt_line_run *r = lines_run(l, NULL, 0);
  r->bytes += (int64_t)n + 1, r->lines++;
  l->bytes += (int64_t)n + 1, l->count++;
  l->views[l->nviews].ptr = s;
  l->views[l->nviews].len = (int64_t)n;
  l->nviews++;
}
