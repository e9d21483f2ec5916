/* driver.h — one compilation from file to result, stage by stage; main.c only parses the
 * command line into these options. */
#ifndef DSC_DRIVER_H
#define DSC_DRIVER_H

#include <stdbool.h>

typedef enum driver_action {
  ACT_COMPILE, /* executable (or .ll with emit_llvm) */
  ACT_CHECK,   /* parse and type-check only */
  ACT_EXPLAIN, /* print the stage plan */
  ACT_TOKENS,  /* --emit=tokens */
  ACT_AST      /* --emit=ast (typed when it checks) */
} driver_action;

typedef struct driver_options {
  driver_action action; /* what to produce */
  const char *input;    /* the .ds file */
  const char *output;   /* -o, or NULL for the default */
  int opt_level;        /* -O0..-O3 */
  bool emit_llvm;       /* write textual IR instead of linking */
  const char *cpu;      /* -march= value; NULL = generic */
  int jobs;             /* -j: threads to optimise and emit on (0: the CPUs online) */
  int link;             /* --link=: a link_mode (link.h) */
} driver_options;

/* Returns the process exit status: 0 ok, 1 errors in the program or the build. */
int driver_run(const driver_options *opt);
const char *driver_version(void);

#endif
