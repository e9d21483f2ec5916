/* sema.c — name resolution and type checking.
 *
 * Items are checked in order, so a name must be declared before it is used (which also rules
 * out cycles between streams).  Every error is reported at the smallest span that explains it,
 * and an erroneous expression gets the poison type T_ERROR, which is compatible with everything
 * so that one mistake yields one message. */
#include "sema.h"
#include "sema_int.h"

#include <limits.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "types.h"


/* Deeper expressions are rejected before their recursion can overflow the stack (here or in
 * plan and codegen, which recurse the same way). */
enum { MAX_EXPR_DEPTH = 1000 };


/* ---- helpers ------------------------------------------------------------------------------ */


static sym *lookup(sema *s, const char *name) {
  for (scope *sc = s->locals; sc; sc = sc->up)
    if (strcmp(sc->s->name, name) == 0)
      return sc->s;
  for (int i = 0; i < s->globals.len; i++) {
    sym *g = s->globals.items[i];
    if (strcmp(g->name, name) == 0)
      return g;
  }
  return NULL;
}

static void push_local(sema *s, ast_param *p) {
  sym *l = mem_alloc(sizeof *l);
  l->kind = SYM_LOCAL;
  l->name = p->name;
  l->at = p->at;
  l->decl = p;
  l->type = p->type;
  scope *sc = mem_alloc(sizeof *sc);
  sc->s = l;
  sc->up = s->locals;
  s->locals = sc;
}

static bool declare_global(sema *s, sym *g) {
  sym *prev = lookup(s, g->name);
  if (prev) {
    diag_error(s->d, g->at, "'%s' is already declared", g->name);
    diag_note(s->d, prev->at, "previous declaration of '%s' is here", g->name);
    return false;
  }
  vec_push(&s->globals, g);
  return true;
}

static expr *wrap_call(int builtin, expr *arg, type *result) {
  expr *c = ast_expr(E_CALL, arg->at);
  c->name = ops_builtin_name(builtin);
  c->name_at = arg->at;
  c->builtin = builtin;
  vec_push(&c->items, ast_arg_new(NULL, arg->at, arg));
  c->type = result;
  return c;
}

/* Makes *slot a value of type `to`: an int becomes a float through an inserted conversion,
 * and an (int, ...) tuple literal field likewise; otherwise the types must be equal.
 * Returns false (without reporting) when they cannot be. */
bool sema_coerce(expr **slot, type *to) {
  type *from = (*slot)->type;
  if (from == to || is_error(from) || type_has_error(to))
    return true;
  if (from->kind == T_INT && to->kind == T_FLOAT) {
    *slot = wrap_call(B_TO_FLOAT, *slot, to);
    return true;
  }
  if (type_has_any(from) && (*slot)->kind == E_NONE && to->kind == T_OPTION) {
    (*slot)->type = to;
    return true;
  }
  if ((*slot)->kind == E_IF && sema_join(from, to) == to) {
    if (!sema_coerce(&(*slot)->lhs, to) || !sema_coerce(&(*slot)->rhs, to))
      return false;
    (*slot)->type = to;
    return true;
  }
  if ((*slot)->kind == E_LET && sema_join(from, to) == to) {
    if (!sema_coerce(&(*slot)->lhs, to))
      return false;
    (*slot)->type = to;
    return true;
  }
  if (from->kind == T_OPTION && to->kind == T_OPTION && (*slot)->kind == E_CALL &&
      (*slot)->builtin == B_SOME && sema_join(from, to) == to) {
    if (!sema_coerce(&((ast_arg *)(*slot)->items.items[0])->value, to->elem))
      return false;
    (*slot)->type = to;
    return true;
  }
  if (from->kind == T_TUPLE && to->kind == T_TUPLE && from->n == to->n &&
      (*slot)->kind == E_TUPLE) {
    for (int i = 0; i < from->n; i++)
      if (!sema_coerce((expr **)&(*slot)->items.items[i], to->elems[i]))
        return false;
    (*slot)->type = to;
    return true;
  }
  if (from->kind == T_LIST && to->kind == T_LIST && (*slot)->kind == E_LIST) {
    for (int i = 0; i < (*slot)->items.len; i++)
      if (!sema_coerce((expr **)&(*slot)->items.items[i], to->elem))
        return false;
    (*slot)->type = to;
    return true;
  }
  return false;
}

/* The common type two values can be brought to (int joins float), or NULL. */
type *sema_join(type *a, type *b) {
  if (a == b)
    return a;
  if (is_error(a))
    return b;
  if (is_error(b))
    return a;
  if (type_is_numeric(a) && type_is_numeric(b))
    return type_float();
  if (a->kind == T_TUPLE && b->kind == T_TUPLE && a->n == b->n) {
    type **f = mem_alloc(sizeof(type *) * (size_t)a->n);
    for (int i = 0; i < a->n; i++)
      if (!(f[i] = sema_join(a->elems[i], b->elems[i])))
        return NULL;
    return type_tuple(a->n, f);
  }
  if (a->kind == T_ANY)
    return b;
  if (b->kind == T_ANY)
    return a;
  if (a->kind == T_LIST && b->kind == T_LIST) {
    type *e = sema_join(a->elem, b->elem);
    return e ? type_list(e) : NULL;
  }
  if (a->kind == T_OPTION && b->kind == T_OPTION) {
    type *e = sema_join(a->elem, b->elem);
    return e ? type_option(e) : NULL;
  }
  return NULL;
}

