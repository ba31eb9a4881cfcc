#!/usr/bin/env bash
# tests/proof/test_storage.sh - the short version of the storage proof, for
# CI: EIO and ENOSPC injected at chosen points of an edit, an import, a sync,
# a bundle import and a region pull, a full disk and a read-only folder
# (tests/proof/storage.sh says what each must do). The long version:
# scripts/proof.sh storage --long.
exec bash "$(dirname "$0")/storage.sh" "$@"
