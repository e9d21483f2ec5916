/* ast.h — the syntax tree.  The parser builds it with the ast_* constructors; sema then fills
 * in the `type` of every expression and resolves names, which makes it the typed AST that the
 * planner reads.  Every node carries the byte span it came from. */
#ifndef DSC_AST_H
#define DSC_AST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "mem.h"
#include "source.h"

typedef struct type type;
typedef struct expr expr;

/* X-macro: expression kinds and their names in dumps. */
#define AST_EXPR_KINDS(X)                                                                       \
  X(E_INT, "int")           /* ival */                                                         \
  X(E_FLOAT, "float")       /* fval */                                                         \
  X(E_STRING, "string")     /* sval, slen (escapes decoded) */                                 \
  X(E_BOOL, "bool")         /* bval */                                                         \
  X(E_DURATION, "duration") /* sval: the literal as written, e.g. "10s"; ival: ms after sema */ \
  X(E_NAME, "name")         /* name; sym after sema */                                         \
  X(E_TUPLE, "tuple")       /* items: expr* */                                                 \
  X(E_LIST, "list")         /* items: expr* */                                                 \
  X(E_MEMBER, "member")     /* lhs . name (tuple field `_1`, option `isSome`, ...) */         \
  X(E_CALL, "call")         /* name ( items: arg* ) */                                         \
  X(E_METHOD, "method")     /* lhs . name ( items: arg* ) */                                   \
  X(E_LAMBDA, "lambda")     /* items: ast_param*, lhs: body */                                 \
  X(E_BINARY, "binary")     /* lhs op rhs */                                                   \
  X(E_UNARY, "unary")       /* op lhs */                                                       \
  X(E_IF, "if")             /* if cond then lhs else rhs */                                    \
  X(E_LET, "let")           /* let decl = rhs in lhs */                                        \
  X(E_INDEX, "index")       /* lhs [ rhs ] */                                                  \
  X(E_NONE, "none")         /* the empty option (an E_NAME `none` after sema) */

typedef enum expr_kind {
#define X(k, s) k,
  AST_EXPR_KINDS(X)
#undef X
} expr_kind;

typedef enum ast_op {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,  /* arithmetic; + also joins strings */
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, /* comparison */
  OP_AND, OP_OR, OP_NOT, OP_NEG             /* logic; unary not and minus */
} ast_op;

/* A type as written: `int`, `(string, int)`, `list[string]`. */
typedef struct type_expr {
  const char *name; /* NULL for a tuple */
  span at;          /* where it was written */
  ptr_vec args;     /* type_expr*: tuple fields or type arguments */
} type_expr;

/* A declared local: lambda or function parameter, or let binding. */
typedef struct ast_param {
  const char *name; /* as written */
  span at;          /* the name */
  type_expr *ann;   /* optional annotation */
  type *type;       /* after sema */
  int id;           /* unique per compilation, for codegen's environment */
} ast_param;

/* A call argument, optionally named: `print(n = 5)`. */
typedef struct ast_arg {
  const char *name; /* NULL when positional */
  span at;          /* the whole argument */
  expr *value;      /* the argument */
} ast_arg;

typedef enum sym_kind {
  SYM_PARAM,  /* program parameter: index = param number */
  SYM_STREAM, /* top-level stream binding: value = its expression */
  SYM_LOCAL,  /* lambda parameter or let: decl */
  SYM_FN      /* user function: item */
} sym_kind;

typedef struct ast_item ast_item;

typedef struct sym {
  sym_kind kind;   /* what the name denotes */
  const char *name; /* the name */
  span at;          /* where it was declared */
  int index;        /* SYM_PARAM: parameter number */
  expr *value;      /* SYM_STREAM: bound expression */
  ast_param *decl;  /* SYM_LOCAL */
  ast_item *item;   /* SYM_PARAM, SYM_STREAM, SYM_FN: the declaring item */
  type *type;       /* value type (stream type for streams) */
  int uses;         /* references, for unused-binding checks */
} sym;

struct expr {
  expr_kind kind;   /* which fields below are meaningful */
  span at;          /* the whole expression */
  type *type;       /* after sema */
  int64_t ival;     /* E_INT; E_DURATION (ms, after sema) */
  double fval;      /* E_FLOAT */
  const char *sval; /* E_STRING, E_DURATION */
  int slen;         /* E_STRING byte length */
  bool bval;        /* E_BOOL */
  const char *name; /* E_NAME, E_MEMBER, E_CALL, E_METHOD */
  span name_at;     /* the name's own span */
  ast_op op;        /* E_BINARY, E_UNARY */
  expr *cond;       /* E_IF */
  expr *lhs;        /* see expr_kind */
  expr *rhs;        /* see expr_kind */
  expr *aux;        /* a third operand some stream operators keep (a filter function) */
  ast_param *decl;  /* E_LET */
  ptr_vec items;    /* see expr_kind */
  /* Filled by sema: */
  sym *sym;         /* E_NAME */
  int builtin;      /* E_CALL / E_METHOD on values: builtin id; E_METHOD on streams: op id */
  int field;        /* E_MEMBER on a tuple: 0-based field */
  void *plan;       /* stream expressions: the plan operator (set by plan) */
  int64_t slide;    /* stream expressions: how often the stream has a batch, in ms
                       (0 = every batch interval) */
  int64_t length;   /* window operators: the window length in ms */
  int64_t timeout;  /* mapWithState: idle timeout in ms (0 = none) */
};

typedef enum item_kind {
  ITEM_PARAM, /* param NAME: TYPE [= DEFAULT] */
  ITEM_BATCH, /* batch DURATION */
  ITEM_BIND,  /* NAME = EXPR */
  ITEM_EXPR,  /* EXPR (an output operation) */
  ITEM_FN     /* fn NAME(PARAMS): TYPE = EXPR */
} item_kind;

struct ast_item {
  item_kind kind;   /* which fields are meaningful */
  span at;          /* the whole item */
  const char *name; /* PARAM, BIND, FN */
  span name_at;     /* the name */
  type_expr *ann;   /* PARAM type, FN result type */
  expr *value;      /* PARAM default (or NULL), BATCH duration, BIND, EXPR, FN body */
  ptr_vec params;   /* FN: ast_param* */
  sym *sym;         /* the symbol it declares, after sema */
};

typedef struct ast_program {
  const src_file *src; /* the text it was parsed from */
  ptr_vec items;       /* ast_item*, in source order */
} ast_program;

expr *ast_expr(expr_kind kind, span at);
expr *ast_binary(ast_op op, expr *l, expr *r, span at);
expr *ast_unary(ast_op op, expr *e, span at);
ast_param *ast_param_new(const char *name, span at, type_expr *ann);
ast_arg *ast_arg_new(const char *name, span at, expr *value);
ast_item *ast_item_new(item_kind kind, span at);
const char *ast_kind_name(expr_kind kind);
const char *ast_op_text(ast_op op);
/* Prints the tree, with types where sema has set them (`dsc --emit=ast`). */
void ast_dump(FILE *out, const ast_program *prog);

#endif
