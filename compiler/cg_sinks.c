/* cg_sinks.c — pipeline breakers and output operations.
 *
 * Every sink edge has a task-local partial that the fused loop feeds without locks: a hash
 * table (aggregations, groupings), a counter, a fold cell, a vector (collections, print) or
 * the formatted text of stdout() and saveAsTextFiles.  After the feeding stage, partials are
 * merged in task order (so results keep first-appearance order), into one merged result per
 * breaker input: on the main thread, or for a big aggregation table on all workers ("the
 * shared merge").  A breaker's own stage then reads that result: table entries, joined pairs,
 * the sorted vector...  Outputs read their partials directly, in task order, after all
 * stages. */
#include <string.h>

#include "cg.h"
#include "dsc_rt.h"
#include "ops.h"
#include "types.h"

typedef enum partial_kind {
  K_NONE,    /* nothing: the sink only orders stages (stateSnapshots) */
  K_AGG,     /* table of op->elem, combined per key */
  K_GROUP,   /* table of {key, vec of values} */
  K_COUNT,   /* i64 */
  K_REDUCE,  /* {i1 has, T value} cell */
  K_COLLECT, /* vec of elements (sort: of {key, element}) */
  K_PRINT,   /* vec of the first n + 1 elements */
  K_TEXT     /* the elements as the lines stdout() / saveAsTextFiles write (dsc_rt_text_new) */
} partial_kind;

/* The per-key aggregation an op does in a batch: windows aggregate like their batch form. */
static plan_kind agg_like(const plan_op *op) {
  if (op->kind != P_WINDOW)
    return op->kind;
  return op->variant == S_REDUCE_BY_KEY_AND_WINDOW ? P_REDUCE_BY_KEY : P_COUNT_BY_VALUE;
}

static partial_kind partial_of(const plan_op *op) {
  if (op->kind == P_WINDOW) {
    switch (op->variant) {
    case S_WINDOW: return K_COLLECT;
    case S_COUNT_BY_WINDOW: return K_COUNT;
    case S_REDUCE_BY_WINDOW: return K_REDUCE;
    default: return K_AGG;
    }
  }
  switch (op->kind) {
  case P_REDUCE_BY_KEY: case P_COMBINE_BY_KEY: case P_COUNT_BY_VALUE: case P_DISTINCT:
    return K_AGG;
  case P_GROUP_BY_KEY: case P_JOIN: case P_UPDATE_STATE: return K_GROUP;
  case P_MAP_WITH_STATE: return K_COLLECT;
  case P_SNAPSHOTS: return K_NONE;
  case P_COUNT: return K_COUNT;
  case P_REDUCE: return K_REDUCE;
  case P_UNION: case P_SORT: return K_COLLECT;
  case P_STDOUT: case P_SAVE: return K_TEXT; /* formatted by the tasks, in parallel */
  case P_PRINT: return K_PRINT;
  default: unreachable();
  }
}

static const type *input_elem(const plan_op *op, int input) {
  return ((const plan_op *)op->inputs.items[input])->elem;
}

static const expr *fn_arg(const plan_op *op, int i) {
  return ((ast_arg *)op->node->items.items[i])->value;
}

/* The type a sort orders by. */
static const type *sort_key(const plan_op *op) {
  if (op->fn)
    return op->fn->type;
  if (op->variant == S_SORT_BY_KEY)
    return op->in_elem->elems[0];
  return op->in_elem;
}

/* A grouping table's payload: {K, vec}, or {vec} for a string key (cg.h); the vec is kept in
 * place, DSC_RT_VEC_HEAD bytes of header and room for its first values (vec.c). */
static bool group_value_only(const type *key) { return key->kind == T_STRING; }

static LLVMTypeRef group_vec_type(cg *g, const type *value) {
  unsigned long long bytes = LLVMABISizeOfType(g->td, cg_type(g, value));
  return LLVMArrayType2(g->t_i64, (DSC_RT_VEC_HEAD + DSC_RT_VEC_ROOM(bytes)) / 8);
}

LLVMTypeRef cg_group_type(cg *g, const type *key, const type *value) {
  LLVMTypeRef vec = group_vec_type(g, value);
  if (group_value_only(key))
    return LLVMStructTypeInContext(g->ctx, &vec, 1, 0);
  LLVMTypeRef f[2] = {cg_type(g, key), vec};
  return LLVMStructTypeInContext(g->ctx, f, 2, 0);
}

/* The vec's place does not depend on the value type: it is 8-byte aligned after the key. */
LLVMValueRef cg_group_values(cg *g, const type *key, LLVMValueRef payload) {
  if (group_value_only(key))
    return payload;
  LLVMTypeRef f[2] = {cg_type(g, key), g->t_i64};
  LLVMTypeRef prefix = LLVMStructTypeInContext(g->ctx, f, 2, 0);
  return LLVMBuildStructGEP2(g->b, prefix, payload, 1, "values");
}

LLVMValueRef cg_group_key(cg *g, const type *key, LLVMValueRef table, LLVMValueRef i,
                          LLVMValueRef payload) {
  if (!group_value_only(key))
    return LLVMBuildLoad2(g->b, cg_type(g, key), payload, "k"); /* the payload's first field */
  LLVMValueRef klen = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef kargs[3] = {table, i, klen};
  LLVMValueRef k = LLVMGetUndef(g->t_str);
  k = LLVMBuildInsertValue(g->b, k, cg_rt(g, "dsc_rt_table_key", "pplp", kargs), 0, "");
  return LLVMBuildInsertValue(g->b, k, LLVMBuildLoad2(g->b, g->t_i64, klen, ""), 1, "k");
}

/* {K, T}: a sort's collected element. */
static LLVMTypeRef sort_pair_t(cg *g, const plan_op *op) {
  LLVMTypeRef f[2] = {cg_type(g, sort_key(op)), cg_type(g, op->in_elem)};
  return LLVMStructTypeInContext(g->ctx, f, 2, 0);
}

/* ---- aggregation table entries ----------------------------------------------------------------
 * A string-keyed aggregation (reduceByKey, combineByKey, countByValue, distinct, and the
 * keyed windows' panes and states) keeps only the VALUE in a table entry: the key's bytes are
 * the entry's own key, so a copy in the payload would double the entry (a word count's went
 * from 32 to 64 bytes, and its table out of L2).  Every reader rebuilds the (key, value)
 * element through cg_agg_elem, the key being a view of the table's key bytes.  Other keys
 * keep the whole element in the payload, as reading one back needs no deserialisation.
 *
 * The rule for a key view: it is valid while its table is, and until the next upsert into
 * that same table (a short key lives inside the entry array, which moves when the table
 * grows).  No reader upserts into the table it reads (merges, copies into panes and
 * compactions read one table and write another); batch tables live until the batch ends,
 * after its outputs; and whatever keeps an element past the batch (panes, state) persists
 * it into a store first. */

static const type *agg_key_type(const plan_op *op) {
  return agg_like(op) == P_DISTINCT ? op->elem : op->elem->elems[0];
}

bool cg_agg_value_only(const plan_op *op) {
  return partial_of(op) == K_AGG && agg_key_type(op)->kind == T_STRING;
}

/* What an entry of op's aggregation tables holds: the value, nothing (distinct), or the element. */
LLVMTypeRef cg_agg_payload_type(cg *g, const plan_op *op) {
  if (!cg_agg_value_only(op))
    return cg_type(g, op->elem);
  if (agg_like(op) == P_DISTINCT)
    return LLVMStructTypeInContext(g->ctx, NULL, 0, 0);
  return cg_type(g, op->elem->elems[1]);
}

/* The language type of that payload (for deep copies), NULL when it is empty. */
const type *cg_agg_payload_lang_type(const plan_op *op) {
  if (!cg_agg_value_only(op))
    return op->elem;
  return agg_like(op) == P_DISTINCT ? NULL : op->elem->elems[1];
}

LLVMValueRef cg_agg_payload(cg *g, const plan_op *op, LLVMValueRef elem) {
  if (!cg_agg_value_only(op))
    return elem;
  if (agg_like(op) == P_DISTINCT)
    return LLVMConstNull(cg_agg_payload_type(g, op));
  return LLVMBuildExtractValue(g->b, elem, 1, "v");
}

/* The value slot inside a payload (keyed aggregations only). */
LLVMValueRef cg_agg_value_ptr(cg *g, const plan_op *op, LLVMValueRef payload) {
  if (cg_agg_value_only(op))
    return payload;
  return LLVMBuildStructGEP2(g->b, cg_type(g, op->elem), payload, 1, "");
}

/* The value within a loaded payload (keyed aggregations only); NULL for a distinct, which has
 * none (its payload, when there is one, is the element: a key that is not a string). */
static LLVMValueRef payload_value(cg *g, const plan_op *op, LLVMValueRef payload) {
  if (agg_like(op) == P_DISTINCT)
    return NULL;
  return cg_agg_value_only(op) ? payload : LLVMBuildExtractValue(g->b, payload, 1, "");
}

LLVMValueRef cg_agg_elem(cg *g, const plan_op *op, LLVMValueRef table, LLVMValueRef i) {
  LLVMValueRef pargs[2] = {table, i};
  LLVMValueRef p = cg_rt(g, "dsc_rt_table_at", "ppl", pargs);
  if (!cg_agg_value_only(op))
    return LLVMBuildLoad2(g->b, cg_type(g, op->elem), p, "elem");
  LLVMValueRef klen = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef kargs[3] = {table, i, klen};
  LLVMValueRef key = LLVMGetUndef(g->t_str);
  key = LLVMBuildInsertValue(g->b, key, cg_rt(g, "dsc_rt_table_key", "pplp", kargs), 0, "");
  key = LLVMBuildInsertValue(g->b, key, LLVMBuildLoad2(g->b, g->t_i64, klen, ""), 1, "key");
  if (agg_like(op) == P_DISTINCT)
    return key;
  LLVMValueRef elem = LLVMGetUndef(cg_type(g, op->elem));
  elem = LLVMBuildInsertValue(g->b, elem, key, 0, "");
  LLVMValueRef v = LLVMBuildLoad2(g->b, cg_type(g, op->elem->elems[1]), p, "");
  return LLVMBuildInsertValue(g->b, elem, v, 1, "elem");
}

