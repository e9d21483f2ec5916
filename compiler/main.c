/* main.c — the dsc command line, in the habits of cc: `dsc compile FILE.ds [-o OUT] [-O2]`,
 * `dsc check`, `dsc explain`, `--emit-llvm`, `--emit=tokens|ast|plan|llvm`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "link.h"
#include "mem.h"
#include "types.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: dsc compile FILE.ds [-o OUT] [-O0|-O1|-O2|-O3] [--emit-llvm] [-march=CPU]\n"
          "                   [-j N] [--link=static|dynamic]\n"
          "       dsc check FILE.ds        parse and type-check only\n"
          "       dsc explain FILE.ds      print the stage plan (fused loops, pipeline breakers)\n"
          "       dsc --version | --help\n"
          "\n"
          "options of compile:\n"
          "  -o OUT            the executable to write (default: FILE without .ds)\n"
          "  -O0 .. -O3        LLVM optimisation level (default -O2)\n"
          "  --emit-llvm       write LLVM IR (OUT, default FILE.ll) instead of an executable\n"
          "  --emit=KIND       print tokens, ast, plan or llvm instead of compiling\n"
          "  -march=CPU        target CPU: native, or an LLVM CPU name (default: generic x86-64)\n"
          "  -j N              optimise and emit on up to N threads (default: the CPUs online)\n"
          "  --link=static     link the C library into the executable (the default, but for a\n"
          "                    program with a socket source, or a dsc built with sanitizers)\n"
          "  --link=dynamic    use the system's shared C library at run time\n"
          "\n"
          "environment: CC (the linker driver, default cc), DSC_RUNTIME_DIR (libdsc_rt.a)\n");
}

static int bad_usage(const char *fmt, const char *arg) {
  fprintf(stderr, "dsc: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see dsc --help)\n");
  return 2;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
    usage(stdout);
    return 0;
  }
  if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
    printf("dsc %s (LLVM 19)\n", driver_version());
    return 0;
  }
  driver_options opt = {0};
  opt.opt_level = 2;
  const char *cmd = argv[1];
  if (strcmp(cmd, "compile") == 0)
    opt.action = ACT_COMPILE;
  else if (strcmp(cmd, "check") == 0)
    opt.action = ACT_CHECK;
  else if (strcmp(cmd, "explain") == 0)
    opt.action = ACT_EXPLAIN;
  else
    return bad_usage("unknown command '%s'", cmd);
  for (int i = 2; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-o") == 0) {
      if (++i >= argc)
        return bad_usage("%s needs a file name", a);
      opt.output = argv[i];
    } else if (strncmp(a, "-O", 2) == 0 && a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
      opt.opt_level = a[2] - '0';
    } else if (strcmp(a, "--emit-llvm") == 0 || strcmp(a, "--emit=llvm") == 0) {
      opt.emit_llvm = true;
    } else if (strcmp(a, "--emit=tokens") == 0) {
      opt.action = ACT_TOKENS;
    } else if (strcmp(a, "--emit=ast") == 0) {
      opt.action = ACT_AST;
    } else if (strcmp(a, "--emit=plan") == 0) {
      opt.action = ACT_EXPLAIN;
    } else if (strcmp(a, "-j") == 0 || (strncmp(a, "-j", 2) == 0 && a[2] >= '0' && a[2] <= '9')) {
      const char *v = a[2] ? a + 2 : ++i < argc ? argv[i] : NULL;
      char *end = NULL;
      long n = v ? strtol(v, &end, 10) : 0;
      if (!v || *end || n < 1 || n > 64)
        return bad_usage("-j needs a number of threads from 1 to 64, not '%s'", v ? v : "");
      opt.jobs = (int)n;
    } else if (strcmp(a, "--link=static") == 0) {
      opt.link = LINK_STATIC;
    } else if (strcmp(a, "--link=dynamic") == 0) {
      opt.link = LINK_DYNAMIC;
    } else if (strncmp(a, "-march=", 7) == 0) {
      opt.cpu = a + 7;
    } else if (strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      return bad_usage("unknown option '%s'", a);
    } else if (opt.input) {
      return bad_usage("only one input file is accepted; got another: '%s'", a);
    } else {
      opt.input = a;
    }
  }
  if (!opt.input)
    return bad_usage("%s needs an input file", cmd);
  int status = driver_run(&opt);
  types_reset();
  mem_release_all();
  return status;
}
