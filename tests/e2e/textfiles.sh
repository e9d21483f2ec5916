#!/usr/bin/env bash
# textFiles(dir, pattern, existing): like Spark's textFileStream, files moved into a watched
# directory are read once each; names starting with '.' and names not matching the pattern are
# ignored; files present at start are skipped unless existing = true; an unreadable entry is
# reported on stderr and skipped.  Under --manual-clock, `@batch` lines inside the files cut
# batches and a file named `@end` ends the source.
# Usage (from ctest): bash textfiles.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
cd "$WORK"

cat >tf.ds <<'DS'
param dir: string = "in"
param existing: bool = false
batch 1s
lines = textFiles(dir, "*.log", existing)
lines.map(l => upper(l)).print()
DS
e2e_compile tf.ds tf
mkdir -p in stage
printf 'old\n@batch\n' >in/old.log

./tf --manual-clock --dir in >run.out 2>run.err &
pid=$!
E2E_PIDS+=("$pid")
# the watch exists once the binary holds an inotify descriptor (set up when the source registers)
wait_watch() {
  local i
  for ((i = 0; i < 200; i++)); do
    ls -l "/proc/$1/fd" 2>/dev/null | grep -q inotify && { sleep 0.1; return 0; }
    sleep 0.05
  done
  e2e_fail "the binary never started watching the directory"
}
wait_watch "$pid"
printf 'alpha\nbeta\n@batch\n' >stage/one.log && mv stage/one.log in/
printf 'hidden\n' >stage/.h.log && mv stage/.h.log in/
printf 'wrong pattern\n' >stage/two.txt && mv stage/two.txt in/
ln -s /nonexistent/file stage/broken.log && mv stage/broken.log in/
printf 'gamma\n' >stage/three.log && mv stage/three.log in/
sleep 0.3
printf '' >stage/@end && mv stage/@end in/
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && e2e_fail "textFiles did not end at @end"
wait "$pid" || e2e_fail "tf exited $?: $(cat run.err)"

expected=$(printf -- '-------------------------------------------\nTime: 1970-01-01 00:00:01\n-------------------------------------------\nALPHA\nBETA\n\n-------------------------------------------\nTime: 1970-01-01 00:00:02\n-------------------------------------------\nGAMMA\n')
[[ $(cat run.out) == "$expected" ]] || e2e_fail "unexpected output:
$(cat run.out)"
grep -q "cannot read 'in/broken.log'" run.err || e2e_fail "no report of the unreadable file: $(cat run.err)"

# existing = true: the files already there are read first, in name order
rm -f in/@end in/broken.log
printf '' >stage/@end
./tf --manual-clock --dir in --existing true >run2.out 2>run2.err &
pid=$!
E2E_PIDS+=("$pid")
wait_watch "$pid"
mv stage/@end in/
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
wait "$pid" || e2e_fail "tf --existing exited $?: $(cat run2.err)"
grep -c '^OLD$' run2.out >/dev/null || e2e_fail "existing file not read: $(cat run2.out)"
[[ $(grep -cE '^(OLD|ALPHA|BETA|GAMMA)$' run2.out) == 4 ]] || e2e_fail "existing files: $(cat run2.out)"
echo "textfiles: OK"