/* The element a partial holds, as an LLVM type. */
LLVMTypeRef cg_partial_type(cg *g, const plan_edge *e) {
  const plan_op *op = e->op;
  switch (partial_of(op)) {
  case K_AGG: return cg_agg_payload_type(g, op);
  case K_GROUP: {
    const type *kv = input_elem(op, e->input);
    return cg_group_type(g, kv->elems[0], kv->elems[1]);
  }
  case K_REDUCE: {
    LLVMTypeRef f[2] = {g->t_i1, cg_type(g, op->elem)};
    return LLVMStructTypeInContext(g->ctx, f, 2, 0);
  }
  case K_COLLECT:
    if (op->kind == P_SORT)
      return sort_pair_t(g, op);
    return cg_type(g, input_elem(op, e->input));
  case K_PRINT: return cg_type(g, op->elem);
  case K_TEXT: return g->t_i8; /* bytes */
  case K_COUNT: return g->t_i64;
  case K_NONE: return g->t_i64;
  }
  unreachable();
}

LLVMValueRef cg_global(cg *g, const char *name, LLVMTypeRef t) {
  LLVMValueRef gv = LLVMGetNamedGlobal(g->mod, name);
  if (!gv) {
    gv = LLVMAddGlobal(g->mod, t, name);
    LLVMSetInitializer(gv, LLVMConstNull(t));
    LLVMSetLinkage(gv, LLVMInternalLinkage);
  }
  return gv;
}

LLVMValueRef cg_sizeof(cg *g, LLVMTypeRef t) {
  return cg_i64(g, (int64_t)LLVMABISizeOfType(g->td, t));
}

static LLVMValueRef partial_ptr(cg *g, const plan_edge *e, LLVMValueRef task) {
  LLVMValueRef arr = cg_load_slot(g, e->slot, g->t_ptr);
  return LLVMBuildGEP2(g->b, g->t_i64, arr, &task, 1, "");
}

static LLVMValueRef rt_new(cg *g, const char *fn, LLVMTypeRef elem) {
  LLVMValueRef args[2] = {g->worker, cg_sizeof(g, elem)};
  return cg_rt(g, fn, "ppl", args);
}

LLVMValueRef cg_vec_list(cg *g, LLVMValueRef vec) {
  LLVMValueRef l = LLVMGetUndef(g->t_list);
  l = LLVMBuildInsertValue(g->b, l, cg_rt(g, "dsc_rt_vec_data", "pp", &vec), 0, "");
  return LLVMBuildInsertValue(g->b, l, cg_rt(g, "dsc_rt_vec_len", "lp", &vec), 1, "");
}

void cg_if(cg *g, LLVMValueRef cond, LLVMBasicBlockRef *then_bb, LLVMBasicBlockRef *done) {
  *then_bb = cg_block(g, "then");
  *done = cg_block(g, "done");
  LLVMBuildCondBr(g->b, cond, *then_bb, *done);
  LLVMPositionBuilderAtEnd(g->b, *then_bb);
}

void cg_end_if(cg *g, LLVMBasicBlockRef done) {
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

void cg_fold_cell(cg *g, const expr *fn, LLVMValueRef cell, LLVMTypeRef cell_t, LLVMValueRef has,
                  LLVMValueRef v) {
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, has, &then_bb, &done);
  LLVMValueRef cur = LLVMBuildLoad2(g->b, cell_t, cell, "");
  LLVMBasicBlockRef fold = cg_block(g, "fold"), first = cg_block(g, "first");
  LLVMBuildCondBr(g->b, LLVMBuildExtractValue(g->b, cur, 0, ""), fold, first);
  LLVMPositionBuilderAtEnd(g->b, fold);
  LLVMValueRef args[2] = {LLVMBuildExtractValue(g->b, cur, 1, ""), v};
  LLVMBuildStore(g->b, LLVMBuildInsertValue(g->b, cur, cg_apply(g, fn, args, 2), 1, ""), cell);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, first);
  LLVMValueRef c = LLVMBuildInsertValue(g->b, cur, LLVMConstInt(g->t_i1, 1, 0), 0, "");
  LLVMBuildStore(g->b, LLVMBuildInsertValue(g->b, c, v, 1, ""), cell);
  cg_end_if(g, done);
}

/* ---- inside the fused loop -------------------------------------------------------------------- */

/* The most keys one task's table of this edge held in the last batch: the next batch's tables
 * start that big instead of doubling their way up again. */
static LLVMValueRef size_hint(cg *g, const plan_edge *e) {
  return cg_global(g, mem_printf("op%d.in%d.size_hint", e->op->id, e->input), g->t_i64);
}

void cg_sink_expect_keys(cg *g, plan_edge *e, LLVMValueRef n) {
  if (partial_of(e->op) == K_AGG || partial_of(e->op) == K_GROUP)
    LLVMBuildStore(g->b, n, size_hint(g, e));
}

/* The task's partial, or a new one made by `make` when the task has none yet: a task that began
 * before its batch was sealed (dsc_gen_early) goes on with the partial it left. */
static LLVMValueRef resume_or(cg *g, LLVMValueRef slot, LLVMValueRef (*make)(cg *, plan_edge *),
                              plan_edge *e) {
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
  LLVMValueRef had = LLVMBuildLoad2(g->b, g->t_ptr, slot, "partial");
  LLVMBasicBlockRef fresh = cg_block(g, "partial.new"), ready = cg_block(g, "partial.ready");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, had, ""), fresh, ready);
  LLVMPositionBuilderAtEnd(g->b, fresh);
  LLVMValueRef made = make(g, e);
  LLVMBuildStore(g->b, made, slot);
  LLVMBasicBlockRef made_in = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, ready);
  LLVMPositionBuilderAtEnd(g->b, ready);
  return cg_phi2(g, g->t_ptr, had, from, made, made_in, "partial");
}

/* The key type of an edge's table (K_AGG, K_GROUP). */
static const type *table_key_type(const plan_edge *e) {
  return partial_of(e->op) == K_AGG ? agg_key_type(e->op) : input_elem(e->op, e->input)->elems[0];
}

static LLVMValueRef new_table(cg *g, plan_edge *e) {
  /* a static stage's strings last as long as the program: its tables point to string keys
     instead of copying them (other keys are serialized into a temporary, cg_key_bytes) */
  bool kept = g->stage && plan_stage_static(g->stage) && table_key_type(e)->kind == T_STRING;
  LLVMValueRef t = rt_new(g, kept ? "dsc_rt_table_new_kept" : "dsc_rt_table_new", cg_partial_type(g, e));
  /* An eighth more than the last batch's: a batch with a few more keys than the last then does
     not double its table at the end (a copy into fresh memory: the window benchmark's batch
     tables, about 181,000 keys each, did so in half of the batches). */
  LLVMValueRef hint = LLVMBuildLoad2(g->b, g->t_i64, size_hint(g, e), "hint");
  LLVMValueRef room = LLVMBuildAdd(g->b, hint, LLVMBuildAShr(g->b, hint, cg_i64(g, 3), ""), "");
  LLVMValueRef args[2] = {t, room};
  cg_rt(g, "dsc_rt_table_reserve", "vpl", args);
  return t;
}

static LLVMValueRef new_vec(cg *g, plan_edge *e) { return rt_new(g, "dsc_rt_vec_new", cg_partial_type(g, e)); }

static LLVMValueRef new_text(cg *g, plan_edge *e) {
  (void)e;
  return cg_rt(g, "dsc_rt_text_new", "pp", &g->worker);
}

void cg_sink_init(cg *g, plan_edge *e, LLVMValueRef task) {
  LLVMTypeRef elem = cg_partial_type(g, e);
  LLVMValueRef state = NULL, slot = partial_ptr(g, e, task);
  switch (partial_of(e->op)) {
  case K_AGG: case K_GROUP:
    state = resume_or(g, slot, new_table, e);
    e->cg_ring = NULL;
    e->cg_ring_count = cg_alloca(g, g->t_i64, "ring.count");
    LLVMBuildStore(g->b, cg_i64(g, 0), e->cg_ring_count);
    break;
  case K_COLLECT: case K_PRINT:
    state = resume_or(g, slot, new_vec, e);
    break;
  case K_TEXT:
    state = resume_or(g, slot, new_text, e);
    break;
  case K_COUNT: /* the slot holds the count itself: 0, or what an early start counted */
    state = cg_alloca(g, elem, "acc");
    LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, elem, slot, "counted"), state);
    break;
  case K_REDUCE: { /* the slot points to the cell finish stored, if an early start did */
    state = cg_alloca(g, elem, "acc");
    LLVMValueRef cell = LLVMBuildLoad2(g->b, g->t_ptr, slot, "cell");
    LLVMBuildStore(g->b, LLVMConstNull(elem), state);
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildIsNotNull(g->b, cell, ""), &then_bb, &done);
    LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, elem, cell, ""), state);
    cg_end_if(g, done);
    break;
  }
  case K_NONE: break;
  }
  e->cg_state = state;
}

/* A key the ring parked: its dsc_rt_table_hash (i32) and the words that wrote (a pointer to
 * [2 x i64]). */
typedef struct parked_key {
  LLVMValueRef hash, words;
} parked_key;

/* Finds or inserts key's entry, with what the ring parked when it comes from there (else NULL);
 * returns the payload pointer and whether it is new. */
static LLVMValueRef upsert(cg *g, LLVMValueRef table, LLVMValueRef kp, LLVMValueRef kn,
                           const parked_key *parked, LLVMValueRef *fresh) {
  LLVMValueRef is_new = cg_alloca(g, g->t_i32, "is_new"), payload;
  if (parked) {
    LLVMValueRef args[6] = {table, kp, kn, parked->hash, parked->words, is_new};
    payload = cg_rt(g, "dsc_rt_table_upsert_hashed", "ppplipp", args);
  } else {
    LLVMValueRef args[4] = {table, kp, kn, is_new};
    payload = cg_rt(g, "dsc_rt_table_upsert", "ppplp", args);
  }
  *fresh = LLVMBuildICmp(g->b, LLVMIntNE, LLVMBuildLoad2(g->b, g->t_i32, is_new, ""), cg_i32(g, 0), "");
  return payload;
}

