/* cg_state.c — windows and state that live across batches.
 *
 * Everything a batch keeps for later is deep-copied (strings and lists included) into a
 * runtime store: a pane store per batch for windows, one store for a state table.  A pane's
 * store is freed when the pane leaves the window.  updateStateByKey rebuilds its table into a
 * fresh store every batch (live entries only); the incremental window and mapWithState update
 * theirs in place and rebuild them when dead entries or superseded copies pile up.  Either way
 * memory stays bounded by the window and the live keys, never by the stream's history.
 *
 * All of this runs in dsc_gen_batch, in the breaker's finalize step, after the feeding stage
 * has merged its per-task partials into one batch result (the incremental window reads the
 * per-task tables themselves), on the main thread; only the incremental window's update of a
 * big batch is shared among the workers ("the shared update", below):
 *   window:  a pane per batch (records, count, fold cell or per-key table); at slide times the
 *            panes are combined — or, for the incremental form, a state table gets the
 *            entering batch added with f and the leaving pane taken out with invF, the pane
 *            holding state entry numbers and values rather than keys;
 *   updateStateByKey: f(values, state) for every key in the state and every new key;
 *   mapWithState: f(key, value, state) for each record in order, then idle timeouts. */
#include <string.h>

#include "cg.h"
#include "ops.h"
#include "types.h"

enum { SLOT_BATCH = 1 };

/* A module global of the op, created on first use. */
static LLVMValueRef op_global(cg *g, const plan_op *op, const char *what, LLVMTypeRef t) {
  return cg_global(g, mem_printf("op%d.%s", op->id, what), t);
}

static LLVMValueRef load(cg *g, LLVMTypeRef t, LLVMValueRef p) { return LLVMBuildLoad2(g->b, t, p, ""); }

static LLVMValueRef batch_time(cg *g) {
  LLVMValueRef batch = cg_load_slot(g, SLOT_BATCH, g->t_ptr);
  return cg_rt(g, "dsc_rt_batch_time", "lp", &batch);
}

/* ---- deep copies into a store ---------------------------------------------------------------- */

/* Where a deep copy goes: a store (dsc_rt_store_alloc), or a worker's batch arena
 * (dsc_rt_alloc, cg_persist_in_batch). */
typedef struct persist_to {
  LLVMValueRef target;
  const char *alloc;
} persist_to;

typedef struct persist_list {
  persist_to to_mem;
  LLVMValueRef from, to;
  const type *elem;
} persist_list;

static LLVMValueRef persist_into(cg *g, LLVMValueRef v, const type *t, persist_to to);

static void persist_item(cg *g, LLVMValueRef i, void *data) {
  persist_list *pl = data;
  LLVMTypeRef et = cg_type(g, pl->elem);
  LLVMValueRef src = LLVMBuildGEP2(g->b, et, pl->from, &i, 1, "");
  LLVMValueRef dst = LLVMBuildGEP2(g->b, et, pl->to, &i, 1, "");
  LLVMBuildStore(g->b, persist_into(g, load(g, et, src), pl->elem, pl->to_mem), dst);
}

static bool holds(const type *t, bool strings) {
  switch (t->kind) {
  case T_STRING: return strings;
  case T_LIST: return true;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (holds(t->elems[i], strings))
        return true;
    return false;
  case T_OPTION: return holds(t->elem, strings);
  default: return false;
  }
}

bool cg_holds_refs(const type *t) { return holds(t, true); }

bool cg_holds_lists(const type *t) { return holds(t, false); }

/* v with every string and list it holds copied into `to`. */
static LLVMValueRef persist_into(cg *g, LLVMValueRef v, const type *t, persist_to to) {
  if (!cg_holds_refs(t))
    return v;
  switch (t->kind) {
  case T_STRING: {
    LLVMValueRef n = LLVMBuildExtractValue(g->b, v, 1, "");
    LLVMValueRef args[2] = {to.target, n};
    LLVMValueRef p = cg_rt(g, to.alloc, "ppl", args);
    LLVMBuildMemCpy(g->b, p, 1, LLVMBuildExtractValue(g->b, v, 0, ""), 1, n);
    return LLVMBuildInsertValue(g->b, v, p, 0, "");
  }
  case T_LIST: {
    LLVMValueRef n = LLVMBuildExtractValue(g->b, v, 1, "");
    LLVMValueRef bytes = LLVMBuildMul(g->b, n, cg_sizeof(g, cg_type(g, t->elem)), "");
    LLVMValueRef args[2] = {to.target, bytes};
    persist_list pl = {to, LLVMBuildExtractValue(g->b, v, 0, ""), cg_rt(g, to.alloc, "ppl", args),
                       t->elem};
    cg_loop(g, cg_i64(g, 0), n, persist_item, &pl);
    return LLVMBuildInsertValue(g->b, v, pl.to, 0, "");
  }
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      v = LLVMBuildInsertValue(g->b, v,
                               persist_into(g, LLVMBuildExtractValue(g->b, v, (unsigned)i, ""),
                                            t->elems[i], to),
                               (unsigned)i, "");
    return v;
  case T_OPTION: { /* none's value is not one: only some's is copied */
    LLVMValueRef slot = cg_alloca(g, LLVMTypeOf(v), "option");
    LLVMBuildStore(g->b, v, slot);
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildExtractValue(g->b, v, 0, "some"), &then_bb, &done);
    LLVMValueRef inner = persist_into(g, LLVMBuildExtractValue(g->b, v, 1, ""), t->elem, to);
    LLVMBuildStore(g->b, LLVMBuildInsertValue(g->b, v, inner, 1, ""), slot);
    cg_end_if(g, done);
    return load(g, LLVMTypeOf(v), slot);
  }
  default: unreachable();
  }
}

static LLVMValueRef persist(cg *g, LLVMValueRef v, const type *t, LLVMValueRef store) {
  return persist_into(g, v, t, (persist_to){store, "dsc_rt_store_alloc"});
}

LLVMValueRef cg_persist_in_batch(cg *g, LLVMValueRef v, const type *t) {
  return persist_into(g, v, t, (persist_to){g->worker, "dsc_rt_alloc"});
}

/* Key bytes and payload pointer of entry i of a table. */
static LLVMValueRef entry_key(cg *g, LLVMValueRef table, LLVMValueRef i, LLVMValueRef *klen) {
  LLVMValueRef len = cg_alloca(g, g->t_i64, "klen");
  LLVMValueRef args[3] = {table, i, len};
  LLVMValueRef k = cg_rt(g, "dsc_rt_table_key", "pplp", args);
  *klen = load(g, g->t_i64, len);
  return k;
}

static LLVMValueRef entry_at(cg *g, LLVMValueRef table, LLVMValueRef i) {
  LLVMValueRef args[2] = {table, i};
  return cg_rt(g, "dsc_rt_table_at", "ppl", args);
}

static LLVMValueRef table_find(cg *g, LLVMValueRef table, LLVMValueRef kp, LLVMValueRef kn) {
  LLVMValueRef args[3] = {table, kp, kn};
  return cg_rt(g, "dsc_rt_table_find", "pppl", args);
}

static LLVMValueRef table_len(cg *g, LLVMValueRef table) {
  return cg_rt(g, "dsc_rt_table_len", "lp", &table);
}

static LLVMValueRef store_new(cg *g) { return cg_rt(g, "dsc_rt_store_new", "pp", &g->ctx_val); }

static LLVMValueRef store_table(cg *g, LLVMValueRef store, LLVMTypeRef payload) {
  LLVMValueRef args[2] = {store, cg_sizeof(g, payload)};
  return cg_rt(g, "dsc_rt_store_table", "ppl", args);
}

/* Whether a state store updated in place has grown past twice its size right after the last
 * rebuild (kept in floor_g), plus 1 MiB: each update of a string value persists a new copy,
 * and only a rebuild gives the old ones back. */
static LLVMValueRef store_grown(cg *g, LLVMValueRef store, LLVMValueRef floor_g) {
  LLVMValueRef limit = LLVMBuildAdd(g->b, LLVMBuildMul(g->b, load(g, g->t_i64, floor_g), cg_i64(g, 2), ""),
                                    cg_i64(g, 1 << 20), "");
  return LLVMBuildICmp(g->b, LLVMIntSGT, cg_rt(g, "dsc_rt_store_bytes", "lp", &store), limit, "");
}

/* The step the table copies below share (pane copies, window compaction, mapWithState
 * rebuilds), each under its own condition: entry i of `from` goes into `to` under its key, with
 * `value` (already persisted in to's store) as its payload.  Returns the new entry's payload. */
static LLVMValueRef copy_entry_into(cg *g, LLVMValueRef from, LLVMValueRef i, LLVMValueRef to,
                                    LLVMValueRef value) {
  LLVMValueRef klen, key = entry_key(g, from, i, &klen);
  LLVMValueRef fresh;
  LLVMValueRef dst = cg_upsert(g, to, key, klen, &fresh); /* copies the key into to's store */
  LLVMBuildStore(g->b, value, dst);
  return dst;
}

/* Copies (persisting) every live entry of `from` into `to`: a batch table into a pane, or a
 * state table into a fresh store when it is compacted. */
typedef struct copy_ctx {
  LLVMValueRef from, to, store;
  const type *payload;
} copy_ctx;

static void copy_entry(cg *g, LLVMValueRef i, void *data) {
  copy_ctx *c = data;
  LLVMValueRef args[2] = {c->from, i};
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildICmp(g->b, LLVMIntNE, cg_rt(g, "dsc_rt_table_live_at", "ipl", args), cg_i32(g, 0), ""),
        &then_bb, &done);
  LLVMValueRef v = load(g, cg_type(g, c->payload), entry_at(g, c->from, i));
  copy_entry_into(g, c->from, i, c->to, persist(g, v, c->payload, c->store));
  cg_end_if(g, done);
}

static void copy_table(cg *g, LLVMValueRef from, LLVMValueRef to, LLVMValueRef store,
                       const type *payload) {
  copy_ctx c = {from, to, store, payload};
  cg_loop(g, cg_i64(g, 0), table_len(g, from), copy_entry, &c);
}

typedef struct copy_vec_ctx {
  LLVMValueRef from, to, store;
  const type *elem;
} copy_vec_ctx;

