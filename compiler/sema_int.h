/* sema_int.h — what the two halves of the checker share: sema.c (names, expressions, items)
 * and sema_streams.c (sources and stream operators).  Not for other stages. */
#ifndef DSC_SEMA_INT_H
#define DSC_SEMA_INT_H

#include "sema.h"
#include "types.h"

typedef struct scope {
  struct scope *up; /* enclosing scope */
  sym *s;           /* the local declared here */
} scope;

typedef struct sema {
  diag_ctx *d;         /* diagnostics */
  sema_info *info;     /* results */
  ptr_vec globals;     /* sym*: params, streams, functions */
  scope *locals;       /* innermost first */
  int fn_depth;        /* > 0 inside a lambda or function body */
  bool negated_literal; /* the E_INT being checked is the operand of unary minus */
  ast_item *batch_item; /* the `batch` declaration, once seen */
  int depth;            /* expressions being checked, outermost to current */
  ptr_vec batch_multiples; /* E_DURATION window arguments that must divide by the batch interval */
} sema;

static inline bool is_error(const type *t) { return t->kind == T_ERROR; }
static inline expr *arg_value(expr *call, int i) { return ((ast_arg *)call->items.items[i])->value; }
static inline expr **arg_slot(expr *call, int i) { return &((ast_arg *)call->items.items[i])->value; }

/* sema.c */
type *sema_expr(sema *s, expr *e);                 /* checks e once; its type */
type *sema_join(type *a, type *b);                 /* common type, or NULL */
bool sema_coerce(expr **slot, type *to);           /* converts int->float etc.; false if not */
bool sema_expect(sema *s, expr **slot, type *want, const char *context);
bool sema_arity(sema *s, expr *e, const char *what, int want, const char *usage);
type *sema_lambda(sema *s, expr *fn, int nparams, type **ptypes, const char *opname);
type *sema_resolve_type(sema *s, type_expr *te);
bool sema_is_value_type(const type *t);
bool sema_is_concrete(sema *s, expr *at, type *t, const char *what);

/* sema_streams.c */
type *sema_source(sema *s, expr *e, int id);       /* socket(...), stdin(), ... */
type *sema_stream_op(sema *s, expr *e, type *recv); /* s.op(...) on a stream */

#endif
