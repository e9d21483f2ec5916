/* cg_split.c — optimising and emitting one module on several threads.
 *
 * LLVM optimises and emits a module on one thread, and for a pipeline of a few stages that is
 * most of `dsc compile`'s time (ysb: about 300 of 400 ms, most of it in the runtime helpers
 * inlined into each loop).  So the generated functions are dealt into parts of about equal
 * weight, as a C compiler's parallel LTO or rustc's codegen units do.  Each part is a copy of
 * the module in an LLVM context of its own (a context is never shared between threads), in which
 * the other parts' functions are only declared; it is optimised and emitted to its own object
 * file, and the linker puts the objects together.  A function or mutable global used from
 * another part gets external, hidden linkage and is defined in one part only; constants (string
 * literals) are simply copied.  Stage functions reach each other through the runtime's task
 * calls, which are never inlined (a static table's stage, called once in the first batch, is the
 * one direct call), so the split costs the optimiser little it used: compiled whole or in parts,
 * ysb, the word count and the window benchmark ran alike.  A part is the same set of functions
 * for the same program, so the executable does not depend on timing.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>

#include "cg.h"

/* Below this weight a module takes less time to optimise than the copies cost. */
enum { MIN_SPLIT_WEIGHT = 2000 };

static const char PART_ATTR[] = "dsc-part";

/* What a function costs the optimiser, roughly: its instructions, and for each call of a hot
 * runtime helper (inlined from the runtime bitcode, cg_module.c) the helper's body. */
static long function_weight(LLVMValueRef fn) {
  long w = 0;
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
    for (LLVMValueRef in = LLVMGetFirstInstruction(bb); in; in = LLVMGetNextInstruction(in)) {
      w++;
      if (LLVMGetInstructionOpcode(in) != LLVMCall)
        continue;
      size_t n;
      const char *callee = LLVMGetValueName2(LLVMGetCalledValue(in), &n);
      if (cg_is_hot_helper(callee))
        w += 200;
    }
  return w;
}

/* The function an instruction is in, or NULL for a use outside any function. */
static LLVMValueRef using_function(LLVMValueRef user) {
  if (!LLVMIsAInstruction(user))
    return NULL;
  return LLVMGetBasicBlockParent(LLVMGetInstructionParent(user));
}

static int part_of(LLVMValueRef fn) {
  unsigned n = (unsigned)strlen(PART_ATTR);
  LLVMAttributeRef a = LLVMGetStringAttributeAtIndex(fn, LLVMAttributeFunctionIndex, PART_ATTR, n);
  if (!a)
    return -1;
  unsigned len;
  return atoi(LLVMGetStringAttributeValue(a, &len));
}

/* Whether v is used outside part `part` (or outside any function: then always). */
static bool used_elsewhere(LLVMValueRef v, int part) {
  for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
    LLVMValueRef fn = using_function(LLVMGetUser(u));
    if (!fn || part_of(fn) != part)
      return true;
  }
  return false;
}

/* The part of v's first use in a function, or -1. */
static int first_user_part(LLVMValueRef v) {
  for (LLVMUseRef u = LLVMGetFirstUse(v); u; u = LLVMGetNextUse(u)) {
    LLVMValueRef fn = using_function(LLVMGetUser(u));
    if (fn)
      return part_of(fn);
  }
  return -1;
}

static void make_shared(LLVMValueRef v) {
  LLVMSetLinkage(v, LLVMExternalLinkage);
  LLVMSetVisibility(v, LLVMHiddenVisibility);
}

typedef struct weighed {
  LLVMValueRef fn;
  long weight;
  int order; /* in the module: ties go by it, so the parts never depend on qsort */
} weighed;

static int heavier_first(const void *a, const void *b) {
  const weighed *x = a, *y = b;
  if (x->weight != y->weight)
    return x->weight < y->weight ? 1 : -1;
  return x->order - y->order;
}

/* Deals the defined functions into at most max_parts parts (the heaviest first, each to the
 * lightest part so far), tags each with its part, and gives external linkage to what crosses
 * parts.  Returns the number of parts, 1 when splitting would not pay. */
static int deal_functions(LLVMContextRef ctx, LLVMModuleRef mod, int max_parts) {
  int n = 0, cap = 16;
  weighed *fns = malloc(sizeof *fns * (size_t)cap);
  long total = 0;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    if (LLVMIsDeclaration(f))
      continue;
    if (n == cap)
      fns = realloc(fns, sizeof *fns * (size_t)(cap *= 2));
    fns[n] = (weighed){f, function_weight(f), n};
    total += fns[n++].weight;
  }
  int parts = max_parts < CG_MAX_PARTS ? max_parts : CG_MAX_PARTS;
  if (parts > n)
    parts = n;
  if (total < MIN_SPLIT_WEIGHT || parts < 2) {
    free(fns);
    return 1;
  }
  qsort(fns, (size_t)n, sizeof *fns, heavier_first);
  long load[CG_MAX_PARTS] = {0};
  for (int i = 0; i < n; i++) {
    int lightest = 0;
    for (int p = 1; p < parts; p++)
      if (load[p] < load[lightest])
        lightest = p;
    load[lightest] += fns[i].weight;
    char tag[16];
    snprintf(tag, sizeof tag, "%d", lightest);
    LLVMAttributeRef a = LLVMCreateStringAttribute(ctx, PART_ATTR, (unsigned)strlen(PART_ATTR),
                                                   tag, (unsigned)strlen(tag));
    LLVMAddAttributeAtIndex(fns[i].fn, LLVMAttributeFunctionIndex, a);
  }
  for (int i = 0; i < n; i++)
    if (used_elsewhere(fns[i].fn, part_of(fns[i].fn)))
      make_shared(fns[i].fn);
  free(fns);
  /* a mutable global of several parts: defined in part 0, declared in the others
     (prepare_part); one of a single part stays internal, and the other parts drop it */
  for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g))
    if (!LLVMIsGlobalConstant(g) && used_elsewhere(g, first_user_part(g)))
      make_shared(g);
  return parts;
}

