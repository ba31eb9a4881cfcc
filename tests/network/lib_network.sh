# tests/network/lib_network.sh - the network proof suite's harness: two network
# namespaces, an establishment ("site") and a regional git server ("region"),
# joined by one impaired link, and the wicket commands run across it. Sourced
# by network.sh (the long suite) and test_network.sh (the short one, in CI).
#
# The link: tc netem on a veth pair when the kernel has sch_netem; otherwise
# netwire (netwire.c), a userspace wire between two TAP devices that applies
# the same impairments. WK_NET_BACKEND=wire|netem forces one.
#
#   net_require                       fail clearly unless root, netns and a TAP work
#   net_setup                         namespaces, servers, backend; trap for cleanup
#   link_start ARGS...                the link with netwire-style impairments:
#                                     --loss P --delay MS --jitter MS --reorder P
#                                     --duplicate P --rate KBIT --limit N --cut-after B
#   link_cut / link_restore / link_stop
#   scenario NAME TRANSPORT KIND [ARGS]  see below
#
# Everything lives in $T (tests/cli/lib.sh makes it); servers are started
# through tests/sync/servers.sh's helpers, inside the region's namespace.
# shellcheck shell=bash disable=SC2034,SC2317

NET_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/cli/lib.sh
. "$NET_HERE/../cli/lib.sh" network
# shellcheck source=tests/sync/lib_sync.sh
. "$NET_HERE/../sync/lib_sync.sh"

NETWIRE=${NETWIRE:-$(dirname "$WICKET")/tests/network/netwire}
NET_STALL=${NET_STALL:-10}     # the devices' stall limit (wicket remote set --stall)
NET_MARGIN=${NET_MARGIN:-5}    # seconds allowed beyond it for start-up and clean-up
NET_HARD=${NET_HARD:-600}      # a command still running after this was hung: killed, a failure
NET_SEED=${NET_SEED:-7}
NET_REGION_IP=10.77.0.1
NET_SITE_IP=10.77.0.2
NS_REGION=wk-region-$$
NS_SITE=wk-site-$$
NET_BACKEND=
NET_WIRE_PID=
NET_WATCH_PID=
NET_LINK_ARGS=()
NET_ROWS=$T/rows

# ---------------------------------------------------------------- prerequisites

net_refuse() {
	echo "network suite: cannot run: $*" >&2
	echo "network suite: it needs root, 'ip netns' and /dev/net/tun;" \
		"CI runs it as root. Nothing was tested." >&2
	rm -rf "$T"
	exit 1
}

net_require() {
	local probe=wk-probe-$$
	[ "$(id -u)" -eq 0 ] || net_refuse "not running as root (uid $(id -u))"
	command -v ip >/dev/null || net_refuse "'ip' (iproute2) is missing"
	command -v git >/dev/null || net_refuse "git is missing"
	[ -x "$NETWIRE" ] || net_refuse "netwire is not built ($NETWIRE); build the tree first"
	[ -c /dev/net/tun ] || net_refuse "/dev/net/tun is missing"
	ip netns add "$probe" 2>"$T/probe.err" || net_refuse "'ip netns add' failed: $(cat "$T/probe.err")"
	ip netns del "$probe"
}

# ---------------------------------------------------------------- namespaces and backend

net_cleanup() {
	link_stop
	stop_servers
	ip netns del "$NS_SITE" 2>/dev/null
	ip netns del "$NS_REGION" 2>/dev/null
	if [ "$failed" -eq 0 ] && [ -z "${WK_NET_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "kept for inspection: $T"
	fi
}

# net_backend: netem if the kernel has it (tried for real in the site's
# namespace), else the wire. Prints which, with the evidence.
net_backend() {
	if [ -n "${WK_NET_BACKEND:-}" ]; then
		case $WK_NET_BACKEND in
		wire | netem) ;;
		*) net_refuse "WK_NET_BACKEND must be wire or netem, not '$WK_NET_BACKEND'" ;;
		esac
		NET_BACKEND=$WK_NET_BACKEND
		echo "network: link impaired by $NET_BACKEND (forced by WK_NET_BACKEND)"
		return
	fi
	if ip netns exec "$NS_SITE" tc qdisc add dev lo root netem delay 1ms 2>"$T/netem.err"; then
		ip netns exec "$NS_SITE" tc qdisc del dev lo root
		NET_BACKEND=netem
		echo "network: link impaired by tc netem on a veth pair (the kernel has sch_netem)"
	else
		NET_BACKEND=wire
		echo "network: link impaired by netwire between two TAP devices: this kernel has no sch_netem" \
			"('tc qdisc add dev lo root netem delay 1ms' said: $(tr '\n' ' ' <"$T/netem.err"))"
	fi
}

