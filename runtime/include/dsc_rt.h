/* dsc_rt.h — the one interface between a pipeline compiled by dsc and the dsc runtime.
 *
 * The runtime owns main(): it asks the generated module to describe itself (parameters, batch
 * interval), parses the command line, lets the module register its sources, then receives data
 * and calls the module once per sealed batch.  Generated code calls only the dsc_rt_* functions
 * declared here; everything else in the runtime is hidden.
 *
 * ABI rules that keep LLVM-generated calls and C in agreement:
 *  - strings cross the boundary as (const char *ptr, int64_t len) pairs, never as a struct by
 *    value; a string result is written through a dsc_str *out parameter;
 *  - booleans are int32_t (0 or 1);
 *  - every string a function returns lives until the end of the current batch (worker arena)
 *    unless said otherwise.
 */
#ifndef DSC_RT_H
#define DSC_RT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A string view: UTF-8 bytes, not NUL-terminated.  Layout {ptr, i64} is relied on by codegen. */
typedef struct dsc_str {
  const char *ptr; /* first byte */
  int64_t len;     /* length in bytes */
} dsc_str;

/* A materialised list: `len` elements of one fixed size, contiguous.  Layout {ptr, i64}. */
typedef struct dsc_list {
  void *data;  /* first element (worker arena) */
  int64_t len; /* number of elements */
} dsc_list;

typedef struct dsc_rt_program dsc_rt_program; /* what the module declared (params, interval) */
typedef struct dsc_rt_ctx dsc_rt_ctx;         /* one running pipeline */
typedef struct dsc_rt_batch dsc_rt_batch;     /* one sealed batch: its time and its input lines */
typedef struct dsc_rt_worker dsc_rt_worker;   /* one thread's batch arena and error counters */
typedef struct dsc_rt_table dsc_rt_table;     /* insertion-ordered hash table, batch lifetime */
typedef struct dsc_rt_vec dsc_rt_vec;         /* growable array of fixed-size elements */
typedef struct dsc_rt_buf dsc_rt_buf;         /* growable text buffer */

/* ---- Provided by the generated module ------------------------------------------------------ */

/* Declares name, parameters and batch interval through dsc_rt_program_*. */
void dsc_gen_describe(dsc_rt_program *prog);
/* Called once after the command line is parsed: evaluates source arguments, registers sources. */
void dsc_gen_start(dsc_rt_ctx *ctx);
/* Runs one batch through the whole pipeline, output operations included. */
void dsc_gen_batch(dsc_rt_ctx *ctx, dsc_rt_batch *batch);
/* Before the next batch is sealed: runs its first stage on the lines of `part` that follow
 * those already taken (dsc_rt_lines_open knows which), keeping task 0's partials for the batch,
 * whose tasks then divide only the rest.  As task 0 alone, or, when the program allows it
 * (dsc_rt_source_early's parallel) and dsc_rt_source_tasks gives `part` more than one task, as
 * tasks that divide the new lines, whose partials are then merged into task 0's in order, so
 * that task 0's hold the batch's first lines and the others' nothing (a count or a sum of ints
 * hands over only its new keys, and its other tasks keep the rest until the batch's merge).
 * Only for the source named by dsc_rt_source_early; may be called several times per batch, or
 * never. */
void dsc_gen_early(dsc_rt_ctx *ctx, dsc_rt_batch *part);

/* ---- Program description (inside dsc_gen_describe) ----------------------------------------- */

enum dsc_rt_type {
  DSC_RT_INT = 0,    /* int64_t */
  DSC_RT_FLOAT = 1,  /* double */
  DSC_RT_BOOL = 2,   /* int32_t 0/1 */
  DSC_RT_STRING = 3, /* dsc_str */
};

void dsc_rt_program_name(dsc_rt_program *prog, const char *name);
/* Default batch interval in milliseconds (the `batch` declaration); --batch overrides it. */
void dsc_rt_program_batch(dsc_rt_program *prog, int64_t interval_ms);
/* Declares the next parameter; returns its index.  default_text is the default as the user would
 * type it on the command line, or NULL for a required parameter. */
int32_t dsc_rt_program_param(dsc_rt_program *prog, const char *name, int32_t type,
                             const char *default_text);

