#!/usr/bin/env bash
# bench/p7_memory.sh - P7: the peak memory of the client through a whole
# plan session, one command at a time, measured by GNU time (%M: the peak
# resident set of that process, kB): an establishment is created, enrolled,
# builds and assesses its OMU plan (every baseline), imports the sample
# inspection action plan, works its actions, checks readiness and the
# rules, submits and syncs; the region pulls, reports, signs the plan off
# (three roles) and pushes; the establishment syncs and sees the sign-off.
# For scale, the same figure for `sqlite3` inserting one row, `fossil ticket
# change` and a signed `git commit` (the peers of P1).
. "$(dirname "$0")/lib.sh"
CUR=p7
d=$T/p7
mkdir -p "$d"
site=$d/site region=$d/region
: >"$d/rss"

# m SIDE DIR ARGS...: run wicket -C DIR ARGS under GNU time, record "SIDE kB command".
m() {
	local side=$1 dir=$2 kb
	shift 2
	kb=$(rss_kb "$W" -C "$dir" "$@")
	printf '%s\t%s\t%s\n' "$side" "$kb" "$*" >>"$d/rss"
}

m region "$region" region init --region YORKS --person "Pat Officer" --repo "$d/regional.git" --unattended
root_key=$(grep -E '^[0-9a-f]{64}$' "$T/last.log")
m site "$site" init --site LEI --name "HMP Leeds" --category B --function reception --stage 3 --person "Pat Jones" \
	--device d1 --unattended
m site "$site" enrol request --region YORKS --out "$d/req"
m region "$region" region enrol "$d/req"
m region "$region" trust export "$d/trust"
m site "$site" trust import "$d/trust" --root "$root_key"
m site "$site" remote set "file://$d/regional.git"
m site "$site" edm list
m site "$site" plan create --edm OMU --title "OMU regime recovery plan"
for b in $(sqlite3 "$site/.wicket/store.db" "SELECT baseline FROM assessment ORDER BY baseline"); do
	m site "$site" baseline set "$b" --status in_progress --owner "Head of OMU" --target 2027-01-31 \
		--evidence "Reviewed at the regime meeting"
done
m site "$site" actionplan import "$BENCH_ROOT/samples/actionplan-omic-pre-release-2022.json"
m site "$site" actionplan summary
m site "$site" action update "omic-pre-release-2022/4#3" --target "March 2027" --reason "Supplier delay"
m site "$site" action progress "omic-pre-release-2022/4#3" --text "Devices ordered"
m site "$site" action complete "omic-pre-release-2022/2#1"
m site "$site" action list --overdue
m site "$site" plan show
m site "$site" log --entity assessment --json
m site "$site" readiness --stage 2
m site "$site" validate
m site "$site" check
m site "$site" sync
m site "$site" plan submit
m site "$site" sync
m region "$region" region pull
m region "$region" audit verify
m region "$region" report readiness --format html --out "$d/readiness.html"
m region "$region" --person "Morgan Hale" signoff omu --site LEI --role pgd
m region "$region" --person "Robin Ash" signoff omu --site LEI --role prison-gold
m region "$region" --person "Jo Carr" signoff omu --site LEI --role probation-gold
m region "$region" region push
m site "$site" sync
m site "$site" signoff show
"$W" -C "$site" signoff show --json | grep -q approved || die "the session did not end with the plan signed off"

# The peers, one command each.
sqlite3 "$d/floor.db" "PRAGMA journal_mode=WAL; CREATE TABLE change(v TEXT);" >/dev/null
p_sql=$(rss_kb sqlite3 "$d/floor.db" "PRAGMA synchronous=FULL; INSERT INTO change VALUES ('x')")
fossil_repo "$d/t.fossil"
p_fos=$(rss_kb fossil ticket change "$(cat "$d/t.fossil.ticket")" comment x -R "$d/t.fossil")
git_signing_repo "$d/git"
echo '{}' >"$d/git/change.json"
git -C "$d/git" add change.json
p_git=$(rss_kb git -C "$d/git" commit -q -m edit change.json)

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
cmds=$(wc -l <"$d/rss")
max_site=$(awk -F'\t' '$1 == "site" { if ($2 > m) { m = $2; c = $3 } } END { print m "\t" c }' "$d/rss")
max_region=$(awk -F'\t' '$1 == "region" { if ($2 > m) { m = $2; c = $3 } } END { print m "\t" c }' "$d/rss")
med_site=$(awk -F'\t' '$1 == "site" { print $2 }' "$d/rss" | median)
section p7 "P7 - peak memory through a whole plan session ($cmds commands, GNU time %M)"
md "| what | peak resident set (MB) | command |"
md "| --- | --- | --- |"
md "| establishment: largest of its commands | $(mb "${max_site%%$'\t'*}") | wicket ${max_site#*$'\t'} |"
md "| establishment: median command | $(mb "$med_site") | |"
md "| region: largest of its commands | $(mb "${max_region%%$'\t'*}") | wicket ${max_region#*$'\t'} |"
md "| sqlite3, one insert | $(mb "$p_sql") | |"
md "| fossil ticket change | $(mb "$p_fos") | |"
md "| git commit, SSH-signed | $(mb "$p_git") | |"
md ""
md "The five largest: $(sort -t$'\t' -k2,2nr "$d/rss" | head -n 5 | awk -F'\t' '{ split($3, w, " "); c = w[1] (w[2] !~ /^-/ && w[2] != "" ? " " w[2] : ""); printf "%s%s `wicket %s` (%.1f MB)", (NR > 1 ? ", " : ""), $1, c, $2 / 1024 }')."
md ""
json "{\"commands\":$cmds,\"site_peak_kb\":${max_site%%$'\t'*},\"site_median_kb\":$med_site,\"region_peak_kb\":${max_region%%$'\t'*},\"peers_kb\":{\"sqlite3\":$p_sql,\"fossil\":$p_fos,\"git\":$p_git}}"
