/* parse.h — source text to AST: drives the flex scanner and the bison parser. */
#ifndef DSC_PARSE_H
#define DSC_PARSE_H

#include <stdio.h>

#include "ast.h"
#include "diag.h"

/* Shared by the parser actions and the token filter in parse.c. */
typedef struct parse_state {
  void *scanner;     /* the flex scanner */
  diag_ctx *diag;    /* where errors go */
  ast_program *prog; /* being built */
  /* Token filter state (see dsc_lex): */
  int depth;         /* open ( and [ */
  int prev;          /* previous token returned */
  int pending;       /* a token read ahead, or 0 */
  void *pending_val; /* its semantic value (DSC_STYPE) */
  span pending_loc;  /* its location */
  int last_nl_end;   /* where the last statement-ending newline was, for messages */
} parse_state;

/* Always returns a program; diag->errors tells whether it is valid. */
ast_program *parse_program(const src_file *src, diag_ctx *diag);
/* `--emit=tokens`: one token a line, with its line:col and text. */
void parse_dump_tokens(FILE *out, const src_file *src, diag_ctx *diag);

#endif