/* ---- Parameters and sources (inside dsc_gen_start) ----------------------------------------- */

int64_t dsc_rt_param_int(dsc_rt_ctx *ctx, int32_t index);
double dsc_rt_param_float(dsc_rt_ctx *ctx, int32_t index);
int32_t dsc_rt_param_bool(dsc_rt_ctx *ctx, int32_t index);
/* The string lives as long as the pipeline. */
void dsc_rt_param_string(dsc_rt_ctx *ctx, int32_t index, dsc_str *out);

/* Each returns the source's index, used with dsc_rt_lines_open. */
int32_t dsc_rt_source_socket(dsc_rt_ctx *ctx, const char *host, int64_t host_len, int64_t port);
int32_t dsc_rt_source_stdin(dsc_rt_ctx *ctx);
/* The program's only stream source, whose stage dsc_gen_early can start before a batch is
 * sealed (not called when the program has none or several).  release: the stage's partials never
 * point into its input, so the input an early start took may be freed before the batch ends.
 * after_first: the stage reads what a static stage computes in the first batch (a join probing a
 * lookup table), so it starts early only from the second batch on.  parallel: each early call
 * runs as tasks on all the workers (dsc_gen_early), so the receiver may be held to a bound with
 * any number of threads. */
void dsc_rt_source_early(dsc_rt_ctx *ctx, int32_t source, int32_t release, int32_t after_first,
                         int32_t parallel);
int32_t dsc_rt_source_file(dsc_rt_ctx *ctx, const char *path, int64_t path_len);

/* ---- Batches and parallel tasks -------------------------------------------------------------- */

/* Batch time in milliseconds since the Unix epoch (a multiple of the interval). */
int64_t dsc_rt_batch_time(const dsc_rt_batch *batch);
/* Where one task is in its share of the lines a source received for a batch.  Generated code
 * only allocates it; the fields belong to the runtime (line_cursor.c). */
typedef struct dsc_rt_line_cursor {
  const char *next;         /* in a plain run: where the next line starts */
  const char *limit;        /* no line of this task starts at or after it */
  const char *run_end;      /* the run's end, just after its last \n */
  const char *search_end;   /* the end of the line holding limit[-1]: the task's last line */
  const dsc_str *view;      /* in a view run: the next line */
  const dsc_str *view_end;  /* the end of this task's lines in it */
  const void *lines;        /* the source's lines for the batch */
  int64_t run;              /* the run being read */
  int64_t run_start;        /* its offset in the batch's input bytes */
  int64_t lo, hi;           /* the task's share of those bytes: the lines that start in it */
  const char *nl_block;     /* the 64-byte aligned block whose \n it knows (line_cursor.c) */
  uint64_t nl_bits;         /*   bit i: nl_block[i] is a \n not yet passed */
} dsc_rt_line_cursor;
/* Starts task `task` of `ntasks` on the lines source `source` received for this batch.  The
 * tasks' shares are contiguous and together hold every line once, in arrival order. */
void dsc_rt_lines_open(const dsc_rt_batch *batch, int32_t source, int64_t task, int64_t ntasks,
                       dsc_rt_line_cursor *cur);
/* The task's next line, terminator stripped, valid UTF-8, living until the batch ends; returns
 * 0 when the task has no more. */
int32_t dsc_rt_lines_next(dsc_rt_line_cursor *cur, dsc_str *line);
/* The same for a source whose lines all go to one filter that needs lit[0..m) in the line
 * (`contains(l, "x")`, or json() compared with a literal: see dsc_rt_json_may_give when `json`):
 * lines without it are skipped (the rest of the line is still tested by the filter), so a task
 * looks for the literal across its lines instead of for each line's end.  Where the literal is
 * in most of the bytes, the search costs more than it spares: `f` (zeroed with the cursor)
 * counts, and the next lines are then all given for a while, unsearched. */
typedef struct dsc_rt_line_prefilter {
  int32_t unsearched; /* lines still to give without a search */
  int32_t looked;     /* lines given (plain runs) or looked at (view runs) since the count */
  int64_t kept_bytes; /* of the bytes passed since the count, how many are in lines given */
  int64_t passed_bytes;
} dsc_rt_line_prefilter;
int32_t dsc_rt_lines_next_having(dsc_rt_line_cursor *cur, dsc_str *line,
                                 dsc_rt_line_prefilter *f, const char *lit, int64_t m,
                                 int32_t json);

