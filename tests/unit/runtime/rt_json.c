/* rt_json.c — unit tests of json(line, key): values of every kind, escapes, malformed and
 * truncated input (each truncation of each sample is run on an exactly-sized heap copy, so
 * ASan sees any read past the end). */
#include <CUnit/Basic.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt_internal.h"
#include "../cunit_main.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define BEYOND(p, n) __asan_poison_memory_region(p, n)  /* ASan: any read here is reported */
#define AGAIN(p, n) __asan_unpoison_memory_region(p, n)
#else
#define BEYOND(p, n) ((void)(p), (void)(n))
#define AGAIN(p, n) ((void)(p), (void)(n))
#endif

static dsc_rt_worker w;

/* json(line, key) as a NUL-terminated string, or NULL for none. */
static const char *get(const char *line, const char *key) {
  static char text[4096];
  size_t n = strlen(line);
  char *copy = malloc(n ? n : 1); /* exact size: no terminator to lean on */
  memcpy(copy, line, n);
  dsc_str out = {0};
  int32_t r = dsc_rt_json_get(&w, copy, (int64_t)n, key, (int64_t)strlen(key), &out);
  const char *res = NULL;
  if (r) {
    snprintf(text, sizeof text, "%.*s", (int)out.len, out.ptr);
    res = text;
  }
  free(copy);
  return res;
}

#define EXPECT(line, key, want)                                                                  \
  do {                                                                                           \
    const char *got_ = get(line, key);                                                           \
    CU_ASSERT_PTR_NOT_NULL(got_);                                                                \
    if (got_) CU_ASSERT_STRING_EQUAL(got_, want);                                                \
  } while (0)
#define NONE(line, key) CU_ASSERT_PTR_NULL(get(line, key))

static void test_scalars(void) {
  const char *l = "{\"a\": 12, \"b\":-1.5e+3 , \"c\":true,\"d\":false,\"e\":null,\"f\":\"x y\"}";
  EXPECT(l, "a", "12");
  EXPECT(l, "b", "-1.5e+3");
  EXPECT(l, "c", "true");
  EXPECT(l, "d", "false");
  EXPECT(l, "e", "null");
  EXPECT(l, "f", "x y");
  NONE(l, "g");
  NONE(l, "");
  NONE(l, "A");
  EXPECT("  {\t\"k\"\r:\n0 }  ", "k", "0");
  EXPECT("{\"\":1}", "", "1");
  EXPECT("{\"a\":\"\"}", "a", "");
  EXPECT("{\"a\":NaN,\"b\":-Infinity}", "b", "-Infinity"); /* Python's json accepts these */
}

static void test_string_view_without_escapes(void) {
  const char *line = "{\"name\":\"plain\"}";
  dsc_str out;
  CU_ASSERT_EQUAL(dsc_rt_json_get(&w, line, (int64_t)strlen(line), "name", 4, &out), 1);
  CU_ASSERT_PTR_EQUAL(out.ptr, line + 9); /* no copy */
  CU_ASSERT_EQUAL(out.len, 5);
}

