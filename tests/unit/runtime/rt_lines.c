/* rt_lines.c — unit tests of line splitting, UTF-8 repair, the per-batch line views into
 * reference-counted input chunks, and the manual-clock markers as a source sees them.
 *
 * The splitting cases run once per chunk size in chunk_sizes: with chunks of a few bytes every
 * line straddles chunks, a \r\n falls across them and long lines outgrow them, and each case
 * must still give the same lines. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lines_text.h"
#include "rt_internal.h"
#include "../cunit_main.h"

typedef struct collected {
  char text[4096];      /* lines joined by '|' */
  size_t len;           /* bytes in text */
  int64_t count;        /* lines */
  int64_t last_no;      /* line number of the last line */
  int64_t last_orig;    /* original length of the last line */
  rt_lines *into;       /* when set, each line is also added here, as a source does */
} collected;

static void collect(void *env, rt_input_chunk *chunk, const rt_line *line) {
  collected *c = env;
  if (c->count++) c->text[c->len++] = '|';
  memcpy(c->text + c->len, line->s, line->n < 1000 ? line->n : 1000);
  c->len += line->n < 1000 ? line->n : 1000;
  c->text[c->len] = 0;
  c->last_no = line->line_no, c->last_orig = line->orig_len;
  CU_ASSERT_FATAL(line->s >= chunk->data && line->s + line->n <= chunk->data + chunk->cap);
  if (c->into) rt_lines_add(c->into, chunk, line->s, line->n, line->ascii);
}

/* 0: the default chunk size. */
static const size_t chunk_sizes[] = {0, 1, 2, 3, 5, 8, 64};
static size_t chunk_size;

/* out = n copies of ch, NUL-terminated (out has room for n + 1). */
static const char *repeated(char *out, char ch, size_t n) {
  memset(out, ch, n);
  out[n] = 0;
  return out;
}

/* A splitter whose new chunks hold `chunk` bytes (0: the default size). */
static void splitter_sized(rt_splitter *sp, int64_t max, size_t chunk) {
  rt_splitter_init(sp, max);
  if (chunk) sp->chunk_size = chunk;
}

/* A splitter with the chunk size of the current each_chunk_size round. */
static void splitter_init(rt_splitter *sp, int64_t max) { splitter_sized(sp, max, chunk_size); }

/* Feeds the chunks (NULL-terminated list) then finishes. */
static void split(collected *c, int64_t max, const char **chunks) {
  memset(c, 0, sizeof *c);
  rt_splitter sp;
  splitter_init(&sp, max);
  for (; *chunks; chunks++) rt_split_feed(&sp, *chunks, strlen(*chunks), collect, c);
  rt_split_finish(&sp, collect, c);
  rt_splitter_free(&sp);
}

/* Runs body once per chunk size; a failure message names the size. */
static void each_chunk_size(void (*body)(void)) {
  for (size_t k = 0; k < sizeof chunk_sizes / sizeof chunk_sizes[0]; k++) {
    chunk_size = chunk_sizes[k];
    unsigned before = CU_get_number_of_failures();
    body();
    if (CU_get_number_of_failures() != before) fprintf(stderr, "\n  (chunk size %zu)", chunk_size);
  }
  chunk_size = 0;
}

/* Writes text into the splitter's space in reads of at most `step` bytes, as read(2) would. */
static void read_in(rt_splitter *sp, const char *text, size_t step, collected *c) {
  for (size_t n = strlen(text); n;) {
    size_t room;
    char *space = rt_split_space(sp, 1, &room);
    size_t k = n < step ? n : step;
    if (k > room) k = room;
    memcpy(space, text, k);
    rt_split_commit(sp, k, collect, c);
    text += k, n -= k;
  }
}

/* The input chunk among l's that holds v, or NULL. */
static rt_input_chunk *holder(const rt_lines *l, dsc_str v) {
  for (int64_t i = 0; i < l->nchunks; i++) {
    rt_input_chunk *c = l->chunks[i];
    if (v.ptr >= c->data && v.ptr + v.len <= c->data + c->cap) return c;
  }
  return NULL;
}

