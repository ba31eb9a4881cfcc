# tests/cli/lib.sh - the harness the command-line tests share: a temporary
# directory, counting passes and failures, and running wicket with its output
# captured. Source it as `. "$(dirname "$0")/lib.sh" NAME`; end with `finish`.
# shellcheck shell=bash disable=SC2034,SC2317

: "${WICKET:?set WICKET to the wicket binary}"
SRC=${WICKET_SOURCE_DIR:-$(pwd)}
SAMPLE_JSON=$SRC/samples/actionplan-omic-pre-release-2022.json
SAMPLE_CSV=$SRC/samples/actionplan-omic-pre-release-2022.csv

T=$(mktemp -d "${TMPDIR:-/tmp}/wk-cli-$1.XXXXXX") || exit 1

passed=0
failed=0
fail() {
	failed=$((failed + 1))
	echo "FAIL: $*"
}
# check DESCRIPTION COMMAND...: the command's success is the check.
check() {
	local desc=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		fail "$desc"
		show_last
	fi
}

# run ARGS...: run wicket, stdout in $OUT, stderr in $ERR, status in $rc.
rc=0
last_cmd=
OUT=$T/out
ERR=$T/err
run() {
	last_cmd="wicket $*"
	"$WICKET" "$@" >"$OUT" 2>"$ERR"
	rc=$?
}
show_last() {
	[ -n "$last_cmd" ] || return 0
	echo "    command: $last_cmd"
	echo "    exit status: $rc"
	head -c 600 "$OUT" | sed 's/^/    stdout: /'
	head -c 600 "$ERR" | sed 's/^/    stderr: /'
}

# The closing line ctest and people read; the exit status.
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
