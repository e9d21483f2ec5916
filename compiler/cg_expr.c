/* cg_expr.c — expressions to LLVM IR.
 *
 * Values live in SSA registers as first-class aggregates: a string is {ptr, i64}, a tuple a
 * literal struct of its fields, a list {ptr, i64} over arena memory.  Runtime helpers are
 * called with strings split into (ptr, len) and string results come back through an entry-block
 * alloca, which SROA turns back into registers.  cg_each is what makes flatMap fused: it runs a
 * continuation per element of split/words/list literals without building the list. */
#include <string.h>

#include "cg.h"
#include "dsc_rt.h"
#include "ops.h"
#include "types.h"

LLVMValueRef cg_i64(cg *g, int64_t v) { return LLVMConstInt(g->t_i64, (unsigned long long)v, 1); }
LLVMValueRef cg_i32(cg *g, int32_t v) { return LLVMConstInt(g->t_i32, (unsigned long long)v, 1); }

LLVMBasicBlockRef cg_block(cg *g, const char *name) {
  return LLVMAppendBasicBlockInContext(g->ctx, g->fn, name);
}

LLVMTypeRef cg_type(cg *g, const type *t) {
  switch (t->kind) {
  case T_INT: return g->t_i64;
  case T_FLOAT: return g->t_f64;
  case T_BOOL: return g->t_i1;
  case T_STRING: return g->t_str;
  case T_LIST: return g->t_list;
  case T_TUPLE: {
    LLVMTypeRef f[t->n];
    for (int i = 0; i < t->n; i++)
      f[i] = cg_type(g, t->elems[i]);
    return LLVMStructTypeInContext(g->ctx, f, (unsigned)t->n, 0);
  }
  case T_OPTION: {
    LLVMTypeRef f[2] = {g->t_i1, cg_type(g, t->elem)};
    return LLVMStructTypeInContext(g->ctx, f, 2, 0);
  }
  default: unreachable();
  }
}

static LLVMTypeRef sig_type(cg *g, char c) {
  switch (c) {
  case 'v': return g->t_void;
  case 'i': return g->t_i32;
  case 'l': return g->t_i64;
  case 'd': return g->t_f64;
  case 'p': return g->t_ptr;
  default: unreachable();
  }
}

LLVMValueRef cg_rt(cg *g, const char *name, const char *sig, LLVMValueRef *args) {
  LLVMValueRef fn = LLVMGetNamedFunction(g->mod, name);
  int nparams = (int)strlen(sig) - 1;
  LLVMTypeRef fty;
  if (!fn) {
    LLVMTypeRef params[16];
    for (int i = 0; i < nparams; i++)
      params[i] = sig_type(g, sig[i + 1]);
    fty = LLVMFunctionType(sig_type(g, sig[0]), params, (unsigned)nparams, 0);
    fn = LLVMAddFunction(g->mod, name, fty);
  } else {
    fty = LLVMGlobalGetValueType(fn);
  }
  return LLVMBuildCall2(g->b, fty, fn, args, (unsigned)nparams, "");
}

LLVMValueRef cg_phi2(cg *g, LLVMTypeRef t, LLVMValueRef a, LLVMBasicBlockRef from_a, LLVMValueRef b,
                     LLVMBasicBlockRef from_b, const char *name) {
  LLVMValueRef phi = LLVMBuildPhi(g->b, t, name);
  LLVMValueRef vals[2] = {a, b};
  LLVMBasicBlockRef bbs[2] = {from_a, from_b};
  LLVMAddIncoming(phi, vals, bbs, 2);
  return phi;
}

/* A builder at the top of the function's entry block, where allocas go (the caller disposes). */
static LLVMBuilderRef entry_builder(cg *g) {
  LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(g->fn);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(g->ctx);
  LLVMValueRef first = LLVMGetFirstInstruction(entry);
  if (first)
    LLVMPositionBuilderBefore(b, first);
  else
    LLVMPositionBuilderAtEnd(b, entry);
  return b;
}

/* The task function's json() memo, made at its entry with no string in it.  Within one call of a
 * task function no string's memory is freed or written again (input, arena and root tables stay
 * as they are until the batch ends), so an address and a length always mean the same bytes. */
static LLVMValueRef json_memo(cg *g) {
  if (g->json_memo)
    return g->json_memo;
  LLVMBuilderRef b = entry_builder(g);
  LLVMTypeRef t = LLVMArrayType2(g->t_i64, (sizeof(dsc_rt_json_memo) + 7) / 8);
  g->json_memo = LLVMBuildAlloca(b, t, "json.memo");
  LLVMBuildStore(b, LLVMConstNull(g->t_ptr), g->json_memo); /* obj = NULL */
  LLVMDisposeBuilder(b);
  return g->json_memo;
}

LLVMValueRef cg_alloca(cg *g, LLVMTypeRef t, const char *name) {
  LLVMBuilderRef b = entry_builder(g);
  LLVMValueRef a = LLVMBuildAlloca(b, t, name);
  LLVMDisposeBuilder(b);
  return a;
}

LLVMValueRef cg_const_str(cg *g, const char *s, int len) {
  LLVMTypeRef arr = LLVMArrayType2(g->t_i8, (uint64_t)(len ? len : 1));
  LLVMValueRef gv = LLVMAddGlobal(g->mod, arr, ".str");
  LLVMSetInitializer(gv, len ? LLVMConstStringInContext(g->ctx, s, (unsigned)len, 1)
                             : LLVMConstNull(arr));
  LLVMSetGlobalConstant(gv, 1);
  LLVMSetLinkage(gv, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(gv, LLVMGlobalUnnamedAddr);
  LLVMValueRef f[2] = {gv, cg_i64(g, len)};
  return LLVMConstStructInContext(g->ctx, f, 2, 0);
}

void cg_push_local(cg *g, int id, LLVMValueRef v) {
  if (g->nlocals == g->caplocals) {
    int cap = g->caplocals ? g->caplocals * 2 : 16;
    cg_local *n = mem_alloc(sizeof(cg_local) * (size_t)cap);
    if (g->nlocals)
      memcpy(n, g->locals, sizeof(cg_local) * (size_t)g->nlocals);
    g->locals = n;
    g->caplocals = cap;
  }
  g->locals[g->nlocals].id = id;
  g->locals[g->nlocals].value = v;
  g->nlocals++;
}

void cg_pop_locals(cg *g, int n) { g->nlocals -= n; }

static LLVMValueRef find_local(cg *g, int id) {
  for (int i = g->nlocals - 1; i >= 0; i--)
    if (g->locals[i].id == id)
      return g->locals[i].value;
  unreachable();
}

int cg_bind_lambda(cg *g, const expr *fn, LLVMValueRef *args, int nargs) {
  int n = fn->items.len;
  for (int i = 0; i < n; i++) {
    const ast_param *p = fn->items.items[i];
    LLVMValueRef v = fn->field == 1 ? LLVMBuildExtractValue(g->b, args[0], (unsigned)i, p->name)
                                    : args[i];
    cg_push_local(g, p->id, v);
  }
  if (fn->field != 1 && nargs != n)
    unreachable(); /* sema checked the arity */
  return n;
}

static LLVMValueRef str_ptr(cg *g, LLVMValueRef s) { return LLVMBuildExtractValue(g->b, s, 0, "p"); }
static LLVMValueRef str_len(cg *g, LLVMValueRef s) { return LLVMBuildExtractValue(g->b, s, 1, "n"); }

static LLVMValueRef make_str(cg *g, LLVMValueRef p, LLVMValueRef n) {
  LLVMValueRef s = LLVMGetUndef(g->t_str);
  s = LLVMBuildInsertValue(g->b, s, p, 0, "");
  return LLVMBuildInsertValue(g->b, s, n, 1, "");
}

static LLVMValueRef bool_i32(cg *g, LLVMValueRef b) {
  return LLVMBuildZExt(g->b, b, g->t_i32, "");
}

static LLVMValueRef i32_bool(cg *g, LLVMValueRef v) {
  return LLVMBuildICmp(g->b, LLVMIntNE, v, cg_i32(g, 0), "");
}

/* Calls a runtime function whose last parameter is a dsc_str / dsc_list out-pointer. */
static LLVMValueRef rt_out(cg *g, const char *name, const char *sig, LLVMValueRef *args, int nargs,
                           LLVMTypeRef out_t) {
  LLVMValueRef out = cg_alloca(g, out_t, "out");
  LLVMValueRef all[12];
  memcpy(all, args, sizeof(LLVMValueRef) * (size_t)nargs);
  all[nargs] = out;
  cg_rt(g, name, sig, all);
  return LLVMBuildLoad2(g->b, out_t, out, "");
}

static LLVMValueRef intrinsic(cg *g, const char *name, LLVMTypeRef *types, int ntypes,
                              LLVMValueRef *args, int nargs) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(g->mod, id, types, (size_t)ntypes);
  LLVMTypeRef fty = LLVMIntrinsicGetType(g->ctx, id, types, (size_t)ntypes);
  return LLVMBuildCall2(g->b, fty, fn, args, (unsigned)nargs, "");
}

/* ---- equality and ordering ------------------------------------------------------------------ */

