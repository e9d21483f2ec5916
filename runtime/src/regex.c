/* regex.c — matches() and capture(): POSIX extended regexes (glibc's regcomp/regexec) on views of
 * the line (REG_STARTEND: no copy), and what spares regexec its work.
 *
 * A literal every match must contain ("ERROR" in `ERROR: disk`, "code=" in `code=([0-9]+)`) is
 * found when the regex is compiled; a line without it cannot match and is answered by the block
 * search of search.c, without regexec.  regexec costs about a microsecond a line; the search a
 * few dozen nanoseconds, so a filter that keeps few lines runs many times faster.
 *
 * glibc's regexec holds a lock of the compiled regex for the whole match, so workers matching one
 * regex would take turns: each worker compiles its own copy the first time it needs it and keeps
 * it with its other per-thread state.  A regex that is only a literal (maybe anchored), or
 * whose match is forced (regex_simple.c: `req=([a-z0-9]+)`, `^[0-9T:.-]+ +([A-Z]+)`), is not
 * given to regexec at all, and matches() of most others is a DFA that the workers share
 * (regex_dfa.c).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

typedef struct rt_regex {
  char *pattern;      /* NUL-terminated, for the workers' copies */
  regex_t compiled;   /* checked at start; the copy of the thread that made it */
  const char *lit;    /* what every match contains (into pattern_lit), or NULL */
  int64_t lit_len;
  int plain;          /* the pattern is lit alone (rt_sre_literal), anchored as `anchors` says */
  int anchors;
  rt_sre *simple;     /* the pattern matched without regexec (regex_simple.c), or NULL */
  rt_dfa *dfa;        /* matches() without regexec (regex_dfa.c), or NULL */
  int32_t nalts;      /* the pattern is alternatives of plain literals (`ERROR|FATAL`), or 0 */
  struct rt_regex_alt {
    char *lit;
    int64_t len;
    int anchors;
  } *alts;
  char pattern_lit[]; /* room for the literal */
} rt_regex;

/* ---- the literal every match contains ---------------------------------------------------------
 * Only what is certain counts: the pattern's top level (without a `|` there, where the
 * alternatives would need a literal each), read as a sequence of atoms.  An ordinary
 * character or an escaped special one is a literal atom; `.`, a bracket expression, a group, an
 * anchor or any other escape (a back-reference, GNU's \w) is not.  A run of literal atoms that
 * must each occur once, one after the other, is a required string; an atom that may be absent
 * (`*`, `?`, `{0,...}`) ends the run before it, one that may repeat (`+`, `{2,}`) ends it after
 * itself.  The longest run wins.  Anything not understood gives no literal at all. */

/* Skips a bracket expression at p ('['): returns just past its ']', or NULL. */
static const char *skip_bracket(const char *p, const char *end) {
  p++;
  if (p < end && *p == '^') p++;
  if (p < end && *p == ']') p++; /* a leading ']' is a member */
  while (p < end && *p != ']') {
    if (*p == '[' && p + 1 < end && (p[1] == ':' || p[1] == '.' || p[1] == '=')) {
      char kind = p[1];
      p += 2;
      while (p + 1 < end && !(p[0] == kind && p[1] == ']')) p++;
      if (p + 1 >= end) return NULL;
      p += 2;
    } else {
      p++;
    }
  }
  return p < end ? p + 1 : NULL;
}

/* Skips a group at p ('('): returns just past its ')', or NULL. */
static const char *skip_group(const char *p, const char *end) {
  int depth = 0;
  while (p < end) {
    if (*p == '\\') {
      p = end - p > 2 ? p + 2 : end;
    } else if (*p == '[') {
      if (!(p = skip_bracket(p, end))) return NULL;
    } else {
      if (*p == '(') depth++;
      if (*p == ')' && --depth == 0) return p + 1;
      p++;
    }
  }
  return NULL;
}

/* A bound `{n}`, `{n,}`, `{n,m}` or `{,m}` at p ('{'): sets *min_zero and returns just past it,
 * or NULL. */
static const char *skip_bound(const char *p, const char *end, int *min_zero) {
  const char *q = p + 1;
  int64_t min = 0;
  int digits = 0;
  while (q < end && *q >= '0' && *q <= '9') min = min * 10 + (*q++ - '0'), digits++;
  if (min > 1000000) return NULL;
  if (q < end && *q == ',') {
    q++;
    while (q < end && *q >= '0' && *q <= '9') q++, digits++;
  }
  if (!digits || q >= end || *q != '}') return NULL;
  *min_zero = min == 0;
  return q + 1;
}

/* Whether the pattern has `|` at its top level: not escaped, in a bracket expression or in a
 * group (whose alternatives make it one atom).  A pattern not understood counts as having one. */