/* How many partitions a stage should cut its input into (one per worker thread). */
int64_t dsc_rt_partitions(dsc_rt_ctx *ctx);
/* How many of those a stage should run for this batch: one per --min-task-bytes of the input
 * that an early start left (a stage over source `source`), or per 1/16 of that many elements
 * (a stage over a breaker's result), at least one: waking a thread for less costs more than it
 * saves.  For an early call's part, one unless the runtime shares the call (sched.c). */
int64_t dsc_rt_source_tasks(const dsc_rt_batch *batch, int32_t source, int64_t partitions);
int64_t dsc_rt_result_tasks(dsc_rt_ctx *ctx, int64_t elements, int64_t partitions);
/* How many lines source `source` has in the batch (a table() source: all it read). */
int64_t dsc_rt_source_lines(const dsc_rt_batch *batch, int32_t source);
/* Runs fn(env, worker, task) for task = 0..ntasks-1, spread over the worker threads, and returns
 * when all are done.  Tasks must not share mutable state; results are merged in task order. */
typedef void (*dsc_rt_task_fn)(void *env, dsc_rt_worker *worker, int64_t task);
void dsc_rt_run_tasks(dsc_rt_ctx *ctx, int64_t ntasks, dsc_rt_task_fn fn, void *env);
/* A fused loop whose sinks keep nothing its records point to runs them in a record scope: the
 * strings and lists the runtime makes for a record then go to memory reused a few dozen records
 * later instead of the batch arena.  dsc_rt_record_next after each record; the scope's end
 * before the sinks are finished.  A static stage, whose tables keep the strings its records
 * point to, may still run in a list scope when no sink keeps a list: only the lists (csv(),
 * split(), words()) go to that memory; dsc_rt_record_next and the scope's end are the same. */
void dsc_rt_record_scope_begin(dsc_rt_worker *worker);
void dsc_rt_list_scope_begin(dsc_rt_worker *worker);
void dsc_rt_record_next(dsc_rt_worker *worker);
void dsc_rt_record_scope_end(dsc_rt_worker *worker);
/* The worker of the calling (main) thread, for the single-threaded phases of a batch. */
dsc_rt_worker *dsc_rt_main_worker(dsc_rt_ctx *ctx);
/* A worker for the main thread whose memory lives as long as the program: what a stage that
 * reads only table() sources computes is the same in every batch, so it is computed once, with
 * this worker, and kept.  Its error counters are reported with the batch that made them. */
dsc_rt_worker *dsc_rt_static_worker(dsc_rt_ctx *ctx);

/* ---- Batch memory ---------------------------------------------------------------------------- */

/* 16-byte aligned, zeroed memory that lives until the end of the current batch. */
void *dsc_rt_alloc(dsc_rt_worker *worker, int64_t size);

/* Hash table keyed by bytes (the generated code serialises keys), with a fixed-size payload per
 * entry (8-byte aligned), iterated in insertion order.  Batch lifetime. */
dsc_rt_table *dsc_rt_table_new(dsc_rt_worker *worker, int64_t payload_size);
/* The same for keys that outlive the table, as the strings a static stage makes do (its input
 * lines and its worker's memory stay for the life of the program): a key longer than 16 bytes
 * is pointed to, not copied.  (A 300,000-ad lookup table: 14 MB less.) */
dsc_rt_table *dsc_rt_table_new_kept(dsc_rt_worker *worker, int64_t payload_size);
/* Finds the entry for key, inserting a zeroed one if absent (*is_new = 1); returns its payload.
 * The key bytes are copied.  The payload pointer is valid until the next upsert, and a key
 * pointer from dsc_rt_table_key until the next upsert into the same table. */
void *dsc_rt_table_upsert(dsc_rt_table *table, const void *key, int64_t key_len, int32_t *is_new);
int64_t dsc_rt_table_len(const dsc_rt_table *table);
/* Makes room for n entries at once (a size hint: tables that grow by doubling pay for every
 * step again, each batch). */
void dsc_rt_table_reserve(dsc_rt_table *table, int64_t n);
/* The same for a big table, with the new arrays first written on all the workers (at least
 * doubling, so that a table reserved a little more each batch does not move each batch). */