/* A value type that can flow through a stream: not a stream, duration or output. */
bool sema_is_value_type(const type *t) {
  switch (t->kind) {
  case T_STREAM: case T_DURATION: case T_UNIT: case T_ANY: return false;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (!sema_is_value_type(t->elems[i]))
        return false;
    return true;
  case T_LIST: case T_OPTION: return t->elem->kind == T_ANY || sema_is_value_type(t->elem);
  default: return true;
  }
}

/* A value type whose every part is known (no `none` still waiting for a type). */
bool sema_is_concrete(sema *s, expr *at, type *t, const char *what) {
  if (!type_has_any(t))
    return true;
  diag_error(s->d, at->at, "the type of %s cannot be told: %s; an empty list [] or a none needs its type from another branch (e.g. [x] or some(x))",
             what, type_name(t));
  return false;
}

int64_t sema_duration_ms(const char *text) {
  char *end;
  if (!(text[0] >= '0' && text[0] <= '9'))
    return -1;
  long long n = strtoll(text, &end, 10);
  static const struct {
    const char *unit;
    int64_t ms;
  } units[] = {{"ms", 1}, {"s", 1000}, {"min", 60000}, {"h", 3600000}};
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp(end, units[i].unit) == 0) {
      if (n > INT64_MAX / units[i].ms)
        return -1;
      return (int64_t)n * units[i].ms;
    }
  return -1;
}

type *sema_resolve_type(sema *s, type_expr *te) {
  if (!te->name) {
    if (te->args.len == 1)
      return sema_resolve_type(s, te->args.items[0]);
    type **f = mem_alloc(sizeof(type *) * (size_t)te->args.len);
    for (int i = 0; i < te->args.len; i++)
      f[i] = sema_resolve_type(s, te->args.items[i]);
    return type_tuple(te->args.len, f);
  }
  static const struct {
    const char *name;
    int nargs;
  } known[] = {{"int", 0}, {"float", 0}, {"bool", 0}, {"string", 0}, {"list", 1}, {"option", 1}};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    if (strcmp(te->name, known[i].name) != 0)
      continue;
    if (te->args.len != known[i].nargs) {
      if (known[i].nargs)
        diag_error(s->d, te->at, "type '%s' takes one type argument, as in %s[int]", te->name,
                   te->name);
      else
        diag_error(s->d, te->at, "type '%s' takes no type arguments", te->name);
      return type_error();
    }
    switch (i) {
    case 0: return type_int();
    case 1: return type_float();
    case 2: return type_bool();
    case 3: return type_string();
    case 4: return type_list(sema_resolve_type(s, te->args.items[0]));
    default: return type_option(sema_resolve_type(s, te->args.items[0]));
    }
  }
  diag_error(s->d, te->at, "unknown type '%s' (known: int, float, bool, string, (T, U), list[T], option[T])",
             te->name);
  return type_error();
}

static int count_plural(int n) { return n == 1 ? 0 : 1; }

/* Checks that a call got exactly `want` positional arguments; reports otherwise. */
bool sema_arity(sema *s, expr *e, const char *what, int want, const char *usage) {
  int got = e->items.len;
  for (int i = 0; i < got; i++) {
    ast_arg *a = e->items.items[i];
    if (a->name) {
      diag_error(s->d, a->at, "%s has no parameter named '%s'", what, a->name);
      return false;
    }
  }
  if (got == want)
    return true;
  diag_error(s->d, e->kind == E_CALL || e->kind == E_METHOD ? e->name_at : e->at,
             "%s takes %d argument%s but %d %s given%s%s", what, want,
             count_plural(want) ? "s" : "", got, got == 1 ? "was" : "were",
             usage ? "; usage: " : "", usage ? usage : "");
  return false;
}


bool sema_expect(sema *s, expr **slot, type *want, const char *context) {
  type *got = (*slot)->type;
  if (sema_coerce(slot, want))
    return true;
  diag_error(s->d, (*slot)->at, "%s must be %s, but this is %s", context, type_name(want),
             type_name(got));
  return false;
}

/* ---- built-in functions ------------------------------------------------------------------- */

/* A regex argument must be a literal, so it is compiled (and its errors reported) here. */
static bool check_regex(sema *s, expr *re) {
  if (re->kind != E_STRING) {
    diag_error(s->d, re->at, "the regular expression must be a string literal");
    return false;
  }
  if (memchr(re->sval, '\0', (size_t)re->slen)) {
    diag_error(s->d, re->at, "a regular expression cannot contain a NUL character");
    return false;
  }
  regex_t compiled;
  int rc = regcomp(&compiled, re->sval, REG_EXTENDED);
  if (rc != 0) {
    char msg[256];
    regerror(rc, &compiled, msg, sizeof msg);
    diag_error(s->d, re->at, "bad regular expression (POSIX extended): %s", msg);
    return false;
  }
  regfree(&compiled);
  return true;
}

