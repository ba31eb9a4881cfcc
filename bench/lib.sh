# bench/lib.sh - what the benchmark scripts share. Sourced by bench/p*.sh,
# which scripts/bench.sh runs; each script writes its part of the report
# into $BENCH_OUT: NAME.md (a markdown section) and NAME.json (one object).
#
# Environment (set by scripts/bench.sh): WICKET (the binary), BENCH_BIN (the
# folder of the bench_* programs), BENCH_OUT, BENCH_QUICK (1 for --quick).
#
# Rules: every figure is measured side by side with its peer in the same run,
# in interleaved rounds, and reported as a median; everything lives in one
# temporary folder ($T) removed at exit; servers listen on 127.0.0.1 only
# and are stopped at exit (tests/sync/servers.sh); HOME is a fresh folder so
# that no git or fossil configuration of the machine's user is read.
# shellcheck shell=bash disable=SC2034

set -euo pipefail
BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
: "${WICKET:=$BENCH_ROOT/build-bench/wicket}"
: "${BENCH_BIN:=$(dirname "$WICKET")/bench}"
: "${BENCH_OUT:=$(dirname "$WICKET")/results}"
: "${BENCH_QUICK:=0}"
W=$WICKET
mkdir -p "$BENCH_OUT"

export WICKET_POLICY_DIR=$BENCH_ROOT/policies WICKET_SOURCE_DIR=$BENCH_ROOT
export WICKET_PASSPHRASE="bench passphrase" WICKET_KDF=interactive
export LC_ALL=C TZ=UTC

