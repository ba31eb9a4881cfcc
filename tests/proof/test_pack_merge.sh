#!/usr/bin/env bash
# tests/proof/test_pack_merge.sh - the packs of a device's mirror and of a
# file:// regional repository stay few, and merging them loses nothing
# (sync/packs.h).
#   - Thirty edits, each followed by a sync, would leave thirty more packs in
#     each repository; merged once 16 may be, each holds fewer than 16.
#     Both stay sound (git fsck), and the other device and the region receive
#     every changeset.
#   - A sync that merges writes the merged pack, fsyncs it and its folder,
#     and only then deletes the packs it replaces, and fsyncs the folder
#     again: in the mirror and in the regional repository.
#   - Killed at the first and the last of each run of the same call (write,
#     fsync, link, rename, unlink) in either repository's pack folder during
#     such a sync, the next syncs and the region's pull succeed, every change
#     is held exactly once, and no half-written or half-deleted pack is left
#     in the mirror.
#   - A disk full during a merge is a warning, not a failed sync; nothing is
#     deleted, and the next sync merges.
#   - Offline, a merge that fails does not hide the offline notice.
#   - What a killed merge or push left in the regional repository is
#     removed once it is a day old (in the mirror, at once).
#   - Packs of half the fetch batch size or more are never merged.
#   - A pull from the regional repository that finds a pack gone (another
#     device merged it away meanwhile) reads its objects from the merged pack.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" pack-merge
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/../sync/lib_sync.sh"
# shellcheck source=tests/proof/lib_proof.sh
. "$(dirname "$0")/lib_proof.sh"
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT
describe_build

MIRROR=$A/.wicket/git
npacks() { find "$1/objects/pack" -name 'pack-*.idx' | wc -l; }
sound() { git --git-dir="$1" fsck --full --no-dangling >/dev/null 2>&1; }
# smalls REPO: 16 more packs of 3 objects each (copies of objects it holds): enough for a merge
# (MERGE_LEAST in sync/remote.c), which takes them.
smalls() {
	local i
	for i in $(seq 1 16); do
		git --git-dir="$1" rev-list --objects --all | sed -n "$((i * 3 - 2)),$((i * 3))p" | cut -c1-40 |
			git --git-dir="$1" pack-objects -q "$1/objects/pack/pack" >/dev/null
	done
}

set_up || { echo "FAIL: the set-up failed"; exit 1; }
before=$(git --git-dir="$REPO" rev-list --count refs/heads/sites/LEI/d1)
warned=0
for i in $(seq 1 30); do
	"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "Owner $i" >/dev/null &&
		"$WICKET" -C "$A" sync >"$OUT" 2>"$ERR" || { echo "FAIL: edit and sync $i: $(cat "$ERR")"; exit 1; }
	[ -s "$ERR" ] && warned=1 && cat "$ERR"
done
m=$(npacks "$MIRROR") r=$(npacks "$REPO")
echo "after 30 edits and syncs: mirror $m packs, regional repository $r packs"
check "no sync warned" test "$warned" -eq 0
check "the mirror holds fewer than 16 packs, not 30 more" test "$m" -lt 16
check "the regional repository holds fewer than 16 packs, not 30 more" test "$r" -lt 16
check "the mirror is sound (git fsck)" sound "$MIRROR"
check "the regional repository is sound (git fsck)" sound "$REPO"
check "the regional repository holds the 30 new changesets" \
	test "$(git --git-dir="$REPO" rev-list --count refs/heads/sites/LEI/d1)" -eq $((before + 30))
run -C "$B" sync
check "the other device receives them" grep -q "^synced: 30 changesets received" "$OUT"
run -C "$R" region pull
check "the region receives them" test "$rc" -eq 0
check "the other device's mirror is sound" sound "$B/.wicket/git"
check "the region's mirror is sound" sound "$R/.wicket/git"

