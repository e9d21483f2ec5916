/* plan.c — from the typed AST to stages.  Operators are built from the output operations back
 * to the sources, memoised on the AST node, so a stream bound once and used twice is one
 * operator with two consumers (fanned out inside one fused loop), and a binding no output
 * reads costs nothing. */
#include "plan.h"

#include <string.h>

#include "ops.h"
#include "types.h"

bool plan_is_narrow(plan_kind k) { return k >= P_MAP && k <= P_VALUES; }
bool plan_is_output(plan_kind k) { return k >= P_PRINT; }

bool plan_stage_static(const plan_stage *st) {
  if (st->root->kind != P_SOURCE || (source_id)st->root->node->builtin != SRC_TABLE || !st->edges.len)
    return false;
  for (int i = 0; i < st->edges.len; i++) {
    switch (((const plan_edge *)st->edges.items[i])->op->kind) {
    case P_REDUCE_BY_KEY: case P_COMBINE_BY_KEY: case P_COUNT_BY_VALUE: case P_DISTINCT:
    case P_GROUP_BY_KEY: case P_JOIN: case P_UNION: case P_SORT:
      break;
    default: /* outputs read the partials in place; state and windows keep their own */
      return false;
    }
  }
  return true;
}

static void connect(plan_op *from, plan_op *to, int input) {
  plan_edge *e = mem_alloc(sizeof *e);
  e->op = to;
  e->input = input;
  vec_push(&to->inputs, from);
  vec_push(&from->consumers, e);
}

static plan_op *new_op(plan *p, plan_kind kind, expr *node) {
  plan_op *op = mem_alloc(sizeof *op);
  op->kind = kind;
  op->id = p->ops.len + 1;
  op->node = node;
  vec_push(&p->ops, op);
  return op;
}

static expr *arg(const expr *call, int i) { return ((ast_arg *)call->items.items[i])->value; }

static plan_kind kind_of(int stream_op) {
  switch ((stream_op_id)stream_op) {
  case S_MAP: return P_MAP;
  case S_FLAT_MAP: return P_FLAT_MAP;
  case S_FILTER: return P_FILTER;
  case S_MAP_VALUES: return P_MAP_VALUES;
  case S_FLAT_MAP_VALUES: return P_FLAT_MAP_VALUES;
  case S_KEYS: return P_KEYS;
  case S_VALUES: return P_VALUES;
  case S_REDUCE_BY_KEY: return P_REDUCE_BY_KEY;
  case S_COMBINE_BY_KEY: return P_COMBINE_BY_KEY;
  case S_COUNT_BY_VALUE: return P_COUNT_BY_VALUE;
  case S_DISTINCT: return P_DISTINCT;
  case S_GROUP_BY_KEY: return P_GROUP_BY_KEY;
  case S_JOIN: case S_LEFT_OUTER_JOIN: case S_RIGHT_OUTER_JOIN: case S_FULL_OUTER_JOIN:
  case S_COGROUP: return P_JOIN;
  case S_COUNT: return P_COUNT;
  case S_REDUCE: return P_REDUCE;
  case S_UNION: case S_REPARTITION: return P_UNION;
  case S_SORT_BY: case S_SORT_BY_KEY: case S_TOP: return P_SORT;
  case S_WINDOW: case S_COUNT_BY_WINDOW: case S_REDUCE_BY_WINDOW: case S_REDUCE_BY_KEY_AND_WINDOW:
  case S_COUNT_BY_VALUE_AND_WINDOW: return P_WINDOW;
  case S_UPDATE_STATE_BY_KEY: return P_UPDATE_STATE;
  case S_MAP_WITH_STATE: return P_MAP_WITH_STATE;
  case S_STATE_SNAPSHOTS: return P_SNAPSHOTS;
  case S_PRINT: return P_PRINT;
  case S_STDOUT: return P_STDOUT;
  case S_SAVE_AS_TEXT_FILES: return P_SAVE;
  case S_COUNT_: break;
  }
  unreachable();
}

