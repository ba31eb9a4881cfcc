#!/usr/bin/env bash
# tests/cli/test_trust.sh - keys and trust from the command line, as an
# establishment and a region meet them: init makes a device key (passphrase
# or, explicitly, unattended); the region signs an enrolment request into a
# new trust version; an establishment pins its first trust file by the root
# key and refuses an older one; a wrong passphrase decrypts nothing;
# revocation and rotation make new versions.
# shellcheck disable=SC2317
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh" trust
trap 'rm -rf "$T"' EXIT

R=$T/region
L=$T/lei
ok() { [ "$rc" -eq 0 ]; }
failed_with() { [ "$rc" -eq "$1" ] && grep -qiF -- "$2" "$ERR"; }

run -C "$R" region init --region YORKS --person "Pat Officer"
check "region init succeeds" ok
ROOT=$(tail -1 "$OUT")
check "region init prints the root key to pin (64 hex digits)" grep -qxE '[0-9a-f]{64}' <<<"$ROOT"
check "the root key file is owner-only" test "$(stat -c %a "$R/.wicket/root.key")" = 600
run -C "$R" region init --region YORKS --person "Pat Officer"
check "a second region init in the same folder is refused" failed_with 1 "already"

run -C "$L" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" --device d1
check "init makes a device key" grep -q "device key [0-9a-f]\{16\} (protected by a passphrase)" "$OUT"
check "the device key file is owner-only" test "$(stat -c %a "$L/.wicket/device.key")" = 600
check "the key file holds no passphrase in the clear" bash -c "! grep -qF 'test passphrase' '$L/.wicket/device.key'"

# No passphrase source and no terminal: a clear message, and nothing is left behind.
WICKET_PASSPHRASE= run -C "$T/nopass" init --site NOP --name "HMP N" --category C --function training --person P </dev/null
unset_rc=$rc
env -u WICKET_PASSPHRASE setsid "$WICKET" -C "$T/nopass" init --site NOP --name "HMP N" --category C \
	--function training --person P </dev/null >"$OUT" 2>"$ERR"
rc=$?
check "init without a passphrase and no terminal fails and says how to give one" failed_with 2 "WICKET_PASSPHRASE"
check "init without a passphrase leaves no store or key behind" test ! -e "$T/nopass/.wicket/store.db" -a ! -e "$T/nopass/.wicket/device.key"
check "an empty WICKET_PASSPHRASE is refused" test "$unset_rc" -ne 0

run -C "$T/unatt" init --site UNA --name "HMP U" --category C --function training --person P --unattended
check "an unattended device is an explicit choice that works" ok
check "an unattended key file is owner-only" test "$(stat -c %a "$T/unatt/.wicket/device.key")" = 600

run -C "$L" enrol request --region YORKS --out "$T/lei.req"
check "the establishment writes an enrolment request" ok
WICKET_PASSPHRASE="not the passphrase" run -C "$L" enrol request --region YORKS --out "$T/wrong.req"
check "a wrong passphrase is a clear error" failed_with 1 "wrong passphrase"
check "a wrong passphrase writes nothing" test ! -e "$T/wrong.req"

run -C "$R" trust export "$T/v1.trust"
run -C "$R" region enrol "$T/lei.req"
check "the region enrols the request" ok
run -C "$R" trust export "$T/v2.trust"

run -C "$L" trust import "$T/v2.trust"
check "the first trust file needs the pinned root key" failed_with 2 "--root"
run -C "$L" trust import "$T/v1.trust" --root "$(printf '%064d' 0)"
check "a trust file that the pinned root did not sign is refused" test "$rc" -eq 1
run -C "$L" trust import "$T/v1.trust" --root "$ROOT"
check "the first trust file is accepted when pinned" ok
run -C "$L" trust import "$T/v2.trust"
check "a newer trust file is accepted" grep -q "version 2 accepted" "$OUT"
run -C "$L" trust import "$T/v2.trust"
check "the same trust file again changes nothing" grep -q "already held" "$OUT"
run -C "$L" trust import "$T/v1.trust"
check "an older trust file, validly signed, is refused as a rollback" failed_with 1 "rollback"

"$WICKET" -C "$L" keys show --json >"$T/key.json"
KEY=$(sqlite3 :memory: "SELECT json_extract(readfile('$T/key.json'), '\$.id')")
check "keys show gives the key id" grep -qxE '[0-9a-f]{16}' <<<"$KEY"
run -C "$L" trust show --json
check "the trust file names this device's key" grep -q "$KEY" "$OUT"

run -C "$R" region revoke "$KEY" --from 7
check "the region revokes a key from a sequence" ok
run -C "$R" region revoke "$KEY"
check "a revocation without --from is a usage error" test "$rc" -eq 2
run -C "$R" trust export "$T/v3.trust"
run -C "$L" trust import "$T/v3.trust"
run -C "$L" trust show --json
check "the establishment sees the revocation from sequence 7" \
	test "$(sqlite3 :memory: "SELECT json_extract(value, '\$.revoked_from') FROM json_each(json_extract(readfile('$OUT'), '\$.entries')) WHERE json_extract(value, '\$.id') = '$KEY'")" = 7

# Rotation: a new device key replaces the old one.
# a replacement laptop takes over device d1 with a new key
run -C "$T/lei2" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" --device d1
run -C "$T/lei2" enrol request --region YORKS --out "$T/lei2.req"
run -C "$R" region rotate "$KEY" "$T/lei2.req" --from 7
check "the region rotates a key" ok
run -C "$R" region rotate "$KEY" "$T/lei.req" --from 7
check "rotating to a key already in the trust file is refused" test "$rc" -eq 1
run -C "$R" region enrol "$T/nonexistent.req"
check "a missing request file is a clear error" failed_with 1 "enrolment request"
printf 'not a request' >"$T/junk.req"
run -C "$R" region enrol "$T/junk.req"
check "a malformed request is refused" test "$rc" -eq 1
run -C "$L" region enrol "$T/lei.req"
check "region commands refuse an establishment's folder" failed_with 2 "not a region"

# Root rotation: the new root is signed in by the old one; establishments follow along the chain.
run -C "$R" region rotate-root
check "the region hands its root over to a new key" ok
NEWROOT=$(sed -n 2p "$OUT")
check "the new root key is printed" grep -qxE '[0-9a-f]{64}' <<<"$NEWROOT"
check "the new root differs from the old" test "$NEWROOT" != "$ROOT"
check "the old root key is kept aside for the operator to destroy" test -e "$R/.wicket/root.key.old"
run -C "$R" trust export "$T/v-rot.trust"
run -C "$L" trust import "$T/v-rot.trust"
check "an establishment accepts the handover, checked along the chain from its pinned root" ok
run -C "$L" trust show --json
check "the establishment's trust now has the new root" \
	test "$(sqlite3 :memory: "SELECT json_extract(readfile('$OUT'), '\$.root')")" = "$NEWROOT"
run -C "$R" region enrol "$T/lei2.req"
check "the new root signs further versions (a key already enrolled is refused by the new version too)" test "$rc" -eq 1
run -C "$L" quarantine
check "quarantine lists nothing when nothing was refused" grep -q "nothing is in quarantine" "$OUT"

finish