/* format("%-8s %5d %.2f%%", ...): printf conversions d and x take an int, f, e and g a float
 * (an int is converted), s any number, bool or string.  Checked against the arguments here. */
static type *check_format(sema *s, expr *e) {
  expr *f = arg_value(e, 0);
  if (f->kind != E_STRING) {
    diag_error(s->d, f->at, "the format must be a string literal");
    return type_error();
  }
  int next = 1;
  for (int i = 0; i < f->slen; i++) {
    if (f->sval[i] != '%')
      continue;
    int start = i++;
    while (i < f->slen && strchr("-+ 0#", f->sval[i]))
      i++;
    while (i < f->slen && f->sval[i] >= '0' && f->sval[i] <= '9')
      i++;
    if (i < f->slen && f->sval[i] == '.')
      for (i++; i < f->slen && f->sval[i] >= '0' && f->sval[i] <= '9'; i++)
        ;
    if (i >= f->slen || !strchr("dxsfeg%", f->sval[i])) {
      diag_error(s->d, f->at, "bad conversion in format at byte %d: use %%d %%x %%s %%f %%e %%g or %%%%",
                 start);
      return type_error();
    }
    char conv = f->sval[i];
    if (conv == '%')
      continue;
    if (next >= e->items.len) {
      diag_error(s->d, f->at, "the format has more conversions than the %d argument%s given",
                 e->items.len - 1, e->items.len == 2 ? "" : "s");
      return type_error();
    }
    expr **slot = arg_slot(e, next++);
    type *t = (*slot)->type;
    if (is_error(t))
      return t;
    bool ok = conv == 'd' || conv == 'x' ? t->kind == T_INT
            : conv == 's' ? t->kind == T_STRING || t->kind == T_BOOL || type_is_numeric(t)
                          : sema_coerce(slot, type_float());
    if (!ok) {
      diag_error(s->d, (*slot)->at, "%%%c in the format needs %s, but this is %s", conv,
                 conv == 's' ? "a number, bool or string" : conv == 'd' || conv == 'x' ? "an int" : "a number",
                 type_name(t));
      return type_error();
    }
  }
  if (next != e->items.len) {
    diag_error(s->d, arg_value(e, next)->at, "the format has no conversion for this argument");
    return type_error();
  }
  return type_string();
}