LLVMValueRef cg_upsert(cg *g, LLVMValueRef table, LLVMValueRef kp, LLVMValueRef kn,
                       LLVMValueRef *fresh) {
  return upsert(g, table, kp, kn, NULL, fresh);
}

/* Combines the value slot of an existing aggregation entry with `v` (a value of the input for
 * feeding, or of another partial's entry for merging). */
static void agg_combine(cg *g, const plan_op *op, LLVMValueRef payload, LLVMValueRef v, bool merging) {
  if (agg_like(op) == P_DISTINCT)
    return;
  LLVMTypeRef v_t = cg_type(g, op->elem->elems[1]);
  LLVMValueRef vp = cg_agg_value_ptr(g, op, payload);
  LLVMValueRef old = LLVMBuildLoad2(g->b, v_t, vp, "old");
  LLVMValueRef nv;
  switch (agg_like(op)) {
  case P_COUNT_BY_VALUE: nv = LLVMBuildAdd(g->b, old, merging ? v : cg_i64(g, 1), ""); break;
  case P_REDUCE_BY_KEY: {
    LLVMValueRef args[2] = {old, v};
    nv = cg_apply(g, op->fn, args, 2);
    break;
  }
  case P_COMBINE_BY_KEY: {
    LLVMValueRef args[2] = {old, v};
    nv = cg_apply(g, fn_arg(op, merging ? 2 : 1), args, 2);
    break;
  }
  default: unreachable();
  }
  LLVMBuildStore(g->b, nv, vp);
}

/* The key of a record fed to an aggregation (the whole record for countByValue, distinct). */
static LLVMValueRef agg_key(cg *g, const plan_op *op, LLVMValueRef v, const type **key_t) {
  plan_kind like = agg_like(op);
  bool keyed = like == P_REDUCE_BY_KEY || like == P_COMBINE_BY_KEY;
  *key_t = keyed ? op->in_elem->elems[0] : op->in_elem;
  return keyed ? LLVMBuildExtractValue(g->b, v, 0, "k") : v;
}

/* One record's upsert into the aggregation table: inserts its first value or combines it with
 * the entry's.  parked: the key's hash and words when the record comes from the ring, or NULL. */
static void agg_upsert(cg *g, plan_edge *e, LLVMValueRef v, const parked_key *parked) {
  const plan_op *op = e->op;
  plan_kind like = agg_like(op);
  bool keyed = like == P_REDUCE_BY_KEY || like == P_COMBINE_BY_KEY;
  const type *key_t;
  LLVMValueRef key = agg_key(g, op, v, &key_t);
  LLVMValueRef kp, kn, fresh;
  cg_key_bytes(g, key, key_t, &kp, &kn);
  LLVMValueRef payload = upsert(g, e->cg_state, kp, kn, parked, &fresh);
  LLVMBasicBlockRef ins = cg_block(g, "agg.insert"), comb = cg_block(g, "agg.combine"),
                    done = cg_block(g, "agg.done");
  LLVMBuildCondBr(g->b, fresh, ins, comb);
  LLVMPositionBuilderAtEnd(g->b, ins);
  LLVMValueRef first;
  switch (like) {
  case P_REDUCE_BY_KEY: case P_DISTINCT: first = v; break;
  case P_COUNT_BY_VALUE:
  case P_COMBINE_BY_KEY: {
    first = LLVMGetUndef(cg_type(g, op->elem));
    first = LLVMBuildInsertValue(g->b, first, key, 0, "");
    LLVMValueRef c;
    if (like == P_COUNT_BY_VALUE) {
      c = cg_i64(g, 1);
    } else {
      LLVMValueRef val = LLVMBuildExtractValue(g->b, v, 1, "v");
      c = cg_apply(g, fn_arg(op, 0), &val, 1);
    }
    first = LLVMBuildInsertValue(g->b, first, c, 1, "");
    break;
  }
  default: unreachable();
  }
  LLVMBuildStore(g->b, cg_agg_payload(g, op, first), payload);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, comb);
  agg_combine(g, op, payload, keyed ? LLVMBuildExtractValue(g->b, v, 1, "v") : v, false);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* One record's upsert into a grouping table: a new entry gets an empty values vec, and the
 * record's value is pushed.  parked: as for agg_upsert. */
static void group_upsert(cg *g, plan_edge *e, LLVMValueRef v, const parked_key *parked) {
  const type *kv = input_elem(e->op, e->input);
  LLVMTypeRef gt = cg_group_type(g, kv->elems[0], kv->elems[1]);
  LLVMValueRef key = LLVMBuildExtractValue(g->b, v, 0, "k");
  LLVMValueRef kp, kn, fresh;
  cg_key_bytes(g, key, kv->elems[0], &kp, &kn);
  LLVMValueRef payload = upsert(g, e->cg_state, kp, kn, parked, &fresh);
  LLVMValueRef values = cg_group_values(g, kv->elems[0], payload);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, fresh, &then_bb, &done);
  if (!group_value_only(kv->elems[0]))
    LLVMBuildStore(g->b, key, LLVMBuildStructGEP2(g->b, gt, payload, 0, ""));
  LLVMValueRef init[3] = {g->worker, values, cg_sizeof(g, cg_type(g, kv->elems[1]))};
  cg_rt(g, "dsc_rt_vec_init", "vppl", init);
  cg_end_if(g, done);
  LLVMValueRef slot = cg_rt(g, "dsc_rt_vec_push", "pp", &values);
  LLVMBuildStore(g->b, LLVMBuildExtractValue(g->b, v, 1, "v"), slot);
}

/* ---- deferred upserts ------------------------------------------------------------------------
 * A table that outgrows the cache makes each record wait for its own misses.  Once the task's
 * table is big (dsc_rt_table_is_big), the loop hashes each record's key, prefetches its index
 * slot and parks the record in a ring, with the hash and the key's words (the upsert then reads
 * no short key's bytes); the record parked LAG records earlier is upserted meanwhile, its
 * slot by then in cache, and the task's end drains the rest.  Records reach the table in the
 * same order, so the partial is the same.  Parked values may point into the batch's input or
 * the worker's arena, which outlive the task; keys that are not strings are serialised again
 * when unparked.  The window benchmark's batch tables (200,000 new keys a batch) got 10%
 * faster, and the word count (50,000 keys) 9%: the ring's helpers must be inlined (cg_module.c).
 * Aggregations and groupings (joins, groupByKey) park alike. */
enum { RING = 16, LAG = RING - 1 }; /* a record is upserted LAG records after it was parked */

/* A slot holds a record, its key's hash and its key's words, in one struct: a park and an upsert
 * then each compute one slot address instead of three. */
enum { SLOT_VALUE, SLOT_HASH, SLOT_WORDS };

typedef struct agg_ring {
  LLVMValueRef count;  /* i64: records parked so far; slot = count % RING */
  LLVMValueRef slots;  /* [RING x {element, i32 hash, [2 x i64] words}] */
  LLVMTypeRef value_t, words_t, slot_t;
  ptr_vec stores, loads; /* ring_access: each park's and unpark's of the record's fields */
} agg_ring;

/* Field `field` of the slot of record i. */
static LLVMValueRef ring_field(cg *g, const agg_ring *r, LLVMValueRef i, unsigned field) {
  LLVMValueRef idx[3] = {cg_i64(g, 0), LLVMBuildAnd(g->b, i, cg_i64(g, RING - 1), ""),
                         cg_i32(g, (int32_t)field)};
  return LLVMBuildInBoundsGEP2(g->b, LLVMArrayType2(r->slot_t, RING), r->slots, idx, 3, "");
}

/* The upsert of one record into edge e's table, aggregation or grouping. */
static void sink_upsert(cg *g, plan_edge *e, LLVMValueRef v, const parked_key *parked) {
  if (partial_of(e->op) == K_GROUP)
    group_upsert(g, e, v, parked);
  else
    agg_upsert(g, e, v, parked);
}

/* The key a record is upserted by: agg_key's, or a grouping's pair key. */
static LLVMValueRef sink_key(cg *g, plan_edge *e, LLVMValueRef v, const type **key_t) {
  if (partial_of(e->op) != K_GROUP)
    return agg_key(g, e->op, v, key_t);
  *key_t = input_elem(e->op, e->input)->elems[0];
  return LLVMBuildExtractValue(g->b, v, 0, "k");
}

/* A record is parked and unparked a top-level field at a time, and each store and load is
 * listed: a field that every park of the stage stores as one constant (the word count's 1 of
 * (w, 1)) is then that constant where unparked, and is neither stored nor loaded
 * (ring_fold_constants, once the stage's parks are all made). */
typedef struct ring_access {
  unsigned field;
  LLVMValueRef inst;
} ring_access;

static bool value_is_struct(const agg_ring *r) {
  return LLVMGetTypeKind(r->value_t) == LLVMStructTypeKind;
}

static unsigned value_fields(const agg_ring *r) {
  return value_is_struct(r) ? LLVMCountStructElementTypes(r->value_t) : 1;
}

static void list_access(ptr_vec *list, unsigned field, LLVMValueRef inst) {
  ring_access *a = mem_alloc(sizeof *a);
  a->field = field, a->inst = inst;
  vec_push(list, a);
}

/* Where field f of the record in slot i lives. */
static LLVMValueRef value_field(cg *g, agg_ring *r, LLVMValueRef i, unsigned f) {
  LLVMValueRef p = ring_field(g, r, i, SLOT_VALUE);
  return value_is_struct(r) ? LLVMBuildStructGEP2(g->b, r->value_t, p, f, "") : p;
}

/* Field f of the struct v: what the code that built it inserted there, when it can be seen (so
 * that a constant shows as one), else an extractvalue. */