static void copy_vec_item(cg *g, LLVMValueRef i, void *data) {
  copy_vec_ctx *c = data;
  LLVMValueRef v = cg_vec_item(g, c->from, i, c->elem);
  LLVMBuildStore(g->b, persist(g, v, c->elem, c->store), cg_rt(g, "dsc_rt_vec_push", "pp", &c->to));
}

/* ---- windows --------------------------------------------------------------------------------- */

/* A pane: {store, data (vec / table / cell), value (count)} */
static LLVMTypeRef pane_t(cg *g) {
  LLVMTypeRef f[3] = {g->t_ptr, g->t_ptr, g->t_i64};
  return LLVMStructTypeInContext(g->ctx, f, 3, 0);
}

static bool incremental(const plan_op *op) {
  return op->inv != NULL || op->variant == S_COUNT_BY_VALUE_AND_WINDOW;
}

/* An incremental window's pane is an array of items, one per key of its batch: the index of
 * the key's entry in the state table and the batch's value, which invF takes out again when
 * the pane leaves.  Keys are neither copied into panes nor hashed again when they leave. */
static LLVMTypeRef item_t(cg *g, const plan_op *op) {
  LLVMTypeRef f[2] = {g->t_i64, cg_type(g, op->elem->elems[1])};
  return LLVMStructTypeInContext(g->ctx, f, 2, 0);
}

static LLVMValueRef item_at(cg *g, const plan_op *op, LLVMValueRef items, LLVMValueRef i) {
  return LLVMBuildGEP2(g->b, item_t(g, op), items, &i, 1, "");
}

static LLVMValueRef item_index(cg *g, const plan_op *op, LLVMValueRef item) {
  return load(g, g->t_i64, LLVMBuildStructGEP2(g->b, item_t(g, op), item, 0, ""));
}

static LLVMValueRef table_live(cg *g, LLVMValueRef table, LLVMValueRef i) {
  LLVMValueRef args[2] = {table, i};
  return LLVMBuildICmp(g->b, LLVMIntNE, cg_rt(g, "dsc_rt_table_live_at", "ipl", args), cg_i32(g, 0), "");
}

static LLVMValueRef table_index_of(cg *g, LLVMValueRef table, LLVMValueRef payload) {
  LLVMValueRef args[2] = {table, payload};
  return cg_rt(g, "dsc_rt_table_index_of", "lpp", args);
}

static LLVMValueRef interval(cg *g) { return cg_rt(g, "dsc_rt_batch_interval", "lp", &g->ctx_val); }

static LLVMValueRef slide_ms(cg *g, const plan_op *op) {
  return op->slide ? cg_i64(g, op->slide) : interval(g);
}

/* An incremental window reads its batch from the feeding stage's per-task tables as they
 * are (cg_state_takes_partials): merging them first would be one more pass over a table as big
 * as the batch, on one thread.  A key found by several tasks enters the state once per task,
 * which f's associativity makes the same, and its pane holds one item per task, which invF
 * takes out one by one: the same again, as invF undoes f. */
static LLVMValueRef task_tables(cg *g, const plan_op *op, LLVMValueRef *ntasks) {
  plan_edge *e = plan_input_edge(op, 0);
  *ntasks = cg_load_slot(g, e->stage->slot, g->t_i64);
  return cg_load_slot(g, e->slot, g->t_ptr);
}

static LLVMValueRef task_table(cg *g, LLVMValueRef tables, LLVMValueRef t) {
  return load(g, g->t_ptr, LLVMBuildGEP2(g->b, g->t_ptr, tables, &t, 1, ""));
}

static void add_table_len(cg *g, LLVMValueRef t, void *data) {
  LLVMValueRef *acc = data; /* {sum alloca, tables} */
  LLVMValueRef len = table_len(g, task_table(g, acc[1], t));
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, load(g, g->t_i64, acc[0]), len, ""), acc[0]);
}

static LLVMValueRef task_tables_len(cg *g, const plan_op *op) {
  LLVMValueRef ntasks, acc[2] = {cg_alloca(g, g->t_i64, "keys"), task_tables(g, op, &ntasks)};
  LLVMBuildStore(g->b, cg_i64(g, 0), acc[0]);
  cg_loop(g, cg_i64(g, 0), ntasks, add_table_len, acc);
  return load(g, g->t_i64, acc[0]);
}

bool cg_state_takes_partials(const plan_op *op) { return op->kind == P_WINDOW && incremental(op); }

/* The batch's merged partial, persisted into a new pane. */
static LLVMValueRef make_pane(cg *g, const plan_op *op) {
  plan_edge *e = plan_input_edge(op, 0);
  LLVMTypeRef pt = pane_t(g);
  LLVMValueRef pane = LLVMConstNull(pt);
  LLVMValueRef merged = cg_load_slot(g, op->slot, op->variant == S_COUNT_BY_WINDOW ? g->t_i64 : g->t_ptr);
  if (op->variant == S_COUNT_BY_WINDOW)
    return LLVMBuildInsertValue(g->b, pane, merged, 2, "");
  LLVMValueRef store = store_new(g);
  pane = LLVMBuildInsertValue(g->b, pane, store, 0, "");
  LLVMValueRef data;
  LLVMTypeRef elem = cg_partial_type(g, e);
  if (incremental(op)) {
    /* one item per key of each task's table, filled in as the keys enter the state (every
       one is written, so the array is not zeroed first) */
    LLVMValueRef n = task_tables_len(g, op);
    LLVMValueRef args[2] = {store, LLVMBuildMul(g->b, n, cg_sizeof(g, item_t(g, op)), "")};
    data = cg_rt(g, "dsc_rt_store_alloc_raw", "ppl", args);
    pane = LLVMBuildInsertValue(g->b, pane, n, 2, "");
  } else if (op->variant == S_REDUCE_BY_WINDOW) {
    LLVMValueRef args[2] = {store, cg_sizeof(g, elem)};
    data = cg_rt(g, "dsc_rt_store_alloc", "ppl", args);
    const type *opt = type_option(op->elem);
    LLVMBuildStore(g->b, persist(g, load(g, elem, merged), opt, store), data);
  } else if (op->variant == S_WINDOW) {
    LLVMValueRef args[2] = {store, cg_sizeof(g, elem)};
    data = cg_rt(g, "dsc_rt_store_vec", "ppl", args);
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildIsNotNull(g->b, merged, ""), &then_bb, &done);
    copy_vec_ctx c = {merged, data, store, op->elem};
    cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &merged), copy_vec_item, &c);
    cg_end_if(g, done);
  } else {
    data = store_table(g, store, elem);
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildIsNotNull(g->b, merged, ""), &then_bb, &done);
    copy_table(g, merged, data, store, cg_agg_payload_lang_type(op));
    cg_end_if(g, done);
  }
  return LLVMBuildInsertValue(g->b, pane, data, 1, "");
}

typedef struct window_ctx {
  const plan_op *op;
  LLVMValueRef ring;      /* pane array */
  LLVMValueRef acc;       /* result being combined: vec, table, count alloca or cell alloca */
  /* incremental update: the state table and its store, the task table being entered and the
     number of items before its own, the items of the entering pane and its store, the items of
     the leaving pane */
  LLVMValueRef nt, nstore, batch, base, entering, pstore, leaving, nleaving, tables;
  LLVMValueRef base_slot; /* alloca: items entered so far */
  /* in a task of the shared update (below): the number of shares and the task's own; else NULL */
  LLVMValueRef shares, share;
  LLVMValueRef list, nlist;  /* the positions the current loop visits (for_owned), or NULL */
  LLVMValueRef owned_items;  /* the pane items for_owned goes through (owns_item) */
  LLVMValueRef nbatch;       /* entries of the task table being entered */
  LLVMValueRef revived;      /* in an entering task: alloca, the dead entries it revived, or NULL */
  LLVMValueRef left;         /* in an entering task: alloca, the keys it left to the main thread */
  bool deferred_only;        /* entering only the keys the shared update left to the main thread */
} window_ctx;

static LLVMValueRef ring_pane(cg *g, LLVMValueRef ring, LLVMValueRef i) {
  return load(g, pane_t(g), LLVMBuildGEP2(g->b, pane_t(g), ring, &i, 1, ""));
}

static void combine_pane(cg *g, LLVMValueRef i, void *data) {
  window_ctx *w = data;
  const plan_op *op = w->op;
  LLVMValueRef pane = ring_pane(g, w->ring, i);
  LLVMValueRef pdata = LLVMBuildExtractValue(g->b, pane, 1, "");
  switch (op->variant) {
  case S_WINDOW: {
    LLVMValueRef args[2] = {w->acc, pdata};
    cg_rt(g, "dsc_rt_vec_extend", "vpp", args);
    return;
  }
  case S_COUNT_BY_WINDOW:
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, load(g, g->t_i64, w->acc), LLVMBuildExtractValue(g->b, pane, 2, ""), ""), w->acc);
    return;
  case S_REDUCE_BY_WINDOW: {
    LLVMTypeRef ct = cg_partial_type(g, plan_input_edge(op, 0));
    LLVMValueRef part = load(g, ct, pdata);
    cg_fold_cell(g, op->fn, w->acc, ct, LLVMBuildExtractValue(g->b, part, 0, ""),
                 LLVMBuildExtractValue(g->b, part, 1, ""));
    return;
  }
  default:
    cg_merge_table(g, op, w->acc, pdata);
  }
}

/* The incremental window's state table is updated in place: per batch only the keys of the
 * pane that leaves (v = invF(v, old)) and of the pane that enters (v = f(v, new), or a new
 * entry) are touched.  At slide times the filter removes entries (marked dead; a dead entry
 * comes back if its key does); the table is rebuilt once the entries that died since the last
 * rebuild outnumber the living.  The loops run over a state far bigger than the cache, in the
 * random order of hashing, so they prefetch a few keys ahead. */
static LLVMValueRef combine_values(cg *g, const plan_op *op, bool inverse, LLVMValueRef a, LLVMValueRef b) {
  if (op->variant == S_COUNT_BY_VALUE_AND_WINDOW)
    return inverse ? LLVMBuildSub(g->b, a, b, "") : LLVMBuildAdd(g->b, a, b, "");
  LLVMValueRef args[2] = {a, b};
  return cg_apply(g, inverse ? op->inv : op->fn, args, 2);
}

/* Stores a new value into a state entry.  Only the value is persisted: the key was copied into
 * the state's store when the entry was made, and copying it again on every update would grow
 * the store with each batch. */
