#!/usr/bin/env bash
# tests/sync/test_transports.sh - wicket sync against real servers on
# loopback: git daemon (git://), sshd (ssh://, host key checked against
# known_hosts) and smart HTTP through git http-backend (http://), three devices
# of one establishment and the region. Faults: a proxy cutting the connection
# after N bytes, N swept across the transfer; a stalled link abandoned after
# the stall limit; a server rejecting the push; each ends with every change
# delivered exactly once after a retry.
# shellcheck disable=SC2317,SC2034
set -u
# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/../cli/lib.sh" transports
# shellcheck source=tests/sync/lib_sync.sh
. "$(dirname "$0")/lib_sync.sh"
WK_SRV_DIR=$T/srv
WK_SERVER_LIFETIME=280
# shellcheck source=tests/sync/servers.sh
. "$(dirname "$0")/servers.sh"
trap 'stop_servers; rm -rf "$T"' EXIT

ok() { [ "$rc" -eq 0 ]; }
says() { grep -qiF -- "$1" "$OUT" "$ERR"; }
unsent() {
	"$WICKET" -C "$1" status --json >"$T/status.json"
	sqlite3 :memory: "SELECT json_extract(readfile('$T/status.json'), '\$.unsent_changesets')"
}
held() { sqlite3 "$1/.wicket/store.db" "SELECT count(*) FROM changeset WHERE device = '$2'"; }
on_remote() { git --git-dir="$BASE/region.git" rev-list --count "refs/heads/sites/LEI/$1" 2>/dev/null || echo 0; }

BASE=$WK_SRV_DIR/base
mkdir -p "$BASE"
bare_repo "$BASE/region.git" >/dev/null
start_git_daemon "$BASE" >/dev/null || fail "git daemon starts"
start_sshd "$BASE" >/dev/null || fail "sshd starts"
start_http_backend "$BASE" >/dev/null || fail "http-backend starts"
GURL=$GIT_DAEMON_URL/region.git
SURL=$SSH_URL/region.git
HURL=$HTTP_URL/region.git

R=$T/region
"$WICKET" -C "$R" region init --region YORKS --person "Pat Officer" >"$T/region.out"
ROOT=$(grep -E '^[0-9a-f]{64}$' "$T/region.out")
"$WICKET" -C "$R" remote set "$GURL" --stall 5 >/dev/null
A=$T/lei-1
B=$T/lei-2
C=$T/lei-3
make_device "$A" d1 "$GURL"
make_device "$B" d2
make_device "$C" d3 "$HURL"
"$WICKET" -C "$B" remote set "$SURL" --ssh-key "$SSH_KEY" --known-hosts "$SSH_KNOWN_HOSTS" --stall 5 >/dev/null
run -C "$R" region publish
check "the region publishes its trust over git://" ok

# Three transports, one establishment.
"$WICKET" -C "$A" plan create --edm OMU >/dev/null
"$WICKET" -C "$A" actionplan import "$SAMPLE_JSON" >/dev/null
run -C "$A" sync
check "git://: the first device sends" says "1 sent"
run -C "$B" sync
check "ssh://: the second device receives" says "1 changeset received"
run -C "$C" sync
check "http://: the third device receives" says "1 changeset received"
"$WICKET" -C "$B" baseline set 1.1 --status met --evidence "recat log" >/dev/null
"$WICKET" -C "$C" baseline set 1.2 --status met --evidence "allocation log" >/dev/null
run -C "$B" sync
check "ssh://: a push is confirmed" says "1 sent"
run -C "$C" sync
check "http://: a push is confirmed" says "1 sent"
run -C "$A" sync
check "git://: both changes arrive" says "2 changesets received"
"$WICKET" -C "$B" sync >/dev/null
"$WICKET" -C "$C" sync >/dev/null
check "the three devices agree" test "$(state "$A")" = "$(state "$B")" -a "$(state "$B")" = "$(state "$C")"

# ssh: an unknown or changed host key is refused, and nothing moves.
ssh_known_hosts_wrong "$SSH_PORT" >/dev/null
"$WICKET" -C "$B" remote set "$SURL" --ssh-key "$SSH_KEY" --known-hosts "$SSH_KNOWN_HOSTS_WRONG" >/dev/null
run -C "$B" sync
check "ssh://: a changed host key is refused" says "has CHANGED"
: >"$T/empty_known_hosts"
"$WICKET" -C "$B" remote set "$SURL" --ssh-key "$SSH_KEY" --known-hosts "$T/empty_known_hosts" >/dev/null
run -C "$B" sync
check "ssh://: an unknown host key is refused" says "is not in"
"$WICKET" -C "$B" remote set "$SURL" --ssh-key "$SSH_KEY" --known-hosts "$SSH_KNOWN_HOSTS" --stall 5 >/dev/null

