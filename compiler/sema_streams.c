/* sema_streams.c — type rules of the sources and of every stream operator: which element
 * types an operator accepts, the types of the functions passed to it, the stream it gives, and
 * the window rules (durations that are multiples of the parent stream's slide, equal slides
 * for operations on two streams). */
#include <string.h>

#include "ops.h"
#include "sema_int.h"

/* ---- stream operators ----------------------------------------------------------------------- */

/* Binds positional and named arguments of a call to the parameter names in `names`, the first
 * `nrequired` of them required; out[i] is NULL for an omitted optional one.  Arguments are
 * not type-checked here. */
static bool bind_args(sema *s, expr *e, const char *what, const char *usage,
                      const char *const *names, int nnames, int nrequired, expr **out) {
  for (int i = 0; i < nnames; i++)
    out[i] = NULL;
  bool positional_ok = true;
  for (int i = 0; i < e->items.len; i++) {
    ast_arg *a = e->items.items[i];
    int at = -1;
    if (a->name) {
      positional_ok = false;
      for (int k = 0; k < nnames; k++)
        if (strcmp(names[k], a->name) == 0)
          at = k;
      if (at < 0) {
        diag_error(s->d, a->at, "%s has no parameter named '%s'%s%s", what, a->name,
                   usage ? "; usage: " : "", usage ? usage : "");
        return false;
      }
    } else {
      if (!positional_ok) {
        diag_error(s->d, a->at, "a positional argument cannot follow a named one");
        return false;
      }
      at = i;
      if (at >= nnames) {
        diag_error(s->d, a->at, "%s takes at most %d argument%s%s%s", what, nnames,
                   nnames == 1 ? "" : "s", usage ? "; usage: " : "", usage ? usage : "");
        return false;
      }
    }
    if (out[at]) {
      diag_error(s->d, a->at, "argument '%s' of %s is given twice", names[at], what);
      return false;
    }
    out[at] = a->value;
  }
  for (int k = 0; k < nrequired; k++)
    if (!out[k]) {
      diag_error(s->d, e->kind == E_CALL || e->kind == E_METHOD ? e->name_at : e->at,
                 "%s needs its argument '%s'%s%s", what, names[k], usage ? "; usage: " : "",
                 usage ? usage : "");
      return false;
    }
  return true;
}

static bool int_literal(sema *s, expr *v, const char *what, int64_t min, int64_t *out) {
  if (v->kind != E_INT) {
    if (!is_error(sema_expr(s, v))) /* an erroneous argument was reported already */
      diag_error(s->d, v->at, "%s must be a whole number literal", what);
    return false;
  }
  v->type = type_int();
  if (v->ival < min) {
    diag_error(s->d, v->at, "%s must be at least %lld", what, (long long)min);
    return false;
  }
  *out = v->ival;
  return true;
}

static bool bool_literal(sema *s, expr *v, const char *what, bool *out) {
  if (v->kind != E_BOOL) {
    if (!is_error(sema_expr(s, v))) /* an erroneous argument was reported already */
      diag_error(s->d, v->at, "%s must be true or false", what);
    return false;
  }
  v->type = type_bool();
  *out = v->bval;
  return true;
}

