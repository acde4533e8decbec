#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests and benchmarks: a new cluster in a
# temporary directory, on a free loopback port, removed by `stop`.
#
#   scripts/postgres.sh start        prints the cluster's directory, then its URL
#   scripts/postgres.sh stop DIR
#   scripts/postgres.sh run CMD...   runs CMD with TEST_DATABASE_URL set to a
#                                    new cluster (and a SEAL_KEY for it), then
#                                    removes the cluster
#
# Installs Debian's postgresql package first when the server is missing.
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# unprivileged `postgres` user the package creates.
set -euo pipefail

find_bin() {
	local found
	found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
	[ -n "$found" ] && [ -x "$found/initdb" ] && echo "$found"
}

install_server() {
	echo "Installing PostgreSQL from Debian" >&2
	if [ "$(id -u)" = 0 ]; then
		# Keep the package from starting its own cluster as a service.
		local policy=/usr/sbin/policy-rc.d made=
		if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 755 "$policy"; made=1; fi
		apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
		if [ -n "$made" ]; then rm -f "$policy"; fi
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
	else
		echo "PostgreSQL is missing. Install it, then run make again:" >&2
		echo "    sudo apt-get install postgresql" >&2
		exit 1
	fi
}

# Runs a PostgreSQL program as the cluster's owner.
as_owner() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
	local bin dir port
	bin=$(find_bin) || { install_server; bin=$(find_bin); }
	dir=$(mktemp -d /tmp/accounts-postgres.XXXXXX)
	chmod 755 "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
		{ cat "$dir/initdb.log" >&2; exit 1; }
	port=$(free_port)
	# A test cluster: durability off (it is thrown away), enough connections
	# for parallel tests and several app instances, sockets in its own folder.
	as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
		-o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
		start >/dev/null ||
		{ cat "$dir/server.log" >&2; exit 1; }
	echo "$dir"
	echo "postgres://postgres@127.0.0.1:$port/postgres"
}

stop() {
	local dir=$1 bin
	bin=$(find_bin)
	[ -d "$dir/data" ] && as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
}

run() {
	local started dir
	started=$(start)
	dir=$(head -n 1 <<<"$started")
	trap "stop '$dir'" EXIT
	# Servers on PostgreSQL need the key that seals second-factor secrets
	# (SEAL_KEY); every server and command of the run shares this one.
	SEAL_KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n') \
		TEST_DATABASE_URL=$(tail -n 1 <<<"$started") "$@"
}

case "${1:-}" in
start) start ;;
stop) stop "${2:?usage: $0 stop DIR}" ;;
run) shift; run "$@" ;;
*) echo "usage: $0 start | stop DIR | run CMD..." >&2; exit 2 ;;
esac