static void test_escapes(void) {
  EXPECT("{\"s\":\"a\\nb\\tc\\\"d\\\\e\\/f\\bg\\fh\\ri\"}", "s", "a\nb\tc\"d\\e/f\bg\fh\ri");
  EXPECT("{\"s\":\"\\u00e9\\u20AC\\u0041\"}", "s", "\xc3\xa9\xe2\x82\xac" "A");
  EXPECT("{\"s\":\"\\ud83d\\ude00!\"}", "s", "\xf0\x9f\x98\x80!");     /* surrogate pair */
  EXPECT("{\"s\":\"\\ud83d x\"}", "s", "\xef\xbf\xbd x");               /* lone high */
  EXPECT("{\"s\":\"\\ude00\"}", "s", "\xef\xbf\xbd");                   /* lone low */
  EXPECT("{\"s\":\"\\u0000\"}", "s", "");                               /* NUL: one byte */
  CU_ASSERT_EQUAL(get("{\"s\":\"\\u0000\"}", "s")[0], 0);
  EXPECT("{\"s\":\"\\\\\"}", "s", "\\");                                /* ends in \\ */
  EXPECT("{\"s\":\"\\\\\\\"\",\"t\":1}", "t", "1");                     /* \\\" inside */
  EXPECT("{\"s\":\"\xc3\xa9t\xc3\xa9\"}", "s", "\xc3\xa9t\xc3\xa9");    /* raw UTF-8 kept */
  NONE("{\"s\":\"\\x\"}", "s");                                         /* bad escape */
  NONE("{\"s\":\"\\u12G4\"}", "s");
  NONE("{\"s\":\"\\u12\"}", "s");
  /* Escaped keys compare by their unescaped text. */
  EXPECT("{\"k\\u00e9y\":1,\"b\":2}", "k\xc3\xa9y", "1");
  /* A raw key equal byte for byte to the wanted one is still decoded: x\\y is x\y. */
  EXPECT("{\"x\\\\y\":1,\"x\\\\\\\\y\":2}", "x\\\\y", "2");
  EXPECT("{\"x\\\\y\":1,\"x\\\\\\\\y\":2}", "x\\y", "1");
  EXPECT("{\"ad\\u005fid\":\"v\",\"ad_id\":\"w\"}", "ad_id", "v"); /* longer raw key */
  EXPECT("{\"a\\\"b\":3}", "a\"b", "3");
  NONE("{\"a\\\"b\":3}", "a\\\"b");
  EXPECT("{\"x\\ny\":0,\"b\":2}", "b", "2");
}

static void test_nested(void) {
  const char *l = "{\"arr\":[1, [2, {\"x\":\"]}\"}], \"s]\"], \"obj\":{\"a\":{\"b\":[]},\"q\":\"}\\\"\"},"
                  "\"after\":\"yes\"}";
  EXPECT(l, "arr", "[1, [2, {\"x\":\"]}\"}], \"s]\"]");
  EXPECT(l, "obj", "{\"a\":{\"b\":[]},\"q\":\"}\\\"\"}");
  EXPECT(l, "after", "yes");
  NONE(l, "x"); /* nested keys are not top-level */
  NONE(l, "a");
  EXPECT("{\"e\":[],\"f\":{}}", "f", "{}");
  EXPECT("{\"e\":[],\"f\":{}}", "e", "[]");
}

static void test_not_objects_and_malformed(void) {
  NONE("", "a");
  NONE("   ", "a");
  NONE("[1,2]", "a");
  NONE("\"a\"", "a");
  NONE("12", "a");
  NONE("{}", "a");
  NONE("{ }", "a");
  NONE("{a:1}", "a");
  NONE("{'a':1}", "a");
  NONE("{\"a\" 1}", "a");
  NONE("{\"a\":}", "a");
  NONE("{\"a\":tru}", "a");
  NONE("{\"a\":12abc}", "a");
  NONE("{\"a\":01}", "a");
  NONE("{\"a\":1.}", "a");
  NONE("{\"a\":-}", "a");
  NONE("{\"a\":1e}", "a");
  NONE("{\"a\":\"x\"y}", "a");
  NONE("{\"x\":1 \"a\":2}", "a");   /* missing comma before the key */
  NONE("{\"x\":[1,2,\"a\":2}", "a"); /* unclosed array swallows the rest */
  NONE("{\"x\":1,,\"a\":2}", "a");
  /* Malformed only after the key: the key is found (single pass, no look past it). */
  EXPECT("{\"a\":1,\"x\":}", "a", "1");
  /* Duplicate keys: the first one wins (documented difference from Python's last). */
  EXPECT("{\"a\":1,\"a\":2}", "a", "1");
}

