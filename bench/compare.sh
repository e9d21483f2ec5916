#!/usr/bin/env bash
# bench/compare.sh — the bench programs built by an older commit's compiler against the current
# ones, run alternately on the same inputs: on a shared host whose speed drifts from one minute
# to the next, an old/new pair measured together is the fair test of a change.
#
#   bench/compare.sh [--reps N] [--only LIST] [--threads LIST] REV
#
#   REV           a commit (hash, tag, HEAD~3...): its compiler and runtime are built in a
#                 temporary worktree, with its own CMake build (Release)
#   --reps N      runs of each binary per workload and thread count (default 9), interleaved
#   --only LIST   comma-separated subset of: wc,wc1s,ysb,ysb300k,window (default: all)
#   --threads L   comma-separated thread counts (default 1,2)
#
# Inputs and the measure tool come from bench/run.sh's work directory ($BENCH_WORK, default
# /tmp/dsc-bench; run bench/run.sh once first).  The current compiler is $DSC, by default
# build-lead/dsc, built first as run.sh builds it.  Prints, per workload and thread count, the fastest and
# the median wall time (ms) of each binary and new/old of each: below 1.00 the change is faster.
# Never run by ctest.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
REPS=9
ONLY="wc,wc1s,ysb,ysb300k,window"
THREADS="1,2"
REV=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reps) REPS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --threads) THREADS=$2; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    *) REV=$1 ;;
  esac
  shift
done
[ -n "$REV" ] || { echo "usage: bench/compare.sh [--reps N] [--only LIST] [--threads LIST] REV" >&2; exit 2; }
want() { [[ ",$ONLY," == *",$1,"* ]]; }

WORK=${BENCH_WORK:-/tmp/dsc-bench}
D=$WORK/data
M=$WORK/bin/measure
[ -x "$M" ] || { echo "compare.sh: no $M: run bench/run.sh once first" >&2; exit 1; }
if [ -z "${DSC:-}" ]; then # the working tree's compiler, brought up to date as run.sh does
  DSC=$ROOT/build-lead/dsc
  [ -f "$ROOT/build-lead/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$ROOT/build-lead" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-lead" -j"$(nproc)" --target dsc dsc_rt >/dev/null || exit 1
  cmake --build "$ROOT/build-lead" -j"$(nproc)" --target dsc_rt_bitcode >/dev/null 2>&1
fi
[ -x "$DSC" ] || { echo "compare.sh: no compiler at $DSC" >&2; exit 1; }
OLD_SHA=$(git -C "$ROOT" rev-parse --verify "$REV^{commit}") || exit 1

TMP=$(mktemp -d)
cleanup() {
  git -C "$ROOT" worktree remove --force "$TMP/src" >/dev/null 2>&1
  rm -rf "$TMP"
}
trap cleanup EXIT

echo "[compare] building the compiler of $REV ($OLD_SHA) in $TMP" >&2
git -C "$ROOT" worktree add -q --detach "$TMP/src" "$OLD_SHA" || exit 1
cmake -S "$TMP/src" -B "$TMP/build" -DCMAKE_BUILD_TYPE=Release >/dev/null || exit 1
cmake --build "$TMP/build" -j"$(nproc)" --target dsc dsc_rt >/dev/null || exit 1
# the runtime bitcode, where that commit has it
cmake --build "$TMP/build" -j"$(nproc)" --target dsc_rt_bitcode >/dev/null 2>&1

mkdir -p "$TMP/bin"
for p in wordcount ysb window; do
  DSC_RUNTIME_DIR=$TMP/build/runtime "$TMP/build/dsc" compile "$BENCH/programs/$p.ds" -O2 -march=native \
    -o "$TMP/bin/old_$p" || exit 1
  "$DSC" compile "$BENCH/programs/$p.ds" -O2 -march=native -o "$TMP/bin/new_$p" || exit 1
done

# pair NAME INPUT PROGRAM ARGS...: REPS alternating runs of old and new at each thread count
pair() {
  local name=$1 in=$2 prog=$3 t i b
  shift 3
  [ -s "$in" ] || { echo "compare.sh: no input $in: run bench/run.sh once first" >&2; return; }
  for t in ${THREADS//,/ }; do
    for ((i = 0; i < REPS; i++)); do
      for b in old new; do
        "$M" "$TMP/m" --in "$in" --out /dev/null -- "$TMP/bin/${b}_$prog" "$@" --threads "$t" || continue
        read -r w _ <"$TMP/m"
        echo "$b $w"
      done
    done | awk -v name="$name" -v t="$t" '
      { v[$1] = v[$1] " " $2 / 1e6 }
      END {
        for (b in v) {
          n[b] = split(v[b], a, " ")
          for (i = 2; i <= n[b]; i++) # insertion sort: mawk has no asort
            for (j = i; j > 1 && a[j - 1] > a[j]; j--) { x = a[j]; a[j] = a[j - 1]; a[j - 1] = x }
          lo[b] = a[1]; med[b] = a[int((n[b] + 1) / 2)]
        }
        printf "%-14s %s thr  old %8.1f / %8.1f   new %8.1f / %8.1f   new/old %.2f / %.2f\n",
               name, t, lo["old"], med["old"], lo["new"], med["new"], lo["new"] / lo["old"], med["new"] / med["old"]
      }'
  done
}

echo "$REV ($OLD_SHA) against the working tree's compiler, $REPS runs each, interleaved"
echo "wall ms: fastest / median"
want wc && pair wordcount-1batch "$D/zipf_100mb.txt" wordcount --manual-clock
want wc1s && pair wordcount-1s "$D/zipf_100mb_10mbps.txt" wordcount --manual-clock
want ysb && pair ysb "$D/events_40s_10000.json" ysb --campaigns "$D/campaigns.csv" --manual-clock
want ysb300k && pair ysb-300k-ads "$D/events_40s_10000.json" ysb --campaigns "$D/campaigns_300k.csv" --manual-clock
want window && pair window "$D/keys_1000000_60mb.txt" window --manual-clock
exit 0
