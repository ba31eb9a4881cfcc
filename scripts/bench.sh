#!/usr/bin/env bash
# Build and run the benchmarks; each prints a markdown table and a JSON line of
# ratios measured side by side in one run. Results: docs/performance.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
BUILD_DIR="$root/build-bench" "$root/scripts/build.sh" -DCMAKE_BUILD_TYPE=Release -DWICKET_SANITIZE=OFF
export WICKET_POLICY_DIR="$root/policies" WICKET_SOURCE_DIR="$root"
for b in "$root"/build-bench/bench/bench_*; do
  echo "== $(basename "$b")"
  "$b" "$@"
done
echo "== bench_sync.sh"
WICKET="$root/build-bench/wicket" "$root/bench/bench_sync.sh" 3
