/* cg_pipeline.c — the stage plan as functions: dsc_gen_describe, dsc_gen_start, one task
 * function per stage, and dsc_gen_batch, which runs the stages in order, merges their partial
 * sink states in task order and then runs the output operations in program order.
 *
 * Batch state is an array of 8-byte slots on dsc_gen_batch's stack that the task functions
 * receive as their `env`: slot 0 the runtime context, slot 1 the batch, then per stage its
 * task count and per sink an array of per-task partials followed by the merged result. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "ops.h"
#include "types.h"

enum { SLOT_CTX = 0, SLOT_BATCH = 1, SLOT_FIRST_FREE = 2 };

static LLVMValueRef cstr(cg *g, const char *s) {
  return LLVMBuildGlobalStringPtr(g->b, s, ".cstr");
}

static LLVMValueRef slot_ptr(cg *g, int slot) {
  LLVMValueRef idx = cg_i64(g, slot);
  return LLVMBuildGEP2(g->b, g->t_i64, g->state, &idx, 1, "");
}

static LLVMValueRef load_slot(cg *g, int slot, LLVMTypeRef t) {
  return LLVMBuildLoad2(g->b, t, slot_ptr(g, slot), "");
}

static void store_slot(cg *g, int slot, LLVMValueRef v) { LLVMBuildStore(g->b, v, slot_ptr(g, slot)); }

/* &partials[task] of a sink */
static LLVMValueRef partial_ptr(cg *g, const plan_op *sink, LLVMValueRef task) {
  LLVMValueRef arr = load_slot(g, sink->slot, g->t_ptr);
  return LLVMBuildGEP2(g->b, g->t_i64, arr, &task, 1, "");
}

static LLVMValueRef new_function(cg *g, const char *name, LLVMTypeRef ret, LLVMTypeRef *params,
                                 int n, bool exported) {
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(ret, params, (unsigned)n, 0));
  if (!exported)
    LLVMSetLinkage(fn, LLVMInternalLinkage);
  g->fn = fn;
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  return fn;
}

static uint64_t size_of(cg *g, const type *t) { return LLVMABISizeOfType(g->td, cg_type(g, t)); }

/* f(a, b) for a reduce function. */
static LLVMValueRef apply2(cg *g, const expr *fn, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef args[2] = {a, b};
  int n = cg_bind_lambda(g, fn, args, 2);
  LLVMValueRef r = cg_expr(g, fn->lhs);
  cg_pop_locals(g, n);
  return r;
}

/* ---- the fused loop: feeding an element to the consumers of an operator ---------------------- */

static void feed_consumers(cg *g, const plan_op *op, LLVMValueRef v);

static void feed_each(cg *g, LLVMValueRef item, void *data) { feed_consumers(g, data, item); }

/* Folds (k, v) into a keyed table: insert on first sight, else combine the values with fn. */
static void upsert_combine(cg *g, LLVMValueRef table, const plan_op *op, LLVMValueRef kv,
                           LLVMValueRef key_p, LLVMValueRef key_n) {
  LLVMTypeRef kv_t = cg_type(g, op->elem);
  LLVMValueRef is_new = cg_alloca(g, g->t_i32, "is_new");
  LLVMValueRef args[4] = {table, key_p, key_n, is_new};
  LLVMValueRef payload = cg_rt(g, "dsc_rt_table_upsert", "ppplp", args);
  LLVMValueRef fresh = LLVMBuildICmp(g->b, LLVMIntNE, LLVMBuildLoad2(g->b, g->t_i32, is_new, ""),
                                     cg_i32(g, 0), "");
  LLVMBasicBlockRef ins = cg_block(g, "agg.insert"), comb = cg_block(g, "agg.combine"),
                    done = cg_block(g, "agg.done");
  LLVMBuildCondBr(g->b, fresh, ins, comb);
  LLVMPositionBuilderAtEnd(g->b, ins);
  LLVMBuildStore(g->b, kv, payload);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, comb);
  LLVMTypeRef v_t = cg_type(g, op->elem->elems[1]);
  LLVMValueRef vp = LLVMBuildStructGEP2(g->b, kv_t, payload, 1, "");
  LLVMValueRef old = LLVMBuildLoad2(g->b, v_t, vp, "old");
  LLVMValueRef nv = apply2(g, op->fn, old, LLVMBuildExtractValue(g->b, kv, 1, "v"));
  LLVMBuildStore(g->b, nv, vp);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

