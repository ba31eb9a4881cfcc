#!/usr/bin/env bash
# tests/converge/converge.sh - convergence at scale (scripts/proof.sh converge):
# a seeded simulation of establishments' devices and the region's replicas
# writing concurrently over a network that reorders, duplicates and cuts
# replicas off, checked against an oracle (tests/converge/sim.h).
#
#   converge.sh            the short version: 3 sites x 2 devices + region, 3 seeds
#   converge.sh --long     20 replicas (4 sites x 4 devices + 4 region replicas), 100,000 writes
#   converge.sh --long --seed N   another seed
set -euo pipefail
: "${WICKET:?set WICKET to the wicket binary (scripts/proof.sh does)}"
bin=$(dirname "$WICKET")/tests/converge/converge
[ -x "$bin" ] || { echo "converge: $bin is not built; run scripts/build.sh" >&2; exit 2; }
long=0 seed=1
while [ $# -gt 0 ]; do
  case $1 in
    --long) long=1 ;;
    --seed) seed=$2; shift ;;
    *) echo "converge: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ "$long" = 1 ]; then
  exec "$bin" --sites 4 --devices 4 --ops 100000 --seed "$seed" --verbose
fi
for s in 1 2 20261122; do "$bin" --sites 3 --devices 2 --ops 600 --seed "$s"; done
