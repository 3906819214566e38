#!/usr/bin/env bash
# Fuzzes the documented API with schemathesis (PyPI, in .tools/venv): the debug server on a free
# loopback port with a fresh DATA_DIR and the demo data, then one run per principal: the demo's
# viewer, staff and admin (sessions) and an admin-role API token created through the API. Every
# check is on: no 5xx, every status code and body as documented, schema-valid input accepted,
# schema-invalid input refused, 405 with `Allow` for a method a path does not take.
# Any failure fails the step. Output: target/fuzz/ (a log and a JUnit report per principal,
# the server's error log, the schemathesis configuration); the runs' own output is also
# printed, for CI's log. Run by `make fuzz`, and by `make test` after the integration tests.
#
# Not fuzzed, because they would end the run itself rather than test anything:
#   POST /api/v1/auth/logout, POST /api/v1/auth/logout-everywhere: they end the caller's
#     session, and every later request of the run would be 401;
#   POST /api/v1/me/password: a success ends the caller's sessions, and the failures count as
#     failed sign-ins for the throttle;
#   DELETE /api/v1/members/{id}, in the admin's run only: schemathesis reuses the ids that
#     lists answer, so after making another member admin it may remove the caller itself.
#     (The other principals' runs, which come first, still fuzz it: they are refused.)
# Revoking an API token is fuzzed: an API token may not revoke one, so the token's own run
# cannot revoke itself, and the admin's run, which may revoke it, comes after it.
#
# The request rate limits and the invitation limit are off (RATE_LIMIT_*_PER_MINUTE=0,
# INVITES_PER_HOUR=0): every run is one principal sending thousands of writes on purpose.
#
# Nothing leaves the machine: the server runs the built-in Microsoft simulator (simulated mode,
# on this same loopback listener) and delivers no webhooks (WEBHOOK_WORKERS=0), so endpoints
# schemathesis registers at made-up https URLs are never called; schemathesis follows no
# redirect (the sign-in callbacks answer 303 to Microsoft's pages).
#
# FUZZ_EXAMPLES sets the examples per operation (default 100: the four runs take about two and
# a half minutes on 2 cores); FUZZ_SEED the seed (default 1, so that a run can be repeated; the
# stateful phase still follows what the server answers, ids included).
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES="${FUZZ_EXAMPLES:-100}"
SEED="${FUZZ_SEED:-1}"
SCHEMATHESIS=.tools/venv/bin/schemathesis
OUT=target/fuzz
[ -x "$SCHEMATHESIS" ] || { echo "fuzz: $SCHEMATHESIS is missing: run scripts/ensure-tools.sh test" >&2; exit 1; }

started=$(date +%s)
cargo build -q -p tenant-connect
rm -rf "$OUT" && mkdir -p "$OUT"
# Everything here talks to this loopback server only: never through a proxy, with the tokens.
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# Whatever the environment says, a throw-away SQLite database and the built-in simulator; the log
# keeps errors only (the cause of any 5xx), not a line per refused request.
env -u DATABASE_URL -u JWT_SECRET -u PUBLIC_URL -u MS_LOGIN_URL -u MS_GRAPH_URL -u METRICS_ADDR \
  -u TRUSTED_PROXIES \
  DATA_DIR="$data" DATABASE_URL="sqlite://$data/fuzz.db" BIND_ADDR="127.0.0.1:$port" \
  MICROSOFT_MODE=simulated DEMO_SEED=true WEBHOOK_WORKERS=0 RUST_LOG=error \
  RATE_LIMIT_WRITES_PER_MINUTE=0 RATE_LIMIT_READS_PER_MINUTE=0 INVITES_PER_HOUR=0 \
  target/debug/tenant-connect >"$OUT/server.log" 2>&1 &
server=$!
stop() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap stop EXIT
trap 'exit 143' INT TERM
for _ in $(seq 300); do
  curl -sf "$base/readyz" >/dev/null && break
  kill -0 "$server" 2>/dev/null || { echo "fuzz: the server did not start; see $OUT/server.log" >&2; tail -20 "$OUT/server.log" >&2; exit 1; }
  sleep 0.2
done
curl -sf "$base/readyz" >/dev/null || { echo "fuzz: the server did not become ready in 60 s" >&2; exit 1; }

