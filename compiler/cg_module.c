/* cg_module.c — the fixed LLVM sequence: target machine (PIC, chosen CPU), module with its
 * data layout, pipeline codegen, LLVMVerifyModule (a failure is a compiler bug and dumps the
 * module), then for each part of it (cg_split.c) the runtime bitcode, LLVM's own default<On>
 * pass pipeline, and textual IR or an object file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/Linker.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "cg.h"

/* A target machine for the options; the native target is initialised (once, by cg_generate). */
static LLVMTargetMachineRef make_target(const cg_options *opt, char **triple_out) {
  char *triple = LLVMGetDefaultTargetTriple();
  LLVMTargetRef target;
  char *err = NULL;
  if (LLVMGetTargetFromTriple(triple, &target, &err)) {
    fprintf(stderr, "dsc: error: no LLVM target for %s: %s\n", triple, err);
    LLVMDisposeMessage(err);
    LLVMDisposeMessage(triple);
    return NULL;
  }
  char *cpu, *features;
  if (opt->cpu && strcmp(opt->cpu, "native") == 0) {
    cpu = LLVMGetHostCPUName();
    features = LLVMGetHostCPUFeatures();
  } else {
    cpu = LLVMCreateMessage(opt->cpu ? opt->cpu : "x86-64");
    features = LLVMCreateMessage("");
  }
  LLVMCodeGenOptLevel level = opt->opt_level == 0 ? LLVMCodeGenLevelNone
                            : opt->opt_level == 1 ? LLVMCodeGenLevelLess
                            : opt->opt_level == 2 ? LLVMCodeGenLevelDefault
                                                  : LLVMCodeGenLevelAggressive;
  LLVMTargetMachineRef tm = LLVMCreateTargetMachine(target, triple, cpu, features, level,
                                                    LLVMRelocPIC, LLVMCodeModelDefault);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(features);
  *triple_out = triple;
  return tm;
}

/* The per-record entry points of the runtime bitcode: small enough to inline at every call site. */
static const char *const hot_helpers[] = {
    "dsc_rt_table_upsert", "dsc_rt_table_find", "dsc_rt_table_upsert_from",
    "dsc_rt_table_prefetch_from", "dsc_rt_table_prefetch_at", "dsc_rt_table_upsert_hashed",
    "dsc_rt_table_hash", "dsc_rt_table_prefetch_hash", "dsc_rt_table_is_big", "dsc_rt_str_find",
    "dsc_rt_str_skip_space", "dsc_rt_str_find_space", "dsc_rt_lines_next",
    "dsc_rt_lines_next_having", "dsc_rt_record_next"};

static bool listed(const char *const *list, size_t n, const char *name) {
  for (size_t k = 0; k < n; k++)
    if (strcmp(name, list[k]) == 0)
      return true;
  return false;
}

bool cg_is_hot_helper(const char *name) {
  return listed(hot_helpers, sizeof hot_helpers / sizeof hot_helpers[0], name);
}

/* Turns f into a declaration: the final link takes the library's definition. */
static void drop_body(LLVMValueRef f) {
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(f); bb; bb = LLVMGetNextBasicBlock(bb))
    for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in; in = LLVMGetNextInstruction(in))
      if (LLVMGetFirstUse(in))
        LLVMReplaceAllUsesWith(in, LLVMGetPoison(LLVMTypeOf(in)));
  /* no instruction is used now, and without their terminators no block is either */
  for (LLVMBasicBlockRef bb; (bb = LLVMGetFirstBasicBlock(f));) {
    for (LLVMValueRef in; (in = LLVMGetFirstInstruction(bb));)
      LLVMInstructionEraseFromParent(in);
    LLVMDeleteBasicBlock(bb);
  }
  LLVMSetLinkage(f, LLVMExternalLinkage);
}

/* Slow paths of the hot helpers, and once-a-task or once-a-batch calls that reach the same
 * growth code (a table's reserve, the window state's growth on all the workers): the program
 * calls the library's copies.  Compiled into every program (with the static
 * functions only they call: XXH3 for long keys, the table's growth), they were a third of the
 * optimiser's and code generator's work for log_levels, and they run rarely.  Measured before
 * adding one (bench/RESULTS.md, sixteenth session): dsc_rt_table_new, once a task too, must
 * stay, or the word count's loop reloads what the new table's making would have told the
 * optimiser (1% more instructions); and keys of 17-128 bytes, one per record in ysb, are hashed
 * in the program (table.c, hash_mid). */