static void test_truncations_stay_in_bounds(void) {
  static const char *samples[] = {
      "{\"a\":\"x\\u00e9\\ud83d\\ude00\\n\",\"b\":[1,{\"c\":\"]\\\"\"}],\"d\":-12.5e-3,\"e\":null}",
      "{\"k\\u0041\":{\"x\":[[[\"\\\\\"]]]},\"z\":true}",
  };
  static const char *keys[] = {"a", "b", "d", "e", "kA", "z", "zz"};
  for (size_t s = 0; s < sizeof samples / sizeof samples[0]; s++) {
    size_t n = strlen(samples[s]);
    for (size_t cut = 0; cut <= n; cut++) {
      char *copy = malloc(cut ? cut : 1);
      memcpy(copy, samples[s], cut);
      for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        dsc_str out;
        int32_t r = dsc_rt_json_get(&w, copy, (int64_t)cut, keys[k], (int64_t)strlen(keys[k]), &out);
        if (r) CU_ASSERT_FATAL(out.len >= 0 && out.len <= (int64_t)cut);
        if (cut < n && k == 3) CU_ASSERT_EQUAL(r, 0); /* "e" is last: never complete before */
      }
      free(copy);
    }
  }
  /* Garbage: every byte value at every position of a short object. */
  char buf[12];
  for (int pos = 0; pos < 12; pos++)
    for (int c = 0; c < 256; c++) {
      memcpy(buf, "{\"a\":\"\\u00\"}", 12);
      buf[pos] = (char)c;
      for (int len = 0; len <= 12; len++) {
        char *copy = malloc(len ? (size_t)len : 1);
        memcpy(copy, buf, (size_t)len);
        dsc_str out;
        (void)dsc_rt_json_get(&w, copy, len, "a", 1, &out);
        free(copy);
      }
    }
  rt_worker_reset(&w);
}

/* The string scan works on 64-byte blocks: an escaped quote, a backslash pair and the closing
 * quote at every offset, in strings skipped and returned. */
static void test_string_offsets(void) {
  for (int k = 0; k < 40; k++) {
    char pad[48], line[256], want[64];
    memset(pad, 'p', (size_t)k);
    pad[k] = 0;
    snprintf(line, sizeof line, "{\"s%s\":\"%s\\\"q\\\\\",\"t\":\"%s\"}", pad, pad, pad);
    char key[64];
    snprintf(key, sizeof key, "s%s", pad);
    snprintf(want, sizeof want, "%s\"q\\", pad);
    EXPECT(line, key, want);
    EXPECT(line, "t", pad);
    NONE(line, "q");
  }
}

/* The quote scan reads whole 64-byte aligned blocks, so bytes before and after the line are read
 * too and must not count: each line at every alignment, with strings, escapes and the line's end
 * at every place in a block, between bytes that are all quotes (or all backslashes).  Under ASan
 * the bytes after the line are poisoned, so a scan that trusts a quote past the end is caught
 * even where the checks after it would hide the mistake. */
