/* cg.h — shared state of the LLVM code generator (cg_*.c).  The generator is a plain mapping of
 * the stage plan: cg_pipeline.c lays out the batch function and one function per stage,
 * cg_expr.c turns expressions into IR inside them, cg_module.c owns the target machine,
 * the pass pipeline and object emission. */
#ifndef DSC_CG_H
#define DSC_CG_H

#include <llvm-c/Core.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>

#include "plan.h"

typedef struct cg_options {
  int opt_level;         /* 0..3 */
  const char *cpu;       /* target CPU, "native" for the host; NULL = generic x86-64 */
  const char *ll_path;   /* write textual IR here instead of an object, if set */
  const char *const *obj_paths; /* object files to write: up to jobs of them */
  int jobs;              /* threads to optimise and emit on (cg_split.c) */
  const char *prog_name; /* the generated binary's name, for its --help */
  const char *bitcode_dir; /* where the runtime's dsc_rt_*.bc are, or NULL */
} cg_options;

typedef struct cg_local {
  int id;            /* ast_param id */
  LLVMValueRef value; /* its value */
} cg_local;

typedef struct cg {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTargetDataRef td;
  const plan *plan;
  /* Common types. */
  LLVMTypeRef t_void, t_i1, t_i8, t_i32, t_i64, t_f64, t_ptr;
  LLVMTypeRef t_str;  /* {ptr, i64}: dsc_str */
  LLVMTypeRef t_list; /* {ptr, i64}: dsc_list */
  /* The function being generated. */
  LLVMValueRef fn;
  LLVMValueRef ctx_val;   /* dsc_rt_ctx* */
  LLVMValueRef worker;    /* dsc_rt_worker* of the running thread */
  LLVMValueRef state;     /* batch-state slots (i64 / ptr each) */
  cg_local *locals;       /* environment of lambda parameters and lets */
  int nlocals, caplocals;
  LLVMValueRef *param_globals;  /* one global per program parameter */
  LLVMValueRef *source_globals; /* i32 source index per plan source */
  int nslots;                   /* batch-state slots used so far */
  plan_stage *stage;            /* the stage whose function is being generated */
  LLVMValueRef json_memo;       /* that task function's dsc_rt_json_memo, once json() needs it */
  const expr *searched_test;    /* a json() `==` whose literal the line loop searched for */
  const plan_stage *early;      /* the stage dsc_gen_early may start (cg_pipeline.c), or NULL */
  LLVMValueRef *regex_globals;  /* compiled regex per distinct literal, set by dsc_gen_start */
  const expr **regex_src;       /* the literals */
  int nregex, capregex;
  LLVMValueRef *fn_values;      /* user functions, by index in sema_info.functions */
  /* The last lists split out of a string (csv, split, words), for the same call again in the
     same block: `(csv(l)[0], csv(l)[1])` splits the line once (cg_expr.c). */
  struct cg_split_memo {
    const expr *call;
    LLVMValueRef list;
    LLVMBasicBlockRef block;
  } split_memo[8];
  int nsplit_memo;
  /* The blocks after a run-time error check and the block before it, which is the only way
     into them (count_error_if): a list made before the check is there after it. */
  struct cg_error_join {
    LLVMBasicBlockRef after, before;
  } error_joins[32];
  int nerror_joins;
} cg;

/* ---- cg_expr.c ---- */
LLVMTypeRef cg_type(cg *g, const type *t);
LLVMValueRef cg_expr(cg *g, const expr *e);
/* Calls a runtime function declared by signature: the first letter is the result, the rest
 * the parameters; v void, i i32, l i64, d double, p ptr. */
LLVMValueRef cg_rt(cg *g, const char *name, const char *sig, LLVMValueRef *args);
LLVMValueRef cg_const_str(cg *g, const char *s, int len); /* a dsc_str constant */
LLVMValueRef cg_i64(cg *g, int64_t v);
LLVMValueRef cg_i32(cg *g, int32_t v);
LLVMValueRef cg_alloca(cg *g, LLVMTypeRef t, const char *name); /* in the entry block */
void cg_push_local(cg *g, int id, LLVMValueRef v);
void cg_pop_locals(cg *g, int n);
/* Binds a lambda's parameters to args (destructuring a tuple when sema said so). */
int cg_bind_lambda(cg *g, const expr *fn, LLVMValueRef *args, int nargs);
/* A phi of a (reaching from block from_a) and b (from from_b), at the builder's position. */
LLVMValueRef cg_phi2(cg *g, LLVMTypeRef t, LLVMValueRef a, LLVMBasicBlockRef from_a, LLVMValueRef b,
                     LLVMBasicBlockRef from_b, const char *name);
LLVMBasicBlockRef cg_block(cg *g, const char *name);

