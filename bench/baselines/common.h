/* common.h — shared pieces of the hand-written C baselines: input by large reads (stdin, a file
 * or a TCP connection), a line cursor over it, a bump arena for key bytes, and an
 * open-addressing hash table keyed by byte strings with XXH3 and an int64 value per key.
 * Everything is static and header-only so each baseline is a single translation unit that the
 * compiler can inline through; nothing is allocated per record.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#define XXH_INLINE_ALL
#include <xxhash.h>

static inline void die(const char *msg) { fprintf(stderr, "baseline: %s\n", msg); exit(1); }

static inline void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) die("out of memory");
  return p;
}

/* ---- input: a growable buffer refilled by read(2) in large pieces -------------------------- */
typedef struct input {
  int fd;
  char *buf;    /* holds [0, end): consumed bytes before `pos` are dropped on refill */
  size_t cap, pos, end;
  int eof;
} input;

static inline int tcp_connect(const char *host, const char *port) {
  struct addrinfo hints = {0}, *res;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &res)) die("cannot resolve host");
  for (int tries = 0; tries < 500; tries++) {
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) == 0) { freeaddrinfo(res); return fd; }
    if (fd >= 0) close(fd);
    usleep(10000);
  }
  die("cannot connect");
  return -1;
}

static inline void input_open(input *in, int argc, char **argv) {
  memset(in, 0, sizeof *in);
  in->fd = 0;
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "--connect") && i + 2 < argc) in->fd = tcp_connect(argv[i + 1], argv[i + 2]);
  in->cap = 16u << 20;
  in->buf = xmalloc(in->cap);
}

/* Next line (without '\n') or NULL at the end of input. */
static inline const char *input_line(input *in, size_t *len) {
  for (;;) {
    char *p = in->buf + in->pos;
    char *nl = memchr(p, '\n', in->end - in->pos);
    if (nl) {
      *len = (size_t)(nl - p);
      in->pos += *len + 1;
      return p;
    }
    if (in->eof) {
      if (in->pos == in->end) return NULL;
      *len = in->end - in->pos; /* last line without a terminator */
      in->pos = in->end;
      return p;
    }
    /* keep the partial line, grow if it fills the buffer, read more */
    memmove(in->buf, p, in->end - in->pos);
    in->end -= in->pos;
    in->pos = 0;
    if (in->end == in->cap) { in->cap *= 2; in->buf = realloc(in->buf, in->cap); if (!in->buf) die("oom"); }
    ssize_t n = read(in->fd, in->buf + in->end, in->cap - in->end);
    if (n < 0) die("read failed");
    if (n == 0) in->eof = 1;
    in->end += (size_t)n;
  }
}

static inline int is_marker(const char *s, size_t n) { return n == 6 && !memcmp(s, "@batch", 6); }

/* ---- arena for key bytes ---------------------------------------------------------------------- */
typedef struct arena { char *p; size_t used, cap; } arena;

static inline const char *arena_copy(arena *a, const char *s, size_t n) {
  if (a->used + n > a->cap) {
    /* a fresh block; old blocks are leaked until exit (keys point into them) */
    a->cap = n > (64u << 20) ? n : (64u << 20);
    a->p = xmalloc(a->cap);
    a->used = 0;
  }
  char *d = a->p + a->used;
  memcpy(d, s, n);
  a->used += n;
  return d;
}

/* ---- open-addressing table: string -> int64 ----------------------------------------------- */
typedef struct slot { uint64_t hash; const char *key; uint32_t len; uint32_t used; int64_t val; } slot;
typedef struct table { slot *s; size_t mask, n; } table;

static inline void table_init(table *t, size_t cap) {
  size_t c = 16;
  while (c < cap) c <<= 1;
  t->s = calloc(c, sizeof *t->s);
  if (!t->s) die("oom");
  t->mask = c - 1;
  t->n = 0;
}

static inline void table_grow(table *t) {
  table g;
  table_init(&g, (t->mask + 1) * 2);
  for (size_t i = 0; i <= t->mask; i++)
    if (t->s[i].used) {
      size_t j = t->s[i].hash & g.mask;
      while (g.s[j].used) j = (j + 1) & g.mask;
      g.s[j] = t->s[i];
    }
  g.n = t->n;
  free(t->s);
  *t = g;
}

/* The value slot for key (inserted as 0 with its bytes copied to `a` if absent). */
static inline int64_t *table_get(table *t, arena *a, const char *k, size_t n, uint64_t h) {
  size_t i = h & t->mask;
  for (;;) {
    slot *s = &t->s[i];
    if (!s->used) break;
    if (s->hash == h && s->len == n && !memcmp(s->key, k, n)) return &s->val;
    i = (i + 1) & t->mask;
  }
  if ((t->n + 1) * 4 > (t->mask + 1) * 3) {
    table_grow(t);
    return table_get(t, a, k, n, h);
  }
  slot *s = &t->s[i];
  s->hash = h; s->key = arena_copy(a, k, n); s->len = (uint32_t)n; s->used = 1; s->val = 0;
  t->n++;
  return &s->val;
}

static inline void table_clear(table *t) { memset(t->s, 0, (t->mask + 1) * sizeof *t->s); t->n = 0; }

/* ---- output buffer ---------------------------------------------------------------------------- */
typedef struct outbuf { char b[1 << 16]; size_t n; } outbuf;
static inline void out_flush(outbuf *o) { fwrite(o->b, 1, o->n, stdout); o->n = 0; }
static inline void out_bytes(outbuf *o, const char *s, size_t n) {
  if (o->n + n > sizeof o->b) out_flush(o);
  if (n > sizeof o->b) { fwrite(s, 1, n, stdout); return; }
  memcpy(o->b + o->n, s, n);
  o->n += n;
}
static inline void out_int(outbuf *o, int64_t v) {
  char tmp[24];
  int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
  out_bytes(o, tmp, (size_t)n);
}
#endif