static LLVMValueRef cg_equal(cg *g, LLVMValueRef a, LLVMValueRef b, const type *t) {
  switch (t->kind) {
  case T_INT: case T_BOOL: return LLVMBuildICmp(g->b, LLVMIntEQ, a, b, "");
  case T_FLOAT: return LLVMBuildFCmp(g->b, LLVMRealOEQ, a, b, "");
  case T_STRING: {
    LLVMValueRef args[4] = {str_ptr(g, a), str_len(g, a), str_ptr(g, b), str_len(g, b)};
    return i32_bool(g, cg_rt(g, "dsc_rt_str_eq", "iplpl", args));
  }
  case T_TUPLE: {
    LLVMValueRef all = LLVMConstInt(g->t_i1, 1, 0);
    for (int i = 0; i < t->n; i++) {
      LLVMValueRef fa = LLVMBuildExtractValue(g->b, a, (unsigned)i, "");
      LLVMValueRef fb = LLVMBuildExtractValue(g->b, b, (unsigned)i, "");
      all = LLVMBuildAnd(g->b, all, cg_equal(g, fa, fb, t->elems[i]), "");
    }
    return all;
  }
  case T_OPTION: {
    LLVMValueRef ta = LLVMBuildExtractValue(g->b, a, 0, ""), tb = LLVMBuildExtractValue(g->b, b, 0, "");
    LLVMValueRef va = LLVMBuildExtractValue(g->b, a, 1, ""), vb = LLVMBuildExtractValue(g->b, b, 1, "");
    LLVMValueRef same_tag = LLVMBuildICmp(g->b, LLVMIntEQ, ta, tb, "");
    LLVMValueRef none = LLVMBuildNot(g->b, ta, "");
    return LLVMBuildAnd(g->b, same_tag, LLVMBuildOr(g->b, none, cg_equal(g, va, vb, t->elem), ""), "");
  }
  default: unreachable();
  }
}

/* a OP b for an ordering operator on numbers or strings. */
static LLVMValueRef cg_order(cg *g, ast_op op, LLVMValueRef a, LLVMValueRef b, const type *t) {
  if (t->kind == T_FLOAT) {
    LLVMRealPredicate p = op == OP_LT ? LLVMRealOLT : op == OP_LE ? LLVMRealOLE
                        : op == OP_GT ? LLVMRealOGT : LLVMRealOGE;
    return LLVMBuildFCmp(g->b, p, a, b, "");
  }
  if (t->kind == T_STRING) {
    LLVMValueRef args[4] = {str_ptr(g, a), str_len(g, a), str_ptr(g, b), str_len(g, b)};
    a = cg_rt(g, "dsc_rt_str_cmp", "iplpl", args);
    b = cg_i32(g, 0);
  }
  LLVMIntPredicate p = op == OP_LT ? LLVMIntSLT : op == OP_LE ? LLVMIntSLE
                     : op == OP_GT ? LLVMIntSGT : LLVMIntSGE;
  return LLVMBuildICmp(g->b, p, a, b, "");
}

/* ---- arithmetic ---------------------------------------------------------------------------- */

/* Counts a run-time error of `kind` (dsc_rt_error, reported once per batch) when cond holds;
 * the code goes on after it either way. */
static void count_error_if(cg *g, LLVMValueRef cond, int kind) {
  LLVMBasicBlockRef err = cg_block(g, "rt.error"), cont = cg_block(g, "rt.ok");
  g->error_joins[g->nerror_joins++ % 32] = (struct cg_error_join){cont, LLVMGetInsertBlock(g->b)};
  LLVMBuildCondBr(g->b, cond, err, cont);
  LLVMPositionBuilderAtEnd(g->b, err);
  LLVMValueRef args[2] = {g->worker, cg_i32(g, kind)};
  cg_rt(g, "dsc_rt_error", "vpi", args);
  LLVMBuildBr(g->b, cont);
  LLVMPositionBuilderAtEnd(g->b, cont);
}

/* Integer / and %: C/Scala truncating semantics, but never a trap: a zero divisor gives 0 and
 * is counted as a run-time error; INT64_MIN / -1 wraps. */
static LLVMValueRef int_divide(cg *g, ast_op op, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef is_zero = LLVMBuildICmp(g->b, LLVMIntEQ, b, cg_i64(g, 0), "");
  count_error_if(g, is_zero, DSC_RT_ERR_DIV_ZERO);
  LLVMValueRef minus_one = LLVMBuildICmp(g->b, LLVMIntEQ, b, cg_i64(g, -1), "");
  LLVMValueRef unsafe = LLVMBuildOr(g->b, is_zero, minus_one, "");
  LLVMValueRef safe_b = LLVMBuildSelect(g->b, unsafe, cg_i64(g, 1), b, "");
  LLVMValueRef q = op == OP_DIV ? LLVMBuildSDiv(g->b, a, safe_b, "") : LLVMBuildSRem(g->b, a, safe_b, "");
  LLVMValueRef by_minus_one = op == OP_DIV ? LLVMBuildSub(g->b, cg_i64(g, 0), a, "") : cg_i64(g, 0);
  q = LLVMBuildSelect(g->b, minus_one, by_minus_one, q, "");
  return LLVMBuildSelect(g->b, is_zero, cg_i64(g, 0), q, "");
}

static const expr *arg(const expr *call, int i) { return ((ast_arg *)call->items.items[i])->value; }

/* ---- json() compared with a literal ---------------------------------------------------------
 * `json(l, "event_type").getOrElse("") == "view"` is false for most lines of a feed.  When it
 * can only be true if json() gives a value equal to the literal, the line's raw bytes are
 * searched first (dsc_rt_json_may_give: no backslash and no literal means no such value) and
 * the line is parsed only when that search finds the literal.  A program parameter serves as
 * the literal too: it is the same for every record. */

/* Whether a and b are the same value: the same name, a literal with the same text, the same
 * field of the same. */
static bool same_value(const expr *a, const expr *b) {
  if (a->kind != b->kind)
    return false;
  switch (a->kind) {
  case E_NAME: return a->sym && a->sym == b->sym;
  case E_STRING: return a->slen == b->slen && memcmp(a->sval, b->sval, (size_t)a->slen) == 0;
  case E_MEMBER:
    return a->lhs->type->kind == T_TUPLE && a->field == b->field && same_value(a->lhs, b->lhs);
  default: return false;
  }
}

static bool is_builtin_call(const expr *e, builtin_id id) {
  return e->kind == E_CALL && !(e->sym && e->sym->kind == SYM_FN) && e->builtin == (int)id;
}

static bool is_constant_string(const expr *e) {
  return e->kind == E_STRING || (e->kind == E_NAME && e->sym && e->sym->kind == SYM_PARAM);
}

/* A name, or a tuple field of one: reading it twice costs nothing and changes nothing. */
static bool is_plain_path(const expr *e) {
  if (e->kind == E_MEMBER)
    return e->lhs->type->kind == T_TUPLE && is_plain_path(e->lhs);
  return e->kind == E_NAME;
}

/* `json(line, key).getOrElse(fallback) == lit`, or `json(line, key) == some(lit)` (fallback
 * NULL). */
typedef struct json_test {
  const expr *line, *lit, *fallback;
} json_test;

/* Whether `side == other` is such a test, with a plain line and a constant literal and
 * fallback; when the fallback is the literal itself (the same text or parameter) a line without
 * the key is true, so there is nothing to search for; nor in an empty literal (`""` is in most
 * lines). */
static bool json_test_of(const expr *side, const expr *other, json_test *t) {
  const expr *json = side;
  t->lit = other, t->fallback = NULL;
  if (is_builtin_call(side, B_GET_OR_ELSE)) {
    json = arg(side, 0), t->fallback = arg(side, 1);
    if (!is_constant_string(t->fallback) || same_value(t->fallback, other))
      return false;
  } else if (is_builtin_call(other, B_SOME)) {
    t->lit = arg(other, 0);
  } else {
    return false;
  }
  t->line = is_builtin_call(json, B_JSON) ? arg(json, 0) : NULL;
  return t->line && is_plain_path(t->line) && is_constant_string(t->lit) &&
         !(t->lit->kind == E_STRING && t->lit->slen == 0);
}

/* e (`==` on a json() value and a constant, as above) with the raw search first; NULL when e is
 * not of that form. */