net_setup() {
	net_require
	WK_SRV_DIR=$T/srv
	WK_SRV_NO_TRAP=1
	WK_SERVER_LIFETIME=${WK_SERVER_LIFETIME:-3600}
	# shellcheck source=tests/sync/servers.sh
	. "$NET_HERE/../sync/servers.sh" || exit 1
	trap net_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if ! ip netns add "$NS_REGION" || ! ip netns add "$NS_SITE"; then
		net_refuse "cannot create the namespaces"
	fi
	for ns in "$NS_REGION" "$NS_SITE"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	done
	net_backend
	BASE=$WK_SRV_DIR/base
	mkdir -p "$BASE" "$T/scen"
	: >"$NET_ROWS"
	net_start_servers
}

# ---------------------------------------------------------------- the link

# in_ns NS COMMAND...: run inside a namespace.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# net_address: give both ends their addresses and bring them up.
net_address() {
	ip -n "$NS_REGION" addr add "$NET_REGION_IP/24" dev wire0 &&
		ip -n "$NS_SITE" addr add "$NET_SITE_IP/24" dev wire0 &&
		ip -n "$NS_REGION" link set wire0 up &&
		ip -n "$NS_SITE" link set wire0 up
}

# netem_args ARGS...: netwire's options as a netem qdisc's (without the cut).
netem_args() {
	local delay=0 jitter=0 out=()
	while [ $# -gt 0 ]; do
		case $1 in
		--loss) out+=(loss "$2%") ;;
		--delay) delay=$2 ;;
		--jitter) jitter=$2 ;;
		--reorder) out+=(reorder "$2%") ;;
		--duplicate) out+=(duplicate "$2%") ;;
		--rate) out+=(rate "${2}kbit") ;;
		--limit) out+=(limit "$2") ;;
		esac
		shift 2
	done
	echo "delay ${delay}ms ${jitter}ms ${out[*]}"
}

