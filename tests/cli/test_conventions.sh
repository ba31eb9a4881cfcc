#!/usr/bin/env bash
# tests/cli/test_conventions.sh - the command line's conventions, as a user meets them:
# --help everywhere, --json on every read, exit statuses 0/1/2 with messages on stderr,
# the person acting, and the filters of `wicket log`.
#
# Runs from the source root with WICKET (the binary) and WICKET_POLICY_DIR set (ctest does).
# shellcheck disable=SC2317 # helpers are called through check()
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh" conv
trap 'rm -rf "$T"' EXIT

# SQL over a JSON file (sqlite3's JSON functions; no jq).
json_valid() { [ "$(sqlite3 :memory: "SELECT json_valid(CAST(readfile('$1') AS TEXT))")" = 1 ]; }
# json_count FILE [WHERE]: number of elements of the top-level array (matching WHERE on value).
json_count() {
	sqlite3 :memory: "SELECT count(*) FROM json_each(CAST(readfile('$1') AS TEXT)) WHERE ${2:-1}"
}
# A log entry's member: j(NAME) in a WHERE clause.
j() { printf "json_extract(value, '\$.%s')" "$1"; }

is_rc() { [ "$rc" -eq "$1" ]; }
out_empty() { [ ! -s "$T/out" ]; }
err_empty() { [ ! -s "$T/err" ]; }
err_starts_wicket() { [ "$(head -c 8 "$T/err")" = "wicket: " ]; }
err_has() { grep -qiF -- "$1" "$T/err"; }

S=$T/site
STORE=$S/.wicket/store.db
dump() { sqlite3 "$STORE" .dump; }

# ---------------------------------------------------------------------------------------------
# wicket --help, and --help for every command it lists

run --help
check "wicket --help exits 0" is_rc 0
check "wicket --help prints its usage on stdout" grep -q '^usage: wicket' "$T/out"
awk -F '  +' '/^commands:/ { on = 1; next } on && /^$/ { exit } on && NF > 1 { print $2 }' "$T/out" >"$T/commands"
ncommands=$(wc -l <"$T/commands")
check "wicket --help lists the commands (found $ncommands)" test "$ncommands" -ge 10
for c in init log check "plan create" "actionplan import"; do
	check "wicket --help lists '$c'" grep -qx "$c" "$T/commands"
done

: >"$T/read-commands"
: >"$T/write-commands"
while IFS= read -r cmd; do
	# shellcheck disable=SC2086 # the command's words are separate arguments
	run $cmd --help
	check "wicket $cmd --help exits 0" is_rc 0
	first=$(head -n 1 "$T/out")
	case "$first" in
	"usage: wicket $cmd" | "usage: wicket $cmd "*) passed=$((passed + 1)) ;;
	*) fail "wicket $cmd --help starts with 'usage: wicket $cmd' (first line: '$first')" ;;
	esac
	check "wicket $cmd --help mentions --help" grep -qF -- "--help" "$T/out"
	if grep -qF -- "stream of JSON events" "$T/out"; then
		# transfers (sync, region pull|publish): their --json is an event stream, tested in tests/sync
		echo "$cmd" >>"$T/event-commands"
	elif grep -qF -- "--json" "$T/out"; then
		echo "$cmd|$first" >>"$T/read-commands"
	elif [ "$cmd" != init ]; then
		echo "$cmd" >>"$T/write-commands"
	fi
done <"$T/commands"
nread=$(wc -l <"$T/read-commands")
check "some commands are reads with --json (found $nread)" test "$nread" -ge 8

# ---------------------------------------------------------------------------------------------
# a store with something in every table

run -C "$S" init --site LEI --name "HMP Leeds" --category B --function reception --person "Pat Jones"
check "init succeeds" is_rc 0
run -C "$S" plan create --edm OMU
check "plan create --edm OMU succeeds" is_rc 0
run -C "$S" actionplan import "$SAMPLE_JSON"
check "the sample action plan imports" is_rc 0
run -C "$S" action add --rec 1 --text "Review the OMU's handover process" --owner "Head of OMU" --target 2027-01-31
check "action add succeeds" is_rc 0
ACTION=$(sed -n 's/^added action \([^ ]*\).*/\1/p' "$T/out")
check "action add prints the new action's id" test -n "$ACTION"
run -C "$S" decision add --date 2026-01-05 --decision "Keep the OMU open at weekends" \
	--rationale "Staffing allows it" --by "Governor"