static LLVMValueRef cg_json_equals_literal(cg *g, const expr *e) {
  json_test t;
  if (e == g->searched_test) /* the loop gives only lines the search found something in */
    return NULL;
  if (!json_test_of(e->lhs, e->rhs, &t) && !json_test_of(e->rhs, e->lhs, &t))
    return NULL;
  LLVMBuilderRef entry = entry_builder(g);
  LLVMTypeRef site_t = LLVMArrayType2(g->t_i32, sizeof(dsc_rt_json_prefilter) / 4);
  LLVMValueRef site = LLVMBuildAlloca(entry, site_t, "json.prefilter");
  LLVMBuildStore(entry, LLVMConstNull(site_t), site);
  LLVMDisposeBuilder(entry);
  LLVMValueRef x = cg_expr(g, t.line), l = cg_expr(g, t.lit);
  LLVMValueRef args[5] = {site, str_ptr(g, x), str_len(g, x), str_ptr(g, l), str_len(g, l)};
  LLVMValueRef may = i32_bool(g, cg_rt(g, "dsc_rt_json_may_give", "ipplpl", args));
  if (t.fallback && !(t.fallback->kind == E_STRING && t.lit->kind == E_STRING)) /* a parameter */
    may = LLVMBuildOr(g->b, may, cg_equal(g, cg_expr(g, t.fallback), l, t.lit->type), "");
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef parse = cg_block(g, "json.parse"), done = cg_block(g, "json.done");
  LLVMBuildCondBr(g->b, may, parse, done);
  LLVMPositionBuilderAtEnd(g->b, parse);
  LLVMValueRef eq = cg_equal(g, cg_expr(g, e->lhs), cg_expr(g, e->rhs), e->lhs->type);
  LLVMBasicBlockRef parse_end = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return cg_phi2(g, g->t_i1, LLVMConstInt(g->t_i1, 0, 0), from, eq, parse_end, "");
}

/* Whether e is the predicate's own (only) parameter. */
static bool is_parameter_of(const expr *e, const expr *predicate) {
  if (predicate->kind != E_LAMBDA || predicate->items.len != 1 || predicate->field == 1)
    return false;
  const ast_param *p = predicate->items.items[0];
  return e->kind == E_NAME && e->sym && e->sym->kind == SYM_LOCAL && e->sym->decl == p;
}

bool cg_line_literal_of(const expr *predicate, cg_line_literal *out) {
  if (predicate->kind != E_LAMBDA)
    return false;
  const expr *e = predicate->lhs;
  while (e->kind == E_BINARY && e->op == OP_AND) /* the test must decide first */
    e = e->lhs;
  json_test t;
  if (is_builtin_call(e, B_CONTAINS) && is_constant_string(arg(e, 1))) {
    *out = (cg_line_literal){e, arg(e, 1), false, false};
    return is_parameter_of(arg(e, 0), predicate);
  }
  if (is_builtin_call(e, B_MATCHES)) { /* the regex is a literal (sema) */
    *out = (cg_line_literal){e, arg(e, 1), false, true};
    return is_parameter_of(arg(e, 0), predicate);
  }
  /* a fallback parameter equal to the literal would make every line pass */
  if (e->kind == E_BINARY && e->op == OP_EQ &&
      (json_test_of(e->lhs, e->rhs, &t) || json_test_of(e->rhs, e->lhs, &t)) &&
      !(t.fallback && t.fallback->kind != E_STRING)) {
    *out = (cg_line_literal){e, t.lit, true, false};
    return is_parameter_of(t.line, predicate);
  }
  return false;
}

static LLVMValueRef cg_binary(cg *g, const expr *e) {
  if (e->op == OP_AND || e->op == OP_OR) {
    LLVMValueRef l = cg_expr(g, e->lhs);
    LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
    LLVMBasicBlockRef rhs_bb = cg_block(g, "logic.rhs"), done = cg_block(g, "logic.done");
    if (e->op == OP_AND)
      LLVMBuildCondBr(g->b, l, rhs_bb, done);
    else
      LLVMBuildCondBr(g->b, l, done, rhs_bb);
    LLVMPositionBuilderAtEnd(g->b, rhs_bb);
    LLVMValueRef r = cg_expr(g, e->rhs);
    LLVMBasicBlockRef rhs_end = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return cg_phi2(g, g->t_i1, LLVMConstInt(g->t_i1, e->op == OP_OR, 0), from, r, rhs_end, "");
  }
  if (e->op == OP_EQ || e->op == OP_NE) {
    LLVMValueRef eq = cg_json_equals_literal(g, e);
    if (eq)
      return e->op == OP_EQ ? eq : LLVMBuildNot(g->b, eq, "");
  }
  LLVMValueRef l = cg_expr(g, e->lhs), r = cg_expr(g, e->rhs);
  const type *t = e->lhs->type;
  switch (e->op) {
  case OP_EQ: return cg_equal(g, l, r, t);
  case OP_NE: return LLVMBuildNot(g->b, cg_equal(g, l, r, t), "");
  case OP_LT: case OP_LE: case OP_GT: case OP_GE: return cg_order(g, e->op, l, r, t);
  default: break;
  }
  if (t->kind == T_STRING) {
    LLVMValueRef args[5] = {g->worker, str_ptr(g, l), str_len(g, l), str_ptr(g, r), str_len(g, r)};
    return rt_out(g, "dsc_rt_str_concat", "vpplplp", args, 5, g->t_str);
  }
  if (t->kind == T_FLOAT) {
    switch (e->op) {
    case OP_ADD: return LLVMBuildFAdd(g->b, l, r, "");
    case OP_SUB: return LLVMBuildFSub(g->b, l, r, "");
    case OP_MUL: return LLVMBuildFMul(g->b, l, r, "");
    case OP_DIV: return LLVMBuildFDiv(g->b, l, r, "");
    case OP_MOD: return LLVMBuildFRem(g->b, l, r, "");
    default: unreachable();
    }
  }
  switch (e->op) {
  case OP_ADD: return LLVMBuildAdd(g->b, l, r, "");
  case OP_SUB: return LLVMBuildSub(g->b, l, r, "");
  case OP_MUL: return LLVMBuildMul(g->b, l, r, "");
  case OP_DIV: case OP_MOD: return int_divide(g, e->op, l, r);
  default: unreachable();
  }
}

/* ---- built-ins ------------------------------------------------------------------------------ */

LLVMValueRef cg_regex(cg *g, const expr *re) {
  for (int i = 0; i < g->nregex; i++)
    if (g->regex_src[i]->slen == re->slen && memcmp(g->regex_src[i]->sval, re->sval, (size_t)re->slen) == 0)
      return g->regex_globals[i];
  if (g->nregex == g->capregex) {
    int cap = g->capregex ? g->capregex * 2 : 8;
    LLVMValueRef *gl = mem_alloc(sizeof(LLVMValueRef) * (size_t)cap);
    const expr **src = mem_alloc(sizeof(expr *) * (size_t)cap);
    if (g->nregex) {
      memcpy(gl, g->regex_globals, sizeof(LLVMValueRef) * (size_t)g->nregex);
      memcpy(src, g->regex_src, sizeof(expr *) * (size_t)g->nregex);
    }
    g->regex_globals = gl;
    g->regex_src = src;
    g->capregex = cap;
  }
  LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_ptr, "regex");
  LLVMSetInitializer(gv, LLVMConstNull(g->t_ptr));
  LLVMSetLinkage(gv, LLVMInternalLinkage);
  g->regex_globals[g->nregex] = gv;
  g->regex_src[g->nregex++] = re;
  return gv;
}

/* format(fmt, args...): literal runs and one runtime call per conversion into the worker's
 * scratch buffer, then a copy into the batch arena.  Arguments are evaluated first, so a
 * format inside an argument does not share the buffer. */
static LLVMValueRef cg_format_call(cg *g, const expr *e) {
  const expr *f = arg(e, 0);
  int nargs = e->items.len - 1;
  LLVMValueRef vals[nargs + 1];
  for (int i = 0; i < nargs; i++)
    vals[i] = cg_expr(g, arg(e, i + 1));
  LLVMValueRef buf = cg_rt(g, "dsc_rt_scratch_buf", "pp", &g->worker);
  int next = 0, lit = 0;
  const char *fs = f->sval;
  for (int i = 0; i <= f->slen; i++) {
    if (i < f->slen && fs[i] != '%')
      continue;
    if (i > lit) {
      LLVMValueRef c = cg_const_str(g, fs + lit, i - lit);
      LLVMValueRef args[3] = {buf, LLVMBuildExtractValue(g->b, c, 0, ""), cg_i64(g, i - lit)};
      cg_rt(g, "dsc_rt_buf_bytes", "vppl", args);
    }
    if (i == f->slen)
      break;
    int start = i++;
    while (!strchr("dxsfeg%", fs[i]))
      i++;
    lit = i + 1;
    if (fs[i] == '%') {
      lit = i;  /* the second % starts the next literal run */
      continue;
    }
    const expr *a = arg(e, 1 + next);
    LLVMValueRef v = vals[next++];
    char conv = fs[i];
    const char *flags = mem_strndup(fs + start, (size_t)(i - start));
    bool plain = i - start == 1; /* no flags, width or precision between % and the conversion */
    if (conv == 'd' && plain) { /* the plain conversions go straight into the buffer */
      LLVMValueRef args[2] = {buf, v};
      cg_rt(g, "dsc_rt_buf_int", "vpl", args);
    } else if (conv == 'd' || conv == 'x') {
      LLVMValueRef args[3] = {buf, LLVMBuildGlobalStringPtr(g->b, mem_printf("%sll%c", flags, conv), ".fmt"), v};
      cg_rt(g, "dsc_rt_buf_printf_int", "vppl", args);
    } else if (conv != 's') {
      LLVMValueRef args[3] = {buf, LLVMBuildGlobalStringPtr(g->b, mem_printf("%s%c", flags, conv), ".fmt"), v};
      cg_rt(g, "dsc_rt_buf_printf_float", "vppd", args);
    } else {
      if (a->type->kind != T_STRING) {
        /* %s of a number or bool prints its str() */
        LLVMValueRef sargs[2] = {g->worker, v};
        if (a->type->kind == T_INT) {
          v = rt_out(g, "dsc_rt_int_to_str", "vplp", sargs, 2, g->t_str);
        } else if (a->type->kind == T_FLOAT) {
          v = rt_out(g, "dsc_rt_float_to_str", "vpdp", sargs, 2, g->t_str);
        } else {
          LLVMValueRef bargs[1] = {bool_i32(g, v)};
          v = rt_out(g, "dsc_rt_bool_to_str", "vip", bargs, 1, g->t_str);
        }
      }
      if (plain) {
        LLVMValueRef args[3] = {buf, str_ptr(g, v), str_len(g, v)};
        cg_rt(g, "dsc_rt_buf_printf_plain_str", "vppl", args);
      } else {
        LLVMValueRef spec = LLVMBuildGlobalStringPtr(g->b, mem_printf("%ss", flags), ".fmt");
        LLVMValueRef args[4] = {buf, spec, str_ptr(g, v), str_len(g, v)};
        cg_rt(g, "dsc_rt_buf_printf_str", "vpppl", args);
      }
    }
  }
  LLVMValueRef targs[2] = {g->worker, buf};
  return rt_out(g, "dsc_rt_buf_take", "vppp", targs, 2, g->t_str);
}