static plan_op *build(plan *p, expr *e) {
  if (e->kind == E_NAME)
    return build(p, e->sym->value);
  if (e->plan)
    return e->plan;
  plan_op *op;
  if (e->kind == E_CALL && e->builtin == SRC_STDIN) {
    /* standard input can be read once: every stdin() is the same source */
    for (int i = 0; i < p->sources.len; i++) {
      plan_op *src = p->sources.items[i];
      if (src->variant == SRC_STDIN) {
        e->plan = src;
        return src;
      }
    }
  }
  if (e->kind == E_CALL) {
    op = new_op(p, P_SOURCE, e);
    op->variant = e->builtin;
    op->source = p->sources.len;
    vec_push(&p->sources, op);
    op->elem = e->type->elem;
    e->plan = op;
    return op;
  }
  plan_op *input = build(p, e->lhs);
  op = new_op(p, kind_of(e->builtin), e);
  op->variant = e->builtin;
  connect(input, op, 0);
  op->in_elem = input->elem;
  switch (op->kind) {
  case P_UNION:
    if (e->builtin == S_UNION)
      for (int i = 0; i < e->items.len; i++)
        connect(build(p, arg(e, i)), op, i + 1);
    else
      op->n = e->ival;
    break;
  case P_JOIN:
    connect(build(p, arg(e, 0)), op, 1);
    break;
  case P_SORT:
    op->fn = e->rhs;
    op->ascending = e->bval;
    op->n = e->builtin == S_TOP ? e->ival : -1;
    break;
  case P_PRINT:
    op->n = e->ival;
    break;
  case P_WINDOW:
    op->length = e->length;
    op->slide = e->slide;
    op->fn = e->cond;
    op->inv = e->rhs;
    op->filter = e->aux;
    break;
  case P_MAP_WITH_STATE:
    op->fn = e->cond;
    op->timeout = e->timeout;
    break;
  case P_SNAPSHOTS:
    op->state_of = input;
    break;
  case P_COUNT: case P_COUNT_BY_VALUE: case P_DISTINCT: case P_GROUP_BY_KEY: case P_KEYS:
  case P_VALUES: case P_STDOUT: case P_SAVE:
    break;
  default:
    op->fn = arg(e, 0);
  }
  if (plan_is_output(op->kind)) {
    op->output = p->outputs.len;
    vec_push(&p->outputs, op);
    op->elem = input->elem;
  } else {
    op->elem = e->type->elem;
  }
  e->plan = op;
  return op;
}

static plan_stage *new_stage(plan *p, plan_op *root) {
  plan_stage *st = mem_alloc(sizeof *st);
  st->root = root;
  st->single = root->kind == P_COUNT || root->kind == P_REDUCE ||
               (root->kind == P_WINDOW &&
                (root->variant == S_COUNT_BY_WINDOW || root->variant == S_REDUCE_BY_WINDOW));
  st->tasks = root->kind == P_UNION && root->variant == S_REPARTITION ? root->n : 0;
  vec_push(&p->stages, st);
  root->out = st;
  return st;
}

/* Puts the consumers of `op` into stage `st`: narrow ones join the fused loop, sinks end it. */
static void assign(plan *p, plan_op *op, plan_stage *st) {
  for (int i = 0; i < op->consumers.len; i++) {
    plan_edge *e = op->consumers.items[i];
    e->stage = st;
    if (plan_is_narrow(e->op->kind)) {
      assign(p, e->op, st);
    } else {
      vec_push(&st->edges, e);
      if (!plan_is_output(e->op->kind) && !e->op->out)
        new_stage(p, e->op);
    }
  }
}

plan_edge *plan_input_edge(const plan_op *op, int input) {
  const plan_op *from = op->inputs.items[input];
  for (int i = 0; i < from->consumers.len; i++) {
    plan_edge *e = from->consumers.items[i];
    if (e->op == op && e->input == input)
      return e;
  }
  unreachable();
}

/* ---- joins that probe a lookup table -------------------------------------------------------
 * A join whose right side comes from a static stage (a table() computed in the first batch and
 * kept, plan_stage_static) joins every batch with the same right side.  Rather than group the
 * left side by key and join in a stage of its own, the left side's loop can look each record's
 * key up in the kept table and go on with its pairs at once (Spark's broadcast hash join): no
 * grouping table, no vector of values per key, no second pass.  The pairs then come in record
 * order, not grouped by key as a join gives them (left keys in first-appearance order), so this
 * is done only where nothing downstream can tell: the pairs go, through at most one mapValues or
 * map, to a reduceByKey or reduceByKeyAndWindow summing ints with `a + b`, whose key is the join
 * key or is made from the key and the right value alone (`(ad, v) => (v._2, v._1)`), or to a
 * countByValue of such a map's results, or to a count.  A key of the sum (a value counted) then
 * first appears at the first record whose join key gives it, in both orders (the key group of
 * that record is the first group to give it), and a sum of ints (which wrap) or a count is the
 * same in any order. */

