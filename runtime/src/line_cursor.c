/* line_cursor.c — how a task of a source stage walks its share of a batch's lines.
 *
 * A batch's lines are runs (lines.c): plain runs, whose lines the receiver never looked at one by
 * one, and view runs.  The tasks divide the batch by bytes, as Hadoop's line reader divides a
 * file: task t of T takes the lines that start in [t*B/T, (t+1)*B/T) of the batch's B bytes,
 * so a task that begins inside a line skips to the next \n and the task before reads past its
 * end to finish that line.  When task 0 already took the lines that start in the first bytes
 * before the batch was sealed (sched.c), the tasks divide the rest the same way.  In a view run
 * each line counts its bytes and one terminator, and a share maps to the lines in proportion.
 * The workers thus find the lines in parallel, and the batch holds no per-line view for them.
 *
 * dsc_rt_lines_next (or dsc_rt_lines_next_having, below) is called once per line from the fused
 * loop; the build compiles this file to bitcode too, so LLVM inlines it there (cg_module.c).
 */
#include <string.h>

#include "rt_internal.h"

static const rt_lines no_lines;

/* Points the cursor at the part of run cur->run that is its task's; returns 0 past the task's
 * last run.  Once a run, not once a line: external and out of line, so that programs call the
 * library's copy instead of compiling it again (cg_module.c, library_paths).  Only this file
 * calls it. */
int rt_lines_enter_run(dsc_rt_line_cursor *cur);
__attribute__((noinline)) int rt_lines_enter_run(dsc_rt_line_cursor *cur) {
  const rt_lines *l = cur->lines;
  cur->next = cur->limit = cur->run_end = cur->search_end = NULL;
  cur->view = cur->view_end = NULL;
  if (cur->run >= l->nruns || cur->run_start >= cur->hi) return 0;
  const rt_line_run *r = &l->runs[cur->run];
  int64_t a = cur->lo > cur->run_start ? cur->lo - cur->run_start : 0;
  int64_t b = cur->hi - cur->run_start < r->bytes ? cur->hi - cur->run_start : r->bytes;
  if (a >= b) return 1;
  if (r->base) {
    /* the first line that starts at or after a: after the \n at or after a - 1 (the run ends in
       one, unless its bytes changed: see dsc_rt_lines_next) */
    const char *start = r->base;
    if (a > 0) {
      start = memchr(r->base + a - 1, '\n', (size_t)(r->bytes - a + 1));
      start = start ? start + 1 : r->base + r->bytes;
    }
    cur->next = start, cur->limit = r->base + b, cur->run_end = r->base + r->bytes;
    cur->search_end = cur->run_end;
    if (b < r->bytes) { /* the task's last line ends after the \n at or after b - 1 */
      const char *last = memchr(r->base + b - 1, '\n', (size_t)(r->bytes - b + 1));
      cur->search_end = last ? last + 1 : cur->run_end;
    }
  } else {
    const dsc_str *first = l->views + r->first_view;
    cur->view = first + (int64_t)((unsigned __int128)a * (uint64_t)r->lines / (uint64_t)r->bytes);
    cur->view_end = first + (int64_t)((unsigned __int128)b * (uint64_t)r->lines / (uint64_t)r->bytes);
  }
  return 1;
}

void rt_lines_cursor_from(const rt_lines *l, int64_t from, int64_t task, int64_t ntasks,
                          dsc_rt_line_cursor *cur) {
  memset(cur, 0, sizeof *cur);
  cur->lines = l;
  if (ntasks < 1) ntasks = 1;
  if (from < 0 || from > l->bytes) from = 0;
  uint64_t bytes = (uint64_t)(l->bytes - from);
  cur->lo = from + (int64_t)((unsigned __int128)bytes * (uint64_t)task / (uint64_t)ntasks);
  cur->hi = from + (int64_t)((unsigned __int128)bytes * (uint64_t)(task + 1) / (uint64_t)ntasks);
  while (cur->run < l->nruns && cur->run_start + l->runs[cur->run].bytes <= cur->lo)
    cur->run_start += l->runs[cur->run++].bytes;
  rt_lines_enter_run(cur);
}

void rt_lines_cursor(const rt_lines *l, int64_t task, int64_t ntasks, dsc_rt_line_cursor *cur) {
  rt_lines_cursor_from(l, 0, task, ntasks, cur);
}

