/* test_split.c — cg_split.c: a module dealt into parts on several threads.  A hand-built module
 * with heavy and light functions, an internal helper of one of them, an internal function and a
 * mutable global that two parts use, a constant both use, and an external global: every part
 * must verify, every function must be defined in exactly one part (its helper beside it), what
 * crosses parts must be external in the part that defines it and declared in the others, and
 * the parts must be the same on every run. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/Core.h>

#include "../cunit_main.h"
#include "cg.h"

enum { MAX_SEEN = 8, MAX_NAMES = 16 };

/* What a part looked like when it was finished (each part writes its own slot). */
typedef struct seen_part {
  int verified;
  int ndefined, ndeclared, nglobals, nglobal_decls;
  char defined[MAX_NAMES][32], declared[MAX_NAMES][32];
  int defined_internal[MAX_NAMES]; /* of defined[i]: internal or private linkage */
  char globals[MAX_NAMES][32], global_decls[MAX_NAMES][32];
} seen_part;

static seen_part seen[MAX_SEEN];
static int finish_calls;
static pthread_mutex_t calls_mu = PTHREAD_MUTEX_INITIALIZER;

static void copy_name(char *dst, LLVMValueRef v) {
  size_t n;
  const char *name = LLVMGetValueName2(v, &n);
  snprintf(dst, 32, "%s", name);
}

static bool record_part(LLVMContextRef ctx, LLVMModuleRef mod, int part, void *data) {
  (void)ctx, (void)data;
  pthread_mutex_lock(&calls_mu);
  finish_calls++;
  pthread_mutex_unlock(&calls_mu);
  if (part < 0 || part >= MAX_SEEN)
    return false;
  seen_part *s = &seen[part];
  memset(s, 0, sizeof *s);
  char *err = NULL;
  s->verified = !LLVMVerifyModule(mod, LLVMReturnStatusAction, &err);
  LLVMDisposeMessage(err);
  for (LLVMValueRef f = LLVMGetFirstFunction(mod); f; f = LLVMGetNextFunction(f)) {
    if (LLVMIsDeclaration(f) && s->ndeclared < MAX_NAMES)
      copy_name(s->declared[s->ndeclared++], f);
    else if (!LLVMIsDeclaration(f) && s->ndefined < MAX_NAMES) {
      s->defined_internal[s->ndefined] = LLVMGetLinkage(f) == LLVMInternalLinkage;
      copy_name(s->defined[s->ndefined++], f);
    }
  }
  for (LLVMValueRef g = LLVMGetFirstGlobal(mod); g; g = LLVMGetNextGlobal(g)) {
    if (LLVMGetInitializer(g) && s->nglobals < MAX_NAMES)
      copy_name(s->globals[s->nglobals++], g);
    else if (!LLVMGetInitializer(g) && s->nglobal_decls < MAX_NAMES)
      copy_name(s->global_decls[s->nglobal_decls++], g);
  }
  return true;
}

static int has(char names[][32], int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (!strcmp(names[i], name))
      return 1;
  return 0;
}

/* Whether part p defines function `name` with internal linkage. */
static int defined_internal(int p, const char *name) {
  for (int i = 0; i < seen[p].ndefined; i++)
    if (!strcmp(seen[p].defined[i], name))
      return seen[p].defined_internal[i];
  return 0;
}

/* The part that defines function `name`; fails unless exactly one does. */
static int defining_part(int parts, const char *name) {
  int at = -1, count = 0;
  for (int p = 0; p < parts; p++)
    if (has(seen[p].defined, seen[p].ndefined, name))
      at = p, count++;
  CU_ASSERT_EQUAL(count, 1);
  return at;
}