static LLVMValueRef struct_field(cg *g, LLVMValueRef v, unsigned f) {
  for (LLVMValueRef at = v;;) {
    if (LLVMIsAInsertValueInst(at) && LLVMGetNumIndices(at) == 1) {
      if (LLVMGetIndices(at)[0] == f)
        return LLVMGetOperand(at, 1);
      at = LLVMGetOperand(at, 0);
    } else if (LLVMIsAConstant(at) && !LLVMIsUndef(at) && LLVMGetAggregateElement(at, f)) {
      return LLVMGetAggregateElement(at, f);
    } else {
      return LLVMBuildExtractValue(g->b, v, f, "");
    }
  }
}

static void park_value(cg *g, agg_ring *r, LLVMValueRef i, LLVMValueRef v) {
  for (unsigned f = 0; f < value_fields(r); f++) {
    LLVMValueRef x = value_is_struct(r) ? struct_field(g, v, f) : v;
    list_access(&r->stores, f, LLVMBuildStore(g->b, x, value_field(g, r, i, f)));
  }
}

static LLVMValueRef unpark_value(cg *g, agg_ring *r, LLVMValueRef i) {
  LLVMValueRef v = LLVMGetUndef(r->value_t);
  for (unsigned f = 0; f < value_fields(r); f++) {
    LLVMTypeRef ft = value_is_struct(r) ? LLVMStructGetTypeAtIndex(r->value_t, f) : r->value_t;
    LLVMValueRef x = LLVMBuildLoad2(g->b, ft, value_field(g, r, i, f), "parked");
    list_access(&r->loads, f, x);
    v = value_is_struct(r) ? LLVMBuildInsertValue(g->b, v, x, f, "") : x;
  }
  return v;
}

/* The constant every park stored in field f, or NULL. */
static LLVMValueRef parked_constant(const agg_ring *r, unsigned f) {
  LLVMValueRef c = NULL;
  for (int k = 0; k < r->stores.len; k++) {
    const ring_access *a = r->stores.items[k];
    if (a->field != f)
      continue;
    LLVMValueRef x = LLVMGetOperand(a->inst, 0);
    if (!LLVMIsConstant(x) || (c && x != c))
      return NULL;
    c = x;
  }
  return c;
}

static void ring_fold_constants(agg_ring *r) {
  for (unsigned f = 0; f < value_fields(r); f++) {
    LLVMValueRef c = parked_constant(r, f);
    if (!c)
      continue;
    for (int k = 0; k < r->loads.len; k++) {
      ring_access *a = r->loads.items[k];
      if (a->field == f) {
        LLVMReplaceAllUsesWith(a->inst, c);
        LLVMInstructionEraseFromParent(a->inst);
      }
    }
    for (int k = 0; k < r->stores.len; k++) {
      ring_access *a = r->stores.items[k];
      if (a->field == f)
        LLVMInstructionEraseFromParent(a->inst);
    }
  }
}

static void ring_upsert(cg *g, LLVMValueRef i, void *data) {
  plan_edge *e = data;
  agg_ring *r = e->cg_ring;
  LLVMValueRef v = unpark_value(g, r, i);
  parked_key parked = {
    LLVMBuildLoad2(g->b, g->t_i32, ring_field(g, r, i, SLOT_HASH), "hash"),
    ring_field(g, r, i, SLOT_WORDS),
  };
  sink_upsert(g, e, v, &parked);
}

static void feed_deferred(cg *g, plan_edge *e, LLVMValueRef v) {
  agg_ring *r = e->cg_ring;
  if (!r) { /* the first feed of this edge in the stage: a union may feed it twice */
    r = e->cg_ring = mem_alloc(sizeof *r);
    r->value_t = LLVMTypeOf(v);
    r->count = e->cg_ring_count;
    r->words_t = LLVMArrayType2(g->t_i64, 2);
    LLVMTypeRef fields[4] = {[SLOT_VALUE] = r->value_t, [SLOT_HASH] = g->t_i32,
                             [SLOT_WORDS] = r->words_t};
    r->slot_t = LLVMStructTypeInContext(g->ctx, fields, 3, 0);
    /* padded to a power of two, so that a slot's address is a shift (a word count's 48 bytes
       took a multiply by 3 and a shift, twice a record) */
    uint64_t size = LLVMABISizeOfType(g->td, r->slot_t), room = 1;
    while (room < size) room *= 2;
    if (room > size && room <= 256) {
      fields[3] = LLVMArrayType2(g->t_i8, room - size);
      r->slot_t = LLVMStructTypeInContext(g->ctx, fields, 4, 0);
    }
    r->slots = cg_alloca(g, LLVMArrayType2(r->slot_t, RING), "ring");
  }
  LLVMValueRef table = e->cg_state;
  LLVMValueRef n = LLVMBuildLoad2(g->b, g->t_i64, r->count, "parked");
  LLVMValueRef big = cg_rt(g, "dsc_rt_table_is_big", "ip", &table);
  LLVMValueRef parking = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, n, cg_i64(g, 0), ""),
                                     LLVMBuildICmp(g->b, LLVMIntNE, big, cg_i32(g, 0), ""), "");
  LLVMBasicBlockRef direct = cg_block(g, "agg.direct"), park = cg_block(g, "agg.park"),
                    done = cg_block(g, "agg.fed");
  LLVMBuildCondBr(g->b, parking, park, direct);
  LLVMPositionBuilderAtEnd(g->b, direct);
  sink_upsert(g, e, v, NULL);
  LLVMBuildBr(g->b, done);

  LLVMPositionBuilderAtEnd(g->b, park);
  const type *key_t;
  LLVMValueRef key = sink_key(g, e, v, &key_t), kp, kn;
  cg_key_bytes(g, key, key_t, &kp, &kn);
  /* Parked first, then the record parked LAG earlier upserted: this record's values are dead
     by then instead of held (spilled) across the upsert. */
  LLVMValueRef hargs[3] = {kp, kn, ring_field(g, r, n, SLOT_WORDS)};
  LLVMValueRef h = cg_rt(g, "dsc_rt_table_hash", "iplp", hargs);
  LLVMValueRef pargs[2] = {table, h};
  cg_rt(g, "dsc_rt_table_prefetch_hash", "vpi", pargs);
  park_value(g, r, n, v);
  LLVMBuildStore(g->b, h, ring_field(g, r, n, SLOT_HASH));
  LLVMBasicBlockRef then_bb, full_done;
  cg_if(g, LLVMBuildICmp(g->b, LLVMIntSGE, n, cg_i64(g, LAG), ""), &then_bb, &full_done);
  ring_upsert(g, LLVMBuildSub(g->b, n, cg_i64(g, LAG), ""), e);
  cg_end_if(g, full_done);
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, n, cg_i64(g, 1), ""), r->count);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* The task's end: the records still parked, oldest first. */
static void drain_ring(cg *g, plan_edge *e) {
  agg_ring *r = e->cg_ring;
  if (!r)
    return;
  LLVMValueRef n = LLVMBuildLoad2(g->b, g->t_i64, r->count, "parked");
  LLVMValueRef back = LLVMBuildSub(g->b, n, cg_i64(g, LAG), "");
  LLVMValueRef lo = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, back, cg_i64(g, 0), ""),
                                    back, cg_i64(g, 0), "");
  cg_loop(g, lo, n, ring_upsert, e);
  ring_fold_constants(r);
  e->cg_ring = NULL;
}

bool cg_sink_counts(const plan_edge *e) { return partial_of(e->op) == K_COUNT; }

/* Table keys are copied into the table, and print's first elements; anything else whose type
 * holds(...) says so may keep a view of the input, or of what was made for a record. */
static bool sink_holds(const plan_edge *e, bool (*holds)(const type *)) {
  const plan_op *op = e->op;
  switch (partial_of(op)) {
  case K_NONE: case K_COUNT: case K_TEXT: return false; /* text is a copy */
  case K_AGG: {
    const type *payload = cg_agg_payload_lang_type(op);
    return payload && holds(payload);
  }
  case K_REDUCE: return holds(op->elem);
  case K_PRINT: return false; /* copies what it keeps */
  case K_GROUP: case K_COLLECT: return holds(input_elem(op, e->input)) ||
                                       (op->kind == P_SORT && holds(sort_key(op)));
  }
  return true;
}

bool cg_sink_holds_input(const plan_edge *e) { return sink_holds(e, cg_holds_refs); }

/* (A static stage's table keys are not copied when they are strings, but a list key is
 * serialized into a copy: cg_key_bytes.) */
bool cg_sink_holds_lists(const plan_edge *e) { return sink_holds(e, cg_holds_lists); }

void cg_sink_add_count(cg *g, plan_edge *e, LLVMValueRef n) {
  LLVMValueRef cur = LLVMBuildLoad2(g->b, g->t_i64, e->cg_state, "");
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, cur, n, ""), e->cg_state);
}

