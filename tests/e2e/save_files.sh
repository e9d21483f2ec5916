#!/usr/bin/env bash
# saveAsTextFiles(prefix, suffix): one file per batch named prefix-TIME_IN_MS.suffix (no
# ".suffix" when the suffix is empty), one element a line as print shows it, written through a
# temporary file and rename so no half-written or temporary file is left behind.
# Usage (from ctest): bash save_files.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

cat >save.ds <<'DS'
param out: string = "out"
batch 2s
counts = stdin().flatMap(l => words(l)).map(w => (w, 1)).reduceByKey((a, b) => a + b)
counts.saveAsTextFiles(out + "/counts", "txt")
counts.map(kv => kv._1).saveAsTextFiles(out + "/words")
DS
e2e_compile save.ds save
mkdir -p out
printf 'b a b\n@batch\n@batch\nzé "q"\n' | ./save --manual-clock --out out >run.out 2>run.err ||
  e2e_fail "save exited $?: $(cat run.err)"

expect_file() {
  local name=$1 want=$2
  [[ -f out/$name ]] || e2e_fail "missing out/$name; have: $(ls out)"
  [[ $(cat "out/$name") == "$want" ]] || e2e_fail "out/$name is '$(cat "out/$name")', want '$want'"
}
expect_file counts-2000.txt "$(printf "('b', 2)\n('a', 1)")"
expect_file counts-4000.txt ""
expect_file counts-6000.txt "$(printf "('zé', 1)\n('\"q\"', 1)")"
expect_file words-2000 "$(printf 'b\na')"
expect_file words-6000 "$(printf 'zé\n"q"')"
n=$(find out -type f | wc -l)
[[ $n == 6 ]] || e2e_fail "expected exactly 6 files (no temporaries), found $n: $(ls -a out)"
echo "save_files: OK"
