#!/usr/bin/env bash
# tests/cli/test_bad_input.sh - every bad input is refused the way a user needs it:
# exactly one line on stderr starting "wicket: " that names the field or the file's line,
# exit status 1, nothing on stdout, and the store exactly as it was (its sqlite3 .dump and its
# user_version/application_id before and after are equal).
#
# Bad values, bad import files, stores that are not ours or are too new, a read-only store,
# a full disk and a store locked by another process.
#
# Runs from the source root with WICKET (the binary) and WICKET_POLICY_DIR set (ctest does).
# The read-only and full-disk cases use `unshare -rm` (a user and mount namespace), which
# works for root and for other users; if it cannot be set up the case fails.
# shellcheck disable=SC2317 # helpers are called through check()
set -u

# shellcheck source=tests/cli/lib.sh
. "$(dirname "$0")/lib.sh" bad
CSV_HEADER='rec_number,addressee,recommendation,text_missing,response,reason_category,part_implemented,response_text,note,action,owner,target'

cleanup() {
	chmod -R u+w "$T" 2>/dev/null
	[ -n "${holder:-}" ] && kill "$holder" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# The store's content, as sqlite3 sees it.
snapshot() {
	sqlite3 "$1" .dump 2>&1
	sqlite3 "$1" 'PRAGMA user_version; PRAGMA application_id;' 2>&1
}

# check_error DESCRIPTION STATUS WORD...: the last run failed the way a user needs.
check_error() {
	local desc=$1 want=$2 w lines
	shift 2
	check "$desc: exit status $want" test "$rc" -eq "$want"
	lines=$(wc -l <"$ERR")
	check "$desc: exactly one line on stderr (got $lines)" test "$lines" -eq 1 -a "$(tail -c 1 "$ERR" | od -An -c | tr -d ' ')" = '\n'
	check "$desc: stderr starts 'wicket: '" test "$(head -c 8 "$ERR")" = "wicket: "
	for w in "$@"; do
		check "$desc: the message says '$w'" grep -qiF -- "$w" "$ERR"
	done
	check "$desc: nothing on stdout" test ! -s "$OUT"
}

# expect_fail DESCRIPTION STATUS WORD... -- ARGS...: run wicket on $STORE's site; it fails
# with one clear line and leaves $STORE exactly as it was.
expect_fail() {
	local desc=$1 want=$2 before
	local -a words=()
	shift 2
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		words+=("$1")
		shift
	done
	shift
	before=$(snapshot "$STORE")
	run "$@"
	check_error "$desc" "$want" "${words[@]}"
	check "$desc: the store is unchanged" test "$(snapshot "$STORE")" = "$before"
}

# fixture DESCRIPTION ORIGINAL DERIVED: a derived bad file must really differ from its original.
fixture() {
	if cmp -s "$2" "$3"; then
		fail "fixture '$1' was not made (sed did not match)"
		return 1
	fi
	return 0
}

# ---------------------------------------------------------------------------------------------
# a store with a plan, the sample action plan and one action

S=$T/site
STORE=$S/.wicket/store.db
"$WICKET" -C "$S" init --site LEI --name "HMP Leeds" --category B --function reception \
	--person "Pat Jones" >/dev/null 2>"$T/setup.err" &&
	"$WICKET" -C "$S" plan create --edm OMU >/dev/null 2>>"$T/setup.err" &&
	"$WICKET" -C "$S" actionplan import "$SAMPLE_JSON" >/dev/null 2>>"$T/setup.err" &&
	"$WICKET" -C "$S" action add --rec 2 --text "Brief the OMU on the review" --owner "Head of OMU" \
		--target 2027-01-31 >"$T/add.out" 2>>"$T/setup.err"
setup_rc=$?
check "setup: init, plan create, import, action add (stderr: $(cat "$T/setup.err"))" test "$setup_rc" -eq 0
ACTION=$(sed -n 's/^added action \([^ ]*\).*/\1/p' "$T/add.out")
check "setup: action add printed the action's id" test -n "$ACTION"

# ---------------------------------------------------------------------------------------------
# unknown records

expect_fail "unknown baseline" 1 9.9 -- -C "$S" baseline set 9.9 --status met
expect_fail "unknown recommendation" 1 recommendation 99 -- -C "$S" rec respond 99 --response agreed
expect_fail "unknown action (update)" 1 action nosuch-a9 -- -C "$S" action update nosuch-a9 --owner "Someone"
expect_fail "unknown action (complete)" 1 action nosuch-a9 -- -C "$S" action complete nosuch-a9
expect_fail "unknown action (progress)" 1 action nosuch-a9 -- -C "$S" action progress nosuch-a9 --text "x"
expect_fail "unknown plan" 1 plan nosuch -- -C "$S" baseline set 1.1 --status met --plan nosuch
expect_fail "unknown plan (submit)" 1 plan nosuch -- -C "$S" plan submit nosuch
expect_fail "unknown EDM in plan create" 1 XYZ -- -C "$S" plan create --edm XYZ --id xyz
expect_fail "unknown recommendation for a new action" 1 recommendation 99 -- \
	-C "$S" action add --rec 99 --text t --owner o --target 2027-01-01

# ---------------------------------------------------------------------------------------------
# bad values

expect_fail "invalid status" 1 status "done" -- -C "$S" baseline set 1.1 --status "done"
expect_fail "impossible date (baseline)" 1 target 2023-02-30 -- -C "$S" baseline set 1.1 --target 2023-02-30
expect_fail "date in the wrong form (baseline)" 1 target 31/12/2026 -- -C "$S" baseline set 1.1 --target 31/12/2026
expect_fail "impossible date (action add)" 1 target 2023-02-30 -- \
	-C "$S" action add --rec 2 --text t --owner o --target 2023-02-30
expect_fail "date in the wrong form (action update)" 1 target 31/12/2026 -- \
	-C "$S" action update "$ACTION" --target 31/12/2026 --reason "Slipped"
expect_fail "completion date in the future" 1 future 2099-01-01 -- \
	-C "$S" action complete "$ACTION" --date 2099-01-01
expect_fail "impossible completion date" 1 2026-02-30 -- -C "$S" action complete "$ACTION" --date 2026-02-30
expect_fail "revised target without --reason" 1 reason -- -C "$S" action update "$ACTION" --target 2028-01-31
expect_fail "partly_agreed without --reason" 1 partly_agreed reason -- \
	-C "$S" rec respond 2 --response partly_agreed --part "Part a"
expect_fail "partly_agreed without --part" 1 partly_agreed part -- \
	-C "$S" rec respond 2 --response partly_agreed --reason operational
expect_fail "not_agreed without --text" 1 not_agreed text -- \
	-C "$S" rec respond 2 --response not_agreed --reason policy
expect_fail "a response that is not one of the three" 1 agree -- -C "$S" rec respond 2 --response agree
expect_fail "a reason category that is not one of the four" 1 budget -- \
	-C "$S" rec respond 2 --response not_agreed --reason budget --text "No money"

# missing required fields
expect_fail "action add without --owner" 1 owner -- -C "$S" action add --rec 2 --text "Do it" --target 2027-01-01
expect_fail "action add without --target" 1 target -- -C "$S" action add --rec 2 --text "Do it" --owner "Head of OMU"
expect_fail "action add without --text" 1 text -- -C "$S" action add --rec 2 --owner "Head of OMU" --target 2027-01-01
expect_fail "action add with an empty --owner" 1 owner -- \
	-C "$S" action add --rec 2 --text "Do it" --owner "" --target 2027-01-01

# ---------------------------------------------------------------------------------------------
# malformed import files

# CSV: the header changed
sed '1s/,owner,/,owners,/' "$SAMPLE_CSV" >"$T/header.csv"
fixture "header.csv" "$SAMPLE_CSV" "$T/header.csv" &&
	expect_fail "CSV with a changed header" 1 "line 1" header -- \
		-C "$S" actionplan import "$T/header.csv" --inspection bad-csv --title "Bad CSV"
# CSV: a row with 11 fields
{
	echo "$CSV_HEADER"
	echo '1,HMPPS,Review the model,,agreed,,,,,Review it,Head of OMU,June 2023'
	echo '2,HMPPS,Train the staff,,agreed,,,,,Train them,Head of OMU'
} >"$T/fields11.csv"
expect_fail "CSV row with 11 fields" 1 "line 3" 12 -- \
	-C "$S" actionplan import "$T/fields11.csv" --inspection bad-csv --title "Bad CSV"
# CSV: a continuation row with recommendation columns filled
{
	echo "$CSV_HEADER"
	echo '1,HMPPS,Review the model,,agreed,,,,,Review it,Head of OMU,June 2023'
	echo ',,,,agreed,,,,,Review it again,Head of OMU,July 2023'
} >"$T/continuation.csv"
expect_fail "CSV continuation row with recommendation columns filled" 1 "line 3" continuation -- \
	-C "$S" actionplan import "$T/continuation.csv" --inspection bad-csv --title "Bad CSV"
# CSV: a bad target
{
	echo "$CSV_HEADER"
	echo '1,HMPPS,Review the model,,agreed,,,,,Review it,Head of OMU,Sept 2023'
} >"$T/target.csv"
expect_fail "CSV with target 'Sept 2023'" 1 "line 2" target "Sept 2023" -- \
	-C "$S" actionplan import "$T/target.csv" --inspection bad-csv --title "Bad CSV"

# JSON that is not JSON: a comma missing at the end of a line
n=$(grep -n -m1 -F '"number": "2",' "$SAMPLE_JSON" | cut -d: -f1)
sed "${n}s/\"2\",\$/\"2\"/" "$SAMPLE_JSON" >"$T/syntax.json"
fixture "syntax.json" "$SAMPLE_JSON" "$T/syntax.json" &&
	expect_fail "JSON that is not JSON (comma missing on line $n)" 1 "line $((n + 1))" column -- \
		-C "$S" actionplan import "$T/syntax.json"
printf '{"format": "wicket-actionplan",\n "format_version": 1,\n "inspection": {"id": "x",, }\n}\n' >"$T/syntax2.json"
expect_fail "JSON that is not JSON (double comma on line 3)" 1 "line 3" column -- \
	-C "$S" actionplan import "$T/syntax2.json"
# JSON with an unknown member
sed '0,/"title": "Offender/s//"titel": "Offender/' "$SAMPLE_JSON" >"$T/member.json"
fixture "member.json" "$SAMPLE_JSON" "$T/member.json" &&
	expect_fail "JSON with an unknown member" 1 titel -- -C "$S" actionplan import "$T/member.json"
# JSON with a wrong type
sed '0,/"number": "1"/s//"number": 1/' "$SAMPLE_JSON" >"$T/type.json"
fixture "type.json" "$SAMPLE_JSON" "$T/type.json" &&
	expect_fail "JSON with \"number\": 1" 1 "recommendations[0].number" string -- \
		-C "$S" actionplan import "$T/type.json"
# JSON with a bad response (the first "agreed" is recommendation 2's, index 1)
sed '0,/"response": "agreed"/s//"response": "agree"/' "$SAMPLE_JSON" >"$T/response.json"
fixture "response.json" "$SAMPLE_JSON" "$T/response.json" &&
	expect_fail "JSON with a bad response" 1 "recommendations[1].response" agree -- \
		-C "$S" actionplan import "$T/response.json"
# JSON with a bad target
sed '0,/"target": "June 2023"/s//"target": "Sept 2023"/' "$SAMPLE_JSON" >"$T/target.json"
fixture "target.json" "$SAMPLE_JSON" "$T/target.json" &&
	expect_fail "JSON with target 'Sept 2023'" 1 "recommendations[0].actions[0].target" "Sept 2023" -- \
		-C "$S" actionplan import "$T/target.json"
# Latin-1 bytes
n=$(grep -n -m1 -F 'Undertake a fundamental review' "$SAMPLE_JSON" | cut -d: -f1)
sed "${n}s/Undertake/Undert\\xe9ke/" "$SAMPLE_JSON" >"$T/latin1.json"
fixture "latin1.json" "$SAMPLE_JSON" "$T/latin1.json" &&
	expect_fail "Latin-1 bytes on line $n" 1 "line $n" UTF-8 -- -C "$S" actionplan import "$T/latin1.json"
n=$(grep -n -m1 -F "Ensure that there is a strong link" "$SAMPLE_CSV" | cut -d: -f1)
sed "${n}s/strong link/str\\xf6ng link/" "$SAMPLE_CSV" >"$T/latin1.csv"
fixture "latin1.csv" "$SAMPLE_CSV" "$T/latin1.csv" &&
	expect_fail "Latin-1 bytes in a CSV on line $n" 1 "line $n" UTF-8 -- \
		-C "$S" actionplan import "$T/latin1.csv" --inspection omic-pre-release-2022 --title "OMiC"
# a UTF-8 byte order mark
{
	printf '\xef\xbb\xbf'
	cat "$SAMPLE_JSON"
} >"$T/bom.json"
expect_fail "JSON starting with a BOM" 1 "byte order mark" -- -C "$S" actionplan import "$T/bom.json"
{
	printf '\xef\xbb\xbf'
	cat "$SAMPLE_CSV"
} >"$T/bom.csv"
expect_fail "CSV starting with a BOM" 1 "byte order mark" -- \
	-C "$S" actionplan import "$T/bom.csv" --inspection omic-pre-release-2022 --title "OMiC"
# a NUL byte
n=$(grep -n -m1 -F 'Undertake a fundamental review' "$SAMPLE_JSON" | cut -d: -f1)
sed "${n}s/Undertake/Under\\x00take/" "$SAMPLE_JSON" >"$T/nul.json"
fixture "nul.json" "$SAMPLE_JSON" "$T/nul.json" &&
	expect_fail "a NUL byte on line $n" 1 "line $n" NUL -- -C "$S" actionplan import "$T/nul.json"
# 50 MB of junk: refused by the size cap before parsing, quickly
head -c 50M /dev/urandom >"$T/junk.json"
t0=$(date +%s%N)
expect_fail "50 MB of junk" 1 limit 8388608 -- -C "$S" actionplan import "$T/junk.json"
ms=$((($(date +%s%N) - t0) / 1000000))
check "50 MB of junk is refused quickly (took $ms ms, including two store dumps)" test "$ms" -lt 3000
check "50 MB of junk: refused for its size, not parsed (no line number in the message)" \
	sh -c "! grep -q 'line [0-9]' '$ERR'"
# not a file
mkdir "$T/dir.json"
expect_fail "a directory given as the file" 1 dir.json "not a regular file" -- -C "$S" actionplan import "$T/dir.json"
expect_fail "a missing file" 1 missing.json "no such file" -- -C "$S" actionplan import "$T/missing.json"

# ---------------------------------------------------------------------------------------------
# stores that are not ours

mkdir -p "$T/random/.wicket"
head -c 65536 /dev/urandom >"$T/random/.wicket/store.db"
cp "$T/random/.wicket/store.db" "$T/random.orig"
STORE=$T/random/.wicket/store.db
expect_fail "a random file as the store (write)" 1 "not a wicket store" -- -C "$T/random" plan create --edm OMU
check "a random file as the store: the file is byte for byte unchanged" cmp -s "$T/random.orig" "$STORE"
expect_fail "a random file as the store (read)" 1 "not a wicket store" -- -C "$T/random" plan list

mkdir -p "$T/empty/.wicket"
: >"$T/empty/.wicket/store.db"
STORE=$T/empty/.wicket/store.db
expect_fail "an empty file as the store" 1 "not a wicket store" -- -C "$T/empty" plan create --edm OMU
check "an empty file as the store: it is still empty" test ! -s "$STORE"

mkdir -p "$T/other/.wicket"
STORE=$T/other/.wicket/store.db
sqlite3 "$STORE" "CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customer VALUES (1, 'Ada');"
cp "$STORE" "$T/other.orig"
expect_fail "another program's SQLite database (write)" 1 "not a wicket store" -- -C "$T/other" plan create --edm OMU
expect_fail "another program's SQLite database (read)" 1 "not a wicket store" -- -C "$T/other" plan list
check "another program's SQLite database: the file is byte for byte unchanged" cmp -s "$T/other.orig" "$STORE"

"$WICKET" -C "$T/newer" init --site LEI --name "HMP Leeds" --category B --function reception \
	--person "Pat Jones" >/dev/null 2>&1
STORE=$T/newer/.wicket/store.db
sqlite3 "$STORE" 'PRAGMA user_version=99'
expect_fail "a store with a newer schema (write)" 1 99 newer -- -C "$T/newer" plan create --edm OMU
expect_fail "a store with a newer schema (read)" 1 99 newer -- -C "$T/newer" plan list
check "a store with a newer schema keeps user_version 99" test "$(sqlite3 "$STORE" 'PRAGMA user_version')" = 99

# ---------------------------------------------------------------------------------------------
# a read-only store (chmod, and a read-only bind mount so that it holds for root too)

STORE=$S/.wicket/store.db
before=$(snapshot "$STORE")
mkdir "$T/ro"
cat >"$T/ro.sh" <<'EOF'
# in a user+mount namespace: make DIR/.wicket read-only, prove it, run wicket
set -u
dir=$1 res=$2
shift 2
mount --bind "$dir/.wicket" "$dir/.wicket" 2>"$res/setup" || exit 0
mount -o remount,bind,ro "$dir/.wicket" 2>"$res/setup" || exit 0
if touch "$dir/.wicket/probe" 2>/dev/null || (: >>"$dir/.wicket/store.db") 2>/dev/null; then
	echo "the store is still writable after the read-only mount" >"$res/setup"
	exit 0
fi
echo ok >"$res/setup"
"$@" >"$res/stdout" 2>"$res/stderr"
echo $? >"$res/rc"
EOF
chmod -R a-w "$S/.wicket"
unshare -rm bash "$T/ro.sh" "$S" "$T/ro" "$WICKET" -C "$S" baseline set 1.1 --status met --owner "Head of OMU" \
	>/dev/null 2>"$T/ro/unshare.err"
chmod -R u+w "$S/.wicket"
setup=$(cat "$T/ro/setup" 2>/dev/null || cat "$T/ro/unshare.err")
if [ "$setup" = ok ]; then
	passed=$((passed + 1))
	cp "$T/ro/stdout" "$OUT"
	cp "$T/ro/stderr" "$ERR"
	rc=$(cat "$T/ro/rc")
	last_cmd="(read-only store) wicket -C $S baseline set 1.1 --status met --owner 'Head of OMU'"
	check_error "a read-only store" 1 "read-only"
	check "a read-only store: the store is unchanged" test "$(snapshot "$STORE")" = "$before"
else
	fail "cannot make the store read-only with unshare -rm and a read-only bind mount: $setup"
fi

# ---------------------------------------------------------------------------------------------
# a full disk: a 1 MiB tmpfs, a store in it, a filler file; then the sample import

cat >"$T/full.sh" <<'EOF'
# in a user+mount namespace: a store on a small tmpfs, the disk filled, then a big write
set -u
mnt=$1 res=$2 wicket=$3 sample=$4 leave_kib=$5
snap() { sqlite3 "$mnt/s/.wicket/store.db" .dump 2>&1; sqlite3 "$mnt/s/.wicket/store.db" 'PRAGMA user_version; PRAGMA application_id;' 2>&1; }
mount -t tmpfs -o size=1m tmpfs "$mnt" 2>"$res/setup" || exit 0
"$wicket" -C "$mnt/s" init --site LEI --name "HMP Leeds" --category B --function reception \
	--person "Pat Jones" >/dev/null 2>"$res/setup" || exit 0
"$wicket" -C "$mnt/s" plan create --edm OMU >/dev/null 2>"$res/setup" || exit 0
snap >"$res/before.dump"
dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null
if [ "$leave_kib" -gt 0 ]; then
	truncate -s "-${leave_kib}K" "$mnt/filler"
elif dd if=/dev/zero of="$mnt/probe" bs=4k count=1 2>/dev/null; then
	echo "the tmpfs is not full after the filler" >"$res/setup"
	exit 0
fi
echo ok >"$res/setup"
"$wicket" -C "$mnt/s" actionplan import "$sample" >"$res/stdout" 2>"$res/stderr"
echo $? >"$res/rc"
rm -f "$mnt/filler" "$mnt/probe"
"$wicket" -C "$mnt/s" check >"$res/check.out" 2>&1
echo $? >"$res/check.rc"
snap >"$res/after.dump"
"$wicket" -C "$mnt/s" actionplan import "$sample" >"$res/import2.out" 2>&1
echo $? >"$res/import2.rc"
EOF

full_disk() { # DESCRIPTION KIB_LEFT
	local desc=$1 left=$2 res=$T/full-$2 setup
	mkdir -p "$res" "$T/mnt-$left"
	unshare -rm bash "$T/full.sh" "$T/mnt-$left" "$res" "$WICKET" "$SAMPLE_JSON" "$left" \
		>/dev/null 2>"$res/unshare.err"
	setup=$(cat "$res/setup" 2>/dev/null || cat "$res/unshare.err")
	if [ "$setup" != ok ]; then
		fail "$desc: cannot set up a full tmpfs with unshare -rm: $setup"
		return
	fi
	passed=$((passed + 1))
	cp "$res/stdout" "$OUT"
	cp "$res/stderr" "$ERR"
	rc=$(cat "$res/rc")
	last_cmd="($desc) wicket actionplan import $SAMPLE_JSON"
	check_error "$desc" 1 "full"
	last_cmd=
	check "$desc: after freeing space, wicket check is ok ($(cat "$res/check.out"))" \
		test "$(cat "$res/check.rc")" -eq 0
	check "$desc: the store is as it was before the import" cmp -s "$res/before.dump" "$res/after.dump"
	check "$desc: after freeing space, the import succeeds ($(cat "$res/import2.out"))" \
		test "$(cat "$res/import2.rc")" -eq 0
	check "$desc: the second import imports everything" grep -q '16 recommendations, 40 actions' "$res/import2.out"
}
full_disk "a full disk" 0
full_disk "a nearly full disk (64 KiB left)" 64

# A full disk under SQLite's temporary files (SQLITE_TMPDIR on a full tmpfs), the store on a disk
# with room: the import runs inside the policy guard's savepoint, whose journal spills to a
# temporary file. The message names the real failure (a full disk), not the guard's clean-up
# ("no such savepoint").
cat >"$T/tmpdir-fill.sh" <<'EOF'
set -u
tmp=$1 res=$2
shift 2
mount -t tmpfs -o size=64k tmpfs "$tmp" 2>"$res/setup" || exit 0
dd if=/dev/zero of="$tmp/filler" bs=4k 2>/dev/null
echo ok >"$res/setup"
SQLITE_TMPDIR=$tmp "$@" >"$res/stdout" 2>"$res/stderr"
echo $? >"$res/rc"
EOF
TS=$T/guarded res=$T/guard-res
mkdir -p "$res" "$T/guard-tmp"
"$WICKET" -C "$TS" init --site LEI --name "HMP Leeds" --category B --function reception --person "Pat Jones" >/dev/null &&
	"$WICKET" -C "$TS" plan create --edm OMU >/dev/null
before=$(snapshot "$TS/.wicket/store.db")
unshare -rm bash "$T/tmpdir-fill.sh" "$T/guard-tmp" "$res" "$WICKET" -C "$TS" actionplan import "$SAMPLE_JSON" \
	>/dev/null 2>"$res/unshare.err"
setup=$(cat "$res/setup" 2>/dev/null || cat "$res/unshare.err")
if [ "$setup" = ok ]; then
	passed=$((passed + 1))
	cp "$res/stdout" "$OUT"
	cp "$res/stderr" "$ERR"
	rc=$(cat "$res/rc")
	last_cmd="(SQLITE_TMPDIR on a full disk) wicket actionplan import $SAMPLE_JSON"
	check_error "a full disk under SQLite's temporary files" 1 "full"
	check "a full disk under SQLite's temporary files: the guard's clean-up does not hide it" \
		test "$(grep -c savepoint "$ERR")" -eq 0
	last_cmd=
	check "a full disk under SQLite's temporary files: the store is unchanged" \
		test "$(snapshot "$TS/.wicket/store.db")" = "$before"
	run -C "$TS" actionplan import "$SAMPLE_JSON"
	check "a full disk under SQLite's temporary files: with room, the import succeeds" test "$rc" -eq 0
else
	fail "a full disk under SQLite's temporary files: cannot set up a full tmpfs with unshare -rm: $setup"
fi

# ---------------------------------------------------------------------------------------------
# a store locked by another process

STORE=$S/.wicket/store.db
before=$(snapshot "$STORE")
printf 'BEGIN IMMEDIATE;\n.shell touch %s/locked; sleep 8\nROLLBACK;\n' "$T" | sqlite3 "$STORE" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 100); do
	[ -e "$T/locked" ] && break
	sleep 0.1
done
if [ -e "$T/locked" ]; then
	passed=$((passed + 1))
	t0=$(date +%s%N)
	run -C "$S" baseline set 1.1 --status met --owner "Head of OMU"
	ms=$((($(date +%s%N) - t0) / 1000000))
	check "a locked store: the lock was held throughout" kill -0 "$holder"
	check_error "a locked store" 1 "locked" "another process"
	check "a locked store: wicket gives up within 5 seconds (took $ms ms)" test "$ms" -lt 5000
else
	fail "a locked store: sqlite3 did not take the write lock"
fi
wait "$holder"
holder=
check "a locked store: the store is unchanged" test "$(snapshot "$STORE")" = "$before"
run -C "$S" baseline set 1.1 --status met --owner "Head of OMU"
check "a locked store: once the lock is gone the same write succeeds" test "$rc" -eq 0

finish
