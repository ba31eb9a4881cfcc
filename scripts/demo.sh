#!/usr/bin/env bash
# The demo: install what is missing, build, then one establishment working
# offline: created, its plan built from the national OMU EDM, baselines
# assessed, the sample inspection action plan imported, and a readiness-style
# summary printed. Everything happens in a fresh temporary directory.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
BUILD_DIR="$root/build" "$root/scripts/build.sh"

wicket="$root/build/wicket"
export WICKET_POLICY_DIR="$root/policies"
work=$(mktemp -d "${TMPDIR:-/tmp}/wicket-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
site="$work/leeds"
w() { echo "\$ wicket $*" | sed "s|$site|SITE|g"; "$wicket" -C "$site" "$@"; echo; }

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
w check