/* ---- the same split twice ---------------------------------------------------------------------
 * `(csv(l)[0], csv(l)[1])` and `(split(l, ",")[0], split(l, ",")[1])` are the usual way to take
 * fields of a line; each call would split the whole line again.  These calls only read their
 * arguments and allocate (in the batch arena) a list nobody writes, so a second call with the
 * same arguments may take the first one's list, when the first was made earlier in the same
 * block, or in a block every way to this one passes through (so it is there whenever the second
 * runs). */

static bool splits_a_string(const expr *e) {
  return e->builtin == B_CSV || e->builtin == B_SPLIT || e->builtin == B_WORDS;
}

/* Whether every way into block `to` passes through `from`: the same block, or reached from it
 * through run-time error checks only (`split(l, " ")[0]` checks the index). */
static bool always_through(cg *g, LLVMBasicBlockRef from, LLVMBasicBlockRef to) {
  for (int steps = 0; steps < 32; steps++) {
    if (to == from)
      return true;
    LLVMBasicBlockRef before = NULL;
    for (int i = 0; i < g->nerror_joins && i < 32 && !before; i++)
      if (g->error_joins[i].after == to)
        before = g->error_joins[i].before;
    if (!before)
      return false;
    to = before;
  }
  return false;
}

static LLVMValueRef split_memo_find(cg *g, const expr *e) {
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  for (int i = 0; i < g->nsplit_memo && i < 8; i++) {
    const struct cg_split_memo *m = &g->split_memo[i];
    if (m->call->builtin != e->builtin || m->call->items.len != e->items.len ||
        !always_through(g, m->block, here))
      continue;
    bool same = true;
    for (int k = 0; k < e->items.len && same; k++)
      same = same_value(arg(m->call, k), arg(e, k));
    if (same)
      return m->list;
  }
  return NULL;
}

static LLVMValueRef split_memo_keep(cg *g, const expr *e, LLVMValueRef list) {
  g->split_memo[g->nsplit_memo++ % 8] = (struct cg_split_memo){e, list, LLVMGetInsertBlock(g->b)};
  return list;
}

static LLVMValueRef cg_builtin(cg *g, const expr *e) {
  if (e->builtin == B_FORMAT)
    return cg_format_call(g, e);
  if (splits_a_string(e)) {
    LLVMValueRef kept = split_memo_find(g, e);
    if (kept)
      return kept;
  }
  LLVMValueRef a[3] = {0};
  for (int i = 0; i < e->items.len && i < 3; i++)
    if (!(i == 1 && (e->builtin == B_MATCHES || e->builtin == B_CAPTURE)))
      a[i] = cg_expr(g, arg(e, i));
  const type *t0 = arg(e, 0)->type;
  switch ((builtin_id)e->builtin) {
  case B_SPLIT: {
    LLVMValueRef args[5] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0]), str_ptr(g, a[1]), str_len(g, a[1])};
    return split_memo_keep(g, e, rt_out(g, "dsc_rt_str_split_list", "vpplplp", args, 5, g->t_list));
  }
  case B_WORDS: {
    LLVMValueRef args[3] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
    return split_memo_keep(g, e, rt_out(g, "dsc_rt_str_words_list", "vpplp", args, 3, g->t_list));
  }
  case B_LOWER: case B_UPPER: {
    LLVMValueRef args[3] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
    return rt_out(g, e->builtin == B_LOWER ? "dsc_rt_str_lower" : "dsc_rt_str_upper", "vpplp",
                  args, 3, g->t_str);
  }
  case B_TRIM: {
    LLVMValueRef args[2] = {str_ptr(g, a[0]), str_len(g, a[0])};
    return rt_out(g, "dsc_rt_str_trim", "vplp", args, 2, g->t_str);
  }
  case B_LEN:
    if (t0->kind == T_LIST)
      return LLVMBuildExtractValue(g->b, a[0], 1, "len");
    else {
      LLVMValueRef args[2] = {str_ptr(g, a[0]), str_len(g, a[0])};
      return cg_rt(g, "dsc_rt_str_len", "lpl", args);
    }
  case B_CONTAINS: case B_STARTS_WITH: case B_ENDS_WITH: {
    static const char *names[] = {"dsc_rt_str_contains", "dsc_rt_str_starts_with", "dsc_rt_str_ends_with"};
    LLVMValueRef args[4] = {str_ptr(g, a[0]), str_len(g, a[0]), str_ptr(g, a[1]), str_len(g, a[1])};
    return i32_bool(g, cg_rt(g, names[e->builtin - B_CONTAINS], "iplpl", args));
  }
  case B_SUBSTR: {
    LLVMValueRef args[4] = {str_ptr(g, a[0]), str_len(g, a[0]), a[1], a[2]};
    return rt_out(g, "dsc_rt_str_substr", "vplllp", args, 4, g->t_str);
  }
  case B_TO_INT:
    if (t0->kind == T_INT)
      return a[0];
    if (t0->kind == T_FLOAT) {
      /* saturating: NaN gives 0, out-of-range values the nearest int, never poison */
      LLVMTypeRef ts[2] = {g->t_i64, g->t_f64};
      return intrinsic(g, "llvm.fptosi.sat", ts, 2, a, 1);
    } else {
      LLVMValueRef args[3] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
      return cg_rt(g, "dsc_rt_str_to_int", "lppl", args);
    }
  case B_TO_FLOAT:
    if (t0->kind == T_FLOAT)
      return a[0];
    if (t0->kind == T_INT)
      return LLVMBuildSIToFP(g->b, a[0], g->t_f64, "");
    else {
      LLVMValueRef args[3] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
      return cg_rt(g, "dsc_rt_str_to_float", "dppl", args);
    }
  case B_STR:
    switch (t0->kind) {
    case T_STRING: return a[0];
    case T_INT: {
      LLVMValueRef args[2] = {g->worker, a[0]};
      return rt_out(g, "dsc_rt_int_to_str", "vplp", args, 2, g->t_str);
    }
    case T_FLOAT: {
      LLVMValueRef args[2] = {g->worker, a[0]};
      return rt_out(g, "dsc_rt_float_to_str", "vpdp", args, 2, g->t_str);
    }
    default: {
      LLVMValueRef args[1] = {bool_i32(g, a[0])};
      return rt_out(g, "dsc_rt_bool_to_str", "vip", args, 1, g->t_str);
    }
    }
  case B_ABS:
    if (t0->kind == T_FLOAT) {
      LLVMTypeRef ts[1] = {g->t_f64};
      return intrinsic(g, "llvm.fabs", ts, 1, a, 1);
    } else {
      LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, a[0], cg_i64(g, 0), "");
      return LLVMBuildSelect(g->b, neg, LLVMBuildSub(g->b, cg_i64(g, 0), a[0], ""), a[0], "");
    }
  case B_MIN: case B_MAX: {
    /* Python: min(a, b) is b only if b < a; max(a, b) is b only if b > a. */
    LLVMValueRef take_b = cg_order(g, e->builtin == B_MIN ? OP_LT : OP_GT, a[1], a[0], e->type);
    return LLVMBuildSelect(g->b, take_b, a[1], a[0], "");
  }
  case B_ROUND: case B_FLOOR: case B_CEIL: case B_SQRT: {
    if (e->builtin == B_ROUND && e->items.len == 2) {
      LLVMValueRef args[2] = {a[0], a[1]};
      return cg_rt(g, "dsc_rt_float_round", "ddl", args);
    }
    static const char *const names[] = {"llvm.roundeven", "llvm.sqrt", "llvm.floor", "llvm.ceil"};
    LLVMTypeRef f64[1] = {g->t_f64};
    LLVMValueRef r = intrinsic(g, names[e->builtin - B_ROUND], f64, 1, a, 1);
    if (e->builtin == B_SQRT)
      return r;
    /* Python's round(x), floor(x), ceil(x) give ints */
    LLVMTypeRef ts[2] = {g->t_i64, g->t_f64};
    return intrinsic(g, "llvm.fptosi.sat", ts, 2, &r, 1);
  }
  case B_MATCHES: case B_CAPTURE: {
    LLVMValueRef re = LLVMBuildLoad2(g->b, g->t_ptr, cg_regex(g, arg(e, 1)), "re");
    if (e->builtin == B_MATCHES) {
      LLVMValueRef args[4] = {re, g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
      return i32_bool(g, cg_rt(g, "dsc_rt_regex_match", "ipppl", args));
    }
    LLVMValueRef out = cg_alloca(g, g->t_str, "cap");
    LLVMValueRef args[6] = {re, g->worker, str_ptr(g, a[0]), str_len(g, a[0]), a[2], out};
    LLVMValueRef found = i32_bool(g, cg_rt(g, "dsc_rt_regex_capture", "ipppllp", args));
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_str, out, "");
    LLVMValueRef o = LLVMBuildInsertValue(g->b, LLVMGetUndef(cg_type(g, e->type)), found, 0, "");
    return LLVMBuildInsertValue(g->b, o, v, 1, "");
  }
  case B_FORMAT: return cg_format_call(g, e);
  case B_CSV: {
    LLVMValueRef args[3] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0])};
    return split_memo_keep(g, e, rt_out(g, "dsc_rt_csv_fields", "vpplp", args, 3, g->t_list));
  }
  case B_JSON: {
    LLVMValueRef out = cg_alloca(g, g->t_str, "json");
    LLVMValueRef found;
    if (g->stage) { /* in a task function: json() of several keys of a record scans it once */
      LLVMValueRef args[7] = {g->worker, json_memo(g), str_ptr(g, a[0]), str_len(g, a[0]),
                              str_ptr(g, a[1]), str_len(g, a[1]), out};
      found = i32_bool(g, cg_rt(g, "dsc_rt_json_get_memo", "ippplplp", args));
    } else {
      LLVMValueRef args[6] = {g->worker, str_ptr(g, a[0]), str_len(g, a[0]), str_ptr(g, a[1]), str_len(g, a[1]), out};
      found = i32_bool(g, cg_rt(g, "dsc_rt_json_get", "ipplplp", args));
    }
    LLVMValueRef o = LLVMBuildInsertValue(g->b, LLVMGetUndef(cg_type(g, e->type)), found, 0, "");
    return LLVMBuildInsertValue(g->b, o, LLVMBuildLoad2(g->b, g->t_str, out, ""), 1, "");
  }
  case B_SOME: return cg_some(g, a[0], e->type);
  case B_GET_OR_ELSE:
    return LLVMBuildSelect(g->b, LLVMBuildExtractValue(g->b, a[0], 0, ""),
                           LLVMBuildExtractValue(g->b, a[0], 1, ""), a[1], "");
  case B_COUNT_: break;
  }
  unreachable();
}

