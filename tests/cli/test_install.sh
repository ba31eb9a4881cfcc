#!/usr/bin/env bash
# tests/cli/test_install.sh - wicket installed, and its two binaries.
#
# `wicket` leaves out the commands that talk to the regional repository or
# read bundles, so that an edit does not load libgit2 and libarchive; it hands
# those commands (and the full help) to `wicket-full`, installed in
# <prefix>/libexec/wicket/. This installs the build tree into a prefix and
# checks, as a user would meet it, with no WICKET_POLICY_DIR to help:
#   - every command's --help is the same through either binary;
#   - an edit, a sync to a file:// regional repository and a bundle work from
#     the installed `wicket`, and find the installed national policies;
#   - `wicket` alone, without wicket-full, says what is missing and what to do,
#     and still edits;
#   - `wicket` is not linked with libgit2 or libarchive (the point of the split).
#
# Runs from the source root with WICKET (the binary in the build tree) set (ctest does).
# shellcheck disable=SC2317 # helpers are called through check()
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh" install
trap '[ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

is_rc() { [ "$rc" -eq "$1" ]; }
err_has() { grep -qiF -- "$1" "$ERR"; }

BUILD=$(dirname "$WICKET")
P=$T/prefix
cmake --install "$BUILD" --prefix "$P" >"$T/install.log" 2>&1
check "cmake --install puts the build tree into a prefix" test -x "$P/bin/wicket"
check "wicket-full is installed in libexec/wicket" test -x "$P/libexec/wicket/wicket-full"
check "the national policies are installed" test -d "$P/share/wicket/policies"

# From here on, the installed binaries, finding their policies by themselves.
unset WICKET_POLICY_DIR
FULL=$P/libexec/wicket/wicket-full
WICKET=$P/bin/wicket

check "wicket is not linked with libgit2" sh -c "! ldd '$WICKET' | grep -q libgit2"
check "wicket is not linked with libarchive" sh -c "! ldd '$WICKET' | grep -q libarchive"
check "wicket-full is linked with libgit2" sh -c "ldd '$FULL' | grep -q libgit2"

# ---------------------------------------------------------------------------------------------
# The same help, whichever binary answers

run --help
check "wicket --help exits 0" is_rc 0
cp "$OUT" "$T/help.light"
"$FULL" --help >"$T/help.full"
check "wicket --help is wicket-full's" cmp -s "$T/help.light" "$T/help.full"
check "wicket --help lists sync (a wicket-full command)" grep -q '^  sync  ' "$T/help.light"
awk -F '  +' '/^commands:/ { on = 1; next } on && /^$/ { exit } on && NF > 1 { print $2 }' "$T/help.full" >"$T/commands"
n=$(wc -l <"$T/commands")
check "wicket-full lists its commands (found $n)" test "$n" -ge 40
same=0
while IFS= read -r cmd; do
	# shellcheck disable=SC2086 # the command's words are separate arguments
	"$WICKET" $cmd --help >"$T/a" 2>&1
	a=$?
	# shellcheck disable=SC2086
	"$FULL" $cmd --help >"$T/b" 2>&1
	b=$?
	if [ "$a" -eq "$b" ] && cmp -s "$T/a" "$T/b" && [ "$a" -eq 0 ]; then
		same=$((same + 1))
	else
		fail "wicket $cmd --help differs from wicket-full's (exit $a and $b)"
		diff "$T/a" "$T/b" | head -5
	fi
done <"$T/commands"
check "all $n commands' --help are the same through wicket and wicket-full ($same)" test "$same" -eq "$n"

for args in "nosuch" "region" "plan nosuch" ""; do
	# shellcheck disable=SC2086
	"$WICKET" $args >"$T/a" 2>&1
	a=$?
	# shellcheck disable=SC2086
	"$FULL" $args >"$T/b" 2>&1
	b=$?
	check "'wicket $args' answers as wicket-full does (exit $a, $b)" sh -c "[ $a -eq $b ] && [ $a -eq 2 ] && cmp -s '$T/a' '$T/b'"
done

# ---------------------------------------------------------------------------------------------
# An establishment and a region, from the installed binaries

export WICKET_PASSPHRASE=${WICKET_PASSPHRASE:-test passphrase} WICKET_KDF=${WICKET_KDF:-interactive}
run -C "$T/region0" region init --region YORKS --person "Pat Officer" --repo "ssh://host/regional.git" --unattended
check "region init --repo with a server's URL is a usage error" is_rc 2
check "... that says to make it on the server and use remote set" err_has "remote set"
check "... and makes nothing" test ! -e "$T/region0/.wicket/store.db"
run -C "$T/region" region init --region YORKS --person "Pat Officer" --repo "file://$T/regional.git"
check "region init --repo file://DIR (wicket-full, through wicket)" is_rc 0
check "... makes the regional repository in DIR" test -f "$T/regional.git/HEAD"
ROOT=$(grep -E '^[0-9a-f]{64}$' "$OUT")
S=$T/site
run -C "$S" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" --device d1
check "init" is_rc 0
run -C "$S" enrol request --region YORKS --out "$T/d1.req"
check "enrol request" is_rc 0
run -C "$T/region" region enrol "$T/d1.req"
check "region enrol" is_rc 0
run -C "$T/region" region publish
check "region publish" is_rc 0
"$WICKET" -C "$T/region" trust export "$T/trust" >/dev/null
run -C "$S" trust import "$T/trust" --root "$ROOT"
check "trust import" is_rc 0
run -C "$S" remote set "file://$T/regional.git"
check "remote set" is_rc 0
run -C "$S" plan create --edm OMU
check "plan create finds the installed national EDM" is_rc 0
run -C "$S" baseline set 2.4 --evidence "installed edit"
check "an edit from the installed wicket (rules evaluated)" is_rc 0
run -C "$S" baseline set 2.4 --status nosuchstatus
check "a bad edit is refused (exit 1 or 2)" sh -c "[ $rc -eq 1 ] || [ $rc -eq 2 ]"
run -C "$S" sync
check "sync from the installed wicket (wicket-full) exits 0" is_rc 0
run -C "$T/region" region pull
check "region pull exits 0" is_rc 0
run -C "$T/region" audit log --json
check "the region holds the installed wicket's edit" grep -q "installed edit" "$OUT"
run -C "$S" bundle export "$T/b.tar"
check "bundle export (libarchive, through wicket)" is_rc 0
run -C "$S" status --json
check "status --json is JSON from wicket-full" sh -c "sqlite3 :memory: \"SELECT json_valid(CAST(readfile('$OUT') AS TEXT))\" | grep -qx 1"

# ---------------------------------------------------------------------------------------------
# wicket without wicket-full: a clear error for what needs it, the rest still works

mkdir -p "$T/lonely/bin"
cp "$WICKET" "$T/lonely/bin/wicket"
cp -r "$P/share" "$T/lonely/share"
WICKET=$T/lonely/bin/wicket
run -C "$S" sync
check "sync without wicket-full fails with exit 1" is_rc 1
check "... naming wicket-full" err_has "cannot run wicket-full"
check "... and saying what to do" err_has "reinstall wicket"
run -C "$S" baseline set 2.4 --evidence "edited without wicket-full"
check "an edit still works without wicket-full" is_rc 0
run -C "$S" baseline show 2.4 --json
check "... and is held" grep -q "edited without wicket-full" "$OUT"
run --version
check "wicket --version works without wicket-full" is_rc 0

finish
