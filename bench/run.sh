#!/usr/bin/env bash
# The server benchmark (make bench): the release server on a free loopback
# port with a throwaway database of 10,000 users, at its default settings
# (request logging at info, as `make run`), measured with wrk; the ceiling
# is a minimal axum server answering a page of the same size, and nginx
# serves the home page's bytes from a file. A second instance with
# RUST_LOG=warn shows what request logging costs. Each run is bounded by
# BENCH_SECONDS (default 10) and talks only to 127.0.0.1. Prints a table
# and the goals as ratios; writes bench/results/latest.json.
#
# BENCH_PROFILE=1 also samples the server with perf (Debian's linux-perf)
# during each run and writes the hottest symbols of each to
# bench/results/profile-<run>.txt: where its CPU time went, with callers.
# perf unwinds through the binary's .eh_frame (--call-graph dwarf), so the
# release binary needs no rebuild with frame pointers.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=${APP_BIN:?set APP_BIN to the release server binary}
site_root=${APP_SITE_ROOT:-target/site}
ceiling=${CEILING_BIN:?set CEILING_BIN to the ceiling server binary}
duration=${BENCH_SECONDS:-10}
users=${BENCH_USERS:-10000}
results=bench/results
mkdir -p "$results"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -f "$work/static.pid" ] && kill "$(cat "$work/static.pid")" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# Starts a server whose log says "listening on http://ADDR"; sets $base.
start() {
  local log=$1; shift
  "$@" >"$log" 2>&1 &
  pids+=($!)
  server_pid=$!
  for _ in $(seq 200); do
    base=$(grep -o 'listening on http://[0-9.:]*' "$log" | head -1 | sed 's/listening on //' || true)
    [ -n "$base" ] && return 0
    sleep 0.05
  done
  echo "server did not start:" >&2; cat "$log" >&2; exit 1
}

