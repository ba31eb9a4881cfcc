#!/usr/bin/env bash
# tests/sync/test_servers.sh - proves the sync test servers (servers.sh) and
# the fault proxy (faultproxy.c) work, with the plain git command line and
# nothing of wicket: for file://, git://, ssh:// and http://, clone, push and
# fetch; the server refuses a non-fast-forward push, a deletion and (when told
# to) any push; ssh refuses a changed host key; and through the fault proxy in
# front of git daemon a transfer cut at any of several bytes fails, one that
# stalls hangs until killed, and each retry then delivers the change once.
# Ends with "N passed, N failed". Runs as root (CI) or as any user.
# shellcheck disable=SC2317,SC2119
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/wk-sync-servers.XXXXXX") || exit 1
WK_SRV_DIR=$T/srv
export WK_SRV_NO_TRAP=1
mkdir -p "$WK_SRV_DIR"
# shellcheck source=servers.sh
. "$here/servers.sh" || exit 1

passed=0
failed=0
cleanup() {
	stop_servers
	if [ "$failed" -eq 0 ] && [ -z "${WK_SRV_KEEP:-}" ]; then
		rm -rf "$T"
	else
		echo "kept for inspection: $T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() {
	passed=$((passed + 1))
	echo "ok: $*"
}
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
	[ -s "$T/err" ] && head -c 800 "$T/err" | sed 's/^/    stderr: /'
}
# check DESCRIPTION COMMAND...: the command's success is the check.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}
# g ARGS...: git with its stderr kept in $T/err, bounded in time.
g() {
	timeout 60 git "$@" 2>"$T/err"
}
# refuses PATTERN COMMAND...: the command fails and its stderr matches PATTERN.
refuses() {
	local pat=$1
	shift
	if "$@"; then
		echo "    (it succeeded)"
		return 1
	fi
	grep -qiE "$pat" "$T/err" || {
		echo "    (failed, but stderr does not match '$pat')"
		return 1
	}
}
same() {
	[ "$1" = "$2" ] || {
		echo "    ('$1' != '$2')"
		return 1
	}
}
rev() {
	git -C "$1" rev-parse -q --verify "$2" 2>/dev/null
}
# commit DIR TEXT: a commit with a text line and 32 KiB of random bytes (so
# that packs are tens of KiB and cross many buffers).
commit() {
	echo "$2" >>"$1/log.txt"
	head -c 32768 /dev/urandom >"$1/blob-$(date +%s%N)"
	git -C "$1" add -A && git -C "$1" commit -q -m "$2"
}

# Git alone: no user or system configuration, no prompts.
export HOME=$T/home GIT_CONFIG_NOSYSTEM=1 GIT_TERMINAL_PROMPT=0
export GIT_AUTHOR_NAME=test GIT_AUTHOR_EMAIL=test@example.invalid
export GIT_COMMITTER_NAME=test GIT_COMMITTER_EMAIL=test@example.invalid
unset GIT_SSH GIT_SSH_VARIANT GIT_PROXY_COMMAND GIT_DIR GIT_WORK_TREE
mkdir -p "$HOME"
git config --global init.defaultBranch main
git config --global advice.detachedHead false
start=$(date +%s)
echo "running as $(id -un) (uid $(id -u)), files in $T"

for tool in git ssh ssh-keygen timeout cc; do
	command -v "$tool" >/dev/null || fail "tool '$tool' is missing (see scripts/setup.sh)"
done
for tool in sshd nginx fcgiwrap; do
	command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ] ||
		fail "'$tool' is missing: install openssh-server, nginx and fcgiwrap (scripts/setup.sh)"
done

base=$WK_SRV_DIR/base
mkdir -p "$base"

# ---------------------------------------------------------------- the servers
if start_git_daemon "$base" >/dev/null; then ok "git daemon starts"; else fail "git daemon starts"; fi
if start_sshd "$base" >/dev/null; then ok "sshd starts"; else fail "sshd starts"; fi
if start_http_backend "$base" >/dev/null; then ok "http-backend starts"; else fail "http-backend starts"; fi
export GIT_SSH_COMMAND
GIT_SSH_COMMAND=$(ssh_command)

