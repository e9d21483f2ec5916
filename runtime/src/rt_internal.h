/* rt_internal.h — what the runtime's files share and the unit tests reach into.
 *
 * Generated code sees only dsc_rt.h.  This header defines the opaque structs, the arena, the
 * line splitter that every source feeds, the command-line model and the scheduler entry point.
 * Functions here are prefixed rt_; they are not part of the ABI and may change freely.  Nothing
 * here refers to dsc_gen_*: main.c hands those to rt_main as function pointers, so the unit tests
 * can link the library without a generated module.
 */
#ifndef DSC_RT_INTERNAL_H
#define DSC_RT_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "dsc_rt.h"

#define RT_VERSION "0.1.0"
#define RT_DEFAULT_MAX_LINE ((int64_t)64 * 1024 * 1024)
#define RT_DEFAULT_EARLY_BYTES ((int64_t)256 * 1024)
#define RT_DEFAULT_SHARE_BYTES ((int64_t)4 << 20)
#define RT_DEFAULT_MIN_TASK_BYTES ((int64_t)64 * 1024)

/* ---- arena.c: bump allocation in big chunks, reset at batch end ---------------------------- */

typedef struct rt_chunk rt_chunk;
typedef struct rt_arena {
  rt_chunk *head;  /* chunk being filled; older ones follow through ->next */
  char *cur;       /* next free byte in head */
  char *end;       /* end of head's space */
  size_t first;    /* size of the first chunk (0: 64 KiB); stores start small */
  int huge;        /* big chunks ask for huge pages (rt_advise_huge): memory kept and probed */
} rt_arena;

void rt_arena_init(rt_arena *a);
/* 16-byte aligned, NOT zeroed (for bytes about to be overwritten).  The room check is inline
 * (it runs for every csv() list, string copy and vec header: a call cost 29 instructions); a new
 * chunk is rt_arena_alloc_slow's, given the rounded size. */
void *rt_arena_alloc_slow(rt_arena *a, size_t size);
static inline void *rt_arena_alloc_raw(rt_arena *a, size_t size) {
  size = (size + 15) & ~(size_t)15;
  if (__builtin_expect(a->end && (size_t)(a->end - a->cur) >= size, 1)) {
    void *p = a->cur;
    a->cur += size;
    return p;
  }
  return rt_arena_alloc_slow(a, size);
}
/* Frees every chunk but one (the first, so the next batch does not go back to malloc). */
void rt_arena_reset(rt_arena *a);
void rt_arena_free(rt_arena *a);

/* Something a worker must release at batch end (tables and vecs own malloc'd storage). */
typedef struct rt_owned {
  struct rt_owned *next;     /* next object owned by the same worker */
  void (*release)(void *);   /* frees the object's malloc'd storage */
} rt_owned;

/* A worker's own compiled copy of a regex (regex.c). */
typedef struct rt_regex_copy {
  const void *of;     /* the program's regex (dsc_rt_regex_new) */
  void *compiled;     /* regex_t */
} rt_regex_copy;

/* Each worker on cache lines of its own (RT_LINE_PAIR, as the adjacent-line prefetcher fetches
 * lines in pairs): a thread's allocations write arena.cur on every string they make, and a line
 * shared with the next worker's fields went back and forth between the cores. */
#define RT_LINE_PAIR 128
struct dsc_rt_worker {
  _Alignas(RT_LINE_PAIR) rt_arena arena; /* batch memory */
  rt_arena *rec;                      /* where the string functions put what they make: &arena,
                                         or in a record scope one of record[] */
  rt_arena *list;                     /* where the list functions put theirs: rec, or in a list
                                         scope one of record[] while rec is &arena */
  rt_arena record[2];                 /* a record scope's two halves (dsc_rt_record_scope) */
  int64_t records;                    /* records of the scope so far */
  rt_owned *owned;                    /* tables / vecs to release at batch end */
  int64_t errors[DSC_RT_ERR_COUNT_];  /* run-time error counts of this batch */
  int32_t index;                      /* 0 = main thread */
  struct dsc_rt_buf *scratch;         /* dsc_rt_scratch_buf, made on first use */
  rt_regex_copy *regexes;             /* the regexes this worker has matched, its own copies */
  int32_t nregex;
};

/* Records a record scope's two arenas take turns at (arena.c, "record scopes"). */
enum { RT_RECORD_BLOCK = 64 };

void rt_worker_init(dsc_rt_worker *w, int32_t index);
void rt_worker_own(dsc_rt_worker *w, rt_owned *o);
/* Releases owned objects, resets the arena and the error counters. */
void rt_worker_reset(dsc_rt_worker *w);
void rt_worker_free(dsc_rt_worker *w);