static const char *const library_paths[] = {"rt_table_insert", "rt_table_hash_long",
                                            "rt_lines_enter_run", "dsc_rt_table_reserve",
                                            "dsc_rt_table_reserve_shared"};

/* Makes the named functions of mod (the bitcode's, now linked in) internal, and the hot ones
 * always inlined; the library paths become declarations. */
static void internalise(LLVMContextRef ctx, LLVMModuleRef mod, char *const *names, int n) {
  unsigned always = LLVMGetEnumAttributeKindForName("alwaysinline", 12);
  for (int i = 0; i < n; i++) {
    LLVMValueRef f = LLVMGetNamedFunction(mod, names[i]);
    if (!f || LLVMIsDeclaration(f))
      continue;
    if (listed(library_paths, sizeof library_paths / sizeof library_paths[0], names[i])) {
      drop_body(f);
      continue;
    }
    LLVMSetLinkage(f, LLVMInternalLinkage);
    if (cg_is_hot_helper(names[i]))
      LLVMAddAttributeAtIndex(f, LLVMAttributeFunctionIndex,
                              LLVMCreateEnumAttribute(ctx, always, 0));
  }
}

/* Links the runtime's hot helpers (bitcode built next to libdsc_rt.a) into the module and makes
 * their definitions internal, so the optimiser inlines them into the fused loops; the final
 * link still takes everything else from the library (the library paths among them), whose own
 * copies stay in use there.
 * A missing file is not an error: the calls then go to the library.  Runs on several threads
 * at once, one module each (cg_split.c): it allocates with malloc, not mem_*. */
static void link_runtime_bitcode(LLVMContextRef ctx, LLVMModuleRef mod, const char *dir) {
  static const char *const files[] = {"dsc_rt_table.bc", "dsc_rt_str_scan.bc", "dsc_rt_line_cursor.bc"};
  for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, files[k]);
    LLVMMemoryBufferRef buf;
    char *err = NULL;
    if (LLVMCreateMemoryBufferWithContentsOfFile(path, &buf, &err)) {
      LLVMDisposeMessage(err);
      continue;
    }
    LLVMModuleRef rt;
    if (LLVMParseBitcodeInContext2(ctx, buf, &rt)) {
      LLVMDisposeMemoryBuffer(buf);
      fprintf(stderr, "dsc: warning: cannot read runtime bitcode %s; calling the library\n", path);
      continue;
    }
    LLVMDisposeMemoryBuffer(buf);
    /* the names it defines, to internalise after the link; its CPU attributes go, so the
       functions take the target's and may be inlined anywhere */
    int n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(rt); f; f = LLVMGetNextFunction(f))
      n++;
    char **defined = calloc((size_t)n + 1, sizeof *defined);
    if (!defined)
      abort();
    n = 0;
    for (LLVMValueRef f = LLVMGetFirstFunction(rt); f; f = LLVMGetNextFunction(f)) {
      if (LLVMIsDeclaration(f) || LLVMGetLinkage(f) == LLVMInternalLinkage)
        continue;
      size_t len;
      defined[n++] = strdup(LLVMGetValueName2(f, &len));
      static const char *const attrs[] = {"target-cpu", "target-features", "tune-cpu"};
      for (int a = 0; a < 3; a++)
        LLVMRemoveStringAttributeAtIndex(f, LLVMAttributeFunctionIndex, attrs[a], (unsigned)strlen(attrs[a]));
    }
    LLVMSetTarget(rt, LLVMGetTarget(mod));
    LLVMSetDataLayout(rt, LLVMGetDataLayoutStr(mod));
    if (LLVMLinkModules2(mod, rt))
      fprintf(stderr, "dsc: warning: cannot link runtime bitcode %s; calling the library\n", path);
    else
      internalise(ctx, mod, defined, n);
    for (int i = 0; i < n; i++)
      free(defined[i]);
    free(defined);
  }
}

/* The rest of the way for one part of the module (cg_split.c), in its own context and on its
 * own target machine: the runtime bitcode, LLVM's default<On> pipeline, then the object file
 * (or, unsplit, the textual IR).  data: the cg_options. */
