#!/usr/bin/env bash
# The demo: install what is missing, build, then establishments working
# offline: one created, its plan built from the national OMU EDM, baselines
# assessed, the sample inspection action plan imported, its readiness for
# stage 2 judged by the national rules, a change the rules refuse; then a
# second establishment whose own Lua rules are tested, installed and used.
# Then the region: its trust file and a regional repository on a folder
# (file://); both establishments enrolled and syncing, one of them offline for
# a while; the region pulling, auditing and reporting; a plan signed off by
# the regional roles; a second Leeds device fed by a bundle on a USB stick;
# and a conflict between the two Leeds devices, listed everywhere and
# resolved by the region. Signed and encrypted end to end.
# Everything happens in a fresh temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
BUILD_DIR="$root/build" "$root/scripts/build.sh"

wicket="$root/build/wicket"
export WICKET_POLICY_DIR="$root/policies"
# Each device's keys are protected by a passphrase. A real device asks for it on
# the terminal; the demo gives it in the environment, and uses Argon2id at its
# interactive strength so that it runs quickly.
export WICKET_PASSPHRASE="demo passphrase, not for real use" WICKET_KDF=interactive
work=$(mktemp -d "${TMPDIR:-/tmp}/wicket-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
site="$work/leeds"
w() { echo "\$ wicket $*" | sed "s|$root/||g; s|$work/||g"; "$wicket" -C "$site" "$@"; echo; }

echo "== one establishment, offline"
w init --site LEI --name "HMP Leeds" --category B --function reception --stage 3 \
  --person "Pat Jones (HOMD)" --device lei-1
w edm list
w plan create --edm OMU --title "OMU regime recovery plan"
w baseline set 1.1 --status met --owner "Head of OMU" --evidence "Recategorisation reviews run on quantum data since May"
w baseline set 1.2 --status met --owner "Head of OMU" --evidence "All new cases allocated within 5 days"
w baseline set 2.1 --status partly_met --owner "Public Protection Lead" --target 2026-12-31
w baseline set 2.4 --status in_progress --owner "OASys Lead" --target 2027-01-31 \
  --arrangement "Early allocation and pre-handover assessments first"
w baseline set 2.9 --status not_applicable --rationale "No young adults are held here since the 2026 re-role"
w --person "Sam Patel (OMU admin)" baseline set 3.3 --status not_met --owner "MAPPA SPOC"
w actionplan import "$root/samples/actionplan-omic-pre-release-2022.json"
w actionplan summary
w action update omic-pre-release-2022/4#3 --target "March 2027" --reason "Device roll-out delayed by supplier"
w action list --overdue
w plan show
w log --entity assessment --by "Sam Patel (OMU admin)"
w readiness --stage 2
w validate
echo "# a change the national rules refuse: a Not Agreed recommendation cannot keep its actions"
w rec respond 2 --response not_agreed --reason policy --text "Not affordable this year" ||
  echo "(refused as it should be; nothing was written)"; echo
w check

echo "== a second establishment, with its own rules (policies/sites/HMP-A)"
site="$work/hmp-a"
w init --site HMP-A --name "HMP A (example)" --category C --function training --person "Alex Reid (HOMS)"
w plan create --edm OMU
w policy test "$root/policies/sites/HMP-A/rules.lua"
w policy install "$root/policies/sites/HMP-A/rules.lua"
w policy list
w baseline set 3.5 --status not_met --owner "OMU Manager"
echo "# HMP-A's own rule makes a mandatory weight-2 baseline not met red (national blockers elided)"
w readiness --stage 2 | grep -vE "national\.mandatory"

echo "== the region, its regional repository (a folder: file://), and two establishments syncing"
leeds="$work/leeds"
hmpa="$work/hmp-a"
site="$work/region"
w region init --region YORKS --person "Pat Officer (PGD office)" --repo "$work/regional.git" | tee "$work/region.out"
root_key=$(grep -E "^[0-9a-f]{64}$" "$work/region.out")
echo "# a second Leeds device joins now; later it is fed by a bundle (devices read changesets sealed after they enrol)"
site="$work/leeds-2"; w init --join --site LEI --device lei-2 --person "Sam Patel (OMU admin)"
for dev in "$leeds" "$hmpa" "$work/leeds-2"; do
  site="$dev"; w enrol request --region YORKS --out "$dev.req"
  site="$work/region"; w region enrol "$dev.req"
done
site="$work/region"; w trust export "$work/usb-trust"
site="$work/region"; w region publish
site="$work/leeds-2"; w trust import "$work/usb-trust" --root "$root_key"
for dev in "$leeds" "$hmpa"; do
  site="$dev"; w trust import "$work/usb-trust" --root "$root_key"
  site="$dev"; w remote set "file://$work/regional.git"
done
site="$leeds"; w sync
site="$hmpa"; w sync
echo "# Leeds loses its network; work goes on and waits"
site="$leeds"; w remote set "file://$work/network-down.git"
site="$leeds"; w baseline set 3.6 --status in_progress --owner "Parole Lead" --target 2027-02-28
site="$leeds"; w sync || echo "(offline, exit $?: nothing lost)"; echo
site="$leeds"; w status
site="$leeds"; w remote set "file://$work/regional.git"
site="$leeds"; w sync
site="$work/region"; w region pull
site="$work/region"; w quarantine
site="$work/region"; w audit verify
site="$work/region"; w report responses
site="$work/region"; w report readiness --format html --out "$work/readiness.html"
echo "# (the HTML report is one self-contained page: $(wc -c <"$work/readiness.html") bytes)"; echo

echo "== sign-off: Leeds submits; the PGD, Prison Gold and probation Gold approve; Leeds sees it"
site="$leeds"; w plan submit
site="$leeds"; w sync
site="$work/region"; w region pull
site="$work/region"; w --person "Morgan Hale (PGD)" signoff omu --site LEI --role pgd
site="$work/region"; w --person "Robin Ash (Prison Gold)" signoff omu --site LEI --role prison-gold
site="$work/region"; w --person "Jo Carr (probation Gold)" signoff omu --site LEI --role probation-gold
site="$work/region"; w region push
site="$leeds"; w sync
site="$leeds"; w signoff show

echo "== sneakernet: the second Leeds device, fed from a bundle on a USB stick"
site="$work/region"; w bundle export --for LEI "$work/usb-region.wkb"
site="$work/leeds-2"; w bundle import "$work/usb-region.wkb"
site="$work/leeds-2"; w actionplan summary
site="$leeds"; w trust show

echo "== a conflict: both Leeds devices change one action's owner before either has seen the other"
"$wicket" -C "$leeds" action list --json >"$work/actions.json"
act=$(grep -m1 -oE '"id": "[^"]+"' "$work/actions.json" | cut -d'"' -f4)
site="$leeds"; w action update "$act" --owner "Head of Reducing Reoffending"
site="$work/leeds-2"; w action update "$act" --owner "Deputy Governor"
site="$work/leeds-2"; w bundle export "$work/usb-leeds-2.wkb"
site="$work/region"; w bundle import "$work/usb-leeds-2.wkb"
site="$leeds"; w sync
site="$work/region"; w region pull
echo "# the second device's change reaches the first on a bundle from the region (it never syncs online)"
site="$work/region"; w bundle export --for LEI "$work/usb-region-2.wkb"
site="$leeds"; w bundle import "$work/usb-region-2.wkb"
echo "# every replica holds the same provisional winner and lists both values, who wrote them and when"
site="$leeds"; w conflicts
site="$work/region"; w conflicts
"$wicket" -C "$work/region" conflicts --json >"$work/conflicts.json"
conflict=$(grep -m1 -oE '"id": "[0-9a-f]{10}"' "$work/conflicts.json" | cut -d'"' -f4)
site="$work/region"; w --person "Pat Officer (PGD office)" conflicts resolve "$conflict" --keep 2
site="$work/region"; w region push
site="$leeds"; w sync
site="$leeds"; w conflicts
site="$leeds"; w action show "$act"
site="$work/region"; w audit show action "$act" --site LEI