static void feed(cg *g, const plan_op *c, LLVMValueRef v) {
  switch (c->kind) {
  case P_MAP: {
    int n = cg_bind_lambda(g, c->fn, &v, 1);
    LLVMValueRef r = cg_expr(g, c->fn->lhs);
    cg_pop_locals(g, n);
    feed_consumers(g, c, r);
    return;
  }
  case P_FILTER: {
    int n = cg_bind_lambda(g, c->fn, &v, 1);
    LLVMValueRef keep = cg_expr(g, c->fn->lhs);
    cg_pop_locals(g, n);
    LLVMBasicBlockRef yes = cg_block(g, "filter.keep"), done = cg_block(g, "filter.done");
    LLVMBuildCondBr(g->b, keep, yes, done);
    LLVMPositionBuilderAtEnd(g->b, yes);
    feed_consumers(g, c, v);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return;
  }
  case P_FLAT_MAP: {
    int n = cg_bind_lambda(g, c->fn, &v, 1);
    cg_each(g, c->fn->lhs, feed_each, (void *)c);
    cg_pop_locals(g, n);
    return;
  }
  case P_REDUCE_BY_KEY: {
    LLVMValueRef kp, kn;
    cg_key_bytes(g, LLVMBuildExtractValue(g->b, v, 0, "k"), c->elem->elems[0], &kp, &kn);
    upsert_combine(g, g->sink_state[c->id], c, v, kp, kn);
    return;
  }
  case P_COUNT: {
    LLVMValueRef counter = g->sink_state[c->id];
    LLVMValueRef n = LLVMBuildLoad2(g->b, g->t_i64, counter, "");
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, n, cg_i64(g, 1), ""), counter);
    return;
  }
  case P_PRINT: {
    /* Only the first n + 1 elements of each task matter: n to show, one to know there are more. */
    LLVMValueRef vec = g->sink_state[c->id];
    LLVMValueRef len = cg_rt(g, "dsc_rt_vec_len", "lp", &vec);
    LLVMValueRef want = LLVMBuildICmp(g->b, LLVMIntSLE, len, cg_i64(g, c->n), "");
    LLVMBasicBlockRef keep = cg_block(g, "print.keep"), done = cg_block(g, "print.done");
    LLVMBuildCondBr(g->b, want, keep, done);
    LLVMPositionBuilderAtEnd(g->b, keep);
    LLVMValueRef slot = cg_rt(g, "dsc_rt_vec_push", "pp", &vec);
    LLVMBuildStore(g->b, v, slot);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return;
  }
  case P_SOURCE: break;
  }
  unreachable();
}

static void feed_consumers(cg *g, const plan_op *op, LLVMValueRef v) {
  for (int i = 0; i < op->consumers.len; i++) {
    const plan_op *c = op->consumers.items[i];
    if (c->stage == g->stage)
      feed(g, c, v);
  }
}

/* ---- stage task functions -------------------------------------------------------------------- */

typedef struct stage_input {
  const plan_op *root; /* what the loop reads */
  LLVMValueRef data;   /* lines array, table, or the single value */
} stage_input;

static void stage_body(cg *g, LLVMValueRef i, void *data) {
  stage_input *in = data;
  LLVMValueRef elem;
  switch (in->root->kind) {
  case P_SOURCE: {
    LLVMValueRef p = LLVMBuildGEP2(g->b, g->t_str, in->data, &i, 1, "");
    elem = LLVMBuildLoad2(g->b, g->t_str, p, "line");
    break;
  }
  case P_REDUCE_BY_KEY: {
    LLVMValueRef args[2] = {in->data, i};
    LLVMValueRef p = cg_rt(g, "dsc_rt_table_at", "ppl", args);
    elem = LLVMBuildLoad2(g->b, cg_type(g, in->root->elem), p, "kv");
    break;
  }
  default:
    elem = in->data;
  }
  feed_consumers(g, in->root, elem);
}