/* A function of `adds` additions of the global `counter` (its weight), calling `callees`. */
static LLVMValueRef add_function(LLVMModuleRef mod, LLVMBuilderRef b, const char *name, int adds,
                                 LLVMValueRef counter, LLVMValueRef *callees, int ncallees,
                                 LLVMValueRef text, bool internal) {
  LLVMContextRef ctx = LLVMGetModuleContext(mod);
  LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
  LLVMTypeRef fty = LLVMFunctionType(i64, &i64, 1, 0);
  LLVMValueRef fn = LLVMAddFunction(mod, name, fty);
  if (internal)
    LLVMSetLinkage(fn, LLVMInternalLinkage);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(ctx, fn, "entry"));
  LLVMValueRef v = LLVMGetParam(fn, 0);
  for (int i = 0; i < adds; i++) {
    v = LLVMBuildMul(b, v, LLVMConstInt(i64, (unsigned)i * 2 + 3, 0), "");
    v = LLVMBuildXor(b, v, LLVMGetParam(fn, 0), "");
  }
  if (counter) {
    LLVMValueRef old = LLVMBuildLoad2(b, i64, counter, "");
    LLVMBuildStore(b, LLVMBuildAdd(b, old, v, ""), counter);
  }
  for (int i = 0; i < ncallees; i++)
    v = LLVMBuildAdd(b, v, LLVMBuildCall2(b, fty, callees[i], &v, 1, ""), "");
  if (text)
    v = LLVMBuildAdd(b, v, LLVMBuildPtrToInt(b, text, i64, ""), "");
  LLVMBuildRet(b, v);
  return fn;
}

/* main_entry -> heavy_a (-> helper_a, shared_fn), heavy_b (-> shared_fn); heavy_a and heavy_b
 * both update `counter` and read `text`. */
static LLVMModuleRef build_module(LLVMContextRef ctx, int heavy) {
  LLVMModuleRef mod = LLVMModuleCreateWithNameInContext("split", ctx);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(ctx);
  LLVMTypeRef i64 = LLVMInt64TypeInContext(ctx);
  LLVMValueRef counter = LLVMAddGlobal(mod, i64, "counter");
  LLVMSetLinkage(counter, LLVMInternalLinkage);
  LLVMSetInitializer(counter, LLVMConstInt(i64, 0, 0));
  LLVMValueRef exported = LLVMAddGlobal(mod, i64, "exported_setting");
  LLVMSetInitializer(exported, LLVMConstInt(i64, 7, 0));
  LLVMValueRef text = LLVMAddGlobal(mod, LLVMArrayType2(LLVMInt8TypeInContext(ctx), 4), ".text");
  LLVMSetLinkage(text, LLVMPrivateLinkage);
  LLVMSetGlobalConstant(text, 1);
  LLVMSetInitializer(text, LLVMConstStringInContext(ctx, "abc", 3, 0));
  LLVMValueRef shared = add_function(mod, b, "shared_fn", 5, NULL, NULL, 0, NULL, true);
  LLVMValueRef helper = add_function(mod, b, "helper_a", 5, NULL, NULL, 0, NULL, true);
  LLVMValueRef a_calls[2] = {helper, shared};
  LLVMValueRef a = add_function(mod, b, "heavy_a", heavy, counter, a_calls, 2, text, false);
  LLVMValueRef bb = add_function(mod, b, "heavy_b", heavy, counter, &shared, 1, text, false);
  LLVMValueRef top[2] = {a, bb};
  add_function(mod, b, "main_entry", 1, exported, top, 2, NULL, false);
  LLVMDisposeBuilder(b);
  return mod;
}

static int split(int heavy, int max_parts, bool *ok) {
  memset(seen, 0, sizeof seen);
  finish_calls = 0;
  LLVMContextRef ctx = LLVMContextCreate();
  LLVMModuleRef mod = build_module(ctx, heavy);
  int parts = cg_split_finish(ctx, mod, max_parts, record_part, NULL, ok);
  LLVMDisposeModule(mod);
  LLVMContextDispose(ctx);
  return parts;
}

