#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and local trials.
#   throwaway.sh start DIR   -> initdb + start on a free loopback port, bootstrap roles,
#                               print `export` lines for the URLs
#   throwaway.sh stop DIR    -> stop it (the folder stays until you remove it)
#   throwaway.sh resume DIR  -> start a stopped cluster again, same port, data kept
#                               (the database-outage test stops and resumes its own cluster)
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

action=${1:?usage: throwaway.sh start|stop|resume DIR}
dir=$(realpath -m "${2:?usage: throwaway.sh start|stop|resume DIR}")
here=$(cd "$(dirname "$0")" && pwd)
pgbin=${PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$pgbin" ] || [ ! -x "$pgbin/initdb" ]; then
  echo "service missing: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 3
fi

as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

run_server() {  # DIR PORT
  as_pg "$pgbin/pg_ctl" -D "$1/data" -l "$1/server.log" -w -t 60 \
    -o "-p $2 -k $1 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" \
    start >/dev/null
}

case "$action" in
start)
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    # The postgres user must be able to reach the folder (a clone under /root is not).
    if ! runuser -u postgres -- test -w "$dir"; then
      dir=$(mktemp -d /tmp/siaga-pg.XXXXXX) && chown postgres: "$dir"
      echo "note: cluster moved to $dir (postgres user cannot reach the requested folder)" >&2
      mkdir -p "$(realpath -m "$2")" && echo "$dir" > "$(realpath -m "$2")/relocated"
    fi
  fi
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir/data"
  as_pg "$pgbin/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 >"$dir/initdb.log"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  run_server "$dir" "$port"
  echo "$port" >"$dir/port"
  psql -X -q -h 127.0.0.1 -p "$port" -U postgres -d postgres \
    -v owner_password=siaga_owner -v app_password=siaga_web -v backup_password=siaga_backup -f "$here/bootstrap.sql" >/dev/null
  echo "export SIAGA_TEST_POSTGRES_ADMIN_URL=postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
  echo "export SIAGA_TEST_POSTGRES_PORT=$port"
  ;;
stop)
  [ -f "$dir/relocated" ] && dir=$(cat "$dir/relocated")
  if [ -f "$dir/data/postmaster.pid" ]; then
    as_pg "$pgbin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
  ;;
resume)
  [ -f "$dir/relocated" ] && dir=$(cat "$dir/relocated")
  run_server "$dir" "$(cat "$dir/port")"
  ;;
*)
  echo "usage: throwaway.sh start|stop|resume DIR" >&2
  exit 2
  ;;
esac
