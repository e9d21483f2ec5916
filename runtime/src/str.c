/* str.c — the string built-ins, with Python's semantics on UTF-8 views.
 *
 * Strings are (ptr, len) views; functions that make new text allocate it in w->rec (lists: in
 * w->list): the batch arena, or in a record scope memory reused a few dozen records later
 * (arena.c).
 * Most text is ASCII, so each function takes an ASCII fast path and decodes UTF-8 only when it
 * meets a high byte.  Case mapping uses towlower_l/towupper_l of a private C.UTF-8 locale (so the
 * result does not depend on the process locale), plus Python's final-sigma rule; the one-to-many
 * mappings (ß -> SS) are not done.  Whitespace is exactly what Python's str.split() splits on.
 */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "rt_internal.h"

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

static void utf8_locale_init(void) {
  utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
  if (!utf8_locale) utf8_locale = newlocale(LC_CTYPE_MASK, "en_US.UTF-8", (locale_t)0);
}

static int is_cased_letter(int32_t cp) {
  return cp >= 0 && (iswupper_l((wint_t)cp, utf8_locale) || iswlower_l((wint_t)cp, utf8_locale));
}

/* Python's Final_Sigma: Σ after a cased letter and not before one lowers to ς. */
static int final_sigma(const char *s, int64_t n, int64_t at, int64_t after) {
  int before = 0;
  int64_t k = at;
  while (k > 0) {
    k--;
    if (((unsigned char)s[k] & 0xC0) == 0x80) continue;
    int w;
    before = is_cased_letter(rt_utf8_decode((const unsigned char *)s + k, n - k, &w));
    break;
  }
  if (!before) return 0;
  if (after >= n) return 1;
  int w;
  return !is_cased_letter(rt_utf8_decode((const unsigned char *)s + after, n - after, &w));
}

static void str_case(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *out, int upper) {
  /* Text that is already in the case asked for (most words of a lower() word count) is given
     back as it is: no copy, no memory. */
  int64_t same = 0;
  const unsigned char from = upper ? 'a' : 'A';
  while (same < n && (unsigned char)s[same] < 0x80 && (unsigned char)(s[same] - from) >= 26)
    same++;
  if (same == n) {
    out->ptr = s, out->len = n;
    return;
  }
  char *p = rt_arena_alloc_raw(w->rec, (size_t)n * 2 + 4);  /* mappings grow by <= 2x */
  memcpy(p, s, (size_t)same);
  int64_t o = same;
  for (int64_t i = same; i < n;) {
    unsigned char c = (unsigned char)s[i];
    if (c < 0x80) {
      p[o++] = (char)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                            : (c >= 'A' && c <= 'Z' ? c + 32 : c));
      i++;
      continue;
    }
    pthread_once(&utf8_once, utf8_locale_init);
    int len;
    int32_t cp = rt_utf8_decode((const unsigned char *)s + i, n - i, &len);
    if (cp < 0 || !utf8_locale) {
      memcpy(p + o, s + i, (size_t)len);
      o += len, i += len;
      continue;
    }
    uint32_t m;
    if (!upper && cp == 0x3A3) m = final_sigma(s, n, i, i + len) ? 0x3C2 : 0x3C3;
    else m = (uint32_t)(upper ? towupper_l((wint_t)cp, utf8_locale) : towlower_l((wint_t)cp, utf8_locale));
    o += rt_utf8_encode(m, p + o);
    i += len;
  }
  out->ptr = p;
  out->len = o;
}

void dsc_rt_str_lower(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *out) {
  str_case(w, s, n, out, 0);
}

void dsc_rt_str_upper(dsc_rt_worker *w, const char *s, int64_t n, dsc_str *out) {
  str_case(w, s, n, out, 1);
}

/* ---- parsing numbers ---- */

