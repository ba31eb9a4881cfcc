#!/usr/bin/env bash
# tests/cli/test_bundle.sh - sneakernet from the command line: an
# establishment's device exports a bundle, the region imports it into its
# replica of that establishment, exports it on to the establishment's second
# device, which then holds the same plan; importing again applies nothing; a
# tampered bundle and a hostile archive are refused whole, with nothing applied.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh" bundle
trap 'rm -rf "$T"' EXIT

R=$T/region
A=$T/lei-1
B=$T/lei-2
ok() { [ "$rc" -eq 0 ]; }
says() { grep -qiF -- "$1" "$OUT" "$ERR"; }
state() { "$WICKET" -C "$1" plan show --json; "$WICKET" -C "$1" actionplan show --json; }

run -C "$R" region init --region YORKS --person "Pat Officer"
ROOT=$(tail -1 "$OUT")
run -C "$A" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" --device d1
run -C "$B" init --join --site LEI --device d2 --person "Kim Roe"
check "a second device joins the establishment" ok
for d in "$A" "$B"; do
	"$WICKET" -C "$d" enrol request --region YORKS --out "$d.req" >/dev/null
	"$WICKET" -C "$R" region enrol "$d.req" >/dev/null
done
"$WICKET" -C "$R" trust export "$T/trust" >/dev/null
for d in "$A" "$B"; do "$WICKET" -C "$d" trust import "$T/trust" --root "$ROOT" >/dev/null; done

"$WICKET" -C "$A" plan create --edm OMU >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "minutes of 3 May" >/dev/null

run -C "$A" bundle export "$T/a.wkb"
check "the device exports a bundle, sealing its pending changes" says "1 changeset newly sealed"
run -C "$R" bundle import "$T/a.wkb"
check "the region applies the bundle" says "1 applied"
run -C "$R" bundle import "$T/a.wkb"
check "importing the same bundle again applies nothing" says "0 applied, 1 already held"
run -C "$R" bundle export --for LEI "$T/r.wkb"
check "the region exports the establishment's changesets" ok
run -C "$R" bundle show "$T/r.wkb"
check "bundle show lists what a bundle holds without applying it" grep -q "LEI/d1 #1" "$OUT"
run -C "$B" bundle import "$T/r.wkb"
check "the second device applies the region's bundle" says "1 applied"
check "the second device now holds the same plan and action plan" test "$(state "$A")" = "$(state "$B")"

# The way back: the second device's change reaches the first.
"$WICKET" -C "$B" baseline set 1.2 --status met --evidence "allocation log" >/dev/null
run -C "$B" bundle export "$T/b.wkb"
run -C "$A" bundle import "$T/b.wkb"
check "the first device applies the second's change" says "1 applied"
check "both devices hold the same state again" test "$(state "$A")" = "$(state "$B")"

# --since a bundle sent before: only what is new since.
"$WICKET" -C "$A" baseline set 2.2 --status in_progress >/dev/null
run -C "$A" bundle export --since "$T/a.wkb" "$T/a2.wkb"
# new since a.wkb: d1 #2, and d2's chain, which a.wkb did not hold (it came here on b.wkb)
check "--since a previous bundle exports only what is new to the other end" grep -q "holds 2 changesets" "$OUT"
run -C "$R" bundle import "$T/a2.wkb"
check "the region applies the incremental bundle" says "2 applied"

# A tampered bundle: one byte of an envelope changed. Refused whole, nothing applied.
"$WICKET" -C "$B" baseline set 1.3 --status in_progress >/dev/null
"$WICKET" -C "$B" bundle export "$T/c.wkb" >/dev/null
before=$(state "$A")
size=$(stat -c %s "$T/c.wkb")
cp "$T/c.wkb" "$T/bad.wkb"
printf '\x55' | dd of="$T/bad.wkb" bs=1 seek=$((size - 2000)) conv=notrunc 2>/dev/null
run -C "$A" bundle import "$T/bad.wkb"
check "a tampered bundle is refused" test "$rc" -eq 1
check "nothing of a tampered bundle is applied" test "$(state "$A")" = "$before"

# A hostile archive: a tar with a path that climbs out.
mkdir -p "$T/evil/x"
echo hi >"$T/evil/x/f"
(cd "$T/evil/x" && tar -cf "$T/evil.wkb" --transform 's|^|../../|' f)
run -C "$A" bundle import "$T/evil.wkb"
check "an archive with a '..' path is refused" test "$rc" -eq 1
check "the refusal names the path problem" says ".."
check "nothing is written outside" test ! -e "$T/../f" -a ! -e "$A/../f"
run -C "$A" bundle import "$T/nonexistent.wkb"
check "a missing bundle is a clear error" test "$rc" -eq 1

# A device with a wrong passphrase cannot export.
WICKET_PASSPHRASE="wrong" run -C "$A" bundle export "$T/w.wkb"
check "a wrong passphrase exports nothing" test "$rc" -eq 1 -a ! -e "$T/w.wkb"

finish
