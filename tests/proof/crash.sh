#!/usr/bin/env bash
# tests/proof/crash.sh - promise 1 (acknowledged means durable; a crash leaves
# no half change) and promise 8 (a cut sync is retried without duplicating),
# proved by killing the real client with SIGKILL.
#
#   crash.sh [--long | --all] [--seed N] [--step NAME] [--point K] [--keep]
#
# A scenario of real commands on real files: an establishment's two devices
# (LEI d1 and d2) and the region, on a file:// regional repository. Steps:
# an action plan import (501 changes), action add, progress, update, a sync,
# action complete, a bundle export, the bundle's import on the other device,
# a region pull. Each step is first run with the fault injector counting its
# points (every write, fsync, rename, link, unlink and truncate, in the
# client and in its forked libgit2 child); then, from the state saved before
# the step, it is run again and SIGKILLed at point k, before the call, or
# right after the last one (the change committed, not yet acknowledged).
# After each kill:
#   - wicket check (PRAGMA integrity_check) is ok on every store, the region's
#     replica of the establishment too;
#   - every store holds exactly the changes it held before the step, or
#     exactly those it holds after it (no half change, nothing twice); a
#     store that applies other devices' changesets (bundle import, pull)
#     holds whole changesets, in order; every sealed changeset holds all of
#     its operations;
#   - a bundle the step was writing is either absent or whole;
#   - the step run again (when its change is not there, or when it is one a
#     user simply retries: sync, export, import, pull) succeeds, and leaves
#     the changes a run without the kill leaves;
#   - then both devices sync and the region pulls, all succeed, and the
#     region's replica holds every change that travelled exactly once, the
#     same as both devices; the device's ref in the regional repository has
#     one commit per changeset; the region's audit verifies.
# Then random moments: a sync with new work is SIGKILLed after a random delay
# (seeded: --seed), again and again, the whole process group or the client
# alone; after each, the store checks and holds every acknowledged change
# once; at the end a sync completes and every change reached the region once.
#
# Which points: short (CI, tests/proof/test_crash.sh): for each step the first
# point, one boundary and one point at seeded random, and the point after the
# last (about 35 points, 4 random kills). --long: every boundary (each point
# that is not a plain write: fsync, rename, link, unlink, truncate) and the
# point just after it, every 16th point, and the point after the last (about
# 300 points, 25 random kills). --all: every point (about 1,800).
# --step NAME and --point K run one step's one point (K, or K+ for the kill
# right after point K) and say what happened: the way to reproduce a
# failure; --keep keeps the working directory.
#
# Runs from the source root with WICKET, WICKET_POLICY_DIR, WICKET_PASSPHRASE
# and WICKET_KDF set (ctest and scripts/proof.sh set them).
# shellcheck disable=SC2317
set -u

depth=short seed=${WK_PROOF_SEED:-7} only_step='' only_point='' keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--long) depth=long ;;
	--all) depth=all ;;
	--seed) seed=$2; shift ;;
	--step) only_step=$2; shift ;;
	--point) only_point=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "crash.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/lib.sh
. "$here/../cli/lib.sh" crash
# shellcheck source=tests/sync/lib_sync.sh
. "$here/../sync/lib_sync.sh"
# shellcheck source=tests/proof/lib_proof.sh
. "$here/lib_proof.sh"
if [ "$keep" = 1 ]; then
	trap 'echo "kept: $T"' EXIT
else
	trap 'rm -rf "$T"' EXIT
fi
t_start=$(date +%s)
describe_build

# ---- the scenario --------------------------------------------------------------------------

STEPS=(import add progress update sync complete export bundle-import pull)
declare -A STORE RETRY
# step_args NAME: the step's command line, in the array args.
step_args() {
	case $1 in
	import) args=(-C "$A" actionplan import "$SAMPLE_JSON") ;;
	add) args=(-C "$A" action add --rec 2 --text "Brief the OMU" --owner "Head of OMU" --target 2027-01-31) ;;
	progress) args=(-C "$A" action progress "omic-pre-release-2022/2#1" --text "Review started") ;;
	update) args=(-C "$A" action update "omic-pre-release-2022/2#1" --target 2027-03-01 --reason "Slipped") ;;
	sync) args=(-C "$A" sync) ;;
	complete) args=(-C "$A" action complete "omic-pre-release-2022/3#1") ;;
	export) args=(-C "$A" bundle export "$BUNDLE") ;;
	bundle-import) args=(-C "$B" bundle import "$BUNDLE") ;;
	pull) args=(-C "$R" region pull) ;;
	esac
}
# The store whose changes the step makes (the region's replica of LEI for a pull).
STORE=([import]=$A [add]=$A [progress]=$A [update]=$A [sync]=$A [complete]=$A [export]=$A
	[bundle-import]=$B [pull]=$REPLICA)