static int view_is(dsc_str v, const char *want) {
  return v.len == (int64_t)strlen(want) && !memcmp(v.ptr, want, (size_t)v.len);
}
static void terminators(void) {
  collected c;
  split(&c, 0, (const char *[]){"a\nb\r\nc\rd", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "a|b|c|d");
  CU_ASSERT_EQUAL(c.count, 4);
  split(&c, 0, (const char *[]){"a\n\nb\n", NULL}); /* empty line kept, no line after last \n */
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  CU_ASSERT_EQUAL(c.count, 3);
  split(&c, 0, (const char *[]){"a\r\r\nb", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  split(&c, 0, (const char *[]){"", NULL});
  CU_ASSERT_EQUAL(c.count, 0);
  split(&c, 0, (const char *[]){"\n", NULL});
  CU_ASSERT_EQUAL(c.count, 1);
  CU_ASSERT_STRING_EQUAL(c.text, "");
}

static void split_across_reads(void) {
  collected c;
  split(&c, 0, (const char *[]){"hel", "lo\r", "\nwor", "ld\r", "x", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "hello|world|x");
  split(&c, 0, (const char *[]){"a\r", "\r", "\n", "b", NULL}); /* \r | \r\n */
  CU_ASSERT_STRING_EQUAL(c.text, "a||b");
  split(&c, 0, (const char *[]){"a", "b", "c", "\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  CU_ASSERT_EQUAL(c.last_no, 1);
  split(&c, 0, (const char *[]){"a\r", "", "\nb", NULL}); /* an empty read keeps the pending \r */
  CU_ASSERT_STRING_EQUAL(c.text, "a|b");
}

static void truncation(void) {
  collected c;
  split(&c, 4, (const char *[]){"abcdefgh\nxy\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd|xy");
  CU_ASSERT_EQUAL(c.last_orig, 2);
  split(&c, 4, (const char *[]){"abc", "def", "gh", "ij\nz", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd|z");
  split(&c, 4, (const char *[]){"ab", "cdefghij", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abcd");
  CU_ASSERT_EQUAL(c.last_orig, 10);
  CU_ASSERT_EQUAL(c.last_no, 1);
  /* The cut backs off to a code-point boundary: é is 2 bytes at offsets 3-4. */
  split(&c, 4, (const char *[]){"abc\xc3\xa9z\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  split(&c, 4, (const char *[]){"ab", "c\xc3\xa9z\n", NULL});
  CU_ASSERT_STRING_EQUAL(c.text, "abc");
  /* A huge line streamed in pieces keeps at most max bytes in memory. */
  rt_splitter sp;
  splitter_init(&sp, 1000);
  memset(&c, 0, sizeof c);
  char *chunk = malloc(1 << 16);
  memset(chunk, 'q', 1 << 16);
  for (int i = 0; i < 64; i++) rt_split_feed(&sp, chunk, 1 << 16, collect, &c);
  rt_split_feed(&sp, "\nnext\n", 6, collect, &c);
  /* The cut line's dropped bytes are read over, so the chunk never grew past twice the cut. */
  CU_ASSERT(sp.chunk->cap <= (sp.chunk_size > 2048 ? sp.chunk_size : 2048));
  CU_ASSERT_EQUAL(c.count, 2);
  CU_ASSERT_EQUAL(c.last_orig, 4);
  rt_splitter_free(&sp);
  free(chunk);
}

static void check_repair(const char *in, size_t n, const char *want, size_t wn,
                         int64_t want_invalid) {
  char out[64];
  int64_t invalid = 0;
  size_t k = rt_utf8_repair(in, n, out, &invalid);
  int ok = k == wn && !memcmp(out, want, k) && invalid == want_invalid;
  if (!ok) fprintf(stderr, "\n  repair: got %zu bytes / %lld invalid\n", k, (long long)invalid);
  CU_ASSERT(ok);
}
#define FFFD "\xef\xbf\xbd"
#define REP(lit, want, inv) check_repair(lit, sizeof(lit) - 1, want, sizeof(want) - 1, inv)

static void test_terminators(void) { each_chunk_size(terminators); }
static void test_split_across_reads(void) { each_chunk_size(split_across_reads); }
static void test_truncation(void) { each_chunk_size(truncation); }

static void test_utf8_repair(void) {
  REP("abc", "abc", 0);
  REP("caf\xc3\xa9", "caf\xc3\xa9", 0);
  REP("\xff", FFFD, 1);
  REP("a\x80" "b", "a" FFFD "b", 1);
  REP("\xc3", FFFD, 1);                         /* truncated at the end */
  REP("\xe2\x82" "x", FFFD "x", 1);             /* maximal subpart: one U+FFFD */
  REP("\xed\xa0\x80", FFFD FFFD FFFD, 3);       /* surrogate: each byte */
  REP("\xc0\xaf", FFFD FFFD, 2);                /* overlong */
  REP("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD, 4); /* > U+10FFFF */
  REP("\xf0\x9f\x98", FFFD, 1);
  REP("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80", 0);
  REP("a\0b", "a\0b", 0);                       /* NUL is data */
}

static void test_lines_store(void) {
  rt_lines l;
  rt_lines_init(&l);
  rt_input_chunk *c = rt_input_chunk_new(5003);
  memcpy(c->data, "ab\xff", 3);
  memset(c->data + 3, 'x', 5000);
  for (int i = 0; i < 3000; i++)
    rt_lines_add(&l, c, i % 2 ? c->data + 3 : c->data, i % 2 ? 5000 : 3, 0);
  rt_lines_add(&l, c, c->data + 5003, 0, 1);
  rt_input_chunk_release(c); /* the store's own references keep it */
  CU_ASSERT_EQUAL(l.count, 3001);
  CU_ASSERT_EQUAL(l.invalid, 1500);
  CU_ASSERT_EQUAL(l.views[0].len, 5);
  CU_ASSERT(!memcmp(l.views[0].ptr, "ab" FFFD, 5));
  CU_ASSERT_PTR_EQUAL(l.views[1].ptr, c->data + 3); /* valid lines are not copied */
  CU_ASSERT_EQUAL(l.views[2999].len, 5000);
  CU_ASSERT_EQUAL(l.views[2999].ptr[4999], 'x');
  CU_ASSERT_EQUAL(l.views[3000].len, 0);
  CU_ASSERT_PTR_NOT_NULL(l.views[3000].ptr);
  /* the side chunk of repaired lines, then the input chunk: each listed once or twice */
  CU_ASSERT(l.nchunks >= 2 && l.nchunks <= 3);
  CU_ASSERT_PTR_NOT_NULL(l.repair);
  CU_ASSERT_PTR_EQUAL(holder(&l, l.views[0]), l.repair);
  CU_ASSERT_PTR_EQUAL(holder(&l, l.views[1]), c);
  rt_lines_free(&l);
  CU_ASSERT_EQUAL(l.count, 0);
  CU_ASSERT_PTR_NULL(l.chunks);
}

/* Complete lines are views into the space they were read into; the incomplete one stays put
 * until it completes, and the next read lands right after it. */
static void test_views_point_into_chunks(void) {
  rt_splitter sp;
  rt_splitter_init(&sp, 0);
  rt_lines l;
  rt_lines_init(&l);
  collected c = {.into = &l};
  size_t room;
  char *space = rt_split_space(&sp, 1, &room);
  CU_ASSERT_EQUAL(room, RT_FIRST_CHUNK); /* a stream's first chunk is the small one */
  memcpy(space, "alpha\nbeta\r\ngamma", 17);
  rt_split_commit(&sp, 17, collect, &c);
  CU_ASSERT_EQUAL_FATAL(l.count, 2);
  CU_ASSERT_PTR_EQUAL(l.views[0].ptr, space);
  CU_ASSERT_PTR_EQUAL(l.views[1].ptr, space + 6);
  CU_ASSERT_EQUAL(l.nchunks, 1);
  CU_ASSERT_EQUAL(sp.chunk->refs, 2); /* the receiver's and the batch's */
  char *next = rt_split_space(&sp, 1, &room);
  CU_ASSERT_PTR_EQUAL(next, space + 17);
  CU_ASSERT_EQUAL(room, RT_FIRST_CHUNK - 17);
  memcpy(next, "!\n", 2);
  rt_split_commit(&sp, 2, collect, &c);
  CU_ASSERT_EQUAL_FATAL(l.count, 3);
  CU_ASSERT_PTR_EQUAL(l.views[2].ptr, space + 12);
  CU_ASSERT(view_is(l.views[2], "gamma!"));
  CU_ASSERT_EQUAL(l.nchunks, 1); /* one reference per chunk, not per line */
  /* the first chunk full but for an incomplete line: the next one is standard, and the line
     moves to its start */
  next = rt_split_space(&sp, 1, &room);
  memset(next, 'x', room);
  next[0] = '\n';
  rt_split_commit(&sp, room, collect, &c);
  CU_ASSERT_EQUAL(l.count, 4);
  next = rt_split_space(&sp, 1, &room);
  CU_ASSERT_NOT_EQUAL(sp.chunk, l.chunks[0]);
  CU_ASSERT_EQUAL(room, RT_INPUT_CHUNK - (RT_FIRST_CHUNK - 20));
  CU_ASSERT(next[-1] == 'x' && next[-(ptrdiff_t)(RT_FIRST_CHUNK - 20)] == 'x');
  rt_input_chunk *chunk = l.chunks[0];
  rt_splitter_free(&sp);
  CU_ASSERT_EQUAL(chunk->refs, 1); /* now only the batch holds it */
  CU_ASSERT(view_is(l.views[1], "beta"));
  rt_lines_free(&l);
}

/* With 16-byte chunks nearly every line crosses a chunk end: its head moves to the next chunk,
 * and each view lies whole inside a chunk the batch holds, even after the splitter let go. */
static void test_lines_straddle_chunks(void) {
  static const size_t steps[] = {1, 5, 7, 16, 100};
  for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
    rt_splitter sp;
    splitter_sized(&sp, 0, 16);
    rt_lines l;
    rt_lines_init(&l);
    collected c = {.into = &l};
    char longline[101];
    repeated(longline, 'L', 100);
    read_in(&sp, "one two\nthree four five\r\nsix\r", steps[k], &c);
    read_in(&sp, "\nseven eight nine ten\n", steps[k], &c);
    read_in(&sp, longline, steps[k], &c);
    read_in(&sp, "\nz", steps[k], &c);
    rt_split_finish(&sp, collect, &c);
    rt_splitter_free(&sp);
    ASSERT_TEXT(c.text, "one two|three four five|six|seven eight nine ten|" 
                        "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL|z");
    CU_ASSERT_EQUAL_FATAL(l.count, 6);
    CU_ASSERT(view_is(l.views[1], "three four five"));
    CU_ASSERT(view_is(l.views[3], "seven eight nine ten"));
    CU_ASSERT_EQUAL(l.views[4].len, 100); /* longer than a chunk: it got a chunk of its own */
    CU_ASSERT(view_is(l.views[5], "z"));
    CU_ASSERT(l.nchunks > 1);
    for (int64_t i = 0; i < l.count; i++) CU_ASSERT_PTR_NOT_NULL(holder(&l, l.views[i]));
    for (int64_t i = 0; i < l.nchunks; i++) CU_ASSERT(l.chunks[i]->refs >= 1);
    rt_lines_free(&l);
  }
}

/* \r ends a chunk exactly; the \n that completes the terminator starts the next one. */
static void test_crlf_across_chunks(void) {
  rt_splitter sp;
  splitter_sized(&sp, 0, 4);
  collected c;
  memset(&c, 0, sizeof c);
  read_in(&sp, "abc\r", 4, &c);
  CU_ASSERT_EQUAL(sp.filled, sp.chunk->cap);
  CU_ASSERT_EQUAL(c.count, 1);
  read_in(&sp, "\ndef\r", 4, &c);
  read_in(&sp, "\r\n", 1, &c);
  read_in(&sp, "\n", 1, &c);
  rt_split_finish(&sp, collect, &c);
  ASSERT_TEXT(c.text, "abc|def||");
  CU_ASSERT_EQUAL(c.count, 4);
  rt_splitter_free(&sp);
}

/* A line past max_line is cut, and the rest is read over in place: the chunk stays small. */
static void test_truncation_in_chunks(void) {
  rt_splitter sp;
  splitter_sized(&sp, 10, 8);
  rt_lines l;
  rt_lines_init(&l);
  collected c = {.into = &l};
  char big[5001];
  repeated(big, 'a', 5000);
  read_in(&sp, "x\n", 3, &c);
  read_in(&sp, big, 3, &c);
  CU_ASSERT(sp.chunk->cap <= 32);
  read_in(&sp, "\nok\nabcdefghi\xc3\xa9z", 3, &c);
  CU_ASSERT_EQUAL(c.last_orig, 2);
  rt_split_finish(&sp, collect, &c);
  CU_ASSERT_EQUAL(c.last_orig, 12);
  rt_splitter_free(&sp);
  ASSERT_TEXT(c.text, "x|aaaaaaaaaa|ok|abcdefghi"); /* é would cross the cut: backed off */
  CU_ASSERT_EQUAL_FATAL(l.count, 4);
  CU_ASSERT(view_is(l.views[1], "aaaaaaaaaa"));
  CU_ASSERT(view_is(l.views[3], "abcdefghi"));
  rt_lines_free(&l);
}

/* Reads with non-ASCII bytes are validated per line: valid lines stay views, invalid ones are
 * repaired into the side chunk.  A multi-byte character split across reads and chunks is valid. */
static void test_utf8_in_chunks(void) {
  for (size_t size = 2; size <= 64; size *= 2) {
    rt_splitter sp;
    splitter_sized(&sp, 0, size);
    rt_lines l;
    rt_lines_init(&l);
    collected c = {.into = &l};
    read_in(&sp, "plain\ncaf\xc3", 4, &c);
    read_in(&sp, "\xa9\nbad \xff here\nok\n", 5, &c);
    read_in(&sp, "tail \xe2\x82", 3, &c);  /* a sequence cut short by the end of the stream */
    rt_split_finish(&sp, collect, &c);
    rt_splitter_free(&sp);
    CU_ASSERT_EQUAL_FATAL(l.count, 5);
    CU_ASSERT(view_is(l.views[0], "plain"));
    CU_ASSERT(view_is(l.views[1], "caf\xc3\xa9"));
    CU_ASSERT(view_is(l.views[2], "bad " FFFD " here"));
    CU_ASSERT(view_is(l.views[3], "ok"));
    CU_ASSERT(view_is(l.views[4], "tail " FFFD));
    CU_ASSERT_EQUAL(l.invalid, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(l.repair);
    CU_ASSERT(holder(&l, l.views[2]) == l.repair);
    CU_ASSERT(holder(&l, l.views[1]) != l.repair);  /* valid UTF-8 is not copied */
    rt_lines_free(&l);
  }
  /* A repaired line bigger than the usual side chunk gets one of its own. */
  rt_lines l;
  rt_lines_init(&l);
  size_t n = 100000;
  rt_input_chunk *in = rt_input_chunk_new(n);
  memset(in->data, 0xff, n);
  rt_lines_add(&l, in, in->data, n, 0);
  rt_input_chunk_release(in);
  CU_ASSERT_EQUAL(l.invalid, (int64_t)n);
  CU_ASSERT_EQUAL(l.views[0].len, (int64_t)(3 * n));
  CU_ASSERT(!memcmp(l.views[0].ptr + 3 * n - 3, FFFD, 3));
  rt_lines_free(&l);
}

/* What a seal does mid-chunk: the batch before and the batch after share the chunk; each holds
 * a reference, the receiver a third, and the views of either survive the others' release. */
/* A context with one stdin source, as the manual-clock tests need it. */
typedef struct stdin_ctx {
  dsc_rt_program prog;
  dsc_rt_ctx ctx;
  rt_source *src;
} stdin_ctx;

static void stdin_ctx_init(stdin_ctx *c, rt_options opt) {
  rt_program_init(&c->prog);
  rt_ctx_init(&c->ctx, &c->prog, &opt);
  c->src = rt_source_new(&c->ctx, RT_SRC_STDIN, "stdin");
}

static void stdin_ctx_free(stdin_ctx *c) {
  rt_ctx_free(&c->ctx);
  rt_program_free(&c->prog);
}

/* ---- blocks of plain lines and the task cursors ---- */

static uint64_t rng_state;
static uint32_t rnd(uint32_t n) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33) % n;
}

/* Random input: mostly plain \n lines, with the cases that need a look at each line mixed in
 * (\r\n and \r ends, valid and invalid UTF-8, empty and long lines, no final terminator). */
static size_t random_text(char *out, size_t cap, int plain_only) {
  static const char *const bodies[] = {"w", "a b c", "", "the quick brown fox", "@batch", "x y"};
  size_t n = 0;
  for (int lines = 1 + (int)rnd(60); lines-- && n + 300 < cap;) {
    uint32_t pick = rnd(plain_only ? 6 : 9);
    if (pick < 6) n += (size_t)sprintf(out + n, "%s", bodies[pick]);
    else if (pick == 6) n += (size_t)sprintf(out + n, "caf\xc3\xa9");
    else if (pick == 7) n += (size_t)sprintf(out + n, "bad\xff");
    else for (int k = 0; k < 200; k++) out[n++] = (char)('a' + k % 26);
    uint32_t end = plain_only ? 0 : rnd(8);
    if (end == 1) out[n++] = '\r', out[n++] = '\n';
    else if (end == 2) out[n++] = '\r';
    else out[n++] = '\n';
  }
  if (rnd(4) == 0) n += (size_t)sprintf(out + n, "tail");
  return n;
}

static void add_block(void *env, rt_input_chunk *chunk, const char *s, size_t n, int64_t lines) {
  collected *c = env;
  CU_ASSERT_FATAL(s >= chunk->data && s + n <= chunk->data + chunk->cap);
  CU_ASSERT_EQUAL(rt_count_newlines(s, n), lines);
  CU_ASSERT(n > 0 && s[n - 1] == '\n');
  rt_lines_add_block(c->into, chunk, s, n, lines);
}

/* A temporary file holding text[0..n); returns its descriptor, the path in path. */
static int temp_file(char *path, const char *text, size_t n) {
  strcpy(path, "/tmp/dsc_rt_lines_XXXXXX");
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_FATAL(write(fd, text, n) == (ssize_t)n);
  return fd;
}

/* How split_into gets the text to the splitter. */
enum { BY_LINE, READ_BLOCKS, MAPPED_BLOCKS };

/* Splits text into l in reads of `step` bytes, line by line or with blocks (as a source does);
 * or in windows of `step` bytes of a mapping of the text in a file, as a file source does. */
static void split_into(rt_lines *l, const char *text, size_t n, size_t step, int64_t max,
                       int how) {
  collected c = {.into = l};
  rt_splitter sp;
  splitter_init(&sp, max);
  if (how != BY_LINE) sp.block_fn = add_block;
  char path[32], *data = NULL;
  rt_input_map *m = NULL;
  int fd = -1;
  if (how == MAPPED_BLOCKS && n) {
    fd = temp_file(path, text, n);
    m = rt_input_map_file(fd, 0, (int64_t)n, &data);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  }
  for (size_t at = 0; at < n;) {
    size_t room, k = n - at < step ? n - at : step;
    if (m) {
      rt_split_mapped(&sp, m, data + at, k, collect, &c);
    } else {
      char *space = rt_split_space(&sp, 1, &room);
      if (k > room) k = room;
      memcpy(space, text + at, k);
      rt_split_commit(&sp, k, collect, &c);
    }
    at += k;
  }
  rt_split_finish(&sp, collect, &c);
  rt_splitter_free(&sp);
  if (m) {
    rt_input_map_release(m); /* the chunks in l hold the mapping */
    close(fd);
    unlink(path);
  }
}

/* The lines the tasks of a `tasks`-way split of l take, in task order, into out (at most cap);
 * out_task[k] (when not NULL) gets the task of line k.  Returns how many there were. */
static int64_t task_lines(const rt_lines *l, int64_t tasks, dsc_str *out, int64_t *out_task,
                          int64_t cap) {
  int64_t n = 0;
  for (int64_t t = 0; t < tasks; t++) {
    dsc_rt_line_cursor cur;
    dsc_str line;
    rt_lines_cursor(l, t, tasks, &cur);
    while (dsc_rt_lines_next(&cur, &line)) {
      CU_ASSERT_FATAL(n < cap);
      if (out_task) out_task[n] = t;
      out[n++] = line;
    }
  }
  return n;
}

/* Whatever the reads, chunks and task count, the tasks' cursors together give the lines the
 * line-by-line splitter gives, each once and in order. */
static void check_random_input(int plain_only) {
  static const size_t steps[] = {1, 7, 100, 4096};
  static const int64_t maxes[] = {0, 40};
  char text[8192];
  for (int seed = 0; seed < 60; seed++) {
    rng_state = (uint64_t)seed * 7919 + (uint64_t)plain_only;
    size_t n = random_text(text, sizeof text, plain_only);
    for (size_t si = 0; si < 4; si++) {
      for (size_t mi = 0; mi < 2; mi++) {
        rt_lines want, got;
        rt_lines_init(&want), rt_lines_init(&got);
        split_into(&want, text, n, steps[si], maxes[mi], BY_LINE);
        for (int how = READ_BLOCKS; how <= MAPPED_BLOCKS; how++) {
          split_into(&got, text, n, steps[si], maxes[mi], how);
          CU_ASSERT_EQUAL(got.count, want.count);
          CU_ASSERT_EQUAL(got.invalid, want.invalid);
          CU_ASSERT_EQUAL(want.nviews, want.count);
          if (plain_only && !maxes[mi]) {
            CU_ASSERT(got.nviews <= 1); /* every whole line in blocks; "tail" a view */
            if (how == MAPPED_BLOCKS) /* and no byte copied out of the mapping */
              for (int64_t k = 0; k < got.nchunks; k++) CU_ASSERT_PTR_NOT_NULL(got.chunks[k]->map);
          }
          for (int64_t tasks = 1; tasks <= 5; tasks++) {
            static dsc_str lines[sizeof text];
            int64_t got_n = task_lines(&got, tasks, lines, NULL, (int64_t)(sizeof text));
            CU_ASSERT_EQUAL_FATAL(got_n, want.count);
            for (int64_t i = 0; i < got_n; i++)
              CU_ASSERT(lines[i].len == want.views[i].len &&
                        !memcmp(lines[i].ptr, want.views[i].ptr, (size_t)lines[i].len));
          }
          rt_lines_free(&got);
          CU_ASSERT_EQUAL(rt_input_maps_live(), 0); /* the last chunk unmapped it */
        }
        rt_lines_free(&want);
      }
    }
  }
}

static void test_blocks_plain(void) { check_random_input(1); }
static void test_blocks_mixed(void) { check_random_input(0); }
static void test_blocks_and_cursors(void) {
  each_chunk_size(test_blocks_plain);
  each_chunk_size(test_blocks_mixed);
}

/* Freed chunks of the standard size are handed out again (a few); other sizes are not kept. */
static void test_chunk_pool(void) {
  rt_input_chunk *held[8]; /* more than the pool keeps: it is empty afterwards */
  for (int i = 0; i < 8; i++) held[i] = rt_input_chunk_new(RT_INPUT_CHUNK);
  rt_input_chunk *a = rt_input_chunk_new(RT_INPUT_CHUNK), *odd = rt_input_chunk_new(100);
  rt_input_chunk_hold(a);
  rt_input_chunk_release(a);
  CU_ASSERT_EQUAL(a->refs, 1); /* still held */
  rt_input_chunk_release(a);
  rt_input_chunk *b = rt_input_chunk_new(RT_INPUT_CHUNK);
  CU_ASSERT_PTR_EQUAL(b, a);
  CU_ASSERT_EQUAL(b->refs, 1);
  CU_ASSERT_EQUAL(b->cap, RT_INPUT_CHUNK);
  rt_input_chunk_release(odd); /* freed: ASan would see a leak or a double free */
  for (int i = 0; i < 8; i++) rt_input_chunk_release(held[i]); /* some kept, the rest freed */
  rt_input_chunk_release(b);
}

/* A mapped file that shrinks: the bytes it kept read as they were, the pages it lost as '\n'
 * (the SIGBUS handler's), and the map says so.  A map may start at any offset. */
static void test_mapped_file_shrinks(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 3 * page;
  char *text = malloc(n), path[32];
  for (size_t i = 0; i < n; i++) text[i] = i % 10 == 9 ? '\n' : (char)('a' + i % 7);
  int fd = temp_file(path, text, n);
  char *data, *from5;
  rt_input_map *m = rt_input_map_file(fd, 0, (int64_t)n, &data);
  rt_input_map *m5 = rt_input_map_file(fd, 5, (int64_t)(n - 5), &from5);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m5);
  CU_ASSERT(!memcmp(data, text, n));
  CU_ASSERT(!memcmp(from5, text + 5, n - 5));
  CU_ASSERT(!rt_input_map_lost(m));
  CU_ASSERT_EQUAL_FATAL(ftruncate(fd, (off_t)page), 0); /* the last two pages go */
  CU_ASSERT(!memcmp(data, text, page));
  volatile char *lost = data + 2 * page + 3;
  CU_ASSERT_EQUAL(*lost, '\n');
  CU_ASSERT_EQUAL(data[page], '\n');
  CU_ASSERT(rt_input_map_lost(m));
  CU_ASSERT(!rt_input_map_lost(m5)); /* not touched past the end yet */
  CU_ASSERT_EQUAL(rt_input_maps_live(), 2);
  rt_input_map_release(m);
  rt_input_map_release(m5);
  CU_ASSERT_EQUAL(rt_input_maps_live(), 0);
  close(fd);
  unlink(path);
  free(text);
}

/* Counting newlines 64 bytes a step, in per-lane byte counters summed every 127 steps: input
 * that is all newlines (the most a lane can count) and newlines at every offset of a step, for
 * lengths around the steps, the sums and the tail. */
/* A table() source reads its file at once, in chunks no bigger than the file (ops.c): a big
 * chunk is huge pages of its own, and the few bytes of a small table would take a 2 MiB page. */
static void test_table_chunks_fit_the_file(void) {
  char text[3000], path[32];
  size_t n = 0;
  for (int i = 0; i < 200; i++) n += (size_t)sprintf(text + n, "ad%d,c%d\n", i, i % 7);
  close(temp_file(path, text, n));
  stdin_ctx c;
  stdin_ctx_init(&c, (rt_options){0});
  int32_t idx = dsc_rt_source_table(&c.ctx, path, (int64_t)strlen(path));
  rt_source *table = c.ctx.sources[idx];
  CU_ASSERT_EQUAL(table->split.chunk_size, n + 1);
  CU_ASSERT_EQUAL(table->cur.count, 200);
  unlink(path);
  stdin_ctx_free(&c);
}

static void test_count_newlines(void) {
  enum { MAX = 3 * 127 * 64 + 200 };
  char *buf = malloc(MAX);
  memset(buf, '\n', MAX);
  static const size_t lens[] = {0, 1, 63, 64, 65, 127 * 64 - 1, 127 * 64, 127 * 64 + 1,
                                127 * 64 + 63, 2 * 127 * 64 + 64, MAX};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
    CU_ASSERT_EQUAL(rt_count_newlines(buf, lens[i]), (int64_t)lens[i]);
  memset(buf, 'x', MAX);
  for (size_t at = 0; at < 200; at++) {
    buf[at] = buf[127 * 64 + at] = '\n';
    CU_ASSERT_EQUAL(rt_count_newlines(buf, MAX), 2);
    CU_ASSERT_EQUAL(rt_count_newlines(buf + 1, MAX - 1), 1 + (at > 0));
    buf[at] = buf[127 * 64 + at] = 'x';
  }
  free(buf);
}

/* The resident kB of the mapping that holds p, from /proc/self/smaps (-1 if not found). */
static long rss_kb_of(const void *p) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  int inside = 0;
  long kb = -1;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
      inside = (uintptr_t)p >= lo && (uintptr_t)p < hi;
    } else if (inside && sscanf(line, "Rss: %ld kB", &kb) == 1) {
      break;
    }
  }
  fclose(f);
  return kb;
}

/* Pages of chunks done with wait for the receiver while it still maps windows, and go at its
 * next give-back; once it is done, they go at once. */
static void test_mapped_pages_given_back(void) {
  size_t page = (size_t)sysconf(_SC_PAGESIZE), n = 64 * page;
  char *text = malloc(n), path[32];
  for (size_t i = 0; i < n; i++) text[i] = i % 10 == 9 ? '\n' : 'x';
  int fd = temp_file(path, text, n);
  char *data;
  rt_input_map *m = rt_input_map_file(fd, 0, (int64_t)n, &data);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  volatile char sum = 0;
  for (size_t i = 0; i < n; i += page) sum += data[i]; /* all 64 pages resident */
  long all = rss_kb_of(data);
  CU_ASSERT_EQUAL_FATAL(all, (long)(n / 1024));
  rt_input_chunk *a = rt_input_chunk_of_map(m, data, 16 * page);
  rt_input_chunk *b = rt_input_chunk_of_map(m, data + 16 * page, 16 * page);
  rt_input_chunk_release(a);
  rt_input_chunk_release(b);
  CU_ASSERT_EQUAL(rss_kb_of(data), all); /* waiting for the receiver */
  rt_input_map_give_back(m, 0);
  CU_ASSERT_EQUAL(rss_kb_of(data), all - (long)(32 * page / 1024));
  rt_input_map_give_back(m, 1); /* the receiver is done: later drops go at once */
  rt_input_chunk *c = rt_input_chunk_of_map(m, data + 32 * page, 16 * page);
  rt_input_chunk_release(c);
  CU_ASSERT_EQUAL(rss_kb_of(data), all - (long)(48 * page / 1024));
  rt_input_map_release(m);
  CU_ASSERT_EQUAL(rt_input_maps_live(), 0);
  close(fd);
  unlink(path);
  free(text);
}

/* A run whose bytes changed after the receiver saw them (a mapped file rewritten in place) may
 * have lost its \n: the tasks still walk it within its bytes, whatever their split. */
static void test_cursor_run_without_newline(void) {
  rt_input_chunk *c = rt_input_chunk_new(64);
  for (int lost = 0; lost < 3; lost++) {
    rt_lines l;
    rt_lines_init(&l);
    memcpy(c->data, "ab\ncd\nef\n", 9);
    rt_lines_add_block(&l, c, c->data, 9, 3);
    if (lost > 0) c->data[8] = 'x';  /* the run's last \n */
    if (lost > 1) c->data[2] = c->data[5] = 'y';
    for (int64_t tasks = 1; tasks <= 9; tasks++) {
      dsc_str lines[9];
      int64_t n = task_lines(&l, tasks, lines, NULL, 9);
      const char *after = c->data; /* lines come in order, apart, within the run */
      for (int64_t i = 0; i < n; i++) {
        CU_ASSERT_FATAL(lines[i].ptr >= after && lines[i].ptr + lines[i].len <= c->data + 9);
        after = lines[i].ptr + lines[i].len;
      }
      if (!lost) CU_ASSERT_EQUAL(n, 3);
    }
    rt_lines_free(&l);
  }
  rt_input_chunk_release(c);
}

/* A stage runs one task per --min-task-bytes of what is left of its batch, at least one and at
 * most the partitions; a stage over a breaker's result one per sixteenth of that in elements. */
static void test_tasks_filled(void) {
  stdin_ctx sc;
  stdin_ctx_init(&sc, (rt_options){.interval_ms = 1000, .manual_clock = 1, .threads = 1});
  rt_lines l;
  rt_lines_init(&l);
  dsc_rt_batch b = {.ctx = &sc.ctx, .nsources = 1, .lines = &l, .early_source = -1};
  l.bytes = 10;
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 1);  /* the default: 64 KiB a task */
  l.bytes = 3 * 65536 + 5;
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 3);
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 2), 2);
  b.early_source = 0, b.early_bytes = 2 * 65536; /* what early start took is not shared out */
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 1);
  CU_ASSERT_EQUAL(dsc_rt_result_tasks(&sc.ctx, 4095, 4), 1);
  CU_ASSERT_EQUAL(dsc_rt_result_tasks(&sc.ctx, 3 * 4096, 4), 3);
  sc.ctx.opt.min_task_bytes = 1; /* --min-task-bytes 1: every byte or element may be a task */
  l.bytes = 2, b.early_bytes = 0;
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 2);
  CU_ASSERT_EQUAL(dsc_rt_result_tasks(&sc.ctx, 3, 4), 3);
  CU_ASSERT_EQUAL(dsc_rt_result_tasks(&sc.ctx, 0, 4), 1);
  b.max_tasks = 1; /* --batch-tasks 1, or an early call on task 0 alone */
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 1);
  b.max_tasks = 3;
  l.bytes = 5;
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 4), 3);
  CU_ASSERT_EQUAL(dsc_rt_source_tasks(&b, 0, 2), 2);
  stdin_ctx_free(&sc);
}

