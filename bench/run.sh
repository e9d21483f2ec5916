#!/usr/bin/env bash
# bench/run.sh — dsc's benchmark suite, one command: builds the tools, generates the inputs,
# compiles the pipelines, runs every workload against its baselines and prints ONE table.
#
#   bench/run.sh [--quick] [--reps N] [--only LIST] [--profile]
#
#   --quick     small inputs and 3 repetitions: a smoke run of about a minute
#   --reps N    repetitions per measurement (default 5; the median is quoted)
#   --only L    comma-separated subset of: wc,wc1s,ysb,window,socket,latency,extra
#   --profile   also write perf summaries: the dsc word count (small input), and ysb, the window
#               and the 1 s word count at 1 and 2 threads, per thread (where the time goes)
#
# Environment: DSC (the compiler; default build-lead/dsc, brought up to date first), BENCH_WORK
# (scratch directory for data and binaries; default /tmp/dsc-bench), BENCH_MB (word-count
# corpus size, default 100), BENCH_RATE_MBPS (the input rate that sets the 1 s batches,
# default 10; 2 with --quick), CC (default cc).
#
# Every figure comes from bench/gen/measure (fork/exec + wait4: CLOCK_MONOTONIC wall time,
# ru_maxrss, user + system time).  A workload whose dsc program does not compile or link yet is
# reported as "not yet supported" and the rest goes on.  Never run by ctest.
set -uo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
QUICK=0
REPS=""
ONLY="wc,wc1s,ysb,window,socket,latency,extra"
PROFILE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1 ;;
    --reps) REPS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --profile) PROFILE=1 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

if [ $QUICK = 1 ]; then
  REPS=${REPS:-3}; WC_MB=${BENCH_MB:-10}; YSB_SECONDS=20; YSB_RATE=2000
  WIN_KEYS=100000; WIN_BATCH=20000; WIN_MB=6; LAT_SECONDS=1; STARTUP_REPS=5
  RATE_MBPS=${BENCH_RATE_MBPS:-2}
else
  REPS=${REPS:-5}; WC_MB=${BENCH_MB:-100}; YSB_SECONDS=40; YSB_RATE=10000
  WIN_KEYS=1000000; WIN_BATCH=200000; WIN_MB=60; LAT_SECONDS=3; STARTUP_REPS=20
  RATE_MBPS=${BENCH_RATE_MBPS:-10}
fi
WORK=${BENCH_WORK:-/tmp/dsc-bench}
CC=${CC:-cc}
OWN_DSC=0; [ -z "${DSC:-}" ] && OWN_DSC=1
DSC=${DSC:-$ROOT/build-lead/dsc}
NPROC=$(nproc)
mkdir -p "$WORK"/{bin,data,out,res}
RESULTS=$WORK/results.tsv
NOTES=$WORK/notes.txt
: >"$RESULTS"
: >"$NOTES"
note() { echo "$*" | tee -a "$NOTES" >&2; }
log() { echo "[bench] $*" >&2; }

# ---- prerequisites -----------------------------------------------------------------------
apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "installing $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 ||
      { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; }
  fi
}
command -v mawk >/dev/null || apt_install mawk
[ -f /usr/include/xxhash.h ] || apt_install libxxhash-dev
[ -f /usr/include/xxhash.h ] || { echo "run.sh: libxxhash-dev is required" >&2; exit 1; }
HAVE_MAWK=1; command -v mawk >/dev/null || { HAVE_MAWK=0; note "mawk: not installed, its rows are skipped"; }
HAVE_PY=1; command -v python3 >/dev/null || { HAVE_PY=0; note "python3: absent, its rows are skipped"; }

# build-lead is brought up to date on every run (a no-op when it is), or the figures would be of
# whatever runtime was last built there
if [ $OWN_DSC = 1 ]; then
  log "building dsc and its runtime in $ROOT/build-lead"
  [ -f "$ROOT/build-lead/CMakeCache.txt" ] || cmake -S "$ROOT" -B "$ROOT/build-lead" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$ROOT/build-lead" -j"$NPROC" --target dsc dsc_rt >/dev/null || { echo "run.sh: building dsc failed" >&2; exit 1; }
fi

