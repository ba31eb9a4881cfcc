# tests/sync/servers.sh - real git servers on loopback for the sync tests, and
# a fault proxy to put in front of them. Source it from a bash test:
#
#   . "$WICKET_SOURCE_DIR/tests/sync/servers.sh"    # makes $WK_SRV_DIR, sets a trap
#   bare_repo "$WK_SRV_DIR/base/region.git"         # prints file://.../region.git
#   start_git_daemon "$WK_SRV_DIR/base"             # prints git://127.0.0.1:P
#   start_sshd "$WK_SRV_DIR/base"                   # prints ssh://USER@127.0.0.1:P/ABS/base
#   start_http_backend "$WK_SRV_DIR/base"           # prints http://127.0.0.1:P
#   start_fault_proxy [--once|--faulty-connections K|--rst] cut 1000 "$GIT_DAEMON_PORT"
#   ...                                              # servers stop at exit
#
# Every start_* function takes a base directory and prints a base URL: append
# "/NAME.git" for the repository BASE/NAME.git, whatever the transport. Each
# also sets (and exports) variables for the last server of its kind:
#   GIT_DAEMON_URL GIT_DAEMON_PORT
#   SSH_URL SSH_PORT SSH_USER SSH_HOST_KEY_PUB  and, fixed for the whole run,
#   SSH_KEY (client private key) SSH_KNOWN_HOSTS (host keys of every sshd started)
#   HTTP_URL HTTP_PORT
#   FAULT_PROXY_PORT FAULT_PROXY_LOG (one line per connection: bytes, how it ended)
# Call them directly (`start_sshd "$base" >/dev/null`) to get the variables;
# inside $(...) only the printed URL comes back, but cleanup still works because
# the pids are kept in a file, not in shell variables.
#
# Rules the harness keeps: everything (keys, configs, logs, sockets, pid files)
# lives under $WK_SRV_DIR; servers listen on 127.0.0.1 only; every server runs
# under `timeout` ($WK_SERVER_LIFETIME seconds, default 240) so it stops by
# itself even if the test is killed; every wait is bounded; stop_servers kills
# exactly the processes started here. It never touches system-wide
# configuration; the one exception is that sshd started as root needs its
# privilege separation directory /run/sshd, which it creates (empty, 0755) if
# it is missing, as Debian's own ssh service does at boot.
#
# Needs (Debian): git openssh-server openssh-client nginx fcgiwrap, coreutils
# (timeout), and a C compiler if $FAULTPROXY is not set.
# shellcheck shell=bash disable=SC2034,SC2016

WK_SERVER_LIFETIME=${WK_SERVER_LIFETIME:-240}
WK_SRV_STARTUP=${WK_SRV_STARTUP:-10} # seconds a server may take to accept
if [ -z "${WK_SRV_DIR:-}" ]; then
	WK_SRV_DIR=$(mktemp -d "${TMPDIR:-/tmp}/wk-srv.XXXXXX") || return 1
	WK_SRV_OWN_DIR=1 # removed by stop_servers unless WK_SRV_KEEP is set
fi
mkdir -p "$WK_SRV_DIR/ssh" || return 1
: >>"$WK_SRV_DIR/pids"
export WK_SRV_DIR
export SSH_KEY=$WK_SRV_DIR/ssh/id_ed25519
export SSH_KNOWN_HOSTS=$WK_SRV_DIR/ssh/known_hosts
export SSH_KNOWN_HOSTS_WRONG=$WK_SRV_DIR/ssh/known_hosts_wrong

# srv_log MESSAGE: progress on stderr, so that stdout carries only URLs.
srv_log() {
	echo "servers: $*" >&2
}

# srv_newdir KIND: a fresh directory for one server instance.
srv_newdir() {
	mktemp -d "$WK_SRV_DIR/$1.XXXX"
}

# srv_random_port: a port in 20000..31999, below Linux's ephemeral range
# (32768..60999), so that outgoing connections never take it.
srv_random_port() {
	local r
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	echo $((20000 + r % 12000))
}

