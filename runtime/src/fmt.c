/* fmt.c — the output buffer and Python's text forms: repr(float), repr(str), pprint headers.
 *
 * repr(float) is the shortest decimal that reads back to the same double (worked out in 128-bit
 * integers from 1e-5 to 1e16, elsewhere tried with glibc's correctly rounded %e and strtod),
 * laid out the way Python's float_repr_style 'short' does:
 * positional for decimal exponents -4..15, scientific with a two-digit exponent otherwise.
 * repr(str) follows unicode_repr: quote choice, escapes for \\ \n \r \t and the chosen quote,
 * \xNN / \uNNNN / \UNNNNNNNN for non-printable code points (categories Cc, Cf, Co, Zl, Zp, Zs
 * other than space, and the noncharacters); a table of ranges stands in for Python's database.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt_internal.h"

void rt_buf_free(dsc_rt_buf *b) {
  free(b->data);
  b->data = NULL, b->len = b->cap = 0;
}

__attribute__((noinline)) static void buf_grow(dsc_rt_buf *b, size_t extra) {
  size_t cap = b->cap ? b->cap : 4096;
  while (cap - b->len < extra) cap *= 2;
  b->data = rt_xrealloc(b->data, cap);
  b->cap = cap;
}

/* The check inlined, the growth not: output writes a few bytes at a time, nearly always into
 * room it has. */
static inline void buf_reserve(dsc_rt_buf *b, size_t extra) {
  if (b->cap - b->len < extra) buf_grow(b, extra);
}

void rt_buf_reserve(dsc_rt_buf *b, size_t extra) { buf_reserve(b, extra); }

void dsc_rt_buf_bytes(dsc_rt_buf *b, const char *s, int64_t n) {
  if (n <= 0) return;
  buf_reserve(b, (size_t)n);
  memcpy(b->data + b->len, s, (size_t)n);
  b->len += (size_t)n;
}

void rt_buf_cstr(dsc_rt_buf *b, const char *s) { dsc_rt_buf_bytes(b, s, (int64_t)strlen(s)); }

/* Two digits a division: a millisecond timestamp is 7 divisions instead of 13. */
static const char digit_pairs[201] = "00010203040506070809101112131415161718192021222324"
                                     "25262728293031323334353637383940414243444546474849"
                                     "50515253545556575859606162636465666768697071727374"
                                     "75767778798081828384858687888990919293949596979899";

int rt_int_format(int64_t v, char *out) {
  char tmp[24];
  int k = sizeof tmp;
  uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
  while (u >= 100) {
    unsigned r = (unsigned)(u % 100);
    u /= 100;
    tmp[--k] = digit_pairs[2 * r + 1], tmp[--k] = digit_pairs[2 * r];
  }
  if (u >= 10) tmp[--k] = digit_pairs[2 * u + 1], tmp[--k] = digit_pairs[2 * u];
  else tmp[--k] = (char)('0' + u);
  int o = 0;
  if (v < 0) out[o++] = '-';
  memcpy(out + o, tmp + k, sizeof tmp - (size_t)k);
  o += (int)sizeof tmp - k;
  out[o] = 0;
  return o;
}

void dsc_rt_buf_int(dsc_rt_buf *b, int64_t v) {
  buf_reserve(b, 24);
  b->len += (size_t)rt_int_format(v, b->data + b->len);
}

/* v's correctly rounded text with `digits` significant digits, in %e form, made from its 17
 * digits d[0..17) and exponent e: rounded half up, unless the digits dropped are exactly a half
 * (5, or 50), where they may hide which way v itself lies; then snprintf rounds v.  Anywhere
 * else the 17-digit rounding cannot have moved v across the half.  (sign: "-" or "".) */
