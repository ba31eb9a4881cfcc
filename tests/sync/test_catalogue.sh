#!/usr/bin/env bash
# tests/sync/test_catalogue.sh - the region publishes a new national EDM
# version: 'region catalogue' loads it into its replica of each
# establishment as the officer, 'region push' sends it on the officer's
# chain, and each device adds it to its catalogue at its next sync, verified
# like any changeset; an establishment cannot publish national content, and
# what is published once is not sent again.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" catalogue
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
"$WICKET" -C "$A" plan create --edm OMU >/dev/null
"$WICKET" -C "$A" sync >/dev/null
"$WICKET" -C "$R" region pull >/dev/null

# Version 2 of the OMU EDM in a policy folder of the region's: one weighting changed.
P=$T/policies
cp -r "$SRC/policies" "$P"
sed -i '0,/version = 1,/s//version = 2,/' "$P/national/edm/omu.lua"
grep -q "version = 2," "$P/national/edm/omu.lua" || { echo "FAIL: could not make version 2"; exit 1; }

run -C "$A" edm list --json
check "the device holds only version 1 to begin with" grep -q '"edm:OMU@1"' "$OUT" && ! grep -q '"edm:OMU@2"' "$OUT"
run -C "$R" region catalogue --policy-dir "$P"
check "the region loads the new version into its replica of LEI" ok && grep -q "LEI: 1 new national document" "$OUT"
run -C "$R" region catalogue --policy-dir "$P"
check "publishing again adds nothing" grep -q "LEI: 0 new" "$OUT"
run -C "$R" region push
check "region push sends it" ok && grep -q "1 changeset" "$OUT"
run -C "$A" sync
check "the device receives it at its next sync" ok && grep -q "1 changeset received" "$OUT"
run -C "$A" edm list --json
check "the device's catalogue now holds version 2 beside version 1" \
	grep -q '"edm:OMU@2"' "$OUT" && grep -q '"edm:OMU@1"' "$OUT"
run -C "$B" sync
run -C "$B" edm show OMU@2 --json
check "the other device holds version 2 too, with its baselines" ok && grep -q '"1.1"' "$OUT"
run -C "$A" plan show --json
check "the plan made on version 1 is untouched" grep -q '"edm:OMU@1"' "$OUT"
run -C "$R" region push
check "a second push sends nothing again" grep -q "0 changesets" "$OUT"
run -C "$R" audit verify
check "the audit passes with national content on the officer's chain" ok

# An establishment's changesets may not carry national content: its own load stays local.
WICKET_POLICY_DIR="$P" run -C "$A" edm load
check "an establishment can load the new version itself" ok && grep -q "1 new" "$OUT"
"$WICKET" -C "$A" baseline set 1.1 --status met --evidence "minutes" >/dev/null
run -C "$A" sync
check "and sync its own work after it" ok
run -C "$R" region pull
check "an establishment's own catalogue load is never sent (nothing refused at the region)" ok && \
	test "$("$WICKET" -C "$R" quarantine --json | grep -c '"reason"')" = 0
run region catalogue --help
check "region catalogue has --help" ok
finish