# ---------------------------------------------------------------- each transport
# transport NAME URL: clone, push, fetch, and the server's refusals, over URL
# (the base URL: the repository is URL/NAME.git).
transport() {
	local name=$1 url=$2/$1.git repo=$base/$1.git w=$T/$1 head old
	echo "== $name: $url"
	bare_repo "$repo" >/dev/null || {
		fail "$name: bare repository"
		return
	}
	check "$name: clone an empty repository" g clone -q "$url" "$w/a"
	commit "$w/a" "$name one"
	check "$name: push the first commit" g -C "$w/a" push -q origin HEAD:main
	check "$name: the server holds it" same "$(rev "$repo" main)" "$(rev "$w/a" HEAD)"
	check "$name: clone it" g clone -q "$url" "$w/b"
	check "$name: the clone has it" same "$(rev "$w/b" HEAD)" "$(rev "$w/a" HEAD)"
	commit "$w/a" "$name two"
	check "$name: push a second commit" g -C "$w/a" push -q origin HEAD:main
	check "$name: fetch it" g -C "$w/b" fetch -q origin
	check "$name: the fetch has it" same "$(rev "$w/b" origin/main)" "$(rev "$w/a" HEAD)"

	head=$(rev "$repo" main)
	git -C "$w/b" reset -q --hard origin/main~1 && commit "$w/b" "$name rewritten"
	check "$name: a non-fast-forward push is refused" \
		refuses 'non-fast-forward|denying' g -C "$w/b" push --force origin HEAD:main
	check "$name: a deletion is refused" refuses 'deletion|denying' g -C "$w/b" push origin :main
	check "$name: ...and the server is unchanged" same "$(rev "$repo" main)" "$head"

	reject_pushes "$repo" "region says no"
	commit "$w/a" "$name three"
	check "$name: a push the server rejects fails" refuses 'region says no' g -C "$w/a" push origin HEAD:main
	check "$name: ...and changes nothing" same "$(rev "$repo" main)" "$head"
	allow_pushes "$repo"
	check "$name: the retry delivers it" g -C "$w/a" push -q origin HEAD:main
	check "$name: ...once" same "$(rev "$repo" main)" "$(rev "$w/a" HEAD)"

	old=$(rev "$repo" main~2)
	rewind_ref "$repo" refs/heads/main "$old"
	check "$name: rewind_ref rolls the server back" same "$(rev "$repo" main)" "$old"
	g -C "$w/b" fetch -q origin
	check "$name: a fetch sees the older state" same "$(rev "$w/b" origin/main)" "$old"
	rewind_ref "$repo" refs/heads/main "$(rev "$w/a" HEAD)"
}

transport file "file://$base"
[ -n "${GIT_DAEMON_URL:-}" ] && transport git "$GIT_DAEMON_URL"
[ -n "${SSH_URL:-}" ] && transport ssh "$SSH_URL"
[ -n "${HTTP_URL:-}" ] && transport http "$HTTP_URL"

# ---------------------------------------------------------------- ssh host keys
if [ -n "${SSH_URL:-}" ]; then
	echo "== ssh host keys"
	# ls_remote_with KNOWN_HOSTS URL: git ls-remote trusting only KNOWN_HOSTS.
	ls_remote_with() {
		GIT_SSH_COMMAND=$(ssh_command "$1") timeout 60 git ls-remote "$2" >/dev/null 2>"$T/err"
	}
	wrong=$(ssh_known_hosts_wrong)
	check "ssh: a changed host key is refused" refuses 'IDENTIFICATION HAS CHANGED|Host key verification failed' \
		ls_remote_with "$wrong" "$SSH_URL/ssh.git"
	: >"$T/empty_known_hosts"
	check "ssh: an unknown host key is refused" refuses 'Host key verification failed|No .* host key is known' \
		ls_remote_with "$T/empty_known_hosts" "$SSH_URL/ssh.git"
	check "ssh: the right host key is accepted" ls_remote_with "$SSH_KNOWN_HOSTS" "$SSH_URL/ssh.git"
fi