# ---- tools and baselines -------------------------------------------------------------------
CFLAGS="-O2 -march=native -std=gnu17 -Wall -Wextra"
B=$WORK/bin
build_c() { # OUT SRC [LIBS]
  $CC $CFLAGS -o "$B/$1" "$2" ${3:-} || { echo "run.sh: compiling $2 failed" >&2; exit 1; }
}
build_c measure "$BENCH/gen/measure.c"
build_c zipfgen "$BENCH/gen/zipfgen.c" -lm
build_c eventgen "$BENCH/gen/eventgen.c"
build_c latency "$BENCH/gen/latency.c" -pthread
build_c dsc_feed "$ROOT/tests/tools/dsc_feed.c"
for b in wc ysb window; do build_c "c_$b" "$BENCH/baselines/$b.c"; done
M=$B/measure

# dsc programs: bin/dsc_NAME, or a reason in bin/dsc_NAME.err
declare -A UNSUPPORTED
compile_ds() { # NAME
  local name=$1 err=$WORK/bin/dsc_$1.err
  rm -f "$B/dsc_$name"   # never measure a binary left over from an older compiler
  if "$DSC" compile "$BENCH/programs/$name.ds" -O2 -march=native -o "$B/dsc_$name" 2>"$err"; then
    rm -f "$err"
  else
    local why
    why=$(grep -o "undefined reference to \`[a-z_0-9]*'" "$err" | sort -u | sed "s/undefined reference to //; s/[\`']//g" | head -4 | tr '\n' ' ')
    [ -n "$why" ] && why="link: missing $why" || why=$(grep -m1 "error" "$err" | cut -c1-90)
    UNSUPPORTED[$name]=$why
    note "$name.ds: not yet supported ($why)"
  fi
}
for p in wordcount ysb window wordcount_socket echo_socket; do compile_ds "$p"; done

# ---- data (cached by its parameters) --------------------------------------------------------
D=$WORK/data
WC_BYTES=$((WC_MB * 1048576))
CORPUS=$D/zipf_${WC_MB}mb.txt
if [ ! -s "$CORPUS" ] || [ ! -s "$CORPUS.stats" ]; then
  log "generating the Zipf corpus ($WC_MB MB)"
  "$B/zipfgen" --bytes "$WC_BYTES" --stats "$CORPUS.stats" >"$CORPUS"
fi
read -r WC_LINES WC_WORDS WC_TEXT _ <"$CORPUS.stats"
# 1 s batches: the lines a source delivering RATE_MBPS MB/s would bring in one second
LINES_PER_S=$(( RATE_MBPS * 1048576 * WC_LINES / WC_TEXT ))
CORPUS1S=$D/zipf_${WC_MB}mb_${RATE_MBPS}mbps.txt
if [ ! -s "$CORPUS1S" ] || [ ! -s "$CORPUS1S.stats" ]; then
  "$B/zipfgen" --bytes "$WC_BYTES" --batch-lines "$LINES_PER_S" --stats "$CORPUS1S.stats" >"$CORPUS1S"
fi
read -r _ _ _ WC1S_BATCHES <"$CORPUS1S.stats"
EVENTS=$D/events_${YSB_SECONDS}s_${YSB_RATE}.json
CAMPAIGNS=$D/campaigns.csv
if [ ! -s "$EVENTS" ] || [ ! -s "$EVENTS.stats" ]; then
  log "generating ad events"
  "$B/eventgen" --seconds "$YSB_SECONDS" --rate "$YSB_RATE" --campaigns "$CAMPAIGNS" --stats "$EVENTS.stats" >"$EVENTS"
fi
read -r YSB_EVENTS YSB_TEXT _ <"$EVENTS.stats"
# The same campaigns in a catalogue of 300,000 ads, as a real lookup table would be: the extra
# ads never occur in the events, so the output is the same; what it measures is the cost of
# the table itself (loaded once by the baselines; a table() stage that runs once in dsc).
CAMPAIGNS_BIG=$D/campaigns_300k.csv
if [ ! -s "$CAMPAIGNS_BIG" ] || [ "$CAMPAIGNS" -nt "$CAMPAIGNS_BIG" ]; then
  awk -F, '{ print; camp[NR] = $2 }
           END { for (i = 0; i < 299000; i++) printf "%08x-0000-4000-8000-%012x,%s\n", i, i, camp[i % NR + 1] }' \
    "$CAMPAIGNS" >"$CAMPAIGNS_BIG"
