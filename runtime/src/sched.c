/* sched.c — sealing input into batches and running them in order.
 *
 * One mutex (ctx->mu) guards everything receivers and the scheduler share: each source's
 * unsealed lines, its queue of manual-clock segments, the ended/closed flags and the wall-clock
 * batch queue.  Receivers take it once per read(), not per line, and never around the read
 * itself.  A batch's lines are runs of bytes and views in the chunks the receiver read into
 * (lines.c), so sealing moves those and chunk references, never bytes.  One condition variable
 * (on CLOCK_MONOTONIC, so clock changes do not stretch a wait) wakes whoever waits for data, an
 * ended source or a stop request.
 *
 * Wall clock: a clock thread seals every source's lines at each boundary into a batch queue that
 * the main thread drains in order, so slow processing delays batches but never merges them.
 * Manual clock: receivers cut segments at `@batch` lines themselves; the main thread runs batch k
 * once every source has a k-th segment or has ended.  With either clock, while the main thread
 * waits it may start the next batch's first stage on the input that has come ("early start").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt_internal.h"

int64_t rt_first_batch_time(int64_t now_ms, int64_t interval_ms) {
  int64_t q = now_ms / interval_ms;
  if (now_ms % interval_ms < 0) q--; /* floor for times before the epoch */
  return (q + 1) * interval_ms;
}

int64_t rt_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *rt_progname(const dsc_rt_ctx *ctx) { return ctx->prog->name; }

void rt_ctx_init(dsc_rt_ctx *ctx, dsc_rt_program *prog, const rt_options *opt) {
  memset(ctx, 0, sizeof *ctx);
  ctx->prog = prog;
  ctx->opt = *opt;
  if (ctx->opt.interval_ms <= 0) ctx->opt.interval_ms = prog->interval_ms;
  if (ctx->opt.max_line_bytes <= 0) ctx->opt.max_line_bytes = RT_DEFAULT_MAX_LINE;
  int64_t n = ctx->opt.threads;
  if (n <= 0) {
    long c = sysconf(_SC_NPROCESSORS_ONLN);
    n = c > 0 ? c : 1;
  }
  pthread_mutex_init(&ctx->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&ctx->cv, &ca);
  pthread_condattr_destroy(&ca);
  ctx->qtail = &ctx->qhead;
  ctx->early_source = -1;
  ctx->workers = rt_xaligned(RT_LINE_PAIR, sizeof(dsc_rt_worker) * (size_t)n);
  for (int64_t i = 0; i < n; i++) rt_worker_init(&ctx->workers[i], (int32_t)i);
  rt_worker_init(&ctx->static_worker, 0);
  /* what a static stage builds is kept and probed by every batch (a join's lookup table), while
     a batch's own chunks are reused or freed at once, where huge pages would only add zeroing */
  ctx->static_worker.arena.huge = 1;
  rt_pool_start(&ctx->pool, ctx, n);
}

/* Only for a context whose receivers have all finished (tests, normal end). */
void rt_ctx_free(dsc_rt_ctx *ctx) {
  rt_stores_free_all(ctx);
  int64_t n = ctx->pool.nthreads;
  rt_pool_stop(&ctx->pool);
  for (int64_t i = 0; i < n; i++) rt_worker_free(&ctx->workers[i]);
  rt_worker_free(&ctx->static_worker);
  free(ctx->workers);
  for (int32_t i = 0; i < ctx->nsources; i++) {
    rt_source *s = ctx->sources[i];
    rt_lines_free(&s->cur);
    while (s->queue) {
      rt_segment *g = s->queue;
      s->queue = g->next;
      rt_lines_free(&g->lines);
      free(g);
    }
    rt_splitter_free(&s->split);
    if (s->dir) rt_dir_free(s->dir);
    free(s->label);
    free(s->host);
    free(s);
  }
  free(ctx->sources);
  while (ctx->qhead) {
    dsc_rt_batch *b = ctx->qhead;
    ctx->qhead = b->next;
    rt_batch_free(b);
  }
  rt_buf_free(&ctx->out);
  rt_buf_free(&ctx->save);
  free(ctx->save_path);
  pthread_cond_destroy(&ctx->cv);
  pthread_mutex_destroy(&ctx->mu);
}