/* Replaces the definition of a function or global by a declaration of the same name, type
 * and visibility (and calling convention, or alignment and thread-locality). */
static void to_declaration(LLVMModuleRef mod, LLVMValueRef v) {
  size_t n;
  char *name = strdup(LLVMGetValueName2(v, &n));
  LLVMSetValueName2(v, "", 0); /* so that the declaration gets the name itself */
  bool fn = LLVMIsAFunction(v) != NULL;
  LLVMValueRef d;
  if (fn) {
    d = LLVMAddFunction(mod, name, LLVMGlobalGetValueType(v));
    LLVMSetFunctionCallConv(d, LLVMGetFunctionCallConv(v));
  } else {
    d = LLVMAddGlobal(mod, LLVMGlobalGetValueType(v), name);
    LLVMSetAlignment(d, LLVMGetAlignment(v));
    LLVMSetThreadLocal(d, LLVMIsThreadLocal(v));
  }
  LLVMSetVisibility(d, LLVMGetVisibility(v));
  LLVMReplaceAllUsesWith(v, d);
  if (fn)
    LLVMDeleteFunction(v);
  else
    LLVMDeleteGlobal(v);
  free(name);
}

/* Keeps part `part`'s functions in mod: the others become declarations, or go when nothing in
 * this part uses them.  Globals with external linkage (the shared mutable ones) stay defined in
 * part 0 only; internal constants are in every part that uses them. */
static void prepare_part(LLVMModuleRef mod, int part) {
  int n = 0;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
    n++;
  LLVMValueRef *fns = malloc(sizeof *fns * (size_t)(n ? n : 1));
  n = 0;
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f))
    fns[n++] = f;
  for (int i = 0; i < n; i++) {
    int p = part_of(fns[i]);
    if (p < 0)
      continue;
    LLVMRemoveStringAttributeAtIndex(fns[i], LLVMAttributeFunctionIndex, PART_ATTR,
                                     (unsigned)strlen(PART_ATTR));
    if (p != part)
      to_declaration(mod, fns[i]);
  }
  free(fns);
  /* what no kept function uses: the other parts' internal functions (and declarations of
     theirs), until nothing changes */
  for (bool removed = true; removed;) {
    removed = false;
    for (LLVMValueRef f = LLVMGetFirstFunction(mod), next; f; f = next) {
      next = LLVMGetNextFunction(f);
      LLVMLinkage linkage = LLVMGetLinkage(f);
      if (!LLVMGetFirstUse(f) && (LLVMIsDeclaration(f) || linkage == LLVMInternalLinkage ||
                                  linkage == LLVMPrivateLinkage)) {
        LLVMDeleteFunction(f);
        removed = true;
      }
    }
  }
  if (part == 0)
    return;
  for (LLVMValueRef g = LLVMGetFirstGlobal(mod), next; g; g = next) {
    next = LLVMGetNextGlobal(g);
    if (LLVMGetLinkage(g) == LLVMExternalLinkage && LLVMGetInitializer(g))
      to_declaration(mod, g);
  }
}

typedef struct part_job {
  const char *bitcode; /* the dealt module, shared read-only */
  size_t size;
  int part;
  cg_part_fn finish;
  void *data;
  bool ok;
} part_job;

static void *run_part(void *arg) {
  part_job *job = arg;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMMemoryBufferRef buf =
      LLVMCreateMemoryBufferWithMemoryRange(job->bitcode, job->size, "dsc-part", 0);
  LLVMModuleRef mod;
  if (LLVMParseBitcodeInContext2(ctx, buf, &mod)) {
    fprintf(stderr, "dsc: internal compiler error: cannot read back part %d of the module\n",
            job->part);
    job->ok = false;
  } else {
    prepare_part(mod, job->part);
    job->ok = job->finish(ctx, mod, job->part, job->data);
    LLVMDisposeModule(mod);
  }
  LLVMDisposeMemoryBuffer(buf);
  LLVMContextDispose(ctx);
  return NULL;
}

int cg_split_finish(LLVMContextRef ctx, LLVMModuleRef mod, int max_parts, cg_part_fn finish,
                    void *data, bool *ok) {
  int parts = max_parts > 1 ? deal_functions(ctx, mod, max_parts) : 1;
  if (parts == 1) {
    *ok = finish(ctx, mod, 0, data);
    return 1;
  }
  LLVMMemoryBufferRef bc = LLVMWriteBitcodeToMemoryBuffer(mod);
  part_job jobs[CG_MAX_PARTS];
  pthread_t threads[CG_MAX_PARTS];
  bool started[CG_MAX_PARTS] = {false};
  for (int p = 1; p < parts; p++) {
    jobs[p] = (part_job){LLVMGetBufferStart(bc), LLVMGetBufferSize(bc), p, finish, data, false};
    started[p] = pthread_create(&threads[p], NULL, run_part, &jobs[p]) == 0;
  }
  prepare_part(mod, 0);
  *ok = finish(ctx, mod, 0, data);
  for (int p = 1; p < parts; p++) {
    if (started[p])
      pthread_join(threads[p], NULL);
    else /* no thread could be had: this one does the part */
      run_part(&jobs[p]);
    *ok = *ok && jobs[p].ok;
  }
  LLVMDisposeMemoryBuffer(bc);
  return parts;
}
