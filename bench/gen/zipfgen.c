/* zipfgen — a deterministic text corpus: pseudo-words drawn from a Zipf distribution.
 *
 *   zipfgen [--bytes N] [--vocab K] [--zipf S] [--seed X] [--min-words A] [--max-words B]
 *           [--batch-lines L] [--stats FILE]
 *
 * No dictionary file is needed: the K distinct words are built from syllables (onset + vowel
 * + optional coda, 1 to 4 syllables) by a seeded xoshiro256** generator and de-duplicated; the
 * list is then sorted by length (stably) so that, as in a natural language, the frequent words
 * are the short ones.  Word of rank r (1-based) is drawn with probability proportional to
 * 1/r^S (S = 0 gives a uniform draw over the vocabulary, used for the many-keys window workload)
 * through a precomputed CDF and a binary search.  Lines hold A..B words separated by single
 * spaces.  Output stops at the first line end at or past N bytes.  --batch-lines L writes an
 * `@batch` marker line after every L lines (the manual-clock batching of the 1 s workloads).
 * --stats FILE gets "lines words bytes batches" (bytes of text, markers excluded).
 * The same options and seed always give the same bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_s[4];

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256** */
static uint64_t rng_next(void) {
  uint64_t r = rotl(rng_s[1] * 5, 7) * 9, t = rng_s[1] << 17;
  rng_s[2] ^= rng_s[0]; rng_s[3] ^= rng_s[1]; rng_s[1] ^= rng_s[2]; rng_s[0] ^= rng_s[3];
  rng_s[2] ^= t; rng_s[3] = rotl(rng_s[3], 45);
  return r;
}

static void rng_seed(uint64_t seed) { /* splitmix64 expands the seed */
  for (int i = 0; i < 4; i++) {
    uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    rng_s[i] = z ^ (z >> 31);
  }
}

static double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }
static uint64_t rng_below(uint64_t n) { return rng_next() % n; }

typedef struct word { char text[24]; int len; int order; } word;

static int by_len(const void *a, const void *b) {
  const word *x = a, *y = b;
  return x->len != y->len ? x->len - y->len : x->order - y->order;
}

static uint64_t fnv(const char *s, int n) {
  uint64_t h = 1469598103934665603ULL;
  for (int i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
  return h;
}

/* K distinct pseudo-words, de-duplicated with an open-addressing set. */
static word *make_vocab(long k) {
  static const char *onset[] = {"b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p",
                                "r", "s", "t", "v", "w", "z", "br", "ch", "cr", "dr", "fl",
                                "gr", "pl", "pr", "sh", "st", "th", "tr", "", ""};
  static const char *vowel[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "y", "oo"};
  static const char *coda[] = {"", "", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck"};
  const int no = sizeof onset / sizeof *onset, nv = sizeof vowel / sizeof *vowel,
            nc = sizeof coda / sizeof *coda;
  word *v = calloc((size_t)k, sizeof *v);
  size_t cap = 1;
  while (cap < (size_t)k * 2) cap <<= 1;
  int64_t *set = malloc(cap * sizeof *set);
  memset(set, -1, cap * sizeof *set);
  long n = 0;
  while (n < k) {
    word w = {{0}, 0, (int)n};
    int syl = 1 + (int)rng_below(4);
    for (int s = 0; s < syl; s++) {
      const char *parts[3] = {onset[rng_below(no)], vowel[rng_below(nv)], coda[rng_below(nc)]};
      for (int p = 0; p < 3; p++) {
        int l = (int)strlen(parts[p]);
        if (w.len + l < (int)sizeof w.text) { memcpy(w.text + w.len, parts[p], l); w.len += l; }
      }
    }
    size_t h = fnv(w.text, w.len) & (cap - 1);
    int dup = 0;
    while (set[h] >= 0) {
      if (v[set[h]].len == w.len && !memcmp(v[set[h]].text, w.text, w.len)) { dup = 1; break; }
      h = (h + 1) & (cap - 1);
    }
    if (dup) continue;
    set[h] = n;
    v[n++] = w;
  }
  free(set);
  qsort(v, (size_t)k, sizeof *v, by_len);
  return v;
}

static long long num(const char *opt, const char *s) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || *end || v < 0) { fprintf(stderr, "zipfgen: bad value for %s: %s\n", opt, s); exit(2); }
  return v;
}

int main(int argc, char **argv) {
  long long bytes = 100LL << 20, vocab = 50000, seed = 42, minw = 1, maxw = 20, batch = 0;
  double s = 1.0;
  const char *stats = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) { fprintf(stderr, "zipfgen: %s needs a value\n", a); return 2; }
    i++;
    if (!strcmp(a, "--bytes")) bytes = num(a, v);
    else if (!strcmp(a, "--vocab")) vocab = num(a, v);
    else if (!strcmp(a, "--zipf")) s = atof(v);
    else if (!strcmp(a, "--seed")) seed = num(a, v);
    else if (!strcmp(a, "--min-words")) minw = num(a, v);
    else if (!strcmp(a, "--max-words")) maxw = num(a, v);
    else if (!strcmp(a, "--batch-lines")) batch = num(a, v);
    else if (!strcmp(a, "--stats")) stats = v;
    else { fprintf(stderr, "zipfgen: unknown option %s\n", a); return 2; }
  }
  if (vocab < 1 || minw < 1 || maxw < minw) { fputs("zipfgen: bad options\n", stderr); return 2; }
  rng_seed((uint64_t)seed);
  word *v = make_vocab(vocab);
  double *cdf = malloc((size_t)vocab * sizeof *cdf), acc = 0;
  for (long r = 0; r < vocab; r++) cdf[r] = acc += 1.0 / (s == 0 ? 1.0 : __builtin_pow(r + 1.0, s));
  for (long r = 0; r < vocab; r++) cdf[r] /= acc;
  static char out[1 << 16];
  size_t used = 0;
  long long written = 0, lines = 0, words = 0, batches = 0;
  while (written < bytes) {
    long nw = minw + (long)rng_below((uint64_t)(maxw - minw + 1));
    for (long j = 0; j < nw; j++) {
      double u = rng_unit();
      long lo = 0, hi = vocab - 1;
      while (lo < hi) { long mid = (lo + hi) / 2; if (cdf[mid] < u) lo = mid + 1; else hi = mid; }
      if (used + 64 > sizeof out) { fwrite(out, 1, used, stdout); used = 0; }
      if (j) out[used++] = ' ';
      memcpy(out + used, v[lo].text, v[lo].len);
      used += v[lo].len;
      written += v[lo].len + (j > 0);
    }
    out[used++] = '\n';
    written++;
    words += nw;
    lines++;
    if (batch && lines % batch == 0) {
      if (used + 8 > sizeof out) { fwrite(out, 1, used, stdout); used = 0; }
      memcpy(out + used, "@batch\n", 7);
      used += 7;
      batches++;
    }
  }
  fwrite(out, 1, used, stdout);
  if (batch && lines % batch) batches++;
  if (!batch) batches = 1;
  if (stats) {
    FILE *f = fopen(stats, "w");
    if (!f) { perror(stats); return 1; }
    fprintf(f, "%lld %lld %lld %lld\n", lines, words, written, batches);
    fclose(f);
  }
  return fflush(stdout) ? 1 : 0;
}