static int has_alternation(const char *p, const char *end) {
  while (p < end) {
    if (*p == '\\') p = end - p > 2 ? p + 2 : end;
    else if (*p == '[' || *p == '(') {
      if (!(p = *p == '[' ? skip_bracket(p, end) : skip_group(p, end))) return 1;
    } else if (*p++ == '|') {
      return 1;
    }
  }
  return 0;
}

int64_t rt_regex_required_literal(const char *pattern, int64_t len, char *out) {
  const char *p = pattern, *end = pattern + len;
  if (has_alternation(p, end)) return 0;
  int64_t best = 0, run = 0;
  char *cur = rt_xmalloc((size_t)len + 1);
  while (p < end) {
    int literal = 0;
    char c = 0;
    if (*p == '\\') {
      if (p + 1 >= end) {
        best = 0;
        break;
      }
      literal = rt_regex_special(p[1]), c = p[1];
      p += 2;
    } else if (*p == '[' || *p == '(') {
      if (!(p = *p == '[' ? skip_bracket(p, end) : skip_group(p, end))) {
        best = 0;
        break;
      }
    } else if (*p == '.' || *p == '^' || *p == '$') {
      p++;
    } else if (*p == '*' || *p == '+' || *p == '?' || *p == '{' || *p == ')') {
      best = 0; /* a quantifier with nothing to repeat, or a stray ')': not understood */
      break;
    } else {
      /* a byte of a UTF-8 character is not an atom of its own in a UTF-8 locale (a quantifier
         after it repeats the whole character); the program runs in the C locale, but a literal
         of ASCII bytes is safe in any */
      literal = (unsigned char)*p < 0x80, c = *p++;
    }
    int optional = 0, repeats = 0;
    while (p < end && (*p == '*' || *p == '+' || *p == '?' || *p == '{')) {
      int min_zero = *p != '+';
      if (*p != '{') p++;
      else if (!(p = skip_bound(p, end, &min_zero))) break;
      optional |= min_zero, repeats = 1;
    }
    if (!p) { /* a bound not understood */
      best = 0;
      break;
    }
    if (literal && !optional) cur[run++] = c;
    if (run > best) best = run, memcpy(out, cur, (size_t)run);
    if (!literal || optional || repeats) run = 0;
  }
  free(cur);
  return best;
}

/* `ERROR|FATAL`, `^GET |^POST `: a pattern of two or more alternatives, each a plain literal as
 * rt_regex_plain reads it (no group or bracket anywhere, where a `|` could mean something else).
 * matches() is then whether any of them is there.  Returns how many, into *alts, or 0. */
static int32_t plain_alternatives(const char *pattern, int64_t len, struct rt_regex_alt **alts) {
  *alts = NULL;
  if (memchr(pattern, '(', (size_t)len) || memchr(pattern, '[', (size_t)len)) return 0;
  int32_t n = 0;
  struct rt_regex_alt *a = NULL;
  for (int64_t from = 0, i = 0; i <= len; i++) {
    if (i < len && pattern[i] == '\\') {
      i++;
      continue;
    }
    if (i < len && pattern[i] != '|') continue;
    a = rt_xrealloc(a, sizeof *a * (size_t)(n + 1));
    a[n].lit = rt_xmalloc((size_t)(i - from) + 1);
    a[n].len = rt_regex_plain(pattern + from, i - from, a[n].lit, &a[n].anchors);
    n++;
    if (a[n - 1].len <= 0) break; /* not plain: the regex engine decides */
    from = i + 1;
  }
  if (n >= 2 && a[n - 1].len > 0) {
    *alts = a;
    return n;
  }
  for (int32_t i = 0; i < n; i++) free(a[i].lit);
  free(a);
  return 0;
}

/* ---- compiling and matching ------------------------------------------------------------------ */

void *dsc_rt_regex_new(dsc_rt_ctx *ctx, const char *pattern, int64_t len) {
  len = (int64_t)strnlen(pattern, (size_t)len); /* what regcomp sees of it */
  rt_regex *r = rt_xmalloc(sizeof *r + (size_t)len + 1);
  r->pattern = rt_xstrndup(pattern, (size_t)len);
  int rc = regcomp(&r->compiled, r->pattern, REG_EXTENDED);
  if (rc) {
    char msg[256];
    regerror(rc, &r->compiled, msg, sizeof msg);
    fprintf(stderr, "%s: fatal: bad regex '%s': %s\n", rt_progname(ctx), r->pattern, msg);
    exit(1);
  }
  r->nalts = plain_alternatives(pattern, len, &r->alts);
  r->simple = rt_sre_compile(pattern, len);
  int64_t k = r->simple ? rt_sre_literal(r->simple, r->pattern_lit, &r->anchors) : -1;
  r->plain = k > 0;
  if (r->plain) { /* a search does it all */
    rt_sre_free(r->simple);
    r->simple = NULL, r->lit_len = k;
  } else {
    r->lit_len = rt_regex_required_literal(pattern, len, r->pattern_lit);
  }
  r->lit = r->lit_len ? r->pattern_lit : NULL;
  r->dfa = r->plain || r->nalts ? NULL : rt_dfa_compile(pattern, len);
  return r; /* lives as long as the program */
}

