#!/usr/bin/env bash
# tests/sync/test_fetch_batches.sh - a large fetch is split so that the
# transfer's memory stays flat (sync/remote.c, FETCH_BATCH_OBJECTS): with the
# budget made tiny (WICKET_FETCH_BATCH_OBJECTS), the region's pull from a
# file:// regional repository copies the new commits in several packs, and
# over git:// (a real git daemon on loopback) asks for the refs in several
# fetches; either way every changeset arrives exactly once, the region holds
# what the default single fetch gives, and a later pull brings only what is
# new. The copy from a file:// repository writes no deltas (sealed changesets
# gain nothing from them, and the search was a third of its time), even for
# blobs that would delta well. The pull takes each device's ref while the rest
# is still being copied, so a copy that fails part way keeps what it took.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" fetch-batches
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
WK_SRV_DIR=$T/srv
WK_SERVER_LIFETIME=200
# shellcheck source=tests/sync/servers.sh
. "$(dirname "$0")/servers.sh"
trap 'stop_servers; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

says() { grep -qiF -- "$1" "$OUT" "$ERR"; }
# The region's copy of LEI: every operation of LEI's devices it holds, as its
# audit log lists them (not the region's own, written when it made the copy).
replica() { "$WICKET" -C "$1" audit log --site LEI --format csv 2>&1 | awk -F, '$3 !~ /^rgn-/'; }
# The changesets the devices pushed: commits on their refs.
commits() {
	local n=0 ref
	for ref in $(git --git-dir="$BASE/regional.git" for-each-ref --format='%(refname)' refs/heads/sites/LEI/); do
		n=$((n + $(git --git-dir="$BASE/regional.git" rev-list --count "$ref")))
	done
	echo "$n"
}

