/* dsc_feed — a tiny TCP server that serves files to dsc's socket source, for tests and the demo.
 *
 *   dsc_feed [--port N] [--port-file F] [--connections K] [--hold] [--chunk BYTES]
 *            [--chunk-delay MS] [--drop-after BYTES] FILE...
 *
 * It listens on 127.0.0.1 (port 0, the default, lets the kernel pick a free one), announces the
 * port on stdout and in --port-file (written to a temporary name and renamed, so a script that
 * polls for the file never reads half a number), then serves K connections one after another.
 * Each connection gets the concatenation of the FILEs, read into memory once.  --chunk sends it
 * in pieces of BYTES with TCP_NODELAY and a short pause between them, so that the client sees
 * lines split across reads.  --hold keeps a connection open after the data until the peer closes
 * it, which lets a test decide when the stream ends.  --drop-after simulates a server that goes
 * away mid-stream: connection 1 gets only the first BYTES bytes and is closed, connection 2
 * gets the rest (a receiver that reconnects loses nothing); later connections get everything.
 * Exits 0 after K connections, 1 on a usage or I/O error.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* POSIX sockets and nanosleep under -std=c17; CMake defines it too */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

typedef struct feed_opts {
  long port;             /* port to bind; 0 = any free one */
  const char *port_file; /* where to announce the port, or NULL */
  long connections;      /* how many connections to serve */
  int hold;              /* keep each connection open until the peer closes it */
  long chunk;            /* send in pieces of this many bytes; 0 = all at once */
  long chunk_delay_ms;   /* pause between pieces */
  long drop_after;       /* bytes for connection 1 (the rest go to connection 2); -1 = off */
} feed_opts;

typedef struct feed_data {
  char *bytes; /* the concatenated files */
  size_t len;  /* their total length */
  size_t cap;  /* allocated size of bytes */
} feed_data;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("dsc_feed: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(1);
}

static void usage(void) {
  fputs("usage: dsc_feed [--port N] [--port-file F] [--connections K] [--hold]\n"
        "                [--chunk BYTES] [--chunk-delay MS] [--drop-after BYTES] FILE...\n",
        stderr);
  exit(1);
}

static long parse_num(const char *opt, const char *text, long min) {
  char *end = NULL;
  errno = 0;
  long v = strtol(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || v < min)
    die("%s: bad number '%s'", opt, text);
  return v;
}

static void append_file(feed_data *data, const char *path) {
  FILE *f = fopen(path, "rb");
  if (f == NULL)
    die("%s: %s", path, strerror(errno));
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
    if (data->len + n > data->cap) {
      size_t cap = data->cap ? data->cap : sizeof buf;
      while (cap < data->len + n)
        cap *= 2;
      char *grown = realloc(data->bytes, cap);
      if (grown == NULL)
        die("out of memory");
      data->bytes = grown;
      data->cap = cap;
    }
    memcpy(data->bytes + data->len, buf, n);
    data->len += n;
  }
  if (ferror(f))
    die("%s: read error", path);
  fclose(f);
}

/* Temp file + rename: a poller sees either no file or the whole port number. */
static void write_port_file(const char *path, int port) {
  size_t n = strlen(path) + 32;
  char *tmp = malloc(n);
  if (tmp == NULL)
    die("out of memory");
  snprintf(tmp, n, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL)
    die("%s: %s", tmp, strerror(errno));
  fprintf(f, "%d\n", port);
  if (fclose(f) != 0)
    die("%s: %s", tmp, strerror(errno));
  if (rename(tmp, path) != 0)
    die("rename %s -> %s: %s", tmp, path, strerror(errno));
  free(tmp);
}

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

/* Sends all of [p, p+n); returns 0, or -1 when the peer went away. */
static int send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

