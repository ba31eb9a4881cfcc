#!/usr/bin/env bash
# tests/sync/test_file.sh - sync through a regional repository on a folder
# (file://): two devices of an establishment and the region; nothing sent
# twice; offline is one line and exit 3, and the work goes with the next sync;
# the git host learns nothing (a canary written into the plan, and people's
# names, appear in no object, ref, message or author); a regional ref rewound
# to an older state is refused, and the device it belongs to repairs it; a
# sync that stopped between committing a changeset and recording it does not
# commit it twice; stale lock files left by a killed sync do not block the
# next one, and a lock another wicket command holds is respected.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" sync-file
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
holder=
trap '[ -z "$holder" ] || kill "$holder" 2>/dev/null; rm -rf "$T"' EXIT

REPO=$T/regional.git
A=$T/lei-1
B=$T/lei-2
ok() { [ "$rc" -eq 0 ]; }
says() { grep -qiF -- "$1" "$OUT" "$ERR"; }

make_region "$REPO"
check "region init creates the regional repository" test -f "$REPO/HEAD"
check "the regional repository refuses non-fast-forward pushes" \
	test "$(git --git-dir="$REPO" config receive.denyNonFastForwards)" = true
run -C "$R" region publish
check "the region publishes its trust file" ok
make_device "$A" d1 "file://$REPO"
make_device "$B" d2 "file://$REPO"
"$WICKET" -C "$R" region publish >/dev/null

CANARY="CANARY-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"$WICKET" -C "$A" plan create --edm OMU --title "plan $CANARY" >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
"$WICKET" -C "$A" baseline set 2.4 --status in_progress --owner "OASys Lead" --arrangement "$CANARY arrangement" >/dev/null

run -C "$A" sync
check "the first device syncs" ok
check "its changeset is sent" says "1 sent"
run -C "$B" sync
check "the second device receives it" says "1 changeset received"
check "both devices hold the same state" test "$(state "$A")" = "$(state "$B")"
run -C "$B" sync
check "syncing again receives nothing new" says "0 changesets received"

# The way back.
"$WICKET" -C "$B" baseline set 1.1 --status met --evidence "recat log" >/dev/null
run -C "$B" sync --json
check "sync --json ends with a result event" grep -q '"event":"result","ok":true' "$OUT"
check "sync --json streams progress events for the push" grep -q '"event":"progress","phase":"push"' "$OUT"
check "every line of sync --json is a JSON object" \
	test "$(while read -r l; do sqlite3 :memory: "SELECT json_valid('$l')"; done <"$OUT" | sort -u)" = 1
run -C "$A" sync
check "the first device receives the second's change" says "1 changeset received"
check "the devices agree again" test "$(state "$A")" = "$(state "$B")"

run -C "$R" region pull
check "the region pulls every device's changesets" says "2 changesets received"
run -C "$R" region pull
check "pulling again receives nothing new" says "0 changesets received"

# The git host learns nothing.
hits=$(git --git-dir="$REPO" cat-file --batch-all-objects --batch 2>/dev/null | grep -c -a -F "$CANARY" || true)
check "no object in the regional repository holds the canary written into the plan" test "$hits" -eq 0
check "no object holds a person's name (the trust file travels sealed too)" \
	test "$(git --git-dir="$REPO" cat-file --batch-all-objects --batch 2>/dev/null | grep -c -a -E 'Sam Lee|Kim Roe|Pat Officer' || true)" -eq 0
check "no object holds plan text from the sample" \
	test "$(git --git-dir="$REPO" cat-file --batch-all-objects --batch 2>/dev/null | grep -c -a -F 'Senior Responsible Owner' || true)" -eq 0
check "ref names carry only site and device codes" \
	test "$(git --git-dir="$REPO" for-each-ref --format='%(refname)' | grep -cvE '^refs/heads/(sites/LEI/d[12]|region/trust)$')" -eq 0
