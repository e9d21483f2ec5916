# Shared helpers for the end-to-end tests in tests/e2e/*.sh (sourced, never run by ctest: ctest
# takes only the top-level *.sh files).  Every test is started as
#     bash tests/e2e/NAME.sh DSC FEEDER WORKDIR SRCDIR
# and calls e2e_init "$@" first.  Background processes started here (the feeder, a pipeline under
# test) are killed by an EXIT trap, so a failing test leaves nothing running.
# shellcheck shell=bash disable=SC2034

set -euo pipefail

E2E_PIDS=()

e2e_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

e2e_cleanup() {
  local pid
  for pid in "${E2E_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${E2E_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

# Sets DSC, FEEDER, WORK (emptied) and SRC, all absolute; output times are printed in UTC.
e2e_init() {
  (($# == 4)) || { echo "usage: $0 DSC FEEDER WORKDIR SRCDIR" >&2; exit 2; }
  DSC=$(realpath "$1")
  FEEDER=$(realpath "$2")
  WORK=$(realpath -m "$3")
  SRC=$(realpath "$4")
  [[ -x $DSC ]] || e2e_fail "no dsc executable at $DSC"
  [[ -x $FEEDER ]] || e2e_fail "no feeder executable at $FEEDER"
  [[ $WORK != / && -n $WORK ]] || e2e_fail "refusing work directory '$WORK'"
  rm -rf "$WORK"
  mkdir -p "$WORK"
  export TZ=UTC
  trap e2e_cleanup EXIT
}

# e2e_compile FILE.ds OUT: compiles with dsc, failing the test with the diagnostics.
e2e_compile() {
  local src=$1 out=$2
  if ! "$DSC" compile "$src" -o "$out" 2>"$WORK/compile.stderr"; then
    cat "$WORK/compile.stderr" >&2
    e2e_fail "dsc compile $src failed"
  fi
  [[ -x $out ]] || e2e_fail "dsc compile wrote no executable $out"
}

# e2e_start_feeder TAG FEEDER-ARGS...: starts the feeder in the background and waits for its port.
# Sets FEED_PID and FEED_PORT; its stdout/stderr go to $WORK/feed.TAG.{out,err}.
e2e_start_feeder() {
  local tag=$1
  shift
  local port_file="$WORK/feed.$tag.port"
  rm -f "$port_file"
  "$FEEDER" --port-file "$port_file" "$@" >"$WORK/feed.$tag.out" 2>"$WORK/feed.$tag.err" &
  FEED_PID=$!
  E2E_PIDS+=("$FEED_PID")
  local i
  for ((i = 0; i < 200; i++)); do
    [[ -s $port_file ]] && break
    kill -0 "$FEED_PID" 2>/dev/null || { cat "$WORK/feed.$tag.err" >&2; e2e_fail "feeder died"; }
    sleep 0.05
  done
  [[ -s $port_file ]] || e2e_fail "feeder wrote no port file in 10 s"
  FEED_PORT=$(<"$port_file")
}

# e2e_wait_lines FILE REGEX COUNT TIMEOUT_S PID: waits until FILE has COUNT lines matching REGEX
# (grep -E); fails if PID exits first or the time runs out.
e2e_wait_lines() {
  local file=$1 regex=$2 count=$3 timeout_s=$4 pid=$5
  local deadline=$((SECONDS + timeout_s)) have
  while :; do
    have=$(grep -cE "$regex" "$file" 2>/dev/null || true)
    ((have >= count)) && return 0
    kill -0 "$pid" 2>/dev/null || e2e_fail "process $pid ended with $have of $count lines /$regex/ in $file"
    ((SECONDS < deadline)) || e2e_fail "only $have of $count lines /$regex/ in $file after ${timeout_s}s"
    sleep 0.1
  done
}

# e2e_expect_same EXPECTED ACTUAL: byte-for-byte comparison, unified diff on failure.
e2e_expect_same() {
  if ! cmp -s "$1" "$2"; then
    diff -u --label "expected/${1##*/}" --label "actual/${2##*/}" "$1" "$2" >&2 || true
    e2e_fail "${2##*/} differs from ${1##*/}"
  fi
}
