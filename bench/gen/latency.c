/* latency — end-to-end latency of a dsc pipeline: record sent on a socket -> line printed.
 *
 *   latency [--rate R] [--seconds D] [--pad BYTES] -- BINARY ARGS...
 *
 * Listens on 127.0.0.1 (a free port), starts BINARY ARGS... --port PORT with its stdout on a
 * pipe, accepts its connection and sends R lines per second for D seconds from a sender
 * thread: line i is "i T_i xxx..." where T_i = t0 + i/R is its *scheduled* send time on
 * CLOCK_MONOTONIC (the clock is system-wide, so both ends share it).  Lines due are sent
 * together in one write, every 100 us at most.  Measuring from the scheduled time, not the
 * actual one, charges the pipeline for any back-pressure that delays the sender (no
 * coordinated omission).  The main thread reads the pipe; each line printed by the pipeline
 * (echo_socket.ds prints each received line) gets latency = time of the read() that returned
 * it - T_i.  After D seconds the socket is closed; the pipeline (run with --stop-at-eof) exits.
 * Prints one line:  sent=N received=N rate=R p50_ms= p90_ms= p99_ms= p999_ms= max_ms=
 * Exit status 1 when lines were lost.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

typedef struct sender { int fd; int64_t rate, total, t0, pad; int64_t send_end; } sender;

static void *send_main(void *arg) {
  sender *s = arg;
  char *buf = malloc(1 << 20);
  char pad[256];
  memset(pad, 'x', sizeof pad);
  int64_t i = 0;
  while (i < s->total) {
    int64_t now = now_ns();
    int64_t due = (now - s->t0) * s->rate / 1000000000LL + 1;
    if (due > s->total) due = s->total;
    size_t n = 0;
    for (; i < due && n < (1 << 20) - 400; i++) {
      n += (size_t)sprintf(buf + n, "%lld %lld ", (long long)i, (long long)(s->t0 + i * 1000000000LL / s->rate));
      memcpy(buf + n, pad, (size_t)s->pad);
      n += (size_t)s->pad;
      buf[n++] = '\n';
    }
    for (size_t off = 0; off < n;) {
      ssize_t w = send(s->fd, buf + off, n - off, MSG_NOSIGNAL);
      if (w < 0) { if (errno == EINTR) continue; perror("latency: send"); goto out; }
      off += (size_t)w;
    }
    if (i < s->total) {
      int64_t next = s->t0 + i * 1000000000LL / s->rate, lim = now_ns() + 100000;
      if (next < lim) next = lim;
      struct timespec ts = {next / 1000000000LL, next % 1000000000LL};
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    }
  }
out:
  s->send_end = now_ns();
  shutdown(s->fd, SHUT_WR);
  free(buf);
  return NULL;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  int64_t rate = 100000, pad = 20;
  double seconds = 3;
  int i = 1;
  for (; i < argc && strcmp(argv[i], "--"); i++) {
    if (i + 1 >= argc) break;
    if (!strcmp(argv[i], "--rate")) rate = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[++i]);
    else if (!strcmp(argv[i], "--pad")) { pad = atoll(argv[++i]); if (pad > 200) pad = 200; }
  }
  if (i + 1 >= argc) { fputs("usage: latency [--rate R] [--seconds D] [--pad B] -- BINARY ARGS...\n", stderr); return 2; }
  char **cmd = argv + i + 1;
  int ncmd = argc - i - 1;
  int ls = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t sl = sizeof sa;
  if (bind(ls, (struct sockaddr *)&sa, sl) || listen(ls, 1) || getsockname(ls, (struct sockaddr *)&sa, &sl)) {
    perror("latency: listen");
    return 2;
  }
  char port[16];
  snprintf(port, sizeof port, "%d", ntohs(sa.sin_port));
  char **args = calloc((size_t)ncmd + 3, sizeof *args);
  memcpy(args, cmd, (size_t)ncmd * sizeof *args);
  args[ncmd] = "--port";
  args[ncmd + 1] = port;
  int pfd[2];
  if (pipe(pfd)) { perror("pipe"); return 2; }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(pfd[1], 1);
    close(pfd[0]);
    close(pfd[1]);
    close(ls);
    execvp(args[0], args);
    perror(args[0]);
    _exit(127);
  }
  close(pfd[1]);
  struct pollfd pl = {ls, POLLIN, 0};
  if (poll(&pl, 1, 10000) != 1) { fputs("latency: the pipeline never connected\n", stderr); kill(pid, SIGTERM); return 2; }
  int fd = accept(ls, NULL, NULL);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sender s = {fd, rate, (int64_t)(seconds * (double)rate), 0, pad, 0};
  int64_t *lat = malloc((size_t)(s.total + 1) * sizeof *lat);
  int64_t got = 0;
  usleep(50000); /* let the pipeline reach its steady state before the clock starts */
  s.t0 = now_ns();
  pthread_t th;
  pthread_create(&th, NULL, send_main, &s);
  size_t cap = 1 << 20, have = 0;
  char *buf = malloc(cap);
  for (;;) {
    ssize_t n = read(pfd[0], buf + have, cap - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    int64_t t = now_ns();
    have += (size_t)n;
    char *p = buf, *end = buf + have, *nl;
    while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
      char *sp;
      long long seq = strtoll(p, &sp, 10);
      long long sched = strtoll(sp, NULL, 10);
      if (seq >= 0 && seq < s.total && got < s.total) lat[got++] = t - sched;
      p = nl + 1;
    }
    have = (size_t)(end - p);
    memmove(buf, p, have);
  }
  pthread_join(th, NULL);
  int status;
  waitpid(pid, &status, 0);
  qsort(lat, (size_t)got, sizeof *lat, cmp64);
#define PCT(q) (got ? (double)lat[(int64_t)((double)(got - 1) * (q))] / 1e6 : -1.0)
  double dur = (double)(s.send_end - s.t0) / 1e9;
  printf("sent=%lld received=%lld rate=%.0f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f p999_ms=%.3f max_ms=%.3f\n",
         (long long)s.total, (long long)got, dur > 0 ? (double)s.total / dur : 0.0, PCT(0.5), PCT(0.9), PCT(0.99),
         PCT(0.999), PCT(1.0));
  return got == s.total ? 0 : 1;
}