static type *check_builtin(sema *s, expr *e, int id) {
  const char *name = ops_builtin_name(id);
  const char *usage = ops_builtin_signature(id);
  /* fewest and most arguments; -1: any number */
  static const int arity[][2] = {{2, 2}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 2}, {2, 2},
                                 {2, 2}, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, {2, 2}, {2, 2},
                                 {1, 2}, {1, 1}, {1, 1}, {1, 1}, {2, 2}, {3, 3}, {1, -1}, {1, 1},
                                 {2, 2}, {1, 1}, {2, 2}};
  _Static_assert(sizeof arity / sizeof arity[0] == B_COUNT_, "arity table out of date");
  e->builtin = id;
  for (int i = 0; i < e->items.len; i++)
    sema_expr(s, arg_value(e, i));
  int lo = arity[id][0], hi = arity[id][1];
  if (e->items.len < lo || (hi >= 0 && e->items.len > hi)) {
    if (!sema_arity(s, e, name, e->items.len < lo ? lo : hi, usage))
      return type_error();
  } else if (!sema_arity(s, e, name, e->items.len, usage)) {
    return type_error();
  }
  for (int i = 0; i < e->items.len; i++)
    if (is_error(arg_value(e, i)->type))
      return type_error();
  type *t0 = arg_value(e, 0)->type;
  const char *ctx0 = mem_printf("the argument of %s", name);
  switch ((builtin_id)id) {
  case B_SPLIT:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), "the string to split") ||
        !sema_expect(s, arg_slot(e, 1), type_string(), "the separator"))
      return type_error();
    if (arg_value(e, 1)->kind == E_STRING && arg_value(e, 1)->slen == 0) {
      diag_error(s->d, arg_value(e, 1)->at,
                 "empty separator: split needs a non-empty separator (use words(s) to split on white space)");
      return type_error();
    }
    return type_list(type_string());
  case B_WORDS:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), ctx0))
      return type_error();
    return type_list(type_string());
  case B_LOWER: case B_UPPER: case B_TRIM:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), ctx0))
      return type_error();
    return type_string();
  case B_LEN:
    if (t0->kind != T_STRING && t0->kind != T_LIST) {
      diag_error(s->d, arg_value(e, 0)->at, "len takes a string or a list, but this is %s",
                 type_name(t0));
      return type_error();
    }
    return type_int();
  case B_CONTAINS: case B_STARTS_WITH: case B_ENDS_WITH:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), mem_printf("the first argument of %s", name)) ||
        !sema_expect(s, arg_slot(e, 1), type_string(), mem_printf("the second argument of %s", name)))
      return type_error();
    return type_bool();
  case B_SUBSTR:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), "the first argument of substr") ||
        !sema_expect(s, arg_slot(e, 1), type_int(), "the start of substr") ||
        !sema_expect(s, arg_slot(e, 2), type_int(), "the count of substr"))
      return type_error();
    return type_string();
  case B_TO_INT:
    if (t0->kind != T_STRING && !type_is_numeric(t0)) {
      diag_error(s->d, arg_value(e, 0)->at, "toInt takes a string, int or float, but this is %s",
                 type_name(t0));
      return type_error();
    }
    return type_int();
  case B_TO_FLOAT:
    if (t0->kind != T_STRING && !type_is_numeric(t0)) {
      diag_error(s->d, arg_value(e, 0)->at,
                 "toFloat takes a string, int or float, but this is %s", type_name(t0));
      return type_error();
    }
    return type_float();
  case B_STR:
    if (t0->kind != T_STRING && t0->kind != T_BOOL && !type_is_numeric(t0)) {
      diag_error(s->d, arg_value(e, 0)->at,
                 "str takes an int, float, bool or string, but this is %s", type_name(t0));
      return type_error();
    }
    return type_string();
  case B_ABS:
    if (!type_is_numeric(t0)) {
      diag_error(s->d, arg_value(e, 0)->at, "abs takes an int or float, but this is %s",
                 type_name(t0));
      return type_error();
    }
    return t0;
  case B_MIN: case B_MAX: {
    type *t1 = arg_value(e, 1)->type;
    type *j = sema_join(t0, t1);
    if (!j || !(type_is_numeric(j) || j->kind == T_STRING)) {
      diag_error(s->d, e->at, "%s needs two numbers or two strings, but got %s and %s", name,
                 type_name(t0), type_name(t1));
      return type_error();
    }
    sema_coerce(arg_slot(e, 0), j);
    sema_coerce(arg_slot(e, 1), j);
    return j;
  }
  case B_ROUND: case B_SQRT: case B_FLOOR: case B_CEIL:
    if (!sema_expect(s, arg_slot(e, 0), type_float(), ctx0))
      return type_error();
    if (id == B_ROUND && e->items.len == 2) {
      if (!sema_expect(s, arg_slot(e, 1), type_int(), "the digits of round"))
        return type_error();
      return type_float();
    }
    return id == B_SQRT ? type_float() : type_int();
  case B_MATCHES: case B_CAPTURE:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), mem_printf("the string %s searches", name)) ||
        !check_regex(s, arg_value(e, 1)))
      return type_error();
    if (id == B_MATCHES)
      return type_bool();
    if (!sema_expect(s, arg_slot(e, 2), type_int(), "the group of capture"))
      return type_error();
    return type_option(type_string());
  case B_FORMAT: return check_format(s, e);
  case B_CSV:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), ctx0))
      return type_error();
    return type_list(type_string());
  case B_JSON:
    if (!sema_expect(s, arg_slot(e, 0), type_string(), "the line json reads") ||
        !sema_expect(s, arg_slot(e, 1), type_string(), "the key json looks up"))
      return type_error();
    return type_option(type_string());
  case B_SOME:
    if (!sema_is_value_type(t0)) {
      diag_error(s->d, arg_value(e, 0)->at, "some cannot hold a %s", type_name(t0));
      return type_error();
    }
    return type_option(t0);
  case B_GET_OR_ELSE: {
    if (t0->kind != T_OPTION) {
      diag_error(s->d, arg_value(e, 0)->at, "getOrElse works on an option, but this is %s",
                 type_name(t0));
      return type_error();
    }
    type *d = arg_value(e, 1)->type;
    type *j = t0->elem->kind == T_ANY ? d : sema_join(t0->elem, d);
    if (!j || !sema_coerce(arg_slot(e, 1), j) || !sema_coerce(arg_slot(e, 0), type_option(j))) {
      diag_error(s->d, arg_value(e, 1)->at, "the default of getOrElse must be %s, but this is %s",
                 type_name(t0->elem), type_name(d));
      return type_error();
    }
    return j;
  }
  case B_COUNT_: break;
  }
  unreachable();
}

/* ---- lambdas -------------------------------------------------------------------------------- */

/* Checks `fn` as a function of the given parameter types; returns its result type.  A lambda
 * with k parameters given one k-tuple destructures it (`pairs.map((w, n) => ...)`); sema
 * records that with fn->field = 1. */
type *sema_lambda(sema *s, expr *fn, int nparams, type **ptypes, const char *opname) {
  if (fn->kind != E_LAMBDA) {
    sema_expr(s, fn);
    if (!is_error(fn->type))
      diag_error(s->d, fn->at, "%s expects a function such as %s, but this is %s", opname,
                 nparams == 2 ? "(a, b) => a + b" : "x => ...", type_name(fn->type));
    return type_error();
  }
  int got = fn->items.len;
  type **bind = ptypes;
  if (got != nparams) {
    if (nparams == 1 && ptypes[0]->kind == T_TUPLE && ptypes[0]->n == got) {
      bind = ptypes[0]->elems;
      fn->field = 1;
    } else {
      diag_error(s->d, fn->at, "the function passed to %s must take %d parameter%s, but this one takes %d",
                 opname, nparams, nparams == 1 ? "" : "s", got);
      return type_error();
    }
  }
  scope *saved = s->locals;
  for (int i = 0; i < got; i++) {
    ast_param *p = fn->items.items[i];
    p->type = bind[i];
    if (p->ann) {
      type *ann = sema_resolve_type(s, p->ann);
      if (ann != bind[i] && !is_error(ann) && !is_error(bind[i]))
        diag_error(s->d, p->ann->at, "parameter '%s' is declared %s, but %s passes %s", p->name,
                   type_name(ann), opname, type_name(bind[i]));
    }
    push_local(s, p);
  }
  s->fn_depth++;
  type *result = sema_expr(s, fn->lhs);
  s->fn_depth--;
  s->locals = saved;
  fn->type = result;
  return result;
}