# ---------------------------------------------------------------- faults
# fetch_into DIR URL: a fresh repository DIR fetches main from URL into
# refs/remotes/p/main; bounded by timeout 10 s (exit 124 when it hangs).
fetch_into() {
	rm -rf "$1" && git init -q "$1" &&
		timeout 10 git -C "$1" fetch -q "$2" +refs/heads/main:refs/remotes/p/main 2>"$T/err"
}

if [ -n "${GIT_DAEMON_PORT:-}" ]; then
	echo "== faults in front of git daemon"
	src=$base/proxy.git
	bare_repo "$src" >/dev/null
	git clone -q "file://$src" "$T/proxy-src" 2>/dev/null
	for i in 1 2 3; do commit "$T/proxy-src" "proxy $i"; done
	git -C "$T/proxy-src" push -q origin HEAD:main
	want=$(rev "$src" main)

	if start_fault_proxy pass 0 "$GIT_DAEMON_PORT" >/dev/null; then
		purl=git://127.0.0.1:$FAULT_PROXY_PORT/proxy.git
		check "pass: fetch through the proxy" fetch_into "$T/f" "$purl"
		check "pass: ...gets the commit" same "$(rev "$T/f" p/main)" "$want"
		sleep 0.2 # the proxy logs the connection when both ends have closed
		total=$(proxy_bytes "$FAULT_PROXY_LOG")
		echo "    a fetch moves ${total:-?} bytes (both directions)"
		stop_proxy
	else
		fail "the fault proxy starts"
	fi
	total=${total:-0}
	[ "$total" -gt 1000 ] || fail "pass: the proxy counted the fetch ($total bytes)"

	# Cut at bytes across the transfer, from nothing to near the end. Not to
	# the very end: the last bytes of a git:// fetch are the client's own
	# goodbye, which the fetch no longer needs, and a transfer's size varies by
	# a few dozen bytes from run to run (the server frames the pack in
	# pkt-lines as its reads return), so stop 512 bytes short. Each first fetch
	# fails, leaves no ref, and the retry (a new connection, which --once lets
	# through) works.
	cuts="0 1 60 $((total / 8)) $((total / 4)) $((total / 2)) $((total * 3 / 4)) $((total - 512))"
	for n in $cuts; do
		[ "$total" -gt 1000 ] || break
		start_fault_proxy --once cut "$n" "$GIT_DAEMON_PORT" >/dev/null || {
			fail "cut $n: proxy"
			continue
		}
		purl=git://127.0.0.1:$FAULT_PROXY_PORT/proxy.git
		if fetch_into "$T/f" "$purl"; then
			fail "cut $n: the fetch fails"
		elif [ -n "$(rev "$T/f" p/main)" ]; then
			fail "cut $n: the failed fetch left a ref"
		elif ! timeout 10 git -C "$T/f" fetch -q "$purl" +refs/heads/main:refs/remotes/p/main 2>"$T/err"; then
			fail "cut $n: the retry succeeds"
		elif ! same "$(rev "$T/f" p/main)" "$want"; then
			fail "cut $n: the retry gets the commit"
		else
			ok "cut $n of $total: the fetch fails, the retry gets the commit"
		fi
		stop_proxy
	done

	# Pushes cut across the transfer: the server's ref is the old or the new
	# commit, never anything else, and the retry leaves it at the new one.
	# The size of a push: one through a pass proxy to a copy of the server.
	git clone -q "file://$src" "$T/pusher" 2>/dev/null
	commit "$T/pusher" "measure"
	cp -a "$src" "$base/measure.git"
	start_fault_proxy pass 0 "$GIT_DAEMON_PORT" >/dev/null
	check "pass: push through the proxy" \
		g -C "$T/pusher" push -q "git://127.0.0.1:$FAULT_PROXY_PORT/measure.git" HEAD:main
	sleep 0.2
	ptotal=$(proxy_bytes "$FAULT_PROXY_LOG")
	echo "    a push moves ${ptotal:=0} bytes"
	stop_proxy
	for n in 0 $((ptotal / 8)) $((ptotal / 3)) $((ptotal / 2)) $((ptotal * 7 / 8)); do
		[ "$ptotal" -gt 1000 ] || break
		commit "$T/pusher" "push $n"
		new=$(rev "$T/pusher" HEAD)
		before=$(rev "$src" main)
		start_fault_proxy --once cut "$n" "$GIT_DAEMON_PORT" >/dev/null
		purl=git://127.0.0.1:$FAULT_PROXY_PORT/proxy.git
		if g -C "$T/pusher" push -q "$purl" HEAD:main; then
			fail "push cut at $n: the push fails"
		else
			now=$(rev "$src" main)
			if [ "$now" != "$before" ] && [ "$now" != "$new" ]; then
				fail "push cut at $n: the server's ref is $now, neither old nor new"
			elif ! g -C "$T/pusher" push -q "$purl" HEAD:main; then
				fail "push cut at $n: the retry succeeds"
			elif ! same "$(rev "$src" main)" "$new"; then
				fail "push cut at $n: the retry delivers the commit"
			else
				ok "push cut $n of $ptotal: fails, the server holds the old commit or the new, the retry delivers it"
			fi
		fi
		stop_proxy
	done
	check "the server's repository is sound after the cuts" g -C "$src" fsck --no-progress
	want=$(rev "$src" main)

	# A stall: the fetch hangs (git has no timeout of its own) until timeout
	# kills it; the retry through the same proxy gets the commit.
	start_fault_proxy --once stall $((total / 2)) "$GIT_DAEMON_PORT" >/dev/null
	purl=git://127.0.0.1:$FAULT_PROXY_PORT/proxy.git
	t0=$(date +%s)
	fetch_into "$T/f" "$purl"
	rc=$?
	t1=$(date +%s)
	check "stall: the fetch hangs until timeout kills it (exit $rc after $((t1 - t0)) s)" \
		test "$rc" -eq 124 -a $((t1 - t0)) -ge 9
	check "stall: ...leaving no ref" [ -z "$(rev "$T/f" p/main)" ]
	check "stall: the retry gets the commit" \
		timeout 10 git -C "$T/f" fetch -q "$purl" +refs/heads/main:refs/remotes/p/main
	check "stall: ...the right one" same "$(rev "$T/f" p/main)" "$want"
	sleep 0.2
	check "stall: the proxy saw the stalled client hang up" \
		grep -q 'hung up while stalled' "$FAULT_PROXY_LOG"
	stop_proxy
