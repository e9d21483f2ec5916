/* eventgen — deterministic ad events for the Yahoo-Streaming-Benchmark-style workload.
 *
 *   eventgen --seconds D --rate R [--seed X] --campaigns FILE.csv [--stats FILE]  > events
 *
 * Writes D*R JSON events, one a line, in the YSB layout
 *   {"user_id":UUID,"page_id":UUID,"ad_id":UUID,"ad_type":T,"event_type":E,
 *    "event_time":MS,"ip_address":"a.b.c.d"}
 * with event_time = i * 1000 / R (ms from 0, so event time second s holds events
 * [s*R, (s+1)*R)), event_type uniform over view/click/purchase and ad_id uniform over the
 * 100 campaigns x 10 ads.  An `@batch` line follows each event-time second but the last, so
 * that dsc's --manual-clock batch k holds exactly second k-1 and its 10 s windows coincide
 * with event-time windows.  --campaigns writes the static table "ad_id,campaign_id" (1000
 * lines).  --stats FILE gets "events bytes batches".
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t st = 0;
static uint64_t rng(void) { /* splitmix64 */
  uint64_t z = (st += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

static void uuid(char out[37]) {
  uint64_t a = rng(), b = rng();
  snprintf(out, 37, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(a >> 32), (unsigned)(a >> 16) & 0xffff,
           (unsigned)a & 0xffff, (unsigned)(b >> 48), (unsigned long long)(b & 0xffffffffffffULL));
}

int main(int argc, char **argv) {
  long long seconds = 60, rate = 100000, seed = 7;
  const char *campaigns = NULL, *stats = NULL;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--seconds")) seconds = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--rate")) rate = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--seed")) seed = atoll(argv[i + 1]);
    else if (!strcmp(argv[i], "--campaigns")) campaigns = argv[i + 1];
    else if (!strcmp(argv[i], "--stats")) stats = argv[i + 1];
    else { fprintf(stderr, "eventgen: unknown option %s\n", argv[i]); return 2; }
  }
  if (!campaigns || seconds < 1 || rate < 1) {
    fputs("usage: eventgen --seconds D --rate R [--seed X] --campaigns FILE.csv [--stats F]\n", stderr);
    return 2;
  }
  st = (uint64_t)seed;
  enum { NCAMP = 100, ADS_PER = 10, NADS = NCAMP * ADS_PER, NUSERS = 1000, NPAGES = 1000 };
  static char camp[NCAMP][37], ads[NADS][37], users[NUSERS][37], pages[NPAGES][37];
  for (int i = 0; i < NCAMP; i++) uuid(camp[i]);
  for (int i = 0; i < NADS; i++) uuid(ads[i]);
  for (int i = 0; i < NUSERS; i++) uuid(users[i]);
  for (int i = 0; i < NPAGES; i++) uuid(pages[i]);
  FILE *c = fopen(campaigns, "w");
  if (!c) { perror(campaigns); return 1; }
  for (int i = 0; i < NADS; i++) fprintf(c, "%s,%s\n", ads[i], camp[i / ADS_PER]);
  fclose(c);
  static const char *types[] = {"view", "click", "purchase"};
  static const char *adtypes[] = {"banner", "modal", "sponsored-search", "mail", "mobile"};
  static char buf[1 << 16];
  size_t used = 0;
  long long bytes = 0, total = seconds * rate;
  for (long long i = 0; i < total; i++) {
    if (i > 0 && i % rate == 0) { memcpy(buf + used, "@batch\n", 7); used += 7; }
    uint64_t r = rng();
    int n = snprintf(buf + used, sizeof buf - used,
                     "{\"user_id\":\"%s\",\"page_id\":\"%s\",\"ad_id\":\"%s\",\"ad_type\":\"%s\","
                     "\"event_type\":\"%s\",\"event_time\":%lld,\"ip_address\":\"%u.%u.%u.%u\"}\n",
                     users[r % NUSERS], pages[(r >> 10) % NPAGES], ads[(r >> 20) % NADS],
                     adtypes[(r >> 30) % 5], types[(r >> 33) % 3], i * 1000 / rate,
                     (unsigned)(r >> 40) & 255, (unsigned)(r >> 48) & 255, (unsigned)(r >> 56),
                     (unsigned)(r >> 36) & 255);
    used += (size_t)n;
    bytes += n;
    if (used > sizeof buf - 512) { fwrite(buf, 1, used, stdout); used = 0; }
  }
  fwrite(buf, 1, used, stdout);
  if (stats) {
    FILE *f = fopen(stats, "w");
    if (!f) { perror(stats); return 1; }
    fprintf(f, "%lld %lld %lld\n", total, bytes, seconds);
    fclose(f);
  }
  return fflush(stdout) ? 1 : 0;
}