/* ---- expressions ---------------------------------------------------------------------------- */

static type *check_name(sema *s, expr *e) {
  sym *v = lookup(s, e->name);
  if (!v && strcmp(e->name, "none") == 0) {
    e->kind = E_NONE;
    return type_option(type_any());
  }
  if (!v) {
    const char *names[64];
    int n = 0;
    for (scope *sc = s->locals; sc && n < 32; sc = sc->up)
      names[n++] = sc->s->name;
    for (int i = 0; i < s->globals.len && n < 64; i++)
      names[n++] = ((sym *)s->globals.items[i])->name;
    const char *hint = ops_suggest(e->name, names, n);
    if (ops_source(e->name) >= 0 || ops_builtin(e->name) >= 0)
      diag_error(s->d, e->at, "'%s' is a function; call it as %s(...)", e->name, e->name);
    else if (hint)
      diag_error(s->d, e->at, "unknown name '%s'; did you mean '%s'?", e->name, hint);
    else
      diag_error(s->d, e->at, "unknown name '%s'", e->name);
    return type_error();
  }
  v->uses++;
  e->sym = v;
  if (v->kind == SYM_STREAM && s->fn_depth > 0) {
    diag_error(s->d, e->at, "the stream '%s' cannot be used inside a function; functions work on one element at a time",
               e->name);
    return type_error();
  }
  if (v->kind == SYM_FN) {
    diag_error(s->d, e->at, "'%s' is a function; call it as %s(...)", e->name, e->name);
    return type_error();
  }
  return v->type;
}

static type *check_binary(sema *s, expr *e) {
  type *l = sema_expr(s, e->lhs), *r = sema_expr(s, e->rhs);
  if (is_error(l) || is_error(r))
    return type_error();
  const char *op = ast_op_text(e->op);
  switch (e->op) {
  case OP_ADD:
    if (l->kind == T_STRING && r->kind == T_STRING)
      return type_string();
    if (l->kind == T_STRING || r->kind == T_STRING) {
      diag_error(s->d, e->at, "cannot add %s and %s; convert with str(...) first", type_name(l),
                 type_name(r));
      return type_error();
    }
    /* fall through */
  case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD:
    if (!type_is_numeric(l) || !type_is_numeric(r)) {
      diag_error(s->d, e->at, "operator '%s' needs numbers, but got %s and %s", op, type_name(l),
                 type_name(r));
      return type_error();
    }
    {
      type *j = sema_join(l, r);
      sema_coerce(&e->lhs, j);
      sema_coerce(&e->rhs, j);
      return j;
    }
  case OP_EQ: case OP_NE: case OP_LT: case OP_LE: case OP_GT: case OP_GE: {
    type *j = sema_join(l, r);
    bool ordered = e->op != OP_EQ && e->op != OP_NE;
    if (!j || !type_is_comparable(j) ||
        (ordered && !type_is_numeric(j) && j->kind != T_STRING)) {
      diag_error(s->d, e->at, "cannot compare %s and %s with '%s'", type_name(l), type_name(r),
                 op);
      return type_error();
    }
    sema_coerce(&e->lhs, j);
    sema_coerce(&e->rhs, j);
    return type_bool();
  }
  case OP_AND: case OP_OR:
    if (l->kind != T_BOOL || r->kind != T_BOOL) {
      diag_error(s->d, l->kind != T_BOOL ? e->lhs->at : e->rhs->at,
                 "operator '%s' needs bool operands, but this is %s", op,
                 type_name(l->kind != T_BOOL ? l : r));
      return type_error();
    }
    return type_bool();
  default: break;
  }
  unreachable();
}

/* A call of a user function: arguments coerced to the declared parameter types. */
static type *check_user_call(sema *s, expr *e, sym *fn) {
  ast_item *it = fn->item;
  for (int i = 0; i < e->items.len; i++)
    sema_expr(s, arg_value(e, i));
  if (!sema_arity(s, e, fn->name, it->params.len, NULL))
    return type_error();
  for (int i = 0; i < it->params.len; i++) {
    ast_param *p = it->params.items[i];
    if (!sema_expect(s, arg_slot(e, i), p->type,
                     mem_printf("argument '%s' of %s", p->name, fn->name)))
      return type_error();
  }
  e->sym = fn;
  fn->uses++;
  return fn->type;
}

