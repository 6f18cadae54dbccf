#!/usr/bin/env bash
# `make run-sso`: Siaga with the local Keycloak instead of the development sign-in.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.venv/bin
kc_dir=var/keycloak/sso
mkdir -p "$kc_dir"
echo "Keycloak starting (the first time it is fetched from Maven Central)..."
infra/keycloak/keycloak.sh start "$kc_dir" >"$kc_dir/env"
trap 'infra/keycloak/keycloak.sh stop "$kc_dir"' EXIT
# shellcheck disable=SC1091
source "$kc_dir/env"
export SIAGA_KEYCLOAK_SERVER_URL="$KEYCLOAK_URL"
export SIAGA_KEYCLOAK_CLIENT_SECRET=siaga-web-dev-secret
export SIAGA_KEYCLOAK_ADMIN_CLIENT_SECRET=siaga-admin-dev-secret
export SIAGA_BASE_URL="http://127.0.0.1:8000"
"$bin/siaga" db upgrade
"$bin/siaga" demo seed >/dev/null
"$bin/siaga" keycloak sync
echo "Keycloak: $KEYCLOAK_URL (admin console: admin / admin)"
echo "Demo users sign in on Keycloak's page with password 'siaga-demo', e.g.:"
echo "  operator-62.12   kepala-dinas-62.12   supervisor-provinsi-62   admin-platform-platform"
"$bin/siaga" serve --host 127.0.0.1 --port 8000