# srv_port_open PORT: something accepts connections on 127.0.0.1:PORT.
srv_port_open() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# srv_free_port: a port nothing listens on now. The server may still lose a
# race for it; the start_* functions then retry with another port.
srv_free_port() {
	local i p
	for i in $(seq 1 50); do
		p=$(srv_random_port)
		srv_port_open "$p" || {
			echo "$p"
			return 0
		}
	done
	srv_log "no free port found in 50 tries"
	return 1
}

# srv_spawn NAME LOG COMMAND...: run COMMAND in the background under timeout
# (its own process group), stdin closed, output to LOG; record the pid.
# Sets SRV_PID.
srv_spawn() {
	local name=$1 log=$2
	shift 2
	timeout -k 5 "$WK_SERVER_LIFETIME" "$@" </dev/null >>"$log" 2>&1 &
	SRV_PID=$!
	echo "$SRV_PID $name" >>"$WK_SRV_DIR/pids"
}

# srv_alive PID: the process exists and is not a zombie.
srv_alive() {
	local st
	kill -0 "$1" 2>/dev/null || return 1
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ "$st" != Z ]
}

# srv_wait_port PORT PID: wait until 127.0.0.1:PORT accepts while PID lives.
# Returns 0 when it accepts, 1 if PID died, 2 on timeout.
srv_wait_port() {
	local port=$1 pid=$2 i
	for i in $(seq 1 $((WK_SRV_STARTUP * 20))); do
		srv_alive "$pid" || return 1
		srv_port_open "$port" && return 0
		sleep 0.05
	done
	return 2
}

# srv_stop_pid PID: stop one recorded server and wait for it (bounded).
srv_stop_pid() {
	local pid=$1 i
	if srv_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
	for i in $(seq 1 100); do
		srv_alive "$pid" || break
		sleep 0.05
	done
	if srv_alive "$pid"; then
		srv_log "pid $pid ignored SIGTERM for 5 s; killing its process group"
		kill -KILL -- "-$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	# timeout made itself a process-group leader: wait for the rest of its
	# group (children of the server), then kill whatever is left of it.
	for i in $(seq 1 40); do
		srv_group_alive "$pid" || return 0
		sleep 0.05
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	return 0
}

# srv_group_alive PGID: a process of the group that is not a zombie exists.
srv_group_alive() {
	ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { f = 1 } END { exit !f }'
}

# srv_start_on_port NAME LOG SETUP COMMAND...: pick a free port, let SETUP PORT
# write the server's configuration, start COMMAND and wait until it accepts.
# "@PORT@" in COMMAND is replaced by the port. Up to 5 ports are tried, for
# when another process takes the port first. Sets SRV_PORT and SRV_PID.
srv_start_on_port() {
	local name=$1 log=$2 setup=$3 try port rc
	shift 3
	for try in 1 2 3 4 5; do
		port=$(srv_free_port) || return 1
		"$setup" "$port" || return 1
		srv_spawn "$name" "$log" "${@//@PORT@/$port}"
		rc=0
		srv_wait_port "$port" "$SRV_PID" || rc=$?
		if [ $rc -eq 0 ]; then
			SRV_PORT=$port
			return 0
		fi
		srv_stop_pid "$SRV_PID"
		if [ $rc -eq 2 ]; then
			srv_log "$name did not accept on port $port within ${WK_SRV_STARTUP} s; log: $log"
			tail -n 20 "$log" >&2
			return 1
		fi
		if ! grep -qiE 'in use|cannot bind|bind\(\)|unable to allocate' "$log"; then
			srv_log "$name exited at start; log: $log"
			tail -n 20 "$log" >&2
			return 1
		fi
		srv_log "$name lost port $port to another process (try $try)"
	done
	srv_log "$name: no port after 5 tries"
	return 1
}

# ---------------------------------------------------------------- repositories

# bare_repo DIR: a bare repository that, like the regional one, refuses
# non-fast-forward updates and deletions. Prints file://DIR (DIR made absolute).
bare_repo() {
	local dir=$1
	mkdir -p "$dir" && dir=$(cd "$dir" && pwd) || return 1
	git init -q --bare --initial-branch=main "$dir" &&
		git -C "$dir" config receive.denyNonFastForwards true &&
		git -C "$dir" config receive.denyDeletes true || return 1
	echo "file://$dir"
}