type *sema_source(sema *s, expr *e, int id) {
  e->builtin = id;
  const char *name = ops_source_name(id);
  if (s->fn_depth > 0) {
    diag_error(s->d, e->name_at, "a source such as %s(...) can only be used at the top level",
               name);
    return type_error();
  }
  static const char *const socket_args[] = {"host", "port"};
  static const char *const path_args[] = {"path"};
  static const char *const dir_args[] = {"dir", "pattern", "existing"};
  expr *a[3];
  bool ok;
  switch ((source_id)id) {
  case SRC_SOCKET:
    ok = bind_args(s, e, name, "socket(host: string, port: int)", socket_args, 2, 2, a);
    break;
  case SRC_STDIN: ok = bind_args(s, e, name, "stdin()", NULL, 0, 0, a); break;
  case SRC_FILE: ok = bind_args(s, e, name, "file(path: string)", path_args, 1, 1, a); break;
  case SRC_TABLE: ok = bind_args(s, e, name, "table(path: string)", path_args, 1, 1, a); break;
  case SRC_TEXT_FILES:
    ok = bind_args(s, e, name, "textFiles(dir: string, pattern = \"*\", existing = false)",
                   dir_args, 3, 1, a);
    break;
  default: unreachable();
  }
  for (int i = 0; i < e->items.len; i++)
    sema_expr(s, arg_value(e, i));
  if (!ok)
    return type_error();
  /* Put the arguments in parameter order for codegen, defaults filled in. */
  int n = id == SRC_SOCKET ? 2 : id == SRC_STDIN ? 0 : id == SRC_TEXT_FILES ? 3 : 1;
  if (id == SRC_TEXT_FILES) {
    if (!a[1]) {
      a[1] = ast_expr(E_STRING, e->at);
      a[1]->sval = "*";
      a[1]->slen = 1;
      sema_expr(s, a[1]);
    }
    if (!a[2]) {
      a[2] = ast_expr(E_BOOL, e->at);
      sema_expr(s, a[2]);
    }
  }
  ptr_vec ordered = {0};
  for (int i = 0; i < n; i++)
    vec_push(&ordered, ast_arg_new(NULL, a[i]->at, a[i]));
  e->items = ordered;
  static const char *const what[] = {"the host of socket", "the port of socket"};
  for (int i = 0; i < n; i++) {
    type *want = id == SRC_SOCKET && i == 1 ? type_int()
               : id == SRC_TEXT_FILES && i == 2 ? type_bool() : type_string();
    const char *ctx = id == SRC_SOCKET ? what[i] : mem_printf("argument '%s' of %s",
                                                              id == SRC_TEXT_FILES ? dir_args[i] : "path", name);
    if (!sema_expect(s, arg_slot(e, i), want, ctx))
      return type_error();
  }
  return type_stream(type_string());
}

/* The state type S of updateStateByKey / mapWithState: from the annotation `option[S]` on the
 * last of the lambda's `n` parameters, else `dflt` (the value type). */
static type *state_param_type(sema *s, expr *fn, int n, type *dflt, const char *opname) {
  if (fn->kind != E_LAMBDA || fn->items.len != n || !((ast_param *)fn->items.items[n - 1])->ann)
    return dflt;
  type_expr *at = ((ast_param *)fn->items.items[n - 1])->ann;
  type *ann = sema_resolve_type(s, at);
  if (ann->kind != T_OPTION) {
    diag_error(s->d, at->at, "the state parameter of %s is an option, e.g. state: option[int]", opname);
    return type_error();
  }
  return ann->elem;
}

/* The element type of a keyed stream, or NULL after reporting why it is not one. */
static type *pair_elem(sema *s, expr *e, type *elem, const char *opname) {
  if (elem->kind == T_TUPLE && elem->n == 2) {
    if (!type_is_comparable(elem->elems[0])) {
      diag_error(s->d, e->name_at, "%s needs keys that can be compared, but the keys are %s",
                 opname, type_name(elem->elems[0]));
      return NULL;
    }
    return elem;
  }
  diag_error(s->d, e->name_at,
             "%s needs a stream of (key, value) pairs, but %s is a stream of %s", opname,
             e->lhs->kind == E_NAME ? mem_printf("'%s'", e->lhs->name) : "this", type_name(elem));
  return NULL;
}

/* A type sortBy and top can order: numbers, strings, bools and tuples of them. */
static bool is_orderable(const type *t) {
  switch (t->kind) {
  case T_INT: case T_FLOAT: case T_STRING: case T_BOOL: return true;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (!is_orderable(t->elems[i]))
        return false;
    return true;
  default: return false;
  }
}

/* The function argument `fn` of op, checked as a function of `n` parameters; its result
 * coerced to `want` when want is given. */
static type *check_fn_arg(sema *s, expr **slot, int n, type **params, type *want,
                          const char *what) {
  expr *fn = *slot;
  type *r = sema_lambda(s, fn, n, params, what);
  if (is_error(r) || !want)
    return r;
  if (!sema_coerce(&fn->lhs, want)) {
    diag_error(s->d, fn->lhs->at, "the function passed to %s must return %s, but this is %s",
               what, type_name(want), type_name(r));
    return type_error();
  }
  return want;
}

/* How often a stream has a batch (ms; 0 = every batch interval). */
static int64_t slide_of(const expr *stream) {
  while (stream->kind == E_NAME && stream->sym && stream->sym->kind == SYM_STREAM)
    stream = stream->sym->value;
  return stream->slide;
}