static void test_block_alignments(void) {
  char *buf = aligned_alloc(64, 512);
  dsc_rt_json_memo memo;
  for (int k = 0; k < 140; k++) {
    char pad[160], line[512], key[170], want_s[170];
    memset(pad, 'p', (size_t)k);
    pad[k] = 0;
    int len = snprintf(line, sizeof line, "{\"s%s\":\"%s\\\"q\\\\\",\"t\":\"%s\",\"n\":%d}", pad,
                       pad, pad, k);
    snprintf(key, sizeof key, "s%s", pad);
    snprintf(want_s, sizeof want_s, "%s\"q\\", pad);
    char want_n[8];
    snprintf(want_n, sizeof want_n, "%d", k);
    for (int shift = 0; shift < 64; shift++) {
      memset(buf, shift & 1 ? '\\' : '"', 512);
      memcpy(buf + shift, line, (size_t)len);
      const char *l = buf + shift;
      const char *keys[] = {key, "t", "n", "x"}, *want[] = {want_s, pad, want_n, NULL};
      memset(&memo, 0, sizeof memo);
      for (int i = 0; i < 4; i++) {
        dsc_str out, out_memo;
        int32_t r = dsc_rt_json_get(&w, l, len, keys[i], (int64_t)strlen(keys[i]), &out);
        int32_t r_memo = dsc_rt_json_get_memo(&w, &memo, l, len, keys[i], (int64_t)strlen(keys[i]),
                                              &out_memo);
        CU_ASSERT_EQUAL_FATAL(r, want[i] != NULL);
        CU_ASSERT_EQUAL_FATAL(r_memo, r);
        if (!r) continue;
        CU_ASSERT_FATAL(out.len == (int64_t)strlen(want[i]) &&
                        !memcmp(out.ptr, want[i], (size_t)out.len));
        CU_ASSERT_FATAL(out_memo.len == out.len &&
                        !memcmp(out_memo.ptr, out.ptr, (size_t)out.len));
      }
      /* Every cut of some of the lines: a member answers only when the comma after its value is
       * still in the line, whatever quotes follow the cut. */
      if (k % 7) continue;
      int s_comma = (int)(strstr(line, "\",\"t\"") - line) + 1;
      int t_comma = (int)(strstr(line, "\",\"n\"") - line) + 1;
      for (int cut = len; cut >= 0; cut--) {
        dsc_str out;
        BEYOND(buf + shift + cut, (size_t)(512 - shift - cut));
        CU_ASSERT_EQUAL_FATAL(dsc_rt_json_get(&w, l, cut, key, k + 1, &out), cut > s_comma);
        CU_ASSERT_EQUAL_FATAL(dsc_rt_json_get(&w, l, cut, "t", 1, &out), cut > t_comma);
        AGAIN(buf, 512);
      }
    }
  }
  free(buf);
  rt_worker_reset(&w);
}

static void test_full_values(void) {
  /* Full expected values of the first sample, for good measure. */
  const char *l = "{\"a\":\"x\\u00e9\\ud83d\\ude00\\n\",\"b\":[1,{\"c\":\"]\\\"\"}],\"d\":-12.5e-3,\"e\":null}";
  EXPECT(l, "a", "x\xc3\xa9\xf0\x9f\x98\x80\n");
  EXPECT(l, "b", "[1,{\"c\":\"]\\\"\"}]");
  EXPECT(l, "d", "-12.5e-3");
  EXPECT(l, "e", "null");
  rt_worker_reset(&w);
}

/* json() of several keys of one string through a memo must answer exactly what a fresh scan
 * answers, whatever the order of the keys: objects of 0-12 members (more than the memo holds),
 * with duplicate keys, escaped keys and values, nested values, malformed members, members after
 * the closing brace, every truncation of each (exact-size copies, for ASan), and a memo that
 * moves on to other strings. */
static const char *const memo_members[] = {
    "\"a\":1", "\"b\":\"x y\"", "\"c\":[1,{\"a\":2}]", "\"a\":3", "\"k\\u0041\":true",
    "\"d\":\"q\\\"z\"", "\"e\":{\"b\":[]}", "\"f\":12abc", "\"g\":null", "\"h\":-1.5e3",
    "\"i\" 4", "\"j\":\"\"",
};
static const char *const memo_keys[] = {"a", "b", "c", "kA", "d", "e", "f", "g", "h", "i", "j", "zz"};
enum { MEMO_MEMBERS = sizeof memo_members / sizeof memo_members[0],
       MEMO_KEYS = sizeof memo_keys / sizeof memo_keys[0] };

static uint32_t memo_seed = 12345;
static uint32_t memo_rand(uint32_t n) {
  memo_seed = memo_seed * 1103515245u + 12345u;
  return (memo_seed >> 8) % n;
}

static void memo_check(dsc_rt_json_memo *memo, const char *s, int64_t n, const char *key) {
  dsc_str want = {0}, got = {0};
  int64_t klen = (int64_t)strlen(key);
  int32_t r_want = dsc_rt_json_get(&w, s, n, key, klen, &want);
  int32_t r_got = dsc_rt_json_get_memo(&w, memo, s, n, key, klen, &got);
  CU_ASSERT_EQUAL_FATAL(r_got, r_want);
  if (r_want) {
    CU_ASSERT_EQUAL_FATAL(got.len, want.len);
    CU_ASSERT_FATAL(!memcmp(got.ptr, want.ptr, (size_t)want.len));
  }
}