static int send_range(int fd, const feed_opts *o, const char *p, size_t n) {
  if (o->chunk <= 0)
    return send_all(fd, p, n);
  while (n > 0) {
    size_t k = n < (size_t)o->chunk ? n : (size_t)o->chunk;
    if (send_all(fd, p, k) != 0)
      return -1;
    p += k;
    n -= k;
    if (n > 0 && o->chunk_delay_ms > 0)
      sleep_ms(o->chunk_delay_ms);
  }
  return 0;
}

/* Waits until the peer closes its side (or resets); whatever it sends is discarded. */
static void wait_for_peer_close(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t r = recv(fd, buf, sizeof buf, 0);
    if (r == 0 || (r < 0 && errno != EINTR))
      return;
  }
}

static void serve(int fd, const feed_opts *o, const feed_data *d, long conn_no) {
  int one = 1;
  if (o->chunk > 0)
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  size_t from = 0, to = d->len;
  int dropping = 0;
  if (o->drop_after >= 0) {
    size_t cut = (size_t)o->drop_after < d->len ? (size_t)o->drop_after : d->len;
    if (conn_no == 1) {
      to = cut;
      dropping = 1;
    } else if (conn_no == 2) {
      from = cut;
    }
  }
  int ok = send_range(fd, o, d->bytes + from, to - from) == 0;
  /* A dropped connection is never held: going away is the point. */
  if (ok && o->hold && !dropping)
    wait_for_peer_close(fd);
}

int main(int argc, char **argv) {
  feed_opts o = {.port = 0, .port_file = NULL, .connections = 1, .hold = 0, .chunk = 0,
                 .chunk_delay_ms = 2, .drop_after = -1};
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    if (a[0] != '-' || a[1] == '\0')
      break;
    if (strcmp(a, "--hold") == 0) {
      o.hold = 1;
      continue;
    }
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
      usage();
    if (i + 1 >= argc)
      die("%s needs a value", a);
    const char *v = argv[++i];
    if (strcmp(a, "--port") == 0)
      o.port = parse_num(a, v, 0);
    else if (strcmp(a, "--port-file") == 0)
      o.port_file = v;
    else if (strcmp(a, "--connections") == 0)
      o.connections = parse_num(a, v, 1);
    else if (strcmp(a, "--chunk") == 0)
      o.chunk = parse_num(a, v, 1);
    else if (strcmp(a, "--chunk-delay") == 0)
      o.chunk_delay_ms = parse_num(a, v, 0);
    else if (strcmp(a, "--drop-after") == 0)
      o.drop_after = parse_num(a, v, 0);
    else
      die("unknown option %s", a);
  }
  if (i >= argc)
    usage();
  if (o.port > 65535)
    die("--port: out of range");

  feed_data d = {NULL, 0, 0};
  for (; i < argc; i++)
    append_file(&d, argv[i]);

  signal(SIGPIPE, SIG_IGN);

  int ls = socket(AF_INET, SOCK_STREAM, 0);
  if (ls < 0)
    die("socket: %s", strerror(errno));
  int one = 1;
  setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons((uint16_t)o.port);
  if (bind(ls, (struct sockaddr *)&addr, sizeof addr) != 0)
    die("bind 127.0.0.1:%ld: %s", o.port, strerror(errno));
  if (listen(ls, 8) != 0)
    die("listen: %s", strerror(errno));
  socklen_t alen = sizeof addr;
  if (getsockname(ls, (struct sockaddr *)&addr, &alen) != 0)
    die("getsockname: %s", strerror(errno));
  int port = ntohs(addr.sin_port);

  if (o.port_file != NULL)
    write_port_file(o.port_file, port);
  printf("%d\n", port);
  fflush(stdout);

  for (long c = 1; c <= o.connections; c++) {
    int fd = accept(ls, NULL, NULL);
    if (fd < 0) {
      if (errno == EINTR) {
        c--;
        continue;
      }
      die("accept: %s", strerror(errno));
    }
    serve(fd, &o, &d, c);
    close(fd);
  }
  close(ls);
  free(d.bytes);
  return 0;
}