void dsc_rt_table_reserve_shared(dsc_rt_ctx *ctx, dsc_rt_table *table, int64_t n);
/* Empties the table and keeps its arrays, for a partial used again (dsc_gen_early). */
void dsc_rt_table_clear(dsc_rt_table *table);
/* The table's length at the previous call (0 at the first), and remembers the present one:
 * entries [returned, len) are those inserted since (dsc_gen_early's hand-over of new keys). */
int64_t dsc_rt_table_mark_folded(dsc_rt_table *table);
/* Payload / key bytes of the i-th inserted entry. */
void *dsc_rt_table_at(const dsc_rt_table *table, int64_t i);
const void *dsc_rt_table_key(const dsc_rt_table *table, int64_t i, int64_t *key_len);

dsc_rt_vec *dsc_rt_vec_new(dsc_rt_worker *worker, int64_t elem_size);
/* A vec kept in place (a grouping table's entry: cg_group_type): DSC_RT_VEC_HEAD bytes of
 * header, then DSC_RT_VEC_ROOM(elem_size) bytes of room for its first elements, 8-byte aligned.
 * It may be moved or copied bytewise; its storage beyond the room is the worker's. */
#define DSC_RT_VEC_HEAD 24
#define DSC_RT_VEC_ROOM(elem_size) (((elem_size) + 15) / 16 * 16)
void dsc_rt_vec_init(dsc_rt_worker *worker, void *at, int64_t elem_size);
/* Appends a zeroed element and returns it; earlier element pointers may move. */
void *dsc_rt_vec_push(dsc_rt_vec *vec);
int64_t dsc_rt_vec_len(const dsc_rt_vec *vec);
void *dsc_rt_vec_at(const dsc_rt_vec *vec, int64_t i);

/* ---- Strings (Python semantics unless said otherwise) -------------------------------------- */

/* Byte offset of the first occurrence of needle in s at or after byte `from`, or -1.  An empty
 * needle is never found (split with an empty separator yields the whole string). */
int64_t dsc_rt_str_find(const char *s, int64_t n, int64_t from, const char *needle, int64_t m);
/* Byte offset of the first non-whitespace / whitespace code point at or after `from`, or n.
 * Whitespace is what Python's str.split() splits on (ASCII and Unicode spaces). */
int64_t dsc_rt_str_skip_space(const char *s, int64_t n, int64_t from);
int64_t dsc_rt_str_find_space(const char *s, int64_t n, int64_t from);

void dsc_rt_str_lower(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *out);
void dsc_rt_str_upper(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *out);
/* Python's str.strip(): leading and trailing whitespace removed (a view, no copy). */
void dsc_rt_str_trim(const char *s, int64_t n, dsc_str *out);
/* Length in code points. */
int64_t dsc_rt_str_len(const char *s, int64_t n);
int32_t dsc_rt_str_contains(const char *s, int64_t n, const char *t, int64_t m);
int32_t dsc_rt_str_starts_with(const char *s, int64_t n, const char *t, int64_t m);
int32_t dsc_rt_str_ends_with(const char *s, int64_t n, const char *t, int64_t m);
/* Code points [start, start+count) clamped to the string; negative start counts from the end
 * as in Python slicing; a negative count is 0. */
void dsc_rt_str_substr(const char *s, int64_t n, int64_t start, int64_t count, dsc_str *out);
void dsc_rt_str_concat(dsc_rt_worker *w, const char *s, int64_t n, const char *t, int64_t m,
                       dsc_str *out);
/* -1, 0, 1 by bytes (= code point order for UTF-8). */
int32_t dsc_rt_str_cmp(const char *s, int64_t n, const char *t, int64_t m);
int32_t dsc_rt_str_eq(const char *s, int64_t n, const char *t, int64_t m);
/* Python int(s.strip()) / float(s.strip()); on malformed input return 0 and count a
 * DSC_RT_ERR_PARSE_INT / _FLOAT error on the worker (reported at the end of the batch). */
