/* cg_pipeline.c — the stage plan as functions: dsc_gen_describe, dsc_gen_start, one task
 * function per stage, and dsc_gen_batch, which runs the stages in order, merges their partial
 * sink states in task order and then runs the output operations in program order.
 *
 * Batch state is an array of 8-byte slots on dsc_gen_batch's stack that the task functions
 * receive as their `env`: slot 0 the runtime context, slot 1 the batch, then per stage its
 * task count and per sink an array of per-task partials followed by the merged result.
 * dsc_gen_early runs the stream source's stage on part of a batch before it is sealed, with a
 * batch state of its own whose partials dsc_gen_batch then takes over. */
#include <stdlib.h>
#include <string.h>

#include "cg.h"
#include "dsc_rt.h"
#include "ops.h"
#include "types.h"

enum { SLOT_CTX = 0, SLOT_BATCH = 1, SLOT_FIRST_FREE = 2 };

static LLVMValueRef cstr(cg *g, const char *s) {
  return LLVMBuildGlobalStringPtr(g->b, s, ".cstr");
}

/* A slot of the batch state `state` (g->state, or dsc_gen_early's). */
static LLVMValueRef slot_in(cg *g, LLVMValueRef state, int slot) {
  LLVMValueRef idx = cg_i64(g, slot);
  return LLVMBuildGEP2(g->b, g->t_i64, state, &idx, 1, "");
}

LLVMValueRef cg_slot_ptr(cg *g, int slot) { return slot_in(g, g->state, slot); }

LLVMValueRef cg_load_slot(cg *g, int slot, LLVMTypeRef t) {
  return LLVMBuildLoad2(g->b, t, cg_slot_ptr(g, slot), "");
}

void cg_store_slot(cg *g, int slot, LLVMValueRef v) { LLVMBuildStore(g->b, v, cg_slot_ptr(g, slot)); }

LLVMValueRef cg_new_function(cg *g, const char *name, LLVMTypeRef ret, LLVMTypeRef *params, int n,
                             bool exported) {
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, LLVMFunctionType(ret, params, (unsigned)n, 0));
  if (!exported)
    LLVMSetLinkage(fn, LLVMInternalLinkage);
  g->fn = fn;
  g->json_memo = NULL;
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  return fn;
}

LLVMValueRef cg_env_field(cg *g, LLVMValueRef env, int k) {
  LLVMValueRef idx = cg_i64(g, k);
  return LLVMBuildGEP2(g->b, g->t_i64, env, &idx, 1, "");
}

LLVMValueRef cg_env_new(cg *g, int nfields) {
  LLVMValueRef env = cg_alloca(g, LLVMArrayType2(g->t_i64, (uint64_t)nfields), "task_env");
  LLVMBuildStore(g->b, g->ctx_val, cg_env_field(g, env, CG_ENV_CTX));
  LLVMBuildStore(g->b, g->state, cg_env_field(g, env, CG_ENV_STATE));
  return env;
}

void cg_run_tasks(cg *g, LLVMValueRef ntasks, LLVMValueRef fn, LLVMValueRef env) {
  LLVMValueRef args[4] = {g->ctx_val, ntasks, fn, env};
  cg_rt(g, "dsc_rt_run_tasks", "vplpp", args);
}

void cg_loop_task_range(cg *g, LLVMValueRef n, LLVMValueRef task, LLVMValueRef ntasks,
                        cg_loop_fn body, void *data) {
  LLVMValueRef lo = LLVMBuildSDiv(g->b, LLVMBuildMul(g->b, n, task, ""), ntasks, "lo");
  LLVMValueRef task1 = LLVMBuildAdd(g->b, task, cg_i64(g, 1), "");
  LLVMValueRef hi = LLVMBuildSDiv(g->b, LLVMBuildMul(g->b, n, task1, ""), ntasks, "hi");
  cg_loop(g, lo, hi, body, data);
}

static LLVMValueRef result_tasks(cg *g, LLVMValueRef n, LLVMValueRef partitions) {
  LLVMValueRef args[3] = {g->ctx_val, n, partitions};
  return cg_rt(g, "dsc_rt_result_tasks", "lpll", args);
}

LLVMValueRef cg_result_tasks(cg *g, LLVMValueRef n) {
  return result_tasks(g, n, cg_rt(g, "dsc_rt_partitions", "lp", &g->ctx_val));
}

cg_resume cg_task_begin(cg *g, const char *name, LLVMValueRef *fn, LLVMValueRef *env,
                        LLVMValueRef *task) {
  cg_resume r = {g->fn, g->worker, g->state, g->ctx_val, g->json_memo, LLVMGetInsertBlock(g->b)};
  LLVMTypeRef params[3] = {g->t_ptr, g->t_ptr, g->t_i64};
  *fn = cg_new_function(g, name, g->t_void, params, 3, false);
  *env = LLVMGetParam(*fn, 0);
  g->worker = LLVMGetParam(*fn, 1);
  *task = LLVMGetParam(*fn, 2);
  g->ctx_val = LLVMBuildLoad2(g->b, g->t_ptr, cg_env_field(g, *env, CG_ENV_CTX), "ctx");
  g->state = LLVMBuildLoad2(g->b, g->t_ptr, cg_env_field(g, *env, CG_ENV_STATE), "state");
  return r;
}