/* Tables and vecs for any owner: the header and keys go in `arena`, the release hook on the
 * `owner` list (a worker's, or a store's).  dsc_rt_table_new / dsc_rt_vec_new use the worker. */
dsc_rt_table *rt_table_make(rt_arena *arena, rt_owned **owner, int64_t payload_size);
dsc_rt_vec *rt_vec_make(rt_arena *arena, rt_owned **owner, int64_t elem_size);

/* 16 bytes as one GCC vector: the SSE2 width every x86-64 has, for the byte scans of lines.c and
 * json.c (wider vectors are split into scalar code when the runtime is built without -march). */
typedef unsigned char rt_bytes16 __attribute__((vector_size(16)));

/* The hottest byte scans (json.c's quote blocks, lines.c's scan of each read, search.c) also
 * have a version compiled for AVX2, which a constructor picks when the CPU has it: the runtime
 * library is built for every x86-64, the generated code for the target's CPU.  DSC_NO_AVX2 in
 * the environment keeps the generic versions (the unit tests run both). */
#if defined(__x86_64__) && defined(__GNUC__)
#define RT_X86_DISPATCH 1
static inline int rt_cpu_has_avx2(void) {
  if (getenv("DSC_NO_AVX2")) return 0;
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2");
}
/* A few scans also have an AVX-512 version (64-byte compares giving masks); DSC_NO_AVX512 keeps
 * the AVX2 ones, DSC_NO_AVX2 the generic ones. */
static inline int rt_cpu_has_avx512bw(void) {
  if (getenv("DSC_NO_AVX512") || !rt_cpu_has_avx2()) return 0;
  return __builtin_cpu_supports("avx512bw");
}
#else
#define RT_X86_DISPATCH 0
#endif

/* Memory that is read at random all over (a big hash table, a lookup table's lines, the chunks
 * of the arena a static stage builds in) misses the TLB on nearly every access with 4 KiB pages.
 * A block of RT_HUGE_MIN bytes or more asks for 2 MiB pages instead (transparent huge pages,
 * which Debian gives to memory that asks), one TLB entry covering what 512 did: ysb-300k-ads,
 * whose 300,000 ads are looked up by every event, 128 -> 95 ms; the 1,000,000-key window on two
 * threads 415 -> 335 ms (medians of 7).  Only pages not yet written can become huge, so a block
 * asks as soon as it is allocated.  rt_advise_huge asks for a malloc'd block's 2 MiB-aligned
 * interior: a batch's big tables, which glibc's heap keeps for the next batch's; what lasts or
 * is given back whole is mapped whole instead (rt_map_huge, below). */
enum { RT_HUGE_MIN = 4 << 20, RT_HUGE_PAGE = 2 << 20 };
void rt_advise_huge(void *p, size_t n);
/* Memory that lasts or is given back whole (a table()'s lines, a static stage's arena and
 * tables): a mapping of its own, 2 MiB-aligned and advised huge, so that all of it can be huge
 * pages; malloc'd and advised, its first and last 2 MiB were 4 KiB pages, each a page fault
 * (about 5 us on the bench host).  rt_huge_len(n) is the length mapped for n bytes: n rounded
 * up to 2 MiB, which is what rt_unmap_huge takes. */
size_t rt_huge_len(size_t n);
void *rt_map_huge(size_t n);
void rt_unmap_huge(void *p, size_t n);

/* Names a thread for the tools that list them (perf --sort comm, top -H, gdb): `name`, or
 * `name-N` when n >= 0; cut to the 15 bytes Linux keeps.  Failure is harmless and ignored. */
void rt_name_thread(pthread_t t, const char *name, int64_t n);

/* Aborts with a message: the only response to running out of memory. */
_Noreturn void rt_oom(void);
void *rt_xmalloc(size_t n);
/* n bytes aligned to `align` (a power of two that divides n). */
void *rt_xaligned(size_t align, size_t n);
void *rt_xrealloc(void *p, size_t n);
char *rt_xstrndup(const char *s, size_t n);

/* ---- fmt.c: output buffers and Python formatting ------------------------------------------- */

struct dsc_rt_buf {
  char *data;  /* malloc'd bytes */
  size_t len;  /* bytes used */
  size_t cap;  /* bytes allocated */
};

void rt_buf_free(dsc_rt_buf *b);
void rt_buf_reserve(dsc_rt_buf *b, size_t extra);
void rt_buf_cstr(dsc_rt_buf *b, const char *s);
/* Python repr(float) into out (at least 32 bytes); returns the length. */
int rt_float_repr(double v, char *out);
/* Decimal int64 into out (at least 21 bytes); returns the length. */
int rt_int_format(int64_t v, char *out);
/* `YYYY-MM-DD HH:MM:SS[.ffffff]` in local time; out at least 40 bytes. */
void rt_format_time(int64_t ms, char *out, size_t outsz);

