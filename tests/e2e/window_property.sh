#!/usr/bin/env bash
# Property test: reduceByKeyAndWindow with an inverse function (incremental: add the batch that
# enters, subtract the one that leaves) gives, at every slide, the same (key, count) set as the
# plain form that combines the window's panes — on a long random input with empty batches,
# several seeds and several window shapes.  Keys whose count fell to 0 are dropped by the
# filter, which the plain form never shows.
# Usage (from ctest): bash window_property.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

shapes=("3s 1s" "5s 1s" "6s 2s" "4s 4s")
i=0
for shape in "${shapes[@]}"; do
  read -r len slide <<<"$shape"
  cat >"p$i.ds" <<DS
batch 1s
pairs = stdin().flatMap(l => words(l)).map(w => (w, toInt(substr(w, 1, 3))))
pairs.reduceByKeyAndWindow((a, b) => a + b, $len, $slide).map(kv => "P " + kv._1 + " " + str(kv._2)).stdout()
pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, $len, $slide, kv => kv._2 != 0).map(kv => "I " + kv._1 + " " + str(kv._2)).stdout()
pairs.count().map(n => "B").stdout()
DS
  e2e_compile "p$i.ds" "p$i"
  i=$((i + 1))
done

for seed in 1 2 3; do
  # 60 batches; each has 0-12 words k<1-2 digits>, so keys repeat, vanish and come back
  awk -v seed="$seed" 'BEGIN {
    srand(seed)
    for (b = 0; b < 60; b++) {
      n = int(rand() * 13); if (rand() < 0.15) n = 0
      line = ""
      for (k = 0; k < n; k++) line = line " k" int(rand() * 15 + 1)
      print line
      print "@batch"
    }
  }' >"in$seed.txt"
  for ((j = 0; j < i; j++)); do
    "./p$j" --manual-clock <"in$seed.txt" >"out$seed.$j" 2>"err$seed.$j" || e2e_fail "p$j exited $? on seed $seed"
    # number the batches at the B markers, then compare the sorted plain and incremental sets
    awk '/^B$/ { batch++; next } { print $1, batch, $2, $3 }' "out$seed.$j" >"tagged$seed.$j"
    grep '^P ' "tagged$seed.$j" | cut -d' ' -f2- | sort >"plain$seed.$j"
    grep '^I ' "tagged$seed.$j" | cut -d' ' -f2- | sort >"incr$seed.$j"
    [[ -s "plain$seed.$j" ]] || e2e_fail "seed $seed shape ${shapes[$j]}: no output at all"
    diff "plain$seed.$j" "incr$seed.$j" >"diff$seed.$j" ||
      e2e_fail "seed $seed shape ${shapes[$j]}: plain and incremental windows differ: $(head -5 "diff$seed.$j")"
  done
done
echo "window_property: OK"
