#!/usr/bin/env bash
# Early start: a batch's first stage runs as task 0 on the input that has arrived before the
# batch is complete, and the batch's tasks share only the rest (sched.c).
# One program feeds every kind of per-task partial from that stage (aggregation and grouping
# tables, a counter, a fold cell, the first elements for print, a collected stream, a window
# count).  Over ~12 MB in four batches of ~3.5 MB, longer than the receiver reads ahead, it must
# print exactly what it prints with early start off, at 1, 2 and 3 threads.  Batch 2 has a
# non-ASCII line in its middle (the early part stops there), batch 3 starts with \r\n lines (no
# early part), and the last batch has no `@batch` line.  Then the same without --manual-clock:
# the input without its `@batch` lines is one wall-clock batch of an hour, sealed at its end
# (the program without its window, which would not allow an hour's batch).  Last, a word count
# must free the input it takes early.
# A join that probes a lookup table in the early stage waits for the first batch, which makes
# the table.
# Usage (from ctest): bash early_start.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

# The inputs' random numbers: an LCG in awk (awk's own rand() differs between awks).
LCG='
  function rnd() {
    seed = (seed * 69069 + 1) % 4294967296
    return seed / 4294967296
  }'

cat >early.ds <<'DS'
batch 1s
lines = stdin()
words = lines.flatMap(l => split(l, " "))
words.map(w => (w, 1)).reduceByKey((a, b) => a + b).print(4)
words.map(w => (len(w), w)).groupByKey().mapValues(ws => len(ws)).print(4)
lines.count().print()
lines.map(l => len(l)).reduce((a, b) => a + b).print()
lines.print(2)
lines.filter(l => startsWith(l, "zz")).stdout()
words.countByWindow(2s, 1s).print()
DS
e2e_compile early.ds early

LC_ALL=C awk '
  BEGIN {
    n = split("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi " \
              "omicron pi rho sigma tau upsilon phi chi psi omega one two three four five six", w, " ")
    seed = 4242
    for (b = 1; b <= 4; b++) {
      target = b == 4 ? 1000000 : 3500000
      bytes = 0
      if (b == 3) { printf "crlf first\r\nand second\r\n"; bytes += 24 }
      while (bytes < target) {
        nw = 1 + int(rnd() * 12)
        line = rnd() < 0.001 ? "zz" : ""
        for (i = 0; i < nw; i++) line = line (i || line != "" ? " " : "") w[1 + int(n * rnd() * rnd())]
        if (b == 2 && bytes < 2000000 && bytes + length(line) >= 2000000) line = line " caf\xc3\xa9"
        print line
        bytes += length(line) + 1
      }
      if (b < 4) print "@batch"
    }
  }
'"$LCG" >input.txt
echo "input: $(wc -c <input.txt) bytes, $(wc -l <input.txt) lines"

CLOCK=--manual-clock
IN=input.txt
run() { # run NAME ARGS...: stdout to NAME.out, stderr to NAME.err
  local name=$1
  shift
  local status=0
  timeout -k 5 300 ./early $CLOCK --stats "$@" <"$IN" >"$name.out" 2>"$name.err" || status=$?
  ((status == 0)) || { cat "$name.err" >&2; e2e_fail "early $* exited with status $status"; }
}

run ref --early-bytes 0 --threads 1
grep -q 'early_starts=0$' ref.err || e2e_fail "--early-bytes 0 still started early: $(cat ref.err)"
[[ $(grep -c "^Time: " ref.out) == 24 ]] || e2e_fail "expected 6 print() outputs x 4 batches: $(head -40 ref.out)"
starts=0
for threads in 1 2 3; do
  for bytes in 4096 262144; do
    run "t$threads.b$bytes" --early-bytes "$bytes" --threads "$threads"
    if ! cmp -s ref.out "t$threads.b$bytes.out"; then
      diff ref.out "t$threads.b$bytes.out" | head -20 >&2
      e2e_fail "output with --early-bytes $bytes --threads $threads differs from early start off"
    fi
    n=$(sed -n 's/.*early_starts=\([0-9]*\)$/\1/p' "t$threads.b$bytes.err")
    starts=$((starts + n))
  done
done
# Batch 1 is longer than the read-ahead, so after it the scheduler finds part of batch 2 waiting.
((starts > 0)) || e2e_fail "no run started a batch early"
echo "early starts over the six runs: $starts"