void cg_sink_feed(cg *g, plan_edge *e, LLVMValueRef v) {
  const plan_op *op = e->op;
  switch (partial_of(op)) {
  case K_NONE: return;
  case K_AGG: case K_GROUP: feed_deferred(g, e, v); return;
  case K_COUNT:
    cg_sink_add_count(g, e, cg_i64(g, 1));
    return;
  case K_REDUCE:
    cg_fold_cell(g, op->fn, e->cg_state, cg_partial_type(g, e), LLVMConstInt(g->t_i1, 1, 0), v);
    return;
  case K_COLLECT: {
    LLVMValueRef vec = e->cg_state;
    LLVMValueRef item = v;
    if (op->kind == P_SORT) {
      /* the key is computed here, in parallel, not once per comparison */
      LLVMValueRef key = op->fn ? cg_apply(g, op->fn, &v, 1)
                       : op->variant == S_SORT_BY_KEY ? LLVMBuildExtractValue(g->b, v, 0, "") : v;
      item = LLVMGetUndef(sort_pair_t(g, op));
      item = LLVMBuildInsertValue(g->b, item, key, 0, "");
      item = LLVMBuildInsertValue(g->b, item, v, 1, "");
    }
    LLVMBuildStore(g->b, item, cg_rt(g, "dsc_rt_vec_push", "pp", &vec));
    return;
  }
  case K_TEXT: {
    LLVMValueRef nl = cg_const_str(g, "\n", 1);
    cg_format(g, e->cg_state, v, input_elem(op, e->input), true);
    LLVMValueRef args[3] = {e->cg_state, LLVMBuildExtractValue(g->b, nl, 0, ""), cg_i64(g, 1)};
    cg_rt(g, "dsc_rt_buf_bytes", "vppl", args);
    return;
  }
  case K_PRINT: {
    /* Only the first n + 1 elements of each task matter: n to show, one to know there are more.
       They are copied, so that the partial keeps nothing of the input or of a record scope. */
    LLVMValueRef vec = e->cg_state;
    LLVMValueRef len = cg_rt(g, "dsc_rt_vec_len", "lp", &vec);
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildICmp(g->b, LLVMIntSLE, len, cg_i64(g, op->n), ""), &then_bb, &done);
    v = cg_persist_in_batch(g, v, input_elem(op, e->input));
    LLVMBuildStore(g->b, v, cg_rt(g, "dsc_rt_vec_push", "pp", &vec));
    cg_end_if(g, done);
    return;
  }
  }
}

void cg_sink_finish(cg *g, plan_edge *e, LLVMValueRef task) {
  partial_kind k = partial_of(e->op);
  if (k == K_AGG || k == K_GROUP)
    drain_ring(g, e);
  if (k == K_COUNT) {
    LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, g->t_i64, e->cg_state, ""), partial_ptr(g, e, task));
  } else if (k == K_REDUCE) {
    LLVMTypeRef cell_t = cg_partial_type(g, e);
    LLVMValueRef args[2] = {g->worker, cg_sizeof(g, cell_t)};
    LLVMValueRef cell = cg_rt(g, "dsc_rt_alloc", "ppl", args);
    LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, cell_t, e->cg_state, ""), cell);
    LLVMBuildStore(g->b, cell, partial_ptr(g, e, task));
  }
}

/* ---- merging (after the feeding stage) ---------------------------------------------------------- */

int cg_breaker_slots(const plan_op *op) {
  if (op->kind == P_SOURCE || plan_is_narrow(op->kind) || plan_is_output(op->kind))
    return 0;
  return op->inputs.len + 1; /* merged per input, then the finalized result */
}

void cg_breaker_begin(cg *g, const plan_op *op) {
  for (int i = 0; i < op->inputs.len; i++)
    cg_store_slot(g, op->slot + i, cg_i64(g, 0));
  if (partial_of(op) == K_REDUCE) {
    LLVMTypeRef cell_t = cg_partial_type(g, plan_input_edge(op, 0));
    LLVMValueRef args[2] = {g->worker, cg_sizeof(g, cell_t)};
    cg_store_slot(g, op->slot, cg_rt(g, "dsc_rt_alloc", "ppl", args));
  }
}

typedef struct merge_ctx {
  plan_edge *e;
  LLVMValueRef into, from;
  LLVMValueRef left;     /* after a shared merge: i8 per entry of `from`, 1 = not merged yet */
  LLVMValueRef share_fn; /* the shared merge's task function, or NULL (see below) */
} merge_ctx;

/* Whether entry i of edge e's task table is live: one that handed its key over (fold_task) is
 * dead until the task meets the key again.  Only a table that hands over has dead entries: the
 * others' merges are not given a check per entry. */
static LLVMValueRef live_entry(cg *g, const plan_edge *e, LLVMValueRef table, LLVMValueRef i) {
  if (!cg_sink_hands_over(e))
    return LLVMConstInt(g->t_i1, 1, 0);
  LLVMValueRef args[2] = {table, i};
  LLVMValueRef live = cg_rt(g, "dsc_rt_table_live_at", "ipl", args);
  return LLVMBuildICmp(g->b, LLVMIntNE, live, cg_i32(g, 0), "live");
}

/* Entry i of m->from upserted by its key into m->into: the entry there (*fresh: just inserted,
 * its payload still to be written); *at gets entry i's payload in m->from. */
static LLVMValueRef upsert_entry_of(cg *g, merge_ctx *m, LLVMValueRef i, LLVMValueRef *at,
                                    LLVMValueRef *fresh) {
  LLVMValueRef klen = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef kargs[3] = {m->from, i, klen};
  LLVMValueRef key = cg_rt(g, "dsc_rt_table_key", "pplp", kargs);
  LLVMValueRef pargs[2] = {m->from, i};
  *at = cg_rt(g, "dsc_rt_table_at", "ppl", pargs);
  return cg_upsert(g, m->into, key, LLVMBuildLoad2(g->b, g->t_i64, klen, ""), fresh);
}

static void merge_live_entry(cg *g, LLVMValueRef i, merge_ctx *m) {
  const plan_op *op = m->e->op;
  LLVMValueRef at, fresh;
  LLVMValueRef dst = upsert_entry_of(g, m, i, &at, &fresh);
  LLVMValueRef src = LLVMBuildLoad2(g->b, cg_partial_type(g, m->e), at, "entry");
  LLVMBasicBlockRef ins = cg_block(g, "merge.insert"), comb = cg_block(g, "merge.combine"),
                    done = cg_block(g, "merge.done");
  LLVMBuildCondBr(g->b, fresh, ins, comb);
  LLVMPositionBuilderAtEnd(g->b, ins);
  LLVMBuildStore(g->b, src, dst);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, comb);
  if (partial_of(op) == K_GROUP) {
    const type *key_t = input_elem(op, m->e->input)->elems[0];
    LLVMValueRef args[2] = {cg_group_values(g, key_t, dst), cg_group_values(g, key_t, at)};
    cg_rt(g, "dsc_rt_vec_extend", "vpp", args);
  } else {
    agg_combine(g, op, dst, payload_value(g, op, src), true);
  }
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

static void merge_entry(cg *g, LLVMValueRef i, void *data) {
  merge_ctx *m = data;
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, live_entry(g, m->e, m->from, i), &then_bb, &done);
  merge_live_entry(g, i, m);
  cg_end_if(g, done);
}

/* ---- the shared merge ----
 * A big task table is merged into the adopted one (the first task's) by one task per range of
 * its entries: a key the adopted table has is combined in place, and no two tasks touch one
 * entry, since a task table holds each key once; a key it lacks is left to the main thread,
 * which then inserts those in the table's order, as the serial merge would.  Aggregation
 * tables only, whose values hold no references: a combine then allocates nothing. */
enum { MERGE_INTO = CG_ENV_FIRST_FREE, MERGE_FROM, MERGE_LEFT, MERGE_SHARES, MERGE_FIELDS };

void cg_prefetch_probe(cg *g, LLVMValueRef table, LLVMValueRef src, LLVMValueRef slot_of,
                       LLVMValueRef entry_of) {
  LLVMValueRef at[2] = {slot_of, entry_of};
  for (int step = 0; step < 2; step++) {
    LLVMValueRef pf[4] = {table, src, at[step], cg_i32(g, step)};
    cg_rt(g, "dsc_rt_table_prefetch_from", "vppli", pf);
  }
}

static bool merges_shared(const plan_op *op) {
  return partial_of(op) == K_AGG && !cg_state_takes_partials(op) &&
         (agg_like(op) == P_DISTINCT || !cg_holds_refs(op->elem->elems[1]));
}

static void merge_found(cg *g, LLVMValueRef i, void *data) {
  merge_ctx *m = data;
  const plan_op *op = m->e->op;
  cg_prefetch_probe(g, m->into, m->from, LLVMBuildAdd(g->b, i, cg_i64(g, 2 * CG_PREFETCH_DISTANCE), ""),
                    LLVMBuildAdd(g->b, i, cg_i64(g, CG_PREFETCH_DISTANCE), ""));
  LLVMValueRef left = LLVMBuildGEP2(g->b, g->t_i8, m->left, &i, 1, "");
  LLVMBuildStore(g->b, LLVMConstInt(g->t_i8, 0, 0), left);
  LLVMBasicBlockRef live_bb, past;
  cg_if(g, live_entry(g, m->e, m->from, i), &live_bb, &past);
  LLVMValueRef fa[3] = {m->into, m->from, i};
  LLVMValueRef dst = cg_rt(g, "dsc_rt_table_find_from", "pppl", fa);
  LLVMValueRef found = LLVMBuildIsNotNull(g->b, dst, "");
  LLVMBuildStore(g->b, LLVMBuildZExt(g->b, LLVMBuildNot(g->b, found, ""), g->t_i8, ""), left);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, found, &then_bb, &done);
  LLVMValueRef pargs[2] = {m->from, i};
  LLVMValueRef at = cg_rt(g, "dsc_rt_table_at", "ppl", pargs);
  LLVMValueRef src = LLVMBuildLoad2(g->b, cg_partial_type(g, m->e), at, "");
  agg_combine(g, op, dst, payload_value(g, op, src), true);
  cg_end_if(g, done);
  cg_end_if(g, past);
}

/* op<N>.in<I>.merge_share(env, worker, task): the task's range of `from`; made once. */
static LLVMValueRef merge_share_fn(cg *g, plan_edge *e) {
  const char *name = mem_printf("op%d.in%d.merge_share", e->op->id, e->input);
  LLVMValueRef made = LLVMGetNamedFunction(g->mod, name);
  if (made)
    return made;
  LLVMValueRef fn, env, task;
  cg_resume r = cg_task_begin(g, name, &fn, &env, &task);
  merge_ctx m = {e, NULL, NULL, NULL, NULL};
  m.into = LLVMBuildLoad2(g->b, g->t_ptr, cg_env_field(g, env, MERGE_INTO), "");
  m.from = LLVMBuildLoad2(g->b, g->t_ptr, cg_env_field(g, env, MERGE_FROM), "");
  m.left = LLVMBuildLoad2(g->b, g->t_ptr, cg_env_field(g, env, MERGE_LEFT), "");
  LLVMValueRef shares = LLVMBuildLoad2(g->b, g->t_i64, cg_env_field(g, env, MERGE_SHARES), "");
  LLVMValueRef n = cg_rt(g, "dsc_rt_table_len", "lp", &m.from);
  cg_loop_task_range(g, n, task, shares, merge_found, &m);
  cg_task_end(g, r);
  return fn;
}