/* ---- str.c: UTF-8 helpers shared by formatting and sources --------------------------------- */

/* Decodes one code point at s[0..n), n >= 1; sets *len to the bytes used (1 for an invalid
 * byte, with -1 returned). */
int32_t rt_utf8_decode(const unsigned char *s, int64_t n, int *len);
int rt_utf8_encode(uint32_t cp, char *out);
int rt_is_space(uint32_t cp);

/* ---- regex.c ---------------------------------------------------------------------------------
 * The longest string every match of the POSIX extended regex pattern[0..len) contains, into out
 * (room for len bytes); its length, 0 when there is none or the pattern is not understood. */
int64_t rt_regex_required_literal(const char *pattern, int64_t len, char *out);
/* ---- regex_simple.c -------------------------------------------------------------------------
 * A regex whose match from any start is forced (characters and bracket expressions, each maybe
 * repeated, at most one group, no repeated item able to take what begins the rest), matched
 * without regexec.  rt_sre_compile gives NULL for any other. */
typedef struct rt_sre rt_sre;
rt_sre *rt_sre_compile(const char *pattern, int64_t len);
void rt_sre_free(rt_sre *re);
/* POSIX's first match in s: 1 and m[0..1] its bounds, m[2..3] group 1's (-1 without a group);
 * 0 when there is none. */
int rt_sre_match(const rt_sre *re, const char *s, int64_t n, int64_t m[4]);
/* When the regex is nothing but literal characters (escaped specials included), maybe after ^
 * and before $: their bytes into out, *anchors 1 for the ^ and 2 for the $; their count, or -1.
 * Such a regex is a plain search (contains, startsWith, endsWith, ==). */
int64_t rt_sre_literal(const rt_sre *re, char *out, int *anchors);
/* The same from the pattern (rt_sre_compile, then rt_sre_literal). */
int64_t rt_regex_plain(const char *pattern, int64_t len, char *out, int *anchors);
/* Whether c has a meaning of its own in an extended regex (`.[]()*+?{}|^$\`). */
int rt_regex_special(char c);
/* ---- regex_dfa.c ------------------------------------------------------------------------------
 * matches() as a DFA over bytes (no groups): NULL for a pattern outside the subset it takes or
 * whose automaton would be too big.  Immutable once made: the workers share it. */
typedef struct rt_dfa rt_dfa;
rt_dfa *rt_dfa_compile(const char *pattern, int64_t len);
void rt_dfa_free(rt_dfa *d);
/* Whether the regex matches somewhere in s[0..n), as regexec with REG_STARTEND would say. */
int rt_dfa_match(const rt_dfa *d, const char *s, int64_t n);
/* Frees a regex of dsc_rt_regex_new (a program's live as long as it does); the workers' copies
 * of it must be gone first (rt_worker_free_regexes), as they are known by its address. */
void rt_regex_free(void *re);
/* Frees the worker's copies of regexes (rt_worker_free). */
void rt_worker_free_regexes(dsc_rt_worker *w);

/* ---- search.c ------------------------------------------------------------------------------
 * The position of the first lit[0..m) (m >= 2) in s[0..n), or -1 (dsc_rt_str_find). */
int64_t rt_find(const char *s, int64_t n, const char *lit, int64_t m);
/* The position of the first lit[0..m) (1 <= m) in s[0..n), between quotes when `quoted`, or
 * with `escapes` of the first backslash if that comes first; -1 if neither is there: the search
 * behind dsc_rt_json_may_give (str_scan.c) and dsc_rt_lines_next_having (line_cursor.c). */
int64_t rt_search_next(const char *s, int64_t n, const char *lit, int64_t m, int quoted,
                       int escapes);
/* Whether a literal that begins with `first` may be the text of a JSON value other than a
 * string (json.c's skip_other_value): json() gives such a value as it stands, unquoted. */
static inline int rt_json_may_be_bare(char first) {
  switch (first) {
  case '-': case 't': case 'f': case 'n': case 'N': case 'I': case '[': case '{': return 1;
  default: return first >= '0' && first <= '9';
  }
}

/* ---- lines.c: input chunks, line splitting, UTF-8 repair, per-batch line views ------------ */

/* Data bytes of a receiver's read chunk: 1 MiB less room for the chunk's and malloc's headers,
 * so an (mmapped) chunk is 256 whole pages. */
