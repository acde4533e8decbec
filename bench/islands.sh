#!/usr/bin/env bash
# Islands, measured (make bench): builds the islands version of /login
# (bench/login-islands: Leptos's islands mode and islands router, the form
# as the one island), serves it and the product on free loopback ports,
# and has Chromium load /login in each and navigate from / to /login
# (bench/islands.js). A measurement for a later decision, not a migration.
# Writes bench/results/islands.json.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${APP_BIN:?set APP_BIN to the release server binary}
target=${ISLANDS_TARGET:-${CARGO_TARGET_DIR:-target}/login-islands}
results=bench/results
mkdir -p "$results"
work=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

(cd bench/login-islands && CARGO_TARGET_DIR="$target" LEPTOS_OUTPUT_NAME=login_islands \
  cargo leptos build --release >"$work/build.log" 2>&1) || { cat "$work/build.log" >&2; exit 1; }

address() { # log file
  for _ in $(seq 200); do
    grep -o 'listening on http://[0-9.:]*' "$1" | head -1 | sed 's/listening on //' && return
    sleep 0.05
  done
  echo "server did not start:" >&2; cat "$1" >&2; exit 1
}
(cd bench/login-islands && LEPTOS_OUTPUT_NAME=login_islands LEPTOS_SITE_ROOT=target/site \
  LEPTOS_SITE_ADDR=127.0.0.1:0 exec "$target/release/login-islands") >"$work/islands.log" 2>&1 &
pids+=($!)
LEPTOS_SITE_ADDR=127.0.0.1:0 LEPTOS_ENV=PROD DATABASE_URL="sqlite://$work/product.db" \
  RUST_LOG=warn,leptos_accounts::server=info NO_COLOR=1 "$bin" >"$work/product.log" 2>&1 &
pids+=($!)
islands=$(address "$work/islands.log")
product=$(address "$work/product.log")
node bench/islands.js "$results/islands.json" "$product" "$islands"

# The framework's own cost per page, beside the product's: the islands
# server answers with Leptos alone (no middleware, no logging, no session
# lookup), the product with everything (logging off, as above). wrk runs
# alternate, three of each; the medians are printed and written beside
# the first-load figures.
if command -v wrk >/dev/null; then
  median() { sort -n | sed -n 2p; }
  rps() { wrk -t2 -c64 -d"${ISLANDS_SECONDS:-4}"s "$1" | awk '/Requests\/sec/ { print $2 }'; }
  leptos_runs=() product_runs=()
  for _ in 1 2 3; do
    leptos_runs+=("$(rps "$islands/")")
    product_runs+=("$(rps "$product/")")
  done
  leptos_rps=$(printf '%s\n' "${leptos_runs[@]}" | median)
  product_rps=$(printf '%s\n' "${product_runs[@]}" | median)
  printf 'GET / req/s (medians of 3): Leptos alone (islands page, %s B) %s, the product (%s B) %s\n' \
    "$(curl -fs "$islands/" | wc -c)" "$leptos_rps" "$(curl -fs "$product/" | wc -c)" "$product_rps"
  python3 - "$results/islands.json" "$leptos_rps" "$product_rps" <<'PY'
import json, sys
path, leptos, product = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
with open(path) as f:
    results = json.load(f)
results["get_home_requests_per_second"] = {"leptos_alone": leptos, "product": product}
with open(path, "w") as f:
    json.dump(results, f, indent=2)
PY
fi