static bool names_param(const expr *e, const ast_param *p) {
  return e->kind == E_NAME && e->sym && e->sym->kind == SYM_LOCAL && e->sym->decl == p;
}

/* Whether e reads no variable but the join key k, the right value `vw._2` and program
 * parameters. */
static bool from_key_and_right(const expr *e, const ast_param *k, const ast_param *vw) {
  switch (e->kind) {
  case E_INT: case E_FLOAT: case E_STRING: case E_BOOL: return true;
  case E_NAME: return names_param(e, k) || (e->sym && e->sym->kind == SYM_PARAM);
  case E_MEMBER:
    if (e->lhs->type->kind != T_TUPLE)
      return false;
    return names_param(e->lhs, vw) ? e->field == 1 : from_key_and_right(e->lhs, k, vw);
  case E_BINARY:
    return from_key_and_right(e->lhs, k, vw) && from_key_and_right(e->rhs, k, vw);
  case E_TUPLE:
    for (int i = 0; i < e->items.len; i++)
      if (!from_key_and_right(e->items.items[i], k, vw))
        return false;
    return true;
  case E_CALL: /* a built-in function of such values */
    if (e->sym && e->sym->kind == SYM_FN)
      return false;
    for (int i = 0; i < e->items.len; i++)
      if (!from_key_and_right(arg(e, i), k, vw))
        return false;
    return true;
  default: return false;
  }
}

bool plan_sums_ints(const expr *fn, const type *value) {
  if (!fn || fn->kind != E_LAMBDA || fn->items.len != 2 || fn->field == 1 || value->kind != T_INT)
    return false;
  const expr *body = fn->lhs;
  const ast_param *a = fn->items.items[0], *b = fn->items.items[1];
  return body->kind == E_BINARY && body->op == OP_ADD &&
         ((names_param(body->lhs, a) && names_param(body->rhs, b)) ||
          (names_param(body->lhs, b) && names_param(body->rhs, a)));
}

static const plan_op *only_consumer(const plan_op *op) {
  return op->consumers.len == 1 ? ((plan_edge *)op->consumers.items[0])->op : NULL;
}

/* count() and countByWindow: a number, whatever the order. */
static bool counts(const plan_op *op) {
  return op->kind == P_COUNT || (op->kind == P_WINDOW && op->variant == S_COUNT_BY_WINDOW);
}

/* countByValue() and countByValueAndWindow: keyed by the whole element. */
static bool counts_values(const plan_op *op) {
  return op->kind == P_COUNT_BY_VALUE ||
         (op->kind == P_WINDOW && op->variant == S_COUNT_BY_VALUE_AND_WINDOW);
}

/* A map's `(k, v) => body` over the pairs: its parameters when it destructures them. */
static const expr *pair_map_body(const plan_op *map, const ast_param **k, const ast_param **v) {
  const expr *fn = map->fn;
  if (!fn || fn->kind != E_LAMBDA || fn->field != 1 || fn->items.len != 2)
    return NULL;
  *k = fn->items.items[0], *v = fn->items.items[1];
  return fn->lhs;
}

/* Whether the join's pairs may come in record order (above): into a count directly or through
 * one map, mapValues or filter; into a countByValue through a map of the key and the right
 * value alone; into a sum of ints through a mapValues or a map whose result's key is made of
 * them. */
static bool pairs_order_free(const plan_op *join) {
  const plan_op *c = only_consumer(join);
  if (!c || join->variant != S_JOIN)
    return false;
  if (counts(c))
    return true;
  if (c->kind != P_MAP && c->kind != P_MAP_VALUES && c->kind != P_FILTER)
    return false;
  const plan_op *sum = only_consumer(c);
  if (!sum)
    return false;
  if (counts(sum))
    return true;
  const ast_param *k = NULL, *v = NULL;
  const expr *body = c->kind == P_MAP ? pair_map_body(c, &k, &v) : NULL;
  if (counts_values(sum))
    return body && from_key_and_right(body, k, v);
  bool keyed_sum = sum->kind == P_REDUCE_BY_KEY ||
                   (sum->kind == P_WINDOW && sum->variant == S_REDUCE_BY_KEY_AND_WINDOW);
  if (!keyed_sum || c->kind == P_FILTER || c->elem->kind != T_TUPLE ||
      !plan_sums_ints(sum->fn, c->elem->elems[1]))
    return false;
  return c->kind == P_MAP_VALUES ||
         (body && body->kind == E_TUPLE && body->items.len == 2 &&
          from_key_and_right(body->items.items[0], k, v));
}

