#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster under DIR, stopped afterwards whatever happens.
#   with-throwaway.sh DIR command [args...]
set -euo pipefail
dir=${1:?usage: with-throwaway.sh DIR command...}
shift
here=$(cd "$(dirname "$0")" && pwd)
stop() { "$here/throwaway.sh" stop "$dir" || true; }
trap stop EXIT
exports=$("$here/throwaway.sh" start "$dir")
eval "$exports"
"$@"
