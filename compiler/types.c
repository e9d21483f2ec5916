/* types.c — interning and naming of types.  Programs use a handful of types, so a linear list
 * is the whole intern table. */
#include "types.h"

#include <string.h>

#include "mem.h"

static ptr_vec interned;
static type basic[T_DURATION + 1];
static type unit_type = {.kind = T_UNIT};
static type any_type = {.kind = T_ANY};
static bool basic_ready;

static type *basic_type(type_kind k) {
  if (!basic_ready) {
    for (int i = 0; i <= T_DURATION; i++)
      basic[i].kind = (type_kind)i;
    basic_ready = true;
  }
  return &basic[k];
}

type *type_error(void) { return basic_type(T_ERROR); }
type *type_int(void) { return basic_type(T_INT); }
type *type_float(void) { return basic_type(T_FLOAT); }
type *type_bool(void) { return basic_type(T_BOOL); }
type *type_string(void) { return basic_type(T_STRING); }
type *type_duration(void) { return basic_type(T_DURATION); }
type *type_unit(void) { return &unit_type; }
type *type_any(void) { return &any_type; }

static type *intern(type_kind kind, int n, type **elems, type *elem) {
  for (int i = 0; i < interned.len; i++) {
    type *t = interned.items[i];
    if (t->kind == kind && t->n == n && t->elem == elem &&
        (n == 0 || memcmp(t->elems, elems, sizeof(type *) * (size_t)n) == 0))
      return t;
  }
  type *t = mem_alloc(sizeof *t);
  t->kind = kind;
  t->n = n;
  t->elem = elem;
  if (n) {
    t->elems = mem_alloc(sizeof(type *) * (size_t)n);
    memcpy(t->elems, elems, sizeof(type *) * (size_t)n);
  }
  vec_push(&interned, t);
  return t;
}

type *type_tuple(int n, type **elems) { return intern(T_TUPLE, n, elems, NULL); }
type *type_pair(type *a, type *b) {
  type *e[2] = {a, b};
  return type_tuple(2, e);
}
type *type_list(type *elem) { return intern(T_LIST, 0, NULL, elem); }
type *type_option(type *elem) { return intern(T_OPTION, 0, NULL, elem); }
type *type_stream(type *elem) { return intern(T_STREAM, 0, NULL, elem); }

void types_reset(void) {
  interned.items = NULL;
  interned.len = interned.cap = 0;
}

const char *type_name(const type *t) {
  switch (t->kind) {
  case T_ERROR: return "<error>";
  case T_INT: return "int";
  case T_FLOAT: return "float";
  case T_BOOL: return "bool";
  case T_STRING: return "string";
  case T_DURATION: return "duration";
  case T_UNIT: return "output";
  case T_ANY: return "?";
  case T_LIST: return mem_printf("list[%s]", type_name(t->elem));
  case T_OPTION: return mem_printf("option[%s]", type_name(t->elem));
  case T_STREAM: return mem_printf("stream[%s]", type_name(t->elem));
  case T_TUPLE: {
    const char *s = "(";
    for (int i = 0; i < t->n; i++)
      s = mem_printf("%s%s%s", s, i ? ", " : "", type_name(t->elems[i]));
    return mem_printf("%s)", s);
  }
  }
  unreachable();
}

bool type_is_numeric(const type *t) { return t->kind == T_INT || t->kind == T_FLOAT; }

bool type_is_comparable(const type *t) {
  switch (t->kind) {
  case T_INT: case T_FLOAT: case T_BOOL: case T_STRING: case T_ERROR: return true;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (!type_is_comparable(t->elems[i]))
        return false;
    return true;
  case T_OPTION: return type_is_comparable(t->elem);
  default: return false;
  }
}

bool type_has_error(const type *t) {
  switch (t->kind) {
  case T_ERROR: return true;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (type_has_error(t->elems[i]))
        return true;
    return false;
  case T_LIST: case T_OPTION: case T_STREAM: return type_has_error(t->elem);
  default: return false;
  }
}

bool type_has_any(const type *t) {
  switch (t->kind) {
  case T_ANY: return true;
  case T_TUPLE:
    for (int i = 0; i < t->n; i++)
      if (type_has_any(t->elems[i]))
        return true;
    return false;
  case T_LIST: case T_OPTION: case T_STREAM: return type_has_any(t->elem);
  default: return false;
  }
}