static void test_two_parts(void) {
  bool ok = false;
  int parts = split(1500, 2, &ok);
  CU_ASSERT_EQUAL_FATAL(parts, 2);
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(finish_calls, 2);
  for (int p = 0; p < parts; p++)
    CU_ASSERT(seen[p].verified);
  int pa = defining_part(parts, "heavy_a"), pb = defining_part(parts, "heavy_b");
  CU_ASSERT_NOT_EQUAL(pa, pb); /* the two heavy ones never share a part */
  CU_ASSERT_EQUAL(defining_part(parts, "helper_a"), pa);
  CU_ASSERT(defined_internal(pa, "helper_a")); /* only its part uses it */
  defining_part(parts, "main_entry");
  int ps = defining_part(parts, "shared_fn");
  /* used from both parts: external where it is defined, declared in the other */
  CU_ASSERT(!defined_internal(ps, "shared_fn"));
  CU_ASSERT(has(seen[1 - ps].declared, seen[1 - ps].ndeclared, "shared_fn"));
  /* the counter both heavy functions update: defined once, in part 0, declared in part 1 */
  CU_ASSERT(has(seen[0].globals, seen[0].nglobals, "counter"));
  CU_ASSERT(has(seen[1].global_decls, seen[1].nglobal_decls, "counter"));
  CU_ASSERT(!has(seen[1].globals, seen[1].nglobals, "counter"));
  /* an exported global: defined in part 0 only */
  CU_ASSERT(has(seen[0].globals, seen[0].nglobals, "exported_setting"));
  CU_ASSERT(!has(seen[1].globals, seen[1].nglobals, "exported_setting"));
  /* the constant: a copy in each part */
  CU_ASSERT(has(seen[0].globals, seen[0].nglobals, ".text"));
  CU_ASSERT(has(seen[1].globals, seen[1].nglobals, ".text"));
}

static void test_same_parts_every_time(void) {
  bool ok = false;
  split(1500, 2, &ok);
  seen_part first[2];
  memcpy(first, seen, sizeof first);
  for (int round = 0; round < 5; round++) {
    split(1500, 2, &ok);
    for (int p = 0; p < 2; p++) {
      CU_ASSERT_EQUAL(seen[p].ndefined, first[p].ndefined);
      for (int i = 0; i < first[p].ndefined; i++)
        CU_ASSERT(has(seen[p].defined, seen[p].ndefined, first[p].defined[i]));
    }
  }
}

static void test_no_split(void) {
  bool ok = false;
  /* too light to pay for the copies */
  CU_ASSERT_EQUAL(split(10, 4, &ok), 1);
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(finish_calls, 1);
  CU_ASSERT_EQUAL(seen[0].ndefined, 5);
  CU_ASSERT(has(seen[0].globals, seen[0].nglobals, "counter"));
  /* one thread asked for */
  CU_ASSERT_EQUAL(split(1500, 1, &ok), 1);
  CU_ASSERT_EQUAL(seen[0].ndefined, 5);
}

static void test_more_parts_than_asked_functions(void) {
  bool ok = false;
  int parts = split(1500, 16, &ok);
  /* at most one part per function */
  CU_ASSERT(parts >= 2 && parts <= 5);
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(finish_calls, parts);
  for (int p = 0; p < parts; p++)
    CU_ASSERT(seen[p].verified);
  const char *const fns[] = {"heavy_a", "heavy_b", "helper_a", "shared_fn", "main_entry"};
  for (int i = 0; i < 5; i++)
    defining_part(parts, fns[i]);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS)
    return 1;
  CU_pSuite s = CU_add_suite("split", NULL, NULL);
  CU_add_test(s, "two parts: each function once, shared ones external", test_two_parts);
  CU_add_test(s, "the same parts on every run", test_same_parts_every_time);
  CU_add_test(s, "small modules and one thread stay whole", test_no_split);
  CU_add_test(s, "more threads than functions", test_more_parts_than_asked_functions);
  return dsc_cunit_run();
}