void cg_task_end(cg *g, cg_resume r) {
  LLVMBuildRetVoid(g->b);
  g->fn = r.fn, g->worker = r.worker, g->state = r.state, g->ctx_val = r.ctx_val;
  g->json_memo = r.json_memo;
  LLVMPositionBuilderAtEnd(g->b, r.block);
}

/* ---- the fused loop: narrow operators ---------------------------------------------------------- */

static void feed_each(cg *g, LLVMValueRef item, void *data) { cg_feed_consumers(g, data, item); }

typedef struct flat_values {
  const plan_op *op;
  LLVMValueRef key;
} flat_values;

static void feed_each_value(cg *g, LLVMValueRef item, void *data) {
  flat_values *fv = data;
  LLVMValueRef kv = LLVMGetUndef(cg_type(g, fv->op->elem));
  kv = LLVMBuildInsertValue(g->b, kv, fv->key, 0, "");
  kv = LLVMBuildInsertValue(g->b, kv, item, 1, "");
  cg_feed_consumers(g, fv->op, kv);
}

/* Where a static stage keeps the merged result of its sink edge number k (gen_static_stage). */
static LLVMValueRef kept_result(cg *g, const plan_stage *st, int k) {
  return cg_global(g, mem_printf("stage%d.kept%d", st->id, k), g->t_ptr);
}

/* The pairs of a join fused into its left side's loop (plan.c, "joins that probe a lookup
 * table"): the left record's key looked up in the right side's kept grouping table, and a pair
 * for each value it holds.  Read from the kept global, not the batch state, as an early start
 * (from the second batch on: dsc_rt_source_early) has a state of its own. */
typedef struct probe_ctx {
  const plan_op *join;
  LLVMValueRef key, left, values;
} probe_ctx;

static void probe_pair(cg *g, LLVMValueRef i, void *data) {
  const probe_ctx *pc = data;
  const type *vw = pc->join->elem->elems[1];
  LLVMValueRef pair = LLVMGetUndef(cg_type(g, vw));
  pair = LLVMBuildInsertValue(g->b, pair, pc->left, 0, "");
  pair = LLVMBuildInsertValue(g->b, pair, cg_vec_item(g, pc->values, i, vw->elems[1]), 1, "");
  LLVMValueRef out = LLVMGetUndef(cg_type(g, pc->join->elem));
  out = LLVMBuildInsertValue(g->b, out, pc->key, 0, "");
  out = LLVMBuildInsertValue(g->b, out, pair, 1, "");
  cg_feed_consumers(g, pc->join, out);
}

static void probe_join(cg *g, const plan_op *join, LLVMValueRef kv) {
  const plan_edge *right = plan_input_edge(join, 1);
  int k = 0;
  while (right->stage->edges.items[k] != right)
    k++;
  LLVMValueRef table = LLVMBuildLoad2(g->b, g->t_ptr, kept_result(g, right->stage, k), "kept");
  const type *key_t = join->elem->elems[0];
  probe_ctx pc = {join, LLVMBuildExtractValue(g->b, kv, 0, "k"),
                  LLVMBuildExtractValue(g->b, kv, 1, "v"), NULL};
  LLVMValueRef kp, kn;
  cg_key_bytes(g, pc.key, key_t, &kp, &kn);
  LLVMValueRef args[3] = {table, kp, kn};
  LLVMValueRef found = cg_rt(g, "dsc_rt_table_find", "pppl", args);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, found, ""), &then_bb, &done);
  pc.values = cg_group_values(g, key_t, found);
  cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &pc.values), probe_pair, &pc);
  cg_end_if(g, done);
}