# Steps that apply other devices' changesets: each changeset is all or nothing.
declare -A APPLIES=([bundle-import]=1 [pull]=1)
# Steps a user simply runs again after a crash, whatever happened: they are idempotent.
RETRY=([import]=1 [sync]=1 [export]=1 [bundle-import]=1 [pull]=1)

store_db() { case $1 in *.db) echo "$1" ;; *) echo "$1/.wicket/store.db" ;; esac; }

# ---- 1. count each step's points; save the state before and after each ---------------------

set_up
check "set-up: a region, two devices of LEI, a plan, synced" test $? -eq 0
save 0
declare -A NPOINTS BEFORE_I
total_points=0
i=0
for s in "${STEPS[@]}"; do
	BEFORE_I[$s]=$i
	restore "$i"
	record "$T/changes-$i"
	step_args "$s"
	inject count 0 "$T/count-$s.log" "${args[@]}"
	check "step $s runs to the end with the injector counting" test "$rc" -eq 0
	NPOINTS[$s]=$(points "$T/count-$s.log")
	i=$((i + 1))
	save "$i"
	record "$T/changes-$i"
	# What a run without any fault ends with, once both devices synced and the region pulled.
	finish_sequence >"$T/finish-$s.err" || fail "step $s: the closing sync after a clean run failed: $(cat "$T/finish-$s.err")"
	record "$T/final-$s"
	calls=$(awk '/^[0-9]/ {print $3}' "$T/count-$s.log" | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep=", "}')
	echo "step $s: ${NPOINTS[$s]} points ($calls)"
	total_points=$((total_points + NPOINTS[$s]))
done
echo "scenario: ${#STEPS[@]} steps, $total_points points in all"

# ---- 2. kill each chosen point, check, recover ------------------------------------------

injected=0 recovered=0 unreached=0
declare -A HIT_CALLS

# same_as FILE CHANGES_FILE...: FILE equals one of the others.
same_as() {
	local f=$1 g
	shift
	for g in "$@"; do cmp -s "$f" "$g" && return 0; done
	return 1
}

# after_kill STEP I: the checks after a kill of STEP, whose state before is I. Prints problems.
after_kill() {
	local s=$1 i=$2 who db now=$T/now j=$(($2 + 1))
	for who in "$A" "$B" "$R"; do
		"$WICKET" -C "$who" check >"$T/check.out" 2>&1 ||
			echo "wicket check fails on $who: $(cat "$T/check.out")"
	done
	if [ -f "$REPLICA" ]; then
		[ "$(sqlite3 "$REPLICA" 'PRAGMA integrity_check' 2>&1)" = ok ] || echo "integrity_check fails on $REPLICA"
	fi
	record "$now"
	for who in A B R; do
		db=$(store_db "$(case $who in A) echo "$A" ;; B) echo "$B" ;; R) echo "$REPLICA" ;; esac)")
		if [ "$db" = "$(store_db "${STORE[$s]}")" ] && [ -n "${APPLIES[$s]:-}" ]; then
			[ -f "$db" ] && whole_changesets "$db" "$T/changes-$i/$who" "$T/changes-$j/$who" \
				"$T/state-$j/${db#"$W/"}" | sed "s/^/store $who: /"
		elif [ "$db" = "$(store_db "${STORE[$s]}")" ]; then
			same_as "$now/$who" "$T/changes-$i/$who" "$T/changes-$j/$who" ||
				echo "store $who holds neither the changes before the step nor those after it (a half change): $(diff "$T/changes-$i/$who" "$now/$who" | head -5 | tr '\n' ' ')"
		else
			cmp -s "$now/$who" "$T/changes-$i/$who" ||
				echo "store $who, which the step does not write, changed: $(diff "$T/changes-$i/$who" "$now/$who" | head -5 | tr '\n' ' ')"
		fi
	done
	for db in "$A/.wicket/store.db" "$B/.wicket/store.db"; do
		sealing_problems "$db" | sed "s|^|$db: |"
	done
	if [ "$s" = export ] && [ -e "$BUNDLE" ]; then
		"$WICKET" -C "$B" bundle show "$BUNDLE" >"$T/show.out" 2>&1 ||
			echo "a half-written bundle is left at the bundle's name: $(head -c 300 "$T/show.out")"
	fi
}