static void rounded_text(double v, const char *sign, const char *d, int e, int digits, char *out,
                         size_t size) {
  /* the dropped digits d[digits..17), one or two, are "5" or "50" */
  if (d[digits] == '5' && (digits + 1 == 17 || d[digits + 1] == '0')) {
    snprintf(out, size, "%.*e", digits - 1, v);
    return;
  }
  char r[17];
  memcpy(r, d, (size_t)digits);
  if (d[digits] >= '5') { /* carry */
    int i = digits - 1;
    while (i >= 0 && r[i] == '9') r[i--] = '0';
    if (i >= 0) r[i]++;
    else r[0] = '1', e++; /* 99..9 became 100..0: one more digit before the point */
  }
  /* [-]d.ddd...e±XX[X], without snprintf: this runs for every float printed */
  char *o = out;
  if (*sign) *o++ = '-';
  *o++ = r[0], *o++ = '.';
  memcpy(o, r + 1, (size_t)digits - 1), o += digits - 1;
  *o++ = 'e', *o++ = e < 0 ? '-' : '+';
  int a = e < 0 ? -e : e;
  if (a >= 100) *o++ = (char)('0' + a / 100);
  *o++ = (char)('0' + a / 10 % 10), *o++ = (char)('0' + a % 10), *o = 0;
}

/* The shortest text that reads back to the normal double v (see rt_float_repr), from one
 * snprintf of its 17 digits: the 15- and 16-digit roundings are made from them. */
static void shortest_of_17(double v, char *sci, size_t size) {
  char full[40];
  snprintf(full, sizeof full, "%.16e", v);
  const char *p = full, *sign = "";
  if (*p == '-') sign = "-", p++;
  char d[18];
  int nd = 0;
  for (; *p != 'e'; p++)
    if (*p != '.') d[nd++] = *p;
  d[nd] = 0;
  int e = atoi(p + 1);
  for (int digits = 15; digits <= 16; digits++) {
    rounded_text(v, sign, d, e, digits, sci, size);
    if (strtod(sci, NULL) == v) return;
  }
  snprintf(sci, size, "%s", full);
}

/* ---- the same digits in integers, for the usual magnitudes ----------------------------------
 * For 1e-5 <= v < 1e16 (what repr writes positionally, and a little more) v = mant * 2^be with
 * mant < 2^53 and -70 <= be <= 1, so v * 10^k for the k that gives 17 digits (1 <= k <= 21) is
 * X / 2^s with X = mant * 2^max(be,0) * 10^k < 2^124 and s = max(-be, 0) <= 70: 128-bit
 * integers hold it exactly.  The n-digit rounding (half to even, as glibc's %e) and whether it
 * reads back (it lies within half an ulp of v, the ends allowed when mant is even, as strtod
 * rounds) are then exact comparisons: no snprintf (3,800 instructions) or strtod (1,200). */
typedef unsigned __int128 u128;

static u128 pow10_u128(int k) { /* k <= 38 */
  u128 p = 1;
  while (k-- > 0) p *= 10;
  return p;
}

/* digits[0..n) and the decimal exponent of the first of the shortest text that reads back to v
 * (v > 0 and normal); 0 when v is outside the range above. */
