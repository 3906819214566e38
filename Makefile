# Tenant Connect. `make run` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/.tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

RELEASE_BIN := target/release/tenant-connect
BASE_URL ?= http://127.0.0.1:8080

.PHONY: run build web api test clear-test-log check-test-logs lint check-shared unit test-postgres fuzz validate-openapi e2e smoke bench openapi tools test-tools

## run: build everything and serve the portal on http://127.0.0.1:8080 with demo data
run: build
	DEMO_SEED=$${DEMO_SEED:-true} $(RELEASE_BIN)

## build: the web app (trunk) and the server (release)
build: web api

web: tools
	cd web && trunk build --release

api:
	cargo build --release -p tenant-connect

tools:
	scripts/ensure-tools.sh build

test-tools:
	scripts/ensure-tools.sh test

## test: formatting, lints, unit and integration tests on SQLite (and PostgreSQL when
## TEST_POSTGRES_URL is set), the OpenAPI checks, the wasm check and the browser tests
test: test-tools clear-test-log lint check-shared web unit test-postgres fuzz validate-openapi e2e check-test-logs
	@scripts/test-summary.sh

clear-test-log:
	@mkdir -p target && : > target/test-results.log && rm -rf target/test-logs

# The API servers' logs of this run (written by the integration and browser tests) hold no secret.
check-test-logs:
	scripts/check-test-logs.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p tenant-connect-web --target wasm32-unknown-unknown -- -D warnings

# The wire types compile to wasm and depend on neither actix nor diesel.
check-shared:
	cargo check -p tenant-connect-shared --target wasm32-unknown-unknown
	@if cargo tree -p tenant-connect-shared -e normal --features openapi | grep -qE '^.*(actix|diesel)'; then \
	  echo "shared depends on actix or diesel" >&2; exit 1; fi

unit:
	scripts/cargo-test.sh -p tenant-connect -p tenant-connect-shared -p ms-simulator --all-targets

test-postgres:
	@if [ -n "$${TEST_POSTGRES_URL:-}" ]; then \
	  echo "== integration tests on PostgreSQL ($${TEST_POSTGRES_URL%%@*}@...)"; \
	  TEST_BACKEND=postgres scripts/cargo-test.sh -p tenant-connect --test api; \
	else \
	  echo; echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!!  SKIPPED: the PostgreSQL integration tests (TEST_POSTGRES_URL is not set)."; \
	  echo "!!  .ci/run sets it; locally: TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres make test"; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; echo; \
	fi

## fuzz: schemathesis against a local debug server, as each role and an API token
## (scripts/fuzz-api.sh; FUZZ_EXAMPLES=N examples per operation, output in target/fuzz/)
fuzz:
	scripts/fuzz-api.sh

# An independent validator of the committed document (the drift test is in the API tests).
validate-openapi:
	.tools/venv/bin/openapi-spec-validator openapi/openapi.json

## e2e: browser tests in headless Chromium and the smoke suite, on a local server
e2e: web
	scripts/cargo-test.sh -p tenant-connect-e2e --all-targets

## smoke: the REST smoke suite against a deployment: make smoke BASE_URL=https://...
smoke:
	cargo run -q -p tenant-connect-e2e --bin smoke -- --base-url $(BASE_URL)

## openapi: rewrite openapi/openapi.json from the code
openapi:
	cargo run -q -p tenant-connect -- openapi > openapi/openapi.json

## bench: measure sizes, memory and latency; writes bench/RESULTS.md
bench: build
	scripts/ensure-tools.sh bench
	scripts/bench.sh
