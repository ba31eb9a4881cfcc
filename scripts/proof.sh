#!/usr/bin/env bash
# The proof suite (docs/reliability.md): one command per suite, each proving
# DESIGN.md's promises under one kind of fault.
#
#   scripts/proof.sh SUITE [--long] [options of the suite]
#
# SUITE is one of: crash, storage, network, converge, fuzz, secrets, all.
# Without --long each suite runs its short version, as CI does through ctest;
# --long runs the version whose figures docs/reliability.md records.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

usage() {
  sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'
}
case "${1:-}" in
  -h|--help|"") usage; [ -n "${1:-}" ] && exit 0 || exit 2 ;;
esac
suite=$1; shift

declare -A script=(
  [crash]=tests/proof/crash.sh
  [storage]=tests/proof/storage.sh
  [network]=tests/network/network.sh
  [converge]=tests/converge/converge.sh
  [fuzz]=fuzz/fuzz.sh
  [secrets]=tests/secrets/secrets.sh
)

"$root/scripts/setup.sh"
if [ -z "${WICKET:-}" ]; then
  BUILD_DIR="$root/build" "$root/scripts/build.sh" -DWICKET_WERROR=ON -DWICKET_SANITIZE=OFF
  export WICKET="$root/build/wicket"
fi
export WICKET_SOURCE_DIR="$root" WICKET_POLICY_DIR="$root/policies"
export WICKET_PASSPHRASE="${WICKET_PASSPHRASE:-test passphrase}" WICKET_KDF="${WICKET_KDF:-interactive}"

run() {
  local s=$1; shift
  local f=$root/${script[$s]:-}
  [ -n "${script[$s]:-}" ] || { echo "proof: no suite named '$s' (see --help)" >&2; exit 2; }
  [ -f "$f" ] || { echo "proof: suite '$s' is not built yet ($f is missing)" >&2; exit 2; }
  echo "== proof: $s"
  bash "$f" "$@"
}

if [ "$suite" = all ]; then
  status=0
  for s in crash storage network converge secrets fuzz; do run "$s" "$@" || status=1; done
  exit $status
fi
run "$suite" "$@"
