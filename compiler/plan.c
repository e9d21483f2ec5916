/* plan.c — from the typed AST to stages.  Operators are built from the output operations back
 * to the sources, memoised on the AST node, so a stream bound once and used twice is one
 * operator with two consumers (fanned out inside one fused loop), and a binding no output
 * reads costs nothing. */
#include "plan.h"

#include "ops.h"
#include "types.h"

bool plan_is_narrow(plan_kind k) { return k == P_MAP || k == P_FLAT_MAP || k == P_FILTER; }

static plan_op *new_op(plan *p, plan_kind kind, expr *node, plan_op *input) {
  plan_op *op = mem_alloc(sizeof *op);
  op->kind = kind;
  op->id = p->ops.len + 1;
  op->node = node;
  op->input = input;
  if (input)
    vec_push(&input->consumers, op);
  vec_push(&p->ops, op);
  return op;
}

static plan_op *build(plan *p, expr *e) {
  if (e->kind == E_NAME)
    return build(p, e->sym->value);
  if (e->plan)
    return e->plan;
  plan_op *op;
  if (e->kind == E_CALL) {
    op = new_op(p, P_SOURCE, e, NULL);
    op->source = p->sources.len;
    vec_push(&p->sources, op);
  } else {
    plan_op *input = build(p, e->lhs);
    static const plan_kind kinds[] = {P_MAP, P_FLAT_MAP, P_FILTER, P_REDUCE_BY_KEY, P_COUNT,
                                      P_PRINT};
    _Static_assert(sizeof kinds / sizeof kinds[0] == S_COUNT_, "stream op table out of date");
    op = new_op(p, kinds[e->builtin], e, input);
    if (e->items.len > 0 && op->kind != P_PRINT)
      op->fn = ((ast_arg *)e->items.items[0])->value;
    if (op->kind == P_PRINT) {
      op->n = e->ival;
      op->output = p->outputs.len;
      vec_push(&p->outputs, op);
    }
  }
  op->elem = e->type->kind == T_STREAM ? e->type->elem : op->input->elem;
  e->plan = op;
  return op;
}

static plan_stage *new_stage(plan *p, plan_op *root) {
  plan_stage *st = mem_alloc(sizeof *st);
  st->id = p->stages.len + 1;
  st->root = root;
  st->single = root->kind == P_COUNT;
  vec_push(&p->stages, st);
  return st;
}

/* Puts the consumers of `op` into stage `st`: narrow ones join the fused loop, sinks end it. */
static void assign(plan *p, plan_op *op, plan_stage *st) {
  for (int i = 0; i < op->consumers.len; i++) {
    plan_op *c = op->consumers.items[i];
    c->stage = st;
    if (plan_is_narrow(c->kind)) {
      assign(p, c, st);
    } else {
      vec_push(&st->sinks, c);
      if (c->kind != P_PRINT && !c->out)
        c->out = new_stage(p, c);
    }
  }
}

plan *plan_build(const ast_program *prog, const sema_info *info) {
  (void)prog;
  plan *p = mem_alloc(sizeof *p);
  p->info = info;
  for (int i = 0; i < info->outputs.len; i++)
    build(p, info->outputs.items[i]);
  for (int i = 0; i < p->sources.len; i++) {
    plan_op *src = p->sources.items[i];
    src->out = new_stage(p, src);
  }
  /* Stages created while assigning are appended, so this loop reaches them too, after the
     stage that feeds them. */
  for (int i = 0; i < p->stages.len; i++) {
    plan_stage *st = p->stages.items[i];
    assign(p, st->root, st);
  }
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

static void dump_tree(FILE *out, const plan_op *op, const plan_stage *st, int depth,
                      const src_file *src) {
  for (int i = 0; i < op->consumers.len; i++) {
    const plan_op *c = op->consumers.items[i];
    if (c->stage != st)
      continue;
    int line, col;
    source_line_col(src, c->node->name_at.start, &line, &col);
    fprintf(out, "  %*s-> %s", depth * 2, "", op_label(c, src));
    switch (c->kind) {
    case P_REDUCE_BY_KEY:
      fprintf(out, "  [breaker: per-task hash aggregation, merged into stage %d]", c->out->id);
      break;
    case P_COUNT:
      fprintf(out, "  [breaker: per-task counter, summed into stage %d]", c->out->id);
      break;
    case P_PRINT:
      fprintf(out, "  [output %d]", c->output + 1);
      break;
    default:
      fprintf(out, "  [fused]");
    }
    fprintf(out, "  (line %d) : %s\n", line, type_name(c->kind == P_PRINT ? c->elem : c->elem));
    if (plan_is_narrow(c->kind))
      dump_tree(out, c, st, depth + 1, src);
  }
}

void plan_dump(FILE *out, const plan *p, const src_file *src) {
  fprintf(out, "batch interval: %lld ms\n", (long long)p->info->batch_ms);
  for (int i = 0; i < p->stages.len; i++) {
    const plan_stage *st = p->stages.items[i];
    const plan_op *r = st->root;
    if (r->kind == P_SOURCE)
      fprintf(out, "stage %d: one fused loop per partition over source %d, %s : stream[%s]\n",
              st->id, r->source + 1, op_label(r, src), type_name(r->elem));
    else
      fprintf(out, "stage %d: %s over the merged result of %s : stream[%s]\n", st->id,
              st->single ? "one loop" : "one fused loop per partition", op_label(r, src),
              type_name(r->elem));
    dump_tree(out, r, st, 0, src);
  }
  fprintf(out, "outputs, in program order, after every stage:\n");
  for (int i = 0; i < p->outputs.len; i++) {
    const plan_op *o = p->outputs.items[i];
    fprintf(out, "  %d. %s of stage %d\n", i + 1, op_label(o, src), o->stage->id);
  }
}