/* Operations on two streams need them to have batches at the same times (Spark's rule). */
static bool same_slide(sema *s, expr *e, expr *other) {
  int64_t a = slide_of(e->lhs), b = slide_of(other);
  if (a == b)
    return true;
  diag_error(s->d, other->at, "%s needs streams with the same slide, but this one slides every %s and the other every %s",
             e->name, b ? ops_duration_text(b) : "batch", a ? ops_duration_text(a) : "batch");
  return false;
}

/* other stream arguments of union / join / cogroup */
static type *stream_arg(sema *s, expr *v, const char *what) {
  type *t = sema_expr(s, v);
  if (is_error(t))
    return t;
  if (t->kind != T_STREAM) {
    diag_error(s->d, v->at, "%s takes a stream, but this is %s", what, type_name(t));
    return type_error();
  }
  return t;
}

static type *check_join(sema *s, expr *e, type *elem, int id, const char *name) {
  if (!sema_arity(s, e, name, 1, mem_printf("%s(other: stream of (key, value))", name)))
    return type_error();
  type *kv = pair_elem(s, e, elem, name);
  type *other = stream_arg(s, arg_value(e, 0), name);
  if (!kv || is_error(other))
    return type_error();
  type *kw = other->elem;
  if (kw->kind != T_TUPLE || kw->n != 2) {
    diag_error(s->d, arg_value(e, 0)->at,
               "%s needs a stream of (key, value) pairs to join with, but this is a stream of %s",
               name, type_name(kw));
    return type_error();
  }
  if (!same_slide(s, e, arg_value(e, 0)))
    return type_error();
  if (kw->elems[0] != kv->elems[0]) {
    diag_error(s->d, arg_value(e, 0)->at,
               "%s needs keys of the same type on both sides: this stream's keys are %s, the other's are %s",
               name, type_name(kv->elems[0]), type_name(kw->elems[0]));
    return type_error();
  }
  type *v = kv->elems[1], *w = kw->elems[1];
  switch (id) {
  case S_JOIN: break;
  case S_LEFT_OUTER_JOIN: w = type_option(w); break;
  case S_RIGHT_OUTER_JOIN: v = type_option(v); break;
  case S_FULL_OUTER_JOIN: v = type_option(v); w = type_option(w); break;
  case S_COGROUP: v = type_list(v); w = type_list(w); break;
  }
  return type_stream(type_pair(kv->elems[0], type_pair(v, w)));
}

/* A window length or slide: a duration literal that is a multiple of the parent stream's
 * slide (checked at the end against the batch interval when the parent slides with it). */
static bool window_duration(sema *s, expr *d, int64_t parent_slide, const char *what, int64_t *ms) {
  if (d->kind != E_DURATION) {
    sema_expr(s, d);
    if (!is_error(d->type))
      diag_error(s->d, d->at, "the %s must be a duration like 30s", what);
    return false;
  }
  if (is_error(sema_expr(s, d)))
    return false;
  *ms = d->ival;
  d->name = what;
  if (parent_slide == 0) {
    vec_push(&s->batch_multiples, d);
  } else if (d->ival % parent_slide != 0) {
    diag_error(s->d, d->at, "the %s %s is not a multiple of the parent stream's slide %s", what,
               d->sval, ops_duration_text(parent_slide));
    return false;
  }
  return true;
}

/* Binds (length[, slide]) window arguments starting at positional index `first`. */
static bool window_args(sema *s, expr *e, expr *length, expr *slide) {
  int64_t parent = slide_of(e->lhs);
  if (!window_duration(s, length, parent, "window length", &e->length))
    return false;
  e->slide = parent;
  if (slide && !window_duration(s, slide, parent, "slide", &e->slide))
    return false;
  return true;
}

