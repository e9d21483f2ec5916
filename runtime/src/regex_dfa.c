/* regex_dfa.c — matches() of a POSIX extended regex in one pass of a deterministic automaton.
 *
 * glibc's regexec spends about half a microsecond on a word even for a short pattern: a word
 * count keeping the words that match `^[a-m].*[aeiou]$` spent 60% of its time in it, and ran
 * only 1.3x as fast as mawk.  A yes/no answer needs no groups and no leftmost-longest rule, only
 * whether some part of the line is in the regex's language, anchors honoured.  So the pattern
 * is parsed (the subset of EREs below), made a Thompson NFA, and the NFA's state sets built into
 * a DFA over classes of bytes when the regex is made, at most MAX_STATES states.  Matching then
 * costs a table lookup a byte and stops at the first match, or where no match can begin any
 * more.  A search anywhere in the line is the NFA's start set joined in after every byte.
 *
 * Taken: ordinary characters, `\` before a special one, `.`, bracket expressions of printable
 * ASCII with ranges and [:classes:], groups, `|`, `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}`, `^`
 * and `$` anywhere.  Anything else (back-references, GNU escapes such as \w, [= =] and [. .], an
 * empty group or alternative, a `]` or `}` outside a bracket, a repeated anchor or group with
 * one, \n next to an anchor: all read by glibc in ways of its own) gives NULL, as does an
 * automaton too big, and regexec decides as before.  Characters are bytes, as regexec sees them
 * in the C locale the program runs in: `.` is every byte but NUL (glibc's RE_DOT_NOT_NULL), a
 * negated bracket every byte not in it.  unit/rt_regex compares it with regexec on thousands of
 * random patterns and lines.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

/* MAX_WORK bounds the NFA nodes the construction visits (a few milliseconds at most), so that
 * a pattern whose automaton is costly to build does not delay the program's start. */
enum { MAX_DEPTH = 64, MAX_REPEAT = 64, MAX_NODES = 4096, MAX_STATES = 1024 };
enum { MAX_WORK = 4000000 };
enum { F_ACCEPT = 1, F_END = 2, F_DEAD = 4 };

typedef struct byteset {
  uint64_t w[4];
} byteset;

static void set_add(byteset *s, unsigned c) { s->w[c >> 6] |= (uint64_t)1 << (c & 63); }
static int set_has(const byteset *s, unsigned c) { return (int)(s->w[c >> 6] >> (c & 63)) & 1; }

/* ---- parsing: the pattern as a tree ---------------------------------------------------------- */

enum ast_kind { A_SET, A_CAT, A_ALT, A_REP, A_BOL, A_EOL };

typedef struct ast {
  int kind;      /* enum ast_kind */
  int a, b;      /* children (A_CAT, A_ALT; A_REP: a) */
  int set;       /* A_SET: index in the parser's sets */
  int min, max;  /* A_REP: bounds, max < 0 for none */
} ast;

typedef struct parser {
  const char *p, *end;
  ast *nodes;
  int nnodes, node_cap;
  byteset *sets;
  int nsets, set_cap;
  int depth;
} parser;

static int new_node(parser *ps, int kind, int a, int b) {
  if (ps->nnodes == MAX_NODES) return -1;
  if (ps->nnodes == ps->node_cap) {
    ps->node_cap = ps->node_cap ? 2 * ps->node_cap : 32;
    ps->nodes = rt_xrealloc(ps->nodes, sizeof(ast) * (size_t)ps->node_cap);
  }
  ps->nodes[ps->nnodes] = (ast){.kind = kind, .a = a, .b = b, .set = -1};
  return ps->nnodes++;
}

static int new_set_node(parser *ps, const byteset *s) {
  if (ps->nsets == ps->set_cap) {
    ps->set_cap = ps->set_cap ? 2 * ps->set_cap : 16;
    ps->sets = rt_xrealloc(ps->sets, sizeof(byteset) * (size_t)ps->set_cap);
  }
  int n = new_node(ps, A_SET, -1, -1);
  if (n < 0) return -1;
  ps->sets[ps->nsets] = *s;
  ps->nodes[n].set = ps->nsets++;
  return n;
}