static void feed(cg *g, plan_edge *e, LLVMValueRef v) {
  const plan_op *c = e->op;
  if (c->kind == P_JOIN && c->probe && e->input == 0) {
    probe_join(g, c, v);
    return;
  }
  switch (c->kind) {
  case P_MAP:
    cg_feed_consumers(g, c, cg_apply(g, c->fn, &v, 1));
    return;
  case P_FILTER: {
    LLVMValueRef keep = cg_apply(g, c->fn, &v, 1);
    LLVMBasicBlockRef yes = cg_block(g, "filter.keep"), done = cg_block(g, "filter.done");
    LLVMBuildCondBr(g->b, keep, yes, done);
    LLVMPositionBuilderAtEnd(g->b, yes);
    cg_feed_consumers(g, c, v);
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
  case P_MAP_VALUES: {
    LLVMValueRef w = LLVMBuildExtractValue(g->b, v, 1, "v");
    LLVMValueRef kv = LLVMGetUndef(cg_type(g, c->elem));
    kv = LLVMBuildInsertValue(g->b, kv, LLVMBuildExtractValue(g->b, v, 0, "k"), 0, "");
    kv = LLVMBuildInsertValue(g->b, kv, cg_apply(g, c->fn, &w, 1), 1, "");
    cg_feed_consumers(g, c, kv);
    return;
  }
  case P_FLAT_MAP_VALUES: {
    LLVMValueRef w = LLVMBuildExtractValue(g->b, v, 1, "v");
    flat_values fv = {c, LLVMBuildExtractValue(g->b, v, 0, "k")};
    int n = cg_bind_lambda(g, c->fn, &w, 1);
    cg_each(g, c->fn->lhs, feed_each_value, &fv);
    cg_pop_locals(g, n);
    return;
  }
  case P_KEYS: case P_VALUES:
    cg_feed_consumers(g, c, LLVMBuildExtractValue(g->b, v, c->kind == P_KEYS ? 0 : 1, ""));
    return;
  default:
    cg_sink_feed(g, e, v);
  }
}

void cg_feed_consumers(cg *g, const plan_op *op, LLVMValueRef v) {
  for (int i = 0; i < op->consumers.len; i++) {
    plan_edge *e = op->consumers.items[i];
    if (e->stage == g->stage)
      feed(g, e, v);
  }
}

/* ---- stage task functions -------------------------------------------------------------------- */

/* Whether every line of the source goes only to one filter that needs a literal in it (see
 * cg_line_literal_of): the loop then gives only the lines that have it. */
static bool source_literal(const plan_stage *st, cg_line_literal *out) {
  const plan_op *src = st->root;
  if (src->consumers.len != 1)
    return false;
  const plan_edge *e = src->consumers.items[0];
  return e->stage == st && e->op->kind == P_FILTER && cg_line_literal_of(e->op->fn, out);
}

/* Whether some sink of the stage may keep pointers into its records: the input's lines, or
 * what the runtime made for a record (cg_sink_holds_input). */
static bool stage_keeps_records(const plan_stage *st) {
  for (int i = 0; i < st->edges.len; i++)
    if (cg_sink_holds_input(st->edges.items[i]))
      return true;
  return false;
}

/* Whether the stage's records may run in a record scope (dsc_rt_record_scope_begin): its sinks
 * keep nothing of them, and it is not a static stage, whose tables point to their string keys
 * instead of copying them. */
static bool record_scoped(const plan_stage *st) {
  return st->root->kind == P_SOURCE && !plan_stage_static(st) && !stage_keeps_records(st);
}

/* Whether a static stage's records may run in a list scope (dsc_rt_list_scope_begin): no sink
 * keeps a list.  A lookup table's lines are mostly split by csv() and the list dropped. */
static bool list_scoped(const plan_stage *st) {
  if (st->root->kind != P_SOURCE || !plan_stage_static(st))
    return false;
  for (int i = 0; i < st->edges.len; i++)
    if (cg_sink_holds_lists(st->edges.items[i]))
      return false;
  return true;
}

/* The loop over the lines of the batch's input that this task takes (dsc_rt_lines_open). */
static void source_loop(cg *g, const plan_stage *st, LLVMValueRef batch, LLVMValueRef task,
                        LLVMValueRef ntasks) {
  bool records = record_scoped(st), lists = list_scoped(st), scoped = records || lists;
  if (records)
    cg_rt(g, "dsc_rt_record_scope_begin", "vp", &g->worker);
  else if (lists)
    cg_rt(g, "dsc_rt_list_scope_begin", "vp", &g->worker);
  LLVMTypeRef cursor_t = LLVMArrayType2(g->t_i64, (sizeof(dsc_rt_line_cursor) + 7) / 8);
  LLVMValueRef cursor = cg_alloca(g, cursor_t, "cursor");
  LLVMValueRef line = cg_alloca(g, g->t_str, "line");
  LLVMValueRef idx = LLVMBuildLoad2(g->b, g->t_i32, g->source_globals[st->root->source], "src");
  LLVMValueRef args[5] = {batch, idx, task, ntasks, cursor};
  cg_rt(g, "dsc_rt_lines_open", "vpillp", args);
  cg_line_literal having;
  LLVMValueRef filter = NULL, lit = NULL;
  if (source_literal(st, &having)) {
    LLVMTypeRef filter_t = LLVMArrayType2(g->t_i64, sizeof(dsc_rt_line_prefilter) / 8);
    filter = cg_alloca(g, filter_t, "line.prefilter");
    LLVMBuildStore(g->b, LLVMConstNull(filter_t), filter);
    if (having.regex) { /* what every match contains, or nothing: every line */
      LLVMValueRef out = cg_alloca(g, g->t_str, "regex.literal");
      LLVMValueRef re_args[2] = {LLVMBuildLoad2(g->b, g->t_ptr, cg_regex(g, having.lit), "re"),
                                 out};
      cg_rt(g, "dsc_rt_regex_literal", "vpp", re_args);
      lit = LLVMBuildLoad2(g->b, g->t_str, out, "");
    } else {
      lit = cg_expr(g, having.lit);
    }
    g->searched_test = having.json ? having.test : NULL;
  }
  LLVMBasicBlockRef head = cg_block(g, "lines"), body = cg_block(g, "lines.body"),
                    exit = cg_block(g, "lines.end");
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, head);
  LLVMValueRef more;
  if (filter) {
    LLVMValueRef having_args[6] = {cursor,
                                   line,
                                   filter,
                                   LLVMBuildExtractValue(g->b, lit, 0, ""),
                                   LLVMBuildExtractValue(g->b, lit, 1, ""),
                                   cg_i32(g, having.json)};
    more = cg_rt(g, "dsc_rt_lines_next_having", "ippppli", having_args);
  } else {
    LLVMValueRef next_args[2] = {cursor, line};
    more = cg_rt(g, "dsc_rt_lines_next", "ipp", next_args);
  }
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, more, cg_i32(g, 0), ""), body, exit);
  LLVMPositionBuilderAtEnd(g->b, body);
  cg_feed_consumers(g, st->root, LLVMBuildLoad2(g->b, g->t_str, line, "line"));
  g->searched_test = NULL;
  if (scoped)
    cg_rt(g, "dsc_rt_record_next", "vp", &g->worker);
  LLVMBuildBr(g->b, head);
  LLVMPositionBuilderAtEnd(g->b, exit);
  if (scoped) /* before the sinks finish: a table's ring drains what it parked */
    cg_rt(g, "dsc_rt_record_scope_end", "vp", &g->worker);
}

