#!/usr/bin/env bash
# tests/sync/test_file.sh - sync through a regional repository on a folder
# (file://): two devices of an establishment and the region; nothing sent
# twice; offline is one line and exit 3, and the work goes with the next sync;
# the git host learns nothing (a canary written into the plan, and people's
# names, appear in no object, ref, message or author); a regional ref rewound
# to an older state is refused, and the device it belongs to repairs it.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" sync-file
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
trap 'rm -rf "$T"' EXIT

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

finish