static LLVMValueRef gen_stage(cg *g, const plan_stage *st) {
  LLVMTypeRef params[3] = {g->t_ptr, g->t_ptr, g->t_i64};
  char name[32];
  snprintf(name, sizeof name, "dsc_stage_%d", st->id);
  LLVMValueRef fn = new_function(g, name, g->t_void, params, 3, false);
  g->stage = (plan_stage *)st;
  g->state = LLVMGetParam(fn, 0);
  g->worker = LLVMGetParam(fn, 1);
  LLVMValueRef task = LLVMGetParam(fn, 2);
  g->ctx_val = load_slot(g, SLOT_CTX, g->t_ptr);
  LLVMValueRef batch = load_slot(g, SLOT_BATCH, g->t_ptr);
  LLVMValueRef ntasks = load_slot(g, st->slot, g->t_i64);

  /* Task-local sink state, published in the partials array for the merge. */
  for (int i = 0; i < st->sinks.len; i++) {
    const plan_op *s = st->sinks.items[i];
    LLVMValueRef where = partial_ptr(g, s, task);
    if (s->kind == P_COUNT) {
      LLVMValueRef counter = cg_alloca(g, g->t_i64, "count");
      LLVMBuildStore(g->b, cg_i64(g, 0), counter);
      g->sink_state[s->id] = counter;
      continue;
    }
    LLVMValueRef args[2] = {g->worker, cg_i64(g, (int64_t)size_of(g, s->elem))};
    LLVMValueRef obj = cg_rt(g, s->kind == P_PRINT ? "dsc_rt_vec_new" : "dsc_rt_table_new", "ppl", args);
    LLVMBuildStore(g->b, obj, where);
    g->sink_state[s->id] = obj;
  }

  stage_input in = {st->root, NULL};
  LLVMValueRef n;
  switch (st->root->kind) {
  case P_SOURCE: {
    LLVMValueRef count = cg_alloca(g, g->t_i64, "nlines");
    LLVMValueRef idx = LLVMBuildLoad2(g->b, g->t_i32, g->source_globals[st->root->source], "src");
    LLVMValueRef args[3] = {batch, idx, count};
    in.data = cg_rt(g, "dsc_rt_batch_lines", "ppip", args);
    n = LLVMBuildLoad2(g->b, g->t_i64, count, "");
    break;
  }
  case P_REDUCE_BY_KEY:
    in.data = load_slot(g, st->root->slot + 1, g->t_ptr);
    n = cg_rt(g, "dsc_rt_table_len", "lp", &in.data);
    break;
  case P_COUNT:
    in.data = load_slot(g, st->root->slot + 1, g->t_i64);
    n = cg_i64(g, 1);
    break;
  default: unreachable();
  }
  /* Contiguous ranges, so task order is input order. */
  LLVMValueRef lo = LLVMBuildSDiv(g->b, LLVMBuildMul(g->b, n, task, ""), ntasks, "lo");
  LLVMValueRef task1 = LLVMBuildAdd(g->b, task, cg_i64(g, 1), "");
  LLVMValueRef hi = LLVMBuildSDiv(g->b, LLVMBuildMul(g->b, n, task1, ""), ntasks, "hi");
  cg_loop(g, lo, hi, stage_body, &in);

  for (int i = 0; i < st->sinks.len; i++) {
    const plan_op *s = st->sinks.items[i];
    if (s->kind == P_COUNT)
      LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_i64, g->sink_state[s->id], ""),
                     partial_ptr(g, s, task));
  }
  LLVMBuildRetVoid(g->b);
  return fn;
}

/* ---- merging partials (in dsc_gen_batch, on the main thread) ---------------------------------- */

typedef struct merge_ctx {
  const plan_op *sink;
  LLVMValueRef into;    /* reduceByKey: task 0's table */
  LLVMValueRef from;    /* the table being merged */
  LLVMValueRef sum;     /* count: accumulator */
} merge_ctx;

static void merge_entry(cg *g, LLVMValueRef i, void *data) {
  merge_ctx *m = data;
  LLVMValueRef klen = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef kargs[3] = {m->from, i, klen};
  LLVMValueRef key = cg_rt(g, "dsc_rt_table_key", "pplp", kargs);
  LLVMValueRef pargs[2] = {m->from, i};
  LLVMValueRef src = cg_rt(g, "dsc_rt_table_at", "ppl", pargs);
  LLVMValueRef kv = LLVMBuildLoad2(g->b, cg_type(g, m->sink->elem), src, "kv");
  upsert_combine(g, m->into, m->sink, kv, key, LLVMBuildLoad2(g->b, g->t_i64, klen, ""));
}

static void merge_task(cg *g, LLVMValueRef task, void *data) {
  merge_ctx *m = data;
  LLVMValueRef p = partial_ptr(g, m->sink, task);
  if (m->sink->kind == P_COUNT) {
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->t_i64, p, "");
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i64, m->sum, ""), v, ""), m->sum);
    return;
  }
  m->from = LLVMBuildLoad2(g->b, g->t_ptr, p, "part");
  cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_table_len", "lp", &m->from), merge_entry, m);
}

