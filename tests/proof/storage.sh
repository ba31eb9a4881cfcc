#!/usr/bin/env bash
# tests/proof/storage.sh - storage faults: a disk that fails (EIO), a full
# disk (ENOSPC and a real full tmpfs), a read-only store or regional
# repository. Promise 1 (nothing acknowledged is lost, no half change) and a
# clear error, then recovery once the fault is gone.
#
#   storage.sh [--long] [--seed N] [--keep]
#
# The scenario of tests/proof/crash.sh: an establishment's two devices (LEI d1
# and d2) and the region on a file:// regional repository; d1 has imported
# the sample action plan and synced, then recorded progress and exported a
# bundle for d2. From that state each command below is run with a fault:
#
#   edit           d1: action add                      (one small change)
#   import         d1: actionplan import of the CSV    (501 changes)
#   sync           d1: sync (seal, commit, fetch and push: the forked libgit2
#                  child writes the local mirror and the regional repository)
#   bundle-import  d2: bundle import
#   pull           the region: region pull (creates its replica of LEI)
#
# 1. Injected faults (tests/proof/faultinject.c): the command's points are
#    counted (every write, fsync, rename, link, unlink, truncate), then at
#    chosen points it runs with EIO or ENOSPC from that point on. Short: EIO
#    at the first fsync and at the first point on a file that is not a store
#    (the git mirror, the regional repository, SQLite's temporary files), and
#    ENOSPC at one boundary at seeded random. --long: every boundary (a point
#    that is not a plain write) and the point after it, with EIO, ENOSPC, and
#    EIO at that point only.
# 2. A full disk: the device's, the region's, the other device's folder or the
#    regional repository on a tmpfs with no room left, or with a few KiB left
#    so that the disk fills while the command runs (unshare -rm).
# 3. Read-only: the same folders bind-mounted read-only (unshare -rm).
#
# For each: the command fails with exit status 1 or 2 (never 3, "offline": a
# disk fault is not the network's, and nothing says "cannot reach") and
# exactly one line on stderr starting "wicket: " that names the fault (EIO:
# "i/o" or "disk"; full: "full" or "space"; read-only: "read-only") and says
# what to do; if the fault hit the commit's own fsync, so that the change may
# have been saved after all, it says to check `wicket log` before retrying;
# and no sanitizer report; or,
# where the fault missed everything that matters, it succeeds with its change
# whole. Then wicket check is ok; the store is as before (sqlite3 .dump
# identical) or its changes are exactly those before or exactly those after
# the command (a sync may have sealed; a pull or bundle import holds whole
# changesets); a failed edit did not land. With the fault gone the same
# command succeeds, both devices sync and the region pulls, and every store
# ends as a run without the fault ends, every change that travelled exactly
# once in the region.
#
# Runs from the source root with WICKET, WICKET_POLICY_DIR, WICKET_PASSPHRASE
# and WICKET_KDF set (ctest and scripts/proof.sh set them). The full-disk and
# read-only cases need `unshare -rm`; if it cannot be set up they fail.
# shellcheck disable=SC2317
set -u

depth=short seed=${WK_PROOF_SEED:-11} keep=0
while [ $# -gt 0 ]; do
	case $1 in
	--long) depth=long ;;
	--seed) seed=$2; shift ;;
	--keep) keep=1 ;;
	*) echo "storage.sh: unknown option '$1'" >&2; exit 2 ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/cli/lib.sh
. "$here/../cli/lib.sh" storage
# shellcheck source=tests/sync/lib_sync.sh
. "$here/../sync/lib_sync.sh"
# shellcheck source=tests/proof/lib_proof.sh
. "$here/lib_proof.sh"
if [ "$keep" = 1 ]; then
	trap 'echo "kept: $T"' EXIT
else
	trap 'chmod -R u+w "$T" 2>/dev/null; rm -rf "$T"' EXIT
fi
t_start=$(date +%s)
describe_build

COMMANDS=(edit import sync bundle-import pull)
declare -A STORE_OF=([edit]=$A [import]=$A [sync]=$A [bundle-import]=$B [pull]=$R)
# Commands a user simply runs again after a failure: running them twice changes nothing more.
declare -A IDEMPOTENT=([import]=1 [sync]=1 [bundle-import]=1 [pull]=1)
cmd_args() {
	case $1 in
	edit) args=(-C "$A" action add --rec 2 --text "Brief the OMU" --owner "Head of OMU" --target 2027-01-31) ;;
	import) args=(-C "$A" actionplan import "$SAMPLE_CSV" --inspection csv-copy --title "CSV copy") ;;
	sync) args=(-C "$A" sync) ;;
	bundle-import) args=(-C "$B" bundle import "$BUNDLE") ;;
	pull) args=(-C "$R" region pull) ;;
	esac
}
# The store whose changes a command makes (the region's replica for a pull).
changed_db() { case $1 in pull) echo "$REPLICA" ;; *) echo "${STORE_OF[$1]}/.wicket/store.db" ;; esac; }
who_of() { case $1 in bundle-import) echo B ;; pull) echo R ;; *) echo A ;; esac; }

