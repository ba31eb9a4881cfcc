#!/usr/bin/env bash
# tests/secrets/secrets.sh - after a session that loaded keys, no private key
# bytes are in the stores, the regional git repository, the logs, the bundles
# or a core file (DESIGN.md: secrets wiped after use; keys.h).
#
#   tests/secrets/secrets.sh [--long]
#
# A real session on a file:// regional repository, every command's stdout and
# stderr kept as logs: region init; an establishment device initialised with
# a passphrase, enrolled and trusting the region; a plan, the sample action
# plan and baseline edits; sync; the region pulls and publishes; a bundle
# exported and imported by a second device (--long: more rounds of edits,
# syncs and bundles). Then secretscan (tests/secrets/secretscan.c) opens every
# key file of the session with the library and the known passphrase and
# looks for each private key, raw, hex and base64, in:
#   - the stores (every file under each .wicket, the key files included:
#     at rest they hold the secrets only encrypted), and a copy of the
#     device's .wicket taken while a sync held the store open (its WAL);
#   - the regional repository: its files and every object decompressed
#     (git cat-file --batch-all-objects --batch);
#   - the logs and the bundle files;
#   - core files of live processes holding the keys, taken with gdb's gcore
#     (which leaves out what the kernel would: MADV_DONTDUMP mappings, where
#     sodium_malloc keeps the keys): the device's sync when it first signs,
#     the same process at _exit, and the region's pull when it opens a
#     sealed key. Each process is also checked for RLIMIT_CORE 0.
# The scan must be able to fail, and each run shows that it does: a leak
# planted in every form, the key memory dumped from a live process, and
# (outside ASan builds) a core that includes the MADV_DONTDUMP mappings are
# all found.
#
# Needs WICKET (the binary), and gdb for the cores; WICKET_SECRETS_KEEP=1 keeps
# the session's folder. Prints one line per
# check and "N passed, M failed"; exit status 1 on any failure.
set -u
long=0
case "${1:-}" in
  --long) long=1 ;;
  "") ;;
  -h|--help) sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "secrets.sh: unknown option '$1'" >&2; exit 2 ;;
esac
: "${WICKET:?set WICKET to the wicket binary}"
export WICKET_PASSPHRASE="${WICKET_PASSPHRASE:-test passphrase}" WICKET_KDF="${WICKET_KDF:-interactive}"
SRC=${WICKET_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export WICKET_POLICY_DIR="${WICKET_POLICY_DIR:-$SRC/policies}"
SCAN=$(dirname "$WICKET")/tests/secrets/secretscan
[ -x "$SCAN" ] || { echo "secrets.sh: $SCAN is not built (cmake --build builds it)" >&2; exit 2; }

T=$(mktemp -d "${TMPDIR:-/tmp}/wk-secrets.XXXXXX") || exit 2
# WICKET_SECRETS_KEEP=1 keeps the session's folder (its keys are test keys) to look at.
if [ "${WICKET_SECRETS_KEEP:-0}" = 1 ]; then echo "secrets: keeping $T"; else trap 'rm -rf "$T"' EXIT; fi
LOGS=$T/logs
mkdir -p "$LOGS" "$T/cores" "$T/planted"
REPO=$T/regional.git R=$T/region A=$T/lei-1 B=$T/lei-2

passed=0 failed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }
fail() { failed=$((failed + 1)); echo "FAIL: $*"; }

# w ARGS...: run wicket with its output appended to the session's logs; a failure is a failed check.
w() {
  echo "\$ wicket $*" >>"$LOGS/session.out"
  echo "\$ wicket $*" >>"$LOGS/session.err"
  "$WICKET" "$@" >>"$LOGS/session.out" 2>>"$LOGS/session.err" || { fail "wicket $* (exit $?)"; tail -3 "$LOGS/session.err"; }
}

# ---- the session -------------------------------------------------------------