# A join that probes a lookup table from the early stage (plan.c) needs the table the first
# batch makes: no early start before that batch is done, and the same sums as without.
cat >probe.ds <<'DS'
param groups: string = "groups.csv"
batch 1s
stdin().flatMap(l => split(l, " ")).map(w => (w, len(w)))
       .join(table(groups).map(l => (csv(l)[0], csv(l)[1])))
       .map((w, v) => (v._2, v._1)).reduceByKey((a, b) => a + b).print(10)
DS
e2e_compile probe.ds early
"$DSC" explain probe.ds | grep -q 'each key looked up in the table' ||
  e2e_fail "probe.ds: the join does not probe the table: $("$DSC" explain probe.ds)"
i=0
for w in alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho \
         sigma tau upsilon phi chi psi omega one two three four five; do # no "six"
  echo "$w,g$((i++ % 4))"
done >groups.csv
echo "alpha,g9" >>groups.csv
run pref --early-bytes 0 --threads 1
starts=0
for threads in 1 2; do
  run "p$threads" --early-bytes 4096 --threads "$threads"
  cmp -s pref.out "p$threads.out" ||
    e2e_fail "probing join: output with early start, $threads threads, differs from early start off"
  n=$(sed -n 's/.*early_starts=\([0-9]*\)$/\1/p' "p$threads.err")
  starts=$((starts + n))
done
((starts > 0)) || e2e_fail "probing join: no run started a batch early"
echo "probing join: early starts over the two runs: $starts"

# Wall clock: batch times depend on when the run starts, so Time: lines are left out.  An hour's
# batch needs a program without the 2 s window.
grep -v '^@batch$' input.txt >wall.txt
grep -v 'countByWindow' early.ds >early_wall.ds
e2e_compile early_wall.ds early
CLOCK="--batch 1h"
IN=wall.txt
run wref --early-bytes 0 --threads 1
grep -v '^Time: ' wref.out >wref.cmp
starts=0
for threads in 1 2 3; do
  run "w$threads" --early-bytes 4096 --threads "$threads"
  grep -v '^Time: ' "w$threads.out" | cmp -s wref.cmp - ||
    e2e_fail "wall clock: output with --early-bytes 4096 --threads $threads differs from early start off"
  n=$(sed -n 's/.*early_starts=\([0-9]*\)$/\1/p' "w$threads.err")
  starts=$((starts + n))
done
echo "wall clock: early starts over the three runs: $starts"

# A program whose partials keep no view of the input (a word count) frees what it took early.
# With one thread the receiver waits for the early start to catch up, so one batch of 35 MB
# (the plain ASCII first batch of the input ten times) needs about 10 MiB, not its size; the
# output must still be the same.  With more threads, see below.
cat >count.ds <<'DS'
batch 1s
stdin().flatMap(l => split(l, " ")).map(w => (w, 1)).reduceByKey((a, b) => a + b).stdout()
DS
e2e_compile count.ds early
sed '/^@batch$/q' input.txt | grep -v '^@batch$' >plain.txt
for i in 1 2 3 4 5 6 7 8 9 10; do cat plain.txt; done >big.txt
CLOCK=--manual-clock
IN=big.txt
run cref --early-bytes 0 --threads 1
for threads in 1 2; do
  run "c$threads" --threads "$threads"
  cmp -s cref.out "c$threads.out" || e2e_fail "word count with early start, $threads threads, differs"
