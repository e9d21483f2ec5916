/* types.h — the type representation.  Types are interned: two types are equal exactly when
 * their pointers are, so sema compares with ==. */
#ifndef DSC_TYPES_H
#define DSC_TYPES_H

#include <stdbool.h>

typedef enum type_kind {
  T_ERROR,    /* poison after an error: compatible with everything, silences cascades */
  T_INT,      /* 64-bit signed */
  T_FLOAT,    /* IEEE double */
  T_BOOL,     /* true / false */
  T_STRING,   /* UTF-8 text */
  T_DURATION, /* a time span literal (window lengths); not a runtime value */
  T_TUPLE,    /* elems[0..n) */
  T_LIST,     /* elem */
  T_OPTION,   /* elem, or none */
  T_STREAM,   /* a discretized stream of elem */
  T_UNIT,     /* what an output operation gives: nothing to bind */
  T_ANY       /* the unknown element of `none` until context tells it */
} type_kind;

typedef struct type {
  type_kind kind;     /* what it is */
  int n;              /* T_TUPLE: width */
  struct type **elems; /* T_TUPLE: field types */
  struct type *elem;   /* T_LIST, T_OPTION, T_STREAM: element type */
} type;

type *type_error(void);
type *type_int(void);
type *type_float(void);
type *type_bool(void);
type *type_string(void);
type *type_duration(void);
type *type_unit(void);
type *type_any(void);
/* Contains T_ANY somewhere: the type of a bare `none` not yet resolved. */
bool type_has_any(const type *t);
type *type_tuple(int n, type **elems);
type *type_pair(type *a, type *b);
type *type_list(type *elem);
type *type_option(type *elem);
type *type_stream(type *elem);
/* Forgets the interned types (their memory belongs to the compiler arena). */
void types_reset(void);

/* `int`, `(string, int)`, `list[string]`, `stream[(string, int)]`; arena string. */
const char *type_name(const type *t);
bool type_is_numeric(const type *t);
/* A value of this type can be compared with == and used as a key. */
bool type_is_comparable(const type *t);
/* Contains T_ERROR somewhere. */
bool type_has_error(const type *t);

#endif