# link_start ARGS...: the link between the namespaces, impaired as ARGS say.
link_start() {
	local i cut=-1 a
	link_stop
	NET_LINK_ARGS=("$@")
	if [ "$NET_BACKEND" = wire ]; then
		"$NETWIRE" --seed "$NET_SEED" --stats "$T/wire.stats" --lifetime "$WK_SERVER_LIFETIME" "$@" \
			"$NS_SITE:wire0" "$NS_REGION:wire0" >"$T/wire.out" 2>>"$T/wire.log" &
		NET_WIRE_PID=$!
		for i in $(seq 1 100); do
			grep -q ready "$T/wire.out" 2>/dev/null && break
			kill -0 "$NET_WIRE_PID" 2>/dev/null || break
			sleep 0.05
		done
		grep -q ready "$T/wire.out" || {
			fail "netwire starts ($*)"
			tail -n 5 "$T/wire.log"
			return 1
		}
	else
		ip link add wire0 netns "$NS_SITE" type veth peer name wire0 netns "$NS_REGION" || return 1
		a=$(netem_args "$@")
		# shellcheck disable=SC2086
		in_ns "$NS_SITE" tc qdisc add dev wire0 root netem $a &&
			in_ns "$NS_REGION" tc qdisc add dev wire0 root netem $a || return 1
		for ((i = 1; i <= $#; i++)); do [ "${!i}" = --cut-after ] && { i=$((i + 1)); cut=${!i}; }; done
		[ "$cut" -lt 0 ] || netem_watch_cut "$cut" &
		NET_WATCH_PID=$!
	fi
	net_address
}

# netem_watch_cut BYTES: cut the veth link once BYTES have crossed it.
netem_watch_cut() {
	local n
	while :; do
		n=$(($(in_ns "$NS_SITE" cat /sys/class/net/wire0/statistics/tx_bytes) +
			$(in_ns "$NS_REGION" cat /sys/class/net/wire0/statistics/tx_bytes)))
		[ "$n" -lt "$1" ] || break
		sleep 0.02
	done
	link_cut
}

link_cut() {
	if [ "$NET_BACKEND" = wire ]; then
		kill -USR1 "$NET_WIRE_PID"
	else
		in_ns "$NS_SITE" tc qdisc change dev wire0 root netem loss 100%
		in_ns "$NS_REGION" tc qdisc change dev wire0 root netem loss 100%
	fi
}

link_restore() {
	local a
	if [ "$NET_BACKEND" = wire ]; then
		kill -USR2 "$NET_WIRE_PID"
	else
		[ -z "$NET_WATCH_PID" ] || kill "$NET_WATCH_PID" 2>/dev/null
		a=$(netem_args "${NET_LINK_ARGS[@]}")
		# shellcheck disable=SC2086
		in_ns "$NS_SITE" tc qdisc change dev wire0 root netem $a
		# shellcheck disable=SC2086
		in_ns "$NS_REGION" tc qdisc change dev wire0 root netem $a
	fi
}

link_stop() {
	if [ -n "$NET_WIRE_PID" ]; then
		kill "$NET_WIRE_PID" 2>/dev/null
		wait "$NET_WIRE_PID" 2>/dev/null
		NET_WIRE_PID=
		if grep -qE 'Sanitizer|runtime error' "$T/wire.log"; then
			fail "netwire's run is clean under the sanitizers"
			head -n 20 "$T/wire.log"
		fi
	fi
	if [ -n "$NET_WATCH_PID" ]; then
		kill "$NET_WATCH_PID" 2>/dev/null
		wait "$NET_WATCH_PID" 2>/dev/null
		NET_WATCH_PID=
	fi
	ip -n "$NS_SITE" link del wire0 2>/dev/null
	return 0
}

# link_stat KEY: a counter of the wire (0 for netem, which has none).
link_stat() {
	awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print 0 }' "$T/wire.stats" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- servers in the region's namespace

# net_wait_port PORT PID: the server accepts on the region's address.
net_wait_port() {
	local i
	for i in $(seq 1 200); do
		srv_alive "$2" || return 1
		in_ns "$NS_REGION" bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

net_start_servers() {
	local d
	# git daemon, on every address of the region's namespace.
	d=$(srv_newdir git-daemon)
	srv_spawn git-daemon "$d/log" ip netns exec "$NS_REGION" git daemon --export-all --enable=receive-pack \
		--base-path="$BASE" --port=9418 --reuseaddr --informative-errors --init-timeout=20 --timeout=120 \
		--max-connections=64 --verbose "$BASE"
	net_wait_port 9418 "$SRV_PID" || {
		fail "git daemon starts in the region's namespace"
		cat "$d/log"
	}
	GIT_BASE=git://$NET_REGION_IP
	# sshd (servers.sh's configuration, listening in the region's namespace).
	export SSH_USER
	SSH_USER=$(id -un)
	[ -d /run/sshd ] || mkdir -m 0755 /run/sshd
	d=$(srv_newdir sshd)
	SRV_SSHD_DIR=$d
	srv_ssh_client_key && ssh-keygen -q -t ed25519 -N '' -C wicket-test-host -f "$d/host_ed25519" &&
		echo "restrict $(cat "$SSH_KEY.pub")" >"$d/authorized_keys" && srv_sshd_setup 2222 &&
		sed -i "s/^ListenAddress .*/ListenAddress 0.0.0.0:2222/" "$d/sshd_config"
	srv_spawn sshd "$d/log" ip netns exec "$NS_REGION" "$(command -v sshd || echo /usr/sbin/sshd)" -D -e \
		-f "$d/sshd_config"
	if net_wait_port 2222 "$SRV_PID"; then
		echo "[$NET_REGION_IP]:2222 $(cut -d' ' -f1,2 "$d/host_ed25519.pub")" >>"$SSH_KNOWN_HOSTS"
		SSH_BASE=ssh://$SSH_USER@$NET_REGION_IP:2222$BASE
	else
		fail "sshd starts in the region's namespace"
		tail -n 20 "$d/log"
	fi
	# smart HTTP: nginx + fcgiwrap + git http-backend (servers.sh's configuration).
	d=$(srv_newdir http)
	mkdir -p "$d/tmp" "$d/home"
	SRV_HTTP_DIR=$d
	SRV_HTTP_BASE=$BASE
	srv_spawn fcgiwrap "$d/fcgiwrap.log" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$d/home" \
		"$(command -v fcgiwrap || echo /usr/sbin/fcgiwrap)" -c 4 -s "unix:$d/fcgi.sock"
	srv_http_setup 8080 && sed -i "s/listen 127.0.0.1:8080;/listen 8080;/" "$d/nginx.conf"
	for _ in $(seq 1 100); do [ -S "$d/fcgi.sock" ] && break; sleep 0.05; done
	srv_spawn nginx "$d/nginx.log" ip netns exec "$NS_REGION" "$(command -v nginx || echo /usr/sbin/nginx)" \
		-p "$d" -c "$d/nginx.conf" -e "$d/error.log"
	if net_wait_port 8080 "$SRV_PID"; then
		HTTP_BASE=http://$NET_REGION_IP:8080
	else
		fail "nginx starts in the region's namespace"
		tail -n 20 "$d/error.log"
	fi
}

# ---------------------------------------------------------------- timed commands

now_ms() {
	local t=$EPOCHREALTIME
	echo $(((${t%.*} * 1000000 + 10#${t#*.}) / 1000))
}

# site_sync DIR LABEL: one `wicket sync --json` in the site's namespace, as a
# user or cron would run it. Sets A_RC, A_WALL (ms), A_GAP (the longest time,
# ms, with no progress event), A_MSG (the problem reported) and appends a line
# to $T/attempts.
site_sync() {
	local dir=$1 label=$2 start last t gap=0 line
	start=$(now_ms)
	last=$start
	: >"$T/sync.json"
	echo "# $label" >>"$T/attempt.log"
	while IFS= read -r line; do
		t=$(now_ms)
		[ $((t - last)) -le "$gap" ] || gap=$((t - last))
		last=$t
		printf '%s\n' "$line" >>"$T/sync.json"
		printf '%d %s\n' $((t - start)) "$line" >>"$T/attempt.log"
	done < <(
		timeout -k 5 "$NET_HARD" ip netns exec "$NS_SITE" "$WICKET" -C "$dir" sync --json 2>"$T/sync.err"
		echo "rc $?"
	)
	t=$(now_ms)
	[ $((t - last)) -le "$gap" ] || gap=$((t - last))
	A_RC=$(sed -n 's/^rc //p' "$T/sync.json")
	if grep -qE 'Sanitizer|runtime error' "$T/sync.err"; then
		fail "$label: wicket's run is clean under the sanitizers"
		head -n 20 "$T/sync.err"
	fi
	A_WALL=$((t - start))
	A_GAP=$gap
	A_MSG=$(grep '"event":"result"' "$T/sync.json" | sed 's/.*"problem":"\(.*\)"}$/\1/')
	[ -n "$A_MSG" ] || A_MSG=$(head -c 300 "$T/sync.err")
	printf '%s rc=%s wall=%d.%03ds silent=%d.%03ds %s\n' "$label" "$A_RC" $((A_WALL / 1000)) $((A_WALL % 1000)) \
		$((A_GAP / 1000)) $((A_GAP % 1000)) "${A_MSG:-ok}" | tee -a "$T/attempts"
}

# A failed sync must say why, in words a user can act on, and exit 1 (a stall
# or a transfer cut short) or 3 (offline), never hang.
clear_failure() {
	case $A_RC in
	1 | 3) ;;
	*) return 1 ;;
	esac
	printf '%s' "$A_MSG" | grep -qiE 'stalled|cannot reach|offline'
}

# sync_until_done DIR LABEL MAX: retry as cron would, up to MAX times, until a
# sync succeeds with nothing left unsent. Sets S_TRIES, S_OK, S_WALL (total
# ms), S_MAXWALL, S_MAXGAP, S_BAD (failures that were not clear).
sync_until_done() {
	local dir=$1 label=$2 max=$3
	S_TRIES=0 S_OK=0 S_WALL=0 S_MAXWALL=0 S_MAXGAP=0 S_BAD=0
	while [ "$S_TRIES" -lt "$max" ]; do
		S_TRIES=$((S_TRIES + 1))
		site_sync "$dir" "$label #$S_TRIES"
		S_WALL=$((S_WALL + A_WALL))
		[ "$A_WALL" -le "$S_MAXWALL" ] || S_MAXWALL=$A_WALL
		[ "$A_GAP" -le "$S_MAXGAP" ] || S_MAXGAP=$A_GAP
		if [ "$A_RC" = 0 ] && [ "$(unsent "$dir")" = 0 ]; then
			S_OK=1
			return 0
		fi
		clear_failure || {
			S_BAD=$((S_BAD + 1))
			echo "    not a clear failure: exit $A_RC, '$A_MSG'"
		}
		sleep 1
	done
	return 1
}

# ---------------------------------------------------------------- what arrived

unsent() {
	"$WICKET" -C "$1" status --json | sed -n 's/.*"unsent_changesets": *\([0-9]*\).*/\1/p'
}
held() { sqlite3 "$1/.wicket/store.db" "SELECT count(*) FROM changeset WHERE device = '$2'"; }
on_remote() { git --git-dir="$2" rev-list --count "refs/heads/sites/LEI/$1" 2>/dev/null || echo 0; }

# ops DIR: every operation device d1 of LEI made that the folder holds, one
# line each (device, clock, record, id, kind, field, new value), sorted: the
# audit log as a multiset, so that a lost or a doubled change shows. A
# device's own copy of the national catalogue and rules is local, never sent
# (sync/ledger.c, wk_ledger_seal), so it is left out.
ops() {
	"$WICKET" -C "$1" audit log --site LEI --device d1 --json >"$T/ops.json" 2>"$T/ops.err" || return 1
	sqlite3 :memory: "SELECT json_array(json_extract(value, '\$.device'), json_extract(value, '\$.hlc'),
		json_extract(value, '\$.entity'), json_extract(value, '\$.id'), json_extract(value, '\$.kind'),
		json_extract(value, '\$.field'), json_extract(value, '\$.new'))
		FROM json_each(readfile('$T/ops.json'))
		WHERE NOT (json_extract(value, '\$.entity') = 'national_doc' OR
		           (json_extract(value, '\$.entity') = 'policy_script' AND json_extract(value, '\$.id') LIKE 'national/%'))" |
		sort
}

# ---------------------------------------------------------------- the changes

# site_changes DIR SIZE: the establishment's work on d1.
#   plan     the plan and three baseline assessments: one changeset of 105
#            operations;
#   small    the plan and the sample action plan: one changeset, 600
#            operations, about 80 KB sealed;
#   many:K   that, then K more changesets of baseline work (each about 4 KB);
#   big:K    that, with K baseline changes more, all in one changeset of about
#            80 + 4K KB (one git object: it crosses the link in one piece).
site_changes() {
	local dir=$1 size=$2 k=0 b
	if [ "$size" = plan ]; then
		"$WICKET" -C "$dir" plan create --edm OMU >/dev/null || return 1
		for b in 1 2 3; do
			"$WICKET" -C "$dir" baseline set "1.$b" --status met --evidence "checked on the wing, $b" >/dev/null ||
				return 1
		done
		return 0
	fi
	"$WICKET" -C "$dir" plan create --edm OMU >/dev/null &&
		"$WICKET" -C "$dir" actionplan import "$SAMPLE_JSON" >/dev/null || return 1
	case $size in
	many:*) k=${size#many:} ;;
	big:*) k=${size#big:} ;;
	esac
	for b in $(seq 1 "$k"); do
		[ "${size%%:*}" != many ] || "$WICKET" -C "$dir" seal >/dev/null || return 1
		"$WICKET" -C "$dir" baseline set "1.$((b % 3 + 1))" --status in_progress \
			--evidence "round $b: $(head -c 3000 /dev/urandom | base64 -w0)" >/dev/null || return 1
	done
}

# ---------------------------------------------------------------- scenarios

# scen_setup NAME TRANSPORT: a fresh region (its regional repository under
# $BASE, served by every server) and two enrolled devices of LEI, d1 (which
# works and sends) and d2 (which receives), both syncing over TRANSPORT with
# the stall limit. d1 is given the trust file naming d2 before it seals
# anything offline: a changeset is sealed to the devices its sealer knows.
# Sets SD (the scenario's folder), SREPO, SURL.
scen_setup() {
	local name=$1 transport=$2
	SD=$T/scen/$name
	SREPO=$BASE/$name.git
	case $transport in
	git) SURL=$GIT_BASE/$name.git ;;
	ssh) SURL=$SSH_BASE/$name.git ;;
	http) SURL=$HTTP_BASE/$name.git ;;
	esac
	mkdir -p "$SD"
	# lib_sync.sh keeps the region and its files under $T: this scenario's folder.
	# shellcheck disable=SC2030
	(
		T=$SD
		make_region "$SREPO" && make_device "$SD/d1" d1 && make_device "$SD/d2" d2 &&
			"$WICKET" -C "$R" trust export "$SD/trust.both" >/dev/null &&
			"$WICKET" -C "$SD/d1" trust import "$SD/trust.both" >/dev/null
	) || {
		fail "$name: the region and two devices are made"
		return 1
	}
	for d in d1 d2; do
		"$WICKET" -C "$SD/$d" remote set "$SURL" --stall "$NET_STALL" --ssh-key "$SSH_KEY" \
			--known-hosts "$SSH_KNOWN_HOSTS" >/dev/null || { fail "$name: remote set"; return 1; }
	done
	# shellcheck disable=SC2031
	: >"$T/attempts"
}