done
rss() { sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$1"; }
echo "one batch of $(wc -c <big.txt) bytes: peak RSS $(rss cref.err) KiB without early start, $(rss c1.err) KiB with"
(($(rss c1.err) + 16384 < $(rss cref.err))) || e2e_fail "early start did not free the input it took"
# With more threads too, once the source is far enough ahead the early steps run on all the
# threads (their new keys handed to the first task's table after each step), and the source
# waits for them: the batch of 35 MB peaks at about 20 MiB (two steps of 4 MiB per thread are
# read ahead).  Whether it gets that far ahead depends on how fast the early start goes, so
# only the bound is checked here; the folds below, with small steps, check that some share.
shared() { sed -n 's/.*early_shared=\([0-9]*\).*/\1/p' "$1"; }
echo "at 2 threads: peak RSS $(rss c2.err) KiB, $(shared c2.err) early steps on all the threads"
(($(rss c2.err) + 8192 < $(rss cref.err))) || e2e_fail "early start at 2 threads did not free the input"

# Every kind of partial such a step merges: tables by key (aggregation, grouping), a counter, a
# fold cell and collected elements.  With --early-share-bytes 4096 the source is far enough
# ahead once a batch has been read ahead while the one before it ran.  The folds
# compose affine maps x => a*x + b mod 997, packed as a * 1000 + b, which is associative but not
# commutative, so a merge out of input order changes them; the groups show their first and last
# values, and union its first elements.
cat >fold.ds <<'DS'
batch 1s
words = stdin().flatMap(l => split(l, " "))
maps = words.map(w => (len(w) * 37 + 11) % 997 * 1000 + len(w) * len(w) % 997)
words.map(w => (w, 1)).reduceByKey((a, b) => a + b).print(5)
words.map(w => (len(w) % 3, len(w))).groupByKey()
     .mapValues(ws => str(ws[0]) + "/" + str(ws[len(ws) - 1]) + "/" + str(len(ws))).print()
words.count().print()
maps.reduce((f, g) => f / 1000 * (g / 1000) % 997 * 1000 + (f / 1000 * (g % 1000) + f % 1000) % 997).print()
words.filter(w => startsWith(w, "ze")).map(w => len(w))
     .union(words.filter(w => startsWith(w, "xi")).map(w => 10 * len(w))).print(5)
maps.map(m => (m % 5, m))
    .reduceByKey((f, g) => f / 1000 * (g / 1000) % 997 * 1000 + (f / 1000 * (g % 1000) + f % 1000) % 997).print()
DS
e2e_compile fold.ds early
run fref --early-bytes 0 --threads 1
for threads in 2 3; do
  for bytes in 1 262144; do
    run "f$threads.b$bytes" --threads "$threads" --early-bytes "$bytes" --early-share-bytes 4096
    cmp -s fref.out "f$threads.b$bytes.out" || {
      diff fref.out "f$threads.b$bytes.out" | head -20 >&2
      e2e_fail "folds: output with --threads $threads --early-bytes $bytes differs from early start off"
    }
    n=$(shared "f$threads.b$bytes.err")
    ((n > 0)) || e2e_fail "folds: --threads $threads --early-bytes $bytes: no early step ran on all the threads"
    echo "folds: --threads $threads --early-bytes $bytes: $n early steps on all the threads"
  done
done
# A count, a distinct and a sum of ints hand over only their new keys between early steps and
# keep their task tables (cg_sink_hands_over): a key task 0 has goes on growing in the task
# that met it, and is added in at the batch's merge.  Keys keep coming new here, so the hand-over
# decides their order.  Batch 2 is read ahead while batch 1 runs, so its early steps run on all
# the threads; how far they get before its `@batch` line decides how many tasks the batch itself
# runs, never what it prints.  `--batch-tasks 1` makes the batch run one task whatever its early
# steps ran, and its merge must still add in every table they left.
cat >handover.ds <<'DS'
batch 1s
words = stdin().flatMap(l => split(l, " "))
words.map(w => (w, 1)).reduceByKey((a, b) => a + b).stdout()
words.countByValue().filter((w, n) => n > 2).stdout()
words.map(w => len(w)).distinct().count().print()
DS
e2e_compile handover.ds early
LC_ALL=C awk '
  BEGIN {
    seed = 99
    for (b = 1; b <= 3; b++) {
      bytes = 0
      while (bytes < (b < 3 ? 3000000 : 500000)) {
        line = "w" int(40 * rnd() * rnd())
        for (i = 0; i < 6; i++) line = line " k" int(200000 * rnd() * rnd() * rnd())
        print line
        bytes += length(line) + 1
      }
      if (b < 3) print "@batch"
    }
  }
'"$LCG" >handover.txt
IN=handover.txt
run href --early-bytes 0 --threads 1
for how in "2" "3" "3 --batch-tasks 1"; do
  shares=0
  for i in 1 2 3; do
    # shellcheck disable=SC2086 # $how is the thread count and more options
    run "h${how// /}.$i" --threads $how --early-bytes 1 --early-share-bytes 4096 \
      --min-task-bytes 2048
    cmp -s href.out "h${how// /}.$i.out" || {
      diff href.out "h${how// /}.$i.out" | head -20 >&2
      e2e_fail "handover: output with --threads $how differs from early start off"
    }
    shares=$((shares + $(shared "h${how// /}.$i.err")))
  done
  ((shares > 0)) || e2e_fail "handover: --threads $how: no early step ran on all the threads"
  echo "handover: --threads $how: $shares early steps on all the threads over three runs"
done
echo "PASS"
