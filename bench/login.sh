#!/usr/bin/env bash
# Log-in cost on this machine, against the release server with a throwaway
# database: one log-in at a time (≈ the argon2 hash time plus the request),
# then several at once (throughput, bounded by PASSWORD_HASH_CONCURRENCY).
# Each run is bounded in time and talks only to 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${APP_BIN:-${CARGO_TARGET_DIR:-target}/release/leptos_accounts}
duration=${BENCH_SECONDS:-10}
[ -x "$bin" ] || { echo "no server binary at $bin: run 'make build-release' first" >&2; exit 1; }
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

data=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
# The per-IP limit would stop a load test from one address within seconds.
LEPTOS_SITE_ADDR="127.0.0.1:$port" DATABASE_URL="sqlite://$data/bench.db" RUST_LOG=warn \
  AUTH_RATE_BURST=1000000 AUTH_RATE_PER_MINUTE=1000000 \
  MAIL_PER_NETWORK_PER_HOUR=1000000 MAIL_PER_HOUR=1000000 "$bin" &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$data"' EXIT

for _ in $(seq 100); do
  curl -fs "$base/healthz" >/dev/null && break
  sleep 0.1
done
curl -fs -o /dev/null -H 'accept: application/json' -H "origin: $base" \
  --data 'email=bench%40example.com&password=violet+kettle+marching+north' "$base/api/auth/signup"

export BENCH_ORIGIN="$base"

summary() {
  awk '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /non-200/ {bad=$3}
       END {printf "%-34s %8s req/s   p50 %8s   p99 %8s   non-200 %s\n", label, rps, p50, p99, bad}' label="$1"
}

echo "log-in benchmark: $duration s per run, $(nproc) CPUs"
wrk -t1 -c1 -d"${duration}s" --latency -s bench/login.lua "$base/api/auth/login" | summary "POST /api/auth/login, 1 at a time"
wrk -t2 -c8 -d"${duration}s" --latency -s bench/login.lua "$base/api/auth/login" | summary "POST /api/auth/login, 8 at once"
