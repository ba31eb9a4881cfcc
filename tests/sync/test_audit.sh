#!/usr/bin/env bash
# tests/sync/test_audit.sh - wicket audit verify passes on a clean history
# and fails, naming the problem and the changeset, on each kind of tampering
# with a stored history: a changed envelope byte, a missing changeset, a
# rewritten chain link, an applied operation altered in the store, a signer
# whose key is revoked from the start. audit log answers who changed what.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" audit
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
trap 'rm -rf "$T"' EXIT

REPO=$T/regional.git
A=$T/lei-1
B=$T/lei-2
make_region "$REPO"
make_device "$A" d1 "file://$REPO"
make_device "$B" d2 "file://$REPO"
"$WICKET" -C "$A" plan create --edm OMU >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
"$WICKET" -C "$A" sync >/dev/null
for b in 1.1 1.2 1.3; do
	"$WICKET" -C "$A" baseline set "$b" --status met --evidence "evidence for $b" >/dev/null
	"$WICKET" -C "$A" sync >/dev/null
done
"$WICKET" -C "$B" sync >/dev/null
"$WICKET" -C "$B" baseline set 2.1 --status in_progress --owner "PP Lead" >/dev/null
"$WICKET" -C "$B" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null

run -C "$R" audit verify
check "a clean history passes the region's audit" test "$rc" -eq 0
check "the audit counts every chain and changeset" grep -q "2 device chains, 5 changesets (5 opened" "$OUT"
run -C "$A" audit verify --json
check "a device's own audit passes" test "$rc" -eq 0 -a "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.ok')")" = 1

# Each tampering on a copy of the region, so that each is seen alone.
tampered() { # NAME SQL: a copy of the region with SQL run on its replica of LEI
	rm -rf "$T/t-$1"
	cp -a "$R" "$T/t-$1"
	sqlite3 "$T/t-$1/.wicket/sites/LEI.db" "$2"
	run -C "$T/t-$1" audit verify
}
fails_naming() { [ "$rc" -eq 1 ] && grep -q "AUDIT FAILED" "$OUT" && grep -qE "^  $1 +LEI/$2 #$3:" "$OUT"; }

tampered byte "UPDATE changeset SET envelope = substr(envelope, 1, 200) || X'00' || substr(envelope, 202) WHERE device = 'd1' AND seq = 2"
check "a changed envelope byte fails the audit, naming the changeset" fails_naming "(signature|header)" d1 2
tampered gap "DELETE FROM changeset WHERE device = 'd1' AND seq = 3"
check "a missing changeset fails the audit as a gap" fails_naming gap d1 4
tampered chain "UPDATE changeset SET prev = zeroblob(32) WHERE device = 'd1' AND seq = 3"
check "a rewritten chain link fails the audit" fails_naming "(chain|header)" d1 3
tampered log "UPDATE op SET new_value = 'not_met' WHERE device = 'd1' AND field = 'status' AND new_value = 'met' AND entity_id = 'omu/1.2'"
check "an applied operation altered in the store fails the audit" fails_naming log d1 3
tampered extra "UPDATE op SET changeset = 2 WHERE rowid = (SELECT max(rowid) FROM op WHERE device = 'd2')"
check "an operation moved between changesets fails the audit" test "$rc" -eq 1

# A key revoked from the start: its changesets no longer check out.
cp -a "$R" "$T/t-revoked"
KEY=$("$WICKET" -C "$B" keys show --json | sed -n 's/.*"id": "\([0-9a-f]*\)".*/\1/p')
"$WICKET" -C "$T/t-revoked" region revoke "$KEY" --from 1 >/dev/null
run -C "$T/t-revoked" audit verify
check "a signer revoked from the start fails the audit, naming trust" fails_naming trust d2 1

# audit log: who changed what, and when.
run -C "$R" audit log --site LEI --entity assessment --field status --format csv
check "audit log as CSV has a header and the status changes" \
	test "$(head -1 "$OUT")" = "time,site,device,person,entity,id,kind,field,old,new" -a "$(grep -c ',status,' "$OUT")" -ge 4
run -C "$R" audit log --device d2 --json
check "audit log filters by device" \
	test "$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$OUT')) WHERE json_extract(value, '\$.device') <> 'd2'")" = 0
run -C "$R" audit log --person "Kim Roe" --entity assessment
check "audit log filters by person" grep -q "omu/2.1.owner = PP Lead" "$OUT"
run -C "$R" audit show assessment omu/1.2
check "audit show gives one record's history across devices, oldest first" \
	grep -q "assessment omu/1.2: " "$OUT"
check "audit show names each change's device and person" grep -q "LEI/d1 Sam Lee" "$OUT"
check "audit show lists the status change" grep -q "status: not_assessed -> met" "$OUT"
run -C "$R" audit show action no-such-action
check "audit show of a record with no history fails clearly" test "$rc" -eq 1
run -C "$R" audit log --format xml
check "an unknown format is a usage error" test "$rc" -eq 2

finish
