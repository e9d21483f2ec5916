/* regex_simple.c — matching, without glibc's regex engine, the regexes whose match is forced.
 *
 * glibc's regexec costs one to several microseconds a line as soon as a group is asked for
 * (log_levels' `^[0-9T:.-]+ +([A-Z]+)`: 8 us a line, twice).  Most regexes of a log pipeline
 * are a sequence of characters and bracket expressions, each maybe repeated, maybe with one
 * group: `req=([a-z0-9]+)`, `^[0-9T:.-]+ +([A-Z]+)`, `code=([0-9]{3}) `.  When every repeated
 * item's characters cannot begin what follows it, a match from a given start can only take
 * each such character into the repetition (there is no choice to make), so the match from a
 * start is unique and one greedy pass finds it: the first start that matches is POSIX's
 * leftmost-longest match, and its group is the only one there is.  Those regexes are matched
 * here (`.` too, where it is forced: `msg=(.*)` at the end); any other (alternation, nested or
 * repeated groups, back-references, classes like [:alpha:], anything not understood) is left to
 * regexec.
 *
 * Characters are bytes, as regexec sees them in the C locale the program runs in; a bracket
 * expression holds printable ASCII characters and ranges of them, maybe negated.
 */
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"

typedef struct sre_item {
  unsigned char in[256]; /* the bytes it matches */
  int32_t min, max;      /* how many times; max < 0: no bound */
} sre_item;

struct rt_sre {
  int at_start, at_end;           /* anchored by ^ / $ */
  int32_t nitems;
  int32_t group_from, group_to;   /* items [from, to) are group 1; from < 0: no group */
  char lead[64];                  /* unanchored: the literal its first items spell */
  int64_t lead_len;
  sre_item items[];
};

int rt_regex_special(char c) { return c && strchr(".[]()*+?{}|^$\\", c) != NULL; }
static int is_quantifier(char c) { return c == '*' || c == '+' || c == '?' || c == '{'; }

/* Parses the bracket expression at p ('[') into in[]; returns just past it, or NULL. */
static const char *bracket(const char *p, const char *end, unsigned char in[256]) {
  int negate = 0;
  memset(in, 0, 256);
  if (++p < end && *p == '^') negate = 1, p++;
  if (p < end && *p == ']') return NULL; /* a leading ']' member: left to regexec */
  const char *first = p;
  while (p < end && *p != ']') {
    unsigned char lo = (unsigned char)*p, hi = lo;
    if (lo < 0x20 || lo > 0x7E || lo == '[' || lo == '\\') return NULL;
    /* a '-' stands for itself only first or last ([a-c-e] is left to regexec) */
    if (lo == '-' && p != first && p + 1 < end && p[1] != ']') return NULL;
    if (p + 2 < end && p[1] == '-' && p[2] != ']') {
      hi = (unsigned char)p[2];
      if (hi < lo || hi > 0x7E || hi == '[' || hi == '\\') return NULL;
      p += 3;
    } else {
      p++;
    }
    for (unsigned c = lo; c <= hi; c++) in[c] = 1;
  }
  if (p >= end) return NULL;
  if (negate)
    for (int c = 0; c < 256; c++) in[c] = !in[c];
  return p + 1;
}

/* Parses a quantifier at p, if any, into *min / *max; returns just past it, or NULL when it is
 * malformed. */
static const char *quantifier(const char *p, const char *end, int32_t *min, int32_t *max) {
  *min = *max = 1;
  if (p >= end) return p;
  switch (*p) {
  case '*': *min = 0, *max = -1; return p + 1;
  case '+': *min = 1, *max = -1; return p + 1;
  case '?': *min = 0, *max = 1; return p + 1;
  case '{': break;
  default: return p;
  }
  const char *q = p + 1;
  int32_t lo = 0, hi;
  if (q >= end || *q < '0' || *q > '9') return NULL;
  while (q < end && *q >= '0' && *q <= '9' && lo <= 1000) lo = lo * 10 + (*q++ - '0');
  hi = lo;
  if (q < end && *q == ',') {
    q++;
    hi = -1;
    if (q < end && *q >= '0' && *q <= '9')
      for (hi = 0; q < end && *q >= '0' && *q <= '9' && hi <= 1000;) hi = hi * 10 + (*q++ - '0');
  }
  if (q >= end || *q != '}' || lo > 1000 || hi > 1000 || (hi >= 0 && hi < lo)) return NULL;
  *min = lo, *max = hi;
  return q + 1;
}

/* Whether a repeated item can take a byte that could also begin what follows it (the items up
 * to the first that must occur): then the match would have a choice to make. */