/* Python int(): optional sign, decimal digits with single underscores between them. */
static int parse_int(const char *s, int64_t n, int64_t *out) {
  dsc_str t = {s, n};
  /* a text that begins with a digit or sign and ends with a digit has no white space to trim */
  if (!(n > 0 && (unsigned)(s[n - 1] - '0') < 10 &&
        ((unsigned)(s[0] - '0') < 10 || s[0] == '-' || s[0] == '+')))
    dsc_rt_str_trim(s, n, &t);
  const char *p = t.ptr, *e = t.ptr + t.len;
  int neg = 0;
  if (p < e && (*p == '+' || *p == '-')) neg = *p++ == '-';
  if (p == e) return -1;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  int prev_digit = 0;
  for (; p < e; p++) {
    if (*p == '_') {
      if (!prev_digit || p + 1 == e) return -1;
      prev_digit = 0;
      continue;
    }
    if (*p < '0' || *p > '9') return -1;
    unsigned d = (unsigned)(*p - '0');
    if (v > (limit - d) / 10) return -1;
    v = v * 10 + d;
    prev_digit = 1;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return 0;
}

int64_t dsc_rt_str_to_int(dsc_rt_worker *w, const char *s, int64_t n) {
  int64_t v;
  if (parse_int(s, n, &v)) {
    dsc_rt_error(w, DSC_RT_ERR_PARSE_INT);
    return 0;
  }
  return v;
}

static int ieq(const char *p, int64_t n, const char *word) {
  size_t k = strlen(word);
  return (size_t)n == k && !strncasecmp(p, word, k);
}

/* Clinger's fast path: a decimal m x 10^e whose digits m fit in 53 bits, with |e| <= 22, is one
 * product or quotient of two doubles that hold m and 10^|e| exactly, so IEEE arithmetic rounds
 * it once, correctly, as strtod would.  Most numbers in data ("65.09", "-3.5e2", "1200") are
 * such; strtod took a third of a CSV pipeline's time on them (its multi-precision path, and a
 * copy of the text).  Returns 0 when the number is not such. */
static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int fast_float(uint64_t m, int exact, int64_t e10, int neg, double *out) {
  if (!exact || m > (uint64_t)1 << 53 || e10 < -22 || e10 > 22) return 0;
  double v = e10 < 0 ? (double)m / exact_pow10[-e10] : (double)m * exact_pow10[e10];
  *out = neg ? -v : v;
  return 1;
}

/* Python float(): [sign] (digits [. digits] | . digits) [e [sign] digits] | inf | infinity | nan,
 * underscores allowed between digits.  Checks the syntax and gathers what fast_float needs;
 * only when that does not do, strtod on a copy without the underscores (strtod alone would also
 * take hex and nan(...)). */
static int parse_float(dsc_rt_worker *w, const char *s, int64_t n, double *out) {
  dsc_str t;
  dsc_rt_str_trim(s, n, &t);
  const char *p = t.ptr, *e = t.ptr + t.len;
  int neg = 0;
  if (p < e && (*p == '+' || *p == '-')) neg = *p++ == '-';
  if (ieq(p, e - p, "inf") || ieq(p, e - p, "infinity")) return *out = neg ? -INFINITY : INFINITY, 0;
  if (ieq(p, e - p, "nan")) return *out = neg ? -NAN : NAN, 0;
  const char *number = p;
  int digits = 0, prev_digit = 0, state = 0; /* 0 int part, 1 fraction, 2 exponent */
  uint64_t m = 0;                               /* the digits before the exponent, if exact */
  int exact = 1, exp_neg = 0;
  int64_t frac_digits = 0, exp_value = 0;
  for (; p < e; p++) {
    char c = *p;
    if (c >= '0' && c <= '9') {
      digits++, prev_digit = 1;
      unsigned d = (unsigned)(c - '0');
      if (state == 2) {
        if (exp_value < 100000) exp_value = exp_value * 10 + d;
      } else if (m > (UINT64_MAX - 9) / 10) {
        exact = 0;
      } else {
        m = m * 10 + d, frac_digits += state == 1;
      }
    } else if (c == '_') {
      if (!prev_digit || p + 1 == e || p[1] < '0' || p[1] > '9') return -1;
      prev_digit = 0;
    } else if (c == '.' && state == 0) {
      state = 1, prev_digit = 0;
    } else if ((c == 'e' || c == 'E') && state < 2 && digits) {
      state = 2, digits = 0, prev_digit = 0;
      if (p + 1 < e && (p[1] == '+' || p[1] == '-')) exp_neg = *++p == '-';
    } else {
      return -1;
    }
  }
  if (!digits) return -1;
  if (fast_float(m, exact, (exp_neg ? -exp_value : exp_value) - frac_digits, neg, out)) return 0;
  /* the text checked above, without its underscores, for strtod */
  char small[128];
  char *buf = t.len < (int64_t)sizeof small ? small : rt_arena_alloc_raw(w->rec, (size_t)t.len + 1);
  size_t o = 0;
  if (neg) buf[o++] = '-';
  for (p = number; p < e; p++)
    if (*p != '_') buf[o++] = *p;
  buf[o] = 0;
  errno = 0;
  *out = strtod(buf, NULL);
  return 0; /* overflow gives ±inf and underflow 0, as in Python */
}

double dsc_rt_str_to_float(dsc_rt_worker *w, const char *s, int64_t n) {
  double v;
  if (parse_float(w, s, n, &v)) {
    dsc_rt_error(w, DSC_RT_ERR_PARSE_FLOAT);
    return 0.0;
  }
  return v;
}

/* ---- to string ---- */

void dsc_rt_int_to_str(dsc_rt_worker *w, int64_t v, dsc_str *out) {
  char *p = rt_arena_alloc_raw(w->rec, 24);
  out->len = rt_int_format(v, p);
  out->ptr = p;
}

void dsc_rt_float_to_str(dsc_rt_worker *w, double v, dsc_str *out) {
  char *p = rt_arena_alloc_raw(w->rec, 32);
  out->len = rt_float_repr(v, p);
  out->ptr = p;
}

void dsc_rt_bool_to_str(int32_t v, dsc_str *out) {
  out->ptr = v ? "True" : "False";
  out->len = v ? 4 : 5;
}

/* ---- split ---- */

void dsc_rt_str_split_list(dsc_rt_worker *w, const char *s, int64_t n, const char *sep,
                           int64_t m, dsc_list *out) {
  int64_t count = 1;
  if (m > 0)
    for (int64_t i = dsc_rt_str_find(s, n, 0, sep, m); i >= 0; i = dsc_rt_str_find(s, n, i + m, sep, m))
      count++;
  dsc_str *v = rt_arena_alloc_raw(w->list, sizeof(dsc_str) * (size_t)count);
  int64_t k = 0, start = 0;
  if (m > 0)
    for (int64_t i = dsc_rt_str_find(s, n, 0, sep, m); i >= 0; i = dsc_rt_str_find(s, n, start, sep, m)) {
      v[k].ptr = s + start, v[k].len = i - start, k++;
      start = i + m;
    }
  v[k].ptr = s + start, v[k].len = n - start;
  out->data = v;
  out->len = count;
}

void dsc_rt_str_words_list(dsc_rt_worker *w, const char *s, int64_t n, dsc_list *out) {
  int64_t count = 0;
  for (int64_t i = dsc_rt_str_skip_space(s, n, 0); i < n;
       i = dsc_rt_str_skip_space(s, n, dsc_rt_str_find_space(s, n, i)))
    count++;
  dsc_str *v = rt_arena_alloc_raw(w->list, sizeof(dsc_str) * (size_t)count);
  int64_t k = 0;
  for (int64_t i = dsc_rt_str_skip_space(s, n, 0); i < n;) {
    int64_t e = dsc_rt_str_find_space(s, n, i);
    v[k].ptr = s + i, v[k].len = e - i, k++;
    i = dsc_rt_str_skip_space(s, n, e);
  }
  out->data = v;
  out->len = count;
}

/* Python's round(x, n) rounds the exact binary value of x, so round(2.675, 2) is 2.67:
 * glibc's printf does the same exact, half-to-even decimal rounding. */
double dsc_rt_float_round(double x, int64_t digits) {
  if (!isfinite(x))
    return x;
  if (digits < 0) {
    double scale = pow(10.0, (double)-digits);
    return nearbyint(x / scale) * scale;
  }
  if (digits > 340)
    return x;
  char buf[400];
  snprintf(buf, sizeof buf, "%.*f", (int)digits, x);
  return strtod(buf, NULL);
}
