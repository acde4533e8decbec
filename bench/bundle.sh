#!/usr/bin/env bash
# Bundle sizes (make bench): every file of the release build's browser
# bundle, raw, gzip and brotli, beside the floor — the smallest Leptos app
# with a router and one server function behind a form (bench/floor), built
# with the product's WASM profile and the same wasm-bindgen and wasm-opt
# steps. Writes bench/results/bundle.json.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${APP_BIN:?set APP_BIN to the release server binary (hash.txt lies beside it)}
site_root=${APP_SITE_ROOT:-target/site}
floor_target=${FLOOR_TARGET:-${CARGO_TARGET_DIR:-target}/floor}
results=bench/results
mkdir -p "$results"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

CARGO_TARGET_DIR="$floor_target" cargo build --locked --release --quiet \
  --manifest-path bench/floor/Cargo.toml --target wasm32-unknown-unknown
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name floor \
  "$floor_target/wasm32-unknown-unknown/release/floor.wasm"
# cargo-leptos's release flags.
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$work/floor_bg.wasm" -o "$work/floor_bg.wasm"

# The same floor in islands mode, built the same way.
CARGO_TARGET_DIR="$floor_target" cargo build --locked --release --quiet \
  --manifest-path bench/floor-islands/Cargo.toml --target wasm32-unknown-unknown
wasm-bindgen --target web --no-typescript --out-dir "$work" --out-name floor_islands \
  "$floor_target/wasm32-unknown-unknown/release/floor_islands.wasm"
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$work/floor_islands_bg.wasm" -o "$work/floor_islands_bg.wasm"

# The files the release serves (named in hash.txt beside the server binary,
# plus the lazy-route chunks that the newest split manifest names), each raw,
# gzip (level 9) and brotli (quality 11).
node bench/bundle-sizes.js "$results/bundle.json" "$work/floor_bg.wasm" \
  "$site_root/pkg" "$(dirname "$bin")/hash.txt" "$work/floor_islands_bg.wasm"