# ---- the state every case starts from, and what each command does without a fault ---------

set_up &&
	"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null && "$WICKET" -C "$A" sync >/dev/null &&
	"$WICKET" -C "$A" action progress "omic-pre-release-2022/2#1" --text "Review started" >/dev/null &&
	"$WICKET" -C "$A" bundle export "$BUNDLE" >/dev/null
check "set-up: a region, two devices of LEI, an import synced, progress recorded, a bundle for d2" test $? -eq 0
save base
record "$T/changes-base"
declare -A NPOINTS
for c in "${COMMANDS[@]}"; do
	restore base
	cmd_args "$c"
	inject count 0 "$T/count-$c.log" "${args[@]}"
	check "$c runs to the end with the injector counting" test "$rc" -eq 0
	NPOINTS[$c]=$(points "$T/count-$c.log")
	record "$T/after-$c"
	save "after-$c"
	finish_sequence >"$T/finish.err" || fail "$c: the closing syncs after a clean run failed: $(cat "$T/finish.err")"
	record "$T/final-$c"
	echo "$c: ${NPOINTS[$c]} points"
done

# ---- judging one faulty run ------------------------------------------------------------------

# judge CASE COMMAND KIND BEFORE_DUMP AFTER_DUMP: the last run ($rc, $OUT, $ERR) under fault KIND
# (eio, enospc, full, readonly), the store's dump before and after. Prints what is wrong; sets
# outcome to "failed" (a clear error) or "absorbed" (it succeeded).
judge() {
	local c=$2 kind=$3 before=$4 after=$5 who db lines words
	who=$(who_of "$c")
	db=$(changed_db "$c")
	outcome=failed
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ERR"; then
		echo "a sanitizer report: $(grep -m1 -E 'Sanitizer|runtime error' "$ERR")"
	fi
	if [ "$rc" -eq 0 ]; then
		outcome=absorbed
		record "$T/now"
		cmp -s "$T/now/$who" "$T/after-$c/$who" ||
			echo "it succeeded, but its change is not whole: $(diff "$T/after-$c/$who" "$T/now/$who" | head -3 | tr '\n' ' ')"
		return
	fi
	[ "$rc" -ge 1 ] && [ "$rc" -le 3 ] || echo "exit status $rc (1 or 2 expected; 128+ is a crash): $(head -c 300 "$ERR")"
	# Every fault here is a disk's (the regional repository is a folder, file://): a failure,
	# not "offline" (exit 3), which tells the user to wait for the network.
	[ "$rc" -ne 3 ] || echo "exit status 3 (offline) for a disk fault: $(head -c 300 "$ERR")"
	if grep -qiE 'cannot reach|offline' "$ERR"; then
		echo "a disk fault reported as the network: $(head -c 300 "$ERR")"
	fi
	lines=$(grep -c '' "$ERR")
	[ "$lines" -eq 1 ] || echo "$lines lines on stderr, one expected: $(head -c 400 "$ERR" | tr '\n' '|')"
	[ "$(head -c 8 "$ERR")" = "wicket: " ] || echo "stderr does not start 'wicket: ': $(head -c 200 "$ERR")"
	case $kind in
	eio) words='i/o|input/output|disk' ;;
	# An injected ENOSPC on an fsync or a truncate leaves the disk with room: SQLite and the
	# filesystem then tell of an I/O error, not of a full disk. A real full disk must say so.
	enospc) words='full|space|i/o|input/output|disk' ;;
	full*) words='full|space' ;;
	readonly) words='read-only|read only' ;;
	esac
	grep -qiE "$words" "$ERR" || echo "the message does not name the fault ($words): $(head -c 300 "$ERR")"
	grep -qiE 'again|free|check|restore|retry|next sync|permission|remove|delete|wait' "$ERR" ||
		echo "the message does not say what to do: $(head -c 300 "$ERR")"
	# The store: as before, or changes exactly before or after (whole changesets for an import).
	if [ -f "$db" ]; then
		"$WICKET" -C "${STORE_OF[$c]}" check >"$T/check.out" 2>&1 || echo "wicket check fails: $(cat "$T/check.out")"
		[ "$(sqlite3 "$db" 'PRAGMA integrity_check' 2>&1)" = ok ] || echo "integrity_check fails on $db"
	fi
	if ! cmp -s "$before" "$after"; then
		record "$T/now"
		case $c in
		bundle-import | pull)
			[ -f "$db" ] && whole_changesets "$db" "$T/changes-base/$who" "$T/after-$c/$who" "$T/state-after-$c/${db#"$W/"}"
			;;
		*)
			if cmp -s "$T/now/$who" "$T/after-$c/$who" && [ -z "${IDEMPOTENT[$c]:-}" ]; then
				# A failed fsync of the commit's WAL frames: SQLite cannot tell whether they reached
				# the disk, and recovers them at the next open. The message must say so: check
				# `wicket log` before running the command again.
				grep -qi 'wicket log' "$ERR" ||
					echo "it reported failure, but its change was made, and the message does not say to check 'wicket log' before retrying (a user who runs it again makes it twice)"
			elif ! cmp -s "$T/now/$who" "$T/changes-base/$who" && ! cmp -s "$T/now/$who" "$T/after-$c/$who"; then
				echo "a half change: $(diff "$T/changes-base/$who" "$T/now/$who" | head -3 | tr '\n' ' ')"
			fi
			;;
		esac
		sealing_problems "$A/.wicket/store.db"
		sealing_problems "$B/.wicket/store.db"
	fi
}

