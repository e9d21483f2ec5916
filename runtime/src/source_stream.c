/* source_stream.c — stdin and file sources: one blocking reader thread each.
 *
 * Both hand large chunks to the shared splitter: windows of the file when it is a regular file
 * (input_map.c), else what read(2) returns.  End of file ends the source.  A file is opened when
 * the module registers it, so a wrong path stops the program before any batch runs, with a plain
 * message and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rt_internal.h"

int32_t dsc_rt_source_stdin(dsc_rt_ctx *ctx) {
  rt_source *s = rt_source_new(ctx, RT_SRC_STDIN, "stdin");
  s->fd = 0;
  s->receive = rt_stream_receiver;
  return s->index;
}

rt_source *rt_source_open_file(dsc_rt_ctx *ctx, int kind, const char *path, int64_t path_len) {
  char *p = rt_xstrndup(path, (size_t)path_len);
  int fd = open(p, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fprintf(stderr, "%s: cannot open '%s': %s\n", rt_progname(ctx), p, strerror(errno));
    exit(1);
  }
  rt_source *s = rt_source_new(ctx, kind, p);
  s->fd = fd;
  s->receive = kind == RT_SRC_TABLE ? NULL : rt_stream_receiver; /* a table is read at once */
  free(p);
  return s;
}

int32_t dsc_rt_source_file(dsc_rt_ctx *ctx, const char *path, int64_t path_len) {
  return rt_source_open_file(ctx, RT_SRC_FILE, path, path_len)->index;
}

void *rt_stream_receiver(void *arg) {
  rt_source *src = arg;
  int r = rt_source_pump_file(src, src->fd);
  if (r < 0)
    fprintf(stderr, "%s: %s: read error: %s\n", rt_progname(src->ctx), src->label, strerror(errno));
  rt_source_eof(src);
  if (src->kind == RT_SRC_FILE) close(src->fd);
  rt_source_end(src);
  return NULL;
}
