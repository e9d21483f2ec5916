#!/usr/bin/env bash
# Calls the code generator (compiler/cg_expr.c) adds or saves, checked in the LLVM IR it emits.
# 1. The raw search before json() (runtime/src/search.c) is emitted
# exactly where it cannot change a result: tests/golden/json_literal.ds checks the answers; this
# checks that its ten comparisons that qualify (`== "lit"`, `!=`, the literal on the left,
# `== some("lit")`, bare-value literals, the filter, program parameters, a tuple's field) each
# call dsc_rt_json_may_give, and the two whose default is their literal (the same text, the same
# parameter) do not.  Comparisons with a value that changes per record, on a line that is
# computed, or by `<` never call it.
# 2. A line split twice the same way in one expression (`(csv(l)[0], csv(l)[1])`, also split()
#    and words()) is split once, but not across the arms of an `if`.
# 3. format()'s `%s` and `%d` without flags go straight into the buffer, not through snprintf.
# 4. A source whose lines all go to one filter that needs a literal (`contains(l, lit)`, json()
#    `== lit`, `matches(l, re)`, first of an `&&`) reads them with dsc_rt_lines_next_having,
#    which searches for the literal across lines (its json() test then parses without a second
#    search); any other source reads every line.  tests/golden/source_literal_*.ds check the
#    answers.
# Usage (from ctest): bash codegen_calls.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

calls() { # PROGRAM [FUNCTION]: how many calls of FUNCTION (default: the json search) its LLVM
  # IR has, as generated (-O0: at -O2 LLVM inlines the runtime's bitcode)
  "$DSC" compile "$1" -O0 --emit-llvm -o ir.ll 2>compile.stderr ||
    { cat compile.stderr >&2; e2e_fail "dsc compile -O0 --emit-llvm $1 failed"; }
  grep -c "call [a-z0-9]* @${2:-dsc_rt_json_may_give}(" ir.ll || true
}

n=$(calls "$SRC/tests/golden/json_literal.ds")
[[ $n == 10 ]] || e2e_fail "json_literal.ds: $n searches, want 10"

cat >other.ds <<'DS'
batch 1s
lines = stdin()
lines.map(l => (json(l, "t").getOrElse("view") == "view", json(l, "t").getOrElse("") == l,
                json(l + "", "t").getOrElse("") == "view", json(l, "t").getOrElse("") < "view",
                json(l, "t") == none, json(l, "t").getOrElse("") == "")).stdout()
DS
n=$(calls other.ds)
[[ $n == 0 ]] || e2e_fail "other.ds: $n searches, want 0"

n=$(calls "$SRC/bench/programs/ysb.ds" dsc_rt_lines_next_having)
[[ $n == 1 ]] || e2e_fail "bench/programs/ysb.ds: $n line searches, want 1"
n=$(calls "$SRC/bench/programs/ysb.ds")
[[ $n == 0 ]] || e2e_fail "bench/programs/ysb.ds: $n searches after the line search, want 0"
for t in json some contains regex; do
  n=$(calls "$SRC/tests/golden/source_literal_$t.ds" dsc_rt_lines_next_having)
  [[ $n == 1 ]] || e2e_fail "source_literal_$t.ds: $n line searches, want 1"
done
for filter in 'json(l, "t").getOrElse("") != "view"' 'len(l) > 3 && contains(l, "x")' \
    'contains(l, "x") || len(l) > 3' 'json(l, "t").getOrElse(p) == "view"' \
    'contains(l + "", "x")' 'contains(p, l)' 'json(l, "t").getOrElse("") == l' \
    '!matches(l, "x")' 'matches(lower(l), "x")'; do
  printf 'param p: string = "x"\nbatch 1s\nstdin().filter(l => %s).stdout()\n' "$filter" >f.ds
  n=$(calls f.ds dsc_rt_lines_next_having)
  [[ $n == 0 ]] || e2e_fail "filter($filter): $n line searches, want 0"
done
cat >two.ds <<'DS'
batch 1s
lines = stdin()
lines.filter(l => contains(l, "x")).stdout()
lines.count().stdout()
DS
n=$(calls two.ds dsc_rt_lines_next_having)
[[ $n == 0 ]] || e2e_fail "a source with two readers: $n line searches, want 0"
cat >splits.ds <<'DS'
batch 1s
lines = stdin()
lines.map(l => (csv(l)[0], csv(l)[1], split(l, ",")[0], split(l, ",")[1], split(l, ";")[0],
                words(l), words(l))).stdout()
lines.map(l => if len(l) > 3 then csv(l)[0] else csv(l)[1]).stdout()
DS
for fn_want in dsc_rt_csv_fields:3 dsc_rt_str_split_list:2 dsc_rt_str_words_list:1; do
  n=$(calls splits.ds "${fn_want%:*}")
  [[ $n == "${fn_want#*:}" ]] || e2e_fail "splits.ds: $n calls of ${fn_want%:*}, want ${fn_want#*:}"
done
cat >formats.ds <<'DS'
batch 1s
stdin().map(l => format("%s has %d, %5s has %-3d", l, len(l), l, len(l))).stdout()
DS
for fn_want in dsc_rt_buf_printf_plain_str:1 dsc_rt_buf_printf_str:1 dsc_rt_buf_printf_int:1; do
  n=$(calls formats.ds "${fn_want%:*}")
  [[ $n == "${fn_want#*:}" ]] || e2e_fail "formats.ds: $n calls of ${fn_want%:*}, want ${fn_want#*:}"
