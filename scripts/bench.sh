#!/usr/bin/env bash
# The benchmark suite (docs/performance.md): wicket against its peers (fossil,
# the git command line) and against the raw libraries (SQLite, libsodium),
# every figure a ratio or a median measured side by side in the same run.
#
#   scripts/bench.sh [--quick] [--out DIR] [--only P1,P2,...]
#
# It installs what is missing (scripts/setup.sh), builds build-bench
# (Release), runs P1..P7 and the earlier component benches, and writes
# DIR/latest.md (the tables) and DIR/latest.json (every figure), DIR being
# build-bench/results unless --out says otherwise. Each part also leaves
# DIR/<part>.md and DIR/<part>.json.
#
#   --quick   smaller sizes (see each bench/p*.sh: q FULL QUICK) so that a
#             run can be checked in about 15 minutes on a loaded 2-core
#             machine; the full run takes several hours, most of it P3's git
#             peer (10,000 signed commits a round) and P4's set-up and
#             ingest of 120,000 changesets.
#   --only    run only these parts (P1..P7, policy, envelope).
#
# For profiling one part at another size: P3_N, P3_ROUNDS (changes, rounds),
# P4_SITES, P4_N, P4_ROUNDS (establishments, changesets each, rounds),
# P6_SYNCS (edits, each followed by a sync, before P6's no-op sync).
#
# The machine may be shared and noisy: compare ratios, not absolute times
# from different runs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=0 out="" only=""
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--out) out=${2:?--out needs a folder}; shift ;;
	--only) only=${2:?--only needs a list such as P1,P4}; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done

"$root/scripts/setup.sh"
for tool in hyperfine fossil jq sqlite3 git ssh-keygen /usr/bin/time cc; do
	command -v "$tool" >/dev/null || { echo "bench: '$tool' is missing (scripts/setup.sh installs it)" >&2; exit 1; }
done
build=$root/build-bench
BUILD_DIR=$build "$root/scripts/build.sh" -DCMAKE_BUILD_TYPE=Release -DWICKET_SANITIZE=OFF
cmake --build "$build" -j2 --target bench_gen bench_record bench_ingest bench_policy bench_envelope >/dev/null

out=${out:-$build/results}
mkdir -p "$out"
out=$(cd "$out" && pwd)
export WICKET=$build/wicket BENCH_BIN=$build/bench BENCH_OUT=$out BENCH_QUICK=$quick
export WICKET_POLICY_DIR=$root/policies WICKET_SOURCE_DIR=$root
rm -f "$out"/*.md "$out"/*.json

want() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }
q() { if [ "$quick" = 1 ]; then echo "$2"; else echo "$1"; fi; }
failed=()
started=$(date +%s)

# A C bench whose stdout is a markdown table then one JSON line.
c_bench() {
	local part=$1 title=$2
	shift 2
	echo "== $part: $title" >&2
	if "$@" >"$out/$part.out"; then
		{ printf '### %s\n\n' "$title"; grep -v '^{' "$out/$part.out"; echo; } >"$out/$part.md"
		grep '^{' "$out/$part.out" | tail -n 1 >"$out/$part.json"
	else
		failed+=("$part")
	fi
	rm -f "$out/$part.out"
}
sh_bench() {
	local part=$1 script=$2
	echo "== $part: bench/$script" >&2
	bash "$root/bench/$script" || failed+=("$part")
}

want P1 && sh_bench p1 p1_edit.sh
want P2 && c_bench p2 "P2 - field changes recorded through the library in one process" \
	"$build/bench/bench_record" "$(q 100000 100000)" "$(q 3 2)"
want P3 && sh_bench p3 p3_push.sh
want P4 && sh_bench p4 p4_ingest.sh
want P5 && sh_bench p5 p5_wire.sh
want P6 && sh_bench p6 p6_noop.sh
want P7 && sh_bench p7 p7_memory.sh
want policy && c_bench policy "Policy evaluation (component)" "$build/bench/bench_policy" "$(q 41 11)"
want envelope && c_bench envelope "Sealing and opening envelopes against raw libsodium (component)" \
	"$build/bench/bench_envelope" "$(q 15 5)"

# The report: every part's table, and one JSON object holding every part's figures.
mode=$([ "$quick" = 1 ] && echo quick || echo full)
commit=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain 2>/dev/null | grep -qv '^??' && echo true || echo false)
took=$(($(date +%s) - started))
{
	printf '## Benchmarks - %s, %s run, commit %s%s, %d min\n\n' "$(date -u +%Y-%m-%d)" "$mode" "$commit" \
		"$([ "$dirty" = true ] && echo ' (with uncommitted changes)')" $((took / 60))
	for p in p1 p2 p3 p4 p5 p6 p7 policy envelope; do
		[ ! -f "$out/$p.md" ] || cat "$out/$p.md"
	done
	[ ${#failed[@]} -eq 0 ] || printf '**Failed:** %s\n' "${failed[*]}"
} >"$out/latest.md.tmp"
{
	printf '{"date":"%s","mode":"%s","commit":"%s","uncommitted_changes":%s,"seconds":%d,"failed":[%s],"results":{' \
		"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$mode" "$commit" "$dirty" "$took" \
		"$(printf '"%s",' "${failed[@]}" | sed 's/,$//; s/^""$//')"
	sep=""
	for p in p1 p2 p3 p4 p5 p6 p7 policy envelope; do
		[ -f "$out/$p.json" ] || continue
		printf '%s"%s":%s' "$sep" "$p" "$(cat "$out/$p.json")"
		sep=,
	done
	printf '}}\n'
} >"$out/latest.json.tmp"
jq . "$out/latest.json.tmp" >/dev/null || { echo "bench: the JSON report is malformed: $out/latest.json.tmp" >&2; exit 1; }
mv "$out/latest.md.tmp" "$out/latest.md"
mv "$out/latest.json.tmp" "$out/latest.json"
cat "$out/latest.md"
echo "bench: results in $out/latest.md and $out/latest.json" >&2
[ ${#failed[@]} -eq 0 ]