static bool finish_part(LLVMContextRef ctx, LLVMModuleRef mod, int part, void *data) {
  const cg_options *opt = data;
  char *triple = NULL;
  LLVMTargetMachineRef tm = make_target(opt, &triple);
  if (!tm)
    return false;
  LLVMDisposeMessage(triple);
  if (opt->bitcode_dir && opt->opt_level > 0)
    link_runtime_bitcode(ctx, mod, opt->bitcode_dir);
  bool ok = true;
  char *err = NULL;
  if (opt->opt_level > 0) {
    LLVMPassBuilderOptionsRef pbo = LLVMCreatePassBuilderOptions();
    char passes[32];
    snprintf(passes, sizeof passes, "default<O%d>", opt->opt_level);
    LLVMErrorRef e = LLVMRunPasses(mod, passes, tm, pbo);
    if (e) {
      char *msg = LLVMGetErrorMessage(e);
      fprintf(stderr, "dsc: internal compiler error: LLVM passes failed: %s\n", msg);
      LLVMDisposeErrorMessage(msg);
      ok = false;
    }
    LLVMDisposePassBuilderOptions(pbo);
  }
  if (ok && opt->ll_path) {
    if (LLVMPrintModuleToFile(mod, opt->ll_path, &err)) {
      fprintf(stderr, "dsc: error: cannot write '%s': %s\n", opt->ll_path, err);
      ok = false;
    }
  } else if (ok) {
    const char *obj = opt->obj_paths[part];
    if (LLVMTargetMachineEmitToFile(tm, mod, (char *)obj, LLVMObjectFile, &err)) {
      fprintf(stderr, "dsc: error: cannot write object '%s': %s\n", obj, err);
      ok = false;
    }
  }
  LLVMDisposeMessage(err);
  LLVMDisposeTargetMachine(tm);
  return ok;
}

bool cg_generate(const plan *p, const cg_options *opt, int *nobjs) {
  /* before any thread: registering the target writes LLVM's global registry */
  LLVMInitializeNativeTarget();
  LLVMInitializeNativeAsmPrinter();
  char *triple = NULL;
  LLVMTargetMachineRef tm = make_target(opt, &triple);
  if (!tm)
    return false;
  cg g = {0};
  g.plan = p;
  g.ctx = LLVMContextCreate();
  g.mod = LLVMModuleCreateWithNameInContext(opt->prog_name, g.ctx);
  LLVMSetTarget(g.mod, triple);
  g.td = LLVMCreateTargetDataLayout(tm);
  char *layout = LLVMCopyStringRepOfTargetData(g.td);
  LLVMSetDataLayout(g.mod, layout);
  LLVMDisposeMessage(layout);
  g.b = LLVMCreateBuilderInContext(g.ctx);
  g.t_void = LLVMVoidTypeInContext(g.ctx);
  g.t_i1 = LLVMInt1TypeInContext(g.ctx);
  g.t_i8 = LLVMInt8TypeInContext(g.ctx);
  g.t_i32 = LLVMInt32TypeInContext(g.ctx);
  g.t_i64 = LLVMInt64TypeInContext(g.ctx);
  g.t_f64 = LLVMDoubleTypeInContext(g.ctx);
  g.t_ptr = LLVMPointerTypeInContext(g.ctx, 0);
  LLVMTypeRef pair[2] = {g.t_ptr, g.t_i64};
  g.t_str = LLVMStructTypeInContext(g.ctx, pair, 2, 0);
  g.t_list = g.t_str;

  cg_pipeline(&g, opt);

  bool ok = true;
  char *err = NULL;
  if (LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &err)) {
    fprintf(stderr, "dsc: internal compiler error: invalid LLVM module: %s\n", err);
    char *ir = LLVMPrintModuleToString(g.mod);
    fprintf(stderr, "%s\n", ir);
    LLVMDisposeMessage(ir);
    ok = false;
  }
  LLVMDisposeMessage(err);
  LLVMDisposeBuilder(g.b);
  LLVMDisposeTargetData(g.td);
  LLVMDisposeTargetMachine(tm);
  LLVMDisposeMessage(triple);
  if (ok) {
    /* textual IR stays one module; unoptimised code is quick to emit whole */
    int jobs = opt->ll_path || opt->opt_level == 0 ? 1 : opt->jobs;
    int parts = cg_split_finish(g.ctx, g.mod, jobs, finish_part, (void *)opt, &ok);
    if (nobjs)
      *nobjs = parts;
  }
  LLVMDisposeModule(g.mod);
  LLVMContextDispose(g.ctx);
  return ok;
}