# recover STEP I: run the step again where a user would, then the closing syncs; compare. Prints problems.
recover() {
	local s=$1 i=$2 j=$(($2 + 1)) who db
	record "$T/now"
	who=$(case ${STORE[$s]} in "$A") echo A ;; "$B") echo B ;; *) echo R ;; esac)
	if [ -n "${RETRY[$s]:-}" ] || cmp -s "$T/now/$who" "$T/changes-$i/$who"; then
		step_args "$s"
		run "${args[@]}"
		[ "$rc" -eq 0 ] || { echo "the step run again fails: exit $rc: $(head -c 300 "$ERR")"; return; }
		record "$T/now"
		cmp -s "$T/now/$who" "$T/changes-$j/$who" ||
			echo "after the step ran again, store $who differs from a run without the kill: $(diff "$T/changes-$j/$who" "$T/now/$who" | head -5 | tr '\n' ' ')"
	fi
	finish_sequence || return
	record "$T/now"
	for who in A B R; do
		cmp -s "$T/now/$who" "$T/final-$s/$who" ||
			echo "after the closing syncs, store $who differs from a run without the kill: $(diff "$T/final-$s/$who" "$T/now/$who" | head -5 | tr '\n' ' ')"
	done
	exactly_once
	# The audit reads every changeset: for the short version, only after the last point of a step.
	if [ "$depth" != short ] || [ "$3" = after ]; then
		"$WICKET" -C "$R" audit verify >"$T/audit.out" 2>&1 || echo "the region's audit fails: $(head -c 300 "$T/audit.out")"
	fi
}

# try STEP K WHEN: one injected point.
try() {
	local s=$1 k=$2 when=$3 i=${BEFORE_I[$1]} problems hit mode=kill
	[ "$when" = after ] && mode=kill-after
	restore "$i"
	rm -f "$T/fault.log"
	step_args "$s"
	inject "$mode" "$k" "$T/fault.log" "${args[@]}"
	if [ "$rc" -eq 0 ]; then
		unreached=$((unreached + 1))
		return
	fi
	injected=$((injected + 1))
	hit=$(sed -n 's/^fault [0-9]* [0-9]* //p' "$T/fault.log" 2>/dev/null | sed "s|$W/||")
	[ -n "$hit" ] || hit="(no point logged)"
	HIT_CALLS[${hit%% *}]=$((${HIT_CALLS[${hit%% *}]:-0} + 1))
	if [ "$rc" -ne 137 ]; then
		fail "step $s, point $k ($when: $hit): exit status $rc, not killed: $(head -c 300 "$ERR")"
		return
	fi
	problems=$(after_kill "$s" "$i"; recover "$s" "$i" "$when")
	if [ -n "$problems" ]; then
		fail "step $s, killed at point $k ($when $hit):"
		printf '%s\n' "$problems" | sed 's/^/    /'
		echo "    reproduce: WICKET=$WICKET bash tests/proof/crash.sh --step $s --point $k$([ "$when" = after ] && echo +) --keep"
	else
		recovered=$((recovered + 1))
		passed=$((passed + 1))
	fi
	[ -z "$only_point" ] || { echo "step $s point $k ($when): hit $hit; exit $rc"; [ -n "$problems" ] || echo "    recovered"; }
}

t_sweep=$(date +%s)
RANDOM=$seed
for s in "${STEPS[@]}"; do
	[ -z "$only_step" ] || [ "$s" = "$only_step" ] || continue
	n=${NPOINTS[$s]}
	if [ -n "$only_point" ]; then
		case $only_point in
		*+) try "$s" "${only_point%+}" after ;;
		*) try "$s" "$only_point" before ;;
		esac
		continue
	fi
	log=$T/count-$s.log
	# Boundaries: every point that is not a plain write (an fsync, a rename, a link, an unlink, a
	# truncate), and the point just after each, where the step goes on from a finished boundary.
	bounds=$(awk '/^[0-9]/ && $3 !~ /write/ {print $1; if ($1 < n) print $1 + 1}' n="$n" "$log" | sort -nu)
	# shellcheck disable=SC2086 # one point a word
	case $depth in
	all) picks=$(seq 1 "$n") ;;
	long) picks=$(printf '%s\n' $bounds $(seq 1 16 "$n") | sort -nu) ;;
	short)
		# The first point, one boundary and one point at seeded random, and the one after the last.
		set -- $bounds 1
		picks=$(printf '%s\n' 1 "${*:$((RANDOM % $# + 1)):1}" $((RANDOM % n + 1)) | sort -nu)
		;;
	esac
	for k in $picks; do try "$s" "$k" before; done
	try "$s" "$n" after
