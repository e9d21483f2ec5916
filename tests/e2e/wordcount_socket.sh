#!/usr/bin/env bash
# examples/wordcount.ds against a real TCP server (tests/tools/dsc_feed), under the manual clock.
#  1. Batches sealed by `@batch` lines, sent in 11-byte pieces so that lines, UTF-8 characters
#     and a CRLF terminator arrive split across reads; --stop-at-eof ends the run when the server
#     closes.  Covers consecutive spaces (Python's split(" ") yields '' words), trailing spaces, an
#     empty batch, more than 10 keys (`...`), non-ASCII words, and a final batch with no marker
#     after it (sealed by the end of the stream).
#  2. Reconnection: the server drops the first connection in the middle of a batch; the receiver
#     reconnects (Spark waits 2 s) and gets the rest; SIGTERM then stops the pipeline
#     gracefully: the line received after the last marker becomes a final batch, nothing is
#     lost, and the exit status is 0.  (The final batch has data on purpose: whether a graceful
#     stop with nothing pending prints an empty batch is left to the golden tests.)
# Expected outputs are written by hand from the semantics, in wordcount_socket*.expected.
# Usage (from ctest): bash wordcount_socket.sh DSC FEEDER WORKDIR SRCDIR
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.bash"
e2e_init "$@"
here="$SRC/tests/e2e"

e2e_compile "$SRC/examples/wordcount.ds" "$WORK/wordcount"
cd "$WORK"

# ---- 1. batches over one connection -----------------------------------------------------------
# The \r of "crlf line\r\n" is byte 33, the last of the third 11-byte piece.
{
  printf 'hello world\n'
  printf 'hello  dsc\n'
  printf 'crlf line\r\n'
  printf 'world \n'
  printf '@batch\n'
  printf 'one two three four five six seven eight nine ten eleven twelve\n'
  printf 'two three\n'
  printf '@batch\n'
  printf '@batch\n'
  printf 'na\xc3\xafve caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e caf\xc3\xa9\n'
  printf '\xce\x95\xce\xbb\xce\xbb\xce\xb7\xce\xbd\xce\xb9\xce\xba\xce\xac na\xc3\xafve\n'
  printf '@batch\n'
  printf 'last words here\n'
} >batches.txt
[[ $(head -c 34 batches.txt | tail -c 2 | od -An -tx1 | tr -d ' ') == 0d0a ]] ||
  e2e_fail "test input: CRLF not at bytes 33-34"

e2e_start_feeder batches --chunk 11 batches.txt
status=0
timeout -k 5 60 ./wordcount 127.0.0.1 "$FEED_PORT" --manual-clock --stop-at-eof --batch 10s \
  >batches.out 2>batches.err || status=$?
if ((status != 0)); then
  cat batches.err >&2
  e2e_fail "wordcount exited with status $status (124: timed out)"
fi
e2e_expect_same "$here/wordcount_socket.expected" batches.out
feed_status=0
wait "$FEED_PID" || feed_status=$?
((feed_status == 0)) || e2e_fail "feeder exited with status $feed_status"
echo "ok: batches"

# ---- 2. reconnect after the server drops the connection ---------------------------------------
# Connection 1 gets bytes 0-35 (up to and including "gamma delta\n"), connection 2 the rest and
# stays open (--hold) until the pipeline goes away.
printf 'alpha beta\nalpha\n@batch\ngamma delta\ngamma\n@batch\nomega\n' >reconnect.txt
e2e_start_feeder reconnect --connections 2 --drop-after 36 --hold reconnect.txt
./wordcount 127.0.0.1 "$FEED_PORT" --manual-clock --batch 10s >reconnect.out 2>reconnect.err &
pipeline=$!
E2E_PIDS+=("$pipeline")
e2e_wait_lines reconnect.out '^Time: ' 2 30 "$pipeline"
sleep 0.5 # "omega" came in the same packet as the second marker: let the receiver store it
kill -TERM "$pipeline"
status=0
for ((i = 0; i < 300; i++)); do
  kill -0 "$pipeline" 2>/dev/null || break
  sleep 0.1
done
kill -0 "$pipeline" 2>/dev/null && e2e_fail "wordcount still running 30 s after SIGTERM"
wait "$pipeline" || status=$?
if ((status != 0)); then
  cat reconnect.err >&2
  e2e_fail "wordcount exited with status $status after SIGTERM"
fi
e2e_expect_same "$here/wordcount_socket.reconnect.expected" reconnect.out
feed_status=0
wait "$FEED_PID" || feed_status=$?
((feed_status == 0)) || e2e_fail "feeder exited with status $feed_status"
echo "ok: reconnect"
