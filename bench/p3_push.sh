#!/usr/bin/env bash
# bench/p3_push.sh - P3: pushing N pending changes (10,000; 500 with --quick)
# to a local bare repository:
#
#   wicket  `wicket sync` of N field changes left pending by the library
#           (bench_gen pending): it seals them into signed, encrypted
#           changesets, commits them to the device's ref and pushes them to
#           the regional repository (file://);
#   git     the git command line, one JSON file per change, each added and
#           committed with an SSH signature (commit.gpgsign, gpg.format=ssh),
#           then one `git push` to a bare repository: all of it timed, as
#           signing is git's sealing;
#   fossil  `fossil push` of N ticket changes (one field each, already made
#           and untimed) to a `fossil server` on 127.0.0.1 with a user and
#           password made here.
#
# Each round starts from the same saved state (the regional repository, the
# site, the fossil client and server restored from copies, untimed) and runs
# the three in turn; medians of ROUNDS rounds.
. "$(dirname "$0")/lib.sh"
CUR=p3
n=${P3_N:-$(q 10000 500)} rounds=${P3_ROUNDS:-$(q 3 3)}
d=$T/p3
mkdir -p "$d"

log "P3: setting up $n pending changes for wicket and fossil"
one_site "$d/base" LEI
"$BENCH_BIN/bench_gen" pending "$d/base/site" "$n"
[ "$(pending_ops "$d/base/site")" -eq "$n" ] || die "expected $n pending operations"
cp -a "$d/base/site" "$d/site0"
cp -a "$d/base/regional.git" "$d/repo0"

fossil_repo "$d/server.fossil"
fossil_serve "$d/server.fossil"
fossil clone "$FOSSIL_URL" "$d/client.fossil" >/dev/null 2>&1 || die "fossil clone failed"
fossil settings autosync off -R "$d/client.fossil"
cp "$d/server.fossil.ticket" "$d/client.fossil.ticket"
fossil_changes "$d/client.fossil" 1 "$n"
cp "$d/server.fossil" "$d/server0.fossil"
cp "$d/client.fossil" "$d/client0.fossil"
fossil_tickets() { fossil sql -R "$1" "SELECT count(*) FROM event WHERE type = 't';" | tr -d "'"; }
before=$(fossil_tickets "$d/server0.fossil")

git_round() {
	local g=$1 i
	for ((i = 1; i <= n; i++)); do git_change "$g" "$i" || return 1; done
	git -C "$g" push -q "$d/git-remote.git" main
}

wt=() ft=() gt=()
for ((r = 0; r < rounds; r++)); do
	log "P3: round $((r + 1)) of $rounds"
	rm -rf "$d/base/site" "$d/base/regional.git"
	cp -a "$d/site0" "$d/base/site"
	cp -a "$d/repo0" "$d/base/regional.git"
	timed wt "$W" -C "$d/base/site" sync
	[ "$(pending_ops "$d/base/site")" -eq 0 ] || die "wicket left changes pending"
	grep -q "sent" "$T/last.log" || die "wicket sync sent nothing: $(cat "$T/last.log")"

	cp "$d/client0.fossil" "$d/client.fossil"
	cp "$d/server0.fossil" "$d/server.tmp" && mv "$d/server.tmp" "$d/server.fossil"
	timed ft fossil push "$FOSSIL_URL" --once -R "$d/client.fossil"
	[ "$(fossil_tickets "$d/server.fossil")" -eq $((before + n)) ] || die "fossil did not push $n ticket changes"

	rm -rf "$d/git" "$d/git-remote.git"
	git init -q --bare "$d/git-remote.git"
	git_signing_repo "$d/git"
	timed gt git_round "$d/git"
	[ "$(git -C "$d/git-remote.git" rev-list --count main)" -eq "$n" ] || die "git did not push $n commits"
done
git -C "$d/git" cat-file commit HEAD | grep -q "BEGIN SSH SIGNATURE" || die "git commits are not signed"

w=$(printf '%s\n' "${wt[@]}" | median) f=$(printf '%s\n' "${ft[@]}" | median) g=$(printf '%s\n' "${gt[@]}" | median)
rg=$(div "$g" "$w" %.1f) rf=$(div "$f" "$w")
okg=$(holds "$rg >= 20") okf=$(holds "$rf >= 2")
section p3 "P3 - pushing $n pending changes to a local bare repository (median of $rounds interleaved rounds)"
md "| what | median (ms) | this / wicket | target | |"
md "| --- | --- | --- | --- | --- |"
md "| wicket sync: seal, commit, push (file://) | $w | 1.00x | | |"
md "| git: $n SSH-signed commits of one JSON file each, one push | $g | ${rg}x | >= 20x | $(verdict "$okg") |"
md "| fossil push of $n ticket changes to fossil server (loopback) | $f | ${rf}x | >= 2x | $(verdict "$okf") |"
md ""
json "{\"n\":$n,\"rounds\":$rounds,\"median_ms\":{\"wicket\":$w,\"git\":$g,\"fossil\":$f},\"peer_over_wicket\":{\"git\":$rg,\"fossil\":$rf},\"met\":{\"git_20x\":$(jb "$okg"),\"fossil_2x\":$(jb "$okf")}}"