static void test_memo_matches_fresh_scans(void) {
  dsc_rt_json_memo memo;
  memset(&memo, 0, sizeof memo);
  char line[1024];
  for (int round = 0; round < 400; round++) {
    int members = (int)memo_rand(13), len = 0;
    len += snprintf(line + len, sizeof line - (size_t)len, "%s{", memo_rand(4) ? "" : " ");
    for (int i = 0; i < members; i++)
      len += snprintf(line + len, sizeof line - (size_t)len, "%s%s", i ? (memo_rand(5) ? "," : " , ") : "",
                      memo_members[memo_rand(MEMO_MEMBERS)]);
    /* sometimes members after the closing brace: they are not the object's */
    len += snprintf(line + len, sizeof line - (size_t)len, "}%s", memo_rand(4) ? "" : "\"zz\":1,\"a\":5}");
    for (int cut = len; cut >= 0; cut -= 1 + (int)memo_rand(7)) {
      char *copy = malloc(cut ? (size_t)cut : 1);
      memcpy(copy, line, (size_t)cut);
      for (int q = 0; q < 6; q++) memo_check(&memo, copy, cut, memo_keys[memo_rand(MEMO_KEYS)]);
      free(copy);
      memset(&memo, 0, sizeof memo); /* the copy's address may come back with other bytes */
    }
    for (int q = 0; q < 12; q++) memo_check(&memo, line, len, memo_keys[memo_rand(MEMO_KEYS)]);
    /* another string, then this one again at the same address: rescanned, not remembered */
    memo_check(&memo, "{\"a\":7}", 7, "a");
    memo_check(&memo, line, len, "a");
  }
  rt_worker_reset(&w);
}

/* ---- a reference json() -----------------------------------------------------------------------
 * The documented contract, written plainly one byte at a time (no blocks, no memo), to check the
 * runtime's scanner against on random and broken lines. */
typedef struct { const char *p, *end; } ref_in;

static int ref_ws(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static void ref_skip_ws(ref_in *in) { while (in->p < in->end && ref_ws(*in->p)) in->p++; }

/* A string whose opening quote was passed: its raw bytes [*raw, *raw_end); 0 if unterminated. */
static int ref_string(ref_in *in, const char **raw, const char **raw_end) {
  *raw = in->p;
  while (in->p < in->end) {
    char c = *in->p++;
    if (c == '"') {
      *raw_end = in->p - 1;
      return 1;
    }
    if (c == '\\') {
      if (in->p >= in->end) return 0;
      in->p++;
    }
  }
  return 0;
}

static int ref_hex(const char *p, const char *end, uint32_t *v) {
  *v = 0;
  if (end - p < 4) return 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    int d = isdigit((unsigned char)c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
          : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0) return 0;
    *v = *v * 16 + (uint32_t)d;
  }
  return 1;
}

