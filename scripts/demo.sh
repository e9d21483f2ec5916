#!/usr/bin/env bash
# The README's first command: installs what is missing, builds dsc, compiles
# examples/wordcount.ds and runs it on examples/data/sample.txt served over TCP by the test
# feeder, exactly as it would read from `nc -lk 9999`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/deps.sh
bash scripts/build.sh build

echo "== dsc compile examples/wordcount.ds -o build/wordcount"
build/dsc compile examples/wordcount.ds -o build/wordcount

tmp=$(mktemp -d)
feeder=''
cleanup() {
  if [[ -n $feeder ]]; then kill "$feeder" 2>/dev/null || true; wait "$feeder" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

build/tests/dsc_feed --port-file "$tmp/port" examples/data/sample.txt >/dev/null &
feeder=$!
for _ in $(seq 100); do
  [[ -s $tmp/port ]] && break
  sleep 0.05
done
[[ -s $tmp/port ]] || { echo "demo: the feeder did not start" >&2; exit 1; }
port=$(<"$tmp/port")

echo "== build/wordcount 127.0.0.1 $port --stop-at-eof --batch 1s"
build/wordcount 127.0.0.1 "$port" --stop-at-eof --batch 1s