static void set_window_value(cg *g, const plan_op *op, LLVMValueRef entry, LLVMValueRef v,
                             LLVMValueRef store) {
  LLVMBuildStore(g->b, persist(g, v, op->elem->elems[1], store), cg_agg_value_ptr(g, op, entry));
}

/* The value in a window table's entry (whatever else the entry holds: cg_agg_payload_type). */
static LLVMValueRef window_value(cg *g, const plan_op *op, LLVMValueRef entry) {
  return load(g, cg_type(g, op->elem->elems[1]), cg_agg_value_ptr(g, op, entry));
}

/* In a task of the shared update: whether state entry idx is this task's.  By index, so that a
 * task picks its pane items without reading the entries they name; the index is scrambled
 * (Fibonacci hashing) and scaled to the number of shares, which needs no division. */
static LLVMValueRef own_entry(cg *g, const window_ctx *w, LLVMValueRef idx) {
  LLVMValueRef mixed = LLVMBuildMul(g->b, idx, LLVMConstInt(g->t_i64, 0x9E3779B97F4A7C15ull, 0), "");
  LLVMValueRef top = LLVMBuildLShr(g->b, mixed, cg_i64(g, 32), "");
  LLVMValueRef share = LLVMBuildLShr(g->b, LLVMBuildMul(g->b, top, w->shares, ""), cg_i64(g, 32), "");
  return LLVMBuildICmp(g->b, LLVMIntEQ, share, w->share, "");
}

/* Step i of a window loop visits item or entry i, or in a task of the shared update the i-th
 * of the positions it owns (w->list). */
static LLVMValueRef visited(cg *g, const window_ctx *w, LLVMValueRef i) {
  return w->list ? load(g, g->t_i64, LLVMBuildGEP2(g->b, g->t_i64, w->list, &i, 1, "")) : i;
}

/* What step i + ahead of n steps visits, or -1 past the end (for prefetches). */
static LLVMValueRef visited_ahead(cg *g, const window_ctx *w, LLVMValueRef i, int ahead, LLVMValueRef n) {
  LLVMValueRef k = LLVMBuildAdd(g->b, i, cg_i64(g, ahead), "");
  LLVMValueRef in = LLVMBuildICmp(g->b, LLVMIntSLT, k, n, "");
  LLVMValueRef at = visited(g, w, w->list ? LLVMBuildSelect(g->b, in, k, i, "") : k);
  return LLVMBuildSelect(g->b, in, at, cg_i64(g, -1), "");
}

/* At step i (visiting item j) of a loop over n of `items`: the state is far bigger than the
 * cache, so the entry of a later item is fetched meanwhile. */
static void prefetch_item_entry(cg *g, const window_ctx *w, LLVMValueRef items, LLVMValueRef i,
                                LLVMValueRef j, LLVMValueRef n) {
  LLVMValueRef ahead = visited_ahead(g, w, i, CG_PREFETCH_DISTANCE, w->list ? w->nlist : n);
  ahead = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, ahead, cg_i64(g, 0), ""), ahead, j, "");
  LLVMValueRef pf[2] = {w->nt, item_index(g, w->op, item_at(g, w->op, items, ahead))};
  cg_rt(g, "dsc_rt_table_prefetch_at", "vpl", pf);
}

static void window_leave(cg *g, LLVMValueRef i, void *data) {
  window_ctx *w = data;
  const plan_op *op = w->op;
  LLVMValueRef j = visited(g, w, i);
  prefetch_item_entry(g, w, w->leaving, i, j, w->nleaving);
  LLVMValueRef item = load(g, item_t(g, op), item_at(g, op, w->leaving, j));
  LLVMValueRef idx = LLVMBuildExtractValue(g->b, item, 0, "");
  /* a key the filter removed since is not taken out (Spark skips keys absent from the state) */
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, table_live(g, w->nt, idx), &then_bb, &done);
  LLVMValueRef p = entry_at(g, w->nt, idx);
  LLVMValueRef nv = combine_values(g, op, true, window_value(g, op, p),
                                   LLVMBuildExtractValue(g->b, item, 1, ""));
  set_window_value(g, op, p, nv, w->nstore);
  cg_end_if(g, done);
}

/* Two-step prefetch at step i of n over the entering batch table: the index slot a later key
 * probes, then (once that slot is cached) the entry it points to; the batch table keeps each
 * key's hash, so nothing is rehashed. */
static void prefetch_entering(cg *g, const window_ctx *w, LLVMValueRef i, LLVMValueRef n) {
  cg_prefetch_probe(g, w->nt, w->batch, visited_ahead(g, w, i, 2 * CG_PREFETCH_DISTANCE, n),
                    visited_ahead(g, w, i, CG_PREFETCH_DISTANCE, n));
}

static void window_enter(cg *g, LLVMValueRef i, void *data) {
  window_ctx *w = data;
  const plan_op *op = w->op;
  LLVMTypeRef kv_t = cg_type(g, op->elem);
  prefetch_entering(g, w, i, w->list ? w->nlist : w->nbatch);
  i = visited(g, w, i);
  /* the batch entry's value, and the payload a new state entry gets: the batch table is not
     the state table, so its entry stays put while the state grows */
  LLVMValueRef bp = entry_at(g, w->batch, i);
  LLVMValueRef bv = window_value(g, op, bp);
  LLVMValueRef first = cg_agg_value_only(op) ? bv : load(g, kv_t, bp);
  LLVMValueRef is_new = cg_alloca(g, g->t_i32, "is_new");
  LLVMValueRef args[4] = {w->nt, w->batch, i, is_new};
  LLVMValueRef p = cg_rt(g, "dsc_rt_table_upsert_from", "ppplp", args);
  LLVMValueRef fresh = LLVMBuildICmp(g->b, LLVMIntNE, load(g, g->t_i32, is_new), cg_i32(g, 0), "");
  LLVMBasicBlockRef ins = cg_block(g, "enter.new"), comb = cg_block(g, "enter.combine"),
                    done = cg_block(g, "enter.done");
  LLVMBuildCondBr(g->b, fresh, ins, comb);
  LLVMPositionBuilderAtEnd(g->b, ins);
  LLVMBuildStore(g->b, persist(g, first, cg_agg_payload_lang_type(op), w->nstore), p);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, comb);
  LLVMValueRef nv = combine_values(g, op, false, window_value(g, op, p), bv);
  set_window_value(g, op, p, nv, w->nstore);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef item = LLVMGetUndef(item_t(g, op));
  item = LLVMBuildInsertValue(g->b, item, table_index_of(g, w->nt, p), 0, "");
  item = LLVMBuildInsertValue(g->b, item, persist(g, bv, op->elem->elems[1], w->pstore), 1, "");
  LLVMBuildStore(g->b, item, item_at(g, op, w->entering, LLVMBuildAdd(g->b, w->base, i, "")));
}

/* Whether a task may revive a dead state entry itself: its payload (value, and key unless the
 * key is the entry's own bytes) holds no references, so that restoring it persists nothing. */
static bool revives_in_share(const plan_op *op) {
  const type *payload = cg_agg_payload_lang_type(op);
  return !payload || !cg_holds_refs(payload);
}

/* window_enter in a task of the shared update, over the keys of its share: a key the state has
 * alive is combined in place, and a dead one revived in place (when revives_in_share); a key
 * with no entry is left to the main thread (its item's index -1), which inserts it after the
 * tasks, in the order the serial update would have.  A key found by several task tables is
 * met in table order by one task, so the first revives it and the next ones combine. */
static void window_enter_share(cg *g, LLVMValueRef i, void *data) {
  window_ctx *w = data;
  const plan_op *op = w->op;
  prefetch_entering(g, w, i, w->nlist);
  LLVMValueRef j = visited(g, w, i);
  LLVMValueRef bp = entry_at(g, w->batch, j);
  LLVMValueRef bv = window_value(g, op, bp);
  LLVMValueRef p, revived = NULL;
  if (w->revived) {
    LLVMValueRef flag = cg_alloca(g, g->t_i32, "revived");
    LLVMValueRef ra[4] = {w->nt, w->batch, j, flag};
    p = cg_rt(g, "dsc_rt_table_revive_from", "ppplp", ra);
    revived = LLVMBuildICmp(g->b, LLVMIntNE, load(g, g->t_i32, flag), cg_i32(g, 0), "");
  } else {
    LLVMValueRef fa[3] = {w->nt, w->batch, j};
    p = cg_rt(g, "dsc_rt_table_find_from", "pppl", fa);
  }
  LLVMValueRef idx_slot = cg_alloca(g, g->t_i64, "entered_at");
  LLVMBuildStore(g->b, cg_i64(g, -1), idx_slot);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, p, ""), &then_bb, &done);
  if (revived) {
    LLVMBasicBlockRef fresh = cg_block(g, "share.revive"), comb = cg_block(g, "share.combine"),
                      next = cg_block(g, "share.entered");
    LLVMBuildCondBr(g->b, revived, fresh, comb);
    LLVMPositionBuilderAtEnd(g->b, fresh);
    /* as window_enter's new entry, whose persist is the identity here */
    LLVMBuildStore(g->b, cg_agg_value_only(op) ? bv : load(g, cg_type(g, op->elem), bp), p);
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, load(g, g->t_i64, w->revived), cg_i64(g, 1), ""), w->revived);
    LLVMBuildBr(g->b, next);
    LLVMPositionBuilderAtEnd(g->b, comb);
    set_window_value(g, op, p, combine_values(g, op, false, window_value(g, op, p), bv), w->nstore);
    LLVMBuildBr(g->b, next);
    LLVMPositionBuilderAtEnd(g->b, next);
  } else {
    set_window_value(g, op, p, combine_values(g, op, false, window_value(g, op, p), bv), w->nstore);
  }
  LLVMBuildStore(g->b, table_index_of(g, w->nt, p), idx_slot);
  cg_end_if(g, done);
  LLVMValueRef missing = LLVMBuildZExt(g->b, LLVMBuildIsNull(g->b, p, ""), g->t_i64, "");
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, load(g, g->t_i64, w->left), missing, ""), w->left);
  LLVMValueRef item = LLVMGetUndef(item_t(g, op));
  item = LLVMBuildInsertValue(g->b, item, load(g, g->t_i64, idx_slot), 0, "");
  item = LLVMBuildInsertValue(g->b, item, bv, 1, ""); /* the shared update's values hold no refs */
  LLVMBuildStore(g->b, item, item_at(g, op, w->entering, LLVMBuildAdd(g->b, w->base, j, "")));
}

