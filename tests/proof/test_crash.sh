#!/usr/bin/env bash
# tests/proof/test_crash.sh - the short version of the crash proof, for CI:
# about 35 SIGKILLs at seeded points of a scenario and 4 at random moments of
# a sync, each followed by the recovery checks (tests/proof/crash.sh says
# which). The long version: scripts/proof.sh crash --long.
exec bash "$(dirname "$0")/crash.sh" "$@"
