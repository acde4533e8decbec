# Leptos Accounts: the only entry points a newcomer needs.
#
#   make run     build a release and serve it at http://localhost:3000
#   make test    every check: formatting, the import layers, clippy (server and
#                browser builds), Rust tests, and the browser tests in Chromium
#   make dev     rebuild and reload on every change (cargo leptos watch)
#   make bench   benchmark the release server (wrk) and print a table
#   make screenshots  refresh docs/screenshots/ from the real app in Chromium
#   make tools   install the pinned toolchain only
#
# Each target installs what is missing first, at the pinned versions, and
# skips what is already there.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# ---- Pinned tools ---------------------------------------------------------
CARGO_LEPTOS_VERSION := 0.3.10
# Must equal the wasm-bindgen crate in Cargo.lock (pinned with `=` in Cargo.toml).
WASM_BINDGEN_VERSION := 0.2.130
WASM_TARGET := wasm32-unknown-unknown

# Build artifacts live outside the checkout so that a fresh clone (CI) reuses
# them; override with CARGO_TARGET_DIR=... if you prefer ./target.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/leptos-accounts/target
# cargo-leptos passes this to the compiler; plain cargo commands pass the same
# value so that they reuse its build instead of rebuilding Leptos.
export LEPTOS_OUTPUT_NAME := leptos_accounts
# The browser bundle names source files in its panic locations: strip the
# build machine's directories from them (smaller, and nothing about this
# machine ships). cargo-leptos adds its own flags to these.
CARGO_HOME ?= $(HOME)/.cargo
# The crates.io directory's own name goes too (the last matching prefix
# wins): about 0.5 KB of brotli WASM less than keeping it.
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS := --remap-path-prefix=$(CARGO_HOME)/registry/src/= --remap-path-prefix=$(CARGO_HOME)/registry/src/index.crates.io-1949cf8c6b5b557f/= --remap-path-prefix=$(CURDIR)/=
# cargo-leptos finds sass and wasm-opt (npm packages) on PATH.
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

# Tools are compiled once per machine. Their own release profile asks for
# fat LTO and one codegen unit; this lighter one builds several times faster
# and the tools run just as well.
TOOL_PROFILE := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
	CARGO_PROFILE_RELEASE_OPT_LEVEL=1 CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_TARGET_DIR=$(HOME)/.cache/leptos-accounts/tools

SERVER_BIN := $(CARGO_TARGET_DIR)/release/leptos_accounts
SITE_ROOT := $(CURDIR)/target/site
NODE_STAMP := end2end/node_modules/.installed

.PHONY: help run dev test bench screenshots tools rust-tools node-tools browser check-fmt check-architecture clippy test-rust build-release test-e2e test-scale-out clean

help:
	@sed -n '2,11p' Makefile | sed 's/^# \{0,1\}//'

# ---- Entry points ---------------------------------------------------------
run: tools build-release
	@echo "Serving on $${APP_ORIGIN:-http://localhost:3000} (database: $${DATABASE_URL:-sqlite://data/accounts.db})"
	LEPTOS_ENV=PROD "$(SERVER_BIN)"

dev: tools
	cargo leptos watch

test: tools check-fmt check-architecture clippy test-rust build-release test-e2e test-scale-out
	@echo "make test: all checks passed"

CEILING_TARGET := $(HOME)/.cache/leptos-accounts/ceiling

# Server benchmark (bench/run.sh) against the ceiling (bench/ceiling), the
# cost of one log-in (bench/login.sh), the bundle sizes against the floor
# (bench/bundle.sh, bench/floor), /login in islands mode against the product
# (bench/islands.sh, bench/login-islands), and the browser benchmark (end2end/bench:
# time to hydrated and bytes per file, unthrottled and on a throttled slow
# phone). Not part of `make test`.
bench: tools build-release
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq wrk; } || \
		{ echo "wrk is missing: sudo apt-get install wrk"; exit 1; }
	CARGO_TARGET_DIR="$(CEILING_TARGET)" cargo build --locked --release --manifest-path bench/ceiling/Cargo.toml
	APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" CEILING_BIN="$(CEILING_TARGET)/release/ceiling" bash bench/run.sh
	APP_BIN="$(SERVER_BIN)" bash bench/login.sh
	APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" python3 bench/mail.py
	APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" FLOOR_TARGET="$(HOME)/.cache/leptos-accounts/floor" bash bench/bundle.sh
	APP_BIN="$(SERVER_BIN)" ISLANDS_TARGET="$(HOME)/.cache/leptos-accounts/login-islands" bash bench/islands.sh
	cd end2end && APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" npx playwright test --config bench.config.ts