/* Sets e and every edge below it, through narrow operators, to hang in stage `to`. */
static void restage(plan_op *op, plan_stage *from, plan_stage *to) {
  for (int i = 0; i < op->consumers.len; i++) {
    plan_edge *e = op->consumers.items[i];
    if (e->stage != from)
      continue;
    e->stage = to;
    if (plan_is_narrow(e->op->kind))
      restage(e->op, from, to);
  }
}

static void remove_item(ptr_vec *v, const void *item) {
  for (int i = 0; i < v->len; i++)
    if (v->items[i] == item) {
      memmove(&v->items[i], &v->items[i + 1], sizeof(void *) * (size_t)(v->len - i - 1));
      v->len--;
      return;
    }
}

/* Fuses each join that may probe its kept right side into its left side's loop: the join's own
 * stage goes, its sinks move to the left side's stage. */
static void fuse_probe_joins(plan *p) {
  for (int i = 0; i < p->ops.len; i++) {
    plan_op *join = p->ops.items[i];
    if (join->kind != P_JOIN || !join->out || !pairs_order_free(join))
      continue;
    plan_edge *left = plan_input_edge(join, 0), *right = plan_input_edge(join, 1);
    plan_stage *own = join->out, *into = left->stage;
    if (!plan_stage_static(right->stage) || plan_stage_static(into) || into == right->stage)
      continue;
    remove_item(&into->edges, left);
    restage(join, own, into);
    for (int k = 0; k < own->edges.len; k++)
      vec_push(&into->edges, own->edges.items[k]);
    remove_item(&p->stages, own);
    join->out = NULL;
    join->probe = true;
  }
}

/* Whether edge e (in another stage) must run before stage st: it feeds st's root, or a join
 * fused into st that probes what e's stage keeps. */
static bool feeds(const plan_edge *e, const plan_stage *st) {
  return e->op == st->root || (e->op->probe && plan_input_edge(e->op, 0)->stage == st);
}

/* The longest chain of stages that must run before `st`. */
static int depth(plan_stage *st, ptr_vec *stages) {
  int d = 0;
  for (int k = 0; k < stages->len; k++) {
    plan_stage *t = stages->items[k];
    for (int j = 0; j < t->edges.len; j++) {
      plan_edge *e = t->edges.items[j];
      if (t != st && feeds(e, st)) {
        int td = depth(t, stages) + 1;
        if (td > d)
          d = td;
      }
    }
  }
  return d;
}

plan *plan_build(const ast_program *prog, const sema_info *info) {
  plan *p = mem_alloc(sizeof *p);
  p->src = prog->src;
  p->info = info;
  for (int i = 0; i < info->outputs.len; i++)
    build(p, info->outputs.items[i]);
  for (int i = 0; i < p->sources.len; i++)
    new_stage(p, p->sources.items[i]);
  /* Stages created while assigning are appended, so this loop reaches them too. */
  for (int i = 0; i < p->stages.len; i++)
    assign(p, ((plan_stage *)p->stages.items[i])->root, p->stages.items[i]);
  fuse_probe_joins(p);
  /* A breaker with several inputs (union, join) must wait for every feeding stage: order
     stages by depth, keeping creation order among equals. */
  int n = p->stages.len;
  int *d = mem_alloc(sizeof(int) * (size_t)n);
  for (int i = 0; i < n; i++)
    d[i] = depth(p->stages.items[i], &p->stages);
  ptr_vec sorted = {0};
  for (int level = 0; sorted.len < n; level++)
    for (int i = 0; i < n; i++)
      if (d[i] == level)
        vec_push(&sorted, p->stages.items[i]);
  p->stages = sorted;
  for (int i = 0; i < n; i++)
    ((plan_stage *)p->stages.items[i])->id = i + 1;
  return p;
}

static const char *op_label(const plan_op *op, const src_file *src) {
  const expr *e = op->node;
  switch (op->kind) {
  case P_SOURCE:
    return mem_printf("%.*s", e->at.end - e->at.start, src->text + e->at.start);
  case P_PRINT:
    return mem_printf("print(%lld)", (long long)op->n);
  default:
    return ops_stream_op_name(e->builtin);
  }
}