/* ---- the positions a loop owns ----
 * A task of the shared update visits only the items and keys of its share, and the main thread
 * after it only the keys it left.  They are listed, a block at a time, in a branch-free pass
 * before the loop visits them (so that it can prefetch ahead): testing each position in the
 * visiting loop itself mispredicted about every other one, and cost more than the lookups.  The
 * block lives on the stack: a list as long as the batch was fresh memory every batch, and its
 * page faults cost as much again. */
enum { OWN_BLOCK = 512 };

typedef LLVMValueRef (*owns_fn)(cg *g, const window_ctx *w, LLVMValueRef j);

typedef struct owned_ctx {
  window_ctx *w;
  owns_fn owns;
  cg_loop_fn visit;
  void *visit_data;
  LLVMValueRef n, list, count;
} owned_ctx;

static void own_list_add(cg *g, LLVMValueRef j, void *data) {
  owned_ctx *c = data;
  LLVMValueRef k = load(g, g->t_i64, c->count);
  LLVMBuildStore(g->b, j, LLVMBuildGEP2(g->b, g->t_i64, c->list, &k, 1, ""));
  LLVMValueRef mine = LLVMBuildZExt(g->b, c->owns(g, c->w, j), g->t_i64, "");
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, k, mine, ""), c->count);
}

static void owned_block(cg *g, LLVMValueRef b, void *data) {
  owned_ctx *c = data;
  LLVMValueRef lo = LLVMBuildMul(g->b, b, cg_i64(g, OWN_BLOCK), "");
  LLVMValueRef hi = LLVMBuildAdd(g->b, lo, cg_i64(g, OWN_BLOCK), "");
  hi = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, hi, c->n, ""), hi, c->n, "");
  LLVMBuildStore(g->b, cg_i64(g, 0), c->count);
  c->w->list = NULL; /* the listing pass visits every position */
  cg_loop(g, lo, hi, own_list_add, c);
  c->w->list = c->list;
  c->w->nlist = load(g, g->t_i64, c->count);
  cg_loop(g, cg_i64(g, 0), c->w->nlist, c->visit, c->visit_data);
  c->w->list = NULL;
}

/* visit(g, k, visit_data) for the positions j in [0, n) that owns(j) says are the loop's, the
 * k-th of a block being w->list[k]. */
static void for_owned(cg *g, window_ctx *w, LLVMValueRef n, owns_fn owns, cg_loop_fn visit,
                      void *visit_data) {
  owned_ctx c = {w, owns, visit, visit_data, n,
                 cg_alloca(g, LLVMArrayType2(g->t_i64, OWN_BLOCK), "owned"),
                 cg_alloca(g, g->t_i64, "nowned")};
  LLVMValueRef blocks = LLVMBuildSDiv(g->b, LLVMBuildAdd(g->b, n, cg_i64(g, OWN_BLOCK - 1), ""),
                                      cg_i64(g, OWN_BLOCK), "");
  cg_loop(g, cg_i64(g, 0), blocks, owned_block, &c);
}

static LLVMValueRef owns_item(cg *g, const window_ctx *w, LLVMValueRef j) { /* of w->owned_items */
  return own_entry(g, w, item_index(g, w->op, item_at(g, w->op, w->owned_items, j)));
}

static LLVMValueRef owns_entering(cg *g, const window_ctx *w, LLVMValueRef j) {
  LLVMValueRef args[3] = {w->batch, j, w->shares};
  return LLVMBuildICmp(g->b, LLVMIntEQ, cg_rt(g, "dsc_rt_table_share_of", "lpll", args), w->share, "");
}

/* After the shared update: the entering keys it left to the main thread. */
static LLVMValueRef owns_deferred(cg *g, const window_ctx *w, LLVMValueRef j) {
  LLVMValueRef at = item_at(g, w->op, w->entering, LLVMBuildAdd(g->b, w->base, j, ""));
  return LLVMBuildICmp(g->b, LLVMIntSLT, item_index(g, w->op, at), cg_i64(g, 0), "");
}

/* Enters task t's table; its items follow those of the tasks before it. */
static void window_enter_task(cg *g, LLVMValueRef t, void *data) {
  window_ctx *w = data;
  w->batch = task_table(g, w->tables, t);
  LLVMValueRef n = w->nbatch = table_len(g, w->batch);
  w->base = load(g, g->t_i64, w->base_slot);
  if (w->shares) {
    for_owned(g, w, n, owns_entering, window_enter_share, w);
  } else if (w->deferred_only) {
    for_owned(g, w, n, owns_deferred, window_enter, w);
  } else {
    cg_loop(g, cg_i64(g, 0), n, window_enter, w);
  }
  LLVMBuildStore(g->b, LLVMBuildAdd(g->b, w->base, n, ""), w->base_slot);
}

/* The filter of an incremental window on one entry: the user's, or countByValueAndWindow's
 * count > 0. */
static LLVMValueRef window_keep(cg *g, const plan_op *op, LLVMValueRef kv) {
  if (op->filter)
    return cg_apply(g, op->filter, &kv, 1);
  return LLVMBuildICmp(g->b, LLVMIntSGT, LLVMBuildExtractValue(g->b, kv, 1, ""), cg_i64(g, 0), "");
}

typedef struct filter_ctx {
  window_ctx *w;
  LLVMValueRef items;   /* the pane items whose entries to re-check, or NULL: the whole state */
  LLVMValueRef removed; /* in a task of the shared update: alloca, the entries it removed */
  LLVMValueRef nitems;  /* how many items */
} filter_ctx;

static void window_filter_entry(cg *g, LLVMValueRef i, void *data) {
  filter_ctx *f = data;
  const plan_op *op = f->w->op;
  LLVMValueRef j = visited(g, f->w, i);
  if (f->items)
    prefetch_item_entry(g, f->w, f->items, i, j, f->nitems);
  LLVMValueRef idx = f->items ? item_index(g, op, item_at(g, op, f->items, j)) : j;
  LLVMValueRef p = LLVMBuildSelect(g->b, table_live(g, f->w->nt, idx), entry_at(g, f->w->nt, idx),
                                   LLVMConstNull(g->t_ptr), "");
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, p, ""), &then_bb, &done);
  LLVMBasicBlockRef drop = cg_block(g, "filter.drop");
  LLVMBasicBlockRef keep_bb = cg_block(g, "filter.keep");
  /* the filter sees a key view into the state; nothing is upserted while it runs */
  LLVMBuildCondBr(g->b, window_keep(g, op, cg_agg_elem(g, op, f->w->nt, idx)), keep_bb, drop);
  LLVMPositionBuilderAtEnd(g->b, drop);
  LLVMValueRef args[2] = {f->w->nt, p};
  if (f->removed) {
    LLVMValueRef n = LLVMBuildZExt(g->b, cg_rt(g, "dsc_rt_table_remove_uncounted", "ipp", args), g->t_i64, "");
    LLVMBuildStore(g->b, LLVMBuildAdd(g->b, load(g, g->t_i64, f->removed), n, ""), f->removed);
  } else {
    cg_rt(g, "dsc_rt_table_remove", "vpp", args);
  }
  LLVMBuildBr(g->b, keep_bb);
  LLVMPositionBuilderAtEnd(g->b, keep_bb);
  cg_end_if(g, done);
}

/* Compaction of an incremental window's state: the live entries, and the dead ones a pane
 * still refers to (so that a key revived later is still taken out when that pane leaves, as
 * Spark's cogroup by key does), are copied into a fresh table in a fresh store; the panes'
 * items are renumbered. */
typedef struct compact_ctx {
  window_ctx *w;
  LLVMValueRef pinned;    /* i8 per old entry: a pane refers to it */
  LLVMValueRef remap;     /* i64 per old entry: its index in the compacted table */
  LLVMValueRef to, store; /* the compacted table and its store */
  LLVMValueRef items;     /* the pane being walked */
  bool renumber;          /* walking panes: renumber items (else pin their entries) */
} compact_ctx;

static void compact_item(cg *g, LLVMValueRef j, void *data) {
  compact_ctx *c = data;
  const plan_op *op = c->w->op;
  LLVMValueRef ip = LLVMBuildStructGEP2(g->b, item_t(g, op), item_at(g, op, c->items, j), 0, "");
  LLVMValueRef idx = load(g, g->t_i64, ip);
  if (c->renumber)
    LLVMBuildStore(g->b, load(g, g->t_i64, LLVMBuildGEP2(g->b, g->t_i64, c->remap, &idx, 1, "")), ip);
  else
    LLVMBuildStore(g->b, LLVMConstInt(g->t_i8, 1, 0), LLVMBuildGEP2(g->b, g->t_i8, c->pinned, &idx, 1, ""));
}

static void compact_pane(cg *g, LLVMValueRef p, void *data) {
  compact_ctx *c = data;
  LLVMValueRef pane = ring_pane(g, c->w->ring, p);
  c->items = LLVMBuildExtractValue(g->b, pane, 1, "");
  cg_loop(g, cg_i64(g, 0), LLVMBuildExtractValue(g->b, pane, 2, ""), compact_item, c);
}

static void compact_entry(cg *g, LLVMValueRef i, void *data) {
  compact_ctx *c = data;
  const plan_op *op = c->w->op;
  LLVMValueRef live = table_live(g, c->w->nt, i);
  LLVMValueRef pinned = load(g, g->t_i8, LLVMBuildGEP2(g->b, g->t_i8, c->pinned, &i, 1, ""));
  LLVMValueRef keep = LLVMBuildOr(g->b, live, LLVMBuildICmp(g->b, LLVMIntNE, pinned, LLVMConstInt(g->t_i8, 0, 0), ""), "");
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, keep, &then_bb, &done);
  LLVMValueRef v = load(g, cg_agg_payload_type(g, op), entry_at(g, c->w->nt, i));
  LLVMValueRef kept = persist(g, v, cg_agg_payload_lang_type(op), c->store);
  LLVMValueRef dst = copy_entry_into(g, c->w->nt, i, c->to, kept);
  LLVMBasicBlockRef t2, d2;
  cg_if(g, LLVMBuildNot(g->b, live, ""), &t2, &d2);
  LLVMValueRef args[2] = {c->to, dst};
  cg_rt(g, "dsc_rt_table_remove", "vpp", args);
  cg_end_if(g, d2);
  LLVMBuildStore(g->b, table_index_of(g, c->to, dst), LLVMBuildGEP2(g->b, g->t_i64, c->remap, &i, 1, ""));
  cg_end_if(g, done);
}

