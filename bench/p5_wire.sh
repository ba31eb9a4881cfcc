#!/usr/bin/env bash
# bench/p5_wire.sh - P5: bytes on the wire per field change, syncing N
# changes at once (1,000; 200 with --quick) and a single change, counted by
# a relay on loopback (tests/sync/faultproxy.c in pass mode: it forwards
# every byte and logs each connection's bytes both ways; the figure is the
# sum over every connection of the sync, both directions).
#
#   wicket  `wicket sync` to `git daemon` (git://) through the relay: the
#           fetch of the site's and the region's refs, then the push of the
#           sealed changeset;
#   fossil  `fossil sync` to `fossil server` through the relay, of N ticket
#           changes of one field each (fossil compresses its HTTP traffic);
#   git     `git push` over git:// through the relay of N SSH-signed
#           commits, one JSON file per change.
#
# Each starts in a steady state (synced once before, through the relay);
# byte counts do not depend on the machine's speed, so one round suffices.
. "$(dirname "$0")/lib.sh"
CUR=p5
n=$(q 1000 200)
d=$T/p5
mkdir -p "$d/srv"

# Wire bytes of the connections the relay logged after line $2 of its log $1.
bytes_since() {
	sleep 0.3 # the relay logs a connection when both sides have closed
	tail -n +"$(($2 + 1))" "$1" >"$d/since"
	relay_bytes "$d/since"
}
lines() { wc -l <"$1"; }

# ---- wicket through git daemon
region_new "$d/region" "$d/srv/regional.git"
start_git_daemon "$d/srv" >/dev/null
start_fault_proxy pass 0 "$GIT_DAEMON_PORT" >/dev/null
gitlog=$FAULT_PROXY_LOG
relay=git://127.0.0.1:$FAULT_PROXY_PORT
site_new "$d/region" "$d/site" LEI d1
site_trust "$d/region" "$d/site" "$relay/regional.git"
"$W" -C "$d/site" sync >/dev/null 2>&1 || die "first wicket sync through the relay failed"
declare -A wb
for k in "$n" 1; do
	"$BENCH_BIN/bench_gen" pending "$d/site" "$k"
	l=$(lines "$gitlog")
	"$W" -C "$d/site" sync >"$d/w.log" 2>&1 || { cat "$d/w.log" >&2; die "wicket sync failed"; }
	[ "$(pending_ops "$d/site")" -eq 0 ] || die "wicket left changes pending"
	wb[$k]=$(bytes_since "$gitlog" "$l")
done

# ---- git command line through the same git daemon and a relay of its own log position
git init -q --bare "$d/srv/peer.git"
git -C "$d/srv/peer.git" config daemon.receivepack true
git_signing_repo "$d/git"
git_change "$d/git" 0
git -C "$d/git" push -q "$relay/peer.git" main
declare -A gb
first=1
for k in "$n" 1; do
	for ((i = first; i < first + k; i++)); do git_change "$d/git" "$i"; done
	first=$((first + k))
	l=$(lines "$gitlog")
	git -C "$d/git" push -q "$relay/peer.git" main
	gb[$k]=$(bytes_since "$gitlog" "$l")
done

# ---- fossil through fossil server
fossil_repo "$d/server.fossil"
fossil_serve "$d/server.fossil"
start_fault_proxy pass 0 "$FOSSIL_PORT" >/dev/null
fossillog=$FAULT_PROXY_LOG
furl=http://benchsync:bench-secret@127.0.0.1:$FAULT_PROXY_PORT/
fossil clone "$furl" "$d/client.fossil" >/dev/null 2>&1 || die "fossil clone through the relay failed"
fossil settings autosync off -R "$d/client.fossil"
cp "$d/server.fossil.ticket" "$d/client.fossil.ticket"
declare -A fb
first=1
for k in "$n" 1; do
	fossil_changes "$d/client.fossil" "$first" $((first + k - 1))
	first=$((first + k))
	l=$(lines "$fossillog")
	fossil sync "$furl" --once -R "$d/client.fossil" >"$d/f.log" 2>&1 || { cat "$d/f.log" >&2; die "fossil sync failed"; }
	fb[$k]=$(bytes_since "$fossillog" "$l")
done
[ "$(fossil sql -R "$d/server.fossil" "SELECT count(*) FROM event WHERE type = 't';")" -ge $((n + 2)) ] ||
	die "fossil did not deliver the ticket changes"

pw=$(div "${wb[$n]}" "$n" %.1f) pf=$(div "${fb[$n]}" "$n" %.1f) pg=$(div "${gb[$n]}" "$n" %.1f)
ok=$(holds "$pw <= $pf")
section p5 "P5 - bytes on the wire (both directions, every connection of the sync), counted by a relay on loopback"
md "| what | wicket (git://) | fossil (http) | git CLI push (git://) | target | |"
md "| --- | --- | --- | --- | --- | --- |"
md "| $n field changes in one sync: total bytes | ${wb[$n]} | ${fb[$n]} | ${gb[$n]} | | |"
md "| per field change | $pw | $pf | $pg | wicket <= fossil | $(verdict "$ok") |"
md "| a single field change: total bytes | ${wb[1]} | ${fb[1]} | ${gb[1]} | | |"
md ""
json "{\"n\":$n,\"bytes\":{\"wicket\":${wb[$n]},\"fossil\":${fb[$n]},\"git\":${gb[$n]}},\"per_change\":{\"wicket\":$pw,\"fossil\":$pf,\"git\":$pg},\"single\":{\"wicket\":${wb[1]},\"fossil\":${fb[1]},\"git\":${gb[1]}},\"met\":{\"at_most_fossil\":$(jb "$ok")}}"