/* ---- sources: the receiver side ---- */

static void on_block(void *env, rt_input_chunk *chunk, const char *s, size_t n, int64_t lines);

rt_source *rt_source_new(dsc_rt_ctx *ctx, int kind, const char *label) {
  if (ctx->started) {
    fprintf(stderr, "%s: fatal: sources must be registered in dsc_gen_start\n", rt_progname(ctx));
    exit(1);
  }
  rt_source *s = rt_xmalloc(sizeof *s);
  memset(s, 0, sizeof *s);
  s->ctx = ctx;
  s->kind = kind;
  s->label = rt_xstrndup(label, strlen(label));
  s->fd = -1;
  s->queue_tail = &s->queue;
  rt_lines_init(&s->cur);
  rt_splitter_init(&s->split, ctx->opt.max_line_bytes);
  s->split.block_fn = on_block;
  if (ctx->nsources == ctx->scap) {
    ctx->scap = ctx->scap ? ctx->scap * 2 : 4;
    ctx->sources = rt_xrealloc(ctx->sources, sizeof(rt_source *) * (size_t)ctx->scap);
  }
  s->index = ctx->nsources;
  ctx->sources[ctx->nsources++] = s;
  return s;
}

/* Under the manual clock, `@batch` lines cut the source's input into batches; a static table's
 * lines are data in every batch, never batch boundaries. */
static int cuts_batches(const rt_source *src) {
  return src->ctx->opt.manual_clock && src->kind != RT_SRC_TABLE;
}

/* Manual clock: the lines so far are the source's next batch. */
static void seal_segment(rt_source *src) {
  rt_segment *g = rt_xmalloc(sizeof *g);
  g->lines = src->cur;
  g->next = NULL;
  rt_lines_init(&src->cur);
  *src->queue_tail = g;
  src->queue_tail = &g->next;
  src->queued++;
  pthread_cond_broadcast(&src->ctx->cv);
}

static void on_line(void *env, rt_input_chunk *chunk, const rt_line *line) {
  rt_source *src = env;
  dsc_rt_ctx *ctx = src->ctx;
  if (cuts_batches(src) && line->n == 6 && !memcmp(line->s, "@batch", 6)) {
    seal_segment(src);
    return;
  }
  if (line->orig_len > (int64_t)line->n)
    fprintf(stderr, "%s: warning: %s: line %" PRId64 " is %" PRId64
            " bytes long; truncated to %zu bytes\n", rt_progname(ctx), src->label, line->line_no,
            line->orig_len, line->n);
  rt_lines_add(&src->cur, chunk, line->s, line->n, line->ascii);
}

/* A block of plain lines (lines.c): only an `@batch` line among them needs a look. */
static void on_block(void *env, rt_input_chunk *chunk, const char *s, size_t n, int64_t lines) {
  rt_source *src = env;
  const char *from = s, *end = s + n;
  if (cuts_batches(src)) {
    for (const char *at = from; (at = memchr(at, '@', (size_t)(end - at)));) {
      if ((at > s && at[-1] != '\n') || end - at < 7 || memcmp(at, "@batch\n", 7)) {
        at++;
        continue;
      }
      /* the lines before it: whichever side of it is shorter is counted again */
      int64_t before = at - from <= end - at
                         ? rt_count_newlines(from, (size_t)(at - from))
                         : lines - rt_count_newlines(at, (size_t)(end - at));
      if (at > from) rt_lines_add_block(&src->cur, chunk, from, (size_t)(at - from), before);
      seal_segment(src);
      lines -= before + 1;
      from = at = at + 7;
    }
  }
  if (from < end) rt_lines_add_block(&src->cur, chunk, from, (size_t)(end - from), lines);
}

/* Under the manual clock a fast input (a file, a pipe) would otherwise be read ahead whole.
 * While a batch is processed, a receiver reads on only until it has a sealed batch queued or
 * READ_AHEAD bytes of the next one: enough to keep reading while the workers run, little enough
 * that the input in memory is about one batch, not two (the memory target in bench/RESULTS.md).
 * When no batch runs, it reads without bound, so one batch can be as big as the input. */