/* Emits code that runs `each(g, item, data)` for every element of the list expression e —
 * without building the list when e is split(...), words(...), a list literal, if or let. */
typedef void (*cg_each_fn)(cg *g, LLVMValueRef item, void *data);
void cg_each(cg *g, const expr *e, cg_each_fn each, void *data);
/* A counted loop: body(g, i, data) for i in [lo, hi). */
typedef void (*cg_loop_fn)(cg *g, LLVMValueRef i, void *data);
void cg_loop(cg *g, LLVMValueRef lo, LLVMValueRef hi, cg_loop_fn body, void *data);

/* Key bytes of a value for the runtime's hash tables: *ptr, *len. */
void cg_key_bytes(cg *g, LLVMValueRef v, const type *t, LLVMValueRef *ptr, LLVMValueRef *len);
/* Appends the Python str() (top) / repr() form of v to a dsc_rt_buf. */
void cg_format(cg *g, LLVMValueRef buf, LLVMValueRef v, const type *t, bool top);

/* -1, 0, 1 comparing a and b of an orderable type (numbers, strings, bools, tuples). */
LLVMValueRef cg_compare(cg *g, LLVMValueRef a, LLVMValueRef b, const type *t);
LLVMValueRef cg_some(cg *g, LLVMValueRef v, const type *opt_type);
LLVMValueRef cg_none(cg *g, const type *opt_type);
/* f(args...) for a lambda argument of an operator. */
LLVMValueRef cg_apply(cg *g, const expr *fn, LLVMValueRef *args, int nargs);
/* A filter's predicate that holds only for a line with a literal in it: `contains(l, lit)`,
 * json() of l compared with lit, or `matches(l, re)` (with what every match of re contains),
 * alone or first of an `&&` (dsc_rt_lines_next_having). */
typedef struct cg_line_literal {
  const expr *test; /* that call or `==` */
  const expr *lit;  /* a string literal or program parameter; for matches(), the regex */
  bool json;        /* json(): a backslash in the line may hide the literal */
  bool regex;       /* matches(): the literal is the regex's (dsc_rt_regex_literal) */
} cg_line_literal;
/* The global that holds a regex literal, compiled once by dsc_gen_start. */
LLVMValueRef cg_regex(cg *g, const expr *re);
bool cg_line_literal_of(const expr *predicate, cg_line_literal *out);

/* ---- cg_pipeline.c ---- */
void cg_pipeline(cg *g, const cg_options *opt);
/* Batch-state slots (8 bytes each) of dsc_gen_batch, visible to every stage function. */
LLVMValueRef cg_slot_ptr(cg *g, int slot);
LLVMValueRef cg_load_slot(cg *g, int slot, LLVMTypeRef t);
void cg_store_slot(cg *g, int slot, LLVMValueRef v);
/* A new function (internal unless exported), made the one being generated, the builder at its
 * entry.  What was being generated is not saved: see cg_task_begin for that. */
LLVMValueRef cg_new_function(cg *g, const char *name, LLVMTypeRef ret, LLVMTypeRef *params, int n,
                             bool exported);
/* Task functions made from inside dsc_gen_batch (cg_state.c's shared window update, cg_sinks.c's
 * shared merge), run by dsc_rt_run_tasks: fn(env, worker, task), env an array of 8-byte fields
 * that starts with the context and the batch state (cg_env_new stores them); the rest are the
 * caller's.  cg_task_begin makes fn the function being generated, with g->worker, g->ctx_val
 * and g->state its own, and gives its env and task; cg_task_end returns to the caller's. */
enum { CG_ENV_CTX, CG_ENV_STATE, CG_ENV_FIRST_FREE };
typedef struct cg_resume {
  LLVMValueRef fn, worker, state, ctx_val, json_memo;
  LLVMBasicBlockRef block;
} cg_resume;
LLVMValueRef cg_env_new(cg *g, int nfields);
/* dsc_rt_run_tasks(ctx, ntasks, fn, env) from the function being generated. */
void cg_run_tasks(cg *g, LLVMValueRef ntasks, LLVMValueRef fn, LLVMValueRef env);
/* body(g, i, data) for i in task's contiguous range of [0, n) out of ntasks: in order, so that
 * task order is index order. */
void cg_loop_task_range(cg *g, LLVMValueRef n, LLVMValueRef task, LLVMValueRef ntasks,
                        cg_loop_fn body, void *data);
/* How many tasks a step over n results takes (dsc_rt_result_tasks over all partitions): one
 * task, on this thread, when n is small. */
LLVMValueRef cg_result_tasks(cg *g, LLVMValueRef n);
LLVMValueRef cg_env_field(cg *g, LLVMValueRef env, int k); /* a pointer to field k */
cg_resume cg_task_begin(cg *g, const char *name, LLVMValueRef *fn, LLVMValueRef *env,
                        LLVMValueRef *task);