static void merge_sink(cg *g, const plan_op *s, LLVMValueRef ntasks) {
  merge_ctx m = {s, NULL, NULL, NULL};
  switch (s->kind) {
  case P_REDUCE_BY_KEY:
    m.into = LLVMBuildLoad2(g->b, g->t_ptr, partial_ptr(g, s, cg_i64(g, 0)), "merged");
    cg_loop(g, cg_i64(g, 1), ntasks, merge_task, &m);
    store_slot(g, s->slot + 1, m.into);
    return;
  case P_COUNT:
    m.sum = cg_alloca(g, g->t_i64, "sum");
    LLVMBuildStore(g->b, cg_i64(g, 0), m.sum);
    cg_loop(g, cg_i64(g, 0), ntasks, merge_task, &m);
    store_slot(g, s->slot + 1, LLVMBuildLoad2(g->b, g->t_i64, m.sum, ""));
    return;
  case P_PRINT: return; /* read in place by the output phase */
  default: unreachable();
  }
}

/* ---- output operations ------------------------------------------------------------------------ */

typedef struct print_ctx {
  const plan_op *op;
  LLVMValueRef buf, shown, total, vec;
} print_ctx;

static void print_elem(cg *g, LLVMValueRef i, void *data) {
  print_ctx *pc = data;
  LLVMValueRef shown = LLVMBuildLoad2(g->b, g->t_i64, pc->shown, "");
  LLVMValueRef room = LLVMBuildICmp(g->b, LLVMIntSLT, shown, cg_i64(g, pc->op->n), "");
  LLVMBasicBlockRef yes = cg_block(g, "print.elem"), done = cg_block(g, "print.skip");
  LLVMBuildCondBr(g->b, room, yes, done);
  LLVMPositionBuilderAtEnd(g->b, yes);
  LLVMValueRef args[2] = {pc->vec, i};
  LLVMValueRef p = cg_rt(g, "dsc_rt_vec_at", "ppl", args);
  cg_format(g, pc->buf, LLVMBuildLoad2(g->b, cg_type(g, pc->op->elem), p, ""), pc->op->elem, true);
  LLVMValueRef nl = cg_const_str(g, "\n", 1);
  LLVMValueRef bargs[3] = {pc->buf, LLVMBuildExtractValue(g->b, nl, 0, ""), cg_i64(g, 1)};
  cg_rt(g, "dsc_rt_buf_bytes", "vppl", bargs);
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, shown, cg_i64(g, 1), ""), pc->shown);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

static void print_task(cg *g, LLVMValueRef task, void *data) {
  print_ctx *pc = data;
  pc->vec = LLVMBuildLoad2(g->b, g->t_ptr, partial_ptr(g, pc->op, task), "vec");
  LLVMValueRef len = cg_rt(g, "dsc_rt_vec_len", "lp", &pc->vec);
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i64, pc->total, ""), len, ""),
                 pc->total);
  cg_loop(g, cg_i64(g, 0), len, print_elem, pc);
}

static void gen_print(cg *g, const plan_op *op, LLVMValueRef batch) {
  LLVMValueRef args[2] = {g->ctx_val, batch};
  cg_rt(g, "dsc_rt_print_begin", "vpp", args);
  print_ctx pc = {op, cg_rt(g, "dsc_rt_output", "pp", &g->ctx_val), cg_alloca(g, g->t_i64, "shown"),
                  cg_alloca(g, g->t_i64, "total"), NULL};
  LLVMBuildStore(g->b, cg_i64(g, 0), pc.shown);
  LLVMBuildStore(g->b, cg_i64(g, 0), pc.total);
  cg_loop(g, cg_i64(g, 0), load_slot(g, op->stage->slot, g->t_i64), print_task, &pc);
  LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSGT, LLVMBuildLoad2(g->b, g->t_i64, pc.total, ""),
                                    cg_i64(g, op->n), "");
  LLVMValueRef eargs[2] = {g->ctx_val, LLVMBuildZExt(g->b, more, g->t_i32, "")};
  cg_rt(g, "dsc_rt_print_end", "vpi", eargs);
}

/* ---- the three entry points ------------------------------------------------------------------ */

static int param_code(const type *t) {
  switch (t->kind) {
  case T_INT: return 0;
  case T_FLOAT: return 1;
  case T_BOOL: return 2;
  default: return 3;
  }
}