int64_t dsc_rt_str_to_int(dsc_rt_worker *w, const char *s, int64_t n);
double dsc_rt_str_to_float(dsc_rt_worker *w, const char *s, int64_t n);
/* Python str() of a number or bool. */
void dsc_rt_int_to_str(dsc_rt_worker *w, int64_t v, dsc_str *out);
void dsc_rt_float_to_str(dsc_rt_worker *w, double v, dsc_str *out);
void dsc_rt_bool_to_str(int32_t v, dsc_str *out);
/* Python round(x, digits): correctly rounded (half to even on the exact binary value). */
double dsc_rt_float_round(double x, int64_t digits);
/* Materialised split / words: a dsc_list of dsc_str views into s. */
void dsc_rt_str_split_list(dsc_rt_worker *w, const char *s, int64_t n, const char *sep,
                           int64_t m, dsc_list *out);
void dsc_rt_str_words_list(dsc_rt_worker *w, const char *s, int64_t n, dsc_list *out);

/* ---- Run-time errors in user code: counted, reported once per batch, never fatal ----------- */

enum dsc_rt_error {
  DSC_RT_ERR_DIV_ZERO = 0,    /* integer division or modulo by zero: result 0 */
  DSC_RT_ERR_PARSE_INT = 1,   /* toInt on malformed text: result 0 */
  DSC_RT_ERR_PARSE_FLOAT = 2, /* toFloat on malformed text: result 0.0 */
  DSC_RT_ERR_INDEX = 3,       /* list index out of range: the zero value */
  DSC_RT_ERR_NONE_GET = 4,    /* .get of none: the zero value */
  DSC_RT_ERR_COUNT_ = 5
};
void dsc_rt_error(dsc_rt_worker *w, int32_t kind);

/* ---- Output ---------------------------------------------------------------------------------- */

/* The buffer output operations write to; flushed to stdout by dsc_rt_print_end / _flush. */
dsc_rt_buf *dsc_rt_output(dsc_rt_ctx *ctx);
/* A task's text for stdout() or saveAsTextFiles, formatted by the task itself (in parallel), in
 * a buffer the worker frees at batch end; the output step then takes the tasks' texts in order:
 * dsc_rt_output_text (stdout), dsc_rt_buf_append (a file's buffer). */
dsc_rt_buf *dsc_rt_text_new(dsc_rt_worker *worker);
void dsc_rt_output_text(dsc_rt_ctx *ctx, const dsc_rt_buf *text);
void dsc_rt_buf_append(dsc_rt_buf *buf, const dsc_rt_buf *text);
void dsc_rt_buf_bytes(dsc_rt_buf *buf, const char *s, int64_t n);
void dsc_rt_buf_int(dsc_rt_buf *buf, int64_t v);
/* Python repr(float): shortest round-trip digits, '1.0', '1e+16', 'inf', 'nan'. */
void dsc_rt_buf_float(dsc_rt_buf *buf, double v);
void dsc_rt_buf_bool(dsc_rt_buf *buf, int32_t v); /* True / False */
/* Python repr(str): quotes chosen as Python does, escapes for \\ \n \r \t and unprintables. */
void dsc_rt_buf_str_repr(dsc_rt_buf *buf, const char *s, int64_t n);

/* pprint: writes the 43-dash line, `Time: YYYY-MM-DD HH:MM:SS` (local time, `.ffffff` only when
 * the time has a sub-second part) and the dash line again. */
void dsc_rt_print_begin(dsc_rt_ctx *ctx, const dsc_rt_batch *batch);
/* Writes `...` when more elements than shown existed, then the empty line, and flushes. */
void dsc_rt_print_end(dsc_rt_ctx *ctx, int32_t more);
void dsc_rt_output_flush(dsc_rt_ctx *ctx);


/* ---- Operators of the full DStream API ------------------------------------------------------ */

/* The payload for key, or NULL when the table has no such key (joins probe the other side). */
void *dsc_rt_table_find(const dsc_rt_table *table, const void *key, int64_t key_len);
/* State tables: marks the entry of a payload dead.  Lookups no longer find it, an upsert of its
 * key revives it in place (zeroed, *is_new = 1); iteration must skip it (dsc_rt_table_live_at).
 * The table keeps its length; its owner rebuilds it when dsc_rt_table_dead grows large. */