static const char *breaker_note(const plan_op *op) {
  switch (op->kind) {
  case P_REDUCE_BY_KEY: case P_COMBINE_BY_KEY: case P_COUNT_BY_VALUE:
    return "breaker: per-task hash aggregation, merged";
  case P_DISTINCT: return "breaker: per-task hash set, merged";
  case P_GROUP_BY_KEY: return "breaker: per-task hash grouping, merged";
  case P_JOIN: return "breaker: both sides grouped by key, then joined";
  case P_COUNT: return "breaker: per-task counter, summed";
  case P_REDUCE: return "breaker: per-task fold, folded in task order";
  case P_UNION: return "breaker: inputs concatenated in order";
  case P_SORT: return "breaker: collected, then stable-sorted";
  case P_WINDOW:
    return op->inv ? "breaker: per-batch panes kept for the window; state updated incrementally"
                   : "breaker: per-batch panes kept for the window, combined at each slide";
  case P_UPDATE_STATE: return "breaker: values grouped per key, state table updated for every key";
  case P_MAP_WITH_STATE: return "breaker: records applied in order to the state table";
  case P_SNAPSHOTS: return "breaker: the state table of mapWithState";
  default: unreachable();
  }
}

static void dump_tree(FILE *out, const plan_op *op, const plan_stage *st, int depth_,
                      const src_file *src) {
  for (int i = 0; i < op->consumers.len; i++) {
    const plan_edge *e = op->consumers.items[i];
    const plan_op *c = e->op;
    if (e->stage != st)
      continue;
    int line, col;
    source_line_col(src, c->node->name_at.start, &line, &col);
    fprintf(out, "  %*s-> %s", depth_ * 2, "", op_label(c, src));
    if (plan_is_output(c->kind))
      fprintf(out, "  [output %d]", c->output + 1);
    else if (plan_is_narrow(c->kind))
      fprintf(out, "  [fused]");
    else if (c->probe && e->input == 0)
      fprintf(out, "  [fused: each key looked up in the table stage %d keeps]",
              plan_input_edge(c, 1)->stage->id);
    else if (c->probe)
      fprintf(out, "  [kept for the lookups of stage %d]", plan_input_edge(c, 0)->stage->id);
    else
      fprintf(out, "  [%s into stage %d]", breaker_note(c), c->out->id);
    fprintf(out, "  (line %d) : %s\n", line, type_name(c->elem));
    if (plan_is_narrow(c->kind) || (c->probe && e->input == 0))
      dump_tree(out, c, st, depth_ + 1, src);
  }
}

void plan_dump(FILE *out, const plan *p, const src_file *src) {
  fprintf(out, "batch interval: %lld ms\n", (long long)p->info->batch_ms);
  for (int i = 0; i < p->stages.len; i++) {
    const plan_stage *st = p->stages.items[i];
    const plan_op *r = st->root;
    const char *loop = plan_stage_static(st) ? "one loop, in the first batch only (its results are kept),"
                     : st->single ? "one loop"
                     : st->tasks ? mem_printf("%lld tasks, one fused loop each", (long long)st->tasks)
                                 : "one fused loop per partition";
    if (r->kind == P_SOURCE)
      fprintf(out, "stage %d: %s over source %d, %s : stream[%s]\n", st->id, loop, r->source + 1,
              op_label(r, src), type_name(r->elem));
    else
      fprintf(out, "stage %d: %s over the result of %s : stream[%s]\n", st->id, loop,
              op_label(r, src), type_name(r->elem));
    dump_tree(out, r, st, 0, src);
  }
  fprintf(out, "outputs, in program order, after every stage:\n");
  for (int i = 0; i < p->outputs.len; i++) {
    const plan_op *o = p->outputs.items[i];
    const plan_edge *e = ((plan_op *)o->inputs.items[0])->consumers.items[0];
    for (int k = 0; k < ((plan_op *)o->inputs.items[0])->consumers.len; k++) {
      const plan_edge *c = ((plan_op *)o->inputs.items[0])->consumers.items[k];
      if (c->op == o)
        e = c;
    }
    fprintf(out, "  %d. %s of stage %d\n", i + 1, op_label(o, src), e->stage->id);
  }
}