/* A [:name:] class as the C locale defines it; 0 for a name not known. */
static int add_class(byteset *s, const char *name, size_t len) {
  static const struct {
    const char *name;
    int (*is)(int);
  } classes[] = {{"alpha", isalpha}, {"digit", isdigit}, {"alnum", isalnum}, {"upper", isupper},
                 {"lower", islower}, {"space", isspace}, {"blank", isblank}, {"punct", ispunct},
                 {"print", isprint}, {"graph", isgraph}, {"cntrl", iscntrl}, {"xdigit", isxdigit}};
  for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++) {
    if (strlen(classes[k].name) != len || memcmp(classes[k].name, name, len)) continue;
    for (unsigned c = 0; c < 128; c++)
      if (classes[k].is((int)c)) set_add(s, c);
    return 1;
  }
  return 0;
}

/* Whether c may stand in a bracket expression as itself or as a range's end. */
static int bracket_char(unsigned char c) { return c >= 0x20 && c <= 0x7E && c != '[' && c != '\\'; }

/* The bracket expression at ps->p ('['). */
static int parse_bracket(parser *ps) {
  const char *p = ps->p + 1, *end = ps->end;
  byteset s = {{0}};
  int negate = 0;
  if (p < end && *p == '^') negate = 1, p++;
  const char *first = p;
  if (p < end && *p == ']') set_add(&s, ']'), p++; /* a leading ']' is a member */
  while (p < end && *p != ']') {
    if (*p == '[') {
      if (end - p < 2 || p[1] != ':') return -1; /* [= =], [. .], or a '[' member: regexec */
      const char *name = p + 2, *close = name;
      while (close + 1 < end && !(close[0] == ':' && close[1] == ']')) close++;
      if (close + 1 >= end || !add_class(&s, name, (size_t)(close - name))) return -1;
      p = close + 2;
      continue;
    }
    unsigned char lo = (unsigned char)*p++;
    if (!bracket_char(lo) || (lo == '-' && p - 1 != first && p < end && *p != ']')) return -1;
    if (end - p >= 2 && *p == '-' && p[1] != ']') {
      unsigned char hi = (unsigned char)p[1];
      if (!bracket_char(hi) || hi < lo) return -1;
      for (unsigned c = lo; c <= hi; c++) set_add(&s, c);
      p += 2;
    } else {
      set_add(&s, lo);
    }
  }
  if (p >= end) return -1;
  ps->p = p + 1;
  if (negate)
    for (int k = 0; k < 4; k++) s.w[k] = ~s.w[k];
  return new_set_node(ps, &s);
}

static int parse_alt(parser *ps);

static int parse_atom(parser *ps) {
  byteset s = {{0}};
  unsigned char c = (unsigned char)*ps->p;
  switch (c) {
  case '(': {
    ps->p++;
    if (++ps->depth > MAX_DEPTH || ps->p >= ps->end || *ps->p == ')') return -1;
    int inner = parse_alt(ps);
    if (inner < 0 || ps->p >= ps->end || *ps->p != ')') return -1;
    ps->p++, ps->depth--;
    return inner;
  }
  case '[': return parse_bracket(ps);
  case '^': ps->p++; return new_node(ps, A_BOL, -1, -1);
  case '$': ps->p++; return new_node(ps, A_EOL, -1, -1);
  case '.':
    for (unsigned k = 1; k < 256; k++) set_add(&s, k);
    ps->p++;
    return new_set_node(ps, &s);
  case '\\':
    if (ps->end - ps->p < 2 || !rt_regex_special(ps->p[1])) return -1;
    set_add(&s, (unsigned char)ps->p[1]);
    ps->p += 2;
    return new_set_node(ps, &s);
  case '*': case '+': case '?': case '{': case '}': case ']': case '|': case ')': return -1;
  default:
    set_add(&s, c);
    ps->p++;
    return new_set_node(ps, &s);
  }
}

