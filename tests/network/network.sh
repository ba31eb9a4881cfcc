#!/usr/bin/env bash
# tests/network/network.sh - the network proof suite (docs/reliability.md):
# DESIGN.md promise 8 on bad networks. An establishment ("site") and a
# regional git server ("region": git daemon, sshd, nginx + git http-backend)
# live in two network namespaces joined by one link impaired like tc netem
# (netem itself where the kernel has sch_netem, else netwire, a userspace
# wire between two TAP devices: tests/network/netwire.c). For each impairment
# a device syncs a day's work through the link, retrying as cron would, a
# second device receives it through the same link, and the region checks it
# arrived exactly once; no sync may go silent past the stall limit; a link cut
# mid-transfer fails within the stall limit and the next sync after it is
# restored completes. Ends with a table of the figures.
#
#   scripts/proof.sh network [--long] [options]
#   bash tests/network/network.sh [--long] [--only REGEX] [--seed N]
#                                 [--stall S] [--repeats N] [--keep]
#
# Without --long: the short version CI runs (tests/network/test_network.sh).
#   --only REGEX   run only the scenarios whose name matches
#   --seed N       the wire's pseudo-random seed (default 7; repeats add 1)
#   --stall S      the devices' stall limit (default 10 s)
#   --repeats N    run each loss scenario N times with successive seeds (default 2)
#   --keep         keep the temporary folder (it is kept anyway on a failure)
# Needs root, network namespaces and /dev/net/tun; without them it fails.
set -u
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
long=0 repeats=2
while [ $# -gt 0 ]; do
	case $1 in
	--long) long=1 ;;
	--only) export NET_ONLY=$2; shift ;;
	--seed) export NET_SEED=$2; shift ;;
	--stall) export NET_STALL=$2; shift ;;
	--repeats) repeats=$2; shift ;;
	--keep) export WK_NET_KEEP=1 ;;
	-h | --help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "network.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
[ "$long" = 1 ] || exec bash "$here/test_network.sh"

# shellcheck source=tests/network/lib_network.sh
. "$here/lib_network.sh"
net_setup
seed0=${NET_SEED:-7}
started=$(date +%s)

# Loss, on each transport, repeated with other seeds.
for r in $(seq 1 "$repeats"); do
	NET_SEED=$((seed0 + r - 1))
	scenario "loss-5-r$r" git many:10 10 1 -- --loss 5
	scenario "loss-30-r$r" git small 12 0 -- --loss 30
done
NET_SEED=$seed0
scenario loss-5-ssh ssh small 10 1 -- --loss 5
scenario loss-5-http http small 10 1 -- --loss 5
scenario loss-10 git small 10 1 -- --loss 10
# Delay, jitter (frames overtake each other), reordering, duplication.
scenario delay-500-jitter git many:10 5 1 -- --delay 500 --jitter 100
scenario delay-500-jitter-http http small 5 1 -- --delay 500 --jitter 100
scenario reorder-25 git many:10 5 1 -- --delay 100 --reorder 25
scenario duplicate-10 git many:10 5 1 -- --duplicate 10
scenario mixed git small 10 1 -- --loss 2 --delay 200 --jitter 50 --duplicate 2 --reorder 5
# A 64 kbit/s link: many small changesets, then one large changeset (one git
# object of about 160 KB, some 20 s on this link: longer than the stall limit).
scenario rate-64kbit git many:10 5 1 -- --rate 64
scenario rate-64kbit-ssh ssh small 5 1 -- --rate 64
scenario rate-64kbit-one-big-changeset git big:20 5 1 -- --rate 64
# The link cut at several bytes of a push, during a fetch, and on a slow link.
for n in 1500 10000 30000 60000; do
	cut_scenario "cut-push-$n" git push "$n"
done
cut_scenario cut-fetch-30000 git fetch 30000
cut_scenario cut-push-http http push 30000
cut_scenario cut-push-64kbit git push 40000 --rate 64

print_table
echo "network suite: $(($(date +%s) - started)) s"
finish
