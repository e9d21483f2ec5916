/* parser.y — the dsc grammar.  A pure bison parser with byte-span locations; actions only call
 * ast_* builders.  Statements end at a newline (parse.c turns the right newlines into NL);
 * `error NL` resynchronises so that one bad line does not hide the next. */
%code requires {
#include "ast.h"
#include "parse.h"
typedef struct tok_str { char *s; int len; } tok_str;
#define DSC_LTYPE span
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                              \
  do {                                                                                           \
    if (N) {                                                                                     \
      (Cur).start = YYRHSLOC(Rhs, 1).start;                                                      \
      (Cur).end = YYRHSLOC(Rhs, N).end;                                                          \
    } else {                                                                                     \
      (Cur).start = (Cur).end = YYRHSLOC(Rhs, 0).end;                                            \
    }                                                                                            \
  } while (0)
}

%code {
int dsc_lex(DSC_STYPE *val, span *loc, parse_state *ps);
static void dsc_error(span *loc, parse_state *ps, const char *msg);
static expr *call_or_method(expr *recv, tok_str name, span name_at, ptr_vec *args, span at);
static ptr_vec *one(void *item);
static ptr_vec *push(ptr_vec *v, void *item);
static void add_item(parse_state *ps, ast_item *it);
static expr *lambda_from(parse_state *ps, ptr_vec *group, span group_at, expr *body, span at);
}

%define api.pure full
%define api.prefix {dsc_}
%define parse.error custom
%define parse.lac full
%locations
%param {parse_state *ps}
%expect 0

%union {
  int64_t ival;
  double fval;
  tok_str str;
  expr *e;
  ptr_vec *v;
  type_expr *ty;
  ast_arg *arg;
  ast_item *item;
}

%token <str> IDENT "identifier" STRING "string" DURATION "duration"
%token <ival> INT "integer"
%token <fval> FLOAT "number"
%token PARAM "param" BATCH "batch" FN "fn" LET "let" IN "in" IF "if" THEN "then" ELSE "else"
%token TRUE "true" FALSE "false"
%token ARROW "=>" EQ "==" NE "!=" LE "<=" GE ">=" AND "&&" OR "||"
%token NL "end of line" RAW_NL "newline" LEX_ERROR "invalid token"

%type <e> expr or_expr and_expr cmp_expr add_expr mul_expr unary postfix primary
%type <v> group_items exprs args opt_args params opt_params types
%type <e> group_item
%type <arg> arg
%type <ty> type
%type <item> item

%%

/* program = { item NL } */
program:
    %empty
  | program NL
  | program item NL        { add_item(ps, $2); }
  | program error NL       { yyerrok; }
  ;

/* item = "param" IDENT ":" type [ "=" expr ] | "batch" DURATION | IDENT "=" expr
        | "fn" IDENT "(" params ")" ":" type "=" expr | expr */
item:
    PARAM IDENT ':' type           { $$ = ast_item_new(ITEM_PARAM, @$); $$->name = $2.s; $$->name_at = @2; $$->ann = $4; }
  | PARAM IDENT ':' type '=' expr  { $$ = ast_item_new(ITEM_PARAM, @$); $$->name = $2.s; $$->name_at = @2; $$->ann = $4; $$->value = $6; }
  | BATCH expr                     { $$ = ast_item_new(ITEM_BATCH, @$); $$->value = $2; }
  | IDENT '=' expr                 { $$ = ast_item_new(ITEM_BIND, @$); $$->name = $1.s; $$->name_at = @1; $$->value = $3; }
  | FN IDENT '(' opt_params ')' ':' type '=' expr
                                   { $$ = ast_item_new(ITEM_FN, @$); $$->name = $2.s; $$->name_at = @2; $$->params = *$4; $$->ann = $7; $$->value = $9; }
  | expr                           { $$ = ast_item_new(ITEM_EXPR, @$); $$->value = $1; }
  ;

opt_params:
    %empty                 { $$ = mem_alloc(sizeof(ptr_vec)); }
  | params
  ;
params:
    IDENT ':' type              { $$ = one(ast_param_new($1.s, @1, $3)); }
  | params ',' IDENT ':' type   { $$ = push($1, ast_param_new($3.s, @3, $5)); }
  ;

/* type = IDENT | IDENT "[" types "]" | "(" types ")" */
type:
    IDENT                  { $$ = mem_alloc(sizeof(type_expr)); $$->name = $1.s; $$->at = @$; }
  | IDENT '[' types ']'    { $$ = mem_alloc(sizeof(type_expr)); $$->name = $1.s; $$->at = @$; $$->args = *$3; }
  | '(' types ')'          { $$ = mem_alloc(sizeof(type_expr)); $$->at = @$; $$->args = *$2; }
  ;
types:
    type                   { $$ = one($1); }
  | types ',' type         { $$ = push($1, $3); }
  ;