static void compact_window_state(cg *g, window_ctx *w, LLVMValueRef panes, LLVMValueRef state_g,
                                 LLVMValueRef store_g, LLVMValueRef floor_g, LLVMValueRef bytes_g) {
  LLVMValueRef n = table_len(g, w->nt);
  compact_ctx c = {w, NULL, NULL, NULL, NULL, NULL, false};
  LLVMValueRef args[2] = {g->worker, n};
  c.pinned = cg_rt(g, "dsc_rt_alloc", "ppl", args);
  args[1] = LLVMBuildMul(g->b, n, cg_i64(g, 8), "");
  c.remap = cg_rt(g, "dsc_rt_alloc", "ppl", args);
  cg_loop(g, cg_i64(g, 0), panes, compact_pane, &c);
  c.store = store_new(g);
  c.to = store_table(g, c.store, cg_agg_payload_type(g, w->op));
  cg_loop(g, cg_i64(g, 0), n, compact_entry, &c);
  c.renumber = true;
  cg_loop(g, cg_i64(g, 0), panes, compact_pane, &c);
  cg_rt(g, "dsc_rt_store_free", "vp", &w->nstore);
  LLVMBuildStore(g->b, c.to, state_g);
  LLVMBuildStore(g->b, c.store, store_g);
  LLVMBuildStore(g->b, cg_rt(g, "dsc_rt_table_dead", "lp", &c.to), floor_g);
  LLVMBuildStore(g->b, cg_rt(g, "dsc_rt_store_bytes", "lp", &c.store), bytes_g);
}

/* The filter on the entries n pane items name. */
static void filter_items(cg *g, filter_ctx *fl, LLVMValueRef items, LLVMValueRef n) {
  window_ctx *w = fl->w;
  fl->items = items;
  fl->nitems = n;
  if (w->shares) {
    w->owned_items = items;
    for_owned(g, w, n, owns_item, window_filter_entry, fl);
  } else {
    cg_loop(g, cg_i64(g, 0), n, window_filter_entry, fl);
  }
}

static bool window_filters(const plan_op *op) {
  return op->filter || op->variant == S_COUNT_BY_VALUE_AND_WINDOW;
}

/* The filter of an incremental window, at slide times: with a slide of one batch only the keys
 * just touched can have changed; a longer slide re-checks the whole state. */
static void filter_window(cg *g, window_ctx *w, LLVMValueRef nentering) {
  filter_ctx fl = {w, NULL, NULL, NULL};
  if (w->shares) {
    fl.removed = cg_alloca(g, g->t_i64, "removed");
    LLVMBuildStore(g->b, cg_i64(g, 0), fl.removed);
  }
  if (w->op->slide == 0) {
    filter_items(g, &fl, w->leaving, w->nleaving);
    filter_items(g, &fl, w->entering, nentering);
  } else if (w->shares) {
    /* the whole state: by ranges of entries, as the filter is all a task does in its run */
    cg_loop_task_range(g, table_len(g, w->nt), w->share, w->shares, window_filter_entry, &fl);
  } else {
    cg_loop(g, cg_i64(g, 0), table_len(g, w->nt), window_filter_entry, &fl);
  }
  if (fl.removed) {
    LLVMValueRef args[2] = {w->nt, load(g, g->t_i64, fl.removed)};
    cg_rt(g, "dsc_rt_table_add_dead", "vpl", args);
  }
}

static void enter_tables(cg *g, window_ctx *w, LLVMValueRef ntasks) {
  w->base_slot = cg_alloca(g, g->t_i64, "entered");
  LLVMBuildStore(g->b, cg_i64(g, 0), w->base_slot);
  cg_loop(g, cg_i64(g, 0), ntasks, window_enter_task, w);
}

/* The incremental update on the main thread: the leaving pane out, the entering one in, the
 * filter at slide times. */
static void update_window(cg *g, window_ctx *w, LLVMValueRef ntasks, LLVMValueRef nentering,
                          LLVMValueRef active) {
  cg_loop(g, cg_i64(g, 0), w->nleaving, window_leave, w);
  enter_tables(g, w, ntasks);
  if (window_filters(w->op)) {
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, active, &then_bb, &done);
    filter_window(g, w, nentering);
    cg_end_if(g, done);
  }
}

/* ---- the shared update ------------------------------------------------------------------------
 * With a big batch and more than one worker, the state of a window whose values hold no
 * references (so that an update persists nothing) is updated by one task per share, in three
 * runs of the tasks: the leaving pane, the entering tables, the filter.  Tasks never touch one
 * entry: leaving items and the filter go by entry index (the filter of the whole state by
 * ranges of it), entering keys by hash (table.c, "shares"), and they only change values and
 * mark entries dead.  The keys the state has no live entry for are inserted (or revived)
 * between the second and third runs by the main thread, in the serial update's order, so that
 * the state's order is the same for any number of tasks; the tasks count them, so that the
 * state first grows to hold them on all the workers (dsc_rt_table_reserve_shared). */
enum { ENV_NT = CG_ENV_FIRST_FREE, ENV_NSTORE, ENV_LEAVING, ENV_NLEAVING, ENV_ENTERING,
       ENV_NENTERING, ENV_TABLES, ENV_NTASKS, ENV_SHARES, ENV_RUN, ENV_LEFT, ENV_FIELDS };
enum { RUN_LEAVE, RUN_ENTER, RUN_FILTER };

/* The task function: op<N>.window_share(env, worker, share). */
static LLVMValueRef shared_update_fn(cg *g, const plan_op *op) {
  LLVMValueRef fn, env, share;
  cg_resume r = cg_task_begin(g, mem_printf("op%d.window_share", op->id), &fn, &env, &share);
  window_ctx w = {.op = op, .share = share};
  w.nt = load(g, g->t_ptr, cg_env_field(g, env, ENV_NT));
  w.nstore = load(g, g->t_ptr, cg_env_field(g, env, ENV_NSTORE));
  w.leaving = load(g, g->t_ptr, cg_env_field(g, env, ENV_LEAVING));
  w.nleaving = load(g, g->t_i64, cg_env_field(g, env, ENV_NLEAVING));
  w.entering = load(g, g->t_ptr, cg_env_field(g, env, ENV_ENTERING));
  LLVMValueRef nentering = load(g, g->t_i64, cg_env_field(g, env, ENV_NENTERING));
  w.tables = load(g, g->t_ptr, cg_env_field(g, env, ENV_TABLES));
  LLVMValueRef ntasks = load(g, g->t_i64, cg_env_field(g, env, ENV_NTASKS));
  w.shares = load(g, g->t_i64, cg_env_field(g, env, ENV_SHARES));
  LLVMBasicBlockRef done = cg_block(g, "share.done"), leave = cg_block(g, "share.leave"),
                    enter = cg_block(g, "share.enter"), filter = cg_block(g, "share.filter");
  LLVMValueRef sw = LLVMBuildSwitch(g->b, load(g, g->t_i64, cg_env_field(g, env, ENV_RUN)), done, 3);
  LLVMAddCase(sw, cg_i64(g, RUN_LEAVE), leave);
  LLVMAddCase(sw, cg_i64(g, RUN_ENTER), enter);
  LLVMAddCase(sw, cg_i64(g, RUN_FILTER), filter);
  LLVMPositionBuilderAtEnd(g->b, leave);
  w.owned_items = w.leaving;
  for_owned(g, &w, w.nleaving, owns_item, window_leave, &w);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, enter);
  if (revives_in_share(op)) {
    w.revived = cg_alloca(g, g->t_i64, "revived");
    LLVMBuildStore(g->b, cg_i64(g, 0), w.revived);
  }
  w.left = cg_alloca(g, g->t_i64, "left");
  LLVMBuildStore(g->b, cg_i64(g, 0), w.left);
  enter_tables(g, &w, ntasks);
  LLVMBuildAtomicRMW(g->b, LLVMAtomicRMWBinOpAdd, cg_env_field(g, env, ENV_LEFT),
                     load(g, g->t_i64, w.left), LLVMAtomicOrderingMonotonic, 0);
  if (w.revived) { /* the state's count of dead entries, once per task (see filter_window) */
    LLVMValueRef args[2] = {w.nt, LLVMBuildNeg(g->b, load(g, g->t_i64, w.revived), "")};
    cg_rt(g, "dsc_rt_table_add_dead", "vpl", args);
  }
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, filter);
  if (window_filters(op))
    filter_window(g, &w, nentering);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  cg_task_end(g, r);
  return fn;
}

static void update_window_shared(cg *g, window_ctx *w, LLVMValueRef ntasks, LLVMValueRef nentering,
                                 LLVMValueRef active, LLVMValueRef shares) {
  LLVMValueRef fn = shared_update_fn(g, w->op);
  LLVMValueRef env = cg_env_new(g, ENV_FIELDS);
  LLVMValueRef fields[ENV_RUN] = {[ENV_NT] = w->nt, w->nstore, w->leaving, w->nleaving, w->entering,
                                  nentering, w->tables, ntasks, shares};
  for (int k = ENV_NT; k < ENV_RUN; k++)
    LLVMBuildStore(g->b, fields[k], cg_env_field(g, env, k));
  LLVMBuildStore(g->b, cg_i64(g, 0), cg_env_field(g, env, ENV_LEFT));
  for (int run = RUN_LEAVE; run <= RUN_FILTER; run++) {
    LLVMBasicBlockRef skip = NULL;
    if (run == RUN_FILTER) {
      if (!window_filters(w->op))
        break;
      LLVMBasicBlockRef then_bb;
      cg_if(g, active, &then_bb, &skip);
    }
    LLVMBuildStore(g->b, cg_i64(g, run), cg_env_field(g, env, ENV_RUN));
    cg_run_tasks(g, shares, fn, env);
    if (run == RUN_ENTER) { /* the keys left to the main thread, in order */
      /* room for them first, made on all the workers (table.c, "growing on all the workers") */
      LLVMValueRef room = LLVMBuildAdd(g->b, table_len(g, w->nt),
                                       load(g, g->t_i64, cg_env_field(g, env, ENV_LEFT)), "");
      LLVMValueRef args[3] = {g->ctx_val, w->nt, room};
      cg_rt(g, "dsc_rt_table_reserve_shared", "vppl", args);
      w->deferred_only = true;
      enter_tables(g, w, ntasks);
      w->deferred_only = false;
    }
    if (skip)
      cg_end_if(g, skip);
  }
}