static void breaker_body(cg *g, LLVMValueRef i, void *data) { cg_root_feed(g, data, i); }

/* The number of live entries of the stage's root, when the stage does nothing but count them
 * (state.count(), a window's count): a state table knows it without a visit to each entry. */
static LLVMValueRef counted_root(cg *g, const plan_stage *st) {
  if (st->root->kind == P_SOURCE || st->edges.len == 0)
    return NULL;
  for (int i = 0; i < st->edges.len; i++) {
    const plan_edge *e = st->edges.items[i];
    if (!cg_sink_counts(e) || e->op->inputs.items[e->input] != st->root)
      return NULL;
  }
  return cg_state_root_live_count(g, st->root);
}

static LLVMValueRef gen_stage(cg *g, plan_stage *st) {
  LLVMTypeRef params[3] = {g->t_ptr, g->t_ptr, g->t_i64};
  char name[32];
  snprintf(name, sizeof name, "dsc_stage_%d", st->id);
  LLVMValueRef fn = cg_new_function(g, name, g->t_void, params, 3, false);
  g->stage = st;
  g->state = LLVMGetParam(fn, 0);
  g->worker = LLVMGetParam(fn, 1);
  LLVMValueRef task = LLVMGetParam(fn, 2);
  g->ctx_val = cg_load_slot(g, SLOT_CTX, g->t_ptr);
  LLVMValueRef batch = cg_load_slot(g, SLOT_BATCH, g->t_ptr);
  LLVMValueRef ntasks = cg_load_slot(g, st->slot, g->t_i64);
  for (int i = 0; i < st->edges.len; i++)
    cg_sink_init(g, st->edges.items[i], task);

  LLVMValueRef counted = NULL;
  if (st->root->kind == P_SOURCE) {
    source_loop(g, st, batch, task, ntasks);
  } else if ((counted = counted_root(g, st))) {
    LLVMValueRef first = LLVMBuildICmp(g->b, LLVMIntEQ, task, cg_i64(g, 0), "");
    LLVMValueRef share = LLVMBuildSelect(g->b, first, counted, cg_i64(g, 0), "");
    for (int i = 0; i < st->edges.len; i++)
      cg_sink_add_count(g, st->edges.items[i], share);
  } else {
    /* contiguous ranges, so task order is input order */
    cg_loop_task_range(g, cg_root_count(g, st->root), task, ntasks, breaker_body, st->root);
  }
  for (int i = 0; i < st->edges.len; i++)
    cg_sink_finish(g, st->edges.items[i], task);
  LLVMBuildRetVoid(g->b);
  return fn;
}

/* ---- the three entry points ------------------------------------------------------------------ */

static int param_code(const type *t) {
  switch (t->kind) {
  case T_INT: return DSC_RT_INT;
  case T_FLOAT: return DSC_RT_FLOAT;
  case T_BOOL: return DSC_RT_BOOL;
  default: return DSC_RT_STRING;
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
  LLVMValueRef fn = cg_new_function(g, "dsc_gen_describe", g->t_void, &g->t_ptr, 1, true);
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

/* User functions: internal functions taking the worker and their parameters. */
static void gen_functions(cg *g) {
  const sema_info *info = g->plan->info;
  int n = info->functions.len;
  g->fn_values = mem_alloc(sizeof(LLVMValueRef) * (size_t)(n + 1));
  for (int i = 0; i < n; i++) {
    const ast_item *it = info->functions.items[i];
    LLVMTypeRef params[it->params.len + 1];
    params[0] = g->t_ptr;
    for (int k = 0; k < it->params.len; k++)
      params[k + 1] = cg_type(g, ((ast_param *)it->params.items[k])->type);
    LLVMValueRef f = LLVMAddFunction(g->mod, mem_printf("fn.%s", it->name),
                                     LLVMFunctionType(cg_type(g, it->sym->type), params,
                                                      (unsigned)it->params.len + 1, 0));
    LLVMSetLinkage(f, LLVMInternalLinkage);
    g->fn_values[i] = f;
  }
  for (int i = 0; i < n; i++) {
    const ast_item *it = info->functions.items[i];
    LLVMValueRef f = g->fn_values[i];
    g->fn = f;
    LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, f, "entry"));
    g->worker = LLVMGetParam(f, 0);
    for (int k = 0; k < it->params.len; k++)
      cg_push_local(g, ((ast_param *)it->params.items[k])->id, LLVMGetParam(f, (unsigned)k + 1));
    LLVMBuildRet(g->b, cg_expr(g, it->value));
    cg_pop_locals(g, it->params.len);
  }
}