#define RT_INPUT_CHUNK (((size_t)1 << 20) - 64)
/* A stream's first chunk, smaller: see rt_split_space. */
#define RT_FIRST_CHUNK (((size_t)64 << 10) - 64)
/* A static table()'s chunks: its lines live as long as the program and are probed at random by
 * joins, so they come in chunks big enough for huge pages (rt_advise_huge). */
#define RT_TABLE_CHUNK (((size_t)8 << 20) - 64)

/* A regular file mapped by its receiver (input_map.c). */
typedef struct rt_input_map rt_input_map;

/* Bytes a receiver read() into, or a window of a mapped file, shared by the batches whose lines
 * point into them.  Freed when the last reference goes: one is the receiver's while it still
 * reads into or splits the chunk, and each rt_lines with a view into it holds one.  Chunks never
 * move or grow. */
typedef struct rt_input_chunk {
  int64_t refs;        /* holders (atomic: released by the receiver and by whoever frees a batch) */
  size_t cap;          /* bytes of data */
  char *data;          /* the input: just after this header, or inside map */
  rt_input_map *map;   /* the mapping data lies in (one reference held), or NULL */
  size_t own;          /* mapped: the first `own` bytes, whose pages no later chunk needs */
} rt_input_chunk;

/* A new chunk with one reference, the caller's. */
rt_input_chunk *rt_input_chunk_new(size_t cap);
/* A chunk of the cap bytes at data, inside map (which it holds), with one reference. */
rt_input_chunk *rt_input_chunk_of_map(rt_input_map *map, char *data, size_t cap);
void rt_input_chunk_hold(rt_input_chunk *c);
/* Drops one reference (NULL: nothing); the last one frees the chunk. */
void rt_input_chunk_release(rt_input_chunk *c);

/* One complete line found by the splitter. */
typedef struct rt_line {
  const char *s;     /* its bytes, inside the chunk passed along */
  size_t n;          /* bytes kept (already cut to the maximum) */
  int64_t orig_len;  /* length before truncation */
  int64_t line_no;   /* from 1 */
  int ascii;         /* known to be plain ASCII: no UTF-8 check needed */
} rt_line;

/* Called for every complete line; chunk holds line->s for as long as the callee holds it. */
typedef void (*rt_line_fn)(void *env, rt_input_chunk *chunk, const rt_line *line);
/* Called instead for a block of `lines` whole lines s[0..n), each ending in \n, plain ASCII,
 * no \r, none longer than the maximum: the usual input, passed on without a look at each line. */
typedef void (*rt_block_fn)(void *env, rt_input_chunk *chunk, const char *s, size_t n,
                            int64_t lines);

/* Receiver-private: the chunk being read into and the line that is not complete yet. */
typedef struct rt_splitter {
  rt_input_chunk *chunk;  /* being filled (one reference held), NULL before the first read */
  size_t filled;          /* bytes of chunk->data holding input */
  size_t line_start;      /* the incomplete line is [line_start, filled): no terminator in it */
  int64_t cut_orig;       /* > 0: that line was cut to cut_kept bytes; its real length so far */
  size_t cut_kept;        /* bytes of a cut line kept at line_start */
  int part_ascii;         /* the incomplete line's bytes are all ASCII */
  int after_cr;           /* the last read ended in \r: a leading \n belongs to it */
  int64_t max_line;       /* longest line kept, in bytes */
  int64_t line_no;        /* lines emitted so far */
  size_t chunk_size;      /* size of a new chunk unless a long line needs more (tests shrink it) */
  int made_chunk;         /* a chunk was made: the first is at most RT_FIRST_CHUNK (lines.c) */
  rt_block_fn block_fn;   /* NULL: every line goes to the line callback */
} rt_splitter;

void rt_splitter_init(rt_splitter *sp, int64_t max_line);
/* Releases the chunk: the receiver is done (any incomplete line is lost). */
void rt_splitter_free(rt_splitter *sp);
/* Where the next read goes: at least `want` bytes (0 counts as 1) after the input in the chunk;
 * *room is the space there.  Starts a new chunk when the current one has less room, moving the
 * incomplete line to its start.  Touches only receiver-private state: call it without locks. */
char *rt_split_space(rt_splitter *sp, size_t want, size_t *room);
/* The n bytes just written at rt_split_space's pointer are input: calls fn for each line they
 * complete, or sp->block_fn (when set) once for all of them when they are plain lines. */
