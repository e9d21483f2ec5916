/* sema.h — names, types and checks: turns the AST into the typed AST the planner reads.
 * Lambdas get their parameter types from the operator they are passed to (top-down), their
 * result type from their body (bottom-up); int flows into float by explicit conversion nodes
 * that sema inserts, so codegen never has to guess. */
#ifndef DSC_SEMA_H
#define DSC_SEMA_H

#include "ast.h"
#include "diag.h"

typedef struct sema_info {
  int64_t batch_ms; /* the `batch` interval */
  ptr_vec params;   /* ast_item* of kind ITEM_PARAM, in declaration order */
  ptr_vec outputs;  /* expr* of the output operations (E_METHOD), in program order */
  ptr_vec functions; /* ast_item* of kind ITEM_FN, in declaration order */
} sema_info;

/* Returns false when an error was reported. */
bool sema_check(ast_program *prog, diag_ctx *diag, sema_info *info);
/* Milliseconds of a duration literal like "500ms", "10s", "1min", "2h"; -1 if malformed. */
int64_t sema_duration_ms(const char *text);

#endif
