#!/usr/bin/env bash
# Searches the logs of this `make test` run's API servers (target/test-logs, written at debug
# level by the integration tests, the child servers of the fault tests and the browser tests)
# for secrets: whole API tokens, webhook signing secrets,
# JWTs (ours and the simulator's), the test client secret, passwords, and the query (code and
# state) of Microsoft's redirects to the portal. The logs must exist
# and show the work that handled such secrets, or the search proves nothing.
set -euo pipefail
shopt -s nullglob
logs=(target/test-logs/*.log)
if [ ${#logs[@]} -eq 0 ]; then
  echo "check-test-logs: no logs in target/test-logs (did the integration tests run?)" >&2
  exit 1
fi
for expected in "API token created" "signed in" "webhook" "password changed"; do
  if ! grep -qi -- "$expected" "${logs[@]}"; then
    echo "check-test-logs: no log line mentions '$expected': the logs are not what the search needs" >&2
    exit 1
  fi
done
found=0
check() {
  local what=$1 pattern=$2
  if grep -nE -- "$pattern" "${logs[@]}" | head -5 | grep .; then
    echo "check-test-logs: $what in the logs (above)" >&2
    found=1
  fi
}
check "a whole API token" 'tc_[A-Za-z0-9]{40}'
check "a webhook signing secret" 'whsec_[A-Za-z0-9+/=]{16,}'
check "a JWT" 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.'
check "the client secret" 'test-client-secret-0123456789'
check "a password" 'a long test password|demo-password'
check "a Microsoft redirect's query (its code and state)" '(sign-in|consent)-callback\?[^[]'
if [ "$found" -ne 0 ]; then
  exit 1
fi
echo "check-test-logs: $(cat "${logs[@]}" | wc -l) log lines of ${#logs[@]} test runs, no secret found"