void rt_split_commit(rt_splitter *sp, size_t n, rt_line_fn fn, void *env);
/* For bytes the caller owns: copies them into chunks and commits them. */
void rt_split_feed(rt_splitter *sp, const char *data, size_t n, rt_line_fn fn, void *env);
/* For n bytes at p inside map, which follow the input split so far: they become a chunk that
 * begins with the incomplete line, so nothing is copied.  (When the input split so far does not
 * end just before p in the same mapping, they are fed like any bytes.) */
void rt_split_mapped(rt_splitter *sp, rt_input_map *map, const char *p, size_t n, rt_line_fn fn,
                     void *env);
/* End of input: a final line without terminator is emitted (if any bytes are pending).  A chunk
 * grown past chunk_size is let go, so an idle stream does not hold it. */
void rt_split_finish(rt_splitter *sp, rt_line_fn fn, void *env);

/* A stretch of a batch's lines, in input order.  A plain run is `bytes` bytes of a chunk holding
 * `lines` whole lines, each ending in \n; it has no view per line, so the batch's input costs
 * no more than its bytes and the workers find its lines themselves (line_cursor.c).  A view run
 * is the views [first_view, first_view + lines), for lines the splitter had to look at: \r
 * terminators, non-ASCII, cut or final lines; its bytes count each line and one terminator. */
typedef struct rt_line_run {
  const char *base;    /* plain run's first byte; NULL for a view run */
  int64_t bytes;       /* its share of the batch's input, which tasks divide */
  int64_t lines;       /* lines in it */
  int64_t first_view;  /* view run: index of its first view */
} rt_line_run;

/* The lines of one source for one batch: runs of plain lines in input chunks and views (into
 * input chunks or, for a line whose invalid UTF-8 was repaired, into a side chunk), and a
 * reference on every chunk they point into. */
typedef struct rt_lines {
  rt_line_run *runs;        /* in input order */
  int64_t nruns;            /* runs used */
  int64_t rcap;             /* runs allocated */
  int64_t count;            /* lines, all runs */
  int64_t bytes;            /* sum of the runs' bytes */
  dsc_str *views;           /* lines of the view runs, real pointers */
  int64_t nviews;           /* views used */
  int64_t vcap;             /* views allocated */
  int64_t invalid;          /* invalid UTF-8 sequences replaced by U+FFFD */
  rt_input_chunk **chunks;  /* chunks the lines lie in, one reference per entry */
  int64_t nchunks;          /* entries in chunks */
  int64_t ccap;             /* entries allocated */
  rt_input_chunk *repair;   /* side chunk receiving repaired lines (also in chunks), or NULL */
  size_t repair_len;        /* bytes used in it */
} rt_lines;

void rt_lines_init(rt_lines *l);
/* Releases the chunks and frees the views. */
void rt_lines_free(rt_lines *l);
/* Appends a view of s[0..n), which lies in chunk: unless `ascii` says the bytes are plain
 * ASCII they are checked, and a line with invalid UTF-8 is stored repaired in the side chunk. */
void rt_lines_add(rt_lines *l, rt_input_chunk *chunk, const char *s, size_t n, int ascii);
/* Appends `lines` plain lines s[0..n) of chunk (see rt_block_fn), extending the last run when
 * they follow it in the same chunk. */
void rt_lines_add_block(rt_lines *l, rt_input_chunk *chunk, const char *s, size_t n,
                        int64_t lines);
/* Starts task `task` of `ntasks` on l (line_cursor.c; dsc_rt_lines_open for a batch); the _from
 * form divides only the bytes from `from` on: lines that start before it are not taken. */
void rt_lines_cursor(const rt_lines *l, int64_t task, int64_t ntasks, dsc_rt_line_cursor *cur);
void rt_lines_cursor_from(const rt_lines *l, int64_t from, int64_t task, int64_t ntasks,
                          dsc_rt_line_cursor *cur);
/* Number of \n in s[0..n). */
int64_t rt_count_newlines(const char *s, size_t n);
/* Writes s[0..n) with each invalid sequence replaced by EF BF BD (at most 3n bytes) into out;
 * returns the bytes written and adds the replacements to *invalid. */
size_t rt_utf8_repair(const char *s, size_t n, char *out, int64_t *invalid);

/* ---- program.c: the module's description and the command line ------------------------------ */

typedef struct rt_param {
  const char *name;          /* as declared */
  int32_t type;              /* enum dsc_rt_type */
  const char *default_text;  /* NULL: required */
  int set;                   /* a value was parsed (from argv or the default) */
  int64_t i;                 /* DSC_RT_INT value */
  double f;                  /* DSC_RT_FLOAT value */
  int32_t b;                 /* DSC_RT_BOOL value */
  const char *s;             /* DSC_RT_STRING value (argv or default_text) */
} rt_param;