/* A bound `{m}`, `{m,}` or `{m,n}` at ps->p ('{'); 0 when it is not one of those. */
static int parse_bound(parser *ps, int *min, int *max) {
  const char *p = ps->p + 1, *end = ps->end;
  int m = 0, n, digits = 0;
  while (p < end && *p >= '0' && *p <= '9' && m <= MAX_REPEAT) m = m * 10 + (*p++ - '0'), digits++;
  if (!digits) return 0;
  n = m;
  if (p < end && *p == ',') {
    p++, n = -1;
    if (p < end && *p >= '0' && *p <= '9') {
      n = 0;
      while (p < end && *p >= '0' && *p <= '9' && n <= MAX_REPEAT) n = n * 10 + (*p++ - '0');
    }
  }
  if (p >= end || *p != '}' || m > MAX_REPEAT || n > MAX_REPEAT || (n >= 0 && n < m)) return 0;
  ps->p = p + 1, *min = m, *max = n;
  return 1;
}

/* Whether tree node a holds an anchor. */
static int has_anchor(const parser *ps, int a) {
  const ast *t = &ps->nodes[a];
  if (t->kind == A_BOL || t->kind == A_EOL) return 1;
  return (t->a >= 0 && has_anchor(ps, t->a)) || (t->b >= 0 && has_anchor(ps, t->b));
}

static int parse_repeat(parser *ps) {
  int atom = parse_atom(ps);
  if (atom < 0) return -1;
  while (ps->p < ps->end && strchr("*+?{", *ps->p)) {
    int min = 0, max = -1;
    /* `^*` is glibc's own reading, and it loses a repeated group's anchors: with one match
       asked for, (^a){2} matches "aa" */
    if (has_anchor(ps, atom)) return -1;
    if (*ps->p == '{') {
      if (!parse_bound(ps, &min, &max)) return -1;
    } else {
      min = *ps->p == '+', max = *ps->p == '?' ? 1 : -1;
      ps->p++;
    }
    int rep = new_node(ps, A_REP, atom, -1);
    if (rep < 0) return -1;
    ps->nodes[rep].min = min, ps->nodes[rep].max = max;
    atom = rep;
  }
  return atom;
}

/* A sequence, up to `|`, `)` or the end; an empty one is not taken. */
static int parse_concat(parser *ps) {
  int seq = -1;
  while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')') {
    int next = parse_repeat(ps);
    if (next < 0) return -1;
    seq = seq < 0 ? next : new_node(ps, A_CAT, seq, next);
    if (seq < 0) return -1;
  }
  return seq;
}

static int parse_alt(parser *ps) {
  int alt = parse_concat(ps);
  while (alt >= 0 && ps->p < ps->end && *ps->p == '|') {
    ps->p++;
    int next = parse_concat(ps);
    alt = next < 0 ? -1 : new_node(ps, A_ALT, alt, next);
  }
  return alt;
}

/* ---- the NFA --------------------------------------------------------------------------------- */

enum nfa_kind { N_SET, N_SPLIT, N_BOL, N_EOL, N_MATCH };

typedef struct nfa_node {
  int kind;       /* enum nfa_kind */
  int set;        /* N_SET: the bytes it takes */
  int out, out1;  /* what follows (N_SPLIT: either) */
} nfa_node;

typedef struct nfa {
  nfa_node *nodes;
  int n, cap;
} nfa;

static int nfa_add(nfa *m, int kind, int set, int out, int out1) {
  if (m->n == MAX_NODES) return -1;
  if (m->n == m->cap) {
    m->cap = m->cap ? 2 * m->cap : 64;
    m->nodes = rt_xrealloc(m->nodes, sizeof(nfa_node) * (size_t)m->cap);
  }
  m->nodes[m->n] = (nfa_node){kind, set, out, out1};
  return m->n++;
}