fi
KEYS=$D/keys_${WIN_KEYS}_${WIN_MB}mb.txt
if [ ! -s "$KEYS" ] || [ ! -s "$KEYS.stats" ]; then
  log "generating window keys"
  "$B/zipfgen" --zipf 0 --vocab "$WIN_KEYS" --min-words 1 --max-words 1 --batch-lines "$WIN_BATCH" \
    --bytes $((WIN_MB * 1048576)) --seed 3 --stats "$KEYS.stats" >"$KEYS"
fi
read -r WIN_RECS _ WIN_TEXT WIN_BATCHES <"$KEYS.stats"

# ---- measurement -------------------------------------------------------------------------
median() { sort -g | awk '{v[NR]=$1} END{if(NR==0)print "nan"; else if(NR%2)print v[(NR+1)/2]; else printf "%.0f\n", (v[NR/2]+v[NR/2+1])/2}'; }

# bench WORKLOAD IMPL THREADS RECORDS BYTES [--in F] -- CMD...: REPS runs, median into results
declare -A CWALL
# Measurements are queued per workload (bench) and run interleaved (flush_bench): each
# repetition runs every implementation once, in turn, so a change in the machine's load during
# a workload touches all of them alike and the ratios to C stay fair.  Each repetition starts one
# further along the queue, so that no implementation always follows the same one: on a host that
# takes freed memory back, a run pays for what the run before it freed (ysb-300k-ads at 2
# threads, always right after the 1-thread run, came out 0.77-0.95x of it in runs BA-BC, and
# 0.93-1.00x in interleaved runs alone).  Rows print in queue order.
# Each run's input file is read once just before it: some hosts drop the page cache behind the
# programs' backs (the twelfth session's kept 1.2 GB of cache with 22 GB free, and a ysb run
# read its events from disk), and the run after a drop would pay for the disk alone.
Q_ROW=(); Q_SPEC=(); Q_CMD=(); Q_IN=()
bench() { # WORKLOAD IMPL THREADS RECORDS BYTES MEASURE-ARGS...
  Q_ROW+=(""); Q_SPEC+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"$4"$'\t'"$5"); Q_CMD+=("$(printf '%q ' "${@:6}")")
  if [ "${6:-}" = --in ]; then Q_IN+=("$7"); else Q_IN+=(""); fi
}
queue_row() { Q_ROW+=("$1"); Q_SPEC+=(""); Q_CMD+=(""); Q_IN+=(""); }
unsupported_row() { # WORKLOAD PROGRAM
  queue_row "$(printf '%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\tnot yet supported: %s' "$1" "dsc" "${UNSUPPORTED[$2]}")"
}
skip_row() { queue_row "$(printf '%s\t%s\t-\t-\t-\t-\t-\t-\t-\t-\t%s' "$1" "$2" "$3")"; }
flush_bench() {
  local n=${#Q_CMD[@]} i j r w k u sy wl impl thr recs bytes wall rssk cpu
  local -A walls=() rss=() cpus=() failed=()
  for ((r = 0; r < REPS; r++)); do
    for ((j = 0; j < n; j++)); do
      i=$(((j + r) % n))
      [ -n "${Q_CMD[i]}" ] && [ -z "${failed[$i]:-}" ] || continue
      [ -z "${Q_IN[i]}" ] || cat "${Q_IN[i]}" >/dev/null
      if eval "\"\$M\" \"\$WORK/res/m\" ${Q_CMD[i]}" >/dev/null 2>"$WORK/res/err"; then
        read -r w k u sy _ <"$WORK/res/m"
        walls[$i]+="$w "; rss[$i]+="$k "; cpus[$i]+="$((u + sy)) "
      else
        failed[$i]=$(head -c 80 "$WORK/res/err" | tr '\n\t' '  ')
      fi
    done
  done
  for ((i = 0; i < n; i++)); do
    if [ -n "${Q_ROW[i]}" ]; then printf '%s\n' "${Q_ROW[i]}" >>"$RESULTS"; continue; fi
    IFS=$'\t' read -r wl impl thr recs bytes <<<"${Q_SPEC[i]}"
    if [ -n "${failed[$i]:-}" ]; then
      printf '%s\t%s\t%s\t-\t-\t-\t-\t-\t-\t-\tFAILED: %s\n' "$wl" "$impl" "$thr" "${failed[$i]}" >>"$RESULTS"
      continue
    fi
    wall=$(tr ' ' '\n' <<<"${walls[$i]}" | grep . | median)
    rssk=$(tr ' ' '\n' <<<"${rss[$i]}" | grep . | median)
    cpu=$(tr ' ' '\n' <<<"${cpus[$i]}" | grep . | median)
    [ "$impl" = C ] && CWALL[$wl]=$wall
    awk -v wl="$wl" -v impl="$impl" -v thr="$thr" -v ns="$wall" -v recs="$recs" -v bytes="$bytes" \
        -v rss="$rssk" -v cpu="$cpu" -v c="${CWALL[$wl]:-}" -v n="$REPS" 'BEGIN {
      s = ns / 1e9; mbs = bytes / 1048576 / s
      ratio = (c == "") ? "-" : sprintf("%.2fx", c / ns)
      printf "%s\t%s\t%s\t%.3f\t%.3f\t%.2f\t%.1f\t%.1f\t%.1f\t%s\tmedian of %d, interleaved\n", wl, impl, thr, s, cpu / 1e6, recs / s / 1e6 / thr, mbs, mbs / thr, rss / 1024, ratio, n
    }' >>"$RESULTS"
  done
  Q_ROW=(); Q_SPEC=(); Q_CMD=(); Q_IN=()
}