static type *check_call(sema *s, expr *e) {
  sym *user = lookup(s, e->name);
  if (user && user->kind == SYM_FN)
    return check_user_call(s, e, user);
  int id = ops_source(e->name);
  if (id >= 0)
    return sema_source(s, e, id);
  id = ops_builtin(e->name);
  if (id >= 0)
    return check_builtin(s, e, id);
  sym *v = lookup(s, e->name);
  if (v) {
    diag_error(s->d, e->name_at, "'%s' is not a function", e->name);
    return type_error();
  }
  const char *hint = ops_suggest(e->name, NULL, 0);
  if (hint && ops_stream_op(hint) >= 0)
    hint = NULL;
  if (ops_stream_op(e->name) >= 0)
    diag_error(s->d, e->name_at, "'%s' is a stream operation; call it on a stream: s.%s(...)",
               e->name, e->name);
  else if (hint)
    diag_error(s->d, e->name_at, "unknown function '%s'; did you mean '%s'?", e->name, hint);
  else
    diag_error(s->d, e->name_at, "unknown function '%s'", e->name);
  for (int i = 0; i < e->items.len; i++)
    sema_expr(s, arg_value(e, i));
  return type_error();
}

static type *check_method(sema *s, expr *e) {
  type *recv = sema_expr(s, e->lhs);
  if (is_error(recv))
    return type_error();
  if (recv->kind == T_STREAM)
    return sema_stream_op(s, e, recv);
  if (recv->kind == T_UNIT) {
    diag_error(s->d, e->name_at, "an output operation gives no stream to call '%s' on", e->name);
    return type_error();
  }
  /* x.f(args) on a value is f(x, args) for built-ins: line.split(" ") */
  if (ops_builtin(e->name) >= 0) {
    ast_arg *self = ast_arg_new(NULL, e->lhs->at, e->lhs);
    ptr_vec args = {0};
    vec_push(&args, self);
    for (int i = 0; i < e->items.len; i++)
      vec_push(&args, e->items.items[i]);
    e->items = args;
    e->kind = E_CALL;
    e->lhs = NULL;
    /* The receiver is already checked; check_builtin checks it again, which is harmless
       for a typed tree, but conversions must not be inserted twice. */
    return check_builtin(s, e, ops_builtin(e->name));
  }
  if (ops_stream_op(e->name) >= 0)
    diag_error(s->d, e->name_at, "'%s' is a stream operation, but this is %s, not a stream",
               e->name, type_name(recv));
  else
    diag_error(s->d, e->name_at, "%s has no method '%s'", type_name(recv), e->name);
  return type_error();
}

static type *check_member(sema *s, expr *e) {
  type *t = sema_expr(s, e->lhs);
  if (is_error(t))
    return type_error();
  if (t->kind == T_TUPLE && e->name[0] == '_') {
    char *end;
    long i = strtol(e->name + 1, &end, 10);
    if (*end == '\0' && i >= 1 && i <= t->n) {
      e->field = (int)i - 1;
      return t->elems[i - 1];
    }
    diag_error(s->d, e->name_at, "%s has fields _1 to _%d; there is no '%s'", type_name(t), t->n,
               e->name);
    return type_error();
  }
  if (t->kind == T_OPTION) {
    static const char *const members[] = {"isSome", "isNone", "get"};
    for (int i = 0; i < 3; i++)
      if (strcmp(e->name, members[i]) == 0) {
        e->field = i;
        if (t->elem->kind == T_ANY && i == 2) {
          diag_error(s->d, e->at, "none has no value to get");
          return type_error();
        }
        return i == 2 ? t->elem : type_bool();
      }
    diag_error(s->d, e->name_at, "%s has no member '%s' (it has isSome, isNone, get and getOrElse(d))",
               type_name(t), e->name);
    return type_error();
  }
  if (t->kind == T_STREAM && ops_stream_op(e->name) >= 0) {
    diag_error(s->d, e->name_at, "'%s' is an operation: call it as .%s(...)", e->name, e->name);
    return type_error();
  }
  diag_error(s->d, e->name_at, "%s has no member '%s'", type_name(t), e->name);
  return type_error();
}

