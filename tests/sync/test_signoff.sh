#!/usr/bin/env bash
# tests/sync/test_signoff.sh - sign-off through the regional repository: a
# submitted plan signed by each regional role its EDM names (the OMU also
# needs probation Gold), never by its submitter; approved only when every
# role has approved the same content; a return sends it back with the reason;
# the establishment sees each decision after its next sync, and a later
# material change makes the sign-offs stale, visibly.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" signoff
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
trap 'rm -rf "$T"' EXIT

REPO=$T/regional.git
A=$T/lei-1
ok() { [ "$rc" -eq 0 ]; }
status_of() { "$WICKET" -C "$1" signoff show --json >"$T/so.json"; sqlite3 :memory: "SELECT json_extract(readfile('$T/so.json'), '\$.status')"; }
make_region "$REPO"
make_device "$A" d1 "file://$REPO"
"$WICKET" -C "$A" plan create --edm OMU >/dev/null
run -C "$R" --person "Pat PGD" signoff omu --site LEI --role pgd
check "a plan the region does not hold yet cannot be signed" test "$rc" -eq 1

# Submitted, then returned by the PGD.
"$WICKET" -C "$A" plan submit >/dev/null
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null
run -C "$R" --person "Sam Lee" signoff omu --site LEI --role pgd
check "the person who submitted may not sign it off" test "$rc" -eq 1 && grep -q "may not also sign" "$ERR"
run -C "$R" --person "Pat PGD" signoff omu --site LEI --role governor
check "an unknown role is refused" test "$rc" -eq 1
run -C "$R" --person "Pat PGD" signoff omu --site LEI --role pgd --return "MAPPA arrangements are not described"
check "the PGD returns the plan" ok
"$WICKET" -C "$R" region push >/dev/null
run -C "$A" sync
check "the return reaches the establishment" grep -q "1 changeset received" "$OUT"
check "the establishment sees its plan returned" test "$(status_of "$A")" = returned
run -C "$A" signoff show
check "the establishment sees who returned it" grep -q "pgd .*returned .*Pat PGD" "$OUT"
check "and why" grep -q "MAPPA arrangements are not described" "$OUT"

# Resubmitted; approved by every role, in turn.
"$WICKET" -C "$A" baseline set 3.3 --status in_progress --arrangement "MAPPA F by video" >/dev/null
run -C "$A" plan submit
check "a returned plan is resubmitted" ok
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null
"$WICKET" -C "$R" --person "Pat PGD" signoff omu --site LEI --role pgd >/dev/null
"$WICKET" -C "$R" --person "Gil Gold" signoff omu --site LEI --role prison-gold >/dev/null
run -C "$R" signoff show --site LEI --json
check "PGD and Prison Gold are not enough for the OMU: still submitted" \
	test "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.status')")" = submitted
run -C "$R" --person "Pam Probation" signoff omu --site LEI --role probation-gold
check "probation Gold completes the sign-off" ok
run -C "$R" signoff show --site LEI --json
check "with every role the plan counts as approved" \
	test "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.status')")" = approved
run -C "$R" region push
check "the region pushes its decisions" ok
"$WICKET" -C "$A" sync >/dev/null
check "the establishment sees its plan approved after its next sync" test "$(status_of "$A")" = approved
run -C "$A" signoff show --json
check "no sign-off is stale while the plan is as signed" \
	test "$(sqlite3 :memory: "SELECT count(*) FROM json_each(json_extract(readfile('$OUT'), '\$.signoffs')) WHERE json_extract(value, '\$.current') AND json_extract(value, '\$.stale')")" = 0

# A later material change: the sign-offs go stale, visibly.
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "recat log" >/dev/null
run -C "$A" signoff show
check "a change after sign-off makes the current sign-offs stale" test "$(grep -c "STALE" "$OUT")" -ge 3
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null
run -C "$R" signoff show --site LEI
check "the region sees the staleness too" grep -q "STALE" "$OUT"

run -C "$A" region push
check "region commands refuse an establishment's folder" test "$rc" -ne 0 -a "$rc" -ne 3
run -C "$A" region publish
check "region publish refuses an establishment's folder" test "$rc" -ne 0 -a "$rc" -ne 3

# The region's audit still checks every chain, the officer's included.
run -C "$R" audit verify
check "the audit passes with the officer's sign-off chain" ok
run -C "$A" audit verify
check "the establishment's audit passes with the officer's sign-off chain" ok

finish