/* ---- early start ------------------------------------------------------------------------------
 * The stage that reads the program's only stream source can start on a batch before it is
 * sealed (dsc_gen_early; sched.c says when).  Those calls keep a batch state of their own, a
 * module global, whose partials arrays dsc_gen_batch then takes over for the stage, so task 0
 * goes on with its partials (cg_sink_init) while the tasks divide the rest of the input.  A call
 * runs task 0 alone, or, when every partial of the stage can be merged into task 0's between
 * calls (cg_sink_folds_early), as tasks on all the workers that divide the new input and are
 * then merged into task 0's, in order, their own partials left empty: task 0's then hold the
 * batch's first lines, as the serial calls leave them.  (A count, a distinct or a sum of ints
 * hands over only its new keys and keeps its task tables: cg_sink_hands_over.)  sched.c has a
 * call run on all the workers only when the source waits for the early start (a big batch under
 * the manual clock), so that the batch is processed on every core while it is read, and the
 * receiver reads into the chunks the calls gave back instead of fresh memory. */
static bool is_stream_source(const plan_op *op) {
  return op->kind == P_SOURCE && (source_id)op->node->builtin != SRC_TABLE;
}

static const plan_stage *early_stage(const plan *p) {
  int streams = 0;
  for (int i = 0; i < p->sources.len; i++)
    streams += is_stream_source(p->sources.items[i]);
  if (streams != 1)
    return NULL;
  for (int i = 0; i < p->stages.len; i++) {
    const plan_stage *st = p->stages.items[i];
    if (is_stream_source(st->root))
      return st;
  }
  return NULL;
}

static LLVMValueRef early_state(cg *g) {
  return cg_global(g, "early.state", LLVMArrayType2(g->t_i64, (uint64_t)g->nslots));
}

/* 1 while early calls hold task 0's partials for the next batch. */
static LLVMValueRef early_active(cg *g) { return cg_global(g, "early.active", g->t_i64); }

/* The most tasks an early call of the next batch ran (see cg_sink_hands_over). */
static LLVMValueRef early_tasks(cg *g) { return cg_global(g, "early.tasks", g->t_i64); }

static LLVMValueRef larger(cg *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, a, b, ""), a, b, "");
}

/* Whether dsc_gen_early may run the stage as tasks on all the workers (see above). */
static bool early_parallel(const plan_stage *st) {
  if (st->single || st->tasks)
    return false;
  for (int k = 0; k < st->edges.len; k++)
    if (!cg_sink_folds_early(st->edges.items[k]))
      return false;
  return true;
}

static LLVMValueRef stage_tasks(cg *g, const plan_stage *st, LLVMValueRef partitions) {
  return st->single ? cg_i64(g, 1) : st->tasks ? cg_i64(g, st->tasks) : partitions;
}

/* A stage runs only as many tasks as its input fills (dsc_rt_source_tasks): waking a helper
 * thread costs more than a few hundred elements take (ysb's join and window stages get about
 * 3,000 and 100 elements a batch, 40 times). */
static LLVMValueRef filled_stage_tasks(cg *g, const plan_stage *st, LLVMValueRef partitions) {
  LLVMValueRef all = stage_tasks(g, st, partitions);
  if (st->single || st->tasks)
    return all;
  if (st->root->kind == P_SOURCE) {
    LLVMValueRef idx = LLVMBuildLoad2(g->b, g->t_i32, g->source_globals[st->root->source], "src");
    LLVMValueRef args[3] = {cg_load_slot(g, SLOT_BATCH, g->t_ptr), idx, all};
    return cg_rt(g, "dsc_rt_source_tasks", "lpil", args);
  }
  return result_tasks(g, cg_root_count(g, st->root), all);
}

