#!/usr/bin/env bash
# A throwaway Citus cluster on loopback: a coordinator and two workers (three initdb clusters,
# citus preloaded), the Siaga roles on each, the `siaga` database with the citus extension on each
# node, the workers added to the coordinator.
#   cluster.sh start DIR  -> prints `export` lines: the coordinator's admin URL and port (the
#                            variables the test suite reads for PostgreSQL) and the worker ports
#   cluster.sh stop DIR   -> stops every server of the cluster (the folder stays until you remove it)
#   cluster.sh add-worker DIR NAME -> one more worker node (a new initdb cluster, the roles, the
#                            `siaga` database with the extension, added to the coordinator's
#                            `siaga` database); prints its port. Databases the tests create
#                            must add it themselves (citus_add_node in that database).
#   cluster.sh port DIR NAME -> the node's port
#   cluster.sh stop-node DIR NAME / start-node DIR NAME -> stop or start one node's server
#                            (a worker down, and back), e.g. NAME=worker2
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

new_node() {  # NAME: a fresh server with the roles and the siaga database with citus
  local node=$1 port
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
}

dir_of() { if [ -f "$dir/relocated" ]; then cat "$dir/relocated"; else echo "$dir"; fi; }

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
  for conf in "$dir"/*/postgresql.conf; do  # nodes a previous run added (add-worker)
    node=$(basename "$(dirname "$conf")")
    case " $nodes " in *" $node "*) ;; *)
      if [ -f "$dir/$node/postmaster.pid" ]; then
        as_pg "$pgbin/pg_ctl" -D "$dir/$node" -m immediate stop >/dev/null 2>&1 || true
      fi
      rm -rf "${dir:?}/$node" "$dir/$node".* ;;
    esac
  done
  for node in $nodes; do
    new_node "$node"
  done
  coordinator=$(cat "$dir/coordinator.port")
  sql "$coordinator" siaga "SELECT citus_set_coordinator_host('127.0.0.1', $coordinator)"
  for worker in worker1 worker2; do
    sql "$coordinator" siaga "SELECT citus_add_node('127.0.0.1', $(cat "$dir/$worker.port"))"
  done
  echo "export SIAGA_TEST_POSTGRES_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:$coordinator/postgres"
  echo "export SIAGA_TEST_POSTGRES_PORT=$coordinator"
  echo "export SIAGA_TEST_CITUS_WORKER_PORTS=$(cat "$dir/worker1.port"),$(cat "$dir/worker2.port")"
  echo "export SIAGA_TEST_CITUS_DIR=$(realpath -m "$2")"
  ;;
add-worker)
  node=${3:?usage: cluster.sh add-worker DIR NAME}
  dir=$(dir_of)
  new_node "$node"
  sql "$(cat "$dir/coordinator.port")" siaga "SELECT citus_add_node('127.0.0.1', $(cat "$dir/$node.port"))"
  cat "$dir/$node.port"
  ;;
port)
  cat "$(dir_of)/${3:?usage: cluster.sh port DIR NAME}.port"
  ;;
stop-node)
  node=${3:?usage: cluster.sh stop-node DIR NAME}
  dir=$(dir_of)
  as_pg "$pgbin/pg_ctl" -D "$dir/$node" -m fast -w stop >/dev/null
  ;;
start-node)
  node=${3:?usage: cluster.sh start-node DIR NAME}
  dir=$(dir_of)
  as_pg "$pgbin/pg_ctl" -D "$dir/$node" -l "$dir/$node.log" -w -t 60 start >/dev/null
  ;;
stop)
  dir=$(dir_of)
  for conf in "$dir"/*/postgresql.conf; do
    node=$(basename "$(dirname "$conf")")
    if [ -f "$dir/$node/postmaster.pid" ]; then
      as_pg "$pgbin/pg_ctl" -D "$dir/$node" -m fast -w stop >/dev/null || true
    fi
  done
  ;;
*)
  echo "usage: cluster.sh start|stop|add-worker|stop-node|start-node DIR [NAME]" >&2
  exit 2
  ;;
esac