# correctness: sorted "key count" lines of dsc vs the C baseline
norm_tuples() { sed -n "s/^('\(.*\)', \([0-9-]*\))\$/\1 \2/p"; }
check() { # WORKLOAD DSC_OUT C_OUT [sum]
  local a=$WORK/out/$1.dsc.norm b=$WORK/out/$1.c.norm
  if [ "${4:-}" = sum ]; then
    norm_tuples <"$2" | LC_ALL=C awk '{c[$1]+=$2} END{for(k in c)print k, c[k]}' | LC_ALL=C sort >"$a"
  elif [ "${4:-}" = plain ]; then
    cp "$2" "$a"
  else
    norm_tuples <"$2" | LC_ALL=C sort >"$a"
  fi
  if [ "${4:-}" = plain ]; then cp "$3" "$b"; else LC_ALL=C sort "$3" >"$b"; fi
  if cmp -s "$a" "$b"; then
    note "check $1: OK ($(wc -l <"$b") lines equal between dsc and the C baseline)"
  else
    note "check $1: MISMATCH (dsc $(wc -l <"$a") lines, C $(wc -l <"$b") lines; see $a $b)"
  fi
}
o=$WORK/out

# ---- workload 1: word count, one batch and 1 s batches ------------------------------------------
wordcount() { # WORKLOAD INPUT BATCH_FLAG BATCHES
  local wl=$1 in=$2 bflag=$3 bytes
  bytes=$(stat -c %s "$in")
  log "$wl: $(( bytes / 1048576 )) MB, $4 batch(es)"
  bench "$wl" C 1 "$WC_WORDS" "$bytes" --in "$in" -- "$B/c_wc" $bflag
  "$B/c_wc" $bflag <"$in" >"$o/$wl.c"
  if [ -n "${UNSUPPORTED[wordcount]:-}" ]; then unsupported_row "$wl" wordcount; else
    "$B/dsc_wordcount" --manual-clock --threads 1 <"$in" >"$o/$wl.dsc"
    check "$wl" "$o/$wl.dsc" "$o/$wl.c"
    for t in 1 2; do
      bench "$wl" dsc "$t" "$WC_WORDS" "$bytes" --in "$in" -- "$B/dsc_wordcount" --manual-clock --threads "$t"
    done
  fi
  local aflag=""; [ -n "$bflag" ] && aflag="-v batches=1"
  if [ $HAVE_MAWK = 1 ]; then
    bench "$wl" mawk 1 "$WC_WORDS" "$bytes" --in "$in" -- mawk $aflag -f "$BENCH/baselines/wc.awk"
  else skip_row "$wl" mawk "skipped: mawk not installed"; fi
  if [ $HAVE_PY = 1 ]; then
    bench "$wl" python3 1 "$WC_WORDS" "$bytes" --in "$in" -- python3 "$BENCH/baselines/wc.py" $bflag
  else skip_row "$wl" python3 "skipped: python3 absent"; fi
  flush_bench
}
want wc && wordcount wordcount-1batch "$CORPUS" "" 1
want wc1s && wordcount wordcount-1s "$CORPUS1S" --batches "$WC1S_BATCHES"