static void merge_left(cg *g, LLVMValueRef i, void *data) {
  merge_ctx *m = data;
  LLVMValueRef left = LLVMBuildLoad2(g->b, g->t_i8, LLVMBuildGEP2(g->b, g->t_i8, m->left, &i, 1, ""), "");
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildICmp(g->b, LLVMIntNE, left, LLVMConstInt(g->t_i8, 0, 0), ""), &then_bb, &done);
  merge_live_entry(g, i, m);
  cg_end_if(g, done);
}

/* Merges the task table `from` into `into`: shared among the workers when it is big enough. */
static void merge_tables(cg *g, merge_ctx *m) {
  LLVMValueRef n = cg_rt(g, "dsc_rt_table_len", "lp", &m->from);
  if (!m->share_fn) {
    cg_loop(g, cg_i64(g, 0), n, merge_entry, m);
    return;
  }
  LLVMValueRef shares = cg_result_tasks(g, n);
  LLVMBasicBlockRef shared = cg_block(g, "merge.shared"), serial = cg_block(g, "merge.serial"),
                    merged = cg_block(g, "merge.tables_done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, shares, cg_i64(g, 1), ""), shared, serial);
  LLVMPositionBuilderAtEnd(g->b, shared);
  LLVMValueRef aargs[2] = {g->worker, LLVMBuildAdd(g->b, n, cg_i64(g, 1), "")};
  m->left = cg_rt(g, "dsc_rt_alloc", "ppl", aargs);
  LLVMValueRef env = cg_env_new(g, MERGE_FIELDS);
  LLVMBuildStore(g->b, m->into, cg_env_field(g, env, MERGE_INTO));
  LLVMBuildStore(g->b, m->from, cg_env_field(g, env, MERGE_FROM));
  LLVMBuildStore(g->b, m->left, cg_env_field(g, env, MERGE_LEFT));
  LLVMBuildStore(g->b, shares, cg_env_field(g, env, MERGE_SHARES));
  cg_run_tasks(g, shares, m->share_fn, env);
  cg_loop(g, cg_i64(g, 0), n, merge_left, m);
  LLVMBuildBr(g->b, merged);
  LLVMPositionBuilderAtEnd(g->b, serial);
  cg_loop(g, cg_i64(g, 0), n, merge_entry, m);
  LLVMBuildBr(g->b, merged);
  LLVMPositionBuilderAtEnd(g->b, merged);
}

/* Combines the partial that `from` holds (a partials-array element) into the one `into` holds:
 * a count added, a fold cell folded, a vec appended, a table merged (into holds one already). */
static void combine_partial(cg *g, plan_edge *e, LLVMValueRef into, LLVMValueRef from,
                            LLVMValueRef share_fn) {
  const plan_op *op = e->op;
  switch (partial_of(op)) {
  case K_COUNT: {
    LLVMValueRef sum = LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i64, into, ""),
                                    LLVMBuildLoad2(g->b, g->t_i64, from, ""), "");
    LLVMBuildStore(g->b, sum, into);
    return;
  }
  case K_REDUCE: {
    LLVMTypeRef cell_t = cg_partial_type(g, e);
    LLVMValueRef part = LLVMBuildLoad2(g->b, cell_t, LLVMBuildLoad2(g->b, g->t_ptr, from, ""), "");
    cg_fold_cell(g, op->fn, LLVMBuildLoad2(g->b, g->t_ptr, into, ""), cell_t,
                 LLVMBuildExtractValue(g->b, part, 0, ""), LLVMBuildExtractValue(g->b, part, 1, ""));
    return;
  }
  default: break;
  }
  LLVMValueRef cur = LLVMBuildLoad2(g->b, g->t_ptr, into, "into");
  LLVMValueRef part = LLVMBuildLoad2(g->b, g->t_ptr, from, "part");
  if (partial_of(op) == K_COLLECT) {
    LLVMValueRef args[2] = {cur, part};
    cg_rt(g, "dsc_rt_vec_extend", "vpp", args);
  } else {
    merge_ctx m = {e, cur, part, NULL, share_fn};
    merge_tables(g, &m);
  }
}

static void merge_task(cg *g, LLVMValueRef task, void *data) {
  merge_ctx *m = data;
  plan_edge *e = m->e;
  const plan_op *op = e->op;
  int slot = op->slot + e->input;
  LLVMValueRef where = partial_ptr(g, e, task);
  if (partial_of(op) == K_COUNT || partial_of(op) == K_REDUCE) {
    combine_partial(g, e, cg_slot_ptr(g, slot), where, NULL);
    return;
  }
  /* Tables and vectors: the first partial is adopted, later ones merged into it. */
  LLVMValueRef part = LLVMBuildLoad2(g->b, g->t_ptr, where, "part");
  if (partial_of(op) == K_AGG || partial_of(op) == K_GROUP) {
    /* the size hint: the largest task table of this batch, read before any merging grows one */
    LLVMValueRef hint = size_hint(g, e), len = cg_rt(g, "dsc_rt_table_len", "lp", &part);
    LLVMValueRef old = LLVMBuildLoad2(g->b, g->t_i64, hint, "");
    LLVMValueRef first = LLVMBuildICmp(g->b, LLVMIntEQ, task, cg_i64(g, 0), "");
    LLVMValueRef larger = LLVMBuildICmp(g->b, LLVMIntSGT, len, old, "");
    LLVMBuildStore(g->b, LLVMBuildSelect(g->b, LLVMBuildOr(g->b, first, larger, ""), len, old, ""), hint);
  }
  if (cg_state_takes_partials(op))
    return;
  LLVMValueRef cur = cg_load_slot(g, slot, g->t_ptr);
  LLVMBasicBlockRef adopt = cg_block(g, "adopt"), merge = cg_block(g, "merge"),
                    done = cg_block(g, "merged");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cur, ""), adopt, merge);
  LLVMPositionBuilderAtEnd(g->b, adopt);
  cg_store_slot(g, slot, part);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, merge);
  combine_partial(g, e, cg_slot_ptr(g, slot), where, m->share_fn);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* ---- merging between early calls ---- */

bool cg_sink_folds_early(const plan_edge *e) {
  if (plan_is_output(e->op->kind) || cg_state_takes_partials(e->op))
    return false;
  switch (partial_of(e->op)) {
  case K_AGG: case K_GROUP: case K_COUNT: case K_REDUCE: case K_COLLECT: return true;
  default: return false;
  }
}

/* An aggregation whose combine gives the same result in any order (a count, a distinct, a sum
 * of ints) hands over between early calls only the keys its task table met for the first time
 * (fold_task); the values of the keys task 0's table has stay and grow in the task's table until
 * the batch's merge.  Keeping its table whole saves every call its keys again: a word count's
 * task table met most of its 50,000 words anew in each call of 4 MiB, and the folds took 10% of
 * its time at 2 threads (bench/RESULTS.md, eighteenth session). */
bool cg_sink_hands_over(const plan_edge *e) {
  const plan_op *op = e->op;
  if (op->kind == P_WINDOW || partial_of(op) != K_AGG || cg_state_takes_partials(op))
    return false;
  switch (agg_like(op)) {
  case P_DISTINCT: case P_COUNT_BY_VALUE: return true;
  case P_REDUCE_BY_KEY: return plan_sums_ints(op->fn, op->elem->elems[1]);
  default: return false;
  }
}

/* Entry i of `from`, new since the last fold: its key and value go to `into` if that lacks the
 * key, which then has it in the order the input first gave it (task 0's new keys came before,
 * from earlier lines); the entry dies, and comes back zeroed when the task meets the key again.
 * Else the entry stays, to be combined at the batch's merge. */
static void hand_over_key(cg *g, LLVMValueRef i, void *data) {
  merge_ctx *m = data;
  LLVMValueRef src, fresh;
  LLVMValueRef dst = upsert_entry_of(g, m, i, &src, &fresh);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, fresh, &then_bb, &done);
  LLVMBuildStore(g->b, LLVMBuildLoad2(g->b, cg_partial_type(g, m->e), src, "entry"), dst);
  LLVMValueRef rargs[2] = {m->from, src};
  cg_rt(g, "dsc_rt_table_remove", "vpp", rargs);
  cg_end_if(g, done);
}

/* Task `task`'s partial into task 0's (a new key's entry moves to task 0's table whole, a
 * group's values vec with it), then emptied for the next call: every task that ran left a fold
 * cell (cg_sink_finish), and the next call makes a new one.  A table that hands over
 * (cg_sink_hands_over) gives only its new keys instead, and is kept. */
static void fold_task(cg *g, LLVMValueRef task, void *data) {
  plan_edge *e = data;
  const plan_op *op = e->op;
  LLVMValueRef where = partial_ptr(g, e, task);
  if (cg_sink_hands_over(e)) {
    merge_ctx m = {e, LLVMBuildLoad2(g->b, g->t_ptr, partial_ptr(g, e, cg_i64(g, 0)), "into"),
                   LLVMBuildLoad2(g->b, g->t_ptr, where, "from"), NULL, NULL};
    LLVMValueRef first = cg_rt(g, "dsc_rt_table_mark_folded", "lp", &m.from);
    cg_loop(g, first, cg_rt(g, "dsc_rt_table_len", "lp", &m.from), hand_over_key, &m);
    return;
  }
  combine_partial(g, e, partial_ptr(g, e, cg_i64(g, 0)), where,
                  merges_shared(op) ? merge_share_fn(g, e) : NULL);
  if (partial_of(op) == K_COUNT) {
    LLVMBuildStore(g->b, cg_i64(g, 0), where);
  } else if (partial_of(op) == K_REDUCE) {
    LLVMBuildStore(g->b, LLVMConstNull(g->t_ptr), where);
  } else {
    LLVMValueRef from = LLVMBuildLoad2(g->b, g->t_ptr, where, "from");
    cg_rt(g, partial_of(op) == K_COLLECT ? "dsc_rt_vec_clear" : "dsc_rt_table_clear", "vp", &from);
  }
}