check "decision add succeeds" is_rc 0

# ---------------------------------------------------------------------------------------------
# every read command prints valid JSON with --json

while IFS='|' read -r cmd usage; do
	args=
	# The positional argument a read needs, from its usage line: required unless in [brackets].
	needs=$(printf '%s\n' "$usage" | sed -n 's/^usage: wicket .* \[options\] \([^[].*\)$/\1/p')
	if [ -n "$needs" ]; then
		case "$cmd" in
		"edm show") args=OMU ;;
		"baseline show") args=2.4 ;;
		"rec show") args=1 ;;
		"action show") args=$ACTION ;;
		"policy show") args=national/rules.lua ;;
		"report") args=responses ;;
		"audit show") args="plan omu" ;;
		"bundle show") continue ;; # needs a bundle and a trust file: tests/cli/test_bundle.sh
		# the example establishment's script (a site may check only its own names), and its test cases
		# beside it, run under the name the cases expect
		"policy check") args=$SRC/policies/sites/HMP-A/rules.lua ;;
		"policy test") args="--name sites/HMP-A/rules.lua $SRC/policies/sites/HMP-A/rules.lua" ;;
		*)
			fail "read command '$cmd' needs '$needs' and this test does not know a value for it"
			continue
			;;
		esac
	fi
	# shellcheck disable=SC2086
	run -C "$S" $cmd $args --json
	check "wicket $cmd $args --json exits 0" is_rc 0
	check "wicket $cmd $args --json prints valid JSON" json_valid "$T/out"
	check "wicket $cmd $args --json prints nothing on stderr" err_empty
done <"$T/read-commands"

# ---------------------------------------------------------------------------------------------
# exit status 2 for usage errors, 1 for failures; messages on stderr, nothing on stdout

usage_error() { # DESCRIPTION WORD ARGS...: exit 2, "wicket: ..." naming WORD, nothing on stdout
	local desc=$1 word=$2
	shift 2
	run "$@"
	check "$desc: exit status 2" is_rc 2
	check "$desc: nothing on stdout" out_empty
	check "$desc: stderr starts 'wicket: '" err_starts_wicket
	check "$desc: the message names '$word'" err_has "$word"
}
usage_error "an unknown command" frobnicate -C "$S" frobnicate
usage_error "an unknown subcommand" frobnicate -C "$S" plan frobnicate
usage_error "an unknown global option" --bogus --bogus -C "$S" plan list
usage_error "an unknown option" --bogus -C "$S" plan list --bogus
usage_error "an unknown short option" -x -C "$S" plan list -x
usage_error "a missing required positional" CODE -C "$S" edm show
usage_error "a missing required positional (action show)" ACTION -C "$S" action show
usage_error "too many positionals" extra -C "$S" edm show OMU extra
usage_error "too many positionals (baseline set)" 2.5 -C "$S" baseline set 2.4 2.5 --status met
usage_error "--limit that is not a number" --limit -C "$S" log --limit many

# --json given to each write command
before=$(dump)
while IFS= read -r cmd; do
	# shellcheck disable=SC2086
	usage_error "--json given to the write command '$cmd'" --json -C "$S" $cmd --json
done <"$T/write-commands"
# ... including a write that would otherwise succeed: it must not happen
usage_error "--json given to a valid baseline set" --json -C "$S" baseline set 2.4 --status in_progress --json
check "--json given to a write command changes nothing in the store" test "$(dump)" = "$before"

# a failure: no store
run -C /nonexistent plan list
check "a missing store: exit status 1" is_rc 1
check "a missing store: nothing on stdout" out_empty
check "a missing store: stderr starts 'wicket: '" err_starts_wicket
check "a missing store: the message names the store's path" err_has /nonexistent
run -C "$T/empty-dir" action add --rec 1 --text t --owner o --target 2027-01-01
check "a write without a store: exit status 1" is_rc 1
check "a write without a store: stderr starts 'wicket: '" err_starts_wicket
check "a write without a store: nothing on stdout" out_empty

# ---------------------------------------------------------------------------------------------
# the person acting