# ---- workload 2: YSB-style ad events ------------------------------------------------------------
ysb_workload() { # WORKLOAD CAMPAIGNS-FILE WITH-PYTHON(0/1)
  local wl=$1 camps=$2 bytes
  bytes=$(stat -c %s "$EVENTS")
  bench $wl C 1 "$YSB_EVENTS" "$bytes" --in "$EVENTS" -- "$B/c_ysb" "$camps"
  "$B/c_ysb" "$camps" <"$EVENTS" >"$o/$wl.c"
  if [ -n "${UNSUPPORTED[ysb]:-}" ]; then unsupported_row $wl ysb; else
    "$B/dsc_ysb" --campaigns "$camps" --manual-clock --threads 1 <"$EVENTS" >"$o/$wl.dsc"
    check $wl "$o/$wl.dsc" "$o/$wl.c"
    for t in 1 2; do
      bench $wl dsc "$t" "$YSB_EVENTS" "$bytes" --in "$EVENTS" -- "$B/dsc_ysb" --campaigns "$camps" --manual-clock --threads "$t"
    done
  fi
  [ $HAVE_MAWK = 1 ] && bench $wl mawk 1 "$YSB_EVENTS" "$bytes" --in "$EVENTS" -- mawk -F'"' -v campaigns="$camps" -f "$BENCH/baselines/ysb.awk"
  [ $HAVE_PY = 1 ] && [ "$3" = 1 ] && bench $wl python3 1 "$YSB_EVENTS" "$bytes" --in "$EVENTS" -- python3 "$BENCH/baselines/ysb.py" "$camps"
  flush_bench
}
if want ysb; then
  log "ysb: $YSB_EVENTS events, $(( $(stat -c %s "$EVENTS") / 1048576 )) MB"
  ysb_workload ysb "$CAMPAIGNS" 1
  log "ysb-300k-ads: the same events, a table of 300,000 ads"
  ysb_workload ysb-300k-ads "$CAMPAIGNS_BIG" 0
fi

# ---- workload 3: sliding window with inverse over many keys --------------------------------------
if want window; then
  wl=window; bytes=$(stat -c %s "$KEYS")
  log "$wl: $WIN_RECS records over $WIN_KEYS keys, $WIN_BATCHES batches"
  bench $wl C 1 "$WIN_RECS" "$bytes" --in "$KEYS" -- "$B/c_window" --window 10
  "$B/c_window" --window 10 <"$KEYS" >"$o/$wl.c"
  if [ -n "${UNSUPPORTED[window]:-}" ]; then unsupported_row $wl window; else
    "$B/dsc_window" --manual-clock --threads 1 <"$KEYS" >"$o/$wl.dsc"
    check $wl "$o/$wl.dsc" "$o/$wl.c" plain
    for t in 1 2; do
      bench $wl dsc "$t" "$WIN_RECS" "$bytes" --in "$KEYS" -- "$B/dsc_window" --manual-clock --threads "$t"
    done
  fi
  skip_row $wl "mawk/python3" "not run: a windowed inverse reduce is no natural awk/Counter program"
  flush_bench
fi