void dsc_rt_regex_literal(const void *re, dsc_str *out) {
  const rt_regex *r = re;
  out->ptr = r->lit, out->len = r->lit ? r->lit_len : 0;
}

void rt_regex_free(void *re) {
  rt_regex *r = re;
  for (int32_t i = 0; i < r->nalts; i++) free(r->alts[i].lit);
  free(r->alts);
  rt_sre_free(r->simple);
  rt_dfa_free(r->dfa);
  regfree(&r->compiled);
  free(r->pattern);
  free(r);
}

/* The worker's own compiled copy of r. */
static regex_t *worker_copy(dsc_rt_worker *w, rt_regex *r) {
  for (int32_t i = 0; i < w->nregex; i++)
    if (w->regexes[i].of == r) return w->regexes[i].compiled;
  if (w->nregex % 8 == 0)
    w->regexes = realloc(w->regexes, sizeof *w->regexes * (size_t)(w->nregex + 8));
  if (!w->regexes) rt_oom();
  regex_t *copy = rt_xmalloc(sizeof *copy);
  if (regcomp(copy, r->pattern, REG_EXTENDED)) rt_oom(); /* it compiled at start */
  w->regexes[w->nregex++] = (rt_regex_copy){r, copy};
  return copy;
}

void rt_worker_free_regexes(dsc_rt_worker *w) {
  for (int32_t i = 0; i < w->nregex; i++) {
    regfree(w->regexes[i].compiled);
    free(w->regexes[i].compiled);
  }
  free(w->regexes);
  w->regexes = NULL, w->nregex = 0;
}

/* Whether s may match: it has the literal every match contains. */
static int may_match(const rt_regex *r, const char *s, int64_t n) {
  return !r->lit || dsc_rt_str_contains(s, n, r->lit, r->lit_len);
}

/* matches() of a plain regex, lit[0..m) anchored as rt_sre_literal says, without the regex
 * engine. */
static int32_t plain_match(const char *lit, int64_t m, int anchors, const char *s, int64_t n) {
  switch (anchors) {
  case 0: return dsc_rt_str_contains(s, n, lit, m);
  case 1: return n >= m && !memcmp(s, lit, (size_t)m);
  case 2: return n >= m && !memcmp(s + n - m, lit, (size_t)m);
  default: return n == m && !memcmp(s, lit, (size_t)m);
  }
}

int32_t dsc_rt_regex_match(void *re, dsc_rt_worker *w, const char *s, int64_t n) {
  rt_regex *r = re;
  if (r->plain) return plain_match(r->lit, r->lit_len, r->anchors, s, n);
  for (int32_t i = 0; i < r->nalts; i++)
    if (plain_match(r->alts[i].lit, r->alts[i].len, r->alts[i].anchors, s, n)) return 1;
  if (r->nalts) return 0;
  if (!may_match(r, s, n)) return 0;
  if (r->dfa) return rt_dfa_match(r->dfa, s, n);
  if (r->simple) {
    int64_t bounds[4];
    return rt_sre_match(r->simple, s, n, bounds);
  }
  regmatch_t m = {.rm_so = 0, .rm_eo = (regoff_t)n};
  return regexec(worker_copy(w, r), n ? s : "", 1, &m, REG_STARTEND) == 0;
}

int32_t dsc_rt_regex_capture(void *re, dsc_rt_worker *w, const char *s, int64_t n, int64_t group,
                             dsc_str *out) {
  rt_regex *r = re;
  if (group < 0 || (size_t)group > r->compiled.re_nsub || group >= 32) return 0;
  if (r->simple) {
    int64_t b[4];
    if (!rt_sre_match(r->simple, s, n, b) || b[2 * group] < 0) return 0;
    out->ptr = s + b[2 * group], out->len = b[2 * group + 1] - b[2 * group];
    return 1;
  }
  if (!may_match(r, s, n)) return 0;
  if (r->dfa && !rt_dfa_match(r->dfa, s, n)) return 0; /* no match: regexec only for groups */
  regmatch_t m[32];
  m[0].rm_so = 0, m[0].rm_eo = (regoff_t)n;
  if (regexec(worker_copy(w, r), n ? s : "", (size_t)group + 1, m, REG_STARTEND)) return 0;
  if (m[group].rm_so < 0) return 0;
  out->ptr = s + m[group].rm_so;
  out->len = m[group].rm_eo - m[group].rm_so;
  return 1;
}
