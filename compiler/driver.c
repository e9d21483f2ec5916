/* driver.c — runs the stages in their one direction: source text -> tokens -> AST -> typed AST
 * -> stage plan -> LLVM IR -> object -> executable, stopping after the stage asked for or at
 * the first stage that reported an error. */
#include "driver.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg.h"
#include "diag.h"
#include "link.h"
#include "ops.h"
#include "parse.h"
#include "plan.h"
#include "sema.h"
#include "types.h"

#ifndef DSC_VERSION
#define DSC_VERSION "0.0.0"
#endif

const char *driver_version(void) { return DSC_VERSION; }

/* `dir/wordcount.ds` -> `wordcount` */
static const char *stem(const char *path) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  const char *dot = strrchr(base, '.');
  size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  return mem_strndup(base, n);
}

static int finish(diag_ctx *d, int status) {
  if (d->errors > 0) {
    if (d->max_errors && d->errors > d->max_errors)
      fprintf(stderr, "%d errors in all (only the first %d shown)\n", d->errors, d->max_errors);
    else if (d->errors > 1)
      fprintf(stderr, "%d errors generated.\n", d->errors);
    return 1;
  }
  return status;
}

/* Whether the executable links the C library statically (link.c says why it may not). */
static bool links_statically(const driver_options *opt, const plan *p) {
  if (opt->link != LINK_AUTO)
    return opt->link == LINK_STATIC;
  bool resolves_hosts = false;
  for (int i = 0; i < p->sources.len; i++) {
    const plan_op *src = p->sources.items[i];
    resolves_hosts |= src->node->builtin == SRC_SOCKET;
  }
  return link_static_default(resolves_hosts);
}

static int compile(const driver_options *opt, const plan *p) {
  const char *name = stem(opt->input);
  const char *out = opt->output ? opt->output : opt->emit_llvm ? mem_printf("%s.ll", name) : name;
  cg_options co = {0};
  co.opt_level = opt->opt_level;
  co.cpu = opt->cpu;
  const char *base = strrchr(out, '/');
  co.prog_name = base ? base + 1 : out;
  co.bitcode_dir = link_runtime_dir();
  if (opt->emit_llvm) {
    co.ll_path = out;
    return cg_generate(p, &co, NULL) ? 0 : 1;
  }
  /* one object per part the code generator may split the module into (cg_split.c) */
  int jobs = opt->jobs;
  if (jobs <= 0) {
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    jobs = cpus > 0 ? (int)cpus : 1;
  }
  if (jobs > CG_MAX_PARTS)
    jobs = CG_MAX_PARTS;
  char **objs = mem_alloc(sizeof *objs * (size_t)jobs);
  int made = 0;
  bool ok = true;
  for (; made < jobs; made++) {
    objs[made] = mem_strdup("/tmp/dsc-XXXXXX.o");
    int fd = mkstemps(objs[made], 2);
    if (fd < 0) {
      fprintf(stderr, "dsc: error: cannot create a temporary file: %s\n", strerror(errno));
      ok = false;
      break;
    }
    close(fd);
  }
  co.obj_paths = (const char *const *)objs;
  co.jobs = jobs;
  int written = 0;
  ok = ok && cg_generate(p, &co, &written) &&
       link_executable((const char *const *)objs, written, out, link_runtime_dir(),
                       links_statically(opt, p));
  for (int i = 0; i < made; i++)
    unlink(objs[i]);
  return ok ? 0 : 1;
}

int driver_run(const driver_options *opt) {
  src_file *src = source_load(opt->input);
  if (!src) {
    fprintf(stderr, "dsc: error: cannot read '%s': %s\n", opt->input, strerror(errno));
    return 1;
  }
  diag_ctx d;
  diag_init(&d, src, stderr);
  if (opt->action == ACT_TOKENS) {
    parse_dump_tokens(stdout, src, &d);
    return finish(&d, 0);
  }
  ast_program *prog = parse_program(src, &d);
  if (d.errors)
    return finish(&d, 1);
  sema_info info;
  bool typed = sema_check(prog, &d, &info);
  if (opt->action == ACT_AST) {
    ast_dump(stdout, prog);
    return finish(&d, 0);
  }
  if (!typed)
    return finish(&d, 1);
  if (opt->action == ACT_CHECK)
    return 0;
  plan *p = plan_build(prog, &info);
  if (opt->action == ACT_EXPLAIN) {
    plan_dump(stdout, p, src);
    return 0;
  }
  return compile(opt, p);
}
