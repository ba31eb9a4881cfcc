#!/usr/bin/env bash
# bench/p4_ingest.sh - P4: the region's ingest of SITES establishments x N
# changesets (120 x 1,000; 12 x 100 with --quick), each changeset OPS field
# changes (3), against the raw signature checks and inserts of the same
# changesets: see bench/bench_ingest.c for what each side does.
#
# Set-up (untimed): a region with its bare regional repository; SITES
# establishments, each enrolled with one device; each device makes N
# changesets through the library (bench_gen changesets: edits, then the
# library's own sealing for the recipients its trust file names) and pushes
# them with `wicket sync`, one commit per changeset. The region's folder is
# saved before any pull; every round pulls into a fresh copy of it.
. "$(dirname "$0")/lib.sh"
CUR=p4
sites=${P4_SITES:-$(q 120 12)} n=${P4_N:-$(q 1000 100)} ops=3 rounds=${P4_ROUNDS:-$(q 3 3)}
d=$T/p4
mkdir -p "$d/sites"

log "P4: setting up $sites establishments x $n changesets"
region_new "$d/region" "$d/regional.git"
for ((i = 1; i <= sites; i++)); do
	s=$(printf 'S%03d' "$i")
	site_new "$d/region" "$d/sites/$s" "$s" d1
done
for ((i = 1; i <= sites; i++)); do
	s=$(printf 'S%03d' "$i")
	site_trust "$d/region" "$d/sites/$s" "file://$d/regional.git"
	"$BENCH_BIN/bench_gen" changesets "$d/sites/$s" "$n" "$ops"
	"$W" -C "$d/sites/$s" sync >>"$d/sites/$s.log" 2>&1 || { cat "$d/sites/$s.log" >&2; die "sync of $s failed"; }
	[ $((i % 20)) -ne 0 ] || log "P4: $i establishments pushed"
done
log "P4: the regional repository holds $(git --git-dir="$d/regional.git" rev-list --all --count) commits"

mkdir -p "$d/work"
"$BENCH_BIN/bench_ingest" "$W" "$d/region" "$d/sites" "$sites" "$rounds" "$d/work" >"$d/out" || die "bench_ingest failed"
section p4 "P4 - regional ingest of $sites establishments x $n changesets ($ops field changes each)"
grep -v '^{' "$d/out" >>"$BENCH_OUT/p4.md"
md ""
grep '^{' "$d/out" >"$BENCH_OUT/p4.json"