void dsc_rt_table_remove(dsc_rt_table *table, void *payload);
int32_t dsc_rt_table_live_at(const dsc_rt_table *table, int64_t i);
int64_t dsc_rt_table_dead(const dsc_rt_table *table);
/* The same for tasks that remove entries of one table at once (each its own entries): marks
 * the entry dead, returns 1 if it was alive, and leaves the table's count of dead entries alone
 * (written by every removal, it shared a cache line with what every lookup reads); each task
 * adds its count once, with dsc_rt_table_add_dead. */
int32_t dsc_rt_table_remove_uncounted(dsc_rt_table *table, void *payload);
void dsc_rt_table_add_dead(dsc_rt_table *table, int64_t n);
/* The insertion index of the entry whose payload this is (as dsc_rt_table_at numbers them):
 * stable until the table is rebuilt, so windows keep it instead of a copy of the key. */
int64_t dsc_rt_table_index_of(const dsc_rt_table *table, const void *payload);
/* dsc_rt_table_upsert of the key of entry i of src, reusing the hash src stored for it. */
void *dsc_rt_table_upsert_from(dsc_rt_table *table, const dsc_rt_table *src, int64_t i,
                               int32_t *is_new);
/* Deferred upserts: a loop that feeds a big table (dsc_rt_table_is_big) hashes a key, prefetches
 * its index slot and upserts it a few records later with the same hash and words (what
 * dsc_rt_table_hash wrote), so that the cache misses of consecutive records overlap.  The key
 * bytes must stay valid until then. */
int32_t dsc_rt_table_hash(const void *key, int64_t key_len, uint64_t words[2]);
void dsc_rt_table_prefetch_hash(const dsc_rt_table *table, int32_t hash);
int32_t dsc_rt_table_is_big(const dsc_rt_table *table);
void *dsc_rt_table_upsert_hashed(dsc_rt_table *table, const void *key, int64_t key_len,
                                 int32_t hash, const uint64_t words[2], int32_t *is_new);
/* Prefetch hints for loops that visit a big table in random order, issued a few iterations
 * ahead so that cache misses overlap: the index slot (entry == 0) or the entry (entry != 0,
 * once the slot is cached) that src's entry i will probe in table; or entry i of table.
 * Out-of-range i does nothing. */
void dsc_rt_table_prefetch_from(const dsc_rt_table *table, const dsc_rt_table *src, int64_t i,
                                int32_t entry);
void dsc_rt_table_prefetch_at(const dsc_rt_table *table, int64_t i);
/* For tasks that update one table at once, each the keys of its own share (see "shares" in
 * table.c): the share of src's entry i, and its live entry in table (NULL when it has none, or
 * a dead one). */
int64_t dsc_rt_table_share_of(const dsc_rt_table *src, int64_t i, int64_t shares);
void *dsc_rt_table_find_from(const dsc_rt_table *table, const dsc_rt_table *src, int64_t i);
/* The same, but a dead entry is revived (zeroed, *revived = 1) as an upsert would, without
 * counting it: the task adds minus its count with dsc_rt_table_add_dead.  NULL: no entry. */
void *dsc_rt_table_revive_from(dsc_rt_table *table, const dsc_rt_table *src, int64_t i,
                               int32_t *revived);
/* The element array (NULL when empty): lists built by groupByKey / cogroup point into it. */
void *dsc_rt_vec_data(const dsc_rt_vec *vec);
/* Appends all of src's elements to dst (same element size). */
void dsc_rt_vec_extend(dsc_rt_vec *dst, const dsc_rt_vec *src);
/* Empties the vec and keeps its room. */
void dsc_rt_vec_clear(dsc_rt_vec *vec);
/* Stable sort (merge sort) of n elements of `size` bytes; cmp returns <0, 0, >0. */
void dsc_rt_sort(void *base, int64_t n, int64_t size, int32_t (*cmp)(const void *, const void *));

/* table(path): a static source — the file is read once at start and its lines are part of
 * every batch (the classic join with a lookup table).  A missing file is fatal at start. */
