/* parse.c — runs the scanner and parser, and filters newlines between them.
 *
 * A newline ends a statement only where a statement can end and another can begin: inside
 * ( ) or [ ], after an operator, or before a line that starts with `.`, `else`, `then` or an
 * operator, the newline is just white space.  That lets method chains and long expressions
 * span lines the way they do in Scala, without semicolons. */
#include "parse.h"

#include <string.h>

#include "lex_extra.h"
#include "parser.h"
#define YYSTYPE DSC_STYPE
#define YYLTYPE DSC_LTYPE
#include "lexer.h"

int dsc_rawlex(DSC_STYPE *val, DSC_LTYPE *loc, yyscan_t scanner);
int dsc_lex(DSC_STYPE *val, span *loc, parse_state *ps);

static bool can_end_statement(int tok) {
  switch (tok) {
  case IDENT: case INT: case FLOAT: case STRING: case DURATION: case TRUE: case FALSE:
  case ')': case ']': case LEX_ERROR:
    return true;
  default:
    return false;
  }
}

static bool can_begin_statement(int tok) {
  switch (tok) {
  case IDENT: case INT: case FLOAT: case STRING: case DURATION: case TRUE: case FALSE:
  case PARAM: case BATCH: case FN: case LET: case IF: case '(': case '[': case '!':
  case LEX_ERROR: case DSC_EOF:
    return true;
  default:
    return false;
  }
}

static int raw_next(parse_state *ps, DSC_STYPE *val, span *loc) {
  if (ps->pending) {
    int tok = ps->pending;
    *val = *(DSC_STYPE *)ps->pending_val;
    *loc = ps->pending_loc;
    ps->pending = 0;
    return tok;
  }
  return dsc_rawlex(val, loc, ps->scanner);
}

int dsc_lex(DSC_STYPE *val, span *loc, parse_state *ps) {
  for (;;) {
    int tok = raw_next(ps, val, loc);
    if (tok == RAW_NL || tok == DSC_EOF) {
      span nl = *loc;
      bool at_eof = tok == DSC_EOF;
      if (!at_eof) {
        /* Skip blank lines and look at what starts the next line. */
        DSC_STYPE next_val;
        span next_loc;
        int next;
        do
          next = dsc_rawlex(&next_val, &next_loc, ps->scanner);
        while (next == RAW_NL);
        ps->pending = next;
        *(DSC_STYPE *)ps->pending_val = next_val;
        ps->pending_loc = next_loc;
        if (ps->depth > 0 || !can_end_statement(ps->prev) || !can_begin_statement(next))
          continue;
      } else if (!can_end_statement(ps->prev) || ps->depth > 0) {
        /* Nothing to end, or an unclosed ( or [: the parser sees the end of the file. */
        ps->prev = tok;
        return tok;
      } else {
        ps->pending = DSC_EOF;
        ps->pending_loc = *loc;
      }
      ps->prev = NL;
      ps->last_nl_end = nl.start;
      *loc = nl;
      loc->end = loc->start;
      return NL;
    }
    if (tok == ';' && ps->depth > 0) {
      diag_error(ps->diag, *loc, "';' ends a statement; it cannot appear inside ( ) or [ ]");
      return LEX_ERROR;
    }
    if (tok == ';' && ps->depth == 0) {
      /* a semicolon ends a statement like a newline does */
      if (!can_end_statement(ps->prev))
        continue;
      ps->prev = NL;
      ps->last_nl_end = loc->start;
      return NL;
    }
    if (tok == '(' || tok == '[')
      ps->depth++;
    else if ((tok == ')' || tok == ']') && ps->depth > 0)
      ps->depth--;
    ps->prev = tok;
    return tok;
  }
}

static void scanner_open(parse_state *ps, lex_extra *extra, const src_file *src, diag_ctx *diag,
                         YY_BUFFER_STATE *buf) {
  memset(ps, 0, sizeof *ps);
  extra->diag = diag;
  extra->offset = 0;
  ps->diag = diag;
  ps->last_nl_end = -1;
  ps->pending_val = mem_alloc(sizeof(DSC_STYPE));
  yylex_init_extra(extra, (yyscan_t *)&ps->scanner);
  *buf = yy_scan_bytes(src->text, src->len, ps->scanner);
}

static void scanner_close(parse_state *ps, YY_BUFFER_STATE buf) {
  yy_delete_buffer(buf, ps->scanner);
  yylex_destroy(ps->scanner);
}

ast_program *parse_program(const src_file *src, diag_ctx *diag) {
  parse_state ps;
  lex_extra extra;
  YY_BUFFER_STATE buf;
  scanner_open(&ps, &extra, src, diag, &buf);
  ps.prog = mem_alloc(sizeof *ps.prog);
  ps.prog->src = src;
  dsc_parse(&ps);
  scanner_close(&ps, buf);
  return ps.prog;
}

void parse_dump_tokens(FILE *out, const src_file *src, diag_ctx *diag) {
  parse_state ps;
  lex_extra extra;
  YY_BUFFER_STATE buf;
  scanner_open(&ps, &extra, src, diag, &buf);
  DSC_STYPE val;
  span loc;
  int tok;
  while ((tok = dsc_lex(&val, &loc, &ps)) != DSC_EOF) {
    int line, col;
    source_line_col(src, loc.start, &line, &col);
    const char *name = tok == NL ? "NL" : tok < 256 ? "punct" : "token";
    fprintf(out, "%d:%d %s '%.*s'\n", line, col, name, loc.end - loc.start, src->text + loc.start);
  }
  scanner_close(&ps, buf);
}
