#!/usr/bin/env bash
# bench/p6_noop.sh - P6: a no-op `wicket sync` (nothing new on either side)
# against a history of SMALL and LARGE changesets (10,000 and 100,000; 1,000
# and 10,000 with --quick), with hyperfine.
#
# Two regions, each with its regional repository (file://) and one
# establishment with two devices. Device d2 makes SMALL, resp. LARGE,
# changesets (one field change each) through the library and puts them on
# the regional repository, one commit per changeset (bench_gen changesets,
# then bench_gen publish); device d1 receives them all with `wicket sync`
# (its store then holds that history, and the remote that many commits), and
# the figure is d1's next syncs, with nothing new. The no-op syncs at the
# two sizes alternate in interleaved rounds, with `git fetch` of a mirror of
# the large repository (nothing new either) as the git command line's
# figure. "No slower at LARGE than at SMALL" is read as: the median at LARGE
# is at most 10% above the median at SMALL (the noise of this machine).
#
# Then the same no-op sync after many syncs rather than a long history: one
# device makes SYNCS edits, each followed by a sync (300; 60 with --quick),
# as an establishment syncing every few minutes does in a day. Each sync
# that commits or fetches leaves a pack in the mirror and one in the
# regional repository, and libgit2 never repacks: wicket merges the smallest
# (sync/packs.h). The figure is that device's no-op sync against a copy of
# it whose mirror and regional repository `git repack -ad` made one pack
# each, in the same interleaved rounds: at most 1.10x.
. "$(dirname "$0")/lib.sh"
CUR=p6
small=$(q 10000 1000) large=$(q 100000 10000) rounds=$(q 5 3) runs=$(q 10 5) syncs=${P6_SYNCS:-$(q 300 60)}
d=$T/p6

history() {
	local b=$d/$1 n=$2 t0
	log "P6: a history of $n changesets"
	mkdir -p "$b"
	region_new "$b/region" "$b/regional.git"
	site_new "$b/region" "$b/d1" LEI d1
	"$W" -C "$b/d2" init --join --site LEI --device d2 --person "Kim Roe" --unattended >"$b/d2.log" 2>&1 &&
		"$W" -C "$b/d2" enrol request --region YORKS --out "$b/d2.req" >>"$b/d2.log" 2>&1 &&
		"$W" -C "$b/region" region enrol "$b/d2.req" >>"$b/d2.log" 2>&1 || { cat "$b/d2.log" >&2; die "cannot add d2"; }
	site_trust "$b/region" "$b/d1" "file://$b/regional.git"
	site_trust "$b/region" "$b/d2" "file://$b/regional.git"
	"$W" -C "$b/d1" sync >/dev/null 2>&1 && "$W" -C "$b/d2" sync >/dev/null 2>&1 || die "first syncs failed"
	"$BENCH_BIN/bench_gen" changesets "$b/d2" "$n" 1
	"$BENCH_BIN/bench_gen" publish "$b/d2" "file://$b/regional.git"
	t0=$(now_ns)
	"$W" -C "$b/d1" sync >"$b/receive.log" 2>&1 || { cat "$b/receive.log" >&2; die "d1 could not receive the history"; }
	printf '%s\n' "$(elapsed_ms "$t0")" >"$d/$1.receive-ms"
	grep -q "^synced: $n changesets received" "$b/receive.log" || die "d1 did not receive $n changesets: $(cat "$b/receive.log")"
	[ "$(git --git-dir="$b/regional.git" rev-list --count refs/heads/sites/LEI/d2)" -ge "$n" ] || die "the remote does not hold $n commits"
}
# many: one device, $syncs times an edit and a sync; repacked: a copy of it, git repack -ad in both repositories.
many() {
	local b=$d/many c=$d/repacked i
	log "P6: $syncs edits, each followed by a sync"
	mkdir -p "$b"
	region_new "$b/region" "$b/regional.git"
	site_new "$b/region" "$b/d1" LEI d1
	site_trust "$b/region" "$b/d1" "file://$b/regional.git"
	for ((i = 1; i <= syncs; i++)); do
		"$W" -C "$b/d1" baseline set 2.4 --status in_progress --owner "Owner $i" >/dev/null 2>"$b/edit.err" &&
			"$W" -C "$b/d1" sync >/dev/null 2>"$b/sync.err" || die "edit and sync $i failed: $(cat "$b"/*.err)"
		[ ! -s "$b/sync.err" ] || die "sync $i warned: $(cat "$b/sync.err")"
	done
	cp -a "$b" "$c"
	"$W" -C "$c/d1" remote set "file://$c/regional.git" >/dev/null || die "cannot point the copy at its repository"
	git --git-dir="$c/d1/.wicket/git" repack -adq && git --git-dir="$c/regional.git" repack -adq || die "git repack failed"
	for r in "$b/d1/.wicket/git" "$b/regional.git"; do
		find "$r/objects/pack" -name 'pack-*.idx' | wc -l
	done | paste -sd ' ' >"$d/many.packs"
}
history small "$small"
history large "$large"
many
git clone -q --mirror "$d/large/regional.git" "$d/mirror.git"

