#!/usr/bin/env bash
# Window and state memory stays bounded by what the window or the live keys need: a long
# manual-clock stream whose keys keep changing runs through a sliding window, an incremental
# window, updateStateByKey (which drops idle keys), mapWithState with a timeout (ended keys are
# rebuilt away) and mapWithState whose few keys get a new string state on every record (the
# rebuild must also reclaim the old states), and an incremental window whose values are such
# strings; the peak resident set of a run four times as long
# must not be much larger (the binary reports it with --stats).
# Usage (from ctest): bash state_memory.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

cat >mem.ds <<'DS'
batch 1s
pairs = stdin().flatMap(l => words(l)).map(w => (w, 1))
pairs.window(5s, 1s).count().stdout()
pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 10s, 2s, kv => kv._2 > 0).count().stdout()
pairs.reduceByKeyAndWindow((a, b) => a + b, 6s, 3s).count().stdout()
pairs.updateStateByKey((vs, s) => if len(vs) == 0 then none else some(len(vs) + s.getOrElse(0))).count().stdout()
pairs.mapWithState((k, v, s) => ((k, s.getOrElse(0) + 1), some(s.getOrElse(0) + 1)), timeout = 3s).count().stdout()
pairs.map(kv => (substr(kv._1, 0, 4), kv._1)).mapWithState((k, v, s) => (k, v)).count().stdout()
big = pairs.map(kv => kv._1 + kv._1 + kv._1 + kv._1).map(w => (substr(w, 0, 4), w + w + w + w))
big.reduceByKeyAndWindow((a, b) => b, (a, b) => a, 4s, 1s).count().stdout()
DS
e2e_compile mem.ds mem

# batch b holds 200 words drawn from keys b*50 .. b*50+99: keys live for two batches, then die
gen() {
  awk -v batches="$1" 'BEGIN {
    for (b = 0; b < batches; b++) {
      line = ""
      for (k = 0; k < 200; k++) line = line " key" (b * 50 + (k * 7) % 100) "_" sprintf("%040d", k % 3)
      print line
      print "@batch"
    }
  }'
}
gen 1000 >short.txt
gen 4000 >long.txt
peak() {
  ./mem --manual-clock --stats <"$1" >"$1.out" 2>"$1.err" || e2e_fail "mem exited $? on $1: $(tail -3 "$1.err")"
  sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$1.err"
}
short=$(peak short.txt)
long=$(peak long.txt)
[[ -n $short && -n $long ]] || e2e_fail "no --stats line in stderr: $(cat short.txt.err)"
lines=$(wc -l <long.txt.out)
# every batch: the window count, the state count, the two mapWithState counts and the window of
# strings; every 2nd and 3rd: the two other windows
[[ $lines == 23333 ]] || e2e_fail "expected 4000 + 2000 + 1333 + 4 x 4000 output lines, got $lines"
echo "peak RSS: 1000 batches ${short} KiB, 4000 batches ${long} KiB"
# 4x the batches may not cost more than 25% more memory (plus 2 MiB of allocator noise)
((long <= short * 125 / 100 + 2048)) || e2e_fail "memory grows with the stream: ${short} KiB -> ${long} KiB"
echo "state_memory: OK"