/* ---- lines that may hold a literal (dsc_rt_lines_next_having) ---- */

/* Random lines where "view" (and "12") stand in every way the search must tell apart: between
 * quotes or not, at a line's ends, in long lines, after a backslash, in \r\n lines and lines
 * with UTF-8 (which the receiver keeps as views, not runs). */
static size_t literal_text(char *out, size_t cap, int busy) {
  static const char *const bodies[] = {
      "{\"a\":\"view\",\"b\":1}", "{\"event_type\":\"click\"}", "view", "\"view", "view\"",
      "xview\"", "\"view\"", "{\"a\":\"vie\\\"w\"}", "a\\b", "", "{\"n\":12}", "viewview\"",
      "\"viev\"", "caf\xc3\xa9 \"view\"", "12", "w"};
  size_t n = 0;
  for (int lines = 1 + (int)rnd(80); lines-- && n + 300 < cap;) {
    uint32_t pick = busy ? 6 : rnd(18);
    if (pick < 16) n += (size_t)sprintf(out + n, "%s", bodies[pick]);
    else if (pick == 16) { /* a long line, maybe with the literal at its end */
      for (int k = 0; k < 150; k++) out[n++] = (char)('a' + k % 20);
      if (rnd(2)) n += (size_t)sprintf(out + n, "\"view\"");
    } else {
      n += (size_t)sprintf(out + n, "{\"k\":\"%s\"}", rnd(2) ? "vi" : "ew");
    }
    out[n++] = '\r';
    if (rnd(6)) n--; /* mostly \n alone */
    out[n++] = '\n';
  }
  if (rnd(3) == 0) n += (size_t)sprintf(out + n, "\"view\""); /* no final terminator */
  return n;
}