struct dsc_rt_program {
  const char *name;      /* program name for messages and usage */
  int64_t interval_ms;   /* declared batch interval */
  rt_param *params;      /* declared parameters, in order */
  int32_t nparams;       /* how many */
  int32_t pcap;          /* allocated */
};

typedef struct rt_options {
  int64_t interval_ms;     /* batch interval in effect */
  int manual_clock;        /* --manual-clock */
  int64_t start_time_ms;   /* --start-time */
  int64_t threads;         /* --threads (0 = number of CPUs) */
  int stop_at_eof;         /* --stop-at-eof */
  int64_t max_line_bytes;  /* --max-line-bytes */
  int64_t early_bytes;     /* --early-bytes (0: never start a batch early) */
  int mmap;                /* --mmap: map regular files instead of read(2) (input_map.c) */
  int64_t min_task_bytes;  /* --min-task-bytes (0: the default): see dsc_rt_source_tasks */
  int64_t share_bytes;     /* --early-share-bytes (0: the default): see early_shares (sched.c) */
  int64_t batch_tasks;     /* --batch-tasks (0: no cap): dsc_rt_batch.max_tasks of every batch */
  int stats;               /* --stats: one line of counters on stderr at exit */
} rt_options;

enum rt_args_result {
  RT_ARGS_OK = 0,       /* run */
  RT_ARGS_HELP = 1,     /* print rt_usage, exit 0 */
  RT_ARGS_VERSION = 2,  /* print the version, exit 0 */
  RT_ARGS_ERROR = 3,    /* print err, exit 2 */
};

void rt_program_init(dsc_rt_program *prog);
void rt_program_free(dsc_rt_program *prog);
/* Parses "500ms", "2s", "1min", "1h" into milliseconds (> 0); returns 0 on success. */
int rt_parse_duration(const char *s, int64_t *ms);
/* The largest exact unit: 10000 -> "10s", 90000 -> "90s", 60000 -> "1min". */
void rt_format_duration(int64_t ms, char *out, size_t outsz);
/* Parses a value of the given type; returns 0 on success. */
int rt_parse_value(rt_param *p, const char *text);
/* Parses argv[1..argc) into the program's params and *opt; on RT_ARGS_ERROR, err holds the
 * message (without the `name: error: ` prefix). */
int rt_parse_args(dsc_rt_program *prog, int argc, char **argv, rt_options *opt, char *err,
                  size_t errsz);
/* The --help text. */
void rt_usage(const dsc_rt_program *prog, dsc_rt_buf *out);

/* ---- sched.c / pool.c / sources: the running pipeline -------------------------------------- */

enum rt_source_kind { RT_SRC_STDIN, RT_SRC_FILE, RT_SRC_SOCKET, RT_SRC_TABLE, RT_SRC_DIR };

typedef struct rt_segment {
  rt_lines lines;            /* one sealed manual-clock batch of this source */
  struct rt_segment *next;   /* FIFO */
} rt_segment;

typedef struct rt_source {
  struct dsc_rt_ctx *ctx;    /* owning pipeline */
  int32_t index;             /* registration order */
  int kind;                  /* enum rt_source_kind */
  char *label;               /* for messages: "stdin", "socket host:port", the file path */
  char *host;                /* socket host */
  int64_t port;              /* socket port */
  int fd;                    /* open descriptor (stdin, file, connected socket), or -1 */
  pthread_t thread;          /* receiver */
  void *(*receive)(void *);  /* its function, set by the source's constructor; NULL for a
                                static table.  Not a switch on kind: a program without a socket
                                source then links no resolver, and links statically (link.c) */
  rt_splitter split;         /* receiver-private: the chunk being read into, splitting state */
  struct rt_dir *dir;        /* textFiles: the watch and the names taken (source_dir.c) */
  /* guarded by ctx->mu: */
  rt_lines cur;              /* lines not yet sealed */
  rt_segment *queue;         /* manual clock: sealed batches not yet run */
  int64_t queued;         /* manual clock: sealed segments waiting to run (backpressure) */
  rt_segment **queue_tail;   /* where the next sealed segment goes */
  int ended;                 /* the receiver has finished */
  int closed;                /* the scheduler took its last data: drop anything later */
} rt_source;

/* The lines `source` brought into the batch (a static table's: its lines), NULL for no such
 * source. */
const rt_lines *rt_batch_source_lines(const dsc_rt_batch *batch, int32_t source);
/* The bytes of source's lines that an early start took before the batch was sealed (0: none). */
int64_t rt_batch_early_bytes(const dsc_rt_batch *batch, int32_t source);

