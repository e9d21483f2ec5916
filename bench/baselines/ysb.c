/* ysb.c — hand-written C baseline of the Yahoo-Streaming-Benchmark-style workload.
 *
 *   ysb CAMPAIGNS.csv < events
 *
 * Loads ad_id -> campaign_id, then for each JSON event finds "event_type" and "ad_id" with
 * memmem (the top-level keys, as json(line, key) does, but without a general JSON parser),
 * keeps views, and counts per (campaign, 10 s event-time window).  `@batch` lines are ignored:
 * windows come from event_time.  When a window closes (an event of a later window arrives, or
 * the input ends) it prints "campaign_id count" per campaign seen in it.
 */
#include "common.h"

static const char *field(const char *line, size_t n, const char *key, size_t klen, size_t *vlen) {
  const char *p = memmem(line, n, key, klen);
  if (!p) return NULL;
  p += klen;
  const char *end = line + n;
  if (p < end && *p == '"') {
    p++;
    const char *q = memchr(p, '"', (size_t)(end - p));
    if (!q) return NULL;
    *vlen = (size_t)(q - p);
    return p;
  }
  const char *q = p;
  while (q < end && *q != ',' && *q != '}') q++;
  *vlen = (size_t)(q - p);
  return p;
}

int main(int argc, char **argv) {
  if (argc < 2) die("usage: ysb CAMPAIGNS.csv < events");
  arena a = {0};
  table ads;        /* ad_id -> index of its campaign in camps */
  table_init(&ads, 2048);
  const char *camps[4096];
  size_t camplen[4096], ncamp = 0;
  table campidx;
  table_init(&campidx, 256);
  FILE *f = fopen(argv[1], "r");
  if (!f) die("cannot open campaigns");
  char buf[256];
  while (fgets(buf, sizeof buf, f)) {
    char *comma = strchr(buf, ',');
    if (!comma) continue;
    size_t al = (size_t)(comma - buf), cl = strcspn(comma + 1, "\r\n");
    int64_t *ci = table_get(&campidx, &a, comma + 1, cl, XXH3_64bits(comma + 1, cl));
    if (*ci == 0) {
      if (ncamp == 4096) die("too many campaigns");
      camps[ncamp] = arena_copy(&a, comma + 1, cl);
      camplen[ncamp] = cl;
      *ci = (int64_t)++ncamp;
    }
    *table_get(&ads, &a, buf, al, XXH3_64bits(buf, al)) = *ci;
  }
  fclose(f);
  int64_t counts[4096] = {0}, window = -1;
  input in;
  input_open(&in, 1, argv);
  static outbuf o;
  size_t n;
  const char *line;
  for (;;) {
    line = input_line(&in, &n);
    size_t tl = 0, al = 0, wl = 0;
    const char *t = NULL, *ad = NULL, *w = NULL;
    if (line) {
      if (is_marker(line, n)) continue;
      t = field(line, n, "\"event_type\":", 13, &tl);
      if (!t || tl != 4 || memcmp(t, "view", 4)) continue;
      ad = field(line, n, "\"ad_id\":", 8, &al);
      w = field(line, n, "\"event_time\":", 13, &wl);
      if (!ad || !w) continue;
    }
    int64_t win = line ? strtoll(w, NULL, 10) / 10000 : -2;
    if (win != window) {
      for (size_t c = 0; c < ncamp; c++)
        if (counts[c]) {
          out_bytes(&o, camps[c], camplen[c]);
          out_bytes(&o, " ", 1);
          out_int(&o, counts[c]);
          out_bytes(&o, "\n", 1);
          counts[c] = 0;
        }
      window = win;
    }
    if (!line) break;
    int64_t *ci = table_get(&ads, &a, ad, al, XXH3_64bits(ad, al));
    if (*ci) counts[*ci - 1]++; /* unknown ads are inserted as 0 and never counted */
  }
  out_flush(&o);
  return 0;
}