# How many of the packs of DIR's mirror hold the devices' commits: the packs a pull wrote them
# into (the smallest packs are merged after a pull, but never into one of the batch size or more).
holding() {
	local idx n=0 ref
	for ref in $(git --git-dir="$BASE/regional.git" for-each-ref --format='%(refname)' refs/heads/sites/LEI/); do
		git --git-dir="$BASE/regional.git" rev-list "$ref"
	done | sort -u >"$T/sent-commits"
	for idx in "$1"/.wicket/git/objects/pack/*.idx; do
		git show-index <"$idx" | awk '{ print $2 }' | sort | comm -12 - "$T/sent-commits" | grep -q . && n=$((n + 1))
	done
	echo "$n"
}

BASE=$WK_SRV_DIR/base
mkdir -p "$BASE"
make_region "$BASE/regional.git"
"$WICKET" -C "$R" region publish >/dev/null
make_device "$T/lei-1" d1 "file://$BASE/regional.git"
make_device "$T/lei-2" d2 "file://$BASE/regional.git"
make_device "$T/lei-3" d3 "file://$BASE/regional.git"
"$WICKET" -C "$R" region publish >/dev/null

# Each device sends four changesets, one commit each.
"$WICKET" -C "$T/lei-1" plan create --edm OMU >/dev/null
"$WICKET" -C "$T/lei-1" sync >/dev/null
for d in 2 3; do "$WICKET" -C "$T/lei-$d" sync >/dev/null; done
for round in 1 2 3 4; do
	for d in 1 2 3; do
		"$WICKET" -C "$T/lei-$d" baseline set "1.$d" --status in_progress --evidence "round $round by d$d" >/dev/null
		"$WICKET" -C "$T/lei-$d" sync >/dev/null || fail "device d$d syncs in round $round"
	done
done
sent=$(commits)
check "the devices sent 13 changesets ($sent)" test "$sent" -eq 13

cp -a "$R" "$T/region-plain"
cp -a "$R" "$T/region-daemon"
cp -a "$R" "$T/region-cut"

# The default: one fetch, one pack.
run -C "$T/region-plain" region pull
check "an unsplit pull receives all 13" says "13 changesets received"
check "an unsplit pull writes them in one pack ($(holding "$T/region-plain"))" test "$(holding "$T/region-plain")" -eq 1
# The copy from a file:// repository makes no deltas (sealed changesets gain nothing from them, and
# the search was a third of a large pull's time); git reads every pack it writes.
deltas() {
	local idx n=0
	for idx in "$1"/.wicket/git/objects/pack/*.idx; do
		n=$((n + $(git verify-pack -v "$idx" | awk 'length($1) == 40 && NF >= 7 { d++ } END { print d + 0 }')))
	done
	echo "$n"
}
check "git verifies every pack of the file:// copy" \
	sh -c 'for i in "$1"/.wicket/git/objects/pack/*.idx; do git verify-pack "$i" || exit 1; done' _ "$T/region-plain"
check "the file:// copy's packs hold no deltas ($(deltas "$T/region-plain"))" test "$(deltas "$T/region-plain")" -eq 0

# file://, 4 objects a pack: several packs, the same changesets.
WICKET_FETCH_BATCH_OBJECTS=4 run -C "$R" region pull
check "a split file:// pull receives all 13" says "13 changesets received"
check "a split file:// pull writes several packs ($(holding "$R"))" test "$(holding "$R")" -ge 4
check "a split file:// pull holds what the unsplit one holds" test "$(replica "$R")" = "$(replica "$T/region-plain")"
check "the region's copy is not empty" grep -q "round 4 by d3" <(replica "$R")

# git://, 4 objects a fetch: several fetches (one pack each), the same changesets.
start_git_daemon "$BASE" >/dev/null || fail "git daemon starts"
"$WICKET" -C "$T/region-daemon" remote set "$GIT_DAEMON_URL/regional.git" --stall 10 >/dev/null
WICKET_FETCH_BATCH_OBJECTS=4 run -C "$T/region-daemon" region pull
check "a split git:// pull receives all 13" says "13 changesets received"
check "a split git:// pull makes one fetch a ref ($(holding "$T/region-daemon") packs)" \
	test "$(holding "$T/region-daemon")" -ge 3
check "a split git:// pull holds what the unsplit one holds" \
	test "$(replica "$T/region-daemon")" = "$(replica "$T/region-plain")"

# Later pulls bring only what is new, split or not.
"$WICKET" -C "$T/lei-2" baseline set 1.2 --status met --evidence "after the pulls" >/dev/null
"$WICKET" -C "$T/lei-2" sync >/dev/null
WICKET_FETCH_BATCH_OBJECTS=4 run -C "$R" region pull
check "a second split file:// pull receives just the new one" says "1 changeset received"
WICKET_FETCH_BATCH_OBJECTS=4 run -C "$T/region-daemon" region pull
check "a second split git:// pull receives just the new one" says "1 changeset received"
run -C "$T/region-daemon" region pull
check "a pull with nothing new receives nothing" says "0 changesets received"
check "both regions agree after the later pulls" test "$(replica "$R")" = "$(replica "$T/region-daemon")"

# Deltas: a ref under sites/ whose commit holds two nearly identical 20 KB blobs, which any delta
# search pairs up (they are not changesets: the pull refuses them, after copying them).
cp -a "$R" "$T/region-deltas"
G="git --git-dir=$BASE/regional.git"
head -c 20000 /dev/urandom | od -An -tx1 >"$T/blob-a"
{ cat "$T/blob-a"; echo "one more line"; } >"$T/blob-b"
tree=$(printf '100644 blob %s\ta\n100644 blob %s\tb\n' "$($G hash-object -w "$T/blob-a")" "$($G hash-object -w "$T/blob-b")" | $G mktree)
$G update-ref refs/heads/sites/LEI/dx "$(echo similar | $G commit-tree "$tree")"
"$WICKET" -C "$T/region-deltas" region pull >/dev/null 2>&1
check "the similar blobs were copied" sh -c 'git --git-dir="$1/.wicket/git" cat-file -e "$2"' _ "$T/region-deltas" \
	"$($G hash-object "$T/blob-b")"
check "the copy stored them without a delta ($(deltas "$T/region-deltas"))" test "$(deltas "$T/region-deltas")" -eq 0

# The pull takes each device's ref as soon as its objects are in the mirror, while the rest is copied:
# a copy that fails part way (here a last ref whose commit names a blob the repository lacks) still
# leaves the devices copied before it taken, and the next pull goes on from there.
missing=$(printf 'not in the repository' | $G hash-object --stdin)
tree=$(printf '100644 blob %s\tenvelope\n' "$missing" | $G mktree --missing)
$G update-ref refs/heads/sites/LEI/dz "$(echo broken | $G commit-tree "$tree")"
WICKET_FETCH_BATCH_OBJECTS=4 run -C "$T/region-cut" region pull
check "a pull whose copy fails part way fails (exit $rc)" test "$rc" -ne 0
check "... and still took the devices copied before the failure" grep -q "round 4 by d1" <(replica "$T/region-cut")
$G update-ref -d refs/heads/sites/LEI/dz
run -C "$T/region-cut" region pull
check "the next pull completes" test "$rc" -eq 0
check "... and the region then holds what the others hold" test "$(replica "$T/region-cut")" = "$(replica "$R")"
finish