# recover_from CASE COMMAND: the fault gone, the command again, then the closing syncs; every store
# ends as a run without the fault ends. Prints what is wrong.
recover_from() {
	local c=$2 who
	who=$(who_of "$c")
	record "$T/now"
	if [ -n "${IDEMPOTENT[$c]:-}" ] || ! cmp -s "$T/now/$who" "$T/after-$c/$who"; then
		cmd_args "$c"
		run "${args[@]}"
		[ "$rc" -eq 0 ] || { echo "with the fault gone, the command still fails: exit $rc: $(head -c 300 "$ERR")"; return; }
	fi
	finish_sequence || return
	record "$T/now"
	for who in A B R; do
		cmp -s "$T/now/$who" "$T/final-$c/$who" ||
			echo "after the closing syncs, store $who differs from a run without the fault: $(diff "$T/final-$c/$who" "$T/now/$who" | head -3 | tr '\n' ' ')"
	done
	exactly_once
}

cases=0 clear=0 absorbed=0
declare -A MESSAGES
# verdict CASE PROBLEMS REPRODUCE
verdict() {
	cases=$((cases + 1))
	if [ -n "$2" ]; then
		fail "$1:"
		printf '%s\n' "$2" | sed 's/^/    /'
		echo "    stderr was: $(head -c 300 "$T/err.case" | tr '\n' '|')"
		[ -z "${3:-}" ] || echo "    reproduce: $3"
	else
		passed=$((passed + 1))
	fi
	if [ "$outcome" = absorbed ]; then
		absorbed=$((absorbed + 1))
	elif [ -z "$2" ]; then
		clear=$((clear + 1))
	fi
}

# ---- 1. injected EIO and ENOSPC -----------------------------------------------------------

t_inject=$(date +%s)
RANDOM=$seed
# judge runs in a subshell above; its outcome is read back from the run itself.
outcome_of_last() { [ "$rc" -eq 0 ] && outcome=absorbed || outcome=failed; }
fault_case() { # COMMAND MODE K
	local c=$1 mode=$2 k=$3 name db hit problems rc_case
	name="$c, $mode from point $k"
	[ "${mode%-once}" = "$mode" ] || name="$c, $mode at point $k only"
	restore base
	db=$(changed_db "$c")
	snapshot "$db" >"$T/before.dump"
	cmd_args "$c"
	rm -f "$T/fault.log"
	inject "$mode" "$k" "$T/fault.log" "${args[@]}"
	rc_case=$rc
	cp "$ERR" "$T/err.case"
	hit=$(sed -n 's/^fault [0-9]* [0-9]* //p' "$T/fault.log" | sed "s|$W/||")
	snapshot "$db" >"$T/after.dump"
	problems=$(judge "$name" "$c" "${mode%-once}" "$T/before.dump" "$T/after.dump"; rc=$rc_case
		recover_from "$name" "$c")
	rc=$rc_case
	outcome_of_last
	[ "$outcome" = absorbed ] || MESSAGES["$(head -1 "$T/err.case" | cut -c1-110)"]=1
	verdict "$name (hit $hit; exit $rc_case)" "$problems" \
		"WK_FAULT_MODE=${mode%-once} WK_FAULT_AT=$k WK_FAULT_ONCE=$([ "${mode%-once}" = "$mode" ] && echo 0 || echo 1) LD_PRELOAD=$INJECTOR wicket ${args[*]} (from storage.sh's set-up; --keep keeps it)"
}