/* expr = IDENT "=>" expr | "(" params ")" "=>" expr | "if" expr "then" expr "else" expr
        | "let" IDENT "=" expr "in" expr | or_expr */
expr:
    IDENT ARROW expr       { $$ = ast_expr(E_LAMBDA, @$); vec_push(&$$->items, ast_param_new($1.s, @1, NULL)); $$->lhs = $3; }
  | '(' ')' ARROW expr     { $$ = ast_expr(E_LAMBDA, @$); $$->lhs = $4; }
  | '(' group_items ')' ARROW expr
                           { span g = {@1.start, @3.end}; $$ = lambda_from(ps, $2, g, $5, @$); }
  | IF expr THEN expr ELSE expr
                           { $$ = ast_expr(E_IF, @$); $$->cond = $2; $$->lhs = $4; $$->rhs = $6; }
  | LET IDENT '=' expr IN expr
                           { $$ = ast_expr(E_LET, @$); $$->decl = ast_param_new($2.s, @2, NULL); $$->rhs = $4; $$->lhs = $6; }
  | or_expr
  ;

or_expr:
    and_expr
  | or_expr OR and_expr    { $$ = ast_binary(OP_OR, $1, $3, @$); }
  ;
and_expr:
    cmp_expr
  | and_expr AND cmp_expr  { $$ = ast_binary(OP_AND, $1, $3, @$); }
  ;
/* Comparisons do not chain: `a < b < c` is a syntax error rather than a surprise. */
cmp_expr:
    add_expr
  | add_expr EQ add_expr   { $$ = ast_binary(OP_EQ, $1, $3, @$); }
  | add_expr NE add_expr   { $$ = ast_binary(OP_NE, $1, $3, @$); }
  | add_expr '<' add_expr  { $$ = ast_binary(OP_LT, $1, $3, @$); }
  | add_expr LE add_expr   { $$ = ast_binary(OP_LE, $1, $3, @$); }
  | add_expr '>' add_expr  { $$ = ast_binary(OP_GT, $1, $3, @$); }
  | add_expr GE add_expr   { $$ = ast_binary(OP_GE, $1, $3, @$); }
  ;
add_expr:
    mul_expr
  | add_expr '+' mul_expr  { $$ = ast_binary(OP_ADD, $1, $3, @$); }
  | add_expr '-' mul_expr  { $$ = ast_binary(OP_SUB, $1, $3, @$); }
  ;
mul_expr:
    unary
  | mul_expr '*' unary     { $$ = ast_binary(OP_MUL, $1, $3, @$); }
  | mul_expr '/' unary     { $$ = ast_binary(OP_DIV, $1, $3, @$); }
  | mul_expr '%' unary     { $$ = ast_binary(OP_MOD, $1, $3, @$); }
  ;
unary:
    postfix
  | '-' unary              { $$ = ast_unary(OP_NEG, $2, @$); }
  | '!' unary              { $$ = ast_unary(OP_NOT, $2, @$); }
  ;

/* postfix = primary { "." IDENT [ "(" args ")" ] | "[" expr "]" } */
postfix:
    primary
  | postfix '.' IDENT                    { $$ = ast_expr(E_MEMBER, @$); $$->lhs = $1; $$->name = $3.s; $$->name_at = @3; }
  | postfix '.' IDENT '(' opt_args ')'   { $$ = call_or_method($1, $3, @3, $5, @$); }
  | postfix '[' expr ']'                 { $$ = ast_expr(E_INDEX, @$); $$->lhs = $1; $$->rhs = $3; }
  ;

primary:
    INT                    { $$ = ast_expr(E_INT, @$); $$->ival = $1; }
  | FLOAT                  { $$ = ast_expr(E_FLOAT, @$); $$->fval = $1; }
  | STRING                 { $$ = ast_expr(E_STRING, @$); $$->sval = $1.s; $$->slen = $1.len; }
  | DURATION               { $$ = ast_expr(E_DURATION, @$); $$->sval = $1.s; }
  | TRUE                   { $$ = ast_expr(E_BOOL, @$); $$->bval = true; }
  | FALSE                  { $$ = ast_expr(E_BOOL, @$); $$->bval = false; }
  | IDENT                  { $$ = ast_expr(E_NAME, @$); $$->name = $1.s; $$->name_at = @1; }
  | IDENT '(' opt_args ')' { $$ = call_or_method(NULL, $1, @1, $3, @$); }
  | '[' exprs ']'          { $$ = ast_expr(E_LIST, @$); $$->items = *$2; }
  | '[' ']'                { $$ = ast_expr(E_LIST, @$); }
  | '(' group_items ')'    {
                             if ($2->len == 1) {
                               expr *only = $2->items[0];
                               if (only->kind == E_LAMBDA && only->lhs == NULL) {
                                 diag_error(ps->diag, only->at, "a parameter type annotation is only allowed in a lambda's parameter list");
                               }
                               $$ = only;
                             } else {
                               $$ = ast_expr(E_TUPLE, @$);
                               $$->items = *$2;
                               for (int i = 0; i < $2->len; i++) {
                                 expr *it = $2->items[i];
                                 if (it->kind == E_LAMBDA && it->lhs == NULL)
                                   diag_error(ps->diag, it->at, "a parameter type annotation is only allowed in a lambda's parameter list");
                               }
                             }
                           }
  ;