static type *check_window_op(sema *s, expr *e, type *recv, int id, const char *name) {
  type *elem = recv->elem;
  expr *a[5];
  switch (id) {
  case S_WINDOW: case S_COUNT_BY_WINDOW: case S_COUNT_BY_VALUE_AND_WINDOW: {
    static const char *const names[] = {"length", "slide"};
    if (!bind_args(s, e, name, mem_printf("%s(length, slide = the batch interval)", name), names, 2, 1, a) ||
        !window_args(s, e, a[0], a[1]))
      return type_error();
    if (id == S_WINDOW)
      return recv;
    if (id == S_COUNT_BY_WINDOW)
      return type_stream(type_int());
    if (!type_is_comparable(elem)) {
      diag_error(s->d, e->name_at, "%s needs elements that can be compared, but they are %s",
                 name, type_name(elem));
      return type_error();
    }
    return type_stream(type_pair(elem, type_int()));
  }
  case S_REDUCE_BY_WINDOW: {
    static const char *const names[] = {"f", "length", "slide"};
    if (!bind_args(s, e, name, "reduceByWindow((a, b) => a + b, length, slide)", names, 3, 2, a) ||
        !window_args(s, e, a[1], a[2]))
      return type_error();
    type *args[2] = {elem, elem};
    if (is_error(check_fn_arg(s, &a[0], 2, args, elem, name)))
      return type_error();
    e->cond = a[0];
    return recv;
  }
  case S_REDUCE_BY_KEY_AND_WINDOW: {
    /* (f, length[, slide]) or (f, invF, length, slide[, filter]), or by name */
    static const char *const plain[] = {"f", "length", "slide"};
    static const char *const inverse[] = {"f", "invF", "length", "slide", "filter"};
    bool has_inverse = false;
    for (int i = 0; i < e->items.len; i++) {
      ast_arg *g = e->items.items[i];
      if ((g->name && strcmp(g->name, "invF") == 0) || (!g->name && i == 1 && g->value->kind == E_LAMBDA))
        has_inverse = true;
    }
    const char *usage = "reduceByKeyAndWindow(f, length, slide) or reduceByKeyAndWindow(f, invF, length, slide, filter)";
    expr *b[5] = {0};
    if (has_inverse) {
      if (!bind_args(s, e, name, usage, inverse, 5, 3, b))
        return type_error();
    } else {
      if (!bind_args(s, e, name, usage, plain, 3, 2, a))
        return type_error();
      b[0] = a[0], b[2] = a[1], b[3] = a[2];
    }
    type *kv = pair_elem(s, e, elem, name);
    if (!kv || !window_args(s, e, b[2], b[3]))
      return type_error();
    type *v = kv->elems[1];
    type *args[2] = {v, v};
    if (is_error(check_fn_arg(s, &b[0], 2, args, v, name)))
      return type_error();
    if (b[1] && is_error(check_fn_arg(s, &b[1], 2, args, v, "reduceByKeyAndWindow's invF")))
      return type_error();
    if (b[4] && is_error(check_fn_arg(s, &b[4], 1, &kv, type_bool(), "reduceByKeyAndWindow's filter")))
      return type_error();
    e->cond = b[0]; /* f */
    e->rhs = b[1];  /* invF, or NULL for the non-incremental form */
    e->aux = b[4];  /* filter, or NULL */
    return recv;
  }
  case S_UPDATE_STATE_BY_KEY: {
    if (!sema_arity(s, e, name, 1, "updateStateByKey((values, state) => some(new state) or none)"))
      return type_error();
    type *kv = pair_elem(s, e, elem, name);
    if (!kv)
      return type_error();
    /* the state type: the second parameter's annotation (option[S]), else the value type */
    type *st = state_param_type(s, arg_value(e, 0), 2, kv->elems[1], name);
    if (is_error(st))
      return st;
    type *args[2] = {type_list(kv->elems[1]), type_option(st)};
    if (is_error(check_fn_arg(s, arg_slot(e, 0), 2, args, type_option(st), name)))
      return type_error();
    return type_stream(type_pair(kv->elems[0], st));
  }
  case S_MAP_WITH_STATE: {
    static const char *const names[] = {"f", "timeout"};
    if (!bind_args(s, e, name, "mapWithState((key, value, state) => (record, newState)[, timeout = DURATION])", names, 2, 1, a))
      return type_error();
    type *kv = pair_elem(s, e, elem, name);
    if (!kv)
      return type_error();
    expr *fn = a[0];
    type *st = state_param_type(s, fn, 3, kv->elems[1], name);
    if (is_error(st))
      return st;
    type *args[3] = {kv->elems[0], type_option(kv->elems[1]), type_option(st)};
    type *r = check_fn_arg(s, &a[0], 3, args, NULL, name);
    if (is_error(r))
      return r;
    if (r->kind != T_TUPLE || r->n != 2 || !(r->elems[1]->kind == T_OPTION)) {
      diag_error(s->d, fn->lhs->at,
                 "the function passed to mapWithState must return (record, new state as option[%s]), but this is %s",
                 type_name(st), type_name(r));
      return type_error();
    }
    type *want = type_pair(r->elems[0], type_option(st));
    if (!sema_coerce(&fn->lhs, want)) {
      diag_error(s->d, fn->lhs->at, "the new state must be option[%s], but this is %s",
                 type_name(st), type_name(r->elems[1]));
      return type_error();
    }
    if (!sema_is_value_type(r->elems[0])) {
      diag_error(s->d, fn->lhs->at, "mapWithState cannot emit a %s", type_name(r->elems[0]));
      return type_error();
    }
    e->cond = fn;
    if (a[1]) {
      if (a[1]->kind != E_DURATION || is_error(sema_expr(s, a[1]))) {
        sema_expr(s, a[1]);
        diag_error(s->d, a[1]->at, "the timeout must be a duration like 30s");
        return type_error();
      }
      e->timeout = a[1]->ival;
    }
    e->rhs = NULL;
    e->length = 0;
    /* remembered for stateSnapshots(): the state element type */
    e->decl = ast_param_new("state", e->name_at, NULL);
    e->decl->type = type_pair(kv->elems[0], st);
    return type_stream(r->elems[0]);
  }
  case S_STATE_SNAPSHOTS: {
    if (!sema_arity(s, e, name, 0, NULL))
      return type_error();
    const expr *m = e->lhs;
    while (m->kind == E_NAME && m->sym && m->sym->kind == SYM_STREAM)
      m = m->sym->value;
    if (m->kind != E_METHOD || m->builtin != S_MAP_WITH_STATE) {
      diag_error(s->d, e->name_at, "stateSnapshots() is an operation on the result of mapWithState");
      return type_error();
    }
    return type_stream(m->decl->type);
  }
  }
  unreachable();
}