# A sync that merges in both repositories, logged.
smalls "$MIRROR"
smalls "$REPO"
"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "Owner merged" >/dev/null
save merge
m=$(npacks "$MIRROR") r=$(npacks "$REPO")
inject count 0 "$T/merge.log" -C "$A" sync
check "the merging sync succeeds" test "$rc" -eq 0
check "it merged the mirror's packs" test "$(npacks "$MIRROR")" -lt "$m"
check "it merged the regional repository's packs" test "$(npacks "$REPO")" -lt "$((r + 1))"
# merged LOG DIR: the merged pack is named (synced, durable() checks it) and its folder fsynced
# before the first pack is deleted; the folder is fsynced after the last deletion.
merged() {
	awk -v dir="$2/objects/pack" '
	index($4, dir "/") != 1 && $4 != dir { next }
	($3 == "link" || $3 == "rename") && $4 ~ /\/pack-[0-9a-f]+\.(idx|pack)$/ && !deleted { made = NR; synced = 0 }
	$3 == "fsync" && $4 == dir { if (made) synced = NR; last_sync = NR }
	$3 == "unlink" && $4 ~ /\/pack-[0-9a-f]+\.(idx|pack)$/ {
		deleted++; last_del = NR
		if (!made || synced < made) { print "DELETED BEFORE THE MERGED PACK WAS DURABLE: " $4; bad = 1 }
	}
	END {
		if (!deleted) { print "NOTHING MERGED"; bad = 1 }
		if (last_sync < last_del) { print "DELETIONS NOT MADE DURABLE"; bad = 1 }
		exit bad
	}' "$1"
}
for repo in "$MIRROR" "$REPO"; do
	what=$( [ "$repo" = "$MIRROR" ] && echo "the mirror" || echo "the regional repository")
	merged "$T/merge.log" "$repo" >"$T/merged.out"
	check "$what: packs are deleted only after the merged pack and its folder are fsynced" test $? -eq 0
	durable "$T/merge.log" "$repo" >"$T/durable.out"
	check "$what: every pack made, the merged one too, is fsynced before it is named" test $? -eq 0
	cat "$T/merged.out" "$T/durable.out" | grep -E "NOT|BEFORE|NOTHING" || true
done
# The checker refuses a log whose folder fsync between the merged pack and the deletions is taken out.
awk -v dir="$MIRROR/objects/pack" '{ lines[NR] = $0 }
	$3 == "unlink" && index($4, dir "/pack-") == 1 && !first { first = NR }
	$3 == "fsync" && $4 == dir && !first { skip = NR }
	END { for (i = 1; i <= NR; i++) if (i != skip) print lines[i] }' "$T/merge.log" >"$T/unsynced.log"
refuses() { ! merged "$1" "$MIRROR" >/dev/null; }
check "the checker refuses deletions before the merged pack's folder is fsynced" refuses "$T/unsynced.log"