static LLVMValueRef finalize_window(cg *g, const plan_op *op) {
  LLVMTypeRef pt = pane_t(g);
  LLVMValueRef ring_g = op_global(g, op, "ring", g->t_ptr);
  LLVMValueRef len_g = op_global(g, op, "ring_len", g->t_i64);
  LLVMValueRef npanes = LLVMBuildSDiv(g->b, cg_i64(g, op->length), interval(g), "npanes");
  /* the ring lives in its own store for the life of the pipeline */
  {
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, LLVMBuildIsNull(g->b, load(g, g->t_ptr, ring_g), ""), &then_bb, &done);
    LLVMValueRef args[2] = {store_new(g), LLVMBuildMul(g->b, LLVMBuildAdd(g->b, npanes, cg_i64(g, 1), ""),
                                                        cg_sizeof(g, pt), "")};
    LLVMBuildStore(g->b, cg_rt(g, "dsc_rt_store_alloc", "ppl", args), ring_g);
    cg_end_if(g, done);
  }
  LLVMValueRef ring = load(g, g->t_ptr, ring_g);
  LLVMValueRef pane = make_pane(g, op);
  /* the pane that leaves, if the window is full */
  LLVMValueRef len = load(g, g->t_i64, len_g);
  LLVMValueRef full = LLVMBuildICmp(g->b, LLVMIntSGE, len, npanes, "full");
  LLVMValueRef leaving_slot = cg_alloca(g, pt, "leaving");
  LLVMBuildStore(g->b, LLVMConstNull(pt), leaving_slot);
  {
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, full, &then_bb, &done);
    LLVMBuildStore(g->b, ring_pane(g, ring, cg_i64(g, 0)), leaving_slot);
    LLVMValueRef one = cg_i64(g, 1);
    LLVMValueRef second = LLVMBuildGEP2(g->b, pt, ring, &one, 1, "");
    LLVMValueRef bytes = LLVMBuildMul(g->b, LLVMBuildSub(g->b, len, one, ""), cg_sizeof(g, pt), "");
    LLVMBuildMemMove(g->b, ring, 8, second, 8, bytes);
    cg_end_if(g, done);
  }
  len = LLVMBuildSelect(g->b, full, LLVMBuildSub(g->b, len, cg_i64(g, 1), ""), len, "");
  LLVMBuildStore(g->b, pane, LLVMBuildGEP2(g->b, pt, ring, &len, 1, ""));
  LLVMValueRef count = LLVMBuildAdd(g->b, len, cg_i64(g, 1), "");
  LLVMBuildStore(g->b, count, len_g);
  LLVMValueRef leaving = load(g, pt, leaving_slot);

  /* a batch of output only at slide times: (t - zero time) a multiple of the slide */
  LLVMValueRef since = LLVMBuildSub(g->b, batch_time(g), cg_rt(g, "dsc_rt_zero_time", "lp", &g->ctx_val), "");
  LLVMValueRef active = LLVMBuildICmp(g->b, LLVMIntEQ, LLVMBuildSRem(g->b, since, slide_ms(g, op), ""),
                                      cg_i64(g, 0), "slide_time");
  int result = op->slot + 1;
  window_ctx w = {.op = op, .ring = ring};
  if (incremental(op)) {
    LLVMValueRef state_g = op_global(g, op, "state", g->t_ptr);
    LLVMValueRef store_g = op_global(g, op, "state_store", g->t_ptr);
    LLVMValueRef floor_g = op_global(g, op, "dead_floor", g->t_i64);
    LLVMValueRef bytes_g = op_global(g, op, "store_floor", g->t_i64);
    LLVMValueRef rebuild = NULL;
    {
      LLVMBasicBlockRef then_bb, done;
      cg_if(g, LLVMBuildIsNull(g->b, load(g, g->t_ptr, state_g), ""), &then_bb, &done);
      LLVMValueRef st0 = store_new(g);
      LLVMBuildStore(g->b, st0, store_g);
      LLVMBuildStore(g->b, store_table(g, st0, cg_agg_payload_type(g, op)), state_g);
      cg_end_if(g, done);
    }
    w.nt = load(g, g->t_ptr, state_g);
    w.nstore = load(g, g->t_ptr, store_g);
    w.leaving = LLVMBuildExtractValue(g->b, leaving, 1, "");
    LLVMValueRef nleaving = w.nleaving = LLVMBuildExtractValue(g->b, leaving, 2, "");
    w.entering = LLVMBuildExtractValue(g->b, pane, 1, "");
    w.pstore = LLVMBuildExtractValue(g->b, pane, 0, "");
    LLVMValueRef nentering = LLVMBuildExtractValue(g->b, pane, 2, "");
    LLVMValueRef ntasks;
    w.tables = task_tables(g, op, &ntasks);
    if (cg_holds_refs(op->elem->elems[1])) {
      update_window(g, &w, ntasks, nentering, active);
    } else { /* big batches update the state in shares, on all workers */
      LLVMValueRef shares = cg_result_tasks(g, LLVMBuildAdd(g->b, nleaving, nentering, ""));
      LLVMBasicBlockRef shared = cg_block(g, "window.shared"), serial = cg_block(g, "window.serial"),
                        updated = cg_block(g, "window.updated");
      LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, shares, cg_i64(g, 1), ""), shared, serial);
      LLVMPositionBuilderAtEnd(g->b, shared);
      update_window_shared(g, &w, ntasks, nentering, active, shares);
      LLVMBuildBr(g->b, updated);
      LLVMPositionBuilderAtEnd(g->b, serial);
      update_window(g, &w, ntasks, nentering, active);
      LLVMBuildBr(g->b, updated);
      LLVMPositionBuilderAtEnd(g->b, updated);
    }
    if (window_filters(op)) {
      /* rebuild when the entries that died since the last rebuild outnumber the living */
      LLVMValueRef dead = cg_rt(g, "dsc_rt_table_dead", "lp", &w.nt);
      LLVMValueRef live = LLVMBuildSub(g->b, table_len(g, w.nt), dead, "");
      LLVMValueRef died = LLVMBuildSub(g->b, dead, load(g, g->t_i64, floor_g), "");
      rebuild = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, died, live, ""),
                             LLVMBuildICmp(g->b, LLVMIntSGT, died, cg_i64(g, 1024), ""), "");
    }
    if (cg_holds_refs(op->elem->elems[1])) {
      /* or when values persisted by updates have piled up in the store */
      LLVMValueRef grown = store_grown(g, w.nstore, bytes_g);
      rebuild = rebuild ? LLVMBuildOr(g->b, rebuild, grown, "") : grown;
    }
    if (rebuild) {
      LLVMBasicBlockRef t4, d4;
      cg_if(g, rebuild, &t4, &d4);
      compact_window_state(g, &w, count, state_g, store_g, floor_g, bytes_g);
      cg_end_if(g, d4);
    }
    cg_store_slot(g, result, load(g, g->t_ptr, state_g));
  } else {
    LLVMBasicBlockRef then_bb, done;
    cg_if(g, active, &then_bb, &done);
    LLVMTypeRef elem = cg_partial_type(g, plan_input_edge(op, 0));
    switch (op->variant) {
    case S_WINDOW: {
      LLVMValueRef args[2] = {g->worker, cg_sizeof(g, elem)};
      w.acc = cg_rt(g, "dsc_rt_vec_new", "ppl", args);
      cg_loop(g, cg_i64(g, 0), count, combine_pane, &w);
      cg_store_slot(g, result, w.acc);
      break;
    }
    case S_COUNT_BY_WINDOW:
      w.acc = cg_alloca(g, g->t_i64, "sum");
      LLVMBuildStore(g->b, cg_i64(g, 0), w.acc);
      cg_loop(g, cg_i64(g, 0), count, combine_pane, &w);
      cg_store_slot(g, result, load(g, g->t_i64, w.acc));
      break;
    case S_REDUCE_BY_WINDOW: {
      LLVMValueRef args[2] = {g->worker, cg_sizeof(g, elem)};
      w.acc = cg_rt(g, "dsc_rt_alloc", "ppl", args);
      cg_loop(g, cg_i64(g, 0), count, combine_pane, &w);
      cg_store_slot(g, result, w.acc);
      break;
    }
    default: {
      LLVMValueRef args[2] = {g->worker, cg_sizeof(g, elem)};
      w.acc = cg_rt(g, "dsc_rt_table_new", "ppl", args);
      cg_loop(g, cg_i64(g, 0), count, combine_pane, &w);
      cg_store_slot(g, result, w.acc);
    }
    }
    cg_end_if(g, done);
  }
  /* the leaving pane's memory goes now (a NULL store is fine) */
  LLVMValueRef leaving_store = LLVMBuildExtractValue(g->b, leaving, 0, "");
  cg_rt(g, "dsc_rt_store_free", "vp", &leaving_store);
  return active;
}

/* ---- updateStateByKey -------------------------------------------------------------------------- */

typedef struct state_ctx {
  const plan_op *op;
  LLVMValueRef old, groups, nt, nstore, out;
} state_ctx;

/* f(values, state) for a key; a some result goes into the new state table. */
static void update_key(cg *g, state_ctx *c, LLVMValueRef key, LLVMValueRef klen, LLVMValueRef k,
                       LLVMValueRef values, LLVMValueRef state) {
  const plan_op *op = c->op;
  LLVMValueRef args[2] = {values, state};
  LLVMValueRef r = cg_apply(g, op->fn, args, 2);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildExtractValue(g->b, r, 0, ""), &then_bb, &done);
  LLVMValueRef kv = LLVMGetUndef(cg_type(g, op->elem));
  kv = LLVMBuildInsertValue(g->b, kv, k, 0, "");
  kv = LLVMBuildInsertValue(g->b, kv, LLVMBuildExtractValue(g->b, r, 1, ""), 1, "");
  LLVMValueRef fresh;
  LLVMValueRef dst = cg_upsert(g, c->nt, key, klen, &fresh);
  LLVMBuildStore(g->b, persist(g, kv, op->elem, c->nstore), dst);
  cg_end_if(g, done);
}

