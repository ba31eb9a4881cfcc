#!/usr/bin/env bash
# tests/sync/test_conflicts.sh - field-level merge through the regional
# repository: two devices of one establishment change the same field before
# either has seen the other's change; every replica (both devices and the
# region) ends with the same provisional winner and lists the same conflict
# with both values, who wrote them and when; changes to different fields of
# one record merge without a conflict; a change made after seeing the other
# is no conflict; the region's resolution travels back on its chain and
# settles it everywhere; audit show keeps the value that lost.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" conflicts
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
trap 'rm -rf "$T"' EXIT

REPO=$T/regional.git
A=$T/lei-1
B=$T/lei-2
ok() { [ "$rc" -eq 0 ]; }
make_region "$REPO"
make_device "$A" d1 "file://$REPO"
make_device "$B" d2 "file://$REPO"
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$B" sync >/dev/null
# jget JSON PATH: one value of a JSON document.
jget() { printf '%s' "$1" >"$T/j.json"; sqlite3 :memory: "SELECT json_extract(readfile('$T/j.json'), '$2')"; }
ACT=$(jget "$("$WICKET" -C "$A" action list --json)" '$[0].id')
check "both devices hold the same action plan before the edits" \
	test "$("$WICKET" -C "$A" actionplan show --json)" = "$("$WICKET" -C "$B" actionplan show --json)"

field() { jget "$("$WICKET" -C "$1" action show "$ACT" --json)" "\$.$2"; }
conflicts_json() { "$WICKET" -C "$1" conflicts --json; }
nconf() { conflicts_json "$1" >"$T/c.json"; sqlite3 :memory: "SELECT json_array_length(readfile('$T/c.json'))"; }

# Concurrent: both change the owner, neither having seen the other; d2 also changes the text.
"$WICKET" -C "$A" --person "Sam Lee" action update "$ACT" --owner "Head of Reducing Reoffending" >/dev/null
sleep 0.01
"$WICKET" -C "$B" --person "Kim Roe" action update "$ACT" --owner "Deputy Governor" >/dev/null
"$WICKET" -C "$B" --person "Kim Roe" action update "$ACT" --text "Agree the OMU delivery plan with probation" >/dev/null
for d in "$A" "$B" "$A"; do "$WICKET" -C "$d" sync >/dev/null; done
"$WICKET" -C "$R" region pull >/dev/null

check "the first device lists one conflict" test "$(nconf "$A")" = 1
check "the second device lists the same conflict" test "$(conflicts_json "$A")" = "$(conflicts_json "$B")"
run -C "$R" conflicts --json
check "the region lists the same conflict, for LEI" grep -q '"site": "LEI"' "$OUT"
check "the region's conflict holds both values" grep -q "Head of Reducing Reoffending" "$OUT" && grep -q "Deputy Governor" "$OUT"
check "and who wrote them" grep -q '"person": "Sam Lee"' "$OUT" && grep -q '"person": "Kim Roe"' "$OUT"
check "every replica holds the same provisional winner" \
	test "$(field "$A" owner)" = "$(field "$B" owner)"
check "the provisional winner is the newer write (d2's)" test "$(field "$A" owner)" = "Deputy Governor"
check "a change to another field of the record merged without a conflict" \
	test "$(field "$A" text)" = "Agree the OMU delivery plan with probation"
run -C "$A" conflicts
check "conflicts prints the values with the winner marked" grep -q "1\\* Deputy Governor" "$OUT"
ID=$(jget "$(conflicts_json "$R")" '$[0].id')
run -C "$A" status --json
check "status counts the open conflict" grep -q '"conflicts": 1' "$OUT"

# Sequential: d1, having now seen d2's text, changes it: no new conflict.
"$WICKET" -C "$A" action update "$ACT" --text "Agree the OMU plan with probation by June" >/dev/null
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$B" sync >/dev/null
check "a change made after seeing the other is not a conflict" test "$(nconf "$B")" = 1
check "and it reaches the other device" test "$(field "$B" text)" = "Agree the OMU plan with probation by June"

# Only the region settles a conflict.
run -C "$A" conflicts resolve "$ID" --keep 2
check "an establishment cannot resolve a conflict" test "$rc" -eq 1 && grep -q "settled by the region" "$ERR"
run -C "$R" conflicts resolve 0000000000 --keep 1
check "an unknown conflict id is refused" test "$rc" -eq 1 && grep -q "no open conflict" "$ERR"
run -C "$R" conflicts resolve "$ID" --keep 1 --value x
check "--keep and --value together are a usage error" test "$rc" -eq 2
run -C "$R" --person "Pat Officer" conflicts resolve "$ID" --keep 2
check "the region resolves the conflict, keeping the value that had lost" ok
check "the region has no open conflict" test "$(nconf "$R")" = 0
run -C "$R" region push
check "region push sends the resolution" ok
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$B" sync >/dev/null
check "the resolution settles the conflict on the first device" test "$(nconf "$A")" = 0
check "and on the second" test "$(nconf "$B")" = 0
check "both hold the value the region chose" \
	test "$(field "$A" owner)" = "Head of Reducing Reoffending" -a "$(field "$B" owner)" = "Head of Reducing Reoffending"

run -C "$R" audit show action "$ACT" --site LEI
check "audit show keeps every value written, the one that lost included" \
	grep -q "Deputy Governor" "$OUT" && grep -q "Head of Reducing Reoffending" "$OUT"
run -C "$R" audit verify
check "the audit passes with the officer's resolution on its chain" ok

# A device's own change after a conflict: still listed until the region resolves.
"$WICKET" -C "$A" action update "$ACT" --owner "OMU Head" >/dev/null
"$WICKET" -C "$B" action update "$ACT" --owner "Governor" >/dev/null
"$WICKET" -C "$A" sync >/dev/null; "$WICKET" -C "$B" sync >/dev/null; "$WICKET" -C "$A" sync >/dev/null
check "a second concurrent pair is a conflict again" test "$(nconf "$A")" = 1 -a "$(nconf "$B")" = 1
"$WICKET" -C "$B" action update "$ACT" --owner "Head of OMU" >/dev/null
check "a third value written over the winner leaves the conflict open (the loser is still there)" \
	test "$(nconf "$B")" = 1
conflicts_json "$B" >"$T/c.json"
check "the conflict now holds the loser and the new value" \
	grep -q '"OMU Head"' "$T/c.json" && grep -q '"Head of OMU"' "$T/c.json" && ! grep -q '"Governor"' "$T/c.json"

run conflicts --help
check "conflicts has --help" ok
finish