void cg_sink_fold_into_first(cg *g, plan_edge *e, LLVMValueRef ntasks) {
  cg_loop(g, cg_i64(g, 1), ntasks, fold_task, e);
}

void cg_merge_table(cg *g, const plan_op *op, LLVMValueRef into, LLVMValueRef from) {
  merge_ctx m = {plan_input_edge(op, 0), into, from, NULL, NULL};
  cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_table_len", "lp", &from), merge_entry, &m);
}

void cg_sink_merge(cg *g, plan_edge *e, LLVMValueRef ntasks) {
  if (plan_is_output(e->op->kind) || partial_of(e->op) == K_NONE)
    return; /* outputs read their partials in place */
  merge_ctx m = {e, NULL, NULL, NULL, merges_shared(e->op) ? merge_share_fn(g, e) : NULL};
  cg_loop(g, cg_i64(g, 0), ntasks, merge_task, &m);
}

/* A comparator for dsc_rt_sort over {key, element} pairs: int32 cmp(const void *, const void *). */
static LLVMValueRef sort_comparator(cg *g, const plan_op *op) {
  LLVMValueRef saved_fn = g->fn;
  LLVMBasicBlockRef saved_bb = LLVMGetInsertBlock(g->b);
  LLVMTypeRef params[2] = {g->t_ptr, g->t_ptr};
  LLVMValueRef fn = LLVMAddFunction(g->mod, mem_printf("dsc_sort_cmp_%d", op->id),
                                    LLVMFunctionType(g->t_i32, params, 2, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  g->fn = fn;
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  LLVMTypeRef key_t = cg_type(g, sort_key(op));
  LLVMValueRef a = LLVMBuildLoad2(g->b, key_t, LLVMGetParam(fn, 0), "a");
  LLVMValueRef b = LLVMBuildLoad2(g->b, key_t, LLVMGetParam(fn, 1), "b");
  LLVMValueRef c = cg_compare(g, a, b, sort_key(op));
  if (!op->ascending)
    c = LLVMBuildSub(g->b, cg_i32(g, 0), c, "");
  LLVMBuildRet(g->b, c);
  g->fn = saved_fn;
  LLVMPositionBuilderAtEnd(g->b, saved_bb);
  return fn;
}

static bool is_stateful(const plan_op *op) {
  return op->kind == P_WINDOW || op->kind == P_UPDATE_STATE || op->kind == P_MAP_WITH_STATE ||
         op->kind == P_SNAPSHOTS;
}

LLVMValueRef cg_breaker_finalize(cg *g, const plan_op *op) {
  if (is_stateful(op))
    return cg_state_finalize(g, op);
  LLVMValueRef active = LLVMConstInt(g->t_i1, 1, 0);
  int result = op->slot + op->inputs.len;
  switch (partial_of(op)) {
  case K_AGG: case K_GROUP:
    /* an input no stage fed (an empty batch still runs every task, so this is rare) */
    for (int i = 0; i < op->inputs.len; i++) {
      LLVMValueRef cur = cg_load_slot(g, op->slot + i, g->t_ptr);
      LLVMBasicBlockRef then_bb, done;
      cg_if(g, LLVMBuildIsNull(g->b, cur, ""), &then_bb, &done);
      cg_store_slot(g, op->slot + i,
                    rt_new(g, "dsc_rt_table_new", cg_partial_type(g, plan_input_edge(op, i))));
      cg_end_if(g, done);
    }
    return active;
  case K_COLLECT: {
    /* concatenate the inputs in input order (union), or sort the one input */
    LLVMTypeRef elem = cg_partial_type(g, plan_input_edge(op, 0));
    LLVMValueRef out = rt_new(g, "dsc_rt_vec_new", elem);
    for (int i = 0; i < op->inputs.len; i++) {
      LLVMValueRef cur = cg_load_slot(g, op->slot + i, g->t_ptr);
      LLVMBasicBlockRef then_bb, done;
      cg_if(g, LLVMBuildIsNotNull(g->b, cur, ""), &then_bb, &done);
      LLVMValueRef args[2] = {out, cur};
      cg_rt(g, "dsc_rt_vec_extend", "vpp", args);
      cg_end_if(g, done);
    }
    if (op->kind == P_SORT) {
      LLVMValueRef args[4] = {cg_rt(g, "dsc_rt_vec_data", "pp", &out),
                              cg_rt(g, "dsc_rt_vec_len", "lp", &out), cg_sizeof(g, elem),
                              sort_comparator(g, op)};
      cg_rt(g, "dsc_rt_sort", "vpllp", args);
    }
    cg_store_slot(g, result, out);
    return active;
  }
  default: return active;
  }
}

/* ---- a breaker's own stage: reading its result ------------------------------------------------- */

static bool joins_right_only(const plan_op *op) {
  return op->variant == S_RIGHT_OUTER_JOIN || op->variant == S_FULL_OUTER_JOIN ||
         op->variant == S_COGROUP;
}

LLVMValueRef cg_root_count(cg *g, const plan_op *root) {
  if (is_stateful(root))
    return cg_state_root_count(g, root);
  switch (root->kind) {
  case P_COUNT: return cg_i64(g, 1);
  case P_REDUCE: {
    LLVMValueRef cell = cg_load_slot(g, root->slot, g->t_ptr);
    LLVMValueRef has = LLVMBuildLoad2(g->b, g->t_i1, cell, "has");
    return LLVMBuildZExt(g->b, has, g->t_i64, "");
  }
  case P_UNION: case P_SORT: {
    LLVMValueRef vec = cg_load_slot(g, root->slot + root->inputs.len, g->t_ptr);
    LLVMValueRef n = cg_rt(g, "dsc_rt_vec_len", "lp", &vec);
    if (root->kind == P_SORT && root->n >= 0) {
      LLVMValueRef cap = cg_i64(g, root->n);
      n = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, n, cap, ""), n, cap, "");
    }
    return n;
  }
  case P_JOIN: {
    LLVMValueRef left = cg_load_slot(g, root->slot, g->t_ptr);
    LLVMValueRef n = cg_rt(g, "dsc_rt_table_len", "lp", &left);
    if (joins_right_only(root)) {
      LLVMValueRef right = cg_load_slot(g, root->slot + 1, g->t_ptr);
      n = LLVMBuildAdd(g->b, n, cg_rt(g, "dsc_rt_table_len", "lp", &right), "");
    }
    return n;
  }
  default: {
    LLVMValueRef table = cg_load_slot(g, root->slot, g->t_ptr);
    return cg_rt(g, "dsc_rt_table_len", "lp", &table);
  }
  }
}

/* Joined output for one key: every (left value, right value) pair, or one side alone. */
typedef struct join_ctx {
  const plan_op *op;
  LLVMValueRef key;
  LLVMValueRef lvec, rvec; /* NULL when that side is missing */
  LLVMValueRef lv;         /* the current left value inside the pair loop */
} join_ctx;

LLVMValueRef cg_vec_item(cg *g, LLVMValueRef vec, LLVMValueRef i, const type *t) {
  LLVMValueRef args[2] = {vec, i};
  return LLVMBuildLoad2(g->b, cg_type(g, t), cg_rt(g, "dsc_rt_vec_at", "ppl", args), "");
}

static void join_emit(cg *g, join_ctx *j, LLVMValueRef lv, LLVMValueRef rv) {
  const type *vw = j->op->elem->elems[1];
  LLVMValueRef left = lv, right = rv;
  if (vw->elems[0]->kind == T_OPTION && j->op->variant != S_COGROUP)
    left = lv ? cg_some(g, lv, vw->elems[0]) : cg_none(g, vw->elems[0]);
  if (vw->elems[1]->kind == T_OPTION && j->op->variant != S_COGROUP)
    right = rv ? cg_some(g, rv, vw->elems[1]) : cg_none(g, vw->elems[1]);
  LLVMValueRef pair = LLVMGetUndef(cg_type(g, vw));
  pair = LLVMBuildInsertValue(g->b, pair, left, 0, "");
  pair = LLVMBuildInsertValue(g->b, pair, right, 1, "");
  LLVMValueRef out = LLVMGetUndef(cg_type(g, j->op->elem));
  out = LLVMBuildInsertValue(g->b, out, j->key, 0, "");
  out = LLVMBuildInsertValue(g->b, out, pair, 1, "");
  cg_feed_consumers(g, j->op, out);
}

static const type *side_type(const plan_op *op, int side) {
  return input_elem(op, side)->elems[1];
}

static void join_right(cg *g, LLVMValueRef i, void *data) {
  join_ctx *j = data;
  join_emit(g, j, j->lv, cg_vec_item(g, j->rvec, i, side_type(j->op, 1)));
}

static void join_left(cg *g, LLVMValueRef i, void *data) {
  join_ctx *j = data;
  LLVMValueRef lv = cg_vec_item(g, j->lvec, i, side_type(j->op, 0));
  if (j->rvec) {
    j->lv = lv;
    cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &j->rvec), join_right, j);
  } else {
    join_emit(g, j, lv, NULL);
  }
}

static void join_right_alone(cg *g, LLVMValueRef i, void *data) {
  join_ctx *j = data;
  join_emit(g, j, NULL, cg_vec_item(g, j->rvec, i, side_type(j->op, 1)));
}

/* One key of a join; either vector may be NULL (that side has no values for the key). */
static void join_key(cg *g, join_ctx *j) {
  const plan_op *op = j->op;
  if (op->variant == S_COGROUP) {
    LLVMValueRef empty = LLVMConstNull(g->t_list);
    join_emit(g, j, j->lvec ? cg_vec_list(g, j->lvec) : empty, j->rvec ? cg_vec_list(g, j->rvec) : empty);
    return;
  }
  if (j->lvec)
    cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &j->lvec), join_left, j);
  else
    cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &j->rvec), join_right_alone, j);
}