# scen_verify NAME: after the link: the region pulls over a clean path (its
# own file:// repository) and everything d1 made is there exactly once.
# Sets V_DELIVERED and V_EXPECTED (operations).
scen_verify() {
	local name=$1 mine theirs
	check "$name: the remote holds each of d1's changesets once ($(on_remote d1 "$SREPO") of $(held "$SD/d1" d1))" \
		test "$(on_remote d1 "$SREPO")" = "$(held "$SD/d1" d1)"
	run -C "$SD/region" region pull
	check "$name: the region pulls everything" test "$rc" -eq 0
	mine=$(ops "$SD/d1")
	theirs=$(ops "$SD/region")
	V_EXPECTED=$(printf '%s\n' "$mine" | grep -c .)
	V_DELIVERED=$(printf '%s\n' "$theirs" | grep -c .)
	check "$name: the region holds every change of d1 exactly once ($V_DELIVERED of $V_EXPECTED)" \
		test "$mine" = "$theirs" -a "$V_EXPECTED" -gt 0
	[ "$mine" = "$theirs" ] || diff <(printf '%s\n' "$mine") <(printf '%s\n' "$theirs") | head -n 6
	check "$name: the region's quarantine is empty" \
		test "$(sqlite3 "$SD/region/.wicket/store.db" 'SELECT count(*) FROM quarantine')" = 0
	run -C "$SD/region" audit verify
	check "$name: the region's audit verifies every chain" test "$rc" -eq 0
	check "$name: d2, across the same link, holds what d1 holds" test "$(state "$SD/d1")" = "$(state "$SD/d2")"
}

