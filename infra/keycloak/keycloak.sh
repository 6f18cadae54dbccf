#!/usr/bin/env bash
# A local Keycloak for development and tests, from Maven Central's keycloak-quarkus-dist.
#   keycloak.sh fetch          download once (cached under var/keycloak/) and unpack
#   keycloak.sh start [DIR]    start-dev on free loopback ports with the siaga realm imported,
#                              wait for /health/ready, print KEYCLOAK_URL=... lines
#   keycloak.sh stop [DIR]     stop it by its pid
# DIR (default var/keycloak/run) holds pid, ports and the server log.
set -euo pipefail

KEYCLOAK_VERSION=${KEYCLOAK_VERSION:-26.7.3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache="$root/var/keycloak"
dist="$cache/keycloak-$KEYCLOAK_VERSION"
run_dir=$(realpath -m "${2:-$cache/run}")

find_java() {
  # Keycloak 26 runs on Java 17, 21 or 25; prefer the newest installed.
  for candidate in ${SIAGA_KEYCLOAK_JAVA_HOME:-} /usr/lib/jvm/temurin-25-jdk-amd64 \
      /usr/lib/jvm/java-21-openjdk-amd64 /usr/lib/jvm/temurin-21-jdk-amd64 \
      /usr/lib/jvm/java-17-openjdk-amd64; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/java" ]; then echo "$candidate"; return 0; fi
  done
  command -v java >/dev/null 2>&1 && dirname "$(dirname "$(readlink -f "$(command -v java)")")" && return 0
  echo "service missing: no Java 17/21/25 for Keycloak (apt-get install openjdk-17-jre-headless)" >&2
  return 3
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

fetch() {
  [ -x "$dist/bin/kc.sh" ] && return 0
  mkdir -p "$cache"
  local archive="$cache/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
  if [ ! -s "$archive" ]; then
    if ! command -v mvn >/dev/null 2>&1; then
      echo "service missing: Maven (mvn) is needed to fetch Keycloak from Maven Central" >&2
      return 3
    fi
    echo "fetching org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION from Maven Central" >&2
    mvn -q -B dependency:copy \
      "-Dartifact=org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
      "-DoutputDirectory=$cache" >&2
  fi
  tar -xzf "$archive" -C "$cache"
}

start() {
  fetch
  local java_home http_port mgmt_port
  java_home=$(find_java)
  stop_quietly
  mkdir -p "$run_dir"
  # A disposable server: a fresh dev database each start, the realm imported anew.
  rm -rf "$dist/data/import" "$dist/data/h2" && mkdir -p "$dist/data/import"
  cp "$here/realm-siaga.json" "$dist/data/import/"
  http_port=${SIAGA_KEYCLOAK_PORT:-$(free_port)}
  mgmt_port=$(free_port)
  # Dev-only bootstrap admin of the master realm (tests use it for the admin API).
  KC_BOOTSTRAP_ADMIN_USERNAME=${KC_BOOTSTRAP_ADMIN_USERNAME:-admin} \
  KC_BOOTSTRAP_ADMIN_PASSWORD=${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin} \
  JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" \
  JAVA_OPTS_KC_HEAP="-XX:MaxRAMPercentage=25" \
    setsid "$dist/bin/kc.sh" start-dev --import-realm --health-enabled=true \
      --http-host=127.0.0.1 --http-port="$http_port" --http-management-port="$mgmt_port" \
      --hostname-strict=false >"$run_dir/server.log" 2>&1 &
  echo $! >"$run_dir/pid"
  echo "$http_port" >"$run_dir/port"
  local started=$SECONDS
  # A loaded machine starts Keycloak slowly but steadily: wait as long as it makes progress (its
  # log grows or its processes use CPU), give up after SIAGA_KEYCLOAK_STALL_TIMEOUT seconds
  # without either, or SIAGA_KEYCLOAK_START_TIMEOUT seconds in all.
  local stall_limit=${SIAGA_KEYCLOAK_STALL_TIMEOUT:-120}
  local hard_deadline=$((SECONDS + ${SIAGA_KEYCLOAK_START_TIMEOUT:-900}))
  local log_size="" last_progress=$SECONDS size
  until curl -fsS "http://127.0.0.1:$mgmt_port/health/ready" >/dev/null 2>&1; do
    if ! kill -0 "$(cat "$run_dir/pid")" 2>/dev/null; then
      echo "service missing: Keycloak exited during start; see $run_dir/server.log" >&2
      tail -n 20 "$run_dir/server.log" >&2
      return 3
    fi
    # Progress: the log's size and the CPU seconds of the server's session (kc.sh + java).
    size="$(stat -c %s "$run_dir/server.log" 2>/dev/null || echo 0)"
    size="$size/$(session_cpu_ticks "$(cat "$run_dir/pid")")"
    if [ "$size" != "$log_size" ]; then
      log_size=$size
      last_progress=$SECONDS
    fi
    local why=""
    if [ $((SECONDS - last_progress)) -ge "$stall_limit" ]; then
      why="no progress (log or CPU) for $((SECONDS - last_progress)) s"
    elif [ $SECONDS -ge $hard_deadline ]; then
      why="still starting at the limit (SIAGA_KEYCLOAK_START_TIMEOUT)"
    fi
    if [ -n "$why" ]; then
      echo "service missing: Keycloak not ready after $((SECONDS - started)) s: $why" \
        "(load: $(cut -d' ' -f1-3 /proc/loadavg)); last lines of $run_dir/server.log:" >&2
      tail -n 5 "$run_dir/server.log" >&2
      stop_quietly
      return 3
    fi
    sleep 1
  done
  echo "Keycloak ready in $((SECONDS - started)) s" >&2
  echo "KEYCLOAK_URL=http://127.0.0.1:$http_port"
  echo "KEYCLOAK_ADMIN=${KC_BOOTSTRAP_ADMIN_USERNAME:-admin}"
  echo "KEYCLOAK_ADMIN_PASSWORD=${KC_BOOTSTRAP_ADMIN_PASSWORD:-admin}"
}

# CPU time (clock ticks) used so far by the processes of session $1.
session_cpu_ticks() {
  local p total=0
  for p in $(pgrep -s "$1" 2>/dev/null); do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

stop_quietly() {
  [ -f "$run_dir/pid" ] || return 0
  local pid
  pid=$(cat "$run_dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    # setsid made the server a process-group leader: end the whole group (kc.sh + java).
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$run_dir/pid"
}

case "${1:-}" in
fetch) fetch ;;
start) start ;;
stop) stop_quietly ;;
*) echo "usage: keycloak.sh fetch|start|stop [DIR]" >&2; exit 2 ;;
esac
