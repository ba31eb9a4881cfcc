#!/usr/bin/env bash
# bench/p1_edit.sh - P1: one edit from the command line, process start to
# durable commit, with hyperfine:
#
#   wicket   `wicket baseline set 2.4 --evidence TEXT`: the store opened, the
#            change made, the national rules evaluated over the store, one
#            durable commit (WAL, synchronous=FULL);
#   sqlite3  the sqlite3 command line inserting one row into a WAL database
#            with PRAGMA synchronous=FULL (the floor: a process and a commit);
#   fossil   `fossil ticket change TICKET comment TEXT` (autosync off);
#   git      one signed commit (SSH signature, gpg.format=ssh) of a changed
#            JSON file: `git commit -m edit change.json`.
#   wicket, no rules  the same edit on a copy of the store whose policy_script
#            table was emptied behind wicket's back (so no rule runs: wicket
#            then commits without validating). Not a way to use wicket; it
#            shows what the edit costs apart from the rules, which is what
#            bounds the 1.3x target.
#
# wicket and git alternate between two values (hyperfine --prepare sets the
# other one first, untimed), so that every timed run is a real change.
# ROUNDS rounds of hyperfine, each timing every command RUNS times in turn,
# so that drift in the machine's speed reaches all four alike; the figure is
# the median of every run of every round.
. "$(dirname "$0")/lib.sh"
CUR=p1
rounds=$(q 5 3) runs=$(q 20 10)

d=$T/p1
mkdir -p "$d"
"$W" -C "$d/site" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" \
	--device d1 --unattended >/dev/null
"$W" -C "$d/site" plan create --edm OMU >/dev/null
"$W" -C "$d/site" actionplan import "$BENCH_ROOT/samples/actionplan-omic-pre-release-2022.json" >/dev/null
sqlite3 "$d/floor.db" "PRAGMA journal_mode=WAL; CREATE TABLE change(id INTEGER PRIMARY KEY, entity TEXT, field TEXT, value TEXT);" >/dev/null
fossil_repo "$d/t.fossil"
tk=$(cat "$d/t.fossil.ticket")
cp -a "$d/site" "$d/norules"
sqlite3 "$d/norules/.wicket/store.db" "DELETE FROM policy_script" >/dev/null
git_signing_repo "$d/git"
echo '{}' >"$d/git/change.json"
git -C "$d/git" add change.json && git -C "$d/git" commit -q -m start
git -C "$d/git" cat-file commit HEAD | grep -q "BEGIN SSH SIGNATURE" || die "git commits are not signed"

names=(wicket sqlite3 fossil git wicket-no-rules)
cmds=(
	"$W -C $d/site baseline set 2.4 --evidence after"
	"sqlite3 $d/floor.db \"PRAGMA synchronous=FULL; INSERT INTO change(entity, field, value) VALUES ('assessment', 'evidence', 'after')\""
	"fossil ticket change $tk comment after -R $d/t.fossil"
	"git -C $d/git commit -q -m edit change.json"
	"$W -C $d/norules baseline set 2.4 --evidence after"
)
preps=(
	"$W -C $d/site baseline set 2.4 --evidence before"
	"true"
	"true"
	"sh -c 'date +%s%N >$d/git/change.json'"
	"$W -C $d/norules baseline set 2.4 --evidence before"
)
log "P1: $rounds rounds x $runs runs of ${#names[@]} commands"
args=()
for ((i = 0; i < ${#names[@]}; i++)); do args+=(--prepare "${preps[$i]}" -n "${names[$i]}" "${cmds[$i]}"); done
for ((r = 0; r < rounds; r++)); do
	hyperfine -N --style none --warmup 2 --runs "$runs" --export-json "$d/round$r.json" "${args[@]}" >/dev/null 2>"$d/hf.err" ||
		{ cat "$d/hf.err" >&2; die "hyperfine failed"; }
done
# Every command must have done what it says: the last values are the timed ones.
[ "$("$W" -C "$d/site" baseline show 2.4 --json | jq -r .evidence)" = after ] ||
	die "the wicket edit did not land"
[ "$("$W" -C "$d/norules" baseline show 2.4 --json | jq -r .evidence)" = after ] ||
	die "the wicket edit without rules did not land"
[ "$(sqlite3 "$d/floor.db" 'SELECT count(*) FROM change')" -ge $((rounds * runs)) ] || die "the inserts did not land"

declare -A ms
for n in "${names[@]}"; do
	ms[$n]=$(jq -r --arg n "$n" '.results[] | select(.command == $n) | .times[]' "$d"/round*.json |
		awk '{ printf "%.3f\n", $1 * 1000 }' | median)
done
w=${ms[wicket]}
r_nr=$(div "${ms[wicket-no-rules]}" "${ms[sqlite3]}") r_sql=$(div "$w" "${ms[sqlite3]}") r_fos=$(div "$w" "${ms[fossil]}") r_git=$(div "$w" "${ms[git]}")
ok_sql=$(holds "$r_sql <= 1.3") ok_fos=$(holds "$r_fos < 1") ok_git=$(holds "$r_git < 1")

section p1 "P1 - one edit from the command line, process start to durable commit (median of $((rounds * runs)) runs in $rounds interleaved rounds)"
md "| command | median (ms) | wicket / this | target | |"
md "| --- | --- | --- | --- | --- |"
md "| wicket baseline set (rules evaluated, durable commit) | $w | 1.00x | | |"
md "| sqlite3: one insert, WAL, synchronous=FULL | ${ms[sqlite3]} | ${r_sql}x | <= 1.3x | $(verdict "$ok_sql") |"
md "| fossil ticket change (one field) | ${ms[fossil]} | ${r_fos}x | < 1x | $(verdict "$ok_fos") |"
md "| git commit, SSH-signed, one JSON file | ${ms[git]} | ${r_git}x | < 1x | $(verdict "$ok_git") |"
md ""
md "Without its rules (the same edit on a store with no policy scripts, not a supported use), wicket takes ${ms[wicket-no-rules]} ms: ${r_nr}x the sqlite3 insert. The rules take the rest."
md ""
json "{\"rounds\":$rounds,\"runs\":$runs,\"median_ms\":{\"wicket\":$w,\"sqlite3\":${ms[sqlite3]},\"fossil\":${ms[fossil]},\"git\":${ms[git]},\"wicket_no_rules\":${ms[wicket-no-rules]}},\"ratio\":{\"no_rules_to_sqlite3\":$r_nr,\"sqlite3\":$r_sql,\"fossil\":$r_fos,\"git\":$r_git},\"met\":{\"sqlite3_1.3x\":$(jb $ok_sql),\"faster_than_fossil\":$(jb $ok_fos),\"faster_than_git\":$(jb $ok_git)}}"