static void gen_early(cg *g, LLVMValueRef *stage_fns) {
  LLVMTypeRef params[2] = {g->t_ptr, g->t_ptr};
  LLVMValueRef fn = cg_new_function(g, "dsc_gen_early", g->t_void, params, 2, true);
  const plan *p = g->plan;
  const plan_stage *st = g->early;
  if (!st) {
    LLVMBuildRetVoid(g->b);
    return;
  }
  g->ctx_val = LLVMGetParam(fn, 0);
  g->state = early_state(g);
  g->worker = cg_rt(g, "dsc_rt_main_worker", "pp", &g->ctx_val);
  g->stage = NULL;
  LLVMValueRef partitions = cg_rt(g, "dsc_rt_partitions", "lp", &g->ctx_val);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildICmp(g->b, LLVMIntEQ, LLVMBuildLoad2(g->b, g->t_i64, early_active(g), ""), cg_i64(g, 0), ""),
        &then_bb, &done);
  /* the batch's first early call: partials arrays as dsc_gen_batch would make them */
  cg_store_slot(g, SLOT_CTX, g->ctx_val);
  LLVMValueRef ntasks = stage_tasks(g, st, partitions);
  for (int k = 0; k < st->edges.len; k++) {
    const plan_edge *e = st->edges.items[k];
    LLVMValueRef args[2] = {g->worker, LLVMBuildMul(g->b, ntasks, cg_i64(g, 8), "")};
    cg_store_slot(g, e->slot, cg_rt(g, "dsc_rt_alloc", "ppl", args));
  }
  LLVMBuildStore(g->b, cg_i64(g, 1), early_active(g));
  LLVMBuildStore(g->b, cg_i64(g, 0), early_tasks(g));
  cg_end_if(g, done);
  /* what is new in part (dsc_rt_lines_open skips what earlier calls took) */
  cg_store_slot(g, SLOT_BATCH, LLVMGetParam(fn, 1));
  int at = 0;
  while (p->stages.items[at] != st)
    at++;
  if (early_parallel(st)) {
    LLVMValueRef tasks = filled_stage_tasks(g, st, partitions);
    cg_store_slot(g, st->slot, tasks);
    cg_run_tasks(g, tasks, stage_fns[at], g->state);
    LLVMValueRef most = LLVMBuildLoad2(g->b, g->t_i64, early_tasks(g), "");
    LLVMBuildStore(g->b, larger(g, tasks, most), early_tasks(g));
    for (int k = 0; k < st->edges.len; k++)
      cg_sink_fold_into_first(g, st->edges.items[k], tasks);
  } else { /* task 0 of 1 */
    cg_store_slot(g, st->slot, cg_i64(g, 1));
    LLVMValueRef args[3] = {g->state, g->worker, cg_i64(g, 0)};
    LLVMBuildCall2(g->b, LLVMGlobalGetValueType(stage_fns[at]), stage_fns[at], args, 3, "");
  }
  LLVMBuildRetVoid(g->b);
}

static void gen_start(cg *g) {
  LLVMValueRef fn = cg_new_function(g, "dsc_gen_start", g->t_void, &g->t_ptr, 1, true);
  g->ctx_val = LLVMGetParam(fn, 0);
  /* regex literals are compiled first; the list is complete only once the body is built */
  LLVMBasicBlockRef init = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef body = cg_block(g, "body");
  LLVMPositionBuilderAtEnd(g->b, body);
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
    case SRC_FILE: case SRC_TABLE: {
      LLVMValueRef args[3] = {g->ctx_val, LLVMBuildExtractValue(g->b, a0, 0, ""),
                              LLVMBuildExtractValue(g->b, a0, 1, "")};
      idx = cg_rt(g, call->builtin == SRC_FILE ? "dsc_rt_source_file" : "dsc_rt_source_table",
                  "ippl", args);
      break;
    }
    case SRC_TEXT_FILES: {
      LLVMValueRef pattern = cg_expr(g, ((ast_arg *)call->items.items[1])->value);
      LLVMValueRef existing = cg_expr(g, ((ast_arg *)call->items.items[2])->value);
      LLVMValueRef args[6] = {g->ctx_val, LLVMBuildExtractValue(g->b, a0, 0, ""),
                              LLVMBuildExtractValue(g->b, a0, 1, ""),
                              LLVMBuildExtractValue(g->b, pattern, 0, ""),
                              LLVMBuildExtractValue(g->b, pattern, 1, ""),
                              LLVMBuildZExt(g->b, existing, g->t_i32, "")};
      idx = cg_rt(g, "dsc_rt_source_dir", "ipplpli", args);
      break;
    }
    default: unreachable();
    }
    LLVMBuildStore(g->b, idx, g->source_globals[i]);
    const plan_stage *early = g->early;
    if (early && early->root == src) {
      /* the input an early start took can go at once unless a partial may point into it */
      bool keeps = stage_keeps_records(early);
      /* a join fused into the stage reads a table the first batch makes */
      bool probes = false;
      for (int k = 0; k < g->plan->ops.len; k++) {
        const plan_op *op = g->plan->ops.items[k];
        probes |= op->probe && plan_input_edge(op, 0)->stage == early;
      }
      LLVMValueRef args[5] = {g->ctx_val, idx, cg_i32(g, !keeps), cg_i32(g, probes),
                              cg_i32(g, early_parallel(early))};
      cg_rt(g, "dsc_rt_source_early", "vpiiii", args);
    }
  }
  LLVMBuildRetVoid(g->b);
  LLVMPositionBuilderAtEnd(g->b, init);
  cg_state_start(g);
  for (int i = 0; i < g->nregex; i++) {
    const expr *re = g->regex_src[i];
    LLVMValueRef c = cg_const_str(g, re->sval, re->slen);
    LLVMValueRef args[3] = {g->ctx_val, LLVMBuildExtractValue(g->b, c, 0, ""), cg_i64(g, re->slen)};
    LLVMBuildStore(g->b, cg_rt(g, "dsc_rt_regex_new", "pppl", args), g->regex_globals[i]);
  }
  LLVMBuildBr(g->b, body);
}