# A server that rejects the push: not delivered; after it relents, delivered once.
reject_pushes "$BASE/region.git" >/dev/null
"$WICKET" -C "$A" baseline set 1.3 --status in_progress >/dev/null
run -C "$A" sync
check "a push the server rejects fails" test "$rc" -eq 1
check "the rejection is named" says "refused"
check "a rejected changeset stays unsent" test "$(unsent "$A")" = 1
allow_pushes "$BASE/region.git" >/dev/null
run -C "$A" sync
check "after the server relents it is sent" says "1 sent"
check "it is on the remote once" test "$(on_remote d1)" = "$(held "$A" d1)"

# A link cut after N bytes, for N across the fetch and the push; each time a retry delivers exactly once.
start_fault_proxy pass 0 "$GIT_DAEMON_PORT" >/dev/null
"$WICKET" -C "$A" remote set "git://127.0.0.1:$FAULT_PROXY_PORT/region.git" --stall 5 >/dev/null
"$WICKET" -C "$A" baseline set 2.1 --status partly_met >/dev/null
"$WICKET" -C "$A" sync >/dev/null
total=0
while read -r bytes; do total=$((total + bytes)); done < <(sed -n 's/.* \([0-9][0-9]*\) bytes.*/\1/p' "$FAULT_PROXY_LOG")
check "a sync through the proxy moves bytes (measured $total)" test "$total" -gt 1000
stop_proxy
cuts=0
for n in 0 40 200 700 1500 3000 $((total / 2)) $((total * 3 / 4)) $((total - 600)); do
	[ "$n" -ge 0 ] || continue
	start_fault_proxy --faulty-connections 2 cut "$n" "$GIT_DAEMON_PORT" >/dev/null
	"$WICKET" -C "$A" remote set "git://127.0.0.1:$FAULT_PROXY_PORT/region.git" --stall 5 >/dev/null
	"$WICKET" -C "$A" baseline set 2.2 --status in_progress --evidence "cut at $n" >/dev/null
	"$WICKET" -C "$A" sync >/dev/null 2>&1 || cuts=$((cuts + 1))
	run -C "$A" sync
	[ "$(unsent "$A")" = 0 ] || "$WICKET" -C "$A" sync >/dev/null 2>&1
	check "cut at $n bytes: after a retry nothing is left unsent" test "$(unsent "$A")" = 0
	check "cut at $n bytes: the remote holds each changeset exactly once" test "$(on_remote d1)" = "$(held "$A" d1)"
	stop_proxy
done
check "some cuts really failed a sync ($cuts)" test "$cuts" -ge 3
run -C "$B" sync
check "after the cuts the other device receives everything once" test "$(state "$A")" = "$(state "$B")"

# The fetch side: the receiving device's link cut, then retried.
start_fault_proxy --once cut 300 "$HTTP_PORT" >/dev/null
"$WICKET" -C "$C" remote set "http://127.0.0.1:$FAULT_PROXY_PORT/region.git" --stall 5 >/dev/null
run -C "$C" sync
check "http://: a fetch cut short fails" test "$rc" -ne 0
run -C "$C" sync
check "http://: the retry completes" ok
check "http://: the device receiving through a cut link agrees" test "$(state "$A")" = "$(state "$C")"
stop_proxy

# A stalled link: abandoned after the stall limit, not hanging; the next sync resumes.
start_fault_proxy --once stall 200 "$GIT_DAEMON_PORT" >/dev/null
"$WICKET" -C "$A" remote set "git://127.0.0.1:$FAULT_PROXY_PORT/region.git" --stall 3 >/dev/null
"$WICKET" -C "$A" baseline set 2.3 --status met --evidence "victim contact log" >/dev/null
start=$(date +%s)
run -C "$A" sync
elapsed=$(($(date +%s) - start))
check "a stalled link is abandoned, not waited on (took ${elapsed}s with a 3 s limit)" test "$elapsed" -lt 20
check "the stall is named" says "stalled"
run -C "$A" sync
check "the next sync resumes and sends" test "$(unsent "$A")" = 0
check "after the stall the remote holds each changeset once" test "$(on_remote d1)" = "$(held "$A" d1)"
stop_proxy

# Everyone ends in the same state; the region verifies every changeset.
"$WICKET" -C "$A" remote set "$GURL" >/dev/null
"$WICKET" -C "$C" remote set "$HURL" >/dev/null
for d in "$B" "$C" "$A"; do "$WICKET" -C "$d" sync >/dev/null 2>&1; done
check "all three devices agree at the end" test "$(state "$A")" = "$(state "$B")" -a "$(state "$B")" = "$(state "$C")"
run -C "$R" region pull
check "the region pulls and verifies every changeset" test "$rc" -eq 0 -a "$(sqlite3 "$R/.wicket/store.db" 'SELECT count(*) FROM quarantine')" = 0
check "the region's replica of LEI holds every device's changesets" \
	test "$(sqlite3 "$R/.wicket/sites/LEI.db" 'SELECT count(*) FROM changeset')" = $(($(held "$A" d1) + $(held "$A" d2) + $(held "$A" d3)))

finish