/* The NFA of tree node a followed by NFA node next; returns its first node, or -1. */
static int build(nfa *m, const parser *ps, int a, int next) {
  const ast *t = &ps->nodes[a];
  switch (t->kind) {
  case A_SET: return nfa_add(m, N_SET, t->set, next, -1);
  case A_BOL: return nfa_add(m, N_BOL, -1, next, -1);
  case A_EOL: return nfa_add(m, N_EOL, -1, next, -1);
  case A_CAT: {
    int second = build(m, ps, t->b, next);
    return second < 0 ? -1 : build(m, ps, t->a, second);
  }
  case A_ALT: {
    int x = build(m, ps, t->a, next), y = x < 0 ? -1 : build(m, ps, t->b, next);
    return y < 0 ? -1 : nfa_add(m, N_SPLIT, -1, x, y);
  }
  default: { /* A_REP: the optional copies (or the loop) after the required ones */
    int rest = next;
    if (t->max < 0) {
      int loop = nfa_add(m, N_SPLIT, -1, -1, next);
      int body = loop < 0 ? -1 : build(m, ps, t->a, loop);
      if (body < 0) return -1;
      m->nodes[loop].out = body;
      rest = loop;
    } else {
      for (int k = t->min; k < t->max; k++) { /* x{0,2}: (x(x)?)? */
        int body = build(m, ps, t->a, rest);
        if (body < 0 || (rest = nfa_add(m, N_SPLIT, -1, body, next)) < 0) return -1;
      }
    }
    for (int k = 0; k < t->min; k++)
      if ((rest = build(m, ps, t->a, rest)) < 0) return -1;
    return rest;
  }
  }
}

/* ---- the DFA: sets of NFA nodes ----------------------------------------------------------------
 * A DFA state is the sorted set of NFA nodes that take a byte (N_SET), end a match (N_MATCH) or
 * wait for the end of the line (N_EOL: `$` holds only there). */

struct rt_dfa {
  int32_t nstates, ncls, start;
  int empty_match;        /* the regex matches the empty line */
  unsigned char cls[256]; /* byte -> class */
  unsigned char *flags;   /* per state: F_ACCEPT, F_END (a match if the line ends here), F_DEAD */
  int32_t *next;          /* [state * ncls + class] */
};

typedef struct builder {
  const nfa *m;
  int *mark, gen, *stack;          /* closure's visited marks and work stack */
  int *list, nlist;                /* the set being made */
  int **state_sets, *state_len;    /* each state's set */
  int nstates;
  int *table, table_mask;          /* hash of sets -> state + 1 */
  long work;                       /* nodes visited so far (MAX_WORK) */
} builder;

/* Adds the closure of node i (through splits, `^` if at_start, `$` if at_end) to b->list. */
static void closure(builder *b, int i, int at_start, int at_end) {
  int top = 0;
  b->stack[top++] = i;
  while (top) {
    int k = b->stack[--top];
    b->work++;
    if (k < 0 || b->mark[k] == b->gen) continue;
    b->mark[k] = b->gen;
    const nfa_node *n = &b->m->nodes[k];
    switch (n->kind) {
    case N_SPLIT: b->stack[top++] = n->out1, b->stack[top++] = n->out; break;
    case N_BOL: if (at_start) b->stack[top++] = n->out; break;
    case N_EOL:
      if (at_end) b->stack[top++] = n->out;
      else b->list[b->nlist++] = k;
      break;
    default: b->list[b->nlist++] = k;
    }
  }
}

static int cmp_int(const void *x, const void *y) { return *(const int *)x - *(const int *)y; }

static uint32_t hash_list(const int *l, int n) {
  uint32_t h = 2166136261u;
  for (int i = 0; i < n; i++) h = (h ^ (uint32_t)l[i]) * 16777619u;
  return h;
}

/* The state for b->list (sorted here), made if new; -1 past MAX_STATES. */
static int intern(builder *b) {
  qsort(b->list, (size_t)b->nlist, sizeof(int), cmp_int);
  uint32_t h = hash_list(b->list, b->nlist);
  for (uint32_t s = h & (uint32_t)b->table_mask;; s = (s + 1) & (uint32_t)b->table_mask) {
    int st = b->table[s] - 1;
    if (st < 0) {
      if (b->nstates == MAX_STATES) return -1;
      st = b->nstates++;
      b->state_sets[st] = rt_xmalloc(sizeof(int) * (size_t)(b->nlist ? b->nlist : 1));
      memcpy(b->state_sets[st], b->list, sizeof(int) * (size_t)b->nlist);
      b->state_len[st] = b->nlist;
      b->table[s] = st + 1;
      return st;
    }
    if (b->state_len[st] == b->nlist &&
        !memcmp(b->state_sets[st], b->list, sizeof(int) * (size_t)b->nlist))
      return st;
  }
}