/* ---- expressions ---------------------------------------------------------------------------- */

static LLVMValueRef cg_list_literal(cg *g, const expr *e) {
  LLVMTypeRef et = cg_type(g, e->type->elem);
  int n = e->items.len;
  uint64_t size = LLVMABISizeOfType(g->td, et) * (uint64_t)(n ? n : 1);
  LLVMValueRef args[2] = {g->worker, cg_i64(g, (int64_t)size)};
  LLVMValueRef data = cg_rt(g, "dsc_rt_alloc", "ppl", args);
  for (int i = 0; i < n; i++) {
    LLVMValueRef idx = cg_i64(g, i);
    LLVMValueRef slot = LLVMBuildGEP2(g->b, et, data, &idx, 1, "");
    LLVMBuildStore(g->b, cg_expr(g, e->items.items[i]), slot);
  }
  LLVMValueRef l = LLVMGetUndef(g->t_list);
  l = LLVMBuildInsertValue(g->b, l, data, 0, "");
  return LLVMBuildInsertValue(g->b, l, cg_i64(g, n), 1, "");
}

LLVMValueRef cg_expr(cg *g, const expr *e) {
  switch (e->kind) {
  case E_INT: return cg_i64(g, e->ival);
  case E_FLOAT: return LLVMConstReal(g->t_f64, e->fval);
  case E_BOOL: return LLVMConstInt(g->t_i1, e->bval, 0);
  case E_STRING: return cg_const_str(g, e->sval, e->slen);
  case E_NAME:
    if (e->sym->kind == SYM_PARAM)
      return LLVMBuildLoad2(g->b, cg_type(g, e->type), g->param_globals[e->sym->index], e->name);
    return find_local(g, e->sym->decl->id);
  case E_TUPLE: {
    LLVMValueRef t = LLVMGetUndef(cg_type(g, e->type));
    for (int i = 0; i < e->items.len; i++)
      t = LLVMBuildInsertValue(g->b, t, cg_expr(g, e->items.items[i]), (unsigned)i, "");
    return t;
  }
  case E_LIST: return cg_list_literal(g, e);
  case E_MEMBER: {
    LLVMValueRef v = cg_expr(g, e->lhs);
    if (e->lhs->type->kind != T_OPTION)
      return LLVMBuildExtractValue(g->b, v, (unsigned)e->field, "");
    LLVMValueRef has = LLVMBuildExtractValue(g->b, v, 0, "has");
    if (e->field == 0)
      return has;
    if (e->field == 1)
      return LLVMBuildNot(g->b, has, "");
    /* .get of none: counted as a run-time error; the value is the zero value */
    count_error_if(g, LLVMBuildNot(g->b, has, ""), DSC_RT_ERR_NONE_GET);
    return LLVMBuildExtractValue(g->b, v, 1, "");
  }
  case E_NONE: return cg_none(g, e->type);
  case E_INDEX: {
    /* Python indexing: negative counts from the end; out of range is a counted run-time
       error giving the zero value */
    LLVMValueRef list = cg_expr(g, e->lhs), i = cg_expr(g, e->rhs);
    LLVMValueRef len = LLVMBuildExtractValue(g->b, list, 1, "len");
    LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, i, cg_i64(g, 0), "");
    i = LLVMBuildSelect(g->b, neg, LLVMBuildAdd(g->b, i, len, ""), i, "");
    LLVMValueRef in = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, i, cg_i64(g, 0), ""),
                                   LLVMBuildICmp(g->b, LLVMIntSLT, i, len, ""), "");
    LLVMTypeRef et = cg_type(g, e->type);
    count_error_if(g, LLVMBuildNot(g->b, in, ""), DSC_RT_ERR_INDEX);
    /* out of range reads element 0 of a one-element zero buffer instead of the list */
    LLVMValueRef zero = cg_alloca(g, et, "zero");
    LLVMBuildStore(g->b, LLVMConstNull(et), zero);
    LLVMValueRef base = LLVMBuildSelect(g->b, in, LLVMBuildExtractValue(g->b, list, 0, ""), zero, "");
    LLVMValueRef at = LLVMBuildSelect(g->b, in, i, cg_i64(g, 0), "");
    return LLVMBuildLoad2(g->b, et, LLVMBuildGEP2(g->b, et, base, &at, 1, ""), "");
  }
  case E_CALL:
    if (e->sym && e->sym->kind == SYM_FN) {
      int n = e->items.len;
      LLVMValueRef args[n + 1];
      args[0] = g->worker;
      for (int i = 0; i < n; i++)
        args[i + 1] = cg_expr(g, arg(e, i));
      LLVMValueRef fn = g->fn_values[e->sym->index];
      return LLVMBuildCall2(g->b, LLVMGlobalGetValueType(fn), fn, args, (unsigned)n + 1, "");
    }
    return cg_builtin(g, e);
  case E_BINARY: return cg_binary(g, e);
  case E_UNARY: {
    LLVMValueRef v = cg_expr(g, e->lhs);
    if (e->op == OP_NOT)
      return LLVMBuildNot(g->b, v, "");
    if (e->type->kind == T_FLOAT)
      return LLVMBuildFNeg(g->b, v, "");
    return LLVMBuildSub(g->b, cg_i64(g, 0), v, ""); /* wraps for INT64_MIN, as in Scala */
  }
  case E_IF: {
    LLVMValueRef c = cg_expr(g, e->cond);
    LLVMBasicBlockRef then_bb = cg_block(g, "if.then"), else_bb = cg_block(g, "if.else"),
                      done = cg_block(g, "if.done");
    LLVMBuildCondBr(g->b, c, then_bb, else_bb);
    LLVMPositionBuilderAtEnd(g->b, then_bb);
    LLVMValueRef a = cg_expr(g, e->lhs);
    LLVMBasicBlockRef a_end = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, else_bb);
    LLVMValueRef b = cg_expr(g, e->rhs);
    LLVMBasicBlockRef b_end = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return cg_phi2(g, cg_type(g, e->type), a, a_end, b, b_end, "");
  }
  case E_LET: {
    cg_push_local(g, e->decl->id, cg_expr(g, e->rhs));
    LLVMValueRef v = cg_expr(g, e->lhs);
    cg_pop_locals(g, 1);
    return v;
  }
  default: unreachable();
  }
}