/* Whether the filter may keep line: what dsc_rt_json_may_give or contains() would say. */
static int line_may_hold(dsc_str line, const char *lit, int64_t m, int json) {
  if (!json) return dsc_rt_str_contains(line.ptr, line.len, lit, m);
  return m <= 0 ||
         rt_search_next(line.ptr, line.len, lit, m, !rt_json_may_be_bare(lit[0]), 1) >= 0;
}

/* Task by task, the lines dsc_rt_lines_next_having gives are those of dsc_rt_lines_next that
 * may hold the literal, in order: all of them, and others only while the search rests (or when
 * the literal has a \n, which no line holds but a search across lines may find). */
static void check_having(const rt_lines *l, int64_t tasks, const char *lit, int json) {
  int64_t m = (int64_t)strlen(lit);
  int crosses = strchr(lit, '\n') != NULL;
  for (int64_t t = 0; t < tasks; t++) {
    dsc_rt_line_cursor all, having;
    dsc_rt_line_prefilter f = {0};
    dsc_str line, kept;
    rt_lines_cursor(l, t, tasks, &all);
    rt_lines_cursor(l, t, tasks, &having);
    int resting = f.unsearched > 0, more = dsc_rt_lines_next_having(&having, &kept, &f, lit, m,
                                                                     json);
    while (dsc_rt_lines_next(&all, &line)) {
      int given = more && kept.ptr == line.ptr;
      if (line_may_hold(line, lit, m, json)) CU_ASSERT_FATAL(given);
      if (!given) continue;
      CU_ASSERT_EQUAL(kept.len, line.len);
      if (!line_may_hold(line, lit, m, json)) CU_ASSERT(resting || crosses);
      resting = f.unsearched > 0;
      more = dsc_rt_lines_next_having(&having, &kept, &f, lit, m, json);
    }
    CU_ASSERT_FALSE(more); /* nothing after the task's last line, nothing out of order */
  }
}