# ---- workload 4: socket source over loopback at full speed ---------------------------------------
# dsc_feed serves the corpus from memory; the figure is bytes / (connect -> exit) of the
# receiver, i.e. the input rate it sustains.  Real-clock 1 s batches, so only totals are checked.
feed_start() { # sets FEED_PID and PORT
  rm -f "$WORK/res/port"
  "$B/dsc_feed" --port-file "$WORK/res/port" --connections 1 "$CORPUS" >/dev/null 2>&1 &
  FEED_PID=$!
  for _ in $(seq 500); do [ -s "$WORK/res/port" ] && break; sleep 0.01; done
  PORT=$(cat "$WORK/res/port")
}
socket_bench() { # IMPL THREADS CMD... (the port is appended / substituted for @PORT)
  local impl=$1 thr=$2; shift 2
  local walls=() rss=() cpus=() i port args w k u sy
  for ((i = 0; i < REPS; i++)); do
    feed_start
    args=("${@//@PORT/$PORT}")
    "$M" "$WORK/res/m" --out /dev/null -- "${args[@]}" 2>"$WORK/res/err"
    wait "$FEED_PID" 2>/dev/null
    read -r w k u sy _ <"$WORK/res/m"
    walls+=("$w"); rss+=("$k"); cpus+=("$((u + sy))")
  done
  local wall rssk cpu bytes
  wall=$(printf '%s\n' "${walls[@]}" | median); rssk=$(printf '%s\n' "${rss[@]}" | median)
  cpu=$(printf '%s\n' "${cpus[@]}" | median); bytes=$(stat -c %s "$CORPUS")
  [ "$impl" = C ] && CWALL[socket]=$wall
  awk -v impl="$impl" -v thr="$thr" -v ns="$wall" -v recs="$WC_WORDS" -v bytes="$bytes" -v rss="$rssk" \
      -v cpu="$cpu" -v c="${CWALL[socket]:-}" -v n="$REPS" 'BEGIN {
    s = ns / 1e9; mbs = bytes / 1048576 / s
    ratio = (c == "") ? "-" : sprintf("%.2fx", c / ns)
    printf "socket-wordcount\t%s\t%s\t%.3f\t%.3f\t%.2f\t%.1f\t%.1f\t%.1f\t%s\tsustained input rate, median of %d\n", impl, thr, s, cpu / 1e6, recs / s / 1e6 / thr, mbs, mbs / thr, rss / 1024, ratio, n
  }' >>"$RESULTS"
}
if want socket; then
  log "socket-wordcount: $(( $(stat -c %s "$CORPUS") / 1048576 )) MB over loopback"
  socket_bench C 1 "$B/c_wc" --connect 127.0.0.1 @PORT
  if [ -n "${UNSUPPORTED[wordcount_socket]:-}" ]; then unsupported_row socket-wordcount wordcount_socket; else
    feed_start
    "$B/dsc_wordcount_socket" --port "$PORT" --stop-at-eof --threads 1 >"$o/socket.dsc"
    wait "$FEED_PID"
    "$B/c_wc" <"$CORPUS" >"$o/socket.c"
    check socket "$o/socket.dsc" "$o/socket.c" sum
    for t in 1 2; do socket_bench dsc "$t" "$B/dsc_wordcount_socket" --port @PORT --stop-at-eof --threads "$t"; done
  fi
  flush_bench
fi