/* ---- loops and fused iteration -------------------------------------------------------------- */

void cg_loop(cg *g, LLVMValueRef lo, LLVMValueRef hi, cg_loop_fn body, void *data) {
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef head = cg_block(g, "loop"), body_bb = cg_block(g, "loop.body"),
                    latch = cg_block(g, "loop.next"), exit = cg_block(g, "loop.end");
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, head);
  LLVMValueRef i = LLVMBuildPhi(g->b, g->t_i64, "i");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, hi, ""), body_bb, exit);
  LLVMPositionBuilderAtEnd(g->b, body_bb);
  body(g, i, data);
  LLVMBuildBr(g->b, latch);
  LLVMPositionBuilderAtEnd(g->b, latch);
  LLVMValueRef next = LLVMBuildAdd(g->b, i, cg_i64(g, 1), "");
  LLVMBuildBr(g->b, head);
  LLVMValueRef vals[2] = {lo, next};
  LLVMBasicBlockRef bbs[2] = {pre, latch};
  LLVMAddIncoming(i, vals, bbs, 2);
  LLVMPositionBuilderAtEnd(g->b, exit);
}

typedef struct each_list {
  LLVMValueRef data;  /* element array */
  LLVMTypeRef elem_t; /* element type */
  cg_each_fn each;    /* continuation */
  void *each_data;
} each_list;

static void each_list_body(cg *g, LLVMValueRef i, void *data) {
  each_list *l = data;
  LLVMValueRef slot = LLVMBuildGEP2(g->b, l->elem_t, l->data, &i, 1, "");
  l->each(g, LLVMBuildLoad2(g->b, l->elem_t, slot, "item"), l->each_data);
}

/* split(s, c) with a one-byte literal separator, the word count's split(line, " "): the line
 * is scanned in aligned 32-byte blocks, each compared with c at once into a bit mask, and the
 * pieces are read off the mask's set bits.  A memchr call per piece (words average 5 bytes)
 * plus the general find's bounds checks were a fifth of the word count's instructions.  An
 * aligned block never crosses a page, so the bytes it reads before the start or past the end
 * of s are always mapped; their bits are masked off.  The block that holds s's end gets a bit
 * at the end instead (bit 32 when s ends with the block), as if a separator followed s: the
 * last piece then ends at a bit as every other does, and the loop ends at the piece that ends
 * at the end, with no other test per piece.  An empty s reads nothing. */
enum { SPLIT_BLOCK = 32 };

/* The bits of the bytes equal to c in the aligned block at address blk, as an i64. */
static LLVMValueRef block_mask(cg *g, LLVMValueRef blk, LLVMValueRef splat) {
  LLVMTypeRef vt = LLVMVectorType(g->t_i8, SPLIT_BLOCK);
  LLVMValueRef v = LLVMBuildLoad2(g->b, vt, LLVMBuildIntToPtr(g->b, blk, g->t_ptr, ""), "block");
  LLVMSetAlignment(v, SPLIT_BLOCK);
  LLVMValueRef eq = LLVMBuildICmp(g->b, LLVMIntEQ, v, splat, "");
  LLVMValueRef bits = LLVMBuildBitCast(g->b, eq, LLVMIntTypeInContext(g->ctx, SPLIT_BLOCK), "");
  return LLVMBuildZExt(g->b, bits, g->t_i64, "");
}

/* The bits m of the block at blk, cut at s's end: the bits from the end on cleared and the end's
 * own set, when the end is within the block or at its end (else m as it is). */
static LLVMValueRef mask_to_end(cg *g, LLVMValueRef m, LLVMValueRef blk, LLVMValueRef end) {
  /* the bit is `within` shifted by d (no 1 or 0 kept in a register for the loop: they were
     set again after every record's upsert); past the block, bit - 1 keeps every bit */
  LLVMValueRef d = LLVMBuildSub(g->b, end, blk, "");
  LLVMValueRef within = LLVMBuildICmp(g->b, LLVMIntULE, d, cg_i64(g, SPLIT_BLOCK), "");
  LLVMValueRef bit = LLVMBuildShl(g->b, LLVMBuildZExt(g->b, within, g->t_i64, ""),
                                  LLVMBuildAnd(g->b, d, cg_i64(g, 63), ""), "end_bit");
  LLVMValueRef below = LLVMBuildAnd(g->b, m, LLVMBuildSub(g->b, bit, cg_i64(g, 1), ""), "");
  return LLVMBuildOr(g->b, below, bit, "");
}

static void each_split_byte(cg *g, LLVMValueRef s, char c, cg_each_fn each, void *data) {
  LLVMValueRef sp = str_ptr(g, s), sn = str_len(g, s);
  LLVMValueRef lanes[SPLIT_BLOCK];
  for (int i = 0; i < SPLIT_BLOCK; i++)
    lanes[i] = LLVMConstInt(g->t_i8, (unsigned char)c, 0);
  LLVMValueRef splat = LLVMConstVector(lanes, SPLIT_BLOCK);
  LLVMValueRef base = LLVMBuildPtrToInt(g->b, sp, g->t_i64, "");
  LLVMValueRef end = LLVMBuildAdd(g->b, base, sn, "end");
  LLVMValueRef blk0 = LLVMBuildAnd(g->b, base, cg_i64(g, -SPLIT_BLOCK), "");
  LLVMValueRef skip = LLVMBuildSub(g->b, base, blk0, "");
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef first = cg_block(g, "split.first"), scan = cg_block(g, "split"),
                    found = cg_block(g, "split.sep"), load = cg_block(g, "split.load"),
                    next = cg_block(g, "split.next"), exit = cg_block(g, "split.end");
  /* an empty s: its end's bit alone, nothing read */
  LLVMValueRef m_empty = LLVMBuildShl(g->b, cg_i64(g, 1), skip, "");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, sn, cg_i64(g, 0), ""), first, scan);
  /* the first block: drop the bits of the bytes before s */
  LLVMPositionBuilderAtEnd(g->b, first);
  LLVMValueRef m0 = LLVMBuildAnd(g->b, block_mask(g, blk0, splat),
                                 LLVMBuildShl(g->b, cg_i64(g, -1), skip, ""), "");
  m0 = mask_to_end(g, m0, blk0, end);
  LLVMBuildBr(g->b, scan);
  /* scan: the block at blk, its separators not yet used, and where the current piece starts */
  LLVMPositionBuilderAtEnd(g->b, scan);
  LLVMValueRef blk = LLVMBuildPhi(g->b, g->t_i64, "blk");
  LLVMValueRef mask = LLVMBuildPhi(g->b, g->t_i64, "mask");
  LLVMValueRef start = LLVMBuildPhi(g->b, g->t_i64, "start");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, mask, cg_i64(g, 0), ""), found, load);
  /* no bit left: the end is further on, so the next block is within s */
  LLVMPositionBuilderAtEnd(g->b, load);
  LLVMValueRef blk_next = LLVMBuildAdd(g->b, blk, cg_i64(g, SPLIT_BLOCK), "");
  LLVMValueRef m_next = mask_to_end(g, block_mask(g, blk_next, splat), blk_next, end);
  LLVMBuildBr(g->b, scan);
  /* the piece [start, stop): a separator ends it, or s's end, the last piece's */
  LLVMPositionBuilderAtEnd(g->b, found);
  LLVMTypeRef i64v[1] = {g->t_i64};
  LLVMValueRef cargs[2] = {mask, LLVMConstInt(g->t_i1, 1, 0)};
  LLVMValueRef stop = LLVMBuildAdd(g->b, blk, intrinsic(g, "llvm.cttz", i64v, 1, cargs, 2), "stop");
  /* the piece's address as the blocks' are (s's own address was taken as an integer): as
     s + (start - s), the subtraction and addition stayed in the loop */
  LLVMValueRef piece_p = LLVMBuildIntToPtr(g->b, start, g->t_ptr, "piece");
  each(g, make_str(g, piece_p, LLVMBuildSub(g->b, stop, start, "")), data);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, stop, end, ""), next, exit);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMValueRef mask_rest = LLVMBuildAnd(g->b, mask, LLVMBuildSub(g->b, mask, cg_i64(g, 1), ""), "");
  LLVMValueRef start_next = LLVMBuildAdd(g->b, stop, cg_i64(g, 1), "");
  LLVMBuildBr(g->b, scan);

  LLVMValueRef bv[4] = {blk0, blk0, blk_next, blk}, mv[4] = {m_empty, m0, m_next, mask_rest};
  LLVMValueRef sv[4] = {base, base, start, start_next};
  LLVMBasicBlockRef from[4] = {pre, first, load, next};
  LLVMAddIncoming(blk, bv, from, 4);
  LLVMAddIncoming(mask, mv, from, 4);
  LLVMAddIncoming(start, sv, from, 4);
  LLVMPositionBuilderAtEnd(g->b, exit);
}