static void test_lines_having(void) {
  static const char *const literals[] = {"view", "12", "w", "", "vi\new", "\"view"};
  char text[8192];
  for (int seed = 0; seed < 80; seed++) {
    rng_state = (uint64_t)seed * 104729 + 3;
    size_t n = literal_text(text, sizeof text, seed % 8 == 7);
    for (size_t step = 7; step < 9000; step *= 23) {
      for (int how = READ_BLOCKS; how <= MAPPED_BLOCKS; how++) {
        rt_lines l;
        rt_lines_init(&l);
        split_into(&l, text, n, step, 0, how);
        for (int64_t tasks = 1; tasks <= 4; tasks++)
          for (size_t k = 0; k < sizeof literals / sizeof literals[0]; k++)
            for (int json = 0; json <= 1; json++) check_having(&l, tasks, literals[k], json);
        rt_lines_free(&l);
      }
    }
  }
}

/* Where the lines given hold most of the bytes, the search rests for a while, then tries again;
 * where they are few, it never does. */
static void test_lines_having_rests(void) {
  enum { LINES = 3000 };
  static char text[LINES * 16];
  for (int busy = 0; busy <= 1; busy++) {
    size_t n = 0;
    for (int i = 0; i < LINES; i++)
      n += (size_t)sprintf(text + n, "%s\n", busy || i % 5 == 0 ? "{\"a\":\"view\"}" : "{}");
    rt_lines l;
    rt_lines_init(&l);
    split_into(&l, text, n, n, 0, READ_BLOCKS);
    dsc_rt_line_cursor cur;
    dsc_rt_line_prefilter f = {0};
    dsc_str line;
    rt_lines_cursor(&l, 0, 1, &cur);
    int64_t given = 0, rested = 0, searched_after_rest = 0;
    for (int was_resting = 0; dsc_rt_lines_next_having(&cur, &line, &f, "view", 4, 1);) {
      given++;
      rested += f.unsearched > 0;
      if (was_resting && f.unsearched == 0) searched_after_rest++;
      was_resting = f.unsearched > 0;
    }
    CU_ASSERT_EQUAL(given, busy ? LINES : LINES / 5);
    CU_ASSERT(busy ? rested > LINES / 2 : rested == 0);
    CU_ASSERT(busy ? searched_after_rest >= 1 : searched_after_rest == 0);
    rt_lines_free(&l);
  }
}