/* The default as a user would type it on the command line. */
static const char *default_text(const expr *v) {
  if (v->kind == E_CALL) /* an int default converted to float */
    v = ((ast_arg *)v->items.items[0])->value;
  bool neg = v->kind == E_UNARY;
  if (neg)
    v = v->lhs;
  switch (v->kind) {
  case E_INT:
    return mem_printf("%s%llu", neg ? "-" : "", (unsigned long long)v->ival);
  case E_FLOAT:
    for (int prec = 1; prec <= 17; prec++) {
      char *s = mem_printf("%s%.*g", neg ? "-" : "", prec, v->fval);
      if (strtod(s, NULL) == (neg ? -v->fval : v->fval))
        return s;
    }
    return mem_printf("%s%.17g", neg ? "-" : "", v->fval);
  case E_BOOL: return v->bval ? "true" : "false";
  case E_STRING: return mem_strndup(v->sval, (size_t)v->slen);
  default: unreachable();
  }
}

static void gen_describe(cg *g, const cg_options *opt) {
  LLVMValueRef fn = new_function(g, "dsc_gen_describe", g->t_void, &g->t_ptr, 1, true);
  LLVMValueRef prog = LLVMGetParam(fn, 0);
  const sema_info *info = g->plan->info;
  LLVMValueRef a1[2] = {prog, cstr(g, opt->prog_name)};
  cg_rt(g, "dsc_rt_program_name", "vpp", a1);
  LLVMValueRef a2[2] = {prog, cg_i64(g, info->batch_ms)};
  cg_rt(g, "dsc_rt_program_batch", "vpl", a2);
  for (int i = 0; i < info->params.len; i++) {
    const ast_item *it = info->params.items[i];
    LLVMValueRef dflt = it->value ? cstr(g, default_text(it->value)) : LLVMConstNull(g->t_ptr);
    LLVMValueRef a3[4] = {prog, cstr(g, it->name), cg_i32(g, param_code(it->sym->type)), dflt};
    cg_rt(g, "dsc_rt_program_param", "ippip", a3);
  }
  LLVMBuildRetVoid(g->b);
}

static void gen_start(cg *g) {
  LLVMValueRef fn = new_function(g, "dsc_gen_start", g->t_void, &g->t_ptr, 1, true);
  g->ctx_val = LLVMGetParam(fn, 0);
  g->worker = cg_rt(g, "dsc_rt_main_worker", "pp", &g->ctx_val);
  const sema_info *info = g->plan->info;
  for (int i = 0; i < info->params.len; i++) {
    const ast_item *it = info->params.items[i];
    LLVMValueRef args[3] = {g->ctx_val, cg_i32(g, i), NULL};
    LLVMValueRef v;
    switch (it->sym->type->kind) {
    case T_INT: v = cg_rt(g, "dsc_rt_param_int", "lpi", args); break;
    case T_FLOAT: v = cg_rt(g, "dsc_rt_param_float", "dpi", args); break;
    case T_BOOL:
      v = LLVMBuildICmp(g->b, LLVMIntNE, cg_rt(g, "dsc_rt_param_bool", "ipi", args), cg_i32(g, 0), "");
      break;
    default: {
      LLVMValueRef out = cg_alloca(g, g->t_str, "s");
      args[2] = out;
      cg_rt(g, "dsc_rt_param_string", "vpip", args);
      v = LLVMBuildLoad2(g->b, g->t_str, out, "");
    }
    }
    LLVMBuildStore(g->b, v, g->param_globals[i]);
  }
  for (int i = 0; i < g->plan->sources.len; i++) {
    const plan_op *src = g->plan->sources.items[i];
    const expr *call = src->node;
    LLVMValueRef idx;
    LLVMValueRef a0 = call->items.len > 0 ? cg_expr(g, ((ast_arg *)call->items.items[0])->value) : NULL;
    switch ((source_id)call->builtin) {
    case SRC_SOCKET: {
      LLVMValueRef port = cg_expr(g, ((ast_arg *)call->items.items[1])->value);
      LLVMValueRef args[4] = {g->ctx_val, LLVMBuildExtractValue(g->b, a0, 0, ""),
                              LLVMBuildExtractValue(g->b, a0, 1, ""), port};
      idx = cg_rt(g, "dsc_rt_source_socket", "ippll", args);
      break;
    }
    case SRC_STDIN: idx = cg_rt(g, "dsc_rt_source_stdin", "ip", &g->ctx_val); break;
    case SRC_FILE: {
      LLVMValueRef args[3] = {g->ctx_val, LLVMBuildExtractValue(g->b, a0, 0, ""),
                              LLVMBuildExtractValue(g->b, a0, 1, "")};
      idx = cg_rt(g, "dsc_rt_source_file", "ippl", args);
      break;
    }
    default: unreachable();
    }
    LLVMBuildStore(g->b, idx, g->source_globals[i]);
  }
  LLVMBuildRetVoid(g->b);
}

