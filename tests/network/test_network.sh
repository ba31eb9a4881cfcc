#!/usr/bin/env bash
# tests/network/test_network.sh - the network proof suite's short version, run
# in CI: an establishment ("site") and a regional git server ("region") in two
# network namespaces, joined by one impaired link (tc netem, or netwire where
# the kernel has no sch_netem): 5 % loss, 500 ms delay with jitter, a 64 kbit/s
# link (with a small changeset: see network.sh for a large one), and the link
# cut mid-transfer. Each time every change arrives at the
# region exactly once and no sync goes silent past the stall limit.
# The long version with every impairment: tests/network/network.sh --long.
# Needs root; without it, it fails and says so.
set -u
# shellcheck source=tests/network/lib_network.sh
. "$(dirname "$0")/lib_network.sh"
net_setup
scenario loss-5 git small 8 1 -- --loss 5
scenario delay-500-jitter git small 5 1 -- --delay 500 --jitter 100
scenario rate-64kbit git plan 5 1 -- --rate 64
cut_scenario cut-push git push 30000
print_table
finish
