/* source_dir.c — textFiles(dir, pattern, existing), Spark's textFileStream.
 *
 * The watch (inotify: IN_MOVED_TO | IN_CLOSE_WRITE, plus IN_MOVED_FROM | IN_DELETE to forget)
 * is set up when the module registers the source, and the directory is listed right after, so
 * "present at start" means present at registration and no file slips between the two.  Present
 * files are remembered as taken (skipped) or, with existing != 0, read first by the receiver in
 * name order, so they land in the first batch.  After that each event names a file: one that
 * matches the glob, does not start with '.', and was not taken yet is read whole straight into
 * the source's input chunks and split there like every other source's input (committed up to
 * 16 MiB per lock, so a file up to that size lands in one batch: the batch in which it
 * appeared).  Names taken live in a store table; when a taken file leaves the directory its
 * name is marked gone (a new file of that name is new data), and the table is compacted when
 * most of it is gone, so the memory follows the directory, not the run.  An event-queue overflow rescans the directory.
 * A file that cannot be read (dangling symlink, a directory, a FIFO, no permission) is
 * reported and skipped; a missing directory at start is fatal (exit 1).
 *
 * Like a socket the source never ends by itself; SIGINT / SIGTERM stop it (the receiver polls
 * with a 100 ms timeout to notice).  For deterministic tests under --manual-clock, `@batch`
 * lines inside files cut batches as for every source, and a file named exactly `@end` (moved
 * or written into the directory, or present at start with existing != 0, read last) ends the
 * source; its content is ignored and later events are not read.  Without --manual-clock `@end`
 * is an ordinary name.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdalign.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

enum { NAME_TAKEN = 1, NAME_GONE = 2 };        /* payload of a taken-names entry */
enum { READ_CHUNK_MAX = 16 * 1024 * 1024 };   /* bytes committed under one lock */

struct rt_dir {
  char *path;             /* the directory, as given */
  char *pattern;          /* the glob, NUL-terminated */
  int existing;           /* read files present at start */
  int ifd;                /* inotify descriptor */
  dsc_rt_store *store;    /* owns `taken` */
  dsc_rt_table *taken;    /* name -> NAME_TAKEN / NAME_GONE */
  int64_t gone;           /* entries marked NAME_GONE */
  char **initial;         /* existing != 0: files present at start, sorted */
  size_t ninitial;        /* how many */
  int end_at_start;       /* manual clock: `@end` was present at start (existing != 0) */
};

static int wanted(const struct rt_dir *d, const char *name) {
  return name[0] != '.' && fnmatch(d->pattern, name, 0) == 0;
}

/* Marks name taken; returns 1 if it was not taken before (new or gone). */
static int take(struct rt_dir *d, const char *name) {
  int32_t is_new;
  int64_t *state = dsc_rt_table_upsert(d->taken, name, (int64_t)strlen(name), &is_new);
  if (!is_new && *state == NAME_TAKEN) return 0;
  if (*state == NAME_GONE) d->gone--;
  *state = NAME_TAKEN;
  return 1;
}

static void compact(struct rt_dir *d) {
  dsc_rt_store *st = dsc_rt_store_new(NULL);
  dsc_rt_table *t = dsc_rt_store_table(st, sizeof(int64_t));
  for (int64_t i = 0, n = dsc_rt_table_len(d->taken); i < n; i++) {
    if (*(int64_t *)dsc_rt_table_at(d->taken, i) != NAME_TAKEN) continue;
    int64_t klen;
    const void *k = dsc_rt_table_key(d->taken, i, &klen);
    *(int64_t *)dsc_rt_table_upsert(t, k, klen, NULL) = NAME_TAKEN;
  }
  dsc_rt_store_free(d->store);
  d->store = st, d->taken = t, d->gone = 0;
}

static void forget(struct rt_dir *d, const char *name) {
  int64_t *state = dsc_rt_table_find(d->taken, name, (int64_t)strlen(name));
  if (!state || *state != NAME_TAKEN) return;
  *state = NAME_GONE;
  d->gone++;
  if (d->gone > 1024 && d->gone * 2 > dsc_rt_table_len(d->taken)) compact(d);
}