/* A static stage (plan_stage_static) runs in the first batch only, as one task of the static
 * worker, whose memory is never reset: its merged results are kept in module globals and put
 * back into the batch state of every later batch.  (A lookup table of 300,000 lines joined every
 * second was parsed and hashed again in each batch, 40 times as slow.)  Its tables start with
 * room for a key per line of its source, which has been read whole by then: grown by doubling
 * instead, the 300,000-line table copied its arrays into fresh memory eight times over
 * (bench/RESULTS.md, fifteenth session). */
static void gen_static_stage(cg *g, const plan_stage *st, LLVMValueRef stage_fn) {
  LLVMValueRef ran = cg_global(g, mem_printf("stage%d.kept", st->id), g->t_i64);
  cg_store_slot(g, st->active, cg_i64(g, 1));
  cg_store_slot(g, st->slot, cg_i64(g, 1));
  LLVMBasicBlockRef first = cg_block(g, "static.first"), later = cg_block(g, "static.later"),
                    done = cg_block(g, "static.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, LLVMBuildLoad2(g->b, g->t_i64, ran, ""), cg_i64(g, 0), ""),
                  first, later);
  LLVMPositionBuilderAtEnd(g->b, first);
  LLVMValueRef lines = NULL;
  if (st->root->kind == P_SOURCE) {
    LLVMValueRef idx = LLVMBuildLoad2(g->b, g->t_i32, g->source_globals[st->root->source], "src");
    LLVMValueRef largs[2] = {cg_load_slot(g, SLOT_BATCH, g->t_ptr), idx};
    lines = cg_rt(g, "dsc_rt_source_lines", "lpi", largs);
  }
  for (int k = 0; k < st->edges.len; k++) {
    plan_edge *e = st->edges.items[k];
    LLVMValueRef args[2] = {g->worker, cg_i64(g, 8)};
    cg_store_slot(g, e->slot, cg_rt(g, "dsc_rt_alloc", "ppl", args));
    if (lines)
      cg_sink_expect_keys(g, e, lines);
  }
  LLVMValueRef args[3] = {g->state, cg_rt(g, "dsc_rt_static_worker", "pp", &g->ctx_val), cg_i64(g, 0)};
  LLVMBuildCall2(g->b, LLVMGlobalGetValueType(stage_fn), stage_fn, args, 3, "");
  for (int k = 0; k < st->edges.len; k++) {
    plan_edge *e = st->edges.items[k];
    cg_sink_merge(g, e, cg_i64(g, 1));
    LLVMValueRef kept = kept_result(g, st, k);
    LLVMBuildStore(g->b, cg_load_slot(g, e->op->slot + e->input, g->t_ptr), kept);
  }
  LLVMBuildStore(g->b, cg_i64(g, 1), ran);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, later);
  for (int k = 0; k < st->edges.len; k++) {
    const plan_edge *e = st->edges.items[k];
    LLVMValueRef kept = kept_result(g, st, k);
    cg_store_slot(g, e->op->slot + e->input, LLVMBuildLoad2(g->b, g->t_ptr, kept, ""));
  }
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

