#!/usr/bin/env bash
# Run the libFuzzer harnesses (fuzz/fuzz_<name>.c) under ASan and UBSan.
#
#   fuzz/fuzz.sh [--long] [--seconds N] [--reseed] [NAME...]
#
# Configures and builds a clang build directory with -DWICKET_FUZZ=ON
# (build-fuzz beside the sources, or $WICKET_FUZZ_BUILD), then runs each
# harness named (default: all) for N seconds: 20 by default, 3600 with
# --long (hours in all). Each run starts from the seed corpus
# (fuzz/corpus/NAME), the regressions (fuzz/regressions/NAME) and what
# earlier runs found (BUILD/corpus/NAME, where new inputs are kept). It
# prints, per harness, the executions, the coverage and the corpus size, and
# the path of any input that crashed, leaked, hung or broke a check
# (kept in BUILD/findings/NAME/); the exit status is 1 when there was one.
# To keep a finding as a regression: fix the bug, then copy the input into
# fuzz/regressions/NAME/ (the ctest test fuzz_NAME_replay replays it).
#
# --reseed regenerates the seeds made with the library (fuzz/make_seeds.c)
# into fuzz/corpus/ instead of fuzzing: run it after a format changes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${WICKET_FUZZ_BUILD:-$root/build-fuzz}
seconds=20
reseed=0
names=()

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --long) seconds=3600 ;;
    --seconds) [ $# -ge 2 ] || { usage >&2; exit 2; }; seconds=$2; shift ;;
    --seconds=*) seconds=${1#--seconds=} ;;
    --reseed) reseed=1 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "fuzz.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    *) names+=("$1") ;;
  esac
  shift
done
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: --seconds takes a whole number" >&2; exit 2 ;; esac

all=()
for f in "$root"/fuzz/fuzz_*.c; do n=${f##*/fuzz_}; all+=("${n%.c}"); done
[ ${#names[@]} -gt 0 ] || names=("${all[@]}")
for n in "${names[@]}"; do
  [ -f "$root/fuzz/fuzz_$n.c" ] || { echo "fuzz.sh: no harness '$n' (have: ${all[*]})" >&2; exit 2; }
done

# The longest input each format is fuzzed with: above its seeds, far below its caps.
max_len() {
  case "$1" in
    trust|trust_signed) echo 8192 ;;
    policy_data|policy_script) echo 32768 ;;
    bundle|bundle_signed) echo 131072 ;;
    *) echo 65536 ;;
  esac
}

command -v clang >/dev/null || { echo "fuzz.sh: clang is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
echo "== fuzz: building $build (clang, libFuzzer, ASan, UBSan)"
cmake -S "$root" -B "$build" -DCMAKE_C_COMPILER=clang -DWICKET_FUZZ=ON -DWICKET_WERROR=OFF \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
rm -f "$build.configure.log"
targets=()
if [ $reseed = 1 ]; then targets=(fuzz_make_seeds); else for n in "${names[@]}"; do targets+=("fuzz_$n"); done; fi
cmake --build "$build" -j"${WICKET_FUZZ_JOBS:-2}" --target "${targets[@]}" >"$build/build.log" 2>&1 \
  || { tail -40 "$build/build.log" >&2; exit 1; }

export WICKET_SOURCE_DIR="$root" WICKET_POLICY_DIR="${WICKET_POLICY_DIR:-$root/policies}"
# Harness stores live in memory (/dev/shm) when there is one: fuzzing needs no durability.
tmp=$(mktemp -d "$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/wk-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
export TMPDIR=$tmp

if [ $reseed = 1 ]; then
  "$build/fuzz/fuzz_make_seeds" "$tmp/seeds"
  for d in "$tmp"/seeds/*/; do
    n=$(basename "$d"); mkdir -p "$root/fuzz/corpus/$n"; cp "$d"* "$root/fuzz/corpus/$n/"
  done
  echo "fuzz.sh: seeds copied into fuzz/corpus/"
  exit 0
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
summary=()
for n in "${names[@]}"; do
  work=$build/corpus/$n findings=$build/findings/$n log=$build/logs/$n.log
  mkdir -p "$work" "$findings" "$build/logs"
  seeds=()
  [ -d "$root/fuzz/corpus/$n" ] && seeds+=("$root/fuzz/corpus/$n")
  # The repository's own folders of seeds for this harness (fuzz/seed_dirs.txt).
  for dir in $(awk -v n="$n" '$1 == n { for (i = 2; i <= NF; i++) print $i }' "$root/fuzz/seed_dirs.txt"); do
    seeds+=("$root/$dir")
  done
  [ -d "$root/fuzz/regressions/$n" ] && seeds+=("$root/fuzz/regressions/$n")
  echo "== fuzz: $n for ${seconds}s (-max_len=$(max_len "$n"))"
  rc=0
  (cd "$tmp" && "$build/fuzz/fuzz_$n" -max_total_time="$seconds" -max_len="$(max_len "$n")" -timeout=20 \
     -rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix="$findings/" \
     "$work" "${seeds[@]}") >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
  found=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
  line="$n: ${execs:-?} executions (${rate:-?}/s), coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}"
  if [ $rc -ne 0 ] || [ -n "$found" ]; then
    status=1
    line="$line: FINDING (exit $rc) ${found:-see $log}"
    grep -E 'ERROR: |SUMMARY: |fuzz world: |runtime error' "$log" | head -5 | sed 's/^/    /' >&2 || true
  else
    line="$line: ok"
  fi
  echo "$line"
  summary+=("$line")
done
echo "== fuzz: summary (logs in $build/logs)"
printf '%s\n' "${summary[@]}"
exit $status
