#!/usr/bin/env bash
# The golden-test runner: compiles each NAME.ds with dsc and compares what happens with the
# expectation files next to it (or in --expect-dir).  README.md in this directory describes
# the file conventions; in short:
#   NAME.err     the program must be rejected: `dsc compile` exits 1 with exactly this stderr
#   NAME.out     otherwise: the stdout of `WORK/NAME --manual-clock ARGS < NAME.in`, and again
#                with `--threads 3 --early-bytes 1 --mmap --min-task-bytes 1` added (a program
#                that exits 0 must not depend on the number of workers, on a batch started
#                before it is complete, nor on whether its input file was read or mapped)
#   NAME.in      stdin of the run (default /dev/null)
#   NAME.args    extra command-line words for the run; @WORK@ = the case's scratch directory
#   NAME.stderr  if present, the run's stderr must equal it too
#   NAME.plan    if present, the output of `dsc explain NAME.ds` (the stage plan) must equal it
#   NAME.exit    the run's expected exit status (default 0)
# --update rewrites NAME.out / NAME.err / NAME.stderr from the actual results and prints the diff
# it made: review every one before committing.  Runs compile and program with the .ds file's
# directory as the current directory, so diagnostics name the file by its base name.
set -uo pipefail

usage() {
  echo "usage: run.sh --dsc PATH --work DIR [--expect-dir DIR] [--update] CASE.ds..." >&2
  exit 2
}

# An absolute version of a path, without requiring that it exist.
abspath() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}

