#!/usr/bin/env bash
# `make test`: lint and type-check while Keycloak starts, then pytest on SQLite and PostgreSQL
# with the real Keycloak and Chromium. Every service started here is stopped on the way out.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.venv/bin
kc_dir=var/keycloak/test
mkdir -p "$kc_dir"
rm -f "$kc_dir/env"

infra/keycloak/keycloak.sh start "$kc_dir" >"$kc_dir/env" 2>"$kc_dir/start.log" &
kc_starter=$!
stop_keycloak() { infra/keycloak/keycloak.sh stop "$kc_dir" >/dev/null 2>&1 || true; }
trap stop_keycloak EXIT

"$bin/ruff" check .
"$bin/ruff" format --check .
"$bin/mypy"
"$bin/lint-imports" --no-cache

if wait "$kc_starter"; then
  # shellcheck disable=SC1091
  source "$kc_dir/env"
  export SIAGA_TEST_KEYCLOAK_URL="$KEYCLOAK_URL"
  export SIAGA_TEST_KEYCLOAK_ADMIN="$KEYCLOAK_ADMIN"
  export SIAGA_TEST_KEYCLOAK_ADMIN_PASSWORD="$KEYCLOAK_ADMIN_PASSWORD"
else
  echo "Keycloak did not start; its tests will report 'service missing':" >&2
  tail -n 20 "$kc_dir/start.log" >&2 || true
fi

# The Citus tests need their own cluster: `make test-citus` (run by .ci/run after this).
# -n: one pytest-xdist worker per core (SIAGA_TEST_WORKERS=1 for one process); the Keycloak
# tests, which share one realm, run on one worker (pytest_xdist_make_scheduler, tests/conftest.py).
# --durations: the slowest tests at the end of every run, where the suite's time goes (issue 19).
infra/postgres/with-throwaway.sh var/pgtest "$bin/pytest" -n "${SIAGA_TEST_WORKERS:-auto}" \
  --durations=25 --durations-min=5 --ignore=tests/platform/test_citus.py \
  --ignore=tests/platform/test_citus_domains.py --ignore=tests/platform/test_citus_operations.py "$@"