# Reads wrk's report: req/s, p50 and p99 in ms, non-2xx answers, requests.
summary() {
  awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    / requests in / { n = $1 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { bad = $NF }
    /non-200 answers/ { bad = $3 }
    END { printf "%s %.3f %.3f %d %d\n", rps, p50, p99, bad + 0, n }'
}

# One wrk run: req/s, p50 ms, p99 ms, non-2xx.
measure() {
  wrk --latency "$@" | summary | cut -d' ' -f1-4
}

# The CPU time a process has used, in clock ticks (user + system).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# Like measure, for the server whose pid is $1, with a fifth figure: the
# server's CPU time per request in microseconds, a second view of what
# request logging costs beside req/s (wrk shares the machine's CPUs).
measure_cpu() {
  local pid=$1; shift
  local before after rps p50 p99 bad requests
  before=$(cpu_ticks "$pid")
  read -r rps p50 p99 bad requests < <(wrk --latency "$@" | summary)
  after=$(cpu_ticks "$pid")
  awk -v ticks="$((after - before))" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    -v row="$rps $p50 $p99 $bad" 'BEGIN { printf "%s %.1f\n", row, ticks / hz * 1e6 / n }'
}

echo "preparing: $users users, $duration s per run, $(nproc) CPUs"
# The default log level, as `make run` has it (RUST_LOG unset): one line per
# request. Its output goes to a file, as a service's goes to the journal.
(unset RUST_LOG
LEPTOS_SITE_ADDR=127.0.0.1:0 LEPTOS_SITE_ROOT="$site_root" LEPTOS_ENV=PROD \
  DATABASE_URL="sqlite://$work/bench.db" NO_COLOR=1 \
  AUTH_RATE_BURST=1000000000 AUTH_RATE_PER_MINUTE=1000000000 \
  MAIL_PER_NETWORK_PER_HOUR=1000000000 MAIL_PER_HOUR=1000000000 \
  exec "$bin") >"$work/app.log" 2>&1 &
pids+=($!)
app_pid=$!
for _ in $(seq 200); do
  app=$(grep -o 'listening on http://[0-9.:]*' "$work/app.log" | head -1 | sed 's/listening on //' || true)
  [ -n "$app" ] && break
  sleep 0.05
done
[ -n "$app" ] || { echo "server did not start:" >&2; cat "$work/app.log" >&2; exit 1; }
export BENCH_ORIGIN=$app

curl -fs -o /dev/null -H 'accept: application/json' -H "origin: $app" \
  --data 'email=bench%40example.com&password=violet+kettle+marching+north' "$app/api/auth/signup"
phc=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT password_hash FROM users').fetchone()[0])" "$work/bench.db")
python3 bench/seed.py "$work/bench.db" "$users" "$phc" >/dev/null
cookie=$(curl -fs -o /dev/null -D - -H 'accept: application/json' -H "origin: $app" \
  --data 'email=bench%40example.com&password=violet+kettle+marching+north' "$app/api/auth/login" \
  | grep -io '^set-cookie: session=[^;]*' | sed 's/^[Ss]et-[Cc]ookie: //')
asset=$(curl -fs "$app/login" | grep -o '/pkg/leptos_accounts\.[A-Za-z0-9_-]*\.wasm' | head -1)
page_bytes=$(curl -fs "$app/" | wc -c)
# The first load of /login as a browser with an empty cache makes it: the
# page, its stylesheet, script and WASM, and the split loader the script
# imports, each as served to a browser that accepts brotli, headers
# included (what end2end/tests/size-budget.spec.ts counts and holds).
login_page=$(curl -fs "$app/login")
login_script=$(grep -o '/pkg/leptos_accounts\.[A-Za-z0-9_-]*\.js' <<<"$login_page" | head -1)
split_loader=$(curl -fs "$app$login_script" | grep -o '__wasm_split\.[A-Za-z0-9_-]*\.js' | head -1 || true)
first_load=0
for path in /login $(grep -o '/pkg/leptos_accounts\.[A-Za-z0-9_-]*\.\(css\|js\|wasm\)' <<<"$login_page" | sort -u) \
  ${split_loader:+/pkg/$split_loader}; do
  read -r head body < <(curl -fs -o /dev/null -H 'accept-encoding: br' -w '%{size_header} %{size_download}\n' "$app$path")
  first_load=$((first_load + head + body))
done

start "$work/ceiling.log" "$ceiling" "$page_bytes" 127.0.0.1:0
ceiling_url=$base

# The same binary and database with request logging off (RUST_LOG=warn).
LEPTOS_SITE_ADDR=127.0.0.1:0 LEPTOS_SITE_ROOT="$site_root" LEPTOS_ENV=PROD \
  DATABASE_URL="sqlite://$work/bench.db" RUST_LOG=warn,leptos_accounts::server=info NO_COLOR=1 \
  start "$work/quiet.log" "$bin"
quiet=$base
quiet_pid=${pids[-1]}

# nginx serving the home page's bytes from a file.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
  echo "make bench needs nginx: apt-get install nginx" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
mkdir -p "$work/static"
curl -fs -o "$work/static/index.html" "$app/"
static_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/static.conf" <<NGINX
worker_processes auto; pid $work/static.pid; error_log $work/static-error.log warn;
events { worker_connections 1024; }
http { access_log off; client_body_temp_path $work/static-body;
  server { listen 127.0.0.1:$static_port; root $work/static; default_type text/html;
    location = / { try_files /index.html =404; } } }
NGINX
"$nginx_bin" -p "$work" -c "$work/static.conf"
static_url="http://127.0.0.1:$static_port"
for _ in $(seq 100); do curl -fs -o /dev/null "$static_url/" && break; sleep 0.05; done
stop_static() { "$nginx_bin" -p "$work" -c "$work/static.conf" -s quit 2>/dev/null || true; }

profile=${BENCH_PROFILE:-0}
if [ "$profile" = 1 ] && ! command -v perf >/dev/null; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq linux-perf >/dev/null; else
    echo "BENCH_PROFILE=1 needs perf: sudo apt-get install linux-perf" >&2; exit 1; fi
fi

# Samples the app while a run goes on; writes the report for run $1.
profile_run() {
  local slug
  slug=$(echo "$1" | tr 'A-Z' 'a-z' | sed -E 's/[^a-z0-9]+/-/g; s/^-|-$//g')
  sleep 1 # past wrk's connection set-up
  perf record -q -F 499 --call-graph dwarf,16384 -p "$app_pid" -o "$work/perf.data" \
    -- sleep "$((duration - 2))" >/dev/null 2>&1
  {
    echo "# $1: the app's CPU time by symbol (self time), then the top callers."
    perf report -i "$work/perf.data" --no-inline --no-children --sort symbol --stdio -g none 2>/dev/null \
      | cut -c1-220 | sed -E '/^#/d; /^$/d; s/ +$//' | sed -n '1,40p'
    echo
    echo "# inclusive time (children), our code and the frameworks"
    perf report -i "$work/perf.data" --no-inline --children --sort symbol --stdio -g none 2>/dev/null \
      | cut -c1-220 | sed -E '/^#/d; /^$/d; s/ +$//' \
      | sed -nE '/leptos_accounts|leptos_axum|tachys|sqlx|axum::|tower_http/p' | sed -n '1,40p'
  } >"$results/profile-$slug.txt"
  rm -f "$work/perf.data"
}

run() { # name, then wrk arguments
  local name=$1; shift
  local profiler=
  # The profiles are of the app at its default settings: not of the
  # ceiling, nginx, or the instance with logging off.
  if [ "$profile" = 1 ] && [[ "$name" != ceiling* && "$name" != nginx* && "$name" != *"logging off"* ]]; then
    profile_run "$name" &
    profiler=$!
  fi
  read -r rps p50 p99 bad < <(measure "$@")
  [ -n "$profiler" ] && wait "$profiler"
  printf '%s %s %s %s %s\n' "$name" "$rps" "$p50" "$p99" "$bad" >>"$work/rows"
}

run "ceiling: static HTML of the same size" -t2 -c32 -d"${duration}s" "$ceiling_url/"
run "nginx: the home page from a file" -t2 -c64 -d"${duration}s" "$static_url/"
stop_static
# Logging at info against warn: five runs of each, taken in turn so that
# the machine's drift falls on both; the table keeps each one's median,
# and the server's CPU time per request is printed beside.
pair=$(( (duration + 2) / 3 ))
for _ in 1 2 3 4 5; do
  measure_cpu "$app_pid" -t2 -c64 -d"${pair}s" "$app/" >>"$work/info"
  measure_cpu "$quiet_pid" -t2 -c64 -d"${pair}s" "$quiet/" >>"$work/warn"
done
median() { sort -n -k"${2:-1},${2:-1}" "$1" | sed -n 3p; }
read -r rps p50 p99 bad _ < <(median "$work/info")
printf '%s %s %s %s %s\n' "GET / (default settings: logging at info)" "$rps" "$p50" "$p99" "$bad" >>"$work/rows"
read -r rps p50 p99 bad _ < <(median "$work/warn")
printf '%s %s %s %s %s\n' "GET / (request logging off: warn)" "$rps" "$p50" "$p99" "$bad" >>"$work/rows"
cpu_info=$(median "$work/info" 5 | awk '{ print $5 }')
cpu_warn=$(median "$work/warn" 5 | awk '{ print $5 }')
echo "server CPU per GET /: ${cpu_info} µs at info, ${cpu_warn} µs at warn (medians of 5)"
run "GET / (anonymous: the kept render)" -t2 -c64 -d"${duration}s" "$app/"
# A cookie of no meaning to the server makes it render the page for each
# request, as it does for every signed-in page.
run "GET / (rendered: with a cookie)" -t2 -c64 -d"${duration}s" -H "Cookie: theme=dark" "$app/"
run "GET /profile (signed in)" -t2 -c64 -d"${duration}s" -H "Cookie: $cookie" "$app/profile"
# The least a signed-in request costs: its session read from the database,
# then a plain 404 (an unknown API path), no page rendered.
run "signed in, no page: session lookup, 404" -t2 -c64 -d"${duration}s" -H "Cookie: $cookie" "$app/api/bench-none"
run "POST /api/auth/login (argon2)" -t2 -c8 -d"${duration}s" -s bench/login.lua "$app/api/auth/login"
run "GET hashed asset (wasm, br)" -t2 -c32 -d"${duration}s" -H "Accept-Encoding: br" "$app$asset"
# Pages while log-ins saturate the hashing pool.
wrk -t1 -c8 -d"$((duration + 2))s" -s bench/login.lua "$app/api/auth/login" >"$work/flood.txt" &
flood=$!
sleep 1
run "GET / during a log-in flood" -t1 -c32 -d"${duration}s" "$app/"
wait "$flood"

peak_rss_kib=$(awk '/VmHWM/ {print $2}' "/proc/$app_pid/status")
lines=$(grep -c ' INFO http: GET / 200' "$work/app.log" || true)
quiet_lines=$(grep -c ' http: ' "$work/quiet.log" || true)
echo "request log lines for GET /: $lines at the default level, $quiet_lines at warn"
kill "$app_pid" 2>/dev/null || true
profile=0 # the profiles are of the SQLite runs above

# ---- PostgreSQL: one instance, then two behind nginx ------------------------------
# (BENCH_POSTGRES=0 skips it.) A throwaway cluster (scripts/postgres.sh), the
# same users, the same runs; then nginx round-robin in front of one instance
# and of two, so that the proxy's own cost shows apart from the second
# instance's worth. All of it shares this machine's CPUs with wrk.
if [ "${BENCH_POSTGRES:-1}" = 1 ]; then
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || {
    echo "the PostgreSQL runs need nginx: run make test once (it installs it) or apt-get install nginx" >&2; exit 1; }
  pg=$(bash scripts/postgres.sh start)
  pg_dir=$(head -n 1 <<<"$pg")
  pg_url=$(tail -n 1 <<<"$pg")
  trap 'bash scripts/postgres.sh stop "$pg_dir"; cleanup' EXIT
  psql "$pg_url" -qc "CREATE DATABASE bench"
  db_url="${pg_url%/*}/bench"
  proxy_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  proxy="http://127.0.0.1:$proxy_port"
  export BENCH_ORIGIN=$proxy
  # Every instance of one database shares its sealing key.
  seal_key=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  pg_instance() { # log name
    SEAL_KEY=$seal_key LEPTOS_SITE_ADDR=127.0.0.1:0 LEPTOS_SITE_ROOT="$site_root" LEPTOS_ENV=PROD \
      DATABASE_URL="$db_url" APP_ORIGIN="$proxy" TRUSTED_PROXY=127.0.0.1 \
      RUST_LOG=warn,leptos_accounts::server=info NO_COLOR=1 \
      AUTH_RATE_BURST=1000000000 AUTH_RATE_PER_MINUTE=1000000000 \
  MAIL_PER_NETWORK_PER_HOUR=1000000000 MAIL_PER_HOUR=1000000000 \
      start "$work/$1.log" "$bin"
  }
  pg_instance pg-a
  pg_a=$base
  curl -fs -o /dev/null -H 'accept: application/json' -H "origin: $proxy" \
    --data 'email=bench%40example.com&password=violet+kettle+marching+north' "$pg_a/api/auth/signup"
  psql "$db_url" -qc "INSERT INTO users (email, email_key, password_hash, display_name) \
    SELECT 'user' || g || '@example.com', 'user' || g || '@example.com', \
           (SELECT password_hash FROM users WHERE email = 'bench@example.com'), 'User ' || g \
    FROM generate_series(0, $users - 1) AS g"
  pg_cookie=$(curl -fs -o /dev/null -D - -H 'accept: application/json' -H "origin: $proxy" \
    --data 'email=bench%40example.com&password=violet+kettle+marching+north' "$pg_a/api/auth/login" \
    | grep -io '^set-cookie: session=[^;]*' | sed 's/^[Ss]et-[Cc]ookie: //')
  run "PostgreSQL: GET /profile (signed in)" -t2 -c32 -d"${duration}s" -H "Cookie: $pg_cookie" "$pg_a/profile"
  run "PostgreSQL: POST /api/auth/login" -t2 -c8 -d"${duration}s" -s bench/login.lua "$pg_a/api/auth/login"

  pg_instance pg-b
  pg_b=$base
  nginx_conf() { # upstream servers...
    {
      echo "worker_processes 1; pid $work/nginx.pid; error_log $work/nginx-error.log warn;"
      echo "events { worker_connections 1024; }"
      echo "http { access_log off; client_body_temp_path $work/nginx-body; proxy_temp_path $work/nginx-proxy;"
      echo "  upstream app {"
      for upstream in "$@"; do echo "    server ${upstream#http://};"; done
      echo "  }"
      echo "  server { listen 127.0.0.1:$proxy_port; location / { proxy_pass http://app;"
      echo "    proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for; proxy_set_header Host \$host; } }"
      echo "}"
    } >"$work/nginx.conf"
  }
  nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
  nginx_conf "$pg_a"
  "$nginx_bin" -p "$work" -c "$work/nginx.conf"
  sleep 0.3
  run "nginx, 1 instance: GET /profile" -t2 -c32 -d"${duration}s" -H "Cookie: $pg_cookie" "$proxy/profile"
  run "nginx, 1 instance: POST /api/auth/login" -t2 -c8 -d"${duration}s" -s bench/login.lua "$proxy/api/auth/login"
  nginx_conf "$pg_a" "$pg_b"
  "$nginx_bin" -p "$work" -c "$work/nginx.conf" -s reload
  sleep 0.5
  run "nginx, 2 instances: GET /profile" -t2 -c32 -d"${duration}s" -H "Cookie: $pg_cookie" "$proxy/profile"
  run "nginx, 2 instances: POST /api/auth/login" -t2 -c8 -d"${duration}s" -s bench/login.lua "$proxy/api/auth/login"
  "$nginx_bin" -p "$work" -c "$work/nginx.conf" -s quit || true
fi

python3 - "$work/rows" "$results/latest.json" "$peak_rss_kib" "$page_bytes" "$duration" "$users" "$first_load" "$cpu_info" "$cpu_warn" <<'PY'
import json, sys, datetime, os
rows_path, out, rss, page_bytes, duration, users, first_load, cpu_info, cpu_warn = sys.argv[1:10]
LOGIN_BUDGET = 180_000
rows = []
for line in open(rows_path):
    *name, rps, p50, p99, bad = line.split()
    rows.append({"name": " ".join(name), "requests_per_second": float(rps),
                 "p50_ms": float(p50), "p99_ms": float(p99), "non_2xx": int(bad)})
ceiling = rows[0]["requests_per_second"]
for row in rows:
    row["ratio_to_ceiling"] = round(row["requests_per_second"] / ceiling, 4)
rps = {row["name"]: row["requests_per_second"] for row in rows}
home = rps["GET / (anonymous: the kept render)"]
rendered = rps["GET / (rendered: with a cookie)"]
goals = [
    # (what, ratio, at least)
    ("GET /profile signed in / GET /", rps["GET /profile (signed in)"] / home, 0.5),
    ("GET / / nginx serving the same bytes", home / rps["nginx: the home page from a file"], 0.25),
    ("GET / logging at info / at warn (medians of 5)",
     rps["GET / (default settings: logging at info)"] / rps["GET / (request logging off: warn)"], 0.95),
    (f"/login first load: {LOGIN_BUDGET:,} B / {int(first_load):,} B", LOGIN_BUDGET / int(first_load), 1.0),
]
result = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "cpus": os.cpu_count(), "seconds_per_run": int(duration), "seeded_users": int(users),
          "home_page_bytes": int(page_bytes), "server_peak_rss_kib": int(rss),
          "login_first_load_bytes": int(first_load),
          "get_home_cpu_us_per_request": {"info": float(cpu_info), "warn": float(cpu_warn)},
          "profile_against_rendered_home": round(rps["GET /profile (signed in)"] / rendered, 4),
          "signed_in_floor_against_home": round(rps["signed in, no page: session lookup, 404"] / home, 4),
          "goals": [{"what": what, "ratio": round(ratio, 4), "at_least": least, "met": ratio >= least}
                    for what, ratio, least in goals],
          "runs": rows}
