#!/usr/bin/env bash
# What CI runs (.ci/run) and the README's second command: installs what is missing, builds
# build/ and runs the whole test suite, then does the same under AddressSanitizer and
# UndefinedBehaviorSanitizer in build-san/.  Both suites always run; exits 1 if either failed.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/deps.sh

failed=()

echo "== build/ (RelWithDebInfo)"
bash scripts/build.sh "$root/build"
ctest --test-dir build --output-on-failure -j2 --timeout 300 || failed+=("build/")

echo "== build-san/ (ASan + UBSan)"
bash scripts/build.sh "$root/build-san" -DDSC_SANITIZE=ON
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-san --output-on-failure -j2 --timeout 600 || failed+=("build-san/")

if ((${#failed[@]})); then
  echo "test: FAILED in ${failed[*]}"
  exit 1
fi
echo "test: all passed"