# reject_pushes DIR [MESSAGE]: the server refuses every push to DIR (a
# pre-receive hook that fails). allow_pushes DIR undoes it.
reject_pushes() {
	echo "${2:-pushes are refused by this test}" >"$1/hooks/reject-message" &&
		printf '#!/bin/sh\ncat "$(dirname "$0")/reject-message" >&2\nexit 1\n' >"$1/hooks/pre-receive" &&
		chmod +x "$1/hooks/pre-receive"
}
allow_pushes() {
	rm -f "$1/hooks/pre-receive" "$1/hooks/reject-message"
}

# rewind_ref DIR REF COMMIT: set REF in the bare repository DIR to an older
# COMMIT behind the server's back (denyNonFastForwards does not apply), as a
# rolled-back or tampered regional repository would look.
rewind_ref() {
	git -C "$1" update-ref "$2" "$3"
}

# ---------------------------------------------------------------- git daemon

srv_daemon_setup() { :; }

# start_git_daemon BASEDIR: git daemon serving every repository under BASEDIR,
# pushes allowed. Prints git://127.0.0.1:P.
start_git_daemon() {
	local base d
	base=$(cd "$1" && pwd) || return 1
	d=$(srv_newdir git-daemon) || return 1
	srv_start_on_port git-daemon "$d/log" srv_daemon_setup \
		git daemon --export-all --enable=receive-pack --base-path="$base" \
		--listen=127.0.0.1 --port=@PORT@ --reuseaddr --informative-errors \
		--init-timeout=10 --timeout=60 --max-connections=32 --verbose "$base" || return 1
	export GIT_DAEMON_PORT=$SRV_PORT
	export GIT_DAEMON_URL=git://127.0.0.1:$SRV_PORT
	srv_log "git daemon on $GIT_DAEMON_URL (pid $SRV_PID, log $d/log)"
	echo "$GIT_DAEMON_URL"
}

# ---------------------------------------------------------------- sshd

# The client key is made once per $WK_SRV_DIR and shared by every sshd.
srv_ssh_client_key() {
	[ -f "$SSH_KEY" ] && return 0
	ssh-keygen -q -t ed25519 -N '' -C wicket-test-client -f "$SSH_KEY" &&
		: >>"$SSH_KNOWN_HOSTS"
}

# srv_sshd_use_pam: "no" unless root's account is locked. Without PAM, sshd
# itself refuses an account whose password field starts with "!" - but it can
# read /etc/shadow only as root, so a non-root sshd never refuses. With PAM, a
# non-root sshd cannot work, and in some containers PAM's session modules
# (pam_loginuid) fail. WK_SSHD_USEPAM=yes|no overrides.
srv_sshd_use_pam() {
	local pw
	if [ -n "${WK_SSHD_USEPAM:-}" ]; then
		echo "$WK_SSHD_USEPAM"
		return
	fi
	if [ "$(id -u)" -eq 0 ]; then
		pw=$(awk -F: -v u="$SSH_USER" '$1 == u { print $2 }' /etc/shadow 2>/dev/null)
		case $pw in
		!*)
			echo yes
			return
			;;
		esac
	fi
	echo no
}

SRV_SSHD_DIR=
srv_sshd_setup() {
	local port=$1 d=$SRV_SSHD_DIR
	cat >"$d/sshd_config" <<EOF
# A test sshd: loopback only, one user, public keys only, files in $d.
ListenAddress 127.0.0.1:$port
HostKey $d/host_ed25519
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
AllowUsers $SSH_USER
AuthenticationMethods publickey
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitEmptyPasswords no
PermitRootLogin prohibit-password
# PAM: see srv_sshd_use_pam.
UsePAM $(srv_sshd_use_pam)
# Files live in a world-writable /tmp and may belong to root.
StrictModes no
PermitUserEnvironment no
DisableForwarding yes
PermitTTY no
PrintMotd no
UseDNS no
MaxStartups 64
LoginGraceTime 30
LogLevel VERBOSE
EOF
}

