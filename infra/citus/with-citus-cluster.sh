#!/usr/bin/env bash
# Run a command with a throwaway Citus cluster (a coordinator and two workers) under DIR, stopped
# afterwards whatever happens. The command sees the same variables as with
# infra/postgres/with-throwaway.sh (pointing at the coordinator), plus SIAGA_TEST_CITUS_WORKER_PORTS.
#   with-citus-cluster.sh DIR command [args...]
set -euo pipefail
dir=${1:?usage: with-citus-cluster.sh DIR command...}
shift
here=$(cd "$(dirname "$0")" && pwd)
stop() { "$here/cluster.sh" stop "$dir" || true; }
trap stop EXIT
exports=$("$here/cluster.sh" start "$dir")
eval "$exports"
"$@"