static type *check_inner(sema *s, expr *e) {
  switch (e->kind) {
  case E_INT:
    if (e->ival < 0 && !s->negated_literal) {
      diag_error(s->d, e->at, "integer literal is too large for int (64-bit)");
      return type_error();
    }
    return type_int();
  case E_FLOAT: return type_float();
  case E_STRING: return type_string();
  case E_BOOL: return type_bool();
  case E_DURATION:
    e->ival = sema_duration_ms(e->sval);
    if (e->ival <= 0) {
      diag_error(s->d, e->at,
                 "bad duration '%s': expected a whole number followed by ms, s, min or h, like 10s",
                 e->sval);
      return type_error();
    }
    return type_duration();
  case E_NAME: return check_name(s, e);
  case E_TUPLE: {
    type **f = mem_alloc(sizeof(type *) * (size_t)e->items.len);
    for (int i = 0; i < e->items.len; i++) {
      f[i] = sema_expr(s, e->items.items[i]);
      if (!sema_is_value_type(f[i]) && !is_error(f[i])) {
        diag_error(s->d, ((expr *)e->items.items[i])->at, "a tuple cannot hold a %s",
                   type_name(f[i]));
        f[i] = type_error();
      }
    }
    return type_tuple(e->items.len, f);
  }
  case E_LIST: {
    if (e->items.len == 0)
      return type_list(type_any()); /* [] takes its element type from context */
    type *elem = NULL;
    for (int i = 0; i < e->items.len; i++) {
      type *t = sema_expr(s, e->items.items[i]);
      type *j = elem ? sema_join(elem, t) : t;
      if (!j) {
        diag_error(s->d, ((expr *)e->items.items[i])->at,
                   "list elements must have one type: this is %s, the ones before are %s",
                   type_name(t), type_name(elem));
        return type_error();
      }
      elem = j;
    }
    if (!sema_is_value_type(elem)) {
      diag_error(s->d, e->at, "a list cannot hold a %s", type_name(elem));
      return type_error();
    }
    for (int i = 0; i < e->items.len; i++)
      sema_coerce((expr **)&e->items.items[i], elem);
    return type_list(elem);
  }
  case E_MEMBER: return check_member(s, e);
  case E_CALL: return check_call(s, e);
  case E_METHOD: return check_method(s, e);
  case E_LAMBDA:
    diag_error(s->d, e->at, "a function can only be passed to a stream operation such as map");
    return type_error();
  case E_BINARY: return check_binary(s, e);
  case E_UNARY: {
    s->negated_literal = e->op == OP_NEG && e->lhs->kind == E_INT;
    type *t = sema_expr(s, e->lhs);
    s->negated_literal = false;
    if (is_error(t))
      return t;
    if (e->op == OP_NEG && !type_is_numeric(t)) {
      diag_error(s->d, e->at, "unary '-' needs a number, but this is %s", type_name(t));
      return type_error();
    }
    if (e->op == OP_NOT && t->kind != T_BOOL) {
      diag_error(s->d, e->at, "'!' needs a bool, but this is %s", type_name(t));
      return type_error();
    }
    return t;
  }
  case E_IF: {
    type *c = sema_expr(s, e->cond);
    if (!is_error(c) && c->kind != T_BOOL)
      diag_error(s->d, e->cond->at, "the condition of 'if' must be bool, but this is %s",
                 type_name(c));
    type *a = sema_expr(s, e->lhs), *b = sema_expr(s, e->rhs);
    type *j = sema_join(a, b);
    if (!j) {
      diag_error(s->d, e->at, "the branches of 'if' have different types: %s and %s",
                 type_name(a), type_name(b));
      return type_error();
    }
    sema_coerce(&e->lhs, j);
    sema_coerce(&e->rhs, j);
    return j;
  }
  case E_NONE: return type_option(type_any());
  case E_INDEX: {
    type *l = sema_expr(s, e->lhs), *i = sema_expr(s, e->rhs);
    if (is_error(l) || is_error(i))
      return type_error();
    if (l->kind != T_LIST) {
      diag_error(s->d, e->lhs->at, "only a list can be indexed with [ ], but this is %s",
                 type_name(l));
      return type_error();
    }
    if (i->kind != T_INT) {
      diag_error(s->d, e->rhs->at, "a list index must be int, but this is %s", type_name(i));
      return type_error();
    }
    return l->elem;
  }
  case E_LET: {
    type *v = sema_expr(s, e->rhs);
    if (!sema_is_value_type(v) && !is_error(v)) {
      diag_error(s->d, e->rhs->at, "let can only bind a value, but this is %s", type_name(v));
      v = type_error();
    }
    e->decl->type = v;
    scope *saved = s->locals;
    push_local(s, e->decl);
    type *t = sema_expr(s, e->lhs);
    s->locals = saved;
    return t;
  }
  }
  unreachable();
}

type *sema_expr(sema *s, expr *e) {
  if (e->type)
    return e->type;
  if (s->depth == MAX_EXPR_DEPTH) {
    diag_error(s->d, e->at, "expression nested too deeply (more than %d levels)", MAX_EXPR_DEPTH);
    return e->type = type_error();
  }
  s->depth++;
  e->type = check_inner(s, e);
  s->depth--;
  return e->type;
}

/* ---- items ---------------------------------------------------------------------------------- */

static void check_param(sema *s, ast_item *it) {
  type *t = sema_resolve_type(s, it->ann);
  if (!is_error(t) && t->kind != T_INT && t->kind != T_FLOAT && t->kind != T_BOOL &&
      t->kind != T_STRING) {
    diag_error(s->d, it->ann->at, "a param must be int, float, bool or string, not %s",
               type_name(t));
    t = type_error();
  }
  if (it->value) {
    expr *v = it->value;
    bool literal = v->kind == E_INT || v->kind == E_FLOAT || v->kind == E_STRING ||
                   v->kind == E_BOOL ||
                   (v->kind == E_UNARY && v->op == OP_NEG &&
                    (v->lhs->kind == E_INT || v->lhs->kind == E_FLOAT));
    sema_expr(s, v);
    if (!literal) {
      diag_error(s->d, v->at, "the default of a param must be a literal value");
    } else if (!is_error(t) && !is_error(v->type) && !sema_coerce(&it->value, t)) {
      diag_error(s->d, v->at, "the default of '%s' must be %s, but this is %s", it->name,
                 type_name(t), type_name(v->type));
    }
  }
  sym *g = mem_alloc(sizeof *g);
  g->kind = SYM_PARAM;
  g->name = it->name;
  g->at = it->name_at;
  g->item = it;
  g->type = t;
  g->index = s->info->params.len;
  it->sym = g;
  if (declare_global(s, g))
    vec_push(&s->info->params, it);
}