# The README's screenshots, taken from the release server in Chromium.
screenshots: tools build-release
	cd end2end && APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" node screenshots.mjs

# ---- Steps ------------------------------------------------------------------
check-fmt:
	cargo fmt --all -- --check

# Imports point one way (docs/architecture.md), with no circles, and no
# file in src/ is too long to read.
check-architecture:
	python3 scripts/check-architecture.py

clippy:
	cargo clippy --locked --release --no-default-features --features ssr --all-targets -- -D warnings
	cargo clippy --locked --lib --no-default-features --features hydrate --target $(WASM_TARGET) --profile wasm-release -- -D warnings

# Release profile: shares the compiled dependencies with `cargo leptos build --release`.
# The HTTP suite runs twice: on SQLite, then on a throwaway PostgreSQL cluster
# (installed from Debian's packages when missing, removed afterwards).
test-rust:
	cargo test --locked --release --no-default-features --features ssr
	@echo "The HTTP suite again, on PostgreSQL"
	bash scripts/postgres.sh run cargo test --locked --release --no-default-features --features ssr --test http

# --precompress writes .br and .gz beside each asset; the server picks one
# by Accept-Encoding. --split moves lazy routes (sign-up, profile) into WASM
# chunks that load when those pages are visited.
build-release:
	cargo leptos build --release --precompress --split

test-e2e: $(NODE_STAMP) browser
	cd end2end && APP_BIN="$(SERVER_BIN)" APP_SITE_ROOT="$(SITE_ROOT)" npx playwright test

# Two release instances on one PostgreSQL behind nginx (deploy/nginx.conf and
# deploy/leptos-accounts@.service, as shipped): shared sessions, shared and
# exact limits, each mail sent once, no request lost when one stops.
test-scale-out: $(NODE_STAMP)
	@need=""; for tool in python3 openssl; do command -v $$tool >/dev/null || need="$$need $$tool"; done; \
	if [ -n "$$need" ]; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$need; \
		else echo "Missing:$$need. Install them (sudo apt-get install$$need), then run make again"; exit 1; fi; \
	fi
	APP_BIN="$(SERVER_BIN)" python3 tests/scale-out/scale_out.py

clean:
	cargo clean
	rm -rf target end2end/node_modules

# ---- Toolchain -------------------------------------------------------------
tools: rust-tools node-tools browser

rust-tools:
	@if ! rustup target list --installed | grep -qx '$(WASM_TARGET)'; then \
		echo "Installing the $(WASM_TARGET) target"; rustup target add $(WASM_TARGET); fi
	@if [ "$$(cargo leptos --version 2>/dev/null)" != "cargo-leptos $(CARGO_LEPTOS_VERSION)" ]; then \
		echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (once per machine, about 10 minutes)"; \
		$(TOOL_PROFILE) cargo install cargo-leptos --version $(CARGO_LEPTOS_VERSION) --locked --features no_downloads --force; fi
	@if [ "$$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $(WASM_BINDGEN_VERSION)" ]; then \
		echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
		$(TOOL_PROFILE) CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
			cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; fi

node-tools: $(NODE_STAMP)

# npm ci installs exactly what package-lock.json pins; the browser itself
# comes from the system (see `browser`).
$(NODE_STAMP): end2end/package.json end2end/package-lock.json
	cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

browser:
	@if ! command -v chromium >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing Chromium from Debian"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then \
			sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Chromium is missing. Install it, then run make again:"; \
			echo "    sudo apt-get install chromium"; \
			exit 1; \
		fi; \
	fi