# POST a JSON body, print one field of the JSON answer.
post() { # path token body field
  python3 - "$base$1" "$2" "$3" "$4" <<'PY'
import json, sys, urllib.request
url, token, body, field = sys.argv[1:]
req = urllib.request.Request(url, data=body.encode(), method="POST",
                             headers={"Content-Type": "application/json"})
if token:
    req.add_header("Authorization", f"Bearer {token}")
with urllib.request.urlopen(req, timeout=30) as r:
    print(json.load(r)[field])
PY
}
login() { post /api/v1/auth/login "" "{\"email\":\"$1\",\"password\":\"${DEMO_PASSWORD:-demo-password}\"}" access_token; }

admin=$(login admin@contoso.example)
staff=$(login staff@contoso.example)
viewer=$(login viewer@contoso.example)
api_token=$(post /api/v1/api-tokens "$admin" '{"name":"schemathesis","role":"admin"}' secret)

# What no schema can state, as configuration (written here so that it is read with the rest):
# - A body over the size limit is refused with 413: a refusal of schema-violating input too.
# - `cursor` is opaque: only a `next` a list gave out is valid; any other is refused (400), and
#   a generated one always is. The runs send one of the lists' shape (two sort values; one for
#   numbers), starting at the beginning.
# - Schema-valid input that a rule outside any schema refuses, as each operation's description
#   says: 422 is an acceptable answer to it there (and only there; every other check still
#   applies): an API token's expiry in the past; an audit filter with `from` after `to`; a
#   number not valid in its country's numbering plan (audit filter, loads, phone service); a
#   number search `q` over 40 bytes (the document counts characters); a load naming both or
#   neither of a range and a list; a preview's user list that is blank once trimmed; a voice
#   profile naming a policy Teams does not have.
cursor() { python3 -c 'import base64,json,sys; print(base64.urlsafe_b64encode(json.dumps(sys.argv[1:],separators=(",",":")).encode()).decode().rstrip("="))' "$@"; }
accepted='["2xx", "3xx", "401", "403", "404", "409", "422", "429"]'
cat >"$OUT/schemathesis.toml" <<TOML
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]

[parameters]
"query.cursor" = "$(cursor 2000-01-01T00:00:00.000000 00000000-0000-0000-0000-000000000000)"

[[operations]]
include-operation-id = "list_numbers"
parameters = { "query.cursor" = "$(cursor +10000000000)" }
checks.positive_data_acceptance.expected-statuses = $accepted

[[operations]]
include-operation-id = ["create_api_token", "list_audit_events", "load_numbers", "add_phone_service", "preview_phone_service", "create_voice_profile", "update_voice_profile"]
checks.positive_data_acceptance.expected-statuses = $accepted
TOML

failed=()
# The admin's run last: it may change the others' roles, remove them, or revoke the token.
for principal in viewer staff api-token admin; do
  case $principal in
    viewer) token=$viewer ;;
    staff) token=$staff ;;
    api-token) token=$api_token ;;
    admin) token=$admin ;;
  esac
  exclude=(--exclude-operation-id logout --exclude-operation-id logout_everywhere
           --exclude-operation-id change_password)
  if [ "$principal" = admin ]; then
    exclude+=(--exclude-operation-id remove_member)
  fi
  echo "== fuzz: schemathesis as $principal, $EXAMPLES examples per operation"
  t0=$(date +%s)
  if "$SCHEMATHESIS" --config-file "$OUT/schemathesis.toml" run "$base/api/openapi.json" \
      --header "Authorization: Bearer $token" \
      --checks all \
      --max-examples "$EXAMPLES" \
      --seed "$SEED" \
      --max-redirects 0 \
      --request-timeout 30 \
      --workers 1 \
      --generation-database none \
      --no-color \
      "${exclude[@]}" \
      --report junit --report-junit-path "$OUT/$principal.junit.xml" \
      2>&1 | tee "$OUT/$principal.log"; then
    echo "== fuzz: $principal passed in $(($(date +%s) - t0)) s"
  else
    echo "== fuzz: $principal FAILED in $(($(date +%s) - t0)) s (see $OUT/$principal.log)"
    failed+=("$principal")
  fi
done

echo "== fuzz: $(($(date +%s) - started)) s in all; logs and reports in $OUT/"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures as: ${failed[*]}" >&2
  exit 1
fi