int32_t dsc_rt_source_table(dsc_rt_ctx *ctx, const char *path, int64_t path_len);
/* textFiles(dir, pattern, existing): like Spark's textFileStream.  Watches dir (inotify); each
 * file moved or written (closed) into it whose name matches the glob pattern and does not
 * start with '.' is read exactly once, line by line, into the batch in which it appeared.
 * Files present at start are skipped unless existing != 0 (then they are read into the first
 * batch, in name order).  An unreadable file is reported on stderr and skipped; a missing
 * directory is fatal at start (exit 1).  The source never ends by itself, except under
 * --manual-clock: there `@batch` lines in the files cut batches, and a file named exactly
 * `@end` appearing in dir (or present at start with existing != 0) ends the source. */
int32_t dsc_rt_source_dir(dsc_rt_ctx *ctx, const char *dir, int64_t dir_len, const char *pattern,
                          int64_t pattern_len, int32_t existing);

/* saveAsTextFiles: returns a buffer to write the batch's lines to; dsc_rt_save_end writes it
 * to `prefix-TIME_IN_MS.suffix` (no `.suffix` when empty) through a temporary file in the same
 * directory and rename(), so readers never see half a file.  An I/O error is reported on
 * stderr (the pipeline goes on). */
dsc_rt_buf *dsc_rt_save_begin(dsc_rt_ctx *ctx, const dsc_rt_batch *batch, const char *prefix,
                              int64_t prefix_len, const char *suffix, int64_t suffix_len);
void dsc_rt_save_end(dsc_rt_ctx *ctx, dsc_rt_buf *buf);

/* ---- Log-processing built-ins ----------------------------------------------------------------- */

/* A POSIX extended regex, compiled once at start (the compiler has validated it). */
void *dsc_rt_regex_new(dsc_rt_ctx *ctx, const char *pattern, int64_t len);
/* 1 if the regex matches anywhere in s (like Python's re.search).  The worker matches with its
 * own copy of the regex (glibc's regexec locks the one it is given). */
int32_t dsc_rt_regex_match(void *re, dsc_rt_worker *w, const char *s, int64_t n);
/* Bytes every match of the regex contains (empty when it knows none): what a source's loop may
 * search for before a `matches()` filter (dsc_rt_lines_next_having). */
void dsc_rt_regex_literal(const void *re, dsc_str *out);
/* 1 and *out = the text of capture group `group` (0 = whole match) of the first match, a view
 * into s; 0 when there is no match or the group did not participate. */
int32_t dsc_rt_regex_capture(void *re, dsc_rt_worker *w, const char *s, int64_t n, int64_t group,
                             dsc_str *out);

/* format(): a per-worker scratch buffer, emptied on each call; printf conversions appended
 * with a validated spec (`%-5lld`, `%.2f`, `%8s`); dsc_rt_buf_take copies the text into the
 * batch arena. */
dsc_rt_buf *dsc_rt_scratch_buf(dsc_rt_worker *w);
void dsc_rt_buf_printf_int(dsc_rt_buf *buf, const char *spec, int64_t v);
void dsc_rt_buf_printf_float(dsc_rt_buf *buf, const char *spec, double v);
void dsc_rt_buf_printf_str(dsc_rt_buf *buf, const char *spec, const char *s, int64_t n);
/* `%s` without flags (the compiler's choice, as dsc_rt_buf_int for `%d`): the bytes up to any
 * NUL. */
void dsc_rt_buf_printf_plain_str(dsc_rt_buf *buf, const char *s, int64_t n);
void dsc_rt_buf_take(dsc_rt_worker *w, dsc_rt_buf *buf, dsc_str *out);

/* csv(line): RFC 4180 fields — separated by ',', a field in double quotes may hold commas and
 * "" for a quote; quotes are removed.  A list of dsc_str (arena). */
void dsc_rt_csv_fields(dsc_rt_worker *w, const char *s, int64_t n, dsc_list *out);
/* json(line, key): the value of a top-level key of a JSON object on one line: a string value
 * unescaped (arena), any other value as its JSON text (12, true, null, [1, 2], {...}).
 * 0 when the line is not an object, is malformed before the key, or has no such key.  The
 * first occurrence of a duplicated key wins; the line after the value is not checked. */
int32_t dsc_rt_json_get(dsc_rt_worker *w, const char *s, int64_t n, const char *key,
                        int64_t key_len, dsc_str *out);