done
# 5. A join with a lookup table whose pairs only feed a count, a count by value or an int sum
#    per key made of the join key and the right value is fused into its left side's loop,
#    probing the kept table (plan.c); any other join keeps its grouped order.
#    tests/golden/static_table_probe.ds checks the answers.
probes() { # PROGRAM: how many joins `dsc explain` says probe a table
  local plan
  plan=$("$DSC" explain "$1" 2>&1) || e2e_fail "dsc explain $1 failed: $plan"
  grep -c 'each key looked up in the table' <<<"$plan" || true
}
for want in tests/golden/static_table_probe.ds:8 tests/golden/static_table_join.ds:1 \
            bench/programs/ysb.ds:1 examples/campaigns.ds:1; do
  n=$(cd "$SRC/$(dirname "${want%:*}")" && probes "$(basename "${want%:*}")")
  [[ $n == "${want#*:}" ]] || e2e_fail "${want%:*}: $n probing joins, want ${want#*:}"
done
for tail in '.map((k, v) => (v._1, 1)).reduceByKey((a, b) => a + b).print()' \
    '.map((k, v) => (v._2, toFloat(v._1))).reduceByKey((a, b) => a + b).print()' \
    '.map((k, v) => (v._2, v._1)).reduceByKey((a, b) => a * b).print()' \
    '.map((k, v) => (v._2, v._1)).reduceByKey((a, b) => a - b).print()' \
    '.filter(p => p._2._1 > 1).map((k, v) => (v._2, v._1)).reduceByKey((a, b) => a + b).print()' \
    '.map(p => (p._2._2, p._2._1)).reduceByKey((a, b) => a + b).print()' \
    '.map((k, v) => (v._2, v._1)).reduceByKey((a, b) => a + b).print(); j.print()' \
    '.print()' '.map((k, v) => v._1).countByValue().print()' '.countByValue().print()' \
    '.mapValues(x => x._2).countByValue().print()' '.filter(p => len(p._1) > 1).print()'; do
  printf 'batch 1s\nt = table("t.csv").map(l => (l, l))\n%s\nj%s\n' \
    'j = stdin().map(l => (l, len(l))).join(t)' "$tail" >p.ds
  n=$(probes p.ds)
  [[ $n == 0 ]] || e2e_fail "j$tail: $n probing joins, want 0"
done
cat >p.ds <<'DS'
batch 1s
t = table("t.csv").map(l => (l, l))
t.print()
stdin().map(l => (l, len(l))).join(t).map((k, v) => (v._2, v._1)).reduceByKey((a, b) => a + b).print()
DS
n=$(probes p.ds)
[[ $n == 0 ]] || e2e_fail "a table printed too (not kept): $n probing joins, want 0"
cat >p.ds <<'DS'
batch 1s
l = stdin()
l.map(x => (x, 1)).join(l.map(x => (x, x))).map((k, v) => (v._2, v._1))
 .reduceByKey((a, b) => a + b).print()
l.map(x => (x, 1)).leftOuterJoin(table("t.csv").map(x => (x, x))).map((k, v) => (k, v._1))
 .reduceByKey((a, b) => a + b).print()
DS
n=$(probes p.ds)
[[ $n == 0 ]] || e2e_fail "a stream's self-join, a leftOuterJoin: $n probing joins, want 0"

# 6. The runtime's slow paths are called in the library, not compiled into the program
#    (cg_module.c, library_paths): at -O2 the word count's IR declares them and defines none of
#    them, nor XXH3's long-key functions; the per-record helpers are still inlined (no calls).
"$DSC" compile "$SRC/examples/wordcount.ds" -O2 --emit-llvm -o o2.ll 2>compile.stderr ||
  { cat compile.stderr >&2; e2e_fail "dsc compile -O2 --emit-llvm wordcount.ds failed"; }
for fn in rt_table_insert rt_table_hash_long rt_lines_enter_run; do
  grep -q "^declare .*@$fn(" o2.ll || e2e_fail "wordcount -O2: $fn is not declared"
  ! grep -q "^define .*@$fn(" o2.ll || e2e_fail "wordcount -O2: $fn is compiled in"
done
! grep -q "^define .*@XXH3_hashLong" o2.ll || e2e_fail "wordcount -O2: XXH3's long hash is compiled in"
for fn in dsc_rt_table_upsert dsc_rt_lines_next; do
  ! grep -q "call .*@$fn(" o2.ll || e2e_fail "wordcount -O2: $fn is called, not inlined"
done
# the window's growth on all the workers, once a batch, with the table's growth code behind it
"$DSC" compile "$SRC/bench/programs/window.ds" -O2 --emit-llvm -o win.ll 2>compile.stderr ||
  { cat compile.stderr >&2; e2e_fail "dsc compile -O2 --emit-llvm window.ds failed"; }
grep -q "^declare .*@dsc_rt_table_reserve_shared(" win.ll ||
  e2e_fail "window -O2: dsc_rt_table_reserve_shared is not declared"
! grep -q "^define .*@grow_task(" win.ll || e2e_fail "window -O2: the growth's task is compiled in"
echo "PASS codegen_calls"