/* Whether the closure of start (at_start, at_end) holds the match node. */
static int closure_matches(builder *b, int start, int at_start, int at_end) {
  b->gen++, b->nlist = 0;
  closure(b, start, at_start, at_end);
  for (int i = 0; i < b->nlist; i++)
    if (b->m->nodes[b->list[i]].kind == N_MATCH) return 1;
  return 0;
}

/* Byte classes: bytes no N_SET node tells apart share one. */
static int32_t byte_classes(const nfa *m, const byteset *sets, unsigned char cls[256]) {
  memset(cls, 0, 256);
  int32_t n = 1;
  for (int i = 0; i < m->n; i++) {
    if (m->nodes[i].kind != N_SET) continue;
    const byteset *s = &sets[m->nodes[i].set];
    int split[256][2];
    memset(split, -1, sizeof split);
    for (unsigned c = 0; c < 256; c++) {
      int in = set_has(s, c);
      if (split[cls[c]][in] < 0) split[cls[c]][in] = split[cls[c]][!in] < 0 ? cls[c] : n++;
      cls[c] = (unsigned char)split[cls[c]][in];
    }
  }
  return n;
}

static void builder_free(builder *b) {
  for (int i = 0; i < b->nstates; i++) free(b->state_sets[i]);
  free(b->state_sets), free(b->state_len), free(b->table);
  free(b->mark), free(b->stack), free(b->list);
}

/* Whether state st holds the match node, or nothing: a match ends there, or none can. */
static int final_state(const builder *b, int st) {
  for (int i = 0; i < b->state_len[st]; i++)
    if (b->m->nodes[b->state_sets[st][i]].kind == N_MATCH) return 1;
  return b->state_len[st] == 0;
}

/* The DFA of NFA m from node start, or NULL when it would need more than MAX_STATES states or
 * MAX_WORK steps. */
static rt_dfa *make_dfa(const nfa *m, const byteset *sets, int start) {
  builder b = {.m = m};
  b.mark = calloc((size_t)m->n, sizeof(int));
  b.stack = rt_xmalloc(sizeof(int) * (size_t)(2 * m->n + 2));
  b.list = rt_xmalloc(sizeof(int) * (size_t)(2 * m->n + 2));
  b.state_sets = rt_xmalloc(sizeof(int *) * MAX_STATES);
  b.state_len = rt_xmalloc(sizeof(int) * MAX_STATES);
  b.table_mask = 4 * MAX_STATES - 1;
  b.table = calloc((size_t)b.table_mask + 1, sizeof(int));
  if (!b.mark || !b.table) rt_oom();
  rt_dfa *d = calloc(1, sizeof *d);
  if (!d) rt_oom();
  d->ncls = byte_classes(m, sets, d->cls);
  unsigned char rep[256]; /* a byte of each class */
  for (int c = 255; c >= 0; c--) rep[d->cls[c]] = (unsigned char)c;
  d->empty_match = closure_matches(&b, start, 1, 1);
  /* the start set at a later position: joined in after every byte (a search anywhere) */
  b.gen++, b.nlist = 0;
  closure(&b, start, 0, 0);
  int nrestart = b.nlist, *restart = rt_xmalloc(sizeof(int) * (size_t)(nrestart ? nrestart : 1));
  memcpy(restart, b.list, sizeof(int) * (size_t)nrestart);
  b.gen++, b.nlist = 0;
  closure(&b, start, 1, 0);
  d->start = intern(&b);
  size_t cap = 0;
  int ok = 1;
  for (int st = 0; ok && st < b.nstates; st++) {
    if ((size_t)(st + 1) * (size_t)d->ncls > cap) {
      cap = (size_t)(st + 1) * (size_t)d->ncls * 2;
      d->next = rt_xrealloc(d->next, sizeof(int32_t) * cap);
    }
    for (int32_t c = 0; c < d->ncls && ok; c++) {
      if (final_state(&b, st)) { /* matching stops there: no state beyond it is needed */
        d->next[(size_t)st * (size_t)d->ncls + (size_t)c] = st;
        continue;
      }
      b.gen++, b.nlist = 0;
      for (int i = 0; i < b.state_len[st]; i++) {
        const nfa_node *n = &m->nodes[b.state_sets[st][i]];
        if (n->kind == N_SET && set_has(&sets[n->set], rep[c])) closure(&b, n->out, 0, 0);
      }
      for (int i = 0; i < nrestart; i++) closure(&b, restart[i], 0, 0);
      int to = b.work > MAX_WORK ? -1 : intern(&b);
      if (to < 0) ok = 0;
      else d->next[(size_t)st * (size_t)d->ncls + (size_t)c] = to;
    }
  }
  free(restart);
  if (ok) {
    d->nstates = b.nstates;
    d->flags = calloc((size_t)b.nstates, 1);
    if (!d->flags) rt_oom();
    for (int st = 0; st < b.nstates; st++) {
      unsigned char f = b.state_len[st] == 0 ? F_DEAD : 0;
      for (int i = 0; i < b.state_len[st]; i++) {
        const nfa_node *n = &m->nodes[b.state_sets[st][i]];
        if (n->kind == N_MATCH) f |= F_ACCEPT;
        if (n->kind == N_EOL && closure_matches(&b, n->out, 0, 1)) f |= F_END;
      }
      d->flags[st] = f;
    }
  }
  builder_free(&b);
  if (!ok) {
    rt_dfa_free(d);
    return NULL;
  }
  return d;
}

