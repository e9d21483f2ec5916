/* measure — runs one command and reports its wall time, peak RSS and CPU time.
 *
 *   measure RESULT_FILE [--in FILE] [--out FILE] -- COMMAND ARGS...
 *
 * The command's stdin/stdout are redirected here (not by a shell), so the measured interval is
 * fork -> exit of the command itself.  Wall time comes from CLOCK_MONOTONIC, peak RSS and CPU
 * time from wait4()'s rusage.  RESULT_FILE gets one line:
 *   wall_ns maxrss_kb user_us sys_us exit_status
 * The exit status of measure is the command's (128+signal when killed).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fputs("usage: measure RESULT_FILE [--in FILE] [--out FILE] -- COMMAND ARGS...\n", stderr);
    return 2;
  }
  const char *result = argv[1], *in = NULL, *out = NULL;
  int i = 2;
  for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
    if (!strcmp(argv[i], "--in") && i + 1 < argc) in = argv[++i];
    else if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
    else { fprintf(stderr, "measure: unknown option %s\n", argv[i]); return 2; }
  }
  if (i + 1 >= argc) { fputs("measure: no command\n", stderr); return 2; }
  char **cmd = argv + i + 1;
  int fin = -1, fout = -1;
  if (in && (fin = open(in, O_RDONLY)) < 0) { perror(in); return 2; }
  if (out && (fout = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0) { perror(out); return 2; }
  long long t0 = now_ns();
  pid_t pid = fork();
  if (pid < 0) { perror("fork"); return 2; }
  if (pid == 0) {
    if (fin >= 0) dup2(fin, 0);
    if (fout >= 0) dup2(fout, 1);
    execvp(cmd[0], cmd);
    perror(cmd[0]);
    _exit(127);
  }
  int status = 0;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 2; }
  long long wall = now_ns() - t0;
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE *f = fopen(result, "w");
  if (!f) { perror(result); return 2; }
  fprintf(f, "%lld %ld %lld %lld %d\n", wall, ru.ru_maxrss,
          (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec,
          (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec, code);
  fclose(f);
  return code;
}