dsc='' work='' expect_dir='' update=0
cases=()
while (($#)); do
  case $1 in
    --dsc) (($# >= 2)) || usage; dsc=$2; shift 2 ;;
    --work) (($# >= 2)) || usage; work=$2; shift 2 ;;
    --expect-dir) (($# >= 2)) || usage; expect_dir=$2; shift 2 ;;
    --update) update=1; shift ;;
    -h | --help) usage ;;
    --) shift; cases+=("$@"); break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) cases+=("$1"); shift ;;
  esac
done
[[ -n $dsc && -n $work && ${#cases[@]} -gt 0 ]] || usage
[[ $dsc == */* ]] || dsc=$(command -v "$dsc") || { echo "run.sh: no $dsc in PATH" >&2; exit 2; }
dsc=$(abspath "$dsc")
[[ -x $dsc ]] || { echo "run.sh: $dsc is not an executable" >&2; exit 2; }
work=$(abspath "$work")
mkdir -p "$work" || exit 2
[[ -z $expect_dir ]] || expect_dir=$(abspath "$expect_dir")
timeout_s=${DSC_GOLDEN_TIMEOUT:-60}

failures=0

# Per case: why it failed (joined into its one FAIL line) and the details printed below it.
reasons=()
details=

fail() { reasons+=("$1"); }

# Appends at most the last 40 lines of a file, indented, to the details.
show() {
  local label=$1 file=$2
  [[ -s $file ]] || return 0
  {
    echo "  --- $label (last 40 lines):"
    tail -n 40 "$file" | sed 's/^/  | /'
  } >>"$details"
}

# Compares an expectation with the actual output; under --update rewrites the expectation and
# prints the diff it made.  Returns 0 when they agree or the expectation was rewritten.
check_file() {
  local what=$1 expected=$2 actual=$3
  if [[ -f $expected ]] && cmp -s "$expected" "$actual"; then
    return 0
  fi
  local old=$expected
  [[ -f $expected ]] || old=/dev/null
  if ((update)); then
    diff -u --label "a/${expected##*/}" --label "b/${expected##*/}" "$old" "$actual"
    cp "$actual" "$expected" || return 1
    updated=1
    return 0
  fi
  fail "$what differs from ${expected##*/}"
  diff -u --label "expected/${expected##*/}" --label "actual/${expected##*/}" \
    "$old" "$actual" >>"$details"
  return 1
}

# Runs one case; its outcome is reported by report().
run_case() {
  local ds=$1
  local dir base name edir
  dir=$(cd "$(dirname "$ds")" && pwd) || { fail "cannot enter the directory of $ds"; return; }
  base=$(basename "$ds")
  name=${base%.ds}
  edir=${expect_dir:-$dir}
  local exp="$edir/$name"
  local bin="$work/$name" scratch="$work/$name.d"
  local c_err="$work/$name.compile.stderr" r_out="$work/$name.stdout" r_err="$work/$name.stderr"

  [[ -f $dir/$base ]] || { fail "no such file"; return; }
  local mode
  if [[ -f $exp.err ]]; then
    mode=reject
  elif [[ -f $exp.out ]]; then
    mode=run
  elif ((update)); then
    mode=new
  else
    fail "no expectation ($name.out or $name.err); run with --update and review"
    return
  fi

  rm -rf "$scratch" "$bin"
  mkdir -p "$scratch" || { fail "cannot create $scratch"; return; }

  local status
  (cd "$dir" && timeout -k 5 "$timeout_s" "$dsc" compile "$base" -o "$bin") \
    >"$work/$name.compile.stdout" 2>"$c_err"
  status=$?

  # Under --update a case without expectations is a rejection case if the compiler says no.
  if [[ $mode == new ]]; then
    if ((status == 1)); then mode=reject; else mode=run; fi
  fi

  if [[ $mode == reject ]]; then
    if ((status == 0)); then
      fail "compiled, but $name.err says it must be rejected (delete $name.err to make it a run test)"
    elif ((status != 1)); then
      fail "dsc compile exited with status $status, expected 1"
      show "dsc stderr" "$c_err"
    else
      check_file "diagnostic" "$exp.err" "$c_err"
    fi
    return
  fi

  if ((status != 0)); then
    if ((status == 124)); then
      fail "dsc compile timed out after ${timeout_s}s"
    else
      fail "dsc compile failed with status $status"
    fi
    show "dsc stderr" "$c_err"
    return
  fi
  if [[ ! -x $bin ]]; then
    fail "dsc compile succeeded but wrote no executable $bin"
    return
  fi

  # Extra arguments: whitespace-separated words, quotes honoured as xargs does, no expansion.
  local args=() word
  if [[ -f $exp.args ]]; then
    while IFS= read -r -d '' word; do
      args+=("${word//@WORK@/$scratch}")
    done < <(xargs -r printf '%s\0' <"$exp.args")
  fi
  local input=/dev/null
  [[ -f $exp.in ]] && input="$exp.in"

  (cd "$dir" && TZ=UTC timeout -k 5 "$timeout_s" "$bin" --manual-clock "${args[@]}") \
    <"$input" >"$r_out" 2>"$r_err"
  status=$?

  local want_status=0
  [[ -f $exp.exit ]] && want_status=$(tr -d ' \t\r\n' <"$exp.exit")
  if ((status == 124)) && [[ $want_status != 124 ]]; then
    fail "timed out after ${timeout_s}s"
    show "stderr" "$r_err"
    return
  fi
  check_file "stdout" "$exp.out" "$r_out"
  [[ -f $exp.stderr ]] && check_file "stderr" "$exp.stderr" "$r_err"
  if [[ -f $exp.plan ]]; then
    (cd "$dir" && "$dsc" explain "$base") >"$work/$name.plan" 2>&1
    check_file "plan" "$exp.plan" "$work/$name.plan"
  fi
  [[ $status == "$want_status" ]] || fail "exit status $status, expected $want_status"
  # Whatever the program said on stderr helps explain a failure, unless it is diffed already.
  if ((${#reasons[@]})) && [[ ! -f $exp.stderr ]]; then
    show "stderr" "$r_err"
  fi

  # The output must not depend on how many workers split each batch: run again with three
  # (an odd count, so task boundaries fall inside lines and keys), in a fresh scratch directory
  # at the same path, and expect the same stdout.  --early-bytes 1 lets the first stage start on
  # any input that arrives before its batch is complete (how much does is up to timing).
  # --mmap maps NAME.in, where the first run read it with read(2).  --min-task-bytes 1
  # splits even the smallest input into three tasks.
  if ((!update && !${#reasons[@]} && want_status == 0)) && [[ " ${args[*]} " != *" --threads "* ]]; then
    local t_out="$work/$name.threads3.stdout"
    rm -rf "$scratch" && mkdir -p "$scratch"
    (cd "$dir" && TZ=UTC timeout -k 5 "$timeout_s" "$bin" --manual-clock "${args[@]}" --threads 3 --early-bytes 1 --mmap --min-task-bytes 1) \
      <"$input" >"$t_out" 2>"$work/$name.threads3.stderr"
    status=$?
    if ((status != 0)); then
      fail "exit status $status with --threads 3"
      show "stderr with --threads 3" "$work/$name.threads3.stderr"
    elif ! cmp -s "$exp.out" "$t_out"; then
      fail "stdout with --threads 3 differs from ${exp##*/}.out"
      diff -u --label "expected/${exp##*/}.out" --label "actual/--threads 3" "$exp.out" "$t_out" >>"$details"
    fi
  fi
}

# Prints the one line for a case (then its details) and returns 1 for a failure.
report() {
  local name=$1
  if ((${#reasons[@]})); then
    local joined=${reasons[0]} r
    for r in "${reasons[@]:1}"; do joined+="; $r"; done
    echo "FAIL $name: $joined"
    cat "$details"
    return 1
  fi
  if ((updated)); then echo "UPDATED $name"; else echo "PASS $name"; fi
  return 0
}

details=$(mktemp "$work/.details.XXXXXX") || exit 2
trap 'rm -f "$details"' EXIT
for ds in "${cases[@]}"; do
  reasons=()
  updated=0
  : >"$details"
  run_case "$ds"
  name=$(basename "$ds")
  report "${name%.ds}" || failures=$((failures + 1))
done

if ((failures)); then
  echo "$failures of ${#cases[@]} golden case(s) failed"
  exit 1
fi
exit 0