static void gen_batch(cg *g, LLVMValueRef *stage_fns) {
  LLVMTypeRef params[2] = {g->t_ptr, g->t_ptr};
  LLVMValueRef fn = new_function(g, "dsc_gen_batch", g->t_void, params, 2, true);
  g->ctx_val = LLVMGetParam(fn, 0);
  LLVMValueRef batch = LLVMGetParam(fn, 1);
  g->state = cg_alloca(g, LLVMArrayType2(g->t_i64, (uint64_t)g->nslots), "state");
  store_slot(g, SLOT_CTX, g->ctx_val);
  store_slot(g, SLOT_BATCH, batch);
  g->worker = cg_rt(g, "dsc_rt_main_worker", "pp", &g->ctx_val);
  g->stage = NULL;
  LLVMValueRef partitions = cg_rt(g, "dsc_rt_partitions", "lp", &g->ctx_val);
  for (int i = 0; i < g->plan->stages.len; i++) {
    const plan_stage *st = g->plan->stages.items[i];
    LLVMValueRef ntasks = st->single ? cg_i64(g, 1) : partitions;
    store_slot(g, st->slot, ntasks);
    for (int k = 0; k < st->sinks.len; k++) {
      const plan_op *s = st->sinks.items[k];
      LLVMValueRef args[2] = {g->worker, LLVMBuildMul(g->b, ntasks, cg_i64(g, 8), "")};
      store_slot(g, s->slot, cg_rt(g, "dsc_rt_alloc", "ppl", args));
    }
    LLVMValueRef args[4] = {g->ctx_val, ntasks, stage_fns[i], g->state};
    cg_rt(g, "dsc_rt_run_tasks", "vplpp", args);
    for (int k = 0; k < st->sinks.len; k++)
      merge_sink(g, st->sinks.items[k], ntasks);
  }
  for (int i = 0; i < g->plan->outputs.len; i++)
    gen_print(g, g->plan->outputs.items[i], batch);
  LLVMBuildRetVoid(g->b);
}

void cg_pipeline(cg *g, const cg_options *opt) {
  const plan *p = g->plan;
  const sema_info *info = p->info;
  /* Globals: parameter values and source indices, set by dsc_gen_start. */
  g->param_globals = mem_alloc(sizeof(LLVMValueRef) * (size_t)(info->params.len + 1));
  for (int i = 0; i < info->params.len; i++) {
    const ast_item *it = info->params.items[i];
    LLVMTypeRef t = cg_type(g, it->sym->type);
    LLVMValueRef gv = LLVMAddGlobal(g->mod, t, mem_printf("param.%s", it->name));
    LLVMSetInitializer(gv, LLVMConstNull(t));
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    g->param_globals[i] = gv;
  }
  g->source_globals = mem_alloc(sizeof(LLVMValueRef) * (size_t)(p->sources.len + 1));
  for (int i = 0; i < p->sources.len; i++) {
    LLVMValueRef gv = LLVMAddGlobal(g->mod, g->t_i32, mem_printf("source.%d", i));
    LLVMSetInitializer(gv, cg_i32(g, 0));
    LLVMSetLinkage(gv, LLVMInternalLinkage);
    g->source_globals[i] = gv;
  }
  /* Batch-state slot layout. */
  g->nslots = SLOT_FIRST_FREE;
  for (int i = 0; i < p->stages.len; i++) {
    plan_stage *st = p->stages.items[i];
    st->slot = g->nslots++;
    for (int k = 0; k < st->sinks.len; k++) {
      plan_op *s = st->sinks.items[k];
      s->slot = g->nslots;
      g->nslots += 2;
    }
  }
  g->sink_state = mem_alloc(sizeof(LLVMValueRef) * (size_t)(p->ops.len + 1));

  gen_describe(g, opt);
  gen_start(g);
  LLVMValueRef *stage_fns = mem_alloc(sizeof(LLVMValueRef) * (size_t)(p->stages.len + 1));
  for (int i = 0; i < p->stages.len; i++)
    stage_fns[i] = gen_stage(g, p->stages.items[i]);
  gen_batch(g, stage_fns);
}