# start_sshd BASEDIR: sshd for the current user, public key only. Prints
# ssh://USER@127.0.0.1:P/ABS_BASEDIR. The client uses $SSH_KEY and
# $SSH_KNOWN_HOSTS; ssh_command prints a GIT_SSH_COMMAND for them.
start_sshd() {
	local base d sshd
	base=$(cd "$1" && pwd) || return 1
	sshd=$(command -v sshd || echo /usr/sbin/sshd)
	[ -x "$sshd" ] || {
		srv_log "sshd not found: install openssh-server"
		return 1
	}
	export SSH_USER
	SSH_USER=$(id -un) || return 1
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -m 0755 /run/sshd || return 1
	fi
	d=$(srv_newdir sshd) || return 1
	SRV_SSHD_DIR=$d
	srv_ssh_client_key || return 1
	ssh-keygen -q -t ed25519 -N '' -C wicket-test-host -f "$d/host_ed25519" || return 1
	echo "restrict $(cat "$SSH_KEY.pub")" >"$d/authorized_keys"
	# sshd refuses to re-exec unless started by its absolute path.
	srv_start_on_port sshd "$d/log" srv_sshd_setup "$sshd" -D -e -f "$d/sshd_config" || return 1
	export SSH_PORT=$SRV_PORT
	export SSH_HOST_KEY_PUB=$d/host_ed25519.pub
	export SSH_URL=ssh://$SSH_USER@127.0.0.1:$SRV_PORT$base
	ssh_known_hosts_add "$SRV_PORT" "$SSH_HOST_KEY_PUB"
	srv_log "sshd on 127.0.0.1:$SRV_PORT (pid $SRV_PID, log $d/log)"
	echo "$SSH_URL"
}

# ssh_known_hosts_add PORT [HOST_KEY_PUB] [FILE]: trust the host key (default:
# the last sshd's) for [127.0.0.1]:PORT, e.g. a fault proxy's port in front
# of sshd. FILE defaults to $SSH_KNOWN_HOSTS.
ssh_known_hosts_add() {
	local key=${2:-${SSH_HOST_KEY_PUB:-}} file=${3:-$SSH_KNOWN_HOSTS}
	[ -f "$key" ] || {
		srv_log "ssh_known_hosts_add: no host key (start sshd first)"
		return 1
	}
	echo "[127.0.0.1]:$1 $(cut -d' ' -f1,2 "$key")" >>"$file"
}

# ssh_known_hosts_wrong [PORT]: write $SSH_KNOWN_HOSTS_WRONG, which names a
# different (freshly made) host key for [127.0.0.1]:PORT (default: the last
# sshd's port), and print its path. ssh with it must refuse the server.
ssh_known_hosts_wrong() {
	local port=${1:-${SSH_PORT:-}} k=$WK_SRV_DIR/ssh/wrong_host_ed25519
	[ -n "$port" ] || {
		srv_log "ssh_known_hosts_wrong: no port (start sshd first)"
		return 1
	}
	[ -f "$k" ] || ssh-keygen -q -t ed25519 -N '' -C wicket-test-wrong-host -f "$k" || return 1
	ssh_known_hosts_add "$port" "$k.pub" "$SSH_KNOWN_HOSTS_WRONG" || return 1
	echo "$SSH_KNOWN_HOSTS_WRONG"
}

# ssh_command [KNOWN_HOSTS]: an ssh command line for GIT_SSH_COMMAND that
# uses only the test key and known_hosts, checks the host key strictly, never
# prompts and ignores the user's own ssh configuration.
ssh_command() {
	local kh=${1:-$SSH_KNOWN_HOSTS}
	echo "ssh -F /dev/null -i $SSH_KEY -o IdentitiesOnly=yes -o IdentityAgent=none" \
		"-o UserKnownHostsFile=$kh -o GlobalKnownHostsFile=/dev/null" \
		"-o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=10" \
		"-o ServerAliveInterval=5 -o ServerAliveCountMax=2"
}

# ---------------------------------------------------------------- smart HTTP