/* What json() found so far in one string, so that json() of another key of the same string goes
 * on from there instead of scanning the object again (a pipeline that filters on one field and
 * keeps another).  The generated code keeps one per task function, zeroed at its start; a string
 * is known by its address and length, which within one task call always mean the same bytes.
 * The fields belong to the runtime (json.c). */
enum { DSC_RT_JSON_MEMO_MEMBERS = 8 };
typedef struct dsc_rt_json_member {
  const char *key, *key_end;     /* the raw key, between its quotes */
  const char *value, *value_end; /* the value's text, or value NULL: malformed */
  int32_t escaped;               /* a string value with a backslash */
  int32_t key_escaped;           /* a key with a backslash */
} dsc_rt_json_member;
typedef struct dsc_rt_json_memo {
  const char *obj;      /* the string, or NULL */
  int64_t len;          /* its length */
  const char *next;     /* where the next member starts, or NULL: no more (end, or malformed) */
  int32_t n;            /* members recorded */
  int32_t overflow;     /* members passed that did not fit */
  dsc_rt_json_member m[DSC_RT_JSON_MEMO_MEMBERS];
} dsc_rt_json_memo;
/* dsc_rt_json_get with the same result, through memo. */
int32_t dsc_rt_json_get_memo(dsc_rt_worker *w, dsc_rt_json_memo *memo, const char *s, int64_t n,
                             const char *key, int64_t key_len, dsc_str *out);
/* Whether json(line, key) of s[0..n) may give a value equal to lit[0..m), for any key: 0 only
 * when it cannot (the line has no backslash and lit does not occur in it, between quotes where
 * only a string could be lit).  Generated code asks this before parsing for `==` on a literal.
 * `site` (one per such `==` in a task function, zeroed at its start) counts how often the
 * search found nothing to skip: where the literal is in nearly every line, the search only adds
 * to the parse, so the site answers 1 without searching for a while before it tries again. */
typedef struct dsc_rt_json_prefilter {
  int32_t unsearched; /* lines still to answer 1 without a search */
  int32_t searched;   /* searches since the last count */
  int32_t found;      /* of those, how many answered 1 */
} dsc_rt_json_prefilter;
int32_t dsc_rt_json_may_give(dsc_rt_json_prefilter *site, const char *s, int64_t n,
                             const char *lit, int64_t m);

/* ---- Windows and state: memory that outlives a batch ---------------------------------------- */

/* A store owns memory, tables and vectors that live until dsc_rt_store_free (window panes,
 * state tables).  Used from the main thread only.  Stores still alive when the pipeline ends
 * are freed with it. */
typedef struct dsc_rt_store dsc_rt_store;
dsc_rt_store *dsc_rt_store_new(dsc_rt_ctx *ctx);
/* Frees everything the store owns; NULL is allowed and does nothing. */
void dsc_rt_store_free(dsc_rt_store *store);
/* 16-byte aligned, zeroed. */
void *dsc_rt_store_alloc(dsc_rt_store *store, int64_t size);
/* The same, not zeroed: for an array the caller writes whole before it reads it (a window pane's
 * items, several MiB a batch, whose zeroing was serial work on the main thread). */
void *dsc_rt_store_alloc_raw(dsc_rt_store *store, int64_t size);
/* Bytes dsc_rt_store_alloc has handed out: state updated in place persists each new string
 * value there, so its owner rebuilds the state when this has grown well past the live part. */
int64_t dsc_rt_store_bytes(const dsc_rt_store *store);
dsc_rt_table *dsc_rt_store_table(dsc_rt_store *store, int64_t payload_size);
dsc_rt_vec *dsc_rt_store_vec(dsc_rt_store *store, int64_t elem_size);

/* The batch interval in effect (the declared one, or --batch), in ms. */
int64_t dsc_rt_batch_interval(dsc_rt_ctx *ctx);
/* Spark's zeroTime: the first batch's time minus the interval.  Windows emit at times t with
 * (t - zero time) a multiple of their slide. */
int64_t dsc_rt_zero_time(dsc_rt_ctx *ctx);
/* A configuration error found at start (e.g. a window not a multiple of a --batch override):
 * `NAME: error: MSG` on stderr, exit status 2. */
void dsc_rt_fatal(dsc_rt_ctx *ctx, const char *msg);

#ifdef __cplusplus
}
#endif

#endif /* DSC_RT_H */