struct dsc_rt_batch {
  int64_t time_ms;           /* batch time, ms since the epoch */
  struct dsc_rt_ctx *ctx;    /* for static (table) sources */
  int32_t nsources;          /* entries in lines */
  rt_lines *lines;           /* sealed lines, one per source */
  int final;                 /* the last batch of the run */
  struct dsc_rt_batch *next; /* wall-clock queue */
  int32_t early_source;      /* the source whose first early_bytes bytes of input were */
  int64_t early_bytes;       /*   processed early (dsc_gen_early), or -1 */
  int64_t max_tasks;         /* at most this many tasks (0: no limit): an early call's, or a
                                batch's own under --batch-tasks */
};

typedef struct rt_pool {
  pthread_t *threads;        /* nthreads - 1 helpers */
  int64_t nthreads;          /* including the caller */
  pthread_mutex_t mu;        /* guards the fields below */
  pthread_cond_t go;         /* a job was posted / shutdown */
  pthread_cond_t done;       /* a helper finished its share */
  uint64_t generation;       /* job counter, so helpers see each job once */
  int64_t busy;              /* helpers still in the current job */
  int shutdown;              /* helpers must exit */
  dsc_rt_task_fn fn;         /* current job */
  void *env;                 /* its environment */
  int64_t ntasks;            /* its task count */
  int64_t next_task;         /* atomically claimed */
} rt_pool;

struct dsc_rt_ctx {
  dsc_rt_program *prog;      /* what the module declared, params parsed */
  dsc_rt_store *stores;      /* live stores (windows, state), freed with the context */
  rt_options opt;            /* command-line options */
  pthread_mutex_t mu;        /* guards sources' shared fields, the queue, stopping */
  pthread_cond_t cv;         /* data sealed, source ended, stop requested (CLOCK_MONOTONIC) */
  rt_source **sources;       /* registered sources */
  int32_t nsources;          /* how many */
  int32_t scap;              /* allocated */
  int stopping;              /* a signal asked for a graceful stop */
  int started;               /* receivers are running: no more registrations */
  int manual_running;        /* manual clock: a batch is being processed (read-ahead bound) */
  dsc_rt_batch *qhead;       /* wall clock: sealed batches waiting */
  dsc_rt_batch **qtail;      /* append point */
  dsc_rt_worker *workers;    /* one per thread; [0] is the main thread's */
  dsc_rt_worker static_worker; /* dsc_rt_static_worker: never reset, freed with the context */
  rt_pool pool;              /* helpers for dsc_rt_run_tasks */
  dsc_rt_buf out;            /* dsc_rt_output */
  int64_t batches_run;       /* batches processed so far */
  int64_t records_run;       /* input lines of those batches (static sources not counted) */
  int64_t zero_ms;           /* Spark's zeroTime, fixed on first use (guarded by mu) */
  int zero_set;              /* zero_ms is fixed */
  dsc_rt_buf save;           /* dsc_rt_save_begin's buffer */
  char *save_path;           /* where dsc_rt_save_end writes it */
  /* manual clock, early start (sched.c): */
  void (*early_fn)(struct dsc_rt_ctx *, dsc_rt_batch *); /* dsc_gen_early, or NULL */
  int32_t early_source;      /* the source it may start on (dsc_rt_source_early), or -1 */
  int early_release;         /* the input it took may be freed at once (dsc_rt_source_early) */
  int early_parallel;        /* an early call runs on all the workers (dsc_rt_source_early) */
  int early_after_first;     /* the stage needs what the first batch computes: no early start
                                before it is done (dsc_rt_source_early) */
  int first_batch_done;      /* the first batch has run (set under mu) */
  int64_t early_done;        /* bytes of the next batch's input it has processed */
  int64_t early_calls;       /* how often it ran (tests) */
  int64_t early_shared;      /*   of which on all the workers */
  int sched_waiting;         /* the main thread waits for the next batch (guarded by mu) */
};

typedef void (*rt_describe_fn)(dsc_rt_program *);
typedef void (*rt_start_fn)(dsc_rt_ctx *);
typedef void (*rt_batch_fn)(dsc_rt_ctx *, dsc_rt_batch *);

/* Runs batches until every source has ended or a stop was requested (receivers running). */
void rt_run(dsc_rt_ctx *ctx, rt_batch_fn run);
/* Requests a graceful stop: wakes the scheduler, shuts connected sockets down. */
void rt_request_stop(dsc_rt_ctx *ctx);

/* Spark's RecurringTimer: the first boundary strictly after now. */
int64_t rt_first_batch_time(int64_t now_ms, int64_t interval_ms);
int64_t rt_now_ms(void);