for c in "${COMMANDS[@]}"; do
	log=$T/count-$c.log
	n=${NPOINTS[$c]}
	bounds=$(awk '/^[0-9]/ && $3 !~ /write/ {print $1; if ($1 < n) print $1 + 1}' n="$n" "$log" | sort -nu)
	if [ "$depth" = long ]; then
		for k in $bounds; do
			for mode in eio enospc eio-once; do fault_case "$c" "$mode" "$k"; done
		done
	else
		# EIO at the first fsync and at the first point on a file that is not a store (the
		# git mirror, the regional repository, a temporary file); ENOSPC at one boundary at
		# seeded random.
		first_sync=$(awk '/^[0-9]/ && $3 ~ /sync/ {print $1; exit}' "$log")
		other=$(awk '/^[0-9]/ && $4 !~ /\.db(-wal|-shm|-journal)?$/ {print $1; exit}' "$log")
		for k in $(printf '%s\n' "${first_sync:-1}" "${other:-${first_sync:-1}}" | sort -nu); do
			fault_case "$c" eio "$k"
		done
		# shellcheck disable=SC2086 # one point a word
		set -- $bounds 1
		fault_case "$c" enospc "${*:$((RANDOM % $# + 1)):1}"
	fi
done
t_inject=$(($(date +%s) - t_inject))

# ---- 2 and 3. a full disk, a read-only folder (unshare -rm) ----------------------------------

t_ns=$(date +%s)
ns_case() { # KIND COMMAND DIR: DIR full or read-only while COMMAND runs
	local kind=$1 c=$2 dir=$3 name res db store problems setup rc_case
	case $kind in
	full) name="$c with $(basename "$dir") on a full disk" ;;
	full:*) name="$c with $(basename "$dir") on a disk with ${kind#full:} KiB left" ;;
	*) name="$c with $(basename "$dir") read-only" ;;
	esac
	restore base
	res=$T/ns-${kind/:/-}-$c-$(basename "$dir")
	rm -rf "$res"
	db=$(changed_db "$c")
	store=$db
	case $db in "$dir"/*) ;; *) store=- ;; esac
	cmd_args "$c"
	unshare -rm bash "$here/in_namespace.sh" "$res" "$kind" "$dir" "$store" "$WICKET" "${args[@]}" \
		>/dev/null 2>"$T/unshare.err"
	setup=$(cat "$res/setup" 2>/dev/null || cat "$T/unshare.err")
	if [ "$setup" != ok ]; then
		outcome=failed
		fail "$name: cannot set up the fault with unshare -rm: $setup"
		cases=$((cases + 1))
		return
	fi
	# Put the folder back as the command left it, on the ordinary disk.
	rm -rf "$dir"
	cp -a "$res/dir-after" "$dir"
	cp "$res/stdout" "$OUT"
	cp "$res/stderr" "$ERR"
	cp "$ERR" "$T/err.case"
	rc=$(cat "$res/rc")
	rc_case=$rc
	if [ "$store" = - ]; then
		# The store is not in the faulty folder: compare it with the one saved before.
		snapshot "$T/state-base/${db#"$W/"}" >"$res/before.dump"
		snapshot "$db" >"$res/after.dump"
	fi
	problems=$(judge "$name" "$c" "$kind" "$res/before.dump" "$res/after.dump"; rc=$rc_case
		recover_from "$name" "$c")
	rc=$rc_case
	outcome_of_last
	[ "$outcome" = absorbed ] || MESSAGES["$(head -1 "$T/err.case" | cut -c1-110)"]=1
	verdict "$name (exit $rc_case)" "$problems"
}
ns_case full sync "$A"
ns_case full sync "$REPO"
ns_case readonly sync "$A"
ns_case readonly pull "$R"
# Nearly full: the command starts, and the disk fills under it.
ns_case full:64 bundle-import "$B"
ns_case full:256 pull "$R"
if [ "$depth" = long ]; then
	ns_case full bundle-import "$B"
	ns_case full pull "$R"
	ns_case full edit "$A"
	ns_case readonly sync "$REPO"
	ns_case readonly bundle-import "$B"
	ns_case readonly import "$A"
	ns_case full:96 sync "$A"
	ns_case full:32 sync "$REPO"
	ns_case full:64 import "$A"
	ns_case full:512 pull "$R"
fi
t_ns=$(($(date +%s) - t_ns))

echo "cases: $cases ($clear failed with a clear error and recovered, $absorbed succeeded despite the fault, $((cases - clear - absorbed)) with problems)"
echo "messages seen:"
for m in "${!MESSAGES[@]}"; do echo "    $m"; done | sort
echo "time: ${t_inject}s for the injected faults, ${t_ns}s for full and read-only, $(($(date +%s) - t_start))s in all"
finish