# row NAME TRANSPORT LINK ATTEMPTS SUCCEEDED WALL_MS LONGEST_MS SILENT_MS DELIVERED EXPECTED NOTE
row() {
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s/%s\t%s\n' "$@" >>"$NET_ROWS"
}

secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# scenario NAME TRANSPORT SIZE MAX MUST -- LINK_ARGS...: d1 makes SIZE work
# (site_changes), syncs through the impaired link until done (at most MAX
# tries), d2 receives it through the same link, the region checks it. MUST=1:
# the syncs must succeed within MAX tries; 0: they may not (30 % loss), but
# nothing may be lost, doubled or hang.
scenario() {
	local name=$1 transport=$2 size=$3 max=$4 must=$5 tries=0 ok=0 wall=0 longest=0 silent=0 bad=0 limit
	shift 6
	[[ $name =~ ${NET_ONLY:-.} ]] || return 0
	echo "== $name: $transport, $* ($size)"
	scen_setup "$name" "$transport" || return 1
	site_changes "$SD/d1" "$size" || {
		fail "$name: d1's changes are made"
		return 1
	}
	link_start "$@" || { fail "$name: the link starts ($*)"; return 1; }
	for d in d1 d2; do
		sync_until_done "$SD/$d" "$name: $d" "$max"
		tries=$((tries + S_TRIES)) ok=$((ok + S_OK)) wall=$((wall + S_WALL)) bad=$((bad + S_BAD))
		[ "$S_MAXWALL" -le "$longest" ] || longest=$S_MAXWALL
		[ "$S_MAXGAP" -le "$silent" ] || silent=$S_MAXGAP
		if [ "$must" = 1 ]; then
			check "$name: $d's sync completes within $max tries ($S_TRIES)" test "$S_OK" = 1
		fi
		[ "$S_OK" = 1 ] || break
	done
	limit=$(((NET_STALL + NET_MARGIN) * 1000))
	check "$name: every failed sync said why (stall, cannot reach, offline) and exited 1 or 3" test "$bad" -eq 0
	check "$name: no sync went silent past the stall limit ($(secs "$silent") s; limit $NET_STALL s + $NET_MARGIN)" \
		test "$silent" -le "$limit"
	link_stop
	if [ "$ok" -eq 2 ]; then
		scen_verify "$name"
	else
		# Not all through (allowed only when MUST=0): still nothing doubled, nothing lost.
		V_EXPECTED=$(ops "$SD/d1" | grep -c .)
		check "$name: d1 still holds all its work, unsent or sent" test "$V_EXPECTED" -gt 0
		check "$name: the remote holds no changeset twice" test "$(on_remote d1 "$SREPO")" -le "$(held "$SD/d1" d1)"
		V_DELIVERED=0
		if "$WICKET" -C "$SD/region" region pull >/dev/null 2>&1; then
			V_DELIVERED=$(ops "$SD/region" | grep -c .)
			check "$name: what did arrive arrived once" \
				test "$(ops "$SD/region" | sort | uniq -d | grep -c .)" = 0
		fi
	fi
	row "$name" "$transport" "$*" "$tries" "$ok" "$(secs "$wall")" "$(secs "$longest")" "$(secs "$silent")" \
		"$V_DELIVERED" "$V_EXPECTED" "lost $(($(link_stat ab_lost) + $(link_stat ba_lost))) dup $(($(link_stat ab_duplicated) + $(link_stat ba_duplicated))) reord $(($(link_stat ab_reordered) + $(link_stat ba_reordered)))"
}