log_after() { # SEQ FILE: the log entries after SEQ into FILE
	"$WICKET" -C "$S" log --json >"$2" 2>/dev/null
	sqlite3 :memory: "SELECT json_group_array(json(value)) FROM json_each(CAST(readfile('$2') AS TEXT))
		WHERE $(j seq) > $1" >"$2.new"
	mv "$2.new" "$2"
}
last_seq() {
	"$WICKET" -C "$S" log --json >"$T/all.json" 2>/dev/null
	sqlite3 :memory: "SELECT coalesce(max($(j seq)), 0) FROM json_each(CAST(readfile('$T/all.json') AS TEXT))"
}
# acted_by DESCRIPTION PERSON ARGS...: run a write; its log entries all name PERSON.
acted_by() {
	local desc=$1 person=$2 seq
	shift 2
	seq=$(last_seq)
	run "$@"
	check "$desc: the command succeeds" is_rc 0
	log_after "$seq" "$T/new.json"
	n=$(json_count "$T/new.json")
	check "$desc: the change is in the log ($n entries)" test "$n" -gt 0
	others=$(sqlite3 :memory: "SELECT group_concat(DISTINCT $(j person)) FROM json_each(CAST(readfile('$T/new.json') AS TEXT))
		WHERE $(j person) IS NOT '$person'")
	check "$desc: the log names '$person' (others found: '${others}')" test -z "$others"
}

"$WICKET" -C "$S" log --json --entity establishment >"$T/est.json" 2>/dev/null
n=$(json_count "$T/est.json")
m=$(json_count "$T/est.json" "$(j person) = 'Pat Jones'")
check "init records the person given with --person ($m of $n entries)" test "$n" -gt 0 -a "$m" -eq "$n"

acted_by "a write without --person" "Pat Jones" \
	-C "$S" action progress "$ACTION" --text "Started"
acted_by "global --person before the command" "Sam Patel" \
	--person "Sam Patel" -C "$S" action progress "$ACTION" --text "Handover reviewed"
acted_by "global --person after -C" "Sam Patel" \
	-C "$S" --person "Sam Patel" baseline set 2.4 --status in_progress
acted_by "the command's own --person" "Kim Lee" \
	-C "$S" baseline set 2.4 --owner "OASys Lead" --person "Kim Lee"
acted_by "the command's own --person=NAME" "Ali Khan" \
	-C "$S" action update "$ACTION" --owner "Deputy Head of OMU" --person="Ali Khan"
acted_by "the command's --person wins over the global one" "Kim Lee" \
	--person "Sam Patel" -C "$S" decision add --date 2026-02-01 --decision "Review monthly" \
	--rationale "Audit asked" --by "Governor" --person "Kim Lee"
acted_by "--person does not stick: the next write is the default person's again" "Pat Jones" \
	-C "$S" action progress "$ACTION" --text "Checked again"

run -C "$S" action show "$ACTION" --json
cp "$T/out" "$T/action.json"
p=$(sqlite3 :memory: "SELECT group_concat(json_extract(value, '\$.person'), '|')
	FROM json_each(CAST(readfile('$T/action.json') AS TEXT), '\$.progress')")
check "action show lists each progress update with its person (got '$p')" \
	test "$p" = "Pat Jones|Sam Patel|Pat Jones"

# ---------------------------------------------------------------------------------------------
# wicket log filters

run -C "$S" log --json
cp "$T/out" "$T/log-all.json"
total=$(json_count "$T/log-all.json")
check "wicket log --json lists every change ($total)" test "$total" -gt 100

# log_filter DESCRIPTION WHERE EXPECTED ARGS...: the filtered log is valid JSON, every entry
# matches WHERE, and the count is EXPECTED (a number) or, for "fewer", between 1 and total-1.
log_filter() {
	local desc=$1 where=$2 expected=$3
	shift 3
	run -C "$S" log --json "$@"
	check "log $*: exits 0" is_rc 0
	if ! json_valid "$T/out"; then
		fail "log $*: valid JSON"
		show_last
		return
	fi
	passed=$((passed + 1))
	local n bad
	n=$(json_count "$T/out")
	bad=$(json_count "$T/out" "NOT ($where)")
	check "log $*: $desc (entries not matching: $bad)" test "$bad" -eq 0
	if [ "$expected" = fewer ]; then
		check "log $*: narrows the log (got $n of $total)" test "$n" -gt 0 -a "$n" -lt "$total"
	else
		check "log $*: gives $expected entries (got $n of $total)" test "$n" -eq "$expected"
	fi
}

log_filter "only actions" "$(j entity) = 'action'" fewer --entity action
log_filter "only recommendations" "$(j entity) = 'recommendation'" fewer --entity recommendation
n_action=$(json_count "$T/log-all.json" "$(j id) = '$ACTION'")
log_filter "only the action $ACTION" "$(j id) = '$ACTION'" "$n_action" --id "$ACTION"
n_prefix=$(json_count "$T/log-all.json" "$(j id) LIKE 'omic-pre-release-2022/1#%'")
log_filter "only the actions of recommendation 1 (prefix)" \
	"substr($(j id), 1, 24) = 'omic-pre-release-2022/1#'" "$n_prefix" --id 'omic-pre-release-2022/1#*'
check "the prefix filter finds several records ($n_prefix entries)" test "$n_prefix" -gt "$n_action"
n_sam=$(json_count "$T/log-all.json" "$(j person) = 'Sam Patel'")
log_filter "only Sam Patel's changes" "$(j person) = 'Sam Patel'" "$n_sam" --by "Sam Patel"
check "Sam Patel made some changes ($n_sam)" test "$n_sam" -gt 0
log_filter "nobody's changes for an unknown person" "1" 0 --by "Nobody Known"
log_filter "only changes of the field owner" "$(j field) = 'owner'" fewer --field owner
log_filter "only owner changes of actions" "$(j field) = 'owner' AND $(j entity) = 'action'" fewer \
	--entity action --field owner
log_filter "Kim Lee's changes of baseline 2.4's owner" \
	"$(j field) = 'owner' AND $(j person) = 'Kim Lee'" 1 --by "Kim Lee" --field owner

today=$(date -u +%Y-%m-%d)
log_filter "everything since today (UTC)" "1" "$total" --since "$today"
log_filter "everything until today (UTC)" "1" "$total" --until "$today"
log_filter "everything on today (UTC)" "substr($(j time), 1, 10) = '$today'" "$total" \
	--since "$today" --until "$today"
log_filter "everything since a date far in the past" "1" "$total" --since 2000-01-01
log_filter "nothing since a date far in the future" "1" 0 --since 2999-12-31
log_filter "nothing until a date far in the past" "1" 0 --until 2000-01-01
log_filter "everything until a date far in the future" "1" "$total" --until 2999-12-31
log_filter "only actions, since today" "$(j entity) = 'action'" fewer --entity action --since "$today"

first5=$(sqlite3 :memory: "SELECT group_concat($(j seq)) FROM (SELECT value FROM
	json_each(CAST(readfile('$T/log-all.json') AS TEXT)) LIMIT 5)")
log_filter "at most 5 changes" "1" 5 --limit 5
got5=$(sqlite3 :memory: "SELECT group_concat($(j seq)) FROM json_each(CAST(readfile('$T/out') AS TEXT))")
check "log --limit 5 gives the 5 oldest changes ($got5; expected $first5)" test "$got5" = "$first5"
log_filter "the first action change" "$(j entity) = 'action'" 1 --entity action --limit 1

# bad filter values are refused, not ignored
run -C "$S" log --since 2026-13-01
check "log --since 2026-13-01: exit status 1" is_rc 1
check "log --since 2026-13-01: the message names --since" err_has "--since"
check "log --since 2026-13-01: nothing on stdout" out_empty
run -C "$S" log --entity frobnicate
check "log --entity frobnicate: exit status 1" is_rc 1
check "log --entity frobnicate: the message names the type" err_has frobnicate
run -C "$S" log --limit 0
check "log --limit 0: exit status 2" is_rc 2
check "log --limit 0: the message names --limit" err_has "--limit"

# the text form of the log shows the same filter
run -C "$S" log --by "Kim Lee"
check "log --by 'Kim Lee' (text) exits 0" is_rc 0
check "log --by 'Kim Lee' (text) shows only Kim Lee's changes" \
	test "$(grep -c 'Kim Lee' "$T/out")" -eq "$(wc -l <"$T/out")" -a "$(wc -l <"$T/out")" -gt 0

finish