SRV_HTTP_DIR=
SRV_HTTP_BASE=
srv_http_setup() {
	local port=$1 d=$SRV_HTTP_DIR backend
	backend=$(git --exec-path)/git-http-backend
	cat >"$d/nginx.conf" <<EOF
# A test web server: loopback only, one process running as whoever starts it
# (master_process off: no switch to another user, even as root), everything
# under $d.
daemon off;
master_process off;
worker_processes 1;
pid $d/nginx.pid;
lock_file $d/nginx.lock;
error_log $d/error.log info;
events { worker_connections 128; }
http {
    access_log $d/access.log;
    client_body_temp_path $d/tmp/body;
    fastcgi_temp_path $d/tmp/fastcgi;
    proxy_temp_path $d/tmp/proxy;
    scgi_temp_path $d/tmp/scgi;
    uwsgi_temp_path $d/tmp/uwsgi;
    client_max_body_size 0;
    server {
        listen 127.0.0.1:$port;
        server_name localhost;
        location / {
            fastcgi_pass unix:$d/fcgi.sock;
            fastcgi_read_timeout 120s;
            fastcgi_param SCRIPT_FILENAME $backend;
            fastcgi_param GIT_PROJECT_ROOT $SRV_HTTP_BASE;
            fastcgi_param GIT_HTTP_EXPORT_ALL 1;
            fastcgi_param GIT_CONFIG_NOSYSTEM 1;
            fastcgi_param GIT_CONFIG_COUNT 1;
            fastcgi_param GIT_CONFIG_KEY_0 http.receivepack;
            fastcgi_param GIT_CONFIG_VALUE_0 true;
            fastcgi_param HOME $d/home;
            fastcgi_param PATH /usr/local/bin:/usr/bin:/bin;
            fastcgi_param PATH_INFO \$uri;
            fastcgi_param QUERY_STRING \$query_string;
            fastcgi_param REQUEST_METHOD \$request_method;
            fastcgi_param CONTENT_TYPE \$content_type;
            fastcgi_param CONTENT_LENGTH \$content_length;
            fastcgi_param REMOTE_ADDR \$remote_addr;
            fastcgi_param SERVER_PROTOCOL \$server_protocol;
            fastcgi_param GATEWAY_INTERFACE CGI/1.1;
        }
    }
}
EOF
}

# start_http_backend BASEDIR: git http-backend behind nginx and fcgiwrap, for
# every repository under BASEDIR, pushes allowed, no authentication. Prints
# http://127.0.0.1:P.
start_http_backend() {
	local base d i nginx fcgiwrap
	base=$(cd "$1" && pwd) || return 1
	nginx=$(command -v nginx || echo /usr/sbin/nginx)
	fcgiwrap=$(command -v fcgiwrap || echo /usr/sbin/fcgiwrap)
	[ -x "$nginx" ] || {
		srv_log "nginx not found: install nginx"
		return 1
	}
	[ -x "$fcgiwrap" ] || {
		srv_log "fcgiwrap not found: install fcgiwrap"
		return 1
	}
	d=$(srv_newdir http) || return 1
	mkdir -p "$d/tmp" "$d/home" || return 1
	SRV_HTTP_DIR=$d
	SRV_HTTP_BASE=$base
	# fcgiwrap runs git http-backend for nginx; its socket is a file under $d.
	srv_spawn fcgiwrap "$d/fcgiwrap.log" env -i PATH=/usr/local/bin:/usr/bin:/bin HOME="$d/home" \
		"$fcgiwrap" -c 4 -s "unix:$d/fcgi.sock"
	for i in $(seq 1 $((WK_SRV_STARTUP * 20))); do
		[ -S "$d/fcgi.sock" ] && break
		srv_alive "$SRV_PID" || break
		sleep 0.05
	done
	[ -S "$d/fcgi.sock" ] || {
		srv_log "fcgiwrap did not create its socket; log: $d/fcgiwrap.log"
		cat "$d/fcgiwrap.log" >&2
		return 1
	}
	srv_start_on_port nginx "$d/nginx.log" srv_http_setup \
		"$nginx" -p "$d" -c "$d/nginx.conf" -e "$d/error.log" || {
		cat "$d/error.log" >&2
		return 1
	}
	export HTTP_PORT=$SRV_PORT
	export HTTP_URL=http://127.0.0.1:$SRV_PORT
	srv_log "http-backend on $HTTP_URL (nginx pid $SRV_PID, logs in $d)"
	echo "$HTTP_URL"
}

# ---------------------------------------------------------------- fault proxy