/* A task that gets no byte of the batch, or only the middle of a line, gets no line. */
static void test_cursor_shares(void) {
  rt_lines l;
  rt_lines_init(&l);
  rt_input_chunk *c = rt_input_chunk_new(64);
  memcpy(c->data, "a-long-line\nb\n", 14);
  rt_lines_add_block(&l, c, c->data, 14, 2);
  rt_input_chunk_release(c); /* l holds its own reference */
  int64_t per_task[14] = {0}, task_of[14];
  dsc_str lines[14];
  int64_t n = task_lines(&l, 14, lines, task_of, 14);
  for (int64_t k = 0; k < n; k++) per_task[task_of[k]]++;
  CU_ASSERT_EQUAL(per_task[0], 1);  /* "a-long-line" starts in byte 0 */
  for (int t = 1; t < 12; t++) CU_ASSERT_EQUAL(per_task[t], 0);
  CU_ASSERT_EQUAL(per_task[12], 1); /* "b" starts in byte 12 */
  CU_ASSERT_EQUAL(per_task[13], 0);
  rt_lines_free(&l);
}

static void test_batches_share_chunks(void) {
  rt_splitter sp;
  splitter_sized(&sp, 0, 64);
  rt_lines k1, k2;
  rt_lines_init(&k1);
  rt_lines_init(&k2);
  collected c;
  memset(&c, 0, sizeof c);
  c.into = &k1;
  read_in(&sp, "l1\nl2\nl", 100, &c);
  c.into = &k2; /* sealed: later lines go to the next batch */
  read_in(&sp, "3\nl4\nl5", 100, &c);
  rt_input_chunk *shared = sp.chunk;
  CU_ASSERT_EQUAL(shared->refs, 3);
  CU_ASSERT(view_is(k1.views[1], "l2"));
  CU_ASSERT(view_is(k2.views[0], "l3"));
  rt_lines_free(&k1); /* batch k done */
  CU_ASSERT_EQUAL(shared->refs, 2);
  size_t room;
  rt_split_space(&sp, 100, &room); /* more than is left: a new chunk, "l5" moved into it */
  CU_ASSERT(sp.chunk != shared);
  CU_ASSERT_EQUAL(shared->refs, 1);
  CU_ASSERT(!memcmp(sp.chunk->data, "l5", 2));
  rt_split_finish(&sp, collect, &c);
  rt_splitter_free(&sp);
  CU_ASSERT_EQUAL_FATAL(k2.count, 3);
  CU_ASSERT(view_is(k2.views[1], "l4"));
  CU_ASSERT(view_is(k2.views[2], "l5"));
  CU_ASSERT(holder(&k2, k2.views[2]) != shared);
  CU_ASSERT_EQUAL(k2.nchunks, 2);
  rt_lines_free(&k2); /* both chunks freed here: ASan reports a leak or a use after free */
}