/* A parenthesised group is a tuple, a parenthesised expression, or (before "=>") a lambda's
 * parameter list; `name: type` items are only valid in the last.  They are parsed alike and
 * told apart by what follows the ")". */
group_items:
    group_item                   { $$ = one($1); }
  | group_items ',' group_item   { $$ = push($1, $3); }
  ;
group_item:
    expr
  | IDENT ':' type         {
                             /* an annotated name: a bodiless E_LAMBDA marks it until
                                lambda_from turns it into a parameter */
                             $$ = ast_expr(E_LAMBDA, @$);
                             vec_push(&$$->items, ast_param_new($1.s, @1, $3));
                           }
  ;

exprs:
    expr                   { $$ = one($1); }
  | exprs ',' expr         { $$ = push($1, $3); }
  ;

opt_args:
    %empty                 { $$ = mem_alloc(sizeof(ptr_vec)); }
  | args
  ;
args:
    arg                    { $$ = one($1); }
  | args ',' arg           { $$ = push($1, $3); }
  ;
/* arg = [ IDENT "=" ] expr */
arg:
    expr                   { $$ = ast_arg_new(NULL, @$, $1); }
  | IDENT '=' expr         { $$ = ast_arg_new($1.s, @$, $3); }
  ;

%%

static ptr_vec *one(void *item) {
  ptr_vec *v = mem_alloc(sizeof *v);
  vec_push(v, item);
  return v;
}

static ptr_vec *push(ptr_vec *v, void *item) {
  vec_push(v, item);
  return v;
}

static void add_item(parse_state *ps, ast_item *it) { vec_push(&ps->prog->items, it); }

static expr *call_or_method(expr *recv, tok_str name, span name_at, ptr_vec *args, span at) {
  expr *e = ast_expr(recv ? E_METHOD : E_CALL, at);
  e->lhs = recv;
  e->name = name.s;
  e->name_at = name_at;
  e->items = *args;
  return e;
}

/* `(a, b: int) => body`: every item of the group must be a name, annotated or not. */
static expr *lambda_from(parse_state *ps, ptr_vec *group, span group_at, expr *body, span at) {
  expr *lam = ast_expr(E_LAMBDA, at);
  lam->lhs = body;
  for (int i = 0; i < group->len; i++) {
    expr *it = group->items[i];
    if (it->kind == E_NAME) {
      vec_push(&lam->items, ast_param_new(it->name, it->at, NULL));
    } else if (it->kind == E_LAMBDA && it->lhs == NULL) {
      vec_push(&lam->items, it->items.items[0]);
    } else {
      diag_error(ps->diag, it->at, "expected a parameter name in the lambda's parameter list");
      (void)group_at;
    }
  }
  return lam;
}

static void dsc_error(span *loc, parse_state *ps, const char *msg) {
  diag_error(ps->diag, *loc, "%s", msg);
}

/* Syntax errors name what was found and what would have been accepted.  A LEX_ERROR was
 * already reported by the scanner, so it gets no second message. */
static int yyreport_syntax_error(const yypcontext_t *ctx, parse_state *ps) {
  yysymbol_kind_t found = yypcontext_token(ctx);
  if (found == YYSYMBOL_LEX_ERROR)
    return 0;
  span at = *yypcontext_location(ctx);
  yysymbol_kind_t expected[6];
  int n = yypcontext_expected_tokens(ctx, expected, 6);
  const char *what = found == YYSYMBOL_YYEOF ? "end of file" : yysymbol_name(found);
  char list[256] = "";
  if (n > 0 && n <= 5) {
    size_t used = 0;
    for (int i = 0; i < n; i++)
      used += (size_t)snprintf(list + used, sizeof list - used, "%s%s",
                               i == 0 ? "" : i == n - 1 ? " or " : ", ", yysymbol_name(expected[i]));
  }
  if (ps->last_nl_end >= 0 && found == YYSYMBOL_NL) {
    /* Point at the end of the line rather than at the start of the next one. */
    at.start = at.end = ps->last_nl_end;
  }
  if (list[0])
    diag_error(ps->diag, at, "syntax error: unexpected %s, expected %s", what, list);
  else
    diag_error(ps->diag, at, "syntax error: unexpected %s", what);
  return 0;
}