enum { MAX_QUEUED_SEGMENTS = 1, READ_AHEAD = 2 * RT_INPUT_CHUNK };

/* Input one early call takes at most (about 3 ms of a word count); see "early start".  With
 * more than one worker, a quarter of that: a call cannot stop when its batch is sealed, and the
 * other workers wait for it before they share the rest.  A call on all the workers (see
 * early_shares) takes --early-share-bytes per worker (4 MiB): its tasks' partials are merged
 * into task 0's after each call, at a cost that grows with their keys more than with the step (a
 * word count's tables hold most of its keys after a MiB), so fewer, bigger calls cost less.  A
 * count or a sum of ints hands over only its new keys (cg_sinks.c), which costs little per call:
 * the word count at 2 threads then ran alike with 1, 2 and 4 MiB per worker (182-192 ms; 1 MiB
 * in 15 MB instead of 27), but the other aggregations still merge after each call. */
enum { EARLY_STEP = 1 << 20 };

static int64_t early_step(const dsc_rt_ctx *ctx) {
  return ctx->pool.nthreads == 1 ? EARLY_STEP : EARLY_STEP / 4;
}

static int64_t shared_step(const dsc_rt_ctx *ctx) {
  int64_t per = ctx->opt.share_bytes > 0 ? ctx->opt.share_bytes : RT_DEFAULT_SHARE_BYTES;
  return per * ctx->pool.nthreads;
}

static int early_backlog_full(const rt_source *src);
static int early_shares(const rt_source *src);

/* Locks ctx->mu once there is room for more input (or it will be dropped anyway). */
static void lock_for_input(rt_source *src) {
  dsc_rt_ctx *ctx = src->ctx;
  pthread_mutex_lock(&ctx->mu);
  while (ctx->started && !ctx->stopping && !src->closed &&
         (src->queued >= MAX_QUEUED_SEGMENTS ||
          (ctx->manual_running && src->cur.bytes >= READ_AHEAD) || early_backlog_full(src)))
    pthread_cond_wait(&ctx->cv, &ctx->mu);
}

void rt_source_wait_room(rt_source *src) {
  lock_for_input(src);
  pthread_mutex_unlock(&src->ctx->mu);
}

char *rt_source_space(rt_source *src, size_t want, size_t *room) {
  return rt_split_space(&src->split, want, room);
}

/* Whether an early start (below) may take src's input. */
static int early_takes(const rt_source *src) {
  const dsc_rt_ctx *ctx = src->ctx;
  return ctx->early_fn && ctx->opt.early_bytes > 0 && src->index == ctx->early_source &&
         (!ctx->early_after_first || ctx->first_batch_done);
}

/* The bytes of l's leading plain runs (lines.c), all an early start can take; *nruns gets how
 * many runs that is. */
static int64_t plain_prefix(const rt_lines *l, int64_t *nruns) {
  int64_t r = 0, bytes = 0;
  while (r < l->nruns && l->runs[r].base) bytes += l->runs[r++].bytes;
  *nruns = r;
  return bytes;
}

/* Wakes the waiting scheduler when enough new input has come for an early start (below). */
static void offer_early(rt_source *src) {
  dsc_rt_ctx *ctx = src->ctx;
  if (ctx->sched_waiting && early_takes(src) &&
      src->cur.bytes - ctx->early_done >= ctx->opt.early_bytes)
    pthread_cond_broadcast(&ctx->cv);
}

/* A receiver hands over input between begin_input, which takes ctx->mu once there is room and
 * says whether the source still takes input, and end_input.  Once it is closed the bytes are not
 * committed, so the next read simply goes over them. */
static int begin_input(rt_source *src) {
  lock_for_input(src);
  return !src->closed;
}

static void end_input(rt_source *src) {
  offer_early(src);
  pthread_mutex_unlock(&src->ctx->mu);
}

void rt_source_commit(rt_source *src, size_t n) {
  if (begin_input(src)) rt_split_commit(&src->split, n, on_line, src);
  end_input(src);
}

void rt_source_commit_mapped(rt_source *src, rt_input_map *map, const char *p, size_t n) {
  if (begin_input(src)) rt_split_mapped(&src->split, map, p, n, on_line, src);
  end_input(src);
}