/* Decodes raw[0..end) into out; its length, or -1 when an escape is malformed. */
static int64_t ref_decode(const char *raw, const char *end, char *out) {
  int64_t n = 0;
  while (raw < end) {
    if (*raw != '\\') {
      out[n++] = *raw++;
      continue;
    }
    if (end - raw < 2) return -1;
    char c = raw[1];
    const char *simple = strchr("\"\\/bfnrt", c);
    if (c && simple) {
      out[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
      raw += 2;
      continue;
    }
    uint32_t cp, lo;
    if (c != 'u' || !ref_hex(raw + 2, end, &cp)) return -1;
    raw += 6;
    if (cp >= 0xD800 && cp <= 0xDBFF && end - raw >= 6 && raw[0] == '\\' && raw[1] == 'u' &&
        ref_hex(raw + 2, end, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      raw += 6;
    } else if (cp >= 0xD800 && cp <= 0xDFFF) {
      cp = 0xFFFD;
    }
    n += rt_utf8_encode(cp, out + n);
  }
  return n;
}

static int ref_digits(ref_in *in) {
  const char *from = in->p;
  while (in->p < in->end && isdigit((unsigned char)*in->p)) in->p++;
  return in->p > from;
}

/* Passes any value; 0 when it is malformed or cut. */
static int ref_value(ref_in *in) {
  if (in->p >= in->end) return 0;
  const char *raw, *raw_end;
  char c = *in->p;
  if (c == '"') return in->p++, ref_string(in, &raw, &raw_end);
  if (c == '[' || c == '{') {
    int depth = 0;
    while (in->p < in->end) {
      char d = *in->p++;
      if (d == '"' && !ref_string(in, &raw, &raw_end)) return 0;
      if (d == '[' || d == '{') depth++;
      if ((d == ']' || d == '}') && --depth == 0) return 1;
    }
    return 0;
  }
  static const char *const words[] = {"true", "false", "null", "NaN", "Infinity", "-Infinity"};
  for (int i = 0; i < 6; i++) {
    size_t k = strlen(words[i]);
    if ((size_t)(in->end - in->p) >= k && !memcmp(in->p, words[i], k)) return in->p += k, 1;
  }
  if (*in->p == '-') in->p++;
  if (in->p < in->end && *in->p == '0') in->p++;
  else if (!ref_digits(in)) return 0;
  if (in->p < in->end && *in->p == '.' && (in->p++, !ref_digits(in))) return 0;
  if (in->p < in->end && (*in->p == 'e' || *in->p == 'E')) {
    in->p++;
    if (in->p < in->end && (*in->p == '+' || *in->p == '-')) in->p++;
    if (!ref_digits(in)) return 0;
  }
  return 1;
}

/* json(line, key) by the contract: the value's text (decoded for a string) into out. */
static int ref_json(const char *s, int64_t n, const char *key, char *out, int64_t *out_len) {
  ref_in in = {s, s + (n > 0 ? n : 0)};
  ref_skip_ws(&in);
  if (in.p >= in.end || *in.p++ != '{') return 0;
  ref_skip_ws(&in);
  if (in.p < in.end && *in.p == '}') return 0;
  for (;;) {
    const char *raw, *raw_end;
    if (in.p >= in.end || *in.p++ != '"' || !ref_string(&in, &raw, &raw_end)) return 0;
    char name[512];
    int64_t name_len = ref_decode(raw, raw_end, name);
    int match = name_len == (int64_t)strlen(key) && !memcmp(name, key, (size_t)name_len);
    ref_skip_ws(&in);
    if (in.p >= in.end || *in.p++ != ':') return 0;
    ref_skip_ws(&in);
    const char *v = in.p;
    if (!ref_value(&in)) return 0;
    const char *vend = in.p;
    ref_skip_ws(&in);
    if (in.p >= in.end || (*in.p != ',' && *in.p != '}')) return 0;
    if (match) {
      if (*v != '"') return memcpy(out, v, (size_t)(vend - v)), *out_len = vend - v, 1;
      *out_len = ref_decode(v + 1, vend - 1, out);
      return *out_len >= 0;
    }
    if (*in.p++ == '}') return 0;
    ref_skip_ws(&in);
  }
}

/* Random lines from members of every kind, with white space, escapes, nesting, cuts and stray
 * bytes, at random places in a buffer of quotes and backslashes: the runtime's json() (fresh and
 * through a memo) answers what the reference does. */
static void test_matches_reference(void) {
  static const char *const keys[] = {"a", "b", "ad_id", "event_type", "k\xc3\xa9", "x\"y", "",
                                     "long_key_of_more_than_sixteen_bytes"};
  static const char *const key_forms[] = {"\"a\"", "\"b\"", "\"ad_id\"", "\"ad\\u005fid\"",
                                          "\"event_type\"", "\"k\\u00e9\"", "\"x\\\"y\"", "\"\"",
                                          "\"long_key_of_more_than_sixteen_bytes\"", "\"zz\""};
  static const char *const values[] = {"1", "-0.5e+3", "true", "null", "NaN", "-Infinity",
                                       "\"view\"", "\"\"", "\"a\\\\\"", "\"q\\\"z\\n\"",
                                       "\"\\ud83d\\ude00\\ud83d\"", "[1,{\"a\":\"]\"},[]]",
                                       "{\"a\":{\"b\":\"}\"}}",
                                       "\"0123456789abcdef0123456789abcdef0123\"",
                                       "01", "1.", "\"\\x\"", "tru", "\"unterminated"};
  static const char *const gaps[] = {"", "", "", " ", "\t", "\r\n "};
  static const char strays[] = "\"\\{}[],: a0";
  char *buf = aligned_alloc(64, 2048);
  char line[1024], want[1024];
  dsc_rt_json_memo memo;
  memo_seed = 99;
  for (int round = 0; round < 3000; round++) {
    int len = 0, members = (int)memo_rand(9);
    const char *lead = gaps[memo_rand(6)], *open = gaps[memo_rand(6)];
    len += snprintf(line + len, sizeof line - (size_t)len, "%s{%s", lead, open);
    for (int m = 0; m < members && len < 800; m++) {
      const char *before = gaps[memo_rand(6)], *k = key_forms[memo_rand(10)];
      const char *colon = gaps[memo_rand(6)], *after = gaps[memo_rand(6)];
      const char *v = values[memo_rand(memo_rand(4) ? 14 : 19)]; /* the broken ones less often */
      len += snprintf(line + len, sizeof line - (size_t)len, "%s%s%s:%s%s%s", m ? "," : "", before,
                      k, colon, v, after);
    }
    len += snprintf(line + len, sizeof line - (size_t)len, "}%s", gaps[memo_rand(6)]);
    if (memo_rand(4) == 0) line[memo_rand((uint32_t)len)] = strays[memo_rand(sizeof strays - 1)];
    if (memo_rand(3) == 0) len = (int)memo_rand((uint32_t)len + 1);
    int at = (int)memo_rand(200);
    memset(buf, memo_rand(2) ? '"' : '\\', 2048);
    memcpy(buf + at, line, (size_t)len);
    const char *l = buf + at;
    memset(&memo, 0, sizeof memo);
    for (int q = 0; q < 4; q++) {
      const char *key = keys[memo_rand(8)];
      int64_t want_len = 0;
      dsc_str got, got_memo;
      int r_want = ref_json(l, len, key, want, &want_len);
      int32_t r = dsc_rt_json_get(&w, l, len, key, (int64_t)strlen(key), &got);
      int32_t r_memo =
          dsc_rt_json_get_memo(&w, &memo, l, len, key, (int64_t)strlen(key), &got_memo);
      CU_ASSERT_EQUAL_FATAL(r, r_want);
      CU_ASSERT_EQUAL_FATAL(r_memo, r_want);
      if (!r_want) continue;
      CU_ASSERT_FATAL(got.len == want_len && !memcmp(got.ptr, want, (size_t)want_len));
      CU_ASSERT_FATAL(got_memo.len == want_len && !memcmp(got_memo.ptr, want, (size_t)want_len));
    }
  }
  free(buf);
  rt_worker_reset(&w);
}

int main(void) {
  rt_worker_init(&w, 0);
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("json", NULL, NULL);
  CU_add_test(s, "scalars", test_scalars);
  CU_add_test(s, "unescaped string is a view", test_string_view_without_escapes);
  CU_add_test(s, "escapes and escaped keys", test_escapes);
  CU_add_test(s, "nested arrays and objects", test_nested);
  CU_add_test(s, "not objects, malformed", test_not_objects_and_malformed);
  CU_add_test(s, "truncated and garbage input", test_truncations_stay_in_bounds);
  CU_add_test(s, "full values", test_full_values);
  CU_add_test(s, "quotes and escapes at every offset", test_string_offsets);
  CU_add_test(s, "lines at every alignment of a block", test_block_alignments);
  CU_add_test(s, "random and broken lines against a plain reference", test_matches_reference);
  CU_add_test(s, "several keys of one string through a memo", test_memo_matches_fresh_scans);
  int failed = dsc_cunit_run();
  rt_worker_free(&w);
  return failed;
}
