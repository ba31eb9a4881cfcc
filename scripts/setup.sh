#!/usr/bin/env bash
# Install what wicket needs to build, test and run, from Debian's packages.
# Safe to run again: it installs only what is missing. Needs root (or sudo).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libsqlite3-dev sqlite3 libgit2-dev libarchive-dev libsodium-dev liblua5.4-dev libjansson-dev zlib1g-dev libssl-dev
  # the sync tests start their own git servers on loopback (tests/sync/servers.sh)
  openssh-server openssh-client nginx fcgiwrap procps
  # the proof suite: libFuzzer (clang), network namespaces and links, core dumps, memory peaks
  clang libclang-rt-14-dev iproute2 gdb time
  # the benchmarks' peers (bench/)
  fossil hyperfine
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Installing sshd and nginx must not start system services (ports 22 and 80): the tests run
# their own on loopback. policy-rc.d tells Debian's maintainer scripts not to start them.
guard=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  guard=1
fi
status=0
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
[ -z "$guard" ] || $SUDO rm -f /usr/sbin/policy-rc.d
exit $status