static int has_choice(const rt_sre *re) {
  for (int32_t i = 0; i < re->nitems; i++) {
    const sre_item *it = &re->items[i];
    if (it->min == it->max) continue;
    for (int32_t j = i + 1; j < re->nitems; j++) {
      for (int c = 0; c < 256; c++)
        if (it->in[c] && re->items[j].in[c]) return 1;
      if (re->items[j].min > 0) break;
    }
  }
  return 0;
}

rt_sre *rt_sre_compile(const char *pattern, int64_t len) {
  const char *p = pattern, *end = pattern + len;
  rt_sre *re = rt_xmalloc(sizeof *re + sizeof(sre_item) * (size_t)(len > 0 ? len : 1));
  memset(re, 0, sizeof *re);
  re->group_from = re->group_to = -1;
  if (p < end && *p == '^') re->at_start = 1, p++;
  while (p < end) {
    if (*p == '$' && p + 1 == end) {
      re->at_end = 1;
      break;
    }
    if (*p == '(' && re->group_from < 0) {
      re->group_from = re->nitems, p++;
      continue;
    }
    if (*p == ')' && re->group_from >= 0 && re->group_to < 0 && re->nitems > re->group_from) {
      re->group_to = re->nitems, p++;
      if (p < end && is_quantifier(*p)) goto not_simple; /* a repeated group */
      continue;
    }
    sre_item *it = &re->items[re->nitems];
    memset(it->in, 0, 256);
    if (*p == '\\' && p + 1 < end && rt_regex_special(p[1])) {
      it->in[(unsigned char)p[1]] = 1, p += 2;
    } else if (*p == '[') {
      if (!(p = bracket(p, end, it->in))) goto not_simple;
    } else if (*p == '.') { /* any byte but NUL (glibc's POSIX syntax: RE_DOT_NOT_NULL) */
      memset(it->in, 1, 256), it->in[0] = 0, p++;
    } else if (!rt_regex_special(*p) && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7F) {
      it->in[(unsigned char)*p++] = 1;
    } else {
      goto not_simple;
    }
    if (!(p = quantifier(p, end, &it->min, &it->max)) || (p < end && is_quantifier(*p)))
      goto not_simple;
    re->nitems++;
  }
  if (!re->nitems || (re->group_from >= 0 && re->group_to < 0) || has_choice(re))
    goto not_simple;
  if (!re->at_start) { /* the literal every match begins with, to find where to try */
    for (int32_t i = 0; i < re->nitems && re->lead_len < (int64_t)sizeof re->lead; i++) {
      const sre_item *it = &re->items[i];
      int members = 0, c = 0;
      for (int b = 0; b < 256; b++)
        if (it->in[b]) members++, c = b;
      if (members != 1 || it->min != 1 || it->max != 1) break;
      re->lead[re->lead_len++] = (char)c;
    }
    if (!re->lead_len) goto not_simple;
  }
  return re;
not_simple:
  free(re);
  return NULL;
}

void rt_sre_free(rt_sre *re) { free(re); }

int64_t rt_sre_literal(const rt_sre *re, char *out, int *anchors) {
  if (re->group_from >= 0) return -1;
  for (int32_t i = 0; i < re->nitems; i++) {
    const sre_item *it = &re->items[i];
    int members = 0;
    for (int b = 0; b < 256; b++)
      if (it->in[b]) members++, out[i] = (char)b;
    if (members != 1 || it->min != 1 || it->max != 1) return -1;
  }
  *anchors = re->at_start | re->at_end << 1;
  return re->nitems;
}

int64_t rt_regex_plain(const char *pattern, int64_t len, char *out, int *anchors) {
  rt_sre *re = rt_sre_compile(pattern, len);
  int64_t k = re ? rt_sre_literal(re, out, anchors) : -1;
  rt_sre_free(re);
  return k;
}

/* The match from st, which is unique (see above); its end, or -1. */
static int64_t match_from(const rt_sre *re, const char *s, int64_t n, int64_t st, int64_t m[4]) {
  int64_t pos = st;
  for (int32_t i = 0; i < re->nitems; i++) {
    const sre_item *it = &re->items[i];
    if (i == re->group_from) m[2] = pos;
    int64_t count = 0;
    while ((it->max < 0 || count < it->max) && pos < n && it->in[(unsigned char)s[pos]])
      pos++, count++;
    if (count < it->min) return -1;
    if (i + 1 == re->group_to) m[3] = pos;
  }
  if (re->at_end && pos != n) return -1;
  m[0] = st, m[1] = pos;
  return pos;
}

int rt_sre_match(const rt_sre *re, const char *s, int64_t n, int64_t m[4]) {
  m[2] = m[3] = -1;
  if (re->at_start) return match_from(re, s, n, 0, m) >= 0;
  for (int64_t from = 0;;) {
    int64_t i = dsc_rt_str_find(s, n, from, re->lead, re->lead_len);
    if (i < 0) return 0;
    if (match_from(re, s, n, i, m) >= 0) return 1;
    from = i + 1;
  }
}
