/* source_socket.c — the TCP client source, Spark's socketTextStream.
 *
 * The receiver resolves the host on every attempt (getaddrinfo, IPv4 and IPv6, each address in
 * turn) and reads until the server closes.  Network trouble is never fatal: a refused connect
 * or a closed connection is reported and retried with a backoff of 100 ms doubling to 2 s,
 * reset after each successful connect; with --stop-at-eof a close ends the source instead.  The
 * descriptor is published under ctx->mu so a stop request can shutdown(2) it and unblock read.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rt_internal.h"

int32_t dsc_rt_source_socket(dsc_rt_ctx *ctx, const char *host, int64_t host_len, int64_t port) {
  char *h = rt_xstrndup(host, (size_t)host_len);
  char label[1100];
  snprintf(label, sizeof label, "socket %.1024s:%" PRId64, h, port);
  rt_source *s = rt_source_new(ctx, RT_SRC_SOCKET, label);
  s->host = h;
  s->port = port;
  s->receive = rt_socket_receiver;
  return s->index;
}

/* Connects to host:port; on failure returns -1 with a lower-case reason in why. */
static int connect_to(const rt_source *src, char *why, size_t whysz) {
  char port[24];
  snprintf(port, sizeof port, "%" PRId64, src->port);
  struct addrinfo hints, *res;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  int rc = getaddrinfo(src->host, port, &hints, &res);
  if (rc) {
    snprintf(why, whysz, "cannot resolve host: %s", gai_strerror(rc));
    return -1;
  }
  int fd = -1, err = 0;
  for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) < 0) {
      err = errno;
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) {
    snprintf(why, whysz, "%s", strerror(err ? err : ECONNREFUSED));
    if (why[0] >= 'A' && why[0] <= 'Z') why[0] = (char)(why[0] - 'A' + 'a');
  }
  return fd;
}

static int stopping(dsc_rt_ctx *ctx) {
  pthread_mutex_lock(&ctx->mu);
  int s = ctx->stopping;
  pthread_mutex_unlock(&ctx->mu);
  return s;
}

static void report_retry(const rt_source *src, const char *why, int64_t backoff) {
  fprintf(stderr, "%s: %s: %s; retrying in %gs\n", rt_progname(src->ctx), src->label, why,
          (double)backoff / 1000.0);
}

void *rt_socket_receiver(void *arg) {
  rt_source *src = arg;
  dsc_rt_ctx *ctx = src->ctx;
  int64_t backoff = 100;
  char why[256];
  while (!stopping(ctx)) {
    int fd = connect_to(src, why, sizeof why);
    if (fd < 0) {
      report_retry(src, why, backoff);
      if (rt_sleep_unless_stopping(ctx, backoff)) break;
      backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
      continue;
    }
    backoff = 100;
    pthread_mutex_lock(&ctx->mu);
    int stop = ctx->stopping;
    if (!stop) src->fd = fd;
    pthread_mutex_unlock(&ctx->mu);
    if (stop) {
      close(fd);
      break;
    }
    int r = rt_source_pump(src, fd);
    int err = errno;
    pthread_mutex_lock(&ctx->mu);
    src->fd = -1;
    pthread_mutex_unlock(&ctx->mu);
    close(fd);
    rt_source_eof(src);
    if (r == 1 || (r == 0 && ctx->opt.stop_at_eof)) break;
    if (r < 0) {
      snprintf(why, sizeof why, "%s", strerror(err));
      if (why[0] >= 'A' && why[0] <= 'Z') why[0] = (char)(why[0] - 'A' + 'a');
    } else {
      snprintf(why, sizeof why, "connection closed by server");
    }
    report_retry(src, why, backoff);
    if (rt_sleep_unless_stopping(ctx, backoff)) break;
    backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
  }
  rt_source_end(src);
  return NULL;
}