/* split(s, sep): find the next separator, hand the piece between to the continuation. */
static void each_split(cg *g, const expr *e, cg_each_fn each, void *data) {
  const expr *sep_e = arg(e, 1);
  if (sep_e->kind == E_STRING && sep_e->slen == 1) {
    each_split_byte(g, cg_expr(g, arg(e, 0)), sep_e->sval[0], each, data);
    return;
  }
  LLVMValueRef s = cg_expr(g, arg(e, 0)), sep = cg_expr(g, sep_e);
  LLVMValueRef sp = str_ptr(g, s), sn = str_len(g, s), qp = str_ptr(g, sep), qn = str_len(g, sep);
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef head = cg_block(g, "split"), next = cg_block(g, "split.next"),
                    exit = cg_block(g, "split.end");
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, head);
  LLVMValueRef start = LLVMBuildPhi(g->b, g->t_i64, "start");
  LLVMValueRef fargs[5] = {sp, sn, start, qp, qn};
  LLVMValueRef idx = cg_rt(g, "dsc_rt_str_find", "lpllpl", fargs);
  LLVMValueRef found = LLVMBuildICmp(g->b, LLVMIntSGE, idx, cg_i64(g, 0), "found");
  LLVMValueRef end = LLVMBuildSelect(g->b, found, idx, sn, "");
  LLVMValueRef piece_p = LLVMBuildGEP2(g->b, g->t_i8, sp, &start, 1, "");
  each(g, make_str(g, piece_p, LLVMBuildSub(g->b, end, start, "")), data);
  LLVMBuildCondBr(g->b, found, next, exit);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMValueRef after = LLVMBuildAdd(g->b, idx, qn, "");
  LLVMBuildBr(g->b, head);
  LLVMValueRef vals[2] = {cg_i64(g, 0), after};
  LLVMBasicBlockRef bbs[2] = {pre, next};
  LLVMAddIncoming(start, vals, bbs, 2);
  LLVMPositionBuilderAtEnd(g->b, exit);
}

/* words(s): skip white space, take the run up to the next white space, repeat. */
static void each_words(cg *g, const expr *e, cg_each_fn each, void *data) {
  LLVMValueRef s = cg_expr(g, arg(e, 0));
  LLVMValueRef sp = str_ptr(g, s), sn = str_len(g, s);
  LLVMValueRef a0[3] = {sp, sn, cg_i64(g, 0)};
  LLVMValueRef first = cg_rt(g, "dsc_rt_str_skip_space", "lpll", a0);
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef head = cg_block(g, "words"), body = cg_block(g, "words.body"),
                    next = cg_block(g, "words.next"), exit = cg_block(g, "words.end");
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, head);
  LLVMValueRef pos = LLVMBuildPhi(g->b, g->t_i64, "pos");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, pos, sn, ""), body, exit);
  LLVMPositionBuilderAtEnd(g->b, body);
  LLVMValueRef a1[3] = {sp, sn, pos};
  LLVMValueRef end = cg_rt(g, "dsc_rt_str_find_space", "lpll", a1);
  LLVMValueRef word_p = LLVMBuildGEP2(g->b, g->t_i8, sp, &pos, 1, "");
  each(g, make_str(g, word_p, LLVMBuildSub(g->b, end, pos, "")), data);
  LLVMBuildBr(g->b, next);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMValueRef a2[3] = {sp, sn, end};
  LLVMValueRef after = cg_rt(g, "dsc_rt_str_skip_space", "lpll", a2);
  LLVMBuildBr(g->b, head);
  LLVMValueRef vals[2] = {first, after};
  LLVMBasicBlockRef bbs[2] = {pre, next};
  LLVMAddIncoming(pos, vals, bbs, 2);
  LLVMPositionBuilderAtEnd(g->b, exit);
}

void cg_each(cg *g, const expr *e, cg_each_fn each, void *data) {
  if (e->kind == E_CALL && e->builtin == B_SPLIT) {
    each_split(g, e, each, data);
    return;
  }
  if (e->kind == E_CALL && e->builtin == B_WORDS) {
    each_words(g, e, each, data);
    return;
  }
  if (e->kind == E_LIST && e->items.len <= 2) {
    for (int i = 0; i < e->items.len; i++)
      each(g, cg_expr(g, e->items.items[i]), data);
    return;
  }
  if (e->kind == E_IF) {
    LLVMValueRef c = cg_expr(g, e->cond);
    LLVMBasicBlockRef then_bb = cg_block(g, "each.then"), else_bb = cg_block(g, "each.else"),
                      done = cg_block(g, "each.done");
    LLVMBuildCondBr(g->b, c, then_bb, else_bb);
    LLVMPositionBuilderAtEnd(g->b, then_bb);
    cg_each(g, e->lhs, each, data);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, else_bb);
    cg_each(g, e->rhs, each, data);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return;
  }
  if (e->kind == E_LET) {
    cg_push_local(g, e->decl->id, cg_expr(g, e->rhs));
    cg_each(g, e->lhs, each, data);
    cg_pop_locals(g, 1);
    return;
  }
  /* Any other list: materialise it and loop. */
  LLVMValueRef list = cg_expr(g, e);
  each_list l = {LLVMBuildExtractValue(g->b, list, 0, "data"), cg_type(g, e->type->elem), each, data};
  cg_loop(g, cg_i64(g, 0), LLVMBuildExtractValue(g->b, list, 1, "len"), each_list_body, &l);
}

/* ---- hash keys ------------------------------------------------------------------------------ */

/* Serialised keys: ints and floats as 8 raw bytes (-0.0 folded into 0.0), bools as one byte,
 * strings as an 8-byte length then the bytes, tuples field after field, options a tag byte and
 * the value.  The encoding is injective, so equal bytes mean equal keys. */
static bool key_fixed(const type *t, int64_t *size) {
  switch (t->kind) {
  case T_INT: case T_FLOAT: *size = 8; return true;
  case T_BOOL: *size = 1; return true;
  case T_TUPLE: {
    int64_t total = 0, s;
    for (int i = 0; i < t->n; i++) {
      if (!key_fixed(t->elems[i], &s))
        return false;
      total += s;
    }
    *size = total;
    return true;
  }
  case T_OPTION:
    if (!key_fixed(t->elem, size))
      return false;
    *size += 1;
    return true;
  default: return false;
  }
}

static LLVMValueRef key_len(cg *g, LLVMValueRef v, const type *t) {
  int64_t fixed;
  if (key_fixed(t, &fixed))
    return cg_i64(g, fixed);
  switch (t->kind) {
  case T_STRING: return LLVMBuildAdd(g->b, str_len(g, v), cg_i64(g, 8), "");
  case T_TUPLE: {
    LLVMValueRef total = cg_i64(g, 0);
    for (int i = 0; i < t->n; i++)
      total = LLVMBuildAdd(g->b, total,
                           key_len(g, LLVMBuildExtractValue(g->b, v, (unsigned)i, ""), t->elems[i]), "");
    return total;
  }
  case T_OPTION:
    return LLVMBuildAdd(g->b, cg_i64(g, 1), key_len(g, LLVMBuildExtractValue(g->b, v, 1, ""), t->elem), "");
  default: unreachable();
  }
}

static LLVMValueRef store_at(cg *g, LLVMValueRef buf, LLVMValueRef off, LLVMValueRef v) {
  LLVMValueRef p = LLVMBuildGEP2(g->b, g->t_i8, buf, &off, 1, "");
  LLVMValueRef st = LLVMBuildStore(g->b, v, p);
  LLVMSetAlignment(st, 1);
  return p;
}

static LLVMValueRef key_write(cg *g, LLVMValueRef buf, LLVMValueRef off, LLVMValueRef v,
                              const type *t) {
  switch (t->kind) {
  case T_INT:
    store_at(g, buf, off, v);
    return LLVMBuildAdd(g->b, off, cg_i64(g, 8), "");
  case T_FLOAT: {
    LLVMValueRef zero = LLVMConstReal(g->t_f64, 0.0);
    LLVMValueRef is_zero = LLVMBuildFCmp(g->b, LLVMRealOEQ, v, zero, "");
    store_at(g, buf, off, LLVMBuildSelect(g->b, is_zero, zero, v, ""));
    return LLVMBuildAdd(g->b, off, cg_i64(g, 8), "");
  }
  case T_BOOL:
    store_at(g, buf, off, LLVMBuildZExt(g->b, v, g->t_i8, ""));
    return LLVMBuildAdd(g->b, off, cg_i64(g, 1), "");
  case T_STRING: {
    LLVMValueRef n = str_len(g, v);
    store_at(g, buf, off, n);
    LLVMValueRef at = LLVMBuildAdd(g->b, off, cg_i64(g, 8), "");
    LLVMValueRef dst = LLVMBuildGEP2(g->b, g->t_i8, buf, &at, 1, "");
    LLVMBuildMemCpy(g->b, dst, 1, str_ptr(g, v), 1, n);
    return LLVMBuildAdd(g->b, at, n, "");
  }
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      off = key_write(g, buf, off, LLVMBuildExtractValue(g->b, v, (unsigned)i, ""), t->elems[i]);
    return off;
  case T_OPTION: {
    /* A none writes its tag and zeroes for a fixed-size value, so equal nones are equal keys. */
    LLVMValueRef tag = LLVMBuildExtractValue(g->b, v, 0, "");
    store_at(g, buf, off, LLVMBuildZExt(g->b, tag, g->t_i8, ""));
    off = LLVMBuildAdd(g->b, off, cg_i64(g, 1), "");
    LLVMValueRef inner = LLVMBuildExtractValue(g->b, v, 1, "");
    LLVMValueRef blank = LLVMConstNull(cg_type(g, t->elem));
    return key_write(g, buf, off, LLVMBuildSelect(g->b, tag, inner, blank, ""), t->elem);
  }
  default: unreachable();
  }
}

