#!/usr/bin/env bash
# `dsc compile -j N` (compiler/cg_split.c): programs of several stages compiled whole (-j1) and
# in parts on several threads (-j4) give their golden output either way, and the same program
# compiled twice in parts is the same executable byte for byte.  The golden cases run through
# tests/golden/run.sh with a dsc that adds the -j option; the default (all CPUs online) is what
# every other golden test uses.
# Usage (from ctest): bash parallel_compile.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

# joins, a static table, windows (the shared update too), state, sorting, unions and fan-out
cases=(op_joins static_table_join win_shared_update win_reduce_by_key state_update
  op_sort_top_distinct op_union chain_fanout group_deferred)

for jobs in 1 4; do
  cat >"dsc-j$jobs" <<SH
#!/usr/bin/env bash
exec "$DSC" "\$@" -j$jobs
SH
  chmod +x "dsc-j$jobs"
  paths=()
  for c in "${cases[@]}"; do paths+=("$SRC/tests/golden/$c.ds"); done
  if ! bash "$SRC/tests/golden/run.sh" --dsc "$WORK/dsc-j$jobs" --work "$WORK/j$jobs" \
    "${paths[@]}" >"run-j$jobs.log" 2>&1; then
    cat "run-j$jobs.log" >&2
    e2e_fail "golden cases failed with -j$jobs"
  fi
done

mkdir -p a b
"$DSC" compile "$SRC/examples/campaigns.ds" -j4 -o a/campaigns 2>compile.stderr ||
  { cat compile.stderr >&2; e2e_fail "dsc compile -j4 failed"; }
"$DSC" compile "$SRC/examples/campaigns.ds" -j4 -o b/campaigns 2>compile.stderr ||
  { cat compile.stderr >&2; e2e_fail "dsc compile -j4 failed"; }
cmp -s a/campaigns b/campaigns || e2e_fail "two compiles with -j4 gave different executables"

# -j takes a number from 1 to 64
for bad in -j0 -j65 -jx; do
  if "$DSC" compile "$SRC/examples/campaigns.ds" "$bad" -o bad 2>bad.stderr; then
    e2e_fail "dsc compile accepted $bad"
  fi
  grep -q "error" bad.stderr || e2e_fail "no error for $bad: $(cat bad.stderr)"
done
echo "parallel_compile: ${#cases[@]} golden cases with -j1 and -j4, deterministic parts: ok"
