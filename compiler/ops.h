/* ops.h — the tables of names the language knows: value built-ins, stream operators and
 * sources.  One X-macro list each generates the enum and the name lookup (ops.c), so sema,
 * plan and codegen never keep parallel lists in sync by hand. */
#ifndef DSC_OPS_H
#define DSC_OPS_H

/* Built-in functions on values: id, name, signature for messages. */
#define DSC_BUILTINS(X)                                                    \
  X(B_SPLIT, "split", "split(s: string, sep: string): list[string]")      \
  X(B_WORDS, "words", "words(s: string): list[string]")                   \
  X(B_LOWER, "lower", "lower(s: string): string")                         \
  X(B_UPPER, "upper", "upper(s: string): string")                         \
  X(B_TRIM, "trim", "trim(s: string): string")                            \
  X(B_LEN, "len", "len(s: string | list): int")                           \
  X(B_CONTAINS, "contains", "contains(s: string, part: string): bool")    \
  X(B_STARTS_WITH, "startsWith", "startsWith(s: string, prefix: string): bool") \
  X(B_ENDS_WITH, "endsWith", "endsWith(s: string, suffix: string): bool") \
  X(B_SUBSTR, "substr", "substr(s: string, start: int, count: int): string") \
  X(B_TO_INT, "toInt", "toInt(x: string | float | int): int")             \
  X(B_TO_FLOAT, "toFloat", "toFloat(x: string | int | float): float")     \
  X(B_STR, "str", "str(x: int | float | bool | string): string")          \
  X(B_ABS, "abs", "abs(x: int | float): int | float")                     \
  X(B_MIN, "min", "min(a, b): the smaller")                               \
  X(B_MAX, "max", "max(a, b): the larger")

typedef enum builtin_id {
#define X(id, name, sig) id,
  DSC_BUILTINS(X)
#undef X
  B_COUNT_
} builtin_id;

/* Operators on streams (`s.op(...)`). */
#define DSC_STREAM_OPS(X)                                                  \
  X(S_MAP, "map")                                                          \
  X(S_FLAT_MAP, "flatMap")                                                 \
  X(S_FILTER, "filter")                                                    \
  X(S_REDUCE_BY_KEY, "reduceByKey")                                        \
  X(S_COUNT, "count")                                                      \
  X(S_PRINT, "print")

typedef enum stream_op_id {
#define X(id, name) id,
  DSC_STREAM_OPS(X)
#undef X
  S_COUNT_
} stream_op_id;

/* Input sources (`socket(host, port)`). */
#define DSC_SOURCES(X)                                                     \
  X(SRC_SOCKET, "socket")                                                  \
  X(SRC_STDIN, "stdin")                                                    \
  X(SRC_FILE, "file")

typedef enum source_id {
#define X(id, name) id,
  DSC_SOURCES(X)
#undef X
  SRC_COUNT_
} source_id;

/* -1 when the name is not one. */
int ops_builtin(const char *name);
int ops_stream_op(const char *name);
int ops_source(const char *name);
const char *ops_builtin_name(int id);
const char *ops_builtin_signature(int id);
const char *ops_stream_op_name(int id);
const char *ops_source_name(int id);
/* The known name closest to `name` (for "did you mean"), or NULL if none is close. */
const char *ops_suggest(const char *name, const char *const *extra, int nextra);

#endif