void cg_task_end(cg *g, cg_resume r);
/* Feeds v to every consumer of op that the current stage's loop runs. */
void cg_feed_consumers(cg *g, const plan_op *op, LLVMValueRef v);

/* ---- cg_sinks.c: pipeline breakers and outputs ---- */
/* Inside a stage function: create / feed / publish an edge's task-local partial. */
void cg_sink_init(cg *g, plan_edge *e, LLVMValueRef task);
void cg_sink_feed(cg *g, plan_edge *e, LLVMValueRef v);
void cg_sink_finish(cg *g, plan_edge *e, LLVMValueRef task);
/* Whether the edge's partial is a count, and adding n to it (in place of n feeds). */
bool cg_sink_counts(const plan_edge *e);
void cg_sink_add_count(cg *g, plan_edge *e, LLVMValueRef n);
/* In dsc_gen_batch: set up a breaker's merged state, merge an edge after its stage ran,
 * finalize (concatenate, sort) before the breaker's own stage runs. */
int cg_breaker_slots(const plan_op *op);
void cg_breaker_begin(cg *g, const plan_op *op);
void cg_sink_merge(cg *g, plan_edge *e, LLVMValueRef ntasks);
/* Before edge e's stage runs: its tables (if its partial is one) start with room for n keys. */
void cg_sink_expect_keys(cg *g, plan_edge *e, LLVMValueRef n);
/* In dsc_gen_early: whether the edge's task partials can be merged into task 0's between the
 * early calls (not an output's, which reads them in place, nor a state's that takes them), and
 * that merge: tasks 1 .. ntasks - 1 into task 0, in order, each left empty for the next call
 * (or, where the edge hands over, each giving only its new keys and kept). */
bool cg_sink_folds_early(const plan_edge *e);
void cg_sink_fold_into_first(cg *g, plan_edge *e, LLVMValueRef ntasks);
/* Whether the fold keeps a task's table and hands over only its new keys: then the values of
 * keys task 0 had stay in the task's table, and the batch must merge every task table the
 * early calls made, even when it runs fewer tasks itself (cg_sinks.c, hand_over_key). */
bool cg_sink_hands_over(const plan_edge *e);
/* Returns whether the breaker's stream has a batch now (i1): windows only at slide times. */
LLVMValueRef cg_breaker_finalize(cg *g, const plan_op *op);
/* Inside a stage function rooted at a breaker: its element count, and element i fed on. */
LLVMValueRef cg_root_count(cg *g, const plan_op *root);
void cg_root_feed(cg *g, const plan_op *root, LLVMValueRef i);
/* In dsc_gen_batch, after all stages: one output operation. */
void cg_output(cg *g, const plan_op *op, LLVMValueRef batch);
/* Shared pieces for cg_state.c. */
LLVMTypeRef cg_partial_type(cg *g, const plan_edge *e);
/* Entries of grouping tables (K_GROUP: groupByKey, joins, updateStateByKey): {key, vec of
 * values}, or only {vec} for a string key, whose bytes are the entry's own key (a lookup table's
 * entries took 64 bytes instead of 32).  The vec is kept in the entry (dsc_rt_vec_init), so a
 * group of one string value is one 64-byte entry.  The key comes back as a view, valid as an
 * aggregation table's is (see "aggregation table entries" in cg_sinks.c). */
LLVMTypeRef cg_group_type(cg *g, const type *key, const type *value);
LLVMValueRef cg_group_values(cg *g, const type *key, LLVMValueRef payload); /* the vec */
LLVMValueRef cg_group_key(cg *g, const type *key, LLVMValueRef table, LLVMValueRef i,
                          LLVMValueRef payload); /* entry i of table, whose payload this is */
/* Entries of aggregation tables (K_AGG: batch partials, window panes and states).  A
 * string-keyed one keeps only its value; these are the one place that layout is known, see
 * "aggregation table entries" in cg_sinks.c for when a rebuilt element's key view is valid. */
bool cg_agg_value_only(const plan_op *op);              /* string key: payload = value */
/* Whether a value of t may point to memory it does not own (strings and lists are views). */
bool cg_holds_refs(const type *t);
bool cg_holds_lists(const type *t); /* the same for lists alone */
/* v with every string and list it holds copied into the worker's batch arena: what a sink keeps
 * of a record then points neither into the input nor into a record scope (cg_sink_feed). */
LLVMValueRef cg_persist_in_batch(cg *g, LLVMValueRef v, const type *t);
/* Whether edge e's per-task partial may keep pointers into the batch's input once its task is
 * done (an early start then cannot let the input it took go: cg_pipeline.c). */