# ---- extra: compile time, binary size, start-up, latency ---------------------------------------------
EXTRA=$WORK/extra.tsv
: >"$EXTRA"
if want extra; then
  log "compile time, binary size, start-up"
  printf 'x\n' >"$WORK/res/oneline"
  for src in "$ROOT"/examples/*.ds "$BENCH"/programs/*.ds; do
    name=$(basename "$(dirname "$src")")/$(basename "$src" .ds)
    ts=()
    okc=1
    for ((i = 0; i < REPS; i++)); do
      "$M" "$WORK/res/m" -- "$DSC" compile "$src" -O2 -march=native -o "$B/x_${name//\//_}" 2>/dev/null || { okc=0; break; }
      read -r w _ _ _ _ <"$WORK/res/m"; ts+=("$w")
    done
    if [ $okc = 0 ]; then
      printf '%s\tcompile -O2\tnot yet supported\n' "$name" >>"$EXTRA"; continue
    fi
    c=$(printf '%s\n' "${ts[@]}" | median)
    printf '%s\tcompile -O2 (median of %d)\t%.0f ms\n' "$name" "$REPS" "$(echo "$c / 1000000" | bc -l)" >>"$EXTRA"
    printf '%s\tbinary size\t%d KB\n' "$name" $(( $(stat -c %s "$B/x_${name//\//_}") / 1024 )) >>"$EXTRA"
  done
  if [ -z "${UNSUPPORTED[wordcount]:-}" ]; then
    ts=()
    for ((i = 0; i < STARTUP_REPS; i++)); do
      "$M" "$WORK/res/m" --in "$WORK/res/oneline" --out /dev/null -- "$B/dsc_wordcount" --manual-clock --threads 1
      read -r w _ _ _ _ <"$WORK/res/m"; ts+=("$w")
    done
    s=$(printf '%s\n' "${ts[@]}" | median)
    printf 'programs/wordcount\tstart-up: exec -> one-line batch printed -> exit, 1 thread (median of %d)\t%.2f ms\n' "$STARTUP_REPS" "$(echo "$s / 1000000" | bc -l)" >>"$EXTRA"
    ts=()
    for ((i = 0; i < STARTUP_REPS; i++)); do
      "$M" "$WORK/res/m" --in "$WORK/res/oneline" --out /dev/null -- "$B/c_wc"
      read -r w _ _ _ _ <"$WORK/res/m"; ts+=("$w")
    done
    s=$(printf '%s\n' "${ts[@]}" | median)
    printf 'baselines/wc.c\tstart-up of the C baseline, same measure\t%.2f ms\n' "$(echo "$s / 1000000" | bc -l)" >>"$EXTRA"
  fi
  # What --threads 2 can hope for on this machine: two copies of the single-threaded C word
  # count at once, against one alone.  2.00x means two cores' worth; vCPUs that share a core or
  # memory bandwidth give less, and no program can scale past that.
  log "parallel capacity: the C word count alone and two at once"
  solo=(); pair=()
  for ((i = 0; i < REPS; i++)); do
    "$M" "$WORK/res/m" --in "$CORPUS" --out /dev/null -- "$B/c_wc"
    read -r w _ _ _ _ <"$WORK/res/m"; solo+=("$w")
    "$M" "$WORK/res/m" -- bash -c '"$1" <"$2" >/dev/null & "$1" <"$2" >/dev/null; wait' _ "$B/c_wc" "$CORPUS"
    read -r w _ _ _ _ <"$WORK/res/m"; pair+=("$w")
  done
  s=$(printf '%s\n' "${solo[@]}" | median); p=$(printf '%s\n' "${pair[@]}" | median)
  printf 'machine\tparallel capacity: 2 x C word count at once %.3f s, one alone %.3f s (median of %d)\t%.2fx one core\n' \
    "$(echo "$p / 1000000000" | bc -l)" "$(echo "$s / 1000000000" | bc -l)" "$REPS" "$(echo "2 * $s / $p" | bc -l)" >>"$EXTRA"
fi
if want latency; then
  if [ -n "${UNSUPPORTED[echo_socket]:-}" ]; then
    printf 'latency\techo_socket.ds\tnot yet supported\n' >>"$EXTRA"
  else
    for bi in 1ms 10ms 100ms; do
      log "latency: 100000 lines/s for ${LAT_SECONDS}s, batch $bi"
      r=$("$B/latency" --rate 100000 --seconds "$LAT_SECONDS" -- "$B/dsc_echo_socket" --batch "$bi" --stop-at-eof --threads 1)
      printf 'latency\tbatch %s, 100k lines/s offered, 1 thread\t%s\n' "$bi" "$r" >>"$EXTRA"
    done
  fi
fi

# ---- profile (optional) ------------------------------------------------------------------------
if [ $PROFILE = 1 ] && [ -z "${UNSUPPORTED[wordcount]:-}" ] && command -v perf >/dev/null; then
  PCORPUS=$D/zipf_20mb.txt
  [ -s "$PCORPUS" ] || "$B/zipfgen" --bytes $((20 * 1048576)) >"$PCORPUS"
  log "profile: perf stat / perf record of dsc and C word count on 20 MB"
  for prog in "$B/dsc_wordcount --manual-clock --threads 1" "$B/c_wc"; do
    perf stat -e task-clock,cycles,instructions,cache-misses,branch-misses -- $prog <"$PCORPUS" >/dev/null 2>>"$WORK/profile.txt"
  done
  perf record -q -o "$WORK/perf.data" -- "$B/dsc_wordcount" --manual-clock --threads 1 <"$PCORPUS" >/dev/null 2>&1
  perf report -q -i "$WORK/perf.data" --stdio --sort symbol 2>/dev/null | head -25 >>"$WORK/profile.txt"
  # Where the time of the workloads short of a target goes, per thread: the runtime names its
  # threads (dsc-worker-N, dsc-recv-N; the main thread keeps the program's name).  cpu-clock,
  # as virtual machines often have no hardware counters.
  profile_threads() { # LABEL INPUT CMD...
    local label=$1 in=$2
    shift 2
    perf record -q -e cpu-clock -F 4000 -o "$WORK/perf.$label.data" -- "$@" <"$in" \
      >/dev/null 2>&1 || return
    {
      echo "== $label: samples per thread"
      perf report -q -i "$WORK/perf.$label.data" --stdio --sort comm 2>/dev/null | head -8
      echo "-- top functions per thread"
      perf report -q -i "$WORK/perf.$label.data" --stdio --sort comm,symbol 2>/dev/null | head -20
    } >>"$WORK/profile.txt"
  }
  for t in 1 2; do
    [ -s "$EVENTS" ] && [ -z "${UNSUPPORTED[ysb]:-}" ] &&
      profile_threads "ysb-${t}t" "$EVENTS" "$B/dsc_ysb" --campaigns "$CAMPAIGNS" \
        --manual-clock --threads $t
    [ -s "$KEYS" ] && [ -z "${UNSUPPORTED[window]:-}" ] &&
      profile_threads "window-${t}t" "$KEYS" "$B/dsc_window" --manual-clock --threads $t
    [ -s "$CORPUS1S" ] &&
      profile_threads "wc1s-${t}t" "$CORPUS1S" "$B/dsc_wordcount" --manual-clock --threads $t
  done
  note "profile written to $WORK/profile.txt"
fi

# ---- the table ---------------------------------------------------------------------------------
echo
echo "dsc benchmarks — $(date '+%Y-%m-%d %H:%M') — $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "mode: $([ $QUICK = 1 ] && echo quick || echo full), $REPS repetitions, medians; MB/s and Mrec/s per core = total / threads; 'vs C' = C wall / wall"
echo "inputs: word count $WC_MB MB ($WC_WORDS words, Zipf 1.0 over 50000 words; 1 s batches = $LINES_PER_S lines at $RATE_MBPS MB/s, $WC1S_BATCHES batches),"
echo "        ysb $YSB_EVENTS events ($((YSB_TEXT / 1048576)) MB), window $WIN_RECS records over $WIN_KEYS keys in $WIN_BATCHES batches (10 s window, 1 s slide)"
echo
{
  printf 'workload\timpl\tthreads\twall s\tCPU s\tMrec/s/core\tMB/s\tMB/s/core\tpeak RSS MB\tvs C\tnote\n'
  cat "$RESULTS"
} | column -t -s $'\t'
# The speed-up of dsc's 2-thread row over its 1-thread row, beside the most that its CPU time
# allows on two cores (2 x the 1-thread wall / the 2-thread CPU s: the receivers' threads share
# the cores with the workers) and the machine's parallel capacity (the extra table).
awk -F'\t' '$2 == "dsc" && $3 == 1 { w1[$1] = $4 } $2 == "dsc" && $3 == 2 { w2[$1] = $4; c2[$1] = $5; order[++n] = $1 }
  END { if (n) print ""; for (i = 1; i <= n; i++) { k = order[i]; if (!(k in w1) || w2[k] <= 0 || c2[k] <= 0) continue
          printf "%s\t2 threads / 1 thread: %.2fx\tbound by CPU time: %.2fx\n", k, w1[k] / w2[k], 2 * w1[k] / c2[k] } }' \
  "$RESULTS" | column -t -s $'\t'
if [ -s "$EXTRA" ]; then echo; column -t -s $'\t' "$EXTRA"; fi
if [ -s "$NOTES" ]; then echo; cat "$NOTES"; fi
