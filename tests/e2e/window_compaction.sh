#!/usr/bin/env bash
# reduceByKeyAndWindow with an inverse function against a model of Spark's semantics, on inputs
# that make the state table compact itself many times: signed values, so a key's window value
# can reach 0 (and the filter remove it) while panes still hold values for it; a key removed
# and seen again starts from its new value, yet a pane from before still leaves through invF.
# That is what compaction must preserve: entries a pane refers to survive it, renumbered.
# Usage (from ctest): bash window_compaction.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

# The model: per batch, the leaving pane is taken out of the keys present in the state, the
# entering pane added (an absent key starts from the pane's value), then the touched keys whose
# value is 0 are removed; the state is printed as "batch key value".
cat >model.awk <<'AWK'
BEGIN { b = 0 }
function touched(p, op,   n, i, k, keys) {
  n = split(order[p], keys, " ")
  for (i = 1; i <= n; i++) {
    k = keys[i]
    if (op == "-" && (k in st)) st[k] -= pane[p, k]
    else if (op == "+") st[k] = (k in st) ? st[k] + pane[p, k] : pane[p, k]
    else if (op == "0" && (k in st) && st[k] == 0) delete st[k]
  }
}
$0 == "@batch" {
  if (b >= W) touched(b - W, "-")
  touched(b, "+")
  if (b >= W) touched(b - W, "0")
  touched(b, "0")
  for (k in st) print b, k, st[k]
  b++
  next
}
{ if (!((b, $1) in pane)) { order[b] = order[b] " " $1; pane[b, $1] = 0 } pane[b, $1] += $2 }
AWK

for w in 4 7; do
  cat >"p$w.ds" <<DS
batch 1s
pairs = stdin().map(l => split(l, " ")).map(f => (f[0], toInt(f[1])))
pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, ${w}s, 1s, kv => kv._2 != 0).map(kv => "W " + kv._1 + " " + str(kv._2)).stdout()
pairs.count().map(n => "B").stdout()
DS
  e2e_compile "p$w.ds" "p$w"
done

for seed in 1 2; do
  # 60 batches of 0-2500 records: 30% on 100 hot keys (values reach 0 while panes hold them),
  # the rest spread over 20,000 keys (they die in droves, so the state compacts every few batches)
  awk -v seed="$seed" 'BEGIN {
    srand(seed)
    for (b = 0; b < 60; b++) {
      n = int(rand() * 2500); if (rand() < 0.1) n = 0
      for (k = 0; k < n; k++) {
        v = int(rand() * 4) - 2; if (v >= 0) v++
        print "k" (rand() < 0.3 ? int(rand() * 100) : 100 + int(rand() * 20000)), v
      }
      print "@batch"
    }
  }' >"in$seed.txt"
  for w in 4 7; do
    awk -v W="$w" -f model.awk "in$seed.txt" | sort >"model$seed.$w"
    [[ -s "model$seed.$w" ]] || e2e_fail "the model printed nothing"
    for threads in 1 2; do
      "./p$w" --manual-clock --threads "$threads" <"in$seed.txt" >"out$seed.$w.$threads" 2>"err$seed.$w.$threads" ||
        e2e_fail "p$w exited $? on seed $seed: $(head -3 "err$seed.$w.$threads")"
      awk 'BEGIN { batch = 0 } /^B$/ { batch++; next } { print batch, $2, $3 }' "out$seed.$w.$threads" |
        sort >"got$seed.$w.$threads"
      diff "model$seed.$w" "got$seed.$w.$threads" >"diff$seed.$w.$threads" ||
        e2e_fail "seed $seed window ${w}s threads $threads: differs from the model: $(head -5 "diff$seed.$w.$threads")"
    done
  done
done
# A state big enough that, with several workers, its arrays grow on all of them before the keys
# new to it are inserted (table.c, "growing on all the workers"): 150,000 new keys a batch, some
# of the last batch's taken out again.  Any number of threads gives the serial update's output,
# order included.
cat >big.ds <<'DS'
batch 1s
pairs = stdin().map(l => split(l, " ")).map(f => (f[0], toInt(f[1])))
pairs.reduceByKeyAndWindow((a, b) => a + b, (a, b) => a - b, 2s, 1s, kv => kv._2 != 0).map(kv => "W " + kv._1 + " " + str(kv._2)).stdout()
DS
e2e_compile big.ds big
awk 'BEGIN {
  for (b = 0; b < 4; b++) {
    for (k = 0; k < 150000; k++) print "n" b "_" k, 1 + k % 3
    for (k = 0; k < 150000 && b; k += 7) print "n" (b - 1) "_" k, -(1 + k % 3)
    print "@batch"
  }
}' >big.txt
for threads in 1 2 3; do
  ./big --manual-clock --threads "$threads" <big.txt >"big.$threads" 2>"big.err.$threads" ||
    e2e_fail "big exited $? with $threads threads: $(head -3 "big.err.$threads")"
done
[[ $(grep -c . big.1) -gt 600000 ]] || e2e_fail "the big window printed $(grep -c . big.1) lines"
cmp -s big.1 big.2 || e2e_fail "the big window at 2 threads differs from 1 thread"
cmp -s big.1 big.3 || e2e_fail "the big window at 3 threads differs from 1 thread"
echo "window_compaction: OK"
