#!/usr/bin/env bash
# The raw search before json() (compiler/cg_expr.c, runtime/src/search.c) is emitted
# exactly where it cannot change a result: tests/golden/json_literal.ds checks the answers; this
# checks that its eleven comparisons that qualify (`== "lit"`, `!=`, the literal on the left,
# `== some("lit")`, bare-value literals, the filter, program parameters, a tuple's field) each
# call dsc_rt_json_may_give, and the one whose default equals its literal does not.  Comparisons
# with a value that changes per record, on a line that is computed, or by `<` never call it.
# Usage (from ctest): bash json_prefilter.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

calls() { # PROGRAM: how many calls of the search its LLVM IR has, as generated (-O0: at -O2
  # LLVM inlines the runtime's bitcode of it)
  "$DSC" compile "$1" -O0 --emit-llvm -o ir.ll 2>compile.stderr ||
    { cat compile.stderr >&2; e2e_fail "dsc compile -O0 --emit-llvm $1 failed"; }
  grep -c 'call i32 @dsc_rt_json_may_give' ir.ll || true
}

n=$(calls "$SRC/tests/golden/json_literal.ds")
[[ $n == 11 ]] || e2e_fail "json_literal.ds: $n searches, want 11"

cat >other.ds <<'DS'
batch 1s
lines = stdin()
lines.map(l => (json(l, "t").getOrElse("view") == "view", json(l, "t").getOrElse("") == l,
                json(l + "", "t").getOrElse("") == "view", json(l, "t").getOrElse("") < "view",
                json(l, "t") == none, json(l, "t").getOrElse("") == "")).stdout()
DS
n=$(calls other.ds)
[[ $n == 0 ]] || e2e_fail "other.ds: $n searches, want 0"

n=$(calls "$SRC/bench/programs/ysb.ds")
[[ $n == 1 ]] || e2e_fail "bench/programs/ysb.ds: $n searches, want 1"
echo "PASS json_prefilter"
