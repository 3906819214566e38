#!/usr/bin/env bash
# Installs the tools the build and the tests need, skipping each one already present.
# Only the package registries are reached (crates.io, npm, PyPI, Debian): nothing downloads
# a prebuilt binary of its own. Usage: scripts/ensure-tools.sh [build|test|bench]
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-build}"
TOOLS_DIR="$PWD/.tools"
TRUNK_VERSION=0.21.14
BINARYEN_VERSION=123
SCHEMATHESIS_VERSION=4.32.5
# wasm-bindgen-cli must equal the wasm-bindgen library in Cargo.lock.
WASM_BINDGEN_VERSION=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)

log() { printf '\033[1m[tools]\033[0m %s\n' "$*"; }

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v trunk >/dev/null || [ "$(trunk --version | awk '{print $2}')" != "$TRUNK_VERSION" ]; then
  log "installing trunk $TRUNK_VERSION (a few minutes, once)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

if ! command -v wasm-bindgen >/dev/null || [ "$(wasm-bindgen --version | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  # Not --locked: its own lockfile wants a crate version the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

if [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ]; then
  log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into .tools/"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund "binaryen@$BINARYEN_VERSION" >/dev/null
fi

if [ "$what" = test ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    log "installing Debian's chromium and chromium-driver"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
  if [ ! -x "$TOOLS_DIR/venv/bin/openapi-spec-validator" ]; then
    log "installing openapi-spec-validator (PyPI) into .tools/venv"
    python3 -m venv "$TOOLS_DIR/venv"
    "$TOOLS_DIR/venv/bin/pip" install -q openapi-spec-validator
  fi
  # The API fuzzer of `make fuzz` (scripts/fuzz-api.sh), at a pinned version.
  if [ "$("$TOOLS_DIR/venv/bin/schemathesis" --version 2>/dev/null | awk '{print $NF}')" != "$SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION (PyPI) into .tools/venv"
    [ -x "$TOOLS_DIR/venv/bin/python" ] || python3 -m venv "$TOOLS_DIR/venv"
    "$TOOLS_DIR/venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  # The independent verifier of our webhook signatures (scripts/verify_standard_webhook.py).
  if ! "$TOOLS_DIR/venv/bin/python" -c 'import standardwebhooks' 2>/dev/null; then
    log "installing standardwebhooks (PyPI) into .tools/venv"
    [ -x "$TOOLS_DIR/venv/bin/python" ] || python3 -m venv "$TOOLS_DIR/venv"
    "$TOOLS_DIR/venv/bin/pip" install -q standardwebhooks
  fi
fi

# `make bench`: Debian's wrk (the load generator of the REST reads) and chromium with its
# driver (the time to first render).
if [ "$what" = bench ]; then
  missing=()
  command -v wrk >/dev/null || missing+=(wrk)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian's ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
