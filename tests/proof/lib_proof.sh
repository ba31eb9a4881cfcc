# tests/proof/lib_proof.sh - what the crash and storage proofs share: the fault
# injector (tests/proof/faultinject.c, preloaded into wicket), a scenario's
# working tree and its saved states, and fingerprints of a store's changes.
# Sourced after tests/cli/lib.sh and tests/sync/lib_sync.sh.
# shellcheck shell=bash disable=SC2034

# WICKET_TODAY pins the dates wicket writes (a progress note's date, a
# completion date): the same command makes the same change in every run.
export WICKET_TODAY=${WICKET_TODAY:-2026-11-20}

INJECTOR=$(dirname "$WICKET")/tests/proof/libfaultinject.so
if [ ! -f "$INJECTOR" ]; then
	echo "FAIL: the fault injector is not built: $INJECTOR (build the tree that holds $WICKET)"
	exit 1
fi

# An ASan build: the ASan runtime wants to come first among the loaded
# libraries; the injector is preloaded before it, which it allows with
# verify_asan_link_order=0. The injector itself is built without sanitizers.
SANITIZED=0
if nm -D "$WICKET" 2>/dev/null | grep -q __asan_init || ldd "$WICKET" 2>/dev/null | grep -q libasan; then
	SANITIZED=1
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
fi
describe_build() {
	if [ "$SANITIZED" = 1 ]; then
		echo "build: ASan+UBSan wicket, the injector preloaded with ASAN_OPTIONS=verify_asan_link_order=0"
	else
		echo "build: plain wicket (no sanitizers)"
	fi
}

# inject MODE AT LOG ARGS...: run wicket with the injector; status in $rc,
# stdout in $OUT, stderr in $ERR. MODE count, kill, kill-after, eio,
# eio-once, enospc, enospc-once.
inject() {
	local mode=$1 at=$2 log=$3 when=before once=0
	shift 3
	case $mode in
	kill-after) mode=kill when=after ;;
	*-once) mode=${mode%-once} once=1 ;;
	esac
	last_cmd="WK_FAULT_MODE=$mode WK_FAULT_AT=$at WK_FAULT_WHEN=$when WK_FAULT_ONCE=$once wicket $*"
	# In a subshell of its own, so that a kill is not reported by this shell ("Killed").
	(
		LD_PRELOAD=$INJECTOR WK_FAULT_MODE=$mode WK_FAULT_AT=$at WK_FAULT_WHEN=$when WK_FAULT_ONCE=$once \
			WK_FAULT_ONLY=${FAULT_ONLY:-} WK_FAULT_LOG=$log "$WICKET" "$@" >"$OUT" 2>"$ERR"
		exit $?
	) 2>/dev/null
	rc=$?
}

# points LOG: how many points a counting run logged.
points() { grep -c '^[0-9]' "$1" 2>/dev/null || echo 0; }

