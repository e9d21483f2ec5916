/* plan.h — the stage plan: operators from the typed AST, grouped into stages.
 *
 * A stage is one loop over one input (a source's lines, or the merged result of a pipeline
 * breaker) that feeds a tree of narrow operators (map, flatMap, filter, mapValues, ...), fused
 * into the loop, down to its sinks: pipeline breakers (hash aggregation, grouping for joins,
 * sorting, union) and output operations.  A stage's input is cut into partitions that run as
 * independent tasks with partial sink state each; partials meet (are merged in task order)
 * when the stage ends.  Stages run in an order that puts every breaker after all stages that
 * feed it; output operations run after all stages, in program order. */
#ifndef DSC_PLAN_H
#define DSC_PLAN_H

#include <stdio.h>

#include "ast.h"
#include "sema.h"

typedef enum plan_kind {
  P_SOURCE,            /* a receiver: lines of text */
  /* narrow, fused into the loop of their input's stage */
  P_MAP,               /* fn(x) */
  P_FLAT_MAP,          /* each element of fn(x) */
  P_FILTER,            /* x if fn(x) */
  P_MAP_VALUES,        /* (k, fn(v)) */
  P_FLAT_MAP_VALUES,   /* (k, w) for each w of fn(v) */
  P_KEYS,              /* k */
  P_VALUES,            /* v */
  /* pipeline breakers */
  P_REDUCE_BY_KEY,     /* per-key fold with fn */
  P_COMBINE_BY_KEY,    /* per-key create / mergeValue / mergeCombiners */
  P_COUNT_BY_VALUE,    /* (x, count of x) */
  P_DISTINCT,          /* each x once, first appearance order */
  P_GROUP_BY_KEY,      /* (k, list of v) */
  P_JOIN,              /* two grouped inputs; `variant` = the stream op id (join, cogroup...) */
  P_COUNT,             /* one int per batch */
  P_REDUCE,            /* fold of the whole batch: at most one element */
  P_UNION,             /* concatenation of its inputs (also repartition: one input) */
  P_SORT,              /* sortBy / sortByKey / top */
  P_WINDOW,            /* window family (`variant`): per-batch panes kept across batches */
  P_UPDATE_STATE,      /* updateStateByKey: state table rebuilt every batch */
  P_MAP_WITH_STATE,    /* mapWithState: records through a state table, idle timeouts */
  P_SNAPSHOTS,         /* stateSnapshots() of the mapWithState op it reads */
  /* outputs */
  P_PRINT,             /* pprint of the first n elements */
  P_STDOUT,            /* every element on its own line */
  P_SAVE               /* saveAsTextFiles */
} plan_kind;

typedef struct plan_op plan_op;
typedef struct plan_stage plan_stage;

/* An input edge of an operator: `op` reads its input number `input` from where this edge
 * hangs.  For sinks, the edge also carries the per-task partial state of one feeding stage. */
typedef struct plan_edge {
  plan_op *op;       /* the consuming operator */
  int input;         /* which of its inputs */
  plan_stage *stage; /* the stage whose loop feeds it */
  int slot;          /* codegen: batch-state slot of the per-task partials array */
  void *cg_state;    /* codegen: the task-local partial while its stage function is built */
  void *cg_ring;       /* codegen: an aggregation's deferred-upsert ring (cg_sinks.c), or NULL */
  void *cg_ring_count; /* codegen: that ring's record counter */
} plan_edge;

struct plan_op {
  plan_kind kind;      /* what it does */
  int id;              /* 1-based, in creation order */
  expr *node;          /* the source call or method call it comes from */
  ptr_vec inputs;      /* plan_op*: what it reads (none for sources) */
  ptr_vec consumers;   /* plan_edge*: who reads this op's output */
  expr *fn;            /* the (first) function argument */
  type *elem;          /* element type of this op's output (outputs: of their input) */
  type *in_elem;       /* element type of its first input */
  int variant;         /* P_JOIN: S_JOIN, S_LEFT_OUTER_JOIN, ..., S_COGROUP; P_UNION: S_REPARTITION or S_UNION;
                          P_SORT: S_SORT_BY, S_SORT_BY_KEY, S_TOP; P_SOURCE: source id */
  int source;          /* P_SOURCE: 0-based registration index */
  int64_t n;           /* P_PRINT: elements shown; P_TOP: elements kept; repartition: tasks */
  bool ascending;      /* P_SORT */
  int64_t length;      /* P_WINDOW: window length, ms */
  int64_t slide;       /* P_WINDOW: slide, ms (0 = the batch interval) */
  int64_t timeout;     /* P_MAP_WITH_STATE: idle timeout, ms (0 = none) */
  expr *inv;           /* P_WINDOW: the inverse function of the incremental form */
  expr *filter;        /* P_WINDOW: the filter of the incremental form */
  plan_op *state_of;   /* P_SNAPSHOTS: the mapWithState op */
  bool probe;          /* P_JOIN: fused into its left side's loop, looking each key up in the
                          right side's kept table (plan.c, "joins that probe a lookup table") */
  int output;          /* outputs: 0-based program order */
  plan_stage *out;     /* breakers and sources: the stage that reads its result */
  int slot;            /* codegen: first batch-state slot of its merged result(s) */
};

struct plan_stage {
  int id;            /* 1-based, execution order */
  plan_op *root;     /* a source or breaker whose output the loop reads */
  ptr_vec edges;     /* plan_edge*: the sinks (breakers and outputs) it feeds */
  bool single;       /* the input has at most one element: one task, no partitions */
  int64_t tasks;     /* fixed task count (repartition), or 0 for the runtime's partitions */
  int slot;          /* codegen: batch-state slot holding this stage's task count */
  int active;        /* codegen: batch-state slot: did the stage run in this batch */
};

typedef struct plan {
  const src_file *src; /* the program, for messages the generated code prints */
  ptr_vec ops;     /* plan_op*, creation order */
  ptr_vec stages;  /* plan_stage*, execution order */
  ptr_vec sources; /* plan_op* of kind P_SOURCE, registration order */
  ptr_vec outputs; /* plan_op* outputs, program order */
  const sema_info *info;
} plan;

plan *plan_build(const ast_program *prog, const sema_info *info);
/* `dsc explain`: stages, fused operators, breakers and outputs. */
void plan_dump(FILE *out, const plan *p, const src_file *src);
bool plan_is_narrow(plan_kind k);
/* A stage over a table() source whose every sink keeps its merged result as it is (a join,
 * union, sort or keyed aggregation, not an output or a stateful operator): its results are the
 * same in every batch, so it runs in the first batch only and they are kept. */
bool plan_stage_static(const plan_stage *st);
bool plan_is_output(plan_kind k);
/* `(a, b) => a + b` (or `b + a`) on ints: a combine whose result is the same in any order. */
bool plan_sums_ints(const expr *fn, const type *value);
/* The edge by which op reads its input number `input`. */
plan_edge *plan_input_edge(const plan_op *op, int input);

#endif