for ((r = 0; r < rounds; r++)); do
	hyperfine -N --style none --warmup 1 --runs "$runs" --export-json "$d/round$r.json" \
		-n small "$W -C $d/small/d1 sync" -n large "$W -C $d/large/d1 sync" \
		-n git "git --git-dir=$d/mirror.git fetch -q" \
		-n many "$W -C $d/many/d1 sync" -n repacked "$W -C $d/repacked/d1 sync" \
		>/dev/null 2>"$d/hf.err" || { cat "$d/hf.err" >&2; die "hyperfine failed"; }
done
for k in large many repacked; do
	"$W" -C "$d/$k/d1" sync | grep -q "0 changesets received (0 already held, 0 refused), 0 sealed, 0 sent" ||
		die "the no-op sync ($k) was not a no-op"
done

declare -A ms
for k in small large git many repacked; do
	ms[$k]=$(jq -r --arg n "$k" '.results[] | select(.command == $n) | .times[]' "$d"/round*.json |
		awk '{ printf "%.3f\n", $1 * 1000 }' | median)
done
rl=$(div "${ms[large]}" "${ms[small]}") rg=$(div "${ms[large]}" "${ms[git]}")
ok50=$(holds "${ms[large]} <= 50") okflat=$(holds "$rl <= 1.10")
section p6 "P6 - no-op sync against a long history (median of $((rounds * runs)) runs in $rounds interleaved rounds)"
md "| history | wicket sync (ms) | target | |"
md "| --- | --- | --- | --- |"
md "| $small changesets | ${ms[small]} | | |"
md "| $large changesets | ${ms[large]} | <= 50 ms | $(verdict "$ok50") |"
md "| $large / $small | ${rl}x | <= 1.10x (no slower) | $(verdict "$okflat") |"
md "| git fetch, nothing new, $large commits | ${ms[git]} (wicket / git ${rg}x) | | |"
rm_=$(div "${ms[many]}" "${ms[repacked]}") okmany=$(holds "$(div "${ms[many]}" "${ms[repacked]}" %.4f) <= 1.10")
read -r packs_mirror packs_regional <"$d/many.packs"
md ""
md "| after $syncs edits, each synced | wicket sync (ms) | target | |"
md "| --- | --- | --- | --- |"
md "| as wicket leaves it: $packs_mirror packs in the mirror, $packs_regional in the regional repository | ${ms[many]} | | |"
md "| a copy, both repositories repacked by \`git repack -ad\` (one pack each) | ${ms[repacked]} | | |"
md "| as left / repacked | ${rm_}x | <= 1.10x | $(verdict "$okmany") |"
rs=$(cat "$d/small.receive-ms") rl_ms=$(cat "$d/large.receive-ms")
md ""
md "Receiving the history (once, untimed by the target): $small changesets in $(div "$rs" 1000 %.1f) s, $large in $(div "$rl_ms" 1000 %.1f) s ($(div "$large" "$(div "$rl_ms" 1000 %.3f)" %.0f) changesets/s)."
md ""
json "{\"receive_ms\":{\"small\":$rs,\"large\":$rl_ms},\"small\":$small,\"large\":$large,\"rounds\":$rounds,\"runs\":$runs,\"median_ms\":{\"small\":${ms[small]},\"large\":${ms[large]},\"git_fetch\":${ms[git]}},\"large_over_small\":$rl,\"many_syncs\":{\"syncs\":$syncs,\"packs\":{\"mirror\":$packs_mirror,\"regional\":$packs_regional},\"median_ms\":{\"as_left\":${ms[many]},\"repacked\":${ms[repacked]}},\"ratio\":$rm_},\"met\":{\"at_most_50ms\":$(jb "$ok50"),\"no_slower\":$(jb "$okflat"),\"many_syncs_within_1_10x_repacked\":$(jb "$okmany")}}"