static void test_markers(void) {
  stdin_ctx sc;
  stdin_ctx_init(&sc, (rt_options){.interval_ms = 1000, .manual_clock = 1, .threads = 1, .max_line_bytes = 8});
  rt_source *s = sc.src;
  const char *in = "a b\n@batch\r\n@batch\n@batchx\n 0123456789abc\n@ba";
  rt_source_feed(s, in, strlen(in));
  rt_source_feed(s, "tch", 3);
  rt_source_eof(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue);
  CU_ASSERT_EQUAL(s->queue->lines.count, 1);  /* "a b" */
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue->next);
  CU_ASSERT_EQUAL(s->queue->next->lines.count, 0);   /* an empty batch between two markers */
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->queue->next->next);  /* the final "@batch" without newline */
  rt_lines *first = &s->queue->lines, *third = &s->queue->next->next->lines;
  CU_ASSERT_EQUAL(third->count, 2);  /* "@batchx" is data; the long line is truncated */
  CU_ASSERT_EQUAL(third->views[1].len, 8);
  CU_ASSERT_EQUAL(s->cur.count, 0);
  /* Both batches point into the one chunk the input was copied to. */
  CU_ASSERT_EQUAL_FATAL(third->nchunks, 1);
  CU_ASSERT_PTR_EQUAL(first->chunks[0], third->chunks[0]);
  CU_ASSERT_EQUAL(third->chunks[0]->refs, 3);  /* the receiver's, the two batches' */
  stdin_ctx_free(&sc);
}