/* Lines that task 0 took before the batch was sealed (sched.c, "early start") are not shared
 * out again: the tasks divide the rest. */
void dsc_rt_lines_open(const dsc_rt_batch *batch, int32_t source, int64_t task, int64_t ntasks,
                       dsc_rt_line_cursor *cur) {
  const rt_lines *l = rt_batch_source_lines(batch, source);
  int64_t done = l ? rt_batch_early_bytes(batch, source) : 0;
  rt_lines_cursor_from(l ? l : &no_lines, done, task, ntasks, cur);
}

/* The current run is done: on to the next, if the task has a share of it. */
static int next_run(dsc_rt_line_cursor *cur) {
  const rt_lines *l = cur->lines;
  if (cur->run >= l->nruns) return 0;
  cur->run_start += l->runs[cur->run++].bytes;
  return rt_lines_enter_run(cur);
}

/* ---- a plain run's line ends, 64 bytes at a time ----------------------------------------------
 * Lines are often short (a word count's 50 bytes, the window benchmark's keys 14), and a memchr
 * call a line cost about 34 instructions.  The cursor keeps the \n bits of the 64-byte aligned
 * block it is in: the next line's end is a count of trailing zeros, and each byte is compared
 * once.  The word count: 355.7 -> 325.9 ms (11 interleaved runs); the window's keys: 1.6% fewer
 * instructions.  Lines that cross one or two blocks at random cost a mispredicted branch each:
 * ysb-300k-ads's 300,000 campaign lines of 74 bytes took 33.8 -> 35.0 ms to read and build.
 * An aligned block never crosses a page, so its bytes before the line or past the run are
 * mapped; a \n at or past the run's end is not taken.  AddressSanitizer would take those bytes
 * for overflows, hence no_sanitize. */
enum { NL_BLOCK = 64 };

__attribute__((no_sanitize("address"))) static inline uint64_t newline_bits(const char *block) {
  const char *b = block;
  __asm__("" : "+r"(b)); /* the optimiser must not reason about the run's object: we pass it */
  uint64_t bits = 0;
#if defined(__clang__)
  /* a compare's bool vector as bits: the program's own target (AVX2 here) picks the widths */
  typedef char bytes32 __attribute__((vector_size(32)));
  typedef _Bool bools32 __attribute__((ext_vector_type(32)));
  const bytes32 nl = (bytes32){0} + '\n';
  for (int i = 0; i < NL_BLOCK / 32; i++) {
    bytes32 v;
    memcpy(&v, __builtin_assume_aligned(b + 32 * i, 32), 32);
    uint32_t m;
    bools32 hit = __builtin_convertvector(v == nl, bools32);
    memcpy(&m, &hit, sizeof m);
    bits |= (uint64_t)m << (32 * i);
  }
#elif defined(__SSE2__)
  typedef char bytes16 __attribute__((vector_size(16)));
  const rt_bytes16 nl = (rt_bytes16){0} + '\n';
  for (int i = 0; i < NL_BLOCK / 16; i++) {
    rt_bytes16 v;
    memcpy(&v, __builtin_assume_aligned(b + 16 * i, 16), 16);
    bits |= (uint64_t)(uint16_t)__builtin_ia32_pmovmskb128((bytes16)(v == nl)) << (16 * i);
  }
#else
  for (int i = 0; i < NL_BLOCK; i++) bits |= (uint64_t)(b[i] == '\n') << i;
#endif
  return bits;
}

/* The end of the line that starts at p in the current plain run: its \n, or the run's end when
 * none is left before it (a run ends in \n, unless its bytes changed since the receiver saw them:
 * a mapped file rewritten in place, input_map.c). */
static inline const char *line_end(dsc_rt_line_cursor *cur, const char *p) {
  const char *block = cur->nl_block;
  uint64_t bits;
  uintptr_t off = (uintptr_t)p - (uintptr_t)block;
  if (off < NL_BLOCK) {
    bits = cur->nl_bits & (~(uint64_t)0 << off);
  } else {
    off = (uintptr_t)p & (NL_BLOCK - 1);
    block = p - off;
    bits = newline_bits(block) & (~(uint64_t)0 << off);
  }
  while (!bits) {
    block += NL_BLOCK;
    if (block >= cur->run_end) return cur->run_end;
    bits = newline_bits(block);
  }
  const char *end = block + __builtin_ctzll(bits);
  if (__builtin_expect(end >= cur->run_end, 0)) return cur->run_end;
  cur->nl_block = block;
  cur->nl_bits = bits & (bits - 1);
  return end;
}