/* The group entry (key, values vector) at index i of table t, its key bytes, and the entry for
 * the same key in the other table (NULL if none). */
static void group_entry(cg *g, const plan_op *op, int side, LLVMValueRef t, LLVMValueRef other,
                        LLVMValueRef i, LLVMValueRef *key, LLVMValueRef *vec, LLVMValueRef *found) {
  const type *key_t = op->elem->elems[0];
  LLVMValueRef pargs[2] = {t, i};
  LLVMValueRef payload = cg_rt(g, "dsc_rt_table_at", "ppl", pargs);
  *key = cg_group_key(g, key_t, t, i, payload);
  *vec = cg_group_values(g, key_t, payload);
  LLVMValueRef klen = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef kargs[3] = {t, i, klen};
  LLVMValueRef kp = cg_rt(g, "dsc_rt_table_key", "pplp", kargs);
  LLVMValueRef fargs[3] = {other, kp, LLVMBuildLoad2(g->b, g->t_i64, klen, "")};
  *found = cg_rt(g, "dsc_rt_table_find", "pppl", fargs);
}

static void root_feed_join(cg *g, const plan_op *op, LLVMValueRef i) {
  LLVMValueRef left = cg_load_slot(g, op->slot, g->t_ptr);
  LLVMValueRef right = cg_load_slot(g, op->slot + 1, g->t_ptr);
  LLVMValueRef nl = cg_rt(g, "dsc_rt_table_len", "lp", &left);
  LLVMBasicBlockRef in_left = cg_block(g, "join.left"), in_right = cg_block(g, "join.right"),
                    done = cg_block(g, "join.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, i, nl, ""), in_left, in_right);

  /* keys of the left side, in first-appearance order */
  LLVMPositionBuilderAtEnd(g->b, in_left);
  join_ctx j = {op, NULL, NULL, NULL, NULL};
  LLVMValueRef found;
  group_entry(g, op, 0, left, right, i, &j.key, &j.lvec, &found);
  LLVMBasicBlockRef both = cg_block(g, "join.both"), alone = cg_block(g, "join.alone");
  LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, found, ""), both, alone);
  LLVMPositionBuilderAtEnd(g->b, both);
  j.rvec = cg_group_values(g, op->elem->elems[0], found);
  join_key(g, &j);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, alone);
  if (op->variant == S_LEFT_OUTER_JOIN || op->variant == S_FULL_OUTER_JOIN || op->variant == S_COGROUP) {
    j.rvec = NULL;
    join_key(g, &j);
  }
  LLVMBuildBr(g->b, done);

  /* then the keys only the right side has */
  LLVMPositionBuilderAtEnd(g->b, in_right);
  if (joins_right_only(op)) {
    join_ctx r = {op, NULL, NULL, NULL, NULL};
    group_entry(g, op, 1, right, left, LLVMBuildSub(g->b, i, nl, ""), &r.key, &r.rvec, &found);
    LLVMBasicBlockRef only = cg_block(g, "join.right_only");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, found, ""), only, done);
    LLVMPositionBuilderAtEnd(g->b, only);
    join_key(g, &r);
  }
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

void cg_root_feed(cg *g, const plan_op *root, LLVMValueRef i) {
  LLVMValueRef v;
  if (is_stateful(root)) {
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, cg_state_root_live(g, root, i), &then_bb, &done);
    cg_feed_consumers(g, root, cg_state_root_elem(g, root, i));
    cg_end_if(g, done);
    return;
  }
  switch (root->kind) {
  case P_COUNT: v = cg_load_slot(g, root->slot, g->t_i64); break;
  case P_REDUCE: {
    LLVMTypeRef cell_t = cg_partial_type(g, plan_input_edge(root, 0));
    LLVMValueRef cell = LLVMBuildLoad2(g->b, cell_t, cg_load_slot(g, root->slot, g->t_ptr), "");
    v = LLVMBuildExtractValue(g->b, cell, 1, "");
    break;
  }
  case P_UNION: case P_SORT: {
    LLVMValueRef vec = cg_load_slot(g, root->slot + root->inputs.len, g->t_ptr);
    LLVMValueRef args[2] = {vec, i};
    LLVMValueRef p = cg_rt(g, "dsc_rt_vec_at", "ppl", args);
    if (root->kind == P_SORT)
      v = LLVMBuildExtractValue(g->b, LLVMBuildLoad2(g->b, sort_pair_t(g, root), p, ""), 1, "");
    else
      v = LLVMBuildLoad2(g->b, cg_type(g, root->elem), p, "");
    break;
  }
  case P_GROUP_BY_KEY: {
    LLVMValueRef table = cg_load_slot(g, root->slot, g->t_ptr);
    LLVMValueRef args[2] = {table, i};
    const type *key_t = root->elem->elems[0];
    LLVMValueRef payload = cg_rt(g, "dsc_rt_table_at", "ppl", args);
    v = LLVMGetUndef(cg_type(g, root->elem));
    v = LLVMBuildInsertValue(g->b, v, cg_group_key(g, key_t, table, i, payload), 0, "");
    v = LLVMBuildInsertValue(g->b, v, cg_vec_list(g, cg_group_values(g, key_t, payload)), 1, "");
    break;
  }
  case P_JOIN: root_feed_join(g, root, i); return;
  default: /* an aggregation */
    v = cg_agg_elem(g, root, cg_load_slot(g, root->slot, g->t_ptr), i);
  }
  cg_feed_consumers(g, root, v);
}

/* ---- output operations (main thread, program order, after every stage) ------------------------ */

typedef struct output_ctx {
  const plan_op *op;
  plan_edge *e;
  LLVMValueRef buf, shown, total, vec;
} output_ctx;

/* print(n): the first n elements, from the tasks' first n + 1 each. */
static void output_elem(cg *g, LLVMValueRef i, void *data) {
  output_ctx *oc = data;
  LLVMBasicBlockRef then_bb, done;
  LLVMValueRef shown = LLVMBuildLoad2(g->b, g->t_i64, oc->shown, "");
  cg_if(g, LLVMBuildICmp(g->b, LLVMIntSLT, shown, cg_i64(g, oc->op->n), ""), &then_bb, &done);
  LLVMValueRef v = cg_vec_item(g, oc->vec, i, oc->op->elem);
  cg_format(g, oc->buf, v, oc->op->elem, true);
  LLVMValueRef nl = cg_const_str(g, "\n", 1);
  LLVMValueRef bargs[3] = {oc->buf, LLVMBuildExtractValue(g->b, nl, 0, ""), cg_i64(g, 1)};
  cg_rt(g, "dsc_rt_buf_bytes", "vppl", bargs);
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, shown, cg_i64(g, 1), ""), oc->shown);
  cg_end_if(g, done);
}

static void output_task(cg *g, LLVMValueRef task, void *data) {
  output_ctx *oc = data;
  LLVMValueRef part = LLVMBuildLoad2(g->b, g->t_ptr, partial_ptr(g, oc->e, task), "part");
  if (oc->op->kind != P_PRINT) { /* the task's lines, formatted already */
    LLVMValueRef args[2] = {oc->op->kind == P_STDOUT ? g->ctx_val : oc->buf, part};
    cg_rt(g, oc->op->kind == P_STDOUT ? "dsc_rt_output_text" : "dsc_rt_buf_append", "vpp", args);
    return;
  }
  oc->vec = part;
  LLVMValueRef len = cg_rt(g, "dsc_rt_vec_len", "lp", &oc->vec);
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, LLVMBuildLoad2(g->b, g->t_i64, oc->total, ""), len, ""),
                 oc->total);
  cg_loop(g, cg_i64(g, 0), len, output_elem, oc);
}

void cg_output(cg *g, const plan_op *op, LLVMValueRef batch) {
  output_ctx oc = {op, plan_input_edge(op, 0), NULL, cg_alloca(g, g->t_i64, "shown"),
                   cg_alloca(g, g->t_i64, "total"), NULL};
  LLVMBuildStore(g->b, cg_i64(g, 0), oc.shown);
  LLVMBuildStore(g->b, cg_i64(g, 0), oc.total);
  LLVMValueRef ntasks = cg_load_slot(g, oc.e->stage->slot, g->t_i64);
  switch (op->kind) {
  case P_PRINT: {
    LLVMValueRef args[2] = {g->ctx_val, batch};
    cg_rt(g, "dsc_rt_print_begin", "vpp", args);
    oc.buf = cg_rt(g, "dsc_rt_output", "pp", &g->ctx_val);
    cg_loop(g, cg_i64(g, 0), ntasks, output_task, &oc);
    LLVMValueRef more = LLVMBuildICmp(g->b, LLVMIntSGT, LLVMBuildLoad2(g->b, g->t_i64, oc.total, ""),
                                      cg_i64(g, op->n), "");
    LLVMValueRef eargs[2] = {g->ctx_val, LLVMBuildZExt(g->b, more, g->t_i32, "")};
    cg_rt(g, "dsc_rt_print_end", "vpi", eargs);
    return;
  }
  case P_STDOUT:
    cg_loop(g, cg_i64(g, 0), ntasks, output_task, &oc);
    cg_rt(g, "dsc_rt_output_flush", "vp", &g->ctx_val);
    return;
  case P_SAVE: {
    LLVMValueRef prefix = cg_expr(g, op->node->cond), suffix = cg_expr(g, op->node->rhs);
    LLVMValueRef args[6] = {g->ctx_val, batch,
                            LLVMBuildExtractValue(g->b, prefix, 0, ""), LLVMBuildExtractValue(g->b, prefix, 1, ""),
                            LLVMBuildExtractValue(g->b, suffix, 0, ""), LLVMBuildExtractValue(g->b, suffix, 1, "")};
    oc.buf = cg_rt(g, "dsc_rt_save_begin", "pppplpl", args);
    cg_loop(g, cg_i64(g, 0), ntasks, output_task, &oc);
    LLVMValueRef eargs[2] = {g->ctx_val, oc.buf};
    cg_rt(g, "dsc_rt_save_end", "vpp", eargs);
    return;
  }
  default: unreachable();
  }
}