void rt_source_feed(rt_source *src, const char *data, size_t n) {
  if (begin_input(src)) rt_split_feed(&src->split, data, n, on_line, src);
  end_input(src);
}

void rt_source_eof(rt_source *src) {
  pthread_mutex_lock(&src->ctx->mu);
  if (!src->closed) rt_split_finish(&src->split, on_line, src);
  pthread_mutex_unlock(&src->ctx->mu);
}

void rt_source_end(rt_source *src) {
  rt_splitter_free(&src->split); /* batches still using its chunk hold their own references */
  pthread_mutex_lock(&src->ctx->mu);
  src->ended = 1;
  pthread_cond_broadcast(&src->ctx->cv);
  pthread_mutex_unlock(&src->ctx->mu);
}

/* The read() runs without ctx->mu: the scheduler may seal the source's lines meanwhile, which
 * only moves views of complete lines, never the space being read into. */
int rt_source_pump(rt_source *src, int fd) {
  int r;
  for (;;) {
    size_t room;
    rt_source_wait_room(src); /* before the read: a read-ahead bound holds no extra chunk */
    char *space = rt_source_space(src, 1, &room);
    ssize_t n = read(fd, space, room);
    if (n > 0) {
      rt_source_commit(src, (size_t)n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    r = n == 0 ? 0 : -1;
    break;
  }
  int saved = errno;
  pthread_mutex_lock(&src->ctx->mu);
  if (src->ctx->stopping) r = 1;
  pthread_mutex_unlock(&src->ctx->mu);
  errno = saved;
  return r;
}

static struct timespec deadline_in(int64_t ms) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ts.tv_sec += ms / 1000;
  ts.tv_nsec += (ms % 1000) * 1000000;
  if (ts.tv_nsec >= 1000000000) ts.tv_sec++, ts.tv_nsec -= 1000000000;
  return ts;
}

int rt_sleep_unless_stopping(dsc_rt_ctx *ctx, int64_t ms) {
  struct timespec dl = deadline_in(ms);
  pthread_mutex_lock(&ctx->mu);
  while (!ctx->stopping && pthread_cond_timedwait(&ctx->cv, &ctx->mu, &dl) != ETIMEDOUT) {}
  int stop = ctx->stopping;
  pthread_mutex_unlock(&ctx->mu);
  return stop;
}

/* ---- batches ---- */

int64_t dsc_rt_batch_time(const dsc_rt_batch *batch) { return batch->time_ms; }

int64_t rt_batch_early_bytes(const dsc_rt_batch *batch, int32_t source) {
  return batch && source == batch->early_source ? batch->early_bytes : 0;
}

const rt_lines *rt_batch_source_lines(const dsc_rt_batch *batch, int32_t source) {
  if (source < 0 || source >= batch->nsources) return NULL;
  const rt_source *src = batch->ctx ? batch->ctx->sources[source] : NULL;
  if (src && src->kind == RT_SRC_TABLE) return &src->cur; /* static lines, shared by every batch */
  return &batch->lines[source];
}

static dsc_rt_batch *batch_new(dsc_rt_ctx *ctx, int64_t time_ms) {
  dsc_rt_batch *b = rt_xmalloc(sizeof *b);
  memset(b, 0, sizeof *b);
  b->time_ms = time_ms;
  b->ctx = ctx;
  b->early_source = -1;
  b->nsources = ctx->nsources;
  b->max_tasks = ctx->opt.batch_tasks; /* an early call sets its own (run_early) */
  b->lines = rt_xmalloc(sizeof(rt_lines) * (size_t)(ctx->nsources ? ctx->nsources : 1));
  for (int32_t i = 0; i < ctx->nsources; i++) rt_lines_init(&b->lines[i]);
  return b;
}

void rt_batch_free(dsc_rt_batch *b) {
  for (int32_t i = 0; i < b->nsources; i++) rt_lines_free(&b->lines[i]);
  free(b->lines);
  free(b);
}

static const char *const error_text[DSC_RT_ERR_COUNT_][2] = {
    {"integer division or modulo by zero", "integer divisions or modulos by zero"},
    {"value could not be parsed by toInt", "values could not be parsed by toInt"},
    {"value could not be parsed by toFloat", "values could not be parsed by toFloat"},
    {"list index was out of range", "list indexes were out of range"},
    {".get was called on none", ".get calls were made on none"},
};
static const char *const error_used[DSC_RT_ERR_COUNT_] = {"0", "0", "0.0", "the zero value",
                                                          "the zero value"};

void rt_batch_finish(dsc_rt_ctx *ctx, dsc_rt_batch *batch) {
  char when[64];
  rt_format_time(batch->time_ms, when, sizeof when);
  for (int32_t i = 0; i < batch->nsources; i++)
    if (batch->lines[i].invalid)
      fprintf(stderr, "%s: warning: batch %s: %s: %" PRId64 " invalid UTF-8 sequence%s replaced by U+FFFD\n",
              rt_progname(ctx), when, ctx->sources[i]->label, batch->lines[i].invalid,
              batch->lines[i].invalid == 1 ? "" : "s");
  for (int k = 0; k < DSC_RT_ERR_COUNT_; k++) {
    int64_t total = 0;
    for (int64_t w = 0; w < ctx->pool.nthreads; w++) total += ctx->workers[w].errors[k];
    total += ctx->static_worker.errors[k]; /* made in this batch too; its memory stays */
    ctx->static_worker.errors[k] = 0;
    if (total)
      fprintf(stderr, "%s: warning: batch %s: %" PRId64 " %s (used %s)\n", rt_progname(ctx), when,
              total, error_text[k][total != 1], error_used[k]);
  }
  for (int64_t w = 0; w < ctx->pool.nthreads; w++) rt_worker_reset(&ctx->workers[w]);
}

static void run_batch(dsc_rt_ctx *ctx, dsc_rt_batch *b, rt_batch_fn run) {
  for (int32_t i = 0; i < b->nsources; i++)
    if (ctx->sources[i]->kind != RT_SRC_TABLE) ctx->records_run += b->lines[i].count;
  ctx->batches_run++;
  run(ctx, b);
  if (!ctx->first_batch_done) { /* an early start may now need what it computed */
    pthread_mutex_lock(&ctx->mu);
    ctx->first_batch_done = 1;
    pthread_mutex_unlock(&ctx->mu);
  }
  dsc_rt_output_flush(ctx);
  rt_batch_finish(ctx, b);
  rt_batch_free(b);
}

void dsc_rt_source_early(dsc_rt_ctx *ctx, int32_t source, int32_t release, int32_t after_first,
                         int32_t parallel) {
  if (source < 0 || source >= ctx->nsources) return;
  ctx->early_source = source;
  ctx->early_release = release != 0;
  ctx->early_parallel = parallel != 0;
  ctx->early_after_first = after_first != 0;
}

/* ---- early start ----
 * While the main thread waits for the rest of the next batch (its `@batch` line, its time on the
 * wall clock, or the end of input), the batch's first stage already runs as task 0 on the lines
 * that have arrived, and keeps task 0's partials (dsc_gen_early); the sealed batch then divides
 * only the rest among its tasks, task 0 continuing (dsc_rt_lines_open, and dsc_rt_run_tasks runs
 * task 0 on this thread).
 * So reading a big batch overlaps with processing it instead of preceding it.  Results are the
 * same: task 0 still takes the first lines, in order.  Only plain runs are taken (lines.c), up to
 * the first view run, and only when at least opt.early_bytes are new, so small batches, which a
 * receiver reads in one go, are not cut into pieces.  The bytes taken so far (ctx->early_done)
 * need not end a line: as between tasks, the lines that start before it are taken, and the
 * next call or task begins at the first line that starts at or after it. */

/* After an early call, when the stage's partials keep no pointer into the input
 * (ctx->early_release): the chunks that hold only lines before done - 1 are released, so that
 * the receiver reuses them (lines.c's pool) instead of faulting in new memory, and a big batch
 * does not stay in memory whole.  Nothing reads those bytes again: the batch's tasks start at
 * the first line that starts at or after done, and to find it they read from done - 1 on.
 * Chunks are in input order in l->chunks, and a run never crosses a chunk (lines.c), so every
 * chunk before the one holding byte done - 1 is behind.  (ctx->mu held.) */
static void release_behind(rt_lines *l, int64_t done) {
  int64_t off = 0, r = 0;
  while (r < l->nruns && off + l->runs[r].bytes < done) off += l->runs[r++].bytes;
  if (r == l->nruns || !l->runs[r].base) return;
  const char *keep = l->runs[r].base;
  int64_t k = 0;
  while (k < l->nchunks &&
         !(keep >= l->chunks[k]->data && keep < l->chunks[k]->data + l->chunks[k]->cap))
    k++;
  if (k == l->nchunks) return;
  for (int64_t i = 0; i < k; i++) rt_input_chunk_release(l->chunks[i]);
  memmove(l->chunks, l->chunks + k, sizeof(rt_input_chunk *) * (size_t)(l->nchunks - k));
  l->nchunks -= k;
}

/* Runs the early stage on what is new, if that is worth it.  ctx->mu is held, and released
 * while the stage runs: the receiver appends meanwhile, and a snapshot of the runs keeps the
 * stage off the arrays it may reallocate.  The chunks stay referenced by the source's lines
 * until the batch that gets them is freed, after this thread has run it.  Returns 1 if it ran. */
static int run_early(dsc_rt_ctx *ctx, int64_t time_ms) {
  if (ctx->early_source < 0) return 0;
  rt_source *s = ctx->sources[ctx->early_source];
  if (!early_takes(s) || s->queue || s->ended || ctx->stopping) return 0; /* batch complete */
  const rt_lines *cur = &s->cur;
  int64_t nplain, plain = plain_prefix(cur, &nplain);
  if (plain - ctx->early_done < ctx->opt.early_bytes) return 0;
  /* a step at a time, so that once the batch is sealed the workers share what is left */
  int shares = early_shares(s);
  int64_t step = shares ? shared_step(ctx) : early_step(ctx);
  int64_t upto = plain - ctx->early_done > step ? ctx->early_done + step : plain;
  rt_lines lines;
  rt_lines_init(&lines);
  lines.runs = rt_xmalloc(sizeof(rt_line_run) * (size_t)nplain);
  memcpy(lines.runs, cur->runs, sizeof(rt_line_run) * (size_t)nplain);
  lines.nruns = lines.rcap = nplain;
  lines.bytes = upto; /* the cursor stops there; the runs stay whole, for the last line's end */
  dsc_rt_batch *part = batch_new(ctx, time_ms);
  part->lines[ctx->early_source] = lines;
  part->early_source = ctx->early_source;
  part->early_bytes = ctx->early_done;
  part->max_tasks = shares ? 0 : 1;
  pthread_mutex_unlock(&ctx->mu);
  ctx->early_fn(ctx, part);
  pthread_mutex_lock(&ctx->mu);
  ctx->early_done = upto;
  ctx->early_calls++;
  ctx->early_shared += shares;
  if (ctx->early_release) {
    /* the lines it took may have been sealed meanwhile: into the (empty before) segment queue,
       or, under the wall clock, into the first queued batch */
    rt_lines *took = s->queue ? &s->queue->lines
                   : ctx->qhead ? &ctx->qhead->lines[ctx->early_source] : &s->cur;
    release_behind(took, upto);
    pthread_cond_broadcast(&ctx->cv); /* a receiver held to early_backlog_full */
  }
  rt_batch_free(part); /* the snapshot holds no chunk references: nothing else to release */
  return 1;
}

/* Manual clock, input freed as it is taken early: how far a receiver may read ahead of the
 * early start while no batch runs, so that a big batch takes a few MiB instead of its size, and
 * the receiver reads into the chunks the early start gave back instead of fresh memory (the word
 * count at 2 threads read its 100 MB into new memory, whose zeroing took a third of its time).
 * Only while every line so far is in plain runs, which the early start can take: a view run
 * stops it, and the receiver must then read on.  With more threads, only when the early calls
 * can run on all the workers (early_shares): the receiver then waits for them as it waits for
 * task 0 alone with one thread; held to task 0 alone, the other workers would find little left
 * of the batch to share (the word count at 2 threads: 0.25 -> 0.33 s).  (ctx->mu held.) */
static int early_backlog_full(const rt_source *src) {
  const dsc_rt_ctx *ctx = src->ctx;
  if (!ctx->early_release || !early_takes(src) || !ctx->opt.manual_clock || src->queue ||
      (ctx->pool.nthreads != 1 && !ctx->early_parallel))
    return 0;
  /* with more threads: room for the step on all the workers and the next one */
  int64_t step = ctx->pool.nthreads == 1 ? EARLY_STEP : 2 * shared_step(ctx);
  if (ctx->opt.early_bytes > (INT64_MAX - step) / 2) return 0; /* no bound that big */
  int64_t bound = 2 * ctx->opt.early_bytes + step;
  if (bound < READ_AHEAD) bound = READ_AHEAD;
  int64_t nplain;
  return src->cur.bytes - ctx->early_done >= bound &&
         plain_prefix(&src->cur, &nplain) == src->cur.bytes;
}

/* Whether the next early call runs on all the workers (dsc_gen_early, "parallel"): when the
 * program allows it and the receiver waits for the early start, which then has a big batch in
 * front of it.  Otherwise task 0 alone takes small steps while the receiver reads on, and the
 * batch's tasks divide what is left once it is sealed: merging the tasks' partials after each
 * call costs more than it saves when the batch is sealed soon after (the 1 s word count at 2
 * threads took 12% longer with every early call shared).  (ctx->mu held.) */
static int early_shares(const rt_source *src) {
  return src->ctx->early_parallel && src->ctx->pool.nthreads > 1 && early_backlog_full(src);
}

/* The early part of the next batch, handed to the batch itself (ctx->mu held). */
static void take_early(dsc_rt_ctx *ctx, dsc_rt_batch *b) {
  if (ctx->early_done > 0) {
    b->early_source = ctx->early_source;
    b->early_bytes = ctx->early_done;
  }
  ctx->early_done = 0;
}

/* Manual clock: batch k is ready when every source has sealed a k-th segment or ended. */
static void run_manual(dsc_rt_ctx *ctx, rt_batch_fn run) {
  int64_t k = 0;
  pthread_mutex_lock(&ctx->mu);
  for (;;) {
    int ready = 1, all_ended = 1, any_queued = 0;
    for (int32_t i = 0; i < ctx->nsources; i++) {
      rt_source *s = ctx->sources[i];
      int ended = s->ended || ctx->stopping;
      if (s->queue) any_queued = 1;
      else if (!ended) ready = 0;
      if (!ended) all_ended = 0;
    }
    if (ready && any_queued) {
      dsc_rt_batch *b = batch_new(ctx, ctx->opt.start_time_ms + ++k * ctx->opt.interval_ms);
      for (int32_t i = 0; i < ctx->nsources; i++) {
        rt_source *s = ctx->sources[i];
        rt_segment *g = s->queue;
        if (!g) continue;
        s->queue = g->next;
        if (!s->queue) s->queue_tail = &s->queue;
        s->queued--;
        b->lines[i] = g->lines;
        free(g);
      }
      take_early(ctx, b);
      ctx->manual_running = 1;
      pthread_cond_broadcast(&ctx->cv); /* receivers waiting for room */
      pthread_mutex_unlock(&ctx->mu);
      run_batch(ctx, b, run);
      pthread_mutex_lock(&ctx->mu);
      ctx->manual_running = 0;
      pthread_cond_broadcast(&ctx->cv); /* receivers held to the read-ahead bound */
      continue;
    }
    if (all_ended) {
      dsc_rt_batch *b = batch_new(ctx, ctx->opt.start_time_ms + (k + 1) * ctx->opt.interval_ms);
      int64_t lines = 0;
      for (int32_t i = 0; i < ctx->nsources; i++) {
        rt_source *s = ctx->sources[i];
        s->closed = 1;
        if (s->kind == RT_SRC_TABLE) continue;
        b->lines[i] = s->cur;
        lines += s->cur.count;
        rt_lines_init(&s->cur);
      }
      b->final = 1;
      take_early(ctx, b);
      pthread_mutex_unlock(&ctx->mu);
      if (lines || ctx->batches_run == 0) run_batch(ctx, b, run);
      else rt_batch_free(b);
      return;
    }
    if (run_early(ctx, ctx->opt.start_time_ms + (k + 1) * ctx->opt.interval_ms)) continue;
    ctx->sched_waiting = 1;
    pthread_cond_wait(&ctx->cv, &ctx->mu);
    ctx->sched_waiting = 0;
  }
}

/* Moves every source's unsealed lines into a new batch at `time` (ctx->mu held). */
static dsc_rt_batch *seal_all(dsc_rt_ctx *ctx, int64_t time, int final) {
  dsc_rt_batch *b = batch_new(ctx, time);
  for (int32_t i = 0; i < ctx->nsources; i++) {
    rt_source *s = ctx->sources[i];
    if (s->kind == RT_SRC_TABLE) continue;
    b->lines[i] = s->cur;
    rt_lines_init(&s->cur);
    if (final) s->closed = 1;
  }
  b->final = final;
  *ctx->qtail = b;
  ctx->qtail = &b->next;
  pthread_cond_broadcast(&ctx->cv);
  return b;
}

static void *clock_main(void *arg) {
  dsc_rt_ctx *ctx = arg;
  int64_t interval = ctx->opt.interval_ms;
  pthread_mutex_lock(&ctx->mu);
  if (!ctx->zero_set) ctx->zero_ms = rt_first_batch_time(rt_now_ms(), interval) - interval;
  ctx->zero_set = 1;
  int64_t next = ctx->zero_ms + interval;
  for (;;) {
    int all_ended = 1;
    for (int32_t i = 0; i < ctx->nsources; i++) all_ended &= ctx->sources[i]->ended;
    if (all_ended || ctx->stopping) {
      seal_all(ctx, next, 1);
      break;
    }
    int64_t now = rt_now_ms();
    if (now >= next) {
      seal_all(ctx, next, 0);
      next += interval;
      continue;
    }
    struct timespec dl = deadline_in(next - now);
    pthread_cond_timedwait(&ctx->cv, &ctx->mu, &dl);
  }
  pthread_mutex_unlock(&ctx->mu);
  return NULL;
}

static void run_wall(dsc_rt_ctx *ctx, rt_batch_fn run) {
  pthread_t clock;
  int rc = pthread_create(&clock, NULL, clock_main, ctx);
  if (rc) {
    fprintf(stderr, "%s: fatal: cannot start clock thread: %s\n", rt_progname(ctx), strerror(rc));
    exit(1);
  }
  rt_name_thread(clock, "dsc-clock", -1);
  for (int final = 0; !final;) {
    pthread_mutex_lock(&ctx->mu);
    while (!ctx->qhead) {
      if (run_early(ctx, 0)) continue; /* the stage does not read the batch's time */
      ctx->sched_waiting = 1;
      pthread_cond_wait(&ctx->cv, &ctx->mu);
      ctx->sched_waiting = 0;
    }
    dsc_rt_batch *b = ctx->qhead;
    ctx->qhead = b->next;
    if (!ctx->qhead) ctx->qtail = &ctx->qhead;
    take_early(ctx, b); /* the queue was empty when it ran: this is the batch it started */
    pthread_mutex_unlock(&ctx->mu);
    final = b->final;
    run_batch(ctx, b, run);
  }
  pthread_join(clock, NULL);
}

void rt_run(dsc_rt_ctx *ctx, rt_batch_fn run) {
  if (ctx->opt.manual_clock) run_manual(ctx, run);
  else run_wall(ctx, run);
}

int64_t dsc_rt_batch_interval(dsc_rt_ctx *ctx) { return ctx->opt.interval_ms; }

/* Manual clock: batch k (from 1) is at start + k * interval, so zero is the start time.  Wall
 * clock: fixed by the first call or by the clock thread, whichever comes first, and the clock
 * thread then starts from it, so the module and the scheduler agree. */
int64_t dsc_rt_zero_time(dsc_rt_ctx *ctx) {
  if (ctx->opt.manual_clock) return ctx->opt.start_time_ms;
  pthread_mutex_lock(&ctx->mu);
  if (!ctx->zero_set) {
    int64_t iv = ctx->opt.interval_ms;
    ctx->zero_ms = rt_first_batch_time(rt_now_ms(), iv) - iv;
    ctx->zero_set = 1;
  }
  int64_t z = ctx->zero_ms;
  pthread_mutex_unlock(&ctx->mu);
  return z;
}