bool cg_sink_holds_input(const plan_edge *e);
bool cg_sink_holds_lists(const plan_edge *e); /* the same for the lists of its records */
LLVMTypeRef cg_agg_payload_type(cg *g, const plan_op *op);
const type *cg_agg_payload_lang_type(const plan_op *op); /* NULL: empty payload (distinct) */
LLVMValueRef cg_agg_payload(cg *g, const plan_op *op, LLVMValueRef elem); /* element -> payload */
LLVMValueRef cg_agg_value_ptr(cg *g, const plan_op *op, LLVMValueRef payload);
LLVMValueRef cg_agg_elem(cg *g, const plan_op *op, LLVMValueRef table, LLVMValueRef i);
LLVMValueRef cg_sizeof(cg *g, LLVMTypeRef t);
/* A zero-initialised internal module global (state that lives across batches), made on first
 * use of its name. */
LLVMValueRef cg_global(cg *g, const char *name, LLVMTypeRef t);
LLVMValueRef cg_vec_list(cg *g, LLVMValueRef vec);
LLVMValueRef cg_vec_item(cg *g, LLVMValueRef vec, LLVMValueRef i, const type *t);
LLVMValueRef cg_upsert(cg *g, LLVMValueRef table, LLVMValueRef kp, LLVMValueRef kn, LLVMValueRef *fresh);
void cg_if(cg *g, LLVMValueRef cond, LLVMBasicBlockRef *then_bb, LLVMBasicBlockRef *done);
void cg_end_if(cg *g, LLVMBasicBlockRef done);
/* A fold cell {i1 has, T value}: when `has`, folds v in with fn (or takes v if empty). */
void cg_fold_cell(cg *g, const expr *fn, LLVMValueRef cell, LLVMTypeRef cell_t, LLVMValueRef has,
                  LLVMValueRef v);
/* Loops that look src's entries up in a big table, in its random order, prefetch ahead: the
 * index slot for src's entry slot_of, and (that slot cached by now) the entry for entry_of, two
 * and one CG_PREFETCH_DISTANCE on (dsc_rt_table_prefetch_from; out of range: nothing).  The
 * distance covers a memory access at the loops' pace, and is short enough that the lines are
 * still cached when used. */
enum { CG_PREFETCH_DISTANCE = 8 };
void cg_prefetch_probe(cg *g, LLVMValueRef table, LLVMValueRef src, LLVMValueRef slot_of,
                       LLVMValueRef entry_of);
/* Merges the aggregation table `from` into `into`, combining values the way op does. */
void cg_merge_table(cg *g, const plan_op *op, LLVMValueRef into, LLVMValueRef from);

/* ---- cg_state.c: windows and state kept across batches ---- */
LLVMValueRef cg_state_finalize(cg *g, const plan_op *op);
/* Whether op reads its input's per-task partials itself, so that they must not be merged. */
bool cg_state_takes_partials(const plan_op *op);
LLVMValueRef cg_state_root_count(cg *g, const plan_op *root);
LLVMValueRef cg_state_root_elem(cg *g, const plan_op *root, LLVMValueRef i);
/* i1: entry i of the result is live (state tables may hold removed entries). */
LLVMValueRef cg_state_root_live(cg *g, const plan_op *root, LLVMValueRef i);
/* The number of live entries when root's result is a state table, else NULL. */
LLVMValueRef cg_state_root_live_count(cg *g, const plan_op *root);
/* In dsc_gen_start: run-time checks (window lengths against a --batch override). */
void cg_state_start(cg *g);

/* ---- cg_split.c ---- */
enum { CG_MAX_PARTS = 8 }; /* threads a module is optimised and emitted on, at most */
/* Finishes (links the runtime bitcode into, optimises and emits) one part of a module, in the
 * part's own context; false after reporting on stderr.  Called from several threads at once. */
typedef bool (*cg_part_fn)(LLVMContextRef ctx, LLVMModuleRef mod, int part, void *data);
/* Deals mod's functions into at most max_parts parts and finishes each on a thread of its own
 * (part 0 on this one, in ctx and mod); returns the number of parts, *ok whether all finished. */
int cg_split_finish(LLVMContextRef ctx, LLVMModuleRef mod, int max_parts, cg_part_fn finish,
                    void *data, bool *ok);

/* ---- cg_module.c ---- */
/* Whether a runtime function is inlined into every call site (its bitcode's per-record entry
 * points). */
bool cg_is_hot_helper(const char *name);
/* Builds, verifies, optimises and writes the module (*nobjs: the object files written, the
 * first of opt->obj_paths on); false after reporting on stderr. */
bool cg_generate(const plan *p, const cg_options *opt, int *nobjs);

#endif