void cg_key_bytes(cg *g, LLVMValueRef v, const type *t, LLVMValueRef *ptr, LLVMValueRef *len) {
  if (t->kind == T_STRING) {
    /* The common case costs nothing: the string's own bytes are the key.  A string's length is
       never negative: told so, the optimiser drops the table's clamp of it (twice a record in
       the word count, whose keys come back from the deferred-upsert ring's memory). */
    *ptr = str_ptr(g, v);
    *len = str_len(g, v);
    LLVMValueRef sane = LLVMBuildICmp(g->b, LLVMIntSGE, *len, cg_i64(g, 0), "");
    intrinsic(g, "llvm.assume", NULL, 0, &sane, 1);
    return;
  }
  int64_t fixed;
  if (key_fixed(t, &fixed)) {
    LLVMValueRef buf = cg_alloca(g, LLVMArrayType2(g->t_i8, (uint64_t)fixed), "key");
    key_write(g, buf, cg_i64(g, 0), v, t);
    *ptr = buf;
    *len = cg_i64(g, fixed);
    return;
  }
  /* Variable size: a stack buffer for the usual short keys, the batch arena for long ones. */
  enum { STACK_KEY = 256 };
  LLVMValueRef n = key_len(g, v, t);
  LLVMValueRef stack = cg_alloca(g, LLVMArrayType2(g->t_i8, STACK_KEY), "key");
  LLVMValueRef small = LLVMBuildICmp(g->b, LLVMIntSLE, n, cg_i64(g, STACK_KEY), "");
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef big = cg_block(g, "key.big"), ready = cg_block(g, "key.ready");
  LLVMBuildCondBr(g->b, small, ready, big);
  LLVMPositionBuilderAtEnd(g->b, big);
  LLVMValueRef args[2] = {g->worker, n};
  LLVMValueRef heap = cg_rt(g, "dsc_rt_alloc", "ppl", args);
  LLVMBuildBr(g->b, ready);
  LLVMPositionBuilderAtEnd(g->b, ready);
  LLVMValueRef buf = cg_phi2(g, g->t_ptr, stack, from, heap, big, "keybuf");
  key_write(g, buf, cg_i64(g, 0), v, t);
  *ptr = buf;
  *len = n;
}

/* ---- formatting (Python str / repr) ---------------------------------------------------------- */

static void buf_lit(cg *g, LLVMValueRef buf, const char *s) {
  LLVMValueRef c = cg_const_str(g, s, (int)strlen(s));
  LLVMValueRef args[3] = {buf, LLVMBuildExtractValue(g->b, c, 0, ""), cg_i64(g, (int64_t)strlen(s))};
  cg_rt(g, "dsc_rt_buf_bytes", "vppl", args);
}

typedef struct format_list {
  LLVMValueRef buf, data;
  LLVMTypeRef elem_t;
  const type *elem;
} format_list;

static void format_list_item(cg *g, LLVMValueRef i, void *data) {
  format_list *f = data;
  LLVMValueRef not_first = LLVMBuildICmp(g->b, LLVMIntSGT, i, cg_i64(g, 0), "");
  LLVMBasicBlockRef sep = cg_block(g, "fmt.sep"), item = cg_block(g, "fmt.item");
  LLVMBuildCondBr(g->b, not_first, sep, item);
  LLVMPositionBuilderAtEnd(g->b, sep);
  buf_lit(g, f->buf, ", ");
  LLVMBuildBr(g->b, item);
  LLVMPositionBuilderAtEnd(g->b, item);
  LLVMValueRef slot = LLVMBuildGEP2(g->b, f->elem_t, f->data, &i, 1, "");
  cg_format(g, f->buf, LLVMBuildLoad2(g->b, f->elem_t, slot, ""), f->elem, false);
}

void cg_format(cg *g, LLVMValueRef buf, LLVMValueRef v, const type *t, bool top) {
  switch (t->kind) {
  case T_INT: {
    LLVMValueRef args[2] = {buf, v};
    cg_rt(g, "dsc_rt_buf_int", "vpl", args);
    return;
  }
  case T_FLOAT: {
    LLVMValueRef args[2] = {buf, v};
    cg_rt(g, "dsc_rt_buf_float", "vpd", args);
    return;
  }
  case T_BOOL: {
    LLVMValueRef args[2] = {buf, bool_i32(g, v)};
    cg_rt(g, "dsc_rt_buf_bool", "vpi", args);
    return;
  }
  case T_STRING: {
    LLVMValueRef args[3] = {buf, str_ptr(g, v), str_len(g, v)};
    cg_rt(g, top ? "dsc_rt_buf_bytes" : "dsc_rt_buf_str_repr", "vppl", args);
    return;
  }
  case T_TUPLE:
    buf_lit(g, buf, "(");
    for (int i = 0; i < t->n; i++) {
      if (i)
        buf_lit(g, buf, ", ");
      cg_format(g, buf, LLVMBuildExtractValue(g->b, v, (unsigned)i, ""), t->elems[i], false);
    }
    buf_lit(g, buf, ")");
    return;
  case T_LIST: {
    buf_lit(g, buf, "[");
    format_list f = {buf, LLVMBuildExtractValue(g->b, v, 0, ""), cg_type(g, t->elem), t->elem};
    cg_loop(g, cg_i64(g, 0), LLVMBuildExtractValue(g->b, v, 1, ""), format_list_item, &f);
    buf_lit(g, buf, "]");
    return;
  }
  case T_OPTION: {
    LLVMBasicBlockRef some = cg_block(g, "fmt.some"), none = cg_block(g, "fmt.none"),
                      done = cg_block(g, "fmt.done");
    LLVMBuildCondBr(g->b, LLVMBuildExtractValue(g->b, v, 0, ""), some, none);
    LLVMPositionBuilderAtEnd(g->b, some);
    cg_format(g, buf, LLVMBuildExtractValue(g->b, v, 1, ""), t->elem, top);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, none);
    buf_lit(g, buf, "None");
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return;
  }
  default: unreachable();
  }
}

/* ---- ordering, options, application ----------------------------------------------------------- */

static LLVMValueRef sign_of(cg *g, LLVMValueRef lt, LLVMValueRef gt) {
  LLVMValueRef r = LLVMBuildSelect(g->b, gt, cg_i32(g, 1), cg_i32(g, 0), "");
  return LLVMBuildSelect(g->b, lt, cg_i32(g, -1), r, "");
}

LLVMValueRef cg_compare(cg *g, LLVMValueRef a, LLVMValueRef b, const type *t) {
  switch (t->kind) {
  case T_INT:
    return sign_of(g, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), LLVMBuildICmp(g->b, LLVMIntSGT, a, b, ""));
  case T_BOOL:
    return sign_of(g, LLVMBuildICmp(g->b, LLVMIntULT, a, b, ""), LLVMBuildICmp(g->b, LLVMIntUGT, a, b, ""));
  case T_FLOAT:
    return sign_of(g, LLVMBuildFCmp(g->b, LLVMRealOLT, a, b, ""), LLVMBuildFCmp(g->b, LLVMRealOGT, a, b, ""));
  case T_STRING: {
    LLVMValueRef args[4] = {str_ptr(g, a), str_len(g, a), str_ptr(g, b), str_len(g, b)};
    return cg_rt(g, "dsc_rt_str_cmp", "iplpl", args);
  }
  case T_TUPLE: {
    /* lexicographic: the first field that differs decides */
    LLVMValueRef r = cg_i32(g, 0);
    for (int i = t->n - 1; i >= 0; i--) {
      LLVMValueRef c = cg_compare(g, LLVMBuildExtractValue(g->b, a, (unsigned)i, ""),
                                  LLVMBuildExtractValue(g->b, b, (unsigned)i, ""), t->elems[i]);
      r = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntNE, c, cg_i32(g, 0), ""), c, r, "");
    }
    return r;
  }
  default: unreachable();
  }
}

LLVMValueRef cg_some(cg *g, LLVMValueRef v, const type *opt_type) {
  LLVMValueRef o = LLVMGetUndef(cg_type(g, opt_type));
  o = LLVMBuildInsertValue(g->b, o, LLVMConstInt(g->t_i1, 1, 0), 0, "");
  return LLVMBuildInsertValue(g->b, o, v, 1, "");
}

LLVMValueRef cg_none(cg *g, const type *opt_type) { return LLVMConstNull(cg_type(g, opt_type)); }

LLVMValueRef cg_apply(cg *g, const expr *fn, LLVMValueRef *args, int nargs) {
  int n = cg_bind_lambda(g, fn, args, nargs);
  LLVMValueRef r = cg_expr(g, fn->lhs);
  cg_pop_locals(g, n);
  return r;
}