static void update_old_key(cg *g, LLVMValueRef i, void *data) {
  state_ctx *c = data;
  const plan_op *op = c->op;
  LLVMValueRef klen, key = entry_key(g, c->old, i, &klen);
  LLVMValueRef kv = load(g, cg_type(g, op->elem), entry_at(g, c->old, i));
  LLVMValueRef gp = table_find(g, c->groups, key, klen);
  /* no new values: an empty list */
  LLVMValueRef list_slot = cg_alloca(g, g->t_list, "values");
  LLVMBuildStore(g->b, LLVMConstNull(g->t_list), list_slot);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, gp, ""), &then_bb, &done);
  LLVMBuildStore(g->b, cg_vec_list(g, cg_group_values(g, op->in_elem->elems[0], gp)), list_slot);
  cg_end_if(g, done);
  const type *st = op->elem->elems[1];
  update_key(g, c, key, klen, LLVMBuildExtractValue(g->b, kv, 0, ""), load(g, g->t_list, list_slot),
             cg_some(g, LLVMBuildExtractValue(g->b, kv, 1, ""), type_option((type *)st)));
}

static void update_new_key(cg *g, LLVMValueRef i, void *data) {
  state_ctx *c = data;
  const plan_op *op = c->op;
  LLVMValueRef klen, key = entry_key(g, c->groups, i, &klen);
  LLVMBasicBlockRef look = cg_block(g, "look"), fresh_bb = cg_block(g, "new"), done = cg_block(g, "known");
  LLVMBuildCondBr(g->b, LLVMBuildIsNotNull(g->b, c->old, ""), look, fresh_bb);
  LLVMPositionBuilderAtEnd(g->b, look);
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, table_find(g, c->old, key, klen), ""), fresh_bb, done);
  LLVMPositionBuilderAtEnd(g->b, fresh_bb);
  const type *key_t = op->in_elem->elems[0];
  LLVMValueRef payload = entry_at(g, c->groups, i);
  update_key(g, c, key, klen, cg_group_key(g, key_t, c->groups, i, payload),
             cg_vec_list(g, cg_group_values(g, key_t, payload)), cg_none(g, type_option(op->elem->elems[1])));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* Swaps in the new state table and its store, freeing the old store. */
static void replace_state(cg *g, const plan_op *op, LLVMValueRef nt, LLVMValueRef nstore) {
  LLVMValueRef state_g = op_global(g, op, "state", g->t_ptr);
  LLVMValueRef store_g = op_global(g, op, "state_store", g->t_ptr);
  LLVMValueRef old_store = load(g, g->t_ptr, store_g);
  cg_rt(g, "dsc_rt_store_free", "vp", &old_store);
  LLVMBuildStore(g->b, nt, state_g);
  LLVMBuildStore(g->b, nstore, store_g);
}

static LLVMValueRef finalize_update_state(cg *g, const plan_op *op) {
  state_ctx c = {op, NULL, NULL, NULL, NULL, NULL};
  c.old = load(g, g->t_ptr, op_global(g, op, "state", g->t_ptr));
  c.groups = cg_load_slot(g, op->slot, g->t_ptr);
  c.nstore = store_new(g);
  c.nt = store_table(g, c.nstore, cg_type(g, op->elem));
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, c.old, ""), &then_bb, &done);
  cg_loop(g, cg_i64(g, 0), table_len(g, c.old), update_old_key, &c);
  cg_end_if(g, done);
  cg_loop(g, cg_i64(g, 0), table_len(g, c.groups), update_new_key, &c);
  replace_state(g, op, c.nt, c.nstore);
  cg_store_slot(g, op->slot + 1, c.nt);
  return LLVMConstInt(g->t_i1, 1, 0);
}

/* ---- mapWithState ------------------------------------------------------------------------------ */

/* The state entry: {key, state, last update time, alive} */
static LLVMTypeRef mws_entry_t(cg *g, const plan_op *op) {
  const type *ks = op->in_elem; /* (K, V) input; state type from the lambda's third parameter */
  const type *st = ((ast_param *)op->fn->items.items[2])->type->elem;
  LLVMTypeRef f[4] = {cg_type(g, ks->elems[0]), cg_type(g, st), g->t_i64, g->t_i1};
  return LLVMStructTypeInContext(g->ctx, f, 4, 0);
}

static const type *mws_state_type(const plan_op *op) {
  return ((ast_param *)op->fn->items.items[2])->type->elem;
}

static LLVMValueRef persist_entry(cg *g, const plan_op *op, LLVMValueRef m, LLVMValueRef store) {
  m = LLVMBuildInsertValue(g->b, m, persist(g, LLVMBuildExtractValue(g->b, m, 0, ""), op->in_elem->elems[0], store), 0, "");
  return LLVMBuildInsertValue(g->b, m, persist(g, LLVMBuildExtractValue(g->b, m, 1, ""), mws_state_type(op), store), 1, "");
}

typedef struct mws_ctx {
  const plan_op *op;
  LLVMValueRef old, nt, nstore, records, out, now;
} mws_ctx;

/* Ends a key's state: the entry is marked not alive and dead, so an upsert of the key starts
 * it afresh and the next rebuild drops it. */
static void mws_remove(cg *g, mws_ctx *c, LLVMValueRef p) {
  LLVMValueRef alive = LLVMBuildStructGEP2(g->b, mws_entry_t(g, c->op), p, 3, "");
  LLVMBuildStore(g->b, LLVMConstInt(g->t_i1, 0, 0), alive);
  LLVMValueRef args[2] = {c->nt, p};
  cg_rt(g, "dsc_rt_table_remove", "vpp", args);
}

static void mws_copy_alive(cg *g, LLVMValueRef i, void *data) {
  mws_ctx *c = data;
  LLVMValueRef m = load(g, mws_entry_t(g, c->op), entry_at(g, c->old, i));
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildExtractValue(g->b, m, 3, ""), &then_bb, &done);
  copy_entry_into(g, c->old, i, c->nt, persist_entry(g, c->op, m, c->nstore));
  cg_end_if(g, done);
}

static void mws_emit(cg *g, mws_ctx *c, LLVMValueRef rec) {
  LLVMBuildStore(g->b, rec, cg_rt(g, "dsc_rt_vec_push", "pp", &c->out));
}

static void mws_record(cg *g, LLVMValueRef i, void *data) {
  mws_ctx *c = data;
  const plan_op *op = c->op;
  LLVMTypeRef mt = mws_entry_t(g, op);
  const type *st = mws_state_type(op);
  LLVMValueRef kv = cg_vec_item(g, c->records, i, op->in_elem);
  LLVMValueRef k = LLVMBuildExtractValue(g->b, kv, 0, "k");
  LLVMValueRef kp, kn, fresh;
  cg_key_bytes(g, k, op->in_elem->elems[0], &kp, &kn);
  LLVMValueRef p = cg_upsert(g, c->nt, kp, kn, &fresh);
  LLVMValueRef m = load(g, mt, p);
  LLVMValueRef has = LLVMBuildAnd(g->b, LLVMBuildNot(g->b, fresh, ""), LLVMBuildExtractValue(g->b, m, 3, ""), "");
  LLVMValueRef state = LLVMBuildInsertValue(g->b, cg_none(g, type_option((type *)st)), has, 0, "");
  state = LLVMBuildInsertValue(g->b, state, LLVMBuildExtractValue(g->b, m, 1, ""), 1, "");
  LLVMValueRef args[3] = {k, cg_some(g, LLVMBuildExtractValue(g->b, kv, 1, ""), type_option(op->in_elem->elems[1])), state};
  LLVMValueRef r = cg_apply(g, op->fn, args, 3);
  mws_emit(g, c, LLVMBuildExtractValue(g->b, r, 0, "rec"));
  LLVMValueRef ns = LLVMBuildExtractValue(g->b, r, 1, "");
  /* the upsert above is the last one before these stores, so p is still valid; the key is
     persisted when its entry is made, the state on every update */
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, fresh, &then_bb, &done);
  LLVMValueRef key = persist(g, k, op->in_elem->elems[0], c->nstore);
  LLVMBuildStore(g->b, key, LLVMBuildStructGEP2(g->b, mt, p, 0, ""));
  cg_end_if(g, done);
  LLVMBuildStore(g->b, persist(g, LLVMBuildExtractValue(g->b, ns, 1, ""), st, c->nstore),
                 LLVMBuildStructGEP2(g->b, mt, p, 1, ""));
  LLVMBuildStore(g->b, c->now, LLVMBuildStructGEP2(g->b, mt, p, 2, ""));
  LLVMValueRef alive = LLVMBuildExtractValue(g->b, ns, 0, "");
  LLVMBuildStore(g->b, alive, LLVMBuildStructGEP2(g->b, mt, p, 3, ""));
  cg_if(g, LLVMBuildNot(g->b, alive, ""), &then_bb, &done);
  mws_remove(g, c, p);
  cg_end_if(g, done);
}

static void mws_timeout(cg *g, LLVMValueRef i, void *data) {
  mws_ctx *c = data;
  const plan_op *op = c->op;
  LLVMTypeRef mt = mws_entry_t(g, op);
  LLVMValueRef p = entry_at(g, c->nt, i);
  LLVMValueRef m = load(g, mt, p);
  LLVMValueRef last = LLVMBuildExtractValue(g->b, m, 2, "");
  LLVMValueRef idle = LLVMBuildSub(g->b, c->now, last, "");
  LLVMValueRef due = LLVMBuildAnd(g->b, LLVMBuildExtractValue(g->b, m, 3, ""),
                                  LLVMBuildICmp(g->b, LLVMIntSGE, idle, cg_i64(g, op->timeout), ""), "");
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, due, &then_bb, &done);
  LLVMValueRef args[3] = {LLVMBuildExtractValue(g->b, m, 0, ""), cg_none(g, type_option(op->in_elem->elems[1])),
                          cg_some(g, LLVMBuildExtractValue(g->b, m, 1, ""), type_option((type *)mws_state_type(op)))};
  LLVMValueRef r = cg_apply(g, op->fn, args, 3);
  mws_emit(g, c, LLVMBuildExtractValue(g->b, r, 0, "rec"));
  mws_remove(g, c, p);
  cg_end_if(g, done);
}

