#!/usr/bin/env bash
# `cargo test` that also appends its output to target/test-results.log, so that `make test`
# can close with one line counting every test of every run (scripts/test-summary.sh).
set -euo pipefail
mkdir -p target
cargo test "$@" 2>&1 | tee -a target/test-results.log
