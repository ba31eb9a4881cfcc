#!/usr/bin/env bash
# tests/proof/test_git_durable.sh - promise 1 in the git repositories: what
# libgit2 writes for wicket (a device's mirror, the file:// regional
# repository it pushes into, the region's mirror it pulls into) is on the disk
# before the name that points at it. The fault injector (count mode, with its
# log) records every write, fsync, link and rename of a sync and of a region
# pull; then, for each repository:
#   - every pack and pack index is fsynced before it is linked under its name,
#     and its directory is fsynced after;
#   - every ref is written to its lock file and the lock fsynced before the
#     ref is linked, and its directory is fsynced after, and so is every
#     folder above a branch up to refs/ (a site's first push makes new
#     folders, whose own names libgit2 does not make durable: wicket does).
# libgit2 1.5 does none of this unless GIT_OPT_ENABLE_FSYNC_GITDIR is set: a
# power cut could then leave a pushed changeset "delivered" on a USB disk
# whose pack never reached it.
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" git-durable
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/../sync/lib_sync.sh"
# shellcheck source=tests/proof/lib_proof.sh
. "$(dirname "$0")/lib_proof.sh"
trap 'rm -rf "$T"' EXIT

REPO=$T/regional.git
A=$T/lei-1
make_region "$REPO"
"$WICKET" -C "$R" region publish >/dev/null
make_device "$A" d1 "file://$REPO"
"$WICKET" -C "$A" plan create --edm OMU >/dev/null

counted() { # LOG ARGS...: run wicket ARGS with every file change logged
	local log=$1
	shift
	LD_PRELOAD=$INJECTOR WK_FAULT_MODE=count WK_FAULT_LOG=$log ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
		"$WICKET" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}

"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "OASys Lead" >/dev/null
counted "$T/sync.log" -C "$A" sync
check "the sync succeeds under the counting injector" test "$rc" -eq 0
durable "$T/sync.log" "$REPO" >"$T/regional.out"
check "the push into the regional repository fsyncs each pack and ref before naming it" test $? -eq 0
check "the push made a pack and the device's ref" \
	sh -c "grep -q '^made objects/pack/pack-.*\.pack' '$T/regional.out' && grep -q '^made refs/heads/sites/LEI/d1' '$T/regional.out'"
durable "$T/sync.log" "$A/.wicket/git" >"$T/mirror.out"
check "the device's mirror fsyncs each pack and ref before naming it" test $? -eq 0
check "the mirror holds the changeset's pack and ref" \
	sh -c "grep -q '^made objects/pack/pack-.*\.pack' '$T/mirror.out' && grep -q '^made refs/heads/sites/LEI/d1' '$T/mirror.out'"

counted "$T/pull.log" -C "$R" region pull
check "the region pull succeeds under the counting injector" test "$rc" -eq 0
durable "$T/pull.log" "$R/.wicket/git" >"$T/region.out"
check "the region's mirror fsyncs each pack and ref before naming it" test $? -eq 0
check "the pull brought the device's pack and ref" \
	sh -c "grep -q '^made objects/pack/pack-.*\.pack' '$T/region.out' && grep -q 'refs/.*sites/LEI/d1' '$T/region.out'"
cat "$T"/*.out | grep NOT || true

# The checker itself: a log whose pack fsync is taken out, or whose folder
# fsyncs above a new ref are taken out, must fail it.
grep -Ev ' fsync .*/objects/pack/pack_git2_[0-9a-f]+$' "$T/sync.log" >"$T/nopack.log"
refuses() { ! durable "$1" "$REPO" >/dev/null; }
check "the checker refuses a pack that was not fsynced" refuses "$T/nopack.log"
grep -Ev " fsync $REPO/refs/heads(/sites)?\$" "$T/sync.log" >"$T/nofolder.log"
check "the checker refuses a new ref folder whose parent was not fsynced" refuses "$T/nofolder.log"
finish
