/* input_map.c — reading a regular file through a mapping instead of read(2) (--mmap).
 *
 * Not the default.  A mapping copies no byte, but every 4 KiB page of it is a page-table entry
 * made and later dropped, and under a hypervisor that shadows the guest's page tables each costs
 * far more than copying the page: on the bench host of 2026-12-07, touching a mapped 90 MB file
 * took 52 ms against 12-17 ms for read(2) into reused memory, and ysb (1 thread) ran in 66 ms
 * mapped against 41 read, the word counts alike or faster read (bench/RESULTS.md, twelfth
 * session).  On the tenth and eleventh sessions' host it was the other way round: populating
 * the mapping 9-10 ms, read(2) 18 ms (bench/RESULTS.md, tenth session).
 *
 * With --mmap, a stdin() or file() source that is a regular file is mapped (as big as it is when
 * the receiver starts) and given to the splitter a window at a time: each window becomes an
 * input chunk that points into the mapping (rt_split_mapped), so no byte is copied, and a chunk
 * that the batches are done with gives its pages back.  A line that straddles two windows costs
 * nothing either: the next chunk starts where that line starts.  What the file gains after it
 * was mapped is read with read(2), as before (rt_source_pump).
 *
 * A mapped file that shrinks under its reader (a log truncated by its rotation) raises SIGBUS
 * where read(2) would simply return less.  The receiver checks the size before each window and
 * stops mapping once the file shrank.  For a page the file loses between that check and a read,
 * the SIGBUS handler maps a page of '\n' bytes in its place: the reader sees empty lines there
 * (never a line without its end), and the mapping's release reports it.  A file rewritten in
 * place while it is read may show the new bytes: lines may come out garbled, but the line walk
 * (line_cursor.c) and the string functions stay within each run and string.  table() sources,
 * whose lines live as long as the program, are read, not mapped.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rt_internal.h"

/* Pages given back while the receiver still maps windows wait for it (see rt_input_map_drop):
 * up to this many runs of them. */
enum { MAX_DROPS = 32 };
typedef struct { uintptr_t lo, hi; } page_run;

struct rt_input_map {
  int64_t refs;  /* the receiver's while it maps, and one per chunk (atomic) */
  char *base;    /* page-aligned start of the mapping */
  size_t len;    /* its bytes */
  int slot;      /* its entry in watched[] */
  char *who;     /* "PROG: warning: SOURCE" for the report of lost pages, or NULL */
  pthread_mutex_t drop_mu;
  int receiving;       /* the receiver maps windows of it and gives back what drops[] holds */
  int ndrops;
  page_run drops[MAX_DROPS]; /* page runs whose chunks are done with */
};

/* The mappings the SIGBUS handler may repair, read by the handler without a lock: an entry is
 * in use while lo != 0, and hi is stored before lo. */
enum { MAX_WATCHED = 16 };
static struct {
  uintptr_t lo, hi;  /* [lo, hi): the mapping */
  int lost;          /* the handler replaced a page of it */
} watched[MAX_WATCHED];
static pthread_mutex_t watched_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static size_t page_size;

/* A fault in a watched mapping: the file lost that page.  A private page of '\n' takes its place
 * (mmap and memset in a handler: plain system calls and stores, safe on Linux).  Any other
 * SIGBUS gets the default action, as if there were no handler. */
static void on_sigbus(int sig, siginfo_t *info, void *uctx) {
  (void)uctx;
  uintptr_t a = (uintptr_t)info->si_addr;
  for (int i = 0; i < MAX_WATCHED; i++) {
    uintptr_t lo = __atomic_load_n(&watched[i].lo, __ATOMIC_ACQUIRE);
    if (!lo || a < lo || a >= __atomic_load_n(&watched[i].hi, __ATOMIC_RELAXED)) continue;
    char *page = (char *)(a & ~(uintptr_t)(page_size - 1));
    if (mmap(page, page_size, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
             0) == MAP_FAILED)
      break;
    memset(page, '\n', page_size);
    __atomic_store_n(&watched[i].lost, 1, __ATOMIC_RELAXED);
    return;
  }
  signal(sig, SIG_DFL);
  raise(sig);
}

static void install_handler(void) {
  page_size = (size_t)sysconf(_SC_PAGESIZE);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_sigbus;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGBUS, &sa, NULL);
}

static int watch(char *base, size_t len) {
  pthread_mutex_lock(&watched_mu);
  int slot = -1;
  for (int i = 0; i < MAX_WATCHED && slot < 0; i++)
    if (!watched[i].lo) slot = i;
  if (slot >= 0) {
    watched[slot].lost = 0;
    watched[slot].hi = (uintptr_t)base + len;
    __atomic_store_n(&watched[slot].lo, (uintptr_t)base, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&watched_mu);
  return slot;
}

rt_input_map *rt_input_map_file(int fd, int64_t off, int64_t len, char **data) {
  pthread_once(&handler_once, install_handler);
  if (off < 0 || len <= 0) return NULL;
  int64_t from = off & ~(int64_t)(page_size - 1);
  size_t maplen = (size_t)(off - from + len);
  char *base = mmap(NULL, maplen, PROT_READ, MAP_SHARED, fd, from);
  if (base == MAP_FAILED) return NULL;
  int slot = watch(base, maplen);
  if (slot < 0) { /* more mapped files than the handler watches: read this one */
    munmap(base, maplen);
    return NULL;
  }
  rt_input_map *m = rt_xmalloc(sizeof *m);
  *m = (rt_input_map){.refs = 1, .base = base, .len = maplen, .slot = slot, .receiving = 1};
  pthread_mutex_init(&m->drop_mu, NULL);
  *data = base + (off - from);
  return m;
}

void rt_input_map_hold(rt_input_map *m) { __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED); }

