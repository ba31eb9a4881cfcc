#!/usr/bin/env bash
# tests/secrets/test_secrets.sh - the secrets suite's short version, for CI:
# one session, its stores, repository, logs, bundles and live cores scanned for
# private key bytes (tests/secrets/secrets.sh; --long runs more rounds).
exec bash "$(dirname "$0")/secrets.sh"
