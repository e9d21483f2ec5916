/* plan.h — the stage plan: operators from the typed AST, grouped into stages.
 *
 * A stage is one loop over one input (a source's lines, or the merged result of a pipeline
 * breaker) that feeds a tree of narrow operators (map, flatMap, filter), fused into the loop,
 * down to its sinks: pipeline breakers (reduceByKey's hash aggregation, count) and output
 * operations (print).  A stage's input is cut into partitions that run as independent tasks
 * with partial sink state each; partials meet (are merged in task order) when the stage ends.
 * Stages run in the order of this plan, which puts every breaker after the stage that feeds
 * it; output operations run after all stages, in program order. */
#ifndef DSC_PLAN_H
#define DSC_PLAN_H

#include <stdio.h>

#include "ast.h"
#include "sema.h"

typedef enum plan_kind {
  P_SOURCE,        /* a receiver: lines of text */
  P_MAP,           /* narrow: fn(x) */
  P_FLAT_MAP,      /* narrow: each element of fn(x) */
  P_FILTER,        /* narrow: x if fn(x) */
  P_REDUCE_BY_KEY, /* breaker: per-key fold with fn, partial tables merged */
  P_COUNT,         /* breaker: one int per batch */
  P_PRINT          /* output: pprint of the first n elements */
} plan_kind;

typedef struct plan_op plan_op;
typedef struct plan_stage plan_stage;

struct plan_op {
  plan_kind kind;      /* what it does */
  int id;              /* 1-based, in creation order */
  expr *node;          /* the source call or method call it comes from */
  plan_op *input;      /* NULL for sources */
  ptr_vec consumers;   /* plan_op* that read this op's output */
  expr *fn;            /* the lambda, for operators that take one */
  type *elem;          /* element type of this op's output (print: of its input) */
  int source;          /* P_SOURCE: 0-based registration index */
  int64_t n;           /* P_PRINT: elements shown */
  int output;          /* P_PRINT: 0-based program order */
  plan_stage *stage;   /* the stage whose loop runs it (sinks: the feeding stage) */
  plan_stage *out;     /* breakers: the stage that reads its merged result */
  int slot;            /* codegen: first batch-state slot of a sink's partials */
};

struct plan_stage {
  int id;            /* 1-based, execution order */
  plan_op *root;     /* a source or breaker whose output the loop reads */
  ptr_vec sinks;     /* plan_op* breakers and outputs it feeds */
  bool single;       /* the input has at most one element: one task, no partitions */
  int slot;          /* codegen: batch-state slot holding this stage's task count */
};

typedef struct plan {
  ptr_vec ops;     /* plan_op*, creation order */
  ptr_vec stages;  /* plan_stage*, execution order */
  ptr_vec sources; /* plan_op* of kind P_SOURCE, registration order */
  ptr_vec outputs; /* plan_op* of kind P_PRINT, program order */
  const sema_info *info;
} plan;

plan *plan_build(const ast_program *prog, const sema_info *info);
/* `dsc explain`: stages, fused operators, breakers and outputs. */
void plan_dump(FILE *out, const plan *p, const src_file *src);
bool plan_is_narrow(plan_kind k);

#endif
