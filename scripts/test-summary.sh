#!/usr/bin/env bash
# Adds up the `test result:` lines of this `make test` run.
set -euo pipefail
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "make test: %d passed, %d failed\n", p, f }' target/test-results.log