# The changes a store holds, one line each, without what differs from run to
# run (this store's order, the clock): equal for the same commands.
changes() {
	sqlite3 "$1" "SELECT device, person, entity, entity_id, kind, coalesce(field, ''), coalesce(old_value, ''),
		coalesce(new_value, '') FROM op ORDER BY 1, 3, 4, 5, 6, 8" 2>&1
}
# The changes that travelled (sealed into a changeset), with their clock: equal on every replica
# that holds them, and a change held twice shows as two lines.
travelled() {
	sqlite3 "$1" "SELECT device, hlc, entity, entity_id, kind, coalesce(field, ''), coalesce(new_value, '')
		FROM op WHERE changeset > 0 ORDER BY 1, 2, 3, 4, 5, 6" 2>&1
}
# Sealing is all or nothing: every changeset of this store's device holds as many operations as
# it says, and no operation names a changeset that is not there. Prints what is wrong.
sealing_problems() {
	sqlite3 "$1" "SELECT 'changeset ' || c.seq || ' says ' || c.ops || ' operations, holds ' ||
		(SELECT count(*) FROM op o WHERE o.device = c.device AND o.changeset = c.seq)
		FROM changeset c WHERE c.device = (SELECT value FROM meta WHERE key = 'device')
		AND c.ops != (SELECT count(*) FROM op o WHERE o.device = c.device AND o.changeset = c.seq);
		SELECT 'operation ' || seq || ' names changeset ' || changeset || ', which is not held' FROM op o
		WHERE changeset > 0 AND NOT EXISTS (SELECT 1 FROM changeset c WHERE c.device = o.device
		AND c.seq = o.changeset);" 2>&1
}
# How many operations of each changeset a store holds: "device changeset count" a line.
changeset_counts() {
	sqlite3 "$1" "SELECT device, changeset, count(*) FROM op WHERE changeset > 0 GROUP BY 1, 2 ORDER BY 1, 2" 2>&1
}
# whole_changesets NOW_DB BEFORE_FILE AFTER_FILE AFTER_DB: a store that applies changesets (a bundle
# import, a pull) holds, after a crash, its changes before and whole changesets of those after, in
# order: each changeset all or nothing. Prints what is wrong.
whole_changesets() {
	local now=$1 before=$2 after=$3 after_db=$4 extra missing
	changes "$now" | LC_ALL=C sort >"$now.lines"
	LC_ALL=C sort "$before" >"$now.before"
	LC_ALL=C sort "$after" >"$now.after"
	missing=$(LC_ALL=C comm -23 "$now.before" "$now.lines" | head -3)
	[ -z "$missing" ] || echo "changes held before are gone: $missing"
	extra=$(LC_ALL=C comm -13 "$now.after" "$now.lines" | head -3)
	[ -z "$extra" ] || echo "changes that a run without the kill does not make (or makes once): $extra"
	if [ -f "$after_db" ]; then
		changeset_counts "$after_db" >"$now.counts-after"
	else
		: >"$now.counts-after"
	fi
	changeset_counts "$now" | while read -r line; do
		grep -qxF "$line" "$now.counts-after" || echo "a changeset held in part (device, changeset, operations): $line"
	done
	sqlite3 "$now" "SELECT 'changesets of ' || device || ' held out of order' FROM op WHERE changeset > 0
		GROUP BY device HAVING count(DISTINCT changeset) != max(changeset) - min(changeset) + 1" 2>&1
	rm -f "$now.lines" "$now.before" "$now.after" "$now.counts-after"
}