done
t_sweep=$(($(date +%s) - t_sweep))

# ---- 3. random moments during sync -------------------------------------------------------

kills=0
if [ -z "$only_step" ]; then
	rounds=$([ "$depth" = short ] && echo 4 || echo 25)
	restore "${BEFORE_I[sync]}"
	t0=$(date +%s%N)
	"$WICKET" -C "$A" sync >/dev/null 2>&1
	dur_ms=$((($(date +%s%N) - t0) / 1000000))
	restore "${BEFORE_I[sync]}"
	[ "$dur_ms" -gt 50 ] || dur_ms=50
	echo "random kills during sync: $rounds, each after 0-$((dur_ms * 6 / 5)) ms (seed $seed)"
	round_fail=0
	for r in $(seq 1 "$rounds"); do
		"$WICKET" -C "$A" action progress omic-pre-release-2022/5#1 --text "note $r" >/dev/null 2>"$T/note.err" ||
			{ fail "random kills: the edit before round $r failed: $(cat "$T/note.err")"; round_fail=1; break; }
		delay=$((RANDOM % (dur_ms * 6 / 5 + 1)))
		setsid "$WICKET" -C "$A" sync >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
		if [ $((r % 2)) -eq 0 ]; then
			kill -KILL -- "-$pid" 2>/dev/null # the client and its libgit2 child
		else
			kill -KILL "$pid" 2>/dev/null # the client alone: its child runs on, orphaned
		fi
		wait "$pid" 2>/dev/null
		kills=$((kills + 1))
		for _ in $(seq 200); do kill -0 -- "-$pid" 2>/dev/null || break; sleep 0.05; done
		problems=$("$WICKET" -C "$A" check >"$T/check.out" 2>&1 || echo "wicket check: $(cat "$T/check.out")"
			n=$(sqlite3 "$A/.wicket/store.db" "SELECT count(*) FROM op WHERE entity = 'progress' AND field = 'text' AND new_value LIKE 'note %'")
			[ "$n" = "$r" ] || echo "$n notes held after $r acknowledged"
			sealing_problems "$A/.wicket/store.db")
		if [ -n "$problems" ]; then
			fail "random kill $r (after $delay ms): $problems"
			round_fail=1
		fi
	done
	if [ "$round_fail" = 0 ]; then
		problems=$(finish_sequence
			n=$(sqlite3 "$REPLICA" "SELECT count(*) FROM op WHERE entity = 'progress' AND field = 'text' AND new_value LIKE 'note %'")
			[ "$n" = "$rounds" ] || echo "the region holds $n notes of $rounds"
			dupes=$(sqlite3 "$REPLICA" "SELECT count(*) FROM (SELECT new_value FROM op WHERE entity = 'progress' AND field = 'text' GROUP BY new_value HAVING count(*) > 1)")
			[ "$dupes" = 0 ] || echo "the region holds $dupes notes twice"
			commits=$(git --git-dir="$REPO" rev-list --count refs/heads/sites/LEI/d1 2>&1)
			held=$(sqlite3 "$A/.wicket/store.db" "SELECT count(*) FROM changeset WHERE device = 'd1'")
			[ "$commits" = "$held" ] || echo "the regional repository holds $commits commits on LEI/d1 for $held changesets"
			"$WICKET" -C "$R" audit verify >"$T/audit.out" 2>&1 || echo "the region's audit fails: $(head -c 300 "$T/audit.out")")
		check "after $rounds random kills during sync, the next sync completes and every note reached the region once${problems:+: $problems}" \
			test -z "$problems"
	fi
fi

t_total=$(($(date +%s) - t_start))
if [ $((injected - recovered)) -eq 0 ]; then
	verdict="all recovered"
else
	verdict="$recovered recovered, $((injected - recovered)) not"
fi
echo "points injected: $injected, $verdict ($unreached chosen points not reached: the run ended first)"
echo "calls stopped at: $(for c in "${!HIT_CALLS[@]}"; do printf '%s %s, ' "${HIT_CALLS[$c]}" "$c"; done | sed 's/, $//')"
echo "random kills during sync: $kills"
echo "time: ${t_sweep}s for the points, ${t_total}s in all"
finish
