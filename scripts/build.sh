#!/usr/bin/env bash
# Configure and build wicket into BUILD_DIR (default: build). Extra arguments go to cmake.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" 2>&1 | grep -vE '^\[ *[0-9]+%\]|^(gmake|make)\[[0-9]+\]' || true
test -x "$build/wicket" || { echo "build failed: no wicket binary in $build" >&2; exit 1; }