check "commit messages and authors are neutral" \
	test "$(git --git-dir="$REPO" log --all --format='%an <%ae> %at %s' | grep -cvE '^wicket <(d[12]@LEI|region)> 0 (LEI/d[12] #[0-9]+|trust v[0-9]+)$')" -eq 0

# Offline: one line, exit 3, nothing lost; the next sync delivers.
"$WICKET" -C "$A" remote set "file://$T/not-there.git" >/dev/null
"$WICKET" -C "$A" baseline set 1.2 --status met --evidence "allocation log" >/dev/null
run -C "$A" sync
check "offline sync exits 3" test "$rc" -eq 3
check "offline sync says so in one line" test "$(wc -l <"$ERR")" -eq 1 -a ! -s "$OUT"
check "offline, the change waits" grep -q "waits safely" "$ERR"
"$WICKET" -C "$A" baseline set 2.5 --status in_progress >/dev/null
WICKET_PASSPHRASE= run -C "$A" sync </dev/null
check "offline with a change to seal but no passphrase: the key problem is reported, not 'offline'" \
	test "$rc" -eq 2 -o "$rc" -eq 1
check "and it says how to give the passphrase" grep -q "passphrase" "$ERR"
run -C "$A" status --json
check "status shows the unsent changeset" test "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.unsent_changesets')")" = 1
"$WICKET" -C "$A" remote set "file://$REPO" >/dev/null
run -C "$A" sync
check "back online, the waiting changesets are sent" says "2 sent"
run -C "$B" sync
check "and reach the other device once" says "2 changesets received"

# (A push the server rejects is tested against git daemon: libgit2's file://
# transport writes into the repository itself and runs no server hooks.)

# A regional ref rewound to an older state: refused as a rollback, nothing of it used.
"$WICKET" -C "$B" baseline set 1.3 --status met --evidence "bail list" >/dev/null
"$WICKET" -C "$B" sync >/dev/null
"$WICKET" -C "$A" sync >/dev/null
git --git-dir="$REPO" update-ref refs/heads/sites/LEI/d2 refs/heads/sites/LEI/d2~1
before=$(state "$A")
run -C "$A" sync
check "a rewound ref is reported as a rollback" says "rollback"
check "nothing of a rewound ref is applied" test "$(state "$A")" = "$before"
# The device whose ref was rewound sends its changesets again, and everything arrives once.
run -C "$B" sync
check "the rewound device sends again" ok
run -C "$A" sync
check "after the repair nothing arrives twice" says "0 changesets received"
check "the devices agree after the repair" test "$(state "$A")" = "$(state "$B")"

# One commit per changeset: the remote's ref holds each sequence number once, as many commits
# as the device holds changesets.
once_each() {
	local commits held dupes
	commits=$(git --git-dir="$REPO" rev-list --count refs/heads/sites/LEI/d1)
	held=$(sqlite3 "$A/.wicket/store.db" "SELECT count(*) FROM changeset WHERE device = 'd1'")
	dupes=$(git --git-dir="$REPO" log --format=%s refs/heads/sites/LEI/d1 | sort | uniq -d | tr '\n' ' ')
	if [ "$commits" != "$held" ] || [ -n "$dupes" ]; then
		echo "    $commits commits on LEI/d1 for $held changesets; twice: $dupes"
		return 1
	fi
}

# A sync that stopped after committing changesets to the mirror and before recording them in
# the store (killed, or a disk error): the next sync finds them on the ref and sends each once.
"$WICKET" -C "$A" remote set "file://$T/not-there.git" >/dev/null
"$WICKET" -C "$A" baseline set 1.2 --status met --evidence "first" >/dev/null
"$WICKET" -C "$A" seal >/dev/null
"$WICKET" -C "$A" baseline set 1.3 --status met --evidence "second" >/dev/null
run -C "$A" sync
check "offline, two changesets are committed to the mirror" test "$rc" -eq 3
sqlite3 "$A/.wicket/store.db" "UPDATE changeset SET git_oid = NULL WHERE device = 'd1' AND seq >
	(SELECT max(seq) - 2 FROM changeset WHERE device = 'd1')"