static int exact_shortest(double v, char *digits, int *nd, int *exp10) {
  if (!(v >= 1e-5 && v < 1e16)) return 0;
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  int biased = (int)(bits >> 52) & 0x7ff, be = biased - 1075;
  uint64_t mant = (bits & ((UINT64_C(1) << 52) - 1)) | (UINT64_C(1) << 52);
  int s = be < 0 ? -be : 0, e10 = (int)floor(log10(v)), k = 0;
  u128 x = 0;
  uint64_t q = 0; /* floor(v * 10^k): 17 digits */
  const uint64_t lo17 = UINT64_C(10000000000000000), hi17 = 10 * lo17; /* 10^16, 10^17 */
  for (int tries = 0; tries < 3; tries++) { /* log10 may be one off next to a power of 10 */
    k = 16 - e10;
    x = ((u128)mant << (be > 0 ? be : 0)) * pow10_u128(k);
    q = (uint64_t)(x >> s);
    if (q < lo17) e10--;
    else if (q >= hi17) e10++;
    else break;
  }
  if (q < lo17 || q >= hi17) return 0;
  u128 ulp = pow10_u128(k) << (be > 0 ? be : 0); /* 2^be in x's units */
  /* below a power of 2 the next double is closer; and a tie (a rounding exactly half an ulp
     away) reads back only to an even mantissa.  Neither changes an answer in this range (no
     15- or 16-digit rounding of a power of 2 falls in between, and a midpoint has more than 16
     digits), but they keep the test the definition. */
  u128 ulp_below = mant == (UINT64_C(1) << 52) && biased > 1 ? ulp / 2 : ulp;
  int even = (mant & 1) == 0;
  for (int n = 15; n <= 17; n++) {
    uint64_t scale = (uint64_t)pow10_u128(17 - n), dn = q / scale;
    u128 unit = (u128)scale << s, rest = x - ((u128)dn * scale << s); /* x = dn * unit + rest */
    if (2 * rest > unit || (2 * rest == unit && (dn & 1))) dn++;
    u128 c = (u128)dn * scale << s; /* the rounding, in x's units */
    int reads_back = c >= x ? 2 * (c - x) < ulp || (2 * (c - x) == ulp && even)
                            : 2 * (x - c) < ulp_below || (2 * (x - c) == ulp_below && even);
    if (!reads_back) continue;
    int e = e10;
    if (dn == (uint64_t)pow10_u128(n)) dn /= 10, e++; /* 99..9 rounded up to 10..0 */
    for (int i = n - 1; i >= 0; i--) digits[i] = (char)('0' + dn % 10), dn /= 10;
    *nd = n, *exp10 = e;
    return 1;
  }
  return 0; /* 17 digits always read back; never here */
}

int rt_float_repr(double v, char *out) {
  if (isnan(v)) return (int)(strcpy(out, "nan"), 3);
  if (isinf(v)) return (int)strlen(strcpy(out, v < 0 ? "-inf" : "inf"));
  if (v == 0) return (int)strlen(strcpy(out, signbit(v) ? "-0.0" : "0.0"));
  /* The shortest digits that read back to v.  A normal double is within half an ulp, 2^-53 of
     itself, of any decimal that reads back to it, and that is less than half the spacing of 15
     significant digits (above 5e-16 of it): so when some q <= 15 digits read back, the 15-digit
     rounding is those digits followed by zeros, which the layout below drops.  Hence three tries
     at most (15, 16, 17 digits) instead of up to 17 (about 6 us for 1/7), the first two made from
     the third (shortest_of_17: one snprintf, not three).  A subnormal has fewer bits: it still
     counts up from one digit. */
  char sci[40], digits[20];
  int nd = 0, o = 0, exp;
  if (v < 0) out[o++] = '-';
  if (!exact_shortest(fabs(v), digits, &nd, &exp)) {
    if (fabs(v) < DBL_MIN) {
      for (int prec = 0; prec <= 16; prec++) {
        snprintf(sci, sizeof sci, "%.*e", prec, v);
        if (strtod(sci, NULL) == v) break;
      }
    } else {
      shortest_of_17(v, sci, sizeof sci);
    }
    /* sci = [-]d[.ddd]e±XX: collect the digits and the exponent. */
    const char *p = sci + (*sci == '-');
    for (; *p != 'e'; p++)
      if (*p != '.') digits[nd++] = *p;
    exp = atoi(p + 1);
  }
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  if (exp < -4 || exp >= 16) {
    out[o++] = digits[0];
    if (nd > 1) {
      out[o++] = '.';
      memcpy(out + o, digits + 1, (size_t)nd - 1);
      o += nd - 1;
    }
    o += sprintf(out + o, "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    return o;
  }
  if (exp < 0) {
    out[o++] = '0', out[o++] = '.';
    for (int i = 0; i < -exp - 1; i++) out[o++] = '0';
    memcpy(out + o, digits, (size_t)nd);
    o += nd;
  } else {
    for (int i = 0; i <= exp; i++) out[o++] = i < nd ? digits[i] : '0';
    out[o++] = '.';
    if (nd > exp + 1) {
      memcpy(out + o, digits + exp + 1, (size_t)(nd - exp - 1));
      o += nd - exp - 1;
    } else {
      out[o++] = '0';
    }
  }
  out[o] = 0;
  return o;
}

void dsc_rt_buf_float(dsc_rt_buf *b, double v) {
  rt_buf_reserve(b, 32);
  b->len += (size_t)rt_float_repr(v, b->data + b->len);
}

void dsc_rt_buf_bool(dsc_rt_buf *b, int32_t v) { rt_buf_cstr(b, v ? "True" : "False"); }

/* Non-printable ranges above U+00A0 (Python's str.isprintable() is false), sorted. */
static const uint32_t nonprint[][2] = {
    {0x00AD, 0x00AD}, {0x0378, 0x0379}, {0x0380, 0x0383}, {0x038B, 0x038B}, {0x038D, 0x038D},
    {0x03A2, 0x03A2}, {0x0600, 0x0605}, {0x061C, 0x061C}, {0x06DD, 0x06DD}, {0x070F, 0x070F},
    {0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x1680, 0x1680}, {0x180E, 0x180E}, {0x2000, 0x200F},
    {0x2028, 0x202F}, {0x205F, 0x2064}, {0x2065, 0x206F}, {0x3000, 0x3000}, {0xD800, 0xF8FF},
    {0xFDD0, 0xFDEF}, {0xFEFF, 0xFEFF}, {0xFFF0, 0xFFFB}, {0xFFFE, 0xFFFF}, {0x110BD, 0x110BD},
    {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A},
    {0xE0000, 0xE00FF}, {0xE01F0, 0xE0FFF}, {0xF0000, 0x10FFFF},
};

static int printable(uint32_t cp) {
  if (cp < 0x20 || cp == 0x7F) return 0;
  if (cp < 0x7F) return 1;
  if (cp <= 0xA0) return 0; /* C1 controls and NO-BREAK SPACE */
  if ((cp & 0xFFFE) == 0xFFFE) return 0;
  size_t lo = 0, hi = sizeof nonprint / sizeof nonprint[0];
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (cp < nonprint[mid][0]) hi = mid;
    else if (cp > nonprint[mid][1]) lo = mid + 1;
    else return 0;
  }
  return 1;
}