t0=$(date +%s)
w -C "$R" region init --region YORKS --person "Pat Officer" --repo "$REPO"
ROOT=$(grep -E '^[0-9a-f]{64}$' "$LOGS/session.out" | head -1)
w -C "$A" init --site LEI --name "HMP Leeds" --category B --function reception --person "Sam Lee" --device d1
w -C "$B" init --join --site LEI --device d2 --person "Kim Roe"
for d in "$A" "$B"; do
  w -C "$d" enrol request --region YORKS --out "$d.req"
  w -C "$R" region enrol "$d.req"
done
w -C "$R" trust export "$T/trust.now"
for d in "$A" "$B"; do
  w -C "$d" trust import "$T/trust.now" --root "$ROOT"
  w -C "$d" keys show --json
done
w -C "$A" remote set "file://$REPO"
w -C "$R" region publish
w -C "$A" plan create --edm OMU
w -C "$A" actionplan import "$SRC/samples/actionplan-omic-pre-release-2022.json"
w -C "$A" baseline set 2.4 --status in_progress --owner "OASys Lead" --target 2027-01-31
w -C "$A" sync --json
w -C "$A" bundle export "$T/lei-1.bundle"
w -C "$B" bundle import "$T/lei-1.bundle"
w -C "$R" region pull
w -C "$R" audit verify
rounds=1
[ $long = 1 ] && rounds=25
for i in $(seq 1 "$rounds"); do
  w -C "$A" baseline set 1.1 --status met --evidence "round $i minutes"
  w -C "$A" action add --plan omu --baseline 1.2 --text "action of round $i" --owner "Head of OMU" --target 2027-03
  w -C "$A" sync
  w -C "$A" bundle export "$T/lei-1-$i.bundle" --since "$T/lei-1.bundle"
  w -C "$B" bundle import "$T/lei-1-$i.bundle"
  w -C "$R" region pull
done
w -C "$R" region publish
w -C "$B" quarantine --json
t1=$(date +%s)
echo "session: $(grep -c '^\$ wicket' "$LOGS/session.out") commands in $((t1 - t0)) s"

KEYS=()
while IFS= read -r k; do KEYS+=("$k"); done < <(find "$T" -name '*.key' -path '*/.wicket/*' | sort)
if [ ${#KEYS[@]} -ge 4 ]; then
  pass "the session made ${#KEYS[@]} key files (two devices, the region's device and root)"
else
  fail "the session made ${#KEYS[@]} key files; expected at least 4"
fi

# The scans are collected, then run at once (secretscan opens each key once: Argon2id is slow).
# scan WHAT PATH...: the check passes when no private key bytes are found.
# scan_finds WHAT PATH...: the check passes when they ARE found (the scan can fail).
groups=()
expect=()
scan() { expect+=("clean"); groups+=(--group "$1"); shift; groups+=("$@"); }
scan_finds() { expect+=("found"); groups+=(--group "$1"); shift; groups+=("$@"); }
run_scans() {
  local out line label i=0
  out=$("$SCAN" "${KEYS[@]}" -- "${groups[@]}" 2>&1)
  [ $? -le 1 ] || { fail "cannot scan: $out"; return; }
  while IFS= read -r line; do
    label=${line#group }
    label=${label%: *}
    case "${expect[$i]}:$line" in
      clean:*": clean ("*) pass "no private key bytes in $label (${line##*clean (}" ;;
      clean:*) fail "private key bytes in $label:"; grep -F "LEAK: $label:" <<<"$out" | head -10 | sed 's/^/    /' ;;
      found:*": FOUND ("*) pass "the scan finds $label (${line##*FOUND (}" ;;
      found:*) fail "the scan does not find $label" ;;
    esac
    i=$((i + 1))
  done < <(grep '^group ' <<<"$out")
  [ "$i" -eq "${#expect[@]}" ] || fail "secretscan reported $i groups of ${#expect[@]}"
}

# ---- cores of live processes ---------------------------------------------------

asan=0
if ldd "$WICKET" 2>/dev/null | grep -q libasan || nm "$WICKET" 2>/dev/null | grep -q __asan_init; then asan=1; fi