json.dump(result, open(out, "w"), indent=2)
print(f"{'run':46} {'req/s':>10} {'ratio':>7} {'p50 ms':>9} {'p99 ms':>9} {'non-2xx':>8}")
for row in rows:
    print(f"{row['name']:46} {row['requests_per_second']:>10.1f} {row['ratio_to_ceiling']:>7.3f} "
          f"{row['p50_ms']:>9.2f} {row['p99_ms']:>9.2f} {row['non_2xx']:>8}")
print(f"server peak RSS: {int(rss) / 1024:.1f} MiB; home page: {page_bytes} B; "
      f"/login first load: {int(first_load):,} B; results: {out}")
print(f"server CPU per GET /: {cpu_info} µs at info, {cpu_warn} µs at warn (medians of 5)")
print()
print(f"{'goal':46} {'ratio':>10} {'at least':>9}")
for what, ratio, least in goals:
    print(f"{what:46} {ratio:>10.3f} {least:>9.2f}  {'met' if ratio >= least else 'NOT MET'}")
print(f"{'(beside it: GET /profile / GET / rendered)':46} {rps['GET /profile (signed in)'] / rendered:>10.3f}")
print(f"{'(signed in, no page / GET /)':46} {rps['signed in, no page: session lookup, 404'] / home:>10.3f}")
PY
if [ "$profile" = 1 ]; then
  echo "profiles (taken while measuring, so those runs' figures carry perf's cost):"
  ls "$results"/profile-*.txt
fi