/* A context with no sources and the given options, for tests and rt_main. */
void rt_ctx_init(dsc_rt_ctx *ctx, dsc_rt_program *prog, const rt_options *opt);
void rt_ctx_free(dsc_rt_ctx *ctx);
/* Frees every store still alive (window panes and state at the end of a run). */
void rt_stores_free_all(dsc_rt_ctx *ctx);
/* Reports the batch's error counters and replaced bytes on stderr, then resets the workers. */
void rt_batch_finish(dsc_rt_ctx *ctx, dsc_rt_batch *batch);
void rt_batch_free(dsc_rt_batch *b);

void rt_pool_start(rt_pool *pool, dsc_rt_ctx *ctx, int64_t nthreads);
void rt_pool_stop(rt_pool *pool);

/* Opens path for a file-backed source (file, table), or reports and exits 1. */
rt_source *rt_source_open_file(dsc_rt_ctx *ctx, int kind, const char *path, int64_t path_len);
/* Receiver side.  A receiver reads into rt_source_space (no lock held: see rt_split_space) and
 * hands the bytes over with rt_source_commit, which splits them into the source's current batch
 * under ctx->mu, first waiting while a manual-clock batch is queued.  rt_source_feed does both
 * for bytes in a buffer the caller owns (copying them). */
char *rt_source_space(rt_source *src, size_t want, size_t *room);
void rt_source_commit(rt_source *src, size_t n);
void rt_source_feed(rt_source *src, const char *data, size_t n);
/* rt_source_commit for n bytes of a mapped file at p (rt_split_mapped). */
void rt_source_commit_mapped(rt_source *src, rt_input_map *map, const char *p, size_t n);
/* Returns once the source may take more input (the wait rt_source_commit would do), so a
 * receiver can wait before it reads rather than with a chunk read ahead. */
void rt_source_wait_room(rt_source *src);
/* End of stream: its last line without terminator counts (takes ctx->mu). */
void rt_source_eof(rt_source *src);
/* The receiver is done: releases its chunk, marks the source ended and wakes the scheduler. */
void rt_source_end(rt_source *src);
rt_source *rt_source_new(dsc_rt_ctx *ctx, int kind, const char *label);
void *rt_stream_receiver(void *arg);  /* stdin and files */
void *rt_socket_receiver(void *arg);  /* TCP client */
void *rt_dir_receiver(void *arg);     /* textFiles directory watch */
void rt_dir_free(struct rt_dir *dir);
/* The one stats line of --stats, without printing it (rt_main prints it at exit). */
void rt_stats_line(const dsc_rt_ctx *ctx, char *out, size_t outsz);
/* Reads the whole fd into the source (shared by stdin, files and each socket connection);
 * returns 0 at end of stream, -1 on a read error (errno set), 1 when stopping. */
int rt_source_pump(rt_source *src, int fd);

/* ---- input_map.c: regular files read through a mapping --------------------------------------- */

/* rt_source_pump for a stdin or file source: with --mmap a regular file is mapped rather than
 * read, and what it gains meanwhile is read after. */
int rt_source_pump_file(rt_source *src, int fd);
void rt_input_map_hold(rt_input_map *m);
void rt_input_map_release(rt_input_map *m);
/* Gives back the pages that lie wholly inside [p, p + n) (they stay mapped: the next touch
 * reads the file again): at once, or, while the receiver still maps windows of m, at its next
 * rt_input_map_give_back. */
void rt_input_map_drop(rt_input_map *m, const char *p, size_t n);
/* The receiver gives back the pages that wait for it; with `last` (it maps no more windows),
 * later drops no longer wait. */
void rt_input_map_give_back(rt_input_map *m, int last);
/* Maps the `len` bytes of fd from offset `off` (any offset) and watches them for SIGBUS; NULL
 * when that fails.  *data gets where byte `off` is. */
rt_input_map *rt_input_map_file(int fd, int64_t off, int64_t len, char **data);
/* Whether a page of m had to be replaced after the file shrank (then read as '\n' bytes). */
int rt_input_map_lost(const rt_input_map *m);
/* Mappings not unmapped yet (for tests). */
int rt_input_maps_live(void);
/* Sleeps up to ms, returning early (1) when a stop was requested. */
int rt_sleep_unless_stopping(dsc_rt_ctx *ctx, int64_t ms);
/* Program name for messages. */
const char *rt_progname(const dsc_rt_ctx *ctx);

/* The whole lifecycle; returns the exit status. */
int rt_main(int argc, char **argv, rt_describe_fn describe, rt_start_fn start, rt_batch_fn run,
            rt_batch_fn early);

#endif /* DSC_RT_INTERNAL_H */