# snapshot NAME BREAKPOINT STORE WICKET-ARGS...: run wicket under gdb. At the first stop at
# BREAKPOINT (a function that takes the keys as k) snap/NAME/ gets: core (gcore, which like the
# kernel leaves out MADV_DONTDUMP mappings), limits (/proc/PID/limits), keymem (the secret memory
# k holds: a control) and outside ASan full (a core with the MADV_DONTDUMP mappings too: a
# control); a core is not taken when it would exceed WICKET_SECRETS_CORE_MAX_MIB (1024): an ASan
# process maps terabytes. When the process closes its store: store (a copy of the .wicket folder STORE, the WAL
# still there). At _exit: core-exit.
core_max=$(( ${WICKET_SECRETS_CORE_MAX_MIB:-1024} << 20 ))
snapshot() {
  local name=$1 bp=$2 store=$3 dir=$T/snap/$1
  shift 3
  mkdir -p "$dir"
  cat >"$T/snap/$name.gdb" <<GDB
set pagination off
set confirm off
set disable-randomization off
set breakpoint pending on
break $bp
run
python
import os, shutil
d = "$dir"
pid = gdb.selected_inferior().pid
limit = $core_max
# At most what gcore writes: every mapping but the MADV_DONTDUMP ones ("dd"); "full" adds those.
# No core at all of an ASan process, nor one over the limit or half the free space.
sizes = {"core": 0, "full": 0}
with open("/proc/%d/smaps" % pid) as f:
    size = 0
    for line in f:
        if line.startswith("Size:"):
            size = int(line.split()[1]) * 1024
        elif line.startswith("VmFlags:"):
            sizes["full"] += size
            if "dd" not in line.split()[1:]:
                sizes["core"] += size
st = os.statvfs(d)
room = min(limit, st.f_bavail * st.f_frsize // 2)
if $asan:
    room = -1
with open(d + "/sizes", "w") as o:
    o.write("%d %d\n" % (sizes["core"], sizes["full"]))
with open("/proc/%d/limits" % pid) as f, open(d + "/limits", "w") as o:
    o.write(f.read())
try:
    gdb.execute("dump binary memory " + d + "/keymem k->sec ((char *)k->sec + sizeof(*k->sec))")
except gdb.error as e:
    print("secrets: no key memory: %s" % e)
if sizes["core"] <= room:
    gdb.execute("gcore " + d + "/core", to_string=True)
if sizes["full"] <= room:
    gdb.execute("set dump-excluded-mappings on")
    gdb.execute("gcore " + d + "/full", to_string=True)
    gdb.execute("set dump-excluded-mappings off")
end
delete
break wk_store_close
continue
python
shutil.copytree("$store", "$dir/store")
end
delete
break _exit
continue
python
if sizes["core"] <= room:
    gdb.execute("gcore $dir/core-exit", to_string=True)
end
continue
GDB
  gdb -nx -batch -q -x "$T/snap/$name.gdb" --args "$WICKET" "$@" >"$LOGS/gdb-$name.log" 2>&1
}

if ! command -v gdb >/dev/null; then
  fail "gdb is not installed (scripts/setup.sh installs it): no core files taken"
else
  w -C "$A" baseline set 1.3 --status partly_met --owner "Head of OMU"
  t0=$(date +%s)
  snapshot sync wk_keys_sign "$A/.wicket" -C "$A" sync
  w -C "$A" baseline set 2.1 --status met --evidence "rota"
  w -C "$A" sync
  snapshot pull wk_keys_seal_open "$R/.wicket" -C "$R" region pull
  t1=$(date +%s)
  for n in sync pull; do
    d=$T/snap/$n
    if [ -s "$d/core" ] && [ -s "$d/core-exit" ]; then
      pass "gdb took cores of the $n while it held the keys and at its exit ($(( $(stat -c %s "$d/core") >> 20 )) MiB, $(( $(stat -c %s "$d/core-exit") >> 20 )) MiB)"
    elif [ $asan = 1 ]; then
      echo "note: no core of the $n: an ASan process maps $(( $(cut -d' ' -f1 "$d/sizes" 2>/dev/null || echo 0) >> 30 )) GiB; the cores are checked in a build without ASan"
    elif [ -s "$d/sizes" ] && [ "$(cut -d' ' -f1 "$d/sizes")" -gt "$core_max" ]; then
      fail "no core of the $n: it would be up to $(( $(cut -d' ' -f1 "$d/sizes") >> 20 )) MiB (WICKET_SECRETS_CORE_MAX_MIB)"
    else
      fail "no core of the $n (see below)"; tail -15 "$LOGS/gdb-$n.log" | sed 's/^/    /'
    fi
    if grep -qE '^Max core file size +0 +0 ' "$d/limits" 2>/dev/null; then
      pass "the $n runs with core dumps off (RLIMIT_CORE 0)"
    else
      fail "the $n may dump core: $(grep -i 'core' "$d/limits" 2>/dev/null)"
    fi
  done
  echo "cores: taken in $((t1 - t0)) s"
fi

# ---- the scans -------------------------------------------------------------------

stores=()
while IFS= read -r d; do stores+=("$d"); done < <(find "$T" -maxdepth 2 -type d -name .wicket | sort)
scan "the stores and key files (${#stores[@]} .wicket folders)" "${stores[@]}"
for n in sync pull; do
  if [ -s "$T/snap/$n/store/store.db-wal" ]; then
    scan "the store as the $n closed it (with its WAL, $(( $(stat -c %s "$T/snap/$n/store/store.db-wal") >> 10 )) KiB)" "$T/snap/$n/store"
  else
    fail "no copy of the store with its WAL taken as the $n closed it"
  fi
done
git --git-dir="$REPO" cat-file --batch-all-objects --batch >"$T/objects.txt" 2>"$LOGS/git.err"
if [ -s "$T/objects.txt" ]; then
  pass "the regional repository holds $(git --git-dir="$REPO" count-objects -v | sed -n 's/^in-pack: //p;s/^count: //p' | paste -sd+ | bc) objects"
  scan "the regional repository's objects, decompressed" "$T/objects.txt"
  scan "the regional repository's files" "$REPO"
else
  fail "the regional repository has no objects"
fi
bundles=("$T"/*.bundle)
scan "the logs" "$LOGS"
scan "the ${#bundles[@]} bundles" "${bundles[@]}"
for n in sync pull; do
  d=$T/snap/$n
  [ -s "$d/core" ] && scan "the core of the $n while it held the keys" "$d/core"
  [ -s "$d/core-exit" ] && scan "the core of the $n at its exit" "$d/core-exit"
done

# ---- the scan can fail -------------------------------------------------------------

for form in raw hex HEX base64 base64url; do
  cp "$LOGS/session.out" "$T/planted/session-$form.log"
  "$SCAN" --plant "$form" "$A/.wicket/device.key" >>"$T/planted/session-$form.log"
  scan_finds "a key planted in a log as $form" "$T/planted/session-$form.log"
done
for n in sync pull; do
  d=$T/snap/$n
  if [ -s "$d/keymem" ]; then
    scan_finds "the key memory of the $n dumped from the live process" "$d/keymem"
  else
    fail "no key memory dumped from the $n: $(grep 'no key memory' "$LOGS/gdb-$n.log")"
  fi
  if [ $asan = 0 ]; then
    if [ -s "$d/full" ]; then
      scan_finds "the keys in a core of the $n that includes the MADV_DONTDUMP mappings" "$d/full"
    else
      fail "no full core of the $n"
    fi
  fi
done
t0=$(date +%s)
run_scans
echo "scans: $(( $(date +%s) - t0 )) s"
[ $asan = 1 ] && echo "note: an ASan build: the cores are left to a build without ASan (an ASan process maps terabytes)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
