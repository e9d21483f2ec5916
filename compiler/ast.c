/* ast.c — node constructors and the tree dump behind `--emit=ast`. */
#include "ast.h"

#include "types.h"

static int next_param_id;

expr *ast_expr(expr_kind kind, span at) {
  expr *e = mem_alloc(sizeof *e);
  e->kind = kind;
  e->at = at;
  e->builtin = -1;
  e->field = -1;
  return e;
}

expr *ast_binary(ast_op op, expr *l, expr *r, span at) {
  expr *e = ast_expr(E_BINARY, at);
  e->op = op;
  e->lhs = l;
  e->rhs = r;
  return e;
}

expr *ast_unary(ast_op op, expr *operand, span at) {
  expr *e = ast_expr(E_UNARY, at);
  e->op = op;
  e->lhs = operand;
  return e;
}

ast_param *ast_param_new(const char *name, span at, type_expr *ann) {
  ast_param *p = mem_alloc(sizeof *p);
  p->name = name;
  p->at = at;
  p->ann = ann;
  p->id = ++next_param_id;
  return p;
}

ast_arg *ast_arg_new(const char *name, span at, expr *value) {
  ast_arg *a = mem_alloc(sizeof *a);
  a->name = name;
  a->at = at;
  a->value = value;
  return a;
}

ast_item *ast_item_new(item_kind kind, span at) {
  ast_item *it = mem_alloc(sizeof *it);
  it->kind = kind;
  it->at = at;
  return it;
}

const char *ast_kind_name(expr_kind kind) {
  static const char *names[] = {
#define X(k, s) s,
      AST_EXPR_KINDS(X)
#undef X
  };
  return names[kind];
}

const char *ast_op_text(ast_op op) {
  static const char *text[] = {"+", "-", "*", "/", "%", "==", "!=", "<", "<=",
                               ">", ">=", "&&", "||", "!", "-"};
  return text[op];
}

static void dump_expr(FILE *out, const expr *e, int depth);

static void indent(FILE *out, int depth) { fprintf(out, "%*s", depth * 2, ""); }

static void dump_expr(FILE *out, const expr *e, int depth) {
  indent(out, depth);
  fprintf(out, "%s", ast_kind_name(e->kind));
  switch (e->kind) {
  case E_INT: fprintf(out, " %lld", (long long)e->ival); break;
  case E_FLOAT: fprintf(out, " %g", e->fval); break;
  case E_STRING: fprintf(out, " \"%.*s\"", e->slen, e->sval); break;
  case E_BOOL: fprintf(out, " %s", e->bval ? "true" : "false"); break;
  case E_DURATION: fprintf(out, " %s", e->sval); break;
  case E_BINARY:
  case E_UNARY: fprintf(out, " %s", ast_op_text(e->op)); break;
  case E_LET: fprintf(out, " %s", e->decl->name); break;
  default:
    if (e->name)
      fprintf(out, " %s", e->name);
  }
  if (e->kind == E_LAMBDA)
    for (int i = 0; i < e->items.len; i++)
      fprintf(out, " %s", ((ast_param *)e->items.items[i])->name);
  if (e->type)
    fprintf(out, " : %s", type_name(e->type));
  fputc('\n', out);
  if (e->cond)
    dump_expr(out, e->cond, depth + 1);
  if (e->lhs)
    dump_expr(out, e->lhs, depth + 1);
  if (e->rhs)
    dump_expr(out, e->rhs, depth + 1);
  if (e->kind != E_LAMBDA)
    for (int i = 0; i < e->items.len; i++) {
      if (e->kind == E_CALL || e->kind == E_METHOD) {
        ast_arg *a = e->items.items[i];
        if (a->name) {
          indent(out, depth + 1);
          fprintf(out, "%s =\n", a->name);
        }
        dump_expr(out, a->value, depth + 1);
      } else {
        dump_expr(out, e->items.items[i], depth + 1);
      }
    }
}

void ast_dump(FILE *out, const ast_program *prog) {
  static const char *kinds[] = {"param", "batch", "bind", "output", "fn"};
  for (int i = 0; i < prog->items.len; i++) {
    const ast_item *it = prog->items.items[i];
    fprintf(out, "%s", kinds[it->kind]);
    if (it->name)
      fprintf(out, " %s", it->name);
    fputc('\n', out);
    if (it->value)
      dump_expr(out, it->value, 1);
  }
}
