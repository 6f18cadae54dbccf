#!/usr/bin/env bash
# A throwaway Citus cluster on loopback: a coordinator and two workers (three initdb clusters,
# citus preloaded), the Siaga roles on each, the `siaga` database with the citus extension on each
# node, the workers added to the coordinator.
#   cluster.sh start DIR  -> prints `export` lines: the coordinator's admin URL and port (the
#                            variables the test suite reads for PostgreSQL) and the worker ports
#   cluster.sh stop DIR   -> stops the three servers (the folder stays until you remove it)
# Databases the tests create (CREATE DATABASE on the coordinator) are plain PostgreSQL until
# `CREATE EXTENSION citus` runs in them: see prepare_database() in tests/fixtures/citus.py.
# PostgreSQL refuses to run as root, so as root the servers run as the `postgres` user.
set -euo pipefail

action=${1:?usage: cluster.sh start|stop DIR}
dir=$(realpath -m "${2:?usage: cluster.sh start|stop DIR}")
repo=$(cd "$(dirname "$0")/../.." && pwd)
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
nodes="coordinator worker1 worker2"

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

sql() {  # PORT DATABASE SQL
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -d "$2" -c "$3" >/dev/null
}

case "$action" in
start)
  if [ ! -x "$pgbin/initdb" ]; then
    echo "service missing: PostgreSQL server binaries not found" >&2
    exit 3
  fi
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      dir=$(mktemp -d /tmp/siaga-citus.XXXXXX) && chown postgres: "$dir"
      mkdir -p "$(realpath -m "$2")" && echo "$dir" >"$(realpath -m "$2")/relocated"
    fi
  fi
  for node in $nodes; do
    if [ -f "$dir/$node/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$dir/$node" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "${dir:?}/$node"
    as_pg "$pgbin/initdb" -D "$dir/$node" -A trust -U postgres --no-sync -E UTF8 >"$dir/$node.initdb.log"
    port=$(free_port)
    echo "$port" >"$dir/$node.port"
    as_pg tee -a "$dir/$node/postgresql.conf" >/dev/null <<CONF
port = $port
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
fsync = off
synchronous_commit = off
max_connections = 200
shared_preload_libraries = 'citus'
max_prepared_transactions = 100
max_worker_processes = 64
CONF
    as_pg "$pgbin/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" -w -t 60 start >/dev/null
    psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
      -v owner_password=siaga_owner -v app_password=siaga_web -v backup_password=siaga_backup \
      -f "$repo/infra/postgres/bootstrap.sql" >/dev/null
    sql "$port" siaga "CREATE EXTENSION IF NOT EXISTS citus"
  done
  coordinator=$(cat "$dir/coordinator.port")
  sql "$coordinator" siaga "SELECT citus_set_coordinator_host('127.0.0.1', $coordinator)"
  for worker in worker1 worker2; do
    sql "$coordinator" siaga "SELECT citus_add_node('127.0.0.1', $(cat "$dir/$worker.port"))"
  done
  echo "export SIAGA_TEST_POSTGRES_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:$coordinator/postgres"
  echo "export SIAGA_TEST_POSTGRES_PORT=$coordinator"
  echo "export SIAGA_TEST_CITUS_WORKER_PORTS=$(cat "$dir/worker1.port"),$(cat "$dir/worker2.port")"
  ;;
stop)
  [ -f "$dir/relocated" ] && dir=$(cat "$dir/relocated")
  for node in $nodes; do
    if [ -f "$dir/$node/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$dir/$node" -m fast -w stop >/dev/null || true
    fi
  done
  ;;
*)
  echo "usage: cluster.sh start|stop DIR" >&2
  exit 2
  ;;
esac