/* The state table is updated in place: per batch the keys of the batch's records are touched,
 * and (with a timeout) every entry is checked for idleness, as Spark's timeout scan does.  Ended
 * keys are dead entries; the table is rebuilt with the live ones when the dead outnumber them,
 * or when states persisted by updates have grown the store past twice its size after the last
 * rebuild. */
static LLVMValueRef finalize_map_with_state(cg *g, const plan_op *op) {
  mws_ctx c = {op, NULL, NULL, NULL, NULL, NULL, NULL};
  LLVMValueRef state_g = op_global(g, op, "state", g->t_ptr);
  LLVMValueRef store_g = op_global(g, op, "state_store", g->t_ptr);
  LLVMValueRef floor_g = op_global(g, op, "store_floor", g->t_i64);
  LLVMTypeRef mt = mws_entry_t(g, op);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNull(g->b, load(g, g->t_ptr, state_g), ""), &then_bb, &done);
  LLVMValueRef st0 = store_new(g);
  LLVMBuildStore(g->b, st0, store_g);
  LLVMBuildStore(g->b, store_table(g, st0, mt), state_g);
  cg_end_if(g, done);
  c.nt = load(g, g->t_ptr, state_g);
  c.nstore = load(g, g->t_ptr, store_g);
  c.records = cg_load_slot(g, op->slot, g->t_ptr);
  c.now = batch_time(g);
  LLVMValueRef args[2] = {g->worker, cg_sizeof(g, cg_type(g, op->elem))};
  c.out = cg_rt(g, "dsc_rt_vec_new", "ppl", args);
  cg_if(g, LLVMBuildIsNotNull(g->b, c.records, ""), &then_bb, &done);
  cg_loop(g, cg_i64(g, 0), cg_rt(g, "dsc_rt_vec_len", "lp", &c.records), mws_record, &c);
  cg_end_if(g, done);
  if (op->timeout > 0)
    cg_loop(g, cg_i64(g, 0), table_len(g, c.nt), mws_timeout, &c);
  /* the rebuild */
  LLVMValueRef dead = cg_rt(g, "dsc_rt_table_dead", "lp", &c.nt);
  LLVMValueRef live = LLVMBuildSub(g->b, table_len(g, c.nt), dead, "");
  LLVMValueRef many = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, dead, live, ""),
                                   LLVMBuildICmp(g->b, LLVMIntSGT, dead, cg_i64(g, 1024), ""), "");
  cg_if(g, LLVMBuildOr(g->b, many, store_grown(g, c.nstore, floor_g), ""), &then_bb, &done);
  c.old = c.nt;
  LLVMValueRef old_store = c.nstore;
  c.nstore = store_new(g);
  c.nt = store_table(g, c.nstore, mt);
  cg_loop(g, cg_i64(g, 0), table_len(g, c.old), mws_copy_alive, &c);
  cg_rt(g, "dsc_rt_store_free", "vp", &old_store);
  LLVMBuildStore(g->b, c.nt, state_g);
  LLVMBuildStore(g->b, c.nstore, store_g);
  LLVMBuildStore(g->b, cg_rt(g, "dsc_rt_store_bytes", "lp", &c.nstore), floor_g);
  cg_end_if(g, done);
  cg_store_slot(g, op->slot + 1, c.out);
  return LLVMConstInt(g->t_i1, 1, 0);
}

typedef struct snap_ctx {
  const plan_op *mws;
  LLVMValueRef table, out;
  const type *elem;
} snap_ctx;

static void snap_entry(cg *g, LLVMValueRef i, void *data) {
  snap_ctx *c = data;
  LLVMValueRef m = load(g, mws_entry_t(g, c->mws), entry_at(g, c->table, i));
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildExtractValue(g->b, m, 3, ""), &then_bb, &done);
  LLVMValueRef kv = LLVMGetUndef(cg_type(g, c->elem));
  kv = LLVMBuildInsertValue(g->b, kv, LLVMBuildExtractValue(g->b, m, 0, ""), 0, "");
  kv = LLVMBuildInsertValue(g->b, kv, LLVMBuildExtractValue(g->b, m, 1, ""), 1, "");
  LLVMBuildStore(g->b, kv, cg_rt(g, "dsc_rt_vec_push", "pp", &c->out));
  cg_end_if(g, done);
}

static LLVMValueRef finalize_snapshots(cg *g, const plan_op *op) {
  snap_ctx c = {op->state_of, load(g, g->t_ptr, op_global(g, op->state_of, "state", g->t_ptr)), NULL, op->elem};
  LLVMValueRef args[2] = {g->worker, cg_sizeof(g, cg_type(g, op->elem))};
  c.out = cg_rt(g, "dsc_rt_vec_new", "ppl", args);
  LLVMBasicBlockRef then_bb, done;
  cg_if(g, LLVMBuildIsNotNull(g->b, c.table, ""), &then_bb, &done);
  cg_loop(g, cg_i64(g, 0), table_len(g, c.table), snap_entry, &c);
  cg_end_if(g, done);
  cg_store_slot(g, op->slot + 1, c.out);
  return LLVMConstInt(g->t_i1, 1, 0);
}

/* ---- entry points -------------------------------------------------------------------------------- */

LLVMValueRef cg_state_finalize(cg *g, const plan_op *op) {
  switch (op->kind) {
  case P_WINDOW: return finalize_window(g, op);
  case P_UPDATE_STATE: return finalize_update_state(g, op);
  case P_MAP_WITH_STATE: return finalize_map_with_state(g, op);
  case P_SNAPSHOTS: return finalize_snapshots(g, op);
  default: unreachable();
  }
}

/* How the result of a stateful op is read: a vector, a table, a count or a fold cell. */
typedef enum { RES_VEC, RES_TABLE, RES_COUNT, RES_CELL } result_kind;

static result_kind result_of(const plan_op *op) {
  if (op->kind == P_UPDATE_STATE)
    return RES_TABLE;
  if (op->kind != P_WINDOW)
    return RES_VEC;
  switch (op->variant) {
  case S_WINDOW: return RES_VEC;
  case S_COUNT_BY_WINDOW: return RES_COUNT;
  case S_REDUCE_BY_WINDOW: return RES_CELL;
  default: return RES_TABLE;
  }
}

LLVMValueRef cg_state_root_count(cg *g, const plan_op *root) {
  int slot = root->slot + 1;
  switch (result_of(root)) {
  case RES_VEC: {
    LLVMValueRef v = cg_load_slot(g, slot, g->t_ptr);
    return cg_rt(g, "dsc_rt_vec_len", "lp", &v);
  }
  case RES_TABLE: return table_len(g, cg_load_slot(g, slot, g->t_ptr));
  case RES_COUNT: return cg_i64(g, 1);
  case RES_CELL:
    return LLVMBuildZExt(g->b, load(g, g->t_i1, cg_load_slot(g, slot, g->t_ptr)), g->t_i64, "");
  }
  unreachable();
}

LLVMValueRef cg_state_root_live(cg *g, const plan_op *root, LLVMValueRef i) {
  if (result_of(root) != RES_TABLE)
    return LLVMConstInt(g->t_i1, 1, 0);
  LLVMValueRef args[2] = {cg_load_slot(g, root->slot + 1, g->t_ptr), i};
  return LLVMBuildICmp(g->b, LLVMIntNE, cg_rt(g, "dsc_rt_table_live_at", "ipl", args), cg_i32(g, 0), "");
}

LLVMValueRef cg_state_root_live_count(cg *g, const plan_op *root) {
  if ((root->kind != P_WINDOW && root->kind != P_UPDATE_STATE) || result_of(root) != RES_TABLE)
    return NULL;
  LLVMValueRef table = cg_load_slot(g, root->slot + 1, g->t_ptr);
  return LLVMBuildSub(g->b, table_len(g, table), cg_rt(g, "dsc_rt_table_dead", "lp", &table), "");
}

LLVMValueRef cg_state_root_elem(cg *g, const plan_op *root, LLVMValueRef i) {
  int slot = root->slot + 1;
  LLVMTypeRef et = cg_type(g, root->elem);
  switch (result_of(root)) {
  case RES_VEC: return cg_vec_item(g, cg_load_slot(g, slot, g->t_ptr), i, root->elem);
  case RES_TABLE: /* a window's aggregation, or updateStateByKey's {key, state} entries */
    return cg_agg_elem(g, root, cg_load_slot(g, slot, g->t_ptr), i);
  case RES_COUNT: return cg_load_slot(g, slot, g->t_i64);
  case RES_CELL: {
    LLVMTypeRef f[2] = {g->t_i1, et};
    LLVMTypeRef ct = LLVMStructTypeInContext(g->ctx, f, 2, 0);
    return LLVMBuildExtractValue(g->b, load(g, ct, cg_load_slot(g, slot, g->t_ptr)), 1, "");
  }
  }
  unreachable();
}

void cg_state_start(cg *g) {
  /* window lengths and slides were checked against the declared batch interval; a --batch
     override is checked here, before any data flows */
  for (int i = 0; i < g->plan->ops.len; i++) {
    const plan_op *op = g->plan->ops.items[i];
    if (op->kind != P_WINDOW)
      continue;
    int64_t values[2] = {op->length, op->slide};
    int line, col;
    source_line_col(g->plan->src, op->node->name_at.start, &line, &col);
    for (int k = 0; k < 2; k++) {
      if (values[k] == 0)
        continue;
      LLVMValueRef rem = LLVMBuildSRem(g->b, cg_i64(g, values[k]), interval(g), "");
      LLVMBasicBlockRef then_bb, done;
      cg_if(g, LLVMBuildICmp(g->b, LLVMIntNE, rem, cg_i64(g, 0), ""), &then_bb, &done);
      LLVMValueRef msg = LLVMBuildGlobalStringPtr(
          g->b, mem_printf("%s:%d:%d: the %s %s of %s is not a multiple of the batch interval "
                           "given with --batch", g->plan->src->path, line, col,
                           k == 0 ? "window length" : "slide", ops_duration_text(values[k]),
                           ops_stream_op_name(op->variant)),
          ".msg");
      LLVMValueRef args[2] = {g->ctx_val, msg};
      cg_rt(g, "dsc_rt_fatal", "vpp", args);
      cg_end_if(g, done);
    }
  }
}
