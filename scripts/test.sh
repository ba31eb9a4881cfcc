#!/usr/bin/env bash
# Install what is missing, build, and run every test with ctest: first a normal
# build with warnings as errors, then one under AddressSanitizer and
# UndefinedBehaviorSanitizer; between them, each fuzz harness runs briefly
# under libFuzzer. The output ends in ctest's summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"

jobs=$(nproc)
echo "== build (warnings are errors)"
BUILD_DIR="$root/build" "$root/scripts/build.sh" -DWICKET_WERROR=ON -DWICKET_SANITIZE=OFF
echo "== build with ASan and UBSan"
BUILD_DIR="$root/build-asan" "$root/scripts/build.sh" -DWICKET_WERROR=ON -DWICKET_SANITIZE=ON

status=0
# Every fuzz harness under libFuzzer with ASan and UBSan, briefly (fuzz/fuzz.sh --long runs them for hours).
echo "== fuzzing, 3 s per harness"
"$root/fuzz/fuzz.sh" --seconds 3 || status=1
echo "== tests"
(cd "$root/build" && ctest --output-on-failure -j"$jobs") || status=1
echo "== tests under ASan and UBSan"
(cd "$root/build-asan" && ctest --output-on-failure -j"$jobs") || status=1
exit $status