type *sema_stream_op(sema *s, expr *e, type *recv) {
  int id = ops_stream_op(e->name);
  type *elem = recv->elem;
  if (id < 0) {
    static const char *const none[] = {NULL};
    const char *hint = ops_suggest(e->name, none, 0);
    if (hint && ops_stream_op(hint) >= 0)
      diag_error(s->d, e->name_at, "streams have no operation '%s'; did you mean '%s'?", e->name,
                 hint);
    else
      diag_error(s->d, e->name_at, "streams have no operation '%s'", e->name);
    return type_error();
  }
  e->builtin = id;
  const char *name = ops_stream_op_name(id);
  e->slide = slide_of(e->lhs);
  switch ((stream_op_id)id) {
  case S_WINDOW: case S_COUNT_BY_WINDOW: case S_REDUCE_BY_WINDOW: case S_REDUCE_BY_KEY_AND_WINDOW:
  case S_COUNT_BY_VALUE_AND_WINDOW: case S_UPDATE_STATE_BY_KEY: case S_MAP_WITH_STATE:
  case S_STATE_SNAPSHOTS:
    return check_window_op(s, e, recv, id, name);
  case S_MAP: case S_FLAT_MAP: case S_FILTER: {
    if (!sema_arity(s, e, name, 1, NULL))
      return type_error();
    type *r = sema_lambda(s, arg_value(e, 0), 1, &elem, name);
    if (is_error(r))
      return type_error();
    if (id == S_FILTER) {
      if (r->kind != T_BOOL) {
        diag_error(s->d, arg_value(e, 0)->lhs->at,
                   "the function passed to filter must return bool, but this is %s", type_name(r));
        return type_error();
      }
      return recv;
    }
    if (id == S_FLAT_MAP) {
      if (r->kind != T_LIST) {
        diag_error(s->d, arg_value(e, 0)->lhs->at,
                   "the function passed to flatMap must return a list, but this is %s; use map for one result per element",
                   type_name(r));
        return type_error();
      }
      if (!sema_is_concrete(s, arg_value(e, 0)->lhs, r, "the result of flatMap"))
        return type_error();
      return type_stream(r->elem);
    }
    if (!sema_is_value_type(r)) {
      diag_error(s->d, arg_value(e, 0)->lhs->at, "map cannot produce a %s", type_name(r));
      return type_error();
    }
    if (!sema_is_concrete(s, arg_value(e, 0)->lhs, r, "the result of map"))
      return type_error();
    return type_stream(r);
  }
  case S_REDUCE_BY_KEY: case S_REDUCE: {
    const char *usage = id == S_REDUCE ? "reduce((a, b) => a + b)" : "reduceByKey((a, b) => a + b)";
    if (!sema_arity(s, e, name, 1, usage))
      return type_error();
    type *v = elem;
    if (id == S_REDUCE_BY_KEY) {
      type *kv = pair_elem(s, e, elem, name);
      if (!kv)
        return type_error();
      v = kv->elems[1];
    }
    type *args[2] = {v, v};
    if (is_error(check_fn_arg(s, arg_slot(e, 0), 2, args, v, name)))
      return type_error();
    return recv;
  }
  case S_COUNT:
    if (!sema_arity(s, e, name, 0, NULL))
      return type_error();
    return type_stream(type_int());
  case S_COUNT_BY_VALUE: case S_DISTINCT:
    if (!sema_arity(s, e, name, 0, NULL))
      return type_error();
    if (!type_is_comparable(elem)) {
      diag_error(s->d, e->name_at, "%s needs elements that can be compared, but they are %s",
                 name, type_name(elem));
      return type_error();
    }
    return id == S_DISTINCT ? recv : type_stream(type_pair(elem, type_int()));
  case S_UNION: {
    if (e->items.len == 0) {
      diag_error(s->d, e->name_at, "union needs at least one other stream: a.union(b, ...)");
      return type_error();
    }
    for (int i = 0; i < e->items.len; i++) {
      ast_arg *a = e->items.items[i];
      if (a->name) {
        diag_error(s->d, a->at, "union takes streams, not named arguments");
        return type_error();
      }
      type *t = stream_arg(s, a->value, name);
      if (is_error(t))
        return t;
      if (t != recv) {
        diag_error(s->d, a->value->at,
                   "union needs streams of one type: this is a %s, but the stream it extends is a %s",
                   type_name(t), type_name(recv));
        return type_error();
      }
      if (!same_slide(s, e, a->value))
        return type_error();
    }
    return recv;
  }
  case S_REPARTITION: {
    if (!sema_arity(s, e, name, 1, "repartition(n)"))
      return type_error();
    if (!int_literal(s, arg_value(e, 0), "the number of partitions", 1, &e->ival))
      return type_error();
    return recv;
  }
  case S_GROUP_BY_KEY: case S_KEYS: case S_VALUES: {
    if (!sema_arity(s, e, name, 0, NULL))
      return type_error();
    type *kv = pair_elem(s, e, elem, name);
    if (!kv)
      return type_error();
    if (id == S_KEYS)
      return type_stream(kv->elems[0]);
    if (id == S_VALUES)
      return type_stream(kv->elems[1]);
    return type_stream(type_pair(kv->elems[0], type_list(kv->elems[1])));
  }
  case S_MAP_VALUES: case S_FLAT_MAP_VALUES: {
    if (!sema_arity(s, e, name, 1, NULL))
      return type_error();
    type *kv = pair_elem(s, e, elem, name);
    if (!kv)
      return type_error();
    type *r = sema_lambda(s, arg_value(e, 0), 1, &kv->elems[1], name);
    if (is_error(r))
      return type_error();
    if (id == S_FLAT_MAP_VALUES) {
      if (r->kind != T_LIST) {
        diag_error(s->d, arg_value(e, 0)->lhs->at,
                   "the function passed to flatMapValues must return a list, but this is %s",
                   type_name(r));
        return type_error();
      }
      r = r->elem;
    }
    if (!sema_is_value_type(r)) {
      diag_error(s->d, arg_value(e, 0)->lhs->at, "%s cannot produce a %s", name, type_name(r));
      return type_error();
    }
    return type_stream(type_pair(kv->elems[0], r));
  }
  case S_COMBINE_BY_KEY: {
    const char *usage = "combineByKey(v => c, (c, v) => c, (c1, c2) => c)";
    if (!sema_arity(s, e, name, 3, usage))
      return type_error();
    type *kv = pair_elem(s, e, elem, name);
    if (!kv)
      return type_error();
    type *v = kv->elems[1];
    type *c = check_fn_arg(s, arg_slot(e, 0), 1, &v, NULL, "combineByKey's createCombiner");
    if (is_error(c))
      return c;
    if (!sema_is_value_type(c)) {
      diag_error(s->d, arg_value(e, 0)->lhs->at, "a combiner cannot be a %s", type_name(c));
      return type_error();
    }
    type *mv[2] = {c, v}, *mc[2] = {c, c};
    if (is_error(check_fn_arg(s, arg_slot(e, 1), 2, mv, c, "combineByKey's mergeValue")) ||
        is_error(check_fn_arg(s, arg_slot(e, 2), 2, mc, c, "combineByKey's mergeCombiners")))
      return type_error();
    return type_stream(type_pair(kv->elems[0], c));
  }
  case S_JOIN: case S_LEFT_OUTER_JOIN: case S_RIGHT_OUTER_JOIN: case S_FULL_OUTER_JOIN:
  case S_COGROUP:
    return check_join(s, e, elem, id, name);
  case S_SORT_BY: case S_SORT_BY_KEY: case S_TOP: {
    static const char *const sort_by[] = {"f", "ascending"};
    static const char *const sort_by_key[] = {"ascending"};
    static const char *const top[] = {"n", "f"};
    expr *a[2];
    bool ok = id == S_SORT_BY ? bind_args(s, e, name, "sortBy(x => key, ascending = true)", sort_by, 2, 1, a)
            : id == S_SORT_BY_KEY ? bind_args(s, e, name, "sortByKey(ascending = true)", sort_by_key, 1, 0, a)
            : bind_args(s, e, name, "top(n, x => key)", top, 2, 1, a);
    if (!ok)
      return type_error();
    e->bval = true; /* ascending */
    expr *key_fn = id == S_SORT_BY ? a[0] : id == S_TOP ? a[1] : NULL;
    expr *asc = id == S_SORT_BY ? a[1] : id == S_SORT_BY_KEY ? a[0] : NULL;
    if (asc && !bool_literal(s, asc, "ascending", &e->bval))
      return type_error();
    if (id == S_TOP) {
      e->bval = false;
      if (!int_literal(s, a[0], "top's n", 0, &e->ival))
        return type_error();
    }
    type *key = elem;
    if (id == S_SORT_BY_KEY) {
      type *kv = pair_elem(s, e, elem, name);
      if (!kv)
        return type_error();
      key = kv->elems[0];
    }
    if (key_fn) {
      key = sema_lambda(s, key_fn, 1, &elem, name);
      if (is_error(key))
        return key;
    }
    if (!is_orderable(key)) {
      diag_error(s->d, key_fn ? key_fn->at : e->name_at,
                 "%s needs a key it can order (numbers, strings, bools or tuples of them), but the key is %s",
                 name, type_name(key));
      return type_error();
    }
    e->rhs = key_fn; /* the key function, or NULL for the element / the pair's key */
    return recv;
  }
  case S_PRINT: {
    static const char *const print_args[] = {"n"};
    expr *a[1];
    if (!bind_args(s, e, name, "print(n = 10)", print_args, 1, 0, a))
      return type_error();
    e->ival = 10;
    if (a[0] && !int_literal(s, a[0], "print's n (how many elements to show)", 0, &e->ival))
      return type_error();
    return type_unit();
  }
  case S_STDOUT:
    if (!sema_arity(s, e, name, 0, "stdout()"))
      return type_error();
    return type_unit();
  case S_SAVE_AS_TEXT_FILES: {
    static const char *const save_args[] = {"prefix", "suffix"};
    expr *a[2];
    if (!bind_args(s, e, name, "saveAsTextFiles(prefix: string, suffix = \"\")", save_args, 2, 1, a))
      return type_error();
    for (int i = 0; i < 2; i++)
      if (a[i] && (sema_expr(s, a[i]), true) && !sema_expect(s, &a[i], type_string(), mem_printf("the %s of saveAsTextFiles", save_args[i])))
        return type_error();
    if (!a[1]) {
      a[1] = ast_expr(E_STRING, e->at);
      a[1]->sval = "";
      a[1]->type = type_string();
    }
    e->cond = a[0];
    e->rhs = a[1];
    return type_unit();
  }
  case S_COUNT_: break;
  }
  unreachable();
}

