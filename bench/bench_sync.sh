#!/usr/bin/env bash
# bench/bench_sync.sh - sync against the git command line, in the same run:
#
#  push: 10,000 pending operations (a generated action plan import) sealed,
#        committed and pushed by `wicket sync` to a file:// regional
#        repository, against `git` committing the same operations as one
#        JSON-lines file and pushing it to a bare repository;
#  no-op: `wicket sync` with nothing new, against a regional repository
#        holding 10,000 and then 100,000 changesets on a device ref already
#        seen, against `git fetch` with nothing new from the same repository.
#
# Ratios are wicket / git (lower is better), medians of ROUNDS runs.
# Usage: bench/bench_sync.sh [ROUNDS]   (needs a Release build in build-bench)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
W=${WICKET:-$root/build-bench/wicket}
rounds=${1:-5}
export WICKET_POLICY_DIR=$root/policies WICKET_PASSPHRASE="bench passphrase" WICKET_KDF=interactive
T=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench-sync.XXXXXX")
trap 'rm -rf "$T"' EXIT

ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# A region with its repository, one device enrolled and synced.
setup() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d"
	"$W" -C "$d/region" region init --region YORKS --person Officer --repo "$d/regional.git" >"$d/r.out"
	local rootk
	rootk=$(grep -E '^[0-9a-f]{64}$' "$d/r.out")
	"$W" -C "$d/site" init --site LEI --name "HMP Leeds" --category B --function reception --person P --device d1 >/dev/null
	"$W" -C "$d/site" enrol request --region YORKS --out "$d/req" >/dev/null
	"$W" -C "$d/region" region enrol "$d/req" >/dev/null
	"$W" -C "$d/region" trust export "$d/trust" >/dev/null
	"$W" -C "$d/site" trust import "$d/trust" --root "$rootk" >/dev/null
	"$W" -C "$d/site" remote set "file://$d/regional.git" >/dev/null
	"$W" -C "$d/site" sync >/dev/null
}

# An action plan of N recommendations, each with one action: about 20 operations each.
plan_json() {
	local n=$1 i
	printf '{"format":"wicket-actionplan","format_version":1,"inspection":{"id":"bench-%s","title":"Bench"},"recommendations":[' "$n"
	for ((i = 1; i <= n; i++)); do
		[ "$i" -gt 1 ] && printf ','
		printf '{"number":"%d","addressee":"HMPPS","text":"Recommendation %d text","response":"agreed","actions":[{"text":"Action %d","owner":"Owner %d","target":"June 2027"}]}' "$i" "$i" "$i" "$i"
	done
	printf ']}'
}

echo "| measure (median of $rounds, one run) | wicket (ms) | git (ms) | wicket / git |"
echo "| --- | --- | --- | --- |"

# ---- push 10,000 pending operations
wt=() gt=()
for ((r = 0; r < rounds; r++)); do
	setup "$T/p"
	plan_json 590 >"$T/plan.json"
	"$W" -C "$T/p/site" actionplan import "$T/plan.json" >/dev/null
	ops=$(sqlite3 "$T/p/site/.wicket/store.db" "SELECT count(*) FROM op WHERE changeset IS NULL")
	t0=$(ms); "$W" -C "$T/p/site" sync >/dev/null; t1=$(ms)
	wt+=($(((t1 - t0) / 1000000)))
	# git: the same operations as one JSON-lines file, committed and pushed.
	rm -rf "$T/g" && git init -q --bare "$T/g/remote.git" && git init -q "$T/g/tree"
	sqlite3 -json "$T/p/site/.wicket/store.db" "SELECT * FROM op" >"$T/g/tree/ops.json"
	t0=$(ms)
	(cd "$T/g/tree" && git add ops.json && git -c user.name=b -c user.email=b@b commit -qm ops &&
		git push -q "$T/g/remote.git" HEAD:refs/heads/main)
	t1=$(ms)
	gt+=($(((t1 - t0) / 1000000)))
done
w=$(printf '%s\n' "${wt[@]}" | median) g=$(printf '%s\n' "${gt[@]}" | median)
echo "| push $ops pending operations (seal, commit, push) | $w | $g | $(awk "BEGIN{printf \"%.2fx\", $w/$g}") |"

# ---- no-op sync against a repository holding many changesets
for size in 10000 100000; do
	setup "$T/n"
	# The region holds $size changesets of another device (d9), already seen by this device.
	blob=$(head -c 600 /dev/urandom | base64 -w0)
	{
		for ((i = 1; i <= size; i++)); do
			printf 'commit refs/heads/sites/LEI/d9\ncommitter wicket <d9@LEI> 0 +0000\ndata %d\nLEI/d9 #%d\n' "$((${#i} + 8))" "$i"
			[ "$i" -gt 1 ] || true
			printf 'M 100644 inline envelope\ndata %d\n%s\n' "$((${#blob} + 1))" "$blob"
		done
	} | git --git-dir="$T/n/regional.git" fast-import --quiet
	"$W" -C "$T/n/site" sync >/dev/null 2>&1 || true   # fetch the refs once
	tip=$(git --git-dir="$T/n/regional.git" rev-parse refs/heads/sites/LEI/d9)
	sqlite3 "$T/n/site/.wicket/store.db" "INSERT OR REPLACE INTO meta VALUES ('git.seen:refs/remotes/region/sites/LEI/d9', '$tip')"
	git clone -q --mirror "$T/n/regional.git" "$T/n/clone.git"
	wt=() gt=()
	for ((r = 0; r < rounds; r++)); do
		t0=$(ms); "$W" -C "$T/n/site" sync >/dev/null; t1=$(ms)
		wt+=($(((t1 - t0) / 1000000)))
		t0=$(ms); git --git-dir="$T/n/clone.git" fetch -q; t1=$(ms)
		gt+=($(((t1 - t0) / 1000000)))
	done
	w=$(printf '%s\n' "${wt[@]}" | median) g=$(printf '%s\n' "${gt[@]}" | median)
	echo "| no-op sync, $size changesets on the remote | $w | $g | $(awk "BEGIN{printf \"%.2fx\", $w/($g>0?$g:1)}") |"
done