T=$(mktemp -d "${TMPDIR:-/tmp}/wk-bench.XXXXXX")
export HOME=$T/home USER=bench LOGNAME=bench
mkdir -p "$HOME"
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Bench GIT_AUTHOR_EMAIL=bench@example.org
export GIT_COMMITTER_NAME=Bench GIT_COMMITTER_EMAIL=bench@example.org
export WK_SRV_DIR=$T/srv WK_SRV_NO_TRAP=1 WK_SERVER_LIFETIME=${WK_SERVER_LIFETIME:-7200}
mkdir -p "$WK_SRV_DIR"
# shellcheck source=../tests/sync/servers.sh
. "$BENCH_ROOT/tests/sync/servers.sh"
bench_cleanup() {
	stop_servers
	if [ -n "${BENCH_KEEP:-}" ]; then log "kept $T"; else rm -rf "$T"; fi
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# q FULL QUICK: the full-run value, or the quick one under --quick.
q() { if [ "$BENCH_QUICK" = 1 ]; then echo "$2"; else echo "$1"; fi; }

log() { echo "bench: $*" >&2; }
die() {
	echo "bench: $*" >&2
	exit 1
}

# now_ns; elapsed_ms START_NS: wall-clock milliseconds since START_NS (3 decimals).
now_ns() { date +%s%N; }
elapsed_ms() { awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }'; }

# median: of the numbers on stdin, one a line.
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# div A B [FORMAT]: A / B, or "n/a" when B is 0.
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN { if (b == 0) print "n/a"; else printf f "\n", a / b }'; }

# verdict OK: "met" or "missed" from a 0/1 (awk) condition.
verdict() { if [ "$1" = 1 ]; then echo met; else echo missed; fi; }
holds() { awk "BEGIN { print ($1) ? 1 : 0 }"; }

# timed VAR COMMAND...: run COMMAND (output to $T/last.log), append its wall ms to the array VAR.
timed() {
	local -n _acc=$1
	shift
	local t0
	t0=$(now_ns)
	"$@" >"$T/last.log" 2>&1 || {
		cat "$T/last.log" >&2
		die "failed: $*"
	}
	_acc+=("$(elapsed_ms "$t0")")
}

# rss_kb COMMAND...: run COMMAND, print its peak resident set in kB (GNU time).
rss_kb() {
	/usr/bin/time -f '%M' -o "$T/rss" "$@" >"$T/last.log" 2>&1 || {
		cat "$T/last.log" >&2
		die "failed: $*"
	}
	tail -n 1 "$T/rss"
}

# ---------------------------------------------------------------- wicket set-up

# region_new DIR REPO: a region (unattended keys) whose regional repository is the bare REPO.
region_new() {
	"$W" -C "$1" region init --region YORKS --person "Pat Officer" --repo "$2" --unattended >"$1.out" 2>&1 ||
		{ cat "$1.out" >&2; die "region init failed"; }
	BENCH_ROOT_KEY=$(grep -E '^[0-9a-f]{64}$' "$1.out")
}

# site_new REGION DIR SITE DEVICE: an establishment with an OMU plan, its device enrolled in REGION.
# Its trust is imported by site_trust once every site is enrolled.
site_new() {
	local r=$1 d=$2 site=$3 dev=$4
	{
		"$W" -C "$d" init --site "$site" --name "HMP $site" --category B --function reception \
			--person "Sam Lee" --device "$dev" --unattended &&
			"$W" -C "$d" plan create --edm OMU &&
			"$W" -C "$d" enrol request --region YORKS --out "$d.req" &&
			"$W" -C "$r" region enrol "$d.req"
	} >"$d.log" 2>&1 || {
		cat "$d.log" >&2
		die "cannot set up site $site"
	}
}

# site_trust REGION DIR URL: import REGION's current trust into DIR and set its remote.
site_trust() {
	[ -f "$1.trust" ] || "$W" -C "$1" trust export "$1.trust" >/dev/null
	{
		"$W" -C "$2" trust import "$1.trust" --root "$BENCH_ROOT_KEY" &&
			"$W" -C "$2" remote set "$3"
	} >>"$2.log" 2>&1 || {
		cat "$2.log" >&2
		die "cannot give $2 the region's trust"
	}
}

# one_site BASE SITE: a region at BASE/region with its bare repository BASE/regional.git
# and one establishment at BASE/site, synced once (nothing pending after).
one_site() {
	local b=$1
	mkdir -p "$b"
	region_new "$b/region" "$b/regional.git"
	site_new "$b/region" "$b/site" "$2" d1
	site_trust "$b/region" "$b/site" "file://$b/regional.git"
	"$W" -C "$b/site" sync >>"$b/site.log" 2>&1 || {
		cat "$b/site.log" >&2
		die "first sync failed"
	}
}

# pending_ops DIR: operations of DIR's store not yet sealed.
pending_ops() { sqlite3 "$1/.wicket/store.db" "SELECT count(*) FROM op WHERE changeset IS NULL"; }

# ---------------------------------------------------------------- peers

# git_signing_repo DIR: a work tree whose every commit is signed with a fresh SSH key (gpg.format=ssh).
git_signing_repo() {
	local d=$1
	[ -f "$T/git-signing-key" ] || ssh-keygen -q -t ed25519 -N '' -C bench-signing -f "$T/git-signing-key"
	git init -q --initial-branch=main "$d"
	git -C "$d" config gpg.format ssh
	git -C "$d" config user.signingkey "$T/git-signing-key"
	git -C "$d" config commit.gpgsign true
}

# git_change DIR I: the I-th change as its own JSON file, added and committed (signed).
git_change() {
	printf '{"entity":"assessment","id":"omu/%d","field":"evidence","value":"bench change %d: minutes of the review, item %d"}\n' \
		$(($2 % 22)) "$2" $(($2 % 97)) >"$1/change-$2.json"
	git -C "$1" add "change-$2.json" && git -C "$1" commit -q -m "change $2"
}

# fossil_repo FILE: a fossil repository with one ticket (its uuid in FILE.ticket), autosync off.
fossil_repo() {
	fossil new --admin-user bench "$1" >/dev/null
	fossil settings autosync off -R "$1"
	fossil ticket add title "Bench ticket" status Open -R "$1" >/dev/null
	fossil ticket show 0 -R "$1" | sed -n 2p | cut -f2 >"$1.ticket"
}

# fossil_changes FILE FROM TO: ticket changes FROM..TO, one field each.
fossil_changes() {
	local i tk
	tk=$(cat "$1.ticket")
	for ((i = $2; i <= $3; i++)); do
		fossil ticket change "$tk" comment "bench change $i: minutes of the review, item $((i % 97))" -R "$1" >/dev/null
	done
}

# fossil_serve FILE: serve FILE on 127.0.0.1 (a free port) with a user made here;
# sets FOSSIL_URL (with the password) and FOSSIL_PORT.
fossil_serve() {
	fossil user new benchsync bench@example.org bench-secret -R "$1" >/dev/null
	fossil user capabilities benchsync ioswj -R "$1" >/dev/null
	srv_start_on_port fossil "$T/fossil-server.log" srv_daemon_setup \
		fossil server --localhost --port @PORT@ "$1" || die "fossil server did not start"
	FOSSIL_PORT=$SRV_PORT
	FOSSIL_URL=http://benchsync:bench-secret@127.0.0.1:$SRV_PORT/
}

# relay_bytes LOG: bytes both ways summed over every connection the relay logged.
relay_bytes() {
	sed -n 's/^faultproxy: conn [0-9]*.*after \([0-9]*\) bytes.*/\1/p' "$1" | awk '{ s += $1 } END { print s + 0 }'
}

# ---------------------------------------------------------------- report

# section NAME TITLE: start $BENCH_OUT/NAME.md with a heading.
section() { printf '### %s\n\n' "$2" >"$BENCH_OUT/$1.md"; }
md() { printf '%s\n' "$*" >>"$BENCH_OUT/$CUR.md"; }
json() { printf '%s\n' "$*" >"$BENCH_OUT/$CUR.json"; }
# jb 0|1: a JSON boolean.
jb() { if [ "$1" = 1 ]; then echo true; else echo false; fi; }