/* glibc's regexec, though not told REG_NEWLINE, lets `^` match after a \n the match took
 * (`.^b` matches "\nb") and `$` before one it then takes (`a$.?` matches "a\nb"), but not
 * always (`b$\n` does not match "b\n").  What POSIX says is clear, and the DFA does that; so
 * that matches() answers as regexec did, a pattern is left to regexec when a byte set holding
 * \n can come right before a `^` or right after a `$` (through splits and anchors). */
static int newline_meets_anchor(const nfa *m, const byteset *sets) {
  int *seen = calloc((size_t)m->n, sizeof(int));
  int *stack = rt_xmalloc(sizeof(int) * (size_t)(2 * m->n + 2));
  if (!seen) rt_oom();
  int found = 0, gen = 0;
  for (int i = 0; i < m->n && !found; i++) {
    const nfa_node *from = &m->nodes[i];
    int after_newline = from->kind == N_SET && set_has(&sets[from->set], '\n');
    if (!after_newline && from->kind != N_EOL) continue;
    int top = 0;
    stack[top++] = from->out;
    gen++;
    while (top && !found) {
      int k = stack[--top];
      if (k < 0 || seen[k] == gen) continue;
      seen[k] = gen;
      const nfa_node *n = &m->nodes[k];
      if (n->kind == N_SET) found = !after_newline && set_has(&sets[n->set], '\n');
      else if (n->kind == N_BOL && after_newline) found = 1;
      else if (n->kind != N_MATCH) stack[top++] = n->out, stack[top++] = n->out1;
    }
  }
  free(seen);
  free(stack);
  return found;
}

rt_dfa *rt_dfa_compile(const char *pattern, int64_t len) {
  parser ps = {.p = pattern, .end = pattern + len};
  int root = len > 0 ? parse_alt(&ps) : -1;
  rt_dfa *d = NULL;
  if (root >= 0 && ps.p == ps.end) {
    nfa m = {0};
    int match = nfa_add(&m, N_MATCH, -1, -1, -1);
    int start = match < 0 ? -1 : build(&m, &ps, root, match);
    if (start >= 0 && !newline_meets_anchor(&m, ps.sets)) d = make_dfa(&m, ps.sets, start);
    free(m.nodes);
  }
  free(ps.nodes);
  free(ps.sets);
  return d;
}

void rt_dfa_free(rt_dfa *d) {
  if (!d) return;
  free(d->flags);
  free(d->next);
  free(d);
}

int rt_dfa_match(const rt_dfa *d, const char *s, int64_t n) {
  if (n <= 0) return d->empty_match;
  const unsigned char *p = (const unsigned char *)s, *end = p + n;
  int32_t st = d->start;
  unsigned f = d->flags[st];
  if (f & F_ACCEPT) return 1;
  while (p < end) {
    st = d->next[(size_t)st * (size_t)d->ncls + d->cls[*p++]];
    f = d->flags[st];
    if (f & (F_ACCEPT | F_DEAD)) return f & F_ACCEPT;
  }
  return (f & F_END) != 0;
}