# durable LOG REPO, of a run logged by the injector in count mode: every name
# made in the git repository REPO (a pack, a pack index, a ref) was on the
# disk before it was named (tests/proof/test_git_durable.sh). Prints the names
# made, one line each, and what breaks the rules. A name is "synced"
# when the last thing its process did in that folder, before linking it, was
# an fsync of a file (the temporary file or lock it links from: a write after
# that fsync would be the last thing instead); the folder must be fsynced
# after the last name made in it, and, for a branch (refs/heads/), every
# folder above it up to REPO/refs (a first push makes
# refs/heads/sites/<SITE>/). A mirror's remote-tracking refs (refs/remotes/)
# only record what the regional repository holds: one lost in a power cut is
# made again by the next fetch, and what was taken from it is in the store.
durable() {
	awk -v repo="$2" '
	function parent(p) { sub("/[^/]*$", "", p); return p }
	index($4, repo "/") != 1 { next }
	{ dir = parent($4) }
	$3 == "fsync" { last[$2, dir] = "fsync"; dirsync[$4] = NR; next }
	$3 == "link" || $3 == "rename" {
		name = substr($4, length(repo) + 2)
		if (name ~ /^(objects\/pack\/pack-[0-9a-f]+\.(pack|idx)|refs\/.*)$/) {
			made[name] = NR
			if (last[$2, dir] != "fsync") { print "NOT SYNCED " name; bad = 1 }
		}
		next # a link that fails (the name exists) is followed by a rename of the same file
	}
	{ last[$2, dir] = $3 }
	END {
		for (n in made) {
			d = parent(repo "/" n)
			if (!(dirsync[d] > made[n])) { print "FOLDER NOT SYNCED " n; bad = 1 }
			if (n ~ /^refs\/heads\//)
				for (d = parent(d); length(d) >= length(repo "/refs"); d = parent(d))
					if (!(dirsync[d] > made[n])) { print "FOLDER ABOVE NOT SYNCED " n " (" d ")"; bad = 1 }
			print "made " n
		}
		exit bad
	}' "$1"
}

# ---- the scenario's places: an establishment's two devices and the region ---------------------
#
# The working tree a scenario runs in, always at the same path (stores hold the regional
# repository's absolute address); each state is saved beside it with save N and restore N.
W=$T/w
A=$W/lei-1
B=$W/lei-2
R=$W/region
REPO=$W/regional.git
REPLICA=$R/.wicket/sites/LEI.db
BUNDLE=$W/to-d2.bundle
save() { rm -rf "$T/state-$1" && cp -a "$W" "$T/state-$1"; }
restore() { rm -rf "$W" && cp -a "$T/state-$1" "$W"; }

# A region and its file:// regional repository, two devices of LEI enrolled, a plan, synced.
set_up() {
	local t_saved=$T ok
	mkdir -p "$W"
	T=$W
	make_region "$REPO" && "$WICKET" -C "$R" region publish >/dev/null &&
		make_device "$A" d1 "file://$REPO" && make_device "$B" d2 "file://$REPO" &&
		"$WICKET" -C "$R" region publish >/dev/null && "$WICKET" -C "$A" plan create --edm OMU >/dev/null &&
		"$WICKET" -C "$A" sync >/dev/null && "$WICKET" -C "$B" sync >/dev/null
	ok=$?
	T=$t_saved
	rm -f "$W"/lei-*.req "$W/trust.now" "$W/region.out" "$W/lei-created"
	return $ok
}

# Both devices sync and the region pulls: what follows any step in the end. Prints what failed.
finish_sequence() {
	local who
	for who in A B R; do
		case $who in
		A) run -C "$A" sync ;;
		B) run -C "$B" sync ;;
		R) run -C "$R" region pull ;;
		esac
		[ "$rc" -eq 0 ] || { echo "$who: exit $rc: $(head -c 300 "$ERR")"; return 1; }
	done
}

# record DIR: every store's changes now, one file per store (A, B, R: the region's replica of LEI).
record() {
	local dir=$1 s
	mkdir -p "$dir"
	for s in A B R; do
		case $s in A) changes "$A/.wicket/store.db" ;; B) changes "$B/.wicket/store.db" ;;
			R) if [ -f "$REPLICA" ]; then changes "$REPLICA"; fi ;; esac >"$dir/$s"
	done
}

# exactly_once: after the closing syncs, the changes that travelled are held once, the same on
# both devices and the region's replica, and the regional repository holds one commit per
# changeset of d1. Prints what is wrong.
exactly_once() {
	local commits held
	travelled "$A/.wicket/store.db" >"$T/tr-A"
	travelled "$B/.wicket/store.db" >"$T/tr-B"
	travelled "$REPLICA" >"$T/tr-R"
	cmp -s "$T/tr-A" "$T/tr-R" || echo "the region's replica does not hold each change that travelled exactly once: $(diff "$T/tr-A" "$T/tr-R" | head -3 | tr '\n' ' ')"
	cmp -s "$T/tr-A" "$T/tr-B" || echo "the other device does not hold each change that travelled exactly once: $(diff "$T/tr-A" "$T/tr-B" | head -3 | tr '\n' ' ')"
	commits=$(git --git-dir="$REPO" rev-list --count refs/heads/sites/LEI/d1 2>&1)
	held=$(sqlite3 "$A/.wicket/store.db" "SELECT count(*) FROM changeset WHERE device = 'd1'")
	[ "$commits" = "$held" ] ||
		echo "the regional repository holds $commits commits on LEI/d1 for $held changesets (a changeset committed twice?)"
}

# The store's content, as sqlite3 sees it.
snapshot() {
	# (sqlite3 would create a missing file: a region pull would then find an empty replica)
	[ -f "$1" ] || { echo "no file $1"; return; }
	sqlite3 "$1" .dump 2>&1
	sqlite3 "$1" 'PRAGMA user_version; PRAGMA application_id;' 2>&1
}