static void report(const rt_source *src, const char *name, const char *why) {
  fprintf(stderr, "%s: textFiles: cannot read '%s/%s': %s\n", rt_progname(src->ctx),
          src->dir->path, name, why);
}

static int stopping(dsc_rt_ctx *ctx) {
  pthread_mutex_lock(&ctx->mu);
  int s = ctx->stopping;
  pthread_mutex_unlock(&ctx->mu);
  return s;
}

/* Reads one file of the directory into the source; problems are reported, never fatal. */
static void read_file(rt_source *src, const char *name) {
  struct rt_dir *d = src->dir;
  size_t plen = strlen(d->path) + strlen(name) + 2;
  char *path = rt_xmalloc(plen);
  snprintf(path, plen, "%s/%s", d->path, name);
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  free(path);
  if (fd < 0) {
    report(src, name, strerror(errno));
    return;
  }
  struct stat st;
  int ok = fstat(fd, &st) == 0;
  if (!ok || !S_ISREG(st.st_mode)) {
    report(src, name, !ok ? strerror(errno)
                      : S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file");
    close(fd);
    return;
  }
  /* Each pass reads into chunk space for the rest of the file (up to READ_CHUNK_MAX) plus the
     end-of-file read, then commits it under one lock. */
  size_t size = st.st_size > 0 ? (size_t)st.st_size : 0, done = 0;
  int failed = 0, eof = 0;
  while (!eof && !failed) {
    size_t want = size > done ? size - done + 1 : 1, room, len = 0;
    if (want > READ_CHUNK_MAX) want = READ_CHUNK_MAX;
    char *space = rt_source_space(src, want, &room);
    if (room > READ_CHUNK_MAX) room = READ_CHUNK_MAX;
    while (len < room) {
      ssize_t n = read(fd, space + len, room - len);
      if (n > 0) {
        len += (size_t)n;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        report(src, name, strerror(errno));
        failed = 1; /* this pass's bytes are not committed, as if never read */
      } else {
        eof = 1;
      }
      break;
    }
    if (!failed) rt_source_commit(src, len);
    done += len;
  }
  close(fd);
  rt_source_eof(src);
  src->split.line_no = 0; /* line numbers in warnings count from each file's start */
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names in the directory that match and are not taken yet, marked taken, sorted. */
static char **list_new(struct rt_dir *d, size_t *count, int *saw_end, int manual) {
  char **names = NULL;
  size_t n = 0, cap = 0;
  *saw_end = 0;
  DIR *dp = opendir(d->path);
  if (!dp) {
    *count = 0;
    return NULL;
  }
  for (struct dirent *e; (e = readdir(dp));) {
    if (manual && !strcmp(e->d_name, "@end")) *saw_end = 1;
    else if (wanted(d, e->d_name) && take(d, e->d_name)) {
      if (n == cap) names = rt_xrealloc(names, sizeof *names * (cap = cap ? cap * 2 : 16));
      names[n++] = rt_xstrndup(e->d_name, strlen(e->d_name));
    }
  }
  closedir(dp);
  if (n) qsort(names, n, sizeof *names, cmp_names);
  *count = n;
  return names;
}

static void free_names(char **names, size_t n) {
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
}

int32_t dsc_rt_source_dir(dsc_rt_ctx *ctx, const char *dir, int64_t dir_len, const char *pattern,
                          int64_t pattern_len, int32_t existing) {
  struct rt_dir *d = rt_xmalloc(sizeof *d);
  memset(d, 0, sizeof *d);
  d->path = rt_xstrndup(dir, (size_t)dir_len);
  d->pattern = rt_xstrndup(pattern, (size_t)pattern_len);
  d->existing = existing != 0;
  struct stat st;
  int err = stat(d->path, &st) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR : 0;
  d->ifd = err ? -1 : inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
  if (!err && d->ifd < 0) err = errno;
  if (!err && inotify_add_watch(d->ifd, d->path, IN_MOVED_TO | IN_CLOSE_WRITE | IN_MOVED_FROM |
                                                     IN_DELETE | IN_ONLYDIR) < 0)
    err = errno;
  if (err) {
    fprintf(stderr, "%s: textFiles: cannot watch directory '%s': %s\n", rt_progname(ctx), d->path,
            strerror(err));
    exit(1);
  }
  d->store = dsc_rt_store_new(NULL) /* owned by the receiver, not the pipeline */;
  d->taken = dsc_rt_store_table(d->store, sizeof(int64_t));
  int saw_end;
  char **names = list_new(d, &d->ninitial, &saw_end, ctx->opt.manual_clock);
  if (d->existing) {
    d->initial = names;
    d->end_at_start = saw_end;
  } else {
    free_names(names, d->ninitial); /* remembered as taken: skipped */
    d->ninitial = 0;
  }
  char label[1100];
  snprintf(label, sizeof label, "textFiles %.1024s", d->path);
  rt_source *s = rt_source_new(ctx, RT_SRC_DIR, label);
  s->dir = d;
  s->receive = rt_dir_receiver;
  return s->index;
}

void rt_dir_free(struct rt_dir *d) {
  if (d->ifd >= 0) close(d->ifd);
  dsc_rt_store_free(d->store);
  free_names(d->initial, d->ninitial);
  free(d->path);
  free(d->pattern);
  free(d);
}

/* Handles the events in buf[0..n); returns 1 when `@end` was seen (manual clock). */
static int handle_events(rt_source *src, const char *buf, size_t n) {
  struct rt_dir *d = src->dir;
  int manual = src->ctx->opt.manual_clock;
  for (size_t off = 0; off + sizeof(struct inotify_event) <= n;) {
    const struct inotify_event *ev = (const struct inotify_event *)(buf + off);
    off += sizeof *ev + ev->len;
    if (ev->mask & IN_Q_OVERFLOW) {
      size_t count;
      int saw_end;
      char **names = list_new(d, &count, &saw_end, manual);
      for (size_t i = 0; i < count; i++) read_file(src, names[i]);
      free_names(names, count);
      if (saw_end) return 1;
      continue;
    }
    if (!ev->len || !ev->name[0]) continue;
    if (ev->mask & (IN_DELETE | IN_MOVED_FROM)) {
      forget(d, ev->name);
    } else if (ev->mask & (IN_MOVED_TO | IN_CLOSE_WRITE)) {
      if (manual && !strcmp(ev->name, "@end")) return 1;
      if (wanted(d, ev->name) && take(d, ev->name)) read_file(src, ev->name);
    }
  }
  return 0;
}

void *rt_dir_receiver(void *arg) {
  rt_source *src = arg;
  struct rt_dir *d = src->dir;
  dsc_rt_ctx *ctx = src->ctx;
  int ended = 0;
  for (size_t i = 0; i < d->ninitial && !stopping(ctx); i++) read_file(src, d->initial[i]);
  free_names(d->initial, d->ninitial);
  d->initial = NULL, d->ninitial = 0;
  if (d->end_at_start) ended = 1;
  alignas(struct inotify_event) char buf[64 * 1024];
  while (!ended && !stopping(ctx)) {
    struct pollfd pfd = {.fd = d->ifd, .events = POLLIN};
    int r = poll(&pfd, 1, 100);
    if (r <= 0) {
      if (r < 0 && errno != EINTR) {
        fprintf(stderr, "%s: %s: %s\n", rt_progname(ctx), src->label, strerror(errno));
        break;
      }
      continue;
    }
    ssize_t n = read(d->ifd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      fprintf(stderr, "%s: %s: %s\n", rt_progname(ctx), src->label, strerror(errno));
      break;
    }
    ended = handle_events(src, buf, (size_t)n);
  }
  rt_source_end(src);
  return NULL;
}
