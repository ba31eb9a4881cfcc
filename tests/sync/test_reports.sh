#!/usr/bin/env bash
# tests/sync/test_reports.sh - the region's reports across establishments,
# checked against the sample action plan and against counts taken
# independently from the region's replica with sqlite3; the HTML report is one
# self-contained page.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" reports
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
trap 'rm -rf "$T"' EXIT
export WICKET_TODAY=2026-11-22

REPO=$T/regional.git
A=$T/lei-1
make_region "$REPO"
make_device "$A" d1 "file://$REPO"
"$WICKET" -C "$A" plan create --edm OMU >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "recat log" >/dev/null
"$WICKET" -C "$A" action update omic-pre-release-2022/4#3 --target "March 2027" --reason "supplier delay" >/dev/null
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null
DB=$R/.wicket/sites/LEI.db
q() { sqlite3 "$DB" "$1"; }
field() { sqlite3 :memory: "SELECT json_extract(value, '\$.$2') FROM json_each(readfile('$1')) LIMIT 1"; }

run -C "$R" report responses --json
check "responses: the source's counts, 13 agreed, 3 partly, 0 not, 16 in all" \
	test "$(field "$OUT" agreed)/$(field "$OUT" partly_agreed)/$(field "$OUT" not_agreed)/$(field "$OUT" total)" = "13/3/0/16"
check "responses: the three partly agreed give operational reasons" test "$(field "$OUT" operational)" = 3

run -C "$R" report precursors --json
want=$(q "SELECT count(*) FROM assessment a JOIN plan p ON p.id = a.plan JOIN edm_baseline b ON b.edm_id = p.edm AND b.baseline = a.baseline WHERE b.mandatory AND b.weighting = 3 AND a.status NOT IN ('met','not_applicable')")
got=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$OUT'))")
check "precursors: every mandatory weight-3 baseline not met, as counted independently ($want)" test "$got" = "$want" -a "$want" = 15

run -C "$R" report actions --json
want=$(q "SELECT count(*) FROM action WHERE status IN ('open','in_progress') AND (CASE WHEN length(target_date) = 7 THEN date(target_date || '-01', '+1 month', '-1 day') ELSE target_date END) < '2026-11-22'")
got=$(sqlite3 :memory: "SELECT count(*) FROM json_each(readfile('$OUT')) WHERE json_extract(value, '\$.overdue')")
check "actions: overdue actions as counted independently ($want)" test "$got" = "$want" -a "$want" -gt 0
check "actions: a slipped action (revised target) is listed with its revision" \
	test "$(sqlite3 :memory: "SELECT json_extract(value, '\$.revisions') FROM json_each(readfile('$OUT')) WHERE json_extract(value, '\$.action') = 'omic-pre-release-2022/4#3'")" = 1

run -C "$R" report readiness --json
check "readiness: the plan is red for stage 2 with its blockers" \
	test "$(field "$OUT" result)" = red -a "$(field "$OUT" red)" -ge 14

run -C "$R" report sync --json
check "sync: an establishment heard from today is not stale" test "$(field "$OUT" stale)" = 0
WICKET_TODAY=2027-02-01 run -C "$R" report sync --json --stale-days 30
check "sync: silent for longer than --stale-days, it is flagged" test "$(field "$OUT" stale)" = 1

run -C "$R" report actions --format csv
check "csv: a header row, then one row per action" \
	test "$(head -1 "$OUT")" = "site,action,owner,target,due,status,overdue,revisions" -a "$(($(wc -l <"$OUT") - 1))" -ge "$want"
run -C "$R" report responses --format html --out "$T/r.html"
check "html: written to the file given" test -s "$T/r.html"
check "html: one complete page with an SVG chart" grep -q "<svg" "$T/r.html"
check "html: ends properly" test "$(tail -c 8 "$T/r.html")" = "</html>"
check "html: self-contained (no scripts, no external files)" \
	bash -c "! grep -qiE '<script|src=|<link|href=|url\\(' '$T/r.html'"
check "html: prints (print styles)" grep -q "@media print" "$T/r.html"
run -C "$R" report readiness --format html --out "$T/ready.html"
check "html: a red result is flagged in the table" grep -q '<tr class="flag">' "$T/ready.html"
run -C "$R" report nonsense
check "an unknown report is a usage error" test "$rc" -eq 2
run -C "$A" report responses --json
check "an establishment can run the same report on itself" test "$(field "$OUT" total)" = 16

finish