int32_t dsc_rt_lines_next(dsc_rt_line_cursor *cur, dsc_str *line) {
  for (;;) {
    if (cur->next < cur->limit) {
      const char *end = line_end(cur, cur->next);
      line->ptr = cur->next;
      line->len = end - cur->next;
      cur->next = end + 1;
      return 1;
    }
    if (cur->view < cur->view_end) {
      *line = *cur->view++;
      return 1;
    }
    if (!next_run(cur)) return 0;
  }
}

/* ---- lines that may hold a literal ----------------------------------------------------------
 * A filter `contains(l, "ERROR")` or `json(l, "type").getOrElse("") == "view"` first on a
 * source often keeps few lines.  Searching for the literal across the task's bytes reaches the
 * next line that may pass in one pass, where finding each line's end and then searching the
 * line read every byte twice and paid two calls a line (ysb, which keeps one event in three:
 * 36.95 -> 31.69 M instructions).  A line is given when the literal occurs in it, or for json()
 * when it has a backslash (an escaped value may equal the literal, dsc_rt_json_may_give); the
 * filter still decides.  Only the line around each find is delimited: back to the \n before
 * it, on to the \n after it. */

enum { SAMPLE = 64, REST = 1024 };

/* Counts a line given or looked at; over SAMPLE of them, when the lines given hold more than
 * three quarters of the bytes passed, the next REST lines are given without a search. */
static void count_kept(dsc_rt_line_prefilter *f, int64_t kept, int64_t passed) {
  f->kept_bytes += kept, f->passed_bytes += passed;
  if (++f->looked < SAMPLE) return;
  if (f->kept_bytes * 4 > f->passed_bytes * 3) f->unsearched = REST;
  f->looked = 0, f->kept_bytes = f->passed_bytes = 0;
}

int32_t dsc_rt_lines_next_having(dsc_rt_line_cursor *cur, dsc_str *line,
                                 dsc_rt_line_prefilter *f, const char *lit, int64_t m,
                                 int32_t json) {
  if (m <= 0 || f->unsearched > 0) {
    f->unsearched -= f->unsearched > 0;
    return dsc_rt_lines_next(cur, line);
  }
  int quoted = json && !rt_json_may_be_bare(lit[0]);
  for (;;) {
    if (cur->next < cur->limit) {
      int64_t at = rt_search_next(cur->next, cur->search_end - cur->next, lit, m, quoted, json);
      if (at < 0) { /* none in the lines that start before limit */
        cur->next = cur->limit;
        continue;
      }
      const char *hit = cur->next + at;
      const char *start = memrchr(cur->next, '\n', (size_t)at);
      start = start ? start + 1 : cur->next;
      if (start >= cur->limit) { /* the next task's (only if the bytes changed, as below) */
        cur->next = cur->limit;
        continue;
      }
      const char *end = memchr(hit, '\n', (size_t)(cur->run_end - hit));
      if (__builtin_expect(!end, 0)) end = cur->run_end; /* see dsc_rt_lines_next */
      count_kept(f, end - start + 1, end + 1 - cur->next);
      line->ptr = start;
      line->len = end - start;
      cur->next = end + 1;
      return 1;
    }
    if (cur->view < cur->view_end) {
      const dsc_str *v = cur->view++;
      int has = rt_search_next(v->ptr, v->len, lit, m, quoted, json) >= 0;
      count_kept(f, has ? v->len + 1 : 0, v->len + 1);
      if (has) {
        *line = *v;
        return 1;
      }
      continue;
    }
    if (!next_run(cur)) return 0;
  }
}

/* ---- the record scope's turn (arena.c, "record scopes") -------------------------------------
 * Here, not in arena.c, so that the fused loop inlines it: it runs once per line. */
void dsc_rt_record_next(dsc_rt_worker *w) {
  if (__builtin_expect(++w->records % RT_RECORD_BLOCK != 0, 1)) return;
  rt_arena *turn = w->list == &w->record[0] ? &w->record[1] : &w->record[0];
  rt_arena_reset(turn);
  if (w->rec != &w->arena) w->rec = turn; /* a record scope, not a list scope */
  w->list = turn;
}