# faultproxy_bin: print the fault proxy's path: $FAULTPROXY, or one compiled
# from tests/sync/faultproxy.c into $WK_SRV_DIR.
faultproxy_bin() {
	local src out=$WK_SRV_DIR/faultproxy
	if [ -n "${FAULTPROXY:-}" ]; then
		[ -x "$FAULTPROXY" ] || {
			srv_log "FAULTPROXY=$FAULTPROXY is not an executable"
			return 1
		}
		echo "$FAULTPROXY"
		return 0
	fi
	if [ ! -x "$out" ]; then
		src=$(dirname "${BASH_SOURCE[0]}")/faultproxy.c
		"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$out" "$src" || return 1
	fi
	echo "$out"
}

# start_fault_proxy [OPTIONS] MODE N TARGET_PORT: a fault proxy (see
# faultproxy.c: MODE is pass, cut or stall; OPTIONS such as --once,
# --faulty-connections K, --rst, --lifetime S) in front of 127.0.0.1:TARGET_PORT.
# Prints the proxy's port; sets FAULT_PROXY_PORT and FAULT_PROXY_LOG.
start_fault_proxy() {
	local bin d i port='' lifetime=$WK_SERVER_LIFETIME
	bin=$(faultproxy_bin) || return 1
	d=$(srv_newdir proxy) || return 1
	srv_spawn faultproxy "$d/log" "$bin" --lifetime "$lifetime" "$@"
	# The proxy's first line on stdout, its port, goes to the log; wait for it.
	for i in $(seq 1 $((WK_SRV_STARTUP * 20))); do
		port=$(grep -m1 -E '^[0-9]+$' "$d/log" 2>/dev/null) && break
		srv_alive "$SRV_PID" || break
		sleep 0.05
	done
	[ -n "$port" ] || {
		srv_log "fault proxy did not start; log: $d/log"
		cat "$d/log" >&2
		return 1
	}
	export FAULT_PROXY_PORT=$port
	export FAULT_PROXY_LOG=$d/log
	srv_log "fault proxy $* on 127.0.0.1:$port (pid $SRV_PID)"
	echo "$port"
}

# proxy_bytes LOG: the total bytes of the first connection that ended in LOG.
proxy_bytes() {
	sed -n 's/^faultproxy: conn [0-9]*.*after \([0-9]*\) bytes.*/\1/p' "$1" | head -n 1
}

# stop_proxy: stop the last fault proxy started (the next one gets a new port).
stop_proxy() {
	local pid
	pid=$(awk '$2 == "faultproxy" { p = $1 } END { print p }' "$WK_SRV_DIR/pids")
	if [ -n "$pid" ]; then srv_stop_pid "$pid"; fi
}

# ---------------------------------------------------------------- cleanup

# stop_servers: stop every process started through this file (also those
# started inside $(...)), then remove $WK_SRV_DIR if this file made it and
# WK_SRV_KEEP is unset. Safe to call more than once; chain it in your own
# EXIT trap: trap 'stop_servers; rm -rf "$T"' EXIT.
stop_servers() {
	local pid name
	[ -f "$WK_SRV_DIR/pids" ] || return 0
	while read -r pid name; do
		if srv_alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
	done <"$WK_SRV_DIR/pids"
	while read -r pid name; do
		srv_stop_pid "$pid"
	done <"$WK_SRV_DIR/pids"
	cat "$WK_SRV_DIR/pids" >>"$WK_SRV_DIR/pids.stopped"
	: >"$WK_SRV_DIR/pids"
	if [ -n "${WK_SRV_OWN_DIR:-}" ] && [ -z "${WK_SRV_KEEP:-}" ]; then
		rm -rf "$WK_SRV_DIR"
	fi
}

# servers_left: print the recorded processes, running or stopped, that are
# still alive or have a live process left in their group.
servers_left() {
	local pid name
	cat "$WK_SRV_DIR/pids" "$WK_SRV_DIR/pids.stopped" 2>/dev/null |
		while read -r pid name; do
			if srv_alive "$pid" || srv_group_alive "$pid"; then
				echo "$pid $name"
			fi
		done
}

# The trap: installed unless the sourcing script already has an EXIT trap (then
# it must call stop_servers itself) or sets WK_SRV_NO_TRAP. INT and TERM turn
# into an ordinary exit so that the EXIT trap runs.
if [ -z "${WK_SRV_NO_TRAP:-}" ] && [ -z "$(trap -p EXIT)" ]; then
	trap stop_servers EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
fi
