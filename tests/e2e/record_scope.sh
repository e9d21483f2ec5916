#!/usr/bin/env bash
# Record scopes: a fused loop whose sinks keep nothing its records point to (a sum, a count, a
# reduceByKey of ints, text output) puts what csv(), split(), upper(), str() and + make for a
# record in memory that is reused some records later, not in the batch's arena
# (runtime/src/arena.c, "record scopes").  Over 600,000 CSV lines in one batch, four programs
# must print what awk computes from the same lines, at 1, 2 and 3 threads, with early start and
# tasks of a few bytes too.  The first one's keys are made per record (upper(...) + "/" + str(...))
# and its tables are big enough that upserts wait in a ring for a few records: the keys must
# survive that.  Some names are quoted CSV fields with "" inside, whose unquoted copy is made per
# record as well.  And the batch's peak RSS must stay under 25 MB (5-17 MB measured): in the
# batch arena the records' strings and lists took 33-98 MB here.
# Usage (from ctest): bash record_scope.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

# id,name,amount; the name field of every 7th line is quoted, with a "" pair inside.  names.txt
# gets each line's name as csv() reads it.
LC_ALL=C awk -v lines=600000 '
  function rnd() { seed = (seed * 69069 + 1) % 4294967296; return seed / 4294967296 }
  BEGIN {
    seed = 99
    for (v = 0; v < 12000; v++) { # the names: enough keys for the tables to defer upserts
      n = 3 + int(rnd() * 6); vocab[v] = ""
      for (k = 0; k < n; k++)
        vocab[v] = vocab[v] substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rnd() * 26), 1)
    }
    for (i = 1; i <= lines; i++) {
      w = vocab[int(rnd() * rnd() * 12000)]
      amount = int(rnd() * 1000)
      if (i % 7 == 0) { printf "%d,\"%s\"\"q\",%d\n", i, w, amount >"data.csv"; w = w "\"q" }
      else printf "%d,%s,%d\n", i, w, amount >"data.csv"
      print w, amount >"names.txt"
    }
  }'

cat >keys.ds <<'DS'
batch 1s
stdin().map(l => csv(l)).map(f => (upper(f[1]) + "/" + str(len(f[1])), toInt(f[2])))
       .reduceByKey((a, b) => a + b).stdout()
DS
cat >sum.ds <<'DS'
batch 1s
stdin().map(l => split(l, ",")).map(f => toInt(f[len(f) - 1])).reduce((a, b) => a + b).stdout()
DS
cat >count.ds <<'DS'
batch 1s
stdin().filter(l => upper(csv(l)[1]) < "M").count().stdout()
DS
# print() keeps its first elements: copies of them, so its stage runs in a scope too
cat >show.ds <<'DS'
batch 1s
stdin().map(l => upper(csv(l)[1]) + "!").print(3)
DS
for p in keys sum count show; do e2e_compile "$p.ds" "$p"; done
# a program of a dsc built with sanitizers keeps freed memory in quarantine: no RSS bound there
sanitized=0
if grep -q 'libasan' <<<"$(ldd "$DSC" 2>/dev/null)"; then sanitized=1; fi

LC_ALL=C awk '{ s[toupper($1) "/" length($1)] += $2 }
  END { for (k in s) printf "(\x27%s\x27, %d)\n", k, s[k] }' names.txt | sort >keys.want
LC_ALL=C awk '{ s += $2 } END { print s }' names.txt >sum.want
LC_ALL=C awk 'toupper($1) < "M" { c++ } END { print c }' names.txt >count.want
rule=-------------------------------------------
{
  printf '%s\nTime: 1970-01-01 00:00:01\n%s\n' "$rule" "$rule"
  LC_ALL=C awk 'NR <= 3 { print toupper($1) "!" }' names.txt
  printf '...\n\n'
} | sort >show.want
(($(wc -l <keys.want) > 10000)) || e2e_fail "expected more than 10,000 keys: $(wc -l <keys.want)"

for p in keys sum count show; do
  for args in "--threads 1" "--threads 2" "--threads 3 --early-bytes 4096 --min-task-bytes 1000"; do
    # shellcheck disable=SC2086
    timeout -k 5 120 "./$p" --manual-clock --stats $args <data.csv >"$p.out" 2>"$p.err" ||
      { cat "$p.err" >&2; e2e_fail "$p $args exited with status $?"; }
    sort "$p.out" | cmp -s - "$p.want" || {
      sort "$p.out" | diff - "$p.want" | head -10 >&2
      e2e_fail "$p $args: not what awk computes"
    }
    rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$p.err")
    echo "$p $args: peak RSS $rss KiB"
    ((sanitized || rss < 25000)) ||
      e2e_fail "$p $args: peak RSS $rss KiB; the records' memory stayed"
  done
done
# A static stage's strings must last, as its tables point to them, but the lists csv() makes
# for its lines need not when no sink keeps a list (dsc_rt_list_scope_begin): lookup.ds's
# table of data.csv puts its field arrays in a list scope, kept.ds's keeps the lists themselves
# and must not.  Both must give, for each name on stdin, the sum awk computes; lookup.ds prints
# the table's own copy of each name, which for a quoted name is its unquoted copy, made per line
# while the table was built (a key this short is copied into the table).
cat >lookup.ds <<'DS'
batch 1s
amounts = table("data.csv").map(l => csv(l)).map(f => (f[1], (f[1], toInt(f[2]))))
stdin().map(n => (n, 1)).join(amounts).map((n, v) => v._2).reduceByKey((a, b) => a + b).stdout()
DS
cat >kept.ds <<'DS'
batch 1s
rows = table("data.csv").map(l => csv(l)).map(f => (f[1], f))
stdin().map(n => (n, 1)).join(rows).map((n, v) => (n, toInt(v._2[2]))).reduceByKey((a, b) => a + b)
       .stdout()
DS
for p in lookup kept; do e2e_compile "$p.ds" "$p"; done
"$DSC" compile lookup.ds --emit-llvm -o lookup.ll && "$DSC" compile kept.ds --emit-llvm -o kept.ll
grep -q 'call void @dsc_rt_list_scope_begin' lookup.ll || e2e_fail "lookup.ds: no list scope"
! grep -q 'call void @dsc_rt_list_scope_begin' kept.ll || e2e_fail "kept.ds: its lists in a scope"
LC_ALL=C awk '{ print $1 }' names.txt | LC_ALL=C sort -u >names.in
LC_ALL=C awk '{ s[$1] += $2 } END { for (k in s) printf "(\x27%s\x27, %d)\n", k, s[k] }' names.txt |
  sort >lookup.want
for p in lookup kept; do
  for args in "--threads 1" "--threads 3"; do
    # shellcheck disable=SC2086
    timeout -k 5 120 "./$p" --manual-clock --stats $args <names.in >"$p.out" 2>"$p.err" ||
      { cat "$p.err" >&2; e2e_fail "$p $args exited with status $?"; }
    sort "$p.out" | cmp -s - lookup.want || {
      sort "$p.out" | diff - lookup.want | head -10 >&2
      e2e_fail "$p $args: not what awk computes"
    }
    rss=$(sed -n 's/.*peak_rss_kib=\([0-9]*\).*/\1/p' "$p.err")
    echo "$p $args: peak RSS $rss KiB"
  done
done
echo "PASS"