"$WICKET" -C "$A" remote set "file://$REPO" >/dev/null
run -C "$A" sync
check "a sync after commits the store did not record succeeds" ok
check "it sends both changesets" says "2 sent"
check "and commits none of them twice" once_each
run -C "$B" sync
check "the other device receives them once" says "2 changesets received"
check "the devices agree" test "$(state "$A")" = "$(state "$B")"

# Stale lock files, left by a sync that was killed, in the mirror and in the regional repository.
mirror=$A/.wicket/git
locks_left() { find "$mirror" -name '*.lock' | grep -q .; }
: >"$mirror/refs/heads/sites/LEI/d1.lock"
: >"$mirror/refs/remotes/region/sites/LEI/d2.lock"
: >"$mirror/FETCH_HEAD.lock"
git --git-dir="$mirror" rev-parse refs/heads/sites/LEI/d1 >"$REPO/refs/heads/sites/LEI/d1.lock"
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "after a crash" >/dev/null
"$WICKET" -C "$B" baseline set 1.1 --status met --evidence "meanwhile" >/dev/null
"$WICKET" -C "$B" sync >/dev/null
run -C "$A" sync
check "stale lock files in the mirror do not block the sync" ok
check "they are gone" test -z "$(find "$mirror" -name '*.lock')"
check "the regional repository's stale lock on this device's ref (holding its own commit) is removed" \
	test ! -e "$REPO/refs/heads/sites/LEI/d1.lock"
check "with a warning naming it" grep -qF "stale lock file '$REPO/refs/heads/sites/LEI/d1.lock'" "$ERR"
check "the changeset is sent and the other device's received" says "1 changeset received"
check "nothing is committed twice" once_each

# A lock in the regional repository that cannot be proved this device's: left alone until it is
# older than the stall limit (5 s here); the failure is local (exit 1, not offline) and names it.
: >"$REPO/refs/heads/sites/LEI/d1.lock"
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "blocked" >/dev/null
run -C "$A" sync
check "a fresh lock of unknown origin in the regional repository stops the push with exit 1" test "$rc" -eq 1
check "the message names the lock file" grep -qF "$REPO/refs/heads/sites/LEI/d1.lock" "$ERR"
check "and does not call it offline" test "$(grep -ciE 'offline|cannot reach' "$ERR")" -eq 0
check "the lock is left in place" test -e "$REPO/refs/heads/sites/LEI/d1.lock"
touch -d '-10 seconds' "$REPO/refs/heads/sites/LEI/d1.lock"
run -C "$A" sync
check "once older than the stall limit it is removed and the sync goes through" ok
check "with a warning saying why" grep -q "older than the stall limit" "$ERR"
check "still nothing twice" once_each

# Another wicket command holding the mirror (its lock, .wicket/sync.lock): a sync waits for it,
# then gives up after 10 s without touching the lock files it may be writing.
flock "$A/.wicket/sync.lock" sleep 2 &
holder=$!
sleep 0.3
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "waited" >/dev/null
t0=$(date +%s%N)
run -C "$A" sync
ms=$((($(date +%s%N) - t0) / 1000000))
check "a sync waits for another command's lock, then syncs (waited $ms ms)" test "$rc" -eq 0 -a "$ms" -ge 1000
wait "$holder"
flock "$A/.wicket/sync.lock" sleep 15 &
holder=$!
sleep 0.3
: >"$mirror/refs/heads/sites/LEI/d1.lock"
run -C "$A" sync
check "a sync gives up on a lock held too long: exit 1" test "$rc" -eq 1
check "saying another wicket command is using it" grep -q "another wicket command" "$ERR"
check "the lock files of the command holding it are left alone" test -e "$mirror/refs/heads/sites/LEI/d1.lock"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null
holder=
run -C "$A" sync
check "once it is gone, the next sync goes through" ok
check "and nothing was committed twice" once_each

finish