/* Plain input comes as blocks: a marker inside one cuts it; look-alikes are data. */
static void test_markers_in_blocks(void) {
  stdin_ctx sc;
  stdin_ctx_init(&sc, (rt_options){.interval_ms = 1000, .manual_clock = 1, .threads = 1});
  rt_source *s = sc.src;
  const char *in = "@batch\na\n@batch\nx@batch\n@batchy\n @batch\nb\n@batch\n@batch\nc\n";
  rt_source_feed(s, in, strlen(in));
  char text[256];
  rt_segment *g = s->queue;
  CU_ASSERT_PTR_NOT_NULL_FATAL(g);
  CU_ASSERT_EQUAL(g->lines.count, 0); /* a marker first: an empty batch */
  CU_ASSERT_PTR_NOT_NULL_FATAL(g = g->next);
  lines_joined(&g->lines, text, sizeof text);
  CU_ASSERT_STRING_EQUAL(text, "a");
  CU_ASSERT_PTR_NOT_NULL_FATAL(g = g->next);
  lines_joined(&g->lines, text, sizeof text);
  CU_ASSERT_STRING_EQUAL(text, "x@batch|@batchy| @batch|b");
  CU_ASSERT_EQUAL(g->lines.count, 4);
  CU_ASSERT_EQUAL(g->lines.nviews, 0); /* no line looked at one by one */
  CU_ASSERT_PTR_NOT_NULL_FATAL(g = g->next);
  CU_ASSERT_EQUAL(g->lines.count, 0);
  CU_ASSERT_PTR_NULL(g->next);
  lines_joined(&s->cur, text, sizeof text);
  CU_ASSERT_STRING_EQUAL(text, "c");
  CU_ASSERT_EQUAL(s->queued, 4);
  stdin_ctx_free(&sc);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("lines", NULL, NULL);
  CU_add_test(s, "terminators", test_terminators);
  CU_add_test(s, "lines split across reads", test_split_across_reads);
  CU_add_test(s, "huge line truncation", test_truncation);
  CU_add_test(s, "UTF-8 repair", test_utf8_repair);
  CU_add_test(s, "line store", test_lines_store);
  CU_add_test(s, "views point into chunks", test_views_point_into_chunks);
  CU_add_test(s, "lines straddle chunks", test_lines_straddle_chunks);
  CU_add_test(s, "\\r\\n across chunks", test_crlf_across_chunks);
  CU_add_test(s, "truncation in chunks", test_truncation_in_chunks);
  CU_add_test(s, "UTF-8 in chunks", test_utf8_in_chunks);
  CU_add_test(s, "batches share chunks", test_batches_share_chunks);
  CU_add_test(s, "manual clock markers", test_markers);
  CU_add_test(s, "manual clock markers in blocks", test_markers_in_blocks);
  CU_add_test(s, "blocks of plain lines and task cursors", test_blocks_and_cursors);
  CU_add_test(s, "cursor shares", test_cursor_shares);
  CU_add_test(s, "lines that may hold a literal", test_lines_having);
  CU_add_test(s, "the literal search rests", test_lines_having_rests);
  CU_add_test(s, "tasks a batch fills", test_tasks_filled);
  CU_add_test(s, "cursor over a run that lost its \\n", test_cursor_run_without_newline);
  CU_add_test(s, "chunk pool", test_chunk_pool);
  CU_add_test(s, "mapped file that shrinks", test_mapped_file_shrinks);
  CU_add_test(s, "mapped pages given back", test_mapped_pages_given_back);
  CU_add_test(s, "counting newlines", test_count_newlines);
  CU_add_test(s, "table chunks fit the file", test_table_chunks_fit_the_file);
  int failed = dsc_cunit_run();
  return failed;
}
