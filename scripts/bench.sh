#!/usr/bin/env bash
# Measures what a buyer asks about: the web app's size and time to first render, the server's
# memory idle and under load, request latency and throughput, and the telephony work. Writes bench/RESULTS.md. Run by `make bench` after `make build`.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench
out=bench/RESULTS.md
data=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

wasm=$(ls web/dist/*_bg.wasm)
wasm_raw=$(stat -c %s "$wasm")
wasm_gz=$(gzip -9 -c "$wasm" | wc -c)

# TRUSTED_PROXIES=1: the sign-in flood below comes from many (forwarded) addresses. The app's
# simulated credentials are set here so that the simulator bench can read users as the app.
export MS_CLIENT_ID=7b1d3f0e-5c2a-4e8b-9a61-2f4c8d9e0a13
MS_CLIENT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(30))')
export MS_CLIENT_SECRET
DATA_DIR="$data" BIND_ADDR="127.0.0.1:$port" DEMO_SEED=true RUST_LOG=warn TRUSTED_PROXIES=1 \
  target/release/tenant-connect >"$data/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$data"' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1; done
sleep 2
rss_idle=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)

latency=$(python3 scripts/bench_http.py "http://127.0.0.1:$port")
rss_load=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
kill $pid 2>/dev/null || true
wait $pid 2>/dev/null || true

# REST reads at 64 connections with wrk, on SQLite and PostgreSQL, beside /healthz; two
# processes on one PostgreSQL. Then the web app's time to first render in headless Chromium.
reads=$(python3 scripts/bench_reads.py target/release/tenant-connect)
first_render=$(python3 scripts/bench_first_render.py target/release/tenant-connect)

# Telephony: each part starts servers of its own (SQLite, PostgreSQL when reachable) and runs
# the simulator as a process of its own for the 100,000-user sync. About 10 minutes.
cargo build --release -q -p ms-simulator
telephony=$(python3 scripts/bench_telephony.py target/release/tenant-connect target/release/ms-simulator)

{
  echo "# Benchmarks"
  echo
  echo "Measured by \`make bench\` on $(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo),"
  echo "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs). Release build, SQLite, one process (the telephony section names its own set-up)."
  echo
  echo "| what | value |"
  echo "|---|---|"
  echo "| web app wasm, after wasm-opt -Oz | $((wasm_raw / 1024)) KiB raw, $((wasm_gz / 1024)) KiB gzip -9 |"
  echo "| server memory, idle after start-up (RSS) | $((rss_idle / 1024)) MiB |"
  echo "| server memory after the runs below, incl. a 100,000-user simulated tenant (RSS) | $((rss_load / 1024)) MiB |"
  echo
  echo "$latency"
  echo
  echo "$first_render"
  echo
  echo "$reads"
  echo
  echo "Where a read's time goes, how it was profiled and what changed: bench/PROFILE.md."
  echo
  echo "$telephony"
} >"$out"
cat "$out"