void rt_input_map_release(rt_input_map *m) {
  if (!m || __atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) != 0) return;
  /* reported when the mapping goes, not when the receiver saw it: a worker may be the first
     to touch a lost page, after the receiver is done */
  if (m->who && rt_input_map_lost(m))
    fprintf(stderr, "%s: the file shrank while it was read; what it lost was read as empty "
            "lines\n", m->who);
  free(m->who);
  pthread_mutex_lock(&watched_mu);
  __atomic_store_n(&watched[m->slot].lo, 0, __ATOMIC_RELEASE);
  pthread_mutex_unlock(&watched_mu);
  munmap(m->base, m->len);
  pthread_mutex_destroy(&m->drop_mu);
  free(m);
}

/* Giving pages back costs the kernel a walk of their page table entries (4% of the worker's
 * time in ysb), and the last holder of a chunk is a worker at the end of a batch.  While the
 * receiver still maps windows it has time to spare (it waits for room every window), so the page
 * runs wait for it there, merged when they touch (chunks are mostly done with in order). */
void rt_input_map_drop(rt_input_map *m, const char *p, size_t n) {
  uintptr_t mask = page_size - 1;
  uintptr_t lo = ((uintptr_t)p + mask) & ~mask, hi = ((uintptr_t)p + n) & ~mask;
  if (lo >= hi) return;
  pthread_mutex_lock(&m->drop_mu);
  int queued = 0;
  if (m->receiving && m->ndrops && m->drops[m->ndrops - 1].hi == lo)
    m->drops[m->ndrops - 1].hi = hi, queued = 1;
  else if (m->receiving && m->ndrops < MAX_DROPS)
    m->drops[m->ndrops++] = (page_run){lo, hi}, queued = 1;
  pthread_mutex_unlock(&m->drop_mu);
  if (!queued) madvise((void *)lo, hi - lo, MADV_DONTNEED);
}

void rt_input_map_give_back(rt_input_map *m, int last) {
  pthread_mutex_lock(&m->drop_mu);
  int n = m->ndrops;
  page_run runs[MAX_DROPS];
  memcpy(runs, m->drops, sizeof runs[0] * (size_t)n);
  m->ndrops = 0;
  if (last) m->receiving = 0;
  pthread_mutex_unlock(&m->drop_mu);
  for (int i = 0; i < n; i++) madvise((void *)runs[i].lo, runs[i].hi - runs[i].lo, MADV_DONTNEED);
}

int rt_input_maps_live(void) {
  int n = 0;
  for (int i = 0; i < MAX_WATCHED; i++) n += __atomic_load_n(&watched[i].lo, __ATOMIC_ACQUIRE) != 0;
  return n;
}

int rt_input_map_lost(const rt_input_map *m) {
  return __atomic_load_n(&watched[m->slot].lost, __ATOMIC_RELAXED);
}

/* Maps the window's pages in one call before the splitter reads them, instead of a fault every
 * 16 pages (the faults cost the receiver almost as much as its scan of the bytes): counting the
 * lines of the 95 MB of YSB events, 18.8 -> 17.9 ms, fastest of 21 runs.  A kernel older than
 * 5.14 refuses the advice; a page the file no longer has fails it (EFAULT, no signal) and is
 * left to the SIGBUS handler when it is read. */
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif
static void populate(const char *p, size_t n) {
  uintptr_t lo = (uintptr_t)p & ~(uintptr_t)(page_size - 1);
  (void)madvise((void *)lo, (uintptr_t)p + n - lo, MADV_POPULATE_READ);
}

int rt_source_pump_file(rt_source *src, int fd) {
  dsc_rt_ctx *ctx = src->ctx;
  struct stat st;
  off_t at = lseek(fd, 0, SEEK_CUR);
  char *data = NULL;
  rt_input_map *m = NULL;
  if (ctx->opt.mmap && at >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > at)
    m = rt_input_map_file(fd, at, st.st_size - at, &data);
  if (!m) return rt_source_pump(src, fd);
  char who[512];
  snprintf(who, sizeof who, "%s: warning: %s", rt_progname(ctx), src->label);
  m->who = rt_xstrndup(who, strlen(who));
  int64_t pos = 0, len = st.st_size - at; /* bytes of the mapping given to the splitter, of len */
  while (pos < len) {
    rt_source_wait_room(src); /* first, so that the size is checked just before the window */
    rt_input_map_give_back(m, 0);
    if (fstat(fd, &st) == 0 && st.st_size - at < len) {
      fprintf(stderr, "%s: warning: %s: the file shrank from %" PRId64 " to %" PRId64
              " bytes while it was read\n", rt_progname(ctx), src->label, (int64_t)(at + len),
              (int64_t)st.st_size);
      break;
    }
    /* a window is what one read(2) takes, so the read-ahead and early-start bounds (sched.c)
       count the same (and tests that shrink the chunks shrink the windows) */
    size_t window = src->split.chunk_size;
    size_t n = len - pos < (int64_t)window ? (size_t)(len - pos) : window;
    populate(data + pos, n);
    rt_source_commit_mapped(src, m, data + pos, n);
    pos += (int64_t)n;
    if (rt_input_map_lost(m)) break; /* reported by rt_input_map_release */
  }
  rt_input_map_give_back(m, 1);
  rt_input_map_release(m);
  /* on from where the mapping stopped: what the file gained since, or nothing */
  if (lseek(fd, at + pos, SEEK_SET) < 0) return -1;
  return rt_source_pump(src, fd);
}