/* How many bytes from s[0..n) on repr() copies as they are: printable ASCII other than the
 * backslash and the quote q.  16 at a time: most text is such bytes, and taking them one by one
 * cost some 16 instructions a byte (a 36-byte id: 590 for its repr). */
static int64_t plain_run(const char *s, int64_t n, char q) {
  int64_t i = 0;
#ifdef __SSE2__
  typedef signed char sbytes16 __attribute__((vector_size(16)));
  const sbytes16 space = (sbytes16){0} + 0x20, del = (sbytes16){0} + 0x7F;
  const sbytes16 backslash = (sbytes16){0} + '\\', quote = (sbytes16){0} + q;
  for (; i + 16 <= n; i += 16) {
    sbytes16 v;
    memcpy(&v, s + i, 16);
    /* as signed bytes, those from 0x80 on are below the space too */
    sbytes16 special = (sbytes16)((v < space) | (v == del) | (v == backslash) | (v == quote));
    typedef char bytes16 __attribute__((vector_size(16)));
    unsigned m = (unsigned)__builtin_ia32_pmovmskb128((bytes16)special);
    if (m) return i + __builtin_ctz(m);
  }
#endif
  while (i < n && (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7F && s[i] != '\\' &&
         s[i] != q)
    i++;
  return i;
}

void dsc_rt_buf_str_repr(dsc_rt_buf *b, const char *s, int64_t n) {
  int has_sq = memchr(s, '\'', (size_t)n) != NULL, has_dq = memchr(s, '"', (size_t)n) != NULL;
  char q = has_sq && !has_dq ? '"' : '\'';
  /* room for the longest form at once: no escape is longer than 4 bytes per input byte (\xNN
     for one byte, \uNNNN for three, \UNNNNNNNN for four) */
  buf_reserve(b, 4 * (size_t)n + 2);
  char *o = b->data + b->len;
  *o++ = q;
  for (int64_t i = 0; i < n;) {
    int64_t k = plain_run(s + i, n - i, q);
    memcpy(o, s + i, (size_t)k);
    o += k, i += k;
    if (i == n) break;
    unsigned char c = (unsigned char)s[i];
    if (c == '\\' || c == (unsigned char)q) {
      *o++ = '\\', *o++ = (char)c;
      i++;
    } else if (c == '\n' || c == '\r' || c == '\t') {
      *o++ = '\\', *o++ = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
      i++;
    } else {
      int len;
      int32_t cp = rt_utf8_decode((const unsigned char *)s + i, n - i, &len);
      if (cp < 0) {  /* not reachable for repaired input; shown like a surrogate escape */
        o += sprintf(o, "\\x%02x", c);
      } else if (printable((uint32_t)cp)) {
        memcpy(o, s + i, (size_t)len);
        o += len;
      } else if (cp < 0x100) {
        o += sprintf(o, "\\x%02x", (unsigned)cp);
      } else if (cp < 0x10000) {
        o += sprintf(o, "\\u%04x", (unsigned)cp);
      } else {
        o += sprintf(o, "\\U%08x", (unsigned)cp);
      }
      i += len;
    }
  }
  *o++ = q;
  b->len = (size_t)(o - b->data);
}

void rt_format_time(int64_t ms, char *out, size_t outsz) {
  int64_t sec = ms / 1000, frac = ms % 1000;
  if (frac < 0) frac += 1000, sec--;
  time_t t = (time_t)sec;
  struct tm tm;
  localtime_r(&t, &tm);
  size_t k = strftime(out, outsz, "%Y-%m-%d %H:%M:%S", &tm);
  if (frac) snprintf(out + k, outsz - k, ".%06d", (int)frac * 1000);
}

static const char dashes[] = "-------------------------------------------\n";

void dsc_rt_print_begin(dsc_rt_ctx *ctx, const dsc_rt_batch *batch) {
  char when[64];
  rt_format_time(batch->time_ms, when, sizeof when);
  dsc_rt_buf *b = &ctx->out;
  rt_buf_cstr(b, dashes);
  rt_buf_cstr(b, "Time: ");
  rt_buf_cstr(b, when);
  rt_buf_cstr(b, "\n");
  rt_buf_cstr(b, dashes);
}

void dsc_rt_output_flush(dsc_rt_ctx *ctx) {
  dsc_rt_buf *b = &ctx->out;
  if (b->len) fwrite(b->data, 1, b->len, stdout);
  b->len = 0;
  fflush(stdout);
}

typedef struct task_text {
  rt_owned owned; /* release hook; must stay first */
  dsc_rt_buf buf;
} task_text;

static void task_text_release(void *p) { rt_buf_free(&((task_text *)p)->buf); }

dsc_rt_buf *dsc_rt_text_new(dsc_rt_worker *w) {
  task_text *t = rt_arena_alloc_raw(&w->arena, sizeof *t);
  memset(t, 0, sizeof *t);
  t->owned.release = task_text_release;
  rt_worker_own(w, &t->owned);
  return &t->buf;
}

void dsc_rt_buf_append(dsc_rt_buf *b, const dsc_rt_buf *text) {
  dsc_rt_buf_bytes(b, text->data, (int64_t)text->len);
}

/* A big text goes to stdout as it is, after what is buffered; a small one joins the buffer. */
void dsc_rt_output_text(dsc_rt_ctx *ctx, const dsc_rt_buf *text) {
  dsc_rt_buf *b = &ctx->out;
  if (b->len + text->len < 64 * 1024) {
    dsc_rt_buf_append(b, text);
    return;
  }
  if (b->len) fwrite(b->data, 1, b->len, stdout);
  b->len = 0;
  if (text->len) fwrite(text->data, 1, text->len, stdout);
}

void dsc_rt_print_end(dsc_rt_ctx *ctx, int32_t more) {
  if (more) rt_buf_cstr(&ctx->out, "...\n");
  rt_buf_cstr(&ctx->out, "\n");
  dsc_rt_output_flush(ctx);
}

dsc_rt_buf *dsc_rt_output(dsc_rt_ctx *ctx) { return &ctx->out; }