# Killed at each point in either pack folder during that sync: nothing is lost.
FAULT_ONLY=/objects/pack/
export FAULT_ONLY
restore merge
inject count 0 "$T/points.log" -C "$A" sync
n=$(points "$T/points.log")
check "the merging sync changes the pack folders" test "$n" -gt 4
# The first and the last point of each run of the same call (writes to a pack, deletions of the
# packs merged): they stand for the points between.
kills=$(awk '$1 ~ /^[0-9]+$/ { n[NR] = $1; c[NR] = $3 }
	END { for (i = 1; i <= NR; i++) if (c[i] != c[i - 1] || c[i] != c[i + 1]) print n[i] }' "$T/points.log")
echo "the merging sync makes $n file changes in the pack folders; killed at $(echo "$kills" | wc -w) of them"
bad=0
for k in $kills; do
	restore merge
	inject kill "$k" "$T/kill.log" -C "$A" sync
	problems=$(finish_sequence)
	[ -z "$problems" ] && problems=$(exactly_once)
	for repo in "$MIRROR" "$REPO"; do
		sound "$repo" || problems="$problems $repo is not sound"
	done
	left=$(find "$MIRROR/objects/pack" -name 'pack_git2_*' | head -1)
	for f in "$MIRROR"/objects/pack/pack-*.idx "$MIRROR"/objects/pack/pack-*.pack; do
		[ -e "${f%.*}.idx" ] && [ -e "${f%.*}.pack" ] || left="$left $f"
	done
	[ -z "$left" ] || problems="$problems the next sync left half a pack in the mirror: $left"
	if [ -n "$problems" ]; then
		echo "killed at point $k ($(grep '^fault' "$T/kill.log")): $problems"
		bad=1
	fi
done
unset FAULT_ONLY
check "killed at any of $(echo "$kills" | wc -w) of those points, the next syncs succeed, each change is held once, nothing is left half-written" \
	test "$bad" -eq 0

# A full disk during the mirror's merge: a sync with nothing new merges only the mirror.
restore merge
"$WICKET" -C "$A" sync >/dev/null 2>&1
smalls "$MIRROR"
m=$(npacks "$MIRROR")
FAULT_ONLY=$MIRROR/objects/pack/ inject enospc-once 1 "$T/full.log" -C "$A" sync
check "a disk full while merging does not fail the sync" test "$rc" -eq 0
check "it warns that the mirror's packs could not be merged, and that nothing was lost" \
	grep -q "the packs of the local mirror could not be merged (nothing was lost" "$ERR"
check "the warning says the disk is full" grep -qi "no space left" "$ERR"
check "nothing was deleted" test "$(npacks "$MIRROR")" -eq "$m"
check "the mirror is sound" sound "$MIRROR"
run -C "$A" sync
check "the next sync merges, without a warning" test "$rc" -eq 0 -a ! -s "$ERR" -a "$(npacks "$MIRROR")" -lt "$m"

# Offline, a failed merge is not what the sync reports: the offline notice is.
smalls "$MIRROR"
"$WICKET" -C "$A" remote set "file://$T/not-there.git" >/dev/null
FAULT_ONLY=$MIRROR/objects/pack/pack_git2_ inject enospc-once 1 "$T/offline.log" -C "$A" sync
check "offline with a merge that fails: exit 3" test "$rc" -eq 3
check "it says offline" grep -q "^wicket: offline: " "$ERR"
check "the merge did fail" grep -q "^fault " "$T/offline.log"
"$WICKET" -C "$A" remote set "file://$REPO" >/dev/null
run -C "$A" sync
check "back online, the next sync merges" test "$rc" -eq 0 -a ! -s "$ERR"

# What a killed merge or push left in the regional repository goes once it is a day old.
P=$REPO/objects/pack
touch "$P/pack_git2_0123456789abcdef" "$P/pack-1111111111111111111111111111111111111111.pack"
touch -d '2 days ago' "$P/pack_git2_fedcba9876543210" "$P/pack-2222222222222222222222222222222222222222.pack" \
	"$P/pack-3333333333333333333333333333333333333333.idx"
"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "Owner leftovers" >/dev/null
run -C "$A" sync
check "a push removes a day-old temporary pack, half pack and lone index from the regional repository" \
	test ! -e "$P/pack_git2_fedcba9876543210" -a ! -e "$P/pack-2222222222222222222222222222222222222222.pack" \
	-a ! -e "$P/pack-3333333333333333333333333333333333333333.idx"
check "and leaves what may still be being written" \
	test -e "$P/pack_git2_0123456789abcdef" -a -e "$P/pack-1111111111111111111111111111111111111111.pack"
rm -f "$P/pack_git2_0123456789abcdef" "$P/pack-1111111111111111111111111111111111111111.pack"

# Packs of half the fetch batch size or more are large: they merge only among themselves, into
# packs of at most 4 batches (WK_PACKS_TIER in sync/packs.h).
ls "$MIRROR"/objects/pack/pack-*.idx | sort >"$T/packs-before-smalls"
smalls "$MIRROR"
m=$(npacks "$MIRROR")
WICKET_FETCH_BATCH_OBJECTS=6 "$WICKET" -C "$A" sync >"$OUT" 2>"$ERR"
check "with a batch size of 6, 8 packs of 3 objects or more merge as large packs" \
	test "$(npacks "$MIRROR")" -le $((m - 7))
check "into packs of at most 4 batches (24 objects)" sh -c "for f in '$MIRROR'/objects/pack/pack-*.idx; do
	test \$(git show-index <\$f | wc -l) -le 24 || grep -qx \$f '$T/packs-before-smalls' || exit 1; done"
check "the mirror is sound after it" sound "$MIRROR"

# A pull that finds a pack gone: another device merged the regional repository's packs after
# the pull listed them. git repack -a (without -d) makes the merged pack, which is set aside;
# as the pull opens its first pack, the injector moves the merged pack in and deletes that one.
"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "Owner after the merges" >/dev/null
"$WICKET" -C "$A" sync >/dev/null 2>&1
ls "$REPO"/objects/pack/pack-*.idx | sort >"$T/packs-before"
git --git-dir="$REPO" repack -aq
mkdir -p "$T/merged-pack"
for f in $(ls "$REPO"/objects/pack/pack-*.idx | sort | comm -13 "$T/packs-before" -); do
	mv "$f" "${f%.idx}.pack" "$T/merged-pack/"
done
check "the merged pack is set aside" test "$(ls "$T/merged-pack" | wc -l)" -eq 2
WK_FAULT_VANISH_FROM=$T/merged-pack FAULT_ONLY=$REPO/objects/pack/ inject vanish 0 "$T/vanish.log" -C "$R" region pull
check "the injector deleted a pack as the pull opened it, the merged pack in its place" \
	sh -c "grep -q '^vanish ' '$T/vanish.log' && test -z \"\$(ls '$T/merged-pack')\""
check "the pull succeeds all the same, reading the merged pack" test "$rc" -eq 0
check "it receives the new changeset" grep -q "^pulled: [1-9][0-9]* changesets\? received" "$OUT"
check "the regional repository is sound" sound "$REPO"
finish