static void check_batch(sema *s, ast_item *it) {
  if (s->batch_item) {
    diag_error(s->d, it->at, "the batch interval is already declared");
    diag_note(s->d, s->batch_item->at, "previous declaration is here");
    return;
  }
  s->batch_item = it;
  expr *v = it->value;
  if (v->kind != E_DURATION) {
    diag_error(s->d, v->at, "expected a duration like 10s or 500ms after 'batch'");
    return;
  }
  sema_expr(s, v);
  s->info->batch_ms = v->ival > 0 ? v->ival : 1000;
}

static void check_bind(sema *s, ast_item *it) {
  type *t = sema_expr(s, it->value);
  if (t->kind == T_UNIT) {
    diag_error(s->d, it->value->at, "an output operation gives no stream to bind to '%s'",
               it->name);
    t = type_error();
  } else if (!is_error(t) && t->kind != T_STREAM) {
    diag_error(s->d, it->value->at,
               "a top-level binding must be a stream, but this is %s (use param for a value the user sets)",
               type_name(t));
    t = type_error();
  }
  sym *g = mem_alloc(sizeof *g);
  g->kind = SYM_STREAM;
  g->name = it->name;
  g->at = it->name_at;
  g->item = it;
  g->value = it->value;
  g->type = t;
  it->sym = g;
  declare_global(s, g);
}

static void check_output(sema *s, ast_item *it) {
  type *t = sema_expr(s, it->value);
  if (is_error(t))
    return;
  if (t->kind != T_UNIT) {
    diag_error(s->d, it->value->at,
               "this %s is computed but never used; a statement must be an output operation such as .print()",
               t->kind == T_STREAM ? "stream" : "value");
    return;
  }
  vec_push(&s->info->outputs, it->value);
}

/* fn name(a: T, ...): R = body — declared before its body is checked, so it may recurse. */
static void check_fn(sema *s, ast_item *it) {
  if (ops_builtin(it->name) >= 0 || ops_source(it->name) >= 0) {
    diag_error(s->d, it->name_at, "fn '%s' would hide the built-in %s; choose another name",
               it->name, it->name);
    return;
  }
  type *ret = sema_resolve_type(s, it->ann);
  for (int i = 0; i < it->params.len; i++) {
    ast_param *p = it->params.items[i];
    p->type = sema_resolve_type(s, p->ann);
    if (!sema_is_value_type(p->type) && !is_error(p->type))
      diag_error(s->d, p->ann->at, "a function parameter cannot be a %s", type_name(p->type));
  }
  sym *g = mem_alloc(sizeof *g);
  g->kind = SYM_FN;
  g->name = it->name;
  g->at = it->name_at;
  g->item = it;
  g->type = ret;
  it->sym = g;
  if (!declare_global(s, g))
    return;
  g->index = s->info->functions.len;
  vec_push(&s->info->functions, it);
  scope *saved = s->locals;
  for (int i = 0; i < it->params.len; i++)
    push_local(s, it->params.items[i]);
  s->fn_depth++;
  type *body = sema_expr(s, it->value);
  s->fn_depth--;
  s->locals = saved;
  if (!is_error(body) && !is_error(ret) && !sema_coerce(&it->value, ret))
    diag_error(s->d, it->value->at, "the body of '%s' must be %s, as declared, but this is %s",
               it->name, type_name(ret), type_name(body));
}

bool sema_check(ast_program *prog, diag_ctx *diag, sema_info *info) {
  sema s = {0};
  s.d = diag;
  s.info = info;
  memset(info, 0, sizeof *info);
  int errors_before = diag->errors;
  for (int i = 0; i < prog->items.len; i++) {
    ast_item *it = prog->items.items[i];
    switch (it->kind) {
    case ITEM_PARAM: check_param(&s, it); break;
    case ITEM_BATCH: check_batch(&s, it); break;
    case ITEM_BIND: check_bind(&s, it); break;
    case ITEM_EXPR: check_output(&s, it); break;
    case ITEM_FN: check_fn(&s, it); break;
    }
  }
  if (s.batch_item && info->batch_ms > 0)
    for (int i = 0; i < s.batch_multiples.len; i++) {
      expr *d = s.batch_multiples.items[i];
      if (d->ival % info->batch_ms != 0)
        diag_error(diag, d->at, "the %s %s is not a multiple of the batch interval %s", d->name,
                   d->sval, ops_duration_text(info->batch_ms));
    }
  if (diag->errors == errors_before) {
    span start = {0, 0};
    if (!s.batch_item)
      diag_error(diag, start, "the program declares no batch interval; add a line like: batch 1s");
    if (info->outputs.len == 0) {
      span last = start;
      if (prog->items.len)
        last = ((ast_item *)prog->items.items[prog->items.len - 1])->at;
      diag_error(diag, last,
                 "the pipeline has no output operation; add one such as counts.print()");
    }
  }
  return diag->errors == errors_before;
}
