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
  X(B_MAX, "max", "max(a, b): the larger")                               \
  X(B_ROUND, "round", "round(x: float[, digits: int]): int, or float with digits") \
  X(B_SQRT, "sqrt", "sqrt(x: float): float")                              \
  X(B_FLOOR, "floor", "floor(x: float): int")                             \
  X(B_CEIL, "ceil", "ceil(x: float): int")                                \
  X(B_MATCHES, "matches", "matches(s: string, regex: string literal): bool") \
  X(B_CAPTURE, "capture", "capture(s: string, regex: string literal, group: int): option[string]") \
  X(B_FORMAT, "format", "format(fmt: string literal, args...): string")   \
  X(B_CSV, "csv", "csv(line: string): list[string]")                      \
  X(B_JSON, "json", "json(line: string, key: string): option[string]")    \
  X(B_SOME, "some", "some(x): option of x's type")                        \
  X(B_GET_OR_ELSE, "getOrElse", "getOrElse(o: option[T], default: T): T")

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
  X(S_PRINT, "print")                                                      \
  X(S_UNION, "union")                                                      \
  X(S_REDUCE, "reduce")                                                    \
  X(S_COUNT_BY_VALUE, "countByValue")                                      \
  X(S_REPARTITION, "repartition")                                          \
  X(S_GROUP_BY_KEY, "groupByKey")                                          \
  X(S_MAP_VALUES, "mapValues")                                             \
  X(S_FLAT_MAP_VALUES, "flatMapValues")                                    \
  X(S_KEYS, "keys")                                                        \
  X(S_VALUES, "values")                                                    \
  X(S_COMBINE_BY_KEY, "combineByKey")                                      \
  X(S_JOIN, "join")                                                        \
  X(S_LEFT_OUTER_JOIN, "leftOuterJoin")                                    \
  X(S_RIGHT_OUTER_JOIN, "rightOuterJoin")                                  \
  X(S_FULL_OUTER_JOIN, "fullOuterJoin")                                    \
  X(S_COGROUP, "cogroup")                                                  \
  X(S_SORT_BY, "sortBy")                                                   \
  X(S_SORT_BY_KEY, "sortByKey")                                            \
  X(S_TOP, "top")                                                          \
  X(S_DISTINCT, "distinct")                                                \
  X(S_STDOUT, "stdout")                                                    \
  X(S_SAVE_AS_TEXT_FILES, "saveAsTextFiles")                               \
  X(S_WINDOW, "window")                                                    \
  X(S_COUNT_BY_WINDOW, "countByWindow")                                    \
  X(S_REDUCE_BY_WINDOW, "reduceByWindow")                                  \
  X(S_REDUCE_BY_KEY_AND_WINDOW, "reduceByKeyAndWindow")                    \
  X(S_COUNT_BY_VALUE_AND_WINDOW, "countByValueAndWindow")                  \
  X(S_UPDATE_STATE_BY_KEY, "updateStateByKey")                             \
  X(S_MAP_WITH_STATE, "mapWithState")                                      \
  X(S_STATE_SNAPSHOTS, "stateSnapshots")

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
  X(SRC_FILE, "file")                                                      \
  X(SRC_TEXT_FILES, "textFiles")                                           \
  X(SRC_TABLE, "table")

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
/* A duration as a program would write it: 2s, 1min, 250ms (arena string). */
const char *ops_duration_text(long long ms);
/* The name closest to `name` for "did you mean": among `names` if given, else among the
 * built-ins; NULL if none is close. */
const char *ops_suggest(const char *name, const char *const *extra, int nextra);

#endif
