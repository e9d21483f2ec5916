/* link.c — the last step of `dsc compile`: the system C compiler links the pipeline's objects
 * with the runtime library.  $CC overrides the compiler; sanitizer flags of the build that
 * produced the runtime are passed along (DSC_LINK_EXTRA), or the link would fail.
 *
 * A program is linked statically when it can be: one file that runs on any Linux, and a
 * quicker start, as no loader maps and relocates libc and libm before main (a one-line word
 * count 5.6 -> 4.6 ms median on the bench host of 2026-12-07, bench/RESULTS.md).  Two cases
 * cannot: glibc's resolver in a static program loads the system's NSS modules at run time,
 * which must come from the very glibc it was linked with (the linker warns so for getaddrinfo),
 * and the sanitizers' runtimes exist only as shared libraries.
 *
 * The linker is mold when it is installed (scripts/deps.sh installs it): GNU ld took 216 ms to
 * link the static campaigns example on the bench host, mold 92 ms (a dynamic link with GNU ld
 * took 104), and the link is a good part of a compile's 500 ms budget. */
#include "link.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mem.h"

#ifndef DSC_RUNTIME_DIR_DEFAULT
#define DSC_RUNTIME_DIR_DEFAULT "/usr/local/lib/dsc"
#endif
#ifndef DSC_LINK_EXTRA
#define DSC_LINK_EXTRA ""
#endif

extern char **environ;

static bool has_runtime(const char *dir) {
  struct stat st;
  return stat(mem_printf("%s/libdsc_rt.a", dir), &st) == 0;
}

const char *link_runtime_dir(void) {
  const char *env = getenv("DSC_RUNTIME_DIR");
  if (env && *env)
    return env;
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (slash) {
      *slash = '\0';
      const char *beside = mem_printf("%s/runtime", self);
      if (has_runtime(beside))
        return beside;
      beside = mem_printf("%s/../lib/dsc", self);
      if (has_runtime(beside))
        return beside;
    }
  }
  return DSC_RUNTIME_DIR_DEFAULT;
}

/* Whether an executable `name` is on $PATH. */
static bool on_path(const char *name) {
  const char *path = getenv("PATH");
  if (!path || !*path)
    return false;
  for (const char *p = path;;) {
    const char *end = strchr(p, ':');
    size_t n = end ? (size_t)(end - p) : strlen(p);
    if (n && access(mem_printf("%.*s/%s", (int)n, p, name), X_OK) == 0)
      return true;
    if (!end)
      return false;
    p = end + 1;
  }
}

bool link_static_default(bool resolves_hosts) {
  return !resolves_hosts && DSC_LINK_EXTRA[0] == '\0'; /* the extra flags are the sanitizers' */
}

bool link_executable(const char *const *objs, int nobjs, const char *out, const char *runtime_dir,
                     bool static_libc) {
  const char *cc = getenv("CC");
  if (!cc || !*cc)
    cc = "cc";
  const char *lib = mem_printf("%s/libdsc_rt.a", runtime_dir);
  if (!has_runtime(runtime_dir)) {
    fprintf(stderr, "dsc: error: runtime library not found at '%s' (set DSC_RUNTIME_DIR)\n", lib);
    return false;
  }
  enum { EXTRA_MAX = 24 };
  char **argv = mem_alloc(sizeof *argv * (size_t)(nobjs + 9 + EXTRA_MAX));
  int argc = 0;
  argv[argc++] = (char *)cc;
  if (on_path("mold"))
    argv[argc++] = (char *)"-fuse-ld=mold";
  argv[argc++] = (char *)"-o";
  argv[argc++] = (char *)out;
  for (int i = 0; i < nobjs; i++)
    argv[argc++] = (char *)objs[i];
  argv[argc++] = (char *)lib;
  argv[argc++] = (char *)"-lpthread";
  argv[argc++] = (char *)"-lm";
  if (static_libc)
    argv[argc++] = (char *)"-static-pie"; /* position-independent still: the address is random */
  char *extra = mem_strdup(DSC_LINK_EXTRA);
  int nextra = 0;
  for (char *tok = strtok(extra, " "); tok && nextra < EXTRA_MAX; tok = strtok(NULL, " "), nextra++)
    argv[argc++] = tok;
  argv[argc] = NULL;
  pid_t pid;
  int rc = posix_spawnp(&pid, cc, NULL, NULL, argv, environ);
  if (rc != 0) {
    fprintf(stderr, "dsc: error: cannot run the linker '%s': %s\n", cc, strerror(rc));
    return false;
  }
  int status;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      return false;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "dsc: error: linking '%s' failed\n", out);
    return false;
  }
  return true;
}