fi

# The same proxy in front of sshd and nginx: a cut, then a retry.
if [ -n "${SSH_PORT:-}" ]; then
	echo "== a cut in front of sshd and of nginx"
	start_fault_proxy --once cut 3000 "$SSH_PORT" >/dev/null
	ssh_known_hosts_add "$FAULT_PROXY_PORT"
	purl=ssh://$SSH_USER@127.0.0.1:$FAULT_PROXY_PORT$base/proxy.git
	check "ssh cut at 3000: the fetch fails" refuses '.' fetch_into "$T/f" "$purl"
	check "ssh: the retry gets the commit" \
		timeout 10 git -C "$T/f" fetch -q "$purl" +refs/heads/main:refs/remotes/p/main
	check "ssh: ...the right one" same "$(rev "$T/f" p/main)" "$want"
	stop_proxy
fi
if [ -n "${HTTP_PORT:-}" ]; then
	start_fault_proxy --once cut 3000 "$HTTP_PORT" >/dev/null
	purl=http://127.0.0.1:$FAULT_PROXY_PORT/proxy.git
	check "http cut at 3000: the fetch fails" refuses '.' fetch_into "$T/f" "$purl"
	check "http: the retry gets the commit" \
		timeout 10 git -C "$T/f" fetch -q "$purl" +refs/heads/main:refs/remotes/p/main
	check "http: ...the right one" same "$(rev "$T/f" p/main)" "$want"
	stop_proxy
fi

# ---------------------------------------------------------------- clean stop
echo "== stop"
stop_servers
left=$(servers_left)
check "every server and proxy has stopped${left:+ (left: $left)}" [ -z "$left" ]
echo "took $(($(date +%s) - start)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
