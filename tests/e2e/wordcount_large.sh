#!/usr/bin/env bash
# A word count over ~8 MB of stdin, checked against an independent count by awk.
# The input is generated deterministically (a fixed-seed LCG over a word list, skewed so that a
# few words occur hundreds of thousands of times and most rarely), with runs of spaces and tabs
# and non-ASCII words, so that words() (Python's str.split()) and the hash table both see real
# volume.  No --manual-clock: stdin's end ends the pipeline after its final batch.  Should the
# data land in more than one batch, the per-batch counts are summed, so only the totals matter.
# Usage (from ctest): bash wordcount_large.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

cat >wc_large.ds <<'DS'
# Word count of stdin; print(n) with a large n shows every key of a batch.
batch 1s

lines = stdin()
counts = lines.flatMap(line => words(line))
              .map(w => (w, 1))
              .reduceByKey((a, b) => a + b)
counts.print(1000000)
DS
e2e_compile wc_large.ds wc_large

LC_ALL=C awk -v target=$((8 * 1024 * 1024)) '
  BEGIN {
    n = split("the of and to a in is it you that he was for on are with as I his they be at " \
              "one have this from or had by hot word but what some we can out other were all " \
              "there when up use your how said an each she which do their time if will way " \
              "about many then them write would like so these her long make thing see him two " \
              "has look more day could go come did number sound no most people my over know " \
              "water than call first who may down side been now find any new work part take " \
              "get place made live where after back little only round man year came show " \
              "every good me give our under name very through just form sentence great think " \
              "say help low line differ turn cause much mean before move right boy old too " \
              "same tell does set three want air well also play small end put home read hand " \
              "port large spell add even land here must big high such follow act why ask men " \
              "change went light kind off need house picture try us again animal point mother " \
              "world near build self earth father head stand own page should country found " \
              "answer school grow study still learn plant cover food sun four between state " \
              "keep eye never last let thought city tree cross farm hard start might story " \
              "saw far sea draw left late run caf\xc3\xa9 na\xc3\xafve \xc3\xbcber stra\xc3\x9fe " \
              "\xe6\x97\xa5\xe6\x9c\xac \xce\xbb\xcf\x8c\xce\xb3\xce\xbf\xcf\x82 " \
              "\xd0\xbc\xd0\xb8\xd1\x80 zebra quokka axolotl", w, " ")
    seed = 20240917
    bytes = 0
    while (bytes < target) {
      nw = 1 + int(rnd() * 18)
      line = ""
      for (i = 0; i < nw; i++) {
        r = rnd()
        word = w[1 + int(n * r * r * r)]         # cubed: the first words dominate
        sep = " "
        s = rnd()
        if (s < 0.03) sep = "  "
        else if (s < 0.05) sep = "\t"
        line = (i == 0 ? (s < 0.01 ? " " : "") : line sep) word
      }
      if (rnd() < 0.02) line = line " "
      print line
      bytes += length(line) + 1
    }
  }
  # 32-bit LCG, exact in double arithmetic: 69069 * 2^32 < 2^53.
  function rnd() {
    seed = (seed * 69069 + 1) % 4294967296
    return seed / 4294967296
  }' >input.txt
echo "input: $(wc -c <input.txt) bytes, $(wc -l <input.txt) lines, $(wc -w <input.txt) words"

status=0
timeout -k 5 300 ./wc_large <input.txt >output.txt 2>stderr.txt || status=$?
if ((status != 0)); then
  cat stderr.txt >&2
  e2e_fail "wc_large exited with status $status (124: timed out)"
fi

# Every line of the output is part of a pprint block; the elements are summed per word.
LC_ALL=C awk -v dashes="$(printf '%043d' 0 | tr 0 -)" '
  function bad(why) { printf "output line %d: %s: %s\n", NR, why, $0 > "/dev/stderr"; err = 1; exit 1 }
  state == 0 { if ($0 != dashes) bad("expected the dash line"); state = 1; next }
  state == 1 { if ($0 !~ /^Time: [0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$/) bad("expected Time:")
               state = 2; batches++; next }
  state == 2 { if ($0 != dashes) bad("expected the dash line"); state = 3; next }
  state == 3 {
    if ($0 == "") { state = 0; next }
    if ($0 == "...") bad("print(1000000) left elements out")
    if (substr($0, 1, 2) != "(\x27" || $0 !~ /\x27, [0-9]+\)$/) bad("not a (word, count) tuple")
    p = match($0, /\x27, [0-9]+\)$/)
    word = substr($0, 3, p - 3)
    count = substr($0, p + 3, length($0) - p - 3)
    if ((batches, word) in seen) bad("word twice in one batch")
    seen[batches, word] = 1
    total[word] += count
    next
  }
  END {
    if (err) exit 1
    if (state != 0) { print "output ends inside a batch" > "/dev/stderr"; exit 1 }
    if (batches < 1) { print "no batch printed" > "/dev/stderr"; exit 1 }
    for (word in total) print word, total[word]
  }' output.txt | LC_ALL=C sort >actual_counts.txt ||
  e2e_fail "malformed output (see $WORK/output.txt)"

LC_ALL=C awk '{ for (i = 1; i <= NF; i++) c[$i]++ } END { for (word in c) print word, c[word] }' \
  input.txt | LC_ALL=C sort >expected_counts.txt

e2e_expect_same expected_counts.txt actual_counts.txt
echo "ok: $(wc -l <expected_counts.txt) distinct words agree ($(grep -c '^Time: ' output.txt) batch(es))"

# The same input echoed by stdout(): its output streams out in 64 KiB writes while a batch is
# formatted, and must be the input line for line, in order, across batches and tasks.
cat >echo_large.ds <<'DS'
batch 1s
stdin().stdout()
DS
e2e_compile echo_large.ds echo_large
status=0
timeout -k 5 300 ./echo_large --threads 2 <input.txt >echo.txt 2>stderr.txt || status=$?
((status == 0)) || { cat stderr.txt >&2; e2e_fail "echo_large exited with status $status"; }
cmp input.txt echo.txt || e2e_fail "stdout() did not give back the input (see $WORK/echo.txt)"
echo "ok: stdout() echoed all $(wc -l <echo.txt) lines in order"