static void gen_batch(cg *g, LLVMValueRef *stage_fns) {
  LLVMTypeRef params[2] = {g->t_ptr, g->t_ptr};
  LLVMValueRef fn = cg_new_function(g, "dsc_gen_batch", g->t_void, params, 2, true);
  g->ctx_val = LLVMGetParam(fn, 0);
  LLVMValueRef batch = LLVMGetParam(fn, 1);
  g->state = cg_alloca(g, LLVMArrayType2(g->t_i64, (uint64_t)g->nslots), "state");
  cg_store_slot(g, SLOT_CTX, g->ctx_val);
  cg_store_slot(g, SLOT_BATCH, batch);
  g->worker = cg_rt(g, "dsc_rt_main_worker", "pp", &g->ctx_val);
  g->stage = NULL;
  const plan *p = g->plan;
  for (int i = 0; i < p->ops.len; i++) {
    const plan_op *op = p->ops.items[i];
    if (op->kind != P_SOURCE && !plan_is_narrow(op->kind) && !plan_is_output(op->kind))
      cg_breaker_begin(g, op);
  }
  LLVMValueRef partitions = cg_rt(g, "dsc_rt_partitions", "lp", &g->ctx_val);
  for (int i = 0; i < p->stages.len; i++) {
    const plan_stage *st = p->stages.items[i];
    if (plan_stage_static(st)) {
      gen_static_stage(g, st, stage_fns[i]);
      continue;
    }
    /* A stage runs when its input has a batch now: sources always; a breaker when every
       stage feeding it ran (and, for a window, at its slide times). */
    LLVMValueRef fed = LLVMConstInt(g->t_i1, 1, 0);
    for (int k = 0; k < p->stages.len; k++) {
      const plan_stage *from = p->stages.items[k];
      for (int j = 0; j < from->edges.len; j++)
        if (((plan_edge *)from->edges.items[j])->op == st->root) {
          fed = LLVMBuildAnd(g->b, fed, LLVMBuildICmp(g->b, LLVMIntNE, cg_load_slot(g, from->active, g->t_i64),
                                                      cg_i64(g, 0), ""), "");
          break;
        }
    }
    cg_store_slot(g, st->active, cg_i64(g, 0));
    LLVMBasicBlockRef run = cg_block(g, "stage.fed"), skip = cg_block(g, "stage.skip");
    LLVMBuildCondBr(g->b, fed, run, skip);
    LLVMPositionBuilderAtEnd(g->b, run);
    LLVMValueRef active = st->root->kind == P_SOURCE ? LLVMConstInt(g->t_i1, 1, 0)
                                                     : cg_breaker_finalize(g, st->root);
    LLVMBasicBlockRef go = cg_block(g, "stage.run");
    LLVMBuildCondBr(g->b, active, go, skip);
    LLVMPositionBuilderAtEnd(g->b, go);
    cg_store_slot(g, st->active, cg_i64(g, 1));
    LLVMValueRef ntasks = filled_stage_tasks(g, st, partitions);
    cg_store_slot(g, st->slot, ntasks);
    bool early = st == g->early;
    LLVMValueRef started = early ? LLVMBuildICmp(g->b, LLVMIntNE, LLVMBuildLoad2(g->b, g->t_i64, early_active(g), ""),
                                                 cg_i64(g, 0), "started") : NULL;
    for (int k = 0; k < st->edges.len; k++) {
      const plan_edge *e = st->edges.items[k];
      LLVMValueRef args[2] = {g->worker, LLVMBuildMul(g->b, ntasks, cg_i64(g, 8), "")};
      LLVMValueRef arr = cg_rt(g, "dsc_rt_alloc", "ppl", args);
      if (early) { /* take over the partials of the early calls, if there were any */
        LLVMValueRef had = LLVMBuildLoad2(g->b, g->t_ptr, slot_in(g, early_state(g), e->slot), "");
        arr = LLVMBuildSelect(g->b, started, had, arr, "");
      }
      cg_store_slot(g, e->slot, arr);
    }
    LLVMValueRef merged = ntasks; /* task tables to merge: see cg_sink_hands_over */
    if (early) { /* early.tasks is the previous batch's unless early calls started this one */
      LLVMValueRef most = LLVMBuildLoad2(g->b, g->t_i64, early_tasks(g), "");
      merged = LLVMBuildSelect(g->b, started, larger(g, most, ntasks), ntasks, "merged");
      LLVMBuildStore(g->b, cg_i64(g, 0), early_active(g));
    }
    cg_run_tasks(g, ntasks, stage_fns[i], g->state);
    for (int k = 0; k < st->edges.len; k++) {
      plan_edge *e = st->edges.items[k];
      cg_sink_merge(g, e, cg_sink_hands_over(e) ? merged : ntasks);
    }
    LLVMBuildBr(g->b, skip);
    LLVMPositionBuilderAtEnd(g->b, skip);
  }
  /* outputs of a stream that has no batch now (a window between slides) print nothing */
  for (int i = 0; i < p->outputs.len; i++) {
    const plan_op *out = p->outputs.items[i];
    const plan_stage *from = plan_input_edge(out, 0)->stage;
    LLVMValueRef on = LLVMBuildICmp(g->b, LLVMIntNE, cg_load_slot(g, from->active, g->t_i64), cg_i64(g, 0), "");
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, on, &then_bb, &done);
    cg_output(g, out, batch);
    cg_end_if(g, done);
  }
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
  /* Batch-state slot layout: per stage its task count, per sink edge its partials array,
     per breaker its merged result(s). */
  g->nslots = SLOT_FIRST_FREE;
  for (int i = 0; i < p->stages.len; i++) {
    plan_stage *st = p->stages.items[i];
    st->slot = g->nslots++;
    st->active = g->nslots++;
    for (int k = 0; k < st->edges.len; k++)
      ((plan_edge *)st->edges.items[k])->slot = g->nslots++;
  }
  for (int i = 0; i < p->ops.len; i++) {
    plan_op *op = p->ops.items[i];
    op->slot = g->nslots;
    g->nslots += cg_breaker_slots(op);
  }

  g->early = early_stage(p);
  gen_describe(g, opt);
  gen_functions(g);
  LLVMValueRef *stage_fns = mem_alloc(sizeof(LLVMValueRef) * (size_t)(p->stages.len + 1));
  g->stage = NULL;
  for (int i = 0; i < p->stages.len; i++)
    stage_fns[i] = gen_stage(g, p->stages.items[i]);
  gen_batch(g, stage_fns);
  gen_early(g, stage_fns);
  gen_start(g); /* last: it initialises what the other functions turned out to need */
}