# cut_scenario NAME TRANSPORT WHICH BYTES [LINK_ARGS...]: the link is cut
# after BYTES while d1 sends (WHICH=push) or d2 receives (WHICH=fetch). The
# cut sync fails within the stall limit, saying why; a sync while the link is
# still down fails as fast; nothing is lost or doubled; once the link is
# restored the next sync completes.
cut_scenario() {
	local name=$1 transport=$2 which=$3 bytes=$4 dev limit held0 ops0
	shift 4
	[[ $name =~ ${NET_ONLY:-.} ]] || return 0
	echo "== $name: $transport, cut after $bytes bytes while ${which}ing $*"
	scen_setup "$name" "$transport" || return 1
	# Random evidence: changesets are compressed, and the cuts must fall inside the transfer (about 90 KB).
	site_changes "$SD/d1" big:30 || { fail "$name: d1's changes are made"; return 1; }
	dev=d1
	if [ "$which" = fetch ]; then
		link_start "$@" || { fail "$name: the link starts ($*)"; return 1; }
		sync_until_done "$SD/d1" "$name: d1 (clean)" 3
		check "$name: d1 sends over the clean link" test "$S_OK" = 1
		dev=d2
	fi
	link_start --cut-after "$bytes" "$@" || { fail "$name: the link starts"; return 1; }
	limit=$(((NET_STALL + NET_MARGIN) * 1000))
	ops0=$(ops "$SD/d1" | grep -c .)
	site_sync "$SD/$dev" "$name: $dev, cut mid-transfer"
	held0=$(held "$SD/d1" d1)
	# A cut during the fetch leaves the work pending, one later seals it: kept either way.
	check "$name: d1 keeps every change ($ops0 operations, $held0 changesets sealed)" \
		test "$(ops "$SD/d1" | grep -c .)" = "$ops0"
	local w1=$A_WALL g1=$A_GAP rc1=$A_RC tries=1 wall=$A_WALL succeeded=0
	if [ "$(link_stat cut)" = 1 ] || [ "$NET_BACKEND" = netem ]; then
		check "$name: the cut sync fails" test "$A_RC" != 0
		check "$name: ... saying why, exit 1 or 3 (exit $A_RC: $A_MSG)" clear_failure
		check "$name: ... within the stall limit ($(secs "$w1") s; limit $NET_STALL s + $NET_MARGIN)" \
			test "$w1" -le "$limit"
	else
		fail "$name: the link was cut (the transfer moved fewer than $bytes bytes: $(link_stat forwarded_bytes))"
	fi
	site_sync "$SD/$dev" "$name: $dev, link still down"
	tries=$((tries + 1)) wall=$((wall + A_WALL))
	check "$name: a sync while the link is down fails, saying why (exit $A_RC: $A_MSG)" clear_failure
	check "$name: ... within the stall limit ($(secs "$A_WALL") s)" test "$A_WALL" -le "$limit"
	check "$name: while down, nothing is lost: d1 holds its changes and changesets" \
		test "$(held "$SD/d1" d1)" = "$held0" -a "$(ops "$SD/d1" | grep -c .)" = "$ops0"
	check "$name: while down, the remote holds nothing twice" test "$(on_remote d1 "$SREPO")" -le "$held0"
	link_restore
	sync_until_done "$SD/$dev" "$name: $dev, link restored" 3
	tries=$((tries + S_TRIES)) wall=$((wall + S_WALL)) succeeded=$((succeeded + S_OK))
	check "$name: after the link is restored the next sync completes (in $S_TRIES)" test "$S_OK" = 1 -a "$S_TRIES" -le 2
	if [ "$which" = push ]; then
		sync_until_done "$SD/d2" "$name: d2" 3
		tries=$((tries + S_TRIES)) wall=$((wall + S_WALL)) succeeded=$((succeeded + S_OK))
	fi
	link_stop
	scen_verify "$name"
	row "$name" "$transport" "cut after $bytes B ($which) $*" "$tries" "$succeeded" "$(secs "$wall")" \
		"$(secs "$w1")" "$(secs "$g1")" "$V_DELIVERED" "$V_EXPECTED" "cut sync: exit $rc1"
}

# print_table: the figures, one row per scenario.
print_table() {
	echo
	echo "impairment table (stall limit $NET_STALL s, backend $NET_BACKEND, seed $NET_SEED):"
	{
		printf 'scenario\ttransport\tlink\tsyncs\tsucceeded\twall s\tlongest s\tsilent s\tops\tnote\n'
		cat "$NET_ROWS"
	} | column -t -s "$(printf '\t')"
}
